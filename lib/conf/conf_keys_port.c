/* SPDX-License-Identifier: BSD-3-Clause */
/* [port NAME]: the keys of one DPDK port and the values they take. */
#include <string.h>

#include "conf_internal.h"

static struct egw_port_conf *cur_port(struct conf_ctx *ctx)
{
	return &ctx->conf->ports[ctx->idx];
}

void conf_port_init(struct egw_port_conf *port)
{
	memset(port, 0, sizeof(*port));
	port->mtu = 1500;
	/* Linux's defaults (base_reachable_time 30 s, ucast_probes 3); gc as its gc_stale_time
	 * with the appliance's patience: 300 s. */
	port->neighbor_reachable = 30;
	port->neighbor_probes = 3;
	port->neighbor_gc = 300;
}

static bool hex_run(const char *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

/* DDDD:BB:DD.F or BB:DD.F, hex, function 0-7 (the forms rte_pci_addr_parse() accepts). */
bool conf_device_is_pci(const char *s)
{
	size_t n = strlen(s);

	if (n == 12) {
		if (!hex_run(s, 4) || s[4] != ':')
			return false;
		s += 5;
	} else if (n != 7) {
		return false;
	}
	return hex_run(s, 2) && s[2] == ':' && hex_run(s + 3, 2) && s[5] == '.' && s[6] >= '0' &&
	       s[6] <= '7';
}

static void set_device(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	if (conf_store_string(ctx, key, value) == 0)
		cur_port(ctx)->is_pci = conf_device_is_pci(value);
}

static void set_role(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	static const char *const names[] = {
		[EGW_ROLE_INSIDE] = "inside",
		[EGW_ROLE_OUTSIDE] = "outside",
	};
	int i = conf_parse_enum(ctx, key, value, names, CONF_ARRAY_SIZE(names));

	if (i < 0)
		return;
	cur_port(ctx)->role = (enum egw_port_role)i;
	ctx->port_role_ok[ctx->idx] = true;
}

static void set_address(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	struct egw_port_conf *port = cur_port(ctx);
	uint32_t a, mask;
	uint8_t len;

	if (egw_parse_ifaddr(value, &a, &len) < 0) {
		conf_err_value(ctx, key, value,
			"is not an interface address a.b.c.d/len (len 1-32, e.g. 198.18.0.1/24)");
		return;
	}
	if (!conf_addr_usable(a)) {
		conf_err_value(ctx, key, value, "is not a usable unicast address");
		return;
	}
	mask = conf_mask(len);
	/* On /31 (RFC 3021) and /32 every address is a host; below that the all-zeros and
	 * all-ones hosts are the network and the directed broadcast. */
	if (len <= 30 && (a & ~mask) == 0) {
		conf_err_value(ctx, key, value, "is the network address of its subnet");
		return;
	}
	if (len <= 30 && (a & ~mask) == ~mask) {
		conf_err_value(ctx, key, value, "is the broadcast address of its subnet");
		return;
	}
	port->addr = a;
	port->prefix_len = len;
	ctx->port_addr_ok[ctx->idx] = true;
}

static int parse_host(struct conf_ctx *ctx, const struct conf_key *key, const char *s, uint32_t *a)
{
	if (egw_parse_ipv4(s, a) < 0) {
		conf_err_value(ctx, key, s, "is not an IPv4 address a.b.c.d");
		return -1;
	}
	if (!conf_addr_usable(*a)) {
		conf_err_value(ctx, key, s, "is not a usable unicast address");
		return -1;
	}
	return 0;
}

static void set_gateway(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	uint32_t a;

	if (parse_host(ctx, key, value, &a) == 0)
		cur_port(ctx)->gateway = a;
}

/* Splits S on blanks into at most N tokens (writes into S); returns how many it found. */
static unsigned split_blanks(char *s, char **tok, unsigned n)
{
	unsigned k = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			return k;
		if (k == n)
			return n + 1;
		tok[k++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = '\0';
	}
}

static void route_item(struct conf_ctx *ctx, const struct conf_key *key, const char *s)
{
	struct egw_port_conf *port = cur_port(ctx);
	char buf[256], *tok[3];
	uint32_t prefix, via;
	uint8_t len;

	conf_copy(buf, sizeof(buf), s);
	if (split_blanks(buf, tok, 3) != 3 || strcmp(tok[1], "via") != 0) {
		conf_err_value(ctx, key, s, "is not a route 'CIDR via ADDR'");
		return;
	}
	if (conf_parse_network(ctx, key, tok[0], false, "a network a.b.c.d/len", &prefix, &len) < 0)
		return;
	if (parse_host(ctx, key, tok[2], &via) < 0)
		return;
	if (port->n_routes == EGW_MAX_ROUTES) {
		if (!ctx->port_routes_full[ctx->idx])
			conf_err_key(ctx, ctx->lineno, key->name, "too many routes (max %d)",
				EGW_MAX_ROUTES);
		ctx->port_routes_full[ctx->idx] = true;
		return;
	}
	ctx->route_line[ctx->idx][port->n_routes] = ctx->lineno;
	port->routes[port->n_routes++] =
		(struct egw_route_conf){ .prefix = prefix, .prefix_len = len, .via = via };
}

static void set_routes(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	conf_list_each(ctx, key, value, route_item);
}

static int parse_unicast_mac(struct conf_ctx *ctx, const struct conf_key *key, const char *s,
	uint8_t mac[6])
{
	static const uint8_t zero[6];

	if (egw_parse_mac(s, mac) < 0) {
		conf_err_value(ctx, key, s, "is not a MAC address xx:xx:xx:xx:xx:xx");
		return -1;
	}
	if (mac[0] & 1) {
		conf_err_value(ctx, key, s, "is a multicast MAC address; a unicast one is needed");
		return -1;
	}
	if (memcmp(mac, zero, sizeof(zero)) == 0) {
		conf_err_value(ctx, key, s, "is the all-zero MAC address");
		return -1;
	}
	return 0;
}

static void neighbor_item(struct conf_ctx *ctx, const struct conf_key *key, const char *s)
{
	struct egw_port_conf *port = cur_port(ctx);
	char buf[256], *tok[2];
	struct egw_neighbor_conf nb;

	conf_copy(buf, sizeof(buf), s);
	if (split_blanks(buf, tok, 2) != 2) {
		conf_err_value(ctx, key, s, "is not a neighbor 'ADDR MAC'");
		return;
	}
	if (parse_host(ctx, key, tok[0], &nb.addr) < 0 ||
		parse_unicast_mac(ctx, key, tok[1], nb.mac) < 0)
		return;
	if (port->n_neighbors == EGW_MAX_STATIC_NEIGHBORS) {
		if (!ctx->port_neighbors_full[ctx->idx])
			conf_err_key(ctx, ctx->lineno, key->name, "too many neighbors (max %d)",
				EGW_MAX_STATIC_NEIGHBORS);
		ctx->port_neighbors_full[ctx->idx] = true;
		return;
	}
	ctx->neighbor_line[ctx->idx][port->n_neighbors] = ctx->lineno;
	port->neighbors[port->n_neighbors++] = nb;
}

static void set_neighbors(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	conf_list_each(ctx, key, value, neighbor_item);
}

static void set_mac(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	struct egw_port_conf *port = cur_port(ctx);

	if (parse_unicast_mac(ctx, key, value, port->mac) == 0)
		port->has_mac = true;
}

static void set_mtu(struct conf_ctx *ctx, const struct conf_key *key, const char *value)
{
	uint32_t v;

	if (egw_parse_u32(value, key->min, key->max, &v) < 0) {
		conf_err_value(ctx, key, value, "is not an integer within %u-%u", key->min,
			key->max);
		return;
	}
	cur_port(ctx)->mtu = (uint16_t)v;
}

/* The order is the CONF_PORT_* enum of conf_internal.h. */
#define P(f) CONF_FIELD(struct egw_port_conf, f)

const struct conf_key conf_port_keys[] = {
	[CONF_PORT_DEVICE] = { "device", set_device, CONF_KEY_REQUIRED | CONF_KEY_NONEMPTY,
		P(device), 0, 0, "a PCI address or a vdev string" },
	[CONF_PORT_ROLE] = { "role", set_role, CONF_KEY_REQUIRED },
	[CONF_PORT_ADDRESS] = { "address", set_address, CONF_KEY_REQUIRED },
	[CONF_PORT_GATEWAY] = { "gateway", set_gateway, 0 },
	[CONF_PORT_ROUTES] = { "routes", set_routes, CONF_KEY_LIST },
	[CONF_PORT_NEIGHBORS] = { "neighbors", set_neighbors, CONF_KEY_LIST },
	[CONF_PORT_MAC] = { "mac", set_mac, 0 },
	[CONF_PORT_MTU] = { "mtu", set_mtu, 0, P(mtu), 68, 9000 },
	[CONF_PORT_NEIGHBOR_REACHABLE] = { "neighbor_reachable", conf_set_u32, 0,
		P(neighbor_reachable), 1, 3600 },
	[CONF_PORT_NEIGHBOR_PROBES] = { "neighbor_probes", conf_set_u32, 0, P(neighbor_probes), 1,
		10 },
	[CONF_PORT_NEIGHBOR_GC] = { "neighbor_gc", conf_set_u32, 0, P(neighbor_gc), 1, 86400 },
	[CONF_PORT_VLAN] = { "vlan", conf_set_u32, 0, P(vlan), 1, 4094 },
};

#undef P

const unsigned conf_n_port_keys = CONF_ARRAY_SIZE(conf_port_keys);
_Static_assert(CONF_ARRAY_SIZE(conf_port_keys) <= CONF_MAX_KEYS, "raise CONF_MAX_KEYS");
