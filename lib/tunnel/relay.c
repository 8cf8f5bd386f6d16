/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Moving bytes: client -> buffer -> upstream and upstream -> buffer -> client. A buffer is
 * taken when a read is possible and given back as soon as it is empty, so an idle tunnel holds
 * none. EOF on one side becomes a half-close on the other once the buffer is drained.
 */
#include <errno.h>
#include <sys/socket.h>

#include "tunnel_int.h"

#define ROUNDS_MAX 16 /* per pump, so that one busy tunnel cannot starve the others */

/*
 * The upstream half, shared by HTTP/1.1, SOCKS5 and HTTP/2 streams: the client-to-server
 * buffer into the socket, the socket into the server-to-client buffer. 1 when something
 * moved, 0 when nothing could, -errno on a socket error.
 */
int upstream_pump(struct egw_tunnel *t, struct req *r)
{
	int moved = 0;
	ssize_t n;

	if (buf_len(r->up) && r->u.can_write) {
		n = io_write(&r->u, r->up->data + r->up->head, buf_len(r->up));
		if (n > 0) {
			r->up->head += (uint32_t)n;
			req_count_bytes(t, r, (uint64_t)n, 0);
			if (r->stream_id)
				nghttp2_session_consume(r->c->h2, r->stream_id, (size_t)n);
			moved = 1;
		} else if (n != -EAGAIN) {
			return (int)n;
		}
	}
	if (r->up_eof && !r->up_shut && !buf_len(r->up)) {
		shutdown(r->u.fd, SHUT_WR);
		r->up_shut = true;
		moved = 1;
	}
	if (!r->down_eof && r->u.can_read && buf_get(t, &r->down, r->c) && buf_room(r->down)) {
		n = io_read(&r->u, r->down->data + r->down->tail, buf_room(r->down));
		if (n > 0) {
			r->down->tail += (uint32_t)n;
			moved = 1;
		} else if (n == 0) {
			r->down_eof = true;
			moved = 1;
		} else if (n != -EAGAIN) {
			return (int)n;
		}
	}
	return moved;
}

void relay_pump(struct egw_tunnel *t, struct conn *c)
{
	struct req *r = &c->r;
	bool any = false;
	int round;

	for (round = 0; round < ROUNDS_MAX; round++) {
		int moved = 0;
		ssize_t n;

		if (!r->up_eof && cio_can_read(c) && buf_get(t, &r->up, c) && buf_room(r->up)) {
			n = cio_read(c, r->up->data + r->up->tail, buf_room(r->up));
			if (n > 0)
				r->up->tail += (uint32_t)n;
			else if (n == 0)
				r->up_eof = true;
			else if (n != -EAGAIN)
				return conn_close(t, c);
			moved = n != -EAGAIN;
		}
		n = upstream_pump(t, r);
		if (n < 0)
			return conn_close(t, c);
		moved |= (int)n;
		if (buf_len(r->down) && cio_can_write(c)) {
			n = cio_write(c, r->down->data + r->down->head, buf_len(r->down));
			if (n > 0) {
				r->down->head += (uint32_t)n;
				req_count_bytes(t, r, 0, (uint64_t)n);
				moved = 1;
			} else if (n != -EAGAIN) {
				return conn_close(t, c);
			}
		}
		if (r->down_eof && !r->down_shut && !buf_len(r->down)) {
			cio_shutdown(c);
			r->down_shut = true;
			moved = 1;
		}
		if (!moved)
			break;
		any = true;
	}
	if (r->up_shut && r->down_shut)
		return conn_close(t, c);
	if (round == ROUNDS_MAX)
		tun_ready(t, c); /* more to move: after the others had their turn */
	if (any)
		timer_arm(t, &r->timer, T_IDLE);
	if (!buf_len(r->up))
		buf_put(t, &r->up);
	if (!buf_len(r->down))
		buf_put(t, &r->down);
}
