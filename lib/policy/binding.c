/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * When a flow binds late (issue 12, [egress] host_binding = auto): a pending TCP flow's SYN can
 * leave at once, bound with the first allow candidate, only if every policy that could admit
 * it sends it out of the same pool and exit. Worked out once per snapshot, per tls/http
 * policy: the allow policies whose tuples overlap one of its rules (any kind: each could be
 * the one that decides a flow this policy's rules match), and the mode's default in
 * passthrough. A flow matches at least one tls/http policy when it is pending, and every
 * policy that could decide it matches its tuple, so overlaps with that policy: a policy
 * whose overlapping allows share one binding needs no late binding for any flow it is a
 * candidate of. Conservative (overlap, not an exact candidate set); never per packet.
 */
#include <netinet/in.h>

#include "host_rules.h"
#include "snapshot.h"

/* Do prefixes A/ALEN and B/BLEN (host order) share an address? */
static bool prefixes_overlap(uint32_t a, uint8_t alen, uint32_t b, uint8_t blen)
{
	uint8_t len = alen < blen ? alen : blen;
	uint32_t mask = len ? ~0u << (32 - len) : 0;

	return ((a ^ b) & mask) == 0;
}

/* Could a TCP flow match both rules? */
static bool rules_overlap(const struct egw_cls_rule *a, const struct egw_cls_rule *b)
{
	return (b->proto == 0 || b->proto == IPPROTO_TCP) && a->port_lo <= b->port_hi &&
	       b->port_lo <= a->port_hi &&
	       prefixes_overlap(a->src, a->src_len, b->src, b->src_len) &&
	       prefixes_overlap(a->dst, a->dst_len, b->dst, b->dst_len);
}

struct binding {
	const struct egw_nat_pool *pool;
	uint16_t via;
	bool set;
};

/* Adds POOL/VIA to B; true when it differs from one seen before. */
static bool differs(struct binding *b, const struct egw_nat_pool *pool, uint16_t via)
{
	if (!b->set) {
		*b = (struct binding){ pool, via, true };
		return false;
	}
	return b->pool != pool || b->via != via;
}

/* Do the allow policies that overlap policy P's RULES (N, all rules; ids are policy indexes)
 * bind in more than one way? */
static bool policy_binds_apart(const struct egw_snapshot *snap, uint32_t p,
	const struct egw_cls_rule *rules, uint32_t n)
{
	struct binding b = { .set = false };

	if (snap->mode == EGW_MODE_PASSTHROUGH)
		differs(&b, snap->default_pool, EGW_VIA_DEFAULT);
	for (uint32_t i = 0; i < n; i++) {
		if (rules[i].id != p)
			continue;
		for (uint32_t k = 0; k < n; k++) {
			const struct egw_policy_rt *q = &snap->policies[rules[k].id];

			if (q->action == EGW_ACTION_ALLOW && rules_overlap(&rules[i], &rules[k]) &&
				differs(&b, q->pool, q->via_port))
				return true;
		}
	}
	return false;
}

void egw_policy_binding_build(struct egw_snapshot *snap, const struct egw_cls_rule *rules,
	uint32_t n_rules)
{
	snap->late_any = false;
	for (uint32_t p = 0; p < snap->n_policies; p++) {
		struct egw_policy_rt *rt = &snap->policies[p];
		bool l7 = rt->kind == EGW_POLICY_L7 || rt->kind == EGW_POLICY_L7_HOST;

		rt->bind_late = l7 && policy_binds_apart(snap, p, rules, n_rules);
		snap->late_any |=
			l7 && (snap->host_binding == EGW_BINDING_LATE ||
				      (snap->host_binding == EGW_BINDING_AUTO && rt->bind_late));
	}
}
