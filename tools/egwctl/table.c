/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libsmartcols.h>

#include "table.h"

#define SEPARATOR "  "	  /* between columns */
#define RAW_SEPARATOR " " /* --raw: every field kept, an empty one too */

struct egw_table {
	struct libscols_table *tb;
	struct libscols_line *line; /* the row being filled */
	unsigned n_cols, n_rows;
	unsigned col; /* next cell of the current row */
	int failed;
};

static struct egw_table_style style;

void egw_table_set_style(const struct egw_table_style *s)
{
	style = *s;
}

/* A new table is usable even when NULL: every call below accepts it and print reports it. */
struct egw_table *egw_table_new(const char *align, ...)
{
	struct egw_table *t = calloc(1, sizeof(*t));
	va_list ap;

	if (!t)
		return NULL;
	t->tb = scols_new_table();
	if (!t->tb) {
		egw_table_free(t);
		return NULL;
	}
	/* Never cut or wrap cells to the terminal's width: the numbers must stay whole. */
	scols_table_set_termforce(t->tb, SCOLS_TERMFORCE_NEVER);
	/* A row ends after its last non-empty cell: no trailing blanks. */
	scols_table_enable_minout(t->tb, 1);
	t->n_cols = (unsigned)strlen(align);
	va_start(ap, align);
	for (unsigned i = 0; i < t->n_cols; i++) {
		/* va_start above: the analyzer loses it across the libsmartcols calls. */
		const char *name =
			va_arg(ap, const char *); // NOLINT(clang-analyzer-valist.Uninitialized)

		if (!scols_table_new_column(t->tb, name, 0, align[i] == 'r' ? SCOLS_FL_RIGHT : 0))
			t->failed = 1;
	}
	va_end(ap);
	return t;
}

void egw_table_row(struct egw_table *t)
{
	if (!t || t->failed)
		return;
	t->line = scols_table_new_line(t->tb, NULL);
	if (!t->line) {
		t->failed = 1;
		return;
	}
	t->n_rows++;
	t->col = 0;
}

void egw_table_cell(struct egw_table *t, const char *text)
{
	if (!t || t->failed || !t->line)
		return;
	/* More cells than columns is a caller's bug, not the data's. libsmartcols copies the
	 * text and escapes control bytes when printing. */
	if (t->col >= t->n_cols || scols_line_set_data(t->line, t->col, text ? text : "") < 0)
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
	return t ? t->n_rows : 0;
}

/* Header names compare without case, '_' standing for a blank ("nat_src:port"). */
static bool same_name(const char *header, const char *s, size_t n)
{
	if (!header || strlen(header) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int a = header[i] == ' ' ? '_' : tolower((unsigned char)header[i]);
		int b = s[i] == ' ' ? '_' : tolower((unsigned char)s[i]);

		if (a != b)
			return false;
	}
	return true;
}

static void list_columns(const struct egw_table *t)
{
	const char *sep = "";

	fputs("egwctl: this table's columns (-o): ", stderr);
	for (unsigned c = 0; c < t->n_cols; c++) {
		const char *h = scols_column_get_name(scols_table_get_column(t->tb, c));

		if (!h || !*h)
			continue;
		fputs(sep, stderr);
		sep = ",";
		for (; *h; h++)
			fputc(*h == ' ' ? '_' : *h, stderr);
	}
	fputc('\n', stderr);
}

/* Only the columns STYLE names, in its order: the others are hidden, these moved up. */
static int select_columns(const struct egw_table *t, const char *list)
{
	struct libscols_column *prev = NULL;
	const char *p = list;

	for (unsigned c = 0; c < t->n_cols; c++)
		scols_column_set_flags(scols_table_get_column(t->tb, c),
			scols_column_get_flags(scols_table_get_column(t->tb, c)) | SCOLS_FL_HIDDEN);
	while (*p) {
		size_t n = strcspn(p, ",");
		struct libscols_column *cl = NULL;

		for (unsigned c = 0; c < t->n_cols && !cl; c++) {
			struct libscols_column *x = scols_table_get_column(t->tb, c);

			if (same_name(scols_column_get_name(x), p, n))
				cl = x;
		}
		if (!cl || n == 0) {
			fprintf(stderr, "egwctl: no column '%.*s'\n", (int)n, p);
			list_columns(t);
			return -EINVAL;
		}
		scols_column_set_flags(cl, scols_column_get_flags(cl) & ~SCOLS_FL_HIDDEN);
		scols_table_move_column(t->tb, prev, cl);
		prev = cl;
		p += n + (p[n] == ',');
	}
	return 0;
}

int egw_table_print(const struct egw_table *t, FILE *out)
{
	if (!t || t->failed)
		return -ENOMEM;
	if (style.columns && select_columns(t, style.columns) < 0)
		return -EINVAL;
	scols_table_enable_raw(t->tb, style.raw);
	if (scols_table_set_column_separator(t->tb, style.raw ? RAW_SEPARATOR : SEPARATOR) < 0)
		return -ENOMEM;
	scols_table_enable_noheadings(t->tb, style.noheadings);
	scols_table_set_stream(t->tb, out);
	if (scols_print_table(t->tb) < 0)
		return -ENOMEM;
	return ferror(out) ? -EIO : 0;
}

void egw_table_free(struct egw_table *t)
{
	if (!t)
		return;
	scols_unref_table(t->tb);
	free(t);
}
