/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_TELEMETRY_H
#define EGW_TELEMETRY_H

#include <stdint.h>

#include "net/neigh_resolve.h"
#include "pipeline/dataplane.h"
#include "observer.h"
#include "policy/slots.h"
#include "tunnel/tunnel.h"

/*
 * Names learned from DNS as the control thread last exported them (every 100 ms): written and
 * read with relaxed atomic loads and stores, field by field.
 */
struct egw_tel_names {
	uint64_t learned, refreshed, expired; /* (name, address) entries, since start */
	uint64_t evicted_name, evicted_total; /* dns_max_per_name, dns_max_entries */
	uint64_t journal_dropped;	      /* answers lost to a full worker journal */
	uint64_t views, publish_us_last;      /* views published; the last one's cost */
	uint64_t names, entries, bytes;	      /* now */
};

/*
 * The /egw/ commands of the DPDK telemetry socket. Callbacks run on the telemetry thread and
 * only read: per-worker counters, and the running configuration as the control thread
 * publishes it (the observer view, observer.h), never a worker's snapshot.
 */
struct rte_mempool;

struct egw_tel_source {
	const char *version;
	const char *config_path;
	uint64_t start_tsc;
	struct egw_rcu *observer; /* struct egw_observer_view, occasional readers */
	struct egw_dataplane *dp; /* non-const: flow requests go through worker mailboxes */
	const struct egw_policy_slots *slots;
	/* The configuration loaded at start: only what never changes while running is read
	 * here (ports, metrics listen, flow log path); the rest comes from the observer view. */
	const struct egw_conf *conf;
	const uint16_t *port_ids; /* DPDK port id of conf->ports[i] */
	/* How conf->ports[i]'s device spreads its packets over the workers (net/steer.h mode
	 * names); NULL: not known (tests). */
	const char *const *rx_steering;
	/* The receive offloads conf->ports[i]'s device was asked for (net/rx_offload.h names:
	 * "ipv4_cksum", or "none"); NULL: not known (tests). */
	const char *const *rx_offloads;
	/* Neighbours (ARP): the resolver's views and counters are safe to read from any
	 * thread. NULL: none (tests). */
	const struct egw_neigh_resolver *neigh;
	/* Names learned from DNS: the view (struct egw_names_view, occasional readers) and the
	 * table's counters. NULL: none (tests). */
	struct egw_rcu *names;
	const struct egw_tel_names *names_tel;
	/* The packet buffers (mbufs in use); NULL: none (tests). */
	const struct rte_mempool *pool;
	int64_t start_wall_ms; /* wall clock at start, ms since the Unix epoch */
	/* The tunnel service's counters (lib/tunnel egw_tunnel_stats() of CTX); NULL: off. */
	void (*tunnel_stats)(const void *ctx, struct egw_tunnel_stats *out);
	const void *tunnel_ctx;
};

/* Registers the commands; SRC must outlive the process' telemetry. 0 or -errno. */
int egw_telemetry_register(const struct egw_tel_source *src);

/* SHA-256 of a file as 64 hex digits (OpenSSL EVP). 0 or -errno. */
int egw_sha256_file(const char *path, char hex[65]);

#endif
