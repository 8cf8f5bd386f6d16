/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "app.h"
#include "common/log.h"
#include "common/time_fmt.h"
#include "telemetry/telemetry.h"

#define NEIGH_MAX 16384

static struct egw_app *the_app;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		the_app->reload_requested = 1;
	else if (sig == SIGUSR1)
		the_app->reopen_requested = 1;
	else
		the_app->stop_requested = 1;
}

/*
 * A write to a socket or pipe whose reader left (a control client gone before its reply, a
 * closed stderr) must fail with EPIPE, not kill the daemon and every flow with SIGPIPE. Every
 * socket write also passes MSG_NOSIGNAL; this covers the writes we do not make ourselves.
 */
static void sigpipe_ignore(void)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };

	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, NULL);
}

/*
 * Before EAL starts: a SIGHUP or SIGUSR1 during start (a logrotate run) would otherwise end the
 * daemon. nginx's convention: SIGHUP reloads the configuration, SIGUSR1 reopens the flow log,
 * so a nightly log rotation does not re-read the policy. Handlers only set flags: a burst of
 * signals is at most one reload or reopen each (fewer when they come faster than the control
 * loop), never a queue that keeps the control thread busy afterwards.
 */
static void signals_setup(void)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: egressgw -c FILE [--check [--dump]] [--version] [-- EAL_ARGS...]\n"
		     "  -c, --config FILE  configuration (default /etc/egressgw/egressgw.ini)\n"
		     "  --check            validate the configuration, print FILE:LINE errors or\n"
		     "                     'config OK', exit 1 or 0; starts nothing\n"
		     "  --dump             with --check: print the effective configuration,\n"
		     "                     defaults and compiled policies included, as INI that\n"
		     "                     checks again\n"
		     "  --version          print the version\n");
}

static unsigned pool_size(const struct egw_app *app)
{
	/* The tunnel's exception port takes a share like a port. */
	return egw_mbuf_count(egw_dataplane_n_workers(app->dp),
		app->conf.n_ports + (EGW_TUNNEL_CONF_ON(&app->conf) ? 1 : 0), app->conf.dpdk.mbufs);
}

/* The flow log file, when [log] flow_log names one: opened before the workers exist. */
static int flowlog_open(struct egw_app *app)
{
	const struct egw_conf *c = &app->conf;
	int rc;

	if (!c->log.flow_log[0])
		return 0;
	rc = egw_flowlog_open(&app->flowlog, c->log.flow_log);
	if (rc == -EINVAL)
		EGW_ERR("%s:%d: [log] flow_log: %s %s", c->log.flow_log_origin.file,
			c->log.flow_log_origin.line, c->log.flow_log, app->flowlog.error);
	else if (rc < 0)
		EGW_ERR("%s:%d: [log] flow_log: cannot open %s: %s", c->log.flow_log_origin.file,
			c->log.flow_log_origin.line, c->log.flow_log, strerror(-rc));
	return rc;
}

static int dataplane_setup(struct egw_app *app)
{
	const struct egw_conf *c = &app->conf;
	struct egw_dataplane_params p = { .name = "egw",
		.lcores = app->worker_lcores,
		.max_flows = c->flows.max,
		.timeouts = { .tcp_syn = c->flows.tcp_syn,
			.tcp_established = c->flows.tcp_established,
			.tcp_transitory = c->flows.tcp_transitory,
			.udp = c->flows.udp,
			.icmp = c->flows.icmp,
			.tcp_time_wait = c->flows.tcp_time_wait,
			.tcp_close = c->flows.tcp_close,
			.udp_reply = c->flows.udp_reply },
		.tcp_pickup = c->flows.tcp_pickup,
		.tcp_window_check = c->flows.tcp_window_check,
		.latency = c->metrics.latency,
		.fragment_trains = c->flows.fragment_trains,
		.fragment_timeout = c->flows.fragment_timeout,
		.flow_log = c->log.flow_log[0] != '\0',
		.neigh_max = NEIGH_MAX,
		.ring_size = EGW_RING_SIZE };
	unsigned lcore, i = 0;
	char err[256];
	int rc;

	for (i = 0; i < c->flows.n_udp_ports && i < EGW_UDP_PORT_TIMEOUTS_MAX; i++)
		p.timeouts.udp_ports[i] =
			(struct egw_udp_port_timeout){ .port = c->flows.udp_ports[i].port,
				.seconds = c->flows.udp_ports[i].seconds };
	p.timeouts.n_udp_ports = i;
	i = 0;
	p.n_workers = rte_lcore_count() - 1;
	if (p.n_workers == 0 || p.n_workers > EGW_MAX_WORKERS) {
		EGW_ERR("[dpdk] lcores = %s gives %u worker(s); need 1 to %u besides the control "
			"lcore",
			c->dpdk.lcores, p.n_workers, EGW_MAX_WORKERS);
		return -EINVAL;
	}
	RTE_LCORE_FOREACH_WORKER(lcore)
	app->worker_lcores[i++] = lcore;
	rc = flowlog_open(app);
	if (rc == 0)
		rc = egw_policy_slots_init(&app->slots, "main");
	if (rc < 0)
		return rc;
	app->dp = egw_dataplane_create(&p, err, sizeof(err));
	if (!app->dp) {
		EGW_ERR("%s", err);
		return -rte_errno;
	}
	app->pool = rte_pktmbuf_pool_create("egw_mbufs", pool_size(app), EGW_POOL_CACHE, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (!app->pool) {
		EGW_ERR("cannot allocate %u mbufs: %s (raise [dpdk] memory_mb or lower mbufs)",
			pool_size(app), rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (i = 0; i < p.n_workers; i++) {
		app->wrun[i].w = egw_dataplane_worker(app->dp, i);
		app->wrun[i].idle_sleep_us = c->dpdk.idle_sleep_us;
	}
	return 0;
}

static void dataplane_teardown(struct egw_app *app)
{
	egw_neigh_resolver_free(app->neigh);
	app->neigh = NULL;
	egw_names_stop(app);
	egw_dataplane_free(app->dp);
	app->dp = NULL;
	egw_policy_slots_fini(&app->slots);
	egw_policy_set_free(&app->pset);
	egw_publish_fini(app);
}

static void print_final(struct egw_app *app)
{
	struct egw_worker_stats st;
	uint64_t drops = 0;

	if (!app->dp)
		return;
	egw_dataplane_stats(app->dp, &st);
	for (unsigned i = 1; i < EGW_DROP_MAX; i++) {
		drops += st.drops[i];
		if (st.drops[i])
			EGW_INFO("final: drop %s = %llu", egw_drop_name((enum egw_drop_reason)i),
				(unsigned long long)st.drops[i]);
	}
	EGW_INFO("final: packets_in=%llu packets_out=%llu outbound=%llu inbound=%llu "
		 "flows_created=%llu flows_expired=%llu drops=%llu",
		(unsigned long long)st.rx_packets, (unsigned long long)st.tx_packets,
		(unsigned long long)st.outbound_packets, (unsigned long long)st.inbound_packets,
		(unsigned long long)st.flows_created, (unsigned long long)st.flows_expired,
		(unsigned long long)drops);
}

/* What the command line asks for. */
struct cmdline {
	const char *path;
	bool check, dump;
};

/* Reads the options into *CL. -1 to go on, else the exit status (--version, --help, errors). */
static int parse_args(int argc, char **argv, struct cmdline *cl)
{
	static const struct option opts[] = { { "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' }, { "dump", no_argument, NULL, 'D' },
		{ "version", no_argument, NULL, 'V' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	int opt;

	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			cl->path = optarg;
			break;
		case 'k':
			cl->check = true;
			break;
		case 'D':
			cl->check = cl->dump = true;
			break;
		case 'V':
			printf("egressgw %s\n", EGW_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	return -1;
}

/*
 * The main file and the policy files, then what a start needs from this machine, before EAL
 * touches it. The policy files are checked even when the main file has errors: all problems
 * at once, printed. 0, or -1 with nothing loaded.
 */
static int load_config(struct egw_app *app, const struct cmdline *cl)
{
	struct egw_conf_errors errs = { 0 };
	int rc = egw_conf_load(cl->path, &app->conf, &errs);

	if (rc == 0)
		rc = egw_policy_load(&app->conf, &app->pset, &errs);
	if (rc == 0)
		rc = egw_preflight(&app->conf, &app->pset, cl->check, &errs, stderr);
	/* The engine reads its files and binds its listeners (in a namespace of its own). */
	if (rc == 0 && cl->check)
		rc = egw_tunnel_check(&app->conf, &errs);
	if (rc < 0)
		egw_conf_errors_print(&errs, stderr);
	egw_conf_errors_free(&errs);
	if (rc < 0) {
		egw_policy_set_free(&app->pset);
		return -1;
	}
	return 0;
}

/* --check (and --dump): the summary line, the effective INI with --dump. The exit status. */
static int check_only(struct egw_app *app, bool dump)
{
	uint64_t mib = (egw_memory_estimate(&app->conf) + (1 << 20) - 1) >> 20;
	/* With --dump, stdout is the INI alone. */
	int rc = dump ? egw_conf_dump(&app->conf, &app->pset, stdout) : 0;

	fprintf(dump ? stderr : stdout,
		"config OK: %u port(s), %u pool(s), %u policies, %u groups from %u "
		"file(s); memory: %llu of %u MiB\n",
		app->conf.n_ports, app->conf.n_pools, app->pset.n_policies, app->pset.n_groups,
		app->pset.n_files, (unsigned long long)mib, app->conf.dpdk.memory_mb);
	egw_policy_set_free(&app->pset);
	return rc < 0 ? 1 : 0;
}

/* Everything before the workers run: data plane, ports, first publish, ARP, control socket. */
static int start(struct egw_app *app)
{
	int rc;

	app->start_tsc = rte_get_tsc_cycles();
	rc = dataplane_setup(app);
	if (rc == 0)
		rc = egw_ports_setup(app);
	if (rc == 0)
		rc = egw_publish_first(app); /* before any worker runs: none sees NULL */
	/* Static neighbours before the first packet: a worker that started first would queue
	 * its packets for ARP (or drop them) toward next hops the config already names. */
	if (rc == 0)
		rc = egw_control_start(app);
	if (rc == 0)
		rc = egw_tunnel_app_start(app); /* its exception port needs the resolver */
	if (rc == 0)
		rc = egw_control_socket_open(app);
	if (rc < 0)
		EGW_ERR("start failed: %s", strerror(-rc));
	return rc;
}

/* Telemetry commands and the metrics endpoint, both reading through *TEL. */
static int observe_start(struct egw_app *app, struct egw_tel_source *tel)
{
	*tel = (struct egw_tel_source){ .version = EGW_VERSION,
		.config_path = app->conf.path,
		.start_tsc = app->start_tsc,
		.observer = &app->observer,
		.dp = app->dp,
		.slots = &app->slots,
		.conf = &app->conf,
		.port_ids = app->port_ids,
		.rx_steering = app->steer_names,
		.rx_offloads = app->rx_offload_names,
		.neigh = app->neigh,
		.names = &app->names_view,
		.names_tel = &app->names_tel,
		.pool = app->pool,
		.tunnel_stats = app->tunnel.engine ? egw_tunnel_app_stats : NULL,
		.tunnel_ctx = app->tunnel.engine,
		.start_wall_ms = egw_wall_ms() - (int64_t)((rte_get_tsc_cycles() - app->start_tsc) *
							   1000 / rte_get_tsc_hz()) };
	if (egw_telemetry_register(tel) < 0)
		EGW_WARN("telemetry commands not registered (telemetry disabled?)");
	if (app->conf.metrics.listen[0]) {
		char err[256];
		app->metrics = egw_metrics_start(app->conf.metrics.listen, tel, err, sizeof(err));
		if (!app->metrics) {
			const struct egw_conf_origin *o = &app->conf.metrics.listen_origin;
			/* Line 0: the key is not in the file, the default applies. */
			EGW_ERR("%s:%d: [metrics] listen%s: %s", o->line ? o->file : app->conf.path,
				o->line, o->line ? "" : " (default; empty turns metrics off)", err);
			return -1;
		}
		EGW_INFO("metrics at http://%s/metrics", app->conf.metrics.listen);
	}
	return 0;
}

/* The workers run and the control thread serves until a stop signal; then the workers stop. */
static void run(struct egw_app *app)
{
	for (unsigned i = 0; i < egw_dataplane_n_workers(app->dp); i++)
		rte_eal_remote_launch(egw_worker_loop, &app->wrun[i], app->worker_lcores[i]);
	EGW_INFO("ready: %u worker(s), %u port(s), mode %s", egw_dataplane_n_workers(app->dp),
		app->n_ports, egw_mode_name(app->conf.egress.mode));
	egw_notify_init(app);
	egw_notify_ready(app);

	egw_control_run(app);

	EGW_INFO("stopping");
	egw_notify_stopping();
	for (unsigned i = 0; i < egw_dataplane_n_workers(app->dp); i++)
		__atomic_store_n(&app->wrun[i].stop, true, __ATOMIC_RELAXED);
	rte_eal_mp_wait_lcore();
}

/* Tears down whatever start built, in the order the threads need. The exit status: STATUS,
 * or 1 when mbufs were not all back. */
static int shutdown_app(struct egw_app *app, int status)
{
	unsigned in_use;

	/* Before the data plane goes: the metrics thread reads it. */
	egw_metrics_stop(app->metrics);
	egw_ctl_close(app->ctl);
	app->ctl = NULL;
	egw_tunnel_app_stop(app); /* its hooks use the data plane; records to the flow log */
	egw_ports_stop(app);
	egw_control_drain(app);
	egw_control_end_flows(app);
	print_final(app);
	dataplane_teardown(app);
	in_use = app->pool ? rte_mempool_in_use_count(app->pool) : 0;
	EGW_INFO("stopped: mbufs_in_use=%u", in_use);
	if (in_use)
		status = 1;
	rte_mempool_free(app->pool);
	rte_eal_cleanup();
	egw_tunnel_app_free(app);
	return status;
}

int main(int argc, char **argv)
{
	static struct egw_app app;
	struct cmdline cl = { .path = "/etc/egressgw/egressgw.ini" };
	struct egw_tel_source tel;
	enum egw_log_level lvl = EGW_LOG_INFO;
	int rc;

	sigpipe_ignore();
	rc = parse_args(argc, argv, &cl);
	if (rc >= 0)
		return rc;
	if (load_config(&app, &cl) < 0)
		return 1;
	if (cl.check)
		return check_only(&app, cl.dump);
	egw_log_level_parse(app.conf.log.level, &lvl);
	egw_log_set_level(lvl);
	if (egw_sha256_file(cl.path, app.config_sha256) < 0)
		snprintf(app.config_sha256, sizeof(app.config_sha256), "unreadable");
	the_app = &app;
	signals_setup();

	if (egw_eal_start(&app.conf, argc - optind, argv + optind) < 0)
		return 1;
	egw_log_attach_eal();
	if (start(&app) < 0 || observe_start(&app, &tel) < 0)
		return shutdown_app(&app, 1);
	run(&app);
	return shutdown_app(&app, 0);
}
