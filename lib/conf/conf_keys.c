/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The keys of each section and their setters; the generic setters and the small sections
 * are here, [port] and [pool] have their own files. A setter checks one value on its own
 * (syntax, range) and stores it; anything that depends on another key or section is left to
 * conf_validate.c, because keys may come in any order.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_config.h>

#include "common/file.h"

#include "conf_internal.h"

/* struct sockaddr_un.sun_path holds 108 bytes including the NUL. */
#define CONF_UNIX_PATH_MAX 107

static void *field(struct conf_ctx *ctx, const struct conf_key *key)
{
	char *base;

	switch (ctx->sect) {
	case CONF_SECT_PORT:
		base = (char *)&ctx->conf->ports[ctx->idx];
		break;
	case CONF_SECT_POOL:
		base = (char *)&ctx->conf->pools[ctx->idx];
		break;
	case CONF_SECT_GROUP:
	case CONF_SECT_POLICY:
		base = ctx->base;
		break;
	default:
		base = (char *)ctx->conf; /* singletons: offsets are from struct egw_conf */
		break;
	}
	return base + key->off;
}

int conf_parse_enum(struct conf_ctx *ctx, const struct conf_key *key, const char *value,
	const char *const *names, unsigned n)
{
	char list[128] = "";
	int i = conf_name_index(names, n, value);

	if (i >= 0)
		return i;
	for (unsigned j = 0; j < n; j++) {
		strncat(list, j ? ", " : "", sizeof(list) - strlen(list) - 1);
		strncat(list, names[j], sizeof(list) - strlen(list) - 1);
	}
	conf_err_value(ctx, key, value, "is not one of: %s", list);
	return -1;
}

/* Generic setters, driven by the key table. */

int conf_store_string(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	size_t n = strlen(value);

	if (n == 0 && (key->flags & CONF_KEY_NONEMPTY)) {
		conf_err_key(ctx, ctx->lineno, key->name, "must not be empty; expected %s",
			key->expect);
		return -1;
	}
	if (n >= key->size) {
		conf_err_value(ctx, key, value, "is too long (max %zu bytes)", key->size - 1);
		return -1;
	}
	memcpy(field(ctx, key), value, n + 1);
	return 0;
}

static void set_string(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	conf_store_string(ctx, key, value);
}

void conf_set_u32(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	uint32_t v;

	if (egw_parse_u32(value, key->min, key->max, &v) < 0) {
		conf_err_value(ctx, key, value, "is not an integer within %u-%u", key->min,
			key->max);
		return;
	}
	*(uint32_t *)field(ctx, key) = v;
}

void conf_set_bool(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	bool v;

	if (egw_parse_bool(value, &v) < 0) {
		conf_err_value(ctx, key, value,
			"is not a boolean (yes/no, true/false, on/off, 1/0)");
		return;
	}
	*(bool *)field(ctx, key) = v;
}

int conf_parse_network(struct conf_ctx *ctx, const struct conf_key *key, const char *s,
	bool single_ok, const char *expect, uint32_t *prefix, uint8_t *len)
{
	char net[16];

	if (egw_parse_cidr(s, prefix, len) == 0)
		return 0;
	if (single_ok && egw_parse_ipv4(s, prefix) == 0) {
		*len = 32;
		return 0;
	}
	if (conf_parse_prefix(s, 0, prefix, len) == 0)
		conf_err_value(ctx, key, s, "has host bits set (the network is %s/%u)",
			egw_fmt_ipv4(net, *prefix & conf_mask(*len)), *len);
	else
		conf_err_value(ctx, key, s, "is not %s", expect);
	return -1;
}

static bool charset_ok(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			    (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return false;
	return true;
}

static bool digits_only(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return false;
	return true;
}

/* [dpdk] */

static void set_lcores(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	struct egw_lcores l;
	int rc;

	/* EAL's --lcores syntax, read as EAL will: a mistake here would otherwise reach
	 * rte_eal_init() and fail far from this line, or start without a worker. */
	if (!*value) {
		conf_store_string(ctx, key, value); /* says it must not be empty */
		return;
	}
	rc = digits_only(value, ",-@()") ? egw_lcores_parse(value, &l) : -EINVAL;
	if (rc == -ERANGE) {
		conf_err_value(ctx, key, value, "names lcore %u; EAL takes lcore ids 0-%d",
			l.bad_lcore, RTE_MAX_LCORE - 1);
		return;
	}
	if (rc < 0) {
		conf_err_value(ctx, key, value,
			"is not an EAL lcore list such as 0-1, 1-4 or (0-2)@(0-1)");
		return;
	}
	if (l.n_lcores < 2) {
		conf_err_value(ctx, key, value,
			"gives no worker: the first lcore is the control "
			"thread; name at least 2 lcores (e.g. 0-1)");
		return;
	}
	if (l.n_lcores - 1 > EGW_CONF_MAX_WORKERS) {
		conf_err_value(ctx, key, value, "gives %u workers; at most %d", l.n_lcores - 1,
			EGW_CONF_MAX_WORKERS);
		return;
	}
	if (conf_store_string(ctx, key, value) == 0)
		ctx->conf->dpdk.lcore_set = l;
}

static void set_file_prefix(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	/* It becomes a directory name under /var/run/dpdk: no '/', no blanks, no dots. */
	if (!charset_ok(value, "_-")) {
		conf_err_value(ctx, key, value, "is not a file prefix (A-Z a-z 0-9 _ -, 1-63)");
		return;
	}
	conf_store_string(ctx, key, value);
}

static void set_extra_args(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	char *args = ctx->conf->dpdk.extra_args;
	size_t have = strlen(args), n = strlen(value);

	/* Continuation lines add more arguments; they are split on blanks later anyway. */
	if (n == 0)
		return;
	if (have + (have ? 1 : 0) + n >= sizeof(ctx->conf->dpdk.extra_args)) {
		conf_err_key(ctx, ctx->lineno, key->name, "too long (max %zu bytes)",
			sizeof(ctx->conf->dpdk.extra_args) - 1);
		ctx->cont = CONF_CONT_IGNORE;
		return;
	}
	if (have)
		args[have++] = ' ';
	memcpy(args + have, value, n + 1);
}

/* [egress] */

/* Where a key was set, for errors found only when the daemon starts (a path it cannot open,
 * an address it cannot bind). */
static void note_origin(struct conf_ctx *ctx, struct egw_conf_origin *o)
{
	conf_copy(o->file, sizeof(o->file), ctx->file);
	o->line = ctx->lineno;
}

static void set_mode(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	static const char *const names[] = { "passthrough", "policy", "deny" };
	struct egw_conf *conf = ctx->conf;

	if (conf_parse_enum(ctx, key, value, names, CONF_ARRAY_SIZE(names)) < 0)
		return;
	egw_mode_parse(value, &conf->egress.mode);
	note_origin(ctx, &conf->egress.mode_origin);
}

static void set_policies(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	if (conf_store_string(ctx, key, value) == 0)
		note_origin(ctx, &ctx->conf->egress.policies_origin);
}

static void set_revalidate(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	static const char *const names[] = {
		[EGW_REVALIDATE_RESET] = "reset",
		[EGW_REVALIDATE_KEEP] = "keep",
	};
	int i = conf_parse_enum(ctx, key, value, names, CONF_ARRAY_SIZE(names));

	if (i >= 0)
		ctx->conf->egress.revalidate = (enum egw_revalidate)i;
}

static void set_ech(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	static const char *const names[] = {
		[EGW_ECH_OUTER] = "outer",
		[EGW_ECH_DENY] = "deny",
	};
	int i = conf_parse_enum(ctx, key, value, names, CONF_ARRAY_SIZE(names));

	if (i >= 0)
		ctx->conf->egress.ech = (enum egw_ech)i;
}

static void set_host_binding(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	const char *names[EGW_BINDING_LATE + 1];
	int i;

	for (unsigned k = 0; k < CONF_ARRAY_SIZE(names); k++)
		names[k] = egw_host_binding_name((enum egw_host_binding)k);
	i = conf_parse_enum(ctx, key, value, names, CONF_ARRAY_SIZE(names));
	if (i >= 0)
		ctx->conf->egress.host_binding = (enum egw_host_binding)i;
}

static void set_syn_cookies(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	const char *names[EGW_SYN_COOKIES_AUTO + 1];
	int i;

	for (unsigned k = 0; k < CONF_ARRAY_SIZE(names); k++)
		names[k] = egw_syn_cookies_name((enum egw_syn_cookies)k);
	i = conf_parse_enum(ctx, key, value, names, CONF_ARRAY_SIZE(names));
	if (i >= 0)
		ctx->conf->flows.syn_cookies = (enum egw_syn_cookies)i;
}

static void set_ip_options(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	const char *names[EGW_IP_OPTIONS_PASS + 1];
	int i;

	for (unsigned k = 0; k < CONF_ARRAY_SIZE(names); k++)
		names[k] = egw_ip_options_name((enum egw_ip_options)k);
	i = conf_parse_enum(ctx, key, value, names, CONF_ARRAY_SIZE(names));
	if (i >= 0)
		ctx->conf->egress.ip_options = (enum egw_ip_options)i;
}

/* deny_action and exhaustion_action: KEY's field is an enum egw_deny_action. */
static void set_deny_action(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	const char *names[EGW_DENY_REJECT + 1];
	int i;

	for (unsigned k = 0; k < CONF_ARRAY_SIZE(names); k++)
		names[k] = egw_deny_action_name((enum egw_deny_action)k);
	i = conf_parse_enum(ctx, key, value, names, CONF_ARRAY_SIZE(names));
	if (i >= 0)
		*(enum egw_deny_action *)field(ctx, key) = (enum egw_deny_action)i;
}

/* [control], [metrics], [log] */

static void set_socket(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	struct stat st;

	if (strlen(value) > CONF_UNIX_PATH_MAX) {
		conf_err_value(ctx, key, value, "is too long for a unix socket path (max %d bytes)",
			CONF_UNIX_PATH_MAX);
		return;
	}
	/* The daemon replaces a stale socket file at start; anything else there is not its own. */
	if (lstat(value, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		conf_err_value(ctx, key, value, "exists and is not a socket (%s)",
			egw_file_type_name(st.st_mode));
		return;
	}
	conf_store_string(ctx, key, value);
}

static void set_listen(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	char host[256];
	uint16_t port;

	if (*value && egw_parse_listen(value, host, sizeof(host), &port) < 0) {
		conf_err_value(ctx, key, value,
			"is not HOST:PORT or [IPV6]:PORT (port 1-65535), or empty to turn metrics "
			"off");
		return;
	}
	conf_store_string(ctx, key, value);
	note_origin(ctx, &ctx->conf->metrics.listen_origin);
}

int conf_store_regular_file(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	struct stat st;

	if (*value && stat(value, &st) == 0 && !S_ISREG(st.st_mode)) {
		conf_err_value(ctx, key, value, "is not a regular file (%s)",
			egw_file_type_name(st.st_mode));
		return -1;
	}
	return conf_store_string(ctx, key, value);
}

/* Appended to by the control thread: a FIFO or a device could block it (created if missing, at
 * start). */
static void set_flow_log(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	if (conf_store_regular_file(ctx, key, value) == 0)
		note_origin(ctx, &ctx->conf->log.flow_log_origin);
}

static void set_level(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };

	if (conf_parse_enum(ctx, key, value, names, CONF_ARRAY_SIZE(names)) >= 0)
		conf_store_string(ctx, key, value);
}

/* Key tables; the order is the CONF_<SECTION>_<KEY> enums of conf_internal.h. */

#define S(f) CONF_FIELD(struct egw_conf, f)

static const struct conf_key dpdk_keys[] = {
	[CONF_DPDK_LCORES] = { "lcores", set_lcores, CONF_KEY_NONEMPTY, S(dpdk.lcores), 0, 0,
		"an EAL lcore list such as 0-1" },
	[CONF_DPDK_MEMORY_MB] = { "memory_mb", conf_set_u32, 0, S(dpdk.memory_mb), 64, 1048576 },
	[CONF_DPDK_HUGEPAGES] = { "hugepages", conf_set_bool, 0, S(dpdk.hugepages) },
	[CONF_DPDK_FILE_PREFIX] = { "file_prefix", set_file_prefix, CONF_KEY_NONEMPTY,
		S(dpdk.file_prefix), 0, 0, "a file prefix such as egressgw" },
	[CONF_DPDK_EXTRA_ARGS] = { "extra_args", set_extra_args, CONF_KEY_LIST,
		S(dpdk.extra_args) },
	[CONF_DPDK_IDLE_SLEEP_US] = { "idle_sleep_us", conf_set_u32, 0, S(dpdk.idle_sleep_us), 0,
		100000 },
	[CONF_DPDK_MBUFS] = { "mbufs", conf_set_u32, 0, S(dpdk.mbufs), 0, 16777216 },
};

static const struct conf_key egress_keys[] = {
	[CONF_EGRESS_MODE] = { "mode", set_mode, 0 },
	[CONF_EGRESS_POLICIES] = { "policies", set_policies, 0, S(egress.policies) },
	[CONF_EGRESS_DEFAULT_POOL] = { "default_pool", set_string, 0, S(egress.default_pool) },
	[CONF_EGRESS_REVALIDATE] = { "revalidate", set_revalidate, 0 },
	/* A client sends its first bytes right after the handshake; minutes are for typing. */
	[CONF_EGRESS_HOST_TIMEOUT] = { "host_timeout", conf_set_u32, 0, S(egress.host_timeout), 1,
		300 },
	/* The least that holds a real ClientHello (1.5-2 KiB with post-quantum key shares) with
	 * room; at most four 16 KiB TLS records. */
	[CONF_EGRESS_HOST_HOLD_BYTES] = { "host_hold_bytes", conf_set_u32, 0,
		S(egress.host_hold_bytes), 2048, 65536 },
	[CONF_EGRESS_HOST_HOLD_TOTAL] = { "host_hold_total", conf_set_u32, 0,
		S(egress.host_hold_total), 2048, 1u << 30 },
	[CONF_EGRESS_ECH] = { "ech", set_ech, 0 },
	[CONF_EGRESS_HOST_BINDING] = { "host_binding", set_host_binding, 0 },
	/* RFC 8767 4 caps TTLs at 7 days; a floor above that would never let a name go. */
	[CONF_EGRESS_DNS_MIN_TTL] = { "dns_min_ttl", conf_set_u32, 0, S(egress.dns_min_ttl), 0,
		604800 },
	[CONF_EGRESS_DNS_MAX_PER_NAME] = { "dns_max_per_name", conf_set_u32, 0,
		S(egress.dns_max_per_name), 1, 4096 },
	[CONF_EGRESS_DNS_MAX_ENTRIES] = { "dns_max_entries", conf_set_u32, 0,
		S(egress.dns_max_entries), 1, 16777216 },
	[CONF_EGRESS_DNS_FILTER] = { "dns_filter", conf_set_bool, 0, S(egress.dns_filter) },
	[CONF_EGRESS_IP_OPTIONS] = { "ip_options", set_ip_options, 0 },
	[CONF_EGRESS_DENY_ACTION] = { "deny_action", set_deny_action, 0, S(egress.deny_action) },
	[CONF_EGRESS_EXHAUSTION_ACTION] = { "exhaustion_action", set_deny_action, 0,
		S(egress.exhaustion_action) },
	/* Per worker and second: enough for every client of a busy site to fail at once, too
	 * few for the appliance to be a useful reflector. */
	[CONF_EGRESS_REJECT_RATE] = { "reject_rate", conf_set_u32, 0, S(egress.reject_rate), 1,
		1000000 },
};

static const struct conf_key flows_keys[] = {
	[CONF_FLOWS_MAX] = { "max", conf_set_u32, 0, S(flows.max), 1, 100000000 },
	{ "tcp_syn", conf_set_u32, 0, S(flows.tcp_syn), 1, 604800 },
	/* RFC 5382 REQ-5 asks for at least 7440 s; shorter is accepted so that tests can watch
	 * established flows expire. */
	{ "tcp_established", conf_set_u32, 0, S(flows.tcp_established), 1, 604800 },
	{ "tcp_transitory", conf_set_u32, 0, S(flows.tcp_transitory), 1, 604800 },
	{ "tcp_time_wait", conf_set_u32, 0, S(flows.tcp_time_wait), 1, 604800 },
	{ "tcp_close", conf_set_u32, 0, S(flows.tcp_close), 1, 604800 },
	{ "udp_reply", conf_set_u32, 0, S(flows.udp_reply), 1, 604800 },
	{ "udp", conf_set_u32, 0, S(flows.udp), 1, 604800 },
	{ "udp_port_timeouts", conf_set_udp_port_timeouts, CONF_KEY_LIST, 0, 0, 1, 604800 },
	{ "icmp", conf_set_u32, 0, S(flows.icmp), 1, 604800 },
	{ "tcp_pickup", conf_set_bool, 0, S(flows.tcp_pickup) },
	{ "tcp_window_check", conf_set_bool, 0, S(flows.tcp_window_check) },
	{ "syn_cookies", set_syn_cookies, 0 },
	{ "syn_cookie_rate", conf_set_u32, 0, S(flows.syn_cookie_rate), 1, 100000000 },
	{ "syn_cookie_half_open", conf_set_u32, 0, S(flows.syn_cookie_half_open), 1, 100000000 },
	/* Indices of 16 bits (lib/pipeline/fragment.h); RFC 791's 15 s reassembly timer at most. */
	{ "fragment_trains", conf_set_u32, 0, S(flows.fragment_trains), 16, 32768 },
	{ "fragment_timeout", conf_set_u32, 0, S(flows.fragment_timeout), 1, 15 },
};

static const struct conf_key control_keys[] = {
	{ "socket", set_socket, CONF_KEY_NONEMPTY, S(control.socket), 0, 0, "a unix socket path" },
};

static const struct conf_key metrics_keys[] = {
	{ "listen", set_listen, 0, S(metrics.listen) },
	{ "latency", conf_set_bool, 0, S(metrics.latency) },
};

static const struct conf_key log_keys[] = {
	{ "level", set_level, 0, S(log.level) },
	{ "flow_log", set_flow_log, 0, S(log.flow_log) },
};

#undef S

const struct conf_key *conf_keys_of(enum conf_sect sect, unsigned *n)
{
#define KEYS(t)                                                                                    \
	do {                                                                                       \
		_Static_assert(CONF_ARRAY_SIZE(t) <= CONF_MAX_KEYS, "raise CONF_MAX_KEYS");        \
		*n = CONF_ARRAY_SIZE(t);                                                           \
		return t;                                                                          \
	} while (0)
	switch (sect) {
	case CONF_SECT_DPDK:
		KEYS(dpdk_keys);
	case CONF_SECT_PORT:
		*n = conf_n_port_keys;
		return conf_port_keys;
	case CONF_SECT_EGRESS:
		KEYS(egress_keys);
	case CONF_SECT_POOL:
		*n = conf_n_pool_keys;
		return conf_pool_keys;
	case CONF_SECT_FLOWS:
		KEYS(flows_keys);
	case CONF_SECT_CONTROL:
		KEYS(control_keys);
	case CONF_SECT_METRICS:
		KEYS(metrics_keys);
	case CONF_SECT_LOG:
		KEYS(log_keys);
	case CONF_SECT_TUNNEL:
		*n = conf_n_tunnel_keys;
		return conf_tunnel_keys;
	default:
		*n = 0;
		return NULL;
	}
#undef KEYS
}

void conf_list_each(struct conf_ctx *ctx, const struct conf_key *key, const char *value,
	void (*item)(struct conf_ctx *ctx, const struct conf_key *key, const char *s))
{
	const char *p = value;
	char buf[256];

	while (*p && !ctx->stop) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		size_t n;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		n = (size_t)(end - p);
		if (n == 0) {
			/* A trailing comma before a continuation line is fine; ",," is a typo. */
			if (comma)
				conf_err_key(ctx, ctx->lineno, key->name, "empty item in list");
		} else {
			if (n >= sizeof(buf))
				n = sizeof(buf) - 1;
			memcpy(buf, p, n);
			buf[n] = '\0';
			item(ctx, key, buf);
		}
		if (!comma)
			break;
		p = comma + 1;
	}
}
