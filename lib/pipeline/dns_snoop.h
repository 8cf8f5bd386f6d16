/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_DNS_SNOOP_H
#define EGW_DNS_SNOOP_H

/*
 * A worker's view of the DNS flows it owns (issue 11): it remembers the A queries that leave,
 * learns the addresses of the answers that match one of them (flow, ID and question) into its
 * journal of learned names (lib/names), and with [egress] dns_filter answers the queries for
 * names no policy permits with NXDOMAIN itself and removes `ech` from HTTPS/SVCB answers.
 * lib/pipeline only.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>

#include "dns/dns.h"
#include "flow/flow.h"

struct egw_worker;
struct egw_snapshot;
struct egw_pkt_meta;
struct egw_names_journal;
struct rte_mbuf;

/* Queries remembered per worker (4-way buckets), and how long one waits for its answer. */
#define EGW_DNS_PENDING_SLOTS 16384
#define EGW_DNS_PENDING_SECS 15
/* The journal of learned names: 16-byte cells (1 MiB), 2 per short answer. */
#define EGW_DNS_JOURNAL_CELLS 65536

/* One query waiting for its answer: the flow (its index in the worker's table) and its key. */
struct egw_dns_pending {
	uint32_t flow;
	uint32_t expires; /* worker clock, seconds; 0: free */
	struct egw_dns_qkey key;
};

struct egw_dns_snoop {
	struct egw_names_journal *journal;
	struct egw_dns_pending *pending; /* EGW_DNS_PENDING_SLOTS */
};

/* The worker's snoop state ID. 0 or -ENOMEM (with rte_errno). */
int egw_dns_snoop_init(struct egw_dns_snoop *s, const char *prefix, unsigned id, int socket);
void egw_dns_snoop_fini(struct egw_dns_snoop *s);

/* Does a packet of flow F go through egw_dns_snoop_packet()? UDP or TCP to port 53: one
 * compare of the record the packet has already brought into the cache. */
static inline bool egw_dns_flow(const struct egw_flow *f)
{
	return f->orig.b_port == RTE_BE16(EGW_DNS_PORT) && f->orig.proto != IPPROTO_ICMP;
}

/*
 * A packet M of DNS flow F (its direction DIR), before translation: a query leaving is
 * remembered (or, filtered, answered NXDOMAIN; over TCP dropped), an answer coming back is
 * learned from (and, with dns_filter, loses `ech`; *META follows its new lengths; over TCP it
 * is dropped instead). Over TCP only a segment holding a whole message is read. True when M
 * was consumed: sent back as the NXDOMAIN answer, or dropped with its one reason.
 */
bool egw_dns_snoop_packet(struct egw_worker *w, const struct egw_snapshot *snap, struct rte_mbuf *m,
	struct egw_pkt_meta *meta, struct egw_flow *f, unsigned dir);

#endif
