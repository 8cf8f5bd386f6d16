/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_TRANSLATE_H
#define EGW_TRANSLATE_H

#include <rte_mbuf.h>

#include "flow/flow.h"
#include "pkt/pkt.h"

/*
 * Rewrites a packet of flow F travelling in DIR: the source (ORIG: inside address/port ->
 * egress address/port) or the destination (REPLY: the reverse). IPv4, TCP, UDP and ICMP
 * checksums are updated incrementally (RFC 1624); a UDP checksum of 0 stays 0.
 */
void egw_translate(struct rte_mbuf *m, const struct egw_pkt_meta *meta, const struct egw_flow *f,
	unsigned dir);

/*
 * Translates an ICMP error about flow F (RFC 5508): the outer address of our side and, in the
 * quoted packet, the address, port/identifier and checksums, then the ICMP checksum.
 */
void egw_translate_icmp_error(struct rte_mbuf *m, const struct egw_pkt_meta *meta,
	const struct egw_flow *f, unsigned dir);

#endif
