/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_L7_H
#define EGW_L7_H

#include <stdbool.h>
#include <stdint.h>

#include "hostname/hostname.h"

/*
 * Reads the host name out of the first bytes a client sends on a TCP connection: the SNI of a
 * TLS ClientHello, or the Host of an HTTP/1.x request. The caller holds the flow's first data
 * in order (reassembled) and calls the parser again, from the first byte, whenever more has
 * arrived; a parser reads only the LEN bytes it is given, allocates nothing and keeps no state
 * between calls.
 */
enum egw_l7_status {
	EGW_L7_NEED_MORE = 0, /* a valid prefix: call again with more bytes (see ->need) */
	EGW_L7_DONE,	      /* complete: the result is filled in */
	EGW_L7_NOT_PROTO,     /* the first bytes are not this protocol at all */
	EGW_L7_MALFORMED,     /* this protocol, but broken, ambiguous or over the size limit */
};

/* The status as a word, for tests and logs. */
const char *egw_l7_status_name(enum egw_l7_status s);

/* ---- TLS ClientHello (tls_hello.c) ---- */

/* Largest ClientHello handshake message accepted (with its 4-byte header). Hellos with
 * post-quantum key shares are 1.5-2 KiB; nothing legitimate comes near this. */
#define EGW_L7_TLS_HELLO_MAX 16384
/* A hello split into more records than this is refused: real clients use one or two, tiny
 * records are a way to hide the name from middleboxes. */
#define EGW_L7_TLS_RECORDS_MAX 32
#define EGW_L7_ALPN_MAX 31

struct egw_l7_tls {
	/*
	 * NEED_MORE: the buffer must hold at least this many bytes before a new call can decide
	 * (exact once the handshake length is known and the rest arrives in one record).
	 * DONE: the offset just past the ClientHello (record headers included).
	 */
	uint32_t need;
	uint8_t sni_state; /* enum egw_hostname_state of the server_name host_name */
	uint8_t sni_len;
	bool ech;	   /* an encrypted_client_hello extension (0xfe0d) is present */
	uint8_t alpn_len;  /* 0: no ALPN, or a first protocol longer than EGW_L7_ALPN_MAX */
	uint8_t n_records; /* TLS records the hello spans */
	char sni[EGW_HOSTNAME_MAX + 1]; /* normalized (hostname.h) when sni_state is VALID */
	char alpn[EGW_L7_ALPN_MAX + 1]; /* first protocol offered, as sent ("h2") */
};

/*
 * Parses the ClientHello at the start of BUF (LEN bytes of the client's stream). NOT_PROTO:
 * the first bytes are not a TLS handshake record. MALFORMED: a TLS record that does not hold
 * a well-formed ClientHello within the limits above, or that repeats server_name, ALPN or
 * ECH. Any thread; reads only BUF[0..LEN).
 */
enum egw_l7_status egw_l7_tls_parse(const uint8_t *buf, uint32_t len, struct egw_l7_tls *out);

/* ---- HTTP/1.x request head (http_req.c) ---- */

/* Largest request head accepted (request line + header fields + the empty line). */
#define EGW_L7_HTTP_HEAD_MAX 8192

#define EGW_L7_HTTP_CONNECT 1u	  /* CONNECT host:port: the name is the tunnel's target */
#define EGW_L7_HTTP_ABSOLUTE 2u	  /* absolute-form target (a request to a proxy) */
#define EGW_L7_HTTP_10 4u	  /* HTTP/1.0 (Host optional) */
#define EGW_L7_HTTP_H2_PREFACE 8u /* with NOT_PROTO: the HTTP/2 prior-knowledge preface */

struct egw_l7_http {
	/* NEED_MORE: at least this many bytes (the head is at most EGW_L7_HTTP_HEAD_MAX).
	 * DONE: the length of the request head. */
	uint32_t need;
	uint16_t port;	    /* from the host's ":port", 0 when none */
	uint8_t flags;	    /* EGW_L7_HTTP_* */
	uint8_t host_state; /* enum egw_hostname_state */
	uint8_t host_len;
	char host[EGW_HOSTNAME_MAX + 1]; /* normalized when host_state is VALID */
};

/*
 * Parses the first HTTP/1.x request head in BUF. The name comes from the authority of an
 * absolute-form or CONNECT target, else from the Host header field; a request carrying both
 * with different hosts, two Host fields, or HTTP/1.1 without any is MALFORMED. NOT_PROTO:
 * the first bytes are not an HTTP/1.x request line (TLS, SSH, HTTP/2's preface, HTTP/0.9).
 * Any thread; reads only BUF[0..LEN).
 */
enum egw_l7_status egw_l7_http_parse(const uint8_t *buf, uint32_t len, struct egw_l7_http *out);

#endif
