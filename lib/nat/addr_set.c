/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>

#include "addr_set.h"

int egw_addr_set_init(struct egw_addr_set *set, const uint32_t *addrs_be, uint32_t n)
{
	uint32_t size = 8;

	while (size < n * 2)
		size <<= 1;
	set->slots = calloc(size, sizeof(uint32_t));
	if (!set->slots)
		return -ENOMEM;
	set->mask = size - 1;
	set->count = 0;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t a = addrs_be[k], i;
		if (a == 0)
			continue;
		i = (a * 2654435761u) >> 8 & set->mask;
		while (set->slots[i] != 0 && set->slots[i] != a)
			i = (i + 1) & set->mask;
		if (set->slots[i] == 0) {
			set->slots[i] = a;
			set->count++;
		}
	}
	return 0;
}

void egw_addr_set_free(struct egw_addr_set *set)
{
	free(set->slots);
	set->slots = NULL;
	set->count = 0;
}
