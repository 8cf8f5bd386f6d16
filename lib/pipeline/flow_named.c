/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admission when the snapshot holds host-name policies or dns_filter (issue 11): the flow is
 * decided by lib/policy/decide.h with the names learned from DNS for its destination (the
 * view the control thread publishes; the worker reads it within the burst that holds the
 * snapshot). A flow a learned name admitted keeps that name beside its record, so that a
 * re-check after a reload still counts it when the entry has expired: an expiry never cuts
 * a flow, only a policy change can. The tuple-only path (egw_pl_admit) does not come here.
 */
#include "pipeline_internal.h"
#include "policy/decide.h"

static inline const struct egw_names_view *names_view(const struct egw_worker *w)
{
	return egw_rcu_load(&w->dp->names_rcu);
}

enum egw_drop_reason egw_pl_admit_named(const struct egw_worker *w, const struct egw_snapshot *snap,
	const struct egw_flow_key *key, struct egw_verdict *v)
{
	const struct egw_cls_key ck = egw_pl_cls_key(key);

	egw_policy_decide_new(snap, names_view(w), &ck, w->now, v);
	if (v->kind == EGW_VERDICT_ALLOW)
		return EGW_DROP_NONE;
	if (v->kind == EGW_VERDICT_PENDING) {
		/* tls/http policies are refused at compile time until the data path holds first
		 * bytes (snapshot.c): a pending verdict has no way to go on here. */
		v->kind = EGW_VERDICT_DENY;
		v->why = EGW_DROP_HOST_UNKNOWN;
	}
	return (enum egw_drop_reason)v->why;
}

void egw_pl_keep_learned(struct egw_worker *w, struct egw_flow *f, const struct egw_verdict *v)
{
	egw_flow_name_keep(&w->learned[egw_flow_index(w->ft, f)], v);
	f->flags |= EGW_FLOW_F_LEARNED;
}

bool egw_pl_recheck_named(const struct egw_worker *w, const struct egw_snapshot *snap,
	const struct egw_flow *f)
{
	const struct egw_cls_key ck = egw_pl_cls_key(&f->orig);
	const struct egw_flow_name *fn =
		f->flags & EGW_FLOW_F_LEARNED ? &w->learned[egw_flow_index(w->ft, f)] : NULL;
	struct egw_verdict v;

	egw_policy_recheck(snap, names_view(w), &ck, fn, w->now, &v);
	return v.kind == EGW_VERDICT_ALLOW;
}
