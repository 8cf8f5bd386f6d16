/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "common/file.h"
#include "flowlog.h"

uint32_t egw_flowlog_clock(void)
{
	return (uint32_t)(rte_get_tsc_cycles() / rte_get_tsc_hz());
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
	l->wall_base = time(NULL) - (time_t)egw_flowlog_clock();
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

int egw_flowlog_format(const struct egw_flowlog_rec *r, time_t wall, const char *policy,
	char *buf, size_t len)
{
	struct out o = { .buf = buf, .len = len };
	bool icmp = r->proto == IPPROTO_ICMP;
	struct tm tm;

	gmtime_r(&wall, &tm);
	put(&o, "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02dZ\",\"event\":\"%s\",\"proto\":\"%s\"",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		egw_flow_event_name((enum egw_flow_event)r->event), egw_proto_name(r->proto));
	put_addr(&o, "src", r->src);
	if (icmp)
		put(&o, ",\"id\":%u", ntohs(r->sport));
	else
		put(&o, ",\"sport\":%u", ntohs(r->sport));
	put_addr(&o, "dst", r->dst);
	if (!icmp)
		put(&o, ",\"dport\":%u", ntohs(r->dport));
	if (r->event != EGW_EV_DENY) {
		put_addr(&o, "nat_src", r->nat_src);
		put(&o, icmp ? ",\"nat_id\":%u" : ",\"nat_sport\":%u", ntohs(r->nat_sport));
	}
	put(&o, ",\"policy\":");
	put_string(&o, policy);
	put(&o, ",\"worker\":%u", r->worker);
	if (r->event == EGW_EV_DENY)
		put(&o, ",\"reason\":\"%s\"", egw_drop_name((enum egw_drop_reason)r->reason));
	if (r->event == EGW_EV_END)
		put(&o, ",\"reason\":\"%s\",\"duration_s\":%u,\"packets_out\":%u,\"bytes_out\":%lu,"
			"\"packets_in\":%u,\"bytes_in\":%lu",
			egw_flow_end_name((enum egw_flow_end)r->reason), r->duration, r->packets[0],
			(unsigned long)r->bytes[0], r->packets[1], (unsigned long)r->bytes[1]);
	put(&o, "}\n");
	return o.full ? -ENOSPC : (int)o.used;
}

#define DRAIN_BURST 64u

unsigned egw_flowlog_drain(struct egw_flowlog *l, struct egw_dataplane *dp,
	const struct egw_policy_slots *slots, unsigned max)
{
	struct egw_flowlog_rec recs[DRAIN_BURST];
	uint32_t n_slots = __atomic_load_n(&slots->next, __ATOMIC_ACQUIRE);
	unsigned taken = 0;
	char line[512];

	for (unsigned i = 0; i < dp->n_workers; i++) {
		struct rte_ring *ring = dp->workers[i] ? dp->workers[i]->flowlog : NULL;
		unsigned done = 0, n;

		while (ring && done < max &&
			(n = rte_ring_sc_dequeue_burst_elem(ring, recs, sizeof(recs[0]),
				 RTE_MIN(DRAIN_BURST, max - done), NULL)) > 0) {
			done += n;
			for (unsigned k = 0; k < n; k++) {
				const struct egw_flowlog_rec *r = &recs[k];
				const char *policy = r->policy < n_slots ? slots->names[r->policy] :
									    "?";
				int len = egw_flowlog_format(r, l->wall_base + (time_t)r->time,
					policy, line, sizeof(line));
				if (len < 0 || !l->f || fwrite(line, 1, (size_t)len, l->f) !=
						(size_t)len)
					dp->control_stats.flow_log_errors++;
				else
					dp->control_stats.flow_log_written++;
			}
		}
		taken += done;
	}
	/* Whole lines reach the file at each drain: a reader (or a crash) never sees half. */
	if (taken && l->f && fflush(l->f) != 0)
		clearerr(l->f);
	return taken;
}
