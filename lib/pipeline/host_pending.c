/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP flows that wait for their host name (host_side.h): the handshake passes, the client's
 * first segments are held and read as a stream until lib/l7 names the host (or says the bytes
 * are neither TLS nor HTTP), then lib/policy decides. Allowed: the segments leave in sequence
 * order and the flow is an ordinary one. Denied: the held data is dropped and both ends get a
 * RST they accept (RFC 5961: the server's carries the first data byte's sequence number, which
 * it expects since it got none; the client's the client's own acknowledgement number); later
 * segments of either side are answered as for a revoked flow. Slow path: only flows marked
 * EGW_FLOW_F_PENDING come here, and only until they are decided.
 */
#include <rte_byteorder.h>
#include <rte_tcp.h>

#include "flow_life.h"
#include "late_bind.h"
#include "net/tcp_rst.h"

struct egw_pending *egw_pl_pending_of(struct egw_worker *w, const struct egw_flow *f)
{
	uint32_t slot = w->host->pending_of[egw_flow_index(w->ft, f)];

	return slot ? &w->host->pending[slot - 1] : NULL;
}

bool egw_pl_host_can_wait(const struct egw_worker *w)
{
	return w->host &&
	       (w->host->pending_free != 0 || w->host->pending_fresh < w->host->n_pending);
}

struct egw_pending *egw_pl_pending_take(struct egw_worker *w, const struct egw_snapshot *snap,
	struct egw_flow *f, uint32_t seq0, uint16_t via, bool named)
{
	struct egw_host_side *hs = w->host;
	uint32_t slot = hs->pending_free ? hs->pending_free : ++hs->pending_fresh;
	struct egw_pending *p = &hs->pending[slot - 1];

	if (slot == hs->pending_free)
		hs->pending_free = p->next_free;
	hs->pending_live++;
	hs->pending_of[egw_flow_index(w->ft, f)] = slot;
	p->f = f;
	p->deadline = w->now + snap->host_timeout;
	p->seq0 = seq0;
	p->via = via;
	egw_hold_init(&p->hold);
	f->flags |= EGW_FLOW_F_PENDING;
	if (named)
		w->stats.host_pending++;
	return p;
}

void egw_pl_host_wait(struct egw_worker *w, const struct egw_snapshot *snap, struct egw_flow *f,
	const struct rte_mbuf *syn, const struct egw_pkt_meta *meta, uint16_t via)
{
	const struct rte_tcp_hdr *tcp =
		rte_pktmbuf_mtod_offset(syn, const struct rte_tcp_hdr *, meta->l4_off);

	egw_pl_pending_take(w, snap, f, rte_be_to_cpu_32(tcp->sent_seq) + 1, via, true);
}

void egw_pl_pending_release(struct egw_worker *w, struct egw_flow *f, struct egw_pending *p)
{
	struct egw_host_side *hs = w->host;
	uint32_t slot = (uint32_t)(p - hs->pending) + 1;

	hs->held_total -= p->hold.frames;
	hs->pending_of[egw_flow_index(w->ft, f)] = 0;
	p->f = NULL;
	p->next_free = hs->pending_free;
	hs->pending_free = slot;
	hs->pending_live--;
	f->flags &= (uint8_t)~EGW_FLOW_F_PENDING;
}

/* Drops every held segment of P from index FROM on for WHY. */
static void drop_held(struct egw_worker *w, struct egw_pending *p, unsigned from,
	enum egw_drop_reason why)
{
	for (unsigned i = from; i < p->hold.n; i++)
		egw_drop(&w->stats, p->hold.seg[i].m, why);
}

void egw_pl_host_flow_end(struct egw_worker *w, struct egw_flow *f, bool shutdown)
{
	struct egw_pending *p;

	if (!w->host)
		return;
	egw_host_name_drop(w->host, egw_flow_index(w->ft, f));
	if (!(f->flags & EGW_FLOW_F_PENDING) || !(p = egw_pl_pending_of(w, f)))
		return;
	drop_held(w, p, 0, shutdown ? EGW_DROP_SHUTDOWN : EGW_DROP_HOST_UNKNOWN);
	if (f->late & EGW_LATE_BOUND)
		w->stats.late_pending--;
	egw_pl_pending_release(w, f, p);
}

/* The metadata a held segment carries (stored when it was held). */
void egw_pl_held_meta(const struct egw_worker *w, const struct rte_mbuf *m,
	struct egw_pkt_meta *meta)
{
	egw_pkt_meta_take(m, w->dp->meta_off, meta);
}

void egw_pl_pending_admitted(struct egw_worker *w, const struct egw_snapshot *snap,
	struct egw_flow *f, const struct egw_verdict *v, bool named)
{
	uint32_t slot = v->rt ? v->rt->slot : 0;

	f->policy = slot;
	if (w->flowlog && (!v->rt || v->rt->log))
		f->flags |= EGW_FLOW_F_LOG;
	f->generation = (uint16_t)snap->epoch;
	if (named && !egw_host_name_keep(w->host, egw_flow_index(w->ft, f), v))
		w->stats.host_names_full++;
	w->policy[slot].flows++;
	if (named)
		w->stats.host_allowed++;
	egw_flow_decided(w, f);
}

/*
 * Allowed by V: the flow becomes an ordinary one of the deciding policy, keeps its name, and
 * its held segments leave in order.
 */
static void admit(struct egw_worker *w, const struct egw_snapshot *snap, struct egw_flow *f,
	struct egw_pending *p, const struct egw_verdict *v)
{
	struct egw_hold hold = p->hold;

	if (egw_verdict_rebind(snap, v, (f->flags & EGW_FLOW_F_NAT) ? f->nat_addr : 0, p->via))
		w->stats.host_rebind++;
	egw_pl_pending_release(w, f, p);
	egw_pl_pending_admitted(w, snap, f, v, true);
	for (unsigned i = 0; i < hold.n; i++) {
		struct egw_pkt_meta meta;

		egw_pl_held_meta(w, hold.seg[i].m, &meta);
		egw_pl_flow_send(w, hold.seg[i].m, &meta, f, EGW_DIR_ORIG);
	}
}

/* A RST to the server made from client segment M (META): at SEQ0, the first data byte, which
 * the server expects since it got none; translated and sent on as the flow's own. */
static void rst_to_server(struct egw_worker *w, struct egw_flow *f, const struct rte_mbuf *m,
	const struct egw_pkt_meta *meta, uint32_t seq0)
{
	struct rte_mbuf *r = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
	struct egw_pkt_meta rmeta = *meta;
	struct rte_tcp_hdr *tcp;

	if (!r)
		return;
	tcp = rte_pktmbuf_mtod_offset(r, struct rte_tcp_hdr *, rmeta.l4_off);
	tcp->sent_seq = rte_cpu_to_be_32(seq0);
	egw_tcp_rst_inplace(r, &rmeta);
	w->stats.rst_sent++;
	egw_pl_flow_send(w, r, &rmeta, f, EGW_DIR_ORIG);
}

/*
 * Denied by V: both ends are reset, from the client's latest segment (CUR, the segment in
 * hand and not held, or the one held last): the client's RST at its own acknowledgement
 * number, the server's at the first data byte. The client's data (held and CUR) is dropped
 * for V's reason: a refused flow always counts there. The flow is then revoked.
 */
static void refuse(struct egw_worker *w, struct egw_flow *f, struct egw_pending *p,
	const struct egw_verdict *v, struct rte_mbuf *cur, const struct egw_pkt_meta *cur_meta)
{
	enum egw_drop_reason why = (enum egw_drop_reason)v->why;
	uint32_t slot = v->rt ? v->rt->slot : 0;
	struct egw_hold hold = p->hold;
	uint32_t seq0 = p->seq0;
	struct egw_pkt_meta meta;
	struct rte_mbuf *last = cur;
	const bool late = f->late & EGW_LATE_BOUND;

	w->policy[slot].denied++;
	w->stats.host_denied++;
	if (late) {
		w->stats.late_denied++;
		w->stats.late_pending--;
	}
	egw_flow_refused_named(w, &f->orig, slot, !v->rt || v->rt->log, why, v);
	egw_pl_pending_release(w, f, p);
	egw_flow_revoke(w, f);
	if (cur)
		meta = *cur_meta;
	else if (hold.n)
		egw_pl_held_meta(w, (last = hold.seg[hold.newest].m), &meta);
	if (last) {
		egw_pl_rst_to_sender(w, last, &meta);
		/* A late-bound flow's server never saw a SYN: nobody to reset there. */
		if (!late)
			rst_to_server(w, f, last, &meta, seq0);
	}
	if (cur)
		egw_drop(&w->stats, cur, why);
	for (unsigned i = 0; i < hold.n; i++)
		egw_drop(&w->stats, hold.seg[i].m, why);
}

/* Decides pending F on SEEN, and lets it go or resets it. CUR: see refuse(). */
static void decide(struct egw_worker *w, const struct egw_snapshot *snap, struct egw_flow *f,
	struct egw_pending *p, const struct egw_host_seen *seen, struct rte_mbuf *cur,
	const struct egw_pkt_meta *cur_meta)
{
	const struct egw_cls_key ck = egw_pl_cls_key(&f->orig);
	struct egw_verdict v;

	egw_policy_decide_name(snap, egw_pl_names_view(w), &ck, seen, w->now, &v);
	if (v.kind == EGW_VERDICT_ALLOW && v.rt && v.rt->max_flows) {
		if (egw_pl_quota_take(w->dp, v.rt)) {
			f->flags |= EGW_FLOW_F_QUOTA;
		} else {
			v.kind = EGW_VERDICT_DENY;
			v.why = EGW_DROP_POLICY_MAX_FLOWS;
		}
	}
	if (v.kind == EGW_VERDICT_ALLOW && (f->late & EGW_LATE_BOUND))
		egw_pl_late_admit(w, snap, f, p, &v);
	else if (v.kind == EGW_VERDICT_ALLOW)
		admit(w, snap, f, p, &v);
	else
		refuse(w, f, p, &v, cur, cur_meta);
}

/* Reads what P holds: decides F when the name (or its absence) is known. */
static void read_held(struct egw_worker *w, const struct egw_snapshot *snap, struct egw_flow *f,
	struct egw_pending *p)
{
	static const struct egw_host_seen nothing = { .kind = EGW_SEEN_NOTHING };
	struct egw_host_read r;
	bool fin;
	uint32_t n = egw_hold_stream(&p->hold, w->host->stream, snap->host_hold_bytes, &fin);

	if (egw_host_read(w->host->stream, n, &r) == EGW_L7_DONE) {
		decide(w, snap, f, p, &r.seen, NULL, NULL);
		return;
	}
	if (!fin && r.need <= snap->host_hold_bytes)
		return;
	/* The hello or request can never complete: cut short by a FIN, or larger than a flow
	 * may hold. */
	if (!fin)
		w->stats.host_hold_limit++;
	decide(w, snap, f, p, &nothing, NULL, NULL);
}

int egw_pl_pending_hold(struct egw_worker *w, const struct egw_snapshot *snap,
	struct egw_pending *p, struct rte_mbuf *m, const struct egw_pkt_meta *meta)
{
	const struct rte_tcp_hdr *tcp =
		rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, meta->l4_off);
	uint16_t hdr = (uint16_t)((tcp->data_off >> 4) * 4);
	uint16_t len = (uint16_t)(meta->l4_len - hdr);

	if (w->host->held_total + rte_pktmbuf_pkt_len(m) > snap->host_hold_total ||
		(!rte_pktmbuf_is_contiguous(m) && rte_pktmbuf_linearize(m) < 0)) {
		/* The client sends it again; by then others may have been decided. */
		egw_drop(&w->stats, m, EGW_DROP_HOST_HOLD_FULL);
		return 1;
	}
	egw_pkt_meta_carry(m, w->dp->meta_off, meta);
	switch (egw_hold_add(&p->hold, m, rte_be_to_cpu_32(tcp->sent_seq) - p->seq0,
		(uint16_t)(meta->l4_off + hdr), len, meta->tcp_flags & EGW_TCP_FIN,
		snap->host_hold_bytes)) {
	case EGW_HOLD_DUPLICATE:
		egw_drop(&w->stats, m, EGW_DROP_HOST_HOLD_DUPLICATE);
		return 1;
	case EGW_HOLD_OVER:
		return 2;
	default:
		w->host->held_total += rte_pktmbuf_pkt_len(m);
		return 0;
	}
}

bool egw_pl_host_packet(struct egw_worker *w, const struct egw_snapshot *snap, struct rte_mbuf *m,
	const struct egw_pkt_meta *meta, struct egw_flow *f, unsigned dir)
{
	static const struct egw_host_seen nothing = { .kind = EGW_SEEN_NOTHING };
	struct egw_pending *p = egw_pl_pending_of(w, f);
	const struct rte_tcp_hdr *tcp;
	uint16_t hdr, len;
	bool fin, syn;

	if (p && (f->late & EGW_LATE_BOUND) && egw_pl_late_packet(w, snap, m, meta, f, p, dir))
		return true;
	if (!p || meta->kind == EGW_PKT_ICMP_ERROR)
		return false;
	tcp = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, meta->l4_off);
	syn = dir == EGW_DIR_ORIG && (meta->tcp_flags & (EGW_TCP_SYN | EGW_TCP_ACK)) == EGW_TCP_SYN;
	if ((meta->tcp_flags & EGW_TCP_RST) ||
		(syn && rte_be_to_cpu_32(tcp->sent_seq) + 1 != p->seq0)) {
		/* Either end gave up: the RST goes on, the held data is of no use to anyone. The
		 * flow stays pending: a new SYN of the client (the same ports again) starts over
		 * and its name is read as the first one would have been. */
		drop_held(w, p, 0, EGW_DROP_HOST_UNKNOWN);
		w->host->held_total -= p->hold.frames;
		egw_hold_init(&p->hold);
		if (syn) {
			p->seq0 = rte_be_to_cpu_32(tcp->sent_seq) + 1;
			p->deadline = w->now + snap->host_timeout;
		}
		return false;
	}
	hdr = (uint16_t)((tcp->data_off >> 4) * 4);
	len = (uint16_t)(meta->l4_len - hdr);
	fin = meta->tcp_flags & EGW_TCP_FIN;
	/* Replies, the handshake's ACK, window updates: nothing to read, they pass. */
	if (dir != EGW_DIR_ORIG || (len == 0 && !fin))
		return false;
	switch (egw_pl_pending_hold(w, snap, p, m, meta)) {
	case 1:
		return true;
	case 2:
		w->stats.host_hold_limit++;
		decide(w, snap, f, p, &nothing, m, meta);
		return true;
	default:
		break;
	}
	read_held(w, snap, f, p);
	return true;
}

void egw_pl_host_expire(struct egw_worker *w)
{
	static const struct egw_host_seen nothing = { .kind = EGW_SEEN_NOTHING };
	struct egw_host_side *hs = w->host;
	const struct egw_snapshot *snap;

	if (!hs || hs->scan_second == w->now)
		return;
	hs->scan_second = w->now;
	if (!hs->pending_live)
		return;
	/* Once a second, every slot (EGW_HOST_PENDING_MAX at most: tens of microseconds). */
	snap = egw_snapshot_current(&w->dp->rcu);
	for (uint32_t i = 0; i < hs->n_pending && hs->pending_live; i++) {
		struct egw_pending *p = &hs->pending[i];

		if (p->f && (int32_t)(w->now - p->deadline) >= 0) {
			if (egw_pl_late_expired(w, p))
				continue;
			w->stats.host_timeouts++;
			decide(w, snap, p->f, p, &nothing, NULL, NULL);
		}
	}
}
