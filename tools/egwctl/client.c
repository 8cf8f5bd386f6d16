/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "ctl/ctl.h"

#define REPLY_MAX (1 << 20)
/* DPDK 22.11 reads a request into 1024 bytes and takes commands shorter than 56. */
#define TELEMETRY_REQUEST_MAX 1023
#define TELEMETRY_CMD_MAX 55
/* The daemon takes one line of at most this many bytes before its newline. */
#define CONTROL_LINE_MAX (EGW_CTL_LINE_MAX - 1)
/* A reload compiles the policies before it answers: give it time, but do not hang forever
 * on a daemon that is stuck. */
#define TELEMETRY_TIMEOUT_S 10
#define CONTROL_TIMEOUT_S 120

int egw_ctl_connect_unix(const char *path, int type, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot connect to %s: %s%s", path, strerror(e),
			e == ENOENT || e == ECONNREFUSED ? " (is egressgw running?)" :
			e == EACCES ? " (run as root or as the daemon's user)" :
				      "");
		close(fd);
		return -1;
	}
	return fd;
}

static void set_timeout(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static const char *read_error(ssize_t r, int e)
{
	if (r == 0)
		return "connection closed without a reply";
	return e == EAGAIN || e == EWOULDBLOCK ? "timed out waiting for the reply" : strerror(e);
}

int egw_ctl_telemetry(const char *prefix, const char *cmd, const char *params, char **reply,
	size_t *len)
{
	char path[256], err[512], req[TELEMETRY_REQUEST_MAX + 1];
	char *buf = NULL;
	int fd = -1, rc = -EIO;
	ssize_t r;

	*reply = NULL;
	if (strlen(cmd) > TELEMETRY_CMD_MAX ||
		(size_t)snprintf(req, sizeof(req), "%s%s%s", cmd, params ? "," : "",
			params ? params : "") >= sizeof(req)) {
		fprintf(stderr, "egwctl: request too long for DPDK telemetry (at most %d bytes)\n",
			TELEMETRY_REQUEST_MAX);
		return -E2BIG;
	}
	if ((size_t)snprintf(path, sizeof(path), "/var/run/dpdk/%s/dpdk_telemetry.v2", prefix) >=
		sizeof(path)) {
		fprintf(stderr, "egwctl: file prefix too long: %s\n", prefix);
		return -ENAMETOOLONG;
	}
	buf = malloc(REPLY_MAX);
	if (!buf)
		goto out;
	fd = egw_ctl_connect_unix(path, SOCK_SEQPACKET, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "egwctl: %s\n", err);
		goto out;
	}
	set_timeout(fd, TELEMETRY_TIMEOUT_S);
	/* The greeting ({"version": ..., "max_output_len": ...}) comes first, unasked. */
	r = read(fd, buf, REPLY_MAX - 1);
	if (r <= 0) {
		/* DPDK closes at once what exceeds its 10 telemetry clients. */
		fprintf(stderr, "egwctl: %s: %s%s\n", path, read_error(r, errno),
			r == 0 ? " (DPDK serves at most 10 telemetry clients at once; retry)" : "");
		goto out;
	}
	if (write(fd, req, strlen(req)) < 0) {
		fprintf(stderr, "egwctl: %s: write: %s\n", path, strerror(errno));
		goto out;
	}
	/* SOCK_SEQPACKET: one read is one whole reply. */
	r = read(fd, buf, REPLY_MAX - 1);
	if (r <= 0) {
		fprintf(stderr, "egwctl: %s: %s\n", path, read_error(r, errno));
		goto out;
	}
	buf[r] = 0;
	*reply = buf;
	*len = (size_t)r;
	buf = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	buf = NULL;
	return rc;
}

int egw_ctl_control(const char *socket, const char *line, char **reply)
{
	char err[512];
	char *buf = NULL, *req = NULL;
	size_t n = 0, len = strlen(line);
	int fd = -1, rc = -EIO, send_errno = 0;
	ssize_t r = 0;

	*reply = NULL;
	if (len > CONTROL_LINE_MAX) {
		fprintf(stderr,
			"egwctl: command too long for the control socket (at most %d "
			"bytes)\n",
			CONTROL_LINE_MAX);
		return -E2BIG;
	}
	buf = malloc(REPLY_MAX);
	req = malloc(len + 2);
	if (!buf || !req)
		goto out;
	memcpy(req, line, len);
	memcpy(req + len, "\n", 2);
	fd = egw_ctl_connect_unix(socket, SOCK_STREAM, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "egwctl: %s\n", err);
		goto out;
	}
	set_timeout(fd, CONTROL_TIMEOUT_S);
	/* A daemon that refuses us (too many clients) has already answered and closed: the send
	 * fails (EPIPE, no SIGPIPE), and its ERROR line is still there to read. */
	if (send(fd, req, len + 1, MSG_NOSIGNAL) != (ssize_t)(len + 1))
		send_errno = errno;
	while (n + 1 < REPLY_MAX && (r = read(fd, buf + n, REPLY_MAX - 1 - n)) > 0)
		n += (size_t)r;
	if (n == 0) {
		if (send_errno)
			fprintf(stderr, "egwctl: %s: write: %s\n", socket, strerror(send_errno));
		else
			fprintf(stderr, "egwctl: %s: %s\n", socket, read_error(r, errno));
		goto out;
	}
	buf[n] = 0;
	*reply = buf;
	buf = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(req);
	req = NULL;
	free(buf);
	buf = NULL;
	return rc;
}
