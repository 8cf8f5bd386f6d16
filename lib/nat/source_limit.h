/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_SOURCE_LIMIT_H
#define EGW_SOURCE_LIMIT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Concurrent translated flows per inside address (RFC 6888 REQ-4: a NAT limits how many
 * mappings one subscriber may hold, so one host cannot exhaust a pool for everybody). One
 * table per worker, owned by it; each worker enforces its share of the pool's
 * max_per_source, because the flows of one host are spread over the workers by their 5-tuple.
 */
struct egw_source_slot {
	uint32_t addr;	/* inside address, network order; 0 = free (never a valid source) */
	uint32_t flows; /* flows it holds */
};

/*
 * Inside address -> flows held: open addressing with linear probing, at most two thirds full
 * (one and a half slots per flow the worker may hold), deletion by backward shift so no
 * tombstones pile up. One probe sequence per acquire or release.
 */
struct egw_source_limit {
	struct egw_source_slot *slots;
	uint32_t n_slots;
	uint32_t used;
	uint32_t capacity;
};

/* CAPACITY distinct sources at most. 0 or -ENOMEM. */
int egw_source_limit_init(struct egw_source_limit *sl, const char *name, uint32_t capacity,
	int socket);
void egw_source_limit_fini(struct egw_source_limit *sl);
/* What egw_source_limit_init() takes from the DPDK heap for CAPACITY sources. */
size_t egw_source_limit_bytes(uint32_t capacity);

/* Takes one flow for SRC_BE if it holds fewer than LIMIT: 0, -EDQUOT, or -ENOSPC (table full). */
int egw_source_limit_acquire(struct egw_source_limit *sl, uint32_t src_be, uint32_t limit);
/* Gives back one flow of SRC_BE. */
void egw_source_limit_release(struct egw_source_limit *sl, uint32_t src_be);
/* Flows currently held by SRC_BE. */
uint32_t egw_source_limit_count(const struct egw_source_limit *sl, uint32_t src_be);

/*
 * Keeps in TOP (*N_TOP entries, at most MAX, most flows first) the sources holding the most
 * flows among BUDGET slots from *CURSOR on, and advances *CURSOR; *CURSOR equal to
 * egw_source_limit_slots() means the table was covered. Returns the slots examined. For
 * telemetry, through the owner's mailbox: bounded work per call.
 */
uint32_t egw_source_limit_top(const struct egw_source_limit *sl, uint32_t *cursor, uint32_t budget,
	struct egw_source_slot *top, uint32_t *n_top, uint32_t max);
/* Puts S into TOP (*N_TOP entries of MAX, most flows first) if it ranks among them. */
void egw_source_top_insert(struct egw_source_slot *top, uint32_t *n_top, uint32_t max,
	struct egw_source_slot s);
static inline uint32_t egw_source_limit_slots(const struct egw_source_limit *sl)
{
	return sl->n_slots;
}

/* The share of LIMIT each of N_WORKERS enforces (rounded up; 0 = unlimited stays 0). */
static inline uint32_t egw_source_limit_share(uint32_t limit, unsigned n_workers)
{
	return limit ? (limit + n_workers - 1) / n_workers : 0;
}

#endif
