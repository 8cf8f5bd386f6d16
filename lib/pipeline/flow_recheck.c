/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The slow path of a policy change: a flow admitted under an older epoch meets the current
 * policy on its next packet; a refused TCP connection is reset toward both ends, exactly
 * enough for RFC 5961 receivers (RST from the segment's own ack, an ACK probe for the rest).
 */
#include "flow_life.h"
#include "net/tcp_rst.h"
#include "pipeline_internal.h"

/* Answers the TCP segment M with an RST to its sender (seq = M's ack: exactly what the sender
 * expects, so RFC 5961 receivers accept it). */
void egw_pl_rst_to_sender(struct egw_worker *w, const struct rte_mbuf *m,
	const struct egw_pkt_meta *meta)
{
	struct rte_mbuf *r = rte_pktmbuf_alloc(m->pool);

	if (!r)
		return;
	if (unlikely(w->lat))
		egw_latency_stamp(&r, 1, w->lat_off, 0); /* built here: not counted */
	egw_tcp_rst_reverse(r, m, meta, &w->dp->ports[m->port].mac);
	w->stats.rst_sent++;
	egw_pl_tx_enqueue(w, m->port, r);
}

/*
 * A refused (revoked or flushed) TCP connection: an RST to the sender of M, and M itself
 * becomes the RST to its receiver (*META follows).
 */
enum egw_recheck egw_pl_reset_both_ways(struct egw_worker *w, struct rte_mbuf *m,
	struct egw_pkt_meta *meta, struct egw_flow *f)
{
	/*
	 * The receiver's RST carries M's seq, right unless M was a retransmission. So the record
	 * stays (state reset: transitory timeout, keeping the NAT tuple from reuse) and every
	 * later segment of either side is answered with an RST built from its own ack: a receiver
	 * that refused the first RST answers the ACK probe (send_ack_probe), a challenge ACK or a
	 * retransmission, and gets an exact one. Quota and source share go back now.
	 */
	egw_flow_revoke(w, f);
	if (meta->tcp_flags & EGW_TCP_RST) {
		egw_drop(&w->stats, m, EGW_DROP_POLICY_REVOKED);
		return EGW_RECHECK_DROPPED;
	}
	egw_pl_rst_to_sender(w, m, meta);
	egw_tcp_rst_inplace(m, meta);
	return EGW_RECHECK_RESET;
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
	ck = egw_pl_cls_key(&f->orig);
	return egw_cls_lookup_linear(snap->delta, snap->n_delta, &ck) == NULL;
}

/*
 * A flow admitted under an older epoch meets the current policy on its next packet. Refused
 * (revalidate = reset), a UDP/ICMP flow ends here, and a TCP connection is reset toward both
 * ends: an RST to the sender, and M itself becomes the RST to its receiver (*META follows).
 */
enum egw_recheck egw_pl_recheck(struct egw_worker *w, const struct egw_snapshot *snap,
	struct rte_mbuf *m, struct egw_pkt_meta *meta, struct egw_flow *f)
{
	const struct egw_policy_rt *rt;

	if (snap->revalidate == EGW_REVALIDATE_KEEP || delta_allows(snap, f) ||
		(snap->host ? egw_pl_recheck_named(w, snap, f) :
			      egw_pl_admit(snap, &f->orig, &rt) == EGW_DROP_NONE)) {
		/* Still allowed: it stays with the policy that admitted it (its counters and
		 * quota), even when another policy would now match first. */
		f->generation = (uint16_t)snap->epoch;
		return EGW_RECHECK_ALLOWED;
	}
	w->stats.flows_revoked++;
	if (meta->proto != IPPROTO_TCP) {
		egw_drop(&w->stats, m, EGW_DROP_POLICY_REVOKED);
		return EGW_RECHECK_ENDED;
	}
	f->generation = (uint16_t)snap->epoch;
	return egw_pl_reset_both_ways(w, m, meta, f);
}

/*
 * "flows flush" of a TCP flow: the worker does not remove it (the client would go on sending
 * and tcp_pickup would adopt it again under a new NAT port) but revokes it as a policy change
 * does, from its next packet on, in both directions. Until then it holds its tuple for the
 * transitory timeout, counted from now; quota and source share go back now, and its end
 * ("flushed") is logged now. No flag bit is left in the record: REVOKED in a state other than
 * RESET (which every revocation sets) marks "flushed, the first packet still to reset".
 * A connection closed already (time-wait, reset) has nobody left to reset: it just goes.
 */
void egw_pl_flush_tcp(struct egw_worker *w, struct egw_flow *f)
{
	uint8_t was;

	if (egw_flow_finished(f->state)) {
		egw_pipeline_end_flow(w, f, EGW_END_FLUSHED);
		return;
	}
	egw_flow_log_end(w, f, EGW_END_FLUSHED);
	/* Still waiting for its name: its held segments go now (hostdp's end path). */
	if (f->flags & EGW_FLOW_F_PENDING)
		egw_pl_host_flow_end(w, f, false);
	egw_flow_release_shares(w, f);
	f->flags = (uint8_t)((f->flags & ~(EGW_FLOW_F_QUOTA | EGW_FLOW_F_SRC_COUNTED)) |
			     EGW_FLOW_F_REVOKED);
	was = f->state;
	f->state = EGW_TCP_CLOSING; /* transitory and live: RESET comes with the first packet */
	egw_flow_state_changed(w, f, was); /* a half-open one is no more */
	f->last_seen = w->now;
}

/*
 * M is the RST just made from the segment that met the revocation, translated, about to leave
 * toward its receiver. Its seq is exact for an in-order segment, but stale for a
 * retransmission, a window probe or a keepalive, and a receiver drops such an RST silently.
 * So a copy goes too, as a bare ACK far behind the receive window: every TCP answers that
 * with an ACK carrying its next expected seq (RFC 9293 3.10.7.4), and the reset flow answers
 * that ACK with an exact RST. A receiver the RST already closed answers with an RST, dropped.
 */
void egw_pl_send_ack_probe(struct egw_worker *w, const struct rte_mbuf *m,
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
	egw_pl_forward(w, r, out_port, slot, dst_be, rt, outbound);
}

/* A later packet of a flow a policy change reset: dropped, and a TCP segment other than an
 * RST answered with an RST to its sender. */
void egw_pl_revoked_packet(struct egw_worker *w, struct rte_mbuf *m,
	const struct egw_pkt_meta *meta)
{
	if (meta->kind == EGW_PKT_IPV4 && meta->proto == IPPROTO_TCP &&
		!(meta->tcp_flags & EGW_TCP_RST))
		egw_pl_rst_to_sender(w, m, meta);
	egw_drop(&w->stats, m, EGW_DROP_POLICY_REVOKED);
}
