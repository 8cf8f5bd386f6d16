/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_rcu_qsbr.h>

#include "egw_test.h"
#include "policy/snapshot.h"
#include "pktgen.h"

#if defined(__SANITIZE_ADDRESS__)
#define EGW_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EGW_TEST_ASAN 1
#endif
#endif
#ifdef EGW_TEST_ASAN
/* From the sanitizer runtime (its header is not installed with every compiler). */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

/* Bytes currently allocated with malloc (to see that replaced snapshots are freed). */
static size_t heap_in_use(void)
{
#ifdef EGW_TEST_ASAN
	return __sanitizer_get_current_allocated_bytes();
#else
	return mallinfo2().uordblks;
#endif
}

static void add_pool(struct egw_conf *c, const char *name, uint32_t first_addr, unsigned n_addrs,
	uint16_t pf, uint16_t pl, enum egw_nat_mapping map, enum egw_nat_pairing pair,
	uint32_t max_per_source)
{
	struct egw_pool_conf *p = &c->pools[c->n_pools++];

	snprintf(p->name, sizeof(p->name), "%s", name);
	for (unsigned i = 0; i < n_addrs; i++)
		p->addrs[i] = first_addr + i;
	p->n_addrs = n_addrs;
	p->port_first = pf;
	p->port_last = pl;
	p->mapping = map;
	p->pairing = pair;
	p->max_per_source = max_per_source;
}

static void test_snapshot_build(void)
{
	struct egw_conf *c = calloc(1, sizeof(*c));
	struct egw_snapshot *s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	c->egress.mode = EGW_MODE_POLICY;
	snprintf(c->egress.default_pool, sizeof(c->egress.default_pool), "b");
	add_pool(c, "a", PG_IP(198, 51, 100, 10), 4, 2000, 3000, EGW_MAPPING_ENDPOINT_INDEPENDENT,
		EGW_PAIRING_ARBITRARY, 10);
	add_pool(c, "b", PG_IP(198, 51, 100, 20), 1, 1024, 65535, EGW_MAPPING_ENDPOINT_DEPENDENT,
		EGW_PAIRING_PAIRED, 8192);
	add_pool(c, "empty", 0, 0, 1024, 65535, EGW_MAPPING_ENDPOINT_DEPENDENT, EGW_PAIRING_PAIRED,
		0);

	s = egw_snapshot_build(c, 42);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->generation, 42);
	CU_ASSERT_EQUAL(s->mode, EGW_MODE_POLICY);
	CU_ASSERT_EQUAL_FATAL(s->n_pools, 3);
	CU_ASSERT_STRING_EQUAL(s->pools[0].name, "a");
	CU_ASSERT_STRING_EQUAL(s->pools[1].name, "b");
	CU_ASSERT_EQUAL(s->pools[0].n_addrs, 4);
	for (unsigned i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(s->pools[0].addrs[i], htonl(PG_IP(198, 51, 100, 10 + i)));
	CU_ASSERT_EQUAL(s->pools[0].port_first, 2000);
	CU_ASSERT_EQUAL(s->pools[0].port_last, 3000);
	CU_ASSERT_EQUAL(s->pools[0].mapping, EGW_MAPPING_ENDPOINT_INDEPENDENT);
	CU_ASSERT_EQUAL(s->pools[0].pairing, EGW_PAIRING_ARBITRARY);
	CU_ASSERT_EQUAL(s->pools[0].max_per_source, 10);
	CU_ASSERT_EQUAL(s->pools[0].index, 0);
	CU_ASSERT_EQUAL(s->pools[1].n_addrs, 1);
	CU_ASSERT_EQUAL(s->pools[1].addrs[0], htonl(PG_IP(198, 51, 100, 20)));
	CU_ASSERT_EQUAL(s->pools[1].port_first, 1024);
	CU_ASSERT_EQUAL(s->pools[1].port_last, 65535);
	CU_ASSERT_EQUAL(s->pools[1].pairing, EGW_PAIRING_PAIRED);
	CU_ASSERT_EQUAL(s->pools[1].max_per_source, 8192);
	CU_ASSERT_EQUAL(s->pools[1].index, 1);
	CU_ASSERT_EQUAL(s->pools[2].n_addrs, 0);
	CU_ASSERT_EQUAL(s->pools[2].index, 2);
	CU_ASSERT_PTR_EQUAL(s->default_pool, &s->pools[1]);
	/* Every pool address, and nothing else, is in the dispatch set. */
	CU_ASSERT_EQUAL(s->pool_addrs.count, 5);
	for (unsigned i = 0; i < 4; i++) {
		uint32_t a = htonl(PG_IP(198, 51, 100, 10 + i));
		CU_ASSERT(egw_addr_set_contains(&s->pool_addrs, a));
	}
	CU_ASSERT(egw_addr_set_contains(&s->pool_addrs, htonl(PG_IP(198, 51, 100, 20))));
	CU_ASSERT(!egw_addr_set_contains(&s->pool_addrs, htonl(PG_IP(198, 51, 100, 14))));
	CU_ASSERT(!egw_addr_set_contains(&s->pool_addrs, htonl(PG_IP(198, 18, 0, 2))));
	CU_ASSERT(!egw_addr_set_contains(&s->pool_addrs, PG_IP(198, 51, 100, 10)));
	/* The snapshot owns its memory: the configuration may go away. */
	memset(c, 0xee, sizeof(*c));
	free(c);
	CU_ASSERT_EQUAL(s->pools[0].addrs[3], htonl(PG_IP(198, 51, 100, 13)));
	CU_ASSERT_STRING_EQUAL(s->default_pool->name, "b");
	egw_snapshot_free(s);
	egw_snapshot_free(NULL);

	/* No default pool; no pools at all. */
	c = calloc(1, sizeof(*c));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	c->egress.mode = EGW_MODE_DENY;
	add_pool(c, "a", PG_IP(198, 51, 100, 10), 2, 1024, 65535, 0, 0, 0);
	s = egw_snapshot_build(c, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->mode, EGW_MODE_DENY);
	CU_ASSERT_PTR_NULL(s->default_pool);
	egw_snapshot_free(s);
	c->n_pools = 0;
	snprintf(c->egress.default_pool, sizeof(c->egress.default_pool), "a");
	s = egw_snapshot_build(c, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->n_pools, 0);
	CU_ASSERT_PTR_NULL(s->default_pool);
	CU_ASSERT(!egw_addr_set_contains(&s->pool_addrs, htonl(PG_IP(198, 51, 100, 10))));
	egw_snapshot_free(s);
	free(c);
}

/* A snapshot whose contents encode its generation, so a reader can check what it reads. */
static struct egw_snapshot *gen_snapshot(struct egw_conf *c, uint64_t g)
{
	c->n_pools = 0;
	c->egress.mode = (enum egw_mode)(g % 3);
	snprintf(c->egress.default_pool, sizeof(c->egress.default_pool), "p");
	add_pool(c, "p", PG_IP(198, 51, 100, (g % 60) * 4), 4, (uint16_t)(1024 + g % 1000), 65535,
		0, 0, (uint32_t)g);
	return egw_snapshot_build(c, g);
}

static bool snapshot_consistent(const struct egw_snapshot *s)
{
	uint64_t g = s->generation;
	const struct egw_nat_pool *p = s->pools;

	if (s->mode != (enum egw_mode)(g % 3) || s->n_pools != 1 || s->default_pool != p)
		return false;
	if (p->max_per_source != (uint32_t)g || p->port_first != 1024 + g % 1000 ||
		p->n_addrs != 4 || strcmp(p->name, "p") != 0)
		return false;
	for (unsigned i = 0; i < 4; i++)
		if (p->addrs[i] != htonl(PG_IP(198, 51, 100, (g % 60) * 4 + i)) ||
			!egw_addr_set_contains(&s->pool_addrs, p->addrs[i]))
			return false;
	return true;
}

struct reader {
	struct egw_rcu *rcu;
	unsigned id;
	int stop, stall, online, stalled;
	uint64_t loops, errors, gens, last_gen, stalled_reads;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct rte_rcu_qsbr *q = r->rcu->qsbr;

	rte_rcu_qsbr_thread_register(q, r->id);
	rte_rcu_qsbr_thread_online(q, r->id);
	__atomic_store_n(&r->online, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		const struct egw_snapshot *s = egw_rcu_load(r->rcu);

		if (s) {
			if (!snapshot_consistent(s) || s->generation < r->last_gen)
				r->errors++;
			if (s->generation != r->last_gen)
				r->gens++;
			r->last_gen = s->generation;
		}
		/* Stalled: online, holding S, never quiescent, still reading it. */
		while (__atomic_load_n(&r->stall, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&r->stalled, 1, __ATOMIC_RELEASE);
			if (s && !snapshot_consistent(s))
				r->errors++;
			r->stalled_reads++;
			usleep(50);
		}
		__atomic_store_n(&r->stalled, 0, __ATOMIC_RELEASE);
		r->loops++;
		rte_rcu_qsbr_quiescent(q, r->id);
	}
	rte_rcu_qsbr_thread_offline(q, r->id);
	rte_rcu_qsbr_thread_unregister(q, r->id);
	return NULL;
}

static void wait_flag(int *flag, int value)
{
	for (unsigned i = 0; i < 200000 && __atomic_load_n(flag, __ATOMIC_ACQUIRE) != value; i++)
		usleep(10);
	CU_ASSERT_EQUAL_FATAL(__atomic_load_n(flag, __ATOMIC_ACQUIRE), value);
}

/* Publishes and reclaims until the replaced snapshots are freed (<= 2 s). Returns pending. */
static unsigned publish_settled(struct egw_rcu *rcu, struct egw_snapshot *s)
{
	unsigned pending;

	CU_ASSERT_EQUAL(egw_rcu_publish(rcu, s), 0);
	for (unsigned i = 0; i < 20000 && (pending = egw_rcu_reclaim(rcu)) > 0; i++)
		usleep(100);
	return pending;
}

static void test_rcu_publish_reader(void)
{
	struct egw_conf *c = calloc(1, sizeof(*c));
	struct egw_rcu rcu;
	struct reader r = { .rcu = &rcu, .id = 1 };
	pthread_t th;
	size_t heap0, heap1;
	unsigned unreclaimed = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(egw_snapshot_rcu_init(&rcu, 0), -EINVAL);
	CU_ASSERT_EQUAL(egw_snapshot_rcu_init(&rcu, 65), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(egw_snapshot_rcu_init(&rcu, 2), 0);
	CU_ASSERT_PTR_NULL(egw_rcu_load(&rcu));
	/* First publication: nothing replaced, nothing to wait for. */
	CU_ASSERT_EQUAL(egw_rcu_publish(&rcu, gen_snapshot(c, 1)), 0);
	CU_ASSERT_EQUAL(egw_rcu_reclaim(&rcu), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, reader_main, &r), 0);
	wait_flag(&r.online, 1);

	/* Warm up the allocator so its own bookkeeping does not count as growth. */
	for (uint64_t g = 2; g < 50; g++)
		unreclaimed += publish_settled(&rcu, gen_snapshot(c, g)) != 0;
	heap0 = heap_in_use();
	for (uint64_t g = 50; g < 1050; g++) {
		unreclaimed += publish_settled(&rcu, gen_snapshot(c, g)) != 0;
		CU_ASSERT_EQUAL(egw_snapshot_current(&rcu)->generation, g);
	}
	heap1 = heap_in_use();
	CU_ASSERT_EQUAL(unreclaimed, 0);
	/* A thousand snapshots kept would be hundreds of kilobytes. */
	if (heap1 > heap0 + 16384)
		fprintf(stderr, "\n  heap grew by %zu bytes over 1000 publishes\n", heap1 - heap0);
	CU_ASSERT(heap1 <= heap0 + 16384);

	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(r.errors, 0);
	CU_ASSERT(r.loops > 1000);
	CU_ASSERT(r.gens > 10);
	CU_ASSERT(r.last_gen >= 1048);
	egw_rcu_fini(&rcu);
	CU_ASSERT_PTR_NULL(rcu.current);
	free(c);
}

static void test_rcu_stalled_reader(void)
{
	struct egw_conf *c = calloc(1, sizeof(*c));
	struct egw_rcu rcu;
	struct reader r = { .rcu = &rcu, .id = 0 };
	struct egw_snapshot *s1, *s2, *s3;
	pthread_t th;
	unsigned pending = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(egw_snapshot_rcu_init(&rcu, 1), 0);
	s1 = gen_snapshot(c, 1);
	s2 = gen_snapshot(c, 2);
	s3 = gen_snapshot(c, 3);
	CU_ASSERT_FATAL(s1 && s2 && s3);
	CU_ASSERT_EQUAL(egw_rcu_publish(&rcu, s1), 0);
	r.stall = 1;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, reader_main, &r), 0);
	wait_flag(&r.stalled, 1);

	/* The reader holds s1 and never reports: publishing s2 does not wait, s1 stays. */
	CU_ASSERT_EQUAL(egw_rcu_publish(&rcu, s2), 0);
	CU_ASSERT_PTR_EQUAL(egw_rcu_load(&rcu), s2);
	usleep(20000);
	CU_ASSERT_EQUAL(egw_rcu_reclaim(&rcu), 1);
	/* Still readable by the stalled reader. */
	CU_ASSERT(snapshot_consistent(s1));
	/* More publications while it stalls: every replaced one is kept (none leaks, none is
	 * freed under the reader), up to the bound, then publishing is refused. */
	CU_ASSERT_EQUAL(egw_rcu_publish(&rcu, s3), 0);
	for (uint64_t g = 4; g < 4 + EGW_RCU_PENDING_MAX; g++) {
		struct egw_snapshot *s = gen_snapshot(c, g);
		int rc = egw_rcu_publish(&rcu, s);
		if (rc == -EBUSY) {
			egw_snapshot_free(s);
			break;
		}
		CU_ASSERT_EQUAL(rc, 0);
	}
	CU_ASSERT_EQUAL(egw_rcu_reclaim(&rcu), EGW_RCU_PENDING_MAX);
	CU_ASSERT(snapshot_consistent(s1));

	/* The reader moves on: every replaced snapshot goes. */
	__atomic_store_n(&r.stall, 0, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < 20000 && (pending = egw_rcu_reclaim(&rcu)) > 0; i++)
		usleep(100);
	CU_ASSERT_EQUAL(pending, 0);

	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(r.errors, 0);
	CU_ASSERT(r.stalled_reads > 0);
	/* An offline (stopped) reader never delays a publication. */
	CU_ASSERT_EQUAL(egw_rcu_publish(&rcu, gen_snapshot(c, 100)), 0);
	CU_ASSERT_EQUAL(egw_rcu_reclaim(&rcu), 0);
	egw_rcu_fini(&rcu);
	free(c);
}

struct occasional {
	struct egw_rcu *rcu;
	int stop, holding;
	uint64_t reads, errors, busy;
};

/* A telemetry-like reader: takes an id for each read, holds nothing in between. */
static void *occasional_main(void *arg)
{
	struct occasional *o = arg;

	while (!__atomic_load_n(&o->stop, __ATOMIC_ACQUIRE)) {
		int id = egw_rcu_read_begin(o->rcu);
		const struct egw_snapshot *s;

		if (id < 0) {
			o->busy++;
			continue;
		}
		s = egw_rcu_load(o->rcu);
		if (s && !snapshot_consistent(s))
			o->errors++;
		/* Hold it a while, reading it again: a publication meanwhile must not free it. */
		while (__atomic_load_n(&o->holding, __ATOMIC_ACQUIRE)) {
			if (s && !snapshot_consistent(s))
				o->errors++;
			usleep(50);
		}
		usleep(20);
		if (s && !snapshot_consistent(s))
			o->errors++;
		egw_rcu_read_end(o->rcu, id);
		o->reads++;
	}
	return NULL;
}

static void test_rcu_occasional_readers(void)
{
	struct egw_conf *c = calloc(1, sizeof(*c));
	struct egw_rcu rcu;
	struct occasional o[3];
	pthread_t th[3];
	int ids[4];
	unsigned pending = 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(egw_snapshot_rcu_init(&rcu, 4), 0);
	/* Ids are handed out until none is left, and come back. */
	for (unsigned i = 0; i < 4; i++)
		CU_ASSERT((ids[i] = egw_rcu_read_begin(&rcu)) >= 0);
	CU_ASSERT_EQUAL(egw_rcu_read_begin(&rcu), -EBUSY);
	egw_rcu_read_end(&rcu, ids[2]);
	CU_ASSERT_EQUAL(egw_rcu_read_begin(&rcu), ids[2]);
	/* A reader online since before a publication holds back its reclaim... */
	CU_ASSERT_EQUAL(egw_rcu_publish(&rcu, gen_snapshot(c, 1)), 0);
	CU_ASSERT_EQUAL(egw_rcu_publish(&rcu, gen_snapshot(c, 2)), 0);
	CU_ASSERT_EQUAL(egw_rcu_reclaim(&rcu), 1);
	/* ... until it is gone. */
	for (unsigned i = 0; i < 4; i++)
		egw_rcu_read_end(&rcu, ids[i]);
	CU_ASSERT_EQUAL(egw_rcu_reclaim(&rcu), 0);

	/* Readers come and go while the writer publishes and reclaims. */
	for (unsigned i = 0; i < 3; i++) {
		o[i] = (struct occasional){ .rcu = &rcu, .holding = i == 0 };
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, occasional_main, &o[i]), 0);
	}
	for (uint64_t g = 3; g < 300; g++) {
		int rc = egw_rcu_publish(&rcu, gen_snapshot(c, g));
		CU_ASSERT(rc == 0 || rc == -EBUSY);
		if (g == 100)
			__atomic_store_n(&o[0].holding, 0, __ATOMIC_RELEASE);
		egw_rcu_reclaim(&rcu);
		usleep(100);
	}
	for (unsigned i = 0; i < 3; i++) {
		__atomic_store_n(&o[i].stop, 1, __ATOMIC_RELEASE);
		pthread_join(th[i], NULL);
		CU_ASSERT_EQUAL(o[i].errors, 0);
		CU_ASSERT(o[i].reads > 0);
	}
	for (unsigned i = 0; i < 20000 && (pending = egw_rcu_reclaim(&rcu)) > 0; i++)
		usleep(100);
	CU_ASSERT_EQUAL(pending, 0);
	egw_rcu_fini(&rcu);
	free(c);
}

static int policy_init(void)
{
	return egw_test_eal_init();
}

void egw_test_register_policy(void)
{
	EGW_SUITE("policy", policy_init, NULL, EGW_TEST(test_snapshot_build),
		EGW_TEST(test_rcu_publish_reader), EGW_TEST(test_rcu_stalled_reader),
		EGW_TEST(test_rcu_occasional_readers));
}
