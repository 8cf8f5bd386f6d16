/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_HOST_RULES_H
#define EGW_HOST_RULES_H

/*
 * lib/policy internal: the compiled form of the policies that are not decided by the tuple
 * alone (kinds EGW_POLICY_DNS, _L7, _L7_HOST; snapshot.h), part of the snapshot. The data
 * path reaches it only through decide.h.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "classifier.h"
#include "conf/policy_conf.h"
#include "hostname/host_match.h"

struct egw_snapshot;

/* An inclusive range of addresses or ports. */
struct egw_span {
	uint32_t lo, hi;
};

/*
 * A policy's tuple part, to check a candidate the host matcher returns: sorted, disjoint
 * spans (binary search), so a policy with a thousand sources costs ten comparisons, not a
 * thousand. n = 0: any.
 */
struct egw_policy_tuple {
	uint32_t src, n_src; /* spans[src .. src + n_src) */
	uint32_t dst, n_dst;
	uint32_t port, n_port;
	uint8_t proto; /* IPPROTO_*, 0 = any */
};

/* Index of the two L7 protocols in the per-protocol arrays. */
enum { EGW_L7_IDX_TLS = 0, EGW_L7_IDX_HTTP = 1, EGW_L7_N };

struct egw_host_rules {
	/* Every name of every policy with hosts (DNS and L7), rule id = policy index. */
	struct egw_host_matcher *names;
	/* Tuple parts, by kind; NULL when empty. */
	struct egw_classifier *dns;	       /* EGW_POLICY_DNS */
	struct egw_classifier *l7[EGW_L7_N];   /* EGW_POLICY_L7 and _L7_HOST of each protocol */
	struct egw_classifier *bare[EGW_L7_N]; /* EGW_POLICY_L7 of each protocol */
	struct egw_classifier *l7_allow;       /* allow policies of the L7 kinds */
	/* dns_filter: the sources of tuple and L7 policies that permit or block every name. */
	struct egw_classifier *dnsf;
	struct egw_policy_tuple *tuples; /* by policy index; set for the host kinds */
	struct egw_span *spans;
	uint32_t n_spans;
};

/*
 * Compiles the host parts of SNAP from the policy set PS and RULES (every policy's expanded
 * classifier rules; ids are policy indexes). SNAP->policies must be filled in. 0 or -errno.
 */
int egw_host_rules_build(struct egw_snapshot *snap, const struct egw_policy_set *ps,
	const struct egw_cls_rule *rules, uint32_t n_rules, const char *name);
void egw_host_rules_free(struct egw_host_rules *hr);

static inline bool egw_span_find(const struct egw_span *s, uint32_t n, uint32_t x)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (x < s[mid].lo)
			hi = mid;
		else if (x > s[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* Does KEY's source fall in the policy's sources? */
static inline bool egw_tuple_src(const struct egw_host_rules *hr, const struct egw_policy_tuple *t,
	uint32_t src)
{
	return t->n_src == 0 || egw_span_find(hr->spans + t->src, t->n_src, src);
}

/* Does KEY match the policy's tuple part (the semantics of egw_cls_rule_matches())? */
static inline bool egw_tuple_match(const struct egw_host_rules *hr,
	const struct egw_policy_tuple *t, const struct egw_cls_key *key)
{
	if (t->proto && t->proto != key->proto)
		return false;
	if (t->n_port && (key->proto == IPPROTO_ICMP ||
				 !egw_span_find(hr->spans + t->port, t->n_port, key->dport)))
		return false;
	return egw_tuple_src(hr, t, key->src) &&
	       (t->n_dst == 0 || egw_span_find(hr->spans + t->dst, t->n_dst, key->dst));
}

#endif
