/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A flow is decided by the first policy, in precedence order (priority, then file order),
 * that matches it; a host policy matches only when its name condition holds. Three families
 * of candidates, each found by one classifier lookup for "the best whose tuple matches" and,
 * for named policies, the matcher, whose candidates come in precedence order so that a scan
 * stops at the first that cannot beat what is already found:
 * - tuple policies: the snapshot's classifier;
 * - DNS host policies: the names learned for the destination, through the matcher;
 * - tls/http policies: only with the first client bytes; before them, they make a flow
 *   PENDING when one of them could precede every other match.
 */
#include <string.h>

#include "decide.h"
#include "host_rules.h"

#define RANK_NONE UINT64_MAX

/* The best match found so far; RT NULL: none. */
struct cand {
	const struct egw_policy_rt *rt;
	const char *name;
	uint8_t len;
	bool learned;
};

static inline uint64_t rank_of(const struct egw_policy_rt *rt)
{
	return rt ? rt->rank : RANK_NONE;
}

static inline const struct egw_policy_rt *cls_best(const struct egw_snapshot *snap,
	const struct egw_classifier *c, const struct egw_cls_key *key)
{
	const struct egw_cls_rule *r = c ? egw_cls_lookup(c, key) : NULL;

	return r ? &snap->policies[r->id] : NULL;
}

/*
 * The first rule naming NAME that precedes BEST, is of KIND (and L7 protocol) and matches
 * KEY's tuple; NULL when none does.
 */
static const struct egw_policy_rt *named_best(const struct egw_snapshot *snap, const char *name,
	size_t len, uint8_t kind, uint8_t l7, const struct egw_cls_key *key, uint64_t best)
{
	const struct egw_host_rules *hr = snap->host;
	struct egw_host_match_iter it;
	const struct egw_host_rule *r;

	if (!hr->names || egw_host_match_find(hr->names, name, len, &it) == 0)
		return NULL;
	while ((r = egw_host_match_next(&it)) != NULL) {
		const struct egw_policy_rt *p = &snap->policies[r->rule_id];

		if (p->rank >= best)
			break;
		if (p->kind == kind && p->l7 == l7 &&
			egw_tuple_match(hr, &hr->tuples[r->rule_id], key))
			return p;
	}
	return NULL;
}

/*
 * DNS host policies: the best that precedes C, matches KEY's tuple and names a name learned
 * for the destination (or EXTRA, a name the flow was admitted by). The names are the
 * EGW_NAMES_LOOKUP_MAX latest-expiring, which bounds the cost.
 */
static void dns_best(const struct egw_snapshot *snap, const struct egw_names_view *names,
	const struct egw_cls_key *key, const struct egw_flow_name *extra, uint32_t now,
	struct cand *c)
{
	struct egw_names_hit hit[EGW_NAMES_LOOKUP_MAX + 1];
	const struct egw_policy_rt *top;
	unsigned n;

	if (!snap->host || !snap->host->dns)
		return;
	/* The best DNS policy for the tuple alone: nothing better can come of a name. */
	top = cls_best(snap, snap->host->dns, key);
	if (!top || top->rank >= rank_of(c->rt))
		return;
	n = egw_names_lookup(names, key->dst, now, hit, EGW_NAMES_LOOKUP_MAX);
	if (extra && extra->learned)
		hit[n++] = (struct egw_names_hit){ extra->name, extra->len, 0 };
	for (unsigned i = 0; i < n && c->rt != top; i++) {
		const struct egw_policy_rt *p = named_best(snap, hit[i].name, hit[i].len,
			EGW_POLICY_DNS, 0, key, rank_of(c->rt));

		if (p)
			*c = (struct cand){ p, hit[i].name, hit[i].len, true };
	}
}

/* The best policy decided without the first bytes: tuple policies and learned names. */
static void immediate(const struct egw_snapshot *snap, const struct egw_names_view *names,
	const struct egw_cls_key *key, const struct egw_flow_name *extra, uint32_t now,
	struct cand *c)
{
	*c = (struct cand){ cls_best(snap, snap->cls, key), NULL, 0, false };
	dns_best(snap, names, key, extra, now, c);
}

static void set_final(struct egw_verdict *v, const struct egw_policy_rt *rt, bool deny,
	enum egw_drop_reason why)
{
	v->kind = deny ? EGW_VERDICT_DENY : EGW_VERDICT_ALLOW;
	v->why = deny ? (uint8_t)why : EGW_DROP_NONE;
	v->rt = rt;
}

/* C decides (the mode when it is empty); NO_MATCH is the reason of a policy-mode refusal. */
static void decide_by(const struct egw_snapshot *snap, const struct cand *c,
	enum egw_drop_reason no_match, struct egw_verdict *v)
{
	if (c->learned) {
		v->learned = true;
		v->name = c->name;
		v->name_len = c->len;
	}
	if (c->rt)
		set_final(v, c->rt, egw_action_refuses(c->rt->action),
			c->rt->kind == EGW_POLICY_DNS ? EGW_DROP_HOST_DENIED :
							EGW_DROP_POLICY_DENY);
	else
		set_final(v, NULL, snap->mode != EGW_MODE_PASSTHROUGH, no_match);
}

/*
 * PENDING, bound with RT; late when host_binding says so: always, or (auto) when a tls/http
 * candidate (T, H: the best of each protocol, NULL when none) has allow policies around it
 * that bind apart (binding.c).
 */
static void pending(const struct egw_snapshot *snap, struct egw_verdict *v,
	const struct egw_policy_rt *rt, const struct egw_policy_rt *t,
	const struct egw_policy_rt *h)
{
	v->kind = EGW_VERDICT_PENDING;
	v->rt = rt;
	v->late = snap->host_binding == EGW_BINDING_LATE ||
		  (snap->host_binding == EGW_BINDING_AUTO &&
			  ((t && t->bind_late) || (h && h->bind_late)));
}

void egw_policy_decide_new(const struct egw_snapshot *snap, const struct egw_names_view *names,
	const struct egw_cls_key *key, uint32_t now, struct egw_verdict *v)
{
	const struct egw_host_rules *hr = snap->host;
	struct cand c;

	memset(v, 0, sizeof(*v));
	if (snap->mode == EGW_MODE_DENY) {
		set_final(v, NULL, true, EGW_DROP_MODE_DENY);
		return;
	}
	immediate(snap, names, key, NULL, now, &c);
	if (hr && key->proto == IPPROTO_TCP) {
		const struct egw_policy_rt *t = cls_best(snap, hr->l7[EGW_L7_IDX_TLS], key);
		const struct egw_policy_rt *h = cls_best(snap, hr->l7[EGW_L7_IDX_HTTP], key);
		uint64_t l7 = rank_of(t) < rank_of(h) ? rank_of(t) : rank_of(h);

		if (l7 < rank_of(c.rt)) {
			/* Bound with the first allow among the candidates; when every outcome
			 * denies, the flow is refused now rather than after its handshake. */
			const struct egw_policy_rt *a = cls_best(snap, hr->l7_allow, key);

			if (rank_of(a) < rank_of(c.rt)) {
				pending(snap, v, a, t, h);
				return;
			}
			if ((c.rt && c.rt->action == EGW_ACTION_ALLOW) ||
				(!c.rt && snap->mode == EGW_MODE_PASSTHROUGH)) {
				pending(snap, v, c.rt, t, h);
				return;
			}
		}
	}
	decide_by(snap, &c, EGW_DROP_POLICY_NO_MATCH, v);
}

/* A host rule of KIND (and L7 protocol) naming NAME that precedes C: C becomes it. */
static void named_into(const struct egw_snapshot *snap, const char *name, size_t len, uint8_t kind,
	uint8_t l7, const struct egw_cls_key *key, struct cand *c)
{
	const struct egw_policy_rt *p = named_best(snap, name, len, kind, l7, key, rank_of(c->rt));

	if (p)
		*c = (struct cand){ p, NULL, 0, false };
}

void egw_policy_decide_tunnel(const struct egw_snapshot *snap, const struct egw_names_view *names,
	const struct egw_cls_key *key, const char *name, size_t len, uint32_t now,
	struct egw_verdict *v)
{
	struct cand c;

	memset(v, 0, sizeof(*v));
	if (snap->mode == EGW_MODE_DENY) {
		set_final(v, NULL, true, EGW_DROP_MODE_DENY);
		return;
	}
	/*
	 * The requested name stands for whatever the client would have shown: a DNS answer's,
	 * an SNI, a Host. Names learned for the destination count only for a literal address: a
	 * client that names its host must not borrow another name of the same address (shared
	 * hosting, CDNs). Bare tls/http policies (the bytes must be TLS/HTTP) cannot tell.
	 */
	if (name)
		c = (struct cand){ cls_best(snap, snap->cls, key), NULL, 0, false };
	else
		immediate(snap, names, key, NULL, now, &c);
	if (name && snap->host) {
		named_into(snap, name, len, EGW_POLICY_DNS, 0, key, &c);
		named_into(snap, name, len, EGW_POLICY_L7_HOST, EGW_PROTO_TLS, key, &c);
		named_into(snap, name, len, EGW_POLICY_L7_HOST, EGW_PROTO_HTTP, key, &c);
	}
	decide_by(snap, &c, name ? EGW_DROP_HOST_DENIED : EGW_DROP_POLICY_NO_MATCH, v);
	if (name && !v->learned) {
		v->name = name;
		v->name_len = (uint8_t)len;
	}
}

/* The best tls/http policy that precedes BEST and matches what SEEN shows; NULL if none. */
static const struct egw_policy_rt *l7_best(const struct egw_snapshot *snap,
	const struct egw_cls_key *key, const struct egw_host_seen *seen, uint64_t best)
{
	unsigned idx = seen->kind == EGW_SEEN_TLS ? EGW_L7_IDX_TLS : EGW_L7_IDX_HTTP;
	uint8_t proto = seen->kind == EGW_SEEN_TLS ? EGW_PROTO_TLS : EGW_PROTO_HTTP;
	const struct egw_policy_rt *bare = cls_best(snap, snap->host->bare[idx], key), *named;

	if (rank_of(bare) < best)
		best = rank_of(bare);
	else
		bare = NULL;
	if (seen->name_state != EGW_HOSTNAME_VALID)
		return bare;
	named = named_best(snap, seen->name, seen->name_len, EGW_POLICY_L7_HOST, proto, key, best);
	return named ? named : bare;
}

/* Why a pending flow that nothing allowed is refused in policy mode. */
static enum egw_drop_reason refusal(const struct egw_snapshot *snap, const struct egw_cls_key *key,
	const struct egw_host_seen *seen)
{
	switch (seen->kind) {
	case EGW_SEEN_TLS:
	case EGW_SEEN_HTTP:
		if (!snap->host ||
			!cls_best(snap,
				snap->host->l7[seen->kind == EGW_SEEN_TLS ? EGW_L7_IDX_TLS :
									    EGW_L7_IDX_HTTP],
				key))
			return EGW_DROP_HOST_PROTOCOL_MISMATCH;
		return seen->name_state == EGW_HOSTNAME_VALID ? EGW_DROP_HOST_DENIED :
								EGW_DROP_HOST_UNKNOWN;
	case EGW_SEEN_OTHER:
		return EGW_DROP_HOST_PROTOCOL_MISMATCH;
	default:
		return EGW_DROP_HOST_UNKNOWN;
	}
}

/* The decision with the first bytes SEEN, for a pending flow or a re-check (EXTRA). */
static void decide_seen(const struct egw_snapshot *snap, const struct egw_names_view *names,
	const struct egw_cls_key *key, const struct egw_host_seen *seen,
	const struct egw_flow_name *extra, uint32_t now, struct egw_verdict *v)
{
	bool l7 = seen->kind == EGW_SEEN_TLS || seen->kind == EGW_SEEN_HTTP;
	const struct egw_policy_rt *w;
	struct cand c;

	memset(v, 0, sizeof(*v));
	v->seen = seen->kind;
	v->ech = seen->kind == EGW_SEEN_TLS && seen->ech;
	if (snap->mode == EGW_MODE_DENY) {
		set_final(v, NULL, true, EGW_DROP_MODE_DENY);
		return;
	}
	/* The name goes with every outcome, a refusal for ECH too: the flow log shows it. */
	if (l7 && seen->name_state == EGW_HOSTNAME_VALID) {
		v->name = seen->name;
		v->name_len = seen->name_len;
	}
	if (v->ech && snap->ech == EGW_ECH_DENY) {
		set_final(v, NULL, true, EGW_DROP_HOST_ECH);
		return;
	}
	immediate(snap, names, key, extra, now, &c);
	w = l7 && snap->host ? l7_best(snap, key, seen, rank_of(c.rt)) : NULL;
	if (w)
		set_final(v, w, egw_action_refuses(w->action), EGW_DROP_HOST_DENIED);
	else
		decide_by(snap, &c, refusal(snap, key, seen), v);
}

void egw_policy_decide_name(const struct egw_snapshot *snap, const struct egw_names_view *names,
	const struct egw_cls_key *key, const struct egw_host_seen *seen, uint32_t now,
	struct egw_verdict *v)
{
	decide_seen(snap, names, key, seen, NULL, now, v);
}

void egw_flow_name_keep(struct egw_flow_name *fn, const struct egw_verdict *v)
{
	fn->seen = v->seen == EGW_SEEN_TLS || v->seen == EGW_SEEN_HTTP ? v->seen : EGW_SEEN_NOTHING;
	fn->ech = v->ech;
	fn->learned = v->learned;
	fn->len = v->name ? v->name_len : 0;
	memcpy(fn->name, v->name ? v->name : "", fn->len);
	fn->name[fn->len] = '\0';
}

void egw_policy_recheck(const struct egw_snapshot *snap, const struct egw_names_view *names,
	const struct egw_cls_key *key, const struct egw_flow_name *fn, uint32_t now,
	struct egw_verdict *v)
{
	struct egw_host_seen seen = { .kind = EGW_SEEN_NOTHING };

	if (fn && fn->seen != EGW_SEEN_NOTHING) {
		seen.kind = fn->seen;
		seen.ech = fn->ech;
		/* A learned name is not what the client sent: the bytes are not known again. */
		seen.name_state =
			fn->len && !fn->learned ? EGW_HOSTNAME_VALID : EGW_HOSTNAME_ABSENT;
		seen.name = fn->name;
		seen.name_len = fn->len;
	}
	decide_seen(snap, names, key, &seen, fn, now, v);
	/* No bytes were kept, not none were sent: a plain no-match. */
	if (v->why == EGW_DROP_HOST_UNKNOWN && seen.kind == EGW_SEEN_NOTHING)
		v->why = EGW_DROP_POLICY_NO_MATCH;
}

bool egw_verdict_rebind(const struct egw_snapshot *snap, const struct egw_verdict *v,
	uint32_t nat_addr, uint16_t via)
{
	const struct egw_nat_pool *pool = egw_verdict_pool(snap, v);

	if (egw_verdict_via(v) != via)
		return true;
	if (!pool)
		return nat_addr != 0;
	for (unsigned i = 0; i < pool->n_addrs; i++)
		if (pool->addrs[i] == nat_addr)
			return false;
	return true;
}
