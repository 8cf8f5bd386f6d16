/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOW_TABLE_H
#define EGW_FLOW_TABLE_H

#include <stdint.h>

#include "flow.h"
#include "flow_index.h"

/*
 * A worker's flow table: a flat array of flow records and one index (flow_index.h) that maps
 * both the original and the reply key of each flow to (index << 1 | direction). Owned by
 * exactly one worker; nothing here is thread-safe, by design (shared-nothing workers).
 */
struct egw_flow_table {
	struct egw_flow_index index;
	struct egw_flow *flows;
	uint32_t *created; /* per record, worker clock seconds: cold, read only when a flow ends */
	uint32_t *free_stack; /* indices of unused records */
	uint32_t n_free;
	uint32_t capacity;
	uint32_t n_active;
	uint32_t expire_cursor;
	uint32_t timeout[EGW_FLOW_STATE_MAX]; /* seconds per state, from egw_flow_timeouts */
};

/* Encoded hash value: record index and the direction the key stands for. */
#define EGW_FLOW_VAL(idx, dir) ((uintptr_t)(((uintptr_t)(idx) << 1) | (dir)))
#define EGW_FLOW_VAL_IDX(v) ((uint32_t)((uintptr_t)(v) >> 1))
#define EGW_FLOW_VAL_DIR(v) ((unsigned)((uintptr_t)(v) & 1))

/* NULL with rte_errno set on failure. NAME is for messages only. */
struct egw_flow_table *egw_flow_table_create(const char *name, uint32_t capacity, int socket,
	const struct egw_flow_timeouts *to);
void egw_flow_table_free(struct egw_flow_table *ft);
/* What egw_flow_table_create() takes from the DPDK heap for CAPACITY flows. */
size_t egw_flow_table_bytes(uint32_t capacity);
void egw_flow_table_set_timeouts(struct egw_flow_table *ft, const struct egw_flow_timeouts *to);

/* Bulk lookup of N (<= 64) keys: values[i] valid where bit i of the returned mask is set. */
uint64_t egw_flow_lookup_bulk(struct egw_flow_table *ft, const struct egw_flow_key **keys,
	unsigned n, void **values);
/* Single lookup: 0 and *value, or -ENOENT. */
int egw_flow_lookup(struct egw_flow_table *ft, const struct egw_flow_key *key, void **value);
/* True when KEY is already in the table (used to keep external tuples unique). */
bool egw_flow_key_exists(struct egw_flow_table *ft, const struct egw_flow_key *key);

/*
 * Takes a free record; the caller fills it, then calls egw_flow_commit(). Returns NULL when the
 * table is full. egw_flow_abort() returns an uncommitted record.
 */
struct egw_flow *egw_flow_alloc(struct egw_flow_table *ft);
void egw_flow_abort(struct egw_flow_table *ft, struct egw_flow *f);
/* Inserts both keys of F. -EEXIST when either key is taken (nothing inserted), -ENOSPC. */
int egw_flow_commit(struct egw_flow_table *ft, struct egw_flow *f,
	const struct egw_flow_key *reply_key);
/* egw_flow_commit() for a caller that has just seen both keys absent (two lookups fewer). A
 * key present after all would be taken from its flow. -ENOSPC. */
int egw_flow_commit_new(struct egw_flow_table *ft, struct egw_flow *f,
	const struct egw_flow_key *reply_key);

static inline uint32_t egw_flow_index(const struct egw_flow_table *ft, const struct egw_flow *f)
{
	return (uint32_t)(f - ft->flows);
}

/* The reply key of a committed flow (derived, not stored). */
void egw_flow_reply_key(const struct egw_flow *f, struct egw_flow_key *reply);

/* Removes F (both keys) and frees its record. */
void egw_flow_remove(struct egw_flow_table *ft, struct egw_flow *f);

typedef void (*egw_flow_expire_cb)(void *ctx, struct egw_flow *f);

/*
 * Examines at most BUDGET records from where the last call stopped and removes those idle past
 * their state's timeout at NOW, calling CB (may be NULL) before each removal. Returns the number
 * removed. Bounded work per call: no pause ever scans the whole table.
 */
uint32_t egw_flow_expire_step(struct egw_flow_table *ft, uint32_t now, uint32_t budget,
	egw_flow_expire_cb cb, void *ctx);

/* Removes every flow (shutdown, flush). Returns the number removed. */
uint32_t egw_flow_flush(struct egw_flow_table *ft, egw_flow_expire_cb cb, void *ctx);

static inline bool egw_flow_is_expired(const struct egw_flow_table *ft, const struct egw_flow *f,
	uint32_t now)
{
	return now - f->last_seen > ft->timeout[f->state];
}

#endif
