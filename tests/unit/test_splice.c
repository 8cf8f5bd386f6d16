/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The splice of a late-bound connection (lib/flow/splice.c): sequence, SACK and timestamp
 * arithmetic across 2^32, window rescaling, and the checksum after every rewrite checked by a
 * full recomputation (tests/unit/pktgen.c, written independently of lib/pkt).
 */
#include <string.h>

#include <CUnit/CUnit.h>
#include <netinet/in.h>

#include "egw_test.h"
#include "flow/splice.h"
#include "pktgen.h"

#define ACK_F 0x10
#define FRAME_CAP 256

struct seg {
	uint8_t frame[FRAME_CAP];
	uint8_t *ip;
	struct rte_tcp_hdr *th;
	struct egw_tcp_opts o;
};

/* A segment with FLAGS, SEQ, ACK, window WIN, the option bytes OPTS (a multiple of 4) and 33
 * bytes of payload (an odd length: the checksum's padding byte is in play), checksums right. */
static void mkseg(struct seg *s, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
	const uint8_t *opts, unsigned opts_len)
{
	struct pg_pkt p = { .src = PG_IP(203, 0, 113, 9),
		.dst = PG_IP(198, 18, 0, 2),
		.proto = IPPROTO_TCP,
		.sport = 443,
		.dport = 40000,
		.tcp_flags = flags,
		.tcp_doff = (uint8_t)(5 + opts_len / 4),
		.seq = seq,
		.ack = ack,
		.payload_len = 33 };

	CU_ASSERT_FATAL(pg_build(s->frame, sizeof(s->frame), &p) > 0);
	s->ip = s->frame + PG_ETH_LEN;
	s->th = (struct rte_tcp_hdr *)(s->ip + 20);
	memcpy((uint8_t *)s->th + 20, opts, opts_len);
	pg_wr16((uint8_t *)s->th + 14, win);
	pg_fix_l4_csum(s->ip);
	CU_ASSERT_FATAL(pg_l4_csum_ok(s->ip));
	CU_ASSERT_FATAL(egw_tcp_opts_read(s->th, &s->o) == 0);
}

static uint8_t *hdr(struct seg *s)
{
	return (uint8_t *)s->th;
}

/* Timestamps, then SACK blocks (L1,R1), (L2,R2), as Linux lays them out. */
static unsigned ts_sack_opts(uint8_t *o, uint32_t tsval, uint32_t tsecr, uint32_t l1, uint32_t r1,
	uint32_t l2, uint32_t r2)
{
	static const uint8_t head[] = { 1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 5, 18 };

	memcpy(o, head, sizeof(head));
	pg_wr32(o + 4, tsval);
	pg_wr32(o + 8, tsecr);
	pg_wr32(o + 16, l1);
	pg_wr32(o + 20, r1);
	pg_wr32(o + 24, l2);
	pg_wr32(o + 28, r2);
	return 32;
}

/* Server->client: seq and TSval move forward, wrapping; TSecr and ack stay. */
static void test_splice_reply_wrap(void)
{
	const uint32_t server_isn = 0xfffffff0u, cookie = 0x00000010u;
	uint8_t opts[40];
	struct egw_splice sp;
	struct seg s;

	egw_splice_init(&sp, cookie, server_isn, true, 0xfffffffau, 0x00000100u, 7, 7);
	CU_ASSERT_EQUAL(sp.seq_delta, 0x20u);
	CU_ASSERT_EQUAL(sp.ts_delta, 0xfffffefau);
	CU_ASSERT_EQUAL(sp.flags, EGW_SPLICE_TS);
	/* The server's first data byte is server_isn + 1: the client expects cookie + 1. */
	mkseg(&s, ACK_F, server_isn + 1, 5000, 1000, opts,
		ts_sack_opts(opts, 0x100, 77, 0, 0, 0, 0));
	egw_splice_reply(&sp, s.th, &s.o);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 4), cookie + 1);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 8), 5000);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 24), 0xfffffffau);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 28), 77);
	CU_ASSERT_EQUAL(pg_rd16(hdr(&s) + 14), 1000);
	CU_ASSERT(pg_l4_csum_ok(s.ip));
	/* Later: both numbers wrap past 2^32 on the client's side. */
	mkseg(&s, ACK_F, 0xffffffe0u, 5000, 1000, opts, ts_sack_opts(opts, 0x110, 77, 0, 0, 0, 0));
	egw_splice_reply(&sp, s.th, &s.o);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 4), 0x00000000u);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 24), 0x0000000au);
	CU_ASSERT(pg_l4_csum_ok(s.ip));
	/* The SACK blocks of the server (about the client's data) are the client's numbers. */
	mkseg(&s, ACK_F, 1, 5000, 1000, opts, ts_sack_opts(opts, 1, 2, 100, 200, 300, 400));
	egw_splice_reply(&sp, s.th, &s.o);
	CU_ASSERT(pg_rd32(hdr(&s) + 36) == 100 && pg_rd32(hdr(&s) + 48) == 400);
	CU_ASSERT(pg_l4_csum_ok(s.ip));
}

/* Client->server: ack, SACK blocks (straddling the wrap) and TSecr move back. */
static void test_splice_orig_wrap(void)
{
	const uint32_t server_isn = 0x00000005u, cookie = 0xfffffff5u;
	uint8_t opts[40];
	struct egw_splice sp;
	struct seg s;

	egw_splice_init(&sp, cookie, server_isn, true, 0x10u, 0xfffffff0u, 7, 7);
	/* Acknowledging the cookie's SYN-ACK and 0x20 bytes: past the wrap on the client's side. */
	mkseg(&s, ACK_F, 1234, cookie + 0x21, 512, opts,
		ts_sack_opts(opts, 999, 0x15, cookie + 0x31, cookie + 0x41, 0xfffffff0u,
			0x00000010u));
	egw_splice_orig(&sp, s.th, &s.o);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 4), 1234);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 8), server_isn + 0x21);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 24), 999);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 28), 0xfffffff5u);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 36), server_isn + 0x31);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 40), server_isn + 0x41);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 44), 0xfffffff0u - sp.seq_delta);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 48), 0x00000010u - sp.seq_delta);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 48) - pg_rd32(hdr(&s) + 44), 0x20u);
	CU_ASSERT_EQUAL(pg_rd16(hdr(&s) + 14), 512);
	CU_ASSERT(pg_l4_csum_ok(s.ip));
	/* And back: the reply rewrite of the same numbers gives the client's view again. */
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 8) + sp.seq_delta, cookie + 0x21);
	/* A segment without ACK (a RST): the ack field is not a number, left alone; SACK still. */
	mkseg(&s, 0x04, 1234, 0xabcdef01u, 0, opts, ts_sack_opts(opts, 999, 0x15, 1, 2, 3, 4));
	egw_splice_orig(&sp, s.th, &s.o);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 8), 0xabcdef01u);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 28), 0x15);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 36), 1 - sp.seq_delta);
	CU_ASSERT(pg_l4_csum_ok(s.ip));
}

/* No timestamps on one half: TSval and TSecr pass as they are; no options at all. */
static void test_splice_no_ts(void)
{
	uint8_t opts[40];
	struct egw_splice sp;
	struct seg s;

	egw_splice_init(&sp, 1000, 500, false, 7, 9, 0, 0);
	CU_ASSERT_EQUAL(sp.flags, 0);
	mkseg(&s, ACK_F, 600, 2000, 100, opts, ts_sack_opts(opts, 5, 6, 1, 2, 3, 4));
	egw_splice_reply(&sp, s.th, &s.o);
	CU_ASSERT(pg_rd32(hdr(&s) + 4) == 1100 && pg_rd32(hdr(&s) + 24) == 5);
	CU_ASSERT(pg_l4_csum_ok(s.ip));
	mkseg(&s, ACK_F, 600, 2000, 100, opts, ts_sack_opts(opts, 5, 6, 1, 2, 3, 4));
	egw_splice_orig(&sp, s.th, &s.o);
	CU_ASSERT(pg_rd32(hdr(&s) + 8) == 1500 && pg_rd32(hdr(&s) + 28) == 6);
	CU_ASSERT(pg_rd32(hdr(&s) + 36) == (uint32_t)(1 - 500));
	CU_ASSERT(pg_l4_csum_ok(s.ip));
	mkseg(&s, ACK_F, 600, 2000, 100, opts, 0);
	egw_splice_reply(&sp, s.th, &s.o);
	CU_ASSERT(pg_rd32(hdr(&s) + 4) == 1100 && pg_l4_csum_ok(s.ip));
	mkseg(&s, ACK_F, 600, 2000, 100, opts, 0);
	egw_splice_orig(&sp, s.th, &s.o);
	CU_ASSERT(pg_rd32(hdr(&s) + 8) == 1500 && pg_l4_csum_ok(s.ip));
}

/* Values at odd offsets (a lone NOP before them) straddle three checksum words. */
static void test_splice_odd_offsets(void)
{
	/* NOP, TS, NOP, NOP, NOP, SACK of one block, NOP: TSval at 23, the block at 37. */
	uint8_t opts[28] = { 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 1, 5, 10, 0x80, 0, 0, 0, 0x80,
		0, 0, 9, 1, 0, 0, 0 };
	struct egw_splice sp;
	struct seg s;

	egw_splice_init(&sp, 0x12345678u, 0x9abcdef0u, true, 0x11111111u, 0x22222222u, 0, 0);
	mkseg(&s, ACK_F, 7, 0x12345679u, 100, opts, sizeof(opts));
	CU_ASSERT_EQUAL(s.o.ts_at, 23);
	CU_ASSERT_EQUAL(s.o.sack_at, 36);
	egw_splice_orig(&sp, s.th, &s.o);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 8), 0x9abcdef1u);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 27), 2u - sp.ts_delta);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 36), 0x80000000u - sp.seq_delta);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 40), 0x80000009u - sp.seq_delta);
	CU_ASSERT(pg_l4_csum_ok(s.ip));
	mkseg(&s, ACK_F, 7, 0x12345679u, 100, opts, sizeof(opts));
	egw_splice_reply(&sp, s.th, &s.o);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 23), 1u + sp.ts_delta);
	CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 4), 7u + sp.seq_delta);
	CU_ASSERT(pg_l4_csum_ok(s.ip));
}

/* The server's window field (scale SRV) as the client must read it (scale CLI). */
static uint16_t reply_win(uint8_t srv, uint8_t cli, uint16_t win)
{
	uint8_t opts[4];
	struct egw_splice sp;
	struct seg s;

	egw_splice_init(&sp, 1, 1, false, 0, 0, cli, srv);
	mkseg(&s, ACK_F, 1, 1, win, opts, 0);
	egw_splice_reply(&sp, s.th, &s.o);
	CU_ASSERT(pg_l4_csum_ok(s.ip));
	return pg_rd16(hdr(&s) + 14);
}

static void test_splice_window(void)
{
	struct egw_splice sp;
	uint8_t opts[4];
	struct seg s;

	CU_ASSERT_EQUAL(reply_win(7, 7, 1234), 1234);
	CU_ASSERT_EQUAL(reply_win(9, 7, 1000), 4000);	/* scale up */
	CU_ASSERT_EQUAL(reply_win(9, 7, 20000), 65535); /* clamped */
	CU_ASSERT_EQUAL(reply_win(14, 0, 1), 16384);
	CU_ASSERT_EQUAL(reply_win(14, 0, 4), 65535);
	CU_ASSERT_EQUAL(reply_win(2, 7, 6400), 200); /* scale down */
	CU_ASSERT_EQUAL(reply_win(2, 7, 31), 1);     /* an open window stays open */
	CU_ASSERT_EQUAL(reply_win(2, 7, 0), 0);	     /* a closed one closed */
	CU_ASSERT_EQUAL(reply_win(0, 14, 65535), 3);
	CU_ASSERT_EQUAL(reply_win(15, 0, 2), 32768); /* shifts over 14 count as 14 */

	/* Client->server: the server refused scaling, the client scales by 6. */
	egw_splice_init(&sp, 1, 1, false, 0, 0, 7, 0);
	egw_splice_orig_window(&sp, 6, false);
	CU_ASSERT(sp.flags & EGW_SPLICE_ORIG_WIN);
	mkseg(&s, ACK_F, 1, 1, 100, opts, 0);
	egw_splice_orig(&sp, s.th, &s.o);
	CU_ASSERT_EQUAL(pg_rd16(hdr(&s) + 14), 6400);
	CU_ASSERT(pg_l4_csum_ok(s.ip));
	mkseg(&s, ACK_F, 1, 1, 2000, opts, 0);
	egw_splice_orig(&sp, s.th, &s.o);
	CU_ASSERT_EQUAL(pg_rd16(hdr(&s) + 14), 65535);
	/* The server scales too, or the client does not: nothing to do. */
	egw_splice_orig_window(&sp, 6, true);
	CU_ASSERT_FALSE(sp.flags & EGW_SPLICE_ORIG_WIN);
	egw_splice_orig_window(&sp, EGW_TCP_NO_WSCALE, false);
	CU_ASSERT_FALSE(sp.flags & EGW_SPLICE_ORIG_WIN);
	mkseg(&s, ACK_F, 1, 1, 100, opts, 0);
	egw_splice_orig(&sp, s.th, &s.o);
	CU_ASSERT_EQUAL(pg_rd16(hdr(&s) + 14), 100);
}

/* Random segments, deltas and option layouts: each rewrite checked by recomputation, and the
 * numbers against the arithmetic done here. */
static void test_splice_random(void)
{
	uint64_t r = 12;

	for (unsigned n = 0; n < 2000; n++) {
		const uint64_t a = pg_rand(&r), b = pg_rand(&r);
		const uint32_t seq = (uint32_t)a, ack = (uint32_t)(a >> 32);
		const uint32_t tsval = (uint32_t)b, tsecr = (uint32_t)(b >> 32);
		uint8_t opts[40];
		struct egw_splice sp;
		struct seg s;
		const unsigned len = ts_sack_opts(opts, tsval, tsecr, seq, ack, tsecr, tsval);

		egw_splice_init(&sp, (uint32_t)pg_rand(&r), (uint32_t)pg_rand(&r), true,
			(uint32_t)pg_rand(&r), (uint32_t)pg_rand(&r), (uint8_t)(n % 15),
			(uint8_t)(n / 15 % 15));
		mkseg(&s, ACK_F, seq, ack, (uint16_t)b, opts, len);
		if (n & 1) {
			egw_splice_orig(&sp, s.th, &s.o);
			CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 8), ack - sp.seq_delta);
			CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 28), tsecr - sp.ts_delta);
			CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 44), tsecr - sp.seq_delta);
		} else {
			egw_splice_reply(&sp, s.th, &s.o);
			CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 4), seq + sp.seq_delta);
			CU_ASSERT_EQUAL(pg_rd32(hdr(&s) + 24), tsval + sp.ts_delta);
		}
		CU_ASSERT(pg_l4_csum_ok(s.ip));
	}
}

void egw_test_register_splice(void)
{
	EGW_SUITE("splice", NULL, NULL, EGW_TEST(test_splice_reply_wrap),
		EGW_TEST(test_splice_orig_wrap), EGW_TEST(test_splice_no_ts),
		EGW_TEST(test_splice_odd_offsets), EGW_TEST(test_splice_window),
		EGW_TEST(test_splice_random));
}
