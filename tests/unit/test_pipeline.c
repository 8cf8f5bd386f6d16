/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "egw_test.h"
#include "pipeline/dataplane.h"
#include "pipeline/exception.h"
#include "pipeline/flow_life.h"
#include "pipeline/fragment.h"
#include "pipeline/host_side.h"
#include "pipeline/ip_frag_out.h"
#include "pipeline/pipeline_internal.h"
#include "pkt/pkt.h"
#include "pktgen.h"
#include "conf/policy_conf.h"
#include "policy/slots.h"
#include "telemetry/flowlog.h"
#include "telemetry/flows_ask.h"
#include "telemetry/view.h"
#include "testdata.h"

/*
 * The real worker pipeline on synthetic mbufs. Two ring-backed ethdevs stand for the inside
 * and the outside port; what the pipeline transmits is read back from their TX rings.
 */

#define CLIENT PG_IP(198, 18, 0, 2)
#define OUR_IN PG_IP(198, 18, 0, 1)
#define OUR_OUT PG_IP(203, 0, 113, 2)
#define SERVER PG_IP(203, 0, 113, 1) /* also the outside gateway */
#define GW SERVER
#define FAR PG_IP(192, 0, 2, 1) /* behind the default route */
#define POOL_FIRST PG_IP(198, 51, 100, 10)
#define N_POOL 4
#define T0 1000

#define N_TXQ 2
#define TX_RING 256

static const struct egw_flow_timeouts TO = { .tcp_syn = 30,
	.tcp_established = 7440,
	.tcp_transitory = 240,
	.udp = 300,
	.icmp = 60 };
static const struct egw_nat_secret SECRET = { 0x1111222233334444ULL, 0x5555666677778888ULL };

static struct rte_mempool *pmp;
/* Ports: inside, outside, and the tunnel's exception port (its kernel side: the test). */
#define N_PORTS 3
static struct rte_ring *rx_rings[N_PORTS], *tx_rings[N_PORTS][N_TXQ];
static uint16_t port_in, port_out, port_exc;
static bool ports_ok;
static uint8_t MAC_IN[6], MAC_OUT[6], MAC_CLIENT[6], MAC_GW[6];

/* The dataplane under test and what the test fed and took back. */
static struct {
	struct egw_dataplane *dp;
	struct egw_conf *conf;
	uint64_t fed, tx_taken, punt_taken, held_taken;
} F;

static void dp_release(void);

struct frame {
	uint16_t port, queue;
	uint16_t len;
	uint8_t d[PG_FRAME_MAX];
};

/* ---- suite set-up: two ring ethdevs ---- */

static int make_port(unsigned i, uint16_t *port)
{
	struct rte_eth_conf ec;
	char name[32];
	int id;

	snprintf(name, sizeof(name), "ut_rx%u", i);
	rx_rings[i] = rte_ring_create(name, 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	for (unsigned q = 0; q < N_TXQ; q++) {
		snprintf(name, sizeof(name), "ut_tx%u_%u", i, q);
		tx_rings[i][q] = rte_ring_create(name, TX_RING, SOCKET_ID_ANY,
			RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!tx_rings[i][q])
			return -1;
	}
	if (!rx_rings[i])
		return -1;
	snprintf(name, sizeof(name), "utpl%u", i);
	id = rte_eth_from_rings(name, &rx_rings[i], 1, tx_rings[i], N_TXQ, SOCKET_ID_ANY);
	if (id < 0 || id >= 32)
		return -1;
	*port = (uint16_t)id;
	memset(&ec, 0, sizeof(ec));
	if (rte_eth_dev_configure(*port, 1, N_TXQ, &ec) < 0 ||
		rte_eth_rx_queue_setup(*port, 0, 64, SOCKET_ID_ANY, NULL, pmp) < 0)
		return -1;
	for (unsigned q = 0; q < N_TXQ; q++)
		if (rte_eth_tx_queue_setup(*port, (uint16_t)q, 64, SOCKET_ID_ANY, NULL) < 0)
			return -1;
	return rte_eth_dev_start(*port) < 0 ? -1 : 0;
}

static int pipeline_init(void)
{
	if (egw_test_eal_init() < 0)
		return -1;
	/* No per-lcore cache: the in-use count is exact. */
	pmp = rte_pktmbuf_pool_create("ut_pl_pool", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	if (!pmp)
		return -1;
	if (make_port(0, &port_in) < 0 || make_port(1, &port_out) < 0 ||
		make_port(2, &port_exc) < 0)
		return -1;
	ports_ok = true;
	pg_mac(MAC_IN, 0x01);
	pg_mac(MAC_OUT, 0x02);
	pg_mac(MAC_CLIENT, 0x12);
	pg_mac(MAC_GW, 0x21);
	return 0;
}

static int pipeline_clean(void)
{
	if (F.dp)
		dp_release();
	if (ports_ok) {
		rte_eth_dev_stop(port_in);
		rte_eth_dev_close(port_in);
		rte_eth_dev_stop(port_out);
		rte_eth_dev_close(port_out);
		rte_eth_dev_stop(port_exc);
		rte_eth_dev_close(port_exc);
	}
	for (unsigned i = 0; i < 2; i++) {
		rte_ring_free(rx_rings[i]);
		for (unsigned q = 0; q < N_TXQ; q++)
			rte_ring_free(tx_rings[i][q]);
	}
	rte_mempool_free(pmp);
	return 0;
}

/* ---- per-test dataplane ---- */

struct dp_opts {
	unsigned n_workers;
	uint32_t max_flows;
	enum egw_mode mode;
	unsigned handoff_ring, punt_ring, resolve_ring; /* ring sizes, 0 = 1024 */
	uint16_t port_first, port_last;
	unsigned n_pool;
	uint32_t max_per_source;
	bool no_pool;  /* passthrough without a default pool: routed untranslated */
	bool flow_log; /* workers get flow log rings */
	bool eim;      /* the pool maps endpoint-independently (else endpoint-dependent) */
	enum egw_nat_filtering filtering;
	uint32_t fragment_trains, fragment_timeout; /* 0: the defaults */
	bool latency;				    /* RX-to-TX latency histograms */
};

/* The mapping and filtering of the pool the snapshots of the current test get. */
static struct {
	enum egw_nat_mapping mapping;
	enum egw_nat_filtering filtering;
} NAT_MODE;

static struct egw_snapshot *build_snapshot(enum egw_mode mode, uint16_t pf, uint16_t pl,
	unsigned n_addrs, uint32_t max_per_source, uint64_t gen)
{
	struct egw_conf *c = F.conf;
	struct egw_pool_conf *p = &c->pools[0];

	c->egress.mode = mode;
	snprintf(c->egress.default_pool, sizeof(c->egress.default_pool), "main");
	c->n_pools = 1;
	snprintf(p->name, sizeof(p->name), "main");
	for (unsigned i = 0; i < n_addrs; i++)
		p->addrs[i] = POOL_FIRST + i;
	p->n_addrs = n_addrs;
	p->port_first = pf;
	p->port_last = pl;
	p->mapping = NAT_MODE.mapping;
	p->filtering = NAT_MODE.filtering;
	p->pairing = EGW_PAIRING_PAIRED;
	p->max_per_source = max_per_source;
	if (n_addrs == 0) {
		c->n_pools = 0;
		c->egress.default_pool[0] = 0;
	}
	return egw_snapshot_build(c, gen);
}

static void publish(struct egw_snapshot *s)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	/* No reader thread is registered: the old snapshot is freed at once. */
	CU_ASSERT_EQUAL(egw_rcu_publish(&F.dp->rcu, s), 0);
	CU_ASSERT_EQUAL(egw_rcu_reclaim(&F.dp->rcu), 0);
}

static void set_mode(enum egw_mode mode)
{
	const struct egw_snapshot *cur = egw_snapshot_current(&F.dp->rcu);
	const struct egw_nat_pool *p = cur->default_pool;

	publish(build_snapshot(mode, p->port_first, p->port_last, p->n_addrs, p->max_per_source,
		cur->generation + 1));
}

static void add_static_neigh(uint16_t port, uint32_t addr, const uint8_t mac[6])
{
	struct rte_ether_addr ea;
	uint16_t slot = egw_neigh_get_or_add(F.dp->neigh, port, htonl(addr));

	CU_ASSERT_FATAL(slot != EGW_NEIGH_SLOT_NONE);
	memcpy(ea.addr_bytes, mac, 6);
	egw_neigh_set(F.dp->neigh, slot, &ea, false);
}

/* Replaces *R by an empty ring of SIZE entries (a test of what a full ring does). */
static void resize_ring(struct rte_ring **r, const char *name, unsigned size, unsigned flags)
{
	char full[RTE_RING_NAMESIZE];

	CU_ASSERT_FATAL(
		snprintf(full, sizeof(full), "%s_%s", F.dp->name, name) < (int)sizeof(full));
	rte_ring_free(*r);
	*r = rte_ring_create(full, size, SOCKET_ID_ANY, flags);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*r);
}

static void set_port(uint16_t id, uint8_t zone, uint32_t addr, const uint8_t *mac, const char *name)
{
	struct egw_port_info pi = { .zone = zone, .mtu = 1500, .addr_be = htonl(addr) };

	memcpy(pi.mac.addr_bytes, mac, 6);
	snprintf(pi.name, sizeof(pi.name), "%s", name);
	egw_dataplane_set_port(F.dp, id, &pi);
}

static void dp_setup(const struct dp_opts *o)
{
	static unsigned built;
	struct egw_dataplane_params p = { .n_workers = o->n_workers ? o->n_workers : 1,
		.max_flows =
			(o->max_flows ? o->max_flows : 1024) * (o->n_workers ? o->n_workers : 1),
		.timeouts = TO,
		.tcp_pickup = true,
		.flow_log = o->flow_log,
		.neigh_max = 64,
		.ring_size = 1024,
		.secret = &SECRET,
		.fragment_trains = o->fragment_trains,
		.fragment_timeout = o->fragment_timeout,
		.latency = o->latency };
	struct egw_dataplane *dp;
	char name[12], err[256];

	CU_ASSERT_FATAL(ports_ok);
	/* What a test that stopped on a fatal assertion left behind. */
	if (F.dp)
		dp_release();
	memset(&F, 0, sizeof(F));
	F.conf = calloc(1, sizeof(*F.conf));
	CU_ASSERT_FATAL(F.conf != NULL);
	/* Ring names are the process' own: a new prefix per data plane. */
	snprintf(name, sizeof(name), "ut_pl%u", built++);
	p.name = name;
	dp = F.dp = egw_dataplane_create(&p, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);

	NAT_MODE.mapping =
		o->eim ? EGW_MAPPING_ENDPOINT_INDEPENDENT : EGW_MAPPING_ENDPOINT_DEPENDENT;
	NAT_MODE.filtering = o->filtering;
	set_port(port_in, EGW_ZONE_INSIDE, OUR_IN, MAC_IN, "inside");
	set_port(port_out, EGW_ZONE_OUTSIDE, OUR_OUT, MAC_OUT, "outside");
	CU_ASSERT_EQUAL_FATAL(egw_route_add(&dp->to_inside, PG_IP(198, 18, 0, 0), 24, 0, port_in),
		0);
	CU_ASSERT_EQUAL_FATAL(egw_route_add(&dp->to_outside, PG_IP(203, 0, 113, 0), 24, 0,
				      port_out),
		0);
	CU_ASSERT_EQUAL_FATAL(egw_route_add(&dp->to_outside, 0, 0, htonl(GW), port_out), 0);
	CU_ASSERT_EQUAL_FATAL(egw_dataplane_add_port_addr(dp, OUR_IN, 24), 0);
	CU_ASSERT_EQUAL_FATAL(egw_dataplane_add_port_addr(dp, OUR_OUT, 24), 0);
	add_static_neigh(port_in, CLIENT, MAC_CLIENT);
	add_static_neigh(port_out, GW, MAC_GW);

	publish(build_snapshot(o->mode, o->port_first ? o->port_first : 1024,
		o->port_last ? o->port_last : 65535,
		o->no_pool ? 0 :
		o->n_pool  ? o->n_pool :
			     N_POOL,
		o->max_per_source, 1));
	if (o->punt_ring)
		resize_ring(&dp->punt_ring, "upunt", o->punt_ring, RING_F_SC_DEQ);
	if (o->resolve_ring)
		resize_ring(&dp->resolve_ring, "uresolve", o->resolve_ring, RING_F_SC_DEQ);
	for (unsigned a = 0; o->handoff_ring && a < dp->n_workers; a++)
		for (unsigned b = 0; b < dp->n_workers; b++) {
			char ho[24];
			if (a == b)
				continue;
			CU_ASSERT_FATAL(
				snprintf(ho, sizeof(ho), "uho%u_%u", a, b) < (int)sizeof(ho));
			resize_ring(&dp->handoff[a][b], ho, o->handoff_ring,
				RING_F_SP_ENQ | RING_F_SC_DEQ);
		}
	for (unsigned i = 0; i < dp->n_workers; i++)
		dp->workers[i]->now = T0;
}

static struct egw_worker *W(unsigned i)
{
	return F.dp->workers[i];
}

/* Flushes every worker and takes what the ports transmitted (copies; the mbufs are freed). */
static unsigned take(struct frame *out, unsigned max)
{
	unsigned n = 0;
	uint16_t ports[N_PORTS] = { port_in, port_out, port_exc };

	for (unsigned i = 0; i < F.dp->n_workers; i++)
		egw_pipeline_flush(W(i));
	for (unsigned p = 0; p < N_PORTS; p++)
		for (unsigned q = 0; q < N_TXQ; q++) {
			struct rte_mbuf *m;
			while (rte_ring_dequeue(tx_rings[p][q], (void **)&m) == 0) {
				if (out && n < max) {
					out[n].port = ports[p];
					out[n].queue = (uint16_t)q;
					out[n].len = rte_pktmbuf_data_len(m);
					CU_ASSERT_EQUAL(m->nb_segs, 1);
					memcpy(out[n].d, rte_pktmbuf_mtod(m, uint8_t *),
						out[n].len);
				}
				n++;
				F.tx_taken++;
				rte_pktmbuf_free(m);
			}
		}
	return n;
}

/* Expects exactly one frame, on PORT; returns it. */
static struct frame *take_one(uint16_t port)
{
	static struct frame fr[4];
	unsigned n = take(fr, 4);

	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL_FATAL(fr[0].port, port);
	return &fr[0];
}

static unsigned take_punted(struct frame *out, unsigned max)
{
	struct rte_mbuf *m;
	unsigned n = 0;

	while (rte_ring_dequeue(F.dp->punt_ring, (void **)&m) == 0) {
		if (out && n < max) {
			out[n].port = m->port;
			out[n].len = rte_pktmbuf_data_len(m);
			memcpy(out[n].d, rte_pktmbuf_mtod(m, uint8_t *), out[n].len);
		}
		n++;
		F.punt_taken++;
		rte_pktmbuf_free(m);
	}
	return n;
}

static struct rte_mbuf *mk_mbuf(const uint8_t *frame, size_t len, uint16_t port)
{
	struct rte_mbuf *m = pg_mbuf(pmp, frame, len, port);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	return m;
}

/* Receives one frame on worker W from PORT. */
static void rx_on(struct egw_worker *w, uint16_t port, const uint8_t *frame, size_t len)
{
	struct rte_mbuf *m = mk_mbuf(frame, len, port);

	F.fed++;
	egw_pipeline_rx(w, &m, 1, false);
}

/* Delivers every handed-off packet to its owner; returns how many. */
static unsigned run_handoffs(void)
{
	struct egw_dataplane *dp = F.dp;
	struct rte_mbuf *pkts[EGW_BURST];
	unsigned total = 0, n;

	for (unsigned a = 0; a < dp->n_workers; a++)
		for (unsigned b = 0; b < dp->n_workers; b++) {
			if (a == b)
				continue;
			while ((n = rte_ring_dequeue_burst(dp->handoff[a][b], (void **)pkts,
					EGW_BURST, NULL)) > 0) {
				egw_pipeline_rx(W(b), pkts, (uint16_t)n, true);
				total += n;
			}
		}
	return total;
}

static uint64_t drops(enum egw_drop_reason r)
{
	struct egw_worker_stats st;

	egw_dataplane_stats(F.dp, &st);
	return st.drops[r];
}

static uint64_t total_drops(const struct egw_worker_stats *st)
{
	uint64_t n = 0;

	for (unsigned r = 0; r < EGW_DROP_MAX; r++)
		n += st->drops[r];
	return n;
}

/* Takes the packets held for an unresolved next hop. */
static unsigned take_held(struct frame *out, unsigned max, uint32_t *nexthop_be)
{
	struct rte_mbuf *m;
	unsigned n = 0;

	while (rte_ring_dequeue(F.dp->resolve_ring, (void **)&m) == 0) {
		if (out && n < max) {
			out[n].port = m->port;
			out[n].len = rte_pktmbuf_data_len(m);
			memcpy(out[n].d, rte_pktmbuf_mtod(m, uint8_t *), out[n].len);
			if (nexthop_be)
				nexthop_be[n] = m->hash.usr;
		}
		n++;
		F.held_taken++;
		rte_pktmbuf_free(m);
	}
	return n;
}

/*
 * Every received packet was transmitted, punted, held for ARP, handed off (and then processed
 * or still in a ring) or dropped with exactly one reason; an ICMP error we generate replaces
 * the packet it is about (counted as a drop) and is transmitted itself.
 */
static void check_conservation(void)
{
	struct egw_dataplane *dp = F.dp;
	struct egw_worker_stats st;
	uint64_t in_rings = 0;

	take(NULL, 0);
	egw_dataplane_stats(dp, &st);
	for (unsigned a = 0; a < dp->n_workers; a++)
		for (unsigned b = 0; b < dp->n_workers; b++)
			if (a != b)
				in_rings += rte_ring_count(dp->handoff[a][b]);
	CU_ASSERT_EQUAL(st.drops[EGW_DROP_NONE], 0);
	CU_ASSERT_EQUAL(st.rx_packets, F.fed);
	CU_ASSERT_EQUAL(st.tx_packets, F.tx_taken);
	CU_ASSERT_EQUAL(st.punted, F.punt_taken + rte_ring_count(dp->punt_ring));
	CU_ASSERT_EQUAL(st.held, F.held_taken + rte_ring_count(dp->resolve_ring));
	CU_ASSERT_EQUAL(st.handoffs_out, st.handoffs_in + in_rings);
	/* Generated packets (ICMP errors; for revoked flows the RST back to the sender and the
	 * ACK probe; dns_filter's NXDOMAIN answers; rejects) add to rx; a packet split in
	 * fragments counts as its fragments; late binding's SYNs to servers. */
	CU_ASSERT_EQUAL(st.rx_packets + st.icmp_errors_sent + st.rst_sent + st.ack_probes_sent +
				st.rejects_sent + st.dns_nxdomain_sent + st.fragments_sent +
				st.late_syns_sent,
		st.tx_packets + st.punted + st.held + st.handoffs_out - st.handoffs_in +
			total_drops(&st) + st.packets_fragmented);
	if (st.rx_packets + st.icmp_errors_sent + st.rst_sent + st.ack_probes_sent +
			st.rejects_sent + st.dns_nxdomain_sent + st.fragments_sent +
			st.late_syns_sent !=
		st.tx_packets + st.punted + st.held + st.handoffs_out - st.handoffs_in +
			total_drops(&st) + st.packets_fragmented)
		fprintf(stderr,
			"\n  rx %lu icmp %lu tx %lu punt %lu held %lu ho %lu/%lu drops %lu\n",
			(unsigned long)st.rx_packets, (unsigned long)st.icmp_errors_sent,
			(unsigned long)st.tx_packets, (unsigned long)st.punted,
			(unsigned long)st.held, (unsigned long)st.handoffs_out,
			(unsigned long)st.handoffs_in, (unsigned long)total_drops(&st));
}

/* Frees the dataplane and whatever packets are still queued in its rings. */
static void dp_release(void)
{
	take(NULL, 0);
	take_punted(NULL, 0);
	take_held(NULL, 0, NULL);
	for (unsigned i = 0; i < F.dp->n_workers; i++)
		egw_flow_flush(W(i)->ft, NULL, NULL);
	egw_dataplane_free(F.dp);
	free(F.conf);
	F.dp = NULL;
}

/* Checks conservation, frees everything and checks that no mbuf leaked. */
static void dp_teardown(void)
{
	check_conservation();
	dp_release();
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pmp), 0);
}

/* ---- frames ---- */

static struct pg_pkt from_client(uint8_t proto, uint16_t sport, uint32_t dst, uint16_t dport)
{
	struct pg_pkt p = { 0 };

	memcpy(p.dmac, MAC_IN, 6);
	memcpy(p.smac, MAC_CLIENT, 6);
	p.src = CLIENT;
	p.dst = dst;
	p.proto = proto;
	p.sport = sport;
	p.dport = dport;
	p.ttl = 64;
	p.ip_id = 4242;
	p.seq = 1000;
	if (proto == IPPROTO_ICMP)
		p.icmp_type = EGW_ICMP_ECHO_REQUEST;
	return p;
}

static struct pg_pkt from_server(uint8_t proto, uint16_t sport, uint32_t dst, uint16_t dport)
{
	struct pg_pkt p = { 0 };

	memcpy(p.dmac, MAC_OUT, 6);
	memcpy(p.smac, MAC_GW, 6);
	p.src = SERVER;
	p.dst = dst;
	p.proto = proto;
	p.sport = sport;
	p.dport = dport;
	p.ttl = 50;
	p.ip_id = 999;
	p.seq = 5000;
	if (proto == IPPROTO_ICMP)
		p.icmp_type = EGW_ICMP_ECHO_REPLY;
	return p;
}

static size_t bld(uint8_t *buf, const struct pg_pkt *p)
{
	size_t n = pg_build(buf, PG_FRAME_MAX, p);

	CU_ASSERT_FATAL(n > 0);
	return n;
}

static void send_pkt(struct egw_worker *w, uint16_t port, const struct pg_pkt *p)
{
	uint8_t f[PG_FRAME_MAX];
	size_t n = bld(f, p);

	rx_on(w, port, f, n);
}

static bool is_pool_addr(uint32_t a)
{
	return a >= POOL_FIRST && a < POOL_FIRST + N_POOL;
}

/* The translated form of P as the pipeline must send it: new source, TTL - 1, MACs. */
static void expect_out(const struct frame *fr, struct pg_pkt p, uint32_t nat_addr,
	uint16_t nat_port, const uint8_t dmac[6])
{
	uint8_t want[PG_FRAME_MAX];
	size_t n;

	p.src = nat_addr;
	p.sport = nat_port;
	p.ttl--;
	memcpy(p.dmac, dmac, 6);
	memcpy(p.smac, MAC_OUT, 6);
	n = bld(want, &p);
	CU_ASSERT_EQUAL(fr->len, n);
	CU_ASSERT(pg_ip_csum_ok(fr->d + 14));
	CU_ASSERT(pg_l4_csum_ok(fr->d + 14));
	CU_ASSERT_EQUAL(memcmp(fr->d, want, n), 0);
}

static void expect_in(const struct frame *fr, struct pg_pkt p, uint16_t client_port)
{
	uint8_t want[PG_FRAME_MAX];
	size_t n;

	p.dst = CLIENT;
	if (p.proto == IPPROTO_ICMP)
		p.sport = client_port;
	else
		p.dport = client_port;
	p.ttl--;
	memcpy(p.dmac, MAC_CLIENT, 6);
	memcpy(p.smac, MAC_IN, 6);
	n = bld(want, &p);
	CU_ASSERT_EQUAL(fr->len, n);
	CU_ASSERT(pg_ip_csum_ok(fr->d + 14));
	CU_ASSERT(pg_l4_csum_ok(fr->d + 14));
	CU_ASSERT_EQUAL(memcmp(fr->d, want, n), 0);
}

static struct egw_flow *find_flow(struct egw_worker *w, uint8_t proto, uint16_t sport, uint32_t dst,
	uint16_t dport)
{
	struct egw_flow_key k;
	unsigned dir;

	egw_flow_key_set(&k, htonl(CLIENT), htonl(dst), htons(sport),
		htons(proto == IPPROTO_ICMP ? sport : dport), proto, EGW_ZONE_INSIDE);
	return egw_flow_lookup(w->ft, &k, &dir);
}

/* ---- tests ---- */

static void test_pipeline_tcp_roundtrip(void)
{
	struct pg_pkt syn, synack, ack, fin;
	struct frame *fr;
	struct egw_flow *f;
	struct egw_worker_stats st;
	uint32_t nat_addr;
	uint16_t nat_port;

	dp_setup(&(struct dp_opts){ 0 });
	syn = from_client(IPPROTO_TCP, 40000, SERVER, 80);
	syn.tcp_flags = EGW_TCP_SYN;
	send_pkt(W(0), port_in, &syn);
	fr = take_one(port_out);
	nat_addr = pg_rd32(fr->d + 14 + 12);
	nat_port = pg_rd16(fr->d + 34);
	CU_ASSERT(is_pool_addr(nat_addr));
	CU_ASSERT(nat_port >= 1024);
	expect_out(fr, syn, nat_addr, nat_port, MAC_GW);
	/* Paired: the address is the keyed choice for the client. */
	{
		struct egw_flow_key k;
		egw_flow_key_set(&k, htonl(CLIENT), htonl(SERVER), htons(40000), htons(80),
			IPPROTO_TCP, EGW_ZONE_INSIDE);
		CU_ASSERT_EQUAL(ntohl(egw_nat_pick_addr(egw_snapshot_current(&F.dp->rcu)
								->default_pool,
					&SECRET, &k)),
			nat_addr);
	}
	f = find_flow(W(0), IPPROTO_TCP, 40000, SERVER, 80);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->state, EGW_TCP_SYN_SENT);
	CU_ASSERT_EQUAL(f->nat_addr, htonl(nat_addr));
	CU_ASSERT_EQUAL(f->nat_port, htons(nat_port));
	CU_ASSERT(f->flags & EGW_FLOW_F_NAT);
	CU_ASSERT_EQUAL(f->port[EGW_DIR_ORIG], port_out);
	CU_ASSERT_EQUAL(f->port[EGW_DIR_REPLY], port_in);
	CU_ASSERT_EQUAL(egw_flow_created(W(0)->ft, f), T0);
	CU_ASSERT_EQUAL(f->packets[EGW_DIR_ORIG], 1);
	CU_ASSERT_EQUAL(f->bytes[EGW_DIR_ORIG], 40);

	/* The server answers the translated tuple; the client gets it on its own tuple. */
	W(0)->now = T0 + 1;
	synack = from_server(IPPROTO_TCP, 80, nat_addr, nat_port);
	synack.tcp_flags = EGW_TCP_SYN | EGW_TCP_ACK;
	synack.payload_len = 4;
	send_pkt(W(0), port_out, &synack);
	fr = take_one(port_in);
	expect_in(fr, synack, 40000);
	CU_ASSERT_EQUAL(f->state, EGW_TCP_SYN_RECV);
	CU_ASSERT_EQUAL(f->last_seen, T0 + 1);
	CU_ASSERT_EQUAL(f->packets[EGW_DIR_REPLY], 1);
	CU_ASSERT_EQUAL(f->bytes[EGW_DIR_REPLY], 44);

	ack = syn;
	ack.tcp_flags = EGW_TCP_ACK;
	ack.payload_len = 100;
	send_pkt(W(0), port_in, &ack);
	fr = take_one(port_out);
	expect_out(fr, ack, nat_addr, nat_port, MAC_GW);
	CU_ASSERT_EQUAL(f->state, EGW_TCP_ESTABLISHED);

	/* Close: FIN both ways. */
	fin = ack;
	fin.tcp_flags = EGW_TCP_FIN | EGW_TCP_ACK;
	fin.payload_len = 0;
	send_pkt(W(0), port_in, &fin);
	expect_out(take_one(port_out), fin, nat_addr, nat_port, MAC_GW);
	CU_ASSERT_EQUAL(f->state, EGW_TCP_FIN_WAIT);
	fin = synack;
	fin.tcp_flags = EGW_TCP_FIN | EGW_TCP_ACK;
	send_pkt(W(0), port_out, &fin);
	expect_in(take_one(port_in), fin, 40000);
	CU_ASSERT_EQUAL(f->state, EGW_TCP_CLOSING);

	/* A second connection: same egress address (paired), another port. */
	syn.sport = 40001;
	send_pkt(W(0), port_in, &syn);
	fr = take_one(port_out);
	CU_ASSERT_EQUAL(pg_rd32(fr->d + 14 + 12), nat_addr);
	CU_ASSERT_NOT_EQUAL(pg_rd16(fr->d + 34), nat_port);
	expect_out(fr, syn, nat_addr, pg_rd16(fr->d + 34), MAC_GW);

	/* Off-link destination: through the default gateway's MAC. */
	syn = from_client(IPPROTO_TCP, 40002, FAR, 443);
	syn.tcp_flags = EGW_TCP_SYN;
	send_pkt(W(0), port_in, &syn);
	fr = take_one(port_out);
	expect_out(fr, syn, nat_addr, pg_rd16(fr->d + 34), MAC_GW);

	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.flows_created, 3);
	CU_ASSERT_EQUAL(egw_dataplane_flows_active(F.dp), 3);
	CU_ASSERT_EQUAL(st.outbound_packets, 5);
	CU_ASSERT_EQUAL(st.inbound_packets, 2);
	CU_ASSERT_EQUAL(st.tx_packets, 7);
	CU_ASSERT_EQUAL(total_drops(&st), 0);
	dp_teardown();
}

/* A burst of new flows whose second packets follow in the same burst; more than 32 at once. */
/* Latency (latency.h): a stamped packet counts at TX with its time inside, an unstamped one
 * (built by the control thread) does not; off, nothing is kept. */
static void test_pipeline_latency(void)
{
	struct pg_pkt p = from_client(IPPROTO_UDP, 40001, SERVER, 9999);
	uint8_t f[PG_FRAME_MAX];
	struct egw_latency *h = calloc(1, sizeof(*h));
	struct rte_mbuf *m[2];
	size_t n = bld(f, &p);
	const uint64_t age = 1000000; /* cycles: stamped this long before the TX */
	uint64_t before, after;

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	dp_setup(&(struct dp_opts){ .latency = true });
	CU_ASSERT_TRUE(W(0)->lat_off >= 0);
	m[0] = mk_mbuf(f, n, port_in);
	p.sport = 40002;
	n = bld(f, &p);
	m[1] = mk_mbuf(f, n, port_in);
	before = rte_get_tsc_cycles();
	egw_latency_stamp(&m[0], 1, W(0)->lat_off, before - age);
	egw_latency_stamp(&m[1], 1, W(0)->lat_off, 0);
	F.fed += 2;
	egw_pipeline_rx(W(0), m, 2, false);
	egw_pipeline_flush(W(0));
	after = rte_get_tsc_cycles();
	CU_ASSERT_EQUAL(F.dp->workers[0]->stats.tx_packets, 2);
	CU_ASSERT_TRUE(egw_dataplane_latency(F.dp, 0, h));
	CU_ASSERT_EQUAL(egw_latency_count(h), 1); /* the unstamped one is not counted */
	/* within the bucket's width (1/8) of what passed between the stamp and the TX */
	CU_ASSERT(egw_latency_quantile(h, 0.5) >= age - age / 8);
	CU_ASSERT(egw_latency_quantile(h, 0.5) <=
		  (after - before + age) + (after - before + age) / 8);
	CU_ASSERT_EQUAL(take(NULL, 0), 2); /* both sent */
	dp_release();

	memset(h, 0, sizeof(*h));
	dp_setup(&(struct dp_opts){ 0 });
	CU_ASSERT_EQUAL(W(0)->lat_off, -1);
	CU_ASSERT_PTR_NULL(W(0)->lat);
	CU_ASSERT_FALSE(egw_dataplane_latency(F.dp, 0, h));
	CU_ASSERT_EQUAL(egw_latency_count(h), 0);
	free(h);
}

static void test_pipeline_burst(void)
{
	struct rte_mbuf *pkts[40];
	struct frame *fr = calloc(48, sizeof(*fr));
	struct egw_worker_stats st;
	unsigned n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fr);
	dp_setup(&(struct dp_opts){ 0 });
	for (unsigned i = 0; i < 40; i++) {
		struct pg_pkt p = from_client(IPPROTO_UDP, (uint16_t)(10000 + i / 2), SERVER, 53);
		uint8_t f[PG_FRAME_MAX];
		size_t len;
		p.payload_len = (uint16_t)(10 + i);
		len = bld(f, &p);
		pkts[i] = mk_mbuf(f, len, port_in);
	}
	F.fed += 40;
	egw_pipeline_rx(W(0), pkts, 40, false);
	n = take(fr, 48);
	CU_ASSERT_EQUAL(n, 40);
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.flows_created, 20);
	CU_ASSERT_EQUAL(total_drops(&st), 0);
	/* Both packets of a flow leave with the same translation. */
	for (unsigned i = 0; i + 1 < n; i += 2) {
		CU_ASSERT_EQUAL(fr[i].port, port_out);
		CU_ASSERT_EQUAL(memcmp(fr[i].d + 14 + 12, fr[i + 1].d + 14 + 12, 4), 0);
		CU_ASSERT_EQUAL(memcmp(fr[i].d + 34, fr[i + 1].d + 34, 2), 0);
		CU_ASSERT(pg_l4_csum_ok(fr[i].d + 14));
	}
	dp_teardown();
	free(fr);
}

static void test_pipeline_unsolicited(void)
{
	struct pg_pkt p;
	uint8_t o[PG_FRAME_MAX], e[PG_FRAME_MAX];
	size_t on, en;

	dp_setup(&(struct dp_opts){ 0 });
	/* To a pool address and port nobody holds. */
	p = from_server(IPPROTO_TCP, 80, POOL_FIRST, 5000);
	p.tcp_flags = EGW_TCP_SYN;
	send_pkt(W(0), port_out, &p);
	p = from_server(IPPROTO_UDP, 53, POOL_FIRST + 1, 5000);
	send_pkt(W(0), port_out, &p);
	/* Straight to an inside host. */
	p = from_server(IPPROTO_TCP, 80, CLIENT, 40000);
	p.tcp_flags = EGW_TCP_ACK;
	send_pkt(W(0), port_out, &p);
	/* An unsolicited ping to a pool address. */
	p = from_server(IPPROTO_ICMP, 77, POOL_FIRST, 0);
	p.icmp_type = EGW_ICMP_ECHO_REQUEST;
	send_pkt(W(0), port_out, &p);
	CU_ASSERT_EQUAL(drops(EGW_DROP_UNSOLICITED), 4);
	/* An ICMP error about a flow that does not exist, from either side. */
	p = from_client(IPPROTO_UDP, 5353, SERVER, 53);
	p.src = POOL_FIRST;
	on = bld(o, &p);
	en = pg_build_icmp_error(e, sizeof(e), MAC_OUT, MAC_GW, SERVER, POOL_FIRST, 3, 3, o + 14,
		28);
	rx_on(W(0), port_out, e, en);
	p = from_server(IPPROTO_UDP, 53, CLIENT, 5353);
	on = bld(o, &p);
	en = pg_build_icmp_error(e, sizeof(e), MAC_IN, MAC_CLIENT, CLIENT, SERVER, 3, 3, o + 14,
		28);
	rx_on(W(0), port_in, e, en);
	CU_ASSERT_EQUAL(drops(EGW_DROP_ICMP_ERROR_NO_FLOW), 2);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 0);
	(void)on;
	dp_teardown();
}

static void test_pipeline_modes(void)
{
	struct pg_pkt syn = from_client(IPPROTO_TCP, 40000, SERVER, 80), p;
	uint16_t nat_port;
	struct frame *fr;

	syn.tcp_flags = EGW_TCP_SYN;
	dp_setup(&(struct dp_opts){ .mode = EGW_MODE_DENY });
	send_pkt(W(0), port_in, &syn);
	CU_ASSERT_EQUAL(drops(EGW_DROP_MODE_DENY), 1);
	p = from_client(IPPROTO_UDP, 5353, SERVER, 53);
	send_pkt(W(0), port_in, &p);
	p = from_client(IPPROTO_ICMP, 7, SERVER, 0);
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(drops(EGW_DROP_MODE_DENY), 3);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);

	set_mode(EGW_MODE_POLICY);
	send_pkt(W(0), port_in, &syn);
	CU_ASSERT_EQUAL(drops(EGW_DROP_POLICY_NO_MATCH), 1);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 0);

	/* Passthrough admits it. With revalidate = keep, a flow admitted before a switch to
	 * deny keeps working. */
	set_mode(EGW_MODE_PASSTHROUGH);
	send_pkt(W(0), port_in, &syn);
	fr = take_one(port_out);
	nat_port = pg_rd16(fr->d + 34);
	F.conf->egress.revalidate = EGW_REVALIDATE_KEEP;
	set_mode(EGW_MODE_DENY);
	p = from_server(IPPROTO_TCP, 80, pg_rd32(fr->d + 26), nat_port);
	p.tcp_flags = EGW_TCP_SYN | EGW_TCP_ACK;
	send_pkt(W(0), port_out, &p);
	expect_in(take_one(port_in), p, 40000);
	CU_ASSERT_EQUAL(drops(EGW_DROP_MODE_DENY), 3);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 1);

	/* With revalidate = reset, the next packet of a flow the new mode refuses ends it. */
	F.conf->egress.revalidate = EGW_REVALIDATE_RESET;
	set_mode(EGW_MODE_PASSTHROUGH);
	p = from_client(IPPROTO_UDP, 5353, SERVER, 53);
	send_pkt(W(0), port_in, &p);
	fr = take_one(port_out);
	set_mode(EGW_MODE_DENY);
	{
		struct pg_pkt r =
			from_server(IPPROTO_UDP, 53, pg_rd32(fr->d + 26), pg_rd16(fr->d + 34));
		send_pkt(W(0), port_out, &r);
	}
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(drops(EGW_DROP_POLICY_REVOKED), 1);
	CU_ASSERT_PTR_NULL(find_flow(W(0), IPPROTO_UDP, 5353, SERVER, 53));
	dp_teardown();
}

/*
 * Several packets of revoked flows in one burst. The first UDP packet ends its flow (once);
 * the others meet the new policy as new flows, and the bulk lookup's stale hits must not touch
 * the freed record (before: flows_revoked per packet, n_active wrapped below zero). The TCP
 * connection is reset toward both ends and its record stays: each later segment is answered
 * with an RST whose seq is that segment's ack.
 */
static void test_pipeline_revoke_in_burst(void)
{
	struct pg_pkt syn = from_client(IPPROTO_TCP, 40000, SERVER, 80);
	struct pg_pkt udp = from_client(IPPROTO_UDP, 5353, SERVER, 53);
	struct pg_pkt ack = syn;
	struct rte_mbuf *pkts[7];
	struct egw_worker_stats st;
	struct egw_flow *tf;
	struct frame fr[8];
	uint8_t f[PG_FRAME_MAX];
	unsigned n, to_client = 0, to_server = 0, probes = 0;
	const struct frame *probe = NULL, *rst = NULL;

	dp_setup(&(struct dp_opts){ .mode = EGW_MODE_PASSTHROUGH });
	F.conf->egress.revalidate = EGW_REVALIDATE_RESET;
	syn.tcp_flags = EGW_TCP_SYN;
	send_pkt(W(0), port_in, &syn);
	send_pkt(W(0), port_in, &udp);
	CU_ASSERT_EQUAL(take(NULL, 0), 2);
	CU_ASSERT_EQUAL_FATAL(egw_flow_table_active(W(0)->ft), 2);

	set_mode(EGW_MODE_DENY);
	ack.tcp_flags = EGW_TCP_ACK;
	for (unsigned i = 0; i < 7; i++) {
		size_t len;
		/* The TCP segments: 1000 (sent first), then two retransmissions of 900. */
		ack.seq = i == 4 ? 1000 : 900;
		ack.ack = 2000 + i;
		len = i < 4 ? bld(f, &udp) : bld(f, &ack);
		pkts[i] = mk_mbuf(f, len, port_in);
		CU_ASSERT_PTR_NOT_NULL_FATAL(pkts[i]);
	}
	F.fed += 7;
	egw_pipeline_rx(W(0), pkts, 7, false);
	n = take(fr, 8);
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.flows_revoked, 2);
	/* The first UDP packet, and the two TCP segments after the first. */
	CU_ASSERT_EQUAL(drops(EGW_DROP_POLICY_REVOKED), 3);
	/* The 3 UDP packets after the first are new flows: deny mode. */
	CU_ASSERT_EQUAL(drops(EGW_DROP_MODE_DENY), 3);
	CU_ASSERT_EQUAL_FATAL(n, 5);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *tcp = fr[i].d + 14 + 20;
		CU_ASSERT(pg_l4_csum_ok(fr[i].d + 14));
		if (fr[i].port == port_in) {
			/* Each RST to the client carries the ack of the segment it answers. */
			CU_ASSERT_EQUAL(tcp[13], EGW_TCP_RST | EGW_TCP_ACK);
			CU_ASSERT_EQUAL(pg_rd32(tcp + 4), 2004 + to_client);
			to_client++;
		} else if (tcp[13] & EGW_TCP_RST) {
			/* The first segment itself, turned into an RST toward the server. */
			CU_ASSERT_EQUAL(pg_rd32(tcp + 4), 1000);
			rst = &fr[i];
			to_server++;
		} else {
			/* The ACK probe, far behind the server's window. */
			CU_ASSERT_EQUAL(tcp[13], EGW_TCP_ACK);
			CU_ASSERT_EQUAL(pg_rd32(tcp + 4), 1000u - (1u << 30));
			probe = &fr[i];
			probes++;
		}
	}
	CU_ASSERT_EQUAL(to_client, 3);
	CU_ASSERT_EQUAL(to_server, 1);
	CU_ASSERT_EQUAL(probes, 1);
	CU_ASSERT_EQUAL(st.ack_probes_sent, 1);
	/* The probe leaves translated, like the RST: same addresses, ports and MACs. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(probe);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rst);
	CU_ASSERT_EQUAL(memcmp(probe->d, rst->d, 12), 0);
	CU_ASSERT_EQUAL(memcmp(probe->d + 14 + 12, rst->d + 14 + 12, 8), 0);
	CU_ASSERT_EQUAL(memcmp(probe->d + 34, rst->d + 34, 4), 0);
	CU_ASSERT(pg_rd32(probe->d + 26) - POOL_FIRST < N_POOL);
	CU_ASSERT_PTR_NULL(find_flow(W(0), IPPROTO_UDP, 5353, SERVER, 53));
	tf = find_flow(W(0), IPPROTO_TCP, 40000, SERVER, 80);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tf);
	CU_ASSERT_EQUAL(tf->state, EGW_TCP_RESET);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 1);
	/* An RST from the server on the reset flow is dropped, not answered. */
	{
		struct pg_pkt r = from_server(IPPROTO_TCP, 80,
			tf->nat_addr ? rte_be_to_cpu_32(tf->nat_addr) : CLIENT,
			rte_be_to_cpu_16(tf->nat_port));
		r.tcp_flags = EGW_TCP_RST;
		send_pkt(W(0), port_out, &r);
	}
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(drops(EGW_DROP_POLICY_REVOKED), 4);
	dp_teardown();
}

/* Policy "NAME": ACTION for TCP to DST/32 port 80 from anywhere, at PRIORITY. */
static void tcp80_policy(struct egw_policy_conf *p, const char *name, struct egw_cidr *dst,
	enum egw_policy_action action, int32_t priority, uint32_t order)
{
	static struct egw_port_range http = { 80, 80 };

	memset(p, 0, sizeof(*p));
	snprintf(p->name, EGW_NAME_MAX, "%s", name);
	p->sources_any = true;
	p->destinations = dst;
	p->n_destinations = 1;
	p->ports = &http;
	p->n_ports = 1;
	p->proto = EGW_PROTO_TCP;
	p->action = action;
	p->priority = priority;
	p->order = order;
}

/* Compiles POL into the next generation, chains it to the running one, publishes it. */
static const struct egw_snapshot *publish_policies(struct egw_policy_slots *sl,
	struct egw_policy_conf *pol, unsigned n)
{
	const struct egw_snapshot *cur = egw_snapshot_current(&F.dp->rcu);
	struct egw_policy_set ps = { .policies = pol, .n_policies = n };
	struct egw_snapshot_inputs in = { .conf = F.conf,
		.policies = &ps,
		.slots = sl,
		.generation = cur->generation + 1,
		.host_policies = true };
	struct egw_snapshot *s = egw_snapshot_compile(&in);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	egw_snapshot_chain(s, cur);
	publish(s);
	return s;
}

/*
 * The incremental re-check on the data path: after a reload that only adds a deny policy, a
 * flow it matches is reset and a flow it does not match goes on, without a full lookup (the
 * reload's snapshot carries the delta).
 */
static void test_pipeline_recheck_delta(void)
{
	struct egw_cidr srv = { SERVER, 32 }, far = { FAR, 32 };
	struct egw_policy_conf pol[3];
	struct egw_policy_slots sl;
	const struct egw_snapshot *s;
	struct pg_pkt a = from_client(IPPROTO_TCP, 40000, SERVER, 80);
	struct pg_pkt b = from_client(IPPROTO_TCP, 40001, FAR, 80);
	struct egw_worker_stats st;
	struct frame fr[4];

	CU_ASSERT_EQUAL_FATAL(egw_policy_slots_init(&sl, "ut_pl_delta"), 0);
	dp_setup(&(struct dp_opts){ .mode = EGW_MODE_POLICY });
	F.conf->egress.revalidate = EGW_REVALIDATE_RESET;
	tcp80_policy(&pol[0], "to-server", &srv, EGW_ACTION_ALLOW, 0, 0);
	tcp80_policy(&pol[1], "to-far", &far, EGW_ACTION_ALLOW, 0, 1);
	publish_policies(&sl, pol, 2);
	a.tcp_flags = b.tcp_flags = EGW_TCP_SYN;
	send_pkt(W(0), port_in, &a);
	send_pkt(W(0), port_in, &b);
	CU_ASSERT_EQUAL_FATAL(take(NULL, 0), 2);

	/* A deny above, for the server only: the reload's delta is that one rule. */
	tcp80_policy(&pol[2], "block-server", &srv, EGW_ACTION_DENY, 10, 2);
	s = publish_policies(&sl, pol, 3);
	CU_ASSERT_TRUE_FATAL(s->delta_ok);
	CU_ASSERT_EQUAL(s->n_delta, 1);

	a.tcp_flags = b.tcp_flags = EGW_TCP_ACK;
	send_pkt(W(0), port_in, &b);
	take_one(port_out);
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.flows_revoked, 0);
	send_pkt(W(0), port_in, &a);
	/* The RST to the client, the RST and the ACK probe toward the server. */
	CU_ASSERT_EQUAL(take(fr, 4), 3);
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.flows_revoked, 1);
	CU_ASSERT_EQUAL(st.ack_probes_sent, 1);
	dp_teardown();
	egw_policy_slots_fini(&sl);
}

/* A deny policy and an allow policy's max_flows, each refusing new flows with its reason. */
static void test_pipeline_policy_deny_and_quota(void)
{
	struct egw_cidr srv = { SERVER, 32 }, far = { FAR, 32 };
	struct egw_policy_conf pol[2];
	struct egw_policy_slots sl;
	const struct egw_snapshot *s;
	const uint32_t *active;
	struct pg_pkt p;

	CU_ASSERT_EQUAL_FATAL(egw_policy_slots_init(&sl, "ut_pl_quota"), 0);
	dp_setup(&(struct dp_opts){ .mode = EGW_MODE_POLICY });
	active = F.dp->policy_active;
	tcp80_policy(&pol[0], "web", &srv, EGW_ACTION_ALLOW, 0, 0);
	pol[0].max_flows = 2;
	tcp80_policy(&pol[1], "no-far", &far, EGW_ACTION_DENY, 0, 1);
	s = publish_policies(&sl, pol, 2);
	for (uint16_t port = 40000; port < 40003; port++) {
		p = from_client(IPPROTO_TCP, port, SERVER, 80);
		p.tcp_flags = EGW_TCP_SYN;
		send_pkt(W(0), port_in, &p);
	}
	CU_ASSERT_EQUAL(take(NULL, 0), 2);
	CU_ASSERT_EQUAL(drops(EGW_DROP_POLICY_MAX_FLOWS), 1);
	p = from_client(IPPROTO_TCP, 40003, FAR, 80);
	p.tcp_flags = EGW_TCP_SYN;
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(drops(EGW_DROP_POLICY_DENY), 1);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 2);
	CU_ASSERT_EQUAL(active[s->policies[0].slot] + active[s->policies[1].slot], 2);
	CU_ASSERT_EQUAL(egw_dataplane_policy_active(F.dp, s->policies[0].slot), 2);
	dp_teardown();
	egw_policy_slots_fini(&sl);
}

/* The ICMP error the pipeline generated about the frame ABOUT (as received). */
static void check_generated_error(const struct frame *fr, const uint8_t *about, uint8_t type,
	uint8_t code, uint16_t mtu, uint32_t from, const uint8_t dmac[6], const uint8_t smac[6])
{
	const uint8_t *ip = fr->d + 14, *icmp = ip + 20;
	unsigned ihl = (about[14] & 15) * 4u;

	CU_ASSERT_EQUAL(fr->len, 14 + 20 + 8 + ihl + 8);
	CU_ASSERT_EQUAL(memcmp(fr->d, dmac, 6), 0);
	CU_ASSERT_EQUAL(memcmp(fr->d + 6, smac, 6), 0);
	CU_ASSERT_EQUAL(pg_rd32(ip + 12), from);
	CU_ASSERT_EQUAL(pg_rd32(ip + 16), pg_rd32(about + 14 + 12));
	CU_ASSERT_EQUAL(ip[9], IPPROTO_ICMP);
	CU_ASSERT(pg_ip_csum_ok(ip));
	CU_ASSERT(pg_l4_csum_ok(ip));
	CU_ASSERT_EQUAL(icmp[0], type);
	CU_ASSERT_EQUAL(icmp[1], code);
	CU_ASSERT_EQUAL(pg_rd16(icmp + 6), mtu);
	CU_ASSERT_EQUAL(memcmp(icmp + 8, about + 14, ihl + 8), 0);
}

static void test_pipeline_ttl_exceeded(void)
{
	struct pg_pkt p = from_client(IPPROTO_TCP, 40000, SERVER, 80);
	uint8_t f[PG_FRAME_MAX];
	struct frame *fr;
	struct egw_worker_stats st;
	size_t n;

	dp_setup(&(struct dp_opts){ 0 });
	p.tcp_flags = EGW_TCP_SYN;
	p.ttl = 1;
	p.payload_len = 30;
	n = bld(f, &p);
	rx_on(W(0), port_in, f, n);
	fr = take_one(port_in);
	check_generated_error(fr, f, EGW_ICMP_TIME_EXCEEDED, 0, 0, OUR_IN, MAC_CLIENT, MAC_IN);
	CU_ASSERT_EQUAL(drops(EGW_DROP_TTL_EXCEEDED), 1);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 0);
	/* TTL 0 too. */
	n = bld(f, &p);
	f[14 + 8] = 0;
	pg_fix_ip_csum(f + 14);
	rx_on(W(0), port_in, f, n);
	fr = take_one(port_in);
	CU_ASSERT_EQUAL(fr->d[34], EGW_ICMP_TIME_EXCEEDED);
	/* TTL 2 passes with 1. */
	p.ttl = 2;
	send_pkt(W(0), port_in, &p);
	fr = take_one(port_out);
	CU_ASSERT_EQUAL(fr->d[14 + 8], 1);

	/* From the outside, on a known flow: the error goes back out to the sender's MAC. */
	{
		struct pg_pkt r =
			from_server(IPPROTO_TCP, 80, pg_rd32(fr->d + 26), pg_rd16(fr->d + 34));
		r.tcp_flags = EGW_TCP_SYN | EGW_TCP_ACK;
		r.ttl = 1;
		n = bld(f, &r);
		rx_on(W(0), port_out, f, n);
		fr = take_one(port_out);
		check_generated_error(fr, f, EGW_ICMP_TIME_EXCEEDED, 0, 0, OUR_OUT, MAC_GW,
			MAC_OUT);
	}

	/* Rate limit: 2 per second, the rest are dropped silently (and still counted). */
	F.dp->icmp_errors_per_s = 2;
	W(0)->now = T0 + 10;
	p.ttl = 1;
	for (unsigned i = 0; i < 5; i++)
		send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(take(NULL, 0), 2);
	W(0)->now = T0 + 11;
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(take(NULL, 0), 1);
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.drops[EGW_DROP_TTL_EXCEEDED], 9);
	CU_ASSERT_EQUAL(st.icmp_errors_sent, 6);
	dp_teardown();
}

static void test_pipeline_icmp_echo(void)
{
	struct pg_pkt req = from_client(IPPROTO_ICMP, 0x1234, SERVER, 0), rep;
	struct frame *fr;
	struct egw_flow *f;
	uint32_t nat_addr;
	uint16_t nat_id;

	dp_setup(&(struct dp_opts){ 0 });
	req.icmp_seq = 1;
	req.payload_len = 56;
	send_pkt(W(0), port_in, &req);
	fr = take_one(port_out);
	nat_addr = pg_rd32(fr->d + 26);
	nat_id = pg_rd16(fr->d + 34 + 4);
	CU_ASSERT(is_pool_addr(nat_addr));
	CU_ASSERT(nat_id >= 1024);
	expect_out(fr, req, nat_addr, nat_id, MAC_GW);
	f = find_flow(W(0), IPPROTO_ICMP, 0x1234, SERVER, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->state, EGW_FLOW_ICMP);

	rep = from_server(IPPROTO_ICMP, nat_id, nat_addr, 0);
	rep.icmp_seq = 1;
	rep.payload_len = 56;
	send_pkt(W(0), port_out, &rep);
	fr = take_one(port_in);
	expect_in(fr, rep, 0x1234);
	CU_ASSERT_EQUAL(f->packets[EGW_DIR_REPLY], 1);

	/* Next ping of the same session: same identifier outside. */
	req.icmp_seq = 2;
	send_pkt(W(0), port_in, &req);
	expect_out(take_one(port_out), req, nat_addr, nat_id, MAC_GW);
	/* An echo reply from the inside starts nothing. */
	rep = from_client(IPPROTO_ICMP, 99, SERVER, 0);
	rep.icmp_type = EGW_ICMP_ECHO_REPLY;
	send_pkt(W(0), port_in, &rep);
	CU_ASSERT_EQUAL(drops(EGW_DROP_ICMP_UNSUPPORTED), 1);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	dp_teardown();
}

static void test_pipeline_icmp_error_translation(void)
{
	struct pg_pkt u = from_client(IPPROTO_UDP, 5353, SERVER, 53), sent;
	uint8_t q[PG_FRAME_MAX], e[PG_FRAME_MAX], want[PG_FRAME_MAX];
	struct frame *fr;
	struct egw_flow *f;
	uint32_t nat_addr;
	uint16_t nat_port;
	size_t en, wn;

	dp_setup(&(struct dp_opts){ 0 });
	u.payload_len = 20;
	send_pkt(W(0), port_in, &u);
	fr = take_one(port_out);
	nat_addr = pg_rd32(fr->d + 26);
	nat_port = pg_rd16(fr->d + 34);
	memcpy(q, fr->d, fr->len); /* the packet as the server got it */
	f = find_flow(W(0), IPPROTO_UDP, 5353, SERVER, 53);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);

	/* Port unreachable from the server about it, 28 bytes quoted, a while later. */
	W(0)->now = T0 + 100;
	en = pg_build_icmp_error(e, sizeof(e), MAC_OUT, MAC_GW, SERVER, nat_addr,
		EGW_ICMP_DEST_UNREACH, 3, q + 14, 28);
	rx_on(W(0), port_out, e, en);
	fr = take_one(port_in);
	/* Expected: the error about the packet as the client sent it (TTL as the server saw it),
	 * to the client, outer TTL - 1. */
	sent = u;
	sent.ttl = 63;
	bld(q, &sent);
	wn = pg_build_icmp_error(want, sizeof(want), MAC_CLIENT, MAC_IN, SERVER, CLIENT,
		EGW_ICMP_DEST_UNREACH, 3, q + 14, 28);
	want[14 + 8]--;
	pg_fix_ip_csum(want + 14);
	CU_ASSERT_EQUAL(fr->len, wn);
	CU_ASSERT(pg_ip_csum_ok(fr->d + 14));
	CU_ASSERT(pg_l4_csum_ok(fr->d + 14));
	CU_ASSERT(pg_ip_csum_ok(fr->d + 42));
	CU_ASSERT_EQUAL(pg_rd32(fr->d + 42 + 12), CLIENT);
	CU_ASSERT_EQUAL(pg_rd16(fr->d + 62), 5353);
	CU_ASSERT_EQUAL(memcmp(fr->d, want, wn), 0);
	/* RFC 5508: neither refreshed nor counted as flow traffic. */
	CU_ASSERT_EQUAL(f->last_seen, T0);
	CU_ASSERT_EQUAL(f->packets[EGW_DIR_REPLY], 0);

	/* A time exceeded from a router on the way, whole packet quoted. */
	{
		uint8_t q2[PG_FRAME_MAX];
		struct pg_pkt t = u;
		size_t qn;
		t.src = nat_addr;
		t.sport = nat_port;
		t.ttl = 1;
		qn = bld(q2, &t);
		en = pg_build_icmp_error(e, sizeof(e), MAC_OUT, MAC_GW, PG_IP(203, 0, 113, 99),
			nat_addr, EGW_ICMP_TIME_EXCEEDED, 0, q2 + 14, qn - 14);
		rx_on(W(0), port_out, e, en);
		fr = take_one(port_in);
		sent = u;
		sent.ttl = 1;
		qn = bld(q, &sent);
		wn = pg_build_icmp_error(want, sizeof(want), MAC_CLIENT, MAC_IN,
			PG_IP(203, 0, 113, 99), CLIENT, EGW_ICMP_TIME_EXCEEDED, 0, q + 14, qn - 14);
		want[14 + 8]--;
		pg_fix_ip_csum(want + 14);
		CU_ASSERT_EQUAL(fr->len, wn);
		CU_ASSERT_EQUAL(memcmp(fr->d, want, wn), 0);
	}

	/* From the inside: the client rejects a reply of the server. */
	{
		struct pg_pkt r = from_server(IPPROTO_UDP, 53, nat_addr, nat_port), rin;
		uint8_t rq[PG_FRAME_MAX];
		size_t rn;
		r.payload_len = 8;
		send_pkt(W(0), port_out, &r);
		fr = take_one(port_in);
		memcpy(rq, fr->d, fr->len); /* the reply as the client got it */
		en = pg_build_icmp_error(e, sizeof(e), MAC_IN, MAC_CLIENT, CLIENT, SERVER,
			EGW_ICMP_DEST_UNREACH, 3, rq + 14, 28);
		rx_on(W(0), port_in, e, en);
		fr = take_one(port_out);
		rin = r;
		rin.ttl = 49;
		rn = bld(rq, &rin); /* the reply as the server sent it (after one hop) */
		CU_ASSERT(rn > 0);
		wn = pg_build_icmp_error(want, sizeof(want), MAC_GW, MAC_OUT, nat_addr, SERVER,
			EGW_ICMP_DEST_UNREACH, 3, rq + 14, 28);
		want[14 + 8]--;
		pg_fix_ip_csum(want + 14);
		CU_ASSERT_EQUAL(fr->len, wn);
		CU_ASSERT_EQUAL(memcmp(fr->d, want, wn), 0);
	}
	dp_teardown();
}

static void test_pipeline_punt_and_local(void)
{
	uint8_t f[PG_FRAME_MAX], bcast[6], zero[6] = { 0 };
	struct frame pf[4];
	struct pg_pkt p;
	size_t n;

	dp_setup(&(struct dp_opts){ 0 });
	memset(bcast, 0xff, 6);
	n = pg_build_arp(f, sizeof(f), 1, bcast, MAC_CLIENT, CLIENT, zero, OUR_IN);
	rx_on(W(0), port_in, f, n);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL_FATAL(take_punted(pf, 4), 1);
	CU_ASSERT_EQUAL(pf[0].port, port_in);
	CU_ASSERT_EQUAL(pf[0].len, n);
	CU_ASSERT_EQUAL(memcmp(pf[0].d, f, n), 0);

	/* A ping to our own address is answered by the worker, out of the port it came in on,
	 * to its sender; anything else to us is dropped. */
	p = from_client(IPPROTO_ICMP, 1, OUR_IN, 0);
	send_pkt(W(0), port_in, &p);
	p = from_server(IPPROTO_ICMP, 1, OUR_OUT, 0);
	p.icmp_type = EGW_ICMP_ECHO_REQUEST;
	send_pkt(W(0), port_out, &p);
	CU_ASSERT_EQUAL(take_punted(NULL, 0), 0);
	CU_ASSERT_EQUAL_FATAL(take(pf, 4), 2);
	CU_ASSERT_EQUAL(W(0)->stats.echo_replies, 2);
	for (unsigned i = 0; i < 2; i++) {
		const uint8_t *ip = pf[i].d + 14;
		bool in = pf[i].port == port_in;
		CU_ASSERT_EQUAL(memcmp(pf[i].d, in ? MAC_CLIENT : MAC_GW, 6), 0);
		CU_ASSERT_EQUAL(memcmp(pf[i].d + 6, in ? MAC_IN : MAC_OUT, 6), 0);
		CU_ASSERT_EQUAL(pg_rd32(ip + 12), in ? OUR_IN : OUR_OUT);
		CU_ASSERT_EQUAL(pg_rd32(ip + 16), in ? CLIENT : SERVER);
		CU_ASSERT_EQUAL(ip[20], EGW_ICMP_ECHO_REPLY);
		CU_ASSERT(pg_ip_csum_ok(ip));
		CU_ASSERT(pg_l4_csum_ok(ip));
	}
	CU_ASSERT(pf[0].port != pf[1].port);
	p = from_client(IPPROTO_TCP, 40000, OUR_IN, 22);
	p.tcp_flags = EGW_TCP_SYN;
	send_pkt(W(0), port_in, &p);
	p = from_server(IPPROTO_UDP, 53, OUR_OUT, 53);
	send_pkt(W(0), port_out, &p);
	CU_ASSERT_EQUAL(drops(EGW_DROP_LOCAL_UNSUPPORTED), 2);

	/* Pings (and anything else) across: each side sees only its own port's address. */
	p = from_server(IPPROTO_ICMP, 1, OUR_IN, 0);
	p.icmp_type = EGW_ICMP_ECHO_REQUEST;
	send_pkt(W(0), port_out, &p);
	p = from_client(IPPROTO_ICMP, 1, OUR_OUT, 0);
	p.icmp_type = EGW_ICMP_ECHO_REQUEST;
	send_pkt(W(0), port_in, &p);
	p = from_server(IPPROTO_UDP, 53, OUR_IN, 53);
	send_pkt(W(0), port_out, &p);
	CU_ASSERT_EQUAL(take(pf, 4), 0);
	CU_ASSERT_EQUAL(W(0)->stats.echo_replies, 2);
	CU_ASSERT_EQUAL(drops(EGW_DROP_LOCAL_OTHER_SIDE), 3);
	CU_ASSERT_EQUAL(drops(EGW_DROP_LOCAL_UNSUPPORTED), 2);

	/* Not our MAC. */
	p = from_client(IPPROTO_UDP, 1, SERVER, 2);
	memset(p.dmac, 0xff, 6);
	send_pkt(W(0), port_in, &p);
	p.dmac[0] = 0x02;
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(drops(EGW_DROP_L2_NOT_FOR_US), 2);

	/* Malformed: counted under the parser's reason. */
	p = from_client(IPPROTO_UDP, 1, SERVER, 2);
	n = bld(f, &p);
	f[14 + 10] ^= 0x40;
	rx_on(W(0), port_in, f, n);
	rx_on(W(0), port_in, f, 10);
	CU_ASSERT_EQUAL(drops(EGW_DROP_IP_BAD_CHECKSUM), 1);
	CU_ASSERT_EQUAL(drops(EGW_DROP_ETH_TRUNCATED), 1);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	dp_teardown();
}

/* Receives FRAME on worker 0 from the inside port with the RX checksum flags OL_FLAGS set as
 * a NIC would; returns how many frames left and how many drops (all reasons) it made. */
static void rx_flagged(const uint8_t *frame, size_t len, uint64_t ol_flags, unsigned *sent,
	uint64_t *dropped)
{
	struct egw_worker_stats before, after;
	struct rte_mbuf *m = mk_mbuf(frame, len, port_in);

	egw_dataplane_stats(F.dp, &before);
	m->ol_flags |= ol_flags;
	F.fed++;
	egw_pipeline_rx(W(0), &m, 1, false);
	*sent = take(NULL, 0);
	egw_dataplane_stats(F.dp, &after);
	*dropped = total_drops(&after) - total_drops(&before);
}

/*
 * The NIC's verdict on the IPv4 header checksum (issue 16): GOOD skips the software check, BAD
 * drops as ip_bad_checksum without one (trusted even where the header is right), UNKNOWN and
 * NONE are checked in software. A header whose checksum is wrong tells which check ran.
 */
static void test_pipeline_rx_ip_cksum_flags(void)
{
	static const struct {
		bool wrong_hdr; /* the header checksum made wrong */
		uint64_t flags;
		bool passes;
	} cases[] = {
		{ true, RTE_MBUF_F_RX_IP_CKSUM_GOOD, true },
		{ true, RTE_MBUF_F_RX_IP_CKSUM_BAD, false },
		{ true, RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN, false },
		{ true, RTE_MBUF_F_RX_IP_CKSUM_NONE, false },
		/* A right header the NIC calls bad: the NIC is trusted. */
		{ false, RTE_MBUF_F_RX_IP_CKSUM_BAD, false },
		/* And the same packet without a verdict goes through. */
		{ false, RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN, true },
	};
	uint8_t f[PG_FRAME_MAX];
	struct pg_pkt p = from_client(IPPROTO_UDP, 4000, SERVER, 53);
	size_t n = bld(f, &p);
	uint64_t dropped, bad_checksum = 0;
	unsigned sent;

	dp_setup(&(struct dp_opts){ 0 });
	for (unsigned i = 0; i < RTE_DIM(cases); i++) {
		uint8_t frame[PG_FRAME_MAX];

		memcpy(frame, f, n);
		if (cases[i].wrong_hdr)
			frame[14 + 10] ^= 0x40; /* the header checksum */
		rx_flagged(frame, n, cases[i].flags, &sent, &dropped);
		bad_checksum += !cases[i].passes;
		CU_ASSERT_EQUAL(sent, cases[i].passes ? 1 : 0);
		CU_ASSERT_EQUAL(dropped, cases[i].passes ? 0 : 1);
		CU_ASSERT_EQUAL(drops(EGW_DROP_IP_BAD_CHECKSUM), bad_checksum);
	}
	dp_teardown();
}

/*
 * Spoofed sources and directed broadcasts (issue 9 items 6 and 7): a packet from one of our
 * own addresses used to be translated and its reply made the appliance ARP for itself; one to
 * a subnet's broadcast was translated and sent back out. Each is now one drop, nothing leaves,
 * no flow is made and nothing waits for ARP.
 */
static void test_pipeline_own_source_and_broadcast(void)
{
	static const struct {
		bool outside;
		uint32_t src, dst;
		enum egw_drop_reason why;
	} cases[] = {
		{ false, OUR_IN, SERVER, EGW_DROP_IP_OWN_SOURCE },
		{ false, OUR_OUT, SERVER, EGW_DROP_IP_OWN_SOURCE },
		{ false, POOL_FIRST + 1, SERVER, EGW_DROP_IP_OWN_SOURCE },
		{ true, OUR_OUT, POOL_FIRST, EGW_DROP_IP_OWN_SOURCE },
		{ true, OUR_IN, POOL_FIRST, EGW_DROP_IP_OWN_SOURCE },
		{ false, CLIENT, PG_IP(198, 18, 0, 255), EGW_DROP_IP_SUBNET_BROADCAST },
		{ false, CLIENT, PG_IP(198, 18, 0, 0), EGW_DROP_IP_SUBNET_BROADCAST },
		{ false, CLIENT, PG_IP(203, 0, 113, 255), EGW_DROP_IP_SUBNET_BROADCAST },
		{ false, PG_IP(198, 18, 0, 255), SERVER, EGW_DROP_IP_SUBNET_BROADCAST },
		{ true, SERVER, PG_IP(203, 0, 113, 255), EGW_DROP_IP_SUBNET_BROADCAST },
		{ true, SERVER, PG_IP(198, 18, 0, 255), EGW_DROP_IP_SUBNET_BROADCAST },
		/* Outside, a pool address is where replies go, not a spoofed source. */
		{ true, POOL_FIRST, POOL_FIRST + 1, EGW_DROP_UNSOLICITED },
		/* A ping to us from ourselves would be answered to ourselves. */
		{ false, OUR_OUT, OUR_IN, EGW_DROP_IP_OWN_SOURCE },
		{ true, PG_IP(203, 0, 113, 0), OUR_OUT, EGW_DROP_IP_SUBNET_BROADCAST },
	};
	uint64_t want[EGW_DROP_MAX] = { 0 };

	dp_setup(&(struct dp_opts){ 0 });
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pg_pkt p = cases[i].outside ? from_server(IPPROTO_ICMP, 53, 0, 4000) :
						     from_client(IPPROTO_ICMP, 4000, 0, 53);
		p.icmp_type = EGW_ICMP_ECHO_REQUEST;
		p.src = cases[i].src;
		p.dst = cases[i].dst;
		send_pkt(W(0), cases[i].outside ? port_out : port_in, &p);
		want[cases[i].why]++;
		CU_ASSERT_EQUAL(drops(cases[i].why), want[cases[i].why]);
	}
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(take_held(NULL, 0, NULL), 0);
	CU_ASSERT_EQUAL(take_punted(NULL, 0), 0);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 0);
	/* TTL 1 from a spoofed source: no time exceeded sent to ourselves either. */
	{
		struct pg_pkt p = from_client(IPPROTO_UDP, 4000, SERVER, 53);
		p.src = OUR_IN;
		p.ttl = 1;
		send_pkt(W(0), port_in, &p);
		CU_ASSERT_EQUAL(drops(EGW_DROP_IP_OWN_SOURCE), want[EGW_DROP_IP_OWN_SOURCE] + 1);
		CU_ASSERT_EQUAL(drops(EGW_DROP_TTL_EXCEEDED), 0);
		CU_ASSERT_EQUAL(take(NULL, 0), 0);
	}
	/*
	 * An ICMP error about a known flow passes, whoever reports it: the appliance itself sends
	 * host unreachable from its port address about packets no neighbour took, through the
	 * data path (lib/net/neigh_resolve.c).
	 */
	{
		struct pg_pkt u = from_client(IPPROTO_UDP, 5353, SERVER, 53);
		uint8_t q[PG_FRAME_MAX], e[PG_FRAME_MAX];
		struct frame *fr;
		size_t en;
		send_pkt(W(0), port_in, &u);
		fr = take_one(port_out);
		memcpy(q, fr->d, fr->len);
		en = pg_build_icmp_error(e, sizeof(e), MAC_OUT, MAC_GW, OUR_OUT,
			pg_rd32(fr->d + 26), EGW_ICMP_DEST_UNREACH, 3, q + 14, 28);
		rx_on(W(0), port_out, e, en);
		CU_ASSERT_EQUAL(drops(EGW_DROP_IP_OWN_SOURCE), want[EGW_DROP_IP_OWN_SOURCE] + 1);
		fr = take_one(port_in);
		CU_ASSERT_EQUAL(pg_rd32(fr->d + 26), OUR_OUT);
		CU_ASSERT_EQUAL(pg_rd32(fr->d + 30), CLIENT);
	}
	dp_teardown();
}

/* Broadcasts registered with a port's address: none for /31 and /32, and a bounded table. */
static void test_pipeline_port_addrs(void)
{
	struct egw_dataplane *dp = calloc(1, sizeof(*dp));

	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	CU_ASSERT_EQUAL(egw_dataplane_add_port_addr(dp, PG_IP(10, 0, 0, 1), 31), 0);
	CU_ASSERT_EQUAL(egw_dataplane_add_port_addr(dp, PG_IP(10, 0, 1, 1), 32), 0);
	CU_ASSERT_EQUAL(dp->n_subnet_bcasts, 0);
	CU_ASSERT_EQUAL(egw_dataplane_add_port_addr(dp, PG_IP(10, 0, 2, 9), 30), 0);
	CU_ASSERT_EQUAL(dp->n_subnet_bcasts, 2);
	CU_ASSERT_EQUAL(dp->subnet_bcasts[0], htonl(PG_IP(10, 0, 2, 8)));
	CU_ASSERT_EQUAL(dp->subnet_bcasts[1], htonl(PG_IP(10, 0, 2, 11)));
	CU_ASSERT_EQUAL(dp->local_addrs[2], htonl(PG_IP(10, 0, 2, 9)));
	for (unsigned i = 3; i < EGW_MAX_PORTS; i++)
		CU_ASSERT_EQUAL(egw_dataplane_add_port_addr(dp, PG_IP(10, 1, i, 1), 24), 0);
	CU_ASSERT_EQUAL(egw_dataplane_add_port_addr(dp, PG_IP(10, 2, 0, 1), 24), -ENOSPC);
	CU_ASSERT_EQUAL(dp->n_local_addrs, EGW_MAX_PORTS);
	free(dp);
}

/* Republishes the running configuration with [egress] ip_options = V. */
static void set_ip_options(enum egw_ip_options v)
{
	F.conf->egress.ip_options = v;
	set_mode(egw_snapshot_current(&F.dp->rcu)->mode);
}

/*
 * [egress] ip_options (issue 9 item 8): source routes used to be forwarded. Each setting, from
 * both sides; a forwarded packet keeps its options and is translated right; a malformed
 * option list is dropped whatever the setting.
 */
static void test_pipeline_ip_options(void)
{
	static const uint8_t lsrr[] = { 131, 7, 4, 203, 0, 113, 9, 0 };
	static const uint8_t rr[] = { 1, 7, 7, 4, 0, 0, 0, 0 };
	static const uint8_t nops[] = { 1, 1, 1, 0 };
	static const uint8_t bad[] = { 7, 9, 4, 0 };
	struct pg_pkt p = from_client(IPPROTO_UDP, 4000, SERVER, 53), r;
	struct frame *fr;
	uint32_t nat_addr;
	uint16_t nat_port;

	dp_setup(&(struct dp_opts){ 0 });
	/* The default: source routes dropped, record route forwarded as it is. */
	CU_ASSERT_EQUAL(egw_snapshot_current(&F.dp->rcu)->ip_options,
		EGW_IP_OPTIONS_DROP_SOURCE_ROUTE);
	p.ihl = 7;
	p.ip_opts = lsrr;
	p.ip_opts_len = sizeof(lsrr);
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(drops(EGW_DROP_IP_SOURCE_ROUTE), 1);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 0);
	p.ip_opts = rr;
	send_pkt(W(0), port_in, &p);
	fr = take_one(port_out);
	nat_addr = pg_rd32(fr->d + 26);
	nat_port = pg_rd16(fr->d + 14 + 28);
	CU_ASSERT(is_pool_addr(nat_addr));
	expect_out(fr, p, nat_addr, nat_port, MAC_GW);
	/* The reply, with options of its own. */
	r = from_server(IPPROTO_UDP, 53, nat_addr, nat_port);
	r.ihl = 7;
	r.ip_opts = rr;
	r.ip_opts_len = sizeof(rr);
	send_pkt(W(0), port_out, &r);
	expect_in(take_one(port_in), r, 4000);
	r.ip_opts = lsrr;
	send_pkt(W(0), port_out, &r);
	CU_ASSERT_EQUAL(drops(EGW_DROP_IP_SOURCE_ROUTE), 2);

	/* drop-all: any option but padding. */
	set_ip_options(EGW_IP_OPTIONS_DROP_ALL);
	p.ip_opts = rr;
	send_pkt(W(0), port_in, &p);
	r.ip_opts = rr;
	send_pkt(W(0), port_out, &r);
	CU_ASSERT_EQUAL(drops(EGW_DROP_IP_OPTIONS_DENIED), 2);
	p.ip_opts = lsrr;
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(drops(EGW_DROP_IP_SOURCE_ROUTE), 3);
	p.ihl = 6;
	p.ip_opts = nops;
	p.ip_opts_len = sizeof(nops);
	send_pkt(W(0), port_in, &p);
	expect_out(take_one(port_out), p, nat_addr, nat_port, MAC_GW);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);

	/* pass: source routes too (the appliance does not act on them). */
	set_ip_options(EGW_IP_OPTIONS_PASS);
	p.ihl = 7;
	p.ip_opts = lsrr;
	p.ip_opts_len = sizeof(lsrr);
	send_pkt(W(0), port_in, &p);
	expect_out(take_one(port_out), p, nat_addr, nat_port, MAC_GW);
	/* A malformed list never passes. */
	p.ihl = 6;
	p.ip_opts = bad;
	p.ip_opts_len = sizeof(bad);
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(drops(EGW_DROP_IP_BAD_OPTIONS), 1);
	CU_ASSERT_EQUAL(drops(EGW_DROP_IP_SOURCE_ROUTE), 3);
	CU_ASSERT_EQUAL(drops(EGW_DROP_IP_OPTIONS_DENIED), 2);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	dp_teardown();
}

/* At stop, whatever waits between threads is freed and counted as "shutdown", once. */
static void test_pipeline_shutdown_drain(void)
{
	struct egw_dataplane *dp;
	struct egw_worker_stats st;
	struct rte_mbuf *m[7];

	dp_setup(&(struct dp_opts){ .n_workers = 2 });
	dp = F.dp;
	for (unsigned i = 0; i < 7; i++) {
		m[i] = rte_pktmbuf_alloc(pmp);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m[i]);
	}
	CU_ASSERT_EQUAL(rte_ring_enqueue_bulk(dp->punt_ring, (void **)m, 2, NULL), 2);
	CU_ASSERT_EQUAL(rte_ring_enqueue(dp->resolve_ring, m[2]), 0);
	CU_ASSERT_EQUAL(rte_ring_enqueue(W(1)->ctl_tx, m[3]), 0);
	CU_ASSERT_EQUAL(rte_ring_enqueue_bulk(dp->handoff[0][1], (void **)m + 4, 3, NULL), 3);
	CU_ASSERT_EQUAL(egw_dataplane_drain(dp), 7);
	CU_ASSERT_EQUAL(egw_dataplane_drain(dp), 0);
	egw_dataplane_stats(dp, &st);
	CU_ASSERT_EQUAL(st.drops[EGW_DROP_SHUTDOWN], 7);
	CU_ASSERT_EQUAL(total_drops(&st), 7);
	/* Not a packet the pipeline received: no conservation check, but nothing leaked. */
	dp_release();
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pmp), 0);
}

/* A full punt ring: ARP is dropped and counted, not leaked. */
static void test_pipeline_control_queue_full(void)
{
	uint8_t f[64], bcast[6], zero[6] = { 0 };
	size_t n;

	dp_setup(&(struct dp_opts){ .punt_ring = 4 });
	memset(bcast, 0xff, 6);
	n = pg_build_arp(f, sizeof(f), 1, bcast, MAC_CLIENT, CLIENT, zero, OUR_IN);
	for (unsigned i = 0; i < 5; i++)
		rx_on(W(0), port_in, f, n);
	CU_ASSERT_EQUAL(drops(EGW_DROP_CONTROL_QUEUE_FULL), 2);
	CU_ASSERT_EQUAL(W(0)->stats.punted, 3);
	dp_teardown();
}

static void test_pipeline_flow_table_full(void)
{
	struct pg_pkt p;
	struct frame *fr;
	uint32_t nat_addr;
	uint16_t nat_port;

	dp_setup(&(struct dp_opts){ .max_flows = 4 });
	for (unsigned i = 0; i < 4; i++) {
		p = from_client(IPPROTO_TCP, (uint16_t)(40000 + i), SERVER, 80);
		p.tcp_flags = EGW_TCP_SYN;
		send_pkt(W(0), port_in, &p);
	}
	CU_ASSERT_EQUAL(take(NULL, 0), 4);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 4);
	p = from_client(IPPROTO_TCP, 40004, SERVER, 80);
	p.tcp_flags = EGW_TCP_SYN;
	send_pkt(W(0), port_in, &p);
	p = from_client(IPPROTO_UDP, 1, SERVER, 53);
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(drops(EGW_DROP_FLOW_TABLE_FULL), 2);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	/* Existing flows are untouched. */
	p = from_client(IPPROTO_TCP, 40002, SERVER, 80);
	p.tcp_flags = EGW_TCP_ACK;
	send_pkt(W(0), port_in, &p);
	fr = take_one(port_out);
	nat_addr = pg_rd32(fr->d + 26);
	nat_port = pg_rd16(fr->d + 34);
	p = from_server(IPPROTO_TCP, 80, nat_addr, nat_port);
	p.tcp_flags = EGW_TCP_ACK;
	send_pkt(W(0), port_out, &p);
	expect_in(take_one(port_in), p, 40002);
	dp_teardown();
}

static void test_pipeline_expiry(void)
{
	struct pg_pkt p = from_client(IPPROTO_UDP, 5353, SERVER, 53), t;
	struct frame *fr;
	uint32_t nat_addr;
	uint16_t nat_port;
	struct egw_worker_stats st;

	dp_setup(&(struct dp_opts){ .max_flows = 64 });
	send_pkt(W(0), port_in, &p);
	fr = take_one(port_out);
	nat_addr = pg_rd32(fr->d + 26);
	nat_port = pg_rd16(fr->d + 34);
	t = from_client(IPPROTO_TCP, 40000, SERVER, 80);
	t.tcp_flags = EGW_TCP_ACK; /* picked up: established */
	send_pkt(W(0), port_in, &t);
	take_one(port_out);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 2);

	/* Not yet idle long enough. */
	W(0)->now = T0 + 300;
	CU_ASSERT_EQUAL(egw_pipeline_expire(W(0)), 0);
	/* A reply refreshes it. */
	p = from_server(IPPROTO_UDP, 53, nat_addr, nat_port);
	send_pkt(W(0), port_out, &p);
	expect_in(take_one(port_in), p, 5353);
	W(0)->now = T0 + 600;
	CU_ASSERT_EQUAL(egw_pipeline_expire(W(0)), 0);
	W(0)->now = T0 + 601;
	CU_ASSERT_EQUAL(egw_pipeline_expire(W(0)), 1);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 1);
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.flows_expired, 1);
	/* The mapping is gone: the server's packet is now unsolicited. */
	send_pkt(W(0), port_out, &p);
	CU_ASSERT_EQUAL(drops(EGW_DROP_UNSOLICITED), 1);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	/* The established TCP flow lasts its own timeout. */
	W(0)->now = T0 + 7440;
	CU_ASSERT_EQUAL(egw_pipeline_expire(W(0)), 0);
	W(0)->now = T0 + 7441;
	CU_ASSERT_EQUAL(egw_pipeline_expire(W(0)), 1);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 0);
	dp_teardown();
}

static void test_pipeline_two_workers(void)
{
	enum { N = 64 };
	struct frame *fr = calloc(2 * N, sizeof(*fr));
	uint16_t nat_port[N], ho;
	uint32_t nat_addr[N];
	unsigned n, got[N] = { 0 };
	struct egw_worker_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fr);
	dp_setup(&(struct dp_opts){ .n_workers = 2 });
	/* Every SYN arrives on worker 0 (as a single RX queue would deliver them). */
	for (unsigned i = 0; i < N; i++) {
		struct pg_pkt p = from_client(IPPROTO_TCP, (uint16_t)(30000 + i), SERVER, 80);
		p.tcp_flags = EGW_TCP_SYN;
		send_pkt(W(0), port_in, &p);
	}
	ho = (uint16_t)rte_ring_count(F.dp->handoff[0][1]);
	CU_ASSERT(ho > N / 4 && ho < 3 * N / 4);
	CU_ASSERT_EQUAL(W(0)->stats.handoffs_out, ho);
	n = take(fr, 2 * N);
	CU_ASSERT_EQUAL(n, N - ho);
	CU_ASSERT_EQUAL(run_handoffs(), ho);
	CU_ASSERT_EQUAL(W(1)->stats.handoffs_in, ho);
	CU_ASSERT_EQUAL(W(1)->stats.rx_packets, 0);
	n += take(fr + n, 2 * N - n);
	CU_ASSERT_EQUAL_FATAL(n, N);
	/* Each flow lives on its owner, with a port of the owner's slice (TX queue = worker). */
	for (unsigned k = 0; k < n; k++) {
		uint16_t sp = pg_rd16(fr[k].d + 34);
		unsigned owner = fr[k].queue, idx = N;
		CU_ASSERT_EQUAL(fr[k].port, port_out);
		CU_ASSERT_EQUAL(sp % 2, owner);
		CU_ASSERT(pg_l4_csum_ok(fr[k].d + 14));
		for (unsigned i = 0; i < N && idx == N; i++) {
			struct egw_flow *f =
				find_flow(W(owner), IPPROTO_TCP, (uint16_t)(30000 + i), SERVER, 80);
			if (f && f->nat_port == htons(sp))
				idx = i;
		}
		CU_ASSERT_FATAL(idx < N);
		CU_ASSERT_PTR_NULL(
			find_flow(W(1 - owner), IPPROTO_TCP, (uint16_t)(30000 + idx), SERVER, 80));
		nat_port[idx] = sp;
		nat_addr[idx] = pg_rd32(fr[k].d + 26);
	}
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft) + egw_flow_table_active(W(1)->ft), N);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(1)->ft), ho);

	/* Every SYN-ACK arrives on worker 1: those of worker 0's flows are handed back. */
	for (unsigned i = 0; i < N; i++) {
		struct pg_pkt p = from_server(IPPROTO_TCP, 80, nat_addr[i], nat_port[i]);
		p.tcp_flags = EGW_TCP_SYN | EGW_TCP_ACK;
		send_pkt(W(1), port_out, &p);
	}
	CU_ASSERT_EQUAL(rte_ring_count(F.dp->handoff[1][0]), N - ho);
	run_handoffs();
	n = take(fr, 2 * N);
	CU_ASSERT_EQUAL_FATAL(n, N);
	for (unsigned k = 0; k < n; k++) {
		uint16_t dport = pg_rd16(fr[k].d + 36);
		unsigned i = dport - 30000u;
		CU_ASSERT_EQUAL(fr[k].port, port_in);
		CU_ASSERT_FATAL(i < N);
		got[i]++;
		CU_ASSERT_EQUAL(fr[k].queue, nat_port[i] % 2);
		{
			struct pg_pkt p = from_server(IPPROTO_TCP, 80, nat_addr[i], nat_port[i]);
			p.tcp_flags = EGW_TCP_SYN | EGW_TCP_ACK;
			expect_in(&fr[k], p, (uint16_t)(30000 + i));
		}
	}
	for (unsigned i = 0; i < N; i++)
		CU_ASSERT_EQUAL(got[i], 1);

	/* The same packet straight to its owner or through the other worker: same bytes out. */
	for (unsigned i = 0; i < 8; i++) {
		struct pg_pkt p = from_client(IPPROTO_TCP, (uint16_t)(30000 + i), SERVER, 80);
		unsigned owner = nat_port[i] % 2;
		struct frame a, b;
		p.tcp_flags = EGW_TCP_ACK;
		p.payload_len = 10;
		send_pkt(W(owner), port_in, &p);
		CU_ASSERT_EQUAL(run_handoffs(), 0);
		CU_ASSERT_EQUAL_FATAL(take(&a, 1), 1);
		send_pkt(W(1 - owner), port_in, &p);
		CU_ASSERT_EQUAL(take(NULL, 0), 0);
		CU_ASSERT_EQUAL(run_handoffs(), 1);
		CU_ASSERT_EQUAL_FATAL(take(&b, 1), 1);
		CU_ASSERT_EQUAL(a.len, b.len);
		CU_ASSERT_EQUAL(memcmp(a.d, b.d, a.len), 0);
		expect_out(&a, p, nat_addr[i], nat_port[i], MAC_GW);
	}
	/* ICMP errors find the flow's owner too: from outside by the quoted egress port, from
	 * inside by the quoted inside endpoint. Each one arrives on the wrong worker. */
	for (unsigned i = 0; i < 8; i++) {
		unsigned owner = nat_port[i] % 2;
		struct pg_pkt q = from_client(IPPROTO_TCP, (uint16_t)(30000 + i), SERVER, 80);
		uint8_t qf[PG_FRAME_MAX], e[PG_FRAME_MAX];
		struct frame out;
		size_t en;

		q.tcp_flags = EGW_TCP_SYN;
		q.src = nat_addr[i];
		q.sport = nat_port[i];
		bld(qf, &q);
		en = pg_build_icmp_error(e, sizeof(e), MAC_OUT, MAC_GW, SERVER, nat_addr[i],
			EGW_ICMP_DEST_UNREACH, 3, qf + 14, 28);
		rx_on(W(1 - owner), port_out, e, en);
		CU_ASSERT_EQUAL(take(NULL, 0), 0);
		CU_ASSERT_EQUAL(run_handoffs(), 1);
		CU_ASSERT_EQUAL_FATAL(take(&out, 1), 1);
		CU_ASSERT_EQUAL(out.port, port_in);
		CU_ASSERT_EQUAL(out.queue, owner);
		CU_ASSERT_EQUAL(pg_rd32(out.d + 42 + 12), CLIENT);
		CU_ASSERT_EQUAL(pg_rd16(out.d + 62), 30000 + i);
		CU_ASSERT(pg_l4_csum_ok(out.d + 14));

		q = from_server(IPPROTO_TCP, 80, CLIENT, (uint16_t)(30000 + i));
		q.tcp_flags = EGW_TCP_SYN | EGW_TCP_ACK;
		bld(qf, &q);
		en = pg_build_icmp_error(e, sizeof(e), MAC_IN, MAC_CLIENT, CLIENT, SERVER,
			EGW_ICMP_DEST_UNREACH, 3, qf + 14, 28);
		rx_on(W(1 - owner), port_in, e, en);
		CU_ASSERT_EQUAL(run_handoffs(), 1);
		CU_ASSERT_EQUAL_FATAL(take(&out, 1), 1);
		CU_ASSERT_EQUAL(out.port, port_out);
		CU_ASSERT_EQUAL(out.queue, owner);
		CU_ASSERT_EQUAL(pg_rd32(out.d + 26), nat_addr[i]);
		CU_ASSERT_EQUAL(pg_rd16(out.d + 62 + 2), nat_port[i]);
		CU_ASSERT(pg_l4_csum_ok(out.d + 14));
	}
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.flows_created, N);
	CU_ASSERT_EQUAL(total_drops(&st), 0);
	dp_teardown();
	free(fr);
}

/* No default pool: passthrough routes flows untranslated, replies included. */
static void test_pipeline_untranslated(void)
{
	struct pg_pkt p = from_client(IPPROTO_TCP, 40000, SERVER, 80);
	struct egw_flow *f;
	struct frame *fr;

	dp_setup(&(struct dp_opts){ .no_pool = true, .n_workers = 2 });
	CU_ASSERT_PTR_NULL(egw_snapshot_current(&F.dp->rcu)->default_pool);
	p.tcp_flags = EGW_TCP_SYN;
	send_pkt(W(0), port_in, &p);
	run_handoffs();
	fr = take_one(port_out);
	expect_out(fr, p, CLIENT, 40000, MAC_GW);
	f = find_flow(W(fr->queue), IPPROTO_TCP, 40000, SERVER, 80);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->flags & EGW_FLOW_F_NAT, 0);
	CU_ASSERT_EQUAL(f->nat_addr, htonl(CLIENT));
	CU_ASSERT_EQUAL(f->nat_port, htons(40000));
	/* The reply, on either worker, reaches the flow's owner and goes through as is. */
	for (unsigned w = 0; w < 2; w++) {
		struct pg_pkt r = from_server(IPPROTO_TCP, 80, CLIENT, 40000);
		r.tcp_flags = EGW_TCP_SYN | EGW_TCP_ACK;
		send_pkt(W(w), port_out, &r);
		run_handoffs();
		expect_in(take_one(port_in), r, 40000);
	}
	CU_ASSERT_EQUAL(f->state, EGW_TCP_SYN_RECV);
	dp_teardown();
}

/* A full handoff ring drops (and counts) what does not fit. */
static void test_pipeline_handoff_full(void)
{
	struct rte_mbuf *pkts[EGW_BURST];
	unsigned n = 0;

	dp_setup(&(struct dp_opts){ .n_workers = 2, .handoff_ring = 4 });
	for (unsigned i = 0; i < EGW_BURST; i++) {
		struct pg_pkt p = from_client(IPPROTO_UDP, (uint16_t)(20000 + i), SERVER, 53);
		uint8_t f[PG_FRAME_MAX];
		size_t len = bld(f, &p);
		pkts[n++] = mk_mbuf(f, len, port_in);
	}
	F.fed += n;
	egw_pipeline_rx(W(0), pkts, (uint16_t)n, false);
	CU_ASSERT_EQUAL(rte_ring_count(F.dp->handoff[0][1]), 3);
	CU_ASSERT_EQUAL(W(0)->stats.handoffs_out, 3);
	CU_ASSERT(drops(EGW_DROP_HANDOFF_FULL) > 0);
	CU_ASSERT_EQUAL(take(NULL, 0) + 3 + drops(EGW_DROP_HANDOFF_FULL), EGW_BURST);
	dp_teardown();
}

/* Two workers, the NIC's RSS (default key, 512-entry round-robin RETA) as the owner of the
 * endpoints of port_in; returns the same owner function to compare with (free it). */
static struct egw_rss_owner *rss_dp_setup(bool hash_is_input)
{
	struct egw_rss_owner *ref = calloc(1, sizeof(*ref));
	uint16_t reta[512];

	CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
	dp_setup(&(struct dp_opts){ .n_workers = 2 });
	egw_rss_reta_spread(reta, RTE_DIM(reta), 2);
	CU_ASSERT_EQUAL_FATAL(egw_dataplane_set_rss(F.dp, port_in, egw_rss_default_key,
				      EGW_RSS_DEFAULT_KEY_LEN, reta, RTE_DIM(reta), hash_is_input),
		0);
	CU_ASSERT_EQUAL_FATAL(egw_rss_owner_init(ref, egw_rss_default_key, EGW_RSS_DEFAULT_KEY_LEN,
				      reta, RTE_DIM(reta), 2),
		0);
	CU_ASSERT_TRUE(egw_dataplane_nic_owner(F.dp, port_in));
	return ref;
}

/*
 * With the NIC's RSS as the owner (owner.c): an inside packet is processed by the worker its
 * NIC hash picks, which is the worker whose queue received it (no handoff), and a reply to
 * the NAT port that worker took is that worker's too. Without the NIC's hash (no flag), the
 * owner is the same Toeplitz hash computed in software.
 */
static void test_pipeline_rss_owner(void)
{
	enum { N = 16 };
	struct frame fr[N];
	struct egw_rss_owner *ref = rss_dp_setup(true);

	CU_ASSERT_FALSE(egw_dataplane_nic_owner(F.dp, port_out));
	/* N endpoints the NIC put on queue 1, each with the hash the NIC gives it. */
	for (unsigned i = 0, sport = 30000; i < N; sport++) {
		const uint32_t h = egw_rss_hash(ref, htonl(CLIENT), htons((uint16_t)sport), true);
		struct pg_pkt p = from_client(IPPROTO_TCP, (uint16_t)sport, SERVER, 80);
		uint8_t f[PG_FRAME_MAX];
		struct rte_mbuf *m;

		CU_ASSERT_FATAL(sport < 31000);
		if (egw_rss_owner_of(ref, h) != 1)
			continue;
		p.tcp_flags = EGW_TCP_SYN;
		m = mk_mbuf(f, bld(f, &p), port_in);
		m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
		m->hash.rss = h;
		F.fed++;
		egw_pipeline_rx(W(1), &m, 1, false);
		i++;
	}
	CU_ASSERT_EQUAL(W(1)->stats.handoffs_out, 0);
	CU_ASSERT_EQUAL(W(1)->stats.rss_hash_mismatch, 0);
	CU_ASSERT_EQUAL(rte_ring_count(F.dp->handoff[1][0]), 0);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(1)->ft), N);
	CU_ASSERT_EQUAL_FATAL(take(fr, N), N);
	for (unsigned k = 0; k < N; k++) {
		uint16_t nat_port = pg_rd16(fr[k].d + 34);
		struct pg_pkt p = from_server(IPPROTO_TCP, 80, pg_rd32(fr[k].d + 26), nat_port);

		CU_ASSERT_EQUAL(fr[k].queue, 1);
		CU_ASSERT_EQUAL(nat_port % 2, 1);
		/* The reply, as the outside port's rules steer it to queue 1. */
		p.tcp_flags = EGW_TCP_SYN | EGW_TCP_ACK;
		send_pkt(W(1), port_out, &p);
	}
	CU_ASSERT_EQUAL(take(NULL, 0), N);
	CU_ASSERT_EQUAL(W(1)->stats.handoffs_out, 0);
	CU_ASSERT_EQUAL(W(0)->stats.handoffs_in + W(1)->stats.handoffs_in, 0);
	CU_ASSERT_EQUAL(W(0)->stats.rx_packets, 0);

	/* No NIC hash (the flag unset): the software Toeplitz names the same owner. */
	for (unsigned i = 0; i < N; i++) {
		uint16_t sport = (uint16_t)(40000 + i);
		struct pg_pkt p = from_client(IPPROTO_UDP, sport, SERVER, 53);
		unsigned owner =
			egw_rss_endpoint_owner(ref, NULL, htonl(CLIENT), htons(sport), true);
		uint64_t before = W(owner)->stats.handoffs_out;

		send_pkt(W(owner), port_in, &p);
		CU_ASSERT_EQUAL(W(owner)->stats.handoffs_out, before);
		CU_ASSERT_PTR_NOT_NULL(find_flow(W(owner), IPPROTO_UDP, sport, SERVER, 53));
	}
	CU_ASSERT_EQUAL(take(NULL, 0), N);
	free(ref);
	dp_teardown();
}

/*
 * A NIC whose hash is not the Toeplitz of the source it was told to hash (a driver hashing the
 * 4-tuple, say): the first packet's check finds it; the worker counts it once and computes
 * every owner itself from then on, so each endpoint still goes to one owner (here: handed
 * off to worker 0, where the wrong hash named worker 1).
 */
static void test_pipeline_rss_hash_mismatch(void)
{
	struct egw_rss_owner *ref = rss_dp_setup(true);
	struct egw_worker_view v;
	uint16_t sport = 30000;

	for (unsigned k = 0; k < 2; k++, sport++) {
		struct rte_mbuf *m;
		uint8_t f[PG_FRAME_MAX];
		struct pg_pkt p;
		uint32_t wrong;

		while (egw_rss_endpoint_owner(ref, NULL, htonl(CLIENT), htons(sport), true) != 0)
			CU_ASSERT_FATAL(++sport < 30100);
		wrong = egw_rss_hash(ref, htonl(CLIENT), htons(sport), true) ^ 1; /* worker 1 */
		CU_ASSERT_EQUAL(egw_rss_owner_of(ref, wrong), 1);
		p = from_client(IPPROTO_UDP, sport, SERVER, 53);
		m = mk_mbuf(f, bld(f, &p), port_in);
		m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
		m->hash.rss = wrong;
		F.fed++;
		egw_pipeline_rx(W(1), &m, 1, false);
		CU_ASSERT_EQUAL(rte_ring_count(F.dp->handoff[1][0]), 1);
		CU_ASSERT_EQUAL(run_handoffs(), 1);
		CU_ASSERT_PTR_NOT_NULL(find_flow(W(0), IPPROTO_UDP, sport, SERVER, 53));
	}
	CU_ASSERT_EQUAL(egw_flow_table_active(W(1)->ft), 0);
	CU_ASSERT_EQUAL(take(NULL, 0), 2);
	egw_dataplane_worker_view(F.dp, 1, &v);
	CU_ASSERT_EQUAL(v.rss_hash_mismatch, 1);
	free(ref);
	dp_teardown();
}

/* Inside devices that disagree on key or RETA: the software hash for all (owner.c). */
static void test_pipeline_rss_owner_disagree(void)
{
	uint16_t reta[512], other[512];

	dp_setup(&(struct dp_opts){ .n_workers = 2 });
	egw_rss_reta_spread(reta, RTE_DIM(reta), 2);
	egw_rss_reta_spread(other, RTE_DIM(other), 2);
	other[7] = 0;
	CU_ASSERT_EQUAL(egw_dataplane_set_rss(F.dp, port_in, egw_rss_default_key,
				EGW_RSS_DEFAULT_KEY_LEN, reta, RTE_DIM(reta), true),
		0);
	CU_ASSERT_EQUAL(egw_dataplane_set_rss(F.dp, port_out, egw_rss_default_key,
				EGW_RSS_DEFAULT_KEY_LEN, other, RTE_DIM(other), true),
		-EEXIST);
	CU_ASSERT_FALSE(egw_dataplane_nic_owner(F.dp, port_in));
	CU_ASSERT_EQUAL(egw_dataplane_set_rss(F.dp, port_in, egw_rss_default_key,
				EGW_RSS_DEFAULT_KEY_LEN, reta, RTE_DIM(reta), true),
		-EPERM);
	CU_ASSERT_FALSE(egw_dataplane_nic_owner(F.dp, port_in));
	dp_teardown();

	/* A RETA naming a queue no worker polls cannot be followed. */
	dp_setup(&(struct dp_opts){ .n_workers = 2 });
	egw_rss_reta_spread(reta, RTE_DIM(reta), 4);
	CU_ASSERT_EQUAL(egw_dataplane_set_rss(F.dp, port_in, egw_rss_default_key,
				EGW_RSS_DEFAULT_KEY_LEN, reta, RTE_DIM(reta), true),
		-EINVAL);
	CU_ASSERT_FALSE(egw_dataplane_nic_owner(F.dp, port_in));
	CU_ASSERT_EQUAL(egw_dataplane_set_rss(F.dp, EGW_PORT_IDS, egw_rss_default_key,
				EGW_RSS_DEFAULT_KEY_LEN, reta, RTE_DIM(reta), true),
		-EPERM);
	dp_teardown();
}

/* A device whose RSS hash is not the owner's input (rss-src-flow: its rules hash): the RETA
 * still names owners, but the mbuf's hash is not taken for the computation. */
static void test_pipeline_rss_owner_hash_not_input(void)
{
	struct egw_rss_owner *ref = rss_dp_setup(false);
	uint16_t sport = 30000;
	struct rte_mbuf *m;
	uint8_t f[PG_FRAME_MAX];
	struct pg_pkt p;

	while (egw_rss_endpoint_owner(ref, NULL, htonl(CLIENT), htons(sport), true) != 0)
		CU_ASSERT_FATAL(++sport < 30100);
	/* Its hash says worker 1; the computed owner, worker 0, gets it. */
	p = from_client(IPPROTO_UDP, sport, SERVER, 53);
	m = mk_mbuf(f, bld(f, &p), port_in);
	m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
	m->hash.rss = 1;
	F.fed++;
	egw_pipeline_rx(W(1), &m, 1, false);
	CU_ASSERT_EQUAL(rte_ring_count(F.dp->handoff[1][0]), 1);
	CU_ASSERT_EQUAL(run_handoffs(), 1);
	CU_ASSERT_PTR_NOT_NULL(find_flow(W(0), IPPROTO_UDP, sport, SERVER, 53));
	CU_ASSERT_EQUAL(take(NULL, 0), 1);
	free(ref);
	dp_teardown();
}

/*
 * The owner of a handed-off packet works from the metadata its first worker parsed (carried in
 * an mbuf field), not from a second parse: a bad IPv4 checksum planted while the packet waits
 * in the ring goes unnoticed (a second parse would drop it as ip_bad_checksum).
 */
static void test_pipeline_handoff_carries_meta(void)
{
	struct rte_mbuf *m;
	unsigned owner = 0;
	uint16_t sport;

	dp_setup(&(struct dp_opts){ .n_workers = 2 });
	/* A UDP flow worker 1 owns. */
	for (sport = 30000;; sport++) {
		struct pg_pkt p = from_client(IPPROTO_UDP, sport, SERVER, 53);
		uint8_t f[PG_FRAME_MAX];
		size_t len = bld(f, &p);
		m = mk_mbuf(f, len, port_in);
		F.fed++;
		egw_pipeline_rx(W(0), &m, 1, false);
		if (rte_ring_count(F.dp->handoff[0][1]) == 1)
			break;
		CU_ASSERT_FATAL(sport < 30100);
	}
	CU_ASSERT_EQUAL_FATAL(rte_ring_dequeue(F.dp->handoff[0][1], (void **)&m), 0);
	rte_pktmbuf_mtod(m, uint8_t *)[14 + 10] ^= 0x5a;
	egw_pipeline_rx(W(1), &m, 1, true);
	CU_ASSERT_EQUAL(drops(EGW_DROP_IP_BAD_CHECKSUM), 0);
	CU_ASSERT_EQUAL(W(1)->stats.handoffs_in, 1);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(1)->ft), 1);
	owner = take(NULL, 0);
	CU_ASSERT_EQUAL(owner, sport - 30000 + 1);
	dp_teardown();
}

/* A held packet: translated, TTL and source MAC done, only the destination MAC missing. */
static void check_held(const struct frame *h, uint32_t nh, uint32_t want_nh, const struct pg_pkt *p)
{
	CU_ASSERT_EQUAL(h->port, port_out);
	CU_ASSERT_EQUAL(nh, htonl(want_nh));
	CU_ASSERT(is_pool_addr(pg_rd32(h->d + 26)));
	CU_ASSERT_EQUAL(pg_rd32(h->d + 30), p->dst);
	CU_ASSERT_EQUAL(h->d[14 + 8], p->ttl - 1);
	CU_ASSERT_EQUAL(memcmp(h->d + 6, MAC_OUT, 6), 0);
	CU_ASSERT(pg_ip_csum_ok(h->d + 14));
	CU_ASSERT(pg_l4_csum_ok(h->d + 14));
}

static void test_pipeline_route_and_neighbour(void)
{
	const uint32_t nb = PG_IP(203, 0, 113, 50);
	struct pg_pkt p;
	struct frame *fr, held[4];
	uint32_t nh[4];
	uint8_t mac[6];
	uint16_t slot;
	struct rte_ether_addr ea;

	dp_setup(&(struct dp_opts){ .resolve_ring = 4 });
	/* Source not on the inside port's subnet: strict reverse path check. */
	p = from_client(IPPROTO_UDP, 1, SERVER, 53);
	p.src = PG_IP(198, 18, 1, 5);
	send_pkt(W(0), port_in, &p);
	/* Inside traffic arriving on the outside port. */
	p = from_client(IPPROTO_UDP, 1, SERVER, 53);
	memcpy(p.dmac, MAC_OUT, 6);
	send_pkt(W(0), port_out, &p);
	CU_ASSERT_EQUAL(drops(EGW_DROP_UNSOLICITED), 1);
	CU_ASSERT_EQUAL(drops(EGW_DROP_NO_ROUTE), 1);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 0);

	/* A next hop nobody knows yet: the packet waits for the control thread's ARP. */
	p = from_client(IPPROTO_UDP, 7, nb, 53);
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(W(0)->stats.held, 1);
	CU_ASSERT_EQUAL_FATAL(take_held(held, 4, nh), 1);
	check_held(&held[0], nh[0], nb, &p);
	/* Known slot, not resolved yet: held as well. */
	slot = egw_neigh_get_or_add(F.dp->neigh, port_out, htonl(nb));
	CU_ASSERT_FATAL(slot != EGW_NEIGH_SLOT_NONE);
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL_FATAL(take_held(held, 4, nh), 1);
	check_held(&held[0], nh[0], nb, &p);
	/* More than the control thread's queue takes: the rest is dropped and counted. */
	for (unsigned i = 0; i < 5; i++)
		send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(rte_ring_count(F.dp->resolve_ring), 3);
	CU_ASSERT_EQUAL(drops(EGW_DROP_NEIGH_UNRESOLVED), 2);
	CU_ASSERT_EQUAL(take_held(NULL, 0, NULL), 3);
	CU_ASSERT_EQUAL(W(0)->stats.held, 5);
	/* Resolved: sent at once, to that MAC. */
	pg_mac(mac, 0x50);
	memcpy(ea.addr_bytes, mac, 6);
	egw_neigh_set(F.dp->neigh, slot, &ea, false);
	send_pkt(W(0), port_in, &p);
	fr = take_one(port_out);
	CU_ASSERT_EQUAL(memcmp(fr->d, mac, 6), 0);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 1);
	CU_ASSERT(!egw_neigh_take_used(F.dp->neigh, slot)); /* fresh: uses are not reported */
	/* Stale: still used, and the flow's packet (through its cached slot) says so. */
	egw_neigh_set(F.dp->neigh, slot, &ea, true);
	send_pkt(W(0), port_in, &p);
	fr = take_one(port_out);
	CU_ASSERT_EQUAL(memcmp(fr->d, mac, 6), 0);
	CU_ASSERT(egw_neigh_take_used(F.dp->neigh, slot));
	/* A new MAC reaches the flow that cached the slot at once. */
	pg_mac(mac, 0x51);
	memcpy(ea.addr_bytes, mac, 6);
	egw_neigh_set(F.dp->neigh, slot, &ea, false);
	send_pkt(W(0), port_in, &p);
	fr = take_one(port_out);
	CU_ASSERT_EQUAL(memcmp(fr->d, mac, 6), 0);
	/* No MAC any more (the neighbour failed or was removed): held again, for its address. */
	egw_neigh_clear(F.dp->neigh, slot);
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL_FATAL(take_held(held, 4, nh), 1);
	check_held(&held[0], nh[0], nb, &p);
	dp_teardown();
}

static void test_pipeline_source_limit(void)
{
	struct pg_pkt p;
	struct frame *fr;
	uint32_t nat_addr;

	/* Two flows per inside address (one worker: the whole limit). */
	dp_setup(&(struct dp_opts){ .max_per_source = 2, .max_flows = 64 });
	for (unsigned i = 0; i < 3; i++) {
		p = from_client(IPPROTO_UDP, (uint16_t)(6000 + i), SERVER, 53);
		send_pkt(W(0), port_in, &p);
	}
	CU_ASSERT_EQUAL(take(NULL, 0), 2);
	CU_ASSERT_EQUAL(drops(EGW_DROP_NAT_SOURCE_LIMIT), 1);
	CU_ASSERT_EQUAL(egw_source_limit_count(&W(0)->sources, htonl(CLIENT)), 2);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 2);
	CU_ASSERT_EQUAL(egw_flow_table_free_records(W(0)->ft), 62);
	/* Packets of the admitted flows still pass. */
	p = from_client(IPPROTO_UDP, 6001, SERVER, 53);
	send_pkt(W(0), port_in, &p);
	fr = take_one(port_out);
	nat_addr = pg_rd32(fr->d + 26);
	CU_ASSERT(is_pool_addr(nat_addr));
	/* Another inside host has its own quota. */
	p = from_client(IPPROTO_UDP, 6000, SERVER, 53);
	p.src = PG_IP(198, 18, 0, 3);
	send_pkt(W(0), port_in, &p);
	take_one(port_out);
	CU_ASSERT_EQUAL(egw_source_limit_count(&W(0)->sources, htonl(PG_IP(198, 18, 0, 3))), 1);
	/* An expired flow gives its share back. */
	W(0)->now = T0 + 301;
	CU_ASSERT_EQUAL(egw_pipeline_expire(W(0)), 3);
	CU_ASSERT_EQUAL(egw_source_limit_count(&W(0)->sources, htonl(CLIENT)), 0);
	CU_ASSERT_EQUAL(egw_source_limit_count(&W(0)->sources, htonl(PG_IP(198, 18, 0, 3))), 0);
	p = from_client(IPPROTO_UDP, 6002, SERVER, 53);
	send_pkt(W(0), port_in, &p);
	take_one(port_out);
	CU_ASSERT_EQUAL(egw_source_limit_count(&W(0)->sources, htonl(CLIENT)), 1);
	dp_teardown();
}

static void test_pipeline_tcp_pickup(void)
{
	struct pg_pkt p = from_client(IPPROTO_TCP, 40000, SERVER, 80);
	struct egw_flow *f;

	dp_setup(&(struct dp_opts){ 0 });
	F.dp->tcp_pickup = false;
	p.tcp_flags = EGW_TCP_ACK;
	send_pkt(W(0), port_in, &p);
	p.tcp_flags = EGW_TCP_SYN | EGW_TCP_ACK;
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(drops(EGW_DROP_TCP_NOT_SYN), 2);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 0);
	F.dp->tcp_pickup = true;
	/* A RST, a SYN+ACK (the reply half of someone else's handshake) never start a flow. */
	p.tcp_flags = EGW_TCP_RST | EGW_TCP_ACK;
	send_pkt(W(0), port_in, &p);
	p.tcp_flags = EGW_TCP_RST;
	send_pkt(W(0), port_in, &p);
	p.tcp_flags = EGW_TCP_SYN | EGW_TCP_ACK;
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(drops(EGW_DROP_TCP_NOT_SYN), 5);
	/* Nor a segment without ACK (scans): no flow, no NAT port held for two hours. */
	p.tcp_flags = 0;
	send_pkt(W(0), port_in, &p);
	p.tcp_flags = EGW_TCP_FIN;
	send_pkt(W(0), port_in, &p);
	p.tcp_flags = EGW_TCP_FIN | EGW_TCP_PSH | 0x20;
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(drops(EGW_DROP_TCP_BAD_FLAGS), 3);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 0);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	p.tcp_flags = EGW_TCP_ACK | EGW_TCP_PSH;
	p.payload_len = 10;
	send_pkt(W(0), port_in, &p);
	take_one(port_out);
	f = find_flow(W(0), IPPROTO_TCP, 40000, SERVER, 80);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->state, EGW_TCP_ESTABLISHED);
	dp_teardown();
}

static void test_pipeline_mtu(void)
{
	struct pg_pkt p = from_client(IPPROTO_TCP, 40000, SERVER, 80);
	uint8_t f[PG_FRAME_MAX];
	struct frame *fr;
	size_t n;

	dp_setup(&(struct dp_opts){ 0 });
	F.dp->ports[port_out].mtu = 576;
	p.tcp_flags = EGW_TCP_ACK;
	p.payload_len = 537; /* 577 bytes of IP */
	p.frag = 0x4000;     /* DF */
	n = bld(f, &p);
	rx_on(W(0), port_in, f, n);
	fr = take_one(port_in);
	check_generated_error(fr, f, EGW_ICMP_DEST_UNREACH, 4, 576, OUR_IN, MAC_CLIENT, MAC_IN);
	CU_ASSERT_EQUAL(drops(EGW_DROP_MTU_EXCEEDED), 1);
	/* Without DF: fragmented (test_pipeline_fragment_out), 552 + 4 bytes of TCP. */
	p.frag = 0;
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(take(NULL, 0), 2);
	CU_ASSERT_EQUAL(drops(EGW_DROP_MTU_EXCEEDED), 1);
	/* Exactly the MTU passes. */
	p.payload_len = 536;
	send_pkt(W(0), port_in, &p);
	take_one(port_out);
	dp_teardown();
}

/* Fragment FR of the translated packet WANT (an IP packet at 14): bytes OFF to OFF + LEN of its
 * payload, MF as told, header as WANT's but for length, offset and checksum. */
static void expect_fragment(const struct frame *fr, const uint8_t *want, uint16_t off, uint16_t len,
	bool mf)
{
	const uint8_t *ip = fr->d + 14;

	CU_ASSERT_EQUAL_FATAL(fr->port, port_out);
	CU_ASSERT_EQUAL_FATAL(fr->len, 14 + 20 + len);
	CU_ASSERT_EQUAL(memcmp(fr->d, want, 14 + 2), 0); /* Ethernet, version, TOS */
	CU_ASSERT_EQUAL(pg_rd16(ip + 2), 20 + len);
	CU_ASSERT_EQUAL(memcmp(ip + 4, want + 14 + 4, 2), 0); /* ID */
	CU_ASSERT_EQUAL(pg_rd16(ip + 6), (off / 8) | (mf ? 0x2000 : 0));
	CU_ASSERT_EQUAL(memcmp(ip + 8, want + 14 + 8, 2), 0);	/* TTL, protocol */
	CU_ASSERT_EQUAL(memcmp(ip + 12, want + 14 + 12, 8), 0); /* addresses */
	CU_ASSERT(pg_ip_csum_ok(ip));
	CU_ASSERT_EQUAL(memcmp(ip + 20, want + 14 + 20 + off, len), 0);
}

/* RFC 4787 REQ-13: too big for the exit without DF, a packet leaves translated, in fragments. */
static void test_pipeline_fragment_out(void)
{
	struct pg_pkt p = from_client(IPPROTO_UDP, 40000, SERVER, 53);
	uint8_t want[PG_FRAME_MAX];
	struct frame fr[4];
	struct frame *first;
	struct egw_worker_stats st;
	uint32_t nat_addr;
	uint16_t nat_port;

	dp_setup(&(struct dp_opts){ 0 });
	F.dp->ports[port_out].mtu = 576;
	p.payload_len = 10;
	send_pkt(W(0), port_in, &p);
	first = take_one(port_out);
	nat_addr = pg_rd32(first->d + 14 + 12);
	nat_port = pg_rd16(first->d + 34);
	/* 1400 bytes of IP: 552 + 552 + 276 bytes of payload (576 - 20, to 8 bytes). */
	p.payload_len = 1400 - 20 - 8;
	p.ip_id = 0x1234;
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL_FATAL(take(fr, 4), 3);
	p.src = nat_addr;
	p.sport = nat_port;
	p.ttl--;
	memcpy(p.dmac, MAC_GW, 6);
	memcpy(p.smac, MAC_OUT, 6);
	bld(want, &p);
	expect_fragment(&fr[0], want, 0, 552, true);
	expect_fragment(&fr[1], want, 552, 552, true);
	expect_fragment(&fr[2], want, 1104, 276, false);
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.packets_fragmented, 1);
	CU_ASSERT_EQUAL(st.fragments_sent, 3);
	CU_ASSERT_EQUAL(drops(EGW_DROP_MTU_EXCEEDED), 0);
	/* DF set: ICMP fragmentation needed, as before. */
	p = from_client(IPPROTO_UDP, 40000, SERVER, 53);
	p.payload_len = 1400 - 20 - 8;
	p.frag = 0x4000;
	send_pkt(W(0), port_in, &p);
	first = take_one(port_in);
	CU_ASSERT_EQUAL(first->d[14 + 20], EGW_ICMP_DEST_UNREACH);
	CU_ASSERT_EQUAL(first->d[14 + 21], 4);
	CU_ASSERT_EQUAL(pg_rd16(first->d + 14 + 26), 576);
	CU_ASSERT_EQUAL(drops(EGW_DROP_MTU_EXCEEDED), 1);
	/* IP options are not sorted by their copy bit: such a packet is refused. */
	p.frag = 0;
	p.ihl = 6;
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(drops(EGW_DROP_MTU_EXCEEDED), 2);
	/* Nor is the first fragment of a train (its train follows it as it is). */
	p.ihl = 0;
	p.frag = 0x2000;
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(drops(EGW_DROP_MTU_EXCEEDED), 3);
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.fragments_sent, 3);
	dp_teardown();
}

/* The fragmenter alone: a fragment split again, and what it refuses, leaking nothing. */
static void test_pipeline_frag_out_limits(void)
{
	struct pg_pkt p = from_client(IPPROTO_UDP, 40000, SERVER, 53);
	struct rte_mbuf *out[EGW_FRAG_OUT_MAX], *m;
	struct rte_mempool *tiny, *small;
	uint8_t f[PG_FRAME_MAX];
	unsigned avail = rte_mempool_avail_count(pmp);
	size_t n;

	p.payload_len = 1400 - 20 - 8;
	p.frag = 0x2000 | 10; /* MF, at 80 bytes: the middle of a bigger packet */
	n = bld(f, &p);
	m = mk_mbuf(f, n, port_in);
	CU_ASSERT_EQUAL_FATAL(egw_pl_frag_out(m, 14, 576, out), 3);
	for (unsigned i = 0; i < 3; i++) {
		const uint8_t *ip = rte_pktmbuf_mtod(out[i], const uint8_t *) + 14;
		CU_ASSERT_EQUAL(pg_rd16(ip + 6), 0x2000 | (10 + i * 69)); /* the last keeps MF */
		CU_ASSERT(pg_ip_csum_ok(ip));
		CU_ASSERT_EQUAL(memcmp(ip + 20, f + 34 + i * 552, i < 2 ? 552 : 276), 0);
	}
	rte_pktmbuf_free_bulk(out, 3);
	/* Refused: an MTU under 68, more than EGW_FRAG_OUT_MAX pieces, IP options. */
	CU_ASSERT_EQUAL(egw_pl_frag_out(m, 14, 67, out), 0);
	CU_ASSERT_EQUAL(egw_pl_frag_out(m, 14, 68, out), 0);
	rte_pktmbuf_free(m);
	p.ihl = 6;
	n = bld(f, &p);
	m = mk_mbuf(f, n, port_in);
	CU_ASSERT_EQUAL(egw_pl_frag_out(m, 14, 576, out), 0);
	rte_pktmbuf_free(m);
	/* A pool without enough mbufs, or with mbufs too small for the MTU. */
	p.ihl = 0;
	n = bld(f, &p);
	tiny = rte_pktmbuf_pool_create("ut_frag_tiny", 3, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	small = rte_pktmbuf_pool_create("ut_frag_small", 8, 0, 0, 512, SOCKET_ID_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tiny);
	CU_ASSERT_PTR_NOT_NULL_FATAL(small);
	m = pg_mbuf(tiny, f, n, port_in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(egw_pl_frag_out(m, 14, 576, out), 0);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(tiny), 2);
	rte_pktmbuf_free(m);
	m = mk_mbuf(f, n, port_in);
	m->pool = small; /* the fragments come from the packet's pool */
	CU_ASSERT_EQUAL(egw_pl_frag_out(m, 14, 1000, out), 0);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(small), 8);
	m->pool = pmp;
	rte_pktmbuf_free(m);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pmp), avail);
	rte_mempool_free(tiny);
	rte_mempool_free(small);
}

static void test_pipeline_nat_exhausted(void)
{
	struct pg_pkt p;
	struct frame *fr;

	/* One address, one port: one flow per remote endpoint (endpoint-dependent mapping). */
	dp_setup(&(struct dp_opts){ .port_first = 5000, .port_last = 5000, .n_pool = 1 });
	p = from_client(IPPROTO_UDP, 1111, SERVER, 53);
	send_pkt(W(0), port_in, &p);
	fr = take_one(port_out);
	CU_ASSERT_EQUAL(pg_rd32(fr->d + 26), POOL_FIRST);
	CU_ASSERT_EQUAL(pg_rd16(fr->d + 34), 5000);
	p.sport = 2222;
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(drops(EGW_DROP_NAT_EXHAUSTED), 1);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 1);
	CU_ASSERT_EQUAL(egw_flow_table_free_records(W(0)->ft),
		egw_flow_table_capacity(W(0)->ft) - 1);
	/* Another destination port is another endpoint. */
	p.dport = 54;
	send_pkt(W(0), port_in, &p);
	fr = take_one(port_out);
	CU_ASSERT_EQUAL(pg_rd16(fr->d + 34), 5000);
	/* The same port for TCP is another protocol. */
	p = from_client(IPPROTO_TCP, 2222, SERVER, 53);
	p.tcp_flags = EGW_TCP_SYN;
	send_pkt(W(0), port_in, &p);
	fr = take_one(port_out);
	CU_ASSERT_EQUAL(pg_rd16(fr->d + 34), 5000);
	dp_teardown();
}

/* ---- VLAN ports (vlan.c) ---- */

/* Puts a tag (TPID, VID) after the MAC addresses of the frame F of *N bytes. */
static void tag_frame(uint8_t *f, size_t *n, uint16_t tpid, uint16_t vid)
{
	memmove(f + 16, f + 12, *n - 12);
	pg_wr16(f + 12, tpid);
	pg_wr16(f + 14, vid);
	*n += 4;
}

/* Receives M on its device as the worker loop does: sorted into VLAN ports first. */
static void rx_dev(struct rte_mbuf *m)
{
	F.fed++;
	if (egw_pl_vlan_rx(W(0), m->port, &m, 1))
		egw_pipeline_rx(W(0), &m, 1, false);
}

/* Both ports as VLANs of the inside device: 10 inside, 20 outside. */
static void vlan_ports(void)
{
	struct egw_port_info pi = { .zone = EGW_ZONE_INSIDE,
		.mtu = 1500,
		.addr_be = htonl(OUR_IN),
		.dev = port_in,
		.vlan = 10 };

	memcpy(pi.mac.addr_bytes, MAC_IN, 6);
	CU_ASSERT_EQUAL(egw_dataplane_set_vlan_port(F.dp, port_in, &pi), 0);
	pi.zone = EGW_ZONE_OUTSIDE;
	pi.addr_be = htonl(OUR_OUT);
	pi.vlan = 20;
	memcpy(pi.mac.addr_bytes, MAC_OUT, 6);
	CU_ASSERT_EQUAL(egw_dataplane_set_vlan_port(F.dp, port_out, &pi), 0);
	CU_ASSERT_EQUAL(egw_dataplane_set_vlan_port(F.dp, port_out, &pi), -EEXIST);
}

/*
 * One device, two VLAN ports: a client's datagram tagged 10 leaves the same device tagged 20,
 * translated; the reply (its tag taken off by the driver, as af_packet does) goes back tagged
 * 10. Unknown VLANs, untagged frames where no port is untagged and QinQ are dropped.
 */
static void test_pipeline_vlan(void)
{
	struct frame fr[4];
	uint8_t f[PG_FRAME_MAX];
	struct pg_pkt p;
	struct rte_mbuf *m;
	uint32_t nat_addr;
	uint16_t nat_port;
	size_t n;

	dp_setup(&(struct dp_opts){ 0 });
	vlan_ports();
	p = from_client(IPPROTO_UDP, 40000, SERVER, 53);
	n = bld(f, &p);
	tag_frame(f, &n, RTE_ETHER_TYPE_VLAN, 10);
	rx_dev(mk_mbuf(f, n, port_in));
	CU_ASSERT_EQUAL_FATAL(take(fr, 4), 1);
	CU_ASSERT_EQUAL(fr[0].port, port_in); /* the device's queue */
	CU_ASSERT_EQUAL(pg_rd16(fr[0].d + 12), RTE_ETHER_TYPE_VLAN);
	CU_ASSERT_EQUAL(pg_rd16(fr[0].d + 14), 20);
	CU_ASSERT_EQUAL(pg_rd16(fr[0].d + 16), RTE_ETHER_TYPE_IPV4);
	nat_addr = pg_rd32(fr[0].d + 18 + 12);
	nat_port = pg_rd16(fr[0].d + 18 + 20);
	CU_ASSERT(is_pool_addr(nat_addr));

	p = from_server(IPPROTO_UDP, 53, nat_addr, nat_port);
	n = bld(f, &p);
	m = mk_mbuf(f, n, port_in);
	m->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	m->vlan_tci = 20;
	rx_dev(m);
	CU_ASSERT_EQUAL_FATAL(take(fr, 4), 1);
	CU_ASSERT_EQUAL(pg_rd16(fr[0].d + 14), 10);
	CU_ASSERT_EQUAL(pg_rd32(fr[0].d + 18 + 16), CLIENT);

	/* Dropped: VLAN 30; untagged; QinQ outer 802.1ad, two 802.1Q tags, and a driver-taken
	 * tag with another one left in the frame. */
	p = from_client(IPPROTO_UDP, 40001, SERVER, 53);
	n = bld(f, &p);
	rx_dev(mk_mbuf(f, n, port_in));
	tag_frame(f, &n, RTE_ETHER_TYPE_VLAN, 10);
	m = mk_mbuf(f, n, port_in);
	m->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	m->vlan_tci = 20;
	rx_dev(m);
	rx_dev(mk_mbuf(f, n, port_in)); /* (still a good one: tagged 10) */
	tag_frame(f, &n, RTE_ETHER_TYPE_QINQ, 100);
	rx_dev(mk_mbuf(f, n, port_in));
	pg_wr16(f + 12, RTE_ETHER_TYPE_VLAN);
	rx_dev(mk_mbuf(f, n, port_in));
	memmove(f + 12, f + 16, n - 16);
	n -= 4;
	pg_wr16(f + 14, 30);
	rx_dev(mk_mbuf(f, n, port_in));
	CU_ASSERT_EQUAL(take(fr, 4), 1);
	CU_ASSERT_EQUAL(drops(EGW_DROP_VLAN_UNKNOWN), 2);
	CU_ASSERT_EQUAL(drops(EGW_DROP_VLAN_QINQ), 3);

	/* A frame whose mbuf is shared cannot take its tag: dropped for that, once. */
	p = from_client(IPPROTO_UDP, 40002, SERVER, 53);
	n = bld(f, &p);
	tag_frame(f, &n, RTE_ETHER_TYPE_VLAN, 10);
	m = mk_mbuf(f, n, port_in);
	rte_mbuf_refcnt_update(m, 1);
	rx_dev(m);
	CU_ASSERT_EQUAL(take(fr, 4), 0);
	CU_ASSERT_EQUAL(drops(EGW_DROP_VLAN_TAG_FAILED), 1);
	rte_pktmbuf_free(m);
	dp_teardown();

	/* A device without VLAN ports: a frame whose tag its driver took off is not let in as
	 * untagged. */
	dp_setup(&(struct dp_opts){ 0 });
	p = from_client(IPPROTO_UDP, 40003, SERVER, 53);
	n = bld(f, &p);
	m = mk_mbuf(f, n, port_in);
	m->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	m->vlan_tci = 10;
	F.fed++;
	egw_pipeline_rx(W(0), &m, 1, false);
	CU_ASSERT_EQUAL(take(fr, 4), 0);
	CU_ASSERT_EQUAL(drops(EGW_DROP_VLAN_UNKNOWN), 1);
	dp_teardown();
}

/* A TX queue that does not take the packets: counted as tx_full, freed, and not in tx_bytes. */
static void test_pipeline_tx_full(void)
{
	struct rte_mbuf *fill[TX_RING];
	unsigned n_fill = 0;
	struct pg_pkt p = from_client(IPPROTO_UDP, 1, SERVER, 53);
	uint8_t f[PG_FRAME_MAX];

	dp_setup(&(struct dp_opts){ 0 });
	while (rte_ring_free_count(tx_rings[1][0]) > 0) {
		fill[n_fill] = rte_pktmbuf_alloc(pmp);
		CU_ASSERT_PTR_NOT_NULL_FATAL(fill[n_fill]);
		CU_ASSERT_EQUAL_FATAL(rte_ring_enqueue(tx_rings[1][0], fill[n_fill]), 0);
		n_fill++;
	}
	for (unsigned i = 0; i < 3; i++)
		send_pkt(W(0), port_in, &p);
	egw_pipeline_flush(W(0));
	CU_ASSERT_EQUAL(drops(EGW_DROP_TX_FULL), 3);
	/* Counted against the port that refused them (/egw/ports tx_full). */
	CU_ASSERT_EQUAL(W(0)->stats.tx_full[port_out], 3);
	CU_ASSERT_EQUAL(W(0)->stats.tx_full[port_in], 0);
	for (unsigned i = 0; i < n_fill; i++) {
		struct rte_mbuf *m;
		CU_ASSERT_EQUAL_FATAL(rte_ring_dequeue(tx_rings[1][0], (void **)&m), 0);
		CU_ASSERT_PTR_EQUAL(m, fill[i]);
		rte_pktmbuf_free(m);
	}
	CU_ASSERT_EQUAL(W(0)->stats.tx_packets, 0);
	CU_ASSERT_EQUAL(W(0)->stats.tx_bytes, 0); /* the refused ones are not counted */
	/* A burst larger than the TX buffer is sent in pieces, every byte counted. */
	for (unsigned i = 0; i < 40; i++)
		send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(take(NULL, 0), 40);
	CU_ASSERT_EQUAL(W(0)->stats.tx_packets, 40);
	CU_ASSERT_EQUAL(W(0)->stats.tx_bytes, 40 * (uint64_t)bld(f, &p));
	dp_teardown();
}

/* Takes the next flow log record of worker W; false when its ring is empty. */
static uint64_t stat_time_wait(void)
{
	struct egw_worker_stats st;

	egw_dataplane_stats(F.dp, &st);
	return st.flows_time_wait;
}

static bool next_record(struct egw_worker *w, struct egw_flowlog_rec *r)
{
	return rte_ring_sc_dequeue_elem(w->flowlog, r, sizeof(*r)) == 0;
}

/* The mailbox served by the asker's own thread (the idle hook): the whole protocol, one
 * thread. */
static void serve_w0(void *ctx)
{
	(void)ctx;
	egw_mailbox_serve(W(0));
}

static uint64_t addr_in_use(uint32_t nat_addr)
{
	uint64_t in_use, exhausted;

	egw_dataplane_addr(F.dp, htonl(nat_addr), &in_use, &exhausted);
	return in_use;
}

/* Heap bytes in use on every socket. */
static uint64_t heap_in_use(void)
{
	struct rte_malloc_socket_stats st;
	uint64_t n = 0;

	for (unsigned s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (rte_malloc_get_socket_stats((int)s, &st) == 0)
			n += st.heap_allocsz_bytes;
	return n;
}

/*
 * egw_worker_bytes(), which egressgw --check adds up against [dpdk] memory_mb, is what a worker
 * takes from the DPDK heap: within the allocator's headers, with and without the flow log.
 */
static void test_pipeline_worker_bytes(void)
{
	for (int log = 0; log <= 1; log++) {
		uint64_t before, used, est = egw_worker_bytes(100000, log);
		struct egw_worker *w;

		dp_setup(&(struct dp_opts){ .max_flows = 64, .flow_log = log });
		before = heap_in_use();
		w = egw_worker_create(F.dp, 9, 100000, &TO, SOCKET_ID_ANY);
		CU_ASSERT_PTR_NOT_NULL_FATAL(w);
		used = heap_in_use() - before;
		if (used > est + 8192 || used + 8192 < est)
			fprintf(stderr, "\n  flow log %d: worker took %llu bytes, estimate %llu\n",
				log, (unsigned long long)used, (unsigned long long)est);
		CU_ASSERT(used <= est + 8192 && used + 8192 >= est);
		egw_worker_free(w);
		dp_teardown();
	}
}

/*
 * Flow start, deny and end records (flow log), per-address NAT counters, and flows listed and
 * ended through the worker's mailbox (/egw/flows, flows flush) with every filter error.
 */
static void test_pipeline_flow_records(void)
{
	static struct egw_flows_answer ans;
	static struct egw_policy_slots slots;
	struct pg_pkt syn = from_client(IPPROTO_TCP, 40000, SERVER, 80);
	struct pg_pkt udp = from_client(IPPROTO_UDP, 5000, SERVER, 53);
	struct egw_flowlog_rec r;
	struct egw_worker_stats st;
	struct frame *fr;
	uint32_t nat_addr;
	uint16_t nat_port;
	uint64_t tcp_id, udp_id;
	char err[256];
	unsigned n;

	dp_setup(&(struct dp_opts){ .max_flows = 64, .flow_log = true });
	CU_ASSERT_PTR_NOT_NULL_FATAL(W(0)->flowlog);
	CU_ASSERT_EQUAL_FATAL(egw_policy_slots_init(&slots, "ut_obs"), 0);
	syn.tcp_flags = EGW_TCP_SYN;
	send_pkt(W(0), port_in, &syn);
	fr = take_one(port_out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fr);
	nat_addr = pg_rd32(fr->d + 26);
	nat_port = pg_rd16(fr->d + 34);
	CU_ASSERT_FATAL(next_record(W(0), &r));
	CU_ASSERT_EQUAL(r.event, EGW_EV_START);
	CU_ASSERT_EQUAL(r.proto, IPPROTO_TCP);
	CU_ASSERT_EQUAL(r.src, htonl(CLIENT));
	CU_ASSERT_EQUAL(r.dst, htonl(SERVER));
	CU_ASSERT_EQUAL(r.sport, htons(40000));
	CU_ASSERT_EQUAL(r.dport, htons(80));
	CU_ASSERT_EQUAL(r.nat_src, htonl(nat_addr));
	CU_ASSERT_EQUAL(r.nat_sport, htons(nat_port));
	CU_ASSERT_EQUAL(r.policy, 0); /* passthrough: the mode decided */
	/* Stamped with the loop's TSC; the id starts at that clock, on worker 0. */
	CU_ASSERT_EQUAL(r.stamp, (uint32_t)egw_flowlog_clock(W(0)->now_tsc, W(0)->log_epoch));
	CU_ASSERT_EQUAL(egw_flow_id_clock(r.flow_id),
		egw_flowlog_clock(W(0)->now_tsc, W(0)->log_epoch));
	CU_ASSERT_EQUAL((r.flow_id >> EGW_FLOW_ID_SEQ_BITS) & 0xf, 0);
	tcp_id = r.flow_id;
	CU_ASSERT_FALSE(next_record(W(0), &r));
	CU_ASSERT_EQUAL(addr_in_use(nat_addr), 1);

	udp.payload_len = 20;
	send_pkt(W(0), port_in, &udp);
	CU_ASSERT_PTR_NOT_NULL(take_one(port_out));
	CU_ASSERT(next_record(W(0), &r) && r.event == EGW_EV_START && r.proto == IPPROTO_UDP);
	/* Same loop, same clock: the next id of the sequence. */
	CU_ASSERT_EQUAL(r.flow_id, tcp_id + 1);
	udp_id = r.flow_id;
	CU_ASSERT_EQUAL(addr_in_use(nat_addr), 2); /* paired: one client, one address */

	/* Refused: a deny record, no translation, no flow. */
	set_mode(EGW_MODE_DENY);
	syn.sport = 40001;
	send_pkt(W(0), port_in, &syn);
	CU_ASSERT_FATAL(next_record(W(0), &r));
	CU_ASSERT_EQUAL(r.event, EGW_EV_DENY);
	CU_ASSERT_EQUAL(r.flow_id, 0);
	CU_ASSERT_EQUAL(r.reason, EGW_DROP_MODE_DENY);
	CU_ASSERT_EQUAL(r.sport, htons(40001));
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 2);
	set_mode(EGW_MODE_PASSTHROUGH);

	/* Listing, through the mailbox. */
	CU_ASSERT_EQUAL(egw_flows_ask(F.dp, &slots, "proto=tcp", EGW_MBOX_LIST, &ans, serve_w0,
				NULL, err, sizeof(err)),
		0);
	CU_ASSERT_EQUAL(ans.matched, 1);
	CU_ASSERT_EQUAL_FATAL(ans.n, 1);
	CU_ASSERT_EQUAL(ans.flows[0].d.flow.orig.a_port, htons(40000));
	CU_ASSERT_EQUAL(ans.flows[0].d.flow.nat_port, htons(nat_port));
	CU_ASSERT_EQUAL(ans.flows[0].d.created, T0);
	CU_ASSERT_EQUAL(egw_flows_ask(F.dp, &slots, "nat=198.51.100.0/24 policy=(mode) limit=1",
				EGW_MBOX_LIST, &ans, serve_w0, NULL, err, sizeof(err)),
		0);
	CU_ASSERT_EQUAL(ans.matched, 2); /* every match counted, */
	CU_ASSERT_EQUAL(ans.n, 1);	 /* LIMIT listed */
	CU_ASSERT_EQUAL(egw_flows_ask(F.dp, &slots, "port=9", EGW_MBOX_LIST, &ans, serve_w0, NULL,
				err, sizeof(err)),
		0);
	CU_ASSERT_EQUAL(ans.matched, 0);
	CU_ASSERT_EQUAL(egw_flows_ask(F.dp, &slots, "port=x", EGW_MBOX_LIST, &ans, serve_w0, NULL,
				err, sizeof(err)),
		-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "port must be"));
	CU_ASSERT_EQUAL(egw_flows_ask(F.dp, &slots, "policy=nosuch", EGW_MBOX_LIST, &ans, serve_w0,
				NULL, err, sizeof(err)),
		-ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no policy named 'nosuch'"));
	/* Nobody serves the mailbox (a worker that is not running): withdrawn, said so. */
	CU_ASSERT_EQUAL(egw_flows_ask(F.dp, &slots, "", EGW_MBOX_LIST, &ans, NULL, NULL, err,
				sizeof(err)),
		-ETIMEDOUT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "did not answer"));
	CU_ASSERT_EQUAL(W(0)->mbox.state, EGW_MBOX_IDLE);

	/* Flush: the UDP flow ends now, logged as flushed with its counters and its id. */
	W(0)->now = T0 + 3;
	W(0)->now_tsc += 3 * rte_get_tsc_hz();
	CU_ASSERT_EQUAL(egw_flows_ask(F.dp, &slots, "proto=udp", EGW_MBOX_FLUSH, &ans, serve_w0,
				NULL, err, sizeof(err)),
		0);
	CU_ASSERT_EQUAL(ans.matched, 1);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 1);
	CU_ASSERT_FATAL(next_record(W(0), &r));
	CU_ASSERT_EQUAL(r.event, EGW_EV_END);
	CU_ASSERT_EQUAL(r.reason, EGW_END_FLUSHED);
	CU_ASSERT_EQUAL(r.proto, IPPROTO_UDP);
	CU_ASSERT_EQUAL(r.packets[EGW_DIR_ORIG], 1);
	CU_ASSERT_EQUAL(r.bytes[EGW_DIR_ORIG], 48);
	CU_ASSERT_EQUAL(r.flow_id, udp_id);
	{
		/* 3 s, to the clock's unit (both ends are cut to 2^16 cycles). */
		uint64_t end = egw_flowlog_unwrap(r.stamp,
			egw_flowlog_clock(W(0)->now_tsc, W(0)->log_epoch));
		uint64_t ms = egw_flowlog_ms(egw_flow_id_clock(r.flow_id), end, rte_get_tsc_hz());

		CU_ASSERT(ms >= 2999 && ms <= 3000);
	}
	CU_ASSERT_EQUAL(addr_in_use(nat_addr), 1);

	/* Flush of TCP: logged as flushed now, but the record stays, to reset both ends on its
	 * next packet and to hold its tuple for the transitory timeout; its removal logs nothing
	 * more. */
	CU_ASSERT_EQUAL(egw_flows_ask(F.dp, &slots, "proto=tcp", EGW_MBOX_FLUSH, &ans, serve_w0,
				NULL, err, sizeof(err)),
		0);
	CU_ASSERT_EQUAL(ans.matched, 1);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 1);
	CU_ASSERT(next_record(W(0), &r) && r.event == EGW_EV_END && r.reason == EGW_END_FLUSHED);
	CU_ASSERT_EQUAL(r.flow_id, tcp_id);
	W(0)->now = T0 + 100000;
	egw_pipeline_expire(W(0));
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 0);
	CU_ASSERT_FALSE(next_record(W(0), &r));
	CU_ASSERT_EQUAL(addr_in_use(nat_addr), 0);

	/* Flush of a TCP connection closed already (an RST): nobody left to reset, it goes now. */
	syn.sport = 40003;
	send_pkt(W(0), port_in, &syn);
	CU_ASSERT_PTR_NOT_NULL(take_one(port_out));
	syn.tcp_flags = EGW_TCP_RST | EGW_TCP_ACK;
	send_pkt(W(0), port_in, &syn);
	CU_ASSERT_PTR_NOT_NULL(take_one(port_out));
	syn.tcp_flags = EGW_TCP_SYN;
	CU_ASSERT_EQUAL(stat_time_wait(), 1);
	CU_ASSERT_EQUAL(egw_flows_ask(F.dp, &slots, "proto=tcp", EGW_MBOX_FLUSH, &ans, serve_w0,
				NULL, err, sizeof(err)),
		0);
	CU_ASSERT_EQUAL(ans.matched, 1);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 0);
	CU_ASSERT_EQUAL(stat_time_wait(), 0);
	while (next_record(W(0), &r))
		;

	/* A full ring loses the record, counted; the packet is forwarded all the same. */
	memset(&r, 0, sizeof(r));
	for (n = 0; rte_ring_sp_enqueue_elem(W(0)->flowlog, &r, sizeof(r)) == 0; n++)
		;
	CU_ASSERT(n >= EGW_FLOWLOG_RING_SIZE - 1);
	syn.sport = 40002;
	send_pkt(W(0), port_in, &syn);
	CU_ASSERT_PTR_NOT_NULL(take_one(port_out));
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.flow_log_dropped, 1);
	while (next_record(W(0), &r))
		;

	/* Flow ids only grow: a full sequence takes the next clock unit, and a clock read
	 * that is behind the last id (another loop, same unit) continues the sequence. */
	{
		uint64_t clock = egw_flowlog_clock(W(0)->now_tsc, W(0)->log_epoch), a, b, c;

		W(0)->id_clock = clock;
		W(0)->id_seq = (1u << EGW_FLOW_ID_SEQ_BITS) - 2;
		a = egw_flow_id_next(W(0));
		b = egw_flow_id_next(W(0));
		W(0)->now_tsc -= 1ULL << EGW_FLOWLOG_CLOCK_SHIFT;
		c = egw_flow_id_next(W(0));
		CU_ASSERT_EQUAL(egw_flow_id_clock(a), clock);
		CU_ASSERT_EQUAL(a & ((1u << EGW_FLOW_ID_SEQ_BITS) - 1), 4095);
		CU_ASSERT_EQUAL(egw_flow_id_clock(b), clock + 1);
		CU_ASSERT_EQUAL(b & ((1u << EGW_FLOW_ID_SEQ_BITS) - 1), 0);
		CU_ASSERT(a < b && b < c);
	}
	egw_policy_slots_fini(&slots);
	dp_teardown();
}

/* ---- host-name policies: flows that wait for their name (host_pending.c) ---- */

#define ISN_C 1000u /* the client's SYN; its first data byte is ISN_C + 1 */
#define ISN_S 5000u

/* Policy NAME: ACTION for PROTO (tls/http) to SERVER port 443 naming HOSTS (NULL: none). */
static void host_policy(struct egw_policy_conf *p, const char *name, char **hosts, unsigned n,
	enum egw_policy_proto proto, enum egw_policy_action action, uint32_t order)
{
	static struct egw_cidr srv = { SERVER, 32 };
	static struct egw_port_range https = { 443, 443 };

	memset(p, 0, sizeof(*p));
	snprintf(p->name, EGW_NAME_MAX, "%s", name);
	p->sources_any = true;
	p->destinations = &srv;
	p->n_destinations = 1;
	p->ports = &https;
	p->n_ports = 1;
	p->proto = proto;
	p->hosts = hosts;
	p->n_hosts = n;
	p->action = action;
	p->order = order;
}

/* A policy-mode data plane whose one policy is POL, with the [egress] host limits given. */
static const struct egw_snapshot *host_setup_log(struct egw_policy_slots *sl,
	struct egw_policy_conf *pol, unsigned n, uint32_t hold_bytes, uint32_t hold_total,
	bool flow_log)
{
	CU_ASSERT_EQUAL_FATAL(egw_policy_slots_init(sl, "ut_pl_host"), 0);
	dp_setup(&(struct dp_opts){ .mode = EGW_MODE_POLICY, .flow_log = flow_log });
	F.conf->egress.host_timeout = 10;
	F.conf->egress.host_hold_bytes = hold_bytes;
	F.conf->egress.host_hold_total = hold_total;
	return publish_policies(sl, pol, n);
}

static const struct egw_snapshot *host_setup(struct egw_policy_slots *sl,
	struct egw_policy_conf *pol, unsigned n, uint32_t hold_bytes, uint32_t hold_total)
{
	return host_setup_log(sl, pol, n, hold_bytes, hold_total, false);
}

/* A TCP segment of the client's connection from port 40000 to SERVER:443, carrying LEN bytes
 * of DATA at sequence number SEQ. */
static void client_seg(uint32_t seq, uint8_t flags, const uint8_t *data, uint16_t len)
{
	struct pg_pkt p = from_client(IPPROTO_TCP, 40000, SERVER, 443);
	uint8_t f[PG_FRAME_MAX];
	size_t n;

	p.tcp_flags = flags;
	p.seq = seq;
	p.ack = flags & EGW_TCP_SYN ? 0 : ISN_S + 1;
	p.payload_len = len;
	n = bld(f, &p);
	if (len) {
		memcpy(f + n - len, data, len);
		pg_fix_l4_csum(f + PG_ETH_LEN);
	}
	rx_on(W(0), port_in, f, n);
}

/* SYN, SYN+ACK, ACK: the handshake of the client's connection passes; returns its flow. */
static struct egw_flow *host_handshake(void)
{
	struct egw_flow *f;
	struct pg_pkt p;

	client_seg(ISN_C, EGW_TCP_SYN, NULL, 0);
	CU_ASSERT_EQUAL(take(NULL, 0), 1);
	f = find_flow(W(0), IPPROTO_TCP, 40000, SERVER, 443);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT(f->flags & EGW_FLOW_F_PENDING);
	p = from_server(IPPROTO_TCP, 443, rte_be_to_cpu_32(f->nat_addr),
		rte_be_to_cpu_16(f->nat_port));
	p.tcp_flags = EGW_TCP_SYN | EGW_TCP_ACK;
	p.seq = ISN_S;
	p.ack = ISN_C + 1;
	send_pkt(W(0), port_out, &p);
	client_seg(ISN_C + 1, EGW_TCP_ACK, NULL, 0);
	CU_ASSERT_EQUAL(take(NULL, 0), 2);
	CU_ASSERT(f->flags & EGW_FLOW_F_PENDING);
	return f;
}

static uint32_t tcp_seq_of(const struct frame *fr)
{
	return pg_rd32(fr->d + PG_ETH_LEN + 20 + 4);
}

static uint32_t tcp_ack_of(const struct frame *fr)
{
	return pg_rd32(fr->d + PG_ETH_LEN + 20 + 8);
}

static uint8_t tcp_flags_of(const struct frame *fr)
{
	return fr->d[PG_ETH_LEN + 20 + 13];
}

/* The recorded 1,771-byte ClientHello (SNI api.github.com): more than one segment. */
static uint8_t *large_hello(size_t *n)
{
	uint8_t *hello = egw_testdata_load("tls_pq_large.bin", n);

	CU_ASSERT_PTR_NOT_NULL_FATAL(hello);
	CU_ASSERT_FATAL(*n > 1460);
	return hello;
}

/* The end of a host test: nothing waits or is held any more; everything is freed. */
static void host_teardown(struct egw_policy_slots *sl, uint8_t *data)
{
	CU_ASSERT_EQUAL(W(0)->host->pending_live, 0);
	CU_ASSERT_EQUAL(W(0)->host->held_total, 0);
	free(data);
	dp_teardown();
	egw_policy_slots_fini(sl);
}

/* The client's first bytes split in two and delivered second half first: held until the name
 * is read, then both leave in sequence order and the flow is an ordinary one that keeps its
 * name. A retransmission of held data is dropped; after the decision it passes. */
static void test_pipeline_host_allowed_reordered(void)
{
	static char *hosts[] = { "api.github.com" };
	struct egw_policy_conf pol[1];
	struct egw_policy_slots sl;
	const struct egw_flow_name *fn;
	struct frame fr[4];
	struct egw_worker_stats st;
	struct egw_flow *f;
	size_t n = 0;
	uint8_t *hello = large_hello(&n);

	host_policy(&pol[0], "github", hosts, 1, EGW_PROTO_TLS, EGW_ACTION_ALLOW, 0);
	host_setup(&sl, pol, 1, 16384, 1 << 20);
	f = host_handshake();
	client_seg(ISN_C + 1 + 1000, EGW_TCP_ACK | EGW_TCP_PSH, hello + 1000, (uint16_t)(n - 1000));
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	/* Nothing new: dropped, counted. */
	client_seg(ISN_C + 1 + 1200, EGW_TCP_ACK, hello + 1200, 100);
	CU_ASSERT_EQUAL(drops(EGW_DROP_HOST_HOLD_DUPLICATE), 1);
	CU_ASSERT(f->flags & EGW_FLOW_F_PENDING);
	client_seg(ISN_C + 1, EGW_TCP_ACK, hello, 1000);
	CU_ASSERT_EQUAL_FATAL(take(fr, 4), 2);
	CU_ASSERT_EQUAL(fr[0].port, port_out);
	CU_ASSERT_EQUAL(fr[1].port, port_out);
	CU_ASSERT_EQUAL(tcp_seq_of(&fr[0]), ISN_C + 1);
	CU_ASSERT_EQUAL(tcp_seq_of(&fr[1]), ISN_C + 1 + 1000);
	CU_ASSERT_EQUAL(memcmp(fr[0].d + fr[0].len - 1000, hello, 1000), 0);
	CU_ASSERT(pg_l4_csum_ok(fr[1].d + PG_ETH_LEN));
	CU_ASSERT_FALSE(f->flags & EGW_FLOW_F_PENDING);
	fn = egw_host_name_of(W(0)->host, egw_flow_index(W(0)->ft, f));
	CU_ASSERT_PTR_NOT_NULL_FATAL(fn);
	CU_ASSERT_STRING_EQUAL(fn->name, "api.github.com");
	CU_ASSERT_EQUAL(fn->seen, EGW_SEEN_TLS);
	/* An ordinary flow now: a retransmission goes on. */
	client_seg(ISN_C + 1, EGW_TCP_ACK, hello, 1000);
	CU_ASSERT_EQUAL(take(NULL, 0), 1);
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.host_pending, 1);
	CU_ASSERT_EQUAL(st.host_allowed, 1);
	host_teardown(&sl, hello);
}

/* Overlapping segments (a retransmission re-cut by the client) make one stream. */
static void test_pipeline_host_overlap(void)
{
	static char *hosts[] = { "*.github.com" };
	struct egw_policy_conf pol[1];
	struct egw_policy_slots sl;
	struct frame fr[4];
	size_t n = 0;
	uint8_t *hello = large_hello(&n);

	host_policy(&pol[0], "github", hosts, 1, EGW_PROTO_TLS, EGW_ACTION_ALLOW, 0);
	host_setup(&sl, pol, 1, 16384, 1 << 20);
	host_handshake();
	client_seg(ISN_C + 1, EGW_TCP_ACK, hello, 1000);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	client_seg(ISN_C + 1 + 600, EGW_TCP_ACK, hello + 600, (uint16_t)(n - 600));
	CU_ASSERT_EQUAL(take(fr, 4), 2);
	CU_ASSERT_EQUAL(tcp_seq_of(&fr[0]), ISN_C + 1);
	CU_ASSERT_EQUAL(tcp_seq_of(&fr[1]), ISN_C + 1 + 600);
	host_teardown(&sl, hello);
}

/* Checks the two resets a refused pending flow sends: to the client from SERVER:443 at the
 * client's own acknowledgement number, to the server at the first data byte. */
static void check_host_resets(const struct frame *fr, unsigned n)
{
	unsigned to_client = 0, to_server = 0;

	for (unsigned i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(tcp_flags_of(&fr[i]), EGW_TCP_RST | EGW_TCP_ACK);
		CU_ASSERT(pg_l4_csum_ok(fr[i].d + PG_ETH_LEN));
		if (fr[i].port == port_in) {
			to_client++;
			CU_ASSERT_EQUAL(pg_rd32(fr[i].d + PG_ETH_LEN + 16), CLIENT);
			CU_ASSERT_EQUAL(tcp_seq_of(&fr[i]), ISN_S + 1);
			CU_ASSERT_EQUAL(tcp_ack_of(&fr[i]) - (ISN_C + 1) < 65536, 1);
		} else {
			to_server++;
			CU_ASSERT_EQUAL(pg_rd32(fr[i].d + PG_ETH_LEN + 16), SERVER);
			CU_ASSERT_EQUAL(tcp_seq_of(&fr[i]), ISN_C + 1);
		}
	}
	CU_ASSERT_EQUAL(to_client, 1);
	CU_ASSERT_EQUAL(to_server, 1);
}

/* A name no rule allows: the held data is dropped, both ends get a RST they accept, and a
 * later segment is answered with a RST as for a revoked flow. */
static void test_pipeline_host_denied_resets(void)
{
	static char *hosts[] = { "www.example.org" };
	struct egw_policy_conf pol[1];
	struct egw_policy_slots sl;
	struct frame fr[4];
	struct egw_flow *f;
	size_t n = 0;
	uint8_t *hello = large_hello(&n);

	host_policy(&pol[0], "example", hosts, 1, EGW_PROTO_TLS, EGW_ACTION_ALLOW, 0);
	host_setup(&sl, pol, 1, 16384, 1 << 20);
	f = host_handshake();
	client_seg(ISN_C + 1, EGW_TCP_ACK, hello, 1000);
	client_seg(ISN_C + 1 + 1000, EGW_TCP_ACK, hello + 1000, (uint16_t)(n - 1000));
	CU_ASSERT_EQUAL_FATAL(take(fr, 4), 2);
	check_host_resets(fr, 2);
	/* The client's data is dropped, counted for the reason; the resets are new packets. */
	CU_ASSERT_EQUAL(drops(EGW_DROP_HOST_DENIED), 2);
	CU_ASSERT_EQUAL(W(0)->stats.rst_sent, 2);
	CU_ASSERT(f->flags & EGW_FLOW_F_REVOKED);
	CU_ASSERT_FALSE(f->flags & EGW_FLOW_F_PENDING);
	CU_ASSERT_EQUAL(f->state, EGW_TCP_RESET);
	client_seg(ISN_C + 1, EGW_TCP_ACK, hello, 1000);
	CU_ASSERT_EQUAL(take(fr, 4), 1);
	CU_ASSERT_EQUAL(fr[0].port, port_in);
	CU_ASSERT_EQUAL(tcp_flags_of(&fr[0]), EGW_TCP_RST | EGW_TCP_ACK);
	CU_ASSERT_EQUAL(drops(EGW_DROP_POLICY_REVOKED), 1);
	CU_ASSERT_EQUAL(W(0)->host->pending_live, 0);
	/* Closed as by an RST: finished (time-wait gauge) until its timeout takes it away. */
	CU_ASSERT_EQUAL(stat_time_wait(), 1);
	W(0)->now += 100000;
	egw_pipeline_expire(W(0));
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 0);
	CU_ASSERT_EQUAL(stat_time_wait(), 0);
	host_teardown(&sl, hello);
}

/* Bytes that are not TLS where only tls rules apply; an HTTP request with a Host no rule
 * lists; a ClientHello with ECH under ech = deny. Each is refused for its own reason. */
static void test_pipeline_host_reasons(void)
{
	static const uint8_t ssh[] = "SSH-2.0-OpenSSH_9.2\r\n";
	static char *hosts[] = { "api.github.com" };
	struct egw_policy_conf pol[2];
	struct egw_policy_slots sl;
	struct frame fr[4];
	size_t n = 0;
	uint8_t *d;

	host_policy(&pol[0], "tls-any", NULL, 0, EGW_PROTO_TLS, EGW_ACTION_ALLOW, 0);
	host_setup(&sl, pol, 1, 16384, 1 << 20);
	host_handshake();
	client_seg(ISN_C + 1, EGW_TCP_ACK, ssh, sizeof(ssh) - 1);
	CU_ASSERT_EQUAL(take(fr, 4), 2);
	check_host_resets(fr, 2);
	CU_ASSERT_EQUAL(W(0)->stats.host_denied, 1);
	CU_ASSERT_EQUAL(drops(EGW_DROP_HOST_PROTOCOL_MISMATCH), 1);
	dp_teardown();
	egw_policy_slots_fini(&sl);

	/* HTTP: a Host the http rule does not list. */
	host_policy(&pol[0], "http", hosts, 1, EGW_PROTO_HTTP, EGW_ACTION_ALLOW, 0);
	host_setup(&sl, pol, 1, 16384, 1 << 20);
	host_handshake();
	d = egw_testdata_load("http_curl.bin", &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	client_seg(ISN_C + 1, EGW_TCP_ACK, d, (uint16_t)n);
	free(d);
	CU_ASSERT_EQUAL(take(fr, 4), 2);
	check_host_resets(fr, 2);
	CU_ASSERT_EQUAL(W(0)->policy[0].denied, 1);
	CU_ASSERT_EQUAL(drops(EGW_DROP_HOST_DENIED), 1);
	dp_teardown();
	egw_policy_slots_fini(&sl);

	/* ech = deny: refused before any rule. */
	host_policy(&pol[0], "tls-any", NULL, 0, EGW_PROTO_TLS, EGW_ACTION_ALLOW, 0);
	CU_ASSERT_EQUAL_FATAL(egw_policy_slots_init(&sl, "ut_pl_host"), 0);
	dp_setup(&(struct dp_opts){ .mode = EGW_MODE_POLICY });
	F.conf->egress.host_timeout = 10;
	F.conf->egress.host_hold_bytes = 16384;
	F.conf->egress.host_hold_total = 1 << 20;
	F.conf->egress.ech = EGW_ECH_DENY;
	publish_policies(&sl, pol, 1);
	host_handshake();
	d = egw_testdata_load("tls_ech.bin", &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	client_seg(ISN_C + 1, EGW_TCP_ACK, d, (uint16_t)n);
	free(d);
	CU_ASSERT_EQUAL(take(fr, 4), 2);
	check_host_resets(fr, 2);
	CU_ASSERT_EQUAL(drops(EGW_DROP_HOST_ECH), 1);
	dp_teardown();
	egw_policy_slots_fini(&sl);
}

/* The limits: a segment past host_hold_bytes decides the flow (host_unknown); a worker holding
 * host_hold_total drops what would go beyond (host_hold_full); nothing readable within
 * host_timeout: host_unknown at the next timeout scan. */
static void test_pipeline_host_limits(void)
{
	static char *hosts[] = { "api.github.com" };
	struct egw_policy_conf pol[1];
	struct egw_policy_slots sl;
	struct frame fr[4];
	struct egw_worker_stats st;
	size_t n = 0;
	uint8_t *hello = large_hello(&n);

	host_policy(&pol[0], "github", hosts, 1, EGW_PROTO_TLS, EGW_ACTION_ALLOW, 0);
	host_setup(&sl, pol, 1, 2048, 1 << 20);
	host_handshake();
	client_seg(ISN_C + 1, EGW_TCP_ACK, hello, 1000);
	client_seg(ISN_C + 1 + 1500, EGW_TCP_ACK, hello + 200, 1000);
	CU_ASSERT_EQUAL(take(fr, 4), 2);
	check_host_resets(fr, 2);
	CU_ASSERT_EQUAL(drops(EGW_DROP_HOST_UNKNOWN), 2);
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.host_hold_limit, 1);
	dp_teardown();
	egw_policy_slots_fini(&sl);

	/* One worker holds at most host_hold_total frame bytes. */
	host_setup(&sl, pol, 1, 16384, 1500);
	host_handshake();
	client_seg(ISN_C + 1, EGW_TCP_ACK, hello, 1000);
	client_seg(ISN_C + 1 + 1000, EGW_TCP_ACK, hello + 1000, 700);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(drops(EGW_DROP_HOST_HOLD_FULL), 1);
	CU_ASSERT_EQUAL(W(0)->host->pending_live, 1);
	/* No name within host_timeout: refused at the next scan, resets to both ends. */
	W(0)->now += 9;
	egw_pipeline_expire(W(0));
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	W(0)->now += 2;
	egw_pipeline_expire(W(0));
	CU_ASSERT_EQUAL(take(fr, 4), 2);
	check_host_resets(fr, 2);
	CU_ASSERT_EQUAL(drops(EGW_DROP_HOST_UNKNOWN), 1);
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.host_timeouts, 1);
	host_teardown(&sl, hello);
}

/* A pending flow that ends before its name is read (expiry, the client's RST) gives its held
 * packets back: nothing leaks, each counted once. */
static void test_pipeline_host_flow_ends(void)
{
	static char *hosts[] = { "api.github.com" };
	struct egw_policy_conf pol[1];
	struct egw_policy_slots sl;
	size_t n = 0;
	uint8_t *hello = large_hello(&n);

	host_policy(&pol[0], "github", hosts, 1, EGW_PROTO_TLS, EGW_ACTION_ALLOW, 0);
	host_setup(&sl, pol, 1, 16384, 1 << 20);
	host_handshake();
	client_seg(ISN_C + 1, EGW_TCP_ACK, hello, 1000);
	client_seg(ISN_C + 1 + 1000, EGW_TCP_RST, NULL, 0);
	CU_ASSERT_EQUAL(take(NULL, 0), 1); /* the RST goes on */
	CU_ASSERT_EQUAL(drops(EGW_DROP_HOST_UNKNOWN), 1);
	/* Still waiting: the same ports again start over (a new SYN), then it expires. */
	CU_ASSERT_EQUAL(W(0)->host->pending_live, 1);
	CU_ASSERT_EQUAL(W(0)->host->held_total, 0);
	client_seg(ISN_C, EGW_TCP_SYN, NULL, 0);
	CU_ASSERT_EQUAL(take(NULL, 0), 1);
	client_seg(ISN_C + 1, EGW_TCP_ACK, hello, 1000);
	CU_ASSERT_EQUAL(W(0)->host->pending_live, 1);
	CU_ASSERT_EQUAL(egw_flow_flush(W(0)->ft, egw_flow_expired, W(0)), 1);
	CU_ASSERT_EQUAL(drops(EGW_DROP_HOST_UNKNOWN), 2);
	CU_ASSERT_EQUAL(W(0)->host->pending_live, 0);
	host_teardown(&sl, hello);
}

/* A connection a name admitted closes; the client opens a new one from the same port to the
 * same address and port while the flow is still in the table: the new one's name is read
 * again, and a name no rule allows is refused (a CDN address serves many names). */
static void test_pipeline_host_port_reuse(void)
{
	static char *hosts[] = { "api.github.com" };
	struct egw_policy_conf pol[1];
	struct egw_policy_slots sl;
	struct frame fr[4];
	struct egw_flow *f;
	size_t n = 0;
	uint8_t *hello = large_hello(&n);

	host_policy(&pol[0], "github", hosts, 1, EGW_PROTO_TLS, EGW_ACTION_ALLOW, 0);
	host_setup(&sl, pol, 1, 16384, 1 << 20);
	f = host_handshake();
	client_seg(ISN_C + 1, EGW_TCP_ACK, hello, 1000);
	client_seg(ISN_C + 1 + 1000, EGW_TCP_ACK, hello + 1000, (uint16_t)(n - 1000));
	CU_ASSERT_EQUAL(take(NULL, 0), 2); /* allowed: both segments */
	CU_ASSERT_FALSE(f->flags & EGW_FLOW_F_PENDING);
	client_seg(ISN_C + 1 + (uint32_t)n, EGW_TCP_RST | EGW_TCP_ACK, NULL, 0);
	CU_ASSERT_EQUAL(take(NULL, 0), 1);
	CU_ASSERT_EQUAL(f->state, EGW_TCP_RESET);
	/* The same ports again: waiting for the new connection's name. */
	CU_ASSERT(find_flow(W(0), IPPROTO_TCP, 40000, SERVER, 443) == host_handshake());
	CU_ASSERT_PTR_NULL(egw_host_name_of(W(0)->host, egw_flow_index(W(0)->ft, f)));
	for (size_t i = 0; i + 14 <= n; i++)
		if (memcmp(hello + i, "api.github.com", 14) == 0)
			memcpy(hello + i, "api.gitlab.com", 14);
	client_seg(ISN_C + 1, EGW_TCP_ACK, hello, 1000);
	client_seg(ISN_C + 1 + 1000, EGW_TCP_ACK, hello + 1000, (uint16_t)(n - 1000));
	CU_ASSERT_EQUAL(take(fr, 4), 2);
	check_host_resets(fr, 2);
	CU_ASSERT_EQUAL(drops(EGW_DROP_HOST_DENIED), 2);
	host_teardown(&sl, hello);
}

/* The flow log names the host: a start record (logged only once the flow is decided) and a
 * deny record carry the name in the records after them. */
static void test_pipeline_host_flow_log(void)
{
	static char *hosts[] = { "api.github.com" };
	struct egw_flowlog_rec recs[16];
	struct egw_policy_conf pol[1];
	struct egw_policy_slots sl;
	unsigned n_recs;
	size_t n = 0;
	uint8_t *hello = egw_testdata_load("tls_curl.bin", &n);

	CU_ASSERT_PTR_NOT_NULL_FATAL(hello);
	host_policy(&pol[0], "github", hosts, 1, EGW_PROTO_TLS, EGW_ACTION_ALLOW, 0);
	pol[0].log = true;
	host_setup_log(&sl, pol, 1, 16384, 1 << 20, true);
	host_handshake();
	CU_ASSERT_EQUAL(egw_worker_take_flowlog(W(0), recs, 16), 0);
	client_seg(ISN_C + 1, EGW_TCP_ACK, hello, (uint16_t)n);
	CU_ASSERT_EQUAL(take(NULL, 0), 1);
	n_recs = egw_worker_take_flowlog(W(0), recs, 16);
	CU_ASSERT_EQUAL_FATAL(n_recs, 2);
	CU_ASSERT_EQUAL(recs[0].event, EGW_EV_START);
	CU_ASSERT_EQUAL(recs[0].name_len, 14);
	CU_ASSERT_EQUAL(recs[0].name_flags, EGW_FLOWLOG_NAME_TLS);
	CU_ASSERT_EQUAL(memcmp(&recs[1], "api.github.com", 14), 0);
	dp_teardown();
	egw_policy_slots_fini(&sl);

	hosts[0] = "www.example.org";
	host_setup_log(&sl, pol, 1, 16384, 1 << 20, true);
	host_handshake();
	client_seg(ISN_C + 1, EGW_TCP_ACK, hello, (uint16_t)n);
	CU_ASSERT_EQUAL(take(NULL, 0), 2);
	n_recs = egw_worker_take_flowlog(W(0), recs, 16);
	CU_ASSERT_EQUAL_FATAL(n_recs, 2);
	CU_ASSERT_EQUAL(recs[0].event, EGW_EV_DENY);
	CU_ASSERT_EQUAL(recs[0].reason, EGW_DROP_HOST_DENIED);
	CU_ASSERT_EQUAL(recs[0].name_len, 14);
	CU_ASSERT_EQUAL(memcmp(&recs[1], "api.github.com", 14), 0);
	hosts[0] = "api.github.com";
	host_teardown(&sl, hello);
}

/* ---- late binding (late_bind.c): the handshake answered with a cookie, then spliced ---- */

#define TS_C 100u  /* the client's timestamp clock */
#define TS_S 7000u /* the server's */

/* A segment of the client's connection (port 40000 to SERVER:443) with timestamps (TSVAL,
 * TSECR) and, on a SYN, MSS 1460, SACK-permitted and window scale 7; LEN bytes of DATA. */
static void late_seg(uint16_t port, bool from_srv, uint8_t flags, uint32_t seq, uint32_t ack,
	uint32_t tsval, uint32_t tsecr, const uint8_t *data, uint16_t len)
{
	struct pg_pkt p = from_srv ? from_server(IPPROTO_TCP, 443, 0, 0) :
				     from_client(IPPROTO_TCP, 40000, SERVER, 443);
	const bool syn = flags & EGW_TCP_SYN;
	uint8_t f[PG_FRAME_MAX], *o;
	size_t n;

	if (from_srv) {
		const struct egw_flow *fl = find_flow(W(0), IPPROTO_TCP, 40000, SERVER, 443);

		CU_ASSERT_PTR_NOT_NULL_FATAL(fl);
		p.dst = rte_be_to_cpu_32(fl->nat_addr);
		p.dport = rte_be_to_cpu_16(fl->nat_port);
	}
	p.tcp_flags = flags;
	p.seq = seq;
	p.ack = ack;
	p.tcp_doff = syn ? 10 : 8;
	p.payload_len = len;
	n = bld(f, &p);
	o = f + PG_ETH_LEN + 20 + 20;
	if (syn) {
		static const uint8_t head[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10 };
		memcpy(o, head, sizeof(head));
		o += sizeof(head);
	} else {
		static const uint8_t head[] = { 1, 1, 8, 10 };
		memcpy(o, head, sizeof(head));
		o += sizeof(head);
	}
	pg_wr32(o, tsval);
	pg_wr32(o + 4, tsecr);
	if (syn) {
		static const uint8_t ws[] = { 1, 3, 3, 7 };
		memcpy(o + 8, ws, sizeof(ws));
	}
	if (len)
		memcpy(f + n - len, data, len);
	pg_fix_l4_csum(f + PG_ETH_LEN);
	rx_on(W(0), port, f, n);
}

/* The TSval of frame FR's timestamps option (0 if none). */
static uint32_t tsval_of(const struct frame *fr)
{
	const uint8_t *th = fr->d + PG_ETH_LEN + 20;
	unsigned end = (th[12] >> 4) * 4u;

	for (unsigned i = 20; i + 1 < end;) {
		if (th[i] == 0)
			break;
		if (th[i] == 1) {
			i++;
			continue;
		}
		if (th[i] == 8)
			return pg_rd32(th + i + 2);
		i += th[i + 1] ? th[i + 1] : 1;
	}
	return 0;
}

/* A policy-mode data plane binding late with the policies POL. */
static void late_setup(struct egw_policy_slots *sl, struct egw_policy_conf *pol, unsigned n)
{
	CU_ASSERT_EQUAL_FATAL(egw_policy_slots_init(sl, "ut_pl_late"), 0);
	dp_setup(&(struct dp_opts){ .mode = EGW_MODE_POLICY });
	F.conf->egress.host_timeout = 10;
	F.conf->egress.host_hold_bytes = 16384;
	F.conf->egress.host_hold_total = 1 << 20;
	F.conf->egress.host_binding = EGW_BINDING_LATE;
	publish_policies(sl, pol, n);
}

/* The client's SYN answered with our cookie (no flow), its ACK proving it (a flow waiting for
 * its name, nothing sent). Returns the cookie; *OUR_TS: our SYN-ACK's TSval. */
static uint32_t late_handshake(uint32_t *our_ts)
{
	struct frame fr[2];
	const struct egw_flow *f;
	uint32_t cookie;

	late_seg(port_in, false, EGW_TCP_SYN, ISN_C, 0, TS_C, 0, NULL, 0);
	CU_ASSERT_EQUAL_FATAL(take(fr, 2), 1);
	CU_ASSERT_EQUAL(fr[0].port, port_in);
	CU_ASSERT_EQUAL(tcp_flags_of(&fr[0]), EGW_TCP_SYN | EGW_TCP_ACK);
	CU_ASSERT_EQUAL(tcp_ack_of(&fr[0]), ISN_C + 1);
	CU_ASSERT(pg_l4_csum_ok(fr[0].d + PG_ETH_LEN));
	CU_ASSERT_PTR_NULL(find_flow(W(0), IPPROTO_TCP, 40000, SERVER, 443));
	cookie = tcp_seq_of(&fr[0]);
	*our_ts = tsval_of(&fr[0]);
	CU_ASSERT_NOT_EQUAL(*our_ts, 0);
	/* A forged ACK proves nothing: no flow. */
	late_seg(port_in, false, EGW_TCP_ACK, ISN_C + 1, cookie + 2, TS_C + 1, *our_ts, NULL, 0);
	CU_ASSERT_PTR_NULL(find_flow(W(0), IPPROTO_TCP, 40000, SERVER, 443));
	late_seg(port_in, false, EGW_TCP_ACK, ISN_C + 1, cookie + 1, TS_C + 1, *our_ts, NULL, 0);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(drops(EGW_DROP_LATE_ABSORBED), 1);
	f = find_flow(W(0), IPPROTO_TCP, 40000, SERVER, 443);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT(f->late & EGW_LATE_BOUND);
	CU_ASSERT(f->flags & EGW_FLOW_F_PENDING);
	return cookie;
}

/* The recorded hello (N > 1400 bytes) of the client in two segments, after the handshake that
 * gave COOKIE and OUR_TS. */
static void late_hello(uint32_t cookie, uint32_t our_ts, const uint8_t *hello, size_t n)
{
	late_seg(port_in, false, EGW_TCP_ACK, ISN_C + 1, cookie + 1, TS_C + 2, our_ts, hello, 1400);
	late_seg(port_in, false, EGW_TCP_ACK, ISN_C + 1 + 1400, cookie + 1, TS_C + 2, our_ts,
		hello + 1400, (uint16_t)(n - 1400));
}

/* Allowed: our SYN leaves with the client's ISN from the pool, the server's SYN-ACK is
 * acknowledged, the held hello follows with the server's sequence space in its ACK and
 * TSecr, and the server's data reaches the client in ours. */
static void test_pipeline_late_allowed(void)
{
	static char *hosts[] = { "api.github.com" };
	struct egw_policy_conf pol[1];
	struct egw_policy_slots sl;
	struct egw_worker_stats st;
	struct frame fr[4];
	uint32_t cookie, our_ts;
	const uint16_t first = 1000;
	size_t n = 0;
	uint8_t *hello = large_hello(&n);
	struct egw_flow *f;

	host_policy(&pol[0], "github", hosts, 1, EGW_PROTO_TLS, EGW_ACTION_ALLOW, 0);
	late_setup(&sl, pol, 1);
	cookie = late_handshake(&our_ts);
	f = find_flow(W(0), IPPROTO_TCP, 40000, SERVER, 443);
	late_seg(port_in, false, EGW_TCP_ACK, ISN_C + 1, cookie + 1, TS_C + 2, our_ts, hello,
		first);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	late_seg(port_in, false, EGW_TCP_ACK | EGW_TCP_PSH, ISN_C + 1 + first, cookie + 1, TS_C + 3,
		our_ts, hello + first, (uint16_t)(n - first));
	/* decided: our SYN, from the pool, with the client's ISN and timestamp clock */
	CU_ASSERT_EQUAL_FATAL(take(fr, 4), 1);
	CU_ASSERT_EQUAL(fr[0].port, port_out);
	CU_ASSERT_EQUAL(tcp_flags_of(&fr[0]), EGW_TCP_SYN);
	CU_ASSERT_EQUAL(tcp_seq_of(&fr[0]), ISN_C);
	CU_ASSERT_EQUAL(tsval_of(&fr[0]), TS_C + 3);
	CU_ASSERT(is_pool_addr(pg_rd32(fr[0].d + PG_ETH_LEN + 12)));
	CU_ASSERT(f->flags & EGW_FLOW_F_NAT);
	/* a retransmission meanwhile is held no more than once; our SYN goes again */
	late_seg(port_in, false, EGW_TCP_ACK, ISN_C + 1, cookie + 1, TS_C + 4, our_ts, hello,
		first);
	CU_ASSERT_EQUAL(drops(EGW_DROP_HOST_HOLD_DUPLICATE), 1);
	W(0)->now++; /* at most one SYN a second */
	late_seg(port_in, false, EGW_TCP_ACK, ISN_C + 1, cookie + 1, TS_C + 4, our_ts, hello,
		first);
	CU_ASSERT_EQUAL_FATAL(take(fr, 4), 1);
	CU_ASSERT_EQUAL(tcp_flags_of(&fr[0]), EGW_TCP_SYN);
	/* the server's SYN-ACK: our ACK, then the held hello, both in its sequence space */
	late_seg(port_out, true, EGW_TCP_SYN | EGW_TCP_ACK, ISN_S, ISN_C + 1, TS_S, TS_C + 4, NULL,
		0);
	CU_ASSERT_EQUAL_FATAL(take(fr, 4), 3);
	CU_ASSERT_EQUAL(fr[0].port, port_out);
	CU_ASSERT_EQUAL(tcp_flags_of(&fr[0]), EGW_TCP_ACK);
	CU_ASSERT_EQUAL(tcp_seq_of(&fr[0]), ISN_C + 1);
	CU_ASSERT_EQUAL(tcp_ack_of(&fr[0]), ISN_S + 1);
	for (unsigned i = 1; i < 3; i++) {
		CU_ASSERT_EQUAL(fr[i].port, port_out);
		CU_ASSERT_EQUAL(tcp_ack_of(&fr[i]), ISN_S + 1);
		CU_ASSERT(pg_l4_csum_ok(fr[i].d + PG_ETH_LEN));
	}
	CU_ASSERT_EQUAL(tcp_seq_of(&fr[1]), ISN_C + 1);
	CU_ASSERT_EQUAL(memcmp(fr[1].d + fr[1].len - first, hello, first), 0);
	CU_ASSERT(f->late & EGW_LATE_SPLICED);
	/* the server's answer reaches the client in the sequence space of our SYN-ACK */
	late_seg(port_out, true, EGW_TCP_ACK, ISN_S + 1, ISN_C + 1 + (uint32_t)n, TS_S + 5,
		TS_C + 4, hello, 100);
	CU_ASSERT_EQUAL_FATAL(take(fr, 4), 1);
	CU_ASSERT_EQUAL(fr[0].port, port_in);
	CU_ASSERT_EQUAL(tcp_seq_of(&fr[0]), cookie + 1);
	CU_ASSERT_EQUAL(tsval_of(&fr[0]), our_ts + 5);
	CU_ASSERT(pg_l4_csum_ok(fr[0].d + PG_ETH_LEN));
	/* and the client's ACK of it reaches the server in its own */
	late_seg(port_in, false, EGW_TCP_ACK, ISN_C + 1 + (uint32_t)n, cookie + 101, TS_C + 6,
		our_ts + 5, NULL, 0);
	CU_ASSERT_EQUAL_FATAL(take(fr, 4), 1);
	CU_ASSERT_EQUAL(tcp_ack_of(&fr[0]), ISN_S + 101);
	CU_ASSERT(pg_l4_csum_ok(fr[0].d + PG_ETH_LEN));
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.late_cookies_sent, 1);
	CU_ASSERT_EQUAL(st.late_cookies_valid, 1);
	CU_ASSERT_EQUAL(st.late_cookies_failed, 1);
	CU_ASSERT_EQUAL(st.late_spliced, 1);
	CU_ASSERT_EQUAL(st.late_pending, 0);
	CU_ASSERT_EQUAL(st.tcp_half_open, 0);
	CU_ASSERT_EQUAL(st.drops[EGW_DROP_TCP_OUT_OF_WINDOW], 0);
	host_teardown(&sl, hello);
}

/* Denied: only the client is reset, the server never sees a SYN. */
static void test_pipeline_late_denied(void)
{
	static char *deny[] = { "api.github.com" }, *allow[] = { "other.example" };
	struct egw_policy_conf pol[2];
	struct egw_policy_slots sl;
	struct egw_worker_stats st;
	struct frame fr[4];
	uint32_t cookie, our_ts;
	size_t n = 0;
	uint8_t *hello = large_hello(&n);

	host_policy(&pol[0], "bad", deny, 1, EGW_PROTO_TLS, EGW_ACTION_DENY, 0);
	host_policy(&pol[1], "good", allow, 1, EGW_PROTO_TLS, EGW_ACTION_ALLOW, 1);
	late_setup(&sl, pol, 2);
	cookie = late_handshake(&our_ts);
	late_hello(cookie, our_ts, hello, n);
	CU_ASSERT_EQUAL_FATAL(take(fr, 4), 1);
	CU_ASSERT_EQUAL(fr[0].port, port_in);
	CU_ASSERT(tcp_flags_of(&fr[0]) & EGW_TCP_RST);
	CU_ASSERT_EQUAL(tcp_seq_of(&fr[0]), cookie + 1);
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.late_denied, 1);
	CU_ASSERT_EQUAL(st.drops[EGW_DROP_HOST_DENIED], 2);
	CU_ASSERT_EQUAL(st.late_pending, 0);
	host_teardown(&sl, hello);
}

/* The server refuses our SYN: the client is reset at the sequence number it expects, the held
 * data dropped with the server's RST (late_upstream_failed). */
static void test_pipeline_late_upstream_rst(void)
{
	static char *hosts[] = { "api.github.com" };
	struct egw_policy_conf pol[1];
	struct egw_policy_slots sl;
	struct egw_worker_stats st;
	struct frame fr[4];
	uint32_t cookie, our_ts;
	size_t n = 0;
	uint8_t *hello = large_hello(&n);

	host_policy(&pol[0], "github", hosts, 1, EGW_PROTO_TLS, EGW_ACTION_ALLOW, 0);
	late_setup(&sl, pol, 1);
	cookie = late_handshake(&our_ts);
	late_hello(cookie, our_ts, hello, n);
	CU_ASSERT_EQUAL(take(NULL, 0), 1); /* our SYN */
	late_seg(port_out, true, EGW_TCP_RST | EGW_TCP_ACK, 0, ISN_C + 1, 0, 0, NULL, 0);
	CU_ASSERT_EQUAL_FATAL(take(fr, 4), 1);
	CU_ASSERT_EQUAL(fr[0].port, port_in);
	CU_ASSERT_EQUAL(tcp_flags_of(&fr[0]), EGW_TCP_RST);
	CU_ASSERT_EQUAL(tcp_seq_of(&fr[0]), cookie + 1);
	CU_ASSERT(pg_l4_csum_ok(fr[0].d + PG_ETH_LEN));
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.late_upstream_rst, 1);
	CU_ASSERT_EQUAL(st.drops[EGW_DROP_LATE_UPSTREAM_FAILED], 3); /* the RST, two held */
	CU_ASSERT_EQUAL(st.late_pending, 0);

	host_teardown(&sl, hello);
}

/* A cookie ACK that a reload decided otherwise (the port no longer waits for a name, some other
 * still binds late): the client is reset (late_stale), no flow made. */
static void test_pipeline_late_stale(void)
{
	static char *hosts[] = { "api.github.com" };
	static struct egw_port_range alt = { 8443, 8443 };
	struct egw_policy_conf pol[2];
	struct egw_policy_slots sl;
	struct frame fr[2];
	uint32_t cookie, our_ts;

	host_policy(&pol[0], "github", hosts, 1, EGW_PROTO_TLS, EGW_ACTION_ALLOW, 0);
	late_setup(&sl, pol, 1);
	late_seg(port_in, false, EGW_TCP_SYN, ISN_C, 0, TS_C, 0, NULL, 0);
	CU_ASSERT_EQUAL_FATAL(take(fr, 2), 1);
	cookie = tcp_seq_of(&fr[0]);
	our_ts = tsval_of(&fr[0]);
	pol[0].ports = &alt;
	host_policy(&pol[1], "web", NULL, 0, EGW_PROTO_TCP, EGW_ACTION_ALLOW, 1);
	publish_policies(&sl, pol, 2);
	late_seg(port_in, false, EGW_TCP_ACK, ISN_C + 1, cookie + 1, TS_C + 1, our_ts, NULL, 0);
	CU_ASSERT_EQUAL_FATAL(take(fr, 2), 1);
	CU_ASSERT_EQUAL(fr[0].port, port_in);
	CU_ASSERT(tcp_flags_of(&fr[0]) & EGW_TCP_RST);
	CU_ASSERT_EQUAL(drops(EGW_DROP_LATE_STALE), 1);
	CU_ASSERT_PTR_NULL(find_flow(W(0), IPPROTO_TCP, 40000, SERVER, 443));
	host_teardown(&sl, NULL);
}

/* [flows] syn_cookies = auto: past syn_cookie_rate SYNs a second, a flow no host rule decides
 * gets a cookie too; its ACK sends our SYN at once (no name to wait for), and it is spliced. */
static void test_pipeline_syn_cookies_auto(void)
{
	struct egw_policy_conf pol[1];
	struct egw_policy_slots sl;
	struct egw_worker_stats st;
	struct frame fr[4];
	struct pg_pkt p = from_client(IPPROTO_TCP, 40001, SERVER, 443);
	uint32_t cookie, our_ts;
	uint8_t data[100] = { 1 };

	host_policy(&pol[0], "web", NULL, 0, EGW_PROTO_TCP, EGW_ACTION_ALLOW, 0);
	CU_ASSERT_EQUAL_FATAL(egw_policy_slots_init(&sl, "ut_pl_syn"), 0);
	dp_setup(&(struct dp_opts){ .mode = EGW_MODE_POLICY });
	F.conf->flows.syn_cookies = EGW_SYN_COOKIES_AUTO;
	F.conf->flows.syn_cookie_rate = 1;
	F.conf->flows.syn_cookie_half_open = 1000;
	publish_policies(&sl, pol, 1);
	/* the first SYN of the second: under the rate, it passes as ever */
	p.tcp_flags = EGW_TCP_SYN;
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL_FATAL(take(fr, 4), 1);
	CU_ASSERT_EQUAL(fr[0].port, port_out);
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.tcp_half_open, 1);
	CU_ASSERT_EQUAL(st.syn_cookie_mode, 0);
	/* the second: a cookie */
	late_seg(port_in, false, EGW_TCP_SYN, ISN_C, 0, TS_C, 0, NULL, 0);
	CU_ASSERT_EQUAL_FATAL(take(fr, 4), 1);
	CU_ASSERT_EQUAL(fr[0].port, port_in);
	CU_ASSERT_EQUAL(tcp_flags_of(&fr[0]), EGW_TCP_SYN | EGW_TCP_ACK);
	cookie = tcp_seq_of(&fr[0]);
	our_ts = tsval_of(&fr[0]);
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.syn_cookie_mode, 1);
	CU_ASSERT_EQUAL(st.syn_cookie_activations, 1);
	/* its ACK: our SYN at once */
	late_seg(port_in, false, EGW_TCP_ACK, ISN_C + 1, cookie + 1, TS_C + 1, our_ts, NULL, 0);
	CU_ASSERT_EQUAL_FATAL(take(fr, 4), 1);
	CU_ASSERT_EQUAL(fr[0].port, port_out);
	CU_ASSERT_EQUAL(tcp_flags_of(&fr[0]), EGW_TCP_SYN);
	CU_ASSERT_EQUAL(tcp_seq_of(&fr[0]), ISN_C);
	late_seg(port_out, true, EGW_TCP_SYN | EGW_TCP_ACK, ISN_S, ISN_C + 1, TS_S, TS_C + 1, NULL,
		0);
	CU_ASSERT_EQUAL_FATAL(take(fr, 4), 1);
	CU_ASSERT_EQUAL(tcp_ack_of(&fr[0]), ISN_S + 1);
	late_seg(port_in, false, EGW_TCP_ACK | EGW_TCP_PSH, ISN_C + 1, cookie + 1, TS_C + 2, our_ts,
		data, sizeof(data));
	CU_ASSERT_EQUAL_FATAL(take(fr, 4), 1);
	CU_ASSERT_EQUAL(fr[0].port, port_out);
	CU_ASSERT_EQUAL(tcp_ack_of(&fr[0]), ISN_S + 1);
	CU_ASSERT(pg_l4_csum_ok(fr[0].d + PG_ETH_LEN));
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.late_spliced, 1);
	CU_ASSERT_EQUAL(st.host_pending, 0);
	CU_ASSERT_EQUAL(st.tcp_half_open, 1); /* the first flow's SYN is still unanswered */
	host_teardown(&sl, NULL);
}

/* ---- connection churn: time-wait, reuse of a 5-tuple, port reclaim, UDP behaviour ---- */

/* The egress tuple of the packet in FR (outside). */
static void out_tuple(const struct frame *fr, uint32_t *nat_addr, uint16_t *nat_port)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(fr);
	*nat_addr = pg_rd32(fr->d + 26);
	*nat_port = pg_rd16(fr->d + 34);
}

/* A connection CLIENT:SPORT -> SERVER:80 with sequence numbers (client ISN 1000, server ISN
 * 5000) and 100 bytes from the client; *SV gets the server's segment template. */
static struct egw_flow *tcp_conn_seq(uint16_t sport, struct pg_pkt *sv)
{
	struct pg_pkt c = from_client(IPPROTO_TCP, sport, SERVER, 80);
	struct frame *fr;
	uint32_t na;
	uint16_t np;

	c.seq = 1000;
	c.tcp_flags = EGW_TCP_SYN;
	send_pkt(W(0), port_in, &c);
	fr = take_one(port_out);
	out_tuple(fr, &na, &np);
	*sv = from_server(IPPROTO_TCP, 80, na, np);
	sv->seq = 5000;
	sv->ack = 1001;
	sv->tcp_flags = EGW_TCP_SYN | EGW_TCP_ACK;
	send_pkt(W(0), port_out, sv);
	take_one(port_in);
	c.seq = 1001;
	c.ack = 5001;
	c.tcp_flags = EGW_TCP_ACK;
	c.payload_len = 100;
	send_pkt(W(0), port_in, &c);
	take_one(port_out);
	sv->seq = 5001;
	sv->ack = 0;
	return find_flow(W(0), IPPROTO_TCP, sport, SERVER, 80);
}

/* Window tracking (issue 13): a RST or data outside the windows is dropped and counted and
 * the flow lives on; a RST in window but not at rcv.nxt passes and ends nothing; one at
 * rcv.nxt ends the flow. With tcp_window_check = no any RST ends it, as before. */
static void test_pipeline_tcp_window(void)
{
	struct pg_pkt sv, c = from_client(IPPROTO_TCP, 41000, SERVER, 80);
	struct egw_flow *f;

	dp_setup(&(struct dp_opts){ 0 });
	F.dp->tcp_window_check = true;
	f = tcp_conn_seq(41000, &sv);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->state, EGW_TCP_ESTABLISHED);
	sv.tcp_flags = EGW_TCP_RST;
	sv.seq = 5001 + 1000000;
	send_pkt(W(0), port_out, &sv);
	CU_ASSERT_EQUAL(drops(EGW_DROP_TCP_OUT_OF_WINDOW), 1);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(f->state, EGW_TCP_ESTABLISHED);
	/* Data far past the server's window (29200 bytes): dropped too. */
	c.seq = 1101 + 100000;
	c.ack = 5001;
	c.tcp_flags = EGW_TCP_ACK;
	c.payload_len = 10;
	send_pkt(W(0), port_in, &c);
	CU_ASSERT_EQUAL(drops(EGW_DROP_TCP_OUT_OF_WINDOW), 2);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	/* In window, not at rcv.nxt: passed on (the client answers a challenge ACK). */
	sv.seq = 5001 + 1000;
	send_pkt(W(0), port_out, &sv);
	take_one(port_in);
	CU_ASSERT_EQUAL(f->state, EGW_TCP_ESTABLISHED);
	/* At rcv.nxt: the connection ends. */
	sv.seq = 5001;
	send_pkt(W(0), port_out, &sv);
	take_one(port_in);
	CU_ASSERT_EQUAL(f->state, EGW_TCP_RESET);
	CU_ASSERT_EQUAL(drops(EGW_DROP_TCP_OUT_OF_WINDOW), 2);

	F.dp->tcp_window_check = false;
	f = tcp_conn_seq(41001, &sv);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	sv.tcp_flags = EGW_TCP_RST;
	sv.seq = 5001 + 1000000;
	send_pkt(W(0), port_out, &sv);
	take_one(port_in);
	CU_ASSERT_EQUAL(f->state, EGW_TCP_RESET);
	CU_ASSERT_EQUAL(drops(EGW_DROP_TCP_OUT_OF_WINDOW), 2);
	dp_teardown();
}

/* A whole TCP connection CLIENT:SPORT -> SERVER:80, closed from the inside first with the
 * last ACK: its flow (in time-wait), or NULL when the SYN did not pass. */
static struct egw_flow *tcp_conn(uint16_t sport)
{
	struct pg_pkt c = from_client(IPPROTO_TCP, sport, SERVER, 80), sv;
	struct frame *fr;
	uint32_t na;
	uint16_t np;

	c.tcp_flags = EGW_TCP_SYN;
	send_pkt(W(0), port_in, &c);
	fr = take_one(port_out);
	if (!fr)
		return NULL;
	out_tuple(fr, &na, &np);
	sv = from_server(IPPROTO_TCP, 80, na, np);
	sv.tcp_flags = EGW_TCP_SYN | EGW_TCP_ACK;
	send_pkt(W(0), port_out, &sv);
	take_one(port_in);
	c.tcp_flags = EGW_TCP_ACK;
	send_pkt(W(0), port_in, &c);
	c.tcp_flags = EGW_TCP_FIN | EGW_TCP_ACK;
	send_pkt(W(0), port_in, &c);
	sv.tcp_flags = EGW_TCP_FIN | EGW_TCP_ACK;
	send_pkt(W(0), port_out, &sv);
	c.tcp_flags = EGW_TCP_ACK;
	send_pkt(W(0), port_in, &c);
	CU_ASSERT_EQUAL(take(NULL, 0), 4);
	return find_flow(W(0), IPPROTO_TCP, sport, SERVER, 80);
}

/* Closed connections keep their mapping in time-wait but hold no share of max_per_source:
 * one source makes many more connections than its limit, one after the other. */
static void test_pipeline_time_wait_frees_source(void)
{
	struct egw_flow *f;

	dp_setup(&(struct dp_opts){ .max_per_source = 2, .max_flows = 256 });
	for (unsigned i = 0; i < 50; i++) {
		f = tcp_conn((uint16_t)(30000 + i));
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		CU_ASSERT_EQUAL(f->state, EGW_TCP_TIME_WAIT);
		CU_ASSERT_FALSE(f->flags & EGW_FLOW_F_SRC_COUNTED);
	}
	CU_ASSERT_EQUAL(drops(EGW_DROP_NAT_SOURCE_LIMIT), 0);
	CU_ASSERT_EQUAL(egw_source_limit_count(&W(0)->sources, htonl(CLIENT)), 0);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 50);
	CU_ASSERT_EQUAL(stat_time_wait(), 50);
	CU_ASSERT_EQUAL(egw_dataplane_flows_active(F.dp), 0);
	/* Live connections still count: two open, the third refused. */
	for (unsigned i = 0; i < 3; i++) {
		struct pg_pkt syn = from_client(IPPROTO_TCP, (uint16_t)(31000 + i), SERVER, 80);
		syn.tcp_flags = EGW_TCP_SYN;
		send_pkt(W(0), port_in, &syn);
	}
	CU_ASSERT_EQUAL(take(NULL, 0), 2);
	CU_ASSERT_EQUAL(drops(EGW_DROP_NAT_SOURCE_LIMIT), 1);
	CU_ASSERT_EQUAL(egw_dataplane_flows_active(F.dp), 2);
	/* A RST closes too (tcp_close); a late segment keeps the time-wait mapping. */
	{
		struct pg_pkt rst = from_client(IPPROTO_TCP, 31000, SERVER, 80);
		rst.tcp_flags = EGW_TCP_RST;
		send_pkt(W(0), port_in, &rst);
		take(NULL, 0);
		f = find_flow(W(0), IPPROTO_TCP, 31000, SERVER, 80);
		CU_ASSERT_EQUAL(f->state, EGW_TCP_RESET);
		CU_ASSERT_EQUAL(egw_source_limit_count(&W(0)->sources, htonl(CLIENT)), 1);
		rst = from_client(IPPROTO_TCP, 30000, SERVER, 80);
		rst.tcp_flags = EGW_TCP_ACK;
		send_pkt(W(0), port_in, &rst);
		CU_ASSERT_EQUAL(take(NULL, 0), 1);
	}
	CU_ASSERT_EQUAL(stat_time_wait(), 51);
	/* Expiry: closed after tcp_close, time-wait after tcp_time_wait (TO: transitory). */
	W(0)->now = T0 + TO.tcp_transitory + 1;
	while (egw_pipeline_expire(W(0)))
		;
	CU_ASSERT_EQUAL(stat_time_wait(), 0);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 0);
	check_conservation();
	dp_teardown();
}

/* A SYN on the tuple of a closed connection is a new flow: the old one ends ("reused", its
 * own counters), the new one starts (record, flows_created), keeping the mapping. */
static void test_pipeline_reuse_tuple(void)
{
	struct pg_pkt syn = from_client(IPPROTO_TCP, 40000, SERVER, 80);
	struct egw_flowlog_rec r;
	struct egw_worker_stats st;
	struct egw_flow *f;
	uint64_t old_id;
	uint32_t na, na2;
	uint16_t np, np2;

	dp_setup(&(struct dp_opts){ .max_flows = 64, .flow_log = true });
	f = tcp_conn(40000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->state, EGW_TCP_TIME_WAIT);
	na = ntohl(f->nat_addr);
	np = ntohs(f->nat_port);
	CU_ASSERT_FATAL(next_record(W(0), &r));
	CU_ASSERT_EQUAL(r.event, EGW_EV_START);
	old_id = r.flow_id;
	CU_ASSERT_FALSE(next_record(W(0), &r));

	W(0)->now = T0 + 5;
	W(0)->now_tsc += 1ULL << (EGW_FLOWLOG_CLOCK_SHIFT + 1);
	syn.tcp_flags = EGW_TCP_SYN;
	send_pkt(W(0), port_in, &syn);
	out_tuple(take_one(port_out), &na2, &np2);
	CU_ASSERT_EQUAL(na2, na);
	CU_ASSERT_EQUAL(np2, np); /* the same external tuple toward the same destination */
	CU_ASSERT_FATAL(next_record(W(0), &r));
	CU_ASSERT_EQUAL(r.event, EGW_EV_END);
	CU_ASSERT_EQUAL(r.reason, EGW_END_REUSED);
	CU_ASSERT_EQUAL(r.flow_id, old_id);
	CU_ASSERT_EQUAL(r.packets[0], 4);
	CU_ASSERT_EQUAL(r.packets[1], 2);
	CU_ASSERT_FATAL(next_record(W(0), &r));
	CU_ASSERT_EQUAL(r.event, EGW_EV_START);
	CU_ASSERT_NOT_EQUAL(r.flow_id, old_id);
	CU_ASSERT_FALSE(next_record(W(0), &r));
	f = find_flow(W(0), IPPROTO_TCP, 40000, SERVER, 80);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->state, EGW_TCP_SYN_SENT);
	CU_ASSERT_EQUAL(f->packets[EGW_DIR_ORIG], 1);
	CU_ASSERT_EQUAL(f->packets[EGW_DIR_REPLY], 0);
	CU_ASSERT_EQUAL(egw_flow_created(W(0)->ft, f), T0 + 5);
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.flows_created, 2);
	CU_ASSERT_EQUAL(st.flows_reused, 1);
	CU_ASSERT_EQUAL(st.flows_time_wait, 0);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 1);
	CU_ASSERT_EQUAL(W(0)->policy[0].flows, 2);
	/* A SYN retransmitted on the new, opening flow is no new connection. */
	send_pkt(W(0), port_in, &syn);
	CU_ASSERT_EQUAL(take(NULL, 0), 1);
	CU_ASSERT_FALSE(next_record(W(0), &r));

	/* The policy in force when the next connection opens decides it: the mode is now
	 * deny, the old flow ends, the new SYN is refused. */
	f = tcp_conn(40001);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (next_record(W(0), &r))
		;
	set_mode(EGW_MODE_DENY);
	syn.sport = 40001;
	send_pkt(W(0), port_in, &syn);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(drops(EGW_DROP_MODE_DENY), 1);
	CU_ASSERT_PTR_NULL(find_flow(W(0), IPPROTO_TCP, 40001, SERVER, 80));
	CU_ASSERT_FATAL(next_record(W(0), &r));
	CU_ASSERT_EQUAL(r.event, EGW_EV_END);
	CU_ASSERT_EQUAL(r.reason, EGW_END_REUSED);
	CU_ASSERT_FATAL(next_record(W(0), &r));
	CU_ASSERT_EQUAL(r.event, EGW_EV_DENY);
	check_conservation();
	dp_teardown();
}

/* No free port toward a destination: the finished flow idle longest gives its port up. */
/* Either mapping: a finished flow gives its port up (endpoint-independent: the sole flow of
 * its mapping). */
static void port_reclaim_case(bool eim)
{
	struct pg_pkt p;
	struct egw_worker_stats st;
	struct egw_flow *f;
	uint32_t na;
	uint16_t np;

	dp_setup(&(
		struct dp_opts){ .port_first = 5000, .port_last = 5001, .n_pool = 1, .eim = eim });
	CU_ASSERT_PTR_NOT_NULL_FATAL(tcp_conn(1111));
	W(0)->now = T0 + 1;
	CU_ASSERT_PTR_NOT_NULL_FATAL(tcp_conn(2222));
	W(0)->now = T0 + 2;
	f = tcp_conn(3333); /* the time-wait flow of 1111 is the older one */
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NULL(find_flow(W(0), IPPROTO_TCP, 1111, SERVER, 80));
	CU_ASSERT_PTR_NOT_NULL(find_flow(W(0), IPPROTO_TCP, 2222, SERVER, 80));
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.nat_port_reclaimed, 1);
	CU_ASSERT_EQUAL(st.drops[EGW_DROP_NAT_EXHAUSTED], 0);
	/* Two new connections take the ports of the two time-wait flows; live flows are never
	 * reclaimed: the third is exhausted. */
	for (unsigned i = 0; i < 3; i++) {
		p = from_client(IPPROTO_TCP, (uint16_t)(4000 + i), SERVER, 80);
		p.tcp_flags = EGW_TCP_SYN;
		send_pkt(W(0), port_in, &p);
	}
	CU_ASSERT_EQUAL(take(NULL, 0), 2);
	CU_ASSERT_EQUAL(drops(EGW_DROP_NAT_EXHAUSTED), 1);
	CU_ASSERT_PTR_NULL(find_flow(W(0), IPPROTO_TCP, 2222, SERVER, 80));
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.nat_port_reclaimed, 3);
	/* UDP: an answered request is reclaimable, an unanswered one is not. */
	p = from_client(IPPROTO_UDP, 1111, SERVER, 53);
	send_pkt(W(0), port_in, &p);
	out_tuple(take_one(port_out), &na, &np);
	p = from_server(IPPROTO_UDP, 53, na, np);
	send_pkt(W(0), port_out, &p);
	take_one(port_in);
	p = from_client(IPPROTO_UDP, 2222, SERVER, 53);
	send_pkt(W(0), port_in, &p);
	take_one(port_out);
	p.sport = 3333; /* both ports held: 1111 answered, 2222 waiting */
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(take(NULL, 0), 1);
	CU_ASSERT_PTR_NULL(find_flow(W(0), IPPROTO_UDP, 1111, SERVER, 53));
	p.sport = 4444;
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(drops(EGW_DROP_NAT_EXHAUSTED), 2);
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.nat_port_reclaimed, 4);
	check_conservation();
	dp_teardown();
}

static void test_pipeline_port_reclaim(void)
{
	port_reclaim_case(false);
	port_reclaim_case(true);
}

/* A full table: a finished flow makes room (the idle-longest of the records looked at); live
 * flows never do. */
static void test_pipeline_table_reclaim(void)
{
	struct egw_worker_stats st;
	struct pg_pkt p;
	uint32_t na;
	uint16_t np;

	dp_setup(&(struct dp_opts){ .max_flows = 4 });
	for (unsigned i = 0; i < 4; i++) { /* two answered, two waiting */
		W(0)->now = T0 + i;
		p = from_client(IPPROTO_UDP, (uint16_t)(7000 + i), SERVER, 53);
		send_pkt(W(0), port_in, &p);
		out_tuple(take_one(port_out), &na, &np);
		if (i < 2) {
			p = from_server(IPPROTO_UDP, 53, na, np);
			send_pkt(W(0), port_out, &p);
			take_one(port_in);
		}
	}
	CU_ASSERT_EQUAL(egw_flow_table_free_records(W(0)->ft), 0);
	p = from_client(IPPROTO_UDP, 7100, SERVER, 53);
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(take(NULL, 0), 1);
	CU_ASSERT_PTR_NULL(find_flow(W(0), IPPROTO_UDP, 7000, SERVER, 53)); /* the older */
	CU_ASSERT_PTR_NOT_NULL(find_flow(W(0), IPPROTO_UDP, 7001, SERVER, 53));
	p.sport = 7101;
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(take(NULL, 0), 1);
	CU_ASSERT_PTR_NULL(find_flow(W(0), IPPROTO_UDP, 7001, SERVER, 53));
	p.sport = 7102; /* only live flows left */
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(drops(EGW_DROP_FLOW_TABLE_FULL), 1);
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.flows_reclaimed, 2);
	CU_ASSERT_EQUAL(st.flows_time_wait, 0);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 4);
	check_conservation();
	dp_teardown();
}

/* UDP: a request waits under its source's limit; its answer frees the share; a new request
 * or a stream takes one again. */
static void test_pipeline_udp_behaviour(void)
{
	struct pg_pkt p;
	struct egw_flow *f;
	uint32_t na;
	uint16_t np;

	dp_setup(&(struct dp_opts){ .max_per_source = 1, .max_flows = 64 });
	p = from_client(IPPROTO_UDP, 6000, SERVER, 53);
	send_pkt(W(0), port_in, &p);
	out_tuple(take_one(port_out), &na, &np);
	f = find_flow(W(0), IPPROTO_UDP, 6000, SERVER, 53);
	CU_ASSERT_EQUAL(f->state, EGW_UDP_REQUEST);
	p.sport = 6001; /* the limit: one unanswered request */
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(drops(EGW_DROP_NAT_SOURCE_LIMIT), 1);
	take(NULL, 0);
	p = from_server(IPPROTO_UDP, 53, na, np);
	send_pkt(W(0), port_out, &p);
	take_one(port_in);
	CU_ASSERT_EQUAL(f->state, EGW_UDP_ANSWERED);
	CU_ASSERT_EQUAL(egw_source_limit_count(&W(0)->sources, htonl(CLIENT)), 0);
	CU_ASSERT_EQUAL(stat_time_wait(), 1);
	p = from_client(IPPROTO_UDP, 6001, SERVER, 53);
	send_pkt(W(0), port_in, &p);
	take_one(port_out);
	/* A second request on the first socket: waiting again, counted again (never refused:
	 * the mapping exists). */
	p.sport = 6000;
	send_pkt(W(0), port_in, &p);
	take_one(port_out);
	CU_ASSERT_EQUAL(f->state, EGW_UDP_REQUEST);
	CU_ASSERT_EQUAL(egw_source_limit_count(&W(0)->sources, htonl(CLIENT)), 2);
	CU_ASSERT_EQUAL(stat_time_wait(), 0);
	CU_ASSERT_EQUAL(egw_dataplane_flows_active(F.dp), 2);
	/* Two replies to it: a stream, live for good. */
	p = from_server(IPPROTO_UDP, 53, na, np);
	send_pkt(W(0), port_out, &p);
	CU_ASSERT_EQUAL(f->state, EGW_UDP_ANSWERED);
	CU_ASSERT_EQUAL(egw_source_limit_count(&W(0)->sources, htonl(CLIENT)), 1);
	send_pkt(W(0), port_out, &p);
	CU_ASSERT_EQUAL(take(NULL, 0), 2);
	CU_ASSERT_EQUAL(f->state, EGW_FLOW_UDP);
	CU_ASSERT_EQUAL(egw_source_limit_count(&W(0)->sources, htonl(CLIENT)), 2);
	CU_ASSERT_EQUAL(stat_time_wait(), 0);
	check_conservation();
	dp_teardown();
}

/* ---- IPv4 fragment trains (fragment.c) ---- */

#define FRAG_MAX 8
#define FRAG_PIECE 600 /* payload bytes per fragment (a multiple of 8) */

struct frags {
	unsigned n;
	size_t len[FRAG_MAX];
	uint8_t d[FRAG_MAX][PG_FRAME_MAX];
};

/* Cuts the whole IPv4 packet in frame WHOLE (options-free) into fragments of FRAG_PIECE. */
static void cut_frags(const uint8_t *whole, size_t n, struct frags *out)
{
	const size_t hdr = PG_ETH_LEN + 20, data = n - hdr;

	out->n = 0;
	for (size_t at = 0; at < data; at += FRAG_PIECE) {
		size_t piece = data - at < FRAG_PIECE ? data - at : FRAG_PIECE;
		uint8_t *f = out->d[out->n];
		CU_ASSERT_FATAL(out->n < FRAG_MAX);
		memcpy(f, whole, hdr);
		memcpy(f + hdr, whole + hdr + at, piece);
		pg_wr16(f + PG_ETH_LEN + 2, (uint16_t)(20 + piece));
		pg_wr16(f + PG_ETH_LEN + 6,
			(uint16_t)((at + piece < data ? 0x2000 : 0) | (at / 8)));
		pg_fix_ip_csum(f + PG_ETH_LEN);
		out->len[out->n++] = hdr + piece;
	}
}

/*
 * Puts the N fragments in FR (any order) together as a receiver would, into BUF (an IPv4
 * packet); checks that each has a right header checksum and that all carry one ID. Returns
 * the packet's length.
 */
static size_t reassemble(const struct frame *fr, unsigned n, uint8_t *buf)
{
	size_t total = 20;

	for (unsigned i = 0; i < n; i++) {
		const uint8_t *ip = fr[i].d + PG_ETH_LEN;
		uint16_t off = (uint16_t)((pg_rd16(ip + 6) & 0x1fff) * 8);
		uint16_t piece = (uint16_t)(pg_rd16(ip + 2) - 20);
		CU_ASSERT(pg_ip_csum_ok(ip));
		CU_ASSERT_EQUAL(pg_rd16(ip + 4), pg_rd16(fr[0].d + PG_ETH_LEN + 4));
		if (off == 0)
			memcpy(buf, ip, 20);
		memcpy(buf + 20 + off, ip + 20, piece);
		if (20u + off + piece > total)
			total = 20u + off + piece;
	}
	pg_wr16(buf + 2, (uint16_t)total);
	pg_wr16(buf + 6, 0);
	pg_fix_ip_csum(buf);
	return total;
}

/* A UDP datagram of 1800 bytes of payload from the client to SERVER:4000, in fragments. */
static void client_train(struct frags *fs, uint32_t src, uint16_t ip_id)
{
	struct pg_pkt p = from_client(IPPROTO_UDP, 1111, SERVER, 4000);
	uint8_t f[PG_FRAME_MAX];

	p.src = src;
	p.ip_id = ip_id;
	p.payload_len = 1800;
	cut_frags(f, bld(f, &p), fs);
}

/* In order, out and back: every piece translated, the whole datagrams' checksums right. */
static void test_fragment_in_order(void)
{
	struct frame out[FRAG_MAX];
	struct frags fs;
	uint8_t whole[PG_FRAME_MAX];
	uint32_t na;
	uint16_t np, id;
	struct pg_pkt p;
	unsigned n;

	dp_setup(&(struct dp_opts){ 0 });
	client_train(&fs, CLIENT, 4242);
	CU_ASSERT_EQUAL(fs.n, 4);
	for (unsigned i = 0; i < fs.n; i++)
		rx_on(W(0), port_in, fs.d[i], fs.len[i]);
	n = take(out, FRAG_MAX);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(W(0)->stats.fragments_forwarded, 4);
	CU_ASSERT_EQUAL(W(0)->stats.fragments_held, 0);
	id = pg_rd16(out[0].d + PG_ETH_LEN + 4);
	CU_ASSERT_NOT_EQUAL(id, 4242); /* rewritten: unique per egress address */
	for (unsigned i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(out[i].port, port_out);
		CU_ASSERT(is_pool_addr(pg_rd32(out[i].d + PG_ETH_LEN + 12)));
		CU_ASSERT_EQUAL(pg_rd32(out[i].d + PG_ETH_LEN + 16), SERVER);
		CU_ASSERT_EQUAL(out[i].d[PG_ETH_LEN + 8], 63);
	}
	CU_ASSERT_EQUAL(reassemble(out, n, whole), 20 + 8 + 1800);
	CU_ASSERT(pg_l4_csum_ok(whole));
	na = pg_rd32(whole + 12);
	np = pg_rd16(whole + 20);

	/* The answer, fragmented too, comes back through the reply lookup. */
	p = from_server(IPPROTO_UDP, 4000, na, np);
	p.payload_len = 1800;
	cut_frags(whole, bld(whole, &p), &fs);
	for (unsigned i = 0; i < fs.n; i++)
		rx_on(W(0), port_out, fs.d[i], fs.len[i]);
	n = take(out, FRAG_MAX);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	for (unsigned i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(out[i].port, port_in);
		CU_ASSERT_EQUAL(pg_rd32(out[i].d + PG_ETH_LEN + 16), CLIENT);
		CU_ASSERT_EQUAL(pg_rd16(out[i].d + PG_ETH_LEN + 4), 999); /* inbound: kept */
	}
	reassemble(out, n, whole);
	CU_ASSERT_EQUAL(pg_rd16(whole + 22), 1111);
	CU_ASSERT(pg_l4_csum_ok(whole));
	CU_ASSERT_EQUAL(W(0)->stats.fragments_forwarded, 8);
	dp_teardown();
}

/* A whole train in one burst: its later pieces come after its first, none waits. */
static void test_fragment_one_burst(void)
{
	struct frame out[FRAG_MAX];
	struct rte_mbuf *m[FRAG_MAX];
	struct frags fs;
	uint8_t whole[PG_FRAME_MAX];
	unsigned n;

	dp_setup(&(struct dp_opts){ 0 });
	client_train(&fs, CLIENT, 9);
	for (unsigned i = 0; i < fs.n; i++)
		m[i] = mk_mbuf(fs.d[i], fs.len[i], port_in);
	F.fed += fs.n;
	egw_pipeline_rx(W(0), m, (uint16_t)fs.n, false);
	n = take(out, FRAG_MAX);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(W(0)->stats.fragments_held, 0);
	CU_ASSERT_EQUAL(pg_rd16(out[0].d + PG_ETH_LEN + 6), 0x2000);
	reassemble(out, n, whole);
	CU_ASSERT(pg_l4_csum_ok(whole));
	dp_teardown();
}

/* Later pieces before their first wait, then leave behind it in the order they came. */
static void test_fragment_out_of_order(void)
{
	struct frame out[FRAG_MAX];
	struct frags fs;
	uint8_t whole[PG_FRAME_MAX];
	unsigned n;

	dp_setup(&(struct dp_opts){ 0 });
	client_train(&fs, CLIENT, 7);
	for (unsigned i = fs.n; i-- > 1;)
		rx_on(W(0), port_in, fs.d[i], fs.len[i]);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(W(0)->stats.fragments_held, 3);
	rx_on(W(0), port_in, fs.d[0], fs.len[0]);
	n = take(out, FRAG_MAX);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(pg_rd16(out[0].d + PG_ETH_LEN + 6), 0x2000); /* the first goes first */
	CU_ASSERT_EQUAL(pg_rd16(out[1].d + PG_ETH_LEN + 6) & 0x1fff, 3 * FRAG_PIECE / 8);
	reassemble(out, n, whole);
	CU_ASSERT(pg_l4_csum_ok(whole));
	CU_ASSERT_EQUAL(W(0)->stats.fragments_timed_out, 0);
	dp_teardown();
}

/* A piece whose first never comes is dropped after the timeout ([flows] fragment_timeout),
 * counted once. */
static void test_fragment_timeout(void)
{
	struct frags fs;

	dp_setup(&(struct dp_opts){ .fragment_timeout = 5 });
	client_train(&fs, CLIENT, 8);
	rx_on(W(0), port_in, fs.d[2], fs.len[2]);
	W(0)->now = T0 + 5;
	egw_pipeline_expire(W(0));
	CU_ASSERT_EQUAL(drops(EGW_DROP_IP_FRAGMENT_TIMEOUT), 0);
	W(0)->now = T0 + 6;
	egw_pipeline_expire(W(0));
	CU_ASSERT_EQUAL(drops(EGW_DROP_IP_FRAGMENT_TIMEOUT), 1);
	CU_ASSERT_EQUAL(W(0)->stats.fragments_timed_out, 1);
	/* Its first, late, still goes alone (its flow is new); the rest of the train too. */
	rx_on(W(0), port_in, fs.d[0], fs.len[0]);
	rx_on(W(0), port_in, fs.d[1], fs.len[1]);
	CU_ASSERT_EQUAL(take(NULL, 0), 2);
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pmp), 0);
	dp_teardown();
}

/* Full ([flows] fragment_trains): a waiting piece never pushes out a live train; one that
 * cannot wait is dropped. */
static void test_fragment_buffer_full(void)
{
	enum { TRAINS = 40 };
	struct frags fs;

	dp_setup(&(struct dp_opts){ .fragment_trains = TRAINS });
	for (unsigned i = 0; i <= TRAINS; i++) {
		client_train(&fs, CLIENT, (uint16_t)(100 + i));
		rx_on(W(0), port_in, fs.d[1], fs.len[1]);
	}
	CU_ASSERT_EQUAL(W(0)->stats.fragments_held, TRAINS);
	CU_ASSERT_EQUAL(drops(EGW_DROP_IP_FRAGMENT_TIMEOUT), 1);
	/* A first fragment (an admitted flow) takes the oldest note; its pieces drop. */
	client_train(&fs, CLIENT, 1);
	rx_on(W(0), port_in, fs.d[0], fs.len[0]);
	CU_ASSERT_EQUAL(take(NULL, 0), 1);
	CU_ASSERT_EQUAL(drops(EGW_DROP_IP_FRAGMENT_TIMEOUT), 2);
	W(0)->now = T0 + EGW_FRAG_TIMEOUT_S + 1; /* the default timeout */
	egw_pipeline_expire(W(0));
	CU_ASSERT_EQUAL(drops(EGW_DROP_IP_FRAGMENT_TIMEOUT), 1 + TRAINS);
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pmp), 0);
	dp_teardown();
}

/* Two inside hosts' trains with one ID leave with two IDs, each kept across its train. */
static void test_fragment_id_unique(void)
{
	struct frame out[2 * FRAG_MAX];
	struct frags a, b;
	uint16_t id_a = 0, id_b = 0;
	unsigned n;

	dp_setup(&(struct dp_opts){ .n_pool = 1 });
	client_train(&a, CLIENT, 4242);
	client_train(&b, CLIENT + 1, 4242);
	for (unsigned i = 0; i < a.n; i++) {
		rx_on(W(0), port_in, a.d[i], a.len[i]);
		rx_on(W(0), port_in, b.d[i], b.len[i]);
	}
	n = take(out, 2 * FRAG_MAX);
	CU_ASSERT_EQUAL_FATAL(n, 2 * a.n);
	for (unsigned i = 0; i < n; i += 2) {
		if (i == 0) {
			id_a = pg_rd16(out[0].d + PG_ETH_LEN + 4);
			id_b = pg_rd16(out[1].d + PG_ETH_LEN + 4);
		}
		CU_ASSERT_EQUAL(pg_rd32(out[i].d + PG_ETH_LEN + 12),
			pg_rd32(out[i + 1].d + PG_ETH_LEN + 12));
		CU_ASSERT_EQUAL(pg_rd16(out[i].d + PG_ETH_LEN + 4), id_a);
		CU_ASSERT_EQUAL(pg_rd16(out[i + 1].d + PG_ETH_LEN + 4), id_b);
	}
	CU_ASSERT_NOT_EQUAL(id_a, id_b);
	dp_teardown();
}

/* Two workers: pieces go to their train's worker, the first is relayed there translated. */
static void test_fragment_two_workers(void)
{
	struct frame out[FRAG_MAX];
	struct frags fs;
	uint8_t whole[PG_FRAME_MAX];
	unsigned n, got = 0;

	dp_setup(&(struct dp_opts){ .n_workers = 2 });
	/* Trains until one whose flow and train live on different workers (the relay). */
	for (uint16_t id = 1; id < 64; id++) {
		client_train(&fs, CLIENT, id);
		for (unsigned i = fs.n; i-- > 0;)
			rx_on(W(id & 1), port_in, fs.d[i], fs.len[i]);
		while (run_handoffs())
			;
		n = take(out, FRAG_MAX);
		CU_ASSERT_EQUAL_FATAL(n, 4);
		reassemble(out, n, whole);
		CU_ASSERT(pg_l4_csum_ok(whole));
		got++;
	}
	CU_ASSERT_EQUAL(W(0)->stats.fragments_forwarded + W(1)->stats.fragments_forwarded, 4 * got);
	dp_teardown();
}

/*
 * A frame longer than its port's MTU allows (the kernel reassembled it and the ring cut it):
 * too big for the exit, not malformed.
 */
static void test_fragment_reassembled_cut(void)
{
	struct pg_pkt p = from_client(IPPROTO_UDP, 1111, SERVER, 53);
	uint8_t f[PG_FRAME_MAX];
	struct frame *fr;
	size_t n;

	dp_setup(&(struct dp_opts){ 0 });
	F.dp->ports[port_in].mtu = 1500;
	F.dp->ports[port_out].mtu = 1500;
	p.payload_len = 1600;
	p.frag = 0x4000; /* DF */
	n = bld(f, &p);
	pg_wr16(f + PG_ETH_LEN + 2, 4028);
	pg_wr16(f + PG_ETH_LEN + 20 + 4, 4008);
	pg_fix_ip_csum(f + PG_ETH_LEN);
	rx_on(W(0), port_in, f, n);
	fr = take_one(port_in);
	CU_ASSERT_EQUAL(fr->d[PG_ETH_LEN + 20], EGW_ICMP_DEST_UNREACH);
	CU_ASSERT_EQUAL(fr->d[PG_ETH_LEN + 21], 4);
	CU_ASSERT_EQUAL(pg_rd16(fr->d + PG_ETH_LEN + 26), 1500);
	CU_ASSERT_EQUAL(drops(EGW_DROP_MTU_EXCEEDED), 1);
	CU_ASSERT_EQUAL(drops(EGW_DROP_IP_BAD_LENGTH), 0);
	/* A frame the wire could carry with a length past its end is malformed. */
	p.payload_len = 100;
	n = bld(f, &p);
	pg_wr16(f + PG_ETH_LEN + 2, 4028);
	pg_fix_ip_csum(f + PG_ETH_LEN);
	rx_on(W(0), port_in, f, n);
	CU_ASSERT_EQUAL(drops(EGW_DROP_IP_BAD_LENGTH), 1);
	dp_teardown();
}

/* ---- refusals answered: action = reject, deny_action, exhaustion_action ---- */

/* FR, sent back to the client, is the RST|ACK answering segment P: SEQ and ACK (host order). */
static void check_reject_rst(const struct frame *fr, const struct pg_pkt *p, uint32_t seq,
	uint32_t ack)
{
	const uint8_t *ip = fr->d + 14, *tcp = ip + 20;

	CU_ASSERT_EQUAL(fr->port, port_in);
	CU_ASSERT_EQUAL_FATAL(fr->len, 14 + 20 + 20);
	CU_ASSERT_EQUAL(memcmp(fr->d, MAC_CLIENT, 6), 0);
	CU_ASSERT_EQUAL(memcmp(fr->d + 6, MAC_IN, 6), 0);
	CU_ASSERT_EQUAL(ip[0], 0x45); /* options left out */
	CU_ASSERT_EQUAL(pg_rd16(ip + 2), 40);
	CU_ASSERT_EQUAL(ip[9], IPPROTO_TCP);
	CU_ASSERT_EQUAL(pg_rd32(ip + 12), p->dst);
	CU_ASSERT_EQUAL(pg_rd32(ip + 16), p->src);
	CU_ASSERT(pg_ip_csum_ok(ip));
	CU_ASSERT(pg_l4_csum_ok(ip));
	CU_ASSERT_EQUAL(pg_rd16(tcp), p->dport);
	CU_ASSERT_EQUAL(pg_rd16(tcp + 2), p->sport);
	CU_ASSERT_EQUAL(pg_rd32(tcp + 4), seq);
	CU_ASSERT_EQUAL(pg_rd32(tcp + 8), ack);
	CU_ASSERT_EQUAL(tcp[12] >> 4, 5);
	CU_ASSERT_EQUAL(tcp[13], EGW_TCP_RST | EGW_TCP_ACK);
}

/* Sends P from the client and expects the ICMP 3/13 from our inside address that quotes it. */
static void expect_prohibited(const struct pg_pkt *p)
{
	uint8_t f[PG_FRAME_MAX];
	size_t n = bld(f, p);

	rx_on(W(0), port_in, f, n);
	check_generated_error(take_one(port_in), f, EGW_ICMP_DEST_UNREACH, 13, 0, OUR_IN,
		MAC_CLIENT, MAC_IN);
}

/*
 * A reject policy: a SYN gets a RST|ACK at seq 0 acknowledging it, a segment with ACK one at
 * its ack acknowledging its data; UDP and echo requests get ICMP 3/13 quoting their header and
 * 8 bytes. Each refusal counts once, as policy_deny.
 */
static void test_pipeline_reject_policy(void)
{
	struct egw_cidr srv = { SERVER, 32 };
	struct egw_policy_conf pol;
	struct egw_policy_slots sl;
	struct egw_worker_stats st;
	struct pg_pkt p;

	CU_ASSERT_EQUAL_FATAL(egw_policy_slots_init(&sl, "ut_pl_reject"), 0);
	dp_setup(&(struct dp_opts){ .mode = EGW_MODE_POLICY });
	F.conf->egress.reject_rate = 100;
	tcp80_policy(&pol, "refuse", &srv, EGW_ACTION_REJECT, 0, 0);
	pol.proto = EGW_PROTO_ANY;
	pol.ports = NULL;
	pol.n_ports = 0;
	pol.ports_any = true;
	publish_policies(&sl, &pol, 1);

	p = from_client(IPPROTO_TCP, 40000, SERVER, 80);
	p.tcp_flags = EGW_TCP_SYN;
	p.seq = 1000;
	p.ack = 0x12345678; /* no ACK flag: not a number to answer at */
	p.ihl = 6;
	send_pkt(W(0), port_in, &p);
	check_reject_rst(take_one(port_in), &p, 0, 1001);
	p = from_client(IPPROTO_TCP, 40001, SERVER, 80);
	p.tcp_flags = EGW_TCP_ACK | EGW_TCP_PSH; /* picked up mid-stream */
	p.seq = 5000;
	p.ack = 777;
	p.payload_len = 10;
	send_pkt(W(0), port_in, &p);
	check_reject_rst(take_one(port_in), &p, 777, 5010);
	p = from_client(IPPROTO_UDP, 5353, SERVER, 53);
	p.payload_len = 40;
	expect_prohibited(&p);
	p.ihl = 7; /* the quote holds the options */
	expect_prohibited(&p);
	p = from_client(IPPROTO_ICMP, 77, SERVER, 0);
	p.payload_len = 56;
	expect_prohibited(&p);

	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.drops[EGW_DROP_POLICY_DENY], 5);
	CU_ASSERT_EQUAL(total_drops(&st), 5);
	CU_ASSERT_EQUAL(st.rejects_sent, 5);
	CU_ASSERT_EQUAL(st.rejects_rate_limited, 0);
	CU_ASSERT_EQUAL(egw_flow_table_active(W(0)->ft), 0);
	check_conservation();
	dp_teardown();
	egw_policy_slots_fini(&sl);
}

/*
 * The mode's own refusals follow deny_action: mode deny and policy mode without a match answer
 * with reject and stay silent with drop; the flow log says which. Answers are rate-limited
 * per second.
 */
static void test_pipeline_reject_mode(void)
{
	struct pg_pkt p = from_client(IPPROTO_TCP, 40000, SERVER, 80);
	struct egw_worker_stats st;
	struct egw_flowlog_rec r;

	dp_setup(&(struct dp_opts){ .mode = EGW_MODE_DENY, .flow_log = true });
	F.conf->egress.deny_action = EGW_DENY_REJECT;
	F.conf->egress.reject_rate = 2;
	set_mode(EGW_MODE_DENY);
	p.tcp_flags = EGW_TCP_SYN;
	send_pkt(W(0), port_in, &p);
	check_reject_rst(take_one(port_in), &p, 0, 1001);
	CU_ASSERT_EQUAL(drops(EGW_DROP_MODE_DENY), 1);
	CU_ASSERT_TRUE_FATAL(next_record(W(0), &r));
	CU_ASSERT_EQUAL(r.event, EGW_EV_DENY);
	CU_ASSERT_EQUAL(r.reason, EGW_DROP_MODE_DENY);
	CU_ASSERT_EQUAL(r.state, EGW_FLOWLOG_DENY_REJECT);

	set_mode(EGW_MODE_POLICY);
	W(0)->now = T0 + 1;
	p = from_client(IPPROTO_UDP, 5353, SERVER, 53);
	expect_prohibited(&p);
	CU_ASSERT_EQUAL(drops(EGW_DROP_POLICY_NO_MATCH), 1);

	/* Rate limit: 2 a second, the rest dropped (counted both ways). */
	W(0)->now = T0 + 2;
	for (uint16_t i = 0; i < 5; i++) {
		p.sport = (uint16_t)(6000 + i);
		send_pkt(W(0), port_in, &p);
	}
	CU_ASSERT_EQUAL(take(NULL, 0), 2);
	W(0)->now = T0 + 3;
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(take(NULL, 0), 1);
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.drops[EGW_DROP_POLICY_NO_MATCH], 7);
	CU_ASSERT_EQUAL(st.rejects_sent, 5);
	CU_ASSERT_EQUAL(st.rejects_rate_limited, 3);

	/* drop: silent again, and logged as dropped. */
	while (next_record(W(0), &r))
		;
	F.conf->egress.deny_action = EGW_DENY_DROP;
	set_mode(EGW_MODE_DENY);
	p = from_client(IPPROTO_TCP, 40002, SERVER, 80);
	p.tcp_flags = EGW_TCP_SYN;
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(drops(EGW_DROP_MODE_DENY), 2);
	CU_ASSERT_TRUE_FATAL(next_record(W(0), &r));
	CU_ASSERT_EQUAL(r.state, EGW_FLOWLOG_DENY_DROP);
	check_conservation();
	dp_teardown();
}

/* Frame F (N bytes) from the client, received and refused for mode_deny with ANSWER asked for
 * (counted as received, as the data path would have). */
static void refuse_direct(const uint8_t *f, size_t n, enum egw_pl_answer answer)
{
	struct egw_pkt_meta meta;

	CU_ASSERT_EQUAL_FATAL(egw_pkt_parse(f, (uint32_t)n, &meta), EGW_DROP_NONE);
	F.fed++;
	W(0)->stats.rx_packets++;
	egw_pl_refuse_packet(W(0), egw_snapshot_current(&F.dp->rcu), mk_mbuf(f, n, port_in), &meta,
		EGW_DROP_MODE_DENY, answer);
}

/*
 * Never an answer to a RST or an ICMP error (white box: the answer is asked for), nor to a
 * source that is a port subnet's broadcast (dropped before any decision); a client's RST toward
 * a rejected destination starts nothing and is not answered either.
 */
static void test_pipeline_reject_never_answers(void)
{
	struct pg_pkt p = from_client(IPPROTO_TCP, 40000, SERVER, 80);
	uint8_t f[PG_FRAME_MAX], q[PG_FRAME_MAX];
	struct egw_worker_stats st;
	size_t n, qn;

	dp_setup(&(struct dp_opts){ .mode = EGW_MODE_DENY });
	F.conf->egress.deny_action = EGW_DENY_REJECT;
	F.conf->egress.reject_rate = 100;
	set_mode(EGW_MODE_DENY);

	p.tcp_flags = EGW_TCP_RST | EGW_TCP_ACK;
	n = bld(f, &p);
	refuse_direct(f, n, EGW_PL_ANSWER_REJECT);
	p = from_client(IPPROTO_UDP, 5353, SERVER, 53);
	qn = bld(q, &p);
	n = pg_build_icmp_error(f, sizeof(f), MAC_IN, MAC_CLIENT, CLIENT, SERVER,
		EGW_ICMP_DEST_UNREACH, 3, q + 14, qn - 14);
	refuse_direct(f, n, EGW_PL_ANSWER_PROHIBITED);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(drops(EGW_DROP_MODE_DENY), 2);
	/* The same call answers a SYN: the guard, not the call, kept those two silent. */
	p = from_client(IPPROTO_TCP, 40000, SERVER, 80);
	p.tcp_flags = EGW_TCP_SYN;
	n = bld(f, &p);
	refuse_direct(f, n, EGW_PL_ANSWER_REJECT);
	check_reject_rst(take_one(port_in), &p, 0, 1001);

	/* Through the data path: a RST starts no flow; a broadcast source is dropped first. */
	p = from_client(IPPROTO_TCP, 40000, SERVER, 80);
	p.tcp_flags = EGW_TCP_RST;
	send_pkt(W(0), port_in, &p);
	p = from_client(IPPROTO_UDP, 5353, SERVER, 53);
	p.src = PG_IP(198, 18, 0, 255);
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(drops(EGW_DROP_TCP_NOT_SYN), 1);
	CU_ASSERT_EQUAL(drops(EGW_DROP_IP_SUBNET_BROADCAST), 1);
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.rejects_sent, 1);
	dp_teardown();
}

/* exhaustion_action = reject: no port left, the client gets ICMP 3/13, TCP too (RFC 6888 REQ-11). */
static void test_pipeline_reject_exhausted(void)
{
	struct pg_pkt p;
	struct egw_worker_stats st;

	dp_setup(&(struct dp_opts){ .port_first = 5000, .port_last = 5000, .n_pool = 1 });
	F.conf->egress.exhaustion_action = EGW_DENY_REJECT;
	F.conf->egress.reject_rate = 100;
	set_mode(EGW_MODE_PASSTHROUGH);
	p = from_client(IPPROTO_UDP, 1111, SERVER, 53);
	send_pkt(W(0), port_in, &p);
	take_one(port_out);
	p.sport = 2222;
	expect_prohibited(&p);
	p = from_client(IPPROTO_TCP, 3333, SERVER, 80);
	p.tcp_flags = EGW_TCP_SYN;
	send_pkt(W(0), port_in, &p);
	take_one(port_out);
	p.sport = 4444;
	expect_prohibited(&p);
	egw_dataplane_stats(F.dp, &st);
	CU_ASSERT_EQUAL(st.drops[EGW_DROP_NAT_EXHAUSTED], 2);
	CU_ASSERT_EQUAL(st.rejects_sent, 2);
	/* drop (the default): silent. */
	F.conf->egress.exhaustion_action = EGW_DENY_DROP;
	set_mode(EGW_MODE_PASSTHROUGH);
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(drops(EGW_DROP_NAT_EXHAUSTED), 3);
	check_conservation();
	dp_teardown();
}

/* ---- endpoint-independent mapping, filtering, hairpinning (RFC 4787 REQ-1, 8, 9) ---- */

#define OTHER PG_IP(203, 0, 113, 9) /* a second outside host */
#define CLIENT2 PG_IP(198, 18, 0, 3)

/* Source address and port of a frame (host order). */
static uint32_t fr_src(const struct frame *fr)
{
	return pg_rd32(fr->d + 14 + 12);
}

static uint16_t fr_sport(const struct frame *fr)
{
	return pg_rd16(fr->d + 34);
}

/* Flushes every worker and delivers the handoffs until all is still, then takes the frames. */
static unsigned take_settled(struct frame *out, unsigned max)
{
	for (unsigned round = 0; round < 4; round++) {
		for (unsigned i = 0; i < F.dp->n_workers; i++)
			egw_pipeline_flush(W(i));
		run_handoffs();
	}
	return take(out, max);
}

static uint64_t stat_sum(size_t off)
{
	struct egw_worker_stats st;

	egw_dataplane_stats(F.dp, &st);
	return *(const uint64_t *)((const uint8_t *)&st + off);
}
#define STAT(field) stat_sum(offsetof(struct egw_worker_stats, field))

/* Sends P from the inside and returns the external address and port it left with. */
static void leave(const struct pg_pkt *p, uint32_t *addr, uint16_t *port)
{
	struct frame fr[4];

	send_pkt(W(0), port_in, p);
	CU_ASSERT_EQUAL_FATAL(take_settled(fr, 4), 1);
	CU_ASSERT_EQUAL_FATAL(fr[0].port, port_out);
	*addr = fr_src(&fr[0]);
	*port = fr_sport(&fr[0]);
}

static void test_pipeline_eim_mapping(void)
{
	const uint8_t protos[2] = { IPPROTO_UDP, IPPROTO_TCP };
	uint32_t a1, a2;
	uint16_t p1, p2, udp_port = 0;
	struct egw_flow *f;

	dp_setup(&(struct dp_opts){ .eim = true });
	add_static_neigh(port_out, OTHER, MAC_GW);
	for (unsigned i = 0; i < 2; i++) {
		struct pg_pkt p = from_client(protos[i], 40000, SERVER, 53);
		p.tcp_flags = EGW_TCP_SYN;
		leave(&p, &a1, &p1);
		/* REQ-1: the same external address and port toward another destination. */
		p = from_client(protos[i], 40000, FAR, 443);
		p.tcp_flags = EGW_TCP_SYN;
		leave(&p, &a2, &p2);
		CU_ASSERT(is_pool_addr(a1));
		CU_ASSERT_EQUAL(a2, a1);
		CU_ASSERT_EQUAL(p2, p1);
		if (protos[i] == IPPROTO_UDP)
			udp_port = p1;
	}
	CU_ASSERT_EQUAL(STAT(nat_mappings), 2);
	/* Another inside port is another mapping. */
	{
		struct pg_pkt p = from_client(IPPROTO_UDP, 40001, SERVER, 9999);
		uint16_t p3;
		leave(&p, &a2, &p3);
		CU_ASSERT_NOT_EQUAL(p3, udp_port);
	}
	CU_ASSERT_EQUAL(STAT(nat_mappings), 3);
	/* The mapping lives while a flow uses it: the first flow's end keeps it... */
	f = find_flow(W(0), IPPROTO_UDP, 40000, SERVER, 53);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	egw_pipeline_end_flow(W(0), f, EGW_END_IDLE);
	CU_ASSERT_EQUAL(STAT(nat_mappings), 3);
	/* ... a new flow still gets its port ... */
	{
		struct pg_pkt p = from_client(IPPROTO_UDP, 40000, OTHER, 123);
		leave(&p, &a2, &p2);
		CU_ASSERT_EQUAL(p2, udp_port);
	}
	/* ... and the last one's end removes it. */
	f = find_flow(W(0), IPPROTO_UDP, 40000, FAR, 443);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	egw_pipeline_end_flow(W(0), f, EGW_END_IDLE);
	CU_ASSERT_EQUAL(STAT(nat_mappings), 3);
	f = find_flow(W(0), IPPROTO_UDP, 40000, OTHER, 123);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	egw_pipeline_end_flow(W(0), f, EGW_END_IDLE);
	CU_ASSERT_EQUAL(STAT(nat_mappings), 2);
	CU_ASSERT_EQUAL(egw_nat_maps_active(&W(0)->maps), 2);
	egw_flow_flush(W(0)->ft, NULL, NULL);
	dp_teardown();
}

/* A UDP mapping to SERVER:3478, then packets to it from SERVER:3479 and OTHER:3478. */
static void filtering_case(enum egw_nat_filtering filtering, bool same_addr, bool other_addr)
{
	struct frame fr[4];
	struct pg_pkt p, q;
	uint32_t ext;
	uint16_t eport;

	dp_setup(&(struct dp_opts){ .eim = true, .filtering = filtering });
	add_static_neigh(port_out, OTHER, MAC_GW);
	p = from_client(IPPROTO_UDP, 40000, SERVER, 3478);
	leave(&p, &ext, &eport);
	/* The reply from the very endpoint passes in every mode. */
	q = from_server(IPPROTO_UDP, 3478, ext, eport);
	send_pkt(W(0), port_out, &q);
	CU_ASSERT_EQUAL(take_settled(fr, 4), 1);
	/* The same address, another port. */
	q = from_server(IPPROTO_UDP, 3479, ext, eport);
	send_pkt(W(0), port_out, &q);
	CU_ASSERT_EQUAL_FATAL(take_settled(fr, 4), same_addr ? 1 : 0);
	if (same_addr)
		expect_in(&fr[0], q, 40000);
	/* Another address. */
	q = from_server(IPPROTO_UDP, 3478, ext, eport);
	q.src = OTHER;
	send_pkt(W(0), port_out, &q);
	CU_ASSERT_EQUAL_FATAL(take_settled(fr, 4), other_addr ? 1 : 0);
	if (other_addr) {
		expect_in(&fr[0], q, 40000);
		/* The inside answers the host that reached it: through the same mapping. */
		p = from_client(IPPROTO_UDP, 40000, OTHER, 3478);
		send_pkt(W(0), port_in, &p);
		CU_ASSERT_EQUAL_FATAL(take_settled(fr, 4), 1);
		expect_out(&fr[0], p, ext, eport, MAC_GW);
	}
	CU_ASSERT_EQUAL(STAT(nat_inbound_flows), (uint64_t)same_addr + other_addr);
	CU_ASSERT_EQUAL(STAT(nat_inbound_filtered), (uint64_t)!same_addr + !other_addr);
	CU_ASSERT_EQUAL(drops(EGW_DROP_UNSOLICITED), (uint64_t)!same_addr + !other_addr);
	egw_flow_flush(W(0)->ft, NULL, NULL);
	dp_teardown();
}

static void test_pipeline_eim_filtering(void)
{
	filtering_case(EGW_FILTERING_ADDRESS_AND_PORT_DEPENDENT, false, false);
	filtering_case(EGW_FILTERING_ADDRESS_DEPENDENT, true, false);
	filtering_case(EGW_FILTERING_ENDPOINT_INDEPENDENT, true, true);
}

/* TCP through an endpoint-independent filter (RFC 5382 REQ-3): an outside SYN to the mapping
 * of a connection opens one to the inside endpoint; only a SYN does. */
static void test_pipeline_eim_tcp_inbound(void)
{
	struct frame fr[4];
	struct pg_pkt p, q;
	struct egw_flow *f;
	uint32_t ext;
	uint16_t eport;

	dp_setup(&(struct dp_opts){ .eim = true, .filtering = EGW_FILTERING_ENDPOINT_INDEPENDENT });
	add_static_neigh(port_out, OTHER, MAC_GW);
	p = from_client(IPPROTO_TCP, 40000, SERVER, 80);
	p.tcp_flags = EGW_TCP_SYN;
	leave(&p, &ext, &eport);
	q = from_server(IPPROTO_TCP, 5555, ext, eport);
	q.src = OTHER;
	q.tcp_flags = EGW_TCP_ACK;
	send_pkt(W(0), port_out, &q);
	CU_ASSERT_EQUAL(take_settled(fr, 4), 0);
	CU_ASSERT_EQUAL(drops(EGW_DROP_UNSOLICITED), 1);
	q.tcp_flags = EGW_TCP_SYN;
	send_pkt(W(0), port_out, &q);
	CU_ASSERT_EQUAL_FATAL(take_settled(fr, 4), 1);
	expect_in(&fr[0], q, 40000);
	f = find_flow(W(0), IPPROTO_TCP, 40000, OTHER, 5555);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->state, EGW_TCP_SYN_RECV);
	/* The inside's SYN+ACK leaves through the mapping; its ACK completes the handshake. */
	p = from_client(IPPROTO_TCP, 40000, OTHER, 5555);
	p.tcp_flags = EGW_TCP_SYN | EGW_TCP_ACK;
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL_FATAL(take_settled(fr, 4), 1);
	expect_out(&fr[0], p, ext, eport, MAC_GW);
	p.tcp_flags = EGW_TCP_ACK;
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(take_settled(fr, 4), 1);
	CU_ASSERT_EQUAL(f->state, EGW_TCP_ESTABLISHED);
	egw_flow_flush(W(0)->ft, NULL, NULL);
	dp_teardown();
}

/* FR was delivered inside to DST:DPORT (MAC DMAC), checksums intact. */
static void expect_delivered(const struct frame *fr, const uint8_t dmac[6], uint32_t dst,
	uint16_t dport)
{
	CU_ASSERT_EQUAL(fr->port, port_in);
	CU_ASSERT_EQUAL(memcmp(fr->d, dmac, 6), 0);
	CU_ASSERT_EQUAL(pg_rd32(fr->d + 14 + 16), dst);
	CU_ASSERT_EQUAL(pg_rd16(fr->d + 36), dport);
	CU_ASSERT(pg_ip_csum_ok(fr->d + 14));
	CU_ASSERT(pg_l4_csum_ok(fr->d + 14));
}

/* Client 2 holds a mapping; the client sends to its external address and port. */
static void hairpin_case(unsigned n_workers)
{
	uint8_t mac2[6];
	struct frame fr[4];
	struct pg_pkt p;
	uint32_t e2, e1;
	uint16_t p2, p1;

	dp_setup(&(struct dp_opts){ .eim = true,
		.filtering = EGW_FILTERING_ENDPOINT_INDEPENDENT,
		.n_workers = n_workers });
	pg_mac(mac2, 0x13);
	add_static_neigh(port_in, CLIENT2, mac2);
	p = from_client(IPPROTO_UDP, 5000, SERVER, 3478);
	p.src = CLIENT2;
	memcpy(p.smac, mac2, 6);
	leave(&p, &e2, &p2);

	p = from_client(IPPROTO_UDP, 40000, e2, p2);
	p.payload_len = 8;
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL_FATAL(take_settled(fr, 4), 1);
	/* Delivered inside to client 2, from the client's external address and port. */
	expect_delivered(&fr[0], mac2, CLIENT2, 5000);
	e1 = fr_src(&fr[0]);
	p1 = fr_sport(&fr[0]);
	CU_ASSERT(is_pool_addr(e1));

	/* Client 2 answers the address it saw; the client sees client 2's external one. */
	p = from_client(IPPROTO_UDP, 5000, e1, p1);
	p.src = CLIENT2;
	memcpy(p.smac, mac2, 6);
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL_FATAL(take_settled(fr, 4), 1);
	expect_delivered(&fr[0], MAC_CLIENT, CLIENT, 40000);
	CU_ASSERT_EQUAL(fr_src(&fr[0]), e2);
	CU_ASSERT_EQUAL(fr_sport(&fr[0]), p2);
	CU_ASSERT_EQUAL(STAT(nat_hairpinned), 2);
	CU_ASSERT_EQUAL(STAT(nat_inbound_flows), 1);

	/* Client 2 reports an error about the client's datagram (RFC 5508 REQ-7): the client
	 * gets it about the datagram it sent, to client 2's external address and port. */
	{
		uint8_t o[PG_FRAME_MAX], e[PG_FRAME_MAX];
		size_t en;

		p = from_server(IPPROTO_UDP, p1, CLIENT2, 5000);
		p.src = e1;
		bld(o, &p);
		en = pg_build_icmp_error(e, sizeof(e), MAC_IN, mac2, CLIENT2, e1, 3, 3, o + 14, 28);
		rx_on(W(0), port_in, e, en);
		CU_ASSERT_EQUAL_FATAL(take_settled(fr, 4), 1);
		CU_ASSERT_EQUAL(fr[0].port, port_in);
		CU_ASSERT_EQUAL(pg_rd32(fr[0].d + 14 + 16), CLIENT);
		CU_ASSERT_EQUAL(fr[0].d[34], 3);
		CU_ASSERT_EQUAL(pg_rd32(fr[0].d + 54), CLIENT);
		CU_ASSERT_EQUAL(pg_rd32(fr[0].d + 58), e2);
		CU_ASSERT_EQUAL(pg_rd16(fr[0].d + 62), 40000);
		CU_ASSERT_EQUAL(pg_rd16(fr[0].d + 64), p2);
		CU_ASSERT_EQUAL(STAT(nat_hairpinned), 3);
	}
	for (unsigned i = 0; i < n_workers; i++)
		egw_flow_flush(W(i)->ft, NULL, NULL);
	dp_teardown();
}

/* A fragmented datagram between two inside hosts turns back inside whole (hairpinning). */
static void test_fragment_hairpin(void)
{
	uint8_t mac2[6], f[PG_FRAME_MAX], whole[PG_FRAME_MAX];
	struct frame out[FRAG_MAX];
	struct frags fs;
	struct pg_pkt p;
	uint32_t e2;
	uint16_t p2;
	unsigned n;

	dp_setup(&(struct dp_opts){ .eim = true, .filtering = EGW_FILTERING_ENDPOINT_INDEPENDENT });
	pg_mac(mac2, 0x13);
	add_static_neigh(port_in, CLIENT2, mac2);
	p = from_client(IPPROTO_UDP, 5000, SERVER, 3478);
	p.src = CLIENT2;
	memcpy(p.smac, mac2, 6);
	leave(&p, &e2, &p2);
	p = from_client(IPPROTO_UDP, 40000, e2, p2);
	p.payload_len = 1800;
	cut_frags(f, bld(f, &p), &fs);
	for (unsigned i = 0; i < fs.n; i++)
		rx_on(W(0), port_in, fs.d[i], fs.len[i]);
	n = take_settled(out, FRAG_MAX);
	CU_ASSERT_EQUAL_FATAL(n, fs.n);
	for (unsigned i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(out[i].port, port_in);
		CU_ASSERT_EQUAL(pg_rd32(out[i].d + PG_ETH_LEN + 16), CLIENT2);
	}
	reassemble(out, n, whole);
	CU_ASSERT_EQUAL(pg_rd16(whole + 22), 5000);
	CU_ASSERT(pg_l4_csum_ok(whole));
	dp_teardown();
}

static void test_pipeline_hairpin(void)
{
	hairpin_case(1);
	hairpin_case(2);
}

/* ---- the tunnel's exception path (exception.c) ---- */

#define TUN_SOURCE PG_IP(169, 254, 0, 2)
#define RESOLVER PG_IP(192, 0, 2, 53) /* behind the gateway: its MAC is known */

static uint8_t MAC_EXC[6], MAC_KERNEL[6];

/* The exception port set up as the app does: an inside port, the source routed to it, the
 * kernel's MAC, a listener on the inside address. */
static void exception_setup(unsigned n_workers)
{
	struct egw_exception_params xp = { .port = port_exc, .source = TUN_SOURCE };

	dp_setup(&(struct dp_opts){ .n_workers = n_workers });
	pg_mac(MAC_EXC, 0x31);
	pg_mac(MAC_KERNEL, 0x32);
	memcpy(xp.kernel_mac.addr_bytes, MAC_KERNEL, 6);
	xp.listeners[0].addr = OUR_IN;
	xp.listeners[0].port = 3128;
	xp.resolvers[0] = RESOLVER;
	set_port(port_exc, EGW_ZONE_INSIDE, OUR_IN, MAC_EXC, "tunnel");
	CU_ASSERT_EQUAL_FATAL(egw_route_add(&F.dp->to_inside, TUN_SOURCE, 32, 0, port_exc), 0);
	add_static_neigh(port_exc, TUN_SOURCE, MAC_KERNEL);
	CU_ASSERT_EQUAL_FATAL(egw_dataplane_set_exception(F.dp, &xp), 0);
	CU_ASSERT_EQUAL(egw_dataplane_set_exception(F.dp, &xp), -EEXIST);
}

/* A packet the kernel sends: to its own MAC (it does no ARP on the tap). */
static struct pg_pkt from_kernel(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
	struct pg_pkt p = from_client(IPPROTO_TCP, sport, dst, dport);

	memcpy(p.dmac, MAC_KERNEL, 6);
	memcpy(p.smac, MAC_KERNEL, 6);
	p.src = src;
	p.tcp_flags = EGW_TCP_SYN;
	return p;
}

static void test_pipeline_exception_path(void)
{
	struct pg_pkt p, back;
	struct frame *fr;
	struct egw_exception_stats xs;
	uint32_t nat_addr;
	uint16_t nat_port;

	exception_setup(1);
	/* A client's SYN to the listener goes to the kernel as it came, MACs aside. */
	p = from_client(IPPROTO_TCP, 40000, OUR_IN, 3128);
	p.tcp_flags = EGW_TCP_SYN;
	send_pkt(W(0), port_in, &p);
	fr = take_one(port_exc);
	CU_ASSERT_EQUAL(memcmp(fr->d, MAC_KERNEL, 6), 0);
	CU_ASSERT_EQUAL(memcmp(fr->d + 6, MAC_EXC, 6), 0);
	CU_ASSERT_EQUAL(pg_rd32(fr->d + 14 + 16), OUR_IN);
	CU_ASSERT_EQUAL(pg_rd16(fr->d + 36), 3128);
	/* Another port of our address is still ours alone. */
	p.dport = 3129;
	send_pkt(W(0), port_in, &p);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(drops(EGW_DROP_LOCAL_UNSUPPORTED), 1);
	/* The kernel's answer leaves the inside port toward the client. */
	p = from_kernel(OUR_IN, 3128, CLIENT, 40000);
	p.tcp_flags = EGW_TCP_SYN | EGW_TCP_ACK;
	send_pkt(W(0), port_exc, &p);
	fr = take_one(port_in);
	CU_ASSERT_EQUAL(memcmp(fr->d, MAC_CLIENT, 6), 0);
	CU_ASSERT_EQUAL(pg_rd32(fr->d + 14 + 16), CLIENT);
	/* Anything else from the kernel: one reason. */
	send_pkt(W(0), port_exc,
		&(struct pg_pkt){ .dmac = { 0 },
			.src = PG_IP(10, 9, 9, 9),
			.dst = SERVER,
			.proto = IPPROTO_TCP,
			.sport = 1,
			.dport = 80,
			.tcp_flags = EGW_TCP_SYN });
	CU_ASSERT_EQUAL(drops(EGW_DROP_EXCEPTION_UNEXPECTED), 1);
	/* An upstream SYN no decision admitted. */
	p = from_kernel(TUN_SOURCE, 40001, SERVER, 80);
	send_pkt(W(0), port_exc, &p);
	CU_ASSERT_EQUAL(take(NULL, 0), 0);
	CU_ASSERT_EQUAL(drops(EGW_DROP_TUNNEL_UNADMITTED), 1);
	/* Admitted (mode decided: default pool): NATed out, its reply back to the kernel. */
	CU_ASSERT_EQUAL(egw_dataplane_exception_admit(F.dp, 40002, SERVER, 80, 0,
				egw_snapshot_current(&F.dp->rcu)->epoch),
		0);
	p = from_kernel(TUN_SOURCE, 40002, SERVER, 80);
	send_pkt(W(0), port_exc, &p);
	fr = take_one(port_out);
	nat_addr = pg_rd32(fr->d + 14 + 12);
	nat_port = pg_rd16(fr->d + 34);
	CU_ASSERT(is_pool_addr(nat_addr));
	back = from_server(IPPROTO_TCP, 80, nat_addr, nat_port);
	back.tcp_flags = EGW_TCP_SYN | EGW_TCP_ACK;
	back.ack = 1001; /* from_client's seq + 1 */
	send_pkt(W(0), port_out, &back);
	fr = take_one(port_exc);
	CU_ASSERT_EQUAL(memcmp(fr->d, MAC_KERNEL, 6), 0);
	CU_ASSERT_EQUAL(pg_rd32(fr->d + 14 + 16), TUN_SOURCE);
	CU_ASSERT_EQUAL(pg_rd16(fr->d + 36), 40002);
	/* Another local port has an admission of its own or none. */
	p = from_kernel(TUN_SOURCE, 40003, SERVER, 80);
	send_pkt(W(0), port_exc, &p);
	CU_ASSERT_EQUAL(drops(EGW_DROP_TUNNEL_UNADMITTED), 2);
	/* The engine's own DNS queries to its resolver pass without a decision. */
	p = from_kernel(TUN_SOURCE, 5353, RESOLVER, 53);
	p.proto = IPPROTO_UDP;
	send_pkt(W(0), port_exc, &p);
	fr = take_one(port_out);
	CU_ASSERT(is_pool_addr(pg_rd32(fr->d + 14 + 12)));
	p.dst = SERVER;
	send_pkt(W(0), port_exc, &p);
	CU_ASSERT_EQUAL(drops(EGW_DROP_TUNNEL_UNADMITTED), 3);
	egw_dataplane_exception_stats(F.dp, &xs);
	CU_ASSERT_EQUAL(xs.to_kernel, 1);
	CU_ASSERT_EQUAL(xs.from_kernel, 1);
	CU_ASSERT_EQUAL(xs.admitted, 1);
	CU_ASSERT_EQUAL(xs.upstream, 5);
	dp_teardown();
}

/* With two workers the admission goes to the worker the SYN is handed to. */
static void test_pipeline_exception_owner(void)
{
	struct egw_exception_stats xs;
	struct pg_pkt p;
	unsigned out = 0;

	exception_setup(2);
	for (uint16_t port = 41000; port < 41016; port++) {
		CU_ASSERT_EQUAL(egw_dataplane_exception_admit(F.dp, port, SERVER, 443, 0,
					egw_snapshot_current(&F.dp->rcu)->epoch),
			0);
		p = from_kernel(TUN_SOURCE, port, SERVER, 443);
		send_pkt(W(port % 2), port_exc, &p); /* whichever queue the kernel picked */
		run_handoffs();
		out += take(NULL, 0);
	}
	CU_ASSERT_EQUAL(out, 16);
	CU_ASSERT_EQUAL(drops(EGW_DROP_TUNNEL_UNADMITTED), 0);
	egw_dataplane_exception_stats(F.dp, &xs);
	CU_ASSERT_EQUAL(xs.admitted, 16);
	dp_teardown();
}

void egw_test_register_pipeline(void)
{
	EGW_SUITE("pipeline", pipeline_init, pipeline_clean, EGW_TEST(test_pipeline_tcp_roundtrip),
		EGW_TEST(test_pipeline_worker_bytes), EGW_TEST(test_pipeline_latency),
		EGW_TEST(test_pipeline_burst), EGW_TEST(test_pipeline_unsolicited),
		EGW_TEST(test_pipeline_modes), EGW_TEST(test_pipeline_revoke_in_burst),
		EGW_TEST(test_pipeline_recheck_delta),
		EGW_TEST(test_pipeline_policy_deny_and_quota),
		EGW_TEST(test_pipeline_shutdown_drain), EGW_TEST(test_pipeline_ttl_exceeded),
		EGW_TEST(test_pipeline_icmp_echo), EGW_TEST(test_pipeline_icmp_error_translation),
		EGW_TEST(test_pipeline_punt_and_local), EGW_TEST(test_pipeline_rx_ip_cksum_flags),
		EGW_TEST(test_pipeline_own_source_and_broadcast),
		EGW_TEST(test_pipeline_port_addrs), EGW_TEST(test_pipeline_ip_options),
		EGW_TEST(test_pipeline_control_queue_full), EGW_TEST(test_pipeline_flow_table_full),
		EGW_TEST(test_pipeline_expiry), EGW_TEST(test_pipeline_two_workers),
		EGW_TEST(test_pipeline_untranslated), EGW_TEST(test_pipeline_handoff_full),
		EGW_TEST(test_pipeline_handoff_carries_meta), EGW_TEST(test_pipeline_rss_owner),
		EGW_TEST(test_pipeline_rss_hash_mismatch),
		EGW_TEST(test_pipeline_rss_owner_disagree),
		EGW_TEST(test_pipeline_rss_owner_hash_not_input),
		EGW_TEST(test_pipeline_route_and_neighbour), EGW_TEST(test_pipeline_source_limit),
		EGW_TEST(test_pipeline_tcp_pickup), EGW_TEST(test_pipeline_tcp_window),
		EGW_TEST(test_pipeline_mtu), EGW_TEST(test_pipeline_fragment_out),
		EGW_TEST(test_pipeline_frag_out_limits), EGW_TEST(test_pipeline_nat_exhausted),
		EGW_TEST(test_pipeline_tx_full), EGW_TEST(test_pipeline_vlan),
		EGW_TEST(test_pipeline_flow_records),
		EGW_TEST(test_pipeline_host_allowed_reordered),
		EGW_TEST(test_pipeline_host_overlap), EGW_TEST(test_pipeline_host_denied_resets),
		EGW_TEST(test_pipeline_host_reasons), EGW_TEST(test_pipeline_host_limits),
		EGW_TEST(test_pipeline_host_flow_ends), EGW_TEST(test_pipeline_host_flow_log),
		EGW_TEST(test_pipeline_host_port_reuse), EGW_TEST(test_pipeline_late_allowed),
		EGW_TEST(test_pipeline_late_denied), EGW_TEST(test_pipeline_late_upstream_rst),
		EGW_TEST(test_pipeline_late_stale), EGW_TEST(test_pipeline_syn_cookies_auto),
		EGW_TEST(test_pipeline_time_wait_frees_source), EGW_TEST(test_pipeline_reuse_tuple),
		EGW_TEST(test_pipeline_port_reclaim), EGW_TEST(test_pipeline_udp_behaviour),
		EGW_TEST(test_pipeline_table_reclaim), EGW_TEST(test_pipeline_reject_policy),
		EGW_TEST(test_pipeline_reject_mode), EGW_TEST(test_pipeline_reject_never_answers),
		EGW_TEST(test_pipeline_reject_exhausted), EGW_TEST(test_pipeline_eim_mapping),
		EGW_TEST(test_pipeline_eim_filtering), EGW_TEST(test_pipeline_eim_tcp_inbound),
		EGW_TEST(test_pipeline_hairpin), EGW_TEST(test_fragment_in_order),
		EGW_TEST(test_fragment_one_burst), EGW_TEST(test_fragment_out_of_order),
		EGW_TEST(test_fragment_timeout), EGW_TEST(test_fragment_buffer_full),
		EGW_TEST(test_fragment_id_unique), EGW_TEST(test_fragment_two_workers),
		EGW_TEST(test_fragment_reassembled_cut), EGW_TEST(test_fragment_hairpin),
		EGW_TEST(test_pipeline_exception_path), EGW_TEST(test_pipeline_exception_owner));
}
