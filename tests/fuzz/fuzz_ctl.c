/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the control socket's input (lib/ctl): whatever a client sends, in
 * whatever pieces, through the line assembly of a connection and, for a full line, the command
 * layer (with operations that only answer). Besides the sanitizers it checks what the code
 * promises: the line never outgrows its buffer and is a C string without its newline; a line
 * too long is refused only when the buffer is full; every reply starts with "OK " or "ERROR ",
 * ends with a newline and holds only printable ASCII and newlines (client bytes are echoed as
 * '?' when they are not).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "ctl/ctl_conn.h"

static int op_reload(void *ctx, char *out, size_t len)
{
	return snprintf(out, len, "OK reloaded\n") < 0;
}

static int op_mode(void *ctx, enum egw_mode mode, char *out, size_t len)
{
	if (mode != EGW_MODE_PASSTHROUGH && mode != EGW_MODE_POLICY && mode != EGW_MODE_DENY)
		abort();
	return snprintf(out, len, "OK mode\n") < 0;
}

static int op_flush(void *ctx, const char *filter, char *out, size_t len)
{
	if (strlen(filter) >= EGW_CTL_LINE_MAX)
		abort();
	return snprintf(out, len, "OK flushed 0 flows\n") < 0;
}

static void check_reply(const char *out)
{
	size_t n = strlen(out);

	if (strncmp(out, "OK ", 3) != 0 && strncmp(out, "ERROR ", 6) != 0)
		abort();
	if (n == 0 || out[n - 1] != '\n')
		abort();
	for (size_t i = 0; i < n; i++)
		if (out[i] != '\n' && (out[i] < 0x20 || out[i] > 0x7e))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct egw_ctl_ops ops = { .reload = op_reload,
		.set_mode = op_mode,
		.flows_flush = op_flush };
	static struct egw_ctl_conn c;
	static char out[EGW_CTL_REPLY_MAX];
	enum egw_ctl_input in = EGW_CTL_IN_MORE;
	size_t off = 0;

	if (size < 1)
		return 0;
	/* The first byte sets the size of the reads the data arrives in (1..256 bytes). */
	size_t piece = (size_t)data[0] + 1;
	data++;
	size--;
	egw_ctl_conn_reset(&c);
	egw_ctl_conn_start(&c, 3, 0);
	while (in == EGW_CTL_IN_MORE && off < size) {
		size_t n = size - off, room = egw_ctl_conn_room(&c);

		if (room == 0)
			abort();
		n = n < piece ? n : piece;
		n = n < room ? n : room;
		memcpy(c.line + c.len, data + off, n);
		off += n;
		in = egw_ctl_conn_input(&c, n);
		if (c.len > EGW_CTL_LINE_MAX)
			abort();
	}
	if (in == EGW_CTL_IN_MORE)
		in = egw_ctl_conn_eof(&c);
	if (in == EGW_CTL_IN_TOO_LONG && c.len != EGW_CTL_LINE_MAX)
		abort();
	if (in == EGW_CTL_IN_LINE) {
		size_t n = strlen(c.line);
		if (n >= EGW_CTL_LINE_MAX || memchr(c.line, '\n', n))
			abort();
		egw_ctl_execute(&ops, c.line, out, sizeof(out));
		check_reply(out);
	}
	egw_ctl_conn_reply(&c, "ERROR x\n", 8, 0);
	if (!egw_ctl_conn_sent(&c, 8))
		abort();
	egw_ctl_conn_reset(&c);
	return 0;
}
