/* SPDX-License-Identifier: BSD-3-Clause */
/* TCP options (lib/flow/tcp_opts.c): reading, malformed lists, the options of a SYN. */
#include <string.h>

#include <CUnit/CUnit.h>

#include "egw_test.h"
#include "flow/tcp_opts.h"
#include "pktgen.h"

/* A TCP header in H with the option bytes OPTS (LEN, padded with EOL to a multiple of 4). */
static const struct rte_tcp_hdr *hdr_with(uint8_t *h, const uint8_t *opts, unsigned len)
{
	const unsigned padded = (len + 3) & ~3u;

	memset(h, 0, 60);
	memcpy(h + 20, opts, len);
	h[12] = (uint8_t)(((20 + padded) / 4) << 4);
	return (const struct rte_tcp_hdr *)h;
}

/* What Linux puts in a SYN: MSS, SACK-permitted, timestamps, NOP, window scale. */
static void test_tcp_opts_linux_syn(void)
{
	static const uint8_t syn[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0x11, 0x22, 0x33, 0x44, 0, 0,
		0, 0, 1, 3, 3, 7 };
	uint8_t h[60];
	struct egw_tcp_opts o;

	CU_ASSERT_EQUAL(egw_tcp_opts_read(hdr_with(h, syn, sizeof(syn)), &o), 0);
	CU_ASSERT_EQUAL(o.mss, 1460);
	CU_ASSERT_EQUAL(o.wscale, 7);
	CU_ASSERT_EQUAL(o.sack_ok, 1);
	CU_ASSERT_EQUAL(o.has_ts, 1);
	CU_ASSERT_EQUAL(o.ts_at, 28);
	CU_ASSERT_EQUAL(o.tsval, 0x11223344u);
	CU_ASSERT_EQUAL(o.tsecr, 0);
	CU_ASSERT_EQUAL(o.n_sack, 0);
}

/* NOP, NOP, TS (the fast path) and a list that only looks like it. */
static void test_tcp_opts_ts_and_sack(void)
{
	static const uint8_t ts[] = { 1, 1, 8, 10, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 9 };
	static const uint8_t sack[] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 5, 26, 0, 0, 0,
		10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 40, 0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0x10 };
	/* Four blocks without timestamps: 2 + 32 bytes. */
	static const uint8_t sack4[] = { 1, 1, 5, 34, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0,
		4, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0, 8 };
	uint8_t h[60];
	struct egw_tcp_opts o;

	CU_ASSERT_EQUAL(egw_tcp_opts_read(hdr_with(h, ts, sizeof(ts)), &o), 0);
	CU_ASSERT(o.has_ts && o.ts_at == 24 && o.tsval == 0xfffffffeu && o.tsecr == 9);
	CU_ASSERT_EQUAL(o.n_sack, 0);
	CU_ASSERT_EQUAL(o.wscale, EGW_TCP_NO_WSCALE);
	CU_ASSERT_EQUAL(o.mss, 0);

	CU_ASSERT_EQUAL(egw_tcp_opts_read(hdr_with(h, sack, sizeof(sack)), &o), 0);
	CU_ASSERT(o.has_ts && o.ts_at == 24 && o.tsval == 1 && o.tsecr == 2);
	CU_ASSERT_EQUAL(o.n_sack, 3);
	CU_ASSERT_EQUAL(o.sack_at, 36);
	CU_ASSERT_EQUAL(pg_rd32(h + o.sack_at), 10);
	CU_ASSERT_EQUAL(pg_rd32(h + o.sack_at + 20), 0x10);

	CU_ASSERT_EQUAL(egw_tcp_opts_read(hdr_with(h, sack4, sizeof(sack4)), &o), 0);
	CU_ASSERT_EQUAL(o.n_sack, 4);
	CU_ASSERT_EQUAL(o.sack_at, 24);
	CU_ASSERT_FALSE(o.has_ts);
}

/* Known kinds with the wrong length are ignored; EOL ends the list; big shifts count as 14. */
static void test_tcp_opts_odd_lists(void)
{
	/* MSS of 3 bytes, window scale of 4, SACK-permitted of 3, TS of 4, SACK of 6 */
	static const uint8_t wrong_len[] = { 2, 3, 5, 3, 4, 8, 0, 4, 3, 0, 8, 4, 0, 0, 5, 6, 0, 0,
		0, 1 };
	static const uint8_t eol[] = { 3, 3, 4, 0, 2, 4, 5, 0xb4 };
	static const uint8_t big_ws[] = { 3, 3, 15, 1 };
	static const uint8_t none[] = { 1, 1, 1, 1 };
	uint8_t h[60];
	struct egw_tcp_opts o;

	CU_ASSERT_EQUAL(egw_tcp_opts_read(hdr_with(h, wrong_len, sizeof(wrong_len)), &o), 0);
	CU_ASSERT(o.mss == 0 && o.wscale == EGW_TCP_NO_WSCALE && !o.sack_ok && !o.has_ts &&
		  !o.n_sack);
	/* The MSS after EOL is not an option. */
	CU_ASSERT_EQUAL(egw_tcp_opts_read(hdr_with(h, eol, sizeof(eol)), &o), 0);
	CU_ASSERT(o.wscale == 4 && o.mss == 0);
	CU_ASSERT_EQUAL(egw_tcp_opts_read(hdr_with(h, big_ws, sizeof(big_ws)), &o), 0);
	CU_ASSERT_EQUAL(o.wscale, EGW_TCP_MAX_WSCALE);
	CU_ASSERT_EQUAL(egw_tcp_opts_read(hdr_with(h, none, 0), &o), 0);
	CU_ASSERT(o.mss == 0 && o.wscale == EGW_TCP_NO_WSCALE && !o.has_ts);
	CU_ASSERT_EQUAL(egw_tcp_opts_read(hdr_with(h, none, sizeof(none)), &o), 0);
	CU_ASSERT(o.mss == 0 && o.wscale == EGW_TCP_NO_WSCALE && !o.has_ts);
}

/* Malformed lists: -1, and what came before the fault holds. */
static void test_tcp_opts_malformed(void)
{
	static const uint8_t short_len[] = { 3, 3, 6, 2, 1, 1, 1, 1 }; /* MSS with length 1 */
	static const uint8_t past_end[] = { 2, 4, 1, 0, 8, 10, 0, 0 }; /* TS runs past the header */
	static const uint8_t no_len[] = { 1, 1, 1, 2 };		       /* kind, no length byte */
	static const uint8_t zero_len[] = { 5, 0, 1, 1 };	       /* length 0 */
	static const uint8_t sack_past[] = { 1, 1, 5, 10, 0, 0, 0, 1 }; /* SACK runs past */
	uint8_t h[60];
	struct egw_tcp_opts o;

	CU_ASSERT_EQUAL(egw_tcp_opts_read(hdr_with(h, short_len, sizeof(short_len)), &o), -1);
	CU_ASSERT_EQUAL(o.wscale, 6);
	CU_ASSERT_EQUAL(egw_tcp_opts_read(hdr_with(h, past_end, sizeof(past_end)), &o), -1);
	CU_ASSERT_EQUAL(o.mss, 256);
	CU_ASSERT_FALSE(o.has_ts);
	CU_ASSERT_EQUAL(egw_tcp_opts_read(hdr_with(h, no_len, sizeof(no_len)), &o), -1);
	CU_ASSERT_EQUAL(egw_tcp_opts_read(hdr_with(h, zero_len, sizeof(zero_len)), &o), -1);
	CU_ASSERT_EQUAL(egw_tcp_opts_read(hdr_with(h, sack_past, sizeof(sack_past)), &o), -1);
	CU_ASSERT_EQUAL(o.n_sack, 0);
	/* A data offset under 5 words. */
	hdr_with(h, no_len, 0);
	h[12] = 4 << 4;
	CU_ASSERT_EQUAL(egw_tcp_opts_read((const struct rte_tcp_hdr *)h, &o), -1);
	CU_ASSERT(o.mss == 0 && o.wscale == EGW_TCP_NO_WSCALE && !o.has_ts);
}

/* Every combination of SYN options written and read back. */
static void test_tcp_opts_write_syn(void)
{
	for (unsigned c = 0; c < 16; c++) {
		const struct egw_tcp_opts in = { .mss = (c & 1) ? 1400 : 0,
			.sack_ok = !!(c & 2),
			.has_ts = !!(c & 4),
			.wscale = (c & 8) ? 9 : EGW_TCP_NO_WSCALE,
			.tsval = 0xdeadbeef,
			.tsecr = 0x01020304 };
		uint8_t buf[EGW_TCP_OPTS_MAX], h[60];
		struct egw_tcp_opts out;
		const unsigned n = egw_tcp_opts_write_syn(buf, &in);

		CU_ASSERT_EQUAL(n % 4, 0);
		CU_ASSERT(n <= 20);
		CU_ASSERT_EQUAL(n == 0, c == 0);
		CU_ASSERT_EQUAL(egw_tcp_opts_read(hdr_with(h, buf, n), &out), 0);
		CU_ASSERT_EQUAL(out.mss, in.mss);
		CU_ASSERT_EQUAL(out.sack_ok, in.sack_ok);
		CU_ASSERT_EQUAL(out.has_ts, in.has_ts);
		CU_ASSERT_EQUAL(out.wscale, in.wscale);
		if (in.has_ts)
			CU_ASSERT(out.tsval == in.tsval && out.tsecr == in.tsecr);
	}
}

static void test_tcp_opts_write_ts(void)
{
	uint8_t buf[12], h[60];
	struct egw_tcp_opts o;

	CU_ASSERT_EQUAL(egw_tcp_opts_write_ts(buf, 7, 0x80000000u), 12);
	CU_ASSERT_EQUAL(egw_tcp_opts_read(hdr_with(h, buf, 12), &o), 0);
	CU_ASSERT(o.has_ts && o.ts_at == 24 && o.tsval == 7 && o.tsecr == 0x80000000u);
}

void egw_test_register_tcp_opts(void)
{
	EGW_SUITE("tcp_opts", NULL, NULL, EGW_TEST(test_tcp_opts_linux_syn),
		EGW_TEST(test_tcp_opts_ts_and_sack), EGW_TEST(test_tcp_opts_odd_lists),
		EGW_TEST(test_tcp_opts_malformed), EGW_TEST(test_tcp_opts_write_syn),
		EGW_TEST(test_tcp_opts_write_ts));
}
