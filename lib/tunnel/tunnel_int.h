/* SPDX-License-Identifier: BSD-3-Clause */
/* What the engine's files share; not for other modules. Everything runs on the loop thread. */
#ifndef EGW_TUNNEL_INT_H
#define EGW_TUNNEL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include <ares.h>
#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>

#include "tunnel.h"
#include "tunnel_proto.h"
#include "users.h"

#define ARRAY_N(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))

/* Counters: written by the loop thread only, read by any thread (relaxed atomics). */
#define STAT_ADD(x, n) __atomic_store_n(&(x), (x) + (n), __ATOMIC_RELAXED)
#define STAT_SUB(x, n) __atomic_store_n(&(x), (x) - (n), __ATOMIC_RELAXED)

#define RESOLVE_SLOTS 4096 /* name lookups in flight at once */
#define ADDRS_MAX 8	   /* resolved addresses kept per request */
#define LINGER_MS 2000	   /* reading what a refused client still sends, before closing */
#define EVENTS_MAX 256
#define BUF_SPARE 32  /* free relay buffers kept instead of freed */
#define PORT_TRIES 64 /* upstream ports tried for one tunnel */

/* ---- doubly-linked FIFO timer lists: one fixed duration per list, so they stay sorted ---- */
struct tnode {
	struct tnode *prev, *next; /* NULL when not armed */
	uint64_t deadline;	   /* ms, CLOCK_MONOTONIC */
	bool is_req;		   /* in a struct req, else in a struct conn */
};

struct tlist {
	struct tnode head; /* sentinel */
	uint32_t ms;
};

enum tkind { T_HANDSHAKE, T_CONNECT, T_IDLE, T_LINGER, T_N };

/* ---- relay buffers: fixed size, from a counted, bounded free list ---- */
struct buf {
	uint32_t head, tail; /* data is [head, tail) */
	struct buf *next;    /* on the free list */
	/* 16 bytes of header: the whole is 64 KiB (io.c) */
	uint8_t data[EGW_TUNNEL_BUF_SIZE];
};

static inline uint32_t buf_len(const struct buf *b)
{
	return b ? b->tail - b->head : 0;
}

/* ---- what epoll's data.ptr points to ---- */
enum ep_kind { EP_LISTENER = 1, EP_CLIENT, EP_UPSTREAM, EP_WAKE };
struct ep {
	uint8_t kind;
};
/* c-ares sockets go in data.u64 as (fd << 1) | 1: pointers have the low bit clear. */

/*
 * Readiness of one non-blocking socket under edge-triggered epoll: set by an event, cleared
 * by EAGAIN. With TLS, a read may wait for writability and a write for readability.
 */
struct io {
	int fd;
	bool can_read, can_write;
	bool rd_wants_out, wr_wants_in;
};

struct conn;

/*
 * One tunnel request and its upstream connection. HTTP/1.1 and SOCKS5 connections embed one;
 * each HTTP/2 CONNECT stream has its own.
 */
struct req {
	struct ep ep; /* EP_UPSTREAM */
	struct io u;  /* fd -1 until connect */
	struct conn *c;
	int32_t stream_id; /* HTTP/2; 0 otherwise */
	struct egw_tunnel_target target;
	const char *user;
	uint32_t addrs[ADDRS_MAX];
	uint32_t n_addrs;
	uint32_t addr; /* chosen destination */
	uint32_t local_addr;
	uint16_t local_port;
	int32_t resolve_slot; /* -1 when no lookup is in flight */
	struct egw_tunnel_decision dec;
	uint8_t result; /* enum egw_tunnel_result once answered */
	const char *reason;
	struct buf *up, *down; /* client to server; server to client */
	bool started, answered, connecting, relaying, finished;
	bool up_eof, up_shut, down_eof, down_shut;
	bool h2_deferred, dirty, dead;
	bool h2_connect, h2_bad, h2_auth_seen; /* what the HEADERS said */
	struct req *next_dirty, *next_h2, *prev_h2, *next_dead;
	struct tnode timer; /* connect, then idle */
	uint64_t start_ns, start_ms;
	uint64_t bytes_up, bytes_down;
};

enum cstate {
	C_TLS,	   /* TLS handshake */
	C_HEAD,	   /* reading the HTTP/1.1 CONNECT head */
	C_SOCKS,   /* SOCKS5 negotiation */
	C_WAIT,	   /* the request is being resolved, decided, connected */
	C_RELAY,   /* HTTP/1.1 or SOCKS5 tunnel */
	C_H2,	   /* HTTP/2 session */
	C_CLOSING, /* flushing a final answer, then half-close and linger */
	C_LINGER,  /* discarding input until EOF or the linger timer */
};

struct conn {
	struct ep ep; /* EP_CLIENT */
	struct egw_tunnel *t;
	struct io io;
	SSL *ssl;
	uint8_t state; /* enum cstate */
	uint8_t transport;
	bool dead, on_ready, waiting_buf;
	uint32_t addr;
	uint16_t port;
	char out[512]; /* a short answer (HTTP status, SOCKS reply) waiting to go out */
	uint16_t out_len, out_off;
	struct egw_socks5 *s5; /* during the SOCKS5 negotiation */
	struct req r;	       /* HTTP/1.1, SOCKS5 */
	/* HTTP/2 */
	nghttp2_session *h2;
	const uint8_t *h2_out; /* what nghttp2_session_mem_send() gave and is not written yet */
	size_t h2_out_len;
	struct req *streams; /* list of this connection's CONNECT streams */
	uint32_t n_streams;
	struct req *dirty;
	struct tnode timer; /* handshake, idle (HTTP/2 without streams), linger */
	struct conn *next_ready, *next_dead, *next_wait;
	struct conn *all_prev, *all_next; /* every connection, for shutdown */
};

struct resolve_slot {
	struct egw_tunnel *t; /* c-ares hands the callback one pointer: the slot */
	struct req *r;	      /* NULL: the request went away; the answer is dropped */
	int32_t next_free;
};

struct listener {
	struct ep ep; /* EP_LISTENER */
	int fd;
	uint8_t transport; /* HTTP (also h2c), HTTPS (also h2), SOCKS5 */
};

struct egw_tunnel {
	struct egw_tunnel_conf conf;
	struct egw_tunnel_policy_ops ops;
	void *ops_ctx;
	struct egw_tunnel_users *users;
	SSL_CTX *tls;
	ares_channel ares;
	nghttp2_session_callbacks *h2_cbs;
	nghttp2_option *h2_opt;
	nghttp2_mem h2_mem;
	int ep, wake_fd;
	struct ep wake_ep;
	struct listener lis[3];
	uint32_t n_lis;
	pthread_t thread;
	bool running, stop;
	uint64_t now; /* ms, CLOCK_MONOTONIC, once per loop turn */
	struct tlist timers[T_N];
	struct buf *free_bufs;
	uint32_t n_bufs; /* allocated (in use + free) */
	struct conn *ready, *dead_conns, *wait_head, *wait_tail, *all;
	struct req *dead_reqs;
	struct resolve_slot slots[RESOLVE_SLOTS];
	int32_t free_slot;
	uint16_t port_first, port_last, port_next; /* upstream port cursor (ephemeral range) */
	uint8_t scratch[EGW_TUNNEL_BUF_SIZE];	   /* HTTP/2 input, linger discard */
	struct egw_tunnel_stats st;
};

/* engine.c */
void *tun_alloc(struct egw_tunnel *t, size_t n); /* zeroed, counted in memory_bytes */
void tun_free(struct egw_tunnel *t, void *p);
size_t tun_alloc_size(const void *p);		      /* what tun_alloc() was asked for */
void tun_ready(struct egw_tunnel *t, struct conn *c); /* pump C once this turn ends */
void conn_close(struct egw_tunnel *t, struct conn *c);
void req_free(struct egw_tunnel *t, struct req *r); /* HTTP/2 streams */
uint64_t tun_realtime_ns(void);

/* timer.c */
void timer_init(struct tlist *l, uint32_t ms);
void timer_arm(struct egw_tunnel *t, struct tnode *n, enum tkind k);
void timer_stop(struct tnode *n);
struct tnode *timer_expired(struct egw_tunnel *t, enum tkind k);
int timer_next_ms(struct egw_tunnel *t);

/* io.c: buffers and socket/TLS reads and writes (-EAGAIN, 0 = EOF, -errno) */
struct buf *buf_alloc(struct egw_tunnel *t);
void buf_release(struct egw_tunnel *t, struct buf *b);
bool buf_get(struct egw_tunnel *t, struct buf **b, struct conn *waiter);
void buf_put(struct egw_tunnel *t, struct buf **b);
uint32_t buf_room(struct buf *b);
ssize_t io_read(struct io *io, void *p, size_t n);
ssize_t io_write(struct io *io, const void *p, size_t n);
bool cio_can_read(const struct conn *c);
bool cio_can_write(const struct conn *c);
ssize_t cio_read(struct conn *c, void *p, size_t n);
ssize_t cio_write(struct conn *c, const void *p, size_t n);
void cio_shutdown(struct conn *c);
void io_event(struct io *io, uint32_t events);

/* tls.c */
SSL_CTX *tun_tls_ctx(const struct egw_tunnel_conf *conf, struct egw_conf_errors *errs);

/* resolve.c */
int resolve_init(struct egw_tunnel *t, struct egw_conf_errors *errs);
void resolve_fini(struct egw_tunnel *t);
int resolve_start(struct egw_tunnel *t, struct req *r);
void resolve_cancel(struct egw_tunnel *t, struct req *r);
void resolve_event(struct egw_tunnel *t, int fd, uint32_t events);
void resolve_timeouts(struct egw_tunnel *t);
int resolve_next_ms(struct egw_tunnel *t);

/* request.c */
void req_init(struct egw_tunnel *t, struct conn *c, struct req *r);
void req_start(struct egw_tunnel *t, struct req *r);
void req_resolved(struct egw_tunnel *t, struct req *r, int status, const uint32_t *addrs,
	uint32_t n);
void req_connected(struct egw_tunnel *t, struct req *r);
void req_fail(struct egw_tunnel *t, struct req *r, enum egw_tunnel_result res, const char *why);
void req_finish(struct egw_tunnel *t, struct req *r);
void req_timeout(struct egw_tunnel *t, struct req *r);
void req_count_bytes(struct egw_tunnel *t, struct req *r, uint64_t up, uint64_t down);

/* client.c */
void conn_accept(struct egw_tunnel *t, struct listener *l);
void conn_pump(struct egw_tunnel *t, struct conn *c);
void conn_answer(struct egw_tunnel *t, struct req *r); /* the request's result is known */
void conn_timeout(struct egw_tunnel *t, struct conn *c);
void conn_set_transport(struct egw_tunnel *t, struct conn *c, enum egw_tunnel_transport tr);

/* relay.c */
void relay_pump(struct egw_tunnel *t, struct conn *c);
int upstream_pump(struct egw_tunnel *t, struct req *r); /* both upstream directions */

/* h2.c */
int h2_init(struct egw_tunnel *t);
void h2_fini(struct egw_tunnel *t);
int h2_start(struct egw_tunnel *t, struct conn *c, const uint8_t *in, size_t n);
void h2_pump(struct egw_tunnel *t, struct conn *c);
void h2_answer(struct egw_tunnel *t, struct req *r);
void h2_mark(struct conn *c, struct req *r); /* R has work: run it in the next h2_pump() */
void h2_close(struct egw_tunnel *t, struct conn *c);

#endif
