/* SPDX-License-Identifier: BSD-3-Clause */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>

#include "egw_test.h"
#include "policy/classifier.h"

/* xorshift64*: deterministic across runs and platforms. */
static uint64_t rng_state = 0x2545f4914f6cdd1dULL;
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static int init_eal(void)
{
	return egw_test_eal_init();
}

/* Addresses drawn from a few small networks so that prefixes overlap a lot. */
static uint32_t rnd_addr(void)
{
	static const uint32_t nets[] = { 0xc6120000, 0xc6120100, 0xcb007100, 0x0a000000 };
	return nets[rnd() % 4] | (uint32_t)(rnd() % 512);
}

static const uint8_t protos[] = { 0, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP };

static void rnd_rule(struct egw_cls_rule *r, uint32_t i, unsigned n_lens)
{
	static const uint8_t lens[] = { 0, 8, 16, 23, 24, 28, 32 };
	uint32_t a = (uint32_t)(rnd() % 2000), b = (uint32_t)(rnd() % 2000);

	memset(r, 0, sizeof(*r));
	r->src = rnd_addr();
	r->dst = rnd_addr();
	/* Wildcards are rare (1 in 8) so that not every flow matches something. */
	r->src_len = rnd() % 8 ? lens[1 + rnd() % (n_lens - 1)] : 0;
	r->dst_len = rnd() % 8 ? lens[1 + rnd() % (n_lens - 1)] : 0;
	switch (rnd() % 4) {
	case 0: /* any */
		r->port_lo = 0;
		r->port_hi = 65535;
		break;
	case 1: /* one port */
		r->port_lo = r->port_hi = (uint16_t)(1 + a);
		break;
	default: /* a range */
		r->port_lo = (uint16_t)(1 + (a < b ? a : b));
		r->port_hi = (uint16_t)(1 + (a < b ? b : a));
		break;
	}
	r->proto = protos[rnd() % 4];
	r->priority = (int32_t)(rnd() % 8) - 4; /* many ties: file order must decide */
	r->order = i;
	r->id = i;
}

static void rnd_key(struct egw_cls_key *k)
{
	k->src = rnd() % 10 ? rnd_addr() : 0x64400000 | (uint32_t)(rnd() & 0xffff);
	k->dst = rnd() % 10 ? rnd_addr() : 0x64400000 | (uint32_t)(rnd() & 0xffff);
	k->proto = protos[1 + rnd() % 3];
	k->dport = k->proto == IPPROTO_ICMP ? 0 : (uint16_t)(1 + rnd() % 2100);
}

static void check_against_linear(unsigned n_rules, unsigned n_lens, unsigned n_keys, int round)
{
	struct egw_cls_rule *rules = calloc(n_rules, sizeof(*rules));
	struct egw_classifier *c;
	char name[16];
	unsigned mismatches = 0, matched = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rules);
	for (unsigned i = 0; i < n_rules; i++)
		rnd_rule(&rules[i], i, n_lens);
	snprintf(name, sizeof(name), "t%d", round);
	c = egw_cls_build(name, rules, n_rules);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (unsigned i = 0; i < n_keys; i++) {
		struct egw_cls_key k;
		const struct egw_cls_rule *got, *want;
		rnd_key(&k);
		got = egw_cls_lookup(c, &k);
		want = egw_cls_lookup_linear(rules, n_rules, &k);
		if ((got ? got->id : UINT32_MAX) != (want ? want->id : UINT32_MAX))
			mismatches++;
		matched += want != NULL;
	}
	CU_ASSERT_EQUAL(mismatches, 0);
	/* The random sets must exercise both outcomes, or the comparison proves little. */
	CU_ASSERT(matched > n_keys / 20);
	if (n_rules <= 300) /* large random sets usually contain a catch-all rule */
		CU_ASSERT(matched < n_keys);
	egw_cls_free(c);
	free(rules);
}

static void test_cls_random_vs_linear(void)
{
	int round = 0;
	/* Few masks, many masks; small and larger rule sets: >= 100k flows in all. */
	check_against_linear(10, 2, 20000, round++);
	check_against_linear(50, 7, 20000, round++);
	check_against_linear(300, 3, 20000, round++);
	check_against_linear(1000, 7, 40000, round++);
}

static void test_cls_priority_then_order(void)
{
	struct egw_cls_rule r[3] = {
		{ .src = 0xc6120100,
			.src_len = 24,
			.port_lo = 0,
			.port_hi = 65535,
			.priority = 10,
			.order = 0,
			.id = 100 },
		/* Same priority, later: loses to r[0]. */
		{ .src = 0xc6120105,
			.src_len = 32,
			.port_lo = 0,
			.port_hi = 65535,
			.priority = 10,
			.order = 1,
			.id = 101 },
		/* Higher priority, narrower port: wins where it applies. */
		{ .dst = 0xcb007100,
			.dst_len = 24,
			.port_lo = 443,
			.port_hi = 443,
			.proto = IPPROTO_TCP,
			.priority = 20,
			.order = 2,
			.id = 102 },
	};
	struct egw_classifier *c = egw_cls_build("prio", r, 3);
	struct egw_cls_key k = { .src = 0xc6120105,
		.dst = 0xcb007107,
		.dport = 443,
		.proto = IPPROTO_TCP };
	const struct egw_cls_rule *m;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	m = egw_cls_lookup(c, &k);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->id, 102);
	k.dport = 80;
	m = egw_cls_lookup(c, &k);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->id, 100);
	k.proto = IPPROTO_UDP;
	k.dport = 443;
	CU_ASSERT_EQUAL(egw_cls_lookup(c, &k)->id, 100);
	k.src = 0x0a000001;
	CU_ASSERT_PTR_NULL(egw_cls_lookup(c, &k));
	egw_cls_free(c);
}

static void test_cls_port_ranges_and_icmp(void)
{
	struct egw_cls_rule r = { .port_lo = 1000, .port_hi = 2047, .id = 7 };
	struct egw_classifier *c = egw_cls_build("ports", &r, 1);
	struct egw_cls_key k = { .src = 1, .dst = 2, .proto = IPPROTO_TCP };

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (uint32_t p = 0; p <= 65535; p++) {
		k.dport = (uint16_t)p;
		bool in = p >= 1000 && p <= 2047;
		CU_ASSERT_EQUAL(egw_cls_lookup(c, &k) != NULL, in);
		if ((egw_cls_lookup(c, &k) != NULL) != in)
			break;
	}
	/* Ports do not apply to ICMP, whatever the key's port field says. */
	k.proto = IPPROTO_ICMP;
	k.dport = 0;
	CU_ASSERT_PTR_NULL(egw_cls_lookup(c, &k));
	k.dport = 1500;
	CU_ASSERT_PTR_NULL(egw_cls_lookup(c, &k));
	egw_cls_free(c);
}

static void test_cls_masks_not_rules(void)
{
	/* 10k rules of one shape: one table, whatever their number. */
	struct egw_cls_rule *r = calloc(10000, sizeof(*r));
	struct egw_classifier *c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	for (uint32_t i = 0; i < 10000; i++)
		r[i] = (struct egw_cls_rule){ .src = 0x0a000000 + (i << 8),
			.src_len = 24,
			.port_lo = 443,
			.port_hi = 443,
			.proto = IPPROTO_TCP,
			.order = i,
			.id = i };
	c = egw_cls_build("shape", r, 10000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(egw_cls_n_masks(c), 1);
	egw_cls_free(c);
	free(r);
}

static void test_cls_bad_rule(void)
{
	struct egw_cls_rule r = { .src_len = 33, .port_lo = 0, .port_hi = 65535 };
	CU_ASSERT_PTR_NULL(egw_cls_build("bad", &r, 1));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	r.src_len = 8;
	r.port_lo = 10;
	r.port_hi = 5;
	CU_ASSERT_PTR_NULL(egw_cls_build("bad2", &r, 1));
}

void egw_test_register_classifier(void)
{
	EGW_SUITE("classifier", init_eal, NULL, EGW_TEST(test_cls_random_vs_linear),
		EGW_TEST(test_cls_priority_then_order), EGW_TEST(test_cls_port_ranges_and_icmp),
		EGW_TEST(test_cls_masks_not_rules), EGW_TEST(test_cls_bad_rule));
}
