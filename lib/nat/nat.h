/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_NAT_H
#define EGW_NAT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/limits.h"
#include "common/types.h"
#include "flow/flow.h"

/*
 * NAT pools as the data path sees them (immutable once published in a snapshot), the keyed
 * choice of egress address and port, and the owner of an external port.
 *
 * Port ownership: worker W of N owns the ports P of every pool with P % N == W (ICMP: the
 * identifier). An outside packet to a pool address therefore finds its owner from its
 * destination port alone, and two workers never hand out the same external tuple.
 */
struct egw_nat_pool {
	char name[EGW_NAME_MAX];
	uint32_t *addrs; /* network byte order */
	uint32_t n_addrs;
	uint16_t port_first, port_last; /* host order, inclusive */
	uint8_t mapping;		/* enum egw_nat_mapping */
	uint8_t pairing;		/* enum egw_nat_pairing */
	uint8_t filtering;		/* enum egw_nat_filtering (endpoint-independent mapping) */
	uint32_t max_per_source;
	uint16_t index; /* position in the snapshot's pool array */
};

/* Secret for RFC 6056 keyed port selection and paired address choice. */
struct egw_nat_secret {
	uint64_t k0, k1;
};

/* Fills S from OpenSSL's CSPRNG. 0 or -EIO. */
int egw_nat_secret_init(struct egw_nat_secret *s);

/* SipHash-2-4 of two 64-bit words (keyed PRF; cheap enough per new flow). */
uint64_t egw_nat_prf(const struct egw_nat_secret *s, uint64_t m0, uint64_t m1);

/*
 * Egress address for a flow from SRC (network order). Paired: a pure function of the inside
 * address, so one inside host always leaves through one egress address (RFC 4787 REQ-2).
 * Arbitrary: spread per flow, or per inside endpoint with endpoint-independent mapping.
 */
uint32_t egw_nat_pick_addr(const struct egw_nat_pool *pool, const struct egw_nat_secret *s,
	const struct egw_flow_key *orig);

/* Returns true when PORT_BE (network order) would collide with an existing flow. */
typedef bool (*egw_nat_port_taken_fn)(void *ctx, uint16_t port_be);

/*
 * Chooses a port of worker WORKER's slice (of N_WORKERS) for a flow ORIG translated to an
 * address of POOL: a keyed-random start (RFC 6056 algorithm 3: offset = F(tuple, secret) plus a
 * per-worker counter), then the next ports of the slice until TAKEN says free. At most
 * EGW_NAT_MAX_TRIES candidates. 0 and *port_be, or -ENOSPC when none is free.
 */
#define EGW_NAT_MAX_TRIES 256
int egw_nat_alloc_port(const struct egw_nat_pool *pool, const struct egw_nat_secret *s,
	unsigned worker, unsigned n_workers, const struct egw_flow_key *orig, uint32_t *counter,
	egw_nat_port_taken_fn taken, void *ctx, uint16_t *port_be);

/* Number of ports of POOL owned by WORKER of N_WORKERS. */
uint32_t egw_nat_slice_size(const struct egw_nat_pool *pool, unsigned worker, unsigned n_workers);

/* The worker owning external port (or ICMP identifier) PORT_BE. */
static inline unsigned egw_nat_port_owner(uint16_t port_be, unsigned n_workers)
{
	return (unsigned)(__builtin_bswap16(port_be) % n_workers);
}

#endif
