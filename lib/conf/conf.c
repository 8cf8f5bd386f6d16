/* SPDX-License-Identifier: BSD-3-Clause */
/* Loading: defaults, the inih run, validation, and lookups on the result. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "common/file.h"
#include "conf.h"
#include "conf_internal.h"

void egw_conf_defaults(struct egw_conf *conf)
{
	if (!conf)
		return;
	memset(conf, 0, sizeof(*conf));
	snprintf(conf->dpdk.lcores, sizeof(conf->dpdk.lcores), "0-1");
	egw_lcores_parse(conf->dpdk.lcores, &conf->dpdk.lcore_set);
	conf->dpdk.memory_mb = 1024;
	conf->dpdk.hugepages = true;
	snprintf(conf->dpdk.file_prefix, sizeof(conf->dpdk.file_prefix), "egressgw");
	conf->dpdk.idle_sleep_us = 0;

	conf->egress.mode = EGW_MODE_POLICY;
	conf->egress.revalidate = EGW_REVALIDATE_RESET;
	conf->egress.host_timeout = 10;
	conf->egress.host_hold_bytes = 16384;
	conf->egress.host_hold_total = 64u << 20;
	conf->egress.ech = EGW_ECH_OUTER;
	conf->egress.dns_min_ttl = 60;
	conf->egress.dns_max_per_name = 64;
	conf->egress.dns_max_entries = 1000000;
	conf->egress.dns_filter = false;
	conf->egress.ip_options = EGW_IP_OPTIONS_DROP_SOURCE_ROUTE;
	conf->egress.reject_rate = 1000;

	conf->flows.max = 1000000;
	conf->flows.tcp_syn = 30;
	conf->flows.tcp_established = 7440;
	conf->flows.tcp_transitory = 240;
	/* RFC 5382 REQ-5: a transitory TCP state lasts at least 4 minutes. */
	conf->flows.tcp_time_wait = 240;
	conf->flows.tcp_close = 240;
	conf->flows.udp_reply = 30;
	conf->flows.udp = 300;
	conf->flows.icmp = 60;
	conf->flows.tcp_pickup = true;
	conf->flows.tcp_window_check = true;
	conf->flows.syn_cookie_rate = 20000;
	conf->flows.syn_cookie_half_open = 50000;
	conf->flows.fragment_trains = 256;
	conf->flows.fragment_timeout = 2;

	snprintf(conf->control.socket, sizeof(conf->control.socket), "/run/egressgw/control.sock");
	snprintf(conf->metrics.listen, sizeof(conf->metrics.listen), "127.0.0.1:9610");
	snprintf(conf->log.level, sizeof(conf->log.level), "info");
	conf_tunnel_init(conf);
}

/* inih's handler: the reader has already told us what kind of line this is. */
static int conf_handler(void *user, const char *section, const char *name, const char *value)
{
	struct conf_ctx *ctx = user;

	ctx->handler_calls++;
	if (ctx->kind == CONF_LINE_CONT)
		conf_key_continue(ctx, value);
	else if (ctx->kind == CONF_LINE_KEY)
		conf_key_line(ctx, name, value);
	/* Errors are collected, never returned: inih would only keep the first line number. */
	return 1;
}

int conf_run(struct conf_ctx *ctx)
{
	int ret;

	ret = ini_parse_stream(conf_reader, ctx, conf_handler, ctx);
	conf_reader_finish(ctx, ret);
	if (ctx->src.read_errno) {
		/* A partial read must not validate as a (smaller) good file. */
		conf_err(ctx, 0, "cannot read: %s", strerror(ctx->src.read_errno));
		return -ctx->src.read_errno;
	}
	return ctx->src.too_big ? -EFBIG : 0;
}

FILE *conf_open(const char *path, char *why, size_t whylen)
{
	int fd = egw_file_open_read(path, why, whylen);
	FILE *fp;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	fp = fdopen(fd, "r");
	if (!fp) {
		int e = errno;
		snprintf(why, whylen, "cannot open: %s", strerror(e));
		close(fd);
		errno = e;
	}
	return fp;
}

/* Where a key of a single section was set, or the file itself (line 0) for a default. */
static void origin(const struct conf_ctx *ctx, struct egw_conf_origin *o, enum conf_sect sect,
	unsigned key)
{
	conf_copy(o->file, sizeof(o->file), ctx->file);
	o->line = ctx->single[sect].key_line[key];
}

/* The lines the checks against the machine point at (egressgw --check). */
static void note_origins(struct conf_ctx *ctx)
{
	struct egw_conf *c = ctx->conf;

	origin(ctx, &c->dpdk.lcores_origin, CONF_SECT_DPDK, CONF_DPDK_LCORES);
	origin(ctx, &c->dpdk.memory_origin, CONF_SECT_DPDK, CONF_DPDK_MEMORY_MB);
	origin(ctx, &c->dpdk.file_prefix_origin, CONF_SECT_DPDK, CONF_DPDK_FILE_PREFIX);
	origin(ctx, &c->flows.max_origin, CONF_SECT_FLOWS, CONF_FLOWS_MAX);
}

static int load(struct conf_ctx *ctx)
{
	int ret = conf_run(ctx);

	if (ret == -EFBIG)
		conf_err(ctx, 0, "is larger than %s", EGW_FILE_MAX_TEXT);
	if (ret < 0)
		return ret;
	note_origins(ctx);
	if (!ctx->stop)
		conf_validate(ctx);
	if (ctx->nomem)
		return -ENOMEM;
	return ctx->errs->n > ctx->errs_start ? -EINVAL : 0;
}

static int load_common(const char *name, FILE *fp, const char *text, struct egw_conf *conf,
	struct egw_conf_errors *errs)
{
	struct conf_ctx *ctx;
	unsigned start = errs->n;
	int ret;

	egw_conf_defaults(conf);
	/* About 10 KiB of bookkeeping: heap, not the caller's stack. */
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->conf = conf;
	ctx->errs = errs;
	ctx->file = name;
	ctx->open_section = conf_section_open;
	ctx->cont_keys = "routes, neighbors, addresses and extra_args";
	ctx->errs_start = start;
	ctx->src.fp = fp;
	ctx->src.text = text;
	if (strlen(name) >= sizeof(conf->path)) {
		conf_err(ctx, 0, "path too long (max %zu bytes)", sizeof(conf->path) - 1);
		ret = -ENAMETOOLONG;
	} else {
		conf_copy(conf->path, sizeof(conf->path), name);
		ret = load(ctx);
	}
	conf_errors_sort(errs, start);
	free(ctx->items);
	ctx->items = NULL;
	free(ctx);
	ctx = NULL;
	return ret;
}

int egw_conf_load(const char *path, struct egw_conf *conf, struct egw_conf_errors *errs)
{
	char why[128];
	FILE *fp;
	int ret;

	if (!path || !conf || !errs)
		return -EINVAL;
	fp = conf_open(path, why, sizeof(why));
	if (!fp) {
		ret = errno ? errno : EIO;
		egw_conf_defaults(conf);
		if (egw_conf_errors_add(errs, path, 0, "%s", why) < 0)
			return -ENOMEM;
		return -ret;
	}
	ret = load_common(path, fp, NULL, conf, errs);
	fclose(fp);
	return ret;
}

int egw_conf_load_string(const char *name, const char *text, struct egw_conf *conf,
	struct egw_conf_errors *errs)
{
	if (!text || !conf || !errs)
		return -EINVAL;
	return load_common(name ? name : "<string>", NULL, text, conf, errs);
}

const struct egw_pool_conf *egw_conf_pool_find(const struct egw_conf *conf, const char *name)
{
	if (!conf || !name)
		return NULL;
	for (unsigned i = 0; i < conf->n_pools && i < EGW_MAX_POOLS; i++)
		if (strcmp(conf->pools[i].name, name) == 0)
			return &conf->pools[i];
	return NULL;
}

const struct egw_port_conf *egw_conf_port_find(const struct egw_conf *conf, const char *name)
{
	if (!conf || !name)
		return NULL;
	for (unsigned i = 0; i < conf->n_ports && i < EGW_MAX_PORTS; i++)
		if (strcmp(conf->ports[i].name, name) == 0)
			return &conf->ports[i];
	return NULL;
}
