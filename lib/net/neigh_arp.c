/* SPDX-License-Identifier: BSD-3-Clause */
/* ARP in and out: what the resolver accepts from the wire, and the frames it writes. */
#include <rte_arp.h>
#include <rte_byteorder.h>

#include "l3.h"
#include "neigh_internal.h"

static const struct rte_ether_addr bcast = { .addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
static const struct rte_ether_addr zero_mac;

void neigh_arp_request(struct egw_neigh_resolver *r, uint16_t port, uint32_t addr_be,
	const struct rte_ether_addr *dst_mac)
{
	const struct egw_neigh_port *np = &r->ports[port];
	struct rte_mbuf *m = rte_pktmbuf_alloc(r->p.pool);

	if (!m)
		return;
	/* A probe goes to the MAC in use (RFC 1122 2.3.2.1): a neighbour that kept its MAC
	 * answers without every host on the link hearing the question. */
	egw_arp_build(m, RTE_ARP_OP_REQUEST, dst_mac ? dst_mac : &bcast, &np->mac, np->addr_be,
		&zero_mac, addr_be);
	neigh_count(&r->stats.probes_sent);
	r->p.tx(r->p.ctx, m, port);
}

void egw_neigh_announce(struct egw_neigh_resolver *r)
{
	for (uint16_t port = 0; port < RTE_MAX_ETHPORTS; port++) {
		const struct egw_neigh_port *np = neigh_port(r, port);
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

static bool on_subnet(const struct egw_neigh_port *np, uint32_t addr_be)
{
	uint32_t mask = np->prefix_len ? ~0u << (32 - np->prefix_len) : 0;

	return ((rte_be_to_cpu_32(addr_be) ^ rte_be_to_cpu_32(np->addr_be)) & mask) == 0;
}

/* ADDR is one of our ports' addresses, or on the subnet of a port other than PORT. */
static bool belongs_elsewhere(const struct egw_neigh_resolver *r, uint16_t port, uint32_t addr_be)
{
	for (uint16_t p = 0; p < RTE_MAX_ETHPORTS; p++) {
		const struct egw_neigh_port *np = neigh_port(r, p);

		if (np && (np->addr_be == addr_be || (p != port && on_subnet(np, addr_be))))
			return true;
	}
	return false;
}

/*
 * Whether ARP from SHA/SIP received on PORT may teach anything. Not when it is meant for
 * another host (a flooding switch), has no sender (an RFC 5227 probe), or a sender that is not
 * on the port's subnet. A sender claiming one of our addresses, or one that lives behind another
 * port, is a spoofer or a miswired link: dropped as arp_spoofed, so it shows.
 */
static enum egw_drop_reason arp_check(const struct egw_neigh_resolver *r, uint16_t port,
	const struct rte_ether_hdr *eth, const struct rte_arp_hdr *arp)
{
	const struct egw_neigh_port *np = neigh_port(r, port);
	uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);
	uint32_t sip = arp->arp_data.arp_sip;

	if (!np || (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) ||
		(!rte_is_broadcast_ether_addr(&eth->dst_addr) &&
			!rte_is_same_ether_addr(&eth->dst_addr, &np->mac)))
		return EGW_DROP_ARP_HANDLED;
	if (sip == 0 || rte_is_multicast_ether_addr(&arp->arp_data.arp_sha))
		return EGW_DROP_ARP_HANDLED;
	if (belongs_elsewhere(r, port, sip))
		return EGW_DROP_ARP_SPOOFED;
	return on_subnet(np, sip) ? EGW_DROP_NONE : EGW_DROP_ARP_HANDLED;
}

/* A slot ARP may update: a neighbour with a state, or a configured next hop. A removed
 * neighbour is unknown again, like one never seen. */
static bool known(const struct egw_neigh_resolver *r, uint16_t slot)
{
	return slot != EGW_NEIGH_SLOT_NONE &&
	       (neigh_state(r, slot) != EGW_NEIGH_ST_NONE || r->slots[slot].nexthop);
}

void egw_neigh_arp_input(struct egw_neigh_resolver *r, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	const uint16_t port = m->port;
	enum egw_drop_reason why = arp_check(r, port, eth, arp);
	const struct egw_neigh_port *np = neigh_port(r, port);
	uint32_t sip = arp->arp_data.arp_sip, tip = arp->arp_data.arp_tip;
	struct rte_ether_addr sha = arp->arp_data.arp_sha;
	bool for_us, garp, confirmed;
	uint16_t slot;

	if (why != EGW_DROP_NONE) {
		neigh_drop(r, m, why);
		return;
	}
	for_us = arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) && tip == np->addr_be;
	garp = sip == tip;
	/* Only a unicast reply to us shows that the neighbour hears us (as in Linux). */
	confirmed = arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY) && !garp &&
		    rte_is_same_ether_addr(&eth->dst_addr, &np->mac);
	/* Whoever asks for us will talk to us: learn it now (as Linux does). Anything else
	 * only updates neighbours we track: unsolicited ARP must not plant entries. */
	slot = for_us ? egw_neigh_get_or_add(r->p.table, port, sip) :
			egw_neigh_find(r->p.table, port, sip);
	if (slot != EGW_NEIGH_SLOT_NONE && (for_us || known(r, slot)))
		neigh_learned(r, slot, &sha, confirmed, garp, neigh_now(r));
	if (!for_us) {
		neigh_drop(r, m, EGW_DROP_ARP_HANDLED);
		return;
	}
	egw_arp_build(m, RTE_ARP_OP_REPLY, &sha, &np->mac, np->addr_be, &sha, sip);
	r->p.tx(r->p.ctx, m, port);
}
