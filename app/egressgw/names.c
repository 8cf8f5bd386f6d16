/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Names learned from DNS (lib/names), the control thread's part: each loop drains the
 * workers' journals into the table, and at most every EGW_NAMES_PUBLISH_MS a new view goes to
 * the workers (their RCU point, beside the policy snapshot) and to telemetry (/egw/names,
 * egwctl names: a point of occasional readers holding another reference). The table outlives
 * reloads: a reload only sets new limits.
 */
#include <errno.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_random.h>

#include "app.h"
#include "common/log.h"
#include "names/names.h"

static struct egw_names_limits limits_of(const struct egw_conf *c)
{
	return (struct egw_names_limits){ c->egress.dns_min_ttl, c->egress.dns_max_per_name,
		c->egress.dns_max_entries };
}

int egw_names_start(struct egw_app *app)
{
	const struct egw_names_limits lim = limits_of(app->live ? app->live : &app->conf);
	int rc;

	app->names = egw_names_table_create(&lim, rte_rand());
	if (!app->names)
		return -rte_errno;
	rc = egw_rcu_init(&app->names_view, EGW_OBSERVER_READERS, egw_names_view_put);
	if (rc < 0) {
		egw_names_table_free(app->names);
		app->names = NULL;
	}
	return rc;
}

void egw_names_stop(struct egw_app *app)
{
	if (!app->names)
		return;
	egw_rcu_fini(&app->names_view);
	egw_names_table_free(app->names);
	app->names = NULL;
}

void egw_names_reload(struct egw_app *app, const struct egw_conf *live)
{
	const struct egw_names_limits lim = limits_of(live);

	if (app->names)
		egw_names_table_set_limits(app->names, &lim);
}

#define STORE(field, v) __atomic_store_n(&app->names_tel.field, (v), __ATOMIC_RELAXED)

/* What telemetry and metrics show of the table: copied here, never read there. */
static void export_counters(struct egw_app *app)
{
	struct egw_names_journal *j[EGW_MAX_WORKERS];
	unsigned n = egw_dataplane_names_journals(app->dp, j);
	struct egw_names_stats st;
	uint64_t dropped = 0;

	egw_names_table_stats(app->names, &st);
	for (unsigned i = 0; i < n; i++)
		dropped += egw_names_journal_dropped(j[i]);
	STORE(learned, st.learned);
	STORE(refreshed, st.refreshed);
	STORE(expired, st.expired);
	STORE(evicted_name, st.evicted_name);
	STORE(evicted_total, st.evicted_total);
	STORE(journal_dropped, dropped);
	STORE(views, st.views);
	STORE(names, st.names);
	STORE(entries, st.entries);
	STORE(bytes, (uint64_t)st.bytes);
}

/* Hands view V to the workers and to telemetry. */
static void publish_view(struct egw_app *app, struct egw_names_view *v)
{
	if (egw_rcu_publish(egw_dataplane_names_rcu(app->dp), v) < 0) {
		/* A worker stalled: the next step builds another view. */
		egw_names_view_free(v);
		return;
	}
	egw_names_view_ref(v);
	if (egw_rcu_publish(&app->names_view, v) < 0)
		egw_names_view_free(v);
}

unsigned egw_names_poll(struct egw_app *app, uint64_t now_ms)
{
	struct egw_names_journal *j[EGW_MAX_WORKERS];
	unsigned n = egw_dataplane_names_journals(app->dp, j);
	const uint64_t tsc = rte_get_tsc_cycles();
	struct egw_names_view *v;
	uint64_t cycles;

	/* The workers' clock: seconds of TSC (worker_loop.c). */
	v = egw_names_step(app->names, j, n, (uint32_t)(tsc / rte_get_tsc_hz()), now_ms,
		&app->names_step);
	if (!v)
		return 0;
	publish_view(app, v);
	cycles = rte_get_tsc_cycles() - tsc;
	STORE(publish_us_last, cycles * 1000000 / rte_get_tsc_hz());
	return 1;
}

void egw_names_timer(struct egw_app *app)
{
	egw_rcu_reclaim(egw_dataplane_names_rcu(app->dp));
	egw_rcu_reclaim(&app->names_view);
	export_counters(app);
}
