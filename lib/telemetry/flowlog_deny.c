/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include <rte_hash_crc.h>

#include "flowlog_deny.h"

static bool same_key(const struct egw_deny_held *h, const struct egw_flowlog_rec *b,
	const char *name)
{
	const struct egw_flowlog_rec *a = &h->rec;

	return a->src == b->src && a->dst == b->dst && a->dport == b->dport &&
	       a->proto == b->proto && a->reason == b->reason && a->policy == b->policy &&
	       a->name_flags == b->name_flags && a->state == b->state && /* drop, reject */
	       strcmp(h->name, name ? name : "") == 0;
}

static uint32_t key_hash(const struct egw_flowlog_rec *r)
{
	uint32_t h = rte_hash_crc_4byte(r->src, 0);

	h = rte_hash_crc_4byte(r->dst, h);
	h = rte_hash_crc_4byte((uint32_t)r->dport << 16 | (uint32_t)r->proto << 8 | r->reason, h);
	return rte_hash_crc_4byte(r->policy, h);
}

bool egw_deny_agg_add(struct egw_deny_agg *a, const struct egw_flowlog_rec *r, const char *name,
	int64_t time_ms)
{
	uint32_t i = key_hash(r) % EGW_DENY_SLOTS;

	/* Linear probing over a table that expiry empties every second: short runs. */
	for (unsigned n = 0; n < EGW_DENY_SLOTS; n++, i = (i + 1) % EGW_DENY_SLOTS) {
		struct egw_deny_held *h = &a->held[i];

		if (!h->count) {
			if (a->n_held >= EGW_DENY_SLOTS * 3 / 4)
				return false; /* nearly full: probing would get long */
			h->rec = *r;
			h->first_ms = time_ms;
			h->count = 1;
			snprintf(h->name, sizeof(h->name), "%s", name ? name : "");
			a->n_held++;
			return true;
		}
		/* Within the window of the one held: one more of it. A later one (a record
		 * drained late) waits for the held one to be written, in its own slot. */
		if (same_key(h, r, name) && time_ms - h->first_ms < EGW_DENY_WINDOW_MS) {
			h->count++;
			return true;
		}
	}
	return false;
}

/*
 * Removal from a linear-probing table without tombstones: the entries after the hole that
 * would no longer be found move back into it (Knuth 6.4, algorithm R).
 */
static void remove_at(struct egw_deny_agg *a, uint32_t hole)
{
	uint32_t j = hole;

	a->held[hole].count = 0;
	a->n_held--;
	for (;;) {
		uint32_t home;

		j = (j + 1) % EGW_DENY_SLOTS;
		if (!a->held[j].count)
			return;
		home = key_hash(&a->held[j].rec) % EGW_DENY_SLOTS;
		/* Stays when its home lies cyclically in (hole, j]. */
		if (hole <= j ? (hole < home && home <= j) : (hole < home || home <= j))
			continue;
		a->held[hole] = a->held[j];
		a->held[j].count = 0;
		hole = j;
	}
}

unsigned egw_deny_agg_expire(struct egw_deny_agg *a, int64_t now_ms, bool all, egw_deny_emit_fn fn,
	void *ctx)
{
	unsigned n = 0;

	for (uint32_t i = 0; a->n_held && i < EGW_DENY_SLOTS; i++) {
		struct egw_deny_held h = a->held[i];

		if (!h.count || (!all && now_ms - h.first_ms < EGW_DENY_WINDOW_MS))
			continue;
		remove_at(a, i);
		fn(ctx, &h.rec, h.name[0] ? h.name : NULL, h.first_ms, h.count);
		n++;
		i--; /* another entry may have moved into slot i */
	}
	return n;
}

bool egw_deny_rate_take(struct egw_deny_agg *a, int64_t now_ms)
{
	if (now_ms / 1000 != a->second) {
		a->second = now_ms / 1000;
		a->written = 0;
	}
	if (a->written >= EGW_DENY_PER_S)
		return false;
	a->written++;
	return true;
}
