/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <openssl/evp.h>
#include <rte_rcu_qsbr.h>

#include "classifier.h"
#include "host_rules.h"
#include "slots.h"
#include "snapshot.h"

static int fingerprint(struct egw_snapshot *snap, const struct egw_cls_rule *rules, size_t n_rules);

static const struct egw_nat_pool *pool_by_name(const struct egw_snapshot *snap, const char *name)
{
	for (unsigned i = 0; i < snap->n_pools; i++)
		if (strcmp(snap->pools[i].name, name) == 0)
			return &snap->pools[i];
	return NULL;
}

static uint8_t cls_proto(enum egw_policy_proto p)
{
	switch (p) {
	case EGW_PROTO_TCP:
	case EGW_PROTO_TLS:
	case EGW_PROTO_HTTP:
		return IPPROTO_TCP;
	case EGW_PROTO_UDP:
		return IPPROTO_UDP;
	case EGW_PROTO_ICMP:
		return IPPROTO_ICMP;
	default:
		return 0;
	}
}

static inline uint64_t mix64(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint8_t policy_kind(const struct egw_policy_conf *pc)
{
	bool l7 = pc->proto == EGW_PROTO_TLS || pc->proto == EGW_PROTO_HTTP;

	if (pc->n_hosts)
		return l7 ? EGW_POLICY_L7_HOST : EGW_POLICY_DNS;
	return l7 ? EGW_POLICY_L7 : EGW_POLICY_TUPLE;
}

/*
 * dns_filter (dns_filter.c): an allow policy permits a name when it names it, or when it lets
 * TCP or UDP out to any destination on some port other than 53 (whatever the name resolves
 * to, such a flow may leave; a policy for port 53 alone is the one that lets the queries out
 * and says nothing about names). A deny policy blocks when nothing escapes it whatever the
 * address: any destination, port and protocol (for the names it holds, or all names).
 */
static uint8_t dnsf_role(const struct egw_policy_conf *pc)
{
	bool only_53 = !pc->ports_any, carries = pc->proto != EGW_PROTO_ICMP;

	for (unsigned i = 0; only_53 && i < pc->n_ports; i++)
		only_53 = pc->ports[i].lo == 53 && pc->ports[i].hi == 53;
	if (pc->action == EGW_ACTION_ALLOW)
		return pc->n_hosts || (pc->destinations_any && carries && !only_53) ?
			       EGW_DNSF_PERMITS :
			       EGW_DNSF_NONE;
	return pc->destinations_any && pc->ports_any && pc->proto == EGW_PROTO_ANY ?
		       EGW_DNSF_BLOCKS :
		       EGW_DNSF_NONE;
}

static uint64_t hosts_hash(const struct egw_policy_conf *pc)
{
	uint64_t h = EGW_HOSTNAME_HASH_INIT;

	for (unsigned k = 0; k < pc->n_hosts; k++) {
		for (const char *c = pc->hosts[k]; *c; c++)
			h = egw_hostname_hash_step(h, (uint8_t)*c);
		h = egw_hostname_hash_step(h, ',');
	}
	return h;
}

/* Folds what of rule R decides admission (match fields, priority; not order or id) into H. */
static uint64_t decision_hash_add(uint64_t h, const struct egw_cls_rule *r)
{
	h = mix64(h ^ ((uint64_t)r->src << 32 | r->dst));
	h = mix64(h ^ ((uint64_t)r->src_len << 56 | (uint64_t)r->dst_len << 48 |
			      (uint64_t)r->port_lo << 32 | (uint64_t)r->port_hi << 16 | r->proto));
	return mix64(h ^ (uint32_t)r->priority);
}

static void fill_rt(struct egw_snapshot *snap, const struct egw_snapshot_inputs *in, unsigned i)
{
	const struct egw_policy_conf *pc = &in->policies->policies[i];
	struct egw_policy_rt *rt = &snap->policies[i];

	snprintf(rt->name, sizeof(rt->name), "%s", pc->name);
	rt->action = (uint8_t)pc->action;
	rt->log = pc->log;
	rt->max_flows = pc->max_flows;
	rt->pool = pc->nat_none ?
			   NULL :
			   pool_by_name(snap, pc->nat[0] ? pc->nat : in->conf->egress.default_pool);
	rt->order = pc->order;
	rt->priority = pc->priority;
	rt->rank = ((uint64_t)((int64_t)INT32_MAX - pc->priority) << 32) | pc->order;
	rt->kind = policy_kind(pc);
	rt->l7 = rt->kind == EGW_POLICY_L7 || rt->kind == EGW_POLICY_L7_HOST ? (uint8_t)pc->proto :
									       0;
	rt->dnsf = dnsf_role(pc);
	rt->via_port = EGW_VIA_DEFAULT;
	for (unsigned k = 0; pc->via[0] && k < in->conf->n_ports; k++)
		if (strcmp(in->conf->ports[k].name, pc->via) == 0)
			rt->via_port = in->port_ids[k];
	rt->decision_hash = mix64(hosts_hash(pc) ^ ((uint64_t)rt->l7 << 8 | rt->kind));
}

/* Appends policy I's sources x destinations x port ranges to *RULES, all with its rank and
 * id. 0 or -ENOMEM. */
static int expand_rules(struct egw_snapshot *snap, const struct egw_policy_conf *pc, unsigned i,
	struct egw_cls_rule **rules, size_t *n_rules, size_t *cap)
{
	static const struct egw_cidr any_cidr = { 0, 0 };
	static const struct egw_port_range any_ports = { 0, 65535 };
	struct egw_policy_rt *rt = &snap->policies[i];
	unsigned ns = pc->sources_any ? 1 : pc->n_sources;
	unsigned nd = pc->destinations_any ? 1 : pc->n_destinations;
	unsigned np = pc->ports_any ? 1 : pc->n_ports;

	for (unsigned a = 0; a < ns; a++)
		for (unsigned b = 0; b < nd; b++)
			for (unsigned c = 0; c < np; c++) {
				const struct egw_cidr *src =
					pc->sources_any ? &any_cidr : &pc->sources[a];
				const struct egw_cidr *dst =
					pc->destinations_any ? &any_cidr : &pc->destinations[b];
				const struct egw_port_range *pr =
					pc->ports_any ? &any_ports : &pc->ports[c];

				if (*n_rules == *cap) {
					size_t ncap = *cap ? *cap * 2 : 256;
					struct egw_cls_rule *nr =
						realloc(*rules, ncap * sizeof(*nr));

					if (!nr)
						return -ENOMEM;
					*rules = nr;
					*cap = ncap;
				}
				(*rules)[*n_rules] = (struct egw_cls_rule){ .src = src->prefix,
					.src_len = src->len,
					.dst = dst->prefix,
					.dst_len = dst->len,
					.port_lo = pr->lo,
					.port_hi = pr->hi,
					.proto = cls_proto(pc->proto),
					.priority = pc->priority,
					.order = pc->order,
					.id = i };
				rt->decision_hash = decision_hash_add(rt->decision_hash,
					&(*rules)[(*n_rules)++]);
			}
	rt->decision_hash = mix64(rt->decision_hash ^ rt->action);
	return 0;
}

/* The tuple policies' rules go first in RULES (sorted by kind), into the snapshot's
 * classifier; the rest compile into SNAP->host. */
static int compile_policies(struct egw_snapshot *snap, const struct egw_snapshot_inputs *in)
{
	const struct egw_policy_set *ps = in->policies;
	struct egw_cls_rule *rules = NULL;
	size_t n_rules = 0, cap = 0, n_tuple = 0; /* set by the first pass; gcc -O3 cannot see it */
	bool host = in->conf->egress.dns_filter, l7 = false;
	char name[24];
	int rc = -ENOMEM;

	snap->policies = calloc(ps->n_policies, sizeof(*snap->policies));
	if (!snap->policies)
		return -ENOMEM;
	snap->n_policies = ps->n_policies;
	for (unsigned i = 0; i < ps->n_policies; i++) {
		fill_rt(snap, in, i);
		snap->policies[i].slot =
			egw_policy_slots_get(in->slots, ps->policies[i].name, in->generation);
		if (snap->policies[i].slot == 0) {
			rc = -ENOSPC;
			goto out;
		}
		host |= snap->policies[i].kind != EGW_POLICY_TUPLE;
		l7 |= snap->policies[i].kind == EGW_POLICY_L7 ||
		      snap->policies[i].kind == EGW_POLICY_L7_HOST;
	}
	if (l7 && !in->host_policies) {
		rc = -ENOTSUP;
		goto out;
	}
	for (unsigned pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < ps->n_policies; i++)
			if ((snap->policies[i].kind == EGW_POLICY_TUPLE) == (pass == 0) &&
				expand_rules(snap, &ps->policies[i], i, &rules, &n_rules, &cap) < 0)
				goto out;
		if (pass == 0)
			n_tuple = n_rules;
	}
	snprintf(name, sizeof(name), "g%llu", (unsigned long long)in->generation);
	if (n_tuple) {
		snap->cls = egw_cls_build(name, rules, (uint32_t)n_tuple);
		if (!snap->cls) {
			rc = -rte_errno;
			goto out;
		}
	}
	if (host) {
		rc = egw_host_rules_build(snap, ps, rules, (uint32_t)n_rules, name);
		if (rc < 0)
			goto out;
		egw_policy_binding_build(snap, rules, (uint32_t)n_rules);
	}
	rc = fingerprint(snap, rules, n_rules);
out:
	free(rules);
	return rc;
}

/*
 * What admission reads, in a canonical form: mode, revalidate, every pool's parameters, the
 * compiled rules and each policy's effect. Names and counter slots are left out: renaming a
 * policy changes no decision.
 */
static int fingerprint(struct egw_snapshot *snap, const struct egw_cls_rule *rules, size_t n_rules)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;
	int ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
	ok = ok && EVP_DigestUpdate(ctx, &snap->mode, sizeof(snap->mode)) == 1;
	ok = ok && EVP_DigestUpdate(ctx, &snap->revalidate, sizeof(snap->revalidate)) == 1;
	ok = ok && EVP_DigestUpdate(ctx, &snap->ech, sizeof(snap->ech)) == 1;
	for (unsigned i = 0; ok && i < snap->n_pools; i++) {
		const struct egw_nat_pool *p = &snap->pools[i];
		uint32_t hdr[5] = { p->n_addrs, p->port_first, p->port_last,
			(uint32_t)p->filtering << 16 | (uint32_t)p->mapping << 8 | p->pairing,
			p->max_per_source };
		ok = EVP_DigestUpdate(ctx, hdr, sizeof(hdr)) == 1 &&
		     EVP_DigestUpdate(ctx, p->addrs, p->n_addrs * sizeof(uint32_t)) == 1;
	}
	{
		uint32_t d = snap->default_pool ? snap->default_pool->index + 1u : 0;
		ok = ok && EVP_DigestUpdate(ctx, &d, sizeof(d)) == 1;
	}
	for (size_t i = 0; ok && i < n_rules; i++) {
		const struct egw_cls_rule *r = &rules[i];
		uint32_t w[8] = { r->src, r->dst, (uint32_t)r->src_len << 8 | r->dst_len,
			(uint32_t)r->port_lo << 16 | r->port_hi, r->proto, (uint32_t)r->priority,
			r->order, r->id };
		ok = EVP_DigestUpdate(ctx, w, sizeof(w)) == 1;
	}
	for (unsigned i = 0; ok && i < snap->n_policies; i++) {
		const struct egw_policy_rt *rt = &snap->policies[i];
		uint32_t w[4] = { (uint32_t)rt->action << 8 | rt->log, rt->via_port, rt->max_flows,
			rt->pool ? rt->pool->index + 1u : 0 };
		/* kind, protocol and names (with the rules and action again, harmlessly) */
		ok = EVP_DigestUpdate(ctx, w, sizeof(w)) == 1 &&
		     EVP_DigestUpdate(ctx, &rt->decision_hash, sizeof(rt->decision_hash)) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(ctx, snap->fingerprint, &len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

void egw_snapshot_chain(struct egw_snapshot *next, const struct egw_snapshot *prev)
{
	if (prev && memcmp(prev->fingerprint, next->fingerprint, sizeof(next->fingerprint)) == 0) {
		next->epoch = prev->epoch;
		return;
	}
	next->epoch = next->generation;
	if (prev)
		egw_snapshot_delta(next, prev);
}

void egw_snapshot_free(struct egw_snapshot *snap)
{
	if (!snap)
		return;
	for (unsigned i = 0; i < snap->n_pools; i++)
		free(snap->pools[i].addrs);
	free(snap->pools);
	egw_addr_set_free(&snap->pool_addrs);
	egw_cls_free(snap->cls);
	egw_host_rules_free(snap->host);
	free(snap->policies);
	free(snap->delta);
	free(snap);
}

struct egw_snapshot *egw_snapshot_build(const struct egw_conf *conf, uint64_t generation)
{
	struct egw_snapshot_inputs in = { .conf = conf, .generation = generation };
	return egw_snapshot_compile(&in);
}

struct egw_snapshot *egw_snapshot_compile(const struct egw_snapshot_inputs *in)
{
	const struct egw_conf *conf = in->conf;
	uint64_t generation = in->generation;
	struct egw_snapshot *snap = calloc(1, sizeof(*snap));
	uint32_t *all = NULL, n_all = 0;

	if (!snap)
		goto nomem;
	snap->generation = generation;
	snap->mode = conf->egress.mode;
	if (conf->n_pools) {
		snap->pools = calloc(conf->n_pools, sizeof(*snap->pools));
		if (!snap->pools)
			goto nomem;
	}
	for (unsigned i = 0; i < conf->n_pools; i++) {
		const struct egw_pool_conf *pc = &conf->pools[i];
		struct egw_nat_pool *p = &snap->pools[i];
		snprintf(p->name, sizeof(p->name), "%s", pc->name);
		p->addrs = calloc(pc->n_addrs ? pc->n_addrs : 1, sizeof(uint32_t));
		if (!p->addrs)
			goto nomem;
		snap->n_pools++;
		for (unsigned k = 0; k < pc->n_addrs; k++)
			p->addrs[k] = rte_cpu_to_be_32(pc->addrs[k]);
		p->n_addrs = pc->n_addrs;
		p->port_first = pc->port_first;
		p->port_last = pc->port_last;
		p->mapping = (uint8_t)pc->mapping;
		p->pairing = (uint8_t)pc->pairing;
		p->filtering = (uint8_t)pc->filtering;
		p->max_per_source = pc->max_per_source;
		p->index = (uint16_t)i;
		n_all += pc->n_addrs;
		if (strcmp(pc->name, conf->egress.default_pool) == 0)
			snap->default_pool = p;
	}
	all = calloc(n_all ? n_all : 1, sizeof(uint32_t));
	if (!all)
		goto nomem;
	n_all = 0;
	for (unsigned i = 0; i < snap->n_pools; i++)
		for (unsigned k = 0; k < snap->pools[i].n_addrs; k++)
			all[n_all++] = snap->pools[i].addrs[k];
	if (egw_addr_set_init(&snap->pool_addrs, all, n_all) < 0)
		goto nomem;
	free(all);
	all = NULL;
	snap->revalidate = conf->egress.revalidate;
	snap->ech = conf->egress.ech;
	snap->host_binding = conf->egress.host_binding;
	snap->dns_filter = conf->egress.dns_filter;
	snap->host_timeout = conf->egress.host_timeout;
	snap->host_hold_bytes = conf->egress.host_hold_bytes;
	snap->host_hold_total = conf->egress.host_hold_total;
	snap->ip_options = conf->egress.ip_options;
	snap->deny_action = conf->egress.deny_action;
	snap->exhaustion_action = conf->egress.exhaustion_action;
	snap->reject_rate = conf->egress.reject_rate;
	snap->syn_cookies = conf->flows.syn_cookies;
	snap->syn_cookie_rate = conf->flows.syn_cookie_rate;
	snap->syn_cookie_half_open = conf->flows.syn_cookie_half_open;
	snap->epoch = generation;
	{
		int rc = in->policies && in->policies->n_policies ? compile_policies(snap, in) :
								    fingerprint(snap, NULL, 0);
		if (rc < 0) {
			egw_snapshot_free(snap);
			rte_errno = -rc;
			return NULL;
		}
	}
	snap->late_any |= snap->syn_cookies != EGW_SYN_COOKIES_OFF;
	return snap;
nomem:
	free(all);
	egw_snapshot_free(snap);
	rte_errno = ENOMEM;
	return NULL;
}

static void free_snapshot(void *snap)
{
	egw_snapshot_free(snap);
}

int egw_snapshot_rcu_init(struct egw_rcu *rcu, unsigned n_workers)
{
	return egw_rcu_init(rcu, n_workers, free_snapshot);
}
