/* SPDX-License-Identifier: BSD-3-Clause */
/* Policies at run time: compile into a snapshot, counter slots, the RSTs of revoked flows. */
#include <netinet/in.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_mbuf.h>

#include "conf/conf.h"
#include "conf/policy_conf.h"
#include "egw_test.h"
#include "net/tcp_rst.h"
#include "pktgen.h"
#include "pkt/pkt.h"
#include "policy/classifier.h"
#include "policy/slots.h"
#include "policy/snapshot.h"

static struct egw_policy_slots slots;
static unsigned slots_made;

static int init_suite(void)
{
	char name[16];
	if (egw_test_eal_init() < 0)
		return -1;
	snprintf(name, sizeof(name), "prt%u", slots_made++);
	return egw_policy_slots_init(&slots, name);
}

static int clean_suite(void)
{
	egw_policy_slots_fini(&slots);
	return 0;
}

static void base_conf(struct egw_conf *c)
{
	egw_conf_defaults(c);
	c->n_ports = 2;
	snprintf(c->ports[0].name, EGW_NAME_MAX, "inside");
	snprintf(c->ports[1].name, EGW_NAME_MAX, "outside");
	snprintf(c->ports[1].name, EGW_NAME_MAX, "outside");
	c->ports[1].role = EGW_ROLE_OUTSIDE;
	c->n_pools = 2;
	snprintf(c->pools[0].name, EGW_NAME_MAX, "public");
	c->pools[0].addrs[0] = PG_IP(198, 51, 100, 10);
	c->pools[0].n_addrs = 1;
	c->pools[0].port_first = 1024;
	c->pools[0].port_last = 65535;
	snprintf(c->pools[1].name, EGW_NAME_MAX, "special");
	c->pools[1].addrs[0] = PG_IP(198, 51, 100, 20);
	c->pools[1].n_addrs = 1;
	c->pools[1].port_first = 1024;
	c->pools[1].port_last = 65535;
	snprintf(c->egress.default_pool, EGW_NAME_MAX, "public");
	c->egress.mode = EGW_MODE_POLICY;
}

static const struct egw_policy_rt *classify(const struct egw_snapshot *s, uint32_t src,
	uint32_t dst, uint16_t dport, uint8_t proto)
{
	struct egw_cls_key k = { src, dst, dport, proto };
	const struct egw_cls_rule *r = egw_cls_lookup(s->cls, &k);
	return r ? &s->policies[r->id] : NULL;
}

static void test_compile_policies(void)
{
	static struct egw_conf c;
	struct egw_cidr grp[2] = { { PG_IP(198, 18, 1, 0), 24 }, { PG_IP(198, 18, 2, 5), 32 } };
	struct egw_cidr gh = { PG_IP(140, 82, 112, 0), 20 };
	struct egw_port_range web[2] = { { 443, 443 }, { 8000, 8100 } };
	struct egw_policy_conf pol[3];
	struct egw_policy_set ps = { .policies = pol, .n_policies = 3 };
	uint16_t port_ids[2] = { 0, 5 };
	struct egw_snapshot_inputs in = { .conf = &c,
		.policies = &ps,
		.port_ids = port_ids,
		.slots = &slots,
		.generation = 7 };
	struct egw_snapshot *s;
	const struct egw_policy_rt *rt;

	base_conf(&c);
	memset(pol, 0, sizeof(pol));
	/* 0: payments group to github on web ports, via the outside port, special pool */
	snprintf(pol[0].name, EGW_NAME_MAX, "github");
	pol[0].sources = grp;
	pol[0].n_sources = 2;
	pol[0].destinations = &gh;
	pol[0].n_destinations = 1;
	pol[0].ports = web;
	pol[0].n_ports = 2;
	pol[0].proto = EGW_PROTO_TCP;
	pol[0].priority = 100;
	snprintf(pol[0].nat, EGW_NAME_MAX, "special");
	snprintf(pol[0].via, EGW_NAME_MAX, "outside");
	pol[0].max_flows = 10;
	pol[0].order = 0;
	/* 1: deny the rest of 198.18.0.0/16 above the catch-all */
	snprintf(pol[1].name, EGW_NAME_MAX, "no-lab");
	pol[1].sources = (struct egw_cidr[]){ { PG_IP(198, 18, 0, 0), 16 } };
	pol[1].n_sources = 1;
	pol[1].destinations_any = pol[1].ports_any = true;
	pol[1].action = EGW_ACTION_DENY;
	pol[1].priority = 50;
	pol[1].order = 1;
	/* 2: everything else, no translation */
	snprintf(pol[2].name, EGW_NAME_MAX, "rest");
	pol[2].sources_any = pol[2].destinations_any = pol[2].ports_any = true;
	pol[2].nat_none = true;
	pol[2].order = 2;

	s = egw_snapshot_compile(&in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->n_policies, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s->cls);
	CU_ASSERT_PTR_EQUAL(s->policies[0].pool, &s->pools[1]);
	CU_ASSERT_EQUAL(s->policies[0].via_port, 5);
	CU_ASSERT_EQUAL(s->policies[0].max_flows, 10);
	CU_ASSERT_PTR_NULL(s->policies[2].pool);
	CU_ASSERT_EQUAL(s->policies[2].via_port, EGW_VIA_DEFAULT);
	/* The group's /24 and its single host both reach github on 443 and 8050 over TCP. */
	rt = classify(s, PG_IP(198, 18, 1, 77), PG_IP(140, 82, 113, 4), 443, IPPROTO_TCP);
	CU_ASSERT(rt == &s->policies[0]);
	rt = classify(s, PG_IP(198, 18, 2, 5), PG_IP(140, 82, 113, 4), 8050, IPPROTO_TCP);
	CU_ASSERT(rt == &s->policies[0]);
	/* tcp: UDP to the same port falls to the deny. */
	rt = classify(s, PG_IP(198, 18, 1, 77), PG_IP(140, 82, 113, 4), 443, IPPROTO_UDP);
	CU_ASSERT(rt == &s->policies[1]);
	/* Another port from the group: the deny (priority 50) beats the catch-all (0). */
	rt = classify(s, PG_IP(198, 18, 1, 77), PG_IP(140, 82, 113, 4), 80, IPPROTO_TCP);
	CU_ASSERT(rt == &s->policies[1]);
	/* Outside 198.18/16: only the catch-all. */
	rt = classify(s, PG_IP(198, 19, 0, 1), PG_IP(8, 8, 8, 8), 53, IPPROTO_UDP);
	CU_ASSERT(rt == &s->policies[2]);
	CU_ASSERT_EQUAL(s->generation, 7);
	CU_ASSERT_EQUAL(slots.generation[s->policies[0].slot], 7);

	/* A recompile keeps every policy's slot (counters continue across reloads). */
	{
		uint32_t slot0 = s->policies[0].slot, slot2 = s->policies[2].slot;
		struct egw_snapshot *s2;
		in.generation = 8;
		s2 = egw_snapshot_compile(&in);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s2);
		CU_ASSERT_EQUAL(s2->policies[0].slot, slot0);
		CU_ASSERT_EQUAL(s2->policies[2].slot, slot2);
		CU_ASSERT_NOT_EQUAL(slot0, slot2);
		CU_ASSERT_NOT_EQUAL(slot0, 0);
		CU_ASSERT_EQUAL(slots.generation[slot0], 8);
		CU_ASSERT_STRING_EQUAL(slots.names[slot0], "github");
		egw_snapshot_free(s2);
	}
	egw_snapshot_free(s);

	/* protocol = tls is decided on the ClientHello: never as plain TCP, and not at all by a
	 * data path that does not read it (host_policies false). */
	pol[0].proto = EGW_PROTO_TLS;
	in.generation = 9;
	CU_ASSERT_PTR_NULL(egw_snapshot_compile(&in));
	CU_ASSERT_EQUAL(rte_errno, ENOTSUP);
	in.host_policies = true;
	s = egw_snapshot_compile(&in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->policies[0].kind, EGW_POLICY_L7);
	CU_ASSERT_EQUAL(s->policies[0].l7, EGW_PROTO_TLS);
	CU_ASSERT_PTR_NOT_NULL(s->host);
	rt = classify(s, PG_IP(198, 18, 1, 77), PG_IP(140, 82, 113, 4), 443, IPPROTO_TCP);
	CU_ASSERT(rt == &s->policies[1]);
	egw_snapshot_free(s);
	/* Names learned from DNS (hosts with tcp) need no first bytes: the data path has them. */
	in.host_policies = false;
	pol[0].proto = EGW_PROTO_TCP;
	pol[0].hosts = (char *[]){ "github.com" };
	pol[0].n_hosts = 1;
	s = egw_snapshot_compile(&in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->policies[0].kind, EGW_POLICY_DNS);
	CU_ASSERT_PTR_NOT_NULL(s->host);
	egw_snapshot_free(s);
	pol[0].hosts = NULL;
	pol[0].n_hosts = 0;
	/* ... nor does dns_filter, with policies or without */
	c.egress.dns_filter = true;
	s = egw_snapshot_compile(&in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_TRUE(s->dns_filter);
	egw_snapshot_free(s);
	ps.n_policies = 0;
	s = egw_snapshot_compile(&in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_TRUE(s->dns_filter);
	egw_snapshot_free(s);
	c.egress.dns_filter = false;
}

static void test_compile_without_policies(void)
{
	static struct egw_conf c;
	struct egw_snapshot *s;

	base_conf(&c);
	s = egw_snapshot_build(&c, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_PTR_NULL(s->cls);
	CU_ASSERT_EQUAL(s->n_policies, 0);
	CU_ASSERT_PTR_EQUAL(s->default_pool, &s->pools[0]);
	egw_snapshot_free(s);
}

/* Reloads that change nothing admission reads keep the epoch: flows are not re-checked. */
static void test_epoch_chain(void)
{
	static struct egw_conf c;
	struct egw_snapshot *a, *b, *d, *e;

	base_conf(&c);
	a = egw_snapshot_build(&c, 10);
	b = egw_snapshot_build(&c, 11);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	egw_snapshot_chain(a, NULL);
	CU_ASSERT_EQUAL(a->epoch, 10);
	egw_snapshot_chain(b, a);
	CU_ASSERT_EQUAL(b->epoch, 10); /* same content */
	c.egress.mode = EGW_MODE_DENY;
	d = egw_snapshot_build(&c, 12);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	egw_snapshot_chain(d, b);
	CU_ASSERT_EQUAL(d->epoch, 12); /* the mode changed */
	c.egress.mode = EGW_MODE_POLICY;
	c.pools[1].port_last = 60000; /* a pool changed */
	e = egw_snapshot_build(&c, 13);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	egw_snapshot_chain(e, d);
	CU_ASSERT_EQUAL(e->epoch, 13);
	egw_snapshot_free(a);
	egw_snapshot_free(b);
	egw_snapshot_free(d);
	egw_snapshot_free(e);
}

/*
 * Incremental re-check: which reloads let a flow skip its lookup (delta_ok) and which rules
 * it must still be checked against (the deny rules added or changed).
 */
static struct egw_snapshot *compile_pols(struct egw_conf *c, struct egw_policy_conf *pol,
	unsigned n, uint64_t gen, const struct egw_snapshot *prev)
{
	struct egw_policy_set ps = { .policies = pol, .n_policies = n };
	uint16_t port_ids[2] = { 0, 1 };
	struct egw_snapshot_inputs in = { .conf = c,
		.policies = &ps,
		.port_ids = port_ids,
		.slots = &slots,
		.generation = gen };
	struct egw_snapshot *s = egw_snapshot_compile(&in);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	egw_snapshot_chain(s, prev);
	return s;
}

static void mk_pol(struct egw_policy_conf *p, const char *name, struct egw_cidr *dst,
	enum egw_policy_action action, int32_t priority, uint32_t order)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, EGW_NAME_MAX, "%s", name);
	p->sources_any = p->ports_any = true;
	p->destinations = dst;
	p->n_destinations = 1;
	p->action = action;
	p->priority = priority;
	p->order = order;
}

static void test_recheck_delta(void)
{
	static struct egw_conf c;
	struct egw_cidr web = { PG_IP(203, 0, 113, 0), 24 }, bad = { PG_IP(203, 0, 113, 66), 32 };
	struct egw_cidr bad2 = { PG_IP(203, 0, 113, 77), 32 };
	struct egw_policy_conf pol[4];
	struct egw_snapshot *s[12];
	unsigned n = 0;

	base_conf(&c);
	mk_pol(&pol[0], "web", &web, EGW_ACTION_ALLOW, 0, 0);
	mk_pol(&pol[1], "block", &bad, EGW_ACTION_DENY, 10, 1);
	s[n++] = compile_pols(&c, pol, 2, 20, NULL);
	CU_ASSERT_FALSE(s[0]->delta_ok);

	/* The deny's priority changes: only its rule needs checking. */
	pol[1].priority = 11;
	s[n] = compile_pols(&c, pol, 2, 21, s[n - 1]);
	CU_ASSERT_EQUAL(s[n]->epoch, 21);
	CU_ASSERT_TRUE(s[n]->delta_ok);
	CU_ASSERT_EQUAL(s[n]->delta_from, 20);
	CU_ASSERT_EQUAL_FATAL(s[n]->n_delta, 1);
	CU_ASSERT_EQUAL(s[n]->delta[0].dst, bad.prefix);
	n++;

	/* A new deny below, an allow added at the end: the new deny's rule only. */
	mk_pol(&pol[2], "block2", &bad2, EGW_ACTION_DENY, 10, 2);
	mk_pol(&pol[3], "more", &bad2, EGW_ACTION_ALLOW, 0, 3);
	s[n] = compile_pols(&c, pol, 4, 22, s[n - 1]);
	CU_ASSERT_TRUE(s[n]->delta_ok);
	CU_ASSERT_EQUAL(s[n]->delta_from, 21);
	CU_ASSERT_EQUAL_FATAL(s[n]->n_delta, 1);
	CU_ASSERT_EQUAL(s[n]->delta[0].dst, bad2.prefix);
	n++;

	/* A deny removed: nothing can be refused that was allowed; no rule to check. */
	{
		struct egw_policy_conf kept[3] = { pol[0], pol[1], pol[3] };
		s[n] = compile_pols(&c, kept, 3, 23, s[n - 1]);
		CU_ASSERT_TRUE(s[n]->delta_ok);
		CU_ASSERT_EQUAL(s[n]->n_delta, 0);
		n++;
	}

	/* An allow policy edited: it may have been a flow's best match, so every flow again. */
	web.len = 25;
	{
		struct egw_policy_conf kept[3] = { pol[0], pol[1], pol[3] };
		s[n] = compile_pols(&c, kept, 3, 24, s[n - 1]);
	}
	CU_ASSERT_FALSE(s[n]->delta_ok);
	n++;
	web.len = 24;

	/* An allow policy removed. */
	s[n] = compile_pols(&c, &pol[1], 1, 25, s[n - 1]);
	CU_ASSERT_FALSE(s[n]->delta_ok);
	n++;

	/* Unchanged policies swapping file order: ranks among equal priorities may flip. */
	{
		struct egw_policy_conf sw[2];
		mk_pol(&sw[0], "block", &bad, EGW_ACTION_DENY, 11, 0);
		mk_pol(&sw[1], "web", &web, EGW_ACTION_ALLOW, 0, 1);
		s[n] = compile_pols(&c, pol, 2, 26, s[n - 1]); /* web + block again */
		n++;
		s[n] = compile_pols(&c, sw, 2, 27, s[n - 1]);
		CU_ASSERT_FALSE(s[n]->delta_ok);
		n++;
	}

	/* The mode changes. */
	c.egress.mode = EGW_MODE_PASSTHROUGH;
	s[n] = compile_pols(&c, pol, 2, 28, s[n - 1]);
	CU_ASSERT_FALSE(s[n]->delta_ok);
	n++;
	for (unsigned i = 0; i < n; i++)
		egw_snapshot_free(s[i]);
}

static void test_slots_names(void)
{
	uint32_t a = egw_policy_slots_get(&slots, "alpha", 1);
	uint32_t b = egw_policy_slots_get(&slots, "beta", 1);

	CU_ASSERT(a != 0 && b != 0 && a != b);
	CU_ASSERT_EQUAL(egw_policy_slots_get(&slots, "alpha", 2), a);
	CU_ASSERT_EQUAL(slots.generation[a], 2);
	CU_ASSERT_EQUAL(slots.generation[b], 1);
	CU_ASSERT_STRING_EQUAL(slots.names[0], "(mode)");
}

/* A client segment with 100 bytes of data, SEQ 1000, ACK 5000, and IP options. */
static struct rte_mbuf *data_segment(struct egw_pkt_meta *meta)
{
	uint8_t frame[PG_FRAME_MAX];
	struct pg_pkt p = { .src = PG_IP(198, 18, 0, 2),
		.dst = PG_IP(203, 0, 113, 1),
		.proto = IPPROTO_TCP,
		.ihl = 6,
		.sport = 40000,
		.dport = 443,
		.tcp_flags = EGW_TCP_ACK | EGW_TCP_PSH,
		.tcp_doff = 8,
		.seq = 1000,
		.ack = 5000,
		.payload_len = 100 };
	size_t len;
	struct rte_mbuf *m;

	pg_mac(p.dmac, 1);
	pg_mac(p.smac, 2);
	len = pg_build(frame, sizeof(frame), &p);
	m = pg_mbuf(pg_mempool(), frame, len, 0);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL_FATAL(egw_pkt_parse(rte_pktmbuf_mtod(m, uint8_t *), m->data_len, meta),
		EGW_DROP_NONE);
	return m;
}

static void test_rst_inplace(void)
{
	struct egw_pkt_meta meta;
	struct rte_mbuf *m = data_segment(&meta);
	const uint8_t *ip, *tcp;

	egw_tcp_rst_inplace(m, &meta);
	ip = rte_pktmbuf_mtod(m, uint8_t *) + PG_ETH_LEN;
	tcp = ip + 20;
	CU_ASSERT_EQUAL(ip[0], 0x45);
	CU_ASSERT_EQUAL(pg_rd16(ip + 2), 40);
	CU_ASSERT_EQUAL(m->data_len, PG_ETH_LEN + 40);
	CU_ASSERT_EQUAL(pg_rd16(tcp), 40000);
	CU_ASSERT_EQUAL(pg_rd16(tcp + 2), 443);
	CU_ASSERT_EQUAL(pg_rd32(tcp + 4), 1000); /* what the server expects next */
	CU_ASSERT_EQUAL(pg_rd32(tcp + 8), 5000);
	CU_ASSERT_EQUAL(tcp[12] >> 4, 5);
	CU_ASSERT_EQUAL(tcp[13], EGW_TCP_RST | EGW_TCP_ACK);
	CU_ASSERT(pg_ip_csum_ok(ip));
	CU_ASSERT(pg_l4_csum_ok(ip));
	CU_ASSERT_EQUAL(meta.ip_len, 40);
	CU_ASSERT_EQUAL(meta.l4_off, PG_ETH_LEN + 20);
	/* The result parses as what it claims to be. */
	{
		struct egw_pkt_meta again;
		CU_ASSERT_EQUAL(egw_pkt_parse(rte_pktmbuf_mtod(m, uint8_t *), m->data_len, &again),
			EGW_DROP_NONE);
		CU_ASSERT_EQUAL(again.tcp_flags, EGW_TCP_RST | EGW_TCP_ACK);
	}
	rte_pktmbuf_free(m);
}

static void test_rst_reverse(void)
{
	struct egw_pkt_meta meta;
	struct rte_mbuf *m = data_segment(&meta);
	struct rte_mbuf *r = rte_pktmbuf_alloc(pg_mempool());
	struct rte_ether_addr ours = { { 0x02, 0, 0, 0, 0, 0x99 } };
	const uint8_t *e, *ip, *tcp;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	egw_tcp_rst_reverse(r, m, &meta, &ours);
	e = rte_pktmbuf_mtod(r, uint8_t *);
	ip = e + PG_ETH_LEN;
	tcp = ip + 20;
	CU_ASSERT_EQUAL(memcmp(e, rte_pktmbuf_mtod(m, uint8_t *) + 6, 6), 0); /* back to sender */
	CU_ASSERT_EQUAL(memcmp(e + 6, ours.addr_bytes, 6), 0);
	CU_ASSERT_EQUAL(pg_rd32(ip + 12), PG_IP(203, 0, 113, 1));
	CU_ASSERT_EQUAL(pg_rd32(ip + 16), PG_IP(198, 18, 0, 2));
	CU_ASSERT_EQUAL(pg_rd16(tcp), 443);
	CU_ASSERT_EQUAL(pg_rd16(tcp + 2), 40000);
	CU_ASSERT_EQUAL(pg_rd32(tcp + 4), 5000);       /* what the client expects next */
	CU_ASSERT_EQUAL(pg_rd32(tcp + 8), 1000 + 100); /* acknowledges the data */
	CU_ASSERT_EQUAL(tcp[13], EGW_TCP_RST | EGW_TCP_ACK);
	CU_ASSERT(pg_ip_csum_ok(ip));
	CU_ASSERT(pg_l4_csum_ok(ip));
	CU_ASSERT_EQUAL(r->port, m->port);
	rte_pktmbuf_free(r);
	rte_pktmbuf_free(m);
}

void egw_test_register_policy_rt(void)
{
	EGW_SUITE("policy_rt", init_suite, clean_suite, EGW_TEST(test_compile_policies),
		EGW_TEST(test_compile_without_policies), EGW_TEST(test_epoch_chain),
		EGW_TEST(test_recheck_delta), EGW_TEST(test_slots_names),
		EGW_TEST(test_rst_inplace), EGW_TEST(test_rst_reverse));
}
