/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Finds a group or a policy by name. With up to 200000 policies, a linear search per header
 * (duplicates) and per source item (group references) would make loading quadratic. The index
 * holds positions, not pointers, because the arrays it indexes move when they grow.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "policy_internal.h"

/* The name is the first member of both indexed structs: the index needs no accessor. */
_Static_assert(offsetof(struct egw_group_conf, name) == 0, "name first");
_Static_assert(offsetof(struct egw_policy_conf, name) == 0, "name first");

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static const char *name_at(const void *arr, size_t stride, unsigned pos)
{
	return (const char *)arr + (size_t)pos * stride;
}

int pol_names_find(const struct pol_names *t, const void *arr, size_t stride, const char *name)
{
	unsigned mask = t->cap - 1;

	if (t->cap == 0)
		return -1;
	for (unsigned i = hash(name) & mask; t->slots[i]; i = (i + 1) & mask)
		if (strcmp(name_at(arr, stride, t->slots[i] - 1), name) == 0)
			return (int)(t->slots[i] - 1);
	return -1;
}

static void insert(unsigned *slots, unsigned cap, const char *name, unsigned pos)
{
	unsigned i = hash(name) & (cap - 1);

	while (slots[i])
		i = (i + 1) & (cap - 1);
	slots[i] = pos + 1;
}

int pol_names_add(struct pol_names *t, const void *arr, size_t stride, unsigned pos)
{
	/* At most half full, so that probe sequences stay short. */
	if ((size_t)(t->n + 1) * 2 > t->cap) {
		unsigned cap = t->cap ? t->cap * 2 : 64;
		unsigned *slots = calloc(cap, sizeof(*slots));

		if (!slots)
			return -1;
		for (unsigned i = 0; i < t->cap; i++)
			if (t->slots[i])
				insert(slots, cap, name_at(arr, stride, t->slots[i] - 1),
					t->slots[i] - 1);
		free(t->slots);
		t->slots = slots;
		t->cap = cap;
	}
	insert(t->slots, t->cap, name_at(arr, stride, pos), pos);
	t->n++;
	return 0;
}

void pol_names_free(struct pol_names *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = 0;
	t->n = 0;
}
