/* SPDX-License-Identifier: BSD-3-Clause */
/* The neighbour states, their timers, and the packets that wait for a MAC. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>

#include "common/log.h"
#include "conf/conf.h"
#include "l3.h"
#include "neigh_internal.h"
#include "pkt/pkt.h"

#define ICMP_HOST_UNREACH 1 /* code of type 3 (RFC 792) */

static const char *const state_names[EGW_NEIGH_ST_MAX] = {
	[EGW_NEIGH_ST_NONE] = "none",
	[EGW_NEIGH_ST_INCOMPLETE] = "incomplete",
	[EGW_NEIGH_ST_REACHABLE] = "reachable",
	[EGW_NEIGH_ST_STALE] = "stale",
	[EGW_NEIGH_ST_PROBE] = "probe",
	[EGW_NEIGH_ST_FAILED] = "failed",
	[EGW_NEIGH_ST_STATIC] = "static",
};

const char *egw_neigh_state_name(enum egw_neigh_state s)
{
	return (unsigned)s < EGW_NEIGH_ST_MAX ? state_names[s] : "?";
}

struct egw_neigh_resolver *egw_neigh_resolver_create(const struct egw_neigh_params *p)
{
	struct egw_neigh_resolver *r;

	if (!p->table || !p->pool || !p->tx || !p->clock_ms || !p->drops) {
		rte_errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		rte_errno = ENOMEM;
		return NULL;
	}
	r->p = *p;
	r->rand = p->seed ? p->seed : 0x9e3779b97f4a7c15ULL;
	r->slots = calloc(p->table->cap, sizeof(*r->slots));
	if (!r->slots) {
		free(r);
		rte_errno = ENOMEM;
		return NULL;
	}
	return r;
}

void egw_neigh_resolver_free(struct egw_neigh_resolver *r)
{
	if (!r)
		return;
	free(r->slots);
	r->slots = NULL;
	free(r);
}

int egw_neigh_port_add(struct egw_neigh_resolver *r, uint16_t port, const struct egw_neigh_port *np)
{
	if (port >= RTE_MAX_ETHPORTS || np->prefix_len > 32 || np->reachable_ms == 0 ||
		np->probes == 0 || np->probes > UINT8_MAX)
		return -EINVAL;
	r->ports[port] = *np;
	r->port_known[port] = true;
	return 0;
}

static void set_state(struct egw_neigh_resolver *r, uint16_t slot, enum egw_neigh_state s)
{
	__atomic_store_n(&r->slots[slot].state, (uint8_t)s, __ATOMIC_RELAXED);
}

static void set_probes(struct neigh_slot *ns, uint8_t n)
{
	__atomic_store_n(&ns->probes, n, __ATOMIC_RELAXED);
}

static const struct egw_neigh_entry *entry(const struct egw_neigh_resolver *r, uint16_t slot)
{
	return &r->p.table->entries[slot];
}

/* The MAC readers see in SLOT (callers know there is one). */
static struct rte_ether_addr mac_of(const struct egw_neigh_resolver *r, uint16_t slot)
{
	uint64_t v = egw_neigh_peek(r->p.table, slot);
	struct rte_ether_addr mac;

	memcpy(mac.addr_bytes, &v, RTE_ETHER_ADDR_LEN);
	return mac;
}

static bool has_mac(enum egw_neigh_state s)
{
	return s == EGW_NEIGH_ST_REACHABLE || s == EGW_NEIGH_ST_STALE || s == EGW_NEIGH_ST_PROBE ||
	       s == EGW_NEIGH_ST_STATIC;
}

/* RFC 4861 6.3.2: uniformly between 0.5 and 1.5 times the base, so that neighbours learned
 * together do not all expire, and get probed, together. */
static uint64_t reachable_time(struct egw_neigh_resolver *r, uint16_t port)
{
	uint64_t base = r->ports[port].reachable_ms;

	r->rand ^= r->rand << 13;
	r->rand ^= r->rand >> 7;
	r->rand ^= r->rand << 17;
	return base / 2 + r->rand % (base + 1);
}

static void addr_text(char buf[16], uint32_t addr_be)
{
	egw_fmt_ipv4(buf, rte_be_to_cpu_32(addr_be));
}

static bool log_allowed(struct egw_neigh_resolver *r, uint64_t now)
{
	return egw_rate_take(&r->log_rate, now / 1000, NEIGH_LOG_PER_S);
}

/* ---- ICMP host unreachable to the senders of packets no neighbour took ---- */

/* RFC 1812 4.3.2.8: ICMP errors are rate-limited. */
static bool icmp_allowed(struct egw_neigh_resolver *r, uint64_t now)
{
	return egw_rate_take(&r->icmp_rate, now / 1000, r->p.icmp_per_s);
}

/*
 * Drops M, which was on its way out of PORT: counted as neighbor_unresolved, and turned into an
 * ICMP host unreachable from PORT's address about it. M is already translated and addressed
 * from us, so the error is the one the next hop's router would send: it goes back through the
 * data path as if received on PORT, and the flow's worker translates it to the sender (RFC
 * 5508). Never an error about an ICMP error (RFC 1122 3.2.2).
 */
static void drop_unreachable(struct egw_neigh_resolver *r, struct rte_mbuf *m, uint16_t port,
	uint64_t now)
{
	const struct egw_neigh_port *np = &r->ports[port];
	struct egw_pkt_meta meta;

	r->p.drops[EGW_DROP_NEIGH_UNRESOLVED]++;
	if (!r->p.rx ||
		egw_pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &meta) !=
			EGW_DROP_NONE ||
		meta.kind != EGW_PKT_IPV4 || !icmp_allowed(r, now)) {
		rte_pktmbuf_free(m);
		return;
	}
	/* The frame's source MAC is the exit port's: the error comes back addressed to it. */
	egw_icmp_error_build(m, &meta, EGW_ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, np->addr_be,
		&np->mac);
	neigh_count(&r->stats.unreachable_sent);
	r->p.rx(r->p.ctx, m, port);
}

/* ---- held packets ---- */

/* Sends what waited for SLOT's MAC, now known. */
static void held_release(struct egw_neigh_resolver *r, uint16_t slot)
{
	struct neigh_slot *ns = &r->slots[slot];
	struct rte_ether_addr mac = mac_of(r, slot);

	for (uint8_t i = 0; i < ns->n_held; i++) {
		struct rte_mbuf *m = ns->held[i];
		rte_ether_addr_copy(&mac, &rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr);
		r->p.tx(r->p.ctx, m, m->port);
	}
	ns->n_held = 0;
}

static void held_unreachable(struct egw_neigh_resolver *r, uint16_t slot, uint64_t now)
{
	struct neigh_slot *ns = &r->slots[slot];

	for (uint8_t i = 0; i < ns->n_held; i++)
		drop_unreachable(r, ns->held[i], ns->held[i]->port, now);
	ns->n_held = 0;
}

/* ---- state changes ---- */

static void enter_reachable(struct egw_neigh_resolver *r, uint16_t slot,
	const struct rte_ether_addr *mac, uint64_t now)
{
	struct neigh_slot *ns = &r->slots[slot];

	egw_neigh_set(r->p.table, slot, mac, false);
	ns->last_mac = *mac;
	ns->had_mac = true;
	set_state(r, slot, EGW_NEIGH_ST_REACHABLE);
	set_probes(ns, 0);
	__atomic_store_n(&ns->updated, now, __ATOMIC_RELAXED);
	ns->due = now + reachable_time(r, entry(r, slot)->port);
	ns->last_use = now;
}

/* The MAC stays in use; readers now report their use, which starts a probe. */
static void enter_stale(struct egw_neigh_resolver *r, uint16_t slot,
	const struct rte_ether_addr *mac, uint64_t now)
{
	struct neigh_slot *ns = &r->slots[slot];

	/* A use mark left from an earlier stale period is not a use of this one. */
	egw_neigh_take_used(r->p.table, slot);
	egw_neigh_set(r->p.table, slot, mac, true);
	ns->last_mac = *mac;
	ns->had_mac = true;
	set_state(r, slot, EGW_NEIGH_ST_STALE);
	set_probes(ns, 0);
	ns->last_use = now;
}

/* The next request of a running probe (UNICAST, to the MAC in use) or resolution (broadcast);
 * false when neighbor_probes of them went unanswered. */
static bool next_request(struct egw_neigh_resolver *r, uint16_t slot, bool unicast, uint64_t now)
{
	struct neigh_slot *ns = &r->slots[slot];
	const uint16_t port = entry(r, slot)->port;
	struct rte_ether_addr mac = mac_of(r, slot);

	if (ns->probes >= r->ports[port].probes)
		return false;
	set_probes(ns, (uint8_t)(ns->probes + 1));
	ns->due = now + NEIGH_RETRANS_MS;
	neigh_arp_request(r, port, entry(r, slot)->addr, unicast ? &mac : NULL);
	return true;
}

/*
 * Starts asking: a probe (UNICAST, to the MAC in use, which keeps serving meanwhile: RFC 1122
 * 2.3.2.1) or a resolution (broadcast; packets wait, as the MAC, if any, is no longer trusted).
 */
static void start_requests(struct egw_neigh_resolver *r, uint16_t slot, bool unicast, uint64_t now)
{
	struct neigh_slot *ns = &r->slots[slot];
	struct rte_ether_addr mac = mac_of(r, slot);

	if (unicast)
		egw_neigh_set(r->p.table, slot, &mac, false);
	else
		egw_neigh_clear(r->p.table, slot);
	set_state(r, slot, unicast ? EGW_NEIGH_ST_PROBE : EGW_NEIGH_ST_INCOMPLETE);
	set_probes(ns, 0);
	ns->last_use = now;
	next_request(r, slot, unicast, now);
}

static void fail(struct egw_neigh_resolver *r, uint16_t slot, uint64_t now)
{
	struct neigh_slot *ns = &r->slots[slot];
	char a[16];

	if (log_allowed(r, now)) {
		addr_text(a, entry(r, slot)->addr);
		EGW_WARN("no ARP reply from %s on port %u after %u tries: its packets are "
			 "dropped (neighbor_unresolved)",
			a, entry(r, slot)->port, ns->probes);
	}
	egw_neigh_clear(r->p.table, slot);
	set_state(r, slot, EGW_NEIGH_ST_FAILED);
	ns->due = now + NEIGH_HOLDDOWN_MS;
	ns->last_use = now;
	neigh_count(&r->stats.failures);
	held_unreachable(r, slot, now);
}

/* The slot stays (workers may have cached it), without a MAC, as if never resolved. */
static void remove_neighbour(struct egw_neigh_resolver *r, uint16_t slot)
{
	char a[16];

	addr_text(a, entry(r, slot)->addr);
	EGW_DEBUG("neighbor %s on port %u removed: unused for neighbor_gc", a,
		entry(r, slot)->port);
	egw_neigh_clear(r->p.table, slot);
	set_state(r, slot, EGW_NEIGH_ST_NONE);
	set_probes(&r->slots[slot], 0);
	r->slots[slot].had_mac = false;
	__atomic_store_n(&r->slots[slot].updated, 0, __ATOMIC_RELAXED);
	neigh_count(&r->stats.removed);
}

/* Whether a learned MAC may replace the one in use: a second answer within the lock time of
 * a confirmed one is ignored (the first of competing replies wins, as in Linux). */
static bool may_replace(const struct egw_neigh_resolver *r, uint16_t slot, bool override,
	uint64_t now)
{
	const struct neigh_slot *ns = &r->slots[slot];

	return override || neigh_state(r, slot) != EGW_NEIGH_ST_REACHABLE ||
	       now - ns->updated >= NEIGH_LOCK_MS;
}

void neigh_learned(struct egw_neigh_resolver *r, uint16_t slot, const struct rte_ether_addr *mac,
	bool confirmed, bool override, uint64_t now)
{
	struct neigh_slot *ns = &r->slots[slot];
	enum egw_neigh_state s = neigh_state(r, slot);
	/* Against the MAC last used, even while probing anew: a replaced router shows. */
	bool changed = ns->had_mac && !rte_is_same_ether_addr(&ns->last_mac, mac);

	if (s == EGW_NEIGH_ST_STATIC || (changed && !may_replace(r, slot, override, now)))
		return;
	if (!changed && has_mac(s) && !confirmed)
		return; /* nothing new: the state stays (a running probe goes on) */
	if (changed && log_allowed(r, now)) {
		char a[16], o[RTE_ETHER_ADDR_FMT_SIZE], n[RTE_ETHER_ADDR_FMT_SIZE];

		addr_text(a, entry(r, slot)->addr);
		rte_ether_format_addr(o, sizeof(o), &ns->last_mac);
		rte_ether_format_addr(n, sizeof(n), mac);
		EGW_INFO("neighbor %s on port %u: MAC %s -> %s", a, entry(r, slot)->port, o, n);
	}
	if (changed)
		neigh_count(&r->stats.mac_changes);
	if (confirmed) {
		neigh_count(&r->stats.replies);
		enter_reachable(r, slot, mac, now);
	} else {
		__atomic_store_n(&ns->updated, now, __ATOMIC_RELAXED);
		enter_stale(r, slot, mac, now);
	}
	held_release(r, slot);
}

/* ---- timers ---- */

static void slot_timer(struct egw_neigh_resolver *r, uint16_t slot, uint64_t now)
{
	struct neigh_slot *ns = &r->slots[slot];
	const struct egw_neigh_port *np = &r->ports[entry(r, slot)->port];
	struct rte_ether_addr mac;

	switch (neigh_state(r, slot)) {
	case EGW_NEIGH_ST_REACHABLE:
		if (now >= ns->due) {
			mac = mac_of(r, slot);
			enter_stale(r, slot, &mac, now);
		}
		break;
	case EGW_NEIGH_ST_STALE:
		if (egw_neigh_take_used(r->p.table, slot))
			start_requests(r, slot, true, now);
		else if (now - ns->last_use >= np->gc_ms)
			remove_neighbour(r, slot);
		break;
	case EGW_NEIGH_ST_PROBE:
		/* The MAC in use answers no more: ask everyone (a new router, a moved host),
		 * holding packets meanwhile. */
		if (now >= ns->due && !next_request(r, slot, true, now))
			start_requests(r, slot, false, now);
		break;
	case EGW_NEIGH_ST_INCOMPLETE:
		if (now >= ns->due && !next_request(r, slot, false, now))
			fail(r, slot, now);
		break;
	case EGW_NEIGH_ST_FAILED:
		if (now - ns->last_use >= np->gc_ms)
			remove_neighbour(r, slot);
		break;
	default:
		break;
	}
}

void egw_neigh_timers(struct egw_neigh_resolver *r)
{
	uint32_t n = egw_neigh_count(r->p.table);
	uint64_t now = neigh_now(r);

	for (uint32_t i = 0; i < n; i++)
		slot_timer(r, (uint16_t)i, now);
}

/* ---- packets the workers could not address ---- */

void egw_neigh_hold(struct egw_neigh_resolver *r, struct rte_mbuf *m)
{
	uint16_t port = m->port, slot = EGW_NEIGH_SLOT_NONE;
	uint64_t now = neigh_now(r);
	struct rte_ether_addr mac;
	struct neigh_slot *ns;

	if (neigh_port(r, port))
		slot = egw_neigh_get_or_add(r->p.table, port, m->hash.usr);
	if (slot == EGW_NEIGH_SLOT_NONE) {
		neigh_drop(r, m, EGW_DROP_NEIGH_UNRESOLVED);
		return;
	}
	ns = &r->slots[slot];
	switch (neigh_state(r, slot)) {
	case EGW_NEIGH_ST_FAILED:
		if (now < ns->due) {
			ns->last_use = now;
			drop_unreachable(r, m, port, now);
			return;
		}
		start_requests(r, slot, false, now);
		break;
	case EGW_NEIGH_ST_NONE:
		start_requests(r, slot, false, now);
		break;
	case EGW_NEIGH_ST_INCOMPLETE:
		break;
	default:
		/* Resolved meanwhile (the ARP reply overtook this packet): send at once. The
		 * read counts as a use of a stale MAC, as the worker's would have. */
		if (egw_neigh_mac(r->p.table, slot, &mac)) {
			rte_ether_addr_copy(&mac,
				&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr);
			r->p.tx(r->p.ctx, m, port);
			return;
		}
		break;
	}
	if (ns->n_held == NEIGH_HOLD_MAX) {
		neigh_drop(r, m, EGW_DROP_NEIGH_UNRESOLVED);
		return;
	}
	ns->held[ns->n_held++] = m;
}

void egw_neigh_flush(struct egw_neigh_resolver *r, enum egw_drop_reason reason)
{
	uint32_t n = egw_neigh_count(r->p.table);

	for (uint32_t i = 0; i < n; i++) {
		struct neigh_slot *ns = &r->slots[i];
		for (uint8_t k = 0; k < ns->n_held; k++)
			neigh_drop(r, ns->held[k], reason);
		ns->n_held = 0;
	}
}

/* ---- configured neighbours ---- */

int egw_neigh_add_static(struct egw_neigh_resolver *r, uint16_t port, uint32_t addr_be,
	const struct rte_ether_addr *mac)
{
	uint16_t slot = egw_neigh_get_or_add(r->p.table, port, addr_be);

	if (slot == EGW_NEIGH_SLOT_NONE)
		return -ENOSPC;
	egw_neigh_set(r->p.table, slot, mac, false);
	r->slots[slot].last_mac = *mac;
	r->slots[slot].had_mac = true;
	set_state(r, slot, EGW_NEIGH_ST_STATIC);
	__atomic_store_n(&r->slots[slot].updated, neigh_now(r), __ATOMIC_RELAXED);
	held_release(r, slot);
	return 0;
}

int egw_neigh_add_nexthop(struct egw_neigh_resolver *r, uint16_t port, uint32_t addr_be)
{
	uint16_t slot = egw_neigh_get_or_add(r->p.table, port, addr_be);

	if (slot == EGW_NEIGH_SLOT_NONE)
		return -ENOSPC;
	r->slots[slot].nexthop = true;
	if (neigh_port(r, port) && neigh_state(r, slot) == EGW_NEIGH_ST_NONE)
		start_requests(r, slot, false, neigh_now(r));
	return 0;
}

/* ---- observers ---- */

bool egw_neigh_view(const struct egw_neigh_resolver *r, uint32_t slot, struct egw_neigh_view *v)
{
	const struct neigh_slot *ns = &r->slots[slot];
	uint64_t w, updated, now = neigh_now(r);

	memset(v, 0, sizeof(*v));
	v->state = neigh_state(r, (uint16_t)slot);
	if (v->state == EGW_NEIGH_ST_NONE)
		return false;
	v->addr_be = entry(r, (uint16_t)slot)->addr;
	v->port = entry(r, (uint16_t)slot)->port;
	v->probes = __atomic_load_n(&ns->probes, __ATOMIC_RELAXED);
	w = egw_neigh_peek(r->p.table, (uint16_t)slot);
	v->has_mac = (w & EGW_NEIGH_F_VALID) != 0;
	if (v->has_mac)
		memcpy(v->mac.addr_bytes, &w, RTE_ETHER_ADDR_LEN);
	updated = __atomic_load_n(&ns->updated, __ATOMIC_RELAXED);
	v->age_ms = updated && now > updated ? now - updated : 0;
	return true;
}

const struct egw_neigh_table *egw_neigh_table_of(const struct egw_neigh_resolver *r)
{
	return r->p.table;
}

void egw_neigh_stats_get(const struct egw_neigh_resolver *r, struct egw_neigh_stats *out)
{
	const uint64_t *src = (const uint64_t *)&r->stats;
	uint64_t *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}
