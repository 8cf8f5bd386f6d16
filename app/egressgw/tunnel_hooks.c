/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tunnel engine's decision interface over the data path (lib/tunnel/README.md,
 * "Integration"): decide() reads the same published snapshot and learned names as the
 * workers; pre_connect() queues the decision to the worker that will own the upstream flow, so
 * that its SYN is admitted with the decided policy, pool and exit; flow_end() hands a copy of
 * each record to the control thread, the flow log's writer. All on the tunnel thread, none
 * blocks.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "app.h"
#include "common/time_fmt.h"
#include "pipeline/exception.h"
#include "policy/decide.h"
#include "tunnel_app.h"

/*
 * The admission (opaque to the engine): policy = the deciding policy's index + 1 in the
 * snapshot of generation (0: the mode decided), pool = its counter slot (its name in the flow
 * log), exit = its via port.
 */
static int hook_decide(void *ctx, const struct egw_tunnel_request *req,
	struct egw_tunnel_decision *out)
{
	struct egw_tunnel_hooks *h = ctx;
	const struct egw_names_view *names;
	const struct egw_snapshot *snap = egw_dataplane_exception_read_begin(h->dp, &names);
	const struct egw_cls_key key = { .src = req->client_addr,
		.dst = req->addr,
		.dport = req->port,
		.proto = IPPROTO_TCP };
	const uint32_t now = (uint32_t)(rte_get_tsc_cycles() / rte_get_tsc_hz());
	struct egw_verdict v;
	char dst[16];

	if (!snap) {
		egw_dataplane_exception_read_end(h->dp);
		return -EAGAIN;
	}
	egw_policy_decide_tunnel(snap, names, &key, req->host, req->host ? strlen(req->host) : 0,
		now, &v);
	out->allow = v.kind == EGW_VERDICT_ALLOW;
	out->admission = (struct egw_tunnel_admission){
		.policy = v.rt ? (uint32_t)(v.rt - snap->policies) + 1 : 0,
		.pool = v.rt ? v.rt->slot : 0,
		.exit = v.rt ? v.rt->via_port : EGW_VIA_DEFAULT,
		.generation = (uint32_t)snap->epoch
	};
	if (!out->allow)
		snprintf(out->reason, sizeof(out->reason), "%s is not allowed (%s)",
			req->host ? req->host : egw_fmt_ipv4(dst, req->addr),
			egw_drop_name((enum egw_drop_reason)v.why));
	egw_dataplane_exception_read_end(h->dp);
	return 0;
}

static int hook_pre_connect(void *ctx, const struct egw_tunnel_request *req,
	const struct egw_tunnel_decision *d, uint32_t local_addr, uint16_t local_port)
{
	struct egw_tunnel_hooks *h = ctx;

	(void)local_addr; /* always [tunnel] source: the engine binds there */
	return egw_dataplane_exception_admit(h->dp, local_port, req->addr, req->port,
		d->admission.policy, d->admission.generation);
}

/* A record and the strings it points to, on its way to the control thread. */
struct log_rec {
	struct egw_tunnel_flow_record r;
	char host[EGW_HOSTNAME_MAX + 1];
	char user[256];
	char reason[EGW_TUNNEL_REASON_MAX];
};

static const char *keep(char *dst, size_t size, const char *s)
{
	if (!s)
		return NULL;
	snprintf(dst, size, "%s", s);
	return dst;
}

static void hook_flow_end(void *ctx, const struct egw_tunnel_flow_record *rec)
{
	struct egw_tunnel_hooks *h = ctx;
	struct log_rec *l;

	if (!h->log)
		return;
	l = malloc(sizeof(*l));
	if (!l) {
		h->log_dropped++;
		return;
	}
	l->r = *rec;
	l->r.host = keep(l->host, sizeof(l->host), rec->host);
	l->r.user = keep(l->user, sizeof(l->user), rec->user);
	l->r.reason = keep(l->reason, sizeof(l->reason), rec->reason);
	if (rte_ring_enqueue(h->log, l) < 0) {
		free(l);
		__atomic_fetch_add(&h->log_dropped, 1, __ATOMIC_RELAXED);
	}
}

const struct egw_tunnel_policy_ops egw_tunnel_hook_ops = { .decide = hook_decide,
	.pre_connect = hook_pre_connect,
	.flow_end = hook_flow_end };

static void log_one(struct egw_tunnel_hooks *h, struct egw_flowlog *fl, const struct log_rec *l)
{
	const struct egw_tunnel_flow_record *r = &l->r;
	uint32_t n_slots = __atomic_load_n(&h->slots->next, __ATOMIC_ACQUIRE);
	const struct egw_flowlog_tunnel t = {
		.time_ms = (int64_t)((r->start_ns + r->duration_ns) / 1000000),
		.duration_ms = r->duration_ns / 1000000,
		.transport = egw_tunnel_transport_name(r->transport),
		.result = egw_tunnel_result_name(r->result),
		.client_be = htonl(r->client_addr),
		.client_port = r->client_port,
		.dst_be = htonl(r->addr),
		.dst_port = r->port,
		.upstream_be = htonl(r->local_addr),
		.upstream_port = r->local_port,
		.server_name = r->host,
		.policy = r->admission.pool < n_slots ? h->slots->names[r->admission.pool] : "?",
		.user = r->user,
		.reason = r->reason,
		.bytes_up = r->bytes_up,
		.bytes_down = r->bytes_down,
	};
	char line[1024];

	egw_flowlog_write(fl, h->dp, line,
		egw_flowlog_format_tunnel(&t, fl->host, line, sizeof(line)));
}

unsigned egw_tunnel_log_drain(struct egw_tunnel_hooks *h, struct egw_flowlog *fl, unsigned max)
{
	unsigned n = 0;
	void *p;

	while (h->log && n < max && rte_ring_dequeue(h->log, &p) == 0) {
		log_one(h, fl, p);
		free(p);
		n++;
	}
	if (n && fl->f && fflush(fl->f) != 0)
		clearerr(fl->f);
	return n;
}

void egw_tunnel_log_flush(struct egw_tunnel_hooks *h)
{
	void *p;

	while (h->log && rte_ring_dequeue(h->log, &p) == 0)
		free(p);
}
