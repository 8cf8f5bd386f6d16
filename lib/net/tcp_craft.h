/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_TCP_CRAFT_H
#define EGW_TCP_CRAFT_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "flow/tcp_opts.h"

/*
 * TCP segments the appliance writes for late binding (lib/flow/syncookie.h, splice.h): our
 * SYN-ACK in place of the client's SYN, the upstream SYN, bare ACKs. Each builds an Ethernet +
 * IPv4 (20 bytes, no options, DF, TTL 64, ID 0 as RFC 6864 allows for atomic datagrams) + TCP
 * frame on a single-segment mbuf with every checksum complete; the frame parses with
 * egw_pkt_parse(). Addresses and ports in network order (as struct egw_flow_key), sequence
 * numbers and windows host order. Each returns 0, or -1 when M cannot hold the frame (or, for
 * the SYN-ACK, M is not an Ethernet/IPv4/TCP frame), M then unchanged.
 */

#define EGW_TCP_CRAFT_SYNACK_WIN 65535 /* our SYN-ACK's window (a SYN's is never scaled) */

/*
 * Turns the client's SYN in M into our SYN-ACK in place: MACs, addresses and ports swapped,
 * seq COOKIE, ack the SYN's seq + 1, window EGW_TCP_CRAFT_SYNACK_WIN, options OPTS (what we
 * agree to: egw_syncookie_synack_opts). IP options and any payload of the SYN are dropped.
 */
int egw_tcp_craft_synack(struct rte_mbuf *m, uint32_t cookie, const struct egw_tcp_opts *opts);

/* The same with our window WIN. */
int egw_tcp_craft_synack_win(struct rte_mbuf *m, uint32_t cookie, const struct egw_tcp_opts *opts,
	uint16_t win);

/*
 * Builds into M (reset first; its port is kept) a SYN from SADDR:SPORT to DADDR:DPORT with
 * sequence number ISN, window 65535 and options OPTS (the client's, forwarded). The Ethernet
 * addresses are zero and the ethertype IPv4: the sender fills the MACs as for any packet it
 * forwards.
 */
int egw_tcp_craft_syn(struct rte_mbuf *m, uint32_t saddr, uint32_t daddr, uint16_t sport,
	uint16_t dport, uint32_t isn, const struct egw_tcp_opts *opts);

/* The same for a bare ACK with SEQ, ACK and window WIN, and timestamps when TS is not NULL
 * and TS->has_ts (TS->tsval, TS->tsecr). */
int egw_tcp_craft_ack(struct rte_mbuf *m, uint32_t saddr, uint32_t daddr, uint16_t sport,
	uint16_t dport, uint32_t seq, uint32_t ack, uint16_t win, const struct egw_tcp_opts *ts);

#endif
