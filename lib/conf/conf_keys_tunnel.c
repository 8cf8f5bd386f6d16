/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * [tunnel] (SPEC 8, lib/tunnel): the keys and their cross-checks. The listeners are on inside
 * ports' own addresses (their ARP is the appliance's already; the exception port carries the
 * connections to the kernel), https needs a key pair, resolvers are plain addresses. Files
 * (users, certificate, key) are read when the engine is created: egressgw --check does that.
 */
#include <stddef.h>
#include <string.h>
#include "conf_internal.h"

#define T(f) CONF_FIELD(struct egw_conf, tunnel.f)

static struct egw_tunnel_listen_conf *listener(struct conf_ctx *ctx, const struct conf_key *key)
{
	return (struct egw_tunnel_listen_conf *)((char *)ctx->conf + key->off);
}

static void set_listener(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	struct egw_tunnel_listen_conf *l = listener(ctx, key);
	uint32_t addr;
	uint16_t port;

	if (!*value) {
		*l = (struct egw_tunnel_listen_conf){ 0 };
		return;
	}
	if (egw_parse_hostport(value, &addr, &port) < 0 || !conf_addr_usable(addr)) {
		conf_err_value(ctx, key, value,
			"is not ADDRESS:PORT (an inside port's IPv4 address, port 1-65535)");
		return;
	}
	*l = (struct egw_tunnel_listen_conf){ addr, port };
}

/* A file the engine reads at start (egressgw --check reads it). */
static void set_file(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	conf_store_regular_file(ctx, key, value);
}

static void add_resolver(struct conf_ctx *ctx, const struct conf_key *key, const char *s)
{
	struct egw_conf *conf = ctx->conf;
	uint32_t a;

	if (egw_parse_ipv4(s, &a) < 0 || !conf_addr_usable(a)) {
		conf_err_value(ctx, key, s, "is not an IPv4 address");
		return;
	}
	if (conf->tunnel.n_resolvers == EGW_TUNNEL_CONF_RESOLVERS_MAX) {
		conf_err_key(ctx, ctx->lineno, key->name, "too many resolvers (max %u)",
			EGW_TUNNEL_CONF_RESOLVERS_MAX);
		return;
	}
	conf->tunnel.resolvers[conf->tunnel.n_resolvers++] = a;
}

static void set_resolvers(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	conf_list_each(ctx, key, value, add_resolver);
}

static void set_source(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	uint32_t a;

	if (egw_parse_ipv4(value, &a) < 0 || !conf_addr_usable(a)) {
		conf_err_value(ctx, key, value, "is not an IPv4 address");
		return;
	}
	ctx->conf->tunnel.source = a;
}

/* The order is the CONF_TUNNEL_<KEY> enum of conf_internal.h. */
const struct conf_key conf_tunnel_keys[] = {
	[CONF_TUNNEL_HTTP] = { "http", set_listener, 0, T(http) },
	[CONF_TUNNEL_HTTPS] = { "https", set_listener, 0, T(https) },
	[CONF_TUNNEL_SOCKS5] = { "socks5", set_listener, 0, T(socks5) },
	[CONF_TUNNEL_TLS_CERT] = { "tls_cert", set_file, 0, T(tls_cert) },
	[CONF_TUNNEL_TLS_KEY] = { "tls_key", set_file, 0, T(tls_key) },
	[CONF_TUNNEL_USERS] = { "users", set_file, 0, T(users) },
	[CONF_TUNNEL_RESOLVERS] = { "resolvers", set_resolvers, CONF_KEY_LIST },
	[CONF_TUNNEL_SOURCE] = { "source", set_source, 0 },
	{ "max_clients", conf_set_u32, 0, T(max_clients), 1, 1000000 },
	/* 64 KiB each (EGW_TUNNEL_BUF_SIZE): 64 GiB at most. */
	{ "max_buffers", conf_set_u32, 0, T(max_buffers), 16, 1000000 },
	{ "h2_max_streams", conf_set_u32, 0, T(h2_max_streams), 1, 10000 },
	{ "handshake_ms", conf_set_u32, 0, T(handshake_ms), 100, 600000 },
	{ "connect_ms", conf_set_u32, 0, T(connect_ms), 100, 600000 },
	{ "idle_ms", conf_set_u32, 0, T(idle_ms), 1000, 86400000 },
	{ "resolve_ms", conf_set_u32, 0, T(resolve_ms), 100, 60000 },
};
const unsigned conf_n_tunnel_keys = CONF_ARRAY_SIZE(conf_tunnel_keys);

#undef T

void conf_tunnel_init(struct egw_conf *conf)
{
	conf->tunnel.source = 0xa9fe0002u; /* 169.254.0.2 */
}

/* The inside port whose address is ADDR, or -1. */
static int inside_port_of(const struct egw_conf *conf, uint32_t addr)
{
	for (unsigned i = 0; i < conf->n_ports; i++)
		if (conf->ports[i].role == EGW_ROLE_INSIDE && conf->ports[i].addr == addr)
			return (int)i;
	return -1;
}

static void check_listener(struct conf_ctx *ctx, unsigned k)
{
	const struct egw_tunnel_listen_conf *l = listener(ctx, &conf_tunnel_keys[k]);
	const struct egw_conf *conf = ctx->conf;
	int line = ctx->single[CONF_SECT_TUNNEL].key_line[k];
	char a[16];

	if (!l->port)
		return;
	if (inside_port_of(conf, l->addr) < 0)
		conf_err_key(ctx, line, conf_tunnel_keys[k].name,
			"%s is not the address of an inside port", egw_fmt_ipv4(a, l->addr));
	for (unsigned j = CONF_TUNNEL_HTTP; j < k; j++) {
		const struct egw_tunnel_listen_conf *o = listener(ctx, &conf_tunnel_keys[j]);
		if (o->port && o->addr == l->addr && o->port == l->port)
			conf_err_key(ctx, line, conf_tunnel_keys[k].name,
				"the same address and port as %s", conf_tunnel_keys[j].name);
	}
}

void conf_tunnel_validate(struct conf_ctx *ctx)
{
	const struct egw_conf *conf = ctx->conf;
	const struct conf_sect_state *st = &ctx->single[CONF_SECT_TUNNEL];
	const uint32_t src = conf->tunnel.source;
	char a[16];

	if (!st->line)
		return;
	conf_copy(ctx->conf->tunnel.origin.file, sizeof(ctx->conf->tunnel.origin.file), ctx->file);
	ctx->conf->tunnel.origin.line = st->line;
	conf_set_label(ctx, "tunnel", NULL);
	for (unsigned k = CONF_TUNNEL_HTTP; k <= CONF_TUNNEL_SOCKS5; k++)
		check_listener(ctx, k);
	if (conf->tunnel.https.port && (!conf->tunnel.tls_cert[0] || !conf->tunnel.tls_key[0]))
		conf_err_key(ctx, st->key_line[CONF_TUNNEL_HTTPS], "https",
			"needs tls_cert and tls_key");
	if (!EGW_TUNNEL_CONF_ON(conf))
		return;
	/* The engine's own queries pass under the mode, with the default pool (exception.c). */
	if (conf->tunnel.n_resolvers && !conf->egress.default_pool[0])
		conf_err_key(ctx, st->key_line[CONF_TUNNEL_RESOLVERS], "resolvers",
			"need [egress] default_pool (the service's DNS queries leave with it)");
	for (unsigned i = 0; i < conf->n_ports; i++) {
		const struct egw_port_conf *p = &conf->ports[i];
		if (((src ^ p->addr) & conf_mask(p->prefix_len)) == 0)
			conf_err_key(ctx, st->key_line[CONF_TUNNEL_SOURCE] ?: st->line, "source",
				"%s is on [port %s]'s subnet (it must be routed to the tunnel "
				"alone)",
				egw_fmt_ipv4(a, src), p->name);
	}
}
