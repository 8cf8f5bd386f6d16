/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the flow filter (/egw/flows parameters, "flows flush" arguments): any
 * text an operator or a telemetry client may send. Besides the sanitizers it checks what the
 * parser promises: 0 or -EINVAL only, a message on every error, and on success a filter whose
 * masks are prefixes, whose prefixes have no host bits, and whose limit is in range; matching
 * it against a flow must not fault.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow_filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct egw_flow_filter f;
	struct egw_flow flow = { 0 };
	char text[1024], err[256] = "";
	int rc;

	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';
	rc = egw_flow_filter_parse(text, &f, err, sizeof(err));
	if (rc != 0 && rc != -EINVAL)
		abort();
	if (rc != 0) {
		if (!err[0] || !memchr(err, '\0', sizeof(err)))
			abort();
		return 0;
	}
	if (f.limit < 1 || f.limit > EGW_FLOW_FILTER_LIMIT_MAX)
		abort();
	for (unsigned k = 0; k < EGW_FILTER_ADDR_KINDS; k++) {
		uint32_t host = ~f.addr[k].mask; /* a prefix mask: host bits are 2^n - 1 */
		if (f.addr[k].on && ((host & (host + 1)) != 0 || (f.addr[k].prefix & host)))
			abort();
	}
	if (f.policy_on && !memchr(f.policy_name, '\0', sizeof(f.policy_name)))
		abort();
	flow.orig.proto = (uint8_t)(size ? data[0] : 0);
	(void)egw_flow_filter_match(&f, &flow);
	return 0;
}
