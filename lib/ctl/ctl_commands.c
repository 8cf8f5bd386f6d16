/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

#define QUOTE_MAX 64 /* bytes of a bad line echoed back */

/* LINE as it may be shown: control and non-ASCII bytes as '?', cut at QUOTE_MAX. */
static const char *quote(char buf[QUOTE_MAX + 4], const char *line)
{
	size_t i;

	for (i = 0; line[i] && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)line[i];
		/* The reply ends up on a terminal: no escape sequences from a client. */
		buf[i] = c < 0x20 || c > 0x7e ? '?' : (char)c;
	}
	if (line[i]) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

static void not_available(const char *what, char *out, size_t len)
{
	snprintf(out, len, "ERROR %s is not available here\n", what);
}

/*
 * The commands of the control socket. Every reply says what happened: a first line
 * "OK ..." or "ERROR ...", then details.
 */
void egw_ctl_execute(const struct egw_ctl_ops *ops, const char *line, char *out, size_t len)
{
	char verb[32] = "", arg[64] = "", q[QUOTE_MAX + 4];
	int n = sscanf(line, "%31s %63s", verb, arg);

	if (n == 1 && strcmp(verb, "reload") == 0) {
		if (ops->reload)
			ops->reload(ops->ctx, out, len);
		else
			not_available("reload", out, len);
	} else if (n == 2 && strcmp(verb, "mode") == 0) {
		enum egw_mode mode;
		if (egw_mode_parse(arg, &mode) < 0)
			snprintf(out, len, "ERROR unknown mode '%s': passthrough, policy or deny\n",
				quote(q, arg));
		else if (ops->set_mode)
			ops->set_mode(ops->ctx, mode, out, len);
		else
			not_available("mode", out, len);
	} else if (n == 1 && strcmp(verb, "version") == 0) {
		snprintf(out, len, "OK egressgw %s\n", EGW_VERSION);
	} else if (n == 2 && strcmp(verb, "flows") == 0 && strcmp(arg, "flush") == 0) {
		const char *filter = strstr(line, "flush") + strlen("flush");
		if (ops->flows_flush)
			ops->flows_flush(ops->ctx, filter, out, len);
		else
			not_available("flows flush", out, len);
	} else {
		snprintf(out, len,
			"ERROR unknown command '%s': reload, mode passthrough|policy|deny, "
			"flows flush [FILTER], version\n",
			quote(q, line));
	}
}
