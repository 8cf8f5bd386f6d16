/* SPDX-License-Identifier: BSD-3-Clause */
#include <netinet/in.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "l3.h"
#include "pkt/csum.h"

#define ETH_MIN_FRAME 60
#define ICMP_QUOTE_L4 8

void egw_arp_build(struct rte_mbuf *m, uint16_t op, const struct rte_ether_addr *eth_dst,
	const struct rte_ether_addr *sha, uint32_t spa_be, const struct rte_ether_addr *tha,
	uint32_t tpa_be)
{
	uint8_t *p;
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;

	rte_pktmbuf_reset(m);
	p = (uint8_t *)rte_pktmbuf_append(m, ETH_MIN_FRAME);
	memset(p, 0, ETH_MIN_FRAME);
	eth = (struct rte_ether_hdr *)p;
	arp = (struct rte_arp_hdr *)(eth + 1);
	rte_ether_addr_copy(eth_dst, &eth->dst_addr);
	rte_ether_addr_copy(sha, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(sha, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = spa_be;
	rte_ether_addr_copy(tha, &arp->arp_data.arp_tha);
	arp->arp_data.arp_tip = tpa_be;
}

struct rte_ipv4_hdr *egw_l3_reflect(struct rte_mbuf *m, const struct egw_pkt_meta *meta,
	const struct rte_ether_addr *our_mac)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, meta->l3_off);
	const uint32_t src = ip->src_addr;

	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(our_mac, &eth->src_addr);
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = src;
	ip->time_to_live = 64;
	return ip;
}

void egw_icmp_echo_reply(struct rte_mbuf *m, const struct egw_pkt_meta *meta,
	const struct rte_ether_addr *our_mac)
{
	struct rte_icmp_hdr *icmp = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, meta->l4_off);
	struct rte_ipv4_hdr *ip = egw_l3_reflect(m, meta, our_mac);

	ip->hdr_checksum = 0;
	ip->hdr_checksum = egw_csum_full(ip, (size_t)(meta->l4_off - meta->l3_off));
	/* Type and code form the first 16-bit word; the request's code need not be 0. */
	icmp->icmp_cksum = egw_csum_update16(icmp->icmp_cksum,
		rte_cpu_to_be_16((uint16_t)(icmp->icmp_type << 8 | icmp->icmp_code)),
		rte_cpu_to_be_16((uint16_t)(EGW_ICMP_ECHO_REPLY << 8)));
	icmp->icmp_type = EGW_ICMP_ECHO_REPLY;
	icmp->icmp_code = 0;
}

void egw_icmp_error_build(struct rte_mbuf *m, const struct egw_pkt_meta *meta, uint8_t type,
	uint8_t code, uint16_t next_mtu, uint32_t src_be, const struct rte_ether_addr *our_mac)
{
	uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t quote[60 + ICMP_QUOTE_L4];
	struct rte_ether_addr back_to;
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	uint8_t *icmp;
	uint16_t ihl = (uint16_t)(meta->l4_off - meta->l3_off);
	uint16_t l4 = meta->l4_len < ICMP_QUOTE_L4 ? meta->l4_len : ICMP_QUOTE_L4;
	uint16_t qlen = (uint16_t)(ihl + l4);
	uint16_t total = (uint16_t)(sizeof(struct rte_ipv4_hdr) + 8 + qlen);
	uint32_t orig_src;

	memcpy(quote, data + meta->l3_off, qlen);
	memcpy(&orig_src, data + meta->l3_off + 12, 4);
	rte_ether_addr_copy(&((struct rte_ether_hdr *)data)->src_addr, &back_to);

	rte_pktmbuf_reset(m);
	data = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(sizeof(*eth) + total));
	eth = (struct rte_ether_hdr *)data;
	rte_ether_addr_copy(&back_to, &eth->dst_addr);
	rte_ether_addr_copy(our_mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0xc0; /* internetwork control, RFC 1812 4.3.2.5 */
	ip->total_length = rte_cpu_to_be_16(total);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = src_be;
	ip->dst_addr = orig_src;
	ip->hdr_checksum = egw_csum_full(ip, sizeof(*ip));
	icmp = (uint8_t *)(ip + 1);
	memset(icmp, 0, 8);
	icmp[0] = type;
	icmp[1] = code;
	if (next_mtu) {
		uint16_t be = rte_cpu_to_be_16(next_mtu);
		memcpy(icmp + 6, &be, 2);
	}
	memcpy(icmp + 8, quote, qlen);
	{
		uint16_t c = egw_csum_full(icmp, (size_t)8 + qlen);
		memcpy(icmp + 2, &c, 2);
	}
}
