/* SPDX-License-Identifier: BSD-3-Clause */
#include <netinet/in.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "pktgen.h"

uint16_t pg_rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

uint32_t pg_rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

void pg_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void pg_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint16_t pg_ref_sum(const uint8_t *p, size_t len, uint32_t init)
{
	uint64_t s = init;

	for (size_t i = 0; i < len; i++)
		s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

uint16_t pg_ref_csum(const uint8_t *p, size_t len)
{
	return (uint16_t)~pg_ref_sum(p, len, 0);
}

uint32_t pg_pseudo_sum(const uint8_t *ip, uint8_t proto, uint16_t l4_len)
{
	return (uint32_t)pg_rd16(ip + 12) + pg_rd16(ip + 14) + pg_rd16(ip + 16) + pg_rd16(ip + 18) +
	       proto + l4_len;
}

static unsigned ihl_of(const uint8_t *ip)
{
	return (unsigned)(ip[0] & 0x0f) * 4;
}

bool pg_ip_csum_ok(const uint8_t *ip)
{
	return pg_ref_sum(ip, ihl_of(ip), 0) == 0xffff;
}

bool pg_l4_csum_ok(const uint8_t *ip)
{
	unsigned ihl = ihl_of(ip);
	uint16_t l4_len = (uint16_t)(pg_rd16(ip + 2) - ihl);
	const uint8_t *l4 = ip + ihl;

	switch (ip[9]) {
	case IPPROTO_UDP:
		if (pg_rd16(l4 + 6) == 0)
			return true;
		/* fall through */
	case IPPROTO_TCP:
		return pg_ref_sum(l4, l4_len, pg_pseudo_sum(ip, ip[9], l4_len)) == 0xffff;
	case IPPROTO_ICMP:
		return pg_ref_sum(l4, l4_len, 0) == 0xffff;
	default:
		return true;
	}
}

void pg_fix_ip_csum(uint8_t *ip)
{
	pg_wr16(ip + 10, 0);
	pg_wr16(ip + 10, pg_ref_csum(ip, ihl_of(ip)));
}

void pg_fix_l4_csum(uint8_t *ip)
{
	unsigned ihl = ihl_of(ip);
	uint16_t l4_len = (uint16_t)(pg_rd16(ip + 2) - ihl);
	uint8_t *l4 = ip + ihl;
	uint16_t c;

	switch (ip[9]) {
	case IPPROTO_TCP:
		pg_wr16(l4 + 16, 0);
		c = (uint16_t)~pg_ref_sum(l4, l4_len, pg_pseudo_sum(ip, IPPROTO_TCP, l4_len));
		pg_wr16(l4 + 16, c);
		break;
	case IPPROTO_UDP:
		pg_wr16(l4 + 6, 0);
		c = (uint16_t)~pg_ref_sum(l4, l4_len, pg_pseudo_sum(ip, IPPROTO_UDP, l4_len));
		pg_wr16(l4 + 6, c ? c : 0xffff);
		break;
	case IPPROTO_ICMP:
		pg_wr16(l4 + 2, 0);
		pg_wr16(l4 + 2, pg_ref_csum(l4, l4_len));
		break;
	default:
		break;
	}
}

static size_t eth_hdr(uint8_t *buf, const uint8_t dmac[6], const uint8_t smac[6], uint16_t type)
{
	memcpy(buf, dmac, 6);
	memcpy(buf + 6, smac, 6);
	pg_wr16(buf + 12, type);
	return PG_ETH_LEN;
}

static void ip_hdr(uint8_t *ip, unsigned ihl_words, uint8_t tos, uint16_t total, uint16_t id,
	uint16_t frag, uint8_t ttl, uint8_t proto, uint32_t src, uint32_t dst)
{
	ip[0] = (uint8_t)(0x40 | ihl_words);
	ip[1] = tos;
	pg_wr16(ip + 2, total);
	pg_wr16(ip + 4, id);
	pg_wr16(ip + 6, frag);
	ip[8] = ttl;
	ip[9] = proto;
	pg_wr16(ip + 10, 0);
	pg_wr32(ip + 12, src);
	pg_wr32(ip + 16, dst);
	/* Options: NOPs (type 1), then END on the last byte. */
	for (unsigned i = 20; i < ihl_words * 4; i++)
		ip[i] = 1;
	if (ihl_words > 5)
		ip[ihl_words * 4 - 1] = 0;
	pg_fix_ip_csum(ip);
}

size_t pg_build(uint8_t *buf, size_t cap, const struct pg_pkt *p)
{
	unsigned ihl = (p->ihl ? p->ihl : 5) * 4u;
	unsigned l4h;
	uint8_t *ip, *l4;
	size_t total, frame;

	switch (p->proto) {
	case IPPROTO_TCP:
		l4h = (p->tcp_doff ? p->tcp_doff : 5) * 4u;
		break;
	case IPPROTO_UDP:
	case IPPROTO_ICMP:
		l4h = 8;
		break;
	default:
		l4h = 0;
		break;
	}
	total = ihl + l4h + p->payload_len;
	frame = PG_ETH_LEN + total + p->pad;
	if (frame > cap || total > 0xffff)
		return 0;
	memset(buf, 0, frame);
	eth_hdr(buf, p->dmac, p->smac, p->ethertype ? p->ethertype : 0x0800);
	ip = buf + PG_ETH_LEN;
	l4 = ip + ihl;
	for (unsigned i = 0; i < p->payload_len; i++)
		l4[l4h + i] = (uint8_t)(p->payload_seed + i * 7u + 1);
	switch (p->proto) {
	case IPPROTO_TCP:
		pg_wr16(l4, p->sport);
		pg_wr16(l4 + 2, p->dport);
		pg_wr32(l4 + 4, p->seq);
		pg_wr32(l4 + 8, p->ack);
		l4[12] = (uint8_t)((l4h / 4) << 4);
		l4[13] = p->tcp_flags;
		pg_wr16(l4 + 14, 29200);
		for (unsigned i = 20; i < l4h; i++)
			l4[i] = 1;
		break;
	case IPPROTO_UDP:
		pg_wr16(l4, p->sport);
		pg_wr16(l4 + 2, p->dport);
		pg_wr16(l4 + 4, (uint16_t)(8 + p->payload_len));
		break;
	case IPPROTO_ICMP:
		l4[0] = p->icmp_type;
		l4[1] = p->icmp_code;
		pg_wr16(l4 + 4, p->sport);
		pg_wr16(l4 + 6, p->icmp_seq);
		break;
	default:
		break;
	}
	ip_hdr(ip, ihl / 4, p->tos, (uint16_t)total, p->ip_id, p->frag, p->ttl ? p->ttl : 64,
		p->proto, p->src, p->dst);
	if (p->ip_opts) {
		if (20u + p->ip_opts_len > ihl)
			return 0;
		memset(ip + 20, 0, ihl - 20);
		memcpy(ip + 20, p->ip_opts, p->ip_opts_len);
		pg_fix_ip_csum(ip);
	}
	if (!(p->proto == IPPROTO_UDP && p->udp_csum_zero))
		pg_fix_l4_csum(ip);
	return frame;
}

size_t pg_build_icmp_error(uint8_t *buf, size_t cap, const uint8_t dmac[6], const uint8_t smac[6],
	uint32_t src, uint32_t dst, uint8_t type, uint8_t code, const uint8_t *quote, size_t qlen)
{
	size_t total = 20 + 8 + qlen;
	uint8_t *ip = buf + PG_ETH_LEN, *icmp = ip + 20;

	if (PG_ETH_LEN + total > cap)
		return 0;
	memset(buf, 0, PG_ETH_LEN + total);
	eth_hdr(buf, dmac, smac, 0x0800);
	icmp[0] = type;
	icmp[1] = code;
	memcpy(icmp + 8, quote, qlen);
	ip_hdr(ip, 5, 0, (uint16_t)total, 0x1234, 0, 64, IPPROTO_ICMP, src, dst);
	pg_fix_l4_csum(ip);
	return PG_ETH_LEN + total;
}

size_t pg_build_arp(uint8_t *buf, size_t cap, uint16_t op, const uint8_t eth_dst[6],
	const uint8_t sha[6], uint32_t spa, const uint8_t tha[6], uint32_t tpa)
{
	uint8_t *a = buf + PG_ETH_LEN;

	if (cap < 42)
		return 0;
	memset(buf, 0, 42);
	eth_hdr(buf, eth_dst, sha, 0x0806);
	pg_wr16(a, 1);
	pg_wr16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	pg_wr16(a + 6, op);
	memcpy(a + 8, sha, 6);
	pg_wr32(a + 14, spa);
	memcpy(a + 18, tha, 6);
	pg_wr32(a + 24, tpa);
	return 42;
}

uint64_t pg_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void pg_mac(uint8_t mac[6], uint8_t last)
{
	static const uint8_t base[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x00 };
	memcpy(mac, base, 6);
	mac[5] = last;
}

struct rte_mempool *pg_mempool(void)
{
	static struct rte_mempool *mp;

	if (!mp)
		mp = rte_pktmbuf_pool_create("pg_pool", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
			SOCKET_ID_ANY);
	return mp;
}

struct rte_mbuf *pg_mbuf(struct rte_mempool *mp, const uint8_t *frame, size_t len, uint16_t port)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	char *d;

	if (!m)
		return NULL;
	d = rte_pktmbuf_append(m, (uint16_t)len);
	if (!d) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(d, frame, len);
	m->port = port;
	return m;
}
