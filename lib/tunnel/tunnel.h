/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_TUNNEL_H
#define EGW_TUNNEL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "hostname/hostname.h"

/*
 * The tunnel service (SPEC 8): HTTP CONNECT (HTTP/1.1 and HTTP/2, cleartext and TLS) and SOCKS5
 * CONNECT on kernel sockets, one event-loop thread. The engine parses, authenticates, resolves
 * (c-ares), asks a decision interface (struct egw_tunnel_policy_ops) and relays bytes; what is
 * allowed and how the upstream flow is admitted is the integration's business. All addresses
 * and ports in this API are in host byte order.
 */

/* How the client reached the service; clients, requests and bytes are counted per transport. */
#define EGW_TUNNEL_FOREACH_TRANSPORT(_)                                                            \
	_(HTTP, http)	/* HTTP/1.1 CONNECT, cleartext */                                          \
	_(HTTPS, https) /* HTTP/1.1 CONNECT over TLS (ALPN http/1.1 or none) */                    \
	_(H2C, h2c)	/* HTTP/2 CONNECT, cleartext prior knowledge */                            \
	_(H2, h2)	/* HTTP/2 CONNECT over TLS (ALPN h2) */                                    \
	_(SOCKS5, socks5)

#define EGW_TUNNEL_T_ENUM(e, n) EGW_TUNNEL_##e,
enum egw_tunnel_transport {
	EGW_TUNNEL_FOREACH_TRANSPORT(EGW_TUNNEL_T_ENUM) EGW_TUNNEL_N_TRANSPORTS
};
#undef EGW_TUNNEL_T_ENUM

/*
 * How a request ended: counter name, HTTP status, SOCKS5 reply (RFC 1928 6). One list gives
 * the enum, the counter names and both answers, so a result cannot be answered differently
 * by two protocols. A request is counted under exactly one result.
 */
#define EGW_TUNNEL_FOREACH_RESULT(_)                                                               \
	_(ALLOWED, allowed, 200, 0x00)		 /* relayed */                                     \
	_(DENIED, denied, 403, 0x02)		 /* the policy, or an inside destination */        \
	_(BAD_REQUEST, bad_request, 400, 0x01)	 /* malformed, unsupported (405, 431, 0x07) */     \
	_(AUTH_FAILED, auth_failed, 407, 0x01)	 /* credentials missing or wrong */                \
	_(UNRESOLVABLE, unresolvable, 502, 0x04) /* no address for the name */                     \
	_(UPSTREAM_REFUSED, upstream_refused, 502, 0x05)                                           \
	_(UPSTREAM_UNREACHABLE, upstream_unreachable, 502, 0x03)                                   \
	_(UPSTREAM_TIMEOUT, upstream_timeout, 504, 0x04)                                           \
	_(TOO_MANY_CLIENTS, too_many_clients, 503, 0x01) /* max_clients or out of buffers */       \
	_(TIMEOUT, timeout, 408, 0x01)			 /* the client was too slow */             \
	_(INTERNAL, internal, 500, 0x01)		 /* no socket, no memory, hook failure */  \
	_(ABANDONED, abandoned, 499, 0x01)		 /* the client left before the answer */

#define EGW_TUNNEL_R_ENUM(e, n, http, socks) EGW_TUNNEL_R_##e,
enum egw_tunnel_result { EGW_TUNNEL_FOREACH_RESULT(EGW_TUNNEL_R_ENUM) EGW_TUNNEL_N_RESULTS };
#undef EGW_TUNNEL_R_ENUM

const char *egw_tunnel_transport_name(enum egw_tunnel_transport t);
const char *egw_tunnel_result_name(enum egw_tunnel_result r);
uint16_t egw_tunnel_result_http(enum egw_tunnel_result r);
uint8_t egw_tunnel_result_socks(enum egw_tunnel_result r);

/* ---- configuration ---- */

#define EGW_TUNNEL_RESOLVERS_MAX 4
#define EGW_TUNNEL_REFUSED_MAX 64
#define EGW_TUNNEL_BUF_SIZE 65520 /* one relay buffer (64 KiB with its header); HTTP/2 windows */

struct egw_tunnel_addr {
	uint32_t addr;
	uint16_t port; /* 0: off (listeners), 53 (resolvers) */
};

struct egw_tunnel_prefix {
	uint32_t addr;
	uint8_t len;
};

/* What the [tunnel] section will hold; egw_tunnel_conf_defaults() then set what is needed. */
struct egw_tunnel_conf {
	struct egw_tunnel_addr http, https, socks5; /* listeners; port 0 = not listening */
	char tls_cert[PATH_MAX], tls_key[PATH_MAX]; /* PEM; needed when https is set */
	char users[PATH_MAX];			    /* "" = no authentication */
	struct egw_tunnel_addr resolvers[EGW_TUNNEL_RESOLVERS_MAX];
	uint32_t n_resolvers;
	/*
	 * Destinations never connected to, whatever the policy says: the inside networks and the
	 * appliance's own addresses. The defaults hold 0.0.0.0/8, 127.0.0.0/8 and 224.0.0.0/3
	 * (add, do not replace); the listeners' addresses are always refused.
	 */
	struct egw_tunnel_prefix refused[EGW_TUNNEL_REFUSED_MAX];
	uint32_t n_refused;
	uint32_t source;	 /* upstream sockets bind here (0: the kernel chooses) */
	uint32_t max_clients;	 /* client connections at once */
	uint32_t max_buffers;	 /* relay buffers (EGW_TUNNEL_BUF_SIZE each) in all */
	uint32_t h2_max_streams; /* concurrent CONNECT streams per HTTP/2 connection */
	uint32_t handshake_ms;	 /* accept to request decided: TLS, head, SOCKS negotiation */
	uint32_t connect_ms;	 /* name resolution + upstream connect */
	uint32_t idle_ms;	 /* an established tunnel (or an HTTP/2 connection) with no bytes */
	uint32_t resolve_ms;	 /* c-ares per-try timeout (2 tries) */
};

void egw_tunnel_conf_defaults(struct egw_tunnel_conf *c);

/* ---- the decision interface ---- */

/* What the policy is asked about. Pointers are valid during the call only. */
struct egw_tunnel_request {
	enum egw_tunnel_transport transport;
	uint32_t client_addr;
	uint16_t client_port;
	const char *host;	  /* normalized (lib/hostname); NULL for a literal address */
	uint32_t addr;		  /* the literal, or the resolved address chosen */
	uint16_t port;		  /* requested port */
	const uint32_t *resolved; /* every address the name resolved to (NULL for a literal) */
	uint32_t n_resolved;
	const char *user; /* the authenticated user; NULL without a users file */
};

/* Opaque to the engine: what the data path needs to admit the upstream flow. */
struct egw_tunnel_admission {
	uint32_t policy;
	uint32_t pool;
	uint32_t exit;
	uint32_t generation;
};

#define EGW_TUNNEL_REASON_MAX 64

struct egw_tunnel_decision {
	bool allow;
	char reason[EGW_TUNNEL_REASON_MAX]; /* denied: a short text for the client and the log */
	struct egw_tunnel_admission admission;
};

/* One record per request, allowed or not, when it ends. */
struct egw_tunnel_flow_record {
	enum egw_tunnel_transport transport;
	enum egw_tunnel_result result;
	uint32_t client_addr;
	uint16_t client_port;
	const char *host; /* normalized name, or NULL (literal address, or unparsed request) */
	uint32_t addr;	  /* destination (0 when never resolved) */
	uint16_t port;
	uint32_t local_addr; /* the upstream socket's, 0 when none was opened */
	uint16_t local_port;
	const char *user;
	const char *reason; /* why it was denied or failed; "" otherwise */
	struct egw_tunnel_admission admission;
	uint64_t bytes_up;   /* client to server */
	uint64_t bytes_down; /* server to client */
	uint64_t start_ns;   /* CLOCK_REALTIME */
	uint64_t duration_ns;
};

/*
 * Called on the tunnel thread; none may block. decide(): 0 and *OUT filled, or -errno (the
 * request fails as INTERNAL). pre_connect() (optional): the upstream socket is bound to
 * LOCAL_ADDR:LOCAL_PORT (LOCAL_ADDR 0 when conf.source is 0) and connect() comes next; the
 * integration admits that flow in the data path; non-zero refuses the request (DENIED). When
 * connect() finds that 4-tuple in use (EADDRNOTAVAIL), the socket is bound to another port and
 * pre_connect() is called again for the same request: the last call is the one that holds.
 * flow_end() (optional): one record per request.
 */
struct egw_tunnel_policy_ops {
	int (*decide)(void *ctx, const struct egw_tunnel_request *req,
		struct egw_tunnel_decision *out);
	int (*pre_connect)(void *ctx, const struct egw_tunnel_request *req,
		const struct egw_tunnel_decision *d, uint32_t local_addr, uint16_t local_port);
	void (*flow_end)(void *ctx, const struct egw_tunnel_flow_record *rec);
};

/* ---- counters ---- */

struct egw_tunnel_transport_stats {
	uint64_t clients_current; /* connections now (HTTP/2: connections, not streams) */
	uint64_t clients_total;
	uint64_t requests[EGW_TUNNEL_N_RESULTS];
	uint64_t bytes_up; /* client to server, relayed */
	uint64_t bytes_down;
};

struct egw_tunnel_stats {
	struct egw_tunnel_transport_stats t[EGW_TUNNEL_N_TRANSPORTS];
	uint64_t clients_current; /* all transports */
	uint64_t tunnels_current; /* upstream connections open */
	uint64_t memory_bytes;	  /* what the engine allocated and holds (not OpenSSL's) */
	uint64_t buffers_in_use;
	uint64_t buffer_waits;	     /* a read postponed because every buffer was in use */
	uint64_t handshake_failures; /* TLS handshakes that failed (counted as a timeout or bad) */
	uint64_t h2_streams_refused; /* over h2_max_streams or out of buffers */
	uint64_t resolves_current;
	uint64_t idle_timeouts; /* established tunnels closed for want of bytes */
};

/* ---- the engine ---- */

struct egw_tunnel;
struct egw_conf_errors;

/*
 * Loads the users file and the TLS key pair, opens the c-ares channel and binds the listeners
 * (nothing is accepted until the loop runs). NULL on failure, every problem in ERRS ("FILE:LINE:
 * message" for files, "tunnel: ..." otherwise). CONF is copied. Any thread.
 */
struct egw_tunnel *egw_tunnel_create(const struct egw_tunnel_conf *conf,
	const struct egw_tunnel_policy_ops *ops, void *ops_ctx, struct egw_conf_errors *errs);

/* Starts the event-loop thread. 0 or -errno. */
int egw_tunnel_start(struct egw_tunnel *t);

/* Asks the loop to stop and joins it (any thread but the loop's). Connections are closed. */
void egw_tunnel_stop(struct egw_tunnel *t);

/* After stop (or when never started): closes everything, frees T. */
void egw_tunnel_destroy(struct egw_tunnel *t);

/* A consistent-enough copy of the counters (each one read atomically). Any thread. */
void egw_tunnel_stats(const struct egw_tunnel *t, struct egw_tunnel_stats *out);

#endif
