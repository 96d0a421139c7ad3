/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One self-contained HTML page for report --html and correlate --html: inline CSS, inline SVG
 * charts (svg.h), no script or style sheet fetched, nothing from the network. The blocks here
 * (page, headings, paragraphs, tables, time panels on one grid) are what both commands build
 * their pages from; every text goes through html_escape.
 */
#ifndef TLBSTAT_HTML_H
#define TLBSTAT_HTML_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Text and attribute values: & < > " ' escaped (svg_escape). */
void html_escape(FILE *f, const char *s);
/* <!DOCTYPE html> ... <body>, with the style sheet and the title (escaped). */
void html_begin(FILE *f, const char *title);
void html_end(FILE *f);
/* <tag class="cls">text</tag>, text escaped; cls may be NULL. */
void html_text(FILE *f, const char *tag, const char *cls, const char *text);
/* The same with printf formatting (the result escaped). */
void html_textf(FILE *f, const char *tag, const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A table: the header cells, then rows of n cells (escaped; a cell that parses as a number is
 * right-aligned). */
void html_table_begin(FILE *f, const char *const *head, int n);
void html_table_row(FILE *f, const char *const *cells, int n);
void html_table_end(FILE *f);

/* The page's time grid: n intervals of interval seconds; panels share it so they line up. */
struct html_grid {
	size_t n;
	double interval;	/* seconds */
	const bool *burst;	/* n flags (shaded), or NULL */
	const char *xlabel;	/* e.g. "seconds from 1234.5 s (perf clock)" */
};

struct html_line {
	const char *name;	/* legend */
	const double *v;	/* n values on the grid; NaN: no value */
	const char *cls;	/* CSS class: s1..s6 */
	bool fill;
};

/*
 * One panel: a title (h3), a legend, a chart of the lines on the grid (x: interval middles
 * from 0 s), bursts shaded, a dot with a hover title on the first line at each mark (NULL:
 * none); when no line has any value, the chart says empty_note instead.
 */
void html_time_panel(FILE *f, const struct html_grid *g, const char *title, const char *unit,
		     const struct html_line *lines, int nr, const bool *marks, const char *mark_title,
		     const char *empty_note);

/*
 * The experiment page both commands write: a finding at the top built from the data, the
 * invalidation panels (bursts shaded), latency (spikes marked), run queue, GPU and vmstat
 * confounder panels on the same time axis, the burst attribution table, top processes,
 * initiator -> victim table (or the note why there is none), the correlation table.
 */
struct corr_top;
struct corr_proc;
struct html_series {
	const char *name;	/* e.g. sched.procs_running, lat.p99_us */
	const double *v;	/* on the grid */
};
struct html_model {
	const char *title, *subtitle;
	double t0, interval;	/* seconds on the perf clock; the grid's interval */
	size_t n;
	const bool *burst;	/* n, or NULL */
	const double *inv, *bytes;	/* invalidations/s and bytes/s, or NULL (no recording) */
	const struct corr_top *top;	/* n, or NULL */
	const struct html_series *cols;	/* every other series on the grid */
	int nr_cols;
	const char *latency;	/* the latency column; NULL: the first whose name has "p99" */
	int window;		/* attribution window, intervals */
	int max_lag;
	double alpha;
	const struct corr_proc *procs;	/* top processes over the whole run (report), or NULL:
					   those behind the bursts before spikes */
	int nr_procs;
	double procs_total;	/* the base of their shares (0: their sum) */
	int pair_cols;		/* the correlation table: rows of pair_cols cells, or 0: the page
				   correlates tlb.invalidations with every column itself */
	const char *const *pair_head, *const *pair_rows;
	int nr_pairs;
	const char *victim_note;	/* non-NULL: no victims table, "Victims <note>." instead
					   (transport_victims_note: "not observable on ...") */
	const char *const *victim_head, *const *victim_rows;
	int victim_cols, nr_victims;
	const char *notes;	/* more findings (one paragraph), or NULL */
	const char *causes;	/* appended to the attribution's finding ("their causes (call
				   chains): munmap 80 %"), or NULL */
};
/* The latency column of m (see latency above): its index in m->cols, or -1. */
int html_latency_col(const struct html_model *m);
/* Is this column a confounder shown beside the bursts (vmstat THP, compaction, migration,
 * NUMA; sched run queue and pressure)? */
bool html_is_confounder(const char *name);
/*
 * A finished report model's series on the absolute grid (bin k covers [k x I, (k+1) x I)),
 * every bin from its first interval to its last (0 between): invalidations/s, bytes/s, the
 * burst flags and each interval's top processes with their comms. 0 (n 0 when there are no
 * intervals), -1 out of memory, -2 more than max bins.
 */
struct agg;
struct html_agg_series {
	int64_t first;
	size_t n;
	double *inv, *bytes;
	bool *burst;
	struct corr_top *top;
};
int html_agg_series(struct agg *a, uint64_t interval_ns, size_t max, struct html_agg_series *s);
void html_agg_series_free(struct html_agg_series *s);
/*
 * report --html: the page of a finished report model. side: a sampler side file or latency
 * CSV on the recording's clock (NULL or absent: none), its series binned onto the model's
 * grid. victim_note: why initiator -> victim pairs cannot be shown (NULL: they can).
 * 0, or -1 with err (a bad side file, out of memory).
 */
struct html_report_facts {
	const char *title, *subtitle;
	uint64_t interval_ns;
	int window, max_lag;
	double alpha;
	const char *side, *latency;
	const char *victim_note;
	const char *notes;
};
int html_report(FILE *f, struct agg *a, const struct html_report_facts *fx, char *err,
		size_t errlen);
/* Write the page. 0, or -1 with "out of memory" in err (write errors: the caller's, on f). */
int html_experiment(FILE *f, const struct html_model *m, char *err, size_t errlen);
#endif
