/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FLOW_TCP_OPTS_H
#define EGW_FLOW_TCP_OPTS_H

#include <stdint.h>

#include <rte_tcp.h>

#include "tcp_window.h"

/*
 * TCP options (RFC 9293 3.2, RFC 7323, RFC 2018): the one option parser of the project (window
 * tracking reads the window scale through it) and the option lists of the segments the
 * appliance writes (lib/net/tcp_craft.h). Offsets are from the start of the TCP header, so that
 * a rewrite (lib/flow/splice.h) can update a value in place.
 */
struct egw_tcp_opts {
	uint16_t mss;	  /* host order; 0: absent */
	uint8_t wscale;	  /* shift, at most EGW_TCP_MAX_WSCALE; EGW_TCP_NO_WSCALE: absent */
	uint8_t sack_ok;  /* SACK-permitted present */
	uint8_t has_ts;	  /* timestamps option present */
	uint8_t n_sack;	  /* SACK blocks present (0-4) */
	uint16_t ts_at;	  /* offset of the TS option's TSval (TSecr follows), valid if has_ts */
	uint16_t sack_at; /* offset of the first SACK block (left edge, right edge), if n_sack */
	uint32_t tsval, tsecr; /* host order */
};

#define EGW_TCP_OPT_EOL 0
#define EGW_TCP_OPT_NOP 1
#define EGW_TCP_OPT_MSS 2
#define EGW_TCP_OPT_WSCALE 3
#define EGW_TCP_OPT_SACK_PERM 4
#define EGW_TCP_OPT_SACK 5
#define EGW_TCP_OPT_TS 8

#define EGW_TCP_OPTS_MAX 40 /* option bytes a TCP header can hold */

/*
 * Reads the options of TCP header TH (its data offset says how long it is; the caller checked
 * that the whole header lies in the packet). An option of a known kind with a length that is
 * not its own is ignored, as receivers do. Returns 0, or -1 when the list is malformed (data
 * offset under 5, an option without its length byte, a length under 2 or running past the
 * header): what was read before the fault is kept in *O (a receiver's walk ends there too).
 * A list of NOP, NOP, timestamps only (what Linux and most stacks send on every segment) is
 * read without the walk.
 */
int egw_tcp_opts_read(const struct rte_tcp_hdr *th, struct egw_tcp_opts *o);

/*
 * Writes the options of a SYN or SYN-ACK into BUF (EGW_TCP_OPTS_MAX bytes): MSS, SACK-permitted,
 * timestamps (O's tsval and tsecr) and window scale as present in O, in Linux's order, padded
 * with NOPs. Returns the length written: a multiple of 4, at most 20.
 */
unsigned egw_tcp_opts_write_syn(uint8_t *buf, const struct egw_tcp_opts *o);

/* Writes NOP, NOP, timestamps (TSVAL, TSECR, host order) into BUF: 12 bytes, returns 12. */
unsigned egw_tcp_opts_write_ts(uint8_t *buf, uint32_t tsval, uint32_t tsecr);

#endif
