/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_mempool.h>

#include "metrics.h"
#include "pipeline/latency.h"
#include "tel_internal.h"
#include "view.h"

void egw_metrics_buf_free(struct egw_metrics_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void egw_metrics_printf(struct egw_metrics_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->p && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 16384;
		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

void egw_metrics_label_value(struct egw_metrics_buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			egw_metrics_printf(b, "\\\\");
		else if (*v == '"')
			egw_metrics_printf(b, "\\\"");
		else if (*v == '\n')
			egw_metrics_printf(b, "\\n");
		else
			egw_metrics_printf(b, "%c", *v);
	}
}

static void family(struct egw_metrics_buf *b, const char *name, const char *type, const char *help)
{
	egw_metrics_printf(b, "# HELP egressgw_%s %s\n# TYPE egressgw_%s %s\n", name, help, name,
		type);
}

/* One sample: egressgw_NAME{LABEL="VALUE"} V (LABEL NULL: no labels). */
static void sample(struct egw_metrics_buf *b, const char *name, const char *label,
	const char *value, uint64_t v)
{
	egw_metrics_printf(b, "egressgw_%s", name);
	if (label) {
		egw_metrics_printf(b, "{%s=\"", label);
		egw_metrics_label_value(b, value);
		egw_metrics_printf(b, "\"}");
	}
	egw_metrics_printf(b, " %llu\n", (unsigned long long)v);
}

static void scalar(struct egw_metrics_buf *b, const char *name, const char *type, const char *help,
	uint64_t v)
{
	family(b, name, type, help);
	sample(b, name, NULL, NULL, v);
}

#define NAMES_LOAD(f) (s->names_tel ? __atomic_load_n(&s->names_tel->f, __ATOMIC_RELAXED) : 0)

/* DNS through the appliance (workers) and the names learned from it (control thread). */
static void render_dns(const struct egw_tel_source *s, struct egw_metrics_buf *b,
	const struct egw_worker_stats *st)
{
	family(b, "dns_answers_total", "counter",
		"DNS answers seen by the workers, by what became of them.");
	sample(b, "dns_answers_total", "result", "learned", st->dns_answers_learned);
	sample(b, "dns_answers_total", "result", "unmatched", st->dns_answers_unmatched);
	sample(b, "dns_answers_total", "result", "malformed", st->dns_answers_malformed);
	scalar(b, "dns_queries_total", "counter", "DNS A queries remembered for their answers.",
		st->dns_queries);
	scalar(b, "dns_nxdomain_sent_total", "counter", "NXDOMAIN answers sent by dns_filter.",
		st->dns_nxdomain_sent);
	scalar(b, "dns_ech_stripped_total", "counter",
		"DNS answers whose HTTPS/SVCB records lost ech (dns_filter).",
		st->dns_ech_stripped);
	scalar(b, "names_learned_total", "counter", "(name, address) entries learned from DNS.",
		NAMES_LOAD(learned));
	scalar(b, "names_expired_total", "counter", "Learned entries removed at their expiry.",
		NAMES_LOAD(expired));
	family(b, "names_evicted_total", "counter", "Learned entries evicted, by the cap hit.");
	sample(b, "names_evicted_total", "cap", "dns_max_per_name", NAMES_LOAD(evicted_name));
	sample(b, "names_evicted_total", "cap", "dns_max_entries", NAMES_LOAD(evicted_total));
	scalar(b, "names_journal_dropped_total", "counter",
		"DNS answers lost to a full worker journal.", NAMES_LOAD(journal_dropped));
	scalar(b, "names_entries", "gauge", "Learned (name, address) entries.",
		NAMES_LOAD(entries));
	scalar(b, "names_views_total", "counter", "Views of learned names published.",
		NAMES_LOAD(views));
}

/* rx_nombuf of every port (also per port: port_rx_nombuf_total). */
static uint64_t rx_nombuf(const struct egw_tel_source *s)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < s->conf->n_ports; i++) {
		struct egw_port_view v;

		egw_view_port(s, i, &v);
		n += v.st.rx_nombuf;
	}
	return n;
}

static void render_totals(const struct egw_tel_source *s, struct egw_metrics_buf *b)
{
	struct egw_worker_stats st;

	egw_dataplane_stats(s->dp, &st);
	family(b, "forwarded_packets_total", "counter",
		"Packets forwarded, by direction (outbound: inside to outside).");
	sample(b, "forwarded_packets_total", "direction", "outbound", st.outbound_packets);
	sample(b, "forwarded_packets_total", "direction", "inbound", st.inbound_packets);
	family(b, "forwarded_bytes_total", "counter", "IP bytes forwarded, by direction.");
	sample(b, "forwarded_bytes_total", "direction", "outbound", st.outbound_bytes);
	sample(b, "forwarded_bytes_total", "direction", "inbound", st.inbound_bytes);
	scalar(b, "flows_active", "gauge",
		"Live flows (not finished: TCP time-wait or closed, answered UDP requests).",
		egw_dataplane_flows_active(s->dp));
	scalar(b, "flows_max", "gauge", "Flows the tables hold at most ([flows] max).",
		s->conf->flows.max);
	scalar(b, "flows_time_wait", "gauge",
		"Finished flows kept for late packets: TCP time-wait or closed, answered UDP.",
		st.flows_time_wait);
	scalar(b, "flows_reused_total", "counter",
		"Flows ended by a SYN opening a new connection on their 5-tuple.", st.flows_reused);
	scalar(b, "nat_port_reclaimed_total", "counter",
		"Finished flows ended to give their NAT port to a new flow.",
		st.nat_port_reclaimed);
	scalar(b, "flows_reclaimed_total", "counter",
		"Finished flows ended to make room for a new flow in a full table.",
		st.flows_reclaimed);
	scalar(b, "nat_mappings", "gauge",
		"Endpoint-independent mappings held by flows (RFC 4787 REQ-1).", st.nat_mappings);
	scalar(b, "nat_inbound_flows_total", "counter",
		"Flows outside hosts opened through a mapping's filtering (RFC 4787 REQ-8).",
		st.nat_inbound_flows);
	scalar(b, "nat_inbound_filtered_total", "counter",
		"Outside packets to a mapping that its filtering refused (dropped: unsolicited).",
		st.nat_inbound_filtered);
	scalar(b, "nat_hairpinned_total", "counter",
		"Packets to a pool address turned back inside (hairpinning, RFC 4787 REQ-9).",
		st.nat_hairpinned);
	scalar(b, "flows_created_total", "counter", "Flows admitted.", st.flows_created);
	scalar(b, "flows_expired_total", "counter", "Flows removed after their idle timeout.",
		st.flows_expired);
	scalar(b, "flows_revoked_total", "counter", "Flows a policy change no longer allowed.",
		st.flows_revoked);
	scalar(b, "tcp_resets_sent_total", "counter", "TCP resets sent for revoked flows.",
		st.rst_sent);
	scalar(b, "icmp_errors_sent_total", "counter", "ICMP errors generated (TTL, MTU).",
		st.icmp_errors_sent);
	scalar(b, "packets_fragmented_total", "counter",
		"Packets too big for their exit, DF clear, sent in fragments.",
		st.packets_fragmented);
	scalar(b, "fragments_sent_total", "counter",
		"Fragments the appliance made of packets too big for their exit.",
		st.fragments_sent);
	scalar(b, "rejects_sent_total", "counter",
		"Refused new flows answered: TCP RST or ICMP administratively prohibited.",
		st.rejects_sent);
	scalar(b, "rejects_rate_limited_total", "counter",
		"Refusals not answered for reject_rate (dropped all the same).",
		st.rejects_rate_limited);
	render_dns(s, b, &st);
	family(b, "host_flows_total", "counter",
		"TCP flows that waited for their host name, by outcome (tls/http policies).");
	sample(b, "host_flows_total", "outcome", "allowed", st.host_allowed);
	sample(b, "host_flows_total", "outcome", "denied", st.host_denied);
	sample(b, "host_flows_total", "outcome", "timeout", st.host_timeouts);
	scalar(b, "host_hold_limit_total", "counter",
		"Waiting flows that needed more than host_hold_bytes (refused, host_unknown).",
		st.host_hold_limit);
	family(b, "late_cookies_total", "counter",
		"Late binding: SYN cookies sent, and client ACKs that proved one or did not.");
	sample(b, "late_cookies_total", "outcome", "sent", st.late_cookies_sent);
	sample(b, "late_cookies_total", "outcome", "valid", st.late_cookies_valid);
	sample(b, "late_cookies_total", "outcome", "failed", st.late_cookies_failed);
	scalar(b, "late_spliced_total", "counter",
		"Late-bound flows connected upstream and spliced.", st.late_spliced);
	scalar(b, "late_denied_total", "counter",
		"Late-bound flows denied by their name (only the client reset).", st.late_denied);
	family(b, "late_upstream_failures_total", "counter",
		"Late-bound flows whose upstream SYN failed (client reset), by reason.");
	sample(b, "late_upstream_failures_total", "reason", "rst", st.late_upstream_rst);
	sample(b, "late_upstream_failures_total", "reason", "unreachable",
		st.late_upstream_unreachable);
	sample(b, "late_upstream_failures_total", "reason", "timeout", st.late_upstream_timeout);
	scalar(b, "syn_cookie_mode", "gauge",
		"Workers answering every new TCP flow's SYN with a cookie now (syn_cookies).",
		st.syn_cookie_mode);
	scalar(b, "syn_cookie_activations_total", "counter",
		"Times a worker switched to SYN cookies (syn_cookies = auto).",
		st.syn_cookie_activations);
	scalar(b, "tcp_half_open", "gauge", "TCP flows with a SYN but no completed handshake.",
		st.tcp_half_open);
	scalar(b, "tcp_ack_probes_sent_total", "counter",
		"ACK probes sent after the RST of a revoked flow.", st.ack_probes_sent);
	scalar(b, "handoffs_total", "counter",
		"Packets a worker handed to the worker that owns their flow.", st.handoffs_out);
	scalar(b, "punted_total", "counter", "Packets workers passed to the control thread (ARP).",
		st.punted);
	scalar(b, "echo_replies_total", "counter", "ICMP echo replies to pings of our addresses.",
		st.echo_replies);
	scalar(b, "held_for_arp_total", "counter",
		"Packets held until their next hop's MAC address was resolved.", st.held);
	family(b, "fragments_total", "counter",
		"IPv4 fragments by fate: forwarded with their train's translation, held for "
		"their first fragment, dropped unreleased after ip_fragment_timeout.");
	sample(b, "fragments_total", "fate", "forwarded", st.fragments_forwarded);
	sample(b, "fragments_total", "fate", "held", st.fragments_held);
	sample(b, "fragments_total", "fate", "timed_out", st.fragments_timed_out);
	scalar(b, "rx_nombuf_total", "counter",
		"Packets lost on every port: no mbuf to receive them in.", rx_nombuf(s));
	if (s->pool) {
		scalar(b, "mbufs_in_use", "gauge", "Packet buffers in use (rings, queues, held).",
			rte_mempool_in_use_count(s->pool));
		scalar(b, "mbufs", "gauge", "Packet buffers in the pool.", s->pool->size);
	}
	family(b, "drops_total", "counter", "Packets dropped, by reason.");
	for (unsigned r = 1; r < EGW_DROP_MAX; r++)
		sample(b, "drops_total", "reason", egw_drop_name((enum egw_drop_reason)r),
			st.drops[r]);
	scalar(b, "flow_log_records_total", "counter", "Flow log records written.",
		st.flow_log_written);
	scalar(b, "flow_log_dropped_total", "counter",
		"Flow log records lost: a worker's queue was full.", st.flow_log_dropped);
	scalar(b, "flow_log_errors_total", "counter", "Flow log records lost to write errors.",
		st.flow_log_errors);
	scalar(b, "flow_log_deny_dropped_total", "counter",
		"Deny records not written: over the deny record rate (repeats are counted, not "
		"dropped).",
		st.flow_log_deny_dropped);
}

/* A family of one 64-bit field of a per-entity view (a port, a worker). */
struct view_family {
	const char *name, *type, *help;
	size_t off;
};

/* Every family of FAMS, one sample per entity: N views STRIDE bytes apart from VIEWS, the
 * entity named by LABEL="NAMES[i]". */
static void render_views(struct egw_metrics_buf *b, const struct view_family *fams, unsigned n_fams,
	const char *label, const char *const *names, const void *views, size_t stride, unsigned n)
{
	for (unsigned f = 0; f < n_fams; f++) {
		family(b, fams[f].name, fams[f].type, fams[f].help);
		for (unsigned i = 0; i < n; i++)
			sample(b, fams[f].name, label, names[i],
				*(const uint64_t *)((const char *)views + i * stride +
						    fams[f].off));
	}
}

static void render_ports(const struct egw_tel_source *s, struct egw_metrics_buf *b)
{
#define F(n, t, h, field)                                                                          \
	{                                                                                          \
		n, t, h, offsetof(struct egw_port_view, st.field)                                  \
	}
	static const struct view_family fams[] = {
		F("port_rx_packets_total", "counter", "Packets received by the port.", ipackets),
		F("port_tx_packets_total", "counter", "Packets sent by the port.", opackets),
		F("port_rx_bytes_total", "counter", "Bytes received by the port.", ibytes),
		F("port_tx_bytes_total", "counter", "Bytes sent by the port.", obytes),
		F("port_rx_missed_total", "counter", "Packets the NIC dropped: RX queue full.",
			imissed),
		F("port_rx_errors_total", "counter", "Erroneous packets received.", ierrors),
		F("port_tx_errors_total", "counter", "Packets the port failed to send.", oerrors),
		F("port_rx_nombuf_total", "counter", "Packets lost: no mbuf to receive them in.",
			rx_nombuf),
	};
#undef F
#define F(n, t, h, field)                                                                          \
	{                                                                                          \
		n, t, h, offsetof(struct egw_port_view, field)                                     \
	}
	static const struct view_family lost[] = {
		F("port_tx_full_total", "counter", "Packets the port's TX queues refused.",
			tx_full),
		F("port_rx_ring_drops_total", "counter",
			"af_packet ports: frames the kernel dropped, the socket's RX ring full.",
			rx_ring_drops),
		F("port_if_rx_dropped_total", "counter",
			"af_packet ports: the kernel interface's rx_dropped.", if_rx_dropped),
		F("port_if_tx_dropped_total", "counter",
			"af_packet ports: the kernel interface's tx_dropped.", if_tx_dropped),
	};
#undef F
	/* Zeroed: GCC cannot see that the loop below fills the N entries read. */
	struct egw_port_view v[EGW_MAX_PORTS] = { 0 };
	const char *names[EGW_MAX_PORTS] = { NULL };
	unsigned n = s->conf->n_ports;

	for (unsigned i = 0; i < n; i++) {
		egw_view_port(s, i, &v[i]);
		names[i] = v[i].conf->name;
	}
	render_views(b, fams, RTE_DIM(fams), "port", names, v, sizeof(v[0]), n);
	render_views(b, lost, RTE_DIM(lost), "port", names, v, sizeof(v[0]), n);
	family(b, "port_link_up", "gauge", "1 when the port's link is up.");
	for (unsigned i = 0; i < n; i++)
		sample(b, "port_link_up", "port", names[i], v[i].link_up);
}

static double latency_sum_low(const struct egw_latency *h)
{
	double sum = 0;

	for (unsigned i = 0; i < EGW_LAT_BUCKETS; i++)
		sum += (double)h->bucket[i] * (double)egw_latency_bucket_low(i);
	return sum;
}

/* [metrics] latency: the time inside over all workers, as a summary (quantiles since start). */
static void render_latency(const struct egw_tel_source *s, struct egw_metrics_buf *b)
{
	static const double qs[] = { 0.5, 0.99, 0.999 };
	struct egw_latency *h = calloc(1, sizeof(*h)); /* 4 KiB: off the server thread's stack */
	bool on = h != NULL;
	uint64_t n;

	for (unsigned i = 0; on && i < egw_dataplane_n_workers(s->dp); i++)
		on = egw_dataplane_latency(s->dp, i, h);
	if (!on) {
		free(h);
		return;
	}
	n = egw_latency_count(h);
	family(b, "latency_seconds", "summary",
		"Time packets spend inside, from the worker loop that received them to their TX "
		"burst ([metrics] latency).");
	for (unsigned i = 0; i < RTE_DIM(qs); i++)
		egw_metrics_printf(b, "egressgw_latency_seconds{quantile=\"%g\"} %.9f\n", qs[i],
			(double)egw_latency_quantile(h, qs[i]) / (double)rte_get_tsc_hz());
	/* The histogram keeps no exact sum: the sum of its buckets' lower bounds. */
	egw_metrics_printf(b, "egressgw_latency_seconds_sum %.9f\n",
		latency_sum_low(h) / (double)rte_get_tsc_hz());
	egw_metrics_printf(b, "egressgw_latency_seconds_count %llu\n", (unsigned long long)n);
	free(h);
}

static void render_workers(const struct egw_tel_source *s, struct egw_metrics_buf *b)
{
#define F(n, t, h, field)                                                                          \
	{                                                                                          \
		n, t, h, offsetof(struct egw_worker_view, field)                                   \
	}
	static const struct view_family fams[] = {
		F("worker_rx_packets_total", "counter", "Packets the worker received.", rx_packets),
		F("worker_polls_total", "counter", "Poll rounds of the worker loop.", polls),
		F("worker_busy_polls_total", "counter", "Poll rounds that found work.", busy_polls),
		F("worker_busy_cycles_total", "counter",
			"TSC cycles of the poll rounds that found work.", busy_cycles),
		F("worker_handoffs_out_total", "counter", "Packets handed to their owner worker.",
			handoffs_out),
		F("worker_flows_active", "gauge", "Flows in the worker's table.", flows_active),
		F("worker_rss_hash_mismatch_total", "counter",
			"NIC RSS hashes that disagreed with the software Toeplitz (then computed).",
			rss_hash_mismatch),
	};
#undef F
	struct egw_worker_view v[EGW_MAX_WORKERS];
	char id[EGW_MAX_WORKERS][12];
	const char *names[EGW_MAX_WORKERS];
	unsigned n = egw_dataplane_n_workers(s->dp);

	for (unsigned i = 0; i < n; i++) {
		egw_dataplane_worker_view(s->dp, i, &v[i]);
		snprintf(id[i], sizeof(id[i]), "%u", i);
		names[i] = id[i];
	}
	render_views(b, fams, RTE_DIM(fams), "worker", names, v, sizeof(v[0]), n);
}

static void render_policies(const struct egw_tel_source *s, const struct egw_running *run,
	struct egw_metrics_buf *b)
{
	static const struct {
		const char *name, *type, *help;
	} fams[] = {
		{ "policy_flows_allowed_total", "counter", "Flows the policy admitted." },
		{ "policy_flows_denied_total", "counter",
			"New flows refused: deny action or max_flows reached." },
		{ "policy_packets_total", "counter", "Packets of the policy's flows." },
		{ "policy_bytes_total", "counter", "IP bytes of the policy's flows." },
		{ "policy_flows_active", "gauge",
			"Flows the policy admitted that are in the flow tables now." },
		{ "policy_quota_in_use", "gauge", "Flows holding the policy's max_flows quota." },
	};
	const struct egw_policy_slots *sl = s->slots;
	uint64_t gen = run->generation;
	uint32_t next = __atomic_load_n(&sl->next, __ATOMIC_ACQUIRE);

	for (unsigned f = 0; f < RTE_DIM(fams); f++) {
		family(b, fams[f].name, fams[f].type, fams[f].help);
		for (uint32_t slot = 0; slot < next; slot++) {
			struct egw_policy_counters c;
			uint64_t v[6];
			/* The running generation's policies; slot 0, "(mode)", is always there. */
			if (slot != 0 &&
				__atomic_load_n(&sl->generation[slot], __ATOMIC_RELAXED) != gen)
				continue;
			egw_dataplane_policy(s->dp, slot, &c);
			v[0] = c.flows;
			v[1] = c.denied;
			v[2] = c.packets;
			v[3] = c.bytes;
			v[4] = c.flows - c.ended;
			v[5] = egw_dataplane_policy_active(s->dp, slot);
			sample(b, fams[f].name, "policy", sl->names[slot], v[f]);
		}
	}
}

static void render_pools(const struct egw_tel_source *s, struct egw_metrics_buf *b)
{
	static const char *const names[3] = { "pool_ports_in_use", "pool_ports_free",
		"pool_exhausted_total" };
	static const char *const helps[3] = {
		("Flows holding a port of the egress address (endpoint-dependent mapping reuses "
		 "a port toward other destinations)."),
		"Ports of the egress address no flow holds.",
		"New flows refused: no free port on the egress address.",
	};
	struct egw_pool_conf *pools = malloc(EGW_MAX_POOLS * sizeof(*pools));
	unsigned n;

	if (!pools) {
		b->oom = true;
		return;
	}
	n = egw_view_pools(s, pools);
	for (unsigned f = 0; f < 3; f++) {
		family(b, names[f], f == 2 ? "counter" : "gauge", helps[f]);
		for (unsigned i = 0; i < n; i++) {
			for (unsigned a = 0; a < pools[i].n_addrs; a++) {
				struct egw_addr_view av;
				uint64_t v;
				char ip[16];
				egw_view_pool_addr(s->dp, &pools[i], a, &av);
				v = f == 0 ? av.in_use : f == 1 ? av.free : av.exhausted;
				egw_metrics_printf(b, "egressgw_%s{pool=\"", names[f]);
				egw_metrics_label_value(b, pools[i].name);
				egw_metrics_printf(b, "\",address=\"%s\"} %llu\n",
					egw_fmt_ipv4(ip, pools[i].addrs[a]), (unsigned long long)v);
			}
		}
	}
	free(pools);
}

static void render_neighbors(const struct egw_tel_source *s, struct egw_metrics_buf *b)
{
	uint32_t counts[EGW_NEIGH_ST_MAX];
	struct egw_neigh_stats st;
	char name[64];

	egw_view_neigh_stats(s, &st);
	for (unsigned i = 0; i < EGW_VIEW_NEIGH_COUNTERS; i++) {
		const struct egw_view_counter *c = &egw_view_neigh_counters[i];
		snprintf(name, sizeof(name), "%s_total", c->name);
		scalar(b, name, "counter", c->help,
			*(const uint64_t *)((const char *)&st + c->off));
	}
	egw_view_neigh_states(s, counts);
	family(b, "neighbors", "gauge", "Neighbours (ARP) by state.");
	for (unsigned i = EGW_NEIGH_ST_NONE + 1; i < EGW_NEIGH_ST_MAX; i++)
		sample(b, "neighbors", "state", egw_neigh_state_name((enum egw_neigh_state)i),
			counts[i]);
}

/* The outcome of the last reload, as alert rules want it (Prometheus' own convention). */
static void render_reload(const struct egw_reload_result *r, struct egw_metrics_buf *b)
{
	scalar(b, "config_last_reload_successful", "gauge",
		"1 when the last reload was applied (or none was tried), 0 when it was rejected.",
		!r->done || r->ok);
	if (r->done && r->ok)
		scalar(b, "config_last_reload_success_timestamp_seconds", "gauge",
			"Unix time of the last reload that was applied.",
			(uint64_t)(r->time_ms / 1000));
}

/* The tunnel service ([tunnel]), when it runs. */
static void render_tunnels(const struct egw_tel_source *s, struct egw_metrics_buf *b)
{
	struct egw_tunnel_stats st;

	if (!s->tunnel_stats)
		return;
	s->tunnel_stats(s->tunnel_ctx, &st);
	family(b, "tunnel_requests_total", "counter",
		"Tunnel requests (HTTP CONNECT, SOCKS5) by transport and result.");
	for (unsigned t = 0; t < EGW_TUNNEL_N_TRANSPORTS; t++)
		for (unsigned r = 0; r < EGW_TUNNEL_N_RESULTS; r++) {
			egw_metrics_printf(b,
				"egressgw_tunnel_requests_total{transport=\"%s\",result=\"%s\"} "
				"%llu\n",
				egw_tel_tunnel_transport(t), egw_tel_tunnel_result(r),
				(unsigned long long)st.t[t].requests[r]);
		}
	family(b, "tunnel_clients_total", "counter", "Tunnel client connections, by transport.");
	for (unsigned t = 0; t < EGW_TUNNEL_N_TRANSPORTS; t++)
		sample(b, "tunnel_clients_total", "transport", egw_tel_tunnel_transport(t),
			st.t[t].clients_total);
	family(b, "tunnel_bytes_total", "counter",
		"Bytes relayed by tunnels, by transport and direction.");
	for (unsigned t = 0; t < EGW_TUNNEL_N_TRANSPORTS; t++) {
		egw_metrics_printf(b,
			"egressgw_tunnel_bytes_total{transport=\"%s\",direction=\"up\"} %llu\n"
			"egressgw_tunnel_bytes_total{transport=\"%s\",direction=\"down\"} %llu\n",
			egw_tel_tunnel_transport(t), (unsigned long long)st.t[t].bytes_up,
			egw_tel_tunnel_transport(t), (unsigned long long)st.t[t].bytes_down);
	}
	scalar(b, "tunnel_clients", "gauge", "Tunnel client connections now.", st.clients_current);
	scalar(b, "tunnel_tunnels", "gauge", "Tunnels (upstream connections) now.",
		st.tunnels_current);
	scalar(b, "tunnel_memory_bytes", "gauge", "Memory the tunnel engine holds.",
		st.memory_bytes);
	scalar(b, "tunnel_buffer_waits_total", "counter",
		"Reads postponed because every relay buffer was in use.", st.buffer_waits);
}

int egw_metrics_render(const struct egw_tel_source *s, struct egw_metrics_buf *b)
{
	struct egw_running run;

	if (egw_view_running(s, &run) < 0)
		return -EBUSY;
	family(b, "info", "gauge", "Always 1; the labels say which egressgw runs how.");
	egw_metrics_printf(b, "egressgw_info{version=\"");
	egw_metrics_label_value(b, s->version);
	egw_metrics_printf(b, "\",mode=\"%s\"} 1\n", egw_mode_name(run.mode));
	scalar(b, "uptime_seconds", "gauge", "Seconds since the appliance started.",
		(rte_get_tsc_cycles() - s->start_tsc) / rte_get_tsc_hz());
	scalar(b, "start_time_seconds", "gauge", "Unix time the appliance started.",
		(uint64_t)(s->start_wall_ms / 1000));
	scalar(b, "policy_generation", "gauge", "Generation of the running policy snapshot.",
		run.generation);
	render_reload(&run.last_reload, b);
	render_totals(s, b);
	render_ports(s, b);
	render_workers(s, b);
	render_latency(s, b);
	render_policies(s, &run, b);
	render_pools(s, b);
	render_neighbors(s, b);
	render_tunnels(s, b);
	return b->oom ? -ENOMEM : 0;
}
