/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/2 CONNECT (RFC 9113 8.5) with nghttp2: every CONNECT stream is one request with its own
 * upstream connection. Flow control is end to end: a stream's window is one relay buffer, and
 * the window is given back (nghttp2_session_consume) only for bytes written upstream, so a
 * client can never have more in flight than the buffer holds; the server's bytes go out as
 * DATA only as fast as the client's windows allow (the data source defers when it has none).
 * nghttp2 allocates through the engine's counted allocator.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tunnel_int.h"

#define ROUNDS_MAX 16
#define CONN_WINDOW (1 << 20)

static struct req *stream_req(struct conn *c, int32_t id)
{
	return nghttp2_session_get_stream_user_data(c->h2, id);
}

void h2_mark(struct conn *c, struct req *r)
{
	if (r->dirty)
		return;
	r->dirty = true;
	r->next_dirty = c->dirty;
	c->dirty = r;
}

static ssize_t data_source(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len,
	uint32_t *flags, nghttp2_data_source *src, void *ud)
{
	struct req *r = src->ptr;
	struct conn *c = ud;
	size_t n = buf_len(r->down) < len ? buf_len(r->down) : len;

	if (n) {
		memcpy(buf, r->down->data + r->down->head, n);
		r->down->head += (uint32_t)n;
		req_count_bytes(c->t, r, 0, n);
		h2_mark(c, r); /* room again: the upstream may be read */
	}
	if (buf_len(r->down) == 0) {
		if (r->down_eof) {
			*flags |= NGHTTP2_DATA_FLAG_EOF;
			r->down_shut = true;
		} else if (n == 0) {
			r->h2_deferred = true;
			return NGHTTP2_ERR_DEFERRED;
		}
	}
	return (ssize_t)n;
}

static int begin_headers(nghttp2_session *s, const nghttp2_frame *f, void *ud)
{
	struct conn *c = ud;
	struct egw_tunnel *t = c->t;
	struct req *r;

	if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	r = c->n_streams < t->conf.h2_max_streams ? tun_alloc(t, sizeof(*r)) : NULL;
	if (r)
		req_init(t, c, r);
	/* The window the client may fill before it hears from us needs a buffer now. */
	if (!r || !buf_get(t, &r->up, NULL)) {
		tun_free(t, r);
		STAT_ADD(t->st.h2_streams_refused, 1);
		nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, f->hd.stream_id,
			NGHTTP2_REFUSED_STREAM);
		return 0;
	}
	r->stream_id = f->hd.stream_id;
	r->next_h2 = c->streams;
	if (c->streams)
		c->streams->prev_h2 = r;
	c->streams = r;
	c->n_streams++;
	nghttp2_session_set_stream_user_data(s, r->stream_id, r);
	return 0;
}

static bool is(const uint8_t *p, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(p, lit, n) == 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name,
	size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *ud)
{
	struct conn *c = ud;
	struct req *r;
	char user[256], pass[256];

	if (f->hd.type != NGHTTP2_HEADERS || !(r = stream_req(c, f->hd.stream_id)) || r->started)
		return 0;
	if (is(name, namelen, ":method")) {
		r->h2_connect = is(value, valuelen, "CONNECT");
	} else if (is(name, namelen, ":authority")) {
		if (egw_tunnel_parse_authority((const char *)value, valuelen, &r->target) < 0)
			r->h2_bad = true;
	} else if (is(name, namelen, ":protocol")) {
		r->h2_bad = true; /* extended CONNECT (RFC 8441) is not served */
	} else if (is(name, namelen, "proxy-authorization")) {
		if (r->h2_auth_seen || !c->t->users ||
			egw_tunnel_basic_auth(value, (uint32_t)valuelen, user, pass) < 0)
			r->user = NULL; /* a second field, or a broken one, authenticates nobody */
		else
			r->user = egw_tunnel_users_check(c->t->users, user, pass);
		r->h2_auth_seen = true;
	}
	return 0;
}

static void refuse(struct egw_tunnel *t, struct req *r, enum egw_tunnel_result res, const char *why)
{
	r->result = (uint8_t)res;
	r->reason = why;
	conn_answer(t, r);
}

static int frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *ud)
{
	struct conn *c = ud;
	struct egw_tunnel *t = c->t;
	struct req *r = f->hd.stream_id ? stream_req(c, f->hd.stream_id) : NULL;

	if (!r)
		return 0;
	if (f->hd.flags & NGHTTP2_FLAG_END_STREAM) {
		r->up_eof = true;
		h2_mark(c, r);
	}
	if (f->hd.type != NGHTTP2_HEADERS || r->started || r->answered)
		return 0;
	if (!r->h2_connect)
		refuse(t, r, EGW_TUNNEL_R_BAD_REQUEST, "only CONNECT is served");
	else if (r->h2_bad || !r->target.port)
		refuse(t, r, EGW_TUNNEL_R_BAD_REQUEST, "the authority is not host:port");
	else if (t->users && !r->user)
		refuse(t, r, EGW_TUNNEL_R_AUTH_FAILED,
			r->h2_auth_seen ? "wrong user name or password" :
					  "authentication required");
	else
		req_start(t, r);
	return 0;
}

/*
 * A refusal has gone out (HEADERS with END_STREAM): the client's half of the stream is still
 * open, so close it (RFC 9113 8.1 allows RST_STREAM NO_ERROR after a complete response).
 * Submitted earlier, the reset could overtake the answer.
 */
static int frame_sent(nghttp2_session *s, const nghttp2_frame *f, void *ud)
{
	struct conn *c = ud;
	struct req *r;

	if (f->hd.type == NGHTTP2_HEADERS && (f->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
		(r = stream_req(c, f->hd.stream_id)) != NULL && r->answered &&
		r->result != EGW_TUNNEL_R_ALLOWED)
		nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, f->hd.stream_id, NGHTTP2_NO_ERROR);
	return 0;
}

static int data_chunk(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
	size_t len, void *ud)
{
	struct conn *c = ud;
	struct req *r = stream_req(c, id);

	if (!r)
		return 0;
	if (r->answered && r->result != EGW_TUNNEL_R_ALLOWED) {
		nghttp2_session_consume(s, id, len); /* refused: dropped */
		return 0;
	}
	/* The stream's window is the buffer: more than fits means a broken window. */
	if (!r->up || len > buf_room(r->up)) {
		nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_FLOW_CONTROL_ERROR);
		return 0;
	}
	memcpy(r->up->data + r->up->tail, data, len);
	r->up->tail += (uint32_t)len;
	h2_mark(c, r);
	return 0;
}

static int stream_close(nghttp2_session *s, int32_t id, uint32_t code, void *ud)
{
	struct conn *c = ud;
	struct req *r = stream_req(c, id);

	if (!r)
		return 0;
	nghttp2_session_set_stream_user_data(s, id, NULL);
	/* Bytes the client sent that will never be written still hold connection window. */
	if (buf_len(r->up))
		nghttp2_session_consume_connection(s, buf_len(r->up));
	req_finish(c->t, r);
	if (r->dirty) /* it is freed at the end of this turn: out of the work list now */
		for (struct req **pp = &c->dirty; *pp; pp = &(*pp)->next_dirty)
			if (*pp == r) {
				*pp = r->next_dirty;
				break;
			}
	if (r->prev_h2)
		r->prev_h2->next_h2 = r->next_h2;
	else
		c->streams = r->next_h2;
	if (r->next_h2)
		r->next_h2->prev_h2 = r->prev_h2;
	c->n_streams--;
	req_free(c->t, r);
	return 0;
}

static void *m_malloc(size_t n, void *ud)
{
	return tun_alloc(ud, n);
}

static void m_free(void *p, void *ud)
{
	tun_free(ud, p);
}

static void *m_calloc(size_t k, size_t n, void *ud)
{
	return n && k > SIZE_MAX / n ? NULL : tun_alloc(ud, k * n);
}

static void *m_realloc(void *p, size_t n, void *ud)
{
	void *q;

	if (!p)
		return tun_alloc(ud, n);
	q = tun_alloc(ud, n);
	if (!q)
		return NULL;
	memcpy(q, p, tun_alloc_size(p) < n ? tun_alloc_size(p) : n);
	tun_free(ud, p);
	return q;
}

int h2_init(struct egw_tunnel *t)
{
	nghttp2_session_callbacks *cb;

	if (nghttp2_session_callbacks_new(&cb) != 0 || nghttp2_option_new(&t->h2_opt) != 0)
		return -ENOMEM;
	t->h2_cbs = cb;
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb, begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, frame_recv);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, data_chunk);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, stream_close);
	nghttp2_session_callbacks_set_on_frame_send_callback(cb, frame_sent);
	nghttp2_option_set_no_auto_window_update(t->h2_opt, 1);
	nghttp2_option_set_max_outbound_ack(t->h2_opt, 1000);
	nghttp2_option_set_max_settings(t->h2_opt, 32);
	nghttp2_option_set_max_deflate_dynamic_table_size(t->h2_opt, 4096);
	t->h2_mem = (nghttp2_mem){ .mem_user_data = t,
		.malloc = m_malloc,
		.free = m_free,
		.calloc = m_calloc,
		.realloc = m_realloc };
	return 0;
}

void h2_fini(struct egw_tunnel *t)
{
	nghttp2_session_callbacks_del(t->h2_cbs);
	nghttp2_option_del(t->h2_opt);
}

int h2_start(struct egw_tunnel *t, struct conn *c, const uint8_t *in, size_t n)
{
	nghttp2_settings_entry iv[] = {
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, t->conf.h2_max_streams },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, EGW_TUNNEL_BUF_SIZE },
		{ NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, 8192 },
	};

	if (nghttp2_session_server_new3(&c->h2, t->h2_cbs, c, t->h2_opt, &t->h2_mem) != 0)
		return -ENOMEM;
	if (nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, ARRAY_N(iv)) != 0 ||
		nghttp2_session_set_local_window_size(c->h2, NGHTTP2_FLAG_NONE, 0, CONN_WINDOW) !=
			0)
		return -ENOMEM;
	c->state = C_H2;
	timer_arm(t, &c->timer, T_IDLE);
	if (n && nghttp2_session_mem_recv(c->h2, in, n) < 0)
		return -EPROTO;
	tun_ready(t, c);
	return 0;
}

void h2_answer(struct egw_tunnel *t, struct req *r)
{
	struct conn *c = r->c;
	uint16_t status = egw_tunnel_result_http(r->result);
	char code[8], detail[EGW_TUNNEL_REASON_MAX + 64];
	nghttp2_nv nva[3];
	size_t n = 0;
	nghttp2_data_provider prd = { .source.ptr = r, .read_callback = data_source };

#define NV(k, v)                                                                                   \
	nva[n++] = (nghttp2_nv){ (uint8_t *)(k), (uint8_t *)(v), strlen(k), strlen(v),             \
		NGHTTP2_NV_FLAG_NO_COPY_NAME }
	snprintf(code, sizeof(code), "%u", status);
	NV(":status", code);
	if (c->dead)
		return;
	if (status == 200) {
		nghttp2_submit_response(c->h2, r->stream_id, nva, n, &prd);
		h2_mark(c, r);
	} else {
		/* RFC 9209 Proxy-Status carries the reason; the response ends the stream. */
		snprintf(detail, sizeof(detail), "egressgw; error=%s; details=\"%s\"",
			egw_tunnel_result_name(r->result), r->reason ? r->reason : "");
		NV("proxy-status", detail);
		if (status == 407)
			NV("proxy-authenticate", "Basic realm=\"egressgw\"");
		nghttp2_submit_response(c->h2, r->stream_id, nva, n,
			NULL); /* frame_sent() resets */
	}
#undef NV
	tun_ready(t, c);
}

/* The streams that have something to do: upstream I/O, resumed DATA, errors. */
static bool run_streams(struct egw_tunnel *t, struct conn *c)
{
	bool any = false;
	struct req *r;

	while ((r = c->dirty) != NULL) {
		int moved;

		c->dirty = r->next_dirty;
		r->dirty = false;
		if (r->finished || !r->relaying)
			continue;
		while ((moved = upstream_pump(t, r)) > 0)
			any = true;
		if (moved < 0) {
			nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, r->stream_id,
				NGHTTP2_CONNECT_ERROR);
			continue;
		}
		if (r->h2_deferred && (buf_len(r->down) || r->down_eof)) {
			r->h2_deferred = false;
			nghttp2_session_resume_data(c->h2, r->stream_id);
		}
		if (!buf_len(r->down) && !r->down_eof)
			buf_put(t, &r->down);
		timer_arm(t, &r->timer, T_IDLE);
	}
	return any;
}

/* Hands nghttp2's output to the client; false on a write error. */
static bool flush(struct conn *c)
{
	for (;;) {
		ssize_t n;

		if (!c->h2_out_len) {
			n = nghttp2_session_mem_send(c->h2, &c->h2_out);
			if (n < 0)
				return false;
			if (n == 0)
				return true;
			c->h2_out_len = (size_t)n;
		}
		if (!cio_can_write(c))
			return true;
		n = cio_write(c, c->h2_out, c->h2_out_len);
		if (n == -EAGAIN)
			return true;
		if (n <= 0)
			return false;
		c->h2_out += n;
		c->h2_out_len -= (size_t)n;
	}
}

void h2_pump(struct egw_tunnel *t, struct conn *c)
{
	bool any = false;

	for (int round = 0; round < ROUNDS_MAX; round++) {
		bool moved = false;

		/* Read only while our output drains: a client that does not read cannot make
		 * us queue answers (PING, SETTINGS) without bound. */
		if (!c->h2_out_len && cio_can_read(c)) {
			ssize_t n = cio_read(c, t->scratch, sizeof(t->scratch));

			if (n == 0 || (n < 0 && n != -EAGAIN))
				return conn_close(t, c);
			if (n > 0) {
				if (nghttp2_session_mem_recv(c->h2, t->scratch, (size_t)n) < 0)
					return conn_close(t, c);
				moved = true;
			}
		}
		moved |= run_streams(t, c);
		if (!flush(c))
			return conn_close(t, c);
		if (!moved)
			break;
		any = true;
		if (round == ROUNDS_MAX - 1)
			tun_ready(t, c);
	}
	if (!nghttp2_session_want_read(c->h2) && !nghttp2_session_want_write(c->h2) &&
		!c->h2_out_len)
		return conn_close(t, c);
	if (any || c->n_streams)
		timer_arm(t, &c->timer, T_IDLE);
}

/* The client connection ends: every stream's request ends with it. */
void h2_close(struct egw_tunnel *t, struct conn *c)
{
	struct req *r, *next;

	for (r = c->streams; r; r = next) {
		next = r->next_h2;
		req_finish(t, r);
		req_free(t, r);
	}
	c->streams = NULL;
	c->n_streams = 0;
	c->dirty = NULL;
	nghttp2_session_del(c->h2);
	c->h2 = NULL;
}
