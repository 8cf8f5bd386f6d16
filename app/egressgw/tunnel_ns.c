/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tunnel service's network namespace (lib/tunnel/README.md, "Integration"): a namespace of
 * its own holding the kernel side of the exception port, the listener addresses and the
 * upstream source address, so that the kernel's TCP serves the clients without one route or
 * address of the host changing. Set up from C (ioctl and rtnetlink), never through a shell.
 * Namespaces are per thread: the control thread enters, creates what must live there (the tap
 * device, the engine's sockets and thread) and leaves.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "common/log.h"
#include "tunnel_app.h"

int egw_tunnel_ns_enter(int *host_ns)
{
	int fd;

	*host_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*host_ns < 0)
		return -errno;
	if (unshare(CLONE_NEWNET) < 0) {
		int e = errno;
		close(*host_ns);
		*host_ns = -1;
		return -e;
	}
	/* Interfaces made from now on have no IPv6: the tap would otherwise send router
	 * solicitations and MLD reports into the data path (/proc/sys/net is this namespace's). */
	fd = open("/proc/sys/net/ipv6/conf/default/disable_ipv6", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		bool off = write(fd, "1", 1) == 1;
		close(fd);
		if (!off)
			EGW_WARN("tunnel namespace: IPv6 not turned off: %s", strerror(errno));
	}
	return egw_tunnel_ns_link_up("lo", false);
}

int egw_tunnel_ns_leave(int host_ns)
{
	int rc = setns(host_ns, CLONE_NEWNET) < 0 ? -errno : 0;

	close(host_ns);
	return rc;
}

int egw_tunnel_ns_link_up(const char *ifname, bool noarp)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		rc = -errno;
	} else {
		ifr.ifr_flags |= IFF_UP;
		/* No ARP toward the data path: the kernel sends to its own MAC, which is the
		 * exception port's (egw_tunnel_ns_mac), and the data path knows the kernel's. */
		if (noarp)
			ifr.ifr_flags |= IFF_NOARP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			rc = -errno;
	}
	close(s);
	return rc;
}

int egw_tunnel_ns_mac(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0)
		rc = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(s);
	return rc;
}

/* An rtnetlink request with room for a few attributes. */
struct nl_req {
	struct nlmsghdr h;
	union {
		struct ifaddrmsg ifa;
		struct rtmsg rt;
	};
	char attrs[64];
};

static void nl_attr32(struct nl_req *r, unsigned short type, uint32_t v)
{
	struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->h.nlmsg_len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(sizeof(v));
	memcpy(RTA_DATA(a), &v, sizeof(v));
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Sends R and reads the kernel's acknowledgement. 0 or -errno. */
static int nl_talk(struct nl_req *r)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[512];
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), rc = -EIO;
	ssize_t n;

	if (s < 0)
		return -errno;
	r->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	r->h.nlmsg_seq = 1;
	if (sendto(s, r, r->h.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
	} else if ((n = recv(s, buf, sizeof(buf), 0)) >= (ssize_t)sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
		if (h->nlmsg_type == NLMSG_ERROR &&
			n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)))
			rc = ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
	}
	close(s);
	return rc;
}

int egw_tunnel_ns_addr_add(unsigned ifindex, uint32_t addr_be)
{
	struct nl_req r = { .h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)),
				    .nlmsg_type = RTM_NEWADDR,
				    .nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL },
		.ifa = { .ifa_family = AF_INET,
			.ifa_prefixlen = 32,
			.ifa_scope = RT_SCOPE_UNIVERSE,
			.ifa_index = ifindex } };

	nl_attr32(&r, IFA_LOCAL, addr_be);
	nl_attr32(&r, IFA_ADDRESS, addr_be);
	return nl_talk(&r);
}

int egw_tunnel_ns_default_route(unsigned ifindex)
{
	struct nl_req r = { .h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)),
				    .nlmsg_type = RTM_NEWROUTE,
				    .nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL },
		.rt = { .rtm_family = AF_INET,
			.rtm_table = RT_TABLE_MAIN,
			.rtm_protocol = RTPROT_STATIC,
			.rtm_scope = RT_SCOPE_LINK,
			.rtm_type = RTN_UNICAST } };

	nl_attr32(&r, RTA_OIF, ifindex);
	return nl_talk(&r);
}
