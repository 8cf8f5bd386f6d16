/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOW_UDP_H
#define EGW_FLOW_UDP_H

#include "flow.h"

/*
 * UDP has no connection, so a flow's timer follows what it did (as Linux conntrack and pf
 * do): requests waiting for their answer (EGW_UDP_REQUEST) and an answered request
 * (EGW_UDP_ANSWERED: DNS, NTP, SNMP, a STUN check) get the short udp_reply timer; a flow
 * whose outside side sends again after answering, and so has sent at least as many datagrams
 * as the inside (media, VPN, a bulk transfer), is a stream (EGW_FLOW_UDP) and keeps the
 * RFC 4787 REQ-5 timer for good. A second answer to a retransmitted request is no stream: the
 * inside sent as many.
 *
 * A new request after the answer starts another exchange (back to EGW_UDP_REQUEST), not a
 * stream: a resolver that picks a fresh random port per query (RFC 5452) meets its own
 * earlier, answered tuples all the time, and a request/response client on one socket (NTP,
 * SNMP polling) is no stream either; each exchange refreshes the flow. Called per UDP packet
 * of a known flow, before its counters move (they count the packets before this one).
 */
static inline void egw_udp_track(struct egw_flow *f, unsigned dir)
{
	if (f->state == EGW_UDP_REQUEST) {
		if (dir == EGW_DIR_REPLY)
			f->state = EGW_UDP_ANSWERED;
	} else if (f->state == EGW_UDP_ANSWERED) {
		if (dir == EGW_DIR_ORIG)
			f->state = EGW_UDP_REQUEST;
		else if (f->packets[EGW_DIR_REPLY] >= f->packets[EGW_DIR_ORIG])
			f->state = EGW_FLOW_UDP;
	}
}

#endif
