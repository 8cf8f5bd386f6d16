/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOWLOG_H
#define EGW_FLOWLOG_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "pipeline/dataplane.h"
#include "policy/slots.h"

/*
 * The flow log writer ([log] flow_log): the control thread drains the workers' record rings,
 * formats one JSON object per line and appends it to the file. Workers never wait on it.
 */
struct egw_flowlog {
	char path[EGW_PATH_MAX];
	FILE *f;
	time_t wall_base; /* wall clock seconds at worker clock 0 */
	char error[128];  /* why the last open failed, for the operator */
};

/*
 * Opens PATH for appending (created 0640). It must be a regular file: a FIFO or a device could
 * block the control thread's writes. 0 or -errno (-EINVAL: not a regular file), ERROR says why.
 */
int egw_flowlog_open(struct egw_flowlog *l, const char *path);
/* Log rotation (SIGHUP): closes and opens the path again. 0 or -errno (then logging stops). */
int egw_flowlog_reopen(struct egw_flowlog *l);
void egw_flowlog_close(struct egw_flowlog *l);

/*
 * Writes up to MAX records of each worker of DP; policy names from SLOTS. Counts
 * flow_log_written / flow_log_errors in DP's control stats. Returns the records taken.
 */
unsigned egw_flowlog_drain(struct egw_flowlog *l, struct egw_dataplane *dp,
	const struct egw_policy_slots *slots, unsigned max);

/*
 * One record as a JSON line (with '\n') into BUF: its time as WALL (UTC, RFC 3339), its policy
 * as POLICY. Returns the length, or -ENOSPC when LEN is too small.
 */
int egw_flowlog_format(const struct egw_flowlog_rec *r, time_t wall, const char *policy,
	char *buf, size_t len);

/* The worker clock (seconds, from the TSC) as used in records. */
uint32_t egw_flowlog_clock(void);

#endif
