/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_NEIGH_H
#define EGW_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

/*
 * The neighbour (ARP) table. One writer, the control thread; lock-free readers, the workers.
 * Slots never move and are never reused, so a worker may cache a slot index in a flow and
 * read the MAC with one atomic 64-bit load.
 */
#define EGW_NEIGH_F_VALID (1ULL << 48)
#define EGW_NEIGH_F_STATIC (1ULL << 49)
#define EGW_NEIGH_F_FAILED (1ULL << 50) /* resolution gave up; retried on new demand later */
#define EGW_NEIGH_MAC_MASK ((1ULL << 48) - 1)
#define EGW_NEIGH_SLOT_NONE 0xffff

struct egw_neigh_entry {
	uint64_t mac_state;   /* MAC bytes in memory order + EGW_NEIGH_F_*; atomic */
	uint32_t addr;	      /* network order */
	uint16_t port;
	uint8_t tries;	      /* ARP requests sent in the current resolution */
	uint8_t pending;      /* a resolution is running */
	uint64_t last_request; /* control thread clock, ms */
	uint64_t updated;      /* control thread clock, ms */
};

struct egw_neigh_table {
	struct rte_hash *hash; /* key: (port << 32 | addr) -> slot */
	struct egw_neigh_entry *entries;
	uint32_t n, cap;
};

struct egw_neigh_table *egw_neigh_create(const char *name, uint32_t cap, int socket);
void egw_neigh_free(struct egw_neigh_table *t);

/* Reader side (any thread). */
uint16_t egw_neigh_find(const struct egw_neigh_table *t, uint16_t port, uint32_t addr_be);
static inline bool egw_neigh_mac(const struct egw_neigh_table *t, uint16_t slot,
	struct rte_ether_addr *mac)
{
	uint64_t v = __atomic_load_n(&t->entries[slot].mac_state, __ATOMIC_ACQUIRE);
	if (!(v & EGW_NEIGH_F_VALID))
		return false;
	memcpy(mac->addr_bytes, &v, RTE_ETHER_ADDR_LEN); /* little-endian: low 6 bytes */
	return true;
}

/* Writer side (control thread only). Returns the slot, creating it; SLOT_NONE when full. */
uint16_t egw_neigh_get_or_add(struct egw_neigh_table *t, uint16_t port, uint32_t addr_be);
/* Records MAC for SLOT. A static entry is never replaced by a learned one. */
void egw_neigh_set(struct egw_neigh_table *t, uint16_t slot, const struct rte_ether_addr *mac,
	bool is_static, uint64_t now_ms);
void egw_neigh_mark_failed(struct egw_neigh_table *t, uint16_t slot);

#endif
