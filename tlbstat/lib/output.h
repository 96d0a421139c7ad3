/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The output formatters every command prints through: a JSON writer, and a table writer that
 * renders the same rows either as an aligned stdio table or as CSV. Commands describe their
 * rows (columns with titles, widths, alignment, units; cells in order); the formatter decides
 * how they look. Nothing here flushes or checks write errors: the dispatcher does, once.
 */
#ifndef TLBSTAT_OUTPUT_H
#define TLBSTAT_OUTPUT_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json_writer {
	FILE *f;
	int depth;
	bool pretty;
	bool first[JSON_MAX_DEPTH];
};

void json_init(struct json_writer *w, FILE *f, bool pretty);
/* key is NULL inside arrays and at top level. */
void json_object_begin(struct json_writer *w, const char *key);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w, const char *key);
void json_array_end(struct json_writer *w);
void json_int(struct json_writer *w, const char *key, int64_t v);
void json_uint(struct json_writer *w, const char *key, uint64_t v);
void json_double(struct json_writer *w, const char *key, double v);  /* NaN/inf -> null */
void json_string(struct json_writer *w, const char *key, const char *v); /* NULL -> null */
void json_bool(struct json_writer *w, const char *key, bool v);
void json_null(struct json_writer *w, const char *key);
/*
 * Ends the document with a newline. It does not flush: a streaming command (stat -I) flushes
 * after each line itself, and the dispatcher's final fflush keeps the errno of a write error.
 */
void json_finish(struct json_writer *w);

/* CSV: quote a field when it needs it (RFC 4180). */
void csv_field(FILE *f, const char *s);

enum out_format {
	OUT_TABLE,	/* aligned columns for people */
	OUT_CSV,	/* RFC 4180, header of titles, no padding or units */
};

enum out_align { OUT_RIGHT, OUT_LEFT };

struct out_col {
	const char *title;	/* header text; the CSV header's name too */
	int width;		/* minimum width in the table (like printf's); 0: as wide as the cell */
	enum out_align align;
	const char *unit;	/* appended to numbers in the table ("/s", "%"); never in CSV */
};

struct out_table {
	FILE *f;
	enum out_format fmt;
	const struct out_col *cols;
	int nr_cols;
	const char *indent;	/* table: before each line */
	int col;		/* the next cell's column in the current row */
};

/* cols must outlive the table; indent may be NULL. */
void out_table_init(struct out_table *t, FILE *f, enum out_format fmt, const char *indent,
		    const struct out_col *cols, int nr_cols);
/* The titles: one line, aligned like the cells (table) or comma-separated (CSV). */
void out_table_header(struct out_table *t);
/* The next cell of the row, as text (NULL: an empty cell). */
void out_cell(struct out_table *t, const char *s);
void out_cellf(struct out_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void out_cell_u64(struct out_table *t, uint64_t v);
void out_cell_int(struct out_table *t, long long v);
/* A number with prec decimals, then the column's unit in the table; NaN: "-" (table), "" (CSV). */
void out_cell_double(struct out_table *t, double v, int prec);
/* Ends the row: a newline, nothing after the last cell (no trailing padding of a last column
 * that was not given; a row may have fewer cells than columns). */
void out_row_end(struct out_table *t);
#endif
