/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hairpinning (RFC 4787 REQ-9, RFC 5382 REQ-8): an inside host that sends to another inside
 * host's external address and port reaches it, and the receiver sees the sender's external
 * address and port. The sender's flow translates the packet as for any destination; instead of
 * leaving, it then comes back as though it had arrived on the outside port, where it meets the
 * receiver's mapping (and its filtering) like any outside packet: owned by the worker of the
 * mapped port, through the handoff rings when that is another worker. The receiver's answers
 * take the same way back.
 */
#include <string.h>

#include "pipeline_internal.h"

void egw_pl_hairpin(struct egw_worker *w, struct rte_mbuf *m, uint16_t out_port)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	const struct egw_port_info *out = &w->dp->ports[out_port];

	if (unlikely(w->n_hairpin == RTE_DIM(w->hairpin))) {
		egw_drop(&w->stats, m, EGW_DROP_TX_FULL);
		return;
	}
	/* Addressed to the outside port, as a frame received there would be. */
	rte_ether_addr_copy(&out->mac, &eth->dst_addr);
	rte_ether_addr_copy(&out->mac, &eth->src_addr);
	m->port = out_port;
	w->hairpin[w->n_hairpin++] = m;
	w->stats.nat_hairpinned++;
}

void egw_pl_hairpin_drain(struct egw_worker *w)
{
	/* Bounded: a packet turned back arrives from the outside and so travels in its flow's
	 * reply direction, which never turns back again. */
	while (w->n_hairpin) {
		struct rte_mbuf *pkts[EGW_BURST];
		const uint16_t n = RTE_MIN(w->n_hairpin, (uint16_t)EGW_BURST);

		memcpy(pkts, w->hairpin, n * sizeof(pkts[0]));
		w->n_hairpin = (uint16_t)(w->n_hairpin - n);
		memmove(w->hairpin, w->hairpin + n, w->n_hairpin * sizeof(pkts[0]));
		egw_pl_rx_hairpin(w, pkts, n);
	}
}
