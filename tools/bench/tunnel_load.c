/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tunnel_load: the two ends of tools/bench/tunnel_bench.sh, one epoll loop each, so that the
 * proxies are measured and not a scripting language.
 *
 *   tunnel_load server ADDR:PORT
 *       echoes every connection; one that starts with 'S' gets an endless stream instead.
 *   tunnel_load client PROXY http|socks5 TARGET MODE CONNS SECONDS
 *       TARGET is a.b.c.d:port (sent as the CONNECT authority / SOCKS5 IPv4 address).
 *       cycle:  CONNS connections each loop: connect, tunnel, 64 bytes echoed, close.
 *       stream: CONNS tunnels each read the server's stream.
 *       idle:   CONNS tunnels opened (one echo each), held until SECONDS pass or SIGTERM.
 *   Prints one line: "cycles N rate R/s" / "bytes N rate R MB/s" / "open N failed F".
 * Bounded: every run ends after SECONDS (idle: at SIGTERM at the latest after SECONDS).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"

#define MSG 64
#define BUF 65536

enum phase { P_CONNECTING, P_GREETING, P_HEAD, P_ECHO, P_STREAM, P_IDLE };

struct conn {
	int fd;
	enum phase phase;
	uint32_t got;
	char buf[512];
};

static uint8_t big[BUF];
static volatile sig_atomic_t stop;
static int ep;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_term(int sig)
{
	stop = 1;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void addr_of(const char *s, struct sockaddr_in *sa)
{
	uint32_t a;
	uint16_t p;

	if (egw_parse_hostport(s, &a, &p) < 0) {
		fprintf(stderr, "tunnel_load: not ADDR:PORT: %s\n", s);
		exit(2);
	}
	*sa = (struct sockaddr_in){ .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(a),
		.sin_port = htons(p) };
}

static void watch(int fd, void *p, int op)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = p };

	if (epoll_ctl(ep, op, fd, &ev) < 0)
		die("epoll_ctl");
}

/* ---- server ---- */

static void serve(const char *where)
{
	struct sockaddr_in sa;
	struct epoll_event evs[256];
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
	static struct conn lc;

	addr_of(where, &sa);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4096) < 0)
		die("listen");
	lc.fd = lfd;
	watch(lfd, &lc, EPOLL_CTL_ADD);
	while (!stop) {
		int n = epoll_wait(ep, evs, 256, 1000);

		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			ssize_t r;

			if (c == &lc) {
				int fd;

				/* Each conn is owned by epoll's data pointer until the run ends. */
				// NOLINTBEGIN(clang-analyzer-unix.Malloc)
				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					struct conn *nc = calloc(1, sizeof(*nc));

					if (!nc)
						die("calloc");
					nc->fd = fd;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					watch(fd, nc, EPOLL_CTL_ADD);
				}
				// NOLINTEND(clang-analyzer-unix.Malloc)
				continue;
			}
			if (c->phase == P_STREAM) {
				if (evs[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
					goto gone;
				while (send(c->fd, big, BUF, MSG_NOSIGNAL) > 0)
					;
				if (errno != EAGAIN)
					goto gone;
				continue;
			}
			r = read(c->fd, c->buf, sizeof(c->buf));
			if (r <= 0) {
				if (r < 0 && errno == EAGAIN)
					continue;
				goto gone;
			}
			if (c->buf[0] == 'S' && c->got == 0) {
				struct epoll_event ev = { .events = EPOLLOUT | EPOLLRDHUP,
					.data.ptr = c };

				c->phase = P_STREAM;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				continue;
			}
			c->got += (uint32_t)r;
			if (send(c->fd, c->buf, (size_t)r, MSG_NOSIGNAL) != r)
				goto gone;
			continue;
		gone:
			close(c->fd);
			free(c);
		}
	}
}

/* ---- client ---- */

static struct sockaddr_in proxy, target;
static bool socks;
static int mode; /* 0 cycle, 1 stream, 2 idle */
static uint64_t cycles, bytes, opened, failed;

static void start(struct conn *c)
{
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		die("socket");
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->phase = P_CONNECTING;
	c->got = 0;
	if (connect(c->fd, (struct sockaddr *)&proxy, sizeof(proxy)) < 0 && errno != EINPROGRESS)
		die("connect");
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.ptr = c };
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void restart(struct conn *c, bool ok)
{
	close(c->fd);
	if (!ok && failed++ == 0) /* the first failure says why */
		fprintf(stderr, "tunnel_load: first failure in phase %d: %.*s\n", c->phase,
			(int)c->got, c->buf);
	if (mode == 0 && !stop)
		start(c);
	else
		c->fd = -1;
}

static void send_request(struct conn *c)
{
	char req[128];
	uint8_t s5[10] = { 5, 1, 0, 1 };
	uint32_t a = ntohl(target.sin_addr.s_addr);
	int n;

	if (socks) {
		memcpy(s5 + 4, &target.sin_addr.s_addr, 4);
		memcpy(s5 + 8, &target.sin_port, 2);
		n = send(c->fd, s5, sizeof(s5), MSG_NOSIGNAL);
	} else {
		n = snprintf(req, sizeof(req), "CONNECT %u.%u.%u.%u:%u HTTP/1.1\r\n\r\n", a >> 24,
			(a >> 16) & 255, (a >> 8) & 255, a & 255, ntohs(target.sin_port));
		n = send(c->fd, req, (size_t)n, MSG_NOSIGNAL) == n ? n : -1;
	}
	(void)n;
	c->phase = P_HEAD;
	c->got = 0;
}

static void tunnel_open(struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };

	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	c->got = 0;
	if (mode == 1) {
		c->phase = P_STREAM;
		send(c->fd, "S", 1, MSG_NOSIGNAL);
	} else {
		c->phase = P_ECHO;
		send(c->fd, big, MSG, MSG_NOSIGNAL);
	}
}

static void step(struct conn *c, uint32_t events)
{
	ssize_t r;

	if (c->phase == P_CONNECTING) {
		if (!(events & EPOLLOUT))
			return restart(c, false);
		if (socks) {
			send(c->fd, "\x05\x01\x00", 3, MSG_NOSIGNAL);
			c->phase = P_GREETING;
		} else {
			send_request(c);
		}
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
		return;
	}
	if (c->phase == P_STREAM) {
		while ((r = read(c->fd, big, BUF)) > 0)
			bytes += (uint64_t)r;
		if (r == 0 || errno != EAGAIN)
			restart(c, false);
		return;
	}
	if (c->phase == P_IDLE) {
		r = read(c->fd, c->buf, sizeof(c->buf));
		if (r == 0 || (r < 0 && errno != EAGAIN))
			restart(c, false);
		return;
	}
	r = read(c->fd, c->buf + c->got, sizeof(c->buf) - 1 - c->got);
	if (r <= 0) {
		if (r < 0 && errno == EAGAIN)
			return;
		return restart(c, false);
	}
	c->got += (uint32_t)r;
	switch (c->phase) {
	case P_GREETING:
		if (c->got < 2)
			return;
		if (c->buf[1] != 0)
			return restart(c, false);
		return send_request(c);
	case P_HEAD:
		if (socks) {
			if (c->got < 10)
				return;
			if (c->buf[1] != 0)
				return restart(c, false);
		} else {
			c->buf[c->got] = '\0';
			if (!strstr(c->buf, "\r\n\r\n"))
				return;
			if (strncmp(c->buf, "HTTP/1.1 200", 12) != 0 &&
				strncmp(c->buf, "HTTP/1.0 200", 12) != 0)
				return restart(c, false);
		}
		return tunnel_open(c);
	case P_ECHO:
		if (c->got < MSG)
			return;
		if (mode == 2) {
			opened++;
			c->phase = P_IDLE;
			return;
		}
		cycles++;
		return restart(c, true);
	default:
		return;
	}
}

static void client(char **argv)
{
	uint32_t conns = (uint32_t)atoi(argv[4]);
	double secs = atof(argv[5]), t0, t1;
	struct conn *cs = calloc(conns, sizeof(*cs));
	struct epoll_event evs[256];

	addr_of(argv[0], &proxy);
	socks = strcmp(argv[1], "socks5") == 0;
	addr_of(argv[2], &target);
	mode = strcmp(argv[3], "cycle") == 0 ? 0 : strcmp(argv[3], "stream") == 0 ? 1 : 2;
	if (!cs || conns == 0 || secs <= 0)
		die("arguments");
	t0 = now_s();
	for (uint32_t i = 0; i < conns; i++)
		start(&cs[i]);
	while (!stop && now_s() - t0 < secs) {
		int n = epoll_wait(ep, evs, 256, 100);

		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c->fd >= 0)
				step(c, evs[i].events);
		}
		if (mode == 2 && opened + failed == conns && opened > 0) {
			static bool said;

			if (!said) {
				printf("open %llu failed %llu\n", (unsigned long long)opened,
					(unsigned long long)failed);
				fflush(stdout);
				said = true;
			}
		}
	}
	t1 = now_s() - t0;
	if (mode == 0)
		printf("cycles %llu failed %llu rate %.0f/s\n", (unsigned long long)cycles,
			(unsigned long long)failed, (double)cycles / t1);
	else if (mode == 1)
		printf("bytes %llu failed %llu rate %.1f MB/s\n", (unsigned long long)bytes,
			(unsigned long long)failed, (double)bytes / t1 / 1e6);
	else if (opened + failed < conns)
		printf("open %llu failed %llu (incomplete)\n", (unsigned long long)opened,
			(unsigned long long)failed);
	for (uint32_t i = 0; i < conns; i++)
		if (cs[i].fd >= 0)
			close(cs[i].fd);
	free(cs);
}

int main(int argc, char **argv)
{
	struct rlimit rl = { 65536, 65536 };

	setrlimit(RLIMIT_NOFILE, &rl);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	memset(big, 'x', sizeof(big));
	ep = epoll_create1(0);
	if (argc == 3 && strcmp(argv[1], "server") == 0)
		serve(argv[2]);
	else if (argc == 8 && strcmp(argv[1], "client") == 0)
		client(argv + 2);
	else {
		fprintf(stderr, "usage: tunnel_load server ADDR:PORT | client PROXY http|socks5 "
				"TARGET cycle|stream|idle CONNS SECONDS\n");
		return 2;
	}
	return 0;
}
