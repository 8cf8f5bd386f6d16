/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Recursive descent over RFC 8259. Nodes and decoded strings grow in two arrays addressed by
 * index while parsing (realloc moves them); the public tree with pointers is built once at the
 * end, when nothing moves any more.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define NONE UINT32_MAX	/* no node */
#define NO_TEXT SIZE_MAX /* no offset into the pool */

struct jnode {
	enum egw_json_type type;
	size_t key_off, key_len; /* key_off NO_TEXT: no key */
	size_t str_off, len;	 /* str_off NO_TEXT: no text */
	uint32_t child, last, next;
	size_t n_children;
};

struct egw_json_doc {
	struct egw_json *nodes;
	char *pool;
};

struct parser {
	const char *text;
	size_t len, pos;
	struct jnode *nodes;
	uint32_t n, cap;
	char *pool;
	size_t pool_len, pool_cap;
	struct egw_json_error *err;
	int rc; /* first failure: -EINVAL or -ENOMEM */
};

static uint32_t parse_value(struct parser *ps, unsigned depth);

static void __attribute__((format(printf, 3, 4)))
fail(struct parser *ps, int rc, const char *fmt, ...)
{
	va_list ap;

	if (ps->rc)
		return;
	ps->rc = rc;
	ps->err->offset = ps->pos;
	va_start(ap, fmt);
	vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
	va_end(ap);
}

static int peek(const struct parser *ps)
{
	return ps->pos < ps->len ? (unsigned char)ps->text[ps->pos] : -1;
}

static void skip_ws(struct parser *ps)
{
	while (ps->pos < ps->len) {
		char c = ps->text[ps->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		ps->pos++;
	}
}

/* "unexpected end of input" tells a truncated reply apart from a wrong byte. */
static void fail_at(struct parser *ps, const char *expected)
{
	int c = peek(ps);

	if (c < 0)
		fail(ps, -EINVAL, "unexpected end of input, expected %s", expected);
	else if (c >= 0x20 && c < 0x7f)
		fail(ps, -EINVAL, "expected %s, found '%c'", expected, c);
	else
		fail(ps, -EINVAL, "expected %s, found byte 0x%02x", expected, c);
}

static int pool_put(struct parser *ps, const void *data, size_t n)
{
	if (ps->pool_cap - ps->pool_len < n) {
		size_t cap = ps->pool_cap ? ps->pool_cap : 256;
		char *p;

		while (cap - ps->pool_len < n) {
			if (cap > SIZE_MAX / 2) {
				fail(ps, -ENOMEM, "out of memory");
				return -1;
			}
			cap *= 2;
		}
		p = realloc(ps->pool, cap);
		if (!p) {
			fail(ps, -ENOMEM, "out of memory");
			return -1;
		}
		ps->pool = p;
		ps->pool_cap = cap;
	}
	memcpy(ps->pool + ps->pool_len, data, n);
	ps->pool_len += n;
	return 0;
}

static uint32_t node_new(struct parser *ps, enum egw_json_type type)
{
	struct jnode *n;

	if (ps->n == ps->cap) {
		uint32_t cap = ps->cap ? ps->cap * 2 : 64;
		struct jnode *p;

		if (ps->cap >= NONE / 2) {
			fail(ps, -ENOMEM, "too many values");
			return NONE;
		}
		p = realloc(ps->nodes, (size_t)cap * sizeof(*p));
		if (!p) {
			fail(ps, -ENOMEM, "out of memory");
			return NONE;
		}
		ps->nodes = p;
		ps->cap = cap;
	}
	n = &ps->nodes[ps->n];
	*n = (struct jnode){ .type = type, .key_off = NO_TEXT, .str_off = NO_TEXT, .child = NONE,
		.last = NONE, .next = NONE };
	return ps->n++;
}

static void add_child(struct parser *ps, uint32_t parent, uint32_t child)
{
	struct jnode *p = &ps->nodes[parent];

	if (p->last == NONE)
		p->child = child;
	else
		ps->nodes[p->last].next = child;
	p->last = child;
	p->n_children++;
}

static int hex4(struct parser *ps, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		int c = peek(ps);

		if (c >= '0' && c <= '9')
			v = v * 16 + (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (uint32_t)(c - 'A' + 10);
		else {
			fail_at(ps, "4 hex digits after \\u");
			return -1;
		}
		ps->pos++;
	}
	*out = v;
	return 0;
}

static int put_utf8(struct parser *ps, uint32_t cp)
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return pool_put(ps, b, n);
}

/* \uXXXX, with a UTF-16 surrogate pair as one code point; a lone surrogate is no character
 * (RFC 8259 section 8.2) and is refused. */
static int unicode_escape(struct parser *ps)
{
	size_t start = ps->pos - 2;
	uint32_t cp, lo;

	if (hex4(ps, &cp) < 0)
		return -1;
	if (cp >= 0xdc00 && cp <= 0xdfff) {
		ps->pos = start;
		fail(ps, -EINVAL, "lone low surrogate \\u%04x", cp);
		return -1;
	}
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (ps->len - ps->pos < 2 || ps->text[ps->pos] != '\\' ||
			ps->text[ps->pos + 1] != 'u') {
			ps->pos = start;
			fail(ps, -EINVAL, "high surrogate \\u%04x without its low half", cp);
			return -1;
		}
		ps->pos += 2;
		if (hex4(ps, &lo) < 0)
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff) {
			ps->pos = start;
			fail(ps, -EINVAL, "high surrogate \\u%04x followed by \\u%04x", cp, lo);
			return -1;
		}
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	return put_utf8(ps, cp);
}

/* Length of the well-formed UTF-8 sequence at S (Unicode table 3-7: no overlong forms, no
 * surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* Decodes the string at the opening quote into the pool, NUL-terminated; *OFF, *LEN. */
static int parse_string(struct parser *ps, size_t *off, size_t *len)
{
	static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";

	*off = ps->pool_len;
	ps->pos++;
	for (;;) {
		const unsigned char *s = (const unsigned char *)ps->text + ps->pos;
		size_t avail = ps->len - ps->pos, run = 0;
		const char *e;

		/* Plain ASCII is copied in runs: most of a reply is. */
		while (run < avail && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' &&
			s[run] != '\\')
			run++;
		if (run && pool_put(ps, s, run) < 0)
			return -1;
		ps->pos += run;
		s += run;
		avail -= run;
		if (avail == 0) {
			fail(ps, -EINVAL, "unexpected end of input in a string");
			return -1;
		}
		if (s[0] == '"') {
			ps->pos++;
			break;
		}
		if (s[0] < 0x20) {
			fail(ps, -EINVAL, "control character 0x%02x in a string", s[0]);
			return -1;
		}
		if (s[0] >= 0x80) {
			size_t n = utf8_len(s, avail);

			if (n == 0) {
				fail(ps, -EINVAL, "invalid UTF-8 in a string");
				return -1;
			}
			if (pool_put(ps, s, n) < 0)
				return -1;
			ps->pos += n;
			continue;
		}
		/* A backslash. */
		if (avail < 2) {
			ps->pos++;
			fail(ps, -EINVAL, "unexpected end of input in an escape");
			return -1;
		}
		ps->pos += 2;
		if (s[1] == 'u') {
			if (unicode_escape(ps) < 0)
				return -1;
			continue;
		}
		e = s[1] ? strchr(esc_in, s[1]) : NULL;
		if (!e) {
			ps->pos -= 2;
			if (s[1] >= 0x20 && s[1] < 0x7f)
				fail(ps, -EINVAL, "invalid escape \\%c", s[1]);
			else
				fail(ps, -EINVAL, "invalid escape: backslash before byte 0x%02x",
					s[1]);
			return -1;
		}
		if (pool_put(ps, &esc_out[e - esc_in], 1) < 0)
			return -1;
	}
	*len = ps->pool_len - *off;
	return pool_put(ps, "", 1);
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int parse_number(struct parser *ps, uint32_t node)
{
	size_t start = ps->pos;

	if (peek(ps) == '-')
		ps->pos++;
	if (peek(ps) == '0') {
		ps->pos++;
		if (is_digit(peek(ps))) {
			fail(ps, -EINVAL, "leading zero in a number");
			return -1;
		}
	} else if (is_digit(peek(ps))) {
		while (is_digit(peek(ps)))
			ps->pos++;
	} else {
		fail_at(ps, "a digit");
		return -1;
	}
	if (peek(ps) == '.') {
		ps->pos++;
		if (!is_digit(peek(ps))) {
			fail_at(ps, "a digit after '.'");
			return -1;
		}
		while (is_digit(peek(ps)))
			ps->pos++;
	}
	if (peek(ps) == 'e' || peek(ps) == 'E') {
		ps->pos++;
		if (peek(ps) == '+' || peek(ps) == '-')
			ps->pos++;
		if (!is_digit(peek(ps))) {
			fail_at(ps, "a digit in the exponent");
			return -1;
		}
		while (is_digit(peek(ps)))
			ps->pos++;
	}
	ps->nodes[node].str_off = ps->pool_len;
	ps->nodes[node].len = ps->pos - start;
	if (pool_put(ps, ps->text + start, ps->pos - start) < 0)
		return -1;
	return pool_put(ps, "", 1);
}

static int parse_literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if (ps->len - ps->pos < n || memcmp(ps->text + ps->pos, word, n) != 0) {
		fail_at(ps, "a value");
		return -1;
	}
	ps->pos += n;
	return 0;
}

/* Members of the array or object at '[' or '{'. */
static int parse_container(struct parser *ps, uint32_t node, unsigned depth)
{
	bool object = ps->nodes[node].type == EGW_JSON_OBJECT;
	char close = object ? '}' : ']';

	if (depth >= EGW_JSON_MAX_DEPTH) {
		fail(ps, -EINVAL, "nested deeper than %d", EGW_JSON_MAX_DEPTH);
		return -1;
	}
	ps->pos++;
	skip_ws(ps);
	if (peek(ps) == close) {
		ps->pos++;
		return 0;
	}
	for (;;) {
		size_t key_off = NO_TEXT, key_len = 0;
		uint32_t child;

		if (object) {
			if (peek(ps) != '"') {
				fail_at(ps, "a string key");
				return -1;
			}
			if (parse_string(ps, &key_off, &key_len) < 0)
				return -1;
			skip_ws(ps);
			if (peek(ps) != ':') {
				fail_at(ps, "':'");
				return -1;
			}
			ps->pos++;
			skip_ws(ps);
		}
		child = parse_value(ps, depth + 1);
		if (child == NONE)
			return -1;
		ps->nodes[child].key_off = key_off;
		ps->nodes[child].key_len = key_len;
		add_child(ps, node, child);
		skip_ws(ps);
		if (peek(ps) == close) {
			ps->pos++;
			return 0;
		}
		if (peek(ps) != ',') {
			fail_at(ps, object ? "',' or '}'" : "',' or ']'");
			return -1;
		}
		ps->pos++;
		skip_ws(ps);
		if (peek(ps) == close) {
			fail(ps, -EINVAL, "trailing comma");
			return -1;
		}
	}
}

/* DEPTH counts the containers around this value. */
static uint32_t parse_value(struct parser *ps, unsigned depth)
{
	int c = peek(ps);
	uint32_t node;
	int rc;

	switch (c) {
	case '{':
	case '[':
		node = node_new(ps, c == '{' ? EGW_JSON_OBJECT : EGW_JSON_ARRAY);
		rc = node == NONE ? -1 : parse_container(ps, node, depth);
		break;
	case '"':
		node = node_new(ps, EGW_JSON_STRING);
		rc = node == NONE ? -1 :
			parse_string(ps, &ps->nodes[node].str_off, &ps->nodes[node].len);
		break;
	case 't':
	case 'f':
	case 'n':
		node = node_new(ps, c == 't' ? EGW_JSON_TRUE : c == 'f' ? EGW_JSON_FALSE :
			EGW_JSON_NULL);
		rc = node == NONE ? -1 :
			parse_literal(ps, c == 't' ? "true" : c == 'f' ? "false" : "null");
		break;
	default:
		if (c != '-' && !is_digit(c)) {
			fail_at(ps, "a value");
			return NONE;
		}
		node = node_new(ps, EGW_JSON_NUMBER);
		rc = node == NONE ? -1 : parse_number(ps, node);
		break;
	}
	return rc < 0 ? NONE : node;
}

/* The public tree: pointers into one node array and the finished pool. */
static struct egw_json_doc *build(const struct parser *ps)
{
	struct egw_json_doc *doc = calloc(1, sizeof(*doc));

	if (!doc)
		return NULL;
	doc->nodes = calloc(ps->n, sizeof(*doc->nodes));
	if (!doc->nodes) {
		free(doc);
		doc = NULL;
		return NULL;
	}
	for (uint32_t i = 0; i < ps->n; i++) {
		const struct jnode *j = &ps->nodes[i];
		struct egw_json *v = &doc->nodes[i];

		v->type = j->type;
		v->key = j->key_off == NO_TEXT ? NULL : ps->pool + j->key_off;
		v->key_len = j->key_len;
		v->str = j->str_off == NO_TEXT ? NULL : ps->pool + j->str_off;
		v->len = j->len;
		v->child = j->child == NONE ? NULL : &doc->nodes[j->child];
		v->next = j->next == NONE ? NULL : &doc->nodes[j->next];
		v->n_children = j->n_children;
	}
	doc->pool = ps->pool;
	return doc;
}

int egw_json_parse(const char *text, size_t len, struct egw_json_doc **doc,
	struct egw_json_error *err)
{
	struct egw_json_error dummy;
	struct parser ps = { .text = text, .len = len, .err = err ? err : &dummy };

	*doc = NULL;
	ps.err->offset = 0;
	ps.err->msg[0] = 0;
	skip_ws(&ps);
	if (parse_value(&ps, 0) != NONE) {
		skip_ws(&ps);
		if (ps.pos < ps.len)
			fail(&ps, -EINVAL, "trailing data after the value");
	}
	/* Strings and numbers always put something; an empty pool must still be freeable. */
	if (ps.rc == 0 && pool_put(&ps, "", 1) == 0) {
		*doc = build(&ps);
		if (!*doc)
			fail(&ps, -ENOMEM, "out of memory");
	}
	free(ps.nodes);
	ps.nodes = NULL;
	if (ps.rc != 0) {
		free(ps.pool);
		ps.pool = NULL;
	}
	return ps.rc;
}

void egw_json_free(struct egw_json_doc *doc)
{
	if (!doc)
		return;
	free(doc->nodes);
	doc->nodes = NULL;
	free(doc->pool);
	doc->pool = NULL;
	free(doc);
}

const struct egw_json *egw_json_root(const struct egw_json_doc *doc)
{
	return doc ? &doc->nodes[0] : NULL;
}
