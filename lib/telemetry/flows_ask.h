/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOWS_ASK_H
#define EGW_FLOWS_ASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline/dataplane.h"
#include "pipeline/mailbox.h"
#include "policy/slots.h"

/* What the workers answered: every match counted, the first LIMIT listed. */
struct egw_flows_answer {
	uint64_t matched; /* LIST: flows passing the filter; FLUSH: flows ended */
	uint32_t limit;	  /* the filter's limit= */
	uint32_t n;
	bool paged;    /* the filter had from=: NEXT is the next page */
	uint64_t next; /* from= of the next page; 0: this was the last */
	struct egw_flows_listed {
		unsigned worker;
		struct egw_flow_dump d;
	} flows[EGW_FLOW_FILTER_LIMIT_MAX];
};

/*
 * Asks every worker of DP, through its mailbox, to list (or end) its flows that pass FILTER
 * (egw_flow_filter_parse syntax; policy names resolved with SLOTS). IDLE/CTX: see
 * egw_mailbox_wait. 0, or -errno with a message for the operator in ERR.
 */
int egw_flows_ask(struct egw_dataplane *dp, const struct egw_policy_slots *slots,
	const char *filter, enum egw_mbox_op op, struct egw_flows_answer *ans, void (*idle)(void *),
	void *ctx, char *err, size_t errlen);

/* The inside addresses holding the most live mappings, all workers together. */
struct egw_sources_answer {
	uint32_t n;
	struct egw_source_slot top[EGW_MBOX_TOP_SOURCES]; /* most mappings first */
};

/*
 * Asks every worker of DP for its sources holding the most live mappings and sums them by
 * address (a source among a worker's first EGW_MBOX_TOP_SOURCES only counts that worker's
 * share there). 0, or -errno with a message in ERR.
 */
int egw_sources_ask(struct egw_dataplane *dp, struct egw_sources_answer *ans, char *err,
	size_t errlen);

#endif
