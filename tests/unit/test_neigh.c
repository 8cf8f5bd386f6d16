/* SPDX-License-Identifier: BSD-3-Clause */
/* The neighbour resolver (lib/net/neigh_resolve.c, neigh_arp.c) on a clock the tests move. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_mbuf.h>

#include "egw_test.h"
#include "net/neigh_resolve.h"
#include "pktgen.h"

#define P_IN 0
#define P_OUT 1
#define OUR_IN PG_IP(198, 18, 0, 1)
#define OUR_OUT PG_IP(203, 0, 113, 2)
#define CLIENT PG_IP(198, 18, 0, 2)
#define NAT_SRC PG_IP(198, 51, 100, 10)
#define SERVER PG_IP(203, 0, 113, 9)
#define GW PG_IP(203, 0, 113, 1)
#define OTHER PG_IP(203, 0, 113, 50)
#define MAX_SENT 64
#define ARP_REQUEST 1
#define ARP_REPLY 2
#define REACHABLE_MS 10000
#define GC_MS 60000
#define ICMP_PER_S 3

static struct rte_mempool *mp;
static uint8_t mac_in[6], mac_out[6], mac_gw[6], mac_gw2[6], mac_gw3[6], mac_client[6];
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t zero6[6];

/* A frame the resolver handed to a callback, and where to. */
struct out {
	struct rte_mbuf *m[MAX_SENT];
	uint16_t port[MAX_SENT];
	unsigned n;
};

/* What the resolver under test did: frames sent (tx) and received back (rx, the ICMP errors),
 * packets dropped, and the time it saw. */
static struct {
	struct egw_neigh_table *table;
	struct egw_neigh_resolver *r;
	uint64_t now;
	uint64_t drops[EGW_DROP_MAX];
	struct out tx, rx;
} T;

static uint64_t fake_clock(void *ctx)
{
	RTE_SET_USED(ctx);
	return T.now;
}

static void capture(struct out *o, struct rte_mbuf *m, uint16_t port)
{
	if (o->n == MAX_SENT) {
		rte_pktmbuf_free(m);
		CU_FAIL("more frames than the test can hold");
		return;
	}
	o->port[o->n] = port;
	o->m[o->n++] = m;
}

static void capture_tx(void *ctx, struct rte_mbuf *m, uint16_t port)
{
	RTE_SET_USED(ctx);
	capture(&T.tx, m, port);
}

static void capture_rx(void *ctx, struct rte_mbuf *m, uint16_t port)
{
	RTE_SET_USED(ctx);
	capture(&T.rx, m, port);
}

static void forget(struct out *o)
{
	for (unsigned i = 0; i < o->n; i++)
		rte_pktmbuf_free(o->m[i]);
	o->n = 0;
}

static void setup(void)
{
	struct egw_neigh_params p = { .pool = mp,
		.tx = capture_tx,
		.rx = capture_rx,
		.clock_ms = fake_clock,
		.drops = T.drops,
		.icmp_per_s = ICMP_PER_S,
		.seed = 42 };
	struct egw_neigh_port in = { .addr_be = htonl(OUR_IN),
		.prefix_len = 24,
		.reachable_ms = REACHABLE_MS,
		.probes = 3,
		.gc_ms = GC_MS };
	struct egw_neigh_port out = in;

	memset(&T, 0, sizeof(T));
	T.now = 1000000;
	T.table = egw_neigh_create("ut_nr", 16, SOCKET_ID_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(T.table);
	p.table = T.table;
	T.r = egw_neigh_resolver_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(T.r);
	memcpy(in.mac.addr_bytes, mac_in, 6);
	out.addr_be = htonl(OUR_OUT);
	memcpy(out.mac.addr_bytes, mac_out, 6);
	CU_ASSERT_EQUAL(egw_neigh_port_add(T.r, P_IN, &in), 0);
	CU_ASSERT_EQUAL(egw_neigh_port_add(T.r, P_OUT, &out), 0);
}

static void teardown(void)
{
	egw_neigh_flush(T.r, EGW_DROP_SHUTDOWN);
	forget(&T.tx);
	forget(&T.rx);
	egw_neigh_resolver_free(T.r);
	egw_neigh_free(T.table);
}

/* Runs the timers every 100 ms for MS milliseconds, as the control thread does. */
static void advance(uint64_t ms)
{
	for (uint64_t t = 0; t < ms; t += 100) {
		T.now += 100;
		egw_neigh_timers(T.r);
	}
}

/* A TCP packet a worker could not send: translated (from the pool address), leaving by PORT
 * toward next hop NH (host order). */
static struct rte_mbuf *waiting_packet(uint16_t port, uint32_t nh, uint16_t sport)
{
	struct pg_pkt p = { .src = NAT_SRC,
		.dst = SERVER,
		.proto = IPPROTO_TCP,
		.sport = sport,
		.dport = 80,
		.tcp_flags = 0x02,
		.seq = 777 };
	uint8_t frame[PG_FRAME_MAX];
	size_t len;
	struct rte_mbuf *m;

	memcpy(p.smac, port == P_OUT ? mac_out : mac_in, 6);
	len = pg_build(frame, sizeof(frame), &p);
	m = pg_mbuf(mp, frame, len, port);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	m->hash.usr = htonl(nh);
	return m;
}

static void hold(uint16_t port, uint32_t nh, uint16_t sport)
{
	egw_neigh_hold(T.r, waiting_packet(port, nh, sport));
}

static void arp_in(uint16_t port, uint16_t op, const uint8_t *eth_dst, const uint8_t *sha,
	uint32_t sip, const uint8_t *tha, uint32_t tip)
{
	uint8_t frame[64];
	size_t len = pg_build_arp(frame, sizeof(frame), op, eth_dst, sha, sip, tha, tip);
	struct rte_mbuf *m = pg_mbuf(mp, frame, len, port);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	egw_neigh_arp_input(T.r, m);
}

/* The gateway answers our request, unicast to us. */
static void gw_replies(const uint8_t *mac)
{
	arp_in(P_OUT, ARP_REPLY, mac_out, mac, GW, mac_out, OUR_OUT);
}

/* Sent frame I, which left by PORT with ETHERTYPE to ETH_DST. */
static const uint8_t *sent(unsigned i, uint16_t port, uint16_t ethertype, const uint8_t *eth_dst)
{
	const uint8_t *f;

	CU_ASSERT_FATAL(i < T.tx.n);
	f = rte_pktmbuf_mtod(T.tx.m[i], const uint8_t *);
	CU_ASSERT_EQUAL(T.tx.port[i], port);
	CU_ASSERT_EQUAL(pg_rd16(f + 12), ethertype);
	CU_ASSERT_EQUAL(memcmp(f, eth_dst, 6), 0);
	return f;
}

/* Sent frame I is an ARP OP from our port PORT to ETH_DST asking for / telling about TIP. */
static void check_arp(unsigned i, uint16_t port, uint16_t op, const uint8_t *eth_dst, uint32_t sip,
	uint32_t tip)
{
	const uint8_t *f = sent(i, port, 0x0806, eth_dst);

	CU_ASSERT_EQUAL(memcmp(f + 6, port == P_OUT ? mac_out : mac_in, 6), 0);
	CU_ASSERT_EQUAL(pg_rd16(f + 20), op);
	CU_ASSERT_EQUAL(pg_rd32(f + 28), sip);
	CU_ASSERT_EQUAL(pg_rd32(f + 38), tip);
}

/* Sent frame I is the TCP packet with source port SPORT, addressed to DMAC. */
static void check_packet(unsigned i, uint16_t port, const uint8_t *dmac, uint16_t sport)
{
	CU_ASSERT_EQUAL(pg_rd16(sent(i, port, 0x0800, dmac) + 34), sport);
}

/*
 * Received frame I is an ICMP host unreachable from our outside port about the held packet
 * with source port SPORT: what the gateway's router would send, as if it came in on P_OUT.
 */
static void check_unreachable(unsigned i, uint16_t sport)
{
	const uint8_t *f, *ip, *quote;

	CU_ASSERT_FATAL(i < T.rx.n);
	f = rte_pktmbuf_mtod(T.rx.m[i], const uint8_t *);
	ip = f + 14;
	quote = ip + 28;
	CU_ASSERT_EQUAL(T.rx.port[i], P_OUT);
	CU_ASSERT_EQUAL(memcmp(f, mac_out, 6), 0); /* to us: the data path takes it */
	CU_ASSERT_EQUAL(pg_rd16(f + 12), 0x0800);
	CU_ASSERT(pg_ip_csum_ok(ip));
	CU_ASSERT(pg_l4_csum_ok(ip));
	CU_ASSERT_EQUAL(ip[9], IPPROTO_ICMP);
	CU_ASSERT_EQUAL(pg_rd32(ip + 12), OUR_OUT);
	CU_ASSERT_EQUAL(pg_rd32(ip + 16), NAT_SRC);
	CU_ASSERT_EQUAL(ip[20], 3); /* destination unreachable */
	CU_ASSERT_EQUAL(ip[21], 1); /* host unreachable */
	CU_ASSERT_EQUAL(pg_rd32(quote + 12), NAT_SRC);
	CU_ASSERT_EQUAL(pg_rd32(quote + 16), SERVER);
	CU_ASSERT_EQUAL(pg_rd16(quote + 20), sport);
	CU_ASSERT_EQUAL(pg_rd32(quote + 24), 777); /* the TCP sequence number, for the sender */
}

static enum egw_neigh_state state_of(uint16_t port, uint32_t addr)
{
	uint16_t slot = egw_neigh_find(T.table, port, htonl(addr));
	struct egw_neigh_view v;

	if (slot == EGW_NEIGH_SLOT_NONE || !egw_neigh_view(T.r, slot, &v))
		return EGW_NEIGH_ST_NONE;
	CU_ASSERT_EQUAL(v.port, port);
	CU_ASSERT_EQUAL(v.addr_be, htonl(addr));
	return v.state;
}

/* What a worker reads for (PORT, ADDR): the MAC (a use), or false when it holds packets. */
static bool worker_mac_is(uint16_t port, uint32_t addr, const uint8_t *want)
{
	uint16_t slot = egw_neigh_find(T.table, port, htonl(addr));
	struct rte_ether_addr got;

	if (slot == EGW_NEIGH_SLOT_NONE || !egw_neigh_mac(T.table, slot, &got))
		return false;
	return memcmp(got.addr_bytes, want, 6) == 0;
}

static bool known(uint16_t port, uint32_t addr)
{
	return egw_neigh_find(T.table, port, htonl(addr)) != EGW_NEIGH_SLOT_NONE;
}

static struct egw_neigh_stats stats(void)
{
	struct egw_neigh_stats s;

	egw_neigh_stats_get(T.r, &s);
	return s;
}

/* Makes GW reachable through a resolution; the frames it took are forgotten. */
static void resolve_gw(const uint8_t *mac)
{
	egw_neigh_add_nexthop(T.r, P_OUT, htonl(GW));
	gw_replies(mac);
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_REACHABLE);
	forget(&T.tx);
}

/* Runs the timers until GW is stale (at most 1.5 reachable times); false if it never is. */
static bool until_stale(void)
{
	for (unsigned i = 0; i < 3 * REACHABLE_MS / 200 + 1; i++) {
		if (state_of(P_OUT, GW) == EGW_NEIGH_ST_STALE)
			return true;
		advance(100);
	}
	return state_of(P_OUT, GW) == EGW_NEIGH_ST_STALE;
}

/* ---- resolution ---- */

/* The first packet to a new next hop asks for it, waits, and leaves with the answer. */
static void test_resolve_and_release(void)
{
	setup();
	hold(P_OUT, GW, 1001);
	CU_ASSERT_EQUAL(T.tx.n, 1);
	check_arp(0, P_OUT, ARP_REQUEST, bcast, OUR_OUT, GW);
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_INCOMPLETE);
	hold(P_OUT, GW, 1002);
	CU_ASSERT_EQUAL(T.tx.n, 1); /* one resolution, not one per packet */
	gw_replies(mac_gw);
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_REACHABLE);
	CU_ASSERT(worker_mac_is(P_OUT, GW, mac_gw));
	CU_ASSERT_EQUAL(T.tx.n, 3);
	check_packet(1, P_OUT, mac_gw, 1001);
	check_packet(2, P_OUT, mac_gw, 1002);
	CU_ASSERT_EQUAL(T.drops[EGW_DROP_ARP_HANDLED], 1);
	/* Resolved meanwhile: a late packet leaves at once. */
	hold(P_OUT, GW, 1003);
	CU_ASSERT_EQUAL(T.tx.n, 4);
	check_packet(3, P_OUT, mac_gw, 1003);
	CU_ASSERT_EQUAL(T.drops[EGW_DROP_NEIGH_UNRESOLVED], 0);
	CU_ASSERT_EQUAL(stats().probes_sent, 1);
	CU_ASSERT_EQUAL(stats().replies, 1);
	CU_ASSERT_EQUAL(stats().mac_changes, 0);
	teardown();
}

/*
 * neighbor_probes requests a second apart, then the held packets are dropped and their
 * senders told (ICMP host unreachable); during the hold-down new packets get the same; then a
 * new resolution.
 */
static void test_resolve_fails(void)
{
	setup();
	hold(P_OUT, GW, 1001);
	hold(P_OUT, GW, 1002);
	advance(900);
	CU_ASSERT_EQUAL(T.tx.n, 1);
	advance(100);
	CU_ASSERT_EQUAL(T.tx.n, 2);
	advance(1000);
	CU_ASSERT_EQUAL(T.tx.n, 3);
	for (unsigned i = 0; i < 3; i++)
		check_arp(i, P_OUT, ARP_REQUEST, bcast, OUR_OUT, GW);
	CU_ASSERT_EQUAL(T.drops[EGW_DROP_NEIGH_UNRESOLVED], 0);
	CU_ASSERT_EQUAL(T.rx.n, 0);
	advance(1000);
	CU_ASSERT_EQUAL(T.tx.n, 3);
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_FAILED);
	CU_ASSERT_EQUAL(T.drops[EGW_DROP_NEIGH_UNRESOLVED], 2);
	CU_ASSERT_EQUAL_FATAL(T.rx.n, 2);
	check_unreachable(0, 1001);
	check_unreachable(1, 1002);
	CU_ASSERT_EQUAL(stats().failures, 1);
	CU_ASSERT_EQUAL(stats().unreachable_sent, 2);
	/* Hold-down: new packets are dropped (and answered) without asking again. */
	hold(P_OUT, GW, 1003);
	CU_ASSERT_EQUAL(T.tx.n, 3);
	CU_ASSERT_EQUAL(T.drops[EGW_DROP_NEIGH_UNRESOLVED], 3);
	CU_ASSERT_EQUAL_FATAL(T.rx.n, 3);
	check_unreachable(2, 1003);
	advance(5000);
	hold(P_OUT, GW, 1004);
	CU_ASSERT_EQUAL(T.tx.n, 4);
	check_arp(3, P_OUT, ARP_REQUEST, bcast, OUR_OUT, GW);
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_INCOMPLETE);
	/* A late answer ends it well. */
	gw_replies(mac_gw);
	check_packet(4, P_OUT, mac_gw, 1004);
	teardown();
}

/* ICMP errors are rate-limited (per second); the packets are dropped all the same. */
static void test_unreachable_rate_limit(void)
{
	setup();
	hold(P_OUT, GW, 1000);
	advance(3000);
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_FAILED);
	forget(&T.rx);
	T.now = (T.now / 1000 + 1) * 1000; /* the start of a second */
	for (uint16_t i = 0; i < ICMP_PER_S + 2; i++)
		hold(P_OUT, GW, (uint16_t)(2000 + i));
	CU_ASSERT_EQUAL(T.drops[EGW_DROP_NEIGH_UNRESOLVED], 1 + ICMP_PER_S + 2);
	CU_ASSERT_EQUAL(T.rx.n, ICMP_PER_S);
	T.now += 1000;
	hold(P_OUT, GW, 3000);
	CU_ASSERT_EQUAL(T.rx.n, ICMP_PER_S + 1);
	teardown();
}

/* At most four packets wait for one neighbour; more are dropped (no ICMP: it may answer). */
static void test_hold_limit(void)
{
	setup();
	for (uint16_t i = 0; i < 6; i++)
		hold(P_OUT, GW, (uint16_t)(2000 + i));
	CU_ASSERT_EQUAL(T.drops[EGW_DROP_NEIGH_UNRESOLVED], 2);
	CU_ASSERT_EQUAL(T.rx.n, 0);
	gw_replies(mac_gw);
	CU_ASSERT_EQUAL(T.tx.n, 5);
	for (unsigned i = 1; i < 5; i++)
		check_packet(i, P_OUT, mac_gw, (uint16_t)(2000 + i - 1));
	teardown();
}

/* ---- ageing ---- */

/* REACHABLE for the randomized time, then STALE; the MAC still serves, unused it is not
 * probed; used, it is probed with unicast requests, and a reply makes it REACHABLE again. */
static void test_reachable_stale_probe(void)
{
	uint64_t t0;

	setup();
	resolve_gw(mac_gw);
	t0 = T.now;
	CU_ASSERT_FATAL(until_stale());
	CU_ASSERT(T.now - t0 >= REACHABLE_MS / 2);
	CU_ASSERT(T.now - t0 <= REACHABLE_MS * 3 / 2 + 100);
	CU_ASSERT((egw_neigh_peek(T.table, egw_neigh_find(T.table, P_OUT, htonl(GW))) &
			  (EGW_NEIGH_F_VALID | EGW_NEIGH_F_FRESH)) == EGW_NEIGH_F_VALID);
	advance(5000);
	CU_ASSERT_EQUAL(T.tx.n, 0); /* nobody uses it: no probe */
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_STALE);
	CU_ASSERT(worker_mac_is(P_OUT, GW, mac_gw)); /* a worker uses it */
	advance(100);
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_PROBE);
	CU_ASSERT_EQUAL(T.tx.n, 1);
	check_arp(0, P_OUT, ARP_REQUEST, mac_gw, OUR_OUT, GW); /* unicast to the MAC in use */
	/* Probing: the MAC serves on, and workers no longer report uses. */
	CU_ASSERT(worker_mac_is(P_OUT, GW, mac_gw));
	CU_ASSERT(!egw_neigh_take_used(T.table, egw_neigh_find(T.table, P_OUT, htonl(GW))));
	gw_replies(mac_gw);
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_REACHABLE);
	CU_ASSERT_EQUAL(stats().replies, 2);
	CU_ASSERT_EQUAL(stats().mac_changes, 0);
	teardown();
}

/* Neighbours learned together do not expire together: 0.5x to 1.5x the base. */
static void test_reachable_randomized(void)
{
	uint64_t t0, first = 0, last = 0;
	bool stale[8] = { false };
	unsigned n_stale = 0;

	setup();
	for (uint8_t i = 0; i < 8; i++) {
		uint8_t mac[6];
		pg_mac(mac, (uint8_t)(0x40 + i));
		egw_neigh_add_nexthop(T.r, P_OUT, htonl(OTHER + i));
		arp_in(P_OUT, ARP_REPLY, mac_out, mac, OTHER + i, mac_out, OUR_OUT);
	}
	t0 = T.now;
	while (n_stale < 8 && T.now - t0 <= REACHABLE_MS * 2) {
		advance(100);
		for (uint8_t i = 0; i < 8; i++) {
			if (stale[i] || state_of(P_OUT, OTHER + i) != EGW_NEIGH_ST_STALE)
				continue;
			stale[i] = true;
			if (n_stale++ == 0)
				first = T.now - t0;
			last = T.now - t0;
		}
	}
	CU_ASSERT_EQUAL(n_stale, 8);
	CU_ASSERT(first >= REACHABLE_MS / 2);
	CU_ASSERT(last <= REACHABLE_MS * 3 / 2 + 100);
	CU_ASSERT(last - first >= 1000); /* spread, not one instant */
	teardown();
}

/* The MAC in use no longer answers (a replaced router): unicast probes, then broadcast,
 * packets held meanwhile; the new router's answer carries them. */
static void test_probe_fails_then_broadcast(void)
{
	setup();
	resolve_gw(mac_gw);
	CU_ASSERT_FATAL(until_stale());
	CU_ASSERT(worker_mac_is(P_OUT, GW, mac_gw));
	advance(100);
	advance(2000);
	CU_ASSERT_EQUAL(T.tx.n, 3);
	for (unsigned i = 0; i < 3; i++)
		check_arp(i, P_OUT, ARP_REQUEST, mac_gw, OUR_OUT, GW);
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_PROBE);
	advance(1000);
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_INCOMPLETE);
	CU_ASSERT_EQUAL(T.tx.n, 4);
	check_arp(3, P_OUT, ARP_REQUEST, bcast, OUR_OUT, GW);
	CU_ASSERT(!worker_mac_is(P_OUT, GW, mac_gw)); /* workers hold now */
	hold(P_OUT, GW, 1001);
	gw_replies(mac_gw2);
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_REACHABLE);
	CU_ASSERT(worker_mac_is(P_OUT, GW, mac_gw2));
	check_packet(4, P_OUT, mac_gw2, 1001);
	CU_ASSERT_EQUAL(stats().mac_changes, 1);
	CU_ASSERT_EQUAL(stats().probes_sent, 4 + 1);
	CU_ASSERT_EQUAL(stats().failures, 0);
	teardown();
}

/* Nobody answers the broadcast either: FAILED, the held packets dropped with ICMP. */
static void test_probe_fails_entirely(void)
{
	setup();
	resolve_gw(mac_gw);
	CU_ASSERT_FATAL(until_stale());
	CU_ASSERT(worker_mac_is(P_OUT, GW, mac_gw));
	advance(100 + 3000);
	hold(P_OUT, GW, 1001);
	advance(3000);
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_FAILED);
	CU_ASSERT_EQUAL(T.drops[EGW_DROP_NEIGH_UNRESOLVED], 1);
	CU_ASSERT_EQUAL_FATAL(T.rx.n, 1);
	check_unreachable(0, 1001);
	CU_ASSERT_EQUAL(stats().failures, 1);
	teardown();
}

/* Unused for neighbor_gc: removed. The slot stays, without a MAC: a flow that cached it holds
 * its packets for a new resolution, which succeeds like a first one. */
static void test_gc(void)
{
	uint16_t slot;

	setup();
	resolve_gw(mac_gw);
	slot = egw_neigh_find(T.table, P_OUT, htonl(GW));
	CU_ASSERT_FATAL(until_stale());
	advance(GC_MS - 200);
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_STALE);
	advance(300);
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_NONE);
	CU_ASSERT_EQUAL(stats().removed, 1);
	CU_ASSERT_EQUAL(egw_neigh_find(T.table, P_OUT, htonl(GW)), slot);
	CU_ASSERT(!worker_mac_is(P_OUT, GW, mac_gw));
	CU_ASSERT_EQUAL(T.tx.n, 0);
	/* The cached slot's next packet. */
	hold(P_OUT, GW, 1001);
	CU_ASSERT_EQUAL(T.tx.n, 1);
	check_arp(0, P_OUT, ARP_REQUEST, bcast, OUR_OUT, GW);
	gw_replies(mac_gw);
	check_packet(1, P_OUT, mac_gw, 1001);
	CU_ASSERT_EQUAL(egw_neigh_find(T.table, P_OUT, htonl(GW)), slot);
	/* A failed neighbour nobody wants any more goes too. */
	hold(P_OUT, OTHER, 1002);
	advance(3000);
	CU_ASSERT_EQUAL(state_of(P_OUT, OTHER), EGW_NEIGH_ST_FAILED);
	advance(GC_MS);
	CU_ASSERT_EQUAL(state_of(P_OUT, OTHER), EGW_NEIGH_ST_NONE);
	teardown();
}

/* ---- what ARP may change ---- */

/*
 * A new MAC for a REACHABLE neighbour is taken, but not a second one within the lock time
 * (the first of competing replies wins); a gratuitous ARP always is; a neighbour that is not
 * REACHABLE takes it at once.
 */
static void test_mac_change_locktime(void)
{
	setup();
	resolve_gw(mac_gw);
	T.now += 500;
	gw_replies(mac_gw2);
	CU_ASSERT(worker_mac_is(P_OUT, GW, mac_gw));
	CU_ASSERT_EQUAL(stats().mac_changes, 0);
	arp_in(P_OUT, ARP_REQUEST, mac_out, mac_gw2, GW, zero6, OTHER);
	CU_ASSERT(worker_mac_is(P_OUT, GW, mac_gw));
	T.now += 600;
	gw_replies(mac_gw2);
	CU_ASSERT(worker_mac_is(P_OUT, GW, mac_gw2));
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_REACHABLE);
	CU_ASSERT_EQUAL(stats().mac_changes, 1);
	/* Gratuitous, within the lock time: taken, STALE (it confirms nothing about us). */
	T.now += 100;
	arp_in(P_OUT, ARP_REQUEST, bcast, mac_gw3, GW, zero6, GW);
	CU_ASSERT(worker_mac_is(P_OUT, GW, mac_gw3));
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_STALE);
	CU_ASSERT_EQUAL(stats().mac_changes, 2);
	/* Not REACHABLE: a request from it with another MAC is taken at once. */
	T.now += 100;
	arp_in(P_OUT, ARP_REQUEST, bcast, mac_gw, GW, zero6, OTHER);
	CU_ASSERT(worker_mac_is(P_OUT, GW, mac_gw));
	CU_ASSERT_EQUAL(stats().mac_changes, 3);
	/* The same MAC again changes nothing. */
	arp_in(P_OUT, ARP_REQUEST, bcast, mac_gw, GW, zero6, OTHER);
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_STALE);
	CU_ASSERT_EQUAL(stats().mac_changes, 3);
	/* A broadcast reply does not confirm either. */
	arp_in(P_OUT, ARP_REPLY, bcast, mac_gw, GW, zero6, OUR_OUT);
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_STALE);
	teardown();
}

/* A request for our address is answered, and its sender learned (STALE: a request proves
 * nothing about our frames reaching it). */
static void test_request_for_us(void)
{
	setup();
	arp_in(P_IN, ARP_REQUEST, bcast, mac_client, CLIENT, zero6, OUR_IN);
	CU_ASSERT_EQUAL(T.tx.n, 1);
	check_arp(0, P_IN, ARP_REPLY, mac_client, OUR_IN, CLIENT);
	CU_ASSERT(worker_mac_is(P_IN, CLIENT, mac_client));
	CU_ASSERT_EQUAL(state_of(P_IN, CLIENT), EGW_NEIGH_ST_STALE);
	/* A request for someone else teaches nothing about strangers and gets no answer. */
	arp_in(P_OUT, ARP_REQUEST, bcast, mac_gw, GW, zero6, OTHER);
	CU_ASSERT_EQUAL(T.tx.n, 1);
	CU_ASSERT(!known(P_OUT, GW));
	CU_ASSERT_EQUAL(T.drops[EGW_DROP_ARP_HANDLED], 1);
	teardown();
}

/* Unsolicited ARP plants nothing; ARP for other hosts, from nobody or from off the subnet
 * is ignored. */
static void test_unsolicited(void)
{
	setup();
	gw_replies(mac_gw);
	arp_in(P_OUT, ARP_REQUEST, bcast, mac_gw, GW, zero6, GW); /* gratuitous */
	CU_ASSERT(!known(P_OUT, GW));
	arp_in(P_IN, ARP_REQUEST, bcast, mac_client, PG_IP(10, 9, 9, 9), zero6, OUR_IN);
	CU_ASSERT(!known(P_IN, PG_IP(10, 9, 9, 9)));
	arp_in(P_IN, ARP_REQUEST, bcast, mac_client, 0, zero6, OUR_IN);
	/* A request for us, but sent to another host's MAC (a flooding switch). */
	arp_in(P_IN, ARP_REQUEST, mac_gw, mac_client, CLIENT, zero6, OUR_IN);
	CU_ASSERT(!known(P_IN, CLIENT));
	CU_ASSERT_EQUAL(T.tx.n, 0);
	CU_ASSERT_EQUAL(T.drops[EGW_DROP_ARP_HANDLED], 5);
	CU_ASSERT_EQUAL(T.drops[EGW_DROP_ARP_SPOOFED], 0);
	teardown();
}

/* ARP claiming an address that lives behind another port, or one of ours: ignored, counted. */
static void test_spoofed(void)
{
	setup();
	resolve_gw(mac_gw);
	/* From the inside, a gratuitous ARP for the outside gateway. */
	arp_in(P_IN, ARP_REQUEST, bcast, mac_client, GW, zero6, GW);
	/* From the inside, a reply as the gateway. */
	arp_in(P_IN, ARP_REPLY, mac_in, mac_client, GW, mac_in, OUR_IN);
	/* Our own addresses, on either port. */
	arp_in(P_OUT, ARP_REQUEST, bcast, mac_gw2, OUR_OUT, zero6, OUR_OUT);
	arp_in(P_OUT, ARP_REPLY, mac_out, mac_gw2, OUR_IN, mac_out, OUR_OUT);
	CU_ASSERT_EQUAL(T.drops[EGW_DROP_ARP_SPOOFED], 4);
	CU_ASSERT(worker_mac_is(P_OUT, GW, mac_gw));
	CU_ASSERT(!known(P_IN, GW));
	CU_ASSERT(!known(P_OUT, OUR_OUT));
	CU_ASSERT_EQUAL(T.tx.n, 0);
	CU_ASSERT_EQUAL(stats().mac_changes, 0);
	teardown();
}

/* A configured next hop may come back by ARP after it failed or was removed; another
 * removed neighbour may not. */
static void test_nexthop_revived(void)
{
	setup();
	egw_neigh_add_nexthop(T.r, P_OUT, htonl(GW));
	advance(3000);
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_FAILED);
	advance(GC_MS);
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_NONE);
	arp_in(P_OUT, ARP_REQUEST, bcast, mac_gw, GW, zero6, GW);
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_STALE);
	CU_ASSERT(worker_mac_is(P_OUT, GW, mac_gw));
	/* A learned inside host, removed after neighbor_gc, is a stranger again. */
	arp_in(P_IN, ARP_REQUEST, bcast, mac_client, CLIENT, zero6, OUR_IN);
	advance(GC_MS + 100);
	CU_ASSERT_EQUAL(state_of(P_IN, CLIENT), EGW_NEIGH_ST_NONE);
	arp_in(P_IN, ARP_REQUEST, bcast, mac_client, CLIENT, zero6, CLIENT);
	CU_ASSERT_EQUAL(state_of(P_IN, CLIENT), EGW_NEIGH_ST_NONE);
	teardown();
}

/* A configured neighbour is used at once, never ages, never probes, never changes. */
static void test_static(void)
{
	struct rte_ether_addr m;

	setup();
	memcpy(m.addr_bytes, mac_gw, 6);
	CU_ASSERT_EQUAL(egw_neigh_add_static(T.r, P_OUT, htonl(GW), &m), 0);
	CU_ASSERT_EQUAL(egw_neigh_add_nexthop(T.r, P_OUT, htonl(GW)), 0);
	CU_ASSERT(worker_mac_is(P_OUT, GW, mac_gw));
	gw_replies(mac_gw2);
	arp_in(P_OUT, ARP_REQUEST, bcast, mac_gw2, GW, zero6, GW);
	CU_ASSERT(worker_mac_is(P_OUT, GW, mac_gw));
	for (unsigned i = 0; i < 10; i++) {
		advance(GC_MS / 10);
		CU_ASSERT(worker_mac_is(P_OUT, GW, mac_gw));
	}
	CU_ASSERT_EQUAL(state_of(P_OUT, GW), EGW_NEIGH_ST_STATIC);
	CU_ASSERT_EQUAL(T.tx.n, 0);
	CU_ASSERT_EQUAL(stats().mac_changes, 0);
	teardown();
}

/* Start: a gratuitous ARP per port; next hops are asked for before any packet. */
static void test_announce_and_nexthop(void)
{
	setup();
	egw_neigh_announce(T.r);
	CU_ASSERT_EQUAL(T.tx.n, 2);
	check_arp(0, P_IN, ARP_REQUEST, bcast, OUR_IN, OUR_IN);
	check_arp(1, P_OUT, ARP_REQUEST, bcast, OUR_OUT, OUR_OUT);
	CU_ASSERT_EQUAL(egw_neigh_add_nexthop(T.r, P_OUT, htonl(GW)), 0);
	CU_ASSERT_EQUAL(T.tx.n, 3);
	check_arp(2, P_OUT, ARP_REQUEST, bcast, OUR_OUT, GW);
	CU_ASSERT_EQUAL(stats().probes_sent, 1);
	teardown();
}

/* What observers see: address, port, MAC, state, age, probes; nothing for empty slots. */
static void test_view(void)
{
	struct egw_neigh_view v;
	uint16_t slot;

	setup();
	resolve_gw(mac_gw);
	T.now += 2500;
	slot = egw_neigh_find(T.table, P_OUT, htonl(GW));
	CU_ASSERT_FATAL(egw_neigh_view(T.r, slot, &v));
	CU_ASSERT_EQUAL(v.addr_be, htonl(GW));
	CU_ASSERT_EQUAL(v.port, P_OUT);
	CU_ASSERT(v.has_mac);
	CU_ASSERT_EQUAL(memcmp(v.mac.addr_bytes, mac_gw, 6), 0);
	CU_ASSERT_EQUAL(v.age_ms, 2500);
	CU_ASSERT_EQUAL(v.probes, 0);
	CU_ASSERT_STRING_EQUAL(egw_neigh_state_name(v.state), "reachable");
	hold(P_OUT, OTHER, 1);
	CU_ASSERT_FATAL(egw_neigh_view(T.r, egw_neigh_find(T.table, P_OUT, htonl(OTHER)), &v));
	CU_ASSERT(!v.has_mac);
	CU_ASSERT_EQUAL(v.probes, 1);
	CU_ASSERT_STRING_EQUAL(egw_neigh_state_name(v.state), "incomplete");
	CU_ASSERT_STRING_EQUAL(egw_neigh_state_name(EGW_NEIGH_ST_MAX), "?");
	/* A slot made by a lookup only holds no neighbour. */
	slot = egw_neigh_get_or_add(T.table, P_OUT, htonl(SERVER));
	CU_ASSERT(!egw_neigh_view(T.r, slot, &v));
	teardown();
}

/* Bad parameters and ports are refused. */
static void test_params(void)
{
	struct egw_neigh_params p = { .pool = mp, .tx = capture_tx, .clock_ms = fake_clock };
	struct egw_neigh_port np = { .prefix_len = 24, .reachable_ms = 1000, .probes = 3 };

	setup();
	CU_ASSERT_PTR_NULL(egw_neigh_resolver_create(&p)); /* no table, no drop counters */
	CU_ASSERT_EQUAL(egw_neigh_port_add(T.r, RTE_MAX_ETHPORTS, &np), -EINVAL);
	np.probes = 0;
	CU_ASSERT_EQUAL(egw_neigh_port_add(T.r, 2, &np), -EINVAL);
	np.probes = 3;
	np.reachable_ms = 0;
	CU_ASSERT_EQUAL(egw_neigh_port_add(T.r, 2, &np), -EINVAL);
	/* Packets for a port the resolver does not know are dropped. */
	hold(5, GW, 1);
	CU_ASSERT_EQUAL(T.drops[EGW_DROP_NEIGH_UNRESOLVED], 1);
	arp_in(5, ARP_REQUEST, bcast, mac_gw, GW, zero6, OUR_OUT);
	CU_ASSERT_EQUAL(T.drops[EGW_DROP_ARP_HANDLED], 1);
	egw_neigh_resolver_free(NULL);
	teardown();
}

static int neigh_init(void)
{
	if (egw_test_eal_init() < 0)
		return -1;
	mp = pg_mempool();
	pg_mac(mac_in, 0x01);
	pg_mac(mac_out, 0x02);
	pg_mac(mac_gw, 0x10);
	pg_mac(mac_gw2, 0x11);
	pg_mac(mac_gw3, 0x12);
	pg_mac(mac_client, 0x20);
	return mp ? 0 : -1;
}

void egw_test_register_neigh(void)
{
	EGW_SUITE("neigh", neigh_init, NULL, EGW_TEST(test_resolve_and_release),
		EGW_TEST(test_resolve_fails), EGW_TEST(test_unreachable_rate_limit),
		EGW_TEST(test_hold_limit), EGW_TEST(test_reachable_stale_probe),
		EGW_TEST(test_reachable_randomized), EGW_TEST(test_probe_fails_then_broadcast),
		EGW_TEST(test_probe_fails_entirely), EGW_TEST(test_gc),
		EGW_TEST(test_mac_change_locktime), EGW_TEST(test_request_for_us),
		EGW_TEST(test_unsolicited), EGW_TEST(test_spoofed), EGW_TEST(test_nexthop_revived),
		EGW_TEST(test_static), EGW_TEST(test_announce_and_nexthop), EGW_TEST(test_view),
		EGW_TEST(test_params));
}
