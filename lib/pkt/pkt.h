/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_PKT_H
#define EGW_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "common/drop.h"

/*
 * What the parser learned about one frame. Every offset it returns has been checked against
 * the frame (and the IPv4 total length), so the rest of the pipeline may read the headers it
 * names without further bounds checks. Addresses and ports stay in network byte order.
 */
enum egw_pkt_kind {
	EGW_PKT_IPV4 = 0,   /* TCP, UDP or ICMP echo */
	EGW_PKT_ICMP_ERROR, /* ICMP error quoting a TCP/UDP/ICMP-echo packet */
	EGW_PKT_ARP,
	/* An IPv4 fragment past the first (offset > 0): no L4 header, so no ports. Its train
	 * (source, destination, protocol, IP ID) follows the translation of its first fragment. */
	EGW_PKT_FRAGMENT,
};

/* struct egw_pkt_meta frag: where a packet stands in a fragment train. */
enum egw_pkt_frag {
	EGW_PKT_FRAG_NONE = 0, /* a whole datagram */
	EGW_PKT_FRAG_FIRST,    /* offset 0, MF: carries the L4 header (kind EGW_PKT_IPV4) */
	EGW_PKT_FRAG_LATER,    /* offset > 0 (kind EGW_PKT_FRAGMENT) */
	/* lib/pipeline: a first fragment its flow's worker translated, on its way to the worker
	 * that keeps its train (sport: exit port, dport: bit 0 outbound, bit 1 hairpinned) */
	EGW_PKT_FRAG_RELAYED,
};

#define EGW_TCP_FIN 0x01
#define EGW_TCP_SYN 0x02
#define EGW_TCP_RST 0x04
#define EGW_TCP_PSH 0x08
#define EGW_TCP_ACK 0x10

/* IPv4 options a packet carries (struct egw_pkt_meta ip_opts); EOL and NOP are padding. */
#define EGW_PKT_OPT_SOURCE_ROUTE 0x01 /* loose or strict source and record route */
#define EGW_PKT_OPT_OTHER 0x02	      /* any other option (record route, timestamp...) */

#define EGW_ICMP_ECHO_REPLY 0
#define EGW_ICMP_DEST_UNREACH 3
#define EGW_ICMP_ECHO_REQUEST 8
#define EGW_ICMP_TIME_EXCEEDED 11
#define EGW_ICMP_PARAM_PROBLEM 12

struct egw_pkt_meta {
	uint8_t kind;
	uint8_t proto; /* IPPROTO_TCP/UDP/ICMP of the packet itself */
	uint8_t tcp_flags;
	uint8_t icmp_type;
	uint16_t l3_off; /* always 14: no VLAN support yet */
	uint16_t l4_off;
	uint16_t ip_len;       /* IPv4 total length (host order) */
	uint16_t l4_len;       /* ip_len - IP header length */
	uint32_t src, dst;     /* IPv4 addresses */
	uint16_t sport, dport; /* TCP/UDP ports; ICMP echo: both the identifier */
	uint8_t frag;	       /* enum egw_pkt_frag */
	uint16_t ip_id;	       /* IPv4 identification (network order) */
	uint8_t ip_opts;       /* EGW_PKT_OPT_* of the IPv4 header; 0 without options */
	/* ICMP errors only: the quoted packet, as the original sender sent it */
	uint8_t inner_proto;
	uint16_t inner_l3_off;
	uint16_t inner_l4_off;
	uint16_t inner_l4_len; /* bytes of quoted L4 header available (>= 8) */
	uint32_t inner_src, inner_dst;
	uint16_t inner_sport, inner_dport;
};

/*
 * The part of the metadata a packet other than an ICMP error needs (the fields before
 * ip_opts), which travels with it when one worker hands it to another (an mbuf dynamic field:
 * the receiver does not parse it again). An ICMP error's quoted packet does not fit there; the
 * receiver parses it again.
 */
#define EGW_PKT_META_CARRIED 28
_Static_assert(offsetof(struct egw_pkt_meta, ip_opts) == EGW_PKT_META_CARRIED,
	"the carried metadata is the fields before ip_opts");
#define EGW_PKT_META_DYNFIELD "egw_pkt_meta"

/* Stores what M's receiver needs of *META in M's dynamic field at OFF. */
static inline void egw_pkt_meta_carry(struct rte_mbuf *m, int off, const struct egw_pkt_meta *meta)
{
	memcpy(RTE_MBUF_DYNFIELD(m, off, void *), meta, EGW_PKT_META_CARRIED);
}

/* The metadata M carries (egw_pkt_meta_carry) into *META; false for an ICMP error (parse M). */
static inline bool egw_pkt_meta_take(const struct rte_mbuf *m, int off, struct egw_pkt_meta *meta)
{
	const struct egw_pkt_meta *c = RTE_MBUF_DYNFIELD(m, off, const struct egw_pkt_meta *);

	if (unlikely(c->kind == EGW_PKT_ICMP_ERROR))
		return false;
	memcpy(meta, c, EGW_PKT_META_CARRIED);
	meta->ip_opts = 0; /* judged where it came in */
	return true;
}

/* A VLAN tag's ethertype (network order): 802.1Q, 802.1ad, or the old QinQ 0x9100. */
static inline bool egw_pkt_is_vlan_type(uint16_t ethertype_be)
{
	return ethertype_be == RTE_BE16(RTE_ETHER_TYPE_VLAN) ||
	       ethertype_be == RTE_BE16(RTE_ETHER_TYPE_QINQ) ||
	       ethertype_be == RTE_BE16(RTE_ETHER_TYPE_QINQ1);
}

/*
 * A tagged frame of LEN bytes at DATA (its ethertype is a VLAN tag): EGW_DROP_VLAN_QINQ when it
 * carries two tags (or an outer 802.1ad one), else EGW_DROP_VLAN_UNKNOWN.
 */
enum egw_drop_reason egw_pkt_vlan_reason(const uint8_t *data, uint32_t len);

/*
 * Parses one frame of LEN bytes at DATA. Returns EGW_DROP_NONE and fills *meta, or the reason
 * the frame must be dropped. Never reads outside [data, data + len).
 */
enum egw_drop_reason egw_pkt_parse(const uint8_t *data, uint32_t len, struct egw_pkt_meta *meta);

/*
 * The same for a frame as received, with the mbuf's OL_FLAGS: where the NIC checked the IPv4
 * header checksum (RTE_MBUF_F_RX_IP_CKSUM_GOOD) it is not checked again, where it found it bad
 * (RTE_MBUF_F_RX_IP_CKSUM_BAD) the frame is EGW_DROP_IP_BAD_CHECKSUM without a second look;
 * UNKNOWN (the NIC did not check) and NONE (integrity vouched for by other means, as virtio
 * does for L4; taken as no verdict) are checked in software as by egw_pkt_parse().
 */
enum egw_drop_reason egw_pkt_parse_rx(const uint8_t *data, uint32_t len, uint64_t ol_flags,
	struct egw_pkt_meta *meta);

/*
 * The same for a frame the receive ring cut short: LEN bytes of a longer packet (a datagram the
 * kernel reassembled, larger than any frame of the wire). The IPv4 total length may exceed
 * LEN; the headers must lie within it. meta->ip_len is the packet's real length.
 */
enum egw_drop_reason egw_pkt_parse_cut(const uint8_t *data, uint32_t len,
	struct egw_pkt_meta *meta);

/*
 * The general parser alone, without the straight-line path the three above try first for the
 * common Ethernet/IPv4/TCP frame (CUT and OL_FLAGS as egw_pkt_parse_cut and _rx): the
 * reference the fast path is held to by the unit tests and fuzz_pkt (same verdict, same
 * metadata), and where egw_pkt_parse_rx_inline (parse_fast.h) sends every other frame.
 */
enum egw_drop_reason egw_pkt_parse_general(const uint8_t *data, uint32_t len, bool cut,
	uint64_t ol_flags, struct egw_pkt_meta *meta);

#endif
