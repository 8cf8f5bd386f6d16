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
 * Neighbour resolution (ARP, RFC 826) on the control thread: it answers ARP for the ports'
 * addresses, resolves next hops with retried requests, holds the packets workers could not
 * send for want of a MAC until the answer comes (or drops them when none does), and keeps the
 * neighbour table the workers read. It owns no thread and no clock: the caller runs it (one
 * thread only) and gives it a clock, and every frame it sends goes through the caller's TX
 * callback.
 */
struct egw_neigh_resolver;

/* What the resolver knows of a port: the address it answers for, its subnet, its MAC. */
struct egw_neigh_port {
	uint32_t addr_be;
	uint8_t prefix_len;
	struct rte_ether_addr mac;
};

struct egw_neigh_params {
	struct egw_neigh_table *table; /* the resolver writes it; workers read it */
	struct rte_mempool *pool;      /* mbufs for the ARP frames it writes */
	/* Sends M (a frame the resolver wrote, or a held packet now addressed) out of PORT. */
	void (*tx)(void *ctx, struct rte_mbuf *m, uint16_t port);
	/* Monotonic milliseconds: the timers run on it (tests pass a clock they move). */
	uint64_t (*clock_ms)(void *ctx);
	void *ctx;
	/* EGW_DROP_MAX counters: packets the resolver frees, by reason (one thread writes). */
	uint64_t *drops;
};

/* A resolver for TABLE's slots; NULL with rte_errno set on failure. */
struct egw_neigh_resolver *egw_neigh_resolver_create(const struct egw_neigh_params *p);
/* Frees R; its held packets must have been flushed (egw_neigh_flush). */
void egw_neigh_resolver_free(struct egw_neigh_resolver *r);

/* Declares DPDK port PORT; ARP on undeclared ports is dropped. 0 or -EINVAL. */
int egw_neigh_port_add(
	struct egw_neigh_resolver *r, uint16_t port, const struct egw_neigh_port *np);
/* A configured neighbour: never replaced by what ARP says. 0 or -ENOSPC (table full). */
int egw_neigh_add_static(struct egw_neigh_resolver *r, uint16_t port, uint32_t addr_be,
	const struct rte_ether_addr *mac);
/* A configured next hop: resolved now, before the first packet needs it. */
void egw_neigh_add_nexthop(struct egw_neigh_resolver *r, uint16_t port, uint32_t addr_be);
/* Gratuitous ARP for every port's address: neighbours that cached an older MAC update. */
void egw_neigh_announce(struct egw_neigh_resolver *r);

/* An ARP frame received on M->port (parsed as ARP by the caller). Takes M. */
void egw_neigh_arp_input(struct egw_neigh_resolver *r, struct rte_mbuf *m);
/*
 * A packet a worker could not send: M->port is its exit port, M->hash.usr its next hop
 * (network order). Sent as soon as the next hop's MAC is known, or dropped. Takes M.
 */
void egw_neigh_hold(struct egw_neigh_resolver *r, struct rte_mbuf *m);
/* Retries and gives up resolutions that are due; call every 100 ms or so. */
void egw_neigh_timers(struct egw_neigh_resolver *r);
/* Frees every held packet, counting REASON (shutdown). */
void egw_neigh_flush(struct egw_neigh_resolver *r, enum egw_drop_reason reason);

#endif
