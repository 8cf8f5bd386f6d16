/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_COMMUNITY_ID_H
#define EGW_COMMUNITY_ID_H

#include <stdint.h>

/*
 * Community ID v1 (github.com/corelight/community-id-spec), the flow hash Zeek, Suricata,
 * Elastic and Arkime log: "1:" and the base64 of SHA-1 over the seed, the flow's endpoints
 * ordered so that both directions give the same value, the protocol, a zero byte and the
 * ports. It lets a flow log record be joined with those tools' records of the same flow.
 * Control thread only (OpenSSL, a few microseconds).
 */
#define EGW_COMMUNITY_ID_SIZE 32 /* "1:" + 28 base64 characters + NUL */

/* An IPv4 flow, as seen in its first packet; host byte order. ICMP: SPORT holds the type and
 * DPORT the code (the spec's port mapping applies). Other protocols than TCP, UDP, SCTP and
 * ICMP hash without ports. */
struct egw_community_tuple {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint8_t proto;
};

/* The Community ID of T with SEED (0 unless the sites agree on another) into OUT.
 * 0, or -EIO when OpenSSL fails. */
int egw_community_id(const struct egw_community_tuple *t, uint16_t seed,
	char out[EGW_COMMUNITY_ID_SIZE]);

#endif
