/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Incremental re-check of established flows after a reload.
 *
 * A flow allowed under the previous epoch had a best match B that allows (or none, in
 * passthrough). The next snapshot refuses it only if its best match there denies, or it has
 * none in policy mode. With the mode unchanged, every allow policy of before still there
 * unchanged (rules, priority, action), and the unchanged policies in the same file order:
 *  - B still matches and still outranks every deny policy that did not change, so a refusing
 *    best match can only be a deny policy that is new or changed;
 *  - in policy mode B still matches, so "no match" cannot happen.
 * Hence such a flow needs a classifier lookup only if it matches a rule of a new or changed
 * deny policy: the delta. Anything else (an allow policy removed or edited, the mode, the
 * order) and every flow is looked up again.
 */
#include <stdlib.h>
#include <string.h>

#include "classifier.h"
#include "host_rules.h"
#include "snapshot.h"

/* More delta rules than this and a linear match per flow stops being cheaper than a lookup. */
#define DELTA_MAX_RULES 64

struct order_pair {
	uint32_t next_order, prev_order;
};

static int cmp_next_order(const void *a, const void *b)
{
	const struct order_pair *x = a, *y = b;

	return x->next_order < y->next_order ? -1 : x->next_order > y->next_order;
}

static uint32_t max_slot(const struct egw_snapshot *s, uint32_t m)
{
	for (unsigned i = 0; i < s->n_policies; i++)
		if (s->policies[i].slot > m)
			m = s->policies[i].slot;
	return m;
}

/* Policy J of NEXT is the same, for admission, as a policy of PREV (by slot, i.e. name). */
static bool unchanged(const struct egw_snapshot *next, unsigned j, const struct egw_snapshot *prev,
	const uint32_t *prev_of_slot)
{
	uint32_t i = prev_of_slot[next->policies[j].slot];

	return i && prev->policies[i - 1].decision_hash == next->policies[j].decision_hash;
}

/* Every allow policy of PREV is in NEXT unchanged, and the unchanged policies keep their file
 * order. */
static bool allows_kept_in_order(const struct egw_snapshot *next, const struct egw_snapshot *prev,
	const uint32_t *prev_of_slot, const uint32_t *next_of_slot)
{
	struct order_pair *pairs = calloc(prev->n_policies + 1, sizeof(*pairs));
	unsigned n = 0;
	bool ok = pairs != NULL;

	for (unsigned i = 0; ok && i < prev->n_policies; i++) {
		const struct egw_policy_rt *p = &prev->policies[i];
		uint32_t j = next_of_slot[p->slot];
		bool same = j && unchanged(next, j - 1, prev, prev_of_slot);

		if (!same && p->action == EGW_ACTION_ALLOW)
			ok = false;
		else if (same)
			pairs[n++] = (struct order_pair){ next->policies[j - 1].order, p->order };
	}
	if (ok) {
		qsort(pairs, n, sizeof(*pairs), cmp_next_order);
		for (unsigned k = 1; ok && k < n; k++)
			ok = pairs[k - 1].prev_order < pairs[k].prev_order;
	}
	free(pairs);
	return ok;
}

/* The classifiers holding every policy's rules once: the tuple policies', the DNS host
 * policies' and the tls/http policies' tuple parts (host_rules.h). */
static unsigned all_classifiers(const struct egw_snapshot *s, const struct egw_classifier *c[4])
{
	unsigned n = 0;

	if (s->cls)
		c[n++] = s->cls;
	if (s->host && s->host->dns)
		c[n++] = s->host->dns;
	for (unsigned i = 0; s->host && i < EGW_L7_N; i++)
		if (s->host->l7[i])
			c[n++] = s->host->l7[i];
	return n;
}

/* Is rule R of a deny policy of NEXT that is new or changed since PREV? */
static bool in_delta(const struct egw_snapshot *next, const struct egw_cls_rule *r,
	const struct egw_snapshot *prev, const uint32_t *prev_of_slot)
{
	return egw_action_refuses(next->policies[r->id].action) &&
	       !unchanged(next, r->id, prev, prev_of_slot);
}

/*
 * Copies the rules of NEXT's new or changed deny policies into NEXT->delta. A host policy's
 * rules are its tuple part: a flow that matches none of them cannot be refused by it,
 * whatever its name.
 */
static bool collect_delta(struct egw_snapshot *next, const struct egw_snapshot *prev,
	const uint32_t *prev_of_slot)
{
	const struct egw_classifier *cls[4];
	unsigned n_cls = all_classifiers(next, cls);
	uint32_t n = 0;

	for (unsigned c = 0; c < n_cls; c++) {
		uint32_t n_rules;
		const struct egw_cls_rule *rules = egw_cls_rules(cls[c], &n_rules);

		for (uint32_t r = 0; r < n_rules; r++)
			n += in_delta(next, &rules[r], prev, prev_of_slot);
	}
	if (n > DELTA_MAX_RULES)
		return false;
	next->delta = calloc(n ? n : 1, sizeof(*next->delta));
	if (!next->delta)
		return false;
	for (unsigned c = 0; c < n_cls; c++) {
		uint32_t n_rules;
		const struct egw_cls_rule *rules = egw_cls_rules(cls[c], &n_rules);

		for (uint32_t r = 0; r < n_rules; r++)
			if (in_delta(next, &rules[r], prev, prev_of_slot))
				next->delta[next->n_delta++] = rules[r];
	}
	return true;
}

void egw_snapshot_delta(struct egw_snapshot *next, const struct egw_snapshot *prev)
{
	uint32_t slots = max_slot(prev, max_slot(next, 0)) + 1;
	uint32_t *prev_of_slot, *next_of_slot;

	next->delta_ok = false;
	/* ech = deny refuses flows no deny rule names: every flow is looked at again. */
	if (next->mode != prev->mode || next->mode == EGW_MODE_DENY || next->ech != prev->ech)
		return;
	prev_of_slot = calloc(slots, sizeof(uint32_t));
	next_of_slot = calloc(slots, sizeof(uint32_t));
	if (prev_of_slot && next_of_slot) {
		/* Index + 1 per slot; 0: no such policy. */
		for (unsigned i = 0; i < prev->n_policies; i++)
			prev_of_slot[prev->policies[i].slot] = i + 1;
		for (unsigned j = 0; j < next->n_policies; j++)
			next_of_slot[next->policies[j].slot] = j + 1;
		if (allows_kept_in_order(next, prev, prev_of_slot, next_of_slot) &&
			collect_delta(next, prev, prev_of_slot)) {
			next->delta_ok = true;
			next->delta_from = prev->epoch;
		}
	}
	free(prev_of_slot);
	free(next_of_slot);
}
