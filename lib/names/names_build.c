/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building views from the table: the shards marked dirty since the last view are rebuilt from
 * the table's addresses in them; the others are shared with the last view.
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_errno.h>

#include "names_table.h"

static int reserve(void **arr, uint32_t *cap, uint32_t need, size_t size)
{
	uint32_t c = *cap ? *cap : 256;
	void *a;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	a = realloc(*arr, (size_t)c * size);
	if (!a)
		return -ENOMEM;
	*arr = a;
	*cap = c;
	return 0;
}

/* Latest expiry first; most addresses have one name, a CDN's a few hundred. */
static void sort_names(struct names_build_name *a, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		struct names_build_name x = a[i];
		uint32_t k = i;

		while (k > 0 && a[k - 1].expiry < x.expiry) {
			a[k] = a[k - 1];
			k--;
		}
		a[k] = x;
	}
}

/* Collects ADDR's names (the list from HEAD) at the end of the scratch names. */
static int collect(struct egw_names_table *t, uint32_t head, uint32_t *nn)
{
	for (uint32_t bi = head; bi != NT_NONE; bi = t->binds[bi].addr_next) {
		const struct nt_bind *b = &t->binds[bi];

		if (reserve((void **)&t->b_names, &t->b_names_cap, *nn + 1, sizeof(*t->b_names)) <
			0)
			return -ENOMEM;
		t->b_names[(*nn)++] =
			(struct names_build_name){ b->name->text, b->name->len, b->expiry };
	}
	return 0;
}

/* Builds shard I of the next view from the table's addresses. */
static struct names_shard *build_shard(struct egw_names_table *t, uint32_t i)
{
	const struct nt_shard *s = &t->shards[i];
	uint32_t na = 0, nn = 0;

	if (s->n == 0)
		return &names_empty_shard;
	if (reserve((void **)&t->b_addrs, &t->b_addrs_cap, s->n, sizeof(*t->b_addrs)) < 0)
		return NULL;
	for (uint32_t k = 0; k <= s->mask; k++) {
		const struct nt_addr_slot *slot = &s->slots[k];
		struct names_build_addr *a;

		if (!slot->addr)
			continue;
		a = &t->b_addrs[na++];
		a->addr = slot->addr;
		a->first = nn;
		if (collect(t, slot->head, &nn) < 0)
			return NULL;
		a->n = nn - a->first;
		sort_names(t->b_names + a->first, a->n);
	}
	return names_shard_build(t->addr_key, t->b_addrs, na, t->b_names, nn);
}

static bool shard_due(const struct nt_shard *s, uint32_t now)
{
	return s->dirty || (s->refresh_by && s->refresh_by <= now + EGW_NAMES_REFRESH_AHEAD);
}

/* Replaces shard I of the next view with a new build. */
static int replace(struct egw_names_table *t, uint32_t i)
{
	struct nt_shard *s = &t->shards[i];
	struct names_shard *ns = build_shard(t, i);

	if (!ns)
		return -ENOMEM;
	names_shard_put(t->cur[i]);
	t->cur[i] = ns;
	t->n_dirty -= s->dirty;
	s->dirty = false;
	s->refresh_by = 0;
	t->st.shards_built++;
	return 0;
}

/*
 * Rebuilds the shards that are due; the earliest refresh among the others becomes the
 * table's. Out of memory, the rest stays due for the next view.
 */
static int rebuild(struct egw_names_table *t, uint32_t now)
{
	uint32_t n_shards = 1u << t->shard_bits;
	int rc = 0;

	if (!egw_names_table_due(t, now))
		return 0;
	t->refresh_by = 0;
	for (uint32_t i = 0; i < n_shards; i++) {
		const struct nt_shard *s = &t->shards[i];

		if (rc == 0 && shard_due(s, now))
			rc = replace(t, i);
		if (s->refresh_by && (!t->refresh_by || s->refresh_by < t->refresh_by))
			t->refresh_by = s->refresh_by;
	}
	return rc;
}

struct egw_names_view *egw_names_table_view(struct egw_names_table *t, uint64_t generation,
	uint32_t now)
{
	uint32_t n_shards = 1u << t->shard_bits;
	struct egw_names_view *v = malloc(sizeof(*v) + n_shards * sizeof(v->shards[0]));

	if (!v || rebuild(t, now) < 0) {
		free(v);
		rte_errno = ENOMEM;
		return NULL;
	}
	v->refs = 1;
	v->generation = generation;
	v->key = t->addr_key;
	v->shard_bits = t->shard_bits;
	v->n_entries = t->n_entries;
	for (uint32_t i = 0; i < n_shards; i++) {
		names_shard_get(t->cur[i]);
		v->shards[i] = t->cur[i];
	}
	t->st.views++;
	return v;
}
