/* SPDX-License-Identifier: BSD-3-Clause */
/* The daemon's two sockets: DPDK telemetry (read) and the control socket (write). */
#ifndef EGW_CTL_CLIENT_H
#define EGW_CTL_CLIENT_H

#include <stddef.h>

/* Connected socket, or -1 with a message for the operator in ERR. */
int egw_ctl_connect_unix(const char *path, int type, char *err, size_t errlen);

/*
 * Asks the telemetry socket of DPDK file prefix PREFIX for CMD, with ",PARAMS" when PARAMS
 * is set. Returns 0 and the reply (NUL-terminated, free() it) in *REPLY, *LEN; -errno after
 * telling stderr why.
 */
int egw_ctl_telemetry(const char *prefix, const char *cmd, const char *params, char **reply,
	size_t *len);

/* Sends LINE (no newline) to the control socket; the reply as for egw_ctl_telemetry(). */
int egw_ctl_control(const char *socket, const char *line, char **reply);

#endif
