/* SPDX-License-Identifier: BSD-3-Clause */
#include <netinet/in.h>
#include <string.h>

#include "pkt/csum.h"
#include "translate.h"

/* Offsets of the checksum field in each L4 header. */
#define TCP_CSUM_OFF 16
#define UDP_CSUM_OFF 6
#define ICMP_CSUM_OFF 2
#define ICMP_ID_OFF 4
#define IP_CSUM_OFF 10

static inline uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/*
 * Replaces the address at IP + ADDR_OFF and the port (or ICMP id) of the L4 header at L4 with
 * NEW_ADDR / NEW_PORT, fixing the IP header checksum and the L4 checksum. PORT_OFF is the
 * port's offset in the L4 header (0 source, 2 destination; ICMP: the id at 4). L4_CSUM_OK:
 * the L4 checksum field is inside the available bytes.
 */
static inline void rewrite(uint8_t *ip, unsigned addr_off, uint8_t *l4, uint8_t proto,
	unsigned port_off, uint32_t new_addr, uint16_t new_port, bool l4_csum_ok)
{
	uint32_t old_addr = rd32(ip + addr_off);
	uint16_t old_port;

	wr16(ip + IP_CSUM_OFF, egw_csum_update32(rd16(ip + IP_CSUM_OFF), old_addr, new_addr));
	wr32(ip + addr_off, new_addr);
	switch (proto) {
	case IPPROTO_TCP:
		old_port = rd16(l4 + port_off);
		wr16(l4 + port_off, new_port);
		if (l4_csum_ok) {
			uint16_t c = egw_csum_update32(rd16(l4 + TCP_CSUM_OFF), old_addr, new_addr);
			wr16(l4 + TCP_CSUM_OFF, egw_csum_update16(c, old_port, new_port));
		}
		break;
	case IPPROTO_UDP:
		old_port = rd16(l4 + port_off);
		wr16(l4 + port_off, new_port);
		if (l4_csum_ok) {
			uint16_t c =
				egw_csum_update32_udp(rd16(l4 + UDP_CSUM_OFF), old_addr, new_addr);
			wr16(l4 + UDP_CSUM_OFF, egw_csum_update16_udp(c, old_port, new_port));
		}
		break;
	case IPPROTO_ICMP:
		/* The ICMP checksum has no pseudo-header: only the identifier counts. */
		old_port = rd16(l4 + ICMP_ID_OFF);
		wr16(l4 + ICMP_ID_OFF, new_port);
		if (l4_csum_ok)
			wr16(l4 + ICMP_CSUM_OFF,
				egw_csum_update16(rd16(l4 + ICMP_CSUM_OFF), old_port, new_port));
		break;
	default:
		break;
	}
}

void egw_translate_icmp(struct rte_mbuf *m, const struct egw_pkt_meta *meta,
	const struct egw_flow *f, unsigned dir)
{
	uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *ip = data + meta->l3_off, *l4 = data + meta->l4_off;

	if (dir == EGW_DIR_ORIG)
		rewrite(ip, 12, l4, meta->proto, 0, f->nat_addr, f->nat_port, true);
	else
		rewrite(ip, 16, l4, meta->proto, 2, f->orig.a_addr, f->orig.a_port, true);
	/*
	 * ICMP has no pseudo-header, so a message can be all zeros (echo reply, id 0, seq 0, no
	 * data): its checksum is 0xffff, but the incremental update yields the other zero, 0x0000,
	 * which receivers reject. 0x0000 is otherwise a legal result, so settle it by recomputing
	 * (one packet in 65536 on average).
	 */
	if (meta->proto == IPPROTO_ICMP && meta->frag == EGW_PKT_FRAG_NONE &&
		rd16(l4 + ICMP_CSUM_OFF) == 0)
		wr16(l4 + ICMP_CSUM_OFF, egw_csum_full(l4, meta->l4_len));
}

void egw_translate_icmp_error(struct rte_mbuf *m, const struct egw_pkt_meta *meta,
	const struct egw_flow *f, unsigned dir)
{
	uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *ip = data + meta->l3_off;
	uint8_t *icmp = data + meta->l4_off;
	uint8_t *in_ip = data + meta->inner_l3_off, *in_l4 = data + meta->inner_l4_off;
	/* The quoted header's checksum field may lie past the quote (TCP: byte 16). */
	unsigned csum_off = meta->inner_proto == IPPROTO_TCP ? TCP_CSUM_OFF :
			    meta->inner_proto == IPPROTO_UDP ? UDP_CSUM_OFF :
							       ICMP_CSUM_OFF;
	bool in_csum_ok = meta->inner_l4_len >= csum_off + 2;
	uint16_t c;

	if (dir == EGW_DIR_REPLY) {
		/* From outside: outer destination and quoted source were our egress tuple. */
		wr16(ip + IP_CSUM_OFF,
			egw_csum_update32(rd16(ip + IP_CSUM_OFF), rd32(ip + 16), f->orig.a_addr));
		wr32(ip + 16, f->orig.a_addr);
		rewrite(in_ip, 12, in_l4, meta->inner_proto, 0, f->orig.a_addr, f->orig.a_port,
			in_csum_ok);
	} else {
		/* From inside: outer source and quoted destination were the inside host. */
		wr16(ip + IP_CSUM_OFF,
			egw_csum_update32(rd16(ip + IP_CSUM_OFF), rd32(ip + 12), f->nat_addr));
		wr32(ip + 12, f->nat_addr);
		rewrite(in_ip, 16, in_l4, meta->inner_proto, 2, f->nat_addr, f->nat_port,
			in_csum_ok);
	}
	/* ICMP errors are rare and short: recompute the message checksum in full. */
	wr16(icmp + ICMP_CSUM_OFF, 0);
	c = egw_csum_full(icmp, meta->l4_len);
	wr16(icmp + ICMP_CSUM_OFF, c);
}
