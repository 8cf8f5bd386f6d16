/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>

#include "community_id.h"

/*
 * ICMP has no ports: the spec takes the type as the source "port" and, for the types that come
 * in request/reply pairs, the other type of the pair as the destination "port", so that a
 * request and its reply hash alike (both directions, like TCP). Any other type is one-way:
 * its code is the destination "port" and the endpoints are not reordered. The pairs are
 * Zeek's (ICMP4_counterpart); a router advertisement is not mapped back to a solicitation.
 */
static bool icmp_counterpart(uint16_t type, uint16_t *other)
{
	static const uint8_t pairs[][2] = {
		{ 8, 0 },   /* echo request -> echo reply */
		{ 0, 8 },   /* echo reply -> echo request */
		{ 13, 14 }, /* timestamp */
		{ 14, 13 },
		{ 15, 16 }, /* information */
		{ 16, 15 },
		{ 10, 9 },  /* router solicitation -> advertisement */
		{ 17, 18 }, /* address mask */
		{ 18, 17 },
	};

	for (unsigned i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (pairs[i][0] == type) {
			*other = pairs[i][1];
			return true;
		}
	return false;
}

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_ICMP;
}

int egw_community_id(const struct egw_community_tuple *t, uint16_t seed,
	char out[EGW_COMMUNITY_ID_SIZE])
{
	uint32_t a1 = t->saddr, a2 = t->daddr;
	uint16_t p1 = t->sport, p2 = t->dport;
	unsigned char in[16], md[EVP_MAX_MD_SIZE];
	unsigned md_len = 0, n = 0;
	bool one_way = t->proto == IPPROTO_ICMP && !icmp_counterpart(t->sport, &p2);

	/* The smaller endpoint first (addresses compare as the big-endian bytes they are on
	 * the wire, then ports), so that both directions hash alike. */
	if (!one_way && (a1 > a2 || (a1 == a2 && p1 > p2))) {
		uint32_t a = a1;
		uint16_t p = p1;

		a1 = a2;
		a2 = a;
		p1 = p2;
		p2 = p;
	}
	in[n++] = (unsigned char)(seed >> 8);
	in[n++] = (unsigned char)seed;
	for (int shift = 24; shift >= 0; shift -= 8)
		in[n++] = (unsigned char)(a1 >> shift);
	for (int shift = 24; shift >= 0; shift -= 8)
		in[n++] = (unsigned char)(a2 >> shift);
	in[n++] = t->proto;
	in[n++] = 0;
	if (has_ports(t->proto)) {
		in[n++] = (unsigned char)(p1 >> 8);
		in[n++] = (unsigned char)p1;
		in[n++] = (unsigned char)(p2 >> 8);
		in[n++] = (unsigned char)p2;
	}
	if (EVP_Digest(in, n, md, &md_len, EVP_sha1(), NULL) != 1 || md_len != 20)
		return -EIO;
	out[0] = '1';
	out[1] = ':';
	/* 20 bytes are 28 base64 characters with one '=' of padding, NUL-terminated. */
	EVP_EncodeBlock((unsigned char *)out + 2, md, (int)md_len);
	return 0;
}
