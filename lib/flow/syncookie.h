/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOW_SYNCOOKIE_H
#define EGW_FLOW_SYNCOOKIE_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "tcp_opts.h"

/*
 * SYN cookies: the appliance answers a SYN without keeping state, and the client's ACK proves
 * that it received our SYN-ACK (late binding, SYN-flood defence). The ISN of our SYN-ACK is
 *   bits 31-30  the minute it was made in, modulo 4
 *   bits 29-27  the index of the client's MSS in egw_syncookie_mss[] (rounded down)
 *   bits 26-0   a keyed MAC (SipHash-2-4, lib/nat's PRF) of the 4-tuple, the client's ISN,
 *               the full minute and the MSS index
 * so a forged ACK is accepted with probability 2^-27 per guess, and a cookie ages out after
 * EGW_SYNCOOKIE_MAX_AGE minutes. When the SYN carries timestamps, the TSval of our SYN-ACK
 * carries what the ISN has no room for (as Linux does): its low 6 bits the window scale (bits
 * 0-3, 0xf: none) and SACK-permitted (bit 4), its upper 26 bits keyed by the same MAC, which
 * the client's TSecr must echo. Without timestamps the cookie carries no window scale and no
 * SACK: the connection goes on without them (as Linux's).
 *
 * Keys (struct egw_flow_key): the original direction as it arrives (a = client, b = server,
 * network order; proto and zone are not used). Everything else host order.
 */
struct egw_syncookie_secret {
	uint64_t k[2];
};

#define EGW_SYNCOOKIE_MAX_AGE 2 /* minutes: a cookie of minute M is good until M + 2 */
#define EGW_SYNCOOKIE_N_MSS 8
/* The MSS values a cookie can carry, ascending; a client's MSS is rounded down to one of them
 * (under the first, or none: the first, RFC 9293's default 536). */
extern const uint16_t egw_syncookie_mss[EGW_SYNCOOKIE_N_MSS];

/* Fills S with random bytes (OpenSSL's CSPRNG, as the NAT secret). 0 or -EIO. */
int egw_syncookie_secret_init(struct egw_syncookie_secret *s);

/*
 * The ISN of our SYN-ACK to a SYN of flow K with CLIENT_ISN, at minute clock NOW_MIN, encoding
 * SYN's MSS (and, when SYN has timestamps, its window scale and SACK-permitted into
 * *TSVAL_OUT). *TSVAL_OUT is always set: the TSval to send when SYN has timestamps.
 */
uint32_t egw_syncookie_make(const struct egw_syncookie_secret *s, const struct egw_flow_key *k,
	uint32_t client_isn, uint32_t now_min, const struct egw_tcp_opts *syn, uint32_t *tsval_out);

/*
 * Checks the client's ACK of flow K (its sequence number ACK_SEQ, acknowledgement number
 * ACK_ACK and, if HAS_TS, the TSecr of its timestamps) at minute clock NOW_MIN. Returns 0 with
 * what the SYN offered recovered into *OUT (mss from the table; wscale, sack_ok, has_ts; tsval
 * and tsecr 0; no TS: no window scale, no SACK), or -1 when ACK_ACK - 1 is not a cookie of ours
 * for this SYN made in the last EGW_SYNCOOKIE_MAX_AGE minutes, or a TSecr is not our TSval.
 */
int egw_syncookie_check(const struct egw_syncookie_secret *s, const struct egw_flow_key *k,
	uint32_t ack_seq, uint32_t ack_ack, uint32_t now_min, bool has_ts, uint32_t tsecr,
	struct egw_tcp_opts *out);

/*
 * The options of our SYN-ACK to SYN (what egw_tcp_craft_synack writes): OUR_MSS; with
 * timestamps (TSVAL from egw_syncookie_make, echoing the SYN's TSval) SACK-permitted if the SYN
 * offered it and window scale OUR_WSCALE if the SYN carried one; without timestamps neither
 * (the cookie could not carry them). The client then scales its view of our windows by
 * OUT->wscale (0 when EGW_TCP_NO_WSCALE): egw_splice_init's CLI_SCALE.
 */
void egw_syncookie_synack_opts(const struct egw_tcp_opts *syn, uint32_t tsval, uint16_t our_mss,
	uint8_t our_wscale, struct egw_tcp_opts *out);

#endif
