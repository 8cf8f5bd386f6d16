/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "dataplane_internal.h"
#include "exception_internal.h"
#include "names/names.h"
#include "pkt/pkt.h"
#include "policy/slots.h"

static struct rte_ring *ring(struct egw_dataplane *dp, const char *what, unsigned size,
	unsigned flags)
{
	char name[RTE_RING_NAMESIZE];

	/* A name cut short could clash with another ring's: refuse it instead. */
	if (snprintf(name, sizeof(name), "%s_%s", dp->name, what) >= (int)sizeof(name))
		return NULL;
	return rte_ring_create(name, size, (int)rte_socket_id(), flags);
}

static int rings_create(struct egw_dataplane *dp, unsigned size)
{
	char what[24];

	dp->punt_ring = ring(dp, "punt", size, RING_F_SC_DEQ);
	dp->resolve_ring = ring(dp, "resolve", size, RING_F_SC_DEQ);
	dp->inject_ring = ring(dp, "inject", size, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!dp->punt_ring || !dp->resolve_ring || !dp->inject_ring)
		return -ENOMEM;
	for (unsigned a = 0; a < dp->n_workers; a++)
		for (unsigned b = 0; b < dp->n_workers; b++) {
			if (a == b)
				continue;
			snprintf(what, sizeof(what), "ho%u_%u", a, b);
			/* One producer, one consumer per ring: no atomics on the handoff path. */
			dp->handoff[a][b] = ring(dp, what, size, RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (!dp->handoff[a][b])
				return -ENOMEM;
		}
	return 0;
}

static int workers_create(struct egw_dataplane *dp, const struct egw_dataplane_params *p, char *err,
	size_t errlen)
{
	const uint32_t per_worker = (p->max_flows + p->n_workers - 1) / p->n_workers;

	for (unsigned i = 0; i < p->n_workers; i++) {
		unsigned lcore = p->lcores ? p->lcores[i] : 0;
		int socket = p->lcores ? (int)rte_lcore_to_socket_id(lcore) : SOCKET_ID_ANY;

		dp->workers[i] = egw_worker_create(dp, i, per_worker, &p->timeouts, socket);
		if (!dp->workers[i]) {
			snprintf(err, errlen,
				"worker %u: cannot allocate a flow table of %u flows: "
				"%s (raise [dpdk] memory_mb or lower [flows] max)",
				i, per_worker, rte_strerror(rte_errno));
			return -ENOMEM;
		}
		dp->workers[i]->lcore = lcore;
	}
	return 0;
}

struct egw_dataplane *egw_dataplane_create(const struct egw_dataplane_params *p, char *err,
	size_t errlen)
{
	struct egw_dataplane *dp;
	int rc = -EINVAL;

	snprintf(err, errlen, "invalid parameters");
	if (p->n_workers == 0 || p->n_workers > EGW_MAX_WORKERS || p->max_flows == 0)
		goto fail_early;
	dp = rte_zmalloc("egw_dataplane", sizeof(*dp), RTE_CACHE_LINE_SIZE);
	rc = -ENOMEM;
	if (!dp)
		goto fail_early;
	snprintf(dp->name, sizeof(dp->name), "%s", p->name ? p->name : "egw");
	/* Registered once per process; a second data plane gets the same offset. */
	dp->meta_off = rte_mbuf_dynfield_register(
		&(const struct rte_mbuf_dynfield){ .name = EGW_PKT_META_DYNFIELD,
			.size = EGW_PKT_META_CARRIED,
			.align = 4 });
	snprintf(err, errlen, "cannot register the mbuf field of the handoff metadata: %s",
		rte_strerror(rte_errno));
	if (dp->meta_off < 0)
		goto fail;
	dp->lat_off = -1;
	if (p->latency) {
		dp->lat_off = rte_mbuf_dynfield_register(
			&(const struct rte_mbuf_dynfield){ .name = EGW_LAT_DYNFIELD,
				.size = sizeof(uint64_t),
				.align = __alignof__(uint64_t) });
		snprintf(err, errlen, "cannot register the mbuf field of the RX stamp: %s",
			rte_strerror(rte_errno));
		if (dp->lat_off < 0)
			goto fail;
	}
	dp->n_workers = p->n_workers;
	dp->tcp_pickup = p->tcp_pickup;
	dp->tcp_window_check = p->tcp_window_check;
	dp->flow_log = p->flow_log;
	dp->icmp_errors_per_s = p->icmp_errors_per_s ? p->icmp_errors_per_s : EGW_ICMP_ERRORS_PER_S;
	dp->fragment_trains = p->fragment_trains;
	dp->fragment_timeout = p->fragment_timeout;
	snprintf(err, errlen, "cannot read random bytes for the NAT port key");
	if (p->secret)
		dp->secret = *p->secret;
	else if (egw_nat_secret_init(&dp->secret) < 0)
		goto fail;
	snprintf(err, errlen, "cannot read random bytes for the SYN cookie key");
	if (egw_syncookie_secret_init(&dp->cookie_secret) < 0)
		goto fail;
	snprintf(err, errlen, "out of memory for the data plane's tables and rings");
	/* One reader id beyond the workers': the tunnel thread's (exception.c). */
	rc = egw_snapshot_rcu_init(&dp->rcu, dp->n_workers + 1);
	if (rc == 0)
		rc = egw_rcu_init_shared(&dp->names_rcu, &dp->rcu, egw_names_view_put);
	if (rc < 0)
		goto fail;
	rc = -ENOMEM;
	dp->policy_active = calloc(EGW_POLICY_SLOTS, sizeof(*dp->policy_active));
	dp->neigh = egw_neigh_create(dp->name, p->neigh_max, SOCKET_ID_ANY);
	if (!dp->policy_active || !dp->neigh)
		goto fail;
	rc = rings_create(dp, p->ring_size ? p->ring_size : 1024);
	if (rc == 0)
		rc = workers_create(dp, p, err, errlen);
	if (rc < 0)
		goto fail;
	return dp;
fail:
	egw_dataplane_free(dp);
fail_early:
	rte_errno = -rc;
	return NULL;
}

void egw_dataplane_free(struct egw_dataplane *dp)
{
	if (!dp)
		return;
	egw_dataplane_drain(dp);
	egw_exception_free(dp->exc, dp->n_workers);
	for (unsigned i = 0; i < EGW_MAX_WORKERS; i++)
		egw_worker_free(dp->workers[i]);
	for (unsigned a = 0; a < EGW_MAX_WORKERS; a++)
		for (unsigned b = 0; b < EGW_MAX_WORKERS; b++)
			rte_ring_free(dp->handoff[a][b]);
	rte_ring_free(dp->punt_ring);
	rte_ring_free(dp->resolve_ring);
	rte_ring_free(dp->inject_ring);
	egw_neigh_free(dp->neigh);
	if (dp->names_rcu.qsbr)
		egw_rcu_fini(&dp->names_rcu); /* before the point whose QSBR variable it shares */
	if (dp->rcu.qsbr)
		egw_rcu_fini(&dp->rcu);
	free(dp->policy_active);
	rte_free(dp);
}

void egw_dataplane_set_port(struct egw_dataplane *dp, uint16_t port_id,
	const struct egw_port_info *info)
{
	dp->ports[port_id] = *info;
	dp->ports[port_id].configured = true;
	dp->ports[port_id].dev = port_id;
	dp->ports[port_id].vlan = 0;
}

int egw_dataplane_set_vlan_port(struct egw_dataplane *dp, uint16_t port_id,
	const struct egw_port_info *info)
{
	struct egw_vlan_map *vm;

	if (port_id >= EGW_PORT_IDS || info->dev >= EGW_PORT_IDS)
		return -ERANGE;
	vm = &dp->vlan[info->dev];
	if (!(dp->vlan_devs & (1u << info->dev))) {
		vm->n = 0;
		vm->untagged = EGW_VLAN_PORT_NONE;
	}
	if (info->vlan == 0) {
		if (vm->untagged != EGW_VLAN_PORT_NONE)
			return -EEXIST;
		vm->untagged = port_id;
	} else {
		for (unsigned i = 0; i < vm->n; i++)
			if (vm->vid[i] == info->vlan)
				return -EEXIST;
		if (vm->n == EGW_MAX_PORTS)
			return -ENOSPC;
		vm->vid[vm->n] = info->vlan;
		vm->port[vm->n++] = port_id;
	}
	dp->vlan_devs |= 1u << info->dev;
	dp->ports[port_id] = *info;
	dp->ports[port_id].configured = true;
	return 0;
}

struct egw_route_table *egw_dataplane_routes(struct egw_dataplane *dp, uint8_t zone)
{
	return zone == EGW_ZONE_INSIDE ? &dp->to_inside : &dp->to_outside;
}

struct egw_afp_port *egw_dataplane_afp(struct egw_dataplane *dp, uint16_t port_id)
{
	return port_id < EGW_PORT_IDS ? &dp->afp[port_id] : NULL;
}

const struct egw_afp_port *egw_dataplane_afp_view(const struct egw_dataplane *dp, uint16_t port_id)
{
	return port_id < EGW_PORT_IDS ? &dp->afp[port_id] : NULL;
}

unsigned egw_dataplane_n_workers(const struct egw_dataplane *dp)
{
	return dp->n_workers;
}

struct egw_worker *egw_dataplane_worker(const struct egw_dataplane *dp, unsigned i)
{
	return i < dp->n_workers ? dp->workers[i] : NULL;
}

const struct egw_port_info *egw_dataplane_port(const struct egw_dataplane *dp, uint16_t id)
{
	return &dp->ports[id];
}

struct egw_rcu *egw_dataplane_rcu(struct egw_dataplane *dp)
{
	return &dp->rcu;
}

struct egw_neigh_table *egw_dataplane_neigh(struct egw_dataplane *dp)
{
	return dp->neigh;
}

struct egw_rcu *egw_dataplane_names_rcu(struct egw_dataplane *dp)
{
	return &dp->names_rcu;
}

unsigned egw_dataplane_names_journals(const struct egw_dataplane *dp, struct egw_names_journal **j)
{
	for (unsigned i = 0; i < dp->n_workers; i++)
		j[i] = dp->workers[i]->dns.journal;
	return dp->n_workers;
}

unsigned egw_dataplane_take_punted(struct egw_dataplane *dp, struct rte_mbuf **pkts, unsigned n)
{
	return rte_ring_dequeue_burst(dp->punt_ring, (void **)pkts, n, NULL);
}

unsigned egw_dataplane_take_unresolved(struct egw_dataplane *dp, struct rte_mbuf **pkts, unsigned n)
{
	return rte_ring_dequeue_burst(dp->resolve_ring, (void **)pkts, n, NULL);
}

void egw_dataplane_send(struct egw_dataplane *dp, struct rte_mbuf *m)
{
	if (rte_ring_enqueue(dp->workers[0]->ctl_tx, m) < 0)
		egw_drop(&dp->control_stats, m, EGW_DROP_CONTROL_QUEUE_FULL);
}

void egw_dataplane_inject(struct egw_dataplane *dp, struct rte_mbuf *m)
{
	if (rte_ring_enqueue(dp->inject_ring, m) < 0)
		egw_drop(&dp->control_stats, m, EGW_DROP_CONTROL_QUEUE_FULL);
}

void egw_dataplane_count_drop(struct egw_dataplane *dp, enum egw_drop_reason reason)
{
	dp->control_stats.drops[reason]++;
}

uint64_t *egw_dataplane_control_drops(struct egw_dataplane *dp)
{
	return dp->control_stats.drops;
}

void egw_dataplane_count_flowlog(struct egw_dataplane *dp, uint64_t written, uint64_t errors)
{
	dp->control_stats.flow_log_written += written;
	dp->control_stats.flow_log_errors += errors;
}

void egw_dataplane_count_deny_dropped(struct egw_dataplane *dp, uint64_t n)
{
	dp->control_stats.flow_log_deny_dropped += n;
}

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

void egw_dataplane_worker_view(const struct egw_dataplane *dp, unsigned i,
	struct egw_worker_view *v)
{
	const struct egw_worker *w = dp->workers[i];
	const struct egw_worker_stats *st = &w->stats;

	memset(v, 0, sizeof(*v));
	v->id = w->id;
	v->lcore = w->lcore;
	v->rx_packets = LOAD(st->rx_packets);
	v->tx_packets = LOAD(st->tx_packets);
	v->polls = LOAD(st->polls);
	v->busy_polls = LOAD(st->busy_polls);
	v->busy_cycles = LOAD(st->busy_cycles);
	v->flows_time_wait = LOAD(st->flows_time_wait);
	v->flows_active = egw_flow_table_active(w->ft);
	v->flows_active -= RTE_MIN(v->flows_active, v->flows_time_wait); /* read apart */
	v->flows_created = LOAD(st->flows_created);
	v->handoffs_out = LOAD(st->handoffs_out);
	v->handoffs_in = LOAD(st->handoffs_in);
	v->rss_hash_mismatch = LOAD(st->rss_hash_mismatch);
	for (unsigned r = 1; r < EGW_DROP_MAX; r++)
		v->drops += LOAD(st->drops[r]);
}

bool egw_dataplane_latency(const struct egw_dataplane *dp, unsigned i, struct egw_latency *sum)
{
	const struct egw_worker *w = dp->workers[i];

	if (!w->lat)
		return false;
	for (unsigned b = 0; b < EGW_LAT_BUCKETS; b++)
		sum->bucket[b] += LOAD(w->lat->bucket[b]);
	return true;
}

void egw_dataplane_policy(const struct egw_dataplane *dp, uint32_t slot,
	struct egw_policy_counters *c)
{
	memset(c, 0, sizeof(*c));
	for (unsigned i = 0; i < dp->n_workers; i++) {
		const struct egw_policy_counters *p = &dp->workers[i]->policy[slot];
		/* ended first: a flow admitted and ended in between counts in neither. */
		c->ended += LOAD(p->ended);
		c->flows += LOAD(p->flows);
		c->denied += LOAD(p->denied);
		c->packets += LOAD(p->packets);
		c->bytes += LOAD(p->bytes);
	}
}

uint64_t egw_dataplane_policy_flows(const struct egw_dataplane *dp, uint32_t slot)
{
	struct egw_policy_counters c;

	egw_dataplane_policy(dp, slot, &c);
	return c.flows - c.ended;
}

uint32_t egw_dataplane_policy_active(const struct egw_dataplane *dp, uint32_t slot)
{
	return dp->policy_active ? LOAD(dp->policy_active[slot]) : 0;
}

uint64_t egw_dataplane_tx_full(const struct egw_dataplane *dp, uint16_t port_id)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < dp->n_workers && port_id < EGW_PORT_IDS; i++)
		n += LOAD(dp->workers[i]->stats.tx_full[port_id]);
	return n;
}

void egw_dataplane_addr(const struct egw_dataplane *dp, uint32_t addr_be, uint64_t *in_use,
	uint64_t *exhausted)
{
	*in_use = *exhausted = 0;
	for (unsigned i = 0; i < dp->n_workers; i++)
		egw_addr_stats_read(&dp->workers[i]->addrs, addr_be, in_use, exhausted);
}

#undef LOAD

int egw_dataplane_add_port_addr(struct egw_dataplane *dp, uint32_t addr, uint8_t prefix_len)
{
	const uint32_t mask = prefix_len ? ~0u << (32 - prefix_len) : 0;

	if (dp->n_local_addrs == EGW_MAX_PORTS)
		return -ENOSPC;
	dp->local_addrs[dp->n_local_addrs++] = rte_cpu_to_be_32(addr);
	/* A /31 (RFC 3021) or /32 has no broadcast: both addresses are hosts. */
	if (prefix_len <= 30) {
		dp->subnet_bcasts[dp->n_subnet_bcasts++] = rte_cpu_to_be_32(addr & mask);
		dp->subnet_bcasts[dp->n_subnet_bcasts++] = rte_cpu_to_be_32(addr | ~mask);
	}
	return 0;
}

/* Frees what ring R holds, counted against DP's control thread as "shutdown". */
static unsigned drain_ring(struct egw_dataplane *dp, struct rte_ring *r)
{
	struct rte_mbuf *m;
	unsigned n = 0;

	while (r && rte_ring_dequeue(r, (void **)&m) == 0) {
		egw_drop(&dp->control_stats, m, EGW_DROP_SHUTDOWN);
		n++;
	}
	return n;
}

unsigned egw_dataplane_drain(struct egw_dataplane *dp)
{
	unsigned n = drain_ring(dp, dp->punt_ring) + drain_ring(dp, dp->resolve_ring) +
		     drain_ring(dp, dp->inject_ring);

	for (unsigned a = 0; a < dp->n_workers && dp->workers[a]; a++) {
		n += drain_ring(dp, dp->workers[a]->ctl_tx);
		n += egw_pl_frag_drain(dp->workers[a]);
		for (unsigned b = 0; b < dp->n_workers; b++)
			n += drain_ring(dp, dp->handoff[a][b]);
	}
	return n;
}

void egw_dataplane_stats(const struct egw_dataplane *dp, struct egw_worker_stats *out)
{
	const unsigned n_words = sizeof(*out) / sizeof(uint64_t);
	uint64_t *dst = (uint64_t *)out;

	memset(out, 0, sizeof(*out));
	/* The stats struct is all uint64_t counters: sum it word by word. */
	for (unsigned i = 0; i <= dp->n_workers; i++) {
		const struct egw_worker_stats *src =
			i < dp->n_workers ? (dp->workers[i] ? &dp->workers[i]->stats : NULL) :
					    &dp->control_stats;
		if (!src)
			continue;
		for (unsigned k = 0; k < n_words; k++)
			dst[k] += __atomic_load_n(&((const uint64_t *)src)[k], __ATOMIC_RELAXED);
	}
}

uint32_t egw_dataplane_flows_active(const struct egw_dataplane *dp)
{
	uint32_t n = 0;

	/* The table's count and the worker's time-wait gauge are read a moment apart: a flow
	 * that finished in between must not make the difference wrap. */
	for (unsigned i = 0; i < dp->n_workers; i++)
		if (dp->workers[i]) {
			uint32_t all = egw_flow_table_active(dp->workers[i]->ft);
			uint32_t tw =
				(uint32_t)__atomic_load_n(&dp->workers[i]->stats.flows_time_wait,
					__ATOMIC_RELAXED);
			n += all > tw ? all - tw : 0;
		}
	return n;
}
