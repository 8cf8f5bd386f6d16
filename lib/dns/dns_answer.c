/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Queries and the answers to them: the question, and the IPv4 addresses an answer gives for
 * the question's name. One pass over the answer section notes the A and CNAME records (class
 * IN) in a small array on the stack; the chain from the question's name is then followed
 * through it, comparing names in place (a compressed owner name that points at the name being
 * looked for matches without reading a label).
 */
#include <string.h>

#include "dns_internal.h"

#define DNS_MSG_MAX 65535
#define NOTED_MAX 64 /* A and CNAME records noted per answer; more are left out, counted */

const char *egw_dns_status_name(enum egw_dns_status s)
{
	switch (s) {
	case EGW_DNS_OK:
		return "ok";
	case EGW_DNS_NEED_MORE:
		return "need_more";
	case EGW_DNS_MALFORMED:
		return "malformed";
	case EGW_DNS_MISMATCH:
		return "mismatch";
	case EGW_DNS_UNSUPPORTED:
		return "unsupported";
	}
	return "?";
}

/* Header and question of a message with one question, opcode QUERY, QR as expected. */
static enum egw_dns_status head(const uint8_t *msg, uint32_t len, bool qr, struct dns_hdr *h,
	struct egw_dns_question *q)
{
	if (len > DNS_MSG_MAX || !dns_hdr_read(msg, len, h))
		return EGW_DNS_MALFORMED;
	if (!!(h->flags & DNS_F_QR) != qr || DNS_OPCODE(h->flags) != 0 || h->qd != 1)
		return EGW_DNS_UNSUPPORTED;
	if (!dns_question_read(msg, len, q))
		return EGW_DNS_MALFORMED;
	q->key.id = h->id;
	q->flags = h->flags;
	return EGW_DNS_OK;
}

enum egw_dns_status egw_dns_parse_query(const uint8_t *msg, uint32_t len,
	struct egw_dns_question *q)
{
	struct dns_hdr h;
	enum egw_dns_status st = head(msg, len, false, &h, q);

	if (st == EGW_DNS_OK && (h.an != 0 || h.ns != 0))
		return EGW_DNS_UNSUPPORTED;
	return st;
}

struct noted {
	uint32_t owner; /* offset of the owner name */
	uint32_t ttl;
	uint32_t val; /* A: the address as read (network order); CNAME: offset of the target */
	uint16_t type;
};

/* RFC 2181 8: a TTL with the top bit set is 0. */
static uint32_t ttl_of(uint32_t ttl)
{
	return ttl > 0x7fffffffu ? 0 : ttl;
}

/* Notes the A and CNAME records of the answer section; false when the section is malformed. */
static bool note_answers(const uint8_t *msg, uint32_t len, uint32_t p, uint16_t an,
	struct noted *nt, uint32_t *n_nt, struct egw_dns_answer *out)
{
	for (uint32_t i = 0; i < an; i++) {
		struct dns_name_info ni = { 0 };
		struct dns_rr rr;

		if (!dns_rr_read(msg, len, p, &rr))
			return false;
		p = rr.end;
		if (rr.rclass != EGW_DNS_CLASS_IN ||
			(rr.type != EGW_DNS_TYPE_A && rr.type != EGW_DNS_TYPE_CNAME))
			continue;
		if (rr.type == EGW_DNS_TYPE_A && rr.rdlen != 4)
			return false;
		if (rr.type == EGW_DNS_TYPE_CNAME &&
			dns_name_walk(msg, rr.end, rr.rdata, &ni) != rr.end)
			return false;
		if (*n_nt == NOTED_MAX) {
			out->addrs_truncated = true;
			continue;
		}
		nt[*n_nt] = (struct noted){ .owner = rr.owner,
			.ttl = ttl_of(rr.ttl),
			.type = rr.type,
			.val = rr.type == EGW_DNS_TYPE_CNAME ? rr.rdata : 0 };
		if (rr.type == EGW_DNS_TYPE_A)
			memcpy(&nt[*n_nt].val, msg + rr.rdata, 4);
		(*n_nt)++;
	}
	return true;
}

static void add_addr(struct egw_dns_answer *out, uint32_t addr, uint32_t ttl)
{
	for (uint32_t i = 0; i < out->n_addrs; i++) {
		if (out->addrs[i].addr == addr) {
			if (ttl > out->addrs[i].ttl)
				out->addrs[i].ttl = ttl;
			return;
		}
	}
	if (out->n_addrs == EGW_DNS_LEARN_MAX) {
		out->addrs_truncated = true;
		return;
	}
	out->addrs[out->n_addrs].addr = addr;
	out->addrs[out->n_addrs].ttl = ttl;
	out->n_addrs++;
}

/* From the question's name along CNAMEs: the addresses of every name on the way. */
static void follow_chain(const uint8_t *msg, uint32_t len, const struct noted *nt, uint32_t n,
	struct egw_dns_answer *out)
{
	uint32_t cur = EGW_DNS_HDR_LEN, cap = UINT32_MAX;

	for (;;) {
		const struct noted *cname = NULL;

		for (uint32_t i = 0; i < n; i++) {
			if (!dns_name_equal(msg, len, nt[i].owner, cur))
				continue;
			if (nt[i].type == EGW_DNS_TYPE_A)
				add_addr(out, nt[i].val, nt[i].ttl < cap ? nt[i].ttl : cap);
			else if (!cname)
				cname = &nt[i];
		}
		if (!cname)
			return;
		if (out->cname_hops == EGW_DNS_CHAIN_MAX) {
			out->addrs_truncated = true;
			return;
		}
		out->cname_hops++;
		cap = cname->ttl < cap ? cname->ttl : cap;
		cur = cname->val;
	}
}

enum egw_dns_status egw_dns_parse_answer(const uint8_t *msg, uint32_t len,
	const struct egw_dns_qkey *query, struct egw_dns_answer *out)
{
	struct noted nt[NOTED_MAX];
	uint32_t n_nt = 0;
	struct dns_hdr h;
	enum egw_dns_status st;

	out->rcode = 0;
	out->cname_hops = 0;
	out->n_addrs = 0;
	out->addrs_truncated = false;
	st = head(msg, len, true, &h, &out->q);
	if (st != EGW_DNS_OK)
		return st;
	if (query && (query->id != out->q.key.id || query->qtype != out->q.key.qtype ||
			     query->qclass != out->q.key.qclass ||
			     query->name_hash != out->q.key.name_hash))
		return EGW_DNS_MISMATCH;
	out->rcode = (uint8_t)DNS_RCODE(h.flags);
	if (!note_answers(msg, len, out->q.end, h.an, nt, &n_nt, out))
		return EGW_DNS_MALFORMED;
	if (out->rcode == 0)
		follow_chain(msg, len, nt, n_nt, out);
	return EGW_DNS_OK;
}

enum egw_dns_status egw_dns_tcp_message(const uint8_t *buf, uint32_t len, uint32_t *msg_len)
{
	uint32_t n;

	if (len < 2)
		return EGW_DNS_NEED_MORE;
	n = dns_be16(buf);
	if (n < EGW_DNS_HDR_LEN)
		return EGW_DNS_MALFORMED;
	if (len - 2 < n)
		return EGW_DNS_NEED_MORE;
	*msg_len = n;
	return EGW_DNS_OK;
}
