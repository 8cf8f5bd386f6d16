/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "app.h"

/*
 * The commands of the control socket. Every reply says what happened: a first line
 * "OK ..." or "ERROR ...", then details.
 */
void egw_ctl_execute(struct egw_app *app, const char *line, char *out, size_t len)
{
	char verb[32] = "", arg[64] = "";
	int n = sscanf(line, "%31s %63s", verb, arg);

	if (n >= 1 && strcmp(verb, "reload") == 0 && n == 1) {
		egw_control_reload(app, out, len);
	} else if (n == 2 && strcmp(verb, "mode") == 0) {
		enum egw_mode mode;
		if (egw_mode_parse(arg, &mode) < 0)
			snprintf(out, len, "ERROR unknown mode '%s': passthrough, policy or deny\n",
				arg);
		else
			egw_control_set_mode(app, mode, out, len);
	} else if (n == 1 && strcmp(verb, "version") == 0) {
		snprintf(out, len, "OK egressgw %s\n", EGW_VERSION);
	} else {
		snprintf(out, len, "ERROR unknown command '%s': reload, mode passthrough|policy|deny, "
				   "version\n", line);
	}
}
