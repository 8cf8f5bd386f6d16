/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host-name matcher: one open-addressing table keyed by the 64-bit hash of each distinct
 * pattern ("github.com", "*.example.com"), each key pointing at its rules sorted by
 * precedence. Everything lives in one allocation, so the snapshot frees it as a whole and
 * nothing in it is ever written after the build.
 *
 * Why our own table and not rte_hash: the key is a variable-length string and a lookup probes
 * up to one key per label; hashing right to left gives every suffix's hash in one pass over
 * the name, and the probes are independent, so their slots are prefetched together before
 * any is read (one memory latency for all of them instead of one each at 100k rules).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "host_match.h"

/* A slot holds part of the key's hash (to skip most mismatches without touching the key) and
 * the key's index + 1 (0 = empty). Tables are at most half full. */
struct hm_slot {
	uint32_t tag;
	uint32_t key;
};

struct hm_key {
	uint64_t hash;
	uint32_t name_off; /* into names[], lower case, no NUL */
	uint16_t name_len;
	uint16_t wild; /* "*.suffix" */
	uint32_t rules_first, rules_n;
};

struct egw_host_matcher {
	uint32_t mask; /* slots - 1 */
	uint32_t n_keys, n_rules;
	size_t bytes;
	const struct hm_slot *slots;
	const struct hm_key *keys;
	const struct egw_host_rule *rules;
	const char *names;
};

/* ---- hashing (right to left, lower-cased: see hostname.h) ---- */

static uint64_t hash_rtl(const char *s, size_t len)
{
	uint64_t h = EGW_HOSTNAME_HASH_INIT;

	while (len > 0)
		h = egw_hostname_hash_step(h, (uint8_t)s[--len]);
	return h;
}

static uint32_t slot_of(uint64_t h, uint32_t mask)
{
	/* FNV's low bits mix poorly: take the top bits of a multiplicative mix. */
	return (uint32_t)(((h ^ (h >> 29)) * 0x9e3779b97f4a7c15ull) >> 32) & mask;
}

/* ---- lookup ---- */

static bool same_name_nocase(const char *stored, const char *name, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((uint8_t)stored[i] != egw_hostname_lower((uint8_t)name[i]))
			return false;
	return true;
}

/* The key for hash H whose name is PREFIX ("*" or "") followed by NAME[0..LEN), or NULL. */
static const struct hm_key *probe(const struct egw_host_matcher *m, uint64_t h, bool wild,
	const char *name, size_t len)
{
	uint32_t i = slot_of(h, m->mask);

	for (;; i = (i + 1) & m->mask) {
		const struct hm_slot *s = &m->slots[i];
		const struct hm_key *k;

		if (s->key == 0)
			return NULL;
		if (s->tag != (uint32_t)h)
			continue;
		k = &m->keys[s->key - 1];
		if (k->hash != h || k->wild != wild || k->name_len != len + wild)
			continue;
		if (same_name_nocase(m->names + k->name_off + wild, name, len))
			return k;
	}
}

uint32_t egw_host_match_find(const struct egw_host_matcher *m, const char *name, size_t len,
	struct egw_host_match_iter *it)
{
	struct {
		uint64_t h;
		uint32_t at; /* the dot the wildcard's suffix starts at; len for the whole name */
	} pr[EGW_HOSTNAME_LABELS_MAX + 1];
	uint32_t n_pr = 0, total = 0;
	uint64_t h = EGW_HOSTNAME_HASH_INIT;

	it->n = 0;
	it->last = NULL;
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > EGW_HOSTNAME_MAX || m->n_keys == 0)
		return 0;
	for (size_t i = len; i-- > 0;) {
		h = egw_hostname_hash_step(h, (uint8_t)name[i]);
		/* At a dot, H is the hash of ".suffix": one more step gives "*.suffix". */
		if (name[i] == '.' && i + 1 < len && n_pr < EGW_HOSTNAME_LABELS_MAX) {
			pr[n_pr].h = egw_hostname_hash_step(h, '*');
			pr[n_pr].at = (uint32_t)i;
			n_pr++;
		}
	}
	pr[n_pr].h = h;
	pr[n_pr].at = (uint32_t)len;
	n_pr++;
	for (uint32_t p = 0; p < n_pr; p++)
		__builtin_prefetch(&m->slots[slot_of(pr[p].h, m->mask)]);
	for (uint32_t p = 0; p < n_pr; p++) {
		bool wild = pr[p].at != len;
		const char *s = wild ? name + pr[p].at : name;
		const struct hm_key *k = probe(m, pr[p].h, wild, s, wild ? len - pr[p].at : len);

		if (!k)
			continue;
		it->list[it->n].cur = &m->rules[k->rules_first];
		it->list[it->n].end = &m->rules[k->rules_first + k->rules_n];
		it->n++;
		total += k->rules_n;
	}
	return total;
}

/* Precedence: higher priority, then lower order (file order), then lower id. */
static bool before(const struct egw_host_rule *a, const struct egw_host_rule *b)
{
	if (a->priority != b->priority)
		return a->priority > b->priority;
	if (a->order != b->order)
		return a->order < b->order;
	return a->rule_id < b->rule_id;
}

static bool same_rule(const struct egw_host_rule *a, const struct egw_host_rule *b)
{
	return a->rule_id == b->rule_id && a->order == b->order && a->priority == b->priority;
}

const struct egw_host_rule *egw_host_match_next(struct egw_host_match_iter *it)
{
	for (;;) {
		const struct egw_host_rule *best = NULL;
		uint32_t bi = 0;

		for (uint32_t i = 0; i < it->n; i++) {
			const struct egw_host_rule *r = it->list[i].cur;

			if (r != it->list[i].end && (!best || before(r, best))) {
				best = r;
				bi = i;
			}
		}
		if (!best)
			return NULL;
		it->list[bi].cur++;
		/* A rule naming the host and a wildcard over it comes out of two lists. */
		if (it->last && same_rule(it->last, best))
			continue;
		it->last = best;
		return best;
	}
}

/* ---- build (control thread) ---- */

struct hm_item {
	uint64_t hash;
	uint32_t name_off, name_len;
	struct egw_host_rule rule;
};

static int item_cmp(const void *pa, const void *pb, void *pool)
{
	const struct hm_item *a = pa, *b = pb;
	const char *sort_pool = pool;
	int c;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	if (a->name_len != b->name_len)
		return a->name_len < b->name_len ? -1 : 1;
	c = memcmp(sort_pool + a->name_off, sort_pool + b->name_off, a->name_len);
	if (c)
		return c;
	if (same_rule(&a->rule, &b->rule))
		return 0;
	return before(&a->rule, &b->rule) ? -1 : 1;
}

static bool same_key(const struct hm_item *a, const struct hm_item *b, const char *pool)
{
	return a->hash == b->hash && a->name_len == b->name_len &&
	       memcmp(pool + a->name_off, pool + b->name_off, a->name_len) == 0;
}

/* Normalizes every pattern into POOL; fills ITEMS. -EINVAL with *BAD, or 0. */
static int normalize_all(const struct egw_host_pattern *p, uint32_t n, struct hm_item *items,
	char *pool, uint32_t *bad)
{
	size_t off = 0, len;

	for (uint32_t i = 0; i < n; i++) {
		const char *s = p[i].pattern ? p[i].pattern : "";

		if (egw_hostname_normalize(s, strnlen(s, EGW_HOSTNAME_MAX + 2),
			    EGW_HOSTNAME_PATTERN, pool + off, &len) != EGW_HOSTNAME_OK) {
			if (bad)
				*bad = i;
			return -EINVAL;
		}
		items[i].hash = hash_rtl(pool + off, len);
		items[i].name_off = (uint32_t)off;
		items[i].name_len = (uint32_t)len;
		items[i].rule = (struct egw_host_rule){ .priority = p[i].priority,
			.order = p[i].order,
			.rule_id = p[i].rule_id };
		off += len + 1;
	}
	return 0;
}

/* Room for every pattern normalized, each with its NUL (a pattern over 255 bytes fails). */
static size_t pool_bytes(const struct egw_host_pattern *p, uint32_t n)
{
	size_t total = 1;

	for (uint32_t i = 0; i < n; i++)
		total += strnlen(p[i].pattern ? p[i].pattern : "", EGW_HOSTNAME_MAX + 2) + 1;
	return total;
}

static size_t align8(size_t x)
{
	return (x + 7) & ~(size_t)7;
}

/* Fills M's arrays (laid out by the caller) from the sorted, de-duplicated ITEMS. */
static void fill(struct egw_host_matcher *m, struct hm_slot *slots, struct hm_key *keys,
	struct egw_host_rule *rules, char *names, const struct hm_item *items, uint32_t n,
	const char *pool)
{
	uint32_t nk = 0, nr = 0, name_off = 0;

	for (uint32_t i = 0; i < n; i++) {
		const struct hm_item *it = &items[i];

		if (i > 0 && same_key(it, &items[i - 1], pool)) {
			if (!same_rule(&it->rule, &rules[nr - 1]))
				rules[nr++] = it->rule;
			keys[nk - 1].rules_n = nr - keys[nk - 1].rules_first;
			continue;
		}
		keys[nk] = (struct hm_key){ .hash = it->hash,
			.name_off = name_off,
			.name_len = (uint16_t)it->name_len,
			.wild = pool[it->name_off] == '*',
			.rules_first = nr,
			.rules_n = 1 };
		memcpy(names + name_off, pool + it->name_off, it->name_len);
		name_off += it->name_len;
		rules[nr++] = it->rule;
		nk++;
	}
	for (uint32_t k = 0; k < nk; k++) {
		uint32_t s = slot_of(keys[k].hash, m->mask);

		while (slots[s].key)
			s = (s + 1) & m->mask;
		slots[s] = (struct hm_slot){ .tag = (uint32_t)keys[k].hash, .key = k + 1 };
	}
	m->n_keys = nk;
	m->n_rules = nr;
}

/* Distinct keys and total name bytes of the sorted ITEMS. */
static void count_keys(const struct hm_item *items, uint32_t n, const char *pool, uint32_t *n_keys,
	size_t *name_bytes)
{
	*n_keys = 0;
	*name_bytes = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (i > 0 && same_key(&items[i], &items[i - 1], pool))
			continue;
		(*n_keys)++;
		*name_bytes += items[i].name_len;
	}
}

struct egw_host_matcher *egw_host_match_build(const struct egw_host_pattern *p, uint32_t n,
	uint32_t *bad)
{
	struct hm_item *items = calloc(n ? n : 1, sizeof(*items));
	char *pool = malloc(pool_bytes(p, n));
	struct egw_host_matcher *m = NULL;
	uint32_t n_keys, cap = 16;
	size_t name_bytes, off_slots, off_keys, off_rules, off_names, total;
	uint8_t *block;
	int err = ENOMEM;

	if (!items || !pool)
		goto out;
	if (normalize_all(p, n, items, pool, bad) < 0) {
		err = EINVAL;
		goto out;
	}
	qsort_r(items, n, sizeof(*items), item_cmp, pool);
	count_keys(items, n, pool, &n_keys, &name_bytes);
	while (cap < 2 * (uint64_t)n_keys)
		cap *= 2;
	off_slots = align8(sizeof(*m));
	off_keys = off_slots + (size_t)cap * sizeof(struct hm_slot);
	off_rules = off_keys + (size_t)n_keys * sizeof(struct hm_key);
	off_names = align8(off_rules + (size_t)n * sizeof(struct egw_host_rule));
	total = off_names + name_bytes;
	block = calloc(1, total);
	if (!block)
		goto out;
	m = (struct egw_host_matcher *)block;
	m->mask = cap - 1;
	m->bytes = total;
	m->slots = (const struct hm_slot *)(block + off_slots);
	m->keys = (const struct hm_key *)(block + off_keys);
	m->rules = (const struct egw_host_rule *)(block + off_rules);
	m->names = (const char *)(block + off_names);
	fill(m, (struct hm_slot *)(block + off_slots), (struct hm_key *)(block + off_keys),
		(struct egw_host_rule *)(block + off_rules), (char *)(block + off_names), items, n,
		pool);
	err = 0;
out:
	free(items);
	items = NULL;
	free(pool);
	pool = NULL;
	if (err)
		errno = err;
	return m;
}

void egw_host_match_free(struct egw_host_matcher *m)
{
	free(m);
}

uint32_t egw_host_match_n_keys(const struct egw_host_matcher *m)
{
	return m->n_keys;
}

size_t egw_host_match_bytes(const struct egw_host_matcher *m)
{
	return m->bytes;
}
