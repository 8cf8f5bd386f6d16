/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FUZZ_FRAME_H
#define EGW_FUZZ_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pkt/csum.h"

/* Sets the IPv4 header checksum of an Ethernet frame when the header lies inside it: random
 * inputs then get past the parser's checksum check to what follows. */
static inline void fuzz_fix_ip_csum(uint8_t *frame, size_t len)
{
	size_t ihl;
	uint16_t c;

	if (len < 14 + 20)
		return;
	ihl = (size_t)(frame[14] & 0x0f) * 4;
	if (ihl < 20 || 14 + ihl > len)
		return;
	memset(frame + 14 + 10, 0, 2);
	c = egw_csum_full(frame + 14, ihl);
	memcpy(frame + 14 + 10, &c, 2);
}

#endif
