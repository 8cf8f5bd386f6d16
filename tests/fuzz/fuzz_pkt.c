/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the packet parser: arbitrary bytes as one frame, in a heap buffer of
 * exactly that size (ASan sees any read past it). On a frame it accepts, it checks what
 * egw_pkt_parse() promises (every offset inside the frame and the IP length) and then runs the
 * rewrite the data path would do, on a copy, with a flow made up from the packet:
 * egw_translate() for TCP, UDP and ICMP echo, egw_translate_icmp_error() for ICMP errors. The
 * rewritten frame must parse again with the new addresses and ports, and every checksum that
 * was right before must still be right. No EAL: the mbuf is a plain struct over the copy.
 *
 * Input: one control byte, then the frame. Control bit 0 set: the IPv4 header checksum is made
 * right before parsing, so that random inputs get past it to the L4 and ICMP error parsers.
 * Bit 1 set: parsed as a frame the receive ring cut (egw_pkt_parse_cut): the IP length may run
 * past the frame, the headers may not. Bit 2 set (bit 1 clear): parsed as a NIC vouched for
 * its header checksum (egw_pkt_parse_rx with RTE_MBUF_F_RX_IP_CKSUM_GOOD), bounds checked, not
 * translated. A later fragment (no L4 header) is not translated here:
 * lib/pipeline/fragment.c rewrites its IP header only.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <rte_mbuf.h>

#include "flow/flow.h"
#include "fuzz_frame.h"
#include "nat/translate.h"
#include "pkt/csum.h"
#include "pkt/pkt.h"

#define INSIDE_ADDR 0x020012c6u /* 198.18.0.2 in network order */
#define NAT_ADDR 0x0a6433c6u	/* 198.51.100.10 */

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static void check_bounds(const struct egw_pkt_meta *m, size_t len, bool cut)
{
	const size_t l4_min = m->kind == EGW_PKT_FRAGMENT ? 0 : m->proto == IPPROTO_TCP ? 20 : 8;

	if (m->kind == EGW_PKT_ARP) {
		if (len < 42)
			abort();
		return;
	}
	if (m->l3_off != 14 || (!cut && (size_t)m->l3_off + m->ip_len > len) ||
		m->l4_off < m->l3_off + 20 || m->l4_off + m->l4_len != m->l3_off + m->ip_len ||
		m->l4_len < l4_min || (size_t)m->l4_off + l4_min > len)
		abort();
	if (m->kind == EGW_PKT_ICMP_ERROR &&
		(m->inner_l3_off != m->l4_off + 8 || m->inner_l4_off < m->inner_l3_off + 20 ||
			m->inner_l4_len < 8 ||
			m->inner_l4_off + m->inner_l4_len != m->l3_off + m->ip_len))
		abort();
}

/* TCP/UDP/ICMP checksum of the packet's own L4 part is right (UDP: or absent). */
static int l4_csum_ok(const uint8_t *f, const struct egw_pkt_meta *m)
{
	const uint8_t *l4 = f + m->l4_off;

	switch (m->proto) {
	case IPPROTO_UDP:
		if (get16(l4 + 6) == 0)
			return 1;
		/* fall through */
	case IPPROTO_TCP:
		return egw_csum_l4(get32(f + m->l3_off + 12), get32(f + m->l3_off + 16), m->proto,
			       l4, m->l4_len) == 0;
	default:
		return egw_csum_full(l4, m->l4_len) == 0;
	}
}

static void fuzz_translate(const uint8_t *frame, size_t len, const struct egw_pkt_meta *m,
	unsigned dir, uint16_t nat_port)
{
	uint8_t *buf = malloc(len);
	struct rte_mbuf mb;
	struct egw_flow f;
	struct egw_pkt_meta m2;
	int l4_was_ok, udp_none, inner_ip_was_ok = 0;

	if (!buf)
		return;
	memcpy(buf, frame, len);
	memset(&mb, 0, sizeof(mb));
	mb.buf_addr = buf;
	mb.data_off = 0;
	mb.data_len = (uint16_t)len;
	mb.pkt_len = (uint32_t)len;
	memset(&f, 0, sizeof(f));
	f.nat_addr = NAT_ADDR;
	f.nat_port = nat_port;
	f.flags = EGW_FLOW_F_NAT;
	/* A first fragment's L4 checksum covers the whole datagram, not this piece. */
	l4_was_ok = !m->frag && l4_csum_ok(frame, m);
	udp_none = m->proto == IPPROTO_UDP && get16(frame + m->l4_off + 6) == 0;

	if (m->kind == EGW_PKT_ICMP_ERROR) {
		unsigned in_ihl = m->inner_l4_off - m->inner_l3_off;
		inner_ip_was_ok = egw_csum_full(frame + m->inner_l3_off, in_ihl) == 0;
		/* The flow the quoted packet belongs to, seen from the direction it came. */
		egw_flow_key_set(&f.orig, INSIDE_ADDR,
			dir == EGW_DIR_REPLY ? m->inner_dst : m->inner_src,
			(uint16_t)(nat_port ^ 0x5a5a), m->inner_dport, m->inner_proto,
			EGW_ZONE_INSIDE);
		egw_translate_icmp_error(&mb, m, &f, dir);
		if (egw_pkt_parse(buf, (uint32_t)len, &m2) != EGW_DROP_NONE ||
			m2.kind != EGW_PKT_ICMP_ERROR || m2.inner_proto != m->inner_proto ||
			m2.inner_l4_off != m->inner_l4_off || m2.inner_l4_len != m->inner_l4_len)
			abort();
		/* The ICMP checksum is recomputed: always right. */
		if (egw_csum_full(buf + m->l4_off, m->l4_len) != 0)
			abort();
		if (inner_ip_was_ok && egw_csum_full(buf + m->inner_l3_off, in_ihl) != 0)
			abort();
		if (dir == EGW_DIR_REPLY ?
				(m2.dst != INSIDE_ADDR || m2.inner_src != INSIDE_ADDR ||
					m2.inner_sport != f.orig.a_port ||
					m2.inner_dst != m->inner_dst) :
				(m2.src != NAT_ADDR || m2.inner_dst != NAT_ADDR ||
					m2.inner_dport != nat_port || m2.inner_src != m->inner_src))
			abort();
	} else {
		egw_flow_key_set(&f.orig, INSIDE_ADDR, dir == EGW_DIR_ORIG ? m->dst : m->src,
			(uint16_t)(nat_port ^ 0x5a5a), dir == EGW_DIR_ORIG ? m->dport : m->sport,
			m->proto, EGW_ZONE_INSIDE);
		egw_translate(&mb, m, &f, dir);
		if (egw_pkt_parse(buf, (uint32_t)len, &m2) != EGW_DROP_NONE || m2.kind != m->kind ||
			m2.proto != m->proto || m2.l4_off != m->l4_off || m2.l4_len != m->l4_len ||
			m2.tcp_flags != m->tcp_flags)
			abort();
		if (dir == EGW_DIR_ORIG ?
				(m2.src != NAT_ADDR || m2.sport != nat_port || m2.dst != m->dst) :
				(m2.dst != INSIDE_ADDR || m2.dport != f.orig.a_port ||
					m2.src != m->src))
			abort();
		if (l4_was_ok && !l4_csum_ok(buf, &m2))
			abort();
		if (udp_none && get16(buf + m->l4_off + 6) != 0)
			abort();
	}
	/* Nothing outside the IP packet moved (Ethernet header, padding). */
	if (memcmp(buf, frame, m->l3_off) != 0 ||
		memcmp(buf + m->l3_off + m->ip_len, frame + m->l3_off + m->ip_len,
			len - m->l3_off - m->ip_len) != 0)
		abort();
	free(buf);
}

/* The parser's straight-line path for the common TCP frame must agree with the general one:
 * the same verdict and, for a TCP packet it passes, the same metadata (every field used). */
static void check_general(const uint8_t *frame, size_t size, uint8_t ctl, enum egw_drop_reason r,
	const struct egw_pkt_meta *m)
{
	struct egw_pkt_meta g;
	const uint64_t ol_flags = (ctl & 4) && !(ctl & 2) ? RTE_MBUF_F_RX_IP_CKSUM_GOOD :
							    RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN;

	memset(&g, 0, sizeof(g));
	if (egw_pkt_parse_general(frame, (uint32_t)size, ctl & 2, ol_flags, &g) != r)
		abort();
	/* The fast path takes TCP only; other kinds leave fields unset that differ by chance. */
	if (r != EGW_DROP_NONE || m->kind != EGW_PKT_IPV4 || m->proto != IPPROTO_TCP)
		return;
	if (g.kind != m->kind || g.proto != m->proto || g.tcp_flags != m->tcp_flags ||
		g.icmp_type != m->icmp_type || g.l3_off != m->l3_off || g.l4_off != m->l4_off ||
		g.ip_len != m->ip_len || g.l4_len != m->l4_len || g.src != m->src ||
		g.dst != m->dst || g.sport != m->sport || g.dport != m->dport ||
		g.frag != m->frag || g.ip_id != m->ip_id || g.ip_opts != m->ip_opts)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct egw_pkt_meta m;
	enum egw_drop_reason r;
	uint8_t *frame, ctl;
	uint16_t nat_port;

	if (size == 0 || size > 0xffff)
		return 0;
	ctl = data[0];
	data++;
	size--;
	frame = malloc(size);
	if (size && !frame)
		return 0;
	if (size)
		memcpy(frame, data, size);
	if (ctl & 1)
		fuzz_fix_ip_csum(frame, size);
	/* ctl & 4: a NIC vouched for the IPv4 header checksum (RTE_MBUF_F_RX_IP_CKSUM_GOOD), so
	 * the parser meets headers with any checksum; the bounds must hold all the same. */
	if (ctl & 2)
		r = egw_pkt_parse_cut(frame, (uint32_t)size, &m);
	else if (ctl & 4)
		r = egw_pkt_parse_rx(frame, (uint32_t)size, RTE_MBUF_F_RX_IP_CKSUM_GOOD, &m);
	else
		r = egw_pkt_parse(frame, (uint32_t)size, &m);
	if (r >= EGW_DROP_MAX)
		abort();
	check_general(frame, size, ctl, r, &m);
	if (r == EGW_DROP_NONE) {
		check_bounds(&m, size, ctl & 2);
		/* A cut frame is too big for any exit: never translated. */
		/* (Its translation is checked by parsing it again: not with a header no one
		 * checked.) */
		if (!(ctl & 4) && m.kind != EGW_PKT_ARP && m.kind != EGW_PKT_FRAGMENT &&
			(size_t)m.l3_off + m.ip_len <= size) {
			/* Translation parameters from the frame's last bytes (often padding). */
			nat_port =
				size >= 2 ? (uint16_t)(frame[size - 1] << 8 | frame[size - 2]) : 0;
			fuzz_translate(frame, size, &m, EGW_DIR_ORIG, nat_port);
			fuzz_translate(frame, size, &m, EGW_DIR_REPLY, nat_port);
		}
	}
	free(frame);
	return 0;
}
