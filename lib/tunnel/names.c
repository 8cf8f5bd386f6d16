/* SPDX-License-Identifier: BSD-3-Clause */
/* Names and answers from the X-macro lists of tunnel.h; the configuration's defaults. */
#include <string.h>

#include "tunnel.h"

const char *egw_tunnel_transport_name(enum egw_tunnel_transport t)
{
	static const char *const names[] = {
#define NAME(e, n) #n,
		EGW_TUNNEL_FOREACH_TRANSPORT(NAME)
#undef NAME
	};
	return (unsigned)t < EGW_TUNNEL_N_TRANSPORTS ? names[t] : "?";
}

const char *egw_tunnel_result_name(enum egw_tunnel_result r)
{
	static const char *const names[] = {
#define NAME(e, n, http, socks) #n,
		EGW_TUNNEL_FOREACH_RESULT(NAME)
#undef NAME
	};
	return (unsigned)r < EGW_TUNNEL_N_RESULTS ? names[r] : "?";
}

uint16_t egw_tunnel_result_http(enum egw_tunnel_result r)
{
	static const uint16_t status[] = {
#define HTTP(e, n, http, socks) http,
		EGW_TUNNEL_FOREACH_RESULT(HTTP)
#undef HTTP
	};
	return (unsigned)r < EGW_TUNNEL_N_RESULTS ? status[r] : 500;
}

uint8_t egw_tunnel_result_socks(enum egw_tunnel_result r)
{
	static const uint8_t rep[] = {
#define SOCKS(e, n, http, socks) socks,
		EGW_TUNNEL_FOREACH_RESULT(SOCKS)
#undef SOCKS
	};
	return (unsigned)r < EGW_TUNNEL_N_RESULTS ? rep[r] : 0x01;
}

void egw_tunnel_conf_defaults(struct egw_tunnel_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->max_clients = 10000;
	c->max_buffers = 2048; /* 128 MiB of relay buffers at most */
	c->h2_max_streams = 100;
	c->handshake_ms = 10000;
	c->connect_ms = 10000;
	c->idle_ms = 300000;
	c->resolve_ms = 2000;
	/* "This host" (0.0.0.0 reaches the local stack), loopback, multicast and above. */
	c->refused[c->n_refused++] = (struct egw_tunnel_prefix){ 0x00000000u, 8 };
	c->refused[c->n_refused++] = (struct egw_tunnel_prefix){ 0x7f000000u, 8 };
	c->refused[c->n_refused++] = (struct egw_tunnel_prefix){ 0xe0000000u, 3 };
}
