/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_BENCH_UTIL_H
#define EGW_BENCH_UTIL_H

/*
 * What the micro-benchmarks (l7_bench, host_bench) share: per-operation costs in TSC cycles (a
 * fixed iteration count run RUNS times, nothing loops on time, reported as min / median / max
 * because the machine is shared; with bench_smoke, one short run: the correctness checks
 * only), a reproducible random sequence, and the host names their rule sets are made of.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_RUNS_MAX 15

extern int bench_smoke;
extern double bench_tsc_ghz;

double bench_now_ns(void);
/* Measures the TSC rate against CLOCK_MONOTONIC (50 ms; 2 ms with bench_smoke). */
void bench_calibrate(void);

struct bench_stat3 {
	double min, med, max;
};

typedef void (*bench_op)(const void *ctx, uint32_t i);

/* Cycles per OP(CTX, i) over ITERS calls, RUNS times (at most BENCH_RUNS_MAX). */
struct bench_stat3 bench_measure(bench_op op, const void *ctx, uint32_t iters, int runs);
/* One line: WHAT, the three figures, the median in ns and in millions per second. */
void bench_report(const char *what, struct bench_stat3 s);

/* 0 .. N-1, the same sequence at every run (xorshift64*). */
uint32_t bench_rnd(uint32_t n);

/*
 * Host-name rule I: "svcI.tJ.example-K.com", or for odd I the wildcard "*.tJ.example-K.net"
 * (half wildcards), J and K random.
 */
void bench_host_pattern(char *out, size_t len, uint32_t i);
/*
 * A name PATTERN matches (itself, or two labels under a wildcard), or with HIT false a name of
 * the same shape that no such rule can match (".org"). I varies the misses.
 */
void bench_host_name(char *out, size_t len, const char *pattern, bool hit, uint32_t i);

#endif
