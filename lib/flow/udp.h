/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOW_UDP_H
#define EGW_FLOW_UDP_H

#include "flow.h"

/*
 * UDP has no connection, so a flow's timer follows what it did (as Linux conntrack and pf
 * do): requests only (EGW_UDP_REQUEST) and one request/response exchange (EGW_UDP_ANSWERED:
 * DNS, NTP, SNMP, a STUN check) get the short udp_reply timer; any packet after the reply,
 * either way, makes the flow a stream (EGW_FLOW_UDP), which keeps the RFC 4787 REQ-5 timer.
 * A stream stays one. Called per UDP packet of a known flow, before its counters move.
 */
static inline void egw_udp_track(struct egw_flow *f, unsigned dir)
{
	if (f->state == EGW_UDP_REQUEST) {
		if (dir == EGW_DIR_REPLY)
			f->state = EGW_UDP_ANSWERED;
	} else if (f->state == EGW_UDP_ANSWERED) {
		f->state = EGW_FLOW_UDP;
	}
}

#endif
