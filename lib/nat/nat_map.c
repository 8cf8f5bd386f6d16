/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "nat_map.h"

enum { IX_INSIDE, IX_OUTSIDE, IX_PERMIT };

/*
 * Slots per index: at most two thirds full (linear probing stays short: about five probes for a
 * miss), any number (a hash is mapped onto it by multiply-shift), so no power-of-two rounding
 * doubles the memory. Cold tables: every use is a slow path.
 */
static uint32_t n_slots(uint32_t capacity)
{
	return RTE_MAX(capacity, 8u) / 2 * 3;
}

static inline uint32_t next_slot(const struct egw_nat_maps *mm, uint32_t i)
{
	return i + 1 == mm->n_slots ? 0 : i + 1;
}

size_t egw_nat_maps_bytes(uint32_t capacity)
{
	size_t records = (size_t)capacity + 1;

	return records * (sizeof(struct egw_nat_map) + sizeof(struct egw_nat_permit)) +
	       3 * (size_t)n_slots(capacity) * sizeof(uint32_t);
}

int egw_nat_maps_init(struct egw_nat_maps *mm, uint32_t capacity, const struct egw_nat_secret *s,
	int socket)
{
	const uint32_t slots = n_slots(capacity);
	const size_t records = (size_t)capacity + 1;

	memset(mm, 0, sizeof(*mm));
	mm->maps = rte_zmalloc_socket("egw_nat_maps", records * sizeof(*mm->maps), 0, socket);
	mm->permits =
		rte_zmalloc_socket("egw_nat_permits", records * sizeof(*mm->permits), 0, socket);
	for (unsigned i = 0; i < RTE_DIM(mm->index); i++)
		mm->index[i] = rte_zmalloc_socket("egw_nat_map_index",
			(size_t)slots * sizeof(uint32_t), RTE_CACHE_LINE_SIZE, socket);
	if (!mm->maps || !mm->permits || !mm->index[0] || !mm->index[1] || !mm->index[2]) {
		egw_nat_maps_fini(mm);
		return -ENOMEM;
	}
	/* Lowest ids first: handed out in order; the last one ends the lists. */
	for (uint32_t id = 1; id <= capacity; id++) {
		mm->maps[id].sole = id < capacity ? id + 1 : EGW_NAT_MAP_NONE;
		mm->permits[id].remote = mm->maps[id].sole;
	}
	mm->free_maps = mm->free_permits = capacity ? 1 : EGW_NAT_MAP_NONE;
	mm->n_free_maps = mm->n_free_permits = capacity;
	mm->n_slots = slots;
	mm->capacity = capacity;
	mm->secret = *s;
	return 0;
}

void egw_nat_maps_fini(struct egw_nat_maps *mm)
{
	rte_free(mm->maps);
	rte_free(mm->permits);
	for (unsigned i = 0; i < RTE_DIM(mm->index); i++)
		rte_free(mm->index[i]);
	memset(mm, 0, sizeof(*mm));
}

/* Home slot of a key: a keyed hash, so that no sender can line keys up in one probe run. */
static uint32_t home(const struct egw_nat_maps *mm, unsigned ix, uint64_t m0, uint64_t m1)
{
	const uint32_t h = (uint32_t)egw_nat_prf(&mm->secret, m0, m1 ^ (uint64_t)ix << 56);

	return (uint32_t)(((uint64_t)h * mm->n_slots) >> 32);
}

static uint32_t home_inside(const struct egw_nat_maps *mm, const struct egw_nat_map *m)
{
	return home(mm, IX_INSIDE, (uint64_t)m->in_addr << 32 | m->ext_addr,
		(uint64_t)m->in_port << 8 | m->proto);
}

static uint32_t home_outside(const struct egw_nat_maps *mm, const struct egw_nat_map *m)
{
	return home(mm, IX_OUTSIDE, m->ext_addr, (uint64_t)m->ext_port << 8 | m->proto);
}

static uint32_t home_permit(const struct egw_nat_maps *mm, const struct egw_nat_permit *p)
{
	return home(mm, IX_PERMIT, (uint64_t)p->map << 32 | p->remote, 0);
}

/* Home slot of the record ID stands for in index IX. */
static uint32_t home_of(const struct egw_nat_maps *mm, unsigned ix, uint32_t id)
{
	if (ix == IX_PERMIT)
		return home_permit(mm, &mm->permits[id]);
	return ix == IX_INSIDE ? home_inside(mm, &mm->maps[id]) : home_outside(mm, &mm->maps[id]);
}

static bool same_inside(const struct egw_nat_map *a, const struct egw_nat_map *b)
{
	return a->in_addr == b->in_addr && a->in_port == b->in_port && a->proto == b->proto &&
	       a->ext_addr == b->ext_addr;
}

static bool same_outside(const struct egw_nat_map *a, const struct egw_nat_map *b)
{
	return a->ext_addr == b->ext_addr && a->ext_port == b->ext_port && a->proto == b->proto;
}

/* Does the record ID hold KEY (a struct egw_nat_map, or egw_nat_permit for IX_PERMIT)? */
static bool holds(const struct egw_nat_maps *mm, unsigned ix, uint32_t id, const void *key)
{
	if (ix == IX_PERMIT) {
		const struct egw_nat_permit *p = key;
		return mm->permits[id].map == p->map && mm->permits[id].remote == p->remote;
	}
	return ix == IX_INSIDE ? same_inside(&mm->maps[id], key) : same_outside(&mm->maps[id], key);
}

/* The slot holding KEY in index IX, or the free slot where it would go. */
static uint32_t probe(const struct egw_nat_maps *mm, unsigned ix, uint32_t h, const void *key)
{
	const uint32_t *slot = mm->index[ix];

	while (slot[h] != 0 && !holds(mm, ix, slot[h], key))
		h = next_slot(mm, h);
	return h;
}

/* Empties slot I of index IX: backward shift (Knuth 6.4, algorithm R), no tombstones. */
static void unslot(struct egw_nat_maps *mm, unsigned ix, uint32_t i)
{
	uint32_t *slot = mm->index[ix];
	uint32_t j = i;

	for (;;) {
		uint32_t k;
		j = next_slot(mm, j);
		if (slot[j] == 0)
			break;
		k = home_of(mm, ix, slot[j]);
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			slot[i] = slot[j];
			i = j;
		}
	}
	slot[i] = 0;
}

uint32_t egw_nat_map_find_inside(const struct egw_nat_maps *mm, uint32_t in_addr, uint16_t in_port,
	uint8_t proto, uint32_t ext_addr)
{
	const struct egw_nat_map key = { .in_addr = in_addr,
		.ext_addr = ext_addr,
		.in_port = in_port,
		.proto = proto };

	return mm->index[IX_INSIDE][probe(mm, IX_INSIDE, home_inside(mm, &key), &key)];
}

uint32_t egw_nat_map_find_outside(const struct egw_nat_maps *mm, uint32_t ext_addr,
	uint16_t ext_port, uint8_t proto)
{
	const struct egw_nat_map key = { .ext_addr = ext_addr,
		.ext_port = ext_port,
		.proto = proto };

	return mm->index[IX_OUTSIDE][probe(mm, IX_OUTSIDE, home_outside(mm, &key), &key)];
}

static void map_remove(struct egw_nat_maps *mm, uint32_t id);

uint32_t egw_nat_map_add(struct egw_nat_maps *mm, const struct egw_nat_map *m, uint32_t remote,
	uint32_t sole)
{
	uint32_t id;

	if (mm->n_free_maps == 0)
		return EGW_NAT_MAP_NONE;
	id = mm->free_maps;
	mm->free_maps = mm->maps[id].sole;
	mm->n_free_maps--;
	mm->maps[id] = *m;
	mm->maps[id].flows = 0;
	mm->index[IX_INSIDE][probe(mm, IX_INSIDE, home_inside(mm, m), m)] = id;
	mm->index[IX_OUTSIDE][probe(mm, IX_OUTSIDE, home_outside(mm, m), m)] = id;
	if (egw_nat_map_ref(mm, id, remote) < 0) {
		map_remove(mm, id);
		return EGW_NAT_MAP_NONE;
	}
	mm->maps[id].sole = sole;
	return id;
}

static void map_remove(struct egw_nat_maps *mm, uint32_t id)
{
	const struct egw_nat_map *m = &mm->maps[id];

	unslot(mm, IX_INSIDE, probe(mm, IX_INSIDE, home_inside(mm, m), m));
	unslot(mm, IX_OUTSIDE, probe(mm, IX_OUTSIDE, home_outside(mm, m), m));
	mm->maps[id].sole = mm->free_maps;
	mm->free_maps = id;
	mm->n_free_maps++;
}

int egw_nat_map_ref(struct egw_nat_maps *mm, uint32_t id, uint32_t remote)
{
	struct egw_nat_map *m = &mm->maps[id];

	/* Only address-dependent filtering asks where the inside endpoint has sent to. */
	if (m->filtering == EGW_FILTERING_ADDRESS_DEPENDENT) {
		const struct egw_nat_permit key = { .map = id, .remote = remote };
		const uint32_t i = probe(mm, IX_PERMIT, home_permit(mm, &key), &key);
		uint32_t *slot = &mm->index[IX_PERMIT][i];

		if (*slot == 0) {
			if (mm->n_free_permits == 0)
				return -ENOSPC;
			*slot = mm->free_permits;
			mm->free_permits = mm->permits[*slot].remote;
			mm->n_free_permits--;
			mm->permits[*slot] = key;
		}
		mm->permits[*slot].flows++;
	}
	if (m->flows > 0)
		m->sole = EGW_NAT_MAP_SHARED;
	m->flows++;
	return 0;
}

void egw_nat_map_unref(struct egw_nat_maps *mm, uint32_t id, uint32_t remote)
{
	struct egw_nat_map *m = &mm->maps[id];

	if (m->filtering == EGW_FILTERING_ADDRESS_DEPENDENT) {
		const struct egw_nat_permit key = { .map = id, .remote = remote };
		const uint32_t i = probe(mm, IX_PERMIT, home_permit(mm, &key), &key);
		const uint32_t pid = mm->index[IX_PERMIT][i];

		if (pid != 0 && --mm->permits[pid].flows == 0) {
			unslot(mm, IX_PERMIT, i);
			mm->permits[pid].remote = mm->free_permits;
			mm->free_permits = pid;
			mm->n_free_permits++;
		}
	}
	if (m->flows > 0 && --m->flows == 0)
		map_remove(mm, id);
}

bool egw_nat_map_filter_allows(const struct egw_nat_maps *mm, uint32_t id, uint32_t remote_addr)
{
	const struct egw_nat_permit key = { .map = id, .remote = remote_addr };

	switch (mm->maps[id].filtering) {
	case EGW_FILTERING_ENDPOINT_INDEPENDENT:
		return true;
	case EGW_FILTERING_ADDRESS_DEPENDENT:
		return mm->index[IX_PERMIT][probe(mm, IX_PERMIT, home_permit(mm, &key), &key)] != 0;
	default:
		return false;
	}
}
