/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for host-name decisions (lib/policy/decide.h): a policy file that loads is
 * compiled into a snapshot, then flows are decided, at their first packet, on their first
 * bytes (TLS and HTTP with names, other, nothing), after a "reload" (the re-check) and by
 * dns_filter, each against a reference written the slow and obvious way: sort the policies
 * by precedence, take the first that matches (or, for dns_filter, that permits or blocks). The
 * flows and names are drawn from the input's hash and from the policies' own addresses and names,
 * so that they hit and miss. Names are learned for the destination through lib/names. EAL runs
 * without hugepages or PCI.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "conf/conf.h"
#include "conf/policy_conf.h"
#include "names/names.h"
#include "policy/decide.h"
#include "policy/slots.h"
#include "policy/snapshot.h"

#define MAIN_CONF                                                                                  \
	"[port in]\ndevice = net_null0\nrole = inside\naddress = 198.18.0.1/24\n"                  \
	"[port out]\ndevice = net_null1\nrole = outside\naddress = 203.0.113.2/24\n"               \
	"gateway = 203.0.113.1\n"                                                                  \
	"[pool public]\naddresses = 198.51.100.10-198.51.100.13\n"                                 \
	"[pool second]\naddresses = 198.51.100.20\n"                                               \
	"[egress]\ndefault_pool = public\n"

/* policy, passthrough, ech = deny, deny; policy and passthrough with dns_filter */
#define N_CONFS 6
static struct egw_conf *confs[N_CONFS];
static struct egw_policy_slots slots;
static uint64_t generation;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const extra[N_CONFS] = { "", "mode = passthrough\n", "ech = deny\n",
		"mode = deny\n", "dns_filter = yes\n", "mode = passthrough\ndns_filter = yes\n" };
	char *eal[] = { "fuzz_host_decide", "--no-huge", "--no-pci", "--no-shconf", "-m", "512",
		"--no-telemetry", "--log-level", "lib.*:error", "-l", "0", NULL };
	struct egw_conf_errors errs = { 0 };
	char text[1024];

	(void)argc;
	(void)argv;
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0 ||
		egw_policy_slots_init(&slots, "fuzz") < 0)
		abort();
	for (int i = 0; i < N_CONFS; i++) {
		snprintf(text, sizeof(text), MAIN_CONF "%s", extra[i]);
		confs[i] = malloc(sizeof(*confs[i]));
		if (!confs[i] || egw_conf_load_string("main.ini", text, confs[i], &errs) != 0)
			abort();
	}
	return 0;
}

/* ---- the reference ---- */

static bool in_cidrs(const struct egw_cidr *c, unsigned n, bool any, uint32_t a)
{
	if (any)
		return true;
	for (unsigned i = 0; i < n; i++)
		if (c[i].len == 0 || ((a ^ c[i].prefix) >> (32 - c[i].len)) == 0)
			return true;
	return false;
}

static bool tuple_matches(const struct egw_policy_conf *p, const struct egw_cls_key *k)
{
	uint8_t proto = p->proto == EGW_PROTO_UDP  ? IPPROTO_UDP :
			p->proto == EGW_PROTO_ICMP ? IPPROTO_ICMP :
			p->proto == EGW_PROTO_ANY  ? 0 :
						     IPPROTO_TCP;
	bool port = p->ports_any;

	for (unsigned i = 0; !port && k->proto != IPPROTO_ICMP && i < p->n_ports; i++)
		port = k->dport >= p->ports[i].lo && k->dport <= p->ports[i].hi;
	return (!proto || proto == k->proto) && port &&
	       in_cidrs(p->sources, p->n_sources, p->sources_any, k->src) &&
	       in_cidrs(p->destinations, p->n_destinations, p->destinations_any, k->dst);
}

static bool name_matches(const char *pattern, const char *name)
{
	size_t n = strlen(name), s;

	if (pattern[0] != '*')
		return strcmp(pattern, name) == 0;
	s = strlen(pattern + 1); /* ".suffix" */
	return n > s && strcmp(name + n - s, pattern + 1) == 0;
}

static bool hosts_match(const struct egw_policy_conf *p, const char *name)
{
	for (unsigned i = 0; name && i < p->n_hosts; i++)
		if (name_matches(p->hosts[i], name))
			return true;
	return false;
}

static bool is_l7(const struct egw_policy_conf *p)
{
	return p->proto == EGW_PROTO_TLS || p->proto == EGW_PROTO_HTTP;
}

/* Observation for the reference: SEEN (NULL at the first packet), LEARNED names. */
struct obs {
	const struct egw_host_seen *seen;
	const char *const *learned;
	unsigned n_learned;
};

/* Does P match the flow? MAYBE: an L7 policy at the first packet (unknown yet). */
static int matches(const struct egw_policy_conf *p, const struct egw_cls_key *k,
	const struct obs *o)
{
	if (!tuple_matches(p, k))
		return 0;
	if (is_l7(p)) {
		uint8_t want = p->proto == EGW_PROTO_TLS ? EGW_SEEN_TLS : EGW_SEEN_HTTP;

		if (!o->seen)
			return 2;
		if (o->seen->kind != want)
			return 0;
		return !p->n_hosts ||
		       (o->seen->name_state == EGW_HOSTNAME_VALID && hosts_match(p, o->seen->name));
	}
	if (p->n_hosts) {
		for (unsigned i = 0; i < o->n_learned; i++)
			if (hosts_match(p, o->learned[i]))
				return 1;
		return 0;
	}
	return 1;
}

static const struct egw_policy_conf **by_precedence(const struct egw_policy_set *ps)
{
	const struct egw_policy_conf **v = malloc((ps->n_policies + 1) * sizeof(*v));

	if (!v)
		abort();
	for (unsigned i = 0; i < ps->n_policies; i++) {
		unsigned k = i;

		/* insertion sort: priority desc, then order */
		while (k > 0 && (v[k - 1]->priority < ps->policies[i].priority ||
					(v[k - 1]->priority == ps->policies[i].priority &&
						v[k - 1]->order > ps->policies[i].order))) {
			v[k] = v[k - 1];
			k--;
		}
		v[k] = &ps->policies[i];
	}
	return v;
}

/* "allow:NAME", "deny:NAME", "pending:NAME" ("-": the mode) */
static void ref_decide(const struct egw_conf *c, const struct egw_policy_conf **prec, unsigned n,
	const struct egw_cls_key *k, const struct obs *o, char *out, size_t len)
{
	const struct egw_policy_conf *first_allow = NULL;
	bool maybe = false;

	if (c->egress.mode == EGW_MODE_DENY) {
		snprintf(out, len, "deny:-");
		return;
	}
	if (o->seen && o->seen->kind == EGW_SEEN_TLS && o->seen->ech &&
		c->egress.ech == EGW_ECH_DENY) {
		snprintf(out, len, "deny:-");
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		int m = matches(prec[i], k, o);

		if (m == 2) {
			maybe = true;
			if (!first_allow && prec[i]->action == EGW_ACTION_ALLOW)
				first_allow = prec[i];
			continue;
		}
		if (m == 0)
			continue;
		if (maybe && (first_allow || prec[i]->action == EGW_ACTION_ALLOW)) {
			snprintf(out, len, "pending:%s",
				first_allow ? first_allow->name : prec[i]->name);
			return;
		}
		snprintf(out, len, "%s:%s", prec[i]->action == EGW_ACTION_ALLOW ? "allow" : "deny",
			prec[i]->name);
		return;
	}
	if (maybe && (first_allow || c->egress.mode == EGW_MODE_PASSTHROUGH)) {
		snprintf(out, len, "pending:%s", first_allow ? first_allow->name : "-");
		return;
	}
	snprintf(out, len, "%s:-", c->egress.mode == EGW_MODE_PASSTHROUGH ? "allow" : "deny");
}

/* dns_filter: "permit:NAME", "refuse:NAME" ("-": the mode). */
static void ref_permits(const struct egw_conf *c, const struct egw_policy_conf **prec, unsigned n,
	uint32_t src, const char *name, char *out, size_t len)
{
	if (!c->egress.dns_filter || c->egress.mode == EGW_MODE_DENY) {
		snprintf(out, len, c->egress.dns_filter ? "refuse:-" : "permit:-");
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct egw_policy_conf *p = prec[i];
		bool only_53 = !p->ports_any, names = p->n_hosts && hosts_match(p, name);

		for (unsigned k = 0; only_53 && k < p->n_ports; k++)
			only_53 = p->ports[k].lo == 53 && p->ports[k].hi == 53;
		if (!in_cidrs(p->sources, p->n_sources, p->sources_any, src))
			continue;
		if (p->action == EGW_ACTION_ALLOW &&
			(names || (!p->n_hosts && p->destinations_any &&
					  p->proto != EGW_PROTO_ICMP && !only_53))) {
			snprintf(out, len, "permit:%s", p->name);
			return;
		}
		if (egw_action_refuses(p->action) && p->destinations_any && p->ports_any &&
			p->proto == EGW_PROTO_ANY && (!p->n_hosts || names)) {
			snprintf(out, len, "refuse:%s", p->name);
			return;
		}
	}
	snprintf(out, len, "%s:-", c->egress.mode == EGW_MODE_PASSTHROUGH ? "permit" : "refuse");
}

static void got_str(const struct egw_verdict *v, char *out, size_t len)
{
	static const char *const kinds[] = { "allow", "deny", "pending" };

	if (v->kind > EGW_VERDICT_PENDING)
		abort();
	if ((v->kind == EGW_VERDICT_DENY) != (v->why != EGW_DROP_NONE))
		abort();
	snprintf(out, len, "%s:%s", kinds[v->kind], v->rt ? v->rt->name : "-");
}

static void expect(const char *got, const char *want, const char *what)
{
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "%s: got %s, want %s\n", what, got, want);
		abort();
	}
}

/* ---- flows and names ---- */

static uint64_t mix(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* A name for the flow: a policy's own (a wildcard given a label), or a fixed one. */
static void pick_name(const struct egw_policy_set *ps, uint64_t r, char *out, size_t len)
{
	static const char *const fixed[] = { "github.com", "api.github.com", "example.com",
		"a.b.example.org" };
	const struct egw_policy_conf *p = ps->n_policies ? &ps->policies[r % ps->n_policies] : NULL;

	if (p && p->n_hosts && (r >> 8) % 4) {
		const char *h = p->hosts[(r >> 16) % p->n_hosts];

		if (h[0] == '*')
			snprintf(out, len, "x%s", h + 1);
		else
			snprintf(out, len, "%s", h);
		if (strlen(out) > EGW_HOSTNAME_MAX) /* "x" + 252 */
			snprintf(out, len, "%s", fixed[0]);
	} else {
		snprintf(out, len, "%s", fixed[(r >> 24) % 4]);
	}
}

static uint32_t pick_addr(const struct egw_cidr *c, unsigned n, bool any, uint64_t r, uint32_t dflt)
{
	if (any || n == 0 || r % 3 == 0)
		return dflt | (uint32_t)(r >> 40) % 250;
	return c[(r >> 8) % n].prefix |
	       ((uint32_t)(r >> 32) & (c[(r >> 8) % n].len < 32 ? ~0u >> c[(r >> 8) % n].len : 0));
}

static struct egw_cls_key pick_key(const struct egw_policy_set *ps, uint64_t r)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP };
	const struct egw_policy_conf *p = ps->n_policies ? &ps->policies[r % ps->n_policies] : NULL;
	struct egw_cls_key k = { 0xc6120000u | (uint32_t)(r >> 16) % 250,
		0xcb007100u | (uint32_t)(r >> 24) % 250, 443, protos[(r >> 4) % 4] };

	if (p) {
		k.src = pick_addr(p->sources, p->n_sources, p->sources_any, mix(r), 0xc6120000u);
		k.dst = pick_addr(p->destinations, p->n_destinations, p->destinations_any,
			mix(r + 1), 0xcb007100u);
		if (!p->ports_any && p->n_ports)
			k.dport = p->ports[(r >> 12) % p->n_ports].lo;
	}
	if (k.proto == IPPROTO_ICMP)
		k.dport = 0;
	return k;
}

static void run_flows(const struct egw_conf *c, const struct egw_policy_set *ps,
	const struct egw_snapshot *snap, uint64_t seed)
{
	static const struct egw_names_limits lim = { 0, 64, 1000 };
	const struct egw_policy_conf **prec = by_precedence(ps);
	char want[64], got[64], names[3][EGW_HOSTNAME_MAX + 2];

	for (unsigned f = 0; f < 8; f++) {
		uint64_t r = mix(seed + f);
		struct egw_cls_key k = pick_key(ps, r);
		struct egw_names_table *t = egw_names_table_create(&lim, r);
		struct egw_names_view *nv;
		const char *learned[2];
		unsigned n_learned = (unsigned)(r >> 50) % 3;
		struct egw_host_seen seen = { 0 };
		struct obs o = { NULL, learned, n_learned };
		struct egw_verdict v;
		struct egw_flow_name fn;

		if (!t)
			abort();
		for (unsigned i = 0; i < 3; i++)
			pick_name(ps, mix(r + 7 + i), names[i], sizeof(names[i]));
		for (unsigned i = 0; i < n_learned; i++) {
			learned[i] = names[i];
			if (egw_names_table_learn(t, names[i], strlen(names[i]), k.dst, 100, 0) !=
				0)
				abort();
		}
		nv = egw_names_table_view(t, 1, 0);
		if (!nv)
			abort();

		egw_policy_decide_new(snap, nv, &k, 10, &v);
		got_str(&v, got, sizeof(got));
		ref_decide(c, prec, ps->n_policies, &k, &o, want, sizeof(want));
		expect(got, want, "first packet");
		if (v.kind == EGW_VERDICT_PENDING && k.proto != IPPROTO_TCP)
			abort();

		/* the first bytes, of every kind, with the third name */
		seen.name = names[2];
		seen.name_len = (uint8_t)strlen(names[2]);
		for (uint8_t kind = EGW_SEEN_NOTHING; kind <= EGW_SEEN_MALFORMED; kind++) {
			seen.kind = kind;
			seen.name_state =
				(r >> (kind + 56)) & 1 ? EGW_HOSTNAME_VALID : EGW_HOSTNAME_ABSENT;
			seen.ech = (r >> 62) & 1;
			o.seen = &seen;
			egw_policy_decide_name(snap, nv, &k, &seen, 10, &v);
			got_str(&v, got, sizeof(got));
			ref_decide(c, prec, ps->n_policies, &k, &o, want, sizeof(want));
			expect(got, want, "first bytes");
			if (v.kind != EGW_VERDICT_ALLOW)
				continue;
			/* the same snapshot again, with what the flow keeps, names expired */
			egw_flow_name_keep(&fn, &v);
			egw_policy_recheck(snap, NULL, &k, &fn, 1000, &v);
			got_str(&v, got, sizeof(got));
			if (strncmp(got, "allow:", 6) != 0)
				expect(got, "allow:(any)", "re-check");
		}
		/* dns_filter, for each name */
		for (unsigned i = 0; i < 3; i++) {
			const struct egw_policy_rt *rt;
			bool ok = egw_policy_dns_permits(snap, k.src, names[i], strlen(names[i]),
				&rt);

			snprintf(got, sizeof(got), "%s:%s", ok ? "permit" : "refuse",
				rt ? rt->name : "-");
			ref_permits(c, prec, ps->n_policies, k.src, names[i], want, sizeof(want));
			expect(got, want, "dns_filter");
		}
		egw_names_view_free(nv);
		egw_names_table_free(t);
	}
	free(prec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t port_ids[EGW_MAX_PORTS] = { 0, 1 };
	struct egw_conf_errors errs = { 0 };
	struct egw_policy_set set;
	const struct egw_conf *c = confs[size % N_CONFS];
	struct egw_snapshot_inputs in = { .conf = c,
		.policies = &set,
		.port_ids = port_ids,
		.slots = &slots,
		.host_policies = true };
	struct egw_snapshot *snap;
	char *text = malloc(size + 1);
	uint64_t seed = 0;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t i = 0; i < size; i++)
		seed = mix(seed ^ data[i]);
	if (egw_policy_load_string(c, "fuzz.ini", text, &set, &errs) == 0 && set.n_policies <= 64) {
		in.generation = ++generation;
		snap = egw_snapshot_compile(&in);
		if (!snap && rte_errno == ENOSPC) {
			/* every policy name the fuzzer made up took a counter slot for good */
			egw_policy_slots_fini(&slots);
			if (egw_policy_slots_init(&slots, "fuzz") < 0)
				abort();
			snap = egw_snapshot_compile(&in);
		}
		/* a valid set always compiles */
		if (!snap)
			abort();
		run_flows(c, &set, snap, seed);
		egw_snapshot_free(snap);
	}
	egw_conf_errors_free(&errs);
	egw_policy_set_free(&set);
	free(text);
	return 0;
}
