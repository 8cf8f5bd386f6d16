/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "snapshot.h"

void egw_snapshot_free(struct egw_snapshot *snap)
{
	if (!snap)
		return;
	for (unsigned i = 0; i < snap->n_pools; i++)
		free(snap->pools[i].addrs);
	free(snap->pools);
	egw_addr_set_free(&snap->pool_addrs);
	free(snap);
}

struct egw_snapshot *egw_snapshot_build(const struct egw_conf *conf, uint64_t generation)
{
	struct egw_snapshot *snap = calloc(1, sizeof(*snap));
	uint32_t *all = NULL, n_all = 0;

	if (!snap)
		goto nomem;
	snap->generation = generation;
	snap->mode = conf->egress.mode;
	if (conf->n_pools) {
		snap->pools = calloc(conf->n_pools, sizeof(*snap->pools));
		if (!snap->pools)
			goto nomem;
	}
	for (unsigned i = 0; i < conf->n_pools; i++) {
		const struct egw_pool_conf *pc = &conf->pools[i];
		struct egw_nat_pool *p = &snap->pools[i];
		snprintf(p->name, sizeof(p->name), "%s", pc->name);
		p->addrs = calloc(pc->n_addrs ? pc->n_addrs : 1, sizeof(uint32_t));
		if (!p->addrs)
			goto nomem;
		snap->n_pools++;
		for (unsigned k = 0; k < pc->n_addrs; k++)
			p->addrs[k] = rte_cpu_to_be_32(pc->addrs[k]);
		p->n_addrs = pc->n_addrs;
		p->port_first = pc->port_first;
		p->port_last = pc->port_last;
		p->mapping = (uint8_t)pc->mapping;
		p->pairing = (uint8_t)pc->pairing;
		p->max_per_source = pc->max_per_source;
		p->index = (uint16_t)i;
		n_all += pc->n_addrs;
		if (strcmp(pc->name, conf->egress.default_pool) == 0)
			snap->default_pool = p;
	}
	all = calloc(n_all ? n_all : 1, sizeof(uint32_t));
	if (!all)
		goto nomem;
	n_all = 0;
	for (unsigned i = 0; i < snap->n_pools; i++)
		for (unsigned k = 0; k < snap->pools[i].n_addrs; k++)
			all[n_all++] = snap->pools[i].addrs[k];
	if (egw_addr_set_init(&snap->pool_addrs, all, n_all) < 0)
		goto nomem;
	free(all);
	return snap;
nomem:
	free(all);
	egw_snapshot_free(snap);
	rte_errno = ENOMEM;
	return NULL;
}

int egw_rcu_init(struct egw_rcu *rcu, unsigned n_readers)
{
	size_t sz = rte_rcu_qsbr_get_memsize(n_readers);

	memset(rcu, 0, sizeof(*rcu));
	rcu->qsbr = rte_zmalloc("egw_rcu", sz, RTE_CACHE_LINE_SIZE);
	if (!rcu->qsbr)
		return -ENOMEM;
	if (rte_rcu_qsbr_init(rcu->qsbr, n_readers) != 0) {
		rte_free(rcu->qsbr);
		rcu->qsbr = NULL;
		return -EINVAL;
	}
	rcu->n_readers = n_readers;
	return 0;
}

void egw_rcu_fini(struct egw_rcu *rcu)
{
	egw_snapshot_free(rcu->current);
	rcu->current = NULL;
	rte_free(rcu->qsbr);
	rcu->qsbr = NULL;
}

static int wait_grace(struct egw_rcu *rcu, uint64_t token, unsigned timeout_ms)
{
	/* Polling rte_rcu_qsbr_check instead of rte_rcu_qsbr_synchronize: a stalled worker
	 * must not hang the control thread forever. */
	for (unsigned waited = 0;; waited++) {
		if (rte_rcu_qsbr_check(rcu->qsbr, token, false) == 1)
			return 0;
		if (waited >= timeout_ms * 10)
			return -ETIMEDOUT;
		usleep(100);
	}
}

int egw_rcu_publish(struct egw_rcu *rcu, struct egw_snapshot *next, unsigned timeout_ms,
	struct egw_snapshot **stale)
{
	struct egw_snapshot *old = rcu->current;
	uint64_t token;

	*stale = NULL;
	__atomic_store_n(&rcu->current, next, __ATOMIC_RELEASE);
	if (!old)
		return 0;
	token = rte_rcu_qsbr_start(rcu->qsbr);
	if (wait_grace(rcu, token, timeout_ms) < 0) {
		*stale = old;
		return -ETIMEDOUT;
	}
	egw_snapshot_free(old);
	return 0;
}

int egw_rcu_reclaim(struct egw_rcu *rcu, struct egw_snapshot *stale, unsigned timeout_ms)
{
	uint64_t token = rte_rcu_qsbr_start(rcu->qsbr);

	if (wait_grace(rcu, token, timeout_ms) < 0)
		return -ETIMEDOUT;
	egw_snapshot_free(stale);
	return 0;
}
