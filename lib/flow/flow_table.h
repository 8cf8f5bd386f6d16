/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOW_TABLE_H
#define EGW_FLOW_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>

#include "flow.h"

/*
 * A worker's flow table: flow records and an index that finds a record, and the direction a
 * packet travels in, from either of its keys (the original and the reply key). Owned by
 * exactly one worker; nothing here is thread-safe, by design (shared-nothing workers), except
 * egw_flow_table_active(), which other threads may read.
 *
 * The storage is the table's own: callers hold record pointers between a lookup (or alloc)
 * and the end of the packet, and go through the operations below for everything else.
 */
struct egw_flow_table;

/* NULL with rte_errno set on failure. */
struct egw_flow_table *egw_flow_table_create(uint32_t capacity, int socket,
	const struct egw_flow_timeouts *to);
void egw_flow_table_free(struct egw_flow_table *ft);
/* What egw_flow_table_create() takes from the DPDK heap for CAPACITY flows. */
size_t egw_flow_table_bytes(uint32_t capacity);
/* The parts of egw_flow_table_bytes(), for memory breakdowns (tools/bench/pipeline_bench). */
struct egw_flow_table_mem {
	size_t records;	     /* the flow records */
	size_t free_list;    /* the list of unused records */
	size_t index;	     /* the index's buckets */
	uint32_t index_keys; /* keys the index holds when every record is in use */
	uint32_t index_slots;
	size_t fixed; /* the table's own structure */
};
void egw_flow_table_mem(uint32_t capacity, struct egw_flow_table_mem *m);
void egw_flow_table_set_timeouts(struct egw_flow_table *ft, const struct egw_flow_timeouts *to);
/* Seconds of idleness after which a flow in STATE expires. */
uint32_t egw_flow_table_timeout(const struct egw_flow_table *ft, uint8_t state);
/* Seconds of idleness after which F expires: its state's timeout, or its UDP port's. */
uint32_t egw_flow_timeout(const struct egw_flow_table *ft, const struct egw_flow *f);
uint32_t egw_flow_table_capacity(const struct egw_flow_table *ft);
/* Flows in the table. Any thread (a relaxed atomic load). */
uint32_t egw_flow_table_active(const struct egw_flow_table *ft);
/* Records neither in use nor allocated: capacity - active when no record is between
 * egw_flow_alloc() and its commit or abort. */
uint32_t egw_flow_table_free_records(const struct egw_flow_table *ft);

/*
 * Bulk lookup of N (<= 64) keys: where bit i of the result is set, FLOWS[i] is the record and
 * DIRS[i] the direction (EGW_DIR_ORIG / EGW_DIR_REPLY) KEYS[i] stands for. The records of the
 * hits have been requested into the cache.
 */
uint64_t egw_flow_lookup_bulk(struct egw_flow_table *ft, const struct egw_flow_key **keys,
	unsigned n, struct egw_flow **flows, uint8_t *dirs);
/*
 * The lookup without its confirmations, so that each record's miss overlaps with the work on
 * the packets before it: bit i of the result is set when KEYS[i] may be in the table, FLOWS[i]
 * and DIRS[i] its likely record (requested into the cache; NULL when only a full lookup can
 * tell), to be confirmed with egw_flow_confirm() when its packet's turn comes. Clear: absent.
 */
uint64_t egw_flow_candidates_bulk(struct egw_flow_table *ft, const struct egw_flow_key **keys,
	unsigned n, struct egw_flow **flows, uint8_t *dirs);
/* Single lookup: the record and *DIR, or NULL. */
struct egw_flow *egw_flow_lookup(struct egw_flow_table *ft, const struct egw_flow_key *key,
	unsigned *dir);

/* The record of KEY and *DIR, or NULL, given CAND and CAND_DIR from egw_flow_candidates_bulk()
 * (no flow removed since). */
static inline struct egw_flow *egw_flow_confirm(struct egw_flow_table *ft,
	const struct egw_flow_key *key, struct egw_flow *cand, uint8_t cand_dir, unsigned *dir)
{
	struct egw_flow_key have;

	if (likely(cand != NULL)) {
		if (cand_dir == EGW_DIR_ORIG)
			have = cand->orig;
		else
			egw_flow_reply_key(cand, &have);
		if (memcmp(&have, key, sizeof(have)) == 0) {
			*dir = cand_dir;
			return cand;
		}
	}
	/* Another slot with the same signature, or the secondary bucket: rare. */
	return egw_flow_lookup(ft, key, dir);
}
/* True when KEY is already in the table (used to keep external tuples unique). */
bool egw_flow_key_exists(struct egw_flow_table *ft, const struct egw_flow_key *key);

/*
 * Takes a free record; the caller fills it, then calls egw_flow_commit(). Returns NULL when the
 * table is full. egw_flow_abort() returns an uncommitted record.
 */
struct egw_flow *egw_flow_alloc(struct egw_flow_table *ft);
void egw_flow_abort(struct egw_flow_table *ft, struct egw_flow *f);
/*
 * Inserts both keys of F, created at NOW (worker clock, seconds). -EEXIST when either key is
 * taken (nothing inserted), -ENOSPC.
 */
int egw_flow_commit(struct egw_flow_table *ft, struct egw_flow *f,
	const struct egw_flow_key *reply_key, uint32_t now);
/* egw_flow_commit() for a caller that has just seen both keys absent (two lookups fewer). A
 * key present after all would be taken from its flow. -ENOSPC. */
int egw_flow_commit_new(struct egw_flow_table *ft, struct egw_flow *f,
	const struct egw_flow_key *reply_key, uint32_t now);
/*
 * F's NAT binding (nat_addr, nat_port) has just changed from the one whose reply key was
 * OLD_REPLY: the index finds F by its new reply key. -ENOSPC (the old key kept, F's binding to
 * be set back by the caller).
 */
int egw_flow_rekey_reply(struct egw_flow_table *ft, struct egw_flow *f,
	const struct egw_flow_key *old_reply);

/* When committed F was created (worker clock, seconds). Cold: read when a flow ends or is
 * listed, never per packet. */
uint32_t egw_flow_created(const struct egw_flow_table *ft, const struct egw_flow *f);

/* Position of F's record (0 .. capacity - 1), stable while F lives: the index of per-flow
 * state kept beside the table (side arrays of cold fields). */
uint32_t egw_flow_index(const struct egw_flow_table *ft, const struct egw_flow *f);

/* The live flow at position INDEX (egw_flow_index), or NULL. */
struct egw_flow *egw_flow_at(struct egw_flow_table *ft, uint32_t index);

/* Removes F (both keys) and frees its record. */
void egw_flow_remove(struct egw_flow_table *ft, struct egw_flow *f);

/* Called for a live flow; may remove it (egw_flow_remove) and nothing else. */
typedef void (*egw_flow_visit_fn)(void *ctx, struct egw_flow *f);

/*
 * Visits the live flows among at most BUDGET records from *CURSOR on, in record order, and
 * advances *CURSOR past them. Returns the records examined; *CURSOR equal to the capacity means
 * the scan reached the end (start again from 0 for another round). Bounded work per call: the
 * one walk of the table that expiry, flow dumps and shutdown share.
 */
uint32_t egw_flow_scan(struct egw_flow_table *ft, uint32_t *cursor, uint32_t budget,
	egw_flow_visit_fn fn, void *ctx);

typedef void (*egw_flow_expire_cb)(void *ctx, struct egw_flow *f);

/*
 * Examines at most BUDGET records from where the last call stopped and removes those idle past
 * their state's timeout at NOW, calling CB (may be NULL) before each removal. Returns the number
 * removed. Bounded work per call: no pause ever scans the whole table.
 */
uint32_t egw_flow_expire_step(struct egw_flow_table *ft, uint32_t now, uint32_t budget,
	egw_flow_expire_cb cb, void *ctx);

/* Removes every flow (tests, benchmarks), calling CB first for each. Returns the number. */
uint32_t egw_flow_flush(struct egw_flow_table *ft, egw_flow_expire_cb cb, void *ctx);

#endif
