/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_BENCH_DNS_H
#define EGW_BENCH_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * DNS traffic for the worker path (tests/unit/test_dns_snoop.c and pipeline_bench --dns):
 * messages written the way resolvers write them (uncompressed names), and the UDP frames that
 * carry them through the benchmark's appliance (bench_dp.h). No DPDK here: plain bytes.
 */
struct bench_dns_msg {
	uint16_t id;
	const char *qname; /* "a.example.test" */
	uint16_t qtype;	   /* 0: A */
	bool answer;	   /* QR = 1, with the records below */
	uint8_t rcode;
	/* qname CNAME cnames[0], cnames[0] CNAME cnames[1], ... then the A records of the last
	 * name of the chain */
	const char *const *cnames;
	unsigned n_cnames;
	const uint32_t *addrs; /* host order */
	unsigned n_addrs;
	uint32_t ttl;
};

/* Writes M into BUF (CAP bytes). Its length, 0 when it does not fit. */
size_t bench_dns_msg(uint8_t *buf, size_t cap, const struct bench_dns_msg *m);

/*
 * A UDP frame of PAYLOAD (LEN bytes) from SRC:SPORT to DST:DPORT (host order), every checksum
 * valid: OUTBOUND from the inside router to the inside port, else from the outside gateway
 * to the outside port. Its length, 0 when it does not fit in CAP.
 */
size_t bench_build_udp(uint8_t *buf, size_t cap, bool outbound, uint32_t src, uint16_t sport,
	uint32_t dst, uint16_t dport, const uint8_t *payload, size_t len);

#endif
