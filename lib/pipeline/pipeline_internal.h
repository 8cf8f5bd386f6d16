/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_PIPELINE_INTERNAL_H
#define EGW_PIPELINE_INTERNAL_H

/*
 * lib/pipeline only: what the burst loop (pipeline.c) and the slow paths beside it (flow
 * creation in flow_new.c, the re-check after a policy change in flow_recheck.c) share. The
 * exits (TX buffering, ICMP errors, next hop and forwarding) are inline: the fast path pays no
 * call for them.
 */
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_ring.h>

#include "dataplane_internal.h"
#include "net/l3.h"
#include "pkt/csum.h"
#include "pkt/pkt.h"
#include "policy/classifier.h"

/* Checks one NIC hash (one packet in EGW_RSS_CHECK_EVERY) against the software Toeplitz;
 * false, counted, and the worker stops taking NIC hashes, when it disagrees (owner.c). */
bool egw_pl_nic_hash_checks_out(struct egw_worker *w, const struct rte_mbuf *m,
	const struct egw_pkt_meta *meta);

/*
 * The worker owning inside endpoint ADDR:PORT (network order) of PROTO: all flows of one
 * inside socket share a worker (rx_key.h egw_pl_packet_owner; exception.c admissions). With the
 * NIC's RSS as the owner (owner.c), the worker whose RX queue the NIC picks for the endpoint;
 * NIC_M: a packet whose NIC hash may stand in for the computation (net/rss_owner.h), or NULL.
 * Else a software hash.
 */
static inline unsigned egw_pl_endpoint_owner(const struct egw_dataplane *dp,
	const struct rte_mbuf *nic_m, uint32_t addr, uint16_t port, uint8_t proto)
{
	uint32_t h;

	if (dp->rss_owner_on)
		return egw_rss_endpoint_owner(&dp->rss, nic_m, addr, port,
			proto == IPPROTO_TCP || proto == IPPROTO_UDP);
	h = (addr ^ ((uint32_t)port << 16) ^ proto) * 0x9e3779b1u;
	return (unsigned)(((uint64_t)h * dp->n_workers) >> 32);
}

/* The classifier's view of a flow key (host order; ICMP has no port). */
static inline struct egw_cls_key egw_pl_cls_key(const struct egw_flow_key *key)
{
	return (struct egw_cls_key){ .src = rte_be_to_cpu_32(key->a_addr),
		.dst = rte_be_to_cpu_32(key->b_addr),
		.dport = key->proto == IPPROTO_ICMP ? 0 : rte_be_to_cpu_16(key->b_port),
		.proto = key->proto };
}

/* VLAN ports (vlan.c): the N frames just received from device DEV sorted into their logical
 * ports (mbuf->port), untagged; returns how many are left in PKTS (the rest were dropped). */
uint16_t egw_pl_vlan_rx(struct egw_worker *w, uint16_t dev, struct rte_mbuf **pkts, uint16_t n);
/* The N frames in PKTS tagged with VLAN; returns how many are left (the rest were dropped). */
uint16_t egw_pl_vlan_tag(struct egw_worker *w, uint16_t vlan, struct rte_mbuf **pkts, uint16_t n);

/* Sends PORT's TX buffer (on its device, tagged for a VLAN port); what the queue refuses is
 * dropped, counted per port too. */
static inline void egw_pl_tx_send(struct egw_worker *w, uint16_t port)
{
	struct egw_tx_buffer *b = &w->tx[port];
	const struct egw_port_info *pi = &w->dp->ports[port];
	uint16_t n = b->n, sent;
	uint64_t bytes = 0;

	if (unlikely(pi->vlan))
		n = egw_pl_vlan_tag(w, pi->vlan, b->pkts, n);
	if (unlikely(w->lat))
		egw_latency_record(w->lat, b->pkts, n, w->lat_off, rte_get_tsc_cycles());
	/* Counted before they go: a packet the driver took is its own (one that transmits at
	 * once may have freed it, and another lcore reused it, by the time tx_burst returns). */
	for (uint16_t i = 0; i < n; i++)
		bytes += b->pkts[i]->pkt_len;
	sent = rte_eth_tx_burst(pi->dev, w->txq, b->pkts, n);
	if (unlikely(sent < n)) {
		w->stats.tx_full[port] += (uint64_t)(n - sent);
		for (uint16_t i = sent; i < n; i++) {
			bytes -= b->pkts[i]->pkt_len;
			egw_drop(&w->stats, b->pkts[i], EGW_DROP_TX_FULL);
		}
	}
	w->stats.tx_packets += sent;
	w->stats.tx_bytes += bytes;
	b->n = 0;
}

static inline void egw_pl_tx_enqueue(struct egw_worker *w, uint16_t port, struct rte_mbuf *m)
{
	struct egw_tx_buffer *b = &w->tx[port];

	if (b->n == EGW_BURST)
		egw_pl_tx_send(w, port);
	b->pkts[b->n++] = m;
	w->tx_dirty |= 1u << port;
}

/* Token bucket for ICMP errors we generate (RFC 1812 4.3.2.8: rate-limited). */
static inline bool egw_pl_icmp_error_allowed(struct egw_worker *w)
{
	return egw_rate_take(&w->icmp_rate, w->now, w->dp->icmp_errors_per_s);
}

/* Replaces M with an ICMP error back to its sender, or frees it when rate-limited. The
 * original packet counts as dropped for REASON either way. */
static inline void egw_pl_reply_icmp_error(struct egw_worker *w, struct rte_mbuf *m,
	const struct egw_pkt_meta *meta, uint8_t type, uint8_t code, uint16_t mtu,
	enum egw_drop_reason reason)
{
	/* Saved: the builder resets the mbuf, port included (RTE_MBUF_PORT_INVALID). */
	const uint16_t port = m->port;
	const struct egw_port_info *in = &w->dp->ports[port];

	w->stats.drops[reason]++;
	/* Never an error about an ICMP error (RFC 1122 3.2.2). */
	if (meta->kind == EGW_PKT_ICMP_ERROR || !egw_pl_icmp_error_allowed(w)) {
		rte_pktmbuf_free(m);
		return;
	}
	egw_icmp_error_build(m, meta, type, code, mtu, in->addr_be, &in->mac);
	w->stats.icmp_errors_sent++;
	egw_pl_tx_enqueue(w, port, m);
}

/* How a refused new flow's packet is told to its sender (reject.c). */
enum egw_pl_answer {
	EGW_PL_ANSWER_NONE = 0,	  /* dropped silently */
	EGW_PL_ANSWER_REJECT,	  /* TCP: a RST; UDP, ICMP: ICMP 3/13 */
	EGW_PL_ANSWER_PROHIBITED, /* ICMP 3/13 whatever the protocol (NAT exhaustion) */
};

/* How SNAP answers a new flow refused for WHY, decided by policy RT (NULL: the mode). */
enum egw_pl_answer egw_pl_answer_of(const struct egw_snapshot *snap, const struct egw_policy_rt *rt,
	enum egw_drop_reason why);

/*
 * M (META), the refused first packet of a new flow, counted as dropped for WHY, and answered
 * as ANSWER says in place (META's lengths follow), rate-limited by SNAP's reject_rate. Never
 * answers a RST or an ICMP error. Consumes M.
 */
void egw_pl_refuse_packet(struct egw_worker *w, const struct egw_snapshot *snap, struct rte_mbuf *m,
	struct egw_pkt_meta *meta, enum egw_drop_reason why, enum egw_pl_answer answer);

/*
 * Next hop MAC through the neighbour slot cached in *SLOT (looked up on first use). False when
 * the neighbour is not resolved yet.
 */
static inline bool egw_pl_next_hop_mac(struct egw_worker *w, uint16_t port, uint32_t nexthop_be,
	uint16_t *slot, struct rte_ether_addr *mac)
{
	const struct egw_neigh_table *nt = w->dp->neigh;

	if (*slot == EGW_NEIGH_NONE) {
		uint16_t s = egw_neigh_find(nt, port, nexthop_be);
		if (s == EGW_NEIGH_SLOT_NONE)
			return false;
		*slot = s;
	}
	return egw_neigh_mac(nt, *slot, mac);
}

/*
 * A packet ready to leave but for its destination MAC goes to the control thread, which
 * resolves the next hop (ARP) and sends it then, like the kernel's unresolved queue: the first
 * packet to a new neighbour is delayed, not lost.
 */
static inline void egw_pl_hold_for_neighbour(struct egw_worker *w, struct rte_mbuf *m,
	uint16_t port, uint32_t nexthop_be)
{
	m->port = port;
	m->hash.usr = nexthop_be;
	if (rte_ring_enqueue(w->dp->resolve_ring, m) < 0)
		egw_drop(&w->stats, m, EGW_DROP_NEIGH_UNRESOLVED);
	else
		w->stats.held++;
}

/* Hairpinning (RFC 4787 REQ-9): M, a packet of a flow to a pool address, translated, turns
 * back to be processed as if it had arrived on outside port OUT_PORT (hairpin.c). */
void egw_pl_hairpin(struct egw_worker *w, struct rte_mbuf *m, uint16_t out_port);

/*
 * Common exit: L3/L2 rewrite and TX. The caller has checked TTL > 1 and translated. Always
 * inline: the established path (flow_send) calls this one, so that the port and neighbour
 * loads mix with its own; the rare exits call egw_pl_forward, which the compiler may keep out
 * of line.
 */
static __rte_always_inline void egw_pl_forward_inline(struct egw_worker *w, struct rte_mbuf *m,
	uint16_t out_port, uint16_t *slot, uint32_t dst_be, const struct egw_route_table *rt,
	bool outbound)
{
	const struct egw_port_info *out = &w->dp->ports[out_port];
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_ether_addr mac;
	uint16_t ip_len = rte_be_to_cpu_16(ip->total_length);
	uint32_t nh = 0;
	bool resolved;

	if (unlikely(*slot == EGW_NEIGH_HAIRPIN)) {
		egw_pl_hairpin(w, m, out_port);
		return;
	}
	if (*slot == EGW_NEIGH_NONE) {
		/* The next hop of the flow's own port: a policy "via" port is not the best route. */
		if (egw_route_lookup_port(rt, dst_be, out_port, &nh) < 0) {
			egw_drop(&w->stats, m, EGW_DROP_NO_ROUTE);
			return;
		}
		resolved = egw_pl_next_hop_mac(w, out_port, nh, slot, &mac);
	} else {
		resolved = egw_neigh_mac(w->dp->neigh, *slot, &mac);
		if (!resolved)
			nh = w->dp->neigh->entries[*slot].addr;
	}
	/* TTL goes down by one: the high byte of the TTL/protocol word. Whatever the TTL (> 1
	 * here), ~old + new of that word is ~0x0100 + 0 (RFC 1624): the update is a constant, no
	 * dependency on the TTL byte. */
	ip->hdr_checksum = egw_csum_update16(ip->hdr_checksum, RTE_BE16(0x0100), 0);
	ip->time_to_live--;
	rte_ether_addr_copy(&out->mac, &eth->src_addr);
	if (outbound) {
		w->stats.outbound_packets++;
		w->stats.outbound_bytes += ip_len;
	} else {
		w->stats.inbound_packets++;
		w->stats.inbound_bytes += ip_len;
	}
	if (unlikely(!resolved)) {
		egw_pl_hold_for_neighbour(w, m, out_port, nh);
		return;
	}
	rte_ether_addr_copy(&mac, &eth->dst_addr);
	egw_pl_tx_enqueue(w, out_port, m);
}

/* egw_pl_forward_inline, for the exits a packet rarely takes. */
static inline void egw_pl_forward(struct egw_worker *w, struct rte_mbuf *m, uint16_t out_port,
	uint16_t *slot, uint32_t dst_be, const struct egw_route_table *rt, bool outbound)
{
	egw_pl_forward_inline(w, m, out_port, slot, dst_be, rt, outbound);
}

/* Takes one of RT's max_flows. False when the quota is full. */
static inline bool egw_pl_quota_take(struct egw_dataplane *dp, const struct egw_policy_rt *rt)
{
	/* Shared by all workers, so exact; one atomic per new flow, never per packet. */
	uint32_t held = __atomic_fetch_add(&dp->policy_active[rt->slot], 1, __ATOMIC_RELAXED);

	if (held < rt->max_flows)
		return true;
	__atomic_fetch_sub(&dp->policy_active[rt->slot], 1, __ATOMIC_RELAXED);
	return false;
}

/* Sends M, a packet of flow F in direction DIR, on: tracked, counted, translated, forwarded
 * (pipeline.c; what every packet of an admitted flow goes through). */
void egw_pl_flow_send(struct egw_worker *w, struct rte_mbuf *m, struct egw_pkt_meta *meta,
	struct egw_flow *f, unsigned dir);

/* ---- flows that wait for their host name (host_pending.c) ---- */

/* May another flow wait for its name on W (a pending slot is free)? */
bool egw_pl_host_can_wait(const struct egw_worker *w);
/* F, just committed from SYN (META), waits for its name; bound with exit VIA. Takes the slot
 * egw_pl_host_can_wait() saw free. */
void egw_pl_host_wait(struct egw_worker *w, const struct egw_snapshot *snap, struct egw_flow *f,
	const struct rte_mbuf *syn, const struct egw_pkt_meta *meta, uint16_t via);
/* A packet M of pending flow F: held, or it decided F. False when M simply goes on. */
bool egw_pl_host_packet(struct egw_worker *w, const struct egw_snapshot *snap, struct rte_mbuf *m,
	const struct egw_pkt_meta *meta, struct egw_flow *f, unsigned dir);
/* Once a second: pending flows past host_timeout are decided without a name. */
void egw_pl_host_expire(struct egw_worker *w);

/* The first packet M of a new flow KEY from the inside: decided, its NAT port bound, the flow
 * committed (flow_new.c). NULL after M was dropped with its reason. */
struct egw_flow *egw_pl_flow_new(struct egw_worker *w, const struct egw_snapshot *snap,
	struct rte_mbuf *m, const struct egw_pkt_meta *meta, const struct egw_flow_key *key);

/*
 * Endpoint-independent mappings seen from the outside (flow_new.c). The mapping an outside
 * packet META that matched no flow is sent to and may pass (its filtering), or
 * EGW_NAT_MAP_NONE; then the flow M opens through mapping ID, M being its first reply (NULL
 * after M was dropped with its reason).
 */
uint32_t egw_pl_inbound_mapping(struct egw_worker *w, const struct egw_snapshot *snap,
	const struct egw_pkt_meta *meta);
struct egw_flow *egw_pl_flow_inbound(struct egw_worker *w, const struct egw_snapshot *snap,
	struct rte_mbuf *m, const struct egw_pkt_meta *meta, uint32_t id);

/* Processes the packets egw_pl_hairpin() queued (egw_pipeline_flush). */
void egw_pl_hairpin_drain(struct egw_worker *w);
/* The pipeline for N packets turned back (pipeline.c): as received, but not counted again. */
void egw_pl_rx_hairpin(struct egw_worker *w, struct rte_mbuf **pkts, uint16_t n);

/* A mapping a new flow may keep: the one of the flow its 5-tuple had before. */
struct egw_pl_mapping {
	uint32_t addr;
	uint16_t port; /* network order */
	bool nat;      /* translated at all */
};

/*
 * M, a SYN from the inside, opens a new connection on the 5-tuple of OLD, a flow closing,
 * closed or in time-wait (egw_tcp_reopens): OLD ends ("reused": its own counters) and a new
 * flow starts, admitted against SNAP like any new flow, keeping OLD's mapping when it still
 * fits the pool that now applies. The new flow, or NULL after M was dropped with its reason.
 */
struct egw_flow *egw_pl_flow_reopen(struct egw_worker *w, const struct egw_snapshot *snap,
	struct rte_mbuf *m, const struct egw_pkt_meta *meta, struct egw_flow *old);

/* May a flow with KEY leave under SNAP? The reason it may not, or EGW_DROP_NONE; *RT is the
 * policy that decided, NULL when the mode did. */
enum egw_drop_reason egw_pl_admit(const struct egw_snapshot *snap, const struct egw_flow_key *key,
	const struct egw_policy_rt **rt);

/* The names learned from DNS, as published for the workers (flow_named.c). */
struct egw_names_view;
const struct egw_names_view *egw_pl_names_view(const struct egw_worker *w);
/* The same when SNAP has host-name policies or dns_filter (flow_named.c): decided with the
 * names learned from DNS; *V says which policy, whether a learned name admitted it, and
 * PENDING when a tls/http rule decides once the first bytes (of a SYN's flow) are read. */
struct egw_verdict;
enum egw_drop_reason egw_pl_admit_named(const struct egw_worker *w, const struct egw_snapshot *snap,
	const struct egw_flow_key *key, uint8_t tcp_flags, struct egw_verdict *v);
/* F, just committed, was admitted by the learned name V holds: kept in the name table. */
void egw_pl_keep_learned(struct egw_worker *w, struct egw_flow *f, const struct egw_verdict *v);
/* Is F still allowed by SNAP (host-name policies)? Its learned name counts even expired. */
bool egw_pl_recheck_named(const struct egw_worker *w, const struct egw_snapshot *snap,
	const struct egw_flow *f);

/* What egw_pl_recheck() made of a flow and of the packet in hand. */
enum egw_recheck {
	EGW_RECHECK_ALLOWED, /* the flow goes on, M with it */
	EGW_RECHECK_RESET,   /* TCP reset: M has become the RST to its receiver, to be sent */
	EGW_RECHECK_DROPPED, /* M dropped (counted); the flow stays, reset (M was an RST) */
	EGW_RECHECK_ENDED,   /* M dropped (counted); the flow must be removed */
};

/* A flow admitted under an older epoch meets SNAP's policy on its packet M (flow_recheck.c). */
enum egw_recheck egw_pl_recheck(struct egw_worker *w, const struct egw_snapshot *snap,
	struct rte_mbuf *m, struct egw_pkt_meta *meta, struct egw_flow *f);
/* After EGW_RECHECK_RESET: a copy of M behind the receiver's window that makes it tell its
 * sequence number (flow_recheck.c). */
void egw_pl_send_ack_probe(struct egw_worker *w, const struct rte_mbuf *m,
	const struct egw_pkt_meta *meta, uint16_t out_port, uint16_t *slot, uint32_t dst_be,
	const struct egw_route_table *rt, bool outbound);
/* Answers the TCP segment M with an RST to its sender (flow_recheck.c). */
void egw_pl_rst_to_sender(struct egw_worker *w, const struct rte_mbuf *m,
	const struct egw_pkt_meta *meta);
/* "flows flush" of TCP flow F: revoked from its next packet on (flow_recheck.c). */
void egw_pl_flush_tcp(struct egw_worker *w, struct egw_flow *f);
/* TCP flow F refused (revoked, or flushed): its packet M resets both ends; EGW_RECHECK_RESET,
 * or EGW_RECHECK_DROPPED when M was an RST itself (flow_recheck.c). */
enum egw_recheck egw_pl_reset_both_ways(struct egw_worker *w, struct rte_mbuf *m,
	struct egw_pkt_meta *meta, struct egw_flow *f);
/* A later packet of a flow a policy change reset: dropped, a TCP segment answered with an RST
 * to its sender. */
void egw_pl_revoked_packet(struct egw_worker *w, struct rte_mbuf *m,
	const struct egw_pkt_meta *meta);

#endif
