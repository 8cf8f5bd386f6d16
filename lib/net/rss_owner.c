/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include "rss_owner.h"

const uint8_t egw_rss_default_key[EGW_RSS_DEFAULT_KEY_LEN] = {
	0x6d,
	0x5a,
	0x56,
	0xda,
	0x25,
	0x5b,
	0x0e,
	0xc2,
	0x41,
	0x67,
	0x25,
	0x3d,
	0x43,
	0xa3,
	0x8f,
	0xb0,
	0xd0,
	0xca,
	0x2b,
	0xcb,
	0xae,
	0x7b,
	0x30,
	0xb4,
	0x77,
	0xcb,
	0x2d,
	0xa3,
	0x80,
	0x30,
	0xf2,
	0x0c,
	0x6a,
	0x42,
	0xb7,
	0x3b,
	0xbe,
	0xac,
	0x01,
	0xfa,
};

/* The 32 key bits starting at bit BIT (most significant bit of key[0] first). */
static uint32_t key_window(const uint8_t *key, unsigned bit)
{
	const unsigned byte = bit / 8, shift = bit % 8;
	uint64_t v = 0;

	for (unsigned i = 0; i < 5; i++)
		v = v << 8 | key[byte + i];
	return (uint32_t)(v >> (8 - shift));
}

/* Toeplitz: every set input bit XORs in the key window starting at its position; a byte's
 * share is the XOR over its set bits. */
static void build_table(struct egw_rss_owner *o, const uint8_t *key)
{
	for (unsigned pos = 0; pos < EGW_RSS_INPUT; pos++)
		for (unsigned v = 0; v < 256; v++) {
			uint32_t h = 0;
			for (unsigned b = 0; b < 8; b++)
				if (v & (0x80u >> b))
					h ^= key_window(key, pos * 8 + b);
			o->table[pos][v] = h;
		}
}

int egw_rss_owner_init(struct egw_rss_owner *o, const uint8_t *key, unsigned key_len,
	const uint16_t *reta, unsigned reta_size, unsigned n_workers)
{
	if (key_len < EGW_RSS_KEY_MIN || reta_size == 0 || reta_size > EGW_RSS_RETA_MAX ||
		(reta_size & (reta_size - 1)) != 0)
		return -EINVAL;
	for (unsigned i = 0; i < reta_size; i++)
		if (reta[i] >= n_workers)
			return -EINVAL;
	build_table(o, key);
	o->reta_mask = reta_size - 1;
	for (unsigned i = 0; i < reta_size; i++)
		o->reta[i] = (uint8_t)reta[i];
	return 0;
}

void egw_rss_reta_spread(uint16_t *reta, unsigned reta_size, unsigned n_queues)
{
	for (unsigned i = 0; i < reta_size; i++)
		reta[i] = (uint16_t)(i % n_queues);
}
