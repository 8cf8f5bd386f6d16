/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <rte_eal.h>

#include "egw_test.h"

static int eal_ready;

int egw_test_eal_init(void)
{
	/* A prefix of this process' own: runs from several checkouts at once must not share
	 * (and lock each other out of) one EAL runtime directory. */
	static char prefix[32];
	char *argv[] = { "egw_unit_tests", "--no-huge", "--no-pci", "-m", "512", "--log-level",
		"lib.*:error", "--file-prefix", prefix, "--no-telemetry", "-l", "0", NULL };

	snprintf(prefix, sizeof(prefix), "egwunit%d", (int)getpid());
	if (eal_ready)
		return 0;
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0)
		return -1;
	eal_ready = 1;
	return 0;
}

/* rte_eal_cleanup() leaves the runtime directory behind: one per run with per-process
 * prefixes, so it goes here. */
static void eal_cleanup(void)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[PATH_MAX + 256];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	egw_test_register_common();
	egw_test_register_conf();
	egw_test_register_policy_conf();
	egw_test_register_ctl();
	egw_test_register_pkt();
	egw_test_register_flow();
	egw_test_register_tcp_window();
	egw_test_register_tcp_opts();
	egw_test_register_syncookie();
	egw_test_register_splice();
	egw_test_register_tcp_craft();
	egw_test_register_nat();
	egw_test_register_net();
	egw_test_register_steer();
	egw_test_register_rx_offload();
	egw_test_register_rss_owner();
	egw_test_register_latency();
	egw_test_register_neigh();
	egw_test_register_policy();
	egw_test_register_pipeline();
	egw_test_register_mailbox();
	egw_test_register_classifier();
	egw_test_register_policy_rt();
	egw_test_register_telemetry();
	egw_test_register_egwctl_render();
	egw_test_register_bench();
	egw_test_register_hostname();
	egw_test_register_l7();
	egw_test_register_dns();
	egw_test_register_tunnel();
	egw_test_register_tunnel_engine();
	egw_test_register_names();
	egw_test_register_dns_snoop();
	egw_test_register_policy_host();
	egw_test_register_host_hold();
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (argc > 1) {
		/* Run one suite by name: egw_unit_tests conf */
		CU_pSuite s = CU_get_suite(argv[1]);
		if (!s) {
			fprintf(stderr, "no suite %s\n", argv[1]);
			return 2;
		}
		CU_basic_run_suite(s);
	} else {
		CU_basic_run_tests();
	}
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	if (eal_ready)
		eal_cleanup();
	return failed ? 1 : 0;
}
