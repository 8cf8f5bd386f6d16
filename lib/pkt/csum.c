/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_byteorder.h>

#include "csum.h"

uint32_t egw_csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t acc = sum;

	while (len >= 2) {
		uint16_t w;
		memcpy(&w, p, 2);
		acc += w;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* A trailing odd byte is padded with zero on its right, in packet order. */
		uint16_t w = 0;
		memcpy(&w, p, 1);
		acc += w;
	}
	/* Two folds bring any 64-bit sum of 16-bit words back into 32 bits. */
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t egw_csum_full(const void *buf, size_t len)
{
	return (uint16_t)~egw_csum_fold(egw_csum_partial(buf, len, 0));
}

uint16_t egw_csum_l4(uint32_t src, uint32_t dst, uint8_t proto, const void *l4, uint16_t l4_len)
{
	uint32_t sum = 0;

	sum += src >> 16;
	sum += src & 0xffff;
	sum += dst >> 16;
	sum += dst & 0xffff;
	sum += rte_cpu_to_be_16(proto);
	sum += rte_cpu_to_be_16(l4_len);
	return (uint16_t)~egw_csum_fold(egw_csum_partial(l4, l4_len, egw_csum_fold(sum)));
}
