/* SPDX-License-Identifier: BSD-3-Clause */
#include "latency.h"

uint64_t egw_latency_count(const struct egw_latency *h)
{
	uint64_t n = 0;

	for (unsigned b = 0; b < EGW_LAT_BUCKETS; b++)
		n += h->bucket[b];
	return n;
}

uint64_t egw_latency_quantile(const struct egw_latency *h, double q)
{
	const uint64_t n = egw_latency_count(h);
	uint64_t rank, seen = 0;

	if (n == 0)
		return 0;
	/* The packet of rank ceil(q * n), counted from 1. */
	rank = (uint64_t)(q * (double)n);
	if ((double)rank < q * (double)n)
		rank++;
	rank = rank < 1 ? 1 : rank > n ? n : rank;
	for (unsigned b = 0; b < EGW_LAT_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen >= rank) {
			uint64_t lo = egw_latency_bucket_low(b);
			uint64_t hi = b + 1 < EGW_LAT_BUCKETS ? egw_latency_bucket_low(b + 1) : lo;
			return lo + (hi - lo) / 2;
		}
	}
	return 0; /* not reached: seen == n at the end */
}

void egw_latency_add(struct egw_latency *sum, const struct egw_latency *h)
{
	for (unsigned b = 0; b < EGW_LAT_BUCKETS; b++)
		sum->bucket[b] += h->bucket[b];
}
