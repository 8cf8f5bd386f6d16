/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "route.h"

int egw_route_add(struct egw_route_table *t, uint32_t prefix, uint8_t len, uint32_t via_be,
	uint16_t port_id)
{
	uint32_t mask;
	unsigned pos = 0;

	/* Checked before the mask is computed: a shift by 32 - len < 0 is undefined. */
	if (len > 32)
		return -EINVAL;
	if (t->n == EGW_ROUTES_MAX)
		return -ENOSPC;
	mask = len ? ~0u << (32 - len) : 0;
	/* Stable insertion: among equal lengths, the first added wins. */
	while (pos < t->n && t->r[pos].len >= len)
		pos++;
	memmove(&t->r[pos + 1], &t->r[pos], (t->n - pos) * sizeof(t->r[0]));
	t->r[pos] = (struct egw_route){ .prefix = prefix & mask,
		.mask = mask,
		.via_be = via_be,
		.port_id = port_id,
		.len = len };
	t->n++;
	return 0;
}
