/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "telemetry/flows_ask.h"

/* While workers end flows, their flow log records are written as they come. */
static void drain_flowlog(void *ctx)
{
	struct egw_app *app = ctx;

	if (app->flowlog.f)
		egw_flowlog_drain(&app->flowlog, &app->dp, &app->slots, 1024);
}

/* "flows flush [FILTER]": the matching flows end now, on their own workers. */
static void flows_flush(struct egw_app *app, const char *filter, char *out, size_t len)
{
	static struct egw_flows_answer ans;
	char err[256];
	int rc = egw_flows_ask(&app->dp, &app->slots, filter, EGW_MBOX_FLUSH, &ans,
		drain_flowlog, app, err, sizeof(err));

	if (rc < 0)
		snprintf(out, len, "ERROR flows flush: %s (%llu flows ended before that)\n", err,
			(unsigned long long)ans.matched);
	else
		snprintf(out, len, "OK flushed %llu flows\n", (unsigned long long)ans.matched);
}

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
	} else if (n == 2 && strcmp(verb, "flows") == 0 && strcmp(arg, "flush") == 0) {
		const char *filter = strstr(line, "flush") + strlen("flush");
		flows_flush(app, filter, out, len);
	} else {
		snprintf(out, len, "ERROR unknown command '%s': reload, mode passthrough|policy|deny, "
				   "flows flush [FILTER], version\n", line);
	}
}
