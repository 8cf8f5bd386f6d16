/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <netinet/in.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>
#include <rte_icmp.h>
#include <rte_arp.h>

#include "csum.h"
#include "parse_fast.h"
#include "pkt.h"

#define IPOPT_EOL 0
#define IPOPT_NOP 1
#define IPOPT_LSRR 131
#define IPOPT_SSRR 137
#define L4_MIN_QUOTED 8 /* RFC 792: an ICMP error quotes at least 8 bytes past the IP header */

/*
 * Walks the LEN bytes of IPv4 options at OPT (RFC 791 3.1): EOL ends the list (what follows is
 * padding), NOP is one byte, every other option is type, length (2 or more, within the
 * header) and data. Sets EGW_PKT_OPT_* in *SEEN; false when a length is impossible, which
 * RFC 1122 3.2.1.8 warns has sent implementations into endless loops.
 */
static bool ipv4_options(const uint8_t *opt, uint32_t len, uint8_t *seen)
{
	uint32_t i = 0;

	while (i < len) {
		const uint8_t type = opt[i];
		if (type == IPOPT_EOL)
			break;
		if (type == IPOPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2 || opt[i + 1] < 2 || opt[i + 1] > len - i)
			return false;
		*seen |= type == IPOPT_LSRR || type == IPOPT_SSRR ? EGW_PKT_OPT_SOURCE_ROUTE :
								    EGW_PKT_OPT_OTHER;
		i += opt[i + 1];
	}
	return true;
}

/* Ports of a quoted or real L4 header; P points to at least 8 readable bytes. */
static inline void l4_ports(uint8_t proto, const uint8_t *p, uint16_t *sport, uint16_t *dport)
{
	if (proto == IPPROTO_ICMP) {
		uint16_t id;
		memcpy(&id, p + 4, 2);
		*sport = *dport = id;
	} else {
		memcpy(sport, p, 2);
		memcpy(dport, p + 2, 2);
	}
}

static enum egw_drop_reason parse_icmp_error(const uint8_t *icmp, uint32_t avail,
	struct egw_pkt_meta *meta, uint16_t icmp_off)
{
	const uint8_t *in = icmp + 8;
	uint32_t in_avail = avail - 8;
	uint8_t ihl;

	if (in_avail < EGW_PKT_IPV4_MIN_HDR)
		return EGW_DROP_ICMP_ERROR_MALFORMED;
	if ((in[0] >> 4) != 4)
		return EGW_DROP_ICMP_ERROR_MALFORMED;
	ihl = (uint8_t)((in[0] & 0x0f) * 4);
	if (ihl < EGW_PKT_IPV4_MIN_HDR || in_avail < (uint32_t)ihl + L4_MIN_QUOTED)
		return EGW_DROP_ICMP_ERROR_MALFORMED;
	meta->inner_proto = in[9];
	if (meta->inner_proto != IPPROTO_TCP && meta->inner_proto != IPPROTO_UDP &&
		meta->inner_proto != IPPROTO_ICMP)
		return EGW_DROP_ICMP_ERROR_MALFORMED;
	/* Only errors about an echo are about a flow; an error about an error is never sent. */
	if (meta->inner_proto == IPPROTO_ICMP && in[ihl] != EGW_ICMP_ECHO_REQUEST &&
		in[ihl] != EGW_ICMP_ECHO_REPLY)
		return EGW_DROP_ICMP_ERROR_MALFORMED;
	memcpy(&meta->inner_src, in + 12, 4);
	memcpy(&meta->inner_dst, in + 16, 4);
	meta->inner_l3_off = (uint16_t)(icmp_off + 8);
	meta->inner_l4_off = (uint16_t)(meta->inner_l3_off + ihl);
	meta->inner_l4_len = (uint16_t)(in_avail - ihl);
	l4_ports(meta->inner_proto, in + ihl, &meta->inner_sport, &meta->inner_dport);
	meta->kind = EGW_PKT_ICMP_ERROR;
	return EGW_DROP_NONE;
}

enum egw_drop_reason egw_pkt_vlan_reason(const uint8_t *data, uint32_t len)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)data;
	const struct rte_vlan_hdr *vh = (const struct rte_vlan_hdr *)(eth + 1);

	if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_VLAN) ||
		(len >= sizeof(*eth) + sizeof(*vh) && egw_pkt_is_vlan_type(vh->eth_proto)))
		return EGW_DROP_VLAN_QINQ;
	return EGW_DROP_VLAN_UNKNOWN;
}

/*
 * A fragment past the first: only its IP header is ours to read. RFC 1858: a TCP fragment at
 * offset 1 (8 bytes) can rewrite the flags of a header a filter already judged.
 */
static enum egw_drop_reason parse_later_fragment(struct egw_pkt_meta *meta, uint16_t frag_off)
{
	meta->kind = EGW_PKT_FRAGMENT;
	meta->frag = EGW_PKT_FRAG_LATER;
	meta->sport = meta->dport = 0;
	if (meta->proto == IPPROTO_TCP && frag_off == 1)
		return EGW_DROP_IP_FRAGMENT;
	if (meta->proto != IPPROTO_TCP && meta->proto != IPPROTO_UDP && meta->proto != IPPROTO_ICMP)
		return EGW_DROP_L4_UNSUPPORTED;
	return EGW_DROP_NONE;
}

/* LEN bytes at DATA; CUT: the packet goes on past them (egw_pkt_parse_cut); IP_CK: what the
 * receiving NIC said of the IPv4 header checksum (RTE_MBUF_F_RX_IP_CKSUM_*, egw_pkt_parse_rx).
 * Every frame, without the fast path. */
static enum egw_drop_reason parse_general(const uint8_t *data, uint32_t len, bool cut,
	uint64_t ip_ck, struct egw_pkt_meta *meta)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)data;
	const uint8_t *ip, *l4;
	uint16_t ethertype, ip_len, frag;
	uint32_t avail, l4_avail, l4_whole;
	uint8_t ihl;

	meta->kind = EGW_PKT_IPV4;
	meta->tcp_flags = 0;
	meta->icmp_type = 0;
	meta->ip_opts = 0;
	meta->frag = EGW_PKT_FRAG_NONE;
	if (len < sizeof(*eth))
		return EGW_DROP_ETH_TRUNCATED;
	ethertype = rte_be_to_cpu_16(eth->ether_type);
	meta->l3_off = sizeof(*eth);
	if (ethertype == RTE_ETHER_TYPE_ARP) {
		const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)(data + sizeof(*eth));
		if (len < sizeof(*eth) + sizeof(*arp) ||
			arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
			arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
			arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4)
			return EGW_DROP_ARP_MALFORMED;
		meta->kind = EGW_PKT_ARP;
		return EGW_DROP_NONE;
	}
	if (ethertype != RTE_ETHER_TYPE_IPV4)
		return egw_pkt_is_vlan_type(eth->ether_type) ? egw_pkt_vlan_reason(data, len) :
							       EGW_DROP_ETHERTYPE_UNSUPPORTED;

	ip = data + sizeof(*eth);
	avail = len - (uint32_t)sizeof(*eth);
	if (avail < EGW_PKT_IPV4_MIN_HDR)
		return EGW_DROP_IP_TRUNCATED;
	if ((ip[0] >> 4) != 4)
		return EGW_DROP_IP_BAD_VERSION;
	ihl = (uint8_t)((ip[0] & 0x0f) * 4);
	if (ihl < EGW_PKT_IPV4_MIN_HDR || ihl > avail)
		return EGW_DROP_IP_BAD_IHL;
	memcpy(&ip_len, ip + 2, 2);
	ip_len = rte_be_to_cpu_16(ip_len);
	/* Frames may carry Ethernet padding past the IP packet, never the other way round,
	 * unless the ring cut the frame (CUT). */
	if (ip_len < ihl || (ip_len > avail && !cut))
		return EGW_DROP_IP_BAD_LENGTH;
	/* One test where the NIC vouched for the header; its verdict on a bad one is final. */
	if (ip_ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
		(ip_ck == RTE_MBUF_F_RX_IP_CKSUM_BAD || !egw_csum_ipv4_hdr_ok(ip, ihl)))
		return EGW_DROP_IP_BAD_CHECKSUM;
	if (unlikely(ihl > EGW_PKT_IPV4_MIN_HDR) &&
		!ipv4_options(ip + EGW_PKT_IPV4_MIN_HDR, (uint32_t)(ihl - EGW_PKT_IPV4_MIN_HDR),
			&meta->ip_opts))
		return EGW_DROP_IP_BAD_OPTIONS;
	memcpy(&meta->src, ip + 12, 4);
	memcpy(&meta->dst, ip + 16, 4);
	if (egw_pkt_martian_src(meta->src) || egw_pkt_martian_dst(meta->dst))
		return EGW_DROP_IP_MARTIAN;
	meta->proto = ip[9];
	meta->ip_len = ip_len;
	meta->l4_off = (uint16_t)(meta->l3_off + ihl);
	meta->l4_len = (uint16_t)(ip_len - ihl);
	memcpy(&meta->ip_id, ip + 4, 2);
	memcpy(&frag, ip + 6, 2);
	frag = rte_be_to_cpu_16(frag);
	/* Ports are in the first fragment only: the others follow their train (lib/pipeline). */
	if (frag & RTE_IPV4_HDR_OFFSET_MASK)
		return parse_later_fragment(meta, frag & RTE_IPV4_HDR_OFFSET_MASK);
	if (frag & RTE_IPV4_HDR_MF_FLAG)
		meta->frag = EGW_PKT_FRAG_FIRST;
	l4 = ip + ihl;
	/* The L4 header is checked within the bytes at hand; a first fragment's UDP length and
	 * a cut frame's lengths cover bytes that are not. */
	l4_whole = meta->l4_len;
	l4_avail = RTE_MIN(l4_whole, avail - ihl);

	switch (meta->proto) {
	case IPPROTO_TCP: {
		uint8_t doff, flags;
		if (l4_avail < sizeof(struct rte_tcp_hdr))
			return EGW_DROP_L4_TRUNCATED;
		doff = (uint8_t)((l4[12] >> 4) * 4);
		if (doff < sizeof(struct rte_tcp_hdr) || doff > l4_avail)
			return EGW_DROP_TCP_BAD_OFFSET;
		flags = l4[13];
		if ((flags & EGW_TCP_SYN) && (flags & (EGW_TCP_FIN | EGW_TCP_RST)))
			return EGW_DROP_TCP_BAD_FLAGS;
		/* Only the opening SYN and a RST may lack ACK: a receiver drops any other
		 * segment without it (RFC 9293 3.10.7.4), so no flags, a bare FIN or FIN+PSH+URG
		 * (scans) are no connection's packets. */
		if (!(flags & (EGW_TCP_SYN | EGW_TCP_ACK | EGW_TCP_RST)))
			return EGW_DROP_TCP_BAD_FLAGS;
		meta->tcp_flags = flags;
		l4_ports(IPPROTO_TCP, l4, &meta->sport, &meta->dport);
		return EGW_DROP_NONE;
	}
	case IPPROTO_UDP: {
		uint16_t ulen;
		if (l4_avail < sizeof(struct rte_udp_hdr))
			return EGW_DROP_L4_TRUNCATED;
		memcpy(&ulen, l4 + 4, 2);
		ulen = rte_be_to_cpu_16(ulen);
		/* Shorter than the IP payload is no padding we could keep: the bytes past the
		 * UDP length would leave as if they were data (and RFC 768 has no such room). */
		if (ulen < sizeof(struct rte_udp_hdr) ||
			(meta->frag ? ulen < l4_whole : ulen != l4_whole))
			return EGW_DROP_UDP_BAD_LENGTH;
		l4_ports(IPPROTO_UDP, l4, &meta->sport, &meta->dport);
		return EGW_DROP_NONE;
	}
	case IPPROTO_ICMP:
		if (l4_avail < sizeof(struct rte_icmp_hdr))
			return EGW_DROP_L4_TRUNCATED;
		meta->icmp_type = l4[0];
		switch (l4[0]) {
		case EGW_ICMP_ECHO_REQUEST:
		case EGW_ICMP_ECHO_REPLY:
			l4_ports(IPPROTO_ICMP, l4, &meta->sport, &meta->dport);
			return EGW_DROP_NONE;
		case EGW_ICMP_DEST_UNREACH:
		case EGW_ICMP_TIME_EXCEEDED:
		case EGW_ICMP_PARAM_PROBLEM:
			/* Errors are short: one in pieces is no router's. */
			if (meta->frag || l4_avail != l4_whole)
				return EGW_DROP_IP_FRAGMENT;
			return parse_icmp_error(l4, l4_avail, meta, meta->l4_off);
		default:
			return EGW_DROP_ICMP_UNSUPPORTED;
		}
	default:
		return EGW_DROP_L4_UNSUPPORTED;
	}
}

static enum egw_drop_reason parse_frame(const uint8_t *data, uint32_t len, bool cut, uint64_t ip_ck,
	struct egw_pkt_meta *meta)
{
	if (likely(egw_pkt_parse_tcp_fast(data, len, cut, ip_ck, meta)))
		return EGW_DROP_NONE;
	return parse_general(data, len, cut, ip_ck, meta);
}

enum egw_drop_reason egw_pkt_parse_general(const uint8_t *data, uint32_t len, bool cut,
	uint64_t ol_flags, struct egw_pkt_meta *meta)
{
	return parse_general(data, len, cut, ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK, meta);
}

enum egw_drop_reason egw_pkt_parse(const uint8_t *data, uint32_t len, struct egw_pkt_meta *meta)
{
	return parse_frame(data, len, false, RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN, meta);
}

/* The data path's own inline composition (parse_fast.h), so that what the tests and fuzz_pkt
 * hold to the general parser is what the receive loop runs. */
enum egw_drop_reason egw_pkt_parse_rx(const uint8_t *data, uint32_t len, uint64_t ol_flags,
	struct egw_pkt_meta *meta)
{
	return egw_pkt_parse_rx_inline(data, len, ol_flags, meta);
}

enum egw_drop_reason egw_pkt_parse_cut(const uint8_t *data, uint32_t len, struct egw_pkt_meta *meta)
{
	return parse_frame(data, len, true, RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN, meta);
}
