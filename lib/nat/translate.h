/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_TRANSLATE_H
#define EGW_TRANSLATE_H

#include <string.h>

#include <rte_mbuf.h>

#include "flow/flow.h"
#include "pkt/csum.h"
#include "pkt/pkt.h"

/* egw_translate() of an ICMP echo (its identifier) or a packet without ports: out of line,
 * rare next to TCP and UDP. */
void egw_translate_icmp(struct rte_mbuf *m, const struct egw_pkt_meta *meta,
	const struct egw_flow *f, unsigned dir);

/*
 * Rewrites a packet of flow F travelling in DIR: the source (ORIG: inside address/port ->
 * egress address/port) or the destination (REPLY: the reverse). IPv4, TCP, UDP and ICMP
 * checksums are updated incrementally (RFC 1624); a UDP checksum of 0 stays 0. Inline: every
 * translated packet of an established flow comes here. The address's delta serves both
 * checksums, and the L4 checksum folds once for address and port.
 */
static inline void egw_translate(struct rte_mbuf *m, const struct egw_pkt_meta *meta,
	const struct egw_flow *f, unsigned dir)
{
	const bool orig = dir == EGW_DIR_ORIG;
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l3_off);
	uint8_t *addr = ip + (orig ? 12 : 16); /* source, or destination */
	uint8_t *l4 = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l4_off);
	uint8_t *port = l4 + (orig ? 0 : 2);
	uint8_t *l4_csum = l4 + (meta->proto == IPPROTO_TCP ? 16 : 6);
	const uint32_t new_addr = orig ? f->nat_addr : f->orig.a_addr;
	const uint16_t new_port = orig ? f->nat_port : f->orig.a_port;
	uint32_t old_addr, delta;
	uint16_t old_port, c;

	if (unlikely(meta->proto != IPPROTO_TCP && meta->proto != IPPROTO_UDP)) {
		egw_translate_icmp(m, meta, f, dir);
		return;
	}
	memcpy(&old_addr, addr, 4);
	memcpy(&old_port, port, 2);
	delta = egw_csum_delta32(old_addr, new_addr);
	memcpy(&c, ip + 10, 2);
	c = egw_csum_apply(c, delta);
	memcpy(ip + 10, &c, 2);
	memcpy(addr, &new_addr, 4);
	memcpy(port, &new_port, 2);
	memcpy(&c, l4_csum, 2);
	/* A UDP checksum of 0 is "none" and stays so; a computed 0 is sent as 0xffff. */
	if (meta->proto == IPPROTO_UDP && c == 0)
		return;
	c = egw_csum_apply(c, delta + egw_csum_delta16(old_port, new_port));
	if (meta->proto == IPPROTO_UDP && c == 0)
		c = 0xffff;
	memcpy(l4_csum, &c, 2);
}

/*
 * Translates an ICMP error about flow F (RFC 5508): the outer address of our side and, in the
 * quoted packet, the address, port/identifier and checksums, then the ICMP checksum.
 */
void egw_translate_icmp_error(struct rte_mbuf *m, const struct egw_pkt_meta *meta,
	const struct egw_flow *f, unsigned dir);

#endif
