/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The names flows were admitted with (host_side.h): slots of a bounded table on a free list,
 * reached from the flow's record index. Set once when a flow is allowed, read cold (re-check,
 * flow log, listings), freed when the flow ends.
 */
#include <stdlib.h>

#include <rte_mbuf.h>

#include "host_side.h"

struct egw_host_side *egw_host_side_create(uint32_t capacity)
{
	struct egw_host_side *hs = calloc(1, sizeof(*hs));

	if (!hs)
		return NULL;
	hs->capacity = capacity;
	hs->n_pending = capacity < EGW_HOST_PENDING_MAX ? capacity : EGW_HOST_PENDING_MAX;
	hs->n_names = capacity;
	hs->pending_of = calloc(capacity, sizeof(*hs->pending_of));
	hs->name_of = calloc(capacity, sizeof(*hs->name_of));
	hs->pending = calloc(hs->n_pending, sizeof(*hs->pending));
	hs->names = calloc(hs->n_names, sizeof(*hs->names));
	if (!hs->pending_of || !hs->name_of || !hs->pending || !hs->names) {
		egw_host_side_free(hs);
		return NULL;
	}
	/* Free lists (a free slot names the next one plus one, 0 ends it) hold only slots given
	 * back; the rest is handed out from *_FRESH on, so untouched pages stay unbacked. */
	return hs;
}

void egw_host_side_free(struct egw_host_side *hs)
{
	if (!hs)
		return;
	for (uint32_t i = 0; hs->pending_of && i < hs->capacity; i++) {
		struct egw_hold *h;

		if (!hs->pending_of[i])
			continue;
		h = &hs->pending[hs->pending_of[i] - 1].hold;
		for (unsigned k = 0; k < h->n; k++)
			rte_pktmbuf_free(h->seg[k].m);
	}
	free(hs->pending_of);
	free(hs->name_of);
	free(hs->pending);
	free(hs->names);
	free(hs);
}

bool egw_host_name_keep(struct egw_host_side *hs, uint32_t idx, const struct egw_verdict *v)
{
	uint32_t slot = hs->names_free;

	if (slot)
		hs->names_free = hs->names[slot - 1].next_free;
	else if (hs->names_fresh < hs->n_names)
		slot = ++hs->names_fresh;
	else
		return false;
	egw_flow_name_keep(&hs->names[slot - 1].fn, v);
	hs->name_of[idx] = slot;
	return true;
}

const struct egw_flow_name *egw_host_name_of(const struct egw_host_side *hs, uint32_t idx)
{
	uint32_t slot = hs->name_of[idx];

	return slot ? &hs->names[slot - 1].fn : NULL;
}

void egw_host_name_drop(struct egw_host_side *hs, uint32_t idx)
{
	uint32_t slot = hs->name_of[idx];

	if (!slot)
		return;
	hs->names[slot - 1].next_free = hs->names_free;
	hs->names_free = slot;
	hs->name_of[idx] = 0;
}
