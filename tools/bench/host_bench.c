/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host-name policies and learned names, per operation:
 * - decisions (lib/policy/decide.h) with 1k and 100k host rules, half wildcards: a new TLS
 *   flow made pending, a flow decided at its first packet, the decision on the name (hit and
 *   miss), a flow to an address learned from DNS (hit and miss), dns_filter;
 * - learned names (lib/names): answers learned per second (table alone, and journal push in a
 *   "worker" + drain by the "control thread", one thread and two), views built at 10k, 100k
 *   and 1M entries (whole, and after 1000 changes), lookups, bytes per entry.
 * Every figure: RUNS runs of fixed iteration counts (nothing loops on time), min / median / max,
 * because the machine is shared. --smoke: tiny sizes and the correctness checks, for meson test.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include <rte_eal.h>

#include "bench_util.h"
#include "conf/conf.h"
#include "conf/policy_conf.h"
#include "dns/dns.h"
#include "names/names.h"
#include "policy/decide.h"
#include "policy/slots.h"
#include "policy/snapshot.h"

#define RUNS 5

static volatile uint64_t sink;
static struct egw_policy_slots slots;
static uint64_t generation;

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "host_bench: wrong result: %s\n", what);
		exit(1);
	}
}

/* ---- a policy set of N host rules ---- */

struct rules {
	struct egw_conf *conf;
	struct egw_policy_set ps;
	char (*pat)[64];
	char **hosts;
	struct egw_snapshot *snap;
};

/*
 * N policies with one name each, "svcI.tJ.example-K.com" or "*.tJ.example-K.net" (half
 * wildcards), priorities 0-9, protocol PROTO; then a tuple policy allowing TCP port 80.
 */
static void make_rules(struct rules *r, uint32_t n, enum egw_policy_proto proto)
{
	static const uint16_t port_ids[EGW_MAX_PORTS] = { 0, 1 };
	struct egw_port_range *p443 = calloc(1, sizeof(*p443)), *p80 = calloc(1, sizeof(*p80));
	struct egw_snapshot_inputs in = { .policies = &r->ps,
		.port_ids = port_ids,
		.slots = &slots,
		.host_policies = true };

	r->conf = calloc(1, sizeof(*r->conf));
	r->pat = calloc(n, sizeof(*r->pat));
	r->hosts = calloc(n, sizeof(*r->hosts));
	r->ps.policies = calloc(n + 1, sizeof(*r->ps.policies));
	check(r->conf && r->pat && r->hosts && r->ps.policies && p443 && p80, "memory");
	egw_conf_defaults(r->conf);
	r->conf->egress.mode = EGW_MODE_POLICY;
	*p443 = (struct egw_port_range){ 443, 443 };
	*p80 = (struct egw_port_range){ 80, 80 };
	for (uint32_t i = 0; i < n; i++) {
		struct egw_policy_conf *pc = &r->ps.policies[i];

		bench_host_pattern(r->pat[i], sizeof(r->pat[i]), i);
		r->hosts[i] = r->pat[i];
		snprintf(pc->name, sizeof(pc->name), "h%u", i);
		pc->sources_any = pc->destinations_any = true;
		pc->ports = p443;
		pc->n_ports = 1;
		pc->hosts = &r->hosts[i];
		pc->n_hosts = 1;
		pc->proto = proto;
		pc->priority = (int32_t)bench_rnd(10);
		pc->nat_none = true;
		pc->order = i;
	}
	{
		struct egw_policy_conf *pc = &r->ps.policies[n];

		snprintf(pc->name, sizeof(pc->name), "web");
		pc->sources_any = pc->destinations_any = true;
		pc->ports = p80;
		pc->n_ports = 1;
		pc->proto = EGW_PROTO_TCP;
		pc->nat_none = true;
		pc->order = n;
	}
	r->ps.n_policies = n + 1;
	in.conf = r->conf;
	in.generation = ++generation;
	r->snap = egw_snapshot_compile(&in);
	check(r->snap != NULL, "compile");
}

static void free_rules(struct rules *r)
{
	egw_snapshot_free(r->snap);
	free(r->ps.policies[0].ports);
	free(r->ps.policies[r->ps.n_policies - 1].ports);
	free(r->ps.policies);
	free(r->hosts);
	free(r->pat);
	free(r->conf);
}

/* ---- decisions ---- */

enum { N_KEYS = 4096 };

struct dcase {
	const struct egw_snapshot *snap;
	const struct egw_names_view *names;
	struct egw_cls_key keys[N_KEYS];
	char names_[N_KEYS][64];
	struct egw_host_seen seen[N_KEYS];
	uint8_t want;
};

static void op_new(const void *ctx, uint32_t i)
{
	const struct dcase *c = ctx;
	struct egw_verdict v;

	egw_policy_decide_new(c->snap, c->names, &c->keys[i % N_KEYS], 10, &v);
	sink += v.kind;
}

static void op_name(const void *ctx, uint32_t i)
{
	const struct dcase *c = ctx;
	struct egw_verdict v;

	egw_policy_decide_name(c->snap, c->names, &c->keys[i % N_KEYS], &c->seen[i % N_KEYS], 10,
		&v);
	sink += v.kind;
}

static void op_dnsf(const void *ctx, uint32_t i)
{
	const struct dcase *c = ctx;
	const struct egw_host_seen *s = &c->seen[i % N_KEYS];

	sink += egw_policy_dns_permits(c->snap, c->keys[i % N_KEYS].src, s->name, s->name_len,
		NULL);
}

/* Names of the rules (hits: exact, or two labels under a wildcard) or of none (misses). */
static void make_names(struct dcase *c, const struct rules *r, uint32_t n, bool hit)
{
	for (uint32_t i = 0; i < N_KEYS; i++) {
		bench_host_name(c->names_[i], sizeof(c->names_[i]), r->pat[bench_rnd(n)], hit, i);
		c->seen[i] = (struct egw_host_seen){ EGW_SEEN_TLS, EGW_HOSTNAME_VALID,
			(uint8_t)strlen(c->names_[i]), false, c->names_[i] };
		c->keys[i] = (struct egw_cls_key){ 0xc6120000u | bench_rnd(65536),
			0xcb007100u | bench_rnd(256), 443, 6 };
	}
}

static void expect_all(struct dcase *c, bench_op fn, uint8_t kind, const char *what)
{
	for (uint32_t i = 0; i < N_KEYS; i++) {
		struct egw_verdict v;

		if (fn == op_new)
			egw_policy_decide_new(c->snap, c->names, &c->keys[i], 10, &v);
		else
			egw_policy_decide_name(c->snap, c->names, &c->keys[i], &c->seen[i], 10, &v);
		check(v.kind == kind, what);
	}
}

static void bench_decisions(uint32_t n)
{
	struct dcase *c = calloc(1, sizeof(*c));
	struct rules r = { 0 };
	char what[96];
	double t0 = bench_now_ns();

	make_rules(&r, n, EGW_PROTO_TLS);
	printf("%u tls host rules: compile %.0f ms\n", n, (bench_now_ns() - t0) / 1e6);
	c->snap = r.snap;
	make_names(c, &r, n, true);
	expect_all(c, op_new, EGW_VERDICT_PENDING, "pending");
	snprintf(what, sizeof(what), "new flow, pending (%u tls rules)", n);
	bench_report(what, bench_measure(op_new, c, 2000000, RUNS));
	expect_all(c, op_name, EGW_VERDICT_ALLOW, "name hit");
	snprintf(what, sizeof(what), "decision on the SNI, hit (%u)", n);
	bench_report(what, bench_measure(op_name, c, 2000000, RUNS));
	snprintf(what, sizeof(what), "dns_filter, permitted (%u)", n);
	bench_report(what, bench_measure(op_dnsf, c, 2000000, RUNS));
	make_names(c, &r, n, false);
	expect_all(c, op_name, EGW_VERDICT_DENY, "name miss");
	snprintf(what, sizeof(what), "decision on the SNI, miss (%u)", n);
	bench_report(what, bench_measure(op_name, c, 2000000, RUNS));
	for (uint32_t i = 0; i < N_KEYS; i++)
		c->keys[i].dport = 80;
	expect_all(c, op_new, EGW_VERDICT_ALLOW, "decided");
	snprintf(what, sizeof(what), "new flow, decided at once (%u)", n);
	bench_report(what, bench_measure(op_new, c, 2000000, RUNS));
	free_rules(&r);
	free(c);
}

/* Flows to addresses learned from DNS: N rules (protocol tcp), N names each on an address. */
static void bench_dns_decisions(uint32_t n)
{
	static const struct egw_names_limits lim = { 60, 64, 2000000 };
	struct dcase *c = calloc(1, sizeof(*c));
	struct egw_names_table *t = egw_names_table_create(&lim, 7);
	struct egw_names_view *nv;
	struct rules r = { 0 };
	char what[96];

	check(c && t, "memory");
	make_rules(&r, n, EGW_PROTO_TCP);
	c->snap = r.snap;
	make_names(c, &r, n, true);
	/* key i's destination was learned for its name (and a second, unlisted name) */
	for (uint32_t i = 0; i < N_KEYS; i++) {
		c->keys[i].dst = 0x64400000u + i;
		check(egw_names_table_learn(t, c->names_[i], strlen(c->names_[i]), c->keys[i].dst,
			      300, 0) == 0,
			"learn");
		check(egw_names_table_learn(t, "cdn.example.org", 15, c->keys[i].dst, 300, 0) == 0,
			"learn");
	}
	nv = egw_names_table_view(t, 1, 0);
	check(nv != NULL, "view");
	c->names = nv;
	expect_all(c, op_new, EGW_VERDICT_ALLOW, "learned");
	snprintf(what, sizeof(what), "new flow to a learned address, hit (%u)", n);
	bench_report(what, bench_measure(op_new, c, 2000000, RUNS));
	for (uint32_t i = 0; i < N_KEYS; i++)
		c->keys[i].dst = 0x64800000u + i;
	expect_all(c, op_new, EGW_VERDICT_DENY, "not learned");
	snprintf(what, sizeof(what), "new flow to an unlearned address (%u)", n);
	bench_report(what, bench_measure(op_new, c, 2000000, RUNS));
	egw_names_view_free(nv);
	egw_names_table_free(t);
	free_rules(&r);
	free(c);
}

/* ---- learned names ---- */

static void name_of(char *buf, size_t len, uint32_t i)
{
	snprintf(buf, len, "host%u.tenant%u.example.com", i, i % 997);
}

/* Cycles per (name, address) learned into a table of ENTRIES: new entries, then the same
 * answers again (refreshes, the common case: popular names are resolved over and over). */
static void learn_rate(uint32_t entries)
{
	static const struct egw_names_limits lim = { 60, 64, 16000000 };
	struct egw_names_table *t = egw_names_table_create(&lim, 3);
	char(*names)[48] = malloc((size_t)entries * sizeof(*names));
	uint64_t c[2];

	check(t && names, "table");
	for (uint32_t i = 0; i < entries; i++)
		name_of(names[i], sizeof(names[i]), i);
	for (int pass = 0; pass < 2; pass++) {
		uint64_t c0 = __rdtsc();

		for (uint32_t i = 0; i < entries; i++)
			egw_names_table_learn(t, names[i], strlen(names[i]), 0x0a000000u + i, 300,
				(uint32_t)pass);
		c[pass] = __rdtsc() - c0;
	}
	printf("table learn, %u entries: %.0f cycles per new entry, %.0f per refresh\n", entries,
		(double)c[0] / entries, (double)c[1] / entries);
	egw_names_table_free(t);
	free(names);
}

static void answer_of(struct egw_dns_answer *a, uint32_t i, unsigned n_addrs)
{
	a->q.name_state = EGW_HOSTNAME_VALID;
	name_of(a->q.name, sizeof(a->q.name), i);
	a->q.name_len = (uint8_t)strlen(a->q.name);
	a->rcode = 0;
	a->n_addrs = (uint8_t)n_addrs;
	for (unsigned k = 0; k < n_addrs; k++)
		a->addrs[k] = (struct egw_dns_addr){ htonl(0x0a000000u + i * n_addrs + k), 300 };
}

struct producer {
	struct egw_names_journal *j;
	uint32_t n;
	uint64_t pushed, cycles;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	struct egw_dns_answer a;
	uint64_t c0 = __rdtsc();

	memset(&a, 0, sizeof(a));
	for (uint32_t i = 0; i < p->n; i++) {
		answer_of(&a, i, 2);
		/* a worker never waits; here the producer retries to measure throughput */
		while (!egw_names_journal_push(p->j, &a, 1))
			_mm_pause();
		p->pushed++;
	}
	p->cycles = __rdtsc() - c0;
	return NULL;
}

/* N answers pushed by batches of 1000 at NOW, each batch drained: cycles of both in all. */
static void push_drain(struct egw_names_journal *j, struct egw_names_table *t, uint32_t n,
	uint32_t now, uint64_t *push, uint64_t *drain)
{
	struct egw_dns_answer a;

	memset(&a, 0, sizeof(a));
	*push = *drain = 0;
	for (uint32_t i = 0; i < n;) {
		uint32_t batch = 0;
		uint64_t c0 = __rdtsc();

		for (; batch < 1000 && i < n; batch++, i++) {
			answer_of(&a, i, 2);
			check(egw_names_journal_push(j, &a, now), "push");
		}
		*push += __rdtsc() - c0;
		c0 = __rdtsc();
		check(egw_names_journal_drain(j, t, batch) == batch, "drain");
		*drain += __rdtsc() - c0;
	}
}

static void bench_journal(uint32_t n)
{
	static const struct egw_names_limits lim = { 60, 64, 16000000 };
	struct egw_names_journal *j = egw_names_journal_create("hb_journal", 1u << 16, 0);
	struct egw_names_table *t = egw_names_table_create(&lim, 4);
	struct producer p = { .j = j, .n = n };
	struct egw_names_stats st;
	uint64_t push, drain;
	uint32_t merged = 0;
	pthread_t th;
	double t0;

	check(j && t, "journal");
	/* one thread: push a batch, drain it, so both costs are seen apart */
	push_drain(j, t, n, 1, &push, &drain);
	printf("journal, answers of 2 addresses, one thread, %u answers: push %.0f cycles, "
	       "drain+merge %.0f cycles per answer (%.2f M answers/s learned)\n",
		n, (double)push / n, (double)drain / n,
		bench_tsc_ghz * 1e3 * n / (double)(push + drain));
	/* the same answers again: every entry is refreshed */
	push_drain(j, t, n, 2, &push, &drain);
	printf("journal, the same answers again (refreshes): push %.0f, drain+merge %.0f cycles "
	       "per answer (%.2f M answers/s)\n",
		(double)push / n, (double)drain / n,
		bench_tsc_ghz * 1e3 * n / (double)(push + drain));
	egw_names_table_free(t);

	/* two threads: a producer and the control thread draining as it goes */
	t = egw_names_table_create(&lim, 5);
	check(t != NULL, "table");
	t0 = bench_now_ns();
	check(pthread_create(&th, NULL, produce, &p) == 0, "thread");
	while (merged < n)
		merged += egw_names_journal_drain(j, t, 256);
	pthread_join(th, NULL);
	t0 = bench_now_ns() - t0;
	egw_names_table_stats(t, &st);
	check(st.entries == 2 * n && st.records == n, "all learned");
	printf("journal, two threads, %u answers: %.2f M answers/s end to end "
	       "(push %.0f cycles per answer)\n",
		n, n * 1e3 / t0, (double)p.cycles / n);
	egw_names_table_free(t);
	egw_names_journal_free(j);
}

static uint32_t lookup_span; /* addresses looked up: twice those learned, half hit */

static void op_lookup(const void *ctx, uint32_t i)
{
	const struct egw_names_view *v = ctx;
	struct egw_names_hit hit[EGW_NAMES_LOOKUP_MAX];

	sink += egw_names_lookup(v, 0x0a000000u + (i * 2654435761u) % lookup_span, 10, hit,
		EGW_NAMES_LOOKUP_MAX);
}

static void bench_views(uint32_t entries)
{
	struct egw_names_limits lim = { 60, 64, entries };
	struct egw_names_table *t = egw_names_table_create(&lim, 6);
	struct egw_names_view *v, *v2;
	struct egw_names_stats st;
	char name[64], what[96];
	double t0, full_ms, incr_ms;

	check(t != NULL, "table");
	for (uint32_t i = 0; i < entries; i++) {
		name_of(name, sizeof(name), i);
		egw_names_table_learn(t, name, strlen(name), 0x0a000000u + i, 300, 0);
	}
	t0 = bench_now_ns();
	v = egw_names_table_view(t, 1, 0);
	full_ms = (bench_now_ns() - t0) / 1e6;
	check(v != NULL, "view");
	/* 1000 answers later: a few shards change */
	for (uint32_t i = 0; i < 1000; i++) {
		name_of(name, sizeof(name), entries + i);
		egw_names_table_learn(t, name, strlen(name), 0x0a000000u + bench_rnd(entries), 300,
			1);
	}
	t0 = bench_now_ns();
	v2 = egw_names_table_view(t, 2, 1);
	incr_ms = (bench_now_ns() - t0) / 1e6;
	check(v2 != NULL, "view");
	egw_names_table_stats(t, &st);
	printf("names %8u: view %.1f ms whole, %.2f ms after 1000 answers; table %.0f B/entry, "
	       "view %.0f B/entry\n",
		entries, full_ms, incr_ms, (double)st.bytes / st.entries,
		(double)egw_names_view_bytes(v2) / egw_names_view_entries(v2));
	lookup_span = 2 * entries;
	snprintf(what, sizeof(what), "names lookup, %u entries (half hit)", entries);
	bench_report(what, bench_measure(op_lookup, v2, 2000000, RUNS));
	egw_names_view_free(v);
	egw_names_view_free(v2);
	egw_names_table_free(t);
}

int main(int argc, char **argv)
{
	char *eal[] = { "host_bench", "--no-huge", "--no-pci", "-m", "2048", "--file-prefix",
		"egwhostbench", "--no-telemetry", "-l", "0", "--log-level", "lib.*:error", NULL };
	static const uint32_t sizes[] = { 10000, 100000, 1000000 };

	bench_smoke = argc > 1 && strcmp(argv[1], "--smoke") == 0;
	if (rte_eal_init(12, eal) < 0 || egw_policy_slots_init(&slots, "hostbench") < 0)
		return 1;
	bench_calibrate();
	printf("TSC %.2f GHz; each figure: min / median / max of %d runs\n", bench_tsc_ghz,
		bench_smoke ? 1 : RUNS);
	bench_decisions(bench_smoke ? 100 : 1000);
	if (!bench_smoke)
		bench_decisions(100000);
	bench_dns_decisions(bench_smoke ? 100 : 1000);
	if (!bench_smoke)
		bench_dns_decisions(100000);
	for (unsigned i = 0; i < 3; i++)
		learn_rate(bench_smoke ? sizes[i] / 1000 : sizes[i]);
	bench_journal(bench_smoke ? 5000 : 1000000);
	for (unsigned i = 0; i < 3; i++)
		bench_views(bench_smoke ? sizes[i] / 100 : sizes[i]);
	egw_policy_slots_fini(&slots);
	rte_eal_cleanup();
	return sink == 42;
}
