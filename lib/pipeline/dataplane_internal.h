/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_DATAPLANE_INTERNAL_H
#define EGW_DATAPLANE_INTERNAL_H

/*
 * The data plane's storage: lib/pipeline only, and the white-box unit tests, fuzz target and
 * benchmark that drive a worker directly. Everyone else uses dataplane.h.
 */
#include <rte_mbuf.h>

#include "addr_stats.h"
#include "common/rate.h"
#include "dataplane.h"
#include "latency.h"
#include "dns_snoop.h"
#include "flow/flow_table.h"
#include "flow/syncookie.h"
#include "fragment.h"
#include "mailbox.h"
#include "nat/nat_map.h"
#include "nat/source_limit.h"
#include "net/afpacket.h"
#include "net/route.h"
#include "net/rss_owner.h"

struct egw_flow_name;
struct egw_exception;

#define EGW_EXPIRE_BUDGET 64	    /* flow records examined per egw_pipeline_expire() */
#define EGW_EXPIRE_SWEEP_MS 1000    /* egw_pipeline_expire_paced(): the whole table this often, */
#define EGW_EXPIRE_MAX_RATE 2000000 /* but no more records per second than this (big tables) */
#define EGW_EXPIRE_PACED_MAX 1024   /* records per paced call at most: a bounded pause */
#define EGW_RECLAIM_SCAN 256	    /* records a full table looks at for a finished flow */

/* State shared by all workers, owned by the control thread. */
#define EGW_VLAN_PORT_NONE 0xffff

/* The logical ports of one device: by VLAN id, and the one of its untagged frames. */
struct egw_vlan_map {
	uint16_t n;
	uint16_t untagged; /* or EGW_VLAN_PORT_NONE */
	uint16_t vid[EGW_MAX_PORTS];
	uint16_t port[EGW_MAX_PORTS];
};

struct egw_dataplane {
	char name[16]; /* prefix of its DPDK objects' names */
	int meta_off;  /* mbuf dynamic field: parsed metadata across a handoff */
	int lat_off;   /* mbuf dynamic field: RX TSC (latency.h); -1: latency off */
	struct egw_port_info ports[RTE_MAX_ETHPORTS];
	struct egw_route_table to_outside, to_inside;
	/* Our port addresses and the broadcast addresses of their subnets (network order), set
	 * with egw_dataplane_add_port_addr. */
	uint32_t local_addrs[EGW_MAX_PORTS];
	unsigned n_local_addrs;
	uint32_t subnet_bcasts[2 * EGW_MAX_PORTS];
	unsigned n_subnet_bcasts;
	struct egw_neigh_table *neigh;
	struct egw_rcu rcu;
	/* The view of names learned from DNS (lib/names), on RCU's QSBR variable. */
	struct egw_rcu names_rcu;
	struct egw_nat_secret secret;
	struct egw_syncookie_secret cookie_secret; /* late binding's SYN cookies */
	struct rte_ring *punt_ring;		   /* workers -> control: ARP (mbufs) */
	/* workers -> control: packets waiting for their next hop's MAC (mbuf->port = exit port,
	 * mbuf->hash.usr = next hop address) */
	struct rte_ring *resolve_ring;
	/* control -> worker 0's data path: frames to process as if received (mbuf->port) */
	struct rte_ring *inject_ring;
	unsigned n_workers;
	struct egw_worker *workers[EGW_MAX_WORKERS];
	struct rte_ring *handoff[EGW_MAX_WORKERS][EGW_MAX_WORKERS]; /* [from][to], SP/SC */
	bool tcp_pickup;
	bool tcp_window_check;
	bool flow_log; /* [log] flow_log set: workers get a record ring (fixed at start) */
	uint32_t *policy_active;    /* per counter slot: flows held, for max_flows (atomic) */
	uint32_t icmp_errors_per_s; /* per worker, rate limit of generated ICMP errors */
	uint32_t fragment_trains, fragment_timeout; /* per worker's fragment.c (0: defaults) */
	struct egw_worker_stats control_stats;	    /* drops counted by the control thread */
	/* Per port id: what the kernel loses on net_af_packet ports (set up with the ports). */
	struct egw_afp_port afp[EGW_PORT_IDS];
	/* Devices that carry VLAN ports (one bit per DPDK port id) and, per device, which
	 * logical port each tag belongs to (egw_dataplane_set_vlan_port). */
	uint32_t vlan_devs;
	struct egw_vlan_map vlan[EGW_PORT_IDS];
	struct egw_exception *exc; /* the tunnel's exception path (exception.c); NULL: off */
	/* The owner of inside endpoints (owner.c): the NIC's RSS choice (RETA entry of the
	 * Toeplitz hash) once an inside device reported its key and RETA, else the software
	 * hash. Bits per device (port id): rss_devs, whose RSS choice that is; rss_hash_devs,
	 * of those, whose RSS hash of an unfragmented TCP or UDP packet is the owner's input.
	 * Fixed before the workers start. */
	bool rss_owner_on;
	bool rss_owner_refused; /* inside devices disagreed: the software hash for all */
	uint32_t rss_devs, rss_hash_devs;
	struct egw_rss_owner rss;
};

struct egw_host_side;

struct egw_tx_buffer {
	uint16_t n;
	struct rte_mbuf *pkts[EGW_BURST];
};

/* One NIC RSS hash in this many is checked against the software Toeplitz (pipeline.c). */
#define EGW_RSS_CHECK_EVERY 256

struct egw_worker {
	unsigned id;
	unsigned lcore; /* for telemetry */
	struct egw_dataplane *dp;
	struct egw_flow_table *ft;
	struct egw_source_limit sources; /* flows per inside address (max_per_source) */
	uint32_t now;			 /* seconds, set once per loop */
	uint64_t now_tsc;		 /* TSC, set once per loop with NOW: flow log stamps */
	uint32_t nat_counter;		 /* RFC 6056 algorithm 3 per-worker increment */
	bool flow_removed; /* a flow ended during the current burst: its record may be reused */
	uint32_t reclaim_cursor; /* full table: where the search for a finished flow goes on */
	/* NIC RSS hashes as the owner's input (rx_key.h egw_pl_nic_hashed): packets until the next
	 * one is checked against the software Toeplitz, and whether one ever disagreed (then
	 * this worker computes every owner itself). */
	uint16_t rss_check_in;
	bool rss_hash_distrusted;
	uint16_t txq;		 /* the TX queue this worker owns on every port */
	uint32_t tx_dirty;	 /* bit per port id with buffered packets */
	struct rte_ring *ctl_tx; /* control -> this worker: frames to transmit (mbuf->port) */
	/* Rate limits of what it generates, per second: ICMP errors, answered refusals. */
	struct egw_rate icmp_rate, reject_rate;
	uint64_t expire_tsc;		/* paced expiry: TSC up to which records were examined */
	uint64_t expire_tsc_per_record; /* from EGW_EXPIRE_SWEEP_MS and the table's capacity */
	struct egw_tx_buffer tx[RTE_MAX_ETHPORTS];
	/* RX-to-TX latency (latency.h): the mbuf field of the RX stamp, -1 when off, and the
	 * histogram (NULL when off). */
	int lat_off;
	struct egw_latency *lat;
	struct egw_worker_stats stats;
	struct egw_policy_counters *policy; /* EGW_POLICY_SLOTS entries */
	struct egw_addr_stats addrs;	    /* per egress address: mappings, exhaustion */
	struct egw_nat_maps maps; /* endpoint-independent mappings of this worker's ports */
	/* Packets turned back inside (hairpinning), processed again as if they had arrived on
	 * the outside port in m->port once the burst is done (egw_pipeline_flush). */
	uint16_t n_hairpin;
	struct rte_mbuf *hairpin[2 * EGW_BURST];
	struct rte_ring *flowlog; /* worker -> control: struct egw_flowlog_rec, or NULL */
	uint64_t log_epoch;	  /* egw_flowlog_clock() offset, fixed at creation */
	uint64_t *flow_ids;	  /* per flow record: its flow id (flow log on only) */
	uint64_t id_clock;	  /* clock and sequence of the last flow id given */
	uint32_t id_seq;
	struct egw_host_side *host; /* pending flows and kept names (host_side.h) */
	/* [flows] syn_cookies = auto (late_bind.c): SYNs seen in the second SYN_SECOND and in
	 * the one before, and whether the worker answers SYNs with cookies now. */
	uint32_t syn_second, syn_now, syn_prev;
	bool syn_cookie_mode;
	struct egw_dns_snoop dns; /* queries waiting for answers, the journal of learned names */
	struct egw_frag frag;	  /* fragment trains: their translations, fragments waiting */
	struct egw_mailbox mbox __rte_cache_aligned; /* other threads ask about its flows here */
};

/* Frees a packet the data path will not send, counting REASON. */
static inline void egw_drop(struct egw_worker_stats *st, struct rte_mbuf *m,
	enum egw_drop_reason reason)
{
	st->drops[reason]++;
	rte_pktmbuf_free(m);
}

/* Worker ID of DP: its flow table of MAX_FLOWS and rings. NULL with rte_errno set. */
struct egw_worker *egw_worker_create(struct egw_dataplane *dp, unsigned id, uint32_t max_flows,
	const struct egw_flow_timeouts *to, int socket);
void egw_worker_free(struct egw_worker *w);

#endif
