/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_RATE_H
#define EGW_RATE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A token bucket refilled once per window (a second, in whatever unit the caller counts
 * time): at most PER_WINDOW takes per window, no burst beyond that. What the appliance uses to
 * rate-limit the packets and log lines it generates (RFC 1812 4.3.2.8). One owner; no locks.
 */
struct egw_rate {
	uint64_t window; /* the window the tokens are of */
	uint32_t tokens; /* left in it */
};

/* Takes a token in window NOW (e.g. seconds, or milliseconds / 1000). False when none is left. */
static inline bool egw_rate_take(struct egw_rate *r, uint64_t now, uint32_t per_window)
{
	if (now != r->window) {
		r->window = now;
		r->tokens = per_window;
	}
	if (r->tokens == 0)
		return false;
	r->tokens--;
	return true;
}

#endif
