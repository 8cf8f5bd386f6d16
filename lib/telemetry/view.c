/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_pause.h>

#include "view.h"

/* What the kernel lost on an af_packet port: counted now, so every reading is current. */
static void view_port_kernel(struct egw_afp_port *afp, struct egw_port_view *v)
{
	if (__atomic_load_n(&afp->n_fds, __ATOMIC_ACQUIRE) == 0)
		return;
	egw_afp_port_collect(afp);
	v->afp = true;
	v->rx_ring_drops = __atomic_load_n(&afp->rx_drops, __ATOMIC_RELAXED);
	if (egw_afp_if_counter(afp->ifname, "rx_dropped", &v->if_rx_dropped) < 0)
		v->if_rx_dropped = 0;
	if (egw_afp_if_counter(afp->ifname, "tx_dropped", &v->if_tx_dropped) < 0)
		v->if_tx_dropped = 0;
}

void egw_view_port(const struct egw_tel_source *s, unsigned i, struct egw_port_view *v)
{
	const struct egw_port_info *pi;
	struct rte_eth_link link;

	memset(v, 0, sizeof(*v));
	v->conf = &s->conf->ports[i];
	v->id = s->port_ids[i];
	pi = egw_dataplane_port(s->dp, v->id);
	v->device = pi->dev;
	v->mtu = pi->mtu;
	v->mac = pi->mac;
	/* ethdev statistics and link reads are what DPDK's own /ethdev telemetry does from this
	 * thread: safe beside the workers' rx/tx. The VLAN ports of one device show the
	 * device's. */
	if (rte_eth_link_get_nowait(pi->dev, &link) == 0) {
		v->link_up = link.link_status == RTE_ETH_LINK_UP;
		v->speed_mbps = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : link.link_speed;
	}
	rte_eth_stats_get(pi->dev, &v->st);
	v->tx_full = egw_dataplane_tx_full(s->dp, v->id);
	view_port_kernel(egw_dataplane_afp(s->dp, pi->dev), v);
}

/* Copies what the caller wants of the view in force, holding it only for the copy. */
static int read_view(const struct egw_tel_source *s, struct egw_running *run,
	struct egw_pool_conf *pools)
{
	const struct egw_observer_view *v;
	int id = egw_rcu_read_begin(s->observer);

	if (id < 0)
		return id;
	v = egw_rcu_load(s->observer);
	if (run) {
		run->generation = v->generation;
		run->mode = v->mode;
		memcpy(run->config_sha256, v->config_sha256, sizeof(run->config_sha256));
		memcpy(run->timeouts, v->timeouts, sizeof(run->timeouts));
		run->last_reload = v->last_reload;
		run->n_pools = v->n_pools;
	}
	if (pools)
		memcpy(pools, v->pools,
			RTE_MIN(v->n_pools, (unsigned)EGW_MAX_POOLS) * sizeof(*pools));
	egw_rcu_read_end(s->observer, id);
	return 0;
}

int egw_view_running(const struct egw_tel_source *s, struct egw_running *out)
{
	return read_view(s, out, NULL);
}

int egw_view_rule(const struct egw_tel_source *s, const char *name, struct egw_observer_rule *out,
	char *buf, size_t len, bool *cut, uint64_t *generation)
{
	const struct egw_observer_view *v;
	int id = egw_rcu_read_begin(s->observer), rc = -ENOENT;

	if (id < 0)
		return id;
	v = egw_rcu_load(s->observer);
	*generation = v->generation;
	for (unsigned i = 0; i < v->n_rules && rc == -ENOENT; i++) {
		const struct egw_observer_rule *r = &v->rules[i];
		size_t o = strlen(r->origin) + 1, n = strlen(r->text);

		if (strcmp(r->name, name) != 0)
			continue;
		rc = o + 1 < len ? 0 : -ENOSPC;
		if (rc < 0)
			break;
		*out = *r;
		memcpy(buf, r->origin, o);
		*cut = o + n >= len;
		if (*cut) {
			/* Whole lines only: a cut list line would read as a shorter list. */
			const char *nl = memrchr(r->text, '\n', len - o - 1);
			n = nl ? (size_t)(nl - r->text) + 1 : 0;
		}
		memcpy(buf + o, r->text, n);
		buf[o + n] = '\0';
		out->origin = buf;
		out->text = buf + o;
	}
	egw_rcu_read_end(s->observer, id);
	return rc;
}

unsigned egw_view_pools(const struct egw_tel_source *s, struct egw_pool_conf *out)
{
	struct egw_running run;

	/* Every reader id taken (64 observers at once): report none rather than wait. */
	if (read_view(s, &run, out) < 0)
		return 0;
	return RTE_MIN(run.n_pools, (unsigned)EGW_MAX_POOLS);
}

void egw_view_pool_addr(const struct egw_dataplane *dp, const struct egw_pool_conf *pool,
	unsigned a, struct egw_addr_view *v)
{
	const uint32_t ports = egw_view_pool_ports(pool);

	egw_dataplane_addr(dp, rte_cpu_to_be_32(pool->addrs[a]), &v->in_use, &v->exhausted);
	/* Endpoint-dependent mapping reuses a port toward other destinations: "free" is free
	 * toward every destination. */
	v->free = v->in_use < ports ? ports - v->in_use : 0;
}

#define NC(n, h, f)                                                                                \
	{                                                                                          \
		n, h, offsetof(struct egw_neigh_stats, f)                                          \
	}
const struct egw_view_counter egw_view_neigh_counters[EGW_VIEW_NEIGH_COUNTERS] = {
	NC("neighbor_probes_sent", "ARP requests sent to resolve or re-check a neighbour.",
		probes_sent),
	NC("neighbor_replies", "ARP replies that confirmed a neighbour.", replies),
	NC("neighbor_failures", "Neighbours that answered no ARP request (neighbor_probes).",
		failures),
	NC("neighbor_mac_changes", "Neighbours whose MAC address was replaced by another.",
		mac_changes),
	NC("neighbor_unreachable_sent",
		"ICMP host unreachable sent about packets dropped for an unanswering neighbour.",
		unreachable_sent),
	NC("neighbors_removed", "Neighbours forgotten after neighbor_gc unused.", removed),
};
#undef NC

void egw_view_neigh_stats(const struct egw_tel_source *s, struct egw_neigh_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (s->neigh)
		egw_neigh_stats_get(s->neigh, st);
}

void egw_view_neigh_states(const struct egw_tel_source *s, uint32_t counts[EGW_NEIGH_ST_MAX])
{
	struct egw_neigh_view v;
	uint32_t n;

	memset(counts, 0, EGW_NEIGH_ST_MAX * sizeof(counts[0]));
	if (!s->neigh)
		return;
	n = egw_neigh_count(egw_neigh_table_of(s->neigh));
	for (uint32_t slot = 0; slot < n; slot++)
		if (egw_neigh_view(s->neigh, slot, &v))
			counts[v.state]++;
}
