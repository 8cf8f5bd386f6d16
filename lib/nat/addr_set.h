/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_ADDR_SET_H
#define EGW_ADDR_SET_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A small immutable set of IPv4 addresses (the egress pool addresses) with an O(1) membership
 * test for the data path: open addressing, power-of-two size at most half full, linear probing.
 * Zero is the empty marker (0.0.0.0 is never a pool address).
 */
struct egw_addr_set {
	uint32_t *slots; /* network byte order */
	uint32_t mask;
	uint32_t count;
};

int egw_addr_set_init(struct egw_addr_set *set, const uint32_t *addrs_be, uint32_t n);
void egw_addr_set_free(struct egw_addr_set *set);

static inline bool egw_addr_set_contains(const struct egw_addr_set *set, uint32_t addr_be)
{
	uint32_t i;

	/* 0 marks empty slots: it would "match" the first empty slot probed. */
	if (set->count == 0 || addr_be == 0)
		return false;
	i = (addr_be * 2654435761u) >> 8 & set->mask;
	for (;;) {
		uint32_t v = set->slots[i];
		if (v == addr_be)
			return true;
		if (v == 0)
			return false;
		i = (i + 1) & set->mask;
	}
}

#endif
