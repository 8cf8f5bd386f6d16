/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOWLOG_H
#define EGW_FLOWLOG_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "flowlog_deny.h"
#include "pipeline/dataplane.h"
#include "policy/slots.h"

/*
 * The flow log writer ([log] flow_log): the control thread drains the workers' record rings,
 * formats one JSON object per line and appends it to the file. Workers never wait on it.
 */
struct egw_flowlog {
	char path[EGW_PATH_MAX];
	FILE *f;
	char error[128];	  /* why the last open failed, for the operator */
	char host[256];		  /* gethostname() at open: every record names the appliance */
	struct egw_deny_agg deny; /* repeated denies held, and the deny rate limit */
};

/*
 * Opens PATH for appending (created 0640). It must be a regular file: a FIFO or a device could
 * block the control thread's writes. 0 or -errno (-EINVAL: not a regular file), ERROR says why.
 */
int egw_flowlog_open(struct egw_flowlog *l, const char *path);
/* Log rotation (SIGHUP): closes and opens the path again. 0 or -errno (then logging stops). */
int egw_flowlog_reopen(struct egw_flowlog *l);
void egw_flowlog_close(struct egw_flowlog *l);
/* At stop, before close: the denies still held are written. */
void egw_flowlog_flush_denies(struct egw_flowlog *l, struct egw_dataplane *dp,
	const struct egw_policy_slots *slots);

/*
 * Writes up to MAX records of each worker of DP; policy names from SLOTS. Counts
 * flow_log_written / flow_log_errors in DP's control stats. Returns the records taken.
 */
unsigned egw_flowlog_drain(struct egw_flowlog *l, struct egw_dataplane *dp,
	const struct egw_policy_slots *slots, unsigned max);

/* What the control thread adds to a record to write it. */
struct egw_flowlog_meta {
	int64_t time_ms;      /* the event, milliseconds since the Unix epoch */
	uint64_t duration_ms; /* END: since the flow started */
	const char *policy;
	const char *host;
	const char *server_name; /* the flow's host name (NUL-terminated), NULL when none */
	uint32_t count;		 /* DENY: how many denies of its key this record stands for */
};

/*
 * One record as a JSON line (with '\n') into BUF, in the schema of docs/flowlog.schema.json.
 * Returns the length, -ENOSPC when LEN is too small, -EIO when hashing failed.
 */
/*
 * A tunnel request's record (lib/tunnel flow_end): the client as it connected to the service,
 * the name it asked for, the destination and the upstream socket (before NAT; the data path's
 * own record of that flow has the translation). Addresses in network order.
 */
struct egw_flowlog_tunnel {
	int64_t time_ms; /* the request's end */
	uint64_t duration_ms;
	const char *transport; /* http, https, h2c, h2, socks5 */
	const char *result;    /* allowed, denied, ... (lib/tunnel results) */
	uint32_t client_be, dst_be, upstream_be;
	uint16_t client_port, dst_port, upstream_port;
	const char *server_name; /* NULL: a literal address */
	const char *policy;
	const char *user;   /* NULL without authentication */
	const char *reason; /* why it failed ("detail"); "" or NULL otherwise */
	uint64_t bytes_up, bytes_down;
};

/* One JSON line for T ("event":"tunnel") into BUF; HOST is the appliance's name. The length,
 * or -ENOSPC. */
int egw_flowlog_format_tunnel(const struct egw_flowlog_tunnel *t, const char *host, char *buf,
	size_t len);
/* LINE (LEN bytes; LEN < 0: a formatting failure) to L's file, counted written or lost. */
void egw_flowlog_write(struct egw_flowlog *l, struct egw_dataplane *dp, const char *line, int len);

int egw_flowlog_format(const struct egw_flowlog_rec *r, const struct egw_flowlog_meta *m, char *buf,
	size_t len);

/*
 * Milliseconds since the Unix epoch of flow log clock value CLOCK, given NOW (that clock now)
 * and NOW_MS (the wall clock now, ms): the clock counts TSC units, the wall clock is the
 * authority, so only the distance back from now is converted.
 */
int64_t egw_flowlog_wall_ms(uint64_t clock, uint64_t now, int64_t now_ms, uint64_t tsc_hz);
/* Milliseconds between two flow log clock values (A <= B). */
uint64_t egw_flowlog_ms(uint64_t a, uint64_t b, uint64_t tsc_hz);
/* The full clock value of a record's 32-bit STAMP, taken at most 2^31 units before or after
 * NOW (hours: records are written within seconds). */
uint64_t egw_flowlog_unwrap(uint32_t stamp, uint64_t now);

#endif
