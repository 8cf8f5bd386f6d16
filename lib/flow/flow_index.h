/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOW_INDEX_H
#define EGW_FLOW_INDEX_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "flow.h"

/*
 * The flow table's index: flow key -> (record index << 1 | direction). Unlike a general hash
 * table it stores no keys: a bucket holds a 16-bit signature and the value per slot, and a
 * candidate is confirmed against the key the flow record already holds (the original key, or
 * the reply key derived from it). So a lookup touches one bucket line and the record the
 * packet needs anyway, and a flow costs two 6-byte slots instead of two stored keys.
 *
 * Two bucket choices per key (the second derived from the hash). A key goes to its primary
 * bucket; when that is full, one key there moves to its own other bucket if it can (one cuckoo
 * step), else the new key goes to its secondary (the same way), which its primary counts
 * ("spilled") so that lookups look there only when needed. Only when neither works does an
 * insert fail. Buckets are sized for at most half their slots in use when the table is full
 * (exactly: no rounding to a power of two; the bucket array is what a lookup must find in
 * cache).
 */
/* A stored value: record index and the direction the key stands for. */
#define EGW_FLOW_VAL(idx, dir) ((uint32_t)(((uint32_t)(idx) << 1) | (dir)))
#define EGW_FLOW_VAL_IDX(v) ((uint32_t)(v) >> 1)
#define EGW_FLOW_VAL_DIR(v) ((unsigned)(v)&1)

#define EGW_FI_SLOTS 10 /* 6 bytes each: ten fill a cache line with the spill count */

struct egw_fi_bucket {
	uint16_t sig[EGW_FI_SLOTS];
	uint32_t val[EGW_FI_SLOTS]; /* value + 1; 0 = free slot */
	uint32_t spilled;	    /* keys of this primary bucket living in their secondary */
} __rte_cache_aligned;

struct egw_flow_index {
	struct egw_fi_bucket *buckets;
	uint32_t n_buckets; /* any number: a hash is mapped onto it by multiply-shift */
	const struct egw_flow *records;
};

/* For KEYS keys confirmed against RECORDS. 0 or -ENOMEM. */
int egw_flow_index_init(struct egw_flow_index *ix, uint32_t keys, const struct egw_flow *records,
	int socket);
void egw_flow_index_fini(struct egw_flow_index *ix);
size_t egw_flow_index_bytes(uint32_t keys);

/* Bulk lookup of N (<= 64) keys without the confirmations: bit i of the result set when
 * KEYS[i] may be present, CAND[i] the stored value (value + 1) of its likely slot (its record
 * requested), 0 when only its secondary bucket may hold it. */
uint64_t egw_flow_index_candidates_bulk(const struct egw_flow_index *ix,
	const struct egw_flow_key **keys, unsigned n, uint32_t *cand);
/* 0 and *VALUE, or -ENOENT. */
int egw_flow_index_lookup(const struct egw_flow_index *ix, const struct egw_flow_key *key,
	uint32_t *value);
/* Adds KEY -> VALUE; the record VALUE names must already hold KEY. The caller guarantees KEY
 * is absent. 0 or -ENOSPC. */
int egw_flow_index_add(struct egw_flow_index *ix, const struct egw_flow_key *key, uint32_t value);
/* Removes KEY -> VALUE (no-op when absent). */
void egw_flow_index_del(struct egw_flow_index *ix, const struct egw_flow_key *key, uint32_t value);

#endif
