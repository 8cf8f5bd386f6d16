/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The effective configuration as INI (egressgw --check --dump): every key of every section
 * with the value in force, defaults included, then the groups and every policy as compiled
 * (groups expanded into the sources, the pool it translates with). Policies go in the same
 * file, which the loader accepts, so the output checks and dumps again to the same text.
 * Lists are cut into continuation lines: a line stays within the reader's 199 bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "conf_internal.h"
#include "policy_conf.h"

#define LINE_MAX_DUMP 120      /* a list line is cut here, well inside the reader's limit */
#define CONF_LINE_MAX_DUMP 190 /* a comment line is cut here */

struct list {
	FILE *out;
	size_t col; /* bytes on the current line */
	unsigned n; /* items written */
};

static void list_begin(struct list *l, FILE *out, const char *key)
{
	l->out = out;
	l->n = 0;
	l->col = (size_t)fprintf(out, "%s =", key);
}

/* One item: a continuation line (indented) when the current one would grow too long. */
static void list_item(struct list *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void list_item(struct list *l, const char *fmt, ...)
{
	char item[256];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(item, sizeof(item), fmt, ap);
	va_end(ap);
	n = strlen(item);
	if (l->n && l->col + n + 2 > LINE_MAX_DUMP) {
		fputs(",\n  ", l->out);
		l->col = 2;
	} else {
		fputs(l->n ? ", " : " ", l->out);
		l->col += l->n ? 2 : 1;
	}
	fputs(item, l->out);
	l->col += n;
	l->n++;
}

static void list_end(struct list *l)
{
	fputc('\n', l->out);
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static const char *mac_str(char buf[18], const uint8_t m[6])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

/* A comment line, cut to what the reader takes back (a long path would not fit). */
static void comment(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void comment(FILE *out, const char *fmt, ...)
{
	char line[CONF_LINE_MAX_DUMP + 1];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(line))
		memcpy(line + sizeof(line) - 4, "...", 4);
	fprintf(out, "; %s\n", line);
}

/* "; from FILE:LINE" when known. */
static void origin(FILE *out, const struct egw_conf_origin *o)
{
	if (o->line)
		comment(out, "from %s:%d", o->file, o->line);
}

/* VALUE split on blanks into continuation lines (extra_args appends them with a blank). */
static void words(FILE *out, const char *key, const char *value)
{
	struct list l;
	const char *p = value;

	list_begin(&l, out, key);
	while (*p) {
		size_t n = strcspn(p, " \t");

		if (n && l.col + n + 1 > LINE_MAX_DUMP && l.n) {
			fputs("\n  ", out);
			l.col = 2;
		} else if (n) {
			fputc(' ', out);
			l.col++;
		}
		fwrite(p, 1, n, out);
		l.col += n;
		l.n += n > 0;
		p += n;
		p += strspn(p, " \t");
	}
	list_end(&l);
}

static void dump_dpdk(const struct egw_conf *c, FILE *out)
{
	fprintf(out, "[dpdk]\nlcores = %s\nmemory_mb = %u\nhugepages = %s\nfile_prefix = %s\n",
		c->dpdk.lcores, c->dpdk.memory_mb, yes_no(c->dpdk.hugepages), c->dpdk.file_prefix);
	words(out, "extra_args", c->dpdk.extra_args);
	fprintf(out, "idle_sleep_us = %u\nmbufs = %u\n\n", c->dpdk.idle_sleep_us, c->dpdk.mbufs);
}

static void dump_port(const struct egw_port_conf *p, FILE *out)
{
	char a[16], b[16], mac[18];
	struct list l;

	fprintf(out, "[port %s]\n", p->name);
	origin(out, &p->origin);
	fprintf(out, "device = %s\nrole = %s\naddress = %s/%u\n", p->device, egw_role_name(p->role),
		egw_fmt_ipv4(a, p->addr), p->prefix_len);
	if (p->gateway)
		fprintf(out, "gateway = %s\n", egw_fmt_ipv4(a, p->gateway));
	if (p->n_routes) {
		list_begin(&l, out, "routes");
		for (unsigned i = 0; i < p->n_routes; i++)
			list_item(&l, "%s/%u via %s", egw_fmt_ipv4(a, p->routes[i].prefix),
				p->routes[i].prefix_len, egw_fmt_ipv4(b, p->routes[i].via));
		list_end(&l);
	}
	if (p->n_neighbors) {
		list_begin(&l, out, "neighbors");
		for (unsigned i = 0; i < p->n_neighbors; i++)
			list_item(&l, "%s %s", egw_fmt_ipv4(a, p->neighbors[i].addr),
				mac_str(mac, p->neighbors[i].mac));
		list_end(&l);
	}
	if (p->has_mac)
		fprintf(out, "mac = %s\n", mac_str(mac, p->mac));
	else
		fputs("; mac: the NIC's own\n", out);
	if (p->vlan)
		fprintf(out, "vlan = %u\n", p->vlan);
	else
		fputs("; vlan: untagged\n", out);
	fprintf(out,
		"mtu = %u\nneighbor_reachable = %u\nneighbor_probes = %u\n"
		"neighbor_gc = %u\n\n",
		p->mtu, p->neighbor_reachable, p->neighbor_probes, p->neighbor_gc);
}

static void dump_egress(const struct egw_conf *c, const struct egw_policy_set *set, FILE *out)
{
	static const char *const
		revalidate[] = { [EGW_REVALIDATE_RESET] = "reset", [EGW_REVALIDATE_KEEP] = "keep" };

	fprintf(out, "[egress]\nmode = %s\n", egw_mode_name(c->egress.mode));
	/* The policies follow in this file: a glob would read them a second time. */
	if (c->egress.policies[0] || c->egress.inline_policies) {
		comment(out, "the policies of these files are below:");
		for (unsigned i = 0; set && i < set->n_files; i++)
			comment(out, "  %s", set->files[i]);
	}
	fprintf(out, "policies =\ndefault_pool = %s\nrevalidate = %s\nip_options = %s\n",
		c->egress.default_pool, revalidate[c->egress.revalidate == EGW_REVALIDATE_KEEP],
		egw_ip_options_name(c->egress.ip_options));
	fprintf(out, "deny_action = %s\nexhaustion_action = %s\nreject_rate = %u\n",
		egw_deny_action_name(c->egress.deny_action),
		egw_deny_action_name(c->egress.exhaustion_action), c->egress.reject_rate);
	fprintf(out,
		"host_timeout = %u\nhost_hold_bytes = %u\nhost_hold_total = %u\nech = %s\n"
		"host_binding = %s\ndns_min_ttl = %u\ndns_max_per_name = %u\ndns_max_entries = %u\n"
		"dns_filter = %s\n\n",
		c->egress.host_timeout, c->egress.host_hold_bytes, c->egress.host_hold_total,
		c->egress.ech == EGW_ECH_DENY ? "deny" : "outer",
		egw_host_binding_name(c->egress.host_binding), c->egress.dns_min_ttl,
		c->egress.dns_max_per_name, c->egress.dns_max_entries,
		c->egress.dns_filter ? "yes" : "no");
}

static void dump_pool(const struct egw_pool_conf *p, FILE *out)
{
	char a[16], b[16];
	struct list l;

	fprintf(out, "[pool %s]\n", p->name);
	origin(out, &p->origin);
	/* Addresses in the order written; consecutive ones as one range. */
	list_begin(&l, out, "addresses");
	for (unsigned i = 0; i < p->n_addrs;) {
		unsigned j = i;

		while (j + 1 < p->n_addrs && p->addrs[j + 1] == p->addrs[j] + 1)
			j++;
		if (j > i)
			list_item(&l, "%s-%s", egw_fmt_ipv4(a, p->addrs[i]),
				egw_fmt_ipv4(b, p->addrs[j]));
		else
			list_item(&l, "%s", egw_fmt_ipv4(a, p->addrs[i]));
		i = j + 1;
	}
	list_end(&l);
	fprintf(out,
		"ports = %u-%u\nmapping = %s\nfiltering = %s\npairing = %s\nmax_per_source = "
		"%u\n\n",
		p->port_first, p->port_last, egw_mapping_name(p->mapping),
		egw_filtering_name(p->filtering),
		p->pairing == EGW_PAIRING_PAIRED ? "paired" : "arbitrary", p->max_per_source);
}

static void dump_rest(const struct egw_conf *c, FILE *out)
{
	struct list l;

	fprintf(out,
		"[flows]\nmax = %u\ntcp_syn = %u\ntcp_established = %u\ntcp_transitory = %u\n"
		"tcp_time_wait = %u\ntcp_close = %u\nudp_reply = %u\nudp = %u\n",
		c->flows.max, c->flows.tcp_syn, c->flows.tcp_established, c->flows.tcp_transitory,
		c->flows.tcp_time_wait, c->flows.tcp_close, c->flows.udp_reply, c->flows.udp);
	list_begin(&l, out, "udp_port_timeouts");
	for (unsigned i = 0; i < c->flows.n_udp_ports; i++)
		list_item(&l, "%u:%u", c->flows.udp_ports[i].port, c->flows.udp_ports[i].seconds);
	list_end(&l);
	fprintf(out,
		"icmp = %u\ntcp_pickup = %s\ntcp_window_check = %s\nfragment_trains = %u\n"
		"fragment_timeout = %u\nsyn_cookies = %s\nsyn_cookie_rate = %u\n"
		"syn_cookie_half_open = %u\n\n",
		c->flows.icmp, yes_no(c->flows.tcp_pickup), yes_no(c->flows.tcp_window_check),
		c->flows.fragment_trains, c->flows.fragment_timeout,
		egw_syn_cookies_name(c->flows.syn_cookies), c->flows.syn_cookie_rate,
		c->flows.syn_cookie_half_open);
	fprintf(out,
		"[control]\nsocket = %s\n\n[metrics]\nlisten = %s\nlatency = %s\n\n[log]\n"
		"level = %s\nflow_log = %s\n\n",
		c->control.socket, c->metrics.listen, yes_no(c->metrics.latency), c->log.level,
		c->log.flow_log);
}

static void listen_line(FILE *out, const char *key, const struct egw_tunnel_listen_conf *l)
{
	char a[16];

	if (l->port)
		fprintf(out, "%s = %s:%u\n", key, egw_fmt_ipv4(a, l->addr), l->port);
}

/* [tunnel], when the file has one; limits left at 0 are the engine's defaults (not shown). */
static void dump_tunnel(const struct egw_conf *c, FILE *out)
{
	const uint32_t *num[] = { &c->tunnel.max_clients, &c->tunnel.max_buffers,
		&c->tunnel.h2_max_streams, &c->tunnel.handshake_ms, &c->tunnel.connect_ms,
		&c->tunnel.idle_ms, &c->tunnel.resolve_ms };
	static const char *const names[] = { "max_clients", "max_buffers", "h2_max_streams",
		"handshake_ms", "connect_ms", "idle_ms", "resolve_ms" };
	struct list l;
	char a[16];

	if (!c->tunnel.origin.line)
		return;
	fprintf(out, "[tunnel]\n");
	listen_line(out, "http", &c->tunnel.http);
	listen_line(out, "https", &c->tunnel.https);
	listen_line(out, "socks5", &c->tunnel.socks5);
	fprintf(out, "tls_cert = %s\ntls_key = %s\nusers = %s\n", c->tunnel.tls_cert,
		c->tunnel.tls_key, c->tunnel.users);
	list_begin(&l, out, "resolvers");
	for (unsigned i = 0; i < c->tunnel.n_resolvers; i++)
		list_item(&l, "%s", egw_fmt_ipv4(a, c->tunnel.resolvers[i]));
	list_end(&l);
	fprintf(out, "source = %s\n", egw_fmt_ipv4(a, c->tunnel.source));
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (*num[i])
			fprintf(out, "%s = %u\n", names[i], *num[i]);
	fprintf(out, "\n");
}

static void cidrs(FILE *out, const char *key, bool any, const struct egw_cidr *v, unsigned n)
{
	char a[16];
	struct list l;

	if (any) {
		fprintf(out, "%s = any\n", key);
		return;
	}
	list_begin(&l, out, key);
	for (unsigned i = 0; i < n; i++)
		list_item(&l, "%s/%u", egw_fmt_ipv4(a, v[i].prefix), v[i].len);
	list_end(&l);
}

static void dump_group(const struct egw_group_conf *g, FILE *out)
{
	fprintf(out, "[group %s]\n", g->name);
	origin(out, &g->origin);
	cidrs(out, "sources", false, g->cidrs, g->n_cidrs);
	fputc('\n', out);
}

static void dump_policy(const struct egw_conf *c, const struct egw_policy_conf *p, FILE *out)
{
	fprintf(out, "[policy %s]\n", p->name);
	origin(out, &p->origin);
	egw_conf_dump_policy_keys(c, p, out);
	fputc('\n', out);
}

void egw_conf_dump_policy_keys(const struct egw_conf *c, const struct egw_policy_conf *p, FILE *out)
{
	bool allow = p->action == EGW_ACTION_ALLOW;
	struct list l;

	cidrs(out, "sources", p->sources_any, p->sources, p->n_sources);
	cidrs(out, "destinations", p->destinations_any, p->destinations, p->n_destinations);
	if (p->n_hosts) {
		list_begin(&l, out, "hosts");
		for (unsigned i = 0; i < p->n_hosts; i++)
			list_item(&l, "%s", p->hosts[i]);
		list_end(&l);
	}
	if (p->ports_any) {
		/* ICMP takes no ports key at all. */
		if (p->proto != EGW_PROTO_ICMP)
			fputs("ports = any\n", out);
	} else {
		list_begin(&l, out, "ports");
		for (unsigned i = 0; i < p->n_ports; i++)
			if (p->ports[i].lo == p->ports[i].hi)
				list_item(&l, "%u", p->ports[i].lo);
			else
				list_item(&l, "%u-%u", p->ports[i].lo, p->ports[i].hi);
		list_end(&l);
	}
	fprintf(out, "protocol = %s\naction = %s\n", egw_policy_proto_name(p->proto),
		egw_policy_action_name(p->action));
	/* What an allow policy translates with and where it leaves; a deny has neither. */
	if (allow && !p->nat_none && !p->nat[0])
		fputs("; nat: [egress] default_pool\n", out);
	if (allow)
		fprintf(out, "nat = %s\n",
			p->nat_none ? "none" :
			p->nat[0]   ? p->nat :
				      c->egress.default_pool);
	if (allow && p->via[0])
		fprintf(out, "via = %s\n", p->via);
	else if (allow)
		fputs("; via: the default route\n", out);
	fprintf(out, "priority = %d\nlog = %s\n", p->priority, yes_no(p->log));
	if (allow)
		fprintf(out, "max_flows = %u\n", p->max_flows);
}

int egw_conf_dump(const struct egw_conf *c, const struct egw_policy_set *set, FILE *out)
{
	comment(out, "The effective configuration of %s:", c->path);
	fprintf(out,
		"; every key in force (defaults included), then the groups and the %u\n"
		"; policies as compiled (groups expanded into the sources), in the order\n"
		"; they are matched on equal priority. It checks as it is:\n"
		"; egressgw -c THIS-FILE --check\n\n",
		set ? set->n_policies : 0);
	dump_dpdk(c, out);
	for (unsigned i = 0; i < c->n_ports; i++)
		dump_port(&c->ports[i], out);
	dump_egress(c, set, out);
	for (unsigned i = 0; i < c->n_pools; i++)
		dump_pool(&c->pools[i], out);
	dump_rest(c, out);
	dump_tunnel(c, out);
	for (unsigned i = 0; set && i < set->n_groups; i++)
		dump_group(&set->groups[i], out);
	for (unsigned i = 0; set && i < set->n_policies; i++)
		dump_policy(c, &set->policies[i], out);
	return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}
