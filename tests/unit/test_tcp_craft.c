/* SPDX-License-Identifier: BSD-3-Clause */
/* Segments late binding writes (lib/net/tcp_craft.c): they parse (lib/pkt) with the fields,
 * options and checksums asked for. */
#include <string.h>

#include <CUnit/CUnit.h>
#include <netinet/in.h>
#include <rte_mbuf.h>

#include "egw_test.h"
#include "flow/splice.h"
#include "flow/syncookie.h"
#include "net/tcp_craft.h"
#include "pkt/pkt.h"
#include "pktgen.h"

#define CLIENT PG_IP(198, 18, 0, 2)
#define SERVER PG_IP(203, 0, 113, 9)
#define SYN_F 0x02
#define ACK_F 0x10

static struct rte_mempool *mp;

/* M parses as TCP with valid checksums; its options into *O. */
static void parse_ok(struct rte_mbuf *m, struct egw_pkt_meta *meta, struct egw_tcp_opts *o)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);

	CU_ASSERT_FATAL(egw_pkt_parse(d, rte_pktmbuf_data_len(m), meta) == EGW_DROP_NONE);
	CU_ASSERT_EQUAL(meta->proto, IPPROTO_TCP);
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(m), rte_pktmbuf_data_len(m));
	CU_ASSERT_EQUAL(meta->l3_off + meta->ip_len, rte_pktmbuf_data_len(m));
	CU_ASSERT(pg_ip_csum_ok(d + PG_ETH_LEN));
	CU_ASSERT(pg_l4_csum_ok(d + PG_ETH_LEN));
	CU_ASSERT_EQUAL(d[PG_ETH_LEN + 8], 64);		      /* TTL */
	CU_ASSERT_EQUAL(pg_rd16(d + PG_ETH_LEN + 6), 0x4000); /* DF */
	CU_ASSERT_EQUAL(egw_tcp_opts_read(rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *,
						  meta->l4_off),
				o),
		0);
}

/* A client SYN with IP options and a payload (TFO-like) turned into our SYN-ACK. */
static void test_tcp_craft_synack(void)
{
	static const uint8_t syn_opts[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 9, 0, 0, 0, 0,
		1, 3, 3, 7 };
	uint8_t frame[256];
	struct pg_pkt p = { .src = CLIENT,
		.dst = SERVER,
		.proto = IPPROTO_TCP,
		.ihl = 6,
		.sport = 40000,
		.dport = 443,
		.tcp_flags = SYN_F,
		.tcp_doff = 10,
		.seq = 0xffffffffu,
		.payload_len = 10 };
	const struct egw_tcp_opts ours = { .mss = 1400,
		.sack_ok = 1,
		.has_ts = 1,
		.wscale = 7,
		.tsval = 0xabcdef00u,
		.tsecr = 9 };
	struct egw_pkt_meta meta;
	struct egw_tcp_opts o;
	struct rte_mbuf *m;
	const uint8_t *d;
	size_t len;

	pg_mac(p.dmac, 0x01);
	pg_mac(p.smac, 0x99);
	len = pg_build(frame, sizeof(frame), &p);
	memcpy(frame + PG_ETH_LEN + 24 + 20, syn_opts, sizeof(syn_opts));
	pg_fix_l4_csum(frame + PG_ETH_LEN);
	m = pg_mbuf(mp, frame, len, 3);
	CU_ASSERT_FATAL(m != NULL);

	CU_ASSERT_EQUAL(egw_tcp_craft_synack(m, 0x80000001u, &ours), 0);
	parse_ok(m, &meta, &o);
	d = rte_pktmbuf_mtod(m, const uint8_t *);
	CU_ASSERT_EQUAL(memcmp(d, p.smac, 6), 0);
	CU_ASSERT_EQUAL(memcmp(d + 6, p.dmac, 6), 0);
	CU_ASSERT_EQUAL(meta.src, htonl(SERVER));
	CU_ASSERT_EQUAL(meta.dst, htonl(CLIENT));
	CU_ASSERT_EQUAL(meta.sport, htons(443));
	CU_ASSERT_EQUAL(meta.dport, htons(40000));
	CU_ASSERT_EQUAL(meta.tcp_flags, EGW_TCP_SYN | EGW_TCP_ACK);
	CU_ASSERT_EQUAL(meta.l4_off, PG_ETH_LEN + 20); /* IP options gone */
	CU_ASSERT_EQUAL(meta.l4_len, 20 + 20);	       /* payload gone, 20 option bytes */
	CU_ASSERT_EQUAL(pg_rd32(d + meta.l4_off + 4), 0x80000001u);
	CU_ASSERT_EQUAL(pg_rd32(d + meta.l4_off + 8), 0); /* the SYN's seq + 1, wrapped */
	CU_ASSERT_EQUAL(pg_rd16(d + meta.l4_off + 14), EGW_TCP_CRAFT_SYNACK_WIN);
	CU_ASSERT(o.mss == 1400 && o.sack_ok && o.has_ts && o.wscale == 7 &&
		  o.tsval == 0xabcdef00u && o.tsecr == 9);
	CU_ASSERT_EQUAL(m->port, 3);

	/* Our window, no options agreed. */
	const struct egw_tcp_opts bare = { .mss = 536, .wscale = EGW_TCP_NO_WSCALE };
	CU_ASSERT_EQUAL(egw_tcp_craft_synack_win(m, 5, &bare, 1024), 0);
	parse_ok(m, &meta, &o);
	d = rte_pktmbuf_mtod(m, const uint8_t *);
	CU_ASSERT_EQUAL(meta.dst, htonl(SERVER)); /* turned around again */
	CU_ASSERT_EQUAL(meta.l4_len, 24);
	CU_ASSERT_EQUAL(pg_rd16(d + meta.l4_off + 14), 1024);
	CU_ASSERT_EQUAL(pg_rd32(d + meta.l4_off + 8), 0x80000002u);
	CU_ASSERT(o.mss == 536 && !o.has_ts && !o.sack_ok && o.wscale == EGW_TCP_NO_WSCALE);
	rte_pktmbuf_free(m);
}

/* What is not an Ethernet/IPv4/TCP frame is refused and left alone. */
static void test_tcp_craft_synack_refused(void)
{
	uint8_t frame[256];
	struct pg_pkt p = { .src = CLIENT, .dst = SERVER, .proto = IPPROTO_UDP, .sport = 1 };
	const struct egw_tcp_opts ours = { .wscale = EGW_TCP_NO_WSCALE };
	size_t len = pg_build(frame, sizeof(frame), &p);
	struct rte_mbuf *m = pg_mbuf(mp, frame, len, 0);

	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(egw_tcp_craft_synack(m, 1, &ours), -1);
	CU_ASSERT_EQUAL(rte_pktmbuf_data_len(m), len);
	CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod(m, void *), frame, len), 0);
	rte_pktmbuf_free(m);
	/* A TCP frame cut before the end of its TCP header. */
	p.proto = IPPROTO_TCP;
	len = pg_build(frame, sizeof(frame), &p);
	m = pg_mbuf(mp, frame, len - 1, 0);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(egw_tcp_craft_synack(m, 1, &ours), -1);
	rte_pktmbuf_free(m);
}

/* The upstream SYN (in a reused data mbuf) and bare ACKs with and without timestamps. */
static void test_tcp_craft_syn_ack(void)
{
	uint8_t junk[300];
	const struct egw_tcp_opts cli = { .mss = 1460,
		.sack_ok = 1,
		.has_ts = 1,
		.wscale = 14,
		.tsval = 0xfffffffeu };
	struct egw_pkt_meta meta;
	struct egw_tcp_opts o;
	struct rte_mbuf *m;
	const uint8_t *d;

	memset(junk, 0xa5, sizeof(junk));
	m = pg_mbuf(mp, junk, sizeof(junk), 2);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(egw_tcp_craft_syn(m, htonl(PG_IP(198, 51, 100, 10)), htonl(SERVER),
				htons(61000), htons(443), 0x7fffffffu, &cli),
		0);
	parse_ok(m, &meta, &o);
	d = rte_pktmbuf_mtod(m, const uint8_t *);
	CU_ASSERT_EQUAL(meta.src, htonl(PG_IP(198, 51, 100, 10)));
	CU_ASSERT_EQUAL(meta.dst, htonl(SERVER));
	CU_ASSERT_EQUAL(meta.sport, htons(61000));
	CU_ASSERT_EQUAL(meta.dport, htons(443));
	CU_ASSERT_EQUAL(meta.tcp_flags, EGW_TCP_SYN);
	CU_ASSERT_EQUAL(pg_rd32(d + meta.l4_off + 4), 0x7fffffffu);
	CU_ASSERT_EQUAL(pg_rd32(d + meta.l4_off + 8), 0);
	CU_ASSERT(o.mss == 1460 && o.sack_ok && o.has_ts && o.wscale == 14 &&
		  o.tsval == 0xfffffffeu && o.tsecr == 0);
	CU_ASSERT_EQUAL(pg_rd16(d + 12), 0x0800);
	CU_ASSERT_EQUAL(m->port, 2);

	CU_ASSERT_EQUAL(egw_tcp_craft_ack(m, htonl(CLIENT), htonl(SERVER), htons(1), htons(2), 10,
				20, 300, &cli),
		0);
	parse_ok(m, &meta, &o);
	d = rte_pktmbuf_mtod(m, const uint8_t *);
	CU_ASSERT_EQUAL(meta.tcp_flags, EGW_TCP_ACK);
	CU_ASSERT_EQUAL(meta.l4_len, 32);
	CU_ASSERT(pg_rd32(d + meta.l4_off + 4) == 10 && pg_rd32(d + meta.l4_off + 8) == 20);
	CU_ASSERT_EQUAL(pg_rd16(d + meta.l4_off + 14), 300);
	CU_ASSERT(o.has_ts && o.ts_at == 24 && o.tsval == 0xfffffffeu && o.tsecr == 0);
	CU_ASSERT(o.mss == 0 && !o.sack_ok && o.wscale == EGW_TCP_NO_WSCALE);

	CU_ASSERT_EQUAL(egw_tcp_craft_ack(m, htonl(CLIENT), htonl(SERVER), htons(1), htons(2), 10,
				20, 300, NULL),
		0);
	parse_ok(m, &meta, &o);
	CU_ASSERT_EQUAL(meta.l4_len, 20);
	CU_ASSERT_FALSE(o.has_ts);
	rte_pktmbuf_free(m);
}

/* An mbuf without room for the frame: refused. */
static void test_tcp_craft_no_room(void)
{
	const struct egw_tcp_opts cli = { .mss = 1460, .wscale = EGW_TCP_NO_WSCALE };
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	CU_ASSERT_FATAL(m != NULL);
	const uint16_t buf_len = m->buf_len;
	/* 54 bytes fit after the headroom, a SYN with MSS needs 58 */
	m->buf_len = RTE_PKTMBUF_HEADROOM + 54;
	CU_ASSERT_EQUAL(egw_tcp_craft_syn(m, 1, 2, 3, 4, 5, &cli), -1);
	CU_ASSERT_EQUAL(egw_tcp_craft_ack(m, 1, 2, 3, 4, 5, 6, 7, NULL), 0);
	CU_ASSERT_EQUAL(rte_pktmbuf_data_len(m), 54);
	m->buf_len = buf_len;
	rte_pktmbuf_free(m);
}

/* A frame from SRC:SPORT to DST:DPORT with FLAGS, SEQ, ACK, window WIN, option bytes OPTS (a
 * multiple of 4) and PAYLOAD bytes, checksums right, in a new mbuf. */
static struct rte_mbuf *tcp_frame(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
	uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, const uint8_t *opts,
	unsigned opts_len, uint16_t payload)
{
	uint8_t frame[PG_FRAME_MAX];
	struct pg_pkt p = { .src = src,
		.dst = dst,
		.proto = IPPROTO_TCP,
		.sport = sport,
		.dport = dport,
		.tcp_flags = flags,
		.tcp_doff = (uint8_t)(5 + opts_len / 4),
		.seq = seq,
		.ack = ack,
		.payload_len = payload };
	size_t len = pg_build(frame, sizeof(frame), &p);

	if (!len)
		return NULL;
	memcpy(frame + PG_ETH_LEN + 40, opts, opts_len);
	pg_wr16(frame + PG_ETH_LEN + 34, win);
	pg_fix_l4_csum(frame + PG_ETH_LEN);
	return pg_mbuf(mp, frame, len, 0);
}

static struct rte_tcp_hdr *tcp_of(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, PG_ETH_LEN + 20);
}

static uint32_t field32(struct rte_mbuf *m, unsigned off)
{
	return pg_rd32((const uint8_t *)tcp_of(m) + off);
}

/*
 * A late-bound connection through the library alone, numbers wrapping on both sides: the
 * client's SYN answered with a cookie, its ACK checked, the upstream SYN with its ISN and
 * options, the server's SYN-ACK setting up the splice, then data each way as the other end
 * must see it.
 */
static void test_tcp_craft_late_session(void)
{
	static const uint8_t syn_opts[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0x03, 0xe8, 0, 0,
		0, 0, 1, 3, 3, 7 };
	const uint32_t ci = 0xfffffff0u, si = 0x7ffffff0u, now = 5;
	struct egw_syncookie_secret secret;
	struct egw_tcp_opts syn, ours, got, cli;
	struct egw_flow_key k;
	struct egw_splice sp;
	struct rte_mbuf *m;
	uint8_t opts[40];
	uint32_t tsval, cookie;

	CU_ASSERT_FATAL(egw_syncookie_secret_init(&secret) == 0);
	egw_flow_key_set(&k, htonl(CLIENT), htonl(SERVER), htons(40000), htons(443), IPPROTO_TCP,
		0);
	/* The client's SYN, answered with our SYN-ACK. */
	m = tcp_frame(CLIENT, SERVER, 40000, 443, SYN_F, ci, 0, 64240, syn_opts, sizeof(syn_opts),
		0);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_FATAL(egw_tcp_opts_read(tcp_of(m), &syn) == 0);
	cookie = egw_syncookie_make(&secret, &k, ci, now, &syn, &tsval);
	egw_syncookie_synack_opts(&syn, tsval, 1460, 7, &ours);
	CU_ASSERT_FATAL(egw_tcp_craft_synack(m, cookie, &ours) == 0);
	CU_ASSERT_EQUAL(field32(m, 4), cookie);
	CU_ASSERT_EQUAL(field32(m, 8), ci + 1);
	CU_ASSERT_FATAL(egw_tcp_opts_read(tcp_of(m), &got) == 0);
	CU_ASSERT(got.tsval == tsval && got.tsecr == 1000 && got.wscale == 7 && got.sack_ok);
	rte_pktmbuf_free(m);

	/* Its ACK, a minute later, gives back what the SYN offered. */
	CU_ASSERT_EQUAL(egw_syncookie_check(&secret, &k, ci + 1, cookie + 1, now + 1, true, tsval,
				&cli),
		0);
	CU_ASSERT(cli.mss == 1460 && cli.wscale == 7 && cli.sack_ok && cli.has_ts);

	/* The upstream SYN carries the client's ISN and options. */
	m = rte_pktmbuf_alloc(mp);
	CU_ASSERT_FATAL(m != NULL);
	cli.tsval = 1001;
	CU_ASSERT_FATAL(egw_tcp_craft_syn(m, htonl(CLIENT), htonl(SERVER), htons(40000), htons(443),
				ci, &cli) == 0);
	CU_ASSERT_EQUAL(field32(m, 4), ci);
	CU_ASSERT_FATAL(egw_tcp_opts_read(tcp_of(m), &got) == 0);
	CU_ASSERT(got.mss == 1460 && got.wscale == 7 && got.sack_ok && got.tsval == 1001);
	rte_pktmbuf_free(m);

	/* The server answers with its ISN, TSval 50000 and scale 9: the splice is set up. */
	egw_splice_init(&sp, cookie, si, true, tsval, 50000, 7, 9);
	egw_splice_orig_window(&sp, cli.wscale, true);

	/* Server data: the client sees it right after our SYN-ACK, windows in its scale. */
	egw_tcp_opts_write_ts(opts, 50010, 1001);
	m = tcp_frame(SERVER, CLIENT, 443, 40000, ACK_F, si + 1, ci + 1, 100, opts, 12, 500);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_FATAL(egw_tcp_opts_read(tcp_of(m), &got) == 0);
	egw_splice_reply(&sp, tcp_of(m), &got);
	CU_ASSERT_EQUAL(field32(m, 4), cookie + 1);
	CU_ASSERT_EQUAL(field32(m, 8), ci + 1);
	CU_ASSERT_EQUAL(field32(m, 24), tsval + 10);
	CU_ASSERT_EQUAL(field32(m, 28), 1001);
	CU_ASSERT_EQUAL(pg_rd16((const uint8_t *)tcp_of(m) + 14), 400);
	CU_ASSERT(pg_l4_csum_ok(rte_pktmbuf_mtod_offset(m, const uint8_t *, PG_ETH_LEN)));
	rte_pktmbuf_free(m);

	/* The client acknowledges 500 bytes and SACKs 500 more beyond a hole: the server sees its
	 * own numbers. */
	memcpy(opts + 12, (const uint8_t[]){ 1, 1, 5, 10 }, 4);
	pg_wr32(opts + 16, cookie + 1001);
	pg_wr32(opts + 20, cookie + 1501);
	egw_tcp_opts_write_ts(opts, 1002, tsval + 10);
	m = tcp_frame(CLIENT, SERVER, 40000, 443, ACK_F, ci + 1, cookie + 501, 500, opts, 24, 0);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_FATAL(egw_tcp_opts_read(tcp_of(m), &got) == 0);
	egw_splice_orig(&sp, tcp_of(m), &got);
	CU_ASSERT_EQUAL(field32(m, 4), ci + 1);
	CU_ASSERT_EQUAL(field32(m, 8), si + 501);
	CU_ASSERT_EQUAL(field32(m, 24), 1002);
	CU_ASSERT_EQUAL(field32(m, 28), 50010);
	CU_ASSERT_EQUAL(field32(m, 36), si + 1001);
	CU_ASSERT_EQUAL(field32(m, 40), si + 1501);
	CU_ASSERT_EQUAL(pg_rd16((const uint8_t *)tcp_of(m) + 14), 500);
	CU_ASSERT(pg_l4_csum_ok(rte_pktmbuf_mtod_offset(m, const uint8_t *, PG_ETH_LEN)));
	rte_pktmbuf_free(m);
}

static int tcp_craft_init(void)
{
	if (egw_test_eal_init() < 0)
		return -1;
	mp = pg_mempool();
	return mp ? 0 : -1;
}

void egw_test_register_tcp_craft(void)
{
	EGW_SUITE("tcp_craft", tcp_craft_init, NULL, EGW_TEST(test_tcp_craft_synack),
		EGW_TEST(test_tcp_craft_synack_refused), EGW_TEST(test_tcp_craft_syn_ack),
		EGW_TEST(test_tcp_craft_no_room), EGW_TEST(test_tcp_craft_late_session));
}
