/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tunnel_demo: the tunnel engine (lib/tunnel) on its own, for the end-to-end test and the
 * benchmark. The decision is a table: host names and wildcards (lib/hostname's matcher) and
 * address prefixes are allowed, everything else is denied. Flow records go to a file as JSON
 * lines; the counters are written to a file on SIGUSR1 and at exit. Runs until SIGTERM/SIGINT.
 *
 *   tunnel_demo --http 198.18.0.1:3128 --socks5 198.18.0.1:1080 --resolver 203.0.113.1 \
 *       --allow '*.example.test' --allow-net 203.0.113.0/24 --refuse 198.18.0.0/15 \
 *       [--https A:P --cert F --key F] [--users F] [--source A] [--max-clients N]
 *       [--max-buffers N] [--handshake-ms N] [--connect-ms N] [--idle-ms N]
 *       [--flows FILE] [--stats FILE]
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "conf/conf.h"
#include "hostname/host_match.h"
#include "tunnel/tunnel.h"

#define RULES_MAX 256

struct table {
	struct egw_host_matcher *hosts;
	struct egw_tunnel_prefix nets[RULES_MAX];
	uint32_t n_nets;
	FILE *flows;
};

static int decide(void *ctx, const struct egw_tunnel_request *req, struct egw_tunnel_decision *out)
{
	struct table *tb = ctx;
	struct egw_host_match_iter it;
	const struct egw_host_rule *rule;

	memset(out, 0, sizeof(*out));
	if (req->host && tb->hosts &&
		egw_host_match_find(tb->hosts, req->host, strlen(req->host), &it) > 0 &&
		(rule = egw_host_match_next(&it)) != NULL) {
		out->allow = true;
		out->admission.policy = rule->rule_id + 1;
		return 0;
	}
	for (uint32_t i = 0; i < tb->n_nets; i++) {
		uint8_t len = tb->nets[i].len;

		if (len == 0 || ((req->addr ^ tb->nets[i].addr) >> (32 - len)) == 0) {
			out->allow = true;
			out->admission.policy = 1000 + i;
			return 0;
		}
	}
	snprintf(out->reason, sizeof(out->reason), "%s is not allowed",
		req->host ? req->host : "the address");
	return 0;
}

static void flow_end(void *ctx, const struct egw_tunnel_flow_record *r)
{
	struct table *tb = ctx;
	char c[16], d[16], l[16];

	if (!tb->flows)
		return;
	fprintf(tb->flows,
		"{\"transport\":\"%s\",\"result\":\"%s\",\"client\":\"%s:%u\",\"host\":\"%s\","
		"\"dest\":\"%s:%u\",\"local\":\"%s:%u\",\"user\":\"%s\",\"policy\":%u,"
		"\"bytes_up\":%llu,\"bytes_down\":%llu,\"duration_ms\":%llu,\"reason\":\"%s\"}\n",
		egw_tunnel_transport_name(r->transport), egw_tunnel_result_name(r->result),
		egw_fmt_ipv4(c, r->client_addr), r->client_port, r->host ? r->host : "",
		egw_fmt_ipv4(d, r->addr), r->port, egw_fmt_ipv4(l, r->local_addr), r->local_port,
		r->user ? r->user : "", r->admission.policy, (unsigned long long)r->bytes_up,
		(unsigned long long)r->bytes_down, (unsigned long long)(r->duration_ns / 1000000),
		r->reason);
	fflush(tb->flows);
}

static int write_stats(const struct egw_tunnel *t, const char *path)
{
	struct egw_tunnel_stats s;
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "w")))
		return -errno;
	egw_tunnel_stats(t, &s);
	for (int i = 0; i < EGW_TUNNEL_N_TRANSPORTS; i++) {
		const struct egw_tunnel_transport_stats *x = &s.t[i];
		const char *n = egw_tunnel_transport_name((enum egw_tunnel_transport)i);

		fprintf(f, "%s.clients_current %llu\n%s.clients_total %llu\n", n,
			(unsigned long long)x->clients_current, n,
			(unsigned long long)x->clients_total);
		for (int r = 0; r < EGW_TUNNEL_N_RESULTS; r++)
			fprintf(f, "%s.%s %llu\n", n,
				egw_tunnel_result_name((enum egw_tunnel_result)r),
				(unsigned long long)x->requests[r]);
		fprintf(f, "%s.bytes_up %llu\n%s.bytes_down %llu\n", n,
			(unsigned long long)x->bytes_up, n, (unsigned long long)x->bytes_down);
	}
	fprintf(f,
		"clients_current %llu\ntunnels_current %llu\nmemory_bytes %llu\n"
		"buffers_in_use %llu\nbuffer_waits %llu\nhandshake_failures %llu\n"
		"h2_streams_refused %llu\nresolves_current %llu\nidle_timeouts %llu\n",
		(unsigned long long)s.clients_current, (unsigned long long)s.tunnels_current,
		(unsigned long long)s.memory_bytes, (unsigned long long)s.buffers_in_use,
		(unsigned long long)s.buffer_waits, (unsigned long long)s.handshake_failures,
		(unsigned long long)s.h2_streams_refused, (unsigned long long)s.resolves_current,
		(unsigned long long)s.idle_timeouts);
	if (fclose(f) != 0)
		return -EIO;
	return rename(tmp, path) < 0 ? -errno : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: tunnel_demo --http|--https|--socks5 ADDR:PORT ... (see the source "
			"header for every option)\n");
	exit(2);
}

static void need(int ok, const char *opt, const char *v)
{
	if (!ok) {
		fprintf(stderr, "tunnel_demo: %s: bad value '%s'\n", opt, v);
		exit(2);
	}
}

static void copy_path(char *dst, const char *src, const char *opt)
{
	need(strlen(src) < PATH_MAX, opt, src);
	strcpy(dst, src);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "http", 1, 0, 'h' }, { "https", 1, 0, 's' },
		{ "socks5", 1, 0, '5' }, { "cert", 1, 0, 'c' }, { "key", 1, 0, 'k' },
		{ "users", 1, 0, 'u' }, { "resolver", 1, 0, 'r' }, { "refuse", 1, 0, 'x' },
		{ "source", 1, 0, 'S' }, { "allow", 1, 0, 'a' }, { "allow-net", 1, 0, 'n' },
		{ "max-clients", 1, 0, 'm' }, { "max-buffers", 1, 0, 'b' },
		{ "handshake-ms", 1, 0, 'H' }, { "connect-ms", 1, 0, 'C' },
		{ "idle-ms", 1, 0, 'I' }, { "flows", 1, 0, 'f' }, { "stats", 1, 0, 'z' },
		{ 0, 0, 0, 0 } };
	static struct table tb;
	struct egw_host_pattern pats[RULES_MAX];
	struct egw_tunnel_policy_ops ops = { .decide = decide, .flow_end = flow_end };
	struct egw_conf_errors errs = { 0 };
	struct egw_tunnel_conf conf;
	struct rlimit rl = { 65536, 65536 };
	const char *stats = NULL;
	uint32_t n_pats = 0, a;
	struct egw_tunnel *t;
	sigset_t set;
	int o, sig;

	egw_tunnel_conf_defaults(&conf);
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		const char *n = optarg;
		uint16_t p;

		switch (o) {
		case 'h':
			need(egw_parse_hostport(n, &conf.http.addr, &conf.http.port) == 0, "--http",
				n);
			break;
		case 's':
			need(egw_parse_hostport(n, &conf.https.addr, &conf.https.port) == 0,
				"--https", n);
			break;
		case '5':
			need(egw_parse_hostport(n, &conf.socks5.addr, &conf.socks5.port) == 0,
				"--socks5", n);
			break;
		case 'c':
			copy_path(conf.tls_cert, n, "--cert");
			break;
		case 'k':
			copy_path(conf.tls_key, n, "--key");
			break;
		case 'u':
			copy_path(conf.users, n, "--users");
			break;
		case 'r':
			need(conf.n_resolvers < EGW_TUNNEL_RESOLVERS_MAX, "--resolver", n);
			p = 53;
			need(egw_parse_ipv4(n, &a) == 0 || egw_parse_hostport(n, &a, &p) == 0,
				"--resolver", n);
			conf.resolvers[conf.n_resolvers++] = (struct egw_tunnel_addr){ a, p };
			break;
		case 'x':
			need(conf.n_refused < EGW_TUNNEL_REFUSED_MAX &&
					egw_parse_prefix(n, &conf.refused[conf.n_refused].addr,
						&conf.refused[conf.n_refused].len) == 0,
				"--refuse", n);
			conf.n_refused++;
			break;
		case 'S':
			need(egw_parse_ipv4(n, &conf.source) == 0, "--source", n);
			break;
		case 'a':
			need(n_pats < RULES_MAX, "--allow", n);
			pats[n_pats] = (struct egw_host_pattern){ n, n_pats, 0, n_pats };
			n_pats++;
			break;
		case 'n':
			need(tb.n_nets < RULES_MAX && egw_parse_prefix(n, &tb.nets[tb.n_nets].addr,
							      &tb.nets[tb.n_nets].len) == 0,
				"--allow-net", n);
			tb.n_nets++;
			break;
		case 'm':
			need(egw_parse_u32(n, 1, 1000000, &conf.max_clients) == 0, "--max-clients",
				n);
			break;
		case 'b':
			need(egw_parse_u32(n, 1, 1000000, &conf.max_buffers) == 0, "--max-buffers",
				n);
			break;
		case 'H':
			need(egw_parse_u32(n, 1, 3600000, &conf.handshake_ms) == 0,
				"--handshake-ms", n);
			break;
		case 'C':
			need(egw_parse_u32(n, 1, 3600000, &conf.connect_ms) == 0, "--connect-ms",
				n);
			break;
		case 'I':
			need(egw_parse_u32(n, 1, 86400000, &conf.idle_ms) == 0, "--idle-ms", n);
			break;
		case 'f':
			need((tb.flows = fopen(n, "a")) != NULL, "--flows", n);
			break;
		case 'z':
			stats = n;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (n_pats && !(tb.hosts = egw_host_match_build(pats, n_pats, &a))) {
		fprintf(stderr, "tunnel_demo: --allow '%s' is not a host name or *.suffix\n",
			pats[a].pattern);
		return 2;
	}
	setrlimit(RLIMIT_NOFILE, &rl);
	/* The loop thread inherits the mask: the signals come to sigwait() below. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	t = egw_tunnel_create(&conf, &ops, &tb, &errs);
	if (!t) {
		egw_conf_errors_print(&errs, stderr);
		egw_conf_errors_free(&errs);
		return 1;
	}
	if (egw_tunnel_start(t) < 0) {
		fprintf(stderr, "tunnel_demo: cannot start the loop thread\n");
		return 1;
	}
	printf("tunnel_demo: ready\n");
	fflush(stdout);
	while (sigwait(&set, &sig) == 0 && sig == SIGUSR1)
		if (stats)
			write_stats(t, stats);
	egw_tunnel_stop(t);
	if (stats)
		write_stats(t, stats);
	egw_tunnel_destroy(t);
	egw_host_match_free(tb.hosts);
	if (tb.flows)
		fclose(tb.flows);
	printf("tunnel_demo: stopped\n");
	return 0;
}
