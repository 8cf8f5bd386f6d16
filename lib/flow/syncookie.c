/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_common.h>

#include "nat/nat.h"
#include "syncookie.h"

/* Common MSS values (IPv4 over Ethernet, PPPoE, tunnels, jumbo frames), ascending. */
const uint16_t egw_syncookie_mss[EGW_SYNCOOKIE_N_MSS] = { 536, 1220, 1300, 1380, 1420, 1440, 1460,
	8960 };

#define MIN_SHIFT 30 /* ISN bits 31-30: the minute modulo 4 */
#define MSS_SHIFT 27 /* bits 29-27: the MSS index */
#define MSS_MASK 0x7u
#define MAC_MASK 0x07ffffffu
#define TS_OPT_BITS 0x3fu /* TSval bits 5-0: bits 3-0 the window scale, bit 4 SACK-permitted */
#define TS_NO_WSCALE 0xfu
#define TS_SACK 0x10u

int egw_syncookie_secret_init(struct egw_syncookie_secret *s)
{
	struct egw_nat_secret ns;
	int rc = egw_nat_secret_init(&ns);

	s->k[0] = ns.k0;
	s->k[1] = ns.k1;
	return rc;
}

/* The keyed MAC of a SYN of K with CLIENT_ISN made in minute MINUTE with MSS index MSS_IDX:
 * one PRF over the connection, a second binding it to the minute and the MSS. */
static uint64_t cookie_mac(const struct egw_syncookie_secret *s, const struct egw_flow_key *k,
	uint32_t client_isn, uint32_t minute, unsigned mss_idx)
{
	const struct egw_nat_secret ns = { .k0 = s->k[0], .k1 = s->k[1] };
	const uint64_t conn = egw_nat_prf(&ns, (uint64_t)k->a_addr << 32 | k->b_addr,
		(uint64_t)k->a_port << 48 | (uint64_t)k->b_port << 32 | client_isn);

	return egw_nat_prf(&ns, conn, (uint64_t)minute << 3 | mss_idx);
}

static unsigned mss_index(uint16_t mss)
{
	unsigned i = EGW_SYNCOOKIE_N_MSS - 1;

	while (i > 0 && egw_syncookie_mss[i] > mss)
		i--;
	return i;
}

/* The TSval bits the MAC keys: everything but the option bits. */
static uint32_t ts_key(uint64_t mac)
{
	return (uint32_t)(mac >> 32) & ~TS_OPT_BITS;
}

uint32_t egw_syncookie_make(const struct egw_syncookie_secret *s, const struct egw_flow_key *k,
	uint32_t client_isn, uint32_t now_min, const struct egw_tcp_opts *syn, uint32_t *tsval_out)
{
	const unsigned idx = mss_index(syn->mss ? syn->mss : egw_syncookie_mss[0]);
	const uint64_t mac = cookie_mac(s, k, client_isn, now_min, idx);
	/* A shift over 14 is used as 14 (RFC 7323 2.3); 15 would read back as "none". */
	uint32_t opts = syn->wscale == EGW_TCP_NO_WSCALE ?
				TS_NO_WSCALE :
				RTE_MIN(syn->wscale, (uint8_t)EGW_TCP_MAX_WSCALE);

	if (syn->sack_ok)
		opts |= TS_SACK;
	*tsval_out = ts_key(mac) | opts;
	return (now_min & 3u) << MIN_SHIFT | idx << MSS_SHIFT | ((uint32_t)mac & MAC_MASK);
}

int egw_syncookie_check(const struct egw_syncookie_secret *s, const struct egw_flow_key *k,
	uint32_t ack_seq, uint32_t ack_ack, uint32_t now_min, bool has_ts, uint32_t tsecr,
	struct egw_tcp_opts *out)
{
	const uint32_t cookie = ack_ack - 1;
	const unsigned idx = (cookie >> MSS_SHIFT) & MSS_MASK;
	/* The minute it was made in: the latest one at or before NOW_MIN with its low bits. */
	const uint32_t age = (now_min - (cookie >> MIN_SHIFT)) & 3u;
	const uint32_t minute = now_min - age;
	uint64_t mac;

	if (age > EGW_SYNCOOKIE_MAX_AGE)
		return -1;
	mac = cookie_mac(s, k, ack_seq - 1, minute, idx);
	if (((uint32_t)mac & MAC_MASK) != (cookie & MAC_MASK))
		return -1;
	if (has_ts && (tsecr & ~TS_OPT_BITS) != ts_key(mac))
		return -1;
	memset(out, 0, sizeof(*out));
	out->mss = egw_syncookie_mss[idx];
	out->wscale = EGW_TCP_NO_WSCALE;
	if (has_ts) {
		const uint32_t ws = tsecr & TS_NO_WSCALE;
		out->has_ts = 1;
		out->sack_ok = !!(tsecr & TS_SACK);
		if (ws != TS_NO_WSCALE)
			out->wscale = (uint8_t)RTE_MIN(ws, (uint32_t)EGW_TCP_MAX_WSCALE);
	}
	return 0;
}

void egw_syncookie_synack_opts(const struct egw_tcp_opts *syn, uint32_t tsval, uint16_t our_mss,
	uint8_t our_wscale, struct egw_tcp_opts *out)
{
	memset(out, 0, sizeof(*out));
	out->mss = our_mss;
	out->wscale = EGW_TCP_NO_WSCALE;
	if (!syn->has_ts)
		return;
	out->has_ts = 1;
	out->tsval = tsval;
	out->tsecr = syn->tsval;
	out->sack_ok = syn->sack_ok;
	if (syn->wscale != EGW_TCP_NO_WSCALE)
		out->wscale = RTE_MIN(our_wscale, (uint8_t)EGW_TCP_MAX_WSCALE);
}
