/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/net/rx_offload.c: the receive offloads each port asks for, from the capabilities its
 * driver reports. The capability words are those of the DPDK 22.11 drivers' dev_info
 * (rx_offload_capa), so that what a NIC family gets is pinned down here, without the NIC.
 */
#include <string.h>

#include <rte_ethdev.h>

#include "egw_test.h"
#include "net/rx_offload.h"

#define CKSUMS                                                                                     \
	(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM |                            \
		RTE_ETH_RX_OFFLOAD_TCP_CKSUM)
/* ice (E810) with its DDP package loaded. */
#define CAPA_ICE                                                                                   \
	(RTE_ETH_RX_OFFLOAD_VLAN_STRIP | RTE_ETH_RX_OFFLOAD_KEEP_CRC |                             \
		RTE_ETH_RX_OFFLOAD_SCATTER | RTE_ETH_RX_OFFLOAD_VLAN_FILTER | CKSUMS |             \
		RTE_ETH_RX_OFFLOAD_QINQ_STRIP | RTE_ETH_RX_OFFLOAD_OUTER_IPV4_CKSUM |              \
		RTE_ETH_RX_OFFLOAD_VLAN_EXTEND | RTE_ETH_RX_OFFLOAD_RSS_HASH |                     \
		RTE_ETH_RX_OFFLOAD_TIMESTAMP | RTE_ETH_RX_OFFLOAD_BUFFER_SPLIT)
/* ice in safe mode (no DDP package): no checksum offloads at all. */
#define CAPA_ICE_SAFE                                                                              \
	(RTE_ETH_RX_OFFLOAD_VLAN_STRIP | RTE_ETH_RX_OFFLOAD_KEEP_CRC |                             \
		RTE_ETH_RX_OFFLOAD_SCATTER | RTE_ETH_RX_OFFLOAD_VLAN_FILTER)
/* i40e (X710/XL710). */
#define CAPA_I40E                                                                                  \
	(RTE_ETH_RX_OFFLOAD_VLAN_STRIP | RTE_ETH_RX_OFFLOAD_QINQ_STRIP | CKSUMS |                  \
		RTE_ETH_RX_OFFLOAD_OUTER_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_KEEP_CRC |                \
		RTE_ETH_RX_OFFLOAD_SCATTER | RTE_ETH_RX_OFFLOAD_VLAN_EXTEND |                      \
		RTE_ETH_RX_OFFLOAD_VLAN_FILTER | RTE_ETH_RX_OFFLOAD_RSS_HASH)
/* mlx5 (ConnectX) with hardware checksums (config->hw_csum). */
#define CAPA_MLX5                                                                                  \
	(RTE_ETH_RX_OFFLOAD_SCATTER | RTE_ETH_RX_OFFLOAD_TIMESTAMP | RTE_ETH_RX_OFFLOAD_RSS_HASH | \
		CKSUMS | RTE_ETH_RX_OFFLOAD_VLAN_STRIP | RTE_ETH_RX_OFFLOAD_KEEP_CRC |             \
		RTE_ETH_RX_OFFLOAD_TCP_LRO)
/* net_tap: checksums "offloaded" to a software check in the PMD's receive loop. */
#define CAPA_TAP (RTE_ETH_RX_OFFLOAD_SCATTER | CKSUMS)
/* net_af_packet: no checksum offloads (0x1, as logged here). */
#define CAPA_AFP RTE_ETH_RX_OFFLOAD_VLAN_STRIP

static struct egw_rx_offload_plan plan_for(uint64_t capa, bool soft)
{
	const struct egw_rx_offload_caps caps = { .rx_offload_capa = capa, .soft_checksum = soft };
	struct egw_rx_offload_plan p;

	memset(&p, 0xa5, sizeof(p));
	egw_rx_offload_plan(&caps, &p);
	CU_ASSERT_PTR_NOT_NULL(p.why);
	return p;
}

/* ice, i40e, mlx5: the IPv4 header checksum only (the appliance never checks L4 ones). */
static void test_rx_offload_hw_nics_ipv4_only(void)
{
	const uint64_t nics[] = { CAPA_ICE, CAPA_I40E, CAPA_MLX5 };

	for (unsigned i = 0; i < RTE_DIM(nics); i++) {
		struct egw_rx_offload_plan p = plan_for(nics[i], false);
		CU_ASSERT_EQUAL(p.offloads, RTE_ETH_RX_OFFLOAD_IPV4_CKSUM);
	}
	CU_ASSERT_EQUAL(plan_for(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM, false).offloads,
		RTE_ETH_RX_OFFLOAD_IPV4_CKSUM);
}

/* Nothing asked of a device without it, nor of a driver that would check in software. */
static void test_rx_offload_none(void)
{
	CU_ASSERT_EQUAL(plan_for(CAPA_ICE_SAFE, false).offloads, 0);
	CU_ASSERT_EQUAL(plan_for(CAPA_AFP, false).offloads, 0);
	CU_ASSERT_EQUAL(plan_for(0, false).offloads, 0);
	CU_ASSERT_EQUAL(plan_for(RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM, false)
				.offloads,
		0);
	CU_ASSERT_EQUAL(plan_for(CAPA_TAP, true).offloads, 0);
}

static void test_rx_offload_names(void)
{
	char buf[32], tiny[8];

	CU_ASSERT_STRING_EQUAL(egw_rx_offload_names(0, buf, sizeof(buf)), "none");
	CU_ASSERT_STRING_EQUAL(egw_rx_offload_names(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM, buf,
				       sizeof(buf)),
		"ipv4_cksum");
	CU_ASSERT_STRING_EQUAL(egw_rx_offload_names(CKSUMS, buf, sizeof(buf)),
		"ipv4_cksum,udp_cksum,tcp_cksum");
	/* Offloads it has no name for are left out. */
	CU_ASSERT_STRING_EQUAL(egw_rx_offload_names(RTE_ETH_RX_OFFLOAD_SCATTER, buf, sizeof(buf)),
		"none");
	/* Cut to the buffer, terminated. */
	CU_ASSERT_STRING_EQUAL(egw_rx_offload_names(CKSUMS, tiny, sizeof(tiny)), "ipv4_ck");
}

void egw_test_register_rx_offload(void)
{
	EGW_SUITE("rx_offload", NULL, NULL, EGW_TEST(test_rx_offload_hw_nics_ipv4_only),
		EGW_TEST(test_rx_offload_none), EGW_TEST(test_rx_offload_names));
}
