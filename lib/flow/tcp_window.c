/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "pkt/pkt.h"
#include "tcp_opts.h"
#include "tcp_window.h"

uint8_t egw_tcp_seg_wscale(const uint8_t *tcp)
{
	struct egw_tcp_opts o;

	/* A broken option list ends the walk, as a receiver's does: what came before holds. */
	(void)egw_tcp_opts_read((const struct rte_tcp_hdr *)tcp, &o);
	return o.wscale;
}

/* Both SYNs seen: the shifts hold only if both carried the option (RFC 7323 2.2). */
static void settle_scales(struct egw_tcp_window *tw)
{
	if (!(tw->flags[0] & tw->flags[1] & EGW_TCPW_WSCALE))
		tw->scale[0] = tw->scale[1] = 0;
}

#define EGW_TCPW_SYN 0x08 /* known from its SYN (else picked up mid-stream) */

/* The first segment from direction D (or a SYN again before the peer answered). */
void egw_tcp_window_learn_sender(struct egw_tcp_window *tw, unsigned d, const struct egw_tcp_seg *s)
{
	struct egw_tcp_dir *me = &tw->dir[d];

	me->end = s->seq + s->len;
	if (s->flags & EGW_TCP_SYN) {
		tw->flags[d] = EGW_TCPW_KNOWN | EGW_TCPW_SYN;
		tw->scale[d] = 0;
		if (s->wscale != EGW_TCP_NO_WSCALE) {
			tw->flags[d] |= EGW_TCPW_WSCALE;
			tw->scale[d] = RTE_MIN(s->wscale, (uint8_t)EGW_TCP_MAX_WSCALE);
		}
		me->maxwin = RTE_MAX((uint32_t)s->win, 1u); /* a SYN's window is not scaled */
		me->maxend = me->end;
		if (tw->flags[d ^ 1] & EGW_TCPW_SYN)
			settle_scales(tw);
		return;
	}
	/* Picked up mid-stream: the shift is unknown, assume the largest. */
	tw->flags[d] = EGW_TCPW_KNOWN;
	tw->scale[d] = EGW_TCP_MAX_WSCALE;
	me->maxwin = RTE_MAX((uint32_t)s->win << EGW_TCP_MAX_WSCALE, 1u);
	me->maxend = me->end + me->maxwin;
}
