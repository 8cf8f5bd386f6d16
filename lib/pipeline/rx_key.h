/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_PL_RX_KEY_H
#define EGW_PL_RX_KEY_H

/*
 * Which worker owns a received packet, and the flow key it is looked up with: the receive
 * loop's (pipeline.c classify) view of a parsed packet. Inline: every packet comes here.
 */
#include <netinet/in.h>

#include <rte_mbuf.h>

#include "pipeline_internal.h"

/* M itself when the NIC's RSS hash of it is its inside endpoint's owner input: an
 * unfragmented TCP or UDP packet from a device hashing on the source fields (a first
 * fragment is hashed on its addresses alone), while the worker trusts the NIC's hashes. */
static inline const struct rte_mbuf *egw_pl_nic_hashed(struct egw_worker *w,
	const struct rte_mbuf *m, const struct egw_pkt_meta *meta, const struct egw_port_info *in)
{
	const struct egw_dataplane *dp = w->dp;

	if (!dp->rss_hash_devs || in->dev >= EGW_PORT_IDS ||
		!(dp->rss_hash_devs & (1u << in->dev)) || meta->frag != EGW_PKT_FRAG_NONE ||
		(meta->proto != IPPROTO_TCP && meta->proto != IPPROTO_UDP) ||
		unlikely(w->rss_hash_distrusted))
		return NULL;
	if (unlikely(w->rss_check_in-- == 0) && !egw_pl_nic_hash_checks_out(w, m, meta))
		return NULL;
	return m;
}

/*
 * Owner of a packet. Both directions of a flow must land on one worker:
 * - outside packets to a pool address: the owner of the destination port, which was
 *   allocated from the slice of the worker that owns the flow;
 * - everything else: the owner of the flow's inside endpoint (egw_pl_endpoint_owner: the
 *   NIC's RSS choice or a software hash of address, port or ICMP id, protocol): the source of
 *   inside packets, the destination of outside ones. All flows of one inside socket share a
 *   worker, which endpoint-independent mapping needs, and an untranslated flow's replies go
 *   where its original packets went.
 */
static inline unsigned egw_pl_packet_owner(struct egw_worker *w, const struct egw_snapshot *snap,
	const struct rte_mbuf *m, const struct egw_pkt_meta *meta, const struct egw_port_info *in)
{
	const struct egw_dataplane *dp = w->dp;
	unsigned n = dp->n_workers;

	if (n == 1)
		return 0;
	if (meta->kind == EGW_PKT_ICMP_ERROR) {
		/* The quoted packet travelled the other way: its inside endpoint is its
		 * destination when the error comes from inside, its source otherwise. */
		if (in->zone == EGW_ZONE_INSIDE)
			return egw_pl_endpoint_owner(dp, NULL, meta->inner_dst, meta->inner_dport,
				meta->inner_proto);
		if (egw_addr_set_contains(&snap->pool_addrs, meta->inner_src))
			return egw_nat_port_owner(meta->inner_sport, n);
		return egw_pl_endpoint_owner(dp, NULL, meta->inner_src, meta->inner_sport,
			meta->inner_proto);
	}
	if (in->zone == EGW_ZONE_INSIDE)
		return egw_pl_endpoint_owner(dp, egw_pl_nic_hashed(w, m, meta, in), meta->src,
			meta->sport, meta->proto);
	if (egw_addr_set_contains(&snap->pool_addrs, meta->dst))
		return egw_nat_port_owner(meta->dport, n);
	return egw_pl_endpoint_owner(dp, NULL, meta->dst, meta->dport, meta->proto);
}

/* The flow key a packet is looked up with (an ICMP error: its quoted packet, reversed). */
static inline void egw_pl_packet_key(const struct egw_pkt_meta *meta, uint8_t zone,
	struct egw_flow_key *k)
{
	if (meta->kind == EGW_PKT_ICMP_ERROR)
		egw_flow_key_set(k, meta->inner_dst, meta->inner_src, meta->inner_dport,
			meta->inner_sport, meta->inner_proto, zone);
	else
		egw_flow_key_set(k, meta->src, meta->dst, meta->sport, meta->dport, meta->proto,
			zone);
}

#endif
