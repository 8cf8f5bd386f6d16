/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tunnel's engine on loopback sockets, one loop thread per test: a relayed CONNECT (the
 * pre_connect hook sees the address the server sees, the flow record its bytes), the policy's
 * and the inside networks' refusals, and every limit: max_clients, the handshake deadline
 * (silent and slow clients), the idle timeout, and max_buffers (a client waits, then goes
 * on). The listener is on 127.0.0.1 and the upstream server on 127.0.0.2: the listener's own
 * address is always refused.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "egw_test.h"
#include "tunnel/tunnel.h"

#define LO1 0x7f000001u
#define LO2 0x7f000002u

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	int decided, pre_connects, records;
	uint32_t pre_addr;
	uint16_t pre_port;
	struct egw_tunnel_flow_record last;
	bool deny;
} seen;

static int decide(void *ctx, const struct egw_tunnel_request *req, struct egw_tunnel_decision *out)
{
	pthread_mutex_lock(&mu);
	seen.decided++;
	memset(out, 0, sizeof(*out));
	out->allow = !seen.deny;
	out->admission.policy = 42;
	if (seen.deny)
		strcpy(out->reason, "test says no");
	pthread_mutex_unlock(&mu);
	return 0;
}

static int pre_connect(void *ctx, const struct egw_tunnel_request *req,
	const struct egw_tunnel_decision *d, uint32_t addr, uint16_t port)
{
	pthread_mutex_lock(&mu);
	seen.pre_connects++;
	seen.pre_addr = addr;
	seen.pre_port = port;
	pthread_mutex_unlock(&mu);
	return 0;
}

static void flow_end(void *ctx, const struct egw_tunnel_flow_record *r)
{
	pthread_mutex_lock(&mu);
	seen.records++;
	seen.last = *r;
	seen.last.host = NULL;
	seen.last.user = NULL;
	seen.last.reason = NULL;
	pthread_mutex_unlock(&mu);
}

static const struct egw_tunnel_policy_ops ops = { decide, pre_connect, flow_end };

/* A free port on ADDR (bound and released: a small race no other test here runs into). */
static uint16_t free_port(uint32_t addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(addr) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	close(fd);
	return ntohs(sa.sin_port);
}

static int tcp_listen(uint32_t addr, uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(addr) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0)
		return -1;
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	*port = ntohs(sa.sin_port);
	return fd;
}

static int tcp_connect(uint32_t addr, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(addr),
		.sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { .tv_sec = 10 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_str(int fd, const char *s)
{
	CU_ASSERT_EQUAL(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* Reads until the peer closes, up to N-1 bytes or MS milliseconds; returns the bytes read. */
static ssize_t read_for(int fd, char *buf, size_t n, int ms)
{
	size_t got = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (got + 1 < n && poll(&p, 1, ms) == 1) {
		ssize_t r = recv(fd, buf + got, n - 1 - got, 0);

		if (r <= 0)
			break;
		got += (size_t)r;
		if (memmem(buf, got, "\r\n\r\n", 4))
			break;
	}
	buf[got] = '\0';
	return (ssize_t)got;
}

static bool closed_within(int fd, int ms)
{
	char b[512];
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (poll(&p, 1, ms) == 1)
		if (recv(fd, b, sizeof(b), 0) <= 0)
			return true;
	return false;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct egw_tunnel_conf conf;

static struct egw_tunnel *engine(void)
{
	struct egw_conf_errors errs = { 0 };
	struct egw_tunnel *t;

	conf.http = (struct egw_tunnel_addr){ LO1, free_port(LO1) };
	conf.n_refused = 0; /* loopback is the only network here; the listener stays refused */
	memset(&seen, 0, sizeof(seen));
	t = egw_tunnel_create(&conf, &ops, NULL, &errs);
	if (!t)
		egw_conf_errors_print(&errs, stderr);
	egw_conf_errors_free(&errs);
	if (t && egw_tunnel_start(t) < 0) {
		egw_tunnel_destroy(t);
		t = NULL;
	}
	return t;
}

static uint64_t stat_of(struct egw_tunnel *t, enum egw_tunnel_result r)
{
	struct egw_tunnel_stats s;

	egw_tunnel_stats(t, &s);
	return s.t[EGW_TUNNEL_HTTP].requests[r];
}

static int init(void)
{
	egw_tunnel_conf_defaults(&conf);
	return 0;
}

static int connect_through(uint16_t proxy, uint16_t port, char *answer, size_t n)
{
	char req[128];
	int fd = tcp_connect(LO1, proxy);

	if (fd < 0)
		return -1;
	snprintf(req, sizeof(req), "CONNECT 127.0.0.2:%u HTTP/1.1\r\nHost: 127.0.0.2:%u\r\n\r\n",
		port, port);
	send_str(fd, req);
	read_for(fd, answer, n, 5000);
	return fd;
}

static void test_engine_relay(void)
{
	struct egw_tunnel *t;
	struct sockaddr_in peer;
	socklen_t pl = sizeof(peer);
	uint16_t sport;
	int srv = tcp_listen(LO2, &sport), c, s;
	char buf[256];
	struct egw_tunnel_stats st;

	init();
	CU_ASSERT_PTR_NOT_NULL_FATAL(t = engine());
	c = connect_through(conf.http.port, sport, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL_FATAL(strstr(buf, "HTTP/1.1 200"));
	s = accept(srv, (struct sockaddr *)&peer, &pl);
	CU_ASSERT_FATAL(s >= 0);
	/* what the integration would admit is what the server sees */
	CU_ASSERT_EQUAL(seen.pre_connects, 1);
	CU_ASSERT_EQUAL(seen.pre_port, ntohs(peer.sin_port));
	send_str(c, "ping");
	CU_ASSERT_EQUAL(recv(s, buf, sizeof(buf), 0), 4);
	send_str(s, "pong!");
	CU_ASSERT_EQUAL(recv(c, buf, sizeof(buf), 0), 5);
	/* half-close travels: the client's EOF reaches the server, then the server's back */
	shutdown(c, SHUT_WR);
	CU_ASSERT_EQUAL(recv(s, buf, sizeof(buf), 0), 0);
	close(s);
	CU_ASSERT_TRUE(closed_within(c, 5000));
	close(c);
	close(srv);
	for (int i = 0; i < 100 && seen.records == 0; i++)
		usleep(10000);
	egw_tunnel_stats(t, &st);
	CU_ASSERT_EQUAL(st.t[EGW_TUNNEL_HTTP].requests[EGW_TUNNEL_R_ALLOWED], 1);
	CU_ASSERT_EQUAL(st.t[EGW_TUNNEL_HTTP].bytes_up, 4);
	CU_ASSERT_EQUAL(st.t[EGW_TUNNEL_HTTP].bytes_down, 5);
	CU_ASSERT_EQUAL(seen.records, 1);
	CU_ASSERT_EQUAL(seen.last.result, EGW_TUNNEL_R_ALLOWED);
	CU_ASSERT_EQUAL(seen.last.addr, LO2);
	CU_ASSERT_EQUAL(seen.last.admission.policy, 42);
	CU_ASSERT_EQUAL(seen.last.bytes_up, 4);
	CU_ASSERT_EQUAL(seen.last.bytes_down, 5);
	egw_tunnel_destroy(t);
}

static void test_engine_refusals(void)
{
	struct egw_tunnel *t;
	char buf[512];
	uint16_t sport;
	int srv = tcp_listen(LO2, &sport), c;

	init();
	CU_ASSERT_PTR_NOT_NULL_FATAL(t = engine());
	seen.deny = true;
	c = connect_through(conf.http.port, sport, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "HTTP/1.1 403"));
	close(c);
	/* the listener's own address: refused before the policy is asked */
	seen.deny = false;
	seen.decided = 0;
	c = tcp_connect(LO1, conf.http.port);
	snprintf(buf, sizeof(buf), "CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n", conf.http.port);
	send_str(c, buf);
	read_for(c, buf, sizeof(buf), 5000);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "HTTP/1.1 403"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "inside destination"));
	CU_ASSERT_EQUAL(seen.decided, 0);
	close(c);
	/* a port nobody listens on */
	close(srv);
	c = connect_through(conf.http.port, sport, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "HTTP/1.1 502"));
	close(c);
	CU_ASSERT_EQUAL(stat_of(t, EGW_TUNNEL_R_DENIED), 2);
	CU_ASSERT_EQUAL(stat_of(t, EGW_TUNNEL_R_UPSTREAM_REFUSED), 1);
	egw_tunnel_destroy(t);
}

static void test_engine_max_clients(void)
{
	struct egw_tunnel *t;
	struct egw_tunnel_stats st;
	int c[3];

	init();
	conf.max_clients = 2;
	CU_ASSERT_PTR_NOT_NULL_FATAL(t = engine());
	for (int i = 0; i < 3; i++)
		c[i] = tcp_connect(LO1, conf.http.port);
	CU_ASSERT_TRUE(closed_within(c[2], 5000));
	CU_ASSERT_FALSE(closed_within(c[0], 200));
	egw_tunnel_stats(t, &st);
	CU_ASSERT_EQUAL(st.clients_current, 2);
	CU_ASSERT_EQUAL(st.t[EGW_TUNNEL_HTTP].requests[EGW_TUNNEL_R_TOO_MANY_CLIENTS], 1);
	for (int i = 0; i < 3; i++)
		close(c[i]);
	egw_tunnel_destroy(t);
}

static void test_engine_handshake_timeout(void)
{
	struct egw_tunnel *t;
	char buf[512];
	uint64_t t0;
	int silent, slow;

	init();
	conf.handshake_ms = 300;
	CU_ASSERT_PTR_NOT_NULL_FATAL(t = engine());
	t0 = now_ms();
	silent = tcp_connect(LO1, conf.http.port);
	slow = tcp_connect(LO1, conf.http.port);
	send_str(slow, "CONNECT 127.0.0.2:80 HTTP/1.1\r\nHost:");
	read_for(slow, buf, sizeof(buf), 5000);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "HTTP/1.1 408"));
	CU_ASSERT_TRUE(closed_within(silent, 5000));
	CU_ASSERT(now_ms() - t0 >= 250);
	CU_ASSERT_EQUAL(stat_of(t, EGW_TUNNEL_R_TIMEOUT), 2);
	close(silent);
	close(slow);
	egw_tunnel_destroy(t);
}

static void test_engine_idle_timeout(void)
{
	struct egw_tunnel *t;
	struct egw_tunnel_stats st;
	uint16_t sport;
	int srv = tcp_listen(LO2, &sport), c, s;
	char buf[256];

	init();
	conf.idle_ms = 300;
	CU_ASSERT_PTR_NOT_NULL_FATAL(t = engine());
	c = connect_through(conf.http.port, sport, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL_FATAL(strstr(buf, "HTTP/1.1 200"));
	s = accept(srv, NULL, NULL);
	CU_ASSERT_TRUE(closed_within(c, 5000));
	CU_ASSERT_TRUE(closed_within(s, 5000));
	egw_tunnel_stats(t, &st);
	CU_ASSERT_EQUAL(st.idle_timeouts, 1);
	CU_ASSERT_EQUAL(st.tunnels_current, 0);
	close(c);
	close(s);
	close(srv);
	egw_tunnel_destroy(t);
}

/* One relay buffer in all: a second client waits for it instead of allocating more. */
static void test_engine_buffers(void)
{
	struct egw_tunnel *t;
	struct egw_tunnel_stats st;
	uint16_t sport;
	int srv = tcp_listen(LO2, &sport), a, b, s;
	char buf[256], req[96];

	init();
	conf.max_buffers = 1;
	CU_ASSERT_PTR_NOT_NULL_FATAL(t = engine());
	snprintf(req, sizeof(req), "CONNECT 127.0.0.2:%u HTTP/1.1\r\n", sport);
	a = tcp_connect(LO1, conf.http.port);
	send_str(a, req); /* holds the buffer: its head is not complete */
	usleep(100000);
	b = tcp_connect(LO1, conf.http.port);
	send_str(b, req);
	send_str(b, "\r\n");
	CU_ASSERT_EQUAL(read_for(b, buf, sizeof(buf), 300), 0);
	egw_tunnel_stats(t, &st);
	CU_ASSERT(st.buffer_waits >= 1);
	CU_ASSERT_EQUAL(st.buffers_in_use, 1);
	send_str(a, "\r\n");
	read_for(a, buf, sizeof(buf), 5000);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "HTTP/1.1 200"));
	/* a's buffer is given back once its head is consumed: b goes on */
	read_for(b, buf, sizeof(buf), 5000);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "HTTP/1.1 200"));
	s = accept(srv, NULL, NULL);
	close(s);
	s = accept(srv, NULL, NULL);
	close(s);
	close(a);
	close(b);
	close(srv);
	egw_tunnel_destroy(t);
}

static void test_engine_bad_conf(void)
{
	struct egw_conf_errors errs = { 0 };
	struct egw_tunnel_conf c;

	egw_tunnel_conf_defaults(&c);
	c.https = (struct egw_tunnel_addr){ LO1, free_port(LO1) };
	strcpy(c.tls_cert, "/nonexistent/cert.pem");
	strcpy(c.users, "/nonexistent/users");
	CU_ASSERT_PTR_NULL(egw_tunnel_create(&c, &ops, NULL, &errs));
	CU_ASSERT_EQUAL(errs.n, 2); /* both problems, not only the first */
	egw_conf_errors_free(&errs);
	egw_tunnel_conf_defaults(&c);
	c.max_clients = 0;
	CU_ASSERT_PTR_NULL(egw_tunnel_create(&c, &ops, NULL, &errs));
	CU_ASSERT_EQUAL(errs.n, 1);
	egw_conf_errors_free(&errs);
}

void egw_test_register_tunnel_engine(void)
{
	EGW_SUITE("tunnel_engine", NULL, NULL, EGW_TEST(test_engine_relay),
		EGW_TEST(test_engine_refusals), EGW_TEST(test_engine_max_clients),
		EGW_TEST(test_engine_handshake_timeout), EGW_TEST(test_engine_idle_timeout),
		EGW_TEST(test_engine_buffers), EGW_TEST(test_engine_bad_conf));
}
