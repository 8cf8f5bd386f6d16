/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the HTTP/1.x request-head parser: arbitrary bytes as a client's first
 * data, in a heap buffer of exactly that size. Checks: DONE names the head's length (within
 * the data and the size limit, ending in a line end) and parsing exactly that much gives the
 * same host; the prefix one byte shorter waits; NEED_MORE asks for more than it has; a host
 * reported valid is in normalized form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l7/l7.h"

static enum egw_l7_status parse_copy(const uint8_t *data, size_t n, struct egw_l7_http *h)
{
	uint8_t *c = malloc(n ? n : 1);
	enum egw_l7_status st;

	if (!c)
		abort();
	memcpy(c, data, n);
	st = egw_l7_http_parse(c, (uint32_t)n, h);
	free(c);
	return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct egw_l7_http h, h2;
	char again[EGW_HOSTNAME_MAX + 1];
	enum egw_l7_status st;
	size_t n;

	if (size > 20000)
		return 0;
	st = parse_copy(data, size, &h);
	if (h.host_len != strlen(h.host))
		abort();
	switch (st) {
	case EGW_L7_NEED_MORE:
		if (h.need <= size || size >= EGW_L7_HTTP_HEAD_MAX)
			abort();
		break;
	case EGW_L7_DONE:
		if (h.need == 0 || h.need > size || h.need > EGW_L7_HTTP_HEAD_MAX ||
			data[h.need - 1] != '\n')
			abort();
		if (h.host_state == EGW_HOSTNAME_VALID &&
			(egw_hostname_normalize(h.host, h.host_len, 0, again, &n) !=
					EGW_HOSTNAME_OK ||
				n != h.host_len || memcmp(again, h.host, n) != 0))
			abort();
		if (h.host_state != EGW_HOSTNAME_VALID && h.host_len != 0)
			abort();
		if (parse_copy(data, h.need, &h2) != EGW_L7_DONE || h2.need != h.need ||
			strcmp(h2.host, h.host) != 0 || h2.port != h.port || h2.flags != h.flags)
			abort();
		if (parse_copy(data, h.need - 1, &h2) != EGW_L7_NEED_MORE)
			abort();
		break;
	case EGW_L7_NOT_PROTO:
	case EGW_L7_MALFORMED:
		if (h.host_len != 0 || (h.flags & ~EGW_L7_HTTP_H2_PREFACE))
			abort();
		break;
	default:
		abort();
	}
	return 0;
}
