/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_CSUM_H
#define EGW_CSUM_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/*
 * Internet checksums. All values are 16/32-bit words exactly as they sit in the packet
 * (network byte order); the one's complement sum is byte-order independent as long as every
 * operand is taken the same way, so no conversion is needed on the data path.
 */

static inline uint16_t egw_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * What replacing the 32-bit OLD_VAL by NEW_VAL adds to a one's complement sum (unfolded): a
 * packet whose fields change together (address and port) folds once for all of them.
 */
static inline uint32_t egw_csum_delta32(uint32_t old_val, uint32_t new_val)
{
	return (uint32_t)(uint16_t) ~(old_val >> 16) + (uint16_t) ~(old_val & 0xffff) +
	       (new_val >> 16) + (new_val & 0xffff);
}

/* The same for a 16-bit field. */
static inline uint32_t egw_csum_delta16(uint16_t old_val, uint16_t new_val)
{
	return (uint32_t)(uint16_t)~old_val + new_val;
}

/* CSUM after changes whose deltas (egw_csum_delta32/16) sum to DELTA (at most 2^31): RFC 1624
 * eqn. 3, HC' = ~(~HC + ~m + m'), which never makes eqn. 2's 0xffff -> 0 mistake. */
static inline uint16_t egw_csum_apply(uint16_t csum, uint32_t delta)
{
	return (uint16_t)~egw_csum_fold((uint16_t)~csum + delta);
}

/* CSUM after one 16-bit or 32-bit field changed from OLD_VAL to NEW_VAL. */
static inline uint16_t egw_csum_update16(uint16_t csum, uint16_t old_val, uint16_t new_val)
{
	return egw_csum_apply(csum, egw_csum_delta16(old_val, new_val));
}

static inline uint16_t egw_csum_update32(uint16_t csum, uint32_t old_val, uint32_t new_val)
{
	return egw_csum_apply(csum, egw_csum_delta32(old_val, new_val));
}

/*
 * UDP: a checksum of 0 means "none" and must stay 0 (RFC 768); a computed 0 is sent as 0xffff.
 */
static inline uint16_t egw_csum_update32_udp(uint16_t csum, uint32_t old_val, uint32_t new_val)
{
	if (csum == 0)
		return 0;
	csum = egw_csum_update32(csum, old_val, new_val);
	return csum ? csum : 0xffff;
}

static inline uint16_t egw_csum_update16_udp(uint16_t csum, uint16_t old_val, uint16_t new_val)
{
	if (csum == 0)
		return 0;
	csum = egw_csum_update16(csum, old_val, new_val);
	return csum ? csum : 0xffff;
}

/* One's complement sum of LEN bytes (unfolded), starting from SUM. */
uint32_t egw_csum_partial(const void *buf, size_t len, uint32_t sum);

/*
 * Is the checksum of the IPv4 header at IP (IHL bytes, a multiple of 4, at least 20) right?
 * Inline, 32 bits at a time: every received packet pays it. Summing 32-bit words and folding
 * gives the same one's complement sum as 16-bit words (RFC 1071, section 2).
 */
static inline bool egw_csum_ipv4_hdr_ok(const uint8_t *ip, uint8_t ihl)
{
	uint64_t acc = 0;

	for (uint8_t i = 0; i < ihl; i += 4) {
		uint32_t w;
		memcpy(&w, ip + i, 4);
		acc += w;
	}
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	return egw_csum_fold((uint32_t)acc) == 0xffff;
}

/* The checksum field value for BUF (IPv4 header, ICMP message): ~fold(sum). */
uint16_t egw_csum_full(const void *buf, size_t len);

/* TCP/UDP checksum over the pseudo-header and L4_LEN bytes at L4 (field must be 0 or will be
 * included as is). Addresses in network order. */
uint16_t egw_csum_l4(uint32_t src, uint32_t dst, uint8_t proto, const void *l4, uint16_t l4_len);

#endif
