/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/l7: the TLS ClientHello and HTTP/1.x request parsers on real client bytes (openssl
 * s_client, curl; tests/unit/data), on every prefix of them, on hellos re-framed into several
 * records, and on hostile input (lengths that lie, repeated names, oversized heads). Inputs
 * are parsed from heap copies of their exact size, so ASan sees any read past the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egw_test.h"
#include "l7/l7.h"
#include "testdata.h"

static enum egw_l7_status tls_exact(const void *p, size_t n, struct egw_l7_tls *out)
{
	uint8_t *c = egw_testdata_exact(p, n);
	enum egw_l7_status st = egw_l7_tls_parse(c, (uint32_t)n, out);

	free(c);
	return st;
}

static enum egw_l7_status http_exact(const void *p, size_t n, struct egw_l7_http *out)
{
	uint8_t *c = egw_testdata_exact(p, n);
	enum egw_l7_status st = egw_l7_http_parse(c, (uint32_t)n, out);

	free(c);
	return st;
}

/* ---- building ClientHellos ---- */

static size_t put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

/* An extension: type, length, DATA. */
static size_t ext(uint8_t *p, unsigned type, const void *data, size_t n)
{
	put16(p, type);
	put16(p + 2, n);
	if (n)
		memcpy(p + 4, data, n);
	return 4 + n;
}

/* server_name with one entry of TYPE holding NAME (N bytes). */
static size_t ext_sni(uint8_t *p, unsigned type, const char *name, size_t n)
{
	uint8_t v[600];

	put16(v, 3 + n);
	v[2] = (uint8_t)type;
	put16(v + 3, n);
	memcpy(v + 5, name, n);
	return ext(p, 0, v, 5 + n);
}

/* A ClientHello handshake message (header included) around the extension block EXT. */
static size_t hello_msg(uint8_t *p, const uint8_t *exts, size_t n_ext)
{
	size_t n = 4;

	p[n++] = 3;
	p[n++] = 3;
	memset(p + n, 0x5a, 32);
	n += 32;
	p[n++] = 0;		   /* session id */
	n += put16(p + n, 2);	   /* cipher suites */
	n += put16(p + n, 0x1301); /* TLS_AES_128_GCM_SHA256 */
	p[n++] = 1;		   /* compression: null */
	p[n++] = 0;
	n += put16(p + n, n_ext);
	if (n_ext)
		memcpy(p + n, exts, n_ext);
	n += n_ext;
	p[0] = 1;
	p[1] = (uint8_t)((n - 4) >> 16);
	put16(p + 2, n - 4);
	return n;
}

/* MSG framed into records: the first SPLITS[i] bytes each, the rest in a last record. */
static size_t frame(uint8_t *p, const uint8_t *msg, size_t n, const size_t *splits, size_t n_splits)
{
	size_t out = 0, at = 0;

	for (size_t i = 0; i <= n_splits && at < n; i++) {
		size_t len = i < n_splits ? splits[i] : n - at;

		if (len > n - at)
			len = n - at;
		p[out] = 22;
		p[out + 1] = 3;
		p[out + 2] = 1;
		put16(p + out + 3, len);
		memcpy(p + out + 5, msg + at, len);
		out += 5 + len;
		at += len;
	}
	return out;
}

/* One record holding a hello with these extensions. */
static size_t hello(uint8_t *p, const uint8_t *exts, size_t n_ext)
{
	uint8_t msg[20000];
	size_t n = hello_msg(msg, exts, n_ext);

	return frame(p, msg, n, NULL, 0);
}

/* ---- TLS: real clients ---- */

struct tls_vec {
	const char *file, *sni, *alpn;
	int state;
	bool ech;
};

static const struct tls_vec tls_vecs[] = {
	{ "tls_openssl.bin", "www.example.com", "h2", EGW_HOSTNAME_VALID, false },
	{ "tls_openssl12.bin", "legacy.example.org", "", EGW_HOSTNAME_VALID, false },
	{ "tls_nosni.bin", "", "", EGW_HOSTNAME_ABSENT, false },
	{ "tls_curl.bin", "api.github.com", "h2", EGW_HOSTNAME_VALID, false },
	{ "tls_pq_large.bin", "api.github.com", "h2", EGW_HOSTNAME_VALID, false },
	{ "tls_ech.bin", "www.example.com", "h2", EGW_HOSTNAME_VALID, true },
};

static void check_tls_vec(const struct tls_vec *v, const uint8_t *d, size_t n, uint8_t records)
{
	struct egw_l7_tls t;

	CU_ASSERT_EQUAL(tls_exact(d, n, &t), EGW_L7_DONE);
	CU_ASSERT_EQUAL(t.need, n);
	CU_ASSERT_EQUAL(t.sni_state, v->state);
	CU_ASSERT_STRING_EQUAL(t.sni, v->sni);
	CU_ASSERT_EQUAL(t.sni_len, strlen(v->sni));
	CU_ASSERT_STRING_EQUAL(t.alpn, v->alpn);
	CU_ASSERT_EQUAL(t.alpn_len, strlen(v->alpn));
	CU_ASSERT_EQUAL(t.ech, v->ech);
	CU_ASSERT_EQUAL(t.n_records, records);
}

static void test_tls_real_clients(void)
{
	for (size_t i = 0; i < sizeof(tls_vecs) / sizeof(tls_vecs[0]); i++) {
		size_t n = 0;
		uint8_t *d = egw_testdata_load(tls_vecs[i].file, &n);

		if (!d)
			continue;
		check_tls_vec(&tls_vecs[i], d, n, 1);
		if (strcmp(tls_vecs[i].file, "tls_pq_large.bin") == 0)
			CU_ASSERT(n > 1460); /* bigger than one MSS: spans TCP segments */
		free(d);
	}
}

/* Every prefix waits, asks for more than it has and never for more than the whole. */
static void check_prefixes(const uint8_t *d, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		struct egw_l7_tls t;
		enum egw_l7_status st = tls_exact(d, k, &t);

		CU_ASSERT_EQUAL(st, EGW_L7_NEED_MORE);
		CU_ASSERT(t.need > k);
		CU_ASSERT(t.need <= n);
		if (st != EGW_L7_NEED_MORE || t.need <= k || t.need > n) {
			fprintf(stderr, "\nprefix %zu of %zu: %s need %u\n", k, n,
				egw_l7_status_name(st), t.need);
			return;
		}
	}
}

static void test_tls_every_prefix(void)
{
	for (size_t i = 0; i < sizeof(tls_vecs) / sizeof(tls_vecs[0]); i++) {
		size_t n = 0;
		uint8_t *d = egw_testdata_load(tls_vecs[i].file, &n);
		struct egw_l7_tls t;

		if (!d)
			continue;
		check_prefixes(d, n);
		/* once the handshake header is in, one record: the exact total */
		CU_ASSERT_EQUAL(tls_exact(d, 9, &t), EGW_L7_NEED_MORE);
		CU_ASSERT_EQUAL(t.need, n);
		free(d);
	}
}

/* The large hello re-framed into several records (RFC 8446 5.1 allows it): same result. */
static void test_tls_several_records(void)
{
	static const struct {
		size_t splits[4], n;
	} shapes[] = {
		{ { 700 }, 1 },		    /* two records, the SNI in the second or first */
		{ { 1, 2, 1 }, 3 },	    /* the handshake header itself split */
		{ { 100, 50, 900 }, 3 },    /* the name split across records */
		{ { 16, 160, 161, 1 }, 4 }, /* 4 + 1 records */
	};
	size_t n = 0;
	uint8_t *d = egw_testdata_load("tls_pq_large.bin", &n);
	uint8_t re[4096];

	if (!d)
		return;
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		size_t m = frame(re, d + 5, n - 5, shapes[s].splits, shapes[s].n);

		CU_ASSERT_EQUAL(m, n + 5 * shapes[s].n);
		check_tls_vec(&tls_vecs[4], re, m, (uint8_t)(shapes[s].n + 1));
		check_prefixes(re, m);
	}
	free(d);
}

/* A record after the hello (compatibility CCS, early data) does not change anything. */
static void test_tls_trailing_record(void)
{
	static const uint8_t ccs[] = { 20, 3, 3, 0, 1, 1 };
	size_t n = 0;
	uint8_t *d = egw_testdata_load("tls_openssl.bin", &n);
	uint8_t buf[1024];
	struct egw_l7_tls t;

	if (!d)
		return;
	memcpy(buf, d, n);
	memcpy(buf + n, ccs, sizeof(ccs));
	CU_ASSERT_EQUAL(tls_exact(buf, n + sizeof(ccs), &t), EGW_L7_DONE);
	CU_ASSERT_EQUAL(t.need, n);
	CU_ASSERT_STRING_EQUAL(t.sni, "www.example.com");
	free(d);
}

/* ---- TLS: names ---- */

static void test_tls_sni_forms(void)
{
	static const struct {
		const char *name;
		size_t len;
		unsigned type;
		int state;
		const char *out;
	} cases[] = {
		{ "Mail.Example.NET.", 17, 0, EGW_HOSTNAME_VALID, "mail.example.net" },
		{ "b\xc3\xbc"
		  "cher.de",
			9, 0, EGW_HOSTNAME_INVALID, "" }, /* UTF-8 */
		{ "", 0, 0, EGW_HOSTNAME_INVALID, "" },
		{ "1.2.3.4", 7, 0, EGW_HOSTNAME_VALID, "1.2.3.4" }, /* no policy names it */
		{ "under_score.com", 15, 0, EGW_HOSTNAME_INVALID, "" },
		{ "a\0b.com", 7, 0, EGW_HOSTNAME_INVALID, "" },
		{ "other.type", 10, 1, EGW_HOSTNAME_ABSENT, "" }, /* not host_name: no name */
	};
	uint8_t e[700], buf[2000];
	struct egw_l7_tls t;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t ne = ext_sni(e, cases[i].type, cases[i].name, cases[i].len);
		size_t n = hello(buf, e, ne);

		CU_ASSERT_EQUAL(tls_exact(buf, n, &t), EGW_L7_DONE);
		CU_ASSERT_EQUAL(t.sni_state, cases[i].state);
		CU_ASSERT_STRING_EQUAL(t.sni, cases[i].out);
	}
	/* a 300-byte name: over the limit, skipped, INVALID */
	{
		char longname[300];
		size_t ne, n;

		memset(longname, 'a', sizeof(longname));
		ne = ext_sni(e, 0, longname, sizeof(longname));
		n = hello(buf, e, ne);
		CU_ASSERT_EQUAL(tls_exact(buf, n, &t), EGW_L7_DONE);
		CU_ASSERT_EQUAL(t.sni_state, EGW_HOSTNAME_INVALID);
	}
	/* no extensions at all (SSL 3 style): DONE, no name */
	{
		size_t n = hello(buf, NULL, 0);

		n -= 2; /* drop the empty extension block */
		buf[4] = (uint8_t)(n - 5);
		buf[8] = (uint8_t)(n - 9);
		CU_ASSERT_EQUAL(tls_exact(buf, n, &t), EGW_L7_DONE);
		CU_ASSERT_EQUAL(t.sni_state, EGW_HOSTNAME_ABSENT);
	}
}

/* ---- TLS: hostile input ---- */

/* A hostile hello and what the parser must say about it. */
struct tls_bad {
	const char *what;
	enum egw_l7_status want;
	size_t (*make)(uint8_t *buf);
};

static size_t good(uint8_t *buf)
{
	uint8_t e[600];
	size_t n = ext_sni(e, 0, "ok.example.com", 14);

	return hello(buf, e, n);
}

/* Offsets in good(): record 0-4, handshake header 5-8, version 9-10, random 11-42, sid 43,
 * cipher suites length 44-45, suites 46-47, compression 48-49, extensions length 50-51,
 * server_name 52-: type 52-53, length 54-55, list length 56-57, entry type 58, len 59-60. */
/* One field of good() changed: a byte set, a byte increased, or a 16-bit value set. */
enum { SET8, ADD8, SET16 };
struct tls_patch {
	const char *what;
	enum egw_l7_status want;
	uint32_t off;
	int kind;
	int val;
	uint32_t cut; /* 0: the whole hello; else only this many bytes */
};

static const struct tls_patch tls_patches[] = {
	{ "record type", EGW_L7_NOT_PROTO, 0, SET8, 23 },
	{ "record version major", EGW_L7_NOT_PROTO, 1, SET8, 2 },
	{ "zero-length record", EGW_L7_MALFORMED, 3, SET16, 0, 5 },
	{ "record over 2^14", EGW_L7_MALFORMED, 3, SET16, 16385 },
	{ "not a ClientHello", EGW_L7_MALFORMED, 5, SET8, 2 },
	{ "handshake over the limit", EGW_L7_MALFORMED, 6, SET8, 1 },
	{ "handshake shorter than its body", EGW_L7_MALFORMED, 8, ADD8, -1 },
	{ "legacy_version", EGW_L7_MALFORMED, 9, SET8, 2 },
	{ "session id over 32", EGW_L7_MALFORMED, 43, SET8, 33 },
	{ "odd cipher suites", EGW_L7_MALFORMED, 44, SET16, 3 },
	{ "cipher suites past the end", EGW_L7_MALFORMED, 44, SET16, 4000 },
	{ "no compression method", EGW_L7_MALFORMED, 48, SET8, 0 },
	{ "extensions length", EGW_L7_MALFORMED, 51, ADD8, 1 },
	{ "extension length", EGW_L7_MALFORMED, 55, ADD8, 1 },
	{ "server_name list length", EGW_L7_MALFORMED, 57, ADD8, -1 },
	{ "server_name name length", EGW_L7_MALFORMED, 60, ADD8, 3 },
};

static size_t patched(uint8_t *b, const struct tls_patch *p)
{
	size_t n = good(b);

	if (p->kind == SET8)
		b[p->off] = (uint8_t)p->val;
	else if (p->kind == ADD8)
		b[p->off] = (uint8_t)(b[p->off] + p->val);
	else
		put16(b + p->off, (size_t)p->val);
	return p->cut ? p->cut : n;
}

static size_t bad_sni_list_zero(uint8_t *b)
{
	static const uint8_t empty_list[2] = { 0, 0 };
	uint8_t e[8];

	return hello(b, e, ext(e, 0, empty_list, 2));
}
static size_t bad_sni_empty_ext(uint8_t *b)
{
	uint8_t e[8];
	size_t ne = ext(e, 0, NULL, 0);

	return hello(b, e, ne);
}
static size_t bad_sni_twice(uint8_t *b)
{
	uint8_t e[600];
	size_t ne = ext_sni(e, 0, "allowed.com", 11);

	ne += ext_sni(e + ne, 0, "denied.com", 10);
	return hello(b, e, ne);
}
static size_t bad_sni_twice_other_type(uint8_t *b)
{
	/* the first server_name holds no host_name: the second must not be taken */
	uint8_t e[600];
	size_t ne = ext_sni(e, 1, "x", 1);

	ne += ext_sni(e + ne, 0, "denied.com", 10);
	return hello(b, e, ne);
}
static size_t bad_two_host_names(uint8_t *b)
{
	/* one server_name extension, two host_name entries */
	uint8_t v[64], e[80];
	size_t n = 2;

	v[n++] = 0;
	n += put16(v + n, 3);
	memcpy(v + n, "a.b", 3);
	n += 3;
	v[n++] = 0;
	n += put16(v + n, 3);
	memcpy(v + n, "c.d", 3);
	n += 3;
	put16(v, n - 2);
	return hello(b, e, ext(e, 0, v, n));
}
static size_t bad_ech_twice(uint8_t *b)
{
	uint8_t e[64];
	size_t ne = ext(e, 0xfe0d, "\0", 1);

	ne += ext(e + ne, 0xfe0d, "\0", 1);
	return hello(b, e, ne);
}
static size_t bad_alpn_empty_name(uint8_t *b)
{
	static const uint8_t v[] = { 0, 3, 2, 'h', '2', 0 };
	uint8_t e[32];
	size_t ne = ext(e, 16, v, sizeof(v));

	put16(e + 4, 4); /* list length 4: "h2" then a zero-length name */
	return hello(b, e, ne);
}
static size_t bad_alpn_twice(uint8_t *b)
{
	static const uint8_t v[] = { 0, 3, 2, 'h', '2' };
	uint8_t e[32];
	size_t ne = ext(e, 16, v, sizeof(v));

	ne += ext(e + ne, 16, v, sizeof(v));
	return hello(b, e, ne);
}
static size_t bad_too_many_records(uint8_t *b)
{
	uint8_t msg[2000], e[600];
	size_t splits[EGW_L7_TLS_RECORDS_MAX], n;

	n = hello_msg(msg, e, ext_sni(e, 0, "ok.example.com", 14));
	for (size_t i = 0; i < EGW_L7_TLS_RECORDS_MAX; i++)
		splits[i] = 1;
	return frame(b, msg, n, splits, EGW_L7_TLS_RECORDS_MAX);
}
static size_t bad_alert_inside(uint8_t *b)
{
	uint8_t msg[2000], e[600];
	size_t split = 20, n;

	n = hello_msg(msg, e, ext_sni(e, 0, "ok.example.com", 14));
	n = frame(b, msg, n, &split, 1);
	b[5 + 20] = 21; /* the second record is an alert */
	return n;
}
static size_t not_tls_http(uint8_t *b)
{
	memcpy(b, "GET / HTTP/1.1\r\n", 16);
	return 16;
}
static size_t not_tls_sslv2(uint8_t *b)
{
	memcpy(b, "\x80\x2e\x01\x00\x02", 5);
	return 5;
}
static size_t not_tls_16_01(uint8_t *b)
{
	memcpy(b, "\x16\x01", 2);
	return 2;
}

static const struct tls_bad tls_bad_cases[] = {
	{ "server_name empty list", EGW_L7_MALFORMED, bad_sni_list_zero },
	{ "server_name empty extension", EGW_L7_MALFORMED, bad_sni_empty_ext },
	{ "server_name twice", EGW_L7_MALFORMED, bad_sni_twice },
	{ "server_name twice, first without host_name", EGW_L7_MALFORMED,
		bad_sni_twice_other_type },
	{ "two host_names", EGW_L7_MALFORMED, bad_two_host_names },
	{ "ECH twice", EGW_L7_MALFORMED, bad_ech_twice },
	{ "ALPN empty name", EGW_L7_MALFORMED, bad_alpn_empty_name },
	{ "ALPN twice", EGW_L7_MALFORMED, bad_alpn_twice },
	{ "too many records", EGW_L7_MALFORMED, bad_too_many_records },
	{ "alert between records", EGW_L7_MALFORMED, bad_alert_inside },
	{ "HTTP", EGW_L7_NOT_PROTO, not_tls_http },
	{ "SSLv2 hello", EGW_L7_NOT_PROTO, not_tls_sslv2 },
	{ "0x16 0x01", EGW_L7_NOT_PROTO, not_tls_16_01 },
};

static void expect_bad(const char *what, enum egw_l7_status want, const uint8_t *buf, size_t n)
{
	struct egw_l7_tls t;
	enum egw_l7_status st = tls_exact(buf, n, &t);

	if (st != want)
		fprintf(stderr, "\n%s: %s\n", what, egw_l7_status_name(st));
	CU_ASSERT_EQUAL(st, want);
	CU_ASSERT_EQUAL(t.sni_state, EGW_HOSTNAME_ABSENT);
	CU_ASSERT_STRING_EQUAL(t.sni, "");
}

static void test_tls_hostile(void)
{
	uint8_t buf[8192];
	struct egw_l7_tls t;

	/* the base case is fine */
	CU_ASSERT_EQUAL(tls_exact(buf, good(buf), &t), EGW_L7_DONE);
	CU_ASSERT_STRING_EQUAL(t.sni, "ok.example.com");
	for (size_t i = 0; i < sizeof(tls_patches) / sizeof(tls_patches[0]); i++) {
		size_t n = patched(buf, &tls_patches[i]);

		expect_bad(tls_patches[i].what, tls_patches[i].want, buf, n);
	}
	for (size_t i = 0; i < sizeof(tls_bad_cases) / sizeof(tls_bad_cases[0]); i++) {
		size_t n = tls_bad_cases[i].make(buf);

		expect_bad(tls_bad_cases[i].what, tls_bad_cases[i].want, buf, n);
	}
}

/* ---- HTTP ---- */

struct http_case {
	const char *in;
	enum egw_l7_status want;
	int state;
	const char *host;
	uint16_t port;
	uint8_t flags;
};

#define H11 " HTTP/1.1\r\n"
static const struct http_case http_cases[] = {
	/* names and ports */
	{ "GET /" H11 "Host: WWW.Example.COM.:8080\r\n\r\n", EGW_L7_DONE, EGW_HOSTNAME_VALID,
		"www.example.com", 8080, 0 },
	{ "GET /" H11 "host:\texample.org \t\r\nAccept: */*\r\n\r\n", EGW_L7_DONE,
		EGW_HOSTNAME_VALID, "example.org", 0, 0 },
	{ "GET / HTTP/1.1\nHost: lf.example\n\n", EGW_L7_DONE, EGW_HOSTNAME_VALID, "lf.example", 0,
		0 },
	{ "GET / HTTP/1.0\r\n\r\n", EGW_L7_DONE, EGW_HOSTNAME_ABSENT, "", 0, EGW_L7_HTTP_10 },
	{ "OPTIONS *" H11 "Host: o.example\r\n\r\n", EGW_L7_DONE, EGW_HOSTNAME_VALID, "o.example",
		0, 0 },
	{ "GET http://Proxy.Example/x?y" H11 "\r\n", EGW_L7_DONE, EGW_HOSTNAME_VALID,
		"proxy.example", 0, EGW_L7_HTTP_ABSOLUTE },
	{ "GET HTTPS://a.example:8443" H11 "Host: a.example:8443\r\n\r\n", EGW_L7_DONE,
		EGW_HOSTNAME_VALID, "a.example", 8443, EGW_L7_HTTP_ABSOLUTE },
	{ "CONNECT tunnel.example:443" H11 "\r\n", EGW_L7_DONE, EGW_HOSTNAME_VALID,
		"tunnel.example", 443, EGW_L7_HTTP_CONNECT },
	/* names that are not host names: DONE, INVALID (the policy denies) */
	{ "GET /" H11 "Host: [::1]:80\r\n\r\n", EGW_L7_DONE, EGW_HOSTNAME_INVALID, "", 0, 0 },
	{ "GET /" H11 "Host: 10.0.0.1:99999\r\n\r\n", EGW_L7_DONE, EGW_HOSTNAME_INVALID, "", 0, 0 },
	{ "GET /" H11 "Host: ex%61mple.com\r\n\r\n", EGW_L7_DONE, EGW_HOSTNAME_INVALID, "", 0, 0 },
	{ "GET /" H11 "Host:\r\n\r\n", EGW_L7_DONE, EGW_HOSTNAME_INVALID, "", 0, 0 },
	{ "GET /" H11 "Host: caf\xc3\xa9.example\r\n\r\n", EGW_L7_DONE, EGW_HOSTNAME_INVALID, "", 0,
		0 },
	/* ambiguous or broken: MALFORMED */
	{ "GET /" H11 "\r\n", EGW_L7_MALFORMED }, /* 1.1 without Host */
	{ "GET /" H11 "Host: a.com\r\nHost: b.com\r\n\r\n", EGW_L7_MALFORMED }, /* two Hosts */
	{ "GET /" H11 "Host: a.com\r\nhOST: a.com\r\n\r\n", EGW_L7_MALFORMED },
	{ "GET http://a.com/" H11 "Host: b.com\r\n\r\n", EGW_L7_MALFORMED },   /* disagree */
	{ "GET http://u@a.com/" H11 "Host: a.com\r\n\r\n", EGW_L7_MALFORMED }, /* userinfo */
	{ "GET /" H11 "Host: evil.com@a.com\r\n\r\n", EGW_L7_MALFORMED },
	{ "GET /" H11 "Host : a.com\r\n\r\n", EGW_L7_MALFORMED },	  /* blank before ':' */
	{ "GET /" H11 "X: 1\r\n Host: a.com\r\n\r\n", EGW_L7_MALFORMED }, /* obs-fold */
	{ "GET /" H11 " Host: a.com\r\n\r\n", EGW_L7_MALFORMED },
	{ "GET /" H11 "Host: a.com\rX: y\r\n\r\n", EGW_L7_MALFORMED }, /* bare CR */
	{ "GET /" H11 ": empty\r\nHost: a.com\r\n\r\n", EGW_L7_MALFORMED },
	{ "GET /" H11 "Host: a.com\r\n\r", EGW_L7_NEED_MORE },
	{ "GET x" H11 "Host: a.com\r\n\r\n", EGW_L7_MALFORMED }, /* not a target form */
	{ "GET *" H11 "Host: a.com\r\n\r\n", EGW_L7_MALFORMED },
	{ "CONNECT tunnel.example" H11 "\r\n", EGW_L7_MALFORMED }, /* no port */
	{ "CONNECT /x" H11 "Host: a.com\r\n\r\n", EGW_L7_MALFORMED },
	/* not HTTP/1.x at all */
	{ "\x16\x03\x01\x02\x00\x01", EGW_L7_NOT_PROTO },
	{ "SSH-2.0-OpenSSH_9.2\r\n", EGW_L7_NOT_PROTO },
	{ "GET /\r\n", EGW_L7_NOT_PROTO }, /* HTTP/0.9 */
	{ "GET  / HTTP/1.1\r\n", EGW_L7_NOT_PROTO },
	{ "GET / HTTP/2.0\r\n", EGW_L7_NOT_PROTO },
	{ "GET / HTTP/1.x\r\n", EGW_L7_NOT_PROTO },
	{ "GET / HTTP/1.1 \r\n", EGW_L7_NOT_PROTO },
	{ "GET / HTTP/1.1\r\r\n", EGW_L7_NOT_PROTO },
	{ "GET /\x01 HTTP/1.1\r\n", EGW_L7_NOT_PROTO },
	{ "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", EGW_L7_NOT_PROTO, 0, "", 0, EGW_L7_HTTP_H2_PREFACE },
	{ "ABCDEFGHIJKLMNOPQRSTUVWXYZ / HTTP/1.1\r\n", EGW_L7_NOT_PROTO },
	{ " GET / HTTP/1.1\r\n", EGW_L7_NOT_PROTO },
	{ "", EGW_L7_NEED_MORE },
	{ "GE", EGW_L7_NEED_MORE },
	{ "GET / HTT", EGW_L7_NEED_MORE },
	{ "PRI * HTTP/", EGW_L7_NEED_MORE },
};

static void test_http_cases(void)
{
	for (size_t i = 0; i < sizeof(http_cases) / sizeof(http_cases[0]); i++) {
		const struct http_case *c = &http_cases[i];
		struct egw_l7_http h;
		enum egw_l7_status st = http_exact(c->in, strlen(c->in), &h);

		if (st != c->want)
			fprintf(stderr, "\ncase %zu: %s\n", i, egw_l7_status_name(st));
		CU_ASSERT_EQUAL(st, c->want);
		CU_ASSERT_EQUAL(h.host_state, c->state);
		CU_ASSERT_STRING_EQUAL(h.host, c->host ? c->host : "");
		CU_ASSERT_EQUAL(h.host_len, strlen(h.host));
		CU_ASSERT_EQUAL(h.port, c->port);
		CU_ASSERT_EQUAL(h.flags, c->flags);
		if (st == EGW_L7_DONE)
			CU_ASSERT_EQUAL(h.need, strlen(c->in));
		if (st == EGW_L7_NEED_MORE)
			CU_ASSERT(h.need > strlen(c->in));
	}
}

static void test_http_real_clients(void)
{
	static const struct {
		const char *file, *host;
		uint16_t port;
		uint8_t flags;
	} vecs[] = {
		{ "http_curl.bin", "www.example.com", 4433, 0 },
		{ "http_curl_proxy.bin", "downloads.example.net", 0, EGW_L7_HTTP_ABSOLUTE },
		{ "http_curl_connect.bin", "secure.example.net", 443, EGW_L7_HTTP_CONNECT },
	};

	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		size_t n = 0;
		uint8_t *d = egw_testdata_load(vecs[i].file, &n);
		struct egw_l7_http h;

		if (!d)
			continue;
		CU_ASSERT_EQUAL(http_exact(d, n, &h), EGW_L7_DONE);
		CU_ASSERT_EQUAL(h.need, n);
		CU_ASSERT_EQUAL(h.host_state, EGW_HOSTNAME_VALID);
		CU_ASSERT_STRING_EQUAL(h.host, vecs[i].host);
		CU_ASSERT_EQUAL(h.port, vecs[i].port);
		CU_ASSERT_EQUAL(h.flags, vecs[i].flags);
		/* every prefix waits for more */
		for (size_t k = 0; k < n; k++) {
			enum egw_l7_status st = http_exact(d, k, &h);

			CU_ASSERT_EQUAL(st, EGW_L7_NEED_MORE);
			CU_ASSERT(h.need > k);
			if (st != EGW_L7_NEED_MORE)
				break;
		}
		/* a body after the head is not read */
		{
			uint8_t *more = malloc(n + 5);

			memcpy(more, d, n);
			memcpy(more + n, "\x00\x01\x02\x03\x04", 5);
			CU_ASSERT_EQUAL(egw_l7_http_parse(more, (uint32_t)n + 5, &h), EGW_L7_DONE);
			CU_ASSERT_EQUAL(h.need, n);
			free(more);
		}
		free(d);
	}
}

static void test_http_size_limit(void)
{
	size_t n = EGW_L7_HTTP_HEAD_MAX + 100;
	char *big = malloc(n + 1);
	struct egw_l7_http h;
	size_t at;

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	/* a head that ends just inside the limit */
	at = (size_t)sprintf(big, "GET /" H11 "Host: a.com\r\nX: ");
	memset(big + at, 'x', EGW_L7_HTTP_HEAD_MAX - at - 4);
	memcpy(big + EGW_L7_HTTP_HEAD_MAX - 4, "\r\n\r\n", 4);
	CU_ASSERT_EQUAL(http_exact(big, EGW_L7_HTTP_HEAD_MAX, &h), EGW_L7_DONE);
	CU_ASSERT_STRING_EQUAL(h.host, "a.com");
	/* one byte more and it is over */
	memset(big + at, 'x', EGW_L7_HTTP_HEAD_MAX - at - 3);
	memcpy(big + EGW_L7_HTTP_HEAD_MAX - 3, "\r\n\r\n", 4);
	CU_ASSERT_EQUAL(http_exact(big, EGW_L7_HTTP_HEAD_MAX + 1, &h), EGW_L7_MALFORMED);
	/* a target longer than the limit: MALFORMED, not more waiting */
	at = (size_t)sprintf(big, "GET /");
	memset(big + at, 'a', n - at);
	CU_ASSERT_EQUAL(http_exact(big, n, &h), EGW_L7_MALFORMED);
	CU_ASSERT_EQUAL(http_exact(big, EGW_L7_HTTP_HEAD_MAX - 1, &h), EGW_L7_NEED_MORE);
	free(big);
}

void egw_test_register_l7(void)
{
	EGW_SUITE("l7", NULL, NULL, EGW_TEST(test_tls_real_clients),
		EGW_TEST(test_tls_every_prefix), EGW_TEST(test_tls_several_records),
		EGW_TEST(test_tls_trailing_record), EGW_TEST(test_tls_sni_forms),
		EGW_TEST(test_tls_hostile), EGW_TEST(test_http_cases),
		EGW_TEST(test_http_real_clients), EGW_TEST(test_http_size_limit));
}
