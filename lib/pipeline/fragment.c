/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 fragment trains translated by their first fragment (fragment.h). Notes are keyed by the
 * train as received, on the worker egw_pl_frag_owner() names: the later fragments go there
 * straight from the receiving worker; the first one goes to its flow's worker, is translated
 * there and relayed when that is another worker, so that the note and the fragments waiting
 * for it meet on one worker.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "fragment.h"
#include "pipeline_internal.h"

enum { FRAG_FREE = 0, FRAG_WAITING, FRAG_KNOWN };

#define IP_ID_OFF 4
#define IP_TTL_OFF 8
#define IP_CSUM_OFF 10
#define IP_SRC_OFF 12
#define IP_DST_OFF 16

static inline uint32_t train_hash(uint32_t src, uint32_t dst, uint16_t id, uint8_t proto)
{
	uint32_t h =
		src * 0x9e3779b1u ^ dst * 0x85ebca6bu ^ ((uint32_t)id << 8 | proto) * 0xc2b2ae35u;

	return h ^ (h >> 16);
}

static inline uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* Writes V at P, a 16-bit-aligned field of the IPv4 header IP, keeping its checksum right. */
static inline void set16(uint8_t *ip, uint8_t *p, uint16_t v)
{
	uint16_t c = egw_csum_update16(rd16(ip + IP_CSUM_OFF), rd16(p), v);

	memcpy(ip + IP_CSUM_OFF, &c, 2);
	memcpy(p, &v, 2);
}

static inline void set32(uint8_t *ip, uint8_t *p, uint32_t v)
{
	uint16_t c = egw_csum_update32(rd16(ip + IP_CSUM_OFF), rd32(p), v);

	memcpy(ip + IP_CSUM_OFF, &c, 2);
	memcpy(p, &v, 4);
}

/* No notes, every slot free. */
static void reset(struct egw_frag *fr)
{
	memset(fr->train, 0, (size_t)fr->n * sizeof(fr->train[0]));
	for (unsigned i = 0; i <= fr->mask; i++)
		fr->bucket[i] = EGW_FRAG_NONE;
	for (unsigned i = 0; i < fr->n; i++)
		fr->held_next[i] = (uint16_t)(i + 1 < fr->n ? i + 1 : EGW_FRAG_NONE);
	fr->held_free = 0;
	fr->hand = 0;
	fr->swept = 0;
}

/* Where the arrays of N notes lie in their one allocation (offsets); its size. */
struct layout {
	unsigned n, buckets;
	size_t bucket_off, held_off, next_off, size;
};

static struct layout layout_of(unsigned n)
{
	struct layout l = { .buckets = 16 };

	l.n = n ? RTE_MIN(RTE_MAX(n, 16u), (unsigned)EGW_FRAG_TRAINS_MAX) : EGW_FRAG_TRAINS;
	while (l.buckets < 2 * l.n)
		l.buckets *= 2;
	l.bucket_off = RTE_ALIGN_CEIL((size_t)l.n * sizeof(struct egw_frag_train), 8);
	l.held_off = l.bucket_off + RTE_ALIGN_CEIL((size_t)l.buckets * sizeof(uint16_t), 8);
	l.next_off = l.held_off + (size_t)l.n * sizeof(struct rte_mbuf *);
	l.size = l.next_off + (size_t)l.n * sizeof(uint16_t);
	return l;
}

size_t egw_pl_frag_bytes(unsigned n)
{
	return layout_of(n).size;
}

int egw_pl_frag_init(struct egw_frag *fr, unsigned n, uint32_t timeout, int socket)
{
	const struct layout l = layout_of(n);
	uint8_t *mem;

	memset(fr, 0, sizeof(*fr));
	mem = rte_malloc_socket("egw_frag", l.size, RTE_CACHE_LINE_SIZE, socket);
	if (!mem)
		return -ENOMEM;
	fr->mem = mem;
	fr->train = (struct egw_frag_train *)mem;
	fr->bucket = (uint16_t *)(mem + l.bucket_off);
	fr->held = (struct rte_mbuf **)(mem + l.held_off);
	fr->held_next = (uint16_t *)(mem + l.next_off);
	fr->n = (uint16_t)l.n;
	fr->mask = (uint16_t)(l.buckets - 1);
	fr->timeout = timeout ? timeout : EGW_FRAG_TIMEOUT_S;
	reset(fr);
	return 0;
}

void egw_pl_frag_fini(struct egw_frag *fr)
{
	rte_free(fr->mem);
	fr->mem = NULL;
}

unsigned egw_pl_frag_owner(const struct egw_pkt_meta *meta, unsigned n)
{
	uint32_t h = train_hash(meta->src, meta->dst, meta->ip_id, meta->proto);

	return (unsigned)(((uint64_t)h * n) >> 32);
}

static inline bool expired(const struct egw_worker *w, const struct egw_frag_train *t)
{
	return w->now - t->born > w->frag.timeout;
}

static uint16_t find(const struct egw_frag *fr, const struct egw_pkt_meta *meta)
{
	uint16_t i =
		fr->bucket[train_hash(meta->src, meta->dst, meta->ip_id, meta->proto) & fr->mask];

	while (i != EGW_FRAG_NONE) {
		const struct egw_frag_train *t = &fr->train[i];
		if (t->src == meta->src && t->dst == meta->dst && t->id == meta->ip_id &&
			t->proto == meta->proto)
			return i;
		i = t->next;
	}
	return EGW_FRAG_NONE;
}

static void unlink_train(struct egw_frag *fr, uint16_t idx)
{
	struct egw_frag_train *t = &fr->train[idx];
	uint16_t *at = &fr->bucket[train_hash(t->src, t->dst, t->id, t->proto) & fr->mask];

	while (*at != idx)
		at = &fr->train[*at].next;
	*at = t->next;
}

/* Forgets note IDX; the fragments still waiting on it are dropped. */
static void release(struct egw_worker *w, uint16_t idx)
{
	struct egw_frag *fr = &w->frag;
	struct egw_frag_train *t = &fr->train[idx];

	for (uint16_t s = t->held_head; s != EGW_FRAG_NONE;) {
		uint16_t next = fr->held_next[s];
		w->stats.fragments_timed_out++;
		egw_drop(&w->stats, fr->held[s], EGW_DROP_IP_FRAGMENT_TIMEOUT);
		fr->held_next[s] = fr->held_free;
		fr->held_free = s;
		s = next;
	}
	unlink_train(fr, idx);
	t->state = FRAG_FREE;
}

/*
 * A note for META's train, the oldest one taken. EVICT: even if it is still alive (a first
 * fragment, admitted by its flow, outranks whatever the note held). EGW_FRAG_NONE when every
 * note is alive and !EVICT.
 */
static uint16_t take(struct egw_worker *w, const struct egw_pkt_meta *meta, bool evict)
{
	struct egw_frag *fr = &w->frag;
	uint16_t idx = fr->hand;
	struct egw_frag_train *t = &fr->train[idx];
	uint16_t *head;

	if (t->state != FRAG_FREE) {
		if (!evict && !expired(w, t))
			return EGW_FRAG_NONE;
		release(w, idx);
	}
	fr->hand = (uint16_t)((idx + 1) % fr->n);
	*t = (struct egw_frag_train){ .src = meta->src,
		.dst = meta->dst,
		.id = meta->ip_id,
		.proto = meta->proto,
		.state = FRAG_WAITING,
		.born = w->now,
		.neigh = EGW_NEIGH_NONE,
		.held_head = EGW_FRAG_NONE,
		.held_tail = EGW_FRAG_NONE };
	head = &fr->bucket[train_hash(t->src, t->dst, t->id, t->proto) & fr->mask];
	t->next = *head;
	*head = idx;
	return idx;
}

/* M waits on note IDX for its first fragment; dropped when no slot is free. */
static void hold(struct egw_worker *w, uint16_t idx, struct rte_mbuf *m)
{
	struct egw_frag *fr = &w->frag;
	struct egw_frag_train *t = &fr->train[idx];
	uint16_t s = fr->held_free;

	if (s == EGW_FRAG_NONE) {
		egw_drop(&w->stats, m, EGW_DROP_IP_FRAGMENT_TIMEOUT);
		return;
	}
	fr->held_free = fr->held_next[s];
	fr->held[s] = m;
	fr->held_next[s] = EGW_FRAG_NONE;
	if (t->held_tail == EGW_FRAG_NONE)
		t->held_head = s;
	else
		fr->held_next[t->held_tail] = s;
	t->held_tail = s;
	w->stats.fragments_held++;
}

/* Forwards M, a fragment of known train T, already translated. */
static void forward(struct egw_worker *w, struct egw_frag_train *t, struct rte_mbuf *m)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, RTE_ETHER_HDR_LEN);
	struct egw_dataplane *dp = w->dp;

	w->stats.fragments_forwarded++;
	egw_pl_forward(w, m, t->out_port, &t->neigh, rd32(ip + IP_DST_OFF),
		t->outbound ? &dp->to_outside : &dp->to_inside, t->outbound);
}

/* A later fragment M of known train T: rewritten as its first fragment was, and sent on. */
static void send_later(struct egw_worker *w, struct egw_frag_train *t, struct rte_mbuf *m)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, RTE_ETHER_HDR_LEN);
	uint8_t *addr = ip + (t->outbound ? IP_SRC_OFF : IP_DST_OFF);
	uint16_t ip_len = rte_be_to_cpu_16(rd16(ip + 2));

	/* Its first fragment got the time exceeded (or too big) error: one per train. */
	if (ip[IP_TTL_OFF] <= 1) {
		egw_drop(&w->stats, m, EGW_DROP_TTL_EXCEEDED);
		return;
	}
	if (ip_len > w->dp->ports[t->out_port].mtu) {
		egw_drop(&w->stats, m, EGW_DROP_MTU_EXCEEDED);
		return;
	}
	if (rd32(addr) != t->new_addr)
		set32(ip, addr, t->new_addr);
	if (rd16(ip + IP_ID_OFF) != t->new_id)
		set16(ip, ip + IP_ID_OFF, t->new_id);
	forward(w, t, m);
}

/* The fragments that waited on note IDX, now known, leave in the order they came. */
static void send_held(struct egw_worker *w, uint16_t idx)
{
	struct egw_frag *fr = &w->frag;
	struct egw_frag_train *t = &fr->train[idx];

	for (uint16_t s = t->held_head; s != EGW_FRAG_NONE;) {
		uint16_t next = fr->held_next[s];
		send_later(w, t, fr->held[s]);
		fr->held_next[s] = fr->held_free;
		fr->held_free = s;
		s = next;
	}
	t->held_head = t->held_tail = EGW_FRAG_NONE;
}

void egw_pl_frag_later(struct egw_worker *w, struct rte_mbuf *m)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, RTE_ETHER_HDR_LEN);
	/* The train's key, read again: the parser checked the header. */
	const struct egw_pkt_meta key = { .src = rd32(ip + IP_SRC_OFF),
		.dst = rd32(ip + IP_DST_OFF),
		.ip_id = rd16(ip + IP_ID_OFF),
		.proto = ip[9] };
	const struct egw_pkt_meta *meta = &key;
	uint16_t idx = find(&w->frag, meta);

	if (idx != EGW_FRAG_NONE && expired(w, &w->frag.train[idx])) {
		release(w, idx);
		idx = EGW_FRAG_NONE;
	}
	if (idx == EGW_FRAG_NONE) {
		/* Before its first: it waits, but never pushes out a live train. */
		idx = take(w, meta, false);
		if (idx == EGW_FRAG_NONE) {
			egw_drop(&w->stats, m, EGW_DROP_IP_FRAGMENT_TIMEOUT);
			return;
		}
	}
	if (w->frag.train[idx].state == FRAG_KNOWN)
		send_later(w, &w->frag.train[idx], m);
	else
		hold(w, idx, m);
}

/*
 * The first fragment M of META's train (as received), translated, leaves by OUT_PORT: noted,
 * forwarded, and the fragments that waited follow it.
 */
static void first_here(struct egw_worker *w, struct rte_mbuf *m, const struct egw_pkt_meta *meta,
	uint16_t out_port, bool outbound, bool hairpin)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, RTE_ETHER_HDR_LEN);
	uint16_t idx = find(&w->frag, meta);
	struct egw_frag_train *t;

	if (idx == EGW_FRAG_NONE)
		idx = take(w, meta, true);
	t = &w->frag.train[idx];
	t->state = FRAG_KNOWN;
	t->born = w->now;
	t->new_addr = rd32(ip + (outbound ? IP_SRC_OFF : IP_DST_OFF));
	t->new_id = rd16(ip + IP_ID_OFF);
	t->out_port = out_port;
	t->outbound = outbound;
	t->neigh = hairpin ? EGW_NEIGH_HAIRPIN : EGW_NEIGH_NONE;
	forward(w, t, m);
	send_held(w, idx);
}

/* An ID for a train leaving with one of our addresses: this worker's share of the 2^16. */
static uint16_t next_id(struct egw_worker *w)
{
	const unsigned n = w->dp->n_workers;
	const uint32_t span = 65536u / n;
	uint16_t id = (uint16_t)((w->frag.id_counter % span) * n + w->id);

	w->frag.id_counter = (uint16_t)((w->frag.id_counter + 1) % span);
	return rte_cpu_to_be_16(id);
}

void egw_pl_frag_first(struct egw_worker *w, struct rte_mbuf *m, struct egw_pkt_meta *meta,
	uint16_t out_port, bool outbound, bool nat, bool hairpin)
{
	struct egw_dataplane *dp = w->dp;
	unsigned owner = egw_pl_frag_owner(meta, dp->n_workers);

	/* Trains of different inside hosts may carry one ID; leaving with one address, they
	 * must not (RFC 6864 4.1): the receiver would mix their pieces. */
	if (outbound && nat) {
		uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, RTE_ETHER_HDR_LEN);
		set16(ip, ip + IP_ID_OFF, next_id(w));
	}
	if (owner == w->id) {
		first_here(w, m, meta, out_port, outbound, hairpin);
		return;
	}
	meta->frag = EGW_PKT_FRAG_RELAYED;
	meta->sport = out_port;
	meta->dport = (uint16_t)(outbound | hairpin << 1);
	egw_pkt_meta_carry(m, dp->meta_off, meta);
	if (rte_ring_enqueue(dp->handoff[w->id][owner], m) < 0)
		egw_drop(&w->stats, m, EGW_DROP_HANDOFF_FULL);
	else
		w->stats.handoffs_out++;
}

void egw_pl_frag_relayed(struct egw_worker *w, struct rte_mbuf *m, const struct egw_pkt_meta *meta)
{
	first_here(w, m, meta, meta->sport, meta->dport & 1, meta->dport & 2);
}

void egw_pl_frag_expire(struct egw_worker *w)
{
	struct egw_frag *fr = &w->frag;

	if (fr->swept == w->now)
		return;
	fr->swept = w->now;
	for (uint16_t i = 0; i < fr->n; i++)
		if (fr->train[i].state != FRAG_FREE && expired(w, &fr->train[i]))
			release(w, i);
}

unsigned egw_pl_frag_drain(struct egw_worker *w)
{
	struct egw_frag *fr = &w->frag;
	unsigned n = 0;

	for (uint16_t i = 0; i < fr->n; i++) {
		struct egw_frag_train *t = &fr->train[i];
		for (uint16_t s = t->held_head; t->state != FRAG_FREE && s != EGW_FRAG_NONE;) {
			egw_drop(&w->stats, fr->held[s], EGW_DROP_SHUTDOWN);
			s = fr->held_next[s];
			n++;
		}
	}
	reset(fr);
	return n;
}
