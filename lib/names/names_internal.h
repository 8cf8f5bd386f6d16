/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_NAMES_INTERNAL_H
#define EGW_NAMES_INTERNAL_H

/* Shared by the files of lib/names only. */

#include <stdbool.h>
#include <stdint.h>

#include "names.h"

/* The address hash: keyed, so that answers from a hostile DNS server cannot pile their
 * addresses into one probe chain. Shards take the top bits, slots the low ones. */
static inline uint64_t names_addr_hash(uint64_t key, uint32_t addr)
{
	uint64_t x = (addr ^ key) + 0x9e3779b97f4a7c15ULL;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline uint32_t names_shard_of(uint64_t h, unsigned shard_bits)
{
	return shard_bits ? (uint32_t)(h >> (64 - shard_bits)) : 0;
}

/* ---- view shards (names_view.c) ---- */

struct names_item {
	uint32_t expiry;
	uint32_t text; /* offset of the NUL-terminated name in the shard's text */
	uint8_t len;
};

struct names_slot {
	uint32_t addr;	/* 0: empty (0.0.0.0 is never learned) */
	uint32_t first; /* its items: [first, first + n), latest expiry first */
	uint32_t n;
};

/*
 * One shard of a view: an open-addressing table (linear probing, at most half full) of the
 * addresses whose hash falls in it, their items and the names' text, in one allocation.
 * Immutable once built; shared by every view built while its addresses did not change.
 */
struct names_shard {
	uint32_t refs; /* the table and the views holding it; control thread only */
	uint32_t slot_mask;
	uint32_t n_addrs, n_items;
	size_t bytes;
	struct names_slot *slots;
	struct names_item *items;
	char *text;
};

struct egw_names_view {
	uint32_t refs; /* holders (publication points); control thread only */
	uint64_t generation;
	uint64_t key;
	unsigned shard_bits;
	uint32_t n_entries;
	struct names_shard *shards[]; /* 1 << shard_bits, never NULL */
};

/* The shard of no address, shared by every view (never freed). */
extern struct names_shard names_empty_shard;

/* What a shard is built from: one address and its names, latest expiry first. */
struct names_build_name {
	const char *name;
	uint8_t len;
	uint32_t expiry;
};

struct names_build_addr {
	uint32_t addr;
	uint32_t first, n; /* into the names array */
};

/* A shard of N addresses (and their NAMES) with refs = 1; NULL when out of memory. */
struct names_shard *names_shard_build(uint64_t key, const struct names_build_addr *addrs,
	uint32_t n, const struct names_build_name *names, uint32_t n_names);
void names_shard_get(struct names_shard *s);
void names_shard_put(struct names_shard *s);

/* ---- the table (names_table.c) ---- */

struct names_rec_addr;

/* The hash of NAME (LEN bytes, normalized), its slot in the table being fetched. */
uint64_t names_table_prefetch(const struct egw_names_table *t, const char *name, size_t len);
/*
 * Learns a journal record: NAME (LEN bytes, already normalized by lib/dns; HASH from
 * names_table_prefetch()) with N addresses.
 */
void names_table_learn_record(struct egw_names_table *t, const char *name, size_t len,
	uint64_t hash, const struct names_rec_addr *addrs, uint32_t n, uint32_t now);
/* Counts a journal record refused as garbage. */
void names_table_note_bad_record(struct egw_names_table *t);

/* ---- journal records (names_journal.c) ---- */

#define NAMES_CELL 16u

/* A record: this header, then n_addrs (addr, ttl) pairs, then the name; in 16-byte cells. */
struct names_rec_hdr {
	uint32_t time;
	uint8_t name_len;
	uint8_t n_addrs;
	uint16_t reserved;
};

struct names_rec_addr {
	uint32_t addr; /* host order */
	uint32_t ttl;
};

#endif
