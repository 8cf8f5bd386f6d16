/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "bench_util.h"

int bench_smoke;
double bench_tsc_ghz;

double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

void bench_calibrate(void)
{
	double t0 = bench_now_ns(), t1;
	uint64_t c0 = __rdtsc();

	do
		t1 = bench_now_ns();
	while (t1 - t0 < (bench_smoke ? 2e6 : 50e6));
	bench_tsc_ghz = (double)(__rdtsc() - c0) / (t1 - t0);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct bench_stat3 bench_measure(bench_op op, const void *ctx, uint32_t iters, int runs)
{
	double v[BENCH_RUNS_MAX];

	if (bench_smoke) {
		runs = 1;
		iters = iters / 1000 + 1;
	}
	if (runs > BENCH_RUNS_MAX)
		runs = BENCH_RUNS_MAX;
	for (int r = 0; r < runs; r++) {
		uint64_t c0 = __rdtsc();

		for (uint32_t i = 0; i < iters; i++)
			op(ctx, i);
		v[r] = (double)(__rdtsc() - c0) / iters;
	}
	qsort(v, (size_t)runs, sizeof(v[0]), cmp_d);
	return (struct bench_stat3){ v[0], v[runs / 2], v[runs - 1] };
}

void bench_report(const char *what, struct bench_stat3 s)
{
	printf("%-50s %7.0f %7.0f %7.0f cycles (%4.0f ns median, %6.2f M/s)\n", what, s.min, s.med,
		s.max, s.med / bench_tsc_ghz, bench_tsc_ghz * 1e3 / s.med);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

uint32_t bench_rnd(uint32_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 33) % n;
}

void bench_host_pattern(char *out, size_t len, uint32_t i)
{
	uint32_t t = bench_rnd(1000), k = bench_rnd(100);

	if (i & 1)
		snprintf(out, len, "*.t%u.example-%u.net", t, k);
	else
		snprintf(out, len, "svc%u.t%u.example-%u.com", i, t, k);
}

void bench_host_name(char *out, size_t len, const char *pattern, bool hit, uint32_t i)
{
	if (!hit)
		snprintf(out, len, "api.svc%u.t%u.example-%u.org", i, bench_rnd(1000),
			bench_rnd(100));
	else if (pattern[0] == '*')
		snprintf(out, len, "api.v2.%s", pattern + 2);
	else
		snprintf(out, len, "%s", pattern);
}
