/* SPDX-License-Identifier: BSD-3-Clause */
/* TCP window tracking (lib/flow/tcp_window.c): the arithmetic, segment by segment. */
#include <string.h>

#include <CUnit/CUnit.h>

#include "egw_test.h"
#include "flow/flow.h"
#include "flow/tcp_window.h"
#include "pkt/pkt.h"

#define O EGW_DIR_ORIG
#define R EGW_DIR_REPLY
#define SYN EGW_TCP_SYN
#define ACK EGW_TCP_ACK
#define RST EGW_TCP_RST
#define FIN EGW_TCP_FIN

static struct egw_tcp_seg seg(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
	uint32_t payload)
{
	struct egw_tcp_seg s = { .seq = seq,
		.ack = ack,
		.win = win,
		.flags = flags,
		.wscale = EGW_TCP_NO_WSCALE };

	s.len = payload + !!(flags & SYN) + !!(flags & FIN);
	return s;
}

static enum egw_tcp_fit send_seg(struct egw_tcp_window *tw, unsigned dir, uint8_t flags,
	uint32_t seq, uint32_t ack, uint16_t win, uint32_t payload)
{
	const struct egw_tcp_seg s = seg(flags, seq, ack, win, payload);

	return egw_tcp_window_check(tw, dir, &s);
}

/* A handshake: client ISN CI, server ISN SI, windows W (SYN: unscaled) with the shifts
 * CS, SS (EGW_TCP_NO_WSCALE: no option). */
static void handshake(struct egw_tcp_window *tw, uint32_t ci, uint32_t si, uint16_t w, uint8_t cs,
	uint8_t ss)
{
	struct egw_tcp_seg s;

	memset(tw, 0, sizeof(*tw));
	s = seg(SYN, ci, 0, w, 0);
	s.wscale = cs;
	CU_ASSERT_EQUAL(egw_tcp_window_check(tw, O, &s), EGW_TCP_FITS);
	s = seg(SYN | ACK, si, ci + 1, w, 0);
	s.wscale = ss;
	CU_ASSERT_EQUAL(egw_tcp_window_check(tw, R, &s), EGW_TCP_FITS);
	CU_ASSERT_EQUAL(send_seg(tw, O, ACK, ci + 1, si + 1, w, 0), EGW_TCP_FITS);
}

/* Data both ways, retransmissions, and what lies past the window or too far behind. */
static void test_tcp_window_data(void)
{
	struct egw_tcp_window tw;
	const uint32_t ci = 1000, si = 5000;

	handshake(&tw, ci, si, 1000, EGW_TCP_NO_WSCALE, EGW_TCP_NO_WSCALE);
	/* The server's window is 1000 bytes: the client may send up to there. */
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, ci + 1, si + 1, 1000, 500), EGW_TCP_FITS);
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, ci + 501, si + 1, 1000, 500), EGW_TCP_FITS);
	/* Retransmission of the first 500 bytes: within one window behind. */
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, ci + 1, si + 1, 1000, 500), EGW_TCP_FITS);
	/* Beyond the window the server advertised (ack ci+1 + 1000): out. */
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, ci + 1 + 1000 + 1, si + 1, 1000, 10),
		EGW_TCP_OUT_OF_WINDOW);
	/* Far behind (more than the server's largest window): out. */
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, ci - 5000, si + 1, 1000, 10), EGW_TCP_OUT_OF_WINDOW);
	/* The server acks everything and opens further: the client may go on. */
	CU_ASSERT_EQUAL(send_seg(&tw, R, ACK, si + 1, ci + 1001, 1000, 0), EGW_TCP_FITS);
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, ci + 1001, si + 1, 1000, 1000), EGW_TCP_FITS);
	/* An ack of bytes the client never sent: out. */
	CU_ASSERT_EQUAL(send_seg(&tw, R, ACK, si + 1, ci + 9000, 1000, 0), EGW_TCP_OUT_OF_WINDOW);
	/* An old ack (reordered) is fine. */
	CU_ASSERT_EQUAL(send_seg(&tw, R, ACK, si + 1, ci + 1, 1000, 0), EGW_TCP_FITS);
	/* An ack far older than any window: out. */
	CU_ASSERT_EQUAL(send_seg(&tw, R, ACK, si + 1, ci - 100000, 1000, 0), EGW_TCP_OUT_OF_WINDOW);
}

/* Sequence numbers wrap at 2^32: windows across the wrap work both ways. */
static void test_tcp_window_wrap(void)
{
	struct egw_tcp_window tw;
	const uint32_t ci = 0xffffff00u, si = 0xfffffff0u;

	handshake(&tw, ci, si, 1000, EGW_TCP_NO_WSCALE, EGW_TCP_NO_WSCALE);
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, ci + 1, si + 1, 1000, 600), EGW_TCP_FITS);
	CU_ASSERT(tw.dir[O].end < 0x1000); /* wrapped */
	CU_ASSERT_EQUAL(send_seg(&tw, R, ACK, si + 1, ci + 601, 1000, 100), EGW_TCP_FITS);
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, ci + 601, si + 101, 1000, 900), EGW_TCP_FITS);
	/* Retransmission from before the wrap still fits. */
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, ci + 1, si + 101, 1000, 600), EGW_TCP_FITS);
	/* Half the sequence space away: out, whichever side of the wrap. */
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, ci + 0x80000000u, si + 101, 1000, 1),
		EGW_TCP_OUT_OF_WINDOW);
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, 0x7fff0000u, si + 101, 1000, 1),
		EGW_TCP_OUT_OF_WINDOW);
}

/* Window scale: only when both SYNs carry it, and never on the SYNs' own windows. */
static void test_tcp_window_scale(void)
{
	struct egw_tcp_window tw;
	const uint32_t ci = 1, si = 100;

	/* Both sides shift by 7: a window field of 1000 means 128,000 bytes. */
	handshake(&tw, ci, si, 1000, 7, 7);
	CU_ASSERT_EQUAL(tw.scale[O], 7);
	CU_ASSERT_EQUAL(tw.scale[R], 7);
	CU_ASSERT_EQUAL(send_seg(&tw, R, ACK, si + 1, ci + 1, 1000, 0), EGW_TCP_FITS);
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, ci + 100000, si + 1, 1000, 1000), EGW_TCP_FITS);
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, ci + 1 + 128000 + 1, si + 1, 1000, 1),
		EGW_TCP_OUT_OF_WINDOW);

	/* Only the client offers it: no scaling either way (RFC 7323 2.2). */
	handshake(&tw, ci, si, 1000, 7, EGW_TCP_NO_WSCALE);
	CU_ASSERT_EQUAL(tw.scale[O], 0);
	CU_ASSERT_EQUAL(tw.scale[R], 0);
	CU_ASSERT_EQUAL(send_seg(&tw, R, ACK, si + 1, ci + 1, 1000, 0), EGW_TCP_FITS);
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, ci + 1 + 1000 + 1, si + 1, 1000, 1),
		EGW_TCP_OUT_OF_WINDOW);

	/* Shifts above 14 count as 14. */
	handshake(&tw, ci, si, 1000, 20, 3);
	CU_ASSERT_EQUAL(tw.scale[O], EGW_TCP_MAX_WSCALE);
	CU_ASSERT_EQUAL(tw.scale[R], 3);
}

/* RFC 5961: a RST at rcv.nxt ends the connection; one elsewhere in the window is passed
 * without ending it; one outside the window is dropped. */
static void test_tcp_window_rst(void)
{
	struct egw_tcp_window tw;
	const uint32_t ci = 1000, si = 5000;

	handshake(&tw, ci, si, 10000, EGW_TCP_NO_WSCALE, EGW_TCP_NO_WSCALE);
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, ci + 1, si + 1, 10000, 100), EGW_TCP_FITS);
	CU_ASSERT_EQUAL(send_seg(&tw, R, ACK, si + 1, ci + 101, 10000, 0), EGW_TCP_FITS);
	/* Out of window, both ways: dropped. */
	CU_ASSERT_EQUAL(send_seg(&tw, R, RST, si + 1 + 3000000, 0, 0, 0), EGW_TCP_OUT_OF_WINDOW);
	CU_ASSERT_EQUAL(send_seg(&tw, O, RST | ACK, ci - 50000, si + 1, 0, 0),
		EGW_TCP_OUT_OF_WINDOW);
	/* In window, not at rcv.nxt: the receiver would answer with a challenge ACK. */
	CU_ASSERT_EQUAL(send_seg(&tw, R, RST, si + 1 + 5000, 0, 0, 0), EGW_TCP_RST_CHALLENGE);
	CU_ASSERT_EQUAL(send_seg(&tw, O, RST | ACK, ci + 300, si + 1, 0, 0), EGW_TCP_RST_CHALLENGE);
	/* A challenge RST teaches nothing: the edges did not move. */
	CU_ASSERT_EQUAL(tw.dir[R].end, si + 1);
	/* A SYN with a new ISN on the live connection (the client restarted): passed on, the
	 * edges untouched, so that the server's challenge ACK and the client's RST fit. */
	CU_ASSERT_EQUAL(send_seg(&tw, O, SYN, 0x70000000u, 0, 64000, 0), EGW_TCP_FITS);
	CU_ASSERT_EQUAL(tw.dir[O].end, ci + 101);
	CU_ASSERT_EQUAL(send_seg(&tw, R, ACK, si + 1, ci + 101, 10000, 0), EGW_TCP_FITS);
	/* Exactly at rcv.nxt: the sender's next sequence number... */
	CU_ASSERT_EQUAL(send_seg(&tw, R, RST, si + 1, 0, 0, 0), EGW_TCP_FITS);
	CU_ASSERT_EQUAL(send_seg(&tw, O, RST | ACK, ci + 101, si + 1, 0, 0), EGW_TCP_FITS);
	/* ... or what the receiver acknowledged last (data of the sender still in flight). */
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, ci + 101, si + 1, 10000, 200), EGW_TCP_FITS);
	CU_ASSERT_EQUAL(send_seg(&tw, O, RST, ci + 101, 0, 0, 0), EGW_TCP_FITS);
}

/* Keepalives (snd.nxt - 1, zero or one byte) and zero-window probes fit. */
static void test_tcp_window_probes(void)
{
	struct egw_tcp_window tw;
	const uint32_t ci = 1000, si = 5000;

	handshake(&tw, ci, si, 1000, EGW_TCP_NO_WSCALE, EGW_TCP_NO_WSCALE);
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, ci + 1, si + 1, 1000, 1000), EGW_TCP_FITS);
	/* The server takes it all and closes its window. */
	CU_ASSERT_EQUAL(send_seg(&tw, R, ACK, si + 1, ci + 1001, 0, 0), EGW_TCP_FITS);
	/* Zero-window probe: one byte at the edge. */
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, ci + 1001, si + 1, 1000, 1), EGW_TCP_FITS);
	/* But not ten bytes further. */
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, ci + 1011, si + 1, 1000, 1), EGW_TCP_OUT_OF_WINDOW);
	/* Keepalives from both sides: snd.nxt - 1, empty and with one byte. */
	CU_ASSERT_EQUAL(send_seg(&tw, R, ACK, si, ci + 1001, 0, 0), EGW_TCP_FITS);
	CU_ASSERT_EQUAL(send_seg(&tw, R, ACK, si, ci + 1001, 0, 1), EGW_TCP_FITS);
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, ci + 1001, si + 1, 1000, 0), EGW_TCP_FITS);
}

/* Picked up mid-stream: nothing is dropped until both directions were seen; then the windows
 * (with the largest shift, the real one being unknown) bound the segments. */
static void test_tcp_window_pickup(void)
{
	struct egw_tcp_window tw;
	const uint32_t cseq = 0x40000000u, sseq = 0x90000000u;

	memset(&tw, 0, sizeof(tw));
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, cseq, sseq, 100, 10), EGW_TCP_FITS);
	/* Only one side known: anything passes, even far away (and a RST teaches nothing). */
	CU_ASSERT_EQUAL(send_seg(&tw, O, RST, cseq + 0x70000000u, 0, 0, 0), EGW_TCP_FITS);
	CU_ASSERT_EQUAL(tw.dir[O].end, cseq + 10);
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, cseq + 10, sseq, 100, 10), EGW_TCP_FITS);
	/* The server's first segment teaches its side. */
	CU_ASSERT_EQUAL(send_seg(&tw, R, ACK, sseq, cseq + 20, 100, 50), EGW_TCP_FITS);
	CU_ASSERT_EQUAL(tw.scale[O], EGW_TCP_MAX_WSCALE);
	/* Within a (generously scaled) window: fits; a RST half the space away: out. */
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, cseq + 20, sseq + 50, 100, 1000), EGW_TCP_FITS);
	CU_ASSERT_EQUAL(send_seg(&tw, R, RST, sseq + 0x80000000u, 0, 0, 0), EGW_TCP_OUT_OF_WINDOW);
	CU_ASSERT_EQUAL(send_seg(&tw, R, RST, sseq + 50, 0, 0, 0), EGW_TCP_FITS);
}

/* Simultaneous open (RFC 5382 REQ-2): SYNs cross, then SYN+ACKs; all fit, data follows. */
static void test_tcp_window_simultaneous_open(void)
{
	struct egw_tcp_window tw;
	const uint32_t ci = 7000, si = 9000;

	memset(&tw, 0, sizeof(tw));
	CU_ASSERT_EQUAL(send_seg(&tw, O, SYN, ci, 0, 1000, 0), EGW_TCP_FITS);
	CU_ASSERT_EQUAL(send_seg(&tw, R, SYN, si, 0, 1000, 0), EGW_TCP_FITS);
	CU_ASSERT_EQUAL(send_seg(&tw, O, SYN | ACK, ci, si + 1, 1000, 0), EGW_TCP_FITS);
	CU_ASSERT_EQUAL(send_seg(&tw, R, SYN | ACK, si, ci + 1, 1000, 0), EGW_TCP_FITS);
	CU_ASSERT_EQUAL(send_seg(&tw, O, ACK, ci + 1, si + 1, 1000, 100), EGW_TCP_FITS);
	CU_ASSERT_EQUAL(send_seg(&tw, R, ACK, si + 1, ci + 101, 1000, 100), EGW_TCP_FITS);
	CU_ASSERT_EQUAL(send_seg(&tw, R, RST, si + 1 + 0x40000000u, 0, 0, 0),
		EGW_TCP_OUT_OF_WINDOW);
}

/* The fields come from the header; the window scale option from a SYN's options only. */
static void test_tcp_seg_read(void)
{
	uint8_t h[40] = { 0 };
	struct egw_tcp_seg s;

	h[4] = 0x12, h[5] = 0x34, h[6] = 0x56, h[7] = 0x78; /* seq */
	h[8] = 0x9a, h[11] = 0x01;			    /* ack */
	h[12] = 8 << 4;					    /* 32 bytes of header */
	h[14] = 0x01, h[15] = 0x02;			    /* window */
	h[20] = 1, h[21] = 3, h[22] = 3, h[23] = 9;	    /* NOP, wscale 9 */
	egw_tcp_seg_read(h, 40, SYN, &s);
	CU_ASSERT_EQUAL(s.seq, 0x12345678u);
	CU_ASSERT_EQUAL(s.ack, 0x9a000001u);
	CU_ASSERT_EQUAL(s.win, 0x0102);
	CU_ASSERT_EQUAL(s.len, 8 + 1);
	CU_ASSERT_EQUAL(s.wscale, 9);
	egw_tcp_seg_read(h, 40, ACK | FIN, &s);
	CU_ASSERT_EQUAL(s.len, 8 + 1);
	CU_ASSERT_EQUAL(s.wscale, EGW_TCP_NO_WSCALE);
	/* A broken option list (length past the header) ends the walk: no shift. */
	h[21] = 2, h[22] = 40;
	egw_tcp_seg_read(h, 40, SYN, &s);
	CU_ASSERT_EQUAL(s.wscale, EGW_TCP_NO_WSCALE);
	/* End of options before it: none either. */
	h[20] = 0, h[21] = 3, h[22] = 3, h[23] = 9;
	egw_tcp_seg_read(h, 40, SYN, &s);
	CU_ASSERT_EQUAL(s.wscale, EGW_TCP_NO_WSCALE);
}

void egw_test_register_tcp_window(void)
{
	EGW_SUITE("tcp_window", NULL, NULL, EGW_TEST(test_tcp_window_data),
		EGW_TEST(test_tcp_window_wrap), EGW_TEST(test_tcp_window_scale),
		EGW_TEST(test_tcp_window_rst), EGW_TEST(test_tcp_window_probes),
		EGW_TEST(test_tcp_window_pickup), EGW_TEST(test_tcp_window_simultaneous_open),
		EGW_TEST(test_tcp_seg_read));
}
