/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "conf/conf.h"
#include "metrics.h"

struct egw_metrics_server {
	struct MHD_Daemon *mhd;
	const struct egw_tel_source *src;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
	char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
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

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			(char *)"only GET\n", 9, MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics") != 0)
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain",
			(char *)"not found: the metrics are at /metrics\n", 39,
			MHD_RESPMEM_PERSISTENT);
	if (egw_metrics_render(srv->src, &b) < 0) {
		egw_metrics_buf_free(&b);
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
			(char *)"out of memory\n", 14, MHD_RESPMEM_PERSISTENT);
	}
	/* MUST_FREE: libmicrohttpd frees the text with free() once sent. */
	return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", b.p, b.len,
		MHD_RESPMEM_MUST_FREE);
}

struct egw_metrics_server *egw_metrics_start(const char *listen,
	const struct egw_tel_source *src, char *err, size_t errlen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct egw_metrics_server *srv;
	uint32_t addr;
	uint16_t port;

	if (egw_parse_hostport(listen, &addr, &port) < 0) {
		snprintf(err, errlen, "%s is not HOST:PORT (IPv4 address, port 1-65535)", listen);
		return NULL;
	}
	sa.sin_addr.s_addr = htonl(addr);
	sa.sin_port = htons(port);
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->src = src;
	/* Its own thread, a few connections, short timeouts: a scraper, not a web server. */
	srv->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
		ntohs(sa.sin_port), NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, &sa,
		MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
		MHD_OPTION_END);
	if (!srv->mhd) {
		snprintf(err, errlen, "cannot listen on %s (address in use or not ours?)", listen);
		free(srv);
		return NULL;
	}
	return srv;
}

void egw_metrics_stop(struct egw_metrics_server *srv)
{
	if (!srv)
		return;
	MHD_stop_daemon(srv->mhd);
	free(srv);
}
