/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOWLOG_DENY_H
#define EGW_FLOWLOG_DENY_H

#include <stdbool.h>
#include <stdint.h>

#include "hostname/hostname.h"
#include "pipeline/flow_events.h"

/*
 * Deny noise, on the control thread where records are formatted (the workers pay nothing
 * more than the record they emit anyway): a refused connection retries its SYN, a blocked
 * host retries its query, and each would be a line. Denies of the same (source, destination,
 * destination port, protocol, reason, policy, host name) within EGW_DENY_WINDOW_MS of the first are held
 * and written once, with their count. Then at most EGW_DENY_PER_S deny records are written
 * per second; the rest are dropped and counted (flow_log_deny_dropped).
 */
#define EGW_DENY_WINDOW_MS 1000
#define EGW_DENY_PER_S 1000
#define EGW_DENY_SLOTS 512 /* distinct denies held at once; more are written at once */

struct egw_deny_held {
	struct egw_flowlog_rec rec;	 /* the first of them */
	int64_t first_ms;		 /* its wall-clock time */
	uint32_t count;			 /* 0: the slot is free */
	char name[EGW_HOSTNAME_MAX + 1]; /* the host name its records follow with, "" if none */
};

struct egw_deny_agg {
	struct egw_deny_held held[EGW_DENY_SLOTS];
	unsigned n_held;
	int64_t second;	  /* the rate limit's current second (ms / 1000) */
	unsigned written; /* deny records let through in it */
};

/*
 * Deny record R (with host name NAME, NULL when none) at wall-clock TIME_MS: true when held (a repeat, counted, or the first of its
 * key); false when there is no room: the caller writes it at once (count 1).
 */
bool egw_deny_agg_add(struct egw_deny_agg *a, const struct egw_flowlog_rec *r, const char *name,
	int64_t time_ms);

/* What a closed window gives: the first record, its host name (NULL when none), its time, how
 * many it stands for. */
typedef void (*egw_deny_emit_fn)(void *ctx, const struct egw_flowlog_rec *r, const char *name,
	int64_t time_ms, uint32_t count);

/* Emits every held deny whose window closed by NOW_MS (every one with ALL); returns how many. */
unsigned egw_deny_agg_expire(struct egw_deny_agg *a, int64_t now_ms, bool all, egw_deny_emit_fn fn,
	void *ctx);

/* May a deny record be written at NOW_MS? Counts it when so (EGW_DENY_PER_S per second). */
bool egw_deny_rate_take(struct egw_deny_agg *a, int64_t now_ms);

#endif
