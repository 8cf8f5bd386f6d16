/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_NET_STEER_H
#define EGW_NET_STEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rss_owner.h"

/*
 * How a port's received packets are spread over the workers' RX queues (issue 16), decided
 * from what the device reports, without touching it (the unit tests feed it the capabilities
 * of real drivers). The pipeline still checks every packet's owner: steering only decides how
 * many packets arrive on the wrong worker and cross the software handoff.
 *
 * Inside ports: RSS over the source address and port only (RTE_ETH_RSS_L3_SRC_ONLY |
 * RTE_ETH_RSS_L4_SRC_ONLY), so that all packets of one inside endpoint (every flow of one
 * socket, as endpoint-independent mapping needs) arrive on one queue: in the port
 * configuration where the device offers those bits there (mlx5), else as an rte_flow RSS
 * action (ice and i40e take source-only hashing that way) if the device accepts the rule,
 * else none.
 * Outside ports: the external port of a translated flow belongs to worker P % N (lib/nat); for
 * N a power of two that is P & (N - 1), which one rte_flow rule per worker matches with a
 * masked destination port (TCP and UDP) and sends to that worker's queue. The rules are tried
 * (rte_flow_validate) once the device is configured with a queue per worker; if the device
 * refuses them, the port falls back to one queue and the software handoff.
 */

enum egw_steer_mode {
	EGW_STEER_SINGLE,	/* no spreading: what a NIC receives lands on queue 0 */
	EGW_STEER_RSS_SRC,	/* port RSS on source address + port, a queue per worker */
	EGW_STEER_RSS_SRC_FLOW, /* the same as an rte_flow RSS action */
	EGW_STEER_RSS,		/* port RSS on the full tuple (source-only refused): spread */
	EGW_STEER_FANOUT,	/* a queue per worker spread by the device (af_packet fanout) */
	EGW_STEER_FLOW_PORT,	/* rte_flow: destination port & mask -> owning worker's queue */
};

/* What the device reports (rte_eth_dev_info) and what kind of device it is. */
struct egw_steer_caps {
	uint16_t max_rx_queues;
	uint64_t flow_type_rss_offloads; /* RTE_ETH_RSS_* the device can hash on */
	bool spreads_itself;		 /* queues filled by the kernel (net_af_packet fanout) */
};

enum egw_steer_role { EGW_STEER_INSIDE, EGW_STEER_OUTSIDE };

struct egw_steer_plan {
	enum egw_steer_mode mode;
	/* RX queues to configure, queue q polled by worker q: one per worker as far as the
	 * device has them, in every mode (a vdev such as net_pcap fills each queue itself). */
	uint16_t nb_rxq;
	/* The port configuration's rss_hf: source-only (EGW_STEER_RSS_SRC) or the full tuple
	 * under the rules (EGW_STEER_RSS_SRC_FLOW); 0: no RSS. */
	uint64_t rss_hf;
	uint64_t rule_types; /* EGW_STEER_RSS_SRC_FLOW: the rte_flow RSS action's types */
	uint16_t port_mask;  /* EGW_STEER_FLOW_PORT: destination port & port_mask == worker */
	bool needs_rules;    /* a candidate: the rte_flow rules decide (egw_steer_settle) */
	const char *why;     /* for the log: why this mode */
};

/* The plan for a port of ROLE served by N_WORKERS workers with CAPS. */
void egw_steer_plan(enum egw_steer_role role, unsigned n_workers, const struct egw_steer_caps *caps,
	struct egw_steer_plan *plan);

/* After trying the rte_flow rules of a plan that needs them: RULES_OK false falls back to
 * EGW_STEER_RSS where the port has RSS on the full tuple, else EGW_STEER_SINGLE (the queues
 * stay configured; the software handoff does the rest). */
void egw_steer_settle(struct egw_steer_plan *plan, bool rules_ok);

/* The device refused the RSS of PLAN in its port configuration: EGW_STEER_SINGLE. */
void egw_steer_settle_no_rss(struct egw_steer_plan *plan);

/* "single", "rss-src", "rss-src-flow", "rss", "fanout", "flow-port". */
const char *egw_steer_mode_name(enum egw_steer_mode mode);

/* The rte_flow rules of a plan that needs them, installed on a started port. */
#define EGW_STEER_RULES_MAX 128 /* two per worker (TCP, UDP) */
struct rte_flow;
struct egw_steer_rules {
	uint16_t port_id;
	unsigned n;
	struct rte_flow *flow[EGW_STEER_RULES_MAX];
};

/* Validates and creates PLAN's rules for N_WORKERS workers on PORT_ID into R: all or none.
 * 0, or a negative errno with the driver's reason in ERR. */
int egw_steer_rules_apply(uint16_t port_id, unsigned n_workers, const struct egw_steer_plan *plan,
	struct egw_steer_rules *r, char *err, size_t err_len);

/* Destroys the rules R holds (before the port is closed). */
void egw_steer_rules_remove(struct egw_steer_rules *r);

/*
 * The RSS of a started port steered rss-src or rss-src-flow, made explicit so that its choice
 * can name the owner of each inside endpoint (net/rss_owner.h): the default key (repeated to
 * the device's key size) and a RETA spreading entries round robin over the N_WORKERS queues
 * are programmed (rte_eth_dev_rss_hash_update, rte_eth_dev_rss_reta_update), then the key and
 * RETA the device really uses are read back into OUT (a device that refused an update keeps
 * its own, which is then followed). 0, or a negative errno with the reason in ERR: no RETA or
 * key to read, or sizes rss_owner cannot follow.
 */
struct egw_steer_rss {
	uint8_t key[EGW_RSS_KEY_MAX];
	unsigned key_len;
	uint16_t reta[EGW_RSS_RETA_MAX];
	unsigned reta_size;
	/* The port hashes on the source fields alone (read back): the hash it writes into an
	 * mbuf is the owner's input. Else (rss-src-flow: the rules hash) it is computed. */
	bool hash_is_owner;
	bool key_refused, reta_refused; /* the device kept its own (for the log) */
};
int egw_steer_rss_program(uint16_t port_id, unsigned n_workers, uint64_t rss_hf,
	struct egw_steer_rss *out, char *err, size_t err_len);

#endif
