/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker journals of what DNS answers taught: a single-producer single-consumer rte_ring
 * of 16-byte cells. A record is a header, the (address, TTL) pairs and the name, rounded up to
 * whole cells and enqueued in one bulk operation (all or nothing), so the control thread can
 * dequeue the header, learn the record's length and take the rest: it is already there.
 * Variable-length records cost a short name two cells instead of a fixed 270-byte slot.
 */
#include <stdalign.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "dns/dns.h"
#include "names_internal.h"

#define REC_MAX_BYTES                                                                              \
	(sizeof(struct names_rec_hdr) + EGW_DNS_LEARN_MAX * sizeof(struct names_rec_addr) +        \
		EGW_HOSTNAME_MAX)
#define REC_MAX_CELLS ((REC_MAX_BYTES + NAMES_CELL - 1) / NAMES_CELL)

struct egw_names_journal {
	struct rte_ring *ring;
	uint64_t dropped __rte_cache_aligned; /* the worker's own line */
};

struct egw_names_journal *egw_names_journal_create(const char *name, unsigned cells, int socket)
{
	struct egw_names_journal *j;

	if (cells < 2 * REC_MAX_CELLS || (cells & (cells - 1)) != 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	j = rte_zmalloc_socket("egw_names_journal", sizeof(*j), RTE_CACHE_LINE_SIZE, socket);
	if (!j) {
		rte_errno = ENOMEM;
		return NULL;
	}
	j->ring = rte_ring_create_elem(name, NAMES_CELL, cells, socket,
		RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!j->ring) {
		int e = rte_errno;

		rte_free(j);
		rte_errno = e;
		return NULL;
	}
	return j;
}

void egw_names_journal_free(struct egw_names_journal *j)
{
	if (!j)
		return;
	rte_ring_free(j->ring);
	rte_free(j);
}

static inline uint32_t rec_cells(uint32_t name_len, uint32_t n_addrs)
{
	return (uint32_t)(sizeof(struct names_rec_hdr) + n_addrs * sizeof(struct names_rec_addr) +
			  name_len + NAMES_CELL - 1) /
	       NAMES_CELL;
}

bool egw_names_journal_push(struct egw_names_journal *j, const struct egw_dns_answer *a,
	uint32_t now)
{
	alignas(16) uint8_t buf[REC_MAX_CELLS * NAMES_CELL];
	struct names_rec_hdr *h = (struct names_rec_hdr *)buf;
	struct names_rec_addr *ad = (struct names_rec_addr *)(h + 1);
	uint32_t n = a->n_addrs;

	if (a->q.name_state != EGW_HOSTNAME_VALID || a->rcode != 0 || n == 0 || a->q.name_len == 0)
		return false;
	if (n > EGW_DNS_LEARN_MAX)
		n = EGW_DNS_LEARN_MAX;
	*h = (struct names_rec_hdr){ .time = now,
		.name_len = a->q.name_len,
		.n_addrs = (uint8_t)n };
	for (uint32_t i = 0; i < n; i++) {
		ad[i].addr = rte_be_to_cpu_32(a->addrs[i].addr);
		ad[i].ttl = a->addrs[i].ttl;
	}
	memcpy(ad + n, a->q.name, a->q.name_len);
	if (rte_ring_sp_enqueue_bulk_elem(j->ring, buf, NAMES_CELL, rec_cells(a->q.name_len, n),
		    NULL) == 0) {
		/* Only this worker writes it; readers take it whole (64-bit aligned). */
		__atomic_store_n(&j->dropped, j->dropped + 1, __ATOMIC_RELAXED);
		return false;
	}
	return true;
}

uint64_t egw_names_journal_dropped(const struct egw_names_journal *j)
{
	return __atomic_load_n(&j->dropped, __ATOMIC_RELAXED);
}

struct rte_ring *egw_names_journal_ring(struct egw_names_journal *j)
{
	return j->ring;
}

/* Takes one record into BUF. False at the end of the journal or on garbage (counted). */
static bool take(struct egw_names_journal *j, struct egw_names_table *t, uint8_t *buf)
{
	const struct names_rec_hdr *h = (const struct names_rec_hdr *)buf;
	uint32_t cells;

	if (!rte_ring_sc_dequeue_bulk_elem(j->ring, buf, NAMES_CELL, 1, NULL))
		return false;
	cells = rec_cells(h->name_len, h->n_addrs);
	/* The producer enqueued the record whole: the rest is there. A header that does not add
	 * up cannot come from egw_names_journal_push(); it is counted and skipped cell by cell. */
	if (h->name_len == 0 || h->name_len > EGW_HOSTNAME_MAX || h->n_addrs == 0 ||
		h->n_addrs > EGW_DNS_LEARN_MAX ||
		(cells > 1 && rte_ring_sc_dequeue_bulk_elem(j->ring, buf + NAMES_CELL, NAMES_CELL,
				      cells - 1, NULL) == 0)) {
		names_table_note_bad_record(t);
		return false;
	}
	return true;
}

/*
 * Records are taken DRAIN_BATCH at a time and their names hashed first, so that the table's
 * slots of all of them are being fetched from memory while the first is learned: at a million
 * names every name lookup is a cache miss.
 */
#define DRAIN_BATCH 16

unsigned egw_names_journal_drain(struct egw_names_journal *j, struct egw_names_table *t,
	unsigned budget)
{
	alignas(16) uint8_t buf[DRAIN_BATCH][REC_MAX_CELLS * NAMES_CELL];
	uint64_t hash[DRAIN_BATCH];
	unsigned done = 0;

	while (done < budget) {
		unsigned n = 0, tried = 0;

		while (tried < DRAIN_BATCH && done + tried < budget &&
			rte_ring_count(j->ring) > 0) {
			tried++;
			if (take(j, t, buf[n])) {
				const struct names_rec_hdr *h = (const void *)buf[n];
				const struct names_rec_addr *ad = (const void *)(h + 1);

				hash[n] = names_table_prefetch(t, (const char *)(ad + h->n_addrs),
					h->name_len);
				n++;
			}
		}
		if (tried == 0)
			break;
		for (unsigned i = 0; i < n; i++) {
			const struct names_rec_hdr *h = (const void *)buf[i];
			const struct names_rec_addr *ad = (const void *)(h + 1);

			names_table_learn_record(t, (const char *)(ad + h->n_addrs), h->name_len,
				hash[i], ad, h->n_addrs, h->time);
		}
		done += tried;
	}
	return done;
}
