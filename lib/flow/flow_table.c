/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "flow_table_internal.h"

static inline void set_active(struct egw_flow_table *ft, uint32_t n)
{
	__atomic_store_n(&ft->n_active, n, __ATOMIC_RELAXED);
}

void egw_flow_table_set_timeouts(struct egw_flow_table *ft, const struct egw_flow_timeouts *to)
{
	ft->timeout[EGW_FLOW_FREE] = UINT32_MAX;
	ft->timeout[EGW_TCP_SYN_SENT] = to->tcp_syn;
	ft->timeout[EGW_TCP_SYN_RECV] = to->tcp_syn;
	ft->timeout[EGW_TCP_ESTABLISHED] = to->tcp_established;
	/* Half-closed connections are legitimate and long-lived (RFC 5382 REQ-5). */
	ft->timeout[EGW_TCP_FIN_WAIT] = to->tcp_established;
	ft->timeout[EGW_TCP_CLOSING] = to->tcp_transitory;
	ft->timeout[EGW_TCP_TIME_WAIT] =
		egw_flow_timeout_within(to->tcp_time_wait, to->tcp_transitory);
	ft->timeout[EGW_TCP_RESET] = egw_flow_timeout_within(to->tcp_close, to->tcp_transitory);
	ft->timeout[EGW_UDP_REQUEST] = egw_flow_timeout_within(to->udp_reply, to->udp);
	ft->timeout[EGW_UDP_ANSWERED] = ft->timeout[EGW_UDP_REQUEST];
	ft->udp_reply_high = RTE_MAX(ft->timeout[EGW_UDP_REQUEST],
		RTE_MIN((uint32_t)EGW_UDP_MAPPING_MIN, to->udp));
	ft->timeout[EGW_FLOW_UDP] = to->udp;
	ft->timeout[EGW_FLOW_ICMP] = to->icmp;
	memset(ft->udp_port_timeout, 0, sizeof(ft->udp_port_timeout));
	ft->n_udp_ports = 0;
	for (unsigned i = 0; i < to->n_udp_ports && i < EGW_UDP_PORT_TIMEOUTS_MAX; i++) {
		const struct egw_udp_port_timeout *p = &to->udp_ports[i];
		if (p->port <= EGW_UDP_PORT_TIMEOUT_LAST && p->seconds) {
			ft->udp_port_timeout[p->port] = p->seconds;
			ft->n_udp_ports++;
		}
	}
}

uint32_t egw_flow_table_timeout(const struct egw_flow_table *ft, uint8_t state)
{
	return state < EGW_FLOW_STATE_MAX ? ft->timeout[state] : 0;
}

/*
 * A UDP flow's timer by its destination port: a well-known one (0-1023) may have its own
 * (udp_port_timeouts) and request/response flows get the short udp_reply, as RFC 4787 REQ-5a
 * allows; toward any other port a mapping lives at least 2 minutes (REQ-5).
 */
uint32_t egw_flow_timeout(const struct egw_flow_table *ft, const struct egw_flow *f)
{
	if (f->orig.proto == IPPROTO_UDP) {
		const uint16_t port = rte_be_to_cpu_16(f->orig.b_port);
		if (port > EGW_UDP_PORT_TIMEOUT_LAST)
			return f->state == EGW_UDP_REQUEST || f->state == EGW_UDP_ANSWERED ?
				       ft->udp_reply_high :
				       egw_flow_table_timeout(ft, f->state);
		if (unlikely(ft->n_udp_ports) && ft->udp_port_timeout[port])
			return ft->udp_port_timeout[port];
	}
	return egw_flow_table_timeout(ft, f->state);
}

uint32_t egw_flow_table_capacity(const struct egw_flow_table *ft)
{
	return ft->capacity;
}

uint32_t egw_flow_table_active(const struct egw_flow_table *ft)
{
	return __atomic_load_n(&ft->n_active, __ATOMIC_RELAXED);
}

uint32_t egw_flow_table_free_records(const struct egw_flow_table *ft)
{
	return ft->n_free;
}

struct egw_flow_table *egw_flow_table_create(uint32_t capacity, int socket,
	const struct egw_flow_timeouts *to)
{
	struct egw_flow_table *ft;

	if (capacity == 0 || capacity > (UINT32_MAX >> 2)) {
		rte_errno = EINVAL;
		return NULL;
	}
	ft = rte_zmalloc_socket("egw_flow_table", sizeof(*ft), RTE_CACHE_LINE_SIZE, socket);
	if (!ft)
		goto nomem;
	ft->flows = rte_zmalloc_socket("egw_flows", (size_t)capacity * sizeof(struct egw_flow),
		EGW_FLOW_ALIGN, socket);
	/* Two keys per flow. */
	if (!ft->flows || egw_flow_index_init(&ft->index, capacity * 2, ft->flows, socket) < 0)
		goto nomem;
	ft->capacity = capacity;
	/* Ascending index: new flows fill the array from the start (locality). */
	for (uint32_t i = 0; i < capacity; i++)
		*free_link(&ft->flows[i]) = i + 1;
	ft->free_head = 0;
	ft->n_free = capacity;
	egw_flow_table_set_timeouts(ft, to);
	return ft;
nomem:
	rte_errno = ENOMEM;
	egw_flow_table_free(ft);
	return NULL;
}

void egw_flow_table_mem(uint32_t capacity, struct egw_flow_table_mem *m)
{
	/* A record per flow (the free list runs through the unused ones); two keys in the
	 * index. */
	m->records = (size_t)capacity * sizeof(struct egw_flow);
	m->free_list = 0;
	m->index_keys = capacity * 2;
	m->index = egw_flow_index_bytes(m->index_keys);
	m->index_slots = (uint32_t)(m->index / sizeof(struct egw_fi_bucket)) * EGW_FI_SLOTS;
	m->fixed = sizeof(struct egw_flow_table);
}

size_t egw_flow_table_bytes(uint32_t capacity)
{
	struct egw_flow_table_mem m;

	egw_flow_table_mem(capacity, &m);
	return m.fixed + m.records + m.free_list + m.index;
}

void egw_flow_table_free(struct egw_flow_table *ft)
{
	if (!ft)
		return;
	egw_flow_index_fini(&ft->index);
	rte_free(ft->flows);
	rte_free(ft);
}

uint64_t egw_flow_lookup_bulk(struct egw_flow_table *ft, const struct egw_flow_key **keys,
	unsigned n, struct egw_flow **flows, uint8_t *dirs)
{
	struct egw_flow *cand[64];
	uint8_t cand_dirs[64];
	uint64_t maybe = egw_flow_candidates_bulk(ft, keys, n, cand, cand_dirs), hits = 0;

	/* The confirmations, all at once (the pipeline does each at its packet's turn). */
	for (uint64_t m = maybe; m; m &= m - 1) {
		unsigned i = (unsigned)__builtin_ctzll(m), dir;

		flows[i] = egw_flow_confirm(ft, keys[i], cand[i], cand_dirs[i], &dir);
		if (flows[i]) {
			dirs[i] = (uint8_t)dir;
			hits |= 1ULL << i;
		}
	}
	return hits;
}

uint64_t egw_flow_candidates_bulk(struct egw_flow_table *ft, const struct egw_flow_key **keys,
	unsigned n, struct egw_flow **flows, uint8_t *dirs)
{
	uint32_t cand[64];
	uint64_t maybe;

	if (n == 0)
		return 0;
	maybe = egw_flow_index_candidates_bulk(&ft->index, keys, n, cand);
	for (uint64_t m = maybe; m; m &= m - 1) {
		unsigned i = (unsigned)__builtin_ctzll(m);
		flows[i] = cand[i] ? &ft->flows[EGW_FLOW_VAL_IDX(cand[i] - 1)] : NULL;
		dirs[i] = cand[i] ? (uint8_t)EGW_FLOW_VAL_DIR(cand[i] - 1) : EGW_DIR_ORIG;
	}
	return maybe;
}

struct egw_flow *egw_flow_lookup(struct egw_flow_table *ft, const struct egw_flow_key *key,
	unsigned *dir)
{
	uint32_t v;

	if (egw_flow_index_lookup(&ft->index, key, &v) < 0)
		return NULL;
	*dir = EGW_FLOW_VAL_DIR(v);
	return &ft->flows[EGW_FLOW_VAL_IDX(v)];
}

bool egw_flow_key_exists(struct egw_flow_table *ft, const struct egw_flow_key *key)
{
	uint32_t v;

	return egw_flow_index_lookup(&ft->index, key, &v) == 0;
}

/* Puts F, which no index entry names any more, on the free list. */
static void push_free(struct egw_flow_table *ft, struct egw_flow *f)
{
	f->state = EGW_FLOW_FREE;
	*free_link(f) = ft->free_head;
	ft->free_head = record_index(ft, f);
	ft->n_free++;
}

struct egw_flow *egw_flow_alloc(struct egw_flow_table *ft)
{
	struct egw_flow *f;

	if (ft->n_free == 0)
		return NULL;
	f = &ft->flows[ft->free_head];
	ft->free_head = *free_link(f);
	ft->n_free--;
	/* The next allocation reads that record's link: request it now, while the caller fills
	 * this one. */
	if (ft->n_free)
		rte_prefetch0(&ft->flows[ft->free_head]);
	return f;
}

void egw_flow_abort(struct egw_flow_table *ft, struct egw_flow *f)
{
	push_free(ft, f);
}

int egw_flow_commit(struct egw_flow_table *ft, struct egw_flow *f,
	const struct egw_flow_key *reply_key, uint32_t now)
{
	/* A key present twice would make one of its flows unreachable. */
	if (egw_flow_key_exists(ft, &f->orig) || egw_flow_key_exists(ft, reply_key))
		return -EEXIST;
	return egw_flow_commit_new(ft, f, reply_key, now);
}

int egw_flow_commit_new(struct egw_flow_table *ft, struct egw_flow *f,
	const struct egw_flow_key *reply_key, uint32_t now)
{
	const uint32_t idx = record_index(ft, f);
	int rc;

	rc = egw_flow_index_add(&ft->index, &f->orig, (uint32_t)EGW_FLOW_VAL(idx, EGW_DIR_ORIG));
	if (rc < 0)
		return rc;
	rc = egw_flow_index_add(&ft->index, reply_key, (uint32_t)EGW_FLOW_VAL(idx, EGW_DIR_REPLY));
	if (rc < 0) {
		egw_flow_index_del(&ft->index, &f->orig, (uint32_t)EGW_FLOW_VAL(idx, EGW_DIR_ORIG));
		return rc;
	}
	f->created = now;
	set_active(ft, ft->n_active + 1);
	return 0;
}

int egw_flow_rekey_reply(struct egw_flow_table *ft, struct egw_flow *f,
	const struct egw_flow_key *old_reply)
{
	const uint32_t val = (uint32_t)EGW_FLOW_VAL(record_index(ft, f), EGW_DIR_REPLY);
	struct egw_flow_key reply;
	int rc;

	egw_flow_reply_key(f, &reply);
	if (memcmp(&reply, old_reply, sizeof(reply)) == 0)
		return 0;
	egw_flow_index_del(&ft->index, old_reply, val);
	rc = egw_flow_index_add(&ft->index, &reply, val);
	if (rc < 0)
		egw_flow_index_add(&ft->index, old_reply, val); /* its slot was just freed */
	return rc;
}

uint32_t egw_flow_index(const struct egw_flow_table *ft, const struct egw_flow *f)
{
	return record_index(ft, f);
}

struct egw_flow *egw_flow_at(struct egw_flow_table *ft, uint32_t index)
{
	return index < ft->capacity && ft->flows[index].state != EGW_FLOW_FREE ? &ft->flows[index] :
										 NULL;
}

uint32_t egw_flow_created(const struct egw_flow_table *ft, const struct egw_flow *f)
{
	RTE_SET_USED(ft);
	return f->created;
}

void egw_flow_remove(struct egw_flow_table *ft, struct egw_flow *f)
{
	const uint32_t idx = record_index(ft, f);
	struct egw_flow_key reply;

	egw_flow_reply_key(f, &reply);
	egw_flow_index_del(&ft->index, &f->orig, (uint32_t)EGW_FLOW_VAL(idx, EGW_DIR_ORIG));
	egw_flow_index_del(&ft->index, &reply, (uint32_t)EGW_FLOW_VAL(idx, EGW_DIR_REPLY));
	push_free(ft, f);
	set_active(ft, ft->n_active - 1);
}

uint32_t egw_flow_scan(struct egw_flow_table *ft, uint32_t *cursor, uint32_t budget,
	egw_flow_visit_fn fn, void *ctx)
{
	const uint32_t start = *cursor < ft->capacity ? *cursor : ft->capacity;
	const uint32_t end = start + RTE_MIN(budget, ft->capacity - start);

	for (uint32_t i = start; i < end; i++)
		if (ft->flows[i].state != EGW_FLOW_FREE)
			fn(ctx, &ft->flows[i]);
	*cursor = end;
	return end - start;
}

struct expiry {
	struct egw_flow_table *ft;
	uint32_t now, removed;
	egw_flow_expire_cb cb;
	void *ctx;
};

static void expire_one(void *ctx, struct egw_flow *f)
{
	struct expiry *e = ctx;

	if (e->now - f->last_seen <= egw_flow_timeout(e->ft, f))
		return;
	if (e->cb)
		e->cb(e->ctx, f);
	egw_flow_remove(e->ft, f);
	e->removed++;
}

uint32_t egw_flow_expire_step(struct egw_flow_table *ft, uint32_t now, uint32_t budget,
	egw_flow_expire_cb cb, void *ctx)
{
	struct expiry e = { .ft = ft, .now = now, .cb = cb, .ctx = ctx };

	if (ft->n_active == 0)
		return 0;
	budget = RTE_MIN(budget, ft->capacity);
	/* Round and round: the cursor wraps to the start when a pass reaches the end. */
	while (budget) {
		budget -= egw_flow_scan(ft, &ft->expire_cursor, budget, expire_one, &e);
		if (ft->expire_cursor == ft->capacity)
			ft->expire_cursor = 0;
	}
	return e.removed;
}

static void flush_one(void *ctx, struct egw_flow *f)
{
	struct expiry *e = ctx;

	if (e->cb)
		e->cb(e->ctx, f);
	egw_flow_remove(e->ft, f);
	e->removed++;
}

uint32_t egw_flow_flush(struct egw_flow_table *ft, egw_flow_expire_cb cb, void *ctx)
{
	struct expiry e = { .ft = ft, .cb = cb, .ctx = ctx };
	uint32_t cursor = 0;

	egw_flow_scan(ft, &cursor, ft->capacity, flush_one, &e);
	return e.removed;
}
