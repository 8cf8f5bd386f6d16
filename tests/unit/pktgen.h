/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_TEST_PKTGEN_H
#define EGW_TEST_PKTGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Frame builders and reference checksums for the unit tests. Everything here is written
 * independently of lib/pkt (byte-wise, big-endian arithmetic) so that the library is checked
 * against a second implementation, not against itself. Addresses and ports are given in host
 * order; the frames hold them in network order.
 */

#define PG_IP(a, b, c, d)                                                                          \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

#define PG_ETH_LEN 14
#define PG_FRAME_MAX 2048

struct pg_pkt {
	uint8_t dmac[6], smac[6];
	uint16_t ethertype;	/* 0 -> IPv4 */
	uint32_t src, dst;	/* host order */
	uint8_t proto;		/* IPPROTO_TCP/UDP/ICMP, or anything (payload only) */
	uint8_t ttl;		/* 0 -> 64 */
	uint8_t ihl;		/* 32-bit words, 0 -> 5; options are NOPs (or IP_OPTS) */
	const uint8_t *ip_opts; /* IP_OPTS_LEN option bytes written first, the rest EOL (0) */
	uint8_t ip_opts_len;
	uint8_t tos;
	uint16_t frag; /* flags and offset field, host order (0x4000 = DF) */
	uint16_t ip_id;
	uint16_t sport, dport; /* TCP/UDP; ICMP echo: sport is the identifier */
	uint8_t tcp_flags;
	uint8_t tcp_doff; /* 32-bit words, 0 -> 5; options are NOPs */
	uint32_t seq, ack;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_seq;
	uint16_t payload_len; /* L4 payload bytes, pattern-filled */
	uint8_t payload_seed;
	bool udp_csum_zero; /* UDP sent without checksum */
	uint16_t pad;	    /* Ethernet padding bytes after the IP packet */
};

/* Writes the frame (every checksum valid) into BUF; returns its length, 0 when CAP is short. */
size_t pg_build(uint8_t *buf, size_t cap, const struct pg_pkt *p);

/* An ICMP error frame from SRC to DST quoting QLEN bytes of the IP packet at QUOTE. */
size_t pg_build_icmp_error(uint8_t *buf, size_t cap, const uint8_t dmac[6], const uint8_t smac[6],
	uint32_t src, uint32_t dst, uint8_t type, uint8_t code, const uint8_t *quote, size_t qlen);

/* An Ethernet/IPv4 ARP frame (42 bytes, no padding). */
size_t pg_build_arp(uint8_t *buf, size_t cap, uint16_t op, const uint8_t eth_dst[6],
	const uint8_t sha[6], uint32_t spa, const uint8_t tha[6], uint32_t tpa);

/* Big-endian field access. */
uint16_t pg_rd16(const uint8_t *p);
uint32_t pg_rd32(const uint8_t *p);
void pg_wr16(uint8_t *p, uint16_t v);
void pg_wr32(uint8_t *p, uint32_t v);

/* Reference one's complement sum (folded, host order) of big-endian words, from INIT. */
uint16_t pg_ref_sum(const uint8_t *p, size_t len, uint32_t init);
/* Reference checksum field value (host order) of P. */
uint16_t pg_ref_csum(const uint8_t *p, size_t len);
/* Pseudo-header sum (not folded) for TCP/UDP. */
uint32_t pg_pseudo_sum(const uint8_t *ip, uint8_t proto, uint16_t l4_len);

/* Checks on an IPv4 packet at IP (header checksum; TCP/UDP/ICMP checksum over the L4 part). */
bool pg_ip_csum_ok(const uint8_t *ip);
bool pg_l4_csum_ok(const uint8_t *ip);
/* Recomputes the header / L4 checksum of the IPv4 packet at IP. */
void pg_fix_ip_csum(uint8_t *ip);
void pg_fix_l4_csum(uint8_t *ip);

/* Deterministic PRNG (splitmix64). */
uint64_t pg_rand(uint64_t *state);

/* MAC helpers. */
void pg_mac(uint8_t mac[6], uint8_t last);

/* mbufs; need EAL. The shared pool is created on first use. */
struct rte_mempool;
struct rte_mbuf;
struct rte_mempool *pg_mempool(void);
struct rte_mbuf *pg_mbuf(struct rte_mempool *mp, const uint8_t *frame, size_t len, uint16_t port);

#endif
