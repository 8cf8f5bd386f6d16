/* SPDX-License-Identifier: BSD-3-Clause */
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "dataplane_internal.h"
#include "flow/tcp.h"
#include "flow_life.h"
#include "policy/classifier.h"
#include "net/l3.h"
#include "net/tcp_rst.h"
#include "pkt/csum.h"
#include "nat/translate.h"

/*
 * Owner of a packet. Both directions of a flow must land on one worker:
 * - outside packets to a pool address: the owner of the destination port, which was
 *   allocated from the slice of the worker that owns the flow;
 * - everything else: a hash of the flow's inside endpoint (address, port or ICMP id,
 *   protocol): the source of inside packets, the destination of outside ones. All flows of
 *   one inside socket share a worker, which endpoint-independent mapping needs, and an
 *   untranslated flow's replies hash like its original packets.
 */
static inline unsigned endpoint_owner(uint32_t addr, uint16_t port, uint8_t proto, unsigned n)
{
	uint32_t h = (addr ^ ((uint32_t)port << 16) ^ proto) * 0x9e3779b1u;
	return (unsigned)(((uint64_t)h * n) >> 32);
}

static inline unsigned packet_owner(const struct egw_dataplane *dp,
	const struct egw_snapshot *snap, const struct egw_pkt_meta *meta, uint8_t zone)
{
	unsigned n = dp->n_workers;

	if (n == 1)
		return 0;
	if (meta->kind == EGW_PKT_ICMP_ERROR) {
		/* The quoted packet travelled the other way: its inside endpoint is its
		 * destination when the error comes from inside, its source otherwise. */
		if (zone == EGW_ZONE_INSIDE)
			return endpoint_owner(meta->inner_dst, meta->inner_dport, meta->inner_proto, n);
		if (egw_addr_set_contains(&snap->pool_addrs, meta->inner_src))
			return egw_nat_port_owner(meta->inner_sport, n);
		return endpoint_owner(meta->inner_src, meta->inner_sport, meta->inner_proto, n);
	}
	if (zone == EGW_ZONE_INSIDE)
		return endpoint_owner(meta->src, meta->sport, meta->proto, n);
	if (egw_addr_set_contains(&snap->pool_addrs, meta->dst))
		return egw_nat_port_owner(meta->dport, n);
	return endpoint_owner(meta->dst, meta->dport, meta->proto, n);
}

/* The flow key a packet is looked up with (an ICMP error: its quoted packet, reversed). */
static inline void packet_key(const struct egw_pkt_meta *meta, uint8_t zone,
	struct egw_flow_key *k)
{
	if (meta->kind == EGW_PKT_ICMP_ERROR)
		egw_flow_key_set(k, meta->inner_dst, meta->inner_src, meta->inner_dport,
			meta->inner_sport, meta->inner_proto, zone);
	else
		egw_flow_key_set(k, meta->src, meta->dst, meta->sport, meta->dport, meta->proto,
			zone);
}

/* Sends PORT's TX buffer; what the queue refuses is dropped, counted per port too. */
static inline void tx_send(struct egw_worker *w, uint16_t port)
{
	struct egw_tx_buffer *b = &w->tx[port];
	uint16_t sent = rte_eth_tx_burst(port, w->txq, b->pkts, b->n);

	for (uint16_t i = 0; i < sent; i++)
		w->stats.tx_bytes += b->pkts[i]->pkt_len;
	w->stats.tx_packets += sent;
	if (unlikely(sent < b->n)) {
		w->stats.tx_full[port] += (uint64_t)(b->n - sent);
		for (uint16_t i = sent; i < b->n; i++)
			egw_drop(&w->stats, b->pkts[i], EGW_DROP_TX_FULL);
	}
	b->n = 0;
}

static inline void tx_enqueue(struct egw_worker *w, uint16_t port, struct rte_mbuf *m)
{
	struct egw_tx_buffer *b = &w->tx[port];

	if (b->n == EGW_BURST)
		tx_send(w, port);
	b->pkts[b->n++] = m;
	w->tx_dirty |= 1u << port;
}

void egw_pipeline_flush(struct egw_worker *w)
{
	uint32_t dirty = w->tx_dirty;

	while (dirty) {
		uint16_t port = (uint16_t)__builtin_ctz(dirty);

		dirty &= dirty - 1;
		tx_send(w, port);
	}
	w->tx_dirty = 0;
}

/* Token bucket for ICMP errors we generate (RFC 1812 4.3.2.8: rate-limited). */
static inline bool icmp_error_allowed(struct egw_worker *w)
{
	if (w->icmp_second != w->now) {
		w->icmp_second = w->now;
		w->icmp_tokens = w->dp->icmp_errors_per_s;
	}
	if (w->icmp_tokens == 0)
		return false;
	w->icmp_tokens--;
	return true;
}

/* Replaces M with an ICMP error back to its sender, or frees it when rate-limited. The
 * original packet counts as dropped for REASON either way. */
static void reply_icmp_error(struct egw_worker *w, struct rte_mbuf *m,
	const struct egw_pkt_meta *meta, uint8_t type, uint8_t code, uint16_t mtu,
	enum egw_drop_reason reason)
{
	/* Saved: the builder resets the mbuf, port included (RTE_MBUF_PORT_INVALID). */
	const uint16_t port = m->port;
	const struct egw_port_info *in = &w->dp->ports[port];

	w->stats.drops[reason]++;
	/* Never an error about an ICMP error (RFC 1122 3.2.2). */
	if (meta->kind == EGW_PKT_ICMP_ERROR || !icmp_error_allowed(w)) {
		rte_pktmbuf_free(m);
		return;
	}
	egw_icmp_error_build(m, meta, type, code, mtu, in->addr_be, &in->mac);
	w->stats.icmp_errors_sent++;
	tx_enqueue(w, port, m);
}

/*
 * Next hop MAC through the neighbour slot cached in *SLOT (looked up on first use). False when
 * the neighbour is not resolved yet.
 */
static inline bool next_hop_mac(struct egw_worker *w, uint16_t port, uint32_t nexthop_be,
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
static inline void hold_for_neighbour(struct egw_worker *w, struct rte_mbuf *m, uint16_t port,
	uint32_t nexthop_be)
{
	m->port = port;
	m->hash.usr = nexthop_be;
	if (rte_ring_enqueue(w->dp->resolve_ring, m) < 0)
		egw_drop(&w->stats, m, EGW_DROP_NEIGH_UNRESOLVED);
	else
		w->stats.held++;
}

/* Common exit: L3/L2 rewrite and TX. The caller has checked TTL > 1 and translated. */
static inline void forward(struct egw_worker *w, struct rte_mbuf *m, uint16_t out_port,
	uint16_t *slot, uint32_t dst_be, const struct egw_route_table *rt, bool outbound)
{
	const struct egw_port_info *out = &w->dp->ports[out_port];
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_ether_addr mac;
	uint16_t ip_len = rte_be_to_cpu_16(ip->total_length);
	uint32_t nh = 0;
	bool resolved;

	if (*slot == EGW_NEIGH_NONE) {
		/* The next hop of the flow's own port: a policy "via" port is not the best route. */
		if (egw_route_lookup_port(rt, dst_be, out_port, &nh) < 0) {
			egw_drop(&w->stats, m, EGW_DROP_NO_ROUTE);
			return;
		}
		resolved = next_hop_mac(w, out_port, nh, slot, &mac);
	} else {
		resolved = egw_neigh_mac(w->dp->neigh, *slot, &mac);
		if (!resolved)
			nh = w->dp->neigh->entries[*slot].addr;
	}
	/* TTL goes down by one: the high byte of the TTL/protocol word. */
	ip->hdr_checksum = egw_csum_update16(ip->hdr_checksum,
		rte_cpu_to_be_16((uint16_t)(ip->time_to_live << 8)),
		rte_cpu_to_be_16((uint16_t)((ip->time_to_live - 1) << 8)));
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
		hold_for_neighbour(w, m, out_port, nh);
		return;
	}
	rte_ether_addr_copy(&mac, &eth->dst_addr);
	tx_enqueue(w, out_port, m);
}

struct port_probe {
	struct egw_flow_table *ft;
	struct egw_flow_key reply;
};

static bool nat_port_taken(void *ctx, uint16_t port_be)
{
	struct port_probe *p = ctx;

	/* Endpoint-dependent mapping: an external tuple is unique per remote endpoint, which
	 * is exactly "no flow holds this reply key". ICMP: the id is both ports of the key. */
	p->reply.b_port = port_be;
	if (p->reply.proto == IPPROTO_ICMP)
		p->reply.a_port = port_be;
	return egw_flow_key_exists(p->ft, &p->reply);
}

/* The classifier's view of a flow key (host order; ICMP has no port). */
static inline struct egw_cls_key cls_key(const struct egw_flow_key *key)
{
	return (struct egw_cls_key){ .src = rte_be_to_cpu_32(key->a_addr),
		.dst = rte_be_to_cpu_32(key->b_addr),
		.dport = key->proto == IPPROTO_ICMP ? 0 : rte_be_to_cpu_16(key->b_port),
		.proto = key->proto };
}

/*
 * May a flow with KEY leave? The mode first, then the best matching policy (priority, then
 * file order). *RT is the policy that decided, NULL when the mode did.
 */
static inline enum egw_drop_reason admit(const struct egw_snapshot *snap,
	const struct egw_flow_key *key, const struct egw_policy_rt **rt)
{
	*rt = NULL;
	if (snap->mode == EGW_MODE_DENY)
		return EGW_DROP_MODE_DENY;
	if (snap->cls) {
		const struct egw_cls_key ck = cls_key(key);
		const struct egw_cls_rule *r = egw_cls_lookup(snap->cls, &ck);
		if (r)
			*rt = &snap->policies[r->id];
	}
	if (*rt && (*rt)->action == EGW_ACTION_DENY)
		return EGW_DROP_POLICY_DENY;
	/* Passthrough admits what no deny policy stops; policy mode needs an allow policy. */
	if (!*rt && snap->mode == EGW_MODE_POLICY)
		return EGW_DROP_POLICY_NO_MATCH;
	return EGW_DROP_NONE;
}

/* Takes one of RT's max_flows. False when the quota is full. */
static inline bool quota_take(struct egw_dataplane *dp, const struct egw_policy_rt *rt)
{
	/* Shared by all workers, so exact; one atomic per new flow, never per packet. */
	uint32_t held = __atomic_fetch_add(&dp->policy_active[rt->slot], 1, __ATOMIC_RELAXED);

	if (held < rt->max_flows)
		return true;
	__atomic_fetch_sub(&dp->policy_active[rt->slot], 1, __ATOMIC_RELAXED);
	return false;
}

/* Drops M, the first packet of a new flow KEY refused for WHY (flow log: deny). */
static void refuse(struct egw_worker *w, struct rte_mbuf *m, const struct egw_flow_key *key,
	const struct egw_policy_rt *rt, enum egw_drop_reason why)
{
	/* Flows the mode decides log whenever the flow log is on: no policy to opt in. */
	egw_flow_refused(w, key, rt ? rt->slot : 0, !rt || rt->log, why);
	egw_drop(&w->stats, m, why);
}

/* A new flow from the inside: decide, allocate, insert. Returns NULL after dropping M. */
static struct egw_flow *flow_create(struct egw_worker *w, const struct egw_snapshot *snap,
	struct rte_mbuf *m, const struct egw_pkt_meta *meta, const struct egw_flow_key *key)
{
	struct egw_dataplane *dp = w->dp;
	const struct egw_policy_rt *rt;
	const struct egw_nat_pool *pool;
	struct egw_flow_key reply;
	struct port_probe probe;
	enum egw_drop_reason why;
	struct egw_flow *f;
	uint16_t out_port, in_port, nat_port;
	uint32_t nh, slot;
	uint8_t state;

	if (meta->kind == EGW_PKT_ICMP_ERROR) {
		egw_drop(&w->stats, m, EGW_DROP_ICMP_ERROR_NO_FLOW);
		return NULL;
	}
	switch (meta->proto) {
	case IPPROTO_TCP:
		if (!egw_tcp_may_start(meta->tcp_flags, dp->tcp_pickup)) {
			egw_drop(&w->stats, m, EGW_DROP_TCP_NOT_SYN);
			return NULL;
		}
		state = egw_tcp_initial_state(meta->tcp_flags);
		break;
	case IPPROTO_UDP:
		state = EGW_FLOW_UDP;
		break;
	default:
		if (meta->icmp_type != EGW_ICMP_ECHO_REQUEST) {
			egw_drop(&w->stats, m, EGW_DROP_ICMP_UNSUPPORTED);
			return NULL;
		}
		state = EGW_FLOW_ICMP;
		break;
	}
	why = admit(snap, key, &rt);
	slot = rt ? rt->slot : 0;
	if (why != EGW_DROP_NONE) {
		w->policy[slot].denied++;
		refuse(w, m, key, rt, why);
		return NULL;
	}
	pool = rt ? rt->pool : snap->default_pool;
	/* Replies must be routable back through the port the flow came in on (strict uRPF). */
	if (egw_route_lookup(&dp->to_inside, meta->src, &in_port, &nh) < 0 || in_port != m->port) {
		refuse(w, m, key, rt, EGW_DROP_NO_ROUTE);
		return NULL;
	}
	if (rt && rt->via_port != EGW_VIA_DEFAULT) {
		out_port = rt->via_port;
		if (egw_route_lookup_port(&dp->to_outside, meta->dst, out_port, &nh) < 0) {
			refuse(w, m, key, rt, EGW_DROP_NO_ROUTE);
			return NULL;
		}
	} else if (egw_route_lookup(&dp->to_outside, meta->dst, &out_port, &nh) < 0) {
		refuse(w, m, key, rt, EGW_DROP_NO_ROUTE);
		return NULL;
	}
	f = egw_flow_alloc(w->ft);
	if (!f) {
		refuse(w, m, key, rt, EGW_DROP_FLOW_TABLE_FULL);
		return NULL;
	}
	f->orig = *key;
	/* Resolved here, once per flow, so that its end needs no policy lookup. */
	f->flags = w->flowlog && (!rt || rt->log) ? EGW_FLOW_F_LOG : 0;
	f->policy = slot;
	if (rt && rt->max_flows) {
		if (!quota_take(dp, rt)) {
			egw_flow_abort(w->ft, f);
			w->policy[slot].denied++;
			refuse(w, m, key, rt, EGW_DROP_POLICY_MAX_FLOWS);
			return NULL;
		}
		f->flags |= EGW_FLOW_F_QUOTA;
	}
	if (pool) {
		f->nat_addr = egw_nat_pick_addr(pool, &dp->secret, key);
		probe.ft = w->ft;
		egw_flow_key_set(&probe.reply, key->b_addr, f->nat_addr, key->b_port, 0, key->proto,
			EGW_ZONE_OUTSIDE);
		if (egw_nat_alloc_port(pool, &dp->secret, w->id, dp->n_workers, key, &w->nat_counter,
			    nat_port_taken, &probe, &nat_port) < 0) {
			struct egw_addr_stat *a = egw_addr_stats_get(&w->addrs, f->nat_addr);
			if (a)
				a->exhausted++;
			why = EGW_DROP_NAT_EXHAUSTED;
			goto undo;
		}
		f->nat_port = nat_port;
		f->flags |= EGW_FLOW_F_NAT;
		if (pool->max_per_source) {
			if (egw_source_limit_acquire(&w->sources, key->a_addr,
				    egw_source_limit_share(pool->max_per_source, dp->n_workers)) <
				0) {
				why = EGW_DROP_NAT_SOURCE_LIMIT;
				goto undo;
			}
			f->flags |= EGW_FLOW_F_SRC_COUNTED;
		}
	} else {
		f->nat_addr = key->a_addr;
		f->nat_port = key->a_port;
	}
	egw_flow_reply_key(f, &reply);
	/* The original key just missed; a translated reply key was just probed free
	 * (nat_port_taken). Only an untranslated flow's reply key is unchecked. */
	if ((!(f->flags & EGW_FLOW_F_NAT) && egw_flow_key_exists(w->ft, &reply)) ||
		egw_flow_commit_new(w->ft, f, &reply, w->now) < 0) {
		why = EGW_DROP_FLOW_TABLE_FULL;
		goto undo;
	}
	f->state = state;
	f->last_seen = w->now;
	f->packets[0] = f->packets[1] = 0;
	f->bytes[0] = f->bytes[1] = 0;
	f->generation = (uint16_t)snap->epoch;
	f->port[EGW_DIR_ORIG] = (uint8_t)out_port;
	f->port[EGW_DIR_REPLY] = (uint8_t)in_port;
	f->neigh[EGW_DIR_ORIG] = f->neigh[EGW_DIR_REPLY] = EGW_NEIGH_NONE;
	w->stats.flows_created++;
	w->policy[slot].flows++;
	egw_flow_started(w, f);
	return f;
undo:
	egw_flow_release_shares(w, f);
	egw_flow_abort(w->ft, f);
	refuse(w, m, key, rt, why);
	return NULL;
}

/* Answers the TCP segment M with an RST to its sender (seq = M's ack: exactly what the sender
 * expects, so RFC 5961 receivers accept it). */
static void rst_to_sender(struct egw_worker *w, const struct rte_mbuf *m,
	const struct egw_pkt_meta *meta)
{
	struct rte_mbuf *r = rte_pktmbuf_alloc(m->pool);

	if (!r)
		return;
	egw_tcp_rst_reverse(r, m, meta, &w->dp->ports[m->port].mac);
	w->stats.rst_sent++;
	tx_enqueue(w, m->port, r);
}

/*
 * True when F, checked at the previous epoch, cannot be refused now: the change since was
 * only deny rules added or changed (struct egw_snapshot, delta) and F matches none of them.
 * A few comparisons instead of a lookup in tables a publish has just made cold.
 */
static inline bool delta_allows(const struct egw_snapshot *snap, const struct egw_flow *f)
{
	struct egw_cls_key ck;

	if (!snap->delta_ok || f->generation != (uint16_t)snap->delta_from)
		return false;
	ck = cls_key(&f->orig);
	return egw_cls_lookup_linear(snap->delta, snap->n_delta, &ck) == NULL;
}

/* What revalidate() made of a flow and of the packet in hand. */
enum recheck_result {
	RECHECK_ALLOWED, /* the flow goes on, M with it */
	RECHECK_RESET,	 /* TCP reset: M has become the RST to its receiver, to be sent */
	RECHECK_DROPPED, /* M dropped (counted); the flow stays, reset (M was an RST) */
	RECHECK_ENDED,	 /* M dropped (counted); the flow must be removed */
};

/*
 * A flow admitted under an older epoch meets the current policy on its next packet. Refused
 * (revalidate = reset), a UDP/ICMP flow ends here, and a TCP connection is reset toward both
 * ends: an RST to the sender, and M itself becomes the RST to its receiver (*META follows).
 */
static enum recheck_result revalidate(struct egw_worker *w, const struct egw_snapshot *snap, struct rte_mbuf *m,
	struct egw_pkt_meta *meta, struct egw_flow *f)
{
	const struct egw_policy_rt *rt;

	if (snap->revalidate == EGW_REVALIDATE_KEEP || delta_allows(snap, f) ||
		admit(snap, &f->orig, &rt) == EGW_DROP_NONE) {
		/* Still allowed: it stays with the policy that admitted it (its counters and
		 * quota), even when another policy would now match first. */
		f->generation = (uint16_t)snap->epoch;
		return RECHECK_ALLOWED;
	}
	w->stats.flows_revoked++;
	if (meta->proto != IPPROTO_TCP) {
		egw_drop(&w->stats, m, EGW_DROP_POLICY_REVOKED);
		return RECHECK_ENDED;
	}
	/*
	 * The receiver's RST carries M's seq, right unless M was a retransmission. So the record
	 * stays (state reset: transitory timeout, keeping the NAT tuple from reuse) and every
	 * later segment of either side is answered with an RST built from its own ack: a receiver
	 * that refused the first RST answers the ACK probe (send_ack_probe), a challenge ACK or a
	 * retransmission, and gets an exact one. Quota and source share go back now.
	 */
	f->generation = (uint16_t)snap->epoch;
	f->state = EGW_TCP_RESET;
	egw_flow_release_shares(w, f);
	f->flags = (uint8_t)((f->flags & ~(EGW_FLOW_F_QUOTA | EGW_FLOW_F_SRC_COUNTED)) |
		EGW_FLOW_F_REVOKED);
	if (meta->tcp_flags & EGW_TCP_RST) {
		egw_drop(&w->stats, m, EGW_DROP_POLICY_REVOKED);
		return RECHECK_DROPPED;
	}
	rst_to_sender(w, m, meta);
	egw_tcp_rst_inplace(m, meta);
	return RECHECK_RESET;
}

/*
 * M is the RST just made from the segment that met the revocation, translated, about to leave
 * toward its receiver. Its seq is exact for an in-order segment, but stale for a
 * retransmission, a window probe or a keepalive, and a receiver drops such an RST silently.
 * So a copy goes too, as a bare ACK far behind the receive window: every TCP answers that
 * with an ACK carrying its next expected seq (RFC 9293 3.10.7.4), and the reset flow answers
 * that ACK with an exact RST. A receiver the RST already closed answers with an RST, dropped.
 */
static void send_ack_probe(struct egw_worker *w, const struct rte_mbuf *m,
	const struct egw_pkt_meta *meta, uint16_t out_port, uint16_t *slot, uint32_t dst_be,
	const struct egw_route_table *rt, bool outbound)
{
	struct rte_mbuf *r = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *tcp;

	if (!r)
		return;
	ip = rte_pktmbuf_mtod_offset(r, struct rte_ipv4_hdr *, meta->l3_off);
	tcp = rte_pktmbuf_mtod_offset(r, struct rte_tcp_hdr *, meta->l4_off);
	tcp->tcp_flags = RTE_TCP_ACK_FLAG;
	tcp->sent_seq = rte_cpu_to_be_32(rte_be_to_cpu_32(tcp->sent_seq) - (1u << 30));
	tcp->cksum = 0;
	tcp->cksum = egw_csum_l4(ip->src_addr, ip->dst_addr, IPPROTO_TCP, tcp, meta->l4_len);
	w->stats.ack_probes_sent++;
	forward(w, r, out_port, slot, dst_be, rt, outbound);
}

/* A later packet of a flow a policy change reset: dropped, and a TCP segment other than an
 * RST answered with an RST to its sender. */
static void revoked_packet(struct egw_worker *w, struct rte_mbuf *m,
	const struct egw_pkt_meta *meta)
{
	if (meta->kind == EGW_PKT_IPV4 && meta->proto == IPPROTO_TCP &&
		!(meta->tcp_flags & EGW_TCP_RST))
		rst_to_sender(w, m, meta);
	egw_drop(&w->stats, m, EGW_DROP_POLICY_REVOKED);
}

/*
 * A packet of a known flow (or its ICMP error): track, translate, forward. Returns true when
 * the flow ended here (its record is free again).
 */
static bool flow_packet(struct egw_worker *w, const struct egw_snapshot *snap, struct rte_mbuf *m,
	struct egw_pkt_meta *meta, struct egw_flow *f, unsigned dir)
{
	struct egw_dataplane *dp = w->dp;
	uint16_t out_port = f->port[dir];
	const struct egw_route_table *rt = dir == EGW_DIR_ORIG ? &dp->to_outside : &dp->to_inside;
	enum recheck_result recheck = RECHECK_ALLOWED;
	uint32_t dst_be;

	if (unlikely(f->flags & EGW_FLOW_F_REVOKED)) {
		revoked_packet(w, m, meta);
		return false;
	}
	if (unlikely(f->generation != (uint16_t)snap->epoch) &&
		meta->kind != EGW_PKT_ICMP_ERROR) {
		recheck = revalidate(w, snap, m, meta, f);
		if (recheck == RECHECK_DROPPED)
			return false;
		if (recheck == RECHECK_ENDED) {
			egw_pipeline_end_flow(w, f, EGW_END_REVOKED);
			return true;
		}
	}

	/* Too big for the exit and DF set: tell the sender, about the packet it sent. */
	if (meta->ip_len > dp->ports[out_port].mtu) {
		const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l3_off);
		if (ip[6] & 0x40)
			reply_icmp_error(w, m, meta, EGW_ICMP_DEST_UNREACH, 4,
				dp->ports[out_port].mtu, EGW_DROP_MTU_EXCEEDED);
		else
			egw_drop(&w->stats, m, EGW_DROP_MTU_EXCEEDED);
		return false;
	}
	if (meta->kind == EGW_PKT_ICMP_ERROR) {
		/* RFC 5508: translated with their quoted packet; they neither refresh nor end it.
		 * The sender may be a router rather than the flow's peer: route it afresh. */
		uint16_t slot = EGW_NEIGH_NONE;
		egw_translate_icmp_error(m, meta, f, dir);
		dst_be = dir == EGW_DIR_ORIG ? meta->dst : f->orig.a_addr;
		forward(w, m, out_port, &slot, dst_be, rt, dir == EGW_DIR_ORIG);
		return false;
	} else {
		if (meta->proto == IPPROTO_TCP)
			egw_tcp_track(f, dir, meta->tcp_flags);
		f->last_seen = w->now;
		f->packets[dir]++;
		f->bytes[dir] += meta->ip_len;
		w->policy[f->policy].packets++;
		w->policy[f->policy].bytes += meta->ip_len;
		if (f->flags & EGW_FLOW_F_NAT)
			egw_translate(m, meta, f, dir);
	}
	dst_be = dir == EGW_DIR_ORIG ? f->orig.b_addr : f->orig.a_addr;
	if (unlikely(recheck == RECHECK_RESET))
		send_ack_probe(w, m, meta, out_port, &f->neigh[dir], dst_be, rt,
			dir == EGW_DIR_ORIG);
	forward(w, m, out_port, &f->neigh[dir], dst_be, rt, dir == EGW_DIR_ORIG);
	return false;
}

/* Is KEY one that a flow created earlier in this burst inserted (the bulk lookup, done before,
 * could not see it)? */
static inline bool created_in_burst(const struct egw_flow_key *created, unsigned n,
	const struct egw_flow_key *key)
{
	const uint64_t *k = (const uint64_t *)key;

	for (unsigned i = 0; i < n; i++) {
		const uint64_t *c = (const uint64_t *)&created[i];
		if (k[0] == c[0] && k[1] == c[1])
			return true;
	}
	return false;
}

static inline bool addr_in(const uint32_t *addrs, unsigned n, uint32_t addr_be)
{
	for (unsigned i = 0; i < n; i++)
		if (addrs[i] == addr_be)
			return true;
	return false;
}

static inline bool is_local_addr(const struct egw_dataplane *dp, uint32_t addr_be)
{
	return addr_in(dp->local_addrs, dp->n_local_addrs, addr_be);
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
static inline enum egw_drop_reason address_check(const struct egw_dataplane *dp,
	const struct egw_snapshot *snap, const struct egw_pkt_meta *meta, uint8_t zone)
{
	if (is_local_addr(dp, meta->src) ||
		(zone == EGW_ZONE_INSIDE && egw_addr_set_contains(&snap->pool_addrs, meta->src)))
		return EGW_DROP_IP_OWN_SOURCE;
	if (addr_in(dp->subnet_bcasts, dp->n_subnet_bcasts, meta->dst) ||
		addr_in(dp->subnet_bcasts, dp->n_subnet_bcasts, meta->src))
		return EGW_DROP_IP_SUBNET_BROADCAST;
	return EGW_DROP_NONE;
}

/* Local traffic and early checks shared by every packet before ownership. Returns false when
 * M was consumed. */
static inline bool early_checks(struct egw_worker *w, const struct egw_snapshot *snap,
	struct rte_mbuf *m, const struct egw_pkt_meta *meta, const struct egw_port_info *in)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	enum egw_drop_reason why;

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
	if (is_local_addr(w->dp, meta->dst)) {
		why = address_check(w->dp, snap, meta, in->zone);
		if (why == EGW_DROP_NONE &&
			!(meta->proto == IPPROTO_ICMP && meta->kind == EGW_PKT_IPV4 &&
				meta->icmp_type == EGW_ICMP_ECHO_REQUEST))
			why = EGW_DROP_LOCAL_UNSUPPORTED;
		if (why != EGW_DROP_NONE)
			egw_drop(&w->stats, m, why);
		else if (rte_ring_enqueue(w->dp->punt_ring, m) < 0)
			egw_drop(&w->stats, m, EGW_DROP_CONTROL_QUEUE_FULL);
		else
			w->stats.punted++;
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
static inline enum egw_drop_reason ip_options_verdict(enum egw_ip_options policy, uint8_t seen)
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
static inline bool ttl_expires(struct egw_worker *w, struct rte_mbuf *m,
	const struct egw_pkt_meta *meta)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l3_off);

	if (likely(ip[8] > 1))
		return false;
	reply_icmp_error(w, m, meta, EGW_ICMP_TIME_EXCEEDED, 0, 0, EGW_DROP_TTL_EXCEEDED);
	return true;
}

void egw_pipeline_rx(struct egw_worker *w, struct rte_mbuf **pkts, uint16_t n, bool from_handoff)
{
	struct egw_dataplane *dp = w->dp;
	const struct egw_snapshot *snap = egw_snapshot_current(&dp->rcu);
	struct egw_pkt_meta meta[EGW_BURST];
	struct egw_flow_key keys[EGW_BURST];
	const struct egw_flow_key *key_ptrs[EGW_BURST];
	struct rte_mbuf *own[EGW_BURST];
	struct rte_mbuf *away[EGW_MAX_WORKERS][EGW_BURST];
	uint16_t n_away[EGW_MAX_WORKERS];
	struct egw_flow *hit_flows[EGW_BURST];
	uint8_t hit_dirs[EGW_BURST];
	struct egw_flow_key created[2 * EGW_BURST]; /* both keys of the flows this burst made */
	unsigned n_own = 0, n_created = 0;
	bool flow_ended = false;
	uint64_t hits;

	if (n > EGW_BURST) {
		egw_pipeline_rx(w, pkts, EGW_BURST, from_handoff);
		egw_pipeline_rx(w, pkts + EGW_BURST, (uint16_t)(n - EGW_BURST), from_handoff);
		return;
	}
	memset(n_away, 0, sizeof(n_away[0]) * dp->n_workers);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct egw_port_info *in = &dp->ports[m->port];
		struct egw_pkt_meta *pm = &meta[n_own];
		enum egw_drop_reason r;
		unsigned owner;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (!from_handoff) {
			w->stats.rx_packets++;
			w->stats.rx_bytes += m->pkt_len;
		}
		r = egw_pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, pm);
		/* One test for both rare cases: a malformed packet, or one with IP options. */
		if (unlikely((r | pm->ip_opts) != 0)) {
			/* Options are judged where the packet came in, not again after a handoff. */
			if (r == EGW_DROP_NONE && !from_handoff)
				r = ip_options_verdict(snap->ip_options, pm->ip_opts);
			if (r != EGW_DROP_NONE) {
				egw_drop(&w->stats, m, r);
				continue;
			}
		}
		if (!from_handoff && !early_checks(w, snap, m, pm, in))
			continue;
		owner = packet_owner(dp, snap, pm, in->zone);
		if (owner != w->id && !from_handoff) {
			away[owner][n_away[owner]++] = m;
			continue;
		}
		packet_key(pm, in->zone, &keys[n_own]);
		key_ptrs[n_own] = &keys[n_own];
		own[n_own++] = m;
	}

	for (unsigned o = 0; o < dp->n_workers; o++) {
		unsigned sent;
		if (n_away[o] == 0)
			continue;
		sent = rte_ring_enqueue_burst(dp->handoff[w->id][o], (void **)away[o], n_away[o],
			NULL);
		w->stats.handoffs_out += sent;
		for (unsigned k = sent; k < n_away[o]; k++)
			egw_drop(&w->stats, away[o][k], EGW_DROP_HANDOFF_FULL);
	}
	if (from_handoff)
		w->stats.handoffs_in += n_own;

	/* The lookup confirms each hit against its flow record, requested for the whole burst at
	 * once: the records come back in cache, their misses overlapped. */
	hits = egw_flow_lookup_bulk(w->ft, key_ptrs, n_own, hit_flows, hit_dirs);
	for (unsigned j = 0; j < n_own; j++) {
		struct rte_mbuf *m = own[j];
		struct egw_flow *f = (hits & (1ULL << j)) ? hit_flows[j] : NULL;
		unsigned dir = f ? hit_dirs[j] : EGW_DIR_ORIG;

		/* Once a flow ended in this burst, a bulk hit may name a freed (or reused) record:
		 * look again. A miss may be a flow created by an earlier packet of this burst. */
		if (unlikely(flow_ended) ||
			(!f && created_in_burst(created, n_created, &keys[j])))
			f = egw_flow_lookup(w->ft, &keys[j], &dir);
		if (!f) {
			enum egw_drop_reason why = address_check(dp, snap, &meta[j], keys[j].zone);
			if (unlikely(why != EGW_DROP_NONE)) {
				egw_drop(&w->stats, m, why);
				continue;
			}
			if (keys[j].zone == EGW_ZONE_OUTSIDE) {
				egw_drop(&w->stats, m, meta[j].kind == EGW_PKT_ICMP_ERROR ?
						EGW_DROP_ICMP_ERROR_NO_FLOW : EGW_DROP_UNSOLICITED);
				continue;
			}
			if (ttl_expires(w, m, &meta[j]))
				continue;
			f = flow_create(w, snap, m, &meta[j], &keys[j]);
			if (!f)
				continue;
			created[n_created++] = f->orig;
			egw_flow_reply_key(f, &created[n_created++]);
			flow_ended |= flow_packet(w, snap, m, &meta[j], f, EGW_DIR_ORIG);
			continue;
		}
		if (ttl_expires(w, m, &meta[j]))
			continue;
		flow_ended |= flow_packet(w, snap, m, &meta[j], f, dir);
	}
}

uint32_t egw_pipeline_expire(struct egw_worker *w)
{
	uint32_t n = egw_flow_expire_step(w->ft, w->now, EGW_EXPIRE_BUDGET, egw_flow_expired, w);

	w->stats.flows_expired += n;
	return n;
}

uint32_t egw_pipeline_expire_paced(struct egw_worker *w, uint64_t tsc)
{
	const uint64_t per = w->expire_tsc_per_record;
	uint64_t due;
	uint32_t n;

	if (tsc - w->expire_tsc < per)
		return 0;
	due = (tsc - w->expire_tsc) / per;
	if (due > EGW_EXPIRE_PACED_MAX) {
		/* Behind (a stall, idle sleeps): catch up over the next calls, never in one. */
		due = EGW_EXPIRE_PACED_MAX;
		w->expire_tsc = tsc - EGW_EXPIRE_PACED_MAX * per;
	}
	w->expire_tsc += due * per;
	n = egw_flow_expire_step(w->ft, w->now, (uint32_t)due, egw_flow_expired, w);
	w->stats.flows_expired += n;
	return n;
}
