/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FRAGMENT_H
#define EGW_FRAGMENT_H

/*
 * IPv4 fragment trains, translated without reassembly ("virtual reassembly", as VPP's
 * shallow reassembly and Linux conntrack classify them): the first fragment carries the ports,
 * goes through the flow path like any packet and leaves a note of its translation under its
 * train's key (source, destination, protocol, IP ID, as received); the later fragments of the
 * train are rewritten from that note (addresses and the IP ID; their IP checksum only, the L4
 * checksum lives in the first fragment) and forwarded. A later fragment that arrives before its
 * first waits, bounded in count and time, and leaves right after it.
 *
 * Everything is per worker and preallocated at start ([flows] fragment_trains and
 * fragment_timeout): a table of notes taken in turn (the oldest goes first; every note lives the
 * timeout, so the turn order is the age order) and as many mbuf slots for the fragments that
 * wait.
 */
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "pkt/pkt.h"

#define EGW_FRAG_TRAINS 256	  /* default notes per worker, and fragments that may wait */
#define EGW_FRAG_TRAINS_MAX 32768 /* indices are 16 bits, EGW_FRAG_NONE the end */
#define EGW_FRAG_TIMEOUT_S 2	  /* default life of a note (seconds; one more by the clock) */
#define EGW_FRAG_NONE 0xffff	  /* end of a list of indices */

struct egw_frag_train {
	uint32_t src, dst; /* the key: addresses, protocol and ID as received */
	uint16_t id;
	uint8_t proto;
	uint8_t state;	   /* FRAG_FREE, FRAG_WAITING, FRAG_KNOWN (fragment.c) */
	uint32_t born;	   /* worker seconds at the note's first packet */
	uint32_t new_addr; /* KNOWN: the translated source (outbound) or destination */
	uint16_t new_id;   /* KNOWN: the ID the train leaves with */
	uint16_t out_port;
	uint16_t neigh; /* next hop slot, looked up by the first fragment forwarded */
	uint8_t outbound;
	uint16_t next; /* hash chain */
	uint16_t held_head, held_tail;
};

struct egw_frag {
	struct egw_frag_train *train; /* N notes */
	uint16_t *bucket;	      /* MASK + 1 hash buckets (twice N, a power of 2) */
	struct rte_mbuf **held;	      /* N slots for fragments that wait */
	uint16_t *held_next;	      /* per slot: a train's list, or the free list */
	uint16_t n, mask;
	uint16_t hand; /* the next note to take: the oldest */
	uint16_t held_free;
	uint16_t id_counter; /* IDs of translated trains: id_counter * workers + worker id */
	uint32_t timeout;    /* seconds a note lives */
	uint32_t swept;	     /* the second of the last sweep */
	void *mem;	     /* one allocation for the arrays */
};

struct egw_worker;

/* FR with N notes and slots (16 .. EGW_FRAG_TRAINS_MAX) living TIMEOUT seconds (0: the
 * defaults), empty; -ENOMEM. */
int egw_pl_frag_init(struct egw_frag *fr, unsigned n, uint32_t timeout, int socket);
void egw_pl_frag_fini(struct egw_frag *fr);
/* The memory egw_pl_frag_init() takes for N notes (0: the default). */
size_t egw_pl_frag_bytes(unsigned n);
/* The worker of N that keeps the train of META (a fragment, first or later, as received). */
unsigned egw_pl_frag_owner(const struct egw_pkt_meta *meta, unsigned n);
/* M, a later fragment (parsed) W keeps the train of: translated and forwarded, or held for
 * its first. */
void egw_pl_frag_later(struct egw_worker *w, struct rte_mbuf *m);
/*
 * M, a first fragment of an admitted flow, tracked and translated, leaves by OUT_PORT
 * (OUTBOUND: toward the outside). NAT: its source was translated, so the train gets an ID of
 * this worker's (unique per egress address). HAIRPIN: its flow turns back inside, the train
 * with it. Its train is noted here or on the worker that keeps it (relayed); M is forwarded and
 * the fragments that waited for it follow.
 */
void egw_pl_frag_first(struct egw_worker *w, struct rte_mbuf *m, struct egw_pkt_meta *meta,
	uint16_t out_port, bool outbound, bool nat, bool hairpin);
/* A first fragment another worker translated (EGW_PKT_FRAG_RELAYED): noted and forwarded. */
void egw_pl_frag_relayed(struct egw_worker *w, struct rte_mbuf *m, const struct egw_pkt_meta *meta);
/* Once a second: trains past their timeout are forgotten, what waited dropped. */
void egw_pl_frag_expire(struct egw_worker *w);
/* At stop: frees what waits (counted "shutdown"); the number freed. */
unsigned egw_pl_frag_drain(struct egw_worker *w);

#endif
