/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Deadlines: one FIFO list per duration (handshake, connect, idle, linger). Every node of a
 * list is armed with "now + the list's duration", so appending keeps the list sorted: arming,
 * re-arming and stopping are O(1), and expiry only ever looks at the heads.
 */
#include "tunnel_int.h"

void timer_init(struct tlist *l, uint32_t ms)
{
	l->head.prev = l->head.next = &l->head;
	l->ms = ms;
}

void timer_stop(struct tnode *n)
{
	if (!n->next)
		return;
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = NULL;
}

void timer_arm(struct egw_tunnel *t, struct tnode *n, enum tkind k)
{
	struct tlist *l = &t->timers[k];

	timer_stop(n);
	n->deadline = t->now + l->ms;
	n->prev = l->head.prev;
	n->next = &l->head;
	l->head.prev->next = n;
	l->head.prev = n;
}

/* The first node of list K whose deadline has passed (unlinked), or NULL. */
struct tnode *timer_expired(struct egw_tunnel *t, enum tkind k)
{
	struct tnode *n = t->timers[k].head.next;

	if (n == &t->timers[k].head || n->deadline > t->now)
		return NULL;
	timer_stop(n);
	return n;
}

/* Milliseconds until the nearest deadline, -1 when none is armed. */
int timer_next_ms(struct egw_tunnel *t)
{
	int best = -1;

	for (int k = 0; k < T_N; k++) {
		struct tnode *n = t->timers[k].head.next;
		int ms;

		if (n == &t->timers[k].head)
			continue;
		ms = n->deadline > t->now ? (int)(n->deadline - t->now) : 0;
		if (best < 0 || ms < best)
			best = ms;
	}
	return best;
}
