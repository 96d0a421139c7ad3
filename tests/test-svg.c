// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of svg.c and html.c: escaping (a comm with < > & " ' must not break the page),
 * axis ticks on odd ranges (tiny, huge, negative, reversed, empty, degenerate), number labels,
 * lines that break at gaps, empty series drawn as a note, and the experiment page's blocks:
 * tables, the finding, the "no GPU sampler data" note and the victims note.
 */
#include "correlate.h"
#include "html.h"
#include "svg.h"
#include "tap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *buf;
static size_t len;

static FILE *mem(void)
{
	free(buf);
	buf = NULL;
	len = 0;
	return open_memstream(&buf, &len);
}

static int count(const char *s, const char *what)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static void test_escape(void)
{
	FILE *f = mem();

	svg_escape(f, "a<b>&\"c'\x01\td");
	fclose(f);
	is_str(buf, "a&lt;b&gt;&amp;&quot;c&#39;\td", "svg_escape: & < > \" ' and control chars");
	f = mem();
	html_text(f, "td", "x\"y", "<script>alert(1)</script>");
	fclose(f);
	ok(!strstr(buf, "<script>") && strstr(buf, "&lt;script&gt;") &&
	   strstr(buf, "class=\"x&quot;y\""), "html_text escapes text and the class");
	f = mem();
	svg_escape(f, NULL);
	fclose(f);
	is_str(buf, "", "svg_escape(NULL) writes nothing");
}

static bool ticks_ok(double lo, double hi, int max, const struct svg_ticks *t)
{
	if (t->n < 1 || t->n > max)
		return false;
	for (int i = 0; i < t->n; i++) {
		double k = t->v[i] / t->step;

		if (t->v[i] < lo - 1e-9 * fabs(t->step) || t->v[i] > hi + 1e-9 * fabs(t->step) ||
		    fabs(k - round(k)) > 1e-6)
			return false;
		if (i && t->v[i] <= t->v[i - 1])
			return false;
	}
	return true;
}

static bool nice_step(double step)
{
	double m = step / pow(10, floor(log10(step)));

	return fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9;
}

static void test_ticks(void)
{
	static const double ranges[][2] = {
		{ 0, 1 }, { 0, 7 }, { 0.0013, 0.0091 }, { -3.7, 12.2 }, { 1e9, 1e9 + 37 },
		{ 0, 123456789 }, { 17.3, 17.31 }, { -5, -1 }, { 0, 1e-7 },
	};
	struct svg_ticks t;

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		svg_ticks(ranges[i][0], ranges[i][1], 6, &t);
		ok(ticks_ok(ranges[i][0], ranges[i][1], 6, &t) && t.n >= 2 && nice_step(t.step),
		   "ticks of [%g, %g]: %d inside, step %g (1, 2 or 5 x 10^k), multiples of it",
		   ranges[i][0], ranges[i][1], t.n, t.step);
	}
	svg_ticks(10, 0, 6, &t);
	ok(ticks_ok(0, 10, 6, &t) && t.v[0] == 0 && t.v[t.n - 1] == 10, "reversed range swapped");
	svg_ticks(5, 5, 6, &t);
	ok(t.n == 1 && t.v[0] == 5, "an empty range: one tick at its value");
	svg_ticks(NAN, 3, 6, &t);
	ok(t.n == 1 && t.v[0] == 0, "a non-finite range: one tick at 0");
	svg_ticks(-1, 1, 40, &t);
	ok(t.n <= SVG_MAX_TICKS, "max clamped to SVG_MAX_TICKS");
	svg_ticks(-0.3, 0.3, 7, &t);
	for (int i = 0; i < t.n; i++)
		if (fabs(t.v[i]) < t.step / 2)
			ok(!signbit(t.v[i]), "no -0 tick");
}

static void test_num(void)
{
	static const struct { double v; const char *want; } c[] = {
		{ 0, "0" }, { 950, "950" }, { 1200, "1.2k" }, { 34e6, "34M" }, { 0.25, "0.25" },
		{ 15.5, "15.5" }, { -2000, "-2k" }, { 1e-6, "1e-06" }, { NAN, "-" },
	};
	char b[32];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		svg_num(c[i].v, b, sizeof(b));
		is_str(b, c[i].want, "svg_num(%g)", c[i].v);
	}
}

static void test_plot(void)
{
	double x[6] = { 0, 1, 2, 3, 4, 5 }, y[6] = { 1, 2, NAN, 4, NAN, 3 }, lo, hi;
	bool on[6] = { false, true, false, false, false, false };
	struct svg_plot p;
	FILE *f = mem();

	svg_plot_begin(&p, f, 400, 200, 0, 6, 0, 4, "t <s>", "y & z");
	svg_plot_bands(&p, x, on, 6, 1, "burst", "a <burst>");
	svg_plot_line(&p, x, y, 6, "s1", false);
	svg_plot_end(&p);
	fclose(f);
	is_int(count(buf, "<polyline"), 1, "a gap breaks the line: one polyline for 1,2");
	is_int(count(buf, "<circle"), 2, "... and lone points between gaps are dots");
	is_int(count(buf, "class=\"burst\""), 1, "one band where on[]");
	ok(strstr(buf, "t &lt;s&gt;") && strstr(buf, "y &amp; z") && strstr(buf, "a &lt;burst&gt;"),
	   "axis labels and band titles escaped");
	ok(count(buf, "<svg") == 1 && count(buf, "</svg>") == 1, "one closed svg element");
	ok(!svg_range(y + 2, 1, &lo, &hi), "svg_range: nothing finite, false");
	ok(svg_range(y, 6, &lo, &hi) && lo == 1 && hi == 4, "svg_range skips NaN");
	/* degenerate ranges draw without dividing by 0 */
	f = mem();
	svg_plot_begin(&p, f, 400, 200, 3, 3, 7, 7, NULL, NULL);
	svg_plot_line(&p, x, y, 6, "s1", true);
	svg_plot_end(&p);
	fclose(f);
	ok(!strstr(buf, "nan") && !strstr(buf, "inf"), "a degenerate range: no nan/inf coordinates");
}

static void test_panel(void)
{
	double v[4] = { NAN, NAN, NAN, NAN };
	struct html_grid g = { 4, 1.0, NULL, "s" };
	struct html_line l = { "p99 <us>", v, "s3", false };
	const char *cells[] = { "7", "a&b", "1.5 %" };
	FILE *f = mem();

	html_time_panel(f, &g, "Latency", "us", &l, 1, NULL, NULL, "nothing <here>");
	fclose(f);
	ok(strstr(buf, "nothing &lt;here&gt;") && !strstr(buf, "<polyline"),
	   "an empty series: the note, no line");
	f = mem();
	html_table_begin(f, cells, 3);
	html_table_row(f, cells, 3);
	html_table_end(f);
	fclose(f);
	ok(count(buf, "<td class=\"num\">") == 2 && strstr(buf, "<td>a&amp;b</td>"),
	   "table: numbers right-aligned, text escaped");
}

/* The page of a constructed model: latency spikes one interval after bursts. */
static void test_page(void)
{
	enum { N = 120 };
	double inv[N], bytes[N], lat[N];
	bool burst[N] = { false };
	struct corr_top top[N];
	struct html_series cols[] = { { "lat.p99_us", lat } };
	struct html_model m = {
		.title = "t", .subtitle = "sub", .interval = 1, .n = N, .burst = burst, .inv = inv,
		.bytes = bytes, .top = top, .cols = cols, .nr_cols = 1, .window = 2, .max_lag = 5,
		.alpha = 0.05, .victim_note = "not observable on this machine (a test)",
	};
	char err[64];
	FILE *f;
	int rc;

	memset(top, 0, sizeof(top));
	for (int i = 0; i < N; i++) {
		burst[i] = i % 10 == 3;
		inv[i] = burst[i] ? 5000 : 100 + i % 7;
		bytes[i] = inv[i] * 4096;
		lat[i] = i % 10 == 4 ? 900 : 100 + i % 5;
		top[i].events = inv[i];
		top[i].p[0] = (struct corr_proc){ 812, "py<th>on", inv[i] * 0.9 };
	}
	f = mem();
	rc = html_experiment(f, &m, err, sizeof(err));
	fclose(f);
	ok(rc == 0, "html_experiment on a constructed model");
	ok(strstr(buf, "in 12 of 12 cases") && strstr(buf, "significant") &&
	   strstr(buf, "pid 812 (py&lt;th&gt;on) caused 90 %"),
	   "the finding: 12 of 12 spikes after bursts, pid 812 named, its comm escaped");
	ok(strstr(buf, "no GPU sampler data") && strstr(buf, "Victims not observable on this machine (a test)."),
	   "no GPU column: said; no victims: the note");
	ok(!strstr(buf, "<th>on"), "no raw comm in the page");
	ok(strstr(buf, "<script") == NULL && strstr(buf, "http://") == strstr(buf, "http://www.w3.org"),
	   "no script, nothing fetched");
}

int main(void)
{
	test_escape();
	test_ticks();
	test_num();
	test_plot();
	test_panel();
	test_page();
	free(buf);
	return done_testing();
}
