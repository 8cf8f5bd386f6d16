/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * egwctl: the operator's command line for a running egressgw.
 * Write commands go to the control socket; read commands ask the DPDK telemetry socket.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf/conf.h"

#define DEFAULT_SOCKET "/run/egressgw/control.sock"
#define DEFAULT_PREFIX "egressgw"
#define REPLY_MAX (1 << 20)

struct ctl_opts {
	const char *socket;
	const char *prefix;
	int json;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: egwctl [-c CONFIG | -s SOCKET -p FILE_PREFIX] [--json] COMMAND [ARGS]\n"
		"\n"
		"read commands (DPDK telemetry socket /var/run/dpdk/FILE_PREFIX/):\n"
		"  status                 version, mode, uptime, config, policy generation\n"
		"  stats                  packets, flows and drops by reason\n"
		"write commands (control socket):\n"
		"  reload                 re-read the configuration and policy files\n"
		"  mode passthrough|policy|deny\n"
		"                         switch the egress mode until the next reload\n"
		"  version                the daemon's version\n"
		"\n"
		"options:\n"
		"  -c, --config FILE      take the socket and file prefix from egressgw's config\n"
		"  -s, --socket PATH      control socket (default " DEFAULT_SOCKET ")\n"
		"  -p, --prefix NAME      DPDK file prefix (default " DEFAULT_PREFIX ")\n"
		"      --json             raw JSON for read commands\n");
}

static int connect_unix(const char *path, int type, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot connect to %s: %s%s", path, strerror(e),
			e == ENOENT || e == ECONNREFUSED ? " (is egressgw running?)" :
			e == EACCES ? " (run as root or as the daemon's user)" : "");
		close(fd);
		return -1;
	}
	return fd;
}

/* One line to the control socket, the reply to stdout. Exit status 0 only on "OK". */
static int control_command(const struct ctl_opts *o, int argc, char **argv)
{
	char line[512] = "", err[512];
	char *buf = malloc(REPLY_MAX);
	size_t n = 0;
	ssize_t r;
	int fd;

	if (!buf)
		return 1;
	for (int i = 0; i < argc; i++) {
		strncat(line, argv[i], sizeof(line) - strlen(line) - 2);
		strncat(line, i + 1 < argc ? " " : "\n", sizeof(line) - strlen(line) - 1);
	}
	fd = connect_unix(o->socket, SOCK_STREAM, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "egwctl: %s\n", err);
		free(buf);
		return 1;
	}
	if (write(fd, line, strlen(line)) < 0) {
		fprintf(stderr, "egwctl: write: %s\n", strerror(errno));
		close(fd);
		free(buf);
		return 1;
	}
	while (n + 1 < REPLY_MAX && (r = read(fd, buf + n, REPLY_MAX - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
	close(fd);
	fputs(buf, stdout);
	r = strncmp(buf, "OK", 2) == 0 ? 0 : 1;
	free(buf);
	return (int)r;
}

/* DPDK telemetry v2: connect, read the greeting, send the command, read one JSON reply. */
static char *telemetry_query(const struct ctl_opts *o, const char *cmd)
{
	char path[256], err[512];
	char *buf = malloc(REPLY_MAX);
	ssize_t r;
	int fd;

	if (!buf)
		return NULL;
	snprintf(path, sizeof(path), "/var/run/dpdk/%s/dpdk_telemetry.v2", o->prefix);
	fd = connect_unix(path, SOCK_SEQPACKET, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "egwctl: %s\n", err);
		free(buf);
		return NULL;
	}
	r = read(fd, buf, REPLY_MAX - 1); /* greeting */
	if (r > 0 && write(fd, cmd, strlen(cmd)) > 0)
		r = read(fd, buf, REPLY_MAX - 1);
	else
		r = -1;
	close(fd);
	if (r <= 0) {
		fprintf(stderr, "egwctl: no reply from %s\n", path);
		free(buf);
		return NULL;
	}
	buf[r] = 0;
	return buf;
}

/* Prints the flat members of the JSON object that follows "KEY": as "key: value" lines,
 * nested objects indented. Enough for the daemon's own replies; --json gives the raw text. */
static void print_json_table(const char *json)
{
	const char *p = strchr(json, '{');
	int depth = 0;

	if (!p)
		return;
	p = strchr(p + 1, '{'); /* skip {"/egw/cmd": */
	if (!p)
		return;
	for (p++; *p && depth >= 0; p++) {
		if (*p == '{') {
			depth++;
			putchar('\n');
			continue;
		}
		if (*p == '}') {
			depth--;
			continue;
		}
		if (*p == '"') {
			const char *end = strchr(p + 1, '"');
			if (!end)
				return;
			printf("%.*s", (int)(end - p - 1), p + 1);
			p = end;
			continue;
		}
		if (*p == ':') {
			fputs(": ", stdout);
			continue;
		}
		if (*p == ',') {
			putchar('\n');
			for (int i = 0; i < depth; i++)
				fputs("  ", stdout);
			continue;
		}
		if (*p != ' ')
			putchar(*p);
	}
	putchar('\n');
}

static int telemetry_command(const struct ctl_opts *o, const char *cmd)
{
	char *reply = telemetry_query(o, cmd);

	if (!reply)
		return 1;
	if (o->json)
		printf("%s\n", reply);
	else
		print_json_table(reply);
	free(reply);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' }, { "prefix", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	struct ctl_opts o = { DEFAULT_SOCKET, DEFAULT_PREFIX, 0 };
	static struct egw_conf conf;
	const char *cmd;
	int opt;

	/* Options may follow the command too ("egwctl stats --json"): GNU getopt permutes. */
	while ((opt = getopt_long(argc, argv, "c:s:p:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': {
			struct egw_conf_errors errs = { 0 };
			if (egw_conf_load(optarg, &conf, &errs) < 0) {
				egw_conf_errors_print(&errs, stderr);
				egw_conf_errors_free(&errs);
				return 2;
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
		case 'j':
			o.json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	if (strcmp(cmd, "status") == 0)
		return telemetry_command(&o, "/egw/info");
	if (strcmp(cmd, "stats") == 0)
		return telemetry_command(&o, "/egw/stats");
	if (strcmp(cmd, "reload") == 0 || strcmp(cmd, "mode") == 0 || strcmp(cmd, "version") == 0)
		return control_command(&o, argc - optind, argv + optind);
	fprintf(stderr, "egwctl: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
