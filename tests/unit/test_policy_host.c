/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host-name policies (lib/policy/decide.h): real policy files compiled into snapshots, then
 * the decisions of a new flow, of a pending flow on its first bytes, of the re-check after a
 * reload, and dns_filter; with names learned from DNS through lib/names.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>

#include "conf/conf.h"
#include "conf/policy_conf.h"
#include "egw_test.h"
#include "names/names.h"
#include "policy/decide.h"
#include "policy/slots.h"
#include "policy/snapshot.h"
#include "testdata.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define CLIENT IP(198, 18, 0, 10)
#define SERVER IP(203, 0, 113, 80)

static struct egw_conf *conf;
static struct egw_policy_set pset;
static struct egw_policy_slots slots;
static uint64_t generation;
static unsigned slots_made;

static int init_suite(void)
{
	char name[16];

	if (egw_test_eal_init() < 0)
		return -1;
	conf = malloc(sizeof(*conf));
	snprintf(name, sizeof(name), "phs%u", slots_made++);
	return conf ? egw_policy_slots_init(&slots, name) : -1;
}

static int clean_suite(void)
{
	egw_policy_set_free(&pset);
	egw_policy_slots_fini(&slots);
	free(conf);
	return 0;
}

#define MAIN                                                                                       \
	"[port in]\ndevice = net_null0\nrole = inside\naddress = 198.18.0.1/24\n"                  \
	"[port out]\ndevice = net_null1\nrole = outside\naddress = 203.0.113.2/24\n"               \
	"gateway = 203.0.113.1\n"                                                                  \
	"[pool public]\naddresses = 198.51.100.10\n"                                               \
	"[pool special]\naddresses = 198.51.100.20\n"                                              \
	"[egress]\ndefault_pool = public\n"

/* A snapshot of MAIN + EGRESS (more [egress] keys) with the policy file POLICIES. */
static struct egw_snapshot *snap_of(const char *egress, const char *policies)
{
	static const uint16_t port_ids[EGW_MAX_PORTS] = { 0, 1 };
	struct egw_conf_errors errs = { 0 };
	struct egw_snapshot_inputs in = { .conf = conf,
		.policies = &pset,
		.port_ids = port_ids,
		.slots = &slots,
		.host_policies = true };
	struct egw_snapshot *s;
	char text[2048];

	snprintf(text, sizeof(text), MAIN "%s", egress);
	egw_policy_set_free(&pset);
	if (egw_conf_load_string("main.ini", text, conf, &errs) != 0 ||
		egw_policy_load_string(conf, "p.ini", policies, &pset, &errs) != 0) {
		egw_conf_errors_print(&errs, stderr);
		CU_FAIL_FATAL("bad test configuration");
	}
	egw_conf_errors_free(&errs);
	in.generation = ++generation;
	s = egw_snapshot_compile(&in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

static struct egw_cls_key tcp(uint32_t dst, uint16_t port)
{
	return (struct egw_cls_key){ CLIENT, dst, port, IPPROTO_TCP };
}

static struct egw_host_seen tls(const char *sni, bool ech)
{
	return (struct egw_host_seen){ EGW_SEEN_TLS, sni ? EGW_HOSTNAME_VALID : EGW_HOSTNAME_ABSENT,
		sni ? (uint8_t)strlen(sni) : 0, ech, sni };
}

static struct egw_host_seen http(const char *host)
{
	return (struct egw_host_seen){ EGW_SEEN_HTTP, EGW_HOSTNAME_VALID, (uint8_t)strlen(host),
		false, host };
}

static struct egw_host_seen seen_only(enum egw_seen_kind k)
{
	return (struct egw_host_seen){ .kind = (uint8_t)k };
}

/* "allow:NAME", "deny:NAME/why", "pending:NAME"; NAME "-" for the mode. */
static const char *verdict_str(const struct egw_verdict *v)
{
	static char buf[128];
	const char *rt = v->rt ? v->rt->name : "-";

	switch (v->kind) {
	case EGW_VERDICT_ALLOW:
		snprintf(buf, sizeof(buf), "allow:%s", rt);
		break;
	case EGW_VERDICT_DENY:
		snprintf(buf, sizeof(buf), "deny:%s/%s", rt,
			egw_drop_name((enum egw_drop_reason)v->why));
		break;
	default:
		snprintf(buf, sizeof(buf), "pending:%s", rt);
		break;
	}
	return buf;
}

static const char *decide_new(const struct egw_snapshot *s, const struct egw_names_view *nv,
	struct egw_cls_key k)
{
	static struct egw_verdict v;

	egw_policy_decide_new(s, nv, &k, 100, &v);
	return verdict_str(&v);
}

static const char *decide_name(const struct egw_snapshot *s, struct egw_cls_key k,
	struct egw_host_seen seen)
{
	static struct egw_verdict v;

	egw_policy_decide_name(s, NULL, &k, &seen, 100, &v);
	return verdict_str(&v);
}

#define EXPECT(got, want)                                                                          \
	do {                                                                                       \
		const char *g_ = (got);                                                            \
		if (strcmp(g_, want) != 0) {                                                       \
			fprintf(stderr, "\n%s:%d: got %s, want %s\n", __FILE__, __LINE__, g_,      \
				want);                                                             \
			CU_FAIL("decision");                                                       \
		}                                                                                  \
	} while (0)

static const char *decide_tunnel(const struct egw_snapshot *s, struct egw_cls_key k,
	const char *name)
{
	static struct egw_verdict v;

	egw_policy_decide_tunnel(s, NULL, &k, name, name ? strlen(name) : 0, 100, &v);
	return verdict_str(&v);
}

/* ---- tunnel requests: hosts rules of every protocol by the requested name ---- */

static void test_tunnel_decide(void)
{
	struct egw_snapshot *s = snap_of("",
		"[policy gh]\nprotocol = tls\nhosts = github.com\nports = 443\naction = allow\n"
		"priority = 10\n"
		"[policy api]\nprotocol = http\nhosts = api.example\naction = allow\nnat = "
		"special\n"
		"[policy dns]\nprotocol = tcp\nhosts = *.allowed.test\naction = allow\n"
		"[policy bad]\nprotocol = tcp\nhosts = bad.allowed.test\naction = deny\n"
		"priority = 5\n"
		"[policy ssh]\nprotocol = tcp\nports = 22\naction = allow\n");

	EXPECT(decide_tunnel(s, tcp(SERVER, 443), "github.com"), "allow:gh");
	EXPECT(decide_tunnel(s, tcp(SERVER, 80), "github.com"), "deny:-/host_denied");
	EXPECT(decide_tunnel(s, tcp(SERVER, 8080), "api.example"), "allow:api");
	EXPECT(decide_tunnel(s, tcp(SERVER, 80), "www.allowed.test"), "allow:dns");
	EXPECT(decide_tunnel(s, tcp(SERVER, 80), "bad.allowed.test"), "deny:bad/host_denied");
	EXPECT(decide_tunnel(s, tcp(SERVER, 80), "www.denied.test"), "deny:-/host_denied");
	/* tuple rules by the resolved address, with or without a name */
	EXPECT(decide_tunnel(s, tcp(SERVER, 22), "www.denied.test"), "allow:ssh");
	EXPECT(decide_tunnel(s, tcp(SERVER, 22), NULL), "allow:ssh");
	EXPECT(decide_tunnel(s, tcp(SERVER, 443), NULL), "deny:-/policy_no_match");
	egw_snapshot_free(s);

	s = snap_of("mode = deny\n", "[policy ssh]\nprotocol = tcp\nports = 22\naction = allow\n");
	EXPECT(decide_tunnel(s, tcp(SERVER, 22), "x.test"), "deny:-/mode_deny");
	egw_snapshot_free(s);
}

/* ---- precedence ---- */

static void test_host_then_tuple(void)
{
	struct egw_snapshot *s = snap_of("",
		"[policy gh]\nprotocol = tls\nhosts = github.com\nports = 80, 443\naction = allow\n"
		"priority = 10\n"
		"[policy web]\nprotocol = tcp\nports = 443\naction = allow\nnat = special\n"
		"[policy no-ssh]\nprotocol = tcp\nports = 22\naction = deny\n");

	/* the host rule precedes the tuple rule that matches: wait for the name */
	EXPECT(decide_new(s, NULL, tcp(SERVER, 443)), "pending:gh");
	EXPECT(decide_name(s, tcp(SERVER, 443), tls("github.com", false)), "allow:gh");
	EXPECT(decide_name(s, tcp(SERVER, 443), tls("gitlab.com", false)), "allow:web");
	EXPECT(decide_name(s, tcp(SERVER, 443), seen_only(EGW_SEEN_OTHER)), "allow:web");
	/* no tls rule for port 22: decided at once */
	EXPECT(decide_new(s, NULL, tcp(SERVER, 22)), "deny:no-ssh/policy_deny");
	/* port 80: the tls rule is the only candidate */
	EXPECT(decide_new(s, NULL, tcp(SERVER, 80)), "pending:gh");
	EXPECT(decide_name(s, tcp(SERVER, 80), tls("github.com", false)), "allow:gh");
	EXPECT(decide_name(s, tcp(SERVER, 80), tls("gitlab.com", false)), "deny:-/host_denied");
	/* tls is TCP: UDP never waits */
	EXPECT(decide_new(s, NULL, ((struct egw_cls_key){ CLIENT, SERVER, 443, IPPROTO_UDP })),
		"deny:-/policy_no_match");
	egw_snapshot_free(s);
}

static void test_equal_priority_file_order(void)
{
	/* the tuple allow comes first in the file: it decides, names are never read */
	struct egw_snapshot *s =
		snap_of("", "[policy web]\nprotocol = tcp\nports = 443\naction = allow\n"
			    "[policy evil]\nprotocol = tls\nhosts = evil.example\naction = deny\n");

	EXPECT(decide_new(s, NULL, tcp(SERVER, 443)), "allow:web");
	egw_snapshot_free(s);

	/* the deny host rule first: every 443 flow waits for its name */
	s = snap_of("", "[policy evil]\nprotocol = tls\nhosts = evil.example\naction = deny\n"
			"[policy web]\nprotocol = tcp\nports = 443\naction = allow\n");
	EXPECT(decide_new(s, NULL, tcp(SERVER, 443)), "pending:web");
	EXPECT(decide_name(s, tcp(SERVER, 443), tls("evil.example", false)),
		"deny:evil/host_denied");
	EXPECT(decide_name(s, tcp(SERVER, 443), tls("www.evil.example", false)), "allow:web");
	EXPECT(decide_name(s, tcp(SERVER, 443), tls(NULL, false)), "allow:web");
	egw_snapshot_free(s);

	/* a priority beats file order */
	s = snap_of("", "[policy web]\nprotocol = tcp\nports = 443\naction = allow\n"
			"[policy evil]\nprotocol = tls\nhosts = evil.example\naction = deny\n"
			"priority = 1\n");
	EXPECT(decide_new(s, NULL, tcp(SERVER, 443)), "pending:web");
	EXPECT(decide_name(s, tcp(SERVER, 443), tls("evil.example", false)),
		"deny:evil/host_denied");
	egw_snapshot_free(s);
}

static void test_wildcard_and_apex(void)
{
	struct egw_snapshot *s = snap_of("",
		"[policy sub]\nprotocol = tls\nhosts = *.example.com\naction = allow\n"
		"[policy apex-http]\nprotocol = http\nhosts = example.com\naction = allow\n");

	EXPECT(decide_name(s, tcp(SERVER, 443), tls("a.example.com", false)), "allow:sub");
	EXPECT(decide_name(s, tcp(SERVER, 443), tls("a.b.example.com", false)), "allow:sub");
	EXPECT(decide_name(s, tcp(SERVER, 443), tls("example.com", false)), "deny:-/host_denied");
	EXPECT(decide_name(s, tcp(SERVER, 443), tls("notexample.com", false)),
		"deny:-/host_denied");
	/* the protocol is part of the rule */
	EXPECT(decide_name(s, tcp(SERVER, 80), http("example.com")), "allow:apex-http");
	EXPECT(decide_name(s, tcp(SERVER, 80), http("a.example.com")), "deny:-/host_denied");
	egw_snapshot_free(s);
}

/* Tuple parts of host rules: sources, destinations, ports. */
static void test_host_rule_tuple(void)
{
	struct egw_snapshot *s = snap_of("",
		"[group lab]\nsources = 198.18.0.0/28, 198.18.0.64/26\n"
		"[policy gh]\nsources = lab\ndestinations = 203.0.113.0/25\nports = 443, 8443\n"
		"protocol = tls\nhosts = github.com\naction = allow\n");
	struct egw_cls_key k = tcp(SERVER, 443);

	EXPECT(decide_name(s, k, tls("github.com", false)), "allow:gh");
	k.dport = 8443;
	EXPECT(decide_name(s, k, tls("github.com", false)), "allow:gh");
	k.dport = 444;
	EXPECT(decide_name(s, k, tls("github.com", false)), "deny:-/host_protocol_mismatch");
	k = tcp(IP(203, 0, 113, 200), 443);
	EXPECT(decide_new(s, NULL, k), "deny:-/policy_no_match");
	EXPECT(decide_name(s, k, tls("github.com", false)), "deny:-/host_protocol_mismatch");
	k = tcp(SERVER, 443);
	k.src = IP(198, 18, 0, 100);
	EXPECT(decide_name(s, k, tls("github.com", false)), "allow:gh");
	k.src = IP(198, 18, 0, 20);
	EXPECT(decide_new(s, NULL, k), "deny:-/policy_no_match");
	egw_snapshot_free(s);
}

static void test_modes(void)
{
	const char *pols = "[policy evil]\nprotocol = tls\nhosts = evil.example\naction = deny\n";
	struct egw_snapshot *s = snap_of("mode = passthrough\n", pols);

	/* passthrough: a deny host rule makes flows wait; the mode allows what it spares */
	EXPECT(decide_new(s, NULL, tcp(SERVER, 443)), "pending:-");
	EXPECT(decide_name(s, tcp(SERVER, 443), tls("evil.example", false)),
		"deny:evil/host_denied");
	EXPECT(decide_name(s, tcp(SERVER, 443), tls("good.example", false)), "allow:-");
	EXPECT(decide_name(s, tcp(SERVER, 443), seen_only(EGW_SEEN_NOTHING)), "allow:-");
	egw_snapshot_free(s);

	/* policy mode with only a deny: every outcome denies, so nothing waits */
	s = snap_of("", pols);
	EXPECT(decide_new(s, NULL, tcp(SERVER, 443)), "deny:-/policy_no_match");
	egw_snapshot_free(s);

	s = snap_of("mode = deny\n",
		"[policy gh]\nprotocol = tls\nhosts = github.com\naction = allow\n");
	EXPECT(decide_new(s, NULL, tcp(SERVER, 443)), "deny:-/mode_deny");
	EXPECT(decide_name(s, tcp(SERVER, 443), tls("github.com", false)), "deny:-/mode_deny");
	egw_snapshot_free(s);
}

static void test_ech(void)
{
	const char *pols = "[policy ex]\nprotocol = tls\nhosts = www.example.com\naction = allow\n";
	struct egw_snapshot *s = snap_of("", pols);
	struct egw_cls_key k = tcp(SERVER, 443);
	struct egw_host_seen seen = tls("www.example.com", true);
	struct egw_verdict v;

	/* outer: the outer SNI is matched and the flow marked */
	egw_policy_decide_name(s, NULL, &k, &seen, 100, &v);
	EXPECT(verdict_str(&v), "allow:ex");
	CU_ASSERT_TRUE(v.ech);
	CU_ASSERT_EQUAL(v.seen, EGW_SEEN_TLS);
	CU_ASSERT_STRING_EQUAL(v.name, "www.example.com");
	/* an outer name the list does not hold (a provider's public name) is denied */
	EXPECT(decide_name(s, k, tls("cloudflare-ech.com", true)), "deny:-/host_denied");
	egw_snapshot_free(s);

	s = snap_of("ech = deny\n", pols);
	EXPECT(decide_name(s, k, tls("www.example.com", true)), "deny:-/host_ech");
	EXPECT(decide_name(s, k, tls("www.example.com", false)), "allow:ex");
	egw_snapshot_free(s);
}

static void test_protocol_mismatch_and_unknown(void)
{
	struct egw_snapshot *s =
		snap_of("", "[policy tls-only]\nprotocol = tls\nports = 443\naction = allow\n"
			    "[policy docs]\nprotocol = http\nports = 80\nhosts = "
			    "docs.example\naction = allow\n");
	struct egw_cls_key k = tcp(SERVER, 443);

	/* tls without hosts: any name, or none, but TLS */
	EXPECT(decide_name(s, k, tls(NULL, false)), "allow:tls-only");
	EXPECT(decide_name(s, k, tls("anything.example", false)), "allow:tls-only");
	EXPECT(decide_name(s, k, seen_only(EGW_SEEN_OTHER)), "deny:-/host_protocol_mismatch");
	EXPECT(decide_name(s, k, http("docs.example")), "deny:-/host_protocol_mismatch");
	EXPECT(decide_name(s, k, seen_only(EGW_SEEN_MALFORMED)), "deny:-/host_unknown");
	EXPECT(decide_name(s, k, seen_only(EGW_SEEN_NOTHING)), "deny:-/host_unknown");
	k.dport = 80;
	EXPECT(decide_name(s, k, http("docs.example")), "allow:docs");
	EXPECT(decide_name(s, k, http("www.example")), "deny:-/host_denied");
	EXPECT(decide_name(s, k, tls("docs.example", false)), "deny:-/host_protocol_mismatch");
	EXPECT(decide_name(s, k, tls(NULL, false)), "deny:-/host_protocol_mismatch");
	/* a name sent that is not a host name, or none: unknown */
	{
		struct egw_host_seen h = http("docs.example");

		h.name_state = EGW_HOSTNAME_INVALID;
		EXPECT(decide_name(s, k, h), "deny:-/host_unknown");
		h.name_state = EGW_HOSTNAME_ABSENT;
		EXPECT(decide_name(s, k, h), "deny:-/host_unknown");
	}
	egw_snapshot_free(s);
}

/* A pending flow's SYN leaves bound to the first allow candidate's pool and exit. */
static void test_pending_binding(void)
{
	struct egw_snapshot *s =
		snap_of("", "[policy special]\nprotocol = tls\nhosts = api.example\naction = "
			    "allow\nnat = special\n"
			    "priority = 20\n"
			    "[policy blocked]\nprotocol = tls\nhosts = bad.example\naction = "
			    "deny\npriority = 30\n"
			    "[policy rest]\nprotocol = tcp\naction = allow\nvia = out\n");
	struct egw_cls_key k = tcp(SERVER, 443);
	struct egw_verdict v;
	struct egw_host_seen seen = tls("www.example", false);
	uint32_t special = rte_cpu_to_be_32(IP(198, 51, 100, 20));
	uint32_t public = rte_cpu_to_be_32(IP(198, 51, 100, 10));

	egw_policy_decide_new(s, NULL, &k, 100, &v);
	EXPECT(verdict_str(&v), "pending:special");
	CU_ASSERT_PTR_EQUAL(egw_verdict_pool(s, &v), &s->pools[1]);
	CU_ASSERT_EQUAL(egw_verdict_via(&v), EGW_VIA_DEFAULT);
	/* allowed by another policy than the binding one: its pool and exit cannot apply */
	egw_policy_decide_name(s, NULL, &k, &seen, 100, &v);
	EXPECT(verdict_str(&v), "allow:rest");
	CU_ASSERT_TRUE(egw_verdict_rebind(s, &v, special, EGW_VIA_DEFAULT));
	CU_ASSERT_TRUE(egw_verdict_rebind(s, &v, public, EGW_VIA_DEFAULT)); /* exit differs */
	CU_ASSERT_FALSE(egw_verdict_rebind(s, &v, public, 1));
	seen = tls("api.example", false);
	egw_policy_decide_name(s, NULL, &k, &seen, 100, &v);
	EXPECT(verdict_str(&v), "allow:special");
	CU_ASSERT_FALSE(egw_verdict_rebind(s, &v, special, EGW_VIA_DEFAULT));
	CU_ASSERT_TRUE(egw_verdict_rebind(s, &v, 0, EGW_VIA_DEFAULT));
	EXPECT(decide_name(s, k, tls("bad.example", false)), "deny:blocked/host_denied");
	egw_snapshot_free(s);

	/* the first candidate denies: bound with the allow after it */
	s = snap_of("", "[policy blocked]\nprotocol = tls\nhosts = bad.example\naction = deny\n"
			"[policy rest]\nprotocol = tcp\naction = allow\nnat = none\n");
	egw_policy_decide_new(s, NULL, &k, 100, &v);
	EXPECT(verdict_str(&v), "pending:rest");
	CU_ASSERT_PTR_NULL(egw_verdict_pool(s, &v));
	CU_ASSERT_FALSE(egw_verdict_rebind(s, &v, 0, EGW_VIA_DEFAULT));
	CU_ASSERT_TRUE(egw_verdict_rebind(s, &v, public, EGW_VIA_DEFAULT));
	egw_snapshot_free(s);
}

/* Late binding (issue 12): a pending verdict is late when host_binding says so; with auto
 * only where the allow policies around a tls/http candidate bind apart. */
static bool late_for(const char *egress, const char *policies, struct egw_cls_key k)
{
	struct egw_snapshot *s = snap_of(egress, policies);
	struct egw_verdict v;
	bool late;

	egw_policy_decide_new(s, NULL, &k, 100, &v);
	CU_ASSERT_EQUAL(v.kind, EGW_VERDICT_PENDING);
	late = v.kind == EGW_VERDICT_PENDING && v.late;
	egw_snapshot_free(s);
	return late;
}

#define TWO_POOLS                                                                                  \
	"[policy a]\nprotocol = tls\nhosts = a.example\naction = allow\nnat = special\n"           \
	"[policy b]\nprotocol = tls\nhosts = b.example\naction = allow\n"
#define ONE_POOL                                                                                   \
	"[policy a]\nprotocol = tls\nhosts = a.example\naction = allow\nnat = special\n"           \
	"[policy b]\nprotocol = tls\nhosts = b.example\naction = allow\nnat = special\n"           \
	"[policy c]\nprotocol = tls\nhosts = c.example\naction = deny\n"

static void test_late_binding(void)
{
	struct egw_cls_key k = tcp(SERVER, 443);

	CU_ASSERT_TRUE(late_for("", TWO_POOLS, k));
	CU_ASSERT_FALSE(late_for("", ONE_POOL, k));
	/* an exit of its own is a different binding too */
	CU_ASSERT_TRUE(late_for("",
		ONE_POOL "[policy d]\nprotocol = tcp\naction = allow\n"
			 "nat = special\nvia = out\n",
		k));
	/* an allow elsewhere (another port) never decides these flows */
	CU_ASSERT_FALSE(late_for("",
		"[policy a]\nprotocol = tls\nports = 443\nhosts = a.example\naction = allow\nnat = "
		"special\n"
		"[policy d]\nprotocol = tcp\nports = 80\naction = allow\n",
		k));
	CU_ASSERT_TRUE(late_for("",
		"[policy a]\nprotocol = tls\nports = 443\nhosts = a.example\naction = allow\nnat = "
		"special\n"
		"[policy d]\nprotocol = tcp\nports = 400-500\naction = allow\n",
		k));
	/* passthrough: a flow nothing matches leaves from the default pool */
	CU_ASSERT_TRUE(late_for("mode = passthrough\n", ONE_POOL, k));
	CU_ASSERT_FALSE(late_for("host_binding = early\n", TWO_POOLS, k));
	CU_ASSERT_TRUE(late_for("host_binding = late\n", ONE_POOL, k));
	CU_ASSERT_FALSE(late_for("host_binding = auto\n", ONE_POOL, k));
}

/* ---- names learned from DNS ---- */

static struct egw_names_view *learned(struct egw_names_table **t, const char *const *names,
	const uint32_t *addrs, unsigned n)
{
	static const struct egw_names_limits lim = { 60, 64, 1000 };
	struct egw_names_view *v;

	*t = egw_names_table_create(&lim, 42);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*t);
	for (unsigned i = 0; i < n; i++)
		CU_ASSERT_EQUAL(egw_names_table_learn(*t, names[i], strlen(names[i]), addrs[i], 300,
					0),
			0);
	v = egw_names_table_view(*t, 1, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	return v;
}

static void test_dns_learned(void)
{
	static const char *const names[] = { "github.com", "evil.example", "api.github.com" };
	static const uint32_t addrs[] = { IP(140, 82, 112, 3), IP(203, 0, 113, 66),
		IP(140, 82, 112, 3) };
	struct egw_snapshot *s = snap_of("",
		"[policy gh]\nhosts = *.github.com, github.com\nprotocol = tcp\naction = allow\n"
		"[policy evil]\nhosts = evil.example\naction = deny\npriority = 5\n"
		"[policy dns-udp]\nhosts = ntp.example\nprotocol = udp\nports = 123\naction = "
		"allow\n"
		"[policy all-web]\nprotocol = tcp\nports = 80\naction = allow\npriority = -1\n");
	struct egw_names_table *t;
	struct egw_names_view *nv = learned(&t, names, addrs, 3);
	struct egw_cls_key k = tcp(IP(140, 82, 112, 3), 22);
	struct egw_verdict v;
	struct egw_flow_name fn;

	/* plain TCP to a learned address: decided at once, by the name */
	egw_policy_decide_new(s, nv, &k, 100, &v);
	EXPECT(verdict_str(&v), "allow:gh");
	CU_ASSERT_TRUE(v.learned);
	CU_ASSERT_EQUAL(v.name_len, strlen(v.name));
	CU_ASSERT(strcmp(v.name, "github.com") == 0 || strcmp(v.name, "api.github.com") == 0);
	egw_flow_name_keep(&fn, &v);
	CU_ASSERT_TRUE(fn.learned);
	CU_ASSERT_STRING_EQUAL(fn.name, v.name);
	/* an address learned for no name of the list, one never learned */
	EXPECT(decide_new(s, nv, tcp(IP(140, 82, 112, 4), 22)), "deny:-/policy_no_match");
	EXPECT(decide_new(s, NULL, tcp(IP(140, 82, 112, 3), 22)), "deny:-/policy_no_match");
	/* a deny host rule, above a tuple rule */
	EXPECT(decide_new(s, nv, tcp(IP(203, 0, 113, 66), 80)), "deny:evil/host_denied");
	EXPECT(decide_new(s, nv, tcp(IP(203, 0, 113, 67), 80)), "allow:all-web");
	/* protocol = tcp: UDP to the learned address is not covered */
	k.proto = IPPROTO_UDP;
	EXPECT(decide_new(s, nv, k), "deny:-/policy_no_match");
	/* learned names expire (300 s from 0) ... */
	k.proto = IPPROTO_TCP;
	egw_policy_decide_new(s, nv, &k, 300, &v);
	EXPECT(verdict_str(&v), "deny:-/policy_no_match");
	/* ... but never cut a flow they admitted */
	egw_policy_recheck(s, nv, &k, &fn, 300, &v);
	EXPECT(verdict_str(&v), "allow:gh");
	egw_policy_recheck(s, NULL, &k, &fn, 300, &v);
	EXPECT(verdict_str(&v), "allow:gh");
	/* without the kept name, it would be */
	egw_policy_recheck(s, NULL, &k, NULL, 300, &v);
	EXPECT(verdict_str(&v), "deny:-/policy_no_match");
	egw_names_view_free(nv);
	egw_names_table_free(t);
	egw_snapshot_free(s);
}

/* Many names for one address (a CDN): the best rule wins whichever name names it. */
static void test_dns_many_names(void)
{
	static const char *const names[] = { "a.cdn.example", "b.cdn.example", "shop.example",
		"c.cdn.example" };
	static const uint32_t addrs[] = { SERVER, SERVER, SERVER, SERVER };
	struct egw_snapshot *s =
		snap_of("", "[policy cdn]\nhosts = *.cdn.example\naction = allow\n"
			    "[policy shop]\nhosts = shop.example\naction = deny\npriority = 9\n");
	struct egw_names_table *t;
	struct egw_names_view *nv = learned(&t, names, addrs, 4);
	struct egw_verdict v;
	struct egw_cls_key k = tcp(SERVER, 443);

	egw_policy_decide_new(s, nv, &k, 10, &v);
	EXPECT(verdict_str(&v), "deny:shop/host_denied");
	CU_ASSERT_STRING_EQUAL(v.name, "shop.example");
	egw_names_view_free(nv);
	egw_names_table_free(t);
	egw_snapshot_free(s);
}

/* Learned names live in their own table: a reload (a new snapshot, new limits) keeps them. */
static void test_names_survive_reload(void)
{
	static const char *const names[] = { "db.corp.example" };
	static const uint32_t addrs[] = { IP(203, 0, 113, 9) };
	struct egw_snapshot *s = snap_of("",
		"[policy corp]\nhosts = *.corp.example\nprotocol = tcp\naction = allow\n");
	struct egw_names_table *t;
	struct egw_names_view *nv = learned(&t, names, addrs, 1);
	struct egw_names_limits lim = { 10, 2, 10 };

	EXPECT(decide_new(s, nv, tcp(addrs[0], 5432)), "allow:corp");
	egw_snapshot_free(s);
	egw_names_view_free(nv);
	/* the reload: new policies, new limits; the same table goes on */
	egw_names_table_set_limits(t, &lim);
	s = snap_of("dns_min_ttl = 10\ndns_max_per_name = 2\ndns_max_entries = 10\n",
		"[policy corp-db]\nhosts = db.corp.example\nports = 5432\naction = allow\n"
		"priority = 1\n"
		"[policy corp]\nhosts = *.corp.example\nprotocol = tcp\naction = allow\n");
	nv = egw_names_table_view(t, 2, 50);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nv);
	EXPECT(decide_new(s, nv, tcp(addrs[0], 5432)), "allow:corp-db");
	EXPECT(decide_new(s, nv, tcp(addrs[0], 22)), "allow:corp");
	egw_names_view_free(nv);
	egw_names_table_free(t);
	egw_snapshot_free(s);
}

/* ---- re-check after a reload ---- */

static void test_recheck(void)
{
	struct egw_snapshot *s =
		snap_of("", "[policy gh]\nprotocol = tls\nhosts = github.com\naction = allow\n");
	struct egw_cls_key k = tcp(SERVER, 443);
	struct egw_host_seen seen = tls("github.com", true);
	struct egw_verdict v;
	struct egw_flow_name fn;

	egw_policy_decide_name(s, NULL, &k, &seen, 100, &v);
	EXPECT(verdict_str(&v), "allow:gh");
	egw_flow_name_keep(&fn, &v);
	CU_ASSERT_EQUAL(fn.seen, EGW_SEEN_TLS);
	CU_ASSERT_TRUE(fn.ech);
	CU_ASSERT_FALSE(fn.learned);
	CU_ASSERT_STRING_EQUAL(fn.name, "github.com");
	/* the same policies: still allowed, by the name it was admitted with */
	egw_policy_recheck(s, NULL, &k, &fn, 100, &v);
	EXPECT(verdict_str(&v), "allow:gh");
	egw_snapshot_free(s);

	/* the name is no longer listed */
	s = snap_of("", "[policy gh]\nprotocol = tls\nhosts = gitlab.com\naction = allow\n");
	egw_policy_recheck(s, NULL, &k, &fn, 100, &v);
	EXPECT(verdict_str(&v), "deny:-/host_denied");
	egw_snapshot_free(s);
	/* a deny host rule above it */
	s = snap_of("", "[policy gh]\nprotocol = tls\nhosts = github.com\naction = allow\n"
			"[policy stop]\nprotocol = tls\nhosts = *.com, github.com\naction = deny\n"
			"priority = 1\n");
	egw_policy_recheck(s, NULL, &k, &fn, 100, &v);
	EXPECT(verdict_str(&v), "deny:stop/host_denied");
	egw_snapshot_free(s);
	/* ech = deny now */
	s = snap_of("ech = deny\n",
		"[policy gh]\nprotocol = tls\nhosts = github.com\naction = allow\n");
	egw_policy_recheck(s, NULL, &k, &fn, 100, &v);
	EXPECT(verdict_str(&v), "deny:-/host_ech");
	egw_snapshot_free(s);
	/* a flow decided at its first packet has no name: tls rules cannot match it */
	s = snap_of("",
		"[policy gh]\nprotocol = tls\naction = allow\n"
		"[policy web]\nports = 443\nprotocol = tcp\naction = allow\npriority = -1\n");
	egw_policy_recheck(s, NULL, &k, NULL, 100, &v);
	EXPECT(verdict_str(&v), "allow:web");
	egw_policy_recheck(s, NULL, &k, &fn, 100, &v);
	EXPECT(verdict_str(&v), "allow:gh");
	egw_snapshot_free(s);
	s = snap_of("", "[policy gh]\nprotocol = tls\naction = allow\n");
	egw_policy_recheck(s, NULL, &k, NULL, 100, &v);
	EXPECT(verdict_str(&v), "deny:-/policy_no_match");
	egw_snapshot_free(s);
}

/* A reload that changes only names, protocols or ech is a change for the re-check. */
static void test_fingerprint_and_delta(void)
{
	static const char *const variants[] = {
		"[policy p]\nprotocol = tls\nhosts = a.example\naction = allow\n",
		"[policy p]\nprotocol = tls\nhosts = b.example\naction = allow\n",
		"[policy p]\nprotocol = http\nhosts = a.example\naction = allow\n",
		"[policy p]\nprotocol = tcp\nhosts = a.example\naction = allow\n",
		"[policy p]\nprotocol = tls\naction = allow\n",
	};
	struct egw_snapshot *s[5], *e;

	for (unsigned i = 0; i < 5; i++)
		s[i] = snap_of("", variants[i]);
	for (unsigned i = 0; i < 5; i++)
		for (unsigned j = 0; j < i; j++)
			CU_ASSERT(memcmp(s[i]->fingerprint, s[j]->fingerprint, 32) != 0);
	e = snap_of("ech = deny\n", variants[0]);
	CU_ASSERT(memcmp(e->fingerprint, s[0]->fingerprint, 32) != 0);
	/* the same policies again: the same fingerprint, the epoch carries over */
	egw_snapshot_chain(e, s[0]);
	CU_ASSERT_FALSE(e->delta_ok); /* ech changed: every flow is re-checked */
	egw_snapshot_free(e);
	e = snap_of("", variants[0]);
	CU_ASSERT(memcmp(e->fingerprint, s[0]->fingerprint, 32) == 0);
	egw_snapshot_free(e);
	/* a deny host rule added: its tuple part is the delta */
	e = snap_of("",
		"[policy p]\nprotocol = tls\nhosts = a.example\naction = allow\n"
		"[policy q]\nprotocol = tls\nhosts = x.example\nports = 8443\naction = deny\n");
	egw_snapshot_chain(e, s[0]);
	CU_ASSERT_TRUE(e->delta_ok);
	CU_ASSERT_EQUAL_FATAL(e->n_delta, 1);
	CU_ASSERT_EQUAL(e->delta[0].port_lo, 8443);
	CU_ASSERT_EQUAL(e->delta[0].proto, IPPROTO_TCP);
	egw_snapshot_free(e);
	for (unsigned i = 0; i < 5; i++)
		egw_snapshot_free(s[i]);
}

/* ---- dns_filter ---- */

static bool permits(const struct egw_snapshot *s, uint32_t src, const char *name,
	const char *want_rt)
{
	const struct egw_policy_rt *rt;
	bool ok = egw_policy_dns_permits(s, src, name, name ? strlen(name) : 0, &rt);

	if (strcmp(rt ? rt->name : "-", want_rt) != 0) {
		fprintf(stderr, "\n%s: decided by %s, want %s\n", name ? name : "(null)",
			rt ? rt->name : "-", want_rt);
		CU_FAIL("dns_filter policy");
	}
	return ok;
}

static void test_dns_filter(void)
{
	struct egw_snapshot *s = snap_of("dns_filter = yes\n",
		"[group lab]\nsources = 198.18.1.0/24\n"
		"[policy dns]\nprotocol = udp\nports = 53\naction = allow\n"
		"[policy ping]\nprotocol = icmp\naction = allow\n"
		"[policy gh]\nsources = lab\nprotocol = tls\nhosts = *.github.com\naction = allow\n"
		"[policy tls-gh]\nprotocol = tls\nhosts = evil.github.com\naction = deny\n"
		"priority = 5\n"
		"[policy no-evil]\nhosts = evil.github.com\naction = deny\npriority = 5\n"
		"[policy part]\nhosts = *.github.com\ndestinations = 10.0.0.0/8\naction = deny\n"
		"priority = 6\n"
		"[policy ops]\nsources = 198.18.2.0/24\nports = 443\nprotocol = tcp\naction = "
		"allow\n"
		"[policy quarantine]\nsources = 198.18.2.66\naction = deny\npriority = 9\n");
	const uint32_t lab = IP(198, 18, 1, 5), ops = IP(198, 18, 2, 5), other = IP(198, 18, 3, 5);

	/* a host rule for the source names it */
	CU_ASSERT_TRUE(permits(s, lab, "api.github.com", "gh"));
	/* not for another source; the rules for port 53 and ICMP permit no name */
	CU_ASSERT_FALSE(permits(s, other, "api.github.com", "-"));
	CU_ASSERT_FALSE(permits(s, lab, "example.com", "-"));
	/* a deny for every protocol and port of the name comes first; tls-gh (TLS only) not */
	CU_ASSERT_FALSE(permits(s, lab, "evil.github.com", "no-evil"));
	/* TCP to any destination: every name */
	CU_ASSERT_TRUE(permits(s, ops, "example.com", "ops"));
	CU_ASSERT_TRUE(permits(s, ops, "evil.github.com", "no-evil") == false);
	CU_ASSERT_FALSE(permits(s, IP(198, 18, 2, 66), "example.com", "quarantine"));
	/* not a host name: only the policies that do not look at names */
	CU_ASSERT_TRUE(permits(s, ops, NULL, "ops"));
	CU_ASSERT_FALSE(permits(s, lab, NULL, "-"));
	egw_snapshot_free(s);

	s = snap_of("dns_filter = yes\nmode = passthrough\n",
		"[policy no-evil]\nhosts = evil.example\naction = deny\n"
		"[policy tls-only]\nprotocol = tls\nhosts = bad.example\naction = deny\n");
	CU_ASSERT_FALSE(permits(s, lab, "evil.example", "no-evil"));
	CU_ASSERT_TRUE(permits(s, lab, "bad.example", "-"));
	CU_ASSERT_TRUE(permits(s, lab, "good.example", "-"));
	egw_snapshot_free(s);

	s = snap_of("dns_filter = yes\nmode = deny\n",
		"[policy all]\nports = 443\nprotocol = tcp\naction = allow\n");
	CU_ASSERT_FALSE(permits(s, lab, "example.com", "-"));
	egw_snapshot_free(s);
	/* no policies at all */
	s = snap_of("dns_filter = yes\n", "");
	CU_ASSERT_FALSE(permits(s, lab, "example.com", "-"));
	egw_snapshot_free(s);
	/* the filter off: everything resolves */
	s = snap_of("", "[policy no-evil]\nhosts = evil.example\naction = deny\n");
	CU_ASSERT_TRUE(permits(s, lab, "evil.example", "-"));
	egw_snapshot_free(s);
}

/* ---- the first bytes ---- */

static void test_host_read_vectors(void)
{
	static const struct {
		const char *file;
		uint8_t kind;
		const char *name;
		bool ech;
	} vecs[] = {
		{ "tls_openssl.bin", EGW_SEEN_TLS, "www.example.com", false },
		{ "tls_nosni.bin", EGW_SEEN_TLS, NULL, false },
		{ "tls_pq_large.bin", EGW_SEEN_TLS, "api.github.com", false },
		{ "tls_ech.bin", EGW_SEEN_TLS, "www.example.com", true },
		{ "http_curl.bin", EGW_SEEN_HTTP, "www.example.com", false },
		{ "http_curl_connect.bin", EGW_SEEN_HTTP, "secure.example.net", false },
	};

	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		size_t n = 0;
		uint8_t *d = egw_testdata_load(vecs[i].file, &n);
		struct egw_host_read r;

		if (!d)
			continue;
		/* every prefix asks for more, never for more than the whole */
		for (size_t k = 0; k < n; k += 1 + k / 8) {
			uint8_t *p = egw_testdata_exact(d, k);

			CU_ASSERT_EQUAL(egw_host_read(p, (uint32_t)k, &r), EGW_L7_NEED_MORE);
			CU_ASSERT(r.need > k && r.need <= n);
			free(p);
		}
		CU_ASSERT_EQUAL(egw_host_read(d, (uint32_t)n, &r), EGW_L7_DONE);
		CU_ASSERT_EQUAL(r.seen.kind, vecs[i].kind);
		CU_ASSERT_EQUAL(r.seen.ech, vecs[i].ech);
		if (vecs[i].name) {
			CU_ASSERT_EQUAL(r.seen.name_state, EGW_HOSTNAME_VALID);
			CU_ASSERT_STRING_EQUAL(r.seen.name, vecs[i].name);
			CU_ASSERT_EQUAL(r.seen.name_len, strlen(vecs[i].name));
		} else {
			CU_ASSERT_EQUAL(r.seen.name_state, EGW_HOSTNAME_ABSENT);
		}
		free(d);
	}
}

static void test_host_read_other(void)
{
	static const char ssh[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";
	static const char h2[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	static const uint8_t bad_tls[] = { 0x16, 0x03, 0x01, 0x00, 0x05, 0x02, 0, 0, 1, 0 };
	static const char two_hosts[] =
		"GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n";
	struct egw_host_read r;

	CU_ASSERT_EQUAL(egw_host_read((const uint8_t *)ssh, sizeof(ssh) - 1, &r), EGW_L7_DONE);
	CU_ASSERT_EQUAL(r.seen.kind, EGW_SEEN_OTHER);
	CU_ASSERT_EQUAL(egw_host_read((const uint8_t *)h2, sizeof(h2) - 1, &r), EGW_L7_DONE);
	CU_ASSERT_EQUAL(r.seen.kind, EGW_SEEN_OTHER);
	CU_ASSERT_EQUAL(egw_host_read(bad_tls, sizeof(bad_tls), &r), EGW_L7_DONE);
	CU_ASSERT_EQUAL(r.seen.kind, EGW_SEEN_MALFORMED);
	CU_ASSERT_EQUAL(egw_host_read((const uint8_t *)two_hosts, sizeof(two_hosts) - 1, &r),
		EGW_L7_DONE);
	CU_ASSERT_EQUAL(r.seen.kind, EGW_SEEN_MALFORMED);
	CU_ASSERT_EQUAL(egw_host_read(NULL, 0, &r), EGW_L7_NEED_MORE);
	CU_ASSERT(r.need > 0);
}

/* The whole way: a captured ClientHello read and decided. */
static void test_read_then_decide(void)
{
	struct egw_snapshot *s =
		snap_of("", "[policy gh]\nprotocol = tls\nhosts = *.github.com\naction = allow\n");
	struct egw_cls_key k = tcp(SERVER, 443);
	struct egw_host_read r;
	struct egw_verdict v;
	size_t n = 0;
	uint8_t *d = egw_testdata_load("tls_curl.bin", &n);

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	egw_policy_decide_new(s, NULL, &k, 1, &v);
	EXPECT(verdict_str(&v), "pending:gh");
	CU_ASSERT_EQUAL(egw_host_read(d, (uint32_t)n, &r), EGW_L7_DONE);
	egw_policy_decide_name(s, NULL, &k, &r.seen, 1, &v);
	EXPECT(verdict_str(&v), "allow:gh");
	CU_ASSERT_STRING_EQUAL(v.name, "api.github.com");
	free(d);
	d = egw_testdata_load("tls_openssl.bin", &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(egw_host_read(d, (uint32_t)n, &r), EGW_L7_DONE);
	egw_policy_decide_name(s, NULL, &k, &r.seen, 1, &v);
	EXPECT(verdict_str(&v), "deny:-/host_denied");
	free(d);
	egw_snapshot_free(s);
}

void egw_test_register_policy_host(void)
{
	EGW_SUITE("policy_host", init_suite, clean_suite, EGW_TEST(test_host_then_tuple),
		EGW_TEST(test_equal_priority_file_order), EGW_TEST(test_wildcard_and_apex),
		EGW_TEST(test_host_rule_tuple), EGW_TEST(test_modes), EGW_TEST(test_ech),
		EGW_TEST(test_protocol_mismatch_and_unknown), EGW_TEST(test_pending_binding),
		EGW_TEST(test_late_binding), EGW_TEST(test_dns_learned),
		EGW_TEST(test_dns_many_names), EGW_TEST(test_names_survive_reload),
		EGW_TEST(test_recheck), EGW_TEST(test_fingerprint_and_delta),
		EGW_TEST(test_dns_filter), EGW_TEST(test_host_read_vectors),
		EGW_TEST(test_host_read_other), EGW_TEST(test_read_then_decide),
		EGW_TEST(test_tunnel_decide));
}
