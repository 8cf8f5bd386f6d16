/* SPDX-License-Identifier: BSD-3-Clause */
/* The control loop's part: merge what the workers learned, expire, and pace the views. */
#include "names_internal.h"

struct egw_names_view *egw_names_step(struct egw_names_table *t, struct egw_names_journal *const *j,
	unsigned n, uint32_t now, uint64_t now_ms, struct egw_names_step *st)
{
	unsigned budget = EGW_NAMES_STEP_RECORDS;
	struct egw_names_view *v;

	/* Round-robin in slices, so that one busy worker cannot starve the others' journals. */
	for (unsigned done = 1; done && budget;) {
		done = 0;
		for (unsigned i = 0; i < n && budget; i++) {
			unsigned k = egw_names_journal_drain(j[i], t, budget < 256 ? budget : 256);

			done += k;
			budget -= k;
		}
	}
	egw_names_table_expire(t, now, EGW_NAMES_STEP_EXPIRE);
	if (!egw_names_table_due(t, now) ||
		(st->last_view_ms && now_ms - st->last_view_ms < EGW_NAMES_PUBLISH_MS))
		return NULL;
	v = egw_names_table_view(t, st->generation + 1, now);
	if (v) {
		st->generation++;
		st->last_view_ms = now_ms;
	}
	return v;
}
