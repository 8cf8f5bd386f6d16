/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Views: what the workers read. A view is an array of shard pointers; a shard is an immutable
 * open-addressing table of addresses with their names. Lookups hash the address once (keyed),
 * pick the shard from the top bits and probe from the low bits.
 */
#include <stdlib.h>
#include <string.h>

#include "names_internal.h"

static struct names_slot empty_slot;

struct names_shard names_empty_shard = {
	.refs = 1,
	.slot_mask = 0,
	.slots = &empty_slot,
	.text = "",
};

static uint32_t slots_for(uint32_t n)
{
	uint32_t s = 4;

	while (s < 2 * n)
		s *= 2;
	return s;
}

struct names_shard *names_shard_build(uint64_t key, const struct names_build_addr *addrs,
	uint32_t n, const struct names_build_name *names, uint32_t n_names)
{
	uint32_t n_slots = slots_for(n), n_items = 0;
	size_t text = 0, bytes;
	struct names_shard *s;
	char *p;

	for (uint32_t i = 0; i < n; i++)
		for (uint32_t k = 0; k < addrs[i].n; k++)
			text += names[addrs[i].first + k].len + 1u;
	n_items = n_names;
	bytes = sizeof(*s) + n_slots * sizeof(struct names_slot) +
		n_items * sizeof(struct names_item) + text;
	s = calloc(1, bytes);
	if (!s)
		return NULL;
	s->refs = 1;
	s->slot_mask = n_slots - 1;
	s->bytes = bytes;
	s->slots = (struct names_slot *)(s + 1);
	s->items = (struct names_item *)(s->slots + n_slots);
	s->text = (char *)(s->items + n_items);
	p = s->text;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t h = (uint32_t)names_addr_hash(key, addrs[i].addr) & s->slot_mask;
		struct names_slot *slot;

		while (s->slots[h].addr != 0)
			h = (h + 1) & s->slot_mask;
		slot = &s->slots[h];
		slot->addr = addrs[i].addr;
		slot->first = s->n_items;
		slot->n = addrs[i].n;
		for (uint32_t k = 0; k < addrs[i].n; k++) {
			const struct names_build_name *nm = &names[addrs[i].first + k];
			struct names_item *it = &s->items[s->n_items++];

			it->expiry = nm->expiry;
			it->len = nm->len;
			it->text = (uint32_t)(p - s->text);
			memcpy(p, nm->name, nm->len);
			p[nm->len] = '\0';
			p += nm->len + 1u;
		}
		s->n_addrs++;
	}
	return s;
}

void names_shard_get(struct names_shard *s)
{
	if (s != &names_empty_shard)
		s->refs++;
}

void names_shard_put(struct names_shard *s)
{
	if (s == &names_empty_shard)
		return;
	if (--s->refs == 0)
		free(s);
}

struct egw_names_view *egw_names_view_ref(struct egw_names_view *v)
{
	if (v)
		v->refs++;
	return v;
}

void egw_names_view_free(struct egw_names_view *v)
{
	if (!v || --v->refs > 0)
		return;
	for (uint32_t i = 0; i < 1u << v->shard_bits; i++)
		names_shard_put(v->shards[i]);
	free(v);
}

void egw_names_view_put(void *view)
{
	egw_names_view_free(view);
}

uint64_t egw_names_view_generation(const struct egw_names_view *v)
{
	return v ? v->generation : 0;
}

uint32_t egw_names_view_entries(const struct egw_names_view *v)
{
	return v ? v->n_entries : 0;
}

size_t egw_names_view_bytes(const struct egw_names_view *v)
{
	size_t b;

	if (!v)
		return 0;
	b = sizeof(*v) + (sizeof(v->shards[0]) << v->shard_bits);
	for (uint32_t i = 0; i < 1u << v->shard_bits; i++)
		b += v->shards[i]->bytes;
	return b;
}

unsigned egw_names_lookup(const struct egw_names_view *v, uint32_t addr, uint32_t now,
	struct egw_names_hit *out, unsigned max)
{
	const struct names_shard *s;
	const struct names_slot *slot;
	uint64_t h;
	uint32_t i;
	unsigned n = 0;

	if (!v || addr == 0)
		return 0;
	h = names_addr_hash(v->key, addr);
	s = v->shards[names_shard_of(h, v->shard_bits)];
	for (i = (uint32_t)h & s->slot_mask;; i = (i + 1) & s->slot_mask) {
		slot = &s->slots[i];
		if (slot->addr == addr)
			break;
		if (slot->addr == 0)
			return 0;
	}
	for (uint32_t k = 0; k < slot->n && n < max; k++) {
		const struct names_item *it = &s->items[slot->first + k];

		if (it->expiry <= now)
			continue;
		out[n].name = s->text + it->text;
		out[n].len = it->len;
		out[n].expiry = it->expiry;
		n++;
	}
	return n;
}
