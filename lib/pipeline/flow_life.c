/* SPDX-License-Identifier: BSD-3-Clause */
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <string.h>

#include "flow_life.h"
#include "host_side.h"

static const char *const event_names[EGW_EV_MAX] = { "start", "deny", "end" };
static const char *const end_names[EGW_END_MAX] = {
#define EGW_END_NAME(sym, name) name,
	EGW_FOREACH_END(EGW_END_NAME)
#undef EGW_END_NAME
};

const char *egw_flow_event_name(enum egw_flow_event ev)
{
	return (unsigned)ev < EGW_EV_MAX ? event_names[ev] : "unknown";
}

const char *egw_flow_end_name(enum egw_flow_end reason)
{
	return (unsigned)reason < EGW_END_MAX ? end_names[reason] : "unknown";
}

/* Never waits: a full ring (the control thread is behind) loses the record, counted. */
static inline void emit(struct egw_worker *w, struct egw_flowlog_rec *r)
{
	if (rte_ring_sp_enqueue_elem(w->flowlog, r, sizeof(*r)) != 0)
		w->stats.flow_log_dropped++;
}

/* R with the host name FN (NULL or empty: none) in the records after it, all or nothing. */
static void emit_named(struct egw_worker *w, struct egw_flowlog_rec *r,
	const struct egw_flow_name *fn)
{
	struct egw_flowlog_rec recs[1 + EGW_FLOWLOG_NAME_RECS_MAX];
	unsigned n;

	if (!fn || fn->len == 0) {
		emit(w, r);
		return;
	}
	r->name_len = fn->len;
	r->name_flags |= (uint8_t)((fn->seen == EGW_SEEN_TLS ? EGW_FLOWLOG_NAME_TLS : 0) |
				   (fn->seen == EGW_SEEN_HTTP ? EGW_FLOWLOG_NAME_HTTP : 0) |
				   (fn->ech ? EGW_FLOWLOG_NAME_ECH : 0));
	n = 1 + EGW_FLOWLOG_NAME_RECS(fn->len);
	recs[0] = *r;
	memcpy(&recs[1], fn->name, fn->len);
	if (rte_ring_sp_enqueue_bulk_elem(w->flowlog, recs, sizeof(recs[0]), n, NULL) != n)
		w->stats.flow_log_dropped++;
}

_Static_assert(EGW_MAX_WORKERS <= 1 << EGW_FLOW_ID_WORKER_BITS, "worker ids fit a flow id");

static uint32_t stamp(const struct egw_worker *w)
{
	return (uint32_t)egw_flowlog_clock(w->now_tsc, w->log_epoch);
}

uint64_t egw_flow_id_next(struct egw_worker *w)
{
	uint64_t clock = egw_flowlog_clock(w->now_tsc, w->log_epoch);

	/* Never smaller than the last id: a full sequence borrows the next clock unit. */
	if (clock > w->id_clock) {
		w->id_clock = clock;
		w->id_seq = 0;
	} else if (++w->id_seq == 1u << EGW_FLOW_ID_SEQ_BITS) {
		w->id_clock++;
		w->id_seq = 0;
	}
	return w->id_clock << EGW_FLOW_ID_CLOCK_SHIFT | (uint64_t)w->id << EGW_FLOW_ID_SEQ_BITS |
	       w->id_seq;
}

static void emit_flow(struct egw_worker *w, const struct egw_flow *f, enum egw_flow_event ev,
	uint8_t reason)
{
	uint64_t *id = &w->flow_ids[egw_flow_index(w->ft, f)];
	struct egw_flowlog_rec r = {
		.stamp = stamp(w),
		.event = (uint8_t)ev,
		.proto = f->orig.proto,
		.reason = reason,
		.worker = (uint8_t)w->id,
		.src = f->orig.a_addr,
		.dst = f->orig.b_addr,
		.nat_src = f->nat_addr,
		.sport = f->orig.a_port,
		.dport = f->orig.b_port,
		.nat_sport = f->nat_port,
		.state = f->state,
		.policy = f->policy,
		.packets = { f->packets[0], f->packets[1] },
		.bytes = { f->bytes[0], f->bytes[1] },
	};

	if (f->late & EGW_LATE_BOUND)
		r.name_flags = EGW_FLOWLOG_LATE;
	if (ev == EGW_EV_START)
		*id = egw_flow_id_next(w);
	r.flow_id = *id;
	emit_named(w, &r, egw_host_name_of(w->host, egw_flow_index(w->ft, f)));
}

void egw_flow_release_shares(struct egw_worker *w, struct egw_flow *f)
{
	if (f->flags & EGW_FLOW_F_SRC_COUNTED)
		egw_source_limit_release(&w->sources, f->orig.a_addr);
	if (f->flags & EGW_FLOW_F_QUOTA)
		__atomic_fetch_sub(&w->dp->policy_active[f->policy], 1, __ATOMIC_RELAXED);
}

void egw_flow_release_mapping(struct egw_worker *w, struct egw_flow *f)
{
	uint32_t *id = &f->nat_map;

	if (*id == EGW_NAT_MAP_NONE)
		return;
	egw_nat_map_unref(&w->maps, *id, f->orig.b_addr);
	*id = EGW_NAT_MAP_NONE;
	w->stats.nat_mappings = egw_nat_maps_active(&w->maps);
}

void egw_flow_state_changed(struct egw_worker *w, struct egw_flow *f, uint8_t was)
{
	const bool finished = egw_flow_finished(f->state);

	if (egw_tcp_half_open(f->state) != egw_tcp_half_open(was)) {
		if (egw_tcp_half_open(f->state))
			w->stats.tcp_half_open++;
		else
			w->stats.tcp_half_open--;
	}
	if (finished == egw_flow_finished(was))
		return;
	if (finished) {
		egw_flow_release_shares(w, f);
		f->flags &= (uint8_t) ~(EGW_FLOW_F_QUOTA | EGW_FLOW_F_SRC_COUNTED);
		w->stats.flows_time_wait++;
		return;
	}
	/* Live again: counted, but never refused (the mapping exists already). */
	w->stats.flows_time_wait--;
	if ((f->flags & EGW_FLOW_F_NAT) &&
		egw_source_limit_acquire(&w->sources, f->orig.a_addr, 0) == 0)
		f->flags |= EGW_FLOW_F_SRC_COUNTED;
}

void egw_flow_revoke(struct egw_worker *w, struct egw_flow *f)
{
	const uint8_t was = f->state;

	f->state = EGW_TCP_RESET;
	egw_flow_state_changed(w, f, was); /* gives back the quota and source share */
	f->flags |= EGW_FLOW_F_REVOKED;
}

void egw_flow_started(struct egw_worker *w, struct egw_flow *f)
{
	if (f->flags & EGW_FLOW_F_NAT) {
		struct egw_addr_stat *a = egw_addr_stats_get(&w->addrs, f->nat_addr);
		if (a)
			a->in_use++;
	}
	if (f->flags & EGW_FLOW_F_LOG)
		emit_flow(w, f, EGW_EV_START, 0);
}

void egw_flow_decided(struct egw_worker *w, struct egw_flow *f)
{
	if (f->flags & EGW_FLOW_F_LOG)
		emit_flow(w, f, EGW_EV_START, 0);
}

/* A deny record of KEY for WHY, answered or not (REJECTED), with the name FN (may be NULL). */
static void refused(struct egw_worker *w, const struct egw_flow_key *key, uint32_t slot, bool log,
	enum egw_drop_reason why, bool rejected, const struct egw_flow_name *fn)
{
	struct egw_flowlog_rec r;

	if (!log || !w->flowlog)
		return;
	r = (struct egw_flowlog_rec){ .stamp = stamp(w),
		.event = EGW_EV_DENY,
		.proto = key->proto,
		.reason = (uint8_t)why,
		.worker = (uint8_t)w->id,
		.src = key->a_addr,
		.dst = key->b_addr,
		.sport = key->a_port,
		.dport = key->b_port,
		.state = rejected ? EGW_FLOWLOG_DENY_REJECT : EGW_FLOWLOG_DENY_DROP,
		.policy = slot };
	emit_named(w, &r, fn);
}

void egw_flow_refused(struct egw_worker *w, const struct egw_flow_key *key, uint32_t slot, bool log,
	enum egw_drop_reason why, bool rejected)
{
	refused(w, key, slot, log, why, rejected, NULL);
}

void egw_flow_refused_named(struct egw_worker *w, const struct egw_flow_key *key, uint32_t slot,
	bool log, enum egw_drop_reason why, const struct egw_verdict *v)
{
	struct egw_flow_name fn;

	egw_flow_name_keep(&fn, v);
	refused(w, key, slot, log, why, true, &fn);
}

void egw_flow_log_end(struct egw_worker *w, struct egw_flow *f, enum egw_flow_end why)
{
	if (f->flags & EGW_FLOW_F_LOG)
		emit_flow(w, f, EGW_EV_END, (uint8_t)why);
	f->flags &= (uint8_t)~EGW_FLOW_F_LOG;
}

/* Ends F's accounting (it is removed by the caller). */
static void finish(struct egw_worker *w, struct egw_flow *f, enum egw_flow_end why)
{
	if (f->flags & EGW_FLOW_F_LOG)
		emit_flow(w, f, EGW_EV_END, (uint8_t)why);
	w->policy[f->policy].ended++;
	egw_pl_host_flow_end(w, f, why == EGW_END_SHUTDOWN);
	if (f->flags & EGW_FLOW_F_NAT) {
		struct egw_addr_stat *a = egw_addr_stats_get(&w->addrs, f->nat_addr);
		if (a && a->in_use)
			a->in_use--;
	}
	if (egw_flow_finished(f->state))
		w->stats.flows_time_wait--;
	if (egw_tcp_half_open(f->state))
		w->stats.tcp_half_open--;
	egw_flow_release_shares(w, f);
	egw_flow_release_mapping(w, f);
}

void egw_flow_expired(void *worker, struct egw_flow *f)
{
	enum egw_flow_end why = EGW_END_IDLE;

	if (f->flags & EGW_FLOW_F_REVOKED)
		why = EGW_END_REVOKED;
	else if (f->state == EGW_TCP_CLOSING || f->state == EGW_TCP_TIME_WAIT)
		why = EGW_END_TCP_CLOSED;
	else if (f->state == EGW_TCP_RESET)
		why = EGW_END_TCP_RESET;
	finish(worker, f, why);
}

void egw_pipeline_end_flow(struct egw_worker *w, struct egw_flow *f, enum egw_flow_end why)
{
	w->flow_removed = true;
	finish(w, f, why);
	egw_flow_remove(w->ft, f);
}

static void end_at_shutdown(void *worker, struct egw_flow *f)
{
	egw_pipeline_end_flow(worker, f, EGW_END_SHUTDOWN);
}

bool egw_pipeline_end_flows(struct egw_worker *w, uint32_t *cursor)
{
	/* Each flow that logs writes an end record: no more than the ring can take now. */
	uint32_t budget = w->flowlog ? rte_ring_free_count(w->flowlog) : UINT32_MAX;

	egw_flow_scan(w->ft, cursor, budget, end_at_shutdown, w);
	return *cursor == egw_flow_table_capacity(w->ft);
}
