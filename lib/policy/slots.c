/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>

#include "slots.h"

int egw_policy_slots_init(struct egw_policy_slots *s, const char *name)
{
	char hname[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = hname,
		.entries = EGW_POLICY_SLOTS,
		.key_len = 32,
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	memset(s, 0, sizeof(*s));
	snprintf(hname, sizeof(hname), "pslots_%s", name);
	s->by_name = rte_hash_create(&hp);
	s->names = calloc(EGW_POLICY_SLOTS, sizeof(*s->names));
	s->generation = calloc(EGW_POLICY_SLOTS, sizeof(*s->generation));
	if (!s->by_name || !s->names || !s->generation) {
		egw_policy_slots_fini(s);
		return -ENOMEM;
	}
	snprintf(s->names[0], sizeof(s->names[0]), "(mode)");
	s->next = 1;
	return 0;
}

void egw_policy_slots_fini(struct egw_policy_slots *s)
{
	rte_hash_free(s->by_name);
	free(s->names);
	free(s->generation);
	memset(s, 0, sizeof(*s));
}

uint32_t egw_policy_slots_get(struct egw_policy_slots *s, const char *name, uint64_t generation)
{
	/* 8-aligned for rte_hash_crc's 8-byte loads; zero-padded: hashed as 32 raw bytes. */
	uint64_t key_words[4] = { 0 };
	char *key = (char *)key_words;
	uint32_t slot;
	void *v;

	snprintf(key, sizeof(key_words), "%s", name);
	if (rte_hash_lookup_data(s->by_name, key, &v) >= 0) {
		slot = (uint32_t)(uintptr_t)v;
	} else {
		if (s->next == EGW_POLICY_SLOTS)
			return 0;
		if (rte_hash_add_key_data(s->by_name, key, (void *)(uintptr_t)s->next) < 0)
			return 0;
		memcpy(s->names[s->next], key, sizeof(key_words));
		slot = s->next;
		/* Readers (telemetry) find the name complete before they see the slot count. */
		__atomic_store_n(&s->next, s->next + 1, __ATOMIC_RELEASE);
	}
	s->generation[slot] = generation;
	return slot;
}
