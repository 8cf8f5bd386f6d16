/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What runs, and how it changes: the first generation at start, a reload (SIGHUP, "reload")
 * and a mode change ("mode X") each compile the live configuration into a snapshot for the
 * workers and publish a matching observer view for telemetry and metrics. The configuration
 * in force is replaced whole, never edited under a reader. Control thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>

#include "app.h"
#include "common/log.h"
#include "common/time_fmt.h"
#include "telemetry/telemetry.h"

/* Publishes the observer view of the live configuration at the current generation. */
static void publish_view(struct egw_app *app)
{
	struct egw_observer_view *v = egw_observer_view_build(app->live, app->generation,
		app->config_sha256, &app->last_reload, &app->pset);

	/* Telemetry goes on showing the previous view: better stale than a failed reload. */
	if (!v || egw_rcu_publish(&app->observer, v) < 0) {
		EGW_WARN("observer view of generation %llu not published",
			(unsigned long long)app->generation);
		egw_observer_view_free(v);
	}
}

/* Compiles CONF + PSET into the next generation and publishes it. 0 or -errno. */
static int publish(struct egw_app *app, const struct egw_conf *conf,
	const struct egw_policy_set *pset)
{
	struct egw_snapshot_inputs in = { .conf = conf,
		.policies = pset,
		.port_ids = app->port_ids,
		.slots = &app->slots,
		.generation = app->generation + 1,
		/* tls/http policies: lib/pipeline/host_pending.c */
		.host_policies = true };
	struct egw_snapshot *snap = egw_snapshot_compile(&in);
	int rc;

	if (!snap)
		return -rte_errno;
	/* The control thread is the only writer: reading the current snapshot is safe here. */
	egw_snapshot_chain(snap, egw_snapshot_current(egw_dataplane_rcu(app->dp)));
	rc = egw_rcu_publish(egw_dataplane_rcu(app->dp), snap);
	if (rc < 0) {
		/* Generations replaced long ago still wait for a worker that stopped reporting
		 * quiescent states: never free under it, nor pile up more. */
		EGW_WARN("publish: a worker has stalled; generation %llu stays",
			(unsigned long long)app->generation);
		egw_snapshot_free(snap);
		return rc;
	}
	app->generation++;
	return 0;
}

int egw_publish_first(struct egw_app *app)
{
	int rc = egw_observer_init(&app->observer);

	if (rc < 0)
		return rc;
	app->live = malloc(sizeof(*app->live));
	if (!app->live)
		return -ENOMEM;
	*app->live = app->conf;
	rc = publish(app, app->live, &app->pset);
	if (rc < 0) {
		EGW_ERR("cannot compile the policies: %s", strerror(-rc));
		return rc;
	}
	publish_view(app);
	return 0;
}

void egw_publish_fini(struct egw_app *app)
{
	egw_rcu_fini(&app->observer);
	free(app->live);
	app->live = NULL;
}

/* A rejected reload: the errors to OUT and the log, the first one whole to /egw/info. */
static void reload_rejected(struct egw_app *app, const struct egw_conf_errors *errs, int rc,
	char *out, size_t len)
{
	struct egw_reload_result *r = &app->last_reload;
	size_t used = (size_t)snprintf(out, len,
		"ERROR reload rejected, running policy kept "
		"(generation %llu):\n",
		(unsigned long long)app->generation);

	*r = (struct egw_reload_result){ .done = true,
		.time_ms = egw_wall_ms(),
		.generation = app->generation,
		.n_errors = errs->n ? errs->n : 1,
		.n_policies = app->pset.n_policies };
	if (errs->n)
		snprintf(r->first_error, sizeof(r->first_error), "%s:%d: %s", errs->items[0].file,
			errs->items[0].line, errs->items[0].msg);
	else
		snprintf(r->first_error, sizeof(r->first_error), "%s: %s", app->conf.path,
			strerror(-rc));
	for (unsigned i = 0; i < errs->n; i++) {
		EGW_ERR("reload rejected: %s:%d: %s", errs->items[i].file, errs->items[i].line,
			errs->items[i].msg);
		if (used < len)
			used += (size_t)snprintf(out + used, len - used, "%s:%d: %s\n",
				errs->items[i].file, errs->items[i].line, errs->items[i].msg);
	}
	if (!errs->n && used < len)
		snprintf(out + used, len - used, "%s\n", r->first_error);
	publish_view(app);
}

/*
 * SIGHUP or "reload": re-read the configuration and the policy files and publish what can
 * change live (mode, pools, policies). A file with errors changes nothing: the errors are
 * reported (OUT, the log, /egw/info) and the running snapshot stays.
 */
int egw_publish_reload(struct egw_app *app, char *out, size_t len)
{
	struct egw_conf *next = calloc(1, sizeof(*next));
	struct egw_conf_errors errs = { 0 };
	struct egw_policy_set pset = { 0 };
	int rc;

	if (!next) {
		snprintf(out, len, "ERROR out of memory\n");
		return -ENOMEM;
	}
	egw_notify_reloading();
	rc = egw_conf_load(app->conf.path, next, &errs);
	if (rc == 0)
		rc = egw_policy_load(next, &pset, &errs);
	if (rc == 0) {
		/* Only what can change live is taken over: ports, [dpdk], [flows] and [tunnel] of
		 * the next file wait for a restart, so they stay as started (policies name the
		 * ports the data plane has). */
		next->n_ports = app->conf.n_ports;
		memcpy(next->ports, app->conf.ports, sizeof(next->ports));
		next->dpdk = app->conf.dpdk;
		next->flows = app->conf.flows;
		next->tunnel = app->conf.tunnel;
		rc = publish(app, next, &pset);
	}
	if (rc < 0) {
		reload_rejected(app, &errs, rc, out, len);
		goto done;
	}
	free(app->live);
	app->live = next;
	next = NULL;
	egw_names_reload(app, app->live); /* new limits; what was learned stays */
	egw_policy_set_free(&app->pset);
	app->pset = pset;
	memset(&pset, 0, sizeof(pset));
	if (egw_sha256_file(app->conf.path, app->config_sha256) < 0)
		snprintf(app->config_sha256, sizeof(app->config_sha256), "unreadable");
	app->last_reload = (struct egw_reload_result){ .done = true,
		.ok = true,
		.time_ms = egw_wall_ms(),
		.generation = app->generation,
		.n_policies = app->pset.n_policies };
	publish_view(app);
	snprintf(out, len, "OK reloaded: generation %llu, mode %s, %u policies, %u groups\n",
		(unsigned long long)app->generation, egw_mode_name(app->live->egress.mode),
		app->pset.n_policies, app->pset.n_groups);
	{
		char summary[64];
		egw_reload_summary(&app->last_reload, summary, sizeof(summary));
		EGW_INFO("%s", summary);
	}
done:
	/* Rejected or not, the daemon runs (the old policy when rejected): READY again. */
	egw_notify_ready(app);
	egw_policy_set_free(&pset);
	egw_conf_errors_free(&errs);
	free(next);
	return rc;
}

/* "mode X": the live configuration with another mode, until the next reload. */
int egw_publish_mode(struct egw_app *app, enum egw_mode mode, char *out, size_t len)
{
	enum egw_mode old = app->live->egress.mode;
	struct egw_conf *next;
	int rc;

	if (mode == EGW_MODE_PASSTHROUGH && !app->live->egress.default_pool[0]) {
		snprintf(out, len, "ERROR mode passthrough needs [egress] default_pool\n");
		return -EINVAL;
	}
	next = malloc(sizeof(*next));
	if (!next) {
		snprintf(out, len, "ERROR mode unchanged (%s): out of memory\n",
			egw_mode_name(old));
		return -ENOMEM;
	}
	*next = *app->live;
	next->egress.mode = mode;
	rc = publish(app, next, &app->pset);
	if (rc < 0) {
		free(next);
		snprintf(out, len, "ERROR mode unchanged (%s): %s\n", egw_mode_name(old),
			strerror(-rc));
		return rc;
	}
	free(app->live);
	app->live = next;
	publish_view(app);
	snprintf(out, len, "OK mode %s (was %s), generation %llu\n", egw_mode_name(mode),
		egw_mode_name(old), (unsigned long long)app->generation);
	EGW_INFO("mode %s (was %s), generation %llu", egw_mode_name(mode), egw_mode_name(old),
		(unsigned long long)app->generation);
	egw_notify_status(app);
	return 0;
}

int egw_publish_reload_op(void *app, char *out, size_t len)
{
	return egw_publish_reload(app, out, len);
}

int egw_publish_mode_op(void *app, enum egw_mode mode, char *out, size_t len)
{
	return egw_publish_mode(app, mode, out, len);
}
