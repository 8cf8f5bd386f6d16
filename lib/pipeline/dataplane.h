/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_DATAPLANE_H
#define EGW_DATAPLANE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "addr_stats.h"
#include "common/drop.h"
#include "flow_events.h"
#include "mailbox.h"
#include "flow/flow_table.h"
#include "nat/nat.h"
#include "nat/source_limit.h"
#include "net/afpacket.h"
#include "net/neigh.h"
#include "net/route.h"
#include "policy/snapshot.h"

#define EGW_BURST 32
#define EGW_PORT_IDS 32 /* port ids are below this: the TX dirty mask has 32 bits */
#define EGW_MAX_WORKERS 16
#define EGW_EXPIRE_BUDGET 64 /* flow records examined per egw_pipeline_expire() */
#define EGW_EXPIRE_SWEEP_MS 1000 /* egw_pipeline_expire_paced(): the whole table this often, */
#define EGW_EXPIRE_MAX_RATE 2000000 /* but no more records per second than this (big tables) */
#define EGW_EXPIRE_PACED_MAX 1024 /* records per paced call at most: a bounded pause */

/* What every worker knows of a port; set up before the workers start, read-only after. */
struct egw_port_info {
	bool configured;
	uint8_t zone; /* enum egw_zone, from the port's role */
	uint16_t mtu;
	uint32_t addr_be;
	struct rte_ether_addr mac;
	char name[EGW_NAME_MAX];
};

/*
 * Per-worker counters: written only by their worker with plain stores, read by the control
 * and telemetry threads (64-bit aligned loads do not tear on the supported CPUs).
 */
struct egw_worker_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes;
	uint64_t outbound_packets, outbound_bytes; /* inside -> outside, forwarded */
	uint64_t inbound_packets, inbound_bytes;   /* outside -> inside, forwarded */
	uint64_t flows_created, flows_expired;
	uint64_t flows_revoked; /* ended by a policy change (revalidate = reset) */
	uint64_t handoffs_out, handoffs_in;
	uint64_t punted; /* ARP and echo requests handed to the control thread */
	uint64_t held;	 /* packets handed to the control thread to wait for ARP */
	uint64_t icmp_errors_sent;
	uint64_t rst_sent; /* TCP resets the appliance generated (revoked flows) */
	uint64_t ack_probes_sent; /* ACKs behind a reset receiver's window: they make it tell
				   its sequence number (revoked flows) */
	uint64_t polls, busy_polls;
	uint64_t flow_log_dropped; /* records lost to a full flow log ring (worker) */
	uint64_t flow_log_written; /* records written (control thread) */
	uint64_t flow_log_errors;  /* records lost to write errors (control thread) */
	uint64_t tx_full[EGW_PORT_IDS]; /* per port: packets its TX queue refused (tx_full) */
	uint64_t drops[EGW_DROP_MAX];
} __rte_cache_aligned;

struct egw_worker;

/* Per policy counter slot (struct egw_policy_slots), per worker. */
struct egw_policy_counters {
	uint64_t flows;	  /* flows admitted */
	uint64_t denied;  /* new flows refused: deny action or max_flows reached */
	uint64_t packets; /* packets of its flows, both directions */
	uint64_t bytes;
};

/* State shared by all workers, owned by the control thread. */
struct egw_dataplane {
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
	struct egw_nat_secret secret;
	struct rte_ring *punt_ring;    /* workers -> control: ARP, ICMP echo to us (mbufs) */
	/* workers -> control: packets waiting for their next hop's MAC (mbuf->port = exit port,
	 * mbuf->hash.usr = next hop address) */
	struct rte_ring *resolve_ring;
	unsigned n_workers;
	struct egw_worker *workers[EGW_MAX_WORKERS];
	struct rte_ring *handoff[EGW_MAX_WORKERS][EGW_MAX_WORKERS]; /* [from][to], SP/SC */
	bool tcp_pickup;
	bool flow_log; /* [log] flow_log set: workers get a record ring (fixed at start) */
	uint32_t *policy_active; /* per counter slot: flows held, for max_flows (atomic) */
	uint32_t icmp_errors_per_s; /* per worker, rate limit of generated ICMP errors */
	struct egw_worker_stats control_stats; /* drops counted by the control thread */
	/* Per port id: what the kernel loses on net_af_packet ports (set up with the ports). */
	struct egw_afp_port afp[EGW_PORT_IDS];
};

struct egw_tx_buffer {
	uint16_t n;
	struct rte_mbuf *pkts[EGW_BURST];
};

struct egw_worker {
	unsigned id;
	unsigned lcore; /* for telemetry */
	struct egw_dataplane *dp;
	struct egw_flow_table *ft;
	struct egw_source_limit sources; /* flows per inside address (max_per_source) */
	uint32_t now;	      /* seconds, set once per loop */
	uint64_t now_tsc;     /* TSC, set once per loop with NOW: flow log stamps */
	uint32_t nat_counter; /* RFC 6056 algorithm 3 per-worker increment */
	uint16_t txq;	      /* the TX queue this worker owns on every port */
	uint32_t tx_dirty;    /* bit per port id with buffered packets */
	struct rte_ring *ctl_tx; /* control -> this worker: frames to transmit (mbuf->port) */
	uint32_t icmp_tokens, icmp_second;
	uint64_t expire_tsc;		/* paced expiry: TSC up to which records were examined */
	uint64_t expire_tsc_per_record; /* from EGW_EXPIRE_SWEEP_MS and the table's capacity */
	struct egw_tx_buffer tx[RTE_MAX_ETHPORTS];
	struct egw_worker_stats stats;
	struct egw_policy_counters *policy; /* EGW_POLICY_SLOTS entries */
	struct egw_addr_stats addrs;	    /* per egress address: mappings, exhaustion */
	struct rte_ring *flowlog;	    /* worker -> control: struct egw_flowlog_rec, or NULL */
	uint64_t log_epoch;		    /* egw_flowlog_clock() offset, fixed at creation */
	uint64_t *flow_ids;		    /* per flow record: its flow id (flow log on only) */
	uint64_t id_clock;		    /* clock and sequence of the last flow id given */
	uint32_t id_seq;
	struct egw_mailbox mbox __rte_cache_aligned; /* other threads ask about its flows here */
};

/* Creates worker ID's flow table and rings; NULL with rte_errno set on failure. */
struct egw_worker *egw_worker_create(struct egw_dataplane *dp, unsigned id, uint32_t max_flows,
	const struct egw_flow_timeouts *to, int socket);
void egw_worker_free(struct egw_worker *w);
/* What egw_worker_create() takes from the DPDK heap (flow table, rings, side arrays). */
size_t egw_worker_bytes(uint32_t max_flows, bool flow_log);

/* Where a worker polls: (port, queue) pairs. */
struct egw_rx_queue {
	uint16_t port, queue;
};

/* What a worker lcore runs with (egw_worker_loop's argument). */
struct egw_worker_run {
	struct egw_worker *w;
	struct egw_rx_queue rxq[EGW_MAX_PORTS]; /* one queue per port at most */
	unsigned n_rxq;
	uint32_t idle_sleep_us; /* > 0: sleep this long after a loop that found nothing */
	/* Frames the control thread wrote to be received as if from a port (ICMP errors about
	 * packets no neighbour took), NULL for the workers that take none. */
	struct rte_ring *from_control;
	bool stop;		/* set by the control thread; the loop ends */
};

/*
 * The lcore loop (rte_eal_remote_launch's function, ARG a struct egw_worker_run): poll the RX
 * queues and the handoff rings, send what the control thread built, flush, expire a little,
 * serve the mailbox, report a quiescent state; until RUN->stop.
 */
int egw_worker_loop(void *arg);

/*
 * The data path: processes N received (or handed-off) packets. Every packet is transmitted,
 * handed to its owner worker, punted to the control thread, or freed with one drop reason.
 * FROM_HANDOFF: the packets came from another worker's ring (not counted as received again).
 */
void egw_pipeline_rx(struct egw_worker *w, struct rte_mbuf **pkts, uint16_t n, bool from_handoff);

/* Sends the buffered packets of every port. */
void egw_pipeline_flush(struct egw_worker *w);

/* One round of incremental expiry (EGW_EXPIRE_BUDGET records). Returns flows expired. */
uint32_t egw_pipeline_expire(struct egw_worker *w);
/*
 * Incremental expiry paced by time, what the worker loop calls with the loop's TSC: records
 * are examined at the rate that sweeps the whole table every EGW_EXPIRE_SWEEP_MS (tables above
 * EGW_EXPIRE_MAX_RATE records: at that rate), however many packets the loop carries, so its
 * cost follows the table's size per second, not per packet. A flow is removed at most one
 * sweep after its timeout (10M flows per worker: 5 s). Returns flows expired.
 */
uint32_t egw_pipeline_expire_paced(struct egw_worker *w, uint64_t tsc);

/*
 * Ends flow F of worker W now: logged (if the flow is), its NAT port, quota and source share
 * given back, its record and keys removed. Worker only (or after the workers stopped).
 */
void egw_pipeline_end_flow(struct egw_worker *w, struct egw_flow *f, enum egw_flow_end why);

/*
 * After the workers stopped: ends W's flows (flow log: "shutdown") from *CURSOR (start at 0) as
 * far as its flow log ring has room. True when every flow has ended; otherwise drain the ring
 * and call again.
 */
bool egw_pipeline_end_flows(struct egw_worker *w, uint32_t *cursor);

/* Frees a packet the data path will not send, counting REASON. */
static inline void egw_drop(struct egw_worker_stats *st, struct rte_mbuf *m,
	enum egw_drop_reason reason)
{
	st->drops[reason]++;
	rte_pktmbuf_free(m);
}

/*
 * Registers ADDR/PREFIX_LEN (host order), a port's address. Packets to it are the appliance's
 * own; packets from it (or, from the inside, from a pool address) are spoofed; and the
 * broadcast addresses of its subnet (all ones and, as Linux does, all zeros in the host part,
 * for prefixes up to /30) are neither forwarded to nor accepted from. Control path, before the
 * workers start. 0, or -ENOSPC beyond EGW_MAX_PORTS addresses.
 */
int egw_dataplane_add_port_addr(struct egw_dataplane *dp, uint32_t addr, uint8_t prefix_len);

/*
 * After the workers stopped: frees every packet still queued between threads (punt, resolve,
 * each worker's control TX ring, the handoff rings), counted as dropped for "shutdown" in the
 * control thread's counters. Returns how many.
 */
unsigned egw_dataplane_drain(struct egw_dataplane *dp);

/* Sums the workers' and the control thread's counters into *out. */
void egw_dataplane_stats(const struct egw_dataplane *dp, struct egw_worker_stats *out);
uint32_t egw_dataplane_flows_active(const struct egw_dataplane *dp);

#endif
