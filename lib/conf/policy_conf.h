/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_POLICY_CONF_H
#define EGW_POLICY_CONF_H

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>

#include "conf.h"

/*
 * Policy files (SPEC sections 4 and 6): [group NAME] and [policy NAME] sections in the files
 * matched by [egress] policies, read in name order. Parsing and validation only: no side
 * effects. Addresses and ports in host byte order.
 */

struct egw_cidr {
	uint32_t prefix; /* masked */
	uint8_t len;	 /* 0..32 */
};

struct egw_port_range {
	uint16_t lo, hi; /* inclusive, 1..65535 */
};

enum egw_policy_proto {
	EGW_PROTO_ANY = 0,
	EGW_PROTO_TCP,
	EGW_PROTO_UDP,
	EGW_PROTO_ICMP,
	EGW_PROTO_TLS,	/* TCP, decided on the TLS ClientHello's SNI */
	EGW_PROTO_HTTP, /* TCP, decided on the first request's Host header */
};

/* DENY drops a refused flow's packet silently; REJECT answers it (a TCP RST, or ICMP
 * administratively prohibited), rate-limited: the client fails at once instead of timing out. */
enum egw_policy_action { EGW_ACTION_ALLOW = 0, EGW_ACTION_DENY, EGW_ACTION_REJECT };

/* Does ACTION refuse the flows it matches (deny or reject)? */
static inline bool egw_action_refuses(enum egw_policy_action action)
{
	return action != EGW_ACTION_ALLOW;
}

struct egw_group_conf {
	char name[EGW_NAME_MAX];
	struct egw_cidr *cidrs;
	unsigned n_cidrs;
	struct egw_conf_origin origin;
};

struct egw_policy_conf {
	char name[EGW_NAME_MAX];
	/* Sources: groups are expanded into their CIDRs here; sources_any when "any"/absent. */
	bool sources_any;
	struct egw_cidr *sources;
	unsigned n_sources;
	bool destinations_any;
	struct egw_cidr *destinations;
	unsigned n_destinations;
	char **hosts; /* egw_hostname_normalize()d; "*.example.com" wildcards kept */
	unsigned n_hosts;
	bool ports_any;
	struct egw_port_range *ports;
	unsigned n_ports;
	enum egw_policy_proto proto;   /* default any */
	enum egw_policy_action action; /* required */
	char nat[EGW_NAME_MAX];	       /* pool name; "" = [egress] default_pool */
	bool nat_none;		       /* nat = none: routed without translation */
	char via[EGW_NAME_MAX];	       /* outside port name; "" = the default route */
	int32_t priority;	       /* default 0; higher first */
	bool log;		       /* default no */
	uint32_t max_flows;	       /* 0 = no quota */
	uint32_t order;		       /* position across all files, in reading order */
	struct egw_conf_origin origin; /* the [policy NAME] line */
};

struct egw_policy_set {
	struct egw_group_conf *groups;
	unsigned n_groups;
	struct egw_policy_conf *policies;
	unsigned n_policies;
	char **files; /* the files read, in order */
	unsigned n_files;
};

/*
 * Reads every file matched by CONF->egress.policies (a glob; relative patterns are relative to
 * the directory of CONF->path) in name order, and validates them against CONF (pools, ports).
 * Every problem is appended to ERRS as FILE:LINE. A pattern that matches nothing is not an
 * error (an empty policy set). Returns 0, -EINVAL when ERRS holds problems, or -ENOMEM.
 * *SET is overwritten (free a previous one first) and, whatever the result, must be released
 * with egw_policy_set_free(); after a failure it holds what parsed and must not be applied.
 */
int egw_policy_load(const struct egw_conf *conf, struct egw_policy_set *set,
	struct egw_conf_errors *errs);

/* Same for one in-memory text (tests, fuzzing); FILE names it in messages. */
int egw_policy_load_string(const struct egw_conf *conf, const char *file, const char *text,
	struct egw_policy_set *set, struct egw_conf_errors *errs);

void egw_policy_set_free(struct egw_policy_set *set);

const char *egw_policy_proto_name(enum egw_policy_proto p);
/* "allow", "deny", "reject". */
const char *egw_policy_action_name(enum egw_policy_action a);
/*
 * The keys of policy P as compiled, INI lines that load back to the same policy (what
 * egressgw --check --dump prints under [policy NAME]); C gives the default pool. Lists are cut
 * into continuation lines of at most 120 bytes.
 */
void egw_conf_dump_policy_keys(const struct egw_conf *c, const struct egw_policy_conf *p,
	FILE *out);

#endif
