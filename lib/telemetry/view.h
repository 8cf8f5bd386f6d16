/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_TEL_VIEW_H
#define EGW_TEL_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>

#include "telemetry.h"

/*
 * What /egw/ commands and /metrics report, gathered once for both, from the sources other
 * threads may read: counters, ethdev statistics, the port configuration, and a consistent
 * copy of a pool's configuration.
 */
struct egw_port_view {
	const struct egw_port_conf *conf;
	uint16_t id;
	uint16_t device; /* the DPDK port carrying it (ID unless it is a VLAN of another port) */
	bool link_up;
	uint32_t speed_mbps;
	uint16_t mtu;
	struct rte_ether_addr mac;
	struct rte_eth_stats st;
	uint64_t tx_full; /* packets its TX queues refused (drop reason tx_full), all workers */
	/* net_af_packet ports (AFP true): frames lost to a full RX ring of its sockets, and the
	 * kernel interface's own drop counters. 0 for other ports. */
	bool afp;
	uint64_t rx_ring_drops, if_rx_dropped, if_tx_dropped;
};

/* Port I of the configuration (I < conf->n_ports). */
void egw_view_port(const struct egw_tel_source *s, unsigned i, struct egw_port_view *v);
/* What the observer view says of the running configuration (the pools apart). */
struct egw_running {
	uint64_t generation;
	enum egw_mode mode;
	char config_sha256[65];
	uint32_t timeouts[5];
	struct egw_reload_result last_reload;
	unsigned n_pools;
};
/* -EBUSY when every observer reader id is taken (try again), else 0. */
int egw_view_running(const struct egw_tel_source *s, struct egw_running *out);
/*
 * Policy NAME of the running generation: its rule into *OUT, whose ORIGIN and TEXT point into
 * BUF (LEN bytes; the text cut at a line when longer: *CUT set); *GENERATION the generation.
 * 0, -ENOENT (no such policy), -EBUSY (every observer reader id taken).
 */
int egw_view_rule(const struct egw_tel_source *s, const char *name, struct egw_observer_rule *out,
	char *buf, size_t len, bool *cut, uint64_t *generation);
/* A copy of the pools in force. Returns the number of pools copied into OUT (EGW_MAX_POOLS
 * entries); 0 also when every observer reader id is taken. */
unsigned egw_view_pools(const struct egw_tel_source *s, struct egw_pool_conf *out);
/* Address A of POOL: ports held by flows, ports no flow holds, exhaustion drops. */
struct egw_addr_view {
	uint64_t in_use, free, exhausted;
};
void egw_view_pool_addr(const struct egw_dataplane *dp, const struct egw_pool_conf *pool,
	unsigned a, struct egw_addr_view *v);
/* The resolver's counters (all zero without a resolver). */
void egw_view_neigh_stats(const struct egw_tel_source *s, struct egw_neigh_stats *st);
/* Neighbours per state, removed ones (EGW_NEIGH_ST_NONE) not counted. */
void egw_view_neigh_states(const struct egw_tel_source *s, uint32_t counts[EGW_NEIGH_ST_MAX]);
/* The neighbour counters, named once: /egw/stats keys, and /metrics families as NAME_total. */
struct egw_view_counter {
	const char *name, *help;
	size_t off; /* in struct egw_neigh_stats */
};
#define EGW_VIEW_NEIGH_COUNTERS 6
extern const struct egw_view_counter egw_view_neigh_counters[EGW_VIEW_NEIGH_COUNTERS];

/* Ports of POOL per address. */
static inline uint32_t egw_view_pool_ports(const struct egw_pool_conf *pool)
{
	return (uint32_t)pool->port_last - pool->port_first + 1;
}

#endif
