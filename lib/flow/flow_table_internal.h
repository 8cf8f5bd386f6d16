/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOW_TABLE_INTERNAL_H
#define EGW_FLOW_TABLE_INTERNAL_H

/*
 * The flow table's storage. lib/flow only (and its white-box unit tests): everyone else goes
 * through flow_table.h.
 */
#include "flow_index.h"
#include "flow_table.h"

struct egw_flow_table {
	struct egw_flow_index index;
	struct egw_flow *flows;
	/* Unused records, most recently freed first: each names the next (free_link()); no
	 * array of its own, so the list costs no memory per flow. */
	uint32_t free_head; /* capacity: none */
	uint32_t n_free;
	uint32_t capacity;
	uint32_t n_active; /* written by the owner, read by other threads (relaxed) */
	uint32_t expire_cursor;
	uint32_t timeout[EGW_FLOW_STATE_MAX]; /* seconds per state, from egw_flow_timeouts */
	/* udp_reply toward ports above the well-known ones: at least RFC 4787 REQ-5's 120 s. */
	uint32_t udp_reply_high;
	unsigned n_udp_ports; /* ports with a timeout of their own */
	/* seconds per UDP destination port 0-1023 (host order), 0 = the state's own */
	uint32_t udp_port_timeout[EGW_UDP_PORT_TIMEOUT_LAST + 1];
};

static inline uint32_t record_index(const struct egw_flow_table *ft, const struct egw_flow *f)
{
	return (uint32_t)(f - ft->flows);
}

/* The next unused record after F, while F is unused: kept in its last_seen, which only a live
 * flow has (every reader of a record checks its state first; a new flow's is set when it is
 * committed). */
static inline uint32_t *free_link(struct egw_flow *f)
{
	return &f->last_seen;
}

#endif
