/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_HOST_MATCH_H
#define EGW_HOST_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "hostname.h"

/*
 * The host-name half of policy matching: which rules name a host, exactly ("github.com") or by
 * a wildcard first label ("*.example.com" matches "a.example.com" and "a.b.example.com", never
 * "example.com"). Built once on the control thread from the policies' `hosts` lists,
 * immutable afterwards (it lives in the RCU-published snapshot), read by any number of
 * workers at once, freed as a whole.
 *
 * A lookup hashes the name once, right to left, which yields the hash of the whole name and
 * of every suffix after a dot; it probes one open-addressing table per candidate key (the
 * name, then "*." + each suffix) and confirms a hit against the stored name, so a crafted
 * hash collision cannot match. It returns every rule that names the host, in precedence
 * order (higher priority, then lower order): the caller checks each one's other constraints
 * (sources, destinations, ports, protocol) and stops at the first that holds.
 */
struct egw_host_pattern {
	const char *pattern; /* "name" or "*.suffix"; any case, one trailing dot allowed */
	uint32_t rule_id;    /* returned by lookups (e.g. the policy index) */
	int32_t priority;    /* higher wins */
	uint32_t order;	     /* among equal priority, lower wins (file order) */
};

/* A rule that names the host, as lookups return it. */
struct egw_host_rule {
	int32_t priority;
	uint32_t order;
	uint32_t rule_id;
};

struct egw_host_matcher;

/*
 * Builds a matcher from N patterns (copied; the same pattern may appear for several rules).
 * NULL with errno set on failure: EINVAL when a pattern is not a host name or "*.suffix"
 * (its index in *BAD when BAD is not NULL; the policy files have refused it already),
 * ENOMEM. Control thread: allocates once, in one block.
 */
struct egw_host_matcher *egw_host_match_build(const struct egw_host_pattern *p, uint32_t n,
	uint32_t *bad);
void egw_host_match_free(struct egw_host_matcher *m);

/* Distinct names and wildcards it holds; bytes of its one allocation. */
uint32_t egw_host_match_n_keys(const struct egw_host_matcher *m);
size_t egw_host_match_bytes(const struct egw_host_matcher *m);

/*
 * A lookup's candidates, consumed in precedence order by egw_host_match_next(). Lives on the
 * worker's stack (about 2 KiB); holds pointers into the matcher, so the matcher must outlive
 * it (true within one RCU read-side section).
 */
struct egw_host_match_iter {
	const struct egw_host_rule *last;
	uint32_t n;
	struct {
		const struct egw_host_rule *cur, *end;
	} list[EGW_HOSTNAME_LABELS_MAX];
};

/*
 * Finds the rules naming NAME (LEN bytes; case and one trailing dot do not matter) and
 * returns how many there are (a rule listed for the name and for a wildcard counts twice but
 * is returned once). Allocation-free; safe from any thread while M is alive.
 */
uint32_t egw_host_match_find(const struct egw_host_matcher *m, const char *name, size_t len,
	struct egw_host_match_iter *it);

/* The next rule in precedence order, or NULL when there is none left. */
const struct egw_host_rule *egw_host_match_next(struct egw_host_match_iter *it);

#endif
