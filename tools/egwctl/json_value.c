/* SPDX-License-Identifier: BSD-3-Clause */
/* Reading values out of a parsed tree, and writing a value back as JSON. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

const struct egw_json *egw_json_get(const struct egw_json *obj, const char *key)
{
	size_t n;

	if (!obj || obj->type != EGW_JSON_OBJECT)
		return NULL;
	n = strlen(key);
	for (const struct egw_json *m = obj->child; m; m = m->next)
		if (m->key_len == n && memcmp(m->key, key, n) == 0)
			return m;
	return NULL;
}

const char *egw_json_string(const struct egw_json *v)
{
	return v && v->type == EGW_JSON_STRING ? v->str : NULL;
}

/* Integers only: strtoull() would take "1e3" as 1 and "-1" as 2^64 - 1. */
int egw_json_u64(const struct egw_json *v, uint64_t *out)
{
	uint64_t x = 0;

	if (!v || v->type != EGW_JSON_NUMBER || v->str[0] == '-' ||
		strcspn(v->str, ".eE") != v->len)
		return -EINVAL;
	for (size_t i = 0; i < v->len; i++) {
		unsigned d = (unsigned)(v->str[i] - '0');

		if (x > (UINT64_MAX - d) / 10)
			return -ERANGE;
		x = x * 10 + d;
	}
	*out = x;
	return 0;
}

int egw_json_i64(const struct egw_json *v, int64_t *out)
{
	struct egw_json mag;
	uint64_t x;
	int neg, rc;

	if (!v || v->type != EGW_JSON_NUMBER)
		return -EINVAL;
	neg = v->str[0] == '-';
	mag = *v;
	mag.str += neg;
	mag.len -= (size_t)neg;
	rc = egw_json_u64(&mag, &x);
	if (rc < 0)
		return rc;
	if (x > (uint64_t)INT64_MAX + (uint64_t)neg)
		return -ERANGE;
	/* -2^63 has no positive twin: negate in unsigned arithmetic. */
	*out = neg ? (int64_t)(0 - x) : (int64_t)x;
	return 0;
}

const char *egw_json_text(const struct egw_json *v)
{
	if (!v)
		return NULL;
	switch (v->type) {
	case EGW_JSON_NULL:
		return "null";
	case EGW_JSON_FALSE:
		return "false";
	case EGW_JSON_TRUE:
		return "true";
	case EGW_JSON_NUMBER:
	case EGW_JSON_STRING:
		return v->str;
	default:
		return NULL;
	}
}

const char *egw_json_type_name(enum egw_json_type type)
{
	static const char *const names[] = { "null", "false", "true", "number", "string",
		"array", "object" };

	return (unsigned)type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}

int egw_json_write_string(FILE *out, const char *s, size_t len)
{
	putc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c == '\r')
			fputs("\\r", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			putc(c, out);
	}
	putc('"', out);
	return ferror(out) ? -EIO : 0;
}

/* Recursion is bounded: the parser refused trees deeper than EGW_JSON_MAX_DEPTH. */
int egw_json_write(FILE *out, const struct egw_json *v)
{
	switch (v->type) {
	case EGW_JSON_STRING:
		return egw_json_write_string(out, v->str, v->len);
	case EGW_JSON_ARRAY:
	case EGW_JSON_OBJECT:
		putc(v->type == EGW_JSON_OBJECT ? '{' : '[', out);
		for (const struct egw_json *m = v->child; m; m = m->next) {
			if (m != v->child)
				putc(',', out);
			if (v->type == EGW_JSON_OBJECT) {
				egw_json_write_string(out, m->key, m->key_len);
				putc(':', out);
			}
			egw_json_write(out, m);
		}
		putc(v->type == EGW_JSON_OBJECT ? '}' : ']', out);
		break;
	default:
		fputs(egw_json_text(v), out);
		break;
	}
	return ferror(out) ? -EIO : 0;
}
