/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP/1.1 CONNECT request (RFC 9110 9.3.6) a proxy client sends first.
 *
 * The head's syntax is lib/l7's: one definition of a well-formed HTTP/1.x head for the data
 * path and the tunnel service (strict on what could make two readers disagree: two Host
 * fields, folding, bare CR, control bytes). This file adds what a proxy answers:
 *   - CONNECT host:port -> OK with the target and Proxy-Authorization;
 *   - any other method -> 405 (the service tunnels, it does not forward requests; RFC 9110
 *     15.5.6 wants an Allow field, which the engine sends);
 *   - a head still going on after 8 KiB -> 431 (RFC 6585 5), anything malformed -> 400;
 *   - "PRI * HTTP/2.0" -> H2: the connection speaks HTTP/2 with prior knowledge.
 */
#include <errno.h>
#include <string.h>

#include "conf/conf.h"
#include "l7/l7.h"
#include "tunnel_proto.h"

int egw_tunnel_parse_authority(const char *s, size_t n, struct egw_tunnel_target *t)
{
	const char *colon = NULL;
	char host[EGW_HOSTNAME_MAX + 2];
	uint32_t port = 0;
	size_t hn, len;

	memset(t, 0, sizeof(*t));
	for (size_t i = n; i > 0; i--)
		if (s[i - 1] == ':') {
			colon = s + i - 1;
			break;
		}
	if (!colon || colon == s || colon + 1 == s + n || s + n - colon > 6)
		return -EINVAL;
	for (const char *p = colon + 1; p < s + n; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		port = port * 10 + (uint32_t)(*p - '0');
	}
	if (port == 0 || port > 65535)
		return -EINVAL;
	hn = (size_t)(colon - s);
	if (hn > EGW_HOSTNAME_MAX + 1)
		return -EINVAL;
	memcpy(host, s, hn);
	host[hn] = '\0';
	t->port = (uint16_t)port;
	if (egw_parse_ipv4(host, &t->addr) == 0) {
		t->literal = true;
		return 0;
	}
	/* '[' (IPv6 literal), '@' (userinfo), ':' and anything else is not a host name. */
	if (egw_hostname_normalize(host, hn, 0, t->host, &len) != EGW_HOSTNAME_OK) {
		memset(t, 0, sizeof(*t));
		return -EINVAL;
	}
	t->host_len = (uint8_t)len;
	return 0;
}

static enum egw_connect_status fail(struct egw_connect_req *out, uint16_t status, const char *why)
{
	out->status = status;
	out->why = why;
	return EGW_CONNECT_ERROR;
}

static bool name_is(const uint8_t *p, size_t n, const char *lower)
{
	if (strlen(lower) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (egw_hostname_lower(p[i]) != (uint8_t)lower[i])
			return false;
	return true;
}

/*
 * Proxy-Authorization in a head lib/l7 accepted (so every line is "name:value" and ends in LF
 * or CRLF). -1 when the field comes twice.
 */
static int find_auth(const uint8_t *b, uint32_t head_len, struct egw_connect_req *out)
{
	const uint8_t *p = memchr(b, '\n', head_len), *end = b + head_len;
	int seen = 0;

	for (p = p ? p + 1 : end; p < end;) {
		const uint8_t *eol = memchr(p, '\n', (size_t)(end - p));
		const uint8_t *colon = memchr(p, ':', (size_t)(eol - p));
		const uint8_t *v, *ve = eol;

		if (!colon) /* the empty line */
			break;
		if (name_is(p, (size_t)(colon - p), "proxy-authorization")) {
			if (seen++)
				return -1;
			for (v = colon + 1; v < ve && (*v == ' ' || *v == '\t'); v++)
				;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			out->auth = v;
			out->auth_len = (uint32_t)(ve - v);
		}
		p = eol + 1;
	}
	return 0;
}

enum egw_connect_status egw_tunnel_connect_parse(const uint8_t *buf, uint32_t len,
	struct egw_connect_req *out)
{
	struct egw_l7_http h;
	const uint8_t *t, *te;

	memset(out, 0, sizeof(*out));
	switch (egw_l7_http_parse(buf, len, &h)) {
	case EGW_L7_NEED_MORE:
		return EGW_CONNECT_NEED_MORE;
	case EGW_L7_NOT_PROTO:
		if (h.flags & EGW_L7_HTTP_H2_PREFACE)
			return EGW_CONNECT_H2;
		return fail(out, 400, "not an HTTP/1.x request");
	case EGW_L7_MALFORMED:
		/* Over the limit rather than broken when the first 8 KiB are a valid prefix. */
		if (len >= EGW_L7_HTTP_HEAD_MAX &&
			egw_l7_http_parse(buf, EGW_L7_HTTP_HEAD_MAX - 1, &h) == EGW_L7_NEED_MORE)
			return fail(out, 431, "request header fields too large");
		return fail(out, 400, "malformed request");
	case EGW_L7_DONE:
		break;
	}
	if (!(h.flags & EGW_L7_HTTP_CONNECT))
		return fail(out, 405, "only CONNECT is served");
	out->head_len = h.need;
	t = memchr(buf, ' ', h.need) + 1; /* lib/l7 checked: "CONNECT SP target SP" */
	te = memchr(t, ' ', (size_t)(buf + h.need - t));
	if (egw_tunnel_parse_authority((const char *)t, (size_t)(te - t), &out->target) < 0)
		return fail(out, 400, "the target is not host:port");
	if (find_auth(buf, h.need, out) < 0)
		return fail(out, 400, "two Proxy-Authorization fields");
	return EGW_CONNECT_OK;
}

static int b64(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Strict base64 (RFC 4648 4, padding required) into OUT (at most MAX bytes). */
static int b64_decode(const uint8_t *s, uint32_t n, uint8_t *out, uint32_t max, uint32_t *olen)
{
	uint32_t o = 0;

	if (n == 0 || n % 4)
		return -EINVAL;
	for (uint32_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;

		for (int k = 0; k < 4; k++) {
			v[k] = b64(s[i + k]);
			if (v[k] < 0) {
				if (s[i + k] != '=' || i + 4 != n || k < 2)
					return -EINVAL;
				v[k] = 0;
				pad++;
			} else if (pad) {
				return -EINVAL; /* "=" then data */
			}
		}
		if (o + 3 - (uint32_t)pad > max)
			return -EINVAL;
		out[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (uint8_t)(v[1] << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (uint8_t)(v[2] << 6 | v[3]);
	}
	*olen = o;
	return 0;
}

int egw_tunnel_basic_auth(const uint8_t *v, uint32_t n, char user[256], char pass[256])
{
	uint8_t dec[512 + 3];
	uint32_t i = 0, dn, colon;

	while (i < n && v[i] != ' ')
		i++;
	if (!name_is(v, i, "basic"))
		return -EINVAL;
	while (i < n && v[i] == ' ')
		i++;
	if (b64_decode(v + i, n - i, dec, sizeof(dec), &dn) < 0)
		return -EINVAL;
	for (colon = 0; colon < dn && dec[colon] != ':'; colon++)
		;
	if (colon == dn || colon > 255 || dn - colon - 1 > 255)
		return -EINVAL;
	for (uint32_t k = 0; k < dn; k++)
		if (dec[k] < 0x20 || dec[k] == 0x7f)
			return -EINVAL;
	memcpy(user, dec, colon);
	user[colon] = '\0';
	memcpy(pass, dec + colon + 1, dn - colon - 1);
	pass[dn - colon - 1] = '\0';
	return 0;
}
