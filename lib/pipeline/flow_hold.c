/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The held first segments of a flow waiting for its name (flow_hold.h): sorted insert,
 * duplicate detection and the in-order stream the L7 parsers read.
 */
#include <string.h>

#include "flow_hold.h"

/* Does [REL, END) lie within what H holds already? Segments are sorted by their first byte. */
static bool covered(const struct egw_hold *h, uint32_t rel, uint32_t end)
{
	uint32_t at = rel;

	for (unsigned i = 0; i < h->n && at < end; i++) {
		const struct egw_hold_seg *s = &h->seg[i];
		uint32_t s_end = s->rel + s->len + s->fin;

		if (s->rel > at)
			break;
		if (s_end > at)
			at = s_end;
	}
	return at >= end;
}

enum egw_hold_add egw_hold_add(struct egw_hold *h, struct rte_mbuf *m, uint32_t rel, uint16_t off,
	uint16_t len, bool fin, uint32_t limit)
{
	uint32_t end = rel + len + (fin ? 1u : 0u);
	unsigned at;

	/* Before the first data byte (a keepalive probe, a wrapped sequence number): nothing
	 * the stream can use. */
	if (rel >= 1u << 31 || end <= rel || covered(h, rel, end))
		return EGW_HOLD_DUPLICATE;
	if (rel + len > limit || h->n == EGW_HOLD_SEGS)
		return EGW_HOLD_OVER;
	for (at = h->n; at > 0 && h->seg[at - 1].rel > rel; at--)
		;
	memmove(&h->seg[at + 1], &h->seg[at], (h->n - at) * sizeof(h->seg[0]));
	h->seg[at] =
		(struct egw_hold_seg){ .m = m, .rel = rel, .off = off, .len = len, .fin = fin };
	h->newest = (uint16_t)at;
	h->n++;
	h->frames += rte_pktmbuf_pkt_len(m);
	return EGW_HOLD_ADDED;
}

uint32_t egw_hold_stream(const struct egw_hold *h, uint8_t *buf, uint32_t cap, bool *fin)
{
	uint32_t have = 0;

	*fin = false;
	for (unsigned i = 0; i < h->n; i++) {
		const struct egw_hold_seg *s = &h->seg[i];
		uint32_t s_end = s->rel + s->len;

		if (s->rel > have)
			break;
		if (s_end > have && s_end <= cap) {
			const uint8_t *p = rte_pktmbuf_mtod_offset(s->m, const uint8_t *, s->off);
			memcpy(buf + have, p + (have - s->rel), s_end - have);
			have = s_end;
		}
		if (s->fin && s_end == have)
			*fin = true;
	}
	return have;
}
