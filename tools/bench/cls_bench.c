/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classification cost per new flow: the tuple-space classifier against rule sets of 10, 1k
 * and 100k policies with few and with many distinct masks, the linear reference beside it
 * (same run, same keys), and the time to compile + publish a 100k-policy snapshot.
 * Prints a table; --json FILE writes the figures. Bounded: fixed key counts, no loops on time.
 */
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>

#include "policy/classifier.h"
#include "policy/slots.h"
#include "policy/snapshot.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * "few masks": every rule is source /24 -> destination /32, one port, TCP (1-2 masks).
 * "many masks": prefix lengths, port shapes and protocols vary (tens of masks).
 */
static void make_rules(struct egw_cls_rule *r, uint32_t n, int many)
{
	static const uint8_t lens[] = { 8, 12, 16, 20, 22, 24, 26, 28, 32 };
	static const uint8_t protos[] = { 0, IPPROTO_TCP, IPPROTO_UDP };

	for (uint32_t i = 0; i < n; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].src = 0xc6120000 | (uint32_t)(rnd() & 0x1ffff);
		r[i].dst = 0xcb000000 | (uint32_t)(rnd() & 0xffffff);
		r[i].order = i;
		r[i].id = i;
		r[i].priority = (int32_t)(rnd() % 100);
		if (!many) {
			r[i].src_len = 24;
			r[i].dst_len = 32;
			r[i].port_lo = r[i].port_hi = 443;
			r[i].proto = IPPROTO_TCP;
			continue;
		}
		r[i].src_len = lens[rnd() % 9];
		r[i].dst_len = lens[rnd() % 9];
		if (rnd() % 2) {
			r[i].port_lo = r[i].port_hi = (uint16_t)(1 + rnd() % 1000);
		} else {
			r[i].port_lo = 0;
			r[i].port_hi = 65535;
		}
		r[i].proto = protos[rnd() % 3];
	}
}

struct result {
	uint32_t rules, masks;
	int many;
	double ns_tss, ns_linear, hit_ratio;
	double tables_matching; /* tables per key holding a rule that matches it (sampled) */
};

/*
 * How many tables hold a rule that KEY matches: lookups no filter can avoid (every one is a
 * hash probe) unless the priorities allow an early exit. Rules here have one port or any, so
 * a shape (prefix lengths, port or not, protocol or any) is one table.
 */
static unsigned tables_matching(const struct egw_cls_rule *rules, uint32_t n,
	const struct egw_cls_key *key)
{
	static uint8_t seen[33][33][2][2];
	unsigned count = 0;

	memset(seen, 0, sizeof(seen));
	for (uint32_t i = 0; i < n; i++) {
		const struct egw_cls_rule *r = &rules[i];
		uint8_t *s;
		if (!egw_cls_rule_matches(r, key))
			continue;
		s = &seen[r->src_len][r->dst_len][r->port_lo != 0 || r->port_hi != 65535]
			 [r->proto == 0];
		count += !*s;
		*s = 1;
	}
	return count;
}

static struct result run(uint32_t n, int many, uint32_t n_keys)
{
	struct egw_cls_rule *rules = calloc(n, sizeof(*rules));
	struct egw_cls_key *keys = calloc(n_keys, sizeof(*keys));
	struct result res = { .rules = n, .many = many };
	struct egw_classifier *c;
	uint64_t t0, hits = 0, sink = 0;
	char name[32];
	uint32_t lin_keys = n_keys;

	make_rules(rules, n, many);
	snprintf(name, sizeof(name), "b%u_%d", n, many);
	c = egw_cls_build(name, rules, n);
	if (!c) {
		fprintf(stderr, "build failed\n");
		exit(1);
	}
	res.masks = egw_cls_n_masks(c);
	for (uint32_t i = 0; i < n_keys; i++) {
		/* Half the keys are drawn from rules (hits), half random (mostly misses). */
		const struct egw_cls_rule *r = &rules[rnd() % n];
		keys[i].src = (i & 1) ? r->src : 0xc6120000 | (uint32_t)(rnd() & 0x1ffff);
		keys[i].dst = (i & 1) ? r->dst : 0xcb000000 | (uint32_t)(rnd() & 0xffffff);
		keys[i].proto = IPPROTO_TCP;
		keys[i].dport = (i & 1) && r->port_lo ? r->port_lo : 443;
	}
	t0 = rte_rdtsc_precise();
	for (uint32_t i = 0; i < n_keys; i++) {
		const struct egw_cls_rule *m = egw_cls_lookup(c, &keys[i]);
		hits += m != NULL;
		sink += m ? m->id : 0;
	}
	res.ns_tss = (double)(rte_rdtsc_precise() - t0) * 1e9 / (double)rte_get_tsc_hz() / n_keys;
	res.hit_ratio = (double)hits / n_keys;
	/* The linear scan is O(rules): fewer keys at 100k rules keep the run bounded. */
	if ((uint64_t)n * lin_keys > 200000000ULL)
		lin_keys = (uint32_t)(200000000ULL / n);
	t0 = rte_rdtsc_precise();
	for (uint32_t i = 0; i < lin_keys; i++) {
		const struct egw_cls_rule *m = egw_cls_lookup_linear(rules, n, &keys[i]);
		sink += m ? m->id : 0;
	}
	res.ns_linear =
		(double)(rte_rdtsc_precise() - t0) * 1e9 / (double)rte_get_tsc_hz() / lin_keys;
	{
		uint32_t sample = lin_keys < 500 ? lin_keys : 500;
		uint64_t t = 0;
		for (uint32_t i = 0; i < sample; i++)
			t += tables_matching(rules, n, &keys[i]);
		res.tables_matching = sample ? (double)t / sample : 0;
	}
	if (sink == 42)
		puts(""); /* keeps the lookups from being optimised away */
	egw_cls_free(c);
	free(rules);
	free(keys);
	return res;
}

/* Compile (policy set -> snapshot with classifier) and publish, as a reload does. */
static double compile_publish(uint32_t n, struct egw_rcu *rcu, struct egw_policy_slots *slots)
{
	static struct egw_conf conf;
	struct egw_policy_conf *pol = calloc(n, sizeof(*pol));
	struct egw_cidr *cidr = calloc((size_t)n * 2, sizeof(*cidr));
	struct egw_policy_set ps = { .policies = pol, .n_policies = n };
	struct egw_snapshot_inputs in = { .conf = &conf,
		.policies = &ps,
		.slots = slots,
		.generation = 2 };
	struct egw_snapshot *snap;
	double t0;

	egw_conf_defaults(&conf);
	conf.egress.mode = EGW_MODE_POLICY;
	for (uint32_t i = 0; i < n; i++) {
		snprintf(pol[i].name, sizeof(pol[i].name), "p%u", i);
		cidr[2 * (size_t)i] =
			(struct egw_cidr){ 0xc6120000 | (uint32_t)((rnd() & 0x1ff) << 8), 24 };
		cidr[2 * (size_t)i + 1] =
			(struct egw_cidr){ 0xcb000000 | (uint32_t)(rnd() & 0xffffff), 32 };
		pol[i].sources = &cidr[2 * (size_t)i];
		pol[i].n_sources = 1;
		pol[i].destinations = &cidr[2 * (size_t)i + 1];
		pol[i].n_destinations = 1;
		pol[i].ports_any = true;
		pol[i].nat_none = true;
		pol[i].order = i;
	}
	t0 = now_s();
	snap = egw_snapshot_compile(&in);
	if (!snap) {
		fprintf(stderr, "compile failed\n");
		exit(1);
	}
	/* No worker reads: the replaced snapshot is freed at once, as after a grace period. */
	egw_rcu_publish(rcu, snap);
	egw_rcu_reclaim(rcu);
	t0 = now_s() - t0;
	free(pol);
	free(cidr);
	return t0;
}

int main(int argc, char **argv)
{
	char *eal[] = { "cls_bench", "--no-huge", "--no-pci", "-m", "2048", "--file-prefix",
		"egwclsbench", "--no-telemetry", "-l", "0", "--log-level", "lib.*:error", NULL };
	static const uint32_t sizes[] = { 10, 1000, 100000 };
	struct result res[6];
	struct egw_policy_slots slots;
	struct egw_rcu rcu;
	const char *json = NULL;
	uint32_t n_keys = 200000;
	double publish_s;
	int opt, k = 0;

	if (rte_eal_init(12, eal) < 0)
		return 1;
	while ((opt = getopt(argc, argv, "j:k:")) != -1) {
		if (opt == 'j')
			json = optarg;
		else if (opt == 'k')
			n_keys = (uint32_t)atoi(optarg);
	}
	for (unsigned s = 0; s < 3; s++)
		for (int many = 0; many < 2; many++)
			res[k++] = run(sizes[s], many, n_keys);
	if (egw_snapshot_rcu_init(&rcu, 1) < 0 || egw_policy_slots_init(&slots, "bench") < 0)
		return 1;
	publish_s = compile_publish(100000, &rcu, &slots);

	printf("%-8s %-6s %6s %12s %14s %8s %9s\n", "rules", "masks", "n", "tss ns/flow",
		"linear ns/flow", "hits", "matching");
	for (int i = 0; i < k; i++)
		printf("%-8u %-6s %6u %12.1f %14.1f %7.0f%% %9.1f\n", res[i].rules,
			res[i].many ? "many" : "few", res[i].masks, res[i].ns_tss, res[i].ns_linear,
			res[i].hit_ratio * 100, res[i].tables_matching);
	printf("compile + publish of 100000 policies: %.3f s\n", publish_s);
	if (json) {
		FILE *f = fopen(json, "w");
		if (!f)
			return 1;
		fprintf(f, "{\"classify\": [");
		for (int i = 0; i < k; i++)
			fprintf(f,
				"%s{\"rules\": %u, \"masks\": %u, \"shape\": \"%s\", "
				"\"tss_ns\": %.1f, \"linear_ns\": %.1f, \"hit_ratio\": %.3f, "
				"\"tables_matching\": %.1f}",
				i ? ", " : "", res[i].rules, res[i].masks,
				res[i].many ? "many" : "few", res[i].ns_tss, res[i].ns_linear,
				res[i].hit_ratio, res[i].tables_matching);
		fprintf(f, "], \"compile_publish_100k_s\": %.3f}\n", publish_s);
		fclose(f);
	}
	egw_rcu_fini(&rcu);
	egw_policy_slots_fini(&slots);
	rte_eal_cleanup();
	return 0;
}
