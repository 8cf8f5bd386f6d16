/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dns_filter: may a source resolve a name? Asked before the query leaves, without an address,
 * so policies count only where the answer cannot matter (snapshot.c, dnsf_role): an allow
 * policy naming the name, or letting TCP/UDP out to any destination, permits it; a deny
 * policy for any destination, port and protocol, naming the name or no name, blocks it.
 * Among those that hold for the source, the first in precedence order decides; none: the
 * mode.
 */
#include "decide.h"
#include "host_rules.h"

bool egw_policy_dns_permits(const struct egw_snapshot *snap, uint32_t src, const char *name,
	size_t len, const struct egw_policy_rt **rt)
{
	const struct egw_host_rules *hr = snap->host;
	const struct egw_policy_rt *d = NULL;
	struct egw_host_match_iter it;
	const struct egw_host_rule *r;

	if (rt)
		*rt = NULL;
	if (!snap->dns_filter)
		return true; /* the filter is off (its structures are compiled only when on) */
	if (snap->mode == EGW_MODE_DENY)
		return false;
	if (hr && hr->dnsf) {
		const struct egw_cls_key key = { .src = src };
		const struct egw_cls_rule *best = egw_cls_lookup(hr->dnsf, &key);

		d = best ? &snap->policies[best->id] : NULL;
	}
	/* A name that is not a host name (NAME NULL) can be named by no policy. */
	/* Host rules are policies: a matcher never exists without them. */
	if (hr && hr->names && snap->policies && name && len &&
		egw_host_match_find(hr->names, name, len, &it))
		while ((r = egw_host_match_next(&it)) != NULL) {
			const struct egw_policy_rt *p = &snap->policies[r->rule_id];

			if (d && p->rank >= d->rank)
				break;
			if (p->dnsf != EGW_DNSF_NONE &&
				egw_tuple_src(hr, &hr->tuples[r->rule_id], src)) {
				d = p;
				break;
			}
		}
	if (rt)
		*rt = d;
	if (d)
		return d->dnsf == EGW_DNSF_PERMITS;
	return snap->mode == EGW_MODE_PASSTHROUGH;
}
