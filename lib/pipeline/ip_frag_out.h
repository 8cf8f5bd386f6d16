/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_PIPELINE_IP_FRAG_OUT_H
#define EGW_PIPELINE_IP_FRAG_OUT_H

/*
 * Fragmentation on the exit (RFC 791 section 3.2, RFC 4787 REQ-13): an IPv4 packet larger
 * than its exit's MTU, DF clear, leaves in fragments that fit.
 */
#include <stdint.h>

#include <rte_mbuf.h>

/* At most this many fragments per packet (a 9000-byte frame at the minimum MTU of 576). */
#define EGW_FRAG_OUT_MAX 17

/*
 * Splits M, an IPv4 packet at L3_OFF with DF clear and no IP options, into fragments of at
 * most MTU bytes of IP, each a fresh single-segment mbuf from M's pool with M's first L3_OFF
 * bytes (the Ethernet header) in front; the payload is split on 8-byte boundaries, the last
 * fragment keeps M's own MF (M may be a fragment itself), and each gets its total length and
 * header checksum. Returns how many fragments are in OUT (M is left to the caller to free), or
 * 0 when M cannot be split (options, more than EGW_FRAG_OUT_MAX pieces, MTU under 68, pool
 * empty); OUT then holds nothing.
 */
unsigned egw_pl_frag_out(const struct rte_mbuf *m, uint16_t l3_off, uint16_t mtu,
	struct rte_mbuf *out[EGW_FRAG_OUT_MAX]);

#endif
