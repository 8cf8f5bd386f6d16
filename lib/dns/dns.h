/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_DNS_H
#define EGW_DNS_H

#include <stdbool.h>
#include <stdint.h>

#include "hostname/hostname.h"

/*
 * DNS messages (RFC 1035 4) as the data path meets them: the queries inside clients send and
 * the answers that come back. What it needs from them: the question of a query (to remember
 * per flow, and for dns_filter), the IPv4 addresses an answer gives for the question's name
 * (CNAME chains followed inside the one answer), an NXDOMAIN answer built for a query, and
 * the answer rewritten without the `ech` SvcParam of HTTPS/SVCB records.
 *
 * Every function reads only the LEN bytes it is given, allocates nothing and keeps no state;
 * compression pointers must point to an earlier name than the one they come from (every
 * encoder does), which makes loops impossible.
 */
#define EGW_DNS_PORT 53
#define EGW_DNS_HDR_LEN 12
#define EGW_DNS_LEARN_MAX 32 /* addresses kept from one answer */
#define EGW_DNS_CHAIN_MAX 8  /* CNAME hops followed from the question's name */

#define EGW_DNS_TYPE_A 1
#define EGW_DNS_TYPE_CNAME 5
#define EGW_DNS_TYPE_OPT 41
#define EGW_DNS_TYPE_SVCB 64
#define EGW_DNS_TYPE_HTTPS 65
#define EGW_DNS_CLASS_IN 1
#define EGW_DNS_RCODE_NXDOMAIN 3

enum egw_dns_status {
	EGW_DNS_OK = 0,
	EGW_DNS_NEED_MORE,   /* TCP framing: the message is not all there yet */
	EGW_DNS_MALFORMED,   /* lengths, counts or names that do not fit the message */
	EGW_DNS_MISMATCH,    /* a well-formed message, but not an answer to the given query */
	EGW_DNS_UNSUPPORTED, /* well-formed but not a standard query/answer with one question */
};

const char *egw_dns_status_name(enum egw_dns_status s);

/* What a flow keeps of its query to recognise the answer: 16 bytes. */
struct egw_dns_qkey {
	uint64_t name_hash; /* of the question name in wire form, case-folded */
	uint16_t id, qtype, qclass;
};

struct egw_dns_question {
	struct egw_dns_qkey key;
	uint16_t flags;	    /* the header's second 16-bit word (QR, opcode, RD, rcode, ...) */
	uint16_t end;	    /* offset just past the question section */
	uint8_t name_state; /* enum egw_hostname_state: VALID when the name is a host name */
	uint8_t name_len;
	char name[EGW_HOSTNAME_MAX + 1]; /* normalized when VALID */
};

struct egw_dns_addr {
	uint32_t addr; /* IPv4, network byte order */
	uint32_t ttl;  /* seconds: the smallest TTL along the CNAME chain that led here */
};

struct egw_dns_answer {
	struct egw_dns_question q;
	uint8_t rcode;
	uint8_t cname_hops; /* CNAMEs followed from the question's name */
	uint8_t n_addrs;
	bool addrs_truncated;			      /* more addresses (or CNAME hops) than kept */
	struct egw_dns_addr addrs[EGW_DNS_LEARN_MAX]; /* distinct addresses, answer order */
};

/*
 * A query (QR = 0, opcode QUERY, one question, no answer or authority records) into *Q.
 * UNSUPPORTED for other opcodes or question counts.
 */
enum egw_dns_status egw_dns_parse_query(const uint8_t *msg, uint32_t len,
	struct egw_dns_question *q);

/*
 * An answer (QR = 1, one question): its question, rcode, and every A record (class IN) of
 * the answer section owned by the question's name or by a name a CNAME chain from it reaches
 * (at most EGW_DNS_CHAIN_MAX hops; the first CNAME of a name is followed). Records of other
 * sections are not learned from. With QUERY (may be NULL), MISMATCH unless the answer's ID,
 * type, class and name (case-insensitively) are the query's.
 */
enum egw_dns_status egw_dns_parse_answer(const uint8_t *msg, uint32_t len,
	const struct egw_dns_qkey *query, struct egw_dns_answer *out);

/*
 * DNS over TCP (RFC 1035 4.2.2): BUF starts with a 2-byte length. OK with *MSG_LEN when the
 * whole message (at BUF + 2) is there; NEED_MORE; MALFORMED when it is shorter than a header.
 */
enum egw_dns_status egw_dns_tcp_message(const uint8_t *buf, uint32_t len, uint32_t *msg_len);

/*
 * The NXDOMAIN answer to QUERY, into OUT (CAP bytes; may be QUERY itself): the query's ID,
 * RD and CD bits and question, RA set, no records, and an OPT record (payload 1232, DO copied)
 * when the query had one (RFC 6891 7). No SOA: the refusal is not cached (RFC 2308 5), so a
 * policy change takes effect at once. Returns its length, or -EINVAL (not a query
 * egw_dns_parse_query() accepts), -ENOSPC.
 */
int egw_dns_build_nxdomain(const uint8_t *query, uint32_t qlen, uint8_t *out, uint32_t cap);

/*
 * Removes the `ech` SvcParam (key 5) from every HTTPS/SVCB record (class IN) of MSG, in place:
 * the record's RDLENGTH shrinks, a `mandatory` list loses key 5 (and goes when it empties),
 * the message moves up and every compression pointer past the cut is re-aimed. Returns the
 * new length (LEN when nothing was removed; the caller fixes UDP/IP lengths and checksums),
 * -EINVAL for a malformed message (nothing written), or -ENOTSUP when a pointer aims into a
 * removed parameter or a record whose names it cannot re-aim (NAPTR, SIG, ...) follows the
 * first cut (nothing written: drop the answer rather than pass the ECH config).
 */
int egw_dns_strip_ech(uint8_t *msg, uint32_t len);

#endif
