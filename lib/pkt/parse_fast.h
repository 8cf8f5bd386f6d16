/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_PKT_PARSE_FAST_H
#define EGW_PKT_PARSE_FAST_H

/*
 * The parser's straight-line path, inline: the receive loop parses every packet, and a call
 * per packet (its spills, and loads of metadata the callee has only just stored) cost more
 * than the common frame's tests. Everything else goes to the general parser (parse.c).
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "csum.h"
#include "pkt.h"

#define EGW_PKT_IPV4_MIN_HDR 20

/* 0/8 "this network", 127/8 loopback, 224/4 multicast and 240/4 reserved incl. broadcast. */
static inline bool egw_pkt_martian_src(uint32_t be)
{
	uint8_t first = (uint8_t)(rte_be_to_cpu_32(be) >> 24);

	return first == 0 || first == 127 || first >= 224;
}

static inline bool egw_pkt_martian_dst(uint32_t be)
{
	return egw_pkt_martian_src(be);
}

/*
 * The frame nearly every packet is: Ethernet, IPv4 with a 20-byte header, a whole datagram,
 * TCP. Straight-line tests that pass only where every test of the general parser would (the same
 * metadata, no drop); false sends anything else, wrong or not, to the general parser, which
 * names the drop reason. Worth it: the fixed header length unrolls the checksum and skips the
 * general walk (ARP, VLAN, options, fragments) every packet would otherwise pay.
 */
static inline bool egw_pkt_parse_tcp_fast(const uint8_t *data, uint32_t len, bool cut,
	uint64_t ip_ck, struct egw_pkt_meta *meta)
{
	const uint8_t *ip = data + sizeof(struct rte_ether_hdr);
	const uint8_t *l4 = ip + EGW_PKT_IPV4_MIN_HDR;
	const uint32_t avail = len - (uint32_t)sizeof(struct rte_ether_hdr);
	uint16_t ethertype, frag, ip_len;
	uint32_t l4_avail;
	uint8_t doff, flags;

	if (len < sizeof(struct rte_ether_hdr) + EGW_PKT_IPV4_MIN_HDR + sizeof(struct rte_tcp_hdr))
		return false;
	memcpy(&ethertype, data + offsetof(struct rte_ether_hdr, ether_type), 2);
	memcpy(&frag, ip + 6, 2);
	if (ethertype != RTE_BE16(RTE_ETHER_TYPE_IPV4) || ip[0] != 0x45 || ip[9] != IPPROTO_TCP ||
		(frag & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)) != 0)
		return false;
	memcpy(&ip_len, ip + 2, 2);
	ip_len = rte_be_to_cpu_16(ip_len);
	if (ip_len < EGW_PKT_IPV4_MIN_HDR + sizeof(struct rte_tcp_hdr) || (ip_len > avail && !cut))
		return false;
	l4_avail = RTE_MIN((uint32_t)ip_len, avail) - EGW_PKT_IPV4_MIN_HDR;
	doff = (uint8_t)((l4[12] >> 4) * 4);
	flags = l4[13];
	if (doff < sizeof(struct rte_tcp_hdr) || doff > l4_avail ||
		((flags & EGW_TCP_SYN) && (flags & (EGW_TCP_FIN | EGW_TCP_RST))) ||
		!(flags & (EGW_TCP_SYN | EGW_TCP_ACK | EGW_TCP_RST)))
		return false;
	if (ip_ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
		(ip_ck == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
			!egw_csum_ipv4_hdr_ok(ip, EGW_PKT_IPV4_MIN_HDR)))
		return false;
	memcpy(&meta->src, ip + 12, 4);
	memcpy(&meta->dst, ip + 16, 4);
	if (egw_pkt_martian_src(meta->src) || egw_pkt_martian_dst(meta->dst))
		return false;
	meta->kind = EGW_PKT_IPV4;
	meta->proto = IPPROTO_TCP;
	meta->tcp_flags = flags;
	meta->icmp_type = 0;
	meta->ip_opts = 0;
	meta->frag = EGW_PKT_FRAG_NONE;
	meta->l3_off = sizeof(struct rte_ether_hdr);
	meta->l4_off = sizeof(struct rte_ether_hdr) + EGW_PKT_IPV4_MIN_HDR;
	meta->ip_len = ip_len;
	meta->l4_len = (uint16_t)(ip_len - EGW_PKT_IPV4_MIN_HDR);
	memcpy(&meta->ip_id, ip + 4, 2);
	memcpy(&meta->sport, l4, 2);
	memcpy(&meta->dport, l4 + 2, 2);
	return true;
}

/* egw_pkt_parse_rx(), with the common frame's path inline. */
static inline enum egw_drop_reason egw_pkt_parse_rx_inline(const uint8_t *data, uint32_t len,
	uint64_t ol_flags, struct egw_pkt_meta *meta)
{
	if (likely(egw_pkt_parse_tcp_fast(data, len, false, ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK,
		    meta)))
		return EGW_DROP_NONE;
	return egw_pkt_parse_general(data, len, false, ol_flags, meta);
}

#endif
