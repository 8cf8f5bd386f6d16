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

int egw_flows_ask(struct egw_dataplane *dp, const struct egw_policy_slots *slots,
	const char *filter, enum egw_mbox_op op, struct egw_flows_answer *ans, void (*idle)(void *),
	void *ctx, char *err, size_t errlen)
{
	struct egw_flow_filter flt;
	unsigned posted, first;
	int rc;

	memset(ans, 0, sizeof(*ans));
	rc = egw_flow_filter_parse(filter, &flt, err, errlen);
	if (rc == 0 && flt.policy_on)
		rc = resolve_policy(slots, &flt, err, errlen);
	if (rc < 0)
		return rc;
	ans->limit = flt.limit;
	ans->paged = flt.from_on;
	/* A page from worker W on: the workers before W are done with. */
	first = flt.from_on ? EGW_FLOW_POS_WORKER(flt.from) : 0;
	posted = first;
	/* All workers search at once; then the answers are read in worker order. */
	for (; posted < egw_dataplane_n_workers(dp); posted++) {
		struct egw_mailbox *mb = egw_worker_mailbox(egw_dataplane_worker(dp, posted));
		uint32_t start = posted == first && flt.from_on ? EGW_FLOW_POS_RECORD(flt.from) : 0;

		if (egw_mailbox_acquire(mb, ACQUIRE_MS) < 0) {
			snprintf(err, errlen, "worker %u is busy with another flow request; retry",
				posted);
			rc = -EBUSY;
			break;
		}
		mb->op = op;
		mb->filter = flt;
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
		ans->matched += mb->matched;
		for (uint32_t k = 0; k < mb->n_listed && ans->n < flt.limit; k++) {
			ans->flows[ans->n].worker = i;
			ans->flows[ans->n++].d = mb->listed[k];
		}
		/* A full page goes on after its last flow; one short of LIMIT was the last. */
		if (flt.from_on && ans->n == flt.limit && !ans->next)
			ans->next = EGW_FLOW_POS(i, ans->flows[ans->n - 1].d.record + 1);
		egw_mailbox_release(mb);
	}
	return rc;
}
