/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket's I/O, driven by egw_ctl_poll() from the control loop. Everything is
 * non-blocking and bounded per poll: one epoll_wait with timeout 0 for at most EVENTS_PER_POLL
 * ready fds, one read or one write per ready client, at most ACCEPTS_PER_POLL accepts, at most
 * one command, a deadline sweep every SWEEP_MS. What a client does is kept in its
 * struct egw_ctl_conn between polls, so a slow one costs a poll one short read, nothing more.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/file.h"
#include "ctl_conn.h"

#define EVENTS_PER_POLL 16
#define ACCEPTS_PER_POLL 8
#define SWEEP_MS 100
#define LISTENER UINT32_MAX /* epoll data of the listening socket */

struct egw_ctl_server {
	int listen_fd, epfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev; /* of the socket file we made: only that one is removed at close */
	ino_t ino;
	struct egw_ctl_ops ops;
	uint64_t next_seq, next_sweep;
	unsigned n_conns;
	char *scratch; /* EGW_CTL_REPLY_MAX: where a command writes its reply */
	struct egw_ctl_stats st;
	struct egw_ctl_conn conns[EGW_CTL_MAX_CLIENTS];
};

/* Only root or the daemon's own user: the socket may sit in a directory others can reach. */
static bool peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	return cred.uid == 0 || cred.uid == geteuid();
}

/* A client we do not serve: one best-effort line (MSG_NOSIGNAL: it may be gone), then close. */
static void refuse(struct egw_ctl_server *srv, int fd, const char *msg)
{
	ssize_t w = send(fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL);

	(void)w;
	close(fd);
	srv->st.refused++;
}

static void conn_close(struct egw_ctl_server *srv, struct egw_ctl_conn *c)
{
	/* close() also takes the fd out of the epoll set. */
	close(c->fd);
	egw_ctl_conn_reset(c);
	srv->n_conns--;
}

/* Registers C's fd in epoll for EVENTS (0: not at all). 0 or -errno. */
static int conn_watch(struct egw_ctl_server *srv, struct egw_ctl_conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u32 = (uint32_t)(c - srv->conns) };
	int op = !events ? EPOLL_CTL_DEL : c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;

	if (events == c->events)
		return 0;
	if (epoll_ctl(srv->epfd, op, c->fd, &ev) < 0)
		return -errno;
	c->events = events;
	return 0;
}

/* One send of what is left of the reply; closes the client when done or gone. */
static void conn_write(struct egw_ctl_server *srv, struct egw_ctl_conn *c)
{
	ssize_t w = send(c->fd, c->reply + c->reply_off, c->reply_len - c->reply_off,
		MSG_DONTWAIT | MSG_NOSIGNAL);

	if (w > 0 && egw_ctl_conn_sent(c, (size_t)w)) {
		conn_close(srv, c);
		return;
	}
	if (w < 0 && errno != EAGAIN && errno != EINTR) {
		srv->st.dropped++; /* EPIPE, ECONNRESET: the client left without its reply */
		conn_close(srv, c);
		return;
	}
	/* The rest when the client has read some: the socket buffer is full. */
	if (conn_watch(srv, c, EPOLLOUT) < 0) {
		srv->st.dropped++;
		conn_close(srv, c);
	}
}

static void conn_reply(struct egw_ctl_server *srv, struct egw_ctl_conn *c, const char *text,
	uint64_t now)
{
	egw_ctl_conn_reply(c, text, strlen(text), now);
	conn_write(srv, c);
}

/* A full line: it waits for its turn, and nothing the client sends meanwhile is read. */
static void conn_queue(struct egw_ctl_server *srv, struct egw_ctl_conn *c)
{
	if (conn_watch(srv, c, 0) < 0) {
		conn_close(srv, c);
		return;
	}
	c->state = EGW_CTL_QUEUED;
	c->seq = srv->next_seq++;
}

static void conn_input(struct egw_ctl_server *srv, struct egw_ctl_conn *c, enum egw_ctl_input in,
	uint64_t now)
{
	char msg[64];

	switch (in) {
	case EGW_CTL_IN_MORE:
		return;
	case EGW_CTL_IN_LINE:
		conn_queue(srv, c);
		return;
	case EGW_CTL_IN_TOO_LONG:
		snprintf(msg, sizeof(msg), "ERROR line too long (max %d bytes)\n",
			EGW_CTL_LINE_MAX - 1);
		break;
	case EGW_CTL_IN_NUL:
		snprintf(msg, sizeof(msg), "ERROR line contains a NUL byte\n");
		break;
	case EGW_CTL_IN_EMPTY:
		snprintf(msg, sizeof(msg), "ERROR no command received\n");
		break;
	}
	srv->st.rejected++;
	conn_reply(srv, c, msg, now);
}

static void conn_read(struct egw_ctl_server *srv, struct egw_ctl_conn *c, uint64_t now)
{
	ssize_t r = recv(c->fd, c->line + c->len, egw_ctl_conn_room(c), MSG_DONTWAIT);

	if (r > 0)
		conn_input(srv, c, egw_ctl_conn_input(c, (size_t)r), now);
	else if (r == 0)
		conn_input(srv, c, egw_ctl_conn_eof(c), now);
	else if (errno != EAGAIN && errno != EINTR)
		conn_close(srv, c);
}

static struct egw_ctl_conn *free_slot(struct egw_ctl_server *srv)
{
	if (srv->n_conns == EGW_CTL_MAX_CLIENTS)
		return NULL;
	for (unsigned i = 0; i < EGW_CTL_MAX_CLIENTS; i++)
		if (srv->conns[i].state == EGW_CTL_FREE)
			return &srv->conns[i];
	return NULL;
}

static unsigned accept_some(struct egw_ctl_server *srv, uint64_t now)
{
	unsigned n;

	for (n = 0; n < ACCEPTS_PER_POLL; n++) {
		int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct egw_ctl_conn *c;

		if (fd < 0)
			break;
		if (!peer_allowed(fd)) {
			refuse(srv, fd, "ERROR permission denied\n");
			continue;
		}
		c = free_slot(srv);
		if (!c) {
			refuse(srv, fd, "ERROR too many control connections; try again\n");
			continue;
		}
		egw_ctl_conn_start(c, fd, now);
		srv->n_conns++;
		srv->st.accepted++;
		if (conn_watch(srv, c, EPOLLIN) < 0)
			conn_close(srv, c);
	}
	return n;
}

/* The oldest full line runs: one command per poll, so ARP and ping wait for one at most. */
static unsigned run_one(struct egw_ctl_server *srv, uint64_t now)
{
	struct egw_ctl_conn *first = NULL;

	for (unsigned i = 0; i < EGW_CTL_MAX_CLIENTS; i++) {
		struct egw_ctl_conn *c = &srv->conns[i];
		if (c->state == EGW_CTL_QUEUED && (!first || c->seq < first->seq))
			first = c;
	}
	if (!first)
		return 0;
	srv->st.commands++;
	egw_ctl_execute(&srv->ops, first->line, srv->scratch, EGW_CTL_REPLY_MAX);
	conn_reply(srv, first, srv->scratch, now);
	return 1;
}

static void sweep(struct egw_ctl_server *srv, uint64_t now)
{
	char msg[80];

	for (unsigned i = 0; i < EGW_CTL_MAX_CLIENTS; i++) {
		struct egw_ctl_conn *c = &srv->conns[i];

		if (!egw_ctl_conn_expired(c, now))
			continue;
		srv->st.timed_out++;
		if (c->state == EGW_CTL_WRITING) {
			conn_close(srv, c);
			continue;
		}
		snprintf(msg, sizeof(msg), "ERROR no full command line within %d s\n",
			EGW_CTL_REQUEST_MS / 1000);
		conn_reply(srv, c, msg, now);
	}
}

unsigned egw_ctl_poll(struct egw_ctl_server *srv, uint64_t now_ms)
{
	struct epoll_event ev[EVENTS_PER_POLL];
	unsigned work = 0;
	int n;

	if (!srv)
		return 0;
	n = epoll_wait(srv->epfd, ev, EVENTS_PER_POLL, 0);
	for (int i = 0; i < n; i++) {
		struct egw_ctl_conn *c;

		if (ev[i].data.u32 == LISTENER) {
			work += accept_some(srv, now_ms);
			continue;
		}
		c = &srv->conns[ev[i].data.u32];
		work++;
		/* A client closed by an earlier event of this batch is FREE: nothing to do. */
		if (c->state == EGW_CTL_READING)
			conn_read(srv, c, now_ms);
		else if (c->state == EGW_CTL_WRITING)
			conn_write(srv, c);
	}
	work += run_one(srv, now_ms);
	if (now_ms >= srv->next_sweep) {
		sweep(srv, now_ms);
		srv->next_sweep = now_ms + SWEEP_MS;
	}
	return work;
}

void egw_ctl_stats(const struct egw_ctl_server *srv, struct egw_ctl_stats *st)
{
	*st = srv->st;
}

/* Makes room for our socket at PATH: only a stale socket file is removed. 0 or -errno. */
static int clear_path(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket (%s); not replaced", path,
			egw_file_type_name(st.st_mode));
		return -EEXIST;
	}
	if (unlink(path) < 0)
		return -errno;
	return 0;
}

static int listen_on(struct egw_ctl_server *srv, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = LISTENER };
	char dir[sizeof(srv->path)], *slash;
	struct stat st;
	int rc;

	/* egw_ctl_open checked that PATH fits both. */
	memcpy(sa.sun_path, path, strlen(path) + 1);
	memcpy(dir, path, strlen(path) + 1);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		mkdir(dir, 0700); /* /run/egressgw usually; an existing one is kept as is */
	}
	rc = clear_path(path, err, errlen);
	if (rc < 0)
		return rc;
	srv->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->listen_fd < 0)
		return -errno;
	if (bind(srv->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || lstat(path, &st) < 0)
		return -errno;
	srv->dev = st.st_dev;
	srv->ino = st.st_ino;
	memcpy(srv->path, path, strlen(path) + 1);
	if (chmod(path, 0600) < 0 || listen(srv->listen_fd, EGW_CTL_MAX_CLIENTS) < 0)
		return -errno;
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv->epfd < 0 || epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->listen_fd, &ev) < 0)
		return -errno;
	return 0;
}

struct egw_ctl_server *egw_ctl_open(const char *path, const struct egw_ctl_ops *ops, char *err,
	size_t errlen)
{
	struct egw_ctl_server *srv;
	int rc;

	err[0] = '\0';
	if (strlen(path) >= sizeof(srv->path) || !path[0]) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENAMETOOLONG));
		errno = ENAMETOOLONG;
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	srv->listen_fd = -1;
	srv->epfd = -1;
	srv->ops = *ops;
	for (unsigned i = 0; i < EGW_CTL_MAX_CLIENTS; i++)
		egw_ctl_conn_reset(&srv->conns[i]);
	srv->scratch = malloc(EGW_CTL_REPLY_MAX);
	rc = srv->scratch ? listen_on(srv, path, err, errlen) : -ENOMEM;
	if (rc < 0) {
		if (!err[0])
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		egw_ctl_close(srv);
		errno = -rc;
		return NULL;
	}
	return srv;
}

void egw_ctl_close(struct egw_ctl_server *srv)
{
	struct stat st;

	if (!srv)
		return;
	for (unsigned i = 0; i < EGW_CTL_MAX_CLIENTS; i++)
		if (srv->conns[i].state != EGW_CTL_FREE)
			conn_close(srv, &srv->conns[i]);
	if (srv->epfd >= 0)
		close(srv->epfd);
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	/* Someone may have put another file there meanwhile: only ours goes. */
	if (srv->path[0] && lstat(srv->path, &st) == 0 && st.st_dev == srv->dev &&
		st.st_ino == srv->ino)
		unlink(srv->path);
	free(srv->scratch);
	srv->scratch = NULL;
	free(srv);
}
