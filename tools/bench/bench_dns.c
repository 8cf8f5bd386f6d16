/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "bench_dns.h"
#include "bench_pkts.h"

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

/* NAME in wire form at B (room checked by the caller: at most 255 bytes). Its length. */
static size_t put_name(uint8_t *b, const char *name)
{
	size_t n = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		b[n++] = (uint8_t)l;
		memcpy(b + n, name, l);
		n += l;
		name += l + (dot ? 1 : 0);
	}
	b[n++] = 0;
	return n;
}

/* A record of OWNER: type, class IN, TTL, RDATA (RDLEN bytes at RD). */
static size_t put_rr(uint8_t *b, const char *owner, uint16_t type, uint32_t ttl, const uint8_t *rd,
	uint16_t rdlen)
{
	size_t n = put_name(b, owner);

	wr16(b + n, type);
	wr16(b + n + 2, 1);
	wr32(b + n + 4, ttl);
	wr16(b + n + 8, rdlen);
	memcpy(b + n + 10, rd, rdlen);
	return n + 10 + rdlen;
}

/* The wire length of NAME (a name of labels, no empty one). */
static size_t name_len(const char *name)
{
	return strlen(name) + 2;
}

/* The length bench_dns_msg() writes for M. */
static size_t msg_len(const struct bench_dns_msg *m)
{
	size_t n = 12 + name_len(m->qname) + 4;
	const char *owner = m->qname;

	if (!m->answer)
		return n;
	for (unsigned i = 0; i < m->n_cnames; i++) {
		n += name_len(owner) + 10 + name_len(m->cnames[i]);
		owner = m->cnames[i];
	}
	return n + m->n_addrs * (name_len(owner) + 10 + 4);
}

size_t bench_dns_msg(uint8_t *buf, size_t cap, const struct bench_dns_msg *m)
{
	const unsigned n_an = m->answer ? m->n_cnames + m->n_addrs : 0;
	const char *owner = m->qname;
	uint8_t rd[256];
	size_t n;

	if (msg_len(m) > cap)
		return 0;
	wr16(buf, m->id);
	wr16(buf + 2, (uint16_t)(m->answer ? 0x8180 | m->rcode : 0x0100));
	wr16(buf + 4, 1);
	wr16(buf + 6, (uint16_t)n_an);
	wr16(buf + 8, 0);
	wr16(buf + 10, 0);
	n = 12 + put_name(buf + 12, m->qname);
	wr16(buf + n, m->qtype ? m->qtype : 1);
	wr16(buf + n + 2, 1);
	n += 4;
	if (!m->answer)
		return n;
	for (unsigned i = 0; i < m->n_cnames; i++) {
		n += put_rr(buf + n, owner, 5, m->ttl, rd, (uint16_t)put_name(rd, m->cnames[i]));
		owner = m->cnames[i];
	}
	for (unsigned i = 0; i < m->n_addrs; i++) {
		wr32(rd, m->addrs[i]);
		n += put_rr(buf + n, owner, 1, m->ttl, rd, 4);
	}
	return n;
}

size_t bench_build_udp(uint8_t *buf, size_t cap, bool outbound, uint32_t src, uint16_t sport,
	uint32_t dst, uint16_t dport, const uint8_t *payload, size_t len)
{
	uint8_t *ip = buf + 14, *udp = ip + 20, pseudo[12];
	const size_t ip_len = 28 + len;
	uint16_t ck;

	if (14 + ip_len > cap || ip_len > 65535)
		return 0;
	memcpy(buf, outbound ? bench_mac_in : bench_mac_out, 6);
	memcpy(buf + 6, outbound ? bench_mac_router : bench_mac_gw, 6);
	wr16(buf + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)ip_len);
	ip[8] = 64;
	ip[9] = 17;
	wr32(ip + 12, src);
	wr32(ip + 16, dst);
	wr16(ip + 10, bench_csum(ip, 20, 0));
	wr16(udp, sport);
	wr16(udp + 2, dport);
	wr16(udp + 4, (uint16_t)(8 + len));
	wr16(udp + 6, 0);
	memcpy(udp + 8, payload, len);
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 17;
	wr16(pseudo + 10, (uint16_t)(8 + len));
	/* The pseudo-header's sum, then the datagram's: 12 bytes keep the 16-bit alignment. */
	ck = bench_csum(udp, (unsigned)(8 + len), (uint16_t)~bench_csum(pseudo, 12, 0));
	wr16(udp + 6, ck ? ck : 0xffff);
	return 14 + ip_len;
}
