/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_NET_RX_OFFLOAD_H
#define EGW_NET_RX_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Which receive offloads a port asks its device for (issue 16: no per-packet work the NIC can
 * do), decided from what the device reports, without touching it (the unit tests feed it what
 * real drivers report).
 *
 * Only the IPv4 header checksum: the parser checks it on every packet unless the NIC did
 * (RTE_MBUF_F_RX_IP_CKSUM_GOOD / BAD, lib/pkt egw_pkt_parse_rx). TCP and UDP checksums are not
 * asked for: the appliance never checks them (a NAT rewrites them incrementally, so a broken
 * one stays broken for the receiver to see), and a driver that checks them in software would
 * add work. Nor is anything asked of a driver whose "offload" is software in the PMD (net_tap
 * computes the IPv4 and the whole L4 checksum of each packet once any checksum offload is on):
 * that costs more than the parser's 20-byte sum.
 */

struct egw_rx_offload_caps {
	uint64_t rx_offload_capa; /* RTE_ETH_RX_OFFLOAD_* the device offers (dev_info) */
	bool soft_checksum;	  /* the driver checks checksums in software (net_tap) */
};

struct egw_rx_offload_plan {
	uint64_t offloads; /* the port configuration's rxmode.offloads */
	const char *why;   /* for the log */
};

/* The plan for a device with CAPS. */
void egw_rx_offload_plan(const struct egw_rx_offload_caps *caps, struct egw_rx_offload_plan *plan);

/* Room for the names of every offload egw_rx_offload_plan() asks for. */
#define EGW_RX_OFFLOAD_NAMES_MAX 32

/* OFFLOADS as names ("ipv4_cksum", comma-separated) into BUF of LEN bytes, or "none";
 * returns BUF. */
const char *egw_rx_offload_names(uint64_t offloads, char *buf, size_t len);

#endif
