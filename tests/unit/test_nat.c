/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "egw_test.h"
#include "nat/addr_set.h"
#include "nat/nat.h"
#include "nat/nat_map.h"
#include "nat/source_limit.h"
#include "nat/translate.h"
#include "pktgen.h"

#define CLIENT PG_IP(198, 18, 0, 2)
#define SERVER PG_IP(203, 0, 113, 1)
#define ROUTER PG_IP(203, 0, 113, 254)
#define NAT_ADDR PG_IP(198, 51, 100, 11)

static const struct egw_nat_secret SECRET = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL };

static uint32_t pool_addrs[4];

static struct egw_nat_pool mk_pool(uint16_t first, uint16_t last, uint8_t pairing)
{
	struct egw_nat_pool p;

	memset(&p, 0, sizeof(p));
	strcpy(p.name, "main");
	for (unsigned i = 0; i < 4; i++)
		pool_addrs[i] = htonl(PG_IP(198, 51, 100, 10 + i));
	p.addrs = pool_addrs;
	p.n_addrs = 4;
	p.port_first = first;
	p.port_last = last;
	p.pairing = pairing;
	return p;
}

static struct egw_flow_key mk_key(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
	uint8_t proto)
{
	struct egw_flow_key k;

	egw_flow_key_set(&k, htonl(src), htonl(dst), htons(sport), htons(dport), proto,
		EGW_ZONE_INSIDE);
	return k;
}

/* ---- PRF ---- */

static void test_nat_prf(void)
{
	/* SipHash-2-4 reference vector: key 00..0f, message 00..0f (16 bytes). */
	const struct egw_nat_secret ref = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	struct egw_nat_secret other = SECRET;
	uint64_t seed = 0x5eed0101, a, b;

	CU_ASSERT_EQUAL(egw_nat_prf(&ref, 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL),
		0x3f2acc7f57c29bdbULL);
	other.k1 ^= 1;
	for (unsigned i = 0; i < 1000; i++) {
		uint64_t m0 = pg_rand(&seed), m1 = pg_rand(&seed);
		a = egw_nat_prf(&SECRET, m0, m1);
		CU_ASSERT_EQUAL(egw_nat_prf(&SECRET, m0, m1), a);
		CU_ASSERT_NOT_EQUAL(egw_nat_prf(&other, m0, m1), a);
		CU_ASSERT_NOT_EQUAL(egw_nat_prf(&SECRET, m0 ^ 1, m1), a);
		CU_ASSERT_NOT_EQUAL(egw_nat_prf(&SECRET, m0, m1 ^ (1ULL << 63)), a);
		if (m0 != m1) /* the words are not interchangeable */
			CU_ASSERT_NOT_EQUAL(egw_nat_prf(&SECRET, m1, m0), a);
	}
	/* Two random secrets from the CSPRNG differ. */
	{
		struct egw_nat_secret s1, s2;
		CU_ASSERT_EQUAL(egw_nat_secret_init(&s1), 0);
		CU_ASSERT_EQUAL(egw_nat_secret_init(&s2), 0);
		CU_ASSERT(s1.k0 != s2.k0 || s1.k1 != s2.k1);
		b = egw_nat_prf(&s1, 1, 2);
		CU_ASSERT_NOT_EQUAL(b, egw_nat_prf(&s2, 1, 2));
	}
}

/* ---- address choice ---- */

static int addr_index(uint32_t a)
{
	for (int i = 0; i < 4; i++)
		if (pool_addrs[i] == a)
			return i;
	return -1;
}

static void test_nat_pick_addr(void)
{
	struct egw_nat_pool pool = mk_pool(1024, 65535, EGW_PAIRING_PAIRED);
	unsigned count[4] = { 0 };
	uint64_t seed = 0x5eed0102;
	struct egw_flow_key k;

	/* Paired: one inside host, one egress address, whatever the ports and destination. */
	for (unsigned h = 0; h < 1000; h++) {
		uint32_t src = PG_IP(198, 18, h >> 8, h & 0xff);
		uint32_t first;
		int idx;
		k = mk_key(src, 1, SERVER, 80, IPPROTO_TCP);
		first = egw_nat_pick_addr(&pool, &SECRET, &k);
		idx = addr_index(first);
		CU_ASSERT_FATAL(idx >= 0);
		count[idx]++;
		for (unsigned j = 0; j < 20; j++) {
			uint64_t r = pg_rand(&seed);
			k = mk_key(src, (uint16_t)r, (uint32_t)(r >> 16), (uint16_t)(r >> 48),
				j % 2 ? IPPROTO_UDP : IPPROTO_TCP);
			CU_ASSERT_EQUAL(egw_nat_pick_addr(&pool, &SECRET, &k), first);
		}
	}
	/* ... and the hosts spread over the addresses. */
	for (unsigned i = 0; i < 4; i++)
		CU_ASSERT(count[i] > 150 && count[i] < 350);

	/* Another secret maps hosts differently. */
	{
		struct egw_nat_secret s2 = SECRET;
		unsigned diff = 0;
		s2.k0++;
		for (unsigned h = 0; h < 200; h++) {
			k = mk_key(PG_IP(198, 18, 1, h), 1, SERVER, 80, IPPROTO_TCP);
			diff += egw_nat_pick_addr(&pool, &SECRET, &k) !=
				egw_nat_pick_addr(&pool, &s2, &k);
		}
		CU_ASSERT(diff > 100);
	}

	/* Arbitrary: one host's flows use every address, each flow always the same one. */
	pool.pairing = EGW_PAIRING_ARBITRARY;
	memset(count, 0, sizeof(count));
	for (unsigned j = 0; j < 1000; j++) {
		uint32_t a;
		int idx;
		k = mk_key(CLIENT, (uint16_t)(20000 + j), SERVER, 443, IPPROTO_TCP);
		a = egw_nat_pick_addr(&pool, &SECRET, &k);
		idx = addr_index(a);
		CU_ASSERT_FATAL(idx >= 0);
		count[idx]++;
		CU_ASSERT_EQUAL(egw_nat_pick_addr(&pool, &SECRET, &k), a);
	}
	for (unsigned i = 0; i < 4; i++)
		CU_ASSERT(count[i] > 150);

	/* One address: always it. */
	pool.n_addrs = 1;
	k = mk_key(CLIENT, 1, SERVER, 2, IPPROTO_UDP);
	CU_ASSERT_EQUAL(egw_nat_pick_addr(&pool, &SECRET, &k), pool_addrs[0]);
}

/* ---- port allocation ---- */

struct port_map {
	uint8_t used[65536];
	unsigned calls, max_calls;
};

static bool port_taken(void *ctx, uint16_t port_be)
{
	struct port_map *m = ctx;

	m->calls++;
	return m->used[ntohs(port_be)] != 0;
}

static int alloc(const struct egw_nat_pool *pool, unsigned w, unsigned n,
	const struct egw_flow_key *k, uint32_t *counter, struct port_map *m, uint16_t *port)
{
	uint16_t be;
	int rc;

	m->calls = 0;
	rc = egw_nat_alloc_port(pool, &SECRET, w, n, k, counter, port_taken, m, &be);
	if (m->calls > m->max_calls)
		m->max_calls = m->calls;
	if (rc == 0)
		*port = ntohs(be);
	return rc;
}

static void test_nat_alloc_port_many(void)
{
	struct egw_nat_pool pool = mk_pool(1024, 65535, EGW_PAIRING_PAIRED);
	struct port_map *m = calloc(1, sizeof(*m));
	uint8_t *ever = calloc(65536, 1);
	uint16_t *fifo = calloc(100000, sizeof(uint16_t));
	const unsigned W = 2, N = 4, HOLD = 8000;
	uint32_t counter = 0, slice = egw_nat_slice_size(&pool, W, N), distinct = 0;
	uint64_t seed = 0x5eed0103;
	unsigned head = 0, failures = 0, out_of_slice = 0, dup = 0;

	CU_ASSERT_FATAL(m && ever && fifo);
	CU_ASSERT_EQUAL(slice, (65534 - 1026) / 4 + 1);
	for (unsigned i = 0; i < 100000; i++) {
		uint64_t r = pg_rand(&seed);
		struct egw_flow_key k =
			mk_key(PG_IP(198, 18, (r >> 8) & 1, r & 0xff), (uint16_t)(r >> 16),
				PG_IP(203, 0, 113, (r >> 32) & 0xff), 443, IPPROTO_TCP);
		uint16_t p = 0;

		/* Keep HOLD ports in use: release the oldest beyond that. */
		if (i >= HOLD)
			m->used[fifo[head++]] = 0;
		if (alloc(&pool, W, N, &k, &counter, m, &p) != 0) {
			failures++;
			continue;
		}
		out_of_slice += p % N != W || p < 1024;
		dup += m->used[p];
		m->used[p] = 1;
		fifo[i] = p;
		if (!ever[p]++)
			distinct++;
		CU_ASSERT_EQUAL(egw_nat_port_owner(htons(p), N), W);
	}
	CU_ASSERT_EQUAL(failures, 0);
	CU_ASSERT_EQUAL(out_of_slice, 0);
	CU_ASSERT_EQUAL(dup, 0);
	CU_ASSERT_EQUAL(counter, 100000);
	CU_ASSERT(m->max_calls <= EGW_NAT_MAX_TRIES);
	/* Keyed random starts reach (nearly) the whole slice. */
	CU_ASSERT(distinct > slice * 95 / 100);
	free(m);
	free(ever);
	free(fifo);
}

static void test_nat_alloc_port_slices(void)
{
	struct egw_nat_pool pool = mk_pool(1000, 1099, EGW_PAIRING_PAIRED);
	struct port_map *m[3];
	uint8_t owner_of[65536];
	struct egw_flow_key k = mk_key(CLIENT, 40000, SERVER, 80, IPPROTO_UDP);
	unsigned total = 0;

	memset(owner_of, 0xff, sizeof(owner_of));
	for (unsigned w = 0; w < 3; w++) {
		uint32_t counter = 7, n_ok = 0;
		uint16_t p = 0;
		m[w] = calloc(1, sizeof(*m[w]));
		CU_ASSERT_FATAL(m[w] != NULL);
		/* Small slices: every allocation finds a free port until none is left. */
		while (alloc(&pool, w, 3, &k, &counter, m[w], &p) == 0) {
			CU_ASSERT_FATAL(!m[w]->used[p]);
			CU_ASSERT(p >= 1000 && p <= 1099);
			CU_ASSERT_EQUAL(p % 3, w);
			CU_ASSERT_EQUAL(egw_nat_port_owner(htons(p), 3), w);
			/* Disjoint: no other worker handed it out. */
			CU_ASSERT_EQUAL(owner_of[p], 0xff);
			owner_of[p] = (uint8_t)w;
			m[w]->used[p] = 1;
			n_ok++;
			CU_ASSERT_FATAL(n_ok <= 100);
		}
		CU_ASSERT_EQUAL(n_ok, egw_nat_slice_size(&pool, w, 3));
		total += n_ok;
	}
	CU_ASSERT_EQUAL(egw_nat_slice_size(&pool, 0, 3), 33); /* 1002..1098 */
	CU_ASSERT_EQUAL(egw_nat_slice_size(&pool, 1, 3), 34); /* 1000..1099 */
	CU_ASSERT_EQUAL(egw_nat_slice_size(&pool, 2, 3), 33); /* 1001..1097 */
	/* Together the slices are the whole range. */
	CU_ASSERT_EQUAL(total, 100);
	for (unsigned p = 1000; p <= 1099; p++)
		CU_ASSERT_NOT_EQUAL(owner_of[p], 0xff);
	for (unsigned w = 0; w < 3; w++)
		free(m[w]);

	/* Owner and slice sizes agree over the default range for several worker counts. */
	pool = mk_pool(1024, 65535, EGW_PAIRING_PAIRED);
	for (unsigned n = 1; n <= 16; n++) {
		uint32_t cnt[16] = { 0 }, sum = 0;
		for (uint32_t p = 1024; p <= 65535; p++)
			cnt[egw_nat_port_owner(htons((uint16_t)p), n)]++;
		for (unsigned w = 0; w < n; w++) {
			CU_ASSERT_EQUAL(cnt[w], egw_nat_slice_size(&pool, w, n));
			sum += egw_nat_slice_size(&pool, w, n);
		}
		CU_ASSERT_EQUAL(sum, 65535 - 1024 + 1);
	}

	/* A range smaller than the number of workers: some slices are empty. */
	pool = mk_pool(5000, 5001, EGW_PAIRING_PAIRED);
	{
		struct port_map *pm = calloc(1, sizeof(*pm));
		uint32_t counter = 0;
		uint16_t p = 0;
		CU_ASSERT_FATAL(pm != NULL);
		CU_ASSERT_EQUAL(egw_nat_slice_size(&pool, 0, 4), 1);
		CU_ASSERT_EQUAL(egw_nat_slice_size(&pool, 1, 4), 1);
		CU_ASSERT_EQUAL(egw_nat_slice_size(&pool, 2, 4), 0);
		CU_ASSERT_EQUAL(alloc(&pool, 2, 4, &k, &counter, pm, &p), -ENOSPC);
		CU_ASSERT_EQUAL(alloc(&pool, 1, 4, &k, &counter, pm, &p), 0);
		CU_ASSERT_EQUAL(p, 5001);
		free(pm);
	}
	/* The top of the port space. */
	pool = mk_pool(65500, 65535, EGW_PAIRING_PAIRED);
	{
		struct port_map *pm = calloc(1, sizeof(*pm));
		uint32_t counter = 0, n_ok = 0;
		uint16_t p = 0;
		CU_ASSERT_FATAL(pm != NULL);
		while (alloc(&pool, 0, 1, &k, &counter, pm, &p) == 0 && n_ok <= 36) {
			CU_ASSERT(p >= 65500);
			CU_ASSERT(!pm->used[p]);
			pm->used[p] = 1;
			n_ok++;
		}
		CU_ASSERT_EQUAL(n_ok, 36);
		CU_ASSERT(pm->used[65535]);
		free(pm);
	}
}

static void test_nat_alloc_port_exhaustion(void)
{
	struct egw_nat_pool pool = mk_pool(1000, 1099, EGW_PAIRING_PAIRED);
	struct port_map *m = calloc(1, sizeof(*m));
	struct egw_flow_key k = mk_key(CLIENT, 40000, SERVER, 80, IPPROTO_TCP);
	uint32_t counter = 0;
	uint16_t p = 0;

	CU_ASSERT_FATAL(m != NULL);
	for (unsigned i = 0; i < 34; i++) {
		CU_ASSERT_EQUAL_FATAL(alloc(&pool, 1, 3, &k, &counter, m, &p), 0);
		m->used[p] = 1;
	}
	CU_ASSERT_EQUAL(alloc(&pool, 1, 3, &k, &counter, m, &p), -ENOSPC);
	CU_ASSERT_EQUAL(m->calls, 34); /* every slice port was tried once */
	/* Release one port: the next allocation finds exactly it, then none again. */
	m->used[1042] = 0;
	CU_ASSERT_EQUAL(alloc(&pool, 1, 3, &k, &counter, m, &p), 0);
	CU_ASSERT_EQUAL(p, 1042);
	m->used[p] = 1;
	CU_ASSERT_EQUAL(alloc(&pool, 1, 3, &k, &counter, m, &p), -ENOSPC);
	/* Other workers' ports being free does not help worker 1. */
	m->used[1001] = 0;
	CU_ASSERT_EQUAL(alloc(&pool, 1, 3, &k, &counter, m, &p), -ENOSPC);

	/* A full large slice: -ENOSPC after at most EGW_NAT_MAX_TRIES probes. */
	pool = mk_pool(1024, 65535, EGW_PAIRING_PAIRED);
	memset(m->used, 1, sizeof(m->used));
	CU_ASSERT_EQUAL(alloc(&pool, 0, 2, &k, &counter, m, &p), -ENOSPC);
	CU_ASSERT_EQUAL(m->calls, EGW_NAT_MAX_TRIES);
	free(m);
}

/* Deterministic for a tuple, secret and counter; different tuples start elsewhere. */
static void test_nat_alloc_port_keyed(void)
{
	struct egw_nat_pool pool = mk_pool(1024, 65535, EGW_PAIRING_PAIRED);
	struct port_map *m = calloc(1, sizeof(*m));
	struct egw_flow_key k = mk_key(CLIENT, 40000, SERVER, 80, IPPROTO_TCP), k2;
	uint32_t c1 = 100, c2 = 100;
	uint16_t p1 = 0, p2 = 0;
	unsigned same = 0;

	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(alloc(&pool, 0, 1, &k, &c1, m, &p1), 0);
	CU_ASSERT_EQUAL(alloc(&pool, 0, 1, &k, &c2, m, &p2), 0);
	CU_ASSERT_EQUAL(p1, p2);
	CU_ASSERT_EQUAL(c1, 101);
	/* The counter moves the start by one slice position. */
	c1 = 100;
	CU_ASSERT_EQUAL(alloc(&pool, 0, 1, &k, &c1, m, &p1), 0);
	c2 = 101;
	CU_ASSERT_EQUAL(alloc(&pool, 0, 1, &k, &c2, m, &p2), 0);
	CU_ASSERT_EQUAL(p2, p1 == 65535 ? 1024 : p1 + 1);
	/* Each element of the tuple changes the start. */
	for (unsigned i = 0; i < 100; i++) {
		c1 = c2 = 5;
		k2 = k;
		switch (i % 5) {
		case 0:
			k2.a_addr ^= htonl(1 + i);
			break;
		case 1:
			k2.b_addr ^= htonl(1 + i);
			break;
		case 2:
			k2.a_port ^= htons((uint16_t)(1 + i));
			break;
		case 3:
			k2.b_port ^= htons((uint16_t)(1 + i));
			break;
		default:
			k2.proto = IPPROTO_UDP;
			break;
		}
		alloc(&pool, 0, 1, &k, &c1, m, &p1);
		alloc(&pool, 0, 1, &k2, &c2, m, &p2);
		same += p1 == p2;
	}
	CU_ASSERT(same <= 2);
	free(m);
}

/* ---- address set ---- */

static uint32_t slot_of(uint32_t a, uint32_t mask)
{
	return (a * 2654435761u) >> 8 & mask;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void test_addr_set(void)
{
	struct egw_addr_set s;
	uint32_t addrs[8];
	uint64_t seed = 0x5eed0104;

	/* Empty. */
	CU_ASSERT_EQUAL(egw_addr_set_init(&s, NULL, 0), 0);
	CU_ASSERT_EQUAL(s.count, 0);
	CU_ASSERT(!egw_addr_set_contains(&s, htonl(NAT_ADDR)));
	CU_ASSERT(!egw_addr_set_contains(&s, 0));
	egw_addr_set_free(&s);
	CU_ASSERT(!egw_addr_set_contains(&s, htonl(NAT_ADDR)));

	/* Pool addresses, with a duplicate and a zero (ignored). */
	for (unsigned i = 0; i < 4; i++)
		addrs[i] = htonl(PG_IP(198, 51, 100, 10 + i));
	addrs[4] = addrs[1];
	addrs[5] = 0;
	CU_ASSERT_EQUAL(egw_addr_set_init(&s, addrs, 6), 0);
	CU_ASSERT_EQUAL(s.count, 4);
	CU_ASSERT(((s.mask + 1) & s.mask) == 0);
	CU_ASSERT(s.mask + 1 >= 2 * 6);
	for (unsigned i = 0; i < 4; i++)
		CU_ASSERT(egw_addr_set_contains(&s, addrs[i]));
	CU_ASSERT(!egw_addr_set_contains(&s, htonl(PG_IP(198, 51, 100, 9))));
	CU_ASSERT(!egw_addr_set_contains(&s, htonl(PG_IP(198, 51, 100, 14))));
	CU_ASSERT(!egw_addr_set_contains(&s, htonl(CLIENT)));
	CU_ASSERT(!egw_addr_set_contains(&s, 0));
	/* Byte order matters: the host-order value is another address. */
	CU_ASSERT(!egw_addr_set_contains(&s, PG_IP(198, 51, 100, 10)));
	egw_addr_set_free(&s);

	/* Many addresses against many non-members. */
	{
		const unsigned n = 1000;
		uint32_t *many = malloc(n * sizeof(uint32_t));
		uint32_t *sorted = malloc(n * sizeof(uint32_t));
		unsigned false_pos = 0, distinct = 0;
		CU_ASSERT_FATAL(many && sorted);
		for (unsigned i = 0; i < n; i++)
			many[i] = (uint32_t)pg_rand(&seed) | 1;
		memcpy(sorted, many, n * sizeof(uint32_t));
		qsort(sorted, n, sizeof(uint32_t), cmp_u32);
		for (unsigned i = 0; i < n; i++)
			distinct += i == 0 || sorted[i] != sorted[i - 1];
		CU_ASSERT_EQUAL(egw_addr_set_init(&s, many, n), 0);
		CU_ASSERT_EQUAL(s.count, distinct);
		CU_ASSERT(s.mask + 1 >= 2 * n);
		for (unsigned i = 0; i < n; i++)
			CU_ASSERT(egw_addr_set_contains(&s, many[i]));
		for (unsigned i = 0; i < 200000; i++) {
			uint32_t a = (uint32_t)pg_rand(&seed);
			bool member = bsearch(&a, sorted, n, sizeof(uint32_t), cmp_u32) != NULL;
			false_pos += egw_addr_set_contains(&s, a) != member;
		}
		CU_ASSERT_EQUAL(false_pos, 0);
		egw_addr_set_free(&s);
		free(many);
		free(sorted);
	}

	/* Collisions: 20 addresses on one home slot (the last, so probes wrap around). */
	{
		uint32_t col[21], mask = 63, n = 0; /* 20 addresses -> 64 slots */
		for (uint32_t a = 1; n < 21; a++)
			if (slot_of(a, mask) == mask)
				col[n++] = a;
		CU_ASSERT_EQUAL(egw_addr_set_init(&s, col, 20), 0);
		CU_ASSERT_EQUAL(s.mask, mask);
		CU_ASSERT_EQUAL(s.count, 20);
		for (unsigned i = 0; i < 20; i++)
			CU_ASSERT(egw_addr_set_contains(&s, col[i]));
		/* Same home slot, not a member: probes the whole cluster to the empty slot. */
		CU_ASSERT(!egw_addr_set_contains(&s, col[20]));
		egw_addr_set_free(&s);
	}
}

/* ---- translation ---- */

static struct rte_mempool *mp;
static uint8_t mac_in[6], mac_out[6];

static struct egw_flow mk_flow(uint8_t proto, uint16_t a_port, uint16_t b_port, uint16_t nat_port)
{
	struct egw_flow f;

	memset(&f, 0, sizeof(f));
	if (proto == IPPROTO_ICMP)
		b_port = a_port;
	egw_flow_key_set(&f.orig, htonl(CLIENT), htonl(SERVER), htons(a_port), htons(b_port), proto,
		EGW_ZONE_INSIDE);
	f.nat_addr = htonl(NAT_ADDR);
	f.nat_port = htons(nat_port);
	f.flags = EGW_FLOW_F_NAT;
	return f;
}

struct l4spec {
	uint8_t proto, icmp_type;
	uint16_t payload;
	uint8_t seed;
	bool udp0;
	uint8_t ihl;
};

static size_t mk_frame(uint8_t *buf, const struct l4spec *s, uint32_t src, uint16_t sport,
	uint32_t dst, uint16_t dport)
{
	struct pg_pkt p = { 0 };
	size_t n;

	memcpy(p.dmac, mac_in, 6);
	memcpy(p.smac, mac_out, 6);
	p.src = src;
	p.dst = dst;
	p.proto = s->proto;
	p.sport = sport;
	p.dport = dport;
	p.tcp_flags = EGW_TCP_ACK;
	p.seq = 0x11223344;
	p.icmp_type = s->icmp_type;
	p.icmp_seq = 3;
	p.payload_len = s->payload;
	p.payload_seed = s->seed;
	p.udp_csum_zero = s->udp0;
	p.ihl = s->ihl;
	p.ip_id = 777;
	n = pg_build(buf, PG_FRAME_MAX, &p);
	CU_ASSERT_FATAL(n > 0);
	return n;
}

/* Runs egw_translate on FRAME and returns the mbuf's bytes in OUT. */
static void run_translate(const uint8_t *frame, size_t len, const struct egw_flow *f, unsigned dir,
	uint8_t *out)
{
	struct rte_mbuf *m = pg_mbuf(mp, frame, len, 0);
	struct egw_pkt_meta meta;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(egw_pkt_parse(rte_pktmbuf_mtod(m, uint8_t *), len, &meta),
		EGW_DROP_NONE);
	egw_translate(m, &meta, f, dir);
	CU_ASSERT_EQUAL(rte_pktmbuf_data_len(m), len);
	memcpy(out, rte_pktmbuf_mtod(m, uint8_t *), len);
	rte_pktmbuf_free(m);
}

/* Translates the inside packet and the outside reply of a flow; the results must be exactly
 * the packets built with the translated tuple (same bytes, checksums included). */
static void check_translate(const struct l4spec *s, uint16_t a_port, uint16_t b_port,
	uint16_t nat_port)
{
	struct egw_flow f = mk_flow(s->proto, a_port, b_port, nat_port);
	uint8_t in[PG_FRAME_MAX], want[PG_FRAME_MAX], got[PG_FRAME_MAX];
	bool icmp = s->proto == IPPROTO_ICMP;
	struct l4spec rs = *s;
	size_t n;

	/* Original direction: source becomes NAT_ADDR:nat_port. */
	n = mk_frame(in, s, CLIENT, a_port, SERVER, icmp ? a_port : b_port);
	mk_frame(want, s, NAT_ADDR, nat_port, SERVER, icmp ? nat_port : b_port);
	run_translate(in, n, &f, EGW_DIR_ORIG, got);
	CU_ASSERT(pg_ip_csum_ok(got + 14));
	CU_ASSERT(pg_l4_csum_ok(got + 14));
	CU_ASSERT_EQUAL(memcmp(got, want, n), 0);

	/* Reply: destination NAT_ADDR:nat_port becomes CLIENT:a_port. */
	if (icmp)
		rs.icmp_type = EGW_ICMP_ECHO_REPLY;
	n = mk_frame(in, &rs, SERVER, icmp ? nat_port : b_port, NAT_ADDR, nat_port);
	mk_frame(want, &rs, SERVER, icmp ? a_port : b_port, CLIENT, a_port);
	run_translate(in, n, &f, EGW_DIR_REPLY, got);
	CU_ASSERT(pg_ip_csum_ok(got + 14));
	CU_ASSERT(pg_l4_csum_ok(got + 14));
	CU_ASSERT_EQUAL(memcmp(got, want, n), 0);
}

static void test_translate_basic(void)
{
	struct l4spec tcp = { .proto = IPPROTO_TCP, .payload = 100 };
	struct l4spec udp = { .proto = IPPROTO_UDP, .payload = 33 };
	struct l4spec udp0 = { .proto = IPPROTO_UDP, .payload = 12, .udp0 = true };
	struct l4spec echo = { .proto = IPPROTO_ICMP,
		.icmp_type = EGW_ICMP_ECHO_REQUEST,
		.payload = 56 };
	struct l4spec tcp_opts = { .proto = IPPROTO_TCP, .payload = 7, .ihl = 7 };

	check_translate(&tcp, 40000, 80, 5555);
	check_translate(&tcp_opts, 40000, 443, 1024);
	check_translate(&udp, 5353, 53, 65535);
	check_translate(&udp0, 5353, 53, 2000);
	check_translate(&echo, 0x1234, 0, 0x4321);
	/* Identity translation (same port) leaves the ports alone. */
	check_translate(&tcp, 40000, 80, 40000);

	/* UDP checksum 0 stays 0 in both directions. */
	{
		uint8_t in[PG_FRAME_MAX], got[PG_FRAME_MAX];
		struct egw_flow f = mk_flow(IPPROTO_UDP, 5353, 53, 2000);
		size_t n = mk_frame(in, &udp0, CLIENT, 5353, SERVER, 53);
		run_translate(in, n, &f, EGW_DIR_ORIG, got);
		CU_ASSERT_EQUAL(pg_rd16(got + 34 + 6), 0);
		CU_ASSERT_EQUAL(pg_rd16(got + 34), 2000);
		n = mk_frame(in, &udp0, SERVER, 53, NAT_ADDR, 2000);
		run_translate(in, n, &f, EGW_DIR_REPLY, got);
		CU_ASSERT_EQUAL(pg_rd16(got + 34 + 6), 0);
		CU_ASSERT_EQUAL(pg_rd32(got + 14 + 16), CLIENT);
	}
}

/* A translation whose UDP checksum comes out as 0 must send 0xffff. */
static void test_translate_udp_csum_ffff(void)
{
	uint8_t in[PG_FRAME_MAX], want[PG_FRAME_MAX], got[PG_FRAME_MAX];
	struct l4spec s = { .proto = IPPROTO_UDP, .payload = 2 };
	struct egw_flow f = mk_flow(IPPROTO_UDP, 5353, 53, 3000);
	uint8_t *udp = want + 34;
	uint16_t sum;
	size_t n;

	/* The translated packet, with the payload word chosen so its checksum computes to 0. */
	n = mk_frame(want, &s, NAT_ADDR, 3000, SERVER, 53);
	pg_wr16(udp + 8, 0);
	pg_wr16(udp + 6, 0);
	sum = pg_ref_sum(udp, 10, pg_pseudo_sum(want + 14, IPPROTO_UDP, 10));
	pg_wr16(udp + 8, (uint16_t)~sum);
	pg_fix_l4_csum(want + 14);
	CU_ASSERT_EQUAL_FATAL(pg_rd16(udp + 6), 0xffff);
	/* The same payload from the inside. */
	mk_frame(in, &s, CLIENT, 5353, SERVER, 53);
	memcpy(in + 34 + 8, udp + 8, 2);
	pg_fix_l4_csum(in + 14);
	CU_ASSERT_NOT_EQUAL(pg_rd16(in + 34 + 6), 0xffff);
	run_translate(in, n, &f, EGW_DIR_ORIG, got);
	CU_ASSERT_EQUAL(pg_rd16(got + 34 + 6), 0xffff);
	CU_ASSERT_EQUAL(memcmp(got, want, n), 0);
}

/*
 * An all-zero ICMP message (echo reply, id 0, seq 0, no data) has checksum 0xffff; the
 * incremental update alone would write 0x0000, which receivers drop (found by fuzz_pkt).
 */
static void test_translate_icmp_all_zero(void)
{
	uint8_t in[PG_FRAME_MAX], got[PG_FRAME_MAX];
	struct pg_pkt p = { 0 };
	struct egw_flow f = mk_flow(IPPROTO_ICMP, 0, 0, 0xffff);
	size_t n;

	memcpy(p.dmac, mac_in, 6);
	memcpy(p.smac, mac_out, 6);
	p.src = SERVER;
	p.dst = NAT_ADDR;
	p.proto = IPPROTO_ICMP;
	p.icmp_type = EGW_ICMP_ECHO_REPLY;
	p.sport = 0xffff;
	n = pg_build(in, sizeof(in), &p);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL_FATAL(pg_rd16(in + 34 + 2), 0x0000); /* ~0xffff */
	run_translate(in, n, &f, EGW_DIR_REPLY, got);
	CU_ASSERT_EQUAL(pg_rd16(got + 34 + 4), 0);
	CU_ASSERT_EQUAL(pg_rd16(got + 34 + 2), 0xffff);
	CU_ASSERT(pg_l4_csum_ok(got + 14));
}

static void test_translate_random(void)
{
	uint64_t seed = 0x5eed0105;

	for (unsigned i = 0; i < 3000; i++) {
		uint64_t r = pg_rand(&seed);
		struct l4spec s = { 0 };
		switch (r % 4) {
		case 0:
			s.proto = IPPROTO_TCP;
			break;
		case 1:
			s.proto = IPPROTO_UDP;
			break;
		case 2:
			s.proto = IPPROTO_UDP;
			s.udp0 = true;
			break;
		default:
			s.proto = IPPROTO_ICMP;
			s.icmp_type = EGW_ICMP_ECHO_REQUEST;
			break;
		}
		s.payload = (uint16_t)((r >> 8) % 300);
		s.seed = (uint8_t)(r >> 24);
		s.ihl = (uint8_t)(5 + (r >> 32) % 3);
		check_translate(&s, (uint16_t)(r >> 36), (uint16_t)(r >> 52),
			(uint16_t)pg_rand(&seed));
	}
}

/*
 * ICMP errors. QUOTE_L4 bytes of the L4 header are quoted (8: no TCP checksum in the quote).
 * From outside (reply direction): ROUTER -> NAT_ADDR about the packet we sent (translated);
 * it must become exactly ROUTER -> CLIENT about the packet the client sent.
 * From inside (original direction): CLIENT -> SERVER about the reply the client got; it must
 * become exactly NAT_ADDR -> SERVER about the reply as the server sent it.
 */
static void check_icmp_error(const struct l4spec *s, uint16_t a_port, uint16_t b_port,
	uint16_t nat_port, unsigned quote_l4, uint8_t type, uint8_t code)
{
	struct egw_flow f = mk_flow(s->proto, a_port, b_port, nat_port);
	uint8_t o[PG_FRAME_MAX], t[PG_FRAME_MAX], in[PG_FRAME_MAX], want[PG_FRAME_MAX];
	bool icmp = s->proto == IPPROTO_ICMP;
	struct l4spec rs = *s;
	unsigned ihl = (s->ihl ? s->ihl : 5) * 4u, q = ihl + quote_l4;
	struct egw_pkt_meta meta;
	struct rte_mbuf *m;
	size_t n, wn;

	for (unsigned dir = 0; dir < 2; dir++) {
		if (dir == EGW_DIR_REPLY) {
			mk_frame(o, s, CLIENT, a_port, SERVER, icmp ? a_port : b_port);
			mk_frame(t, s, NAT_ADDR, nat_port, SERVER, icmp ? nat_port : b_port);
			n = pg_build_icmp_error(in, sizeof(in), mac_in, mac_out, ROUTER, NAT_ADDR,
				type, code, t + 14, q);
			wn = pg_build_icmp_error(want, sizeof(want), mac_in, mac_out, ROUTER,
				CLIENT, type, code, o + 14, q);
		} else {
			if (icmp)
				rs.icmp_type = EGW_ICMP_ECHO_REPLY;
			mk_frame(o, &rs, SERVER, icmp ? a_port : b_port, CLIENT, a_port);
			mk_frame(t, &rs, SERVER, icmp ? nat_port : b_port, NAT_ADDR, nat_port);
			n = pg_build_icmp_error(in, sizeof(in), mac_in, mac_out, CLIENT, SERVER,
				type, code, o + 14, q);
			wn = pg_build_icmp_error(want, sizeof(want), mac_in, mac_out, NAT_ADDR,
				SERVER, type, code, t + 14, q);
		}
		CU_ASSERT_FATAL(n > 0 && n == wn);
		m = pg_mbuf(mp, in, n, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_EQUAL_FATAL(egw_pkt_parse(rte_pktmbuf_mtod(m, uint8_t *), n, &meta),
			EGW_DROP_NONE);
		CU_ASSERT_EQUAL_FATAL(meta.kind, EGW_PKT_ICMP_ERROR);
		egw_translate_icmp_error(m, &meta, &f, dir);
		{
			const uint8_t *g = rte_pktmbuf_mtod(m, const uint8_t *);
			CU_ASSERT(pg_ip_csum_ok(g + 14)); /* outer IP */
			CU_ASSERT(pg_l4_csum_ok(g + 14)); /* ICMP */
			CU_ASSERT(pg_ip_csum_ok(g + 42)); /* inner IP */
			CU_ASSERT_EQUAL(g[34], type);
			CU_ASSERT_EQUAL(g[35], code);
			if (dir == EGW_DIR_REPLY) {
				CU_ASSERT_EQUAL(pg_rd32(g + 14 + 16), CLIENT);
				CU_ASSERT_EQUAL(pg_rd32(g + 42 + 12), CLIENT);
				CU_ASSERT_EQUAL(pg_rd16(g + 42 + ihl + (icmp ? 4 : 0)), a_port);
			} else {
				CU_ASSERT_EQUAL(pg_rd32(g + 14 + 12), NAT_ADDR);
				CU_ASSERT_EQUAL(pg_rd32(g + 42 + 16), NAT_ADDR);
				CU_ASSERT_EQUAL(pg_rd16(g + 42 + ihl + (icmp ? 4 : 2)), nat_port);
			}
			for (size_t i = 0; i < n; i++)
				if (g[i] != want[i])
					fprintf(stderr,
						"\n  proto %u dir %u quote %u: byte %zu is "
						"%02x, want %02x",
						s->proto, dir, quote_l4, i, g[i], want[i]);
			CU_ASSERT_EQUAL(memcmp(g, want, n), 0);
		}
		rte_pktmbuf_free(m);
	}
}

static void test_translate_icmp_error(void)
{
	struct l4spec tcp = { .proto = IPPROTO_TCP, .payload = 20 };
	struct l4spec udp = { .proto = IPPROTO_UDP, .payload = 30 };
	struct l4spec udp0 = { .proto = IPPROTO_UDP, .payload = 30, .udp0 = true };
	struct l4spec echo = { .proto = IPPROTO_ICMP,
		.icmp_type = EGW_ICMP_ECHO_REQUEST,
		.payload = 16 };
	struct l4spec tcp_opts = { .proto = IPPROTO_TCP, .payload = 0, .ihl = 6 };

	/* TCP: 8 bytes quoted (no checksum), 18 (checksum just in), 20, header + data. */
	check_icmp_error(&tcp, 40000, 80, 5555, 8, EGW_ICMP_DEST_UNREACH, 3);
	check_icmp_error(&tcp, 40000, 80, 5555, 18, EGW_ICMP_TIME_EXCEEDED, 0);
	check_icmp_error(&tcp, 40000, 80, 5555, 20, EGW_ICMP_DEST_UNREACH, 4);
	check_icmp_error(&tcp, 40000, 80, 5555, 40, EGW_ICMP_PARAM_PROBLEM, 0);
	check_icmp_error(&tcp_opts, 1025, 22, 65000, 20, EGW_ICMP_DEST_UNREACH, 13);
	/* UDP with and without a checksum. */
	check_icmp_error(&udp, 5353, 53, 2000, 8, EGW_ICMP_DEST_UNREACH, 3);
	check_icmp_error(&udp, 5353, 53, 2000, 38, EGW_ICMP_DEST_UNREACH, 3);
	check_icmp_error(&udp0, 5353, 53, 2000, 8, EGW_ICMP_DEST_UNREACH, 3);
	/* ICMP echo: the identifier and the quoted ICMP checksum. */
	check_icmp_error(&echo, 0x1234, 0, 0x4321, 8, EGW_ICMP_TIME_EXCEEDED, 0);
	check_icmp_error(&echo, 0x1234, 0, 0x4321, 24, EGW_ICMP_DEST_UNREACH, 1);

	/* Random tuples. */
	{
		uint64_t seed = 0x5eed0106;
		for (unsigned i = 0; i < 500; i++) {
			uint64_t r = pg_rand(&seed);
			struct l4spec s = { .proto = r % 3 == 0 ? IPPROTO_TCP :
						     r % 3 == 1 ? IPPROTO_UDP :
								  IPPROTO_ICMP,
				.payload = (uint16_t)((r >> 8) % 64),
				.seed = (uint8_t)(r >> 16) };
			unsigned l4h = s.proto == IPPROTO_TCP ? 20 : 8, q;
			if (s.proto == IPPROTO_ICMP)
				s.icmp_type = EGW_ICMP_ECHO_REQUEST;
			q = 8 + (unsigned)((r >> 56) % (l4h + s.payload - 7));
			/* A quote that ends inside the TCP checksum field keeps the stale half
			 * of it (receivers ignore the quoted checksum): not compared here. */
			if (s.proto == IPPROTO_TCP && q == 17)
				q = 18;
			check_icmp_error(&s, (uint16_t)(r >> 24), (uint16_t)(r >> 40),
				(uint16_t)pg_rand(&seed), q, EGW_ICMP_DEST_UNREACH, 3);
		}
	}
}

static int nat_init(void)
{
	if (egw_test_eal_init() < 0)
		return -1;
	mp = pg_mempool();
	pg_mac(mac_in, 0x11);
	pg_mac(mac_out, 0x22);
	return mp ? 0 : -1;
}

/*
 * The per-source flow counts against a reference through random acquires and releases, in a
 * small table where probe runs collide and wrap (backward-shift deletion must keep every
 * remaining address reachable): counts, -EDQUOT at the limit, -ENOSPC past the capacity.
 */
/* The first MAX by flows, most first; ties keep the first seen; MAX 0 keeps nothing. */
static void test_source_top_insert(void)
{
	static const uint32_t flows[] = { 3, 9, 1, 9, 4, 2, 7 };
	struct egw_source_slot top[4];
	uint32_t n = 0;

	for (uint32_t i = 0; i < sizeof(flows) / sizeof(flows[0]); i++)
		egw_source_top_insert(top, &n, 4,
			(struct egw_source_slot){ .addr = i + 1, .flows = flows[i] });
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(top[0].addr, 2);
	CU_ASSERT_EQUAL(top[1].addr, 4);
	CU_ASSERT_EQUAL(top[2].addr, 7);
	CU_ASSERT_EQUAL(top[3].addr, 5);
	CU_ASSERT_EQUAL(top[3].flows, 4);
	n = 0;
	egw_source_top_insert(top, &n, 0, (struct egw_source_slot){ .addr = 1, .flows = 1 });
	CU_ASSERT_EQUAL(n, 0);
}

/* Full: one source per flow the table may hold, in one and a half slots per flow. */
static void test_source_limit_full(void)
{
	enum { CAP = 1000 };
	struct egw_source_limit sl;

	CU_ASSERT_EQUAL(egw_source_limit_bytes(CAP), 1500 * sizeof(struct egw_source_slot));
	CU_ASSERT_EQUAL_FATAL(egw_source_limit_init(&sl, "ut", CAP, SOCKET_ID_ANY), 0);
	CU_ASSERT_EQUAL(egw_source_limit_slots(&sl), 1500);
	for (uint32_t i = 0; i < CAP; i++)
		CU_ASSERT_EQUAL(egw_source_limit_acquire(&sl, htonl(PG_IP(198, 18, 0, 1) + i), 0),
			0);
	CU_ASSERT_EQUAL(egw_source_limit_acquire(&sl, htonl(PG_IP(198, 19, 0, 1)), 0), -ENOSPC);
	for (uint32_t i = 0; i < CAP; i++)
		CU_ASSERT_EQUAL(egw_source_limit_count(&sl, htonl(PG_IP(198, 18, 0, 1) + i)), 1);
	for (uint32_t i = 0; i < CAP; i += 2)
		egw_source_limit_release(&sl, htonl(PG_IP(198, 18, 0, 1) + i));
	for (uint32_t i = 0; i < CAP; i++)
		CU_ASSERT_EQUAL(egw_source_limit_count(&sl, htonl(PG_IP(198, 18, 0, 1) + i)),
			i % 2);
	CU_ASSERT_EQUAL(sl.used, CAP / 2);
	egw_source_limit_fini(&sl);
}

static void test_source_limit_reference(void)
{
	enum { CAP = 16, ADDRS = 24, ROUNDS = 50000, LIMIT = 5 };
	struct egw_source_limit sl;
	uint32_t ref[ADDRS] = { 0 };
	unsigned distinct = 0;

	CU_ASSERT_EQUAL_FATAL(egw_source_limit_init(&sl, "ut", CAP, SOCKET_ID_ANY), 0);
	srand(5);
	for (unsigned r = 0; r < ROUNDS; r++) {
		unsigned a = (unsigned)rand() % ADDRS;
		/* Consecutive addresses and a few far apart: both kinds of neighbours. */
		uint32_t addr = htonl(a < 16 ? PG_IP(198, 18, 0, 1 + a) : PG_IP(198, 19, a, 7));
		if (rand() % 2) {
			int rc = egw_source_limit_acquire(&sl, addr, LIMIT);
			if (ref[a] == 0 && distinct == CAP) {
				CU_ASSERT_EQUAL(rc, -ENOSPC);
			} else if (ref[a] == LIMIT) {
				CU_ASSERT_EQUAL(rc, -EDQUOT);
			} else {
				CU_ASSERT_EQUAL(rc, 0);
				distinct += ref[a]++ == 0;
			}
		} else if (ref[a]) {
			egw_source_limit_release(&sl, addr);
			distinct -= --ref[a] == 0;
		}
		CU_ASSERT_EQUAL(sl.used, distinct);
		for (unsigned k = 0; k < ADDRS; k++) {
			uint32_t ak =
				htonl(k < 16 ? PG_IP(198, 18, 0, 1 + k) : PG_IP(198, 19, k, 7));
			if (egw_source_limit_count(&sl, ak) != ref[k]) {
				CU_FAIL("source count differs from the reference");
				k = ADDRS;
				r = ROUNDS;
			}
		}
	}
	/* Limit 0 is unlimited: a source that holds flows gets any number more. */
	for (unsigned a = 0; a < 16; a++) {
		uint32_t addr = htonl(PG_IP(198, 18, 0, 1 + a));
		if (!ref[a])
			continue;
		for (unsigned i = 0; i < 100; i++)
			CU_ASSERT_EQUAL(egw_source_limit_acquire(&sl, addr, 0), 0);
		CU_ASSERT_EQUAL(egw_source_limit_count(&sl, addr), ref[a] + 100);
		break;
	}
	egw_source_limit_fini(&sl);
}

/* ---- endpoint-independent mappings (nat_map.c) ---- */

static struct egw_nat_map mk_map(uint32_t i, uint8_t filtering)
{
	return (struct egw_nat_map){ .in_addr = htonl(CLIENT + i % 7),
		.ext_addr = htonl(NAT_ADDR),
		.in_port = htons((uint16_t)(10000 + i)),
		.ext_port = htons((uint16_t)(20000 + i)),
		.proto = IPPROTO_UDP,
		.filtering = filtering };
}

static void test_nat_map_basic(void)
{
	struct egw_nat_maps mm;
	struct egw_nat_map m = mk_map(1, EGW_FILTERING_ADDRESS_AND_PORT_DEPENDENT);
	uint32_t id, id2;

	CU_ASSERT_EQUAL_FATAL(egw_nat_maps_init(&mm, 4, &SECRET, SOCKET_ID_ANY), 0);
	CU_ASSERT(egw_nat_maps_bytes(4) > 0);
	CU_ASSERT_EQUAL(egw_nat_map_find_inside(&mm, m.in_addr, m.in_port, m.proto, m.ext_addr),
		EGW_NAT_MAP_NONE);
	id = egw_nat_map_add(&mm, &m, htonl(SERVER), 7);
	CU_ASSERT_NOT_EQUAL_FATAL(id, EGW_NAT_MAP_NONE);
	CU_ASSERT_EQUAL(egw_nat_maps_active(&mm), 1);
	CU_ASSERT_EQUAL(egw_nat_map_find_inside(&mm, m.in_addr, m.in_port, m.proto, m.ext_addr),
		id);
	CU_ASSERT_EQUAL(egw_nat_map_find_outside(&mm, m.ext_addr, m.ext_port, m.proto), id);
	/* Every field of the key counts. */
	CU_ASSERT_EQUAL(egw_nat_map_find_inside(&mm, m.in_addr, m.in_port, IPPROTO_TCP, m.ext_addr),
		EGW_NAT_MAP_NONE);
	CU_ASSERT_EQUAL(egw_nat_map_find_inside(&mm, m.in_addr, m.in_port, m.proto,
				m.ext_addr + htonl(1)),
		EGW_NAT_MAP_NONE);
	CU_ASSERT_EQUAL(egw_nat_map_find_outside(&mm, m.ext_addr, htons(1), m.proto),
		EGW_NAT_MAP_NONE);
	/* Stringent filtering lets nothing in unasked. */
	CU_ASSERT_FALSE(egw_nat_map_filter_allows(&mm, id, htonl(SERVER)));
	CU_ASSERT_EQUAL(egw_nat_map_get(&mm, id)->sole, 7);
	/* A second flow holds it too: the first one's end keeps it, and it is no flow's alone. */
	CU_ASSERT_EQUAL(egw_nat_map_ref(&mm, id, htonl(ROUTER)), 0);
	CU_ASSERT_EQUAL(egw_nat_map_get(&mm, id)->sole, EGW_NAT_MAP_SHARED);
	CU_ASSERT_EQUAL(egw_nat_map_get(&mm, id)->flows, 2);
	egw_nat_map_unref(&mm, id, htonl(SERVER));
	CU_ASSERT_EQUAL(egw_nat_map_find_outside(&mm, m.ext_addr, m.ext_port, m.proto), id);
	egw_nat_map_unref(&mm, id, htonl(ROUTER));
	CU_ASSERT_EQUAL(egw_nat_maps_active(&mm), 0);
	CU_ASSERT_EQUAL(egw_nat_map_find_outside(&mm, m.ext_addr, m.ext_port, m.proto),
		EGW_NAT_MAP_NONE);
	CU_ASSERT_EQUAL(egw_nat_map_find_inside(&mm, m.in_addr, m.in_port, m.proto, m.ext_addr),
		EGW_NAT_MAP_NONE);
	/* Full: the fifth mapping is refused. */
	for (uint32_t i = 0; i < 4; i++) {
		m = mk_map(i, EGW_FILTERING_ENDPOINT_INDEPENDENT);
		CU_ASSERT_NOT_EQUAL(egw_nat_map_add(&mm, &m, htonl(SERVER), 7), EGW_NAT_MAP_NONE);
	}
	m = mk_map(4, EGW_FILTERING_ENDPOINT_INDEPENDENT);
	CU_ASSERT_EQUAL(egw_nat_map_add(&mm, &m, htonl(SERVER), 7), EGW_NAT_MAP_NONE);
	id2 = egw_nat_map_find_outside(&mm, htonl(NAT_ADDR), htons(20002), IPPROTO_UDP);
	CU_ASSERT_NOT_EQUAL_FATAL(id2, EGW_NAT_MAP_NONE);
	CU_ASSERT(egw_nat_map_filter_allows(&mm, id2, htonl(PG_IP(203, 0, 113, 77))));
	egw_nat_maps_fini(&mm);
}

/* Address-dependent filtering: a sender passes while a flow to its address holds the mapping. */
static void test_nat_map_address_dependent(void)
{
	struct egw_nat_maps mm;
	struct egw_nat_map m = mk_map(1, EGW_FILTERING_ADDRESS_DEPENDENT);
	uint32_t id;

	CU_ASSERT_EQUAL_FATAL(egw_nat_maps_init(&mm, 8, &SECRET, SOCKET_ID_ANY), 0);
	id = egw_nat_map_add(&mm, &m, htonl(SERVER), 7);
	CU_ASSERT_NOT_EQUAL_FATAL(id, EGW_NAT_MAP_NONE);
	CU_ASSERT(egw_nat_map_filter_allows(&mm, id, htonl(SERVER)));
	CU_ASSERT_FALSE(egw_nat_map_filter_allows(&mm, id, htonl(ROUTER)));
	/* Two flows to SERVER (two ports), one to ROUTER. */
	CU_ASSERT_EQUAL(egw_nat_map_ref(&mm, id, htonl(SERVER)), 0);
	CU_ASSERT_EQUAL(egw_nat_map_ref(&mm, id, htonl(ROUTER)), 0);
	CU_ASSERT(egw_nat_map_filter_allows(&mm, id, htonl(ROUTER)));
	egw_nat_map_unref(&mm, id, htonl(ROUTER));
	CU_ASSERT_FALSE(egw_nat_map_filter_allows(&mm, id, htonl(ROUTER)));
	egw_nat_map_unref(&mm, id, htonl(SERVER));
	CU_ASSERT(egw_nat_map_filter_allows(&mm, id, htonl(SERVER)));
	CU_ASSERT_EQUAL(egw_nat_maps_active(&mm), 1);
	egw_nat_map_unref(&mm, id, htonl(SERVER));
	CU_ASSERT_EQUAL(egw_nat_maps_active(&mm), 0);
	CU_ASSERT_EQUAL(mm.n_free_permits, mm.capacity);
	egw_nat_maps_fini(&mm);
}

/* Ids come from free lists through the unused records: lowest first from a new table, the most
 * recently freed first afterwards, none past the capacity; no memory beyond the records and
 * the three indexes (two thirds full at most). */
static void test_nat_map_free_lists(void)
{
	struct egw_nat_maps mm;
	struct egw_nat_map m;
	uint32_t id[4];

	CU_ASSERT_EQUAL(egw_nat_maps_bytes(100),
		101 * (sizeof(struct egw_nat_map) + sizeof(struct egw_nat_permit)) +
			3 * 150 * sizeof(uint32_t));
	CU_ASSERT_EQUAL_FATAL(egw_nat_maps_init(&mm, 4, &SECRET, SOCKET_ID_ANY), 0);
	for (uint32_t i = 0; i < 4; i++) {
		m = mk_map(i, EGW_FILTERING_ADDRESS_DEPENDENT);
		id[i] = egw_nat_map_add(&mm, &m, htonl(SERVER), 7);
		CU_ASSERT_EQUAL(id[i], i + 1);
	}
	m = mk_map(4, EGW_FILTERING_ADDRESS_DEPENDENT);
	CU_ASSERT_EQUAL(egw_nat_map_add(&mm, &m, htonl(SERVER), 7), EGW_NAT_MAP_NONE);
	CU_ASSERT_EQUAL(mm.n_free_permits, 0);
	/* A fifth permit: none left. */
	CU_ASSERT_EQUAL(egw_nat_map_ref(&mm, id[0], htonl(ROUTER)), -ENOSPC);
	egw_nat_map_unref(&mm, id[1], htonl(SERVER));
	egw_nat_map_unref(&mm, id[2], htonl(SERVER));
	CU_ASSERT_EQUAL(egw_nat_maps_active(&mm), 2);
	CU_ASSERT_EQUAL(mm.n_free_permits, 2);
	m = mk_map(5, EGW_FILTERING_ADDRESS_DEPENDENT);
	CU_ASSERT_EQUAL(egw_nat_map_add(&mm, &m, htonl(SERVER), 7), id[2]);
	m = mk_map(6, EGW_FILTERING_ADDRESS_DEPENDENT);
	CU_ASSERT_EQUAL(egw_nat_map_add(&mm, &m, htonl(SERVER), 7), id[1]);
	CU_ASSERT_EQUAL(egw_nat_map_find_outside(&mm, m.ext_addr, m.ext_port, m.proto), id[1]);
	CU_ASSERT(egw_nat_map_filter_allows(&mm, id[1], htonl(SERVER)));
	CU_ASSERT_EQUAL(egw_nat_maps_active(&mm), 4);
	CU_ASSERT_EQUAL(mm.n_free_permits, 0);
	egw_nat_maps_fini(&mm);
}

/* Many adds and removes in random order: every live mapping stays findable both ways (the
 * backward-shift deletion never loses an entry of a probe run). */
static void test_nat_map_churn(void)
{
	enum { CAP = 512, ROUNDS = 20000 };
	static uint32_t live[CAP + 1]; /* id -> key number + 1, 0 = none */
	struct egw_nat_maps mm;
	uint32_t seed = 12345;

	memset(live, 0, sizeof(live));
	CU_ASSERT_EQUAL_FATAL(egw_nat_maps_init(&mm, CAP, &SECRET, SOCKET_ID_ANY), 0);
	for (unsigned r = 0; r < ROUNDS; r++) {
		uint32_t k;
		struct egw_nat_map m;
		uint32_t id;

		seed = seed * 1103515245u + 12345u;
		k = (seed >> 8) % (2 * CAP);
		m = mk_map(k, EGW_FILTERING_ADDRESS_DEPENDENT);
		id = egw_nat_map_find_outside(&mm, m.ext_addr, m.ext_port, m.proto);
		if (id != EGW_NAT_MAP_NONE) {
			CU_ASSERT_EQUAL_FATAL(live[id], k + 1);
			egw_nat_map_unref(&mm, id, htonl(SERVER));
			live[id] = 0;
			continue;
		}
		id = egw_nat_map_add(&mm, &m, htonl(SERVER), 7);
		if (id != EGW_NAT_MAP_NONE)
			live[id] = k + 1;
	}
	for (uint32_t id = 1; id <= CAP; id++) {
		struct egw_nat_map m;
		if (!live[id])
			continue;
		m = mk_map(live[id] - 1, 0);
		CU_ASSERT_EQUAL(egw_nat_map_find_inside(&mm, m.in_addr, m.in_port, m.proto,
					m.ext_addr),
			id);
		CU_ASSERT_EQUAL(egw_nat_map_find_outside(&mm, m.ext_addr, m.ext_port, m.proto), id);
		CU_ASSERT(egw_nat_map_filter_allows(&mm, id, htonl(SERVER)));
	}
	egw_nat_maps_fini(&mm);
}

/* Arbitrary pooling with endpoint-independent mapping: one address per inside endpoint. */
static void test_nat_pick_addr_eim(void)
{
	struct egw_nat_pool pool = mk_pool(1024, 65535, EGW_PAIRING_ARBITRARY);
	struct egw_flow_key k;
	uint32_t first;
	bool spread = false;

	pool.mapping = EGW_MAPPING_ENDPOINT_INDEPENDENT;
	egw_flow_key_set(&k, htonl(CLIENT), htonl(SERVER), htons(40000), htons(80), IPPROTO_TCP,
		EGW_ZONE_INSIDE);
	first = egw_nat_pick_addr(&pool, &SECRET, &k);
	for (uint32_t d = 0; d < 64; d++) {
		k.b_addr = htonl(SERVER + d);
		k.b_port = htons((uint16_t)(80 + d));
		CU_ASSERT_EQUAL(egw_nat_pick_addr(&pool, &SECRET, &k), first);
	}
	/* Still spread over the inside endpoints. */
	for (uint16_t sp = 1; sp < 64 && !spread; sp++) {
		k.a_port = htons(sp);
		spread = egw_nat_pick_addr(&pool, &SECRET, &k) != first;
	}
	CU_ASSERT(spread);
}

void egw_test_register_nat(void)
{
	EGW_SUITE("nat", nat_init, NULL, EGW_TEST(test_nat_prf), EGW_TEST(test_nat_pick_addr),
		EGW_TEST(test_nat_alloc_port_many), EGW_TEST(test_nat_alloc_port_slices),
		EGW_TEST(test_nat_alloc_port_exhaustion), EGW_TEST(test_nat_alloc_port_keyed),
		EGW_TEST(test_addr_set), EGW_TEST(test_translate_basic),
		EGW_TEST(test_translate_udp_csum_ffff), EGW_TEST(test_translate_icmp_all_zero),
		EGW_TEST(test_translate_random), EGW_TEST(test_translate_icmp_error),
		EGW_TEST(test_source_top_insert), EGW_TEST(test_source_limit_full),
		EGW_TEST(test_source_limit_reference), EGW_TEST(test_nat_map_basic),
		EGW_TEST(test_nat_map_address_dependent), EGW_TEST(test_nat_map_free_lists),
		EGW_TEST(test_nat_map_churn), EGW_TEST(test_nat_pick_addr_eim));
}
