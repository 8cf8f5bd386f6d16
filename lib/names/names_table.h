/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_NAMES_TABLE_H
#define EGW_NAMES_TABLE_H

/*
 * lib/names internal: the control thread's table (names_table.c), its expiry heap
 * (names_expiry.c) and the view builder (names_build.c) share this layout.
 *
 * An entry ("bind") is one (name, address) pair with its expiry, on three structures at once:
 * - its name's list (at most max_per_name long), to refresh and cap a name's addresses;
 * - its address's list, in the shard of the address, to build that shard of the next view;
 * - the expiry heap, to expire in order and to evict the entry closest to expiry when the
 *   total cap is reached (it has the least life left to lose).
 * Names are interned: one copy per name, whatever its number of addresses.
 */
#include "names_internal.h"

#define NT_NONE UINT32_MAX

struct nt_name {
	uint64_t hash;
	uint32_t first; /* first bind of the name, NT_NONE when none */
	uint16_t n;	/* binds; max_per_name <= 4096 */
	uint8_t len;
	char text[]; /* len + 1 bytes */
};

struct nt_bind {
	struct nt_name *name; /* NULL: free (the next free bind is in name_next) */
	uint32_t addr;
	uint32_t expiry;
	uint32_t gen; /* bumped when freed: heap nodes of an earlier life are stale */
	uint32_t name_next;
	uint32_t addr_next, addr_prev;
};

/*
 * A heap node: the bind's expiry when it was pushed. A refresh only moves the bind's own
 * expiry later; the node is pushed again with it when it comes to the top (lazy), so a refresh
 * costs no heap work. A freed bind's node is skipped by its generation.
 */
struct nt_node {
	uint32_t expiry;
	uint32_t bind;
	uint32_t gen;
};

struct nt_name_slot {
	uint64_t hash;
	struct nt_name *n; /* NULL: empty */
};

struct nt_addr_slot {
	uint32_t addr; /* 0: empty */
	uint32_t head; /* first bind of the address */
};

struct nt_shard {
	struct nt_addr_slot *slots;
	uint32_t mask, n;
	bool dirty;
	/* The earliest published expiry an answer has extended since (0: none): the shard
	 * must be rebuilt before then, or readers would see the entry expire. */
	uint32_t refresh_by;
};

struct egw_names_table {
	struct egw_names_limits lim;
	uint64_t addr_key, name_key;
	unsigned shard_bits;

	struct nt_name_slot *names;
	uint32_t names_mask, n_names;
	size_t name_bytes;

	struct nt_bind *binds;
	uint32_t binds_cap, binds_used, free_bind;
	uint32_t n_entries;

	struct nt_node *heap;
	uint32_t heap_n, heap_cap;

	struct nt_shard *shards;
	struct names_shard **cur; /* the shards of the last view (a reference each) */
	uint32_t n_dirty;
	uint32_t refresh_by; /* the earliest of the shards' (0: none) */

	/* Scratch for building shards, kept between builds. */
	struct names_build_addr *b_addrs;
	struct names_build_name *b_names;
	uint32_t b_addrs_cap, b_names_cap;

	struct egw_names_stats st;
};

/* names_expiry.c */
int nt_heap_push(struct egw_names_table *t, uint32_t bi);
/* The live bind whose expiry is the earliest, NT_NONE when none; stale nodes go on the way. */
uint32_t nt_heap_top(struct egw_names_table *t);
/* Removes the top node (the one nt_heap_top() just returned). */
void nt_heap_pop(struct egw_names_table *t);

/* names_table.c */
/* Removes bind BI everywhere; its name goes too when it was the last bind and FREE_NAME. */
void nt_bind_remove(struct egw_names_table *t, uint32_t bi, bool free_name);

#endif
