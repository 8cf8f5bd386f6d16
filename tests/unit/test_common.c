/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_rcu_qsbr.h>

#include "common/drop.h"
#include "common/file.h"
#include "common/rcu.h"
#include "common/log.h"
#include "egw_test.h"
#include "testdata.h"

static void test_drop_names_unique_and_roundtrip(void)
{
	for (unsigned i = 0; i < EGW_DROP_MAX; i++) {
		const char *n = egw_drop_name((enum egw_drop_reason)i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(n);
		CU_ASSERT_EQUAL(egw_drop_from_name(n), (enum egw_drop_reason)i);
		CU_ASSERT(strlen(egw_drop_help((enum egw_drop_reason)i)) > 0);
		for (unsigned j = 0; j < i; j++)
			CU_ASSERT(strcmp(n, egw_drop_name((enum egw_drop_reason)j)) != 0);
	}
}

static void test_drop_out_of_range(void)
{
	CU_ASSERT_STRING_EQUAL(egw_drop_name(EGW_DROP_MAX), "invalid");
	CU_ASSERT_EQUAL(egw_drop_from_name("no_such_reason"), EGW_DROP_MAX);
}

/*
 * Every drop reason is produced by at least one test, and this list says which: the test file
 * that produces it, relative to the source tree. The check below reads that file and requires
 * the reason in it, as EGW_DROP_<NAME> in a C test, as its name ("arp_handled") in the
 * end-to-end corpus (tests/e2e/inject_malformed.py) or a test script. A reason added to drop.h
 * without an entry here fails the build's tests; an entry pointing at a file that does not
 * mention the reason fails too.
 */
#define PKT "tests/unit/test_pkt.c"
#define PIPELINE "tests/unit/test_pipeline.c"
#define NEIGH "tests/unit/test_neigh.c"
static const char *const covered_by[EGW_DROP_MAX] = {
	[EGW_DROP_ETH_TRUNCATED] = PKT,
	[EGW_DROP_ETHERTYPE_UNSUPPORTED] = PKT,
	[EGW_DROP_VLAN_UNKNOWN] = PKT,
	[EGW_DROP_VLAN_QINQ] = PKT,
	[EGW_DROP_VLAN_TAG_FAILED] = PIPELINE,
	[EGW_DROP_L2_NOT_FOR_US] = PIPELINE,
	[EGW_DROP_ARP_MALFORMED] = PKT,
	[EGW_DROP_ARP_HANDLED] = NEIGH,
	[EGW_DROP_ARP_SPOOFED] = NEIGH,
	[EGW_DROP_IP_TRUNCATED] = PKT,
	[EGW_DROP_IP_BAD_VERSION] = PKT,
	[EGW_DROP_IP_BAD_IHL] = PKT,
	[EGW_DROP_IP_BAD_LENGTH] = PKT,
	[EGW_DROP_IP_BAD_CHECKSUM] = PKT,
	[EGW_DROP_IP_BAD_OPTIONS] = PKT,
	[EGW_DROP_IP_SOURCE_ROUTE] = PIPELINE,
	[EGW_DROP_IP_OPTIONS_DENIED] = PIPELINE,
	[EGW_DROP_IP_FRAGMENT] = PKT,
	[EGW_DROP_IP_FRAGMENT_TIMEOUT] = PIPELINE,
	[EGW_DROP_IP_MARTIAN] = PKT,
	[EGW_DROP_IP_OWN_SOURCE] = PIPELINE,
	[EGW_DROP_IP_SUBNET_BROADCAST] = PIPELINE,
	[EGW_DROP_L4_UNSUPPORTED] = PKT,
	[EGW_DROP_L4_TRUNCATED] = PKT,
	[EGW_DROP_TCP_BAD_OFFSET] = PKT,
	[EGW_DROP_TCP_BAD_FLAGS] = PKT,
	[EGW_DROP_UDP_BAD_LENGTH] = PKT,
	[EGW_DROP_ICMP_UNSUPPORTED] = PKT,
	[EGW_DROP_ICMP_ERROR_MALFORMED] = PKT,
	[EGW_DROP_ICMP_ERROR_NO_FLOW] = PIPELINE,
	[EGW_DROP_LOCAL_UNSUPPORTED] = PIPELINE,
	[EGW_DROP_LOCAL_OTHER_SIDE] = PIPELINE,
	[EGW_DROP_TTL_EXCEEDED] = PIPELINE,
	[EGW_DROP_MTU_EXCEEDED] = PIPELINE,
	[EGW_DROP_NO_ROUTE] = PIPELINE,
	[EGW_DROP_NEIGH_UNRESOLVED] = PIPELINE,
	[EGW_DROP_MODE_DENY] = PIPELINE,
	[EGW_DROP_POLICY_NO_MATCH] = PIPELINE,
	[EGW_DROP_POLICY_DENY] = PIPELINE,
	[EGW_DROP_POLICY_MAX_FLOWS] = PIPELINE,
	[EGW_DROP_POLICY_REVOKED] = PIPELINE,
	/* Verdicts of the host-name decision (lib/policy/decide.h). */
	[EGW_DROP_HOST_DENIED] = "tests/unit/test_policy_host.c",
	[EGW_DROP_HOST_UNKNOWN] = "tests/unit/test_policy_host.c",
	[EGW_DROP_HOST_ECH] = "tests/unit/test_policy_host.c",
	[EGW_DROP_HOST_PROTOCOL_MISMATCH] = "tests/unit/test_policy_host.c",
	[EGW_DROP_HOST_HOLD_FULL] = "tests/unit/test_pipeline.c",
	[EGW_DROP_HOST_HOLD_DUPLICATE] = "tests/unit/test_pipeline.c",
	[EGW_DROP_LATE_ABSORBED] = PIPELINE,
	[EGW_DROP_LATE_UPSTREAM_FAILED] = PIPELINE,
	[EGW_DROP_LATE_STALE] = PIPELINE,
	[EGW_DROP_DNS_FILTERED] = "tests/unit/test_dns_snoop.c",
	[EGW_DROP_DNS_ECH_KEPT] = "tests/unit/test_dns_snoop.c",
	[EGW_DROP_UNSOLICITED] = PIPELINE,
	[EGW_DROP_TCP_NOT_SYN] = PIPELINE,
	[EGW_DROP_TCP_OUT_OF_WINDOW] = PIPELINE,
	[EGW_DROP_FLOW_TABLE_FULL] = PIPELINE,
	[EGW_DROP_NAT_EXHAUSTED] = PIPELINE,
	[EGW_DROP_NAT_SOURCE_LIMIT] = PIPELINE,
	[EGW_DROP_HANDOFF_FULL] = PIPELINE,
	[EGW_DROP_CONTROL_QUEUE_FULL] = PIPELINE,
	[EGW_DROP_TX_FULL] = PIPELINE,
	[EGW_DROP_EXCEPTION_UNEXPECTED] = PIPELINE,
	[EGW_DROP_TUNNEL_UNADMITTED] = PIPELINE,
	[EGW_DROP_SHUTDOWN] = PIPELINE,
};

static void check_covered(const char *sym, enum egw_drop_reason r)
{
	const char *file = covered_by[r];
	char want[64], path[512];
	uint8_t *text;
	size_t len = 0;

	if (!file) {
		fprintf(stderr, "\n  drop reason %s has no test (add it to covered_by[])", sym);
		CU_FAIL("a drop reason without a test");
		return;
	}
	char name[64];

	snprintf(want, sizeof(want), "EGW_DROP_%s", sym);
	/* A test names the reason by its symbol, or by its name in what it checks (a verdict
	 * string, a counter of an e2e test). */
	snprintf(name, sizeof(name), "%s", egw_drop_name(r));
	snprintf(path, sizeof(path), "%s/%s", EGW_SOURCE_ROOT, file);
	text = egw_test_read_file(path, &len);
	if (!text ||
		!(memmem(text, len, want, strlen(want)) || memmem(text, len, name, strlen(name)))) {
		fprintf(stderr, "\n  %s: %s does not mention %s", sym, file, want);
		CU_FAIL("covered_by[] names a test that does not produce the reason");
	}
	free(text);
}

static void test_every_drop_reason_has_a_test(void)
{
#define CHECK(sym, name, help) check_covered(#sym, EGW_DROP_##sym);
	EGW_FOREACH_DROP(CHECK)
#undef CHECK
}

static void test_log_level_parse(void)
{
	enum egw_log_level l;
	CU_ASSERT_EQUAL(egw_log_level_parse("debug", &l), 0);
	CU_ASSERT_EQUAL(l, EGW_LOG_DEBUG);
	CU_ASSERT_EQUAL(egw_log_level_parse("WARNING", &l), 0);
	CU_ASSERT_EQUAL(l, EGW_LOG_WARNING);
	CU_ASSERT_EQUAL(egw_log_level_parse("verbose", &l), -1);
}

static char file_dir[PATH_MAX]; /* mkdtemp directory of the file tests */

static const char *in_file_dir(const char *name)
{
	static char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", file_dir, name);
	return path;
}

/* A file of SIZE bytes (sparse: no disk used). */
static void make_sized(const char *path, off_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(ftruncate(fd, size), 0);
	close(fd);
}

/* Opening PATH for reading fails with RC and WHY starting with PREFIX, and does not block. */
static void expect_read_refused(const char *path, int rc, const char *prefix)
{
	char why[128] = "";
	int fd;

	alarm(5); /* a blocking open (a FIFO) ends the test run instead of hanging it */
	fd = egw_file_open_read(path, why, sizeof(why));
	alarm(0);
	CU_ASSERT_EQUAL(fd, rc);
	if (fd >= 0)
		close(fd);
	CU_ASSERT_EQUAL(strncmp(why, prefix, strlen(prefix)), 0);
	if (strncmp(why, prefix, strlen(prefix)) != 0)
		fprintf(stderr, "%s: got '%s', expected '%s...'\n", path, why, prefix);
}

static void test_file_open_read(void)
{
	char why[128] = "", path[PATH_MAX + 64];
	int fd, flags;

	snprintf(file_dir, sizeof(file_dir), "/tmp/egw_file_XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(file_dir));

	/* A regular file up to the limit opens, and blocks again like any fd. */
	snprintf(path, sizeof(path), "%s", in_file_dir("max"));
	make_sized(path, EGW_FILE_MAX_BYTES);
	fd = egw_file_open_read(path, why, sizeof(why));
	CU_ASSERT_FATAL(fd >= 0);
	flags = fcntl(fd, F_GETFL);
	CU_ASSERT_EQUAL(flags & O_NONBLOCK, 0);
	CU_ASSERT((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	close(fd);
	unlink(path);

	snprintf(path, sizeof(path), "%s", in_file_dir("big"));
	make_sized(path, (off_t)EGW_FILE_MAX_BYTES + 1);
	expect_read_refused(path, -EFBIG, "is larger than 16 MiB");
	unlink(path);

	/* What is not a regular file is refused at once, never read. */
	expect_read_refused(file_dir, -EINVAL, "is not a regular file (directory)");
	expect_read_refused("/dev/zero", -EINVAL, "is not a regular file (character device)");
	snprintf(path, sizeof(path), "%s", in_file_dir("fifo"));
	CU_ASSERT_EQUAL_FATAL(mkfifo(path, 0600), 0);
	expect_read_refused(path, -EINVAL, "is not a regular file (FIFO)");
	unlink(path);
	expect_read_refused(in_file_dir("missing"), -ENOENT, "cannot open: No such file");
	/* /proc files are regular (size 0): they open; readers bound what they read. */
	fd = egw_file_open_read("/proc/self/status", why, sizeof(why));
	CU_ASSERT(fd >= 0);
	if (fd >= 0)
		close(fd);
	rmdir(file_dir);
}

static void test_file_open_append(void)
{
	char why[128] = "", path[PATH_MAX + 64], buf[8] = "";
	struct stat st;
	mode_t old_mask;
	int fd, rd;

	snprintf(file_dir, sizeof(file_dir), "/tmp/egw_file_XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(file_dir));
	snprintf(path, sizeof(path), "%s", in_file_dir("log"));

	/* Created when missing, with the mode asked for; appended to when it exists. */
	old_mask = umask(022);
	fd = egw_file_open_append(path, 0640, why, sizeof(why));
	umask(old_mask);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "ab", 2), 2);
	close(fd);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0640);
	fd = egw_file_open_append(path, 0640, why, sizeof(why));
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "cd", 2), 2);
	close(fd);
	rd = open(path, O_RDONLY);
	CU_ASSERT_EQUAL(read(rd, buf, sizeof(buf) - 1), 4);
	CU_ASSERT_STRING_EQUAL(buf, "abcd");
	close(rd);
	unlink(path);

	/* A FIFO, with or without a reader, would block or fail writes: refused, not blocked. */
	CU_ASSERT_EQUAL_FATAL(mkfifo(path, 0600), 0);
	alarm(5);
	CU_ASSERT_EQUAL(egw_file_open_append(path, 0640, why, sizeof(why)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "is not a regular file (FIFO)");
	rd = open(path, O_RDONLY | O_NONBLOCK);
	CU_ASSERT(rd >= 0);
	CU_ASSERT_EQUAL(egw_file_open_append(path, 0640, why, sizeof(why)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "is not a regular file (FIFO)");
	alarm(0);
	close(rd);
	unlink(path);

	CU_ASSERT_EQUAL(egw_file_open_append(file_dir, 0640, why, sizeof(why)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "is not a regular file (directory)");
	CU_ASSERT_EQUAL(egw_file_open_append("/dev/null", 0640, why, sizeof(why)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "is not a regular file (character device)");
	CU_ASSERT_EQUAL(egw_file_open_append(in_file_dir("no/such/dir"), 0640, why, sizeof(why)),
		-ENOENT);
	CU_ASSERT_STRING_EQUAL(why, "cannot open: No such file or directory");
	rmdir(file_dir);
}

static void test_file_type_names(void)
{
	CU_ASSERT_STRING_EQUAL(egw_file_type_name(S_IFSOCK | 0600), "socket");
	CU_ASSERT_STRING_EQUAL(egw_file_type_name(S_IFBLK), "block device");
	CU_ASSERT_STRING_EQUAL(egw_file_type_name(S_IFLNK), "symbolic link");
	CU_ASSERT_STRING_EQUAL(egw_file_type_name(S_IFREG), "regular file");
	CU_ASSERT_STRING_EQUAL(egw_file_type_name(0), "unknown file type");
}

/* ---- lib/common/rcu.c: two publication points on one QSBR variable ---- */

#define OBJ_MAGIC 0x5eed5eedu

struct obj {
	uint32_t magic;
	uint32_t kind; /* which point published it */
	uint64_t gen;
};

static uint64_t freed[2];

static void free_obj(void *p)
{
	struct obj *o = p;

	freed[o->kind]++;
	/* A reader still holding it would see the poison (and ASan the free). */
	memset(o, 0xa5, sizeof(*o));
	free(o);
}

static struct obj *new_obj(uint32_t kind, uint64_t gen)
{
	struct obj *o = malloc(sizeof(*o));

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	*o = (struct obj){ OBJ_MAGIC, kind, gen };
	return o;
}

struct worker_like {
	struct egw_rcu *a, *b; /* B shares A's QSBR variable */
	int stop, stall, online, stalled;
	uint64_t loops, errors;
};

static bool obj_ok(const struct obj *o, uint32_t kind)
{
	return !o || (o->magic == OBJ_MAGIC && o->kind == kind);
}

/* Reads both points each loop and reports one quiescent state, as a worker does. */
static void *worker_like_main(void *arg)
{
	struct worker_like *w = arg;
	struct rte_rcu_qsbr *q = w->a->qsbr;

	rte_rcu_qsbr_thread_register(q, 0);
	rte_rcu_qsbr_thread_online(q, 0);
	__atomic_store_n(&w->online, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		const struct obj *x = egw_rcu_load(w->a), *y = egw_rcu_load(w->b);

		do {
			if (!obj_ok(x, 0) || !obj_ok(y, 1))
				w->errors++;
			if (__atomic_load_n(&w->stall, __ATOMIC_ACQUIRE)) {
				__atomic_store_n(&w->stalled, 1, __ATOMIC_RELEASE);
				usleep(50);
			}
		} while (__atomic_load_n(&w->stall, __ATOMIC_ACQUIRE));
		__atomic_store_n(&w->stalled, 0, __ATOMIC_RELEASE);
		w->loops++;
		rte_rcu_qsbr_quiescent(q, 0);
	}
	rte_rcu_qsbr_thread_offline(q, 0);
	rte_rcu_qsbr_thread_unregister(q, 0);
	return NULL;
}

static void settle(struct egw_rcu *a, struct egw_rcu *b)
{
	for (unsigned i = 0; i < 20000 && egw_rcu_reclaim(a) + egw_rcu_reclaim(b) > 0; i++)
		usleep(100);
}

static void test_rcu_shared_qsbr(void)
{
	struct egw_rcu a, b, bad;
	struct worker_like w = { .a = &a, .b = &b };
	struct obj *held[2];
	pthread_t th;

	CU_ASSERT_EQUAL_FATAL(egw_test_eal_init(), 0);
	freed[0] = freed[1] = 0;
	CU_ASSERT_EQUAL_FATAL(egw_rcu_init(&a, 1, free_obj), 0);
	CU_ASSERT_EQUAL(egw_rcu_init_shared(&bad, NULL, free_obj), -EINVAL);
	CU_ASSERT_EQUAL(egw_rcu_init_shared(&bad, &a, NULL), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(egw_rcu_init_shared(&b, &a, free_obj), 0);
	CU_ASSERT_EQUAL(egw_rcu_init_shared(&bad, &b, free_obj), -EINVAL); /* no chains */
	CU_ASSERT_PTR_EQUAL(b.qsbr, a.qsbr);
	CU_ASSERT_EQUAL(egw_rcu_publish(&a, new_obj(0, 0)), 0);
	CU_ASSERT_EQUAL(egw_rcu_publish(&b, new_obj(1, 0)), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, worker_like_main, &w), 0);
	for (unsigned i = 0; i < 200000 && !__atomic_load_n(&w.online, __ATOMIC_ACQUIRE); i++)
		usleep(10);

	/* Both points publish while the reader runs: one quiescent state frees both's. */
	for (uint64_t g = 1; g <= 500; g++) {
		CU_ASSERT_EQUAL(egw_rcu_publish(g & 1 ? &a : &b, new_obj(g & 1 ? 0 : 1, g)), 0);
		settle(&a, &b);
	}
	CU_ASSERT_EQUAL(freed[0], 250);
	CU_ASSERT_EQUAL(freed[1], 250);

	/* A stalled reader holds what it loaded from either point; nothing is freed under it. */
	__atomic_store_n(&w.stall, 1, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < 200000 && !__atomic_load_n(&w.stalled, __ATOMIC_ACQUIRE); i++)
		usleep(10);
	held[0] = egw_rcu_load(&a);
	held[1] = egw_rcu_load(&b);
	CU_ASSERT_EQUAL(egw_rcu_publish(&a, new_obj(0, 1000)), 0);
	CU_ASSERT_EQUAL(egw_rcu_publish(&b, new_obj(1, 1000)), 0);
	usleep(20000);
	CU_ASSERT_EQUAL(egw_rcu_reclaim(&a), 1);
	CU_ASSERT_EQUAL(egw_rcu_reclaim(&b), 1);
	CU_ASSERT(obj_ok(held[0], 0) && obj_ok(held[1], 1));
	__atomic_store_n(&w.stall, 0, __ATOMIC_RELEASE);
	settle(&a, &b);
	CU_ASSERT_EQUAL(egw_rcu_reclaim(&a), 0);
	CU_ASSERT_EQUAL(egw_rcu_reclaim(&b), 0);
	CU_ASSERT_EQUAL(freed[0], 251);
	CU_ASSERT_EQUAL(freed[1], 251);

	__atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(w.errors, 0);
	CU_ASSERT(w.loops > 500);
	/* The shared point first; the owner's fini frees the QSBR variable (ASan: once). */
	egw_rcu_fini(&b);
	CU_ASSERT_PTR_NULL(b.qsbr);
	CU_ASSERT_PTR_NOT_NULL(a.qsbr);
	egw_rcu_fini(&a);
	CU_ASSERT_EQUAL(freed[0], 252);
	CU_ASSERT_EQUAL(freed[1], 252);
}

/* Occasional readers (telemetry) of two points on one variable: the ids are the owner's. */
static void test_rcu_shared_read_ids(void)
{
	struct egw_rcu c, d;
	int i0, i1;

	CU_ASSERT_EQUAL_FATAL(egw_test_eal_init(), 0);
	CU_ASSERT_EQUAL_FATAL(egw_rcu_init(&c, 2, free_obj), 0);
	CU_ASSERT_EQUAL_FATAL(egw_rcu_init_shared(&d, &c, free_obj), 0);
	i0 = egw_rcu_read_begin(&d);
	i1 = egw_rcu_read_begin(&c);
	CU_ASSERT(i0 >= 0 && i1 >= 0 && i0 != i1);
	CU_ASSERT_EQUAL(egw_rcu_read_begin(&d), -EBUSY);
	CU_ASSERT_EQUAL(d.read_ids, 0);
	/* a reader online on the variable holds the grace periods of both points */
	CU_ASSERT_EQUAL(egw_rcu_publish(&d, new_obj(1, 1)), 0);
	CU_ASSERT_EQUAL(egw_rcu_publish(&d, new_obj(1, 2)), 0);
	CU_ASSERT_EQUAL(egw_rcu_reclaim(&d), 1);
	egw_rcu_read_end(&d, i0);
	egw_rcu_read_end(&c, i1);
	CU_ASSERT_EQUAL(c.read_ids, 0);
	CU_ASSERT_EQUAL(egw_rcu_reclaim(&d), 0);
	egw_rcu_fini(&d);
	egw_rcu_fini(&c);
}

void egw_test_register_common(void)
{
	EGW_SUITE("common", NULL, NULL, EGW_TEST(test_drop_names_unique_and_roundtrip),
		EGW_TEST(test_drop_out_of_range), EGW_TEST(test_every_drop_reason_has_a_test),
		EGW_TEST(test_log_level_parse), EGW_TEST(test_file_open_read),
		EGW_TEST(test_file_open_append), EGW_TEST(test_file_type_names),
		EGW_TEST(test_rcu_shared_qsbr), EGW_TEST(test_rcu_shared_read_ids));
}
