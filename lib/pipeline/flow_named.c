/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admission when the snapshot holds host-name policies or dns_filter (issue 11): the flow is
 * decided by lib/policy/decide.h with the names learned from DNS for its destination (the
 * view the control thread publishes; the worker reads it within the burst that holds the
 * snapshot). A TCP flow a tls/http rule may decide waits for its first bytes
 * (host_pending.c). A flow a learned name (or its SNI / Host) admitted keeps that name in the
 * worker's name table (host_side.h), so that a re-check after a reload still counts it when
 * the entry has expired: an expiry never cuts a flow, only a policy change can. The
 * tuple-only path (egw_pl_admit) does not come here.
 */
#include "host_side.h"
#include "pipeline_internal.h"
#include "policy/decide.h"

const struct egw_names_view *egw_pl_names_view(const struct egw_worker *w)
{
	return egw_rcu_load(&w->dp->names_rcu);
}

enum egw_drop_reason egw_pl_admit_named(const struct egw_worker *w, const struct egw_snapshot *snap,
	const struct egw_flow_key *key, uint8_t tcp_flags, struct egw_verdict *v)
{
	static const struct egw_host_seen nothing = { .kind = EGW_SEEN_NOTHING };
	const struct egw_cls_key ck = egw_pl_cls_key(key);

	egw_policy_decide_new(snap, egw_pl_names_view(w), &ck, w->now, v);
	/* A segment picked up mid-stream (tcp_pickup) shows no first bytes: decided now, as a
	 * flow that sent no name. */
	if (v->kind == EGW_VERDICT_PENDING && !(tcp_flags & EGW_TCP_SYN))
		egw_policy_decide_name(snap, egw_pl_names_view(w), &ck, &nothing, w->now, v);
	return v->kind == EGW_VERDICT_DENY ? (enum egw_drop_reason)v->why : EGW_DROP_NONE;
}

void egw_pl_keep_learned(struct egw_worker *w, struct egw_flow *f, const struct egw_verdict *v)
{
	if (!egw_host_name_keep(w->host, egw_flow_index(w->ft, f), v))
		w->stats.host_names_full++;
}

bool egw_pl_recheck_named(const struct egw_worker *w, const struct egw_snapshot *snap,
	const struct egw_flow *f)
{
	const struct egw_cls_key ck = egw_pl_cls_key(&f->orig);
	struct egw_verdict v;

	egw_policy_recheck(snap, egw_pl_names_view(w), &ck,
		egw_host_name_of(w->host, egw_flow_index(w->ft, f)), w->now, &v);
	return v.kind == EGW_VERDICT_ALLOW;
}
