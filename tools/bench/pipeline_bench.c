/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's data path on one lcore: egw_pipeline_rx() + egw_pipeline_flush(), the functions
 * app/egressgw/worker.c calls, linked from the egw library, on synthetic TCP frames (issue 5).
 *
 * Per flow count N (--flows, default 1k,64k,1M,10M), with a flow table of N * --max-factor
 * records (default 1.0: the table is full, the worst case for its hash):
 *   memory   DPDK heap taken by egw_worker_create() (flow records, both keys' hash entries,
 *            creation times, free list, the per-source NAT limit table) / table size; all of it
 *            is allocated up front, none grows with traffic;
 *   new      N packets of N new flows, each one created (pickup of an established TCP flow:
 *            route checks, passthrough admission, paired pool address, NAT port allocation,
 *            per-source limit, both keys inserted), translated and transmitted;
 *   est.     --packets packets of the N established flows, outbound, flows visited in a
 *            strided order (no two consecutive packets of one flow, no locality);
 *   reply    the same number of server replies to the translated tuples (outside -> inside);
 *   expire   the worker loop's paced expiry (egw_pipeline_expire_paced) after each burst: the
 *            whole table examined once a second whatever the packet rate; none expires.
 *            Shown apart.
 * A policy-mode row repeats "new" with --policies policies (classification on the snapshot).
 *
 * --tls-rules LIST (e.g. 1k,100k): TLS flows decided by their host name (issue 11), per rule
 * count, against one tuple policy (0 in the list) on the same traffic:
 *   tls new  --tls-flows new TCP flows to port 443, each its SYN, the SYN+ACK and a 517-byte
 *            ClientHello (curl's, SNI api.github.com): with host rules the flow waits at its
 *            SYN, the hello is held, read and decided, then released; cycles per flow for
 *            the three packets;
 * --late: the same rows with [egress] host_binding = late (issue 12): per flow its SYN (answered
 * with a cookie), the ClientHello acknowledging the cookie (our SYN leaves) and the server's
 * SYN+ACK (our ACK and the held hello leave); est.: ACKs through the splice.
 *   tls est  --packets ACKs of those flows (scattered): an established flow decided by its
 *            name against one admitted by a tuple policy.
 * The rule sets: N - 1 tls policies naming other hosts (half of them wildcards) and one
 * naming api.github.com (bench_dp_opts).
 *
 * What is timed: rte_rdtsc() around egw_pipeline_rx() + egw_pipeline_flush() for each burst of
 * 32, minus the measured cost of the two rdtsc. Not timed: building the frames and getting the
 * mbufs back. The ports are ring ethdevs (net_ring): TX enqueues the mbufs to a ring (about
 * what a NIC's descriptor write costs), and the benchmark takes them back and rewrites the
 * frames in place for the next burst, so no mbuf is allocated or freed on the measured path
 * (net_null would free every mbuf in TX and force an allocation per packet). The rewrite
 * leaves each frame in the cache, as a NIC with DDIO does; rx_burst is not included.
 *
 * Bounded: every pass has a packet count, and stops early (marked) after --max-seconds.
 * --smoke: small flow counts, a few thousand packets, correctness asserted, no rates.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_pause.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>

#include "bench_dp.h"
#include "bench_pkts.h"
#include "flow/flow_table.h"
#include "nat/nat_map.h"
#include "nat/source_limit.h"
#include "nat/translate.h"
#include "pkt/pkt.h"

#define MAX_SIZES 16
#define BURST EGW_BURST
#define STRIDE 2654435761ULL /* prime: visits every flow of N < STRIDE, in a scattered order */

struct pass {
	uint64_t packets, cycles, expire_cycles;
	double seconds; /* wall time of the pass, building included */
	int truncated;	/* stopped by --max-seconds */
	/* Cycles per packet of the median full burst: on a machine shared with other work, the
	 * bursts a preemption or an interrupt landed in move the mean, not this. */
	double p50;
};

/* The cycles of each full burst of a pass, for its median (the first BURST_SAMPLES). */
#define BURST_SAMPLES (1u << 20)
static uint32_t burst_cycles[BURST_SAMPLES];

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Cycles per packet of the median of the N bursts of BURST packets in burst_cycles. */
static double burst_median(unsigned n)
{
	if (n == 0)
		return 0;
	qsort(burst_cycles, n, sizeof(burst_cycles[0]), cmp_u32);
	return (double)burst_cycles[n >> 1] / BURST;
}

/* The established path cut into the library calls it is made of, each timed alone on the same
 * traffic (cycles per packet). The remainder of the full pipeline is the glue between them:
 * ownership, key building, TCP tracking, counters, TTL, route/neighbour, MACs. */
struct stages {
	uint64_t packets;
	double parse, lookup, record, translate, tx;
};

/* What one cache miss costs in memory of the table's size, on this machine: context for the
 * per-packet figures (an established packet needs at least a hash bucket, a key and a flow
 * record that are not in cache). */
struct mem_latency {
	size_t bytes;
	double dependent;   /* cycles per load of a pointer chase (one miss at a time) */
	double independent; /* cycles per load, 32 independent loads at a time */
};

/* One --tls-rules row. */
struct tls_result {
	uint32_t rules; /* 0: one tuple policy instead */
	uint32_t flows;
	struct pass create, est;
	int ok;
	char why[160];
};

/* Time inside at a fraction of the maximum rate (--only load): Poisson arrivals. */
#define N_LOADS 3
static const double LOADS[N_LOADS] = { 0.1, 0.5, 0.9 };
struct load_row {
	double load, offered_mpps, done_mpps; /* fraction of the max; rates offered and done */
	double cpu_share;		      /* CPU time the thread got over the run's time */
	uint64_t packets;
	double p50_ns, p99_ns, p999_ns;
};
struct load_result {
	double max_mpps; /* back to back, frames built in the loop as in every load row */
	struct load_row row[N_LOADS];
};

struct result {
	uint32_t flows, table;
	struct load_result load;
	struct stages st;
	struct mem_latency lat;
	uint32_t policies;
	size_t heap_bytes, libc_bytes, ft_bytes;
	struct pass create, est, reply;
	uint64_t drops, held, tx_missing;
	int ok;
	char why[160];
};

static struct {
	uint32_t sizes[MAX_SIZES];
	unsigned n_sizes;
	uint64_t packets;
	double max_factor;
	uint32_t policies;
	double max_seconds;
	int smoke, hugepages, sequential, no_window_check;
	const char *json, *prefix;
	unsigned mem_mb;
	int do_est, do_reply, do_stages, do_latency, do_load;
	uint32_t tls_rules[MAX_SIZES];
	unsigned n_tls;
	uint32_t tls_flows;
	int late;
} opt = { .tls_flows = 100000,
	.packets = 10000000,
	.max_factor = 1.0,
	.policies = 1000,
	.max_seconds = 60,
	.prefix = "egwpipebench",
	.do_est = 1,
	.do_reply = 1,
	.do_stages = 1,
	.do_latency = 1 };

static uint64_t tsc_hz, rdtsc_overhead;
static struct bench_env env;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_count(const char *s, uint64_t *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0)
		return -1;
	if (*end == 'k' || *end == 'K')
		v *= 1000, end++;
	else if (*end == 'M' || *end == 'm')
		v *= 1000000, end++;
	else if (*end == 'G' || *end == 'g')
		v *= 1000000000, end++;
	if (*end)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* "1k,64k,...": at most MAX_SIZES counts up to 1e8 (0 allowed) into OUT, *N of them. */
static int parse_list(const char *list, uint32_t *out, unsigned *n)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", list);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t v;
		if (*n == MAX_SIZES || parse_count(tok, &v) < 0 || v > 100000000)
			return -1;
		out[(*n)++] = (uint32_t)v;
	}
	return *n ? 0 : -1;
}

static int parse_sizes(const char *list)
{
	if (parse_list(list, opt.sizes, &opt.n_sizes) < 0)
		return -1;
	for (unsigned i = 0; i < opt.n_sizes; i++)
		if (opt.sizes[i] == 0)
			return -1;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: pipeline_bench [--flows LIST] [--packets N] [--smoke] [-o FILE]\n"
		   "  --flows LIST       flow counts, e.g. 1k,64k,1M,10M (default)\n"
		   "  --packets N        packets per established / reply pass (default 10M)\n"
		   "  --max-factor F     flow table size = flows * F (default 1.0: full table)\n"
		   "  --policies P       policy-mode new-flow row with P policies (default 1000, 0 "
		   "= none)\n"
		   "  --only LIST        passes: new,est,reply,stages,latency,load (default all "
		   "but\n"
		   "                     load; new always runs). load: time inside (RX stamp to "
		   "TX)\n"
		   "                     at 10/50/90%% of the max rate, Poisson arrivals\n"
		   "  --sequential       visit flows in creation order instead of a scattered one\n"
		   "  --no-window-check  [flows] tcp_window_check = no (default yes)\n"
		   "  --hugepages        use hugepages (default --no-huge); needs a mounted "
		   "hugetlbfs\n"
		   "  --mem MB           EAL memory (default: from the largest flow count)\n"
		   "  --max-seconds S    wall-time bound of each pass (default 60)\n"
		   "  --file-prefix P    EAL file prefix (default egwpipebench)\n"
		   "  --smoke            1k and 4k flows, 4096 packets: correctness only (CI)\n"
		   "  --tls-rules LIST   TLS flows decided by host name with these rule counts\n"
		   "                     (and one tuple policy), e.g. 1k,100k\n"
		   "  --tls-flows N      new TLS flows per rule count (default 100k)\n"
		   "  --late             the TLS rows bound late (host_binding = late)\n"
		   "  -o, --json FILE    write the figures as JSON\n");
}

static int parse_args(int argc, char **argv)
{
	static const struct option lo[] = { { "flows", 1, 0, 'f' }, { "packets", 1, 0, 'p' },
		{ "max-factor", 1, 0, 'x' }, { "policies", 1, 0, 'P' }, { "only", 1, 0, 'O' },
		{ "sequential", 0, 0, 's' }, { "hugepages", 0, 0, 'H' }, { "mem", 1, 0, 'm' },
		{ "max-seconds", 1, 0, 'T' }, { "file-prefix", 1, 0, 'F' }, { "smoke", 0, 0, 'S' },
		{ "json", 1, 0, 'o' }, { "prefetch-records", 0, 0, 'R' }, { "help", 0, 0, 'h' },
		{ "tls-rules", 1, 0, 'L' }, { "tls-flows", 1, 0, 'N' },
		{ "no-window-check", 0, 0, 'W' }, { "late", 0, 0, 'B' }, { 0, 0, 0, 0 } };
	uint64_t v;
	int c;

	parse_sizes("1k,64k,1M,10M");
	while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (parse_sizes(optarg) < 0)
				return -1;
			break;
		case 'p':
			if (parse_count(optarg, &opt.packets) < 0 || opt.packets == 0)
				return -1;
			break;
		case 'x':
			opt.max_factor = atof(optarg);
			if (opt.max_factor < 1.0 || opt.max_factor > 16)
				return -1;
			break;
		case 'P':
			if (parse_count(optarg, &v) < 0 || v > 1000000)
				return -1;
			opt.policies = (uint32_t)v;
			break;
		case 'O':
			opt.do_est = strstr(optarg, "est") != NULL;
			opt.do_reply = strstr(optarg, "reply") != NULL;
			opt.do_stages = strstr(optarg, "stages") != NULL;
			opt.do_latency = strstr(optarg, "latency") != NULL;
			opt.do_load = strstr(optarg, "load") != NULL;
			break;
		case 's':
			opt.sequential = 1;
			break;
		case 'W':
			opt.no_window_check = 1;
			break;
		case 'H':
			opt.hugepages = 1;
			break;
		case 'm':
			opt.mem_mb = (unsigned)atoi(optarg);
			break;
		case 'T':
			opt.max_seconds = atof(optarg);
			break;
		case 'F':
			opt.prefix = optarg;
			break;
		case 'S':
			opt.smoke = 1;
			break;
		case 'o':
			opt.json = optarg;
			break;
		case 'L':
			if (parse_list(optarg, opt.tls_rules, &opt.n_tls) < 0)
				return -1;
			break;
		case 'B':
			opt.late = 1;
			break;
		case 'N':
			if (parse_count(optarg, &v) < 0 || v == 0 || v > 10000000)
				return -1;
			opt.tls_flows = (uint32_t)v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind != argc)
		return -1;
	if (opt.smoke) {
		parse_sizes("1000,4096");
		opt.packets = 4096;
		if (opt.policies > 100)
			opt.policies = 100;
		opt.max_seconds = 30;
		opt.tls_flows = 2048;
		if (!opt.n_tls) {
			opt.tls_rules[0] = 1000;
			opt.n_tls = 1;
		}
	}
	return 0;
}

static uint32_t table_size(uint32_t flows)
{
	double t = (double)flows * opt.max_factor;
	return t > 100000000 ? 100000000 : (uint32_t)(t + 0.5);
}

/* rte_rdtsc() twice in a row, the cost every timed burst carries; the minimum of many. */
static uint64_t measure_rdtsc_overhead(void)
{
	uint64_t best = UINT64_MAX;

	for (unsigned i = 0; i < 10000; i++) {
		uint64_t t0 = rte_rdtsc();
		uint64_t t1 = rte_rdtsc();
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	return best;
}

/* The mbufs in flight: BURST frames, taken back after each burst (replenished after drops). */
static struct rte_mbuf *pkts[BURST];

/* Takes back the N mbufs of the last burst into PKTS[0..N); the pipeline freed the missing. */
static int refill(unsigned n_sent, unsigned *missing)
{
	unsigned n = bench_env_take_tx(&env, pkts, n_sent);

	*missing += n_sent - n;
	for (; n < n_sent; n++) {
		pkts[n] = rte_pktmbuf_alloc(env.mp);
		if (!pkts[n])
			return -1;
		if (!rte_pktmbuf_append(pkts[n], BENCH_FRAME_LEN))
			return -1;
	}
	return 0;
}

enum kind { OUTBOUND, REPLY };

/* Flow numbers are their index in the table's creation order; NAT tuples from the pass that
 * created them. */
static uint32_t *nat_addr;
static uint16_t *nat_port;

/* Writes the frames of the next N packets into PKTS, flows from IDX on (sequential, or
 * strided by STEP over N_FLOWS); returns the next flow. */
static uint64_t build_burst(enum kind kind, unsigned n, uint64_t idx, uint64_t step,
	uint32_t n_flows, int scattered)
{
	struct bench_tuple t;

	for (unsigned j = 0; j < n; j++) {
		struct rte_mbuf *m = pkts[j];
		uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
		bench_flow_tuple(idx, &t);
		if (kind == OUTBOUND)
			bench_build_outbound(d, &t, 0x10);
		else
			bench_build_reply(d, &t, nat_addr[idx], nat_port[idx], 0x10);
		m->port = kind == OUTBOUND ? env.port_in : env.port_out;
		m->hash.usr = (uint32_t)idx;
		if (scattered) {
			idx += step;
			if (idx >= n_flows)
				idx -= n_flows;
		} else if (++idx == n_flows) {
			idx = 0;
		}
	}
	return idx;
}

/*
 * Sends PACKETS frames of flows from ORDER (sequential from 0, or strided over N) through the
 * worker, timing each burst. RECORD: store each flow's NAT tuple from what was transmitted.
 */
static int run_pass(struct bench_dp *b, enum kind kind, uint32_t n_flows, uint64_t packets,
	int scattered, int record, struct pass *ps)
{
	struct egw_worker *w = b->w;
	const uint64_t step = STRIDE % n_flows;
	uint64_t idx = 0, cycles = 0, exp_cycles = 0;
	uint64_t done = 0;
	unsigned missing = 0, n_bursts = 0;
	double t_start = now_s();

	memset(ps, 0, sizeof(*ps));
	while (done < packets) {
		unsigned n = packets - done < BURST ? (unsigned)(packets - done) : BURST;
		uint64_t t0, t1, t2;

		idx = build_burst(kind, n, idx, step, n_flows, scattered);
		t0 = rte_rdtsc();
		egw_pipeline_rx(w, pkts, (uint16_t)n, false);
		egw_pipeline_flush(w);
		t1 = rte_rdtsc();
		egw_pipeline_expire_paced(w, t1);
		t2 = rte_rdtsc();
		cycles += t1 - t0 - rdtsc_overhead;
		exp_cycles += t2 - t1 - rdtsc_overhead;
		if (n == BURST && n_bursts < BURST_SAMPLES)
			burst_cycles[n_bursts++] =
				(uint32_t)RTE_MIN(t1 - t0 - rdtsc_overhead, (uint64_t)UINT32_MAX);
		done += n;
		if (record) {
			struct rte_mbuf *out[BURST];
			unsigned k = bench_env_take_tx(&env, out, n);
			for (unsigned j = 0; j < k; j++) {
				const uint8_t *d = rte_pktmbuf_mtod(out[j], const uint8_t *);
				uint32_t i = out[j]->hash.usr;
				memcpy(&nat_addr[i], d + 26, 4);
				memcpy(&nat_port[i], d + 34, 2);
				nat_addr[i] = rte_be_to_cpu_32(nat_addr[i]);
				nat_port[i] = rte_be_to_cpu_16(nat_port[i]);
				pkts[j] = out[j];
			}
			missing += n - k;
			for (unsigned j = k; j < n; j++) {
				pkts[j] = rte_pktmbuf_alloc(env.mp);
				if (!pkts[j] || !rte_pktmbuf_append(pkts[j], BENCH_FRAME_LEN))
					return -1;
			}
		} else if (refill(n, &missing) < 0) {
			return -1;
		}
		if ((done & 0xffff) < BURST && now_s() - t_start > opt.max_seconds) {
			ps->truncated = 1;
			break;
		}
	}
	ps->packets = done;
	ps->cycles = cycles;
	ps->expire_cycles = exp_cycles;
	ps->seconds = now_s() - t_start;
	ps->p50 = burst_median(n_bursts);
	return (int)missing;
}

/*
 * Established outbound packets whose arrival times (TSC offsets ARRIVE[i] from the start)
 * are given: each burst takes up to BURST packets that have arrived, each stamped with its
 * arrival time in the mbuf field the worker loop writes at RX (latency.h), and the worker's
 * histogram records at TX, as in the daemon. Frames are built inside the loop (the bench is
 * the NIC too). Returns the cycles the run took; the histogram is the worker's.
 */
static uint64_t run_arrivals(struct bench_dp *b, uint32_t n_flows, uint64_t packets,
	const uint64_t *arrive, unsigned *missing)
{
	struct egw_worker *w = b->w;
	const uint64_t step = STRIDE % n_flows;
	uint64_t idx = 0, done = 0, t_start;

	memset(w->lat, 0, sizeof(*w->lat));
	t_start = rte_rdtsc();
	while (done < packets) {
		const uint64_t now = rte_rdtsc() - t_start;
		unsigned n = 0;

		while (n < BURST && done + n < packets && arrive[done + n] <= now)
			n++;
		if (n == 0) {
			rte_pause();
			continue;
		}
		idx = build_burst(OUTBOUND, n, idx, step, n_flows, 1);
		for (unsigned j = 0; j < n; j++)
			egw_latency_stamp(&pkts[j], 1, w->lat_off, t_start + arrive[done + j]);
		egw_pipeline_rx(w, pkts, (uint16_t)n, false);
		egw_pipeline_flush(w);
		egw_pipeline_expire_paced(w, rte_rdtsc());
		if (refill(n, missing) < 0)
			return 0;
		done += n;
	}
	return rte_rdtsc() - t_start;
}

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Exponential inter-arrival times (a Poisson process) of RATE packets per cycle, from a
 * fixed seed: the same arrivals in every run. */
static void poisson_arrivals(uint64_t *arrive, uint64_t n, double rate)
{
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	double t = 0;

	for (uint64_t i = 0; i < n; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		t += -log(((double)(s >> 11) + 0.5) / 9007199254740992.0) / rate;
		arrive[i] = (uint64_t)t;
	}
}

/*
 * Time inside at 10, 50 and 90% of the maximum rate: the maximum from the same loop with
 * every packet there at the start, then Poisson arrivals at each fraction of it.
 */
static void run_load(struct bench_dp *b, uint32_t n_flows, uint64_t packets, struct load_result *lr,
	unsigned *missing)
{
	uint64_t *arrive = calloc(packets, sizeof(*arrive));
	uint64_t cycles, max_cycles;

	memset(lr, 0, sizeof(*lr));
	if (!arrive || !b->w->lat)
		goto out;
	max_cycles = run_arrivals(b, n_flows, packets, arrive, missing); /* all at 0 */
	if (!max_cycles)
		goto out;
	lr->max_mpps = (double)packets * (double)tsc_hz / (double)max_cycles / 1e6;
	for (unsigned i = 0; i < N_LOADS; i++) {
		struct load_row *r = &lr->row[i];
		const double rate = LOADS[i] * (double)packets / (double)max_cycles; /* per cycle */
		const double ns = 1e9 / (double)tsc_hz;
		double cpu0;

		poisson_arrivals(arrive, packets, rate);
		cpu0 = thread_cpu_s();
		cycles = run_arrivals(b, n_flows, packets, arrive, missing);
		if (!cycles)
			break;
		/* Time the thread was not on its CPU (other processes) delays packets too. */
		r->cpu_share = (thread_cpu_s() - cpu0) / ((double)cycles / (double)tsc_hz);
		r->load = LOADS[i];
		r->offered_mpps = rate * (double)tsc_hz / 1e6;
		r->done_mpps = (double)packets * (double)tsc_hz / (double)cycles / 1e6;
		r->packets = egw_latency_count(b->w->lat);
		r->p50_ns = (double)egw_latency_quantile(b->w->lat, 0.5) * ns;
		r->p99_ns = (double)egw_latency_quantile(b->w->lat, 0.99) * ns;
		r->p999_ns = (double)egw_latency_quantile(b->w->lat, 0.999) * ns;
	}
out:
	free(arrive);
}

/*
 * The stages of the established outbound path, each timed alone over bursts of the strided
 * traffic of run_pass: parse (egw_pkt_parse), bulk lookup (egw_flow_lookup_bulk), first touch
 * of the flow records, translation (egw_translate), TX (rte_eth_tx_burst to the ring). The
 * flow table is only read (records are not updated).
 */
static void run_stages(struct bench_dp *b, uint32_t n_flows, uint64_t packets, struct stages *st)
{
	struct egw_flow_table *ft = b->w->ft;
	const uint64_t step = STRIDE % n_flows;
	uint64_t idx = 0, c[5] = { 0 }, done = 0, sink = 0;
	double t_start = now_s();
	struct egw_pkt_meta meta[BURST];
	struct egw_flow_key keys[BURST];
	const struct egw_flow_key *kp[BURST];
	struct egw_flow *f[BURST];
	uint8_t dirs[BURST];
	struct bench_tuple t;
	unsigned missing = 0;

	memset(st, 0, sizeof(*st));
	while (done + BURST <= packets) {
		uint64_t t0, t1, hits;
		uint16_t sent;

		for (unsigned j = 0; j < BURST; j++) {
			bench_flow_tuple(idx, &t);
			bench_build_outbound(rte_pktmbuf_mtod(pkts[j], uint8_t *), &t, 0x10);
			idx += step;
			if (idx >= n_flows)
				idx -= n_flows;
		}
		t0 = rte_rdtsc();
		for (unsigned j = 0; j < BURST; j++)
			sink += egw_pkt_parse(rte_pktmbuf_mtod(pkts[j], const uint8_t *),
				pkts[j]->data_len, &meta[j]);
		t1 = rte_rdtsc();
		c[0] += t1 - t0 - rdtsc_overhead;
		for (unsigned j = 0; j < BURST; j++) {
			egw_flow_key_set(&keys[j], meta[j].src, meta[j].dst, meta[j].sport,
				meta[j].dport, meta[j].proto, EGW_ZONE_INSIDE);
			kp[j] = &keys[j];
		}
		t0 = rte_rdtsc();
		hits = egw_flow_lookup_bulk(ft, kp, BURST, f, dirs);
		t1 = rte_rdtsc();
		c[1] += t1 - t0 - rdtsc_overhead;
		if (hits != (BURST == 64 ? ~0ULL : (1ULL << BURST) - 1))
			break;
		t0 = rte_rdtsc();
		for (unsigned j = 0; j < BURST; j++)
			sink += f[j]->port[0];
		t1 = rte_rdtsc();
		c[2] += t1 - t0 - rdtsc_overhead;
		t0 = rte_rdtsc();
		for (unsigned j = 0; j < BURST; j++)
			egw_translate(pkts[j], &meta[j], f[j], EGW_DIR_ORIG);
		t1 = rte_rdtsc();
		c[3] += t1 - t0 - rdtsc_overhead;
		t0 = rte_rdtsc();
		sent = rte_eth_tx_burst(env.port_out, 0, pkts, BURST);
		t1 = rte_rdtsc();
		c[4] += t1 - t0 - rdtsc_overhead;
		if (refill(sent, &missing) < 0)
			break;
		done += BURST;
		if ((done & 0xffff) < BURST && now_s() - t_start > opt.max_seconds)
			break;
	}
	if (sink == 42)
		puts(""); /* keeps the loads from being optimised away */
	st->packets = done;
	if (!done)
		return;
	st->parse = (double)c[0] / done;
	st->lookup = (double)c[1] / done;
	st->record = (double)c[2] / done;
	st->translate = (double)c[3] / done;
	st->tx = (double)c[4] / done;
}

/*
 * Cache lines of a buffer of BYTES (from the DPDK heap, so on the table's kind of pages), each
 * holding the index of the next one of a full-period LCG over the lines: a chase that visits
 * them all in a scattered order. Timed as a dependent chain, then as groups of 32 independent
 * loads (what a burst's bulk lookup can overlap at best).
 */
static void measure_latency(size_t bytes, struct mem_latency *lat)
{
	uint64_t n_lines = 1, steps, t0, x = 0, sink = 0;
	uint64_t *buf;

	memset(lat, 0, sizeof(*lat));
	while ((n_lines << 1) * 64 <= bytes)
		n_lines <<= 1;
	buf = rte_malloc("egwpb_lat", n_lines * 64, 64);
	if (!buf)
		return;
	/* x -> 5x + 1 mod 2^k has full period. */
	for (uint64_t i = 0; i < n_lines; i++)
		buf[i * 8] = (i * 5 + 1) & (n_lines - 1);
	steps = n_lines < 2000000 ? n_lines : 2000000;
	t0 = rte_rdtsc();
	for (uint64_t i = 0; i < steps; i++)
		x = buf[x * 8];
	lat->dependent = (double)(rte_rdtsc() - t0) / (double)steps;
	sink += x;
	t0 = rte_rdtsc();
	for (uint64_t i = 0; i < steps; i += 32) {
		uint64_t base = (i * 2654435761ULL) & (n_lines - 1);
		for (unsigned j = 0; j < 32; j++)
			sink += buf[((base + (uint64_t)j * 40503ULL * 64) & (n_lines - 1)) * 8];
	}
	lat->independent = (double)(rte_rdtsc() - t0) / (double)steps;
	lat->bytes = n_lines * 64;
	if (sink == 42)
		puts("");
	rte_free(buf);
}

static double cpp(const struct pass *p)
{
	return p->packets ? (double)p->cycles / (double)p->packets : 0;
}

static double mpps(const struct pass *p)
{
	return p->cycles ? (double)p->packets * (double)tsc_hz / (double)p->cycles / 1e6 : 0;
}

static double exp_cpp(const struct pass *p)
{
	return p->packets ? (double)p->expire_cycles / (double)p->packets : 0;
}

/* Heap bytes of a flow table alone (records, both keys' hash, side arrays), for the split. */
static size_t flow_table_bytes(uint32_t capacity)
{
	static const struct egw_flow_timeouts to = { 30, 7440, 240, 300, 60 };
	size_t h0 = bench_heap_allocated(), bytes;
	struct egw_flow_table *ft = egw_flow_table_create(capacity, SOCKET_ID_ANY, &to);

	if (!ft)
		return 0;
	bytes = bench_heap_allocated() - h0;
	egw_flow_table_free(ft);
	return bytes;
}

static void __attribute__((format(printf, 2, 3))) fail(struct result *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->ok)
		return;
	r->ok = 0;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

static void run_size(uint32_t flows, uint32_t policies, struct result *r)
{
	struct bench_dp_opts o = { .max_flows = table_size(flows),
		.n_policies = policies,
		.no_window_check = opt.no_window_check,
		.latency = opt.do_load && !policies };
	struct bench_dp b;
	uint64_t rx, expected;
	int missing;

	memset(r, 0, sizeof(*r));
	r->flows = flows;
	r->table = o.max_flows;
	r->policies = policies;
	r->ok = 1;
	if (!policies)
		r->ft_bytes = flow_table_bytes(o.max_flows);
	if (bench_dp_create(&b, &env, &o) < 0) {
		fail(r, "cannot create a worker with %u flows (raise --mem)", o.max_flows);
		return;
	}
	r->heap_bytes = b.worker_heap_bytes;
	r->libc_bytes = b.worker_libc_bytes;
	nat_addr = calloc(flows, sizeof(*nat_addr));
	nat_port = calloc(flows, sizeof(*nat_port));
	if (!nat_addr || !nat_port) {
		fail(r, "out of memory");
		goto out;
	}

	missing = run_pass(&b, OUTBOUND, flows, flows, 0, 1, &r->create);
	if (missing < 0)
		fail(r, "mbuf pool empty");
	if (b.w->stats.flows_created != r->create.packets)
		fail(r, "flows created %llu, expected %llu",
			(unsigned long long)b.w->stats.flows_created,
			(unsigned long long)r->create.packets);
	if (policies == 0 && opt.do_est && !r->create.truncated) {
		missing = run_pass(&b, OUTBOUND, flows, opt.packets, !opt.sequential, 0, &r->est);
		if (missing < 0)
			fail(r, "mbuf pool empty");
	}
	if (policies == 0 && opt.do_load && !r->create.truncated) {
		unsigned lost = 0;
		uint64_t n = opt.packets < 4000000 ? opt.packets : 4000000;

		run_load(&b, flows, n, &r->load, &lost);
		/* counted as established packets for the checks below */
		r->est.packets += (N_LOADS + 1) * n;
		if (lost)
			fail(r, "%u packets missing after the load rows", lost);
	}
	if (policies == 0 && opt.do_stages && !r->create.truncated)
		run_stages(&b, flows, opt.packets < 2000000 ? opt.packets : 2000000, &r->st);
	if (policies == 0 && opt.do_reply && !r->create.truncated) {
		missing = run_pass(&b, REPLY, flows, opt.packets, !opt.sequential, 0, &r->reply);
		if (missing < 0)
			fail(r, "mbuf pool empty");
	}
	r->drops = bench_drops(b.w);
	for (unsigned k = 0; k < EGW_DROP_MAX; k++)
		if (b.w->stats.drops[k])
			fprintf(stderr, "  drop %s: %llu\n", egw_drop_name(k),
				(unsigned long long)b.w->stats.drops[k]);
	r->held = b.w->stats.held;
	rx = b.w->stats.rx_packets;
	expected = r->create.packets + r->est.packets + r->reply.packets;
	if (r->drops)
		fail(r, "%llu packets dropped", (unsigned long long)r->drops);
	if (r->held)
		fail(r, "%llu packets held for ARP", (unsigned long long)r->held);
	if (rx != expected || b.w->stats.tx_packets != expected)
		fail(r, "received %llu, transmitted %llu of %llu packets", (unsigned long long)rx,
			(unsigned long long)b.w->stats.tx_packets, (unsigned long long)expected);
	if (b.w->stats.inbound_packets != r->reply.packets)
		fail(r, "replies forwarded %llu of %llu",
			(unsigned long long)b.w->stats.inbound_packets,
			(unsigned long long)r->reply.packets);
	if (egw_flow_table_active(b.w->ft) != r->create.packets)
		fail(r, "active flows %u, expected %llu", egw_flow_table_active(b.w->ft),
			(unsigned long long)r->create.packets);
out:
	free(nat_addr);
	free(nat_port);
	nat_addr = NULL;
	nat_port = NULL;
	/* The mbufs still in the TX rings come back to PKTS on the next refill. */
	bench_dp_free(&b);
	if (!policies && opt.do_latency)
		measure_latency(r->heap_bytes, &r->lat);
}

/* ---- TLS flows decided by host name (--tls-rules) ---- */

static uint8_t *tls_hello;
static uint16_t tls_hello_len;
static uint32_t *cookie; /* --late: per flow, our SYN+ACK's sequence number */

/* The recorded ClientHello NAME of tests/unit/data (malloc'd), NULL when unreadable. */
static uint8_t *read_data(const char *name, size_t *len)
{
	char path[512];
	uint8_t *buf = malloc(4096);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", EGW_TEST_DATA, name);
	f = fopen(path, "rb");
	if (!f || !buf) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	*len = fread(buf, 1, 4096, f);
	fclose(f);
	return buf;
}

/* Flow I of the TLS passes: the benchmark's tuple, to port 443. */
static void tls_tuple(uint64_t i, struct bench_tuple *t)
{
	bench_flow_tuple(i, t);
	t->dport = 443;
}

/* Receives the N mbufs of OUT through the worker (timed), returns the cycles; what it sends
 * is taken back and freed, the NAT tuples recorded by flow (mbuf hash.usr). --late: the
 * segments the appliance writes carry no flow index; they leave in the order of the flows of
 * the burst, from *NEXT on: our SYNs (their NAT tuples) and cookie SYN+ACKs. */
static uint64_t tls_burst(struct egw_worker *w, struct rte_mbuf **out, unsigned n, unsigned *tx,
	uint64_t *next)
{
	struct rte_mbuf *back[2 * BURST];
	uint64_t t0, t1;
	unsigned k;

	t0 = rte_rdtsc();
	egw_pipeline_rx(w, out, (uint16_t)n, false);
	egw_pipeline_flush(w);
	t1 = rte_rdtsc();
	egw_pipeline_expire_paced(w, t1);
	while ((k = bench_env_take_tx(&env, back, 2 * BURST)) > 0) {
		for (unsigned j = 0; j < k; j++) {
			const uint8_t *d = rte_pktmbuf_mtod(back[j], const uint8_t *);
			uint32_t i = next && (d[47] == 0x02 || d[47] == 0x12) ?
					     (uint32_t)(*next)++ :
					     back[j]->hash.usr;
			if (next && d[47] == 0x12) /* our cookie SYN+ACK */
				cookie[i] =
					(uint32_t)d[38] << 24 | d[39] << 16 | d[40] << 8 | d[41];
			if (d[47] == 0x02) { /* a SYN, translated */
				memcpy(&nat_addr[i], d + 26, 4);
				memcpy(&nat_port[i], d + 34, 2);
				nat_addr[i] = rte_be_to_cpu_32(nat_addr[i]);
				nat_port[i] = rte_be_to_cpu_16(nat_port[i]);
			}
			rte_pktmbuf_free(back[j]);
		}
		*tx += k;
	}
	return t1 - t0 - rdtsc_overhead;
}

enum tls_pkt { TLS_SYN, TLS_SYNACK, TLS_HELLO, TLS_ACK };

/* --late: frame D acknowledges ACK (its TCP checksum computed again). */
static void set_ack(uint8_t *d, uint32_t ack)
{
	uint8_t *ip = d + 14, *tcp = ip + 20;
	const uint16_t l4 = (uint16_t)((ip[2] << 8 | ip[3]) - 20);
	const uint32_t src = (uint32_t)ip[12] << 24 | ip[13] << 16 | ip[14] << 8 | ip[15];
	const uint32_t dst = (uint32_t)ip[16] << 24 | ip[17] << 16 | ip[18] << 8 | ip[19];
	uint16_t c;

	for (unsigned k = 0; k < 4; k++)
		tcp[8 + k] = (uint8_t)(ack >> (24 - 8 * k));
	tcp[16] = tcp[17] = 0;
	c = bench_csum(tcp, l4,
		(src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 6 + l4);
	tcp[16] = (uint8_t)(c >> 8);
	tcp[17] = (uint8_t)c;
}

/* Frames of flows FIRST.. (N of them, or scattered by STRIDE from *IDX) of kind K in OUT. */
static int tls_frames(enum tls_pkt k, uint64_t first, unsigned n, uint32_t n_flows, uint64_t *idx,
	struct rte_mbuf **out)
{
	for (unsigned j = 0; j < n; j++) {
		uint64_t i = idx ? *idx : first + j;
		struct rte_mbuf *m = rte_pktmbuf_alloc(env.mp);
		struct bench_tuple t;
		uint8_t *d;
		unsigned len;

		if (!m || !rte_pktmbuf_append(m, (uint16_t)(54 + tls_hello_len + 6)))
			return -1;
		d = rte_pktmbuf_mtod(m, uint8_t *);
		tls_tuple(i, &t);
		if (k == TLS_SYNACK) {
			bench_build_reply(d, &t, nat_addr[i], nat_port[i], 0x12);
			len = BENCH_FRAME_LEN;
		} else {
			len = bench_build_outbound_data(d, &t, k == TLS_SYN ? 0x02 : 0x18,
				k == TLS_SYN ? 1 : 2, tls_hello,
				k == TLS_HELLO ? tls_hello_len : 0);
		}
		if (opt.late && k != TLS_SYN) /* the cookie's ack; the server's ack of our SYN */
			set_ack(d, k == TLS_SYNACK ? 2 : cookie[i] + 1);
		rte_pktmbuf_data_len(m) = rte_pktmbuf_pkt_len(m) = len;
		m->port = k == TLS_SYNACK ? env.port_out : env.port_in;
		m->hash.usr = (uint32_t)i;
		out[j] = m;
		if (idx) {
			*idx += STRIDE % n_flows;
			if (*idx >= n_flows)
				*idx -= n_flows;
		}
	}
	return 0;
}

/* One --tls-rules row: RULES host rules (0: one tuple policy), --tls-flows flows. */
static void run_tls(uint32_t rules, struct tls_result *r)
{
	const uint32_t flows = opt.tls_flows;
	struct bench_dp_opts o = { .max_flows = flows + flows / 4,
		.n_policies = rules ? 0 : 1,
		.n_host_rules = rules,
		.host_name = "api.github.com",
		.late_binding = opt.late != 0 };
	/* Early: SYN, the server's SYN+ACK, the hello. Late: SYN (a cookie back), the hello (our
	 * SYN out), the server's SYN+ACK (our ACK and the hello out). */
	static const enum tls_pkt early[] = { TLS_SYN, TLS_SYNACK, TLS_HELLO },
				  late[] = { TLS_SYN, TLS_HELLO, TLS_SYNACK };
	const enum tls_pkt *order = opt.late ? late : early;
	struct rte_mbuf *out[BURST];
	uint64_t idx = 0, done = 0;
	unsigned tx = 0;
	double t_start;
	struct bench_dp b;

	memset(r, 0, sizeof(*r));
	r->rules = rules;
	r->flows = flows;
	r->ok = 1;
	if (bench_dp_create(&b, &env, &o) < 0) {
		snprintf(r->why, sizeof(r->why), "cannot create the worker");
		r->ok = 0;
		return;
	}
	nat_addr = calloc(flows, sizeof(*nat_addr));
	nat_port = calloc(flows, sizeof(*nat_port));
	cookie = calloc(flows, sizeof(*cookie));
	t_start = now_s();
	for (uint64_t f = 0; nat_addr && nat_port && cookie && f < flows; f += BURST) {
		unsigned n = flows - f < BURST ? (unsigned)(flows - f) : BURST;

		for (unsigned s = 0; s < 3; s++) {
			uint64_t next = f;

			if (tls_frames(order[s], f, n, flows, NULL, out) < 0) {
				r->ok = 0;
				break;
			}
			r->create.cycles += tls_burst(b.w, out, n, &tx, opt.late ? &next : NULL);
		}
		r->create.packets += n;
		if (!r->ok || now_s() - t_start > opt.max_seconds) {
			r->create.truncated = 1;
			break;
		}
	}
	r->create.seconds = now_s() - t_start;
	t_start = now_s();
	while (r->ok && !r->create.truncated && done < opt.packets) {
		unsigned n = opt.packets - done < BURST ? (unsigned)(opt.packets - done) : BURST;

		if (tls_frames(TLS_ACK, 0, n, flows, &idx, out) < 0)
			break;
		r->est.cycles += tls_burst(b.w, out, n, &tx, NULL);
		done += n;
		if ((done & 0xffff) < BURST && now_s() - t_start > opt.max_seconds) {
			r->est.truncated = 1;
			break;
		}
	}
	r->est.packets = done;
	r->est.seconds = now_s() - t_start;
	for (unsigned k = 0; k < EGW_DROP_MAX; k++)
		if (b.w->stats.drops[k])
			fprintf(stderr, "  drop %s: %llu\n", egw_drop_name(k),
				(unsigned long long)b.w->stats.drops[k]);
	/* Late binding waits for a name only where host rules need one: the tuple policy's row
	 * (RULES 0) binds early even with --late. */
	const bool bound_late = opt.late && rules;

	if (b.w->stats.flows_created != r->create.packets || bench_drops(b.w) ||
		b.w->stats.tx_packets !=
			(bound_late ? 4 : 3) * r->create.packets + r->est.packets ||
		(rules && b.w->stats.host_allowed != r->create.packets) ||
		(bound_late && b.w->stats.late_spliced != r->create.packets) ||
		(!bound_late && b.w->stats.late_spliced != 0)) {
		snprintf(r->why, sizeof(r->why),
			"flows %llu of %llu, allowed by name %llu, drops %llu, tx %llu",
			(unsigned long long)b.w->stats.flows_created,
			(unsigned long long)r->create.packets,
			(unsigned long long)b.w->stats.host_allowed,
			(unsigned long long)bench_drops(b.w),
			(unsigned long long)b.w->stats.tx_packets);
		r->ok = 0;
	}
	free(nat_addr);
	free(nat_port);
	free(cookie);
	nat_addr = NULL;
	nat_port = NULL;
	cookie = NULL;
	bench_dp_free(&b);
}

static void print_tls(const struct tls_result *res, unsigned n)
{
	printf("\nTLS flows decided by host name (SYN + SYN/ACK + 517-byte ClientHello per flow; "
	       "est.: ACKs of those flows, scattered)%s\n",
		opt.late ? ", bound late: cookie, our SYN, spliced" : "");
	printf("%-22s %9s | %12s %10s | %10s %8s\n", "rules", "flows", "new cyc/flow", "flows/s",
		"est cyc/pkt", "Mpps");
	for (unsigned i = 0; i < n; i++) {
		const struct tls_result *r = &res[i];
		char what[32];

		if (r->rules)
			snprintf(what, sizeof(what), "%u tls host rules", r->rules);
		else
			snprintf(what, sizeof(what), "1 tuple policy");
		printf("%-22s %9u | %12.0f %10.0f | %10.1f %8.3f%s%s%s\n", what, r->flows,
			cpp(&r->create), (double)tsc_hz / cpp(&r->create), cpp(&r->est),
			mpps(&r->est), r->create.truncated ? "  (truncated)" : "",
			r->ok ? "" : "  FAILED: ", r->ok ? "" : r->why);
	}
}

/* Where the worker's bytes per flow go (bytes per flow of the table's capacity). */
struct mem_parts {
	double records, free_list, index, source_limit, nat_maps, rest;
	double index_load; /* share of the index's slots in use when the table is full */
};

/*
 * The parts each module says it allocates for the table size, and what the measured heap
 * holds beyond them (the worker's fixed tables, allocator overhead).
 */
static void mem_parts(const struct result *r, struct mem_parts *p)
{
	const double n = r->table;
	struct egw_flow_table_mem m;

	egw_flow_table_mem(r->table, &m);
	p->records = (double)m.records / n;
	p->free_list = (double)m.free_list / n;
	p->index = (double)m.index / n;
	p->index_load = (double)m.index_keys / m.index_slots;
	p->source_limit = (double)egw_source_limit_bytes(r->table) / n;
	p->nat_maps = (double)egw_nat_maps_bytes(r->table) / n;
	p->rest = (double)r->heap_bytes / n - p->records - p->free_list - p->index -
		  p->source_limit - p->nat_maps;
}

static void print_memory(const struct result *r)
{
	struct mem_parts p;

	mem_parts(r, &p);
	printf("memory at %u: worker %.1f B/flow = records %.1f, free list %.1f, index %.1f "
	       "(%.0f%% of its slots when full), source limit %.1f, NAT mappings %.1f, rest %.1f "
	       "(measured flow table %.1f); libc %zu B\n",
		r->table, (double)r->heap_bytes / r->table, p.records, p.free_list, p.index,
		100.0 * p.index_load, p.source_limit, p.nat_maps, p.rest,
		(double)r->ft_bytes / r->table, r->libc_bytes);
}

static void print_table(const struct result *res, unsigned n)
{
	printf("\n%-9s %-9s %8s | %9s %8s | %8s %7s %7s | %8s %7s | %5s\n", "flows", "table",
		"B/flow", "new c/f", "Mflows/s", "est c/p", "Mpps", "+exp", "rpl c/p", "Mpps",
		"ok");
	for (unsigned i = 0; i < n; i++) {
		const struct result *r = &res[i];
		if (r->policies) {
			printf("%-9u %-9u %8s | %9.1f %8.3f | policy mode, %u policies%s\n",
				r->flows, r->table, "-", cpp(&r->create), mpps(&r->create),
				r->policies, r->ok ? "" : "  FAILED");
			continue;
		}
		printf("%-9u %-9u %8.1f | %9.1f %8.3f | %8.1f %7.2f %7.1f | %8.1f %7.2f | %5s%s\n",
			r->flows, r->table, r->table ? (double)r->heap_bytes / r->table : 0,
			cpp(&r->create), mpps(&r->create), cpp(&r->est), mpps(&r->est),
			exp_cpp(&r->est), cpp(&r->reply), mpps(&r->reply), r->ok ? "yes" : "NO",
			r->create.truncated || r->est.truncated || r->reply.truncated ?
				" (truncated)" :
				"");
	}
	printf("\nmedian burst (cycles/packet; bursts a preemption hit do not move it)\n");
	for (unsigned i = 0; i < n; i++)
		if (!res[i].policies)
			printf("%-9u est p50 %7.1f  rpl p50 %7.1f\n", res[i].flows, res[i].est.p50,
				res[i].reply.p50);
	printf("\nestablished outbound, stages timed alone (cycles/packet): parse, bulk lookup, "
	       "first touch of the flow record, translate, tx; rest = full pipeline - their sum\n");
	for (unsigned i = 0; i < n; i++) {
		const struct stages *s = &res[i].st;
		double sum = s->parse + s->lookup + s->record + s->translate + s->tx;
		if (!s->packets)
			continue;
		printf("%-9u parse %6.1f  lookup %6.1f  record %6.1f  translate %5.1f  tx %5.1f  "
		       "rest %6.1f  (+expire %.1f)\n",
			res[i].flows, s->parse, s->lookup, s->record, s->translate, s->tx,
			cpp(&res[i].est) - sum, exp_cpp(&res[i].est));
	}
	for (unsigned i = 0; i < n; i++) {
		const struct load_result *l = &res[i].load;
		if (!l->max_mpps)
			continue;
		printf("\ntime inside at %u flows (RX stamp to TX burst, Poisson arrivals; max "
		       "%.2f "
		       "Mpps back to back, frames built in the loop)\n",
			res[i].flows, l->max_mpps);
		for (unsigned k = 0; k < N_LOADS; k++)
			printf("  load %3.0f%%  offered %6.2f Mpps  done %6.2f  cpu %3.0f%%  "
			       "packets "
			       "%8llu  p50 %8.0f ns  p99 %8.0f ns  p99.9 %8.0f ns\n",
				l->row[k].load * 100, l->row[k].offered_mpps, l->row[k].done_mpps,
				l->row[k].cpu_share * 100, (unsigned long long)l->row[k].packets,
				l->row[k].p50_ns, l->row[k].p99_ns, l->row[k].p999_ns);
	}
	printf("\nmemory latency in a buffer the size of the worker's tables (cycles per load)\n");
	for (unsigned i = 0; i < n; i++) {
		const struct mem_latency *l = &res[i].lat;
		if (!l->bytes)
			continue;
		printf("%-9u %8.1f MiB  dependent %6.1f  32 independent %6.1f\n", res[i].flows,
			(double)l->bytes / (1 << 20), l->dependent, l->independent);
	}
	for (unsigned i = 0; i < n; i++) {
		const struct result *r = &res[i];
		if (!r->ok)
			printf("flows %u: %s\n", r->flows, r->why);
		if (!r->policies && r->table)
			print_memory(r);
	}
}

static void pass_json(FILE *f, const char *name, const struct pass *p, int last)
{
	fprintf(f,
		"   \"%s\": {\"packets\": %llu, \"cycles_per_packet\": %.2f, \"mpps\": %.4f, "
		"\"expire_cycles_per_packet\": %.2f, \"median_burst_cycles_per_packet\": %.2f, "
		"\"wall_seconds\": %.2f, \"truncated\": %s}%s\n",
		name, (unsigned long long)p->packets, cpp(p), mpps(p), exp_cpp(p), p->p50,
		p->seconds, p->truncated ? "true" : "false", last ? "" : ",");
}

static int write_json(const char *path, const struct result *res, unsigned n)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f,
		"{\n \"tsc_hz\": %llu,\n \"rdtsc_overhead_cycles\": %llu,\n \"burst\": %d,\n"
		" \"hugepages\": %s,\n \"order\": \"%s\",\n \"max_factor\": %.3f,\n"
		" \"packets_per_pass\": %llu,\n \"smoke\": %s,\n"
		" \"runs\": [\n",
		(unsigned long long)tsc_hz, (unsigned long long)rdtsc_overhead, BURST,
		opt.hugepages ? "true" : "false", opt.sequential ? "sequential" : "scattered",
		opt.max_factor, (unsigned long long)opt.packets, opt.smoke ? "true" : "false");
	for (unsigned i = 0; i < n; i++) {
		const struct result *r = &res[i];
		fprintf(f,
			"  {\"flows\": %u, \"table\": %u, \"policies\": %u, \"ok\": %s, "
			"\"error\": \"%s\",\n   \"worker_heap_bytes\": %zu, \"flow_table_bytes\": "
			"%zu, "
			"\"libc_bytes\": %zu, \"bytes_per_flow\": %.2f,\n",
			r->flows, r->table, r->policies, r->ok ? "true" : "false",
			r->ok ? "" : r->why, r->heap_bytes, r->ft_bytes, r->libc_bytes,
			r->table ? (double)r->heap_bytes / r->table : 0);
		if (r->table) {
			struct mem_parts p;

			mem_parts(r, &p);
			fprintf(f,
				"   \"bytes_per_flow_parts\": {\"records\": %.2f, \"free_list\": "
				"%.2f, "
				"\"index\": %.2f, \"index_load\": %.3f, \"source_limit\": %.2f, "
				"\"nat_maps\": %.2f, \"rest\": %.2f},\n",
				p.records, p.free_list, p.index, p.index_load, p.source_limit,
				p.nat_maps, p.rest);
		}
		fprintf(f, "   \"new_flows_per_s\": %.0f,\n",
			cpp(&r->create) > 0 ? (double)tsc_hz / cpp(&r->create) : 0);
		fprintf(f,
			"   \"stages_cycles_per_packet\": {\"packets\": %llu, \"parse\": %.2f, "
			"\"lookup_bulk\": %.2f, \"record_first_touch\": %.2f, \"translate\": %.2f, "
			"\"tx\": %.2f},\n",
			(unsigned long long)r->st.packets, r->st.parse, r->st.lookup, r->st.record,
			r->st.translate, r->st.tx);
		fprintf(f,
			"   \"memory_latency\": {\"bytes\": %zu, \"dependent_cycles\": %.2f, "
			"\"independent_cycles\": %.2f},\n",
			r->lat.bytes, r->lat.dependent, r->lat.independent);
		fprintf(f, "   \"load\": {\"max_mpps\": %.4f, \"rows\": [", r->load.max_mpps);
		for (unsigned k = 0; k < N_LOADS && r->load.max_mpps; k++)
			fprintf(f,
				"%s{\"load\": %.2f, \"offered_mpps\": %.4f, \"done_mpps\": %.4f, "
				"\"cpu_share\": %.3f, \"packets\": %llu, \"p50_ns\": %.0f, "
				"\"p99_ns\": %.0f, \"p999_ns\": %.0f}",
				k ? ", " : "", r->load.row[k].load, r->load.row[k].offered_mpps,
				r->load.row[k].done_mpps, r->load.row[k].cpu_share,
				(unsigned long long)r->load.row[k].packets, r->load.row[k].p50_ns,
				r->load.row[k].p99_ns, r->load.row[k].p999_ns);
		fprintf(f, "]},\n");
		pass_json(f, "new", &r->create, 0);
		pass_json(f, "established", &r->est, 0);
		pass_json(f, "reply", &r->reply, 1);
		fprintf(f, "  }%s\n", i + 1 < n ? "," : "");
	}
	fprintf(f, " ]\n}\n");
	return fclose(f);
}

int main(int argc, char **argv)
{
	char mem[16], *eal[20];
	struct result res[MAX_SIZES + 1];
	uint32_t biggest = 0;
	unsigned n_res = 0, ne = 0;
	int failed = 0;

	if (parse_args(argc, argv) < 0) {
		usage(stderr);
		return 2;
	}
	for (unsigned i = 0; i < opt.n_sizes; i++)
		if (table_size(opt.sizes[i]) > biggest)
			biggest = table_size(opt.sizes[i]);
	/* About 260 B per flow of table at 10M (measured), with room; plus mbufs and slots. */
	if (!opt.mem_mb)
		opt.mem_mb = 384 + (unsigned)((uint64_t)biggest * 360 >> 20);
	snprintf(mem, sizeof(mem), "%u", opt.mem_mb);
	eal[ne++] = "pipeline_bench";
	eal[ne++] = "--no-pci";
	if (!opt.hugepages) {
		eal[ne++] = "--no-huge";
		eal[ne++] = "-m";
		eal[ne++] = mem;
	} else {
		/* Pages are taken as needed; their files go away with the process. */
		eal[ne++] = "--huge-unlink";
	}
	eal[ne++] = "--file-prefix";
	eal[ne++] = (char *)opt.prefix;
	eal[ne++] = "--no-telemetry";
	eal[ne++] = "-l";
	eal[ne++] = "0";
	eal[ne++] = "--log-level";
	eal[ne++] = "lib.*:error";
	eal[ne] = NULL;
	if (rte_eal_init((int)ne, eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	if (bench_env_init(&env, "egwpb", 2048) < 0) {
		fprintf(stderr, "cannot create the ring ports\n");
		rte_eal_cleanup();
		return 1;
	}
	for (unsigned j = 0; j < BURST; j++) {
		pkts[j] = rte_pktmbuf_alloc(env.mp);
		if (!pkts[j] || !rte_pktmbuf_append(pkts[j], BENCH_FRAME_LEN))
			return 1;
	}
	tsc_hz = rte_get_tsc_hz();
	rdtsc_overhead = measure_rdtsc_overhead();
	printf("pipeline_bench: one lcore, TSC %.3f GHz, rdtsc pair %llu cycles (subtracted), "
	       "%s, %s order, table = flows x %.2f, %llu packets per pass%s\n",
		(double)tsc_hz / 1e9, (unsigned long long)rdtsc_overhead,
		opt.hugepages ? "hugepages" : "no hugepages (4 KiB pages)",
		opt.sequential ? "sequential" : "scattered", opt.max_factor,
		(unsigned long long)opt.packets, opt.smoke ? ", smoke" : "");
	for (unsigned i = 0; i < opt.n_sizes; i++) {
		printf("flows %u ...\n", opt.sizes[i]);
		fflush(stdout);
		run_size(opt.sizes[i], 0, &res[n_res]);
		failed |= !res[n_res].ok;
		n_res++;
	}
	if (opt.policies) {
		uint32_t n = opt.sizes[0];
		/* The largest flow count up to 1M: a policy-mode new-flow rate. */
		for (unsigned i = 0; i < opt.n_sizes; i++)
			if (opt.sizes[i] <= 1000000 && opt.sizes[i] > n)
				n = opt.sizes[i];
		printf("flows %u, policy mode, %u policies ...\n", n, opt.policies);
		fflush(stdout);
		run_size(n, opt.policies, &res[n_res]);
		failed |= !res[n_res].ok;
		n_res++;
	}
	struct tls_result tls[MAX_SIZES];
	size_t hello_len = 0;

	if (opt.n_tls) {
		tls_hello = read_data("tls_curl.bin", &hello_len);
		tls_hello_len = (uint16_t)hello_len;
		if (!tls_hello) {
			fprintf(stderr, "cannot read tls_curl.bin from %s\n", EGW_TEST_DATA);
			failed = 1;
		}
	}
	for (unsigned i = 0; tls_hello && i < opt.n_tls; i++) {
		printf("tls flows, %u host rules ...\n", opt.tls_rules[i]);
		fflush(stdout);
		run_tls(opt.tls_rules[i], &tls[i]);
		failed |= !tls[i].ok;
		if (opt.smoke)
			printf("smoke tls %u rules: %s%s\n", opt.tls_rules[i],
				tls[i].ok ? "ok" : "FAILED: ", tls[i].ok ? "" : tls[i].why);
	}
	free(tls_hello);
	if (opt.smoke) {
		for (unsigned i = 0; i < n_res; i++)
			printf("smoke flows %u%s: %s%s\n", res[i].flows,
				res[i].policies ? " (policy mode)" : "",
				res[i].ok ? "ok" : "FAILED: ", res[i].ok ? "" : res[i].why);
	} else {
		print_table(res, n_res);
		if (opt.n_tls)
			print_tls(tls, opt.n_tls);
	}
	if (opt.json && write_json(opt.json, res, n_res) < 0) {
		fprintf(stderr, "cannot write %s\n", opt.json);
		failed = 1;
	}
	for (unsigned j = 0; j < BURST; j++)
		rte_pktmbuf_free(pkts[j]);
	bench_env_fini(&env);
	rte_eal_cleanup();
	return failed ? 1 : 0;
}
