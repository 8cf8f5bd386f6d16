/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the NIC offloads of issue 16 item 2 would save per packet, in TSC cycles (docs/
 * PERFORMANCE.md "NIC offloads"):
 *   - RX: the software IPv4 header checksum the parser runs, against the one flag test that
 *     replaces it where the NIC reports RTE_MBUF_F_RX_IP_CKSUM_GOOD;
 *   - TX: NAT's incremental checksum updates (egw_translate, RFC 1624) against what L4
 *     checksum offload would need instead: the same address and port writes, then l2_len,
 *     l3_len and the ol_flags set, the IPv4 checksum zeroed and the TCP checksum field seeded
 *     with the pseudo-header sum (rte_ipv4_phdr_cksum), as a driver's tx_prepare expects;
 *   - RSS: the flow table's CRC32 over its 16-byte key, which reusing the NIC's hash would save
 *     (were it the flow's hash: it is not, see PERFORMANCE.md).
 * The frames are the pipeline benchmark's (bench_pkts.h), 1024 flows in plain buffers behind
 * mbuf headers (no EAL), about 400 KiB warm in L2: the figures are the arithmetic and L2
 * reads, not DRAM misses.
 * Each row is the minimum / median / maximum over BENCH_RUNS_MAX runs of a fixed count
 * (bounded, nothing loops on time); --smoke: one short run, the correctness checks only.
 */
#include <getopt.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "bench_pkts.h"
#include "bench_util.h"
#include "flow/flow.h"
#include "nat/translate.h"
#include "pkt/csum.h"
#include "pkt/pkt.h"

#define N_PKTS 1024
#define ROUNDS 100 /* passes over the N_PKTS frames per run: short runs, seldom preempted */

static struct {
	uint8_t data[N_PKTS][128];
	struct rte_mbuf m[N_PKTS];
	struct egw_pkt_meta meta[N_PKTS];
	struct egw_flow flow[N_PKTS];
	struct egw_flow_key key[N_PKTS];
} B;

static volatile uint64_t sink; /* keeps results alive */

/* The frames, their metadata, a translation per flow and the flow keys. */
static void setup(void)
{
	for (unsigned i = 0; i < N_PKTS; i++) {
		struct bench_tuple t;
		struct rte_mbuf *m = &B.m[i];

		bench_flow_tuple((uint64_t)i * 7919u, &t);
		bench_build_outbound(B.data[i], &t, 0x10);
		memset(m, 0, sizeof(*m));
		m->buf_addr = B.data[i];
		m->data_off = 0;
		m->data_len = BENCH_FRAME_LEN;
		m->pkt_len = BENCH_FRAME_LEN;
		if (egw_pkt_parse(B.data[i], BENCH_FRAME_LEN, &B.meta[i]) != EGW_DROP_NONE) {
			fprintf(stderr, "offload_bench: frame %u does not parse\n", i);
			exit(1);
		}
		B.flow[i].nat_addr = rte_cpu_to_be_32(BENCH_POOL_FIRST + i % BENCH_POOL_N);
		B.flow[i].nat_port = rte_cpu_to_be_16((uint16_t)(1024 + i));
		B.flow[i].flags = EGW_FLOW_F_NAT;
		egw_flow_key_set(&B.key[i], B.meta[i].src, B.meta[i].dst, B.meta[i].sport,
			B.meta[i].dport, B.meta[i].proto, EGW_ZONE_INSIDE);
	}
}

/* The rewrite with the checksums left to the NIC: addresses and port, then what the driver
 * needs to fill them in (IPv4 and TCP checksum offload). */
static void rewrite_for_offload(struct rte_mbuf *m, const struct egw_pkt_meta *pm,
	const struct egw_flow *f)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + pm->l3_off);
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(d + pm->l4_off);

	ip->src_addr = f->nat_addr;
	tcp->src_port = f->nat_port;
	m->l2_len = pm->l3_off;
	m->l3_len = (uint64_t)(pm->l4_off - pm->l3_off);
	m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM;
	ip->hdr_checksum = 0;
	tcp->cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
}

/* The operations, each one pass over every frame (N_PKTS packets), for bench_measure: a loop
 * of its own each, so that nothing but the operation differs between rows. */
static void pass_rx_sw(const void *ctx, uint32_t round)
{
	uint64_t acc = 0;

	(void)ctx, (void)round;
	for (unsigned i = 0; i < N_PKTS; i++)
		acc += egw_csum_ipv4_hdr_ok(B.data[i] + RTE_ETHER_HDR_LEN, 20);
	sink += acc;
}

static void pass_rx_flag(const void *ctx, uint32_t round)
{
	uint64_t acc = 0;

	(void)ctx, (void)round;
	for (unsigned i = 0; i < N_PKTS; i++)
		acc += (B.m[i].ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) ==
		       RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	sink += acc;
}

static void pass_tx_incr(const void *ctx, uint32_t round)
{
	(void)ctx, (void)round;
	for (unsigned i = 0; i < N_PKTS; i++)
		egw_translate(&B.m[i], &B.meta[i], &B.flow[i], EGW_DIR_ORIG);
}

static void pass_tx_offload(const void *ctx, uint32_t round)
{
	(void)ctx, (void)round;
	for (unsigned i = 0; i < N_PKTS; i++)
		rewrite_for_offload(&B.m[i], &B.meta[i], &B.flow[i]);
}

static void pass_flow_crc(const void *ctx, uint32_t round)
{
	uint64_t acc = 0;

	(void)ctx, (void)round;
	for (unsigned i = 0; i < N_PKTS; i++) {
		const uint64_t *k = (const uint64_t *)&B.key[i];
		acc += rte_hash_crc_8byte(k[1], rte_hash_crc_8byte(k[0], 0));
	}
	sink += acc;
}

static const struct {
	const char *what;
	bench_op pass;
} rows[] = {
	{ "RX: software IPv4 header checksum", pass_rx_sw },
	{ "RX: RTE_MBUF_F_RX_IP_CKSUM_GOOD test", pass_rx_flag },
	{ "TX: NAT rewrite, incremental checksums (today)", pass_tx_incr },
	{ "TX: NAT rewrite, checksum offload prepared", pass_tx_offload },
	{ "flow key CRC32 (16 bytes)", pass_flow_crc },
};

/* A copy of frame I prepared for offload: what a NIC makes of its TCP checksum field (the
 * pseudo-header sum there, the segment's sum added) is the checksum of the rewritten segment. */
static bool offload_prep_ok(unsigned i)
{
	uint8_t d[sizeof(B.data[0])];
	struct rte_mbuf m = B.m[i];
	const struct egw_pkt_meta *pm = &B.meta[i];
	uint8_t *l4 = d + pm->l4_off;
	uint16_t by_nic;

	memcpy(d, B.data[i], sizeof(d));
	m.buf_addr = d;
	rewrite_for_offload(&m, pm, &B.flow[i]);
	by_nic = (uint16_t)~egw_csum_fold(egw_csum_partial(l4, pm->l4_len, 0));
	memset(l4 + 16, 0, 2);
	return by_nic == egw_csum_l4(B.flow[i].nat_addr, pm->dst, IPPROTO_TCP, l4, pm->l4_len);
}

/* The translated frames must still carry right checksums, and the offload-prepared ones the
 * pseudo-header sum a NIC completes. */
static int check(void)
{
	for (unsigned i = 0; i < N_PKTS; i++) {
		if (!offload_prep_ok(i)) {
			fprintf(stderr, "offload_bench: frame %u prepared wrong\n", i);
			return 1;
		}
	}
	for (unsigned i = 0; i < N_PKTS; i++) {
		const uint8_t *ip = B.data[i] + RTE_ETHER_HDR_LEN;
		struct egw_pkt_meta pm;

		egw_translate(&B.m[i], &B.meta[i], &B.flow[i], EGW_DIR_ORIG);
		if (egw_pkt_parse(B.data[i], BENCH_FRAME_LEN, &pm) != EGW_DROP_NONE ||
			pm.src != B.flow[i].nat_addr || pm.sport != B.flow[i].nat_port ||
			egw_csum_l4(pm.src, pm.dst, IPPROTO_TCP, ip + 20, pm.l4_len) != 0) {
			fprintf(stderr, "offload_bench: frame %u translated wrong\n", i);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "smoke", no_argument, NULL, 's' }, { 0 } };
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 's') {
			fprintf(stderr, "usage: offload_bench [--smoke]\n");
			return 2;
		}
		bench_smoke = 1;
	}
	setup();
	if (check() != 0)
		return 1;
	bench_calibrate();
	printf("offload_bench: cycles per packet, %u warm 60-byte TCP frames, TSC %.2f GHz\n",
		N_PKTS, bench_tsc_ghz);
	for (unsigned r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		/* bench_measure gives cycles per pass: per packet, divided by the frames. */
		struct bench_stat3 st = bench_measure(rows[r].pass, NULL, ROUNDS, BENCH_RUNS_MAX);
		printf("%-50s %6.1f %6.1f %6.1f\n", rows[r].what, st.min / N_PKTS, st.med / N_PKTS,
			st.max / N_PKTS);
	}
	return 0;
}
