/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_BENCH_PKTS_H
#define EGW_BENCH_PKTS_H

#include <stdint.h>

/*
 * The pipeline benchmark's traffic: flow number I (0 .. 7.8e9) -> one TCP 5-tuple, and the
 * 60-byte frames of that flow in each direction, written into a caller's buffer (an mbuf's
 * data, rewritten in place between bursts). Shared with tests/unit/test_bench.c, which checks
 * that what the pipeline makes of these frames is right. No DPDK here: plain bytes.
 *
 * Addresses (host order) stay in the ranges the project may use:
 * - inside hosts 198.18.1.0 - 198.19.255.255, behind an inside router (BENCH_IN_ROUTER) on the
 *   inside port's connected /24, so replies need one neighbour entry, not one per host;
 * - servers 203.0.113.8 - 203.0.113.247, behind the outside gateway (the outside port's
 *   connected subnet is a /30), so one neighbour entry again;
 * - the pool 198.51.100.10 - 198.51.100.13.
 */

#define BENCH_IP(a, b, c, d)                                                                       \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

#define BENCH_IN_ADDR BENCH_IP(198, 18, 0, 1)	  /* inside port, /24 */
#define BENCH_IN_ROUTER BENCH_IP(198, 18, 0, 254) /* next hop to 198.18.0.0/15 */
#define BENCH_OUT_ADDR BENCH_IP(203, 0, 113, 2)	  /* outside port, /30 */
#define BENCH_OUT_GW BENCH_IP(203, 0, 113, 1)	  /* default gateway */
#define BENCH_POOL_FIRST BENCH_IP(198, 51, 100, 10)
#define BENCH_POOL_N 4

#define BENCH_SRC_FIRST BENCH_IP(198, 18, 1, 0)
#define BENCH_N_SRC (131072u - 256u) /* 198.18.1.0 - 198.19.255.255 */
#define BENCH_N_SPORT 60000u	     /* source ports 1024 .. 60023 */
#define BENCH_N_DST 240u	     /* 203.0.113.8 .. 203.0.113.247 */

#define BENCH_FRAME_LEN 60 /* Ethernet minimum without FCS: 14 + 20 + 20 + 6 padding */
#define BENCH_IP_LEN 40

/* MACs: ports, the inside router, the outside gateway (02:00:5e:b0:00:xx). */
extern const uint8_t bench_mac_in[6], bench_mac_out[6], bench_mac_router[6], bench_mac_gw[6];

struct bench_tuple {
	uint32_t src, dst;     /* host order */
	uint16_t sport, dport; /* host order */
};

/* The 5-tuple (TCP) of flow I. Distinct I below BENCH_N_SRC * BENCH_N_SPORT give distinct
 * tuples. */
void bench_flow_tuple(uint64_t i, struct bench_tuple *t);

/*
 * Writes the frame of T from the inside host to the server (via the inside port, MACs router ->
 * inside port), TTL 64, TCP flags FLAGS (0x10 = ACK), every checksum valid. BENCH_FRAME_LEN
 * bytes at BUF.
 */
void bench_build_outbound(uint8_t *buf, const struct bench_tuple *t, uint8_t flags);

/*
 * The frame of T from the inside host with LEN bytes of DATA after the TCP header, sequence
 * number SEQ (a ClientHello). Returns its length (54 + LEN, at least BENCH_FRAME_LEN).
 */
unsigned bench_build_outbound_data(uint8_t *buf, const struct bench_tuple *t, uint8_t flags,
	uint32_t seq, const uint8_t *data, uint16_t len);

/*
 * Writes the server's reply to the translated flow T (server -> NAT_ADDR:NAT_PORT, host order),
 * arriving on the outside port from the gateway. BENCH_FRAME_LEN bytes at BUF.
 */
void bench_build_reply(uint8_t *buf, const struct bench_tuple *t, uint32_t nat_addr,
	uint16_t nat_port, uint8_t flags);

/* The checksum field value (network order bytes as a host integer) of LEN bytes from INIT:
 * ~fold(sum). Exposed for the unit test's cross-checks. */
uint16_t bench_csum(const uint8_t *p, unsigned len, uint32_t init);

#endif
