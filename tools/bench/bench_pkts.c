/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "bench_pkts.h"

const uint8_t bench_mac_in[6] = { 0x02, 0x00, 0x5e, 0xb0, 0x00, 0x01 };
const uint8_t bench_mac_out[6] = { 0x02, 0x00, 0x5e, 0xb0, 0x00, 0x02 };
const uint8_t bench_mac_router[6] = { 0x02, 0x00, 0x5e, 0xb0, 0x00, 0x11 };
const uint8_t bench_mac_gw[6] = { 0x02, 0x00, 0x5e, 0xb0, 0x00, 0x21 };

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint16_t bench_csum(const uint8_t *p, unsigned len, uint32_t init)
{
	uint32_t s = init;

	for (unsigned i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

void bench_flow_tuple(uint64_t i, struct bench_tuple *t)
{
	uint64_t rest = i / BENCH_N_SRC;
	/* Servers and service ports spread by a multiplicative hash of I, independent of the
	 * source, so every (pool address, server, port) keeps plenty of free NAT ports. */
	uint64_t h = (i + 1) * 0x9e3779b97f4a7c15ULL;

	t->src = BENCH_SRC_FIRST + (uint32_t)(i % BENCH_N_SRC);
	t->sport = (uint16_t)(1024 + rest % BENCH_N_SPORT);
	t->dst = BENCH_IP(203, 0, 113, 8) + (uint32_t)((h >> 32) % BENCH_N_DST);
	t->dport = (h >> 20) & 1 ? 443 : 80;
}

static inline uint16_t fold_not(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * Ethernet + IPv4 (20 bytes, DF, TTL 64) + TCP (20 bytes, no payload) + 6 bytes padding. The
 * checksums are summed from the field values (no pass over the bytes): the frame is rewritten
 * for every packet the benchmark sends, outside the timed part but inside its wall time.
 */
static void build(uint8_t *b, const uint8_t dmac[6], const uint8_t smac[6], uint32_t src,
	uint32_t dst, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq)
{
	uint8_t *ip = b + 14, *tcp = ip + 20;
	const uint32_t addrs = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff);
	const uint16_t ack = 1, win = 65535;

	memcpy(b, dmac, 6);
	memcpy(b + 6, smac, 6);
	b[12] = 0x08;
	b[13] = 0x00;
	ip[0] = 0x45;
	ip[1] = 0;
	wr16(ip + 2, BENCH_IP_LEN);
	wr16(ip + 4, 0);
	wr16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	wr16(ip + 10, fold_not(0x4500 + BENCH_IP_LEN + 0x4000 + (64 << 8 | 6) + addrs));
	wr32(ip + 12, src);
	wr32(ip + 16, dst);
	wr16(tcp, sport);
	wr16(tcp + 2, dport);
	wr32(tcp + 4, seq);
	wr32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	wr16(tcp + 14, win);
	wr16(tcp + 18, 0);
	/* Pseudo-header (addresses, protocol, TCP length) + the header's words. */
	wr16(tcp + 16, fold_not(addrs + 6 + 20 + sport + dport + (seq >> 16) + (seq & 0xffff) +
				ack + (uint32_t)(5 << 12 | flags) + win));
	memset(tcp + 20, 0, BENCH_FRAME_LEN - 54);
}

void bench_build_outbound(uint8_t *buf, const struct bench_tuple *t, uint8_t flags)
{
	build(buf, bench_mac_in, bench_mac_router, t->src, t->dst, t->sport, t->dport, flags, 1);
}

unsigned bench_build_outbound_data(uint8_t *buf, const struct bench_tuple *t, uint8_t flags,
	uint32_t seq, const uint8_t *data, uint16_t len)
{
	uint8_t *ip = buf + 14, *tcp = ip + 20;
	uint32_t pseudo;

	build(buf, bench_mac_in, bench_mac_router, t->src, t->dst, t->sport, t->dport, flags, seq);
	if (!len)
		return BENCH_FRAME_LEN;
	memcpy(tcp + 20, data, len);
	wr16(ip + 2, (uint16_t)(40 + len));
	wr16(ip + 10, 0);
	wr16(ip + 10, bench_csum(ip, 20, 0));
	pseudo = (t->src >> 16) + (t->src & 0xffff) + (t->dst >> 16) + (t->dst & 0xffff) + 6 + 20u +
		 len;
	wr16(tcp + 16, 0);
	wr16(tcp + 16, bench_csum(tcp, 20u + len, pseudo));
	return 54u + len;
}

void bench_build_reply(uint8_t *buf, const struct bench_tuple *t, uint32_t nat_addr,
	uint16_t nat_port, uint8_t flags)
{
	build(buf, bench_mac_out, bench_mac_gw, t->dst, nat_addr, t->dport, nat_port, flags, 7);
}
