/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Refusals answered instead of dropped silently ([policy] action = reject, [egress]
 * deny_action and exhaustion_action = reject): the refused first packet of a new flow is
 * turned around in place into what makes its sender's stack give up at once, a TCP segment
 * into a RST, anything else into an ICMP destination unreachable, communication
 * administratively prohibited (3/13, RFC 1812 5.2.7.1) from the inside port's address. NAT
 * exhaustion answers ICMP 3/13 whatever the protocol (RFC 6888 REQ-11). Slow path:
 * once per refused flow attempt, never per packet of a flow.
 */
#include <netinet/in.h>

#include "net/tcp_rst.h"
#include "pipeline_internal.h"

#define ICMP_ADMIN_PROHIBITED 13

enum egw_pl_answer egw_pl_answer_of(const struct egw_snapshot *snap, const struct egw_policy_rt *rt,
	enum egw_drop_reason why)
{
	switch (why) {
	case EGW_DROP_MODE_DENY:
	case EGW_DROP_POLICY_NO_MATCH:
		return snap->deny_action == EGW_DENY_REJECT ? EGW_PL_ANSWER_REJECT :
							      EGW_PL_ANSWER_NONE;
	case EGW_DROP_POLICY_DENY:
	case EGW_DROP_HOST_DENIED:
		return rt && rt->action == EGW_ACTION_REJECT ? EGW_PL_ANSWER_REJECT :
							       EGW_PL_ANSWER_NONE;
	case EGW_DROP_NAT_EXHAUSTED:
	case EGW_DROP_NAT_SOURCE_LIMIT:
		return snap->exhaustion_action == EGW_DENY_REJECT ? EGW_PL_ANSWER_PROHIBITED :
								    EGW_PL_ANSWER_NONE;
	default:
		return EGW_PL_ANSWER_NONE;
	}
}

/*
 * May M (META) be answered at all? Not a RST (RFC 9293 3.10.7.1) nor an ICMP error (RFC 1122
 * 3.2.2): two appliances, or a spoofer, could keep each other busy. A source that is no single
 * host (martian, broadcast, ours) never gets this far: parse and address_check drop it first.
 * A packet in several segments is not rebuilt in place.
 */
static bool answerable(const struct rte_mbuf *m, const struct egw_pkt_meta *meta)
{
	if (meta->kind != EGW_PKT_IPV4 || !rte_pktmbuf_is_contiguous(m))
		return false;
	return meta->proto != IPPROTO_TCP || !(meta->tcp_flags & EGW_TCP_RST);
}

void egw_pl_refuse_packet(struct egw_worker *w, const struct egw_snapshot *snap, struct rte_mbuf *m,
	struct egw_pkt_meta *meta, enum egw_drop_reason why, enum egw_pl_answer answer)
{
	/* Saved: the ICMP builder resets the mbuf, port included. */
	const uint16_t port = m->port;
	const struct egw_port_info *in = &w->dp->ports[port];

	if (answer == EGW_PL_ANSWER_NONE || !answerable(m, meta)) {
		egw_drop(&w->stats, m, why);
		return;
	}
	if (!egw_rate_take(&w->reject_rate, w->now, snap->reject_rate)) {
		w->stats.rejects_rate_limited++;
		egw_drop(&w->stats, m, why);
		return;
	}
	/* The refusal is counted where it belongs, once; the answer is a packet of its own. */
	w->stats.drops[why]++;
	w->stats.rejects_sent++;
	if (answer == EGW_PL_ANSWER_REJECT && meta->proto == IPPROTO_TCP)
		egw_tcp_rst_reflect(m, meta, &in->mac);
	else
		egw_icmp_error_build(m, meta, EGW_ICMP_DEST_UNREACH, ICMP_ADMIN_PROHIBITED, 0,
			in->addr_be, &in->mac);
	egw_pl_tx_enqueue(w, port, m);
}
