/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * systemd's service protocol (sd_notify(3)), for Type=notify: READY=1 once the ports are up
 * and the workers run, RELOADING=1 then READY=1 around every reload (SIGHUP or "reload"),
 * STATUS= with the mode and the generation (what "systemctl status" shows), and WATCHDOG=1
 * from the control loop when the unit sets WatchdogSec=. Without NOTIFY_SOCKET (not started by
 * systemd) every call does nothing.
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "app.h"
#include "common/log.h"

static void status_line(const struct egw_app *app, char *out, size_t len)
{
	const struct egw_reload_result *r = &app->last_reload;

	snprintf(out, len, "mode %s, generation %" PRIu64 ", %u policies%s%s",
		egw_mode_name(app->live ? app->live->egress.mode : app->conf.egress.mode),
		app->generation, app->pset.n_policies,
		r->done && !r->ok ? "; last reload rejected: " : "",
		r->done && !r->ok ? r->first_error : "");
}

void egw_notify_init(struct egw_app *app)
{
	uint64_t usec = 0;

	/* Half the interval, as sd_watchdog_enabled(3) advises: one late loop is no failure. */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000)
		app->watchdog_ms = usec / 2000;
}

void egw_notify_ready(const struct egw_app *app)
{
	char status[sizeof(app->last_reload.first_error) + 128];

	status_line(app, status, sizeof(status));
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void egw_notify_reloading(void)
{
	struct timespec ts;

	/* MONOTONIC_USEC: systemd 253 and later (Type=notify-reload) match it with the reload
	 * request; older versions ignore it. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\nSTATUS=reloading",
		(uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

void egw_notify_status(const struct egw_app *app)
{
	char status[sizeof(app->last_reload.first_error) + 128];

	status_line(app, status, sizeof(status));
	sd_notifyf(0, "STATUS=%s", status);
}

void egw_notify_watchdog(struct egw_app *app, uint64_t now_ms)
{
	if (!app->watchdog_ms || now_ms - app->watchdog_last_ms < app->watchdog_ms)
		return;
	app->watchdog_last_ms = now_ms;
	sd_notify(0, "WATCHDOG=1");
}

void egw_notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
