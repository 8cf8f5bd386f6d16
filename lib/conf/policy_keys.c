/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The keys of [group NAME] and [policy NAME], and the setters of the scalar ones (the list
 * keys are in policy_lists.c). A setter checks its value alone; checks between keys (nat with
 * deny, ports with icmp, ...) wait for the end of the section, because keys come in any order.
 */
#include <string.h>

#include "policy_internal.h"

static const char *const proto_names[] = {
	[EGW_PROTO_ANY] = "any",
	[EGW_PROTO_TCP] = "tcp",
	[EGW_PROTO_UDP] = "udp",
	[EGW_PROTO_ICMP] = "icmp",
	[EGW_PROTO_TLS] = "tls",
	[EGW_PROTO_HTTP] = "http",
};

static const char *const action_names[] = {
	[EGW_ACTION_ALLOW] = "allow",
	[EGW_ACTION_DENY] = "deny",
	[EGW_ACTION_REJECT] = "reject",
};

const char *egw_policy_action_name(enum egw_policy_action a)
{
	if ((unsigned)a >= CONF_ARRAY_SIZE(action_names))
		return "invalid";
	return action_names[a];
}

const char *egw_policy_proto_name(enum egw_policy_proto p)
{
	if ((unsigned)p >= CONF_ARRAY_SIZE(proto_names))
		return "invalid";
	return proto_names[p];
}

unsigned pol_key_index(const struct conf_ctx *ctx, const struct conf_key *key)
{
	return (unsigned)(key - ctx->keys);
}

static struct egw_policy_conf *cur_policy(struct conf_ctx *ctx)
{
	return ctx->base;
}

static void mark_ok(struct conf_ctx *ctx, const struct conf_key *key)
{
	struct pol_ctx *pol = ctx->owner;

	pol->ok[pol_key_index(ctx, key)] = true;
}

static void set_protocol(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	/* Listed in the order of SPEC section 4, not of the enum. */
	static const char *const names[] = { "tcp", "udp", "icmp", "tls", "http", "any" };

	if (conf_parse_enum(ctx, key, value, names, CONF_ARRAY_SIZE(names)) < 0)
		return;
	cur_policy(ctx)->proto = (enum egw_policy_proto)conf_name_index(proto_names,
		CONF_ARRAY_SIZE(proto_names), value);
	mark_ok(ctx, key);
}

static void set_action(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	int i = conf_parse_enum(ctx, key, value, action_names, CONF_ARRAY_SIZE(action_names));

	if (i < 0)
		return;
	cur_policy(ctx)->action = (enum egw_policy_action)i;
	mark_ok(ctx, key);
}

static void set_nat(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	/* Whether the pool exists is checked with the section: the key table knows no pools. */
	if (strcmp(value, "none") == 0)
		cur_policy(ctx)->nat_none = true;
	else if (conf_store_string(ctx, key, value) < 0)
		return;
	mark_ok(ctx, key);
}

static void set_via(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	if (conf_store_string(ctx, key, value) == 0)
		mark_ok(ctx, key);
}

static void set_priority(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	const int32_t max = 1000000;
	bool neg = value[0] == '-';
	uint32_t v;

	/* egw_parse_u32 takes no sign; a leading '-' is the only one accepted ("+5" is not). */
	if (egw_parse_u32(value + neg, 0, (uint32_t)max, &v) < 0) {
		conf_err_value(ctx, key, value, "is not an integer from %d to %d", -max, max);
		return;
	}
	cur_policy(ctx)->priority = neg ? -(int32_t)v : (int32_t)v;
}

/* The order is the POL_GROUP_* and POL_* enums of policy_internal.h. */
#define P(f) CONF_FIELD(struct egw_policy_conf, f)

const struct conf_key pol_group_keys[] = {
	[POL_GROUP_SOURCES] = { "sources", pol_set_group_sources,
		CONF_KEY_LIST | CONF_KEY_REQUIRED },
};

const struct conf_key pol_policy_keys[] = {
	[POL_SOURCES] = { "sources", pol_set_sources, CONF_KEY_LIST },
	[POL_DESTINATIONS] = { "destinations", pol_set_destinations, CONF_KEY_LIST },
	[POL_HOSTS] = { "hosts", pol_set_hosts, CONF_KEY_LIST },
	[POL_PORTS] = { "ports", pol_set_ports, CONF_KEY_LIST },
	[POL_PROTOCOL] = { "protocol", set_protocol, 0 },
	[POL_ACTION] = { "action", set_action, CONF_KEY_REQUIRED },
	[POL_NAT] = { "nat", set_nat, CONF_KEY_NONEMPTY, P(nat), 0, 0, "a [pool] name or none" },
	[POL_VIA] = { "via", set_via, CONF_KEY_NONEMPTY, P(via), 0, 0, "an outside [port] name" },
	[POL_PRIORITY] = { "priority", set_priority, 0 },
	[POL_LOG] = { "log", conf_set_bool, 0, P(log) },
	[POL_MAX_FLOWS] = { "max_flows", conf_set_u32, 0, P(max_flows), 0, 100000000 },
};

#undef P

const unsigned pol_n_group_keys = CONF_ARRAY_SIZE(pol_group_keys);
const unsigned pol_n_policy_keys = CONF_ARRAY_SIZE(pol_policy_keys);
_Static_assert(CONF_ARRAY_SIZE(pol_policy_keys) <= CONF_MAX_KEYS, "raise CONF_MAX_KEYS");
