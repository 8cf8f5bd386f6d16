/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL's --lcores syntax, read the way DPDK 22.11 reads it (eal_parse_lcores): items separated
 * by ',', each "LCORES" or "LCORES@CPUS", where both sides are a number, a range "a-b" (either
 * order) or a group "(a,b-c,...)". Without '@' the lcores run on the CPUs of the same numbers.
 * An lcore named twice counts once. What the daemon needs before EAL runs: how many lcores
 * (the control lcore and the workers) and which CPUs they may use.
 */
#include <errno.h>
#include <string.h>

#include <rte_config.h>

#include "conf.h"

bool egw_lcores_has_cpu(const struct egw_lcores *l, unsigned cpu)
{
	return cpu < EGW_MAX_CPUS && (l->cpus[cpu / 64] >> (cpu % 64) & 1);
}

/* A number below EGW_MAX_CPUS; NULL when there is none. */
static const char *number(const char *s, unsigned *out)
{
	unsigned v = 0, n = 0;

	while (s[n] >= '0' && s[n] <= '9') {
		v = v * 10 + (unsigned)(s[n] - '0');
		if (v >= EGW_MAX_CPUS)
			return NULL;
		n++;
	}
	if (n == 0)
		return NULL;
	*out = v;
	return s + n;
}

/* A number "a" or a range "a-b" into SET; the end of it, or NULL. */
static const char *range(const char *s, uint64_t set[EGW_MAX_CPUS / 64])
{
	unsigned a, b;

	s = number(s, &a);
	if (!s)
		return NULL;
	b = a;
	if (*s == '-' && !(s = number(s + 1, &b)))
		return NULL;
	for (unsigned i = a < b ? a : b; i <= (a < b ? b : a); i++)
		set[i / 64] |= 1ULL << (i % 64);
	return s;
}

/* "a", "a-b" or "(a,b-c,...)" into SET; the end of it, or NULL. */
static const char *set_of(const char *s, uint64_t set[EGW_MAX_CPUS / 64])
{
	memset(set, 0, EGW_MAX_CPUS / 8);
	if (*s != '(')
		return range(s, set);
	do {
		s = range(s + 1, set);
		if (!s)
			return NULL;
	} while (*s == ',');
	return *s == ')' ? s + 1 : NULL;
}

int egw_lcores_parse(const char *s, struct egw_lcores *out)
{
	uint64_t lcores[EGW_MAX_CPUS / 64], cpus[EGW_MAX_CPUS / 64];
	struct egw_lcores l = { 0 };
	uint64_t seen[EGW_MAX_CPUS / 64] = { 0 };

	if (!s || !out || !*s)
		return -EINVAL;
	for (;;) {
		s = set_of(s, lcores);
		if (!s)
			return -EINVAL;
		if (*s == '@') {
			s = set_of(s + 1, cpus);
			if (!s)
				return -EINVAL;
		} else {
			memcpy(cpus, lcores, sizeof(cpus));
		}
		for (unsigned i = 0; i < EGW_MAX_CPUS; i++) {
			if (!(lcores[i / 64] >> (i % 64) & 1))
				continue;
			if (i >= RTE_MAX_LCORE) {
				out->bad_lcore = i;
				return -ERANGE;
			}
			if (!(seen[i / 64] >> (i % 64) & 1))
				l.n_lcores++;
			seen[i / 64] |= 1ULL << (i % 64);
		}
		for (unsigned w = 0; w < EGW_MAX_CPUS / 64; w++)
			l.cpus[w] |= cpus[w];
		if (*s == '\0')
			break;
		if (*s++ != ',')
			return -EINVAL;
	}
	*out = l;
	return 0;
}
