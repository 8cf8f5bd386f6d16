/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

#define GAP 2 /* spaces between columns */

struct egw_table {
	unsigned n_cols, n_rows, cap_rows;
	unsigned col; /* next cell of the current row */
	char *align;
	char **cells; /* row-major, row 0 = headers; NULL = empty */
	int failed;
};

/* A new table is usable even when NULL: every call below accepts it and print reports it. */
struct egw_table *egw_table_new(const char *align, ...)
{
	struct egw_table *t = calloc(1, sizeof(*t));
	va_list ap;

	if (!t)
		return NULL;
	t->n_cols = (unsigned)strlen(align);
	t->align = strdup(align);
	if (!t->align) {
		free(t);
		t = NULL;
		return NULL;
	}
	egw_table_row(t);
	va_start(ap, align);
	for (unsigned i = 0; i < t->n_cols; i++)
		egw_table_cell(t, va_arg(ap, const char *));
	va_end(ap);
	return t;
}

void egw_table_row(struct egw_table *t)
{
	if (!t || t->failed)
		return;
	if (t->n_rows == t->cap_rows) {
		unsigned cap = t->cap_rows ? t->cap_rows * 2 : 16;
		char **c = cap > t->cap_rows ? reallocarray(t->cells, (size_t)cap * t->n_cols,
			sizeof(*c)) : NULL;

		if (!c) {
			t->failed = 1;
			return;
		}
		memset(c + (size_t)t->cap_rows * t->n_cols, 0,
			(size_t)(cap - t->cap_rows) * t->n_cols * sizeof(*c));
		t->cells = c;
		t->cap_rows = cap;
	}
	t->n_rows++;
	t->col = 0;
}

/* Control bytes would move the cursor and break the alignment, or worse, reach the terminal. */
static char *sanitized(const char *text)
{
	char *s = strdup(text ? text : "");

	for (char *p = s; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

void egw_table_cell(struct egw_table *t, const char *text)
{
	char **slot;

	if (!t || t->failed || t->n_rows == 0)
		return;
	if (t->col >= t->n_cols) {
		t->failed = 1; /* more cells than columns: a caller's bug, not the data's */
		return;
	}
	slot = &t->cells[(size_t)(t->n_rows - 1) * t->n_cols + t->col];
	*slot = sanitized(text);
	if (!*slot)
		t->failed = 1;
	t->col++;
}

void egw_table_cellf(struct egw_table *t, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		if (t)
			t->failed = 1;
		return;
	}
	egw_table_cell(t, s);
	free(s);
	s = NULL;
}

unsigned egw_table_rows(const struct egw_table *t)
{
	return t && t->n_rows ? t->n_rows - 1 : 0;
}

/* Terminal columns: UTF-8 continuation bytes take none (wide characters are not expected
 * in names from a config file). */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; s && *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

int egw_table_print(const struct egw_table *t, FILE *out)
{
	size_t *w;

	if (!t || t->failed)
		return -ENOMEM;
	w = calloc(t->n_cols, sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (unsigned r = 0; r < t->n_rows; r++)
		for (unsigned c = 0; c < t->n_cols; c++) {
			size_t cw = width(t->cells[(size_t)r * t->n_cols + c]);
			if (cw > w[c])
				w[c] = cw;
		}
	for (unsigned r = 0; r < t->n_rows; r++) {
		/* Spaces owed before the next text: a trailing left-aligned cell owes nothing. */
		size_t pad = 0;

		for (unsigned c = 0; c < t->n_cols; c++) {
			const char *s = t->cells[(size_t)r * t->n_cols + c];
			size_t cw = width(s);

			if (c > 0)
				pad += GAP;
			if (t->align[c] == 'r')
				pad += w[c] - cw;
			if (s && *s) {
				fprintf(out, "%*s%s", (int)pad, "", s);
				pad = 0;
			}
			if (t->align[c] != 'r')
				pad += w[c] - cw;
		}
		putc('\n', out);
	}
	free(w);
	w = NULL;
	return ferror(out) ? -EIO : 0;
}

void egw_table_free(struct egw_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < (size_t)t->n_rows * t->n_cols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->align);
	free(t);
}
