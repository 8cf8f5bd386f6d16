/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_TUNNEL_APP_H
#define EGW_TUNNEL_APP_H

/*
 * The tunnel service in the appliance ([tunnel], lib/tunnel): the engine's configuration from
 * the file, its namespace and exception port (tunnel_ns.c, tunnel.c), and its decision hooks
 * over the data path's policy snapshot (tunnel_hooks.c).
 */
#include <stdbool.h>
#include <stdint.h>

#include <rte_ring.h>

#include "conf/conf.h"
#include "tunnel/tunnel.h"

struct egw_app;
struct egw_dataplane;
struct egw_policy_slots;
struct egw_flowlog;

/* What the hooks need (the engine's ops context). */
struct egw_tunnel_hooks {
	struct egw_dataplane *dp;
	const struct egw_policy_slots *slots;
	struct rte_ring *log; /* tunnel thread -> control thread: flow records; NULL: no log */
	uint64_t log_dropped; /* records lost to a full ring (tunnel thread) */
};

/* The running service, owned by the control thread. */
struct egw_tunnel_app {
	struct egw_tunnel *engine;
	struct egw_tunnel_hooks hooks;
	uint16_t port; /* the exception port's DPDK id */
	bool port_started;
};

/* tunnel.c */
/* The engine's configuration from C's [tunnel], inside subnets and our addresses refused. */
void egw_tunnel_conf_from(const struct egw_conf *c, struct egw_tunnel_conf *tc);
/* --check: creates the engine (users file, key pair, resolvers, listeners in a namespace of
 * its own) without starting it; problems to ERRS. 0 or -EINVAL. */
int egw_tunnel_check(const struct egw_conf *c, struct egw_conf_errors *errs);
/* Start: the namespace, the exception port (a data path port polled by every worker), the
 * engine and its thread. After the ports and the resolver, before the workers run. */
int egw_tunnel_app_start(struct egw_app *app);
/* Stop: the engine's thread (every connection closed, recorded), then the port. */
void egw_tunnel_app_stop(struct egw_app *app);
/* The engine's memory, once telemetry (which reads its counters) has ended. */
void egw_tunnel_app_free(struct egw_app *app);
/* Telemetry's reader of the counters (struct egw_tel_source tunnel_stats); CTX the engine. */
void egw_tunnel_app_stats(const void *ctx, struct egw_tunnel_stats *out);
/* Control loop: the engine's flow records into the flow log. */
void egw_tunnel_app_poll(struct egw_app *app);

/* tunnel_hooks.c */
extern const struct egw_tunnel_policy_ops egw_tunnel_hook_ops;
/* Writes up to MAX queued records to L. Returns how many. */
unsigned egw_tunnel_log_drain(struct egw_tunnel_hooks *h, struct egw_flowlog *l, unsigned max);
/* Frees what is still queued. */
void egw_tunnel_log_flush(struct egw_tunnel_hooks *h);

/* tunnel_ns.c */
int egw_tunnel_ns_enter(int *host_ns);
int egw_tunnel_ns_leave(int host_ns);
int egw_tunnel_ns_link_up(const char *ifname, bool noarp);
int egw_tunnel_ns_mac(const char *ifname, uint8_t mac[6]);
int egw_tunnel_ns_addr_add(unsigned ifindex, uint32_t addr_be);
int egw_tunnel_ns_default_route(unsigned ifindex);

#endif
