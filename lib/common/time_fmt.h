/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_TIME_FMT_H
#define EGW_TIME_FMT_H

#include <stddef.h>
#include <stdint.h>

/* "2026-11-29T10:20:30.123Z" (RFC 3339, UTC, milliseconds) for Unix time MS, at most LEN
 * bytes with the NUL (25 needed). Returns OUT. */
char *egw_fmt_rfc3339_ms(char *out, size_t len, int64_t ms);

/* Wall clock now, Unix milliseconds. */
int64_t egw_wall_ms(void);

#endif
