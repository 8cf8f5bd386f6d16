/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A small, strict JSON parser (RFC 8259) for the daemon's telemetry replies: the whole text
 * is parsed into one read-only tree, freed with egw_json_free(). The input need not be
 * NUL-terminated and may hold anything; nothing past LEN is read.
 */
#ifndef EGW_JSON_H
#define EGW_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Deeper documents are refused: the parser recurses once per level. */
#define EGW_JSON_MAX_DEPTH 64

enum egw_json_type {
	EGW_JSON_NULL,
	EGW_JSON_FALSE,
	EGW_JSON_TRUE,
	EGW_JSON_NUMBER,
	EGW_JSON_STRING,
	EGW_JSON_ARRAY,
	EGW_JSON_OBJECT,
};

struct egw_json {
	enum egw_json_type type;
	/* Member name (decoded, NUL-terminated) when the parent is an object, else NULL. */
	const char *key;
	size_t key_len;
	/* STRING: the decoded UTF-8 text; NUMBER: the number as written. Both NUL-terminated,
	 * but a string may also hold NUL (\u0000): LEN counts every byte. NULL otherwise. */
	const char *str;
	size_t len;
	/* ARRAY/OBJECT: the first member, then each member's NEXT, in document order. */
	const struct egw_json *child;
	const struct egw_json *next;
	size_t n_children;
};

struct egw_json_doc;

struct egw_json_error {
	size_t offset; /* byte offset of the problem in the input */
	char msg[96];
};

/*
 * Parses TEXT[0..LEN) as one JSON value, optionally surrounded by whitespace.
 * Returns 0 and *DOC, -EINVAL (ERR says where and why) or -ENOMEM.
 */
int egw_json_parse(const char *text, size_t len, struct egw_json_doc **doc,
	struct egw_json_error *err);
void egw_json_free(struct egw_json_doc *doc);
const struct egw_json *egw_json_root(const struct egw_json_doc *doc);

/* The first member named KEY of object OBJ; NULL when OBJ is not an object or has none. */
const struct egw_json *egw_json_get(const struct egw_json *obj, const char *key);
/* The string value; NULL when V is NULL or not a string. */
const char *egw_json_string(const struct egw_json *v);
/* 0 and *OUT when V is an integer in range; -EINVAL when not an integer, -ERANGE too big. */
int egw_json_u64(const struct egw_json *v, uint64_t *out);
int egw_json_i64(const struct egw_json *v, int64_t *out);
/* A scalar as an operator reads it: a string's text, a number as written, "true", "false",
 * "null". NULL for a container or a NULL V. */
const char *egw_json_text(const struct egw_json *v);
const char *egw_json_type_name(enum egw_json_type type);

/* V as compact JSON (strings escaped, UTF-8 kept as is): parsing the output gives V again.
 * Returns 0 or -EIO. */
int egw_json_write(FILE *out, const struct egw_json *v);
int egw_json_write_string(FILE *out, const char *s, size_t len);

#endif
