/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "tcp_opts.h"

#define TCP_HDR_LEN 20
#define LEN_MSS 4
#define LEN_WSCALE 3
#define LEN_SACK_PERM 2
#define LEN_TS 10
#define SACK_BLOCK 8

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return rte_be_to_cpu_32(v);
}

static void wr32(uint8_t *p, uint32_t v)
{
	v = rte_cpu_to_be_32(v);
	memcpy(p, &v, 4);
}

static void take_ts(struct egw_tcp_opts *o, const uint8_t *hdr, unsigned at)
{
	o->has_ts = 1;
	o->ts_at = (uint16_t)at;
	o->tsval = rd32(hdr + at);
	o->tsecr = rd32(hdr + at + 4);
}

/* One option of KIND and LEN (checked to lie in the header) at HDR + AT. */
static void take(struct egw_tcp_opts *o, const uint8_t *hdr, unsigned at, uint8_t kind, uint8_t len)
{
	switch (kind) {
	case EGW_TCP_OPT_MSS:
		if (len == LEN_MSS)
			o->mss = (uint16_t)(hdr[at + 2] << 8 | hdr[at + 3]);
		break;
	case EGW_TCP_OPT_WSCALE:
		if (len == LEN_WSCALE) /* RFC 7323 2.3: larger shifts are used as 14 */
			o->wscale = RTE_MIN(hdr[at + 2], (uint8_t)EGW_TCP_MAX_WSCALE);
		break;
	case EGW_TCP_OPT_SACK_PERM:
		if (len == LEN_SACK_PERM)
			o->sack_ok = 1;
		break;
	case EGW_TCP_OPT_SACK:
		if (len > 2 && (len - 2) % SACK_BLOCK == 0) {
			o->n_sack = (uint8_t)((len - 2) / SACK_BLOCK);
			o->sack_at = (uint16_t)(at + 2);
		}
		break;
	case EGW_TCP_OPT_TS:
		if (len == LEN_TS)
			take_ts(o, hdr, at + 2);
		break;
	default:
		break;
	}
}

int egw_tcp_opts_read(const struct rte_tcp_hdr *th, struct egw_tcp_opts *o)
{
	const uint8_t *hdr = (const uint8_t *)th;
	const unsigned end = (unsigned)(th->data_off >> 4) * 4;
	unsigned i = TCP_HDR_LEN;

	memset(o, 0, sizeof(*o));
	o->wscale = EGW_TCP_NO_WSCALE;
	if (end < TCP_HDR_LEN)
		return -1;
	/* The common case of every segment after a handshake with timestamps. */
	if (end == TCP_HDR_LEN + 12 && hdr[20] == EGW_TCP_OPT_NOP && hdr[21] == EGW_TCP_OPT_NOP &&
		hdr[22] == EGW_TCP_OPT_TS && hdr[23] == LEN_TS) {
		take_ts(o, hdr, 24);
		return 0;
	}
	while (i < end && hdr[i] != EGW_TCP_OPT_EOL) {
		if (hdr[i] == EGW_TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= end || hdr[i + 1] < 2 || hdr[i + 1] > end - i)
			return -1;
		take(o, hdr, i, hdr[i], hdr[i + 1]);
		i += hdr[i + 1];
	}
	return 0;
}

unsigned egw_tcp_opts_write_ts(uint8_t *buf, uint32_t tsval, uint32_t tsecr)
{
	buf[0] = EGW_TCP_OPT_NOP;
	buf[1] = EGW_TCP_OPT_NOP;
	buf[2] = EGW_TCP_OPT_TS;
	buf[3] = LEN_TS;
	wr32(buf + 4, tsval);
	wr32(buf + 8, tsecr);
	return 12;
}

unsigned egw_tcp_opts_write_syn(uint8_t *buf, const struct egw_tcp_opts *o)
{
	unsigned n = 0;

	if (o->mss) {
		buf[n++] = EGW_TCP_OPT_MSS;
		buf[n++] = LEN_MSS;
		buf[n++] = (uint8_t)(o->mss >> 8);
		buf[n++] = (uint8_t)o->mss;
	}
	if (o->has_ts) {
		n += egw_tcp_opts_write_ts(buf + n, o->tsval, o->tsecr);
		/* SACK-permitted takes the place of the two NOPs before the timestamps. */
		if (o->sack_ok) {
			buf[n - 12] = EGW_TCP_OPT_SACK_PERM;
			buf[n - 11] = LEN_SACK_PERM;
		}
	} else if (o->sack_ok) {
		buf[n++] = EGW_TCP_OPT_NOP;
		buf[n++] = EGW_TCP_OPT_NOP;
		buf[n++] = EGW_TCP_OPT_SACK_PERM;
		buf[n++] = LEN_SACK_PERM;
	}
	if (o->wscale != EGW_TCP_NO_WSCALE) {
		buf[n++] = EGW_TCP_OPT_NOP;
		buf[n++] = EGW_TCP_OPT_WSCALE;
		buf[n++] = LEN_WSCALE;
		buf[n++] = o->wscale;
	}
	return n;
}
