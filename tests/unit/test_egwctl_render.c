/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * egwctl's renderers (tools/egwctl/render.c): telemetry replies, parsed by jansson, printed as
 * the tables and "key: value" lists an operator reads. The replies here have the shape the
 * daemon sends; the expected text is the documented output, column for column.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egw_test.h"
#include "render.h"
#include "table.h"

static json_t *load(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, 0, &err);

	if (!v)
		fprintf(stderr, "\n  bad test JSON at %d: %s\n", err.position, err.text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	return v;
}

typedef int (*render_fn)(json_t *v, FILE *out);

/* Renders TEXT with FN; expects return code RC and, when WANT is set, exactly WANT. */
static void expect(render_fn fn, const char *text, int rc, const char *want)
{
	json_t *v = load(text);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int got;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	got = fn(v, f);
	fclose(f);
	CU_ASSERT_EQUAL(got, rc);
	if (want && strcmp(out, want) != 0) {
		fprintf(stderr, "\n  got:\n%s\n  wanted:\n%s\n", out, want);
		CU_FAIL("rendered text");
	}
	free(out);
	json_decref(v);
}

static void test_sorted(void)
{
	json_t *v = load("{\"p10\": {\"n\": 10}, \"x\": {}, \"p2\": {\"n\": 2}, \"n\": 5, "
			 "\"p1\": {\"n\": 1}, \"p01x\": {}}");
	struct egw_member *m = NULL;
	int n = egw_render_sorted(v, &m);

	/* Numbered keys by number, then the others by name; non-objects are no rows. */
	CU_ASSERT_EQUAL_FATAL(n, 5);
	CU_ASSERT_STRING_EQUAL(m[0].key, "p1");
	CU_ASSERT_STRING_EQUAL(m[1].key, "p2");
	CU_ASSERT_STRING_EQUAL(m[2].key, "p10");
	CU_ASSERT_STRING_EQUAL(m[3].key, "p01x");
	CU_ASSERT_STRING_EQUAL(m[4].key, "x");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(m[2].value, "n")), 10);
	free(m);
	m = NULL;
	CU_ASSERT_EQUAL(egw_render_sorted(json_object_get(v, "n"), &m), 0);
	CU_ASSERT_PTR_NULL(m);
	CU_ASSERT_EQUAL(egw_render_sorted(NULL, &m), 0);
	json_decref(v);
}

static void test_ports(void)
{
	/* p1 first in the reply: rows follow the keys' numbers. A control byte in a name must
	 * not reach the terminal (libsmartcols escapes it); a missing field is "-"; link_up may
	 * be 0/1 or a boolean. */
	expect(egw_render_ports,
		"{\"ports\": {\"p1\": {\"name\": \"outside\", \"id\": 1, \"vlan\": 20, "
		"\"role\": \"outside\", "
		"\"address\": \"203.0.113.2/24\", \"mac\": \"02:00:00:00:00:02\", \"link_up\": "
		"false, \"speed_mbps\": 10000, \"mtu\": 1500, \"rx_packets\": 123456, "
		"\"rx_bytes\": 9, \"tx_packets\": 0, \"tx_bytes\": 0, \"rx_missed\": 0, "
		"\"rx_errors\": 0, \"rx_nombuf\": 0, \"tx_errors\": 0, \"tx_full\": 3, "
		"\"rx_ring_drops\": 82894, \"if_rx_dropped\": 0, \"if_tx_dropped\": 5}, "
		"\"p0\": {\"name\": \"in\\u0007side\", \"id\": 0, \"role\": \"inside\", "
		"\"address\": \"198.18.0.1/24\", \"mac\": \"02:00:00:00:00:01\", \"link_up\": 1, "
		"\"speed_mbps\": 10000, \"mtu\": 9000, \"rx_packets\": 5, \"rx_bytes\": 300, "
		"\"tx_packets\": 7, \"tx_bytes\": 420, \"rx_missed\": 1, \"rx_errors\": 2, "
		"\"tx_errors\": 4}}}",
		0,
		"PORT        ID  VLAN  ROLE     ADDRESS         MAC                LINK  "
		"SPEED_MBPS   "
		"MTU  "
		"RX_PKTS  RX_BYTES  TX_PKTS  TX_BYTES  RX_MISSED  RX_ERRORS  RX_NOMBUF  TX_ERRORS  "
		"TX_FULL  RX_RING_DROPS  IF_RX_DROPPED  IF_TX_DROPPED\n"
		"in\\x07side   0     -  inside   198.18.0.1/24   02:00:00:00:00:01  up         "
		"10000  "
		"9000  "
		"      5       300        7       420          1          2          -          4  "
		"      -              -              -              -\n"
		"outside      1    20  outside  203.0.113.2/24  02:00:00:00:00:02  down       "
		"10000  "
		"1500  "
		" 123456         9        0         0          0          0          0"
		"          0        3          82894              0              5\n");
	expect(egw_render_ports, "{\"ports\": {}}", 0, "no ports\n");
	expect(egw_render_ports, "{\"workers\": {}}", -EPROTO, "");
	expect(egw_render_ports, "{\"ports\": [1, 2]}", -EPROTO, "");
}

static void test_tunnels(void)
{
	const char *row = "{\"clients_current\": 0, \"clients_total\": 0, \"allowed\": 0, "
			  "\"denied\": 0, \"bytes_up\": 0, \"bytes_down\": 0}";
	char text[1024];

	snprintf(text, sizeof(text),
		"{\"enabled\": 1, \"clients_current\": 2, \"tunnels_current\": 1, "
		"\"memory_bytes\": 4096, \"upstream_admitted\": 7, \"http\": {\"clients_current\": "
		"2, "
		"\"clients_total\": 9, \"allowed\": 5, \"denied\": 2, \"unresolvable\": 1, "
		"\"timeout\": 3, \"bytes_up\": 100, \"bytes_down\": 20000}, \"https\": %s, "
		"\"h2c\": %s, \"h2\": %s, \"socks5\": %s}",
		row, row, row, row);
	expect(egw_render_tunnels, text, 0,
		"TRANSPORT  CLIENTS  TOTAL  ALLOWED  DENIED  FAILED  BYTES_UP  BYTES_DOWN\n"
		"http             2      9        5       2       4       100       20000\n"
		"https            0      0        0       0       0         0           0\n"
		"h2c              0      0        0       0       0         0           0\n"
		"h2               0      0        0       0       0         0           0\n"
		"socks5           0      0        0       0       0         0           0\n"
		"clients 2, tunnels 1, memory 4096 bytes, upstream flows admitted 7\n");
	expect(egw_render_tunnels, "{\"enabled\": 0}", 0,
		"no tunnel service ([tunnel] has no listener)\n");
	expect(egw_render_tunnels, "{\"enabled\": 1, \"http\": {}}", -EPROTO, NULL);
	expect(egw_render_tunnels, "[1]", -EPROTO, "");
}

static void test_sources(void)
{
	/* Rows in the daemon's order (most mappings first): s1 after s0 whatever the JSON order. */
	expect(egw_render_sources,
		"{\"sources\": {\"s1\": {\"address\": \"198.18.0.7\", \"mappings\": 12}, "
		"\"s0\": {\"address\": \"198.18.0.2\", \"mappings\": 4096}}}",
		0,
		"SOURCE      MAPPINGS\n"
		"198.18.0.2      4096\n"
		"198.18.0.7        12\n");
	expect(egw_render_sources, "{\"sources\": {}}", 0, "no source holds a live mapping\n");
	expect(egw_render_sources, "{\"ports\": {}}", -EPROTO, "");
}

static void test_stats(void)
{
	/* Values in one column; the drops that happened, most frequent first, ties by name. */
	expect(egw_render_stats,
		"{\"packets_in\": 10, \"flows_active\": 2, \"note\": \"a\\nb\", \"drops\": "
		"{\"ip_bad_checksum\": 0, \"tx_full\": 3, \"policy_deny\": 7, \"mode_deny\": 3}}",
		0,
		"packets_in:   10\n"
		"flows_active: 2\n"
		"note:         a\n"
		"              b\n"
		"\n"
		"DROP REASON  COUNT\n"
		"policy_deny      7\n"
		"mode_deny        3\n"
		"tx_full          3\n");
	expect(egw_render_stats, "{\"packets_in\": 1, \"drops\": {\"tx_full\": 0}}", 0,
		"packets_in: 1\n\nno drops\n");
	expect(egw_render_stats, "{\"packets_in\": 1}", -EPROTO, "");
}

static void test_status(void)
{
	/* The documented order whatever the reply's; an empty listen address or log path is
	 * "off"; members a newer daemon adds come last. */
	expect(egw_render_status,
		"{\"newer\": [1, {\"a\": true}], \"flow_log\": \"\", \"mode\": \"policy\", "
		"\"uptime_s\": 3720, \"version\": \"0.1.0\", \"metrics_listen\": "
		"\"127.0.0.1:9610\", \"last_reload\": \"\"}",
		0,
		"version:        0.1.0\n"
		"mode:           policy\n"
		"uptime_s:       3720 (1h 2m)\n"
		"last_reload:    -\n"
		"metrics_listen: 127.0.0.1:9610\n"
		"flow_log:       off\n"
		"newer:          [1,{\"a\":true}]\n");
	expect(egw_render_status, "{\"uptime_s\": 90061}", 0, "uptime_s: 90061 (1d 1h 1m)\n");
	expect(egw_render_status, "[]", -EPROTO, "");
}

static void test_flows(void)
{
	/* ICMP has no ports (null); an IPv6 address goes in brackets; fewer listed than
	 * matched says how to see more. */
	expect(egw_render_flows,
		"{\"matched\": 3, \"listed\": 2, \"limit\": 2, \"flows\": {"
		"\"f1\": {\"worker\": 1, \"proto\": \"icmp\", \"state\": \"icmp\", "
		"\"src\": \"198.18.0.2\", \"sport\": null, \"dst\": \"203.0.113.1\", "
		"\"dport\": null, \"nat_src\": \"198.51.100.10\", \"nat_sport\": null, "
		"\"policy\": \"(mode)\", \"age_s\": 1, \"idle_s\": 0, \"packets_out\": 1, "
		"\"bytes_out\": 84, \"packets_in\": 1, \"bytes_in\": 84, \"flags\": \"nat\"}, "
		"\"f0\": {\"worker\": 0, \"proto\": \"tcp\", \"state\": \"established\", "
		"\"src\": \"198.18.0.2\", \"sport\": 40000, \"dst\": \"2001:db8::1\", "
		"\"dport\": 443, \"nat_src\": \"198.51.100.11\", \"nat_sport\": 1024, "
		"\"policy\": \"web\", \"age_s\": 12, \"idle_s\": 2, \"packets_out\": 10, "
		"\"bytes_out\": 1000, \"packets_in\": 9, \"bytes_in\": 9000, \"flags\": \"nat\", "
		"\"server_name\": \"api.github.com\", \"ech\": 1}}}",
		0,
		"PROTO  SRC:SPORT             DST:DPORT          HOST                  NAT "
		"SRC:PORT        "
		"STATE        POLICY  FLAGS  AGE_S  IDLE_S  PKTS OUT/IN  BYTES OUT/IN  WORKER\n"
		"tcp    198.18.0.2:40000  ->  [2001:db8::1]:443  api.github.com (ech)  "
		"198.51.100.11:1024  "
		"established  web     nat       12       2         10/9     1000/9000       0\n"
		"icmp   198.18.0.2        ->  203.0.113.1        -                     "
		"198.51.100.10       "
		"icmp         (mode)  nat        1       0          1/1         84/84       1\n"
		"2 of 3 matching flows shown (limit 2: narrow the filter or raise limit=)\n");
	expect(egw_render_flows, "{\"matched\": 0, \"listed\": 0, \"limit\": 20, \"flows\": {}}", 0,
		"0 of 0 matching flows shown\n");
	/* late binding shows beside the flags */
	expect(egw_render_flows,
		"{\"matched\": 1, \"listed\": 1, \"limit\": 20, \"flows\": {"
		"\"f0\": {\"worker\": 0, \"proto\": \"tcp\", \"state\": \"established\", "
		"\"src\": \"198.18.0.2\", \"sport\": 40000, \"dst\": \"203.0.113.1\", "
		"\"dport\": 443, \"nat_src\": \"198.51.100.20\", \"nat_sport\": 1024, "
		"\"policy\": \"partner\", \"age_s\": 1, \"idle_s\": 0, \"packets_out\": 5, "
		"\"bytes_out\": 900, \"packets_in\": 4, \"bytes_in\": 4000, \"flags\": \"nat\", "
		"\"server_name\": \"partner.example\", \"ech\": 0, \"binding\": \"late\", "
		"\"seq_offset_in\": 7, \"seq_offset_out\": 4294967289, \"ts_offset\": 0}}}",
		0,
		"PROTO  SRC:SPORT             DST:DPORT        HOST             NAT SRC:PORT       "
		" "
		"STATE        POLICY   FLAGS     AGE_S  IDLE_S  PKTS OUT/IN  BYTES OUT/IN  WORKER\n"
		"tcp    198.18.0.2:40000  ->  203.0.113.1:443  partner.example  198.51.100.20:1024 "
		" "
		"established  partner  nat,late      1       0          5/4      900/4000       0\n"
		"1 of 1 matching flows shown\n");
}

static void test_names(void)
{
	/* Rows in their order (n0, n1), the remaining TTL, the counters, more to see. */
	expect(egw_render_names,
		"{\"entries\": 3, \"distinct_names\": 2, \"evicted_per_name\": 1, "
		"\"evicted_total\": 0, \"listed\": 2, \"limit\": 2, \"more\": \"yes\", "
		"\"names\": {\"n1\": {\"name\": \"api.github.com\", \"address\": "
		"\"140.82.113.6\", \"ttl\": 7}, \"n0\": {\"name\": \"github.com\", "
		"\"address\": \"140.82.113.4\", \"ttl\": 59}}}",
		0,
		"NAME            ADDRESS       TTL_S\n"
		"github.com      140.82.113.4     59\n"
		"api.github.com  140.82.113.6      7\n"
		"2 entries shown of 3 learned (2 names) (limit 2: narrow the filter or raise "
		"limit=); evicted 1 per name, 0 for the total cap\n");
	expect(egw_render_names,
		"{\"entries\": 0, \"distinct_names\": 0, \"evicted_per_name\": 0, "
		"\"evicted_total\": 0, \"listed\": 0, \"limit\": 20, \"more\": \"no\", "
		"\"names\": {}}",
		0,
		"0 entries shown of 0 learned (0 names); evicted 0 per name, 0 for the total "
		"cap\n");
}

static void test_pools(void)
{
	expect(egw_render_pools,
		"{\"truncated\": 1, \"pools\": {\"p0\": {\"name\": \"public\", \"mapping\": "
		"\"endpoint-dependent\", \"addresses_total\": 3, \"ports_per_address\": 64512, "
		"\"ports_in_use\": 1, \"ports_free\": 193535, \"exhausted\": 0, \"addresses\": {"
		"\"a1\": {\"address\": \"198.51.100.11\", \"ports_in_use\": 0, \"ports_free\": "
		"64512, \"exhausted\": 0}, \"a0\": {\"address\": \"198.51.100.10\", "
		"\"ports_in_use\": 1, \"ports_free\": 64511, \"exhausted\": 0}}}}}",
		0,
		"POOL    ADDRESS                          IN_USE    FREE  EXHAUSTED  MAPPING\n"
		"public  198.51.100.10                         1   64511          0\n"
		"public  198.51.100.11                         0   64512          0\n"
		"public  total (2 of 3 addresses listed)       1  193535          0  "
		"endpoint-dependent, 64512 ports/address\n"
		"(truncated: the reply did not fit; `egwctl pools NAME` lists one pool)\n");
	/* Mapping and filtering (RFC 4787 REQ-1, REQ-8) as the daemon reports them. */
	expect(egw_render_pools,
		"{\"pools\": {\"p0\": {\"name\": \"public\", \"mapping\": "
		"\"endpoint-independent\", \"filtering\": \"address-dependent\", "
		"\"addresses_total\": 1, \"ports_per_address\": 64512, \"ports_in_use\": 2, "
		"\"ports_free\": 64510, \"exhausted\": 0, \"addresses\": {\"a0\": {\"address\": "
		"\"198.51.100.10\", \"ports_in_use\": 2, \"ports_free\": 64510, \"exhausted\": "
		"0}}}}}",
		0,
		"POOL    ADDRESS            IN_USE   FREE  EXHAUSTED  MAPPING\n"
		"public  198.51.100.10           2  64510          0\n"
		"public  total (1 address)       2  64510          0  endpoint-independent, "
		"address-dependent filtering, 64512 ports/address\n");
}

static void test_policies(void)
{
	json_t *pages[2] = {
		load("{\"generation\": 4, \"policies_total\": 3, \"offset\": 0, "
		     "\"next_offset\": 2, \"policies\": {\"p1\": {\"name\": \"web\", "
		     "\"flows_allowed\": 12, \"flows_denied\": 0, \"flows_active\": 1, "
		     "\"packets\": 100, \"bytes\": 20000}, \"p0\": {\"name\": \"(mode)\", "
		     "\"flows_allowed\": 0, \"flows_denied\": 5, \"flows_active\": 0, "
		     "\"packets\": 0, \"bytes\": 0}}}"),
		load("{\"generation\": 4, \"policies_total\": 3, \"offset\": 2, "
		     "\"next_offset\": 0, \"policies\": {\"p2\": {\"name\": \"blocked\", "
		     "\"flows_allowed\": 0, \"flows_denied\": 3, \"flows_active\": 0, "
		     "\"packets\": 0, \"bytes\": 0}}}"),
	};
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	json_t *all, *reply, *pol;
	const char *want = "POLICY   ALLOWED  DENIED  ACTIVE  PACKETS  BYTES\n"
			   "(mode)         0       5       0        0      0\n"
			   "web           12       0       1      100  20000\n"
			   "blocked        0       3       0        0      0\n"
			   "generation 4: 3 policies configured\n";

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(egw_render_policies(pages, 2, f), 0);
	fclose(f);
	if (strcmp(out, want) != 0)
		fprintf(stderr, "\n  got:\n%s\n  wanted:\n%s\n", out, want);
	CU_ASSERT_STRING_EQUAL(out, want);
	free(out);
	out = NULL;

	/* --json of several pages: one reply as if it had held every policy. */
	f = open_memstream(&out, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(egw_render_pages_json("/egw/policies", "policies", pages, 2, f), 0);
	fclose(f);
	all = load(out);
	reply = json_object_get(all, "/egw/policies");
	pol = json_object_get(reply, "policies");
	CU_ASSERT_EQUAL(json_object_size(pol), 3);
	CU_ASSERT_STRING_EQUAL(json_string_value(
				       json_object_get(json_object_get(pol, "p2"), "name")),
		"blocked");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(reply, "next_offset")), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(reply, "generation")), 4);
	json_decref(all);
	free(out);
	json_decref(pages[0]);
	json_decref(pages[1]);
}

static void test_neighbors(void)
{
	json_t *pages[1] = { load("{\"offset\": 0, \"next_offset\": 0, \"neighbors\": {"
				  "\"n1\": {\"address\": \"203.0.113.1\", \"port\": \"outside\", "
				  "\"mac\": \"\", \"state\": \"incomplete\", \"age_s\": 0, "
				  "\"probes\": 2}, \"n0\": {\"address\": \"198.18.0.2\", "
				  "\"port\": \"inside\", \"mac\": \"02:00:00:00:00:02\", "
				  "\"state\": \"reachable\", \"age_s\": 5, \"probes\": 0}}}") };
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	const char *want = "ADDRESS      PORT     MAC                STATE       AGE_S  PROBES\n"
			   "198.18.0.2   inside   02:00:00:00:00:02  reachable       5       0\n"
			   "203.0.113.1  outside  -                  incomplete      0       2\n"
			   "2 neighbors\n";

	/* A neighbour still being resolved has no MAC: "-". */
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(egw_render_neighbors(pages, 1, f), 0);
	fclose(f);
	if (strcmp(out, want) != 0)
		fprintf(stderr, "\n  got:\n%s\n  wanted:\n%s\n", out, want);
	CU_ASSERT_STRING_EQUAL(out, want);
	free(out);
	json_decref(pages[0]);
}

static void test_style(void)
{
	const char *stats = "{\"packets_in\": 1, \"drops\": {\"mode_deny\": 3, \"tx_full\": 12}}";

	/* -o: the columns named (any case, '_' for a blank), in that order. */
	egw_table_set_style(&(struct egw_table_style){ .columns = "count,Drop_Reason" });
	expect(egw_render_stats, stats, 0,
		"packets_in: 1\n\nCOUNT  DROP REASON\n   12  tx_full\n    3  mode_deny\n");
	egw_table_set_style(&(struct egw_table_style){ .columns = "count,nosuch" });
	expect(egw_render_stats, stats, -EINVAL, "packets_in: 1\n\n");
	/* --raw --noheadings: one blank between cells, blanks escaped, for scripts. */
	egw_table_set_style(&(struct egw_table_style){ .raw = true, .noheadings = true });
	expect(egw_render_pools,
		"{\"pools\": {\"p0\": {\"name\": \"public\", \"mapping\": \"endpoint-dependent\", "
		"\"addresses_total\": 1, \"ports_per_address\": 64512, \"ports_in_use\": 0, "
		"\"ports_free\": 64512, \"exhausted\": 0, \"addresses\": {\"a0\": {\"address\": "
		"\"198.51.100.10\", \"ports_in_use\": 0, \"ports_free\": 64512, \"exhausted\": "
		"0}}}}}",
		0,
		"public 198.51.100.10 0 64512 0 \n"
		"public total\\x20(1\\x20address) 0 64512 0 "
		"endpoint-dependent,\\x2064512\\x20ports/address\n");
	egw_table_set_style(&(struct egw_table_style){ 0 });
}

void egw_test_register_egwctl_render(void)
{
	EGW_SUITE("egwctl_render", NULL, NULL, EGW_TEST(test_sorted), EGW_TEST(test_ports),
		EGW_TEST(test_sources), EGW_TEST(test_tunnels), EGW_TEST(test_stats),
		EGW_TEST(test_status), EGW_TEST(test_flows), EGW_TEST(test_names),
		EGW_TEST(test_pools), EGW_TEST(test_policies), EGW_TEST(test_neighbors),
		EGW_TEST(test_style));
}
