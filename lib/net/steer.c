/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_ethdev.h>

#include "steer.h"

/* Hashing on these means one inside endpoint, one queue (TCP and UDP by address and port,
 * anything else by address). */
#define SRC_ONLY (RTE_ETH_RSS_L3_SRC_ONLY | RTE_ETH_RSS_L4_SRC_ONLY)
#define SRC_TYPES (RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP)
#define SRC_MORE (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_OTHER)

static bool power_of_two(unsigned n)
{
	return n && (n & (n - 1)) == 0;
}

static void plan_inside(const struct egw_steer_caps *caps, struct egw_steer_plan *p)
{
	const uint64_t offered = caps->flow_type_rss_offloads;

	if ((offered & SRC_TYPES) != SRC_TYPES) {
		p->why = "the device has no RSS over IPv4 TCP and UDP";
		return;
	}
	if ((offered & SRC_ONLY) == SRC_ONLY) {
		p->mode = EGW_STEER_RSS_SRC;
		p->rss_hf = SRC_ONLY | SRC_TYPES | (offered & SRC_MORE);
		p->why = "RSS on the source address and port in the port configuration";
		return;
	}
	/* Offered for the port only on the full tuple: ask for source-only hashing as an
	 * rte_flow RSS action, which some drivers take where their port configuration does
	 * not (ice, i40e). */
	p->mode = EGW_STEER_RSS_SRC_FLOW;
	p->rss_hf = SRC_TYPES | (offered & SRC_MORE);
	p->rule_types = SRC_ONLY | SRC_TYPES;
	p->needs_rules = true;
	p->why = "RSS on the source address and port as an rte_flow RSS action";
}

static void plan_outside(unsigned n, struct egw_steer_plan *p)
{
	/* Worker W owns the external ports P % N == W: one masked rule per worker when N is a
	 * power of two; any other N would need a rule per port. */
	if (!power_of_two(n)) {
		p->why = "the worker count is not a power of two: no port mask selects a worker";
		return;
	}
	p->mode = EGW_STEER_FLOW_PORT;
	p->port_mask = (uint16_t)(n - 1);
	p->needs_rules = true;
	p->why = "rte_flow rules: destination port & mask -> the owning worker's queue";
}

void egw_steer_plan(enum egw_steer_role role, unsigned n_workers, const struct egw_steer_caps *caps,
	struct egw_steer_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	plan->mode = EGW_STEER_SINGLE;
	plan->nb_rxq = (uint16_t)RTE_MIN(n_workers, caps->max_rx_queues);
	if (n_workers <= 1) {
		plan->why = "one worker";
		return;
	}
	if (caps->spreads_itself) {
		plan->mode = EGW_STEER_FANOUT;
		plan->why = "the device spreads its queues itself (kernel fanout)";
		return;
	}
	if (caps->max_rx_queues < n_workers) {
		plan->why = "fewer RX queues than workers";
		return;
	}
	if (role == EGW_STEER_INSIDE)
		plan_inside(caps, plan);
	else
		plan_outside(n_workers, plan);
}

void egw_steer_settle(struct egw_steer_plan *plan, bool rules_ok)
{
	if (!plan->needs_rules)
		return;
	plan->needs_rules = false;
	if (rules_ok)
		return;
	plan->mode = plan->rss_hf ? EGW_STEER_RSS : EGW_STEER_SINGLE;
	plan->rule_types = 0;
	plan->port_mask = 0;
	plan->why = plan->rss_hf ? "the device refused the rte_flow rules: RSS on the full tuple, "
				   "software handoff" :
				   "the device refused the rte_flow rules: software handoff";
}

void egw_steer_settle_no_rss(struct egw_steer_plan *plan)
{
	plan->mode = EGW_STEER_SINGLE;
	plan->rss_hf = 0;
	plan->rule_types = 0;
	plan->needs_rules = false;
	plan->why = "the device refused RSS in its port configuration: software handoff";
}

const char *egw_steer_mode_name(enum egw_steer_mode mode)
{
	static const char *const names[] = {
		[EGW_STEER_SINGLE] = "single",
		[EGW_STEER_RSS_SRC] = "rss-src",
		[EGW_STEER_RSS_SRC_FLOW] = "rss-src-flow",
		[EGW_STEER_RSS] = "rss",
		[EGW_STEER_FANOUT] = "fanout",
		[EGW_STEER_FLOW_PORT] = "flow-port",
	};
	return (unsigned)mode < RTE_DIM(names) ? names[mode] : "?";
}
