/* SPDX-License-Identifier: BSD-3-Clause */
/* Learned names: the table (TTL floor, caps, expiry), views, journals, listing. */
#include <arpa/inet.h>
#include <pthread.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "conf/conf.h"
#include "dns/dns.h"
#include "egw_test.h"
#include "names/names.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static const struct egw_names_limits lim_default = { 60, 64, 1000000 };

static int learn(struct egw_names_table *t, const char *name, uint32_t addr, uint32_t ttl,
	uint32_t now)
{
	return egw_names_table_learn(t, name, strlen(name), addr, ttl, now);
}

/* The names V gives for ADDR at NOW, as "name@expiry,..." */
static const char *names_of(const struct egw_names_view *v, uint32_t addr, uint32_t now)
{
	static char out[2048];
	struct egw_names_hit hit[EGW_NAMES_LOOKUP_MAX];
	unsigned n = egw_names_lookup(v, addr, now, hit, EGW_NAMES_LOOKUP_MAX);
	size_t used = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < n; i++)
		used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%s@%u", i ? "," : "",
			hit[i].name, hit[i].expiry);
	return out;
}

/* The view built at time 0 (unless a test says otherwise) */
static uint32_t view_now;

static struct egw_names_view *view_of(struct egw_names_table *t)
{
	static uint64_t gen;
	struct egw_names_view *v = egw_names_table_view(t, ++gen, view_now);

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(egw_names_view_generation(v), gen);
	return v;
}

static void test_learn_and_lookup(void)
{
	struct egw_names_table *t = egw_names_table_create(&lim_default, 1);
	struct egw_names_view *v;
	struct egw_names_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(learn(t, "github.com", IP(140, 82, 112, 3), 300, 1000), 0);
	CU_ASSERT_EQUAL(learn(t, "GitHub.COM.", IP(140, 82, 112, 4), 30, 1000), 0);
	CU_ASSERT_EQUAL(learn(t, "api.github.com", IP(140, 82, 112, 3), 120, 1010), 0);
	/* refused: not host names, address 0 */
	CU_ASSERT_EQUAL(learn(t, "exa_mple.com", IP(1, 2, 3, 4), 300, 1000), -EINVAL);
	CU_ASSERT_EQUAL(learn(t, "", IP(1, 2, 3, 4), 300, 1000), -EINVAL);
	CU_ASSERT_EQUAL(learn(t, "*.example.com", IP(1, 2, 3, 4), 300, 1000), -EINVAL);
	CU_ASSERT_EQUAL(learn(t, "example.com", 0, 300, 1000), -EINVAL);
	CU_ASSERT_TRUE(egw_names_table_due(t, 0));
	v = view_of(t);
	CU_ASSERT_FALSE(egw_names_table_due(t, 0));
	/* latest expiry first; the TTL floor (60) lifts 30 */
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(140, 82, 112, 3), 1000),
		"github.com@1300,api.github.com@1130");
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(140, 82, 112, 4), 1000), "github.com@1060");
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(140, 82, 112, 5), 1000), "");
	/* expired names are not returned, even before the table drops them */
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(140, 82, 112, 4), 1060), "");
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(140, 82, 112, 3), 1200), "github.com@1300");
	CU_ASSERT_EQUAL(egw_names_lookup(NULL, IP(140, 82, 112, 3), 1000, NULL, 0), 0);
	CU_ASSERT_EQUAL(egw_names_view_entries(v), 3);
	CU_ASSERT(egw_names_view_bytes(v) > 0);
	egw_names_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.names, 2);
	CU_ASSERT_EQUAL(st.entries, 3);
	CU_ASSERT_EQUAL(st.addresses, 2);
	CU_ASSERT_EQUAL(st.learned, 3);
	CU_ASSERT_EQUAL(st.views, 1);
	CU_ASSERT(st.bytes > 0);
	egw_names_view_free(v);
	egw_names_table_free(t);
}

static void test_ttl_floor_and_refresh(void)
{
	struct egw_names_limits lim = { 0, 64, 100 };
	struct egw_names_table *t = egw_names_table_create(&lim, 2);
	struct egw_names_view *v;
	struct egw_names_stats st, st0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	/* no floor: TTL 0 may not be cached, so it is not learned */
	CU_ASSERT_EQUAL(learn(t, "zero.example", IP(203, 0, 113, 1), 0, 100), 0);
	CU_ASSERT_EQUAL(learn(t, "a.example", IP(203, 0, 113, 2), 5, 100), 0);
	/* over a week is cut to a week (RFC 8767 4) */
	CU_ASSERT_EQUAL(learn(t, "b.example", IP(203, 0, 113, 3), 0x7fffffff, 100), 0);
	v = view_of(t);
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(203, 0, 113, 1), 100), "");
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(203, 0, 113, 2), 100), "a.example@105");
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(203, 0, 113, 3), 100), "b.example@604900");
	egw_names_view_free(v);

	/* a longer answer extends, a shorter one does not shorten */
	CU_ASSERT_EQUAL(learn(t, "a.example", IP(203, 0, 113, 2), 50, 101), 0);
	CU_ASSERT_EQUAL(learn(t, "a.example", IP(203, 0, 113, 2), 1, 102), 0);
	egw_names_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.refreshed, 1);
	CU_ASSERT_EQUAL(st.learned, 2);
	/* a refresh is published before the published expiry (105) comes, not at once */
	CU_ASSERT_FALSE(egw_names_table_due(t, 99));
	CU_ASSERT_TRUE(egw_names_table_due(t, 100));
	view_now = 99;
	v = view_of(t);
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(203, 0, 113, 2), 100), "a.example@105");
	egw_names_view_free(v);
	egw_names_table_stats(t, &st0);
	view_now = 100;
	v = view_of(t);
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(203, 0, 113, 2), 100), "a.example@151");
	egw_names_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.shards_built, st0.shards_built + 1);
	CU_ASSERT_FALSE(egw_names_table_due(t, 140));
	egw_names_view_free(v);
	view_now = 0;

	/* a floor applies to what is learned after it is set */
	lim.min_ttl = 600;
	egw_names_table_set_limits(t, &lim);
	CU_ASSERT_EQUAL(learn(t, "c.example", IP(203, 0, 113, 4), 1, 200), 0);
	v = view_of(t);
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(203, 0, 113, 4), 200), "c.example@800");
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(203, 0, 113, 2), 100), "a.example@151");
	egw_names_view_free(v);
	egw_names_table_free(t);
}

static void test_caps_evict(void)
{
	struct egw_names_limits lim = { 0, 2, 4 };
	struct egw_names_table *t = egw_names_table_create(&lim, 3);
	struct egw_names_view *v;
	struct egw_names_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	/* per name: the third address pushes out the one closest to expiry */
	CU_ASSERT_EQUAL(learn(t, "cdn.example", IP(198, 51, 100, 1), 100, 0), 0);
	CU_ASSERT_EQUAL(learn(t, "cdn.example", IP(198, 51, 100, 2), 50, 0), 0);
	CU_ASSERT_EQUAL(learn(t, "cdn.example", IP(198, 51, 100, 3), 80, 0), 0);
	v = view_of(t);
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(198, 51, 100, 1), 0), "cdn.example@100");
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(198, 51, 100, 2), 0), "");
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(198, 51, 100, 3), 0), "cdn.example@80");
	egw_names_view_free(v);
	egw_names_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.evicted_name, 1);
	CU_ASSERT_EQUAL(st.entries, 2);

	/* in all: the fifth entry pushes out the earliest-expiring of every name */
	CU_ASSERT_EQUAL(learn(t, "x.example", IP(198, 51, 100, 9), 30, 0), 0);
	CU_ASSERT_EQUAL(learn(t, "y.example", IP(198, 51, 100, 9), 90, 0), 0);
	CU_ASSERT_EQUAL(learn(t, "z.example", IP(198, 51, 100, 10), 200, 0), 0);
	v = view_of(t);
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(198, 51, 100, 9), 0), "y.example@90");
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(198, 51, 100, 10), 0), "z.example@200");
	egw_names_view_free(v);
	egw_names_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.evicted_total, 1);
	CU_ASSERT_EQUAL(st.entries, 4);
	CU_ASSERT_EQUAL(st.names, 3); /* x.example went with its only address */

	/* the entry evicted for the total may be the learning name's own: the name stays */
	lim.max_entries = 1;
	lim.max_per_name = 1;
	egw_names_table_set_limits(t, &lim);
	egw_names_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.entries, 1);
	CU_ASSERT_EQUAL(st.evicted_total, 4);
	v = view_of(t);
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(198, 51, 100, 10), 0), "z.example@200");
	egw_names_view_free(v);
	CU_ASSERT_EQUAL(learn(t, "z.example", IP(198, 51, 100, 11), 10, 0), 0);
	egw_names_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.entries, 1);
	CU_ASSERT_EQUAL(st.names, 1);
	v = view_of(t);
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(198, 51, 100, 10), 0), "");
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(198, 51, 100, 11), 0), "z.example@10");
	egw_names_view_free(v);

	/* lowering the per-name cap evicts at once */
	lim = (struct egw_names_limits){ 0, 3, 100 };
	egw_names_table_set_limits(t, &lim);
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(learn(t, "w.example", IP(10, 0, 0, 1 + i), 10 + i, 0), 0);
	lim.max_per_name = 1;
	egw_names_table_set_limits(t, &lim);
	v = view_of(t);
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(10, 0, 0, 3), 0), "w.example@12");
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(10, 0, 0, 1), 0), "");
	egw_names_view_free(v);
	/* limits out of range are ignored */
	lim.max_per_name = 0;
	egw_names_table_set_limits(t, &lim);
	CU_ASSERT_EQUAL(learn(t, "w.example", IP(10, 0, 0, 9), 10, 0), 0);
	egw_names_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.entries, 2); /* z.example and one w.example */
	egw_names_table_free(t);

	CU_ASSERT_PTR_NULL(egw_names_table_create(&(struct egw_names_limits){ 60, 0, 10 }, 0));
	CU_ASSERT_PTR_NULL(egw_names_table_create(&(struct egw_names_limits){ 60, 1, 0 }, 0));
	CU_ASSERT_PTR_NULL(egw_names_table_create(NULL, 0));
}

static void test_expire(void)
{
	struct egw_names_table *t = egw_names_table_create(&lim_default, 4);
	struct egw_names_view *v;
	struct egw_names_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	for (uint32_t i = 0; i < 100; i++)
		CU_ASSERT_EQUAL(learn(t, i % 2 ? "odd.example" : "even.example",
					IP(10, 1, 0, i + 1), 60 + i, 0),
			0);
	v = view_of(t);
	CU_ASSERT_EQUAL(egw_names_table_expire(t, 59, 1000), 0);
	CU_ASSERT_FALSE(egw_names_table_due(t, 0));
	/* a budget bounds one call */
	CU_ASSERT_EQUAL(egw_names_table_expire(t, 109, 10), 10);
	CU_ASSERT_EQUAL(egw_names_table_expire(t, 109, 1000), 40);
	CU_ASSERT_TRUE(egw_names_table_due(t, 0));
	egw_names_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.expired, 50);
	CU_ASSERT_EQUAL(st.entries, 50);
	CU_ASSERT_EQUAL(st.addresses, 50);
	/* the old view is immutable: it still has them (its readers check expiry) */
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(10, 1, 0, 1), 0), "even.example@60");
	egw_names_view_free(v);
	v = view_of(t);
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(10, 1, 0, 1), 0), "");
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(10, 1, 0, 51), 0), "even.example@110");
	CU_ASSERT_EQUAL(egw_names_table_expire(t, 1000, 1000), 50);
	egw_names_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.names, 0);
	CU_ASSERT_EQUAL(st.entries, 0);
	CU_ASSERT_EQUAL(st.addresses, 0);
	egw_names_view_free(v);
	v = view_of(t);
	CU_ASSERT_EQUAL(egw_names_view_entries(v), 0);
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(10, 1, 0, 51), 0), "");
	egw_names_view_free(v);
	egw_names_table_free(t);
}

/*
 * Each address replaces the last one of a name capped at one: every replaced entry leaves a
 * stale node in the expiry heap, which is compacted many times over; expiry still goes in
 * order and finds only the live entries.
 */
static void test_expiry_heap_compaction(void)
{
	struct egw_names_limits lim = { 0, 1, 100000 };
	struct egw_names_table *t = egw_names_table_create(&lim, 10);
	struct egw_names_view *v;
	struct egw_names_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	for (uint32_t i = 0; i < 20000; i++)
		CU_ASSERT_EQUAL(learn(t, "one.example", IP(10, 2, i >> 8, i & 0xff) + 1, 10 + i, 0),
			0);
	CU_ASSERT_EQUAL(learn(t, "two.example", IP(10, 3, 0, 1), 5, 0), 0);
	CU_ASSERT_EQUAL(learn(t, "two.example", IP(10, 3, 0, 1), 50000, 0), 0); /* refreshed */
	egw_names_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.entries, 2);
	CU_ASSERT_EQUAL(st.evicted_name, 19999);
	CU_ASSERT_EQUAL(egw_names_table_expire(t, 20008, 100), 0);
	CU_ASSERT_EQUAL(egw_names_table_expire(t, 20009, 100), 1);
	CU_ASSERT_EQUAL(egw_names_table_expire(t, 49999, 100), 0);
	v = view_of(t);
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(10, 3, 0, 1), 0), "two.example@50000");
	egw_names_view_free(v);
	CU_ASSERT_EQUAL(egw_names_table_expire(t, 50000, 100), 1);
	egw_names_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.entries, 0);
	CU_ASSERT_EQUAL(st.names, 0);
	egw_names_table_free(t);
}

/* A new view rebuilds the shards that changed and shares the others; both stay valid. */
static void test_views_share_shards(void)
{
	struct egw_names_table *t = egw_names_table_create(&lim_default, 5);
	struct egw_names_view *a, *b;
	struct egw_names_stats st0, st1;
	char name[32];

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	for (uint32_t i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "n%u.example", i);
		CU_ASSERT_EQUAL(learn(t, name, IP(100, 64, i >> 8, i & 0xff) + 1, 300, 0), 0);
	}
	a = view_of(t);
	egw_names_table_stats(t, &st0);
	CU_ASSERT(st0.shards_built > 1);
	CU_ASSERT_EQUAL(learn(t, "new.example", IP(100, 64, 0, 1), 300, 1), 0);
	b = view_of(t);
	egw_names_table_stats(t, &st1);
	CU_ASSERT_EQUAL(st1.shards_built, st0.shards_built + 1);
	/* the old view does not see the new name, the new one does, and both see the rest */
	CU_ASSERT_STRING_EQUAL(names_of(a, IP(100, 64, 0, 1), 0), "n0.example@300");
	CU_ASSERT_STRING_EQUAL(names_of(b, IP(100, 64, 0, 1), 0), "new.example@301,n0.example@300");
	CU_ASSERT_STRING_EQUAL(names_of(a, IP(100, 64, 7, 0xd0), 0), "n1999.example@300");
	CU_ASSERT_STRING_EQUAL(names_of(b, IP(100, 64, 7, 0xd0), 0), "n1999.example@300");
	/* a second holder: the first free leaves it alive */
	CU_ASSERT_PTR_EQUAL(egw_names_view_ref(b), b);
	egw_names_view_put(b);
	CU_ASSERT_STRING_EQUAL(names_of(b, IP(100, 64, 0, 1), 0), "new.example@301,n0.example@300");
	/* freed in any order, and after the table (ASan checks the shards' references) */
	egw_names_view_free(a);
	egw_names_table_free(t);
	CU_ASSERT_STRING_EQUAL(names_of(b, IP(100, 64, 7, 0xd0), 0), "n1999.example@300");
	egw_names_view_free(b);
	egw_names_view_free(NULL);
}

/* A lookup returns at most MAX names, the latest-expiring. */
static void test_lookup_bounded(void)
{
	struct egw_names_table *t = egw_names_table_create(&lim_default, 6);
	struct egw_names_hit hit[EGW_NAMES_LOOKUP_MAX];
	struct egw_names_view *v;
	char name[32];

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	for (uint32_t i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "site%u.cdn.example", i);
		CU_ASSERT_EQUAL(learn(t, name, IP(203, 0, 113, 80), 100 + i, 0), 0);
	}
	v = view_of(t);
	CU_ASSERT_EQUAL(egw_names_lookup(v, IP(203, 0, 113, 80), 0, hit, EGW_NAMES_LOOKUP_MAX),
		EGW_NAMES_LOOKUP_MAX);
	CU_ASSERT_STRING_EQUAL(hit[0].name, "site99.cdn.example");
	CU_ASSERT_EQUAL(hit[0].len, strlen("site99.cdn.example"));
	CU_ASSERT_STRING_EQUAL(hit[15].name, "site84.cdn.example");
	CU_ASSERT_EQUAL(egw_names_lookup(v, IP(203, 0, 113, 80), 197, hit, EGW_NAMES_LOOKUP_MAX),
		2);
	egw_names_view_free(v);
	egw_names_table_free(t);
}

/* ---- a random walk against a reference model ---- */

#define REF_NAMES 40
#define REF_ADDRS 60

static uint64_t rng = 0x1234567;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

struct ref {
	uint32_t expiry[REF_NAMES][REF_ADDRS]; /* 0: none */
};

static unsigned ref_count(const struct ref *r)
{
	unsigned n = 0;

	for (unsigned i = 0; i < REF_NAMES; i++)
		for (unsigned k = 0; k < REF_ADDRS; k++)
			n += r->expiry[i][k] != 0;
	return n;
}

static void test_random_vs_reference(void)
{
	struct egw_names_limits lim = { 10, 1000, 100000 };
	struct egw_names_table *t = egw_names_table_create(&lim, 7);
	static struct ref ref;
	uint32_t now = 1000;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	memset(&ref, 0, sizeof(ref));
	for (unsigned step = 0; step < 20000; step++) {
		unsigned ni = rnd(REF_NAMES), ai = rnd(REF_ADDRS);
		uint32_t ttl = rnd(100), exp = now + (ttl < 10 ? 10 : ttl);
		char name[32];

		snprintf(name, sizeof(name), "h%u.example", ni);
		CU_ASSERT_EQUAL(learn(t, name, IP(10, 9, 0, ai + 1), ttl, now), 0);
		if (exp > ref.expiry[ni][ai])
			ref.expiry[ni][ai] = exp;
		if (step % 97 == 0) {
			now += rnd(20);
			egw_names_table_expire(t, now, 1u << 30);
			for (unsigned i = 0; i < REF_NAMES; i++)
				for (unsigned k = 0; k < REF_ADDRS; k++)
					if (ref.expiry[i][k] && ref.expiry[i][k] <= now)
						ref.expiry[i][k] = 0;
		}
		if (step % 1000 == 999) {
			struct egw_names_view *v;

			view_now = now;
			v = view_of(t);
			view_now = 0;
			struct egw_names_stats st;
			unsigned bad = 0;

			egw_names_table_stats(t, &st);
			CU_ASSERT_EQUAL(st.entries, ref_count(&ref));
			for (unsigned k = 0; k < REF_ADDRS; k++) {
				struct egw_names_hit hit[REF_NAMES];
				unsigned n = egw_names_lookup(v, IP(10, 9, 0, k + 1), now, hit,
						 REF_NAMES),
					 want = 0;

				for (unsigned i = 0; i < REF_NAMES; i++)
					want += ref.expiry[i][k] > now;
				bad += n != want;
				for (unsigned h = 0; h < n; h++) {
					unsigned i = (unsigned)atoi(hit[h].name + 1);

					bad += hit[h].expiry != ref.expiry[i][k];
					bad += h && hit[h].expiry > hit[h - 1].expiry;
				}
			}
			CU_ASSERT_EQUAL(bad, 0);
			egw_names_view_free(v);
		}
	}
	egw_names_table_free(t);
}

/* ---- journals ---- */

static void answer(struct egw_dns_answer *a, const char *name, unsigned n_addrs, uint32_t ttl)
{
	memset(a, 0, sizeof(*a));
	a->q.name_state = EGW_HOSTNAME_VALID;
	a->q.name_len = (uint8_t)strlen(name);
	memcpy(a->q.name, name, a->q.name_len + 1u);
	a->n_addrs = (uint8_t)n_addrs;
	for (unsigned i = 0; i < n_addrs; i++) {
		a->addrs[i].addr = htonl(IP(192, 0, 2, 1 + i));
		a->addrs[i].ttl = ttl + i;
	}
}

static void test_journal(void)
{
	struct egw_names_table *t;
	struct egw_names_journal *j;
	struct egw_names_view *v;
	struct egw_names_stats st;
	struct egw_dns_answer a;
	char name[EGW_HOSTNAME_MAX + 1];
	struct egw_names_hit hit[1];
	unsigned pushed = 0;

	CU_ASSERT_EQUAL_FATAL(egw_test_eal_init(), 0);
	CU_ASSERT_PTR_NULL(egw_names_journal_create("egw_nj_bad", 1000, 0)); /* not 2^n */
	CU_ASSERT_PTR_NULL(egw_names_journal_create("egw_nj_bad", 32, 0));   /* < 2 records */
	j = egw_names_journal_create("egw_nj_test", 128, 0);
	t = egw_names_table_create(&lim_default, 8);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);

	/* nothing to learn: no addresses, an error rcode, a name that is not a host name */
	answer(&a, "none.example", 0, 300);
	CU_ASSERT_FALSE(egw_names_journal_push(j, &a, 5));
	answer(&a, "nx.example", 1, 300);
	a.rcode = EGW_DNS_RCODE_NXDOMAIN;
	CU_ASSERT_FALSE(egw_names_journal_push(j, &a, 5));
	answer(&a, "bad.example", 1, 300);
	a.q.name_state = EGW_HOSTNAME_INVALID;
	CU_ASSERT_FALSE(egw_names_journal_push(j, &a, 5));
	CU_ASSERT_EQUAL(egw_names_journal_dropped(j), 0);

	/* the longest record: a 253-character name with 32 addresses (33 cells) */
	memset(name, 'a', EGW_HOSTNAME_MAX);
	for (unsigned i = 63; i < EGW_HOSTNAME_MAX; i += 64)
		name[i] = '.';
	name[EGW_HOSTNAME_MAX] = '\0';
	answer(&a, name, EGW_DNS_LEARN_MAX, 100);
	CU_ASSERT_TRUE(egw_names_journal_push(j, &a, 7));
	answer(&a, "www.example", 2, 300);
	CU_ASSERT_TRUE(egw_names_journal_push(j, &a, 9));
	/* fill it: 127 usable cells, 3 for this record (8 + 2 * 8 + 11 bytes) */
	for (unsigned i = 0; i < 100; i++)
		pushed += egw_names_journal_push(j, &a, 9);
	CU_ASSERT_EQUAL(pushed, (127 - 33 - 3) / 3);
	CU_ASSERT_EQUAL(egw_names_journal_dropped(j), 100 - pushed);

	/* a budget bounds one drain */
	CU_ASSERT_EQUAL(egw_names_journal_drain(j, t, 1), 1);
	CU_ASSERT_EQUAL(egw_names_journal_drain(j, t, 1000), 1 + pushed);
	CU_ASSERT_EQUAL(egw_names_journal_drain(j, t, 1000), 0);
	egw_names_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.records, 2 + pushed);
	CU_ASSERT_EQUAL(st.bad_records, 0);
	CU_ASSERT_EQUAL(st.entries, EGW_DNS_LEARN_MAX + 2);
	v = view_of(t);
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(192, 0, 2, 2), 10),
		"www.example@310,"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@108");
	/* the 32nd address, with its own TTL (100 + 31) */
	CU_ASSERT_EQUAL(egw_names_lookup(v, IP(192, 0, 2, 32), 10, hit, 1), 1);
	CU_ASSERT_EQUAL(hit[0].expiry, 7 + 131);
	CU_ASSERT_EQUAL(hit[0].len, EGW_HOSTNAME_MAX);
	CU_ASSERT_STRING_EQUAL(hit[0].name, name);
	egw_names_view_free(v);

	/* cells no push wrote (a name of 0 bytes, 200 addresses) are counted and skipped */
	{
		uint8_t junk[2][16] = { { 1, 0, 0, 0, 0, 1 }, { 1, 0, 0, 0, 9, 200 } };

		CU_ASSERT_EQUAL(rte_ring_sp_enqueue_bulk_elem(egw_names_journal_ring(j), junk, 16,
					2, NULL),
			2);
		answer(&a, "after.example", 1, 300);
		CU_ASSERT_TRUE(egw_names_journal_push(j, &a, 9));
		CU_ASSERT_EQUAL(egw_names_journal_drain(j, t, 1000), 3);
		egw_names_table_stats(t, &st);
		CU_ASSERT_EQUAL(st.bad_records, 2);
		CU_ASSERT_EQUAL(st.records, 3 + pushed);
	}
	egw_names_journal_free(j);
	egw_names_journal_free(NULL);
	egw_names_table_free(t);
}

/* The control loop: merged from every journal, expired, a view at most every 200 ms. */
static void test_step(void)
{
	struct egw_names_journal *j[2];
	struct egw_names_table *t = egw_names_table_create(&lim_default, 11);
	struct egw_names_step st = { 0 };
	struct egw_names_view *v;
	struct egw_names_stats s;
	struct egw_dns_answer a;

	CU_ASSERT_EQUAL_FATAL(egw_test_eal_init(), 0);
	j[0] = egw_names_journal_create("egw_nj_step0", 4096, 0);
	j[1] = egw_names_journal_create("egw_nj_step1", 4096, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j[0]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j[1]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	/* nothing learned yet: nothing to publish */
	CU_ASSERT_PTR_NULL(egw_names_step(t, j, 2, 10, 1000, &st));
	answer(&a, "w0.example", 1, 100);
	CU_ASSERT_TRUE(egw_names_journal_push(j[0], &a, 10));
	answer(&a, "w1.example", 2, 150);
	CU_ASSERT_TRUE(egw_names_journal_push(j[1], &a, 10));
	v = egw_names_step(t, j, 2, 10, 1000, &st);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(egw_names_view_generation(v), 1);
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(192, 0, 2, 1), 10), "w1.example@160,w0.example@110");
	egw_names_view_free(v);
	/* learned and merged at once, published no sooner than 200 ms later */
	answer(&a, "late.example", 1, 5);
	CU_ASSERT_TRUE(egw_names_journal_push(j[1], &a, 11));
	CU_ASSERT_PTR_NULL(egw_names_step(t, j, 2, 11, 1199, &st));
	egw_names_table_stats(t, &s);
	CU_ASSERT_EQUAL(s.records, 3);
	v = egw_names_step(t, j, 2, 11, 1200, &st);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(egw_names_view_generation(v), 2);
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(192, 0, 2, 1), 11),
		"w1.example@160,w0.example@110,late.example@71");
	egw_names_view_free(v);
	/* nothing changed: no view */
	CU_ASSERT_PTR_NULL(egw_names_step(t, j, 2, 12, 5000, &st));
	/* entries expire in the step; the change is published */
	v = egw_names_step(t, j, 2, 71, 6000, &st);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_STRING_EQUAL(names_of(v, IP(192, 0, 2, 1), 71), "w1.example@160,w0.example@110");
	egw_names_table_stats(t, &s);
	CU_ASSERT_EQUAL(s.expired, 1);
	egw_names_view_free(v);
	/* a journal fuller than one step's budget is merged over several steps */
	for (unsigned i = 0; i < 1000; i++) {
		answer(&a, "bulk.example", 1, 100);
		a.addrs[0].addr = htonl(IP(100, 64, i >> 8, i & 0xff) + 1);
		CU_ASSERT_TRUE(egw_names_journal_push(j[0], &a, 80));
	}
	v = egw_names_step(t, j, 2, 80, 7000, &st);
	egw_names_view_free(v);
	egw_names_table_stats(t, &s);
	CU_ASSERT_EQUAL(s.records, 1003);
	egw_names_journal_free(j[0]);
	egw_names_journal_free(j[1]);
	egw_names_table_free(t);
}

/* ---- views published under readers ---- */

struct view_reader {
	struct egw_names_view *const *cur; /* the published view, __atomic */
	struct rte_rcu_qsbr *q;
	int stop, online;
	uint64_t loops, hits, errors;
};

/* Names learned for address 100.64.0.K are "aK-*.example": a reader can tell a name that
 * belongs to its address from memory that was freed and reused. */
static void *view_reader_main(void *arg)
{
	struct view_reader *r = arg;

	rte_rcu_qsbr_thread_register(r->q, 0);
	rte_rcu_qsbr_thread_online(r->q, 0);
	__atomic_store_n(&r->online, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		const struct egw_names_view *v = __atomic_load_n(r->cur, __ATOMIC_ACQUIRE);

		for (uint32_t k = 0; v && k < 64; k++) {
			struct egw_names_hit hit[EGW_NAMES_LOOKUP_MAX];
			unsigned n = egw_names_lookup(v, IP(100, 64, 0, k + 1), 0, hit,
				EGW_NAMES_LOOKUP_MAX);
			char want[16];

			snprintf(want, sizeof(want), "a%u-", k + 1);
			for (unsigned i = 0; i < n; i++) {
				bool bad = strncmp(hit[i].name, want, strlen(want)) != 0 ||
					   strlen(hit[i].name) != hit[i].len;

				r->errors += bad;
			}
			r->hits += n;
		}
		r->loops++;
		rte_rcu_qsbr_quiescent(r->q, 0);
	}
	rte_rcu_qsbr_thread_offline(r->q, 0);
	rte_rcu_qsbr_thread_unregister(r->q, 0);
	return NULL;
}

/*
 * A writer learns, expires and publishes a view every step while a reader looks names up; a
 * replaced view is freed after the reader's grace period (what lib/common/rcu does), with its
 * shards shared by the next views. Under ASan, any read of a freed shard stops the test.
 */
static void test_views_under_readers(void)
{
	struct egw_names_limits lim = { 0, 4, 200 };
	struct egw_names_table *t = egw_names_table_create(&lim, 12);
	struct egw_names_view *cur = NULL, *pending[64];
	uint64_t tokens[64];
	unsigned n_pending = 0, published = 0;
	struct view_reader r = { .cur = &cur };
	struct egw_names_step st = { 0 };
	pthread_t th;

	CU_ASSERT_EQUAL_FATAL(egw_test_eal_init(), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	r.q = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.q);
	CU_ASSERT_EQUAL_FATAL(rte_rcu_qsbr_init(r.q, 1), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, view_reader_main, &r), 0);
	for (unsigned i = 0; i < 200000 && !__atomic_load_n(&r.online, __ATOMIC_ACQUIRE); i++)
		usleep(10);
	for (uint32_t step = 1; step <= 2000; step++) {
		struct egw_names_view *v;
		char name[32];

		for (unsigned k = 0; k < 8; k++) {
			uint32_t a = rnd(64) + 1;

			snprintf(name, sizeof(name), "a%u-%u.example", a, rnd(10));
			learn(t, name, IP(100, 64, 0, a), 1 + rnd(30), step / 10);
		}
		v = egw_names_step(t, NULL, 0, step / 10, step * 200ull, &st);
		if (v) {
			struct egw_names_view *old = cur;

			__atomic_store_n(&cur, v, __ATOMIC_RELEASE);
			published++;
			if (old) {
				pending[n_pending] = old;
				tokens[n_pending++] = rte_rcu_qsbr_start(r.q);
			}
		}
		/* reclaim in order; wait when the list is full (the reader keeps running) */
		while (n_pending && rte_rcu_qsbr_check(r.q, tokens[0], n_pending == 64) == 1) {
			egw_names_view_free(pending[0]);
			memmove(pending, pending + 1, --n_pending * sizeof(pending[0]));
			memmove(tokens, tokens + 1, n_pending * sizeof(tokens[0]));
		}
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(r.errors, 0);
	CU_ASSERT(r.loops > 0);
	CU_ASSERT(r.hits > 0);
	CU_ASSERT(published > 1000);
	while (n_pending)
		egw_names_view_free(pending[--n_pending]);
	egw_names_view_free(cur);
	egw_names_table_free(t);
	rte_free(r.q);
}

/* ---- listing ---- */

static void test_filter_parse(void)
{
	static const struct {
		const char *s;
		const char *err;
	} bad[] = {
		{ "address=1.2.3", "bad filter term '1.2.3': not an IPv4 address or CIDR" },
		{ "name=exa_mple.com", "bad filter term 'exa_mple.com': not a host name" },
		{ "name=*git/hub*", "bad filter term '*git/hub*': a glob of letters" },
		{ "limit=0", "bad filter term '0': limit must be 1-40" },
		{ "limit=41", "bad filter term '41': limit must be 1-40" },
		{ "ttl=5", "bad filter term 'ttl': unknown key (address name limit)" },
		{ "github.com", "bad filter term 'github.com': expected KEY=VALUE" },
		{ "=x", "bad filter term '=x': expected KEY=VALUE" },
	};
	struct egw_names_filter f;
	char err[128], longs[600];

	CU_ASSERT_EQUAL(egw_names_filter_parse(NULL, &f, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(f.limit, EGW_NAMES_LIST_DEFAULT);
	CU_ASSERT_EQUAL(egw_names_filter_parse("address=10.0.0.7/8, name=GitHub.com limit=5", &f,
				err, sizeof(err)),
		0);
	CU_ASSERT_TRUE(f.addr_on);
	CU_ASSERT_EQUAL(f.prefix, IP(10, 0, 0, 0));
	CU_ASSERT_EQUAL(f.mask, 0xff000000);
	CU_ASSERT_STRING_EQUAL(f.name, "github.com");
	CU_ASSERT_EQUAL(f.limit, 5);
	CU_ASSERT_EQUAL(egw_names_filter_parse("name=*.GitHub.*", &f, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(f.name, "*.github.*");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(egw_names_filter_parse(bad[i].s, &f, err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].err)) {
			fprintf(stderr, "\n'%s': got '%s'\n", bad[i].s, err);
			CU_FAIL("filter error");
		}
	}
	memset(longs, 'a', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	CU_ASSERT_EQUAL(egw_names_filter_parse(longs, &f, err, sizeof(err)), -EINVAL);
}

static unsigned list_all(const struct egw_names_view *v, const char *filter, uint32_t now,
	unsigned page, char *out, size_t outlen)
{
	struct egw_names_filter f;
	struct egw_names_cursor cur = { 0 };
	struct egw_names_row rows[EGW_NAMES_LIST_MAX];
	char err[128], a[16];
	unsigned total = 0, n;
	size_t used = 0;

	out[0] = '\0';
	CU_ASSERT_EQUAL_FATAL(egw_names_filter_parse(filter, &f, err, sizeof(err)), 0);
	do {
		n = egw_names_list(v, &f, now, &cur, rows, page);
		CU_ASSERT(n <= page);
		for (unsigned i = 0; i < n; i++)
			used += (size_t)snprintf(out + used, outlen - used, "%s=%s/%u ",
				rows[i].name, egw_fmt_ipv4(a, rows[i].addr), rows[i].ttl_left);
		total += n;
	} while (!cur.done);
	return total;
}

static void test_list(void)
{
	struct egw_names_table *t = egw_names_table_create(&lim_default, 9);
	struct egw_names_view *v;
	struct egw_names_cursor cur = { 0 };
	struct egw_names_filter f;
	struct egw_names_row rows[4];
	char out[4096], err[64];

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(learn(t, "github.com", IP(140, 82, 112, 3), 300, 0), 0);
	CU_ASSERT_EQUAL(learn(t, "api.github.com", IP(140, 82, 112, 5), 100, 0), 0);
	CU_ASSERT_EQUAL(learn(t, "notgithub.com", IP(203, 0, 113, 5), 200, 0), 0);
	CU_ASSERT_EQUAL(learn(t, "example.org", IP(203, 0, 113, 6), 70, 0), 0);
	v = view_of(t);
	CU_ASSERT_EQUAL(list_all(v, NULL, 10, 1, out, sizeof(out)), 4);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "github.com=140.82.112.3/290 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "example.org=203.0.113.6/60 "));
	/* expired entries are not listed */
	CU_ASSERT_EQUAL(list_all(v, "", 80, 3, out, sizeof(out)), 3);
	/* name=: the name and names under it, not names merely ending alike */
	CU_ASSERT_EQUAL(list_all(v, "name=github.com", 10, 40, out, sizeof(out)), 2);
	CU_ASSERT_PTR_NULL(strstr(out, "notgithub"));
	CU_ASSERT_EQUAL(list_all(v, "name=*github.com", 10, 40, out, sizeof(out)), 3);
	CU_ASSERT_EQUAL(list_all(v, "name=api.github.com", 10, 40, out, sizeof(out)), 1);
	CU_ASSERT_EQUAL(list_all(v, "name=com", 10, 40, out, sizeof(out)), 3);
	CU_ASSERT_EQUAL(list_all(v, "address=203.0.113.0/24", 10, 40, out, sizeof(out)), 2);
	CU_ASSERT_EQUAL(list_all(v, "address=203.0.113.5 name=*.com", 10, 40, out, sizeof(out)), 1);
	CU_ASSERT_STRING_EQUAL(out, "notgithub.com=203.0.113.5/190 ");
	CU_ASSERT_EQUAL(list_all(v, "address=198.18.0.0/15", 10, 40, out, sizeof(out)), 0);
	/* a page stops at MAX and the cursor goes on from there */
	CU_ASSERT_EQUAL(egw_names_filter_parse(NULL, &f, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(egw_names_list(v, &f, 10, &cur, rows, 3), 3);
	CU_ASSERT_FALSE(cur.done);
	CU_ASSERT_EQUAL(egw_names_list(v, &f, 10, &cur, rows, 3), 1);
	CU_ASSERT_TRUE(cur.done);
	CU_ASSERT_EQUAL(egw_names_list(v, &f, 10, &cur, rows, 3), 0);
	cur = (struct egw_names_cursor){ 0 };
	CU_ASSERT_EQUAL(egw_names_list(NULL, &f, 10, &cur, rows, 3), 0);
	CU_ASSERT_TRUE(cur.done);
	egw_names_view_free(v);
	egw_names_table_free(t);
}

void egw_test_register_names(void)
{
	EGW_SUITE("names", NULL, NULL, EGW_TEST(test_learn_and_lookup),
		EGW_TEST(test_ttl_floor_and_refresh), EGW_TEST(test_caps_evict),
		EGW_TEST(test_expire), EGW_TEST(test_expiry_heap_compaction),
		EGW_TEST(test_views_share_shards), EGW_TEST(test_lookup_bounded),
		EGW_TEST(test_random_vs_reference), EGW_TEST(test_journal), EGW_TEST(test_step),
		EGW_TEST(test_views_under_readers), EGW_TEST(test_filter_parse),
		EGW_TEST(test_list));
}
