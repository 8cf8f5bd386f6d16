/* SPDX-License-Identifier: BSD-3-Clause */
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "pipeline_internal.h"

/* Frames the control thread built (ARP, echo replies), mbuf->port set: sent as they are. */
static unsigned send_control_frames(struct egw_worker *w)
{
	struct rte_mbuf *pkts[EGW_BURST];
	unsigned n = rte_ring_dequeue_burst(w->ctl_tx, (void **)pkts, EGW_BURST, NULL);

	if (unlikely(w->lat))
		egw_latency_stamp(pkts, n, w->lat_off, 0); /* not received: not counted */
	for (unsigned i = 0; i < n; i++) {
		struct egw_tx_buffer *b = &w->tx[pkts[i]->port];
		if (b->n == EGW_BURST)
			egw_pipeline_flush(w);
		b->pkts[b->n++] = pkts[i];
		w->tx_dirty |= 1u << pkts[i]->port;
	}
	return n;
}

/* Packets other workers handed to this one (it owns their flows). */
static unsigned take_handoffs(struct egw_worker *w)
{
	struct egw_dataplane *dp = w->dp;
	struct rte_mbuf *pkts[EGW_BURST];
	unsigned got = 0;

	for (unsigned from = 0; from < dp->n_workers; from++) {
		unsigned n;
		if (from == w->id)
			continue;
		n = rte_ring_dequeue_burst(dp->handoff[from][w->id], (void **)pkts, EGW_BURST,
			NULL);
		if (n) {
			egw_pipeline_rx(w, pkts, (uint16_t)n, true);
			got += n;
		}
	}
	return got;
}

int egw_worker_loop(void *arg)
{
	struct egw_worker_run *run = arg;
	struct egw_worker *w = run->w;
	struct rte_rcu_qsbr *qsbr = w->dp->rcu.qsbr;
	const uint64_t hz = rte_get_tsc_hz();
	struct rte_mbuf *pkts[EGW_BURST] = { NULL }; /* once per lcore, not per loop */
	uint64_t next_second = 0;		     /* TSC at which w->now moves on */

	rte_rcu_qsbr_thread_register(qsbr, w->id);
	rte_rcu_qsbr_thread_online(qsbr, w->id);
	while (!__atomic_load_n(&run->stop, __ATOMIC_RELAXED)) {
		const uint64_t tsc = rte_get_tsc_cycles();
		unsigned got = 0;

		/* A 64-bit division (tens of cycles) for a value that changes once a second: done
		 * when the second turns, not on every poll. */
		if (unlikely(tsc >= next_second)) {
			w->now = (uint32_t)(tsc / hz);
			next_second = ((uint64_t)w->now + 1) * hz;
		}
		w->now_tsc = tsc;
		for (unsigned i = 0; i < run->n_rxq; i++) {
			const uint16_t dev = run->rxq[i].port;
			uint16_t n = rte_eth_rx_burst(dev, run->rxq[i].queue, pkts, EGW_BURST);

			if (unlikely(w->dp->vlan_devs & (1u << dev)) && n)
				n = egw_pl_vlan_rx(w, dev, pkts, n);
			if (unlikely(w->lat))
				egw_latency_stamp(pkts, n, w->lat_off, tsc);
			if (n) {
				egw_pipeline_rx(w, pkts, n, false);
				got += n;
			}
		}
		got += take_handoffs(w);
		if (w->id == 0) {
			/* Frames the control thread wrote to be received (ICMP errors about
			 * packets no neighbour took): translated back to their senders. */
			uint16_t n = (uint16_t)rte_ring_dequeue_burst(w->dp->inject_ring,
				(void **)pkts, EGW_BURST, NULL);
			if (unlikely(w->lat))
				egw_latency_stamp(pkts, n, w->lat_off, tsc);
			if (n) {
				egw_pipeline_rx(w, pkts, n, false);
				got += n;
			}
		}
		got += send_control_frames(w);
		egw_pipeline_flush(w);
		egw_pipeline_expire_paced(w, tsc);
		egw_mailbox_serve(w);
		/* Once per loop: no snapshot pointer is held across this point. */
		rte_rcu_qsbr_quiescent(qsbr, w->id);
		w->stats.polls++;
		if (got) {
			w->stats.busy_polls++;
			/* One TSC read per loop that found work (a burst): the worker's own cost
			 * per packet is busy_cycles / rx_packets, without taking the time
			 * spent polling empty queues into account. */
			w->stats.busy_cycles += rte_get_tsc_cycles() - tsc;
		} else if (run->idle_sleep_us)
			usleep(run->idle_sleep_us);
	}
	egw_pipeline_flush(w);
	rte_rcu_qsbr_thread_offline(qsbr, w->id);
	rte_rcu_qsbr_thread_unregister(qsbr, w->id);
	return 0;
}
