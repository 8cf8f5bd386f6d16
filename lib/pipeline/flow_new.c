/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The slow path of a new flow from the inside: what state it starts in, whether it may leave
 * (mode, policy, quota), where it goes (routes, strict uRPF), which egress tuple it gets (NAT
 * address and port, per-source share), and its commit into the flow table. Once per flow, never
 * per packet.
 */
#include <netinet/in.h>
#include <string.h>

#include "flow/tcp.h"
#include "flow_life.h"
#include "late_bind.h"
#include "pipeline_internal.h"
#include "exception_internal.h"
#include "policy/decide.h"

/*
 * May a flow with KEY leave? The mode first, then the best matching policy (priority, then
 * file order). *RT is the policy that decided, NULL when the mode did.
 */
enum egw_drop_reason egw_pl_admit(const struct egw_snapshot *snap, const struct egw_flow_key *key,
	const struct egw_policy_rt **rt)
{
	*rt = NULL;
	if (snap->mode == EGW_MODE_DENY)
		return EGW_DROP_MODE_DENY;
	if (snap->cls) {
		const struct egw_cls_key ck = egw_pl_cls_key(key);
		const struct egw_cls_rule *r = egw_cls_lookup(snap->cls, &ck);
		if (r)
			*rt = &snap->policies[r->id];
	}
	if (*rt && egw_action_refuses((*rt)->action))
		return EGW_DROP_POLICY_DENY;
	/* Passthrough admits what no deny policy stops; policy mode needs an allow policy. */
	if (!*rt && snap->mode == EGW_MODE_POLICY)
		return EGW_DROP_POLICY_NO_MATCH;
	return EGW_DROP_NONE;
}

/* The state a new flow starts in, or the reason its first packet cannot start one. */
static enum egw_drop_reason initial_state(const struct egw_worker *w,
	const struct egw_pkt_meta *meta, uint8_t *state)
{
	if (meta->kind == EGW_PKT_ICMP_ERROR)
		return EGW_DROP_ICMP_ERROR_NO_FLOW;
	switch (meta->proto) {
	case IPPROTO_TCP:
		/* A SYN opens a connection; with pickup, a mid-stream ACK segment adopts one. */
		if (!egw_tcp_may_start(meta->tcp_flags, w->dp->tcp_pickup))
			return EGW_DROP_TCP_NOT_SYN;
		*state = egw_tcp_initial_state(meta->tcp_flags);
		return EGW_DROP_NONE;
	case IPPROTO_UDP:
		*state = EGW_UDP_REQUEST;
		return EGW_DROP_NONE;
	default:
		if (meta->icmp_type != EGW_ICMP_ECHO_REQUEST)
			return EGW_DROP_ICMP_UNSUPPORTED;
		*state = EGW_FLOW_ICMP;
		return EGW_DROP_NONE;
	}
}

/* The first packet M (META) of a new flow KEY, should it be refused. */
struct refusal {
	struct rte_mbuf *m;
	const struct egw_pkt_meta *meta;
	const struct egw_flow_key *key;
};

/* Drops R's packet, refused for WHY by RT (NULL: the mode), or answers it as SNAP says (flow
 * log: deny, with the action). */
static void refuse(struct egw_worker *w, const struct egw_snapshot *snap, const struct refusal *r,
	const struct egw_policy_rt *rt, enum egw_drop_reason why)
{
	enum egw_pl_answer answer = egw_pl_answer_of(snap, rt, why);
	struct egw_pkt_meta meta = *r->meta;

	/* Flows the mode decides log whenever the flow log is on: no policy to opt in. */
	egw_flow_refused(w, r->key, rt ? rt->slot : 0, !rt || rt->log, why,
		answer != EGW_PL_ANSWER_NONE);
	egw_pl_refuse_packet(w, snap, r->m, &meta, why, answer);
}

/* A flow an outside packet would open through a mapping, refused: logged (under the mode)
 * and dropped, never answered: rejects answer the inside only. */
static void refuse_inbound(struct egw_worker *w, struct rte_mbuf *m, const struct egw_flow_key *key,
	enum egw_drop_reason why)
{
	egw_flow_refused(w, key, 0, true, why, false);
	egw_drop(&w->stats, m, why);
}

/* Where a new flow's packets leave (ORIG: toward the outside) and come back (REPLY). */
struct flow_route {
	uint16_t out_port, in_port;
};

/*
 * The ports of a flow from META.src to META.dst that arrived on IN_PORT: replies must be
 * routable back through the port the flow came in on (strict uRPF), and a policy's "via"
 * names the exit. EGW_DROP_NONE or no_route.
 */
static enum egw_drop_reason route_flow(const struct egw_dataplane *dp,
	const struct egw_pkt_meta *meta, uint16_t in_port, const struct egw_policy_rt *rt,
	struct flow_route *r)
{
	uint32_t nh;

	if (egw_route_lookup(&dp->to_inside, meta->src, &r->in_port, &nh) < 0 ||
		r->in_port != in_port)
		return EGW_DROP_NO_ROUTE;
	if (rt && rt->via_port != EGW_VIA_DEFAULT) {
		r->out_port = rt->via_port;
		if (egw_route_lookup_port(&dp->to_outside, meta->dst, r->out_port, &nh) < 0)
			return EGW_DROP_NO_ROUTE;
	} else if (egw_route_lookup(&dp->to_outside, meta->dst, &r->out_port, &nh) < 0) {
		return EGW_DROP_NO_ROUTE;
	}
	return EGW_DROP_NONE;
}

struct port_probe {
	struct egw_flow_table *ft;
	/* Endpoint-independent: a port is the mapping's toward every destination, so one an
	 * existing mapping holds is taken (and never reclaimed from a single flow). */
	const struct egw_nat_maps *eim;
	struct egw_flow_key reply;
	/* Among the flows holding the ports tried: the finished one idle longest, the one to
	 * reclaim when no port is free. */
	struct egw_flow *oldest;
	uint16_t oldest_port;
};

/* F holds PORT_BE: the one to reclaim if it is finished and idle longest so far. */
static void note_holder(struct port_probe *p, struct egw_flow *f, uint16_t port_be)
{
	if (f && egw_flow_finished(f->state) &&
		(!p->oldest || (int32_t)(f->last_seen - p->oldest->last_seen) < 0)) {
		p->oldest = f;
		p->oldest_port = port_be;
	}
}

static bool nat_port_taken(void *ctx, uint16_t port_be)
{
	struct port_probe *p = ctx;
	struct egw_flow *f;
	unsigned dir;
	uint32_t id;

	if (p->eim) {
		id = egw_nat_map_find_outside(p->eim, p->reply.b_addr, port_be, p->reply.proto);
		if (id != EGW_NAT_MAP_NONE) {
			/* Reclaimable only through the one flow that ever held it. */
			const uint32_t sole = egw_nat_map_get(p->eim, id)->sole;
			if (sole != EGW_NAT_MAP_SHARED)
				note_holder(p, egw_flow_at(p->ft, sole), port_be);
			return true;
		}
	}
	/* Endpoint-dependent mapping: an external tuple is unique per remote endpoint, which
	 * is exactly "no flow holds this reply key". ICMP: the id is both ports of the key. */
	p->reply.b_port = port_be;
	if (p->reply.proto == IPPROTO_ICMP)
		p->reply.a_port = port_be;
	f = egw_flow_lookup(p->ft, &p->reply, &dir);
	if (!f)
		return false;
	note_holder(p, f, port_be);
	return true;
}

/*
 * The mapping a reused 5-tuple had (KEEP), if it is still right for F under POOL: the address
 * the pool gives F's tuple now, a port of the pool's range in this worker's slice, and free
 * (its old flow has just ended). Keeping it lets late segments of the old connection and the
 * new one look the same to the server (RFC 4787 REQ-1, RFC 5382 REQ-1).
 */
static bool keep_mapping(struct egw_worker *w, const struct egw_nat_pool *pool,
	const struct egw_pl_mapping *keep, struct port_probe *probe)
{
	const uint16_t port = rte_be_to_cpu_16(keep->port);

	if (!keep->nat || keep->addr != probe->reply.b_addr || port < pool->port_first ||
		port > pool->port_last || egw_nat_port_owner(keep->port, w->dp->n_workers) != w->id)
		return false;
	return !nat_port_taken(probe, keep->port);
}

/*
 * No free port toward F's destination: the finished flow idle longest among those holding
 * the ports tried (TCP time-wait or closed, an answered UDP request) gives its port up,
 * ended as "reclaimed". False when none of them is finished.
 */
static bool reclaim_port(struct egw_worker *w, struct port_probe *probe, uint16_t *port_be)
{
	if (!probe->oldest)
		return false;
	*port_be = probe->oldest_port;
	w->stats.nat_port_reclaimed++;
	egw_pipeline_end_flow(w, probe->oldest, EGW_END_RECLAIMED);
	probe->oldest = NULL;
	return true;
}

/*
 * A port for F from POOL (PROBE set toward its destination): KEEP's when it still fits, a free
 * one of this worker's slice, else a reclaimed one. False when none is left (counted for its
 * egress address).
 */
static bool choose_port(struct egw_worker *w, const struct egw_nat_pool *pool,
	const struct egw_flow *f, const struct egw_pl_mapping *keep, struct port_probe *probe,
	uint16_t *port_be)
{
	struct egw_dataplane *dp = w->dp;
	struct egw_addr_stat *a;

	if (keep && keep_mapping(w, pool, keep, probe)) {
		*port_be = keep->port;
		return true;
	}
	if (egw_nat_alloc_port(pool, &dp->secret, w->id, dp->n_workers, &f->orig, &w->nat_counter,
		    nat_port_taken, probe, port_be) == 0 ||
		reclaim_port(w, probe, port_be))
		return true;
	a = egw_addr_stats_get(&w->addrs, f->nat_addr);
	if (a)
		a->exhausted++;
	return false;
}

/*
 * Endpoint-independent mapping (RFC 4787 REQ-1, RFC 5382 REQ-1): F's inside endpoint keeps the
 * external port it already has toward other destinations, or gets a new mapping; F holds a
 * reference to it (egw_flow_release_mapping gives it back). EGW_DROP_NONE or nat_exhausted.
 */
static enum egw_drop_reason bind_eim(struct egw_worker *w, const struct egw_nat_pool *pool,
	struct egw_flow *f, const struct egw_pl_mapping *keep, struct port_probe *probe,
	uint16_t *port_be)
{
	const struct egw_flow_key *key = &f->orig;
	struct egw_nat_map m = { .in_addr = key->a_addr,
		.ext_addr = f->nat_addr,
		.in_port = key->a_port,
		.proto = key->proto,
		.filtering = pool->filtering };
	uint32_t id = egw_nat_map_find_inside(&w->maps, key->a_addr, key->a_port, key->proto,
		f->nat_addr);

	if (id != EGW_NAT_MAP_NONE) {
		*port_be = egw_nat_map_get(&w->maps, id)->ext_port;
		/* Free toward this destination unless a flow of an endpoint-dependent pool, kept
		 * from before a reload, holds the tuple. */
		if (nat_port_taken(probe, *port_be) ||
			egw_nat_map_ref(&w->maps, id, key->b_addr) < 0)
			return EGW_DROP_NAT_EXHAUSTED;
	} else {
		probe->eim = &w->maps;
		if (!choose_port(w, pool, f, keep, probe, port_be))
			return EGW_DROP_NAT_EXHAUSTED;
		m.ext_port = *port_be;
		id = egw_nat_map_add(&w->maps, &m, key->b_addr, egw_flow_index(w->ft, f));
		if (id == EGW_NAT_MAP_NONE)
			return EGW_DROP_NAT_EXHAUSTED;
	}
	f->nat_map = id;
	w->stats.nat_mappings = egw_nat_maps_active(&w->maps);
	return EGW_DROP_NONE;
}

/*
 * The egress tuple of F (its orig key set) from POOL, or its own when POOL is NULL (routed
 * untranslated): address, a port free toward this destination (the mapping's with
 * endpoint-independent mapping; KEEP's when it still fits, a reclaimed one when none is free),
 * and its source's share (counted for every translated flow, limited when the pool says so).
 * EGW_DROP_NONE, nat_exhausted or nat_source_limit (what F took is in its flags and its
 * mapping slot).
 */
static enum egw_drop_reason bind_nat(struct egw_worker *w, const struct egw_nat_pool *pool,
	struct egw_flow *f, const struct egw_pl_mapping *keep)
{
	struct egw_dataplane *dp = w->dp;
	const struct egw_flow_key *key = &f->orig;
	struct port_probe probe = { .ft = w->ft };
	enum egw_drop_reason why = EGW_DROP_NONE;
	uint16_t nat_port;

	f->nat_map = EGW_NAT_MAP_NONE;
	if (!pool) {
		f->nat_addr = key->a_addr;
		f->nat_port = key->a_port;
		return EGW_DROP_NONE;
	}
	f->nat_addr = egw_nat_pick_addr(pool, &dp->secret, key);
	egw_flow_key_set(&probe.reply, key->b_addr, f->nat_addr, key->b_port, 0, key->proto,
		EGW_ZONE_OUTSIDE);
	if (pool->mapping == EGW_MAPPING_ENDPOINT_INDEPENDENT)
		why = bind_eim(w, pool, f, keep, &probe, &nat_port);
	else if (!choose_port(w, pool, f, keep, &probe, &nat_port))
		why = EGW_DROP_NAT_EXHAUSTED;
	if (why != EGW_DROP_NONE)
		return why;
	f->nat_port = nat_port;
	f->flags |= EGW_FLOW_F_NAT;
	/* Counted even without a limit: telemetry shows the sources holding most mappings. */
	if (egw_source_limit_acquire(&w->sources, key->a_addr,
		    egw_source_limit_share(pool->max_per_source, dp->n_workers)) < 0)
		return EGW_DROP_NAT_SOURCE_LIMIT;
	f->flags |= EGW_FLOW_F_SRC_COUNTED;
	return EGW_DROP_NONE;
}

static void note_finished(void *ctx, struct egw_flow *f)
{
	struct egw_flow **oldest = ctx;

	if (egw_flow_finished(f->state) &&
		(!*oldest || (int32_t)(f->last_seen - (*oldest)->last_seen) < 0))
		*oldest = f;
}

/*
 * The table is full: the finished flow idle longest among the next EGW_RECLAIM_SCAN records
 * (from a cursor of its own, round and round) ends ("reclaimed", flows_reclaimed) to make room.
 * Bounded work per refused flow; false when none of those records is finished.
 */
static bool reclaim_record(struct egw_worker *w)
{
	const uint32_t capacity = egw_flow_table_capacity(w->ft);
	uint32_t budget = RTE_MIN((uint32_t)EGW_RECLAIM_SCAN, capacity);
	struct egw_flow *oldest = NULL;

	while (budget) {
		budget -= egw_flow_scan(w->ft, &w->reclaim_cursor, budget, note_finished, &oldest);
		if (w->reclaim_cursor >= capacity)
			w->reclaim_cursor = 0;
	}
	if (!oldest)
		return false;
	w->stats.flows_reclaimed++;
	egw_pipeline_end_flow(w, oldest, EGW_END_RECLAIMED);
	return true;
}

/* Inserts F's keys and starts its life. EGW_DROP_NONE or flow_table_full. */
static enum egw_drop_reason commit_flow(struct egw_worker *w, const struct egw_snapshot *snap,
	struct egw_flow *f, uint8_t state, const struct flow_route *r)
{
	struct egw_flow_key reply;

	egw_flow_reply_key(f, &reply);
	/* The original key just missed; a translated reply key was just probed free
	 * (nat_port_taken). Only an untranslated flow's reply key is unchecked. */
	if ((!(f->flags & EGW_FLOW_F_NAT) && egw_flow_key_exists(w->ft, &reply)) ||
		egw_flow_commit_new(w->ft, f, &reply, w->now) < 0)
		return EGW_DROP_FLOW_TABLE_FULL;
	f->state = state;
	if (egw_tcp_half_open(state))
		w->stats.tcp_half_open++;
	f->last_seen = w->now;
	f->packets[0] = f->packets[1] = 0;
	f->bytes[0] = f->bytes[1] = 0;
	f->generation = (uint16_t)snap->epoch;
	f->port[EGW_DIR_ORIG] = (uint8_t)r->out_port;
	f->port[EGW_DIR_REPLY] = (uint8_t)r->in_port;
	/* To one of our own pool addresses: translated, then turned back inside (hairpin). */
	f->neigh[EGW_DIR_ORIG] = egw_addr_set_contains(&snap->pool_addrs, f->orig.b_addr) ?
					 EGW_NEIGH_HAIRPIN :
					 EGW_NEIGH_NONE;
	f->neigh[EGW_DIR_REPLY] = EGW_NEIGH_NONE;
	if (f->orig.proto == IPPROTO_TCP) /* the windows are learned from its packets */
		memset(&f->tcp_win, 0, sizeof(f->tcp_win));
	f->late = 0;
	w->stats.flows_created++;
	/* A pending flow counts for the policy that decides it, once it is decided. */
	if (!(f->flags & EGW_FLOW_F_PENDING))
		w->policy[f->policy].flows++;
	egw_flow_started(w, f);
	return EGW_DROP_NONE;
}

/* The MSS our cookie SYN-ACK announces: what fits both ports the flow crosses. */
static uint16_t late_mss(const struct egw_worker *w, uint16_t in_port, uint16_t out_port)
{
	uint16_t mtu = RTE_MIN(w->dp->ports[in_port].mtu, w->dp->ports[out_port].mtu);

	return (uint16_t)(mtu - 40); /* IPv4 and TCP headers without options */
}

/* The client's ACK M (META) of flow KEY, which had a cookie, refused for WHY: only the client
 * knows the connection, and it is reset. */
static void refuse_late(struct egw_worker *w, struct rte_mbuf *m, const struct egw_pkt_meta *meta,
	enum egw_drop_reason why)
{
	egw_pl_rst_to_sender(w, m, meta);
	egw_drop(&w->stats, m, why);
}

/*
 * The client's ACK M (META) proved our cookie for KEY (its handshake L, first data byte SEQ0):
 * decided again (a reload since the SYN counts), the flow is made, bound provisionally (its
 * own addresses: nothing leaves before the name decides) and waits for its name. The flow, or
 * NULL after M was dropped (and the client reset).
 */
static struct egw_flow *flow_late(struct egw_worker *w, const struct egw_snapshot *snap,
	struct rte_mbuf *m, const struct egw_pkt_meta *meta, const struct egw_flow_key *key,
	const struct egw_late *l, uint32_t seq0)
{
	const bool cookies = snap->syn_cookies != EGW_SYN_COOKIES_OFF;
	struct egw_verdict v = { .late = false };
	struct flow_route route;
	enum egw_drop_reason why;
	struct egw_pending *p;
	struct egw_flow *f;
	bool quota = false;

	if (snap->host) {
		why = egw_pl_admit_named(w, snap, key, EGW_TCP_SYN, &v);
	} else {
		why = egw_pl_admit(snap, key, &v.rt);
		v.kind = why == EGW_DROP_NONE ? EGW_VERDICT_ALLOW : EGW_VERDICT_DENY;
	}
	/* With syn_cookies any flow may have had one; else only one that binds late. */
	if (why == EGW_DROP_NONE && !(v.kind == EGW_VERDICT_PENDING && (v.late || cookies)) &&
		!(v.kind == EGW_VERDICT_ALLOW && cookies))
		why = EGW_DROP_LATE_STALE;
	if (why == EGW_DROP_NONE && v.kind == EGW_VERDICT_ALLOW && v.rt && v.rt->max_flows) {
		quota = egw_pl_quota_take(w->dp, v.rt);
		why = quota ? EGW_DROP_NONE : EGW_DROP_POLICY_MAX_FLOWS;
	}
	if (why == EGW_DROP_NONE)
		why = route_flow(w->dp, meta, m->port, v.rt, &route);
	if (why == EGW_DROP_NONE && !egw_pl_host_can_wait(w))
		why = EGW_DROP_HOST_HOLD_FULL;
	if (why == EGW_DROP_NONE) {
		f = egw_flow_alloc(w->ft);
		if (!f && reclaim_record(w))
			f = egw_flow_alloc(w->ft);
		why = f ? EGW_DROP_NONE : EGW_DROP_FLOW_TABLE_FULL;
	}
	if (why != EGW_DROP_NONE) {
		if (quota)
			__atomic_fetch_sub(&w->dp->policy_active[v.rt->slot], 1, __ATOMIC_RELAXED);
		refuse_late(w, m, meta, why);
		return NULL;
	}
	f->orig = *key;
	f->flags = EGW_FLOW_F_PENDING | (quota ? EGW_FLOW_F_QUOTA : 0);
	f->policy = v.rt ? v.rt->slot : 0;
	why = bind_nat(w, NULL, f, NULL);
	if (why == EGW_DROP_NONE)
		why = commit_flow(w, snap, f, EGW_TCP_SYN_SENT, &route);
	if (why != EGW_DROP_NONE) {
		egw_flow_release_shares(w, f);
		egw_flow_abort(w->ft, f);
		refuse_late(w, m, meta, why);
		return NULL;
	}
	p = egw_pl_late_wait(w, snap, f, l, seq0, v.rt ? v.rt->via_port : EGW_VIA_DEFAULT,
		v.kind == EGW_VERDICT_PENDING);
	/* Decided already (syn_cookies, no name to wait for): our SYN goes now. */
	if (v.kind == EGW_VERDICT_ALLOW)
		egw_pl_late_admit(w, snap, f, p, &v);
	return f;
}

enum egw_drop_reason egw_pl_flow_rebind(struct egw_worker *w, const struct egw_snapshot *snap,
	struct egw_flow *f, const struct egw_policy_rt *rt)
{
	const struct egw_pkt_meta meta = { .src = f->orig.a_addr, .dst = f->orig.b_addr };
	struct egw_flow_key old_reply;
	struct flow_route route;
	enum egw_drop_reason why;

	why = route_flow(w->dp, &meta, f->port[EGW_DIR_REPLY], rt, &route);
	if (why != EGW_DROP_NONE)
		return why;
	egw_flow_reply_key(f, &old_reply);
	why = bind_nat(w, rt ? rt->pool : snap->default_pool, f, NULL);
	if (why == EGW_DROP_NONE && egw_flow_rekey_reply(w->ft, f, &old_reply) < 0)
		why = EGW_DROP_FLOW_TABLE_FULL;
	if (why != EGW_DROP_NONE) {
		/* Back to the provisional binding the index knows it by. */
		egw_flow_release_shares(w, f);
		egw_flow_release_mapping(w, f);
		f->flags &= (uint8_t) ~(EGW_FLOW_F_NAT | EGW_FLOW_F_QUOTA | EGW_FLOW_F_SRC_COUNTED);
		f->nat_addr = f->orig.a_addr;
		f->nat_port = f->orig.a_port;
		return why;
	}
	f->port[EGW_DIR_ORIG] = (uint8_t)route.out_port;
	f->neigh[EGW_DIR_ORIG] = egw_addr_set_contains(&snap->pool_addrs, f->orig.b_addr) ?
					 EGW_NEIGH_HAIRPIN :
					 EGW_NEIGH_NONE;
	egw_flow_started(w, f); /* its address counted now (not logging yet: not decided) */
	return EGW_DROP_NONE;
}

static struct egw_flow *flow_create(struct egw_worker *w, const struct egw_snapshot *snap,
	struct rte_mbuf *m, const struct egw_pkt_meta *meta, const struct egw_flow_key *key,
	const struct egw_pl_mapping *keep)
{
	const struct egw_policy_rt *rt = NULL;
	const struct refusal ref = { m, meta, key };
	struct egw_verdict v = { .learned = false };
	struct flow_route route;
	enum egw_drop_reason why;
	struct egw_flow *f;
	struct egw_late late;
	uint32_t seq0;
	uint8_t state = 0;
	bool pending = false;
	/* An upstream socket of the tunnel: its request was decided already, and its handshake
	 * is the kernel's own (never a cookie of ours). */
	const bool tunnel = unlikely(w->dp->exc != NULL) && m->port == w->dp->exc->port;

	if (unlikely(snap->late_any) && !tunnel && meta->proto == IPPROTO_TCP &&
		egw_pl_late_cookie(w, snap, m, meta, key, &late, &seq0))
		return flow_late(w, snap, m, meta, key, &late, seq0);
	why = initial_state(w, meta, &state);
	if (why != EGW_DROP_NONE) {
		egw_drop(&w->stats, m, why);
		return NULL;
	}
	if (tunnel) {
		why = egw_pl_exception_admit(w, snap, key, &rt);
	} else if (unlikely(snap->host != NULL)) {
		why = egw_pl_admit_named(w, snap, key, meta->tcp_flags, &v);
		rt = v.rt;
		pending = v.kind == EGW_VERDICT_PENDING;
	} else {
		why = egw_pl_admit(snap, key, &rt);
	}
	if (why != EGW_DROP_NONE) {
		w->policy[rt ? rt->slot : 0].denied++;
		refuse(w, snap, &ref, rt, why);
		return NULL;
	}
	why = route_flow(w->dp, meta, m->port, rt, &route);
	if (why != EGW_DROP_NONE) {
		refuse(w, snap, &ref, rt, why);
		return NULL;
	}
	/* Late binding, or syn_cookies: the handshake is ours, with a cookie; nothing is kept. */
	if (!tunnel && meta->proto == IPPROTO_TCP && egw_tcp_may_start(meta->tcp_flags, false) &&
		((pending && v.late) || (unlikely(snap->syn_cookies != EGW_SYN_COOKIES_OFF) &&
						egw_pl_syn_cookie_mode(w, snap)))) {
		egw_pl_late_syn(w, m, meta, key, late_mss(w, m->port, route.out_port));
		return NULL;
	}
	if (pending && !egw_pl_host_can_wait(w)) {
		refuse(w, snap, &ref, rt, EGW_DROP_HOST_HOLD_FULL);
		return NULL;
	}
	f = egw_flow_alloc(w->ft);
	if (!f && reclaim_record(w))
		f = egw_flow_alloc(w->ft);
	if (!f) {
		refuse(w, snap, &ref, rt, EGW_DROP_FLOW_TABLE_FULL);
		return NULL;
	}
	f->orig = *key;
	/* Resolved here, once per flow, so that its end needs no policy lookup. */
	f->flags = w->flowlog && (!rt || rt->log) && !pending ? EGW_FLOW_F_LOG : 0;
	f->flags |= pending ? EGW_FLOW_F_PENDING : 0;
	f->policy = rt ? rt->slot : 0;
	/* A pending flow takes the quota of the policy that allows it, when it does. */
	if (rt && rt->max_flows && !pending) {
		if (!egw_pl_quota_take(w->dp, rt)) {
			egw_flow_abort(w->ft, f);
			w->policy[rt->slot].denied++;
			refuse(w, snap, &ref, rt, EGW_DROP_POLICY_MAX_FLOWS);
			return NULL;
		}
		f->flags |= EGW_FLOW_F_QUOTA;
	}
	why = bind_nat(w, rt ? rt->pool : snap->default_pool, f, keep);
	if (why == EGW_DROP_NONE)
		why = commit_flow(w, snap, f, state, &route);
	if (why != EGW_DROP_NONE) {
		egw_flow_release_shares(w, f);
		egw_flow_release_mapping(w, f);
		egw_flow_abort(w->ft, f);
		refuse(w, snap, &ref, rt, why);
		return NULL;
	}
	if (pending)
		egw_pl_host_wait(w, snap, f, m, meta, rt ? rt->via_port : EGW_VIA_DEFAULT);
	else if (unlikely(v.learned))
		egw_pl_keep_learned(w, f, &v);
	return f;
}

struct egw_flow *egw_pl_flow_new(struct egw_worker *w, const struct egw_snapshot *snap,
	struct rte_mbuf *m, const struct egw_pkt_meta *meta, const struct egw_flow_key *key)
{
	return flow_create(w, snap, m, meta, key, NULL);
}

struct egw_flow *egw_pl_flow_reopen(struct egw_worker *w, const struct egw_snapshot *snap,
	struct rte_mbuf *m, const struct egw_pkt_meta *meta, struct egw_flow *old)
{
	const struct egw_pl_mapping keep = { .addr = old->nat_addr,
		.port = old->nat_port,
		.nat = (old->flags & EGW_FLOW_F_NAT) != 0 };
	const struct egw_flow_key key = old->orig;

	w->stats.flows_reused++;
	egw_pipeline_end_flow(w, old, EGW_END_REUSED);
	return flow_create(w, snap, m, meta, &key, &keep);
}

/*
 * The mapping an outside packet that matched no flow may open a flow through: one whose
 * external endpoint it is sent to and whose filtering lets its sender in (RFC 4787 REQ-8, RFC
 * 5382 REQ-3). EGW_NAT_MAP_NONE when none does.
 */
uint32_t egw_pl_inbound_mapping(struct egw_worker *w, const struct egw_snapshot *snap,
	const struct egw_pkt_meta *meta)
{
	uint32_t id;

	if (meta->kind != EGW_PKT_IPV4 ||
		(meta->proto != IPPROTO_UDP &&
			!(meta->proto == IPPROTO_TCP &&
				egw_tcp_may_start(meta->tcp_flags, false))) ||
		!egw_addr_set_contains(&snap->pool_addrs, meta->dst))
		return EGW_NAT_MAP_NONE;
	id = egw_nat_map_find_outside(&w->maps, meta->dst, meta->dport, meta->proto);
	if (id == EGW_NAT_MAP_NONE)
		return EGW_NAT_MAP_NONE;
	if (!egw_nat_map_filter_allows(&w->maps, id, meta->src)) {
		w->stats.nat_inbound_filtered++;
		return EGW_NAT_MAP_NONE;
	}
	return id;
}

struct egw_flow *egw_pl_flow_inbound(struct egw_worker *w, const struct egw_snapshot *snap,
	struct rte_mbuf *m, const struct egw_pkt_meta *meta, uint32_t id)
{
	const struct egw_nat_map map = *egw_nat_map_get(&w->maps, id);
	struct flow_route route = { .out_port = m->port };
	struct egw_flow_key key;
	enum egw_drop_reason why;
	struct egw_flow *f;
	uint32_t nh;

	/* As if the inside endpoint had sent to the packet's source: its replies leave through
	 * the mapping, and the packet itself is the flow's first reply. */
	egw_flow_key_set(&key, map.in_addr, meta->src, map.in_port, meta->sport, meta->proto,
		EGW_ZONE_INSIDE);
	/* Its inside tuple in use through another egress address (another pool's mapping). */
	if (egw_flow_key_exists(w->ft, &key)) {
		egw_drop(&w->stats, m, EGW_DROP_UNSOLICITED);
		return NULL;
	}
	if (egw_route_lookup(&w->dp->to_inside, map.in_addr, &route.in_port, &nh) < 0) {
		refuse_inbound(w, m, &key, EGW_DROP_NO_ROUTE);
		return NULL;
	}
	f = egw_flow_alloc(w->ft);
	if (!f && reclaim_record(w))
		f = egw_flow_alloc(w->ft);
	if (!f) {
		refuse_inbound(w, m, &key, EGW_DROP_FLOW_TABLE_FULL);
		return NULL;
	}
	f->orig = key;
	f->nat_addr = map.ext_addr;
	f->nat_port = map.ext_port;
	f->flags = EGW_FLOW_F_NAT | (w->flowlog ? EGW_FLOW_F_LOG : 0);
	f->policy = 0;
	f->nat_map = EGW_NAT_MAP_NONE;
	why = EGW_DROP_NAT_SOURCE_LIMIT;
	if (egw_source_limit_acquire(&w->sources, map.in_addr, 0) == 0) {
		f->flags |= EGW_FLOW_F_SRC_COUNTED;
		why = egw_nat_map_ref(&w->maps, id, meta->src) < 0 ? EGW_DROP_NAT_EXHAUSTED :
								     EGW_DROP_NONE;
	}
	if (why == EGW_DROP_NONE) {
		f->nat_map = id;
		/* TCP: the outside sent the SYN, so the inside's first ACK completes it; UDP: an
		 * exchange the outside started, on the stream timer. */
		why = commit_flow(w, snap, f,
			meta->proto == IPPROTO_TCP ? EGW_TCP_SYN_RECV : EGW_FLOW_UDP, &route);
	}
	if (why != EGW_DROP_NONE) {
		egw_flow_release_shares(w, f);
		egw_flow_release_mapping(w, f);
		egw_flow_abort(w->ft, f);
		refuse_inbound(w, m, &key, why);
		return NULL;
	}
	w->stats.nat_inbound_flows++;
	return f;
}
