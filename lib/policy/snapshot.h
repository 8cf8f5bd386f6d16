/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_SNAPSHOT_H
#define EGW_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/rcu.h"
#include "conf/conf.h"
#include "conf/policy_conf.h"
#include "nat/addr_set.h"
#include "nat/nat.h"

struct egw_classifier;
struct egw_host_rules;
struct egw_policy_slots;

#define EGW_VIA_DEFAULT 0xffff

/* What decides whether a policy matches a flow (lib/policy/README.md, "Host names"). */
enum egw_policy_kind {
	EGW_POLICY_TUPLE = 0, /* addresses, ports, protocol: known at the first packet */
	EGW_POLICY_DNS,	      /* hosts with tcp/udp/any: the destination was learned for a name */
	EGW_POLICY_L7,	      /* tls/http without hosts: the first client bytes are that protocol */
	EGW_POLICY_L7_HOST,   /* hosts with tls/http: the SNI / Host names a host */
};

/* What a policy does for dns_filter (lib/policy/dns_filter.c). */
enum egw_dnsf_role { EGW_DNSF_NONE = 0, EGW_DNSF_PERMITS, EGW_DNSF_BLOCKS };

/* What the data path needs of one policy. */
struct egw_policy_rt {
	char name[EGW_NAME_MAX];
	uint32_t slot;	/* counters (struct egw_policy_slots) */
	uint8_t action; /* enum egw_policy_action */
	uint8_t log;
	uint16_t via_port;		 /* exit port id, EGW_VIA_DEFAULT = route lookup */
	uint32_t max_flows;		 /* 0 = no quota */
	const struct egw_nat_pool *pool; /* NULL: routed without translation (nat = none) */
	uint32_t order;			 /* file order (rank among equal priorities) */
	int32_t priority;
	uint8_t kind; /* enum egw_policy_kind */
	uint8_t l7;   /* EGW_PROTO_TLS or EGW_PROTO_HTTP for the L7 kinds */
	uint8_t dnsf; /* enum egw_dnsf_role */
	/* tls/http kinds: the allow policies that could decide a flow it is a candidate of
	 * differ in pool or exit (binding.c): with host_binding = auto, such flows bind late. */
	bool bind_late;
	uint64_t rank;		/* precedence: lower first (priority, then order) */
	uint64_t decision_hash; /* rules, priority, action, kind, hosts */
};

/*
 * Everything a worker consults to admit a new flow, compiled by the control thread into one
 * immutable object. Workers load the published pointer once per burst; the control thread
 * replaces it with one release store and frees the old one after an RCU grace period.
 */
struct egw_snapshot {
	uint64_t generation;
	/*
	 * The generation that last changed what admission decides (mode, pools, compiled
	 * policies): flows are re-checked only when it moves, so a reload that changes nothing
	 * costs the data path nothing. Set by egw_snapshot_chain().
	 */
	uint64_t epoch;
	uint8_t fingerprint[32]; /* SHA-256 of everything admission reads */
	enum egw_mode mode;
	struct egw_nat_pool *pools;
	unsigned n_pools;
	const struct egw_nat_pool *default_pool; /* NULL when the config names none */
	struct egw_addr_set pool_addrs;		 /* every pool address: outside dispatch */
	enum egw_revalidate revalidate;
	enum egw_ip_options ip_options; /* per packet, not admission: not in the fingerprint */
	/* How refusals are told (per packet, not admission: not in the fingerprint): the
	 * mode's own and NAT exhaustion's, and the per-worker rate of answers. */
	enum egw_deny_action deny_action, exhaustion_action;
	uint32_t reject_rate;
	struct egw_policy_rt *policies; /* indexed by classifier rule id */
	unsigned n_policies;
	/* The tuple policies (kind EGW_POLICY_TUPLE); NULL when there are none. */
	struct egw_classifier *cls;
	/* Host-name and tls/http policies (host_rules.h); NULL when there are none. */
	struct egw_host_rules *host;
	enum egw_ech ech;
	enum egw_host_binding host_binding; /* per new flow, not admission: not fingerprinted */
	/* Some flow may bind late (binding.c), or syn_cookies is not off: a client ACK of no
	 * flow may carry our cookie. */
	bool late_any;
	/* [flows] syn_cookies and its thresholds (per new flow, not admission: not
	 * fingerprinted). */
	enum egw_syn_cookies syn_cookies;
	uint32_t syn_cookie_rate, syn_cookie_half_open;
	bool dns_filter;
	/* [egress] limits of flows that wait for their name (per packet, not admission: not in
	 * the fingerprint). */
	uint32_t host_timeout, host_hold_bytes, host_hold_total;
	/*
	 * Incremental re-check, set by egw_snapshot_chain() when the change from the previous
	 * epoch cannot revoke a flow except through the DELTA rules (deny rules added or
	 * changed): a flow last checked at epoch DELTA_FROM that matches none of them is still
	 * allowed, without a classifier lookup. DELTA_OK false: every flow is looked up again.
	 */
	bool delta_ok;
	uint64_t delta_from;
	struct egw_cls_rule *delta;
	uint32_t n_delta;
};

/* What a snapshot is compiled from. POLICIES may be NULL (no policy files). PORT_IDS[i] is the
 * DPDK port id of CONF->ports[i] (for via =). */
struct egw_snapshot_inputs {
	const struct egw_conf *conf;
	const struct egw_policy_set *policies;
	const uint16_t *port_ids;
	struct egw_policy_slots *slots;
	uint64_t generation;
	/*
	 * The data path holds a TCP flow's first bytes for tls/http policies (lib/policy/decide.h,
	 * PENDING). Until it does, compiling a set that holds one fails with ENOTSUP: such a
	 * policy must never be ignored (an allow that meant "only github.com" would not be
	 * applied, a deny would not stop anything) nor read as a plain TCP policy. Names learned
	 * from DNS (hosts with tcp/udp/any) and dns_filter need no flag: the data path has them.
	 */
	bool host_policies;
};

/* Compiles IN into a new snapshot. NULL and rte_errno on failure (ENOSPC: policy slots or
 * classifier tables exhausted; ENOTSUP: see host_policies). */
struct egw_snapshot *egw_snapshot_compile(const struct egw_snapshot_inputs *in);
/* A snapshot of CONF alone, without policy files. */
struct egw_snapshot *egw_snapshot_build(const struct egw_conf *conf, uint64_t generation);
void egw_snapshot_free(struct egw_snapshot *snap);

/*
 * Sets NEXT's epoch: PREV's when their fingerprints match, else NEXT's generation; in that
 * case it also works out NEXT's incremental re-check against PREV (delta_ok and the rest).
 */
void egw_snapshot_chain(struct egw_snapshot *next, const struct egw_snapshot *prev);

/* Sets each tls/http policy's bind_late from RULES (every policy's, ids are policy indexes;
 * binding.c). */
void egw_policy_binding_build(struct egw_snapshot *snap, const struct egw_cls_rule *rules,
	uint32_t n_rules);

/* Works out NEXT's delta against PREV (recheck.c); leaves delta_ok false when it cannot. */
void egw_snapshot_delta(struct egw_snapshot *next, const struct egw_snapshot *prev);

/* The workers' publication point (lib/common/rcu.h): N_WORKERS polling readers, replaced
 * snapshots freed with egw_snapshot_free(). 0 or -errno. */
int egw_snapshot_rcu_init(struct egw_rcu *rcu, unsigned n_workers);

/* The snapshot published at RCU (a worker: once per burst). */
static inline const struct egw_snapshot *egw_snapshot_current(const struct egw_rcu *rcu)
{
	return egw_rcu_load(rcu);
}

#endif
