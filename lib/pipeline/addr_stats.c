/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>

#include <rte_hash_crc.h>

#include "addr_stats.h"

#define MASK (EGW_ADDR_STATS_SLOTS - 1)

int egw_addr_stats_init(struct egw_addr_stats *s)
{
	/* calloc: pages of slots never used are never backed. */
	s->slots = calloc((size_t)EGW_ADDR_STATS_SLOTS, sizeof(*s->slots));
	return s->slots ? 0 : -ENOMEM;
}

void egw_addr_stats_fini(struct egw_addr_stats *s)
{
	free(s->slots);
	s->slots = NULL;
}

static inline uint32_t home(uint32_t addr_be)
{
	return rte_hash_crc_4byte(addr_be, 0) & MASK;
}

struct egw_addr_stat *egw_addr_stats_get(struct egw_addr_stats *s, uint32_t addr_be)
{
	uint32_t i = home(addr_be);

	for (uint32_t probes = 0; probes < EGW_ADDR_STATS_SLOTS; probes++, i = (i + 1) & MASK) {
		struct egw_addr_stat *e = &s->slots[i];
		if (e->addr == addr_be)
			return e;
		if (e->addr == 0) {
			/* Counters are zero (calloc); publish the address last. */
			__atomic_store_n(&e->addr, addr_be, __ATOMIC_RELEASE);
			return e;
		}
	}
	return NULL;
}

void egw_addr_stats_read(const struct egw_addr_stats *s, uint32_t addr_be, uint64_t *in_use,
	uint64_t *exhausted)
{
	uint32_t i = home(addr_be);

	for (uint32_t probes = 0; probes < EGW_ADDR_STATS_SLOTS; probes++, i = (i + 1) & MASK) {
		const struct egw_addr_stat *e = &s->slots[i];
		uint32_t a = __atomic_load_n(&e->addr, __ATOMIC_ACQUIRE);
		if (a == 0)
			return;
		if (a == addr_be) {
			*in_use += __atomic_load_n(&e->in_use, __ATOMIC_RELAXED);
			*exhausted += __atomic_load_n(&e->exhausted, __ATOMIC_RELAXED);
			return;
		}
	}
}
