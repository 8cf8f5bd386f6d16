/* SPDX-License-Identifier: BSD-3-Clause */
/* SYN cookies (lib/flow/syncookie.c): round trips, options through the TSval, rejections. */
#include <string.h>

#include <CUnit/CUnit.h>
#include <netinet/in.h>

#include "egw_test.h"
#include "flow/syncookie.h"
#include "pktgen.h"

static struct egw_syncookie_secret secret;

static struct egw_flow_key key(void)
{
	struct egw_flow_key k;

	egw_flow_key_set(&k, htonl(PG_IP(198, 18, 0, 2)), htonl(PG_IP(203, 0, 113, 9)),
		htons(40000), htons(443), IPPROTO_TCP, EGW_ZONE_INSIDE);
	return k;
}

static struct egw_tcp_opts syn_opts(uint16_t mss, bool ts, uint8_t ws, bool sack)
{
	struct egw_tcp_opts o = { .mss = mss, .wscale = ws, .sack_ok = sack, .has_ts = ts };

	o.tsval = ts ? 0x12345678u : 0;
	return o;
}

/* The client's ACK of our SYN-ACK to SYN, checked at minute NOW. */
static int ack_of(const struct egw_flow_key *k, uint32_t isn, uint32_t cookie, uint32_t tsval,
	bool ts, uint32_t now, struct egw_tcp_opts *out)
{
	return egw_syncookie_check(&secret, k, isn + 1, cookie + 1, now, ts, tsval, out);
}

/* Each MSS of the table, one above it, and what lies under the first or is missing. */
static void test_syncookie_mss(void)
{
	const struct egw_flow_key k = key();
	struct egw_tcp_opts out;
	uint32_t tsval, cookie;

	for (unsigned i = 0; i < EGW_SYNCOOKIE_N_MSS; i++) {
		const uint16_t m = egw_syncookie_mss[i];
		struct egw_tcp_opts syn = syn_opts(m, false, EGW_TCP_NO_WSCALE, false);

		cookie = egw_syncookie_make(&secret, &k, 1000 + i, 77, &syn, &tsval);
		CU_ASSERT_EQUAL(ack_of(&k, 1000 + i, cookie, 0, false, 77, &out), 0);
		CU_ASSERT_EQUAL(out.mss, m);
		CU_ASSERT(!out.has_ts && !out.sack_ok && out.wscale == EGW_TCP_NO_WSCALE);
		/* One more rounds down to the entry. */
		syn.mss = (uint16_t)(m + 1);
		cookie = egw_syncookie_make(&secret, &k, 5000 + i, 77, &syn, &tsval);
		CU_ASSERT_EQUAL(ack_of(&k, 5000 + i, cookie, 0, false, 78, &out), 0);
		CU_ASSERT_EQUAL(out.mss, m);
		/* One less rounds down to the entry before (the first: stays). */
		syn.mss = (uint16_t)(m - 1);
		cookie = egw_syncookie_make(&secret, &k, 9000 + i, 77, &syn, &tsval);
		CU_ASSERT_EQUAL(ack_of(&k, 9000 + i, cookie, 0, false, 77, &out), 0);
		CU_ASSERT_EQUAL(out.mss, egw_syncookie_mss[i ? i - 1 : 0]);
	}
	for (unsigned m = 0; m < 2; m++) {
		struct egw_tcp_opts syn = syn_opts(m ? 100 : 0, false, EGW_TCP_NO_WSCALE, false);
		cookie = egw_syncookie_make(&secret, &k, 1, 5, &syn, &tsval);
		CU_ASSERT_EQUAL(ack_of(&k, 1, cookie, 0, false, 5, &out), 0);
		CU_ASSERT_EQUAL(out.mss, 536);
	}
}

/* Window scale and SACK-permitted come back through the echoed TSval; without timestamps
 * neither does. */
static void test_syncookie_ts_options(void)
{
	const struct egw_flow_key k = key();
	struct egw_tcp_opts out;
	uint32_t tsval, cookie;

	/* A shift over 14 (not from egw_tcp_opts_read, which clamps) comes back as 14. */
	struct egw_tcp_opts big = syn_opts(1460, true, 15, false);
	cookie = egw_syncookie_make(&secret, &k, 3, 9, &big, &tsval);
	CU_ASSERT_EQUAL(ack_of(&k, 3, cookie, tsval, true, 9, &out), 0);
	CU_ASSERT_EQUAL(out.wscale, EGW_TCP_MAX_WSCALE);

	for (unsigned ws = 0; ws <= EGW_TCP_MAX_WSCALE + 1; ws++) {
		for (unsigned sack = 0; sack < 2; sack++) {
			const uint8_t w = ws > EGW_TCP_MAX_WSCALE ? EGW_TCP_NO_WSCALE : (uint8_t)ws;
			struct egw_tcp_opts syn = syn_opts(1460, true, w, sack);
			const uint32_t isn = 0xfffffff0u + ws * 2 + sack; /* across the wrap too */

			cookie = egw_syncookie_make(&secret, &k, isn, 1234, &syn, &tsval);
			CU_ASSERT_EQUAL(ack_of(&k, isn, cookie, tsval, true, 1235, &out), 0);
			CU_ASSERT_EQUAL(out.mss, 1460);
			CU_ASSERT_EQUAL(out.has_ts, 1);
			CU_ASSERT_EQUAL(out.wscale, w);
			CU_ASSERT_EQUAL(out.sack_ok, sack);
			/* The same SYN without timestamps: the cookie cannot carry them. */
			syn.has_ts = 0;
			cookie = egw_syncookie_make(&secret, &k, isn, 1234, &syn, &tsval);
			CU_ASSERT_EQUAL(ack_of(&k, isn, cookie, 0, false, 1234, &out), 0);
			CU_ASSERT(!out.has_ts && !out.sack_ok && out.wscale == EGW_TCP_NO_WSCALE);
		}
	}
}

/* Cookies age out after EGW_SYNCOOKIE_MAX_AGE minutes, across the minute clock's wrap. */
static void test_syncookie_age(void)
{
	const struct egw_flow_key k = key();
	const struct egw_tcp_opts syn = syn_opts(1460, false, EGW_TCP_NO_WSCALE, false);
	const uint32_t starts[] = { 0, 1, 1000, 0xfffffffeu, 0xffffffffu };
	struct egw_tcp_opts out;
	uint32_t tsval;

	for (unsigned i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		const uint32_t t = starts[i];
		const uint32_t cookie = egw_syncookie_make(&secret, &k, 42, t, &syn, &tsval);

		for (uint32_t age = 0; age <= EGW_SYNCOOKIE_MAX_AGE; age++)
			CU_ASSERT_EQUAL(ack_of(&k, 42, cookie, 0, false, t + age, &out), 0);
		for (uint32_t age = EGW_SYNCOOKIE_MAX_AGE + 1; age < 12; age++)
			CU_ASSERT_EQUAL(ack_of(&k, 42, cookie, 0, false, t + age, &out), -1);
		/* From the future (a clock that went back): no. */
		CU_ASSERT_EQUAL(ack_of(&k, 42, cookie, 0, false, t - 1, &out), -1);
	}
}

/* What is not our cookie for this SYN: another bit, ISN, tuple, TSecr or secret. */
static void test_syncookie_reject(void)
{
	const struct egw_flow_key k = key();
	const struct egw_tcp_opts syn = syn_opts(1460, true, 7, true);
	struct egw_syncookie_secret other;
	struct egw_tcp_opts out;
	struct egw_flow_key k2;
	uint32_t tsval;
	const uint32_t cookie = egw_syncookie_make(&secret, &k, 0x7fffffffu, 300, &syn, &tsval);

	CU_ASSERT_EQUAL(ack_of(&k, 0x7fffffffu, cookie, tsval, true, 300, &out), 0);
	for (unsigned b = 0; b < 32; b++)
		CU_ASSERT_EQUAL(ack_of(&k, 0x7fffffffu, cookie ^ (1u << b), tsval, true, 300, &out),
			-1);
	CU_ASSERT_EQUAL(ack_of(&k, 0x7ffffffeu, cookie, tsval, true, 300, &out), -1);
	CU_ASSERT_EQUAL(ack_of(&k, 0x80000000u, cookie, tsval, true, 300, &out), -1);
	/* The TSecr's upper bits are keyed; its low bits are the options (any value decodes). */
	for (unsigned b = 6; b < 32; b++)
		CU_ASSERT_EQUAL(ack_of(&k, 0x7fffffffu, cookie, tsval ^ (1u << b), true, 300, &out),
			-1);
	/* Another 4-tuple, field by field. */
	for (unsigned f = 0; f < 4; f++) {
		k2 = k;
		if (f == 0)
			k2.a_addr ^= htonl(1);
		else if (f == 1)
			k2.b_addr ^= htonl(1);
		else if (f == 2)
			k2.a_port ^= htons(1);
		else
			k2.b_port ^= htons(1);
		CU_ASSERT_EQUAL(ack_of(&k2, 0x7fffffffu, cookie, tsval, true, 300, &out), -1);
	}
	/* Another secret. */
	CU_ASSERT_EQUAL(egw_syncookie_secret_init(&other), 0);
	CU_ASSERT(memcmp(&other, &secret, sizeof(other)) != 0);
	CU_ASSERT_EQUAL(egw_syncookie_check(&other, &k, 0x80000000u, cookie + 1, 300, true, tsval,
				&out),
		-1);
}

/* Cookies differ with the client's ISN and the minute; the TSval varies with the tuple. */
static void test_syncookie_spread(void)
{
	struct egw_flow_key k = key();
	const struct egw_tcp_opts syn = syn_opts(1460, true, 7, true);
	uint32_t ts1, ts2;
	const uint32_t c1 = egw_syncookie_make(&secret, &k, 1, 10, &syn, &ts1);

	CU_ASSERT_NOT_EQUAL(c1, egw_syncookie_make(&secret, &k, 2, 10, &syn, &ts2));
	CU_ASSERT_NOT_EQUAL(c1, egw_syncookie_make(&secret, &k, 1, 11, &syn, &ts2));
	k.a_port ^= 0x100;
	egw_syncookie_make(&secret, &k, 1, 10, &syn, &ts2);
	CU_ASSERT_NOT_EQUAL(ts1 & ~0x3fu, ts2 & ~0x3fu);
	CU_ASSERT_EQUAL(ts1 & 0x3fu, ts2 & 0x3fu);
}

/* What our SYN-ACK agrees to. */
static void test_syncookie_synack_opts(void)
{
	struct egw_tcp_opts syn = syn_opts(1380, true, 2, true), o;

	egw_syncookie_synack_opts(&syn, 0xabc, 1460, 7, &o);
	CU_ASSERT(o.mss == 1460 && o.has_ts && o.tsval == 0xabc && o.tsecr == 0x12345678u &&
		  o.sack_ok && o.wscale == 7);
	syn.wscale = EGW_TCP_NO_WSCALE;
	syn.sack_ok = 0;
	egw_syncookie_synack_opts(&syn, 0xabc, 1460, 7, &o);
	CU_ASSERT(o.has_ts && !o.sack_ok && o.wscale == EGW_TCP_NO_WSCALE);
	syn = syn_opts(1380, false, 2, true);
	egw_syncookie_synack_opts(&syn, 0xabc, 1400, 7, &o);
	CU_ASSERT(o.mss == 1400 && !o.has_ts && !o.sack_ok && o.wscale == EGW_TCP_NO_WSCALE);
}

static int syncookie_init(void)
{
	return egw_syncookie_secret_init(&secret);
}

void egw_test_register_syncookie(void)
{
	EGW_SUITE("syncookie", syncookie_init, NULL, EGW_TEST(test_syncookie_mss),
		EGW_TEST(test_syncookie_ts_options), EGW_TEST(test_syncookie_age),
		EGW_TEST(test_syncookie_reject), EGW_TEST(test_syncookie_spread),
		EGW_TEST(test_syncookie_synack_opts));
}
