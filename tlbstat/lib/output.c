// SPDX-License-Identifier: GPL-2.0
#include "output.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

void json_init(struct json_writer *w, FILE *f, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->pretty = pretty;
	w->first[0] = true;
}

static void indent(struct json_writer *w)
{
	if (!w->pretty)
		return;
	fputc('\n', w->f);
	for (int i = 0; i < w->depth; i++)
		fputs("  ", w->f);
}

static void put_escaped(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Separator, indentation and key before a value. */
static void prefix(struct json_writer *w, const char *key)
{
	if (w->depth > 0) {
		if (!w->first[w->depth])
			fputc(',', w->f);
		indent(w);
	}
	w->first[w->depth] = false;
	if (key) {
		put_escaped(w->f, key);
		fputs(w->pretty ? ": " : ":", w->f);
	}
}

static void open_(struct json_writer *w, const char *key, char c)
{
	prefix(w, key);
	fputc(c, w->f);
	if (w->depth + 1 < JSON_MAX_DEPTH)
		w->depth++;
	w->first[w->depth] = true;
}

static void close_(struct json_writer *w, char c)
{
	bool empty = w->first[w->depth];
	if (w->depth > 0)
		w->depth--;
	if (!empty)
		indent(w);
	fputc(c, w->f);
}

void json_object_begin(struct json_writer *w, const char *key) { open_(w, key, '{'); }
void json_object_end(struct json_writer *w) { close_(w, '}'); }
void json_array_begin(struct json_writer *w, const char *key) { open_(w, key, '['); }
void json_array_end(struct json_writer *w) { close_(w, ']'); }

void json_int(struct json_writer *w, const char *key, int64_t v)
{
	prefix(w, key);
	fprintf(w->f, "%lld", (long long)v);
}

void json_uint(struct json_writer *w, const char *key, uint64_t v)
{
	prefix(w, key);
	fprintf(w->f, "%llu", (unsigned long long)v);
}

void json_double(struct json_writer *w, const char *key, double v)
{
	prefix(w, key);
	if (!isfinite(v))
		fputs("null", w->f);
	/* the range first: a double beyond long long's does not convert (UBSan) */
	else if (fabs(v) < 1e15 && v == (double)(long long)v)
		fprintf(w->f, "%.1f", v);
	else
		fprintf(w->f, "%.10g", v);
}

void json_string(struct json_writer *w, const char *key, const char *v)
{
	prefix(w, key);
	if (v)
		put_escaped(w->f, v);
	else
		fputs("null", w->f);
}

void json_bool(struct json_writer *w, const char *key, bool v)
{
	prefix(w, key);
	fputs(v ? "true" : "false", w->f);
}

void json_null(struct json_writer *w, const char *key)
{
	prefix(w, key);
	fputs("null", w->f);
}

void json_finish(struct json_writer *w)
{
	fputc('\n', w->f);
}

void csv_field(FILE *f, const char *s)
{
	if (!s)
		return;
	if (strpbrk(s, ",\"\n\r")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
}

void out_table_init(struct out_table *t, FILE *f, enum out_format fmt, const char *indent,
		    const struct out_col *cols, int nr_cols)
{
	t->f = f;
	t->fmt = fmt;
	t->cols = cols;
	t->nr_cols = nr_cols;
	t->indent = indent ? indent : "";
	t->col = 0;
}

/* A column past the described ones is printed as it comes, right-aligned, no unit. */
static const struct out_col *col_of(const struct out_table *t, int i)
{
	static const struct out_col bare = { NULL, 0, OUT_RIGHT, NULL };

	return i < t->nr_cols ? &t->cols[i] : &bare;
}

/* The separator or the indent before a cell, then the cell. */
static void put_cell(struct out_table *t, const char *s)
{
	const struct out_col *c = col_of(t, t->col);

	if (!s)
		s = "";
	if (t->fmt == OUT_CSV) {
		if (t->col)
			fputc(',', t->f);
		csv_field(t->f, s);
	} else {
		fputs(t->col ? " " : t->indent, t->f);
		fprintf(t->f, c->align == OUT_LEFT ? "%-*s" : "%*s", c->width, s);
	}
	t->col++;
}

void out_table_header(struct out_table *t)
{
	t->col = 0;
	for (int i = 0; i < t->nr_cols; i++)
		put_cell(t, t->cols[i].title);
	out_row_end(t);
}

void out_cell(struct out_table *t, const char *s)
{
	put_cell(t, s);
}

void out_cellf(struct out_table *t, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put_cell(t, buf);
}

void out_cell_u64(struct out_table *t, uint64_t v)
{
	out_cellf(t, "%llu", (unsigned long long)v);
}

void out_cell_int(struct out_table *t, long long v)
{
	out_cellf(t, "%lld", v);
}

void out_cell_double(struct out_table *t, double v, int prec)
{
	const char *unit = col_of(t, t->col)->unit;

	if (isnan(v))
		put_cell(t, t->fmt == OUT_CSV ? "" : "-");
	else if (t->fmt == OUT_CSV || !unit)
		out_cellf(t, "%.*f", prec, v);
	else
		out_cellf(t, "%.*f%s", prec, v, unit);
}

void out_row_end(struct out_table *t)
{
	fputc('\n', t->f);
	t->col = 0;
}
