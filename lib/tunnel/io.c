/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Relay buffers and non-blocking reads and writes. Sockets are registered once, edge-triggered;
 * struct io remembers what epoll said until a call returns EAGAIN, so the pumps call read()
 * and write() only when they can make progress and never re-register interest.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "tunnel_int.h"

_Static_assert(sizeof(struct buf) == 65536, "a relay buffer is 16 pages");

/*
 * Buffers are mapped one by one, not taken from the heap: freed, they go back to the system at
 * once instead of leaving holes between connections (after a burst of 1000 clients the heap
 * would keep tens of MiB), and pages a buffer never filled are never resident.
 */
struct buf *buf_alloc(struct egw_tunnel *t)
{
	void *p = mmap(NULL, sizeof(struct buf), PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	STAT_ADD(t->st.memory_bytes, sizeof(struct buf));
	return p;
}

void buf_release(struct egw_tunnel *t, struct buf *b)
{
	munmap(b, sizeof(*b));
	STAT_SUB(t->st.memory_bytes, sizeof(struct buf));
}

/*
 * Makes sure *B is a buffer (taking one when it is NULL). False when every buffer is in use:
 * WAITER (if any) is pumped again when one is returned.
 */
bool buf_get(struct egw_tunnel *t, struct buf **b, struct conn *waiter)
{
	struct buf *n = t->free_bufs;

	if (*b)
		return true;
	if (n) {
		t->free_bufs = n->next;
	} else if (t->n_bufs < t->conf.max_buffers) {
		n = buf_alloc(t);
		if (!n)
			return false;
		t->n_bufs++;
	} else {
		STAT_ADD(t->st.buffer_waits, 1);
		if (waiter && !waiter->waiting_buf) {
			waiter->waiting_buf = true;
			waiter->next_wait = NULL;
			if (t->wait_tail)
				t->wait_tail->next_wait = waiter;
			else
				t->wait_head = waiter;
			t->wait_tail = waiter;
		}
		return false;
	}
	n->head = n->tail = 0;
	*b = n;
	STAT_ADD(t->st.buffers_in_use, 1);
	return true;
}

/* Returns *B (when it is not NULL) and wakes the longest waiter. */
void buf_put(struct egw_tunnel *t, struct buf **b)
{
	struct conn *w;

	if (!*b)
		return;
	if (t->n_bufs - t->st.buffers_in_use >= BUF_SPARE) {
		/* After a burst the memory goes back, but for a few kept at hand. */
		buf_release(t, *b);
		t->n_bufs--;
	} else {
		(*b)->next = t->free_bufs;
		t->free_bufs = *b;
	}
	*b = NULL;
	STAT_SUB(t->st.buffers_in_use, 1);
	while ((w = t->wait_head) != NULL) {
		t->wait_head = w->next_wait;
		if (!t->wait_head)
			t->wait_tail = NULL;
		w->waiting_buf = false;
		if (!w->dead) {
			tun_ready(t, w);
			break;
		}
	}
}

/* Free space at the tail, moving the data to the front first when that makes room. */
uint32_t buf_room(struct buf *b)
{
	if (b->head == b->tail) {
		b->head = b->tail = 0;
	} else if (b->head > 0 && b->tail == EGW_TUNNEL_BUF_SIZE) {
		memmove(b->data, b->data + b->head, b->tail - b->head);
		b->tail -= b->head;
		b->head = 0;
	}
	return EGW_TUNNEL_BUF_SIZE - b->tail;
}

void io_event(struct io *io, uint32_t events)
{
	/* An error or hang-up is found out by the next read or write. */
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		io->can_read = true;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		io->can_write = true;
}

ssize_t io_read(struct io *io, void *p, size_t n)
{
	ssize_t r;

	do
		r = read(io->fd, p, n);
	while (r < 0 && errno == EINTR);
	if (r >= 0)
		return r;
	if (errno == EAGAIN) {
		io->can_read = false;
		return -EAGAIN;
	}
	return -errno;
}

ssize_t io_write(struct io *io, const void *p, size_t n)
{
	ssize_t r;

	do
		r = send(io->fd, p, n, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r >= 0)
		return r;
	if (errno == EAGAIN) {
		io->can_write = false;
		return -EAGAIN;
	}
	return -errno;
}

bool cio_can_read(const struct conn *c)
{
	if (c->ssl && SSL_has_pending(c->ssl))
		return true;
	return c->io.rd_wants_out ? c->io.can_write : c->io.can_read;
}

bool cio_can_write(const struct conn *c)
{
	return c->io.wr_wants_in ? c->io.can_read : c->io.can_write;
}

/* An SSL_ERROR_* after a read or write, as -EAGAIN (noting what it waits for) or -errno. */
static ssize_t tls_err(struct conn *c, int ret, bool *wants_other)
{
	switch (SSL_get_error(c->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		c->io.can_read = false;
		*wants_other = false;
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		c->io.can_write = false;
		*wants_other = true;
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default:
		ERR_clear_error();
		return -EIO;
	}
}

ssize_t cio_read(struct conn *c, void *p, size_t n)
{
	size_t got;
	int ret;

	if (!c->ssl)
		return io_read(&c->io, p, n);
	ret = SSL_read_ex(c->ssl, p, n, &got);
	if (ret == 1) {
		c->io.rd_wants_out = false;
		return (ssize_t)got;
	}
	return tls_err(c, ret, &c->io.rd_wants_out);
}

ssize_t cio_write(struct conn *c, const void *p, size_t n)
{
	size_t put;
	int ret;
	bool wants_out = false;
	ssize_t e;

	if (!c->ssl)
		return io_write(&c->io, p, n);
	ret = SSL_write_ex(c->ssl, p, n, &put);
	if (ret == 1) {
		c->io.wr_wants_in = false;
		return (ssize_t)put;
	}
	e = tls_err(c, ret, &wants_out);
	/* tls_err() answers "wants the other direction" from a reader's view. */
	c->io.wr_wants_in = !wants_out;
	return e == 0 ? -EPIPE : e;
}

/* No more bytes to the client: TLS close_notify, then a TCP half-close. */
void cio_shutdown(struct conn *c)
{
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
	shutdown(c->io.fd, SHUT_WR);
}
