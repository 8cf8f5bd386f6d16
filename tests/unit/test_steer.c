/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/net/steer.c: the receive steering each port gets from the capabilities its driver
 * reports. The capability words are those of the DPDK 22.11 drivers' dev_info (the RSS types
 * each advertises for the port configuration), so that what a real NIC family gets is pinned
 * down here, without the NIC.
 */
#include <dlfcn.h>
#include <stdlib.h>

#include <rte_dev.h>
#include <rte_ethdev.h>

#include "egw_test.h"
#include "net/steer.h"

/* mlx5: every IPv4/IPv6 type and the source-only / destination-only selectors. */
#define CAPS_MLX5                                                                                  \
	(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_L3_SRC_ONLY |            \
		RTE_ETH_RSS_L3_DST_ONLY | RTE_ETH_RSS_L4_SRC_ONLY | RTE_ETH_RSS_L4_DST_ONLY |      \
		RTE_ETH_RSS_ESP)
/* ice (E810): the IPv4/IPv6 types, no selectors in the port configuration. */
#define CAPS_ICE                                                                                   \
	(RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP |                 \
		RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV4_SCTP |                     \
		RTE_ETH_RSS_NONFRAG_IPV4_OTHER | RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_L2_PAYLOAD)
/* i40e (X710/XL710): no plain IPV4 type either. */
#define CAPS_I40E                                                                                  \
	(RTE_ETH_RSS_FRAG_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP |     \
		RTE_ETH_RSS_NONFRAG_IPV4_SCTP | RTE_ETH_RSS_NONFRAG_IPV4_OTHER |                   \
		RTE_ETH_RSS_L2_PAYLOAD)
#define SRC_ONLY (RTE_ETH_RSS_L3_SRC_ONLY | RTE_ETH_RSS_L4_SRC_ONLY)

static struct egw_steer_plan plan_for(enum egw_steer_role role, unsigned workers, uint16_t rxq,
	uint64_t rss, bool fanout)
{
	const struct egw_steer_caps caps = { .max_rx_queues = rxq,
		.flow_type_rss_offloads = rss,
		.spreads_itself = fanout };
	struct egw_steer_plan p;

	egw_steer_plan(role, workers, &caps, &p);
	return p;
}

static void test_steer_one_worker_needs_none(void)
{
	struct egw_steer_plan p = plan_for(EGW_STEER_INSIDE, 1, 64, CAPS_MLX5, false);

	CU_ASSERT_EQUAL(p.mode, EGW_STEER_SINGLE);
	CU_ASSERT_EQUAL(p.nb_rxq, 1);
	CU_ASSERT_EQUAL(p.rss_hf, 0);
	CU_ASSERT_FALSE(p.needs_rules);
	p = plan_for(EGW_STEER_OUTSIDE, 1, 64, CAPS_MLX5, false);
	CU_ASSERT_EQUAL(p.mode, EGW_STEER_SINGLE);
	CU_ASSERT_FALSE(p.needs_rules);
}

static void test_steer_mlx5_inside_rss_on_source(void)
{
	struct egw_steer_plan p = plan_for(EGW_STEER_INSIDE, 4, 1024, CAPS_MLX5, false);

	CU_ASSERT_EQUAL(p.mode, EGW_STEER_RSS_SRC);
	CU_ASSERT_EQUAL(p.nb_rxq, 4);
	/* source only, on TCP, UDP and the rest of IPv4; nothing the device does not offer */
	CU_ASSERT_EQUAL(p.rss_hf & SRC_ONLY, SRC_ONLY);
	CU_ASSERT_EQUAL(p.rss_hf & (RTE_ETH_RSS_L3_DST_ONLY | RTE_ETH_RSS_L4_DST_ONLY), 0);
	CU_ASSERT(p.rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_TCP);
	CU_ASSERT(p.rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_UDP);
	CU_ASSERT(p.rss_hf & RTE_ETH_RSS_IPV4);
	CU_ASSERT_EQUAL(p.rss_hf & ~CAPS_MLX5, 0);
	CU_ASSERT_FALSE(p.needs_rules);
	CU_ASSERT_STRING_EQUAL(egw_steer_mode_name(p.mode), "rss-src");
}

static void test_steer_ice_i40e_inside_rss_as_flow_rule(void)
{
	const uint64_t caps[] = { CAPS_ICE, CAPS_I40E };

	for (unsigned i = 0; i < 2; i++) {
		struct egw_steer_plan p = plan_for(EGW_STEER_INSIDE, 2, 64, caps[i], false);

		CU_ASSERT_EQUAL(p.mode, EGW_STEER_RSS_SRC_FLOW);
		CU_ASSERT_TRUE(p.needs_rules);
		/* the port configuration asks only for what the device offers there ... */
		CU_ASSERT_EQUAL(p.rss_hf & ~caps[i], 0);
		CU_ASSERT(p.rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_TCP);
		/* ... and the rule for source-only hashing */
		CU_ASSERT_EQUAL(p.rule_types & SRC_ONLY, SRC_ONLY);
		/* the rule accepted */
		egw_steer_settle(&p, true);
		CU_ASSERT_EQUAL(p.mode, EGW_STEER_RSS_SRC_FLOW);
		CU_ASSERT_FALSE(p.needs_rules);
	}
	/* refused: the port keeps RSS on the full tuple */
	struct egw_steer_plan p = plan_for(EGW_STEER_INSIDE, 2, 64, CAPS_ICE, false);
	egw_steer_settle(&p, false);
	CU_ASSERT_EQUAL(p.mode, EGW_STEER_RSS);
	CU_ASSERT_EQUAL(p.rule_types, 0);
	CU_ASSERT_STRING_EQUAL(egw_steer_mode_name(p.mode), "rss");
	/* the port configuration's RSS refused too: nothing asked, no rule tried */
	p = plan_for(EGW_STEER_INSIDE, 2, 64, CAPS_ICE, false);
	egw_steer_settle_no_rss(&p);
	CU_ASSERT_EQUAL(p.mode, EGW_STEER_SINGLE);
	CU_ASSERT_EQUAL(p.rss_hf, 0);
	CU_ASSERT_FALSE(p.needs_rules);
	CU_ASSERT_EQUAL(p.nb_rxq, 2);
}

static void test_steer_outside_port_mask_rules(void)
{
	const uint64_t caps[] = { CAPS_MLX5, CAPS_ICE, CAPS_I40E, 0 };

	for (unsigned i = 0; i < RTE_DIM(caps); i++) {
		struct egw_steer_plan p = plan_for(EGW_STEER_OUTSIDE, 4, 64, caps[i], false);

		/* worker W owns ports P % 4 == W: P & 3 */
		CU_ASSERT_EQUAL(p.mode, EGW_STEER_FLOW_PORT);
		CU_ASSERT_EQUAL(p.port_mask, 3);
		CU_ASSERT_EQUAL(p.nb_rxq, 4);
		CU_ASSERT_EQUAL(p.rss_hf, 0);
		CU_ASSERT_TRUE(p.needs_rules);
	}
	struct egw_steer_plan p = plan_for(EGW_STEER_OUTSIDE, 2, 64, CAPS_MLX5, false);
	CU_ASSERT_EQUAL(p.port_mask, 1);
	egw_steer_settle(&p, false);
	CU_ASSERT_EQUAL(p.mode, EGW_STEER_SINGLE);
	CU_ASSERT_EQUAL(p.nb_rxq, 2); /* queues stay: the software handoff does the rest */
	/* no mask selects P % 3 */
	p = plan_for(EGW_STEER_OUTSIDE, 3, 64, CAPS_MLX5, false);
	CU_ASSERT_EQUAL(p.mode, EGW_STEER_SINGLE);
	CU_ASSERT_FALSE(p.needs_rules);
}

static void test_steer_af_packet_fans_out(void)
{
	/* net_af_packet with qpairs = workers: no RSS types, the kernel spreads */
	for (int role = EGW_STEER_INSIDE; role <= EGW_STEER_OUTSIDE; role++) {
		struct egw_steer_plan p = plan_for((enum egw_steer_role)role, 2, 2, 0, true);

		CU_ASSERT_EQUAL(p.mode, EGW_STEER_FANOUT);
		CU_ASSERT_EQUAL(p.nb_rxq, 2);
		CU_ASSERT_EQUAL(p.rss_hf, 0);
		CU_ASSERT_FALSE(p.needs_rules);
	}
}

static void test_steer_without_queues_or_rss(void)
{
	/* net_pcap with one rx_pcap: one queue */
	struct egw_steer_plan p = plan_for(EGW_STEER_INSIDE, 2, 1, 0, false);
	CU_ASSERT_EQUAL(p.mode, EGW_STEER_SINGLE);
	CU_ASSERT_EQUAL(p.nb_rxq, 1);
	p = plan_for(EGW_STEER_OUTSIDE, 4, 2, CAPS_MLX5, false);
	CU_ASSERT_EQUAL(p.mode, EGW_STEER_SINGLE);
	CU_ASSERT_EQUAL(p.nb_rxq, 2);
	CU_ASSERT_FALSE(p.needs_rules);
	/* queues but no RSS (net_null, net_ring; net_pcap with a file per queue): each queue
	 * polled, nothing asked of the device */
	p = plan_for(EGW_STEER_INSIDE, 2, 16, 0, false);
	CU_ASSERT_EQUAL(p.mode, EGW_STEER_SINGLE);
	CU_ASSERT_EQUAL(p.nb_rxq, 2);
	CU_ASSERT_EQUAL(p.rss_hf, 0);
	/* RSS on IPv4 only, not per L4 type: not enough to keep an endpoint on one queue */
	p = plan_for(EGW_STEER_INSIDE, 2, 16, RTE_ETH_RSS_IPV4 | SRC_ONLY, false);
	CU_ASSERT_EQUAL(p.mode, EGW_STEER_SINGLE);
	/* settling a plan that needs no rules changes nothing */
	egw_steer_settle(&p, false);
	CU_ASSERT_EQUAL(p.mode, EGW_STEER_SINGLE);
	CU_ASSERT_STRING_EQUAL(egw_steer_mode_name((enum egw_steer_mode)99), "?");
}

/*
 * The RSS key and RETA of a port made explicit and read back (steer_rss.c), on net_null: it
 * keeps a key and a RETA as a NIC does (the RSS types it offers include no source-only
 * selector, so its hash is not taken as the owner's input).
 */
static void *null_pmd; /* stays loaded: the driver stays registered */

static void test_steer_rss_program_null_device(void)
{
	static const char name[] = "net_null_ut_steer";
	struct egw_steer_rss *r = calloc(1, sizeof(*r));
	struct rte_eth_conf conf = { .rxmode.mq_mode = RTE_ETH_MQ_RX_RSS };
	struct rte_eth_dev_info info;
	char err[128] = "";
	uint16_t port;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL_FATAL(egw_test_eal_init(), 0);
	/* A DPDK plugin the tests do not link: loading it registers the driver. */
	if (!null_pmd)
		null_pmd = dlopen("librte_net_null.so.23", RTLD_NOW | RTLD_GLOBAL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(null_pmd);
	CU_ASSERT_EQUAL_FATAL(rte_dev_probe(name), 0);
	CU_ASSERT_EQUAL_FATAL(rte_eth_dev_get_port_by_name(name, &port), 0);
	CU_ASSERT_EQUAL_FATAL(rte_eth_dev_info_get(port, &info), 0);
	conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads & RTE_ETH_RSS_IPV4;
	CU_ASSERT_EQUAL_FATAL(rte_eth_dev_configure(port, 4, 4, &conf), 0);
	CU_ASSERT_EQUAL_FATAL(egw_steer_rss_program(port, 4, conf.rx_adv_conf.rss_conf.rss_hf, r,
				      err, sizeof(err)),
		0);
	CU_ASSERT_FALSE(r->key_refused);
	CU_ASSERT_FALSE(r->reta_refused);
	/* net_null reports no key size: the 40 bytes it keeps */
	CU_ASSERT_EQUAL(r->key_len, EGW_RSS_DEFAULT_KEY_LEN);
	CU_ASSERT_EQUAL(memcmp(r->key, egw_rss_default_key, EGW_RSS_DEFAULT_KEY_LEN), 0);
	CU_ASSERT_EQUAL_FATAL(r->reta_size, info.reta_size);
	for (unsigned i = 0; i < r->reta_size; i++)
		CU_ASSERT_EQUAL(r->reta[i], i % 4);
	CU_ASSERT_FALSE(r->hash_is_owner);
	/* Two workers now: the RETA read back names queues 0 and 1 only. */
	CU_ASSERT_EQUAL(egw_steer_rss_program(port, 2, conf.rx_adv_conf.rss_conf.rss_hf, r, err,
				sizeof(err)),
		0);
	for (unsigned i = 0; i < r->reta_size; i++)
		CU_ASSERT_EQUAL(r->reta[i], i % 2);
	CU_ASSERT_EQUAL(rte_eth_dev_close(port), 0);
	CU_ASSERT_EQUAL(rte_dev_remove(info.device), 0);
	/* No such device: refused with a reason. */
	CU_ASSERT(egw_steer_rss_program(port, 2, 0, r, err, sizeof(err)) < 0);
	CU_ASSERT_STRING_EQUAL(err, "no device info");
	free(r);
}

void egw_test_register_steer(void)
{
	EGW_SUITE("steer", NULL, NULL, EGW_TEST(test_steer_one_worker_needs_none),
		EGW_TEST(test_steer_mlx5_inside_rss_on_source),
		EGW_TEST(test_steer_ice_i40e_inside_rss_as_flow_rule),
		EGW_TEST(test_steer_outside_port_mask_rules),
		EGW_TEST(test_steer_af_packet_fans_out), EGW_TEST(test_steer_without_queues_or_rss),
		EGW_TEST(test_steer_rss_program_null_device));
}
