/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "observer.h"

/* Rule R of policy P: what /egw/policies,NAME shows. 0 or -ENOMEM. */
static int rule_build(const struct egw_conf *live, const struct egw_policy_conf *p,
	struct egw_observer_rule *r)
{
	size_t len = 0;
	FILE *f = open_memstream(&r->origin, &len);

	if (!f)
		return -ENOMEM;
	fprintf(f, "%s:%d%c", p->origin.file, p->origin.line, '\0');
	egw_conf_dump_policy_keys(live, p, f);
	if (fclose(f) != 0)
		return -ENOMEM;
	r->text = r->origin + strlen(r->origin) + 1;
	snprintf(r->name, sizeof(r->name), "%s", p->name);
	r->action = p->action;
	r->proto = p->proto;
	r->priority = p->priority;
	if (p->action == EGW_ACTION_ALLOW)
		snprintf(r->pool, sizeof(r->pool), "%s",
			p->nat_none ? "none" :
			p->nat[0]   ? p->nat :
				      live->egress.default_pool);
	snprintf(r->via, sizeof(r->via), "%s", p->via);
	return 0;
}

static int rules_build(struct egw_observer_view *v, const struct egw_conf *live,
	const struct egw_policy_set *pset)
{
	if (!pset || !pset->n_policies)
		return 0;
	v->rules = calloc(pset->n_policies, sizeof(*v->rules));
	if (!v->rules)
		return -ENOMEM;
	for (; v->n_rules < pset->n_policies; v->n_rules++)
		if (rule_build(live, &pset->policies[v->n_rules], &v->rules[v->n_rules]) < 0) {
			free(v->rules[v->n_rules].origin); /* the view frees the complete ones */
			return -ENOMEM;
		}
	return 0;
}

struct egw_observer_view *egw_observer_view_build(const struct egw_conf *live, uint64_t generation,
	const char *config_sha256, const struct egw_reload_result *last_reload,
	const struct egw_policy_set *pset)
{
	const unsigned n = live->n_pools;
	struct egw_observer_view *v =
		malloc(offsetof(struct egw_observer_view, pools) + n * sizeof(v->pools[0]));

	if (!v)
		return NULL;
	v->generation = generation;
	snprintf(v->config_sha256, sizeof(v->config_sha256), "%s", config_sha256);
	v->mode = live->egress.mode;
	v->revalidate = live->egress.revalidate;
	memcpy(v->default_pool, live->egress.default_pool, sizeof(v->default_pool));
	v->timeouts[0] = live->flows.tcp_syn;
	v->timeouts[1] = live->flows.tcp_established;
	v->timeouts[2] = live->flows.tcp_transitory;
	v->timeouts[3] = live->flows.udp;
	v->timeouts[4] = live->flows.icmp;
	v->last_reload = *last_reload;
	v->n_pools = n;
	memcpy(v->pools, live->pools, n * sizeof(v->pools[0]));
	v->n_rules = 0;
	v->rules = NULL;
	if (rules_build(v, live, pset) < 0) {
		egw_observer_view_free(v);
		return NULL;
	}
	return v;
}

void egw_observer_view_free(void *view)
{
	struct egw_observer_view *v = view;

	if (!v)
		return;
	for (unsigned i = 0; i < v->n_rules; i++)
		free(v->rules[i].origin);
	free(v->rules);
	free(v);
}

int egw_observer_init(struct egw_rcu *rcu)
{
	return egw_rcu_init(rcu, EGW_OBSERVER_READERS, egw_observer_view_free);
}

void egw_reload_summary(const struct egw_reload_result *r, char *out, size_t len)
{
	if (!r->done)
		snprintf(out, len, "none");
	else if (r->ok)
		snprintf(out, len, "ok: generation %llu, %u policies",
			(unsigned long long)r->generation, r->n_policies);
	else
		snprintf(out, len, "error: %u problem(s), running policy kept; first: %s",
			r->n_errors, r->first_error);
}
