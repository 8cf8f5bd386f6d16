/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_CTL_H
#define EGW_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

/*
 * The control socket: egwctl's write commands (reload, mode, flows flush, version) on a unix
 * stream socket, one command line in, one reply out, then closed. Served by the control
 * thread, which also answers ARP and ping and writes the flow log: so the socket is
 * non-blocking and event-driven, and no client can cost a poll more than a few microseconds.
 */

#define EGW_CTL_MAX_CLIENTS 64	/* connections served at once; also the listen backlog */
#define EGW_CTL_LINE_MAX 512	/* one command line, its newline included */
#define EGW_CTL_REPLY_MAX 65536 /* one reply */
#define EGW_CTL_REQUEST_MS 3000 /* from accept to the end of the line */
#define EGW_CTL_REPLY_MS 3000	/* from the reply to its last byte taken by the client */

/*
 * What the commands do, given by the daemon when it opens the socket: the command layer calls
 * nothing of the daemon by name. Each writes its reply ("OK ..." or "ERROR ..." lines) into
 * OUT and returns 0 or -errno. CTX is passed back as given.
 */
struct egw_ctl_ops {
	void *ctx;
	int (*reload)(void *ctx, char *out, size_t len);
	int (*set_mode)(void *ctx, enum egw_mode mode, char *out, size_t len);
	int (*flows_flush)(void *ctx, const char *filter, char *out, size_t len);
};

/* What happened to clients since open: for tests and the log. */
struct egw_ctl_stats {
	uint64_t accepted;  /* given a slot */
	uint64_t refused;   /* no free slot, or not root / the daemon's user */
	uint64_t commands;  /* lines executed */
	uint64_t timed_out; /* no full line, or reply not taken, in time */
	uint64_t rejected;  /* line too long, NUL byte, no line at all */
	uint64_t dropped;   /* reply not delivered: the client went away */
};

struct egw_ctl_server;

/*
 * Listens on PATH (mode 0600; its directory is created 0700 if missing). A stale socket file is
 * replaced; anything else at PATH is left alone and is an error. NULL with errno and a message
 * in ERR on failure.
 */
struct egw_ctl_server *egw_ctl_open(const char *path, const struct egw_ctl_ops *ops, char *err,
	size_t errlen);

/*
 * One step, from the control loop: waits for nothing (epoll timeout 0), reads and writes at most
 * once per ready client, accepts a few new ones, runs at most one command and closes clients
 * past their deadline. NOW_MS is a monotonic millisecond clock. Returns the work done (0: idle).
 */
unsigned egw_ctl_poll(struct egw_ctl_server *srv, uint64_t now_ms);

void egw_ctl_stats(const struct egw_ctl_server *srv, struct egw_ctl_stats *st);

/* Closes every client and the socket, removes the socket file (if still ours). NULL is fine. */
void egw_ctl_close(struct egw_ctl_server *srv);

/* The commands: LINE (no newline) -> the reply in OUT, one "OK ..."/"ERROR ..." line first. */
void egw_ctl_execute(const struct egw_ctl_ops *ops, const char *line, char *out, size_t len);

#endif
