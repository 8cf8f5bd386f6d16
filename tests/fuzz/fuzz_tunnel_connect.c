/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the tunnel's HTTP/1.1 CONNECT parser and the Basic credentials reader:
 * arbitrary bytes as a client's first data, in a heap buffer of exactly that size. Checks: OK
 * names a head within the data that ends in a line end, a port 1-65535, a normalized host or a
 * literal, and parsing exactly the head gives the same; ERROR is one of 400/405/431 with a
 * reason; a Proxy-Authorization value lies inside the head; credentials read from it are
 * NUL-terminated within 255 bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tunnel/tunnel_proto.h"

static enum egw_connect_status parse_copy(const uint8_t *data, size_t n, struct egw_connect_req *q,
	uint8_t **keep)
{
	uint8_t *c = malloc(n ? n : 1);

	if (!c)
		abort();
	memcpy(c, data, n);
	*keep = c;
	return egw_tunnel_connect_parse(c, (uint32_t)n, q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct egw_connect_req q, q2;
	char user[256], pass[256], again[EGW_HOSTNAME_MAX + 1];
	uint8_t *c, *c2;
	size_t n;

	if (size > 20000)
		return 0;
	switch (parse_copy(data, size, &q, &c)) {
	case EGW_CONNECT_NEED_MORE:
	case EGW_CONNECT_H2:
		break;
	case EGW_CONNECT_ERROR:
		if ((q.status != 400 && q.status != 405 && q.status != 431) || !q.why)
			abort();
		break;
	case EGW_CONNECT_OK:
		if (q.head_len == 0 || q.head_len > size || data[q.head_len - 1] != '\n' ||
			q.target.port == 0)
			abort();
		if (q.target.literal ? q.target.host_len != 0 :
				       (egw_hostname_normalize(q.target.host, q.target.host_len, 0,
						again, &n) != EGW_HOSTNAME_OK ||
					       n != q.target.host_len))
			abort();
		if (q.auth && (q.auth < c || q.auth + q.auth_len > c + q.head_len))
			abort();
		if (q.auth && egw_tunnel_basic_auth(q.auth, q.auth_len, user, pass) == 0 &&
			(strlen(user) > 255 || strlen(pass) > 255))
			abort();
		if (parse_copy(data, q.head_len, &q2, &c2) != EGW_CONNECT_OK ||
			q2.head_len != q.head_len || q2.target.port != q.target.port ||
			strcmp(q2.target.host, q.target.host) != 0)
			abort();
		free(c2);
		break;
	default:
		abort();
	}
	free(c);
	/* the credentials reader alone, on the raw bytes */
	c = malloc(size ? size : 1);
	if (!c)
		abort();
	memcpy(c, data, size);
	if (egw_tunnel_basic_auth(c, (uint32_t)size, user, pass) == 0 &&
		(strlen(user) > 255 || strlen(pass) > 255))
		abort();
	free(c);
	return 0;
}
