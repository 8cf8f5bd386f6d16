/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "flow_index.h"

/* Where a key may live, and its signature. */
struct fi_place {
	uint32_t prim, sec;
	uint16_t sig;
};

static inline struct fi_place place(const struct egw_flow_index *ix, const struct egw_flow_key *key)
{
	const uint64_t *k = (const uint64_t *)key;
	uint32_t h = rte_hash_crc_8byte(k[1], rte_hash_crc_8byte(k[0], 0)), h2;

	/* CRC is linear: keys that differ in a few structured fields (consecutive addresses and
	 * ports) map onto a subspace and crowd some buckets. A multiply-xorshift finalizer
	 * (MurmurHash3's) makes every output bit depend on every input bit. */
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	/* A second hash for the signature and the other bucket: the high bits of H choose the
	 * primary, so bucket-mates share them and they would make a poor signature. */
	h2 = rte_hash_crc_4byte(h, 0x9e3779b9);
	h2 *= 0x9e3779b1u;
	struct fi_place p = { .prim = (uint32_t)(((uint64_t)h * ix->n_buckets) >> 32),
		.sig = (uint16_t)(h2 >> 16) };

	/* Multiply-shift maps a 32-bit hash onto any number of buckets (Lemire). */
	p.sec = (uint32_t)(((uint64_t)(h ^ h2) * ix->n_buckets) >> 32);
	if (p.sec == p.prim)
		p.sec = p.prim + 1 == ix->n_buckets ? 0 : p.prim + 1;
	return p;
}

/* The key of stored value V, from its record. */
static inline void key_of(const struct egw_flow_index *ix, uint32_t stored,
	struct egw_flow_key *key)
{
	const uint32_t v = stored - 1;
	const struct egw_flow *f = &ix->records[EGW_FLOW_VAL_IDX(v)];

	if (EGW_FLOW_VAL_DIR(v) == EGW_DIR_REPLY)
		egw_flow_reply_key(f, key);
	else
		*key = f->orig;
}

/* Does the record the stored value names hold KEY? */
static inline bool confirm(const struct egw_flow_index *ix, uint32_t stored,
	const struct egw_flow_key *key)
{
	struct egw_flow_key have;

	key_of(ix, stored, &have);
	return memcmp(&have, key, sizeof(*key)) == 0;
}

/*
 * Bit s set when slot s of B carries signature SIG (a free slot may still carry an old one:
 * the caller checks the value). All ten compared at once: a loop over the slots would leave
 * at the matching one, a branch no predictor can learn (about one miss per packet).
 */
static inline uint32_t sig_matches(const struct egw_fi_bucket *b, uint16_t sig)
{
#if defined(__SSE2__)
	_Static_assert(EGW_FI_SLOTS == 10, "two overlapping 8-lane loads cover slots 0-9");
	const __m128i want = _mm_set1_epi16((short)sig);
	const __m128i lo = _mm_loadu_si128((const __m128i *)(const void *)&b->sig[0]);
	const __m128i hi = _mm_loadu_si128((const __m128i *)(const void *)&b->sig[2]);
	/* Bytes 0-7: slots 0-7; bytes 8-15: slots 2-9, of which 14 and 15 are slots 8 and 9. */
	const uint32_t m = (uint32_t)_mm_movemask_epi8(
		_mm_packs_epi16(_mm_cmpeq_epi16(lo, want), _mm_cmpeq_epi16(hi, want)));

	return (m & 0xffu) | ((m >> 6) & 0x300u);
#else
	uint32_t m = 0;

	for (unsigned s = 0; s < EGW_FI_SLOTS; s++)
		m |= (uint32_t)(b->sig[s] == sig) << s;
	return m;
#endif
}

/* The slot of KEY in bucket B, or -1. */
static inline int find_in(const struct egw_flow_index *ix, const struct egw_fi_bucket *b,
	uint16_t sig, const struct egw_flow_key *key)
{
	for (uint32_t m = sig_matches(b, sig); m; m &= m - 1) {
		int s = __builtin_ctz(m);

		if (b->val[s] && confirm(ix, b->val[s], key))
			return s;
	}
	return -1;
}

static uint32_t n_buckets(uint32_t keys)
{
	/* At most half the slots in use when every key is in. */
	return RTE_MAX((uint32_t)(((uint64_t)keys + EGW_FI_SLOTS / 2 - 1) / (EGW_FI_SLOTS / 2)),
		2u);
}

size_t egw_flow_index_bytes(uint32_t keys)
{
	return (size_t)n_buckets(keys) * sizeof(struct egw_fi_bucket);
}

int egw_flow_index_init(struct egw_flow_index *ix, uint32_t keys, const struct egw_flow *records,
	int socket)
{
	size_t bytes = egw_flow_index_bytes(keys);

	ix->buckets = rte_zmalloc_socket("egw_flow_index", bytes, RTE_CACHE_LINE_SIZE, socket);
	if (!ix->buckets)
		return -ENOMEM;
	ix->n_buckets = n_buckets(keys);
	ix->records = records;
	return 0;
}

void egw_flow_index_fini(struct egw_flow_index *ix)
{
	rte_free(ix->buckets);
	ix->buckets = NULL;
}

int egw_flow_index_lookup(const struct egw_flow_index *ix, const struct egw_flow_key *key,
	uint32_t *value)
{
	const struct fi_place p = place(ix, key);
	const struct egw_fi_bucket *b = &ix->buckets[p.prim];
	int s = find_in(ix, b, p.sig, key);

	if (s < 0 && b->spilled) {
		b = &ix->buckets[p.sec];
		s = find_in(ix, b, p.sig, key);
	}
	if (s < 0)
		return -ENOENT;
	*value = b->val[s] - 1;
	return 0;
}

/*
 * A bulk lookup without its confirmations, so that the misses of a burst overlap: every
 * primary bucket requested, then every candidate record (*CAND: the stored value of the first
 * slot whose signature matches, or 0). Returns the keys that may be present: a candidate, or a
 * primary bucket that spilled. The caller confirms each (flow_table.h egw_flow_confirm).
 */
uint64_t egw_flow_index_candidates_bulk(const struct egw_flow_index *ix,
	const struct egw_flow_key **keys, unsigned n, uint32_t *cand)
{
	struct fi_place p[64];
	uint64_t maybe = 0;

	for (unsigned i = 0; i < n; i++) {
		p[i] = place(ix, keys[i]);
		rte_prefetch0(&ix->buckets[p[i].prim]);
	}
	for (unsigned i = 0; i < n; i++) {
		const struct egw_fi_bucket *b = &ix->buckets[p[i].prim];
		cand[i] = 0;
		if (b->spilled)
			maybe |= 1ULL << i;
		for (uint32_t m = sig_matches(b, p[i].sig); m; m &= m - 1) {
			unsigned s = (unsigned)__builtin_ctz(m);

			if (!b->val[s])
				continue;
			cand[i] = b->val[s];
			maybe |= 1ULL << i;
			rte_prefetch0(&ix->records[EGW_FLOW_VAL_IDX(cand[i] - 1)]);
			/* TCP window tracking reads the record's second line. */
			if (keys[i]->proto == IPPROTO_TCP)
				rte_prefetch0(&ix->records[EGW_FLOW_VAL_IDX(cand[i] - 1)].tcp_win);
			break;
		}
	}
	return maybe;
}

static inline int free_slot(const struct egw_fi_bucket *b)
{
	for (int s = 0; s < EGW_FI_SLOTS; s++)
		if (!b->val[s])
			return s;
	return -1;
}

/*
 * Bucket BI is full: moves one of its keys to that key's other bucket if it has room (one
 * cuckoo step) and returns the slot freed, or -1. Rare: only when both of a new key's buckets
 * are full.
 */
static int make_room(struct egw_flow_index *ix, uint32_t bi)
{
	struct egw_fi_bucket *b = &ix->buckets[bi];

	for (int s = 0; s < EGW_FI_SLOTS; s++) {
		struct egw_flow_key k;
		struct fi_place kp;
		uint32_t alt;
		int s2;

		key_of(ix, b->val[s], &k);
		kp = place(ix, &k);
		alt = bi == kp.prim ? kp.sec : kp.prim;
		s2 = free_slot(&ix->buckets[alt]);
		if (s2 < 0)
			continue;
		ix->buckets[alt].sig[s2] = b->sig[s];
		ix->buckets[alt].val[s2] = b->val[s];
		b->val[s] = 0;
		/* Its primary counts it while it lives in its secondary. */
		if (bi == kp.prim)
			ix->buckets[kp.prim].spilled++;
		else
			ix->buckets[kp.prim].spilled--;
		return s;
	}
	return -1;
}

int egw_flow_index_add(struct egw_flow_index *ix, const struct egw_flow_key *key, uint32_t value)
{
	const struct fi_place p = place(ix, key);
	struct egw_fi_bucket *b = &ix->buckets[p.prim];
	int s = free_slot(b);

	if (s < 0)
		s = make_room(ix, p.prim);
	if (s < 0) {
		b = &ix->buckets[p.sec];
		s = free_slot(b);
		if (s < 0)
			s = make_room(ix, p.sec);
		if (s < 0)
			return -ENOSPC;
		ix->buckets[p.prim].spilled++;
	}
	b->sig[s] = p.sig;
	b->val[s] = value + 1;
	return 0;
}

/* The slot of stored value V with signature SIG in B, or -1. */
static inline int find_val(const struct egw_fi_bucket *b, uint16_t sig, uint32_t v)
{
	for (int s = 0; s < EGW_FI_SLOTS; s++)
		if (b->val[s] == v && b->sig[s] == sig)
			return s;
	return -1;
}

void egw_flow_index_del(struct egw_flow_index *ix, const struct egw_flow_key *key, uint32_t value)
{
	const struct fi_place p = place(ix, key);
	struct egw_fi_bucket *prim = &ix->buckets[p.prim], *sec;
	int s = find_val(prim, p.sig, value + 1);

	if (s >= 0) {
		prim->val[s] = 0;
		return;
	}
	sec = &ix->buckets[p.sec];
	s = find_val(sec, p.sig, value + 1);
	if (s >= 0) {
		sec->val[s] = 0;
		prim->spilled--;
	}
}
