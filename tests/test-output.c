// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the output formatters (tlbstat/lib/output.c): the table writer rendered as an
 * aligned table and as CSV from the same row description, and the JSON writer, each written
 * into a memory stream and compared byte for byte.
 */
#include "output.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct mem {
	FILE *f;
	char *buf;
	size_t len;
};

static void mem_open(struct mem *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
}

/* Closes the stream; the text stays in m->buf for the caller to free. */
static const char *mem_text(struct mem *m)
{
	fclose(m->f);
	return m->buf;
}

static const struct out_col cols[] = {
	{ "PID", 6, OUT_RIGHT, NULL },
	{ "COMM", 8, OUT_LEFT, NULL },
	{ "RATE", 9, OUT_RIGHT, "/s" },
	{ "SHARE", 6, OUT_RIGHT, "%" },
};

static void rows(struct out_table *t)
{
	out_table_header(t);
	out_cell_int(t, 42);
	out_cell(t, "a,\"b\"");
	out_cell_double(t, 12.345, 1);
	out_cell_double(t, 50, 1);
	out_row_end(t);
	out_cell_int(t, -1);
	out_cell(t, NULL);
	out_cell_double(t, NAN, 1);
	out_row_end(t);
}

static void test_table(void)
{
	struct out_table t;
	struct mem m;
	const char *s;

	mem_open(&m);
	out_table_init(&t, m.f, OUT_TABLE, "  ", cols, 4);
	rows(&t);
	s = mem_text(&m);
	is_str(s, "     PID COMM          RATE  SHARE\n"
		  "      42 a,\"b\"       12.3/s  50.0%\n"
		  "      -1                  -\n",
	       "table: widths, alignment, indent, units, NaN as '-', short row has no padding after");
	free(m.buf);

	/* a cell wider than its column pushes the rest, as printf does */
	mem_open(&m);
	out_table_init(&t, m.f, OUT_TABLE, NULL, cols, 2);
	out_cell_u64(&t, 12345678901ULL);
	out_cell(&t, "x");
	out_cell(&t, "beyond");
	out_row_end(&t);
	s = mem_text(&m);
	is_str(s, "12345678901 x        beyond\n", "table: overflow and a cell past the columns");
	free(m.buf);
}

static void test_csv(void)
{
	struct out_table t;
	struct mem m;
	const char *s;

	mem_open(&m);
	out_table_init(&t, m.f, OUT_CSV, "  ", cols, 4);
	rows(&t);
	s = mem_text(&m);
	is_str(s, "PID,COMM,RATE,SHARE\n42,\"a,\"\"b\"\"\",12.3,50.0\n-1,,\n",
	       "csv: titles, quoting, no units, no padding, NaN empty");
	free(m.buf);

	mem_open(&m);
	out_table_init(&t, m.f, OUT_CSV, NULL, cols, 1);
	out_cellf(&t, "%.3f", 1.0);
	out_cell(&t, "line\nbreak");
	out_row_end(&t);
	s = mem_text(&m);
	is_str(s, "1.000,\"line\nbreak\"\n", "csv: formatted cell, newline quoted");
	free(m.buf);
}

static void test_json(void)
{
	struct json_writer w;
	struct mem m;
	const char *s;

	mem_open(&m);
	json_init(&w, m.f, false);
	json_object_begin(&w, NULL);
	json_string(&w, "s", "q\"\n\x01");
	json_int(&w, "i", -3);
	json_uint(&w, "u", 18446744073709551615ULL);
	json_double(&w, "d", 2);
	json_double(&w, "e", 0.125);
	json_double(&w, "n", NAN);
	json_string(&w, "z", NULL);
	json_array_begin(&w, "a");
	json_bool(&w, NULL, true);
	json_object_begin(&w, NULL);
	json_object_end(&w);
	json_array_end(&w);
	json_array_begin(&w, "empty");
	json_array_end(&w);
	json_object_end(&w);
	json_finish(&w);
	s = mem_text(&m);
	is_str(s, "{\"s\":\"q\\\"\\n\\u0001\",\"i\":-3,\"u\":18446744073709551615,\"d\":2.0,"
		  "\"e\":0.125,\"n\":null,\"z\":null,\"a\":[true,{}],\"empty\":[]}\n",
	       "json: escapes, numbers, null, nesting, empty containers");
	free(m.buf);

	mem_open(&m);
	json_init(&w, m.f, true);
	json_object_begin(&w, NULL);
	json_array_begin(&w, "a");
	json_int(&w, NULL, 1);
	json_array_end(&w);
	json_object_end(&w);
	json_finish(&w);
	s = mem_text(&m);
	is_str(s, "{\n  \"a\": [\n    1\n  ]\n}\n", "json: pretty");
	free(m.buf);

	/* beyond long long: converting it first was undefined (make check-san halted here) */
	mem_open(&m);
	json_init(&w, m.f, false);
	json_array_begin(&w, NULL);
	json_double(&w, NULL, 1e300);
	json_double(&w, NULL, -1e19);
	json_array_end(&w);
	json_finish(&w);
	is_str(mem_text(&m), "[1e+300,-1e+19]\n", "json: doubles beyond long long's range");
	free(m.buf);
}

int main(void)
{
	test_table();
	test_csv();
	test_json();
	return done_testing();
}
