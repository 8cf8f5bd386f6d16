/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS through the appliance (issue 11), on the worker that owns the DNS flow, once per DNS
 * packet (flows to UDP or TCP port 53; every other packet pays one compare in flow_packet;
 * over TCP, a segment that holds a whole length-prefixed message, as DNS clients and servers
 * write them, is read, a message split over segments is not):
 *
 * - a query leaving: with dns_filter, a name no policy permits to its source is answered
 *   NXDOMAIN here (the query becomes the answer, sent back where it came from); an A query
 *   that leaves is remembered (flow, ID, question: 16 bytes) in a small per-worker table;
 * - an answer coming back, before any timer can end the flow: it is learned from only when
 *   a query of its flow with its ID and question waits (an outside host cannot teach names
 *   by sending answers nobody asked for), its A records and CNAME chains go to the worker's
 *   journal (lib/names), which the control thread merges and publishes to every worker;
 *   with dns_filter, `ech` leaves its HTTPS/SVCB records (or it is dropped when it cannot).
 *
 * Nothing here drops a packet for being unreadable DNS: a malformed answer is counted and
 * passes untouched, unlearned. Only dns_filter decides about queries it cannot read (see
 * filter_query) and about answers whose ech it cannot remove.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_udp.h>

#include "dns_snoop.h"
#include "names/names.h"
#include "pipeline_internal.h"
#include "policy/decide.h"

#define BUCKET_WAYS 4
#define N_BUCKETS (EGW_DNS_PENDING_SLOTS / BUCKET_WAYS)
#define UDP_HDR 8

_Static_assert((N_BUCKETS & (N_BUCKETS - 1)) == 0, "buckets are a power of two");

int egw_dns_snoop_init(struct egw_dns_snoop *s, const char *prefix, unsigned id, int socket)
{
	char name[32];

	memset(s, 0, sizeof(*s));
	snprintf(name, sizeof(name), "%s_names%u", prefix, id);
	s->journal = egw_names_journal_create(name, EGW_DNS_JOURNAL_CELLS, socket);
	s->pending = rte_zmalloc_socket("egw_dns_pending",
		EGW_DNS_PENDING_SLOTS * sizeof(*s->pending), RTE_CACHE_LINE_SIZE, socket);
	if (!s->journal || !s->pending) {
		egw_dns_snoop_fini(s);
		rte_errno = ENOMEM;
		return -ENOMEM;
	}
	return 0;
}

void egw_dns_snoop_fini(struct egw_dns_snoop *s)
{
	egw_names_journal_free(s->journal);
	rte_free(s->pending);
	s->journal = NULL;
	s->pending = NULL;
}

static inline struct egw_dns_pending *bucket_of(const struct egw_dns_snoop *s, uint32_t flow,
	uint16_t id)
{
	uint32_t h = (flow * 0x9e3779b1u) ^ ((uint32_t)id * 0x85ebca6bu);

	return &s->pending[(size_t)((h ^ (h >> 15)) & (N_BUCKETS - 1)) * BUCKET_WAYS];
}

/* Remembers query KEY of flow FLOW: a free way, an expired one, else the one nearest expiry. */
static void remember(struct egw_dns_snoop *s, uint32_t flow, const struct egw_dns_qkey *key,
	uint32_t now)
{
	struct egw_dns_pending *b = bucket_of(s, flow, key->id), *victim = b;

	for (unsigned i = 0; i < BUCKET_WAYS; i++) {
		if (b[i].expires <= now || (b[i].flow == flow && b[i].key.id == key->id)) {
			victim = &b[i];
			break;
		}
		if (b[i].expires < victim->expires)
			victim = &b[i];
	}
	*victim = (struct egw_dns_pending){ flow, now + EGW_DNS_PENDING_SECS, *key };
}

/* The query of flow FLOW with ID waiting for its answer, taken out into *KEY; false: none. */
static bool take_query(struct egw_dns_snoop *s, uint32_t flow, uint16_t id, uint32_t now,
	struct egw_dns_qkey *key)
{
	struct egw_dns_pending *b = bucket_of(s, flow, id);

	for (unsigned i = 0; i < BUCKET_WAYS; i++)
		if (b[i].flow == flow && b[i].key.id == id && b[i].expires > now) {
			*key = b[i].key;
			b[i].expires = 0; /* one answer per query: a copy teaches nothing new */
			return true;
		}
	return false;
}

static inline uint8_t *dns_msg(struct rte_mbuf *m, const struct egw_pkt_meta *meta)
{
	return rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l4_off + UDP_HDR);
}

/*
 * M's DNS message is now LEN bytes: the frame, IP and UDP lengths follow and both checksums
 * are computed again (a rare path: a filtered query, an answer that lost ech). False when the
 * frame cannot grow that much.
 */
static bool udp_resize(struct rte_mbuf *m, struct egw_pkt_meta *meta, uint32_t len)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, meta->l3_off);
	struct rte_udp_hdr *udp = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, meta->l4_off);
	const uint32_t frame = meta->l4_off + UDP_HDR + len;
	const uint16_t ip_len = (uint16_t)(frame - meta->l3_off);

	/* The frame may carry Ethernet padding past the IP packet: its end is set, not moved. */
	if (frame > m->data_len) {
		if (!rte_pktmbuf_append(m, (uint16_t)(frame - m->data_len)))
			return false;
	} else if (frame < m->data_len && rte_pktmbuf_trim(m, (uint16_t)(m->data_len - frame))) {
		return false;
	}
	ip->total_length = rte_cpu_to_be_16(ip_len);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = egw_csum_full(ip, (size_t)(meta->l4_off - meta->l3_off));
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(UDP_HDR + len));
	if (udp->dgram_cksum != 0) { /* 0: the sender sent none (RFC 768), none it stays */
		udp->dgram_cksum = 0;
		udp->dgram_cksum =
			egw_csum_l4(ip->src_addr, ip->dst_addr, IPPROTO_UDP, udp, UDP_HDR + len);
		if (udp->dgram_cksum == 0)
			udp->dgram_cksum = 0xffff;
	}
	meta->ip_len = ip_len;
	meta->l4_len = (uint16_t)(UDP_HDR + len);
	return true;
}

/*
 * The query in M becomes the appliance's NXDOMAIN answer to it, sent back out of the port it
 * came in on. The query counts as dropped (dns_filtered) and the answer as a packet the
 * appliance made, as with the ICMP errors it sends. An answer that cannot be built (the
 * query is not one it can answer, no room) leaves the query dropped, unanswered.
 */
static void answer_nxdomain(struct egw_worker *w, struct rte_mbuf *m, struct egw_pkt_meta *meta)
{
	const struct egw_port_info *in = &w->dp->ports[m->port];
	uint32_t qlen = meta->l4_len - UDP_HDR;
	uint32_t cap = qlen + rte_pktmbuf_tailroom(m);
	int n = m->nb_segs == 1 ? egw_dns_build_nxdomain(dns_msg(m, meta), qlen, dns_msg(m, meta),
					  cap > 512 ? 512 : cap) :
				  -EINVAL;
	struct rte_udp_hdr *udp = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, meta->l4_off);
	uint16_t port;

	w->stats.drops[EGW_DROP_DNS_FILTERED]++;
	if (n < 0) {
		rte_pktmbuf_free(m);
		return;
	}
	egw_l3_reflect(m, meta, &in->mac);
	port = udp->src_port;
	udp->src_port = udp->dst_port;
	udp->dst_port = port;
	if (!udp_resize(m, meta, (uint32_t)n)) {
		rte_pktmbuf_free(m);
		return;
	}
	w->stats.dns_nxdomain_sent++;
	egw_pl_tx_enqueue(w, m->port, m);
}

/*
 * dns_filter: may this query leave? A query it cannot read (malformed, several questions, an
 * opcode other than QUERY) or whose name is not a host name is decided without a name: by
 * the policies that permit or block every name for its source (an allow to any destination
 * permits it, a deny of everything blocks it), else by the mode. So an unreadable query is
 * never a way around the filter, and never refused where no name could be refused anyway.
 */
static bool filter_permits(const struct egw_snapshot *snap, const struct egw_pkt_meta *meta,
	enum egw_dns_status st, const struct egw_dns_question *q)
{
	const bool named = st == EGW_DNS_OK && q->name_state == EGW_HOSTNAME_VALID;

	return egw_policy_dns_permits(snap, rte_be_to_cpu_32(meta->src), named ? q->name : NULL,
		named ? q->name_len : 0, NULL);
}

/* Where a packet's DNS message is: a UDP datagram's payload, or over TCP (RFC 1035 4.2.2) a
 * segment that holds a whole length-prefixed message (WHOLE false: a part of one). */
struct dns_seg {
	uint8_t *msg;
	uint32_t len;
	bool tcp, whole;
};

/* M's message into *S. False when there is nothing to look at (a TCP segment without data). */
static bool locate(struct rte_mbuf *m, const struct egw_pkt_meta *meta, struct dns_seg *s)
{
	uint8_t *l4 = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l4_off);
	uint32_t hdr, msg_len = 0;

	s->tcp = meta->proto == IPPROTO_TCP;
	if (!s->tcp) {
		*s = (struct dns_seg){ l4 + UDP_HDR, meta->l4_len - UDP_HDR, false, true };
		return true;
	}
	hdr = (uint32_t)(l4[12] >> 4) * 4; /* the parser checked it against l4_len */
	if (meta->l4_len <= hdr)
		return false;
	s->whole = egw_dns_tcp_message(l4 + hdr, meta->l4_len - hdr, &msg_len) == EGW_DNS_OK;
	s->msg = l4 + hdr + 2;
	s->len = s->whole ? msg_len : 0;
	return true;
}

/* A query leaving on flow F. True when it was consumed (filtered). */
static bool query_out(struct egw_worker *w, const struct egw_snapshot *snap, struct rte_mbuf *m,
	struct egw_pkt_meta *meta, const struct egw_flow *f, const struct dns_seg *s)
{
	struct egw_dns_question q;
	enum egw_dns_status st =
		s->whole ? egw_dns_parse_query(s->msg, s->len, &q) : EGW_DNS_MALFORMED;

	if (snap->dns_filter && !filter_permits(snap, meta, st, &q)) {
		/* Over TCP no answer can be slipped into the client's stream: the segment is
		 * dropped, and so are its retransmissions, until the client gives up. */
		if (s->tcp)
			egw_drop(&w->stats, m, EGW_DROP_DNS_FILTERED);
		else
			answer_nxdomain(w, m, meta);
		return true;
	}
	if (st == EGW_DNS_OK && q.key.qtype == EGW_DNS_TYPE_A && q.key.qclass == EGW_DNS_CLASS_IN) {
		remember(&w->dns, egw_flow_index(w->ft, f), &q.key, w->now);
		w->stats.dns_queries++;
	}
	return false;
}

/* dns_filter: the answer in M without `ech`. False when it was dropped (it could not be). */
static bool strip_ech(struct egw_worker *w, struct rte_mbuf *m, struct egw_pkt_meta *meta)
{
	uint32_t len = meta->l4_len - UDP_HDR;
	int n = m->nb_segs == 1 ? egw_dns_strip_ech(dns_msg(m, meta), len) : -ENOTSUP;

	if (n == (int)len)
		return true;
	if (n >= 0 && udp_resize(m, meta, (uint32_t)n)) {
		w->stats.dns_ech_stripped++;
		return true;
	}
	/* Malformed or not rewritable: an ECH config must not reach a client the filter
	 * governs. */
	egw_drop(&w->stats, m, EGW_DROP_DNS_ECH_KEPT);
	return false;
}

/*
 * dns_filter over TCP: the stream's sequence numbers cannot follow a shorter message, so an
 * answer that would lose ech is dropped instead. False when it was.
 */
static bool tcp_ech_absent(struct egw_worker *w, struct rte_mbuf *m, const struct dns_seg *s)
{
	if (s->whole && m->nb_segs == 1 && egw_dns_strip_ech(s->msg, s->len) == (int)s->len)
		return true;
	/* A part of a message is passed: what it holds cannot be read. */
	if (!s->whole)
		return true;
	egw_drop(&w->stats, m, EGW_DROP_DNS_ECH_KEPT);
	return false;
}

/* An answer coming back on flow F. True when it was consumed (dropped). */
static bool answer_in(struct egw_worker *w, const struct egw_snapshot *snap, struct rte_mbuf *m,
	struct egw_pkt_meta *meta, const struct egw_flow *f, const struct dns_seg *s)
{
	const uint8_t *msg = s->msg;
	const uint32_t len = s->len;
	struct egw_dns_answer a;
	struct egw_dns_qkey key;
	enum egw_dns_status st;

	if (!s->whole) {
		/* A TCP segment with a part of a message: not learned from (nor counted). */
	} else if (len < EGW_DNS_HDR_LEN) {
		w->stats.dns_answers_malformed++;
	} else if (!take_query(&w->dns, egw_flow_index(w->ft, f), (uint16_t)(msg[0] << 8 | msg[1]),
			   w->now, &key)) {
		w->stats.dns_answers_unmatched++;
	} else {
		st = egw_dns_parse_answer(msg, len, &key, &a);
		if (st == EGW_DNS_OK) {
			if (egw_names_journal_push(w->dns.journal, &a, w->now))
				w->stats.dns_answers_learned++;
		} else if (st == EGW_DNS_MISMATCH) {
			w->stats.dns_answers_unmatched++;
		} else {
			w->stats.dns_answers_malformed++;
		}
	}
	if (!snap->dns_filter)
		return false;
	return s->tcp ? !tcp_ech_absent(w, m, s) : !strip_ech(w, m, meta);
}

bool egw_dns_snoop_packet(struct egw_worker *w, const struct egw_snapshot *snap, struct rte_mbuf *m,
	struct egw_pkt_meta *meta, struct egw_flow *f, unsigned dir)
{
	struct dns_seg s;

	if (meta->kind != EGW_PKT_IPV4 || meta->l4_len < UDP_HDR || !locate(m, meta, &s))
		return false;
	if (dir == EGW_DIR_ORIG)
		return query_out(w, snap, m, meta, f, &s);
	return answer_in(w, snap, m, meta, f, &s);
}
