/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOW_EVENTS_H
#define EGW_FLOW_EVENTS_H

#include <stdint.h>

#include "flow/flow.h"

/*
 * Flow log records: what a worker knows when a flow starts, is denied or ends, as one fixed
 * 64-byte record on its own SP/SC ring. The control thread formats and writes them (lib/
 * telemetry/flowlog.c); a worker never formats, never waits: a full ring is counted
 * (flow_log_dropped) and the record lost.
 */
enum egw_flow_event { EGW_EV_START, EGW_EV_DENY, EGW_EV_END, EGW_EV_MAX };

/* Why a flow ended. */
#define EGW_FOREACH_END(_)                                                                         \
	_(IDLE, "idle_timeout")                                                                    \
	_(TCP_CLOSED, "tcp_closed")                                                                \
	_(TCP_RESET, "tcp_reset")                                                                  \
	_(REVOKED, "revoked")                                                                      \
	_(FLUSHED, "flushed")                                                                      \
	_(SHUTDOWN, "shutdown")                                                                    \
	_(REUSED, "reused")                                                                        \
	_(RECLAIMED, "reclaimed")

enum egw_flow_end {
#define EGW_END_ENUM(sym, name) EGW_END_##sym,
	EGW_FOREACH_END(EGW_END_ENUM)
#undef EGW_END_ENUM
		EGW_END_MAX
};

/*
 * The flow log's clock: the TSC in units of 2^16 cycles (16-33 us at 2-4 GHz), plus a
 * per-worker offset that makes it count from the Unix epoch, so that flow ids differ across
 * reboots too. A worker stamps records with the TSC it read at the top of its loop (no extra
 * read per record); the control thread turns stamps into milliseconds of wall-clock time.
 */
#define EGW_FLOWLOG_CLOCK_SHIFT 16

static inline uint64_t egw_flowlog_clock(uint64_t tsc, uint64_t epoch)
{
	return (tsc >> EGW_FLOWLOG_CLOCK_SHIFT) + epoch;
}

/*
 * A flow id: the flow log clock when the flow started (48 bits), the worker (4 bits) and a
 * sequence within that clock unit (12 bits). A worker's ids only grow, so every flow of a
 * run has its own, and START and END records of one flow carry the same.
 */
#define EGW_FLOW_ID_SEQ_BITS 12
#define EGW_FLOW_ID_WORKER_BITS 4
#define EGW_FLOW_ID_CLOCK_SHIFT (EGW_FLOW_ID_SEQ_BITS + EGW_FLOW_ID_WORKER_BITS)

static inline uint64_t egw_flow_id_clock(uint64_t id)
{
	return id >> EGW_FLOW_ID_CLOCK_SHIFT;
}

struct egw_flowlog_rec {
	uint32_t stamp; /* flow log clock, low 32 bits (the reader knows the rest) */
	uint8_t event;	/* enum egw_flow_event */
	uint8_t proto;
	uint8_t reason; /* END: enum egw_flow_end; DENY: enum egw_drop_reason */
	uint8_t worker;
	uint64_t flow_id;		  /* START, END; 0 for DENY (no flow was made) */
	uint32_t src, dst, nat_src;	  /* network order */
	uint16_t sport, dport, nat_sport; /* network order; ICMP: the identifier */
	uint8_t name_len;		  /* bytes of the host name in the records that follow */
	uint8_t name_flags : 4;		  /* EGW_FLOWLOG_NAME_*: where the name came from */
	uint8_t state : 4;		  /* END: enum egw_flow_state; DENY: EGW_FLOWLOG_DENY_* */
	uint32_t policy;		  /* counter slot (0 = the mode decided) */
	uint32_t packets[2];		  /* [0] inside -> outside, [1] replies */
	uint64_t bytes[2];
};
_Static_assert(sizeof(struct egw_flowlog_rec) == 64, "flow log records are one cache line");
_Static_assert(EGW_FLOW_STATE_MAX <= 16, "a flow state fits the 4 bits of egw_flowlog_rec.state");

/*
 * A record of a flow decided by its host name carries the name in the records right after it
 * on the ring (raw bytes, 64 per record, not NUL-terminated), enqueued with it at once: a
 * reader that takes the first takes them all.
 */
#define EGW_FLOWLOG_NAME_TLS 0x01  /* the SNI of its ClientHello */
#define EGW_FLOWLOG_NAME_HTTP 0x02 /* the Host of its first request */
#define EGW_FLOWLOG_NAME_ECH 0x04  /* the ClientHello carried encrypted_client_hello */
#define EGW_FLOWLOG_LATE 0x08	   /* the flow was bound late (issue 12), named or not */
#define EGW_FLOWLOG_NAME_RECS(len) (((unsigned)(len) + 63u) / 64u)
#define EGW_FLOWLOG_NAME_RECS_MAX EGW_FLOWLOG_NAME_RECS(255)

/* What a DENY record's refusal did with the packet (its action). */
#define EGW_FLOWLOG_DENY_DROP 0	  /* dropped silently */
#define EGW_FLOWLOG_DENY_REJECT 1 /* answered: TCP RST, ICMP 3/13 (unless rate-limited) */

#define EGW_FLOWLOG_RING_SIZE 4096 /* records per worker between two control-thread drains */

const char *egw_flow_event_name(enum egw_flow_event ev);
const char *egw_flow_end_name(enum egw_flow_end reason);

#endif
