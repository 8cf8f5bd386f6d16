/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_TCP_RST_H
#define EGW_TCP_RST_H

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "pkt/pkt.h"

/*
 * Resets for connections the appliance ends (a policy change revoked them). Each side accepts
 * a RST whose sequence number is the one it expects next (RFC 5961 3.2): toward the receiver
 * of a packet that is the packet's own sequence number, toward its sender the packet's
 * acknowledgement number.
 */

/* Turns the TCP packet M (parsed as META) into a bare RST|ACK with its addresses, ports,
 * sequence and acknowledgement numbers; payload and options dropped, checksums recomputed.
 * META's lengths are updated. */
void egw_tcp_rst_inplace(struct rte_mbuf *m, struct egw_pkt_meta *meta);

/* Turns the TCP segment M (parsed as META) around, in place, into the RST|ACK that answers it
 * (RFC 9293 3.10.7.1): back to its sender's MAC from OUR_MAC, addresses and ports swapped, at
 * M's acknowledgement number (0 when M has no ACK), acknowledging all of M. META follows. */
void egw_tcp_rst_reflect(struct rte_mbuf *m, struct egw_pkt_meta *meta,
	const struct rte_ether_addr *our_mac);

/* Writes into R a RST|ACK answering M: from M's destination to M's source, to M's sender MAC,
 * from OUR_MAC. */
void egw_tcp_rst_reverse(struct rte_mbuf *r, const struct rte_mbuf *m,
	const struct egw_pkt_meta *meta, const struct rte_ether_addr *our_mac);

#endif
