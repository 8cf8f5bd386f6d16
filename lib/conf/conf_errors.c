/* SPDX-License-Identifier: BSD-3-Clause */
/* The error list: "FILE:LINE: message" entries collected during a load, sorted and printed. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_internal.h"

static int errors_vadd(struct egw_conf_errors *errs, const char *file, int line, const char *fmt,
	va_list ap)
{
	struct egw_conf_error *e;

	if (errs->n == errs->cap) {
		unsigned cap = errs->cap ? errs->cap * 2 : 16;
		struct egw_conf_error *items = realloc(errs->items, (size_t)cap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		errs->items = items;
		errs->cap = cap;
	}
	e = &errs->items[errs->n++];
	conf_copy(e->file, sizeof(e->file), file ? file : "");
	e->line = line < 0 ? 0 : line;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return 0;
}

int egw_conf_errors_add(struct egw_conf_errors *errs, const char *file, int line, const char *fmt,
	...)
{
	va_list ap;
	int ret;

	if (!errs || !fmt)
		return -EINVAL;
	va_start(ap, fmt);
	ret = errors_vadd(errs, file, line, fmt, ap);
	va_end(ap);
	return ret;
}

static void ctx_vadd(struct conf_ctx *ctx, int line, const char *prefix, const char *fmt,
	va_list ap)
{
	char msg[sizeof(ctx->errs->items[0].msg)];

	if (ctx->stop)
		return;
	if (ctx->errs->n - ctx->errs_start >= CONF_MAX_ERRORS) {
		if (egw_conf_errors_add(ctx->errs, ctx->file, 0,
			    "too many errors (more than %u); stopped reading", CONF_MAX_ERRORS) < 0)
			ctx->nomem = true;
		ctx->stop = true;
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (egw_conf_errors_add(ctx->errs, ctx->file, line, "%s%s", prefix, msg) < 0) {
		/* Without room for the message the load must still fail: remember why. */
		ctx->nomem = true;
		ctx->stop = true;
	}
}

void conf_err(struct conf_ctx *ctx, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctx_vadd(ctx, line, "", fmt, ap);
	va_end(ap);
}

void conf_err_key(struct conf_ctx *ctx, int line, const char *key, const char *fmt, ...)
{
	char prefix[96];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "%s %s: ", ctx->label, key);
	va_start(ap, fmt);
	ctx_vadd(ctx, line, prefix, fmt, ap);
	va_end(ap);
}

void conf_err_value(struct conf_ctx *ctx, const struct conf_key *key, const char *value,
	const char *fmt, ...)
{
	char prefix[96 + CONF_QUOTE_MAX], q[CONF_QUOTE_MAX];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "%s %s: '%s' ", ctx->label, key->name,
		conf_quote(q, value, SIZE_MAX));
	va_start(ap, fmt);
	ctx_vadd(ctx, ctx->lineno, prefix, fmt, ap);
	va_end(ap);
}

const char *conf_quote(char buf[CONF_QUOTE_MAX], const char *s, size_t len)
{
	const size_t keep = CONF_QUOTE_MAX - 8;
	size_t i;

	/* Values end up on a terminal: control bytes from a broken file must not reach it. */
	for (i = 0; i < len && s[i] && i < keep; i++)
		buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	if (i == keep && i < len && s[i])
		memcpy(buf + i, "...", 4);
	else
		buf[i] = '\0';
	return buf;
}

static int error_cmp(const void *a, const void *b)
{
	const struct egw_conf_error *x = *(const struct egw_conf_error *const *)a;
	const struct egw_conf_error *y = *(const struct egw_conf_error *const *)b;
	int c = strcmp(x->file, y->file);

	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	/* Same line: keep the order they were found in (qsort is not stable). */
	return x < y ? -1 : x > y;
}

static const struct egw_conf_error **errors_sorted(const struct egw_conf_errors *errs,
	unsigned from)
{
	const struct egw_conf_error **v = malloc((size_t)(errs->n - from) * sizeof(*v));

	if (!v)
		return NULL;
	for (unsigned i = from; i < errs->n; i++)
		v[i - from] = &errs->items[i];
	qsort(v, errs->n - from, sizeof(*v), error_cmp);
	return v;
}

void conf_errors_sort(struct egw_conf_errors *errs, unsigned from)
{
	const struct egw_conf_error **v;
	struct egw_conf_error *tmp;
	unsigned n = errs->n - from;

	if (n < 2)
		return;
	v = errors_sorted(errs, from);
	tmp = malloc((size_t)n * sizeof(*tmp));
	/* Sorting is a convenience for callers that read items directly; printing sorts again. */
	if (v && tmp) {
		for (unsigned i = 0; i < n; i++)
			tmp[i] = *v[i];
		memcpy(&errs->items[from], tmp, (size_t)n * sizeof(*tmp));
	}
	free(tmp);
	tmp = NULL;
	free(v);
	v = NULL;
}

static void error_print(const struct egw_conf_error *e, FILE *out)
{
	if (e->line > 0)
		fprintf(out, "%s:%d: %s\n", e->file, e->line, e->msg);
	else
		fprintf(out, "%s: %s\n", e->file, e->msg);
}

void egw_conf_errors_print(const struct egw_conf_errors *errs, FILE *out)
{
	const struct egw_conf_error **v;

	if (!errs || !out || errs->n == 0)
		return;
	v = errors_sorted(errs, 0);
	for (unsigned i = 0; i < errs->n; i++)
		error_print(v ? v[i] : &errs->items[i], out);
	free(v);
	v = NULL;
}

void egw_conf_errors_free(struct egw_conf_errors *errs)
{
	if (!errs)
		return;
	free(errs->items);
	errs->items = NULL;
	errs->n = 0;
	errs->cap = 0;
}
