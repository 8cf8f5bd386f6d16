/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_L3_H
#define EGW_L3_H

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "pkt/pkt.h"

/*
 * Packets the appliance writes itself: ARP (requests, replies, gratuitous) and ICMP (echo
 * replies, time exceeded, fragmentation needed). ICMP errors are built in place of the packet
 * they are about, so the data path never allocates for them.
 */

/* Writes an ARP frame into M (reset to 60 bytes, minimum Ethernet size). */
void egw_arp_build(struct rte_mbuf *m, uint16_t op, const struct rte_ether_addr *eth_dst,
	const struct rte_ether_addr *sha, uint32_t spa_be, const struct rte_ether_addr *tha,
	uint32_t tpa_be);

/*
 * Turns M (parsed as META) around in place: back to the MAC it came from, from OUR_MAC, its IP
 * addresses swapped and a fresh TTL. The IP checksum and what follows the IP header are the
 * caller's (an echo reply, a DNS answer). Returns the IP header.
 */
struct rte_ipv4_hdr *egw_l3_reflect(struct rte_mbuf *m, const struct egw_pkt_meta *meta,
	const struct rte_ether_addr *our_mac);

/* Turns the echo request M (parsed as META) into its reply from our MAC. */
void egw_icmp_echo_reply(struct rte_mbuf *m, const struct egw_pkt_meta *meta,
	const struct rte_ether_addr *our_mac);

/*
 * Replaces M (parsed as META) with an ICMP error of TYPE/CODE from SRC_BE about it, addressed
 * back to its sender's MAC and address. NEXT_MTU is put in the header for "fragmentation
 * needed" (type 3 code 4), 0 otherwise. Quotes the IP header and the first 8 bytes of payload
 * (RFC 792).
 */
void egw_icmp_error_build(struct rte_mbuf *m, const struct egw_pkt_meta *meta, uint8_t type,
	uint8_t code, uint16_t next_mtu, uint32_t src_be, const struct rte_ether_addr *our_mac);

#endif
