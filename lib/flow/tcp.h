/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOW_TCP_H
#define EGW_FLOW_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "pkt/pkt.h"

/*
 * May a TCP segment with FLAGS, from the inside and of no known flow, start one? A SYN (without
 * ACK) always; with PICKUP (a connection that began before a restart or a failover) also a
 * mid-stream segment, which carries ACK and neither SYN nor RST. A SYN+ACK, a RST or a segment
 * without ACK never does: none of them belongs to a connection this side is opening.
 */
bool egw_tcp_may_start(uint8_t flags, bool pickup);

/* State of a new TCP flow first seen with FLAGS from the inside (egw_tcp_may_start). */
uint8_t egw_tcp_initial_state(uint8_t flags);

/*
 * Advances F's TCP state for a packet with FLAGS in direction DIR: SYN, SYN+ACK, ACK to
 * established; a FIN each way to closing, and the next segment with ACK and no FIN (the last
 * ACK) to time-wait; a RST from any state to reset. Without sequence numbers the last ACK is
 * the first ACK after the second FIN, from either side: it comes from the side that closed
 * first in all but a reordered retransmission, which moves the flow to time-wait a little
 * early (the mapping stays for tcp_time_wait all the same).
 */
void egw_tcp_track(struct egw_flow *f, unsigned dir, uint8_t flags);

/* Does a segment with FLAGS leave F's state as egw_tcp_track() found it? An established flow's
 * ACK or data, which is almost every segment: inline, so that those skip the call. */
static inline bool egw_tcp_steady(const struct egw_flow *f, uint8_t flags)
{
	return f->state == EGW_TCP_ESTABLISHED &&
	       !(flags & (EGW_TCP_SYN | EGW_TCP_FIN | EGW_TCP_RST));
}

/*
 * Does a segment with FLAGS from the inside open a new connection on flow F's 5-tuple? A SYN
 * (without ACK) on a flow closing, in time-wait or reset: the client reuses its port (RFC 5382
 * REQ-5, RFC 7857 3.2). The caller ends F and starts a new flow; egw_tcp_track() never turns
 * a closed flow back into an opening one.
 */
static inline bool egw_tcp_reopens(const struct egw_flow *f, uint8_t flags)
{
	return (flags & (EGW_TCP_SYN | EGW_TCP_ACK | EGW_TCP_RST)) == EGW_TCP_SYN &&
	       f->state >= EGW_TCP_CLOSING && f->state <= EGW_TCP_RESET;
}

#endif
