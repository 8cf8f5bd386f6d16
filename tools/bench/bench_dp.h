/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_BENCH_DP_H
#define EGW_BENCH_DP_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/dataplane_internal.h" /* drives one worker directly (white box) */
#include "policy/slots.h"

/*
 * The pipeline benchmark's appliance: one worker of a hand-built dataplane, as app/egressgw
 * would build it from an INI (inside port 198.18.0.1/24 with a route to 198.18.0.0/15 via an
 * inside router, outside port 203.0.113.2/30 with a default gateway, static neighbours for
 * both next hops, passthrough SNAT to 198.51.100.10-13, default pool settings, tcp_pickup).
 * The ports are ring-backed ethdevs (net_ring, rte_eth_from_rings): what the pipeline
 * transmits waits in the TX rings, where the caller takes the mbufs back to reuse them.
 * Shared with tests/unit/test_bench.c. Control path only; needs EAL.
 */

struct rte_mempool;
struct rte_ring;
struct rte_mbuf;

/* Two ring ports and a mempool, created once per process. */
struct bench_env {
	struct rte_mempool *mp;
	uint16_t port_in, port_out;
	struct rte_ring *rx[2], *tx[2];
	int ok;
};

/* TAG makes the DPDK object names unique (two environments may coexist). 0 or -1. */
int bench_env_init(struct bench_env *e, const char *tag, unsigned n_mbufs);
void bench_env_fini(struct bench_env *e);

/* Takes back up to MAX mbufs the pipeline transmitted, inside port's ring first. */
unsigned bench_env_take_tx(struct bench_env *e, struct rte_mbuf **out, unsigned max);

struct bench_dp_opts {
	uint32_t max_flows;  /* the worker's flow table ([flows] max with one worker) */
	uint32_t n_policies; /* 0: mode passthrough, no policy; else mode policy with N policies:
				N - 1 of one shape that no benchmark flow matches, and one allowing
				198.18.0.0/15 (tuple space: 2 masks) */
	uint32_t max_per_source; /* [pool] max_per_source (the default, 8192, when 0) */
	/* > 0 (instead of N_POLICIES): mode policy with N_HOST_RULES - 1 protocol = tls policies
	 * for port 443 naming other hosts (half of them wildcards, bench_host_pattern) and a last
	 * one naming HOST_NAME. */
	uint32_t n_host_rules;
	const char *host_name;
	bool no_window_check; /* [flows] tcp_window_check = no (default yes) */
	bool late_binding;    /* [egress] host_binding = late (issue 12) */
	bool latency;	      /* [metrics] latency = yes: the worker keeps an RX-to-TX histogram */
};

struct bench_dp {
	struct bench_env *env;
	struct egw_dataplane *dp;
	struct egw_worker *w;
	struct egw_conf *conf;
	struct egw_policy_slots slots;
	int slots_ok;
	size_t worker_heap_bytes; /* DPDK heap taken by egw_worker_create (flow table & co) */
	size_t worker_libc_bytes; /* libc heap taken by it (mallinfo2) */
};

/* 0 or -errno; on failure everything is released. */
int bench_dp_create(struct bench_dp *b, struct bench_env *e, const struct bench_dp_opts *o);
void bench_dp_free(struct bench_dp *b);

/*
 * A snapshot of B's configuration with N_RULES tls host rules as bench_dp_opts describes (the
 * last naming NAME), at generation GEN. NULL on failure.
 */
struct egw_snapshot *bench_dp_host_snapshot(struct bench_dp *b, uint32_t n_rules, const char *name,
	uint64_t gen);

/* Bytes allocated on the DPDK heaps (all sockets). */
size_t bench_heap_allocated(void);

/* Sum of the worker's drop counters. */
uint64_t bench_drops(const struct egw_worker *w);

#endif
