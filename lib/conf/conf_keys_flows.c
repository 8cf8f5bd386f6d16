/* SPDX-License-Identifier: BSD-3-Clause */
/* [flows] keys beyond plain integers: udp_port_timeouts. */
#include <string.h>

#include "conf_internal.h"

/* RFC 4787 REQ-5a: only IANA well-known ports may have a UDP timer below two minutes. */
#define WELL_KNOWN_LAST 1023

static void port_timeout_item(struct conf_ctx *ctx, const struct conf_key *key, const char *s)
{
	struct egw_conf *c = ctx->conf;
	char buf[32];
	char *colon;
	uint32_t port, seconds;

	conf_copy(buf, sizeof(buf), s);
	colon = strchr(buf, ':');
	if (!colon || strlen(s) >= sizeof(buf)) {
		conf_err_value(ctx, key, s, "is not PORT:SECONDS");
		return;
	}
	*colon = '\0';
	if (egw_parse_u32(buf, 0, WELL_KNOWN_LAST, &port) < 0) {
		conf_err_value(ctx, key, s, "does not name a port within 0-%d (RFC 4787 REQ-5a)",
			WELL_KNOWN_LAST);
		return;
	}
	if (egw_parse_u32(colon + 1, key->min, key->max, &seconds) < 0) {
		conf_err_value(ctx, key, s, "does not give seconds within %u-%u", key->min,
			key->max);
		return;
	}
	for (unsigned i = 0; i < c->flows.n_udp_ports; i++)
		if (c->flows.udp_ports[i].port == port) {
			conf_err_value(ctx, key, s, "names port %u a second time", port);
			return;
		}
	if (c->flows.n_udp_ports == EGW_MAX_UDP_PORT_TIMEOUTS) {
		conf_err_value(ctx, key, s, "is one port too many (max %d)",
			EGW_MAX_UDP_PORT_TIMEOUTS);
		return;
	}
	c->flows.udp_ports[c->flows.n_udp_ports].port = (uint16_t)port;
	c->flows.udp_ports[c->flows.n_udp_ports++].seconds = seconds;
}

void conf_set_udp_port_timeouts(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	conf_list_each(ctx, key, value, port_timeout_item);
}
