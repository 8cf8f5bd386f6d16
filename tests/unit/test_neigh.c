/* SPDX-License-Identifier: BSD-3-Clause */
/* The neighbour resolver (lib/net/neigh_resolve.c) on a clock the tests move. */
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
#define SERVER PG_IP(203, 0, 113, 9)
#define GW PG_IP(203, 0, 113, 1)
#define OTHER PG_IP(203, 0, 113, 50)
#define MAX_SENT 64
#define ARP_REQUEST 1
#define ARP_REPLY 2

static struct rte_mempool *mp;
static uint8_t mac_in[6], mac_out[6], mac_gw[6], mac_gw2[6], mac_client[6];
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t zero6[6];

/* What the resolver under test did: frames sent, packets dropped, the time it saw. */
static struct {
	struct egw_neigh_table *table;
	struct egw_neigh_resolver *r;
	uint64_t now;
	uint64_t drops[EGW_DROP_MAX];
	struct rte_mbuf *sent[MAX_SENT];
	uint16_t sent_port[MAX_SENT];
	unsigned n_sent;
} T;

static uint64_t fake_clock(void *ctx)
{
	RTE_SET_USED(ctx);
	return T.now;
}

static void capture_tx(void *ctx, struct rte_mbuf *m, uint16_t port)
{
	RTE_SET_USED(ctx);
	if (T.n_sent == MAX_SENT) {
		rte_pktmbuf_free(m);
		CU_FAIL("more frames sent than the test can hold");
		return;
	}
	T.sent_port[T.n_sent] = port;
	T.sent[T.n_sent++] = m;
}

static void forget_sent(void)
{
	for (unsigned i = 0; i < T.n_sent; i++)
		rte_pktmbuf_free(T.sent[i]);
	T.n_sent = 0;
}

static void setup(void)
{
	struct egw_neigh_params p = {
		.pool = mp, .tx = capture_tx, .clock_ms = fake_clock, .drops = T.drops};
	struct egw_neigh_port in = {.addr_be = htonl(OUR_IN), .prefix_len = 24};
	struct egw_neigh_port out = {.addr_be = htonl(OUR_OUT), .prefix_len = 24};

	memset(&T, 0, sizeof(T));
	T.now = 1000000;
	T.table = egw_neigh_create("ut_nr", 8, SOCKET_ID_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(T.table);
	p.table = T.table;
	T.r = egw_neigh_resolver_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(T.r);
	memcpy(in.mac.addr_bytes, mac_in, 6);
	memcpy(out.mac.addr_bytes, mac_out, 6);
	CU_ASSERT_EQUAL(egw_neigh_port_add(T.r, P_IN, &in), 0);
	CU_ASSERT_EQUAL(egw_neigh_port_add(T.r, P_OUT, &out), 0);
}

static void teardown(void)
{
	egw_neigh_flush(T.r, EGW_DROP_SHUTDOWN);
	forget_sent();
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

/* A TCP packet a worker could not send: exit port PORT, next hop NH (host order). */
static struct rte_mbuf *waiting_packet(uint16_t port, uint32_t nh, uint16_t sport)
{
	struct pg_pkt p = {.src = PG_IP(198, 51, 100, 10),
		.dst = SERVER,
		.proto = IPPROTO_TCP,
		.sport = sport,
		.dport = 80,
		.tcp_flags = 0x02};
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

/* Sent frame I is an ARP OP from our port PORT to ETH_DST asking for / telling about TIP. */
static void check_arp(
	unsigned i, uint16_t port, uint16_t op, const uint8_t *eth_dst, uint32_t sip, uint32_t tip)
{
	const uint8_t *f;

	CU_ASSERT_FATAL(i < T.n_sent);
	f = rte_pktmbuf_mtod(T.sent[i], const uint8_t *);
	CU_ASSERT_EQUAL(T.sent_port[i], port);
	CU_ASSERT_EQUAL(pg_rd16(f + 12), 0x0806);
	CU_ASSERT_EQUAL(memcmp(f, eth_dst, 6), 0);
	CU_ASSERT_EQUAL(memcmp(f + 6, port == P_OUT ? mac_out : mac_in, 6), 0);
	CU_ASSERT_EQUAL(pg_rd16(f + 20), op);
	CU_ASSERT_EQUAL(pg_rd32(f + 28), sip);
	CU_ASSERT_EQUAL(pg_rd32(f + 38), tip);
}

/* Sent frame I is the TCP packet with source port SPORT, addressed to DMAC. */
static void check_packet(unsigned i, uint16_t port, const uint8_t *dmac, uint16_t sport)
{
	const uint8_t *f;

	CU_ASSERT_FATAL(i < T.n_sent);
	f = rte_pktmbuf_mtod(T.sent[i], const uint8_t *);
	CU_ASSERT_EQUAL(T.sent_port[i], port);
	CU_ASSERT_EQUAL(pg_rd16(f + 12), 0x0800);
	CU_ASSERT_EQUAL(memcmp(f, dmac, 6), 0);
	CU_ASSERT_EQUAL(pg_rd16(f + 34), sport);
}

static bool mac_is(uint16_t port, uint32_t addr, const uint8_t *want)
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

/* The first packet to a new next hop asks for it, waits, and leaves with the answer. */
static void test_resolve_and_release(void)
{
	setup();
	hold(P_OUT, GW, 1001);
	CU_ASSERT_EQUAL(T.n_sent, 1);
	check_arp(0, P_OUT, ARP_REQUEST, bcast, OUR_OUT, GW);
	hold(P_OUT, GW, 1002);
	CU_ASSERT_EQUAL(T.n_sent, 1); /* one resolution, not one per packet */
	arp_in(P_OUT, ARP_REPLY, mac_out, mac_gw, GW, mac_out, OUR_OUT);
	CU_ASSERT(mac_is(P_OUT, GW, mac_gw));
	CU_ASSERT_EQUAL(T.n_sent, 3);
	check_packet(1, P_OUT, mac_gw, 1001);
	check_packet(2, P_OUT, mac_gw, 1002);
	CU_ASSERT_EQUAL(T.drops[EGW_DROP_ARP_HANDLED], 1);
	/* Resolved meanwhile: a late packet leaves at once. */
	hold(P_OUT, GW, 1003);
	CU_ASSERT_EQUAL(T.n_sent, 4);
	check_packet(3, P_OUT, mac_gw, 1003);
	CU_ASSERT_EQUAL(T.drops[EGW_DROP_NEIGH_UNRESOLVED], 0);
	teardown();
}

/* Three requests a second apart, then the held packets go; a hold-down, then a new try. */
static void test_resolve_fails(void)
{
	setup();
	hold(P_OUT, GW, 1001);
	advance(900);
	CU_ASSERT_EQUAL(T.n_sent, 1);
	advance(100);
	CU_ASSERT_EQUAL(T.n_sent, 2);
	advance(1000);
	CU_ASSERT_EQUAL(T.n_sent, 3);
	for (unsigned i = 0; i < 3; i++)
		check_arp(i, P_OUT, ARP_REQUEST, bcast, OUR_OUT, GW);
	CU_ASSERT_EQUAL(T.drops[EGW_DROP_NEIGH_UNRESOLVED], 0);
	advance(1000);
	CU_ASSERT_EQUAL(T.n_sent, 3);
	CU_ASSERT_EQUAL(T.drops[EGW_DROP_NEIGH_UNRESOLVED], 1);
	/* Hold-down: new packets are dropped without asking again. */
	hold(P_OUT, GW, 1002);
	CU_ASSERT_EQUAL(T.n_sent, 3);
	CU_ASSERT_EQUAL(T.drops[EGW_DROP_NEIGH_UNRESOLVED], 2);
	advance(5000);
	hold(P_OUT, GW, 1003);
	CU_ASSERT_EQUAL(T.n_sent, 4);
	check_arp(3, P_OUT, ARP_REQUEST, bcast, OUR_OUT, GW);
	teardown();
}

/* At most four packets wait for one neighbour; more are dropped. */
static void test_hold_limit(void)
{
	setup();
	for (uint16_t i = 0; i < 6; i++)
		hold(P_OUT, GW, (uint16_t)(2000 + i));
	CU_ASSERT_EQUAL(T.drops[EGW_DROP_NEIGH_UNRESOLVED], 2);
	arp_in(P_OUT, ARP_REPLY, mac_out, mac_gw, GW, mac_out, OUR_OUT);
	CU_ASSERT_EQUAL(T.n_sent, 5);
	for (unsigned i = 1; i < 5; i++)
		check_packet(i, P_OUT, mac_gw, (uint16_t)(2000 + i - 1));
	teardown();
}

/* A request for our address is answered, and its sender learned. */
static void test_request_for_us(void)
{
	setup();
	arp_in(P_IN, ARP_REQUEST, bcast, mac_client, CLIENT, zero6, OUR_IN);
	CU_ASSERT_EQUAL(T.n_sent, 1);
	check_arp(0, P_IN, ARP_REPLY, mac_client, OUR_IN, CLIENT);
	CU_ASSERT(mac_is(P_IN, CLIENT, mac_client));
	/* A request for someone else teaches nothing and gets no answer. */
	arp_in(P_OUT, ARP_REQUEST, bcast, mac_gw, GW, zero6, OTHER);
	CU_ASSERT_EQUAL(T.n_sent, 1);
	CU_ASSERT(!known(P_OUT, GW));
	CU_ASSERT_EQUAL(T.drops[EGW_DROP_ARP_HANDLED], 1);
	teardown();
}

/* An unsolicited reply plants nothing; ARP from another subnet or from 0.0.0.0 is ignored. */
static void test_unsolicited(void)
{
	setup();
	arp_in(P_OUT, ARP_REPLY, mac_out, mac_gw, GW, mac_out, OUR_OUT);
	CU_ASSERT(!known(P_OUT, GW));
	arp_in(P_IN, ARP_REQUEST, bcast, mac_gw, GW, zero6, OUR_IN);
	CU_ASSERT(!known(P_IN, GW));
	arp_in(P_IN, ARP_REQUEST, bcast, mac_client, 0, zero6, OUR_IN);
	CU_ASSERT_EQUAL(T.n_sent, 0);
	CU_ASSERT_EQUAL(T.drops[EGW_DROP_ARP_HANDLED], 3);
	teardown();
}

/* A configured neighbour is used at once and never replaced by ARP. */
static void test_static(void)
{
	struct rte_ether_addr m;

	setup();
	memcpy(m.addr_bytes, mac_gw, 6);
	CU_ASSERT_EQUAL(egw_neigh_add_static(T.r, P_OUT, htonl(GW), &m), 0);
	CU_ASSERT(mac_is(P_OUT, GW, mac_gw));
	arp_in(P_OUT, ARP_REPLY, mac_out, mac_gw2, GW, mac_out, OUR_OUT);
	arp_in(P_OUT, ARP_REQUEST, bcast, mac_gw2, GW, zero6, OUR_OUT);
	CU_ASSERT(mac_is(P_OUT, GW, mac_gw));
	advance(100000);
	CU_ASSERT(mac_is(P_OUT, GW, mac_gw));
	teardown();
}

/* Start: a gratuitous ARP per port; next hops are asked for before any packet. */
static void test_announce_and_nexthop(void)
{
	setup();
	egw_neigh_announce(T.r);
	CU_ASSERT_EQUAL(T.n_sent, 2);
	check_arp(0, P_IN, ARP_REQUEST, bcast, OUR_IN, OUR_IN);
	check_arp(1, P_OUT, ARP_REQUEST, bcast, OUR_OUT, OUR_OUT);
	egw_neigh_add_nexthop(T.r, P_OUT, htonl(GW));
	CU_ASSERT_EQUAL(T.n_sent, 3);
	check_arp(2, P_OUT, ARP_REQUEST, bcast, OUR_OUT, GW);
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
	pg_mac(mac_client, 0x20);
	return mp ? 0 : -1;
}

void egw_test_register_neigh(void)
{
	EGW_SUITE("neigh", neigh_init, NULL, EGW_TEST(test_resolve_and_release),
		EGW_TEST(test_resolve_fails), EGW_TEST(test_hold_limit),
		EGW_TEST(test_request_for_us), EGW_TEST(test_unsolicited), EGW_TEST(test_static),
		EGW_TEST(test_announce_and_nexthop));
}
