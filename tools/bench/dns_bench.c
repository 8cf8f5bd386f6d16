/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS answers learned per second on one core through the worker path (issue 11): the real
 * egw_pipeline_rx() of the benchmark's appliance (tools/bench/bench_dp.h) on UDP/53 frames.
 * FLOWS clients ask one of NAMES names each (a fresh query per round, same ID); the resolver
 * answers with ADDRS addresses (optionally behind a CNAME). Timed apart, per burst of 32:
 *   - queries out: parse, remember, translate, forward;
 *   - answers in: match (flow, ID, question), parse, journal push, translate, forward;
 * and, on the same core between bursts (untimed for the worker figure, reported apart), the
 * control thread's part: the journal drained into the names table.
 * Every run is bounded by its round count. --smoke: a few rounds, correctness only.
 *
 *   dns_bench [--smoke] [--flows N] [--names N] [--addrs N] [--cname] [--rounds N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "bench_dns.h"
#include "bench_dp.h"
#include "bench_pkts.h"
#include "names/names.h"

#define BURST 32
#define RESOLVER BENCH_IP(203, 0, 113, 53)
#define FRAME_MAX 512

static struct {
	unsigned flows, names, addrs, rounds;
	int cname, smoke;
} opt = { 4096, 1024, 2, 200, 0, 0 };

static struct bench_env env;

struct frame {
	uint16_t len;
	uint8_t d[FRAME_MAX];
};

static struct frame *queries, *answers;

static void die(const char *what)
{
	fprintf(stderr, "dns_bench: %s\n", what);
	exit(1);
}

/* Client I: its address and port (one flow each), its name, its query ID. */
static void client(unsigned i, uint32_t *addr, uint16_t *port, char *name, size_t len)
{
	*addr = BENCH_SRC_FIRST + i % 60000;
	*port = (uint16_t)(20000 + i / 60000);
	snprintf(name, len, "host%u.bench.example.test", i % opt.names);
}

/* Frames into mbufs, through the worker, and back out of the TX rings (freed). */
static uint64_t run_burst(struct bench_dp *b, const struct frame *f, unsigned n)
{
	struct rte_mbuf *m[BURST], *out[2 * BURST];
	uint64_t c0, c1;
	unsigned got = 0, k;

	if (rte_pktmbuf_alloc_bulk(env.mp, m, n) != 0)
		die("out of mbufs");
	for (unsigned i = 0; i < n; i++) {
		memcpy(rte_pktmbuf_append(m[i], f[i].len), f[i].d, f[i].len);
		m[i]->port = memcmp(f[i].d, bench_mac_in, 6) == 0 ? env.port_in : env.port_out;
	}
	c0 = __rdtsc();
	egw_pipeline_rx(b->w, m, (uint16_t)n, false);
	egw_pipeline_flush(b->w);
	c1 = __rdtsc();
	while ((k = bench_env_take_tx(&env, out, 2 * BURST)) > 0) {
		got += k;
		rte_pktmbuf_free_bulk(out, k);
	}
	if (got != n) {
		for (unsigned r = 0; r < EGW_DROP_MAX; r++)
			if (b->w->stats.drops[r])
				fprintf(stderr, "dns_bench: drop %s: %llu\n",
					egw_drop_name((enum egw_drop_reason)r),
					(unsigned long long)b->w->stats.drops[r]);
		die("a frame did not come through");
	}
	return c1 - c0;
}

/* The queries, sent once to open the flows; the answers to each flow's NAT port. */
static void build(struct bench_dp *b)
{
	static const char *const chain[] = { "edge.cdn.bench.example.test" };
	uint8_t msg[FRAME_MAX];
	uint32_t addrs[8];
	char name[64];

	for (unsigned i = 0; i < opt.flows; i++) {
		struct bench_dns_msg q = { .id = (uint16_t)(i * 7919), .qname = name };
		struct egw_flow_key k;
		struct egw_flow *f;
		unsigned dir;
		uint32_t src;
		uint16_t sport, nat_port;
		uint32_t nat_addr;
		size_t n;

		client(i, &src, &sport, name, sizeof(name));
		n = bench_dns_msg(msg, sizeof(msg), &q);
		queries[i].len = (uint16_t)bench_build_udp(queries[i].d, FRAME_MAX, true, src,
			sport, RESOLVER, 53, msg, n);
		run_burst(b, &queries[i], 1);
		/* The flow the query opened: its NAT port is where the answer goes. */
		egw_flow_key_set(&k, rte_cpu_to_be_32(src), rte_cpu_to_be_32(RESOLVER),
			rte_cpu_to_be_16(sport), rte_cpu_to_be_16(53), IPPROTO_UDP,
			EGW_ZONE_INSIDE);
		f = egw_flow_lookup(b->w->ft, &k, &dir);
		if (!f)
			die("no flow for a query");
		nat_port = rte_be_to_cpu_16(f->nat_port);
		nat_addr = rte_be_to_cpu_32(f->nat_addr);
		for (unsigned a = 0; a < opt.addrs; a++)
			addrs[a] = BENCH_IP(203, 0, 113, 100) + ((i % opt.names) * 3 + a) % 100;
		q.answer = true;
		q.addrs = addrs;
		q.n_addrs = opt.addrs;
		q.cnames = chain;
		q.n_cnames = opt.cname ? 1 : 0;
		q.ttl = 300;
		n = bench_dns_msg(msg, sizeof(msg), &q);
		answers[i].len = (uint16_t)bench_build_udp(answers[i].d, FRAME_MAX, false, RESOLVER,
			53, nat_addr, nat_port, msg, n);
	}
}

int main(int argc, char **argv)
{
	char *eal[] = { "dns_bench", "--no-pci", "--no-huge", "-m", "256", "--file-prefix",
		"egwdnsb", "--no-telemetry", "-l", "0", "--log-level", "lib.*:error", NULL };
	const struct egw_names_limits lim = { 60, 64, 1000000 };
	struct bench_dp_opts o = { 0 };
	struct egw_names_table *t;
	struct egw_names_stats st;
	struct bench_dp b;
	uint64_t q_cycles = 0, a_cycles = 0, merge_cycles = 0, merged = 0, answers_n = 0;
	double ghz;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke"))
			opt.smoke = 1;
		else if (!strcmp(argv[i], "--cname"))
			opt.cname = 1;
		else if (i + 1 < argc && !strcmp(argv[i], "--flows"))
			opt.flows = (unsigned)atoi(argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--names"))
			opt.names = (unsigned)atoi(argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--addrs"))
			opt.addrs = (unsigned)atoi(argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--rounds"))
			opt.rounds = (unsigned)atoi(argv[++i]);
		else
			die("usage: dns_bench [--smoke] [--flows N] [--names N] [--addrs N] "
			    "[--cname] [--rounds N]");
	}
	if (opt.smoke) {
		opt.flows = 256;
		opt.rounds = 3;
	}
	/* Every query of a round waits at once: the worker remembers EGW_DNS_PENDING_SLOTS. */
	if (opt.flows == 0 || opt.flows > EGW_DNS_PENDING_SLOTS / 2 || opt.names == 0 ||
		opt.addrs == 0 || opt.addrs > 8 || opt.rounds == 0 || opt.rounds > 100000)
		die("out of range: 1 <= flows <= 8192, names >= 1, 1 <= addrs <= 8, "
		    "1 <= rounds <= 100000");
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0]) - 1), eal) < 0)
		die("EAL init failed");
	if (bench_env_init(&env, "egwdb", 4096) < 0)
		die("cannot create the ring ports");
	o.max_flows = opt.flows * 2;
	if (bench_dp_create(&b, &env, &o) < 0)
		die("cannot build the appliance");
	queries = calloc(opt.flows, sizeof(*queries));
	answers = calloc(opt.flows, sizeof(*answers));
	t = egw_names_table_create(&lim, 7);
	if (!queries || !answers || !t)
		die("out of memory");
	build(&b);
	ghz = (double)rte_get_tsc_hz() / 1e9;
	for (unsigned r = 0; r < opt.rounds; r++)
		for (unsigned i = 0; i < opt.flows; i += BURST) {
			unsigned n = opt.flows - i < BURST ? opt.flows - i : BURST;
			uint64_t c0;

			q_cycles += run_burst(&b, &queries[i], n);
			a_cycles += run_burst(&b, &answers[i], n);
			answers_n += n;
			c0 = __rdtsc();
			merged += egw_names_journal_drain(b.w->dns.journal, t, 1024);
			merge_cycles += __rdtsc() - c0;
		}
	egw_names_table_stats(t, &st);
	printf("dns_bench: %u flows, %u names, %u addresses per answer%s, %u rounds, TSC %.2f "
	       "GHz\n",
		opt.flows, opt.names, opt.addrs, opt.cname ? " behind a CNAME" : "", opt.rounds,
		ghz);
	printf("  worker, answers in:  %6.0f cycles per answer  %5.2f M answers learned/s\n",
		(double)a_cycles / answers_n, ghz * 1e3 * answers_n / (double)a_cycles);
	printf("  worker, queries out: %6.0f cycles per query\n", (double)q_cycles / answers_n);
	printf("  worker, both:        %6.0f cycles per query + answer  %5.2f M answers/s with "
	       "their queries\n",
		(double)(q_cycles + a_cycles) / answers_n,
		ghz * 1e3 * answers_n / (double)(q_cycles + a_cycles));
	printf("  control, merge:      %6.0f cycles per answer  %5.2f M answers/s "
	       "(%u entries, %llu refreshed)\n",
		(double)merge_cycles / answers_n, ghz * 1e3 * answers_n / (double)merge_cycles,
		st.entries, (unsigned long long)st.refreshed);
	if (b.w->stats.dns_answers_learned != answers_n || merged != answers_n ||
		egw_names_journal_dropped(b.w->dns.journal) != 0 || bench_drops(b.w) != 0)
		die("not every answer was learned");
	egw_names_table_free(t);
	bench_dp_free(&b);
	free(queries);
	free(answers);
	bench_env_fini(&env);
	rte_eal_cleanup();
	return 0;
}
