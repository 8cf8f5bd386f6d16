/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Client connections: accept, the TLS handshake, the HTTP/1.1 CONNECT head or the SOCKS5
 * negotiation, the answer, and the end (an error answer is flushed, the connection half-closed
 * and whatever the client still sends is read and dropped for a while, so that the answer is
 * not lost to a reset).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "tunnel_int.h"

void conn_set_transport(struct egw_tunnel *t, struct conn *c, enum egw_tunnel_transport tr)
{
	STAT_SUB(t->st.t[c->transport].clients_current, 1);
	STAT_SUB(t->st.t[c->transport].clients_total, 1);
	c->transport = (uint8_t)tr;
	STAT_ADD(t->st.t[tr].clients_current, 1);
	STAT_ADD(t->st.t[tr].clients_total, 1);
}

static struct conn *conn_new(struct egw_tunnel *t, struct listener *l, int fd,
	const struct sockaddr_in *sa)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET };
	struct conn *c = tun_alloc(t, sizeof(*c));
	int one = 1;

	if (!c)
		return NULL;
	c->ep.kind = EP_CLIENT;
	c->t = t;
	c->io.fd = fd;
	c->addr = ntohl(sa->sin_addr.s_addr);
	c->port = ntohs(sa->sin_port);
	c->transport = l->transport;
	req_init(t, c, &c->r);
	if (l->transport == EGW_TUNNEL_HTTPS) {
		c->ssl = SSL_new(t->tls);
		if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1)
			goto fail;
		SSL_set_accept_state(c->ssl);
		c->state = C_TLS;
	} else if (l->transport == EGW_TUNNEL_SOCKS5) {
		c->s5 = tun_alloc(t, sizeof(*c->s5));
		if (!c->s5)
			goto fail;
		egw_tunnel_socks5_init(c->s5, t->users != NULL);
		c->state = C_SOCKS;
	} else {
		c->state = C_HEAD;
	}
	ev.data.ptr = &c->ep;
	if (epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		goto fail;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->all_next = t->all;
	if (t->all)
		t->all->all_prev = c;
	t->all = c;
	STAT_ADD(t->st.clients_current, 1);
	STAT_ADD(t->st.t[c->transport].clients_current, 1);
	STAT_ADD(t->st.t[c->transport].clients_total, 1);
	timer_arm(t, &c->timer, T_HANDSHAKE);
	return c;
fail:
	SSL_free(c->ssl);
	tun_free(t, c->s5);
	tun_free(t, c);
	return NULL;
}

void conn_accept(struct egw_tunnel *t, struct listener *l)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_in sa = { 0 };
		socklen_t sl = sizeof(sa);
		int fd = accept4(l->fd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0)
			return; /* EAGAIN, or EMFILE & co: the listener is level-triggered */
		if (t->st.clients_current >= t->conf.max_clients ||
			!(c = conn_new(t, l, fd, &sa))) {
			STAT_ADD(t->st.t[l->transport].requests[EGW_TUNNEL_R_TOO_MANY_CLIENTS], 1);
			close(fd);
			continue;
		}
		c->io.can_write = true;
		tun_ready(t, c);
	}
}

/* Writes what is left of c->out; true when it is all out. */
static bool flush_out(struct egw_tunnel *t, struct conn *c)
{
	while (c->out_off < c->out_len && cio_can_write(c)) {
		ssize_t n = cio_write(c, c->out + c->out_off, c->out_len - c->out_off);

		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			conn_close(t, c);
			return false;
		}
		c->out_off += (uint16_t)n;
	}
	return c->out_off == c->out_len;
}

static void queue_out(struct conn *c, const void *p, size_t n)
{
	if (n > sizeof(c->out) - c->out_len)
		n = sizeof(c->out) - c->out_len;
	memcpy(c->out + c->out_len, p, n);
	c->out_len += (uint16_t)n;
}

static const char *status_text(uint16_t s)
{
	switch (s) {
	case 200:
		return "Connection established";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 405:
		return "Method Not Allowed";
	case 407:
		return "Proxy Authentication Required";
	case 408:
		return "Request Timeout";
	case 431:
		return "Request Header Fields Too Large";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return "Internal Server Error";
	}
}

/* An HTTP/1.1 answer: 200 opens the tunnel, anything else ends the connection. */
static void h1_answer(struct conn *c, uint16_t status, const char *why)
{
	char msg[sizeof(c->out)];
	int n;

	if (status == 200) {
		n = snprintf(msg, sizeof(msg), "HTTP/1.1 200 Connection established\r\n\r\n");
	} else {
		n = snprintf(msg, sizeof(msg),
			"HTTP/1.1 %u %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
			"Connection: close\r\n%s\r\n%s\n",
			status, status_text(status), strlen(why) + 1,
			status == 407 ? "Proxy-Authenticate: Basic realm=\"egressgw\"\r\n" :
			status == 405 ? "Allow: CONNECT\r\n" :
					"",
			why);
	}
	queue_out(c, msg, n > 0 ? (size_t)n : 0);
}

void conn_answer(struct egw_tunnel *t, struct req *r)
{
	struct conn *c = r->c;
	bool ok = r->result == EGW_TUNNEL_R_ALLOWED;

	if (r->answered)
		return;
	r->answered = true;
	STAT_ADD(t->st.t[c->transport].requests[r->result], 1);
	if (r->stream_id)
		return h2_answer(t, r);
	if (c->dead)
		return;
	timer_stop(&c->timer);
	if (c->transport == EGW_TUNNEL_SOCKS5) {
		if (c->s5->phase == EGW_SOCKS5_CONNECT)
			egw_tunnel_socks5_reply(c->s5, r->result, r->local_addr, r->local_port);
		queue_out(c, c->s5->reply, c->s5->reply_len);
		tun_free(t, c->s5);
		c->s5 = NULL;
	} else if (c->state != C_TLS) {
		h1_answer(c, egw_tunnel_result_http(r->result), r->reason ? r->reason : "");
	}
	c->state = ok ? C_RELAY : C_CLOSING;
	tun_ready(t, c);
}

static void reject(struct egw_tunnel *t, struct conn *c, enum egw_tunnel_result res,
	uint16_t status, const char *why)
{
	struct req *r = &c->r;

	r->answered = true;
	r->result = (uint8_t)res;
	r->reason = why;
	STAT_ADD(t->st.t[c->transport].requests[res], 1);
	h1_answer(c, status, why);
	c->state = C_CLOSING;
}

static void tls_handshake(struct egw_tunnel *t, struct conn *c)
{
	const unsigned char *alpn;
	unsigned int alpn_len;
	bool wants_other = false;
	int ret;

	if (!cio_can_read(c) && !cio_can_write(c))
		return;
	ret = SSL_do_handshake(c->ssl);
	if (ret != 1) {
		switch (SSL_get_error(c->ssl, ret)) {
		case SSL_ERROR_WANT_READ:
			c->io.can_read = false;
			break;
		case SSL_ERROR_WANT_WRITE:
			c->io.can_write = false;
			wants_other = true;
			break;
		default:
			ERR_clear_error();
			STAT_ADD(t->st.handshake_failures, 1);
			conn_close(t, c);
			return;
		}
		c->io.rd_wants_out = wants_other;
		return;
	}
	c->io.rd_wants_out = false;
	SSL_get0_alpn_selected(c->ssl, &alpn, &alpn_len);
	if (alpn_len == 2 && memcmp(alpn, "h2", 2) == 0) {
		conn_set_transport(t, c, EGW_TUNNEL_H2);
		if (h2_start(t, c, NULL, 0) < 0)
			conn_close(t, c);
		return;
	}
	c->state = C_HEAD;
}

/* The HTTP/1.1 request head: bytes go into the buffer that becomes the client-to-server one. */
static void head_read(struct egw_tunnel *t, struct conn *c)
{
	struct req *r = &c->r;
	struct egw_connect_req q;
	char user[256], pass[256];

	while (cio_can_read(c)) {
		ssize_t n;

		if (!buf_get(t, &r->up, c))
			return;
		n = cio_read(c, r->up->data + r->up->tail, buf_room(r->up));
		if (n == -EAGAIN)
			return;
		if (n <= 0)
			return conn_close(t, c);
		r->up->tail += (uint32_t)n;
		switch (egw_tunnel_connect_parse(r->up->data, r->up->tail, &q)) {
		case EGW_CONNECT_NEED_MORE:
			continue;
		case EGW_CONNECT_ERROR:
			return reject(t, c, EGW_TUNNEL_R_BAD_REQUEST, q.status, q.why);
		case EGW_CONNECT_H2:
			if (c->ssl) /* h2 over TLS is chosen by ALPN, not by a preface */
				return reject(t, c, EGW_TUNNEL_R_BAD_REQUEST, 400, "no ALPN h2");
			conn_set_transport(t, c, EGW_TUNNEL_H2C);
			if (h2_start(t, c, r->up->data, r->up->tail) < 0)
				conn_close(t, c);
			buf_put(t, &r->up);
			return;
		case EGW_CONNECT_OK:
			break;
		}
		r->up->head = q.head_len;
		r->target = q.target;
		if (t->users) {
			if (!q.auth)
				return reject(t, c, EGW_TUNNEL_R_AUTH_FAILED, 407,
					"authentication required");
			if (egw_tunnel_basic_auth(q.auth, q.auth_len, user, pass) < 0 ||
				!(r->user = egw_tunnel_users_check(t->users, user, pass)))
				return reject(t, c, EGW_TUNNEL_R_AUTH_FAILED, 407,
					"wrong user name or password");
		}
		c->state = C_WAIT;
		timer_stop(&c->timer); /* the request's own deadline applies now */
		return req_start(t, r);
	}
}

/* The SOCKS5 negotiation, message by message, from the client-to-server buffer. */
static void socks_read(struct egw_tunnel *t, struct conn *c)
{
	struct req *r = &c->r;
	struct egw_socks5 *s = c->s5;

	for (;;) {
		enum egw_socks5_action a;
		ssize_t n;

		if (!buf_get(t, &r->up, c))
			return;
		a = egw_tunnel_socks5_step(s, r->up->data + r->up->head, buf_len(r->up));
		r->up->head += s->used;
		if (a == EGW_SOCKS5_CHECK) {
			r->user = egw_tunnel_users_check(t->users, s->user, s->pass);
			a = egw_tunnel_socks5_auth(s, r->user != NULL);
		}
		switch (a) {
		case EGW_SOCKS5_SEND:
			queue_out(c, s->reply, s->reply_len);
			continue;
		case EGW_SOCKS5_DECIDE:
			r->target = s->target;
			c->state = C_WAIT;
			timer_stop(&c->timer);
			return req_start(t, r);
		case EGW_SOCKS5_FAIL:
			queue_out(c, s->reply, s->reply_len);
			r->answered = true;
			r->result = s->result;
			r->reason = egw_tunnel_result_name(s->result);
			STAT_ADD(t->st.t[c->transport].requests[s->result], 1);
			c->state = C_CLOSING;
			return;
		default:
			break;
		}
		if (!cio_can_read(c))
			return;
		n = cio_read(c, r->up->data + r->up->tail, buf_room(r->up));
		if (n == -EAGAIN)
			return;
		if (n <= 0)
			return conn_close(t, c);
		r->up->tail += (uint32_t)n;
	}
}

/* After an error answer: drop what comes until EOF or the linger timer. */
static void linger(struct egw_tunnel *t, struct conn *c)
{
	while (cio_can_read(c)) {
		ssize_t n = cio_read(c, t->scratch, sizeof(t->scratch));

		if (n == -EAGAIN)
			return;
		if (n <= 0)
			return conn_close(t, c);
	}
}

void conn_pump(struct egw_tunnel *t, struct conn *c)
{
	uint8_t before;

	do {
		before = c->state;
		if (c->dead)
			return;
		switch (c->state) {
		case C_TLS:
			tls_handshake(t, c);
			break;
		case C_HEAD:
			if (flush_out(t, c))
				head_read(t, c);
			break;
		case C_SOCKS:
			socks_read(t, c); /* the replies it queues go out below */
			if (!c->dead)
				flush_out(t, c);
			break;
		case C_WAIT:
			flush_out(t, c);
			break;
		case C_RELAY:
			if (flush_out(t, c))
				relay_pump(t, c);
			break;
		case C_H2:
			h2_pump(t, c);
			break;
		case C_CLOSING:
			if (!flush_out(t, c))
				break;
			cio_shutdown(c);
			c->state = C_LINGER;
			timer_arm(t, &c->timer, T_LINGER);
			break;
		case C_LINGER:
			linger(t, c);
			break;
		}
	} while (!c->dead && c->state != before);
}

/* The handshake, idle (HTTP/2) or linger deadline of C passed. */
void conn_timeout(struct egw_tunnel *t, struct conn *c)
{
	switch (c->state) {
	case C_TLS:
	case C_HEAD:
	case C_SOCKS:
		c->r.answered = true;
		c->r.result = EGW_TUNNEL_R_TIMEOUT;
		c->r.reason = "the client was too slow";
		STAT_ADD(t->st.t[c->transport].requests[EGW_TUNNEL_R_TIMEOUT], 1);
		if (c->state == C_HEAD && buf_len(c->r.up) > 0) {
			h1_answer(c, 408, c->r.reason);
			c->state = C_CLOSING;
			timer_arm(t, &c->timer, T_LINGER); /* a client that reads nothing either */
			return tun_ready(t, c);
		}
		break;
	case C_H2:
		STAT_ADD(t->st.idle_timeouts, 1);
		break;
	default:
		break;
	}
	conn_close(t, c);
}
