/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_log.h>
#include <rte_memory.h>

#include "egw_test.h"
#include "flow/flow_filter.h"
#include "flow/flow_table_internal.h"
#include "flow/tcp.h"
#include "flow/udp.h"
#include "pkt/pkt.h"
#include "pktgen.h"

static const struct egw_flow_timeouts TO = { .tcp_syn = 30,
	.tcp_established = 7440,
	.tcp_transitory = 240,
	.udp = 300,
	.icmp = 60 };

#define NAT_ADDR PG_IP(198, 51, 100, 10)

/* Inserts a flow CLIENT(i):port -> SERVER:80 translated to NAT_ADDR:(1024 + i). */
static struct egw_flow *add_flow(struct egw_flow_table *ft, unsigned i, uint8_t proto,
	uint8_t state, uint32_t last_seen)
{
	struct egw_flow *f = egw_flow_alloc(ft);
	struct egw_flow_key reply;
	uint16_t ap = (uint16_t)(40000 + i % 20000);

	if (!f)
		return NULL;
	egw_flow_key_set(&f->orig, htonl(PG_IP(198, 18, (i >> 8) & 0xff, i & 0xff)),
		htonl(PG_IP(203, 0, 113, 1)), htons(ap),
		proto == IPPROTO_ICMP ? htons(ap) : htons(80), proto, EGW_ZONE_INSIDE);
	f->nat_addr = htonl(NAT_ADDR);
	f->nat_port = htons((uint16_t)(1024 + i));
	f->flags = EGW_FLOW_F_NAT;
	egw_flow_reply_key(f, &reply);
	if (egw_flow_commit(ft, f, &reply, last_seen) < 0) {
		egw_flow_abort(ft, f);
		return NULL;
	}
	f->state = state;
	f->last_seen = last_seen;
	CU_ASSERT_EQUAL(egw_flow_created(ft, f), last_seen);
	return f;
}

static bool lookup_is(struct egw_flow_table *ft, const struct egw_flow_key *k,
	const struct egw_flow *f, unsigned dir)
{
	unsigned d;

	return egw_flow_lookup(ft, k, &d) == f && d == dir;
}

static void test_flow_create_params(void)
{
	struct egw_flow_table *ft;

	CU_ASSERT_PTR_NULL(egw_flow_table_create(0, SOCKET_ID_ANY, &TO));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	ft = egw_flow_table_create(100, SOCKET_ID_ANY, &TO);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	CU_ASSERT_EQUAL(ft->capacity, 100);
	CU_ASSERT_EQUAL(ft->n_free, 100);
	CU_ASSERT_EQUAL(ft->n_active, 0);
	/* Both lines of every record in one adjacent-line prefetch pair. */
	CU_ASSERT_EQUAL((uintptr_t)ft->flows % EGW_FLOW_ALIGN, 0);
	CU_ASSERT_EQUAL(sizeof(ft->flows[0]) % EGW_FLOW_ALIGN, 0);
	CU_ASSERT_EQUAL(ft->timeout[EGW_TCP_SYN_SENT], 30);
	CU_ASSERT_EQUAL(ft->timeout[EGW_TCP_SYN_RECV], 30);
	CU_ASSERT_EQUAL(ft->timeout[EGW_TCP_ESTABLISHED], 7440);
	CU_ASSERT_EQUAL(ft->timeout[EGW_TCP_FIN_WAIT], 7440);
	CU_ASSERT_EQUAL(ft->timeout[EGW_TCP_CLOSING], 240);
	CU_ASSERT_EQUAL(ft->timeout[EGW_TCP_RESET], 240);
	CU_ASSERT_EQUAL(ft->timeout[EGW_FLOW_UDP], 300);
	CU_ASSERT_EQUAL(ft->timeout[EGW_FLOW_ICMP], 60);
	/* The index is not a named DPDK object: two tables may exist at once. */
	{
		struct egw_flow_table *again = egw_flow_table_create(100, SOCKET_ID_ANY, &TO);
		CU_ASSERT_PTR_NOT_NULL(again);
		egw_flow_table_free(again);
	}
	/* The accessors read what create set. */
	CU_ASSERT_EQUAL(egw_flow_table_capacity(ft), 100);
	CU_ASSERT_EQUAL(egw_flow_table_active(ft), 0);
	CU_ASSERT_EQUAL(egw_flow_table_timeout(ft, EGW_TCP_ESTABLISHED), 7440);
	CU_ASSERT_EQUAL(egw_flow_table_timeout(ft, EGW_FLOW_STATE_MAX), 0);
	/* Records and index only: the free list runs through the unused records. */
	CU_ASSERT_EQUAL(egw_flow_table_bytes(100), sizeof(struct egw_flow_table) +
							   100 * sizeof(struct egw_flow) +
							   egw_flow_index_bytes(200));
	/* Buckets: at most half their slots used when every key is in, no rounding up. */
	CU_ASSERT_EQUAL(egw_flow_index_bytes(200), 40 * sizeof(struct egw_fi_bucket));
	CU_ASSERT_EQUAL(egw_flow_index_bytes(201), 41 * sizeof(struct egw_fi_bucket));
	CU_ASSERT_EQUAL(egw_flow_index_bytes(2), 2 * sizeof(struct egw_fi_bucket));
	CU_ASSERT_EQUAL(sizeof(struct egw_fi_bucket), 64);
	egw_flow_table_free(ft);
	egw_flow_table_free(NULL);
}

static void test_flow_insert_lookup_remove(void)
{
	struct egw_flow_table *ft = egw_flow_table_create(1024, SOCKET_ID_ANY, &TO);
	struct egw_flow *fl[300];
	struct egw_flow_key reply, k;
	unsigned d;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	for (unsigned i = 0; i < 300; i++) {
		fl[i] = add_flow(ft, i,
			i % 3 == 2 ? IPPROTO_ICMP :
			i % 3	   ? IPPROTO_UDP :
				     IPPROTO_TCP,
			EGW_FLOW_UDP, 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(fl[i]);
	}
	CU_ASSERT_EQUAL(ft->n_active, 300);
	CU_ASSERT_EQUAL(ft->n_free, 1024 - 300);
	/* By position: a live record, a free one, none past the end. */
	CU_ASSERT_PTR_EQUAL(egw_flow_at(ft, egw_flow_index(ft, fl[7])), fl[7]);
	CU_ASSERT_PTR_NULL(egw_flow_at(ft, ft->free_head));
	CU_ASSERT_PTR_NULL(egw_flow_at(ft, 1024));
	for (unsigned i = 0; i < 300; i++) {
		egw_flow_reply_key(fl[i], &reply);
		CU_ASSERT(lookup_is(ft, &fl[i]->orig, fl[i], EGW_DIR_ORIG));
		CU_ASSERT(lookup_is(ft, &reply, fl[i], EGW_DIR_REPLY));
		CU_ASSERT(egw_flow_key_exists(ft, &fl[i]->orig));
		CU_ASSERT(egw_flow_key_exists(ft, &reply));
		/* The original bytes in the outside zone are another key. */
		k = fl[i]->orig;
		k.zone = EGW_ZONE_OUTSIDE;
		CU_ASSERT_PTR_NULL(egw_flow_lookup(ft, &k, &d));
	}

	/* Reply keys: the remote endpoint toward our egress tuple, outside zone. */
	egw_flow_reply_key(fl[0], &reply);
	CU_ASSERT_EQUAL(reply.a_addr, htonl(PG_IP(203, 0, 113, 1)));
	CU_ASSERT_EQUAL(reply.b_addr, htonl(NAT_ADDR));
	CU_ASSERT_EQUAL(reply.a_port, htons(80));
	CU_ASSERT_EQUAL(reply.b_port, htons(1024));
	CU_ASSERT_EQUAL(reply.proto, IPPROTO_TCP);
	CU_ASSERT_EQUAL(reply.zone, EGW_ZONE_OUTSIDE);
	CU_ASSERT_EQUAL(reply.pad, 0);
	egw_flow_reply_key(fl[2], &reply); /* ICMP: the translated id on both sides */
	CU_ASSERT_EQUAL(reply.a_port, htons(1026));
	CU_ASSERT_EQUAL(reply.b_port, htons(1026));

	/* Bulk: 64 keys, hits where the key exists, with their directions. */
	{
		struct egw_flow_key keys[64];
		const struct egw_flow_key *kp[64];
		struct egw_flow *flows[64];
		uint8_t dirs[64];
		uint64_t want = 0, hits;

		for (unsigned i = 0; i < 64; i++) {
			if (i % 3 == 0) {
				keys[i] = fl[i]->orig;
				want |= 1ULL << i;
			} else if (i % 3 == 1) {
				egw_flow_reply_key(fl[i], &keys[i]);
				want |= 1ULL << i;
			} else {
				keys[i] = fl[i]->orig;
				keys[i].b_port ^= 0x0100; /* no such flow */
			}
			kp[i] = &keys[i];
		}
		hits = egw_flow_lookup_bulk(ft, kp, 64, flows, dirs);
		CU_ASSERT_EQUAL(hits, want);
		for (unsigned i = 0; i < 64; i++) {
			if (!(hits & (1ULL << i)))
				continue;
			CU_ASSERT_PTR_EQUAL(flows[i], fl[i]);
			CU_ASSERT_EQUAL(dirs[i], i % 3 == 0 ? EGW_DIR_ORIG : EGW_DIR_REPLY);
		}
		CU_ASSERT_EQUAL(egw_flow_lookup_bulk(ft, kp, 0, flows, dirs), 0);
		/* A burst of 5 with one miss. */
		hits = egw_flow_lookup_bulk(ft, kp + 1, 5, flows, dirs);
		CU_ASSERT_EQUAL(hits, 0x0d); /* keys 1..5: 2 and 5 miss -> bits 0, 2, 3 */
	}

	/* Staged: candidates for the burst, each confirmed later; the same answers. */
	{
		struct egw_flow_key keys[64];
		const struct egw_flow_key *kp[64];
		struct egw_flow *cand[64];
		uint8_t cdirs[64];
		uint64_t maybe;
		unsigned dir, found = 0;

		for (unsigned i = 0; i < 64; i++) {
			keys[i] = fl[i]->orig;
			if (i % 3 == 1)
				egw_flow_reply_key(fl[i], &keys[i]);
			if (i % 3 == 2)
				keys[i].b_port ^= 0x0100; /* no such flow */
			kp[i] = &keys[i];
		}
		CU_ASSERT_EQUAL(egw_flow_candidates_bulk(ft, kp, 0, cand, cdirs), 0);
		maybe = egw_flow_candidates_bulk(ft, kp, 64, cand, cdirs);
		for (unsigned i = 0; i < 64; i++) {
			struct egw_flow *f = NULL;
			dir = 9;
			if (maybe & (1ULL << i))
				f = egw_flow_confirm(ft, &keys[i], cand[i], cdirs[i], &dir);
			if (i % 3 == 2) {
				CU_ASSERT_PTR_NULL(f);
				continue;
			}
			CU_ASSERT_PTR_EQUAL(f, fl[i]);
			CU_ASSERT_EQUAL(dir, i % 3 == 0 ? EGW_DIR_ORIG : EGW_DIR_REPLY);
			found += f == fl[i];
		}
		CU_ASSERT_EQUAL(found, 43);
		/* A wrong candidate (another flow's record, or none) falls back to the full
		 * lookup; a wrong direction too. */
		CU_ASSERT_PTR_EQUAL(egw_flow_confirm(ft, &keys[0], fl[3], EGW_DIR_ORIG, &dir),
			fl[0]);
		CU_ASSERT_EQUAL(dir, EGW_DIR_ORIG);
		CU_ASSERT_PTR_EQUAL(egw_flow_confirm(ft, &keys[1], NULL, EGW_DIR_ORIG, &dir),
			fl[1]);
		CU_ASSERT_EQUAL(dir, EGW_DIR_REPLY);
		CU_ASSERT_PTR_EQUAL(egw_flow_confirm(ft, &keys[1], fl[1], EGW_DIR_ORIG, &dir),
			fl[1]);
		CU_ASSERT_EQUAL(dir, EGW_DIR_REPLY);
		CU_ASSERT_PTR_NULL(egw_flow_confirm(ft, &keys[2], fl[2], EGW_DIR_ORIG, &dir));
	}

	/* Remove: both keys gone, the record is free again. */
	for (unsigned i = 0; i < 300; i += 2) {
		egw_flow_reply_key(fl[i], &reply);
		k = fl[i]->orig;
		egw_flow_remove(ft, fl[i]);
		CU_ASSERT_EQUAL(fl[i]->state, EGW_FLOW_FREE);
		CU_ASSERT_PTR_NULL(egw_flow_lookup(ft, &k, &d));
		CU_ASSERT_PTR_NULL(egw_flow_lookup(ft, &reply, &d));
		CU_ASSERT(!egw_flow_key_exists(ft, &reply));
	}
	CU_ASSERT_EQUAL(ft->n_active, 150);
	CU_ASSERT_EQUAL(ft->n_free, 1024 - 150);
	for (unsigned i = 1; i < 300; i += 2) {
		egw_flow_reply_key(fl[i], &reply);
		CU_ASSERT(lookup_is(ft, &fl[i]->orig, fl[i], EGW_DIR_ORIG));
		CU_ASSERT(lookup_is(ft, &reply, fl[i], EGW_DIR_REPLY));
	}
	/* The most recently freed record is reused first. */
	CU_ASSERT_PTR_EQUAL(egw_flow_alloc(ft), fl[298]);
	egw_flow_abort(ft, fl[298]);
	CU_ASSERT_EQUAL(ft->n_free, 1024 - 150);
	egw_flow_table_free(ft);
}

/* Inserting a key another flow holds must fail and leave that flow intact. */
static void test_flow_commit_duplicate(void)
{
	struct egw_flow_table *ft = egw_flow_table_create(64, SOCKET_ID_ANY, &TO);
	struct egw_flow *f1, *f2;
	struct egw_flow_key r1, r2;
	unsigned d;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	f1 = add_flow(ft, 1, IPPROTO_TCP, EGW_TCP_ESTABLISHED, 5);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f1);
	egw_flow_reply_key(f1, &r1);

	/* Same original key, another translation. */
	f2 = egw_flow_alloc(ft);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f2);
	f2->orig = f1->orig;
	f2->nat_addr = htonl(NAT_ADDR + 1);
	f2->nat_port = htons(5000);
	egw_flow_reply_key(f2, &r2);
	CU_ASSERT_EQUAL(egw_flow_commit(ft, f2, &r2, 5), -EEXIST);
	egw_flow_abort(ft, f2);
	CU_ASSERT(lookup_is(ft, &f1->orig, f1, EGW_DIR_ORIG));
	CU_ASSERT(lookup_is(ft, &r1, f1, EGW_DIR_REPLY));
	CU_ASSERT_PTR_NULL(egw_flow_lookup(ft, &r2, &d));

	/* Another original key, but the same external tuple (reply key). */
	f2 = egw_flow_alloc(ft);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f2);
	f2->orig = f1->orig;
	f2->orig.a_port = htons(12345);
	f2->nat_addr = f1->nat_addr;
	f2->nat_port = f1->nat_port;
	egw_flow_reply_key(f2, &r2);
	CU_ASSERT_EQUAL(memcmp(&r1, &r2, sizeof(r1)), 0);
	CU_ASSERT_EQUAL(egw_flow_commit(ft, f2, &r2, 5), -EEXIST);
	CU_ASSERT_PTR_NULL(egw_flow_lookup(ft, &f2->orig, &d));
	egw_flow_abort(ft, f2);
	CU_ASSERT(lookup_is(ft, &f1->orig, f1, EGW_DIR_ORIG));
	CU_ASSERT(lookup_is(ft, &r1, f1, EGW_DIR_REPLY));
	CU_ASSERT_EQUAL(ft->n_active, 1);
	CU_ASSERT_EQUAL(ft->n_free, 63);
	egw_flow_table_free(ft);
}

/* The free list hands out every record once, in ascending order from a new table, and the
 * most recently freed first afterwards. */
static void test_flow_free_list(void)
{
	struct egw_flow_table *ft = egw_flow_table_create(64, SOCKET_ID_ANY, &TO);
	struct egw_flow *fl[64];

	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	for (unsigned i = 0; i < 64; i++) {
		fl[i] = egw_flow_alloc(ft);
		CU_ASSERT_PTR_NOT_NULL_FATAL(fl[i]);
		CU_ASSERT_EQUAL(egw_flow_index(ft, fl[i]), i);
		CU_ASSERT_EQUAL(egw_flow_table_free_records(ft), 63 - i);
	}
	CU_ASSERT_PTR_NULL(egw_flow_alloc(ft));
	egw_flow_abort(ft, fl[9]);
	egw_flow_abort(ft, fl[40]);
	egw_flow_abort(ft, fl[2]);
	CU_ASSERT_EQUAL(egw_flow_table_free_records(ft), 3);
	CU_ASSERT_PTR_EQUAL(egw_flow_alloc(ft), fl[2]);
	CU_ASSERT_PTR_EQUAL(egw_flow_alloc(ft), fl[40]);
	CU_ASSERT_PTR_EQUAL(egw_flow_alloc(ft), fl[9]);
	CU_ASSERT_PTR_NULL(egw_flow_alloc(ft));
	CU_ASSERT_EQUAL(egw_flow_table_free_records(ft), 0);
	egw_flow_table_free(ft);
}

static void test_flow_table_full(void)
{
	struct egw_flow_table *ft = egw_flow_table_create(8, SOCKET_ID_ANY, &TO);
	struct egw_flow *fl[8], *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	for (unsigned i = 0; i < 8; i++) {
		fl[i] = add_flow(ft, i, IPPROTO_UDP, EGW_FLOW_UDP, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(fl[i]);
	}
	CU_ASSERT_EQUAL(ft->n_free, 0);
	CU_ASSERT_PTR_NULL(egw_flow_alloc(ft));
	CU_ASSERT_PTR_NULL(add_flow(ft, 8, IPPROTO_UDP, EGW_FLOW_UDP, 0));
	CU_ASSERT_EQUAL(ft->n_active, 8);
	egw_flow_remove(ft, fl[3]);
	f = add_flow(ft, 9, IPPROTO_UDP, EGW_FLOW_UDP, 0);
	CU_ASSERT_PTR_EQUAL(f, fl[3]);
	CU_ASSERT_PTR_NULL(egw_flow_alloc(ft));
	CU_ASSERT_EQUAL(ft->n_active, 8);
	egw_flow_table_free(ft);
}

struct expired {
	unsigned n;
	uint8_t states[256];
	uint32_t idx[256];
	struct egw_flow_table *ft;
};

static void on_expire(void *ctx, struct egw_flow *f)
{
	struct expired *e = ctx;

	/* Called before the removal: the flow is still whole. */
	CU_ASSERT(f->state != EGW_FLOW_FREE);
	CU_ASSERT(egw_flow_key_exists(e->ft, &f->orig));
	if (e->n < 256) {
		e->states[e->n] = f->state;
		e->idx[e->n] = (uint32_t)(f - e->ft->flows);
	}
	e->n++;
}

static unsigned count_state(const struct expired *e, uint8_t state)
{
	unsigned c = 0;

	for (unsigned i = 0; i < e->n && i < 256; i++)
		c += e->states[i] == state;
	return c;
}

static void test_flow_expire_timeouts(void)
{
	static const uint8_t states[] = { EGW_TCP_SYN_SENT, EGW_TCP_SYN_RECV, EGW_TCP_ESTABLISHED,
		EGW_TCP_FIN_WAIT, EGW_TCP_CLOSING, EGW_TCP_RESET, EGW_FLOW_UDP, EGW_FLOW_ICMP };
	struct egw_flow_table *ft = egw_flow_table_create(64, SOCKET_ID_ANY, &TO);
	struct expired e = { .ft = ft };
	const uint32_t t0 = 1000;
	struct egw_flow *fresh;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	/* Three flows per state, idle since t0; one UDP flow refreshed later. */
	for (unsigned i = 0; i < 24; i++) {
		uint8_t st = states[i % 8];
		CU_ASSERT_PTR_NOT_NULL_FATAL(add_flow(ft, i,
			st == EGW_FLOW_UDP  ? IPPROTO_UDP :
			st == EGW_FLOW_ICMP ? IPPROTO_ICMP :
					      IPPROTO_TCP,
			st, t0));
	}
	fresh = add_flow(ft, 30, IPPROTO_UDP, EGW_FLOW_UDP, t0 + 20);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fresh);

	/* Idle exactly the timeout: not yet. */
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, t0 + 30, 64, on_expire, &e), 0);
	CU_ASSERT_EQUAL(e.n, 0);
	/* SYN states only. */
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, t0 + 31, 64, on_expire, &e), 6);
	CU_ASSERT_EQUAL(count_state(&e, EGW_TCP_SYN_SENT), 3);
	CU_ASSERT_EQUAL(count_state(&e, EGW_TCP_SYN_RECV), 3);
	CU_ASSERT_EQUAL(ft->n_active, 19);
	/* ICMP at 61 s. */
	e.n = 0;
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, t0 + 60, 64, on_expire, &e), 0);
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, t0 + 61, 64, on_expire, &e), 3);
	CU_ASSERT_EQUAL(count_state(&e, EGW_FLOW_ICMP), 3);
	/* Transitory TCP (closing, reset) at 241 s. */
	e.n = 0;
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, t0 + 240, 64, on_expire, &e), 0);
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, t0 + 241, 64, on_expire, &e), 6);
	CU_ASSERT_EQUAL(count_state(&e, EGW_TCP_CLOSING), 3);
	CU_ASSERT_EQUAL(count_state(&e, EGW_TCP_RESET), 3);
	/* UDP at 301 s, except the refreshed one. */
	e.n = 0;
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, t0 + 300, 64, on_expire, &e), 0);
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, t0 + 301, 64, on_expire, &e), 3);
	CU_ASSERT_EQUAL(count_state(&e, EGW_FLOW_UDP), 3);
	CU_ASSERT(egw_flow_key_exists(ft, &fresh->orig));
	/* The refreshed UDP flow at 321 s; established and half-closed at 7441 s. */
	e.n = 0;
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, t0 + 320, 64, on_expire, &e), 0);
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, t0 + 321, 64, on_expire, &e), 1);
	CU_ASSERT_EQUAL(count_state(&e, EGW_FLOW_UDP), 1);
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, t0 + 7440, 64, on_expire, &e), 0);
	e.n = 0;
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, t0 + 7441, 64, on_expire, &e), 6);
	CU_ASSERT_EQUAL(count_state(&e, EGW_TCP_ESTABLISHED), 3);
	CU_ASSERT_EQUAL(count_state(&e, EGW_TCP_FIN_WAIT), 3);
	CU_ASSERT_EQUAL(ft->n_active, 0);
	CU_ASSERT_EQUAL(ft->n_free, 64);
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, t0 + 100000, 64, on_expire, &e), 0);

	/* The clock wraps: idle time is computed modulo 2^32. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(add_flow(ft, 40, IPPROTO_TCP, EGW_TCP_SYN_SENT, 0xfffffff0u));
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, 0x0000000eu, 64, NULL, NULL), 0);
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, 0x0000000fu, 64, NULL, NULL), 1);

	/* New timeouts apply to existing flows. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(add_flow(ft, 41, IPPROTO_UDP, EGW_FLOW_UDP, 50));
	egw_flow_table_set_timeouts(ft, &(struct egw_flow_timeouts){ 1, 1, 1, 5, 1 });
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, 55, 64, NULL, NULL), 0);
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, 56, 64, NULL, NULL), 1);
	egw_flow_table_free(ft);
}

static void test_flow_expire_budget(void)
{
	struct egw_flow_table *ft = egw_flow_table_create(16, SOCKET_ID_ANY, &TO);
	struct expired e = { .ft = ft };

	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	for (unsigned i = 0; i < 16; i++)
		CU_ASSERT_PTR_NOT_NULL_FATAL(add_flow(ft, i, IPPROTO_UDP, EGW_FLOW_UDP, 0));
	/* Fresh table: records are handed out from index 0 up. */
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, 1000, 0, on_expire, &e), 0);
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, 1000, 5, on_expire, &e), 5);
	for (unsigned i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(e.idx[i], i);
	CU_ASSERT_EQUAL(ft->expire_cursor, 5);
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, 1000, 5, on_expire, &e), 5);
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, 1000, 5, on_expire, &e), 5);
	CU_ASSERT_EQUAL(ft->expire_cursor, 15);
	/* Wraps: examines 15, 0, 1, 2, 3; only 15 is still there. */
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, 1000, 5, on_expire, &e), 1);
	CU_ASSERT_EQUAL(ft->expire_cursor, 4);
	CU_ASSERT_EQUAL(e.n, 16);
	for (unsigned i = 0; i < 16; i++)
		CU_ASSERT_EQUAL(e.idx[i], i);
	CU_ASSERT_EQUAL(ft->n_active, 0);

	/* A budget above the capacity examines each record once. */
	for (unsigned i = 0; i < 16; i++)
		CU_ASSERT_PTR_NOT_NULL_FATAL(add_flow(ft, i, IPPROTO_UDP, EGW_FLOW_UDP, 0));
	e.n = 0;
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, 1000, 1000, on_expire, &e), 16);
	CU_ASSERT_EQUAL(e.n, 16);
	CU_ASSERT_EQUAL(ft->expire_cursor, 4);
	CU_ASSERT_EQUAL(ft->n_free, 16);
	egw_flow_table_free(ft);
}

static void test_flow_flush(void)
{
	struct egw_flow_table *ft = egw_flow_table_create(32, SOCKET_ID_ANY, &TO);
	struct expired e = { .ft = ft };
	struct egw_flow_key keys[10];
	unsigned d;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	CU_ASSERT_EQUAL(egw_flow_flush(ft, on_expire, &e), 0);
	for (unsigned i = 0; i < 10; i++) {
		struct egw_flow *f = add_flow(ft, i, IPPROTO_TCP, EGW_TCP_ESTABLISHED, 7);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		egw_flow_reply_key(f, &keys[i]);
	}
	CU_ASSERT_EQUAL(egw_flow_flush(ft, on_expire, &e), 10);
	CU_ASSERT_EQUAL(e.n, 10);
	CU_ASSERT_EQUAL(ft->n_active, 0);
	CU_ASSERT_EQUAL(ft->n_free, 32);
	for (unsigned i = 0; i < 10; i++)
		CU_ASSERT_PTR_NULL(egw_flow_lookup(ft, &keys[i], &d));
	/* Usable again afterwards. */
	CU_ASSERT_PTR_NOT_NULL(add_flow(ft, 3, IPPROTO_TCP, EGW_TCP_ESTABLISHED, 7));
	CU_ASSERT_EQUAL(egw_flow_flush(ft, NULL, NULL), 1);
	egw_flow_table_free(ft);
}

struct scan_seen {
	struct egw_flow_table *ft;
	unsigned n;
	bool remove;
};

static void on_scan(void *ctx, struct egw_flow *f)
{
	struct scan_seen *c = ctx;

	CU_ASSERT(f->state != EGW_FLOW_FREE);
	c->n++;
	if (c->remove)
		egw_flow_remove(c->ft, f);
}

/* The one walk: live records only, bounded per call, resumable, safe to remove in. */
static void test_flow_scan(void)
{
	struct egw_flow_table *ft = egw_flow_table_create(20, SOCKET_ID_ANY, &TO);
	struct scan_seen c = { .ft = ft };
	uint32_t cursor = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	for (unsigned i = 0; i < 12; i++)
		CU_ASSERT_PTR_NOT_NULL_FATAL(add_flow(ft, i, IPPROTO_UDP, EGW_FLOW_UDP, 0));
	/* Records 0..11 are live: 7 examined, 7 visited. */
	CU_ASSERT_EQUAL(egw_flow_scan(ft, &cursor, 7, on_scan, &c), 7);
	CU_ASSERT_EQUAL(cursor, 7);
	CU_ASSERT_EQUAL(c.n, 7);
	/* The rest: 13 records left, 5 of them live; the end is reported by the cursor. */
	CU_ASSERT_EQUAL(egw_flow_scan(ft, &cursor, 100, on_scan, &c), 13);
	CU_ASSERT_EQUAL(cursor, 20);
	CU_ASSERT_EQUAL(c.n, 12);
	CU_ASSERT_EQUAL(egw_flow_scan(ft, &cursor, 100, on_scan, &c), 0);
	/* A budget of 0 examines nothing; a visitor may remove what it visits. */
	cursor = 0;
	CU_ASSERT_EQUAL(egw_flow_scan(ft, &cursor, 0, on_scan, &c), 0);
	c.n = 0;
	c.remove = true;
	CU_ASSERT_EQUAL(egw_flow_scan(ft, &cursor, 20, on_scan, &c), 20);
	CU_ASSERT_EQUAL(c.n, 12);
	CU_ASSERT_EQUAL(egw_flow_table_active(ft), 0);
	egw_flow_table_free(ft);
}

static void test_tcp_initial_state(void)
{
	CU_ASSERT_EQUAL(egw_tcp_initial_state(EGW_TCP_SYN), EGW_TCP_SYN_SENT);
	CU_ASSERT_EQUAL(egw_tcp_initial_state(EGW_TCP_SYN | EGW_TCP_PSH), EGW_TCP_SYN_SENT);
	/* Pickup mid-stream. */
	CU_ASSERT_EQUAL(egw_tcp_initial_state(EGW_TCP_ACK), EGW_TCP_ESTABLISHED);
	CU_ASSERT_EQUAL(egw_tcp_initial_state(EGW_TCP_ACK | EGW_TCP_PSH), EGW_TCP_ESTABLISHED);
	CU_ASSERT_EQUAL(egw_tcp_initial_state(EGW_TCP_FIN | EGW_TCP_ACK), EGW_TCP_ESTABLISHED);
}

/* Which segments may open a flow, with and without tcp_pickup (issue 9: flag-less segments,
 * a bare FIN and FIN+PSH+URG used to create flows). */
static void test_tcp_may_start(void)
{
	static const struct {
		uint8_t flags;
		bool plain, pickup;
	} cases[] = {
		{ EGW_TCP_SYN, true, true },
		{ EGW_TCP_SYN | EGW_TCP_PSH, true, true },
		{ EGW_TCP_SYN | 0x20 /* URG */, true, true },
		{ EGW_TCP_ACK, false, true },
		{ EGW_TCP_ACK | EGW_TCP_PSH, false, true },
		{ EGW_TCP_FIN | EGW_TCP_ACK, false, true },
		{ EGW_TCP_SYN | EGW_TCP_ACK, false, false },
		{ EGW_TCP_RST, false, false },
		{ EGW_TCP_RST | EGW_TCP_ACK, false, false },
		{ 0, false, false },
		{ EGW_TCP_FIN, false, false },
		{ EGW_TCP_FIN | EGW_TCP_PSH | 0x20, false, false },
		{ EGW_TCP_PSH, false, false },
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL(egw_tcp_may_start(cases[i].flags, false), cases[i].plain);
		CU_ASSERT_EQUAL(egw_tcp_may_start(cases[i].flags, true), cases[i].pickup);
	}
}

static void track(struct egw_flow *f, unsigned dir, uint8_t flags, uint8_t want)
{
	egw_tcp_track(f, dir, flags);
	CU_ASSERT_EQUAL(f->state, want);
}

/* egw_tcp_steady() lets the pipeline skip the tracker: wherever it says so, for every state,
 * direction and flag byte, the tracker leaves the record exactly as it was. */
static void test_tcp_steady_skips_nothing(void)
{
	unsigned steady = 0;

	for (uint8_t st = EGW_TCP_SYN_SENT; st <= EGW_TCP_RESET; st++)
		for (unsigned dir = 0; dir < 2; dir++)
			for (unsigned flags = 0; flags < 256; flags++) {
				struct egw_flow f, before;

				memset(&f, 0, sizeof(f));
				f.state = st;
				f.flags = EGW_FLOW_F_NAT;
				before = f;
				if (!egw_tcp_steady(&f, (uint8_t)flags))
					continue;
				steady++;
				egw_tcp_track(&f, dir, (uint8_t)flags);
				CU_ASSERT_EQUAL(memcmp(&f, &before, sizeof(f)), 0);
			}
	/* Established, both ways, every flag byte without SYN, FIN and RST. */
	CU_ASSERT_EQUAL(steady, 2 * 32);
}

static void test_tcp_state_machine(void)
{
	struct egw_flow f;
	const uint8_t S = EGW_TCP_SYN, A = EGW_TCP_ACK, F = EGW_TCP_FIN, R = EGW_TCP_RST;
	const unsigned O = EGW_DIR_ORIG, P = EGW_DIR_REPLY;
	const uint8_t both = EGW_FLOW_F_FIN_ORIG | EGW_FLOW_F_FIN_REPLY;

	memset(&f, 0, sizeof(f));
	f.flags = EGW_FLOW_F_NAT;
	f.state = egw_tcp_initial_state(S);
	/* Handshake, with retransmissions and wrong-way packets in between. */
	track(&f, O, S, EGW_TCP_SYN_SENT);
	track(&f, P, A, EGW_TCP_SYN_SENT);
	track(&f, O, S | A, EGW_TCP_SYN_SENT);
	track(&f, P, S | A, EGW_TCP_SYN_RECV);
	track(&f, P, S | A, EGW_TCP_SYN_RECV);
	track(&f, O, S, EGW_TCP_SYN_RECV);
	track(&f, P, A, EGW_TCP_SYN_RECV);
	track(&f, O, A, EGW_TCP_ESTABLISHED);
	track(&f, O, A | EGW_TCP_PSH, EGW_TCP_ESTABLISHED);
	track(&f, P, A, EGW_TCP_ESTABLISHED);
	/* Close from the inside first: FIN, its ACK, the other FIN, the last ACK. */
	track(&f, O, F | A, EGW_TCP_FIN_WAIT);
	CU_ASSERT_EQUAL(f.flags & both, EGW_FLOW_F_FIN_ORIG);
	CU_ASSERT(f.flags & EGW_FLOW_F_NAT);
	track(&f, O, F | A, EGW_TCP_FIN_WAIT);
	track(&f, P, A, EGW_TCP_FIN_WAIT);
	CU_ASSERT_FALSE(egw_tcp_reopens(&f, S));
	track(&f, P, F | A, EGW_TCP_CLOSING);
	CU_ASSERT_EQUAL(f.flags & both, both);
	CU_ASSERT_FALSE(egw_flow_finished(f.state));
	track(&f, P, F | A, EGW_TCP_CLOSING); /* the second FIN again, not the last ACK */
	track(&f, O, A, EGW_TCP_TIME_WAIT);
	CU_ASSERT(egw_flow_finished(f.state));
	/* Late segments (retransmitted FIN, ACK) keep it in time-wait. */
	track(&f, P, F | A, EGW_TCP_TIME_WAIT);
	track(&f, O, A, EGW_TCP_TIME_WAIT);
	track(&f, O, A | EGW_TCP_PSH, EGW_TCP_TIME_WAIT);
	/* A new SYN from the inside is a new connection: the tracker leaves that to its caller
	 * (a new flow), it never reopens the old one. From the outside, or with ACK: not one. */
	CU_ASSERT(egw_tcp_reopens(&f, S));
	CU_ASSERT_FALSE(egw_tcp_reopens(&f, S | A));
	CU_ASSERT_FALSE(egw_tcp_reopens(&f, S | R));
	track(&f, O, S, EGW_TCP_TIME_WAIT);
	track(&f, P, S, EGW_TCP_TIME_WAIT);
	/* Close from the outside first. */
	f.state = EGW_TCP_ESTABLISHED;
	f.flags = EGW_FLOW_F_NAT;
	track(&f, P, F, EGW_TCP_FIN_WAIT);
	CU_ASSERT_EQUAL(f.flags & both, EGW_FLOW_F_FIN_REPLY);
	track(&f, O, F | A, EGW_TCP_CLOSING);
	CU_ASSERT(egw_tcp_reopens(&f, S));
	track(&f, P, A, EGW_TCP_TIME_WAIT);
	/* Simultaneous close: the FINs cross, each side ACKs the other's. */
	f.state = EGW_TCP_ESTABLISHED;
	f.flags = 0;
	track(&f, O, F | A, EGW_TCP_FIN_WAIT);
	track(&f, P, F | A, EGW_TCP_CLOSING);
	track(&f, P, A, EGW_TCP_TIME_WAIT);
	track(&f, O, A, EGW_TCP_TIME_WAIT);
	/* RST in any state, time-wait included: closed. */
	track(&f, P, R, EGW_TCP_RESET);
	CU_ASSERT(egw_flow_finished(f.state));
	CU_ASSERT(egw_tcp_reopens(&f, S));
	/* A reset flow stays reset: not revived by stray packets, a FIN or a SYN included. */
	track(&f, O, S, EGW_TCP_RESET);
	track(&f, P, S | A, EGW_TCP_RESET);
	track(&f, O, A, EGW_TCP_RESET);
	track(&f, O, F | A, EGW_TCP_RESET);
	track(&f, P, F | A, EGW_TCP_RESET);
	track(&f, P, S, EGW_TCP_RESET);
	track(&f, O, S | A, EGW_TCP_RESET);
	f.state = EGW_TCP_SYN_SENT;
	track(&f, P, R | A, EGW_TCP_RESET); /* refused */
	f.state = EGW_TCP_ESTABLISHED;
	f.flags = 0;
	CU_ASSERT_FALSE(egw_tcp_reopens(&f, S));
	track(&f, O, R | A, EGW_TCP_RESET);
	f.state = EGW_TCP_FIN_WAIT;
	track(&f, P, R, EGW_TCP_RESET);
	f.state = EGW_TCP_CLOSING;
	track(&f, O, R, EGW_TCP_RESET);
}

static bool alive(struct egw_flow_table *ft, const struct egw_flow *f)
{
	unsigned d;

	return egw_flow_lookup(ft, &f->orig, &d) == f;
}

/* Timeouts by state and by UDP port, on the injectable clock of egw_flow_expire_step(). */
/* A UDP flow from 198.18.0.I:4000I to 203.0.113.1:DPORT in STATE, last seen at T. */
static struct egw_flow *udp_flow_to(struct egw_flow_table *ft, unsigned i, uint16_t dport,
	uint8_t state, uint32_t t)
{
	struct egw_flow *f = egw_flow_alloc(ft);
	struct egw_flow_key reply;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	egw_flow_key_set(&f->orig, htonl(PG_IP(198, 18, 0, i)), htonl(PG_IP(203, 0, 113, 1)),
		htons((uint16_t)(40000 + i)), htons(dport), IPPROTO_UDP, EGW_ZONE_INSIDE);
	f->nat_addr = htonl(NAT_ADDR);
	f->nat_port = htons((uint16_t)(1024 + i));
	egw_flow_reply_key(f, &reply);
	CU_ASSERT_FATAL(egw_flow_commit(ft, f, &reply, t) == 0);
	f->state = state;
	f->last_seen = t;
	return f;
}

static void test_timeouts_by_behaviour(void)
{
	struct egw_flow_timeouts to = TO;
	struct egw_flow_table *ft;
	struct egw_flow *tw, *rst, *req, *ans, *stream, *dns, *hi;
	const uint32_t t0 = 1000;

	/* Zero: the timeout each one refines (callers that predate them keep theirs). */
	ft = egw_flow_table_create(64, SOCKET_ID_ANY, &TO);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	CU_ASSERT_EQUAL(egw_flow_table_timeout(ft, EGW_TCP_TIME_WAIT), 240);
	CU_ASSERT_EQUAL(egw_flow_table_timeout(ft, EGW_TCP_RESET), 240);
	CU_ASSERT_EQUAL(egw_flow_table_timeout(ft, EGW_UDP_REQUEST), 300);
	CU_ASSERT_EQUAL(egw_flow_table_timeout(ft, EGW_UDP_ANSWERED), 300);
	egw_flow_table_free(ft);

	/* Never longer than the timeout they refine. */
	to.tcp_time_wait = 1000;
	to.udp_reply = 301;
	ft = egw_flow_table_create(64, SOCKET_ID_ANY, &to);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	CU_ASSERT_EQUAL(egw_flow_table_timeout(ft, EGW_TCP_TIME_WAIT), 240);
	CU_ASSERT_EQUAL(egw_flow_table_timeout(ft, EGW_UDP_ANSWERED), 300);
	egw_flow_table_free(ft);

	to.tcp_time_wait = 120;
	to.tcp_close = 10;
	to.udp_reply = 30;
	to.n_udp_ports = 3;
	to.udp_ports[0] = (struct egw_udp_port_timeout){ .port = 53, .seconds = 5 };
	to.udp_ports[1] = (struct egw_udp_port_timeout){ .port = 80, .seconds = 0 };   /* none */
	to.udp_ports[2] = (struct egw_udp_port_timeout){ .port = 5353, .seconds = 1 }; /* > 1023 */
	ft = egw_flow_table_create(64, SOCKET_ID_ANY, &to);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	CU_ASSERT_EQUAL(ft->n_udp_ports, 1);
	tw = add_flow(ft, 1, IPPROTO_TCP, EGW_TCP_TIME_WAIT, t0);
	rst = add_flow(ft, 2, IPPROTO_TCP, EGW_TCP_RESET, t0);
	req = add_flow(ft, 3, IPPROTO_UDP, EGW_UDP_REQUEST, t0);
	ans = add_flow(ft, 4, IPPROTO_UDP, EGW_UDP_ANSWERED, t0);
	stream = add_flow(ft, 5, IPPROTO_UDP, EGW_FLOW_UDP, t0);
	dns = udp_flow_to(ft, 6, 53, EGW_FLOW_UDP,
		t0); /* a stream: the port's timeout all the same */
	CU_ASSERT_EQUAL(egw_flow_timeout(ft, dns), 5);
	CU_ASSERT_EQUAL(egw_flow_timeout(ft, stream), 300);
	/* An answered request to a port above 1023 (a STUN check on 3478): 120 s (REQ-5). */
	hi = udp_flow_to(ft, 7, 3478, EGW_UDP_ANSWERED, t0);
	CU_ASSERT_EQUAL(egw_flow_timeout(ft, hi), 120);

	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, t0 + 5, 64, NULL, NULL), 0);
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, t0 + 6, 64, NULL, NULL), 1);
	CU_ASSERT_FALSE(alive(ft, dns));
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, t0 + 11, 64, NULL, NULL), 1);
	CU_ASSERT_FALSE(alive(ft, rst));
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, t0 + 30, 64, NULL, NULL), 0);
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, t0 + 31, 64, NULL, NULL), 2);
	CU_ASSERT_FALSE(alive(ft, req));
	CU_ASSERT_FALSE(alive(ft, ans));
	CU_ASSERT(alive(ft, hi));
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, t0 + 121, 64, NULL, NULL), 2);
	CU_ASSERT_FALSE(alive(ft, tw));
	CU_ASSERT_FALSE(alive(ft, hi));
	CU_ASSERT(alive(ft, stream));
	CU_ASSERT_EQUAL(egw_flow_expire_step(ft, t0 + 301, 64, NULL, NULL), 1);
	CU_ASSERT_EQUAL(egw_flow_table_active(ft), 0);
	egw_flow_table_free(ft);
}

/* A UDP packet of F in direction DIR as the pipeline sees it: tracked, then counted. */
static void udp_pkt(struct egw_flow *f, unsigned dir, uint8_t want)
{
	egw_udp_track(f, dir);
	f->packets[dir]++;
	CU_ASSERT_EQUAL(f->state, want);
}

/* UDP timers follow what the flow did: request only, one exchange, a stream. */
static void test_udp_behaviour(void)
{
	const unsigned O = EGW_DIR_ORIG, R = EGW_DIR_REPLY;
	struct egw_flow f;

	memset(&f, 0, sizeof(f));
	f.state = EGW_UDP_REQUEST;
	udp_pkt(&f, O, EGW_UDP_REQUEST);
	udp_pkt(&f, O, EGW_UDP_REQUEST); /* a retransmitted query */
	CU_ASSERT_FALSE(egw_flow_finished(f.state));
	udp_pkt(&f, R, EGW_UDP_ANSWERED);
	CU_ASSERT(egw_flow_finished(f.state));
	udp_pkt(&f, R, EGW_UDP_ANSWERED); /* the answer to the retransmission: no stream */
	/* A second exchange (a resolver's fresh port meeting an old tuple, a poller): another
	 * request, waiting again, then answered. */
	udp_pkt(&f, O, EGW_UDP_REQUEST);
	CU_ASSERT_FALSE(egw_flow_finished(f.state));
	udp_pkt(&f, R, EGW_UDP_ANSWERED);
	/* The outside sends again with as many sent as the inside: a stream, for good. */
	udp_pkt(&f, R, EGW_FLOW_UDP);
	CU_ASSERT_FALSE(egw_flow_finished(f.state));
	udp_pkt(&f, O, EGW_FLOW_UDP);
	udp_pkt(&f, O, EGW_FLOW_UDP);
	udp_pkt(&f, R, EGW_FLOW_UDP);
	/* One request, two answers: a stream at once. */
	memset(&f, 0, sizeof(f));
	f.state = EGW_UDP_REQUEST;
	udp_pkt(&f, O, EGW_UDP_REQUEST);
	udp_pkt(&f, R, EGW_UDP_ANSWERED);
	udp_pkt(&f, R, EGW_FLOW_UDP);
	CU_ASSERT_STRING_EQUAL(egw_flow_state_name(EGW_TCP_TIME_WAIT), "time_wait");
	CU_ASSERT_STRING_EQUAL(egw_flow_state_name(EGW_TCP_RESET), "closed");
	CU_ASSERT_STRING_EQUAL(egw_flow_state_name(EGW_UDP_ANSWERED), "udp_answered");
}

/* A FIN before the handshake completed keeps the short SYN timeout: a client cannot park a
 * never-answered connection under the 2-hour established timeout. */
static void test_tcp_fin_before_established(void)
{
	struct egw_flow f;

	memset(&f, 0, sizeof(f));
	f.state = egw_tcp_initial_state(EGW_TCP_SYN);
	track(&f, EGW_DIR_ORIG, EGW_TCP_FIN | EGW_TCP_ACK, EGW_TCP_SYN_SENT);
	track(&f, EGW_DIR_REPLY, EGW_TCP_SYN | EGW_TCP_ACK, EGW_TCP_SYN_RECV);
	track(&f, EGW_DIR_REPLY, EGW_TCP_FIN | EGW_TCP_ACK, EGW_TCP_SYN_RECV);
	/* The ACK completing the handshake may carry the FIN: established, then half-closed;
	 * both sides have now sent a FIN. */
	track(&f, EGW_DIR_ORIG, EGW_TCP_FIN | EGW_TCP_ACK, EGW_TCP_CLOSING);
}

static int flow_init(void)
{
	return egw_test_eal_init();
}

/* ---- flow filter (/egw/flows, flows flush) ---- */

static void test_flow_filter_parse(void)
{
	struct egw_flow_filter f;
	char err[128];

	CU_ASSERT_EQUAL(egw_flow_filter_parse(NULL, &f, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(f.limit, EGW_FLOW_FILTER_LIMIT_DEFAULT);
	CU_ASSERT_FALSE(f.port_on);
	CU_ASSERT_EQUAL(egw_flow_filter_parse("", &f, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(egw_flow_filter_parse("addr=198.18.0.7/24, port=443 "
					      "proto=udp\tpolicy=web-1 limit=40 nat=198.51.100.10",
				&f, err, sizeof(err)),
		0);
	CU_ASSERT(f.addr[EGW_FILTER_ANY_ADDR].on);
	/* Host bits of a pasted address are ignored. */
	CU_ASSERT_EQUAL(f.addr[EGW_FILTER_ANY_ADDR].prefix, PG_IP(198, 18, 0, 0));
	CU_ASSERT_EQUAL(f.addr[EGW_FILTER_ANY_ADDR].mask, 0xffffff00u);
	CU_ASSERT(f.addr[EGW_FILTER_NAT].on);
	CU_ASSERT_EQUAL(f.addr[EGW_FILTER_NAT].mask, 0xffffffffu);
	CU_ASSERT_FALSE(f.addr[EGW_FILTER_SRC].on);
	CU_ASSERT(f.port_on);
	CU_ASSERT_EQUAL(f.port, 443);
	CU_ASSERT_EQUAL(f.proto, IPPROTO_UDP);
	CU_ASSERT(f.policy_on);
	CU_ASSERT_STRING_EQUAL(f.policy_name, "web-1");
	CU_ASSERT_EQUAL(f.limit, 40);
	CU_ASSERT_EQUAL(egw_flow_filter_parse("src=0.0.0.0/0", &f, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(f.addr[EGW_FILTER_SRC].mask, 0);
	CU_ASSERT_FALSE(f.from_on);
	/* A page's position: worker 3, record 17. */
	CU_ASSERT_EQUAL(egw_flow_filter_parse("proto=tcp from=12884901905", &f, err, sizeof(err)),
		0);
	CU_ASSERT(f.from_on);
	CU_ASSERT_EQUAL(EGW_FLOW_POS_WORKER(f.from), 3);
	CU_ASSERT_EQUAL(EGW_FLOW_POS_RECORD(f.from), 17);
	CU_ASSERT_EQUAL(f.from, EGW_FLOW_POS(3, 17));
}

static void test_flow_filter_errors(void)
{
	static const struct {
		const char *in, *msg;
	} bad[] = {
		{ "port", "expected KEY=VALUE" },
		{ "=5", "expected KEY=VALUE" },
		{ "colour=red", "unknown key" },
		{ "addr=198.18.0", "not an IPv4" },
		{ "addr=198.18.0.0/33", "not an IPv4" },
		{ "dst=198.18.0.0/", "not an IPv4" },
		{ "src=198.18.0.0/x", "not an IPv4" },
		{ "port=65536", "0-65535" },
		{ "port=-1", "0-65535" },
		{ "port=", "0-65535" },
		{ "port=80x", "0-65535" },
		{ "proto=sctp", "tcp, udp or icmp" },
		{ "policy=", "policy name" },
		{ "policy=0123456789012345678901234567890123", "policy name" },
		{ "limit=0", "limit must be" },
		{ "limit=41", "limit must be" },
		{ "port=80 limit=1 bogus", "expected KEY=VALUE" },
		{ "host=", "not a host name" },
		{ "host=a..b", "not a host name" },
		{ "host=x.*.com", "not a host name" },
		{ "from=", "from must be" },
		{ "from=-1", "from must be" },
		{ "from=12x", "from must be" },
		{ "from=99999999999999999999", "from must be" },
	};
	struct egw_flow_filter f;
	char err[160], longer[600];

	for (unsigned i = 0; i < RTE_DIM(bad); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(egw_flow_filter_parse(bad[i].in, &f, err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].msg))
			fprintf(stderr, "filter '%s': message '%s' lacks '%s'\n", bad[i].in, err,
				bad[i].msg);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].msg));
	}
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	CU_ASSERT_EQUAL(egw_flow_filter_parse(longer, &f, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "longer than"));
}

/* host=: the name a flow was decided on, exactly or under a *.suffix; flows without one
 * never pass it. */
static void test_flow_filter_host(void)
{
	struct egw_flow_filter flt;
	char err[128];

	CU_ASSERT_EQUAL(egw_flow_filter_parse("", &flt, err, sizeof(err)), 0);
	CU_ASSERT(egw_flow_filter_match_host(&flt, NULL));
	CU_ASSERT_EQUAL(egw_flow_filter_parse("host=API.GitHub.com.", &flt, err, sizeof(err)), 0);
	CU_ASSERT(egw_flow_filter_match_host(&flt, "api.github.com"));
	CU_ASSERT_FALSE(egw_flow_filter_match_host(&flt, "github.com"));
	CU_ASSERT_FALSE(egw_flow_filter_match_host(&flt, "xapi.github.com"));
	CU_ASSERT_FALSE(egw_flow_filter_match_host(&flt, NULL));
	CU_ASSERT_EQUAL(egw_flow_filter_parse("host=*.github.com", &flt, err, sizeof(err)), 0);
	CU_ASSERT(egw_flow_filter_match_host(&flt, "api.github.com"));
	CU_ASSERT(egw_flow_filter_match_host(&flt, "a.b.github.com"));
	CU_ASSERT_FALSE(egw_flow_filter_match_host(&flt, "github.com"));
	CU_ASSERT_FALSE(egw_flow_filter_match_host(&flt, "evilgithub.com"));
}

static void test_flow_filter_match(void)
{
	struct egw_flow f = { 0 };
	struct egw_flow_filter flt;
	char err[128];

	egw_flow_key_set(&f.orig, htonl(PG_IP(198, 18, 0, 2)), htonl(PG_IP(203, 0, 113, 1)),
		htons(40000), htons(443), IPPROTO_TCP, EGW_ZONE_INSIDE);
	f.nat_addr = htonl(NAT_ADDR);
	f.nat_port = htons(2000);
	f.policy = 7;
#define MATCH(s)                                                                                   \
	(egw_flow_filter_parse(s, &flt, err, sizeof(err)) == 0 &&                                  \
		(flt.policy_slot = 7, egw_flow_filter_match(&flt, &f)))
	CU_ASSERT(MATCH(""));
	CU_ASSERT(MATCH("addr=198.18.0.0/24"));	  /* the inside source */
	CU_ASSERT(MATCH("addr=203.0.113.1"));	  /* the destination */
	CU_ASSERT(MATCH("addr=198.51.100.0/24")); /* the translation */
	CU_ASSERT_FALSE(MATCH("addr=10.0.0.0/8"));
	CU_ASSERT(MATCH("src=198.18.0.2 dst=203.0.113.0/24 nat=198.51.100.10"));
	CU_ASSERT_FALSE(MATCH("src=203.0.113.1"));
	CU_ASSERT_FALSE(MATCH("dst=198.18.0.2"));
	CU_ASSERT_FALSE(MATCH("nat=198.18.0.2"));
	CU_ASSERT(MATCH("port=40000"));
	CU_ASSERT(MATCH("port=443"));
	CU_ASSERT(MATCH("port=2000"));
	CU_ASSERT_FALSE(MATCH("port=80"));
	CU_ASSERT(MATCH("proto=tcp"));
	CU_ASSERT_FALSE(MATCH("proto=udp"));
	CU_ASSERT(MATCH("policy=web"));		     /* slot resolved to 7 by the caller */
	CU_ASSERT_FALSE(MATCH("proto=tcp port=80")); /* every term must hold */
	flt.policy_slot = 3;
	CU_ASSERT_FALSE(egw_flow_filter_match(&flt, &f));
#undef MATCH
}

/*
 * The index against a reference, through many inserts and removals in a table kept full:
 * every committed key is found (both directions, the right record), every removed one is
 * gone, and keys that differ from a stored one in a single byte are never taken for it.
 * Small buckets are forced to spill into their secondary (a table of 64 flows, 128 keys).
 */
static void test_flow_index_reference(void)
{
	enum { CAP = 64, ROUNDS = 20000 };
	struct egw_flow_table *ft = egw_flow_table_create(CAP, SOCKET_ID_ANY, &TO);
	struct egw_flow *live[CAP];
	unsigned n_live = 0, spilled_seen = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	srand(11);
	for (unsigned r = 0; r < ROUNDS; r++) {
		if (n_live < CAP && (rand() % 3 || n_live == 0)) {
			struct egw_flow *f = add_flow(ft, (unsigned)rand() % 60000, IPPROTO_UDP,
				EGW_FLOW_UDP, 0);
			if (f)
				live[n_live++] = f;
		} else {
			unsigned k = (unsigned)rand() % n_live;
			struct egw_flow_key gone = live[k]->orig;
			egw_flow_remove(ft, live[k]);
			live[k] = live[--n_live];
			CU_ASSERT_FALSE(egw_flow_key_exists(ft, &gone));
		}
		for (uint32_t b = 0; b < ft->index.n_buckets; b++)
			spilled_seen += ft->index.buckets[b].spilled != 0;
	}
	CU_ASSERT_EQUAL(ft->n_active, n_live);
	for (unsigned k = 0; k < n_live; k++) {
		struct egw_flow_key reply, near;
		const struct egw_flow_key *keys[2] = { &live[k]->orig, &reply };
		struct egw_flow *fl2[2];
		uint8_t dirs[2];
		egw_flow_reply_key(live[k], &reply);
		CU_ASSERT_EQUAL(egw_flow_lookup_bulk(ft, keys, 2, fl2, dirs), 3);
		CU_ASSERT_PTR_EQUAL(fl2[0], live[k]);
		CU_ASSERT_EQUAL(dirs[0], EGW_DIR_ORIG);
		CU_ASSERT_PTR_EQUAL(fl2[1], live[k]);
		CU_ASSERT_EQUAL(dirs[1], EGW_DIR_REPLY);
		near = live[k]->orig;
		near.b_port ^= 1;
		CU_ASSERT_FALSE(egw_flow_key_exists(ft, &near));
	}
	/* The scenario did exercise the secondary buckets. */
	CU_ASSERT(spilled_seen > 0);
	egw_flow_flush(ft, NULL, NULL);
	for (uint32_t b = 0; b < ft->index.n_buckets; b++) {
		CU_ASSERT_EQUAL(ft->index.buckets[b].spilled, 0);
		for (unsigned s2 = 0; s2 < EGW_FI_SLOTS; s2++)
			CU_ASSERT_EQUAL(ft->index.buckets[b].val[s2], 0);
	}
	egw_flow_table_free(ft);
}

void egw_test_register_flow(void)
{
	EGW_SUITE("flow", flow_init, NULL, EGW_TEST(test_flow_create_params),
		EGW_TEST(test_flow_insert_lookup_remove), EGW_TEST(test_flow_commit_duplicate),
		EGW_TEST(test_flow_free_list), EGW_TEST(test_flow_table_full),
		EGW_TEST(test_flow_expire_timeouts), EGW_TEST(test_flow_expire_budget),
		EGW_TEST(test_flow_flush), EGW_TEST(test_flow_scan),
		EGW_TEST(test_tcp_initial_state), EGW_TEST(test_tcp_may_start),
		EGW_TEST(test_tcp_state_machine), EGW_TEST(test_tcp_steady_skips_nothing),
		EGW_TEST(test_udp_behaviour), EGW_TEST(test_timeouts_by_behaviour),
		EGW_TEST(test_tcp_fin_before_established), EGW_TEST(test_flow_filter_parse),
		EGW_TEST(test_flow_filter_errors), EGW_TEST(test_flow_filter_match),
		EGW_TEST(test_flow_filter_host), EGW_TEST(test_flow_index_reference));
}
