/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_ROUTE_H
#define EGW_ROUTE_H

#include <errno.h>
#include <stdint.h>

#include "common/limits.h"

/*
 * Static routing. There are two tables: toward the outside (for inside packets: connected
 * outside subnets, static routes of outside ports, the default gateway) and toward the inside
 * (for replies: connected inside subnets and static routes of inside ports). An egress gateway
 * never routes inside traffic back inside, nor outside traffic outside.
 */
#define EGW_ROUTES_MAX (EGW_MAX_PORTS * (EGW_MAX_ROUTES + 2))

struct egw_route {
	uint32_t prefix; /* host order, masked */
	uint32_t mask;	 /* host order */
	uint32_t via_be; /* next hop, network order; 0 = connected: the destination itself */
	uint16_t port_id;
	uint8_t len;
};

struct egw_route_table {
	struct egw_route r[EGW_ROUTES_MAX];
	unsigned n;
};

/* Adds a route; keeps the table ordered longest prefix first. -ENOSPC when full, -EINVAL for
 * a length above 32. */
int egw_route_add(struct egw_route_table *t, uint32_t prefix, uint8_t len, uint32_t via_be,
	uint16_t port_id);

/* Longest-prefix match; 0 with *port_id and *nexthop_be, or -ENOENT. */
static inline int egw_route_lookup(const struct egw_route_table *t, uint32_t dst_be,
	uint16_t *port_id, uint32_t *nexthop_be)
{
	uint32_t dst = __builtin_bswap32(dst_be);

	for (unsigned i = 0; i < t->n; i++) {
		const struct egw_route *r = &t->r[i];
		if ((dst & r->mask) == r->prefix) {
			*port_id = r->port_id;
			*nexthop_be = r->via_be ? r->via_be : dst_be;
			return 0;
		}
	}
	return -ENOENT;
}

/* Longest-prefix match among the routes through PORT_ID only (policy "via"). */
static inline int egw_route_lookup_port(const struct egw_route_table *t, uint32_t dst_be,
	uint16_t port_id, uint32_t *nexthop_be)
{
	uint32_t dst = __builtin_bswap32(dst_be);

	for (unsigned i = 0; i < t->n; i++) {
		const struct egw_route *r = &t->r[i];
		if (r->port_id == port_id && (dst & r->mask) == r->prefix) {
			*nexthop_be = r->via_be ? r->via_be : dst_be;
			return 0;
		}
	}
	return -ENOENT;
}

#endif
