/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine's life and its loop: create (users, TLS, resolver, listeners), the event-loop
 * thread, stop, destroy; the counted allocator; deferred frees.
 *
 * One turn of the loop: epoll_wait (bounded by the nearest deadline), note what each event
 * says and queue its connection, run c-ares' timeouts, pump the queued connections, expire
 * deadlines, pump again, then free what closed during the turn (an event later in the same
 * batch may still point at it, so nothing is freed before the turn ends).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "tunnel_int.h"

#define HDR 16 /* keeps what follows aligned for any type */

void *tun_alloc(struct egw_tunnel *t, size_t n)
{
	uint8_t *p;

	if (n > SIZE_MAX - HDR || !(p = calloc(1, n + HDR)))
		return NULL;
	*(size_t *)p = n;
	STAT_ADD(t->st.memory_bytes, n + HDR);
	return p + HDR;
}

size_t tun_alloc_size(const void *p)
{
	return *(const size_t *)((const uint8_t *)p - HDR);
}

void tun_free(struct egw_tunnel *t, void *p)
{
	if (!p)
		return;
	STAT_SUB(t->st.memory_bytes, tun_alloc_size(p) + HDR);
	free((uint8_t *)p - HDR);
}

uint64_t tun_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void tun_ready(struct egw_tunnel *t, struct conn *c)
{
	if (c->on_ready || c->dead)
		return;
	c->on_ready = true;
	c->next_ready = t->ready;
	t->ready = c;
}

void req_free(struct egw_tunnel *t, struct req *r)
{
	r->dead = true;
	r->next_dead = t->dead_reqs;
	t->dead_reqs = r;
}

void conn_close(struct egw_tunnel *t, struct conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	if (c->h2)
		h2_close(t, c);
	req_finish(t, &c->r);
	timer_stop(&c->timer);
	if (c->ssl)
		SSL_free(c->ssl);
	c->ssl = NULL;
	close(c->io.fd);
	tun_free(t, c->s5);
	c->s5 = NULL;
	if (c->all_prev)
		c->all_prev->all_next = c->all_next;
	else
		t->all = c->all_next;
	if (c->all_next)
		c->all_next->all_prev = c->all_prev;
	STAT_SUB(t->st.clients_current, 1);
	STAT_SUB(t->st.t[c->transport].clients_current, 1);
	c->next_dead = t->dead_conns;
	t->dead_conns = c;
}

static void reap(struct egw_tunnel *t)
{
	struct conn *c;
	struct req *r;

	while ((r = t->dead_reqs) != NULL) {
		t->dead_reqs = r->next_dead;
		tun_free(t, r);
	}
	while ((c = t->dead_conns) != NULL) {
		t->dead_conns = c->next_dead;
		if (c->waiting_buf) { /* rare: unlink from the buffer waiters */
			struct conn **pp = &t->wait_head, *prev = NULL;

			while (*pp && *pp != c) {
				prev = *pp;
				pp = &(*pp)->next_wait;
			}
			if (*pp)
				*pp = c->next_wait;
			if (t->wait_tail == c)
				t->wait_tail = prev;
		}
		tun_free(t, c);
	}
}

static void run_ready(struct egw_tunnel *t)
{
	struct conn *c;

	while ((c = t->ready) != NULL) {
		t->ready = c->next_ready;
		c->on_ready = false;
		if (!c->dead)
			conn_pump(t, c);
	}
}

static void run_timers(struct egw_tunnel *t)
{
	struct tnode *n;

	for (int k = 0; k < T_N; k++)
		while ((n = timer_expired(t, (enum tkind)k)) != NULL) {
			if (n->is_req)
				req_timeout(t, container_of(n, struct req, timer));
			else
				conn_timeout(t, container_of(n, struct conn, timer));
		}
}

static void dispatch(struct egw_tunnel *t, const struct epoll_event *ev)
{
	struct ep *ep = ev->data.ptr;
	struct req *r;
	struct conn *c;

	if (ev->data.u64 & 1)
		return resolve_event(t, (int)(ev->data.u64 >> 1), ev->events);
	switch (ep->kind) {
	case EP_LISTENER:
		conn_accept(t, container_of(ep, struct listener, ep));
		break;
	case EP_CLIENT:
		c = container_of(ep, struct conn, ep);
		if (c->dead)
			break;
		io_event(&c->io, ev->events);
		tun_ready(t, c);
		break;
	case EP_UPSTREAM:
		r = container_of(ep, struct req, ep);
		if (r->dead || r->finished || r->u.fd < 0 || r->c->dead)
			break;
		io_event(&r->u, ev->events);
		if (r->connecting)
			req_connected(t, r);
		else if (r->stream_id)
			h2_mark(r->c, r);
		tun_ready(t, r->c);
		break;
	case EP_WAKE: {
		uint64_t v;

		if (read(t->wake_fd, &v, sizeof(v)) < 0)
			break;
		break;
	}
	}
}

static void *loop(void *arg)
{
	struct egw_tunnel *t = arg;
	struct epoll_event evs[EVENTS_MAX];

	while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
		int wait, rw, n;

		t->now = mono_ms();
		wait = timer_next_ms(t);
		rw = resolve_next_ms(t);
		if (rw >= 0 && (wait < 0 || rw < wait))
			wait = rw;
		if (t->ready)
			wait = 0;
		n = epoll_wait(t->ep, evs, EVENTS_MAX, wait);
		t->now = mono_ms();
		for (int i = 0; i < n; i++)
			dispatch(t, &evs[i]);
		resolve_timeouts(t);
		run_ready(t);
		run_timers(t);
		run_ready(t);
		reap(t);
	}
	while (t->all)
		conn_close(t, t->all);
	reap(t);
	return NULL;
}

/* The kernel's ephemeral range (what connect() would use), a random start in it. */
static void ports_init(struct egw_tunnel *t)
{
	unsigned lo = 32768, hi = 60999;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");

	if (f) {
		if (fscanf(f, "%u %u", &lo, &hi) != 2 || lo < 1024 || hi > 65535 || lo > hi)
			lo = 32768, hi = 60999;
		fclose(f);
	}
	t->port_first = (uint16_t)lo;
	t->port_last = (uint16_t)hi;
	t->port_next = (uint16_t)(lo + (unsigned)(mono_ms() * 2654435761u) % (hi - lo + 1));
}

static int listen_on(struct egw_tunnel *t, const struct egw_tunnel_addr *a,
	enum egw_tunnel_transport tr, struct egw_conf_errors *errs)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(a->addr),
		.sin_port = htons(a->port) };
	struct listener *l = &t->lis[t->n_lis];
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &l->ep };
	int one = 1;
	char ip[16];

	if (!a->port)
		return 0;
	l->ep.kind = EP_LISTENER;
	l->transport = (uint8_t)tr;
	l->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0 || setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
		bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l->fd, 4096) < 0 ||
		epoll_ctl(t->ep, EPOLL_CTL_ADD, l->fd, &ev) < 0) {
		egw_conf_errors_add(errs, "tunnel", 0, "%s listener %s:%u: %s",
			egw_tunnel_transport_name(tr), egw_fmt_ipv4(ip, a->addr), a->port,
			strerror(errno));
		if (l->fd >= 0)
			close(l->fd);
		return -errno;
	}
	t->n_lis++;
	return 0;
}

struct egw_tunnel *egw_tunnel_create(const struct egw_tunnel_conf *conf,
	const struct egw_tunnel_policy_ops *ops, void *ops_ctx, struct egw_conf_errors *errs)
{
	struct egw_tunnel *t = calloc(1, sizeof(*t));
	struct epoll_event ev = { .events = EPOLLIN };
	int bad = 0;

	if (!t) {
		egw_conf_errors_add(errs, "tunnel", 0, "out of memory");
		return NULL;
	}
	t->conf = *conf;
	t->ep = t->wake_fd = -1;
	if (!ops || !ops->decide) {
		egw_conf_errors_add(errs, "tunnel", 0, "no decision function");
		goto fail;
	}
	t->ops = *ops;
	t->ops_ctx = ops_ctx;
	if (!conf->max_clients || !conf->max_buffers || !conf->h2_max_streams ||
		!conf->handshake_ms || !conf->connect_ms || !conf->idle_ms || !conf->resolve_ms) {
		egw_conf_errors_add(errs, "tunnel", 0, "limits and timeouts must not be 0");
		goto fail;
	}
	timer_init(&t->timers[T_HANDSHAKE], conf->handshake_ms);
	timer_init(&t->timers[T_CONNECT], conf->connect_ms);
	timer_init(&t->timers[T_IDLE], conf->idle_ms);
	timer_init(&t->timers[T_LINGER], LINGER_MS);
	if (conf->users[0] && egw_tunnel_users_load(conf->users, &t->users, errs) < 0)
		bad = 1;
	if (conf->https.port && !(t->tls = tun_tls_ctx(conf, errs)))
		bad = 1;
	if (bad)
		goto fail;
	t->ep = epoll_create1(EPOLL_CLOEXEC);
	t->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	t->wake_ep.kind = EP_WAKE;
	ev.data.ptr = &t->wake_ep;
	if (t->ep < 0 || t->wake_fd < 0 || epoll_ctl(t->ep, EPOLL_CTL_ADD, t->wake_fd, &ev) < 0) {
		egw_conf_errors_add(errs, "tunnel", 0, "epoll: %s", strerror(errno));
		goto fail;
	}
	if (resolve_init(t, errs) < 0 || h2_init(t) < 0)
		goto fail;
	if (listen_on(t, &conf->http, EGW_TUNNEL_HTTP, errs) < 0 ||
		listen_on(t, &conf->https, EGW_TUNNEL_HTTPS, errs) < 0 ||
		listen_on(t, &conf->socks5, EGW_TUNNEL_SOCKS5, errs) < 0)
		goto fail;
	ports_init(t);
	t->now = mono_ms();
	return t;
fail:
	egw_tunnel_destroy(t);
	return NULL;
}

int egw_tunnel_start(struct egw_tunnel *t)
{
	int e = pthread_create(&t->thread, NULL, loop, t);

	if (e)
		return -e;
	pthread_setname_np(t->thread, "egw-tunnel");
	t->running = true;
	return 0;
}

void egw_tunnel_stop(struct egw_tunnel *t)
{
	uint64_t one = 1;

	if (!t || !t->running)
		return;
	__atomic_store_n(&t->stop, true, __ATOMIC_RELEASE);
	if (write(t->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow here; the loop also wakes by its timeouts */
	}
	pthread_join(t->thread, NULL);
	t->running = false;
}

void egw_tunnel_destroy(struct egw_tunnel *t)
{
	struct buf *b;

	if (!t)
		return;
	egw_tunnel_stop(t);
	while (t->all)
		conn_close(t, t->all);
	reap(t);
	for (uint32_t i = 0; i < t->n_lis; i++)
		close(t->lis[i].fd);
	if (t->h2_cbs || t->h2_opt)
		h2_fini(t);
	if (t->ares)
		resolve_fini(t);
	while ((b = t->free_bufs) != NULL) {
		t->free_bufs = b->next;
		buf_release(t, b);
	}
	SSL_CTX_free(t->tls);
	egw_tunnel_users_free(t->users);
	if (t->wake_fd >= 0)
		close(t->wake_fd);
	if (t->ep >= 0)
		close(t->ep);
	free(t);
}

_Static_assert(sizeof(struct egw_tunnel_stats) % sizeof(uint64_t) == 0, "stats are uint64_t");

void egw_tunnel_stats(const struct egw_tunnel *t, struct egw_tunnel_stats *out)
{
	const uint64_t *src = (const uint64_t *)&t->st;
	uint64_t *dst = (uint64_t *)out;

	/* Every field is a uint64_t written with a relaxed atomic store by the loop thread. */
	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}
