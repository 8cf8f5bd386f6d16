/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/pipeline/latency.h: the histogram's buckets and quantiles (the data path's use of it is
 * in test_pipeline.c, test_pipeline_latency). */
#include <stdlib.h>

#include "egw_test.h"
#include "pipeline/latency.h"

static void test_latency_buckets(void)
{
	/* exact below 8, then 8 per power of two; every value in its bucket's range */
	for (uint64_t v = 0; v < 8; v++)
		CU_ASSERT_EQUAL(egw_latency_bucket(v), v);
	CU_ASSERT_EQUAL(egw_latency_bucket(8), 8);
	CU_ASSERT_EQUAL(egw_latency_bucket(15), 15);
	CU_ASSERT_EQUAL(egw_latency_bucket(16), 16);
	CU_ASSERT_EQUAL(egw_latency_bucket(17), 16);
	CU_ASSERT_EQUAL(egw_latency_bucket(18), 17);
	CU_ASSERT(egw_latency_bucket(UINT64_MAX) < EGW_LAT_BUCKETS);
	for (uint64_t v = 1; v < (1ull << 40); v = v * 3 + 1) {
		unsigned b = egw_latency_bucket(v);
		CU_ASSERT(egw_latency_bucket_low(b) <= v);
		CU_ASSERT(v < egw_latency_bucket_low(b + 1));
		/* from 8 up at most 1/8 of its values wide (below, one value each) */
		CU_ASSERT((egw_latency_bucket_low(b + 1) - egw_latency_bucket_low(b)) * 8 <=
			  RTE_MAX(egw_latency_bucket_low(b + 1), 8u));
	}
}

static void test_latency_quantiles(void)
{
	struct egw_latency *h = calloc(2, sizeof(*h)), *g = h + 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_EQUAL(egw_latency_quantile(h, 0.5), 0); /* empty */
	/* 1000 packets of 1..1000 cycles, 10 of 1,000,000 */
	for (uint64_t v = 1; v <= 1000; v++)
		h->bucket[egw_latency_bucket(v)]++;
	h->bucket[egw_latency_bucket(1000000)] += 10;
	CU_ASSERT_EQUAL(egw_latency_count(h), 1010);
	/* rank 505 is 505 cycles; rank 1000 is 1000; rank 1009 in the outliers */
	CU_ASSERT(egw_latency_quantile(h, 0.5) >= 505 - 505 / 8);
	CU_ASSERT(egw_latency_quantile(h, 0.5) <= 505 + 505 / 8);
	CU_ASSERT(egw_latency_quantile(h, 0.99) >= 1000 - 1000 / 8);
	CU_ASSERT(egw_latency_quantile(h, 0.99) <= 1000 + 1000 / 8);
	CU_ASSERT(egw_latency_quantile(h, 0.999) >= 1000000 - 1000000 / 8);
	CU_ASSERT(egw_latency_quantile(h, 0.999) <= 1000000 + 1000000 / 8);
	CU_ASSERT(egw_latency_quantile(h, 1.0) >= 1000000 - 1000000 / 8);
	CU_ASSERT(egw_latency_quantile(h, 0.0) <= 1); /* the first packet */
	/* sums add up */
	egw_latency_add(g, h);
	egw_latency_add(g, h);
	CU_ASSERT_EQUAL(egw_latency_count(g), 2020);
	CU_ASSERT_EQUAL(egw_latency_quantile(g, 0.5), egw_latency_quantile(h, 0.5));
	free(h);
}

void egw_test_register_latency(void)
{
	EGW_SUITE("latency", NULL, NULL, EGW_TEST(test_latency_buckets),
		EGW_TEST(test_latency_quantiles));
}
