/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_flow.h>

#include "steer.h"

/* One rule: PATTERN (ending in TCP or UDP) -> ACTION; validated, then created into R. */
static int add_rule(struct egw_steer_rules *r, const struct rte_flow_item *pattern,
	const struct rte_flow_action *action, char *err, size_t err_len)
{
	static const struct rte_flow_attr attr = { .ingress = 1 };
	struct rte_flow_error fe = { 0 };
	struct rte_flow *f;
	int rc;

	if (r->n == EGW_STEER_RULES_MAX) {
		snprintf(err, err_len, "more than %u rules", EGW_STEER_RULES_MAX);
		return -ENOSPC;
	}
	rc = rte_flow_validate(r->port_id, &attr, pattern, action, &fe);
	f = rc == 0 ? rte_flow_create(r->port_id, &attr, pattern, action, &fe) : NULL;
	if (!f) {
		snprintf(err, err_len, "%s", fe.message ? fe.message : "refused");
		return rc < 0 ? rc : -ENOTSUP;
	}
	r->flow[r->n++] = f;
	return 0;
}

/* Outside: TCP and UDP to destination port & mask == W go to queue W. */
static int port_rules(struct egw_steer_rules *r, unsigned n_workers, uint16_t mask, char *err,
	size_t err_len)
{
	for (unsigned w = 0; w < n_workers; w++) {
		struct rte_flow_item_tcp tcp = { 0 }, tcp_mask = { 0 };
		struct rte_flow_item_udp udp = { 0 }, udp_mask = { 0 };
		struct rte_flow_action_queue queue = { .index = (uint16_t)w };
		const struct rte_flow_action action[] = {
			{ .type = RTE_FLOW_ACTION_TYPE_QUEUE, .conf = &queue },
			{ .type = RTE_FLOW_ACTION_TYPE_END },
		};
		struct rte_flow_item pattern[] = {
			{ .type = RTE_FLOW_ITEM_TYPE_ETH },
			{ .type = RTE_FLOW_ITEM_TYPE_IPV4 },
			{ .type = RTE_FLOW_ITEM_TYPE_TCP, .spec = &tcp, .mask = &tcp_mask },
			{ .type = RTE_FLOW_ITEM_TYPE_END },
		};
		int rc;

		tcp.hdr.dst_port = rte_cpu_to_be_16((uint16_t)w);
		tcp_mask.hdr.dst_port = rte_cpu_to_be_16(mask);
		rc = add_rule(r, pattern, action, err, err_len);
		if (rc < 0)
			return rc;
		udp.hdr.dst_port = tcp.hdr.dst_port;
		udp_mask.hdr.dst_port = tcp_mask.hdr.dst_port;
		pattern[2] = (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_UDP,
			.spec = &udp,
			.mask = &udp_mask };
		rc = add_rule(r, pattern, action, err, err_len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Inside: TCP and UDP hashed on their source address and port over every worker's queue. */
static int rss_rules(struct egw_steer_rules *r, unsigned n_workers, uint64_t types, char *err,
	size_t err_len)
{
	static const enum rte_flow_item_type l4[] = { RTE_FLOW_ITEM_TYPE_TCP,
		RTE_FLOW_ITEM_TYPE_UDP };
	static const uint64_t l4_types[] = { RTE_ETH_RSS_NONFRAG_IPV4_TCP,
		RTE_ETH_RSS_NONFRAG_IPV4_UDP };
	uint16_t queues[EGW_STEER_RULES_MAX];

	for (unsigned q = 0; q < n_workers && q < EGW_STEER_RULES_MAX; q++)
		queues[q] = (uint16_t)q;
	for (unsigned i = 0; i < RTE_DIM(l4); i++) {
		struct rte_flow_action_rss rss = {
			.func = RTE_ETH_HASH_FUNCTION_DEFAULT,
			.types = (types & ~(RTE_ETH_RSS_NONFRAG_IPV4_TCP |
						  RTE_ETH_RSS_NONFRAG_IPV4_UDP)) |
				 l4_types[i],
			.queue_num = RTE_MIN(n_workers, (unsigned)EGW_STEER_RULES_MAX),
			.queue = queues,
		};
		const struct rte_flow_action action[] = {
			{ .type = RTE_FLOW_ACTION_TYPE_RSS, .conf = &rss },
			{ .type = RTE_FLOW_ACTION_TYPE_END },
		};
		const struct rte_flow_item pattern[] = {
			{ .type = RTE_FLOW_ITEM_TYPE_ETH },
			{ .type = RTE_FLOW_ITEM_TYPE_IPV4 },
			{ .type = l4[i] },
			{ .type = RTE_FLOW_ITEM_TYPE_END },
		};
		int rc = add_rule(r, pattern, action, err, err_len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int egw_steer_rules_apply(uint16_t port_id, unsigned n_workers, const struct egw_steer_plan *plan,
	struct egw_steer_rules *r, char *err, size_t err_len)
{
	int rc = 0;

	memset(r, 0, sizeof(*r));
	r->port_id = port_id;
	if (plan->mode == EGW_STEER_FLOW_PORT)
		rc = port_rules(r, n_workers, plan->port_mask, err, err_len);
	else if (plan->mode == EGW_STEER_RSS_SRC_FLOW)
		rc = rss_rules(r, n_workers, plan->rule_types, err, err_len);
	if (rc < 0)
		egw_steer_rules_remove(r);
	return rc;
}

void egw_steer_rules_remove(struct egw_steer_rules *r)
{
	struct rte_flow_error fe;

	for (unsigned i = 0; i < r->n; i++)
		rte_flow_destroy(r->port_id, r->flow[i], &fe);
	r->n = 0;
}
