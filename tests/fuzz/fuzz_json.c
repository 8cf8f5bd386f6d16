/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for egwctl's JSON parser (tools/egwctl/json.c): arbitrary bytes, which the
 * parser may only read within the given length (the input is copied to an exact-size buffer,
 * so ASan sees any read past it). Besides the sanitizers it checks what the parser promises:
 * an error has an offset inside the input and a message, and no tree; a tree is consistent
 * (member counts, keys only in objects, terminated text); and writing a tree out and parsing
 * that again gives the same text once more (the writer's output is valid and canonical).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static void check_tree(const struct egw_json *v, int in_object, unsigned depth)
{
	size_t n = 0;

	if (depth > EGW_JSON_MAX_DEPTH || (in_object != (v->key != NULL)))
		abort();
	if (v->key && v->key[v->key_len] != '\0')
		abort();
	switch (v->type) {
	case EGW_JSON_STRING:
	case EGW_JSON_NUMBER:
		if (!v->str || v->str[v->len] != '\0' || !egw_json_text(v))
			abort();
		if (v->type == EGW_JSON_NUMBER && strlen(v->str) != v->len)
			abort();
		break;
	case EGW_JSON_ARRAY:
	case EGW_JSON_OBJECT:
		for (const struct egw_json *m = v->child; m; m = m->next, n++)
			check_tree(m, v->type == EGW_JSON_OBJECT, depth + 1);
		if (n != v->n_children || egw_json_text(v))
			abort();
		break;
	default:
		if (v->str || v->child || !egw_json_text(v))
			abort();
		break;
	}
}

/* The tree written out, NUL-terminated; *LEN its length. */
static char *write_tree(const struct egw_json *v, size_t *len)
{
	char *out = NULL;
	FILE *f = open_memstream(&out, len);

	if (!f)
		abort();
	if (egw_json_write(f, v) != 0)
		abort();
	fclose(f);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct egw_json_doc *doc = NULL, *again = NULL;
	struct egw_json_error err;
	char *text = malloc(size ? size : 1), *out1, *out2;
	size_t len1, len2;
	int rc;

	if (!text)
		return 0;
	memcpy(text, data, size);
	rc = egw_json_parse(text, size, &doc, &err);
	if (rc != 0) {
		if (doc || err.offset > size || !err.msg[0] || !memchr(err.msg, 0, sizeof(err.msg)))
			abort();
		free(text);
		return 0;
	}
	check_tree(egw_json_root(doc), 0, 0);
	out1 = write_tree(egw_json_root(doc), &len1);
	if (egw_json_parse(out1, len1, &again, &err) != 0)
		abort();
	out2 = write_tree(egw_json_root(again), &len2);
	if (len1 != len2 || memcmp(out1, out2, len1) != 0)
		abort();
	free(out1);
	free(out2);
	egw_json_free(again);
	egw_json_free(doc);
	free(text);
	return 0;
}
