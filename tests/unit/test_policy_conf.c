/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policy files (lib/conf/policy_*.c): a valid set of files with every field checked, every
 * error as its exact "FILE:LINE: message", files found by glob (absolute, relative to the
 * config, matching nothing, unreadable), names and limits across files.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "conf/conf.h"
#include "conf/policy_conf.h"
#include "egw_test.h"

static struct egw_conf *conf;
static struct egw_conf_errors errs;
static struct egw_policy_set set;
static char dir[PATH_MAX]; /* a mkdtemp directory for the files of the suite */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int suite_init(void)
{
	snprintf(dir, sizeof(dir), "/tmp/egw_policy_XXXXXX");
	conf = malloc(sizeof(*conf));
	return conf && mkdtemp(dir) ? 0 : -1;
}

static int suite_clean(void)
{
	egw_policy_set_free(&set);
	egw_conf_errors_free(&errs);
	free(conf);
	conf = NULL;
	if (dir[0])
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* Ports in (inside), out and out2 (outside); pools public and second. */
#define MAIN_PORTS                                                                                 \
	"[port in]\ndevice = net_null0\nrole = inside\naddress = 198.18.0.1/24\n"                  \
	"[port out]\ndevice = net_null1\nrole = outside\naddress = 203.0.113.2/24\n"               \
	"gateway = 203.0.113.1\n"                                                                  \
	"[port out2]\ndevice = net_null2\nrole = outside\naddress = 192.0.2.2/24\n"                \
	"[pool public]\naddresses = 198.51.100.10-198.51.100.13\n"                                 \
	"[pool second]\naddresses = 198.51.100.20\n"

/* The line of "policies = " in the main config main_conf() writes. */
static int policies_line(void)
{
	int line = 2;

	for (const char *p = MAIN_PORTS; *p; p++)
		line += *p == '\n';
	return line;
}

/* The main config NAME (its directory anchors relative patterns) with POLICIES. */
static void main_conf(const char *name, const char *policies, bool default_pool)
{
	char text[2048];
	struct egw_conf_errors e = { 0 };

	snprintf(text, sizeof(text), MAIN_PORTS "[egress]\npolicies = %s\n%s", policies,
		default_pool ? "default_pool = public\n" : "");
	CU_ASSERT_EQUAL_FATAL(egw_conf_load_string(name, text, conf, &e), 0);
	egw_conf_errors_free(&e);
}

static void reset(void)
{
	egw_policy_set_free(&set);
	egw_conf_errors_free(&errs);
}

static int load_string(const char *text)
{
	reset();
	return egw_policy_load_string(conf, "p.ini", text, &set, &errs);
}

static int load_files(void)
{
	reset();
	return egw_policy_load(conf, &set, &errs);
}

static bool has_error(const char *file, int line, const char *msg)
{
	for (unsigned i = 0; i < errs.n; i++)
		if (strcmp(errs.items[i].file, file) == 0 && errs.items[i].line == line &&
			strcmp(errs.items[i].msg, msg) == 0)
			return true;
	return false;
}

static void dump_errors(void)
{
	egw_conf_errors_print(&errs, stderr);
}

/* DIR/REL, in one of a few static buffers so that a call may take two of them. */
static const char *in_dir(const char *rel)
{
	static char path[4][PATH_MAX];
	static unsigned next;
	char *p = path[next++ % 4];

	if (snprintf(p, PATH_MAX, "%s/%s", dir, rel) >= PATH_MAX)
		abort();
	return p;
}

/* Writes DIR/REL, making its directory; returns the path. */
static const char *write_file(const char *rel, const char *text)
{
	const char *path = in_dir(rel);
	char sub[PATH_MAX];
	FILE *fp;

	memcpy(sub, path, strlen(path) + 1);
	*strrchr(sub, '/') = '\0';
	mkdir(sub, 0700);
	fp = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fputs(text, fp);
	fclose(fp);
	return path;
}

static void check_cidr(const struct egw_cidr *c, uint32_t prefix, uint8_t len)
{
	CU_ASSERT_EQUAL(c->prefix, prefix);
	CU_ASSERT_EQUAL(c->len, len);
}

/* ---- valid files ---- */

static const char file_a[] = "; first file\n" /* 1 */
			     "[policy web]\n" /* 2 */
			     "sources = office, 10.9.0.0/16 ; office is in 20-b.ini\n"
			     "destinations = 192.0.2.0/24, 198.51.100.7\n"
			     "ports = 80, 443,\n" /* 5 */
			     "\t8000-8100\n"	  /* 6 */
			     "protocol = tcp\n"	  /* 7 */
			     "action = allow\n"	  /* 8 */
			     "nat = second\n"	  /* 9 */
			     "via = out2\n"	  /* 10 */
			     "priority = -5\n"	  /* 11 */
			     "log = yes\n"	  /* 12 */
			     "max_flows = 1000\n" /* 13 */
			     "\n"		  /* 14 */
			     "[group lab]\n"	  /* 15 */
			     "sources = 10.50.0.0/16, 10.60.0.1\n"
			     "[policy ping]\n"	 /* 17 */
			     "protocol = icmp\n" /* 18 */
			     "action = allow\n"	 /* 19 */
			     "nat = none\n";	 /* 20 */

static const char file_b[] = "[group office]\n"		/* 1 */
			     "sources = 10.1.0.0/16,\n" /* 2 */
			     "  10.2.3.4, 0.0.0.0/0\n"	/* 3 */
			     "[policy block]\n"		/* 4 */
			     "sources = lab, 172.16.0.0/12, office\n"
			     "action = deny\n"	     /* 6 */
			     "priority = 1000000\n"  /* 7 */
			     "log = off\n"	     /* 8 */
			     "[policy everything]\n" /* 9 */
			     "sources = any\n"	     /* 10 */
			     "destinations = any\n"  /* 11 */
			     "ports = any\n"	     /* 12 */
			     "protocol = any\n"	     /* 13 */
			     "action = allow\n";     /* 14 */

static void check_valid_set(const char *fa, const char *fb)
{
	const struct egw_policy_conf *p;
	const struct egw_group_conf *g;

	CU_ASSERT_EQUAL_FATAL(set.n_files, 2);
	CU_ASSERT_STRING_EQUAL(set.files[0], fa);
	CU_ASSERT_STRING_EQUAL(set.files[1], fb);

	CU_ASSERT_EQUAL_FATAL(set.n_groups, 2);
	g = &set.groups[0];
	CU_ASSERT_STRING_EQUAL(g->name, "lab");
	CU_ASSERT_STRING_EQUAL(g->origin.file, fa);
	CU_ASSERT_EQUAL(g->origin.line, 15);
	CU_ASSERT_EQUAL_FATAL(g->n_cidrs, 2);
	check_cidr(&g->cidrs[0], 0x0a320000, 16);
	check_cidr(&g->cidrs[1], 0x0a3c0001, 32);
	g = &set.groups[1];
	CU_ASSERT_STRING_EQUAL(g->name, "office");
	CU_ASSERT_STRING_EQUAL(g->origin.file, fb);
	CU_ASSERT_EQUAL(g->origin.line, 1);
	CU_ASSERT_EQUAL_FATAL(g->n_cidrs, 3);
	check_cidr(&g->cidrs[0], 0x0a010000, 16);
	check_cidr(&g->cidrs[1], 0x0a020304, 32);
	check_cidr(&g->cidrs[2], 0, 0);

	CU_ASSERT_EQUAL_FATAL(set.n_policies, 4);
	p = &set.policies[0];
	CU_ASSERT_STRING_EQUAL(p->name, "web");
	CU_ASSERT_EQUAL(p->order, 0);
	CU_ASSERT_STRING_EQUAL(p->origin.file, fa);
	CU_ASSERT_EQUAL(p->origin.line, 2);
	CU_ASSERT_FALSE(p->sources_any);
	/* office (defined in the later file) expanded in place, then the CIDR. */
	CU_ASSERT_EQUAL_FATAL(p->n_sources, 4);
	check_cidr(&p->sources[0], 0x0a010000, 16);
	check_cidr(&p->sources[1], 0x0a020304, 32);
	check_cidr(&p->sources[2], 0, 0);
	check_cidr(&p->sources[3], 0x0a090000, 16);
	CU_ASSERT_FALSE(p->destinations_any);
	CU_ASSERT_EQUAL_FATAL(p->n_destinations, 2);
	check_cidr(&p->destinations[0], 0xc0000200, 24);
	check_cidr(&p->destinations[1], 0xc6336407, 32);
	CU_ASSERT_EQUAL(p->n_hosts, 0);
	CU_ASSERT_PTR_NULL(p->hosts);
	CU_ASSERT_FALSE(p->ports_any);
	CU_ASSERT_EQUAL_FATAL(p->n_ports, 3);
	CU_ASSERT_EQUAL(p->ports[0].lo, 80);
	CU_ASSERT_EQUAL(p->ports[0].hi, 80);
	CU_ASSERT_EQUAL(p->ports[1].lo, 443);
	CU_ASSERT_EQUAL(p->ports[1].hi, 443);
	CU_ASSERT_EQUAL(p->ports[2].lo, 8000);
	CU_ASSERT_EQUAL(p->ports[2].hi, 8100);
	CU_ASSERT_EQUAL(p->proto, EGW_PROTO_TCP);
	CU_ASSERT_EQUAL(p->action, EGW_ACTION_ALLOW);
	CU_ASSERT_STRING_EQUAL(p->nat, "second");
	CU_ASSERT_FALSE(p->nat_none);
	CU_ASSERT_STRING_EQUAL(p->via, "out2");
	CU_ASSERT_EQUAL(p->priority, -5);
	CU_ASSERT_TRUE(p->log);
	CU_ASSERT_EQUAL(p->max_flows, 1000);

	p = &set.policies[1];
	CU_ASSERT_STRING_EQUAL(p->name, "ping");
	CU_ASSERT_EQUAL(p->order, 1);
	CU_ASSERT_EQUAL(p->origin.line, 17);
	CU_ASSERT_TRUE(p->sources_any);
	CU_ASSERT_EQUAL(p->n_sources, 0);
	CU_ASSERT_TRUE(p->destinations_any);
	CU_ASSERT_EQUAL(p->n_destinations, 0);
	CU_ASSERT_TRUE(p->ports_any);
	CU_ASSERT_EQUAL(p->n_ports, 0);
	CU_ASSERT_EQUAL(p->proto, EGW_PROTO_ICMP);
	CU_ASSERT_STRING_EQUAL(p->nat, "");
	CU_ASSERT_TRUE(p->nat_none);
	CU_ASSERT_STRING_EQUAL(p->via, "");
	CU_ASSERT_EQUAL(p->priority, 0);
	CU_ASSERT_FALSE(p->log);
	CU_ASSERT_EQUAL(p->max_flows, 0);

	p = &set.policies[2];
	CU_ASSERT_STRING_EQUAL(p->name, "block");
	CU_ASSERT_EQUAL(p->order, 2);
	CU_ASSERT_STRING_EQUAL(p->origin.file, fb);
	CU_ASSERT_EQUAL(p->origin.line, 4);
	/* lab (defined earlier, in the other file), a CIDR, office. */
	CU_ASSERT_EQUAL_FATAL(p->n_sources, 6);
	check_cidr(&p->sources[0], 0x0a320000, 16);
	check_cidr(&p->sources[1], 0x0a3c0001, 32);
	check_cidr(&p->sources[2], 0xac100000, 12);
	check_cidr(&p->sources[3], 0x0a010000, 16);
	check_cidr(&p->sources[5], 0, 0);
	CU_ASSERT_EQUAL(p->action, EGW_ACTION_DENY);
	CU_ASSERT_EQUAL(p->proto, EGW_PROTO_ANY);
	CU_ASSERT_STRING_EQUAL(p->nat, "");
	CU_ASSERT_FALSE(p->nat_none);
	CU_ASSERT_EQUAL(p->priority, 1000000);
	CU_ASSERT_FALSE(p->log);

	p = &set.policies[3];
	CU_ASSERT_STRING_EQUAL(p->name, "everything");
	CU_ASSERT_EQUAL(p->order, 3);
	CU_ASSERT_EQUAL(p->origin.line, 9);
	CU_ASSERT_TRUE(p->sources_any);
	CU_ASSERT_EQUAL(p->n_sources, 0);
	CU_ASSERT_TRUE(p->destinations_any);
	CU_ASSERT_TRUE(p->ports_any);
	CU_ASSERT_EQUAL(p->n_ports, 0);
	CU_ASSERT_EQUAL(p->proto, EGW_PROTO_ANY);
	CU_ASSERT_EQUAL(p->action, EGW_ACTION_ALLOW);
}

static void test_valid_files(void)
{
	char fa[PATH_MAX], fb[PATH_MAX];
	int ret;

	snprintf(fb, sizeof(fb), "%s", write_file("v/20-b.ini", file_b));
	snprintf(fa, sizeof(fa), "%s", write_file("v/10-a.ini", file_a));
	write_file("v/README", "[not a policy file]\n");
	main_conf(in_dir("main.ini"), in_dir("v/*.ini"), true);
	ret = load_files();
	CU_ASSERT_EQUAL(ret, 0);
	CU_ASSERT_EQUAL(errs.n, 0);
	if (errs.n)
		dump_errors();
	check_valid_set(fa, fb);
}

/* A relative pattern is relative to the main config's directory, whatever the cwd. */
static void test_relative_glob(void)
{
	char fa[PATH_MAX], fb[PATH_MAX], cwd[PATH_MAX];

	snprintf(fa, sizeof(fa), "%s", write_file("v/10-a.ini", file_a));
	snprintf(fb, sizeof(fb), "%s", write_file("v/20-b.ini", file_b));
	main_conf(in_dir("main.ini"), "v/*.ini", true);
	CU_ASSERT_EQUAL(load_files(), 0);
	if (errs.n)
		dump_errors();
	check_valid_set(fa, fb);

	/* A config named without a directory: the pattern is relative to the cwd. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof(cwd)));
	CU_ASSERT_EQUAL_FATAL(chdir(dir), 0);
	main_conf("main.ini", "v/*.ini", true);
	CU_ASSERT_EQUAL(load_files(), 0);
	check_valid_set("v/10-a.ini", "v/20-b.ini");
	CU_ASSERT_EQUAL(chdir(cwd), 0);
}

static void test_no_files(void)
{
	main_conf(in_dir("main.ini"), in_dir("nothing/*.ini"), true);
	CU_ASSERT_EQUAL(load_files(), 0);
	CU_ASSERT_EQUAL(errs.n, 0);
	CU_ASSERT_EQUAL(set.n_files, 0);
	CU_ASSERT_EQUAL(set.n_policies, 0);
	CU_ASSERT_EQUAL(set.n_groups, 0);

	main_conf(in_dir("main.ini"), "", true);
	CU_ASSERT_EQUAL(load_files(), 0);
	CU_ASSERT_EQUAL(set.n_files, 0);

	CU_ASSERT_EQUAL(load_string(""), 0);
	CU_ASSERT_EQUAL(set.n_files, 1);
	CU_ASSERT_EQUAL(set.n_policies, 0);
}

/* Files read with the config's reader: comments, CRLF, name: value, long lines, NUL bytes. */
static void test_reader(void)
{
	char text[1024];
	FILE *fp;

	snprintf(text, sizeof(text),
		"[policy p]\r\n"
		"action: allow ; inline comment\r\n"
		"# %0250d\n"
		"ports = 1, 2 ; first ones\n"
		"  3-4 ; more\n"
		"  [policy q]\n",
		0);
	CU_ASSERT_EQUAL(load_string(text), -EINVAL);
	CU_ASSERT_TRUE(has_error("p.ini", 3, "line too long (max 199 bytes)"));
	/* An indented line after a list key continues it, even if it looks like a header. */
	CU_ASSERT_TRUE(has_error("p.ini", 6,
		"[policy p] ports: '[policy q]' is not a port N or a range N-M within 1-65535 (N "
		"<= M), or any"));
	CU_ASSERT_EQUAL(errs.n, 2);
	if (errs.n != 2)
		dump_errors();
	CU_ASSERT_EQUAL_FATAL(set.n_policies, 1);
	CU_ASSERT_EQUAL(set.policies[0].action, EGW_ACTION_ALLOW);
	CU_ASSERT_EQUAL_FATAL(set.policies[0].n_ports, 3);
	CU_ASSERT_EQUAL(set.policies[0].ports[2].lo, 3);
	CU_ASSERT_EQUAL(set.policies[0].ports[2].hi, 4);

	mkdir(in_dir("nul"), 0700);
	fp = fopen(in_dir("nul/a.ini"), "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fwrite("[policy p]\naction = al\0low\n", 1, 27, fp);
	fclose(fp);
	main_conf(in_dir("main.ini"), in_dir("nul/*.ini"), true);
	CU_ASSERT_EQUAL(load_files(), -EINVAL);
	CU_ASSERT_TRUE(has_error(in_dir("nul/a.ini"), 2, "line contains a NUL byte"));
	CU_ASSERT_TRUE(
		has_error(in_dir("nul/a.ini"), 1, "[policy p] missing required key 'action'"));
	CU_ASSERT_EQUAL(errs.n, 2);
}

/* ---- errors, one file ---- */

#define P "[policy p]\naction = allow\n" /* lines 1-2 */
#define D "[policy p]\naction = deny\n"
#define J "[policy p]\naction = reject\n"

struct error_case {
	const char *text;
	int line;
	const char *msg;
	unsigned nerr;	 /* 0 = 1 */
	bool no_default; /* main config without [egress] default_pool */
};

static const struct error_case error_cases[] = {
	/* sections and keys */
	{ "[nope]\n", 1, "unknown section [nope] (known: group NAME, policy NAME)" },
	{ "[port out]\naction = allow\n", 1,
		"unknown section [port out] (known: group NAME, policy NAME)" },
	{ "[policy]\naction = allow\n", 1, "[policy] needs a name: [policy NAME]" },
	{ "[group]\n", 1, "[group] needs a name: [group NAME]" },
	{ "[group a.b]\nsources = 10.0.0.0/8\n", 1,
		"invalid group name 'a.b': use 1-31 characters of A-Z a-z 0-9 _ -" },
	{ "[policy aaaaaaaaaabbbbbbbbbbccccccccccdd]\naction = allow\n", 1,
		"invalid policy name 'aaaaaaaaaabbbbbbbbbbccccccccccdd': use 1-31 characters of "
		"A-Z "
		"a-z 0-9 _ -" },
	{ "[group any]\nsources = 10.0.0.0/8\n", 1,
		"'any' cannot be a group name (sources = any means every source)" },
	{ "action = allow\n", 1, "key 'action' is outside any [section]" },
	{ P "foo = 1\n", 3, "unknown key 'foo' in [policy p]" },
	{ P "Action = allow\n", 3, "unknown key 'Action' in [policy p]" },
	{ "[group g]\nsources = 10.0.0.0/8\nnat = none\n", 3, "unknown key 'nat' in [group g]" },
	{ P "action = deny\n", 3, "duplicate key 'action' in [policy p] (first at line 2)" },
	{ P "[policy p]\naction = deny\n", 3, "duplicate policy 'p' (first at p.ini:1)" },
	{ "[group g]\nsources = 10.0.0.0/8\n[group g]\nsources = 10.1.0.0/16\n", 3,
		"duplicate group 'g' (first at p.ini:1)" },
	{ P "protocol = tcp\n  udp\n", 4,
		"[policy p] protocol: continuation line 'udp' not allowed: only sources, "
		"destinations, hosts and ports span lines (remove the indentation)" },
	{ P "garbage\n", 3,
		"expected 'key = value', a [section] header or a comment, got 'garbage'" },
	{ P "[policy q\n", 3, "section header has no closing ']'" },
	/* [group] */
	{ "[group g]\n", 1, "[group g] missing required key 'sources'" },
	{ "[group g]\nsources =\n", 2, "[group g] sources: no items given" },
	{ "[group g]\nsources = 10.0.0.1/8\n", 2,
		"[group g] sources: '10.0.0.1/8' has host bits set (the network is 10.0.0.0/8)" },
	{ "[group g]\nsources = 10.0.0.0/8,\n  10.1.0.1/16\n", 3,
		"[group g] sources: '10.1.0.1/16' has host bits set (the network is 10.1.0.0/16)" },
	{ "[group g]\nsources = 10.0.0/8\n", 2,
		"[group g] sources: '10.0.0/8' is not a network a.b.c.d/len or an address" },
	{ "[group g]\nsources = any\n", 2,
		"[group g] sources: 'any' is not a network a.b.c.d/len or an address" },
	{ "[group g]\nsources = 10.0.0.0/8,,10.1.0.0/16\n", 2,
		"[group g] sources: empty item in list" },
	/* sources */
	{ P "sources = nope\n", 3,
		"[policy p] sources: unknown group 'nope' (not a group, CIDR or 'any')" },
	{ P "sources = 10.0.0.0/8,\n  nope\n", 4,
		"[policy p] sources: unknown group 'nope' (not a group, CIDR or 'any')" },
	{ P "sources = any, 10.0.0.0/8\n", 3,
		"[policy p] sources: 'any' cannot be combined with other items" },
	{ P "sources = 10.0.0.0/8,\n  any\n", 4,
		"[policy p] sources: 'any' cannot be combined with other items" },
	{ P "sources = 10.0.0.1/8\n", 3,
		"[policy p] sources: '10.0.0.1/8' has host bits set (the network is 10.0.0.0/8)" },
	{ P "sources = 10.0.0.300\n", 3,
		"[policy p] sources: '10.0.0.300' is not a group name, a network a.b.c.d/len, an "
		"address or any" },
	{ P "sources = aaaaaaaaaabbbbbbbbbbccccccccccdd\n", 3,
		"[policy p] sources: 'aaaaaaaaaabbbbbbbbbbccccccccccdd' is not a group name, a "
		"network a.b.c.d/len, an address or any" },
	{ P "sources =\n", 3,
		"[policy p] sources: no items given (write any, or leave the key out)" },
	/* destinations */
	{ P "destinations = 1.2.3.4/33\n", 3,
		"[policy p] destinations: '1.2.3.4/33' is not a network a.b.c.d/len, an address or "
		"any" },
	{ P "destinations = 192.0.2.1/24\n", 3,
		"[policy p] destinations: '192.0.2.1/24' has host bits set (the network is "
		"192.0.2.0/24)" },
	{ P "destinations = any, 192.0.2.0/24\n", 3,
		"[policy p] destinations: 'any' cannot be combined with other items" },
	{ P "destinations = group1\n", 3,
		"[policy p] destinations: 'group1' is not a network a.b.c.d/len, an address or "
		"any" },
	{ P "destinations = \n", 3,
		"[policy p] destinations: no items given (write any, or leave the key out)" },
	/* ports */
	{ P "ports = 0\n", 3,
		"[policy p] ports: '0' is not a port N or a range N-M within 1-65535 (N <= M), or "
		"any" },
	{ P "ports = 65536\n", 3,
		"[policy p] ports: '65536' is not a port N or a range N-M within 1-65535 (N <= M), "
		"or any" },
	{ P "ports = 2000-1000\n", 3,
		"[policy p] ports: '2000-1000' is not a port N or a range N-M within 1-65535 (N <= "
		"M), or any" },
	{ P "ports = 443,\n  8000-8100, x\n", 4,
		"[policy p] ports: 'x' is not a port N or a range N-M within 1-65535 (N <= M), or "
		"any" },
	{ P "ports = 53, any\n", 3, "[policy p] ports: 'any' cannot be combined with other items" },
	{ P "ports =\n", 3, "[policy p] ports: no items given (write any, or leave the key out)" },
	{ P "ports = 53\nprotocol = icmp\n", 3,
		"[policy p] ports: protocol icmp has no ports (remove ports, or use tcp or udp)" },
	/* protocol, action */
	{ P "protocol = sctp\n", 3,
		"[policy p] protocol: 'sctp' is not one of: tcp, udp, icmp, tls, http, any" },
	{ P "protocol = TCP\n", 3,
		"[policy p] protocol: 'TCP' is not one of: tcp, udp, icmp, tls, http, any" },
	{ "[policy p]\nprotocol = tcp\n", 1, "[policy p] missing required key 'action'" },
	{ "[policy p]\naction = permit\n", 2,
		"[policy p] action: 'permit' is not one of: allow, deny, reject" },
	/* nat */
	{ P "nat = nope\n", 3, "[policy p] nat: no [pool nope] is defined" },
	{ P "nat =\n", 3, "[policy p] nat: must not be empty; expected a [pool] name or none" },
	{ P "nat = aaaaaaaaaabbbbbbbbbbccccccccccdd\n", 3,
		"[policy p] nat: 'aaaaaaaaaabbbbbbbbbbccccccccccdd' is too long (max 31 bytes)" },
	{ D "nat = public\n", 3, "[policy p] nat: a deny policy translates nothing (remove nat)" },
	{ D "nat = none\n", 3, "[policy p] nat: a deny policy translates nothing (remove nat)" },
	{ P, 1, "[policy p] needs nat = POOL or none: [egress] has no default_pool", 0, true },
	{ "[policy p]\nsources = 10.0.0.0/8\naction = allow\n", 1,
		"[policy p] needs nat = POOL or none: [egress] has no default_pool", 0, true },
	/* via */
	{ P "via = nope\n", 3, "[policy p] via: no [port nope] is defined" },
	{ P "via = in\n", 3,
		"[policy p] via: [port in] is not an outside port (its role is inside)" },
	{ P "via =\n", 3, "[policy p] via: must not be empty; expected an outside [port] name" },
	{ D "via = out\n", 3, "[policy p] via: a deny policy sends nothing (remove via)" },
	/* reject refuses as deny does: nothing to translate, send or count */
	{ J "nat = public\n", 3,
		"[policy p] nat: a reject policy translates nothing (remove nat)" },
	{ J "via = out\n", 3, "[policy p] via: a reject policy sends nothing (remove via)" },
	{ J "max_flows = 10\n", 3,
		"[policy p] max_flows: a reject policy has no flows to limit (remove max_flows)" },
	/* priority, log, max_flows */
	{ P "priority = 1000001\n", 3,
		"[policy p] priority: '1000001' is not an integer from -1000000 to 1000000" },
	{ P "priority = -1000001\n", 3,
		"[policy p] priority: '-1000001' is not an integer from -1000000 to 1000000" },
	{ P "priority = +5\n", 3,
		"[policy p] priority: '+5' is not an integer from -1000000 to 1000000" },
	{ P "priority = -\n", 3,
		"[policy p] priority: '-' is not an integer from -1000000 to 1000000" },
	{ P "priority = 1e3\n", 3,
		"[policy p] priority: '1e3' is not an integer from -1000000 to 1000000" },
	{ P "log = maybe\n", 3,
		"[policy p] log: 'maybe' is not a boolean (yes/no, true/false, on/off, 1/0)" },
	{ P "max_flows = 100000001\n", 3,
		"[policy p] max_flows: '100000001' is not an integer within 0-100000000" },
	{ P "max_flows = -1\n", 3,
		"[policy p] max_flows: '-1' is not an integer within 0-100000000" },
	{ D "max_flows = 10\n", 3,
		"[policy p] max_flows: a deny policy has no flows to limit (remove max_flows)" },
	/* hosts: names are checked by lib/hostname; icmp carries no name */
	{ P "protocol = icmp\nhosts = example.com\n", 4,
		"[policy p] hosts: protocol icmp carries no name (use tls, http, or tcp/udp/any "
		"for addresses learned from DNS)" },
	{ P "hosts = example.com\nprotocol = icmp\nports = 1\n", 3,
		"[policy p] hosts: protocol icmp carries no name (use tls, http, or tcp/udp/any "
		"for addresses learned from DNS)",
		2 },
	{ P "protocol = tls\nhosts = a..com\n", 4,
		"[policy p] hosts: 'a..com' has an empty label or one longer than 63 characters" },
	/* one trailing dot names the same host (it is dropped); two are an empty label */
	{ P "protocol = tls\nhosts = example.com..\n", 4,
		"[policy p] hosts: 'example.com..' has an empty label or one longer than 63 "
		"characters" },
	{ P "protocol = tls\nhosts = "
	    "aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeffffffffffgggg.com\n",
		4,
		"[policy p] hosts: "
		"'aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeffffffffffgggg"
		"...' has an empty label or one longer than 63 characters" },
	{ P "protocol = tls\nhosts = a.*.com\n", 4,
		"[policy p] hosts: 'a.*.com' has a '*' that is not the whole first label (as in "
		"*.example.com)" },
	{ P "protocol = tls\nhosts = *\n", 4,
		"[policy p] hosts: '*' has a '*' that is not the whole first label (as in "
		"*.example.com)" },
	{ P "protocol = tls\nhosts = *a.example.com\n", 4,
		"[policy p] hosts: '*a.example.com' has a '*' that is not the whole first label "
		"(as "
		"in *.example.com)" },
	{ P "protocol = tls\nhosts = exa_mple.com\n", 4,
		"[policy p] hosts: 'exa_mple.com' is not a host name (letters, digits and '-' in "
		"labels separated by dots)" },
	{ P "protocol = tls\nhosts = 1.2.3.4/32\n", 4,
		"[policy p] hosts: '1.2.3.4/32' is not a host name (letters, digits and '-' in "
		"labels separated by dots)" },
	{ P "protocol = tls\nhosts =\n", 4, "[policy p] hosts: no items given" },
	{ D "hosts = example.com\nnat = public\n", 4,
		"[policy p] nat: a deny policy translates nothing (remove nat)" },
};

static void test_error_cases(void)
{
	bool have_default = true;

	main_conf(in_dir("main.ini"), "", true);
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];
		unsigned nerr = c->nerr ? c->nerr : 1;
		int ret;

		if (have_default == c->no_default) {
			have_default = !c->no_default;
			main_conf(in_dir("main.ini"), "", have_default);
		}
		ret = load_string(c->text);
		CU_ASSERT_EQUAL(ret, -EINVAL);
		if (ret != -EINVAL || !has_error("p.ini", c->line, c->msg) || errs.n != nerr) {
			fprintf(stderr,
				"\ncase %zu: want %u error(s), p.ini:%d: %s\ngot (ret %d):\n", i,
				nerr, c->line, c->msg, ret);
			dump_errors();
			CU_FAIL("error case");
		}
	}
}

/* Allowed things that a stricter reading might refuse. */
static void test_accepted(void)
{
	static const char *const ok[] = {
		D,				 /* deny needs no nat, even without default_pool */
		(P "nat = none\n"),		 /* ... and nat = none neither */
		(P "nat = second\nvia = out\n"), /* an explicit pool */
		(P "sources = any\ndestinations = any\nports = any\nprotocol = any\n"),
		(P "sources = 0.0.0.0/0, 10.0.0.0/8\n"),
		(P "sources = 10.0.0.1,\n\n  10.0.0.2\n"), /* a blank line, then more items */
		(P "ports = 1, 65535, 1-65535\nprotocol = udp\n"),
		(P "ports = any\nprotocol = icmp\n"),
		(P "priority = -1000000\nmax_flows = 100000000\nlog = TRUE\n"),
		(P "priority = -0\nmax_flows = 0\n"),
		D "log = yes\npriority = 7\n",
		"[group g]\nsources = 10.0.0.0/8,\n[policy p]\nsources = g\naction = deny\n",
		"[policy p]\nsources = later\naction = deny\n[group later]\nsources = 10.0.0.1\n",
		("[group G_1-x]\nsources = 10.0.0.0/8\n"
		 "[policy P-1_a]\nsources = G_1-x\naction = deny\n"),
		"; only comments\n# and blank lines\n\n",
		/* host names: SNI, Host, or addresses learned from DNS (tcp, udp, any, absent) */
		(P "protocol = tls\nhosts = github.com, *.githubusercontent.com\n"),
		(P "protocol = http\nhosts = Example.COM.\nports = 80, 8080\n"),
		(P "protocol = tcp\nhosts = example.com\ndestinations = 203.0.113.0/24\n"),
		(P "protocol = udp\nhosts = *.example.com\nports = 443\n"),
		(P "protocol = any\nhosts = example.com\n"),
		(P "hosts = example.com\n"),
		D "protocol = tls\nhosts = *.example.com\npriority = 5\n",
		(P "protocol = tls\n"), /* any name, but TLS */
		(P "protocol = http\nports = 80\nnat = second\nvia = out\n"),
		J "protocol = udp\nports = 53\nlog = yes\n", /* reject: like deny, answered */
		J "protocol = tls\nhosts = *.example.com\n",
	};

	main_conf(in_dir("main.ini"), "", false);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		/* Cases 0 and 1 need no default_pool: the first ones run without it. */
		if (i == 2)
			main_conf(in_dir("main.ini"), "", true);
		if (load_string(ok[i]) != 0 || errs.n != 0) {
			fprintf(stderr, "\nunexpected errors for case %zu:\n", i);
			dump_errors();
			CU_FAIL("valid case rejected");
		}
	}
	CU_ASSERT_EQUAL(load_string(P "priority = -0\n"), 0);
	CU_ASSERT_EQUAL(set.policies[0].priority, 0);
	CU_ASSERT_EQUAL(load_string("[policy p]\nsources = g, 10.9.0.0/16, g\naction = deny\n"
				    "[group g]\nsources = 10.0.0.0/8, 10.1.0.0/16\n"),
		0);
	CU_ASSERT_EQUAL_FATAL(set.policies[0].n_sources, 5);
	check_cidr(&set.policies[0].sources[2], 0x0a090000, 16);
	check_cidr(&set.policies[0].sources[4], 0x0a010000, 16);
}

/* The names are kept normalized: lower case, no trailing dot; the protocol says how. */
static void test_hosts_parsed(void)
{
	main_conf(in_dir("main.ini"), "", true);
	CU_ASSERT_EQUAL(load_string(P "protocol = tls\nhosts = GitHub.com.,\n"
				      "  *.GitHubUserContent.COM, x-1.example\n"
				      "[policy q]\naction = deny\nhosts = *.Example.org\n"),
		0);
	CU_ASSERT_EQUAL(errs.n, 0);
	CU_ASSERT_EQUAL_FATAL(set.n_policies, 2);
	CU_ASSERT_EQUAL(set.policies[0].proto, EGW_PROTO_TLS);
	CU_ASSERT_EQUAL(set.policies[1].proto, EGW_PROTO_ANY);
	CU_ASSERT_EQUAL_FATAL(set.policies[1].n_hosts, 1);
	CU_ASSERT_STRING_EQUAL(set.policies[1].hosts[0], "*.example.org");
	CU_ASSERT_EQUAL_FATAL(set.policies[0].n_hosts, 3);
	CU_ASSERT_STRING_EQUAL(set.policies[0].hosts[0], "github.com");
	CU_ASSERT_STRING_EQUAL(set.policies[0].hosts[1], "*.githubusercontent.com");
	CU_ASSERT_STRING_EQUAL(set.policies[0].hosts[2], "x-1.example");
}

/* Everything wrong in a file is reported, in line order; skipped sections say nothing more. */
static void test_many_errors(void)
{
	static const char text[] = "[policy a]\n"	      /* 1 */
				   "action = maybe\n"	      /* 2 */
				   "ports = 0\n"	      /* 3 */
				   "sources = nogroup, any\n" /* 4 */
				   "[bogus]\n"		      /* 5 */
				   "whatever = 1\n"	      /* 6: skipped section */
				   "[policy a]\n"	      /* 7 */
				   "nonsense = 1\n"	      /* 8: skipped section */
				   "[policy b]\n"	      /* 9: no action */
				   "nat = nopool\n"	      /* 10 */
				   "via = in\n"		      /* 11 */
				   "[group g]\n"	      /* 12 */
				   "sources = 10.0.0.1/8\n";  /* 13 */
	static const struct {
		int line;
		const char *msg;
	} want[] = {
		{ 2, "[policy a] action: 'maybe' is not one of: allow, deny, reject" },
		{ 3, "[policy a] ports: '0' is not a port N or a range N-M within 1-65535 (N <= "
		     "M), "
		     "or any" },
		{ 4, "[policy a] sources: 'any' cannot be combined with other items" },
		{ 4, "[policy a] sources: unknown group 'nogroup' (not a group, CIDR or 'any')" },
		{ 5, "unknown section [bogus] (known: group NAME, policy NAME)" },
		{ 7, "duplicate policy 'a' (first at p.ini:1)" },
		{ 9, "[policy b] missing required key 'action'" },
		{ 10, "[policy b] nat: no [pool nopool] is defined" },
		{ 11, "[policy b] via: [port in] is not an outside port (its role is inside)" },
		{ 13, "[group g] sources: '10.0.0.1/8' has host bits set (the network is "
		      "10.0.0.0/8)" },
	};

	main_conf(in_dir("main.ini"), "", true);
	CU_ASSERT_EQUAL(load_string(text), -EINVAL);
	CU_ASSERT_EQUAL(errs.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]) && i < errs.n; i++) {
		CU_ASSERT_EQUAL(errs.items[i].line, want[i].line);
		CU_ASSERT_STRING_EQUAL(errs.items[i].msg, want[i].msg);
	}
	if (errs.n != sizeof(want) / sizeof(want[0]))
		dump_errors();
}

/* Names are unique across files; references resolve across files; every file reports. */
static void test_across_files(void)
{
	char f10[PATH_MAX], f20[PATH_MAX], f30[PATH_MAX], f40[PATH_MAX], msg[PATH_MAX + 64];

	snprintf(f10, sizeof(f10), "%s",
		write_file("x/10.ini", "[group g]\nsources = 10.0.0.0/8\n"
				       "[policy x]\naction = allow\nsources = missing\n"));
	snprintf(f20, sizeof(f20), "%s",
		write_file("x/20.ini", "; second\n[policy x]\naction = deny\n"
				       "[group g]\nsources = 10.1.0.0/16\n"
				       "[policy y]\naction = allow\nprotocol = bogus\n"));
	snprintf(f30, sizeof(f30), "%s", in_dir("x/30-dangling.ini"));
	CU_ASSERT_EQUAL(symlink(in_dir("x/does-not-exist"), f30), 0);
	snprintf(f40, sizeof(f40), "%s", in_dir("x/40-dir.ini"));
	CU_ASSERT_EQUAL(mkdir(f40, 0700), 0);

	main_conf(in_dir("main.ini"), in_dir("x/*.ini"), true);
	CU_ASSERT_EQUAL(load_files(), -EINVAL);
	CU_ASSERT_TRUE(has_error(f10, 5,
		"[policy x] sources: unknown group 'missing' (not a group, CIDR or 'any')"));
	snprintf(msg, sizeof(msg), "duplicate policy 'x' (first at %s:3)", f10);
	CU_ASSERT_TRUE(has_error(f20, 2, msg));
	snprintf(msg, sizeof(msg), "duplicate group 'g' (first at %s:1)", f10);
	CU_ASSERT_TRUE(has_error(f20, 4, msg));
	CU_ASSERT_TRUE(has_error(f20, 8,
		"[policy y] protocol: 'bogus' is not one of: tcp, udp, icmp, tls, http, any"));
	CU_ASSERT_TRUE(has_error(f30, 0, "cannot open: No such file or directory"));
	/* Not a file to read: reported at the key that named it, [egress] policies. */
	snprintf(msg, sizeof(msg), "[egress] policies: %s is not a regular file (directory)", f40);
	CU_ASSERT_TRUE(has_error(in_dir("main.ini"), policies_line(), msg));
	CU_ASSERT_EQUAL(errs.n, 6);
	if (errs.n != 6)
		dump_errors();
	/* Sorted by file, then line. */
	for (unsigned i = 1; i < errs.n; i++) {
		int c = strcmp(errs.items[i - 1].file, errs.items[i].file);

		CU_ASSERT(c < 0 || (c == 0 && errs.items[i - 1].line <= errs.items[i].line));
	}
	/* What parsed is there, and freeable: y follows x in reading order. */
	CU_ASSERT_EQUAL(set.n_files, 2); /* the dangling link and the directory were not read */
	CU_ASSERT_EQUAL_FATAL(set.n_policies, 2);
	CU_ASSERT_STRING_EQUAL(set.policies[1].name, "y");
	CU_ASSERT_EQUAL(set.policies[1].order, 1);
	CU_ASSERT_EQUAL(set.n_groups, 1);
	unlink(f30);
	rmdir(f40);
}

/* "FILE is not a regular file" at [egress] policies of the main config, nothing read. */
static void expect_named(const char *file, const char *why)
{
	char msg[PATH_MAX + 128];

	snprintf(msg, sizeof(msg), "[egress] policies: %s %s", file, why);
	CU_ASSERT_TRUE(has_error(in_dir("main.ini"), policies_line(), msg));
	if (!has_error(in_dir("main.ini"), policies_line(), msg))
		fprintf(stderr, "\nmissing: %s\n", msg);
}

/*
 * A glob that matches what is not a policy file: a FIFO (open would block), /dev/zero (never
 * ends), a file over 16 MiB by its size, and /proc/self/pagemap (size 0, endless: reading stops
 * at 16 MiB). Each is an error at the policies line; the good file is still read; nothing
 * blocks.
 */
static void test_special_files(void)
{
	char fifo[PATH_MAX], zero[PATH_MAX], big[PATH_MAX], proc[PATH_MAX];
	int fd;

	write_file("s/10-ok.ini", "[policy ok]\naction = allow\n");
	snprintf(fifo, sizeof(fifo), "%s", in_dir("s/20-fifo.ini"));
	CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
	snprintf(zero, sizeof(zero), "%s", in_dir("s/30-zero.ini"));
	CU_ASSERT_EQUAL_FATAL(symlink("/dev/zero", zero), 0);
	snprintf(big, sizeof(big), "%s", in_dir("s/40-big.ini"));
	fd = open(big, O_WRONLY | O_CREAT, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(ftruncate(fd, (off_t)EGW_FILE_MAX_BYTES + 1), 0);
	close(fd);
	snprintf(proc, sizeof(proc), "%s", in_dir("s/50-proc.ini"));
	CU_ASSERT_EQUAL_FATAL(symlink("/proc/self/pagemap", proc), 0);

	main_conf(in_dir("main.ini"), in_dir("s/*.ini"), true);
	CU_ASSERT_EQUAL(conf->egress.policies_origin.line, policies_line());
	alarm(10);
	CU_ASSERT_EQUAL(load_files(), -EINVAL);
	alarm(0);
	expect_named(fifo, "is not a regular file (FIFO)");
	expect_named(zero, "is not a regular file (character device)");
	expect_named(big, "is larger than 16 MiB");
	expect_named(proc, "is larger than 16 MiB");
	CU_ASSERT_EQUAL(set.n_files, 2); /* 10-ok.ini and the /proc file, read up to the limit */
	CU_ASSERT_EQUAL(set.n_policies, 1);
	unlink(fifo);
	unlink(zero);
	unlink(big);
	unlink(proc);
}

static void test_limits(void)
{
	size_t cap = 8u << 20, n = 0;
	char *text = malloc(cap);
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	main_conf(in_dir("main.ini"), "", true);
	for (i = 0; i <= 100000; i++)
		n += (size_t)snprintf(text + n, cap - n, "[group g%d]\nsources = 10.0.0.0/8\n", i);
	n += (size_t)snprintf(text + n, cap - n, "[group g%d]\nsources = 10.0.0.0/8\n", i);
	CU_ASSERT_EQUAL(load_string(text), -EINVAL);
	CU_ASSERT_TRUE(has_error("p.ini", 200001, "too many groups (max 100000)"));
	CU_ASSERT_EQUAL(errs.n, 1); /* once, not for every header past the limit */
	CU_ASSERT_EQUAL(set.n_groups, 100000);

	n = 0;
	for (i = 0; i <= 200000; i++)
		n += (size_t)snprintf(text + n, cap - n, "[policy p%d]\naction = deny\n", i);
	CU_ASSERT_EQUAL(load_string(text), -EINVAL);
	CU_ASSERT_TRUE(has_error("p.ini", 400001, "too many policies (max 200000)"));
	CU_ASSERT_EQUAL(errs.n, 1);
	CU_ASSERT_EQUAL_FATAL(set.n_policies, 200000);
	CU_ASSERT_STRING_EQUAL(set.policies[199999].name, "p199999");
	CU_ASSERT_EQUAL(set.policies[199999].order, 199999);
	CU_ASSERT_EQUAL(set.policies[199999].origin.line, 399999);

	/* One list: 1000001 ports, 50 a line (lines hold 199 bytes). */
	n = (size_t)snprintf(text, cap, P "ports = 1");
	for (i = 1; i <= 1000000; i++)
		n += (size_t)snprintf(text + n, cap - n, "%s%d", i % 50 ? "," : ",\n ", i % 9 + 1);
	snprintf(text + n, cap - n, "\n");
	CU_ASSERT_EQUAL(load_string(text), -EINVAL);
	CU_ASSERT_TRUE(
		has_error("p.ini", 3 + 20000, "[policy p] ports: too many items (max 1000000)"));
	CU_ASSERT_EQUAL(errs.n, 1);
	CU_ASSERT_EQUAL(set.policies[0].n_ports, 1000000);

	/* Groups expanded: 1000 networks named 1001 times, 50 a line. */
	n = (size_t)snprintf(text, cap, "[group g]\nsources = 10.0.0.0/32");
	for (i = 1; i < 1000; i++)
		n += (size_t)snprintf(text + n, cap - n, ",\n 10.0.%d.%d", i / 256, i % 256);
	n += (size_t)snprintf(text + n, cap - n, "\n" P "sources = g");
	for (i = 1; i <= 1000; i++)
		n += (size_t)snprintf(text + n, cap - n, "%s", i % 50 ? ", g" : ",\n g");
	snprintf(text + n, cap - n, "\n");
	CU_ASSERT_EQUAL(load_string(text), -EINVAL);
	CU_ASSERT_TRUE(has_error("p.ini", 1000 + 4,
		"[policy p] sources: more than 1000000 networks once groups are expanded"));
	CU_ASSERT_EQUAL(errs.n, 1);
	if (errs.n != 1)
		dump_errors();
	free(text);
	text = NULL;
	reset();
}

static void test_misc(void)
{
	CU_ASSERT_STRING_EQUAL(egw_policy_proto_name(EGW_PROTO_ANY), "any");
	CU_ASSERT_STRING_EQUAL(egw_policy_proto_name(EGW_PROTO_TCP), "tcp");
	CU_ASSERT_STRING_EQUAL(egw_policy_proto_name(EGW_PROTO_UDP), "udp");
	CU_ASSERT_STRING_EQUAL(egw_policy_proto_name(EGW_PROTO_ICMP), "icmp");
	CU_ASSERT_STRING_EQUAL(egw_policy_proto_name(EGW_PROTO_TLS), "tls");
	CU_ASSERT_STRING_EQUAL(egw_policy_proto_name(EGW_PROTO_HTTP), "http");
	CU_ASSERT_STRING_EQUAL(egw_policy_proto_name((enum egw_policy_proto)99), "invalid");

	CU_ASSERT_EQUAL(egw_policy_load(NULL, &set, &errs), -EINVAL);
	CU_ASSERT_EQUAL(egw_policy_load_string(conf, "x", NULL, &set, &errs), -EINVAL);
	/* Freeing twice, or a zeroed set, is harmless. */
	egw_policy_set_free(&set);
	egw_policy_set_free(&set);
	egw_policy_set_free(NULL);
	/* Errors are appended to what the list holds already. */
	main_conf(in_dir("main.ini"), "", true);
	reset();
	egw_conf_errors_add(&errs, "main.ini", 3, "earlier");
	CU_ASSERT_EQUAL(egw_policy_load_string(conf, NULL, "[x]\n", &set, &errs), -EINVAL);
	CU_ASSERT_EQUAL(errs.n, 2);
	CU_ASSERT_TRUE(
		has_error("<string>", 1, "unknown section [x] (known: group NAME, policy NAME)"));
	egw_policy_set_free(&set);
	CU_ASSERT_EQUAL(egw_policy_load_string(conf, NULL, "", &set, &errs), 0);
	CU_ASSERT_EQUAL(errs.n, 2);
}

/* ---- policies in the main file; the dump of the effective configuration ---- */

/* Loads the main file PATH and its policies into C and SET; 0 when both are valid. */
static int load_all(const char *path, struct egw_conf *c, struct egw_policy_set *ps)
{
	int rc;

	reset();
	rc = egw_conf_load(path, c, &errs);
	if (rc == 0)
		rc = egw_policy_load(c, ps, &errs);
	if (rc < 0)
		dump_errors();
	return rc;
}

/* PATH's lines: none past the reader's 199 bytes; the comment lines left out into OUT. */
static void text_without_comments(const char *path, char *out, size_t len)
{
	char line[512];
	size_t used = 0;
	FILE *fp = fopen(path, "r");

	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	out[0] = '\0';
	while (fgets(line, sizeof(line), fp)) {
		CU_ASSERT(strlen(line) <= 200);
		if (line[0] != ';' && used + strlen(line) < len)
			used += (size_t)snprintf(out + used, len - used, "%s", line);
	}
	fclose(fp);
}

/* The parts of a config that say what runs: origins, the path and the glob left out. */
static void normalized(const struct egw_conf *c, struct egw_conf *n)
{
	*n = *c;
	memset(n->path, 0, sizeof(n->path));
	memset(n->egress.policies, 0, sizeof(n->egress.policies));
	n->egress.inline_policies = false;
	memset(&n->egress.mode_origin, 0, sizeof(n->egress.mode_origin));
	memset(&n->egress.policies_origin, 0, sizeof(n->egress.policies_origin));
	memset(&n->dpdk.lcores_origin, 0, sizeof(n->dpdk.lcores_origin));
	memset(&n->dpdk.memory_origin, 0, sizeof(n->dpdk.memory_origin));
	memset(&n->dpdk.file_prefix_origin, 0, sizeof(n->dpdk.file_prefix_origin));
	memset(&n->flows.max_origin, 0, sizeof(n->flows.max_origin));
	memset(&n->metrics.listen_origin, 0, sizeof(n->metrics.listen_origin));
	memset(&n->log.flow_log_origin, 0, sizeof(n->log.flow_log_origin));
	for (unsigned i = 0; i < EGW_MAX_PORTS; i++) {
		struct egw_port_conf *pc = &n->ports[i];

		memset(&pc->origin, 0, sizeof(pc->origin));
		/* Entries are stored as struct copies: their padding bytes are not the data. */
		for (unsigned k = 0; k < EGW_MAX_ROUTES; k++) {
			struct egw_route_conf r;

			memset(&r, 0, sizeof(r));

			r.prefix = pc->routes[k].prefix;
			r.prefix_len = pc->routes[k].prefix_len;
			r.via = pc->routes[k].via;
			memcpy(&pc->routes[k], &r, sizeof(r));
		}
		for (unsigned k = 0; k < EGW_MAX_STATIC_NEIGHBORS; k++) {
			struct egw_neighbor_conf nb;

			memset(&nb, 0, sizeof(nb));

			nb.addr = pc->neighbors[k].addr;
			memcpy(nb.mac, pc->neighbors[k].mac, sizeof(nb.mac));
			memcpy(&pc->neighbors[k], &nb, sizeof(nb));
		}
	}
	for (unsigned i = 0; i < EGW_MAX_POOLS; i++)
		memset(&n->pools[i].origin, 0, sizeof(n->pools[i].origin));
}

static bool same_cidrs(const struct egw_cidr *a, const struct egw_cidr *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (a[i].prefix != b[i].prefix || a[i].len != b[i].len)
			return false;
	return true;
}

static bool same_hosts(char *const *a, char *const *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

/* Policy A as compiled equals B (NAT: the pool each translates with, DEFAULT_POOL filled in). */
static bool same_policy(const struct egw_policy_conf *a, const struct egw_policy_conf *b,
	const char *default_pool)
{
	const char *na = a->nat[0] || egw_action_refuses(a->action) ? a->nat : default_pool;

	return strcmp(a->name, b->name) == 0 && a->sources_any == b->sources_any &&
	       a->n_sources == b->n_sources && same_cidrs(a->sources, b->sources, a->n_sources) &&
	       a->destinations_any == b->destinations_any &&
	       a->n_destinations == b->n_destinations &&
	       same_cidrs(a->destinations, b->destinations, a->n_destinations) &&
	       a->ports_any == b->ports_any && a->n_ports == b->n_ports &&
	       (a->n_ports == 0 ||
		       memcmp(a->ports, b->ports, a->n_ports * sizeof(*a->ports)) == 0) &&
	       a->n_hosts == b->n_hosts && same_hosts(a->hosts, b->hosts, a->n_hosts) &&
	       a->proto == b->proto && a->action == b->action && a->nat_none == b->nat_none &&
	       strcmp(a->nat_none ? "" : na, b->nat) == 0 && strcmp(a->via, b->via) == 0 &&
	       a->priority == b->priority && a->log == b->log && a->max_flows == b->max_flows &&
	       a->order == b->order;
}

/*
 * --dump: what a config with every key set (lists long enough to span lines) and policies of
 * every kind dumps, loads back to the same configuration and the same compiled policies, and
 * dumps again to the same text.
 */
static void test_dump_round_trip(void)
{
	static struct egw_conf first, again, n1, n2;
	static char t1[65536], t2[65536];
	struct egw_policy_set ps1 = { 0 }, ps2 = { 0 };
	char main_text[16384], pol_text[16384];
	size_t m = 0, p = 0;
	FILE *fp;

	m += (size_t)snprintf(main_text + m, sizeof(main_text) - m,
		"[dpdk]\nlcores = (0-2)@(0-1)\nmemory_mb = 777\nhugepages = no\n"
		"file_prefix = dumpt\nextra_args = --log-level=lib.eal:info\n"
		"  --log-level=pmd.net.af_packet:info --log-level=lib.ethdev:info\n"
		"  --log-level=lib.mbuf:info --log-level=lib.mempool:info\n"
		"idle_sleep_us = 7\nmbufs = 99\n"
		"[port in]\ndevice = net_null0\nrole = inside\naddress = 198.18.0.1/16\n"
		"mac = 02:00:00:00:00:09\nmtu = 9000\nneighbors = 198.18.0.7 02:00:00:00:00:07\n"
		"neighbor_reachable = 45\nneighbor_probes = 5\nneighbor_gc = 600\n"
		"routes = 198.19.0.0/24 via 198.18.0.254");
	/* Thirty routes: the dump's line would be too long without continuation lines. */
	for (unsigned i = 1; i < 30; i++)
		m += (size_t)snprintf(main_text + m, sizeof(main_text) - m,
			",\n  198.19.%u.0/24 via 198.18.0.254", i);
	m += (size_t)snprintf(main_text + m, sizeof(main_text) - m,
		"\n[port out]\ndevice = net_af_packet1,iface=x\nrole = outside\n"
		"address = 203.0.113.2/24\ngateway = 203.0.113.1\n"
		"[pool public]\naddresses = 198.51.100.10-198.51.100.13, 198.51.100.99,\n"
		"  198.51.100.20-198.51.100.21, 198.51.100.30\nports = 2000-40000\n"
		"pairing = arbitrary\nmax_per_source = 0\n"
		"[pool second]\naddresses = 198.51.100.50\n"
		"[egress]\nmode = deny\npolicies = dump-pol/*.ini\ndefault_pool = public\n"
		"revalidate = keep\nip_options = drop-all\nhost_timeout = 4\nhost_hold_bytes = "
		"3000\n"
		"host_hold_total = 100000\nech = deny\ndns_min_ttl = 0\ndns_max_per_name = 3\n"
		"dns_max_entries = 77\ndns_filter = yes\ndeny_action = reject\n"
		"exhaustion_action = reject\nreject_rate = 55\n"
		"[flows]\nmax = 4321\ntcp_syn = 3\ntcp_established = 4\ntcp_transitory = 5\n"
		"udp = 6\nicmp = 7\ntcp_pickup = no\n"
		"[control]\nsocket = /tmp/dump.sock\n[metrics]\nlisten =\n"
		"[log]\nlevel = debug\nflow_log = /tmp/dump-flows.jsonl\n");
	p += (size_t)snprintf(pol_text + p, sizeof(pol_text) - p,
		"[group many]\nsources = 10.0.0.0/24");
	for (unsigned i = 1; i < 60; i++)
		p += (size_t)snprintf(pol_text + p, sizeof(pol_text) - p, ",\n  10.0.%u.0/24", i);
	p += (size_t)snprintf(pol_text + p, sizeof(pol_text) - p,
		"\n[policy web]\nsources = many, 10.9.9.9\ndestinations = 192.0.2.0/24\n"
		"ports = 80, 443, 8000-8100\nprotocol = tcp\naction = allow\nnat = second\n"
		"via = out\npriority = -5\nlog = yes\nmax_flows = 1000\n"
		"[policy dflt]\nprotocol = udp\nports = 53\naction = allow\n"
		"[policy routed]\nprotocol = icmp\naction = allow\nnat = none\n"
		"[policy block]\nsources = many\naction = deny\npriority = 1000000\nlog = yes\n"
		"[policy gh]\nprotocol = tls\nhosts = github.com, *.githubusercontent.com\n"
		"action = allow\n"
		"[policy learned]\nhosts = *.example.org\nports = 22\naction = deny\n"
		"[policy refuse]\nprotocol = udp\nports = 5353\naction = reject\n");
	write_file("dump-pol/10.ini", pol_text);
	write_file("dump-main.ini", main_text);
	CU_ASSERT_EQUAL_FATAL(load_all(in_dir("dump-main.ini"), &first, &ps1), 0);
	CU_ASSERT_EQUAL(ps1.n_policies, 7);
	CU_ASSERT_EQUAL(first.egress.dns_max_entries, 77);
	CU_ASSERT_EQUAL(first.egress.deny_action, EGW_DENY_REJECT);
	CU_ASSERT_EQUAL(first.egress.exhaustion_action, EGW_DENY_REJECT);
	CU_ASSERT_EQUAL(first.egress.reject_rate, 55);
	CU_ASSERT_EQUAL(ps1.policies[6].action, EGW_ACTION_REJECT);

	fp = fopen(in_dir("dump1.ini"), "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	CU_ASSERT_EQUAL(egw_conf_dump(&first, &ps1, fp), 0);
	fclose(fp);
	/* Loads back on its own: the policies are in the file, [egress] policies is empty. */
	CU_ASSERT_EQUAL_FATAL(load_all(in_dir("dump1.ini"), &again, &ps2), 0);
	CU_ASSERT_TRUE(again.egress.inline_policies);
	CU_ASSERT_STRING_EQUAL(again.egress.policies, "");
	normalized(&first, &n1);
	normalized(&again, &n2);
	CU_ASSERT(memcmp(&n1, &n2, sizeof(n1)) == 0);
	CU_ASSERT_EQUAL_FATAL(ps2.n_policies, ps1.n_policies);
	for (unsigned i = 0; i < ps1.n_policies; i++) {
		if (!same_policy(&ps1.policies[i], &ps2.policies[i], first.egress.default_pool))
			fprintf(stderr, "\n  policy %s differs after the dump\n",
				ps1.policies[i].name);
		CU_ASSERT(
			same_policy(&ps1.policies[i], &ps2.policies[i], first.egress.default_pool));
	}
	CU_ASSERT_EQUAL(ps2.n_groups, 1);
	CU_ASSERT_EQUAL(ps2.groups[0].n_cidrs, 60);
	/* Origins point at the dump now: the policy's line in dump1.ini. */
	CU_ASSERT_STRING_EQUAL(ps2.policies[0].origin.file, in_dir("dump1.ini"));

	fp = fopen(in_dir("dump2.ini"), "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	CU_ASSERT_EQUAL(egw_conf_dump(&again, &ps2, fp), 0);
	fclose(fp);
	text_without_comments(in_dir("dump1.ini"), t1, sizeof(t1));
	text_without_comments(in_dir("dump2.ini"), t2, sizeof(t2));
	CU_ASSERT_STRING_EQUAL(t1, t2);
	CU_ASSERT_PTR_NOT_NULL(strstr(t1, "addresses = 198.51.100.10-198.51.100.13, 198.51.100.99, "
					  "198.51.100.20-198.51.100.21, 198.51.100.30\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t1, "[policy block]\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t1, "hosts = github.com, *.githubusercontent.com\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t1, "ech = deny\nhost_binding = auto\ndns_min_ttl = 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t1, "ip_options = drop-all\n"));
	CU_ASSERT_EQUAL(again.egress.ip_options, EGW_IP_OPTIONS_DROP_ALL);
	egw_policy_set_free(&ps1);
	egw_policy_set_free(&ps2);
}

/* [group] and [policy] in the main file: read with the same checks, at the main file's lines,
 * before the files of the glob. */
static void test_inline_policies(void)
{
	static struct egw_conf c;
	struct egw_policy_set ps = { 0 };
	const char *path;

	write_file("inl-pol/10.ini", "[policy later]\naction = allow\n");
	path = write_file("inl-main.ini",
		MAIN_PORTS "[egress]\npolicies = inl-pol/*.ini\ndefault_pool = public\n"
			   "[policy first]\nprotocol = udp\naction = allow\n");
	CU_ASSERT_EQUAL_FATAL(load_all(path, &c, &ps), 0);
	CU_ASSERT_EQUAL_FATAL(ps.n_policies, 2);
	CU_ASSERT_STRING_EQUAL(ps.policies[0].name, "first");
	CU_ASSERT_STRING_EQUAL(ps.policies[0].origin.file, path);
	CU_ASSERT_EQUAL(ps.policies[0].origin.line, 21);
	CU_ASSERT_STRING_EQUAL(ps.policies[1].name, "later");
	CU_ASSERT_EQUAL(ps.n_files, 2);
	egw_policy_set_free(&ps);

	/* A mistake in an inline policy is the main file's, at its line. */
	path = write_file("inl-bad.ini",
		MAIN_PORTS "[egress]\ndefault_pool = public\n"
			   "[policy bad]\nprotocol = sctp\naction = allow\n");
	CU_ASSERT_EQUAL(load_all(path, &c, &ps), -EINVAL);
	CU_ASSERT(has_error(path, 21,
		"[policy bad] protocol: 'sctp' is not one of: tcp, udp, "
		"icmp, tls, http, any"));
	CU_ASSERT_EQUAL(errs.n, 1);
	egw_policy_set_free(&ps);
	reset();
}

void egw_test_register_policy_conf(void)
{
	EGW_SUITE("policy_conf", suite_init, suite_clean, EGW_TEST(test_valid_files),
		EGW_TEST(test_relative_glob), EGW_TEST(test_no_files), EGW_TEST(test_reader),
		EGW_TEST(test_error_cases), EGW_TEST(test_accepted), EGW_TEST(test_hosts_parsed),
		EGW_TEST(test_many_errors), EGW_TEST(test_across_files),
		EGW_TEST(test_special_files), EGW_TEST(test_limits), EGW_TEST(test_misc),
		EGW_TEST(test_dump_round_trip), EGW_TEST(test_inline_policies));
}
