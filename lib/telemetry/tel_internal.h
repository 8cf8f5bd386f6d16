/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_TEL_INTERNAL_H
#define EGW_TEL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_telemetry.h>

#include "telemetry.h"

/* The source registered with egw_telemetry_register (telemetry.c). */
extern const struct egw_tel_source *egw_tel_src;

/* tel_runtime.c: /egw/ports, /egw/workers, /egw/pools, /egw/flows, /egw/neighbors */
int egw_tel_ports(const char *cmd, const char *params, struct rte_tel_data *d);
int egw_tel_workers(const char *cmd, const char *params, struct rte_tel_data *d);
int egw_tel_latency(const char *cmd, const char *params, struct rte_tel_data *d);
int egw_tel_pools(const char *cmd, const char *params, struct rte_tel_data *d);
/* Adds "nat" to D: per pool in force, its mapping and filtering (RFC 4787 REQ-1, REQ-8). */
int egw_tel_add_pool_modes(struct rte_tel_data *d);
int egw_tel_flows(const char *cmd, const char *params, struct rte_tel_data *d);
int egw_tel_sources(const char *cmd, const char *params, struct rte_tel_data *d);
int egw_tel_neighbors(const char *cmd, const char *params, struct rte_tel_data *d);
/* tel_names.c: /egw/names */
int egw_tel_names(const char *cmd, const char *params, struct rte_tel_data *d);

/* tel_tunnels.c: /egw/tunnels, and the names of transports and results (metrics) */
int egw_tel_tunnels(const char *cmd, const char *params, struct rte_tel_data *d);
const char *egw_tel_tunnel_transport(unsigned t);
const char *egw_tel_tunnel_result(unsigned r);

#define EGW_TEL_NO_PARAMS "this command takes no parameters"
#define EGW_TEL_BUSY "too many readers at once; try again"

/* The parameter of a paged command: where the page starts (0 without one). False when PARAMS
 * is not a number of 32 bits. */
bool egw_tel_param_offset(const char *params, uint32_t *offset);

/* A reply {"error": MSG}: what a client sees instead of DPDK's bare null. Returns 0. */
int egw_tel_error(struct rte_tel_data *d, const char *msg);

#endif
