/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOW_TCP_WINDOW_H
#define EGW_FLOW_TCP_WINDOW_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>

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

/* Checks segment S from direction DIR against TW and, when it fits, learns from it. */
enum egw_tcp_fit egw_tcp_window_check(struct egw_tcp_window *tw, unsigned dir,
	const struct egw_tcp_seg *s);

#endif
