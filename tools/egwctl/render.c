/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "table.h"

struct sort_item {
	const struct egw_json *v;
	uint64_t num;
	int has_num;
};

static int cmp_items(const void *a, const void *b)
{
	const struct sort_item *x = a, *y = b;

	if (x->has_num != y->has_num)
		return y->has_num - x->has_num; /* numbered keys first */
	if (x->has_num && x->num != y->num)
		return x->num < y->num ? -1 : 1;
	return strcmp(x->v->key, y->v->key);
}

int egw_render_sorted(const struct egw_json *obj, const struct egw_json ***out)
{
	struct sort_item *items;
	size_t n = 0;

	*out = NULL;
	if (!obj || obj->type != EGW_JSON_OBJECT || obj->n_children == 0)
		return 0;
	items = calloc(obj->n_children, sizeof(*items));
	*out = calloc(obj->n_children, sizeof(**out));
	if (!items || !*out) {
		free(items);
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	for (const struct egw_json *m = obj->child; m; m = m->next) {
		const char *d = m->key + strcspn(m->key, "0123456789");
		char *end;

		if (m->type != EGW_JSON_OBJECT)
			continue;
		items[n].v = m;
		if (*d) {
			errno = 0;
			items[n].num = strtoull(d, &end, 10);
			items[n].has_num = *end == 0 && errno == 0;
		}
		n++;
	}
	qsort(items, n, sizeof(*items), cmp_items);
	for (size_t i = 0; i < n; i++)
		(*out)[i] = items[i].v;
	free(items);
	items = NULL;
	return (int)n;
}

/* Member KEY of OBJ as text; "-" when missing, null or not a scalar. */
static const char *field(const struct egw_json *obj, const char *key)
{
	const struct egw_json *v = egw_json_get(obj, key);
	const char *s = v && v->type != EGW_JSON_NULL ? egw_json_text(v) : NULL;

	return s ? s : "-";
}

static uint64_t field_u64(const struct egw_json *obj, const char *key)
{
	uint64_t x = 0;

	egw_json_u64(egw_json_get(obj, key), &x);
	return x;
}

/* A flag the daemon may send as 0/1 or false/true. */
static const char *field_bool(const struct egw_json *obj, const char *key, const char *yes,
	const char *no)
{
	const struct egw_json *v = egw_json_get(obj, key);
	uint64_t x;

	if (!v)
		return "-";
	if (v->type == EGW_JSON_TRUE || v->type == EGW_JSON_FALSE)
		return v->type == EGW_JSON_TRUE ? yes : no;
	if (egw_json_u64(v, &x) == 0)
		return x ? yes : no;
	return field(obj, key);
}

static const struct egw_json *need(const struct egw_json *obj, const char *key,
	enum egw_json_type type)
{
	const struct egw_json *v = egw_json_get(obj, key);

	if (!v || v->type != type) {
		fprintf(stderr, "egwctl: the reply has no %s \"%s\"%s\n", egw_json_type_name(type),
			key, obj && obj->type == EGW_JSON_OBJECT ? "" : " (not an object)");
		return NULL;
	}
	return v;
}

/* A multi-line value keeps its column; other control bytes must not reach the terminal. */
static void print_value(FILE *out, int width, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			fprintf(out, "\n%*s", width + 2, "");
		else
			putc(c < 0x20 || c == 0x7f ? '?' : c, out);
	}
}

/* "key: value" lines with the values in one column. */
static void print_pair(FILE *out, int width, const char *key, const struct egw_json *v)
{
	fprintf(out, "%s:%*s", key, width - (int)strlen(key) + 1, "");
	if (v->type == EGW_JSON_OBJECT || v->type == EGW_JSON_ARRAY)
		egw_json_write(out, v);
	else if (v->type == EGW_JSON_STRING && v->len == 0)
		fputs("-", out);
	else if (v->type == EGW_JSON_STRING)
		print_value(out, width, v->str, v->len);
	else
		fputs(egw_json_text(v), out);
}

static int key_width(const struct egw_json *obj, const char *skip)
{
	int w = 0;

	for (const struct egw_json *m = obj->child; m; m = m->next)
		if ((!skip || strcmp(m->key, skip) != 0) && (int)m->key_len > w)
			w = (int)m->key_len;
	return w;
}

static void print_uptime(FILE *out, uint64_t s)
{
	if (s >= 86400)
		fprintf(out, " (%" PRIu64 "d %" PRIu64 "h %" PRIu64 "m)", s / 86400, s / 3600 % 24,
			s / 60 % 60);
	else if (s >= 3600)
		fprintf(out, " (%" PRIu64 "h %" PRIu64 "m)", s / 3600, s / 60 % 60);
	else if (s >= 60)
		fprintf(out, " (%" PRIu64 "m %" PRIu64 "s)", s / 60, s % 60);
}

int egw_render_status(const struct egw_json *info, FILE *out)
{
	/* The order an operator reads them in; members a newer daemon adds follow. */
	static const char *const order[] = { "version", "mode", "uptime_s", "config_path",
		"config_sha256", "policy_generation", "workers", "last_reload", "metrics_listen",
		"flow_log" };
	const size_t n_order = sizeof(order) / sizeof(order[0]);
	int w;

	if (!info || info->type != EGW_JSON_OBJECT) {
		fprintf(stderr, "egwctl: the reply is not an object\n");
		return -EPROTO;
	}
	w = key_width(info, NULL);
	for (size_t i = 0; i < n_order; i++) {
		const struct egw_json *v = egw_json_get(info, order[i]);
		uint64_t s;

		if (!v)
			continue;
		/* An empty listen address or log path means the feature is off. */
		if ((i == 8 || i == 9) && v->type == EGW_JSON_STRING && v->len == 0) {
			fprintf(out, "%s:%*soff\n", order[i], w - (int)strlen(order[i]) + 1, "");
			continue;
		}
		print_pair(out, w, order[i], v);
		if (i == 2 && egw_json_u64(v, &s) == 0)
			print_uptime(out, s);
		putc('\n', out);
	}
	for (const struct egw_json *m = info->child; m; m = m->next) {
		size_t i = 0;

		while (i < n_order && strcmp(m->key, order[i]) != 0)
			i++;
		if (i == n_order) {
			print_pair(out, w, m->key, m);
			putc('\n', out);
		}
	}
	return ferror(out) ? -EIO : 0;
}

struct drop {
	const char *reason;
	uint64_t count;
};

static int cmp_drops(const void *a, const void *b)
{
	const struct drop *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->reason, y->reason);
}

/* Drop reasons that happened, most frequent first. */
static int print_drops(const struct egw_json *drops, FILE *out)
{
	struct drop *d = calloc(drops->n_children ? drops->n_children : 1, sizeof(*d));
	struct egw_table *t;
	size_t n = 0;
	int rc;

	if (!d)
		return -ENOMEM;
	for (const struct egw_json *m = drops->child; m; m = m->next)
		if (egw_json_u64(m, &d[n].count) == 0 && d[n].count != 0)
			d[n++].reason = m->key;
	if (n == 0) {
		fputs("no drops\n", out);
		free(d);
		d = NULL;
		return 0;
	}
	qsort(d, n, sizeof(*d), cmp_drops);
	t = egw_table_new("lr", "DROP REASON", "COUNT");
	for (size_t i = 0; i < n; i++) {
		egw_table_row(t);
		egw_table_cell(t, d[i].reason);
		egw_table_cellf(t, "%" PRIu64, d[i].count);
	}
	rc = egw_table_print(t, out);
	egw_table_free(t);
	free(d);
	d = NULL;
	return rc;
}

int egw_render_stats(const struct egw_json *stats, FILE *out)
{
	const struct egw_json *drops = need(stats, "drops", EGW_JSON_OBJECT);
	int w;

	if (!drops)
		return -EPROTO;
	w = key_width(stats, "drops");
	for (const struct egw_json *m = stats->child; m; m = m->next) {
		if (m == drops)
			continue;
		print_pair(out, w, m->key, m);
		putc('\n', out);
	}
	putc('\n', out);
	return print_drops(drops, out);
}

/* One row per member of OBJ[KEY]: COLS names the fields, one cell each. */
static int simple_table(const struct egw_json *v, const char *key, const char *align,
	struct egw_table *t, const char *const *cols)
{
	const struct egw_json *obj = need(v, key, EGW_JSON_OBJECT), **rows = NULL;
	int n = obj ? egw_render_sorted(obj, &rows) : -EPROTO;

	if (n < 0) {
		egw_table_free(t);
		return n;
	}
	for (int i = 0; i < n; i++) {
		egw_table_row(t);
		for (size_t c = 0; c < strlen(align); c++) {
			if (strcmp(cols[c], "link_up") == 0)
				egw_table_cell(t, field_bool(rows[i], cols[c], "up", "down"));
			else
				egw_table_cell(t, field(rows[i], cols[c]));
		}
	}
	free(rows);
	rows = NULL;
	return 0;
}

static int print_table(struct egw_table *t, FILE *out, const char *none)
{
	int rc;

	if (t && egw_table_rows(t) == 0) {
		fprintf(out, "%s\n", none);
		rc = 0;
	} else {
		rc = egw_table_print(t, out);
	}
	egw_table_free(t);
	return rc;
}

int egw_render_ports(const struct egw_json *v, FILE *out)
{
	static const char *const cols[] = { "name", "id", "role", "address", "mac", "link_up",
		"speed_mbps", "mtu", "rx_packets", "rx_bytes", "tx_packets", "tx_bytes",
		"rx_missed", "rx_errors", "rx_nombuf", "tx_errors" };
	static const char align[] = "lrllllrrrrrrrrrr";
	struct egw_table *t = egw_table_new(align, "PORT", "ID", "ROLE", "ADDRESS", "MAC", "LINK",
		"SPEED_MBPS", "MTU", "RX_PKTS", "RX_BYTES", "TX_PKTS", "TX_BYTES", "RX_MISSED",
		"RX_ERRORS", "RX_NOMBUF", "TX_ERRORS");
	int rc = simple_table(v, "ports", align, t, cols);

	return rc < 0 ? rc : print_table(t, out, "no ports");
}

int egw_render_workers(const struct egw_json *v, FILE *out)
{
	static const char *const cols[] = { "id", "lcore", "rx_packets", "tx_packets",
		"busy_percent", "polls", "busy_polls", "flows_active", "flows_created",
		"handoffs_out", "handoffs_in", "drops" };
	static const char align[] = "rrrrrrrrrrrr";
	struct egw_table *t = egw_table_new(align, "WORKER", "LCORE", "RX_PKTS", "TX_PKTS",
		"BUSY%", "POLLS", "BUSY_POLLS", "FLOWS", "FLOWS_CREATED", "HANDOFFS_OUT",
		"HANDOFFS_IN", "DROPS");
	int rc = simple_table(v, "workers", align, t, cols);

	return rc < 0 ? rc : print_table(t, out, "no workers");
}

int egw_render_policies(const struct egw_json *const *pages, unsigned n_pages, FILE *out)
{
	static const char *const cols[] = { "name", "flows_allowed", "flows_denied",
		"flows_active", "packets", "bytes" };
	static const char align[] = "lrrrrr";
	struct egw_table *t = egw_table_new(align, "POLICY", "ALLOWED", "DENIED", "ACTIVE",
		"PACKETS", "BYTES");
	int rc = 0;

	for (unsigned i = 0; i < n_pages && rc == 0; i++)
		rc = simple_table(pages[i], "policies", align, t, cols);
	if (rc < 0)
		return rc; /* simple_table freed T */
	rc = print_table(t, out, "no policies");
	if (rc == 0 && n_pages > 0)
		fprintf(out, "generation %s: %s policies configured\n",
			field(pages[0], "generation"), field(pages[n_pages - 1], "policies_total"));
	return rc;
}

/* A text member that may be empty (a neighbour without a MAC): "-" then. */
static const char *field_or_dash(const struct egw_json *obj, const char *key)
{
	const char *s = field(obj, key);

	return *s ? s : "-";
}

int egw_render_neighbors(const struct egw_json *const *pages, unsigned n_pages, FILE *out)
{
	struct egw_table *t =
		egw_table_new("llllrr", "ADDRESS", "PORT", "MAC", "STATE", "AGE_S", "PROBES");
	unsigned listed = 0;

	for (unsigned i = 0; i < n_pages; i++) {
		const struct egw_json *list = need(pages[i], "neighbors", EGW_JSON_OBJECT), **rows;
		int n = list ? egw_render_sorted(list, &rows) : -EPROTO;

		if (n < 0) {
			egw_table_free(t);
			return n;
		}
		for (int k = 0; k < n; k++) {
			egw_table_row(t);
			egw_table_cell(t, field(rows[k], "address"));
			egw_table_cell(t, field(rows[k], "port"));
			egw_table_cell(t, field_or_dash(rows[k], "mac"));
			egw_table_cell(t, field(rows[k], "state"));
			egw_table_cell(t, field(rows[k], "age_s"));
			egw_table_cell(t, field(rows[k], "probes"));
		}
		listed += (unsigned)n;
		free(rows);
		rows = NULL;
	}
	if (print_table(t, out, "no neighbors") < 0)
		return -EIO;
	if (n_pages > 0 && listed)
		fprintf(out, "%u neighbors\n", listed);
	return ferror(out) ? -EIO : 0;
}

static int pool_rows(struct egw_table *t, const struct egw_json *pool)
{
	const struct egw_json *addrs = egw_json_get(pool, "addresses"), **a = NULL;
	const char *name = field(pool, "name");
	int n = egw_render_sorted(addrs, &a);
	uint64_t total = field_u64(pool, "addresses_total");

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		egw_table_row(t);
		egw_table_cell(t, name);
		egw_table_cell(t, field(a[i], "address"));
		egw_table_cell(t, field(a[i], "ports_in_use"));
		egw_table_cell(t, field(a[i], "ports_free"));
		egw_table_cell(t, field(a[i], "exhausted"));
		egw_table_cell(t, "");
	}
	egw_table_row(t);
	egw_table_cell(t, name);
	if (total > (uint64_t)n)
		egw_table_cellf(t, "total (%d of %" PRIu64 " addresses listed)", n, total);
	else
		egw_table_cellf(t, "total (%d address%s)", n, n == 1 ? "" : "es");
	egw_table_cell(t, field(pool, "ports_in_use"));
	egw_table_cell(t, field(pool, "ports_free"));
	egw_table_cell(t, field(pool, "exhausted"));
	egw_table_cellf(t, "%s, %s ports/address", field(pool, "mapping"),
		field(pool, "ports_per_address"));
	free(a);
	a = NULL;
	return 0;
}

int egw_render_pools(const struct egw_json *v, FILE *out)
{
	const struct egw_json *pools = need(v, "pools", EGW_JSON_OBJECT), **p = NULL;
	struct egw_table *t;
	int n = pools ? egw_render_sorted(pools, &p) : -EPROTO, rc = 0;

	if (n < 0)
		return n;
	t = egw_table_new("llrrrl", "POOL", "ADDRESS", "IN_USE", "FREE", "EXHAUSTED", "MAPPING");
	for (int i = 0; i < n && rc == 0; i++)
		rc = pool_rows(t, p[i]);
	free(p);
	p = NULL;
	if (rc < 0) {
		egw_table_free(t);
		return rc;
	}
	rc = print_table(t, out, "no pools");
	if (rc == 0 && field_u64(v, "truncated"))
		fputs("(truncated: the reply did not fit; `egwctl pools NAME` lists one pool)\n",
			out);
	return rc;
}

/* ADDR:PORT, IPv6 in brackets; the address alone when the flow has no port. */
static void endpoint(struct egw_table *t, const struct egw_json *f, const char *addr_key,
	const char *port_key)
{
	const char *addr = field(f, addr_key);
	const struct egw_json *port = egw_json_get(f, port_key);

	if (!port || port->type == EGW_JSON_NULL)
		egw_table_cell(t, addr);
	else if (strchr(addr, ':'))
		egw_table_cellf(t, "[%s]:%s", addr, field(f, port_key));
	else
		egw_table_cellf(t, "%s:%s", addr, field(f, port_key));
}

int egw_render_flows(const struct egw_json *v, FILE *out)
{
	const struct egw_json *flows = need(v, "flows", EGW_JSON_OBJECT), **f = NULL;
	struct egw_table *t;
	int n = flows ? egw_render_sorted(flows, &f) : -EPROTO, rc;

	if (n < 0)
		return n;
	t = egw_table_new("llllllllrrrrr", "PROTO", "SRC:SPORT", "", "DST:DPORT", "NAT SRC:PORT",
		"STATE", "POLICY", "FLAGS", "AGE_S", "IDLE_S", "PKTS OUT/IN", "BYTES OUT/IN",
		"WORKER");
	for (int i = 0; i < n; i++) {
		egw_table_row(t);
		egw_table_cell(t, field(f[i], "proto"));
		endpoint(t, f[i], "src", "sport");
		egw_table_cell(t, "->");
		endpoint(t, f[i], "dst", "dport");
		endpoint(t, f[i], "nat_src", "nat_sport");
		egw_table_cell(t, field(f[i], "state"));
		egw_table_cell(t, field(f[i], "policy"));
		egw_table_cell(t, field(f[i], "flags"));
		egw_table_cell(t, field(f[i], "age_s"));
		egw_table_cell(t, field(f[i], "idle_s"));
		egw_table_cellf(t, "%s/%s", field(f[i], "packets_out"), field(f[i], "packets_in"));
		egw_table_cellf(t, "%s/%s", field(f[i], "bytes_out"), field(f[i], "bytes_in"));
		egw_table_cell(t, field(f[i], "worker"));
	}
	free(f);
	f = NULL;
	rc = n ? egw_table_print(t, out) : 0;
	egw_table_free(t);
	if (rc < 0)
		return rc;
	fprintf(out, "%s of %s matching flows shown", field(v, "listed"), field(v, "matched"));
	if (field_u64(v, "listed") < field_u64(v, "matched"))
		fprintf(out, " (limit %s: narrow the filter or raise limit=)", field(v, "limit"));
	putc('\n', out);
	return ferror(out) ? -EIO : 0;
}
