/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the data path: a sequence of packets in both directions through the
 * real egw_pipeline_rx() of a test appliance (tools/bench/bench_dp.c: one worker, ring
 * ethdevs, passthrough SNAT to 198.51.100.10-13, static neighbours; EAL with --no-huge
 * --no-pci, no shared files). Besides the sanitizers it checks what the data path promises:
 * every frame it sends parses, a frame leaving by the outside port comes from a pool address or
 * the port itself, every packet received is sent, handed to the control thread or dropped with
 * exactly one reason (never "none"), and at the end of each input, once every flow is ended,
 * every mbuf is back in the pool, every flow slot free and no NAT port held.
 *
 * The appliance is made once and reset between inputs (flows ended, counters, clock and policy
 * set afresh): making one per input costs ~4 ms (a worker's counter tables are megabytes), 20
 * times the run of a typical input.
 *
 * Input: one setup byte (bit 0: tcp_pickup = no; bits 1-2: [egress] ip_options; bit 3: mode
 * deny; bit 4: dns_filter; bit 5: mode policy with tls host rules for port 443 only, so TCP
 * flows there wait for their name and their first data is held, read and decided; bit 6:
 * tcp_window_check = no; bit 7: deny_action and exhaustion_action = reject, at most 4
 * answers a second), then
 * operations, each an op byte (low 3 bits: what, high bits: flags) and operands:
 *   0, 1  a frame into the inside (0) or outside (1) port: 2-byte length, bytes. Flag 0x08:
 *         the appliance's MAC as destination; 0x10: the IPv4 header checksum made right.
 *         Frames collect into a burst (at most 32), sent by op 7 or any other op.
 *   2     the reply to the last frame that left by the outside port (addresses, ports and MACs
 *         swapped, an echo request turned into its reply), then a count byte N and N
 *         (offset, xor) byte pairs applied to it, checksum made right; into the outside port.
 *   3     an ICMP error (type, code from the next two bytes) from the gateway about the last
 *         frame that left by the outside port; into the outside port.
 *   4     an ICMP error from the inside host about the last frame that left by the inside port.
 *   5     the clock moves on by the next byte's seconds; expiry runs over the whole table.
 *   6     TX flushed and checked (also after every burst).
 *   7     the burst collected so far is received.
 * EGW_FUZZ_TRACE=1 in the environment prints what each input did (for writing seeds).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "bench_dp.h"
#include "bench_pkts.h"
#include "fuzz_frame.h"
#include "pipeline/fragment.h"
#include "pipeline/host_side.h"
#include "pkt/csum.h"
#include "pkt/pkt.h"

#define MAX_FRAME 1600
#define QUOTE 28 /* an ICMP error's quote: IP header and 8 bytes (more with options) */

static struct bench_env env;
static struct bench_dp B;
static int env_ok;

/* What one input did and saw. */
static struct {
	struct rte_mbuf *burst[EGW_BURST];
	unsigned n_burst;
	uint64_t fed, taken_tx, taken_punt, taken_held;
	uint8_t last_out[MAX_FRAME], last_in[MAX_FRAME];
	uint16_t last_out_len, last_in_len;
} S;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* At exit, before LeakSanitizer looks: what the appliance holds is reachable only from the
 * DPDK heap, which LeakSanitizer does not scan. */
static void teardown(void)
{
	bench_dp_free(&B);
	bench_env_fini(&env);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *eal[] = { "fuzz_pipeline", "--no-huge", "--no-pci", "--no-shconf", "--file-prefix",
		"egwfuzz", "-m", "256", "--log-level", "lib.*:error", "--no-telemetry", "-l", "0",
		NULL };
	const struct bench_dp_opts o = { .max_flows = 64 };

	(void)argc;
	(void)argv;
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0 ||
		bench_env_init(&env, "fz", 2048) < 0 || bench_dp_create(&B, &env, &o) < 0) {
		fprintf(stderr, "fuzz_pipeline: EAL or ring ports failed\n");
		abort();
	}
	env_ok = 1;
	atexit(teardown);
	return 0;
}

static void check_sent(uint16_t port, struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	struct egw_pkt_meta meta;
	uint32_t src;

	if (m->nb_segs != 1 || egw_pkt_parse(f, m->data_len, &meta) != EGW_DROP_NONE ||
		meta.kind == EGW_PKT_ARP)
		abort();
	src = rte_be_to_cpu_32(meta.src);
	if (port == env.port_out &&
		!(src == BENCH_OUT_ADDR ||
			(src >= BENCH_POOL_FIRST && src < BENCH_POOL_FIRST + BENCH_POOL_N)))
		abort();
	if (m->data_len <= MAX_FRAME) {
		uint8_t *keep = port == env.port_out ? S.last_out : S.last_in;
		memcpy(keep, f, m->data_len);
		*(port == env.port_out ? &S.last_out_len : &S.last_in_len) = m->data_len;
	}
}

/* Takes back everything the worker sent, handed to the control thread, or held for ARP. */
static void take_all(void)
{
	struct egw_dataplane *dp = B.dp;
	struct rte_mbuf *m;

	egw_pipeline_flush(B.w);
	for (unsigned p = 0; p < 2; p++)
		while (rte_ring_dequeue(env.tx[p], (void **)&m) == 0) {
			check_sent(p == 0 ? env.port_in : env.port_out, m);
			rte_pktmbuf_free(m);
			S.taken_tx++;
		}
	while (rte_ring_dequeue(dp->punt_ring, (void **)&m) == 0) {
		rte_pktmbuf_free(m);
		S.taken_punt++;
	}
	while (rte_ring_dequeue(dp->resolve_ring, (void **)&m) == 0) {
		check_sent(m->port, m);
		rte_pktmbuf_free(m);
		S.taken_held++;
	}
}

static void submit(void)
{
	if (S.n_burst) {
		egw_pipeline_rx(B.w, S.burst, (uint16_t)S.n_burst, false);
		S.n_burst = 0;
	}
	take_all();
}

static void queue_frame(const uint8_t *f, size_t len, uint16_t port)
{
	struct rte_mbuf *m;

	if (S.n_burst == EGW_BURST)
		submit();
	m = rte_pktmbuf_alloc(env.mp);
	if (!m || !rte_pktmbuf_append(m, (uint16_t)len)) {
		rte_pktmbuf_free(m);
		return;
	}
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), f, len);
	m->port = port;
	S.burst[S.n_burst++] = m;
	S.fed++;
}

/* The frame from a raw operation: D[0..] holds length and bytes. Returns bytes consumed. */
static size_t op_frame(const uint8_t *d, size_t n, uint8_t op)
{
	const bool outside = (op & 7) == 1;
	uint8_t f[MAX_FRAME];
	size_t len;

	if (n < 2)
		return n;
	len = (size_t)(d[0] | d[1] << 8) % MAX_FRAME;
	if (len > n - 2)
		len = n - 2;
	memcpy(f, d + 2, len);
	if ((op & 0x08) && len >= 12) {
		memcpy(f, outside ? bench_mac_out : bench_mac_in, 6);
		memcpy(f + 6, outside ? bench_mac_gw : bench_mac_router, 6);
	}
	if (op & 0x10)
		fuzz_fix_ip_csum(f, len);
	queue_frame(f, len, outside ? env.port_out : env.port_in);
	return 2 + len;
}

/*
 * The reply to the last outbound frame, mutated by the operands. Returns bytes consumed: the
 * operands are, whether or not there is a frame to answer (a sequence reads the same way).
 */
static size_t op_reply(const uint8_t *d, size_t n)
{
	const unsigned pairs = n > 0 ? d[0] & 7 : 0;
	const size_t used = n > 0 ? 1 + 2 * (pairs < (n - 1) / 2 ? pairs : (n - 1) / 2) : 0;
	uint8_t f[MAX_FRAME], tmp[4];
	size_t len = S.last_out_len, ihl;

	if (len < 14 + 20 + 8)
		return used;
	memcpy(f, S.last_out, len);
	memcpy(f, bench_mac_out, 6);
	memcpy(f + 6, bench_mac_gw, 6);
	memcpy(tmp, f + 26, 4);
	memmove(f + 26, f + 30, 4);
	memcpy(f + 30, tmp, 4);
	ihl = (size_t)(f[14] & 0x0f) * 4;
	if (14 + ihl + 8 <= len) {
		uint8_t *l4 = f + 14 + ihl;
		if (f[23] == IPPROTO_TCP || f[23] == IPPROTO_UDP) {
			memcpy(tmp, l4, 2);
			memmove(l4, l4 + 2, 2);
			memcpy(l4 + 2, tmp, 2);
		} else if (f[23] == IPPROTO_ICMP && l4[0] == EGW_ICMP_ECHO_REQUEST) {
			l4[0] = EGW_ICMP_ECHO_REPLY;
		}
	}
	for (size_t k = 1; k + 1 < used; k += 2)
		f[d[k] % len] ^= d[k + 1];
	fuzz_fix_ip_csum(f, len);
	queue_frame(f, len, env.port_out);
	return used;
}

/* An ICMP error about the last frame that left by PORT, sent back into that port. */
static size_t op_icmp_error(const uint8_t *d, size_t n, bool outside)
{
	const uint8_t *about = outside ? S.last_out : S.last_in;
	size_t about_len = outside ? S.last_out_len : S.last_in_len, q;
	uint8_t f[14 + 20 + 8 + 68] = { 0 };
	uint16_t c, total;
	uint8_t *ip = f + 14;

	if (n < 2)
		return n;
	if (about_len < 14 + 20)
		return 2;
	q = (size_t)(about[14] & 0x0f) * 4 + 8;
	if (q > 68 || 14 + q > about_len)
		q = about_len - 14 < 68 ? about_len - 14 : 68;
	total = (uint16_t)(20 + 8 + q);
	memcpy(f, outside ? bench_mac_out : bench_mac_in, 6);
	memcpy(f + 6, outside ? bench_mac_gw : bench_mac_router, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(total >> 8);
	ip[3] = (uint8_t)total;
	ip[8] = 64;
	ip[9] = IPPROTO_ICMP;
	memcpy(ip + 12, about + 14 + 16, 4); /* from whom the packet was going to */
	memcpy(ip + 16, about + 14 + 12, 4); /* to its sender */
	ip[20] = d[0];
	ip[21] = d[1];
	memcpy(ip + 28, about + 14, q);
	c = egw_csum_full(ip + 20, 8 + q);
	memcpy(ip + 22, &c, 2);
	fuzz_fix_ip_csum(f, 14 + total);
	queue_frame(f, 14 + total, outside ? env.port_out : env.port_in);
	return 2;
}

/* A fresh start for the next input: the settings of SETUP, a new snapshot, zero counters. */
static void reset(uint8_t setup)
{
	struct egw_worker *w = B.w;
	struct egw_conf *c = B.conf;
	struct egw_snapshot *snap;
	const unsigned ipo = (setup >> 1) & 3;

	B.dp->tcp_pickup = !(setup & 1);
	B.dp->tcp_window_check = !(setup & 0x40);
	c->egress.ip_options = ipo <= EGW_IP_OPTIONS_PASS ? (enum egw_ip_options)ipo :
							    EGW_IP_OPTIONS_DROP_SOURCE_ROUTE;
	c->egress.mode = (setup & 8)	? EGW_MODE_DENY :
			 (setup & 0x20) ? EGW_MODE_POLICY :
					  EGW_MODE_PASSTHROUGH;
	/* dns_filter: answers on DNS flows lose ech, rewritten in place (lengths, checksums) */
	c->egress.dns_filter = (setup & 16) != 0;
	/* refusals (mode deny, no match, exhaustion) answered in place: RST or ICMP 3/13 */
	c->egress.deny_action = (setup & 0x80) ? EGW_DENY_REJECT : EGW_DENY_DROP;
	c->egress.exhaustion_action = c->egress.deny_action;
	c->egress.reject_rate = 4;
	if (setup & 0x20)
		snap = bench_dp_host_snapshot(&B, 8, "api.github.com",
			egw_snapshot_current(&B.dp->rcu)->generation + 1);
	else
		snap = egw_snapshot_build(c, egw_snapshot_current(&B.dp->rcu)->generation + 1);
	/* No worker thread reads: the replaced snapshot goes at once. */
	if (!snap || egw_rcu_publish(&B.dp->rcu, snap) < 0 || egw_rcu_reclaim(&B.dp->rcu) != 0)
		abort();
	memset(&w->stats, 0, sizeof(w->stats));
	w->now = 1000;
	w->host->scan_second = 0; /* the once-a-second scan of waiting flows runs at 1000 again */
	w->nat_counter = 0;
	w->icmp_rate = (struct egw_rate){ 0 };
	w->reject_rate = (struct egw_rate){ 0 };
}

/* Ends every flow the input left (first data held for a name is dropped, counted), and every
 * fragment train (fragments waiting for their first are dropped, counted). */
static void end_flows(void)
{
	uint32_t cursor = 0;

	while (!egw_pipeline_end_flows(B.w, &cursor))
		; /* no flow log ring in the fuzzer: one call ends them all */
	egw_pl_frag_drain(B.w);
}

/* Once every flow ended: nothing is held any more: slots, NAT ports, mbufs. */
static void end_all(void)
{
	struct egw_flow_table *ft = B.w->ft;

	if (egw_flow_table_active(ft) != 0 ||
		egw_flow_table_free_records(ft) != egw_flow_table_capacity(ft))
		abort();
	for (unsigned a = 0; a < BENCH_POOL_N; a++) {
		uint64_t in_use = 0, exhausted = 0;
		egw_addr_stats_read(&B.w->addrs, rte_cpu_to_be_32(BENCH_POOL_FIRST + a), &in_use,
			&exhausted);
		if (in_use != 0)
			abort();
	}
	if (rte_mempool_in_use_count(env.mp) != 0)
		abort();
}

/* EGW_FUZZ_TRACE: one line per input, its counters and the drops by reason. */
static void trace(void)
{
	const struct egw_worker_stats *st = &B.w->stats;

	fprintf(stderr, "in %lu out %lu punted %lu held %lu flows %lu icmp %lu drops:",
		(unsigned long)st->rx_packets, (unsigned long)st->tx_packets,
		(unsigned long)st->punted, (unsigned long)st->held,
		(unsigned long)st->flows_created, (unsigned long)st->icmp_errors_sent);
	for (unsigned r = 0; r < EGW_DROP_MAX; r++)
		if (st->drops[r])
			fprintf(stderr, " %s=%lu", egw_drop_name((enum egw_drop_reason)r),
				(unsigned long)st->drops[r]);
	fprintf(stderr, "\n");
}

/* Every packet received was sent, handed over, or dropped with one reason. */
static void check_conservation(void)
{
	const struct egw_worker_stats *st = &B.w->stats;
	uint64_t drops = 0;

	for (unsigned r = 0; r < EGW_DROP_MAX; r++)
		drops += st->drops[r];
	if (st->drops[EGW_DROP_NONE] != 0 || st->rx_packets != S.fed ||
		st->tx_packets != S.taken_tx || st->punted != S.taken_punt ||
		st->held != S.taken_held ||
		st->rx_packets + st->icmp_errors_sent + st->rst_sent + st->ack_probes_sent +
				st->rejects_sent + st->dns_nxdomain_sent + st->fragments_sent !=
			st->tx_packets + st->punted + st->held + drops + st->packets_fragmented)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i = 1;

	if (!env_ok || size == 0 || size > 65536)
		return 0;
	memset(&S, 0, sizeof(S));
	reset(data[0]);
	while (i < size) {
		const uint8_t op = data[i++];
		const uint8_t *d = data + i;
		const size_t n = size - i;

		switch (op & 7) {
		case 0:
		case 1:
			i += op_frame(d, n, op);
			continue;
		case 7:
			break;
		case 2:
			submit();
			i += op_reply(d, n);
			break;
		case 3:
		case 4:
			submit();
			i += op_icmp_error(d, n, (op & 7) == 3);
			break;
		case 5:
			submit();
			if (n > 0) {
				B.w->now += d[0];
				i++;
			}
			for (uint32_t k = 0;
				k <= egw_flow_table_capacity(B.w->ft) / EGW_EXPIRE_BUDGET; k++)
				egw_pipeline_expire(B.w);
			break;
		default:
			break;
		}
		submit();
	}
	submit();
	end_flows();
	if (getenv("EGW_FUZZ_TRACE"))
		trace();
	check_conservation();
	end_all();
	return 0;
}
