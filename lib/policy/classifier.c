/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>

#include "classifier.h"

/*
 * A masked lookup key: what one tuple table stores. Every byte is a named field (hashed and
 * compared raw, so no padding may hold garbage), and 8-aligned: rte_hash_crc reads 8 bytes
 * at a time.
 */
struct cls_hkey {
	uint32_t src, dst;
	uint16_t port;
	uint8_t proto;
	uint8_t pad;
	uint32_t pad2;
} __attribute__((aligned(8)));

/*
 * Each table has a one-hash Bloom filter of its keys in front of it: with many masks a new
 * flow probes most tables and misses nearly all of them, and a bit test in a small L1/L2-
 * resident bitmap costs a fraction of an rte_hash lookup (hashing, bucket, signatures).
 */
#define CLS_FILTER_BITS_MIN 4096u
#define CLS_FILTER_BITS_MAX (1u << 20)

struct cls_mask {
	uint32_t src_mask, dst_mask;
	uint16_t port_mask;
	uint8_t src_len, dst_len, port_len;
	uint8_t proto_any;
	uint8_t filter_shift; /* 64 - log2(filter bits) */
	uint64_t best_rank;   /* best rank among the rules this table holds */
	uint32_t n_entries;
	uint32_t built_as;     /* its index before masks are sorted (building only) */
	uint64_t *filter;      /* Bloom filter bits, indexed by cls_filter_hash() */
	struct rte_hash *hash; /* cls_hkey -> rule index */
};

struct egw_classifier {
	struct egw_cls_rule *rules;
	uint32_t n_rules;
	struct cls_mask *masks; /* sorted by best_rank, best first */
	uint32_t n_masks;
};

/* One (rule, port block) pair before the tables are built. */
struct cls_item {
	uint32_t mask;
	uint32_t rule;
	struct cls_hkey key;
};

/* Multiplicative hash of a masked key; the top bits index the filter. */
static inline uint64_t cls_filter_hash(const struct cls_hkey *k)
{
	uint64_t x = ((uint64_t)k->src << 32 | k->dst) * 0x9e3779b97f4a7c15ULL;

	x ^= ((uint64_t)k->port << 8 | k->proto) + (x >> 29);
	return x * 0xbf58476d1ce4e5b9ULL;
}

static inline bool cls_filter_test(const struct cls_mask *m, const struct cls_hkey *k)
{
	uint64_t i = cls_filter_hash(k) >> m->filter_shift;

	return m->filter[i >> 6] & (1ULL << (i & 63));
}

static inline uint64_t rule_rank(const struct egw_cls_rule *r)
{
	/* Smaller is better: higher priority, then earlier order. */
	return ((uint64_t)((int64_t)INT32_MAX - r->priority) << 32) | r->order;
}

static inline uint32_t len_mask(uint8_t len)
{
	return len ? ~0u << (32 - len) : 0;
}

static inline uint16_t port_mask(uint8_t len)
{
	return len ? (uint16_t)(0xffffu << (16 - len)) : 0;
}

static inline bool rule_has_ports(const struct egw_cls_rule *r)
{
	return !(r->port_lo == 0 && r->port_hi == 65535);
}

/*
 * Splits [lo, hi] into aligned power-of-two blocks (base, prefix length), at most 30 for a
 * 16-bit range. Returns the number of blocks.
 */
static unsigned port_blocks(uint16_t lo, uint16_t hi, uint16_t base[32], uint8_t len[32])
{
	uint32_t a = lo, b = hi;
	unsigned n = 0;

	while (a <= b) {
		uint32_t size = 1;
		unsigned bits = 0;
		while (bits < 16 && (a & (size * 2 - 1)) == 0 && a + size * 2 - 1 <= b) {
			size *= 2;
			bits++;
		}
		base[n] = (uint16_t)a;
		len[n] = (uint8_t)(16 - bits);
		n++;
		a += size;
	}
	return n;
}

void egw_cls_free(struct egw_classifier *c)
{
	if (!c)
		return;
	for (uint32_t i = 0; i < c->n_masks; i++) {
		rte_hash_free(c->masks[i].hash);
		free(c->masks[i].filter);
	}
	free(c->masks);
	free(c->rules);
	free(c);
}

static uint32_t find_or_add_mask(struct egw_classifier *c, uint32_t *cap, uint8_t src_len,
	uint8_t dst_len, uint8_t plen, uint8_t proto_any)
{
	struct cls_mask *m;

	for (uint32_t i = 0; i < c->n_masks; i++) {
		m = &c->masks[i];
		if (m->src_len == src_len && m->dst_len == dst_len && m->port_len == plen &&
			m->proto_any == proto_any)
			return i;
	}
	if (c->n_masks == *cap) {
		uint32_t ncap = *cap ? *cap * 2 : 16;
		struct cls_mask *nm = realloc(c->masks, ncap * sizeof(*nm));
		if (!nm)
			return UINT32_MAX;
		c->masks = nm;
		*cap = ncap;
	}
	m = &c->masks[c->n_masks];
	memset(m, 0, sizeof(*m));
	m->src_len = src_len;
	m->dst_len = dst_len;
	m->port_len = plen;
	m->proto_any = proto_any;
	m->src_mask = len_mask(src_len);
	m->dst_mask = len_mask(dst_len);
	m->port_mask = port_mask(plen);
	m->best_rank = UINT64_MAX;
	return c->n_masks++;
}

static int cmp_mask_rank(const void *a, const void *b)
{
	const struct cls_mask *x = a, *y = b;
	return x->best_rank < y->best_rank ? -1 : x->best_rank > y->best_rank;
}

static int build_tables(struct egw_classifier *c, const char *name, struct cls_item *items,
	uint32_t n_items)
{
	for (uint32_t i = 0; i < c->n_masks; i++) {
		char hname[RTE_HASH_NAMESIZE];
		struct rte_hash_parameters hp = {
			.name = hname,
			.entries = c->masks[i].n_entries < 8 ? 8 : c->masks[i].n_entries,
			.key_len = sizeof(struct cls_hkey),
			.hash_func = rte_hash_crc,
			.socket_id = SOCKET_ID_ANY,
			/* Every key fits: no insertion may fail for want of a bucket slot. */
			.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
		};
		struct cls_mask *m = &c->masks[i];
		uint32_t bits = CLS_FILTER_BITS_MIN;

		/* About 16 bits per key: a false positive rate of a few percent. */
		while (bits < CLS_FILTER_BITS_MAX && bits < m->n_entries * 16u)
			bits *= 2;
		m->filter_shift = (uint8_t)(64 - __builtin_ctz(bits));
		m->filter = calloc(bits / 64, sizeof(uint64_t));
		snprintf(hname, sizeof(hname), "cls_%s_%u", name, i);
		m->hash = rte_hash_create(&hp);
		if (!m->hash || !m->filter)
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < n_items; i++) {
		struct cls_mask *m = &c->masks[items[i].mask];
		void *old;
		uint32_t rule = items[i].rule;

		/* Two rules with the same masked key: only the better one can ever match. */
		if (rte_hash_lookup_data(m->hash, &items[i].key, &old) >= 0 &&
			rule_rank(&c->rules[(uintptr_t)old]) < rule_rank(&c->rules[rule]))
			continue;
		if (rte_hash_add_key_data(m->hash, &items[i].key, (void *)(uintptr_t)rule) < 0)
			return -ENOSPC;
		{
			uint64_t b = cls_filter_hash(&items[i].key) >> m->filter_shift;
			m->filter[b >> 6] |= 1ULL << (b & 63);
		}
	}
	return 0;
}

struct egw_classifier *egw_cls_build(const char *name, const struct egw_cls_rule *rules, uint32_t n)
{
	struct egw_classifier *c = calloc(1, sizeof(*c));
	struct cls_item *items = NULL;
	uint32_t n_items = 0, cap_items = 0, cap_masks = 0;
	int rc = -ENOMEM;

	if (!c)
		goto fail;
	c->rules = malloc((n ? n : 1) * sizeof(*rules));
	if (!c->rules)
		goto fail;
	memcpy(c->rules, rules, n * sizeof(*rules));
	c->n_rules = n;
	for (uint32_t r = 0; r < n; r++) {
		const struct egw_cls_rule *rule = &c->rules[r];
		uint16_t base[32];
		uint8_t plen[32];
		unsigned nb = port_blocks(rule->port_lo, rule->port_hi, base, plen);

		if (rule->src_len > 32 || rule->dst_len > 32 || rule->port_lo > rule->port_hi) {
			rc = -EINVAL;
			goto fail;
		}
		for (unsigned b = 0; b < nb; b++) {
			uint32_t mi = find_or_add_mask(c, &cap_masks, rule->src_len, rule->dst_len,
				plen[b], rule->proto == 0);
			struct cls_mask *m;
			if (mi == UINT32_MAX)
				goto fail;
			m = &c->masks[mi];
			if (n_items == cap_items) {
				uint32_t ncap = cap_items ? cap_items * 2 : 64;
				struct cls_item *ni = realloc(items, ncap * sizeof(*ni));
				if (!ni)
					goto fail;
				items = ni;
				cap_items = ncap;
			}
			items[n_items] = (struct cls_item){ .mask = mi,
				.rule = r,
				.key = { .src = rule->src & m->src_mask,
					.dst = rule->dst & m->dst_mask,
					.port = (uint16_t)(base[b] & m->port_mask),
					.proto = rule->proto } };
			n_items++;
			m->n_entries++;
			if (rule_rank(rule) < m->best_rank)
				m->best_rank = rule_rank(rule);
		}
	}
	/* Sorting moves masks: remap the items' mask indices through a permutation. */
	{
		uint32_t *perm = calloc(c->n_masks ? c->n_masks : 1, sizeof(uint32_t));
		if (!perm)
			goto fail;
		for (uint32_t i = 0; i < c->n_masks; i++)
			c->masks[i].built_as = i;
		if (c->n_masks)
			qsort(c->masks, c->n_masks, sizeof(*c->masks), cmp_mask_rank);
		for (uint32_t i = 0; i < c->n_masks; i++)
			perm[c->masks[i].built_as] = i;
		for (uint32_t i = 0; i < n_items; i++)
			items[i].mask = perm[items[i].mask];
		free(perm);
	}
	rc = build_tables(c, name, items, n_items);
	if (rc < 0)
		goto fail;
	free(items);
	return c;
fail:
	free(items);
	egw_cls_free(c);
	rte_errno = -rc;
	return NULL;
}

const struct egw_cls_rule *egw_cls_lookup(const struct egw_classifier *c,
	const struct egw_cls_key *key)
{
	const struct egw_cls_rule *best = NULL;
	uint64_t best_rank = UINT64_MAX;

	for (uint32_t i = 0; i < c->n_masks; i++) {
		const struct cls_mask *m = &c->masks[i];
		struct cls_hkey hk;
		void *v;

		/* Masks are sorted by their best rule: none further on can win. */
		if (m->best_rank >= best_rank)
			break;
		/* Port rules are about TCP and UDP; an ICMP flow has no port to match. */
		if (m->port_len && key->proto == IPPROTO_ICMP)
			continue;
		hk.src = key->src & m->src_mask;
		hk.dst = key->dst & m->dst_mask;
		hk.port = key->dport & m->port_mask;
		hk.proto = m->proto_any ? 0 : key->proto;
		hk.pad = 0;
		hk.pad2 = 0;
		if (!cls_filter_test(m, &hk))
			continue;
		if (rte_hash_lookup_data(m->hash, &hk, &v) >= 0) {
			const struct egw_cls_rule *r = &c->rules[(uintptr_t)v];
			uint64_t rank = rule_rank(r);
			if (rank < best_rank) {
				best = r;
				best_rank = rank;
			}
		}
	}
	return best;
}

uint32_t egw_cls_n_masks(const struct egw_classifier *c)
{
	return c->n_masks;
}

const struct egw_cls_rule *egw_cls_rules(const struct egw_classifier *c, uint32_t *n)
{
	*n = c->n_rules;
	return c->rules;
}

bool egw_cls_rule_matches(const struct egw_cls_rule *r, const struct egw_cls_key *key)
{
	if ((key->src & len_mask(r->src_len)) != (r->src & len_mask(r->src_len)))
		return false;
	if ((key->dst & len_mask(r->dst_len)) != (r->dst & len_mask(r->dst_len)))
		return false;
	if (r->proto && r->proto != key->proto)
		return false;
	return !rule_has_ports(r) ||
	       (key->proto != IPPROTO_ICMP && key->dport >= r->port_lo && key->dport <= r->port_hi);
}

const struct egw_cls_rule *egw_cls_lookup_linear(const struct egw_cls_rule *rules, uint32_t n,
	const struct egw_cls_key *key)
{
	const struct egw_cls_rule *best = NULL;

	for (uint32_t i = 0; i < n; i++) {
		const struct egw_cls_rule *r = &rules[i];
		if (egw_cls_rule_matches(r, key) && (!best || rule_rank(r) < rule_rank(best)))
			best = r;
	}
	return best;
}
