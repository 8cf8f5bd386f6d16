/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * egwctl: the operator's command line for a running egressgw.
 * Write commands go to the control socket; read commands ask the DPDK telemetry socket.
 * This file reads the command line and finds the command; commands.c carries it out.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "egwctl.h"
#include "table.h"

#define DEFAULT_SOCKET "/run/egressgw/control.sock"
#define DEFAULT_PREFIX "egressgw"

#define FILTER_HELP                                                                                \
	"FILTER: terms separated by blanks, all of which must hold:\n"                             \
	"  addr=A[/N]          the inside source, the destination or the translated source\n"      \
	"                      is in A/N\n"                                                        \
	"  src=A[/N], dst=A[/N], nat=A[/N]\n"                                                      \
	"                      that one address only\n"                                            \
	"  port=N              any of the flow's ports (source, destination, translated\n"         \
	"                      source; the ICMP id)\n"                                             \
	"  proto=tcp|udp|icmp\n"                                                                   \
	"  policy=NAME         the admitting policy (\"(mode)\": admitted by the mode)\n"          \
	"  limit=N             /egw/flows: at most N flows (default 20, at most 40); egwctl\n"     \
	"                      flows lists every match, or --limit N of them\n"

enum via {
	VIA_TELEMETRY,
	VIA_HTTP,
	VIA_CONTROL, /* the write commands */
};

static const char *const via_text[] = {
	[VIA_TELEMETRY] = "DPDK telemetry socket; --json prints the reply as JSON",
	[VIA_HTTP] = "HTTP GET; the address from -m, else the daemon's [metrics] listen",
	[VIA_CONTROL] = "control socket; exit status 0 when the daemon answers OK",
};

struct command {
	const char *name;
	const char *args;
	const char *summary;
	const char *help; /* what `egwctl help NAME` adds, or NULL */
	enum via via;
	int (*run)(const struct egw_ctl_opts *o, int argc, char **argv);
};

static const struct command commands[] = {
	{ "status", "", "version, mode, uptime, config, policy generation", NULL, VIA_TELEMETRY,
		egw_ctl_status },
	{ "stats", "", "packets, bytes, flows; drop reasons that happened", NULL, VIA_TELEMETRY,
		egw_ctl_stats },
	{ "ports", "", "per port: role, address, link, packet and error counters", NULL,
		VIA_TELEMETRY, egw_ctl_ports },
	{ "workers", "", "per worker: packets, busy %, flows, handoffs, drops", NULL, VIA_TELEMETRY,
		egw_ctl_workers },
	{ "policies", "", "per policy: flows allowed/denied/active, packets, bytes",
		"Lists every policy of the running generation; \"(mode)\" counts what the mode\n"
		"decided without a policy.\n",
		VIA_TELEMETRY, egw_ctl_policies },
	{ "pools", "[POOL]", "per pool and address: ports in use, free, exhaustion drops",
		"A large pool may not fit one reply: then the listing says so, and\n"
		"`egwctl pools POOL` lists that pool alone.\n",
		VIA_TELEMETRY, egw_ctl_pools },
	{ "flows", "[FILTER...]", "flows with their translation and state", FILTER_HELP,
		VIA_TELEMETRY, egw_ctl_flows },
	{ "sources", "", "inside addresses holding the most live mappings",
		"Live mappings are what [pool] max_per_source limits: TCP connections not yet\n"
		"closed, UDP requests waiting for their answer, UDP streams. Time-wait TCP and\n"
		"answered UDP requests do not count. The first 20, all workers together.\n",
		VIA_TELEMETRY, egw_ctl_sources },
	{ "neighbors", "", "neighbours (ARP): address, port, MAC, state, age, probes",
		"STATE: reachable (answered lately), stale (not confirmed lately: its next\n"
		"use starts a probe), probe (unicast ARP to the MAC in use), incomplete\n"
		"(broadcast ARP, packets wait), failed (no answer: packets dropped, senders\n"
		"told host unreachable), static (configured). AGE_S: seconds since the MAC\n"
		"was learned or last confirmed. PROBES: requests sent by the running probe.\n",
		VIA_TELEMETRY, egw_ctl_neighbors },
	{ "names", "[FILTER...]", "names learned from DNS: address, remaining TTL",
		"FILTER: address=A[/N] (learned addresses in A/N), name=NAME (the name and\n"
		"every name under it) or name=GLOB (* and ?), limit=N (at most 40, default\n"
		"20). TTL_S: seconds the entry lives on (at least [egress] dns_min_ttl from\n"
		"the answer); a flow it admitted is never cut when it expires.\n",
		VIA_TELEMETRY, egw_ctl_names },
	{ "tunnels", "", "the tunnel service: clients, requests by result, bytes per transport",
		"FAILED: bad requests, failed authentications, unresolvable names, upstream\n"
		"refusals and timeouts, clients over max_clients, slow clients, abandoned\n"
		"requests. Requests by every result: /egw/tunnels and egressgw_tunnel_*.\n",
		VIA_TELEMETRY, egw_ctl_tunnels },
	{ "metrics", "", "the Prometheus page, as served on [metrics] listen",
		"Prints the body of http://HOST:PORT/metrics as it comes.\n", VIA_HTTP,
		egw_ctl_metrics },
	{ "reload", "", "re-read the configuration and policy files", NULL, VIA_CONTROL,
		egw_ctl_write },
	{ "mode", "passthrough|policy|deny", "switch the egress mode until the next reload", NULL,
		VIA_CONTROL, egw_ctl_write },
	{ "flows flush", "[FILTER...]", "end the flows that match (all without a filter)",
		FILTER_HELP, VIA_CONTROL, egw_ctl_flows },
	{ "version", "", "the daemon's version", NULL, VIA_CONTROL, egw_ctl_write },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_command(FILE *out, const struct command *c)
{
	char head[64];

	snprintf(head, sizeof(head), "%s%s%s", c->name, c->args[0] ? " " : "", c->args);
	if (strlen(head) > 22)
		fprintf(out, "  %s\n  %-22s %s\n", head, "", c->summary);
	else
		fprintf(out, "  %-22s %s\n", head, c->summary);
}

static void usage(FILE *out)
{
	fputs("usage: egwctl [-c CONFIG | -s SOCKET -p FILE_PREFIX] [-m HOST:PORT] [--json]\n"
	      "              COMMAND [ARGS]\n"
	      "       egwctl help COMMAND\n"
	      "\nread commands (DPDK telemetry socket /var/run/dpdk/FILE_PREFIX/;\n"
	      "metrics over HTTP):\n",
		out);
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (commands[i].via != VIA_CONTROL)
			print_command(out, &commands[i]);
	fputs("write commands (control socket):\n", out);
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (commands[i].via == VIA_CONTROL)
			print_command(out, &commands[i]);
	fputs("\noptions:\n"
	      "  -c, --config FILE      take the socket and file prefix from egressgw's config\n"
	      "  -s, --socket PATH      control socket (default " DEFAULT_SOCKET ")\n"
	      "  -p, --prefix NAME      DPDK file prefix (default " DEFAULT_PREFIX ")\n"
	      "  -m, --metrics HOST:PORT\n"
	      "                         where `metrics` asks (default: the daemon's\n"
	      "                         [metrics] listen)\n"
	      "      --json             JSON as the daemon sent it, for read commands\n"
	      "  -o, --output COLS      the table columns to print, comma-separated, in that\n"
	      "                         order (headers, any case, '_' for a blank)\n"
	      "      --limit N          flows: at most N (default: every match)\n"
	      "      --rules            policies: each one's rule as INI, with FILE:LINE\n"
	      "      --raw              tables for scripts: one blank between cells, blanks\n"
	      "                         and control bytes escaped (\\x20)\n"
	      "  -n, --noheadings       tables without their header line\n"
	      "  -V, --version          egwctl's own version\n"
	      "  -h, --help             this text; with a command, that command's\n"
	      "\nexit status: 0 done, 1 the daemon refused or could not be asked, 2 usage\n",
		out);
}

/* Every entry whose first word is NAME ("flows" shows "flows" and "flows flush"). */
static int command_help(FILE *out, const char *name)
{
	const char *shown = NULL; /* "flows" and "flows flush" share their filter text */
	size_t n = strlen(name);
	int found = 0;

	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct command *c = &commands[i];

		if (strncmp(c->name, name, n) != 0 || (c->name[n] && c->name[n] != ' '))
			continue;
		fprintf(out, "%susage: egwctl [OPTIONS] %s%s%s\n  %s\n  (%s)\n", found ? "\n" : "",
			c->name, c->args[0] ? " " : "", c->args, c->summary, via_text[c->via]);
		if (c->help && c->help != shown)
			fprintf(out, "\n%s", c->help);
		shown = c->help;
		found = 1;
	}
	return found;
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "metrics", required_argument, NULL, 'm' }, { "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' }, { "raw", no_argument, NULL, 'r' },
		{ "noheadings", no_argument, NULL, 'n' }, { "version", no_argument, NULL, 'V' },
		{ "limit", required_argument, NULL, 'l' }, { "rules", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct egw_ctl_opts o = { DEFAULT_SOCKET, DEFAULT_PREFIX, NULL, 0 };
	static struct egw_conf conf;
	struct egw_table_style style = { 0 };
	const struct command *c;
	int opt, help = 0, rc;

	/* A socket closed by the daemon (a refused client) must give a message, not a silent
	 * death by SIGPIPE on the write before it. */
	signal(SIGPIPE, SIG_IGN);
	/* Options may follow the command too ("egwctl stats --json"): GNU getopt permutes. */
	while ((opt = getopt_long(argc, argv, "c:s:p:m:o:nVh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': {
			struct egw_conf_errors errs = { 0 };
			if (egw_conf_load(optarg, &conf, &errs) < 0) {
				egw_conf_errors_print(&errs, stderr);
				egw_conf_errors_free(&errs);
				return EGW_CTL_USAGE;
			}
			egw_conf_errors_free(&errs);
			o.socket = conf.control.socket;
			o.prefix = conf.dpdk.file_prefix;
			break;
		}
		case 's':
			o.socket = optarg;
			break;
		case 'p':
			o.prefix = optarg;
			break;
		case 'm':
			o.metrics = optarg;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'o':
			style.columns = optarg;
			break;
		case 'r':
			style.raw = true;
			break;
		case 'n':
			style.noheadings = true;
			break;
		case 'R':
			o.rules = 1;
			break;
		case 'l': {
			uint32_t n;
			if (egw_parse_u32(optarg, 1, UINT32_MAX, &n) < 0) {
				fprintf(stderr, "egwctl: --limit %s: not a count 1-%u\n", optarg,
					UINT32_MAX);
				return EGW_CTL_USAGE;
			}
			o.limit = n;
			break;
		}
		case 'V':
			printf("egwctl %s\n", EGW_VERSION);
			return EGW_CTL_OK;
		case 'h':
			help = 1;
			break;
		default:
			usage(stderr);
			return EGW_CTL_USAGE;
		}
	}
	egw_table_set_style(&style);
	argc -= optind;
	argv += optind;
	if (argc > 0 && strcmp(argv[0], "help") == 0) {
		argc--;
		argv++;
		help = 1;
	}
	if (help && argc == 0) {
		usage(stdout);
		return EGW_CTL_OK;
	}
	if (argc == 0) {
		usage(stderr);
		return EGW_CTL_USAGE;
	}
	if (help) {
		if (command_help(stdout, argv[0]))
			return EGW_CTL_OK;
		fprintf(stderr, "egwctl: no command '%s'\n", argv[0]);
		usage(stderr);
		return EGW_CTL_USAGE;
	}
	c = find(argv[0]);
	if (!c) {
		fprintf(stderr, "egwctl: unknown command '%s'\n", argv[0]);
		usage(stderr);
		return EGW_CTL_USAGE;
	}
	rc = c->run(&o, argc, argv);
	if (rc == EGW_CTL_USAGE)
		command_help(stderr, argv[0]);
	return rc;
}
