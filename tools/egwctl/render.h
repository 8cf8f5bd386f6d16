/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telemetry replies as an operator reads them. Each renderer takes the value under the
 * command's key ({"/egw/stats": VALUE}, parsed by jansson) and prints it to OUT; missing
 * fields show as "-". Returns 0, or -EPROTO when the reply lacks what the table is made of
 * (said on stderr), -ENOMEM, -EIO.
 */
#ifndef EGW_CTL_RENDER_H
#define EGW_CTL_RENDER_H

#include <stdio.h>

#include <jansson.h>

int egw_render_status(json_t *info, FILE *out);
int egw_render_stats(json_t *stats, FILE *out);
int egw_render_ports(json_t *v, FILE *out);
int egw_render_workers(json_t *v, FILE *out);
int egw_render_sources(json_t *v, FILE *out);
int egw_render_tunnels(json_t *v, FILE *out);
/* PAGES: the replies of /egw/policies,OFFSET in order, one table for all. */
int egw_render_policies(json_t *const *pages, unsigned n_pages, FILE *out);
int egw_render_pools(json_t *v, FILE *out);
int egw_render_flows(json_t *v, FILE *out);
int egw_render_names(json_t *v, FILE *out);
/* PAGES: the replies of /egw/neighbors,OFFSET in order, one table for all. */
int egw_render_neighbors(json_t *const *pages, unsigned n_pages, FILE *out);
/* The pages of CMD as one reply would have been: {CMD: {..., LIST: every entry}}. */
int egw_render_pages_json(const char *cmd, const char *list, json_t *const *pages, unsigned n_pages,
	FILE *out);

/* A member of an object: its key and value. */
struct egw_member {
	const char *key;
	json_t *value;
};

/*
 * The members of object OBJ that are objects (one row each), in the order of their keys'
 * numeric suffix ("p2" before "p10"): DPDK keeps insertion order today, but the keys carry
 * the position and are the contract. Returns the count and *OUT (free() it), or -ENOMEM;
 * 0 when OBJ is not an object.
 */
int egw_render_sorted(json_t *obj, struct egw_member **out);

#endif
