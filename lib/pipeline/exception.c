/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exception path of the tunnel service (exception.h): what crosses between the data path
 * and the kernel's TCP, and the admissions that bind an upstream flow to its tunnel's decision.
 * Per packet it costs the data path one pointer test (the path is off: NULL) and, on the
 * exception port and on packets to our own addresses, a few compares.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "exception_internal.h"
#include "pipeline_internal.h"

/* One admission on its way to the owning worker: ring element (multiple of 4 bytes). */
struct exc_msg {
	uint64_t epoch;
	uint32_t dst_be, policy;
	uint16_t lport_be, dport_be;
	uint32_t pad;
};

/*
 * Admissions waiting for their SYN, by local port: the engine walks the ephemeral range, so
 * connections pending at once have different ports and collide only past EXC_SLOTS of them.
 */
#define EXC_SLOTS 4096
#define EXC_RING 4096

struct exc_slot {
	uint64_t epoch;
	uint32_t dst_be, policy;
	uint16_t lport_be, dport_be;
	bool used;
};

struct exc_worker {
	struct rte_ring *ring; /* tunnel thread -> this worker */
	uint64_t to_kernel, from_kernel, upstream, admitted;
	struct exc_slot slots[EXC_SLOTS];
};

int egw_dataplane_set_exception(struct egw_dataplane *dp, const struct egw_exception_params *p)
{
	struct egw_exception *x;
	char name[RTE_RING_NAMESIZE];

	if (dp->exc)
		return -EEXIST;
	x = rte_zmalloc("egw_exception", sizeof(*x), RTE_CACHE_LINE_SIZE);
	if (!x)
		return -ENOMEM;
	x->port = p->port;
	x->kernel_mac = p->kernel_mac;
	x->source_be = rte_cpu_to_be_32(p->source);
	for (unsigned i = 0; i < EGW_EXCEPTION_LISTENERS; i++) {
		x->listen_addr_be[i] = rte_cpu_to_be_32(p->listeners[i].addr);
		x->listen_port_be[i] = rte_cpu_to_be_16(p->listeners[i].port);
	}
	for (unsigned i = 0; i < EGW_EXCEPTION_RESOLVERS; i++)
		x->resolver_be[i] = rte_cpu_to_be_32(p->resolvers[i]);
	for (unsigned i = 0; i < dp->n_workers; i++) {
		x->w[i] = rte_zmalloc("egw_exception_w", sizeof(*x->w[i]), RTE_CACHE_LINE_SIZE);
		snprintf(name, sizeof(name), "%.15s_exc%u", dp->name, i % EGW_MAX_WORKERS);
		if (x->w[i])
			x->w[i]->ring = rte_ring_create_elem(name, sizeof(struct exc_msg), EXC_RING,
				SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!x->w[i] || !x->w[i]->ring) {
			egw_exception_free(x, dp->n_workers);
			return -ENOMEM;
		}
	}
	/* The tunnel thread's QSBR id: the one after the workers' (egw_dataplane_create). */
	rte_rcu_qsbr_thread_register(dp->rcu.qsbr, dp->n_workers);
	dp->exc = x;
	return 0;
}

void egw_exception_free(struct egw_exception *x, unsigned n_workers)
{
	if (!x)
		return;
	for (unsigned i = 0; i < n_workers; i++) {
		if (x->w[i])
			rte_ring_free(x->w[i]->ring);
		rte_free(x->w[i]);
	}
	rte_free(x);
}

int egw_dataplane_exception_admit(struct egw_dataplane *dp, uint16_t lport, uint32_t dst,
	uint16_t dport, uint32_t policy, uint64_t epoch)
{
	struct egw_exception *x = dp->exc;
	struct exc_msg msg = { .epoch = epoch,
		.dst_be = rte_cpu_to_be_32(dst),
		.policy = policy,
		.lport_be = rte_cpu_to_be_16(lport),
		.dport_be = rte_cpu_to_be_16(dport) };
	unsigned owner;

	if (!x)
		return -ENODEV;
	/* The worker the SYN's inside endpoint hashes to (rx_key.h egw_pl_packet_owner). */
	owner = egw_pl_endpoint_owner(dp, NULL, x->source_be, msg.lport_be, IPPROTO_TCP);
	if (rte_ring_enqueue_elem(x->w[owner]->ring, &msg, sizeof(msg)) < 0) {
		__atomic_fetch_add(&x->admissions_dropped, 1, __ATOMIC_RELAXED);
		return -ENOBUFS;
	}
	return 0;
}

const struct egw_snapshot *egw_dataplane_exception_read_begin(struct egw_dataplane *dp,
	const struct egw_names_view **names)
{
	rte_rcu_qsbr_thread_online(dp->rcu.qsbr, dp->n_workers);
	*names = egw_rcu_load(&dp->names_rcu);
	return egw_rcu_load(&dp->rcu);
}

void egw_dataplane_exception_read_end(struct egw_dataplane *dp)
{
	rte_rcu_qsbr_thread_offline(dp->rcu.qsbr, dp->n_workers);
}

void egw_dataplane_exception_stats(const struct egw_dataplane *dp, struct egw_exception_stats *out)
{
	const struct egw_exception *x = dp->exc;

	memset(out, 0, sizeof(*out));
	if (!x)
		return;
	for (unsigned i = 0; i < dp->n_workers; i++) {
		out->to_kernel += __atomic_load_n(&x->w[i]->to_kernel, __ATOMIC_RELAXED);
		out->from_kernel += __atomic_load_n(&x->w[i]->from_kernel, __ATOMIC_RELAXED);
		out->upstream += __atomic_load_n(&x->w[i]->upstream, __ATOMIC_RELAXED);
		out->admitted += __atomic_load_n(&x->w[i]->admitted, __ATOMIC_RELAXED);
	}
	out->admissions_dropped = __atomic_load_n(&x->admissions_dropped, __ATOMIC_RELAXED);
}

/* ---- the data path ---- */

static inline int listener_of(const struct egw_exception *x, uint32_t addr_be, uint16_t port_be)
{
	for (int i = 0; i < EGW_EXCEPTION_LISTENERS; i++)
		if (x->listen_port_be[i] && x->listen_addr_be[i] == addr_be &&
			x->listen_port_be[i] == port_be)
			return i;
	return -1;
}

static inline bool is_listener_addr(const struct egw_exception *x, uint32_t addr_be)
{
	for (int i = 0; i < EGW_EXCEPTION_LISTENERS; i++)
		if (x->listen_port_be[i] && x->listen_addr_be[i] == addr_be)
			return true;
	return false;
}

bool egw_pl_exception_local(struct egw_worker *w, struct rte_mbuf *m,
	const struct egw_pkt_meta *meta, const struct egw_port_info *in)
{
	struct egw_exception *x = w->dp->exc;
	struct rte_ether_hdr *eth;

	if (in->zone != EGW_ZONE_INSIDE || meta->kind != EGW_PKT_IPV4 ||
		meta->proto != IPPROTO_TCP || listener_of(x, meta->dst, meta->dport) < 0)
		return false;
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	rte_ether_addr_copy(&x->kernel_mac, &eth->dst_addr);
	rte_ether_addr_copy(&w->dp->ports[x->port].mac, &eth->src_addr);
	x->w[w->id]->to_kernel++;
	egw_pl_tx_enqueue(w, x->port, m);
	return true;
}

bool egw_pl_exception_from_kernel(struct egw_worker *w, struct rte_mbuf *m,
	const struct egw_pkt_meta *meta)
{
	struct egw_exception *x = w->dp->exc;
	struct egw_dataplane *dp = w->dp;
	uint16_t out_port, slot = EGW_NEIGH_NONE;
	uint32_t nh;

	if (meta->kind != EGW_PKT_ARP && meta->src == x->source_be) {
		x->w[w->id]->upstream++;
		return true; /* an inside flow like any other: flow_new.c admits it */
	}
	/* The kernel's answers to clients, from a listener address, go out of the inside
	 * port the client is on; nothing else comes from the kernel (it does no ARP). */
	if (meta->kind == EGW_PKT_ARP || !is_listener_addr(x, meta->src) ||
		egw_route_lookup(&dp->to_inside, meta->dst, &out_port, &nh) < 0 ||
		out_port == x->port) {
		egw_drop(&w->stats, m, EGW_DROP_EXCEPTION_UNEXPECTED);
		return false;
	}
	x->w[w->id]->from_kernel++;
	egw_pl_forward(w, m, out_port, &slot, meta->dst, &dp->to_inside, false);
	return false;
}

/* The admissions the tunnel thread queued for this worker, into its table. */
static void take_admissions(struct exc_worker *xw)
{
	struct exc_msg msgs[32];
	unsigned n;

	while ((n = rte_ring_dequeue_burst_elem(xw->ring, msgs, sizeof(msgs[0]), 32, NULL)) > 0)
		for (unsigned i = 0; i < n; i++) {
			struct exc_slot *s =
				&xw->slots[rte_be_to_cpu_16(msgs[i].lport_be) % EXC_SLOTS];
			*s = (struct exc_slot){ msgs[i].epoch, msgs[i].dst_be, msgs[i].policy,
				msgs[i].lport_be, msgs[i].dport_be, true };
		}
}

/* The engine's own name lookups: to a configured resolver's port 53. */
static bool to_resolver(const struct egw_exception *x, const struct egw_flow_key *key)
{
	if (key->b_port != rte_cpu_to_be_16(53) || key->proto == IPPROTO_ICMP)
		return false;
	for (unsigned i = 0; i < EGW_EXCEPTION_RESOLVERS; i++)
		if (x->resolver_be[i] && x->resolver_be[i] == key->b_addr)
			return true;
	return false;
}

enum egw_drop_reason egw_pl_exception_admit(struct egw_worker *w, const struct egw_snapshot *snap,
	const struct egw_flow_key *key, const struct egw_policy_rt **rt)
{
	struct exc_worker *xw = w->dp->exc->w[w->id];
	struct exc_slot *s;

	/* The admission was queued before connect() sent this SYN: drained here, it is seen
	 * whatever the loop polled first. */
	take_admissions(xw);
	s = &xw->slots[rte_be_to_cpu_16(key->a_port) % EXC_SLOTS];
	*rt = NULL;
	if (key->proto != IPPROTO_TCP || !s->used || s->lport_be != key->a_port ||
		s->dst_be != key->b_addr || s->dport_be != key->b_port)
		return to_resolver(w->dp->exc, key) && snap->mode != EGW_MODE_DENY ?
			       EGW_DROP_NONE :
			       EGW_DROP_TUNNEL_UNADMITTED;
	s->used = false;
	xw->admitted++;
	/* Decided on another snapshot (a reload in between): the tuple decides again. */
	if ((uint32_t)s->epoch != (uint32_t)snap->epoch || s->policy > snap->n_policies)
		return egw_pl_admit(snap, key, rt);
	*rt = s->policy ? &snap->policies[s->policy - 1] : NULL;
	return EGW_DROP_NONE;
}
