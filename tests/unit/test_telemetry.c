/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "egw_test.h"
#include "telemetry/telemetry.h"

/* DPDK refuses a command whose help text reaches RTE_TEL_MAX_STRING_LEN: every /egw/ command
 * must register (a too-long help once left the daemon without telemetry). */
static void test_telemetry_register(void)
{
	static struct egw_tel_source src;

	CU_ASSERT_EQUAL(egw_test_eal_init(), 0);
	CU_ASSERT_EQUAL(egw_telemetry_register(&src), 0);
}

static void test_sha256_file(void)
{
	char path[] = "/tmp/egw-ut-sha-XXXXXX", hex[65] = { 0 };
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "abc", 3), 3);
	close(fd);
	CU_ASSERT_EQUAL(egw_sha256_file(path, hex), 0);
	/* FIPS 180-2 test vector for "abc". */
	CU_ASSERT_STRING_EQUAL(hex,
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	unlink(path);
	CU_ASSERT_EQUAL(egw_sha256_file(path, hex), -ENOENT);
}

void egw_test_register_telemetry(void)
{
	EGW_SUITE("telemetry", NULL, NULL, EGW_TEST(test_telemetry_register),
		EGW_TEST(test_sha256_file));
}
