/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOW_LIFE_H
#define EGW_FLOW_LIFE_H

/*
 * Pipeline-internal: what happens around a flow's birth and death besides the packet itself
 * (flow log records, per-address NAT counters, quota and source share). Worker only.
 */
#include "dataplane_internal.h"
#include "policy/decide.h"

/* Gives back F's policy quota and source share (flags say which it holds). */
void egw_flow_release_shares(struct egw_worker *w, struct egw_flow *f);

/* Gives back the endpoint-independent mapping F holds, if any (its last flow removes it). */
void egw_flow_release_mapping(struct egw_worker *w, struct egw_flow *f);

/* F was just committed, its NAT port taken: count the mapping, log the start if F logs. */
void egw_flow_started(struct egw_worker *w, struct egw_flow *f);

/* A new flow KEY was refused for WHY; LOG: its policy (or the mode) asks for flow logging;
 * REJECTED: the refusal is answered (action reject), not dropped silently. */
void egw_flow_refused(struct egw_worker *w, const struct egw_flow_key *key, uint32_t slot, bool log,
	enum egw_drop_reason why, bool rejected);

/* Pending F was allowed (host_pending.c): log its start now, if it logs. */
void egw_flow_decided(struct egw_worker *w, struct egw_flow *f);

/* A pending flow KEY was refused for WHY by verdict V (which names the host); both its ends
 * are reset, which the record says as action reject. */
void egw_flow_refused_named(struct egw_worker *w, const struct egw_flow_key *key, uint32_t slot,
	bool log, enum egw_drop_reason why, const struct egw_verdict *v);

/* F ends (or the worker stops: SHUTDOWN): its held segments are dropped, its name forgotten
 * (host_pending.c). */
void egw_pl_host_flow_end(struct egw_worker *w, struct egw_flow *f, bool shutdown);

/*
 * F's state has just changed from WAS (tracking, a policy reset). Into a finished state
 * (egw_flow_finished): its source share and quota go back and it counts as time-wait; out of
 * one (a new request or a stream on an answered UDP flow): it holds a source share again.
 */
void egw_flow_state_changed(struct egw_worker *w, struct egw_flow *f, uint8_t was);

/* F is refused from now on (a policy change, a flushed flow's first packet, a denied name):
 * closed as by an RST (transitory timeout, its tuple kept from reuse), its shares given back,
 * every later packet answered as revoked. */
void egw_flow_revoke(struct egw_worker *w, struct egw_flow *f);

/* The next flow id of worker W (flow_events.h), at W's loop time. */
uint64_t egw_flow_id_next(struct egw_worker *w);

/* F's end record now, though F stays in the table (a flushed TCP flow answering RSTs until
 * its timeout); its removal then logs nothing. */
void egw_flow_log_end(struct egw_worker *w, struct egw_flow *f, enum egw_flow_end why);

/* Expiry callback (egw_flow_expire_cb): F is about to be removed, idle past its timeout. */
void egw_flow_expired(void *worker, struct egw_flow *f);

#endif
