/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "app.h"
#include "common/log.h"

/*
 * The control socket: egwctl's write commands. A unix stream socket, mode 0600, served by the
 * control thread between its other duties: one connection at a time, one command line in,
 * a reply out, closed. Only root or the daemon's own user may talk to it (SO_PEERCRED), on top
 * of the file mode, because the socket may sit in a directory others can reach.
 */
#define CTL_LINE_MAX 512
#define CTL_READ_TIMEOUT_MS 1000

int egw_ctl_socket_open(struct egw_app *app)
{
	const char *path = app->conf.control.socket;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[EGW_PATH_MAX];
	char *slash;
	int fd;

	app->ctl_fd = -1;
	if (!path[0])
		return 0;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		mkdir(dir, 0700); /* /run/egressgw usually; an existing one is kept as is */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		close(fd);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 ||
		listen(fd, 8) < 0) {
		int err = errno;
		EGW_ERR("control socket %s: %s", path, strerror(err));
		close(fd);
		return -err;
	}
	app->ctl_fd = fd;
	EGW_INFO("control socket %s", path);
	return 0;
}

void egw_ctl_socket_close(struct egw_app *app)
{
	if (app->ctl_fd < 0)
		return;
	close(app->ctl_fd);
	unlink(app->conf.control.socket);
	app->ctl_fd = -1;
}

static int read_line(int fd, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;
		if (poll(&p, 1, CTL_READ_TIMEOUT_MS) <= 0)
			return -ETIMEDOUT;
		r = read(fd, buf + n, len - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(buf, '\n', n))
			break;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\r\n")] = 0;
	return n ? 0 : -EIO;
}

static bool peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	return cred.uid == 0 || cred.uid == geteuid();
}

static void reply(int fd, const char *text)
{
	size_t off = 0, len = strlen(text);

	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

/* Serves at most one pending connection; called from the control loop. */
void egw_ctl_socket_poll(struct egw_app *app)
{
	char line[CTL_LINE_MAX], *out;
	int fd;

	if (app->ctl_fd < 0)
		return;
	fd = accept4(app->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	out = malloc(EGW_CTL_REPLY_MAX);
	if (!out) {
		close(fd);
		return;
	}
	if (!peer_allowed(fd))
		snprintf(out, EGW_CTL_REPLY_MAX, "ERROR permission denied\n");
	else if (read_line(fd, line, sizeof(line)) < 0)
		snprintf(out, EGW_CTL_REPLY_MAX, "ERROR no command received\n");
	else
		egw_ctl_execute(app, line, out, EGW_CTL_REPLY_MAX);
	reply(fd, out);
	free(out);
	close(fd);
}
