/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_TELEMETRY_H
#define EGW_TELEMETRY_H

#include <stdint.h>

#include "net/neigh_resolve.h"
#include "pipeline/dataplane.h"
#include "policy/slots.h"

/*
 * The /egw/ commands of the DPDK telemetry socket. Callbacks run on the telemetry thread and
 * only read: per-worker counters and plain copies the control thread keeps for them (never a
 * snapshot, which could be freed under them).
 */
struct egw_tel_source {
	const char *version;
	const char *config_path;
	const char *config_sha256;
	uint64_t start_tsc;
	volatile int *mode;		   /* enum egw_mode */
	volatile uint64_t *generation;
	const char *last_reload;	   /* owned by the control thread, NUL-terminated */
	struct egw_dataplane *dp; /* non-const: flow requests go through worker mailboxes */
	const struct egw_policy_slots *slots;
	/* Ports never change while running. Pools change at a reload: the control thread makes
	 * *conf_seq odd while it rewrites them (a sequence count; readers retry). */
	const struct egw_conf *conf;
	const uint16_t *port_ids; /* DPDK port id of conf->ports[i] */
	const volatile uint32_t *conf_seq;
	/* Neighbours (ARP): the resolver's views and counters are safe to read from any
	 * thread. NULL: none (tests). */
	const struct egw_neigh_resolver *neigh;
};

/* Registers the commands; SRC must outlive the process' telemetry. 0 or -errno. */
int egw_telemetry_register(const struct egw_tel_source *src);

/* SHA-256 of a file as 64 hex digits (OpenSSL EVP). 0 or -errno. */
int egw_sha256_file(const char *path, char hex[65]);

#endif
