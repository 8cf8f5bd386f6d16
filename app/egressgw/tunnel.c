/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tunnel service's life in the appliance: [tunnel] into the engine's configuration, the
 * --check of it, and at start the namespace with the kernel side of the exception port
 * (net_tap), the port in the data path, the engine and its thread (lib/tunnel/README.md,
 * "Integration" and "Exception path").
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_errno.h>

#include "app.h"
#include "common/log.h"
#include "pipeline/exception.h"
#include "tunnel_app.h"

#define TAP_VDEV "net_tap_egw"
#define TAP_IFACE "egwtun0"
#define TAP_DESC 512
#define LOG_RING 4096

static void listener_conf(const struct egw_tunnel_listen_conf *l, struct egw_tunnel_addr *a)
{
	*a = (struct egw_tunnel_addr){ l->addr, l->port };
}

static void refuse(struct egw_tunnel_conf *tc, uint32_t addr, uint8_t len)
{
	if (tc->n_refused < EGW_TUNNEL_REFUSED_MAX)
		tc->refused[tc->n_refused++] =
			(struct egw_tunnel_prefix){ len ? addr & (UINT32_MAX << (32 - len)) : 0,
				len };
}

void egw_tunnel_conf_from(const struct egw_conf *c, struct egw_tunnel_conf *tc)
{
	egw_tunnel_conf_defaults(tc);
	listener_conf(&c->tunnel.http, &tc->http);
	listener_conf(&c->tunnel.https, &tc->https);
	listener_conf(&c->tunnel.socks5, &tc->socks5);
	snprintf(tc->tls_cert, sizeof(tc->tls_cert), "%s", c->tunnel.tls_cert);
	snprintf(tc->tls_key, sizeof(tc->tls_key), "%s", c->tunnel.tls_key);
	snprintf(tc->users, sizeof(tc->users), "%s", c->tunnel.users);
	for (unsigned i = 0; i < c->tunnel.n_resolvers && i < EGW_TUNNEL_RESOLVERS_MAX; i++)
		tc->resolvers[tc->n_resolvers++] =
			(struct egw_tunnel_addr){ c->tunnel.resolvers[i], 53 };
	tc->source = c->tunnel.source;
#define SET(f)                                                                                     \
	if (c->tunnel.f)                                                                           \
	tc->f = c->tunnel.f
	SET(max_clients);
	SET(max_buffers);
	SET(h2_max_streams);
	SET(handshake_ms);
	SET(connect_ms);
	SET(idle_ms);
	SET(resolve_ms);
#undef SET
	/* Not an open relay to the inside: its networks and the appliance itself. */
	for (unsigned i = 0; i < c->n_ports; i++) {
		if (c->ports[i].role == EGW_ROLE_INSIDE)
			refuse(tc, c->ports[i].addr, c->ports[i].prefix_len);
		refuse(tc, c->ports[i].addr, 32);
	}
	refuse(tc, c->tunnel.source, 32);
}

/* ERRS_IN (the engine's) into ERRS: a problem of a file it read keeps its FILE:LINE, the rest
 * is told at the [tunnel] header. */
static void errors_to(const struct egw_conf *c, const struct egw_conf_errors *in,
	struct egw_conf_errors *errs)
{
	for (unsigned i = 0; i < in->n; i++) {
		const struct egw_conf_error *e = &in->items[i];

		if (e->line)
			egw_conf_errors_add(errs, e->file, e->line, "%s", e->msg);
		else
			egw_conf_errors_add(errs, c->tunnel.origin.file, c->tunnel.origin.line,
				"[tunnel] %s: %s", e->file, e->msg);
	}
}

int egw_tunnel_check(const struct egw_conf *c, struct egw_conf_errors *errs)
{
	struct egw_conf_errors mine = { 0 };
	struct egw_tunnel_conf tc;
	struct egw_tunnel *t;
	int host_ns, rc;

	if (!EGW_TUNNEL_CONF_ON(c))
		return 0;
	egw_tunnel_conf_from(c, &tc);
	/* The listener addresses exist only in the service's namespace: a namespace of the
	 * check's own, on loopback, with the same ports. */
	rc = egw_tunnel_ns_enter(&host_ns);
	if (rc < 0) {
		fprintf(stderr,
			"%s:%d: note: [tunnel] engine not checked: no network namespace (%s)\n",
			c->tunnel.origin.file, c->tunnel.origin.line, strerror(-rc));
		return 0;
	}
	tc.http.addr = tc.https.addr = tc.socks5.addr = 0x7f000001u;
	t = egw_tunnel_create(&tc, &egw_tunnel_hook_ops, NULL, &mine);
	if (t)
		egw_tunnel_destroy(t);
	errors_to(c, &mine, errs);
	egw_conf_errors_free(&mine);
	egw_tunnel_ns_leave(host_ns);
	return t ? 0 : -EINVAL;
}

/* The kernel's MTU: the smallest inside port's, so that its answers to clients fit any of
 * them (they leave as the kernel made them) and its TCP announces an MSS they carry. */
static uint16_t tap_mtu(const struct egw_conf *c)
{
	uint16_t mtu = RTE_ETHER_MTU;

	for (unsigned i = 0; i < c->n_ports; i++)
		if (c->ports[i].role == EGW_ROLE_INSIDE && c->ports[i].mtu < mtu)
			mtu = c->ports[i].mtu;
	return mtu;
}

/* The tap's queues (one pair per worker, polled by its worker), started. */
static int tap_configure(struct egw_app *app, uint16_t port)
{
	const unsigned n = egw_dataplane_n_workers(app->dp);
	struct rte_eth_conf eth_conf = { 0 };
	int rc = rte_eth_dev_configure(port, (uint16_t)n, (uint16_t)n, &eth_conf);

	for (unsigned q = 0; rc == 0 && q < n; q++) {
		struct egw_worker_run *r = &app->wrun[q];

		if (r->n_rxq == EGW_MAX_PORTS)
			return -ENOSPC;
		rc = rte_eth_rx_queue_setup(port, (uint16_t)q, TAP_DESC, SOCKET_ID_ANY, NULL,
			app->pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(port, (uint16_t)q, TAP_DESC, SOCKET_ID_ANY,
				NULL);
		if (rc == 0)
			r->rxq[r->n_rxq++] = (struct egw_rx_queue){ port, (uint16_t)q };
	}
	if (rc == 0)
		rc = rte_eth_dev_set_mtu(port, tap_mtu(&app->conf)); /* the kernel side's too */
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	if (rc == 0)
		app->tunnel.port_started = true;
	return rc;
}

/* The kernel side: up without ARP, the listener and source addresses, everything routed to
 * the data path. Its MAC into *MAC. */
static int kernel_side(const struct egw_conf *c, struct rte_ether_addr *mac)
{
	const struct egw_tunnel_listen_conf *l[] = { &c->tunnel.http, &c->tunnel.https,
		&c->tunnel.socks5 };
	unsigned ifindex = if_nametoindex(TAP_IFACE);
	int rc;

	if (!ifindex)
		return -errno;
	rc = egw_tunnel_ns_link_up(TAP_IFACE, true);
	if (rc == 0)
		rc = egw_tunnel_ns_mac(TAP_IFACE, mac->addr_bytes);
	if (rc == 0)
		rc = egw_tunnel_ns_addr_add(ifindex, htonl(c->tunnel.source));
	for (unsigned i = 0; rc == 0 && i < 3; i++) {
		bool seen = false;
		for (unsigned j = 0; j < i; j++)
			seen |= l[j]->port && l[j]->addr == l[i]->addr;
		if (l[i]->port && !seen)
			rc = egw_tunnel_ns_addr_add(ifindex, htonl(l[i]->addr));
	}
	return rc == 0 ? egw_tunnel_ns_default_route(ifindex) : rc;
}

/* The exception port in the data path: an inside port, the source routed to it, the
 * kernel's MAC for it, the listeners. */
static int data_path_side(struct egw_app *app, const struct rte_ether_addr *kmac)
{
	const struct egw_conf *c = &app->conf;
	const uint16_t port = app->tunnel.port;
	const struct egw_tunnel_listen_conf *l[] = { &c->tunnel.http, &c->tunnel.https,
		&c->tunnel.socks5 };
	struct egw_exception_params xp = { .port = port,
		.kernel_mac = *kmac,
		.source = c->tunnel.source };
	struct egw_port_info info = { .zone = EGW_ZONE_INSIDE, .mtu = tap_mtu(c) };
	int rc;

	for (unsigned i = 0; i < 3; i++) {
		xp.listeners[i].addr = l[i]->addr;
		xp.listeners[i].port = l[i]->port;
		if (l[i]->port && !info.addr_be)
			info.addr_be = htonl(l[i]->addr);
	}
	for (unsigned i = 0; i < c->tunnel.n_resolvers && i < EGW_EXCEPTION_RESOLVERS; i++)
		xp.resolvers[i] = c->tunnel.resolvers[i];
	snprintf(info.name, sizeof(info.name), "tunnel");
	rte_eth_macaddr_get(port, &info.mac);
	egw_dataplane_set_port(app->dp, port, &info);
	rc = egw_route_add(egw_dataplane_routes(app->dp, EGW_ZONE_INSIDE), c->tunnel.source, 32, 0,
		port);
	if (rc == 0)
		rc = egw_neigh_add_static(app->neigh, port, htonl(c->tunnel.source), kmac);
	return rc == 0 ? egw_dataplane_set_exception(app->dp, &xp) : rc;
}

/* In the namespace: the tap, both its sides, the engine and its thread. */
static int start_in_ns(struct egw_app *app)
{
	struct egw_tunnel_app *ta = &app->tunnel;
	struct egw_conf_errors errs = { 0 };
	struct egw_tunnel_conf tc;
	struct rte_ether_addr kmac;
	int rc = rte_dev_probe(TAP_VDEV ",iface=" TAP_IFACE);

	if (rc < 0 || rte_eth_dev_get_port_by_name(TAP_VDEV, &ta->port) != 0) {
		EGW_ERR("[tunnel] exception port %s: probe failed: %s", TAP_VDEV,
			rte_strerror(rc < 0 ? -rc : ENODEV));
		return rc < 0 ? rc : -ENODEV;
	}
	if (ta->port >= EGW_PORT_IDS)
		return -ERANGE;
	rc = tap_configure(app, ta->port);
	if (rc == 0)
		rc = kernel_side(&app->conf, &kmac);
	if (rc == 0)
		rc = data_path_side(app, &kmac);
	if (rc < 0) {
		EGW_ERR("[tunnel] exception port: %s", strerror(-rc));
		return rc;
	}
	egw_tunnel_conf_from(&app->conf, &tc);
	ta->hooks.dp = app->dp;
	ta->hooks.slots = &app->slots;
	ta->engine = egw_tunnel_create(&tc, &egw_tunnel_hook_ops, &ta->hooks, &errs);
	if (!ta->engine) {
		egw_conf_errors_print(&errs, stderr);
		rc = -EINVAL;
	} else {
		rc = egw_tunnel_start(ta->engine); /* the thread is born in this namespace */
	}
	egw_conf_errors_free(&errs);
	return rc;
}

int egw_tunnel_app_start(struct egw_app *app)
{
	struct egw_tunnel_app *ta = &app->tunnel;
	int host_ns, rc;

	if (!EGW_TUNNEL_CONF_ON(&app->conf))
		return 0;
	if (app->flowlog.f) {
		ta->hooks.log = rte_ring_create("egw_tunnel_log", LOG_RING, SOCKET_ID_ANY,
			RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!ta->hooks.log)
			return -rte_errno;
	}
	rc = egw_tunnel_ns_enter(&host_ns);
	if (rc < 0) {
		EGW_ERR("[tunnel] cannot make the service's network namespace: %s", strerror(-rc));
		return rc;
	}
	rc = start_in_ns(app);
	if (egw_tunnel_ns_leave(host_ns) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0)
		EGW_INFO("tunnel: exception port %u (%s in its own namespace), engine running",
			ta->port, TAP_IFACE);
	return rc;
}

void egw_tunnel_app_stop(struct egw_app *app)
{
	struct egw_tunnel_app *ta = &app->tunnel;

	if (ta->engine)
		egw_tunnel_stop(ta->engine);
	if (app->flowlog.f)
		egw_tunnel_log_drain(&ta->hooks, &app->flowlog, UINT32_MAX);
	egw_tunnel_log_flush(&ta->hooks);
	rte_ring_free(ta->hooks.log);
	ta->hooks.log = NULL;
	if (ta->port_started) {
		rte_eth_dev_stop(ta->port);
		rte_eth_dev_close(ta->port);
		ta->port_started = false;
	}
}

void egw_tunnel_app_free(struct egw_app *app)
{
	egw_tunnel_destroy(app->tunnel.engine);
	app->tunnel.engine = NULL;
}

void egw_tunnel_app_stats(const void *ctx, struct egw_tunnel_stats *out)
{
	egw_tunnel_stats(ctx, out);
}

void egw_tunnel_app_poll(struct egw_app *app)
{
	if (app->tunnel.hooks.log && app->flowlog.f)
		egw_tunnel_log_drain(&app->tunnel.hooks, &app->flowlog, 1024);
}
