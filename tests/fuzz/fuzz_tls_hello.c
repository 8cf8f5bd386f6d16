/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the TLS ClientHello parser: arbitrary bytes as a client's first data,
 * in a heap buffer of exactly that size. Besides the sanitizers it checks the promises the
 * data path relies on: DONE names where the hello ends (within the data) and parsing exactly
 * that much gives the same answer; any shorter prefix of it waits (NEED_MORE asking for more
 * than it has); a name reported valid is in normalized form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l7/l7.h"

static enum egw_l7_status parse_copy(const uint8_t *data, size_t n, struct egw_l7_tls *t)
{
	uint8_t *c = malloc(n ? n : 1);
	enum egw_l7_status st;

	if (!c)
		abort();
	memcpy(c, data, n);
	st = egw_l7_tls_parse(c, (uint32_t)n, t);
	free(c);
	return st;
}

static void check_name(const struct egw_l7_tls *t)
{
	char again[EGW_HOSTNAME_MAX + 1];
	size_t n;

	if (t->sni_len != strlen(t->sni) || t->alpn_len != strlen(t->alpn))
		abort();
	if (t->sni_state == EGW_HOSTNAME_VALID) {
		if (egw_hostname_normalize(t->sni, t->sni_len, 0, again, &n) != EGW_HOSTNAME_OK ||
			n != t->sni_len || memcmp(again, t->sni, n) != 0)
			abort();
	} else if (t->sni_len != 0) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct egw_l7_tls t, t2;
	enum egw_l7_status st;

	if (size > 40000)
		return 0;
	st = parse_copy(data, size, &t);
	switch (st) {
	case EGW_L7_NEED_MORE:
		if (t.need <= size)
			abort();
		break;
	case EGW_L7_DONE:
		check_name(&t);
		if (t.need == 0 || t.need > size)
			abort();
		if (parse_copy(data, t.need, &t2) != EGW_L7_DONE || t2.need != t.need ||
			strcmp(t2.sni, t.sni) != 0 || t2.ech != t.ech ||
			t2.sni_state != t.sni_state || strcmp(t2.alpn, t.alpn) != 0)
			abort();
		if (parse_copy(data, t.need - 1, &t2) != EGW_L7_NEED_MORE || t2.need < t.need)
			abort();
		if (parse_copy(data, t.need / 2, &t2) != EGW_L7_NEED_MORE || t2.need <= t.need / 2)
			abort();
		break;
	case EGW_L7_NOT_PROTO:
	case EGW_L7_MALFORMED:
		if (t.sni_len != 0 || t.sni[0] != '\0')
			abort();
		break;
	default:
		abort();
	}
	return 0;
}
