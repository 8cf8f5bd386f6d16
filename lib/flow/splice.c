/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_common.h>

#include "pkt/csum.h"
#include "splice.h"

#define WIN_MAX 65535u

void egw_splice_init(struct egw_splice *sp, uint32_t cookie_isn, uint32_t server_isn, bool ts,
	uint32_t our_tsval, uint32_t server_tsval, uint8_t cli_scale, uint8_t srv_scale)
{
	memset(sp, 0, sizeof(*sp));
	sp->seq_delta = cookie_isn - server_isn;
	sp->cli_scale = RTE_MIN(cli_scale, (uint8_t)EGW_TCP_MAX_WSCALE);
	sp->srv_scale = RTE_MIN(srv_scale, (uint8_t)EGW_TCP_MAX_WSCALE);
	if (sp->cli_scale != sp->srv_scale)
		sp->flags |= EGW_SPLICE_WIN;
	if (ts) {
		sp->flags |= EGW_SPLICE_TS;
		sp->ts_delta = our_tsval - server_tsval;
	}
}

void egw_splice_orig_window(struct egw_splice *sp, uint8_t client_wscale, bool server_scales)
{
	sp->orig_shift = 0;
	sp->flags &= (uint8_t)~EGW_SPLICE_ORIG_WIN;
	if (server_scales || client_wscale == EGW_TCP_NO_WSCALE || client_wscale == 0)
		return;
	sp->orig_shift = RTE_MIN(client_wscale, (uint8_t)EGW_TCP_MAX_WSCALE);
	sp->flags |= EGW_SPLICE_ORIG_WIN;
}

/*
 * Adds DELTA to the 32-bit big-endian value at byte offset AT of TCP header H; returns checksum
 * CSUM updated. The checksum sums 16-bit words from the header's start: a value at an odd
 * offset (options after a lone NOP) straddles three of them, updated one by one.
 */
static uint16_t add32(uint8_t *h, unsigned at, uint32_t delta, uint16_t csum)
{
	uint32_t old, new;

	memcpy(&old, h + at, 4);
	new = rte_cpu_to_be_32(rte_be_to_cpu_32(old) + delta);
	if (likely(!(at & 1))) {
		memcpy(h + at, &new, 4);
		return egw_csum_update32(csum, old, new);
	}
	uint16_t w_old[3], w_new[3];
	memcpy(w_old, h + at - 1, sizeof(w_old));
	memcpy(h + at, &new, 4);
	memcpy(w_new, h + at - 1, sizeof(w_new));
	for (unsigned i = 0; i < 3; i++)
		csum = egw_csum_update16(csum, w_old[i], w_new[i]);
	return csum;
}

/* The window field of TH shifted left by UP, or right by DOWN: clamped to 65535, and a
 * window that was open stays open (a field of 0 would stall the sender on a window the
 * receiver never closed). */
static void rescale_window(struct rte_tcp_hdr *th, unsigned up, unsigned down)
{
	const uint32_t w = rte_be_to_cpu_16(th->rx_win);
	uint32_t v = (w << up) >> down;
	rte_be16_t new;

	if (v > WIN_MAX)
		v = WIN_MAX;
	else if (v == 0 && w != 0)
		v = 1;
	new = rte_cpu_to_be_16((uint16_t)v);
	th->cksum = egw_csum_update16(th->cksum, th->rx_win, new);
	th->rx_win = new;
}

void egw_splice_orig(const struct egw_splice *sp, struct rte_tcp_hdr *th,
	const struct egw_tcp_opts *o)
{
	uint8_t *h = (uint8_t *)th;
	const uint32_t back = 0u - sp->seq_delta;

	if (th->tcp_flags & RTE_TCP_ACK_FLAG) {
		th->cksum = add32(h, offsetof(struct rte_tcp_hdr, recv_ack), back, th->cksum);
		if (o->has_ts && (sp->flags & EGW_SPLICE_TS))
			th->cksum = add32(h, o->ts_at + 4u, 0u - sp->ts_delta, th->cksum);
	}
	for (unsigned i = 0; i < o->n_sack; i++) {
		th->cksum = add32(h, o->sack_at + i * 8u, back, th->cksum);
		th->cksum = add32(h, o->sack_at + i * 8u + 4u, back, th->cksum);
	}
	if (sp->flags & EGW_SPLICE_ORIG_WIN)
		rescale_window(th, sp->orig_shift, 0);
}

void egw_splice_reply(const struct egw_splice *sp, struct rte_tcp_hdr *th,
	const struct egw_tcp_opts *o)
{
	uint8_t *h = (uint8_t *)th;

	th->cksum = add32(h, offsetof(struct rte_tcp_hdr, sent_seq), sp->seq_delta, th->cksum);
	if (o->has_ts && (sp->flags & EGW_SPLICE_TS))
		th->cksum = add32(h, o->ts_at, sp->ts_delta, th->cksum);
	if (sp->flags & EGW_SPLICE_WIN) {
		const unsigned up =
			sp->srv_scale > sp->cli_scale ? sp->srv_scale - sp->cli_scale : 0;
		const unsigned down =
			sp->cli_scale > sp->srv_scale ? sp->cli_scale - sp->srv_scale : 0;
		rescale_window(th, up, down);
	}
}
