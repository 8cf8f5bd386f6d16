/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tables, printed by libsmartcols (what lsblk and findmnt use): aligned columns, control
 * bytes escaped, and the same output choices as those tools (--raw, --noheadings, -o). A
 * failed allocation is remembered and reported by egw_table_print(), so callers fill a table
 * without checking every cell.
 */
#ifndef EGW_TABLE_H
#define EGW_TABLE_H

#include <stdbool.h>
#include <stdio.h>

/* How every table of this run is printed (egwctl's command line). */
struct egw_table_style {
	bool raw;	     /* one blank between cells, blanks and control bytes escaped */
	bool noheadings;     /* no header line */
	const char *columns; /* comma-separated headers to print, in that order; NULL: all */
};
void egw_table_set_style(const struct egw_table_style *style);

struct egw_table;

/* ALIGN has one letter per column: 'l' left, 'r' right; N_COLS headers follow. */
struct egw_table *egw_table_new(const char *align, ...);
/* Starts a row; the cells that follow fill it from the left, missing ones stay empty. */
void egw_table_row(struct egw_table *t);
void egw_table_cell(struct egw_table *t, const char *text);
void egw_table_cellf(struct egw_table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
unsigned egw_table_rows(const struct egw_table *t);
/*
 * Returns 0, -ENOMEM when a cell could not be stored (nothing is printed then), or -EINVAL
 * when the style names a column the table does not have (said on stderr with the ones it has).
 */
int egw_table_print(const struct egw_table *t, FILE *out);
void egw_table_free(struct egw_table *t);

#endif
