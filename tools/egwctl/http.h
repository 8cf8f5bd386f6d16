/* SPDX-License-Identifier: BSD-3-Clause */
/* Just enough HTTP/1.0 to fetch the daemon's Prometheus page. */
#ifndef EGW_CTL_HTTP_H
#define EGW_CTL_HTTP_H

#include <stddef.h>

/*
 * GET http://HOSTPORT/PATH. HOSTPORT is HOST:PORT or [IPV6]:PORT as in "[metrics] listen";
 * a wildcard host (0.0.0.0, ::, * or none) means this machine. Returns 0 and the body of a
 * 200 reply (NUL-terminated, free() it) in *BODY, *LEN; -errno after telling stderr why.
 */
int egw_http_get(const char *hostport, const char *path, char **body, size_t *len);

#endif
