/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_RCU_H
#define EGW_RCU_H

#include <stdint.h>

struct rte_rcu_qsbr;

/*
 * A publication point: one writer (the control thread) replaces an immutable object; readers
 * use it without locks; a replaced object is freed once every reader that could still hold it
 * has passed a quiescent state (DPDK's rte_rcu_qsbr). Publishing never waits: replaced objects
 * wait on a bounded list until their grace period ends and egw_rcu_reclaim() frees them.
 *
 * Two kinds of readers, by thread id (0 .. n_readers-1):
 * - polling readers (workers) register once, stay online and report a quiescent state once per
 *   loop with rte_rcu_qsbr_quiescent();
 * - occasional readers (telemetry, metrics) take an id for the length of one read with
 *   egw_rcu_read_begin() / egw_rcu_read_end(); while they hold none they delay nobody.
 * One publication point serves one kind.
 *
 * Several publication points may serve the same polling readers (the workers read the policy
 * snapshot and the learned names): egw_rcu_init_shared() makes a point use the QSBR variable of
 * another, so the readers' one quiescent state per loop ends the grace periods of both, and
 * each point still frees only its own objects.
 */
#define EGW_RCU_PENDING_MAX 64

struct egw_rcu_pending {
	void *obj;
	uint64_t token; /* grace period that must end before OBJ is freed */
};

struct egw_rcu {
	void *current; /* __atomic acquire/release only */
	struct rte_rcu_qsbr *qsbr;
	struct egw_rcu *owner; /* the point whose QSBR variable this one shares; NULL: its own */
	unsigned n_readers;
	void (*free_fn)(void *obj);
	struct egw_rcu_pending pending[EGW_RCU_PENDING_MAX]; /* oldest first */
	unsigned n_pending;
	uint64_t read_ids; /* occasional readers: bit per thread id taken */
};

/* N_READERS reader ids (at most 64); FREE_FN frees a replaced object. 0 or -errno. */
int egw_rcu_init(struct egw_rcu *rcu, unsigned n_readers, void (*free_fn)(void *obj));
/*
 * A point for the polling readers of OWNER, on OWNER's QSBR variable (and its occasional
 * reader ids). OWNER must be initialized and outlive RCU (fini RCU first). 0 or -EINVAL.
 */
int egw_rcu_init_shared(struct egw_rcu *rcu, struct egw_rcu *owner, void (*free_fn)(void *obj));
/* Frees the current object and every pending one: no reader may be left. The QSBR variable
 * goes with the point that owns it. */
void egw_rcu_fini(struct egw_rcu *rcu);

static inline void *egw_rcu_load(const struct egw_rcu *rcu)
{
	/* Pairs with the release store in egw_rcu_publish: a reader sees a fully built object. */
	return __atomic_load_n(&rcu->current, __ATOMIC_ACQUIRE);
}

/*
 * Writer: makes NEXT current and queues the object it replaces. -EBUSY (nothing published)
 * when EGW_RCU_PENDING_MAX replaced objects still wait for a reader that has not moved on:
 * a stalled reader must not make the writer free under it, nor hold unbounded memory.
 */
int egw_rcu_publish(struct egw_rcu *rcu, void *next);
/* Writer: frees the replaced objects whose grace period has ended. Returns how many wait. */
unsigned egw_rcu_reclaim(struct egw_rcu *rcu);

/*
 * Occasional reader: takes a reader id and goes online; egw_rcu_load() is then safe until
 * egw_rcu_read_end(ID). Returns the id, or -EBUSY when every id is taken.
 */
int egw_rcu_read_begin(struct egw_rcu *rcu);
void egw_rcu_read_end(struct egw_rcu *rcu, int id);

#endif
