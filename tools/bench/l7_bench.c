/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cost of reading host names on the data path: cycles per TLS ClientHello parse (a small
 * openssl hello, a 1.8 KB post-quantum-sized one, the same in three records), per HTTP
 * request head, DNS answers parsed per second (our bounded parser, and where the packages are
 * installed, ldns_wire2pkt and c-ares' ares_parse_a_reply on the same answers), and the
 * host-name matcher at 1k and 100k rules (half wildcards), hits and misses.
 *
 * Inputs are the committed test vectors (tests/unit/data). Every figure is measured RUNS
 * times (fixed iteration counts, nothing loops on time) and printed as min / median / max,
 * because the machine is shared. --smoke: a few iterations and the correctness checks only,
 * for `meson test`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "dns/dns.h"
#include "hostname/host_match.h"
#include "l7/l7.h"

#ifdef EGW_HAVE_LDNS
#include <ldns/ldns.h>
#endif
#ifdef EGW_HAVE_CARES
#include <ares.h>
#endif

#define RUNS 7

static volatile uint64_t sink;

static uint8_t *load(const char *name, size_t *len)
{
	char path[512];
	uint8_t *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", EGW_TEST_DATA, name);
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	buf = malloc((size_t)n);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		exit(1);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "l7_bench: wrong result: %s\n", what);
		exit(1);
	}
}

/* ---- TLS and HTTP ---- */

struct buf {
	const uint8_t *p;
	uint32_t n;
};

static void op_tls(const void *ctx, uint32_t i)
{
	const struct buf *b = ctx;
	struct egw_l7_tls t;

	sink += egw_l7_tls_parse(b->p, b->n, &t) + t.sni_len + i;
}

static void op_http(const void *ctx, uint32_t i)
{
	const struct buf *b = ctx;
	struct egw_l7_http h;

	sink += egw_l7_http_parse(b->p, b->n, &h) + h.host_len + i;
}

/* The large hello re-framed into three records. */
static struct buf three_records(const uint8_t *d, size_t n)
{
	static uint8_t out[8192];
	const uint8_t *msg = d + 5;
	size_t m = n - 5, at = 0, o = 0, sizes[3] = { 512, 512, m - 1024 };

	for (int r = 0; r < 3; r++) {
		out[o] = 22;
		out[o + 1] = 3;
		out[o + 2] = 1;
		out[o + 3] = (uint8_t)(sizes[r] >> 8);
		out[o + 4] = (uint8_t)sizes[r];
		memcpy(out + o + 5, msg + at, sizes[r]);
		o += 5 + sizes[r];
		at += sizes[r];
	}
	return (struct buf){ out, (uint32_t)o };
}

static void bench_tls_http(void)
{
	size_t n_small, n_large, n_http;
	uint8_t *small = load("tls_openssl.bin", &n_small);
	uint8_t *large = load("tls_pq_large.bin", &n_large);
	uint8_t *http = load("http_curl.bin", &n_http);
	struct buf b_small = { small, (uint32_t)n_small }, b_large = { large, (uint32_t)n_large };
	struct buf b_three = three_records(large, n_large), b_http = { http, (uint32_t)n_http };
	struct egw_l7_tls t;
	struct egw_l7_http h;
	char what[64];

	check(egw_l7_tls_parse(small, b_small.n, &t) == EGW_L7_DONE &&
			strcmp(t.sni, "www.example.com") == 0,
		"small hello");
	check(egw_l7_tls_parse(large, b_large.n, &t) == EGW_L7_DONE &&
			strcmp(t.sni, "api.github.com") == 0,
		"large hello");
	check(egw_l7_tls_parse(b_three.p, b_three.n, &t) == EGW_L7_DONE && t.n_records == 3 &&
			strcmp(t.sni, "api.github.com") == 0,
		"three records");
	check(egw_l7_http_parse(http, b_http.n, &h) == EGW_L7_DONE &&
			strcmp(h.host, "www.example.com") == 0,
		"http");
	snprintf(what, sizeof(what), "TLS ClientHello, openssl, %zu B", n_small);
	bench_report(what, bench_measure(op_tls, &b_small, 2000000, RUNS));
	snprintf(what, sizeof(what), "TLS ClientHello, PQ-sized, %zu B", n_large);
	bench_report(what, bench_measure(op_tls, &b_large, 1000000, RUNS));
	snprintf(what, sizeof(what), "TLS ClientHello, PQ-sized, 3 records");
	bench_report(what, bench_measure(op_tls, &b_three, 1000000, RUNS));
	snprintf(what, sizeof(what), "HTTP request head, curl, %zu B", n_http);
	bench_report(what, bench_measure(op_http, &b_http, 2000000, RUNS));
	free(small);
	free(large);
	free(http);
}

/* ---- DNS answers ---- */

struct dns_case {
	const uint8_t *r;
	uint32_t n;
	struct egw_dns_qkey key;
	unsigned want_addrs;
};

static void op_dns_ours(const void *ctx, uint32_t i)
{
	const struct dns_case *c = ctx;
	struct egw_dns_answer a;

	sink += egw_dns_parse_answer(c->r, c->n, &c->key, &a) + a.n_addrs + i;
}

#ifdef EGW_HAVE_LDNS
/* What the learner needs, with ldns: the packet, then the A records of the answer section
 * (ldns does not follow CNAME chains; this does less than ours). */
static void op_dns_ldns(const void *ctx, uint32_t i)
{
	const struct dns_case *c = ctx;
	ldns_pkt *pkt = NULL;
	unsigned n = 0;

	if (ldns_wire2pkt(&pkt, c->r, c->n) == LDNS_STATUS_OK) {
		ldns_rr_list *an = ldns_pkt_answer(pkt);

		for (size_t k = 0; k < ldns_rr_list_rr_count(an); k++) {
			ldns_rr *rr = ldns_rr_list_rr(an, k);

			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A && ldns_rr_rd_count(rr) == 1)
				n += ldns_rdf_size(ldns_rr_rdf(rr, 0)) == 4;
		}
		ldns_pkt_free(pkt);
	}
	sink += n + i;
}
#endif

#ifdef EGW_HAVE_CARES
/* c-ares 1.18 (Debian 12) has no ares_dns_parse (1.22+); ares_parse_a_reply follows the
 * CNAME chain itself and returns the addresses with TTLs. */
static void op_dns_cares(const void *ctx, uint32_t i)
{
	const struct dns_case *c = ctx;
	struct ares_addrttl ttls[EGW_DNS_LEARN_MAX];
	int n = EGW_DNS_LEARN_MAX;

	if (ares_parse_a_reply(c->r, (int)c->n, NULL, ttls, &n) != ARES_SUCCESS)
		n = 0;
	sink += (uint64_t)n + i;
}
#endif

static void bench_dns_one(const char *base, unsigned want)
{
	char qf[64], rf[64], what[80];
	size_t qn, rn;
	uint8_t *q, *r;
	struct egw_dns_question qq;
	struct egw_dns_answer a;
	struct dns_case c;

	snprintf(qf, sizeof(qf), "%s.q", base);
	snprintf(rf, sizeof(rf), "%s.r", base);
	q = load(qf, &qn);
	r = load(rf, &rn);
	check(egw_dns_parse_query(q, (uint32_t)qn, &qq) == EGW_DNS_OK, "query");
	c = (struct dns_case){ .r = r, .n = (uint32_t)rn, .key = qq.key, .want_addrs = want };
	check(egw_dns_parse_answer(r, c.n, &c.key, &a) == EGW_DNS_OK && a.n_addrs == want,
		"answer");
	snprintf(what, sizeof(what), "DNS answer %s (%zu B), egressgw", base + 4, rn);
	bench_report(what, bench_measure(op_dns_ours, &c, 2000000, RUNS));
#ifdef EGW_HAVE_LDNS
	{
		ldns_pkt *pkt = NULL;

		check(ldns_wire2pkt(&pkt, r, rn) == LDNS_STATUS_OK, "ldns parse");
		ldns_pkt_free(pkt);
		snprintf(what, sizeof(what), "DNS answer %s, ldns_wire2pkt", base + 4);
		bench_report(what, bench_measure(op_dns_ldns, &c, 200000, RUNS));
	}
#endif
#ifdef EGW_HAVE_CARES
	{
		struct ares_addrttl ttls[8];
		int n = 8;

		check(ares_parse_a_reply(r, (int)rn, NULL, ttls, &n) == ARES_SUCCESS &&
				(unsigned)n == want,
			"c-ares parse");
		snprintf(what, sizeof(what), "DNS answer %s, ares_parse_a_reply", base + 4);
		bench_report(what, bench_measure(op_dns_cares, &c, 500000, RUNS));
	}
#endif
	free(q);
	free(r);
}

static void bench_dns(void)
{
	bench_dns_one("dns_direct", 1);
	bench_dns_one("dns_cname_chain", 2);
}

/* ---- host-name matcher ---- */

struct match_case {
	const struct egw_host_matcher *m;
	char (*names)[64];
	uint32_t n_names;
};

static void op_match(const void *ctx, uint32_t i)
{
	const struct match_case *c = ctx;
	const char *name = c->names[i % c->n_names];
	struct egw_host_match_iter it;
	const struct egw_host_rule *r;

	egw_host_match_find(c->m, name, strlen(name), &it);
	/* the caller's loop: the first candidate, as when its other constraints hold */
	r = egw_host_match_next(&it);
	sink += r ? r->rule_id : i;
}

static void bench_matcher(uint32_t n_rules)
{
	enum { N_NAMES = 4096 };
	struct egw_host_pattern *p = calloc(n_rules, sizeof(*p));
	char(*pat)[64] = calloc(n_rules, sizeof(*pat));
	struct match_case hit = { 0 }, miss = { 0 };
	double t0, build_ms;
	char what[80];
	unsigned hits = 0;

	hit.names = calloc(N_NAMES, sizeof(*hit.names));
	miss.names = calloc(N_NAMES, sizeof(*miss.names));
	if (!p || !pat || !hit.names || !miss.names)
		exit(1);
	/* "svcN.tenantM.example-K.com" exact, "*.tenantM.example-K.net" wildcards */
	for (uint32_t i = 0; i < n_rules; i++) {
		bench_host_pattern(pat[i], sizeof(pat[i]), i);
		p[i] = (struct egw_host_pattern){ pat[i], i, (int32_t)bench_rnd(10), i };
	}
	t0 = bench_now_ns();
	hit.m = egw_host_match_build(p, n_rules, NULL);
	build_ms = (bench_now_ns() - t0) / 1e6;
	check(hit.m != NULL, "matcher build");
	miss.m = hit.m;
	hit.n_names = miss.n_names = N_NAMES;
	for (uint32_t i = 0; i < N_NAMES; i++) {
		const char *pt = pat[bench_rnd(n_rules)];

		/* hits: an exact name, or a name two labels under a wildcard; misses of the same
		 * shape */
		bench_host_name(hit.names[i], sizeof(hit.names[i]), pt, true, i);
		bench_host_name(miss.names[i], sizeof(miss.names[i]), pt, false, i);
	}
	for (uint32_t i = 0; i < N_NAMES; i++) {
		struct egw_host_match_iter it;

		hits += egw_host_match_find(hit.m, hit.names[i], strlen(hit.names[i]), &it) > 0;
		check(egw_host_match_find(miss.m, miss.names[i], strlen(miss.names[i]), &it) == 0,
			"miss");
	}
	check(hits == N_NAMES, "hits");
	printf("matcher %u rules: build %.1f ms, %zu bytes, %u keys\n", n_rules, build_ms,
		egw_host_match_bytes(hit.m), egw_host_match_n_keys(hit.m));
	snprintf(what, sizeof(what), "matcher %u rules, hit (half wildcards)", n_rules);
	bench_report(what, bench_measure(op_match, &hit, 2000000, RUNS));
	snprintf(what, sizeof(what), "matcher %u rules, miss (5 labels)", n_rules);
	bench_report(what, bench_measure(op_match, &miss, 2000000, RUNS));
	egw_host_match_free((struct egw_host_matcher *)hit.m);
	free(p);
	free(pat);
	free(hit.names);
	free(miss.names);
}

int main(int argc, char **argv)
{
	bench_smoke = argc > 1 && strcmp(argv[1], "--smoke") == 0;
	bench_calibrate();
	printf("TSC %.2f GHz; each figure: min / median / max of %d runs\n", bench_tsc_ghz,
		bench_smoke ? 1 : RUNS);
	bench_tls_http();
	bench_dns();
	bench_matcher(1000);
	bench_matcher(100000);
	if (sink == 42)
		puts("");
	return 0;
}
