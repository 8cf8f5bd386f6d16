/* SPDX-License-Identifier: BSD-3-Clause */
/* egwctl's JSON parser (tools/egwctl/json.c): what it accepts, and that it refuses the rest. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egw_test.h"
#include "json.h"

static struct egw_json_doc *parse_ok(const char *text)
{
	struct egw_json_doc *doc = NULL;
	struct egw_json_error err;
	int rc = egw_json_parse(text, strlen(text), &doc, &err);

	if (rc != 0)
		fprintf(stderr, "\n  unexpected error for %s: %zu: %s\n", text, err.offset,
			err.msg);
	CU_ASSERT_EQUAL(rc, 0);
	return doc;
}

/* Expects TEXT[0..LEN) refused at OFFSET (SIZE_MAX: anywhere) with a message containing MSG. */
static void parse_bad_n(const char *text, size_t len, size_t offset, const char *msg)
{
	struct egw_json_doc *doc = (struct egw_json_doc *)1;
	struct egw_json_error err;
	int rc = egw_json_parse(text, len, &doc, &err);

	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_PTR_NULL(doc);
	if (offset != SIZE_MAX)
		CU_ASSERT_EQUAL(err.offset, offset);
	CU_ASSERT(err.offset <= len);
	if (msg && !strstr(err.msg, msg)) {
		fprintf(stderr, "\n  %.*s: got \"%s\", wanted \"%s\"\n", (int)len, text, err.msg,
			msg);
		CU_FAIL("error message");
	}
	if (rc == 0)
		egw_json_free(doc);
}

static void parse_bad(const char *text, size_t offset, const char *msg)
{
	parse_bad_n(text, strlen(text), offset, msg);
}

/* TEXT parsed and written back gives WANT. */
static void round_trip(const char *text, const char *want)
{
	struct egw_json_doc *doc = parse_ok(text);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	CU_ASSERT_FATAL(f != NULL);
	if (doc)
		CU_ASSERT_EQUAL(egw_json_write(f, egw_json_root(doc)), 0);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(out, want);
	free(out);
	egw_json_free(doc);
}

static void test_scalars(void)
{
	static const struct {
		const char *text;
		enum egw_json_type type;
		const char *shown;
	} cases[] = { { "null", EGW_JSON_NULL, "null" }, { "true", EGW_JSON_TRUE, "true" },
		{ "false", EGW_JSON_FALSE, "false" }, { "0", EGW_JSON_NUMBER, "0" },
		{ "-12", EGW_JSON_NUMBER, "-12" }, { "1.5e-3", EGW_JSON_NUMBER, "1.5e-3" },
		{ "\"\"", EGW_JSON_STRING, "" }, { " \t\r\n\"x\" \n", EGW_JSON_STRING, "x" } };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct egw_json_doc *doc = parse_ok(cases[i].text);
		const struct egw_json *v = egw_json_root(doc);

		CU_ASSERT_FATAL(v != NULL);
		CU_ASSERT_EQUAL(v->type, cases[i].type);
		CU_ASSERT_STRING_EQUAL(egw_json_text(v), cases[i].shown);
		CU_ASSERT_PTR_NULL(v->key);
		egw_json_free(doc);
	}
}

static void test_objects_arrays(void)
{
	struct egw_json_doc *doc = parse_ok(
		"{\"/egw/ports\": {\"ports\": {\"p1\": {\"name\": \"outside\", \"id\": 1},"
		" \"p0\": {\"name\": \"inside\", \"id\": 0}}, \"list\": [1, [], {}, [null]],"
		" \"e\": {}, \"\": 3}}");
	const struct egw_json *v, *ports, *p, *list;
	uint64_t x = 99;

	CU_ASSERT_FATAL(doc != NULL);
	v = egw_json_get(egw_json_root(doc), "/egw/ports");
	CU_ASSERT_FATAL(v != NULL);
	CU_ASSERT_EQUAL(v->type, EGW_JSON_OBJECT);
	CU_ASSERT_EQUAL(v->n_children, 4);
	ports = egw_json_get(v, "ports");
	CU_ASSERT_FATAL(ports != NULL);
	CU_ASSERT_EQUAL(ports->n_children, 2);
	/* Document order is kept. */
	CU_ASSERT_STRING_EQUAL(ports->child->key, "p1");
	CU_ASSERT_STRING_EQUAL(ports->child->next->key, "p0");
	CU_ASSERT_PTR_NULL(ports->child->next->next);
	p = egw_json_get(ports, "p0");
	CU_ASSERT_STRING_EQUAL(egw_json_string(egw_json_get(p, "name")), "inside");
	CU_ASSERT_EQUAL(egw_json_u64(egw_json_get(p, "id"), &x), 0);
	CU_ASSERT_EQUAL(x, 0);
	CU_ASSERT_PTR_NULL(egw_json_get(p, "missing"));
	CU_ASSERT_PTR_NULL(egw_json_string(egw_json_get(p, "id")));
	list = egw_json_get(v, "list");
	CU_ASSERT_EQUAL(list->type, EGW_JSON_ARRAY);
	CU_ASSERT_EQUAL(list->n_children, 4);
	CU_ASSERT_PTR_NULL(list->child->key);
	CU_ASSERT_PTR_NULL(egw_json_get(list, "x")); /* not an object */
	CU_ASSERT_EQUAL(list->child->next->type, EGW_JSON_ARRAY);
	CU_ASSERT_PTR_NULL(list->child->next->child);
	CU_ASSERT_EQUAL(list->child->next->next->next->child->type, EGW_JSON_NULL);
	CU_ASSERT_EQUAL(egw_json_get(v, "e")->n_children, 0);
	CU_ASSERT_PTR_NOT_NULL(egw_json_get(v, ""));
	CU_ASSERT_PTR_NULL(egw_json_text(v));
	CU_ASSERT_PTR_NULL(egw_json_get(NULL, "x"));
	egw_json_free(doc);
	egw_json_free(NULL);
}

static void test_numbers(void)
{
	struct egw_json_doc *doc = parse_ok("[18446744073709551615, 18446744073709551616, -1, 1.0,"
					    " 1e3, 9223372036854775807, -9223372036854775808,"
					    " -9223372036854775809, -0, 0.5E+10]");
	const struct egw_json *v;
	uint64_t u;
	int64_t i;

	CU_ASSERT_FATAL(doc != NULL);
	v = egw_json_root(doc)->child;
	CU_ASSERT_EQUAL(egw_json_u64(v, &u), 0);
	CU_ASSERT_EQUAL(u, UINT64_MAX);
	CU_ASSERT_EQUAL(egw_json_i64(v, &i), -ERANGE);
	v = v->next;
	CU_ASSERT_EQUAL(egw_json_u64(v, &u), -ERANGE);
	CU_ASSERT_STRING_EQUAL(egw_json_text(v), "18446744073709551616");
	v = v->next;
	CU_ASSERT_EQUAL(egw_json_u64(v, &u), -EINVAL);
	CU_ASSERT_EQUAL(egw_json_i64(v, &i), 0);
	CU_ASSERT_EQUAL(i, -1);
	v = v->next;
	CU_ASSERT_EQUAL(egw_json_u64(v, &u), -EINVAL); /* 1.0 is not an integer to us */
	v = v->next;
	CU_ASSERT_EQUAL(egw_json_u64(v, &u), -EINVAL);
	v = v->next;
	CU_ASSERT_EQUAL(egw_json_i64(v, &i), 0);
	CU_ASSERT_EQUAL(i, INT64_MAX);
	v = v->next;
	CU_ASSERT_EQUAL(egw_json_i64(v, &i), 0);
	CU_ASSERT_EQUAL(i, INT64_MIN);
	v = v->next;
	CU_ASSERT_EQUAL(egw_json_i64(v, &i), -ERANGE);
	v = v->next;
	CU_ASSERT_EQUAL(egw_json_i64(v, &i), 0);
	CU_ASSERT_EQUAL(i, 0);
	v = v->next;
	CU_ASSERT_STRING_EQUAL(egw_json_text(v), "0.5E+10");
	CU_ASSERT_EQUAL(egw_json_u64(egw_json_root(doc), &u), -EINVAL);
	CU_ASSERT_EQUAL(egw_json_u64(NULL, &u), -EINVAL);
	egw_json_free(doc);
}

static void test_string_escapes(void)
{
	struct egw_json_doc *doc = parse_ok("[\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\", "
					    "\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\", "
					    "\"x\\u0000y\", "
					    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]");
	const struct egw_json *v;

	CU_ASSERT_FATAL(doc != NULL);
	v = egw_json_root(doc)->child;
	CU_ASSERT_STRING_EQUAL(v->str, "a\"b\\c/d\be\ff\ng\rh\ti");
	CU_ASSERT_EQUAL(v->len, strlen(v->str));
	v = v->next;
	/* U+0041, U+00E9, U+20AC, U+1F600 (a surrogate pair) in UTF-8. */
	CU_ASSERT_STRING_EQUAL(v->str, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	v = v->next;
	CU_ASSERT_EQUAL(v->len, 3);
	CU_ASSERT_EQUAL(memcmp(v->str, "x\0y", 4), 0);
	v = v->next;
	CU_ASSERT_STRING_EQUAL(v->str, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	egw_json_free(doc);

	doc = parse_ok("{\"k\\u0065y\\n\": 1}");
	CU_ASSERT_PTR_NOT_NULL(egw_json_get(egw_json_root(doc), "key\n"));
	egw_json_free(doc);
}

static void test_write(void)
{
	round_trip(" { \"a\" : [ 1 , -2.5e3 , true , false , null ] , \"b\" : { } , \"c\" : [ ] } ",
		"{\"a\":[1,-2.5e3,true,false,null],\"b\":{},\"c\":[]}");
	round_trip("\"\\u0001\\\"\\\\\\/\\n\\t\\r\\b\\f\\u0000\xc3\xa9\"",
		"\"\\u0001\\\"\\\\/\\n\\t\\r\\u0008\\u000c\\u0000\xc3\xa9\"");
	round_trip("{\"\\n\":\"\"}", "{\"\\n\":\"\"}");
}

/* Every proper prefix of a valid document is a truncated one. */
static void test_truncated(void)
{
	static const char doc[] = "{\"a\": [1, -2.5e+3, \"x\\u00e9\\n\", true, false, null, {}],"
				  " \"b\": {\"c\": \"\xc3\xa9\"}}";
	struct egw_json_doc *d;

	for (size_t len = 0; len < sizeof(doc) - 1; len++) {
		struct egw_json_error err;
		int rc = egw_json_parse(doc, len, &d, &err);

		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_PTR_NULL(d);
		CU_ASSERT(err.offset <= len);
		CU_ASSERT(err.msg[0] != 0);
	}
	parse_bad("", 0, "end of input");
	parse_bad("   ", 3, "end of input");
	parse_bad("[1, 2", 5, "end of input");
	parse_bad("{\"a\"", 4, "end of input");
	parse_bad("\"abc", 4, "end of input in a string");
	parse_bad("\"ab\\", 4, "end of input in an escape");
	parse_bad("\"\\u12", 5, "hex digits");
	parse_bad("tru", 0, "expected a value");
	/* The parser must not look past LEN even when more text follows. */
	parse_bad_n("[1]", 2, 2, "end of input");
	parse_bad_n("\"ab\"", 3, 3, "end of input");
	parse_bad_n("nullx", 3, 0, NULL);
}

static void test_trailing(void)
{
	parse_bad("{} {}", 3, "trailing data");
	parse_bad("1 2", 2, "trailing data");
	parse_bad("nullx", 4, "trailing data");
	parse_bad("[1] ]", 4, "trailing data");
	parse_bad_n("1\0", 2, 1, "trailing data");
	parse_bad("[1,]", 3, "trailing comma");
	parse_bad("{\"a\":1,}", 7, "trailing comma");
	parse_bad("[,1]", 1, "expected a value");
	parse_bad("[1 2]", 3, "',' or ']'");
	parse_bad("{\"a\":1 \"b\":2}", 7, "',' or '}'");
	parse_bad("{\"a\" 1}", 5, "':'");
	parse_bad("{a:1}", 1, "string key");
	parse_bad("{1:1}", 1, "string key");
	parse_bad("[1}", 2, "',' or ']'");
}

static void test_bad_values(void)
{
	parse_bad("01", 1, "leading zero");
	parse_bad("-01", 2, "leading zero");
	parse_bad("-", 1, "digit");
	parse_bad("-a", 1, "digit");
	parse_bad("1.", 2, "digit after '.'");
	parse_bad("1.e5", 2, "digit after '.'");
	parse_bad("1e", 2, "exponent");
	parse_bad("1e+", 3, "exponent");
	parse_bad("+1", 0, "a value");
	parse_bad(".5", 0, "a value");
	parse_bad("True", 0, "a value");
	parse_bad("nul", 0, "a value");
	parse_bad("'a'", 0, "a value");
	parse_bad("\xef\xbb\xbf{}", 0, "byte 0xef"); /* no byte order mark */
	parse_bad("NaN", 0, NULL);
	parse_bad("Infinity", 0, NULL);
}

static void test_bad_strings(void)
{
	parse_bad("\"a\\x\"", 2, "invalid escape \\x");
	parse_bad("\"\\U0041\"", 1, "invalid escape \\U");
	parse_bad("\"\\'\"", 1, "invalid escape");
	parse_bad_n("\"\\\0\"", 4, 1, "invalid escape");
	parse_bad("\"\\u12g4\"", 5, "hex digits");
	parse_bad("\"\\udc00\"", 1, "lone low surrogate");
	parse_bad("\"\\ud800\"", 1, "without its low half");
	parse_bad("\"\\ud800x\"", 1, "without its low half");
	parse_bad("\"\\ud800\\u0041\"", 1, "followed by");
	parse_bad("\"\\ud800\\ud800\"", 1, "followed by");
	parse_bad("\"a\tb\"", 2, "control character 0x09");
	parse_bad("\"a\nb\"", 2, "control character");
	parse_bad_n("\"a\0b\"", 5, 2, "control character 0x00");
	/* Overlong, surrogate, above U+10FFFF, stray continuation, cut sequence. */
	parse_bad("\"\xc0\x80\"", 1, "UTF-8");
	parse_bad("\"\xe0\x80\x80\"", 1, "UTF-8");
	parse_bad("\"\xed\xa0\x80\"", 1, "UTF-8");
	parse_bad("\"\xf4\x90\x80\x80\"", 1, "UTF-8");
	parse_bad("\"\xf5\x80\x80\x80\"", 1, "UTF-8");
	parse_bad("\"\x80\"", 1, "UTF-8");
	parse_bad("\"\xe2\x82\"", 1, "UTF-8");
	parse_bad_n("\"\xe2\x82\xac\"", 3, 1, "UTF-8");
	parse_bad("{\"a\\q\": 1}", 3, "invalid escape");
}

static void nested(char *buf, unsigned depth, const char *open, const char *close)
{
	size_t no = strlen(open), nc = strlen(close), n = 0;

	for (unsigned i = 0; i < depth; i++, n += no)
		memcpy(buf + n, open, no);
	for (unsigned i = 0; i < depth; i++, n += nc)
		memcpy(buf + n, close, nc);
	buf[n] = 0;
}

static void test_depth(void)
{
	char buf[16 * (EGW_JSON_MAX_DEPTH + 2)];
	struct egw_json_doc *doc;

	nested(buf, EGW_JSON_MAX_DEPTH, "[", "]");
	doc = parse_ok(buf);
	egw_json_free(doc);
	nested(buf, EGW_JSON_MAX_DEPTH, "{\"a\":", "}");
	buf[strlen(buf) - EGW_JSON_MAX_DEPTH] = 0; /* the innermost "a" needs a value */
	strcat(buf, "1");
	for (unsigned i = 0; i < EGW_JSON_MAX_DEPTH; i++)
		strcat(buf, "}");
	doc = parse_ok(buf);
	egw_json_free(doc);

	nested(buf, EGW_JSON_MAX_DEPTH + 1, "[", "]");
	parse_bad(buf, EGW_JSON_MAX_DEPTH, "nested deeper than");
	nested(buf, EGW_JSON_MAX_DEPTH + 1, "{\"a\":[", "]}");
	parse_bad(buf, SIZE_MAX, "nested deeper than");
	/* Deep but unterminated: refused for depth before the missing end is seen. */
	memset(buf, '[', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = 0;
	parse_bad(buf, EGW_JSON_MAX_DEPTH, "nested deeper than");
}

/* A document bigger than the parser's first allocations, to cross its growth paths. */
static void test_large(void)
{
	size_t n = 20000, len = 0;
	char *text = malloc(n * 32 + 16);
	struct egw_json_doc *doc;
	const struct egw_json *v;
	unsigned count = 0;

	CU_ASSERT_FATAL(text != NULL);
	len += (size_t)sprintf(text, "{");
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "%s\"f%zu\":[%zu,\"s%zu\"]", i ? "," : "", i, i,
			i);
	len += (size_t)sprintf(text + len, "}");
	CU_ASSERT_EQUAL(egw_json_parse(text, len, &doc, NULL), 0);
	v = egw_json_root(doc);
	CU_ASSERT_FATAL(v != NULL);
	CU_ASSERT_EQUAL(v->n_children, n);
	for (const struct egw_json *m = v->child; m; m = m->next)
		count++;
	CU_ASSERT_EQUAL(count, n);
	CU_ASSERT_STRING_EQUAL(egw_json_string(egw_json_get(v, "f19999")->child->next),
		"s19999");
	egw_json_free(doc);
	free(text);
}

void egw_test_register_egwctl_json(void)
{
	EGW_SUITE("egwctl_json", NULL, NULL, EGW_TEST(test_scalars), EGW_TEST(test_objects_arrays),
		EGW_TEST(test_numbers), EGW_TEST(test_string_escapes), EGW_TEST(test_write),
		EGW_TEST(test_truncated), EGW_TEST(test_trailing), EGW_TEST(test_bad_values),
		EGW_TEST(test_bad_strings), EGW_TEST(test_depth), EGW_TEST(test_large));
}
