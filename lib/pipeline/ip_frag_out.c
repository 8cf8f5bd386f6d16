/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdbool.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "ip_frag_out.h"

#define IPV4_HDR_LEN 20
#define IPV4_MIN_MTU 68

/* Copies LEN bytes of M from OFF to DST (M may have several segments). */
static void copy_out(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint8_t *dst)
{
	const void *src = rte_pktmbuf_read(m, off, len, dst);

	if (src != dst)
		memcpy(dst, src, len);
}

unsigned egw_pl_frag_out(const struct rte_mbuf *m, uint16_t l3_off, uint16_t mtu,
	struct rte_mbuf *out[EGW_FRAG_OUT_MAX])
{
	struct rte_ipv4_hdr ip;
	uint16_t ip_len, frag, base, chunk, payload;
	unsigned n;

	if (mtu < IPV4_MIN_MTU || m->pkt_len < (uint32_t)l3_off + sizeof(ip))
		return 0;
	copy_out(m, l3_off, sizeof(ip), (uint8_t *)&ip);
	ip_len = rte_be_to_cpu_16(ip.total_length);
	/* Options would have to be sorted by their copy bit: packets with them are refused. */
	if (ip.version_ihl != RTE_IPV4_VHL_DEF || ip_len <= IPV4_HDR_LEN ||
		(uint32_t)l3_off + ip_len > m->pkt_len)
		return 0;
	frag = rte_be_to_cpu_16(ip.fragment_offset);
	base = frag & RTE_IPV4_HDR_OFFSET_MASK; /* in 8-byte units: M may be a fragment */
	payload = (uint16_t)(ip_len - IPV4_HDR_LEN);
	chunk = (uint16_t)((mtu - IPV4_HDR_LEN) & ~7u);
	n = (payload + chunk - 1u) / chunk;
	if (n > EGW_FRAG_OUT_MAX || base + (payload >> 3) > RTE_IPV4_HDR_OFFSET_MASK ||
		rte_pktmbuf_alloc_bulk(m->pool, out, n) != 0)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		uint16_t off = (uint16_t)(i * chunk);
		uint16_t len = (uint16_t)RTE_MIN(chunk, payload - off);
		bool last = i == n - 1;
		uint8_t *d = (uint8_t *)rte_pktmbuf_append(out[i],
			(uint16_t)(l3_off + IPV4_HDR_LEN + len));
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)(d + l3_off);

		if (d == NULL) { /* the pool's buffers are smaller than the MTU */
			rte_pktmbuf_free_bulk(out, n);
			return 0;
		}
		copy_out(m, 0, (uint32_t)l3_off + IPV4_HDR_LEN, d);
		copy_out(m, (uint32_t)l3_off + IPV4_HDR_LEN + off, len, d + l3_off + IPV4_HDR_LEN);
		h->total_length = rte_cpu_to_be_16((uint16_t)(IPV4_HDR_LEN + len));
		h->fragment_offset = rte_cpu_to_be_16(
			(uint16_t)((base + (off >> 3)) |
				   (last ? frag & RTE_IPV4_HDR_MF_FLAG : RTE_IPV4_HDR_MF_FLAG)));
		h->hdr_checksum = 0;
		h->hdr_checksum = rte_ipv4_cksum(h);
		out[i]->port = m->port;
		rte_mbuf_dynfield_copy(out[i], m); /* the RX stamp (latency.h) among them */
	}
	return n;
}
