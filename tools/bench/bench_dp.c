/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "bench_dp.h"
#include "bench_pkts.h"
#include "bench_util.h"
#include "conf/policy_conf.h"

#define RING_SIZE 1024

static int port_make(struct bench_env *e, unsigned i, const char *tag, uint16_t *port)
{
	struct rte_eth_conf ec;
	char name[RTE_RING_NAMESIZE];
	int id;

	snprintf(name, sizeof(name), "%s_rx%u", tag, i);
	e->rx[i] = rte_ring_create(name, RING_SIZE, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "%s_tx%u", tag, i);
	e->tx[i] = rte_ring_create(name, RING_SIZE, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!e->rx[i] || !e->tx[i])
		return -1;
	snprintf(name, sizeof(name), "%s%u", tag, i);
	id = rte_eth_from_rings(name, &e->rx[i], 1, &e->tx[i], 1, SOCKET_ID_ANY);
	/* struct egw_flow keeps exit ports in 8 bits, the TX dirty mask in 32. */
	if (id < 0 || id >= 32)
		return -1;
	*port = (uint16_t)id;
	memset(&ec, 0, sizeof(ec));
	if (rte_eth_dev_configure(*port, 1, 1, &ec) < 0 ||
		rte_eth_rx_queue_setup(*port, 0, 64, SOCKET_ID_ANY, NULL, e->mp) < 0 ||
		rte_eth_tx_queue_setup(*port, 0, 64, SOCKET_ID_ANY, NULL) < 0)
		return -1;
	return rte_eth_dev_start(*port) < 0 ? -1 : 0;
}

int bench_env_init(struct bench_env *e, const char *tag, unsigned n_mbufs)
{
	char name[RTE_MEMPOOL_NAMESIZE];

	memset(e, 0, sizeof(*e));
	snprintf(name, sizeof(name), "%s_mbufs", tag);
	/* A per-lcore cache, as the appliance has: a replenishment costs what it costs there. */
	e->mp = rte_pktmbuf_pool_create(name, n_mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	if (!e->mp)
		return -1;
	if (port_make(e, 0, tag, &e->port_in) < 0 || port_make(e, 1, tag, &e->port_out) < 0) {
		bench_env_fini(e);
		return -1;
	}
	e->ok = 1;
	return 0;
}

unsigned bench_env_take_tx(struct bench_env *e, struct rte_mbuf **out, unsigned max)
{
	unsigned n = 0;

	for (unsigned p = 0; p < 2 && n < max; p++)
		if (e->tx[p])
			n += rte_ring_dequeue_burst(e->tx[p], (void **)(out + n), max - n, NULL);
	return n;
}

void bench_env_fini(struct bench_env *e)
{
	struct rte_mbuf *m;

	if (e->ok) {
		rte_eth_dev_stop(e->port_in);
		rte_eth_dev_close(e->port_in);
		rte_eth_dev_stop(e->port_out);
		rte_eth_dev_close(e->port_out);
	}
	for (unsigned i = 0; i < 2; i++) {
		while (e->tx[i] && rte_ring_dequeue(e->tx[i], (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(e->rx[i]);
		rte_ring_free(e->tx[i]);
	}
	rte_mempool_free(e->mp);
	memset(e, 0, sizeof(*e));
}

size_t bench_heap_allocated(void)
{
	size_t total = 0;

	for (unsigned i = 0; i < rte_socket_count(); i++) {
		struct rte_malloc_socket_stats st;
		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) == 0)
			total += st.heap_allocsz_bytes;
	}
	return total;
}

static size_t libc_allocated(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

uint64_t bench_drops(const struct egw_worker *w)
{
	uint64_t n = 0;

	for (unsigned r = 0; r < EGW_DROP_MAX; r++)
		n += w->stats.drops[r];
	return n;
}

static void add_neigh(struct egw_dataplane *dp, uint16_t port, uint32_t addr, const uint8_t *mac)
{
	struct egw_neigh_table *nt = egw_dataplane_neigh(dp);
	struct rte_ether_addr ea;
	uint16_t slot = egw_neigh_get_or_add(nt, port, rte_cpu_to_be_32(addr));

	memcpy(ea.addr_bytes, mac, 6);
	if (slot != EGW_NEIGH_SLOT_NONE)
		egw_neigh_set(nt, slot, &ea, false);
}

static void set_port(struct egw_dataplane *dp, uint16_t id, uint8_t zone, uint32_t addr,
	const uint8_t *mac, const char *name)
{
	struct egw_port_info pi = { .zone = zone, .mtu = 1500, .addr_be = rte_cpu_to_be_32(addr) };

	memcpy(pi.mac.addr_bytes, mac, 6);
	snprintf(pi.name, sizeof(pi.name), "%s", name);
	egw_dataplane_set_port(dp, id, &pi);
}

/* What app/egressgw/ports.c makes of the ports' address, routes and gateway keys. */
static int ports_setup(struct egw_dataplane *dp, const struct bench_env *e)
{
	struct egw_route_table *in = egw_dataplane_routes(dp, EGW_ZONE_INSIDE);
	struct egw_route_table *out = egw_dataplane_routes(dp, EGW_ZONE_OUTSIDE);

	set_port(dp, e->port_in, EGW_ZONE_INSIDE, BENCH_IN_ADDR, bench_mac_in, "inside");
	set_port(dp, e->port_out, EGW_ZONE_OUTSIDE, BENCH_OUT_ADDR, bench_mac_out, "outside");
	if (egw_route_add(in, BENCH_IN_ADDR & 0xffffff00, 24, 0, e->port_in) < 0 ||
		egw_route_add(in, BENCH_IP(198, 18, 0, 0), 15, rte_cpu_to_be_32(BENCH_IN_ROUTER),
			e->port_in) < 0 ||
		egw_route_add(out, BENCH_OUT_ADDR & 0xfffffffc, 30, 0, e->port_out) < 0 ||
		egw_route_add(out, 0, 0, rte_cpu_to_be_32(BENCH_OUT_GW), e->port_out) < 0 ||
		egw_dataplane_add_port_addr(dp, BENCH_IN_ADDR, 24) < 0 ||
		egw_dataplane_add_port_addr(dp, BENCH_OUT_ADDR, 30) < 0)
		return -EINVAL;
	add_neigh(dp, e->port_in, BENCH_IN_ROUTER, bench_mac_router);
	add_neigh(dp, e->port_out, BENCH_OUT_GW, bench_mac_gw);
	return 0;
}

/* The policy set of opts->n_policies (see bench_dp_opts). */
static struct egw_snapshot *policy_snapshot(struct bench_dp *b, uint32_t n, uint64_t gen)
{
	struct egw_policy_conf *pol = calloc(n, sizeof(*pol));
	struct egw_cidr *cidr = calloc((size_t)n * 2, sizeof(*cidr));
	struct egw_port_range *ports = calloc(n, sizeof(*ports));
	struct egw_policy_set ps = { .policies = pol, .n_policies = n };
	struct egw_snapshot_inputs in = { .conf = b->conf,
		.policies = &ps,
		.slots = &b->slots,
		.generation = gen };
	struct egw_snapshot *snap = NULL;

	if (!pol || !cidr || !ports)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		struct egw_policy_conf *p = &pol[i];
		snprintf(p->name, sizeof(p->name), "p%u", i);
		p->order = i;
		p->proto = EGW_PROTO_TCP;
		p->action = EGW_ACTION_ALLOW;
		p->sources = &cidr[2 * (size_t)i];
		p->n_sources = 1;
		if (i == n - 1) {
			/* The benchmark's flows: any server, any port. */
			cidr[2 * (size_t)i] = (struct egw_cidr){ BENCH_IP(198, 18, 0, 0), 15 };
			p->destinations_any = true;
			p->ports_any = true;
			continue;
		}
		/* Source /24, server /32, one port: the benchmark never uses port 8443. */
		cidr[2 * (size_t)i] =
			(struct egw_cidr){ BENCH_IP(198, 18, 0, 0) + ((i & 0x1ff) << 8), 24 };
		cidr[2 * (size_t)i + 1] =
			(struct egw_cidr){ BENCH_IP(203, 0, 113, 0) + (i & 0xff), 32 };
		p->destinations = &cidr[2 * (size_t)i + 1];
		p->n_destinations = 1;
		ports[i] = (struct egw_port_range){ 8443, 8443 };
		p->ports = &ports[i];
		p->n_ports = 1;
	}
	snap = egw_snapshot_compile(&in);
out:
	free(pol);
	free(cidr);
	free(ports);
	return snap;
}

/* The host rule set of opts->n_host_rules (see bench_dp_opts). */
static struct egw_snapshot *host_snapshot(struct bench_dp *b, const struct bench_dp_opts *o,
	uint64_t gen)
{
	static struct egw_port_range https = { 443, 443 };
	uint32_t n = o->n_host_rules;
	struct egw_policy_conf *pol = calloc(n, sizeof(*pol));
	char(*pat)[64] = calloc(n, sizeof(*pat));
	char **hosts = calloc(n, sizeof(*hosts));
	struct egw_policy_set ps = { .policies = pol, .n_policies = n };
	struct egw_snapshot_inputs in = { .conf = b->conf,
		.policies = &ps,
		.slots = &b->slots,
		.generation = gen,
		.host_policies = true };
	struct egw_snapshot *snap = NULL;

	if (!pol || !pat || !hosts)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		struct egw_policy_conf *p = &pol[i];

		if (i == n - 1)
			snprintf(pat[i], sizeof(pat[i]), "%s", o->host_name);
		else
			bench_host_pattern(pat[i], sizeof(pat[i]), i);
		hosts[i] = pat[i];
		snprintf(p->name, sizeof(p->name), "h%u", i);
		p->order = i;
		p->proto = EGW_PROTO_TLS;
		p->action = EGW_ACTION_ALLOW;
		p->sources_any = p->destinations_any = true;
		p->ports = &https;
		p->n_ports = 1;
		p->hosts = &hosts[i];
		p->n_hosts = 1;
	}
	snap = egw_snapshot_compile(&in);
out:
	free(pol);
	free(pat);
	free(hosts);
	return snap;
}

struct egw_snapshot *bench_dp_host_snapshot(struct bench_dp *b, uint32_t n_rules, const char *name,
	uint64_t gen)
{
	const struct bench_dp_opts o = { .n_host_rules = n_rules, .host_name = name };
	char slots[24];

	if (!b->slots_ok) {
		snprintf(slots, sizeof(slots), "bhs%llu", (unsigned long long)gen);
		if (egw_policy_slots_init(&b->slots, slots) < 0)
			return NULL;
		b->slots_ok = 1;
	}
	return host_snapshot(b, &o, gen);
}

/* [egress] mode = passthrough (or policy), default_pool = public; [pool public]. */
static void bench_conf(struct egw_conf *c, const struct bench_dp_opts *o)
{
	struct egw_pool_conf *pool = &c->pools[0];

	egw_conf_defaults(c);
	c->egress.mode = o->n_policies || o->n_host_rules ? EGW_MODE_POLICY : EGW_MODE_PASSTHROUGH;
	snprintf(c->egress.default_pool, sizeof(c->egress.default_pool), "public");
	c->n_pools = 1;
	snprintf(pool->name, sizeof(pool->name), "public");
	for (unsigned i = 0; i < BENCH_POOL_N; i++)
		pool->addrs[i] = BENCH_POOL_FIRST + i;
	pool->n_addrs = BENCH_POOL_N;
	/* A [pool] section's defaults (lib/conf: conf_pool_init). */
	pool->port_first = 1024;
	pool->port_last = 65535;
	pool->mapping = EGW_MAPPING_ENDPOINT_DEPENDENT;
	pool->pairing = EGW_PAIRING_PAIRED;
	pool->max_per_source = o->max_per_source ? o->max_per_source : 8192;
	if (o->late_binding)
		c->egress.host_binding = EGW_BINDING_LATE;
}

/* DPDK heap a data plane of MAX_FLOWS takes (created and freed to measure it). */
static size_t dataplane_heap(struct egw_dataplane_params *p, uint32_t max_flows)
{
	size_t h0 = bench_heap_allocated(), bytes;
	struct egw_dataplane *dp;
	char err[256];

	p->max_flows = max_flows;
	dp = egw_dataplane_create(p, err, sizeof(err));
	bytes = bench_heap_allocated() - h0;
	egw_dataplane_free(dp);
	return dp ? bytes : 0;
}

int bench_dp_create(struct bench_dp *b, struct bench_env *e, const struct bench_dp_opts *o)
{
	static const struct egw_nat_secret secret = { 0x0123456789abcdefULL,
		0xfedcba9876543210ULL };
	/* Classifier, hash and ring names must be unique in the process: one per build. */
	static uint64_t generation;
	struct egw_dataplane_params p = { .n_workers = 1,
		.timeouts = { .tcp_syn = 30,
			.tcp_established = 7440,
			.tcp_transitory = 240,
			.udp = 300,
			.icmp = 60 },
		.tcp_pickup = true,
		.tcp_window_check = !o->no_window_check,
		.latency = o->latency,
		.neigh_max = 64,
		.ring_size = 1024,
		.secret = &secret };
	struct egw_snapshot *snap;
	char name[16], err[256];
	size_t heap0, libc0, fixed;
	int rc = -ENOMEM;

	memset(b, 0, sizeof(*b));
	b->env = e;
	generation++;
	snprintf(name, sizeof(name), "bench%llu", (unsigned long long)generation);
	p.name = name;
	b->conf = calloc(1, sizeof(*b->conf));
	if (!b->conf)
		goto fail;
	/* The worker's share alone: the same data plane with one flow gives the fixed part. */
	fixed = dataplane_heap(&p, 1);
	heap0 = bench_heap_allocated();
	libc0 = libc_allocated();
	p.max_flows = o->max_flows;
	b->dp = egw_dataplane_create(&p, err, sizeof(err));
	if (!b->dp)
		goto fail;
	b->worker_heap_bytes = bench_heap_allocated() - heap0 - fixed + egw_worker_bytes(1, false);
	b->worker_libc_bytes = libc_allocated() - libc0;
	b->w = egw_dataplane_worker(b->dp, 0);
	rc = ports_setup(b->dp, e);
	if (rc < 0)
		goto fail;
	bench_conf(b->conf, o);
	if (o->n_policies || o->n_host_rules) {
		if (egw_policy_slots_init(&b->slots, name) < 0)
			goto fail;
		b->slots_ok = 1;
		snap = o->n_host_rules ? host_snapshot(b, o, generation) :
					 policy_snapshot(b, o->n_policies, generation);
	} else {
		snap = egw_snapshot_build(b->conf, generation);
	}
	rc = -ENOMEM;
	if (!snap || egw_rcu_publish(egw_dataplane_rcu(b->dp), snap) < 0)
		goto fail;
	b->w->now = 1000;
	return 0;
fail:
	bench_dp_free(b);
	return rc;
}

void bench_dp_free(struct bench_dp *b)
{
	if (b->w) {
		egw_pipeline_flush(b->w);
		egw_flow_flush(b->w->ft, NULL, NULL);
	}
	egw_dataplane_free(b->dp);
	if (b->slots_ok)
		egw_policy_slots_fini(&b->slots);
	free(b->conf);
	memset(b, 0, sizeof(*b));
}
