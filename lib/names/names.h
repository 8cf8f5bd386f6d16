/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_NAMES_H
#define EGW_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostname/hostname.h"

/*
 * Names learned from DNS answers (SPEC 6, issue 11): which host names the addresses a flow
 * goes to were given for, so that `hosts` policies with protocol tcp, udp or any can match it.
 *
 * Three parts, one writer each:
 * - a journal per worker (rte_ring, single producer and consumer): a worker records each DNS
 *   answer of the flows it owns (question name, addresses, TTLs) and never waits;
 * - the table, on the control thread only: drains the journals and keeps name -> addresses,
 *   each address with an expiry of max(TTL, dns_min_ttl) from when it was learned, at most
 *   dns_max_per_name addresses per name and dns_max_entries (name, address) pairs in all
 *   (the entries closest to expiry go first; every eviction is counted);
 * - views, immutable: address -> the names learned for it, with their expiry, published through
 *   RCU for the workers (and the telemetry thread). A view is made of shards by address
 *   hash; a new view rebuilds only the shards that changed and shares the others.
 *
 * Time is in seconds of the workers' clock (struct egw_worker.now). A reader ignores expired
 * names itself, so expiry needs no republication; the table drops them to free memory.
 * Addresses are IPv4 in host byte order, like the classifier's keys.
 */

/* ---- workers: the journal ---- */

struct egw_dns_answer;
struct egw_names_journal;
struct rte_ring;

/* A journal of CELLS 16-byte cells (a power of two; an answer takes 2-33); NULL + rte_errno. */
struct egw_names_journal *egw_names_journal_create(const char *name, unsigned cells, int socket);
void egw_names_journal_free(struct egw_names_journal *j);

/*
 * Worker: records what answer A teaches (its question's name, when it is a host name, with each
 * address and its TTL) as learned at NOW. False when there was nothing to learn or the journal
 * was full (counted in egw_names_journal_dropped: the control thread is behind). Lock-free,
 * allocation-free; about one rte_ring bulk enqueue.
 */
bool egw_names_journal_push(struct egw_names_journal *j, const struct egw_dns_answer *a,
	uint32_t now);

/* Answers a full journal refused so far (written by the worker, read by anyone). */
uint64_t egw_names_journal_dropped(const struct egw_names_journal *j);

/* The journal's ring of 16-byte cells: tests and fuzzing write raw cells into it. */
struct rte_ring *egw_names_journal_ring(struct egw_names_journal *j);

/* ---- control thread: the table ---- */

struct egw_names_limits {
	uint32_t min_ttl;      /* [egress] dns_min_ttl */
	uint32_t max_per_name; /* [egress] dns_max_per_name */
	uint32_t max_entries;  /* [egress] dns_max_entries */
};

/* A TTL above this is cut to it (RFC 8767 4: 7 days), so no entry outlives a week. */
#define EGW_NAMES_TTL_MAX 604800u

struct egw_names_stats {
	uint64_t learned;	/* (name, address) entries added */
	uint64_t refreshed;	/* entries an answer kept alive longer */
	uint64_t expired;	/* entries removed at their expiry */
	uint64_t evicted_name;	/* removed for a name's dns_max_per_name */
	uint64_t evicted_total; /* removed for dns_max_entries */
	uint64_t records;	/* journal records merged */
	uint64_t bad_records;	/* journal records that did not parse (never expected) */
	uint64_t views;		/* views built */
	uint64_t shards_built;	/* shards rebuilt for those views (the others were shared) */
	uint32_t names, entries, addresses; /* now */
	size_t bytes;			    /* the table's own memory now (views not included) */
};

struct egw_names_table;

/* NULL with rte_errno (EINVAL: a zero limit, ENOMEM). SEED keys the hashes (random). */
struct egw_names_table *egw_names_table_create(const struct egw_names_limits *lim, uint64_t seed);
/* Frees the table. Views built from it stay valid until egw_names_view_free(). */
void egw_names_table_free(struct egw_names_table *t);

/*
 * New limits (a reload). A lower cap evicts at once (counted); a new min_ttl applies to what
 * is learned from now on. Learned entries survive: a reload never forgets names.
 */
void egw_names_table_set_limits(struct egw_names_table *t, const struct egw_names_limits *lim);

/*
 * Learns that NAME (LEN bytes, normalized: lib/hostname) had ADDR with TTL seconds, at NOW.
 * The entry lives until NOW + max(TTL, min_ttl), or longer if another answer said so (the
 * longest any client may still hold the answer). 0, -EINVAL (not a host name, address 0),
 * -ENOMEM.
 */
int egw_names_table_learn(struct egw_names_table *t, const char *name, size_t len, uint32_t addr,
	uint32_t ttl, uint32_t now);

/* Merges at most BUDGET records of J. Returns the records merged. */
unsigned egw_names_journal_drain(struct egw_names_journal *j, struct egw_names_table *t,
	unsigned budget);

/* Removes at most BUDGET entries that expired at NOW. Returns how many. */
unsigned egw_names_table_expire(struct egw_names_table *t, uint32_t now, unsigned budget);

/*
 * Does a view built at NOW differ from the last one? An address or name added or removed, or
 * an expiry the last view holds lying within EGW_NAMES_REFRESH_AHEAD seconds of NOW when an
 * answer has since extended it. (A refresh alone rebuilds nothing while the published
 * expiry is far: popular names are resolved over and over, and rebuilding a shard for each
 * answer would rebuild the whole table at every publication.)
 */
bool egw_names_table_due(const struct egw_names_table *t, uint32_t now);

#define EGW_NAMES_REFRESH_AHEAD 5

void egw_names_table_stats(const struct egw_names_table *t, struct egw_names_stats *s);

/* ---- the control loop ---- */

/*
 * How often a new view may be published at most: 5 per second keeps the cost of rebuilding the
 * changed shards bounded under a steady stream of answers (tools/bench/host_bench) while a
 * name a client just resolved reaches every worker well before it connects (a browser
 * connects within milliseconds of the answer; a worker that does not have the name yet
 * decides the flow without it).
 */
#define EGW_NAMES_PUBLISH_MS 200
/* Journal records merged per step at most, and expired entries removed: a bounded pause. */
#define EGW_NAMES_STEP_RECORDS 65536
#define EGW_NAMES_STEP_EXPIRE 65536

struct egw_names_step {
	uint64_t last_view_ms; /* when the last view was built; 0: never */
	uint64_t generation;   /* of the last view */
};

/*
 * Control thread, once per loop: drains the N journals J (EGW_NAMES_STEP_RECORDS records in
 * all at most), removes expired entries, and when a view is due (egw_names_table_due) and
 * EGW_NAMES_PUBLISH_MS have passed since the last (NOW_MS, any monotonic milliseconds), builds
 * and returns it for the caller to publish; NULL otherwise (or out of memory: tried again at
 * the next step). NOW is the workers' clock in seconds.
 */
struct egw_names_view *egw_names_step(struct egw_names_table *t, struct egw_names_journal *const *j,
	unsigned n, uint32_t now, uint64_t now_ms, struct egw_names_step *st);

/* ---- views ---- */

struct egw_names_view;

/*
 * Builds the view of the table at NOW, tagged GENERATION; shards with no change due (see
 * egw_names_table_due) are shared with the last view. NULL with rte_errno (ENOMEM). Control
 * thread.
 */
struct egw_names_view *egw_names_table_view(struct egw_names_table *t, uint64_t generation,
	uint32_t now);

/*
 * Control thread: one more holder of V (a view may be published for the workers and held by
 * the telemetry's observer view at once). Returns V.
 */
struct egw_names_view *egw_names_view_ref(struct egw_names_view *v);
/* Control thread: drops a holder; the last frees V and the shards only it held. */
void egw_names_view_free(struct egw_names_view *v);
/* The same with the signature of an RCU free function (lib/common/rcu.h). */
void egw_names_view_put(void *view);

uint64_t egw_names_view_generation(const struct egw_names_view *v);
uint32_t egw_names_view_entries(const struct egw_names_view *v);
size_t egw_names_view_bytes(const struct egw_names_view *v);

/* A name learned for an address, as a lookup returns it. */
struct egw_names_hit {
	const char *name; /* NUL-terminated, inside the view: valid while the view is */
	uint8_t len;
	uint32_t expiry;
};

/*
 * The names learned for ADDR that live past NOW, latest expiry first, at most MAX of them.
 * Any thread while V is alive (a worker: within its RCU read-side section). V may be NULL.
 */
unsigned egw_names_lookup(const struct egw_names_view *v, uint32_t addr, uint32_t now,
	struct egw_names_hit *out, unsigned max);

/* A decision looks at this many names of an address at most: the latest-expiring. */
#define EGW_NAMES_LOOKUP_MAX 16

/* ---- listing (/egw/names, egwctl names [FILTER]) ---- */

/*
 * Which entries an operator asks about: terms separated by blanks or commas, all must hold.
 *   address=A[/N]  the learned address is in A/N
 *   name=PATTERN   with * or ?: a glob over the whole name (fnmatch); else the name itself or
 *                  any name ending in .PATTERN (name=github.com: github.com, api.github.com)
 *   limit=N        at most N entries (1..EGW_NAMES_LIST_MAX, default EGW_NAMES_LIST_DEFAULT)
 */
#define EGW_NAMES_LIST_DEFAULT 20
#define EGW_NAMES_LIST_MAX 40

struct egw_names_filter {
	bool addr_on;
	uint32_t prefix, mask;
	uint8_t name_kind; /* 0 none, 1 glob, 2 name or suffix */
	char name[EGW_HOSTNAME_MAX + 1];
	uint32_t limit;
};

/* Parses S (NULL or empty: everything). 0, or -EINVAL with a message in ERR. */
int egw_names_filter_parse(const char *s, struct egw_names_filter *f, char *err, size_t errlen);

struct egw_names_row {
	uint32_t addr;
	uint32_t ttl_left; /* seconds */
	uint8_t len;
	char name[EGW_HOSTNAME_MAX + 1];
};

/* Where a listing goes on (opaque; zero it to start). */
struct egw_names_cursor {
	uint32_t shard, slot, item;
	bool done;
};

/*
 * Fills ROWS (at most MAX) with the entries of V that pass F and live past NOW, in the view's
 * order, starting at *CUR and leaving *CUR after the last one given (done when none is left).
 * Returns the rows written. Read-only: the telemetry thread, on a view it holds.
 */
unsigned egw_names_list(const struct egw_names_view *v, const struct egw_names_filter *f,
	uint32_t now, struct egw_names_cursor *cur, struct egw_names_row *rows, unsigned max);

#endif
