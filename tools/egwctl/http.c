/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "http.h"

#define TIMEOUT_S 10
/* Far above any real page; a bound keeps a wrong HOST:PORT from filling memory. */
#define BODY_MAX (256u << 20)

/* HOSTPORT to connect to: a listener on every address is asked on loopback. */
static int split_hostport(const char *hostport, char *host, size_t hostlen, char *port,
	size_t portlen)
{
	char any[16];
	uint16_t p;

	/* ":PORT" and "*:PORT": the daemon's own machine. */
	if (hostport[0] == ':' || strncmp(hostport, "*:", 2) == 0) {
		snprintf(any, sizeof(any), "127.0.0.1%s", strchr(hostport, ':'));
		hostport = any;
	}
	if (egw_parse_listen(hostport, host, hostlen, &p) < 0)
		return -EINVAL;
	snprintf(port, portlen, "%u", p);
	if (strcmp(host, "0.0.0.0") == 0)
		snprintf(host, hostlen, "127.0.0.1");
	else if (strcmp(host, "::") == 0)
		snprintf(host, hostlen, "::1");
	return 0;
}

/* connect() bounded by TIMEOUT_S: a filtered port would otherwise hang for minutes. */
static int connect_timeout(const struct addrinfo *ai)
{
	struct pollfd p = { .events = POLLOUT };
	int fd, e = 0, flags;
	socklen_t elen = sizeof(e);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			e = errno;
			goto fail;
		}
		p.fd = fd;
		if (poll(&p, 1, TIMEOUT_S * 1000) <= 0) {
			e = ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
			e = errno;
		if (e)
			goto fail;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		e = errno;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -e;
}

static int http_connect(const char *hostport)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res, *ai;
	char host[256], port[32];
	struct timeval tv = { .tv_sec = TIMEOUT_S };
	int fd = -ENOENT, rc;

	if (split_hostport(hostport, host, sizeof(host), port, sizeof(port)) < 0) {
		fprintf(stderr, "egwctl: metrics address '%s' is not HOST:PORT or [IPV6]:PORT\n",
			hostport);
		return -EINVAL;
	}
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "egwctl: metrics address %s: %s\n", hostport, gai_strerror(rc));
		return -EINVAL;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = connect_timeout(ai);
		if (fd >= 0)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		fprintf(stderr, "egwctl: cannot connect to metrics at %s: %s%s\n", hostport,
			strerror(-fd), fd == -ECONNREFUSED ? " (is egressgw running?)" : "");
		return fd;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Reads to EOF (HTTP/1.0: the server closes after the body). */
static int read_all(int fd, const char *hostport, char **out, size_t *len)
{
	size_t n = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	ssize_t r;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (cap - n < 4096) {
			char *b = cap < BODY_MAX ? realloc(buf, cap * 2) : NULL;

			if (!b) {
				fprintf(stderr, "egwctl: reply from %s too large\n", hostport);
				free(buf);
				buf = NULL;
				return -E2BIG;
			}
			buf = b;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r == 0)
			break;
		if (r < 0) {
			int e = errno;

			fprintf(stderr, "egwctl: reading from %s: %s\n", hostport,
				e == EAGAIN ? "timed out" : strerror(e));
			free(buf);
			buf = NULL;
			return -e;
		}
		n += (size_t)r;
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
}

/* The value of header NAME in HEAD (the header block, NUL-terminated), or NULL. */
static const char *header(const char *head, const char *name)
{
	size_t n = strlen(name);

	for (const char *l = strchr(head, '\n'); l; l = strchr(l, '\n')) {
		l++;
		if (strncasecmp(l, name, n) == 0 && l[n] == ':')
			return l + n + 1 + strspn(l + n + 1, " \t");
	}
	return NULL;
}

/* Checks the status and framing of RESP (N bytes, NUL-terminated; a NUL inside the header
 * block ends it early and fails the check) and moves the body to the front. */
static int parse_response(char *resp, size_t n, const char *hostport, size_t *body_len)
{
	char *end, *body;
	const char *cl, *te;
	int status = 0;

	if (!resp)
		return -EIO;
	end = strstr(resp, "\r\n\r\n");

	if (end) {
		body = end + 4;
	} else {
		end = strstr(resp, "\n\n");
		body = end ? end + 2 : NULL;
	}
	if (sscanf(resp, "HTTP/%*d.%*d %d", &status) != 1 || !end) {
		fprintf(stderr, "egwctl: %s did not answer with HTTP\n", hostport);
		return -EPROTO;
	}
	*end = 0;
	if (status != 200) {
		char *eol = resp + strcspn(resp, "\r\n");

		*eol = 0;
		fprintf(stderr, "egwctl: %s answered \"%s\"\n", hostport, resp);
		return -EPROTO;
	}
	te = header(resp, "Transfer-Encoding");
	if (te && strncasecmp(te, "identity", 8) != 0) {
		fprintf(stderr, "egwctl: %s sent a %.*s body, which egwctl does not decode\n",
			hostport, (int)strcspn(te, "\r\n"), te);
		return -EPROTO;
	}
	*body_len = n - (size_t)(body - resp);
	cl = header(resp, "Content-Length");
	if (cl && strtoull(cl, NULL, 10) != *body_len) {
		fprintf(stderr, "egwctl: %s sent %zu bytes of a %llu-byte page\n", hostport,
			*body_len, strtoull(cl, NULL, 10));
		return -EPROTO;
	}
	memmove(resp, body, *body_len + 1);
	return 0;
}

int egw_http_get(const char *hostport, const char *path, char **body, size_t *len)
{
	char *req = NULL, *resp = NULL;
	size_t n = 0;
	int fd, rc, reqlen;

	*body = NULL;
	fd = http_connect(hostport);
	if (fd < 0)
		return fd;
	reqlen = asprintf(&req,
		"GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: egwctl\r\n"
		"Accept: text/plain\r\nConnection: close\r\n\r\n",
		path, hostport);
	if (reqlen < 0) {
		req = NULL;
		rc = -ENOMEM;
		goto out;
	}
	if (write(fd, req, (size_t)reqlen) != reqlen) {
		rc = -errno;
		fprintf(stderr, "egwctl: sending to %s: %s\n", hostport, strerror(errno));
		goto out;
	}
	rc = read_all(fd, hostport, &resp, &n);
	if (rc == 0 && !resp)
		rc = -EIO;
	if (rc < 0)
		goto out;
	rc = parse_response(resp, n, hostport, len);
	if (rc < 0)
		goto out;
	*body = resp;
	resp = NULL;
out:
	close(fd);
	free(req);
	req = NULL;
	free(resp);
	resp = NULL;
	return rc;
}
