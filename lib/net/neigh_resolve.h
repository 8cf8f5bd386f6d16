/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_NEIGH_RESOLVE_H
#define EGW_NEIGH_RESOLVE_H

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "common/drop.h"
#include "neigh.h"

/*
 * Neighbour resolution (ARP, RFC 826) on the control thread, with neighbours that age as in
 * Linux's neighbour table (and RFC 4861 7.3.2 for IPv6):
 *
 *   INCOMPLETE --reply--> REACHABLE --neighbor_reachable--> STALE --used--> PROBE
 *       |   ^                 ^                               |               |
 *       |   |                 +-----------reply---------------+---------------+
 *       |   +---------------- neighbor_probes unicast requests unanswered ---+
 *       +-- neighbor_probes broadcast requests unanswered --> FAILED (hold-down) --gc--> NONE
 *   STALE unused for neighbor_gc --> NONE (the slot stays, without a MAC)
 *
 * A stale MAC is still used; the first use starts the probe. While a neighbour has no MAC
 * (INCOMPLETE, FAILED, NONE), the workers hand its packets over: up to 4 wait for the answer;
 * when none comes they are dropped (neighbor_unresolved) and their senders get an ICMP host
 * unreachable (RFC 1812 4.3.3.1 and 5.2.7.1, rate-limited), as during the hold-down that
 * follows. Configured neighbours (STATIC) never age and ARP never replaces them.
 *
 * ARP updates the MAC of a neighbour it knows (a reply or a request from it, or a gratuitous
 * ARP), but not twice within a lock time while the neighbour is REACHABLE, unless gratuitous;
 * it creates none except from a request for our own address and for configured next hops.
 * ARP that claims one of our addresses, or an address of another port's subnet, is dropped as
 * arp_spoofed.
 *
 * It owns no thread and no clock: the caller runs it on one thread, gives it a clock, and
 * sends what it writes through callbacks.
 */
struct egw_neigh_resolver;

enum egw_neigh_state {
	EGW_NEIGH_ST_NONE = 0,	 /* no MAC and nothing running: new, or removed (neighbor_gc) */
	EGW_NEIGH_ST_INCOMPLETE, /* broadcast requests running; packets wait */
	EGW_NEIGH_ST_REACHABLE,	 /* confirmed within neighbor_reachable */
	EGW_NEIGH_ST_STALE,	 /* MAC in use but unconfirmed; the next use starts a probe */
	EGW_NEIGH_ST_PROBE,	 /* unicast requests to the MAC in use */
	EGW_NEIGH_ST_FAILED,	 /* unanswered: packets dropped until the hold-down ends */
	EGW_NEIGH_ST_STATIC,	 /* configured: never ages, never replaced */
	EGW_NEIGH_ST_MAX
};

/* "reachable", "stale", ...: for telemetry and logs. */
const char *egw_neigh_state_name(enum egw_neigh_state s);

/* What the resolver knows of a port. */
struct egw_neigh_port {
	uint32_t addr_be; /* the address it answers ARP for */
	uint8_t prefix_len;
	struct rte_ether_addr mac;
	uint32_t reachable_ms; /* base of the randomized reachable time (0.5x to 1.5x) */
	uint32_t probes;       /* requests of a probe, and of a resolution, before giving up */
	uint32_t gc_ms;	       /* a stale or failed neighbour unused this long is removed */
};

struct egw_neigh_params {
	struct egw_neigh_table *table; /* the resolver writes it; workers read it */
	struct rte_mempool *pool;      /* mbufs for the ARP frames it writes */
	/* Sends M (a frame the resolver wrote, or a held packet now addressed) out of PORT. */
	void (*tx)(void *ctx, struct rte_mbuf *m, uint16_t port);
	/* Runs M through the data path as if received on PORT: an ICMP error about a packet
	 * that could not be delivered, which the flow's worker translates back to the sender.
	 * NULL: no ICMP errors. */
	void (*rx)(void *ctx, struct rte_mbuf *m, uint16_t port);
	/* Monotonic milliseconds: the timers run on it (tests pass a clock they move). */
	uint64_t (*clock_ms)(void *ctx);
	void *ctx;
	/* EGW_DROP_MAX counters: packets the resolver frees, by reason (one thread writes). */
	uint64_t *drops;
	uint32_t icmp_per_s; /* ICMP host unreachable sent per second at most */
	uint64_t seed;	     /* of the reachable-time randomization */
};

/* Counters; one writer (the resolver's thread), any reader. */
struct egw_neigh_stats {
	uint64_t probes_sent;	   /* ARP requests sent to resolve or re-check a neighbour */
	uint64_t replies;	   /* ARP replies that confirmed a neighbour */
	uint64_t failures;	   /* resolutions and probes that got no answer */
	uint64_t mac_changes;	   /* a neighbour's MAC replaced by another */
	uint64_t unreachable_sent; /* ICMP host unreachable about packets dropped */
	uint64_t removed;	   /* neighbours removed after neighbor_gc unused */
};

/* One neighbour as observers see it. */
struct egw_neigh_view {
	uint32_t addr_be;
	uint16_t port;
	enum egw_neigh_state state;
	bool has_mac;
	struct rte_ether_addr mac;
	uint64_t age_ms; /* since its MAC was learned, changed or confirmed (0 if none) */
	uint8_t probes;	 /* requests sent by the running probe or resolution */
};

/* A resolver for TABLE's slots; NULL with rte_errno set on failure. */
struct egw_neigh_resolver *egw_neigh_resolver_create(const struct egw_neigh_params *p);
/* Frees R; its held packets must have been flushed (egw_neigh_flush). */
void egw_neigh_resolver_free(struct egw_neigh_resolver *r);

/* Declares DPDK port PORT; ARP on undeclared ports is dropped. 0 or -EINVAL. */
int egw_neigh_port_add(struct egw_neigh_resolver *r, uint16_t port,
	const struct egw_neigh_port *np);
/* A configured neighbour: never ages, never replaced by ARP. 0 or -ENOSPC (table full). */
int egw_neigh_add_static(struct egw_neigh_resolver *r, uint16_t port, uint32_t addr_be,
	const struct rte_ether_addr *mac);
/* A configured next hop: resolved now, before the first packet needs it; ARP may bring it
 * back after it was removed. 0 or -ENOSPC. */
int egw_neigh_add_nexthop(struct egw_neigh_resolver *r, uint16_t port, uint32_t addr_be);
/* Gratuitous ARP for every port's address: neighbours that cached an older MAC update. */
void egw_neigh_announce(struct egw_neigh_resolver *r);

/* An ARP frame received on M->port (parsed as ARP by the caller). Takes M. */
void egw_neigh_arp_input(struct egw_neigh_resolver *r, struct rte_mbuf *m);
/*
 * A packet a worker could not send: M->port is its exit port, M->hash.usr its next hop
 * (network order). Sent as soon as the next hop's MAC is known, or dropped. Takes M.
 */
void egw_neigh_hold(struct egw_neigh_resolver *r, struct rte_mbuf *m);
/* Ages neighbours, sends the requests that are due, gives up; call every 100 ms or so. */
void egw_neigh_timers(struct egw_neigh_resolver *r);
/* Frees every held packet, counting REASON (shutdown). */
void egw_neigh_flush(struct egw_neigh_resolver *r, enum egw_drop_reason reason);

/*
 * Observers (any thread). Slot SLOT (below egw_neigh_count() of the table) into *V; false
 * when it holds no neighbour (never resolved, or removed).
 */
bool egw_neigh_view(const struct egw_neigh_resolver *r, uint32_t slot, struct egw_neigh_view *v);
const struct egw_neigh_table *egw_neigh_table_of(const struct egw_neigh_resolver *r);
void egw_neigh_stats_get(const struct egw_neigh_resolver *r, struct egw_neigh_stats *out);

#endif
