/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Late binding's per-packet costs (issue 12), in TSC cycles per operation:
 * - a cookie SYN: the SYN's options read, the cookie made (lib/flow/syncookie.c) and the SYN
 *   turned into our SYN-ACK in its own mbuf (lib/net/tcp_craft.c), the frame restored first
 *   (a 78-byte copy, part of the figure); SYNs per second per core follow from it;
 * - the cookie check of the client's ACK;
 * - the splice of one established segment (lib/flow/splice.c) per direction and option
 *   layout, alone and with the option read the data path does before it;
 * - the cost of the benchmark's own indirect call, to subtract.
 * Fixed iteration counts run RUNS times (min / median / max: the machine is shared); no EAL.
 * --smoke: one short run and the correctness checks, for meson test.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "bench_util.h"
#include "flow/splice.h"
#include "flow/syncookie.h"
#include "net/tcp_craft.h"
#include "pkt/csum.h"

#define RUNS 7
#define FRAME_ROOM 256
#define SYN_LEN (14 + 20 + 20 + 20)
#define CLIENT 0x020012c6u /* 198.18.0.2, network order */
#define SERVER 0x090071cbu /* 203.0.113.9 */

static volatile uint64_t sink;

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "splice_bench: wrong result: %s\n", what);
		exit(1);
	}
}

struct syn_ctx {
	struct egw_syncookie_secret secret;
	uint32_t cookie; /* a good one for the ACK op_cookie_check checks */
	uint8_t frame[SYN_LEN];
	uint8_t *buf;
	struct rte_mbuf *m;
};

/* Linux's SYN: MSS 1460, SACK-permitted, timestamps, window scale 7. */
static void make_syn(uint8_t *f)
{
	static const uint8_t opts[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0, 0,
		1, 3, 3, 7 };
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + 14);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);

	memset(f, 0, SYN_LEN);
	f[12] = 0x08;
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(SYN_LEN - 14);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = CLIENT;
	ip->dst_addr = SERVER;
	ip->hdr_checksum = egw_csum_full(ip, sizeof(*ip));
	th->src_port = rte_cpu_to_be_16(40000);
	th->dst_port = rte_cpu_to_be_16(443);
	th->sent_seq = rte_cpu_to_be_32(0x11223344);
	th->data_off = 10 << 4;
	th->tcp_flags = RTE_TCP_SYN_FLAG;
	th->rx_win = rte_cpu_to_be_16(64240);
	memcpy(th + 1, opts, sizeof(opts));
	th->cksum = egw_csum_l4(CLIENT, SERVER, IPPROTO_TCP, th, 40);
}

/* What the data path does for a SYN it answers with a cookie, on flow key port I. */
static uint32_t cookie_syn(const struct syn_ctx *c, uint32_t i)
{
	struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(c->m, struct rte_tcp_hdr *, 34);
	struct egw_tcp_opts syn, ours;
	struct egw_flow_key k;
	uint32_t tsval, cookie;

	memcpy(c->buf, c->frame, SYN_LEN);
	c->m->data_len = SYN_LEN;
	c->m->pkt_len = SYN_LEN;
	egw_flow_key_set(&k, CLIENT, SERVER, (uint16_t)i, th->dst_port, IPPROTO_TCP, 0);
	(void)egw_tcp_opts_read(th, &syn);
	cookie = egw_syncookie_make(&c->secret, &k, rte_be_to_cpu_32(th->sent_seq), 1000, &syn,
		&tsval);
	egw_syncookie_synack_opts(&syn, tsval, 1460, 7, &ours);
	if (egw_tcp_craft_synack(c->m, cookie, &ours) != 0)
		abort();
	return cookie;
}

static void op_cookie_syn(const void *ctx, uint32_t i)
{
	sink += cookie_syn(ctx, i);
}

static void op_cookie_check(const void *ctx, uint32_t i)
{
	const struct syn_ctx *c = ctx;
	struct egw_tcp_opts out;
	struct egw_flow_key k;

	(void)i;
	egw_flow_key_set(&k, CLIENT, SERVER, 40000, rte_cpu_to_be_16(443), IPPROTO_TCP, 0);
	if (egw_syncookie_check(&c->secret, &k, 0x11223345, c->cookie + 1, 1001, false, 0, &out))
		abort();
	sink += out.mss;
}

static void op_nothing(const void *ctx, uint32_t i)
{
	(void)ctx;
	sink += i;
}

typedef void (*splice_fn)(const struct egw_splice *sp, struct rte_tcp_hdr *th,
	const struct egw_tcp_opts *o);

struct seg_ctx {
	struct egw_splice sp;
	uint8_t *hdr;
	struct egw_tcp_opts o;
	splice_fn splice; /* egw_splice_reply or egw_splice_orig */
	int read;	  /* read the options too */
};

static void op_splice(const void *ctx, uint32_t i)
{
	const struct seg_ctx *c = ctx;
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)c->hdr;
	struct egw_tcp_opts o;

	(void)i;
	if (c->read) {
		(void)egw_tcp_opts_read(th, &o);
		c->splice(&c->sp, th, &o);
	} else {
		c->splice(&c->sp, th, &c->o);
	}
}

/* A segment header with N_OPT option bytes: none, NOP NOP TS, or that and 3 SACK blocks. */
static void make_seg(uint8_t *h, unsigned n_opt)
{
	static const uint8_t opts[] = { 1, 1, 8, 10, 0, 0, 1, 0, 0, 0, 2, 0, 1, 1, 5, 26, 0, 0, 0,
		1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6 };
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)h;

	memset(h, 0, 60);
	th->data_off = (uint8_t)(((20 + n_opt) / 4) << 4);
	th->tcp_flags = RTE_TCP_ACK_FLAG;
	th->rx_win = rte_cpu_to_be_16(500);
	memcpy(h + 20, opts, n_opt);
	th->cksum = egw_csum_l4(CLIENT, SERVER, IPPROTO_TCP, h, (uint16_t)(20 + n_opt));
}

static void bench_splice(uint32_t iters, int runs)
{
	static const struct {
		const char *name;
		unsigned n_opt;
	} layouts[] = { { "no options", 0 }, { "timestamps", 12 }, { "timestamps + 3 SACK", 40 } };
	uint8_t hdr[60];
	struct seg_ctx c = { .hdr = hdr };
	char what[96];

	egw_splice_init(&c.sp, 0x10, 0xfffffff0u, true, 5, 0xfffffff0u, 7, 9);
	for (unsigned l = 0; l < 3; l++) {
		make_seg(hdr, layouts[l].n_opt);
		check(egw_tcp_opts_read((struct rte_tcp_hdr *)hdr, &c.o) == 0, "options read");
		for (c.read = 0; c.read < 2; c.read++) {
			for (unsigned d = 0; d < 2; d++) {
				c.splice = d ? egw_splice_orig : egw_splice_reply;
				snprintf(what, sizeof(what), "splice %s, %s%s",
					d ? "orig" : "reply", layouts[l].name,
					c.read ? " + read" : "");
				bench_report(what, bench_measure(op_splice, &c, iters, runs));
			}
		}
		check(egw_csum_l4(CLIENT, SERVER, IPPROTO_TCP, hdr,
			      (uint16_t)(20 + layouts[l].n_opt)) == 0,
			"checksum after the splices");
	}
}

static void bench_cookies(uint32_t iters, int runs)
{
	static uint8_t room[FRAME_ROOM];
	struct rte_mbuf mb;
	struct syn_ctx c = { .buf = room, .m = &mb };
	struct bench_stat3 s;
	struct egw_tcp_opts out;
	struct egw_flow_key k;
	const struct rte_tcp_hdr *th;
	uint32_t cookie;

	memset(&mb, 0, sizeof(mb));
	mb.buf_addr = room;
	mb.buf_len = sizeof(room);
	mb.nb_segs = 1;
	check(egw_syncookie_secret_init(&c.secret) == 0, "secret");
	make_syn(c.frame);
	/* Correctness: the SYN-ACK is right and its cookie checks out for the client's ACK. */
	cookie = cookie_syn(&c, 40000);
	c.cookie = cookie;
	th = rte_pktmbuf_mtod_offset(&mb, const struct rte_tcp_hdr *, 34);
	check(mb.data_len == 14 + 20 + 40, "SYN-ACK length");
	check(egw_csum_l4(SERVER, CLIENT, IPPROTO_TCP, th, 40) == 0, "SYN-ACK checksum");
	egw_flow_key_set(&k, CLIENT, SERVER, 40000, rte_cpu_to_be_16(443), IPPROTO_TCP, 0);
	check(egw_syncookie_check(&c.secret, &k, 0x11223345, cookie + 1, 1001, false, 0, &out) ==
				0 &&
			out.mss == 1460,
		"cookie check");
	s = bench_measure(op_cookie_syn, &c, iters, runs);
	bench_report("cookie SYN: options, make, SYN-ACK in place", s);
	printf("  => %.2f M cookie SYNs/s per core (median)\n", bench_tsc_ghz * 1e3 / s.med);
	bench_report("cookie check of the client's ACK",
		bench_measure(op_cookie_check, &c, iters, runs));
}

int main(int argc, char **argv)
{
	const uint32_t iters = argc > 1 && strcmp(argv[1], "--smoke") == 0 ? 1000 : 1000000;
	int runs;

	bench_smoke = iters == 1000;
	runs = bench_smoke ? 1 : RUNS;
	bench_calibrate();
	printf("TSC %.2f GHz; each figure: min / median / max of %d runs\n", bench_tsc_ghz, runs);
	bench_report("(the benchmark's own call)", bench_measure(op_nothing, NULL, iters, runs));
	bench_cookies(iters, runs);
	bench_splice(iters, runs);
	return sink == 42;
}
