/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOW_TCP_H
#define EGW_FLOW_TCP_H

#include <stdint.h>

#include "flow.h"

/* State of a new TCP flow first seen with FLAGS from the inside (SYN, or a pickup). */
uint8_t egw_tcp_initial_state(uint8_t flags);

/*
 * Advances F's TCP state for a packet with FLAGS in direction DIR. A SYN from the inside on a
 * closed or reset flow starts the connection again (port reuse by the client, RFC 5382 REQ-5).
 */
void egw_tcp_track(struct egw_flow *f, unsigned dir, uint8_t flags);

#endif
