/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "flows_ask.h"

#define ACQUIRE_MS 1000 /* another asker (telemetry, control socket) may hold a mailbox */
#define PICKUP_MS 1000	/* a running worker picks a request up within one loop */

static int resolve_policy(const struct egw_policy_slots *slots, struct egw_flow_filter *f,
	char *err, size_t errlen)
{
	uint32_t n = __atomic_load_n(&slots->next, __ATOMIC_ACQUIRE);

	for (uint32_t i = 0; i < n; i++)
		if (strcmp(slots->names[i], f->policy_name) == 0) {
			f->policy_slot = i;
			return 0;
		}
	snprintf(err, errlen, "no policy named '%s' (\"(mode)\": flows the mode admitted)",
		f->policy_name);
	return -ENOENT;
}

/* Reads one worker's answer out of its mailbox MB (it is released after). */
typedef void (*collect_fn)(void *ans, unsigned worker, const struct egw_mailbox *mb);

/*
 * Posts OP (with FLT for a flow request) to every worker at once (a page, FLT's from: to
 * its worker and the ones after, from its record on), then reads the answers in worker
 * order through COLLECT. IDLE/CTX: see egw_mailbox_wait. 0, or -errno with ERR set.
 */
static int ask_workers(struct egw_dataplane *dp, enum egw_mbox_op op,
	const struct egw_flow_filter *flt, collect_fn collect, void *ans, void (*idle)(void *),
	void *ctx, char *err, size_t errlen)
{
	const bool paged = flt && flt->from_on;
	/* A page from worker W on: the workers before W are done with. */
	const unsigned first = paged ? EGW_FLOW_POS_WORKER(flt->from) : 0;
	unsigned posted = first;
	int rc = 0;

	for (; posted < egw_dataplane_n_workers(dp); posted++) {
		struct egw_mailbox *mb = egw_worker_mailbox(egw_dataplane_worker(dp, posted));
		uint32_t start = posted == first && paged ? EGW_FLOW_POS_RECORD(flt->from) : 0;

		if (egw_mailbox_acquire(mb, ACQUIRE_MS) < 0) {
			snprintf(err, errlen, "worker %u is busy with another request; retry",
				posted);
			rc = -EBUSY;
			break;
		}
		mb->op = op;
		if (flt)
			mb->filter = *flt;
		egw_mailbox_post(mb, start);
	}
	for (unsigned i = first; i < posted; i++) {
		struct egw_mailbox *mb = egw_worker_mailbox(egw_dataplane_worker(dp, i));
		int wrc = egw_mailbox_wait(mb, PICKUP_MS, idle, ctx);
		if (wrc < 0) {
			if (rc == 0)
				snprintf(err, errlen, "worker %u did not answer (not running?)", i);
			rc = rc ? rc : wrc;
			continue;
		}
		collect(ans, i, mb);
		egw_mailbox_release(mb);
	}
	return rc;
}

static void collect_flows(void *answer, unsigned worker, const struct egw_mailbox *mb)
{
	struct egw_flows_answer *ans = answer;

	ans->matched += mb->matched;
	for (uint32_t k = 0; k < mb->n_listed && ans->n < ans->limit; k++) {
		ans->flows[ans->n].worker = worker;
		ans->flows[ans->n++].d = mb->listed[k];
	}
	/* A full page goes on after its last flow; one short of LIMIT was the last. */
	if (ans->paged && ans->n == ans->limit && !ans->next)
		ans->next = EGW_FLOW_POS(worker, ans->flows[ans->n - 1].d.record + 1);
}

int egw_flows_ask(struct egw_dataplane *dp, const struct egw_policy_slots *slots,
	const char *filter, enum egw_mbox_op op, struct egw_flows_answer *ans, void (*idle)(void *),
	void *ctx, char *err, size_t errlen)
{
	struct egw_flow_filter flt;
	int rc;

	memset(ans, 0, sizeof(*ans));
	rc = egw_flow_filter_parse(filter, &flt, err, errlen);
	if (rc == 0 && flt.policy_on)
		rc = resolve_policy(slots, &flt, err, errlen);
	if (rc < 0)
		return rc;
	ans->limit = flt.limit;
	ans->paged = flt.from_on;
	return ask_workers(dp, op, &flt, collect_flows, ans, idle, ctx, err, errlen);
}

/* Every worker's first sources, before they are summed by address. */
struct sources_collected {
	unsigned n;
	struct egw_source_slot all[EGW_MAX_WORKERS * EGW_MBOX_TOP_SOURCES];
};

/* Adds each of a worker's first sources to the sums: its address' entry, or a new one. */
static void collect_sources(void *answer, unsigned worker, const struct egw_mailbox *mb)
{
	struct sources_collected *c = answer;

	(void)worker;
	for (uint32_t k = 0; k < mb->n_top; k++) {
		unsigned i = 0;
		while (i < c->n && c->all[i].addr != mb->top[k].addr)
			i++;
		if (i == c->n)
			c->all[c->n++] = (struct egw_source_slot){ .addr = mb->top[k].addr };
		c->all[i].flows += mb->top[k].flows;
	}
}

int egw_sources_ask(struct egw_dataplane *dp, struct egw_sources_answer *ans, char *err,
	size_t errlen)
{
	struct sources_collected c = { .n = 0 };
	int rc = ask_workers(dp, EGW_MBOX_SOURCES, NULL, collect_sources, &c, NULL, NULL, err,
		errlen);

	memset(ans, 0, sizeof(*ans));
	for (unsigned i = 0; i < c.n; i++)
		egw_source_top_insert(ans->top, &ans->n, EGW_MBOX_TOP_SOURCES, c.all[i]);
	return rc;
}
