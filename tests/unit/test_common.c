/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "common/drop.h"
#include "common/log.h"
#include "egw_test.h"

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

static void test_log_level_parse(void)
{
	enum egw_log_level l;
	CU_ASSERT_EQUAL(egw_log_level_parse("debug", &l), 0);
	CU_ASSERT_EQUAL(l, EGW_LOG_DEBUG);
	CU_ASSERT_EQUAL(egw_log_level_parse("WARNING", &l), 0);
	CU_ASSERT_EQUAL(l, EGW_LOG_WARNING);
	CU_ASSERT_EQUAL(egw_log_level_parse("verbose", &l), -1);
}

void egw_test_register_common(void)
{
	EGW_SUITE("common", NULL, NULL, EGW_TEST(test_drop_names_unique_and_roundtrip),
		EGW_TEST(test_drop_out_of_range), EGW_TEST(test_log_level_parse));
}
