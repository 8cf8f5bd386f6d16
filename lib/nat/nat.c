/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <openssl/rand.h>
#include <rte_byteorder.h>

#include "nat.h"

int egw_nat_secret_init(struct egw_nat_secret *s)
{
	return RAND_bytes((unsigned char *)s, sizeof(*s)) == 1 ? 0 : -EIO;
}

#define ROTL64(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = ROTL64(v1, 13);                                                               \
		v1 ^= v0;                                                                          \
		v0 = ROTL64(v0, 32);                                                               \
		v2 += v3;                                                                          \
		v3 = ROTL64(v3, 16);                                                               \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = ROTL64(v3, 21);                                                               \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = ROTL64(v1, 17);                                                               \
		v1 ^= v2;                                                                          \
		v2 = ROTL64(v2, 32);                                                               \
	} while (0)

uint64_t egw_nat_prf(const struct egw_nat_secret *s, uint64_t m0, uint64_t m1)
{
	uint64_t v0 = s->k0 ^ 0x736f6d6570736575ULL;
	uint64_t v1 = s->k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = s->k0 ^ 0x6c7967656e657261ULL;
	uint64_t v3 = s->k1 ^ 0x7465646279746573ULL;
	const uint64_t last = (uint64_t)16 << 56; /* message length 16 bytes, no tail */

	v3 ^= m0;
	SIPROUND;
	SIPROUND;
	v0 ^= m0;
	v3 ^= m1;
	SIPROUND;
	SIPROUND;
	v0 ^= m1;
	v3 ^= last;
	SIPROUND;
	SIPROUND;
	v0 ^= last;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint32_t egw_nat_pick_addr(const struct egw_nat_pool *pool, const struct egw_nat_secret *s,
	const struct egw_flow_key *orig)
{
	uint64_t h;

	if (pool->n_addrs == 1)
		return pool->addrs[0];
	if (pool->pairing == EGW_PAIRING_PAIRED)
		h = egw_nat_prf(s, orig->a_addr, 0);
	else if (pool->mapping == EGW_MAPPING_ENDPOINT_INDEPENDENT)
		/* One inside endpoint, one external address toward every destination. */
		h = egw_nat_prf(s, orig->a_addr, ((uint64_t)orig->a_port << 8) | orig->proto);
	else
		h = egw_nat_prf(s, ((uint64_t)orig->a_addr << 32) | orig->b_addr,
			((uint64_t)orig->a_port << 16) | orig->b_port);
	return pool->addrs[h % pool->n_addrs];
}

/* First port of the slice and its size: ports P in [first, last] with P % n == worker. */
static uint32_t slice_bounds(const struct egw_nat_pool *pool, unsigned worker, unsigned n,
	uint32_t *base)
{
	uint32_t first = pool->port_first, last = pool->port_last;
	uint32_t b = first + ((worker + n - first % n) % n);

	*base = b;
	return b > last ? 0 : (last - b) / n + 1;
}

uint32_t egw_nat_slice_size(const struct egw_nat_pool *pool, unsigned worker, unsigned n_workers)
{
	uint32_t base;
	return slice_bounds(pool, worker, n_workers, &base);
}

int egw_nat_alloc_port(const struct egw_nat_pool *pool, const struct egw_nat_secret *s,
	unsigned worker, unsigned n_workers, const struct egw_flow_key *orig, uint32_t *counter,
	egw_nat_port_taken_fn taken, void *ctx, uint16_t *port_be)
{
	uint32_t base, m, j, tries;
	uint64_t offset;

	m = slice_bounds(pool, worker, n_workers, &base);
	if (m == 0)
		return -ENOSPC;
	offset = egw_nat_prf(s, ((uint64_t)orig->a_addr << 32) | orig->b_addr,
		((uint64_t)orig->a_port << 24) | ((uint64_t)orig->b_port << 8) | orig->proto);
	j = (uint32_t)((offset + (*counter)++) % m);
	tries = m < EGW_NAT_MAX_TRIES ? m : EGW_NAT_MAX_TRIES;
	while (tries--) {
		uint16_t p = rte_cpu_to_be_16((uint16_t)(base + j * n_workers));
		if (!taken(ctx, p)) {
			*port_be = p;
			return 0;
		}
		if (++j == m)
			j = 0;
	}
	return -ENOSPC;
}
