/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The head of the first HTTP/1.x request (RFC 9112 2-5) for the host it is sent to.
 *
 * Strict where a lenient reading could let the appliance and the server see different hosts:
 * two Host fields, a Host that disagrees with an absolute-form target, userinfo in the
 * authority, whitespace before a field's colon, obsolete line folding, control bytes or a bare
 * CR are MALFORMED (a server answers these with 400). Bare LF line ends are accepted, as RFC
 * 9112 2.2 allows a recipient to. Only the first request counts: later requests on a
 * keep-alive connection are not read.
 *
 * CONNECT (authority-form) yields the tunnel's target host with EGW_L7_HTTP_CONNECT: the
 * client asks the server (a proxy) to connect there, so that is the name the policy judges.
 * The HTTP/2 prior-knowledge preface is NOT_PROTO with EGW_L7_HTTP_H2_PREFACE: its name is in
 * an HPACK-coded HEADERS frame, which is not decoded here.
 */
#include <stddef.h>
#include <string.h>

#include "l7.h"

#define METHOD_MAX 20 /* longest registered method is 16 bytes (BASELINE-CONTROL) */

/* RFC 9110 5.6.2 tchar: ALPHA, DIGIT and !#$%&'*+-.^_`|~, as bits of two words. */
static bool tchar(uint8_t c)
{
	static const uint64_t lo = 0x03ff6cfa00000000ull, hi = 0x57ffffffc7fffffeull;

	return c < 64 ? (lo >> c) & 1 : c < 128 && ((hi >> (c - 64)) & 1);
}

/* Bytes allowed in a field value: HTAB, SP, VCHAR, obs-text. */
static bool value_char(uint8_t c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

struct head {
	const uint8_t *b;
	uint32_t lim;	     /* min(len, EGW_L7_HTTP_HEAD_MAX) */
	bool capped;	     /* lim is the size limit, not the end of the data */
	const uint8_t *host; /* Host field value, blanks trimmed */
	uint32_t host_n;
	int hosts; /* Host fields seen */
};

/* What running out of bytes at the limit means: wait, or give up on an oversized head. */
static enum egw_l7_status ran_out(const struct head *h, struct egw_l7_http *out)
{
	if (h->capped)
		return EGW_L7_MALFORMED;
	out->need = h->lim + 1;
	return EGW_L7_NEED_MORE;
}

/* Matches the bytes at *P against LIT; NOT_PROTO on a difference, NEED_MORE past lim. */
static enum egw_l7_status expect(const struct head *h, uint32_t *p, const char *lit)
{
	for (; *lit; lit++, (*p)++) {
		if (*p >= h->lim)
			return EGW_L7_NEED_MORE;
		if (h->b[*p] != (uint8_t)*lit)
			return EGW_L7_NOT_PROTO;
	}
	return EGW_L7_DONE;
}

/* One line end at *P: CRLF or LF. 1 found (P moved past it), 0 out of bytes, -1 not one. */
static int line_end(const struct head *h, uint32_t *p)
{
	if (*p < h->lim && h->b[*p] == '\n') {
		(*p)++;
		return 1;
	}
	if (*p < h->lim && h->b[*p] == '\r') {
		if (*p + 1 >= h->lim)
			return 0;
		if (h->b[*p + 1] != '\n')
			return -1;
		*p += 2;
		return 1;
	}
	return *p >= h->lim ? 0 : -1;
}

/*
 * The request line: method SP target SP "HTTP/1." DIGIT line-end. Fills the spans of the
 * method and target and moves *P to the first header line.
 */
static enum egw_l7_status request_line(struct head *h, uint32_t *p, uint32_t *method_n,
	uint32_t *target_off, uint32_t *target_n, struct egw_l7_http *out)
{
	uint32_t i = 0, t;
	enum egw_l7_status st;
	uint8_t minor;
	int e;

	while (i < h->lim && i < METHOD_MAX && tchar(h->b[i]))
		i++;
	if (i == h->lim && i < METHOD_MAX)
		return ran_out(h, out);
	if (i == 0 || i == METHOD_MAX || h->b[i] != ' ')
		return EGW_L7_NOT_PROTO;
	*method_n = i;
	t = ++i;
	while (i < h->lim && h->b[i] > 0x20 && h->b[i] < 0x7f)
		i++;
	if (i == h->lim)
		return ran_out(h, out);
	if (i == t || h->b[i] != ' ') /* HTTP/0.9 ("GET /" CRLF), control bytes, two blanks */
		return EGW_L7_NOT_PROTO;
	*target_off = t;
	*target_n = i - t;
	i++;
	st = expect(h, &i, "HTTP/");
	if (st == EGW_L7_DONE && i < h->lim && h->b[i] == '2' && *method_n == 3 &&
		memcmp(h->b, "PRI", 3) == 0) {
		out->flags |= EGW_L7_HTTP_H2_PREFACE;
		return EGW_L7_NOT_PROTO;
	}
	if (st == EGW_L7_DONE)
		st = expect(h, &i, "1.");
	if (st == EGW_L7_DONE && i < h->lim && (h->b[i] < '0' || h->b[i] > '9'))
		st = EGW_L7_NOT_PROTO;
	if (st == EGW_L7_NEED_MORE || (st == EGW_L7_DONE && i >= h->lim))
		return ran_out(h, out);
	if (st != EGW_L7_DONE)
		return st;
	minor = h->b[i++];
	e = line_end(h, &i);
	if (e == 0)
		return ran_out(h, out);
	if (e < 0)
		return EGW_L7_NOT_PROTO;
	if (minor == '0')
		out->flags |= EGW_L7_HTTP_10;
	*p = i;
	return EGW_L7_DONE;
}

static bool is_host(const uint8_t *name, uint32_t n)
{
	static const char host[] = "host";

	if (n != 4)
		return false;
	for (uint32_t i = 0; i < 4; i++)
		if (egw_hostname_lower(name[i]) != (uint8_t)host[i])
			return false;
	return true;
}

/* One field line at *P (not the empty line): name ":" OWS value OWS line-end. */
static enum egw_l7_status field_line(struct head *h, uint32_t *p, struct egw_l7_http *out)
{
	uint32_t i = *p, name = *p, v, vend;
	int e;

	while (i < h->lim && tchar(h->b[i]))
		i++;
	if (i == h->lim)
		return ran_out(h, out);
	/* Nothing before ':', blanks before it, or a line starting with a blank (folding). */
	if (i == name || h->b[i] != ':')
		return EGW_L7_MALFORMED;
	v = ++i;
	for (;;) {
		if (i >= h->lim)
			return ran_out(h, out);
		if (h->b[i] == '\r' || h->b[i] == '\n')
			break;
		if (!value_char(h->b[i]))
			return EGW_L7_MALFORMED;
		i++;
	}
	vend = i;
	e = line_end(h, &i);
	if (e == 0)
		return ran_out(h, out);
	if (e < 0)
		return EGW_L7_MALFORMED;
	if (is_host(h->b + name, v - 1 - name)) {
		while (v < vend && (h->b[v] == ' ' || h->b[v] == '\t'))
			v++;
		while (vend > v && (h->b[vend - 1] == ' ' || h->b[vend - 1] == '\t'))
			vend--;
		h->host = h->b + v;
		h->host_n = vend - v;
		h->hosts++;
	}
	*p = i;
	return EGW_L7_DONE;
}

/*
 * host [ ":" port ] (RFC 3986 authority without userinfo) into DST. Returns the name state,
 * or -1 when the authority carries userinfo (a host a reader could take for another).
 */
static int authority(const uint8_t *s, uint32_t n, char *dst, uint8_t *dst_len, uint16_t *port)
{
	uint32_t h = 0, p;
	uint32_t v = 0;
	size_t len;

	if (memchr(s, '@', n))
		return -1;
	*port = 0;
	if (n > 0 && s[0] == '[') /* an IP literal is not a host name */
		return EGW_HOSTNAME_INVALID;
	while (h < n && s[h] != ':')
		h++;
	for (p = h + 1; p < n; p++) {
		if (s[p] < '0' || s[p] > '9' || p - h > 5)
			return EGW_HOSTNAME_INVALID;
		v = v * 10 + (s[p] - '0');
	}
	if (v > 65535)
		return EGW_HOSTNAME_INVALID;
	*port = (uint16_t)v;
	if (h > EGW_HOSTNAME_MAX + 1 ||
		egw_hostname_normalize((const char *)s, h, 0, dst, &len) != EGW_HOSTNAME_OK) {
		dst[0] = '\0';
		return EGW_HOSTNAME_INVALID;
	}
	*dst_len = (uint8_t)len;
	return EGW_HOSTNAME_VALID;
}

/* The authority of an absolute-form target "scheme://authority[/?#...]", or false. */
static bool absolute_authority(const uint8_t *t, uint32_t n, uint32_t *off, uint32_t *len)
{
	uint32_t i = 0, a;

	if (n == 0 || !((t[0] | 0x20) >= 'a' && (t[0] | 0x20) <= 'z'))
		return false;
	while (i < n &&
		(((t[i] | 0x20) >= 'a' && (t[i] | 0x20) <= 'z') || (t[i] >= '0' && t[i] <= '9') ||
			t[i] == '+' || t[i] == '-' || t[i] == '.'))
		i++;
	if (n - i < 3 || memcmp(t + i, "://", 3) != 0)
		return false;
	a = i + 3;
	for (i = a; i < n && t[i] != '/' && t[i] != '?' && t[i] != '#'; i++)
		;
	*off = a;
	*len = i - a;
	return true;
}

/* Where the name comes from, once the whole head is read. */
static enum egw_l7_status decide_host(const struct head *h, uint32_t method_n, uint32_t target_off,
	uint32_t target_n, struct egw_l7_http *out)
{
	const uint8_t *t = h->b + target_off;
	bool connect = method_n == 7 && memcmp(h->b, "CONNECT", 7) == 0;
	uint32_t a_off = 0, a_n = 0;
	char other[EGW_HOSTNAME_MAX + 1];
	uint8_t other_len = 0;
	uint16_t other_port;
	int st;

	if (h->hosts > 1)
		return EGW_L7_MALFORMED;
	if (connect) {
		/* authority-form: host ":" port, nothing else */
		if (!memchr(t, ':', target_n) || memchr(t, '/', target_n))
			return EGW_L7_MALFORMED;
		out->flags |= EGW_L7_HTTP_CONNECT;
		a_off = target_off;
		a_n = target_n;
	} else if (absolute_authority(t, target_n, &a_off, &a_n)) {
		out->flags |= EGW_L7_HTTP_ABSOLUTE;
		a_off += target_off;
	} else if (t[0] != '/' && !(target_n == 1 && t[0] == '*' && method_n == 7 &&
					  memcmp(h->b, "OPTIONS", 7) == 0)) {
		return EGW_L7_MALFORMED;
	}
	if (a_n == 0 && !(out->flags & (EGW_L7_HTTP_CONNECT | EGW_L7_HTTP_ABSOLUTE))) {
		/* origin-form or "*": the Host field names the host */
		if (h->hosts == 0)
			return (out->flags & EGW_L7_HTTP_10) ? EGW_L7_DONE : EGW_L7_MALFORMED;
		st = authority(h->host, h->host_n, out->host, &out->host_len, &out->port);
		if (st < 0)
			return EGW_L7_MALFORMED;
		out->host_state = (uint8_t)st;
		return EGW_L7_DONE;
	}
	st = authority(h->b + a_off, a_n, out->host, &out->host_len, &out->port);
	if (st < 0)
		return EGW_L7_MALFORMED;
	out->host_state = (uint8_t)st;
	if (h->hosts == 1) {
		/* RFC 9112 3.2.2 tells a server to ignore Host here; another reader may not. */
		int hs = authority(h->host, h->host_n, other, &other_len, &other_port);

		if (hs != st || (st == EGW_HOSTNAME_VALID &&
					(other_len != out->host_len ||
						memcmp(other, out->host, other_len) != 0)))
			return EGW_L7_MALFORMED;
	}
	return EGW_L7_DONE;
}

static enum egw_l7_status parse(struct head *h, struct egw_l7_http *out)
{
	uint32_t p = 0, method_n = 0, target_off = 0, target_n = 0;
	enum egw_l7_status st;

	st = request_line(h, &p, &method_n, &target_off, &target_n, out);
	if (st != EGW_L7_DONE)
		return st;
	for (;;) {
		int e = line_end(h, &p);

		if (e > 0)
			break;
		if (e == 0)
			return ran_out(h, out);
		st = field_line(h, &p, out);
		if (st != EGW_L7_DONE)
			return st;
	}
	st = decide_host(h, method_n, target_off, target_n, out);
	out->need = p;
	return st;
}

enum egw_l7_status egw_l7_http_parse(const uint8_t *buf, uint32_t len, struct egw_l7_http *out)
{
	struct head h = { .b = buf,
		.lim = len < EGW_L7_HTTP_HEAD_MAX ? len : EGW_L7_HTTP_HEAD_MAX,
		.capped = len >= EGW_L7_HTTP_HEAD_MAX };
	enum egw_l7_status st;

	memset(out, 0, offsetof(struct egw_l7_http, host));
	out->host[0] = '\0';
	st = parse(&h, out);
	if (st != EGW_L7_DONE) {
		/* Nothing but NEED_MORE's need and the preface flag means anything now. */
		out->flags &= EGW_L7_HTTP_H2_PREFACE;
		out->port = 0;
		out->host_state = EGW_HOSTNAME_ABSENT;
		out->host_len = 0;
		out->host[0] = '\0';
	}
	return st;
}
