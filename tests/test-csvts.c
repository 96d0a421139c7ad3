// SPDX-License-Identifier: GPL-2.0
/* lib/csvts.c: CSV time series with gaps, unsorted rows, quotes, bad rows (line numbers), and
 * binning onto correlate's absolute grid with a clock offset. */
#include "csvts.h"
#include "tap.h"

#include <math.h>

#define MS 1000000ull

static int parse(struct csvts *ts, const char *s, char *err)
{
	return csvts_parse(ts, "t.csv", s, strlen(s), err, 256);
}

static void good(void)
{
	struct csvts ts;
	char err[256] = "";
	double out[4];

	ok(!parse(&ts, "# from tlbstat sample\n\"time\",\"a.x\",b\r\n"
		  "3.0,30,\n1.0,10,1\n\n2.0, 20 ,nan\n2.0,22,NA\n", err), "parses (%s)", err);
	is_int(ts.nr_cols, 2, "two value columns");
	is_str(ts.cols[0], "a.x", "a quoted header name");
	is_int(ts.nr_rows, 4, "four rows (comment and blank skipped)");
	ok(ts.time[0] == 1 && ts.time[1] == 2 && ts.time[2] == 2 && ts.time[3] == 3,
	   "unsorted rows sorted by time");
	ok(ts.v[2] == 20 && ts.v[4] == 22, "equal times keep file order (20 then 22)");
	ok(isnan(ts.v[1 * 2 + 1]) && isnan(ts.v[3 * 2 + 1]), "empty and nan cells are gaps");

	/* 1 s grid from bin 1: 10 | mean(20, 22) | 30 | nothing */
	ok(!csvts_bin(&ts, 0, 0, 1000 * MS, 1, 4, out), "bins");
	ok(out[0] == 10 && out[1] == 21 && out[2] == 30 && isnan(out[3]), "bin means: %g %g %g %g",
	   out[0], out[1], out[2], out[3]);
	/* offset -1 s: everything one bin earlier */
	csvts_bin(&ts, 0, -1000 * (int64_t)MS, 1000 * MS, 0, 3, out);
	ok(out[0] == 10 && out[1] == 21 && out[2] == 30, "a clock offset moves rows between bins");
	is_int(csvts_bin_of(-0.5, 0, 1000 * MS), -1, "bins floor below zero too");
	/* found by fuzz-csvts: 1e30 s made a double too big for int64_t (UBSan) */
	ok(csvts_bin_of(1e30, 0, 1) == (int64_t)CSVTS_BIN_LIMIT &&
	   csvts_bin_of(-1e30, 0, 1) == -(int64_t)CSVTS_BIN_LIMIT, "a huge time clamps to the limit");
	csvts_free(&ts);
}

static void bad(void)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "time,a\n1,2\n2,x\n", "t.csv:3: column 'a': 'x' is not a number" },
		{ "time,a\n1,2\n2,3,4\n", "t.csv:3: 3 fields, the header has 2" },
		{ "time,a\n1\n", "t.csv:2: 1 fields, the header has 2" },
		{ "time,a\nnow,2\n", "t.csv:2: time 'now' is not a number of seconds" },
		{ "time,a\nnan,2\n", "t.csv:2: time 'nan' is not a number of seconds" },
		{ "time\n1\n", "t.csv:1: the header needs a time column and at least one value column" },
		{ "# only a comment\n", "t.csv: no header line (time,column,...)" },
		{ "time,\"a\n1,2\n", "t.csv:1: a quoted field does not end on its line" },
		{ "time,a,\n", "t.csv:1: column 3 has no name" },
		{ "time,a\n1,inf\n", "t.csv:2: column 'a': 'inf' is not a number" },
	};
	struct csvts ts;
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = 0;
		ok(parse(&ts, cases[i].in, err) == -1 && !ts.cols && !ts.v, "bad input %zu refused", i);
		is_str(err, cases[i].want, "its message");
	}
}

int main(void)
{
	good();
	bad();
	return done_testing();
}
