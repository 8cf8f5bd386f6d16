/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_CTL_CONN_H
#define EGW_CTL_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl.h"

/*
 * One client of the control socket, as a state machine without system calls (ctl_server.c does
 * the I/O): the line is assembled across reads, the reply is sent across writes, each state
 * has a deadline.
 *
 *   FREE -> READING -(newline or EOF)-> QUEUED -(command run)-> WRITING -(all sent)-> FREE
 *                   -(too long, NUL, timeout, nothing sent)-> WRITING (an ERROR reply)
 */
enum egw_ctl_conn_state {
	EGW_CTL_FREE = 0,
	EGW_CTL_READING, /* waiting for the rest of the line */
	EGW_CTL_QUEUED,	 /* a full line, waiting for its turn to run */
	EGW_CTL_WRITING, /* the reply is being sent */
};

/* What the bytes just read made of the line. */
enum egw_ctl_input {
	EGW_CTL_IN_MORE,     /* no newline yet, room for more */
	EGW_CTL_IN_LINE,     /* a full line: conn->line holds it, without "\r\n", NUL-terminated */
	EGW_CTL_IN_TOO_LONG, /* EGW_CTL_LINE_MAX bytes and no newline */
	EGW_CTL_IN_NUL,	     /* a NUL byte in the line: not text */
	EGW_CTL_IN_EMPTY,    /* end of input before any byte */
};

struct egw_ctl_conn {
	int fd;
	uint8_t state;	   /* enum egw_ctl_conn_state */
	uint32_t events;   /* what the fd is registered for in epoll; 0 = not registered */
	uint16_t len;	   /* bytes of the line so far */
	uint64_t deadline; /* ms: READING, the whole line; WRITING, the whole reply */
	uint64_t seq;	   /* QUEUED: order of arrival */
	char *reply;	   /* WRITING: heap copy, or a static text when OWNED is false */
	bool owned;
	size_t reply_len, reply_off;
	char line[EGW_CTL_LINE_MAX];
};

/* A new client on FD, accepted at NOW: READING until NOW + EGW_CTL_REQUEST_MS. */
void egw_ctl_conn_start(struct egw_ctl_conn *c, int fd, uint64_t now);

/* Room left in the line for the next read (at least 1 while READING). */
size_t egw_ctl_conn_room(const struct egw_ctl_conn *c);

/* N bytes were read into line + len: a full line, not yet, or why the client is refused. */
enum egw_ctl_input egw_ctl_conn_input(struct egw_ctl_conn *c, size_t n);

/* The client closed its side: what is there is the line (if any). */
enum egw_ctl_input egw_ctl_conn_eof(struct egw_ctl_conn *c);

/*
 * Starts sending TEXT (LEN bytes; copied) at NOW: WRITING until NOW + EGW_CTL_REPLY_MS. Without
 * memory for the copy the client gets a static "ERROR out of memory" instead.
 */
void egw_ctl_conn_reply(struct egw_ctl_conn *c, const char *text, size_t len, uint64_t now);

/* N more bytes of the reply were sent; true when all of it was. */
bool egw_ctl_conn_sent(struct egw_ctl_conn *c, size_t n);

/* Past the deadline of its state (QUEUED has none: the wait is ours, not the client's). */
bool egw_ctl_conn_expired(const struct egw_ctl_conn *c, uint64_t now);

/* Back to FREE: the reply is freed; the fd is the caller's to close. */
void egw_ctl_conn_reset(struct egw_ctl_conn *c);

#endif
