/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_DECIDE_H
#define EGW_DECIDE_H

/*
 * Deciding a flow on a snapshot, host-name policies included (SPEC 6, issue 11; the model is
 * in lib/policy/README.md). What the data path calls, all pure functions of their arguments,
 * allocation-free, any worker at once, within the RCU read-side section that holds SNAP and
 * NAMES (the view of learned names; NULL when there is none):
 *
 *   first packet of a new flow      egw_policy_decide_new()   ALLOW, DENY or PENDING
 *   PENDING: the first client bytes egw_host_read() until DONE (or the data path gives up)
 *                                   egw_policy_decide_name()  ALLOW or DENY
 *   after the flow is admitted      egw_flow_name_keep()      what the flow keeps
 *   a later packet after a reload   egw_policy_recheck()      ALLOW or DENY
 *   a DNS query with dns_filter     egw_policy_dns_permits()  true or false
 *   a tunnel request (lib/tunnel)   egw_policy_decide_tunnel() ALLOW or DENY
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classifier.h"
#include "common/drop.h"
#include "l7/l7.h"
#include "names/names.h"
#include "snapshot.h"

/* What the first client bytes of a pending TCP flow turned out to be. */
enum egw_seen_kind {
	EGW_SEEN_NOTHING = 0, /* nothing readable in time: host_timeout, or host_hold_bytes full */
	EGW_SEEN_TLS,	      /* a ClientHello */
	EGW_SEEN_HTTP,	      /* an HTTP/1.x request head */
	EGW_SEEN_OTHER,	      /* neither (SSH, HTTP/2 prior knowledge, ...) */
	EGW_SEEN_MALFORMED,   /* TLS or HTTP, but broken or ambiguous (lib/l7 MALFORMED) */
};

struct egw_host_seen {
	uint8_t kind;	    /* enum egw_seen_kind */
	uint8_t name_state; /* TLS/HTTP: enum egw_hostname_state of the SNI / Host */
	uint8_t name_len;
	bool ech;	  /* TLS: an encrypted_client_hello extension was present */
	const char *name; /* normalized (lib/hostname) when name_state is VALID */
};

enum egw_verdict_kind {
	EGW_VERDICT_ALLOW = 0,
	EGW_VERDICT_DENY,
	EGW_VERDICT_PENDING, /* a tls/http policy may still decide: wait for the first bytes */
};

struct egw_verdict {
	uint8_t kind; /* enum egw_verdict_kind */
	uint8_t why;  /* DENY: enum egw_drop_reason */
	uint8_t seen; /* enum egw_seen_kind the decision read (NOTHING at the first packet) */
	bool ech;     /* the ClientHello carried ECH (ech = outer: the outer SNI was matched) */
	bool learned; /* NAME was learned from DNS for the destination (a DNS host policy) */
	/* PENDING: bind late (issue 12): the appliance answers the handshake itself and opens
	 * the upstream one once the name has decided ([egress] host_binding, binding.c). */
	bool late;
	uint8_t name_len;
	/*
	 * The name decided on, NULL when none: the SNI / Host, or with LEARNED the learned name.
	 * Points into the egw_host_seen given or into NAMES: copy it (egw_flow_name_keep) before
	 * either goes.
	 */
	const char *name;
	/*
	 * ALLOW / DENY: the deciding policy; NULL when the mode decided.
	 * PENDING: the policy whose pool and exit the flow is bound with now, before the name is
	 * known (its SYN leaves now): the first allow candidate in precedence order; NULL: the
	 * mode's (default pool, default route).
	 */
	const struct egw_policy_rt *rt;
};

/* First packet of a new flow KEY (host order, as the classifier takes it) at NOW (seconds). */
void egw_policy_decide_new(const struct egw_snapshot *snap, const struct egw_names_view *names,
	const struct egw_cls_key *key, uint32_t now, struct egw_verdict *v);

/* A PENDING flow once its first bytes are read (or given up on): always ALLOW or DENY. */
void egw_policy_decide_name(const struct egw_snapshot *snap, const struct egw_names_view *names,
	const struct egw_cls_key *key, const struct egw_host_seen *seen, uint32_t now,
	struct egw_verdict *v);

/*
 * A tunnel request (lib/tunnel: HTTP CONNECT, SOCKS5) from KEY's source to KEY's destination
 * (the resolved address) for NAME (LEN bytes, normalized; NULL for a literal address): tuple
 * policies by the address, host policies of every protocol (DNS, tls, http) by the name, the
 * best in precedence order. Always ALLOW or DENY.
 */
void egw_policy_decide_tunnel(const struct egw_snapshot *snap, const struct egw_names_view *names,
	const struct egw_cls_key *key, const char *name, size_t len, uint32_t now,
	struct egw_verdict *v);

/* The pool and exit of an ALLOW (or of a PENDING flow's binding). */
static inline const struct egw_nat_pool *egw_verdict_pool(const struct egw_snapshot *snap,
	const struct egw_verdict *v)
{
	return v->rt ? v->rt->pool : snap->default_pool;
}

static inline uint16_t egw_verdict_via(const struct egw_verdict *v)
{
	return v->rt ? v->rt->via_port : EGW_VIA_DEFAULT;
}

/*
 * A pending flow was bound with NAT_ADDR (network order; 0 when not translated) and exit
 * port VIA (EGW_VIA_DEFAULT: the route lookup). Does the policy that allowed it (V) want
 * another pool or exit? Until late binding (issue 12) the flow keeps what it has; the data
 * path counts it.
 */
bool egw_verdict_rebind(const struct egw_snapshot *snap, const struct egw_verdict *v,
	uint32_t nat_addr, uint16_t via);

/* ---- reading the first bytes (host_read.c) ---- */

struct egw_host_read {
	struct egw_host_seen seen; /* DONE: what the bytes are; the name points into L7 */
	uint32_t need;		   /* NEED_MORE: hold at least this many bytes */
	union {
		struct egw_l7_tls tls;
		struct egw_l7_http http;
	} l7;
};

/*
 * Reads a pending flow's first client bytes (BUF, LEN, reassembled in order from the first
 * byte): NEED_MORE (R->need) or DONE (R->seen). Every call starts over; ~0.5 us for a 2 KB
 * ClientHello. R lives on the worker's stack (about 300 bytes).
 */
enum egw_l7_status egw_host_read(const uint8_t *buf, uint32_t len, struct egw_host_read *r);

/* ---- what a flow keeps, and the re-check after a reload ---- */

/* Per admitted flow, for the re-check, the flow log and /egw/flows (262 bytes). */
struct egw_flow_name {
	uint8_t seen; /* EGW_SEEN_TLS / EGW_SEEN_HTTP when NAME is the SNI / Host, else NOTHING */
	bool ech;
	bool learned; /* NAME is the learned name that admitted it */
	uint8_t len;
	char name[EGW_HOSTNAME_MAX + 1];
};

/* Fills FN from the verdict that admitted the flow. */
void egw_flow_name_keep(struct egw_flow_name *fn, const struct egw_verdict *v);

/*
 * Is the flow KEY, admitted with FN (NULL: decided at its first packet, nothing kept), still
 * allowed by SNAP? It is decided as a new flow would be, with the bytes it was admitted on
 * (so its TLS/HTTP name counts as it did) and with a learned name it was admitted by
 * counted as learned (an entry that expired never cuts a flow it admitted). Never PENDING:
 * tls/http policies match only the name the flow showed. *V says which policy decided.
 */
void egw_policy_recheck(const struct egw_snapshot *snap, const struct egw_names_view *names,
	const struct egw_cls_key *key, const struct egw_flow_name *fn, uint32_t now,
	struct egw_verdict *v);

/* ---- dns_filter (dns_filter.c) ---- */

/*
 * [egress] dns_filter: may inside source SRC (host order) resolve NAME (LEN bytes,
 * normalized; NULL when the question is not a host name)? False when no policy permits it
 * (lib/policy/README.md, "dns_filter"): the query is answered NXDOMAIN. Always true when
 * dns_filter is off. *RT (may be NULL) is the deciding policy, NULL for the mode.
 */
bool egw_policy_dns_permits(const struct egw_snapshot *snap, uint32_t src, const char *name,
	size_t len, const struct egw_policy_rt **rt);

#endif
