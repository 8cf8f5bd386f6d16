/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_TUNNEL_PROTO_H
#define EGW_TUNNEL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tunnel.h"

/*
 * The tunnel protocols' parsers, pure and allocation-free (any thread): the HTTP/1.1 CONNECT
 * request head, the Basic credentials of Proxy-Authorization, and the SOCKS5 negotiation
 * (RFC 1928, RFC 1929) as a state machine that says what to answer. The engine feeds them
 * the bytes a client sent; tests and fuzz targets call them directly.
 */

/* A requested destination: a host name or a literal IPv4 address, and a port (1-65535). */
struct egw_tunnel_target {
	bool literal;
	uint32_t addr; /* literal only */
	uint16_t port;
	uint8_t host_len;
	char host[EGW_HOSTNAME_MAX + 1]; /* normalized name, "" for a literal */
};

/*
 * "host:port" (RFC 9110 9.3.6 authority-form, no userinfo) into T: a dotted-quad literal or a
 * host name (lib/hostname syntax); IPv6 literals and port 0 are refused. 0 or -EINVAL.
 */
int egw_tunnel_parse_authority(const char *s, size_t n, struct egw_tunnel_target *t);

/* ---- HTTP/1.1 CONNECT (connect_req.c) ---- */

enum egw_connect_status {
	EGW_CONNECT_NEED_MORE = 0, /* a valid prefix */
	EGW_CONNECT_OK,		   /* a CONNECT request: see the result */
	EGW_CONNECT_ERROR,	   /* answer ->status and close */
	EGW_CONNECT_H2,		   /* the HTTP/2 prior-knowledge preface (RFC 9113 3.4) */
};

struct egw_connect_req {
	uint32_t head_len; /* OK: bytes of the head; what follows belongs to the tunnel */
	uint16_t status;   /* ERROR: 400, 405 (not CONNECT) or 431 (head over 8 KiB) */
	const char *why;   /* ERROR: a short reason */
	struct egw_tunnel_target target;
	const uint8_t *auth; /* Proxy-Authorization value (into the buffer), NULL when absent */
	uint32_t auth_len;
};

/*
 * Parses the request head at BUF. The head's syntax is lib/l7's (egw_l7_http_parse: one
 * definition of what a well-formed HTTP/1.x head is); this adds the CONNECT target, the
 * answer for everything else, and Proxy-Authorization (a second one is a 400).
 */
enum egw_connect_status egw_tunnel_connect_parse(const uint8_t *buf, uint32_t len,
	struct egw_connect_req *out);

/*
 * "Basic <base64(user:password)>" (RFC 7617), scheme in any case. USER and PASS hold 256
 * bytes each; both NUL-terminated. 0, or -EINVAL (another scheme, bad base64, no ':', a NUL
 * or control byte, a part over 255 bytes).
 */
int egw_tunnel_basic_auth(const uint8_t *v, uint32_t n, char user[256], char pass[256]);

/* ---- SOCKS5 (socks5.c) ---- */

enum egw_socks5_phase {
	EGW_SOCKS5_GREETING = 0, /* VER NMETHODS METHODS */
	EGW_SOCKS5_AUTH,	 /* RFC 1929 VER ULEN UNAME PLEN PASSWD */
	EGW_SOCKS5_AUTH_WAIT,	 /* credentials read: the caller checks them */
	EGW_SOCKS5_REQUEST,	 /* VER CMD RSV ATYP DST.ADDR DST.PORT */
	EGW_SOCKS5_CONNECT,	 /* a CONNECT was read: the caller decides and answers */
	EGW_SOCKS5_CLOSED,	 /* answered with a failure: send ->reply and close */
};

enum egw_socks5_action {
	EGW_SOCKS5_MORE = 0, /* need more bytes */
	EGW_SOCKS5_SEND,     /* send ->reply; negotiation goes on */
	EGW_SOCKS5_CHECK,    /* ->user / ->pass read: call egw_tunnel_socks5_auth() */
	EGW_SOCKS5_DECIDE,   /* ->target read: decide, then egw_tunnel_socks5_reply() */
	EGW_SOCKS5_FAIL,     /* send ->reply (maybe empty) and close; ->result says why */
};

struct egw_socks5 {
	uint8_t phase;	   /* enum egw_socks5_phase */
	bool need_auth;	   /* a users file is set: only username/password is offered */
	uint8_t reply_len; /* bytes of ->reply to send */
	uint8_t reply[10];
	uint8_t result; /* FAIL: enum egw_tunnel_result */
	uint32_t used;	/* bytes consumed by the last step */
	struct egw_tunnel_target target;
	char user[256], pass[256];
};

void egw_tunnel_socks5_init(struct egw_socks5 *s, bool need_auth);

/*
 * Consumes the next message from BUF (what the client sent and the machine has not used:
 * the caller drops ->used bytes after each step). MORE uses nothing. A client that speaks
 * another version, offers no acceptable method or sends garbage gets FAIL.
 */
enum egw_socks5_action egw_tunnel_socks5_step(struct egw_socks5 *s, const uint8_t *buf,
	uint32_t len);

/* After CHECK: the RFC 1929 status to send; SEND when OK (request phase next), FAIL if not. */
enum egw_socks5_action egw_tunnel_socks5_auth(struct egw_socks5 *s, bool ok);

/* After DECIDE: the reply for RESULT, with BND.ADDR:BND.PORT on success (SEND or FAIL). */
enum egw_socks5_action egw_tunnel_socks5_reply(struct egw_socks5 *s, enum egw_tunnel_result result,
	uint32_t bnd_addr, uint16_t bnd_port);

#endif
