/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_OBSERVER_H
#define EGW_OBSERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/rcu.h"
#include "conf/conf.h"
#include "conf/policy_conf.h"

/*
 * What observers (telemetry, metrics, later the tunnel service) read of the running
 * configuration: one immutable object the control thread builds after each publication
 * (start, reload, mode) and publishes through an egw_rcu of occasional readers. Nothing here
 * is rewritten under a reader; the configuration the daemon loaded at start is never rewritten
 * either.
 */
#define EGW_OBSERVER_READERS 64 /* telemetry clients and metrics connections at once */

/* The outcome of the last reload (SIGHUP or "egwctl reload"). */
struct egw_reload_result {
	bool done; /* false until the first reload */
	bool ok;
	int64_t time_ms;     /* wall clock, Unix milliseconds */
	uint64_t generation; /* in force after it */
	unsigned n_errors;
	unsigned n_policies;
	char first_error[EGW_PATH_MAX + 512]; /* "FILE:LINE: message", whole; "" when ok */
};

/* A policy of the running generation as an operator reads it (/egw/policies,NAME). */
struct egw_observer_rule {
	char name[EGW_NAME_MAX];
	enum egw_policy_action action;
	enum egw_policy_proto proto;
	int32_t priority;
	char pool[EGW_NAME_MAX]; /* "" for deny; "none": routed without translation */
	char via[EGW_NAME_MAX];	 /* the exit port; "" for the default route */
	/* One allocation (about 200 bytes a policy; 100k policies take 0.2-0.3 s): ORIGIN, the
	 * "FILE:LINE" of its [policy NAME] line, then TEXT, its keys as INI lines
	 * (egw_conf_dump_policy_keys). */
	char *origin;
	const char *text;
};

struct egw_observer_view {
	unsigned n_rules;
	struct egw_observer_rule *rules; /* the policies in force, in reading order */
	uint64_t generation;
	char config_sha256[65]; /* of the file as last loaded (start or reload) */
	enum egw_mode mode;
	enum egw_revalidate revalidate;
	char default_pool[EGW_NAME_MAX];
	uint32_t timeouts[5]; /* tcp_syn, tcp_established, tcp_transitory, udp, icmp (seconds) */
	struct egw_reload_result last_reload;
	unsigned n_pools;
	struct egw_pool_conf pools[]; /* n_pools */
};

/* The view of LIVE (egress settings and pools in force) and the policies of PSET (may be
 * NULL) at GENERATION. NULL when out of memory. */
struct egw_observer_view *egw_observer_view_build(const struct egw_conf *live, uint64_t generation,
	const char *config_sha256, const struct egw_reload_result *last_reload,
	const struct egw_policy_set *pset);
/* egw_rcu free function. */
void egw_observer_view_free(void *view);

/* The publication point, for occasional readers. 0 or -errno. */
int egw_observer_init(struct egw_rcu *rcu);

/* "ok: generation 4, 12 policies" / "error: 2 problem(s), running policy kept; first: ..." /
 * "none": the one-line summary /egw/info has always shown. */
void egw_reload_summary(const struct egw_reload_result *r, char *out, size_t len);

#endif
