/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Domain names in wire form (RFC 1035 3.1, 4.1.4): labels of 1-63 bytes, the root label, and
 * compression pointers. A pointer is followed only backwards, each time to an offset before
 * the previous one, so a hostile message can make a walk neither loop nor leave the buffer.
 */
#include <string.h>

#include "dns_internal.h"

bool dns_hdr_read(const uint8_t *msg, uint32_t len, struct dns_hdr *h)
{
	if (len < EGW_DNS_HDR_LEN)
		return false;
	h->id = (uint16_t)dns_be16(msg);
	h->flags = (uint16_t)dns_be16(msg + 2);
	h->qd = (uint16_t)dns_be16(msg + 4);
	h->an = (uint16_t)dns_be16(msg + 6);
	h->ns = (uint16_t)dns_be16(msg + 8);
	h->ar = (uint16_t)dns_be16(msg + 10);
	return true;
}

static bool host_char(uint8_t c)
{
	c = egw_hostname_lower(c);
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* A pointer at POS (2 bytes) to a target before LIMIT and after the header: the target, or
 * 0. */
static uint32_t pointer(const uint8_t *msg, uint32_t len, uint32_t pos, uint32_t limit)
{
	uint32_t t;

	if (pos + 1 >= len)
		return 0;
	t = (uint32_t)(msg[pos] & 0x3f) << 8 | msg[pos + 1];
	return t >= EGW_DNS_HDR_LEN && t < limit ? t : 0;
}

static void add_label(struct dns_name_info *ni, const uint8_t *l, uint32_t n)
{
	ni->hash = egw_hostname_hash_step(ni->hash, (uint8_t)n);
	for (uint32_t i = 0; i < n; i++) {
		ni->hash = egw_hostname_hash_step(ni->hash, l[i]);
		ni->host_chars &= host_char(l[i]);
	}
	if (ni->text) {
		if (ni->text_len)
			ni->text[ni->text_len++] = '.';
		for (uint32_t i = 0; i < n; i++)
			ni->text[ni->text_len++] = (char)egw_hostname_lower(l[i]);
	}
}

uint32_t dns_name_walk(const uint8_t *msg, uint32_t len, uint32_t off, struct dns_name_info *ni)
{
	uint32_t pos = off, limit = off, end = 0, wire = 0, jumps = 0;

	ni->text_len = 0;
	ni->hash = EGW_HOSTNAME_HASH_INIT;
	ni->host_chars = true;
	for (;;) {
		uint8_t c;

		if (pos >= len)
			return 0;
		c = msg[pos];
		if ((c & DNS_PTR_MASK) == DNS_PTR_MASK) {
			uint32_t t = pointer(msg, len, pos, limit);

			if (!t || ++jumps > DNS_JUMPS_MAX ||
				(ni->jump_ok && !ni->jump_ok(ni->ctx, t)))
				return 0;
			if (!end)
				end = pos + 2;
			pos = limit = t;
			continue;
		}
		if (c & DNS_PTR_MASK) /* 0x40 and 0x80: label types no one uses (RFC 6891 5) */
			return 0;
		/* The label, and at least the root after it, must fit 255 bytes. */
		if (pos + 1 + c > len || wire + 1 + c + (c ? 1 : 0) > DNS_NAME_WIRE_MAX)
			return 0;
		if (c == 0) {
			ni->hash = egw_hostname_hash_step(ni->hash, 0);
			if (ni->text)
				ni->text[ni->text_len] = '\0';
			return end ? end : pos + 1;
		}
		add_label(ni, msg + pos + 1, c);
		wire += 1 + c;
		pos += 1 + c;
	}
}

uint32_t dns_name_skip(const uint8_t *msg, uint32_t len, uint32_t off)
{
	uint32_t pos = off;

	while (pos < len && pos - off < DNS_NAME_WIRE_MAX) {
		uint8_t c = msg[pos];

		if ((c & DNS_PTR_MASK) == DNS_PTR_MASK)
			return pos + 1 < len ? pos + 2 : 0;
		if (c & DNS_PTR_MASK)
			return 0;
		if (c == 0)
			return pos + 1;
		pos += 1 + c;
	}
	return 0;
}

/* Follows pointers at *POS until a label; false when malformed. */
static bool to_label(const uint8_t *msg, uint32_t len, uint32_t *pos, uint32_t *limit,
	uint32_t *jumps)
{
	while (*pos < len && (msg[*pos] & DNS_PTR_MASK) == DNS_PTR_MASK) {
		uint32_t t = pointer(msg, len, *pos, *limit);

		if (!t || ++*jumps > DNS_JUMPS_MAX)
			return false;
		*pos = *limit = t;
	}
	return *pos < len && !(msg[*pos] & DNS_PTR_MASK);
}

bool dns_name_equal(const uint8_t *msg, uint32_t len, uint32_t a, uint32_t b)
{
	uint32_t la = a, lb = b, ja = 0, jb = 0, wire = 0;

	for (;;) {
		uint8_t n;

		if (!to_label(msg, len, &a, &la, &ja) || !to_label(msg, len, &b, &lb, &jb))
			return false;
		if (a == b) /* the same bytes from here on (the caller walked one of them) */
			return true;
		n = msg[a];
		if (n != msg[b] || a + 1 + n > len || b + 1 + n > len)
			return false;
		if (n == 0)
			return true;
		wire += 1 + n;
		if (wire > DNS_NAME_WIRE_MAX)
			return false;
		for (uint32_t i = 1; i <= n; i++)
			if (egw_hostname_lower(msg[a + i]) != egw_hostname_lower(msg[b + i]))
				return false;
		a += 1 + n;
		b += 1 + n;
	}
}

bool dns_rr_read(const uint8_t *msg, uint32_t len, uint32_t off, struct dns_rr *rr)
{
	uint32_t p = dns_name_skip(msg, len, off);

	if (!p || len - p < 10)
		return false;
	rr->owner = off;
	rr->type = (uint16_t)dns_be16(msg + p);
	rr->rclass = (uint16_t)dns_be16(msg + p + 2);
	rr->ttl = dns_be32(msg + p + 4);
	rr->rdlen = dns_be16(msg + p + 8);
	rr->rdata = p + 10;
	if (rr->rdlen > len - rr->rdata)
		return false;
	rr->end = rr->rdata + rr->rdlen;
	return true;
}

bool dns_question_read(const uint8_t *msg, uint32_t len, struct egw_dns_question *q)
{
	struct dns_name_info ni = { .text = q->name };
	uint32_t p = dns_name_walk(msg, len, EGW_DNS_HDR_LEN, &ni);
	size_t n;

	if (!p || len - p < 4)
		return false;
	q->key.name_hash = ni.hash;
	q->key.qtype = (uint16_t)dns_be16(msg + p);
	q->key.qclass = (uint16_t)dns_be16(msg + p + 2);
	q->end = (uint16_t)(p + 4);
	q->name_state = EGW_HOSTNAME_INVALID;
	q->name_len = 0;
	/* A label holding '.' or other bytes reads like another name as text: not a host. */
	if (ni.host_chars &&
		egw_hostname_normalize(q->name, ni.text_len, 0, q->name, &n) == EGW_HOSTNAME_OK) {
		q->name_state = EGW_HOSTNAME_VALID;
		q->name_len = (uint8_t)n;
	} else {
		q->name[0] = '\0';
	}
	return true;
}
