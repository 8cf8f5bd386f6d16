/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/dns: queries and answers from a real dnsmasq (tests/unit/data: a CNAME chain, NXDOMAIN,
 * HTTPS records with and without ech), every prefix of them, hostile messages (compression
 * loops, pointers into the header, lying counts and lengths, CNAME loops), the NXDOMAIN
 * builder (byte for byte what dnsmasq answers) and the removal of the ech SvcParam.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "egw_test.h"
#include "testdata.h"

/* ---- a small message builder for hostile cases ---- */

struct msg {
	uint8_t b[8192];
	uint32_t n;
};

static void u8(struct msg *m, unsigned v)
{
	m->b[m->n++] = (uint8_t)v;
}

static void u16(struct msg *m, unsigned v)
{
	u8(m, v >> 8);
	u8(m, v);
}

static void u32(struct msg *m, uint32_t v)
{
	u16(m, v >> 16);
	u16(m, v & 0xffff);
}

static void hdr(struct msg *m, unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns,
	unsigned ar)
{
	m->n = 0;
	u16(m, id);
	u16(m, flags);
	u16(m, qd);
	u16(m, an);
	u16(m, ns);
	u16(m, ar);
}

/* One label of N raw bytes (may hold '.' or anything). */
static void label(struct msg *m, const void *bytes, size_t n)
{
	u8(m, (unsigned)n);
	memcpy(m->b + m->n, bytes, n);
	m->n += (uint32_t)n;
}

/* Labels of DOTTED; with PTR != 0 ends in a pointer to PTR instead of the root. Returns where
 * the name starts. */
static uint32_t name(struct msg *m, const char *dotted, unsigned ptr)
{
	uint32_t at = m->n;

	while (*dotted) {
		const char *dot = strchr(dotted, '.');
		size_t n = dot ? (size_t)(dot - dotted) : strlen(dotted);

		label(m, dotted, n);
		dotted += n + (dot ? 1 : 0);
	}
	if (ptr)
		u16(m, 0xc000 | ptr);
	else
		u8(m, 0);
	return at;
}

static void question(struct msg *m, const char *qname, unsigned type)
{
	name(m, qname, 0);
	u16(m, type);
	u16(m, 1);
}

/* A record header after its owner; returns where RDLENGTH is, for rr_end(). */
static uint32_t rr(struct msg *m, unsigned type, unsigned cls, uint32_t ttl)
{
	uint32_t at;

	u16(m, type);
	u16(m, cls);
	u32(m, ttl);
	at = m->n;
	u16(m, 0);
	return at;
}

static void rr_end(struct msg *m, uint32_t at)
{
	uint32_t len = m->n - at - 2;

	m->b[at] = (uint8_t)(len >> 8);
	m->b[at + 1] = (uint8_t)len;
}

static void a_rr(struct msg *m, unsigned owner_ptr, const char *owner, uint32_t addr, uint32_t ttl)
{
	uint32_t at;

	if (owner)
		name(m, owner, owner_ptr);
	else
		u16(m, 0xc000 | owner_ptr);
	at = rr(m, 1, 1, ttl);
	memcpy(m->b + m->n, &addr, 4); /* network order already */
	m->n += 4;
	rr_end(m, at);
}

static enum egw_dns_status answer_exact(const void *p, size_t n, const struct egw_dns_qkey *k,
	struct egw_dns_answer *a)
{
	uint8_t *c = egw_testdata_exact(p, n);
	enum egw_dns_status st = egw_dns_parse_answer(c, (uint32_t)n, k, a);

	free(c);
	return st;
}

static uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return htonl(a << 24 | b << 16 | c << 8 | d);
}

/* ---- real answers ---- */

struct pair {
	uint8_t *q, *r;
	size_t qn, rn;
};

static int load_pair(const char *base, struct pair *p)
{
	char f[64];

	snprintf(f, sizeof(f), "%s.q", base);
	p->q = egw_testdata_load(f, &p->qn);
	snprintf(f, sizeof(f), "%s.r", base);
	p->r = egw_testdata_load(f, &p->rn);
	return p->q && p->r ? 0 : -1;
}

static void free_pair(struct pair *p)
{
	free(p->q);
	free(p->r);
}

static void test_dns_real_answers(void)
{
	static const struct {
		const char *base, *qname;
		unsigned qtype, rcode, hops, n;
		uint32_t addr[2], ttl;
	} vecs[] = {
		{ "dns_direct", "direct.example.com", 1, 0, 0, 1, { 0 }, 600 },
		{ "dns_cname_chain", "www.example.com", 1, 0, 2, 2, { 0 }, 120 },
		{ "dns_nxdomain", "missing.example.com", 1, 3, 0, 0, { 0 }, 0 },
		{ "dns_https_ech", "svc.example.com", 65, 0, 0, 0, { 0 }, 0 },
	};
	const uint32_t want_direct = ip(203, 0, 113, 5),
		       want_chain[2] = { ip(203, 0, 113, 10), ip(203, 0, 113, 11) };

	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		struct egw_dns_question q;
		struct egw_dns_answer a;
		struct egw_dns_qkey k;
		struct pair p;

		if (load_pair(vecs[i].base, &p) < 0)
			continue;
		CU_ASSERT_EQUAL(egw_dns_parse_query(p.q, (uint32_t)p.qn, &q), EGW_DNS_OK);
		CU_ASSERT_STRING_EQUAL(q.name, vecs[i].qname);
		CU_ASSERT_EQUAL(q.name_state, EGW_HOSTNAME_VALID);
		CU_ASSERT_EQUAL(q.key.qtype, vecs[i].qtype);
		CU_ASSERT_EQUAL(q.key.qclass, 1);
		CU_ASSERT_EQUAL(q.key.id, p.q[0] << 8 | p.q[1]);
		CU_ASSERT_EQUAL(answer_exact(p.r, p.rn, &q.key, &a), EGW_DNS_OK);
		CU_ASSERT_STRING_EQUAL(a.q.name, vecs[i].qname);
		CU_ASSERT_EQUAL(a.rcode, vecs[i].rcode);
		CU_ASSERT_EQUAL(a.cname_hops, vecs[i].hops);
		CU_ASSERT_EQUAL(a.n_addrs, vecs[i].n);
		CU_ASSERT_FALSE(a.addrs_truncated);
		for (unsigned j = 0; j < a.n_addrs && j < 2; j++) {
			CU_ASSERT_EQUAL(a.addrs[j].addr, i == 0 ? want_direct : want_chain[j]);
			CU_ASSERT_EQUAL(a.addrs[j].ttl, vecs[i].ttl);
		}
		/* another ID, type or name: not this query's answer */
		k = q.key;
		k.id ^= 1;
		CU_ASSERT_EQUAL(answer_exact(p.r, p.rn, &k, &a), EGW_DNS_MISMATCH);
		k = q.key;
		k.qtype = 28;
		CU_ASSERT_EQUAL(answer_exact(p.r, p.rn, &k, &a), EGW_DNS_MISMATCH);
		k = q.key;
		k.name_hash ^= 1;
		CU_ASSERT_EQUAL(answer_exact(p.r, p.rn, &k, &a), EGW_DNS_MISMATCH);
		/* a query is not an answer, an answer not a query */
		CU_ASSERT_EQUAL(answer_exact(p.q, p.qn, NULL, &a), EGW_DNS_UNSUPPORTED);
		CU_ASSERT_EQUAL(egw_dns_parse_query(p.r, (uint32_t)p.rn, &q), EGW_DNS_UNSUPPORTED);
		free_pair(&p);
	}
}

/* The question's case does not matter: dnsmasq echoes "WWW.Example.COM", the key matches a
 * query written in any case. */
static void test_dns_case_and_prefixes(void)
{
	struct egw_dns_question q;
	struct egw_dns_answer a;
	struct msg m;
	struct pair p;

	if (load_pair("dns_cname_chain", &p) < 0)
		return;
	hdr(&m, p.q[0] << 8 | p.q[1], 0x0100, 1, 0, 0, 0);
	question(&m, "www.EXAMPLE.com", 1);
	CU_ASSERT_EQUAL(egw_dns_parse_query(m.b, m.n, &q), EGW_DNS_OK);
	CU_ASSERT_EQUAL(answer_exact(p.r, p.rn, &q.key, &a), EGW_DNS_OK);
	CU_ASSERT_EQUAL(a.n_addrs, 2);
	/* every prefix that cuts the answer section is MALFORMED, never read past */
	for (size_t k = 0; k < p.rn; k++) {
		enum egw_dns_status st = answer_exact(p.r, k, &q.key, &a);

		/* 130: the end of the last A record; the OPT after it is not read */
		CU_ASSERT_EQUAL(st, k < 130 ? EGW_DNS_MALFORMED : EGW_DNS_OK);
	}
	free_pair(&p);
}

/* ---- hostile answers ---- */

static void test_dns_compression_hostile(void)
{
	struct egw_dns_answer a;
	struct msg m;
	uint32_t at, first;

	/* the question name is a pointer to itself */
	hdr(&m, 1, 0x8180, 1, 0, 0, 0);
	u16(&m, 0xc000 | 12);
	u16(&m, 1);
	u16(&m, 1);
	CU_ASSERT_EQUAL(answer_exact(m.b, m.n, NULL, &a), EGW_DNS_MALFORMED);
	/* a pointer into the header */
	m.b[13] = 2;
	CU_ASSERT_EQUAL(answer_exact(m.b, m.n, NULL, &a), EGW_DNS_MALFORMED);

	/* a CNAME target: two pointers aiming at each other */
	hdr(&m, 1, 0x8180, 1, 1, 0, 0);
	question(&m, "a.example", 1);
	u16(&m, 0xc00c);
	at = rr(&m, 5, 1, 60);
	first = m.n;
	u16(&m, 0xc000 | (first + 2));
	u16(&m, 0xc000 | first);
	rr_end(&m, at);
	CU_ASSERT_EQUAL(answer_exact(m.b, m.n, NULL, &a), EGW_DNS_MALFORMED);

	/* a pointer aiming forward, at a well-formed name in the next record */
	hdr(&m, 1, 0x8180, 1, 2, 0, 0);
	question(&m, "a.example", 1);
	u16(&m, 0xc00c);
	at = rr(&m, 5, 1, 60);
	u16(&m, 0xc000 | (m.n + 2 + 2 + 10));
	rr_end(&m, at);
	u16(&m, 0xc00c);
	at = rr(&m, 10, 1, 60); /* NULL record holding "b.example" */
	name(&m, "b.example", 0);
	rr_end(&m, at);
	CU_ASSERT_EQUAL(answer_exact(m.b, m.n, NULL, &a), EGW_DNS_MALFORMED);
	/* the same name aimed at backwards is fine */
	hdr(&m, 1, 0x8180, 1, 2, 0, 0);
	question(&m, "a.example", 1);
	u16(&m, 0xc00c);
	at = rr(&m, 10, 1, 60);
	first = m.n;
	name(&m, "b.example", 0);
	rr_end(&m, at);
	u16(&m, 0xc00c);
	at = rr(&m, 5, 1, 60);
	u16(&m, 0xc000 | first);
	rr_end(&m, at);
	CU_ASSERT_EQUAL(answer_exact(m.b, m.n, NULL, &a), EGW_DNS_OK);

	/* a name longer than 255 bytes */
	hdr(&m, 1, 0x8180, 1, 0, 0, 0);
	for (int i = 0; i < 5; i++)
		label(&m, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 63);
	u8(&m, 0);
	u16(&m, 1);
	u16(&m, 1);
	CU_ASSERT_EQUAL(answer_exact(m.b, m.n, NULL, &a), EGW_DNS_MALFORMED);

	/* an extended label type (0x40) */
	hdr(&m, 1, 0x8180, 1, 0, 0, 0);
	u8(&m, 0x41);
	u8(&m, 'x');
	u8(&m, 0);
	u16(&m, 1);
	u16(&m, 1);
	CU_ASSERT_EQUAL(answer_exact(m.b, m.n, NULL, &a), EGW_DNS_MALFORMED);
}

/* A chain of pointers longer than DNS_JUMPS_MAX inside a CNAME's RDATA. */
static void test_dns_pointer_chain(void)
{
	struct egw_dns_answer a;
	struct msg m;
	uint32_t at, prev, null_at;

	for (unsigned hops = 100; hops <= 140; hops += 40) {
		hdr(&m, 1, 0x8180, 1, 2, 0, 0);
		question(&m, "a.example", 1);
		/* a NULL record (type 10) whose RDATA holds "c" and the chain, for pointers */
		u16(&m, 0xc00c);
		null_at = rr(&m, 10, 1, 0);
		prev = m.n;
		name(&m, "c", 0);
		for (unsigned i = 0; i < hops - 1; i++) {
			u16(&m, 0xc000 | prev);
			prev = m.n - 2;
		}
		rr_end(&m, null_at);
		u16(&m, 0xc00c);
		at = rr(&m, 5, 1, 60);
		u16(&m, 0xc000 | prev); /* the CNAME target: the chain's last pointer */
		rr_end(&m, at);
		CU_ASSERT_EQUAL(answer_exact(m.b, m.n, NULL, &a),
			hops <= 127 ? EGW_DNS_OK : EGW_DNS_MALFORMED);
	}
}

static void test_dns_counts_and_lengths(void)
{
	struct egw_dns_answer a;
	struct msg m;
	uint32_t at;

	/* ANCOUNT 65535, one record */
	hdr(&m, 1, 0x8180, 1, 65535, 0, 0);
	question(&m, "a.example", 1);
	a_rr(&m, 12, NULL, ip(203, 0, 113, 1), 60);
	CU_ASSERT_EQUAL(answer_exact(m.b, m.n, NULL, &a), EGW_DNS_MALFORMED);
	/* RDLENGTH past the end */
	m.b[7] = 1;
	m.b[m.n - 5] = 200;
	CU_ASSERT_EQUAL(answer_exact(m.b, m.n, NULL, &a), EGW_DNS_MALFORMED);
	/* an A record of 5 bytes */
	hdr(&m, 1, 0x8180, 1, 1, 0, 0);
	question(&m, "a.example", 1);
	u16(&m, 0xc00c);
	at = rr(&m, 1, 1, 60);
	u32(&m, 1);
	u8(&m, 0);
	rr_end(&m, at);
	CU_ASSERT_EQUAL(answer_exact(m.b, m.n, NULL, &a), EGW_DNS_MALFORMED);
	/* QDCOUNT 2, opcode UPDATE: not what the learner reads */
	hdr(&m, 1, 0x8180, 2, 0, 0, 0);
	question(&m, "a.example", 1);
	question(&m, "b.example", 1);
	CU_ASSERT_EQUAL(answer_exact(m.b, m.n, NULL, &a), EGW_DNS_UNSUPPORTED);
	hdr(&m, 1, 0x8180 | (5 << 11), 1, 0, 0, 0);
	question(&m, "a.example", 1);
	CU_ASSERT_EQUAL(answer_exact(m.b, m.n, NULL, &a), EGW_DNS_UNSUPPORTED);
	/* shorter than a header, longer than a DNS message */
	CU_ASSERT_EQUAL(answer_exact(m.b, 11, NULL, &a), EGW_DNS_MALFORMED);
	CU_ASSERT_EQUAL(egw_dns_parse_answer(m.b, 65536, NULL, &a), EGW_DNS_MALFORMED);
}

static void test_dns_chains(void)
{
	struct egw_dns_answer a;
	struct msg m;
	uint32_t at, owner_b, owner_c;

	/* CNAME loop a -> b -> a, with an A for b: ends, b's address once */
	hdr(&m, 1, 0x8180, 1, 3, 0, 0);
	question(&m, "a.example", 1);
	u16(&m, 0xc00c);
	at = rr(&m, 5, 1, 60);
	owner_b = name(&m, "b", 12 + 2); /* "b" + pointer to "example" */
	rr_end(&m, at);
	u16(&m, 0xc000 | owner_b);
	at = rr(&m, 5, 1, 60);
	u16(&m, 0xc00c);
	rr_end(&m, at);
	a_rr(&m, owner_b, NULL, ip(203, 0, 113, 7), 30);
	CU_ASSERT_EQUAL(answer_exact(m.b, m.n, NULL, &a), EGW_DNS_OK);
	CU_ASSERT_EQUAL(a.cname_hops, EGW_DNS_CHAIN_MAX);
	CU_ASSERT(a.addrs_truncated);
	CU_ASSERT_EQUAL(a.n_addrs, 1);
	CU_ASSERT_EQUAL(a.addrs[0].addr, ip(203, 0, 113, 7));
	CU_ASSERT_EQUAL(a.addrs[0].ttl, 30);

	/* unrelated owners, other classes, a TTL with the top bit, a case-different owner
	 * written out in full */
	hdr(&m, 1, 0x8180, 1, 5, 0, 0);
	question(&m, "A.Example", 1);
	a_rr(&m, 0, "other.example", ip(203, 0, 113, 66), 60);
	u16(&m, 0xc00c);
	at = rr(&m, 1, 3, 60); /* class CH */
	u32(&m, ip(203, 0, 113, 67));
	rr_end(&m, at);
	a_rr(&m, 12, NULL, ip(203, 0, 113, 1), 0x80000000u);
	a_rr(&m, 0, "a.EXAMPLE", ip(203, 0, 113, 2), 77);
	u16(&m, 0xc00c); /* an AAAA: ignored */
	at = rr(&m, 28, 1, 60);
	for (int i = 0; i < 4; i++)
		u32(&m, 0x20010db8);
	rr_end(&m, at);
	CU_ASSERT_EQUAL(answer_exact(m.b, m.n, NULL, &a), EGW_DNS_OK);
	CU_ASSERT_EQUAL(a.n_addrs, 2);
	CU_ASSERT_EQUAL(a.addrs[0].addr, ip(203, 0, 113, 1));
	CU_ASSERT_EQUAL(a.addrs[0].ttl, 0);
	CU_ASSERT_EQUAL(a.addrs[1].addr, ip(203, 0, 113, 2));
	CU_ASSERT_EQUAL(a.addrs[1].ttl, 77);
	CU_ASSERT_STRING_EQUAL(a.q.name, "a.example");

	/* chains of 8 and 9 CNAMEs: the first followed to its address, the second not */
	for (int len = 8; len <= 9; len++) {
		hdr(&m, 1, 0x8180, 1, (unsigned)len + 1, 0, 0);
		question(&m, "a.example", 1);
		owner_c = 12;
		for (int i = 0; i < len; i++) {
			char n[8];

			snprintf(n, sizeof(n), "c%d", i);
			u16(&m, 0xc000 | owner_c);
			at = rr(&m, 5, 1, 60);
			owner_c = name(&m, n, 12 + 2);
			rr_end(&m, at);
		}
		a_rr(&m, owner_c, NULL, ip(203, 0, 113, 9), 600);
		CU_ASSERT_EQUAL(answer_exact(m.b, m.n, NULL, &a), EGW_DNS_OK);
		CU_ASSERT_EQUAL(a.cname_hops, EGW_DNS_CHAIN_MAX);
		CU_ASSERT_EQUAL(a.n_addrs, len == 8 ? 1 : 0);
		CU_ASSERT_EQUAL(a.addrs_truncated, len == 9);
		if (len == 8)
			CU_ASSERT_EQUAL(a.addrs[0].ttl, 60); /* the chain's smallest TTL */
	}

	/* 40 addresses: 32 kept */
	hdr(&m, 1, 0x8180, 1, 40, 0, 0);
	question(&m, "a.example", 1);
	for (unsigned i = 0; i < 40; i++)
		a_rr(&m, 12, NULL, ip(203, 0, 113, i), 60);
	CU_ASSERT_EQUAL(answer_exact(m.b, m.n, NULL, &a), EGW_DNS_OK);
	CU_ASSERT_EQUAL(a.n_addrs, EGW_DNS_LEARN_MAX);
	CU_ASSERT(a.addrs_truncated);
}

/* A label holding '.' reads like another name as text: never a host name to learn for. */
static void test_dns_odd_labels(void)
{
	struct egw_dns_question q;
	struct msg m;

	hdr(&m, 1, 0x0100, 1, 0, 0, 0);
	label(&m, "github.com", 10);
	u8(&m, 0);
	u16(&m, 1);
	u16(&m, 1);
	CU_ASSERT_EQUAL(egw_dns_parse_query(m.b, m.n, &q), EGW_DNS_OK);
	CU_ASSERT_EQUAL(q.name_state, EGW_HOSTNAME_INVALID);
	CU_ASSERT_STRING_EQUAL(q.name, "");
	/* "_dmarc" and the root: parsed, not host names */
	hdr(&m, 1, 0x0100, 1, 0, 0, 0);
	question(&m, "_dmarc.example.com", 16);
	CU_ASSERT_EQUAL(egw_dns_parse_query(m.b, m.n, &q), EGW_DNS_OK);
	CU_ASSERT_EQUAL(q.name_state, EGW_HOSTNAME_INVALID);
	hdr(&m, 1, 0x0100, 1, 0, 0, 0);
	question(&m, "", 2);
	CU_ASSERT_EQUAL(egw_dns_parse_query(m.b, m.n, &q), EGW_DNS_OK);
	CU_ASSERT_EQUAL(q.name_state, EGW_HOSTNAME_INVALID);
	/* a query with an answer record is not a plain query */
	m.b[7] = 1;
	CU_ASSERT_EQUAL(egw_dns_parse_query(m.b, m.n, &q), EGW_DNS_UNSUPPORTED);
}

static void test_dns_tcp_framing(void)
{
	uint8_t b[40] = { 0, 12 };
	uint32_t n = 0;

	CU_ASSERT_EQUAL(egw_dns_tcp_message(b, 1, &n), EGW_DNS_NEED_MORE);
	CU_ASSERT_EQUAL(egw_dns_tcp_message(b, 13, &n), EGW_DNS_NEED_MORE);
	CU_ASSERT_EQUAL(egw_dns_tcp_message(b, 14, &n), EGW_DNS_OK);
	CU_ASSERT_EQUAL(n, 12);
	CU_ASSERT_EQUAL(egw_dns_tcp_message(b, 40, &n), EGW_DNS_OK);
	b[1] = 11;
	CU_ASSERT_EQUAL(egw_dns_tcp_message(b, 40, &n), EGW_DNS_MALFORMED);
}

/* ---- NXDOMAIN ---- */

static void test_dns_nxdomain(void)
{
	struct egw_dns_question q;
	struct egw_dns_answer a;
	struct pair p, direct;
	uint8_t out[512];
	int n;

	if (load_pair("dns_nxdomain", &p) < 0 || load_pair("dns_direct", &direct) < 0)
		return;
	/* what dnsmasq answers for a name it does not have, byte for byte */
	n = egw_dns_build_nxdomain(p.q, (uint32_t)p.qn, out, sizeof(out));
	CU_ASSERT_EQUAL(n, (int)p.rn);
	CU_ASSERT(n == (int)p.rn && memcmp(out, p.r, p.rn) == 0);
	CU_ASSERT_EQUAL(egw_dns_parse_query(p.q, (uint32_t)p.qn, &q), EGW_DNS_OK);
	CU_ASSERT_EQUAL(egw_dns_parse_answer(out, (uint32_t)n, &q.key, &a), EGW_DNS_OK);
	CU_ASSERT_EQUAL(a.rcode, EGW_DNS_RCODE_NXDOMAIN);
	/* in place */
	memcpy(out, p.q, p.qn);
	CU_ASSERT_EQUAL(egw_dns_build_nxdomain(out, (uint32_t)p.qn, out, (uint32_t)p.qn), n);
	CU_ASSERT(memcmp(out, p.r, p.rn) == 0);
	/* no OPT in the query, none in the answer */
	n = egw_dns_build_nxdomain(direct.q, (uint32_t)direct.qn, out, sizeof(out));
	CU_ASSERT_EQUAL(n, (int)direct.qn);
	CU_ASSERT_EQUAL(out[2], 0x81);
	CU_ASSERT_EQUAL(out[3], 0x83);
	CU_ASSERT_EQUAL(out[11], 0);
	CU_ASSERT(memcmp(out + 12, direct.q + 12, direct.qn - 12) == 0);
	/* errors */
	CU_ASSERT_EQUAL(egw_dns_build_nxdomain(p.q, (uint32_t)p.qn, out, (uint32_t)p.rn - 1),
		-ENOSPC);
	CU_ASSERT_EQUAL(egw_dns_build_nxdomain(p.r, (uint32_t)p.rn, out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(egw_dns_build_nxdomain(p.q, (uint32_t)p.qn - 1, out, sizeof(out)),
		-EINVAL); /* the OPT record cut short */
	CU_ASSERT_EQUAL(egw_dns_build_nxdomain(p.q, 20, out, sizeof(out)), -EINVAL);
	free_pair(&p);
	free_pair(&direct);
}

/* ---- ECH ---- */

/* The SvcParam keys of the first HTTPS record in the answer section of a message whose
 * question and owner are as dnsmasq writes them (owner = pointer). Returns how many. */
static unsigned svc_keys(const uint8_t *b, uint32_t n, unsigned *keys, uint32_t *rdlen)
{
	uint32_t p = 12, end;
	unsigned k = 0;

	while (b[p])
		p += 1u + b[p];
	p += 1 + 4; /* root, type, class */
	p += 2 + 8; /* owner pointer, type, class, TTL */
	*rdlen = (uint32_t)b[p] << 8 | b[p + 1];
	p += 2;
	end = p + *rdlen;
	CU_ASSERT_FATAL(end <= n);
	p += 2; /* priority */
	while (b[p])
		p += 1u + b[p];
	p++;
	while (p + 4 <= end) {
		keys[k++] = (unsigned)(b[p] << 8 | b[p + 1]);
		p += 4u + (b[p + 2] << 8 | b[p + 3]);
	}
	CU_ASSERT_EQUAL(p, end);
	return k;
}

static void test_dns_ech_real(void)
{
	static const struct {
		const char *file;
		int removed;
		unsigned keys[4], n_keys;
	} vecs[] = {
		{ "dns_https_ech.r", 44, { 1, 4 }, 2 },	 /* alpn, ipv4hint; ech gone */
		{ "dns_https_mand.r", 46, { 0, 1 }, 2 }, /* mandatory=alpn; ech gone */
		{ "dns_https_plain.r", 0, { 1 }, 1 },	 /* nothing to do */
	};

	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		size_t n = 0;
		uint8_t *d = egw_testdata_load(vecs[i].file, &n), *orig;
		unsigned keys[8], nk;
		uint32_t rdlen_before, rdlen_after;
		struct egw_dns_answer a;
		int r;

		if (!d)
			continue;
		orig = egw_testdata_exact(d, n);
		(void)svc_keys(d, (uint32_t)n, keys, &rdlen_before);
		r = egw_dns_strip_ech(d, (uint32_t)n);
		CU_ASSERT_EQUAL(r, (int)n - vecs[i].removed);
		if (r <= 0) {
			free(d);
			free(orig);
			continue;
		}
		nk = svc_keys(d, (uint32_t)r, keys, &rdlen_after);
		CU_ASSERT_EQUAL(rdlen_after, rdlen_before - (uint32_t)vecs[i].removed);
		CU_ASSERT_EQUAL(nk, vecs[i].n_keys);
		for (unsigned k = 0; k < nk && k < vecs[i].n_keys; k++)
			CU_ASSERT_EQUAL(keys[k], vecs[i].keys[k]);
		/* mandatory keeps only alpn */
		if (vecs[i].keys[0] == 0)
			CU_ASSERT(memmem(d, (size_t)r, "\x00\x00\x00\x02\x00\x01", 6) != NULL);
		/* the rewritten message is a well-formed answer, the OPT record intact */
		CU_ASSERT_EQUAL(egw_dns_parse_answer(d, (uint32_t)r, NULL, &a), EGW_DNS_OK);
		if (orig[11] == 1) /* the query had EDNS: an OPT record closes the answer */
			CU_ASSERT(memcmp(d + r - 11, orig + n - 11, 11) == 0);
		/* a second pass finds nothing left */
		CU_ASSERT_EQUAL(egw_dns_strip_ech(d, (uint32_t)r), r);
		if (vecs[i].removed == 0)
			CU_ASSERT(memcmp(d, orig, n) == 0);
		free(d);
		free(orig);
	}
}

/* Every prefix of an answer with ech: refused as malformed, nothing written. */
static void test_dns_ech_prefixes(void)
{
	size_t n = 0;
	uint8_t *d = egw_testdata_load("dns_https_ech.r", &n);

	if (!d)
		return;
	for (size_t k = 0; k < n; k++) {
		uint8_t *c = egw_testdata_exact(d, k);
		int r = egw_dns_strip_ech(c, (uint32_t)k);

		CU_ASSERT_EQUAL(r, -EINVAL);
		CU_ASSERT(k == 0 || memcmp(c, d, k) == 0);
		free(c);
	}
	free(d);
}

/* Builds: question svc.example HTTPS; an HTTPS record with alpn + ech (+ its own target
 * name); then records whose names point past the cut. */
static void ech_msg(struct msg *m, bool ptr_into_ech, bool naptr)
{
	uint32_t at, target, ech_val, other;

	hdr(m, 7, 0x8180, 1, naptr ? 4 : 3, 0, 0);
	question(m, "svc.example", 65);
	u16(m, 0xc00c);
	at = rr(m, 65, 1, 300);
	u16(m, 1);
	target = name(m, "pool", 12 + 4); /* "pool" + pointer to "example" */
	u16(m, 1);			  /* alpn=h2 */
	u16(m, 3);
	u8(m, 2);
	u8(m, 'h');
	u8(m, '2');
	u16(m, 5); /* ech */
	u16(m, 8);
	ech_val = m->n;
	u8(m, 3);
	memcpy(m->b + m->n, "xyz", 3); /* a name-like value, for the pointer-into-ech case */
	m->n += 3;
	u32(m, 0);
	rr_end(m, at);
	/* an A record owned by a name written after the cut, then one pointing at it and one
	 * at the target inside the HTTPS record (before the cut) */
	other = name(m, "other", 12 + 4);
	at = rr(m, 1, 1, 60);
	u32(m, ip(203, 0, 113, 1));
	rr_end(m, at);
	u16(m, 0xc000 | (ptr_into_ech ? ech_val : other));
	at = rr(m, 5, 1, 60);
	u16(m, 0xc000 | target);
	rr_end(m, at);
	if (naptr) {
		u16(m, 0xc00c);
		at = rr(m, 35, 1, 60);
		u32(m, 0);
		rr_end(m, at);
	}
}

static void test_dns_ech_reaim(void)
{
	struct msg m, copy;
	int r;

	ech_msg(&m, false, false);
	r = egw_dns_strip_ech(m.b, m.n);
	CU_ASSERT_EQUAL(r, (int)m.n - 12);
	/* the pointers past the cut now aim 12 bytes earlier, at the same names */
	{
		const uint8_t *b = m.b;
		uint32_t p = 12 + 13 + 4; /* after the question */
		uint32_t rdlen, other_at, ptr;

		p += 2 + 8;
		rdlen = (uint32_t)b[p] << 8 | b[p + 1];
		CU_ASSERT_EQUAL(rdlen, 2 + 7 + 7);
		p += 2 + rdlen;
		other_at = p;
		CU_ASSERT(memcmp(b + p, "\x05other", 6) == 0);
		p += 6 + 2 + 10 + 4; /* name (labels + pointer), fixed fields, address */
		ptr = (uint32_t)(b[p] & 0x3f) << 8 | b[p + 1];
		CU_ASSERT_EQUAL(ptr, other_at);
		p += 2 + 10;
		ptr = (uint32_t)(b[p] & 0x3f) << 8 | b[p + 1];
		CU_ASSERT(memcmp(b + ptr, "\x04pool", 5) == 0);
		CU_ASSERT_EQUAL(p + 2, (uint32_t)r);
	}
	/* a pointer into the removed value: refused, nothing written */
	ech_msg(&m, true, false);
	copy = m;
	CU_ASSERT_EQUAL(egw_dns_strip_ech(m.b, m.n), -ENOTSUP);
	CU_ASSERT(memcmp(m.b, copy.b, m.n) == 0);
	/* a NAPTR after the cut: its names could be compressed, refused */
	ech_msg(&m, false, true);
	copy = m;
	CU_ASSERT_EQUAL(egw_dns_strip_ech(m.b, m.n), -ENOTSUP);
	CU_ASSERT(memcmp(m.b, copy.b, m.n) == 0);
	/* keys out of order: malformed */
	ech_msg(&m, false, false);
	m.b[12 + 13 + 4 + 12 + 2 + 7 + 1] = 9; /* alpn (1) becomes 9, before ech (5) */
	copy = m;
	CU_ASSERT_EQUAL(egw_dns_strip_ech(m.b, m.n), -EINVAL);
	CU_ASSERT(memcmp(m.b, copy.b, m.n) == 0);
	CU_ASSERT_EQUAL(egw_dns_strip_ech(m.b, 11), -EINVAL);
}

/* A name-shaped blob in a TXT record, then an A record whose owner points into it: a pointer
 * to where no parsed name is. */
static void stray_pointer(struct msg *m)
{
	uint32_t at, blob;

	u16(m, 0xc00c);
	at = rr(m, 16, 1, 60);
	blob = m->n;
	label(m, "abc", 3);
	u8(m, 0);
	rr_end(m, at);
	u16(m, 0xc000 | blob);
	at = rr(m, 1, 1, 60);
	u32(m, 1);
	rr_end(m, at);
}

/* Such a pointer, once something is to be cut, is refused (a hostile one could make a walk
 * read bytes that changed; the fuzzer found one); without a cut the answer is left as is. */
static void test_dns_ech_stray_pointer(void)
{
	struct msg m, copy;

	ech_msg(&m, false, false);
	m.b[7] += 2;
	stray_pointer(&m);
	copy = m;
	CU_ASSERT_EQUAL(egw_dns_strip_ech(m.b, m.n), -ENOTSUP);
	CU_ASSERT(memcmp(m.b, copy.b, m.n) == 0);
	hdr(&m, 7, 0x8180, 1, 2, 0, 0);
	question(&m, "svc.example", 65);
	stray_pointer(&m);
	CU_ASSERT_EQUAL(egw_dns_strip_ech(m.b, m.n), (int)m.n);
}

/* A record whose names it cannot re-aim is fine before the first cut (no pointer of it can aim
 * past a cut), seen by the fuzzer: the second pass refused it once all cuts were known. */
static void test_dns_ech_unknown_before_cut(void)
{
	struct msg m;
	uint32_t at;
	int r;

	hdr(&m, 7, 0x8180, 1, 2, 0, 0);
	question(&m, "svc.example", 65);
	u16(&m, 0xc00c);
	at = rr(&m, 35, 1, 60); /* NAPTR */
	u32(&m, 0);
	rr_end(&m, at);
	u16(&m, 0xc00c);
	at = rr(&m, 65, 1, 300);
	u16(&m, 1);
	u8(&m, 0);
	u16(&m, 5); /* ech */
	u16(&m, 2);
	u16(&m, 0);
	rr_end(&m, at);
	r = egw_dns_strip_ech(m.b, m.n);
	CU_ASSERT_EQUAL(r, (int)m.n - 6);
	CU_ASSERT_EQUAL(m.b[m.n - 6 - 3 - 1], 3); /* the HTTPS RDLENGTH: priority and "." */
}

/* `mandatory` naming ech twice (a malformed list, seen by the fuzzer): the whole param goes,
 * the record stays consistent. */
static void test_dns_ech_mandatory_twice(void)
{
	struct msg m;
	uint32_t at;
	unsigned keys[8], nk;
	uint32_t rdlen;
	int r;

	hdr(&m, 7, 0x8180, 1, 1, 0, 0);
	question(&m, "svc.example", 65);
	u16(&m, 0xc00c);
	at = rr(&m, 65, 1, 300);
	u16(&m, 1);
	u8(&m, 0);  /* target "." */
	u16(&m, 0); /* mandatory = ech, ech */
	u16(&m, 4);
	u16(&m, 5);
	u16(&m, 5);
	u16(&m, 1); /* alpn = h3 */
	u16(&m, 3);
	u8(&m, 2);
	u8(&m, 'h');
	u8(&m, '3');
	u16(&m, 5); /* ech */
	u16(&m, 2);
	u16(&m, 0);
	rr_end(&m, at);
	r = egw_dns_strip_ech(m.b, m.n);
	CU_ASSERT_EQUAL(r, (int)m.n - 8 - 6);
	if (r < 0)
		return;
	nk = svc_keys(m.b, (uint32_t)r, keys, &rdlen);
	CU_ASSERT_EQUAL(nk, 1);
	CU_ASSERT_EQUAL(keys[0], 1);
	CU_ASSERT_EQUAL(rdlen, 3 + 7);
	CU_ASSERT_EQUAL(egw_dns_strip_ech(m.b, (uint32_t)r), r);
}

void egw_test_register_dns(void)
{
	EGW_SUITE("dns", NULL, NULL, EGW_TEST(test_dns_real_answers),
		EGW_TEST(test_dns_case_and_prefixes), EGW_TEST(test_dns_compression_hostile),
		EGW_TEST(test_dns_pointer_chain), EGW_TEST(test_dns_counts_and_lengths),
		EGW_TEST(test_dns_chains), EGW_TEST(test_dns_odd_labels),
		EGW_TEST(test_dns_tcp_framing), EGW_TEST(test_dns_nxdomain),
		EGW_TEST(test_dns_ech_real), EGW_TEST(test_dns_ech_prefixes),
		EGW_TEST(test_dns_ech_reaim), EGW_TEST(test_dns_ech_mandatory_twice),
		EGW_TEST(test_dns_ech_unknown_before_cut), EGW_TEST(test_dns_ech_stray_pointer));
}
