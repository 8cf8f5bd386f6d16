/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include "ctl_conn.h"

static char nomem_reply[] = "ERROR out of memory\n";

void egw_ctl_conn_start(struct egw_ctl_conn *c, int fd, uint64_t now)
{
	memset(c, 0, offsetof(struct egw_ctl_conn, line));
	c->fd = fd;
	c->state = EGW_CTL_READING;
	c->deadline = now + EGW_CTL_REQUEST_MS;
}

size_t egw_ctl_conn_room(const struct egw_ctl_conn *c)
{
	return sizeof(c->line) - c->len;
}

/* The line without its newline (and a CR before it), as a C string in place. */
static enum egw_ctl_input finish_line(struct egw_ctl_conn *c, size_t end)
{
	if (memchr(c->line, '\0', end))
		return EGW_CTL_IN_NUL;
	if (end > 0 && c->line[end - 1] == '\r')
		end--;
	c->line[end] = '\0';
	return EGW_CTL_IN_LINE;
}

enum egw_ctl_input egw_ctl_conn_input(struct egw_ctl_conn *c, size_t n)
{
	const char *nl = memchr(c->line + c->len, '\n', n);

	c->len += (uint16_t)n;
	/* One command per connection: whatever follows the newline is ignored. */
	if (nl)
		return finish_line(c, (size_t)(nl - c->line));
	if (c->len >= sizeof(c->line))
		return EGW_CTL_IN_TOO_LONG;
	return EGW_CTL_IN_MORE;
}

enum egw_ctl_input egw_ctl_conn_eof(struct egw_ctl_conn *c)
{
	/* The room for the terminator exists: a full buffer would have been TOO_LONG. */
	if (c->len == 0)
		return EGW_CTL_IN_EMPTY;
	return finish_line(c, c->len);
}

void egw_ctl_conn_reply(struct egw_ctl_conn *c, const char *text, size_t len, uint64_t now)
{
	c->reply = malloc(len ? len : 1);
	c->owned = c->reply != NULL;
	if (c->reply) {
		memcpy(c->reply, text, len);
		c->reply_len = len;
	} else {
		c->reply = nomem_reply;
		c->reply_len = sizeof(nomem_reply) - 1;
	}
	c->reply_off = 0;
	c->state = EGW_CTL_WRITING;
	c->deadline = now + EGW_CTL_REPLY_MS;
}

bool egw_ctl_conn_sent(struct egw_ctl_conn *c, size_t n)
{
	c->reply_off += n;
	return c->reply_off >= c->reply_len;
}

bool egw_ctl_conn_expired(const struct egw_ctl_conn *c, uint64_t now)
{
	return (c->state == EGW_CTL_READING || c->state == EGW_CTL_WRITING) && now >= c->deadline;
}

void egw_ctl_conn_reset(struct egw_ctl_conn *c)
{
	if (c->owned)
		free(c->reply);
	c->reply = NULL;
	c->owned = false;
	c->state = EGW_CTL_FREE;
	c->fd = -1;
	c->len = 0;
	c->events = 0;
}
