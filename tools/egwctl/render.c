/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "table.h"

struct sort_item {
	struct egw_member m;
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
	return strcmp(x->m.key, y->m.key);
}

int egw_render_sorted(json_t *obj, struct egw_member **out)
{
	struct sort_item *items;
	const char *key;
	json_t *v;
	size_t n = 0;

	*out = NULL;
	if (!json_is_object(obj) || json_object_size(obj) == 0)
		return 0;
	items = calloc(json_object_size(obj), sizeof(*items));
	*out = calloc(json_object_size(obj), sizeof(**out));
	if (!items || !*out) {
		free(items);
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	json_object_foreach(obj, key, v)
	{
		const char *d = key + strcspn(key, "0123456789");
		char *end;

		if (!json_is_object(v))
			continue;
		items[n].m = (struct egw_member){ key, v };
		if (*d) {
			errno = 0;
			items[n].num = strtoull(d, &end, 10);
			items[n].has_num = *end == 0 && errno == 0;
		}
		n++;
	}
	qsort(items, n, sizeof(*items), cmp_items);
	for (size_t i = 0; i < n; i++)
		(*out)[i] = items[i].m;
	free(items);
	items = NULL;
	return (int)n;
}

/*
 * A scalar as an operator reads it: a string's text, a number as JSON writes it, "true",
 * "false", "null"; NULL for a container or a NULL V. Numbers are formatted into one of a few
 * rotating buffers: they live long enough for the cells of one row.
 */
static const char *scalar_text(json_t *v)
{
	static char bufs[8][32];
	static unsigned next;
	char *b = bufs[next++ % 8];

	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_value(v);
	case JSON_INTEGER:
		snprintf(b, sizeof(bufs[0]), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return b;
	case JSON_REAL:
		snprintf(b, sizeof(bufs[0]), "%g", json_real_value(v));
		return b;
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
		return "null";
	default:
		return NULL;
	}
}

/* Member KEY of OBJ as text; "-" when missing, null or not a scalar. */
static const char *field(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	const char *s = v && !json_is_null(v) ? scalar_text(v) : NULL;

	return s ? s : "-";
}

/* A non-negative integer member, or 0. */
static uint64_t field_u64(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) :
								 0;
}

/* A flag the daemon may send as 0/1 or false/true. */
static const char *field_bool(json_t *obj, const char *key, const char *yes, const char *no)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return "-";
	if (json_is_boolean(v))
		return json_is_true(v) ? yes : no;
	if (json_is_integer(v))
		return json_integer_value(v) ? yes : no;
	return field(obj, key);
}

static const char *type_name(json_type type)
{
	static const char *const names[] = {
		[JSON_OBJECT] = "object",
		[JSON_ARRAY] = "array",
		[JSON_STRING] = "string",
		[JSON_INTEGER] = "integer",
		[JSON_REAL] = "number",
		[JSON_TRUE] = "boolean",
		[JSON_FALSE] = "boolean",
		[JSON_NULL] = "null",
	};

	return (unsigned)type < sizeof(names) / sizeof(names[0]) ? names[type] : "value";
}

static json_t *need(json_t *obj, const char *key, json_type type)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_typeof(v) != type) {
		fprintf(stderr, "egwctl: the reply has no %s \"%s\"%s\n", type_name(type), key,
			json_is_object(obj) ? "" : " (not an object)");
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
static void print_pair(FILE *out, int width, const char *key, json_t *v)
{
	fprintf(out, "%s:%*s", key, width - (int)strlen(key) + 1, "");
	if (json_is_object(v) || json_is_array(v))
		json_dumpf(v, out, JSON_COMPACT);
	else if (json_is_string(v) && json_string_length(v) == 0)
		fputs("-", out);
	else if (json_is_string(v))
		print_value(out, width, json_string_value(v), json_string_length(v));
	else
		fputs(scalar_text(v), out);
}

static int key_width(json_t *obj, const char *skip)
{
	const char *key;
	json_t *v;
	int w = 0;

	json_object_foreach(obj, key, v) if ((!skip || strcmp(key, skip) != 0) &&
					     (int)strlen(key) > w) w = (int)strlen(key);
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

int egw_render_status(json_t *info, FILE *out)
{
	/* The order an operator reads them in; members a newer daemon adds follow. */
	static const char *const order[] = { "version", "mode", "uptime_s", "config_path",
		"config_sha256", "policy_generation", "workers", "last_reload", "metrics_listen",
		"flow_log" };
	const size_t n_order = sizeof(order) / sizeof(order[0]);
	const char *key;
	json_t *v;
	int w;

	if (!json_is_object(info)) {
		fprintf(stderr, "egwctl: the reply is not an object\n");
		return -EPROTO;
	}
	w = key_width(info, NULL);
	for (size_t i = 0; i < n_order; i++) {
		v = json_object_get(info, order[i]);
		if (!v)
			continue;
		/* An empty listen address or log path means the feature is off. */
		if ((i == 8 || i == 9) && json_is_string(v) && json_string_length(v) == 0) {
			fprintf(out, "%s:%*soff\n", order[i], w - (int)strlen(order[i]) + 1, "");
			continue;
		}
		print_pair(out, w, order[i], v);
		if (i == 2 && json_is_integer(v) && json_integer_value(v) >= 0)
			print_uptime(out, (uint64_t)json_integer_value(v));
		putc('\n', out);
	}
	json_object_foreach(info, key, v)
	{
		size_t i = 0;

		while (i < n_order && strcmp(key, order[i]) != 0)
			i++;
		if (i == n_order) {
			print_pair(out, w, key, v);
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
static int print_drops(json_t *drops, FILE *out)
{
	struct drop *d = calloc(json_object_size(drops) + 1, sizeof(*d));
	struct egw_table *t;
	const char *key;
	json_t *v;
	size_t n = 0;
	int rc;

	if (!d)
		return -ENOMEM;
	json_object_foreach(drops, key, v) if (json_is_integer(v) && json_integer_value(v) > 0)
		d[n++] = (struct drop){ key, (uint64_t)json_integer_value(v) };
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

int egw_render_stats(json_t *stats, FILE *out)
{
	json_t *drops = need(stats, "drops", JSON_OBJECT), *v;
	const char *key;
	int w;

	if (!drops)
		return -EPROTO;
	w = key_width(stats, "drops");
	json_object_foreach(stats, key, v)
	{
		if (v == drops)
			continue;
		print_pair(out, w, key, v);
		putc('\n', out);
	}
	putc('\n', out);
	return print_drops(drops, out);
}

/* One row per member of OBJ[KEY]: COLS names the fields, one cell each. */
static int simple_table(json_t *v, const char *key, const char *align, struct egw_table *t,
	const char *const *cols)
{
	json_t *obj = need(v, key, JSON_OBJECT);
	struct egw_member *rows = NULL;
	int n = obj ? egw_render_sorted(obj, &rows) : -EPROTO;

	if (n < 0) {
		egw_table_free(t);
		return n;
	}
	for (int i = 0; i < n; i++) {
		egw_table_row(t);
		for (size_t c = 0; c < strlen(align); c++) {
			if (strcmp(cols[c], "link_up") == 0)
				egw_table_cell(t, field_bool(rows[i].value, cols[c], "up", "down"));
			else
				egw_table_cell(t, field(rows[i].value, cols[c]));
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

int egw_render_ports(json_t *v, FILE *out)
{
	static const char *const cols[] = { "name", "id", "vlan", "role", "address", "mac",
		"link_up", "speed_mbps", "mtu", "rx_packets", "rx_bytes", "tx_packets", "tx_bytes",
		"rx_missed", "rx_errors", "rx_nombuf", "tx_errors", "tx_full", "rx_ring_drops",
		"if_rx_dropped", "if_tx_dropped" };
	static const char align[] = "lrrllllrrrrrrrrrrrrrr";
	struct egw_table *t = egw_table_new(align, "PORT", "ID", "VLAN", "ROLE", "ADDRESS", "MAC",
		"LINK", "SPEED_MBPS", "MTU", "RX_PKTS", "RX_BYTES", "TX_PKTS", "TX_BYTES",
		"RX_MISSED", "RX_ERRORS", "RX_NOMBUF", "TX_ERRORS", "TX_FULL", "RX_RING_DROPS",
		"IF_RX_DROPPED", "IF_TX_DROPPED");
	int rc = simple_table(v, "ports", align, t, cols);

	return rc < 0 ? rc : print_table(t, out, "no ports");
}

int egw_render_workers(json_t *v, FILE *out)
{
	static const char *const cols[] = { "id", "lcore", "rx_packets", "tx_packets",
		"busy_percent", "polls", "busy_polls", "flows_active", "flows_created",
		"handoffs_out", "handoffs_in", "drops" };
	static const char align[] = "rrrrrrrrrrrr";
	struct egw_table *t = egw_table_new(align, "WORKER", "LCORE", "RX_PKTS", "TX_PKTS", "BUSY%",
		"POLLS", "BUSY_POLLS", "FLOWS", "FLOWS_CREATED", "HANDOFFS_OUT", "HANDOFFS_IN",
		"DROPS");
	int rc = simple_table(v, "workers", align, t, cols);

	return rc < 0 ? rc : print_table(t, out, "no workers");
}

int egw_render_sources(json_t *v, FILE *out)
{
	static const char *const cols[] = { "address", "mappings" };
	static const char align[] = "lr";
	struct egw_table *t = egw_table_new(align, "SOURCE", "MAPPINGS");
	int rc = simple_table(v, "sources", align, t, cols);

	return rc < 0 ? rc : print_table(t, out, "no source holds a live mapping");
}

int egw_render_tunnels(json_t *v, FILE *out)
{
	static const char *const transports[] = { "http", "https", "h2c", "h2", "socks5" };
	/* Every result but allowed and denied (lib/tunnel/tunnel.h): counted as failed. */
	static const char *const failed[] = { "bad_request", "auth_failed", "unresolvable",
		"upstream_refused", "upstream_unreachable", "upstream_timeout", "too_many_clients",
		"timeout", "internal", "abandoned" };
	struct egw_table *t;
	int rc;

	if (!json_is_object(v))
		return -EPROTO;
	if (field_u64(v, "enabled") == 0) {
		fprintf(out, "no tunnel service ([tunnel] has no listener)\n");
		return 0;
	}
	t = egw_table_new("lrrrrrrr", "TRANSPORT", "CLIENTS", "TOTAL", "ALLOWED", "DENIED",
		"FAILED", "BYTES_UP", "BYTES_DOWN");
	for (size_t i = 0; i < sizeof(transports) / sizeof(transports[0]); i++) {
		json_t *r = need(v, transports[i], JSON_OBJECT);
		uint64_t n = 0;

		if (!r) {
			egw_table_free(t);
			return -EPROTO;
		}
		for (size_t k = 0; k < sizeof(failed) / sizeof(failed[0]); k++)
			n += field_u64(r, failed[k]);
		egw_table_row(t);
		egw_table_cell(t, transports[i]);
		egw_table_cell(t, field(r, "clients_current"));
		egw_table_cell(t, field(r, "clients_total"));
		egw_table_cell(t, field(r, "allowed"));
		egw_table_cell(t, field(r, "denied"));
		egw_table_cellf(t, "%llu", (unsigned long long)n);
		egw_table_cell(t, field(r, "bytes_up"));
		egw_table_cell(t, field(r, "bytes_down"));
	}
	rc = print_table(t, out, "");
	if (rc == 0)
		fprintf(out,
			"clients %s, tunnels %s, memory %s bytes, upstream flows admitted %s\n",
			field(v, "clients_current"), field(v, "tunnels_current"),
			field(v, "memory_bytes"), field(v, "upstream_admitted"));
	return rc;
}

int egw_render_policies(json_t *const *pages, unsigned n_pages, FILE *out)
{
	static const char *const cols[] = { "name", "flows_allowed", "flows_denied", "flows_active",
		"packets", "bytes" };
	static const char align[] = "lrrrrr";
	struct egw_table *t =
		egw_table_new(align, "POLICY", "ALLOWED", "DENIED", "ACTIVE", "PACKETS", "BYTES");
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
static const char *field_or_dash(json_t *obj, const char *key)
{
	const char *s = field(obj, key);

	return *s ? s : "-";
}

int egw_render_neighbors(json_t *const *pages, unsigned n_pages, FILE *out)
{
	struct egw_table *t =
		egw_table_new("llllrr", "ADDRESS", "PORT", "MAC", "STATE", "AGE_S", "PROBES");
	unsigned listed = 0;

	for (unsigned i = 0; i < n_pages; i++) {
		json_t *list = need(pages[i], "neighbors", JSON_OBJECT);
		struct egw_member *rows = NULL;
		int n = list ? egw_render_sorted(list, &rows) : -EPROTO;

		if (n < 0) {
			egw_table_free(t);
			return n;
		}
		for (int k = 0; k < n; k++) {
			egw_table_row(t);
			egw_table_cell(t, field(rows[k].value, "address"));
			egw_table_cell(t, field(rows[k].value, "port"));
			egw_table_cell(t, field_or_dash(rows[k].value, "mac"));
			egw_table_cell(t, field(rows[k].value, "state"));
			egw_table_cell(t, field(rows[k].value, "age_s"));
			egw_table_cell(t, field(rows[k].value, "probes"));
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

int egw_render_pages_json(const char *cmd, const char *list, json_t *const *pages, unsigned n_pages,
	FILE *out)
{
	json_t *all = n_pages ? json_deep_copy(pages[n_pages - 1]) : NULL;
	json_t *entries = json_object(), *doc = json_object();
	int rc = -ENOMEM;

	if (!all || !entries || !doc)
		goto out;
	for (unsigned i = 0; i < n_pages; i++) {
		struct egw_member *p = NULL;
		int n = egw_render_sorted(json_object_get(pages[i], list), &p);

		for (int k = 0; k < n; k++)
			json_object_set(entries, p[k].key, p[k].value);
		free(p);
		p = NULL;
		if (n < 0)
			goto out;
	}
	/* As if the first reply had held every entry: no next page. */
	if (json_object_set_new(all, "offset", json_integer(0)) < 0 ||
		json_object_set_new(all, "next_offset", json_integer(0)) < 0 ||
		json_object_set(all, list, entries) < 0 || json_object_set(doc, cmd, all) < 0)
		goto out;
	rc = json_dumpf(doc, out, JSON_COMPACT) < 0 || putc('\n', out) == EOF ? -EIO : 0;
out:
	json_decref(doc);
	json_decref(entries);
	json_decref(all);
	return rc;
}

static int pool_rows(struct egw_table *t, json_t *pool)
{
	struct egw_member *a = NULL;
	const char *name = field(pool, "name");
	int n = egw_render_sorted(json_object_get(pool, "addresses"), &a);
	uint64_t total = field_u64(pool, "addresses_total");

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		egw_table_row(t);
		egw_table_cell(t, name);
		egw_table_cell(t, field(a[i].value, "address"));
		egw_table_cell(t, field(a[i].value, "ports_in_use"));
		egw_table_cell(t, field(a[i].value, "ports_free"));
		egw_table_cell(t, field(a[i].value, "exhausted"));
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
	if (json_object_get(pool, "filtering"))
		egw_table_cellf(t, "%s, %s filtering, %s ports/address", field(pool, "mapping"),
			field(pool, "filtering"), field(pool, "ports_per_address"));
	else /* a daemon from before filtering was configurable */
		egw_table_cellf(t, "%s, %s ports/address", field(pool, "mapping"),
			field(pool, "ports_per_address"));
	free(a);
	a = NULL;
	return 0;
}

int egw_render_pools(json_t *v, FILE *out)
{
	json_t *pools = need(v, "pools", JSON_OBJECT);
	struct egw_member *p = NULL;
	struct egw_table *t;
	int n = pools ? egw_render_sorted(pools, &p) : -EPROTO, rc = 0;

	if (n < 0)
		return n;
	t = egw_table_new("llrrrl", "POOL", "ADDRESS", "IN_USE", "FREE", "EXHAUSTED", "MAPPING");
	for (int i = 0; i < n && rc == 0; i++)
		rc = pool_rows(t, p[i].value);
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
static void endpoint(struct egw_table *t, json_t *f, const char *addr_key, const char *port_key)
{
	const char *addr = field(f, addr_key);
	json_t *port = json_object_get(f, port_key);

	if (!port || json_is_null(port))
		egw_table_cell(t, addr);
	else if (strchr(addr, ':'))
		egw_table_cellf(t, "[%s]:%s", addr, field(f, port_key));
	else
		egw_table_cellf(t, "%s:%s", addr, field(f, port_key));
}

int egw_render_names(json_t *v, FILE *out)
{
	json_t *names = need(v, "names", JSON_OBJECT);
	struct egw_member *e = NULL;
	struct egw_table *t;
	int n = names ? egw_render_sorted(names, &e) : -EPROTO, rc;

	if (n < 0)
		return n;
	t = egw_table_new("llr", "NAME", "ADDRESS", "TTL_S");
	for (int i = 0; i < n; i++) {
		egw_table_row(t);
		egw_table_cell(t, field(e[i].value, "name"));
		egw_table_cell(t, field(e[i].value, "address"));
		egw_table_cell(t, field(e[i].value, "ttl"));
	}
	free(e);
	e = NULL;
	rc = n ? egw_table_print(t, out) : 0;
	egw_table_free(t);
	if (rc < 0)
		return rc;
	fprintf(out, "%s entries shown of %s learned (%s names)", field(v, "listed"),
		field(v, "entries"), field(v, "distinct_names"));
	if (strcmp(field(v, "more"), "yes") == 0)
		fprintf(out, " (limit %s: narrow the filter or raise limit=)", field(v, "limit"));
	fprintf(out, "; evicted %s per name, %s for the total cap\n", field(v, "evicted_per_name"),
		field(v, "evicted_total"));
	return ferror(out) ? -EIO : 0;
}

/* The host name a flow was decided on ("-" when none; "(ech)" after an outer SNI). */
static void host_cell(struct egw_table *t, json_t *f)
{
	const char *name = field(f, "server_name");

	if (!*name || strcmp(name, "-") == 0)
		egw_table_cell(t, "-");
	else if (field_u64(f, "ech"))
		egw_table_cellf(t, "%s (ech)", name);
	else
		egw_table_cell(t, name);
}

int egw_render_flows(json_t *v, FILE *out)
{
	json_t *flows = need(v, "flows", JSON_OBJECT);
	struct egw_member *f = NULL;
	struct egw_table *t;
	int n = flows ? egw_render_sorted(flows, &f) : -EPROTO, rc;

	if (n < 0)
		return n;
	t = egw_table_new("lllllllllrrrrr", "PROTO", "SRC:SPORT", "", "DST:DPORT", "HOST",
		"NAT SRC:PORT", "STATE", "POLICY", "FLAGS", "AGE_S", "IDLE_S", "PKTS OUT/IN",
		"BYTES OUT/IN", "WORKER");
	for (int i = 0; i < n; i++) {
		json_t *r = f[i].value;

		egw_table_row(t);
		egw_table_cell(t, field(r, "proto"));
		endpoint(t, r, "src", "sport");
		egw_table_cell(t, "->");
		endpoint(t, r, "dst", "dport");
		host_cell(t, r);
		endpoint(t, r, "nat_src", "nat_sport");
		egw_table_cell(t, field(r, "state"));
		egw_table_cell(t, field(r, "policy"));
		/* A late-bound flow (issue 12) says so beside its flags. */
		if (strcmp(field(r, "binding"), "late") == 0)
			egw_table_cellf(t, "%s,late", field(r, "flags"));
		else
			egw_table_cell(t, field(r, "flags"));
		egw_table_cell(t, field(r, "age_s"));
		egw_table_cell(t, field(r, "idle_s"));
		egw_table_cellf(t, "%s/%s", field(r, "packets_out"), field(r, "packets_in"));
		egw_table_cellf(t, "%s/%s", field(r, "bytes_out"), field(r, "bytes_in"));
		egw_table_cell(t, field(r, "worker"));
	}
	free(f);
	f = NULL;
	rc = n ? egw_table_print(t, out) : 0;
	egw_table_free(t);
	if (rc < 0)
		return rc;
	/* Every page merged (egwctl flows): all of them, or --limit's worth. */
	if (json_object_get(v, "more")) {
		fprintf(out, "%s flows listed%s\n", field(v, "listed"),
			field_u64(v, "more") ? " (--limit reached; more may match)" : "");
		return ferror(out) ? -EIO : 0;
	}
	fprintf(out, "%s of %s matching flows shown", field(v, "listed"), field(v, "matched"));
	if (field_u64(v, "listed") < field_u64(v, "matched"))
		fprintf(out, " (limit %s: narrow the filter or raise limit=)", field(v, "limit"));
	putc('\n', out);
	return ferror(out) ? -EIO : 0;
}
