/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <rte_ring.h>

#include "dataplane_internal.h"
#include "host_side.h"
#include "mailbox.h"
#include "pipeline_internal.h"

#define WAIT_STEP_US 200
#define RUNNING_MAX_MS 10000

static bool cas(uint32_t *state, uint32_t from, uint32_t to)
{
	return __atomic_compare_exchange_n(state, &from, to, false, __ATOMIC_ACQ_REL,
		__ATOMIC_ACQUIRE);
}

int egw_mailbox_acquire(struct egw_mailbox *mb, unsigned timeout_ms)
{
	for (unsigned waited = 0;; waited += WAIT_STEP_US) {
		if (cas(&mb->state, EGW_MBOX_IDLE, EGW_MBOX_FILLING))
			return 0;
		if (waited >= timeout_ms * 1000u)
			return -EBUSY;
		usleep(WAIT_STEP_US);
	}
}

void egw_mailbox_post(struct egw_mailbox *mb, uint32_t start)
{
	mb->cursor = start;
	mb->matched = 0;
	mb->n_listed = 0;
	mb->n_top = 0;
	/* Release: the worker that sees POSTED sees the request. */
	__atomic_store_n(&mb->state, EGW_MBOX_POSTED, __ATOMIC_RELEASE);
}

int egw_mailbox_wait(struct egw_mailbox *mb, unsigned timeout_ms, void (*idle)(void *), void *ctx)
{
	for (unsigned waited = 0;; waited += WAIT_STEP_US) {
		uint32_t s = __atomic_load_n(&mb->state, __ATOMIC_ACQUIRE);
		if (s == EGW_MBOX_DONE)
			return 0;
		if (s == EGW_MBOX_POSTED && waited >= timeout_ms * 1000u &&
			cas(&mb->state, EGW_MBOX_POSTED, EGW_MBOX_IDLE))
			return -ETIMEDOUT;
		/* Counted from the post: a worker that picked it up late still gets 10 s. */
		if (s == EGW_MBOX_RUNNING && waited >= (timeout_ms + RUNNING_MAX_MS) * 1000u &&
			cas(&mb->state, EGW_MBOX_RUNNING, EGW_MBOX_ABANDONED))
			return -ETIMEDOUT;
		/* Not ours any more (a caller that waits twice): never wait for ever. */
		if (s != EGW_MBOX_POSTED && s != EGW_MBOX_RUNNING)
			return -EINVAL;
		if (idle)
			idle(ctx);
		usleep(WAIT_STEP_US);
	}
}

void egw_mailbox_release(struct egw_mailbox *mb)
{
	__atomic_store_n(&mb->state, EGW_MBOX_IDLE, __ATOMIC_RELEASE);
}

struct serve_ctx {
	struct egw_worker *w;
	struct egw_mailbox *mb;
};

static void serve_one(void *ctx, struct egw_flow *f)
{
	struct serve_ctx *c = ctx;
	struct egw_mailbox *mb = c->mb;
	const struct egw_flow_name *fn = egw_host_name_of(c->w->host, egw_flow_index(c->w->ft, f));
	struct egw_flow_dump *d;

	if (!egw_flow_filter_match(&mb->filter, f) ||
		!egw_flow_filter_match_host(&mb->filter, fn ? fn->name : NULL))
		return;
	mb->matched++;
	if (mb->op == EGW_MBOX_FLUSH) {
		/* TCP is reset both ways like a revoked flow (already revoked: it is being). */
		if (f->orig.proto != IPPROTO_TCP)
			egw_pipeline_end_flow(c->w, f, EGW_END_FLUSHED);
		else if (!(f->flags & EGW_FLOW_F_REVOKED))
			egw_pl_flush_tcp(c->w, f);
		return;
	}
	if (mb->n_listed >= mb->filter.limit)
		return;
	d = &mb->listed[mb->n_listed++];
	d->flow = *f;
	d->created = egw_flow_created(c->w->ft, f);
	d->now = c->w->now;
	d->ech = fn && fn->ech;
	memcpy(d->server_name, fn ? fn->name : "", fn ? fn->len + 1u : 1u);
	d->record = egw_flow_index(c->w->ft, f);
}

void egw_mailbox_serve(struct egw_worker *w)
{
	struct egw_mailbox *mb = &w->mbox;
	struct serve_ctx ctx = { w, mb };
	uint32_t s = __atomic_load_n(&mb->state, __ATOMIC_RELAXED);
	uint32_t budget = EGW_MBOX_RECORDS_PER_LOOP;

	/* The common case, nothing asked: one relaxed load of a line only askers write. */
	if (likely(s != EGW_MBOX_POSTED && s != EGW_MBOX_RUNNING && s != EGW_MBOX_ABANDONED))
		return;
	/* Its asker gave up: stop, and the mailbox is free for the next one. */
	if (s == EGW_MBOX_ABANDONED) {
		__atomic_store_n(&mb->state, EGW_MBOX_IDLE, __ATOMIC_RELEASE);
		return;
	}
	/* Acquire (in the CAS): the request written before POSTED is visible. */
	if (s == EGW_MBOX_POSTED && !cas(&mb->state, EGW_MBOX_POSTED, EGW_MBOX_RUNNING))
		return; /* withdrawn by its asker meanwhile */
	if (mb->op == EGW_MBOX_SOURCES) {
		egw_source_limit_top(&w->sources, &mb->cursor, budget, mb->top, &mb->n_top,
			EGW_MBOX_TOP_SOURCES);
		if (mb->cursor == egw_source_limit_slots(&w->sources) &&
			!cas(&mb->state, EGW_MBOX_RUNNING, EGW_MBOX_DONE))
			__atomic_store_n(&mb->state, EGW_MBOX_IDLE, __ATOMIC_RELEASE);
		return;
	}
	/* A flush logs an end per flow: no more than the flow log ring can take now. */
	if (mb->op == EGW_MBOX_FLUSH && w->flowlog)
		budget = RTE_MIN(budget, rte_ring_free_count(w->flowlog));
	egw_flow_scan(w->ft, &mb->cursor, budget, serve_one, &ctx);
	/* A page is full: the rest is the next page's (nothing counts it now). */
	if (mb->op == EGW_MBOX_LIST && mb->filter.from_on && mb->n_listed >= mb->filter.limit)
		mb->cursor = egw_flow_table_capacity(w->ft);
	/* Release (in the CAS): the results are visible to the asker that sees DONE. An asker
	 * that abandoned it meanwhile is gone: the mailbox is free again. */
	if (mb->cursor == egw_flow_table_capacity(w->ft) &&
		!cas(&mb->state, EGW_MBOX_RUNNING, EGW_MBOX_DONE))
		__atomic_store_n(&mb->state, EGW_MBOX_IDLE, __ATOMIC_RELEASE);
}
