/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOW_H
#define EGW_FLOW_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "splice.h"
#include "tcp_window.h"

/*
 * A flow key is a packet's 5-tuple exactly as it arrives (a = source, b = destination, network
 * byte order) plus the zone of the port it arrived on. The original direction is keyed in the
 * inside zone, the reply direction (after translation) in the outside zone, so the same bytes
 * seen on both sides never collide.
 */
enum egw_zone { EGW_ZONE_INSIDE = 0, EGW_ZONE_OUTSIDE = 1 };

struct egw_flow_key {
	uint32_t a_addr, b_addr;
	uint16_t a_port, b_port;
	uint8_t proto;
	uint8_t zone;
	uint16_t pad;	       /* always 0: keys are hashed and compared as 16 raw bytes */
} __attribute__((aligned(8))); /* rte_hash_crc reads 8 bytes at a time */

static inline void egw_flow_key_set(struct egw_flow_key *k, uint32_t a_addr, uint32_t b_addr,
	uint16_t a_port, uint16_t b_port, uint8_t proto, uint8_t zone)
{
	k->a_addr = a_addr;
	k->b_addr = b_addr;
	k->a_port = a_port;
	k->b_port = b_port;
	k->proto = proto;
	k->zone = zone;
	k->pad = 0;
}

/*
 * The states from EGW_TCP_TIME_WAIT to EGW_UDP_ANSWERED are "finished": the exchange is over
 * and the flow is kept only for late packets (and, TCP, for a new connection on the same
 * 5-tuple). A finished flow holds no share of its source's max_per_source nor of its policy's
 * max_flows, is not counted in flows_active, and its mapping may be reclaimed under port
 * pressure (egw_flow_finished).
 */
enum egw_flow_state {
	EGW_FLOW_FREE = 0,
	EGW_TCP_SYN_SENT,    /* SYN from inside seen */
	EGW_TCP_SYN_RECV,    /* SYN+ACK from outside seen */
	EGW_TCP_ESTABLISHED, /* handshake completed (or picked up mid-stream) */
	EGW_TCP_FIN_WAIT,    /* FIN seen in one direction: half-closed, still established */
	EGW_TCP_CLOSING,     /* FIN seen in both directions, the last ACK not yet */
	EGW_TCP_TIME_WAIT,   /* FIN each way and the last ACK: closed, late segments pass */
	EGW_TCP_RESET,	     /* RST seen: closed ("closed" in telemetry) */
	EGW_UDP_ANSWERED,    /* a request and its reply: request/response done */
	EGW_UDP_REQUEST,     /* a request waiting for its reply */
	EGW_FLOW_UDP,	     /* a stream: more replies than requests (lib/flow/udp.h) */
	EGW_FLOW_ICMP,
	EGW_FLOW_STATE_MAX
};

/* Has a TCP flow in STATE seen a SYN but not its handshake's end (syn_cookies = auto)? */
static inline bool egw_tcp_half_open(uint8_t state)
{
	return state == EGW_TCP_SYN_SENT || state == EGW_TCP_SYN_RECV;
}

/* Is a flow in STATE finished (see enum egw_flow_state)? */
static inline bool egw_flow_finished(uint8_t state)
{
	return state >= EGW_TCP_TIME_WAIT && state <= EGW_UDP_ANSWERED;
}

#define EGW_FLOW_F_NAT 0x01	    /* source translated (else routed as is) */
#define EGW_FLOW_F_FIN_ORIG 0x02    /* FIN seen from the inside */
#define EGW_FLOW_F_FIN_REPLY 0x04   /* FIN seen from the outside */
#define EGW_FLOW_F_SRC_COUNTED 0x08 /* holds one of its source's max_per_source */
#define EGW_FLOW_F_QUOTA 0x10	    /* holds one of its policy's max_flows */
#define EGW_FLOW_F_REVOKED 0x20	    /* reset by a policy change: later packets get RSTs */
#define EGW_FLOW_F_LOG 0x40	    /* start and end go to the flow log */
/* Its packets take the host side's path (lib/pipeline/host_pending.c): it waits for its host
 * name, or it is late-bound (egw_flow.late, lib/pipeline/late_bind.c). */
#define EGW_FLOW_F_PENDING 0x80

/* egw_flow.late (issue 12): the appliance answered the client's handshake itself. */
#define EGW_LATE_BOUND 0x01   /* bound late (telemetry: binding late) */
#define EGW_LATE_SPLICED 0x02 /* both halves connected: every packet goes through splice */

#define EGW_DIR_ORIG 0
#define EGW_DIR_REPLY 1

#define EGW_NEIGH_NONE 0xffff
/* neigh[EGW_DIR_ORIG] of a flow to one of the appliance's own pool addresses: its packets turn
 * back inside (hairpinning, RFC 4787 REQ-9) instead of leaving through a neighbour. */
#define EGW_NEIGH_HAIRPIN 0xfffe

/*
 * Two cache lines per flow. The first holds everything a packet of an established flow needs
 * in both directions; the second what only TCP window tracking reads per packet (tcp_win, its
 * line requested with the first by the lookup) and what is cold (created). A UDP or ICMP
 * packet, or TCP with tcp_window_check = no, touches the first line only. The table's array
 * is 128-byte aligned (EGW_FLOW_ALIGN): both lines of a record share one adjacent-line
 * prefetch pair. (The type itself asks for cache-line alignment only: copies of a record,
 * embedded in other structures, need no more.)
 */
struct egw_flow {
	struct egw_flow_key orig; /* inside -> outside, as first seen */
	uint32_t nat_addr;	  /* translated source address (== orig.a_addr without NAT) */
	uint16_t nat_port;	  /* translated source port / ICMP identifier */
	uint8_t state;		  /* enum egw_flow_state */
	uint8_t flags;		  /* EGW_FLOW_F_* */
	uint64_t bytes[2];	  /* per direction: EGW_DIR_ORIG, EGW_DIR_REPLY */
	uint32_t packets[2];
	uint32_t last_seen;  /* worker clock, seconds */
	uint32_t policy;     /* counter slot of the admitting policy (0 = admitted by mode) */
	uint16_t generation; /* low bits of the snapshot epoch it was last checked in */
	uint8_t port[2];     /* exit port per direction (ORIG: outside, REPLY: inside) */
	uint16_t neigh[2];   /* cached neighbour slot per direction, EGW_NEIGH_NONE if not yet */
	/* second line */
	struct egw_tcp_window tcp_win __rte_cache_aligned; /* TCP only (lib/flow/tcp_window.h) */
	uint32_t created; /* worker clock seconds: read only when the flow ends */
	/* TCP, late-bound (EGW_LATE_*; 0 for every other flow): read only on the host side's
	 * path (EGW_FLOW_F_PENDING), never by an ordinary flow's packet. */
	struct egw_splice splice;
	uint8_t late;
	/* The NAT mapping (lib/nat/nat_map.h) the flow holds a reference to, 0 for none: set
	 * when it starts, read when it ends. In the second line's spare bytes, so it costs no
	 * memory of its own. */
	uint32_t nat_map;
} __rte_cache_aligned;

#define EGW_FLOW_ALIGN (2 * RTE_CACHE_LINE_SIZE)

/* The per-packet fields fill the first line exactly; the record costs two lines at most. */
_Static_assert(offsetof(struct egw_flow, tcp_win) == RTE_CACHE_LINE_SIZE,
	"the fields every packet touches must fill the first cache line");
_Static_assert(sizeof(struct egw_flow) == (size_t)2 * RTE_CACHE_LINE_SIZE,
	"struct egw_flow must fit two cache lines");

/* The reply key of a flow: how the reply direction arrives, after translation (derived from
 * the record, never stored). */
static inline void egw_flow_reply_key(const struct egw_flow *f, struct egw_flow_key *reply)
{
	/* ICMP echo: the identifier stands in both port positions, and it is the translated one. */
	uint16_t remote_port = f->orig.proto == IPPROTO_ICMP ? f->nat_port : f->orig.b_port;

	egw_flow_key_set(reply, f->orig.b_addr, f->nat_addr, remote_port, f->nat_port,
		f->orig.proto, EGW_ZONE_OUTSIDE);
}

/* "established", "udp", ...: for telemetry and logs. */
const char *egw_flow_state_name(uint8_t state);
/* "tcp", "udp", "icmp" (the protocols a flow can have), else "other". */
const char *egw_proto_name(uint8_t proto);

/* A shorter UDP timeout for flows to one well-known port (RFC 4787 REQ-5a). */
#define EGW_UDP_PORT_TIMEOUTS_MAX 16
#define EGW_UDP_PORT_TIMEOUT_LAST 1023 /* ports 0-1023 only (IANA well-known) */
#define EGW_UDP_MAPPING_MIN 120	       /* RFC 4787 REQ-5: seconds, beyond the well-known ports */
struct egw_udp_port_timeout {
	uint16_t port;
	uint32_t seconds;
};

/*
 * Seconds of idleness after which a flow in each state expires. tcp_transitory: closing
 * (both FINs, last ACK pending); tcp_time_wait: after the last ACK; tcp_close: after a RST;
 * udp_reply: request-only and answered request/response flows to well-known ports (0-1023;
 * toward others at least EGW_UDP_MAPPING_MIN); udp: streams (see egw_flow_timeout_within for
 * how they combine). A port of udp_ports sets every UDP state's timeout of the flows to it.
 */
struct egw_flow_timeouts {
	uint32_t tcp_syn, tcp_established, tcp_transitory, udp, icmp;
	uint32_t tcp_time_wait, tcp_close, udp_reply;
	unsigned n_udp_ports;
	struct egw_udp_port_timeout udp_ports[EGW_UDP_PORT_TIMEOUTS_MAX];
};

/*
 * The timeout in force for a state that refines another: its own (0: none), never longer
 * than the one it refines (tcp_time_wait and tcp_close: tcp_transitory; udp_reply: udp). A
 * test or an operator that shortens the broad timer shortens the narrow one with it.
 */
static inline uint32_t egw_flow_timeout_within(uint32_t own, uint32_t broad)
{
	return own && own < broad ? own : broad;
}

#endif
