/* SPDX-License-Identifier: BSD-3-Clause */
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "pipeline_internal.h"
#include "rx_checks.h"
#include "rx_key.h"
#include "ip_frag_out.h"
#include "flow/tcp.h"
#include "flow/udp.h"
#include "flow_life.h"
#include "late_bind.h"
#include "policy/classifier.h"
#include "net/l3.h"
#include "net/tcp_rst.h"
#include "pkt/csum.h"
#include "nat/translate.h"

void egw_pipeline_flush(struct egw_worker *w)
{
	uint32_t dirty;

	if (unlikely(w->n_hairpin))
		egw_pl_hairpin_drain(w);
	dirty = w->tx_dirty;

	while (dirty) {
		uint16_t port = (uint16_t)__builtin_ctz(dirty);

		dirty &= dirty - 1;
		egw_pl_tx_send(w, port);
	}
	w->tx_dirty = 0;
}

/*
 * TCP window tracking (lib/flow/tcp_window.h) for M, a segment of F from DIR. False when M
 * was dropped, out of window. *FLAGS: the flags the state machine is to see (a RST in window
 * but not at rcv.nxt is passed on without ending the flow, as its receiver will ignore it).
 * A finished flow is not checked: late segments pass, as they always did.
 */
static inline bool tcp_window(struct egw_worker *w, struct rte_mbuf *m,
	const struct egw_pkt_meta *meta, struct egw_flow *f, unsigned dir, uint8_t *flags)
{
	struct egw_tcp_seg seg;
	enum egw_tcp_fit fit;

	if (!w->dp->tcp_window_check || egw_flow_finished(f->state))
		return true;
	egw_tcp_seg_read(rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l4_off), meta->l4_len,
		meta->tcp_flags, &seg);
	fit = egw_tcp_window_check(&f->tcp_win, dir, &seg);
	if (likely(fit == EGW_TCP_FITS))
		return true;
	if (fit == EGW_TCP_RST_CHALLENGE) {
		*flags &= (uint8_t)~EGW_TCP_RST;
		return true;
	}
	egw_drop(&w->stats, m, EGW_DROP_TCP_OUT_OF_WINDOW);
	return false;
}

/*
 * M, translated, too big for exit OUT_PORT and DF clear, leaves in fragments that fit
 * (RFC 4787 REQ-13), each forwarded like a packet of its own; M itself is freed. Refused with
 * mtu_exceeded: a packet with IP options (not split), one turning back (hairpin: it never
 * leaves by this port), or no mbufs for the fragments.
 */
static void forward_split(struct egw_worker *w, struct rte_mbuf *m, const struct egw_pkt_meta *meta,
	uint16_t out_port, uint16_t *slot, uint32_t dst_be, const struct egw_route_table *rt,
	bool outbound)
{
	struct rte_mbuf *frags[EGW_FRAG_OUT_MAX];
	unsigned n = 0;

	if (*slot != EGW_NEIGH_HAIRPIN)
		n = egw_pl_frag_out(m, meta->l3_off, w->dp->ports[out_port].mtu, frags);
	if (n == 0) {
		egw_drop(&w->stats, m, EGW_DROP_MTU_EXCEEDED);
		return;
	}
	rte_pktmbuf_free(m);
	w->stats.packets_fragmented++;
	w->stats.fragments_sent += n;
	for (unsigned i = 0; i < n; i++)
		egw_pl_forward(w, frags[i], out_port, slot, dst_be, rt, outbound);
}

/*
 * Sends M, a packet of admitted flow F (or its ICMP error), on: track, translate, forward.
 * PROBE: M is the RST a re-check made; an ACK probe goes along (egw_pl_send_ack_probe).
 * SPLICED: F is late-bound and spliced (late_bind.h; a constant false on the fast path): its
 * segments are rewritten, the window tracked in the server's sequence space (after the
 * client's are rewritten, before the server's are).
 */
static __rte_always_inline void flow_send(struct egw_worker *w, const struct egw_snapshot *snap,
	struct rte_mbuf *m, struct egw_pkt_meta *meta, struct egw_flow *f, unsigned dir, bool probe,
	bool spliced)
{
	struct egw_dataplane *dp = w->dp;
	uint16_t out_port = f->port[dir];
	const struct egw_route_table *rt = dir == EGW_DIR_ORIG ? &dp->to_outside : &dp->to_inside;
	uint8_t tcp_flags = meta->tcp_flags;
	bool split = false;
	uint32_t dst_be;
	uint8_t was;

	/* Too big for the exit and DF set: tell the sender, about the packet it sent. Without
	 * DF it leaves in fragments (forward_split). */
	if (unlikely(meta->ip_len > dp->ports[out_port].mtu)) {
		const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l3_off);
		if (ip[6] & 0x40) {
			egw_pl_reply_icmp_error(w, m, meta, EGW_ICMP_DEST_UNREACH, 4,
				dp->ports[out_port].mtu, EGW_DROP_MTU_EXCEEDED);
			return;
		}
		/* A piece of a fragment train leaves as it came (fragment.c), not split again. */
		if (meta->frag) {
			egw_drop(&w->stats, m, EGW_DROP_MTU_EXCEEDED);
			return;
		}
		split = true;
	}
	spliced = spliced && meta->kind != EGW_PKT_ICMP_ERROR;
	if (unlikely(spliced) && dir == EGW_DIR_ORIG)
		egw_pl_late_splice(m, meta, f, dir);
	if (meta->proto == IPPROTO_TCP && !tcp_window(w, m, meta, f, dir, &tcp_flags))
		return;
	if (unlikely(spliced) && dir == EGW_DIR_REPLY)
		egw_pl_late_splice(m, meta, f, dir);
	/* DNS: queries remembered (or answered NXDOMAIN by dns_filter), answers learned from.
	 * A message in pieces cannot be read (nor filtered): it does not pass. */
	if (unlikely(egw_dns_flow(f))) {
		if (meta->frag) {
			egw_drop(&w->stats, m, EGW_DROP_IP_FRAGMENT);
			return;
		}
		if (egw_dns_snoop_packet(w, snap, m, meta, f, dir))
			return;
	}
	if (meta->kind == EGW_PKT_ICMP_ERROR) {
		/* RFC 5508: translated with their quoted packet; they neither refresh nor end it.
		 * The sender may be a router rather than the flow's peer: route it afresh; about
		 * a hairpinned flow it turns back too (RFC 5508 REQ-7). */
		uint16_t slot =
			f->neigh[dir] == EGW_NEIGH_HAIRPIN ? EGW_NEIGH_HAIRPIN : EGW_NEIGH_NONE;
		egw_translate_icmp_error(m, meta, f, dir);
		dst_be = dir == EGW_DIR_ORIG ? meta->dst : f->orig.a_addr;
		if (unlikely(split))
			forward_split(w, m, meta, out_port, &slot, dst_be, rt, dir == EGW_DIR_ORIG);
		else
			egw_pl_forward(w, m, out_port, &slot, dst_be, rt, dir == EGW_DIR_ORIG);
		return;
	}
	was = f->state;
	if (meta->proto == IPPROTO_TCP) {
		if (!egw_tcp_steady(f, tcp_flags))
			egw_tcp_track(f, dir, tcp_flags);
	} else if (meta->proto == IPPROTO_UDP)
		egw_udp_track(f, dir);
	if (unlikely(f->state != was))
		egw_flow_state_changed(w, f, was);
	f->last_seen = w->now;
	f->packets[dir]++;
	f->bytes[dir] += meta->ip_len;
	w->policy[f->policy].packets++;
	w->policy[f->policy].bytes += meta->ip_len;
	if (f->flags & EGW_FLOW_F_NAT)
		egw_translate(m, meta, f, dir);
	if (unlikely(meta->frag)) {
		/* Its train follows its translation (fragment.c). */
		egw_pl_frag_first(w, m, meta, out_port, dir == EGW_DIR_ORIG,
			(f->flags & EGW_FLOW_F_NAT) != 0, f->neigh[dir] == EGW_NEIGH_HAIRPIN);
		return;
	}
	dst_be = dir == EGW_DIR_ORIG ? f->orig.b_addr : f->orig.a_addr;
	if (unlikely(probe))
		egw_pl_send_ack_probe(w, m, meta, out_port, &f->neigh[dir], dst_be, rt,
			dir == EGW_DIR_ORIG);
	if (unlikely(split))
		forward_split(w, m, meta, out_port, &f->neigh[dir], dst_be, rt,
			dir == EGW_DIR_ORIG);
	else
		egw_pl_forward_inline(w, m, out_port, &f->neigh[dir], dst_be, rt,
			dir == EGW_DIR_ORIG);
}

void egw_pl_flow_send(struct egw_worker *w, struct rte_mbuf *m, struct egw_pkt_meta *meta,
	struct egw_flow *f, unsigned dir)
{
	flow_send(w, egw_snapshot_current(&w->dp->rcu), m, meta, f, dir, false, false);
}

void egw_pl_flow_send_spliced(struct egw_worker *w, struct rte_mbuf *m, struct egw_pkt_meta *meta,
	struct egw_flow *f, unsigned dir)
{
	flow_send(w, egw_snapshot_current(&w->dp->rcu), m, meta, f, dir, false, true);
}

/*
 * A packet of a known flow (or its ICMP error): re-checked after a policy change, then sent
 * on. Returns true when the flow ended here (its record is free again).
 */
static bool flow_packet(struct egw_worker *w, const struct egw_snapshot *snap, struct rte_mbuf *m,
	struct egw_pkt_meta *meta, struct egw_flow *f, unsigned dir)
{
	enum egw_recheck recheck = EGW_RECHECK_ALLOWED;
	bool spliced = false;

	/* A new connection on the tuple of a closed one is a flow of its own (one flow log
	 * record per connection), decided afresh by the new-flow path (its host name too).
	 * Before the revoked and pending checks: a new SYN is judged afresh. The flags go first:
	 * almost every packet fails there (non-TCP packets parse with no flags). */
	if (unlikely(egw_tcp_reopens(f, meta->tcp_flags) && dir == EGW_DIR_ORIG)) {
		f = egw_pl_flow_reopen(w, snap, m, meta, f);
		if (f)
			flow_packet(w, snap, m, meta, f, EGW_DIR_ORIG);
		return true;
	}

	/* One test for the rare cases: reset by a policy change, or waiting for its name
	 * (decided on the snapshot in force then: no re-check before). */
	if (unlikely(f->flags & (EGW_FLOW_F_REVOKED | EGW_FLOW_F_PENDING))) {
		if (f->flags & EGW_FLOW_F_REVOKED) {
			/* Reset already, or an ICMP error: answered as revoked. */
			if (f->state == EGW_TCP_RESET || meta->kind == EGW_PKT_ICMP_ERROR) {
				egw_pl_revoked_packet(w, m, meta);
				return false;
			}
			/* Flushed (egw_pl_flush_tcp): its first packet resets both ends. */
			if (egw_pl_reset_both_ways(w, m, meta, f) == EGW_RECHECK_RESET)
				flow_send(w, snap, m, meta, f, dir, true,
					(f->late & EGW_LATE_SPLICED) != 0);
			return false;
		}
		/* Spliced (late-bound, both halves up): an established flow from here on. */
		spliced = (f->late & EGW_LATE_SPLICED) != 0;
		if (!spliced) {
			if (!egw_pl_host_packet(w, snap, m, meta, f, dir))
				flow_send(w, snap, m, meta, f, dir, false, false);
			return false;
		}
	}
	if (unlikely(f->generation != (uint16_t)snap->epoch) && meta->kind != EGW_PKT_ICMP_ERROR) {
		recheck = egw_pl_recheck(w, snap, m, meta, f);
		if (recheck == EGW_RECHECK_DROPPED)
			return false;
		if (recheck == EGW_RECHECK_ENDED) {
			egw_pipeline_end_flow(w, f, EGW_END_REVOKED);
			return true;
		}
	}
	flow_send(w, snap, m, meta, f, dir, recheck == EGW_RECHECK_RESET, spliced);
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

/* The packets of a burst this worker processes itself, parsed and keyed. */
struct burst {
	unsigned n;
	struct rte_mbuf *m[EGW_BURST];
	struct egw_pkt_meta meta[EGW_BURST];
	struct egw_flow_key keys[EGW_BURST];
	const struct egw_flow_key *key_ptrs[EGW_BURST];
	/* Later fragments this worker keeps the trains of: after the burst's first fragments, so
	 * that a whole train in one burst waits for nothing. */
	unsigned n_later;
	struct rte_mbuf *later[EGW_BURST];
};

/* Packets of the burst other workers own, per owner. */
struct away {
	uint16_t n[EGW_MAX_WORKERS];
	struct rte_mbuf *m[EGW_MAX_WORKERS][EGW_BURST];
};

/* Where a burst comes from: a port, another worker, or our own hairpin turn (hairpin.c). */
enum rx_source { RX_PORT, RX_HANDOFF, RX_HAIRPIN };

/*
 * First pass over a received (or handed-off) burst: count, parse, local traffic, ownership.
 * What this worker owns goes to B with its flow key, the rest to A per owner.
 */
static void classify(struct egw_worker *w, const struct egw_snapshot *snap, struct rte_mbuf **pkts,
	uint16_t n, enum rx_source src, struct burst *b, struct away *a)
{
	struct egw_dataplane *dp = w->dp;
	uint64_t rx_bytes = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct egw_port_info *in = &dp->ports[m->port];
		struct egw_pkt_meta *pm = &b->meta[b->n];
		unsigned owner;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (src == RX_HANDOFF) {
			/* Counted, checked and judged where it came in: only its flow here. */
			if (!egw_pl_carried(w, m, pm))
				continue;
			if (unlikely(pm->kind == EGW_PKT_FRAGMENT)) {
				b->later[b->n_later++] = m;
				continue;
			}
			if (unlikely(pm->frag == EGW_PKT_FRAG_RELAYED)) {
				egw_pl_frag_relayed(w, m, pm);
				continue;
			}
		} else {
			rx_bytes += m->pkt_len;
			if (!egw_pl_parse(w, snap, m, pm) ||
				!egw_pl_early_checks(w, snap, m, pm, in))
				continue;
			if (unlikely(pm->kind == EGW_PKT_FRAGMENT)) {
				/* No ports: owned by its train (fragment.c). */
				owner = egw_pl_frag_owner(pm, dp->n_workers);
				if (owner == w->id) {
					b->later[b->n_later++] = m;
					continue;
				}
			} else {
				owner = egw_pl_packet_owner(w, snap, m, pm, in);
			}
			if (owner != w->id) {
				egw_pkt_meta_carry(m, dp->meta_off, pm);
				a->m[owner][a->n[owner]++] = m;
				continue;
			}
		}
		egw_pl_packet_key(pm, in->zone, &b->keys[b->n]);
		b->key_ptrs[b->n] = &b->keys[b->n];
		b->m[b->n++] = m;
	}
	/* Counted once a burst, not per packet (a hairpinned burst was counted as received). */
	if (src == RX_PORT) {
		w->stats.rx_packets += n;
		w->stats.rx_bytes += rx_bytes;
	}
}

/* Hands each owner its packets; a full ring drops them (handoff_full). */
static void hand_off(struct egw_worker *w, struct away *a)
{
	struct egw_dataplane *dp = w->dp;

	for (unsigned o = 0; o < dp->n_workers; o++) {
		unsigned sent;
		if (a->n[o] == 0)
			continue;
		sent = rte_ring_enqueue_burst(dp->handoff[w->id][o], (void **)a->m[o], a->n[o],
			NULL);
		w->stats.handoffs_out += sent;
		for (unsigned k = sent; k < a->n[o]; k++)
			egw_drop(&w->stats, a->m[o][k], EGW_DROP_HANDOFF_FULL);
	}
}

/*
 * A packet of no known flow: an inside packet may start one (it is its first packet, sent on
 * when admitted); an outside one may open one through an endpoint-independent mapping whose
 * filtering lets it in (its first reply: *DIR), else it is unsolicited. Returns the new flow,
 * NULL after M was dropped.
 */
static struct egw_flow *miss(struct egw_worker *w, const struct egw_snapshot *snap,
	struct rte_mbuf *m, const struct egw_pkt_meta *meta, const struct egw_flow_key *key,
	unsigned *dir)
{
	enum egw_drop_reason why = egw_pl_address_check(w->dp, snap, meta, key->zone);
	uint32_t map;

	if (unlikely(why != EGW_DROP_NONE)) {
		egw_drop(&w->stats, m, why);
		return NULL;
	}
	if (key->zone == EGW_ZONE_OUTSIDE) {
		map = egw_pl_inbound_mapping(w, snap, meta);
		if (map != EGW_NAT_MAP_NONE) {
			if (egw_pl_ttl_expires(w, m, meta))
				return NULL;
			*dir = EGW_DIR_REPLY;
			return egw_pl_flow_inbound(w, snap, m, meta, map);
		}
		egw_drop(&w->stats, m,
			meta->kind == EGW_PKT_ICMP_ERROR ? EGW_DROP_ICMP_ERROR_NO_FLOW :
							   EGW_DROP_UNSOLICITED);
		return NULL;
	}
	if (egw_pl_ttl_expires(w, m, meta))
		return NULL;
	return egw_pl_flow_new(w, snap, m, meta, key);
}

/* Second pass: one bulk lookup for the burst, then each packet with its flow. */
static void process(struct egw_worker *w, const struct egw_snapshot *snap, struct burst *b)
{
	struct egw_flow *cand[EGW_BURST];
	uint8_t cand_dirs[EGW_BURST];
	struct egw_flow_key created[2 * EGW_BURST]; /* both keys of the flows this burst made */
	unsigned n_created = 0;
	bool flow_ended = false;
	/* The lookup requests every key's bucket, then every candidate record, for the whole burst
	 * at once; each is confirmed when its packet's turn comes, so that a record's miss overlaps
	 * with the work on the packets before it (not with a pass that only waits for them). */
	uint64_t maybe = egw_flow_candidates_bulk(w->ft, b->key_ptrs, b->n, cand, cand_dirs);

	w->flow_removed = false;

	for (unsigned j = 0; j < b->n; j++) {
		struct rte_mbuf *m = b->m[j];
		struct egw_flow *f = NULL;
		unsigned dir = EGW_DIR_ORIG;

		/* Once a flow ended in this burst, a candidate may name a freed (or reused) record:
		 * look again. A miss may be a flow created by an earlier packet of this burst. */
		if (likely(!flow_ended && !w->flow_removed) && (maybe & (1ULL << j)))
			f = egw_flow_confirm(w->ft, &b->keys[j], cand[j], cand_dirs[j], &dir);
		else if (unlikely(flow_ended || w->flow_removed) ||
			 created_in_burst(created, n_created, &b->keys[j]))
			f = egw_flow_lookup(w->ft, &b->keys[j], &dir);
		if (!f) {
			f = miss(w, snap, m, &b->meta[j], &b->keys[j], &dir);
			if (!f)
				continue;
			created[n_created++] = f->orig;
			egw_flow_reply_key(f, &created[n_created++]);
		} else if (egw_pl_ttl_expires(w, m, &b->meta[j])) {
			continue;
		}
		flow_ended |= flow_packet(w, snap, m, &b->meta[j], f, dir);
	}
}

static void rx(struct egw_worker *w, struct rte_mbuf **pkts, uint16_t n, enum rx_source src)
{
	const struct egw_snapshot *snap = egw_snapshot_current(&w->dp->rcu);
	struct burst b;
	struct away a;

	if (n > EGW_BURST) {
		rx(w, pkts, EGW_BURST, src);
		rx(w, pkts + EGW_BURST, (uint16_t)(n - EGW_BURST), src);
		return;
	}
	b.n = 0;
	b.n_later = 0;
	memset(a.n, 0, sizeof(a.n[0]) * w->dp->n_workers);
	classify(w, snap, pkts, n, src, &b, &a);
	if (src == RX_HANDOFF)
		w->stats.handoffs_in += n;
	else
		hand_off(w, &a);
	process(w, snap, &b);
	for (unsigned i = 0; i < b.n_later; i++)
		egw_pl_frag_later(w, b.later[i]);
}

void egw_pipeline_rx(struct egw_worker *w, struct rte_mbuf **pkts, uint16_t n, bool from_handoff)
{
	rx(w, pkts, n, from_handoff ? RX_HANDOFF : RX_PORT);
}

void egw_pl_rx_hairpin(struct egw_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	rx(w, pkts, n, RX_HAIRPIN);
}

uint32_t egw_pipeline_expire(struct egw_worker *w)
{
	uint32_t n;

	egw_pl_host_expire(w);
	egw_pl_frag_expire(w);
	n = egw_flow_expire_step(w->ft, w->now, EGW_EXPIRE_BUDGET, egw_flow_expired, w);

	w->stats.flows_expired += n;
	return n;
}

uint32_t egw_pipeline_expire_paced(struct egw_worker *w, uint64_t tsc)
{
	const uint64_t per = w->expire_tsc_per_record;
	uint64_t due;
	uint32_t n;

	egw_pl_host_expire(w);
	egw_pl_frag_expire(w);
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
