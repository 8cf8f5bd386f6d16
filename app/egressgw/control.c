/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_errno.h>
#include <rte_ring.h>

#include "app.h"
#include "common/log.h"
#include "net/l3.h"
#include "pkt/pkt.h"

#define ARP_RETRY_MS 1000  /* between requests of one resolution */
#define ARP_TRIES 3	   /* requests before giving up */
#define ARP_HOLDDOWN_MS 5000 /* after a failed resolution, before a new one may start */
#define CONTROL_BURST 32

static uint64_t now_ms(void)
{
	return rte_get_tsc_cycles() * 1000 / rte_get_tsc_hz();
}

/* Frames the control thread builds leave through worker 0's TX queues. */
static void control_send(struct egw_app *app, struct rte_mbuf *m, uint16_t port)
{
	m->port = port;
	if (rte_ring_enqueue(app->dp.workers[0]->ctl_tx, m) < 0) {
		app->dp.control_stats.drops[EGW_DROP_CONTROL_QUEUE_FULL]++;
		rte_pktmbuf_free(m);
	}
}

static const struct egw_port_conf *port_conf_of(const struct egw_app *app, uint16_t port_id)
{
	for (unsigned i = 0; i < app->n_ports; i++)
		if (app->port_ids[i] == port_id)
			return &app->conf.ports[i];
	return NULL;
}

static bool on_subnet(const struct egw_port_conf *pc, uint32_t addr_be)
{
	uint32_t mask = pc->prefix_len ? ~0u << (32 - pc->prefix_len) : 0;
	return (rte_be_to_cpu_32(addr_be) & mask) == (pc->addr & mask);
}

static void resolve(struct egw_app *app, uint16_t port, uint32_t addr_be, uint64_t now);

/* Sends what waited for SLOT's MAC, now known. */
static void held_release(struct egw_app *app, uint16_t slot)
{
	struct egw_held *h = &app->held[slot];
	struct rte_ether_addr mac;

	if (!egw_neigh_mac(app->dp.neigh, slot, &mac))
		return;
	for (uint8_t i = 0; i < h->n; i++) {
		struct rte_mbuf *m = h->pkts[i];
		rte_ether_addr_copy(&mac, &rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr);
		control_send(app, m, m->port);
	}
	h->n = 0;
}

static void held_drop(struct egw_app *app, uint16_t slot, enum egw_drop_reason reason)
{
	struct egw_held *h = &app->held[slot];

	for (uint8_t i = 0; i < h->n; i++) {
		app->dp.control_stats.drops[reason]++;
		rte_pktmbuf_free(h->pkts[i]);
	}
	h->n = 0;
}

/* A packet a worker could not send for want of its next hop's MAC. */
static void held_add(struct egw_app *app, struct rte_mbuf *m, uint64_t now)
{
	uint16_t slot = egw_neigh_get_or_add(app->dp.neigh, m->port, m->hash.usr);
	struct rte_ether_addr mac;
	struct egw_held *h;

	if (slot == EGW_NEIGH_SLOT_NONE) {
		app->dp.control_stats.drops[EGW_DROP_NEIGH_UNRESOLVED]++;
		rte_pktmbuf_free(m);
		return;
	}
	resolve(app, m->port, m->hash.usr, now);
	h = &app->held[slot];
	if (egw_neigh_mac(app->dp.neigh, slot, &mac)) {
		/* Resolved meanwhile (the ARP reply overtook this packet): send at once. */
		rte_ether_addr_copy(&mac, &rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr);
		control_send(app, m, m->port);
	} else if (!app->dp.neigh->entries[slot].pending || h->n == EGW_HOLD_PER_NEIGHBOUR) {
		/* Resolution failed recently (hold-down) or the queue is full. */
		app->dp.control_stats.drops[EGW_DROP_NEIGH_UNRESOLVED]++;
		rte_pktmbuf_free(m);
	} else {
		h->pkts[h->n++] = m;
	}
}

static void arp_request(struct egw_app *app, uint16_t port, uint32_t target_be)
{
	static const struct rte_ether_addr bcast = { .addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff,
							     0xff } };
	static const struct rte_ether_addr zero;
	const struct egw_port_info *pi = &app->dp.ports[port];
	struct rte_mbuf *m = rte_pktmbuf_alloc(app->pool);

	if (!m)
		return;
	egw_arp_build(m, RTE_ARP_OP_REQUEST, &bcast, &pi->mac, pi->addr_be, &zero, target_be);
	control_send(app, m, port);
}

/* Starts (or continues) resolving ADDR on PORT. */
static void resolve(struct egw_app *app, uint16_t port, uint32_t addr_be, uint64_t now)
{
	struct egw_neigh_table *nt = app->dp.neigh;
	uint16_t slot = egw_neigh_get_or_add(nt, port, addr_be);
	struct egw_neigh_entry *e;

	if (slot == EGW_NEIGH_SLOT_NONE)
		return;
	e = &nt->entries[slot];
	if ((e->mac_state & EGW_NEIGH_F_VALID) || e->pending)
		return;
	if ((e->mac_state & EGW_NEIGH_F_FAILED) && now - e->last_request < ARP_HOLDDOWN_MS)
		return;
	e->pending = 1;
	e->tries = 1;
	e->last_request = now;
	arp_request(app, port, addr_be);
}

static void arp_timers(struct egw_app *app, uint64_t now)
{
	struct egw_neigh_table *nt = app->dp.neigh;

	for (uint32_t i = 0; i < nt->n; i++) {
		struct egw_neigh_entry *e = &nt->entries[i];
		if (!e->pending || now - e->last_request < ARP_RETRY_MS)
			continue;
		if (e->tries >= ARP_TRIES) {
			EGW_WARN("no ARP reply from " "%u.%u.%u.%u after %u tries",
				((uint8_t *)&e->addr)[0], ((uint8_t *)&e->addr)[1],
				((uint8_t *)&e->addr)[2], ((uint8_t *)&e->addr)[3], e->tries);
			egw_neigh_mark_failed(nt, (uint16_t)i);
			held_drop(app, (uint16_t)i, EGW_DROP_NEIGH_UNRESOLVED);
			continue;
		}
		e->tries++;
		e->last_request = now;
		arp_request(app, e->port, e->addr);
	}
}

static void handle_arp(struct egw_app *app, struct rte_mbuf *m, uint64_t now)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	const struct egw_port_info *pi = &app->dp.ports[m->port];
	const struct egw_port_conf *pc = port_conf_of(app, m->port);
	uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);
	uint32_t sip = arp->arp_data.arp_sip, tip = arp->arp_data.arp_tip;
	struct rte_ether_addr sha = arp->arp_data.arp_sha;
	struct egw_neigh_table *nt = app->dp.neigh;
	uint16_t slot;

	if (!pc || sip == 0 || !on_subnet(pc, sip) || rte_is_multicast_ether_addr(&sha)) {
		app->dp.control_stats.drops[EGW_DROP_ARP_HANDLED]++;
		rte_pktmbuf_free(m);
		return;
	}
	if (op == RTE_ARP_OP_REQUEST && tip == pi->addr_be) {
		/* Whoever asks for us will talk to us: learn it now (as Linux does). */
		slot = egw_neigh_get_or_add(nt, m->port, sip);
		if (slot != EGW_NEIGH_SLOT_NONE) {
			egw_neigh_set(nt, slot, &sha, false, now);
			held_release(app, slot);
		}
		egw_arp_build(m, RTE_ARP_OP_REPLY, &sha, &pi->mac, pi->addr_be, &sha, sip);
		control_send(app, m, pi - app->dp.ports);
		return;
	}
	/* Replies and gratuitous ARP only update neighbours we already track: an unsolicited
	 * reply must not plant an entry (ARP spoofing). */
	slot = egw_neigh_find(nt, m->port, sip);
	if (slot != EGW_NEIGH_SLOT_NONE) {
		egw_neigh_set(nt, slot, &sha, false, now);
		held_release(app, slot);
	}
	app->dp.control_stats.drops[EGW_DROP_ARP_HANDLED]++;
	rte_pktmbuf_free(m);
}

static void handle_punted(struct egw_app *app, struct rte_mbuf *m, uint64_t now)
{
	struct egw_pkt_meta meta;
	enum egw_drop_reason r = egw_pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len,
		&meta);

	if (r != EGW_DROP_NONE) {
		app->dp.control_stats.drops[r]++;
		rte_pktmbuf_free(m);
		return;
	}
	if (meta.kind == EGW_PKT_ARP) {
		handle_arp(app, m, now);
		return;
	}
	/* Workers punt only ICMP echo requests to our addresses. */
	egw_icmp_echo_reply(m, &meta, &app->dp.ports[m->port].mac);
	control_send(app, m, m->port);
}

static void announce(struct egw_app *app)
{
	static const struct rte_ether_addr bcast = { .addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff,
							     0xff } };
	static const struct rte_ether_addr zero;
	uint64_t now = now_ms();

	for (unsigned i = 0; i < app->n_ports; i++) {
		const struct egw_port_conf *pc = &app->conf.ports[i];
		uint16_t port = app->port_ids[i];
		const struct egw_port_info *pi = &app->dp.ports[port];
		struct rte_mbuf *m = rte_pktmbuf_alloc(app->pool);

		/* Gratuitous ARP: neighbours that cached an older MAC for our address update. */
		if (m) {
			egw_arp_build(m, RTE_ARP_OP_REQUEST, &bcast, &pi->mac, pi->addr_be, &zero,
				pi->addr_be);
			control_send(app, m, port);
		}
		for (unsigned k = 0; k < pc->n_neighbors; k++) {
			struct rte_ether_addr mac;
			uint16_t slot = egw_neigh_get_or_add(app->dp.neigh, port,
				rte_cpu_to_be_32(pc->neighbors[k].addr));
			memcpy(mac.addr_bytes, pc->neighbors[k].mac, 6);
			if (slot != EGW_NEIGH_SLOT_NONE)
				egw_neigh_set(app->dp.neigh, slot, &mac, true, now);
		}
		/* Next hops are resolved before the first packet needs them. */
		if (pc->gateway)
			resolve(app, port, rte_cpu_to_be_32(pc->gateway), now);
		for (unsigned r = 0; r < pc->n_routes; r++)
			resolve(app, port, rte_cpu_to_be_32(pc->routes[r].via), now);
	}
}

/* SIGHUP also means "the log was rotated": continue in a new file at the same path. */
static void flowlog_reopen(struct egw_app *app)
{
	int rc;

	if (!app->dp.flow_log)
		return;
	rc = egw_flowlog_reopen(&app->flowlog);
	if (rc < 0)
		EGW_ERR("[log] flow_log: cannot reopen %s: %s; records are counted as lost",
			app->flowlog.path, strerror(-rc));
}

/* After the workers stopped: every flow ends ("shutdown" in the flow log). */
void egw_control_end_flows(struct egw_app *app)
{
	struct egw_dataplane *dp = &app->dp;

	for (unsigned i = 0; i < dp->n_workers; i++) {
		struct egw_worker *w = dp->workers[i];
		for (uint32_t k = 0; w && k < w->ft->capacity; k++) {
			if (w->ft->flows[k].state != EGW_FLOW_FREE)
				egw_pipeline_end_flow(w, &w->ft->flows[k], EGW_END_SHUTDOWN);
			/* A ring holds fewer records than a table flows: write as they come. */
			if (app->flowlog.f && w->flowlog && rte_ring_free_count(w->flowlog) == 0)
				egw_flowlog_drain(&app->flowlog, dp, &app->slots, UINT32_MAX);
		}
	}
	if (app->flowlog.f)
		egw_flowlog_drain(&app->flowlog, dp, &app->slots, UINT32_MAX);
	egw_flowlog_close(&app->flowlog);
}

int egw_control_start(struct egw_app *app)
{
	announce(app);
	return 0;
}

void egw_control_run(struct egw_app *app)
{
	uint64_t last_timer = 0;

	while (!app->stop_requested) {
		struct rte_mbuf *pkts[CONTROL_BURST];
		uint64_t now = now_ms();
		unsigned n, busy = 0;

		n = rte_ring_dequeue_burst(app->dp.punt_ring, (void **)pkts, CONTROL_BURST, NULL);
		for (unsigned i = 0; i < n; i++)
			handle_punted(app, pkts[i], now);
		busy += n;
		n = rte_ring_dequeue_burst(app->dp.resolve_ring, (void **)pkts, CONTROL_BURST, NULL);
		for (unsigned i = 0; i < n; i++)
			held_add(app, pkts[i], now);
		busy += n;
		if (now - last_timer >= 100) {
			arp_timers(app, now);
			last_timer = now;
		}
		if (app->reload_requested) {
			char msg[256];
			app->reload_requested = 0;
			egw_control_reload(app, msg, sizeof(msg));
			flowlog_reopen(app);
		}
		if (app->flowlog.f)
			busy += egw_flowlog_drain(&app->flowlog, &app->dp, &app->slots, 1024);
		egw_ctl_socket_poll(app);
		if (!busy)
			usleep(1000);
	}
}

/* After the workers stopped: free every packet still queued between threads. */
void egw_control_drain(struct egw_app *app)
{
	struct egw_dataplane *dp = &app->dp;
	struct rte_mbuf *m;

	while (dp->punt_ring && rte_ring_dequeue(dp->punt_ring, (void **)&m) == 0) {
		dp->control_stats.drops[EGW_DROP_SHUTDOWN]++;
		rte_pktmbuf_free(m);
	}
	while (dp->resolve_ring && rte_ring_dequeue(dp->resolve_ring, (void **)&m) == 0) {
		dp->control_stats.drops[EGW_DROP_SHUTDOWN]++;
		rte_pktmbuf_free(m);
	}
	for (uint32_t i = 0; app->held && dp->neigh && i < dp->neigh->n; i++)
		held_drop(app, (uint16_t)i, EGW_DROP_SHUTDOWN);
	for (unsigned a = 0; a < dp->n_workers && dp->workers[a]; a++) {
		while (rte_ring_dequeue(dp->workers[a]->ctl_tx, (void **)&m) == 0) {
			dp->control_stats.drops[EGW_DROP_SHUTDOWN]++;
			rte_pktmbuf_free(m);
		}
		for (unsigned b = 0; b < dp->n_workers; b++) {
			if (!dp->handoff[a][b])
				continue;
			while (rte_ring_dequeue(dp->handoff[a][b], (void **)&m) == 0) {
				dp->control_stats.drops[EGW_DROP_SHUTDOWN]++;
				rte_pktmbuf_free(m);
			}
		}
	}
}

/* Compiles CONF + PSET into the next generation and publishes it. 0 or -errno. */
static int publish(struct egw_app *app, const struct egw_conf *conf,
	const struct egw_policy_set *pset)
{
	struct egw_snapshot_inputs in = { .conf = conf, .policies = pset,
		.port_ids = app->port_ids, .slots = &app->slots, .generation = app->generation + 1 };
	struct egw_snapshot *snap = egw_snapshot_compile(&in), *stale;

	if (!snap)
		return -rte_errno;
	/* The control thread is the only writer: reading the current snapshot is safe here. */
	egw_snapshot_chain(snap, app->dp.rcu.current);
	if (egw_rcu_publish(&app->dp.rcu, snap, 1000, &stale) == -ETIMEDOUT) {
		/* A worker did not pass a quiescent state within a second: never free under it.
		 * The old snapshot is retried at the next publish. */
		EGW_WARN("publish: a worker stalled; generation %llu kept until it moves on",
			(unsigned long long)app->generation);
		app->stale = stale;
	} else if (app->stale && egw_rcu_reclaim(&app->dp.rcu, app->stale, 0) == 0) {
		app->stale = NULL;
	}
	app->generation++;
	app->published_generation = app->generation;
	app->mode = conf->egress.mode;
	return 0;
}

/*
 * SIGHUP or "reload": re-read the configuration and the policy files and publish what can
 * change live (mode, pools, policies). A file with errors changes nothing: the errors are
 * reported (OUT, the log, /egw/info) and the running snapshot stays.
 */
int egw_control_reload(struct egw_app *app, char *out, size_t len)
{
	struct egw_conf *next = calloc(1, sizeof(*next));
	struct egw_conf_errors errs = { 0 };
	struct egw_policy_set pset = { 0 };
	size_t used = 0;
	int rc;

	if (!next) {
		snprintf(out, len, "ERROR out of memory\n");
		return -ENOMEM;
	}
	rc = egw_conf_load(app->conf.path, next, &errs);
	if (rc == 0)
		rc = egw_policy_load(next, &pset, &errs);
	if (rc < 0) {
		const struct egw_conf_error *e = errs.n ? &errs.items[0] : NULL;
		snprintf(app->last_reload, sizeof(app->last_reload),
			"error: %u problem(s), running policy kept; first: %s:%d: %s", errs.n,
			e ? e->file : app->conf.path, e ? e->line : 0, e ? e->msg : strerror(-rc));
		used += (size_t)snprintf(out, len, "ERROR reload rejected, running policy kept "
						   "(generation %llu):\n",
			(unsigned long long)app->generation);
		for (unsigned i = 0; i < errs.n; i++) {
			EGW_ERR("reload rejected: %s:%d: %s", errs.items[i].file, errs.items[i].line,
				errs.items[i].msg);
			if (used < len)
				used += (size_t)snprintf(out + used, len - used, "%s:%d: %s\n",
					errs.items[i].file, errs.items[i].line, errs.items[i].msg);
		}
		goto done;
	}
	rc = publish(app, next, &pset);
	if (rc < 0) {
		snprintf(app->last_reload, sizeof(app->last_reload), "error: compile: %s",
			strerror(-rc));
		snprintf(out, len, "ERROR reload rejected, running policy kept: %s\n",
			strerror(-rc));
		goto done;
	}
	/* Only what can change live is taken over; ports, [dpdk] and [flows] need a restart. */
	/* Sequence count for the telemetry and metrics threads, which copy the pools. */
	__atomic_store_n(&app->conf_seq, app->conf_seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	app->conf.egress = next->egress;
	memcpy(app->conf.pools, next->pools, sizeof(next->pools));
	app->conf.n_pools = next->n_pools;
	__atomic_store_n(&app->conf_seq, app->conf_seq + 1, __ATOMIC_RELEASE);
	egw_policy_set_free(&app->pset);
	app->pset = pset;
	memset(&pset, 0, sizeof(pset));
	snprintf(app->last_reload, sizeof(app->last_reload), "ok: generation %llu, %u policies",
		(unsigned long long)app->generation, app->pset.n_policies);
	snprintf(out, len, "OK reloaded: generation %llu, mode %s, %u policies, %u groups\n",
		(unsigned long long)app->generation, egw_mode_name(app->conf.egress.mode),
		app->pset.n_policies, app->pset.n_groups);
	EGW_INFO("%s", app->last_reload);
done:
	egw_policy_set_free(&pset);
	egw_conf_errors_free(&errs);
	free(next);
	return rc;
}

/* "mode X": the running configuration with another mode, until the next reload. */
int egw_control_set_mode(struct egw_app *app, enum egw_mode mode, char *out, size_t len)
{
	enum egw_mode old = app->conf.egress.mode;
	int rc;

	if (mode == EGW_MODE_PASSTHROUGH && !app->conf.egress.default_pool[0]) {
		snprintf(out, len, "ERROR mode passthrough needs [egress] default_pool\n");
		return -EINVAL;
	}
	app->conf.egress.mode = mode;
	rc = publish(app, &app->conf, &app->pset);
	if (rc < 0) {
		app->conf.egress.mode = old;
		snprintf(out, len, "ERROR mode unchanged (%s): %s\n", egw_mode_name(old),
			strerror(-rc));
		return rc;
	}
	snprintf(out, len, "OK mode %s (was %s), generation %llu\n", egw_mode_name(mode),
		egw_mode_name(old), (unsigned long long)app->generation);
	EGW_INFO("mode %s (was %s), generation %llu", egw_mode_name(mode), egw_mode_name(old),
		(unsigned long long)app->generation);
	return 0;
}
