/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread's table of learned names (layout in names_table.h): interning names,
 * addresses per shard, entries, caps, expiry.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>

#include "names_table.h"

/* ---- names ---- */

static uint64_t name_hash(const struct egw_names_table *t, const char *s, size_t len)
{
	uint64_t h = EGW_HOSTNAME_HASH_INIT ^ t->name_key;

	for (size_t i = 0; i < len; i++)
		h = egw_hostname_hash_step(h, (uint8_t)s[i]);
	/* FNV's low bits mix poorly, and the table indexes by them. */
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

static uint32_t name_find_slot(const struct egw_names_table *t, uint64_t h, const char *s,
	size_t len)
{
	for (uint32_t i = (uint32_t)h & t->names_mask;; i = (i + 1) & t->names_mask) {
		const struct nt_name *n = t->names[i].n;

		if (!n || (t->names[i].hash == h && n->len == len && memcmp(n->text, s, len) == 0))
			return i;
	}
}

static int names_grow(struct egw_names_table *t)
{
	uint32_t cap = (t->names_mask + 1) * 2;
	struct nt_name_slot *old = t->names, *nw = calloc(cap, sizeof(*nw));
	uint32_t old_cap = t->names_mask + 1;

	if (!nw)
		return -ENOMEM;
	t->names = nw;
	t->names_mask = cap - 1;
	for (uint32_t i = 0; i < old_cap; i++) {
		uint32_t k;

		if (!old[i].n)
			continue;
		for (k = (uint32_t)old[i].hash & t->names_mask; nw[k].n;
			k = (k + 1) & t->names_mask)
			;
		nw[k] = old[i];
	}
	free(old);
	return 0;
}

static struct nt_name *name_add(struct egw_names_table *t, uint64_t h, const char *s, size_t len)
{
	struct nt_name *n;
	uint32_t i;

	if (2 * (t->n_names + 1) > t->names_mask + 1 && names_grow(t) < 0)
		return NULL;
	n = malloc(sizeof(*n) + len + 1);
	if (!n)
		return NULL;
	n->hash = h;
	n->first = NT_NONE;
	n->n = 0;
	n->len = (uint8_t)len;
	memcpy(n->text, s, len);
	n->text[len] = '\0';
	i = name_find_slot(t, h, s, len);
	t->names[i] = (struct nt_name_slot){ h, n };
	t->n_names++;
	t->name_bytes += sizeof(*n) + len + 1;
	return n;
}

/* Linear probing deletion without tombstones: later entries of the chain move back. */
static void name_remove(struct egw_names_table *t, struct nt_name *n)
{
	uint32_t i = name_find_slot(t, n->hash, n->text, n->len), j = i;

	t->names[i].n = NULL;
	for (;;) {
		uint32_t home;

		j = (j + 1) & t->names_mask;
		if (!t->names[j].n)
			break;
		home = (uint32_t)t->names[j].hash & t->names_mask;
		/* Entry j may move to the hole i unless its home lies cyclically in (i, j]. */
		if (((j - home) & t->names_mask) >= ((j - i) & t->names_mask)) {
			t->names[i] = t->names[j];
			t->names[j].n = NULL;
			i = j;
		}
	}
	t->n_names--;
	t->name_bytes -= sizeof(*n) + n->len + 1;
	free(n);
}

/* ---- addresses, per shard ---- */

static struct nt_shard *shard_of(const struct egw_names_table *t, uint32_t addr, uint64_t *h)
{
	*h = names_addr_hash(t->addr_key, addr);
	return &t->shards[names_shard_of(*h, t->shard_bits)];
}

static void mark_dirty(struct egw_names_table *t, struct nt_shard *s)
{
	if (!s->dirty)
		t->n_dirty++;
	s->dirty = true;
}

static struct nt_addr_slot *addr_find(struct nt_shard *s, uint64_t h, uint32_t addr)
{
	if (!s->slots)
		return NULL;
	for (uint32_t i = (uint32_t)h & s->mask;; i = (i + 1) & s->mask) {
		if (s->slots[i].addr == addr)
			return &s->slots[i];
		if (s->slots[i].addr == 0)
			return NULL;
	}
}

static int addr_grow(const struct egw_names_table *t, struct nt_shard *s)
{
	uint32_t cap = s->slots ? (s->mask + 1) * 2 : 8, old_cap = s->slots ? s->mask + 1 : 0;
	struct nt_addr_slot *old = s->slots, *nw = calloc(cap, sizeof(*nw));

	if (!nw)
		return -ENOMEM;
	s->slots = nw;
	s->mask = cap - 1;
	for (uint32_t i = 0; i < old_cap; i++) {
		uint32_t k;

		if (!old[i].addr)
			continue;
		k = (uint32_t)names_addr_hash(t->addr_key, old[i].addr) & s->mask;
		while (nw[k].addr)
			k = (k + 1) & s->mask;
		nw[k] = old[i];
	}
	free(old);
	return 0;
}

static struct nt_addr_slot *addr_add(const struct egw_names_table *t, struct nt_shard *s,
	uint64_t h, uint32_t addr)
{
	uint32_t i;

	if ((!s->slots || 2 * (s->n + 1) > s->mask + 1) && addr_grow(t, s) < 0)
		return NULL;
	for (i = (uint32_t)h & s->mask; s->slots[i].addr; i = (i + 1) & s->mask)
		;
	s->slots[i] = (struct nt_addr_slot){ addr, NT_NONE };
	s->n++;
	return &s->slots[i];
}

static void addr_remove(const struct egw_names_table *t, struct nt_shard *s,
	struct nt_addr_slot *slot)
{
	uint32_t i = (uint32_t)(slot - s->slots), j = i;

	s->slots[i].addr = 0;
	for (;;) {
		uint32_t home;

		j = (j + 1) & s->mask;
		if (!s->slots[j].addr)
			break;
		home = (uint32_t)names_addr_hash(t->addr_key, s->slots[j].addr) & s->mask;
		if (((j - home) & s->mask) >= ((j - i) & s->mask)) {
			s->slots[i] = s->slots[j];
			s->slots[j].addr = 0;
			i = j;
		}
	}
	s->n--;
}

/* ---- binds ---- */

static int binds_grow(struct egw_names_table *t)
{
	uint32_t cap = t->binds_cap ? t->binds_cap * 2 : 1024;
	struct nt_bind *b;

	if (cap > t->lim.max_entries + 1024u)
		cap = t->lim.max_entries + 1024u;
	if (cap <= t->binds_cap)
		return -ENOMEM;
	b = realloc(t->binds, cap * sizeof(*b));
	if (!b)
		return -ENOMEM;
	t->binds = b;
	t->binds_cap = cap;
	return 0;
}

static uint32_t bind_alloc(struct egw_names_table *t)
{
	uint32_t bi;

	if (t->free_bind != NT_NONE) {
		bi = t->free_bind;
		t->free_bind = t->binds[bi].name_next;
		return bi;
	}
	if (t->binds_used == t->binds_cap && binds_grow(t) < 0)
		return NT_NONE;
	t->binds[t->binds_used].gen = 0;
	return t->binds_used++;
}

static void name_unlink(struct egw_names_table *t, struct nt_name *n, uint32_t bi)
{
	uint32_t *p = &n->first;

	while (*p != bi)
		p = &t->binds[*p].name_next;
	*p = t->binds[bi].name_next;
	n->n--;
}

static void addr_unlink(struct egw_names_table *t, uint32_t bi)
{
	struct nt_bind *b = &t->binds[bi];
	uint64_t h;
	struct nt_shard *s = shard_of(t, b->addr, &h);

	if (b->addr_next != NT_NONE)
		t->binds[b->addr_next].addr_prev = b->addr_prev;
	if (b->addr_prev != NT_NONE) {
		t->binds[b->addr_prev].addr_next = b->addr_next;
	} else {
		struct nt_addr_slot *slot = addr_find(s, h, b->addr);

		slot->head = b->addr_next;
		if (slot->head == NT_NONE)
			addr_remove(t, s, slot);
	}
	mark_dirty(t, s);
}

/* Its heap node is stale from now on (the generation moved). */
static void bind_free(struct egw_names_table *t, uint32_t bi)
{
	t->binds[bi].name = NULL;
	t->binds[bi].gen++;
	t->binds[bi].name_next = t->free_bind;
	t->free_bind = bi;
}

void nt_bind_remove(struct egw_names_table *t, uint32_t bi, bool free_name)
{
	struct nt_name *n = t->binds[bi].name;

	if (!n)
		return; /* a free bind: nothing to remove */
	name_unlink(t, n, bi);
	addr_unlink(t, bi);
	bind_free(t, bi);
	t->n_entries--;
	if (n->n == 0 && free_name)
		name_remove(t, n);
}

static uint32_t earliest_of_name(const struct egw_names_table *t, const struct nt_name *n)
{
	uint32_t best = n->first;

	for (uint32_t bi = n->first; bi != NT_NONE; bi = t->binds[bi].name_next)
		if (t->binds[bi].expiry < t->binds[best].expiry)
			best = bi;
	return best;
}

static int bind_add(struct egw_names_table *t, struct nt_name *n, uint32_t addr, uint32_t expiry)
{
	uint64_t h;
	struct nt_shard *s = shard_of(t, addr, &h);
	struct nt_addr_slot *slot = addr_find(s, h, addr);
	uint32_t bi;
	struct nt_bind *b;

	if (!slot && !(slot = addr_add(t, s, h, addr)))
		return -ENOMEM;
	bi = bind_alloc(t);
	if (bi != NT_NONE) {
		b = &t->binds[bi];
		b->name = n;
		b->addr = addr;
		b->expiry = expiry;
		if (nt_heap_push(t, bi) < 0) {
			bind_free(t, bi);
			bi = NT_NONE;
		}
	}
	if (bi == NT_NONE) {
		if (slot->head == NT_NONE)
			addr_remove(t, s, slot);
		return -ENOMEM;
	}
	b->name_next = n->first;
	b->addr_next = slot->head;
	b->addr_prev = NT_NONE;
	if (slot->head != NT_NONE)
		t->binds[slot->head].addr_prev = bi;
	slot->head = bi;
	n->first = bi;
	n->n++;
	t->n_entries++;
	mark_dirty(t, s);
	return 0;
}

/* ---- the API ---- */

static bool limits_ok(const struct egw_names_limits *lim)
{
	return lim->max_per_name >= 1 && lim->max_per_name <= 4096 && lim->max_entries >= 1;
}

/*
 * About 64 addresses per shard at the total cap (16 to 65536 shards): a view after a few
 * hundred answers rebuilds a few hundred small shards, not the table.
 */
static unsigned shard_bits_for(uint32_t max_entries)
{
	unsigned bits = 4;

	while (bits < 16 && (1u << bits) * 64u < max_entries)
		bits++;
	return bits;
}

struct egw_names_table *egw_names_table_create(const struct egw_names_limits *lim, uint64_t seed)
{
	struct egw_names_table *t;

	if (!lim || !limits_ok(lim)) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		goto nomem;
	t->lim = *lim;
	t->addr_key = seed;
	t->name_key = seed * 0x9e3779b97f4a7c15ULL + 1;
	t->shard_bits = shard_bits_for(lim->max_entries);
	t->free_bind = NT_NONE;
	t->names_mask = 1023;
	t->names = calloc(t->names_mask + 1, sizeof(*t->names));
	t->shards = calloc(1u << t->shard_bits, sizeof(*t->shards));
	t->cur = calloc(1u << t->shard_bits, sizeof(*t->cur));
	if (!t->names || !t->shards || !t->cur)
		goto nomem;
	for (uint32_t i = 0; i < 1u << t->shard_bits; i++)
		t->cur[i] = &names_empty_shard;
	return t;
nomem:
	egw_names_table_free(t);
	rte_errno = ENOMEM;
	return NULL;
}

void egw_names_table_free(struct egw_names_table *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; t->names && i <= t->names_mask; i++)
		free(t->names[i].n);
	for (uint32_t i = 0; t->shards && i < 1u << t->shard_bits; i++)
		free(t->shards[i].slots);
	for (uint32_t i = 0; t->cur && i < 1u << t->shard_bits; i++)
		names_shard_put(t->cur[i]);
	free(t->names);
	free(t->shards);
	free(t->cur);
	free(t->binds);
	free(t->heap);
	free(t->b_addrs);
	free(t->b_names);
	free(t);
}

/* Removes the entry closest to expiry (the table is not empty). */
static void evict_earliest(struct egw_names_table *t, const struct nt_name *keep)
{
	uint32_t bi = nt_heap_top(t);

	nt_heap_pop(t);
	nt_bind_remove(t, bi, t->binds[bi].name != keep);
	t->st.evicted_total++;
}

/* Evicts until at most MAX_ENTRIES entries and MAX_PER_NAME per name remain. */
static void enforce_limits(struct egw_names_table *t)
{
	while (t->n_entries > t->lim.max_entries)
		evict_earliest(t, NULL);
	for (uint32_t i = 0; i <= t->names_mask; i++) {
		struct nt_name *n = t->names[i].n;

		/* max_per_name >= 1: the name keeps a bind, stays, and nothing moves. */
		while (n && n->n > t->lim.max_per_name) {
			nt_bind_remove(t, earliest_of_name(t, n), false);
			t->st.evicted_name++;
		}
	}
}

void egw_names_table_set_limits(struct egw_names_table *t, const struct egw_names_limits *lim)
{
	if (!limits_ok(lim))
		return;
	t->lim = *lim;
	enforce_limits(t);
}

static struct nt_bind *find_bind(struct egw_names_table *t, const struct nt_name *n, uint32_t addr)
{
	for (uint32_t bi = n->first; bi != NT_NONE; bi = t->binds[bi].name_next)
		if (t->binds[bi].addr == addr)
			return &t->binds[bi];
	return NULL;
}

/* Learns one address of the normalized name NORM (hash H). */
static int learn_one(struct egw_names_table *t, uint64_t h, const char *norm, size_t len,
	uint32_t addr, uint32_t ttl, uint32_t now)
{
	uint32_t life = ttl < EGW_NAMES_TTL_MAX ? ttl : EGW_NAMES_TTL_MAX, expiry;
	struct nt_name *n = t->names[name_find_slot(t, h, norm, len)].n;
	struct nt_bind *b;

	if (addr == 0)
		return -EINVAL;
	if (life < t->lim.min_ttl)
		life = t->lim.min_ttl;
	if (life == 0)
		return 0; /* TTL 0 and no floor: the answer may not be cached (RFC 1035 3.2.1) */
	expiry = now + life;
	if (n && (b = find_bind(t, n, addr)) != NULL) {
		if (expiry > b->expiry) {
			uint64_t ah;
			struct nt_shard *s = shard_of(t, addr, &ah);

			/* The heap catches up lazily (names_expiry.c); the view before the old
			 * expiry comes (egw_names_table_due). */
			if (!s->refresh_by || b->expiry < s->refresh_by)
				s->refresh_by = b->expiry;
			if (!t->refresh_by || b->expiry < t->refresh_by)
				t->refresh_by = b->expiry;
			b->expiry = expiry;
			t->st.refreshed++;
		}
		return 0;
	}
	if (t->n_entries >= t->lim.max_entries)
		evict_earliest(t, n);
	if (n && n->n >= t->lim.max_per_name) {
		nt_bind_remove(t, earliest_of_name(t, n), false);
		t->st.evicted_name++;
	}
	if (!n && !(n = name_add(t, h, norm, len)))
		return -ENOMEM;
	if (bind_add(t, n, addr, expiry) < 0) {
		if (n->n == 0)
			name_remove(t, n);
		return -ENOMEM;
	}
	t->st.learned++;
	return 0;
}

int egw_names_table_learn(struct egw_names_table *t, const char *name, size_t len, uint32_t addr,
	uint32_t ttl, uint32_t now)
{
	char norm[EGW_HOSTNAME_MAX + 1];
	size_t nlen;

	if (egw_hostname_normalize(name, len, 0, norm, &nlen) != EGW_HOSTNAME_OK)
		return -EINVAL;
	return learn_one(t, name_hash(t, norm, nlen), norm, nlen, addr, ttl, now);
}

uint64_t names_table_prefetch(const struct egw_names_table *t, const char *name, size_t len)
{
	uint64_t h = name_hash(t, name, len);

	__builtin_prefetch(&t->names[(uint32_t)h & t->names_mask]);
	return h;
}

void names_table_learn_record(struct egw_names_table *t, const char *name, size_t len,
	uint64_t hash, const struct names_rec_addr *addrs, uint32_t n, uint32_t now)
{
	for (uint32_t i = 0; i < n; i++)
		learn_one(t, hash, name, len, addrs[i].addr, addrs[i].ttl, now);
	t->st.records++;
}

unsigned egw_names_table_expire(struct egw_names_table *t, uint32_t now, unsigned budget)
{
	unsigned done = 0;
	uint32_t bi;

	while (done < budget && (bi = nt_heap_top(t)) != NT_NONE && t->binds[bi].expiry <= now) {
		nt_heap_pop(t);
		nt_bind_remove(t, bi, true);
		done++;
	}
	t->st.expired += done;
	return done;
}

void names_table_note_bad_record(struct egw_names_table *t)
{
	t->st.bad_records++;
}

bool egw_names_table_due(const struct egw_names_table *t, uint32_t now)
{
	return t->n_dirty != 0 ||
	       (t->refresh_by != 0 && t->refresh_by <= now + EGW_NAMES_REFRESH_AHEAD);
}

void egw_names_table_stats(const struct egw_names_table *t, struct egw_names_stats *s)
{
	uint32_t addrs = 0;
	size_t bytes = sizeof(*t) + (t->names_mask + 1) * sizeof(*t->names) + t->name_bytes +
		       t->binds_cap * sizeof(*t->binds) + t->heap_cap * sizeof(*t->heap);

	for (uint32_t i = 0; i < 1u << t->shard_bits; i++) {
		addrs += t->shards[i].n;
		bytes += sizeof(t->shards[i]) +
			 (t->shards[i].slots ?
					 (t->shards[i].mask + 1) * sizeof(struct nt_addr_slot) :
					 0);
	}
	*s = t->st;
	s->names = t->n_names;
	s->entries = t->n_entries;
	s->addresses = addrs;
	s->bytes = bytes;
}
