/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>

#include "source_limit.h"

int egw_source_limit_init(struct egw_source_limit *sl, const char *name, uint32_t capacity,
	int socket)
{
	char hname[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = hname,
		.entries = capacity < 8 ? 8 : capacity,
		.key_len = sizeof(uint32_t),
		.hash_func = rte_hash_crc,
		.socket_id = socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	snprintf(hname, sizeof(hname), "src_%s", name);
	sl->hash = rte_hash_create(&hp);
	return sl->hash ? 0 : -ENOMEM;
}

void egw_source_limit_fini(struct egw_source_limit *sl)
{
	rte_hash_free(sl->hash);
	sl->hash = NULL;
}

uint32_t egw_source_limit_count(const struct egw_source_limit *sl, uint32_t src_be)
{
	void *v;

	if (rte_hash_lookup_data(sl->hash, &src_be, &v) < 0)
		return 0;
	return (uint32_t)(uintptr_t)v;
}

int egw_source_limit_acquire(struct egw_source_limit *sl, uint32_t src_be, uint32_t limit)
{
	uint32_t n = egw_source_limit_count(sl, src_be);

	if (limit && n >= limit)
		return -EDQUOT;
	/* The count is the hash value itself: one update, no separate record to allocate. */
	if (rte_hash_add_key_data(sl->hash, &src_be, (void *)(uintptr_t)(n + 1)) < 0)
		return -ENOSPC;
	return 0;
}

void egw_source_limit_release(struct egw_source_limit *sl, uint32_t src_be)
{
	uint32_t n = egw_source_limit_count(sl, src_be);

	if (n <= 1)
		rte_hash_del_key(sl->hash, &src_be);
	else
		rte_hash_add_key_data(sl->hash, &src_be, (void *)(uintptr_t)(n - 1));
}
