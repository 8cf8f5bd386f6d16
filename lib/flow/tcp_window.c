/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "pkt/pkt.h"
#include "tcp_opts.h"
#include "tcp_window.h"

/* An ack may lag the peer's end by this much at least (Linux conntrack's MAXACKWINDOW): an
 * ACK overtaken by later ones on another path still fits while the windows are small. */
#define MIN_ACK_WINDOW 66000u

/* Sequence arithmetic modulo 2^32 (RFC 9293 3.4): is A at or before B? */
static inline bool seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

uint8_t egw_tcp_seg_wscale(const uint8_t *tcp)
{
	struct egw_tcp_opts o;

	/* A broken option list ends the walk, as a receiver's does: what came before holds. */
	(void)egw_tcp_opts_read((const struct rte_tcp_hdr *)tcp, &o);
	return o.wscale;
}

/* Both SYNs seen: the shifts hold only if both carried the option (RFC 7323 2.2). */
static void settle_scales(struct egw_tcp_window *tw)
{
	if (!(tw->flags[0] & tw->flags[1] & EGW_TCPW_WSCALE))
		tw->scale[0] = tw->scale[1] = 0;
}

#define EGW_TCPW_SYN 0x08 /* known from its SYN (else picked up mid-stream) */

/* The first segment from direction D (or a SYN again before the peer answered). */
static void learn_sender(struct egw_tcp_window *tw, unsigned d, const struct egw_tcp_seg *s)
{
	struct egw_tcp_dir *me = &tw->dir[d];

	me->end = s->seq + s->len;
	if (s->flags & EGW_TCP_SYN) {
		tw->flags[d] = EGW_TCPW_KNOWN | EGW_TCPW_SYN;
		tw->scale[d] = 0;
		if (s->wscale != EGW_TCP_NO_WSCALE) {
			tw->flags[d] |= EGW_TCPW_WSCALE;
			tw->scale[d] = RTE_MIN(s->wscale, (uint8_t)EGW_TCP_MAX_WSCALE);
		}
		me->maxwin = RTE_MAX((uint32_t)s->win, 1u); /* a SYN's window is not scaled */
		me->maxend = me->end;
		if (tw->flags[d ^ 1] & EGW_TCPW_SYN)
			settle_scales(tw);
		return;
	}
	/* Picked up mid-stream: the shift is unknown, assume the largest. */
	tw->flags[d] = EGW_TCPW_KNOWN;
	tw->scale[d] = EGW_TCP_MAX_WSCALE;
	me->maxwin = RTE_MAX((uint32_t)s->win << EGW_TCP_MAX_WSCALE, 1u);
	me->maxend = me->end + me->maxwin;
}

/* Does segment S (ending at END, acknowledging ACK) from direction D fit the windows? */
static bool fits(const struct egw_tcp_window *tw, unsigned d, const struct egw_tcp_seg *s,
	uint32_t end, uint32_t ack)
{
	const struct egw_tcp_dir *me = &tw->dir[d], *peer = &tw->dir[d ^ 1];
	const uint32_t ack_window = RTE_MAX(me->maxwin, MIN_ACK_WINDOW);

	return seq_le(s->seq, me->maxend) && seq_le(me->end - peer->maxwin, end) &&
	       seq_le(ack, peer->end) && seq_le(peer->end - ack_window, ack);
}

/* Is RST segment S from direction D at its receiver's rcv.nxt (RFC 5961 3.2)? */
static bool rst_exact(const struct egw_tcp_window *tw, unsigned d, const struct egw_tcp_seg *s)
{
	return s->seq == tw->dir[d].end ||
	       ((tw->flags[d ^ 1] & EGW_TCPW_ACKED) && s->seq == tw->dir[d ^ 1].maxack);
}

/* Segment S from direction D fits: move the edges. */
static void learn(struct egw_tcp_window *tw, unsigned d, const struct egw_tcp_seg *s, uint32_t end)
{
	struct egw_tcp_dir *me = &tw->dir[d], *peer = &tw->dir[d ^ 1];
	uint32_t win = (s->flags & EGW_TCP_SYN) ? s->win : (uint32_t)s->win << tw->scale[d];

	if (me->maxwin < win)
		me->maxwin = win;
	/* A RST carries no data (and, not checked yet, may be anyone's): no edge moves. */
	if (s->flags & EGW_TCP_RST)
		return;
	if (seq_lt(me->end, end))
		me->end = end;
	if (s->flags & EGW_TCP_ACK) {
		/* A zero window still lets one byte through: the probe (RFC 9293 3.8.6.1). */
		const uint32_t edge = s->ack + RTE_MAX(win, 1u);
		if (!(tw->flags[d] & EGW_TCPW_ACKED) || seq_lt(me->maxack, s->ack))
			me->maxack = s->ack;
		tw->flags[d] |= EGW_TCPW_ACKED;
		if (seq_lt(peer->maxend, edge))
			peer->maxend = edge;
	}
}

enum egw_tcp_fit egw_tcp_window_check(struct egw_tcp_window *tw, unsigned d,
	const struct egw_tcp_seg *s)
{
	const uint32_t end = s->seq + s->len;
	const bool peer_known = tw->flags[d ^ 1] & EGW_TCPW_KNOWN;

	if (!(tw->flags[d] & EGW_TCPW_KNOWN) || ((s->flags & EGW_TCP_SYN) && !peer_known)) {
		learn_sender(tw, d, s);
	} else if (peer_known) {
		/* Without ACK (a RST) the segment acknowledges nothing: take the peer's end. */
		const uint32_t ack = (s->flags & EGW_TCP_ACK) ? s->ack : tw->dir[d ^ 1].end;
		/* A SYN that does not fit (a client reconnecting from the same port after a
		 * crash) is passed on unlearned, as Linux conntrack ignores it: the server's
		 * challenge ACK draws the client's RST, which ends the old flow. */
		if (!fits(tw, d, s, end, ack))
			return (s->flags & EGW_TCP_SYN) ? EGW_TCP_FITS : EGW_TCP_OUT_OF_WINDOW;
		if ((s->flags & EGW_TCP_RST) && !rst_exact(tw, d, s))
			return EGW_TCP_RST_CHALLENGE;
	}
	learn(tw, d, s, end);
	return EGW_TCP_FITS;
}
