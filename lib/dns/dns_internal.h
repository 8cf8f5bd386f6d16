/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_DNS_INTERNAL_H
#define EGW_DNS_INTERNAL_H

/* What the files of lib/dns share: wire helpers, names, resource records. Not for others. */
#include <stdbool.h>
#include <stdint.h>

#include "dns.h"

#define DNS_NAME_WIRE_MAX 255 /* RFC 1035 3.1, root label included */
#define DNS_PTR_MASK 0xc0
/* Pointers followed in one name: a name has at most 127 labels, encoders add one pointer per
 * name written; a longer chain can only be a way to make every walk cost more. */
#define DNS_JUMPS_MAX 127

static inline uint32_t dns_be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static inline uint32_t dns_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void dns_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

struct dns_hdr {
	uint16_t id, flags, qd, an, ns, ar;
};

#define DNS_F_QR 0x8000
#define DNS_OPCODE(f) (((f) >> 11) & 0xf)
#define DNS_RCODE(f) ((f)&0xf)

/* The header of MSG; false when LEN is shorter than one. */
bool dns_hdr_read(const uint8_t *msg, uint32_t len, struct dns_hdr *h);

/* What walking a name tells, besides where it ends. All fields optional but the flags. */
struct dns_name_info {
	char *text; /* when not NULL (EGW_HOSTNAME_MAX + 1 bytes): dotted, lower case */
	uint32_t text_len;
	uint64_t hash;	 /* of the wire form, case-folded (egw_hostname_hash_step) */
	bool host_chars; /* every label holds only letters, digits and '-' */
	/* Asked about every pointer's target before following it; false refuses the name. */
	bool (*jump_ok)(void *ctx, uint32_t target);
	void *ctx;
};

/*
 * Walks the name at OFF, following compression pointers: each must aim at or after the
 * header and before the previous target (the name's start at first), so no walk can loop;
 * at most DNS_JUMPS_MAX of them, and 255 bytes in wire form. Returns the offset just past the
 * name's in-place part, or 0 when it is malformed (or JUMP_OK refused a pointer).
 */
uint32_t dns_name_walk(const uint8_t *msg, uint32_t len, uint32_t off, struct dns_name_info *ni);

/* The in-place part only (labels up to the root or a pointer, not followed): end or 0. */
uint32_t dns_name_skip(const uint8_t *msg, uint32_t len, uint32_t off);

/* Are the names at A and B the same, ignoring ASCII case? False when either is malformed. */
bool dns_name_equal(const uint8_t *msg, uint32_t len, uint32_t a, uint32_t b);

struct dns_rr {
	uint32_t owner; /* offset of the owner name */
	uint16_t type, rclass;
	uint32_t ttl;
	uint32_t rdata, rdlen, end; /* RDATA offset and length; END = the next record */
};

/* The record at OFF (owner name in place, not followed); false when it does not fit. */
bool dns_rr_read(const uint8_t *msg, uint32_t len, uint32_t off, struct dns_rr *rr);

/* The question at offset 12 into Q; false when malformed. */
bool dns_question_read(const uint8_t *msg, uint32_t len, struct egw_dns_question *q);

#endif
