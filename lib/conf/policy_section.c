/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Section headers of the policy files, [group NAME] and [policy NAME], and the checks run when
 * a section ends: required keys, empty lists, and the rules between the keys of one policy
 * and the main config (pools, ports, default_pool). Names are unique across all files, so a
 * duplicate names the first one's file and line. As in the main config, a section whose header
 * is wrong is skipped after its one error.
 */
#include <stdlib.h>
#include <string.h>

#include "policy_internal.h"

static void start(struct pol_ctx *pol, enum conf_sect sect, unsigned idx, void *base,
	const char *type, const char *name)
{
	struct conf_ctx *ctx = &pol->c;

	memset(&pol->st, 0, sizeof(pol->st));
	memset(pol->tried, 0, sizeof(pol->tried));
	memset(pol->any, 0, sizeof(pol->any));
	memset(pol->mixed, 0, sizeof(pol->mixed));
	memset(pol->full, 0, sizeof(pol->full));
	memset(pol->ok, 0, sizeof(pol->ok));
	pol->st.line = ctx->lineno;
	pol->open = sect;
	pol->idx = idx;
	ctx->sect = sect;
	ctx->st = &pol->st;
	ctx->base = base;
	if (sect == CONF_SECT_GROUP) {
		ctx->keys = pol_group_keys;
		ctx->n_keys = pol_n_group_keys;
	} else {
		ctx->keys = pol_policy_keys;
		ctx->n_keys = pol_n_policy_keys;
	}
	conf_set_label(ctx, type, name);
}

static void set_origin(struct egw_conf_origin *o, const struct conf_ctx *ctx)
{
	conf_copy(o->file, sizeof(o->file), ctx->file);
	o->line = ctx->lineno;
}

static void duplicate(struct conf_ctx *ctx, const char *type, const char *name,
	const struct egw_conf_origin *o)
{
	conf_err(ctx, ctx->lineno, "duplicate %s '%s' (first at %s:%d)", type, name, o->file,
		o->line);
}

/* Reported once: past the limit, every further header would repeat the same message. */
static void too_many(struct conf_ctx *ctx, const char *what, unsigned max, bool *reported)
{
	if (!*reported)
		conf_err(ctx, ctx->lineno, "too many %s (max %u)", what, max);
	*reported = true;
}

static void open_group(struct pol_ctx *pol, const char *name)
{
	struct conf_ctx *ctx = &pol->c;
	struct egw_policy_set *set = pol->set;
	struct egw_group_conf *g;
	int dup;

	if (!conf_check_name(ctx, "group", name))
		return;
	/* "sources = any" means every source: a group of that name could never be named. */
	if (strcmp(name, "any") == 0) {
		conf_err(ctx, ctx->lineno,
			"'any' cannot be a group name (sources = any means every source)");
		return;
	}
	dup = pol_names_find(&pol->group_names, set->groups, sizeof(*g), name);
	if (dup >= 0) {
		duplicate(ctx, "group", name, &set->groups[dup].origin);
		return;
	}
	if (set->n_groups == POL_MAX_GROUPS) {
		too_many(ctx, "groups", POL_MAX_GROUPS, &pol->groups_full);
		return;
	}
	g = pol_grow(ctx, set->groups, set->n_groups, sizeof(*g));
	if (!g)
		return;
	set->groups = g;
	g = &set->groups[set->n_groups];
	memset(g, 0, sizeof(*g));
	conf_copy(g->name, sizeof(g->name), name);
	set_origin(&g->origin, ctx);
	if (pol_names_add(&pol->group_names, set->groups, sizeof(*g), set->n_groups) < 0) {
		ctx->nomem = true;
		ctx->stop = true;
		return;
	}
	start(pol, CONF_SECT_GROUP, set->n_groups++, g, "group", name);
}

static void open_policy(struct pol_ctx *pol, const char *name)
{
	struct conf_ctx *ctx = &pol->c;
	struct egw_policy_set *set = pol->set;
	struct egw_policy_conf *p;
	int dup;

	if (!conf_check_name(ctx, "policy", name))
		return;
	dup = pol_names_find(&pol->policy_names, set->policies, sizeof(*p), name);
	if (dup >= 0) {
		duplicate(ctx, "policy", name, &set->policies[dup].origin);
		return;
	}
	if (set->n_policies == POL_MAX_POLICIES) {
		too_many(ctx, "policies", POL_MAX_POLICIES, &pol->policies_full);
		return;
	}
	p = pol_grow(ctx, set->policies, set->n_policies, sizeof(*p));
	if (!p)
		return;
	set->policies = p;
	p = &set->policies[set->n_policies];
	memset(p, 0, sizeof(*p));
	conf_copy(p->name, sizeof(p->name), name);
	p->proto = EGW_PROTO_ANY;
	p->order = set->n_policies;
	set_origin(&p->origin, ctx);
	if (pol_names_add(&pol->policy_names, set->policies, sizeof(*p), set->n_policies) < 0) {
		ctx->nomem = true;
		ctx->stop = true;
		return;
	}
	start(pol, CONF_SECT_POLICY, set->n_policies++, p, "policy", name);
}

void pol_section_open(struct conf_ctx *ctx, const char *text, size_t len)
{
	struct pol_ctx *pol = ctx->owner;
	char buf[CONF_HEADER_MAX], whole[CONF_QUOTE_MAX], *type, *name;

	pol_section_close(pol);
	conf_section_begin(ctx, text, len, buf, &type, &name, whole);
	if (strcmp(type, "group") == 0)
		open_group(pol, name);
	else if (strcmp(type, "policy") == 0)
		open_policy(pol, name);
	else if (!pol->main_file) /* the main file's own sections: read by egw_conf_load */
		conf_err(ctx, ctx->lineno, "unknown section [%s] (known: group NAME, policy NAME)",
			whole);
}

/* "sources =" with nothing after it is a mistake, not a way to write "any". */
static void check_empty_list(struct pol_ctx *pol, unsigned k, const char *name, bool any_ok)
{
	if (pol->st.key_line[k] && pol->tried[k] == 0)
		conf_err_key(&pol->c, pol->st.key_line[k], name, "no items given%s",
			any_ok ? " (write any, or leave the key out)" : "");
}

static void close_group(struct pol_ctx *pol)
{
	struct conf_ctx *ctx = &pol->c;

	conf_set_label(ctx, "group", pol->set->groups[pol->idx].name);
	conf_check_required(ctx, &pol->st, pol_group_keys, pol_n_group_keys);
	check_empty_list(pol, POL_GROUP_SOURCES, "sources", false);
}

static void check_nat_via(struct pol_ctx *pol, const struct egw_policy_conf *p)
{
	struct conf_ctx *ctx = &pol->c;
	const int *kl = pol->st.key_line;
	const struct egw_port_conf *port;
	bool deny = pol->ok[POL_ACTION] && egw_action_refuses(p->action);
	bool allow = pol->ok[POL_ACTION] && p->action == EGW_ACTION_ALLOW;
	char q[CONF_QUOTE_MAX];

	if (kl[POL_NAT] && deny) {
		conf_err_key(ctx, kl[POL_NAT], "nat", "a %s policy translates nothing (remove nat)",
			egw_policy_action_name(p->action));
	} else if (kl[POL_NAT] && pol->ok[POL_NAT] && !p->nat_none &&
		   !egw_conf_pool_find(pol->conf, p->nat)) {
		conf_err_key(ctx, kl[POL_NAT], "nat", "no [pool %s] is defined",
			conf_quote(q, p->nat, SIZE_MAX));
	} else if (!kl[POL_NAT] && allow && !pol->conf->egress.default_pool[0]) {
		conf_err(ctx, pol->st.line,
			"%s needs nat = POOL or none: [egress] has no default_pool", ctx->label);
	}

	if (!kl[POL_VIA] || !pol->ok[POL_VIA])
		return;
	port = egw_conf_port_find(pol->conf, p->via);
	if (deny)
		conf_err_key(ctx, kl[POL_VIA], "via", "a %s policy sends nothing (remove via)",
			egw_policy_action_name(p->action));
	else if (!port)
		conf_err_key(ctx, kl[POL_VIA], "via", "no [port %s] is defined",
			conf_quote(q, p->via, SIZE_MAX));
	else if (port->role != EGW_ROLE_OUTSIDE)
		conf_err_key(ctx, kl[POL_VIA], "via",
			"[port %s] is not an outside port (its role is inside)", port->name);
}

static void close_policy(struct pol_ctx *pol)
{
	struct conf_ctx *ctx = &pol->c;
	struct egw_policy_conf *p = &pol->set->policies[pol->idx];
	const int *kl = pol->st.key_line;
	/* An absent protocol is "any"; a bad one is reported already and checks nothing. */
	bool proto_ok = !kl[POL_PROTOCOL] || pol->ok[POL_PROTOCOL];

	conf_set_label(ctx, "policy", p->name);
	conf_check_required(ctx, &pol->st, pol_policy_keys, pol_n_policy_keys);
	check_empty_list(pol, POL_SOURCES, "sources", true);
	check_empty_list(pol, POL_DESTINATIONS, "destinations", true);
	check_empty_list(pol, POL_HOSTS, "hosts", false);
	check_empty_list(pol, POL_PORTS, "ports", true);
	p->sources_any = !kl[POL_SOURCES] || pol->any[POL_SOURCES];
	p->destinations_any = !kl[POL_DESTINATIONS] || pol->any[POL_DESTINATIONS];
	p->ports_any = !kl[POL_PORTS] || pol->any[POL_PORTS];

	check_nat_via(pol, p);
	if (p->n_ports && proto_ok && p->proto == EGW_PROTO_ICMP)
		conf_err_key(ctx, kl[POL_PORTS], "ports",
			"protocol icmp has no ports (remove ports, or use tcp or udp)");
	/* tls/http read the name from the client's first bytes; tcp/udp/any match addresses
	 * learned from DNS answers for the names. ICMP has neither. */
	if (kl[POL_HOSTS] && proto_ok && p->proto == EGW_PROTO_ICMP)
		conf_err_key(ctx, kl[POL_HOSTS], "hosts",
			"protocol icmp carries no name (use tls, http, or tcp/udp/any for "
			"addresses learned from DNS)");
	if (kl[POL_MAX_FLOWS] && pol->ok[POL_ACTION] && egw_action_refuses(p->action))
		conf_err_key(ctx, kl[POL_MAX_FLOWS], "max_flows",
			"a %s policy has no flows to limit (remove max_flows)",
			egw_policy_action_name(p->action));
}

void pol_section_close(struct pol_ctx *pol)
{
	if (pol->open == CONF_SECT_GROUP)
		close_group(pol);
	else if (pol->open == CONF_SECT_POLICY)
		close_policy(pol);
	pol->open = CONF_SECT_NONE;
}
