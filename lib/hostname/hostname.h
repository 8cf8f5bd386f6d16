/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_HOSTNAME_H
#define EGW_HOSTNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Host-name syntax, one definition for the policy files (`hosts =`) and for the names the data
 * path reads (TLS SNI, HTTP Host, DNS questions). A name is compared in its ASCII form (IDNs
 * as punycode, "xn--..."): lower case, no trailing dot, labels of 1-63 letters, digits and '-',
 * at most 253 characters. Anything else (non-ASCII bytes, '_', blanks, IP-literal brackets)
 * is not a host name: no policy can name it, so the data path treats it as unknown.
 */
#define EGW_HOSTNAME_MAX 253 /* RFC 1035: 255 octets on the wire, 253 as text */
#define EGW_HOSTNAME_LABEL_MAX 63
#define EGW_HOSTNAME_LABELS_MAX 127 /* "a.b.c...": 253 characters hold at most 127 labels */

/* What a parser found where a name belongs. */
enum egw_hostname_state {
	EGW_HOSTNAME_ABSENT = 0, /* no name sent (no SNI, no Host header) */
	EGW_HOSTNAME_VALID,	 /* normalized into the parser's buffer */
	EGW_HOSTNAME_INVALID,	 /* a name was sent but is not a host name */
};

/* Why a name or pattern was refused; EGW_HOSTNAME_OK when it was not. */
enum egw_hostname_err {
	EGW_HOSTNAME_OK = 0,
	EGW_HOSTNAME_E_LONG,	 /* over 253 characters */
	EGW_HOSTNAME_E_LABEL,	 /* an empty label, or one over 63 characters */
	EGW_HOSTNAME_E_CHAR,	 /* a character other than letters, digits, '-' and '.' */
	EGW_HOSTNAME_E_WILDCARD, /* a '*' that is not the whole first label of a pattern */
};

/* egw_hostname_normalize() flags */
#define EGW_HOSTNAME_PATTERN 1u /* accept "*.suffix" (policy files); names never take it */

/*
 * Copies the LEN bytes at SRC (no NUL needed) into DST, which holds EGW_HOSTNAME_MAX + 1
 * bytes, lower-cased, without one trailing dot, NUL-terminated, and checks the syntax above.
 * On EGW_HOSTNAME_OK *OUT_LEN (may be NULL) is the length written; otherwise DST holds an
 * unspecified string and must not be used. Pure, allocation-free, any thread; reads exactly
 * LEN bytes of SRC. DST may be SRC (in place).
 */
enum egw_hostname_err egw_hostname_normalize(const char *src, size_t len, unsigned flags, char *dst,
	size_t *out_len);

/* The error as a phrase for "'NAME' <phrase>" messages (policy files). */
const char *egw_hostname_strerror(enum egw_hostname_err err);

/* ASCII lower case, independent of the locale. */
static inline uint8_t egw_hostname_lower(uint8_t c)
{
	return (uint8_t)((unsigned)(c - 'A') < 26u ? c + ('a' - 'A') : c);
}

/*
 * One step of the name hash (FNV-1a, 64 bits) over a lower-cased byte. The matcher feeds a
 * name right to left, so that the hash of every suffix is an intermediate value of one pass;
 * the DNS parser feeds wire labels to match an answer's question to its query.
 */
#define EGW_HOSTNAME_HASH_INIT 0xcbf29ce484222325ull
static inline uint64_t egw_hostname_hash_step(uint64_t h, uint8_t c)
{
	return (h ^ egw_hostname_lower(c)) * 0x100000001b3ull;
}

#endif
