/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_NEIGH_INTERNAL_H
#define EGW_NEIGH_INTERNAL_H

/* Shared by neigh_resolve.c (states, timers, held packets) and neigh_arp.c (ARP in and out). */

#include "common/rate.h"
#include "neigh_resolve.h"

#define NEIGH_RETRANS_MS 1000  /* between the requests of one probe or resolution */
#define NEIGH_HOLDDOWN_MS 5000 /* after a failure, before new packets start a resolution */
/* A REACHABLE MAC is not replaced twice within this (Linux locktime). */
#define NEIGH_LOCK_MS 1000
#define NEIGH_HOLD_MAX 4 /* packets waiting for one neighbour's MAC */
/* Lines about single neighbours per second: an ARP storm must not flood the log. */
#define NEIGH_LOG_PER_S 10

/* The resolver's state of one slot. Fields telemetry reads are accessed atomically. */
struct neigh_slot {
	uint8_t state;	/* enum egw_neigh_state; atomic */
	uint8_t probes; /* requests sent by the running probe or resolution; atomic */
	bool nexthop;	/* a configured next hop: ARP may bring it back after removal */
	uint8_t n_held;
	uint64_t updated;  /* ms: MAC learned, changed or confirmed; atomic */
	uint64_t due;	   /* ms: end of REACHABLE, next request, end of the hold-down */
	uint64_t last_use; /* ms: last known use; neighbor_gc counts from it */
	struct rte_ether_addr last_mac; /* the MAC last published, kept while probing anew */
	bool had_mac;			/* last_mac is set */
	struct rte_mbuf *held[NEIGH_HOLD_MAX];
};

struct egw_neigh_resolver {
	struct egw_neigh_params p;
	struct neigh_slot *slots; /* per table slot */
	struct egw_neigh_stats stats;
	uint64_t rand;		   /* xorshift64 state */
	struct egw_rate icmp_rate; /* ICMP host unreachable, per second */
	struct egw_rate log_rate;  /* the log lines, per second */
	bool port_known[RTE_MAX_ETHPORTS];
	struct egw_neigh_port ports[RTE_MAX_ETHPORTS];
};

static inline uint64_t neigh_now(const struct egw_neigh_resolver *r)
{
	return r->p.clock_ms(r->p.ctx);
}

static inline const struct egw_neigh_port *neigh_port(const struct egw_neigh_resolver *r,
	uint16_t port)
{
	return port < RTE_MAX_ETHPORTS && r->port_known[port] ? &r->ports[port] : NULL;
}

static inline enum egw_neigh_state neigh_state(const struct egw_neigh_resolver *r, uint16_t slot)
{
	return (enum egw_neigh_state)__atomic_load_n(&r->slots[slot].state, __ATOMIC_RELAXED);
}

/* Counters have one writer; the atomic store only keeps readers' loads whole. */
static inline void neigh_count(uint64_t *c)
{
	__atomic_store_n(c, *c + 1, __ATOMIC_RELAXED);
}

static inline void neigh_drop(struct egw_neigh_resolver *r, struct rte_mbuf *m,
	enum egw_drop_reason reason)
{
	r->p.drops[reason]++;
	rte_pktmbuf_free(m);
}

/* neigh_resolve.c: the state changes ARP input makes. */
/*
 * ARP told MAC for SLOT. CONFIRMED (a unicast reply to us) makes it REACHABLE; otherwise a new
 * MAC is STALE (used, checked on use) and a known one changes nothing. OVERRIDE (gratuitous
 * ARP) replaces a MAC even within the lock time.
 */
void neigh_learned(struct egw_neigh_resolver *r, uint16_t slot, const struct rte_ether_addr *mac,
	bool confirmed, bool override, uint64_t now);

/* neigh_arp.c */
/* An ARP request for ADDR out of PORT: to DST_MAC (a unicast probe), NULL for broadcast. */
void neigh_arp_request(struct egw_neigh_resolver *r, uint16_t port, uint32_t addr_be,
	const struct rte_ether_addr *dst_mac);

#endif
