/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Removes the `ech` SvcParam (RFC 9460 14.3.1, key 5) from HTTPS and SVCB records, so that a
 * client behind `dns_filter` gets no ECH configuration and sends its true name as SNI.
 *
 * In place, because the message only shrinks: an mbuf can be trimmed, no second buffer is
 * needed. Two passes over the same walk. The first checks the whole message and plans the
 * cuts; the second moves everything up and re-aims every pointer that aims past a cut
 * (pointers aim backwards, so the cuts before them are known; pointed-to bytes are never
 * re-read, the new target is arithmetic).
 *
 * That is sound only if every byte a name walk can reach moves unchanged or is a pointer the
 * second pass re-aims. So the first pass notes where each name it parses (question, owners,
 * names in RDATA of the types below) has a label or a pointer, and refuses (-ENOTSUP, before
 * anything is written) a message with a cut and a pointer aiming anywhere else: into a
 * parameter that goes, into raw RDATA, into the middle of a label. Encoders only ever aim at
 * names they wrote, so real answers are not refused; hostile ones cannot make a walk read
 * different bytes after the rewrite. Records whose RDATA may hold compressed names at
 * positions not known here (SIG, NXT, NAPTR) are refused after the first cut for the same
 * reason.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "dns_internal.h"

#define CUTS_MAX 32
#define SVC_MANDATORY 0
#define SVC_ECH 5

struct cut {
	uint32_t params, end; /* old offsets: the record's SvcParams and the end of its RDATA */
	uint32_t removed;     /* bytes the record loses */
};

struct pass {
	uint8_t *msg;
	uint32_t len;
	bool write; /* false: checking and planning; true: rewriting */
	uint32_t w; /* next byte written (w <= the next byte read, always) */
	struct cut cut[CUTS_MAX];
	uint32_t n_cut;
	int err;
	bool stray_ptr;		       /* a pointer aims where no parsed name has a label */
	uint64_t label_at[65536 / 64]; /* bit per offset: a parsed name's label or pointer */
};

static bool fail(struct pass *p, int err)
{
	if (!p->err)
		p->err = err;
	return false;
}

static bool jump_ok(void *ctx, uint32_t target)
{
	struct pass *p = ctx;

	if (!((p->label_at[target >> 6] >> (target & 63)) & 1))
		p->stray_ptr = true;
	return true;
}

/* Notes the labels and the pointer of the (checked) name at R. */
static void note_labels(struct pass *p, uint32_t r)
{
	for (;;) {
		uint8_t c = p->msg[r];

		p->label_at[r >> 6] |= 1ull << (r & 63);
		if ((c & DNS_PTR_MASK) == DNS_PTR_MASK || c == 0)
			return;
		r += 1u + c;
	}
}

/* Where the byte at old offset T lands. */
static uint32_t moved(const struct pass *p, uint32_t t)
{
	uint32_t d = 0;

	for (uint32_t i = 0; i < p->n_cut && p->cut[i].end <= t; i++)
		d += p->cut[i].removed;
	return t - d;
}

static void put(struct pass *p, uint32_t from, uint32_t n)
{
	if (p->write && p->w != from)
		memmove(p->msg + p->w, p->msg + from, n);
	p->w += n;
}

static void put16(struct pass *p, uint32_t v)
{
	if (p->write)
		dns_put16(p->msg + p->w, v);
	p->w += 2;
}

/* The name at R (inside END): checked in the first pass; copied with its pointer re-aimed.
 * The offset after it, or 0. */
static uint32_t name(struct pass *p, uint32_t r, uint32_t end)
{
	if (!p->write) {
		struct dns_name_info ni = { .jump_ok = jump_ok, .ctx = p };

		if (!dns_name_walk(p->msg, end, r, &ni)) {
			fail(p, -EINVAL);
			return 0;
		}
		note_labels(p, r);
	}
	for (;;) {
		uint8_t c = p->msg[r];

		if ((c & DNS_PTR_MASK) == DNS_PTR_MASK) {
			uint32_t t = (uint32_t)(c & 0x3f) << 8 | p->msg[r + 1];

			put16(p, 0xc000 | moved(p, t));
			return r + 2;
		}
		put(p, r, 1u + c);
		r += 1u + c;
		if (c == 0)
			return r;
	}
}

static uint32_t count_ech(const uint8_t *v, uint32_t n)
{
	uint32_t c = 0;

	for (uint32_t i = 0; i < n; i += 2)
		c += dns_be16(v + i) == SVC_ECH;
	return c;
}

/* A `mandatory` value at V (N bytes) naming ech: keeps the other keys, or drops the param
 * when none is left (RFC 9460 8: the list is never empty). */
static void put_mandatory(struct pass *p, uint32_t v, uint32_t n, uint32_t *removed)
{
	uint32_t kept = n - 2 * count_ech(p->msg + v, n);

	if (kept == 0) {
		*removed += 4 + n;
		return;
	}
	put16(p, SVC_MANDATORY);
	put16(p, kept);
	for (uint32_t i = 0; i < n; i += 2)
		if (dns_be16(p->msg + v + i) != SVC_ECH)
			put(p, v + i, 2);
	*removed += n - kept;
}

/* SvcParams from R to END (RFC 9460 2.2: keys strictly increasing, lengths inside). */
static bool svc_params(struct pass *p, uint32_t r, uint32_t end)
{
	uint32_t params = r, removed = 0;
	int32_t prev = -1;

	while (r < end) {
		uint32_t key, n, v;

		if (end - r < 4)
			return fail(p, -EINVAL);
		key = dns_be16(p->msg + r);
		n = dns_be16(p->msg + r + 2);
		v = r + 4;
		if ((int32_t)key <= prev || n > end - v ||
			(key == SVC_MANDATORY && (n == 0 || (n & 1))))
			return fail(p, -EINVAL);
		prev = (int32_t)key;
		if (key == SVC_ECH)
			removed += 4 + n;
		else if (key == SVC_MANDATORY && count_ech(p->msg + v, n))
			put_mandatory(p, v, n, &removed);
		else
			put(p, r, 4 + n);
		r = v + n;
	}
	if (!p->write && removed) {
		if (p->n_cut == CUTS_MAX)
			return fail(p, -ENOTSUP);
		p->cut[p->n_cut++] =
			(struct cut){ .params = params, .end = end, .removed = removed };
	}
	return true;
}

/* RDATA layouts with domain names a sender may compress (RFC 3597 4, RFC 2782, RFC 9460):
 * FIXED bytes, then NAMES names, then the rest as is. */
static bool layout(uint16_t type, uint32_t *fixed, uint32_t *names)
{
	*fixed = 0;
	*names = 0;
	switch (type) {
	case 2:
	case 3:
	case 4:
	case 5:
	case 7:
	case 8:
	case 9:
	case 12:
	case 39:
		*names = 1; /* NS MD MF CNAME MB MG MR PTR DNAME */
		return true;
	case 6:
	case 14:
	case 17:
		*names = 2; /* SOA MINFO RP */
		return true;
	case 15:
	case 18:
	case 21:
	case 36:
		*fixed = 2; /* MX AFSDB RT KX */
		*names = 1;
		return true;
	case 26:
		*fixed = 2; /* PX */
		*names = 2;
		return true;
	case 33:
		*fixed = 6; /* SRV */
		*names = 1;
		return true;
	case EGW_DNS_TYPE_SVCB:
	case EGW_DNS_TYPE_HTTPS:
		*fixed = 2;
		*names = 1;
		return true;
	case 24:
	case 30:
	case 35:
		return false; /* SIG NXT NAPTR: names after other fields, not re-aimed */
	default:
		return true; /* no names, or never compressed */
	}
}

static bool rdata(struct pass *p, const struct dns_rr *rr)
{
	uint32_t fixed, names, r = rr->rdata;

	/* Unknown name positions matter only past a cut: only there do pointers move. */
	if (!layout(rr->type, &fixed, &names) && p->n_cut > 0 && p->cut[0].end <= rr->rdata)
		return fail(p, -ENOTSUP);
	if (fixed > rr->rdlen)
		return fail(p, -EINVAL);
	put(p, r, fixed);
	r += fixed;
	for (uint32_t i = 0; i < names; i++) {
		r = name(p, r, rr->end);
		if (!r)
			return false;
	}
	if ((rr->type == EGW_DNS_TYPE_HTTPS || rr->type == EGW_DNS_TYPE_SVCB) &&
		rr->rclass == EGW_DNS_CLASS_IN)
		return svc_params(p, r, rr->end);
	put(p, r, rr->end - r);
	return true;
}

/* One resource record at *R; its RDLENGTH rewritten to what was put. */
static bool record(struct pass *p, uint32_t *r)
{
	struct dns_rr rr;
	uint32_t at_rdlen, at_rdata;

	if (!dns_rr_read(p->msg, p->len, *r, &rr))
		return fail(p, -EINVAL);
	if (!name(p, *r, p->len))
		return false;
	put(p, rr.rdata - 10, 8); /* type, class, TTL */
	at_rdlen = p->w;
	put(p, rr.rdata - 2, 2);
	at_rdata = p->w;
	if (!rdata(p, &rr))
		return false;
	if (p->write)
		dns_put16(p->msg + at_rdlen, p->w - at_rdata);
	*r = rr.end;
	return true;
}

static bool run(struct pass *p, const struct dns_hdr *h)
{
	uint32_t r = EGW_DNS_HDR_LEN, n_rr = (uint32_t)h->an + h->ns + h->ar;

	p->w = 0;
	put(p, 0, EGW_DNS_HDR_LEN);
	for (uint32_t i = 0; i < h->qd; i++) {
		r = name(p, r, p->len);
		if (!r || p->len - r < 4)
			return fail(p, -EINVAL);
		put(p, r, 4);
		r += 4;
	}
	for (uint32_t i = 0; i < n_rr; i++)
		if (!record(p, &r))
			return false;
	put(p, r, p->len - r); /* bytes after the last record, as they were */
	return true;
}

int egw_dns_strip_ech(uint8_t *msg, uint32_t len)
{
	struct pass p;
	struct dns_hdr h;

	if (len > 65535 || !dns_hdr_read(msg, len, &h))
		return -EINVAL;
	/* Not an initializer: only the bits of this message's offsets need clearing. */
	memset(&p, 0, offsetof(struct pass, label_at));
	memset(p.label_at, 0, (len + 63) / 64 * sizeof(p.label_at[0]));
	p.msg = msg;
	p.len = len;
	if (!run(&p, &h))
		return p.err ? p.err : -EINVAL;
	if (p.n_cut == 0)
		return (int)len;
	if (p.stray_ptr)
		return -ENOTSUP;
	p.write = true;
	/* The first pass checked everything the second reads: it cannot fail. Were it to, the
	 * message is half rewritten and must be dropped, not sent. */
	if (!run(&p, &h))
		return p.err ? p.err : -EINVAL;
	return (int)p.w;
}
