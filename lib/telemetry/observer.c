/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "observer.h"

struct egw_observer_view *egw_observer_view_build(const struct egw_conf *live, uint64_t generation,
	const char *config_sha256, const struct egw_reload_result *last_reload)
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
	return v;
}

void egw_observer_view_free(void *view)
{
	free(view);
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
