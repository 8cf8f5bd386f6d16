/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telemetry replies as an operator reads them. Each renderer takes the value under the
 * command's key ({"/egw/stats": VALUE}) and prints it to OUT; missing fields show as "-".
 * Returns 0, or -EPROTO when the reply lacks what the table is made of (said on stderr),
 * -ENOMEM, -EIO.
 */
#ifndef EGW_CTL_RENDER_H
#define EGW_CTL_RENDER_H

#include <stdio.h>

#include "json.h"

int egw_render_status(const struct egw_json *info, FILE *out);
int egw_render_stats(const struct egw_json *stats, FILE *out);
int egw_render_ports(const struct egw_json *v, FILE *out);
int egw_render_workers(const struct egw_json *v, FILE *out);
/* PAGES: the replies of /egw/policies,OFFSET in order, one table for all. */
int egw_render_policies(const struct egw_json *const *pages, unsigned n_pages, FILE *out);
int egw_render_pools(const struct egw_json *v, FILE *out);
int egw_render_flows(const struct egw_json *v, FILE *out);
/* PAGES: the replies of /egw/neighbors,OFFSET in order, one table for all. */
int egw_render_neighbors(const struct egw_json *const *pages, unsigned n_pages, FILE *out);

/*
 * The members of object OBJ that are objects (one row each), in the order of their keys'
 * numeric suffix ("p2" before "p10"): DPDK keeps insertion order today, but the keys carry
 * the position and are the contract. Returns the count and *OUT (free() it), or -ENOMEM;
 * 0 when OBJ is not an object.
 */
int egw_render_sorted(const struct egw_json *obj, const struct egw_json ***out);

#endif
