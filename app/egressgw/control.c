/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_errno.h>
#include <rte_random.h>
#include <rte_ring.h>

#include "app.h"
#include "common/log.h"
#include "net/l3.h"
#include "pkt/pkt.h"
#include "telemetry/flows_ask.h"

#define CONTROL_BURST 32

/* Divided first: cycles * 1000 would wrap after about 80 days of TSC at 2.6 GHz. */
static uint64_t now_ms(void)
{
	return rte_get_tsc_cycles() / (rte_get_tsc_hz() / 1000);
}

/* Frames the control thread builds leave through worker 0's TX queues. */
static void control_send(struct egw_app *app, struct rte_mbuf *m, uint16_t port)
{
	m->port = port;
	egw_dataplane_send(app->dp, m);
}

static void handle_punted(struct egw_app *app, struct rte_mbuf *m)
{
	struct egw_pkt_meta meta;
	enum egw_drop_reason r =
		egw_pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &meta);

	if (r != EGW_DROP_NONE) {
		egw_dataplane_count_drop(app->dp, r);
		rte_pktmbuf_free(m);
		return;
	}
	/* Workers punt ARP only (they answer pings to our addresses themselves). */
	if (meta.kind != EGW_PKT_ARP) {
		egw_dataplane_count_drop(app->dp, EGW_DROP_LOCAL_UNSUPPORTED);
		rte_pktmbuf_free(m);
		return;
	}
	egw_neigh_arp_input(app->neigh, m);
}

static void neigh_tx(void *ctx, struct rte_mbuf *m, uint16_t port)
{
	control_send(ctx, m, port);
}

/* ICMP errors about packets the resolver could not deliver go through worker 0's data path,
 * which hands each to the worker of its flow to be translated back to the sender. */
static void neigh_rx(void *ctx, struct rte_mbuf *m, uint16_t port)
{
	struct egw_app *app = ctx;

	m->port = port;
	egw_dataplane_inject(app->dp, m);
}

static uint64_t neigh_clock(void *ctx)
{
	RTE_SET_USED(ctx);
	return now_ms();
}

/* The resolver's view of each port: its address, MAC, and neighbour timers. */
static int neigh_ports(struct egw_app *app)
{
	for (unsigned i = 0; i < app->n_ports; i++) {
		const struct egw_port_info *pi = egw_dataplane_port(app->dp, app->port_ids[i]);
		const struct egw_port_conf *pc = &app->conf.ports[i];
		struct egw_neigh_port np = { .addr_be = pi->addr_be,
			.prefix_len = pc->prefix_len,
			.mac = pi->mac,
			.reachable_ms = pc->neighbor_reachable * 1000,
			.probes = pc->neighbor_probes,
			.gc_ms = pc->neighbor_gc * 1000 };
		int rc = egw_neigh_port_add(app->neigh, app->port_ids[i], &np);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The ARP side of the ports: our addresses, static neighbours, next hops resolved early. */
static int neigh_start(struct egw_app *app)
{
	struct egw_neigh_params p = { .table = egw_dataplane_neigh(app->dp),
		.pool = app->pool,
		.tx = neigh_tx,
		.rx = neigh_rx,
		.clock_ms = neigh_clock,
		.ctx = app,
		.drops = egw_dataplane_control_drops(app->dp),
		.icmp_per_s = EGW_ICMP_ERRORS_PER_S,
		.seed = rte_rand() };
	int rc;

	app->neigh = egw_neigh_resolver_create(&p);
	if (!app->neigh)
		return -rte_errno;
	rc = neigh_ports(app);
	if (rc < 0)
		return rc;
	/* Gratuitous ARP: neighbours that cached an older MAC for our address update. */
	egw_neigh_announce(app->neigh);
	for (unsigned i = 0; i < app->n_ports && rc == 0; i++) {
		const struct egw_port_conf *pc = &app->conf.ports[i];
		uint16_t port = app->port_ids[i];

		for (unsigned k = 0; k < pc->n_neighbors && rc == 0; k++) {
			struct rte_ether_addr mac;
			memcpy(mac.addr_bytes, pc->neighbors[k].mac, 6);
			rc = egw_neigh_add_static(app->neigh, port,
				rte_cpu_to_be_32(pc->neighbors[k].addr), &mac);
		}
		/* Next hops are resolved before the first packet needs them. */
		if (pc->gateway && rc == 0)
			rc = egw_neigh_add_nexthop(app->neigh, port, rte_cpu_to_be_32(pc->gateway));
		for (unsigned r = 0; r < pc->n_routes && rc == 0; r++)
			rc = egw_neigh_add_nexthop(app->neigh, port,
				rte_cpu_to_be_32(pc->routes[r].via));
	}
	return rc;
}

/* SIGUSR1: the log was rotated; continue in a new file at the same path. */
static void flowlog_reopen(struct egw_app *app)
{
	int rc;

	if (!app->flowlog.f)
		return;
	rc = egw_flowlog_reopen(&app->flowlog);
	if (rc < 0)
		EGW_ERR("[log] flow_log: cannot reopen %s: %s; records are counted as lost",
			app->flowlog.path, app->flowlog.error);
}

/* After the workers stopped: every flow ends ("shutdown" in the flow log). */
void egw_control_end_flows(struct egw_app *app)
{
	struct egw_dataplane *dp = app->dp;

	for (unsigned i = 0; dp && i < egw_dataplane_n_workers(dp); i++) {
		uint32_t cursor = 0;

		/* A ring holds fewer records than a table flows: write them as they come. */
		while (!egw_pipeline_end_flows(egw_dataplane_worker(dp, i), &cursor))
			egw_flowlog_drain(&app->flowlog, dp, &app->slots, UINT32_MAX);
	}
	if (app->flowlog.f) {
		egw_flowlog_drain(&app->flowlog, dp, &app->slots, UINT32_MAX);
		egw_flowlog_flush_denies(&app->flowlog, dp, &app->slots);
	}
	egw_flowlog_close(&app->flowlog);
}

int egw_control_start(struct egw_app *app)
{
	int rc = egw_names_start(app);

	return rc < 0 ? rc : neigh_start(app);
}

void egw_control_run(struct egw_app *app)
{
	uint64_t last_timer = 0;

	while (!app->stop_requested) {
		struct rte_mbuf *pkts[CONTROL_BURST];
		uint64_t now = now_ms();
		unsigned n, busy = 0;

		n = egw_dataplane_take_punted(app->dp, pkts, CONTROL_BURST);
		for (unsigned i = 0; i < n; i++)
			handle_punted(app, pkts[i]);
		busy += n;
		n = egw_dataplane_take_unresolved(app->dp, pkts, CONTROL_BURST);
		for (unsigned i = 0; i < n; i++)
			egw_neigh_hold(app->neigh, pkts[i]);
		busy += n;
		if (now - last_timer >= 100) {
			/* Generations the workers have all moved past. */
			egw_rcu_reclaim(egw_dataplane_rcu(app->dp));
			egw_neigh_timers(app->neigh);
			egw_names_timer(app);
			egw_notify_watchdog(app, now);
			last_timer = now;
		}
		if (app->reload_requested) {
			char msg[256];
			app->reload_requested = 0;
			egw_publish_reload(app, msg, sizeof(msg));
		}
		if (app->reopen_requested) {
			app->reopen_requested = 0;
			flowlog_reopen(app);
		}
		if (app->flowlog.f)
			busy += egw_flowlog_drain(&app->flowlog, app->dp, &app->slots, 1024);
		egw_tunnel_app_poll(app);
		busy += egw_names_poll(app, now);
		busy += egw_ctl_poll(app->ctl, now);
		if (!busy)
			usleep(1000);
	}
}

/* After the workers stopped: free every packet still queued between threads. */
void egw_control_drain(struct egw_app *app)
{
	if (app->dp)
		egw_dataplane_drain(app->dp);
	if (app->neigh)
		egw_neigh_flush(app->neigh, EGW_DROP_SHUTDOWN);
}

/* While workers end flows, their flow log records are written as they come. */
static void drain_flowlog(void *ctx)
{
	struct egw_app *app = ctx;

	if (app->flowlog.f)
		egw_flowlog_drain(&app->flowlog, app->dp, &app->slots, 1024);
}

/* "flows flush [FILTER]": the matching flows end now, on their own workers. */
static int flows_flush(void *ctx, const char *filter, char *out, size_t len)
{
	static struct egw_flows_answer ans;
	struct egw_app *app = ctx;
	char err[256];
	int rc = egw_flows_ask(app->dp, &app->slots, filter, EGW_MBOX_FLUSH, &ans, drain_flowlog,
		app, err, sizeof(err));

	if (rc < 0)
		snprintf(out, len, "ERROR flows flush: %s (%llu flows ended before that)\n", err,
			(unsigned long long)ans.matched);
	else
		snprintf(out, len, "OK flushed %llu flows\n", (unsigned long long)ans.matched);
	return rc;
}

int egw_control_socket_open(struct egw_app *app)
{
	const struct egw_ctl_ops ops = { .ctx = app,
		.reload = egw_publish_reload_op,
		.set_mode = egw_publish_mode_op,
		.flows_flush = flows_flush };
	const char *path = app->conf.control.socket;
	char err[256];

	if (!path[0])
		return 0;
	app->ctl = egw_ctl_open(path, &ops, err, sizeof(err));
	if (!app->ctl) {
		int rc = -errno;
		EGW_ERR("control socket: %s", err);
		return rc;
	}
	EGW_INFO("control socket %s", path);
	return 0;
}
