/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a pending flow's first client bytes are: a ClientHello, an HTTP/1.x request, or
 * neither. The TLS parser goes first: its first byte (a handshake record, 0x16) can never
 * start a request line, so the two cannot both claim the bytes.
 */
#include <string.h>

#include "decide.h"

static void seen_tls(struct egw_host_read *r)
{
	r->seen = (struct egw_host_seen){ .kind = EGW_SEEN_TLS,
		.name_state = r->l7.tls.sni_state,
		.name_len = r->l7.tls.sni_len,
		.ech = r->l7.tls.ech,
		.name = r->l7.tls.sni };
}

static void seen_http(struct egw_host_read *r)
{
	r->seen = (struct egw_host_seen){ .kind = EGW_SEEN_HTTP,
		.name_state = r->l7.http.host_state,
		.name_len = r->l7.http.host_len,
		.name = r->l7.http.host };
}

enum egw_l7_status egw_host_read(const uint8_t *buf, uint32_t len, struct egw_host_read *r)
{
	enum egw_l7_status st = egw_l7_tls_parse(buf, len, &r->l7.tls);

	memset(&r->seen, 0, sizeof(r->seen));
	r->need = 0;
	switch (st) {
	case EGW_L7_NEED_MORE:
		r->need = r->l7.tls.need;
		return st;
	case EGW_L7_DONE:
		seen_tls(r);
		return st;
	case EGW_L7_MALFORMED:
		r->seen.kind = EGW_SEEN_MALFORMED;
		return EGW_L7_DONE;
	default:
		break;
	}
	st = egw_l7_http_parse(buf, len, &r->l7.http);
	switch (st) {
	case EGW_L7_NEED_MORE:
		r->need = r->l7.http.need;
		return st;
	case EGW_L7_DONE:
		seen_http(r);
		return st;
	case EGW_L7_MALFORMED:
		r->seen.kind = EGW_SEEN_MALFORMED;
		return EGW_L7_DONE;
	default:
		r->seen.kind = EGW_SEEN_OTHER;
		return EGW_L7_DONE;
	}
}
