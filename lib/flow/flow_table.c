/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "flow_table.h"

void egw_flow_table_set_timeouts(struct egw_flow_table *ft, const struct egw_flow_timeouts *to)
{
	ft->timeout[EGW_FLOW_FREE] = UINT32_MAX;
	ft->timeout[EGW_TCP_SYN_SENT] = to->tcp_syn;
	ft->timeout[EGW_TCP_SYN_RECV] = to->tcp_syn;
	ft->timeout[EGW_TCP_ESTABLISHED] = to->tcp_established;
	/* Half-closed connections are legitimate and long-lived (RFC 5382 REQ-5). */
	ft->timeout[EGW_TCP_FIN_WAIT] = to->tcp_established;
	ft->timeout[EGW_TCP_CLOSING] = to->tcp_transitory;
	ft->timeout[EGW_TCP_RESET] = to->tcp_transitory;
	ft->timeout[EGW_FLOW_UDP] = to->udp;
	ft->timeout[EGW_FLOW_ICMP] = to->icmp;
}

struct egw_flow_table *egw_flow_table_create(const char *name, uint32_t capacity, int socket,
	const struct egw_flow_timeouts *to)
{
	struct egw_flow_table *ft;

	(void)name; /* the index needs no name: it is not a DPDK object */
	if (capacity == 0 || capacity > (UINT32_MAX >> 2)) {
		rte_errno = EINVAL;
		return NULL;
	}
	ft = rte_zmalloc_socket("egw_flow_table", sizeof(*ft), RTE_CACHE_LINE_SIZE, socket);
	if (!ft)
		goto nomem;
	ft->flows = rte_zmalloc_socket("egw_flows", (size_t)capacity * sizeof(struct egw_flow),
		RTE_CACHE_LINE_SIZE, socket);
	ft->free_stack = rte_malloc_socket("egw_flow_free", (size_t)capacity * sizeof(uint32_t),
		0, socket);
	ft->created = rte_zmalloc_socket("egw_flow_created", (size_t)capacity * sizeof(uint32_t),
		0, socket);
	/* Two keys per flow. */
	if (!ft->flows || !ft->free_stack || !ft->created ||
		egw_flow_index_init(&ft->index, capacity * 2, ft->flows, socket) < 0)
		goto nomem;
	ft->capacity = capacity;
	/* Pop order = ascending index: new flows fill the array from the start (locality). */
	for (uint32_t i = 0; i < capacity; i++)
		ft->free_stack[i] = capacity - 1 - i;
	ft->n_free = capacity;
	egw_flow_table_set_timeouts(ft, to);
	return ft;
nomem:
	rte_errno = ENOMEM;
	egw_flow_table_free(ft);
	return NULL;
}

size_t egw_flow_table_bytes(uint32_t capacity)
{
	/* Record, free-stack entry and start time per flow; two keys in the index. */
	return sizeof(struct egw_flow_table) +
		(size_t)capacity * (sizeof(struct egw_flow) + 2 * sizeof(uint32_t)) +
		egw_flow_index_bytes(capacity * 2);
}

void egw_flow_table_free(struct egw_flow_table *ft)
{
	if (!ft)
		return;
	egw_flow_index_fini(&ft->index);
	rte_free(ft->flows);
	rte_free(ft->free_stack);
	rte_free(ft->created);
	rte_free(ft);
}

uint64_t egw_flow_lookup_bulk(struct egw_flow_table *ft, const struct egw_flow_key **keys,
	unsigned n, void **values)
{
	uint32_t v[64];
	uint64_t hits;

	if (n == 0)
		return 0;
	hits = egw_flow_index_lookup_bulk(&ft->index, keys, n, v);
	for (uint64_t h = hits; h; h &= h - 1) {
		unsigned i = (unsigned)__builtin_ctzll(h);
		values[i] = (void *)(uintptr_t)v[i];
	}
	return hits;
}

int egw_flow_lookup(struct egw_flow_table *ft, const struct egw_flow_key *key, void **value)
{
	uint32_t v;

	if (egw_flow_index_lookup(&ft->index, key, &v) < 0)
		return -ENOENT;
	*value = (void *)(uintptr_t)v;
	return 0;
}

bool egw_flow_key_exists(struct egw_flow_table *ft, const struct egw_flow_key *key)
{
	uint32_t v;

	return egw_flow_index_lookup(&ft->index, key, &v) == 0;
}

struct egw_flow *egw_flow_alloc(struct egw_flow_table *ft)
{
	if (ft->n_free == 0)
		return NULL;
	return &ft->flows[ft->free_stack[--ft->n_free]];
}

void egw_flow_abort(struct egw_flow_table *ft, struct egw_flow *f)
{
	f->state = EGW_FLOW_FREE;
	ft->free_stack[ft->n_free++] = egw_flow_index(ft, f);
}

void egw_flow_reply_key(const struct egw_flow *f, struct egw_flow_key *reply)
{
	/* ICMP echo: the identifier stands in both port positions, and it is the translated one. */
	uint16_t remote_port = f->orig.proto == IPPROTO_ICMP ? f->nat_port : f->orig.b_port;

	egw_flow_key_set(reply, f->orig.b_addr, f->nat_addr, remote_port, f->nat_port, f->orig.proto,
		EGW_ZONE_OUTSIDE);
}

int egw_flow_commit(struct egw_flow_table *ft, struct egw_flow *f,
	const struct egw_flow_key *reply_key)
{
	/* A key present twice would make one of its flows unreachable. */
	if (egw_flow_key_exists(ft, &f->orig) || egw_flow_key_exists(ft, reply_key))
		return -EEXIST;
	return egw_flow_commit_new(ft, f, reply_key);
}

int egw_flow_commit_new(struct egw_flow_table *ft, struct egw_flow *f,
	const struct egw_flow_key *reply_key)
{
	const uint32_t idx = egw_flow_index(ft, f);
	int rc;

	rc = egw_flow_index_add(&ft->index, &f->orig, (uint32_t)EGW_FLOW_VAL(idx, EGW_DIR_ORIG));
	if (rc < 0)
		return rc;
	rc = egw_flow_index_add(&ft->index, reply_key, (uint32_t)EGW_FLOW_VAL(idx, EGW_DIR_REPLY));
	if (rc < 0) {
		egw_flow_index_del(&ft->index, &f->orig, (uint32_t)EGW_FLOW_VAL(idx, EGW_DIR_ORIG));
		return rc;
	}
	ft->n_active++;
	return 0;
}

void egw_flow_remove(struct egw_flow_table *ft, struct egw_flow *f)
{
	const uint32_t idx = egw_flow_index(ft, f);
	struct egw_flow_key reply;

	egw_flow_reply_key(f, &reply);
	egw_flow_index_del(&ft->index, &f->orig, (uint32_t)EGW_FLOW_VAL(idx, EGW_DIR_ORIG));
	egw_flow_index_del(&ft->index, &reply, (uint32_t)EGW_FLOW_VAL(idx, EGW_DIR_REPLY));
	f->state = EGW_FLOW_FREE;
	ft->free_stack[ft->n_free++] = egw_flow_index(ft, f);
	ft->n_active--;
}

uint32_t egw_flow_expire_step(struct egw_flow_table *ft, uint32_t now, uint32_t budget,
	egw_flow_expire_cb cb, void *ctx)
{
	uint32_t removed = 0, cursor = ft->expire_cursor;

	if (ft->n_active == 0)
		return 0;
	if (budget > ft->capacity)
		budget = ft->capacity;
	while (budget--) {
		struct egw_flow *f = &ft->flows[cursor];
		if (f->state != EGW_FLOW_FREE && egw_flow_is_expired(ft, f, now)) {
			if (cb)
				cb(ctx, f);
			egw_flow_remove(ft, f);
			removed++;
		}
		if (++cursor == ft->capacity)
			cursor = 0;
	}
	ft->expire_cursor = cursor;
	return removed;
}

uint32_t egw_flow_flush(struct egw_flow_table *ft, egw_flow_expire_cb cb, void *ctx)
{
	uint32_t removed = 0;

	for (uint32_t i = 0; i < ft->capacity && ft->n_active; i++) {
		struct egw_flow *f = &ft->flows[i];
		if (f->state == EGW_FLOW_FREE)
			continue;
		if (cb)
			cb(ctx, f);
		egw_flow_remove(ft, f);
		removed++;
	}
	return removed;
}
