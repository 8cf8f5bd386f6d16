/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_LATE_BIND_H
#define EGW_LATE_BIND_H

/*
 * Pipeline-internal: late binding (issue 12, late_bind.c). A TCP flow whose pool or exit the
 * host name decides (lib/policy/binding.c) gets its handshake from the appliance: the SYN is
 * answered with a SYN cookie (no state), the client's ACK proves it and makes the flow, which
 * waits in a pending slot (host_side.h) for its name like an early-bound one; allowed, it is
 * bound with the deciding policy's pool and exit and our SYN leaves, with the client's ISN
 * and options; the server's SYN-ACK is acknowledged, the two halves spliced (lib/flow/
 * splice.h), and the held data goes on. Denied: only the client is reset, the server never
 * sees a SYN. Worker only; the established path pays one branch it already had
 * (EGW_FLOW_F_PENDING) plus the splice for these flows alone.
 */
#include "host_side.h"
#include "pipeline_internal.h"

/* The window scale our SYN-ACK announces: 512-byte units, windows up to 32 MiB. */
#define EGW_LATE_WSCALE 9

/* M (META), a SYN of new flow KEY that binds late: answered in place with our cookie SYN-ACK
 * (MSS at most MSS), sent back where it came from. Consumes M. */
void egw_pl_late_syn(struct egw_worker *w, struct rte_mbuf *m, const struct egw_pkt_meta *meta,
	const struct egw_flow_key *key, uint16_t mss);

/*
 * M (META), a TCP segment of no flow from the inside with ACK alone: does it prove one of our
 * cookies for KEY? Then *L holds the client's handshake and *SEQ0 its first data byte. Only
 * asked when SNAP may bind late (counted: valid or failed).
 */
bool egw_pl_late_cookie(struct egw_worker *w, const struct egw_snapshot *snap,
	const struct rte_mbuf *m, const struct egw_pkt_meta *meta, const struct egw_flow_key *key,
	struct egw_late *l, uint32_t *seq0);

/* F, just committed for cookie handshake L (first data byte SEQ0), waits in a pending slot
 * (egw_pl_host_can_wait() saw one free) for its name (NAMED) or, decided already
 * (syn_cookies), for egw_pl_late_admit(). Returns the slot. */
struct egw_pending *egw_pl_late_wait(struct egw_worker *w, const struct egw_snapshot *snap,
	struct egw_flow *f, const struct egw_late *l, uint32_t seq0, uint16_t via, bool named);

/* [flows] syn_cookies: is this new TCP flow's SYN (counted here) to get a cookie? */
bool egw_pl_syn_cookie_mode(struct egw_worker *w, const struct egw_snapshot *snap);

/* A packet M of late-bound F waiting in P: consumed (true), or (false) data the name is read
 * from, for the ordinary pending path. */
bool egw_pl_late_packet(struct egw_worker *w, const struct egw_snapshot *snap, struct rte_mbuf *m,
	const struct egw_pkt_meta *meta, struct egw_flow *f, struct egw_pending *p, unsigned dir);

/* Late-bound F (in P) allowed by V: bound with V's pool and exit, our SYN sent. */
void egw_pl_late_admit(struct egw_worker *w, const struct egw_snapshot *snap, struct egw_flow *f,
	struct egw_pending *p, const struct egw_verdict *v);

/* P is past its deadline: true when it was a late-bound flow whose SYN got no answer (the
 * client is reset), false when the ordinary timeout applies. */
bool egw_pl_late_expired(struct egw_worker *w, struct egw_pending *p);

/* The splice of late-bound F applied to M (META) from DIR, in place. */
void egw_pl_late_splice(struct rte_mbuf *m, const struct egw_pkt_meta *meta,
	const struct egw_flow *f, unsigned dir);

/* ---- from the pending side (host_pending.c) ---- */

/* F's pending slot, or NULL. */
struct egw_pending *egw_pl_pending_of(struct egw_worker *w, const struct egw_flow *f);
/* F waits in a new pending slot from SEQ0 on, bound with exit VIA (NAMED: for its host name,
 * else for the server: syn_cookies); returns it. */
struct egw_pending *egw_pl_pending_take(struct egw_worker *w, const struct egw_snapshot *snap,
	struct egw_flow *f, uint32_t seq0, uint16_t via, bool named);
/* Gives P's slot back (its held packets are the caller's); F is no longer pending. */
void egw_pl_pending_release(struct egw_worker *w, struct egw_flow *f, struct egw_pending *p);
/* The policy bookkeeping of pending F allowed by V (counters, log; NAMED: decided by its host
 * name, which it keeps). */
void egw_pl_pending_admitted(struct egw_worker *w, const struct egw_snapshot *snap,
	struct egw_flow *f, const struct egw_verdict *v, bool named);
/* Holds client segment M (META, TCP header TCP) of P. 0: held; 1: dropped (a duplicate, or
 * no room now); 2: over the flow's limit, not taken. */
int egw_pl_pending_hold(struct egw_worker *w, const struct egw_snapshot *snap,
	struct egw_pending *p, struct rte_mbuf *m, const struct egw_pkt_meta *meta);
/* The metadata held segment M carries. */
void egw_pl_held_meta(const struct egw_worker *w, const struct rte_mbuf *m,
	struct egw_pkt_meta *meta);

/* ---- from the new-flow side (flow_new.c) ---- */

/* Late-bound F, allowed with policy RT (NULL: the mode), takes RT's exit and pool instead of
 * the provisional binding it was committed with. EGW_DROP_NONE or why it cannot. */
enum egw_drop_reason egw_pl_flow_rebind(struct egw_worker *w, const struct egw_snapshot *snap,
	struct egw_flow *f, const struct egw_policy_rt *rt);

/* A spliced flow's packet M sent on (pipeline.c): spliced, tracked, translated, forwarded. */
void egw_pl_flow_send_spliced(struct egw_worker *w, struct rte_mbuf *m, struct egw_pkt_meta *meta,
	struct egw_flow *f, unsigned dir);

#endif
