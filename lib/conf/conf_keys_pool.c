/* SPDX-License-Identifier: BSD-3-Clause */
/* [pool NAME]: the keys of one NAT address pool and the values they take. */
#include <stdlib.h>
#include <string.h>

#include "conf_internal.h"

/* RFC 6056 port randomisation and per-worker slices need room; fewer is a typo. */
#define CONF_POOL_MIN_PORTS 64

static struct egw_pool_conf *cur_pool(struct conf_ctx *ctx)
{
	return &ctx->conf->pools[ctx->idx];
}

void conf_pool_init(struct egw_pool_conf *pool)
{
	memset(pool, 0, sizeof(*pool));
	pool->port_first = 1024;
	pool->port_last = 65535;
	/* RFC 4787 REQ-1 (a MUST); stringent filtering suits an egress firewall (REQ-8). */
	pool->mapping = EGW_MAPPING_ENDPOINT_INDEPENDENT;
	pool->filtering = EGW_FILTERING_ADDRESS_AND_PORT_DEPENDENT;
	pool->pairing = EGW_PAIRING_PAIRED;
	pool->max_per_source = 65536;
}

/* Finds the first address in [first, last] that cannot be a NAT source. */
static bool find_unusable(uint32_t first, uint32_t last, uint32_t *bad)
{
	if (!conf_addr_usable(first))
		*bad = first;
	else if (first < 0x7f000000 && last >= 0x7f000000)
		*bad = 0x7f000000;
	else if (last >= 0xe0000000)
		*bad = 0xe0000000;
	else
		return false;
	return true;
}

static int add_item(struct conf_ctx *ctx, const struct egw_addr_range *r)
{
	if (ctx->n_items == ctx->cap_items) {
		unsigned cap = ctx->cap_items ? ctx->cap_items * 2 : 64;
		struct conf_pool_item *items = realloc(ctx->items, (size_t)cap * sizeof(*items));

		if (!items) {
			ctx->nomem = true;
			ctx->stop = true;
			return -1;
		}
		ctx->items = items;
		ctx->cap_items = cap;
	}
	ctx->items[ctx->n_items++] = (struct conf_pool_item){ .first = r->first,
		.last = r->last,
		.pool = ctx->idx,
		.line = ctx->lineno };
	return 0;
}

static void pool_item(struct conf_ctx *ctx, const struct conf_key *key, const char *s)
{
	struct egw_pool_conf *pool = cur_pool(ctx);
	struct egw_addr_range r;
	uint64_t count;
	uint32_t bad;
	char a[16];

	ctx->pool_items_tried[ctx->idx]++;
	if (egw_parse_addr_range(s, &r) < 0) {
		conf_err_value(ctx, key, s,
			"is not an address a.b.c.d or a range a.b.c.d-a.b.c.d (first <= last)");
		return;
	}
	if (find_unusable(r.first, r.last, &bad) && r.first == r.last) {
		conf_err_value(ctx, key, s, "is not a usable unicast address");
		return;
	}
	if (find_unusable(r.first, r.last, &bad)) {
		conf_err_value(ctx, key, s, "contains %s, which is not a usable unicast address",
			egw_fmt_ipv4(a, bad));
		return;
	}
	if (ctx->pool_full[ctx->idx])
		return;
	count = (uint64_t)r.last - r.first + 1;
	if (pool->n_addrs + count > EGW_MAX_POOL_ADDRS) {
		conf_err_value(ctx, key, s, "makes the pool hold more than %d addresses",
			EGW_MAX_POOL_ADDRS);
		ctx->pool_full[ctx->idx] = true;
		return;
	}
	if (add_item(ctx, &r) < 0)
		return;
	for (uint64_t x = r.first; x <= r.last; x++)
		pool->addrs[pool->n_addrs++] = (uint32_t)x;
}

static void set_addresses(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	conf_list_each(ctx, key, value, pool_item);
}

static void set_ports(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	struct egw_pool_conf *pool = cur_pool(ctx);
	uint16_t first, last;
	unsigned n;

	if (egw_parse_port_range(value, &first, &last) < 0) {
		conf_err_value(ctx, key, value, "is not a port range N-M within 1-65535");
		return;
	}
	n = (unsigned)last - first + 1;
	if (n < CONF_POOL_MIN_PORTS) {
		conf_err_value(ctx, key, value, "holds %u port%s; a pool needs at least %d", n,
			n == 1 ? "" : "s", CONF_POOL_MIN_PORTS);
		return;
	}
	pool->port_first = first;
	pool->port_last = last;
}

static void set_mapping(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	static const char *const names[] = {
		[EGW_MAPPING_ENDPOINT_DEPENDENT] = "endpoint-dependent",
		[EGW_MAPPING_ENDPOINT_INDEPENDENT] = "endpoint-independent",
	};
	int i = conf_parse_enum(ctx, key, value, names, CONF_ARRAY_SIZE(names));

	if (i >= 0)
		cur_pool(ctx)->mapping = (enum egw_nat_mapping)i;
}

static void set_filtering(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	static const char *const names[] = {
		[EGW_FILTERING_ADDRESS_AND_PORT_DEPENDENT] = "address-and-port-dependent",
		[EGW_FILTERING_ADDRESS_DEPENDENT] = "address-dependent",
		[EGW_FILTERING_ENDPOINT_INDEPENDENT] = "endpoint-independent",
	};
	int i = conf_parse_enum(ctx, key, value, names, CONF_ARRAY_SIZE(names));

	if (i >= 0)
		cur_pool(ctx)->filtering = (enum egw_nat_filtering)i;
}

static void set_pairing(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	static const char *const names[] = {
		[EGW_PAIRING_PAIRED] = "paired",
		[EGW_PAIRING_ARBITRARY] = "arbitrary",
	};
	int i = conf_parse_enum(ctx, key, value, names, CONF_ARRAY_SIZE(names));

	if (i >= 0)
		cur_pool(ctx)->pairing = (enum egw_nat_pairing)i;
}

/* The order is the CONF_POOL_* enum of conf_internal.h. */
#define L(f) CONF_FIELD(struct egw_pool_conf, f)

const struct conf_key conf_pool_keys[] = {
	[CONF_POOL_ADDRESSES] = { "addresses", set_addresses, CONF_KEY_LIST | CONF_KEY_REQUIRED },
	[CONF_POOL_PORTS] = { "ports", set_ports, 0 },
	[CONF_POOL_MAPPING] = { "mapping", set_mapping, 0 },
	[CONF_POOL_PAIRING] = { "pairing", set_pairing, 0 },
	[CONF_POOL_FILTERING] = { "filtering", set_filtering, 0 },
	[CONF_POOL_MAX_PER_SOURCE] = { "max_per_source", conf_set_u32, 0, L(max_per_source), 0,
		UINT32_MAX },
};

#undef L

const unsigned conf_n_pool_keys = CONF_ARRAY_SIZE(conf_pool_keys);
_Static_assert(CONF_ARRAY_SIZE(conf_pool_keys) <= CONF_MAX_KEYS, "raise CONF_MAX_KEYS");
