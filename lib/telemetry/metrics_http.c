/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "common/log.h"
#include "conf/conf.h"
#include "metrics.h"

/*
 * A scraper, not a web server: a few connections, small requests, one request per connection
 * ("Connection: close"), and every connection ends within CONN_DEADLINE_MS whatever the client
 * does. libmicrohttpd's own timeout is an idle one: a client that sends a header byte every few
 * seconds (slowloris) would hold a slot for ever, and CONN_LIMIT of them would lock the scraper
 * out. So the start of each connection is noted and a watchdog thread shuts down the socket of
 * one that outlives its deadline; libmicrohttpd then sees the end and cleans up.
 */
#define CONN_LIMIT 16
#define CONN_PER_IP 8	       /* one address cannot take every slot (localhost is one address) */
#define CONN_IDLE_S 5	       /* libmicrohttpd: no byte in or out for this long */
#define CONN_DEADLINE_MS 10000 /* the whole connection: request, rendering, reply */
#define REQUEST_MAX 16384      /* request line and headers; more is refused (431) */
#define WATCHDOG_MS 200

struct conn_slot {
	struct MHD_Connection *c; /* NULL: free */
	int fd;
	uint64_t start_ms;
	bool cut;
};

struct egw_metrics_server {
	struct MHD_Daemon *mhd;
	const struct egw_tel_source *src;
	pthread_mutex_t lock; /* the slots: libmicrohttpd's thread and the watchdog */
	pthread_cond_t wake;
	bool stop, watchdog_on;
	pthread_t watchdog;
	struct conn_slot slots[CONN_LIMIT];
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * libmicrohttpd calls this when a connection starts and before it closes the socket of one that
 * ends: under the lock, a slot's fd is always still open when the watchdog shuts it down.
 */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
	enum MHD_ConnectionNotificationCode toe)
{
	struct egw_metrics_server *srv = cls;
	const union MHD_ConnectionInfo *info;

	pthread_mutex_lock(&srv->lock);
	for (unsigned i = 0; i < CONN_LIMIT; i++) {
		struct conn_slot *s = &srv->slots[i];

		if (toe == MHD_CONNECTION_NOTIFY_CLOSED && s->c == c) {
			s->c = NULL;
			break;
		}
		if (toe == MHD_CONNECTION_NOTIFY_STARTED && !s->c) {
			info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
			if (!info)
				break;
			*s = (struct conn_slot){ .c = c,
				.fd = info->connect_fd,
				.start_ms = mono_ms() };
			break;
		}
	}
	pthread_mutex_unlock(&srv->lock);
	(void)socket_context;
}

static void *watchdog(void *arg)
{
	struct egw_metrics_server *srv = arg;

	pthread_mutex_lock(&srv->lock);
	while (!srv->stop) {
		struct timespec until;
		uint64_t now = mono_ms();

		for (unsigned i = 0; i < CONN_LIMIT; i++) {
			struct conn_slot *s = &srv->slots[i];

			if (s->c && !s->cut && now - s->start_ms >= CONN_DEADLINE_MS) {
				shutdown(s->fd, SHUT_RDWR);
				s->cut = true;
			}
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += WATCHDOG_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&srv->wake, &srv->lock, &until);
	}
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

/* libmicrohttpd's messages ("reached connection limit"), at most one a second: a flood of
 * clients must not flood the log. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	static uint64_t last_ms, suppressed;
	uint64_t now = mono_ms();
	char msg[256];

	(void)cls;
	if (last_ms && now - last_ms < 1000) {
		suppressed++;
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	if (suppressed)
		EGW_WARN("metrics: %s (%llu similar messages suppressed)", msg,
			(unsigned long long)suppressed);
	else
		EGW_WARN("metrics: %s", msg);
	last_ms = now;
	suppressed = 0;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
	char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	/* One request per connection: the watchdog's deadline is then one request's. */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
	const char *method, const char *version, const char *upload_data, size_t *upload_size,
	void **req_cls)
{
	struct egw_metrics_server *srv = cls;
	struct egw_metrics_buf b = { 0 };
	int rc;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", (char *)"only GET\n", 9,
			MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics") != 0)
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain",
			(char *)"not found: the metrics are at /metrics\n", 39,
			MHD_RESPMEM_PERSISTENT);
	rc = egw_metrics_render(srv->src, &b);
	if (rc < 0) {
		egw_metrics_buf_free(&b);
		if (rc == -EBUSY)
			return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
				(char *)"busy: try again\n", 16, MHD_RESPMEM_PERSISTENT);
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
			(char *)"out of memory\n", 14, MHD_RESPMEM_PERSISTENT);
	}
	/* MUST_FREE: libmicrohttpd frees the text with free() once sent. */
	return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", b.p, b.len,
		MHD_RESPMEM_MUST_FREE);
}

/* LISTEN's first address (a host name resolved) into SA. 0, or -EINVAL with ERR said. */
static int listen_addr(const char *listen, struct sockaddr_storage *sa, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char host[256], port[8];
	uint16_t p;
	int rc;

	if (egw_parse_listen(listen, host, sizeof(host), &p) < 0) {
		snprintf(err, errlen, "%s is not HOST:PORT or [IPV6]:PORT (port 1-65535)", listen);
		return -EINVAL;
	}
	snprintf(port, sizeof(port), "%u", p);
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0 || !res) {
		snprintf(err, errlen, "cannot resolve %s: %s", host,
			rc ? gai_strerror(rc) : "no address");
		return -EINVAL;
	}
	memcpy(sa, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

struct egw_metrics_server *egw_metrics_start(const char *listen, const struct egw_tel_source *src,
	char *err, size_t errlen)
{
	struct sockaddr_storage sa = { 0 };
	struct egw_metrics_server *srv;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	uint16_t port;

	if (listen_addr(listen, &sa, err, errlen) < 0)
		return NULL;
	if (sa.ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		port = ntohs(((const struct sockaddr_in6 *)&sa)->sin6_port);
	} else {
		port = ntohs(((const struct sockaddr_in *)&sa)->sin_port);
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->src = src;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->wake, NULL);
	/* The logger first: libmicrohttpd uses its own for messages about the options before. */
	srv->mhd = MHD_start_daemon(flags, port, NULL, NULL, on_request, srv,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR, &sa,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)CONN_PER_IP,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)CONN_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)CONN_IDLE_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)REQUEST_MAX,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_END);
	if (!srv->mhd) {
		snprintf(err, errlen, "cannot listen on %s (address in use or not ours?)", listen);
		egw_metrics_stop(srv);
		return NULL;
	}
	if (pthread_create(&srv->watchdog, NULL, watchdog, srv) != 0) {
		snprintf(err, errlen, "cannot start the metrics watchdog thread");
		egw_metrics_stop(srv);
		return NULL;
	}
	srv->watchdog_on = true;
	return srv;
}

void egw_metrics_stop(struct egw_metrics_server *srv)
{
	if (!srv)
		return;
	if (srv->watchdog_on) {
		pthread_mutex_lock(&srv->lock);
		srv->stop = true;
		pthread_cond_signal(&srv->wake);
		pthread_mutex_unlock(&srv->lock);
		pthread_join(srv->watchdog, NULL);
	}
	if (srv->mhd)
		MHD_stop_daemon(srv->mhd);
	pthread_cond_destroy(&srv->wake);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
