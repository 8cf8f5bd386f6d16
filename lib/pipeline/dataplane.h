/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_DATAPLANE_H
#define EGW_DATAPLANE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "common/drop.h"
#include "common/rcu.h"
#include "flow/flow.h"
#include "flow_events.h"
#include "mailbox.h"
#include "nat/nat.h"
#include "net/afpacket.h"
#include "net/neigh.h"
#include "net/route.h"
#include "policy/snapshot.h"

/*
 * The data plane: the workers (each with its flow table, NAT port slice and counters), the
 * rings between them and to and from the control thread, the RCU publication point of the
 * policy snapshot, the neighbour table, the routes. Built by egw_dataplane_create(), set up
 * (ports, addresses, routes) by the control thread before the workers start, read by other
 * threads only through the views below. Its storage is private (dataplane_internal.h).
 */
struct egw_dataplane;
struct egw_worker;

#define EGW_BURST 32
#define EGW_PORT_IDS 32 /* port ids are below this: the TX dirty mask has 32 bits */
#define EGW_MAX_WORKERS 16
#define EGW_ICMP_ERRORS_PER_S 100 /* default per-worker rate of the errors the appliance sends */

/* What every worker knows of a port; set up before the workers start, read-only after. */
struct egw_port_info {
	bool configured;
	uint8_t zone; /* enum egw_zone, from the port's role */
	uint16_t mtu;
	uint16_t dev;  /* the DPDK port that carries it: its own id unless it is a VLAN port */
	uint16_t vlan; /* 802.1Q VLAN id of its frames on DEV; 0: untagged */
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
	/* Gauge: flows finished (egw_flow_finished: TCP time-wait and closed, answered UDP
	 * requests), kept only for late packets; the rest of the table is flows_active. */
	uint64_t flows_time_wait;
	uint64_t flows_reused;	       /* ended by a SYN opening a new connection on their tuple */
	uint64_t nat_port_reclaimed;   /* finished flows ended to give their port to a new one */
	uint64_t flows_reclaimed;      /* finished flows ended to make room in a full table */
	uint64_t nat_mappings;	       /* gauge: endpoint-independent mappings alive */
	uint64_t nat_inbound_flows;    /* flows an outside host opened through a mapping's filter */
	uint64_t nat_inbound_filtered; /* outside packets to a mapping its filtering refused */
	uint64_t nat_hairpinned;       /* packets to a pool address turned back inside */
	uint64_t handoffs_out, handoffs_in;
	/* NIC RSS hashes checked against the software Toeplitz (one in EGW_RSS_CHECK_EVERY) that
	 * disagreed: the worker stopped taking them (at most 1 per worker). */
	uint64_t rss_hash_mismatch;
	uint64_t punted;       /* ARP handed to the control thread */
	uint64_t echo_replies; /* ICMP echo requests to our addresses answered */
	uint64_t held;	       /* packets handed to the control thread to wait for ARP */
	uint64_t icmp_errors_sent;
	/* DF-clear packets too big for their exit, split (RFC 4787 REQ-13), and the fragments
	 * they left in (each counted in tx_packets too, not the packet split) */
	uint64_t packets_fragmented, fragments_sent;
	uint64_t rst_sent;	  /* TCP resets the appliance generated (revoked flows) */
	uint64_t ack_probes_sent; /* ACKs behind a reset receiver's window: they make it tell
				   its sequence number (revoked flows) */
	/* Refused new flows answered (reject.c): a TCP RST or an ICMP 3/13 sent, or not sent
	 * for the rate limit ([egress] reject_rate; the packet is dropped all the same). */
	uint64_t rejects_sent, rejects_rate_limited;
	/* Host-name policies (host_pending.c): TCP flows that waited for their name, how they
	 * were decided, and the limits they met. */
	uint64_t host_pending, host_allowed, host_denied, host_timeouts;
	uint64_t host_hold_limit; /* a flow needed more than host_hold_bytes (host_unknown) */
	uint64_t host_rebind;	  /* allowed by a policy with another pool/exit: kept its own */
	uint64_t host_names_full; /* allowed, but the name table was full: name not kept */
	/* Late binding (late_bind.c): SYN cookies sent, client ACKs that proved one (a late-bound
	 * flow made) or did not (any no-flow ACK under host rules), flows spliced, and upstream
	 * SYNs that failed, each reset toward the client. */
	uint64_t late_cookies_sent, late_cookies_valid, late_cookies_failed;
	uint64_t late_pending; /* gauge: late-bound flows waiting for a name or the server */
	uint64_t late_spliced, late_denied;
	uint64_t late_syns_sent; /* our SYNs to servers (generated: retransmissions included) */
	/* [flows] syn_cookies: workers answering every SYN with a cookie now (gauge), times a
	 * worker switched to that, and TCP flows with a SYN but no handshake yet (gauge). */
	uint64_t syn_cookie_mode, syn_cookie_activations, tcp_half_open;
	uint64_t late_upstream_rst, late_upstream_unreachable, late_upstream_timeout;
	uint64_t dns_queries;	      /* A queries remembered for their answers */
	uint64_t dns_answers_learned; /* answers whose addresses went to the journal */
	/* answers to no A query waiting on their flow, ID and question (AAAA and other types
	 * included: only A queries are remembered) */
	uint64_t dns_answers_unmatched;
	uint64_t dns_answers_malformed; /* answers not learned from: unreadable */
	uint64_t dns_nxdomain_sent;	/* dns_filter: NXDOMAIN answers the appliance sent */
	uint64_t dns_ech_stripped;	/* dns_filter: answers that lost their ech parameters */
	uint64_t polls, busy_polls;
	/* TSC cycles of the loops that found work (descheduled time included: compare with the
	 * thread's CPU time on a shared machine) */
	uint64_t busy_cycles;
	uint64_t flow_log_dropped;	/* records lost to a full flow log ring (worker) */
	uint64_t flow_log_written;	/* records written (control thread) */
	uint64_t flow_log_errors;	/* records lost to write errors (control thread) */
	uint64_t flow_log_deny_dropped; /* deny records over the deny rate (control thread) */
	/* IPv4 fragment trains (fragment.c): fragments forwarded (first ones included), later
	 * ones that waited for their first, and of those the ones dropped unreleased */
	uint64_t fragments_forwarded, fragments_held, fragments_timed_out;
	uint64_t tx_full[EGW_PORT_IDS]; /* per port: packets its TX queue refused (tx_full) */
	uint64_t drops[EGW_DROP_MAX];
} __rte_cache_aligned;

/* Per policy counter slot (struct egw_policy_slots), per worker. */
struct egw_policy_counters {
	uint64_t flows;	  /* flows admitted */
	uint64_t denied;  /* new flows refused: deny action or max_flows reached */
	uint64_t packets; /* packets of its flows, both directions */
	uint64_t bytes;
	uint64_t ended; /* its flows that ended: flows - ended are in the tables now */
};

/* What a data plane is built with. */
struct egw_dataplane_params {
	const char *name;	/* prefix of its DPDK objects' names (unique in the process) */
	unsigned n_workers;	/* 1 .. EGW_MAX_WORKERS */
	const unsigned *lcores; /* per worker: its lcore (NUMA socket, telemetry); NULL: any */
	uint32_t max_flows;	/* all workers together */
	struct egw_flow_timeouts timeouts;
	bool tcp_pickup;
	bool tcp_window_check; /* drop TCP segments outside the windows (lib/flow/tcp_window.h) */
	bool flow_log;	       /* workers get a flow log record ring */
	uint32_t icmp_errors_per_s;	     /* per worker; 0: 100 */
	uint32_t fragment_trains;	     /* per worker ([flows] fragment_trains); 0: 256 */
	uint32_t fragment_timeout;	     /* seconds; 0: 2 */
	uint32_t neigh_max;		     /* neighbour slots */
	unsigned ring_size;		     /* control and handoff rings (power of 2) */
	const struct egw_nat_secret *secret; /* NULL: random (RFC 6056 keys) */
	bool latency; /* RX-to-TX latency histograms per worker (latency.h) */
};

/*
 * Builds a data plane: rings, RCU, neighbour table, policy quota counters, workers. NULL with
 * rte_errno set and a sentence in ERR (e.g. which worker's flow table did not fit) on failure.
 */
struct egw_dataplane *egw_dataplane_create(const struct egw_dataplane_params *p, char *err,
	size_t errlen);
/* Frees everything create built (the workers must have stopped; packets still queued are
 * freed). NULL is fine. */
void egw_dataplane_free(struct egw_dataplane *dp);
/* What egw_worker_create() takes from the DPDK heap (flow table, rings, side arrays). */
size_t egw_worker_bytes(uint32_t max_flows, bool flow_log);

/* Set-up, control thread, before the workers start. A port of its own device (INFO's dev
 * and vlan are ignored: the port is its device, untagged). */
void egw_dataplane_set_port(struct egw_dataplane *dp, uint16_t port_id,
	const struct egw_port_info *info);
/*
 * A logical port PORT_ID carried by device INFO->dev as VLAN INFO->vlan (0: the device's
 * untagged frames). Frames of that device are sorted by their tag into their ports as they
 * are received, and get their port's tag back as they are sent (lib/pipeline/vlan.c).
 * -EEXIST when the device has that VLAN already, -ENOSPC beyond EGW_MAX_PORTS per device,
 * -ERANGE for ids at or above EGW_PORT_IDS.
 */
int egw_dataplane_set_vlan_port(struct egw_dataplane *dp, uint16_t port_id,
	const struct egw_port_info *info);
/*
 * Inside device DEV, steered by RSS on the source address and port (net/steer.h rss-src,
 * rss-src-flow), hashes with KEY (KEY_LEN bytes) and spreads by RETA (RETA_SIZE entries, queue
 * q polled by worker q): the worker its RSS picks becomes the owner of the endpoint
 * (net/rss_owner.h), so that its packets need no handoff. HASH_IS_INPUT: the device hashes
 * TCP and UDP on the source fields alone with KEY, so the RSS hash it writes into an mbuf
 * stands in for computing it. Every such device must agree: one
 * that does not (-EEXIST), or whose key or RETA cannot be followed (-EINVAL, -ERANGE), turns
 * the owner back into the software hash for all ports, and later calls get -EPERM. A NULL KEY
 * (length 0) says the device's RSS cannot be read: -EINVAL, the software hash for all. Before the
 * workers start.
 */
int egw_dataplane_set_rss(struct egw_dataplane *dp, uint16_t dev, const uint8_t *key,
	unsigned key_len, const uint16_t *reta, unsigned reta_size, bool hash_is_input);
/* The routes toward ZONE (enum egw_zone), to fill with egw_route_add(). */
struct egw_route_table *egw_dataplane_routes(struct egw_dataplane *dp, uint8_t zone);
/* The kernel's loss counters of af_packet port PORT_ID, to fill (net/afpacket.h). */
struct egw_afp_port *egw_dataplane_afp(struct egw_dataplane *dp, uint16_t port_id);

/* Read-only facts, any thread. */
unsigned egw_dataplane_n_workers(const struct egw_dataplane *dp);
struct egw_worker *egw_dataplane_worker(const struct egw_dataplane *dp, unsigned i);
const struct egw_port_info *egw_dataplane_port(const struct egw_dataplane *dp, uint16_t id);
const struct egw_afp_port *egw_dataplane_afp_view(const struct egw_dataplane *dp, uint16_t port_id);
/* Does the NIC's RSS choose the owner of the endpoints port PORT_ID receives from
 * (egw_dataplane_set_rss)? Else a software hash does. */
bool egw_dataplane_nic_owner(const struct egw_dataplane *dp, uint16_t port_id);
/* The publication point of the policy snapshot (the control thread publishes there). */
struct egw_rcu *egw_dataplane_rcu(struct egw_dataplane *dp);
/* The neighbour table the workers read and the control thread's resolver writes. */
struct egw_neigh_table *egw_dataplane_neigh(struct egw_dataplane *dp);
/* The publication point of the view of names learned from DNS (struct egw_names_view; the
 * control thread publishes there, on the snapshot's QSBR variable). */
struct egw_rcu *egw_dataplane_names_rcu(struct egw_dataplane *dp);
struct egw_names_journal;
/* Each worker's journal of learned names into J (EGW_MAX_WORKERS): the control thread drains
 * them (lib/names). Returns how many. */
unsigned egw_dataplane_names_journals(const struct egw_dataplane *dp, struct egw_names_journal **j);

/* The control thread's side of the rings. */
/* Packets the workers punted (ARP): up to N into PKTS. */
unsigned egw_dataplane_take_punted(struct egw_dataplane *dp, struct rte_mbuf **pkts, unsigned n);
/* Packets waiting for a neighbour (mbuf->port = exit port, mbuf->hash.usr = next hop). */
unsigned egw_dataplane_take_unresolved(struct egw_dataplane *dp, struct rte_mbuf **pkts,
	unsigned n);
/* Sends M (a frame the control thread built) out of port M->port through worker 0; a full
 * ring drops it (control_queue_full). */
void egw_dataplane_send(struct egw_dataplane *dp, struct rte_mbuf *m);
/* Hands M to worker 0's data path as if received on M->port (an ICMP error the control thread
 * built for a packet it could not deliver); a full ring drops it. */
void egw_dataplane_inject(struct egw_dataplane *dp, struct rte_mbuf *m);
/* Counts a packet the control thread dropped for REASON (it frees the packet itself). */
void egw_dataplane_count_drop(struct egw_dataplane *dp, enum egw_drop_reason reason);
/* The control thread's drop counters (it alone writes them; the resolver counts there). */
uint64_t *egw_dataplane_control_drops(struct egw_dataplane *dp);
/* Flow log records the control thread wrote or lost (flowlog.c). */
void egw_dataplane_count_flowlog(struct egw_dataplane *dp, uint64_t written, uint64_t errors);
void egw_dataplane_count_deny_dropped(struct egw_dataplane *dp, uint64_t n);

/* Views: sums over the workers, safe from any thread (relaxed loads). */
struct egw_worker_view {
	unsigned id, lcore;
	uint64_t rx_packets, tx_packets, polls, busy_polls, flows_active, flows_created;
	uint64_t handoffs_out, handoffs_in, drops;
	uint64_t busy_cycles;
	uint64_t rss_hash_mismatch;
	uint64_t flows_time_wait; /* finished flows (flows_active counts the live ones) */
};
void egw_dataplane_worker_view(const struct egw_dataplane *dp, unsigned i,
	struct egw_worker_view *v);
struct egw_latency;
/* Worker I's RX-to-TX latency histogram added to SUM (TSC cycles; lib/pipeline/latency.h).
 * False when the data plane was built without latency. */
bool egw_dataplane_latency(const struct egw_dataplane *dp, unsigned i, struct egw_latency *sum);
void egw_dataplane_policy(const struct egw_dataplane *dp, uint32_t slot,
	struct egw_policy_counters *c);
/* Flows of policy SLOT in the flow tables now (admitted and not yet ended). */
uint64_t egw_dataplane_policy_flows(const struct egw_dataplane *dp, uint32_t slot);
/* Flows holding policy SLOT's max_flows quota. */
uint32_t egw_dataplane_policy_active(const struct egw_dataplane *dp, uint32_t slot);
/* Packets port PORT_ID's TX queues refused (tx_full), all workers. */
uint64_t egw_dataplane_tx_full(const struct egw_dataplane *dp, uint16_t port_id);
/* ADDR's NAT mappings and exhaustion drops. */
void egw_dataplane_addr(const struct egw_dataplane *dp, uint32_t addr_be, uint64_t *in_use,
	uint64_t *exhausted);

/* What other threads may ask a worker. */
struct egw_mailbox *egw_worker_mailbox(struct egw_worker *w);
/* Flow log records of W: up to N into RECS (control thread, the ring's one consumer). */
unsigned egw_worker_take_flowlog(struct egw_worker *w, struct egw_flowlog_rec *recs, unsigned n);
/* W's flow log clock offset (egw_flowlog_clock). */
uint64_t egw_worker_log_epoch(const struct egw_worker *w);

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
 * inject, each worker's control TX ring, the handoff rings), counted as dropped for "shutdown" in the
 * control thread's counters. Returns how many.
 */
unsigned egw_dataplane_drain(struct egw_dataplane *dp);

/* Sums the workers' and the control thread's counters into *out. */
void egw_dataplane_stats(const struct egw_dataplane *dp, struct egw_worker_stats *out);
/* Live flows: the tables' flows less the finished ones (time-wait, closed, answered UDP). */
uint32_t egw_dataplane_flows_active(const struct egw_dataplane *dp);

#endif
