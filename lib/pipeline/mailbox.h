/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_MAILBOX_H
#define EGW_MAILBOX_H

#include <stdint.h>

#include "flow/flow.h"
#include "flow/flow_filter.h"
#include "hostname/hostname.h"
#include "nat/source_limit.h"

/*
 * A worker's mailbox: how another thread asks a worker about its own flows (list them,
 * remove them) without ever touching its flow table. The asker fills the request, posts it;
 * the worker serves it a bounded number of records per loop, so a dump of millions of flows
 * never stalls forwarding; the asker reads the results and gives the mailbox back.
 *
 * States (one word, CAS): IDLE -asker-> FILLING -asker-> POSTED -worker-> RUNNING -worker->
 * DONE -asker-> IDLE. From acquire to release the mailbox is its asker's alone: nobody else
 * may take it, even DONE (another asker would read, or release, someone else's answer). An
 * asker that gives up on a POSTED request takes it back (POSTED -> IDLE); one that gives up on
 * a RUNNING one marks it ABANDONED, and the worker stops there and frees it (-> IDLE).
 */
enum egw_mbox_state {
	EGW_MBOX_IDLE,
	EGW_MBOX_FILLING,
	EGW_MBOX_POSTED,
	EGW_MBOX_RUNNING,
	EGW_MBOX_DONE,
	EGW_MBOX_ABANDONED
};
/* SOURCES: the inside addresses holding the most live mappings (the worker's source table). */
enum egw_mbox_op { EGW_MBOX_LIST, EGW_MBOX_FLUSH, EGW_MBOX_SOURCES };

#define EGW_MBOX_TOP_SOURCES 20

#define EGW_MBOX_RECORDS_PER_LOOP 8192

/* One listed flow, as its worker saw it. */
struct egw_flow_dump {
	struct egw_flow flow;
	uint32_t created; /* worker clock, seconds */
	uint32_t now;	  /* worker clock when listed */
	uint32_t record;  /* its place in the worker's table (a page's position) */
	bool ech;	  /* the ClientHello carried ECH */
	char server_name[EGW_HOSTNAME_MAX + 1]; /* the host name it was decided on, "" if none */
};

struct egw_mailbox {
	uint32_t state; /* enum egw_mbox_state */
	uint32_t op;	/* enum egw_mbox_op */
	struct egw_flow_filter filter;
	uint32_t cursor;  /* worker: next record to look at */
	uint64_t matched; /* flows that passed the filter (FLUSH: removed) */
	uint32_t n_listed;
	struct egw_flow_dump listed[EGW_FLOW_FILTER_LIMIT_MAX];
	uint32_t n_top; /* SOURCES: most mappings first */
	struct egw_source_slot top[EGW_MBOX_TOP_SOURCES];
};

struct egw_worker;

/* Asker: takes the mailbox within TIMEOUT_MS. 0 or -EBUSY. */
int egw_mailbox_acquire(struct egw_mailbox *mb, unsigned timeout_ms);
/* Asker: posts the request filled in since acquire; the worker looks from record START on. */
void egw_mailbox_post(struct egw_mailbox *mb, uint32_t start);
/*
 * Asker: waits for the worker's answer, never longer than TIMEOUT_MS + 10 s. 0 when DONE (read
 * the results, then release); -ETIMEDOUT when the worker did not pick it up within TIMEOUT_MS
 * (not running: the request is withdrawn) or did not finish within 10 s (abandoned: the worker
 * stops it); either way the mailbox is no longer the asker's: do not release. IDLE (may be
 * NULL) runs between polls: the control thread keeps draining what the worker produces
 * meanwhile (flow log records of a flush).
 */
int egw_mailbox_wait(struct egw_mailbox *mb, unsigned timeout_ms, void (*idle)(void *), void *ctx);
void egw_mailbox_release(struct egw_mailbox *mb);

/* Worker, once per loop: serves a posted request a slice at a time. */
void egw_mailbox_serve(struct egw_worker *w);

#endif
