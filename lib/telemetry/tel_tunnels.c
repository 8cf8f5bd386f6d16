/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /egw/tunnels: the tunnel service's counters (lib/tunnel egw_tunnel_stats) and its exception
 * path's (lib/pipeline/exception.c). One dict per transport (DPDK's telemetry nests one level):
 * clients, bytes and requests by result.
 */
#include "pipeline/exception.h"
#include "tel_internal.h"

static const char *const transports[] = {
#define T_NAME(e, n) #n,
	EGW_TUNNEL_FOREACH_TRANSPORT(T_NAME)
#undef T_NAME
};

static const char *const results[] = {
#define R_NAME(e, n, http, socks) #n,
	EGW_TUNNEL_FOREACH_RESULT(R_NAME)
#undef R_NAME
};

static int add_transport(struct rte_tel_data *d, const char *name,
	const struct egw_tunnel_transport_stats *t)
{
	struct rte_tel_data *c = rte_tel_data_alloc();
	int rc;

	if (!c)
		return -ENOMEM;
	rte_tel_data_start_dict(c);
	rte_tel_data_add_dict_u64(c, "clients_current", t->clients_current);
	rte_tel_data_add_dict_u64(c, "clients_total", t->clients_total);
	rte_tel_data_add_dict_u64(c, "bytes_up", t->bytes_up);
	rte_tel_data_add_dict_u64(c, "bytes_down", t->bytes_down);
	for (unsigned r = 0; r < EGW_TUNNEL_N_RESULTS; r++)
		rte_tel_data_add_dict_u64(c, results[r], t->requests[r]);
	rc = rte_tel_data_add_dict_container(d, name, c, 0);
	if (rc != 0)
		rte_tel_data_free(c);
	return rc;
}

int egw_tel_tunnels(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct egw_tel_source *s = egw_tel_src;
	struct egw_exception_stats x;
	struct egw_tunnel_stats st;
	int rc = 0;

	(void)cmd;
	if (params && *params)
		return egw_tel_error(d, EGW_TEL_NO_PARAMS);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "enabled", s->tunnel_stats != NULL);
	if (!s->tunnel_stats)
		return 0;
	s->tunnel_stats(s->tunnel_ctx, &st);
	egw_dataplane_exception_stats(s->dp, &x);
	rte_tel_data_add_dict_u64(d, "clients_current", st.clients_current);
	rte_tel_data_add_dict_u64(d, "tunnels_current", st.tunnels_current);
	rte_tel_data_add_dict_u64(d, "memory_bytes", st.memory_bytes);
	rte_tel_data_add_dict_u64(d, "buffers_in_use", st.buffers_in_use);
	rte_tel_data_add_dict_u64(d, "buffer_waits", st.buffer_waits);
	rte_tel_data_add_dict_u64(d, "handshake_failures", st.handshake_failures);
	rte_tel_data_add_dict_u64(d, "h2_streams_refused", st.h2_streams_refused);
	rte_tel_data_add_dict_u64(d, "resolves_current", st.resolves_current);
	rte_tel_data_add_dict_u64(d, "idle_timeouts", st.idle_timeouts);
	rte_tel_data_add_dict_u64(d, "exception_to_kernel", x.to_kernel);
	rte_tel_data_add_dict_u64(d, "exception_from_kernel", x.from_kernel);
	rte_tel_data_add_dict_u64(d, "exception_upstream", x.upstream);
	rte_tel_data_add_dict_u64(d, "upstream_admitted", x.admitted);
	rte_tel_data_add_dict_u64(d, "admissions_dropped", x.admissions_dropped);
	for (unsigned t = 0; rc == 0 && t < EGW_TUNNEL_N_TRANSPORTS; t++)
		rc = add_transport(d, transports[t], &st.t[t]);
	return rc;
}

const char *egw_tel_tunnel_transport(unsigned t)
{
	return t < EGW_TUNNEL_N_TRANSPORTS ? transports[t] : "?";
}

const char *egw_tel_tunnel_result(unsigned r)
{
	return r < EGW_TUNNEL_N_RESULTS ? results[r] : "?";
}
