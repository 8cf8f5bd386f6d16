/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "common/log.h"
#include "l3.h"
#include "neigh_resolve.h"

#define ARP_RETRY_MS 1000    /* between requests of one resolution */
#define ARP_TRIES 3	     /* requests before giving up */
#define ARP_HOLDDOWN_MS 5000 /* after a failed resolution, before a new one may start */
#define HOLD_PER_NEIGHBOUR 4 /* packets waiting for one neighbour's MAC */

/* Packets waiting for one neighbour's ARP reply. */
struct held {
	struct rte_mbuf *pkts[HOLD_PER_NEIGHBOUR];
	uint8_t n;
};

struct egw_neigh_resolver {
	struct egw_neigh_params p;
	struct held *held; /* per neighbour slot */
	bool port_known[RTE_MAX_ETHPORTS];
	struct egw_neigh_port ports[RTE_MAX_ETHPORTS];
};

static const struct rte_ether_addr bcast = {.addr_bytes = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
static const struct rte_ether_addr zero_mac;

static uint64_t now_ms(const struct egw_neigh_resolver *r)
{
	return r->p.clock_ms(r->p.ctx);
}

static void drop(struct egw_neigh_resolver *r, struct rte_mbuf *m, enum egw_drop_reason reason)
{
	r->p.drops[reason]++;
	rte_pktmbuf_free(m);
}

struct egw_neigh_resolver *egw_neigh_resolver_create(const struct egw_neigh_params *p)
{
	struct egw_neigh_resolver *r;

	if (!p->table || !p->pool || !p->tx || !p->clock_ms || !p->drops) {
		rte_errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		rte_errno = ENOMEM;
		return NULL;
	}
	r->p = *p;
	r->held = calloc(p->table->cap, sizeof(*r->held));
	if (!r->held) {
		free(r);
		rte_errno = ENOMEM;
		return NULL;
	}
	return r;
}

void egw_neigh_resolver_free(struct egw_neigh_resolver *r)
{
	if (!r)
		return;
	free(r->held);
	r->held = NULL;
	free(r);
}

int egw_neigh_port_add(struct egw_neigh_resolver *r, uint16_t port, const struct egw_neigh_port *np)
{
	if (port >= RTE_MAX_ETHPORTS || np->prefix_len > 32)
		return -EINVAL;
	r->ports[port] = *np;
	r->port_known[port] = true;
	return 0;
}

static const struct egw_neigh_port *port_of(const struct egw_neigh_resolver *r, uint16_t port)
{
	return port < RTE_MAX_ETHPORTS && r->port_known[port] ? &r->ports[port] : NULL;
}

static bool on_subnet(const struct egw_neigh_port *np, uint32_t addr_be)
{
	uint32_t mask = np->prefix_len ? ~0u << (32 - np->prefix_len) : 0;

	return ((rte_be_to_cpu_32(addr_be) ^ rte_be_to_cpu_32(np->addr_be)) & mask) == 0;
}

/* Sends what waited for SLOT's MAC, now known. */
static void held_release(struct egw_neigh_resolver *r, uint16_t slot)
{
	struct held *h = &r->held[slot];
	struct rte_ether_addr mac;

	if (!egw_neigh_mac(r->p.table, slot, &mac))
		return;
	for (uint8_t i = 0; i < h->n; i++) {
		struct rte_mbuf *m = h->pkts[i];
		rte_ether_addr_copy(&mac, &rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr);
		r->p.tx(r->p.ctx, m, m->port);
	}
	h->n = 0;
}

static void held_drop(struct egw_neigh_resolver *r, uint16_t slot, enum egw_drop_reason reason)
{
	struct held *h = &r->held[slot];

	for (uint8_t i = 0; i < h->n; i++)
		drop(r, h->pkts[i], reason);
	h->n = 0;
}

static void arp_request(struct egw_neigh_resolver *r, uint16_t port, uint32_t target_be)
{
	const struct egw_neigh_port *np = &r->ports[port];
	struct rte_mbuf *m = rte_pktmbuf_alloc(r->p.pool);

	if (!m)
		return;
	egw_arp_build(m, RTE_ARP_OP_REQUEST, &bcast, &np->mac, np->addr_be, &zero_mac, target_be);
	r->p.tx(r->p.ctx, m, port);
}

/* Starts (or continues) resolving ADDR on PORT. */
static void resolve(struct egw_neigh_resolver *r, uint16_t port, uint32_t addr_be, uint64_t now)
{
	struct egw_neigh_table *nt = r->p.table;
	uint16_t slot = egw_neigh_get_or_add(nt, port, addr_be);
	struct egw_neigh_entry *e;

	if (slot == EGW_NEIGH_SLOT_NONE || !port_of(r, port))
		return;
	e = &nt->entries[slot];
	if ((e->mac_state & EGW_NEIGH_F_VALID) || e->pending)
		return;
	if ((e->mac_state & EGW_NEIGH_F_FAILED) && now - e->last_request < ARP_HOLDDOWN_MS)
		return;
	e->pending = 1;
	e->tries = 1;
	e->last_request = now;
	arp_request(r, port, addr_be);
}

void egw_neigh_hold(struct egw_neigh_resolver *r, struct rte_mbuf *m)
{
	uint64_t now = now_ms(r);
	uint16_t slot = egw_neigh_get_or_add(r->p.table, m->port, m->hash.usr);
	struct rte_ether_addr mac;
	struct held *h;

	if (slot == EGW_NEIGH_SLOT_NONE || !port_of(r, m->port)) {
		drop(r, m, EGW_DROP_NEIGH_UNRESOLVED);
		return;
	}
	resolve(r, m->port, m->hash.usr, now);
	h = &r->held[slot];
	if (egw_neigh_mac(r->p.table, slot, &mac)) {
		/* Resolved meanwhile (the ARP reply overtook this packet): send at once. */
		rte_ether_addr_copy(&mac, &rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr);
		r->p.tx(r->p.ctx, m, m->port);
	} else if (!r->p.table->entries[slot].pending || h->n == HOLD_PER_NEIGHBOUR) {
		/* Resolution failed recently (hold-down) or the queue is full. */
		drop(r, m, EGW_DROP_NEIGH_UNRESOLVED);
	} else {
		h->pkts[h->n++] = m;
	}
}

void egw_neigh_timers(struct egw_neigh_resolver *r)
{
	struct egw_neigh_table *nt = r->p.table;
	uint64_t now = now_ms(r);

	for (uint32_t i = 0; i < nt->n; i++) {
		struct egw_neigh_entry *e = &nt->entries[i];
		if (!e->pending || now - e->last_request < ARP_RETRY_MS)
			continue;
		if (e->tries >= ARP_TRIES) {
			EGW_WARN("no ARP reply from "
				 "%u.%u.%u.%u after %u tries",
				((uint8_t *)&e->addr)[0], ((uint8_t *)&e->addr)[1],
				((uint8_t *)&e->addr)[2], ((uint8_t *)&e->addr)[3], e->tries);
			egw_neigh_mark_failed(nt, (uint16_t)i);
			held_drop(r, (uint16_t)i, EGW_DROP_NEIGH_UNRESOLVED);
			continue;
		}
		e->tries++;
		e->last_request = now;
		arp_request(r, e->port, e->addr);
	}
}

void egw_neigh_arp_input(struct egw_neigh_resolver *r, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	const struct egw_neigh_port *np = port_of(r, m->port);
	uint16_t op = rte_be_to_cpu_16(arp->arp_opcode), port = m->port;
	uint32_t sip = arp->arp_data.arp_sip, tip = arp->arp_data.arp_tip;
	struct rte_ether_addr sha = arp->arp_data.arp_sha;
	struct egw_neigh_table *nt = r->p.table;
	uint64_t now = now_ms(r);
	uint16_t slot;

	if (!np || sip == 0 || !on_subnet(np, sip) || rte_is_multicast_ether_addr(&sha)) {
		drop(r, m, EGW_DROP_ARP_HANDLED);
		return;
	}
	if (op == RTE_ARP_OP_REQUEST && tip == np->addr_be) {
		/* Whoever asks for us will talk to us: learn it now (as Linux does). */
		slot = egw_neigh_get_or_add(nt, port, sip);
		if (slot != EGW_NEIGH_SLOT_NONE) {
			egw_neigh_set(nt, slot, &sha, false, now);
			held_release(r, slot);
		}
		egw_arp_build(m, RTE_ARP_OP_REPLY, &sha, &np->mac, np->addr_be, &sha, sip);
		r->p.tx(r->p.ctx, m, port);
		return;
	}
	/* Replies and gratuitous ARP only update neighbours we already track: an unsolicited
	 * reply must not plant an entry (ARP spoofing). */
	slot = egw_neigh_find(nt, port, sip);
	if (slot != EGW_NEIGH_SLOT_NONE) {
		egw_neigh_set(nt, slot, &sha, false, now);
		held_release(r, slot);
	}
	drop(r, m, EGW_DROP_ARP_HANDLED);
}

int egw_neigh_add_static(struct egw_neigh_resolver *r, uint16_t port, uint32_t addr_be,
	const struct rte_ether_addr *mac)
{
	uint16_t slot = egw_neigh_get_or_add(r->p.table, port, addr_be);

	if (slot == EGW_NEIGH_SLOT_NONE)
		return -ENOSPC;
	egw_neigh_set(r->p.table, slot, mac, true, now_ms(r));
	return 0;
}

void egw_neigh_add_nexthop(struct egw_neigh_resolver *r, uint16_t port, uint32_t addr_be)
{
	resolve(r, port, addr_be, now_ms(r));
}

void egw_neigh_announce(struct egw_neigh_resolver *r)
{
	for (uint16_t port = 0; port < RTE_MAX_ETHPORTS; port++) {
		const struct egw_neigh_port *np = port_of(r, port);
		struct rte_mbuf *m;

		if (!np)
			continue;
		m = rte_pktmbuf_alloc(r->p.pool);
		if (!m)
			continue;
		egw_arp_build(m, RTE_ARP_OP_REQUEST, &bcast, &np->mac, np->addr_be, &zero_mac,
			np->addr_be);
		r->p.tx(r->p.ctx, m, port);
	}
}

void egw_neigh_flush(struct egw_neigh_resolver *r, enum egw_drop_reason reason)
{
	for (uint32_t i = 0; i < r->p.table->n; i++)
		held_drop(r, (uint16_t)i, reason);
}
