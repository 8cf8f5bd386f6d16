/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Requested names, resolved with c-ares inside the event loop: its sockets join the epoll set
 * (level-triggered, as c-ares expects), its timeouts bound the loop's wait. Only the configured
 * resolvers are asked, never /etc/hosts, and names are not extended with search domains: the
 * policy judged the name as the client gave it. A lookup holds a slot, not the request: a
 * request that goes away (its client closed) clears its slot and the answer is dropped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/epoll.h>

#include "conf/conf.h"
#include "tunnel_int.h"

static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct egw_tunnel *t = data;
	struct epoll_event ev = { .events = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0),
		.data.u64 = (uint64_t)fd << 1 | 1 };

	if (!readable && !writable) {
		epoll_ctl(t->ep, EPOLL_CTL_DEL, fd, NULL);
		return;
	}
	if (epoll_ctl(t->ep, EPOLL_CTL_MOD, fd, &ev) < 0 && errno == ENOENT)
		epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev);
}

int resolve_init(struct egw_tunnel *t, struct egw_conf_errors *errs)
{
	struct ares_addr_port_node nodes[EGW_TUNNEL_RESOLVERS_MAX];
	char lookups[] = "b";
	struct ares_options o = {
		.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES,
		.timeout = (int)t->conf.resolve_ms,
		.tries = 2,
		.ndots = 1,
		.ndomains = 0,
		.lookups = lookups,
		.sock_state_cb = sock_state,
		.sock_state_cb_data = t,
	};
	int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_NDOTS |
		   ARES_OPT_DOMAINS | ARES_OPT_LOOKUPS | ARES_OPT_SOCK_STATE_CB,
	    ret;

	ret = ares_library_init(ARES_LIB_INIT_ALL);
	if (ret == ARES_SUCCESS)
		ret = ares_init_options(&t->ares, &o, mask);
	if (ret != ARES_SUCCESS) {
		egw_conf_errors_add(errs, "tunnel", 0, "c-ares: %s", ares_strerror(ret));
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < t->conf.n_resolvers; i++) {
		memset(&nodes[i], 0, sizeof(nodes[i]));
		nodes[i].next = i + 1 < t->conf.n_resolvers ? &nodes[i + 1] : NULL;
		nodes[i].family = AF_INET;
		nodes[i].addr.addr4.s_addr = htonl(t->conf.resolvers[i].addr);
		nodes[i].udp_port = nodes[i].tcp_port = t->conf.resolvers[i].port;
	}
	if (t->conf.n_resolvers > 0 &&
		(ret = ares_set_servers_ports(t->ares, nodes)) != ARES_SUCCESS) {
		egw_conf_errors_add(errs, "tunnel", 0, "resolvers: %s", ares_strerror(ret));
		return -EINVAL;
	}
	for (int32_t i = 0; i < RESOLVE_SLOTS; i++) {
		t->slots[i].t = t;
		t->slots[i].next_free = i + 1 < RESOLVE_SLOTS ? i + 1 : -1;
	}
	t->free_slot = 0;
	return 0;
}

void resolve_fini(struct egw_tunnel *t)
{
	if (t->ares)
		ares_destroy(t->ares); /* pending callbacks run with ARES_EDESTRUCTION */
	t->ares = NULL;
	ares_library_cleanup();
}

static void answer(void *arg, int status, int timeouts, struct hostent *h)
{
	struct resolve_slot *s = arg;
	struct egw_tunnel *t = s->t;
	int32_t idx = (int32_t)(s - t->slots);
	struct req *r = s->r;
	uint32_t addrs[ADDRS_MAX], n = 0;

	s->r = NULL;
	s->next_free = t->free_slot;
	t->free_slot = idx;
	STAT_SUB(t->st.resolves_current, 1);
	if (!r)
		return;
	r->resolve_slot = -1;
	if (status == ARES_SUCCESS && h && h->h_addrtype == AF_INET && h->h_length == 4)
		for (char **a = h->h_addr_list; *a && n < ADDRS_MAX; a++) {
			uint32_t v;

			memcpy(&v, *a, 4);
			addrs[n++] = ntohl(v);
		}
	req_resolved(t, r,
		status == ARES_SUCCESS && n ? 0 :
		status == ARES_ETIMEOUT	    ? -ETIMEDOUT :
					      -ENOENT,
		addrs, n);
}

int resolve_start(struct egw_tunnel *t, struct req *r)
{
	int32_t i = t->free_slot;

	if (i < 0)
		return -EBUSY;
	t->free_slot = t->slots[i].next_free;
	t->slots[i].r = r;
	r->resolve_slot = i;
	STAT_ADD(t->st.resolves_current, 1);
	ares_gethostbyname(t->ares, r->target.host, AF_INET, answer, &t->slots[i]);
	return 0;
}

void resolve_cancel(struct egw_tunnel *t, struct req *r)
{
	if (r->resolve_slot >= 0)
		t->slots[r->resolve_slot].r = NULL;
	r->resolve_slot = -1;
}

void resolve_event(struct egw_tunnel *t, int fd, uint32_t events)
{
	ares_process_fd(t->ares, events & (EPOLLIN | EPOLLERR | EPOLLHUP) ? fd : ARES_SOCKET_BAD,
		events & EPOLLOUT ? fd : ARES_SOCKET_BAD);
}

void resolve_timeouts(struct egw_tunnel *t)
{
	ares_process_fd(t->ares, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

int resolve_next_ms(struct egw_tunnel *t)
{
	struct timeval max = { .tv_sec = 3600 }, tv, *p = ares_timeout(t->ares, &max, &tv);

	if (!p || t->st.resolves_current == 0)
		return -1;
	return (int)(p->tv_sec * 1000 + (p->tv_usec + 999) / 1000);
}
