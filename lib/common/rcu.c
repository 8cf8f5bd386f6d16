/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "rcu.h"

int egw_rcu_init(struct egw_rcu *rcu, unsigned n_readers, void (*free_fn)(void *obj))
{
	memset(rcu, 0, sizeof(*rcu));
	if (n_readers == 0 || n_readers > 64 || !free_fn)
		return -EINVAL;
	rcu->qsbr =
		rte_zmalloc("egw_rcu", rte_rcu_qsbr_get_memsize(n_readers), RTE_CACHE_LINE_SIZE);
	if (!rcu->qsbr)
		return -ENOMEM;
	if (rte_rcu_qsbr_init(rcu->qsbr, n_readers) != 0) {
		rte_free(rcu->qsbr);
		rcu->qsbr = NULL;
		return -EINVAL;
	}
	rcu->n_readers = n_readers;
	rcu->free_fn = free_fn;
	return 0;
}

int egw_rcu_init_shared(struct egw_rcu *rcu, struct egw_rcu *owner, void (*free_fn)(void *obj))
{
	memset(rcu, 0, sizeof(*rcu));
	if (!owner || !owner->qsbr || owner->owner || !free_fn)
		return -EINVAL;
	rcu->qsbr = owner->qsbr;
	rcu->owner = owner;
	rcu->n_readers = owner->n_readers;
	rcu->free_fn = free_fn;
	return 0;
}

void egw_rcu_fini(struct egw_rcu *rcu)
{
	if (!rcu->free_fn)
		return;
	for (unsigned i = 0; i < rcu->n_pending; i++)
		rcu->free_fn(rcu->pending[i].obj);
	rcu->n_pending = 0;
	if (rcu->current)
		rcu->free_fn(rcu->current);
	rcu->current = NULL;
	if (!rcu->owner)
		rte_free(rcu->qsbr);
	rcu->qsbr = NULL;
}

unsigned egw_rcu_reclaim(struct egw_rcu *rcu)
{
	unsigned done = 0;

	/* Tokens grow with each publication: once one grace period has not ended, no later
	 * one has. Polling rte_rcu_qsbr_check, never waiting: a stalled reader must not hang
	 * the writer. */
	while (done < rcu->n_pending &&
		rte_rcu_qsbr_check(rcu->qsbr, rcu->pending[done].token, false) == 1)
		rcu->free_fn(rcu->pending[done++].obj);
	if (done) {
		rcu->n_pending -= done;
		memmove(rcu->pending, rcu->pending + done,
			rcu->n_pending * sizeof(rcu->pending[0]));
	}
	return rcu->n_pending;
}

int egw_rcu_publish(struct egw_rcu *rcu, void *next)
{
	void *old = rcu->current;

	if (old && egw_rcu_reclaim(rcu) == EGW_RCU_PENDING_MAX)
		return -EBUSY;
	__atomic_store_n(&rcu->current, next, __ATOMIC_RELEASE);
	if (old) {
		/* The token is taken after the store: a reader online from now on sees NEXT. */
		rcu->pending[rcu->n_pending].obj = old;
		rcu->pending[rcu->n_pending++].token = rte_rcu_qsbr_start(rcu->qsbr);
	}
	return 0;
}

int egw_rcu_read_begin(struct egw_rcu *rcu)
{
	uint64_t taken;
	int id;

	/* Thread ids belong to the QSBR variable: a shared point takes its owner's. */
	if (rcu->owner)
		return egw_rcu_read_begin(rcu->owner);
	taken = __atomic_load_n(&rcu->read_ids, __ATOMIC_RELAXED);
	do {
		uint64_t free_ids =
			~taken & (rcu->n_readers == 64 ? ~0ULL : (1ULL << rcu->n_readers) - 1);
		if (!free_ids)
			return -EBUSY;
		id = __builtin_ctzll(free_ids);
	} while (!__atomic_compare_exchange_n(&rcu->read_ids, &taken, taken | 1ULL << id, false,
		__ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	rte_rcu_qsbr_thread_register(rcu->qsbr, (unsigned)id);
	/* Online before the first load (rte_rcu_qsbr_thread_online orders it): a publication
	 * whose token predates this waits for us. */
	rte_rcu_qsbr_thread_online(rcu->qsbr, (unsigned)id);
	return id;
}

void egw_rcu_read_end(struct egw_rcu *rcu, int id)
{
	if (rcu->owner) {
		egw_rcu_read_end(rcu->owner, id);
		return;
	}
	rte_rcu_qsbr_thread_offline(rcu->qsbr, (unsigned)id);
	rte_rcu_qsbr_thread_unregister(rcu->qsbr, (unsigned)id);
	__atomic_fetch_and(&rcu->read_ids, ~(1ULL << id), __ATOMIC_RELEASE);
}
