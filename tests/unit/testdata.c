/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "testdata.h"

#ifndef EGW_TEST_DATA
#error "EGW_TEST_DATA (the tests/unit/data directory) comes from tests/unit/meson.build"
#endif

uint8_t *egw_test_read_file(const char *path, size_t *len)
{
	uint8_t *buf = NULL;
	long size;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)size);
		if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)size;
	}
	fclose(f);
	return buf;
}

uint8_t *egw_testdata_load(const char *name, size_t *len)
{
	char path[512];
	uint8_t *buf;

	snprintf(path, sizeof(path), "%s/%s", EGW_TEST_DATA, name);
	buf = egw_test_read_file(path, len);
	CU_ASSERT_PTR_NOT_NULL(buf);
	return buf;
}

uint8_t *egw_testdata_exact(const void *p, size_t n)
{
	/* glibc's malloc(0) gives a zero-byte block: any read of it is out of bounds. */
	uint8_t *copy = malloc(n);

	if (n) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
		memcpy(copy, p, n);
	}
	return copy;
}
