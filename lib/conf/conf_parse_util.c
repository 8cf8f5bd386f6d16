/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Small value parsers shared by the config, the policy files and egwctl.
 * All of them are strict: the whole string must match, with no surrounding blanks, signs,
 * octal/hex forms or trailing garbage, so that a typo is an error rather than a different value.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include <rte_ether.h>

#include "conf.h"
#include "conf_internal.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Decimal number of at most MAXDIGITS digits (a prefix length). A leading zero is refused on
 * multi-digit numbers, as inet_pton() refuses it in an address part: "/08" is a typo.
 */
static const char *scan_dec(const char *s, unsigned maxdigits, uint32_t *out)
{
	uint32_t v = 0;
	unsigned n = 0;

	while (is_digit(s[n])) {
		if (n == maxdigits)
			return NULL;
		v = v * 10 + (uint32_t)(s[n] - '0');
		n++;
	}
	if (n == 0 || (n > 1 && s[0] == '0'))
		return NULL;
	*out = v;
	return s + n;
}

/*
 * The dotted quad at the start of S, parsed by inet_pton(): exactly four decimal parts of
 * 0-255. It refuses what inet_aton() would read differently from the operator: leading zeros
 * (octal there), hex, fewer parts. Returns the first byte after it (a '/', '-' or the end).
 */
const char *conf_scan_ipv4(const char *s, uint32_t *addr)
{
	char buf[INET_ADDRSTRLEN];
	size_t n = strspn(s, "0123456789.");
	struct in_addr a;

	if (n == 0 || n >= sizeof(buf))
		return NULL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return NULL;
	*addr = ntohl(a.s_addr);
	return s + n;
}

int egw_parse_ipv4(const char *s, uint32_t *addr)
{
	uint32_t a;

	if (!s || !addr)
		return -EINVAL;
	s = conf_scan_ipv4(s, &a);
	if (!s || *s)
		return -EINVAL;
	*addr = a;
	return 0;
}

int conf_parse_prefix(const char *s, uint32_t minlen, uint32_t *addr, uint8_t *len)
{
	uint32_t a, l;

	if (!s || !addr || !len)
		return -EINVAL;
	s = conf_scan_ipv4(s, &a);
	if (!s || *s != '/')
		return -EINVAL;
	s = scan_dec(s + 1, 2, &l);
	if (!s || *s || l < minlen || l > 32)
		return -EINVAL;
	*addr = a;
	*len = (uint8_t)l;
	return 0;
}

int egw_parse_cidr(const char *s, uint32_t *prefix, uint8_t *len)
{
	uint32_t a;
	uint8_t l;

	if (conf_parse_prefix(s, 0, &a, &l) < 0)
		return -EINVAL;
	/* A set host bit usually means the operator typed an interface address where a network
	 * was meant; silently masking it would hide that. */
	if (a & ~conf_mask(l))
		return -EINVAL;
	*prefix = a;
	*len = l;
	return 0;
}

int egw_parse_ifaddr(const char *s, uint32_t *addr, uint8_t *len)
{
	/* /0 would put the whole Internet on the link. */
	return conf_parse_prefix(s, 1, addr, len);
}

int egw_parse_prefix(const char *s, uint32_t *addr, uint8_t *len)
{
	if (s && addr && len && !strchr(s, '/')) {
		*len = 32;
		return egw_parse_ipv4(s, addr);
	}
	return conf_parse_prefix(s, 0, addr, len);
}

int egw_parse_hostport(const char *s, uint32_t *addr, uint16_t *port)
{
	const char *colon = s ? strrchr(s, ':') : NULL;
	char host[16];
	uint32_t p;

	if (!colon || !addr || !port || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (egw_parse_ipv4(host, addr) < 0 || egw_parse_u32(colon + 1, 1, 65535, &p) < 0)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

/* A host name as DNS spells one (RFC 1123): labels of letters, digits and '-'. */
static bool host_name_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > 253 || h[0] == '.' || h[0] == '-')
		return false;
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && *h != '-' && *h != '.')
			return false;
	return true;
}

int egw_parse_listen(const char *s, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon, *h = s;
	struct in6_addr a6;
	uint32_t p, a4;
	size_t n;

	if (!s || !host || !port)
		return -EINVAL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		h = s + 1;
		n = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		/* No port, or an IPv6 address without brackets. */
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return -EINVAL;
		n = (size_t)(colon - s);
	}
	if (n == 0 || n >= hostlen || egw_parse_u32(colon + 1, 1, 65535, &p) < 0)
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	if (s[0] == '['				 ? inet_pton(AF_INET6, host, &a6) != 1 :
		strspn(host, "0123456789.") == n ? egw_parse_ipv4(host, &a4) < 0 :
						   !host_name_ok(host))
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

int egw_parse_mac(const char *s, uint8_t mac[6])
{
	struct rte_ether_addr ea;

	/* DPDK also reads "xxxx:xxxx:xxxx"; the config documents (and keeps) the 17-character
	 * form only. */
	if (!s || !mac || strlen(s) != 17 || rte_ether_unformat_addr(s, &ea) < 0)
		return -EINVAL;
	memcpy(mac, ea.addr_bytes, sizeof(ea.addr_bytes));
	return 0;
}

int egw_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	if (!s || !out || !*s)
		return -EINVAL;
	for (; *p; p++) {
		if (!is_digit(*p))
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return -EINVAL;
	}
	if (v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int egw_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	if (!s || !out)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* Port 0 is refused: it is not a port a flow can use, in a pool or in a policy. */
static const char *scan_port(const char *s, uint16_t *port)
{
	uint32_t v = 0;
	unsigned n = 0;

	while (is_digit(s[n])) {
		if (n == 5)
			return NULL;
		v = v * 10 + (uint32_t)(s[n] - '0');
		n++;
	}
	if (n == 0 || v < 1 || v > 65535)
		return NULL;
	*port = (uint16_t)v;
	return s + n;
}

static const char *scan_port32(const char *s, uint32_t *v)
{
	uint16_t port = 0;

	s = scan_port(s, &port);
	*v = port;
	return s;
}

/* "A" or "A-B" with A <= B, both read by SCAN. */
static int parse_range(const char *s, const char *(*scan)(const char *s, uint32_t *v),
	uint32_t *first, uint32_t *last)
{
	uint32_t a, b;

	s = scan(s, &a);
	if (!s)
		return -EINVAL;
	if (*s == '-') {
		s = scan(s + 1, &b);
		if (!s)
			return -EINVAL;
	} else {
		b = a;
	}
	if (*s || a > b)
		return -EINVAL;
	*first = a;
	*last = b;
	return 0;
}

int egw_parse_port_range(const char *s, uint16_t *first, uint16_t *last)
{
	uint32_t a, b;

	if (!s || !first || !last || parse_range(s, scan_port32, &a, &b) < 0)
		return -EINVAL;
	*first = (uint16_t)a;
	*last = (uint16_t)b;
	return 0;
}

int egw_parse_addr_range(const char *s, struct egw_addr_range *r)
{
	if (!s || !r)
		return -EINVAL;
	return parse_range(s, conf_scan_ipv4, &r->first, &r->last);
}

static const char *const mode_names[] = {
	[EGW_MODE_PASSTHROUGH] = "passthrough",
	[EGW_MODE_POLICY] = "policy",
	[EGW_MODE_DENY] = "deny",
};

/* NAMES[V] of an enum's N names; "invalid" out of range. */
static const char *enum_name(const char *const *names, unsigned n, unsigned v)
{
	return v < n ? names[v] : "invalid";
}

const char *egw_mode_name(enum egw_mode mode)
{
	return enum_name(mode_names, sizeof(mode_names) / sizeof(mode_names[0]), mode);
}

int egw_mode_parse(const char *s, enum egw_mode *out)
{
	int i = conf_name_index(mode_names, sizeof(mode_names) / sizeof(mode_names[0]), s);

	if (i < 0 || !out)
		return -EINVAL;
	*out = (enum egw_mode)i;
	return 0;
}

static const char *const ip_options_names[] = {
	[EGW_IP_OPTIONS_DROP_SOURCE_ROUTE] = "drop-source-route",
	[EGW_IP_OPTIONS_DROP_ALL] = "drop-all",
	[EGW_IP_OPTIONS_PASS] = "pass",
};

const char *egw_ip_options_name(enum egw_ip_options v)
{
	return enum_name(ip_options_names, sizeof(ip_options_names) / sizeof(ip_options_names[0]),
		v);
}

static const char *const deny_action_names[] = {
	[EGW_DENY_DROP] = "drop",
	[EGW_DENY_REJECT] = "reject",
};

const char *egw_deny_action_name(enum egw_deny_action v)
{
	return enum_name(deny_action_names,
		sizeof(deny_action_names) / sizeof(deny_action_names[0]), v);
}

static const char *const host_binding_names[] = {
	[EGW_BINDING_AUTO] = "auto",
	[EGW_BINDING_EARLY] = "early",
	[EGW_BINDING_LATE] = "late",
};

const char *egw_host_binding_name(enum egw_host_binding v)
{
	return enum_name(host_binding_names,
		sizeof(host_binding_names) / sizeof(host_binding_names[0]), v);
}

static const char *const syn_cookies_names[] = {
	[EGW_SYN_COOKIES_OFF] = "off",
	[EGW_SYN_COOKIES_ON] = "on",
	[EGW_SYN_COOKIES_AUTO] = "auto",
};

const char *egw_syn_cookies_name(enum egw_syn_cookies v)
{
	return enum_name(syn_cookies_names,
		sizeof(syn_cookies_names) / sizeof(syn_cookies_names[0]), v);
}

int conf_name_index(const char *const *names, unsigned n, const char *s)
{
	if (!s)
		return -1;
	for (unsigned i = 0; i < n; i++)
		if (names[i] && strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

uint32_t conf_mask(unsigned len)
{
	return len == 0 ? 0 : UINT32_MAX << (32 - len);
}

bool conf_addr_usable(uint32_t a)
{
	uint8_t first = (uint8_t)(a >> 24);

	/* 0/8 is "this network", 127/8 loopback, 224/4 multicast, 240/4 reserved and the limited
	 * broadcast: none of them can be an interface, a next hop or a NAT source. */
	return first != 0 && first != 127 && first < 224;
}

const char *egw_role_name(enum egw_port_role role)
{
	return role == EGW_ROLE_INSIDE ? "inside" : "outside";
}

const char *egw_mapping_name(enum egw_nat_mapping mapping)
{
	return mapping == EGW_MAPPING_ENDPOINT_INDEPENDENT ? "endpoint-independent" :
							     "endpoint-dependent";
}

static const char *const filtering_names[] = {
	[EGW_FILTERING_ADDRESS_AND_PORT_DEPENDENT] = "address-and-port-dependent",
	[EGW_FILTERING_ADDRESS_DEPENDENT] = "address-dependent",
	[EGW_FILTERING_ENDPOINT_INDEPENDENT] = "endpoint-independent",
};

const char *egw_filtering_name(enum egw_nat_filtering filtering)
{
	return (unsigned)filtering < CONF_ARRAY_SIZE(filtering_names) ? filtering_names[filtering] :
									"unknown";
}

const char *egw_fmt_ipv4(char buf[16], uint32_t a)
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
	return buf;
}

void conf_copy(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}
