// SPDX-License-Identifier: GPL-2.0
/* The self-contained HTML page of report --html and correlate --html (html.h). */
#include "html.h"
#include "agg.h"
#include "correlate.h"
#include "csvts.h"
#include "svg.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define PANEL_W 1100
#define PANEL_H 230

static const char style[] =
	"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
	"color:#1d2430;background:#fff;margin:24px auto;max-width:1140px;padding:0 16px}\n"
	"h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px "
	"solid #d5dae1;padding-bottom:4px}h3{font-size:16px;margin:18px 0 4px}\n"
	".sub{color:#5b6574;margin:0 0 14px}.note{color:#5b6574;font-style:italic}\n"
	".finding{font-size:17px;background:#f3f6fa;border-left:5px solid #2f6fb5;padding:10px 14px;"
	"margin:12px 0}\n.finding.sig{border-color:#c0392b;background:#fdf3f2}\n"
	"table{border-collapse:collapse;margin:6px 0 10px;font-size:14px}th,td{padding:3px 10px;"
	"border-bottom:1px solid #e3e7ec;text-align:left}th{background:#f3f6fa}"
	"td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
	".legend span{display:inline-block;margin-right:16px;font-size:13px}.legend i{display:"
	"inline-block;width:18px;height:4px;margin-right:5px;vertical-align:middle}\n"
	"svg.chart{display:block;font-size:12px}.plotbg{fill:#fff}.frame{fill:none;stroke:#8a94a3}"
	".grid{stroke:#e6e9ee}.tick{fill:#4a5361}.axis{fill:#1d2430;font-size:13px}"
	"text.note{fill:#7a8391;font-size:15px;font-style:italic}.label{fill:#1d2430}\n"
	".s1{stroke:#2f6fb5;fill:#2f6fb5}.s2{stroke:#16a085;fill:#16a085}.s3{stroke:#c0392b;"
	"fill:#c0392b}.s4{stroke:#8e44ad;fill:#8e44ad}.s5{stroke:#7f8c8d;fill:#7f8c8d}.s6{stroke:"
	"#d35400;fill:#d35400}.bar{fill:#2f6fb5}\n"
	"i.s1{background:#2f6fb5}i.s2{background:#16a085}i.s3{background:#c0392b}i.s4{background:"
	"#8e44ad}i.s5{background:#7f8c8d}i.s6{background:#d35400}i.burst{background:#f8d29a;"
	"height:12px}\n"
	/* after the colours: a line is never filled, an area never stroked */
	"polyline.line{fill:none;stroke-width:1.8}path.area{stroke:none;opacity:.18}"
	"rect.burst{fill:#f39c12;stroke:none;opacity:.28}circle.spike{fill:#c0392b;stroke:#fff;"
	"stroke-width:1}\n";

void html_escape(FILE *f, const char *s)
{
	svg_escape(f, s);
}

void html_begin(FILE *f, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n<title>", f);
	html_escape(f, title);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", style);
}

void html_end(FILE *f)
{
	fputs("</body>\n</html>\n", f);
}

void html_text(FILE *f, const char *tag, const char *cls, const char *text)
{
	fprintf(f, "<%s", tag);
	if (cls) {
		fputs(" class=\"", f);
		html_escape(f, cls);
		fputc('"', f);
	}
	fputc('>', f);
	html_escape(f, text);
	fprintf(f, "</%s>\n", tag);
}

void html_textf(FILE *f, const char *tag, const char *cls, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	html_text(f, tag, cls, n < 0 ? "" : s);
	if (n >= 0)
		free(s);
}

void html_table_begin(FILE *f, const char *const *head, int n)
{
	fputs("<table>\n<tr>", f);
	for (int i = 0; i < n; i++) {
		fputs("<th>", f);
		html_escape(f, head[i]);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
}

static bool numeric(const char *s)
{
	char *end;

	if (!s || !*s)
		return false;
	strtod(s, &end);
	return end != s && (!*end || !strcmp(end, " %") || !strcmp(end, "%"));
}

void html_table_row(FILE *f, const char *const *cells, int n)
{
	fputs("<tr>", f);
	for (int i = 0; i < n; i++) {
		fputs(numeric(cells[i]) ? "<td class=\"num\">" : "<td>", f);
		html_escape(f, cells[i] ? cells[i] : "");
		fputs("</td>", f);
	}
	fputs("</tr>\n", f);
}

void html_table_end(FILE *f)
{
	fputs("</table>\n", f);
}

void html_time_panel(FILE *f, const struct html_grid *g, const char *title, const char *unit,
		     const struct html_line *lines, int nr, const bool *marks, const char *mark_title,
		     const char *empty_note)
{
	struct svg_plot p;
	double lo = 0, hi = 0, *x, *xs;
	bool any = false, burst = false;

	x = malloc((g->n ? 2 * g->n : 1) * sizeof(*x));
	if (!x) {
		html_text(f, "p", "note", "(out of memory drawing this chart)");
		return;
	}
	xs = x + g->n;		/* interval starts (the bands), x their middles (the points) */
	for (size_t i = 0; i < g->n; i++) {
		x[i] = (i + 0.5) * g->interval;
		xs[i] = i * g->interval;
		burst |= g->burst && g->burst[i];
	}
	for (int k = 0; k < nr; k++) {
		double a, b;

		if (svg_range(lines[k].v, g->n, &a, &b)) {
			lo = any && lo < a ? lo : a;
			hi = any && hi > b ? hi : b;
			any = true;
		}
	}
	html_text(f, "h3", NULL, title);
	fputs("<div class=\"legend\">", f);
	for (int k = 0; any && k < nr; k++) {
		fprintf(f, "<span><i class=\"%s\"></i>", lines[k].cls);
		html_escape(f, lines[k].name);
		fputs("</span>", f);
	}
	if (any && burst)
		fputs("<span><i class=\"burst\"></i>invalidation burst</span>", f);
	fputs("</div>\n", f);
	if (lo > 0)
		lo = 0;		/* rates and latencies: the axis starts at 0 */
	svg_plot_begin(&p, f, PANEL_W, PANEL_H, 0, g->n * g->interval, lo, hi, g->xlabel, unit);
	if (!any) {
		svg_plot_note(&p, empty_note ? empty_note : "no data");
	} else {
		svg_plot_bands(&p, xs, g->burst, g->n, g->interval, "burst", "invalidation burst");
		for (int k = 0; k < nr; k++)
			svg_plot_line(&p, x, lines[k].v, g->n, lines[k].cls, lines[k].fill);
		if (marks && nr)
			svg_plot_marks(&p, x, lines[0].v, marks, g->n, "spike", mark_title);
	}
	svg_plot_end(&p);
	free(x);
}

/* ---------------- the experiment page ---------------- */

void html_agg_series_free(struct html_agg_series *s)
{
	free(s->inv);
	free(s->bytes);
	free(s->burst);
	free(s->top);
	memset(s, 0, sizeof(*s));
}

int html_agg_series(struct agg *a, uint64_t interval_ns, size_t max, struct html_agg_series *s)
{
	const struct agg_interval *in;
	int n = agg_intervals(a, &in);

	memset(s, 0, sizeof(*s));
	if (n <= 0)
		return n < 0 ? -1 : 0;
	s->first = (int64_t)(in[0].start_ns / interval_ns);
	s->n = (size_t)((in[n - 1].start_ns / interval_ns) - s->first + 1);
	if (s->n > max) {
		s->n = 0;
		return -2;
	}
	s->inv = calloc(s->n, sizeof(double));
	s->bytes = calloc(s->n, sizeof(double));
	s->burst = calloc(s->n, sizeof(bool));
	s->top = calloc(s->n, sizeof(*s->top));
	if (!s->inv || !s->bytes || !s->burst || !s->top) {
		html_agg_series_free(s);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		size_t b = (size_t)(in[i].start_ns / interval_ns - s->first);
		double secs = in[i].secs > 0 ? in[i].secs : NAN;

		s->inv[b] = in[i].events / secs;
		s->bytes[b] = in[i].bytes / secs;
		s->burst[b] = in[i].burst;
		s->top[b].events = in[i].events;
		for (int k = 0; k < AGG_SERIES_TOP && k < CORR_TOP && in[i].top[k].n; k++) {
			struct agg_task *t = agg_find_process(a, in[i].top[k].pid);
			char buf[32];

			s->top[b].p[k].pid = in[i].top[k].pid;
			s->top[b].p[k].n = in[i].top[k].n;
			snprintf(s->top[b].p[k].comm, sizeof(s->top[b].p[k].comm), "%s",
				 t ? agg_task_comm(t, buf, sizeof(buf)) : "");
		}
	}
	return 0;
}

static bool has(const char *name, const char *part)
{
	return strcasestr(name, part) != NULL;
}

int html_latency_col(const struct html_model *m)
{
	for (int i = 0; i < m->nr_cols; i++)
		if (m->latency ? !strcmp(m->cols[i].name, m->latency) : has(m->cols[i].name, "p99"))
			return i;
	return -1;
}

bool html_is_confounder(const char *name)
{
	static const char *const vm[] = {
		"thp_fault_alloc", "thp_collapse_alloc", "thp_split_pmd", "compact_stall",
		"compact_isolated", "pgmigrate_success", "numa_pages_migrated", "numa_hint_faults",
	};

	if (!strncmp(name, "vmstat.", 7)) {
		for (size_t i = 0; i < sizeof(vm) / sizeof(vm[0]); i++)
			if (!strcmp(name + 7, vm[i]))
				return true;
		return false;
	}
	return !strcmp(name, "sched.procs_running") || !strcmp(name, "sched.psi_some_avg10") ||
	       !strcmp(name, "sched.run_delay");
}

/* A column that changes at all (an all-zero THP counter is left off the pictures). */
static bool varies(const double *v, size_t n)
{
	double lo, hi;

	return svg_range(v, n, &lo, &hi) && hi > lo;
}

static int find_col(const struct html_model *m, const char *name)
{
	for (int i = 0; i < m->nr_cols; i++)
		if (!strcmp(m->cols[i].name, name))
			return i;
	return -1;
}

/* "%.<prec>f" or "%.<prec>g" (g: true), "-" when not finite; pct: a " %" after it */
static void fmtd(char *buf, size_t len, double v, int prec, bool g, bool pct)
{
	if (isfinite(v))
		snprintf(buf, len, g ? "%.*g%s" : "%.*f%s", prec, v, pct ? " %" : "");
	else
		snprintf(buf, len, "-");
}

static void panels(FILE *f, const struct html_model *m, const struct html_grid *g, int lat,
		   const bool *spike)
{
	static const char *const cls[] = { "s1", "s2", "s3", "s4", "s5", "s6" };
	struct html_line l[6];
	int nl = 0, rq;

	html_text(f, "h2", NULL, "Over time");
	if (m->inv) {
		l[0] = (struct html_line){ "invalidations/s", m->inv, "s1", true };
		html_time_panel(f, g, "TLB invalidations per second", "invalidations/s", l, 1, NULL,
				NULL, "no invalidations recorded");
		l[0] = (struct html_line){ "bytes/s", m->bytes, "s2", true };
		html_time_panel(f, g, "Bytes invalidated per second", "bytes/s", l, 1, NULL, NULL,
				"no invalidations recorded");
	} else {
		html_text(f, "p", "note", "No recording among the inputs: no invalidation panels.");
	}
	if (lat >= 0) {
		l[0] = (struct html_line){ m->cols[lat].name, m->cols[lat].v, "s3", false };
		html_time_panel(f, g, "Latency (P99)", m->cols[lat].name, l, 1, spike, "spike",
				"the latency column has no values");
	} else {
		l[0] = (struct html_line){ "P99", NULL, "s3", false };
		html_text(f, "h3", NULL, "Latency (P99)");
		html_text(f, "p", "note", "No latency data: record with --sample prom:URL, or give "
			  "a latency CSV (a column named *p99*) to tlbstat correlate --html.");
	}
	rq = find_col(m, "sched.procs_running");
	nl = 0;
	if (rq >= 0)
		l[nl++] = (struct html_line){ "procs_running (tasks)", m->cols[rq].v, "s4", false };
	if ((rq = find_col(m, "sched.psi_some_avg10")) >= 0)
		l[nl++] = (struct html_line){ "CPU pressure some avg10 (%)", m->cols[rq].v, "s5",
					      false };
	if (nl) {
		html_time_panel(f, g, "Run queue and CPU pressure", "tasks, %", l, nl, NULL, NULL,
				"no values");
	} else {
		html_text(f, "h3", NULL, "Run queue");
		html_text(f, "p", "note", "No run-queue data (record --sample sched).");
	}
	nl = 0;
	for (int i = 0; i < m->nr_cols && nl < 2; i++)
		if (!strncmp(m->cols[i].name, "gpu", 3) && has(m->cols[i].name, "util"))
			l[nl++] = (struct html_line){ m->cols[i].name, m->cols[i].v, cls[nl], false };
	if (nl) {
		html_time_panel(f, g, "GPU utilisation", "%", l, nl, NULL, NULL, "no values");
	} else {
		html_text(f, "h3", NULL, "GPU");
		html_text(f, "p", "note", "no GPU sampler data");
	}
	nl = 0;
	for (int i = 0; i < m->nr_cols && nl < 6; i++)
		if (!strncmp(m->cols[i].name, "vmstat.", 7) && html_is_confounder(m->cols[i].name) &&
		    varies(m->cols[i].v, m->n))
			l[nl].name = m->cols[i].name, l[nl].v = m->cols[i].v, l[nl].cls = cls[nl],
			l[nl].fill = false, nl++;
	if (nl)
		html_time_panel(f, g, "Memory management (THP, compaction, migration, NUMA)",
				"events per sample", l, nl, NULL, NULL, "no values");
	else
		html_text(f, "h3", NULL, "Memory management (THP, compaction, migration, NUMA)");
	if (!nl && (find_col(m, "vmstat.pgmigrate_success") >= 0 ||
		    find_col(m, "vmstat.compact_stall") >= 0))
		html_text(f, "p", "note", "THP, compaction, migration and NUMA counters did not move "
			  "during the run.");
	else if (!nl)
		html_text(f, "p", "note", "No vmstat data (record --sample vmstat).");
}

static int cmp_n(const void *a, const void *b)
{
	double x = ((const struct corr_proc *)a)->n, y = ((const struct corr_proc *)b)->n;

	return x > y ? -1 : x < y;
}

/* The spikes table: each spike, the bursts before it, who caused them, the confounders. */
static void spike_table(FILE *f, const struct html_model *m, const struct corr_spikes *s,
			int lat)
{
	const char *head[4 + 6];
	int conf[6], nc = 0;
	char c[4 + 6][512];
	const char *cells[4 + 6];

	for (int i = 0; i < m->nr_cols && nc < 6; i++)
		if (html_is_confounder(m->cols[i].name) && varies(m->cols[i].v, m->n))
			conf[nc++] = i;
	head[0] = "spike at (s from start)";
	head[1] = m->cols[lat].name;
	head[2] = "bursts before (lag: invalidations/s)";
	head[3] = "processes behind them (invalidations)";
	for (int i = 0; i < nc; i++)
		head[4 + i] = m->cols[conf[i]].name;
	html_table_begin(f, head, 4 + nc);
	for (size_t i = 0; i < s->nr_spikes && i < 200; i++) {
		size_t t = s->spike[i], o = 0, p = 0;
		struct corr_proc who[16];
		int nw = 0;

		snprintf(c[0], sizeof(c[0]), "%.3f", t * m->interval);
		fmtd(c[1], sizeof(c[1]), m->cols[lat].v[t], 4, true, false);
		c[2][0] = c[3][0] = '\0';
		for (int d = 0; d <= s->window && (size_t)d <= t; d++) {
			size_t b = t - d;

			if (!m->burst || !m->burst[b])
				continue;
			if (o < sizeof(c[2]))
				o += snprintf(c[2] + o, sizeof(c[2]) - o, "%s%d: %.0f", o ? ", " : "",
					      d, m->inv ? m->inv[b] : NAN);
			for (int k = 0; m->top && k < CORR_TOP && m->top[b].p[k].n > 0; k++) {
				int j;

				for (j = 0; j < nw && who[j].pid != m->top[b].p[k].pid; j++)
					;
				if (j == nw && nw < (int)(sizeof(who) / sizeof(who[0])))
					who[nw++] = m->top[b].p[k];
				else if (j < nw)
					who[j].n += m->top[b].p[k].n;
			}
		}
		qsort(who, nw, sizeof(*who), cmp_n);
		for (int j = 0; j < nw && p < sizeof(c[3]); j++)
			p += snprintf(c[3] + p, sizeof(c[3]) - p, "%s%d %s (%.0f)", p ? ", " : "",
				      who[j].pid, who[j].comm, who[j].n);
		if (!o)
			snprintf(c[2], sizeof(c[2]), "none within %d", s->window);
		for (int k = 0; k < nc; k++)
			fmtd(c[4 + k], sizeof(c[4 + k]), m->cols[conf[k]].v[t], 4, true, false);
		for (int k = 0; k < 4 + nc; k++)
			cells[k] = c[k];
		html_table_row(f, cells, 4 + nc);
	}
	html_table_end(f);
	if (s->nr_spikes > 200)
		html_textf(f, "p", "note", "(the first 200 of %zu spikes)", s->nr_spikes);
	if (nc) {
		fputs("<p class=\"note\">Confounders at the spike's interval; their medians over the "
		      "run: ", f);
		for (int k = 0; k < nc; k++) {
			double med, mad;

			corr_median_mad(m->cols[conf[k]].v, m->n, &med, &mad);
			fprintf(f, "%s", k ? ", " : "");
			html_escape(f, m->cols[conf[k]].name);
			fprintf(f, " %.4g", med);
		}
		fputs(".</p>\n", f);
	}
}

static void procs_table(FILE *f, const struct corr_proc *p, int n, double total,
			const char *what)
{
	const char *head[] = { "pid", "comm", "invalidations", "share" };
	const char **labels;
	double *v;
	char c[4][64];
	const char *cells[4];

	if (n > 15)
		n = 15;
	if (n < 0)
		n = 0;
	labels = calloc(n + 1, sizeof(*labels));
	v = calloc(n + 1, sizeof(*v));
	if (!labels || !v) {
		free(labels);
		free(v);
		return;
	}
	html_table_begin(f, head, 4);
	for (int i = 0; i < n; i++) {
		snprintf(c[0], sizeof(c[0]), "%d", p[i].pid);
		snprintf(c[1], sizeof(c[1]), "%s", p[i].comm[0] ? p[i].comm : "?");
		snprintf(c[2], sizeof(c[2]), "%.0f", p[i].n);
		fmtd(c[3], sizeof(c[3]), total > 0 ? 100 * p[i].n / total : NAN, 1, false, true);
		for (int k = 0; k < 4; k++)
			cells[k] = c[k];
		html_table_row(f, cells, 4);
		labels[i] = p[i].comm[0] ? p[i].comm : "?";
		v[i] = p[i].n;
	}
	html_table_end(f);
	if (n) {
		/* the bars' labels: "comm (pid)", escaped by svg_bars */
		char (*lb)[48] = calloc(n, sizeof(*lb));

		for (int i = 0; lb && i < n; i++) {
			snprintf(lb[i], sizeof(lb[i]), "%.16s (%d)", labels[i], p[i].pid);
			labels[i] = lb[i];
		}
		if (lb)
			svg_bars(f, 900, labels, v, n, "bar", what);
		free(lb);
	}
	free(labels);
	free(v);
}

static void pairs_table(FILE *f, const struct html_model *m, char *err, size_t errlen)
{
	static const char *const head[] = {
		"A", "B", "N", "Pearson", "Spearman", "lag", "r at lag", "p", "verdict",
	};
	char c[9][96];
	const char *cells[9];
	int rows = 0;

	html_text(f, "h2", NULL, "Correlations");
	if (m->pair_cols) {
		int shown = 0, constant = 0;

		html_table_begin(f, m->pair_head, m->pair_cols);
		for (int i = 0; i < m->nr_pairs; i++) {
			const char *const *row = m->pair_rows + (size_t)i * m->pair_cols;

			/* the verdict is the last cell: a constant series has nothing to show */
			if (!strcmp(row[m->pair_cols - 1], "constant")) {
				constant++;
				continue;
			}
			if (shown++ < 40)
				html_table_row(f, row, m->pair_cols);
		}
		html_table_end(f);
		html_textf(f, "p", "note", "Most significant first; %d of %d pairs shown%s%d left "
			   "out with a series that never changed. Lag > 0: A leads B. p: "
			   "circular-shift test of the largest |r| over lags -%d..%d.",
			   shown < 40 ? shown : 40, m->nr_pairs, constant ? "; " : "; ", constant,
			   m->max_lag, m->max_lag);
		return;
	}
	if (!m->inv || !m->nr_cols) {
		html_text(f, "p", "note", "Nothing to correlate: no sampler or latency series beside "
			  "the recording.");
		return;
	}
	html_table_begin(f, (const char *const *)head, 9);
	for (int i = 0; i < m->nr_cols; i++) {
		struct corr_result r;

		if (!varies(m->cols[i].v, m->n))
			continue;
		if (corr_pair(m->inv, m->cols[i].v, m->n, m->max_lag, m->alpha, &r, err, errlen))
			return;
		snprintf(c[0], sizeof(c[0]), "tlb.invalidations");
		snprintf(c[1], sizeof(c[1]), "%s", m->cols[i].name);
		snprintf(c[2], sizeof(c[2]), "%zu", r.n);
		fmtd(c[3], sizeof(c[3]), r.pearson, 3, false, false);
		fmtd(c[4], sizeof(c[4]), r.spearman, 3, false, false);
		snprintf(c[5], sizeof(c[5]), "%d", r.best_lag);
		fmtd(c[6], sizeof(c[6]), r.best_r, 3, false, false);
		fmtd(c[7], sizeof(c[7]), r.p_value, 3, false, false);
		snprintf(c[8], sizeof(c[8]), "%s", corr_verdict_name(r.verdict));
		for (int k = 0; k < 9; k++)
			cells[k] = c[k];
		html_table_row(f, cells, 9);
		rows++;
	}
	html_table_end(f);
	html_textf(f, "p", "note", "%d series that changed during the run; lag > 0: A leads B. "
		   "p: circular-shift test of the largest |r| over lags -%d..%d (tlbstat "
		   "correlate).", rows, m->max_lag, m->max_lag);
}

/* The processes behind every burst interval: corr_blame with each burst as its own spike. */
static int all_bursts(const struct html_model *m, struct corr_proc **out, int *nr, double *total)
{
	struct corr_spikes s = { .window = 0 };
	int rc;

	free(*out);
	*out = NULL;
	*nr = 0;
	if (!m->burst || !m->top)
		return 0;
	s.spike = malloc((m->n + 1) * sizeof(*s.spike));
	if (!s.spike)
		return -1;
	for (size_t i = 0; i < m->n; i++)
		if (m->burst[i])
			s.spike[s.nr_spikes++] = i;
	rc = corr_blame(&s, m->burst, m->top, m->n, out, nr, total);
	free(s.spike);
	return rc;
}

int html_experiment(FILE *f, const struct html_model *m, char *err, size_t errlen)
{
	struct corr_spikes s = { 0 };
	struct corr_proc *blame = NULL;
	struct html_grid g = { m->n, m->interval, m->burst, NULL };
	char xlabel[128], find[1024] = "";
	bool *spike = NULL, sig = false;
	int lat = html_latency_col(m), nb = 0;
	double total = 0;

	snprintf(xlabel, sizeof(xlabel), "seconds from %.3f s (perf clock, CLOCK_MONOTONIC)",
		 m->t0);
	g.xlabel = xlabel;
	if (lat >= 0 && m->burst) {
		if (corr_spikes(m->cols[lat].v, m->burst, m->n, m->window, 3, m->alpha, &s, err,
				errlen))
			return -1;
		if (m->top && corr_blame(&s, m->burst, m->top, m->n, &blame, &nb, &total)) {
			corr_spikes_free(&s);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		corr_spikes_text(&s, m->cols[lat].name, blame, nb, total, find, sizeof(find));
		if (m->causes && s.nr_preceded && strlen(find) < sizeof(find) &&
		    (s.verdict == CORR_SIGNIFICANT || s.verdict == CORR_NOT_SIGNIFICANT))
			snprintf(find + strlen(find), sizeof(find) - strlen(find), "; %s", m->causes);
		sig = s.verdict == CORR_SIGNIFICANT;
		spike = calloc(m->n + 1, sizeof(*spike));
		for (size_t i = 0; spike && i < s.nr_spikes; i++)
			spike[s.spike[i]] = true;
	} else if (lat < 0) {
		size_t nbursts = 0, o = 0;

		for (size_t i = 0; m->burst && i < m->n; i++)
			nbursts += m->burst[i];
		if (m->burst && all_bursts(m, &blame, &nb, &total)) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (m->inv)
			o = snprintf(find, sizeof(find), "%zu invalidation burst%s in %zu intervals",
				     nbursts, nbursts == 1 ? "" : "s", m->n);
		if (nb && total > 0 && o < sizeof(find))
			o += snprintf(find + o, sizeof(find) - o, "; pid %d (%s) caused %.0f %% of "
				      "the invalidations in them", blame[0].pid, blame[0].comm,
				      100 * blame[0].n / total);
		if (o < sizeof(find))
			snprintf(find + o, sizeof(find) - o, "%sNo latency series (a column named "
				 "*p99*): no burst attribution.", o ? ". " : "");
		free(blame);
		blame = NULL;
		nb = 0;
	} else {
		snprintf(find, sizeof(find), "No recording among the inputs: no invalidation bursts "
			 "to attribute latency spikes to.");
	}
	html_begin(f, m->title);
	html_text(f, "h1", NULL, m->title);
	if (m->subtitle)
		html_text(f, "p", "sub", m->subtitle);
	html_text(f, "div", sig ? "finding sig" : "finding", find);
	if (m->notes)
		html_text(f, "p", NULL, m->notes);
	panels(f, m, &g, lat, spike);
	html_text(f, "h2", NULL, "Latency spikes and the bursts before them");
	if (lat >= 0 && m->burst && s.nr_spikes) {
		html_textf(f, "p", NULL, "A spike: %s above median %.4g + 3 x MAD %.4g = %.4g. A burst "
			   "precedes it when it lies in the spike's interval or up to %d before. "
			   "%zu spikes, %zu preceded; %zu burst intervals; %.0f %% of all intervals "
			   "have a burst that close (chance).", m->cols[lat].name, s.median, s.mad,
			   s.threshold, s.window, s.nr_spikes, s.nr_preceded, s.nr_bursts,
			   s.chance * 100);
		spike_table(f, m, &s, lat);
	} else if (lat < 0) {
		html_text(f, "p", "note", "No latency series: nothing to attribute.");
	} else {
		html_text(f, "p", "note", find);
	}
	html_text(f, "h2", NULL, m->procs ? "Top processes" :
		  "Processes behind the bursts before spikes");
	if (m->procs) {
		double all = m->procs_total;

		for (int i = 0; all <= 0 && i < m->nr_procs; i++)
			all += m->procs[i].n;
		procs_table(f, m->procs, m->nr_procs, all, "invalidations");
		html_text(f, "p", "note", "Shares of all invalidations in the recording.");
	} else if (nb) {
		procs_table(f, blame, nb, total, "invalidations");
		html_text(f, "p", "note", "Shares of all invalidations in those burst intervals "
			  "(each interval names its top 3 processes).");
	} else if (all_bursts(m, &blame, &nb, &total) == 0 && nb) {
		html_text(f, "p", NULL, "No burst preceded a spike; the processes behind all the "
			  "bursts:");
		procs_table(f, blame, nb, total, "invalidations");
	} else {
		html_text(f, "p", "note", "No bursts: no processes to name.");
	}
	html_text(f, "h2", NULL, "Initiator -> victim");
	if (m->victim_note) {
		html_textf(f, "p", "note", "Victims %s.", m->victim_note);
	} else if (m->nr_victims) {
		html_table_begin(f, m->victim_head, m->victim_cols);
		for (int i = 0; i < m->nr_victims; i++)
			html_table_row(f, m->victim_rows + (size_t)i * m->victim_cols, m->victim_cols);
		html_table_end(f);
	} else {
		html_text(f, "p", "note", "No initiator -> victim pairs in this input (tlbstat report "
			  "names them from a recording).");
	}
	pairs_table(f, m, err, errlen);
	html_text(f, "p", "sub", "Written by tlbstat; self-contained (no scripts, nothing "
		  "fetched). Hover a shaded burst or a spike for its time.");
	html_end(f);
	free(spike);
	free(blame);
	corr_spikes_free(&s);
	return 0;
}

/* ---------------- report --html ---------------- */

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dupf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

int html_report(FILE *f, struct agg *a, const struct html_report_facts *fx, char *err,
		size_t errlen)
{
	static const char *const vhead[] = {
		"initiator pid", "comm", "victim pid", "comm", "shootdowns",
	};
	struct html_agg_series as;
	struct csvts side = { 0 };
	struct html_series *cols = NULL;
	struct corr_proc *procs = NULL;
	struct agg_task **tasks = NULL;
	struct agg_pair *pairs = NULL;
	char **vrows = NULL;
	int rc = -1, np = 0, nv = 0, nt;
	struct html_model m = { 0 };

	rc = html_agg_series(a, fx->interval_ns, AGG_MAX_INTERVALS, &as);
	if (rc == -2) {
		snprintf(err, errlen, "the series spans more than %d intervals: use a longer "
			 "--interval", AGG_MAX_INTERVALS);
		return -1;
	}
	if (rc < 0)
		goto oom;
	rc = -1;
	if (fx->side && csvts_read(&side, fx->side, err, errlen))
		goto out;
	cols = calloc(side.nr_cols + 1, sizeof(*cols));
	if (!cols)
		goto oom;
	for (int k = 0; k < side.nr_cols; k++) {
		double *v = malloc((as.n + 1) * sizeof(*v));

		if (!v || csvts_bin(&side, k, 0, fx->interval_ns, as.first, as.n, v)) {
			free(v);
			goto oom;
		}
		cols[m.nr_cols++] = (struct html_series){ side.cols[k], v };
	}
	nt = agg_processes(a, AGG_SORT_EVENTS, &tasks);
	if (nt < 0)
		goto oom;
	procs = calloc(nt + 1, sizeof(*procs));
	if (!procs)
		goto oom;
	for (int i = 0; i < nt; i++)
		m.procs_total += tasks[i]->total.events;
	for (int i = 0; i < nt && np < 15 && tasks[i]->total.events; i++) {
		char buf[32];

		procs[np].pid = tasks[i]->pid;
		procs[np].n = tasks[i]->total.events;
		snprintf(procs[np].comm, sizeof(procs[np].comm), "%s",
			 agg_task_comm(tasks[i], buf, sizeof(buf)));
		np++;
	}
	if (!fx->victim_note) {
		int n = agg_pairs(a, true, &pairs);

		if (n < 0)
			goto oom;
		nv = n < 20 ? n : 20;
		vrows = calloc((size_t)nv * 5 + 1, sizeof(*vrows));
		if (!vrows)
			goto oom;
		for (int i = 0; i < nv; i++) {
			struct agg_task *ti = agg_find_process(a, pairs[i].init_pid);
			struct agg_task *tv = agg_find_process(a, pairs[i].victim_pid);
			char b1[32] = "?", b2[32] = "?";
			char **row = vrows + (size_t)i * 5;

			row[0] = dupf("%d", pairs[i].init_pid);
			row[1] = strdup(ti ? agg_task_comm(ti, b1, sizeof(b1)) : b1);
			row[2] = dupf("%d", pairs[i].victim_pid);
			row[3] = strdup(tv ? agg_task_comm(tv, b2, sizeof(b2)) : b2);
			row[4] = dupf("%llu", (unsigned long long)pairs[i].count);
			for (int k = 0; k < 5; k++)
				if (!row[k])
					goto oom;
		}
	}
	m = (struct html_model){
		.title = fx->title, .subtitle = fx->subtitle,
		.t0 = (double)as.first * fx->interval_ns / 1e9, .interval = fx->interval_ns / 1e9,
		.n = as.n, .burst = as.burst, .inv = as.inv, .bytes = as.bytes, .top = as.top,
		.cols = cols, .nr_cols = m.nr_cols, .latency = fx->latency, .window = fx->window,
		.max_lag = fx->max_lag, .alpha = fx->alpha, .procs = procs, .nr_procs = np,
		.procs_total = m.procs_total,
		.victim_note = fx->victim_note, .victim_head = vhead,
		.victim_rows = (const char *const *)vrows, .victim_cols = 5, .nr_victims = nv,
		.notes = fx->notes,
	};
	if (fx->latency && html_latency_col(&m) < 0) {
		snprintf(err, errlen, "--latency %s: no such column in %s", fx->latency,
			 fx->side ? fx->side : "(no side file)");
		goto out;
	}
	rc = html_experiment(f, &m, err, errlen);
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
	rc = -1;
out:
	for (int k = 0; cols && k < m.nr_cols; k++)
		free((void *)cols[k].v);
	for (size_t i = 0; vrows && i < (size_t)nv * 5; i++)
		free(vrows[i]);
	free(vrows);
	free(pairs);
	free(tasks);
	free(procs);
	free(cols);
	csvts_free(&side);
	html_agg_series_free(&as);
	return rc;
}
