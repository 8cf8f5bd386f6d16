/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>

#include <rte_ethdev.h>

#include "rx_offload.h"

void egw_rx_offload_plan(const struct egw_rx_offload_caps *caps, struct egw_rx_offload_plan *plan)
{
	plan->offloads = 0;
	if (!(caps->rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM)) {
		plan->why = "the device does not check IPv4 header checksums: checked in software";
		return;
	}
	if (caps->soft_checksum) {
		plan->why = "the driver checks checksums in software, L4 included: cheaper here";
		return;
	}
	plan->offloads = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
	plan->why = "the device checks IPv4 header checksums: the software check is skipped";
}

const char *egw_rx_offload_names(uint64_t offloads, char *buf, size_t len)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} names[] = {
		{ RTE_ETH_RX_OFFLOAD_IPV4_CKSUM, "ipv4_cksum" },
		{ RTE_ETH_RX_OFFLOAD_UDP_CKSUM, "udp_cksum" },
		{ RTE_ETH_RX_OFFLOAD_TCP_CKSUM, "tcp_cksum" },
	};
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < RTE_DIM(names); i++) {
		if (!(offloads & names[i].bit) || n >= len)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "", names[i].name);
	}
	if (!buf[0])
		snprintf(buf, len, "none");
	return buf;
}
