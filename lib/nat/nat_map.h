/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_NAT_MAP_H
#define EGW_NAT_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nat.h"

/*
 * Endpoint-independent mappings (RFC 4787 REQ-1, RFC 5382 REQ-1) of one worker: an inside
 * endpoint (address, port, protocol) keeps one external address and port toward every
 * destination, and an external (address, port, protocol) belongs to one inside endpoint. A
 * mapping lives while flows use it: each flow that takes it holds one reference, and the last
 * one to end removes it.
 *
 * Filtering (RFC 4787 REQ-8) is decided with it: an outside packet that matches no flow but an
 * active mapping passes when the mapping filters endpoint-independently, or, address-dependent,
 * when the inside endpoint has a flow to the packet's source address (a "permit", counted per
 * remote address for the mapping's flows).
 *
 * Three open-addressing indexes (by inside endpoint and external address, by external endpoint,
 * by mapping and remote address) over fixed record arrays: nothing is allocated after creation,
 * every operation is one probe sequence, used on the slow path only (a new flow, an outside
 * miss, a flow's end). Probes start from a keyed hash (SipHash, the NAT secret), so neither
 * inside hosts nor outside senders can choose colliding keys. Owned by one worker.
 */
#define EGW_NAT_MAP_NONE 0u	      /* no mapping: ids start at 1 */
#define EGW_NAT_MAP_SHARED UINT32_MAX /* egw_nat_map.sole once a second flow took it */

struct egw_nat_map {
	uint32_t in_addr, ext_addr; /* network order */
	uint16_t in_port, ext_port; /* network order (ICMP: the identifier) */
	uint8_t proto;
	uint8_t filtering; /* enum egw_nat_filtering */
	uint32_t flows;	   /* references held by flows */
	/* The caller's tag (a flow record) of the flow that made it, while no other flow has
	 * taken it; else EGW_NAT_MAP_SHARED. Under port pressure that sole flow, once finished,
	 * may give the port up (the pipeline's reclaim). */
	uint32_t sole;
};

struct egw_nat_permit {
	uint32_t map;	 /* mapping id */
	uint32_t remote; /* remote address, network order */
	uint32_t flows;	 /* flows of the mapping to REMOTE */
};

struct egw_nat_maps {
	struct egw_nat_map *maps;	/* [capacity + 1]: id 0 is never used */
	struct egw_nat_permit *permits; /* [capacity + 1] */
	/* Unused ids, most recently freed first (lowest first in a new table), 0 ends: each
	 * unused record names the next, a mapping in its sole, a permit in its remote (no
	 * array of their own, so the lists cost no memory per flow). */
	uint32_t free_maps, free_permits;
	uint32_t n_free_maps, n_free_permits;
	uint32_t *index[3]; /* slots: id or 0; by inside, by outside, by permit */
	uint32_t n_slots;   /* per index (at most two thirds full) */
	uint32_t capacity;
	struct egw_nat_secret secret;
};

/* Room for CAPACITY mappings and as many permits. 0 or -ENOMEM. */
int egw_nat_maps_init(struct egw_nat_maps *mm, uint32_t capacity, const struct egw_nat_secret *s,
	int socket);
void egw_nat_maps_fini(struct egw_nat_maps *mm);
/* What egw_nat_maps_init() takes from the DPDK heap for CAPACITY. */
size_t egw_nat_maps_bytes(uint32_t capacity);
/* Mappings alive. */
static inline uint32_t egw_nat_maps_active(const struct egw_nat_maps *mm)
{
	return mm->capacity - mm->n_free_maps;
}

static inline const struct egw_nat_map *egw_nat_map_get(const struct egw_nat_maps *mm, uint32_t id)
{
	return &mm->maps[id];
}

/* The mapping of inside endpoint IN_ADDR:IN_PORT/PROTO to EXT_ADDR, or EGW_NAT_MAP_NONE. */
uint32_t egw_nat_map_find_inside(const struct egw_nat_maps *mm, uint32_t in_addr, uint16_t in_port,
	uint8_t proto, uint32_t ext_addr);
/* The mapping holding EXT_ADDR:EXT_PORT/PROTO, or EGW_NAT_MAP_NONE. */
uint32_t egw_nat_map_find_outside(const struct egw_nat_maps *mm, uint32_t ext_addr,
	uint16_t ext_port, uint8_t proto);

/* A new mapping M with its first reference, a flow to REMOTE (network order) tagged SOLE. Its
 * id, or EGW_NAT_MAP_NONE when the table is full. The caller has seen both endpoints free. */
uint32_t egw_nat_map_add(struct egw_nat_maps *mm, const struct egw_nat_map *m, uint32_t remote,
	uint32_t sole);

/* A flow to REMOTE (network order) takes mapping ID. -ENOSPC when an address-dependent
 * mapping has no room for the permit (nothing taken). */
int egw_nat_map_ref(struct egw_nat_maps *mm, uint32_t id, uint32_t remote);
/* A flow to REMOTE gives mapping ID back; the last reference removes the mapping. */
void egw_nat_map_unref(struct egw_nat_maps *mm, uint32_t id, uint32_t remote);

/* May a packet from REMOTE_ADDR that matches no flow pass through mapping ID (its filtering)?
 * Address-and-port-dependent: never (a flow to its sender would have matched). */
bool egw_nat_map_filter_allows(const struct egw_nat_maps *mm, uint32_t id, uint32_t remote_addr);

#endif
