/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_ADDR_STATS_H
#define EGW_ADDR_STATS_H

#include <stdint.h>

/*
 * Per worker, per egress address: NAT mappings held and allocations refused (exhaustion).
 * Written only by the owning worker (plain stores); /egw/pools and /metrics sum the workers.
 * Open addressing keyed by address, never shrinking: an entry is created on first use and a
 * reader sees it only after its address is stored (release), so it never reads a half entry.
 */
#define EGW_ADDR_STATS_SLOTS (2 * 64 * 1024) /* twice EGW_MAX_POOLS * EGW_MAX_POOL_ADDRS */

struct egw_addr_stat {
	uint32_t addr;	 /* network order; 0 = free slot */
	uint32_t in_use; /* flows holding a port of this address */
	uint64_t exhausted;
};

struct egw_addr_stats {
	struct egw_addr_stat *slots; /* EGW_ADDR_STATS_SLOTS */
};

int egw_addr_stats_init(struct egw_addr_stats *s);
void egw_addr_stats_fini(struct egw_addr_stats *s);
/* Worker: the entry of ADDR, created if new. NULL only when the table is full. */
struct egw_addr_stat *egw_addr_stats_get(struct egw_addr_stats *s, uint32_t addr_be);
/* Any thread: adds ADDR's counters to *IN_USE and *EXHAUSTED (nothing if unknown). */
void egw_addr_stats_read(const struct egw_addr_stats *s, uint32_t addr_be, uint64_t *in_use,
	uint64_t *exhausted);

#endif
