/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "source_limit.h"

/* Fibonacci hashing: consecutive inside addresses (the common case) spread evenly; mapped
 * onto any number of slots by multiply-shift (Lemire), which keeps that spacing. */
static inline uint32_t home(const struct egw_source_limit *sl, uint32_t addr)
{
	return (uint32_t)(((uint64_t)(uint32_t)(addr * 2654435769u) * sl->n_slots) >> 32);
}

static inline uint32_t next_slot(const struct egw_source_limit *sl, uint32_t i)
{
	return i + 1 == sl->n_slots ? 0 : i + 1;
}

/* Slots for CAPACITY sources: at most two thirds full even when every flow has a source of its
 * own (linear probing stays short: about five probes for a miss), no rounding to a power of
 * two. Slow path only: a flow starting or ending. */
static uint32_t n_slots(uint32_t capacity)
{
	capacity = RTE_MAX(capacity, 4u);
	return capacity + (capacity + 1) / 2;
}

size_t egw_source_limit_bytes(uint32_t capacity)
{
	return (size_t)n_slots(capacity) * sizeof(((struct egw_source_limit *)0)->slots[0]);
}

int egw_source_limit_init(struct egw_source_limit *sl, const char *name, uint32_t capacity,
	int socket)
{
	uint32_t n = n_slots(capacity);

	(void)name;
	sl->slots = rte_zmalloc_socket("egw_source_limit", (size_t)n * sizeof(*sl->slots),
		RTE_CACHE_LINE_SIZE, socket);
	if (!sl->slots)
		return -ENOMEM;
	sl->n_slots = n;
	sl->used = 0;
	sl->capacity = capacity;
	return 0;
}

void egw_source_limit_fini(struct egw_source_limit *sl)
{
	rte_free(sl->slots);
	sl->slots = NULL;
}

/* The slot of ADDR, or the free slot where it would go. */
static inline uint32_t probe(const struct egw_source_limit *sl, uint32_t addr)
{
	uint32_t i = home(sl, addr);

	while (sl->slots[i].addr != addr && sl->slots[i].addr != 0)
		i = next_slot(sl, i);
	return i;
}

uint32_t egw_source_limit_count(const struct egw_source_limit *sl, uint32_t src_be)
{
	return sl->slots[probe(sl, src_be)].flows; /* a free slot holds 0 */
}

int egw_source_limit_acquire(struct egw_source_limit *sl, uint32_t src_be, uint32_t limit)
{
	struct egw_source_slot *s = &sl->slots[probe(sl, src_be)];

	if (s->addr == 0) {
		/* More sources than flows never happens; the check keeps a third of the table
		 * empty. */
		if (sl->used >= sl->capacity)
			return -ENOSPC;
		s->addr = src_be;
		s->flows = 0;
		sl->used++;
	}
	if (limit && s->flows >= limit)
		return -EDQUOT;
	s->flows++;
	return 0;
}

void egw_source_limit_release(struct egw_source_limit *sl, uint32_t src_be)
{
	uint32_t i = probe(sl, src_be), j = i;

	if (sl->slots[i].addr == 0 || --sl->slots[i].flows > 0)
		return;
	/* Backward shift: pull later entries of the run into the hole unless that would move one
	 * before its home slot (Knuth 6.4, algorithm R). */
	for (;;) {
		uint32_t k;
		j = next_slot(sl, j);
		if (sl->slots[j].addr == 0)
			break;
		k = home(sl, sl->slots[j].addr);
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			sl->slots[i] = sl->slots[j];
			i = j;
		}
	}
	sl->slots[i].addr = 0;
	sl->slots[i].flows = 0;
	sl->used--;
}

/* Puts S into TOP (sorted, most flows first) if it ranks among the first MAX. */
void egw_source_top_insert(struct egw_source_slot *top, uint32_t *n_top, uint32_t max,
	struct egw_source_slot s)
{
	uint32_t i = *n_top < max ? (*n_top)++ : max;

	if (i == max && (max == 0 || top[max - 1].flows >= s.flows))
		return;
	if (i == max)
		i = max - 1;
	while (i > 0 && top[i - 1].flows < s.flows) {
		top[i] = top[i - 1];
		i--;
	}
	top[i] = s;
}

uint32_t egw_source_limit_top(const struct egw_source_limit *sl, uint32_t *cursor, uint32_t budget,
	struct egw_source_slot *top, uint32_t *n_top, uint32_t max)
{
	const uint32_t n = egw_source_limit_slots(sl);
	const uint32_t start = RTE_MIN(*cursor, n), end = start + RTE_MIN(budget, n - start);

	for (uint32_t i = start; i < end; i++)
		if (sl->slots[i].addr != 0 && sl->slots[i].flows > 0)
			egw_source_top_insert(top, n_top, max, sl->slots[i]);
	*cursor = end;
	return end - start;
}
