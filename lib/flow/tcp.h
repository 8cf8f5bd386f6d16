/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOW_TCP_H
#define EGW_FLOW_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"

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
 * Advances F's TCP state for a packet with FLAGS in direction DIR. A SYN from the inside on a
 * closed or reset flow starts the connection again (port reuse by the client, RFC 5382 REQ-5).
 */
void egw_tcp_track(struct egw_flow *f, unsigned dir, uint8_t flags);

#endif
