/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the neighbour resolver (lib/net/neigh_resolve.c, neigh_arp.c): ARP
 * frames from the wire are untrusted input to a state machine with timers and held packets.
 * The input is a program of steps of 7 bytes, a control byte and its operands:
 *   0: an ARP frame received on a port (op, Ethernet destination, sender and target picked from
 *      small sets so that they hit our addresses, our subnets and others);
 *   1: a packet a worker could not address, toward a next hop picked the same way;
 *   2: time passes (operand x 100 ms), the timers run every 100 ms;
 *   3: a stale neighbour is used by a worker; 4: every slot is viewed, as telemetry does.
 * Frames go through egw_pkt_parse() first, as the control thread's do. Afterwards every held
 * packet is flushed, and every mbuf must be back in the pool: each one was sent or freed
 * exactly once. EAL runs without shared files, hugepages or PCI.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "common/log.h"
#include "net/neigh_resolve.h"
#include "pkt/csum.h"
#include "pkt/pkt.h"

#define POOL_SIZE 1023
#define MAX_STEPS 256

static struct rte_mempool *pool;
static uint64_t now_ms;
static uint64_t drops[EGW_DROP_MAX];

static const uint8_t macs[][6] = {
	{ 0x02, 0, 0, 0, 0, 0x01 }, /* our inside port */
	{ 0x02, 0, 0, 0, 0, 0x02 }, /* our outside port */
	{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	{ 0x02, 0, 0, 0, 0, 0x10 },
	{ 0x02, 0, 0, 0, 0, 0x11 },
	{ 0x01, 0, 0x5e, 0, 0, 0x01 }, /* multicast */
	{ 0, 0, 0, 0, 0, 0 },
	{ 0x02, 0, 0, 0, 0, 0x12 },
};

/* Addresses, network order: ours, on our subnets, elsewhere, none. */
static uint32_t pick_addr(uint8_t sel, uint8_t octet)
{
	static const uint32_t bases[] = { 0xc6120000, 0xcb007100, 0x0a000000, 0 };

	switch (sel & 7) {
	case 0:
		return htonl(0xc6120001); /* 198.18.0.1, inside port */
	case 1:
		return htonl(0xcb007102); /* 203.0.113.2, outside port */
	default:
		return htonl(bases[sel % 4] | (bases[sel % 4] ? octet % 8 : 0));
	}
}

static uint64_t clock_fn(void *ctx)
{
	(void)ctx;
	return now_ms;
}

static void tx_fn(void *ctx, struct rte_mbuf *m, uint16_t port)
{
	(void)ctx;
	(void)port;
	rte_pktmbuf_free(m);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *eal[] = { "fuzz_neigh", "--no-huge", "--no-pci", "--no-shconf", "-m", "128",
		"--no-telemetry", "--log-level", "lib.*:error", "-l", "0", NULL };

	(void)argc;
	(void)argv;
	egw_log_set_level(EGW_LOG_ERR);
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0)
		abort();
	pool = rte_pktmbuf_pool_create("fuzz_neigh", POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	if (!pool)
		abort();
	return 0;
}

/* Frames that pass the parser as the control thread's do; false when they do not. */
static struct rte_mbuf *frame(const uint8_t *bytes, size_t len, uint16_t port,
	enum egw_pkt_kind want)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct egw_pkt_meta meta;
	char *d;

	if (!m)
		abort(); /* the pool never runs dry: a packet was lost */
	d = rte_pktmbuf_append(m, (uint16_t)len);
	memcpy(d, bytes, len);
	m->port = port;
	if (egw_pkt_parse((const uint8_t *)d, len, &meta) != EGW_DROP_NONE || meta.kind != want) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	return m;
}

static void arp_step(struct egw_neigh_resolver *r, const uint8_t *op)
{
	uint8_t f[60] = { 0 };
	struct rte_mbuf *m;

	memcpy(f, macs[op[1] % 8], 6);
	memcpy(f + 6, macs[op[2] % 8], 6);
	f[12] = 0x08, f[13] = 0x06;
	f[14] = 0, f[15] = 1, f[16] = 0x08, f[17] = 0, f[18] = 6, f[19] = 4;
	f[20] = 0, f[21] = (uint8_t)(1 + (op[0] & 1));
	memcpy(f + 22, macs[op[2] % 8], 6);
	{
		uint32_t sip = pick_addr(op[3], op[4]), tip = pick_addr(op[5], op[4]);
		memcpy(f + 28, &sip, 4);
		memcpy(f + 38, &tip, 4);
	}
	m = frame(f, sizeof(f), (uint16_t)(op[0] >> 1 & 1), EGW_PKT_ARP);
	if (m)
		egw_neigh_arp_input(r, m);
}

static void hold_step(struct egw_neigh_resolver *r, const uint8_t *op)
{
	/* A TCP SYN from a pool address, already translated, leaving by the port. */
	static const uint8_t tcp[54] = { 0x02, 0, 0, 0, 0, 0x99, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0,
		0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 198, 51, 100, 10, 203, 0, 113, 9, 0x9c,
		0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0 };
	uint8_t f[60] = { 0 };
	struct rte_mbuf *m;

	uint16_t c;

	memcpy(f, tcp, sizeof(tcp));
	f[35] = op[1]; /* source port: distinct packets */
	c = egw_csum_full(f + 14, 20);
	memcpy(f + 24, &c, 2);
	m = frame(f, sizeof(f), (uint16_t)(op[0] & 1), EGW_PKT_IPV4);
	if (!m)
		abort(); /* the frame is well formed */
	m->hash.usr = pick_addr(op[2], op[3]);
	egw_neigh_hold(r, m);
}

static struct egw_neigh_resolver *setup(struct egw_neigh_table **t)
{
	struct egw_neigh_params p = { .pool = pool,
		.tx = tx_fn,
		.rx = tx_fn,
		.clock_ms = clock_fn,
		.drops = drops,
		.icmp_per_s = 5,
		.seed = 1 };
	struct egw_neigh_port np = { .prefix_len = 24,
		.reachable_ms = 1000,
		.probes = 2,
		.gc_ms = 5000 };
	struct egw_neigh_resolver *r;

	*t = p.table = egw_neigh_create("fuzz", 16, SOCKET_ID_ANY);
	if (!*t)
		abort();
	r = egw_neigh_resolver_create(&p);
	if (!r)
		abort();
	np.addr_be = htonl(0xc6120001);
	memcpy(np.mac.addr_bytes, macs[0], 6);
	egw_neigh_port_add(r, 0, &np);
	np.addr_be = htonl(0xcb007102);
	memcpy(np.mac.addr_bytes, macs[1], 6);
	egw_neigh_port_add(r, 1, &np);
	egw_neigh_add_nexthop(r, 1, htonl(0xcb007101));
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct egw_neigh_table *t;
	struct egw_neigh_resolver *r = setup(&t);
	struct egw_neigh_view v;
	struct rte_ether_addr mac;
	unsigned steps = 0;

	now_ms = 1000000;
	for (size_t i = 0; i + 7 <= size && steps < MAX_STEPS; i += 7, steps++) {
		const uint8_t *op = data + i + 1;

		switch (data[i] % 5) {
		case 0:
			arp_step(r, op);
			break;
		case 1:
			hold_step(r, op);
			break;
		case 2:
			for (unsigned k = 0; k < op[0] % 64; k++) {
				now_ms += 100;
				egw_neigh_timers(r);
			}
			break;
		case 3:
			for (uint32_t s = 0; s < egw_neigh_count(t); s++)
				egw_neigh_mac(t, (uint16_t)s, &mac);
			break;
		default:
			for (uint32_t s = 0; s < egw_neigh_count(t); s++)
				if (egw_neigh_view(r, s, &v) && v.state >= EGW_NEIGH_ST_MAX)
					abort();
			break;
		}
	}
	egw_neigh_flush(r, EGW_DROP_SHUTDOWN);
	egw_neigh_resolver_free(r);
	egw_neigh_free(t);
	if (rte_mempool_avail_count(pool) != POOL_SIZE)
		abort(); /* a packet neither sent nor freed, or freed twice */
	return 0;
}
