/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checks that need more than one key: required keys, addresses against the port's subnet,
 * ports against each other, pools against each other, references by name. Each check only
 * trusts values that parsed (port_addr_ok, port_role_ok), so one bad value is reported once
 * rather than again by every check that depends on it.
 */
#include <stdlib.h>
#include <string.h>

#include "conf_internal.h"

static void port_label(struct conf_ctx *ctx, unsigned i)
{
	conf_set_label(ctx, "port", ctx->conf->ports[i].name);
}

static void pool_label(struct conf_ctx *ctx, unsigned i)
{
	conf_set_label(ctx, "pool", ctx->conf->pools[i].name);
}

void conf_check_required(struct conf_ctx *ctx, const struct conf_sect_state *st,
	const struct conf_key *keys, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		if ((keys[k].flags & CONF_KEY_REQUIRED) && !st->key_line[k])
			conf_err(ctx, st->line, "%s missing required key '%s'", ctx->label,
				keys[k].name);
}

/* A usable host address on the port's subnet (not its network or broadcast address). */
static bool on_subnet(const struct egw_port_conf *port, uint32_t a)
{
	uint32_t mask = conf_mask(port->prefix_len);

	if ((a & mask) != (port->addr & mask))
		return false;
	return port->prefix_len >= 31 || ((a & ~mask) != 0 && (a & ~mask) != ~mask);
}

/* "on the port's subnet 198.18.0.0/24", for messages. */
static const char *subnet_str(char buf[24], const struct egw_port_conf *port)
{
	char a[16];

	snprintf(buf, 24, "%s/%u", egw_fmt_ipv4(a, port->addr & conf_mask(port->prefix_len)),
		port->prefix_len);
	return buf;
}

static void check_next_hop(struct conf_ctx *ctx, unsigned i, int line, const char *key,
	const char *what, uint32_t a)
{
	const struct egw_port_conf *port = &ctx->conf->ports[i];
	char s[16], net[24];

	if (!ctx->port_addr_ok[i])
		return;
	if (a == port->addr)
		conf_err_key(ctx, line, key, "%s%s is the port's own address", what,
			egw_fmt_ipv4(s, a));
	else if (!on_subnet(port, a))
		conf_err_key(ctx, line, key, "%s%s is not a host on the port's subnet %s", what,
			egw_fmt_ipv4(s, a), subnet_str(net, port));
}

static void check_required(struct conf_ctx *ctx, const struct conf_sect_state *st,
	enum conf_sect sect)
{
	unsigned n;
	const struct conf_key *keys = conf_keys_of(sect, &n);

	conf_check_required(ctx, st, keys, n);
}

static void check_port(struct conf_ctx *ctx, unsigned i)
{
	const struct egw_port_conf *port = &ctx->conf->ports[i];
	const struct conf_sect_state *st = &ctx->ports[i];
	char s[16], what[48];

	port_label(ctx, i);
	check_required(ctx, st, CONF_SECT_PORT);

	if (port->gateway) {
		int line = st->key_line[CONF_PORT_GATEWAY];

		if (ctx->port_role_ok[i] && port->role != EGW_ROLE_OUTSIDE)
			conf_err_key(ctx, line, "gateway",
				"only outside ports have a gateway (this port's role is inside)");
		else
			check_next_hop(ctx, i, line, "gateway", "", port->gateway);
	}
	for (unsigned r = 0; r < port->n_routes; r++) {
		snprintf(what, sizeof(what),
			"via for %s/%u: ", egw_fmt_ipv4(s, port->routes[r].prefix),
			port->routes[r].prefix_len);
		check_next_hop(ctx, i, ctx->route_line[i][r], "routes", what, port->routes[r].via);
	}
	for (unsigned n = 0; n < port->n_neighbors; n++) {
		int line = ctx->neighbor_line[i][n];
		uint32_t a = port->neighbors[n].addr;

		check_next_hop(ctx, i, line, "neighbors", "", a);
		for (unsigned m = 0; m < n; m++) {
			if (port->neighbors[m].addr == a) {
				conf_err_key(ctx, line, "neighbors",
					"%s is listed twice (first at line %d)", egw_fmt_ipv4(s, a),
					ctx->neighbor_line[i][m]);
				break;
			}
		}
	}
}

/* Routes are one table for the whole appliance: a prefix may be routed one way only. */
static void check_routes_unique(struct conf_ctx *ctx)
{
	const struct egw_conf *conf = ctx->conf;
	char s[16];

	for (unsigned i = 0; i < conf->n_ports; i++) {
		for (unsigned r = 0; r < conf->ports[i].n_routes; r++) {
			const struct egw_route_conf *a = &conf->ports[i].routes[r];
			bool found = false;

			for (unsigned j = 0; j <= i && !found; j++) {
				unsigned end = j == i ? r : conf->ports[j].n_routes;

				for (unsigned q = 0; q < end && !found; q++) {
					const struct egw_route_conf *b = &conf->ports[j].routes[q];

					if (a->prefix != b->prefix ||
						a->prefix_len != b->prefix_len)
						continue;
					found = true;
					port_label(ctx, i);
					conf_err_key(ctx, ctx->route_line[i][r], "routes",
						"%s/%u is already routed by [port %s] (line %d)",
						egw_fmt_ipv4(s, a->prefix), a->prefix_len,
						conf->ports[j].name, ctx->route_line[j][q]);
				}
			}
		}
	}
}

/*
 * What DPDK will see as the same device: PCI addresses compared as numbers (0000:3b:00.0 is
 * 3b:00.0), vdevs by the name before the first ',' (DPDK refuses two vdevs of one name).
 */
static void device_id(const struct egw_port_conf *port, char *buf, size_t size)
{
	unsigned dom = 0, bus, dev, fn;
	const char *d = port->device;

	if (port->is_pci) {
		if (strlen(d) == 12)
			sscanf(d, "%x:%x:%x.%x", &dom, &bus, &dev, &fn);
		else
			sscanf(d, "%x:%x.%x", &bus, &dev, &fn);
		snprintf(buf, size, "pci:%04x:%02x:%02x.%x", dom, bus, dev, fn);
	} else {
		snprintf(buf, size, "vdev:%.*s", (int)strcspn(d, ","), d);
	}
}

static void check_port_pair(struct conf_ctx *ctx, unsigned i, unsigned j)
{
	const struct egw_port_conf *a = &ctx->conf->ports[i], *b = &ctx->conf->ports[j];
	char ida[EGW_DEVICE_MAX + 8], idb[EGW_DEVICE_MAX + 8], q[CONF_QUOTE_MAX];
	char na[24], nb[24];
	int line;

	port_label(ctx, j);
	if (ctx->ports[i].key_line[CONF_PORT_DEVICE] && ctx->ports[j].key_line[CONF_PORT_DEVICE] &&
		a->device[0] && b->device[0]) {
		device_id(a, ida, sizeof(ida));
		device_id(b, idb, sizeof(idb));
		line = ctx->ports[j].key_line[CONF_PORT_DEVICE];
		/* One device carries several ports only as VLANs of it, written the same way
		 * (it is probed once, with the first port's string). */
		if (strcmp(ida, idb) == 0 && a->vlan == b->vlan)
			conf_err_key(ctx, line, "device",
				"'%s' is the same device as [port %s] (line %d) on the same %s",
				conf_quote(q, b->device, SIZE_MAX), a->name,
				ctx->ports[i].key_line[CONF_PORT_DEVICE],
				a->vlan ? "vlan" : "untagged LAN (set vlan = ID on each)");
		else if (strcmp(ida, idb) == 0 && strcmp(a->device, b->device) != 0)
			conf_err_key(ctx, line, "device",
				"'%s' is the device of [port %s] (line %d) written differently: "
				"VLAN ports of one device share its device string",
				conf_quote(q, b->device, SIZE_MAX), a->name,
				ctx->ports[i].key_line[CONF_PORT_DEVICE]);
		else if (strcmp(ida, idb) == 0 && a->has_mac && b->has_mac &&
			 memcmp(a->mac, b->mac, 6) != 0)
			conf_err_key(ctx, ctx->ports[j].key_line[CONF_PORT_MAC], "mac",
				"differs from [port %s] on the same device: a device has one MAC",
				a->name);
	}
	if (ctx->port_addr_ok[i] && ctx->port_addr_ok[j]) {
		unsigned len = a->prefix_len < b->prefix_len ? a->prefix_len : b->prefix_len;

		/* Overlapping subnets would make the connected route ambiguous. */
		if (((a->addr ^ b->addr) & conf_mask(len)) == 0)
			conf_err_key(ctx, ctx->ports[j].key_line[CONF_PORT_ADDRESS], "address",
				"subnet %s overlaps [port %s] subnet %s (line %d)",
				subnet_str(nb, b), a->name, subnet_str(na, a),
				ctx->ports[i].key_line[CONF_PORT_ADDRESS]);
	}
}

static void check_roles(struct conf_ctx *ctx)
{
	const struct egw_conf *conf = ctx->conf;
	unsigned inside = 0, outside = 0;

	for (unsigned i = 0; i < conf->n_ports; i++) {
		/* A port whose role is missing or wrong is reported already; guessing what it
		 * was meant to be would only add a second, misleading error. */
		if (!ctx->port_role_ok[i])
			return;
		if (conf->ports[i].role == EGW_ROLE_INSIDE)
			inside++;
		else
			outside++;
	}
	/* File-level (line 0): there is no line to point at for something that is absent. */
	if (!inside)
		conf_err(ctx, 0, "no inside port: add a [port NAME] with role = inside");
	if (!outside)
		conf_err(ctx, 0, "no outside port: add a [port NAME] with role = outside");
}

static const char *range_str(char buf[32], const struct conf_pool_item *it)
{
	char a[16], b[16];

	if (it->first == it->last)
		snprintf(buf, 32, "%s", egw_fmt_ipv4(a, it->first));
	else
		snprintf(buf, 32, "%s-%s", egw_fmt_ipv4(a, it->first), egw_fmt_ipv4(b, it->last));
	return buf;
}

static int item_cmp(const void *a, const void *b, void *arg)
{
	const struct conf_pool_item *items = arg;
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	if (items[x].first != items[y].first)
		return items[x].first < items[y].first ? -1 : 1;
	return x < y ? -1 : x > y;
}

/*
 * Every NAT address belongs to one pool once: a shared address would have two owners of
 * its port space. Items are sorted by first address; an item that starts before the
 * furthest end seen so far overlaps the item that reached there. Items are numbered in file
 * order, so the later one of the pair is the one reported.
 */
static void check_pool_overlaps(struct conf_ctx *ctx)
{
	const struct conf_pool_item *items = ctx->items;
	unsigned *order, best;
	char ra[32], rb[32], other[EGW_NAME_MAX + 16];

	if (ctx->n_items < 2)
		return;
	order = malloc((size_t)ctx->n_items * sizeof(*order));
	if (!order) {
		ctx->nomem = true;
		return;
	}
	for (unsigned i = 0; i < ctx->n_items; i++)
		order[i] = i;
	qsort_r(order, ctx->n_items, sizeof(*order), item_cmp, ctx->items);
	best = order[0];
	for (unsigned k = 1; k < ctx->n_items; k++) {
		unsigned cur = order[k];

		if (items[cur].first <= items[best].last) {
			const struct conf_pool_item *late = &items[cur > best ? cur : best];
			const struct conf_pool_item *early = &items[cur > best ? best : cur];

			if (late->pool == early->pool)
				other[0] = '\0';
			else
				snprintf(other, sizeof(other), " in [pool %s]",
					ctx->conf->pools[early->pool].name);
			pool_label(ctx, late->pool);
			conf_err_key(ctx, late->line, "addresses", "'%s' overlaps '%s'%s (line %d)",
				range_str(ra, late), range_str(rb, early), other, early->line);
		}
		if (items[cur].last > items[best].last)
			best = cur;
	}
	free(order);
	order = NULL;
}

static void check_pools(struct conf_ctx *ctx)
{
	for (unsigned i = 0; i < ctx->conf->n_pools; i++) {
		const struct conf_sect_state *st = &ctx->pools[i];

		pool_label(ctx, i);
		check_required(ctx, st, CONF_SECT_POOL);
		if (st->key_line[CONF_POOL_ADDRESSES] && ctx->pool_items_tried[i] == 0)
			conf_err_key(ctx, st->key_line[CONF_POOL_ADDRESSES], "addresses",
				"no addresses given");
		/* Filtering decides what reaches an endpoint-independent mapping; with
		 * endpoint-dependent mapping every reply needs its own flow. */
		if (st->key_line[CONF_POOL_FILTERING] &&
			ctx->conf->pools[i].mapping == EGW_MAPPING_ENDPOINT_DEPENDENT &&
			ctx->conf->pools[i].filtering != EGW_FILTERING_ADDRESS_AND_PORT_DEPENDENT)
			conf_err_key(ctx, st->key_line[CONF_POOL_FILTERING], "filtering",
				"needs mapping = endpoint-independent");
	}
	check_pool_overlaps(ctx);
}

static void check_egress(struct conf_ctx *ctx)
{
	const struct egw_conf *conf = ctx->conf;
	const struct conf_sect_state *st = &ctx->single[CONF_SECT_EGRESS];
	char q[CONF_QUOTE_MAX];

	conf_set_label(ctx, "egress", NULL);
	if (conf->egress.default_pool[0] && !egw_conf_pool_find(conf, conf->egress.default_pool))
		conf_err_key(ctx, st->key_line[CONF_EGRESS_DEFAULT_POOL], "default_pool",
			"no [pool %s] is defined",
			conf_quote(q, conf->egress.default_pool, SIZE_MAX));
	if (conf->egress.mode == EGW_MODE_PASSTHROUGH && !conf->egress.default_pool[0])
		conf_err_key(ctx, st->key_line[CONF_EGRESS_MODE], "mode",
			"passthrough needs default_pool (the pool every allowed flow is translated "
			"with)");
	/* Only a configured total can be this small (the default, 64 MiB, exceeds the largest
	 * host_hold_bytes); both values parsed, a bad one was reported already. */
	if (conf->egress.host_hold_total < conf->egress.host_hold_bytes)
		conf_err_key(ctx, st->key_line[CONF_EGRESS_HOST_HOLD_TOTAL], "host_hold_total",
			"%u is less than host_hold_bytes %u (one pending flow could not hold its "
			"first data)",
			conf->egress.host_hold_total, conf->egress.host_hold_bytes);
}

void conf_validate(struct conf_ctx *ctx)
{
	const struct egw_conf *conf = ctx->conf;

	for (unsigned i = 0; i < conf->n_ports; i++)
		check_port(ctx, i);
	for (unsigned j = 1; j < conf->n_ports; j++)
		for (unsigned i = 0; i < j; i++)
			check_port_pair(ctx, i, j);
	check_routes_unique(ctx);
	check_roles(ctx);
	check_pools(ctx);
	check_egress(ctx);
	conf_tunnel_validate(ctx);
}
