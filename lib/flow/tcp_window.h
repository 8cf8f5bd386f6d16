/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOW_TCP_WINDOW_H
#define EGW_FLOW_TCP_WINDOW_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "pkt/pkt.h"

/*
 * TCP window tracking, the model of Linux conntrack and pf: per direction (the sender's view)
 * the highest sequence number it sent (end), the furthest its peer let it send (maxend: the
 * peer's ack plus window), the largest window it advertised (maxwin, scaled) and the highest
 * ack it sent (maxack: its rcv.nxt). A segment from S to R fits when
 *   seq <= S.maxend                       (no data beyond R's window),
 *   seq + len >= S.end - R.maxwin         (retransmissions reach back one window at most),
 *   ack <= R.end                          (no ack of bytes R never sent),
 *   ack >= R.end - max(S.maxwin, 66000)   (an old ack, as reordering brings, still fits).
 * Keepalives (snd.nxt - 1) and zero-window probes (one byte at the right edge: maxend counts
 * a zero window as one byte) fit. Window scale comes from the SYNs and applies only when both
 * carried the option (RFC 7323); a SYN's own window is never scaled.
 *
 * A direction is known from its first segment: a SYN, or (picked up mid-stream, no SYN seen)
 * any segment, whose scale cannot be known, so RFC 7323's largest (14) is assumed and the
 * check catches gross misfits only. Nothing is dropped until both directions are known.
 *
 * A SYN that does not fit is passed on without learning from it (a client that lost its
 * connection reconnecting from the same port: the server's challenge ACK draws the RST that
 * ends the old flow). RSTs follow RFC 5961: one at the receiver's rcv.nxt (S.end, or R's highest ack) ends the
 * connection; one elsewhere within the window is passed on (the endpoint answers with a
 * challenge ACK) without ending the flow; one outside is dropped like out-of-window data.
 */
struct egw_tcp_dir {
	uint32_t end;	 /* highest seq + len sent */
	uint32_t maxend; /* highest ack + max(window, 1) received from the peer */
	uint32_t maxwin; /* largest window advertised, scaled; >= 1 once known */
	uint32_t maxack; /* highest ack sent */
};

#define EGW_TCPW_KNOWN 0x01  /* a segment from this direction was seen */
#define EGW_TCPW_WSCALE 0x02 /* its SYN carried the window scale option */
#define EGW_TCPW_ACKED 0x04  /* it sent an ACK: maxack holds */

struct egw_tcp_window {
	struct egw_tcp_dir dir[2]; /* EGW_DIR_ORIG, EGW_DIR_REPLY: as the sender */
	uint8_t scale[2];	   /* shift of each direction's window field */
	uint8_t flags[2];	   /* EGW_TCPW_* */
};

/* What the window check needs of one segment (egw_tcp_seg_read). */
struct egw_tcp_seg {
	uint32_t seq, ack;
	uint32_t len;	/* payload bytes, plus one each for SYN and FIN */
	uint16_t win;	/* the window field, unscaled */
	uint8_t flags;	/* EGW_TCP_* */
	uint8_t wscale; /* SYN only: the window scale option's shift; EGW_TCP_NO_WSCALE if none */
};

#define EGW_TCP_NO_WSCALE 0xff
#define EGW_TCP_MAX_WSCALE 14 /* RFC 7323 2.3: larger shifts are used as 14 */

enum egw_tcp_fit {
	EGW_TCP_FITS,	       /* in window (or not checkable yet): pass, track */
	EGW_TCP_RST_CHALLENGE, /* a RST in window but not at rcv.nxt: pass, the flow goes on */
	EGW_TCP_OUT_OF_WINDOW, /* drop (tcp_out_of_window) */
};

/* The window scale option's shift in SYN header TCP; EGW_TCP_NO_WSCALE if none. */
uint8_t egw_tcp_seg_wscale(const uint8_t *tcp);

/*
 * Reads the segment fields from TCP header TCP (the parser checked its data offset against
 * L4_LEN, the TCP header and payload length). Inline: every tracked segment pays it, and the
 * caller's copy of the fields then stays in registers.
 */
static inline void egw_tcp_seg_read(const uint8_t *tcp, uint16_t l4_len, uint8_t flags,
	struct egw_tcp_seg *s)
{
	const unsigned doff = (unsigned)(tcp[12] >> 4) * 4;
	uint32_t v32;
	uint16_t v16;

	memcpy(&v32, tcp + 4, 4);
	s->seq = rte_be_to_cpu_32(v32);
	memcpy(&v32, tcp + 8, 4);
	s->ack = rte_be_to_cpu_32(v32);
	memcpy(&v16, tcp + 14, 2);
	s->win = rte_be_to_cpu_16(v16);
	s->flags = flags;
	s->len = l4_len - doff + !!(flags & EGW_TCP_SYN) + !!(flags & EGW_TCP_FIN);
	s->wscale = (flags & EGW_TCP_SYN) ? egw_tcp_seg_wscale(tcp) : EGW_TCP_NO_WSCALE;
}

/* The first segment S from direction D (or a SYN again before the peer answered): what the
 * windows start from. Out of line: once or twice a flow. */
void egw_tcp_window_learn_sender(struct egw_tcp_window *tw, unsigned d,
	const struct egw_tcp_seg *s);

/* The window check below is inline: every tracked segment of every flow pays it. An ack may
 * lag the peer's end by this much at least (Linux conntrack's MAXACKWINDOW): an
 * ACK overtaken by later ones on another path still fits while the windows are small. */
#define EGW_TCPW_MIN_ACK_WINDOW 66000u

/* Sequence arithmetic modulo 2^32 (RFC 9293 3.4): is A at or before B? */
static inline bool egw_tcpw_seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline bool egw_tcpw_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* Does segment S (ending at END, acknowledging ACK) from direction D fit the windows? */
static inline bool egw_tcpw_fits(const struct egw_tcp_window *tw, unsigned d,
	const struct egw_tcp_seg *s, uint32_t end, uint32_t ack)
{
	const struct egw_tcp_dir *me = &tw->dir[d], *peer = &tw->dir[d ^ 1];
	const uint32_t ack_window = RTE_MAX(me->maxwin, EGW_TCPW_MIN_ACK_WINDOW);

	return egw_tcpw_seq_le(s->seq, me->maxend) &&
	       egw_tcpw_seq_le(me->end - peer->maxwin, end) && egw_tcpw_seq_le(ack, peer->end) &&
	       egw_tcpw_seq_le(peer->end - ack_window, ack);
}

/* Is RST segment S from direction D at its receiver's rcv.nxt (RFC 5961 3.2)? */
static inline bool egw_tcpw_rst_exact(const struct egw_tcp_window *tw, unsigned d,
	const struct egw_tcp_seg *s)
{
	return s->seq == tw->dir[d].end ||
	       ((tw->flags[d ^ 1] & EGW_TCPW_ACKED) && s->seq == tw->dir[d ^ 1].maxack);
}

/* Segment S from direction D fits: move the edges. */
static inline void egw_tcpw_learn(struct egw_tcp_window *tw, unsigned d,
	const struct egw_tcp_seg *s, uint32_t end)
{
	struct egw_tcp_dir *me = &tw->dir[d], *peer = &tw->dir[d ^ 1];
	uint32_t win = (s->flags & EGW_TCP_SYN) ? s->win : (uint32_t)s->win << tw->scale[d];

	if (me->maxwin < win)
		me->maxwin = win;
	/* A RST carries no data (and, not checked yet, may be anyone's): no edge moves. */
	if (s->flags & EGW_TCP_RST)
		return;
	if (egw_tcpw_seq_lt(me->end, end))
		me->end = end;
	if (s->flags & EGW_TCP_ACK) {
		/* A zero window still lets one byte through: the probe (RFC 9293 3.8.6.1). */
		const uint32_t edge = s->ack + RTE_MAX(win, 1u);
		if (!(tw->flags[d] & EGW_TCPW_ACKED) || egw_tcpw_seq_lt(me->maxack, s->ack))
			me->maxack = s->ack;
		tw->flags[d] |= EGW_TCPW_ACKED;
		if (egw_tcpw_seq_lt(peer->maxend, edge))
			peer->maxend = edge;
	}
}

/* Checks segment S from direction D against TW and, when it fits, learns from it. */
static inline enum egw_tcp_fit egw_tcp_window_check(struct egw_tcp_window *tw, unsigned d,
	const struct egw_tcp_seg *s)
{
	const uint32_t end = s->seq + s->len;
	const bool peer_known = tw->flags[d ^ 1] & EGW_TCPW_KNOWN;

	if (!(tw->flags[d] & EGW_TCPW_KNOWN) || ((s->flags & EGW_TCP_SYN) && !peer_known)) {
		egw_tcp_window_learn_sender(tw, d, s);
	} else if (peer_known) {
		/* Without ACK (a RST) the segment acknowledges nothing: take the peer's end. */
		const uint32_t ack = (s->flags & EGW_TCP_ACK) ? s->ack : tw->dir[d ^ 1].end;
		/* A SYN that does not fit (a client reconnecting from the same port after a
		 * crash) is passed on unlearned, as Linux conntrack ignores it: the server's
		 * challenge ACK draws the client's RST, which ends the old flow. */
		if (!egw_tcpw_fits(tw, d, s, end, ack))
			return (s->flags & EGW_TCP_SYN) ? EGW_TCP_FITS : EGW_TCP_OUT_OF_WINDOW;
		if ((s->flags & EGW_TCP_RST) && !egw_tcpw_rst_exact(tw, d, s))
			return EGW_TCP_RST_CHALLENGE;
	}
	egw_tcpw_learn(tw, d, s, end);
	return EGW_TCP_FITS;
}

#endif
