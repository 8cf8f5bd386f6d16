/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "conf/conf.h"
#include "egw_test.h"

/* struct egw_conf is ~300 KiB: one heap copy for the whole suite. */
static struct egw_conf *conf;
static struct egw_conf_errors errs;

static int suite_init(void)
{
	conf = malloc(sizeof(*conf));
	return conf ? 0 : -1;
}

static int suite_clean(void)
{
	egw_conf_errors_free(&errs);
	free(conf);
	conf = NULL;
	return 0;
}

static int load(const char *text)
{
	egw_conf_errors_free(&errs);
	return egw_conf_load_string("t.ini", text, conf, &errs);
}

static bool has_error(const char *file, int line, const char *substr)
{
	for (unsigned i = 0; i < errs.n; i++)
		if (strcmp(errs.items[i].file, file) == 0 && errs.items[i].line == line &&
			strstr(errs.items[i].msg, substr))
			return true;
	return false;
}

static void dump_errors(void)
{
	egw_conf_errors_print(&errs, stderr);
}

/* Two ports, the least a valid file holds: 8 lines, so appended text starts at line 9. */
#define MIN_CONF                                                                                   \
	"[port in]\n"                                                                              \
	"device = net_null0\n"                                                                     \
	"role = inside\n"                                                                          \
	"address = 198.18.0.1/24\n"                                                                \
	"[port out]\n"                                                                             \
	"device = net_null1\n"                                                                     \
	"role = outside\n"                                                                         \
	"address = 203.0.113.2/24\n"
#define MIN_LINES 8

/* ---- helpers ---- */

static void test_parse_ipv4(void)
{
	uint32_t a;

	CU_ASSERT_EQUAL(egw_parse_ipv4("1.2.3.4", &a), 0);
	CU_ASSERT_EQUAL(a, 0x01020304);
	CU_ASSERT_EQUAL(egw_parse_ipv4("0.0.0.0", &a), 0);
	CU_ASSERT_EQUAL(a, 0);
	CU_ASSERT_EQUAL(egw_parse_ipv4("255.255.255.255", &a), 0);
	CU_ASSERT_EQUAL(a, 0xffffffff);
	CU_ASSERT_EQUAL(egw_parse_ipv4("1.2.3", &a), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_ipv4("256.1.1.1", &a), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_ipv4("1.2.3.4.5", &a), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_ipv4("1.2.3.4 ", &a), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_ipv4(" 1.2.3.4", &a), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_ipv4("1.2.3.4x", &a), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_ipv4("1..3.4", &a), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_ipv4("01.2.3.4", &a), -EINVAL); /* octal to inet_aton */
	CU_ASSERT_EQUAL(egw_parse_ipv4("1.2.3.0004", &a), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_ipv4("-1.2.3.4", &a), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_ipv4("0x1.2.3.4", &a), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_ipv4("1.2.3.04", &a), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_ipv4("1.2.3.00", &a), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_ipv4("1.2.3.4567890123456", &a), -EINVAL); /* too long to copy */
	CU_ASSERT_EQUAL(egw_parse_ipv4("::1", &a), -EINVAL);		     /* IPv4 only */
	CU_ASSERT_EQUAL(egw_parse_ipv4("", &a), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_ipv4(NULL, &a), -EINVAL);
}

static void test_parse_cidr_ifaddr(void)
{
	uint32_t a;
	uint8_t len;

	CU_ASSERT_EQUAL(egw_parse_cidr("10.0.0.0/8", &a, &len), 0);
	CU_ASSERT_EQUAL(a, 0x0a000000);
	CU_ASSERT_EQUAL(len, 8);
	CU_ASSERT_EQUAL(egw_parse_cidr("0.0.0.0/0", &a, &len), 0);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_EQUAL(egw_parse_cidr("1.2.3.4/32", &a, &len), 0);
	CU_ASSERT_EQUAL(egw_parse_cidr("10.0.0.1/8", &a, &len), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_cidr("1.2.3.4/33", &a, &len), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_cidr("1.2.3.4", &a, &len), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_cidr("1.2.3.0/", &a, &len), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_cidr("1.2.3.0/24x", &a, &len), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_cidr("1.2.3.0/024", &a, &len), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_cidr("1.2.3/24", &a, &len), -EINVAL);

	CU_ASSERT_EQUAL(egw_parse_ifaddr("10.0.0.1/8", &a, &len), 0);
	CU_ASSERT_EQUAL(a, 0x0a000001);
	CU_ASSERT_EQUAL(len, 8);
	CU_ASSERT_EQUAL(egw_parse_ifaddr("1.2.3.4/32", &a, &len), 0);
	CU_ASSERT_EQUAL(egw_parse_ifaddr("1.2.3.4/0", &a, &len), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_ifaddr("1.2.3.4/33", &a, &len), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_ifaddr("1.2.3.4", &a, &len), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_ifaddr("1.2.3.4/24 ", &a, &len), -EINVAL);
}

static void test_parse_mac(void)
{
	uint8_t m[6];
	const uint8_t want[6] = { 0x02, 0x00, 0xab, 0xCD, 0x0e, 0xff };

	CU_ASSERT_EQUAL(egw_parse_mac("02:00:ab:CD:0e:ff", m), 0);
	CU_ASSERT(memcmp(m, want, 6) == 0);
	CU_ASSERT_EQUAL(egw_parse_mac("02:00:00:00:00", m), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_mac("02:00:00:00:00:00:00", m), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_mac("02-00-00-00-00-01", m), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_mac("2:0:0:0:0:1", m), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_mac("02:00:00:00:00:0g", m), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_mac("02:00:00:00:00:01 ", m), -EINVAL);
	/* rte_ether_unformat_addr() also reads this form; the config documents one form only. */
	CU_ASSERT_EQUAL(egw_parse_mac("0200:0000:0001", m), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_mac(NULL, m), -EINVAL);
}

/* EAL's --lcores syntax: how many lcores, which CPUs (as DPDK 22.11 reads it). */
static void test_parse_lcores(void)
{
	struct egw_lcores l;

	CU_ASSERT_EQUAL(egw_lcores_parse("0-1", &l), 0);
	CU_ASSERT_EQUAL(l.n_lcores, 2);
	CU_ASSERT(egw_lcores_has_cpu(&l, 0) && egw_lcores_has_cpu(&l, 1));
	CU_ASSERT_FALSE(egw_lcores_has_cpu(&l, 2));
	/* Three lcores on two CPUs. */
	CU_ASSERT_EQUAL(egw_lcores_parse("(0-2)@(0-1)", &l), 0);
	CU_ASSERT_EQUAL(l.n_lcores, 3);
	CU_ASSERT_FALSE(egw_lcores_has_cpu(&l, 2));
	/* A range either way round; an lcore named twice counts once. */
	CU_ASSERT_EQUAL(egw_lcores_parse("3-1,2", &l), 0);
	CU_ASSERT_EQUAL(l.n_lcores, 3);
	CU_ASSERT(egw_lcores_has_cpu(&l, 3) && !egw_lcores_has_cpu(&l, 0));
	/* Lcore ids are not CPU numbers: lcores 0-1 may run on CPU 1000. */
	CU_ASSERT_EQUAL(egw_lcores_parse("0,1@(5,1000),(7,9-8)@3", &l), 0);
	CU_ASSERT_EQUAL(l.n_lcores, 5);
	CU_ASSERT(egw_lcores_has_cpu(&l, 1000) && egw_lcores_has_cpu(&l, 5) &&
		  egw_lcores_has_cpu(&l, 3) && !egw_lcores_has_cpu(&l, 7));
	CU_ASSERT_FALSE(egw_lcores_has_cpu(&l, EGW_MAX_CPUS));
	CU_ASSERT_EQUAL(egw_lcores_parse("0,128", &l), -ERANGE);
	CU_ASSERT_EQUAL(l.bad_lcore, 128);
	CU_ASSERT_EQUAL(egw_lcores_parse("0@1024", &l), -EINVAL);
	CU_ASSERT_EQUAL(egw_lcores_parse("()", &l), -EINVAL);
	CU_ASSERT_EQUAL(egw_lcores_parse("0@", &l), -EINVAL);
	CU_ASSERT_EQUAL(egw_lcores_parse("0)", &l), -EINVAL);
	CU_ASSERT_EQUAL(egw_lcores_parse("", &l), -EINVAL);
	CU_ASSERT_EQUAL(egw_lcores_parse(NULL, &l), -EINVAL);
}

static void test_parse_u32_bool(void)
{
	uint32_t v;
	bool b;

	CU_ASSERT_EQUAL(egw_parse_u32("0", 0, 10, &v), 0);
	CU_ASSERT_EQUAL(v, 0);
	CU_ASSERT_EQUAL(egw_parse_u32("4294967295", 0, UINT32_MAX, &v), 0);
	CU_ASSERT_EQUAL(v, UINT32_MAX);
	CU_ASSERT_EQUAL(egw_parse_u32("4294967296", 0, UINT32_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_u32("99999999999999999999", 0, UINT32_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_u32("11", 0, 10, &v), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_u32("4", 5, 10, &v), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_u32("-1", 0, 10, &v), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_u32("+1", 0, 10, &v), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_u32("1 ", 0, 10, &v), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_u32("1x", 0, 10, &v), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_u32("0x1", 0, 10, &v), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_u32("", 0, 10, &v), -EINVAL);

	const char *yes[] = { "yes", "true", "on", "1", "YES", "True" };
	const char *no[] = { "no", "false", "off", "0", "NO", "Off" };
	for (unsigned i = 0; i < 6; i++) {
		b = false;
		CU_ASSERT_EQUAL(egw_parse_bool(yes[i], &b), 0);
		CU_ASSERT_TRUE(b);
		CU_ASSERT_EQUAL(egw_parse_bool(no[i], &b), 0);
		CU_ASSERT_FALSE(b);
	}
	CU_ASSERT_EQUAL(egw_parse_bool("y", &b), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_bool("yes ", &b), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_bool("2", &b), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_bool("", &b), -EINVAL);
}

static void test_parse_ranges(void)
{
	uint16_t f, l;
	struct egw_addr_range r;

	CU_ASSERT_EQUAL(egw_parse_port_range("1024-65535", &f, &l), 0);
	CU_ASSERT_EQUAL(f, 1024);
	CU_ASSERT_EQUAL(l, 65535);
	CU_ASSERT_EQUAL(egw_parse_port_range("443", &f, &l), 0);
	CU_ASSERT_EQUAL(f, 443);
	CU_ASSERT_EQUAL(l, 443);
	CU_ASSERT_EQUAL(egw_parse_port_range("1-0", &f, &l), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_port_range("2-1", &f, &l), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_port_range("0-10", &f, &l), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_port_range("1-65536", &f, &l), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_port_range("70000", &f, &l), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_port_range("1-2-3", &f, &l), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_port_range("1-", &f, &l), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_port_range("-1", &f, &l), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_port_range("10x", &f, &l), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_port_range("", &f, &l), -EINVAL);

	CU_ASSERT_EQUAL(egw_parse_addr_range("198.51.100.10-198.51.100.13", &r), 0);
	CU_ASSERT_EQUAL(r.first, 0xc633640a);
	CU_ASSERT_EQUAL(r.last, 0xc633640d);
	CU_ASSERT_EQUAL(egw_parse_addr_range("198.51.100.10", &r), 0);
	CU_ASSERT_EQUAL(r.first, r.last);
	CU_ASSERT_EQUAL(egw_parse_addr_range("1.2.3.5-1.2.3.4", &r), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_addr_range("1.2.3.4-", &r), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_addr_range("1.2.3.4-1.2.3", &r), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_addr_range("1.2.3.4/32", &r), -EINVAL);
	CU_ASSERT_EQUAL(egw_parse_addr_range("1.2.3.4-1.2.3.5x", &r), -EINVAL);
}

static void test_mode_names(void)
{
	enum egw_mode m;

	CU_ASSERT_STRING_EQUAL(egw_mode_name(EGW_MODE_PASSTHROUGH), "passthrough");
	CU_ASSERT_STRING_EQUAL(egw_mode_name(EGW_MODE_POLICY), "policy");
	CU_ASSERT_STRING_EQUAL(egw_mode_name(EGW_MODE_DENY), "deny");
	CU_ASSERT_STRING_EQUAL(egw_mode_name((enum egw_mode)42), "invalid");
	for (int i = EGW_MODE_PASSTHROUGH; i <= EGW_MODE_DENY; i++) {
		CU_ASSERT_EQUAL(egw_mode_parse(egw_mode_name((enum egw_mode)i), &m), 0);
		CU_ASSERT_EQUAL(m, (enum egw_mode)i);
	}
	CU_ASSERT_EQUAL(egw_mode_parse("allow", &m), -EINVAL);
	CU_ASSERT_EQUAL(egw_mode_parse("Policy", &m), -EINVAL);
}

/* ---- whole files ---- */

static const char full_conf[] =
	"; a full file\n"
	"[dpdk]\n"
	"lcores = 0-3\n"
	"memory_mb = 2048\n"
	"hugepages = no\n"
	"file_prefix = egw_test-1\n"
	"extra_args = --log-level=lib.*:debug\n"
	"  --vdev=net_null9\n"
	"idle_sleep_us = 50\n"
	"mbufs = 20000\n"
	"\n"
	"[port inside]\n"
	"device = 0000:3b:00.0\n"
	"role = inside\n"
	"address = 198.18.0.1/24\n"
	"routes = 198.18.64.0/18 via 198.18.0.254, 198.19.0.0/16 via 198.18.0.253,\n"
	"         10.0.0.0/8 via 198.18.0.254 ; inline comment\n"
	"neighbors = 198.18.0.254 02:00:00:00:00:fe\n"
	"mac = 02:00:00:00:00:01\n"
	"mtu = 9000\n"
	"neighbor_reachable = 2\n"
	"neighbor_probes = 1\n"
	"neighbor_gc = 86400\n"
	"\n"
	"[port outside]\n"
	"device = net_af_packet1,iface=eth2\n"
	"role = outside\n"
	"address = 203.0.113.2/24\n"
	"gateway = 203.0.113.1\n"
	"\n"
	"[egress]\n"
	"mode = passthrough\n"
	"policies = /etc/egressgw/policies.d/*.ini\n"
	"default_pool = public\n"
	"revalidate = keep\n"
	"host_timeout = 3\n"
	"host_hold_bytes = 4096\n"
	"host_hold_total = 1048576\n"
	"ech = deny\n"
	"host_binding = late\n"
	"dns_min_ttl = 0\n"
	"dns_max_per_name = 8\n"
	"dns_max_entries = 5000\n"
	"dns_filter = yes\n"
	"\n"
	"[pool public]\n"
	"addresses = 198.51.100.10-198.51.100.13, 198.51.100.20\n"
	"  198.51.100.30\n"
	"ports = 2000-2999\n"
	"mapping = endpoint-dependent\n"
	"pairing = arbitrary\n"
	"max_per_source = 0\n"
	"[pool second]\n"
	"addresses = 198.51.100.40\n"
	"[pool third]\n"
	"addresses = 198.51.100.50\n"
	"filtering = address-dependent\n"
	"\n"
	"[flows]\n"
	"max = 5000\n"
	"tcp_syn = 10\n"
	"tcp_established = 60\n"
	"tcp_transitory = 20\n"
	"udp = 30\n"
	"icmp = 5\n"
	"tcp_pickup = off\n"
	"tcp_window_check = no\n"
	"syn_cookies = auto\n"
	"syn_cookie_rate = 500\n"
	"syn_cookie_half_open = 700\n"
	"fragment_trains = 1024\n"
	"fragment_timeout = 5\n"
	"[control]\n"
	"socket = /tmp/egw.sock\n"
	"[metrics]\n"
	"listen = 0.0.0.0:9100\n"
	"[log]\n"
	"level = debug\n"
	"flow_log = /tmp/flows.jsonl\n";

/* The 1-based line of TEXT where NEEDLE starts. */
static int line_of(const char *text, const char *needle)
{
	const char *at = strstr(text, needle);
	int line = 1;

	for (const char *p = text; at && p < at; p++)
		line += *p == '\n';
	return at ? line : -1;
}

/* Two VLANs of one device, and the device's untagged LAN as a third port: valid. */
static void test_vlan_ports(void)
{
	char text[1024];

	snprintf(text, sizeof(text),
		"%s[port v7]\ndevice = y\nrole = inside\naddress = 10.1.0.1/24\nvlan = 7\n"
		"[port v8]\ndevice = y\nrole = inside\naddress = 10.2.0.1/24\nvlan = 8\n"
		"[port u]\ndevice = y\nrole = inside\naddress = 10.3.0.1/24\n",
		MIN_CONF);
	CU_ASSERT_EQUAL_FATAL(load(text), 0);
	CU_ASSERT_EQUAL_FATAL(conf->n_ports, 5);
	CU_ASSERT_EQUAL(conf->ports[0].vlan, 0);
	CU_ASSERT_EQUAL(conf->ports[2].vlan, 7);
	CU_ASSERT_EQUAL(conf->ports[3].vlan, 8);
	CU_ASSERT_EQUAL(conf->ports[4].vlan, 0);
}

static void test_full_valid(void)
{
	const struct egw_port_conf *in, *out;
	const struct egw_pool_conf *pool;

	CU_ASSERT_EQUAL_FATAL(load(full_conf), 0);
	CU_ASSERT_EQUAL(errs.n, 0);
	if (errs.n)
		dump_errors();
	CU_ASSERT_STRING_EQUAL(conf->path, "t.ini");

	CU_ASSERT_STRING_EQUAL(conf->dpdk.lcores, "0-3");
	CU_ASSERT_EQUAL(conf->dpdk.memory_mb, 2048);
	CU_ASSERT_FALSE(conf->dpdk.hugepages);
	CU_ASSERT_STRING_EQUAL(conf->dpdk.file_prefix, "egw_test-1");
	CU_ASSERT_STRING_EQUAL(conf->dpdk.extra_args, "--log-level=lib.*:debug --vdev=net_null9");
	CU_ASSERT_EQUAL(conf->dpdk.idle_sleep_us, 50);
	CU_ASSERT_EQUAL(conf->dpdk.mbufs, 20000);

	CU_ASSERT_EQUAL_FATAL(conf->n_ports, 2);
	in = egw_conf_port_find(conf, "inside");
	out = egw_conf_port_find(conf, "outside");
	CU_ASSERT_PTR_EQUAL_FATAL(in, &conf->ports[0]);
	CU_ASSERT_PTR_EQUAL_FATAL(out, &conf->ports[1]);
	CU_ASSERT_PTR_NULL(egw_conf_port_find(conf, "nope"));
	CU_ASSERT_STRING_EQUAL(in->device, "0000:3b:00.0");
	CU_ASSERT_TRUE(in->is_pci);
	CU_ASSERT_EQUAL(in->role, EGW_ROLE_INSIDE);
	CU_ASSERT_EQUAL(in->addr, 0xc6120001);
	CU_ASSERT_EQUAL(in->prefix_len, 24);
	CU_ASSERT_EQUAL(in->gateway, 0);
	CU_ASSERT_EQUAL_FATAL(in->n_routes, 3);
	CU_ASSERT_EQUAL(in->routes[0].prefix, 0xc6124000);
	CU_ASSERT_EQUAL(in->routes[0].prefix_len, 18);
	CU_ASSERT_EQUAL(in->routes[0].via, 0xc61200fe);
	CU_ASSERT_EQUAL(in->routes[1].prefix, 0xc6130000);
	CU_ASSERT_EQUAL(in->routes[1].prefix_len, 16);
	CU_ASSERT_EQUAL(in->routes[1].via, 0xc61200fd);
	CU_ASSERT_EQUAL(in->routes[2].prefix, 0x0a000000);
	CU_ASSERT_EQUAL(in->routes[2].prefix_len, 8);
	CU_ASSERT_EQUAL_FATAL(in->n_neighbors, 1);
	CU_ASSERT_EQUAL(in->neighbors[0].addr, 0xc61200fe);
	CU_ASSERT(memcmp(in->neighbors[0].mac, "\x02\x00\x00\x00\x00\xfe", 6) == 0);
	CU_ASSERT_TRUE(in->has_mac);
	CU_ASSERT(memcmp(in->mac, "\x02\x00\x00\x00\x00\x01", 6) == 0);
	CU_ASSERT_EQUAL(in->mtu, 9000);
	CU_ASSERT_EQUAL(in->neighbor_reachable, 2);
	CU_ASSERT_EQUAL(in->neighbor_probes, 1);
	CU_ASSERT_EQUAL(in->neighbor_gc, 86400);
	CU_ASSERT_STRING_EQUAL(in->origin.file, "t.ini");
	CU_ASSERT_EQUAL(in->origin.line, 12);

	CU_ASSERT_STRING_EQUAL(out->device, "net_af_packet1,iface=eth2");
	CU_ASSERT_FALSE(out->is_pci);
	CU_ASSERT_EQUAL(out->role, EGW_ROLE_OUTSIDE);
	CU_ASSERT_EQUAL(out->addr, 0xcb007102);
	CU_ASSERT_EQUAL(out->gateway, 0xcb007101);
	CU_ASSERT_EQUAL(out->n_routes, 0);
	CU_ASSERT_EQUAL(out->n_neighbors, 0);
	CU_ASSERT_FALSE(out->has_mac);
	CU_ASSERT_EQUAL(out->mtu, 1500);
	CU_ASSERT_EQUAL(out->neighbor_reachable, 30);
	CU_ASSERT_EQUAL(out->neighbor_probes, 3);
	CU_ASSERT_EQUAL(out->neighbor_gc, 300);
	CU_ASSERT_EQUAL(out->origin.line, 25);

	CU_ASSERT_EQUAL(conf->egress.mode, EGW_MODE_PASSTHROUGH);
	CU_ASSERT_STRING_EQUAL(conf->egress.policies, "/etc/egressgw/policies.d/*.ini");
	CU_ASSERT_STRING_EQUAL(conf->egress.default_pool, "public");
	CU_ASSERT_EQUAL(conf->egress.revalidate, EGW_REVALIDATE_KEEP);
	CU_ASSERT_STRING_EQUAL(conf->egress.mode_origin.file, "t.ini");
	CU_ASSERT_EQUAL(conf->egress.mode_origin.line, 32);
	CU_ASSERT_EQUAL(conf->egress.host_timeout, 3);
	CU_ASSERT_EQUAL(conf->egress.host_hold_bytes, 4096);
	CU_ASSERT_EQUAL(conf->egress.host_hold_total, 1048576);
	CU_ASSERT_EQUAL(conf->egress.ech, EGW_ECH_DENY);
	CU_ASSERT_EQUAL(conf->egress.host_binding, EGW_BINDING_LATE);
	CU_ASSERT_EQUAL(conf->egress.dns_min_ttl, 0);
	CU_ASSERT_EQUAL(conf->egress.dns_max_per_name, 8);
	CU_ASSERT_EQUAL(conf->egress.dns_max_entries, 5000);
	CU_ASSERT_TRUE(conf->egress.dns_filter);

	CU_ASSERT_EQUAL_FATAL(conf->n_pools, 3);
	pool = egw_conf_pool_find(conf, "public");
	CU_ASSERT_PTR_EQUAL_FATAL(pool, &conf->pools[0]);
	CU_ASSERT_PTR_NULL(egw_conf_pool_find(conf, "nope"));
	CU_ASSERT_EQUAL_FATAL(pool->n_addrs, 6);
	CU_ASSERT_EQUAL(pool->addrs[0], 0xc633640a);
	CU_ASSERT_EQUAL(pool->addrs[3], 0xc633640d);
	CU_ASSERT_EQUAL(pool->addrs[4], 0xc6336414);
	CU_ASSERT_EQUAL(pool->addrs[5], 0xc633641e);
	CU_ASSERT_EQUAL(pool->port_first, 2000);
	CU_ASSERT_EQUAL(pool->port_last, 2999);
	CU_ASSERT_EQUAL(pool->mapping, EGW_MAPPING_ENDPOINT_DEPENDENT);
	CU_ASSERT_EQUAL(pool->pairing, EGW_PAIRING_ARBITRARY);
	CU_ASSERT_EQUAL(pool->max_per_source, 0);
	CU_ASSERT_EQUAL(pool->origin.line, 46);
	pool = &conf->pools[1];
	CU_ASSERT_STRING_EQUAL(pool->name, "second");
	CU_ASSERT_EQUAL(pool->n_addrs, 1);
	CU_ASSERT_EQUAL(pool->port_first, 1024);
	CU_ASSERT_EQUAL(pool->port_last, 65535);
	/* RFC 4787 REQ-1 by default, with the most stringent filtering (REQ-8). */
	CU_ASSERT_EQUAL(pool->mapping, EGW_MAPPING_ENDPOINT_INDEPENDENT);
	CU_ASSERT_EQUAL(pool->filtering, EGW_FILTERING_ADDRESS_AND_PORT_DEPENDENT);
	CU_ASSERT_EQUAL(pool->pairing, EGW_PAIRING_PAIRED);
	CU_ASSERT_EQUAL(pool->max_per_source, 65536);
	CU_ASSERT_EQUAL(conf->pools[2].mapping, EGW_MAPPING_ENDPOINT_INDEPENDENT);
	CU_ASSERT_EQUAL(conf->pools[2].filtering, EGW_FILTERING_ADDRESS_DEPENDENT);

	CU_ASSERT_EQUAL(conf->flows.max, 5000);
	CU_ASSERT_EQUAL(conf->flows.tcp_syn, 10);
	CU_ASSERT_EQUAL(conf->flows.tcp_established, 60); /* below RFC 5382's 7440: allowed */
	CU_ASSERT_EQUAL(conf->flows.tcp_transitory, 20);
	CU_ASSERT_EQUAL(conf->flows.udp, 30);
	CU_ASSERT_EQUAL(conf->flows.icmp, 5);
	CU_ASSERT_FALSE(conf->flows.tcp_pickup);
	CU_ASSERT_FALSE(conf->flows.tcp_window_check);
	CU_ASSERT_EQUAL(conf->flows.syn_cookies, EGW_SYN_COOKIES_AUTO);
	CU_ASSERT_EQUAL(conf->flows.syn_cookie_rate, 500);
	CU_ASSERT_EQUAL(conf->flows.syn_cookie_half_open, 700);
	CU_ASSERT_EQUAL(conf->flows.fragment_trains, 1024);
	CU_ASSERT_EQUAL(conf->flows.fragment_timeout, 5);
	CU_ASSERT_STRING_EQUAL(conf->control.socket, "/tmp/egw.sock");
	CU_ASSERT_STRING_EQUAL(conf->metrics.listen, "0.0.0.0:9100");
	CU_ASSERT_STRING_EQUAL(conf->log.level, "debug");
	CU_ASSERT_STRING_EQUAL(conf->log.flow_log, "/tmp/flows.jsonl");
	/* Where they were set, for the errors only a start finds (open, bind). */
	CU_ASSERT_EQUAL(conf->metrics.listen_origin.line, line_of(full_conf, "listen ="));
	CU_ASSERT_EQUAL(conf->log.flow_log_origin.line, line_of(full_conf, "flow_log ="));
	CU_ASSERT_STRING_EQUAL(conf->log.flow_log_origin.file, "t.ini");
	/* And for the checks against the machine. */
	CU_ASSERT_EQUAL(conf->dpdk.lcores_origin.line, line_of(full_conf, "lcores ="));
	CU_ASSERT_EQUAL(conf->dpdk.memory_origin.line, line_of(full_conf, "memory_mb ="));
	CU_ASSERT_EQUAL(conf->dpdk.file_prefix_origin.line, line_of(full_conf, "file_prefix ="));
	CU_ASSERT_EQUAL(conf->flows.max_origin.line, line_of(full_conf, "max ="));
	CU_ASSERT_STRING_EQUAL(conf->flows.max_origin.file, "t.ini");
	CU_ASSERT_EQUAL(conf->dpdk.lcore_set.n_lcores, 4);
	CU_ASSERT(egw_lcores_has_cpu(&conf->dpdk.lcore_set, 3));
}

static void check_defaults(const struct egw_conf *c)
{
	CU_ASSERT_STRING_EQUAL(c->dpdk.lcores, "0-1");
	CU_ASSERT_EQUAL(c->dpdk.lcore_set.n_lcores, 2);
	CU_ASSERT_EQUAL(c->dpdk.lcores_origin.line, 0);
	CU_ASSERT_EQUAL(c->flows.max_origin.line, 0);
	CU_ASSERT_EQUAL(c->dpdk.memory_mb, 1024);
	CU_ASSERT_TRUE(c->dpdk.hugepages);
	CU_ASSERT_STRING_EQUAL(c->dpdk.file_prefix, "egressgw");
	CU_ASSERT_STRING_EQUAL(c->dpdk.extra_args, "");
	CU_ASSERT_EQUAL(c->dpdk.idle_sleep_us, 0);
	CU_ASSERT_EQUAL(c->dpdk.mbufs, 0);
	CU_ASSERT_EQUAL(c->egress.mode, EGW_MODE_POLICY);
	CU_ASSERT_STRING_EQUAL(c->egress.policies, "");
	CU_ASSERT_STRING_EQUAL(c->egress.default_pool, "");
	CU_ASSERT_EQUAL(c->egress.revalidate, EGW_REVALIDATE_RESET);
	CU_ASSERT_EQUAL(c->egress.ip_options, EGW_IP_OPTIONS_DROP_SOURCE_ROUTE);
	CU_ASSERT_EQUAL(c->egress.deny_action, EGW_DENY_DROP);
	CU_ASSERT_EQUAL(c->egress.exhaustion_action, EGW_DENY_DROP);
	CU_ASSERT_EQUAL(c->egress.reject_rate, 1000);
	CU_ASSERT_EQUAL(c->egress.mode_origin.line, 0);
	CU_ASSERT_EQUAL(c->egress.host_timeout, 10);
	CU_ASSERT_EQUAL(c->egress.host_hold_bytes, 16384);
	CU_ASSERT_EQUAL(c->egress.host_hold_total, 64u << 20);
	CU_ASSERT_EQUAL(c->egress.ech, EGW_ECH_OUTER);
	CU_ASSERT_EQUAL(c->egress.host_binding, EGW_BINDING_AUTO);
	CU_ASSERT_EQUAL(c->egress.dns_min_ttl, 60);
	CU_ASSERT_EQUAL(c->egress.dns_max_per_name, 64);
	CU_ASSERT_EQUAL(c->egress.dns_max_entries, 1000000);
	CU_ASSERT_FALSE(c->egress.dns_filter);
	CU_ASSERT_EQUAL(c->n_pools, 0);
	CU_ASSERT_EQUAL(c->flows.max, 1000000);
	CU_ASSERT_EQUAL(c->flows.tcp_syn, 30);
	CU_ASSERT_EQUAL(c->flows.tcp_established, 7440);
	CU_ASSERT_EQUAL(c->flows.tcp_transitory, 240);
	CU_ASSERT_EQUAL(c->flows.udp, 300);
	CU_ASSERT_EQUAL(c->flows.tcp_time_wait, 240);
	CU_ASSERT_EQUAL(c->flows.tcp_close, 240);
	CU_ASSERT_EQUAL(c->flows.udp_reply, 30);
	CU_ASSERT_EQUAL(c->flows.n_udp_ports, 0);
	CU_ASSERT_EQUAL(c->flows.icmp, 60);
	CU_ASSERT_TRUE(c->flows.tcp_pickup);
	CU_ASSERT_TRUE(c->flows.tcp_window_check);
	CU_ASSERT_EQUAL(c->flows.syn_cookies, EGW_SYN_COOKIES_OFF);
	CU_ASSERT_EQUAL(c->flows.syn_cookie_rate, 20000);
	CU_ASSERT_EQUAL(c->flows.syn_cookie_half_open, 50000);
	CU_ASSERT_EQUAL(c->flows.fragment_trains, 256);
	CU_ASSERT_EQUAL(c->flows.fragment_timeout, 2);
	CU_ASSERT_STRING_EQUAL(c->control.socket, "/run/egressgw/control.sock");
	CU_ASSERT_STRING_EQUAL(c->metrics.listen, "127.0.0.1:9610");
	CU_ASSERT_STRING_EQUAL(c->log.level, "info");
	CU_ASSERT_STRING_EQUAL(c->log.flow_log, "");
	CU_ASSERT_EQUAL(c->metrics.listen_origin.line, 0); /* the default */
}

static void test_defaults(void)
{
	egw_conf_defaults(conf);
	check_defaults(conf);
	CU_ASSERT_EQUAL(conf->n_ports, 0);

	CU_ASSERT_EQUAL_FATAL(load(MIN_CONF), 0);
	check_defaults(conf);
	CU_ASSERT_EQUAL(conf->n_ports, 2);
	CU_ASSERT_EQUAL(conf->ports[0].mtu, 1500);
	CU_ASSERT_FALSE(conf->ports[0].has_mac);
	CU_ASSERT_FALSE(conf->ports[0].is_pci);
	CU_ASSERT_EQUAL(conf->ports[0].n_routes, 0);
}

/* Optional things that are allowed and easy to get wrong in the other direction. */
/* [flows] udp_port_timeouts: the list in order, over continuation lines, 0 and 1023. */
static void test_udp_port_timeouts(void)
{
	CU_ASSERT_EQUAL_FATAL(load(MIN_CONF
				      "[flows]\nudp_reply = 20\ntcp_time_wait = 60\n"
				      "udp_port_timeouts = 53:10, 123:5,\n  0:1, 1023:604800\n"),
		0);
	CU_ASSERT_EQUAL(conf->flows.udp_reply, 20);
	CU_ASSERT_EQUAL(conf->flows.tcp_time_wait, 60);
	CU_ASSERT_EQUAL_FATAL(conf->flows.n_udp_ports, 4);
	CU_ASSERT_EQUAL(conf->flows.udp_ports[0].port, 53);
	CU_ASSERT_EQUAL(conf->flows.udp_ports[0].seconds, 10);
	CU_ASSERT_EQUAL(conf->flows.udp_ports[1].port, 123);
	CU_ASSERT_EQUAL(conf->flows.udp_ports[1].seconds, 5);
	CU_ASSERT_EQUAL(conf->flows.udp_ports[2].port, 0);
	CU_ASSERT_EQUAL(conf->flows.udp_ports[3].port, 1023);
	CU_ASSERT_EQUAL(conf->flows.udp_ports[3].seconds, 604800);
}

static void test_accepted_edge_values(void)
{
	static const char *const ok[] = {
		"[metrics]\nlisten =\n",
		"[log]\nflow_log =\n",
		"[egress]\npolicies =\ndefault_pool =\nmode = deny\n",
		"[flows]\ntcp_established = 1\nmax = 100000000\nudp = 604800\n",
		"[dpdk]\nidle_sleep_us = 100000\nmemory_mb = 64\nextra_args =\nlcores = "
		"(0,1)@0,2\n",
		"[dpdk]\nmemory_mb = 1048576\nhugepages = 0\n",
		"[port p3]\ndevice = 3b:00.1\nrole = outside\naddress = 10.1.0.0/31\n"
		"gateway = 10.1.0.1\n",
		"[port p3]\ndevice = net_tap0\nrole = inside\naddress = 10.1.0.7/32\nmtu = 68\n",
		"[pool p]\naddresses = 198.51.100.0-198.51.103.255\nports = 1-64\n",
		"[pool p]\naddresses = 198.51.100.1,\n", /* trailing comma */
		"[port in2]\ndevice = net_null2\nrole = inside\naddress = 10.9.0.1/24\n"
		"routes = 0.0.0.0/0 via 10.9.0.2\n",
		"[control]\nsocket = /run/x.sock\n",
		"[pool p]\naddresses = 198.51.100.1\n[pool q]\naddresses = 198.51.100.2\n",
		"[flows]\nudp_port_timeouts =\n",
	};
	char text[4096];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", MIN_CONF, ok[i]);
		if (load(text) != 0 || errs.n != 0) {
			fprintf(stderr, "\nunexpected errors for case %zu:\n", i);
			dump_errors();
			CU_FAIL("valid case rejected");
		}
	}
	CU_ASSERT_EQUAL(load(MIN_CONF "[port p3]\ndevice = 3b:00.1\nrole = inside\n"
				      "address = 10.1.0.1/24\n"),
		0);
	CU_ASSERT_TRUE(conf->ports[2].is_pci);
	/* [egress] ip_options, each value. */
	CU_ASSERT_EQUAL(load(MIN_CONF "[egress]\nip_options = pass\n"), 0);
	CU_ASSERT_EQUAL(conf->egress.ip_options, EGW_IP_OPTIONS_PASS);
	CU_ASSERT_EQUAL(load(MIN_CONF "[egress]\nip_options = drop-all\n"), 0);
	CU_ASSERT_EQUAL(conf->egress.ip_options, EGW_IP_OPTIONS_DROP_ALL);
	CU_ASSERT_EQUAL(load(MIN_CONF "[egress]\nip_options = drop-source-route\n"), 0);
	CU_ASSERT_EQUAL(conf->egress.ip_options, EGW_IP_OPTIONS_DROP_SOURCE_ROUTE);
	/* How refusals are told. */
	CU_ASSERT_EQUAL(load(MIN_CONF "[egress]\ndeny_action = reject\nexhaustion_action = "
				      "reject\nreject_rate = 1\n"),
		0);
	CU_ASSERT_EQUAL(conf->egress.deny_action, EGW_DENY_REJECT);
	CU_ASSERT_EQUAL(conf->egress.exhaustion_action, EGW_DENY_REJECT);
	CU_ASSERT_EQUAL(conf->egress.reject_rate, 1);
	CU_ASSERT_EQUAL(load(MIN_CONF "[egress]\ndeny_action = drop\nreject_rate = 1000000\n"), 0);
	CU_ASSERT_EQUAL(conf->egress.deny_action, EGW_DENY_DROP);
	CU_ASSERT_EQUAL(load(MIN_CONF "[port p3]\ndevice = 3b:00.8\nrole = inside\n"
				      "address = 10.1.0.1/24\n"),
		0);
	CU_ASSERT_FALSE(conf->ports[2].is_pci);
}

/*
 * Every error path: TEXT is appended to MIN_CONF (or is the whole file when FULL), LINE is
 * relative to TEXT's first line (0 = file-level), MSG must be a substring of the message,
 * and the file must produce exactly one error (no cascades) unless NERR says otherwise.
 */
struct error_case {
	const char *text;
	int line;
	const char *msg;
	bool full;
	unsigned nerr;
};

static const struct error_case error_cases[] = {
	/* syntax */
	{ "[flows\nmax = 0\n", 1, "section header has no closing ']'" },
	{ "[flows] x\n", 1, "unexpected text after section header: 'x'" },
	{ "[flows]\ngarbage\n", 2,
		"expected 'key = value', a [section] header or a comment, got 'garbage'" },
	{ "foo = 1\n" MIN_CONF, 1, "key 'foo' is outside any [section]", true },
	{ "[foo]\nbar = 1\n", 1, "unknown section [foo] (known: dpdk, port NAME" },
	{ "[]\n", 1, "unknown section []" },
	{ "[port]\ndevice = x\n", 1, "[port] needs a name: [port NAME]" },
	{ "[pool]\n", 1, "[pool] needs a name: [pool NAME]" },
	{ "[port a!b]\n", 1, "invalid port name 'a!b': use 1-31 characters of A-Z a-z 0-9 _ -" },
	{ "[pool a b]\n", 1, "invalid pool name 'a b'" },
	{ "[pool aaaaaaaaaabbbbbbbbbbccccccccccdd]\n", 1, "invalid pool name" },
	{ "[flows x]\nmax = 0\n", 1, "[flows] takes no name, got 'x'" },
	{ "[port in]\nfoo = 1\n", 1, "duplicate section [port in] (first at line 1)" },
	{ "[pool p]\naddresses = 198.51.100.1\n[pool p]\n", 3,
		"duplicate section [pool p] (first at line 9)" },
	{ "[flows]\n[flows]\nmax = 0\n", 2, "duplicate section [flows] (first at line 9)" },
	{ "[flows]\nfoo = 1\n", 2, "unknown key 'foo' in [flows]" },
	{ "[port in2]\nfoo = 1\ndevice = net_null2\nrole = inside\naddress = 10.1.0.1/24\n", 2,
		"unknown key 'foo' in [port in2]" },
	{ "[flows]\n= 5\n", 2, "missing key name before '=' in [flows]" },
	{ "[flows]\nmax = 5\nmax = 6\n", 3, "duplicate key 'max' in [flows] (first at line 10)" },
	{ "[flows]\nmax = 5\n  6\n", 3,
		"[flows] max: continuation line '6' not allowed: only routes, neighbors, addresses "
		"and extra_args span lines" },
	{ "[flows]\n  max = 5\n  udp = 6\n", 3, "[flows] max: continuation line 'udp = 6'" },
	/* required keys */
	{ "[port p3]\nrole = inside\naddress = 10.1.0.1/24\n", 1,
		"[port p3] missing required key 'device'" },
	{ "[port p3]\ndevice = net_null2\naddress = 10.1.0.1/24\n", 1,
		"[port p3] missing required key 'role'" },
	{ "[port p3]\ndevice = net_null2\nrole = inside\n", 1,
		"[port p3] missing required key 'address'" },
	{ "[pool p]\nports = 1024-2047\n", 1, "[pool p] missing required key 'addresses'" },
	{ "[pool p]\naddresses =\n", 2, "[pool p] addresses: no addresses given" },
	/* [dpdk] */
	{ "[dpdk]\nlcores =\n", 2, "[dpdk] lcores: must not be empty" },
	{ "[dpdk]\nlcores = 0-1 x\n", 2, "[dpdk] lcores: '0-1 x' is not an EAL lcore list" },
	{ "[dpdk]\nlcores = 0\n", 2,
		"[dpdk] lcores: '0' gives no worker: the first lcore is the "
		"control thread; name at least 2 lcores (e.g. 0-1)" },
	{ "[dpdk]\nlcores = 1,1\n", 2, "[dpdk] lcores: '1,1' gives no worker" },
	{ "[dpdk]\nlcores = 0-17\n", 2, "[dpdk] lcores: '0-17' gives 17 workers; at most 16" },
	{ "[dpdk]\nlcores = 0,200\n", 2,
		"[dpdk] lcores: '0,200' names lcore 200; EAL takes lcore "
		"ids 0-127" },
	{ "[dpdk]\nlcores = 0-1@\n", 2, "[dpdk] lcores: '0-1@' is not an EAL lcore list" },
	{ "[dpdk]\nlcores = (0-1\n", 2, "[dpdk] lcores: '(0-1' is not an EAL lcore list" },
	{ "[dpdk]\nlcores = 0-\n", 2, "[dpdk] lcores: '0-' is not an EAL lcore list" },
	{ "[dpdk]\nlcores = 0,,1\n", 2, "[dpdk] lcores: '0,,1' is not an EAL lcore list" },
	{ "[dpdk]\nlcores = 0-1@2000\n", 2, "[dpdk] lcores: '0-1@2000' is not an EAL lcore list" },
	{ "[dpdk]\nmemory_mb = 63\n", 2,
		"[dpdk] memory_mb: '63' is not an integer within 64-1048576" },
	{ "[dpdk]\nmemory_mb = 1048577\n", 2, "'1048577' is not an integer within 64-1048576" },
	{ "[dpdk]\nmemory_mb = 1G\n", 2, "'1G' is not an integer" },
	{ "[dpdk]\nhugepages = maybe\n", 2,
		"[dpdk] hugepages: 'maybe' is not a boolean (yes/no, true/false, on/off, 1/0)" },
	{ "[dpdk]\nfile_prefix = a/b\n", 2, "[dpdk] file_prefix: 'a/b' is not a file prefix" },
	{ "[dpdk]\nfile_prefix =\n", 2, "[dpdk] file_prefix: must not be empty" },
	{ "[dpdk]\nfile_prefix = "
	  "aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeffffffffffgggg\n",
		2,
		"[dpdk] file_prefix: "
		"'aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeffffffffffgggg' is "
		"too long (max 63 bytes)" },
	{ "[dpdk]\nidle_sleep_us = 100001\n", 2,
		"[dpdk] idle_sleep_us: '100001' is not an integer within 0-100000" },
	{ "[dpdk]\nmbufs = 16777217\n", 2,
		"[dpdk] mbufs: '16777217' is not an integer within 0-16777216" },
	{ "[dpdk]\nmbufs = many\n", 2, "[dpdk] mbufs: 'many' is not an integer within 0-16777216" },
	/* [port] values */
	{ "[port p3]\ndevice =\nrole = inside\naddress = 10.1.0.1/24\n", 2,
		"[port p3] device: must not be empty; expected a PCI address or a vdev string" },
	{ "[port p3]\ndevice = x\nrole = middle\naddress = 10.1.0.1/24\n", 3,
		"[port p3] role: 'middle' is not one of: inside, outside" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1\n", 4,
		"[port p3] address: '10.1.0.1' is not an interface address a.b.c.d/len (len 1-32" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/33\n", 4,
		"'10.1.0.1/33' is not an interface address" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/0\n", 4,
		"'10.1.0.1/0' is not an interface address" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.0/24\n", 4,
		"[port p3] address: '10.1.0.0/24' is the network address of its subnet" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.255/24\n", 4,
		"[port p3] address: '10.1.0.255/24' is the broadcast address of its subnet" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.3/30\n", 4,
		"is the broadcast address of its subnet" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 224.0.0.1/24\n", 4,
		"[port p3] address: '224.0.0.1/24' is not a usable unicast address" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 127.0.0.1/8\n", 4,
		"'127.0.0.1/8' is not a usable unicast address" },
	{ "[port p3]\ndevice = x\nrole = outside\naddress = 10.1.0.1/24\ngateway = 10.1.0\n", 5,
		"[port p3] gateway: '10.1.0' is not an IPv4 address a.b.c.d" },
	{ "[port p3]\ndevice = x\nrole = outside\naddress = 10.1.0.1/24\ngateway = 0.0.0.0\n", 5,
		"[port p3] gateway: '0.0.0.0' is not a usable unicast address" },
	{ "[port p3]\ndevice = x\ngateway = 10.1.0.2\nrole = inside\naddress = 10.1.0.1/24\n", 3,
		"[port p3] gateway: only outside ports have a gateway (this port's role is "
		"inside)" },
	{ "[port p3]\ndevice = x\nrole = outside\naddress = 10.1.0.1/24\ngateway = 10.2.0.1\n", 5,
		"[port p3] gateway: 10.2.0.1 is not a host on the port's subnet 10.1.0.0/24" },
	{ "[port p3]\ndevice = x\nrole = outside\naddress = 10.1.0.1/24\ngateway = 10.1.0.255\n", 5,
		"gateway: 10.1.0.255 is not a host on the port's subnet 10.1.0.0/24" },
	{ "[port p3]\ndevice = x\nrole = outside\naddress = 10.1.0.1/24\ngateway = 10.1.0.1\n", 5,
		"[port p3] gateway: 10.1.0.1 is the port's own address" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\nroutes = 10.2.0.0/16\n", 5,
		"[port p3] routes: '10.2.0.0/16' is not a route 'CIDR via ADDR'" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\n"
	  "routes = 10.2.0.0/16 by 10.1.0.2\n",
		5, "'10.2.0.0/16 by 10.1.0.2' is not a route 'CIDR via ADDR'" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\n"
	  "routes = 10.2.0.1/16 via 10.1.0.2\n",
		5,
		"[port p3] routes: '10.2.0.1/16' has host bits set (the network is 10.2.0.0/16)" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\n"
	  "routes = 10.2.0/16 via 10.1.0.2\n",
		5, "[port p3] routes: '10.2.0/16' is not a network a.b.c.d/len" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\n"
	  "routes = 10.2.0.0/16 via 10.1.0.300\n",
		5, "[port p3] routes: '10.1.0.300' is not an IPv4 address a.b.c.d" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\n"
	  "routes = 10.2.0.0/16 via 10.1.0.2,\n  10.3.0.0/16 via 10.9.0.2\n",
		6,
		"[port p3] routes: via for 10.3.0.0/16: 10.9.0.2 is not a host on the port's "
		"subnet "
		"10.1.0.0/24" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\n"
	  "routes = 10.2.0.0/16 via 10.1.0.1\n",
		5, "[port p3] routes: via for 10.2.0.0/16: 10.1.0.1 is the port's own address" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\n"
	  "routes = 10.2.0.0/16 via 10.1.0.2, 10.2.0.0/16 via 10.1.0.3\n",
		5, "[port p3] routes: 10.2.0.0/16 is already routed by [port p3] (line 13)" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\n"
	  "routes = 10.2.0.0/16 via 10.1.0.2\n"
	  "[port p4]\ndevice = y\nrole = inside\naddress = 10.5.0.1/24\n"
	  "routes = 10.2.0.0/16 via 10.5.0.2\n",
		10, "[port p4] routes: 10.2.0.0/16 is already routed by [port p3] (line 13)" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\nroutes = ,10.2.0.0/16 via "
	  "10.1.0.2\n",
		5, "[port p3] routes: empty item in list" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\nneighbors = 10.1.0.2\n", 5,
		"[port p3] neighbors: '10.1.0.2' is not a neighbor 'ADDR MAC'" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\n"
	  "neighbors = 10.1.0.2 02:00:00:00:00\n",
		5, "[port p3] neighbors: '02:00:00:00:00' is not a MAC address xx:xx:xx:xx:xx:xx" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\n"
	  "neighbors = 10.1.0.2 01:00:5e:00:00:01\n",
		5, "[port p3] neighbors: '01:00:5e:00:00:01' is a multicast MAC address" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\n"
	  "neighbors = 10.2.0.2 02:00:00:00:00:02\n",
		5, "[port p3] neighbors: 10.2.0.2 is not a host on the port's subnet 10.1.0.0/24" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\n"
	  "neighbors = 10.1.0.1 02:00:00:00:00:02\n",
		5, "[port p3] neighbors: 10.1.0.1 is the port's own address" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\n"
	  "neighbors = 10.1.0.2 02:00:00:00:00:02,\n   10.1.0.2 02:00:00:00:00:03\n",
		6, "[port p3] neighbors: 10.1.0.2 is listed twice (first at line 13)" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\nmac = 02:00:00:00:00\n", 5,
		"[port p3] mac: '02:00:00:00:00' is not a MAC address xx:xx:xx:xx:xx:xx" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\nmac = 03:00:00:00:00:01\n",
		5, "[port p3] mac: '03:00:00:00:00:01' is a multicast MAC address; a unicast one" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\nmac = 00:00:00:00:00:00\n",
		5, "[port p3] mac: '00:00:00:00:00:00' is the all-zero MAC address" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\nmtu = 67\n", 5,
		"[port p3] mtu: '67' is not an integer within 68-9000" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\nmtu = 9001\n", 5,
		"[port p3] mtu: '9001' is not an integer within 68-9000" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\nneighbor_reachable = 0\n",
		5, "[port p3] neighbor_reachable: '0' is not an integer within 1-3600" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\nneighbor_probes = 11\n", 5,
		"[port p3] neighbor_probes: '11' is not an integer within 1-10" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\nneighbor_gc = 5m\n", 5,
		"[port p3] neighbor_gc: '5m' is not an integer within 1-86400" },
	{ "[port p3]\ndevice = net_null0,size=64\nrole = inside\naddress = 10.1.0.1/24\n", 2,
		"[port p3] device: 'net_null0,size=64' is the same device as [port in] (line 2) on "
		"the same untagged LAN (set vlan = ID on each)" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\nvlan = 0\n", 5,
		"[port p3] vlan: '0' is not an integer within 1-4094" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 10.1.0.1/24\nvlan = 4095\n", 5,
		"[port p3] vlan: '4095' is not an integer within 1-4094" },
	/* VLANs of one device: each its own, the device written once, one MAC */
	{ "[port p3]\ndevice = y\nrole = inside\naddress = 10.1.0.1/24\nvlan = 7\n"
	  "[port p4]\ndevice = y\nrole = inside\naddress = 10.2.0.1/24\nvlan = 7\n",
		7,
		"[port p4] device: 'y' is the same device as [port p3] (line 10) on the same "
		"vlan" },
	{ "[port p3]\ndevice = 0000:3B:00.0\nrole = inside\naddress = 10.1.0.1/24\nvlan = 7\n"
	  "[port p4]\ndevice = 3b:00.0\nrole = inside\naddress = 10.2.0.1/24\nvlan = 8\n",
		7,
		"[port p4] device: '3b:00.0' is the device of [port p3] (line 10) written "
		"differently" },
	{ "[port p3]\ndevice = y\nrole = inside\naddress = 10.1.0.1/24\nvlan = 7\n"
	  "mac = 02:00:00:00:00:01\n[port p4]\ndevice = y\nrole = inside\n"
	  "address = 10.2.0.1/24\nvlan = 8\nmac = 02:00:00:00:00:02\n",
		12,
		"[port p4] mac: differs from [port p3] on the same device: a device has one MAC" },
	{ "[port p3]\ndevice = 0000:3B:00.0\nrole = inside\naddress = 10.1.0.1/24\n"
	  "[port p4]\ndevice = 3b:00.0\nrole = inside\naddress = 10.2.0.1/24\n",
		6, "[port p4] device: '3b:00.0' is the same device as [port p3] (line 10)" },
	{ "[port p3]\ndevice = x\nrole = inside\naddress = 198.18.0.77/16\n", 4,
		"[port p3] address: subnet 198.18.0.0/16 overlaps [port in] subnet 198.18.0.0/24 "
		"(line 4)" },
	/* presence of ports: file-level */
	{ "[port in]\ndevice = a\nrole = inside\naddress = 10.0.0.1/24\n", 0,
		"no outside port: add a [port NAME] with role = outside", true },
	{ "[port out]\ndevice = a\nrole = outside\naddress = 10.0.0.1/24\n", 0,
		"no inside port: add a [port NAME] with role = inside", true },
	{ "", 0, "no inside port", true, 2 },
	/* [egress] */
	{ "[egress]\nmode = allow\n", 2,
		"[egress] mode: 'allow' is not one of: passthrough, policy, deny" },
	{ "[egress]\nmode = passthrough\n", 2, "[egress] mode: passthrough needs default_pool" },
	{ "[egress]\ndefault_pool = nope\n", 2,
		"[egress] default_pool: no [pool nope] is defined" },
	{ "[egress]\ndefault_pool = aaaaaaaaaabbbbbbbbbbccccccccccdd\n", 2,
		"[egress] default_pool: 'aaaaaaaaaabbbbbbbbbbccccccccccdd' is too long (max 31 "
		"bytes)" },
	{ "[egress]\nrevalidate = drop\n", 2,
		"[egress] revalidate: 'drop' is not one of: reset, keep" },
	{ "[egress]\ndeny_action = deny\n", 2,
		"[egress] deny_action: 'deny' is not one of: drop, reject" },
	{ "[egress]\nmode = deny\nexhaustion_action = icmp\n", 3,
		"[egress] exhaustion_action: 'icmp' is not one of: drop, reject" },
	{ "[egress]\nreject_rate = 0\n", 2,
		"[egress] reject_rate: '0' is not an integer within 1-1000000" },
	{ "[egress]\nreject_rate = 1000001\n", 2,
		"[egress] reject_rate: '1000001' is not an integer within 1-1000000" },
	{ "[egress]\nhost_timeout = 0\n", 2,
		"[egress] host_timeout: '0' is not an integer within 1-300" },
	{ "[egress]\nhost_timeout = 301\n", 2,
		"[egress] host_timeout: '301' is not an integer within 1-300" },
	{ "[egress]\nhost_timeout = 10s\n", 2,
		"[egress] host_timeout: '10s' is not an integer within 1-300" },
	{ "[egress]\nhost_hold_bytes = 2047\n", 2,
		"[egress] host_hold_bytes: '2047' is not an integer within 2048-65536" },
	{ "[egress]\nhost_hold_bytes = 65537\n", 2,
		"[egress] host_hold_bytes: '65537' is not an integer within 2048-65536" },
	{ "[egress]\nhost_hold_total = 1073741825\n", 2,
		"[egress] host_hold_total: '1073741825' is not an integer within 2048-1073741824" },
	{ "[egress]\nhost_hold_total = 64M\n", 2,
		"[egress] host_hold_total: '64M' is not an integer within 2048-1073741824" },
	{ "[egress]\nhost_hold_bytes = 8192\nhost_hold_total = 4096\n", 3,
		"[egress] host_hold_total: 4096 is less than host_hold_bytes 8192 (one pending "
		"flow could not hold its first data)" },
	/* the default host_hold_bytes (16384) against a small total: at the total's line */
	{ "[egress]\nhost_hold_total = 4096\n", 2,
		"[egress] host_hold_total: 4096 is less than host_hold_bytes 16384" },
	{ "[egress]\nech = strip\n", 2, "[egress] ech: 'strip' is not one of: outer, deny" },
	{ "[egress]\nech = Outer\n", 2, "[egress] ech: 'Outer' is not one of: outer, deny" },
	{ "[egress]\nmode = policy\nhost_binding = lazy\n", 3,
		"[egress] host_binding: 'lazy' is not one of: auto, early, late" },
	{ "[egress]\nhost_binding =\n", 2, "[egress] host_binding" },
	{ "[flows]\nsyn_cookies = yes\n", 2,
		"[flows] syn_cookies: 'yes' is not one of: off, on, auto" },
	{ "[flows]\nmax = 10\nsyn_cookie_rate = 0\n", 3,
		"[flows] syn_cookie_rate: '0' is not an integer within 1-100000000" },
	{ "[flows]\nsyn_cookie_half_open = many\n", 2, "[flows] syn_cookie_half_open" },
	{ "[egress]\ndns_min_ttl = 604801\n", 2,
		"[egress] dns_min_ttl: '604801' is not an integer within 0-604800" },
	{ "[egress]\ndns_min_ttl = -1\n", 2,
		"[egress] dns_min_ttl: '-1' is not an integer within 0-604800" },
	{ "[egress]\ndns_max_per_name = 0\n", 2,
		"[egress] dns_max_per_name: '0' is not an integer within 1-4096" },
	{ "[egress]\ndns_max_per_name = 4097\n", 2,
		"[egress] dns_max_per_name: '4097' is not an integer within 1-4096" },
	{ "[egress]\ndns_max_entries = 0\n", 2,
		"[egress] dns_max_entries: '0' is not an integer within 1-16777216" },
	{ "[egress]\ndns_max_entries = 16777217\n", 2,
		"[egress] dns_max_entries: '16777217' is not an integer within 1-16777216" },
	{ "[egress]\ndns_filter = maybe\n", 2,
		"[egress] dns_filter: 'maybe' is not a boolean (yes/no, true/false, on/off, 1/0)" },
	{ "[egress]\ndns_filter = yes\ndns_filter = no\n", 3,
		"duplicate key 'dns_filter' in [egress] (first at line 10)" },
	{ "[egress]\nip_options = strip\n", 2,
		"[egress] ip_options: 'strip' is not one of: drop-source-route, drop-all, pass" },
	{ "[egress]\nip_options =\n", 2, "[egress] ip_options: '' is not one of" },
	/* [pool] */
	{ "[pool p]\naddresses = 198.51.100\n", 2,
		"[pool p] addresses: '198.51.100' is not an address a.b.c.d or a range "
		"a.b.c.d-a.b.c.d (first <= last)" },
	{ "[pool p]\naddresses = 198.51.100.5-198.51.100.4\n", 2,
		"'198.51.100.5-198.51.100.4' is not an address a.b.c.d or a range" },
	{ "[pool p]\naddresses = 0.0.0.0\n", 2,
		"[pool p] addresses: '0.0.0.0' is not a usable unicast address" },
	{ "[pool p]\naddresses = 224.0.0.1\n", 2, "'224.0.0.1' is not a usable unicast address" },
	{ "[pool p]\naddresses = 255.255.255.255\n", 2,
		"'255.255.255.255' is not a usable unicast address" },
	{ "[pool p]\naddresses = 223.255.255.254-224.0.0.1\n", 2,
		"[pool p] addresses: '223.255.255.254-224.0.0.1' contains 224.0.0.0, which is not "
		"a "
		"usable unicast address" },
	{ "[pool p]\naddresses = 126.255.255.255-127.0.0.1\n", 2, "contains 127.0.0.0" },
	{ "[pool p]\naddresses = 198.51.100.0-198.51.103.255, 198.51.104.0\n", 2,
		"[pool p] addresses: '198.51.104.0' makes the pool hold more than 1024 addresses" },
	{ "[pool p]\naddresses = 1.0.0.0-1.255.255.255\n", 2,
		"makes the pool hold more than 1024 addresses" },
	{ "[pool p]\naddresses = 198.51.100.1, 198.51.100.0-198.51.100.3\n", 2,
		"[pool p] addresses: '198.51.100.0-198.51.100.3' overlaps '198.51.100.1' (line "
		"10)" },
	{ "[pool p]\naddresses = 198.51.100.1-198.51.100.9\n[pool q]\naddresses = 198.51.100.20,\n"
	  "  198.51.100.9\n",
		5,
		"[pool q] addresses: '198.51.100.9' overlaps '198.51.100.1-198.51.100.9' in [pool "
		"p] "
		"(line 10)" },
	{ "[pool p]\naddresses = 198.51.100.1,,198.51.100.2\n", 2,
		"[pool p] addresses: empty item in list" },
	{ "[pool p]\naddresses = 198.51.100.1\nports = 70000\n", 3,
		"[pool p] ports: '70000' is not a port range N-M within 1-65535" },
	{ "[pool p]\naddresses = 198.51.100.1\nports = 0-100\n", 3,
		"'0-100' is not a port range N-M within 1-65535" },
	{ "[pool p]\naddresses = 198.51.100.1\nports = 2000-1000\n", 3,
		"'2000-1000' is not a port range" },
	{ "[pool p]\naddresses = 198.51.100.1\nports = 1000-1010\n", 3,
		"[pool p] ports: '1000-1010' holds 11 ports; a pool needs at least 64" },
	{ "[pool p]\naddresses = 198.51.100.1\nmapping = full-cone\n", 3,
		"[pool p] mapping: 'full-cone' is not one of: endpoint-dependent, "
		"endpoint-independent" },
	{ "[pool p]\naddresses = 198.51.100.1\nfiltering = open\n", 3,
		"[pool p] filtering: 'open' is not one of: address-and-port-dependent, "
		"address-dependent, endpoint-independent" },
	{ "[pool p]\naddresses = 198.51.100.1\nfiltering = endpoint-independent\n"
	  "mapping = endpoint-dependent\n",
		3, "[pool p] filtering: needs mapping = endpoint-independent" },
	{ "[pool p]\naddresses = 198.51.100.1\npairing = random\n", 3,
		"[pool p] pairing: 'random' is not one of: paired, arbitrary" },
	{ "[pool p]\naddresses = 198.51.100.1\nmax_per_source = -1\n", 3,
		"[pool p] max_per_source: '-1' is not an integer within 0-4294967295" },
	/* [flows] */
	{ "[flows]\nmax = 0\n", 2, "[flows] max: '0' is not an integer within 1-100000000" },
	{ "[flows]\nmax = 100000001\n", 2, "'100000001' is not an integer within 1-100000000" },
	{ "[flows]\ntcp_syn = 0\n", 2, "[flows] tcp_syn: '0' is not an integer within 1-604800" },
	{ "[flows]\ntcp_established = 604801\n", 2,
		"[flows] tcp_established: '604801' is not an integer within 1-604800" },
	{ "[flows]\ntcp_transitory = 4m\n", 2, "[flows] tcp_transitory: '4m' is not an integer" },
	{ "[flows]\nudp = -5\n", 2, "[flows] udp: '-5' is not an integer within 1-604800" },
	{ "[flows]\nicmp =\n", 2, "[flows] icmp: '' is not an integer within 1-604800" },
	{ "[flows]\ntcp_time_wait = 0\n", 2,
		"[flows] tcp_time_wait: '0' is not an integer within 1-604800" },
	{ "[flows]\ntcp_close = x\n", 2, "[flows] tcp_close: 'x' is not an integer" },
	{ "[flows]\nudp_reply = 604801\n", 2, "[flows] udp_reply: '604801' is not an integer" },
	{ "[flows]\nudp_port_timeouts = 53\n", 2,
		"[flows] udp_port_timeouts: '53' is not PORT:SECONDS" },
	{ "[flows]\nudp_port_timeouts = 53:10, 5353:10\n", 2,
		"[flows] udp_port_timeouts: '5353:10' does not name a port within 0-1023" },
	{ "[flows]\nudp_port_timeouts = 53:0\n", 2,
		"[flows] udp_port_timeouts: '53:0' does not give seconds within 1-604800" },
	{ "[flows]\nudp_port_timeouts = 53:10,\n  123:5, 53:20\n", 3,
		"[flows] udp_port_timeouts: '53:20' names port 53 a second time" },
	{ "[flows]\nudp_port_timeouts = 1:1,2:1,3:1,4:1,5:1,6:1,7:1,8:1,9:1,10:1,11:1,12:1,13:1,"
	  "14:1,15:1,16:1,17:1\n",
		2, "'17:1' is one port too many (max 16)" },
	{ "[flows]\ntcp_pickup = sometimes\n", 2,
		"[flows] tcp_pickup: 'sometimes' is not a boolean" },
	{ "[flows]\nfragment_trains = 8\n", 2, "[flows] fragment_trains: '8'" },
	{ "[flows]\nfragment_trains = 32769\n", 2, "[flows] fragment_trains: '32769'" },
	{ "[flows]\nfragment_timeout = 0\n", 2, "[flows] fragment_timeout: '0'" },
	{ "[flows]\nfragment_timeout = 16\n", 2, "[flows] fragment_timeout: '16'" },
	/* [control], [metrics], [log] */
	{ "[control]\nsocket =\n", 2,
		"[control] socket: must not be empty; expected a unix socket path" },
	{ "[control]\nsocket = "
	  "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		2, "is too long for a unix socket path (max 107 bytes)" },
	{ "[metrics]\nlisten = local_host:9610\n", 2,
		"[metrics] listen: 'local_host:9610' is not HOST:PORT or [IPV6]:PORT (port "
		"1-65535), or empty to turn metrics off" },
	{ "[metrics]\nlisten = ::1:9610\n", 2, "'::1:9610' is not HOST:PORT" },
	{ "[metrics]\nlisten = [::1]9610\n", 2, "'[::1]9610' is not HOST:PORT" },
	{ "[metrics]\nlisten = [fe80::zz]:9610\n", 2, "'[fe80::zz]:9610' is not HOST:PORT" },
	{ "[metrics]\nlisten = 10.0.0.300:9610\n", 2, "'10.0.0.300:9610' is not HOST:PORT" },
	{ "[metrics]\nlisten = 127.0.0.1\n", 2, "'127.0.0.1' is not HOST:PORT" },
	{ "[metrics]\nlisten = 127.0.0.1:0\n", 2, "'127.0.0.1:0' is not HOST:PORT" },
	{ "[metrics]\nlisten = 127.0.0.1:65536\n", 2, "'127.0.0.1:65536' is not HOST:PORT" },
	{ "[metrics]\nlisten = :9610\n", 2, "':9610' is not HOST:PORT" },
	{ "[log]\nlevel = verbose\n", 2,
		"[log] level: 'verbose' is not one of: error, warning, info, debug" },
	{ "[log]\nlevel = INFO\n", 2, "'INFO' is not one of" },
	/* Paths the daemon writes to: the control thread must never block on them. */
	{ "[log]\nflow_log = /dev/null\n", 2,
		"[log] flow_log: '/dev/null' is not a regular file (character device)" },
	{ "[log]\nflow_log = /tmp\n", 2, "'/tmp' is not a regular file (directory)" },
	{ "[control]\nsocket = /dev/null\n", 2,
		"[control] socket: '/dev/null' exists and is not a socket (character device)" },
	{ "[control]\nsocket = /tmp\n", 2, "'/tmp' exists and is not a socket (directory)" },
	/* [tunnel] */
	{ "[tunnel]\nhttp = 198.18.0.1\n", 2,
		"[tunnel] http: '198.18.0.1' is not ADDRESS:PORT (an inside port's IPv4 address" },
	{ "[tunnel]\nhttp = 198.18.0.1:0\n", 2, "is not ADDRESS:PORT" },
	{ "[tunnel]\nsocks5 = 127.0.0.1:1080\n", 2, "is not ADDRESS:PORT" },
	{ "[tunnel]\nhttp = 198.18.0.9:3128\n", 2,
		"[tunnel] http: 198.18.0.9 is not the address of an inside port" },
	{ "[tunnel]\nsocks5 = 203.0.113.2:1080\n", 2,
		"socks5: 203.0.113.2 is not the address of an inside port" },
	{ "[tunnel]\nhttp = 198.18.0.1:3128\nsocks5 = 198.18.0.1:3128\n", 3,
		"[tunnel] socks5: the same address and port as http" },
	{ "[tunnel]\nhttps = 198.18.0.1:3129\ntls_cert = /etc/hostname\n", 2,
		"[tunnel] https: needs tls_cert and tls_key" },
	{ "[tunnel]\nusers = /tmp\n", 2,
		"[tunnel] users: '/tmp' is not a regular file (directory)" },
	{ "[tunnel]\ntls_key = /dev/null\n", 2, "is not a regular file (character device)" },
	{ "[tunnel]\nresolvers = 203.0.113.53, x\n", 2,
		"[tunnel] resolvers: 'x' is not an IPv4 address" },
	{ "[tunnel]\nresolvers = 1.1.1.1, 1.1.1.2, 1.1.1.3, 1.1.1.4, 1.1.1.5\n", 2,
		"too many resolvers (max 4)" },
	{ "[tunnel]\nmax_clients = 0\n", 2, "[tunnel] max_clients: '0' is not an integer within" },
	{ "[tunnel]\nhandshake_ms = 99\n", 2, "is not an integer within 100-600000" },
	{ "[tunnel]\nsource = 300.1.1.1\n", 2, "[tunnel] source: '300.1.1.1' is not an IPv4" },
	{ "[tunnel]\nhttp = 198.18.0.1:3128\nsource = 198.18.0.77\n", 3,
		"[tunnel] source: 198.18.0.77 is on [port in]'s subnet" },
	{ "[tunnel]\nftp = 198.18.0.1:21\n", 2, "unknown key 'ftp'" },
	{ "[tunnel]\nsocks5 = 198.18.0.1:1080\nresolvers = 203.0.113.53\n", 3,
		"[tunnel] resolvers: need [egress] default_pool" },
	{ "[tunnel]\n[tunnel]\n", 2, "duplicate section [tunnel] (first at line 9)" },
};

static void test_tunnel_keys(void)
{
	CU_ASSERT_EQUAL_FATAL(load(MIN_CONF), 0);
	CU_ASSERT_FALSE(EGW_TUNNEL_CONF_ON(conf));
	CU_ASSERT_EQUAL(conf->tunnel.source, 0xa9fe0002u);
	CU_ASSERT_EQUAL(conf->tunnel.origin.line, 0);
	if (load(MIN_CONF
		    "[egress]\ndefault_pool = p\n[pool p]\naddresses = 198.51.100.1\n"
		    "[tunnel]\nhttp = 198.18.0.1:3128\nhttps = 198.18.0.1:3129\n"
		    "socks5 = 198.18.0.1:1080\ntls_cert = /etc/egw.pem\ntls_key = /etc/egw.key\n"
		    "users = /etc/egw.users\nresolvers = 203.0.113.53,\n  203.0.113.54\n"
		    "source = 100.64.0.1\nmax_clients = 10\nmax_buffers = 16\n"
		    "h2_max_streams = 5\nhandshake_ms = 100\nconnect_ms = 200\n"
		    "idle_ms = 1000\nresolve_ms = 300\n") != 0) {
		dump_errors();
		CU_FAIL("valid [tunnel] refused");
		return;
	}
	CU_ASSERT_TRUE(EGW_TUNNEL_CONF_ON(conf));
	CU_ASSERT_EQUAL(conf->tunnel.origin.line, MIN_LINES + 5);
	CU_ASSERT_EQUAL(conf->tunnel.http.addr, 0xc6120001u);
	CU_ASSERT_EQUAL(conf->tunnel.http.port, 3128);
	CU_ASSERT_EQUAL(conf->tunnel.https.port, 3129);
	CU_ASSERT_EQUAL(conf->tunnel.socks5.port, 1080);
	CU_ASSERT_STRING_EQUAL(conf->tunnel.tls_cert, "/etc/egw.pem");
	CU_ASSERT_STRING_EQUAL(conf->tunnel.tls_key, "/etc/egw.key");
	CU_ASSERT_STRING_EQUAL(conf->tunnel.users, "/etc/egw.users");
	CU_ASSERT_EQUAL(conf->tunnel.n_resolvers, 2);
	CU_ASSERT_EQUAL(conf->tunnel.resolvers[1], 0xcb007136u);
	CU_ASSERT_EQUAL(conf->tunnel.source, 0x64400001u);
	CU_ASSERT_EQUAL(conf->tunnel.max_clients, 10);
	CU_ASSERT_EQUAL(conf->tunnel.max_buffers, 16);
	CU_ASSERT_EQUAL(conf->tunnel.h2_max_streams, 5);
	CU_ASSERT_EQUAL(conf->tunnel.handshake_ms, 100);
	CU_ASSERT_EQUAL(conf->tunnel.connect_ms, 200);
	CU_ASSERT_EQUAL(conf->tunnel.idle_ms, 1000);
	CU_ASSERT_EQUAL(conf->tunnel.resolve_ms, 300);
	/* An empty listener is off; a section with none is fine (nothing starts). */
	CU_ASSERT_EQUAL(load(MIN_CONF "[tunnel]\nhttp =\nmax_clients = 5\n"), 0);
	CU_ASSERT_FALSE(EGW_TUNNEL_CONF_ON(conf));
}

static void test_error_cases(void)
{
	char text[8192];

	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];
		int line = c->line == 0 ? 0 : c->line + (c->full ? 0 : MIN_LINES);
		unsigned nerr = c->nerr ? c->nerr : 1;
		int ret;

		snprintf(text, sizeof(text), "%s%s", c->full ? "" : MIN_CONF, c->text);
		ret = load(text);
		CU_ASSERT_EQUAL(ret, -EINVAL);
		if (ret != -EINVAL || !has_error("t.ini", line, c->msg) || errs.n != nerr) {
			fprintf(stderr,
				"\ncase %zu: want %u error(s), t.ini:%d: %s\ngot (ret %d):\n", i,
				nerr, line, c->msg, ret);
			dump_errors();
			CU_FAIL("error case");
		}
	}
}

static void test_too_many_sections(void)
{
	char text[16384];
	size_t n = 0;

	n += (size_t)snprintf(text + n, sizeof(text) - n, "%s", MIN_CONF);
	for (int i = 0; i < 7; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
			"[port x%d]\ndevice = net_null%d\nrole = inside\naddress = 10.%d.0.1/24\n",
			i, i + 10, i + 1);
	/* 9 ports: the 9th header is line 8 + 6 * 4 + 1 = 33. */
	CU_ASSERT_EQUAL(load(text), -EINVAL);
	CU_ASSERT_TRUE(has_error("t.ini", 33, "too many port sections (max 8)"));
	CU_ASSERT_EQUAL(errs.n, 1);

	n = (size_t)snprintf(text, sizeof(text), "%s", MIN_CONF);
	for (int i = 0; i < 65; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
			"[pool p%d]\naddresses = 198.51.%d.%d\n", i, 100 + i / 200, 1 + i % 200);
	CU_ASSERT_EQUAL(load(text), -EINVAL);
	CU_ASSERT_TRUE(
		has_error("t.ini", MIN_LINES + 64 * 2 + 1, "too many pool sections (max 64)"));
	CU_ASSERT_EQUAL(errs.n, 1);
}

static void test_too_many_routes_neighbors(void)
{
	char text[16384];
	size_t n = (size_t)snprintf(text, sizeof(text), "%s",
		MIN_CONF "routes = 10.0.0.0/24 via 203.0.113.9");

	/* Continuation lines carry the rest: one route per line, 65 in all. */
	for (int i = 1; i < 65; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
			",\n  10.0.%d.0/24 via 203.0.113.9", i);
	n += (size_t)snprintf(text + n, sizeof(text) - n,
		"\nneighbors = 203.0.113.100 02:00:00:00:00:01");
	for (int i = 1; i < 65; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
			",\n  203.0.113.%d 02:00:00:00:00:01", 100 + i);
	snprintf(text + n, sizeof(text) - n, "\n");
	CU_ASSERT_EQUAL(load(text), -EINVAL);
	/* routes on lines 9..73 (the 65th at 73); neighbors on 74..138 (the 65th at 138). */
	CU_ASSERT_TRUE(has_error("t.ini", 73, "[port out] routes: too many routes (max 64)"));
	CU_ASSERT_TRUE(
		has_error("t.ini", 138, "[port out] neighbors: too many neighbors (max 64)"));
	CU_ASSERT_EQUAL(errs.n, 2);
	if (errs.n != 2)
		dump_errors();
	CU_ASSERT_EQUAL(conf->ports[1].n_routes, 64);
	CU_ASSERT_EQUAL(conf->ports[1].n_neighbors, 64);
}

static void test_many_errors_all_reported(void)
{
	static const char text[] = "[port in]\n"	       /* 1 */
				   "device = net_null0\n"      /* 2 */
				   "role = sideways\n"	       /* 3 */
				   "address = 198.18.0.1/24\n" /* 4 */
				   "mtu = 10\n"		       /* 5 */
				   "[flows]\n"		       /* 6 */
				   "max = 0\n"		       /* 7 */
				   "typo = 1\n"		       /* 8 */
				   "[nope]\n"		       /* 9 */
				   "whatever = 1\n"	       /* 10: skipped section */
				   "[egress]\n"		       /* 11 */
				   "default_pool = missing\n"  /* 12 */
				   "mode = passthrough\n"      /* 13: fine, pool named */
				   "[log]\n"		       /* 14 */
				   "level = loud\n";	       /* 15 */
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	CU_ASSERT_EQUAL(load(text), -EINVAL);
	CU_ASSERT_EQUAL(errs.n, 7);
	CU_ASSERT_TRUE(has_error("t.ini", 3, "role: 'sideways'"));
	CU_ASSERT_TRUE(has_error("t.ini", 5, "mtu: '10'"));
	CU_ASSERT_TRUE(has_error("t.ini", 7, "[flows] max: '0'"));
	CU_ASSERT_TRUE(has_error("t.ini", 8, "unknown key 'typo' in [flows]"));
	CU_ASSERT_TRUE(has_error("t.ini", 9, "unknown section [nope]"));
	CU_ASSERT_TRUE(has_error("t.ini", 12, "no [pool missing] is defined"));
	CU_ASSERT_TRUE(has_error("t.ini", 15, "[log] level: 'loud'"));

	/* Items are sorted by line; printing gives one "FILE:LINE: message" per error. */
	for (unsigned i = 1; i < errs.n; i++)
		CU_ASSERT(errs.items[i - 1].line <= errs.items[i].line);
	f = open_memstream(&out, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	egw_conf_errors_print(&errs, f);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "t.ini:3: [port in] role: 'sideways' is not one of: "
					   "inside, outside\nt.ini:5: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\nt.ini:12: [egress] default_pool: no [pool missing] "
					   "is defined\n"));
	free(out);
	out = NULL;
}

static void test_errors_print_sorted(void)
{
	struct egw_conf_errors e = { 0 };
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	CU_ASSERT_EQUAL(egw_conf_errors_add(&e, "b.ini", 3, "third %d", 3), 0);
	CU_ASSERT_EQUAL(egw_conf_errors_add(&e, "a.ini", 9, "second"), 0);
	CU_ASSERT_EQUAL(egw_conf_errors_add(&e, "b.ini", 0, "file-level"), 0);
	CU_ASSERT_EQUAL(egw_conf_errors_add(&e, "a.ini", 2, "first"), 0);
	CU_ASSERT_EQUAL(egw_conf_errors_add(&e, "a.ini", 9, "second too"), 0);
	f = open_memstream(&out, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	egw_conf_errors_print(&e, f);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(out, "a.ini:2: first\n"
				    "a.ini:9: second\n"
				    "a.ini:9: second too\n"
				    "b.ini: file-level\n"
				    "b.ini:3: third 3\n");
	free(out);
	out = NULL;
	egw_conf_errors_free(&e);
	CU_ASSERT_PTR_NULL(e.items);
	CU_ASSERT_EQUAL(e.n, 0);
	egw_conf_errors_free(&e); /* twice is harmless */
}

static void test_long_line(void)
{
	char text[1024], val[300];

	/* 199 bytes is the most inih's 200-byte buffer holds; 200 is refused, not split. */
	memset(val, '1', sizeof(val));
	snprintf(text, sizeof(text), MIN_CONF "[dpdk]\nextra_args = %.*s\n", 199 - 13, val);
	CU_ASSERT_EQUAL(load(text), 0);
	CU_ASSERT_EQUAL(strlen(conf->dpdk.extra_args), 199 - 13);
	snprintf(text, sizeof(text), MIN_CONF "[dpdk]\nextra_args = %.*s\r\n", 199 - 13, val);
	CU_ASSERT_EQUAL(load(text), 0); /* the '\r' of CRLF does not count */

	snprintf(text, sizeof(text), MIN_CONF "[dpdk]\nextra_args = %.*s\nlcores = 0-2\n", 200 - 13,
		val);
	CU_ASSERT_EQUAL(load(text), -EINVAL);
	CU_ASSERT_TRUE(has_error("t.ini", 10, "line too long (max 199 bytes)"));
	CU_ASSERT_EQUAL(errs.n, 1);
	CU_ASSERT_STRING_EQUAL(conf->dpdk.lcores, "0-2"); /* the next line is read whole */
	CU_ASSERT_STRING_EQUAL(conf->dpdk.extra_args, "");

	/* A long tail must not become a key of its own (what a split would do). */
	snprintf(text, sizeof(text), MIN_CONF "[flows]\n; %.*s max = 0\n", 250, val);
	CU_ASSERT_EQUAL(load(text), -EINVAL);
	CU_ASSERT_TRUE(has_error("t.ini", 10, "line too long"));
	CU_ASSERT_EQUAL(errs.n, 1);

	/* A lost section header: its keys are not charged to the section before it. */
	snprintf(text, sizeof(text), MIN_CONF "[pool %.*s]\naddresses = 1.2.3.4\nports = 1\n", 250,
		val);
	CU_ASSERT_EQUAL(load(text), -EINVAL);
	CU_ASSERT_TRUE(has_error("t.ini", 9, "line too long"));
	CU_ASSERT_EQUAL(errs.n, 1);

	/* A lost key line: its continuation lines are not charged to the key before it. */
	snprintf(text, sizeof(text),
		MIN_CONF "mtu = 1500\nroutes = %.*s\n  10.0.0.0/8 via 203.0.113.9\n", 250, val);
	CU_ASSERT_EQUAL(load(text), -EINVAL);
	CU_ASSERT_TRUE(has_error("t.ini", 10, "line too long"));
	CU_ASSERT_EQUAL(errs.n, 1);
	CU_ASSERT_EQUAL(conf->ports[1].n_routes, 0);
}

static void test_continuation(void)
{
	static const char text[] =
		MIN_CONF "routes = 10.0.0.0/8 via 203.0.113.9,   ; first\n" /* 9 */
			 "   ; a comment between does not end the value\n"
			 "\n"
			 "\t11.0.0.0/8 via 203.0.113.9 ; inline comment\n" /* 12 */
			 "   12.0.0.0/8 via 203.0.113.9\n"		   /* 13: no comma needed */
			 "[pool p]\n"
			 "addresses = 198.51.100.1\n"
			 "  198.51.100.2-198.51.100.3, 198.51.100.4\n"
			 "[dpdk]\n"
			 "  lcores = 0-2\n" /* indented first key: a key, not a continuation */
			 "extra_args = --a\n"
			 "  --b   --c\n";

	CU_ASSERT_EQUAL_FATAL(load(text), 0);
	CU_ASSERT_EQUAL_FATAL(conf->ports[1].n_routes, 3);
	CU_ASSERT_EQUAL(conf->ports[1].routes[1].prefix, 0x0b000000);
	CU_ASSERT_EQUAL(conf->ports[1].routes[2].prefix, 0x0c000000);
	CU_ASSERT_EQUAL(conf->pools[0].n_addrs, 4);
	CU_ASSERT_EQUAL(conf->pools[0].addrs[3], 0xc6336404);
	CU_ASSERT_STRING_EQUAL(conf->dpdk.lcores, "0-2");
	CU_ASSERT_STRING_EQUAL(conf->dpdk.extra_args, "--a --b   --c");

	/* Error lines of continued items point at the continuation line. */
	CU_ASSERT_EQUAL(load(MIN_CONF "routes = 10.0.0.0/8 via 203.0.113.9,\n"
				      "  11.0.0.0/8 via 10.0.0.1\n"),
		-EINVAL);
	CU_ASSERT_TRUE(has_error("t.ini", 10, "via for 11.0.0.0/8: 10.0.0.1 is not a host"));

	/* Continuations of a reported key are not reported again. */
	CU_ASSERT_EQUAL(load(MIN_CONF "rootes = 1\n  2\n  3\n"), -EINVAL);
	CU_ASSERT_EQUAL(errs.n, 1);
	CU_ASSERT_TRUE(has_error("t.ini", 9, "unknown key 'rootes' in [port out]"));
	CU_ASSERT_EQUAL(load(MIN_CONF "mtu = 1500\nmtu = 1400\n  1300\n"), -EINVAL);
	CU_ASSERT_EQUAL(errs.n, 1);
	CU_ASSERT_TRUE(
		has_error("t.ini", 10, "duplicate key 'mtu' in [port out] (first at line 9)"));

	/* Long lists: extra_args grows past its buffer over several lines. */
	char big[2048], arg[151];
	memset(arg, 'x', sizeof(arg) - 1);
	arg[sizeof(arg) - 1] = '\0';
	snprintf(big, sizeof(big), MIN_CONF "[dpdk]\nextra_args = %s\n  %s\n  %s\n  %s\n", arg, arg,
		arg, arg);
	CU_ASSERT_EQUAL(load(big), -EINVAL);
	CU_ASSERT_TRUE(has_error("t.ini", 13, "[dpdk] extra_args: too long (max 511 bytes)"));
	CU_ASSERT_EQUAL(errs.n, 1);
}

static void test_comments_and_syntax(void)
{
	static const char text[] = "\xEF\xBB\xBF; BOM and comments\n"
				   "# hash comment\n" MIN_CONF "[ flows ]   ; header comment\n"
				   "max = 5 ; comment\n"
				   "udp = 7;not a comment without a blank before\n"
				   "tcp_syn: 9\n";

	CU_ASSERT_EQUAL(load(text), -EINVAL);
	CU_ASSERT_EQUAL(conf->flows.max, 5);
	CU_ASSERT_EQUAL(conf->flows.tcp_syn, 9); /* "name: value" is inih syntax too */
	CU_ASSERT_TRUE(has_error("t.ini", 13, "[flows] udp: '7;not a comment"));
	CU_ASSERT_EQUAL(errs.n, 1);

	/* CRLF line ends. */
	CU_ASSERT_EQUAL(load("[port in]\r\ndevice = a\r\nrole = inside\r\naddress = 10.0.0.1/24\r\n"
			     "[port out]\r\ndevice = b\r\nrole = outside\r\n"
			     "address = 10.1.0.1/24\r\n"),
		0);
	CU_ASSERT_STRING_EQUAL(conf->ports[0].device, "a");

	/* Keys are case-sensitive, as written in the documentation. */
	CU_ASSERT_EQUAL(load(MIN_CONF "[flows]\nMax = 5\n"), -EINVAL);
	CU_ASSERT_TRUE(has_error("t.ini", 10, "unknown key 'Max' in [flows]"));

	/* Keys of a wrongly named section are skipped; only its header is reported. */
	CU_ASSERT_EQUAL(load(MIN_CONF "[flow]\nmax = 0\nbogus = 1\n  more\n"), -EINVAL);
	CU_ASSERT_EQUAL(errs.n, 1);
	CU_ASSERT_TRUE(has_error("t.ini", 9, "unknown section [flow]"));

	/* An indented line after a key continues it even when it looks like a header (inih). */
	CU_ASSERT_EQUAL(load(MIN_CONF "[flows]\nmax = 5\n  [log]\n"), -EINVAL);
	CU_ASSERT_TRUE(has_error("t.ini", 11, "[flows] max: continuation line '[log]'"));

	/* Control bytes in values are not echoed to the terminal. */
	CU_ASSERT_EQUAL(load(MIN_CONF "[flows]\nmax = 1\x1b[2J\n"), -EINVAL);
	CU_ASSERT_TRUE(has_error("t.ini", 10, "'1?[2J'"));
}

static void test_error_limit(void)
{
	size_t n = 3000 * 8 + 1;
	char *text = malloc(n);

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	for (int i = 0; i < 3000; i++)
		memcpy(text + i * 8, "garbage\n", 8);
	text[n - 1] = '\0';
	CU_ASSERT_EQUAL(load(text), -EINVAL);
	CU_ASSERT_EQUAL(errs.n, 1001);
	CU_ASSERT_TRUE(has_error("t.ini", 0, "too many errors (more than 1000); stopped reading"));
	CU_ASSERT_TRUE(has_error("t.ini", 1000, "got 'garbage'"));
	free(text);
	text = NULL;
}

static char tmp_path[64];

static const char *write_tmp(const char *data, size_t len)
{
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/egw_test_conf_XXXXXX");
	fd = mkstemp(tmp_path);
	if (fd < 0)
		return NULL;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return NULL;
	}
	close(fd);
	return tmp_path;
}

static void test_load_file(void)
{
	static const char nul[] = MIN_CONF "[flows]\nmax = 5\0 junk\nudp = 9\n";
	const char *path;
	int ret;

	path = write_tmp(MIN_CONF, strlen(MIN_CONF));
	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	egw_conf_errors_free(&errs);
	CU_ASSERT_EQUAL(egw_conf_load(path, conf, &errs), 0);
	CU_ASSERT_STRING_EQUAL(conf->path, path);
	CU_ASSERT_STRING_EQUAL(conf->ports[0].origin.file, path);
	CU_ASSERT_EQUAL(conf->n_ports, 2);
	unlink(path);

	/* A NUL byte would make inih drop the rest of the line silently. */
	path = write_tmp(nul, sizeof(nul) - 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	egw_conf_errors_free(&errs);
	CU_ASSERT_EQUAL(egw_conf_load(path, conf, &errs), -EINVAL);
	CU_ASSERT_TRUE(has_error(path, 10, "line contains a NUL byte"));
	CU_ASSERT_EQUAL(errs.n, 1);
	CU_ASSERT_EQUAL(conf->flows.max, 1000000);
	CU_ASSERT_EQUAL(conf->flows.udp, 9);
	unlink(path);

	egw_conf_errors_free(&errs);
	ret = egw_conf_load("/nonexistent/egressgw.ini", conf, &errs);
	CU_ASSERT_EQUAL(ret, -ENOENT);
	CU_ASSERT_EQUAL_FATAL(errs.n, 1);
	CU_ASSERT_STRING_EQUAL(errs.items[0].file, "/nonexistent/egressgw.ini");
	CU_ASSERT_EQUAL(errs.items[0].line, 0);
	CU_ASSERT_STRING_EQUAL(errs.items[0].msg, "cannot open: No such file or directory");

	/* Errors accumulate across loads (the config, then policy files). */
	ret = egw_conf_load("/tmp", conf, &errs);
	CU_ASSERT_EQUAL(ret, -EINVAL);
	CU_ASSERT_EQUAL(errs.n, 2);
	CU_ASSERT_TRUE(has_error("/tmp", 0, "is not a regular file (directory)"));

	/* conf->path must hold the name exactly: a cut name would be a different file. */
	char longname[EGW_PATH_MAX + 8];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	egw_conf_errors_free(&errs);
	CU_ASSERT_EQUAL(egw_conf_load_string(longname, MIN_CONF, conf, &errs), -ENAMETOOLONG);
	CU_ASSERT_EQUAL_FATAL(errs.n, 1);
	CU_ASSERT_EQUAL(errs.items[0].line, 0);
	CU_ASSERT_STRING_EQUAL(errs.items[0].msg, "path too long (max 255 bytes)");

	CU_ASSERT_EQUAL(egw_conf_load(NULL, conf, &errs), -EINVAL);
	CU_ASSERT_EQUAL(egw_conf_load_string("x", NULL, conf, &errs), -EINVAL);
}

/* Loads PATH (which must not block: alarm), expecting RET and exactly ERRORS errors. */
static void load_path_expect(const char *path, int ret, unsigned errors)
{
	egw_conf_errors_free(&errs);
	int got;

	alarm(10);
	got = egw_conf_load(path, conf, &errs);
	alarm(0);
	CU_ASSERT_EQUAL(got, ret);
	if (got != ret) {
		fprintf(stderr, "\n%s: ret %d, expected %d:\n", path, got, ret);
		dump_errors();
	}
	if (errors)
		CU_ASSERT_EQUAL(errs.n, errors);
}

/*
 * The config is a regular file of at most 16 MiB: anything else is refused before a byte is
 * read (a FIFO would block, /dev/zero never ends), and a file that holds more than its size
 * said (/proc) stops at the limit.
 */
static void test_load_special_files(void)
{
	char fifo[64], path[64];
	FILE *fp;
	long left;
	int fd;

	load_path_expect("/dev/zero", -EINVAL, 1);
	CU_ASSERT_TRUE(has_error("/dev/zero", 0, "is not a regular file (character device)"));

	snprintf(fifo, sizeof(fifo), "/tmp/egw_test_fifo_XXXXXX");
	fd = mkstemp(fifo);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	unlink(fifo);
	CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
	load_path_expect(fifo, -EINVAL, 1);
	CU_ASSERT_TRUE(has_error(fifo, 0, "is not a regular file (FIFO)"));
	unlink(fifo);

	/* Exactly 16 MiB of a valid file is fine; one byte more is refused. */
	path[0] = '\0';
	snprintf(path, sizeof(path), "%s", write_tmp(MIN_CONF, strlen(MIN_CONF)));
	fp = fopen(path, "a");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	for (left = (long)EGW_FILE_MAX_BYTES - (long)strlen(MIN_CONF); left > 0; left -= 100)
		fprintf(fp, ";%.*s\n", (int)(left < 100 ? left - 2 : 98),
			"0123456789012345678901234567890123456789012345678901234567890123456789"
			"0123456789012345678901234567890123456789");
	fclose(fp);
	load_path_expect(path, 0, 0);
	CU_ASSERT_EQUAL(errs.n, 0);
	fp = fopen(path, "a");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fputc('\n', fp);
	fclose(fp);
	load_path_expect(path, -EFBIG, 1);
	CU_ASSERT_TRUE(has_error(path, 0, "is larger than 16 MiB"));
	unlink(path);

	/* A regular file of size 0 that never ends: reading stops at the limit. */
	load_path_expect("/proc/self/pagemap", -EFBIG, 0);
	CU_ASSERT_TRUE(has_error("/proc/self/pagemap", 0, "is larger than 16 MiB"));
	egw_conf_errors_free(&errs);
}

/* [metrics] listen and egwctl -m: IPv4, [IPv6] and host names; nothing resolved. */
static void test_parse_listen(void)
{
	static const struct {
		const char *in, *host;
		uint16_t port;
	} good[] = {
		{ "127.0.0.1:9610", "127.0.0.1", 9610 },
		{ "[::1]:9610", "::1", 9610 },
		{ "[::]:1", "::", 1 },
		{ "localhost:65535", "localhost", 65535 },
		{ "gw-1.example.net:9100", "gw-1.example.net", 9100 },
	};
	static const char *const bad[] = { "", ":9610", "localhost", "[::1]", "[::1]:", "::1:9610",
		"[::1]9610", "[127.0.0.1]:1", "a b:1", "-x:1", "1.2.3:1", "h:0", "h:65536",
		"h:80x" };
	char host[64];
	uint16_t port;

	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CU_ASSERT_EQUAL(egw_parse_listen(good[i].in, host, sizeof(host), &port), 0);
		CU_ASSERT_STRING_EQUAL(host, good[i].host);
		CU_ASSERT_EQUAL(port, good[i].port);
	}
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (egw_parse_listen(bad[i], host, sizeof(host), &port) != -EINVAL)
			fprintf(stderr, "listen '%s' accepted\n", bad[i]);
		CU_ASSERT_EQUAL(egw_parse_listen(bad[i], host, sizeof(host), &port), -EINVAL);
	}
	/* A host longer than the caller's buffer. */
	CU_ASSERT_EQUAL(egw_parse_listen("abcdefgh:1", host, 8, &port), -EINVAL);
}

void egw_test_register_conf(void)
{
	EGW_SUITE("conf", suite_init, suite_clean, EGW_TEST(test_parse_ipv4),
		EGW_TEST(test_parse_listen), EGW_TEST(test_parse_cidr_ifaddr),
		EGW_TEST(test_parse_mac), EGW_TEST(test_parse_lcores),
		EGW_TEST(test_parse_u32_bool), EGW_TEST(test_parse_ranges),
		EGW_TEST(test_mode_names), EGW_TEST(test_defaults), EGW_TEST(test_full_valid),
		EGW_TEST(test_vlan_ports), EGW_TEST(test_udp_port_timeouts),
		EGW_TEST(test_accepted_edge_values), EGW_TEST(test_error_cases),
		EGW_TEST(test_tunnel_keys), EGW_TEST(test_too_many_sections),
		EGW_TEST(test_too_many_routes_neighbors), EGW_TEST(test_many_errors_all_reported),
		EGW_TEST(test_errors_print_sorted), EGW_TEST(test_long_line),
		EGW_TEST(test_continuation), EGW_TEST(test_comments_and_syntax),
		EGW_TEST(test_error_limit), EGW_TEST(test_load_file),
		EGW_TEST(test_load_special_files));
}
