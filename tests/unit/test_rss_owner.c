/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/net/rss_owner.c: the table-driven Toeplitz hash of an inside endpoint equals DPDK's
 * rte_softrss on the same bytes, the RETA spreads endpoints over the workers, and an mbuf the
 * NIC hashed is owned by what its hash selects.
 */
#include <errno.h>
#include <arpa/inet.h>

#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_thash.h>

#include "egw_test.h"
#include "net/rss_owner.h"

/* rte_softrss over the source address and, for L4, the source port: the NIC's input for
 * RSS with L3_SRC_ONLY | L4_SRC_ONLY. Words in host order; the zero bits after the port add
 * nothing to a Toeplitz hash. */
static uint32_t softrss_src(const uint8_t *key, uint32_t addr_be, uint16_t port_be, bool l4)
{
	uint32_t tuple[2] = { ntohl(addr_be), (uint32_t)ntohs(port_be) << 16 };

	return rte_softrss(tuple, l4 ? 2 : 1, key);
}

static void owner_init(struct egw_rss_owner *o, unsigned reta_size, unsigned n)
{
	static uint16_t reta[EGW_RSS_RETA_MAX];

	egw_rss_reta_spread(reta, reta_size, n);
	CU_ASSERT_EQUAL_FATAL(egw_rss_owner_init(o, egw_rss_default_key, EGW_RSS_DEFAULT_KEY_LEN,
				      reta, reta_size, n),
		0);
}

static struct egw_rss_owner O;

/* The Microsoft RSS verification suite (IPv4): source, destination, the published hashes
 * over the addresses and over addresses and ports. Our input is the source only, so the
 * vectors pin down rte_softrss and the key; our hash is then compared with rte_softrss on
 * the source fields. */
static const struct {
	const char *src, *dst;
	uint16_t sport, dport;
	uint32_t ip_hash, tcp_hash;
} MS[] = {
	{ "66.9.149.187", "161.142.100.80", 2794, 1766, 0x323e8fc2, 0x51ccc178 },
	{ "199.92.111.2", "65.69.140.83", 14230, 4739, 0xd718262a, 0xc626b0ea },
	{ "24.19.198.95", "12.22.207.184", 12898, 38024, 0xd2d0a5de, 0x5c2b394a },
	{ "38.27.205.30", "209.142.163.6", 48228, 2217, 0x82989176, 0xafc7327f },
	{ "153.39.163.191", "202.188.127.2", 44251, 1303, 0x5d1809c5, 0x10e828a2 },
};

static void test_rss_owner_ms_vectors(void)
{
	owner_init(&O, 128, 4);
	for (unsigned i = 0; i < RTE_DIM(MS); i++) {
		uint32_t s, d;
		CU_ASSERT_EQUAL_FATAL(inet_pton(AF_INET, MS[i].src, &s), 1);
		CU_ASSERT_EQUAL_FATAL(inet_pton(AF_INET, MS[i].dst, &d), 1);
		uint32_t ip[2] = { ntohl(s), ntohl(d) };
		uint32_t tcp[3] = { ntohl(s), ntohl(d), (uint32_t)MS[i].sport << 16 | MS[i].dport };
		uint16_t sp = htons(MS[i].sport);

		CU_ASSERT_EQUAL(rte_softrss(ip, 2, egw_rss_default_key), MS[i].ip_hash);
		CU_ASSERT_EQUAL(rte_softrss(tcp, 3, egw_rss_default_key), MS[i].tcp_hash);
		CU_ASSERT_EQUAL(egw_rss_hash(&O, s, sp, true),
			softrss_src(egw_rss_default_key, s, sp, true));
		CU_ASSERT_EQUAL(egw_rss_hash(&O, s, sp, false),
			softrss_src(egw_rss_default_key, s, 0, false));
	}
}

static void test_rss_owner_random_inputs_and_keys(void)
{
	uint8_t key[52];
	uint16_t reta[64];

	egw_rss_reta_spread(reta, RTE_DIM(reta), 2);
	for (unsigned k = 0; k < 8; k++) {
		for (unsigned i = 0; i < sizeof(key); i++)
			key[i] = (uint8_t)rte_rand();
		CU_ASSERT_EQUAL_FATAL(egw_rss_owner_init(&O, key, sizeof(key), reta, RTE_DIM(reta),
					      2),
			0);
		for (unsigned i = 0; i < 2000; i++) {
			uint32_t a = (uint32_t)rte_rand();
			uint16_t p = (uint16_t)rte_rand();
			uint32_t h = softrss_src(key, a, p, true);
			CU_ASSERT_EQUAL(egw_rss_hash(&O, a, p, true), h);
			CU_ASSERT_EQUAL(egw_rss_hash(&O, a, p, false),
				softrss_src(key, a, 0, false));
			CU_ASSERT_EQUAL(egw_rss_owner_of(&O, h), reta[h % RTE_DIM(reta)]);
		}
	}
}

static void test_rss_owner_reta_spread(void)
{
	enum { N = 3, FLOWS = 30000 };
	unsigned got[N] = { 0 };
	uint16_t reta[512];

	egw_rss_reta_spread(reta, 512, N);
	for (unsigned i = 0; i < 512; i++)
		CU_ASSERT_EQUAL(reta[i], i % N);
	owner_init(&O, 512, N);
	/* Endpoints of one inside /24, every source port: each worker gets its share. */
	for (unsigned i = 0; i < FLOWS; i++) {
		uint32_t a = htonl(0xc6120000u | (i % 251));
		unsigned w = egw_rss_endpoint_owner(&O, NULL, a, htons((uint16_t)(1024 + i)), true);
		CU_ASSERT_FATAL(w < N);
		got[w]++;
	}
	for (unsigned w = 0; w < N; w++)
		CU_ASSERT(got[w] > FLOWS / N * 9 / 10 && got[w] < FLOWS / N * 11 / 10);
}

static void test_rss_owner_nic_hash_wins(void)
{
	struct rte_mbuf m;
	uint32_t a = htonl(0xc6120005u);
	uint16_t p = htons(40000);
	unsigned soft;

	owner_init(&O, 512, 2);
	soft = egw_rss_endpoint_owner(&O, NULL, a, p, true);
	memset(&m, 0, sizeof(m));
	/* The NIC's hash selects the other worker: it wins where the flag says it is there. */
	m.hash.rss = soft == 0 ? 1 : 0;
	m.ol_flags = RTE_MBUF_F_RX_RSS_HASH;
	CU_ASSERT_EQUAL(egw_rss_endpoint_owner(&O, &m, a, p, true), 1 - soft);
	/* Without the flag, hash.rss is not the NIC's: computed. */
	m.ol_flags = 0;
	CU_ASSERT_EQUAL(egw_rss_endpoint_owner(&O, &m, a, p, true), soft);
}

static void test_rss_owner_bad_input(void)
{
	uint16_t reta[4] = { 0, 1, 0, 1 };

	CU_ASSERT_EQUAL(egw_rss_owner_init(&O, egw_rss_default_key, EGW_RSS_KEY_MIN - 1, reta, 4,
				2),
		-EINVAL);
	CU_ASSERT_EQUAL(egw_rss_owner_init(&O, egw_rss_default_key, EGW_RSS_KEY_MIN, reta, 3, 2),
		-EINVAL);
	CU_ASSERT_EQUAL(egw_rss_owner_init(&O, egw_rss_default_key, EGW_RSS_KEY_MIN, reta, 0, 2),
		-EINVAL);
	CU_ASSERT_EQUAL(egw_rss_owner_init(&O, egw_rss_default_key, EGW_RSS_KEY_MIN, reta,
				EGW_RSS_RETA_MAX * 2, 2),
		-EINVAL);
	/* An entry naming a queue no worker polls. */
	CU_ASSERT_EQUAL(egw_rss_owner_init(&O, egw_rss_default_key, EGW_RSS_KEY_MIN, reta, 4, 1),
		-EINVAL);
	/* The shortest key that covers 48 input bits. */
	CU_ASSERT_EQUAL(egw_rss_owner_init(&O, egw_rss_default_key, EGW_RSS_KEY_MIN, reta, 4, 2),
		0);
	CU_ASSERT_EQUAL(egw_rss_hash(&O, htonl(0x01020304), htons(5), true),
		softrss_src(egw_rss_default_key, htonl(0x01020304), htons(5), true));
}

void egw_test_register_rss_owner(void)
{
	EGW_SUITE("rss_owner", NULL, NULL, EGW_TEST(test_rss_owner_ms_vectors),
		EGW_TEST(test_rss_owner_random_inputs_and_keys),
		EGW_TEST(test_rss_owner_reta_spread), EGW_TEST(test_rss_owner_nic_hash_wins),
		EGW_TEST(test_rss_owner_bad_input));
}
