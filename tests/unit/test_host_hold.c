/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The first segments a flow waiting for its name holds (lib/pipeline/flow_hold.c): in order,
 * split, reordered, retransmitted, overlapping, past the limits, cut by a FIN.
 */
#include <string.h>

#include <rte_mbuf.h>

#include "egw_test.h"
#include "pipeline/flow_hold.h"
#include "pktgen.h"

#define OFF 54 /* payload offset in the test frames (Ethernet, IPv4, TCP) */

static uint8_t stream[4096]; /* the client's bytes: 0, 1, 2, ... */

/* A frame whose payload is STREAM[REL .. REL + LEN). */
static struct rte_mbuf *seg(uint32_t rel, uint16_t len)
{
	uint8_t f[PG_FRAME_MAX] = { 0 };
	struct rte_mbuf *m;

	if (rel < sizeof(stream) && rel + len <= sizeof(stream))
		memcpy(f + OFF, stream + rel, len);
	m = pg_mbuf(pg_mempool(), f, OFF + len, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	return m;
}

static enum egw_hold_add add(struct egw_hold *h, uint32_t rel, uint16_t len, bool fin,
	uint32_t limit)
{
	struct rte_mbuf *m = seg(rel, len);
	enum egw_hold_add r = egw_hold_add(h, m, rel, OFF, len, fin, limit);

	if (r != EGW_HOLD_ADDED)
		rte_pktmbuf_free(m);
	return r;
}

/* The contiguous stream H holds is STREAM[0 .. WANT); *FIN as expected. */
static void expect_stream(const struct egw_hold *h, uint32_t want, bool want_fin)
{
	uint8_t buf[4096];
	bool fin;

	CU_ASSERT_EQUAL(egw_hold_stream(h, buf, sizeof(buf), &fin), want);
	CU_ASSERT_EQUAL(memcmp(buf, stream, want), 0);
	CU_ASSERT_EQUAL(fin, want_fin);
}

static void release(struct egw_hold *h)
{
	for (unsigned i = 0; i < h->n; i++)
		rte_pktmbuf_free(h->seg[i].m);
	egw_hold_init(h);
}

static void check_sorted(const struct egw_hold *h)
{
	for (unsigned i = 1; i < h->n; i++)
		CU_ASSERT(h->seg[i - 1].rel <= h->seg[i].rel);
}

static void test_hold_in_order_and_split(void)
{
	struct egw_hold h;

	egw_hold_init(&h);
	CU_ASSERT_EQUAL(add(&h, 0, 1000, false, 16384), EGW_HOLD_ADDED);
	expect_stream(&h, 1000, false);
	CU_ASSERT_EQUAL(add(&h, 1000, 771, false, 16384), EGW_HOLD_ADDED);
	expect_stream(&h, 1771, false);
	CU_ASSERT_EQUAL(h.n, 2);
	CU_ASSERT_EQUAL(h.newest, 1);
	CU_ASSERT_EQUAL(h.frames, 2 * OFF + 1771);
	release(&h);
}

static void test_hold_reordered(void)
{
	struct egw_hold h;

	egw_hold_init(&h);
	CU_ASSERT_EQUAL(add(&h, 2000, 500, false, 16384), EGW_HOLD_ADDED);
	CU_ASSERT_EQUAL(add(&h, 1000, 1000, false, 16384), EGW_HOLD_ADDED);
	/* A hole at the start: nothing to read yet. */
	expect_stream(&h, 0, false);
	CU_ASSERT_EQUAL(add(&h, 0, 1000, false, 16384), EGW_HOLD_ADDED);
	expect_stream(&h, 2500, false);
	check_sorted(&h);
	CU_ASSERT_EQUAL(h.seg[0].rel, 0);
	CU_ASSERT_EQUAL(h.seg[2].rel, 2000);
	CU_ASSERT_EQUAL(h.newest, 0);
	release(&h);
}

static void test_hold_retransmitted_and_overlapping(void)
{
	struct egw_hold h;

	egw_hold_init(&h);
	CU_ASSERT_EQUAL(add(&h, 0, 1000, false, 16384), EGW_HOLD_ADDED);
	CU_ASSERT_EQUAL(add(&h, 0, 1000, false, 16384), EGW_HOLD_DUPLICATE);
	CU_ASSERT_EQUAL(add(&h, 200, 300, false, 16384), EGW_HOLD_DUPLICATE);
	/* Before the first data byte (a keepalive probe, a wrapped number). */
	CU_ASSERT_EQUAL(add(&h, (uint32_t)-1, 1, false, 16384), EGW_HOLD_DUPLICATE);
	/* Overlapping, with new bytes: held; the stream takes each byte once. */
	CU_ASSERT_EQUAL(add(&h, 600, 1000, false, 16384), EGW_HOLD_ADDED);
	expect_stream(&h, 1600, false);
	/* A gap filled by a segment overlapping both sides. */
	CU_ASSERT_EQUAL(add(&h, 2000, 100, false, 16384), EGW_HOLD_ADDED);
	expect_stream(&h, 1600, false);
	CU_ASSERT_EQUAL(add(&h, 1500, 700, false, 16384), EGW_HOLD_ADDED);
	expect_stream(&h, 2200, false);
	CU_ASSERT_EQUAL(add(&h, 1000, 1200, false, 16384), EGW_HOLD_DUPLICATE);
	check_sorted(&h);
	CU_ASSERT_EQUAL(h.n, 4);
	release(&h);
}

static void test_hold_limits(void)
{
	struct egw_hold h;

	egw_hold_init(&h);
	CU_ASSERT_EQUAL(add(&h, 0, 1000, false, 2048), EGW_HOLD_ADDED);
	CU_ASSERT_EQUAL(add(&h, 1500, 1000, false, 2048), EGW_HOLD_OVER);
	CU_ASSERT_EQUAL(add(&h, 1048, 1000, false, 2048), EGW_HOLD_ADDED);
	CU_ASSERT_EQUAL(h.n, 2);
	release(&h);
	/* At most EGW_HOLD_SEGS segments, however small. */
	for (unsigned i = 0; i < EGW_HOLD_SEGS; i++)
		CU_ASSERT_EQUAL(add(&h, i * 10, 10, false, 16384), EGW_HOLD_ADDED);
	CU_ASSERT_EQUAL(add(&h, EGW_HOLD_SEGS * 10, 10, false, 16384), EGW_HOLD_OVER);
	expect_stream(&h, EGW_HOLD_SEGS * 10, false);
	release(&h);
}

static void test_hold_fin(void)
{
	struct egw_hold h;

	egw_hold_init(&h);
	CU_ASSERT_EQUAL(add(&h, 0, 100, false, 16384), EGW_HOLD_ADDED);
	/* A bare FIN right after the data: the client sends nothing more. */
	CU_ASSERT_EQUAL(add(&h, 100, 0, true, 16384), EGW_HOLD_ADDED);
	expect_stream(&h, 100, true);
	CU_ASSERT_EQUAL(add(&h, 100, 0, true, 16384), EGW_HOLD_DUPLICATE);
	release(&h);
	/* A FIN after a hole is not the end of what is readable. */
	CU_ASSERT_EQUAL(add(&h, 0, 100, false, 16384), EGW_HOLD_ADDED);
	CU_ASSERT_EQUAL(add(&h, 200, 50, true, 16384), EGW_HOLD_ADDED);
	expect_stream(&h, 100, false);
	release(&h);
}

static int hold_init(void)
{
	for (unsigned i = 0; i < sizeof(stream); i++)
		stream[i] = (uint8_t)(i * 7 + i / 256);
	return egw_test_eal_init() < 0 || !pg_mempool() ? -1 : 0;
}

void egw_test_register_host_hold(void)
{
	EGW_SUITE("host_hold", hold_init, NULL, EGW_TEST(test_hold_in_order_and_split),
		EGW_TEST(test_hold_reordered), EGW_TEST(test_hold_retransmitted_and_overlapping),
		EGW_TEST(test_hold_limits), EGW_TEST(test_hold_fin));
}
