/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_PL_RX_CHECKS_H
#define EGW_PL_RX_CHECKS_H

/*
 * What a received packet is checked for before its flow is looked up (pipeline.c classify):
 * parsed and its IP options judged, local traffic (ARP, pings to us) taken aside, addresses
 * no packet may carry, TTL. Inline: every packet comes here; each check drops with one reason.
 */
#include <netinet/in.h>
#include <stdbool.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "pipeline_internal.h"
#include "exception_internal.h"
#include "pkt/parse_fast.h"

static inline bool egw_pl_addr_in(const uint32_t *addrs, unsigned n, uint32_t addr_be)
{
	for (unsigned i = 0; i < n; i++)
		if (addrs[i] == addr_be)
			return true;
	return false;
}

static inline bool egw_pl_is_local_addr(const struct egw_dataplane *dp, uint32_t addr_be)
{
	return egw_pl_addr_in(dp->local_addrs, dp->n_local_addrs, addr_be);
}

/*
 * Addresses no packet through the appliance may carry. From one of ours: a spoofed packet,
 * whose replies would come back to us (a port address: the appliance would ARP for itself).
 * Pool addresses count from the inside only: outside, they are where replies go. To or from a
 * broadcast of a connected subnet: translated and sent on, one packet would reach every host
 * of the subnet (RFC 2644: routers do not forward directed broadcasts).
 *
 * Checked where a packet could start something: before a flow is created (or an outside miss
 * counted) and before the control thread answers. A packet of a known flow carries the
 * addresses its flow was checked with, so the established path pays nothing. An ICMP error
 * about a known flow is not checked: its outer source is whoever reports, the appliance itself
 * included (host unreachable from a port address about a packet no neighbour took, received
 * through this path: lib/net/neigh_resolve.c), and a forged one could name any other source.
 */
static inline enum egw_drop_reason egw_pl_address_check(const struct egw_dataplane *dp,
	const struct egw_snapshot *snap, const struct egw_pkt_meta *meta, uint8_t zone)
{
	if (egw_pl_is_local_addr(dp, meta->src) ||
		(zone == EGW_ZONE_INSIDE && egw_addr_set_contains(&snap->pool_addrs, meta->src)))
		return EGW_DROP_IP_OWN_SOURCE;
	if (egw_pl_addr_in(dp->subnet_bcasts, dp->n_subnet_bcasts, meta->dst) ||
		egw_pl_addr_in(dp->subnet_bcasts, dp->n_subnet_bcasts, meta->src))
		return EGW_DROP_IP_SUBNET_BROADCAST;
	return EGW_DROP_NONE;
}

/* Local traffic and early checks shared by every packet before ownership: ARP to the control
 * thread, ICMP echo to us answered. Returns false when M was consumed. */
static inline bool egw_pl_early_checks(struct egw_worker *w, const struct egw_snapshot *snap,
	struct rte_mbuf *m, const struct egw_pkt_meta *meta, const struct egw_port_info *in)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	enum egw_drop_reason why;

	/* The kernel's side of the exception path (tunnel): its own checks (exception.c). */
	if (unlikely(w->dp->exc != NULL) && m->port == w->dp->exc->port)
		return egw_pl_exception_from_kernel(w, m, meta);
	if (meta->kind == EGW_PKT_ARP) {
		/* ARP is rare and stateful (learning, pending resolutions): the control thread
		 * owns it. */
		if (rte_ring_enqueue(w->dp->punt_ring, m) < 0)
			egw_drop(&w->stats, m, EGW_DROP_CONTROL_QUEUE_FULL);
		else
			w->stats.punted++;
		return false;
	}
	if (!rte_is_same_ether_addr(&eth->dst_addr, &in->mac)) {
		egw_drop(&w->stats, m, EGW_DROP_L2_NOT_FOR_US);
		return false;
	}
	if (egw_pl_is_local_addr(w->dp, meta->dst)) {
		/* A tunnel listener's: the kernel's TCP serves it. */
		if (unlikely(w->dp->exc != NULL) && egw_pl_exception_local(w, m, meta, in))
			return false;
		why = egw_pl_address_check(w->dp, snap, meta, in->zone);
		/* Each side sees only its own port's address: an answer from the inside address
		 * out of the outside port would tell the Internet how the site is numbered. */
		if (why == EGW_DROP_NONE && meta->dst != in->addr_be)
			why = EGW_DROP_LOCAL_OTHER_SIDE;
		/* Answered in place: a whole echo request only (not a fragment, nor a
		 * reassembled one the ring cut). */
		if (why == EGW_DROP_NONE &&
			!(meta->proto == IPPROTO_ICMP && meta->kind == EGW_PKT_IPV4 &&
				meta->icmp_type == EGW_ICMP_ECHO_REQUEST &&
				meta->frag == EGW_PKT_FRAG_NONE &&
				meta->l3_off + meta->ip_len <= m->data_len))
			why = EGW_DROP_LOCAL_UNSUPPORTED;
		if (why != EGW_DROP_NONE) {
			egw_drop(&w->stats, m, why);
			return false;
		}
		/* A ping to us is answered where it arrived, in place: no trip through the
		 * control thread and back. */
		egw_icmp_echo_reply(m, meta, &in->mac);
		w->stats.echo_replies++;
		egw_pl_tx_enqueue(w, m->port, m);
		return false;
	}
	return true;
}

/*
 * [egress] ip_options on a packet whose header carries options (SEEN: EGW_PKT_OPT_*). Source
 * routes are what RFC 7126 (sections 4.3, 4.4) says to drop by default: they let a sender steer
 * packets around filters and reach addresses the route table would not. The appliance records
 * nothing into record route or timestamp options; it forwards them as it found them.
 */
static inline enum egw_drop_reason egw_pl_ip_options_verdict(enum egw_ip_options policy,
	uint8_t seen)
{
	if (policy == EGW_IP_OPTIONS_PASS)
		return EGW_DROP_NONE;
	if (seen & EGW_PKT_OPT_SOURCE_ROUTE)
		return EGW_DROP_IP_SOURCE_ROUTE;
	return policy == EGW_IP_OPTIONS_DROP_ALL ? EGW_DROP_IP_OPTIONS_DENIED : EGW_DROP_NONE;
}

/*
 * TTL 1 or 0: the packet dies here (time exceeded to its sender, rate-limited). Checked only
 * for packets of known flows and new inside flows, so the appliance never answers unsolicited
 * outside traffic. Returns true when M was consumed.
 */
static inline bool egw_pl_ttl_expires(struct egw_worker *w, struct rte_mbuf *m,
	const struct egw_pkt_meta *meta)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l3_off);

	if (likely(ip[8] > 1))
		return false;
	egw_pl_reply_icmp_error(w, m, meta, EGW_ICMP_TIME_EXCEEDED, 0, 0, EGW_DROP_TTL_EXCEEDED);
	return true;
}

/*
 * Parses M into *PM and judges its IP options. False when M was dropped (one reason).
 *
 * A frame longer than its port's MTU allows cannot have come off the wire that way: the kernel
 * reassembled it (af_packet's fanout defragments) or merged it, and the ring may have cut it.
 * Its IPv4 length past the bytes at hand is then no malformation: it is parsed as cut, and the
 * flow path finds it too big for the exit (mtu_exceeded; fragmentation needed when DF).
 */
static inline bool egw_pl_parse(struct egw_worker *w, const struct egw_snapshot *snap,
	struct rte_mbuf *m, struct egw_pkt_meta *pm)
{
	const uint8_t *data = rte_pktmbuf_mtod(m, const uint8_t *);
	enum egw_drop_reason r;

	/* A tag the driver took off a frame of a device without VLAN ports (those of a device
	 * with them were sorted and cleared by egw_pl_vlan_rx). */
	if (unlikely(m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED)) {
		egw_drop(&w->stats, m, EGW_DROP_VLAN_UNKNOWN);
		return false;
	}
	r = egw_pkt_parse_rx_inline(data, m->data_len, m->ol_flags, pm);
	if (unlikely(r == EGW_DROP_IP_BAD_LENGTH) &&
		m->data_len >= w->dp->ports[m->port].mtu + RTE_ETHER_HDR_LEN)
		r = egw_pkt_parse_cut(data, m->data_len, pm);
	/* One test for both rare cases: a malformed packet, or one with IP options. */
	if (unlikely((r | pm->ip_opts) != 0)) {
		if (r == EGW_DROP_NONE)
			r = egw_pl_ip_options_verdict(snap->ip_options, pm->ip_opts);
		if (r != EGW_DROP_NONE) {
			egw_drop(&w->stats, m, r);
			return false;
		}
	}
	return true;
}

/*
 * The metadata of a packet another worker parsed and handed over (egw_pkt_meta_carry), into
 * *PM; an ICMP error, whose quoted packet does not travel along, is parsed again. False when
 * M was dropped.
 */
static inline bool egw_pl_carried(struct egw_worker *w, struct rte_mbuf *m, struct egw_pkt_meta *pm)
{
	enum egw_drop_reason r;

	if (likely(egw_pkt_meta_take(m, w->dp->meta_off, pm)))
		return true;
	r = egw_pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, pm);
	if (unlikely(r != EGW_DROP_NONE)) {
		egw_drop(&w->stats, m, r);
		return false;
	}
	return true;
}

#endif
