/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The expiry heap of the learned-names table: a binary min-heap of (expiry, bind, generation)
 * nodes in one array, compared without touching the binds. Lazy: a refreshed bind keeps its
 * old node until that node reaches the top, and is pushed again then with its new expiry; a
 * freed bind leaves a stale node that is dropped when it reaches the top. Stale nodes are at
 * most one per removal, and the heap is compacted when they outnumber the live ones.
 */
#include <errno.h>
#include <stdlib.h>

#include "names_table.h"

static inline bool before(const struct nt_node *a, const struct nt_node *b)
{
	return a->expiry < b->expiry;
}

static void sift_up(struct nt_node *h, uint32_t pos)
{
	struct nt_node x = h[pos];

	while (pos > 0) {
		uint32_t parent = (pos - 1) / 2;

		if (!before(&x, &h[parent]))
			break;
		h[pos] = h[parent];
		pos = parent;
	}
	h[pos] = x;
}

static void sift_down(struct nt_node *h, uint32_t n, uint32_t pos)
{
	struct nt_node x = h[pos];

	for (;;) {
		uint32_t c = 2 * pos + 1;

		if (c >= n)
			break;
		if (c + 1 < n && before(&h[c + 1], &h[c]))
			c++;
		if (!before(&h[c], &x))
			break;
		h[pos] = h[c];
		pos = c;
	}
	h[pos] = x;
}

static bool live(const struct egw_names_table *t, const struct nt_node *x)
{
	const struct nt_bind *b = &t->binds[x->bind];

	return b->name && b->gen == x->gen;
}

/* Drops the stale nodes and heapifies the rest: O(n), when they are more than the live. */
static void compact(struct egw_names_table *t)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < t->heap_n; i++)
		if (live(t, &t->heap[i]))
			t->heap[k++] = t->heap[i];
	t->heap_n = k;
	for (uint32_t i = k / 2; i-- > 0;)
		sift_down(t->heap, k, i);
}

int nt_heap_push(struct egw_names_table *t, uint32_t bi)
{
	if (t->heap_n >= 2 * t->n_entries + 4096)
		compact(t);
	if (t->heap_n == t->heap_cap) {
		uint32_t cap = t->heap_cap ? t->heap_cap * 2 : 1024;
		struct nt_node *h = realloc(t->heap, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		t->heap = h;
		t->heap_cap = cap;
	}
	t->heap[t->heap_n] = (struct nt_node){ t->binds[bi].expiry, bi, t->binds[bi].gen };
	sift_up(t->heap, t->heap_n++);
	return 0;
}

void nt_heap_pop(struct egw_names_table *t)
{
	t->heap[0] = t->heap[--t->heap_n];
	if (t->heap_n)
		sift_down(t->heap, t->heap_n, 0);
}

uint32_t nt_heap_top(struct egw_names_table *t)
{
	while (t->heap_n) {
		struct nt_node *top = &t->heap[0];
		const struct nt_bind *b = &t->binds[top->bind];

		if (!live(t, top)) {
			nt_heap_pop(t);
		} else if (b->expiry != top->expiry) {
			/* refreshed since it was pushed: in place with its new expiry */
			top->expiry = b->expiry;
			sift_down(t->heap, t->heap_n, 0);
		} else {
			return top->bind;
		}
	}
	return NT_NONE;
}
