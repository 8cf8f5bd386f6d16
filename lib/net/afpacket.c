/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "afpacket.h"

/* Is FD an AF_PACKET socket bound to IFINDEX? */
static int bound_packet_socket(int fd, int ifindex)
{
	struct sockaddr_ll sll;
	socklen_t len = sizeof(int);
	int domain = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 || domain != AF_PACKET)
		return 0;
	len = sizeof(sll);
	memset(&sll, 0, sizeof(sll));
	if (getsockname(fd, (struct sockaddr *)&sll, &len) < 0)
		return 0;
	return sll.sll_ifindex == ifindex;
}

/* The kernel's counts of FD since the previous read (which they are reset by). */
static void read_stats(int fd, uint64_t *frames, uint64_t *drops)
{
	/* The v3 layout starts with the v1/v2 one; the kernel fills what the socket has. */
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof(st);

	memset(&st, 0, sizeof(st));
	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
		return;
	/* tp_packets already includes tp_drops (net/packet/af_packet.c). */
	*frames += st.tp_packets;
	*drops += st.tp_drops;
}

int egw_afp_port_open(struct egw_afp_port *p, const char *ifname)
{
	struct dirent *e;
	unsigned n = 0;
	int ifindex;
	DIR *d;

	memset(p, 0, sizeof(*p));
	snprintf(p->ifname, sizeof(p->ifname), "%s", ifname);
	ifindex = (int)if_nametoindex(ifname);
	if (ifindex == 0)
		return -ENODEV;
	d = opendir("/proc/self/fd");
	if (!d)
		return -errno;
	while ((e = readdir(d)) != NULL && n < EGW_AFP_MAX_SOCKETS) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		if (*end || end == e->d_name || fd == dirfd(d))
			continue;
		if (bound_packet_socket((int)fd, ifindex))
			p->fds[n++] = (int)fd;
	}
	closedir(d);
	/* What the sockets saw before now (since the probe) is not ours to report. */
	for (unsigned i = 0; i < n; i++) {
		uint64_t ignored = 0;
		read_stats(p->fds[i], &ignored, &ignored);
	}
	__atomic_store_n(&p->n_fds, n, __ATOMIC_RELEASE);
	return (int)n;
}

void egw_afp_port_collect(struct egw_afp_port *p)
{
	unsigned n = __atomic_load_n(&p->n_fds, __ATOMIC_ACQUIRE);
	uint64_t frames = 0, drops = 0;

	for (unsigned i = 0; i < n; i++)
		read_stats(p->fds[i], &frames, &drops);
	if (frames)
		__atomic_fetch_add(&p->rx_frames, frames, __ATOMIC_RELAXED);
	if (drops)
		__atomic_fetch_add(&p->rx_drops, drops, __ATOMIC_RELAXED);
}

int egw_afp_if_counter(const char *ifname, const char *name, uint64_t *value)
{
	char path[96];
	int rc = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname, name);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (fscanf(f, "%" SCNu64, value) != 1)
		rc = -EIO;
	fclose(f);
	return rc;
}

void egw_afp_port_close(struct egw_afp_port *p)
{
	__atomic_store_n(&p->n_fds, 0, __ATOMIC_RELEASE);
}
