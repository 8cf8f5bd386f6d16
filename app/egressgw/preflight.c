/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a start needs from this machine, checked before EAL runs, by --check and by a start
 * alike: the CPUs [dpdk] lcores names, memory for [flows] max, and the DPDK file prefix free.
 * Each problem is reported as FILE:LINE of the key it comes from, like a config error, so that
 * the check refuses what a start would refuse, and a start refuses in one line instead of
 * EAL's usage text.
 */
#include <errno.h>
#include <netdb.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "app.h"

/*
 * The DPDK heap besides the mbufs, the rings and the workers: EAL's own allocations, the
 * policy slot hash, the neighbour table, the mempool with its per-lcore caches. Measured
 * (--no-huge; net_null and net_af_packet ports; 100 to 5M flows, 1 to 4 workers, flow log on
 * and off): the smallest memory_mb that starts is 12-15 MiB above the rest of the estimate.
 * With a margin, so that whatever --check accepts does start.
 */
#define FIXED_BYTES (24u << 20)

/*
 * One mbuf in the pool: header, rte_mbuf, data room. An object never spans two pages: with
 * 4 KiB pages (hugepages = no) each takes a page of its own; hugepages (2 MiB and up) waste
 * at most one object's worth per page.
 */
#define MBUF_OBJ (64 + sizeof(struct rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE)

static uint64_t mbuf_bytes(bool hugepages)
{
	const uint64_t page = hugepages ? 2u << 20 : 4096;

	return page / (page / MBUF_OBJ);
}

unsigned egw_mbuf_count(unsigned workers, unsigned ports, uint32_t extra)
{
	unsigned w = workers, p = ports;

	/* Enough mbufs for every descriptor, every ring and every worker's in-flight burst. */
	return p * w * (1024 + 1024) + w * w * EGW_RING_SIZE + (w + 3) * EGW_RING_SIZE +
	       w * EGW_BURST * (p + 2) + (w + 1) * EGW_POOL_CACHE + 4096 + extra;
}

uint64_t egw_memory_estimate(const struct egw_conf *c)
{
	unsigned w = c->dpdk.lcore_set.n_lcores > 1 ? c->dpdk.lcore_set.n_lcores - 1 : 1;
	uint32_t per_worker = (c->flows.max + w - 1) / w;

	unsigned mbufs = egw_mbuf_count(w, c->n_ports, c->dpdk.mbufs);

	return FIXED_BYTES + mbufs * mbuf_bytes(c->dpdk.hugepages) +
	       (uint64_t)rte_align32pow2(mbufs) * sizeof(void *) +
	       (uint64_t)w * egw_worker_bytes(per_worker, c->log.flow_log[0] != '\0') +
	       (uint64_t)(w * (w - 1) + 3) * rte_ring_get_memsize(EGW_RING_SIZE);
}

/* "FILE:LINE" of a key, or the main file when the default applies (line 0). */
static void err_at(struct egw_conf_errors *errs, const struct egw_conf *c,
	const struct egw_conf_origin *o, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void err_at(struct egw_conf_errors *errs, const struct egw_conf *c,
	const struct egw_conf_origin *o, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	egw_conf_errors_add(errs, o->line ? o->file : c->path, o->line, "%s", msg);
}

/* CPUs of bitmap SET as "0-3,8", at most LEN bytes. */
static void cpu_list(const uint64_t *set, unsigned n_bits, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n_bits && used < len; i++) {
		unsigned j = i;

		if (!(set[i / 64] >> (i % 64) & 1))
			continue;
		while (j + 1 < n_bits && (set[(j + 1) / 64] >> ((j + 1) % 64) & 1))
			j++;
		used += (size_t)snprintf(buf + used, len - used, used ? ",%u" : "%u", i);
		if (j > i && used < len)
			used += (size_t)snprintf(buf + used, len - used, "-%u", j);
		i = j;
	}
}

/* Every CPU of [dpdk] lcores must be one this process may run on (online, in its cpuset). */
static void check_cpus(const struct egw_conf *c, struct egw_conf_errors *errs)
{
	uint64_t missing[EGW_MAX_CPUS / 64] = { 0 }, here[EGW_MAX_CPUS / 64] = { 0 };
	char want[128], have[128];
	cpu_set_t allowed;
	bool any = false;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		return;
	for (unsigned i = 0; i < EGW_MAX_CPUS && i < CPU_SETSIZE; i++) {
		if (CPU_ISSET(i, &allowed))
			here[i / 64] |= 1ULL << (i % 64);
		else if (egw_lcores_has_cpu(&c->dpdk.lcore_set, i)) {
			missing[i / 64] |= 1ULL << (i % 64);
			any = true;
		}
	}
	if (!any)
		return;
	cpu_list(missing, EGW_MAX_CPUS, want, sizeof(want));
	cpu_list(here, EGW_MAX_CPUS, have, sizeof(have));
	err_at(errs, c, &c->dpdk.lcores_origin,
		"[dpdk] lcores: '%s' runs on CPU %s, which this machine does not give egressgw "
		"(CPUs here: %s)",
		c->dpdk.lcores, want, have);
}

static void check_memory(const struct egw_conf *c, struct egw_conf_errors *errs)
{
	uint64_t need = egw_memory_estimate(c), have = (uint64_t)c->dpdk.memory_mb << 20;
	const struct egw_conf_origin *max = &c->flows.max_origin;
	char where[EGW_PATH_MAX + 32];

	if (need <= have)
		return;
	if (max->line)
		snprintf(where, sizeof(where), " (%s:%d)", max->file, max->line);
	else
		snprintf(where, sizeof(where), " (the default)");
	err_at(errs, c, &c->dpdk.memory_origin,
		"[dpdk] memory_mb: %u MiB is too small for [flows] max = %u%s with %u worker(s): "
		"needs %llu MiB; raise memory_mb or lower max",
		c->dpdk.memory_mb, c->flows.max, where, c->dpdk.lcore_set.n_lcores - 1,
		(unsigned long long)((need + (1 << 20) - 1) >> 20));
}

/* EAL's runtime config file of PREFIX, as EAL names it (root: /var/run, else XDG or /tmp). */
static void runtime_config(const char *prefix, char *buf, size_t len)
{
	const char *base = "/var/run";

	if (geteuid() != 0) {
		base = getenv("XDG_RUNTIME_DIR");
		if (!base)
			base = "/tmp";
	}
	snprintf(buf, len, "%s/dpdk/%s/config", base, prefix);
}

/* The configuration file of egressgw process PID, as a real path in OUT (PATH_MAX bytes); ""
 * when PID is no egressgw or its file cannot be resolved. */
static void config_of(pid_t pid, char *out)
{
	char path[64], cmd[4096], rel[PATH_MAX + 64];
	const char *arg = "/etc/egressgw/egressgw.ini", *base;
	ssize_t n;
	int fd;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, cmd, sizeof(cmd) - 1);
	close(fd);
	if (n <= 0)
		return;
	cmd[n] = '\0';
	base = strrchr(cmd, '/') ? strrchr(cmd, '/') + 1 : cmd;
	if (strcmp(base, "egressgw") != 0)
		return;
	for (char *p = cmd + strlen(cmd) + 1; p < cmd + n; p += strlen(p) + 1) {
		if (strcmp(p, "--") == 0)
			break;
		bool opt = strcmp(p, "-c") == 0 || strcmp(p, "--config") == 0;

		if (opt && p + strlen(p) + 1 < cmd + n)
			arg = p + strlen(p) + 1;
		else if (strncmp(p, "--config=", 9) == 0)
			arg = p + 9;
	}
	/* A relative path is relative to that process's directory, not ours. */
	if (arg[0] != '/')
		snprintf(rel, sizeof(rel), "/proc/%d/cwd/%s", (int)pid, arg);
	if (!realpath(arg[0] == '/' ? arg : rel, out))
		out[0] = '\0';
}

/*
 * A running primary holds a write lock on its runtime config file: a second one with the
 * same prefix fails in EAL ("Cannot create lock", then EAL's usage). Is that THIS config
 * running (then --check is the check before a reload, and fine)?
 */
static void check_prefix(const struct egw_conf *c, bool check_only, struct egw_conf_errors *errs,
	FILE *notes)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[EGW_PATH_MAX + 64], theirs[PATH_MAX], ours[PATH_MAX], who[PATH_MAX + 32];
	int fd;

	runtime_config(c->dpdk.file_prefix, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fcntl(fd, F_GETLK, &lk) < 0 || lk.l_type == F_UNLCK) {
		close(fd);
		return;
	}
	close(fd);
	theirs[0] = '\0';
	if (lk.l_pid > 0)
		config_of(lk.l_pid, theirs);
	if (check_only && theirs[0] && realpath(c->path, ours) && strcmp(ours, theirs) == 0) {
		fprintf(notes,
			"note: egressgw (pid %d) runs this configuration: "
			"\"egwctl -c %s reload\" or SIGHUP applies it\n",
			(int)lk.l_pid, c->path);
		return;
	}
	/* A holder in another PID namespace shows as pid 0. */
	who[0] = '\0';
	if (lk.l_pid > 0)
		snprintf(who, sizeof(who), " (pid %d%s%s)", (int)lk.l_pid, theirs[0] ? ", -c " : "",
			theirs);
	err_at(errs, c, &c->dpdk.file_prefix_origin,
		"[dpdk] file_prefix '%s': another DPDK process%s runs with this prefix (%s is "
		"locked); stop it, or give this configuration another file_prefix",
		c->dpdk.file_prefix, who, path);
}

/* "FILE:LINE: " of a key, "FILE: " when the default applies. */
static void print_where(FILE *out, const struct egw_conf *c, const struct egw_conf_origin *o)
{
	if (o->line)
		fprintf(out, "%s:%d: ", o->file, o->line);
	else
		fprintf(out, "%s: ", c->path);
}

/* Warnings: a start works, but probably not as meant. */
static void warnings(const struct egw_conf *c, const struct egw_policy_set *pset, FILE *out)
{
	/* The main file counts as a file when it holds policies of its own. */
	if (c->egress.policies[0] && pset->n_files == (c->egress.inline_policies ? 1u : 0u)) {
		print_where(out, c, &c->egress.policies_origin);
		fprintf(out, "warning: [egress] policies '%s' matches no file\n",
			c->egress.policies);
	}
	if (c->egress.mode == EGW_MODE_POLICY && pset->n_policies == 0) {
		print_where(out, c, &c->egress.mode_origin);
		fprintf(out,
			"warning: [egress] mode = policy%s and no policy is loaded: every new "
			"flow is refused (policy_no_match)\n",
			c->egress.mode_origin.line ? "" : " (the default)");
	}
}

/* [metrics] listen names a host this machine can resolve (the start would fail on it). */
static void check_metrics_listen(const struct egw_conf *c, struct egw_conf_errors *errs)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	char host[256];
	uint16_t port;
	int rc;

	if (!c->metrics.listen[0] ||
		egw_parse_listen(c->metrics.listen, host, sizeof(host), &port) < 0)
		return;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0)
		err_at(errs, c, &c->metrics.listen_origin,
			"[metrics] listen: cannot resolve %s: %s", host, gai_strerror(rc));
	if (res)
		freeaddrinfo(res);
}

int egw_preflight(const struct egw_conf *c, const struct egw_policy_set *pset, bool check_only,
	struct egw_conf_errors *errs, FILE *notes)
{
	unsigned before = errs->n;

	check_metrics_listen(c, errs);
	check_cpus(c, errs);
	check_memory(c, errs);
	check_prefix(c, check_only, errs, notes);
	warnings(c, pset, notes);
	return errs->n > before ? -EINVAL : 0;
}
