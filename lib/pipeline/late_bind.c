/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Late binding (late_bind.h): the client's handshake answered with a SYN cookie, the flow made
 * at its ACK, the upstream connection opened once the name has chosen the pool and exit, the
 * two halves spliced. Slow path but for egw_pl_late_splice(), which every packet of a spliced
 * flow (and of no other) goes through.
 */
#include <rte_byteorder.h>
#include <rte_tcp.h>

#include "flow/syncookie.h"
#include "flow/tcp.h"
#include "flow_life.h"
#include "late_bind.h"
#include "net/tcp_craft.h"

static inline struct rte_tcp_hdr *tcp_of(const struct rte_mbuf *m, const struct egw_pkt_meta *meta)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, meta->l4_off);
}

/* The minute clock of the cookies. */
static inline uint32_t minute(const struct egw_worker *w)
{
	return w->now / 60;
}

void egw_pl_late_syn(struct egw_worker *w, struct rte_mbuf *m, const struct egw_pkt_meta *meta,
	const struct egw_flow_key *key, uint16_t mss)
{
	const struct rte_tcp_hdr *th = tcp_of(m, meta);
	const uint16_t port = m->port;
	struct egw_tcp_opts syn, ours;
	uint32_t tsval, cookie;

	/* A malformed list: what was read before the fault is what a receiver reads too. */
	(void)egw_tcp_opts_read(th, &syn);
	cookie = egw_syncookie_make(&w->dp->cookie_secret, key, rte_be_to_cpu_32(th->sent_seq),
		minute(w), &syn, &tsval);
	egw_syncookie_synack_opts(&syn, tsval, mss, EGW_LATE_WSCALE, &ours);
	if (egw_tcp_craft_synack(m, cookie, &ours) < 0) {
		egw_drop(&w->stats, m, EGW_DROP_LATE_ABSORBED);
		return;
	}
	w->stats.late_cookies_sent++;
	egw_pl_tx_enqueue(w, port, m);
}

bool egw_pl_late_cookie(struct egw_worker *w, const struct egw_snapshot *snap,
	const struct rte_mbuf *m, const struct egw_pkt_meta *meta, const struct egw_flow_key *key,
	struct egw_late *l, uint32_t *seq0)
{
	const struct rte_tcp_hdr *th = tcp_of(m, meta);
	struct egw_tcp_opts o;
	uint32_t seq = rte_be_to_cpu_32(th->sent_seq), ack = rte_be_to_cpu_32(th->recv_ack);

	if (!snap->late_any ||
		(meta->tcp_flags & (EGW_TCP_SYN | EGW_TCP_ACK | EGW_TCP_RST)) != EGW_TCP_ACK)
		return false;
	if (egw_tcp_opts_read(th, &o) < 0 ||
		egw_syncookie_check(&w->dp->cookie_secret, key, seq, ack, minute(w), o.has_ts != 0,
			o.tsecr, &l->syn) < 0) {
		w->stats.late_cookies_failed++;
		return false;
	}
	w->stats.late_cookies_valid++;
	l->pool = m->pool;
	l->cookie_isn = ack - 1;
	l->our_tsval = o.tsecr;
	l->cli_tsval = o.tsval;
	l->cli_win = rte_be_to_cpu_16(th->rx_win);
	l->syn_at = 0;
	l->step = EGW_LATE_NAME;
	*seq0 = seq;
	return true;
}

struct egw_pending *egw_pl_late_wait(struct egw_worker *w, const struct egw_snapshot *snap,
	struct egw_flow *f, const struct egw_late *l, uint32_t seq0, uint16_t via, bool named)
{
	struct egw_pending *p = egw_pl_pending_take(w, snap, f, seq0, via, named);

	p->late = *l;
	p->late.named = named;
	f->late = EGW_LATE_BOUND;
	w->stats.late_pending++;
	return p;
}

/* Counts a SYN in W's second: the most of this second and the last. */
static uint32_t syn_rate(struct egw_worker *w)
{
	if (w->now != w->syn_second) {
		w->syn_prev = w->now == w->syn_second + 1 ? w->syn_now : 0;
		w->syn_now = 0;
		w->syn_second = w->now;
	}
	w->syn_now++;
	return RTE_MAX(w->syn_now, w->syn_prev);
}

bool egw_pl_syn_cookie_mode(struct egw_worker *w, const struct egw_snapshot *snap)
{
	/* auto: a flood keeps it on from its first second to a second after its last. */
	bool on = snap->syn_cookies == EGW_SYN_COOKIES_ON ||
		  (snap->syn_cookies == EGW_SYN_COOKIES_AUTO &&
			  (syn_rate(w) > snap->syn_cookie_rate ||
				  w->stats.tcp_half_open > snap->syn_cookie_half_open));

	if (on != w->syn_cookie_mode) {
		w->syn_cookie_mode = on;
		if (on) {
			w->stats.syn_cookie_activations++;
			w->stats.syn_cookie_mode++;
		} else {
			w->stats.syn_cookie_mode--;
		}
	}
	return on;
}

/* Sends a segment built into R (egw_tcp_craft_*) toward the server as one of F's. */
static void send_crafted(struct egw_worker *w, struct rte_mbuf *r, struct egw_flow *f)
{
	struct egw_pkt_meta meta;

	if (egw_pkt_parse(rte_pktmbuf_mtod(r, const uint8_t *), r->data_len, &meta) !=
		EGW_DROP_NONE) {
		rte_pktmbuf_free(r); /* never: the builders write what the parser reads */
		return;
	}
	egw_pl_flow_send(w, r, &meta, f, EGW_DIR_ORIG);
}

/* Our SYN to the server, from the client's ISN with the client's options. */
static void send_syn(struct egw_worker *w, struct egw_flow *f, struct egw_pending *p)
{
	struct rte_mbuf *r = rte_pktmbuf_alloc(p->late.pool);
	struct egw_tcp_opts o = p->late.syn;

	if (!r)
		return; /* the client retransmits, which sends it again */
	o.tsval = p->late.cli_tsval;
	o.tsecr = 0;
	if (egw_tcp_craft_syn(r, f->orig.a_addr, f->orig.b_addr, f->orig.a_port, f->orig.b_port,
		    p->seq0 - 1, &o) < 0) {
		rte_pktmbuf_free(r);
		return;
	}
	p->late.syn_at = w->now;
	w->stats.late_syns_sent++;
	send_crafted(w, r, f);
}

/*
 * A RST to the client of late-bound F (in P): at the sequence number it expects from us (our
 * cookie + 1: we never sent data), made into R or a new mbuf. The client's half is all there
 * is: the server never saw the connection, or refused it.
 */
static void rst_to_client(struct egw_worker *w, struct egw_flow *f, struct egw_pending *p,
	struct rte_mbuf *r)
{
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;

	if (!r && !(r = rte_pktmbuf_alloc(p->late.pool)))
		return;
	if (egw_tcp_craft_ack(r, f->orig.b_addr, f->orig.a_addr, f->orig.b_port, f->orig.a_port,
		    p->late.cookie_isn + 1, 0, 0, NULL) < 0) {
		/* Never (a pool mbuf has room for a bare ACK), but R may be the server's RST or
		 * ICMP error: a received packet leaves with its one counted reason. */
		egw_drop(&w->stats, r, EGW_DROP_LATE_UPSTREAM_FAILED);
		return;
	}
	ip = rte_pktmbuf_mtod_offset(r, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	th = (struct rte_tcp_hdr *)(ip + 1);
	th->tcp_flags = RTE_TCP_RST_FLAG;
	th->cksum = 0;
	th->cksum = egw_csum_l4(ip->src_addr, ip->dst_addr, IPPROTO_TCP, th,
		(uint16_t)(rte_be_to_cpu_16(ip->total_length) - sizeof(*ip)));
	w->stats.rst_sent++;
	egw_pl_forward(w, r, f->port[EGW_DIR_REPLY], &f->neigh[EGW_DIR_REPLY], f->orig.a_addr,
		&w->dp->to_inside, false);
}

/* Drops what P holds for WHY and gives its slot back; F stays late-bound, no longer pending. */
static void late_release(struct egw_worker *w, struct egw_flow *f, struct egw_pending *p,
	enum egw_drop_reason why)
{
	for (unsigned i = 0; i < p->hold.n; i++)
		egw_drop(&w->stats, p->hold.seg[i].m, why);
	p->hold.n = 0;
	egw_pl_pending_release(w, f, p);
	w->stats.late_pending--;
}

/*
 * The upstream connection of F failed (the server's RST or an ICMP error, M: its mbuf is the
 * client's RST; or a timeout, M NULL): the client is reset, the flow revoked (later segments
 * of either side answered with RSTs until it expires).
 */
static void upstream_failed(struct egw_worker *w, struct egw_flow *f, struct egw_pending *p,
	struct rte_mbuf *m)
{
	if (m)
		w->stats.drops[EGW_DROP_LATE_UPSTREAM_FAILED]++;
	rst_to_client(w, f, p, m);
	late_release(w, f, p, EGW_DROP_LATE_UPSTREAM_FAILED);
	egw_flow_revoke(w, f);
}

/* Window tracking and the state machine for the server's SYN-ACK M (server sequence space). */
static bool track_synack(struct egw_worker *w, struct rte_mbuf *m, const struct egw_pkt_meta *meta,
	struct egw_flow *f)
{
	const uint8_t was = f->state;
	struct egw_tcp_seg seg;

	if (w->dp->tcp_window_check) {
		egw_tcp_seg_read(rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l4_off),
			meta->l4_len, meta->tcp_flags, &seg);
		if (egw_tcp_window_check(&f->tcp_win, EGW_DIR_REPLY, &seg) != EGW_TCP_FITS) {
			egw_drop(&w->stats, m, EGW_DROP_TCP_OUT_OF_WINDOW);
			return false;
		}
	}
	egw_tcp_track(f, EGW_DIR_REPLY, meta->tcp_flags);
	if (f->state != was)
		egw_flow_state_changed(w, f, was);
	f->last_seen = w->now;
	f->packets[EGW_DIR_REPLY]++;
	f->bytes[EGW_DIR_REPLY] += meta->ip_len;
	return true;
}

/*
 * The server's SYN-ACK M (META) for F: the splice is set up from both handshakes, M becomes
 * our ACK to the server, and the client's held data follows through the splice.
 */
static void splice_start(struct egw_worker *w, struct rte_mbuf *m, const struct egw_pkt_meta *meta,
	struct egw_flow *f, struct egw_pending *p)
{
	const struct egw_tcp_opts *cs = &p->late.syn;
	const struct rte_tcp_hdr *th = tcp_of(m, meta);
	const uint32_t server_isn = rte_be_to_cpu_32(th->sent_seq);
	const bool cli_ws = cs->wscale != EGW_TCP_NO_WSCALE;
	struct egw_tcp_opts so, ack_ts;
	struct egw_hold hold;
	uint32_t win = p->late.cli_win;
	bool srv_ws, ts;

	(void)egw_tcp_opts_read(th, &so);
	srv_ws = so.wscale != EGW_TCP_NO_WSCALE;
	ts = cs->has_ts && so.has_ts;
	egw_splice_init(&f->splice, p->late.cookie_isn, server_isn, ts, p->late.our_tsval, so.tsval,
		cli_ws ? EGW_LATE_WSCALE : 0, cli_ws && srv_ws ? so.wscale : 0);
	egw_splice_orig_window(&f->splice, cs->wscale, srv_ws);
	if (!track_synack(w, m, meta, f))
		return;
	/* The client's window in the server's terms: unscaled when the server refused. */
	if (cli_ws && !srv_ws)
		win = RTE_MIN(win << cs->wscale, 65535u);
	ack_ts = (struct egw_tcp_opts){ .has_ts = ts,
		.tsval = p->late.cli_tsval,
		.tsecr = so.tsval };
	if (egw_tcp_craft_ack(m, f->orig.a_addr, f->orig.b_addr, f->orig.a_port, f->orig.b_port,
		    p->seq0, server_isn + 1, (uint16_t)win, &ack_ts) == 0)
		send_crafted(w, m, f);
	else
		rte_pktmbuf_free(m); /* never: a SYN-ACK's mbuf holds a bare ACK */
	hold = p->hold;
	p->hold.n = 0;
	egw_pl_pending_release(w, f, p);
	w->stats.late_pending--;
	w->stats.late_spliced++;
	/* Spliced flows keep to the host side's path: one flag test the fast path makes anyway. */
	f->flags |= EGW_FLOW_F_PENDING;
	f->late |= EGW_LATE_SPLICED;
	for (unsigned i = 0; i < hold.n; i++) {
		struct egw_pkt_meta hm;

		egw_pl_held_meta(w, hold.seg[i].m, &hm);
		egw_pl_flow_send_spliced(w, hold.seg[i].m, &hm, f, EGW_DIR_ORIG);
	}
}

/* A packet from the server while our SYN is out. Always consumed. */
static void upstream_reply(struct egw_worker *w, struct rte_mbuf *m,
	const struct egw_pkt_meta *meta, struct egw_flow *f, struct egw_pending *p)
{
	const struct rte_tcp_hdr *th;
	bool acks_syn;

	if (meta->kind == EGW_PKT_ICMP_ERROR) {
		w->stats.late_upstream_unreachable++;
		upstream_failed(w, f, p, m);
		return;
	}
	th = tcp_of(m, meta);
	acks_syn = (meta->tcp_flags & EGW_TCP_ACK) && rte_be_to_cpu_32(th->recv_ack) == p->seq0;
	if ((meta->tcp_flags & EGW_TCP_RST) && acks_syn) {
		w->stats.late_upstream_rst++;
		upstream_failed(w, f, p, m);
		return;
	}
	if ((meta->tcp_flags & (EGW_TCP_SYN | EGW_TCP_RST)) != EGW_TCP_SYN || !acks_syn) {
		egw_drop(&w->stats, m, EGW_DROP_TCP_OUT_OF_WINDOW);
		return;
	}
	splice_start(w, m, meta, f, p);
}

/* What the client's segment M says of its clock and window, for the segments we write. */
static void note_client(struct egw_pending *p, const struct rte_tcp_hdr *th)
{
	struct egw_tcp_opts o;

	p->late.cli_win = rte_be_to_cpu_16(th->rx_win);
	if (p->late.syn.has_ts && egw_tcp_opts_read(th, &o) == 0 && o.has_ts)
		p->late.cli_tsval = o.tsval;
}

bool egw_pl_late_packet(struct egw_worker *w, const struct egw_snapshot *snap, struct rte_mbuf *m,
	const struct egw_pkt_meta *meta, struct egw_flow *f, struct egw_pending *p, unsigned dir)
{
	const struct rte_tcp_hdr *th;
	uint16_t len;

	if (dir == EGW_DIR_REPLY && p->late.step == EGW_LATE_SYN_SENT) {
		upstream_reply(w, m, meta, f, p);
		return true;
	}
	/* Nobody outside knows the connection yet. */
	if (dir == EGW_DIR_REPLY || meta->kind == EGW_PKT_ICMP_ERROR) {
		egw_drop(&w->stats, m, EGW_DROP_UNSOLICITED);
		return true;
	}
	th = tcp_of(m, meta);
	if (meta->tcp_flags & EGW_TCP_RST) {
		/* The client gave up: nothing to tell the server, which never got data. */
		egw_drop(&w->stats, m, EGW_DROP_LATE_ABSORBED);
		late_release(w, f, p, EGW_DROP_HOST_UNKNOWN);
		egw_flow_revoke(w, f);
		return true;
	}
	note_client(p, th);
	len = (uint16_t)(meta->l4_len - (th->data_off >> 4) * 4);
	if ((meta->tcp_flags & EGW_TCP_SYN) || (len == 0 && !(meta->tcp_flags & EGW_TCP_FIN))) {
		egw_drop(&w->stats, m, EGW_DROP_LATE_ABSORBED);
		return true;
	}
	if (p->late.step == EGW_LATE_NAME)
		return false;
	/* Decided, our SYN out: held unread. A retransmission says the client waits: our SYN
	 * goes again (at most once a second, the client's backoff pacing it). */
	switch (egw_pl_pending_hold(w, snap, p, m, meta)) {
	case 0:
		break;
	case 1:
		if (p->late.syn_at != w->now)
			send_syn(w, f, p);
		break;
	default:
		egw_drop(&w->stats, m, EGW_DROP_HOST_HOLD_FULL);
		break;
	}
	return true;
}

void egw_pl_late_admit(struct egw_worker *w, const struct egw_snapshot *snap, struct egw_flow *f,
	struct egw_pending *p, const struct egw_verdict *v)
{
	enum egw_drop_reason why;

	why = egw_pl_flow_rebind(w, snap, f, v->rt);
	if (why != EGW_DROP_NONE) {
		rst_to_client(w, f, p, NULL);
		late_release(w, f, p, why);
		egw_flow_revoke(w, f);
		return;
	}
	egw_pl_pending_admitted(w, snap, f, v, p->late.named);
	p->late.step = EGW_LATE_SYN_SENT;
	p->deadline = w->now + snap->host_timeout;
	send_syn(w, f, p);
}

bool egw_pl_late_expired(struct egw_worker *w, struct egw_pending *p)
{
	if (!(p->f->late & EGW_LATE_BOUND) || p->late.step != EGW_LATE_SYN_SENT)
		return false;
	w->stats.late_upstream_timeout++;
	upstream_failed(w, p->f, p, NULL);
	return true;
}

void egw_pl_late_splice(struct rte_mbuf *m, const struct egw_pkt_meta *meta,
	const struct egw_flow *f, unsigned dir)
{
	struct rte_tcp_hdr *th = tcp_of(m, meta);
	struct egw_tcp_opts o;

	(void)egw_tcp_opts_read(th, &o);
	if (dir == EGW_DIR_ORIG)
		egw_splice_orig(&f->splice, th, &o);
	else
		egw_splice_reply(&f->splice, th, &o);
}
