/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tunnel's parsers: the HTTP/1.1 CONNECT head (every answer: OK, 400, 405, 431, the
 * HTTP/2 preface, every prefix waits), Basic credentials, the SOCKS5 machine (every reply
 * code, truncated and garbage input) and the users file (every error as FILE:LINE). Inputs are
 * parsed from heap copies of their exact size, so ASan sees any read past the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "egw_test.h"
#include "testdata.h"
#include "tunnel/tunnel_proto.h"
#include "tunnel/users.h"

static enum egw_connect_status connect_exact(const char *s, size_t n, struct egw_connect_req *q)
{
	uint8_t *c = egw_testdata_exact(s, n);
	enum egw_connect_status st = egw_tunnel_connect_parse(c, (uint32_t)n, q);

	/* Pointers into the input must not outlive it: the caller only looks at lengths. */
	if (q->auth)
		q->auth = (const uint8_t *)s + (q->auth - c);
	free(c);
	return st;
}

static const char curl_connect[] = "CONNECT www.example.com:443 HTTP/1.1\r\n"
				   "Host: www.example.com:443\r\n"
				   "User-Agent: curl/7.88.1\r\n"
				   "Proxy-Connection: Keep-Alive\r\n\r\n";

static void test_connect_curl(void)
{
	struct egw_connect_req q;
	size_t n = strlen(curl_connect);

	CU_ASSERT_EQUAL(connect_exact(curl_connect, n, &q), EGW_CONNECT_OK);
	CU_ASSERT_EQUAL(q.head_len, n);
	CU_ASSERT_STRING_EQUAL(q.target.host, "www.example.com");
	CU_ASSERT_EQUAL(q.target.port, 443);
	CU_ASSERT_FALSE(q.target.literal);
	CU_ASSERT_PTR_NULL(q.auth);
	/* every prefix waits for more */
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL(connect_exact(curl_connect, i, &q), EGW_CONNECT_NEED_MORE);
}

/* Where the head ends: after the first empty line (CRLF or bare LF line ends). */
static uint32_t head_end(const char *s)
{
	const char *crlf = strstr(s, "\r\n\r\n"), *lf = strstr(s, "\n\n");

	if (lf && (!crlf || lf < crlf))
		return (uint32_t)(lf + 2 - s);
	return crlf ? (uint32_t)(crlf + 4 - s) : 0;
}

static void test_connect_forms(void)
{
	static const struct {
		const char *req;
		enum egw_connect_status st;
		uint16_t status; /* ERROR */
		const char *host;
		uint16_t port;
	} cases[] = {
		{ "CONNECT 203.0.113.5:8443 HTTP/1.1\r\n\r\n", EGW_CONNECT_OK, 0, "", 8443 },
		{ "CONNECT Www.Example.COM.:80 HTTP/1.1\r\nHost: www.example.com\r\n\r\n",
			EGW_CONNECT_OK, 0, "www.example.com", 80 },
		{ "CONNECT a.b:1 HTTP/1.0\n\n", EGW_CONNECT_OK, 0, "a.b", 1 },
		{ "CONNECT a.b:65535 HTTP/1.1\r\n\r\ndata after the head", EGW_CONNECT_OK, 0, "a.b",
			65535 },
		{ "CONNECT a.b:0 HTTP/1.1\r\n\r\n", EGW_CONNECT_ERROR, 400 },
		{ "CONNECT a.b:65536 HTTP/1.1\r\n\r\n", EGW_CONNECT_ERROR, 400 },
		{ "CONNECT a.b: HTTP/1.1\r\n\r\n", EGW_CONNECT_ERROR, 400 },
		{ "CONNECT a.b HTTP/1.1\r\n\r\n", EGW_CONNECT_ERROR, 400 },
		{ "CONNECT [2001:db8::1]:443 HTTP/1.1\r\n\r\n", EGW_CONNECT_ERROR, 400 },
		{ "CONNECT user@a.b:443 HTTP/1.1\r\n\r\n", EGW_CONNECT_ERROR, 400 },
		{ "CONNECT a_b.c:443 HTTP/1.1\r\n\r\n", EGW_CONNECT_ERROR, 400 },
		{ "CONNECT a.b:443/x HTTP/1.1\r\n\r\n", EGW_CONNECT_ERROR, 400 },
		{ "CONNECT a.b:443 HTTP/1.1\r\nHost: other.c\r\n\r\n", EGW_CONNECT_ERROR, 400 },
		{ "CONNECT a.b:443 HTTP/1.1\r\nX: a\rb\r\n\r\n", EGW_CONNECT_ERROR, 400 },
		{ "CONNECT a.b:443 HTTP/1.1\r\n folded\r\n\r\n", EGW_CONNECT_ERROR, 400 },
		{ "GET / HTTP/1.1\r\nHost: a.b\r\n\r\n", EGW_CONNECT_ERROR, 405 },
		{ "GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\n\r\n", EGW_CONNECT_ERROR, 405 },
		{ "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", EGW_CONNECT_ERROR, 400 },
		{ "\x05\x01\x00", EGW_CONNECT_ERROR, 400 },
		{ "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", EGW_CONNECT_H2 },
		{ "CONNECT a.b:443 HTTP/1.1\r\nProxy-Authorization: Basic YTpi\r\n"
		  "proxy-authorization: Basic YTpi\r\n\r\n",
			EGW_CONNECT_ERROR, 400 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct egw_connect_req q;
		enum egw_connect_status st = connect_exact(cases[i].req, strlen(cases[i].req), &q);

		if (st != cases[i].st)
			fprintf(stderr, "\ncase %zu: status %d, want %d\n", i, st, cases[i].st);
		CU_ASSERT_EQUAL(st, cases[i].st);
		if (st == EGW_CONNECT_ERROR) {
			CU_ASSERT_EQUAL(q.status, cases[i].status);
			CU_ASSERT_PTR_NOT_NULL(q.why);
		}
		if (st == EGW_CONNECT_OK) {
			CU_ASSERT_STRING_EQUAL(q.target.host, cases[i].host);
			CU_ASSERT_EQUAL(q.target.port, cases[i].port);
			CU_ASSERT_EQUAL(q.target.literal, cases[i].host[0] == '\0');
			CU_ASSERT_EQUAL(q.head_len, head_end(cases[i].req));
		}
	}
}

static void test_connect_literal(void)
{
	struct egw_connect_req q;
	const char *r = "CONNECT 203.0.113.5:8443 HTTP/1.1\r\n\r\n";

	CU_ASSERT_EQUAL(connect_exact(r, strlen(r), &q), EGW_CONNECT_OK);
	CU_ASSERT_TRUE(q.target.literal);
	CU_ASSERT_EQUAL(q.target.addr, 0xcb007105u);
	/* a leading zero is not a dotted quad here (inet_aton would read it as octal) */
	r = "CONNECT 010.0.0.1:80 HTTP/1.1\r\n\r\n";
	CU_ASSERT_EQUAL(connect_exact(r, strlen(r), &q), EGW_CONNECT_OK);
	CU_ASSERT_FALSE(q.target.literal);
	CU_ASSERT_STRING_EQUAL(q.target.host, "010.0.0.1");
}

static void test_connect_auth(void)
{
	const char *r = "CONNECT a.b:443 HTTP/1.1\r\nHost: a.b:443\r\n"
			"Proxy-Authorization:  Basic YWxpY2U6czNjcmV0 \r\n\r\n";
	struct egw_connect_req q;
	char user[256], pass[256];

	CU_ASSERT_EQUAL(connect_exact(r, strlen(r), &q), EGW_CONNECT_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q.auth);
	CU_ASSERT_EQUAL(q.auth_len, strlen("Basic YWxpY2U6czNjcmV0"));
	CU_ASSERT_EQUAL(egw_tunnel_basic_auth(q.auth, q.auth_len, user, pass), 0);
	CU_ASSERT_STRING_EQUAL(user, "alice");
	CU_ASSERT_STRING_EQUAL(pass, "s3cret");
}

static void test_connect_size(void)
{
	size_t n = 9000;
	char *r = malloc(n + 1);
	struct egw_connect_req q;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	strcpy(r, "CONNECT a.b:443 HTTP/1.1\r\nX-Big: ");
	memset(r + strlen(r), 'a', n - strlen(r));
	r[n] = '\0';
	CU_ASSERT_EQUAL(connect_exact(r, n, &q), EGW_CONNECT_ERROR);
	CU_ASSERT_EQUAL(q.status, 431);
	/* a head broken early is a 400 even when it is long */
	memcpy(r, "CONNECT a.b:443 HTTP/1.1\r\n\x01", 27);
	CU_ASSERT_EQUAL(connect_exact(r, n, &q), EGW_CONNECT_ERROR);
	CU_ASSERT_EQUAL(q.status, 400);
	free(r);
}

static void test_basic_auth(void)
{
	static const struct {
		const char *v;
		int ret;
		const char *user, *pass;
	} cases[] = {
		{ "Basic YWxpY2U6czNjcmV0", 0, "alice", "s3cret" },
		{ "basic YWxpY2U6czNjcmV0", 0, "alice", "s3cret" },
		{ "BASIC  YTo=", 0, "a", "" },		/* "a:" */
		{ "Basic OnA=", 0, "", "p" },		/* ":p" */
		{ "Basic YTpiOmM=", 0, "a", "b:c" },	/* the first ':' splits */
		{ "Basic YWxpY2U=", -EINVAL },		/* no ':' */
		{ "Bearer YWxpY2U6czNjcmV0", -EINVAL }, /* another scheme */
		{ "Basic YWxpY2U6czNjcmV0=", -EINVAL }, /* length not a multiple of 4 */
		{ "Basic YW=pY2U6", -EINVAL },		/* '=' in the middle */
		{ "Basic YWxp*2U6", -EINVAL }, { "Basic", -EINVAL },
		{ "Basic YQk6Yg==", -EINVAL }, /* "a\t:b": control byte */
	};
	char user[256], pass[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = egw_tunnel_basic_auth((const uint8_t *)cases[i].v,
			(uint32_t)strlen(cases[i].v), user, pass);

		CU_ASSERT_EQUAL(ret, cases[i].ret);
		if (ret == 0 && cases[i].ret == 0) {
			CU_ASSERT_STRING_EQUAL(user, cases[i].user);
			CU_ASSERT_STRING_EQUAL(pass, cases[i].pass);
		}
	}
}

/* ---- SOCKS5 ---- */

static enum egw_socks5_action s5_exact(struct egw_socks5 *s, const void *p, size_t n)
{
	uint8_t *c = egw_testdata_exact(p, n);
	enum egw_socks5_action a = egw_tunnel_socks5_step(s, c, (uint32_t)n);

	free(c);
	return a;
}

/* Every proper prefix of MSG waits; the whole message gives the action returned. */
static enum egw_socks5_action s5_msg(struct egw_socks5 *s, const void *msg, size_t n)
{
	struct egw_socks5 copy;

	for (size_t i = 0; i < n; i++) {
		copy = *s;
		CU_ASSERT_EQUAL(s5_exact(&copy, msg, i), EGW_SOCKS5_MORE);
		CU_ASSERT_EQUAL(copy.used, 0);
	}
	return s5_exact(s, msg, n);
}

static void reply_is(const struct egw_socks5 *s, const void *want, size_t n)
{
	CU_ASSERT_EQUAL(s->reply_len, n);
	CU_ASSERT_EQUAL(memcmp(s->reply, want, n), 0);
}

static void test_socks5_noauth_connect(void)
{
	struct egw_socks5 s;
	static const uint8_t hello[] = { 5, 2, 0, 2 };
	static const uint8_t req[] = { 5, 1, 0, 3, 11, 'W', 'w', 'w', '.', 'a', '.', 't', 'e', 's',
		't', '.', 0x01, 0xbb };

	egw_tunnel_socks5_init(&s, false);
	CU_ASSERT_EQUAL(s5_msg(&s, hello, sizeof(hello)), EGW_SOCKS5_SEND);
	reply_is(&s, "\x05\x00", 2);
	CU_ASSERT_EQUAL(s.used, 4);
	CU_ASSERT_EQUAL(s5_msg(&s, req, sizeof(req)), EGW_SOCKS5_DECIDE);
	CU_ASSERT_EQUAL(s.used, sizeof(req));
	CU_ASSERT_STRING_EQUAL(s.target.host, "www.a.test");
	CU_ASSERT_EQUAL(s.target.port, 443);
	CU_ASSERT_EQUAL(egw_tunnel_socks5_reply(&s, EGW_TUNNEL_R_ALLOWED, 0xcb007102u, 40000),
		EGW_SOCKS5_SEND);
	reply_is(&s, "\x05\x00\x00\x01\xcb\x00\x71\x02\x9c\x40", 10);
}

static void test_socks5_auth(void)
{
	struct egw_socks5 s;
	static const uint8_t hello[] = { 5, 1, 2 };
	static const uint8_t up[] = { 1, 5, 'a', 'l', 'i', 'c', 'e', 3, 'p', 'w', 'd' };
	static const uint8_t req[] = { 5, 1, 0, 1, 203, 0, 113, 7, 0, 80 };

	egw_tunnel_socks5_init(&s, true);
	CU_ASSERT_EQUAL(s5_msg(&s, hello, sizeof(hello)), EGW_SOCKS5_SEND);
	reply_is(&s, "\x05\x02", 2);
	CU_ASSERT_EQUAL(s5_msg(&s, up, sizeof(up)), EGW_SOCKS5_CHECK);
	CU_ASSERT_STRING_EQUAL(s.user, "alice");
	CU_ASSERT_STRING_EQUAL(s.pass, "pwd");
	CU_ASSERT_EQUAL(egw_tunnel_socks5_auth(&s, true), EGW_SOCKS5_SEND);
	reply_is(&s, "\x01\x00", 2);
	CU_ASSERT_EQUAL(s.pass[0], 0); /* not kept once checked */
	CU_ASSERT_EQUAL(s5_msg(&s, req, sizeof(req)), EGW_SOCKS5_DECIDE);
	CU_ASSERT_TRUE(s.target.literal);
	CU_ASSERT_EQUAL(s.target.addr, 0xcb007107u);
	CU_ASSERT_EQUAL(s.target.port, 80);

	/* wrong password: status 1 and close (RFC 1929 2) */
	egw_tunnel_socks5_init(&s, true);
	s5_msg(&s, hello, sizeof(hello));
	CU_ASSERT_EQUAL(s5_msg(&s, up, sizeof(up)), EGW_SOCKS5_CHECK);
	CU_ASSERT_EQUAL(egw_tunnel_socks5_auth(&s, false), EGW_SOCKS5_FAIL);
	reply_is(&s, "\x01\x01", 2);
	CU_ASSERT_EQUAL(s.result, EGW_TUNNEL_R_AUTH_FAILED);

	/* users set, the client offers only "no authentication": 0xFF */
	egw_tunnel_socks5_init(&s, true);
	CU_ASSERT_EQUAL(s5_msg(&s, "\x05\x01\x00", 3), EGW_SOCKS5_FAIL);
	reply_is(&s, "\x05\xff", 2);
	CU_ASSERT_EQUAL(s.result, EGW_TUNNEL_R_AUTH_FAILED);
	/* no users, the client offers only username/password: 0xFF too */
	egw_tunnel_socks5_init(&s, false);
	CU_ASSERT_EQUAL(s5_msg(&s, "\x05\x01\x02", 3), EGW_SOCKS5_FAIL);
	reply_is(&s, "\x05\xff", 2);
	/* an empty user name, a NUL inside it, another sub-negotiation version */
	egw_tunnel_socks5_init(&s, true);
	s5_msg(&s, hello, sizeof(hello));
	CU_ASSERT_EQUAL(s5_msg(&s, "\x01\x00\x01p", 4), EGW_SOCKS5_FAIL);
	reply_is(&s, "\x01\x01", 2);
	egw_tunnel_socks5_init(&s, true);
	s5_msg(&s, hello, sizeof(hello));
	CU_ASSERT_EQUAL(s5_msg(&s, "\x01\x02\x61\x00\x01p", 6), EGW_SOCKS5_FAIL);
	egw_tunnel_socks5_init(&s, true);
	s5_msg(&s, hello, sizeof(hello));
	CU_ASSERT_EQUAL(s5_exact(&s, "\x05\x01\x61\x01p", 5), EGW_SOCKS5_FAIL);
	CU_ASSERT_EQUAL(s.result, EGW_TUNNEL_R_BAD_REQUEST);
}

/* A request after a no-auth greeting; the reply it gets. */
static enum egw_socks5_action s5_request(struct egw_socks5 *s, const void *req, size_t n)
{
	egw_tunnel_socks5_init(s, false);
	CU_ASSERT_EQUAL(s5_exact(s, "\x05\x01\x00", 3), EGW_SOCKS5_SEND);
	return s5_exact(s, req, n);
}

static void test_socks5_bad_requests(void)
{
	static const struct {
		const char *req;
		size_t n;
		uint8_t rep;
		uint8_t result;
	} cases[] = {
		{ "\x05\x02\x00\x01\xcb\x00\x71\x07\x00\x50", 10, 0x07, EGW_TUNNEL_R_BAD_REQUEST },
		{ "\x05\x03\x00\x01\xcb\x00\x71\x07\x00\x50", 10, 0x07, EGW_TUNNEL_R_BAD_REQUEST },
		{ "\x05\x09\x00\x01\xcb\x00\x71\x07\x00\x50", 10, 0x07, EGW_TUNNEL_R_BAD_REQUEST },
		{ "\x05\x01\x00\x04"
		  "0123456789abcdef\x00\x50",
			22, 0x08, EGW_TUNNEL_R_BAD_REQUEST },
		{ "\x05\x01\x00\x07\x00", 5, 0x08, EGW_TUNNEL_R_BAD_REQUEST },
		{ "\x05\x01\x01\x01\xcb\x00\x71\x07\x00\x50", 10, 0x01, EGW_TUNNEL_R_BAD_REQUEST },
		{ "\x05\x01\x00\x01\xcb\x00\x71\x07\x00\x00", 10, 0x01, EGW_TUNNEL_R_BAD_REQUEST },
		{ "\x04\x01\x00\x01\xcb\x00\x71\x07\x00\x50", 10, 0x01, EGW_TUNNEL_R_BAD_REQUEST },
		{ "\x05\x01\x00\x03\x03"
		  "a_b\x00\x50",
			10, 0x04, EGW_TUNNEL_R_UNRESOLVABLE },
		{ "\x05\x01\x00\x03\x00\x00\x50", 7, 0x04, EGW_TUNNEL_R_UNRESOLVABLE },
	};
	struct egw_socks5 s;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL(s5_request(&s, cases[i].req, cases[i].n), EGW_SOCKS5_FAIL);
		CU_ASSERT_EQUAL(s.reply_len, 10);
		CU_ASSERT_EQUAL(s.reply[0], 5);
		CU_ASSERT_EQUAL(s.reply[1], cases[i].rep);
		CU_ASSERT_EQUAL(s.result, cases[i].result);
		CU_ASSERT_EQUAL(s.phase, EGW_SOCKS5_CLOSED);
	}
	/* a dotted quad sent as a name is the literal */
	CU_ASSERT_EQUAL(s5_request(&s,
				"\x05\x01\x00\x03\x0b"
				"203.0.113.9\x01\xbb",
				18),
		EGW_SOCKS5_DECIDE);
	CU_ASSERT_TRUE(s.target.literal);
	CU_ASSERT_EQUAL(s.target.addr, 0xcb007109u);
	/* not SOCKS5 at all: closed without a reply */
	egw_tunnel_socks5_init(&s, false);
	CU_ASSERT_EQUAL(s5_exact(&s, "GET / HTTP/1.1\r\n", 16), EGW_SOCKS5_FAIL);
	CU_ASSERT_EQUAL(s.reply_len, 0);
	egw_tunnel_socks5_init(&s, false);
	CU_ASSERT_EQUAL(s5_exact(&s, "\x04\x01\x00\x50", 4), EGW_SOCKS5_FAIL);
	/* a greeting with no methods offers nothing acceptable */
	egw_tunnel_socks5_init(&s, false);
	CU_ASSERT_EQUAL(s5_exact(&s, "\x05\x00", 2), EGW_SOCKS5_FAIL);
	reply_is(&s, "\x05\xff", 2);
	/* bytes after the request are not the machine's */
	CU_ASSERT_EQUAL(s5_request(&s, "\x05\x01\x00\x01\xcb\x00\x71\x07\x00\x50GET", 13),
		EGW_SOCKS5_DECIDE);
	CU_ASSERT_EQUAL(s.used, 10);
	CU_ASSERT_EQUAL(egw_tunnel_socks5_step(&s, (const uint8_t *)"GET", 3), EGW_SOCKS5_MORE);
}

static void test_socks5_replies(void)
{
	static const struct {
		enum egw_tunnel_result r;
		uint8_t rep;
	} cases[] = {
		{ EGW_TUNNEL_R_DENIED, 0x02 },
		{ EGW_TUNNEL_R_UPSTREAM_UNREACHABLE, 0x03 },
		{ EGW_TUNNEL_R_UNRESOLVABLE, 0x04 },
		{ EGW_TUNNEL_R_UPSTREAM_TIMEOUT, 0x04 },
		{ EGW_TUNNEL_R_UPSTREAM_REFUSED, 0x05 },
		{ EGW_TUNNEL_R_INTERNAL, 0x01 },
		{ EGW_TUNNEL_R_TOO_MANY_CLIENTS, 0x01 },
	};
	struct egw_socks5 s;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL(s5_request(&s, "\x05\x01\x00\x01\xcb\x00\x71\x07\x00\x50", 10),
			EGW_SOCKS5_DECIDE);
		CU_ASSERT_EQUAL(egw_tunnel_socks5_reply(&s, cases[i].r, 1, 2), EGW_SOCKS5_FAIL);
		reply_is(&s, (const uint8_t[]){ 5, cases[i].rep, 0, 1, 0, 0, 0, 0, 0, 0 }, 10);
		CU_ASSERT_EQUAL(s.result, cases[i].r);
	}
	/* a reply before a request was read is a caller's bug, answered as a failure */
	egw_tunnel_socks5_init(&s, false);
	CU_ASSERT_EQUAL(egw_tunnel_socks5_reply(&s, EGW_TUNNEL_R_ALLOWED, 0, 0), EGW_SOCKS5_FAIL);
	CU_ASSERT_EQUAL(egw_tunnel_socks5_auth(&s, true), EGW_SOCKS5_FAIL);
	/* the result table: HTTP statuses */
	CU_ASSERT_EQUAL(egw_tunnel_result_http(EGW_TUNNEL_R_ALLOWED), 200);
	CU_ASSERT_EQUAL(egw_tunnel_result_http(EGW_TUNNEL_R_DENIED), 403);
	CU_ASSERT_EQUAL(egw_tunnel_result_http(EGW_TUNNEL_R_AUTH_FAILED), 407);
	CU_ASSERT_EQUAL(egw_tunnel_result_http(EGW_TUNNEL_R_UNRESOLVABLE), 502);
	CU_ASSERT_EQUAL(egw_tunnel_result_http(EGW_TUNNEL_R_UPSTREAM_TIMEOUT), 504);
	CU_ASSERT_STRING_EQUAL(egw_tunnel_result_name(EGW_TUNNEL_R_UPSTREAM_REFUSED),
		"upstream_refused");
	CU_ASSERT_STRING_EQUAL(egw_tunnel_transport_name(EGW_TUNNEL_H2C), "h2c");
}

/* Random bytes after each phase: never a crash, never a read past the data. */
static void test_socks5_garbage(void)
{
	uint8_t buf[600];
	struct egw_socks5 s;

	srand(7);
	for (int round = 0; round < 3000; round++) {
		size_t n = (size_t)(rand() % (int)sizeof(buf));
		enum egw_socks5_action a;

		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rand();
		if (n > 0 && round % 3 == 0)
			buf[0] = 5;
		egw_tunnel_socks5_init(&s, round & 1);
		if (round % 2 == 0)
			s5_exact(&s, round & 1 ? "\x05\x01\x02" : "\x05\x01\x00", 3);
		a = s5_exact(&s, buf, n);
		CU_ASSERT(s.used <= n);
		CU_ASSERT(s.reply_len <= sizeof(s.reply));
		CU_ASSERT(a != EGW_SOCKS5_FAIL || s.phase == EGW_SOCKS5_CLOSED);
	}
}

/* ---- the users file ---- */

/* The only error in ERRS, as "FILE:LINE: message". */
static void one_error(const struct egw_conf_errors *errs, const char *want)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	egw_conf_errors_print(errs, f);
	fclose(f);
	CU_ASSERT_EQUAL(errs->n, 1);
	if (!strstr(text, want))
		fprintf(stderr, "\nwant '%s' in:\n%s", want, text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, want));
	free(text);
}

/* openssl passwd -6 -salt egwtest s3cret */
#define HASH6                                                                                      \
	"$6$egwtest$Ew5urk1E6SBoU889a3D.L9jliGujNvMRq0oYedYrFePp57nXUJFhPDjYQ0HFINMBN/"            \
	"XipPAr.U4AvqF6lSf2e0"

static void test_users_parse(void)
{
	const char *text = "# tunnel users\n\nalice:" HASH6 "\r\nbob:" HASH6 "\n";
	struct egw_conf_errors errs = { 0 };
	struct egw_tunnel_users *u;
	const char *name;

	CU_ASSERT_EQUAL_FATAL(egw_tunnel_users_parse("u", text, strlen(text), &u, &errs), 0);
	CU_ASSERT_EQUAL(errs.n, 0);
	CU_ASSERT_EQUAL(egw_tunnel_users_count(u), 2);
	name = egw_tunnel_users_check(u, "alice", "s3cret");
	CU_ASSERT_PTR_NOT_NULL(name);
	if (name)
		CU_ASSERT_STRING_EQUAL(name, "alice");
	CU_ASSERT_PTR_NOT_NULL(egw_tunnel_users_check(u, "alice", "s3cret")); /* cached */
	CU_ASSERT_PTR_NULL(egw_tunnel_users_check(u, "alice", "s3cret!"));
	CU_ASSERT_PTR_NULL(egw_tunnel_users_check(u, "alice", ""));
	CU_ASSERT_PTR_NULL(egw_tunnel_users_check(u, "carol", "s3cret"));
	CU_ASSERT_PTR_NOT_NULL(egw_tunnel_users_check(u, "bob", "s3cret"));
	egw_tunnel_users_free(u);
	egw_conf_errors_free(&errs);
}

static void test_users_errors(void)
{
	static const struct {
		const char *text;
		const char *err;
	} cases[] = {
		{ "alice\n", "u:1: expected name:hash" },
		{ "\n\nal ice:" HASH6 "\n", "u:3: user name must be" },
		{ ":" HASH6 "\n", "u:1: user name must be" },
		{ "alice:s3cret\n", "u:1: user 'alice': not a crypt(3) hash" },
		{ "alice:$1$abcdefgh$ZCxsq0bNpbsM0vYhDHoYZ.\n", "u:1: user 'alice': not a crypt" },
		{ "alice:abJnggxhB/yWI\n", "u:1: user 'alice': not a crypt" },
		{ "alice:" HASH6 "\n#\nalice:" HASH6 "\n",
			"u:3: duplicate user 'alice' (first at line 1)" },
		{ "alice:" HASH6 "\0\n", "u: the file contains a NUL byte" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct egw_conf_errors errs = { 0 };
		struct egw_tunnel_users *u = (void *)1;
		size_t n = strlen(cases[i].text);

		if (strstr(cases[i].err, "NUL"))
			n += 2;
		CU_ASSERT_EQUAL(egw_tunnel_users_parse("u", cases[i].text, n, &u, &errs), -EINVAL);
		CU_ASSERT_PTR_NULL(u);
		one_error(&errs, cases[i].err);
		egw_conf_errors_free(&errs);
	}
}

static void test_users_load(void)
{
	char dir[] = "/tmp/egw-users-XXXXXX", path[64];
	struct egw_conf_errors errs = { 0 };
	struct egw_tunnel_users *u;
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/users", dir);
	CU_ASSERT_EQUAL(egw_tunnel_users_load(path, &u, &errs), -ENOENT);
	one_error(&errs, "users: cannot open: No such file or directory");
	egw_conf_errors_free(&errs);
	CU_ASSERT(egw_tunnel_users_load(dir, &u, &errs) < 0);
	one_error(&errs, "not a regular file");
	egw_conf_errors_free(&errs);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "alice:" HASH6 "\n", strlen(HASH6) + 7),
		(ssize_t)strlen(HASH6) + 7);
	CU_ASSERT_EQUAL(egw_tunnel_users_load(path, &u, &errs), 0);
	CU_ASSERT_EQUAL(egw_tunnel_users_count(u), 1);
	egw_tunnel_users_free(u);
	/* over 16 MiB (sparse): refused before anything is read */
	CU_ASSERT_EQUAL(ftruncate(fd, EGW_TUNNEL_USERS_FILE_MAX + 1), 0);
	CU_ASSERT_EQUAL(egw_tunnel_users_load(path, &u, &errs), -EFBIG);
	one_error(&errs, "larger than 16 MiB");
	egw_conf_errors_free(&errs);
	close(fd);
	unlink(path);
	rmdir(dir);
}

void egw_test_register_tunnel(void)
{
	EGW_SUITE("tunnel", NULL, NULL, EGW_TEST(test_connect_curl), EGW_TEST(test_connect_forms),
		EGW_TEST(test_connect_literal), EGW_TEST(test_connect_auth),
		EGW_TEST(test_connect_size), EGW_TEST(test_basic_auth),
		EGW_TEST(test_socks5_noauth_connect), EGW_TEST(test_socks5_auth),
		EGW_TEST(test_socks5_bad_requests), EGW_TEST(test_socks5_replies),
		EGW_TEST(test_socks5_garbage), EGW_TEST(test_users_parse),
		EGW_TEST(test_users_errors), EGW_TEST(test_users_load));
}
