/* SPDX-License-Identifier: BSD-3-Clause */
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "pkt/csum.h"
#include "tcp_craft.h"

#define SYN_WIN 65535
#define TTL 64
#define HDRS_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr))

/* The fields of a segment to write (ports and addresses network order, the rest host). */
struct seg {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t win;
	uint8_t flags;
	uint8_t opts_len;
	uint8_t opts[EGW_TCP_OPTS_MAX];
};

/* Can M, its data starting at DATA_OFF, hold a frame of LEN bytes in its first segment? */
static bool fits(const struct rte_mbuf *m, unsigned data_off, unsigned len)
{
	return m->nb_segs == 1 && data_off <= m->buf_len && len <= m->buf_len - data_off;
}

/* Writes IPv4 + TCP of S after the Ethernet header of M's frame, sets the lengths. */
static void write_seg(struct rte_mbuf *m, const struct seg *s)
{
	struct rte_ipv4_hdr *ip =
		rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	const uint16_t l4_len = (uint16_t)(sizeof(*th) + s->opts_len);

	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + l4_len));
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = TTL;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = s->saddr;
	ip->dst_addr = s->daddr;
	ip->hdr_checksum = egw_csum_full(ip, sizeof(*ip));

	memset(th, 0, sizeof(*th));
	th->src_port = s->sport;
	th->dst_port = s->dport;
	th->sent_seq = rte_cpu_to_be_32(s->seq);
	th->recv_ack = rte_cpu_to_be_32(s->ack);
	th->data_off = (uint8_t)((l4_len / 4) << 4);
	th->tcp_flags = s->flags;
	th->rx_win = rte_cpu_to_be_16(s->win);
	memcpy(th + 1, s->opts, s->opts_len);
	th->cksum = egw_csum_l4(s->saddr, s->daddr, IPPROTO_TCP, th, l4_len);

	rte_pktmbuf_data_len(m) = (uint16_t)(HDRS_LEN + l4_len);
	rte_pktmbuf_pkt_len(m) = rte_pktmbuf_data_len(m);
}

int egw_tcp_craft_synack_win(struct rte_mbuf *m, uint32_t cookie, const struct egw_tcp_opts *opts,
	uint16_t win)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
	const struct rte_tcp_hdr *th;
	struct rte_ether_addr mac;
	struct seg s = { .flags = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, .win = win, .seq = cookie };
	unsigned ihl;

	if (rte_pktmbuf_data_len(m) < HDRS_LEN + sizeof(*th) ||
		eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
		ip->next_proto_id != IPPROTO_TCP)
		return -1;
	ihl = (unsigned)(ip->version_ihl & 0x0f) * 4;
	if (ihl < sizeof(*ip) || rte_pktmbuf_data_len(m) < sizeof(*eth) + ihl + sizeof(*th))
		return -1;
	s.opts_len = (uint8_t)egw_tcp_opts_write_syn(s.opts, opts);
	if (!fits(m, m->data_off, HDRS_LEN + sizeof(*th) + s.opts_len))
		return -1;
	th = (const struct rte_tcp_hdr *)((const uint8_t *)ip + ihl);
	s.saddr = ip->dst_addr;
	s.daddr = ip->src_addr;
	s.sport = th->dst_port;
	s.dport = th->src_port;
	s.ack = rte_be_to_cpu_32(th->sent_seq) + 1;
	rte_ether_addr_copy(&eth->src_addr, &mac);
	rte_ether_addr_copy(&eth->dst_addr, &eth->src_addr);
	rte_ether_addr_copy(&mac, &eth->dst_addr);
	write_seg(m, &s);
	return 0;
}

int egw_tcp_craft_synack(struct rte_mbuf *m, uint32_t cookie, const struct egw_tcp_opts *opts)
{
	return egw_tcp_craft_synack_win(m, cookie, opts, EGW_TCP_CRAFT_SYNACK_WIN);
}

/* Resets M to a fresh frame for S: zero MACs, IPv4. */
static int build(struct rte_mbuf *m, const struct seg *s)
{
	const uint16_t port = m->port;
	struct rte_ether_hdr *eth;

	/* rte_pktmbuf_reset() puts the data at the default headroom. */
	if (!fits(m, RTE_MIN((unsigned)RTE_PKTMBUF_HEADROOM, m->buf_len),
		    HDRS_LEN + sizeof(struct rte_tcp_hdr) + s->opts_len))
		return -1;
	rte_pktmbuf_reset(m);
	m->port = port;
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	memset(eth, 0, sizeof(*eth));
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	write_seg(m, s);
	return 0;
}

/* A segment from SADDR:SPORT to DADDR:DPORT with FLAGS. */
static struct seg seg_between(uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport,
	uint8_t flags)
{
	return (struct seg){ .saddr = saddr,
		.daddr = daddr,
		.sport = sport,
		.dport = dport,
		.flags = flags };
}

int egw_tcp_craft_syn(struct rte_mbuf *m, uint32_t saddr, uint32_t daddr, uint16_t sport,
	uint16_t dport, uint32_t isn, const struct egw_tcp_opts *opts)
{
	struct seg s = seg_between(saddr, daddr, sport, dport, RTE_TCP_SYN_FLAG);

	s.seq = isn;
	s.win = SYN_WIN;
	s.opts_len = (uint8_t)egw_tcp_opts_write_syn(s.opts, opts);
	return build(m, &s);
}

int egw_tcp_craft_ack(struct rte_mbuf *m, uint32_t saddr, uint32_t daddr, uint16_t sport,
	uint16_t dport, uint32_t seq, uint32_t ack, uint16_t win, const struct egw_tcp_opts *ts)
{
	struct seg s = seg_between(saddr, daddr, sport, dport, RTE_TCP_ACK_FLAG);

	s.seq = seq;
	s.ack = ack;
	s.win = win;
	if (ts && ts->has_ts)
		s.opts_len = (uint8_t)egw_tcp_opts_write_ts(s.opts, ts->tsval, ts->tsecr);
	return build(m, &s);
}
