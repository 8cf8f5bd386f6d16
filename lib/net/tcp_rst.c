/* SPDX-License-Identifier: BSD-3-Clause */
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "l3.h"
#include "pkt/csum.h"
#include "tcp_rst.h"

#define RST_FLAGS (RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG)

static void finish(struct rte_ipv4_hdr *ip, struct rte_tcp_hdr *tcp)
{
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + sizeof(*tcp));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = egw_csum_full(ip, sizeof(*ip));
	tcp->data_off = (sizeof(*tcp) / 4) << 4;
	tcp->tcp_flags = RST_FLAGS;
	tcp->rx_win = 0;
	tcp->tcp_urp = 0;
	tcp->cksum = 0;
	tcp->cksum = egw_csum_l4(ip->src_addr, ip->dst_addr, IPPROTO_TCP, tcp, sizeof(*tcp));
}

void egw_tcp_rst_inplace(struct rte_mbuf *m, struct egw_pkt_meta *meta)
{
	uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(data + meta->l3_off);
	struct rte_tcp_hdr *tcp;
	uint16_t ihl = (uint16_t)(meta->l4_off - meta->l3_off);

	/* IP options go too: the RST is a fresh 20-byte header moved up against the TCP one. */
	if (ihl != sizeof(*ip)) {
		memmove(data + meta->l3_off + sizeof(*ip), data + meta->l4_off,
			sizeof(struct rte_tcp_hdr));
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		meta->l4_off = (uint16_t)(meta->l3_off + sizeof(*ip));
	}
	tcp = (struct rte_tcp_hdr *)(data + meta->l4_off);
	finish(ip, tcp);
	meta->ip_len = sizeof(*ip) + sizeof(*tcp);
	meta->l4_len = sizeof(*tcp);
	meta->tcp_flags = RST_FLAGS;
	rte_pktmbuf_data_len(m) = (uint16_t)(meta->l3_off + meta->ip_len);
	rte_pktmbuf_pkt_len(m) = rte_pktmbuf_data_len(m);
}

/*
 * The sequence and acknowledgement numbers (network order) of a RST answering segment OTCP
 * (RFC 9293 3.10.7.1): at the segment's acknowledgement number when it has one; a segment
 * without ACK (a SYN) gets sequence number 0 and is acknowledged in full. SYN and FIN each
 * take a sequence number of their own.
 */
static void answer_numbers(const struct rte_tcp_hdr *otcp, const struct egw_pkt_meta *meta,
	rte_be32_t *seq, rte_be32_t *ack)
{
	uint32_t seg = meta->l4_len - (uint32_t)((otcp->data_off >> 4) * 4);

	seg += (meta->tcp_flags & EGW_TCP_SYN) ? 1 : 0;
	seg += (meta->tcp_flags & EGW_TCP_FIN) ? 1 : 0;
	*seq = (meta->tcp_flags & EGW_TCP_ACK) ? otcp->recv_ack : 0;
	*ack = rte_cpu_to_be_32(rte_be_to_cpu_32(otcp->sent_seq) + seg);
}

void egw_tcp_rst_reflect(struct rte_mbuf *m, struct egw_pkt_meta *meta,
	const struct rte_ether_addr *our_mac)
{
	struct rte_tcp_hdr *tcp = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, meta->l4_off);
	const rte_be16_t sport = tcp->src_port;
	rte_be32_t seq, ack;

	answer_numbers(tcp, meta, &seq, &ack);
	egw_l3_reflect(m, meta, our_mac);
	tcp->src_port = tcp->dst_port;
	tcp->dst_port = sport;
	tcp->sent_seq = seq;
	tcp->recv_ack = ack;
	egw_tcp_rst_inplace(m, meta);
}

void egw_tcp_rst_reverse(struct rte_mbuf *r, const struct rte_mbuf *m,
	const struct egw_pkt_meta *meta, const struct rte_ether_addr *our_mac)
{
	const uint8_t *in = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_tcp_hdr *otcp = (const struct rte_tcp_hdr *)(in + meta->l4_off);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *tcp;
	rte_be32_t seq, ack;

	answer_numbers(otcp, meta, &seq, &ack);
	rte_pktmbuf_reset(r);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(r,
		sizeof(*eth) + sizeof(*ip) + sizeof(*tcp));
	rte_ether_addr_copy(&((const struct rte_ether_hdr *)in)->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(our_mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = meta->dst;
	ip->dst_addr = meta->src;
	tcp = (struct rte_tcp_hdr *)(ip + 1);
	memset(tcp, 0, sizeof(*tcp));
	tcp->src_port = meta->dport;
	tcp->dst_port = meta->sport;
	tcp->sent_seq = seq;
	tcp->recv_ack = ack;
	finish(ip, tcp);
	r->port = m->port;
}
