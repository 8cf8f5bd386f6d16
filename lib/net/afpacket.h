/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_AFPACKET_H
#define EGW_AFPACKET_H

#include <net/if.h>
#include <stdint.h>

/*
 * What the kernel loses on a port backed by net_af_packet, which DPDK 22.11 does not report:
 * its PMD reads no PACKET_STATISTICS, so frames dropped because a queue's RX ring was full
 * show in no ethdev counter (rx_missed stays 0). The PMD's queue sockets belong to this
 * process, so they are found among its file descriptors and asked directly; the interface's
 * own drop counters come from sysfs.
 */

#define EGW_AFP_MAX_SOCKETS 16 /* queue pairs of one port (one per worker) */

struct egw_afp_port {
	char ifname[IF_NAMESIZE];
	int fds[EGW_AFP_MAX_SOCKETS];
	unsigned n_fds; /* 0: not (or no longer) an af_packet port; atomic */
	/* Totals since the port was opened, summed atomically by whoever collects. */
	uint64_t rx_frames; /* frames the sockets were offered, dropped ones included */
	uint64_t rx_drops;  /* frames lost to a full RX ring */
};

/*
 * Finds this process's AF_PACKET sockets bound to interface IFNAME (net_af_packet's queue
 * sockets, opened when the device was probed) and starts counting from now. Returns how many
 * it found (0 for none), -ENODEV when IFNAME does not exist, -errno otherwise. Control path.
 */
int egw_afp_port_open(struct egw_afp_port *p, const char *ifname);

/*
 * Adds what the kernel counted since the previous call to P's totals. PACKET_STATISTICS
 * resets on every read, so concurrent callers (telemetry clients, the metrics thread) never
 * count a frame twice. Any thread.
 */
void egw_afp_port_collect(struct egw_afp_port *p);

/*
 * One of the interface's kernel counters, /sys/class/net/IFNAME/statistics/NAME ("rx_dropped",
 * "tx_dropped"...): 0 and *VALUE set, or -errno. Any thread.
 */
int egw_afp_if_counter(const char *ifname, const char *name, uint64_t *value);

/* Stops counting (before the PMD closes its sockets): later collects do nothing. */
void egw_afp_port_close(struct egw_afp_port *p);

#endif
