/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS through a real worker (lib/pipeline/dns_snoop.c): queries leave, answers come back on
 * the benchmark's appliance (tools/bench/bench_dp.h), and what the worker learned is read back
 * from its journal, merged into a names table as the control thread merges it. Then the
 * learned names admit flows (flow_named.c), and dns_filter answers NXDOMAIN and removes ech.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "bench_dns.h"
#include "bench_dp.h"
#include "bench_pkts.h"
#include "egw_test.h"
#include "names/names.h"
#include "pktgen.h"
#include "testdata.h"

#define CLIENT BENCH_IP(198, 18, 1, 5)
#define RESOLVER BENCH_IP(203, 0, 113, 53)
#define CPORT 40000
#define ETH 14

static struct bench_env env;
static bool env_ok;

static int snoop_init(void)
{
	if (egw_test_eal_init() < 0 || bench_env_init(&env, "egwuds", 1024) < 0)
		return -1;
	env_ok = true;
	return 0;
}

static int snoop_clean(void)
{
	if (env_ok)
		bench_env_fini(&env);
	return 0;
}

/* A frame received on the inside (OUTBOUND) or outside port. */
static void rx(struct bench_dp *b, const uint8_t *frame, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(env.mp);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)len), frame, len);
	m->port = memcmp(frame, bench_mac_in, 6) == 0 ? env.port_in : env.port_out;
	egw_pipeline_rx(b->w, &m, 1, false);
	egw_pipeline_flush(b->w);
}

/* What left through port P (0 inside, 1 outside): one frame into OUT (its length), 0: none. */
static size_t tx_from(unsigned p, uint8_t *out)
{
	struct rte_mbuf *m;
	size_t n;

	if (rte_ring_dequeue(env.tx[p], (void **)&m) != 0)
		return 0;
	n = rte_pktmbuf_data_len(m);
	memcpy(out, rte_pktmbuf_mtod(m, const uint8_t *), n);
	rte_pktmbuf_free(m);
	return n;
}

/* The client asks QNAME (ID, type A); the query leaves translated: its NAT port in *NAT_PORT. */
static void ask(struct bench_dp *b, uint16_t id, const char *qname, uint16_t qtype,
	uint16_t *nat_port)
{
	uint8_t msg[512], fr[2048];
	struct bench_dns_msg q = { .id = id, .qname = qname, .qtype = qtype };
	size_t n = bench_dns_msg(msg, sizeof(msg), &q);

	rx(b, fr, bench_build_udp(fr, sizeof(fr), true, CLIENT, CPORT, RESOLVER, 53, msg, n));
	n = tx_from(1, fr);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL(pg_rd32(fr + ETH + 16), RESOLVER);
	*nat_port = pg_rd16(fr + ETH + 20);
}

/* The resolver's answer A to NAT_PORT; true when it reached the client (*OUT, *LEN). */
static bool answer(struct bench_dp *b, uint16_t nat_port, const uint8_t *msg, size_t len,
	uint8_t *out, size_t *out_len)
{
	uint8_t fr[2048];

	rx(b, fr,
		bench_build_udp(fr, sizeof(fr), false, RESOLVER, 53, BENCH_POOL_FIRST, nat_port,
			msg, len));
	*out_len = tx_from(0, out);
	return *out_len > 0;
}

static bool answer_msg(struct bench_dp *b, uint16_t nat_port, const struct bench_dns_msg *a)
{
	uint8_t msg[1024], out[2048];
	size_t n = bench_dns_msg(msg, sizeof(msg), a), olen;

	return answer(b, nat_port, msg, n, out, &olen);
}

static struct egw_names_table *table(uint32_t min_ttl, uint32_t per_name)
{
	const struct egw_names_limits lim = { min_ttl, per_name, 1000 };
	struct egw_names_table *t = egw_names_table_create(&lim, 42);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	return t;
}

/* What the worker's journal holds, merged into T; returns the records merged. */
static unsigned merge(struct bench_dp *b, struct egw_names_table *t)
{
	return egw_names_journal_drain(b->w->dns.journal, t, 1000);
}

/* The names learned for ADDR in T, at the worker's NOW: how many, the first in *HIT. */
static unsigned names_of(struct bench_dp *b, struct egw_names_table *t, uint32_t addr,
	struct egw_names_hit *hit, struct egw_names_view **v)
{
	struct egw_names_hit hits[4];
	unsigned n;

	*v = egw_names_table_view(t, 1, b->w->now);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*v);
	n = egw_names_lookup(*v, addr, b->w->now, hits, 4);
	if (n)
		*hit = hits[0];
	return n;
}

static void setup(struct bench_dp *b)
{
	const struct bench_dp_opts o = { .max_flows = 1024 };

	CU_ASSERT_FATAL(bench_dp_create(b, &env, &o) == 0);
}

static void done(struct bench_dp *b)
{
	bench_dp_free(b);
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(env.mp), 0);
}

static const uint32_t ADDRS[] = { BENCH_IP(203, 0, 113, 80), BENCH_IP(203, 0, 113, 81),
	BENCH_IP(203, 0, 113, 82) };

/* An answer that matches the query's flow, ID and question is learned, CNAME chain and all. */
static void test_snoop_learns_cname_chain(void)
{
	static const char *const chain[] = { "cdn.example.test", "edge.cdn.example.test" };
	struct egw_names_table *t = table(60, 64);
	struct egw_names_view *v;
	struct egw_names_hit hit = { 0 };
	struct bench_dp b;
	uint16_t np;

	setup(&b);
	ask(&b, 0x1234, "www.example.test", 0, &np);
	CU_ASSERT_EQUAL(b.w->stats.dns_queries, 1);
	CU_ASSERT_TRUE(answer_msg(&b, np,
		&(struct bench_dns_msg){ .id = 0x1234,
			.qname = "www.example.test",
			.answer = true,
			.cnames = chain,
			.n_cnames = 2,
			.addrs = ADDRS,
			.n_addrs = 2,
			.ttl = 300 }));
	CU_ASSERT_EQUAL(b.w->stats.dns_answers_learned, 1);
	CU_ASSERT_EQUAL(merge(&b, t), 1);
	CU_ASSERT_EQUAL_FATAL(names_of(&b, t, ADDRS[1], &hit, &v), 1);
	CU_ASSERT_STRING_EQUAL(hit.name ? hit.name : "", "www.example.test");
	CU_ASSERT_EQUAL(hit.expiry, b.w->now + 300);
	egw_names_view_free(v);
	/* A copy of the answer teaches nothing more: its query was answered. */
	CU_ASSERT_TRUE(answer_msg(&b, np,
		&(struct bench_dns_msg){ .id = 0x1234,
			.qname = "www.example.test",
			.answer = true,
			.addrs = ADDRS + 2,
			.n_addrs = 1,
			.ttl = 300 }));
	CU_ASSERT_EQUAL(b.w->stats.dns_answers_learned, 1);
	CU_ASSERT_EQUAL(b.w->stats.dns_answers_unmatched, 1);
	CU_ASSERT_EQUAL(bench_drops(b.w), 0);
	egw_names_table_free(t);
	done(&b);
}

/* Wrong ID, wrong question, no query, unreadable: forwarded all the same, never learned. */
static void test_snoop_mismatches(void)
{
	struct egw_names_table *t = table(60, 64);
	struct bench_dp b;
	uint8_t out[2048];
	size_t olen;
	uint16_t np;
	const struct bench_dns_msg good = { .id = 7,
		.qname = "a.example.test",
		.answer = true,
		.addrs = ADDRS,
		.n_addrs = 1,
		.ttl = 60 };
	struct bench_dns_msg bad = good;

	setup(&b);
	ask(&b, 7, "a.example.test", 0, &np);
	bad.id = 8; /* another ID */
	CU_ASSERT_TRUE(answer_msg(&b, np, &bad));
	bad = good;
	bad.qname = "b.example.test"; /* another question */
	CU_ASSERT_TRUE(answer_msg(&b, np, &bad));
	CU_ASSERT_EQUAL(b.w->stats.dns_answers_unmatched, 2);
	/* The mismatching question used the query up: the right answer now finds none. */
	CU_ASSERT_TRUE(answer_msg(&b, np, &good));
	CU_ASSERT_EQUAL(b.w->stats.dns_answers_unmatched, 3);
	/* An AAAA query is not remembered: its answer is not learned from. */
	ask(&b, 9, "a.example.test", 28, &np);
	bad = good;
	bad.id = 9;
	CU_ASSERT_TRUE(answer_msg(&b, np, &bad));
	CU_ASSERT_EQUAL(b.w->stats.dns_answers_unmatched, 4);
	/* Truncated inside its question: counted, forwarded as it is. */
	ask(&b, 10, "a.example.test", 0, &np);
	{
		uint8_t msg[512];
		size_t n;

		bad = good;
		bad.id = 10;
		n = bench_dns_msg(msg, sizeof(msg), &bad);
		CU_ASSERT_TRUE(answer(&b, np, msg, 20, out, &olen));
		CU_ASSERT_EQUAL(olen, ETH + 28 + 20);
		CU_ASSERT(n > 20);
		/* shorter than a header */
		ask(&b, 11, "a.example.test", 0, &np);
		CU_ASSERT_TRUE(answer(&b, np, msg, 5, out, &olen));
	}
	CU_ASSERT_EQUAL(b.w->stats.dns_answers_malformed, 2);
	CU_ASSERT_EQUAL(b.w->stats.dns_answers_learned, 0);
	CU_ASSERT_EQUAL(merge(&b, t), 0);
	CU_ASSERT_EQUAL(bench_drops(b.w), 0);
	egw_names_table_free(t);
	done(&b);
}

/* The answer's TTL below dns_min_ttl lives dns_min_ttl; a name keeps dns_max_per_name
 * addresses, the others are evicted (counted). */
static void test_snoop_ttl_floor_and_cap(void)
{
	struct egw_names_table *t = table(60, 2);
	struct egw_names_stats st;
	struct egw_names_view *v;
	struct egw_names_hit hit = { 0 };
	struct bench_dp b;
	uint16_t np;

	setup(&b);
	ask(&b, 1, "short.example.test", 0, &np);
	CU_ASSERT_TRUE(answer_msg(&b, np,
		&(struct bench_dns_msg){ .id = 1,
			.qname = "short.example.test",
			.answer = true,
			.addrs = ADDRS,
			.n_addrs = 3,
			.ttl = 5 }));
	CU_ASSERT_EQUAL(merge(&b, t), 1);
	egw_names_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.entries, 2);
	CU_ASSERT_EQUAL(st.evicted_name, 1);
	CU_ASSERT_EQUAL_FATAL(names_of(&b, t, ADDRS[2], &hit, &v), 1);
	CU_ASSERT_EQUAL(hit.expiry, b.w->now + 60);
	egw_names_view_free(v);
	egw_names_table_free(t);
	done(&b);
}

/* Two workers' journals merged by one step: every name of either in one view. */
static void test_snoop_journal_merge(void)
{
	struct egw_names_table *t = table(60, 64);
	struct egw_names_journal *j[2];
	struct egw_names_step step = { 0 };
	struct egw_names_hit hits[2];
	struct egw_names_view *v;
	struct bench_dp b[2];
	uint16_t np;

	for (unsigned i = 0; i < 2; i++) {
		char qname[32];

		setup(&b[i]);
		snprintf(qname, sizeof(qname), "w%u.example.test", i);
		ask(&b[i], (uint16_t)(100 + i), qname, 0, &np);
		CU_ASSERT_TRUE(answer_msg(&b[i], np,
			&(struct bench_dns_msg){ .id = (uint16_t)(100 + i),
				.qname = qname,
				.answer = true,
				.addrs = ADDRS,
				.n_addrs = 1,
				.ttl = 120 }));
		j[i] = b[i].w->dns.journal;
	}
	v = egw_names_step(t, j, 2, b[0].w->now, 1000, &step);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(egw_names_lookup(v, ADDRS[0], b[0].w->now, hits, 2), 2);
	egw_names_view_free(v);
	egw_names_table_free(t);
	done(&b[0]);
	done(&b[1]);
}

/* A TCP segment from the client (OUTBOUND, its port PORT) or from the resolver (to NAT_ADDR:
 * PORT) carrying the first SEND bytes of DNS message MSG (LEN bytes) with its 2-byte length
 * prefix; SEND 0: no data. */
static void tcp_dns(struct bench_dp *b, bool outbound, uint16_t port, uint32_t nat_addr,
	uint8_t flags, const uint8_t *msg, size_t len, size_t send)
{
	uint8_t fr[2048];
	struct pg_pkt p = { .proto = IPPROTO_TCP,
		.tcp_flags = flags,
		.payload_len = (uint16_t)send };
	size_t n;

	/* Client ISN 1000, resolver ISN 2000: every segment fits the windows (tcp_window_check). */
	p.seq = (outbound ? 1000 : 2000) + !(flags & 0x02) /* SYN */;
	p.ack = outbound ? 2001 : 1001;
	memcpy(p.dmac, outbound ? bench_mac_in : bench_mac_out, 6);
	memcpy(p.smac, outbound ? bench_mac_router : bench_mac_gw, 6);
	p.src = outbound ? CLIENT : RESOLVER;
	p.dst = outbound ? RESOLVER : nat_addr;
	p.sport = outbound ? port : 53;
	p.dport = outbound ? 53 : port;
	n = pg_build(fr, sizeof(fr), &p);
	CU_ASSERT_FATAL(n > 0);
	if (send) {
		uint8_t *pl = fr + ETH + 40;

		pg_wr16(pl, (uint16_t)len);
		memcpy(pl + 2, msg, send - 2);
		pg_fix_l4_csum(fr + ETH);
	}
	rx(b, fr, n);
}

/* DNS over TCP: a segment with a whole message is read (query remembered, answer learned);
 * a message split over segments is passed unread. */
static void test_snoop_tcp(void)
{
	struct egw_names_table *t = table(60, 64);
	uint8_t q[256], a[512], out[2048];
	struct bench_dp b;
	uint32_t nat_addr;
	uint16_t np;
	size_t qn, an;

	setup(&b);
	qn = bench_dns_msg(q, sizeof(q),
		&(struct bench_dns_msg){ .id = 77, .qname = "tcp.example.test" });
	an = bench_dns_msg(a, sizeof(a),
		&(struct bench_dns_msg){ .id = 77,
			.qname = "tcp.example.test",
			.answer = true,
			.addrs = ADDRS,
			.n_addrs = 2,
			.ttl = 100 });
	tcp_dns(&b, true, 41000, 0, 0x02, NULL, 0, 0); /* SYN */
	CU_ASSERT_FATAL(tx_from(1, out) > 0);
	nat_addr = pg_rd32(out + ETH + 12);
	np = pg_rd16(out + ETH + 20);
	tcp_dns(&b, false, np, nat_addr, 0x12, NULL, 0, 0); /* SYN+ACK */
	CU_ASSERT(tx_from(0, out) > 0);
	tcp_dns(&b, true, 41000, 0, 0x18, q, qn, qn + 2);
	CU_ASSERT(tx_from(1, out) > 0);
	CU_ASSERT_EQUAL(b.w->stats.dns_queries, 1);
	/* the answer in two segments: the first is not read */
	tcp_dns(&b, false, np, nat_addr, 0x18, a, an, 20);
	CU_ASSERT(tx_from(0, out) > 0);
	CU_ASSERT_EQUAL(b.w->stats.dns_answers_learned, 0);
	/* ... a segment with all of it is */
	tcp_dns(&b, false, np, nat_addr, 0x18, a, an, an + 2);
	CU_ASSERT(tx_from(0, out) > 0);
	CU_ASSERT_EQUAL(b.w->stats.dns_answers_learned, 1);
	CU_ASSERT_EQUAL(merge(&b, t), 1);
	CU_ASSERT_EQUAL(bench_drops(b.w), 0);
	egw_names_table_free(t);
	done(&b);
}

/* ---- policies: learned names admit flows; dns_filter ---- */

/* Mode policy: port 53 to the resolver; TCP 443 to what "www.example.test" resolves to. */
static void publish_host_policies(struct bench_dp *b, bool dns_filter)
{
	static struct egw_cidr src = { BENCH_IP(198, 18, 0, 0), 15 };
	static struct egw_cidr res = { RESOLVER, 32 };
	static struct egw_port_range p53 = { 53, 53 }, p443 = { 443, 443 };
	static char *hosts[] = { "www.example.test" };
	struct egw_policy_conf pol[2] = { { .name = "dns",
						  .order = 0,
						  .proto = EGW_PROTO_ANY,
						  .action = EGW_ACTION_ALLOW,
						  .sources = &src,
						  .n_sources = 1,
						  .destinations = &res,
						  .n_destinations = 1,
						  .ports = &p53,
						  .n_ports = 1 },
		{ .name = "web",
			.order = 1,
			.proto = EGW_PROTO_TCP,
			.action = EGW_ACTION_ALLOW,
			.sources = &src,
			.n_sources = 1,
			.destinations_any = true,
			.ports = &p443,
			.n_ports = 1,
			.hosts = hosts,
			.n_hosts = 1 } };
	static uint64_t generation = 100; /* names the classifiers: one per compile */
	struct egw_policy_set ps = { .policies = pol, .n_policies = 2 };
	struct egw_snapshot_inputs in = { .conf = b->conf,
		.policies = &ps,
		.slots = &b->slots,
		.generation = ++generation };
	struct egw_snapshot *s;

	b->conf->egress.mode = EGW_MODE_POLICY;
	b->conf->egress.dns_filter = dns_filter;
	if (!b->slots_ok) {
		CU_ASSERT_FATAL(egw_policy_slots_init(&b->slots, "uds") == 0);
		b->slots_ok = 1;
	}
	s = egw_snapshot_compile(&in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_FATAL(egw_rcu_publish(egw_dataplane_rcu(b->dp), s) == 0);
}

static size_t syn_to(struct bench_dp *b, uint32_t dst, uint16_t sport, uint8_t *out)
{
	const struct bench_tuple tu = { CLIENT, dst, sport, 443 };
	uint8_t fr[BENCH_FRAME_LEN];

	bench_build_outbound(fr, &tu, 0x02);
	rx(b, fr, sizeof(fr));
	return tx_from(1, out);
}

static void test_snoop_learned_admits(void)
{
	struct egw_names_table *t = table(60, 64);
	struct egw_names_journal *j;
	struct egw_names_step step = { 0 };
	struct egw_names_view *v;
	uint8_t out[2048];
	struct bench_dp b;
	uint16_t np;

	setup(&b);
	publish_host_policies(&b, false);
	/* Nothing learned yet: the TCP policy with hosts cannot match. */
	CU_ASSERT_EQUAL(syn_to(&b, ADDRS[0], 50000, out), 0);
	CU_ASSERT_EQUAL(b.w->stats.drops[EGW_DROP_POLICY_NO_MATCH], 1);
	ask(&b, 0x4242, "www.example.test", 0, &np);
	CU_ASSERT_TRUE(answer_msg(&b, np,
		&(struct bench_dns_msg){ .id = 0x4242,
			.qname = "www.example.test",
			.answer = true,
			.addrs = ADDRS,
			.n_addrs = 1,
			.ttl = 30 }));
	j = b.w->dns.journal;
	v = egw_names_step(t, &j, 1, b.w->now, 1000, &step);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_FATAL(egw_rcu_publish(egw_dataplane_names_rcu(b.dp), v) == 0);
	/* The learned address is allowed, another one is not. */
	CU_ASSERT(syn_to(&b, ADDRS[0], 50001, out) > 0);
	CU_ASSERT_EQUAL(syn_to(&b, ADDRS[1], 50002, out), 0);
	CU_ASSERT_EQUAL(b.w->stats.drops[EGW_DROP_POLICY_NO_MATCH], 2);
	/* Past the entry's life, a reload re-checks the flow: its learned name still holds. */
	b.w->now += 3600;
	publish_host_policies(&b, false);
	{
		const struct bench_tuple tu = { CLIENT, ADDRS[0], 50001, 443 };
		uint8_t fr[BENCH_FRAME_LEN];

		bench_build_outbound(fr, &tu, 0x10);
		rx(&b, fr, sizeof(fr));
		CU_ASSERT(tx_from(1, out) > 0);
		CU_ASSERT_EQUAL(b.w->stats.flows_revoked, 0);
	}
	/* ... while a new flow to it is refused now */
	CU_ASSERT_EQUAL(syn_to(&b, ADDRS[0], 50003, out), 0);
	egw_names_table_free(t);
	done(&b);
}

/* dns_filter: a name no policy permits is answered NXDOMAIN by the appliance. */
static void test_snoop_dns_filter(void)
{
	uint8_t msg[512], fr[2048], out[2048] = { 0 };
	struct bench_dp b;
	size_t n;
	uint16_t np;

	setup(&b);
	publish_host_policies(&b, true);
	n = bench_dns_msg(msg, sizeof(msg),
		&(struct bench_dns_msg){ .id = 0x5151, .qname = "evil.example.test" });
	rx(&b, fr, bench_build_udp(fr, sizeof(fr), true, CLIENT, CPORT, RESOLVER, 53, msg, n));
	CU_ASSERT_EQUAL(tx_from(1, out), 0);
	n = tx_from(0, out);
	CU_ASSERT_FATAL(n > ETH + 28 + 12);
	CU_ASSERT_EQUAL(memcmp(out, bench_mac_router, 6), 0); /* back to its sender */
	CU_ASSERT_EQUAL(pg_rd32(out + ETH + 12), RESOLVER);
	CU_ASSERT_EQUAL(pg_rd32(out + ETH + 16), CLIENT);
	CU_ASSERT_EQUAL(pg_rd16(out + ETH + 20), 53);
	CU_ASSERT_EQUAL(pg_rd16(out + ETH + 22), CPORT);
	CU_ASSERT_EQUAL(pg_rd16(out + ETH + 28), 0x5151);
	CU_ASSERT_EQUAL(out[ETH + 28 + 3] & 0x0f, 3); /* NXDOMAIN */
	CU_ASSERT(pg_ip_csum_ok(out + ETH));
	CU_ASSERT(pg_l4_csum_ok(out + ETH));
	CU_ASSERT_EQUAL(b.w->stats.drops[EGW_DROP_DNS_FILTERED], 1);
	CU_ASSERT_EQUAL(b.w->stats.dns_nxdomain_sent, 1);
	/* The name a policy names leaves. */
	ask(&b, 0x5152, "www.example.test", 0, &np);
	CU_ASSERT_EQUAL(b.w->stats.drops[EGW_DROP_DNS_FILTERED], 1);
	/* Over TCP (a flow a policy lets out to port 53) the filtered query is dropped: no answer
	 * can be slipped into the stream. */
	{
		uint8_t q[256];
		size_t qn = bench_dns_msg(q, sizeof(q),
			&(struct bench_dns_msg){ .id = 0x5153, .qname = "evil.example.test" });

		tcp_dns(&b, true, 41001, 0, 0x02, NULL, 0, 0);
		CU_ASSERT(tx_from(1, out) > 0);
		tcp_dns(&b, true, 41001, 0, 0x18, q, qn, qn + 2);
		CU_ASSERT_EQUAL(tx_from(1, out), 0);
		CU_ASSERT_EQUAL(b.w->stats.drops[EGW_DROP_DNS_FILTERED], 2);
	}
	/* Every packet sent or dropped once: the answer is one the appliance made. */
	CU_ASSERT_EQUAL(b.w->stats.rx_packets + b.w->stats.dns_nxdomain_sent,
		b.w->stats.tx_packets + bench_drops(b.w));
	done(&b);
}

/* dns_filter: an HTTPS answer loses its ech parameter; one that cannot is dropped. */
static void test_snoop_ech_stripped(void)
{
	size_t qlen, alen, olen;
	uint8_t *q = egw_testdata_load("dns_https_ech.q", &qlen);
	uint8_t *a = egw_testdata_load("dns_https_ech.r", &alen);
	uint8_t out[2048], fr[2048];
	struct bench_dp b;

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	setup(&b);
	b.conf->egress.dns_filter = true;
	CU_ASSERT_FATAL(
		egw_rcu_publish(egw_dataplane_rcu(b.dp), egw_snapshot_build(b.conf, 100)) == 0);
	rx(&b, fr, bench_build_udp(fr, sizeof(fr), true, CLIENT, CPORT, RESOLVER, 53, q, qlen));
	olen = tx_from(1, out);
	CU_ASSERT_FATAL(olen > 0);
	CU_ASSERT_TRUE(answer(&b, pg_rd16(out + ETH + 20), a, alen, out, &olen));
	CU_ASSERT_EQUAL(b.w->stats.dns_ech_stripped, 1);
	CU_ASSERT_EQUAL(olen, ETH + 28 + alen - 44); /* the 40-byte ECHConfigList, key, length */
	CU_ASSERT(pg_ip_csum_ok(out + ETH));
	CU_ASSERT(pg_l4_csum_ok(out + ETH));
	CU_ASSERT_EQUAL(pg_rd16(out + ETH + 2), olen - ETH);
	/* Cut inside its records: ech cannot be removed, so it goes no further. */
	rx(&b, fr, bench_build_udp(fr, sizeof(fr), true, CLIENT, CPORT, RESOLVER, 53, q, qlen));
	olen = tx_from(1, out);
	CU_ASSERT_FATAL(olen > 0);
	CU_ASSERT_FALSE(answer(&b, pg_rd16(out + ETH + 20), a, alen - 3, out, &olen));
	CU_ASSERT_EQUAL(b.w->stats.drops[EGW_DROP_DNS_ECH_KEPT], 1);
	free(q);
	free(a);
	done(&b);
}

void egw_test_register_dns_snoop(void)
{
	EGW_SUITE("dns_snoop", snoop_init, snoop_clean, EGW_TEST(test_snoop_learns_cname_chain),
		EGW_TEST(test_snoop_mismatches), EGW_TEST(test_snoop_ttl_floor_and_cap),
		EGW_TEST(test_snoop_journal_merge), EGW_TEST(test_snoop_tcp),
		EGW_TEST(test_snoop_learned_admits), EGW_TEST(test_snoop_dns_filter),
		EGW_TEST(test_snoop_ech_stripped));
}
