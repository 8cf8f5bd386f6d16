/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>

#include <rte_memory.h>

#include "egw_test.h"
#include "pktgen.h"
#include "pipeline/dataplane_internal.h" /* sets a worker's counters (white box) */
#include "telemetry/community_id.h"
#include "telemetry/flowlog.h"
#include "telemetry/metrics.h"
#include "telemetry/telemetry.h"

/* DPDK refuses a command whose help text reaches RTE_TEL_MAX_STRING_LEN: every /egw/ command
 * must register (a too-long help once left the daemon without telemetry). */
static void test_telemetry_register(void)
{
	static struct egw_tel_source src;

	CU_ASSERT_EQUAL(egw_test_eal_init(), 0);
	CU_ASSERT_EQUAL(egw_telemetry_register(&src), 0);
}

static void test_sha256_file(void)
{
	char path[] = "/tmp/egw-ut-sha-XXXXXX", hex[65] = { 0 };
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "abc", 3), 3);
	close(fd);
	CU_ASSERT_EQUAL(egw_sha256_file(path, hex), 0);
	/* FIPS 180-2 test vector for "abc". */
	CU_ASSERT_STRING_EQUAL(hex,
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	unlink(path);
	CU_ASSERT_EQUAL(egw_sha256_file(path, hex), -ENOENT);
	/* The same rules as for parsing the file: no device, no endless /proc file (alarm: a
	 * reader that does not stop ends the run instead of hanging it). */
	alarm(10);
	CU_ASSERT_EQUAL(egw_sha256_file("/dev/zero", hex), -EINVAL);
	CU_ASSERT_EQUAL(egw_sha256_file("/proc/self/pagemap", hex), -EFBIG);
	alarm(0);
}

/* ---- flow log records ---- */

/* Community ID v1 against the spec's published baseline (corelight/community-id-spec,
 * baseline/baseline_deflt.json and baseline_seed1.json): both directions hash alike. */
static void test_community_id(void)
{
	static const struct {
		const char *s, *d;
		uint8_t proto;
		uint16_t sport, dport, seed;
		const char *want;
	} v[] = {
		{ "128.232.110.120", "66.35.250.204", 6, 34855, 80, 0,
			"1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
		{ "66.35.250.204", "128.232.110.120", 6, 80, 34855, 0,
			"1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
		{ "192.168.1.52", "8.8.8.8", 17, 54585, 53, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
		{ "8.8.8.8", "192.168.1.52", 17, 53, 54585, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
		/* ICMP echo request and its reply: type 8 <-> 0, two-way. */
		{ "192.168.0.89", "192.168.0.1", 1, 8, 0, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
		{ "192.168.0.1", "192.168.0.89", 1, 0, 0, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
		/* Time exceeded (11, code 0): one-way, the code is the second "port". */
		{ "10.0.0.1", "10.0.0.2", 1, 11, 0, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM=" },
		/* SCTP: equal ports, the addresses order. */
		{ "192.168.170.56", "192.168.170.8", 132, 7, 7, 0,
			"1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=" },
		/* RSVP: no ports. */
		{ "10.1.12.2", "10.1.12.1", 46, 0, 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=" },
		{ "128.232.110.120", "66.35.250.204", 6, 34855, 80, 1,
			"1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
	};

	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct egw_community_tuple t = { .proto = v[i].proto,
			.sport = v[i].sport,
			.dport = v[i].dport };
		struct in_addr a, b;
		char id[EGW_COMMUNITY_ID_SIZE];

		CU_ASSERT_EQUAL_FATAL(inet_pton(AF_INET, v[i].s, &a), 1);
		CU_ASSERT_EQUAL_FATAL(inet_pton(AF_INET, v[i].d, &b), 1);
		t.saddr = ntohl(a.s_addr);
		t.daddr = ntohl(b.s_addr);
		CU_ASSERT_EQUAL(egw_community_id(&t, v[i].seed, id), 0);
		if (strcmp(id, v[i].want) != 0)
			fprintf(stderr, "\n  vector %u: %s, wanted %s\n", i, id, v[i].want);
		CU_ASSERT_STRING_EQUAL(id, v[i].want);
	}
}

static struct egw_flowlog_rec sample_rec(enum egw_flow_event ev, uint8_t proto)
{
	return (struct egw_flowlog_rec){ .stamp = 5,
		.event = (uint8_t)ev,
		.proto = proto,
		.reason = ev == EGW_EV_END  ? EGW_END_TCP_CLOSED :
			  ev == EGW_EV_DENY ? EGW_DROP_POLICY_DENY :
					      0,
		.worker = 1,
		.flow_id = ev == EGW_EV_DENY ? 0 : 0x0001a2b3c4d51002ULL,
		.src = htonl(PG_IP(198, 18, 0, 2)),
		.dst = htonl(PG_IP(203, 0, 113, 1)),
		.nat_src = htonl(PG_IP(198, 51, 100, 10)),
		.sport = htons(40000),
		.dport = htons(443),
		.nat_sport = htons(2000),
		.state = ev == EGW_EV_END ? EGW_TCP_TIME_WAIT : 0,
		.policy = 3,
		.packets = { 10, 9 },
		.bytes = { 1000, 5000000000ULL } };
}

static void test_flowlog_format(void)
{
	struct egw_flowlog_rec r = sample_rec(EGW_EV_END, IPPROTO_TCP);
	/* 2026-11-29T10:20:30.123Z */
	struct egw_flowlog_meta m = { .time_ms = 1795947630123LL,
		.duration_ms = 12345,
		.policy = "web",
		.host = "gw1" };
	char buf[768];
	int n;

	/* Community IDs computed apart (Python hashlib) for these tuples. */
	n = egw_flowlog_format(&r, &m, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, (int)strlen(buf));
	CU_ASSERT_STRING_EQUAL(buf,
		"{\"time\":\"2026-11-29T10:20:30.123Z\",\"host\":\"gw1\",\"event\":\"end\","
		"\"flow_id\":\"0001a2b3c4d51002\","
		"\"community_id\":\"1:S7i17Ca9tnkxxy4E3akYYd03wdg=\",\"proto\":\"tcp\","
		"\"src\":\"198.18.0.2\",\"sport\":40000,\"dst\":\"203.0.113.1\",\"dport\":443,"
		"\"nat_src\":\"198.51.100.10\",\"nat_sport\":2000,"
		"\"nat_community_id\":\"1:cPR0360X3JV4djb5sIiVSip4M9M=\",\"policy\":\"web\","
		"\"worker\":1,\"reason\":\"tcp_closed\",\"duration_s\":12,\"duration_ms\":12345,"
		"\"packets_out\":10,\"bytes_out\":1000,\"packets_in\":9,"
		"\"bytes_in\":5000000000,\"state\":\"time_wait\"}\n");

	/* Before 1970 and whole seconds: the milliseconds stay three digits. */
	m.time_ms = -1;
	egw_flowlog_format(&r, &m, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"time\":\"1969-12-31T23:59:59.999Z\""));
	m.time_ms = 1795947630000LL;
	egw_flowlog_format(&r, &m, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"time\":\"2026-11-29T10:20:30.000Z\""));

	/* A flow decided by its host name: the name, where it came from, ECH. */
	r.name_len = 14;
	r.name_flags = EGW_FLOWLOG_NAME_TLS | EGW_FLOWLOG_NAME_ECH;
	m.server_name = "api.github.com";
	egw_flowlog_format(&r, &m, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(buf, "\"server_name\":\"api.github.com\",\"name_from\":\"tls\",\"ech\":true,"
			    "\"policy\":\"web\""));
	r.name_flags = EGW_FLOWLOG_NAME_HTTP;
	egw_flowlog_format(&r, &m, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"name_from\":\"http\","));
	CU_ASSERT_PTR_NULL(strstr(buf, "ech"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"binding\":\"early\"}"));
	r.name_flags = EGW_FLOWLOG_NAME_HTTP | EGW_FLOWLOG_LATE;
	egw_flowlog_format(&r, &m, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"binding\":\"late\"}"));
	m.server_name = NULL;

	r = sample_rec(EGW_EV_DENY, IPPROTO_TCP);
	m.policy = "blocked";
	egw_flowlog_format(&r, &m, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"event\":\"deny\""));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(buf, "\"reason\":\"policy_deny\",\"count\":1,\"action\":\"drop\""));
	m.count = 3;
	egw_flowlog_format(&r, &m, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"reason\":\"policy_deny\",\"count\":3"));
	m.count = 0;
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"community_id\":\"1:S7i17Ca9tnkxxy4E3akYYd03wdg=\""));
	/* A refused flow has no id and no translation. */
	CU_ASSERT_PTR_NULL(strstr(buf, "flow_id"));
	CU_ASSERT_PTR_NULL(strstr(buf, "nat_"));
	CU_ASSERT_PTR_NULL(strstr(buf, "packets"));
	/* The refusal was answered (action reject). */
	r.state = EGW_FLOWLOG_DENY_REJECT;
	egw_flowlog_format(&r, &m, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"count\":1,\"action\":\"reject\""));

	r = sample_rec(EGW_EV_START, IPPROTO_ICMP);
	m.policy = "(mode)";
	egw_flowlog_format(&r, &m, buf, sizeof(buf));
	/* ICMP: the identifier is no port; the echo request's type/code make the ID. */
	CU_ASSERT_PTR_NOT_NULL(strstr(buf,
		"\"community_id\":\"1:YqY3fg8BpxyHVHmcMW8uxWziXyw=\",\"proto\":\"icmp\","
		"\"src\":\"198.18.0.2\",\"id\":40000,\"dst\":\"203.0.113.1\","
		"\"nat_src\":\"198.51.100.10\",\"nat_id\":2000,"
		"\"nat_community_id\":\"1:0eTe8+PTt5oEqrkw21a50+f/cp0=\",\"policy\":\"(mode)\""));
	CU_ASSERT_PTR_NULL(strstr(buf, "reason"));
	CU_ASSERT_PTR_NULL(strstr(buf, "dport"));
}

/* Stamps and ids to milliseconds: the control thread's side of the flow log clock. */
static void test_flowlog_clock(void)
{
	const uint64_t hz = 2000000000; /* 2 GHz: one unit is 32.768 us */
	const uint64_t now = 0x123456789aULL;
	const int64_t now_ms = 1795947630123LL;

	/* A 32-bit stamp a little before now, across a wrap of the low bits, and one a
	 * little after (stamped after the reader sampled the clock). */
	CU_ASSERT_EQUAL(egw_flowlog_unwrap((uint32_t)(now - 10), now), now - 10);
	CU_ASSERT_EQUAL(egw_flowlog_unwrap(0xfffffff0u, 0x500000005ULL), 0x4fffffff0ULL);
	CU_ASSERT_EQUAL(egw_flowlog_unwrap((uint32_t)(now + 3), now), now + 3);
	/* 30517 units of 2^16 cycles at 2 GHz are 999.98 ms, 30518 are 1000.01 ms. */
	CU_ASSERT_EQUAL(egw_flowlog_ms(now, now + 30517, hz), 999);
	CU_ASSERT_EQUAL(egw_flowlog_ms(now, now + 30518, hz), 1000);
	/* 100 days do not overflow. */
	CU_ASSERT_EQUAL(egw_flowlog_ms(0, 100ULL * 86400 * hz >> 16, hz), 8640000000ULL);
	CU_ASSERT_EQUAL(egw_flowlog_wall_ms(now - 30519, now, now_ms, hz), now_ms - 1000);
	CU_ASSERT_EQUAL(egw_flowlog_wall_ms(now + 30519, now, now_ms, hz), now_ms + 1000);
	CU_ASSERT_EQUAL(egw_flow_id_clock(0x0001a2b3c4d51002ULL), 0x1a2b3c4d5ULL);
}

static void test_flowlog_escaping_and_space(void)
{
	struct egw_flowlog_rec r = sample_rec(EGW_EV_START, IPPROTO_UDP);
	struct egw_flowlog_meta m = { .policy = "a\"b\\c\nd\x01", .host = "gw\"1" };
	char buf[768];

	/* Policy names come from files: whatever they hold, the line stays one JSON object. */
	egw_flowlog_format(&r, &m, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"policy\":\"a\\\"b\\\\c\\u000ad\\u0001\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"host\":\"gw\\\"1\""));
	CU_ASSERT_EQUAL(strchr(buf, '\n'), buf + strlen(buf) - 1);
	m.policy = "web";
	CU_ASSERT_EQUAL(egw_flowlog_format(&r, &m, buf, 40), -ENOSPC);
	CU_ASSERT_EQUAL(egw_flowlog_format(&r, &m, buf, 0), -ENOSPC);
	CU_ASSERT_STRING_EQUAL(egw_flow_end_name(EGW_END_FLUSHED), "flushed");
	CU_ASSERT_STRING_EQUAL(egw_flow_end_name((enum egw_flow_end)200), "unknown");
	CU_ASSERT_STRING_EQUAL(egw_flow_event_name((enum egw_flow_event)9), "unknown");
}

static void test_flowlog_open_errors(void)
{
	struct egw_flowlog l = { 0 };

	CU_ASSERT_EQUAL(egw_flowlog_open(&l, "/nonexistent-dir/flows.jsonl"), -ENOENT);
	CU_ASSERT_PTR_NULL(l.f);
	/* A failed reopen leaves logging off, not a dangling stream. */
	CU_ASSERT_EQUAL(egw_flowlog_reopen(&l), -ENOENT);
	CU_ASSERT_PTR_NULL(l.f);
	CU_ASSERT_STRING_EQUAL(l.error, "cannot open: No such file or directory");
	/* A device or a FIFO could block the control thread's writes: refused, not opened. */
	CU_ASSERT_EQUAL(egw_flowlog_open(&l, "/dev/null"), -EINVAL);
	CU_ASSERT_PTR_NULL(l.f);
	CU_ASSERT_STRING_EQUAL(l.error, "is not a regular file (character device)");
	egw_flowlog_close(&l);
}

/* ---- Prometheus text ---- */

static void test_metrics_buf(void)
{
	struct egw_metrics_buf b = { 0 };
	size_t len0;

	egw_metrics_label_value(&b, "plain-name_1");
	egw_metrics_printf(&b, "|");
	egw_metrics_label_value(&b, "q\"b\\n\n");
	CU_ASSERT_FALSE(b.oom);
	CU_ASSERT_STRING_EQUAL(b.p, "plain-name_1|q\\\"b\\\\n\\n");
	len0 = b.len;
	/* Growth past the first allocation keeps every byte. */
	for (unsigned i = 0; i < 5000; i++)
		egw_metrics_printf(&b, "%04u\n", i % 10000);
	CU_ASSERT_EQUAL(b.len, strlen(b.p));
	CU_ASSERT_EQUAL(b.len, len0 + 5000 * 5);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "4999\n"));
	egw_metrics_buf_free(&b);
	CU_ASSERT_PTR_NULL(b.p);
}

/* Value of the exact series S in exposition TEXT, or -1. */
static long long series(const char *text, const char *s)
{
	const char *p = text;
	size_t n = strlen(s);

	while ((p = strstr(p, s)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return atoll(p + n + 1);
		p += n;
	}
	return -1;
}

static uint64_t metrics_clock(void *ctx)
{
	RTE_SET_USED(ctx);
	return 5000;
}

static void metrics_tx(void *ctx, struct rte_mbuf *m, uint16_t port)
{
	RTE_SET_USED(ctx);
	RTE_SET_USED(port);
	rte_pktmbuf_free(m);
}

/* A resolver with one static neighbour and one being resolved (one ARP request sent). */
static struct egw_neigh_resolver *metrics_resolver(struct egw_neigh_table **t, uint64_t *drops)
{
	struct egw_neigh_port np = { .addr_be = htonl(PG_IP(203, 0, 113, 2)),
		.prefix_len = 24,
		.reachable_ms = 30000,
		.probes = 3,
		.gc_ms = 300000 };
	struct rte_ether_addr mac = { { 0x02, 0, 0, 0, 0, 9 } };
	struct egw_neigh_params p = { .pool = pg_mempool(),
		.tx = metrics_tx,
		.clock_ms = metrics_clock,
		.drops = drops };
	struct egw_neigh_resolver *r;

	*t = p.table = egw_neigh_create("ut_metrics", 8, SOCKET_ID_ANY);
	r = egw_neigh_resolver_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(egw_neigh_port_add(r, 0, &np), 0);
	CU_ASSERT_EQUAL(egw_neigh_add_static(r, 0, htonl(PG_IP(203, 0, 113, 9)), &mac), 0);
	CU_ASSERT_EQUAL(egw_neigh_add_nexthop(r, 0, htonl(PG_IP(203, 0, 113, 1))), 0);
	return r;
}

/* The tunnel engine's counters as telemetry reads them (egw_tunnel_stats stands-in). */
static void fake_tunnel_stats(const void *ctx, struct egw_tunnel_stats *out)
{
	(void)ctx;
	memset(out, 0, sizeof(*out));
	out->t[EGW_TUNNEL_SOCKS5].requests[EGW_TUNNEL_R_DENIED] = 5;
	out->t[EGW_TUNNEL_H2].bytes_down = 1234;
	out->t[EGW_TUNNEL_HTTP].clients_total = 9;
	out->clients_current = 3;
}

static void test_flowlog_format_tunnel(void)
{
	struct egw_flowlog_tunnel t = { .time_ms = 1764000000123LL,
		.duration_ms = 42,
		.transport = "socks5",
		.result = "denied",
		.client_be = htonl(PG_IP(198, 18, 0, 2)),
		.client_port = 40000,
		.dst_be = htonl(PG_IP(203, 0, 113, 1)),
		.dst_port = 443,
		.server_name = "www.example.com",
		.policy = "(mode)",
		.user = "al\"ice",
		.reason = "www.example.com is not allowed" };
	char buf[1024];
	int n = egw_flowlog_format_tunnel(&t, "gw1", buf, sizeof(buf));

	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL((size_t)n, strlen(buf));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(buf, "\"event\":\"tunnel\",\"tunnel\":\"socks5\",\"result\":\"denied\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"src\":\"198.18.0.2\",\"sport\":40000"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"dst\":\"203.0.113.1\",\"dport\":443"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"server_name\":\"www.example.com\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"user\":\"al\\\"ice\""));
	CU_ASSERT_PTR_NULL(strstr(buf, "upstream_src")); /* none was opened */
	CU_ASSERT_EQUAL(strchr(buf, '\n'), buf + n - 1);
	CU_ASSERT_EQUAL(egw_flowlog_format_tunnel(&t, "gw1", buf, 60), -ENOSPC);
}

static void test_metrics_render(void)
{
	static struct egw_conf conf;
	static struct egw_policy_slots slots;
	const struct egw_dataplane_params dpp = { .name = "ut_metdp",
		.n_workers = 1,
		.max_flows = 64,
		.timeouts = { 30, 7440, 240, 300, 60 },
		.neigh_max = 8 };
	struct egw_dataplane *dp;
	char err[256];
	static struct egw_rcu observer;
	const struct egw_reload_result reload = { .done = true,
		.ok = true,
		.time_ms = 1764000000123LL,
		.generation = 2,
		.n_policies = 1 };
	uint32_t web;
	/* A port id no device has: ethdev reads fail and leave zeros, the rest is ours. */
	static const uint16_t port_ids[1] = { EGW_PORT_IDS - 1 };
	struct egw_tel_source src = { .version = "9.9",
		.observer = &observer,
		.slots = &slots,
		.conf = &conf,
		.port_ids = port_ids };
	struct egw_metrics_buf b = { 0 };
	struct egw_neigh_table *nt;
	uint64_t neigh_drops[EGW_DROP_MAX] = { 0 };
	struct egw_neigh_resolver *nr;
	struct egw_worker *w;
	const char *line;

	CU_ASSERT_EQUAL_FATAL(egw_test_eal_init(), 0);
	src.neigh = nr = metrics_resolver(&nt, neigh_drops);
	CU_ASSERT_EQUAL_FATAL(egw_policy_slots_init(&slots, "ut_metrics"), 0);
	web = egw_policy_slots_get(&slots, "web", 2);
	egw_policy_slots_get(&slots, "old", 1); /* not in the running generation */
	src.dp = dp = egw_dataplane_create(&dpp, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	w = egw_dataplane_worker(dp, 0);
	w->stats.drops[EGW_DROP_POLICY_DENY] = 7;
	w->stats.outbound_packets = 11;
	w->stats.flow_log_dropped = 2;
	w->stats.rejects_sent = 6;
	w->stats.rejects_rate_limited = 3;
	w->stats.packets_fragmented = 8;
	w->stats.fragments_sent = 17;
	w->stats.tx_full[EGW_PORT_IDS - 1] = 4;
	conf.n_ports = 1;
	snprintf(conf.ports[0].name, sizeof(conf.ports[0].name), "inside");
	w->policy[web].flows = 3;
	w->policy[web].bytes = 4096;
	egw_addr_stats_get(&w->addrs, htonl(PG_IP(198, 51, 100, 11)))->in_use = 2;
	egw_addr_stats_get(&w->addrs, htonl(PG_IP(198, 51, 100, 11)))->exhausted = 5;
	conf.n_pools = 1;
	snprintf(conf.pools[0].name, sizeof(conf.pools[0].name), "public");
	conf.pools[0].n_addrs = 2;
	conf.pools[0].addrs[0] = PG_IP(198, 51, 100, 10);
	conf.pools[0].addrs[1] = PG_IP(198, 51, 100, 11);
	conf.pools[0].port_first = 1024;
	conf.pools[0].port_last = 2047;
	conf.egress.mode = EGW_MODE_POLICY;
	CU_ASSERT_EQUAL_FATAL(egw_observer_init(&observer), 0);
	CU_ASSERT_EQUAL_FATAL(egw_rcu_publish(&observer,
				      egw_observer_view_build(&conf, 2, "ab", &reload, NULL)),
		0);
	/* The pools come from the published view, not from CONF: rewriting CONF now must not
	 * show. */
	conf.pools[0].port_last = 4095;

	src.tunnel_stats = fake_tunnel_stats;
	CU_ASSERT_EQUAL(egw_metrics_render(&src, &b), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.p);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_tunnel_requests_total{transport=\"socks5\",result="
				    "\"denied\"}"),
		5);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_tunnel_requests_total{transport=\"http\",result="
				    "\"allowed\"}"),
		0);
	CU_ASSERT_EQUAL(series(b.p,
				"egressgw_tunnel_bytes_total{transport=\"h2\",direction=\"down\"}"),
		1234);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_tunnel_clients_total{transport=\"http\"}"), 9);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_tunnel_clients"), 3);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_info{version=\"9.9\",mode=\"policy\"}"), 1);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_policy_generation"), 2);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_config_last_reload_successful"), 1);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_config_last_reload_success_timestamp_seconds"),
		1764000000);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_drops_total{reason=\"policy_deny\"}"), 7);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_drops_total{reason=\"nat_exhausted\"}"), 0);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_forwarded_packets_total{direction=\"outbound\"}"),
		11);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_flow_log_dropped_total"), 2);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_rejects_sent_total"), 6);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_rejects_rate_limited_total"), 3);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_packets_fragmented_total"), 8);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_fragments_sent_total"), 17);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_policy_flows_allowed_total{policy=\"web\"}"), 3);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_policy_bytes_total{policy=\"web\"}"), 4096);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_policy_flows_allowed_total{policy=\"(mode)\"}"), 0);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_policy_flows_allowed_total{policy=\"old\"}"), -1);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_pool_ports_in_use{pool=\"public\","
				    "address=\"198.51.100.11\"}"),
		2);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_pool_ports_free{pool=\"public\","
				    "address=\"198.51.100.11\"}"),
		1022);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_pool_ports_free{pool=\"public\","
				    "address=\"198.51.100.10\"}"),
		1024);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_pool_exhausted_total{pool=\"public\","
				    "address=\"198.51.100.11\"}"),
		5);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_worker_rx_packets_total{worker=\"0\"}"), 0);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_neighbor_probes_sent_total"), 1);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_neighbor_mac_changes_total"), 0);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_neighbors{state=\"static\"}"), 1);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_neighbors{state=\"incomplete\"}"), 1);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_neighbors{state=\"reachable\"}"), 0);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_neighbors{state=\"none\"}"), -1);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_drops_total{reason=\"arp_spoofed\"}"), 0);
	/* Every place a port loses packets has its series (issue 9 item 10). */
	CU_ASSERT_EQUAL(series(b.p, "egressgw_port_tx_full_total{port=\"inside\"}"), 4);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_port_rx_missed_total{port=\"inside\"}"), 0);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_port_rx_nombuf_total{port=\"inside\"}"), 0);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_port_rx_ring_drops_total{port=\"inside\"}"), 0);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_port_if_rx_dropped_total{port=\"inside\"}"), 0);
	CU_ASSERT_EQUAL(series(b.p, "egressgw_port_if_tx_dropped_total{port=\"inside\"}"), 0);
	/* Every sample belongs to the family announced last, with HELP then TYPE. */
	{
		char fam[96] = "";
		unsigned samples = 0;
		for (line = b.p; *line; line = strchr(line, '\n') + 1) {
			char name[96] = "";
			if (strncmp(line, "# HELP ", 7) == 0) {
				const char *type = strchr(line, '\n') + 1;
				sscanf(line + 7, "%95s", fam);
				CU_ASSERT_EQUAL(strncmp(type, "# TYPE ", 7), 0);
				sscanf(type + 7, "%95s", name);
				CU_ASSERT_STRING_EQUAL(fam, name);
				line = type;
				continue;
			}
			sscanf(line, "%95[^{ ]", name);
			CU_ASSERT_STRING_EQUAL(name, fam);
			CU_ASSERT_EQUAL(strncmp(name, "egressgw_", 9), 0);
			samples++;
		}
		CU_ASSERT(samples > 50);
	}
	egw_metrics_buf_free(&b);
	/* Every observer reader id taken: the render says busy rather than wait or guess. */
	{
		int ids[EGW_OBSERVER_READERS];
		struct egw_metrics_buf busy = { 0 };
		for (unsigned i = 0; i < EGW_OBSERVER_READERS; i++)
			CU_ASSERT((ids[i] = egw_rcu_read_begin(&observer)) >= 0);
		CU_ASSERT_EQUAL(egw_metrics_render(&src, &busy), -EBUSY);
		egw_metrics_buf_free(&busy);
		for (unsigned i = 0; i < EGW_OBSERVER_READERS; i++)
			egw_rcu_read_end(&observer, ids[i]);
	}
	egw_rcu_fini(&observer);
	egw_neigh_resolver_free(nr);
	egw_neigh_free(nt);
	egw_dataplane_free(dp);
	egw_policy_slots_fini(&slots);
}

/* The observer view: a copy of what runs, and the reload summary /egw/info has always shown. */
static void test_observer_view(void)
{
	static struct egw_conf conf;
	struct egw_reload_result r = { 0 };
	struct egw_observer_view *v;
	char s[1024];

	conf.egress.mode = EGW_MODE_DENY;
	conf.flows.udp = 300;
	conf.n_pools = 2;
	snprintf(conf.pools[1].name, sizeof(conf.pools[1].name), "second");
	egw_reload_summary(&r, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "none");
	r = (struct egw_reload_result){ .done = true,
		.ok = true,
		.generation = 7,
		.n_policies = 3 };
	egw_reload_summary(&r, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "ok: generation 7, 3 policies");
	r = (struct egw_reload_result){ .done = true, .n_errors = 2 };
	snprintf(r.first_error, sizeof(r.first_error), "/etc/p.ini:4: %0300d", 1);
	egw_reload_summary(&r, s, sizeof(s));
	/* The first error is whole, however long (the old summary cut it at 127 characters). */
	CU_ASSERT_EQUAL(strncmp(s, "error: 2 problem(s), running policy kept; first: /etc/p.ini:4:",
				62),
		0);
	CU_ASSERT_EQUAL(strlen(s), 62 + 1 + 300);
	v = egw_observer_view_build(&conf, 9, "cafe", &r, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(v->generation, 9);
	CU_ASSERT_EQUAL(v->mode, EGW_MODE_DENY);
	CU_ASSERT_STRING_EQUAL(v->config_sha256, "cafe");
	CU_ASSERT_EQUAL(v->timeouts[3], 300);
	CU_ASSERT_EQUAL(v->n_pools, 2);
	CU_ASSERT_STRING_EQUAL(v->pools[1].name, "second");
	CU_ASSERT_EQUAL(v->last_reload.n_errors, 2);
	CU_ASSERT_EQUAL(v->n_rules, 0);
	egw_observer_view_free(v);

	/* With the policies: each one's rule, origin and pool (the default one when unset). */
	{
		struct egw_port_range ports[1] = { { 80, 90 } };
		struct egw_policy_conf pol[2] = {
			{ .name = "web",
				.sources_any = true,
				.destinations_any = true,
				.ports = ports,
				.n_ports = 1,
				.proto = EGW_PROTO_TCP,
				.action = EGW_ACTION_ALLOW,
				.priority = 7,
				.origin = { .file = "/etc/p.ini", .line = 12 } },
			{ .name = "no",
				.sources_any = true,
				.destinations_any = true,
				.ports_any = true,
				.action = EGW_ACTION_DENY,
				.origin = { .file = "/etc/q.ini", .line = 1 } },
		};
		struct egw_policy_set set = { .policies = pol, .n_policies = 2 };

		snprintf(conf.egress.default_pool, sizeof(conf.egress.default_pool), "second");
		v = egw_observer_view_build(&conf, 10, "cafe", &r, &set);
		CU_ASSERT_PTR_NOT_NULL_FATAL(v);
		CU_ASSERT_EQUAL_FATAL(v->n_rules, 2);
		CU_ASSERT_STRING_EQUAL(v->rules[0].origin, "/etc/p.ini:12");
		CU_ASSERT_PTR_NOT_NULL(strstr(v->rules[0].text, "sources = any\n"));
		CU_ASSERT_STRING_EQUAL(v->rules[0].pool, "second");
		CU_ASSERT_EQUAL(v->rules[0].priority, 7);
		CU_ASSERT_PTR_NOT_NULL(strstr(v->rules[0].text,
			"sources = any\ndestinations = any\nports = 80-90\nprotocol = tcp\n"
			"action = allow\n"));
		CU_ASSERT_STRING_EQUAL(v->rules[1].pool, ""); /* a deny translates nothing */
		CU_ASSERT_PTR_NOT_NULL(strstr(v->rules[1].text, "action = deny\npriority = 0\n"));
		egw_observer_view_free(v);
	}
}

static void test_metrics_server_errors(void)
{
	static struct egw_tel_source src;
	char err[128];

	CU_ASSERT_PTR_NULL(egw_metrics_start("no-port", &src, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "HOST:PORT"));
	CU_ASSERT_PTR_NULL(egw_metrics_start("local_host:9610", &src, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[IPV6]:PORT"));
	CU_ASSERT_PTR_NULL(egw_metrics_start("127.0.0.1:0", &src, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "port 1-65535"));
	/* 192.0.2.1 (TEST-NET-1) is not an address of this machine: bind fails. */
	CU_ASSERT_PTR_NULL(egw_metrics_start("192.0.2.1:9610", &src, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot listen"));
	egw_metrics_stop(NULL);
}

struct deny_seen {
	unsigned n;
	uint32_t count[8];
	int64_t time_ms[8];
	uint16_t sport[8];
	char name[8][32];
};

static void deny_emit(void *ctx, const struct egw_flowlog_rec *r, const char *name, int64_t time_ms,
	uint32_t count)
{
	struct deny_seen *s = ctx;

	if (s->n < 8) {
		s->count[s->n] = count;
		s->time_ms[s->n] = time_ms;
		s->sport[s->n] = r->sport;
		snprintf(s->name[s->n], sizeof(s->name[0]), "%s", name ? name : "-");
	}
	s->n++;
}

/* Repeats of one (src, dst, dport, proto, reason, policy) within a second: one record. */
static void test_flowlog_deny_collapse(void)
{
	static struct egw_deny_agg a;
	struct egw_flowlog_rec r = sample_rec(EGW_EV_DENY, IPPROTO_TCP), other = r;
	struct deny_seen s = { 0 };
	const int64_t t0 = 1795947630000LL;

	memset(&a, 0, sizeof(a));
	/* A SYN retried three times (another source port each retry of a new socket alike). */
	CU_ASSERT(egw_deny_agg_add(&a, &r, NULL, t0));
	r.sport = 4242;
	CU_ASSERT(egw_deny_agg_add(&a, &r, NULL, t0 + 300));
	CU_ASSERT(egw_deny_agg_add(&a, &r, NULL, t0 + 999));
	other.dport = 444; /* another destination port: its own record */
	CU_ASSERT(egw_deny_agg_add(&a, &other, NULL, t0 + 10));
	CU_ASSERT_EQUAL(egw_deny_agg_expire(&a, t0 + 999, false, deny_emit, &s), 0);
	CU_ASSERT_EQUAL(egw_deny_agg_expire(&a, t0 + 1000, false, deny_emit, &s), 1);
	CU_ASSERT_EQUAL(s.count[0], 3);
	CU_ASSERT_EQUAL(s.time_ms[0], t0); /* the first one's time and source port */
	CU_ASSERT_EQUAL(s.sport[0], sample_rec(EGW_EV_DENY, IPPROTO_TCP).sport);
	/* After the window: a new record. */
	CU_ASSERT(egw_deny_agg_add(&a, &r, NULL, t0 + 1001));
	CU_ASSERT_EQUAL(egw_deny_agg_expire(&a, t0 + 1010, false, deny_emit, &s), 1);
	CU_ASSERT_EQUAL(s.count[1], 1);
	CU_ASSERT_EQUAL(egw_deny_agg_expire(&a, 0, true, deny_emit, &s), 1); /* at stop */
	CU_ASSERT_EQUAL(s.n, 3);
	CU_ASSERT_EQUAL(a.n_held, 0);
}

/* Denies decided on a host name keep it, and another name is another record. */
static void test_flowlog_deny_names(void)
{
	static struct egw_deny_agg a;
	struct egw_flowlog_rec r = sample_rec(EGW_EV_DENY, IPPROTO_TCP);
	struct deny_seen s = { 0 };

	memset(&a, 0, sizeof(a));
	CU_ASSERT(egw_deny_agg_add(&a, &r, "a.example", 1000));
	CU_ASSERT(egw_deny_agg_add(&a, &r, "a.example", 1100));
	CU_ASSERT(egw_deny_agg_add(&a, &r, "b.example", 1200));
	CU_ASSERT(egw_deny_agg_add(&a, &r, NULL, 1300));
	CU_ASSERT_EQUAL(egw_deny_agg_expire(&a, 0, true, deny_emit, &s), 3);
	CU_ASSERT_EQUAL(s.n, 3);
	for (unsigned i = 0; i < 3 && i < s.n; i++) {
		bool a_name = strcmp(s.name[i], "a.example") == 0;

		CU_ASSERT_EQUAL(s.count[i], a_name ? 2u : 1u);
		CU_ASSERT(a_name || strcmp(s.name[i], "b.example") == 0 ||
			  strcmp(s.name[i], "-") == 0);
	}
}

/* Many distinct denies: the table never overflows (the rest are written at once), removal
 * keeps every entry findable, and the rate limit counts per second. */
static void test_flowlog_deny_full_and_rate(void)
{
	static struct egw_deny_agg a;
	struct egw_flowlog_rec r = sample_rec(EGW_EV_DENY, IPPROTO_UDP);
	struct deny_seen s = { 0 };
	unsigned held = 0, written = 0;

	memset(&a, 0, sizeof(a));
	for (uint32_t i = 0; i < EGW_DENY_SLOTS; i++) {
		r.dst = rte_cpu_to_be_32(0xcb007100 + i);
		held += egw_deny_agg_add(&a, &r, NULL, 1000 + (i & 1) * 500);
	}
	CU_ASSERT_EQUAL(held, EGW_DENY_SLOTS * 3 / 4);
	/* Half expire; every other one is still found as the same key. */
	CU_ASSERT_EQUAL(egw_deny_agg_expire(&a, 2000, false, deny_emit, &s), held / 2);
	for (uint32_t i = 1; i < held; i += 2) {
		r.dst = rte_cpu_to_be_32(0xcb007100 + i);
		CU_ASSERT(egw_deny_agg_add(&a, &r, NULL, 1600));
	}
	CU_ASSERT_EQUAL(a.n_held, held / 2);
	s.n = 0;
	CU_ASSERT_EQUAL(egw_deny_agg_expire(&a, 0, true, deny_emit, &s), held / 2);
	for (unsigned i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(s.count[i], 2);
	for (unsigned i = 0; i < 2 * EGW_DENY_PER_S; i++)
		written += egw_deny_rate_take(&a, 5000 + i % 1000);
	CU_ASSERT_EQUAL(written, EGW_DENY_PER_S);
	CU_ASSERT(egw_deny_rate_take(&a, 6000));
}

void egw_test_register_telemetry(void)
{
	EGW_SUITE("telemetry", NULL, NULL, EGW_TEST(test_telemetry_register),
		EGW_TEST(test_sha256_file), EGW_TEST(test_community_id),
		EGW_TEST(test_observer_view), EGW_TEST(test_flowlog_format),
		EGW_TEST(test_flowlog_deny_collapse), EGW_TEST(test_flowlog_deny_names),
		EGW_TEST(test_flowlog_deny_full_and_rate), EGW_TEST(test_flowlog_clock),
		EGW_TEST(test_flowlog_escaping_and_space), EGW_TEST(test_flowlog_format_tunnel),
		EGW_TEST(test_flowlog_open_errors), EGW_TEST(test_metrics_buf),
		EGW_TEST(test_metrics_render), EGW_TEST(test_metrics_server_errors));
}
