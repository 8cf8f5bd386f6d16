/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_APP_H
#define EGW_APP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "conf/conf.h"
#include "conf/policy_conf.h"
#include "names/names.h"
#include "ctl/ctl.h"
#include "net/neigh_resolve.h"
#include "net/rx_offload.h"
#include "net/steer.h"
#include "pipeline/dataplane.h"
#include "policy/slots.h"
#include "telemetry/flowlog.h"
#include "telemetry/metrics.h"
#include "telemetry/observer.h"
#include "telemetry/telemetry.h"
#include "tunnel_app.h"

/* The running appliance: owned by the control thread. */
struct egw_app {
	struct egw_conf conf;
	struct egw_policy_set pset;    /* the policy files of the running generation */
	struct egw_policy_slots slots; /* counter slot per policy name */
	struct egw_ctl_server *ctl;    /* control socket; NULL when off */
	struct egw_dataplane *dp;
	struct rte_mempool *pool;
	struct egw_worker_run wrun[EGW_MAX_WORKERS];
	unsigned worker_lcores[EGW_MAX_WORKERS];
	struct egw_neigh_resolver *neigh;   /* ARP: control thread only */
	struct egw_flowlog flowlog;	    /* [log] flow_log; f == NULL when off */
	struct egw_metrics_server *metrics; /* [metrics] listen; NULL when off */
	struct egw_tunnel_app tunnel;	    /* [tunnel]: the service (tunnel.c) */
	/* Of conf.ports[i]: its port id in the data path, and the DPDK port of its device (the
	 * same unless it is a second port of a device: another VLAN of it). */
	uint16_t port_ids[EGW_MAX_PORTS];
	uint16_t dev_ids[EGW_MAX_PORTS];
	unsigned n_ports; /* ports set up, to stop */
	/* How conf.ports[i]'s device spreads what it receives over the workers (net/steer.h),
	 * its name for telemetry, and the rte_flow rules it took (by device owner index). */
	struct egw_steer_plan steer[EGW_MAX_PORTS];
	const char *steer_names[EGW_MAX_PORTS];
	struct egw_steer_rules steer_rules[EGW_MAX_PORTS];
	/* The receive offloads conf.ports[i]'s device was asked for (net/rx_offload.h), as names
	 * for telemetry ("ipv4_cksum", "none"). */
	char rx_offload_buf[EGW_MAX_PORTS][EGW_RX_OFFLOAD_NAMES_MAX];
	const char *rx_offload_names[EGW_MAX_PORTS];
	uint64_t generation;
	uint64_t start_tsc;
	/*
	 * CONF is the file as loaded at start and is never rewritten (telemetry reads its ports).
	 * LIVE is what runs of what a reload or "mode" can change (egress settings, pools),
	 * replaced whole, never edited; OBSERVER publishes it with the generation and the last
	 * reload for telemetry and metrics.
	 */
	struct egw_conf *live;
	struct egw_rcu observer;
	/* Names learned from DNS: the table (control thread), its step, the view telemetry
	 * reads (occasional readers; the workers' is the data plane's), what metrics show. */
	struct egw_names_table *names;
	struct egw_names_step names_step;
	struct egw_rcu names_view;
	struct egw_tel_names names_tel;
	struct egw_reload_result last_reload;
	char config_sha256[65];
	uint64_t watchdog_ms;	   /* WATCHDOG=1 this often (half WatchdogSec=); 0: off */
	uint64_t watchdog_last_ms; /* the last WATCHDOG=1 (control loop clock) */
	volatile sig_atomic_t stop_requested;
	volatile sig_atomic_t reload_requested; /* SIGHUP */
	volatile sig_atomic_t reopen_requested; /* SIGUSR1: the flow log was rotated */
};

#define EGW_RING_SIZE 1024 /* control and handoff rings */
#define EGW_POOL_CACHE 256 /* mbufs cached per lcore */

/* preflight.c: what a start needs from this machine, checked before EAL runs */
unsigned egw_mbuf_count(unsigned workers, unsigned ports, uint32_t extra);
/* Bytes of DPDK heap the appliance takes with config C (the check of [dpdk] memory_mb). */
uint64_t egw_memory_estimate(const struct egw_conf *c);
/*
 * The CPUs of [dpdk] lcores, memory_mb against [flows] max, the file prefix not in use by
 * another process (CHECK_ONLY: the same config running is fine, a reload applies it): each
 * problem to ERRS as FILE:LINE. Warnings and notes (exit 0) to NOTES. 0 or -EINVAL.
 */
int egw_preflight(const struct egw_conf *c, const struct egw_policy_set *pset, bool check_only,
	struct egw_conf_errors *errs, FILE *notes);

/* eal.c */
int egw_eal_start(const struct egw_conf *conf, int extra_argc, char **extra_argv);

/* ports.c */
int egw_ports_setup(struct egw_app *app);
void egw_ports_stop(struct egw_app *app);

/* control.c */
int egw_control_start(struct egw_app *app);
void egw_control_run(struct egw_app *app);
void egw_control_drain(struct egw_app *app);
void egw_control_end_flows(struct egw_app *app);

/* names.c: names learned from DNS, merged and published by the control thread */
int egw_names_start(struct egw_app *app);
void egw_names_stop(struct egw_app *app);
void egw_names_reload(struct egw_app *app, const struct egw_conf *live);
/* One step of the control loop: journals merged, a view published when due. Returns 1 when
 * it published. */
unsigned egw_names_poll(struct egw_app *app, uint64_t now_ms);
/* Every 100 ms: replaced views freed, counters exported. */
void egw_names_timer(struct egw_app *app);
/* notify.c: systemd's sd_notify protocol; nothing without NOTIFY_SOCKET */
void egw_notify_init(struct egw_app *app);
void egw_notify_ready(const struct egw_app *app);
void egw_notify_reloading(void);
void egw_notify_status(const struct egw_app *app);
void egw_notify_watchdog(struct egw_app *app, uint64_t now_ms);
void egw_notify_stopping(void);

/* publish.c */
int egw_publish_first(struct egw_app *app);
void egw_publish_fini(struct egw_app *app);
int egw_publish_reload(struct egw_app *app, char *out, size_t len);
int egw_publish_mode(struct egw_app *app, enum egw_mode mode, char *out, size_t len);
/* The same, as control-socket operations (struct egw_ctl_ops, CTX the app). */
int egw_publish_reload_op(void *app, char *out, size_t len);
int egw_publish_mode_op(void *app, enum egw_mode mode, char *out, size_t len);
/* The control socket ([control] socket), its commands served by egw_control_run. 0 or -errno. */
int egw_control_socket_open(struct egw_app *app);

#endif
