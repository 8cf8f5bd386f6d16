/* SPDX-License-Identifier: BSD-3-Clause */
#include <netinet/in.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "bench_dp.h"
#include "bench_pkts.h"
#include "egw_test.h"
#include "pktgen.h"

/*
 * The pipeline benchmark (tools/bench/pipeline_bench.c) times the real pipeline on frames from
 * its own builder and appliance set-up. These tests check, with the unit tests' independent
 * reference (pktgen.c), that those frames are valid and that what the pipeline makes of them is
 * the right translation: a benchmark that forwarded wrong packets would time the wrong work.
 */

#define N_FLOWS 512
#define ETH 14

static struct bench_env env;
static bool env_ok;

static int bench_init(void)
{
	if (egw_test_eal_init() < 0 || bench_env_init(&env, "egwutb", 1024) < 0)
		return -1;
	env_ok = true;
	return 0;
}

static int bench_clean(void)
{
	if (env_ok)
		bench_env_fini(&env);
	env_ok = false;
	return 0;
}

/* Flow numbers the tests use: the edges of the tuple generator's ranges and a spread. */
static uint64_t flow_no(unsigned i)
{
	static const uint64_t edges[] = { 0, 1, BENCH_N_SRC - 1, BENCH_N_SRC, BENCH_N_SRC + 1,
		9999999, (uint64_t)BENCH_N_SRC * BENCH_N_SPORT - 1 };

	if (i < sizeof(edges) / sizeof(edges[0]))
		return edges[i];
	return (uint64_t)i * 104729;
}

static void test_bench_builder(void)
{
	uint8_t f[BENCH_FRAME_LEN], g[PG_FRAME_MAX];

	for (unsigned i = 0; i < 2000; i++) {
		struct bench_tuple t, u;
		uint64_t n = flow_no(i);
		struct pg_pkt p = { 0 };
		size_t len;

		bench_flow_tuple(n, &t);
		CU_ASSERT(t.src >= BENCH_SRC_FIRST && t.src <= PG_IP(198, 19, 255, 255));
		CU_ASSERT(t.dst >= PG_IP(203, 0, 113, 8) && t.dst <= PG_IP(203, 0, 113, 247));
		CU_ASSERT(t.sport >= 1024);
		CU_ASSERT(t.dport == 80 || t.dport == 443);
		/* The next source port of the same host is another flow. */
		bench_flow_tuple(n + BENCH_N_SRC, &u);
		if (n + BENCH_N_SRC < (uint64_t)BENCH_N_SRC * BENCH_N_SPORT)
			CU_ASSERT(u.src == t.src && u.sport != t.sport);

		/* Same bytes as the reference builder's frame, checksums included. */
		bench_build_outbound(f, &t, 0x10);
		memcpy(p.dmac, bench_mac_in, 6);
		memcpy(p.smac, bench_mac_router, 6);
		p.src = t.src;
		p.dst = t.dst;
		p.proto = IPPROTO_TCP;
		p.sport = t.sport;
		p.dport = t.dport;
		p.ttl = 64;
		p.frag = 0x4000;
		p.tcp_flags = 0x10;
		p.seq = 1;
		p.ack = 1;
		p.pad = BENCH_FRAME_LEN - ETH - BENCH_IP_LEN;
		len = pg_build(g, sizeof(g), &p);
		CU_ASSERT_EQUAL_FATAL(len, BENCH_FRAME_LEN);
		pg_wr16(g + ETH + 20 + 14, 65535); /* window: pktgen writes 29200 */
		pg_fix_l4_csum(g + ETH);
		CU_ASSERT_EQUAL(memcmp(f, g, BENCH_FRAME_LEN), 0);
		CU_ASSERT(pg_ip_csum_ok(f + ETH));
		CU_ASSERT(pg_l4_csum_ok(f + ETH));

		bench_build_reply(f, &t, BENCH_POOL_FIRST + (i & 3), (uint16_t)(1024 + i), 0x10);
		CU_ASSERT(pg_ip_csum_ok(f + ETH));
		CU_ASSERT(pg_l4_csum_ok(f + ETH));
		CU_ASSERT_EQUAL(pg_rd32(f + ETH + 12), t.dst);
		CU_ASSERT_EQUAL(pg_rd32(f + ETH + 16), BENCH_POOL_FIRST + (i & 3));
		CU_ASSERT_EQUAL(pg_rd16(f + ETH + 20), t.dport);
		CU_ASSERT_EQUAL(pg_rd16(f + ETH + 22), 1024 + i);
		CU_ASSERT_EQUAL(memcmp(f, bench_mac_out, 6), 0);
		CU_ASSERT_EQUAL(memcmp(f + 6, bench_mac_gw, 6), 0);
	}
	/* The generic checksum helper agrees with the reference. */
	bench_build_outbound(f,
		&(struct bench_tuple){ BENCH_SRC_FIRST, PG_IP(203, 0, 113, 9), 1, 2 }, 0x12);
	CU_ASSERT_EQUAL(bench_csum(f + ETH, 20, 0), 0);
	CU_ASSERT_EQUAL(bench_csum(f + ETH, 20, 0), (uint16_t)~pg_ref_sum(f + ETH, 20, 0));
}

/* Sends frames of N flows (flow numbers FIRST + i * STEP) through the worker in bursts of 32
 * and returns the transmitted mbufs in OUT (in order), N at most. */
static unsigned send_flows(struct bench_dp *b, bool reply, const uint32_t *nat_addr,
	const uint16_t *nat_port, struct rte_mbuf **out, unsigned n)
{
	unsigned got = 0;

	for (unsigned i = 0; i < n; i += EGW_BURST) {
		struct rte_mbuf *pkts[EGW_BURST];
		unsigned k = n - i < EGW_BURST ? n - i : EGW_BURST;

		for (unsigned j = 0; j < k; j++) {
			struct bench_tuple t;
			uint8_t *d;

			pkts[j] = rte_pktmbuf_alloc(env.mp);
			CU_ASSERT_PTR_NOT_NULL_FATAL(pkts[j]);
			d = (uint8_t *)rte_pktmbuf_append(pkts[j], BENCH_FRAME_LEN);
			CU_ASSERT_PTR_NOT_NULL_FATAL(d);
			bench_flow_tuple(flow_no(i + j), &t);
			if (reply)
				bench_build_reply(d, &t, nat_addr[i + j], nat_port[i + j], 0x10);
			else
				bench_build_outbound(d, &t, 0x10);
			pkts[j]->port = reply ? env.port_out : env.port_in;
		}
		egw_pipeline_rx(b->w, pkts, (uint16_t)k, false);
		egw_pipeline_flush(b->w);
		/* Each direction leaves by its own port's ring: take from that one only, so a
		 * packet sent the wrong way is seen missing. */
		got += rte_ring_dequeue_burst(env.tx[reply ? 0 : 1], (void **)(out + got), n - got,
			NULL);
	}
	return got;
}

static void free_all(struct rte_mbuf **m, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		rte_pktmbuf_free(m[i]);
}

/* Outbound, the same flows again (established), then the replies; each frame checked. */
static void check_roundtrip(uint32_t n_policies)
{
	static struct rte_mbuf *out[N_FLOWS];
	static uint32_t nat_addr[N_FLOWS], first_addr[N_FLOWS];
	static uint16_t nat_port[N_FLOWS];
	struct bench_dp_opts o = { .max_flows = 4 * N_FLOWS, .n_policies = n_policies };
	struct bench_dp b;
	unsigned n;

	CU_ASSERT_FATAL(env_ok);
	CU_ASSERT_EQUAL_FATAL(bench_dp_create(&b, &env, &o), 0);
	CU_ASSERT(b.worker_heap_bytes > (size_t)o.max_flows * 64);

	for (unsigned pass = 0; pass < 2; pass++) {
		n = send_flows(&b, false, NULL, NULL, out, N_FLOWS);
		CU_ASSERT_EQUAL(n, N_FLOWS);
		for (unsigned i = 0; i < n; i++) {
			uint8_t want[BENCH_FRAME_LEN];
			const uint8_t *d = rte_pktmbuf_mtod(out[i], const uint8_t *);
			struct bench_tuple t;
			uint32_t a = pg_rd32(d + ETH + 12);
			uint16_t p = pg_rd16(d + ETH + 20);

			bench_flow_tuple(flow_no(i), &t);
			CU_ASSERT_EQUAL(rte_pktmbuf_data_len(out[i]), BENCH_FRAME_LEN);
			/* Source rewritten to the pool, destination untouched. */
			CU_ASSERT(a >= BENCH_POOL_FIRST && a < BENCH_POOL_FIRST + BENCH_POOL_N);
			CU_ASSERT(p >= 1024);
			CU_ASSERT_EQUAL(pg_rd32(d + ETH + 16), t.dst);
			CU_ASSERT_EQUAL(pg_rd16(d + ETH + 22), t.dport);
			CU_ASSERT_EQUAL(d[ETH + 8], 63);
			CU_ASSERT(pg_ip_csum_ok(d + ETH));
			CU_ASSERT(pg_l4_csum_ok(d + ETH));
			/* Byte for byte: the input with the new source, TTL - 1, MACs of the hop. */
			bench_flow_tuple(flow_no(i), &t);
			t.src = a;
			t.sport = p;
			bench_build_outbound(want, &t, 0x10);
			memcpy(want, bench_mac_gw, 6);
			memcpy(want + 6, bench_mac_out, 6);
			want[ETH + 8] = 63;
			pg_fix_ip_csum(want + ETH);
			CU_ASSERT_EQUAL(memcmp(d, want, BENCH_FRAME_LEN), 0);
			if (pass == 0) {
				nat_addr[i] = a;
				nat_port[i] = p;
				first_addr[i] = a;
			} else {
				/* Established: the mapping holds. */
				CU_ASSERT_EQUAL(a, nat_addr[i]);
				CU_ASSERT_EQUAL(p, nat_port[i]);
			}
		}
		free_all(out, n);
	}
	/* Paired pooling: one inside host, one egress address. Flows number 1 and BENCH_N_SRC + 1
	 * (indices 1 and 4) come from one host. */
	{
		struct bench_tuple t1, t4;
		bench_flow_tuple(flow_no(1), &t1);
		bench_flow_tuple(flow_no(4), &t4);
		CU_ASSERT_EQUAL(t1.src, t4.src);
		CU_ASSERT_EQUAL(first_addr[1], first_addr[4]);
	}

	n = send_flows(&b, true, nat_addr, nat_port, out, N_FLOWS);
	CU_ASSERT_EQUAL(n, N_FLOWS);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *d = rte_pktmbuf_mtod(out[i], const uint8_t *);
		struct bench_tuple t;

		bench_flow_tuple(flow_no(i), &t);
		/* Destination translated back to the inside host, to the inside router's MAC. */
		CU_ASSERT_EQUAL(pg_rd32(d + ETH + 16), t.src);
		CU_ASSERT_EQUAL(pg_rd16(d + ETH + 22), t.sport);
		CU_ASSERT_EQUAL(pg_rd32(d + ETH + 12), t.dst);
		CU_ASSERT_EQUAL(pg_rd16(d + ETH + 20), t.dport);
		CU_ASSERT_EQUAL(d[ETH + 8], 63);
		CU_ASSERT_EQUAL(memcmp(d, bench_mac_router, 6), 0);
		CU_ASSERT_EQUAL(memcmp(d + 6, bench_mac_in, 6), 0);
		CU_ASSERT(pg_ip_csum_ok(d + ETH));
		CU_ASSERT(pg_l4_csum_ok(d + ETH));
	}
	free_all(out, n);

	CU_ASSERT_EQUAL(b.w->stats.flows_created, N_FLOWS);
	CU_ASSERT_EQUAL(egw_flow_table_active(b.w->ft), N_FLOWS);
	CU_ASSERT_EQUAL(b.w->stats.outbound_packets, 2 * N_FLOWS);
	CU_ASSERT_EQUAL(b.w->stats.inbound_packets, N_FLOWS);
	CU_ASSERT_EQUAL(b.w->stats.tx_packets, 3 * N_FLOWS);
	CU_ASSERT_EQUAL(b.w->stats.held, 0);
	CU_ASSERT_EQUAL(bench_drops(b.w), 0);
	bench_dp_free(&b);
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(env.mp), 0);
}

static void test_bench_passthrough(void)
{
	check_roundtrip(0);
}

/* The policy-mode set-up of the new-flow row: every benchmark flow admitted by the last
 * policy, none by the others. */
static void test_bench_policy_mode(void)
{
	check_roundtrip(100);
}

void egw_test_register_bench(void)
{
	EGW_SUITE("bench", bench_init, bench_clean, EGW_TEST(test_bench_builder),
		EGW_TEST(test_bench_passthrough), EGW_TEST(test_bench_policy_mode));
}
