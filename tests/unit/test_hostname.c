/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/hostname: the name syntax shared by the policy files and the data path, and the
 * host-name matcher (exact names, "*.suffix" wildcards, precedence), checked against a linear
 * reference on a large random rule set.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egw_test.h"
#include "hostname/host_match.h"
#include "hostname/hostname.h"

/* ---- normalize ---- */

static enum egw_hostname_err norm(const char *s, unsigned flags, char *out)
{
	size_t len = 12345;
	enum egw_hostname_err e = egw_hostname_normalize(s, strlen(s), flags, out, &len);

	if (e == EGW_HOSTNAME_OK)
		CU_ASSERT_EQUAL(len, strlen(out));
	return e;
}

static void test_normalize_valid(void)
{
	static const struct {
		const char *in, *out;
		unsigned flags;
	} ok[] = {
		{ "github.com", "github.com", 0 },
		{ "WWW.Example.COM", "www.example.com", 0 },
		{ "example.com.", "example.com", 0 },
		{ "xn--bcher-kva.example", "xn--bcher-kva.example", 0 },
		{ "a-1.b2", "a-1.b2", 0 },
		{ "localhost", "localhost", 0 },
		{ "*.Example.com.", "*.example.com", EGW_HOSTNAME_PATTERN },
		{ "*.com", "*.com", EGW_HOSTNAME_PATTERN },
		{ "plain.name", "plain.name", EGW_HOSTNAME_PATTERN },
	};
	char out[EGW_HOSTNAME_MAX + 1];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		CU_ASSERT_EQUAL(norm(ok[i].in, ok[i].flags, out), EGW_HOSTNAME_OK);
		CU_ASSERT_STRING_EQUAL(out, ok[i].out);
	}
}

static void test_normalize_invalid(void)
{
	static const struct {
		const char *in;
		unsigned flags;
		enum egw_hostname_err err;
	} bad[] = {
		{ "", 0, EGW_HOSTNAME_E_LABEL },
		{ ".", 0, EGW_HOSTNAME_E_LABEL },
		{ "a..b", 0, EGW_HOSTNAME_E_LABEL },
		{ ".a", 0, EGW_HOSTNAME_E_LABEL },
		{ "a.b..", 0, EGW_HOSTNAME_E_LABEL },
		{ "exa_mple.com", 0, EGW_HOSTNAME_E_CHAR },
		{ "ex ample.com", 0, EGW_HOSTNAME_E_CHAR },
		{ "b\xc3\xbc"
		  "cher.example",
			0, EGW_HOSTNAME_E_CHAR }, /* UTF-8, not punycode */
		{ "[::1]", 0, EGW_HOSTNAME_E_CHAR },
		{ "*.example.com", 0, EGW_HOSTNAME_E_CHAR }, /* names take no '*' */
		{ "*", EGW_HOSTNAME_PATTERN, EGW_HOSTNAME_E_WILDCARD },
		{ "*.", EGW_HOSTNAME_PATTERN,
			EGW_HOSTNAME_E_WILDCARD }, /* "*" and a trailing dot */
		{ "*a.example.com", EGW_HOSTNAME_PATTERN, EGW_HOSTNAME_E_WILDCARD },
		{ "a.*.com", EGW_HOSTNAME_PATTERN, EGW_HOSTNAME_E_WILDCARD },
		{ "*.*.com", EGW_HOSTNAME_PATTERN, EGW_HOSTNAME_E_WILDCARD },
	};
	char out[EGW_HOSTNAME_MAX + 1];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum egw_hostname_err e = norm(bad[i].in, bad[i].flags, out);
		if (e != bad[i].err)
			fprintf(stderr, "\n'%s': got %d want %d\n", bad[i].in, e, bad[i].err);
		CU_ASSERT_EQUAL(e, bad[i].err);
		CU_ASSERT_STRING_NOT_EQUAL(egw_hostname_strerror(e), "is a host name");
	}
}

static void test_normalize_limits(void)
{
	char name[300], out[EGW_HOSTNAME_MAX + 1];
	size_t len;

	/* 63-byte label yes, 64 no */
	memset(name, 'a', 63);
	strcpy(name + 63, ".com");
	CU_ASSERT_EQUAL(norm(name, 0, out), EGW_HOSTNAME_OK);
	memset(name, 'a', 64);
	strcpy(name + 64, ".com");
	CU_ASSERT_EQUAL(norm(name, 0, out), EGW_HOSTNAME_E_LABEL);
	/* 253 characters yes (with or without the trailing dot), 254 no */
	for (int i = 0; i < 253; i++)
		name[i] = (i % 2) ? '.' : 'a';
	name[253] = '\0';
	CU_ASSERT_EQUAL(norm(name, 0, out), EGW_HOSTNAME_OK);
	name[253] = '.';
	name[254] = '\0';
	CU_ASSERT_EQUAL(norm(name, 0, out), EGW_HOSTNAME_OK);
	CU_ASSERT_EQUAL(strlen(out), 253);
	name[253] = 'b';
	CU_ASSERT_EQUAL(norm(name, 0, out), EGW_HOSTNAME_E_LONG);
	/* in place, and only LEN bytes are read */
	strcpy(name, "Mixed.Case.ORG.trailing");
	CU_ASSERT_EQUAL(egw_hostname_normalize(name, 15, 0, name, &len), EGW_HOSTNAME_OK);
	CU_ASSERT_EQUAL(len, 14);
	CU_ASSERT_STRING_EQUAL(name, "mixed.case.org");
}

/* ---- matcher ---- */

/* Every rule the iterator yields, in order, as ids; returns how many. */
static unsigned collect(const struct egw_host_matcher *m, const char *name, uint32_t *ids,
	unsigned max)
{
	struct egw_host_match_iter it;
	const struct egw_host_rule *r;
	unsigned n = 0;

	egw_host_match_find(m, name, strlen(name), &it);
	while ((r = egw_host_match_next(&it)) != NULL) {
		if (n < max)
			ids[n] = r->rule_id;
		n++;
	}
	return n;
}

#define EXPECT_IDS(m, name, ...)                                                                   \
	do {                                                                                       \
		static const uint32_t want_[] = { __VA_ARGS__ };                                   \
		uint32_t got_[16];                                                                 \
		unsigned n_ = collect(m, name, got_, 16);                                          \
		unsigned w_ = sizeof(want_) / sizeof(want_[0]);                                    \
		CU_ASSERT_EQUAL(n_, w_);                                                           \
		for (unsigned i_ = 0; i_ < n_ && i_ < w_; i_++)                                    \
			CU_ASSERT_EQUAL(got_[i_], want_[i_]);                                      \
	} while (0)

static const struct egw_host_pattern basic[] = {
	{ "github.com", 1, 10, 5 }, { "*.github.com", 2, 20, 3 }, { "*.com", 3, 5, 1 },
	{ "api.github.com", 4, 20, 1 }, { "API.GitHub.com.", 5, 20, 2 },
	{ "*.githubusercontent.com", 6, 0, 7 },
	{ "api.github.com", 4, 20, 1 }, /* the same rule twice: once */
};

static void test_match_exact_and_wildcard(void)
{
	struct egw_host_matcher *m = egw_host_match_build(basic, 7, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(egw_host_match_n_keys(m), 5);
	/* exact names and every wildcard above the name, by priority then order */
	EXPECT_IDS(m, "api.github.com", 4, 5, 2, 3);
	/* the apex: the wildcard "*.github.com" does not cover "github.com" */
	EXPECT_IDS(m, "github.com", 1, 3);
	/* deeper names: a wildcard covers any number of labels */
	EXPECT_IDS(m, "a.b.c.github.com", 2, 3);
	EXPECT_IDS(m, "raw.githubusercontent.com", 3, 6);
	EXPECT_IDS(m, "githubusercontent.com", 3);
	/* case and one trailing dot do not matter */
	EXPECT_IDS(m, "API.GITHUB.COM.", 4, 5, 2, 3);
	EXPECT_IDS(m, "GitHub.Com", 1, 3);
	/* nothing: the TLD itself, other TLDs, suffix look-alikes, empty, two dots */
	EXPECT_IDS(m, "com");
	EXPECT_IDS(m, "github.org");
	EXPECT_IDS(m, "notgithub.org");
	EXPECT_IDS(m, "");
	EXPECT_IDS(m, ".");
	EXPECT_IDS(m, "github.com..");
	EXPECT_IDS(m, "xgithub.co");
	/* a literal "*" label in a looked-up name is just a label under "*.com" */
	EXPECT_IDS(m, "*.github.com", 2, 3);
	egw_host_match_free(m);
}

static void test_match_duplicates_once(void)
{
	/* rule 7 names the host and a wildcard over it: returned once */
	static const struct egw_host_pattern p[] = {
		{ "a.example.com", 7, 1, 1 },
		{ "*.example.com", 7, 1, 1 },
		{ "*.example.com", 8, 1, 2 },
		{ "a.example.com", 9, 1, 0 },
	};
	struct egw_host_matcher *m = egw_host_match_build(p, 4, NULL);
	struct egw_host_match_iter it;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(egw_host_match_find(m, "a.example.com", 13, &it), 4);
	EXPECT_IDS(m, "a.example.com", 9, 7, 8);
	EXPECT_IDS(m, "b.example.com", 7, 8);
	egw_host_match_free(m);
}

static void test_match_errors(void)
{
	static const char *bad[] = { "a..com", "*", "a.*.com", "exa_mple.com", "", NULL };
	struct egw_host_pattern p[2] = { { "ok.com", 1, 0, 0 } };
	struct egw_host_matcher *m;
	uint32_t at = 99;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p[1].pattern = bad[i];
		errno = 0;
		m = egw_host_match_build(p, 2, &at);
		CU_ASSERT_PTR_NULL(m);
		CU_ASSERT_EQUAL(errno, EINVAL);
		CU_ASSERT_EQUAL(at, 1);
		egw_host_match_free(m);
	}
	/* an empty matcher matches nothing */
	m = egw_host_match_build(NULL, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	EXPECT_IDS(m, "anything.com");
	CU_ASSERT(egw_host_match_bytes(m) > 0);
	egw_host_match_free(m);
	egw_host_match_free(NULL);
}

/* ---- against a linear reference on 20k random rules (half wildcards) ---- */

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static const char *const words[] = { "api", "www", "cdn", "a", "b", "x1", "edge", "eu", "us",
	"static", "img", "mail" };
static const char *const tlds[] = { "com", "net", "org", "io" };

static void rand_name(char *out, size_t cap, unsigned labels)
{
	size_t n = 0;

	for (unsigned i = 0; i < labels; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%u.", words[rnd(12)], rnd(40));
	snprintf(out + n, cap - n, "%s", tlds[rnd(4)]);
}

/* Does PATTERN (normalized) match NAME (normalized)? The spec, written plainly. */
static int ref_match(const char *pattern, const char *name)
{
	size_t pl = strlen(pattern), nl = strlen(name);

	if (pattern[0] != '*')
		return strcmp(pattern, name) == 0;
	/* "*.suffix": the name ends with ".suffix" and has at least one label before it */
	return nl > pl - 1 && strcmp(name + nl - (pl - 1), pattern + 1) == 0;
}

static int ref_cmp(const void *a, const void *b)
{
	const struct egw_host_pattern *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return 0;
}

static void test_match_vs_reference(void)
{
	enum { N = 20000, LOOKUPS = 3000 };
	struct egw_host_pattern *p = calloc(N, sizeof(*p));
	char(*names)[96] = calloc(N, sizeof(*names));
	struct egw_host_matcher *m;
	unsigned hits = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(names);
	for (uint32_t i = 0; i < N; i++) {
		rand_name(names[i] + 2, sizeof(names[i]) - 2, 1 + rnd(2));
		if (i % 2) {
			names[i][0] = '*';
			names[i][1] = '.';
		}
		p[i] = (struct egw_host_pattern){ .pattern = (i % 2) ? names[i] : names[i] + 2,
			.rule_id = i,
			.priority = (int32_t)rnd(5),
			.order = i };
	}
	m = egw_host_match_build(p, N, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	/* Sorted by precedence, so the reference's matches come out in the expected order. */
	qsort(p, N, sizeof(*p), ref_cmp);
	for (unsigned l = 0; l < LOOKUPS; l++) {
		char name[128];
		uint32_t got[64], want[64];
		unsigned n_got, n_want = 0;

		/* deeper than the patterns, so that wildcards match at several levels */
		rand_name(name, sizeof(name), 1 + rnd(4));
		n_got = collect(m, name, got, 64);
		for (uint32_t i = 0; i < N; i++)
			if (ref_match(p[i].pattern, name) && n_want < 64)
				want[n_want++] = p[i].rule_id;
		CU_ASSERT_EQUAL(n_got, n_want);
		for (unsigned i = 0; i < n_got && i < n_want && i < 64; i++)
			CU_ASSERT_EQUAL(got[i], want[i]);
		hits += n_want > 0;
	}
	/* the random names must exercise hits as well as misses */
	CU_ASSERT(hits > LOOKUPS / 20);
	CU_ASSERT(hits < LOOKUPS);
	egw_host_match_free(m);
	free(p);
	free(names);
}

void egw_test_register_hostname(void)
{
	EGW_SUITE("hostname", NULL, NULL, EGW_TEST(test_normalize_valid),
		EGW_TEST(test_normalize_invalid), EGW_TEST(test_normalize_limits),
		EGW_TEST(test_match_exact_and_wildcard), EGW_TEST(test_match_duplicates_once),
		EGW_TEST(test_match_errors), EGW_TEST(test_match_vs_reference));
}
