/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <rte_eal.h>

#include "egw_test.h"

static int eal_ready;

int egw_test_eal_init(void)
{
	char *argv[] = { "egw_unit_tests", "--no-huge", "--no-pci", "-m", "512", "--log-level",
		"lib.*:error", "--file-prefix", "egwunit", "--no-telemetry", "-l", "0", NULL };

	if (eal_ready)
		return 0;
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0)
		return -1;
	eal_ready = 1;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	egw_test_register_common();
	egw_test_register_conf();
	egw_test_register_policy_conf();
	egw_test_register_pkt();
	egw_test_register_flow();
	egw_test_register_nat();
	egw_test_register_net();
	egw_test_register_neigh();
	egw_test_register_policy();
	egw_test_register_pipeline();
	egw_test_register_classifier();
	egw_test_register_policy_rt();
	egw_test_register_telemetry();
	egw_test_register_egwctl_json();
	egw_test_register_bench();
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
		rte_eal_cleanup();
	return failed ? 1 : 0;
}
