/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "neigh.h"

static inline uint64_t neigh_key(uint16_t port, uint32_t addr_be)
{
	return ((uint64_t)port << 32) | addr_be;
}

struct egw_neigh_table *egw_neigh_create(const char *name, uint32_t cap, int socket)
{
	struct egw_neigh_table *t;
	char hname[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = hname,
		.entries = cap < 8 ? 8 : cap,
		.key_len = sizeof(uint64_t),
		.hash_func = rte_hash_crc,
		.socket_id = socket,
		/* Workers read while the control thread adds: lock-free readers, one writer. */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};

	/* Slot numbers stop below 0xfffe: flows keep that value for hairpinning. */
	if (cap == 0 || cap >= EGW_NEIGH_SLOT_NONE - 1) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket("egw_neigh", sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (!t) {
		rte_errno = ENOMEM;
		return NULL;
	}
	snprintf(hname, sizeof(hname), "neigh_%s", name);
	t->hash = rte_hash_create(&hp);
	t->entries = rte_zmalloc_socket("egw_neigh_entries", cap * sizeof(*t->entries),
		RTE_CACHE_LINE_SIZE, socket);
	if (!t->hash || !t->entries) {
		egw_neigh_free(t);
		rte_errno = ENOMEM;
		return NULL;
	}
	t->cap = cap;
	return t;
}

void egw_neigh_free(struct egw_neigh_table *t)
{
	if (!t)
		return;
	rte_hash_free(t->hash);
	rte_free(t->entries);
	rte_free(t);
}

uint16_t egw_neigh_find(const struct egw_neigh_table *t, uint16_t port, uint32_t addr_be)
{
	uint64_t key = neigh_key(port, addr_be);
	void *data;

	if (rte_hash_lookup_data(t->hash, &key, &data) < 0)
		return EGW_NEIGH_SLOT_NONE;
	return (uint16_t)(uintptr_t)data;
}

uint16_t egw_neigh_get_or_add(struct egw_neigh_table *t, uint16_t port, uint32_t addr_be)
{
	uint64_t key = neigh_key(port, addr_be);
	uint16_t slot = egw_neigh_find(t, port, addr_be);

	if (slot != EGW_NEIGH_SLOT_NONE)
		return slot;
	if (t->n == t->cap)
		return EGW_NEIGH_SLOT_NONE;
	slot = (uint16_t)t->n;
	t->entries[slot].addr = addr_be;
	t->entries[slot].port = port;
	/* The entry is complete before the key that leads readers to it is visible, and before
	 * the count that lets observers list it. */
	if (rte_hash_add_key_data(t->hash, &key, (void *)(uintptr_t)slot) < 0)
		return EGW_NEIGH_SLOT_NONE;
	__atomic_store_n(&t->n, t->n + 1, __ATOMIC_RELEASE);
	return slot;
}

void egw_neigh_set(struct egw_neigh_table *t, uint16_t slot, const struct rte_ether_addr *mac,
	bool stale)
{
	uint64_t v = 0;

	memcpy(&v, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	v |= EGW_NEIGH_F_VALID | (stale ? 0 : EGW_NEIGH_F_FRESH);
	__atomic_store_n(&t->entries[slot].mac_state, v, __ATOMIC_RELEASE);
}

void egw_neigh_clear(struct egw_neigh_table *t, uint16_t slot)
{
	__atomic_store_n(&t->entries[slot].mac_state, 0, __ATOMIC_RELEASE);
}

bool egw_neigh_take_used(struct egw_neigh_table *t, uint16_t slot)
{
	struct egw_neigh_entry *e = &t->entries[slot];

	/* A plain load and store, not an exchange: a reader that sets the byte again between
	 * them is counted at the next tick, which is all the use mark needs. */
	if (!__atomic_load_n(&e->used, __ATOMIC_RELAXED))
		return false;
	__atomic_store_n(&e->used, 0, __ATOMIC_RELAXED);
	return true;
}
