/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Group references, resolved once every file is read: a policy may name a group defined
 * further down, or in another file. Each group is expanded in place, so a policy's sources
 * keep the order they were written in.
 */
#include <stdlib.h>
#include <string.h>

#include "policy_internal.h"

/* The group of each reference in [from, to), or -1; false when one is unknown. */
static bool find_groups(struct pol_ctx *pol, unsigned from, unsigned to, int *group)
{
	const struct egw_policy_set *set = pol->set;
	char q[CONF_QUOTE_MAX];
	bool all = true;

	for (unsigned r = from; r < to; r++) {
		const struct pol_ref *ref = &pol->refs[r];

		group[r - from] = pol_names_find(&pol->group_names, set->groups,
			sizeof(set->groups[0]), ref->name);
		if (group[r - from] < 0) {
			conf_err_key(&pol->c, ref->line, "sources",
				"unknown group '%s' (not a group, CIDR or 'any')",
				conf_quote(q, ref->name, SIZE_MAX));
			all = false;
		}
	}
	return all;
}

/* Rebuilds the sources of the policy of references [from, to) with its groups expanded. */
static void expand(struct pol_ctx *pol, unsigned from, unsigned to, const int *group)
{
	const struct egw_policy_set *set = pol->set;
	struct egw_policy_conf *p = &set->policies[pol->refs[from].policy];
	struct egw_cidr *out;
	uint64_t total = p->n_sources;
	unsigned n = 0, r = from;

	for (unsigned i = 0; i < to - from; i++)
		total += set->groups[group[i]].n_cidrs;
	if (total > POL_MAX_LIST_ITEMS) {
		conf_err_key(&pol->c, pol->refs[from].line, "sources",
			"more than %d networks once groups are expanded", POL_MAX_LIST_ITEMS);
		return;
	}
	if (total == 0)
		return;
	out = malloc((size_t)total * sizeof(*out));
	if (!out) {
		pol->nomem = true;
		return;
	}
	for (unsigned i = 0; i <= p->n_sources; i++) {
		for (; r < to && pol->refs[r].pos == i; r++) {
			const struct egw_group_conf *g = &set->groups[group[r - from]];

			if (g->n_cidrs)
				memcpy(out + n, g->cidrs, g->n_cidrs * sizeof(*out));
			n += g->n_cidrs;
		}
		if (i < p->n_sources)
			out[n++] = p->sources[i];
	}
	free(p->sources);
	p->sources = out;
	p->n_sources = n;
}

void pol_resolve(struct pol_ctx *pol)
{
	struct conf_ctx *ctx = &pol->c;
	int *group = NULL;
	unsigned from = 0, to;

	/* The error plumbing of a file read, pointed at each policy's file in turn. */
	memset(ctx, 0, sizeof(*ctx));
	ctx->errs = pol->errs;
	ctx->errs_start = pol->errs->n;
	while (from < pol->n_refs && !ctx->stop && !pol->nomem) {
		unsigned policy = pol->refs[from].policy;
		const struct egw_policy_conf *p = &pol->set->policies[policy];
		int *g;

		for (to = from + 1; to < pol->n_refs && pol->refs[to].policy == policy; to++)
			;
		g = realloc(group, (to - from) * sizeof(*group));
		if (!g) {
			pol->nomem = true;
			break;
		}
		group = g;
		ctx->file = p->origin.file;
		conf_set_label(ctx, "policy", p->name);
		if (find_groups(pol, from, to, group))
			expand(pol, from, to, group);
		from = to;
	}
	free(group);
	group = NULL;
	pol->nomem |= ctx->nomem;
}
