/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>

#include "flows_ask.h"
#include "pipeline/latency.h"
#include "tel_internal.h"
#include "view.h"

int egw_tel_error(struct rte_tel_data *d, const char *msg)
{
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "error", msg);
	return 0;
}

bool egw_tel_param_offset(const char *params, uint32_t *offset)
{
	unsigned long v;
	char *end;

	*offset = 0;
	if (!params || !*params)
		return true;
	v = strtoul(params, &end, 10);
	if (*end || v > UINT32_MAX)
		return false;
	*offset = (uint32_t)v;
	return true;
}

/* Adds CHILD to D under a key made of PREFIX and N; frees CHILD if that fails. */
static int add_child(struct rte_tel_data *d, char prefix, unsigned n, struct rte_tel_data *child)
{
	char key[16];
	int rc;

	snprintf(key, sizeof(key), "%c%u", prefix, n);
	rc = rte_tel_data_add_dict_container(d, key, child, 0);
	if (rc != 0)
		rte_tel_data_free(child);
	return rc;
}

static void add_ipv4(struct rte_tel_data *d, const char *key, uint32_t host_order)
{
	char buf[16];

	rte_tel_data_add_dict_string(d, key, egw_fmt_ipv4(buf, host_order));
}

/* Adds LIST under KEY of D; frees LIST if that fails. */
static int add_list(struct rte_tel_data *d, const char *key, struct rte_tel_data *list)
{
	int rc = rte_tel_data_add_dict_container(d, key, list, 0);

	if (rc != 0)
		rte_tel_data_free(list);
	return rc;
}

int egw_tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct egw_tel_source *s = egw_tel_src;
	struct rte_tel_data *ports;
	int rc = 0;

	if (params && *params)
		return egw_tel_error(d, EGW_TEL_NO_PARAMS);
	ports = rte_tel_data_alloc();
	if (!ports)
		return -ENOMEM;
	rte_tel_data_start_dict(ports);
	for (unsigned i = 0; i < s->conf->n_ports && rc == 0; i++) {
		struct rte_tel_data *p = rte_tel_data_alloc();
		struct egw_port_view v;
		char addr[24], mac[RTE_ETHER_ADDR_FMT_SIZE], ip[16];

		if (!p) {
			rc = -ENOMEM;
			break;
		}
		egw_view_port(s, i, &v);
		snprintf(addr, sizeof(addr), "%s/%u", egw_fmt_ipv4(ip, v.conf->addr),
			v.conf->prefix_len);
		rte_ether_format_addr(mac, sizeof(mac), &v.mac);
		rte_tel_data_start_dict(p);
		rte_tel_data_add_dict_string(p, "name", v.conf->name);
		rte_tel_data_add_dict_u64(p, "id", v.id);
		rte_tel_data_add_dict_u64(p, "device", v.device);
		rte_tel_data_add_dict_u64(p, "vlan", v.conf->vlan);
		rte_tel_data_add_dict_string(p, "role", egw_role_name(v.conf->role));
		if (s->rx_steering && s->rx_steering[i])
			rte_tel_data_add_dict_string(p, "rx_steering", s->rx_steering[i]);
		if (s->rx_offloads && s->rx_offloads[i])
			rte_tel_data_add_dict_string(p, "rx_offloads", s->rx_offloads[i]);
		if (s->dp)
			rte_tel_data_add_dict_string(p, "owner",
				egw_dataplane_nic_owner(s->dp, v.id) ? "nic-rss" : "software");
		rte_tel_data_add_dict_string(p, "address", addr);
		rte_tel_data_add_dict_string(p, "mac", mac);
		rte_tel_data_add_dict_u64(p, "link_up", v.link_up);
		rte_tel_data_add_dict_u64(p, "speed_mbps", v.speed_mbps);
		rte_tel_data_add_dict_u64(p, "mtu", v.mtu);
		rte_tel_data_add_dict_u64(p, "rx_packets", v.st.ipackets);
		rte_tel_data_add_dict_u64(p, "rx_bytes", v.st.ibytes);
		rte_tel_data_add_dict_u64(p, "tx_packets", v.st.opackets);
		rte_tel_data_add_dict_u64(p, "tx_bytes", v.st.obytes);
		rte_tel_data_add_dict_u64(p, "rx_missed", v.st.imissed);
		rte_tel_data_add_dict_u64(p, "rx_errors", v.st.ierrors);
		rte_tel_data_add_dict_u64(p, "tx_errors", v.st.oerrors);
		rte_tel_data_add_dict_u64(p, "rx_nombuf", v.st.rx_nombuf);
		rte_tel_data_add_dict_u64(p, "tx_full", v.tx_full);
		/* af_packet ports: what the kernel lost before the PMD saw it (0 elsewhere). */
		rte_tel_data_add_dict_u64(p, "rx_ring_drops", v.rx_ring_drops);
		rte_tel_data_add_dict_u64(p, "if_rx_dropped", v.if_rx_dropped);
		rte_tel_data_add_dict_u64(p, "if_tx_dropped", v.if_tx_dropped);
		rc = add_child(ports, 'p', i, p);
	}
	if (rc != 0) {
		rte_tel_data_free(ports);
		return rc;
	}
	rte_tel_data_start_dict(d);
	return add_list(d, "ports", ports);
}

int egw_tel_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct egw_dataplane *dp = egw_tel_src->dp;
	struct rte_tel_data *workers;
	int rc = 0;

	if (params && *params)
		return egw_tel_error(d, EGW_TEL_NO_PARAMS);
	workers = rte_tel_data_alloc();
	if (!workers)
		return -ENOMEM;
	rte_tel_data_start_dict(workers);
	for (unsigned i = 0; i < egw_dataplane_n_workers(dp) && rc == 0; i++) {
		struct rte_tel_data *w = rte_tel_data_alloc();
		struct egw_worker_view v;

		if (!w) {
			rc = -ENOMEM;
			break;
		}
		egw_dataplane_worker_view(dp, i, &v);
		rte_tel_data_start_dict(w);
		rte_tel_data_add_dict_u64(w, "id", v.id);
		rte_tel_data_add_dict_u64(w, "lcore", v.lcore);
		rte_tel_data_add_dict_u64(w, "rx_packets", v.rx_packets);
		rte_tel_data_add_dict_u64(w, "tx_packets", v.tx_packets);
		/* Since start; rate(busy_polls) / rate(polls) in /metrics gives recent load. */
		rte_tel_data_add_dict_u64(w, "busy_percent",
			v.polls ? v.busy_polls * 100 / v.polls : 0);
		rte_tel_data_add_dict_u64(w, "polls", v.polls);
		rte_tel_data_add_dict_u64(w, "busy_polls", v.busy_polls);
		rte_tel_data_add_dict_u64(w, "busy_cycles", v.busy_cycles);
		rte_tel_data_add_dict_u64(w, "flows_active", v.flows_active);
		rte_tel_data_add_dict_u64(w, "flows_created", v.flows_created);
		rte_tel_data_add_dict_u64(w, "handoffs_out", v.handoffs_out);
		rte_tel_data_add_dict_u64(w, "handoffs_in", v.handoffs_in);
		rte_tel_data_add_dict_u64(w, "rss_hash_mismatch", v.rss_hash_mismatch);
		rte_tel_data_add_dict_u64(w, "drops", v.drops);
		rc = add_child(workers, 'w', i, w);
	}
	if (rc != 0) {
		rte_tel_data_free(workers);
		return rc;
	}
	rte_tel_data_start_dict(d);
	return add_list(d, "workers", workers);
}

/* H's packet count and quantiles (TSC cycles -> ns) into D. */
static void latency_dict(struct rte_tel_data *d, const struct egw_latency *h)
{
	static const struct {
		const char *name;
		double q;
	} qs[] = { { "p50_ns", 0.5 }, { "p99_ns", 0.99 }, { "p999_ns", 0.999 } };
	const double ns_per_cycle = 1e9 / (double)rte_get_tsc_hz();

	rte_tel_data_add_dict_u64(d, "packets", egw_latency_count(h));
	for (unsigned i = 0; i < RTE_DIM(qs); i++)
		rte_tel_data_add_dict_u64(d, qs[i].name,
			(uint64_t)((double)egw_latency_quantile(h, qs[i].q) * ns_per_cycle + 0.5));
}

int egw_tel_latency(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct egw_dataplane *dp = egw_tel_src->dp;
	struct egw_latency *all, *one;
	struct rte_tel_data *workers;
	bool on = true;
	int rc = 0;

	(void)cmd;
	if (params && *params)
		return egw_tel_error(d, EGW_TEL_NO_PARAMS);
	all = calloc(2, sizeof(*all)); /* 8 KiB: off the telemetry thread's stack */
	workers = rte_tel_data_alloc();
	if (!all || !workers) {
		free(all);
		rte_tel_data_free(workers);
		return -ENOMEM;
	}
	one = all + 1;
	rte_tel_data_start_dict(workers);
	for (unsigned i = 0; i < egw_dataplane_n_workers(dp) && on && rc == 0; i++) {
		struct rte_tel_data *w = rte_tel_data_alloc();

		if (!w) {
			rc = -ENOMEM;
			break;
		}
		memset(one, 0, sizeof(*one));
		on = egw_dataplane_latency(dp, i, one);
		egw_latency_add(all, one);
		rte_tel_data_start_dict(w);
		latency_dict(w, one);
		rc = add_child(workers, 'w', i, w);
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "enabled", on);
	if (rc == 0 && on) {
		latency_dict(d, all);
		rc = add_list(d, "workers", workers);
	} else {
		rte_tel_data_free(workers);
	}
	free(all);
	return rc;
}

/*
 * At most this many addresses per reply (DPDK 22.11 replies are 16 KB, an address entry up to
 * ~110 bytes); the pool totals always cover every address.
 */
#define POOL_ADDRS_PER_REPLY 96

/* "endpoint-independent mapping, address-and-port-dependent filtering" for pool PC. */
static void pool_modes(const struct egw_pool_conf *pc, char *buf, size_t len)
{
	if (pc->mapping == EGW_MAPPING_ENDPOINT_INDEPENDENT)
		snprintf(buf, len, "%s mapping, %s filtering", egw_mapping_name(pc->mapping),
			egw_filtering_name(pc->filtering));
	else
		snprintf(buf, len, "%s mapping", egw_mapping_name(pc->mapping));
}

int egw_tel_add_pool_modes(struct rte_tel_data *d)
{
	struct egw_pool_conf *pools = malloc(EGW_MAX_POOLS * sizeof(*pools));
	struct rte_tel_data *nat = rte_tel_data_alloc();
	char modes[RTE_TEL_MAX_STRING_LEN];
	unsigned n;

	if (!pools || !nat) {
		free(pools);
		rte_tel_data_free(nat);
		return -ENOMEM;
	}
	n = egw_view_pools(egw_tel_src, pools);
	rte_tel_data_start_dict(nat);
	for (unsigned i = 0; i < n; i++) {
		pool_modes(&pools[i], modes, sizeof(modes));
		rte_tel_data_add_dict_string(nat, pools[i].name, modes);
	}
	free(pools);
	return add_list(d, "nat", nat);
}

int egw_tel_pools(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct egw_tel_source *s = egw_tel_src;
	/* Heap, not static: DPDK runs a thread per telemetry client, callbacks may overlap. */
	struct egw_pool_conf *pools = malloc(EGW_MAX_POOLS * sizeof(*pools));
	unsigned n, listed = 0, shown = 0;
	struct rte_tel_data *list;
	bool truncated = false;
	int rc = 0;

	if (!pools)
		return -ENOMEM;
	n = egw_view_pools(s, pools);
	if (params && *params) {
		bool found = false;
		for (unsigned i = 0; i < n && !found; i++)
			found = strcmp(pools[i].name, params) == 0;
		if (!found) {
			free(pools);
			return egw_tel_error(d, "no pool of that name");
		}
	}
	list = rte_tel_data_alloc();
	if (!list) {
		free(pools);
		return -ENOMEM;
	}
	rte_tel_data_start_dict(list);
	for (unsigned i = 0; i < n && rc == 0; i++) {
		const struct egw_pool_conf *pc = &pools[i];
		const uint32_t ports = egw_view_pool_ports(pc);
		struct rte_tel_data *p, *addrs;
		uint64_t in_use_total = 0, exhausted_total = 0, free_total = 0;

		if (params && *params && strcmp(pc->name, params) != 0)
			continue;
		p = rte_tel_data_alloc();
		addrs = rte_tel_data_alloc();
		if (!p || !addrs) {
			rte_tel_data_free(p);
			rte_tel_data_free(addrs);
			rc = -ENOMEM;
			break;
		}
		rte_tel_data_start_dict(addrs);
		for (unsigned a = 0; a < pc->n_addrs && rc == 0; a++) {
			struct egw_addr_view v;
			struct rte_tel_data *e;

			egw_view_pool_addr(s->dp, pc, a, &v);
			in_use_total += v.in_use;
			exhausted_total += v.exhausted;
			free_total += v.free;
			if (listed >= POOL_ADDRS_PER_REPLY) {
				truncated = true;
				continue;
			}
			e = rte_tel_data_alloc();
			if (!e) {
				rc = -ENOMEM;
				break;
			}
			rte_tel_data_start_dict(e);
			add_ipv4(e, "address", pc->addrs[a]);
			rte_tel_data_add_dict_u64(e, "ports_in_use", v.in_use);
			rte_tel_data_add_dict_u64(e, "ports_free", v.free);
			rte_tel_data_add_dict_u64(e, "exhausted", v.exhausted);
			rc = add_child(addrs, 'a', a, e);
			listed++;
		}
		rte_tel_data_start_dict(p);
		rte_tel_data_add_dict_string(p, "name", pc->name);
		rte_tel_data_add_dict_string(p, "mapping", egw_mapping_name(pc->mapping));
		/* Endpoint-dependent mapping needs a flow for every reply: the most stringent. */
		rte_tel_data_add_dict_string(p, "filtering",
			egw_filtering_name(pc->mapping == EGW_MAPPING_ENDPOINT_INDEPENDENT ?
						   pc->filtering :
						   EGW_FILTERING_ADDRESS_AND_PORT_DEPENDENT));
		rte_tel_data_add_dict_u64(p, "addresses_total", pc->n_addrs);
		rte_tel_data_add_dict_u64(p, "ports_per_address", ports);
		rte_tel_data_add_dict_u64(p, "ports_in_use", in_use_total);
		rte_tel_data_add_dict_u64(p, "ports_free", free_total);
		rte_tel_data_add_dict_u64(p, "exhausted", exhausted_total);
		if (rc == 0)
			rc = add_list(p, "addresses", addrs);
		else
			rte_tel_data_free(addrs);
		if (rc == 0)
			rc = add_child(list, 'p', shown++, p);
		else
			rte_tel_data_free(p);
	}
	free(pools);
	if (rc != 0) {
		rte_tel_data_free(list);
		return rc;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "truncated", truncated);
	return add_list(d, "pools", list);
}

static void add_flow(struct rte_tel_data *e, const struct egw_flows_listed *l,
	const struct egw_policy_slots *slots)
{
	const struct egw_flow *f = &l->d.flow;
	const bool icmp = f->orig.proto == IPPROTO_ICMP;
	uint32_t n_slots = __atomic_load_n(&slots->next, __ATOMIC_ACQUIRE);

	rte_tel_data_start_dict(e);
	rte_tel_data_add_dict_u64(e, "worker", l->worker);
	rte_tel_data_add_dict_string(e, "proto", egw_proto_name(f->orig.proto));
	rte_tel_data_add_dict_string(e, "state", egw_flow_state_name(f->state));
	add_ipv4(e, "src", rte_be_to_cpu_32(f->orig.a_addr));
	rte_tel_data_add_dict_u64(e, "sport", rte_be_to_cpu_16(f->orig.a_port));
	add_ipv4(e, "dst", rte_be_to_cpu_32(f->orig.b_addr));
	rte_tel_data_add_dict_u64(e, "dport", icmp ? 0 : rte_be_to_cpu_16(f->orig.b_port));
	add_ipv4(e, "nat_src", rte_be_to_cpu_32(f->nat_addr));
	rte_tel_data_add_dict_u64(e, "nat_sport", rte_be_to_cpu_16(f->nat_port));
	rte_tel_data_add_dict_string(e, "policy",
		f->policy < n_slots ? slots->names[f->policy] : "?");
	rte_tel_data_add_dict_u64(e, "age_s", l->d.now - l->d.created);
	rte_tel_data_add_dict_u64(e, "idle_s", l->d.now - f->last_seen);
	rte_tel_data_add_dict_u64(e, "packets_out", f->packets[EGW_DIR_ORIG]);
	rte_tel_data_add_dict_u64(e, "bytes_out", f->bytes[EGW_DIR_ORIG]);
	rte_tel_data_add_dict_u64(e, "packets_in", f->packets[EGW_DIR_REPLY]);
	rte_tel_data_add_dict_u64(e, "bytes_in", f->bytes[EGW_DIR_REPLY]);
	rte_tel_data_add_dict_string(e, "flags",
		(f->flags & EGW_FLOW_F_REVOKED)					 ? "revoked" :
		(f->flags & EGW_FLOW_F_PENDING) && !(f->late & EGW_LATE_SPLICED) ? "pending" :
		(f->flags & EGW_FLOW_F_NAT)					 ? "nat" :
										   "routed");
	/* Telemetry strings hold 127 bytes: a longer name shows cut (the flow log has it all). */
	rte_tel_data_add_dict_string(e, "server_name", l->d.server_name);
	rte_tel_data_add_dict_u64(e, "ech", l->d.ech);
	/* Late binding (issue 12): the offsets the splice adds, modulo 2^32, for debugging: to
	 * the server's sequence numbers toward the client (its acks toward the server lose as
	 * much), and to the server's timestamps. 0 until the two halves are spliced. */
	rte_tel_data_add_dict_string(e, "binding", (f->late & EGW_LATE_BOUND) ? "late" : "early");
	rte_tel_data_add_dict_u64(e, "seq_offset_in",
		(f->late & EGW_LATE_SPLICED) ? f->splice.seq_delta : 0);
	rte_tel_data_add_dict_u64(e, "seq_offset_out",
		(f->late & EGW_LATE_SPLICED) ? (uint32_t)-f->splice.seq_delta : 0);
	rte_tel_data_add_dict_u64(e, "ts_offset",
		(f->late & EGW_LATE_SPLICED) ? f->splice.ts_delta : 0);
}

int egw_tel_flows(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct egw_flows_answer *ans = malloc(sizeof(*ans)); /* one per concurrent client */
	struct rte_tel_data *list = NULL;
	char err[256];
	int rc;

	if (!ans)
		return -ENOMEM;
	rc = egw_flows_ask(egw_tel_src->dp, egw_tel_src->slots, params, EGW_MBOX_LIST, ans, NULL,
		NULL, err, sizeof(err));
	if (rc < 0) {
		free(ans);
		return egw_tel_error(d, err);
	}
	list = rte_tel_data_alloc();
	if (!list) {
		free(ans);
		return -ENOMEM;
	}
	rte_tel_data_start_dict(list);
	for (uint32_t i = 0; i < ans->n && rc == 0; i++) {
		struct rte_tel_data *e = rte_tel_data_alloc();
		if (!e) {
			rc = -ENOMEM;
			break;
		}
		add_flow(e, &ans->flows[i], egw_tel_src->slots);
		rc = add_child(list, 'f', i, e);
	}
	if (rc == 0) {
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_u64(d, "matched", ans->matched);
		rte_tel_data_add_dict_u64(d, "listed", ans->n);
		rte_tel_data_add_dict_u64(d, "limit", ans->limit);
		if (ans->paged)
			rte_tel_data_add_dict_u64(d, "next_offset", ans->next);
		rc = add_list(d, "flows", list);
	} else {
		rte_tel_data_free(list);
	}
	free(ans);
	return rc;
}

/*
 * At most this many neighbours per reply (DPDK 22.11 replies are 16 KB, an entry takes up to
 * ~150 bytes); the reply says where the next page starts.
 */
#define NEIGHBORS_PER_REPLY 80

static void add_neighbor(struct rte_tel_data *e, const struct egw_neigh_view *v)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE] = "";

	if (v->has_mac)
		rte_ether_format_addr(mac, sizeof(mac), &v->mac);
	rte_tel_data_start_dict(e);
	add_ipv4(e, "address", rte_be_to_cpu_32(v->addr_be));
	rte_tel_data_add_dict_string(e, "port", egw_dataplane_port(egw_tel_src->dp, v->port)->name);
	rte_tel_data_add_dict_string(e, "mac", mac);
	rte_tel_data_add_dict_string(e, "state", egw_neigh_state_name(v->state));
	rte_tel_data_add_dict_u64(e, "age_s", v->age_ms / 1000);
	rte_tel_data_add_dict_u64(e, "probes", v->probes);
}

/*
 * Every neighbour with a state, keyed by slot ("n<slot>"). Optional parameter: the slot to
 * start from; a reply lists at most NEIGHBORS_PER_REPLY and says where the next page starts
 * ("next_offset", 0 at the end). "total" counts the neighbours of every page.
 */
int egw_tel_neighbors(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct egw_neigh_resolver *r = egw_tel_src->neigh;
	uint32_t n = r ? egw_neigh_count(egw_neigh_table_of(r)) : 0;
	uint32_t first = 0, listed = 0, total = 0, next_offset = 0;
	struct rte_tel_data *list;
	struct egw_neigh_view v;
	int rc = 0;

	if (!egw_tel_param_offset(params, &first))
		return egw_tel_error(d, "the parameter is a slot: 0, or a next_offset");
	list = rte_tel_data_alloc();
	if (!list)
		return -ENOMEM;
	rte_tel_data_start_dict(list);
	for (uint32_t slot = 0; slot < n && rc == 0; slot++) {
		struct rte_tel_data *e;

		if (!egw_neigh_view(r, slot, &v))
			continue;
		total++;
		if (slot < first)
			continue;
		if (listed == NEIGHBORS_PER_REPLY) {
			if (next_offset == 0)
				next_offset = slot;
			continue;
		}
		e = rte_tel_data_alloc();
		if (!e) {
			rc = -ENOMEM;
			break;
		}
		add_neighbor(e, &v);
		rc = add_child(list, 'n', slot, e);
		listed++;
	}
	if (rc != 0) {
		rte_tel_data_free(list);
		return rc;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "total", total);
	rte_tel_data_add_dict_u64(d, "offset", first);
	rte_tel_data_add_dict_u64(d, "next_offset", next_offset);
	return add_list(d, "neighbors", list);
}

int egw_tel_sources(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct egw_sources_answer ans;
	struct rte_tel_data *list;
	char err[256];
	int rc;

	if (params && *params)
		return egw_tel_error(d, EGW_TEL_NO_PARAMS);
	if (egw_sources_ask(egw_tel_src->dp, &ans, err, sizeof(err)) < 0)
		return egw_tel_error(d, err);
	list = rte_tel_data_alloc();
	if (!list)
		return -ENOMEM;
	rte_tel_data_start_dict(list);
	rc = 0;
	for (uint32_t i = 0; i < ans.n && rc == 0; i++) {
		struct rte_tel_data *e = rte_tel_data_alloc();
		if (!e) {
			rc = -ENOMEM;
			break;
		}
		rte_tel_data_start_dict(e);
		add_ipv4(e, "address", rte_be_to_cpu_32(ans.top[i].addr));
		rte_tel_data_add_dict_u64(e, "mappings", ans.top[i].flows);
		rc = add_child(list, 's', i, e);
	}
	if (rc != 0) {
		rte_tel_data_free(list);
		return rc;
	}
	rte_tel_data_start_dict(d);
	return add_list(d, "sources", list);
}
