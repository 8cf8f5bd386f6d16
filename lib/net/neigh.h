/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_NEIGH_H
#define EGW_NEIGH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_ether.h>

/*
 * The neighbour (ARP) table. One writer, the control thread (neigh_resolve.c); lock-free
 * readers, the workers. A slot keeps its (port, address) for the table's lifetime: it never
 * moves and never serves another neighbour, so a worker may cache a slot index in a flow and
 * read the MAC with one atomic 64-bit load. What ages is the MAC in the slot, never the slot:
 * a neighbour removed after neighbor_gc keeps its slot with no MAC, and a flow that cached the
 * slot then holds its packets for a new resolution like any unresolved neighbour's.
 */
#define EGW_NEIGH_F_VALID (1ULL << 48) /* the MAC may be used */
/* ... and its use need not be reported: the neighbour was confirmed lately, is being probed,
 * or never ages. A valid MAC without it is stale: a reader that uses it marks the entry used
 * (egw_neigh_mac), which starts a probe. Its own bit, so that the common case still tests one
 * bit, as before neighbours aged. */
#define EGW_NEIGH_F_FRESH (1ULL << 49)
#define EGW_NEIGH_MAC_MASK ((1ULL << 48) - 1)
#define EGW_NEIGH_SLOT_NONE 0xffff

struct egw_neigh_entry {
	uint64_t mac_state; /* MAC bytes in memory order + EGW_NEIGH_F_*; atomic */
	uint32_t addr;	    /* network order; fixed when the slot is made */
	uint16_t port;	    /* fixed when the slot is made */
	uint8_t used;	    /* set by readers of a stale MAC, taken by the writer; atomic */
	uint8_t pad;
};

struct egw_neigh_table {
	struct rte_hash *hash; /* key: (port << 32 | addr) -> slot */
	struct egw_neigh_entry *entries;
	uint32_t n; /* slots made; atomic (other threads list them) */
	uint32_t cap;
};

struct egw_neigh_table *egw_neigh_create(const char *name, uint32_t cap, int socket);
void egw_neigh_free(struct egw_neigh_table *t);

/* Reader side (any thread). */
uint16_t egw_neigh_find(const struct egw_neigh_table *t, uint16_t port, uint32_t addr_be);

/*
 * SLOT's MAC for a packet about to use it (workers); false when there is none. One atomic
 * load and a one-bit test, as for an entry that never ages; only while the entry is stale does
 * the reader also mark it used (a byte the control thread takes each tick).
 */
static inline bool egw_neigh_mac(const struct egw_neigh_table *t, uint16_t slot,
	struct rte_ether_addr *mac)
{
	uint64_t v = __atomic_load_n(&t->entries[slot].mac_state, __ATOMIC_ACQUIRE);

	if (unlikely(!(v & EGW_NEIGH_F_FRESH))) {
		/* Entries are const to readers; the use byte is theirs to set. Loaded first:
		 * once set, the readers until the next tick leave the cache line alone. */
		uint8_t *used = &t->entries[slot].used;

		if (!(v & EGW_NEIGH_F_VALID))
			return false;
		if (!__atomic_load_n(used, __ATOMIC_RELAXED))
			__atomic_store_n(used, 1, __ATOMIC_RELAXED);
	}
	memcpy(mac->addr_bytes, &v, RTE_ETHER_ADDR_LEN); /* little-endian: low 6 bytes */
	return true;
}

/* SLOT's word as it is, for observers that must not count as a use (telemetry). */
static inline uint64_t egw_neigh_peek(const struct egw_neigh_table *t, uint16_t slot)
{
	return __atomic_load_n(&t->entries[slot].mac_state, __ATOMIC_ACQUIRE);
}

/* Slots made so far (any thread); slot i < this is complete. */
static inline uint32_t egw_neigh_count(const struct egw_neigh_table *t)
{
	return __atomic_load_n(&t->n, __ATOMIC_ACQUIRE);
}

/* Writer side (control thread only). Returns the slot, creating it; SLOT_NONE when full. */
uint16_t egw_neigh_get_or_add(struct egw_neigh_table *t, uint16_t port, uint32_t addr_be);
/* Publishes MAC for SLOT; STALE: readers report their use (egw_neigh_take_used). */
void egw_neigh_set(struct egw_neigh_table *t, uint16_t slot, const struct rte_ether_addr *mac,
	bool stale);
/* Readers see no MAC for SLOT any more: they hand their packets to the control thread. */
void egw_neigh_clear(struct egw_neigh_table *t, uint16_t slot);
/* True when a reader used SLOT's stale MAC since the last call; clears the mark. */
bool egw_neigh_take_used(struct egw_neigh_table *t, uint16_t slot);

#endif
