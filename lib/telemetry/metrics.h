/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_METRICS_H
#define EGW_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "telemetry.h"

/*
 * Prometheus text exposition (format 0.0.4) of everything /egw/ telemetry reports, served at
 * /metrics of [metrics] listen by libmicrohttpd's own thread. Like the telemetry callbacks it
 * only reads counters and plain copies, never a snapshot or a flow table.
 */
struct egw_metrics_buf {
	char *p;
	size_t len, cap;
	bool oom; /* an append failed: the text is incomplete */
};

void egw_metrics_buf_free(struct egw_metrics_buf *b);
/* Appends a formatted string (grows the buffer). */
void egw_metrics_printf(struct egw_metrics_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends V as a label value: backslash, double quote and newline escaped. */
void egw_metrics_label_value(struct egw_metrics_buf *b, const char *v);

/* Renders every egressgw_* family from SRC into B. 0 or -ENOMEM. */
int egw_metrics_render(const struct egw_tel_source *src, struct egw_metrics_buf *b);

struct egw_metrics_server;
/* Serves /metrics on LISTEN ("A.B.C.D:PORT"). NULL with a reason in ERR. */
struct egw_metrics_server *egw_metrics_start(const char *listen, const struct egw_tel_source *src,
	char *err, size_t errlen);
void egw_metrics_stop(struct egw_metrics_server *srv);

#endif
