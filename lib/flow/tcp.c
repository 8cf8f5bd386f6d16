/* SPDX-License-Identifier: BSD-3-Clause */
#include "common/drop.h"
#include "pkt/pkt.h"
#include "tcp.h"

bool egw_tcp_may_start(uint8_t flags, bool pickup)
{
	if ((flags & (EGW_TCP_SYN | EGW_TCP_ACK)) == EGW_TCP_SYN)
		return true;
	return pickup && (flags & (EGW_TCP_SYN | EGW_TCP_ACK | EGW_TCP_RST)) == EGW_TCP_ACK;
}

uint8_t egw_tcp_initial_state(uint8_t flags)
{
	if ((flags & (EGW_TCP_SYN | EGW_TCP_ACK)) == EGW_TCP_SYN)
		return EGW_TCP_SYN_SENT;
	/* Picked up mid-stream (restart, failover): trust it as established; a FIN closes it. */
	return EGW_TCP_ESTABLISHED;
}

void egw_tcp_track(struct egw_flow *f, unsigned dir, uint8_t flags)
{
	if (flags & EGW_TCP_RST) {
		f->state = EGW_TCP_RESET;
		return;
	}
	switch (f->state) {
	case EGW_TCP_SYN_SENT:
		if (dir == EGW_DIR_REPLY &&
			(flags & (EGW_TCP_SYN | EGW_TCP_ACK)) == (EGW_TCP_SYN | EGW_TCP_ACK))
			f->state = EGW_TCP_SYN_RECV;
		break;
	case EGW_TCP_SYN_RECV:
		if (dir == EGW_DIR_ORIG && (flags & (EGW_TCP_SYN | EGW_TCP_ACK)) == EGW_TCP_ACK)
			f->state = EGW_TCP_ESTABLISHED;
		break;
	case EGW_TCP_CLOSING:
		/* The ACK of the second FIN: both sides are done. */
		if ((flags & (EGW_TCP_SYN | EGW_TCP_ACK | EGW_TCP_FIN)) == EGW_TCP_ACK) {
			f->state = EGW_TCP_TIME_WAIT;
			return;
		}
		break;
	default:
		break;
	}
	if (flags & EGW_TCP_FIN) {
		f->flags |= dir == EGW_DIR_ORIG ? EGW_FLOW_F_FIN_ORIG : EGW_FLOW_F_FIN_REPLY;
		/* Only an established connection closes: a FIN before the handshake completed or
		 * after a RST must not move the flow to the long half-closed timeout. */
		if (f->state != EGW_TCP_ESTABLISHED && f->state != EGW_TCP_FIN_WAIT &&
			f->state != EGW_TCP_CLOSING)
			return;
		if ((f->flags & (EGW_FLOW_F_FIN_ORIG | EGW_FLOW_F_FIN_REPLY)) ==
			(EGW_FLOW_F_FIN_ORIG | EGW_FLOW_F_FIN_REPLY))
			f->state = EGW_TCP_CLOSING;
		else if (f->state != EGW_TCP_CLOSING)
			f->state = EGW_TCP_FIN_WAIT;
	}
}
