/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * egwctl prints whatever a telemetry socket answers: any JSON that jansson accepts goes
 * through every renderer (as the value under the command's key, and as a page of policies).
 * They must not crash, read out of bounds or leak, whatever the shape.
 */
#include <stdint.h>
#include <stdio.h>

#include "render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	json_t *v, *pages[2];

	if (!sink)
		sink = fopen("/dev/null", "w");
	v = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (!v || !sink) {
		json_decref(v);
		return 0;
	}
	egw_render_status(v, sink);
	egw_render_stats(v, sink);
	egw_render_ports(v, sink);
	egw_render_workers(v, sink);
	egw_render_sources(v, sink);
	egw_render_pools(v, sink);
	egw_render_flows(v, sink);
	pages[0] = pages[1] = v;
	egw_render_policies(pages, 2, sink);
	egw_render_neighbors(pages, 2, sink);
	egw_render_pages_json("/egw/policies", "policies", pages, 2, sink);
	json_decref(v);
	return 0;
}
