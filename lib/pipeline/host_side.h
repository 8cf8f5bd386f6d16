/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_HOST_SIDE_H
#define EGW_HOST_SIDE_H

/*
 * Pipeline-internal: what a worker keeps beside its flow table for host-name policies
 * (lib/policy/decide.h), indexed by egw_flow_index():
 *
 * - pending flows (host_pending.c): a TCP flow a tls/http rule could decide passes its
 *   handshake with EGW_FLOW_F_PENDING; its first client segments are held here (flow_hold.h)
 *   until lib/l7 reads the name, then it is allowed (the segments go on, in order) or reset
 *   toward both ends. At most EGW_HOST_PENDING_MAX flows per worker wait at once.
 * - the name a flow was admitted with (host_names.c): the SNI / Host of a flow that waited,
 *   or the name learned from DNS that admitted it (lib/pipeline/flow_named.c), for the
 *   re-check after a reload (an expired learned name never cuts the flow it admitted), the
 *   flow log and /egw/flows: a slot of a table with one per flow record.
 *
 * Memory (plain calloc, slots handed out from the start of the tables and reused: pages
 * beyond the most ever in use at once are never touched, so never backed): 8 bytes per flow
 * record (two slot indexes), a pending slot ~600 bytes (late-bound flows wait in one too), a name slot 264 bytes. Worker only.
 */
#include <stdint.h>

#include "flow/tcp_opts.h"
#include "flow_hold.h"
#include "policy/decide.h"

#define EGW_HOST_PENDING_MAX 16384u
#define EGW_HOST_STREAM_MAX 65536u /* host_hold_bytes' largest value */

/* A late-bound flow's two handshakes (late_bind.c), beside its pending slot. */
enum egw_late_step {
	EGW_LATE_NAME = 0, /* the client's handshake done (cookie): waiting for the name */
	EGW_LATE_SYN_SENT, /* allowed: our SYN is out, waiting for the server's SYN-ACK */
};

struct egw_late {
	struct egw_tcp_opts syn;  /* what the client's SYN offered, as its cookie carried it */
	struct rte_mempool *pool; /* where the segments the appliance writes come from */
	uint32_t cookie_isn;	  /* our SYN-ACK's sequence number */
	uint32_t our_tsval;	  /* our SYN-ACK's TSval (the client's ACK echoed it) */
	uint32_t cli_tsval;	  /* the client's latest TSval */
	uint32_t syn_at;	  /* worker clock: our SYN last sent */
	uint16_t cli_win;	  /* the client's latest window field */
	uint8_t step;		  /* enum egw_late_step */
	bool named;		  /* it waits for its name (else: a syn_cookies flow) */
};

struct egw_pending {
	struct egw_flow *f;   /* its flow (records never move); NULL when the slot is free */
	uint32_t next_free;   /* free: the next free slot + 1 (0 ends the list) */
	uint32_t deadline;    /* worker clock: when it is given up on (host_unknown) */
	uint32_t seq0;	      /* the client's first data byte: its SYN's sequence number + 1 */
	uint16_t via;	      /* the exit it was bound with (egw_verdict_via) */
	struct egw_late late; /* late-bound flows only (egw_flow.late) */
	struct egw_hold hold;
};

union egw_host_name_slot {
	struct egw_flow_name fn;
	uint32_t next_free; /* free: the next free slot + 1 */
};

struct egw_host_side {
	uint32_t capacity;    /* flow records */
	uint32_t *pending_of; /* per flow record: its pending slot + 1, 0: none */
	uint32_t *name_of;    /* per flow record: its name slot + 1, 0: none */
	struct egw_pending *pending;
	uint32_t n_pending, pending_free, pending_live;
	uint32_t pending_fresh; /* slots from here on were never used (not on the free list) */
	union egw_host_name_slot *names;
	uint32_t n_names, names_free, names_fresh;
	uint32_t held_total;  /* frame bytes held by every pending flow (host_hold_total) */
	uint32_t scan_second; /* worker clock of the last timeout scan */
	uint8_t stream[EGW_HOST_STREAM_MAX]; /* a pending flow's stream, reassembled */
};

/* For a worker of CAPACITY flow records. NULL when memory is short. */
struct egw_host_side *egw_host_side_create(uint32_t capacity);
/* Frees HS and any packets still held (uncounted: the workers are gone). */
void egw_host_side_free(struct egw_host_side *hs);

/* ---- names kept for the flow's life (host_names.c) ---- */

/* Keeps the name of verdict V for flow record IDX. False when the table is full. */
bool egw_host_name_keep(struct egw_host_side *hs, uint32_t idx, const struct egw_verdict *v);
/* The name flow record IDX keeps, or NULL. */
const struct egw_flow_name *egw_host_name_of(const struct egw_host_side *hs, uint32_t idx);
/* Forgets flow record IDX's name (the flow ends). */
void egw_host_name_drop(struct egw_host_side *hs, uint32_t idx);

#endif
