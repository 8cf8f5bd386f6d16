/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <rte_cycles.h>
#include <rte_mempool.h>
#include <rte_telemetry.h>

#include "common/file.h"
#include "common/time_fmt.h"
#include "conf/conf.h"
#include "flow/flow.h"
#include "tel_internal.h"
#include "view.h"

const struct egw_tel_source *egw_tel_src;

/* [flows] timeouts as the workers run them (fixed at start), seconds, under "flow_timeouts". */
static int add_flow_timeouts(struct rte_tel_data *d, const struct egw_conf *c)
{
	struct rte_tel_data *t = rte_tel_data_alloc();
	char ports[EGW_MAX_UDP_PORT_TIMEOUTS * 12 + 1] = "";
	size_t used = 0;

	if (!t)
		return -ENOMEM;
	rte_tel_data_start_dict(t);
	rte_tel_data_add_dict_u64(t, "tcp_syn", c->flows.tcp_syn);
	rte_tel_data_add_dict_u64(t, "tcp_established", c->flows.tcp_established);
	rte_tel_data_add_dict_u64(t, "tcp_transitory", c->flows.tcp_transitory);
	rte_tel_data_add_dict_u64(t, "tcp_time_wait",
		egw_flow_timeout_within(c->flows.tcp_time_wait, c->flows.tcp_transitory));
	rte_tel_data_add_dict_u64(t, "tcp_close",
		egw_flow_timeout_within(c->flows.tcp_close, c->flows.tcp_transitory));
	rte_tel_data_add_dict_u64(t, "udp_reply",
		egw_flow_timeout_within(c->flows.udp_reply, c->flows.udp));
	rte_tel_data_add_dict_u64(t, "udp", c->flows.udp);
	rte_tel_data_add_dict_u64(t, "icmp", c->flows.icmp);
	for (unsigned i = 0; i < c->flows.n_udp_ports && used < sizeof(ports); i++)
		used += (size_t)snprintf(ports + used, sizeof(ports) - used, "%s%u:%u",
			i ? "," : "", c->flows.udp_ports[i].port, c->flows.udp_ports[i].seconds);
	rte_tel_data_add_dict_string(t, "udp_port_timeouts", ports);
	if (rte_tel_data_add_dict_container(d, "flow_timeouts", t, 0) != 0) {
		rte_tel_data_free(t);
		return -ENOMEM;
	}
	return 0;
}

static int cmd_info(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct egw_tel_source *s = egw_tel_src;
	struct egw_running run;
	char summary[EGW_PATH_MAX + 640], when[40];

	if (params && *params)
		return egw_tel_error(d, EGW_TEL_NO_PARAMS);
	if (egw_view_running(s, &run) < 0)
		return egw_tel_error(d, EGW_TEL_BUSY);
	egw_reload_summary(&run.last_reload, summary, sizeof(summary));
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "version", s->version);
	rte_tel_data_add_dict_string(d, "mode", egw_mode_name(run.mode));
	rte_tel_data_add_dict_u64(d, "uptime_s",
		(rte_get_tsc_cycles() - s->start_tsc) / rte_get_tsc_hz());
	rte_tel_data_add_dict_string(d, "config_path", s->config_path);
	rte_tel_data_add_dict_string(d, "config_sha256", run.config_sha256);
	rte_tel_data_add_dict_u64(d, "policy_generation", run.generation);
	rte_tel_data_add_dict_u64(d, "workers", egw_dataplane_n_workers(s->dp));
	/* The one-line summary (cut by DPDK's string limit), then its parts, whole. */
	rte_tel_data_add_dict_string(d, "last_reload", summary);
	if (run.last_reload.done) {
		egw_fmt_rfc3339_ms(when, sizeof(when), run.last_reload.time_ms);
		rte_tel_data_add_dict_string(d, "last_reload_time", when);
		rte_tel_data_add_dict_u64(d, "last_reload_ok", run.last_reload.ok);
		rte_tel_data_add_dict_u64(d, "last_reload_errors", run.last_reload.n_errors);
		rte_tel_data_add_dict_string(d, "last_reload_first_error",
			run.last_reload.first_error);
	}
	rte_tel_data_add_dict_string(d, "metrics_listen", s->conf->metrics.listen);
	rte_tel_data_add_dict_string(d, "flow_log", s->conf->log.flow_log);
	if (add_flow_timeouts(d, s->conf) < 0)
		return -ENOMEM;
	return egw_tel_add_pool_modes(d);
}

static int cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct egw_worker_stats st;
	struct egw_neigh_stats nst;
	struct rte_tel_data *drops;
	uint64_t total = 0;

	if (params && *params)
		return egw_tel_error(d, EGW_TEL_NO_PARAMS);
	egw_dataplane_stats(egw_tel_src->dp, &st);
	egw_view_neigh_stats(egw_tel_src, &nst);
	drops = rte_tel_data_alloc();
	if (!drops)
		return -ENOMEM;
	rte_tel_data_start_dict(drops);
	for (unsigned i = 1; i < EGW_DROP_MAX; i++) {
		rte_tel_data_add_dict_u64(drops, egw_drop_name((enum egw_drop_reason)i),
			st.drops[i]);
		total += st.drops[i];
	}
	rte_tel_data_start_dict(d);
#define U64(name, v) rte_tel_data_add_dict_u64(d, name, v)
	U64("packets_in", st.rx_packets);
	U64("bytes_in", st.rx_bytes);
	U64("packets_out", st.tx_packets);
	U64("bytes_out", st.tx_bytes);
	U64("outbound_packets", st.outbound_packets);
	U64("outbound_bytes", st.outbound_bytes);
	U64("inbound_packets", st.inbound_packets);
	U64("inbound_bytes", st.inbound_bytes);
	U64("flows_active", egw_dataplane_flows_active(egw_tel_src->dp));
	U64("flows_created", st.flows_created);
	U64("flows_expired", st.flows_expired);
	U64("flows_revoked", st.flows_revoked);
	U64("flows_time_wait", st.flows_time_wait);
	U64("flows_reused", st.flows_reused);
	U64("nat_port_reclaimed", st.nat_port_reclaimed);
	U64("flows_reclaimed", st.flows_reclaimed);
	U64("nat_mappings", st.nat_mappings);
	U64("nat_inbound_flows", st.nat_inbound_flows);
	U64("nat_inbound_filtered", st.nat_inbound_filtered);
	U64("nat_hairpinned", st.nat_hairpinned);
	U64("tcp_resets_sent", st.rst_sent);
	U64("tcp_ack_probes_sent", st.ack_probes_sent);
	U64("rejects_sent", st.rejects_sent);
	U64("rejects_rate_limited", st.rejects_rate_limited);
	U64("host_flows_pending", st.host_pending);
	U64("host_flows_allowed", st.host_allowed);
	U64("host_flows_denied", st.host_denied);
	U64("host_timeouts", st.host_timeouts);
	U64("host_hold_limit", st.host_hold_limit);
	U64("host_rebind", st.host_rebind);
	U64("host_names_full", st.host_names_full);
	U64("late_cookies_sent", st.late_cookies_sent);
	U64("late_cookies_valid", st.late_cookies_valid);
	U64("late_cookies_failed", st.late_cookies_failed);
	U64("late_pending", st.late_pending);
	U64("late_spliced", st.late_spliced);
	U64("late_denied", st.late_denied);
	U64("late_syns_sent", st.late_syns_sent);
	U64("late_upstream_rst", st.late_upstream_rst);
	U64("late_upstream_unreachable", st.late_upstream_unreachable);
	U64("late_upstream_timeout", st.late_upstream_timeout);
	U64("syn_cookie_mode", st.syn_cookie_mode);
	U64("syn_cookie_activations", st.syn_cookie_activations);
	U64("tcp_half_open", st.tcp_half_open);
	U64("handoffs", st.handoffs_out);
	U64("punted", st.punted);
	U64("echo_replies", st.echo_replies);
	U64("held_for_arp", st.held);
	U64("fragments_forwarded", st.fragments_forwarded);
	U64("fragments_held", st.fragments_held);
	U64("fragments_timed_out", st.fragments_timed_out);
	for (unsigned i = 0; i < EGW_VIEW_NEIGH_COUNTERS; i++)
		U64(egw_view_neigh_counters[i].name,
			*(const uint64_t *)((const char *)&nst + egw_view_neigh_counters[i].off));
	U64("icmp_errors_sent", st.icmp_errors_sent);
	U64("packets_fragmented", st.packets_fragmented);
	U64("fragments_sent", st.fragments_sent);
	U64("dns_queries", st.dns_queries);
	U64("dns_answers_learned", st.dns_answers_learned);
	U64("dns_answers_unmatched", st.dns_answers_unmatched);
	U64("dns_answers_malformed", st.dns_answers_malformed);
	U64("dns_nxdomain_sent", st.dns_nxdomain_sent);
	U64("dns_ech_stripped", st.dns_ech_stripped);
	U64("flow_log_written", st.flow_log_written);
	U64("flow_log_dropped", st.flow_log_dropped);
	U64("flow_log_errors", st.flow_log_errors);
	U64("flow_log_deny_dropped", st.flow_log_deny_dropped);
	U64("mbufs_in_use", egw_tel_src->pool ? rte_mempool_in_use_count(egw_tel_src->pool) : 0);
	U64("drops_total", total);
#undef U64
	rte_tel_data_add_dict_container(d, "drops", drops, 0);
	return 0;
}

/*
 * One reply carries at most this many policies: DPDK 22.11 writes a reply into 16 KB and
 * silently leaves out what does not fit; an entry takes up to ~150 bytes.
 */
#define POLICIES_PER_REPLY 80

/* Adds policy NAME (counters of SLOT) to dict D under KEY. */
static int add_policy(struct rte_tel_data *d, const char *key, const char *name, uint32_t slot)
{
	struct rte_tel_data *p = rte_tel_data_alloc();
	struct egw_policy_counters c;
	int rc;

	if (!p)
		return -ENOMEM;
	egw_dataplane_policy(egw_tel_src->dp, slot, &c);
	rte_tel_data_start_dict(p);
	/* The name is a value, not a key: DPDK refuses keys with '-', policy names allow it. */
	rte_tel_data_add_dict_string(p, "name", name);
	rte_tel_data_add_dict_u64(p, "flows_allowed", c.flows);
	rte_tel_data_add_dict_u64(p, "flows_denied", c.denied);
	rte_tel_data_add_dict_u64(p, "packets", c.packets);
	rte_tel_data_add_dict_u64(p, "bytes", c.bytes);
	rte_tel_data_add_dict_u64(p, "flows_active", c.flows - c.ended);
	rte_tel_data_add_dict_u64(p, "quota_in_use",
		egw_dataplane_policy_active(egw_tel_src->dp, slot));
	/* DPDK 22.11 nests dicts in dicts only (not in arrays): entries are keyed "p<N>". */
	rc = rte_tel_data_add_dict_container(d, key, p, 0);
	if (rc != 0)
		rte_tel_data_free(p);
	return rc;
}

/*
 * Per policy of the running generation: flows allowed/denied/active, packets, bytes, keyed by
 * position ("p0", "p1", ...). Position 0 is "(mode)": what the mode decided without a policy.
 * Optional parameter: the position of the first policy to list; a reply lists at most
 * POLICIES_PER_REPLY and says where the next page starts ("next_offset", 0 at the end).
 */
#define RULE_TEXT_MAX 12288 /* of a 16 KB reply; a longer rule is cut at a line ("cut": 1) */

/* The rule's INI lines, each a string (DPDK's limit is 127 bytes; lists wrap at 120). */
static int add_rule_lines(struct rte_tel_data *d, char *text, bool *cut)
{
	struct rte_tel_data *lines = rte_tel_data_alloc();
	char *save = NULL;
	int rc;

	if (!lines)
		return -ENOMEM;
	rte_tel_data_start_array(lines, RTE_TEL_STRING_VAL);
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (rte_tel_data_add_array_string(lines, l) != 0)
			*cut = true; /* a longer line is cut, or the array is full */
	rc = rte_tel_data_add_dict_container(d, "rule", lines, 0);
	if (rc != 0)
		rte_tel_data_free(lines);
	return rc;
}

/* /egw/policies,name=NAME (or a NAME that is not a number): one policy's rule and origin. */
static int cmd_policy_rule(const char *name, struct rte_tel_data *d)
{
	struct egw_observer_rule r;
	uint64_t gen;
	bool cut = false;
	char *text = malloc(RULE_TEXT_MAX);
	int rc;

	if (!text)
		return -ENOMEM;
	rc = egw_view_rule(egw_tel_src, name, &r, text, RULE_TEXT_MAX, &cut, &gen);
	if (rc < 0) {
		free(text);
		return egw_tel_error(d, rc == -EBUSY ?
						EGW_TEL_BUSY :
						"no policy of that name in the running generation");
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "generation", gen);
	rte_tel_data_add_dict_string(d, "name", r.name);
	rte_tel_data_add_dict_string(d, "origin", r.origin);
	rte_tel_data_add_dict_string(d, "action", egw_policy_action_name(r.action));
	rte_tel_data_add_dict_string(d, "protocol", egw_policy_proto_name(r.proto));
	rte_tel_data_add_dict_int(d, "priority", r.priority);
	rte_tel_data_add_dict_string(d, "pool", r.pool);
	rte_tel_data_add_dict_string(d, "exit", r.via);
	/* R.TEXT is in our buffer TEXT: the lines may be cut out of it in place. */
	rc = add_rule_lines(d, text + (r.text - text), &cut);
	rte_tel_data_add_dict_u64(d, "cut", cut);
	free(text);
	return rc;
}

static int cmd_policies(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct egw_policy_slots *sl = egw_tel_src->slots;
	struct egw_running run;
	uint64_t gen;
	uint32_t next = __atomic_load_n(&sl->next, __ATOMIC_ACQUIRE), skip = 0, listed = 0;
	uint32_t pos = 0, next_offset = 0;
	struct rte_tel_data *pols;
	char key[16];
	int rc = 0;

	if (params && strncmp(params, "name=", 5) == 0)
		return cmd_policy_rule(params + 5, d);
	if (!egw_tel_param_offset(params, &skip))
		return cmd_policy_rule(params, d);
	if (egw_view_running(egw_tel_src, &run) < 0)
		return egw_tel_error(d, EGW_TEL_BUSY);
	gen = run.generation;
	pols = rte_tel_data_alloc();
	if (!pols)
		return -ENOMEM;
	rte_tel_data_start_dict(pols);
	for (uint32_t slot = 0; slot < next && rc == 0; slot++) {
		/* Slot 0, "(mode)", belongs to every generation. */
		if (slot != 0 && __atomic_load_n(&sl->generation[slot], __ATOMIC_RELAXED) != gen)
			continue;
		if (pos >= skip && listed < POLICIES_PER_REPLY) {
			snprintf(key, sizeof(key), "p%u", pos);
			rc = add_policy(pols, key, sl->names[slot], slot);
			listed++;
		} else if (pos >= skip && next_offset == 0) {
			next_offset = pos;
		}
		pos++;
	}
	if (rc != 0) {
		rte_tel_data_free(pols);
		return rc;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "generation", gen);
	/* Policies of the configuration, "(mode)" not counted. */
	rte_tel_data_add_dict_u64(d, "policies_total", pos ? pos - 1 : 0);
	rte_tel_data_add_dict_u64(d, "offset", skip);
	rte_tel_data_add_dict_u64(d, "next_offset", next_offset);
	rc = rte_tel_data_add_dict_container(d, "policies", pols, 0);
	if (rc != 0)
		rte_tel_data_free(pols);
	return rc;
}

/* Help texts stay under RTE_TEL_MAX_STRING_LEN (128): DPDK refuses longer ones. */
static const struct {
	const char *name;
	telemetry_cb fn;
	const char *help;
} commands[] = {
	{ "/egw/info", cmd_info,
		"Version, mode, uptime, config path and SHA-256, policy "
		"generation, workers, last reload result. No parameters." },
	{ "/egw/stats", cmd_stats,
		"Totals: packets/bytes in and out per direction, flows "
		"active/created/expired, drops by reason. No parameters." },
	{ "/egw/policies", cmd_policies,
		"Per policy: flows allowed/denied/active, packets, bytes. Param: "
		"first position, or name=NAME: its rule and origin." },
	{ "/egw/ports", egw_tel_ports,
		"Per port: role, address, MAC, link, MTU, rx/tx packets "
		"and bytes, every loss counter. No parameters." },
	{ "/egw/workers", egw_tel_workers,
		"Per worker: lcore, packets, busy %, polls, flows, "
		"handoffs, drops. No parameters." },
	{ "/egw/latency", egw_tel_latency,
		"Time packets spend inside ([metrics] latency): p50, p99, p99.9 "
		"in ns, in total and per worker. No parameters." },
	{ "/egw/pools", egw_tel_pools,
		"Per pool and address: ports in use/free, exhaustion "
		"drops. Param: a pool name (default: all)." },
	{ "/egw/flows", egw_tel_flows,
		"Flows with translation and state. Param: addr= src= dst= "
		"nat= port= proto= policy= limit= (max 40)." },
	{ "/egw/sources", egw_tel_sources,
		"Inside addresses holding the most live mappings "
		"(max_per_source counts these). No parameters." },
	{ "/egw/neighbors", egw_tel_neighbors,
		"Neighbours (ARP): address, port, MAC, state, age, "
		"probes. Param: first slot (default 0)." },
	{ "/egw/names", egw_tel_names,
		"Names learned from DNS: name, address, remaining TTL; counters. "
		"Param: address=A[/N] name=NAME|GLOB limit=N (max 40)." },
	{ "/egw/tunnels", egw_tel_tunnels,
		"Tunnel service: clients, tunnels, memory; per transport clients, bytes, "
		"requests by result. No parameters." },
};

int egw_telemetry_register(const struct egw_tel_source *src)
{
	egw_tel_src = src;
	for (unsigned i = 0; i < RTE_DIM(commands); i++) {
		int rc = rte_telemetry_register_cmd(commands[i].name, commands[i].fn,
			commands[i].help);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int egw_sha256_file(const char *path, char hex[65])
{
	unsigned char buf[4096], md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	size_t n, total = 0;
	EVP_MD_CTX *ctx;
	char why[128];
	FILE *f;
	int fd, rc = 0;

	/* The config file, once more: the same rules as for parsing it (no FIFO, 16 MiB). */
	fd = egw_file_open_read(path, why, sizeof(why));
	if (fd < 0)
		return fd;
	f = fdopen(fd, "rb");
	if (!f) {
		rc = -errno;
		close(fd);
		return rc;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		rc = -ENOMEM;
		goto out;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		total += n;
		if (total > EGW_FILE_MAX_BYTES) {
			rc = -EFBIG;
			goto out;
		}
		if (EVP_DigestUpdate(ctx, buf, n) != 1) {
			rc = -EIO;
			goto out;
		}
	}
	if (ferror(f) || EVP_DigestFinal_ex(ctx, md, &md_len) != 1) {
		rc = -EIO;
		goto out;
	}
	for (unsigned i = 0; i < md_len && i < 32; i++)
		snprintf(hex + 2 * (size_t)i, 3, "%02x", md[i]);
out:
	EVP_MD_CTX_free(ctx);
	fclose(f);
	return rc;
}
