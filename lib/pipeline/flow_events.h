/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOW_EVENTS_H
#define EGW_FLOW_EVENTS_H

#include <stdint.h>

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
	_(SHUTDOWN, "shutdown")

enum egw_flow_end {
#define EGW_END_ENUM(sym, name) EGW_END_##sym,
	EGW_FOREACH_END(EGW_END_ENUM)
#undef EGW_END_ENUM
	EGW_END_MAX
};

struct egw_flowlog_rec {
	uint32_t time;	   /* worker clock, seconds (see egw_flowlog_wall) */
	uint8_t event;	   /* enum egw_flow_event */
	uint8_t proto;
	uint8_t reason;	   /* END: enum egw_flow_end; DENY: enum egw_drop_reason */
	uint8_t worker;
	uint32_t src, dst, nat_src; /* network order */
	uint16_t sport, dport, nat_sport; /* network order; ICMP: the identifier */
	uint16_t pad;
	uint32_t policy;   /* counter slot (0 = the mode decided) */
	uint32_t duration; /* END: seconds since the flow started */
	uint32_t packets[2]; /* [0] inside -> outside, [1] replies */
	uint64_t bytes[2];
};
_Static_assert(sizeof(struct egw_flowlog_rec) == 64, "flow log records are one cache line");

#define EGW_FLOWLOG_RING_SIZE 4096 /* records per worker between two control-thread drains */

const char *egw_flow_event_name(enum egw_flow_event ev);
const char *egw_flow_end_name(enum egw_flow_end reason);

#endif
