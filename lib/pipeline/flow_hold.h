/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOW_HOLD_H
#define EGW_FLOW_HOLD_H

/*
 * Pipeline-internal: the first client segments of a TCP flow that waits for its host name,
 * kept as the packets they arrived in (they leave unchanged, in sequence order, when the flow
 * is allowed) and read as one stream from the first data byte. Segments may come reordered,
 * retransmitted or overlapping: a segment that brings no byte (or FIN) not held already is a
 * duplicate; overlaps keep both packets, the stream takes each byte once. Bounded: at most
 * EGW_HOLD_SEGS packets and LIMIT stream bytes per flow. No allocation; worker only.
 */
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#define EGW_HOLD_SEGS 32 /* segments per flow: a 16 KiB hello in full-sized segments is 12 */

struct egw_hold_seg {
	struct rte_mbuf *m;
	uint32_t rel; /* first byte's offset from the flow's first data byte */
	uint16_t off; /* payload offset in the frame */
	uint16_t len; /* payload bytes */
	uint8_t fin;  /* the segment carries FIN (one sequence number past its data) */
	uint8_t pad[7];
};

struct egw_hold {
	uint16_t n;	 /* segments held, sorted by REL */
	uint16_t newest; /* index of the segment that arrived last */
	uint32_t frames; /* frame bytes held (what the worker's total counts) */
	struct egw_hold_seg seg[EGW_HOLD_SEGS];
};

enum egw_hold_add {
	EGW_HOLD_ADDED = 0,
	EGW_HOLD_DUPLICATE, /* every byte (and the FIN) already held: not taken */
	EGW_HOLD_OVER,	    /* past LIMIT bytes from the first, or EGW_HOLD_SEGS full: not taken */
};

static inline void egw_hold_init(struct egw_hold *h)
{
	h->n = 0;
	h->newest = 0;
	h->frames = 0;
}

/*
 * Takes segment M (payload LEN bytes at frame offset OFF, FIN) whose first byte is REL bytes
 * from the first data byte (sequence number minus the first's: before the first is huge and
 * refused as a duplicate). LIMIT: stream bytes a flow may hold.
 */
enum egw_hold_add egw_hold_add(struct egw_hold *h, struct rte_mbuf *m, uint32_t rel, uint16_t off,
	uint16_t len, bool fin, uint32_t limit);

/*
 * Copies the contiguous stream from the first byte into BUF (CAP bytes at most). Returns its
 * length; *FIN is true when the FIN comes right after it (the client will send nothing more).
 */
uint32_t egw_hold_stream(const struct egw_hold *h, uint8_t *buf, uint32_t cap, bool *fin);

#endif
