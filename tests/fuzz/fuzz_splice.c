/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the splice of a late-bound connection (lib/flow/tcp_opts.c, splice.c),
 * driven by segment sequences. Input: 20 bytes of splice set-up, then segments:
 *   set-up   cookie ISN, server ISN, our TSval, the server's TSval (4 bytes each), the client's
 *            scale, the server's scale (the shifts are taken modulo 16), a flag byte (bit 0:
 *            timestamps on both halves, bit 1: the server refused window scaling), the shift
 *            the client's SYN offered
 *   segment  a control byte (bit 0: direction, 1 = reply; bits 1-4: option words, at most 10),
 *            then the 20-byte TCP header and its option words
 * Each header is copied into a heap buffer of exactly its size (ASan sees any access past it),
 * its data offset set to its length, its checksum made right over a fixed pseudo-header. After
 * the rewrite the checksum must still be right by full recomputation, the numbers must be
 * the old ones moved by the deltas, every byte the splice does not own must be unchanged, and
 * the options must read back in the same places.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "flow/splice.h"
#include "pkt/csum.h"

#define SRC 0x090071cbu /* 203.0.113.9, network order */
#define DST 0x020012c6u /* 198.18.0.2 */
#define SETUP_LEN 20
#define HDR_MIN 20

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Marks the LEN bytes at AT as the splice's to change. */
static void own(uint8_t *mask, unsigned at, unsigned len)
{
	memset(mask + at, 1, len);
}

static void check_numbers(const struct egw_splice *sp, bool reply, const uint8_t *old,
	const uint8_t *h, const struct egw_tcp_opts *o)
{
	const bool ack = old[13] & 0x10;
	const bool ts = o->has_ts && (sp->flags & EGW_SPLICE_TS);

	if (reply) {
		if (rd32(h + 4) != rd32(old + 4) + sp->seq_delta || rd32(h + 8) != rd32(old + 8))
			abort();
		if (ts && rd32(h + o->ts_at) != rd32(old + o->ts_at) + sp->ts_delta)
			abort();
		if (o->has_ts && rd32(h + o->ts_at + 4) != rd32(old + o->ts_at + 4))
			abort();
		return;
	}
	if (rd32(h + 4) != rd32(old + 4) ||
		rd32(h + 8) != rd32(old + 8) - (ack ? sp->seq_delta : 0))
		abort();
	if (o->has_ts && rd32(h + o->ts_at) != rd32(old + o->ts_at))
		abort();
	if (ts && ack && rd32(h + o->ts_at + 4) != rd32(old + o->ts_at + 4) - sp->ts_delta)
		abort();
	for (unsigned i = 0; i < o->n_sack * 2u; i++)
		if (rd32(h + o->sack_at + 4 * i) != rd32(old + o->sack_at + 4 * i) - sp->seq_delta)
			abort();
}

static void check_untouched(const struct egw_splice *sp, bool reply, const uint8_t *old,
	const uint8_t *h, unsigned len, const struct egw_tcp_opts *o)
{
	uint8_t mask[HDR_MIN + EGW_TCP_OPTS_MAX] = { 0 };

	own(mask, 4, 8);  /* seq, ack */
	own(mask, 14, 4); /* window, checksum */
	if (o->has_ts)
		own(mask, o->ts_at, 8);
	if (!reply && o->n_sack)
		own(mask, o->sack_at, o->n_sack * 8u);
	for (unsigned i = 0; i < len; i++)
		if (!mask[i] && old[i] != h[i])
			abort();
	if (!(sp->flags & (reply ? EGW_SPLICE_WIN : EGW_SPLICE_ORIG_WIN)) &&
		rd16(h + 14) != rd16(old + 14))
		abort();
}

static void one_segment(const struct egw_splice *sp, uint8_t ctl, const uint8_t *data, unsigned len)
{
	const bool reply = ctl & 1;
	uint8_t *h = malloc(len), *old = malloc(len);
	struct egw_tcp_opts o, again;
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)h;
	int rc;

	if (!h || !old)
		abort();
	memcpy(h, data, len);
	h[12] = (uint8_t)((len / 4) << 4 | (h[12] & 0x0f));
	th->cksum = 0;
	th->cksum = egw_csum_l4(SRC, DST, IPPROTO_TCP, h, (uint16_t)len);
	memcpy(old, h, len);
	/* A malformed list still leaves what was read before the fault usable. */
	rc = egw_tcp_opts_read(th, &o);
	if (o.has_ts && (o.ts_at < HDR_MIN || o.ts_at + 8u > len))
		abort();
	if (o.n_sack && (o.n_sack > 4 || o.sack_at < HDR_MIN || o.sack_at + o.n_sack * 8u > len))
		abort();
	if (reply)
		egw_splice_reply(sp, th, &o);
	else
		egw_splice_orig(sp, th, &o);
	if (egw_csum_l4(SRC, DST, IPPROTO_TCP, h, (uint16_t)len) != 0)
		abort();
	check_numbers(sp, reply, old, h, &o);
	check_untouched(sp, reply, old, h, len, &o);
	if (egw_tcp_opts_read(th, &again) != rc || again.has_ts != o.has_ts ||
		again.ts_at != o.ts_at || again.n_sack != o.n_sack || again.sack_at != o.sack_at ||
		again.mss != o.mss || again.wscale != o.wscale || again.sack_ok != o.sack_ok)
		abort();
	free(h);
	free(old);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct egw_splice sp;

	if (size < SETUP_LEN)
		return 0;
	egw_splice_init(&sp, rd32(data), rd32(data + 4), data[18] & 1, rd32(data + 8),
		rd32(data + 12), data[16] & 15, data[17] & 15);
	egw_splice_orig_window(&sp, data[19], !(data[18] & 2));
	data += SETUP_LEN;
	size -= SETUP_LEN;
	while (size > 0) {
		const uint8_t ctl = data[0];
		const unsigned words = ((ctl >> 1) & 15) > 10 ? 10 : (ctl >> 1) & 15;
		const unsigned len = HDR_MIN + 4 * words;

		if (size - 1 < len)
			break;
		one_segment(&sp, ctl, data + 1, len);
		data += 1 + len;
		size -= 1 + len;
	}
	return 0;
}
