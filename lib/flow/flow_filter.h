/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOW_FILTER_H
#define EGW_FLOW_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "hostname/hostname.h"

/*
 * Which flows an operator asks about (/egw/flows, "flows flush"): terms separated by blanks
 * or commas, all of which must hold.
 *   addr=A[/N]  the inside source, the destination or the translated source is in A/N
 *   src=, dst=, nat=A[/N]   that one address only
 *   port=N      any of the flow's ports (source, destination, translated source; ICMP id)
 *   proto=tcp|udp|icmp
 *   policy=NAME the admitting policy ("(mode)": admitted by the mode)
 *   host=NAME   the host name the flow was decided on (SNI / Host): exactly NAME, or with
 *               "*.example.com" any name under example.com (not example.com itself)
 *   limit=N     at most N flows listed (1..EGW_FLOW_FILTER_LIMIT_MAX, default 20)
 *   from=N      a page: the listing starts at position N (0: the first page; the answer's
 *               next_offset is the next page's N, 0 after the last). Positions are (worker
 *               << 32 | record): a listing in pages sees each flow that lives through it
 *               once, and each worker stops at the page's end instead of counting every match.
 */
#define EGW_FLOW_FILTER_LIMIT_DEFAULT 20
#define EGW_FLOW_FILTER_LIMIT_MAX 40

enum egw_filter_addr {
	EGW_FILTER_ANY_ADDR,
	EGW_FILTER_SRC,
	EGW_FILTER_DST,
	EGW_FILTER_NAT,
	EGW_FILTER_ADDR_KINDS
};

struct egw_flow_filter {
	struct {
		bool on;
		uint32_t prefix, mask; /* host order */
	} addr[EGW_FILTER_ADDR_KINDS];
	bool port_on;
	uint16_t port; /* host order */
	uint8_t proto; /* 0 = any */
	bool policy_on;
	char policy_name[32];
	uint32_t policy_slot; /* resolved by the caller from policy_name */
	bool host_on;
	bool host_wild; /* HOST is the suffix ".example.com" of "*.example.com" */
	uint16_t host_len;
	char host[EGW_HOSTNAME_MAX + 1]; /* normalized */
	uint32_t limit;
	bool from_on;
	uint64_t from; /* EGW_FLOW_POS(worker, record) */
};

#define EGW_FLOW_POS(worker, record) (((uint64_t)(worker) << 32) | (record))
#define EGW_FLOW_POS_WORKER(pos) ((uint32_t)((pos) >> 32))
#define EGW_FLOW_POS_RECORD(pos) ((uint32_t)(pos))

/* Parses S (may be NULL or empty: every flow). 0, or -EINVAL with a message in ERR. */
int egw_flow_filter_parse(const char *s, struct egw_flow_filter *f, char *err, size_t errlen);

/* Does F (a committed flow) pass the filter? */
bool egw_flow_filter_match(const struct egw_flow_filter *flt, const struct egw_flow *f);
/* Does a flow decided on host name NAME (NULL: none) pass its host= term? */
bool egw_flow_filter_match_host(const struct egw_flow_filter *flt, const char *name);

#endif
