/* SPDX-License-Identifier: BSD-3-Clause */
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "app.h"

/* The lcore loop: poll, hand off, transmit, expire a little, report quiescence. */
int egw_worker_main(void *arg)
{
	struct egw_worker_ctx *c = arg;
	struct egw_worker *w = c->w;
	struct egw_dataplane *dp = w->dp;
	const uint64_t hz = rte_get_tsc_hz();
	struct rte_mbuf *pkts[EGW_BURST];

	rte_rcu_qsbr_thread_register(dp->rcu.qsbr, w->id);
	rte_rcu_qsbr_thread_online(dp->rcu.qsbr, w->id);
	while (!c->stop) {
		const uint64_t tsc = rte_get_tsc_cycles();
		unsigned got = 0;

		w->now = (uint32_t)(tsc / hz);
		w->now_tsc = tsc;
		for (unsigned i = 0; i < c->n_rxq; i++) {
			uint16_t n = rte_eth_rx_burst(c->rxq[i].port, c->rxq[i].queue, pkts,
				EGW_BURST);
			if (n) {
				egw_pipeline_rx(w, pkts, n, false);
				got += n;
			}
		}
		for (unsigned from = 0; from < dp->n_workers; from++) {
			unsigned n;
			if (from == w->id)
				continue;
			n = rte_ring_dequeue_burst(dp->handoff[from][w->id], (void **)pkts,
				EGW_BURST, NULL);
			if (n) {
				egw_pipeline_rx(w, pkts, (uint16_t)n, true);
				got += n;
			}
		}
		if (c->from_control) {
			/* Frames the control thread wrote to be received: ICMP errors about
			 * packets no neighbour took, to be translated back to their senders. */
			unsigned n = rte_ring_dequeue_burst(
				c->from_control, (void **)pkts, EGW_BURST, NULL);
			if (n) {
				egw_pipeline_rx(w, pkts, (uint16_t)n, false);
				got += n;
			}
		}
		{
			/* Frames built by the control thread (ARP, echo replies), mbuf->port set. */
			unsigned n = rte_ring_dequeue_burst(w->ctl_tx, (void **)pkts, EGW_BURST,
				NULL);
			for (unsigned i = 0; i < n; i++) {
				struct egw_tx_buffer *b = &w->tx[pkts[i]->port];
				if (b->n == EGW_BURST)
					egw_pipeline_flush(w);
				b->pkts[b->n++] = pkts[i];
				w->tx_dirty |= 1u << pkts[i]->port;
			}
			got += n;
		}
		egw_pipeline_flush(w);
		egw_pipeline_expire_paced(w, tsc);
		egw_mailbox_serve(w);
		rte_rcu_qsbr_quiescent(dp->rcu.qsbr, w->id);
		w->stats.polls++;
		if (got)
			w->stats.busy_polls++;
		else if (c->idle_sleep_us)
			usleep(c->idle_sleep_us);
	}
	egw_pipeline_flush(w);
	rte_rcu_qsbr_thread_offline(dp->rcu.qsbr, w->id);
	rte_rcu_qsbr_thread_unregister(dp->rcu.qsbr, w->id);
	return 0;
}
