/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "conf/conf.h"
#include "dataplane_internal.h"
#include "host_side.h"
#include "policy/slots.h"

_Static_assert(EGW_MAX_WORKERS == EGW_CONF_MAX_WORKERS, "the config allows what workers exist");

/*
 * The offset that makes egw_flowlog_clock(TSC) count from the Unix epoch: the wall clock now,
 * in clock units, less the TSC now.
 */
static uint64_t flowlog_epoch(uint64_t tsc)
{
	struct timespec ts;
	unsigned __int128 ns;

	clock_gettime(CLOCK_REALTIME, &ts);
	ns = (unsigned __int128)ts.tv_sec * 1000000000u + (unsigned long)ts.tv_nsec;
	return (uint64_t)(ns * rte_get_tsc_hz() / 1000000000u >> EGW_FLOWLOG_CLOCK_SHIFT) -
	       (tsc >> EGW_FLOWLOG_CLOCK_SHIFT);
}

struct egw_worker *egw_worker_create(struct egw_dataplane *dp, unsigned id, uint32_t max_flows,
	const struct egw_flow_timeouts *to, int socket)
{
	struct egw_worker *w;
	char name[32];

	w = rte_zmalloc_socket("egw_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
	if (!w) {
		rte_errno = ENOMEM;
		return NULL;
	}
	w->id = id;
	w->dp = dp;
	w->txq = (uint16_t)id;
	w->lat_off = dp->lat_off;
	if (w->lat_off >= 0) {
		w->lat = rte_zmalloc_socket("egw_latency", sizeof(*w->lat), RTE_CACHE_LINE_SIZE,
			socket);
		if (!w->lat)
			goto fail;
	}
	w->expire_tsc = rte_get_tsc_cycles();
	w->expire_tsc_per_record = RTE_MAX(1ULL,
		rte_get_tsc_hz() * EGW_EXPIRE_SWEEP_MS / 1000 /
			RTE_MAX(RTE_MIN(max_flows, (uint32_t)EGW_EXPIRE_MAX_RATE), 1u));
	snprintf(name, sizeof(name), "w%u", id);
	w->ft = egw_flow_table_create(max_flows, socket, to);
	if (!w->ft)
		goto fail;
	/* Plain calloc: pages of unused slots are never touched, so never backed. */
	w->policy = calloc(EGW_POLICY_SLOTS, sizeof(*w->policy));
	w->host = egw_host_side_create(max_flows);
	if (!w->policy || !w->host ||
		egw_source_limit_init(&w->sources, name, max_flows, socket) < 0 ||
		egw_addr_stats_init(&w->addrs) < 0 ||
		egw_nat_maps_init(&w->maps, max_flows, &dp->secret, socket) < 0) {
		rte_errno = ENOMEM;
		goto fail;
	}
	if (egw_dns_snoop_init(&w->dns, dp->name, id, socket) < 0 ||
		egw_pl_frag_init(&w->frag, dp->fragment_trains, dp->fragment_timeout, socket) < 0) {
		rte_errno = ENOMEM;
		goto fail;
	}
	snprintf(name, sizeof(name), "%s_ctl_tx%u", dp->name, id);
	w->ctl_tx = rte_ring_create(name, 1024, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!w->ctl_tx)
		goto fail;
	if (dp->flow_log) {
		snprintf(name, sizeof(name), "%s_flowlog%u", dp->name, id);
		w->flowlog = rte_ring_create_elem(name, sizeof(struct egw_flowlog_rec),
			EGW_FLOWLOG_RING_SIZE, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		/* Cold: written when a logged flow starts, read when it ends. */
		w->flow_ids = rte_malloc_socket("egw_flow_ids",
			(size_t)max_flows * sizeof(*w->flow_ids), 0, socket);
		if (!w->flowlog || !w->flow_ids) {
			rte_errno = ENOMEM;
			goto fail;
		}
	}
	w->now_tsc = rte_get_tsc_cycles();
	w->log_epoch = flowlog_epoch(w->now_tsc);
	return w;
fail:
	egw_worker_free(w);
	return NULL;
}

size_t egw_worker_bytes(uint32_t max_flows, bool flow_log)
{
	size_t n = sizeof(struct egw_worker) + egw_flow_table_bytes(max_flows) +
		   egw_source_limit_bytes(max_flows) + rte_ring_get_memsize(1024) +
		   EGW_DNS_PENDING_SLOTS * sizeof(struct egw_dns_pending) +
		   rte_ring_get_memsize_elem(16, EGW_DNS_JOURNAL_CELLS) +
		   egw_nat_maps_bytes(max_flows) +
		   egw_pl_frag_bytes(0); /* [flows] fragment_trains at its default */

	if (flow_log)
		n += rte_ring_get_memsize_elem(sizeof(struct egw_flowlog_rec),
			     EGW_FLOWLOG_RING_SIZE) +
		     (size_t)max_flows * sizeof(uint64_t);
	return n;
}

void egw_worker_free(struct egw_worker *w)
{
	if (!w)
		return;
	if (w->ctl_tx) {
		struct rte_mbuf *m;
		while (rte_ring_dequeue(w->ctl_tx, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(w->ctl_tx);
	}
	rte_ring_free(w->flowlog);
	rte_free(w->flow_ids);
	rte_free(w->lat);
	egw_host_side_free(w->host);
	egw_flow_table_free(w->ft);
	egw_source_limit_fini(&w->sources);
	egw_addr_stats_fini(&w->addrs);
	egw_nat_maps_fini(&w->maps);
	egw_dns_snoop_fini(&w->dns);
	egw_pl_frag_fini(&w->frag);
	free(w->policy);
	rte_free(w);
}

struct egw_mailbox *egw_worker_mailbox(struct egw_worker *w)
{
	return &w->mbox;
}

unsigned egw_worker_take_flowlog(struct egw_worker *w, struct egw_flowlog_rec *recs, unsigned n)
{
	if (!w->flowlog)
		return 0;
	return rte_ring_sc_dequeue_burst_elem(w->flowlog, recs, sizeof(recs[0]), n, NULL);
}

uint64_t egw_worker_log_epoch(const struct egw_worker *w)
{
	return w->log_epoch;
}
