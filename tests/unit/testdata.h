/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_TESTDATA_H
#define EGW_TESTDATA_H

#include <stddef.h>
#include <stdint.h>

/*
 * Binary test vectors under tests/unit/data/ (made by data/make_vectors.sh). Returns a
 * malloc'd buffer of exactly the file's size (ASan sees any read past it) and its size in
 * *LEN; the test fails and NULL comes back when the file cannot be read.
 */
uint8_t *egw_testdata_load(const char *name, size_t *len);

/* The whole file at PATH (any path), as egw_testdata_load reads one; NULL, and no test
 * failure, when it cannot be read or is empty. */
uint8_t *egw_test_read_file(const char *path, size_t *len);

/* A malloc'd copy of exactly N bytes of P (N may be 0): for parsing a prefix under ASan. */
uint8_t *egw_testdata_exact(const void *p, size_t n);

#endif
