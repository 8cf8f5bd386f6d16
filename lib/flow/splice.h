/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOW_SPLICE_H
#define EGW_FLOW_SPLICE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_tcp.h>

#include "tcp_opts.h"

/*
 * Splicing a late-bound TCP connection: the client's handshake was with the appliance (SYN
 * cookie ISN, our timestamps, our window scale), the server's with the appliance's upstream SYN,
 * which carried the client's own ISN and options, so client->server sequence numbers hold as
 * they are. What differs is rewritten per segment, in place, the TCP checksum updated
 * incrementally (lib/pkt/csum.h):
 *   reply (server->client): seq += seq_delta; TSval += ts_delta; window field from the server's
 *                           scale to the one the client was told (clamped to 65535)
 *   orig (client->server):  ack -= seq_delta (ACK set); SACK blocks -= seq_delta;
 *                           TSecr -= ts_delta (ACK set); window field from the client's scale
 *                           to none when the server refused window scaling (egw_splice_orig_window)
 * All arithmetic is modulo 2^32. 12 bytes: fits the flow record's second cache line.
 */
struct egw_splice {
	uint32_t seq_delta; /* cookie ISN - server ISN */
	uint32_t ts_delta;  /* our SYN-ACK's TSval - the server's SYN-ACK TSval */
	uint8_t srv_scale;  /* shift of the server's window fields */
	uint8_t cli_scale;  /* shift the client applies to our (the server's) window fields */
	uint8_t flags;	    /* EGW_SPLICE_* */
	uint8_t orig_shift; /* client->server window fields: << this (egw_splice_orig_window) */
};

#define EGW_SPLICE_TS 0x01	 /* timestamps on both halves: rewrite TSval / TSecr */
#define EGW_SPLICE_WIN 0x02	 /* srv_scale != cli_scale: rewrite the reply window */
#define EGW_SPLICE_ORIG_WIN 0x04 /* orig_shift != 0: rewrite the orig window */

_Static_assert(sizeof(struct egw_splice) <= 16, "struct egw_splice must fit 16 bytes");

/*
 * Sets SP up once the server's SYN-ACK is in: COOKIE_ISN (our SYN-ACK's ISN), SERVER_ISN (the
 * server's); TS when both our SYN-ACK and the server's carried timestamps, with OUR_TSVAL and
 * SERVER_TSVAL their TSvals; CLI_SCALE the window scale our SYN-ACK announced (0 without),
 * SRV_SCALE the server's (0 unless both the upstream SYN and the server's SYN-ACK carried the
 * option). Shifts over EGW_TCP_MAX_WSCALE count as EGW_TCP_MAX_WSCALE.
 */
void egw_splice_init(struct egw_splice *sp, uint32_t cookie_isn, uint32_t server_isn, bool ts,
	uint32_t our_tsval, uint32_t server_tsval, uint8_t cli_scale, uint8_t srv_scale);

/*
 * Client->server windows (optional, after egw_splice_init): the client scales its window
 * fields by CLIENT_WSCALE (the shift its SYN offered, EGW_TCP_NO_WSCALE or when our SYN-ACK
 * agreed to none: nothing to do); when the server refused scaling (SERVER_SCALES false) it
 * reads them unscaled, so they are shifted up (clamped to 65535) on the way.
 */
void egw_splice_orig_window(struct egw_splice *sp, uint8_t client_wscale, bool server_scales);

/*
 * Rewrite segment TH (its options O as egw_tcp_opts_read read them from TH) in place, the
 * checksum field updated incrementally. orig: client->server (ack, SACK blocks, TSecr, window
 * if set up); reply: server->client (seq, TSval, window). A segment without options to touch
 * costs one or two 32-bit additions and checksum updates.
 */
void egw_splice_orig(const struct egw_splice *sp, struct rte_tcp_hdr *th,
	const struct egw_tcp_opts *o);
void egw_splice_reply(const struct egw_splice *sp, struct rte_tcp_hdr *th,
	const struct egw_tcp_opts *o);

#endif
