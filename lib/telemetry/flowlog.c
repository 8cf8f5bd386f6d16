/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "common/file.h"
#include "common/time_fmt.h"
#include "community_id.h"
#include "flow/flow.h"
#include "flowlog.h"
#include "pkt/pkt.h"

uint64_t egw_flowlog_unwrap(uint32_t stamp, uint64_t now)
{
	/* Signed: a record a worker stamped just after NOW was read is slightly ahead. */
	return now - (uint64_t)(int64_t)(int32_t)((uint32_t)now - stamp);
}

uint64_t egw_flowlog_ms(uint64_t a, uint64_t b, uint64_t tsc_hz)
{
	return (uint64_t)((unsigned __int128)(b - a) << EGW_FLOWLOG_CLOCK_SHIFT) * 1000 / tsc_hz;
}

int64_t egw_flowlog_wall_ms(uint64_t clock, uint64_t now, int64_t now_ms, uint64_t tsc_hz)
{
	return clock <= now ? now_ms - (int64_t)egw_flowlog_ms(clock, now, tsc_hz) :
			      now_ms + (int64_t)egw_flowlog_ms(now, clock, tsc_hz);
}

int egw_flowlog_open(struct egw_flowlog *l, const char *path)
{
	int fd;

	snprintf(l->path, sizeof(l->path), "%s", path);
	l->error[0] = '\0';
	/* Flow logs name who talked to whom: not world-readable. */
	fd = egw_file_open_append(path, 0640, l->error, sizeof(l->error));
	if (fd < 0)
		return fd;
	l->f = fdopen(fd, "a");
	if (!l->f) {
		int e = errno;
		snprintf(l->error, sizeof(l->error), "cannot open: %s", strerror(e));
		close(fd);
		return -e;
	}
	/* Read at each open: a renamed host shows in the next file after rotation. */
	if (gethostname(l->host, sizeof(l->host)) < 0)
		snprintf(l->host, sizeof(l->host), "unknown");
	l->host[sizeof(l->host) - 1] = '\0';
	return 0;
}

int egw_flowlog_reopen(struct egw_flowlog *l)
{
	char path[EGW_PATH_MAX];

	snprintf(path, sizeof(path), "%s", l->path);
	egw_flowlog_close(l);
	return egw_flowlog_open(l, path);
}

void egw_flowlog_close(struct egw_flowlog *l)
{
	if (l->f)
		fclose(l->f);
	l->f = NULL;
}

struct out {
	char *buf;
	size_t len, used;
	bool full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->used)
		o->full = true;
	else
		o->used += (size_t)n;
}

/* A JSON string: quotes, backslashes and control characters escaped (RFC 8259 section 7). */
static void put_string(struct out *o, const char *s)
{
	put(o, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c < 0x20)
			put(o, "\\u%04x", c);
		else
			put(o, "%c", c);
	}
	put(o, "\"");
}

static void put_addr(struct out *o, const char *key, uint32_t be)
{
	char buf[16];

	put(o, ",\"%s\":\"%s\"", key, egw_fmt_ipv4(buf, ntohl(be)));
}

/* "2026-11-29T10:20:30.123Z": RFC 3339, UTC, milliseconds. */
static void put_time(struct out *o, int64_t ms)
{
	char buf[40];

	put(o, "\"%s\"", egw_fmt_rfc3339_ms(buf, sizeof(buf), ms));
}

/* KEY's Community ID: of the flow as the inside host sent it, or as it left translated. */
static int put_community_id(struct out *o, const char *key, const struct egw_flowlog_rec *r,
	uint32_t src, uint16_t sport)
{
	struct egw_community_tuple t = { .saddr = ntohl(src),
		.daddr = ntohl(r->dst),
		.sport = ntohs(sport),
		.dport = ntohs(r->dport),
		.proto = r->proto };
	char id[EGW_COMMUNITY_ID_SIZE];

	/* Flows are made by echo requests only: the ICMP id is no port. */
	if (r->proto == IPPROTO_ICMP) {
		t.sport = EGW_ICMP_ECHO_REQUEST;
		t.dport = 0;
	}
	if (egw_community_id(&t, 0, id) < 0)
		return -EIO;
	put(o, ",\"%s\":\"%s\"", key, id);
	return 0;
}

int egw_flowlog_format(const struct egw_flowlog_rec *r, const struct egw_flowlog_meta *m, char *buf,
	size_t len)
{
	struct out o = { .buf = buf, .len = len };
	bool icmp = r->proto == IPPROTO_ICMP;
	bool flow = r->event != EGW_EV_DENY; /* a refused flow has no id and no translation */

	put(&o, "{\"time\":");
	put_time(&o, m->time_ms);
	put(&o, ",\"host\":");
	put_string(&o, m->host);
	put(&o, ",\"event\":\"%s\"", egw_flow_event_name((enum egw_flow_event)r->event));
	if (flow)
		put(&o, ",\"flow_id\":\"%016" PRIx64 "\"", r->flow_id);
	if (put_community_id(&o, "community_id", r, r->src, r->sport) < 0)
		return -EIO;
	put(&o, ",\"proto\":\"%s\"", egw_proto_name(r->proto));
	put_addr(&o, "src", r->src);
	if (icmp)
		put(&o, ",\"id\":%u", ntohs(r->sport));
	else
		put(&o, ",\"sport\":%u", ntohs(r->sport));
	put_addr(&o, "dst", r->dst);
	if (!icmp)
		put(&o, ",\"dport\":%u", ntohs(r->dport));
	if (flow) {
		put_addr(&o, "nat_src", r->nat_src);
		put(&o, icmp ? ",\"nat_id\":%u" : ",\"nat_sport\":%u", ntohs(r->nat_sport));
		if (put_community_id(&o, "nat_community_id", r, r->nat_src, r->nat_sport) < 0)
			return -EIO;
	}
	if (m->server_name) {
		put(&o, ",\"server_name\":");
		put_string(&o, m->server_name);
		put(&o, ",\"name_from\":\"%s\"",
			(r->name_flags & EGW_FLOWLOG_NAME_HTTP) ? "http" : "tls");
		if (r->name_flags & EGW_FLOWLOG_NAME_ECH)
			put(&o, ",\"ech\":true");
	}
	put(&o, ",\"policy\":");
	put_string(&o, m->policy);
	put(&o, ",\"worker\":%u", r->worker);
	if (r->event == EGW_EV_DENY)
		put(&o, ",\"reason\":\"%s\",\"count\":%u,\"action\":\"%s\"",
			egw_drop_name((enum egw_drop_reason)r->reason), m->count ? m->count : 1,
			r->state == EGW_FLOWLOG_DENY_REJECT ? "reject" : "drop");
	if (r->event == EGW_EV_END)
		put(&o,
			",\"reason\":\"%s\",\"duration_s\":%" PRIu64 ",\"duration_ms\":%" PRIu64
			",\"packets_out\":%u,\"bytes_out\":%" PRIu64 ",\"packets_in\":%u,"
			"\"bytes_in\":%" PRIu64,
			egw_flow_end_name((enum egw_flow_end)r->reason), m->duration_ms / 1000,
			m->duration_ms, r->packets[0], r->bytes[0], r->packets[1], r->bytes[1]);
	if (r->event == EGW_EV_END)
		put(&o, ",\"state\":\"%s\"", egw_flow_state_name(r->state));
	/* Flows a name decided say how they were bound: late, or early (their SYN left first). */
	if (flow && (m->server_name || (r->name_flags & EGW_FLOWLOG_LATE)))
		put(&o, ",\"binding\":\"%s\"",
			(r->name_flags & EGW_FLOWLOG_LATE) ? "late" : "early");
	put(&o, "}\n");
	return o.full ? -ENOSPC : (int)o.used;
}

int egw_flowlog_format_tunnel(const struct egw_flowlog_tunnel *t, const char *host, char *buf,
	size_t len)
{
	struct out o = { .buf = buf, .len = len };

	put(&o, "{\"time\":");
	put_time(&o, t->time_ms);
	put(&o, ",\"host\":");
	put_string(&o, host);
	put(&o, ",\"event\":\"tunnel\",\"tunnel\":\"%s\",\"result\":\"%s\",\"proto\":\"tcp\"",
		t->transport, t->result);
	put_addr(&o, "src", t->client_be);
	put(&o, ",\"sport\":%u", t->client_port);
	/* 0.0.0.0 when the name was never resolved: the port is the requested one. */
	put_addr(&o, "dst", t->dst_be);
	put(&o, ",\"dport\":%u", t->dst_port);
	if (t->server_name) {
		put(&o, ",\"server_name\":");
		put_string(&o, t->server_name);
		put(&o, ",\"name_from\":\"tunnel\"");
	}
	if (t->upstream_be) {
		put_addr(&o, "upstream_src", t->upstream_be);
		put(&o, ",\"upstream_sport\":%u", t->upstream_port);
	}
	put(&o, ",\"policy\":");
	put_string(&o, t->policy);
	if (t->user) {
		put(&o, ",\"user\":");
		put_string(&o, t->user);
	}
	if (t->reason && *t->reason) {
		put(&o, ",\"detail\":");
		put_string(&o, t->reason);
	}
	put(&o,
		",\"duration_ms\":%" PRIu64 ",\"bytes_out\":%" PRIu64 ",\"bytes_in\":%" PRIu64
		"}\n",
		t->duration_ms, t->bytes_up, t->bytes_down);
	return o.full ? -ENOSPC : (int)o.used;
}

void egw_flowlog_write(struct egw_flowlog *l, struct egw_dataplane *dp, const char *line, int len)
{
	if (len < 0 || !l->f || fwrite(line, 1, (size_t)len, l->f) != (size_t)len)
		egw_dataplane_count_flowlog(dp, 0, 1);
	else
		egw_dataplane_count_flowlog(dp, 1, 0);
}

#define DRAIN_BURST 64u

/*
 * Takes from W the name records that belong to the records in RECS[0..N) but were left in the
 * ring (a burst ends inside a group: the group was enqueued at once, so the rest is there).
 * Returns the records now in RECS.
 */
static unsigned complete_groups(struct egw_worker *w, struct egw_flowlog_rec *recs, unsigned n)
{
	unsigned k = 0;

	while (k < n)
		k += 1 + EGW_FLOWLOG_NAME_RECS(recs[k].name_len);
	if (k > n)
		n += egw_worker_take_flowlog(w, recs + n, k - n);
	return n;
}

/* One record, times set in M, to the file (counted written or lost). */
static void write_line(struct egw_flowlog *l, struct egw_dataplane *dp,
	const struct egw_flowlog_rec *r, const struct egw_flowlog_meta *m)
{
	char line[768];

	egw_flowlog_write(l, dp, line, egw_flowlog_format(r, m, line, sizeof(line)));
}

/* A deny record of COUNT denies, if the deny rate allows; else dropped and counted. */
static void write_deny(struct egw_flowlog *l, struct egw_dataplane *dp,
	const struct egw_flowlog_rec *r, const struct egw_flowlog_meta *m)
{
	if (egw_deny_rate_take(&l->deny, m->time_ms))
		write_line(l, dp, r, m);
	else
		egw_dataplane_count_deny_dropped(dp, 1);
}

struct held_ctx {
	struct egw_flowlog *l;
	struct egw_dataplane *dp;
	const struct egw_policy_slots *slots;
	uint32_t n_slots;
};

static void emit_held(void *ctx, const struct egw_flowlog_rec *r, const char *name, int64_t time_ms,
	uint32_t count)
{
	struct held_ctx *c = ctx;
	struct egw_flowlog_meta m = { .time_ms = time_ms,
		.host = c->l->host,
		.policy = r->policy < c->n_slots ? c->slots->names[r->policy] : "?",
		.server_name = name,
		.count = count };

	write_deny(c->l, c->dp, r, &m);
}

/* Held denies whose window closed (all of them with ALL) to the file. */
static unsigned expire_denies(struct egw_flowlog *l, struct egw_dataplane *dp,
	const struct egw_policy_slots *slots, bool all)
{
	struct held_ctx c = { l, dp, slots, __atomic_load_n(&slots->next, __ATOMIC_ACQUIRE) };

	return egw_deny_agg_expire(&l->deny, egw_wall_ms(), all, emit_held, &c);
}

void egw_flowlog_flush_denies(struct egw_flowlog *l, struct egw_dataplane *dp,
	const struct egw_policy_slots *slots)
{
	if (expire_denies(l, dp, slots, true) && l->f && fflush(l->f) != 0)
		clearerr(l->f);
}

/* One record, with its wall-clock times: to the file, or (a deny) held to collapse repeats. */
static void write_rec(struct egw_flowlog *l, struct egw_dataplane *dp,
	const struct egw_flowlog_rec *r, const struct egw_flowlog_meta *base, uint64_t now)
{
	struct egw_flowlog_meta m = *base;
	uint64_t hz = rte_get_tsc_hz(), at = egw_flowlog_unwrap(r->stamp, now);

	m.time_ms = egw_flowlog_wall_ms(at, now, base->time_ms, hz);
	if (r->event == EGW_EV_END)
		m.duration_ms = at > egw_flow_id_clock(r->flow_id) ?
					egw_flowlog_ms(egw_flow_id_clock(r->flow_id), at, hz) :
					0;
	if (r->event != EGW_EV_DENY)
		write_line(l, dp, r, &m);
	else if (!egw_deny_agg_add(&l->deny, r, m.server_name, m.time_ms))
		write_deny(l, dp, r, &m);
}

unsigned egw_flowlog_drain(struct egw_flowlog *l, struct egw_dataplane *dp,
	const struct egw_policy_slots *slots, unsigned max)
{
	struct egw_flowlog_rec recs[DRAIN_BURST + EGW_FLOWLOG_NAME_RECS_MAX];
	uint32_t n_slots = __atomic_load_n(&slots->next, __ATOMIC_ACQUIRE);
	unsigned taken = 0;

	for (unsigned i = 0; i < egw_dataplane_n_workers(dp); i++) {
		struct egw_worker *w = egw_dataplane_worker(dp, i);
		unsigned done = 0, n;

		while (w && done < max &&
			(n = egw_worker_take_flowlog(w, recs, RTE_MIN(DRAIN_BURST, max - done))) >
				0) {
			/* Read after the records were taken: none was stamped much later. */
			struct egw_flowlog_meta m = { .time_ms = egw_wall_ms(), .host = l->host };
			uint64_t now =
				egw_flowlog_clock(rte_get_tsc_cycles(), egw_worker_log_epoch(w));

			n = complete_groups(w, recs, n);
			done += n;
			for (unsigned k = 0; k < n;
				k += 1 + EGW_FLOWLOG_NAME_RECS(recs[k].name_len)) {
				char name[EGW_FLOWLOG_NAME_RECS_MAX * sizeof(recs[0]) + 1];

				m.policy = recs[k].policy < n_slots ? slots->names[recs[k].policy] :
								      "?";
				m.server_name = NULL;
				if (recs[k].name_len &&
					k + 1 + EGW_FLOWLOG_NAME_RECS(recs[k].name_len) <= n) {
					memcpy(name, &recs[k + 1], recs[k].name_len);
					name[recs[k].name_len] = '\0';
					m.server_name = name;
				}
				write_rec(l, dp, &recs[k], &m, now);
			}
		}
		taken += done;
	}
	/* Whole lines reach the file at each drain: a reader (or a crash) never sees half. */
	if ((expire_denies(l, dp, slots, false) || taken) && l->f && fflush(l->f) != 0)
		clearerr(l->f);
	return taken;
}
