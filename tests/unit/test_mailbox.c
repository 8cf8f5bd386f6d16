/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker's mailbox (lib/pipeline/mailbox.c) under contention: several askers (telemetry
 * threads, the control thread) at once on one mailbox served by a running worker thread.
 * Every ask must end within its bound, and an asker that got DONE must be reading its own
 * request: a mailbox is its asker's alone from acquire to release. Before that rule, an asker
 * could take over a DONE mailbox that another was about to read, and both then waited for
 * ever (seen as /egw/flows clients and "flows flush" hanging).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_memory.h>

#include "egw_test.h"
#include "pipeline/dataplane_internal.h"

#define ASKERS 8
#define ASKS 300

static struct egw_dataplane *dp;
static struct egw_worker *w;

/* A data plane of one worker with a table of MAX_FLOWS: W. */
static void make_worker(const char *name, uint32_t max_flows)
{
	const struct egw_dataplane_params p = { .name = name,
		.n_workers = 1,
		.max_flows = max_flows,
		.timeouts = { 30, 7440, 240, 300, 60 },
		.neigh_max = 8 };
	char err[256];

	dp = egw_dataplane_create(&p, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	w = egw_dataplane_worker(dp, 0);
}

static void free_worker(void)
{
	egw_dataplane_free(dp);
	dp = NULL;
	w = NULL;
}
static volatile bool stop_worker;

struct asker {
	pthread_t th;
	unsigned id;
	unsigned done, busy, timed_out, wrong, other;
	double worst_ms;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *worker_loop(void *arg)
{
	while (!stop_worker) {
		egw_mailbox_serve(w);
		usleep(20); /* a worker loop with idle_sleep_us */
	}
	return NULL;
}

/* Asks ASKS times with a filter of its own (limit=ID) and checks the answer is for it. */
static void *asker_loop(void *arg)
{
	struct asker *a = arg;
	struct egw_mailbox *mb = egw_worker_mailbox(w);
	char filter[32], err[128];

	snprintf(filter, sizeof(filter), "limit=%u", a->id);
	for (unsigned i = 0; i < ASKS; i++) {
		double t0 = now_ms(), ms;
		struct egw_flow_filter f;
		int rc;

		if (egw_mailbox_acquire(mb, 1000) < 0) {
			a->busy++;
			continue;
		}
		egw_flow_filter_parse(filter, &f, err, sizeof(err));
		mb->op = EGW_MBOX_LIST;
		mb->filter = f;
		egw_mailbox_post(mb, 0);
		rc = egw_mailbox_wait(mb, 1000, NULL, NULL);
		ms = now_ms() - t0;
		if (ms > a->worst_ms)
			a->worst_ms = ms;
		if (rc == 0) {
			/* Still our request: nobody else wrote the mailbox while we owned it. */
			if (mb->filter.limit == a->id)
				a->done++;
			else
				a->wrong++;
			egw_mailbox_release(mb);
		} else if (rc == -ETIMEDOUT) {
			a->timed_out++;
		} else {
			a->other++;
		}
	}
	return NULL;
}

static void test_mailbox_contention(void)
{
	static struct asker askers[ASKERS];
	pthread_t worker;
	unsigned done = 0, wrong = 0, other = 0;
	struct timespec deadline;
	double worst = 0;

	CU_ASSERT_EQUAL_FATAL(egw_test_eal_init(), 0);
	make_worker("ut_mbox1", 4096);
	stop_worker = false;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&worker, NULL, worker_loop, NULL), 0);
	for (unsigned i = 0; i < ASKERS; i++) {
		askers[i].id = i + 1;
		CU_ASSERT_EQUAL_FATAL(pthread_create(&askers[i].th, NULL, asker_loop, &askers[i]),
			0);
	}
	/* A hang is the failure this test is about: give up on it after 30 s (the threads are
	 * left running, and the worker with them: the suite fails, the run goes on). */
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 30;
	for (unsigned i = 0; i < ASKERS; i++) {
		if (pthread_timedjoin_np(askers[i].th, NULL, &deadline) != 0) {
			fprintf(stderr, "\nasker %u still waiting after 30 s\n", i + 1);
			CU_FAIL_FATAL("an asker hangs");
		}
		done += askers[i].done;
		wrong += askers[i].wrong;
		other += askers[i].other;
		if (askers[i].worst_ms > worst)
			worst = askers[i].worst_ms;
	}
	stop_worker = true;
	pthread_join(worker, NULL);
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(other, 0);
	CU_ASSERT(done > ASKS);	  /* most asks get through; the rest are told "busy" */
	CU_ASSERT(worst < 12000); /* acquire 1 s + pick-up 1 s + 10 s at the very worst */
	CU_ASSERT_EQUAL(egw_worker_mailbox(w)->state, EGW_MBOX_IDLE);
	if (wrong || other || done <= ASKS)
		fprintf(stderr, "\ndone %u wrong %u other %u worst %.0f ms\n", done, wrong, other,
			worst);
	free_worker();
}

/* An asker that gives up on a running request: the worker stops it and frees the mailbox. */
static void test_mailbox_abandon(void)
{
	struct egw_mailbox *mb;
	char err[128];

	CU_ASSERT_EQUAL_FATAL(egw_test_eal_init(), 0);
	make_worker("ut_mbox2", 4 * EGW_MBOX_RECORDS_PER_LOOP);
	mb = egw_worker_mailbox(w);
	CU_ASSERT_EQUAL(egw_mailbox_acquire(mb, 0), 0);
	CU_ASSERT_EQUAL(egw_mailbox_acquire(mb, 0), -EBUSY); /* ours until released */
	egw_flow_filter_parse("", &mb->filter, err, sizeof(err));
	mb->op = EGW_MBOX_LIST;
	egw_mailbox_post(mb, 0);
	egw_mailbox_serve(w); /* one slice of four: RUNNING */
	CU_ASSERT_EQUAL(mb->state, EGW_MBOX_RUNNING);
	CU_ASSERT_EQUAL(egw_mailbox_acquire(mb, 0), -EBUSY);
	/* Give up (as wait does after its 10 s): ABANDONED, then the worker frees it. */
	CU_ASSERT_TRUE(__atomic_compare_exchange_n(&mb->state, &(uint32_t){ EGW_MBOX_RUNNING },
		EGW_MBOX_ABANDONED, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	CU_ASSERT_EQUAL(egw_mailbox_acquire(mb, 0), -EBUSY);
	egw_mailbox_serve(w);
	CU_ASSERT_EQUAL(mb->state, EGW_MBOX_IDLE);
	CU_ASSERT_EQUAL(mb->cursor, EGW_MBOX_RECORDS_PER_LOOP); /* stopped, not finished */
	/* A DONE mailbox is its asker's until released: not taken over. */
	CU_ASSERT_EQUAL(egw_mailbox_acquire(mb, 0), 0);
	egw_mailbox_post(mb, 0);
	for (int i = 0; i < 4; i++)
		egw_mailbox_serve(w);
	CU_ASSERT_EQUAL(mb->state, EGW_MBOX_DONE);
	CU_ASSERT_EQUAL(egw_mailbox_acquire(mb, 0), -EBUSY);
	CU_ASSERT_EQUAL(egw_mailbox_wait(mb, 0, NULL, NULL), 0);
	egw_mailbox_release(mb);
	/* Waiting on a mailbox that is not ours (released) returns at once, never hangs. */
	CU_ASSERT_EQUAL(egw_mailbox_wait(mb, 0, NULL, NULL), -EINVAL);
	free_worker();
}

/* SOURCES: the worker's source table, a slice per loop, the most mappings first. */
static void test_mailbox_sources(void)
{
	struct egw_mailbox *mb;
	unsigned serves = 0;

	CU_ASSERT_EQUAL_FATAL(egw_test_eal_init(), 0);
	make_worker("ut_mbox3", 4 * EGW_MBOX_RECORDS_PER_LOOP); /* 49152 slots: 6 slices */
	for (uint32_t i = 1; i <= 30; i++) /* 30 sources of one mapping each, ... */
		CU_ASSERT_EQUAL(egw_source_limit_acquire(&w->sources, htonl(0xc6120000 + i), 0), 0);
	for (int i = 0; i < 4; i++) /* ... but .7 holds 5 and .9 holds 3 */
		egw_source_limit_acquire(&w->sources, htonl(0xc6120007), 0);
	for (int i = 0; i < 2; i++)
		egw_source_limit_acquire(&w->sources, htonl(0xc6120009), 0);
	egw_source_limit_release(&w->sources, htonl(0xc6120003)); /* gone: listed no more */
	mb = egw_worker_mailbox(w);
	CU_ASSERT_EQUAL_FATAL(egw_mailbox_acquire(mb, 0), 0);
	mb->op = EGW_MBOX_SOURCES;
	egw_mailbox_post(mb, 0);
	while (mb->state != EGW_MBOX_DONE && serves < 100) {
		egw_mailbox_serve(w);
		serves++;
	}
	CU_ASSERT_EQUAL(serves, egw_source_limit_slots(&w->sources) / EGW_MBOX_RECORDS_PER_LOOP);
	CU_ASSERT_EQUAL_FATAL(mb->n_top, EGW_MBOX_TOP_SOURCES);
	CU_ASSERT_EQUAL(mb->top[0].addr, htonl(0xc6120007));
	CU_ASSERT_EQUAL(mb->top[0].flows, 5);
	CU_ASSERT_EQUAL(mb->top[1].addr, htonl(0xc6120009));
	CU_ASSERT_EQUAL(mb->top[1].flows, 3);
	for (unsigned i = 2; i < mb->n_top; i++) {
		CU_ASSERT_EQUAL(mb->top[i].flows, 1);
		CU_ASSERT_NOT_EQUAL(mb->top[i].addr, htonl(0xc6120003));
	}
	CU_ASSERT_EQUAL(egw_mailbox_wait(mb, 0, NULL, NULL), 0);
	egw_mailbox_release(mb);
	free_worker();
}

void egw_test_register_mailbox(void)
{
	EGW_SUITE("mailbox", NULL, NULL, EGW_TEST(test_mailbox_contention),
		EGW_TEST(test_mailbox_abandon), EGW_TEST(test_mailbox_sources));
}
