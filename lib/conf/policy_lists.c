/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The list keys of the policy files: sources (of groups and of policies), destinations,
 * hosts and ports. Items are comma-separated and may continue on indented lines; each item is
 * checked alone. Group names in a policy's sources are only recorded here (the group may come
 * later, in any file) and expanded by policy_resolve.c.
 */
#include <stdlib.h>
#include <string.h>

#include "hostname/hostname.h"
#include "policy_internal.h"

void *pol_grow(struct conf_ctx *ctx, void *arr, unsigned n, size_t size)
{
	void *a;
	size_t cap;

	/* The capacity is the next power of two from 4, so it needs no field of its own. */
	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return arr;
	cap = n ? (size_t)n * 2 : 4;
	a = realloc(arr, cap * size);
	if (!a) {
		ctx->nomem = true;
		ctx->stop = true;
	}
	return a;
}

enum item { ITEM_SKIP, ITEM_ANY, ITEM_VALUE };

/*
 * Counts an item of KEY. 'any' means "no restriction", so it stands alone; that mistake and a
 * list over the limit are reported once per key.
 */
static enum item item_begin(struct conf_ctx *ctx, const struct conf_key *key, const char *s,
	bool any_ok)
{
	struct pol_ctx *pol = ctx->owner;
	unsigned k = pol_key_index(ctx, key);
	bool any = any_ok && strcmp(s, "any") == 0;

	if ((any && pol->tried[k] > 0) || (!any && pol->any[k])) {
		if (!pol->mixed[k])
			conf_err_key(ctx, ctx->lineno, key->name,
				"'any' cannot be combined with other items");
		pol->mixed[k] = true;
	}
	if (pol->tried[k] == POL_MAX_LIST_ITEMS) {
		if (!pol->full[k])
			conf_err_key(ctx, ctx->lineno, key->name, "too many items (max %d)",
				POL_MAX_LIST_ITEMS);
		pol->full[k] = true;
		return ITEM_SKIP;
	}
	pol->tried[k]++;
	pol->any[k] |= any;
	return any ? ITEM_ANY : ITEM_VALUE;
}

static void add_cidr(struct conf_ctx *ctx, struct egw_cidr **arr, unsigned *n, uint32_t prefix,
	uint8_t len)
{
	struct egw_cidr *a = pol_grow(ctx, *arr, *n, sizeof(*a));

	if (!a)
		return;
	a[(*n)++] = (struct egw_cidr){ .prefix = prefix, .len = len };
	*arr = a;
}

static void group_source_item(struct conf_ctx *ctx, const struct conf_key *key, const char *s)
{
	struct egw_group_conf *g = ctx->base;
	uint32_t prefix;
	uint8_t len;

	if (item_begin(ctx, key, s, false) != ITEM_VALUE)
		return;
	if (conf_parse_network(ctx, key, s, true, "a network a.b.c.d/len or an address", &prefix,
		    &len) == 0)
		add_cidr(ctx, &g->cidrs, &g->n_cidrs, prefix, len);
}

void pol_set_group_sources(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	conf_list_each(ctx, key, value, group_source_item);
}

static void add_ref(struct conf_ctx *ctx, const char *name)
{
	struct pol_ctx *pol = ctx->owner;
	struct pol_ref *r = pol_grow(ctx, pol->refs, pol->n_refs, sizeof(*r));

	if (!r)
		return;
	pol->refs = r;
	r = &pol->refs[pol->n_refs++];
	r->policy = pol->idx;
	r->pos = pol->set->policies[pol->idx].n_sources;
	r->line = ctx->lineno;
	conf_copy(r->name, sizeof(r->name), name);
}

static void source_item(struct conf_ctx *ctx, const struct conf_key *key, const char *s)
{
	struct egw_policy_conf *p = ctx->base;
	uint32_t prefix;
	uint8_t len;

	if (item_begin(ctx, key, s, true) != ITEM_VALUE)
		return;
	/* Names cannot contain '.' or '/': a group name never reads as an address. */
	if (conf_valid_name(s))
		add_ref(ctx, s);
	else if (conf_parse_network(ctx, key, s, true,
			 "a group name, a network a.b.c.d/len, an address or any", &prefix,
			 &len) == 0)
		add_cidr(ctx, &p->sources, &p->n_sources, prefix, len);
}

void pol_set_sources(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	conf_list_each(ctx, key, value, source_item);
}

static void destination_item(struct conf_ctx *ctx, const struct conf_key *key, const char *s)
{
	struct egw_policy_conf *p = ctx->base;
	uint32_t prefix;
	uint8_t len;

	if (item_begin(ctx, key, s, true) != ITEM_VALUE)
		return;
	if (conf_parse_network(ctx, key, s, true, "a network a.b.c.d/len, an address or any",
		    &prefix, &len) == 0)
		add_cidr(ctx, &p->destinations, &p->n_destinations, prefix, len);
}

void pol_set_destinations(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	conf_list_each(ctx, key, value, destination_item);
}

static void host_item(struct conf_ctx *ctx, const struct conf_key *key, const char *s)
{
	struct egw_policy_conf *p = ctx->base;
	char norm[EGW_HOSTNAME_MAX + 1], **hosts;
	enum egw_hostname_err err;

	if (item_begin(ctx, key, s, false) != ITEM_VALUE)
		return;
	/* Stored the way the data path compares (SPEC section 6): lower case, no trailing dot. */
	err = egw_hostname_normalize(s, strlen(s), EGW_HOSTNAME_PATTERN, norm, NULL);
	if (err != EGW_HOSTNAME_OK) {
		conf_err_value(ctx, key, s, "%s", egw_hostname_strerror(err));
		return;
	}
	hosts = pol_grow(ctx, p->hosts, p->n_hosts, sizeof(*hosts));
	if (!hosts)
		return;
	p->hosts = hosts;
	hosts[p->n_hosts] = strdup(norm);
	if (!hosts[p->n_hosts]) {
		ctx->nomem = true;
		ctx->stop = true;
		return;
	}
	p->n_hosts++;
}

void pol_set_hosts(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	conf_list_each(ctx, key, value, host_item);
}

static void port_item(struct conf_ctx *ctx, const struct conf_key *key, const char *s)
{
	struct egw_policy_conf *p = ctx->base;
	struct egw_port_range *a;
	uint16_t lo, hi;

	if (item_begin(ctx, key, s, true) != ITEM_VALUE)
		return;
	if (egw_parse_port_range(s, &lo, &hi) < 0) {
		conf_err_value(ctx, key, s,
			"is not a port N or a range N-M within 1-65535 (N <= M), or any");
		return;
	}
	a = pol_grow(ctx, p->ports, p->n_ports, sizeof(*a));
	if (!a)
		return;
	a[p->n_ports++] = (struct egw_port_range){ .lo = lo, .hi = hi };
	p->ports = a;
}

void pol_set_ports(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	conf_list_each(ctx, key, value, port_item);
}
