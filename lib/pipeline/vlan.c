/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * 802.1Q ports: one device carrying several logical ports, one per VLAN (and at most one for
 * its untagged frames). The frames of such a device are sorted right after they are received:
 * the tag (in the frame, or already taken off by the driver into mbuf->vlan_tci) names the
 * logical port, which becomes mbuf->port, and the frame goes on untagged, like a frame of a
 * port of its own. On the way out egw_pl_vlan_tag puts the exit port's tag back. Devices
 * without VLAN ports never come here; their tagged frames are dropped by the parser
 * (vlan_unknown), and so are frames whose tag their driver took off.
 */
#include "pipeline_internal.h"

/* The logical port of VID on VM, or EGW_VLAN_PORT_NONE. */
static inline uint16_t vlan_port(const struct egw_vlan_map *vm, uint16_t vid)
{
	for (unsigned i = 0; i < vm->n; i++)
		if (vm->vid[i] == vid)
			return vm->port[i];
	return EGW_VLAN_PORT_NONE;
}

/*
 * Takes M's tag off: the port of its VLAN on VM (its untagged port for an untagged or
 * priority-tagged frame, VLAN 0), or EGW_VLAN_PORT_NONE with *WHY set.
 */
static uint16_t vlan_take(const struct egw_vlan_map *vm, struct rte_mbuf *m,
	enum egw_drop_reason *why)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint16_t vid = 0;

	*why = EGW_DROP_VLAN_UNKNOWN;
	if (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) {
		vid = m->vlan_tci & 0xfff;
		if (m->data_len >= sizeof(*eth) && egw_pkt_is_vlan_type(eth->ether_type)) {
			*why = EGW_DROP_VLAN_QINQ; /* the driver took the outer of two tags */
			return EGW_VLAN_PORT_NONE;
		}
	} else if (m->data_len >= sizeof(*eth) && egw_pkt_is_vlan_type(eth->ether_type)) {
		*why = egw_pkt_vlan_reason(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len);
		if (*why == EGW_DROP_VLAN_QINQ ||
			m->data_len < sizeof(*eth) + sizeof(struct rte_vlan_hdr))
			return EGW_VLAN_PORT_NONE;
		rte_vlan_strip(m);
		vid = m->vlan_tci & 0xfff;
		*why = EGW_DROP_VLAN_UNKNOWN;
	}
	m->ol_flags &= ~(RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED);
	return vid ? vlan_port(vm, vid) : vm->untagged;
}

uint16_t egw_pl_vlan_rx(struct egw_worker *w, uint16_t dev, struct rte_mbuf **pkts, uint16_t n)
{
	const struct egw_vlan_map *vm = &w->dp->vlan[dev];
	enum egw_drop_reason why;
	uint16_t kept = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint16_t port = vlan_take(vm, m, &why);

		if (unlikely(port == EGW_VLAN_PORT_NONE)) {
			/* Received all the same: the totals of rx, forwarded and drops add up. */
			w->stats.rx_packets++;
			w->stats.rx_bytes += m->pkt_len;
			egw_drop(&w->stats, m, why);
			continue;
		}
		m->port = port;
		pkts[kept++] = m;
	}
	return kept;
}

uint16_t egw_pl_vlan_tag(struct egw_worker *w, uint16_t vlan, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t kept = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		m->vlan_tci = vlan;
		/* Only a shared or indirect mbuf is refused: the pipeline sends neither. */
		if (unlikely(rte_vlan_insert(&m) < 0)) {
			egw_drop(&w->stats, m, EGW_DROP_VLAN_TAG_FAILED);
			continue;
		}
		pkts[kept++] = m;
	}
	return kept;
}
