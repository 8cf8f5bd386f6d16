/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One tunnel request, whatever the protocol: resolve the name, refuse inside destinations,
 * ask the policy, open the upstream socket (bound first, so the integration can admit the
 * flow by its local address and port before the SYN leaves), connect, answer, and write one
 * flow record at the end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tunnel_int.h"

void req_init(struct egw_tunnel *t, struct conn *c, struct req *r)
{
	memset(r, 0, sizeof(*r));
	r->ep.kind = EP_UPSTREAM;
	r->u.fd = -1;
	r->c = c;
	r->resolve_slot = -1;
	r->timer.is_req = true;
	r->start_ns = tun_realtime_ns();
	r->start_ms = t->now;
}

static bool in_prefix(uint32_t a, uint32_t net, uint8_t len)
{
	return len == 0 || ((a ^ net) >> (32 - len)) == 0;
}

/* Never a destination: this host, the inside, the appliance itself (not an open relay). */
static bool refused(const struct egw_tunnel *t, uint32_t a)
{
	for (uint32_t i = 0; i < t->conf.n_refused; i++)
		if (in_prefix(a, t->conf.refused[i].addr, t->conf.refused[i].len))
			return true;
	return a == t->conf.http.addr || a == t->conf.https.addr || a == t->conf.socks5.addr;
}

static void close_upstream(struct egw_tunnel *t, struct req *r)
{
	if (r->u.fd < 0)
		return;
	close(r->u.fd);
	r->u.fd = -1;
	STAT_SUB(t->st.tunnels_current, 1);
}

void req_fail(struct egw_tunnel *t, struct req *r, enum egw_tunnel_result res, const char *why)
{
	resolve_cancel(t, r);
	timer_stop(&r->timer);
	close_upstream(t, r);
	r->connecting = false;
	r->result = (uint8_t)res;
	r->reason = why;
	conn_answer(t, r);
}

static enum egw_tunnel_result errno_result(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return EGW_TUNNEL_R_UPSTREAM_REFUSED;
	case ETIMEDOUT:
		return EGW_TUNNEL_R_UPSTREAM_TIMEOUT;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case ENETDOWN:
	case EHOSTDOWN:
	case EACCES:
	case EPERM:
	case EADDRNOTAVAIL:
		return EGW_TUNNEL_R_UPSTREAM_UNREACHABLE;
	default:
		return EGW_TUNNEL_R_INTERNAL;
	}
}

static const char *result_text(enum egw_tunnel_result r)
{
	switch (r) {
	case EGW_TUNNEL_R_UPSTREAM_REFUSED:
		return "connection refused";
	case EGW_TUNNEL_R_UPSTREAM_UNREACHABLE:
		return "destination unreachable";
	case EGW_TUNNEL_R_UPSTREAM_TIMEOUT:
		return "connect timed out";
	default:
		return "internal error";
	}
}

/*
 * Binds FD to the source address and the next port of the engine's cursor over the ephemeral
 * range. With SO_REUSEADDR on every upstream socket a port is shared by tunnels to different
 * destinations and reused out of TIME_WAIT, as connect()'s own choice would be (connect()
 * still refuses a 4-tuple in use: EADDRNOTAVAIL, and the caller moves on). Letting bind()
 * choose instead makes the kernel search the range for a port nobody holds: with the
 * TIME_WAITs of a few thousand tunnels per second, that search costs more than everything
 * else a new tunnel does (measured: 3,300 -> 730 tunnels/s on the second run of the bench).
 */
static int bind_next(struct egw_tunnel *t, int fd, struct sockaddr_in *la)
{
	for (uint32_t i = 0; i < PORT_TRIES; i++) {
		la->sin_port = htons(t->port_next);
		t->port_next = t->port_next >= t->port_last ? t->port_first : t->port_next + 1;
		if (bind(fd, (struct sockaddr *)la, sizeof(*la)) == 0)
			return 0;
		if (errno != EADDRINUSE)
			return -errno;
	}
	return -EADDRINUSE;
}

/* A bound, non-blocking upstream socket in the epoll set; its local address in R. */
static int upstream_socket(struct egw_tunnel *t, struct req *r)
{
	struct sockaddr_in la = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(t->conf.source) };
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.ptr = &r->ep };
	int one = 1, e;

	r->u.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->u.fd < 0)
		return -errno;
	STAT_ADD(t->st.tunnels_current, 1);
	setsockopt(r->u.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(r->u.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	e = bind_next(t, r->u.fd, &la);
	if (e == 0 && epoll_ctl(t->ep, EPOLL_CTL_ADD, r->u.fd, &ev) < 0)
		e = -errno;
	r->local_addr = t->conf.source;
	r->local_port = ntohs(la.sin_port);
	return e;
}

static void fill_request(const struct req *r, struct egw_tunnel_request *q)
{
	*q = (struct egw_tunnel_request){
		.transport = r->c->transport,
		.client_addr = r->c->addr,
		.client_port = r->c->port,
		.host = r->target.literal ? NULL : r->target.host,
		.addr = r->addr,
		.port = r->target.port,
		.resolved = r->target.literal ? NULL : r->addrs,
		.n_resolved = r->target.literal ? 0 : r->n_addrs,
		.user = r->user,
	};
}

static void decide_and_connect(struct egw_tunnel *t, struct req *r)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(r->addr),
		.sin_port = htons(r->target.port) };
	struct egw_tunnel_request q;
	int e;

	if (refused(t, r->addr))
		return req_fail(t, r, EGW_TUNNEL_R_DENIED, "inside destination");
	fill_request(r, &q);
	if (t->ops.decide(t->ops_ctx, &q, &r->dec) < 0)
		return req_fail(t, r, EGW_TUNNEL_R_INTERNAL, "policy error");
	r->dec.reason[sizeof(r->dec.reason) - 1] = '\0';
	if (!r->dec.allow)
		return req_fail(t, r, EGW_TUNNEL_R_DENIED,
			r->dec.reason[0] ? r->dec.reason : "denied by policy");
	for (int tries = 0;; tries++) {
		e = upstream_socket(t, r);
		if (e < 0)
			return req_fail(t, r, EGW_TUNNEL_R_INTERNAL, "cannot open a socket");
		/* Called again when the port must change: the last call is the one that holds. */
		if (t->ops.pre_connect && t->ops.pre_connect(t->ops_ctx, &q, &r->dec, r->local_addr,
						  r->local_port) != 0)
			return req_fail(t, r, EGW_TUNNEL_R_DENIED, "not admitted");
		if (connect(r->u.fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return req_connected(t, r);
		e = errno;
		if (e == EINPROGRESS)
			break;
		if (e != EADDRNOTAVAIL || tries == PORT_TRIES) /* that 4-tuple is in use */
			return req_fail(t, r, errno_result(e), result_text(errno_result(e)));
		close_upstream(t, r);
	}
	r->connecting = true;
}

void req_start(struct egw_tunnel *t, struct req *r)
{
	r->started = true;
	timer_arm(t, &r->timer, T_CONNECT);
	if (r->target.literal) {
		r->addr = r->target.addr;
		return decide_and_connect(t, r);
	}
	if (resolve_start(t, r) < 0)
		req_fail(t, r, EGW_TUNNEL_R_TOO_MANY_CLIENTS, "too many lookups in flight");
	/* The answer may have come already (c-ares answers some names at once). */
}

void req_resolved(struct egw_tunnel *t, struct req *r, int status, const uint32_t *addrs,
	uint32_t n)
{
	bool inside = false;

	if (status < 0)
		return req_fail(t, r, EGW_TUNNEL_R_UNRESOLVABLE,
			status == -ETIMEDOUT ? "name lookup timed out" : "unknown host");
	memcpy(r->addrs, addrs, n * sizeof(*addrs));
	r->n_addrs = n;
	/* The first address that is not refused; a name pointing inside gets no tunnel. */
	for (uint32_t i = 0; i < n; i++) {
		if (!refused(t, addrs[i])) {
			r->addr = addrs[i];
			return decide_and_connect(t, r);
		}
		inside = true;
	}
	req_fail(t, r, inside ? EGW_TUNNEL_R_DENIED : EGW_TUNNEL_R_UNRESOLVABLE,
		inside ? "the name resolves to an inside address" : "no address");
}

void req_connected(struct egw_tunnel *t, struct req *r)
{
	int err = 0;
	socklen_t el = sizeof(err);

	if (getsockopt(r->u.fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
		err = errno;
	if (err == 0 && !r->u.can_write && r->connecting)
		return; /* still connecting (a readiness event other than "writable") */
	if (err)
		return req_fail(t, r, errno_result(err), result_text(errno_result(err)));
	r->connecting = false;
	r->relaying = true;
	r->u.can_write = true;
	r->result = EGW_TUNNEL_R_ALLOWED;
	r->reason = "";
	timer_arm(t, &r->timer, T_IDLE);
	conn_answer(t, r);
}

void req_timeout(struct egw_tunnel *t, struct req *r)
{
	if (!r->relaying)
		return req_fail(t, r, EGW_TUNNEL_R_UPSTREAM_TIMEOUT,
			r->resolve_slot >= 0 ? "name lookup timed out" : "connect timed out");
	STAT_ADD(t->st.idle_timeouts, 1);
	if (r->stream_id) {
		nghttp2_submit_rst_stream(r->c->h2, NGHTTP2_FLAG_NONE, r->stream_id,
			NGHTTP2_CANCEL);
		tun_ready(t, r->c);
	} else {
		conn_close(t, r->c);
	}
}

void req_count_bytes(struct egw_tunnel *t, struct req *r, uint64_t up, uint64_t down)
{
	struct egw_tunnel_transport_stats *s = &t->st.t[r->c->transport];

	r->bytes_up += up;
	r->bytes_down += down;
	if (up)
		STAT_ADD(s->bytes_up, up);
	if (down)
		STAT_ADD(s->bytes_down, down);
}

/* The request is over: upstream closed, buffers back, one flow record. */
void req_finish(struct egw_tunnel *t, struct req *r)
{
	struct egw_tunnel_flow_record rec;

	if (r->finished)
		return;
	r->finished = true;
	resolve_cancel(t, r);
	timer_stop(&r->timer);
	close_upstream(t, r);
	buf_put(t, &r->up);
	buf_put(t, &r->down);
	if (!r->answered && !r->started)
		return; /* not a request: the client said nothing we could read */
	if (!r->answered) {
		r->result = EGW_TUNNEL_R_ABANDONED;
		r->reason = "the client left";
		STAT_ADD(t->st.t[r->c->transport].requests[r->result], 1);
	}
	if (!t->ops.flow_end)
		return;
	rec = (struct egw_tunnel_flow_record){
		.transport = r->c->transport,
		.result = r->result,
		.client_addr = r->c->addr,
		.client_port = r->c->port,
		.host = r->target.host_len ? r->target.host : NULL,
		.addr = r->addr,
		.port = r->target.port,
		.local_addr = r->local_addr,
		.local_port = r->local_port,
		.user = r->user,
		.reason = r->reason ? r->reason : "",
		.admission = r->dec.admission,
		.bytes_up = r->bytes_up,
		.bytes_down = r->bytes_down,
		.start_ns = r->start_ns,
		.duration_ns = (t->now - r->start_ms) * 1000000ull,
	};
	t->ops.flow_end(t->ops_ctx, &rec);
}
