/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the SOCKS5 negotiation machine. The first byte picks the setting
 * (users or not) and the answers the caller gives (credentials right or wrong, the request's
 * result); the rest is the client's byte stream, fed in chunks of sizes taken from the data,
 * each step from a heap copy of exactly the unconsumed bytes. Checks: a step never uses more
 * than it was given nor replies more than 10 bytes; FAIL always closes; after FAIL nothing
 * more happens; a DECIDE target is a literal or a normalized name with a port.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tunnel/tunnel_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct egw_socks5 s;
	uint8_t pending[4096];
	size_t have = 0, pos = 1;
	uint8_t mode;
	char again[EGW_HOSTNAME_MAX + 1];
	size_t n;

	if (size < 1 || size > 8192)
		return 0;
	mode = data[0];
	egw_tunnel_socks5_init(&s, mode & 1);
	while (pos < size) {
		size_t chunk = 1 + data[pos] % 64;
		enum egw_socks5_action a;
		uint8_t *c;

		pos++;
		if (chunk > size - pos)
			chunk = size - pos;
		if (have + chunk > sizeof(pending))
			break;
		memcpy(pending + have, data + pos, chunk);
		have += chunk;
		pos += chunk;
		c = malloc(have ? have : 1);
		if (!c)
			abort();
		memcpy(c, pending, have);
		a = egw_tunnel_socks5_step(&s, c, (uint32_t)have);
		free(c);
		if (s.used > have || s.reply_len > sizeof(s.reply))
			abort();
		memmove(pending, pending + s.used, have - s.used);
		have -= s.used;
		if (a == EGW_SOCKS5_CHECK)
			a = egw_tunnel_socks5_auth(&s, mode & 2);
		if (a == EGW_SOCKS5_DECIDE) {
			if (s.target.port == 0 ||
				(!s.target.literal &&
					(egw_hostname_normalize(s.target.host, s.target.host_len, 0,
						 again, &n) != EGW_HOSTNAME_OK ||
						n != s.target.host_len)))
				abort();
			a = egw_tunnel_socks5_reply(&s,
				(enum egw_tunnel_result)((mode >> 2) % EGW_TUNNEL_N_RESULTS), 1, 2);
			if (s.reply_len != 10)
				abort();
		}
		if (a == EGW_SOCKS5_FAIL && s.phase != EGW_SOCKS5_CLOSED)
			abort();
		if (s.phase == EGW_SOCKS5_CLOSED) {
			if (egw_tunnel_socks5_step(&s, pending, (uint32_t)have) !=
					EGW_SOCKS5_MORE ||
				s.used != 0)
				abort();
			break;
		}
	}
	return 0;
}
