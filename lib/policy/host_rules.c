/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compiling the host parts of a snapshot: the matcher of every policy's names, the tuple
 * parts of the policies by kind (one classifier each, so that "the best candidate of this
 * kind" is one lookup), each host policy's tuple as sorted spans, and dns_filter's classifier.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>

#include "host_rules.h"
#include "snapshot.h"

static bool is_host_kind(uint8_t kind)
{
	return kind != EGW_POLICY_TUPLE;
}

static int cmp_span(const void *a, const void *b)
{
	const struct egw_span *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sorts the N spans at S and merges overlapping or adjacent ones. Returns the new count. */
static uint32_t merge_spans(struct egw_span *s, uint32_t n)
{
	uint32_t k = 0;

	if (n == 0)
		return 0;
	qsort(s, n, sizeof(*s), cmp_span);
	for (uint32_t i = 1; i < n; i++) {
		if (s[i].lo <= s[k].hi || s[i].lo == s[k].hi + 1) {
			if (s[i].hi > s[k].hi)
				s[k].hi = s[i].hi;
		} else {
			s[++k] = s[i];
		}
	}
	return k + 1;
}

static struct egw_span cidr_span(const struct egw_cidr *c)
{
	uint32_t host = c->len ? ~(~0u << (32 - c->len)) : ~0u;

	return (struct egw_span){ c->prefix & ~host, c->prefix | host };
}

/* Appends the policy's sources, destinations and ports to HR's spans, as T says. */
static int add_tuple(struct egw_host_rules *hr, uint32_t *cap, const struct egw_policy_conf *pc,
	uint8_t proto, struct egw_policy_tuple *t)
{
	uint32_t need = hr->n_spans + (pc->sources_any ? 0 : pc->n_sources) +
			(pc->destinations_any ? 0 : pc->n_destinations) +
			(pc->ports_any ? 0 : pc->n_ports);

	if (need > *cap || !hr->spans) {
		uint32_t c = *cap ? *cap : 1024;
		struct egw_span *s;

		while (c < need)
			c *= 2;
		s = realloc(hr->spans, c * sizeof(*s));
		if (!s)
			return -ENOMEM;
		hr->spans = s;
		*cap = c;
	}
	t->proto = proto;
	t->src = hr->n_spans;
	for (unsigned i = 0; !pc->sources_any && i < pc->n_sources; i++)
		hr->spans[t->src + i] = cidr_span(&pc->sources[i]);
	t->n_src = merge_spans(hr->spans + t->src, pc->sources_any ? 0 : pc->n_sources);
	t->dst = t->src + t->n_src;
	for (unsigned i = 0; !pc->destinations_any && i < pc->n_destinations; i++)
		hr->spans[t->dst + i] = cidr_span(&pc->destinations[i]);
	t->n_dst = merge_spans(hr->spans + t->dst, pc->destinations_any ? 0 : pc->n_destinations);
	t->port = t->dst + t->n_dst;
	for (unsigned i = 0; !pc->ports_any && i < pc->n_ports; i++)
		hr->spans[t->port + i] = (struct egw_span){ pc->ports[i].lo, pc->ports[i].hi };
	t->n_port = merge_spans(hr->spans + t->port, pc->ports_any ? 0 : pc->n_ports);
	hr->n_spans = t->port + t->n_port;
	return 0;
}

static int build_names(struct egw_host_rules *hr, const struct egw_snapshot *snap,
	const struct egw_policy_set *ps)
{
	struct egw_host_pattern *p;
	uint32_t n = 0, bad;

	for (unsigned i = 0; i < ps->n_policies; i++)
		n += ps->policies[i].n_hosts;
	if (n == 0)
		return 0;
	p = malloc(n * sizeof(*p));
	if (!p)
		return -ENOMEM;
	n = 0;
	for (unsigned i = 0; i < ps->n_policies; i++)
		for (unsigned k = 0; k < ps->policies[i].n_hosts; k++)
			p[n++] = (struct egw_host_pattern){ ps->policies[i].hosts[k], i,
				snap->policies[i].priority, snap->policies[i].order };
	hr->names = egw_host_match_build(p, n, &bad);
	free(p);
	/* EINVAL cannot happen: the policy files checked every name with the same rules. */
	return hr->names ? 0 : -(errno ? errno : ENOMEM);
}

/* Which classifiers rule R (of policy P) goes to. */
enum {
	TO_DNS = 1,
	TO_L7_TLS = 2,
	TO_L7_HTTP = 4,
	TO_BARE_TLS = 8,
	TO_BARE_HTTP = 16,
	TO_L7_ALLOW = 32,
	TO_DNSF = 64,
	TO_N = 7
};

static unsigned targets(const struct egw_policy_rt *p)
{
	unsigned t = 0;
	bool tls = p->l7 == EGW_PROTO_TLS;

	if (p->kind == EGW_POLICY_DNS)
		t |= TO_DNS;
	if (p->kind == EGW_POLICY_L7 || p->kind == EGW_POLICY_L7_HOST) {
		t |= tls ? TO_L7_TLS : TO_L7_HTTP;
		if (p->action == EGW_ACTION_ALLOW)
			t |= TO_L7_ALLOW;
	}
	if (p->kind == EGW_POLICY_L7)
		t |= tls ? TO_BARE_TLS : TO_BARE_HTTP;
	/* Host policies answer dns_filter through the matcher; the others by source alone. */
	if (p->dnsf != EGW_DNSF_NONE &&
		!(p->kind == EGW_POLICY_DNS || p->kind == EGW_POLICY_L7_HOST))
		t |= TO_DNSF;
	return t;
}

static struct egw_classifier **target_cls(struct egw_host_rules *hr, unsigned bit)
{
	switch (bit) {
	case TO_DNS:
		return &hr->dns;
	case TO_L7_TLS:
		return &hr->l7[EGW_L7_IDX_TLS];
	case TO_L7_HTTP:
		return &hr->l7[EGW_L7_IDX_HTTP];
	case TO_BARE_TLS:
		return &hr->bare[EGW_L7_IDX_TLS];
	case TO_BARE_HTTP:
		return &hr->bare[EGW_L7_IDX_HTTP];
	case TO_L7_ALLOW:
		return &hr->l7_allow;
	default:
		return &hr->dnsf;
	}
}

static int build_classifiers(struct egw_host_rules *hr, const struct egw_snapshot *snap,
	const struct egw_cls_rule *rules, uint32_t n_rules, const char *name)
{
	static const char tag[TO_N] = { 'd', 't', 'h', 'T', 'H', 'a', 'f' };
	struct egw_cls_rule *sel = malloc((n_rules ? n_rules : 1) * sizeof(*sel));
	char cname[24];

	if (!sel)
		return -ENOMEM;
	for (unsigned b = 0; b < TO_N; b++) {
		uint32_t n = 0;

		for (uint32_t r = 0; r < n_rules; r++) {
			if (!(targets(&snap->policies[rules[r].id]) & (1u << b)))
				continue;
			sel[n] = rules[r];
			if ((1u << b) == TO_DNSF) {
				/* dns_filter asks about a source and a name: no address, no port */
				sel[n].dst = sel[n].dst_len = 0;
				sel[n].port_lo = 0;
				sel[n].port_hi = 65535;
				sel[n].proto = 0;
			}
			n++;
		}
		if (n == 0)
			continue;
		snprintf(cname, sizeof(cname), "%s%c", name, tag[b]);
		*target_cls(hr, 1u << b) = egw_cls_build(cname, sel, n);
		if (!*target_cls(hr, 1u << b)) {
			free(sel);
			return -rte_errno;
		}
	}
	free(sel);
	return 0;
}

static uint8_t tuple_proto(uint8_t kind, enum egw_policy_proto p)
{
	if (kind != EGW_POLICY_DNS || p == EGW_PROTO_TCP)
		return IPPROTO_TCP;
	return p == EGW_PROTO_UDP ? IPPROTO_UDP : 0;
}

int egw_host_rules_build(struct egw_snapshot *snap, const struct egw_policy_set *ps,
	const struct egw_cls_rule *rules, uint32_t n_rules, const char *name)
{
	struct egw_host_rules *hr = calloc(1, sizeof(*hr));
	uint32_t cap = 0;
	int rc = -ENOMEM;

	if (!hr)
		return -ENOMEM;
	snap->host = hr;
	hr->tuples = calloc(ps->n_policies ? ps->n_policies : 1, sizeof(*hr->tuples));
	if (!hr->tuples)
		return rc;
	for (unsigned i = 0; i < ps->n_policies; i++) {
		const struct egw_policy_rt *p = &snap->policies[i];

		if (is_host_kind(p->kind) &&
			add_tuple(hr, &cap, &ps->policies[i],
				tuple_proto(p->kind, ps->policies[i].proto), &hr->tuples[i]) < 0)
			return rc;
	}
	rc = build_names(hr, snap, ps);
	if (rc == 0)
		rc = build_classifiers(hr, snap, rules, n_rules, name);
	return rc;
}

void egw_host_rules_free(struct egw_host_rules *hr)
{
	if (!hr)
		return;
	egw_host_match_free(hr->names);
	egw_cls_free(hr->dns);
	for (unsigned i = 0; i < EGW_L7_N; i++) {
		egw_cls_free(hr->l7[i]);
		egw_cls_free(hr->bare[i]);
	}
	egw_cls_free(hr->l7_allow);
	egw_cls_free(hr->dnsf);
	free(hr->tuples);
	free(hr->spans);
	free(hr);
}
