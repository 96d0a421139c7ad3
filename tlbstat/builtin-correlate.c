// SPDX-License-Identifier: GPL-2.0
/*
 * tlbstat correlate: do invalidation bursts go with latency, GPU or scheduler changes? Each
 * input is a recording (its invalidation series from report's model, lib/agg.c, on the
 * absolute grid: interval k covers [k * I, (k + 1) * I) in sample time) or a CSV time series
 * (tlbstat sample's output, a latency log). All columns are put on that grid, then every pair
 * is correlated (lib/correlate.c: Pearson, Spearman, the best lag, a circular-shift p-value).
 * Documentation/tlbstat-correlate.txt.
 */
#include "agg.h"
#include "builtin.h"
#include "correlate.h"
#include "csvts.h"
#include "html.h"
#include "outfile.h"
#include "output.h"
#include "parse-options.h"
#include "session.h"
#include "cause.h"
#include "perfdata.h"
#include "symbols.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/utsname.h>
#include <unistd.h>

#define CORR_MAX_BINS 100000	/* a day at 1 s; memory and the shift test grow with it */

static const char *const correlate_usage[] = {
	"tlbstat correlate [--stdio|--json|--csv] [--interval <dur>] [--max-lag <n>] "
	"[--clock monotonic|realtime] [--offset <secs>] [--html <file>] [--latency <column>] "
	"[--window <n>] <recording|csv>...",
	NULL,
};

struct corr_opts {
	uint64_t interval_ns;
	int max_lag;
	double alpha, offset_s;
	const char *clock, *output, *html, *latency;
	int window;
	bool json, csv, stdio;
};

/*
 * Causes (lib/cause.c) per absolute interval, when a recording has call chains: the flushes
 * of each cause name (at most CAUSES names; more go to "other"), interval by interval.
 */
#define CAUSES 16
struct causes {
	int nr;
	char name[CAUSES][24];
	int64_t base;		/* the bin of cnt[0] */
	size_t nbins;
	uint32_t (*cnt)[CAUSES];
};

/* One series on the grid. */
struct column {
	char *name;
	int input;
	double *v;		/* nbins values, NaN outside its input's span */
};

struct corr {
	struct corr_opts o;
	struct column *cols;
	int nr_cols;
	int64_t first_bin;
	size_t nbins;
	/* recordings are read before the grid is known: their intervals wait here */
	struct html_agg_series *recs;
	/* the first recording's bursts and top processes on the grid (attribution) */
	bool *burst;
	struct corr_top *top;
	struct causes causes;	/* the first recording's, when it has call chains */
	struct csvts *csvs;
	bool *is_rec;
	int nr_inputs;
};

static bool is_recording(const char *path)
{
	char magic[8];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool yes = fd >= 0 && read(fd, magic, 8) == 8 && !memcmp(magic, "PERFILE2", 8);

	if (fd >= 0)
		close(fd);
	return yes;
}

struct rec_ctx {
	struct agg *a;
	struct syms *ksyms;	/* NULL: no causes */
	uint64_t iv;
	struct causes *causes;
};

static int cause_index(struct causes *c, const char *name)
{
	for (int i = 0; i < c->nr; i++)
		if (!strcmp(c->name[i], name))
			return i;
	/* the last slot is "other": for it and for every name past the first CAUSES - 1 */
	if (c->nr >= CAUSES - 1) {
		snprintf(c->name[CAUSES - 1], sizeof(c->name[0]), "other");
		c->nr = CAUSES;
		return CAUSES - 1;
	}
	snprintf(c->name[c->nr], sizeof(c->name[0]), "%.23s", name);
	return c->nr++;
}

static void cause_count(struct rec_ctx *x, const struct tlb_event *ev)
{
	struct causes *c = x->causes;
	int64_t bin = (int64_t)(ev->time / x->iv);
	char buf[64];
	size_t at;

	if (!c->cnt)
		c->base = bin - 16;	/* a little room for events of other CPUs a bit earlier */
	if (bin < c->base || bin - c->base >= CORR_MAX_BINS)
		return;
	at = (size_t)(bin - c->base);
	if (at >= c->nbins) {
		size_t n = at + 1 > 2 * c->nbins ? at + 1 : 2 * c->nbins;

		c->cnt = xrealloc(c->cnt, n * sizeof(*c->cnt));
		memset(c->cnt + c->nbins, 0, (n - c->nbins) * sizeof(*c->cnt));
		c->nbins = n;
	}
	cause_of_chain(x->ksyms, ev->callchain, ev->nr_callchain,
		       agg_name_of(x->a, ev->pid, ev->tid), buf, sizeof(buf));
	c->cnt[at][cause_index(c, buf)]++;
}

static int on_event(void *ctx, const struct tlb_event *ev, const struct pd_attr *attr)
{
	struct rec_ctx *x = ctx;

	if (x->ksyms && ev->kind == EV_TLB_FLUSH && ev->nr_callchain)
		cause_count(x, ev);
	return agg_event(x->a, ev);
}

static int on_comm(void *ctx, pid_t pid, pid_t tid, const char *comm, uint64_t time)
{
	return agg_comm(((struct rec_ctx *)ctx)->a, pid, tid, comm, time);
}

static int on_fork(void *ctx, pid_t pid, pid_t ppid, pid_t tid, uint64_t time)
{
	return agg_fork(((struct rec_ctx *)ctx)->a, pid, ppid, tid, time);
}

static int on_exit_rec(void *ctx, pid_t pid, pid_t tid, uint64_t time)
{
	agg_exit(((struct rec_ctx *)ctx)->a, pid, tid, time);
	return 0;
}

static int on_round(void *ctx)
{
	return agg_round(((struct rec_ctx *)ctx)->a);
}

/* Does the recording carry call chains, and is it of this kernel (its frames nameable)? */
static struct syms *chain_syms(struct session *s, const char *path)
{
	struct pd_reader *rd = session_reader(s);
	const char *rel = session_osrelease(s);
	struct syms *k;
	struct utsname u;
	char err[256];
	bool chains = false;

	for (int i = 0; rd && i < pd_nr_attrs(rd); i++)
		chains |= !!(pd_attr(rd, i)->attr.sample_type & PERF_SAMPLE_CALLCHAIN);
	if (!chains)
		return NULL;
	if (rel && *rel && uname(&u) == 0 && strcmp(rel, u.release)) {
		tlb_warn("correlate: %s was recorded on Linux %s, this is %s: no causes per burst",
			 path, rel, u.release);
		return NULL;
	}
	k = syms_new(SYMS_TABLE);
	if (!k || syms_load_proc(k, err, sizeof(err)) < 0) {
		tlb_warn("correlate: %s: no causes per burst", k ? err : "out of memory");
		syms_free(k);
		return NULL;
	}
	return k;
}

static void set_span(struct agg *a, struct session *s)
{
	uint64_t first = session_first_time(s), last = session_last_time(s);

	if (first && last >= first)
		agg_set_span(a, first, last);
}

static int read_recording(const char *path, uint64_t iv, struct html_agg_series *rs,
			  struct causes *causes)
{
	struct session_ops ops = {
		.event = on_event, .comm = on_comm, .fork = on_fork, .exit = on_exit_rec,
		.round = on_round,
	};
	struct agg_config cfg = { .interval_ns = iv };
	char err[512] = "";
	struct session *s = session_open_file(path, err, sizeof(err));
	struct agg *a;
	struct rec_ctx x = { .iv = iv, .causes = causes };
	int rc = EXIT_FAIL;

	if (!s) {
		tlb_err("correlate: %s", err);
		return EXIT_FAIL;
	}
	x.ksyms = causes ? chain_syms(s, path) : NULL;
	a = x.a = agg_new(&cfg);
	if (!a)
		tlb_err("correlate: out of memory");
	else if (session_run(s, &ops, &x, NULL, NULL, err, sizeof(err)))
		tlb_err("correlate: %s: %s", path, err[0] ? err : "out of memory");
	else if (set_span(a, s), agg_finish(a) < 0)
		tlb_err("correlate: %s: out of memory", path);
	else if ((rc = html_agg_series(a, iv, CORR_MAX_BINS, rs)) == -2)
		tlb_err("correlate: %s spans more than %d intervals: use a longer --interval",
			path, CORR_MAX_BINS);
	else if (rc < 0)
		tlb_err("correlate: %s: out of memory", path);
	else if (!rs->n)
		tlb_err("correlate: %s: no invalidations: nothing to correlate", path);
	rc = rc || !rs->n ? EXIT_FAIL : EXIT_OK;
	syms_free(x.ksyms);
	agg_free(a);
	session_close(s);
	return rc;
}

/* --clock realtime: a wall-clock CSV moves onto the monotonic clock of this boot */
static int64_t csv_offset_ns(const struct corr_opts *o)
{
	int64_t off = (int64_t)llround(o->offset_s * 1e9);
	struct timespec rt, mono;

	if (!strcmp(o->clock, "realtime")) {
		clock_gettime(CLOCK_REALTIME, &rt);
		clock_gettime(CLOCK_MONOTONIC, &mono);
		off -= (int64_t)(rt.tv_sec - mono.tv_sec) * (int64_t)DUR_S +
		       (rt.tv_nsec - mono.tv_nsec);
	}
	return off;
}

/* The grid: every bin any input covers. EXIT_OK or EXIT_FAIL (said). */
static int make_grid(struct corr *c, int64_t off)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN;

	for (int i = 0; i < c->nr_inputs; i++) {
		int64_t a, b;

		if (c->is_rec[i]) {
			a = c->recs[i].first;
			b = a + (int64_t)c->recs[i].n - 1;
		} else if (c->csvs[i].nr_rows) {
			a = csvts_bin_of(c->csvs[i].time[0], off, c->o.interval_ns);
			b = csvts_bin_of(c->csvs[i].time[c->csvs[i].nr_rows - 1], off,
					 c->o.interval_ns);
		} else {
			continue;
		}
		lo = a < lo ? a : lo;
		hi = b > hi ? b : hi;
	}
	if (lo > hi) {
		tlb_err("correlate: the inputs have no rows");
		return EXIT_FAIL;
	}
	if ((uint64_t)(hi - lo) >= CORR_MAX_BINS) {
		tlb_err("correlate: the inputs span %llu intervals (more than %d): use a longer "
			"--interval, or check their clocks (--clock, --offset)",
			(unsigned long long)(hi - lo + 1), CORR_MAX_BINS);
		return EXIT_FAIL;
	}
	c->first_bin = lo;
	c->nbins = (size_t)(hi - lo + 1);
	return EXIT_OK;
}

static void add_column(struct corr *c, const char *name, int input, double *v)
{
	char buf[256];

	/* a name two inputs share gets the later input's number: "sched.ctx_switches@2" */
	snprintf(buf, sizeof(buf), "%s", name);
	for (int i = 0; i < c->nr_cols; i++)
		if (!strcmp(c->cols[i].name, buf))
			snprintf(buf, sizeof(buf), "%s@%d", name, input + 1);
	c->cols = xrealloc(c->cols, (c->nr_cols + 1) * sizeof(*c->cols));
	c->cols[c->nr_cols++] = (struct column){ xstrdup(buf), input, v };
}

static double *rec_on_grid(const struct corr *c, const struct html_agg_series *rs, const double *v)
{
	double *g = xmalloc(c->nbins * sizeof(*g));

	for (size_t b = 0; b < c->nbins; b++)
		g[b] = NAN;
	memcpy(g + (rs->first - c->first_bin), v, rs->n * sizeof(*v));
	return g;
}

static int fill_columns(struct corr *c, int64_t off)
{
	int nrec = 0;

	for (int i = 0; i < c->nr_inputs; i++) {
		char name[64];

		if (c->is_rec[i]) {
			nrec++;
			/* tlb.invalidations, then tlb2.invalidations for a second recording */
			if (nrec > 1)
				snprintf(name, sizeof(name), "tlb%d.invalidations", nrec);
			else
				snprintf(name, sizeof(name), "tlb.invalidations");
			add_column(c, name, i, rec_on_grid(c, &c->recs[i], c->recs[i].inv));
			strcpy(strrchr(name, '.') + 1, "bytes");
			add_column(c, name, i, rec_on_grid(c, &c->recs[i], c->recs[i].bytes));
			if (nrec == 1) {
				size_t at = (size_t)(c->recs[i].first - c->first_bin);

				c->burst = xcalloc(c->nbins, sizeof(*c->burst));
				c->top = xcalloc(c->nbins, sizeof(*c->top));
				memcpy(c->burst + at, c->recs[i].burst, c->recs[i].n * sizeof(bool));
				memcpy(c->top + at, c->recs[i].top, c->recs[i].n * sizeof(*c->top));
			}
			continue;
		}
		for (int k = 0; k < c->csvs[i].nr_cols; k++) {
			double *g = xmalloc(c->nbins * sizeof(*g));

			if (csvts_bin(&c->csvs[i], k, off, c->o.interval_ns, c->first_bin, c->nbins,
				      g))
				tlb_die(EXIT_FAIL, "correlate: out of memory");
			add_column(c, c->csvs[i].cols[k], i, g);
		}
	}
	return EXIT_OK;
}

struct pair {
	int a, b;
	struct corr_result r;
};

static int cmp_pair(const void *x, const void *y)
{
	const struct corr_result *p = &((const struct pair *)x)->r, *q = &((const struct pair *)y)->r;

	if (p->verdict != q->verdict)
		return p->verdict < q->verdict ? -1 : 1;
	if (isfinite(p->p_value) && isfinite(q->p_value) && p->p_value != q->p_value)
		return p->p_value < q->p_value ? -1 : 1;
	return fabs(p->best_r) > fabs(q->best_r) ? -1 : fabs(p->best_r) < fabs(q->best_r);
}

/* Pairs across inputs (within the one input when there is only one), most significant first. */
static struct pair *make_pairs(const struct corr *c, int *nr)
{
	struct pair *v = NULL;
	char err[128];

	*nr = 0;
	for (int i = 0; i < c->nr_cols; i++)
		for (int j = i + 1; j < c->nr_cols; j++) {
			if (c->nr_inputs > 1 && c->cols[i].input == c->cols[j].input)
				continue;
			v = xrealloc(v, (*nr + 1) * sizeof(*v));
			v[*nr].a = i;
			v[*nr].b = j;
			if (corr_pair(c->cols[i].v, c->cols[j].v, c->nbins, c->o.max_lag, c->o.alpha,
				      &v[*nr].r, err, sizeof(err)))
				tlb_die(EXIT_FAIL, "correlate: %s", err);
			(*nr)++;
		}
	if (*nr)
		qsort(v, *nr, sizeof(*v), cmp_pair);
	return v;
}

/* The plain-language summary: what is significant, or why nothing can be said. */
static void finding(const struct corr *c, const struct pair *p, int nr, char *buf, size_t len)
{
	int sig = 0, short_ = 0, konst = 0;
	size_t n = 0;

	for (int i = 0; i < nr; i++) {
		sig += p[i].r.verdict == CORR_SIGNIFICANT;
		short_ += p[i].r.verdict == CORR_TOO_SHORT;
		konst += p[i].r.verdict == CORR_CONSTANT;
	}
	n += snprintf(buf + n, len - n, "%d of %d pairs significant at %g %% (circular-shift test "
		      "of the largest |r| over lags -%d..%d)", sig, nr, c->o.alpha * 100, c->o.max_lag,
		      c->o.max_lag);
	if (sig && n < len) {
		const struct pair *b = &p[0];
		int lag = b->r.best_lag;

		n += snprintf(buf + n, len - n, "; strongest: %s %s %s%s%.0d%s (r %.2f, p %.3f)",
			      c->cols[lag >= 0 ? b->a : b->b].name, lag ? "leads" : "moves with",
			      c->cols[lag >= 0 ? b->b : b->a].name, lag ? " by " : "", abs(lag),
			      lag ? (abs(lag) == 1 ? " interval" : " intervals") : "", b->r.best_r,
			      b->r.p_value);
	} else if (n < len) {
		n += snprintf(buf + n, len - n, "; no evidence of a relation at this interval");
	}
	if (short_ && n < len)
		n += snprintf(buf + n, len - n, "; %d too short (fewer than %d intervals with both "
			      "values, or too few for the test to reach %g %%)", short_, CORR_MIN_N,
			      c->o.alpha * 100);
	if (konst && n < len)
		snprintf(buf + n, len - n, "; %d with a constant series", konst);
}

static void write_series(FILE *f, const struct corr *c)
{
	fputs("time", f);
	for (int i = 0; i < c->nr_cols; i++) {
		fputc(',', f);
		csv_field(f, c->cols[i].name);
	}
	fputc('\n', f);
	for (size_t b = 0; b < c->nbins; b++) {
		fprintf(f, "%.9f", (double)(c->first_bin + (int64_t)b) * c->o.interval_ns / 1e9);
		for (int i = 0; i < c->nr_cols; i++)
			if (isfinite(c->cols[i].v[b]))
				fprintf(f, ",%.15g", c->cols[i].v[b]);
			else
				fputc(',', f);
		fputc('\n', f);
	}
}

struct attribution;
static void json_attribution(struct json_writer *w, const struct corr *c,
			     const struct attribution *at);

static void write_json(FILE *f, const struct corr *c, const struct pair *p, int nr,
		       const char *find, char **inputs, const struct attribution *at)
{
	struct json_writer w;

	json_init(&w, f, false);
	json_object_begin(&w, NULL);
	json_int(&w, "schema_version", 1);
	json_double(&w, "interval_s", c->o.interval_ns / 1e9);
	json_int(&w, "max_lag", c->o.max_lag);
	json_double(&w, "alpha", c->o.alpha);
	json_string(&w, "test", "circular shift");
	json_double(&w, "first_s", (double)c->first_bin * c->o.interval_ns / 1e9);
	json_uint(&w, "intervals", c->nbins);
	json_array_begin(&w, "inputs");
	for (int i = 0; i < c->nr_inputs; i++) {
		json_object_begin(&w, NULL);
		json_string(&w, "path", inputs[i]);
		json_string(&w, "kind", c->is_rec[i] ? "recording" : "csv");
		json_array_begin(&w, "columns");
		for (int k = 0; k < c->nr_cols; k++)
			if (c->cols[k].input == i)
				json_string(&w, NULL, c->cols[k].name);
		json_array_end(&w);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_array_begin(&w, "pairs");
	for (int i = 0; i < nr; i++) {
		json_object_begin(&w, NULL);
		json_string(&w, "a", c->cols[p[i].a].name);
		json_string(&w, "b", c->cols[p[i].b].name);
		json_uint(&w, "n", p[i].r.n);
		json_double(&w, "pearson", p[i].r.pearson);
		json_double(&w, "spearman", p[i].r.spearman);
		json_int(&w, "best_lag", p[i].r.best_lag);
		json_double(&w, "best_r", p[i].r.best_r);
		json_double(&w, "p_value", p[i].r.p_value);
		json_int(&w, "shifts", p[i].r.nr_shifts);
		json_string(&w, "verdict", corr_verdict_name(p[i].r.verdict));
		json_object_end(&w);
	}
	json_array_end(&w);
	json_string(&w, "finding", find);
	json_attribution(&w, c, at);
	json_object_end(&w);
	json_finish(&w);
}

static void write_table(FILE *f, const struct corr *c, const struct pair *p, int nr,
			const char *find, const char *attribution)
{
	static const struct out_col cols[] = {
		{ "A", 0, OUT_LEFT }, { "B", 0, OUT_LEFT }, { "N", 6 }, { "PEARSON", 8 },
		{ "SPEARMAN", 9 }, { "LAG", 4 }, { "R@LAG", 7 }, { "P", 7 },
		{ "VERDICT", 0, OUT_LEFT },
	};
	struct out_table t;
	int wa = 1, wb = 1;
	struct out_col wide[ARRAY_SIZE(cols)];

	for (int i = 0; i < nr; i++) {
		int la = strlen(c->cols[p[i].a].name), lb = strlen(c->cols[p[i].b].name);

		wa = la > wa ? la : wa;
		wb = lb > wb ? lb : wb;
	}
	memcpy(wide, cols, sizeof(cols));
	wide[0].width = wa;
	wide[1].width = wb;
	fprintf(f, "%zu intervals of %g s; LAG > 0: A leads B by that many intervals\n\n",
		c->nbins, c->o.interval_ns / 1e9);
	out_table_init(&t, f, OUT_TABLE, "", wide, ARRAY_SIZE(wide));
	out_table_header(&t);
	for (int i = 0; i < nr; i++) {
		const struct corr_result *r = &p[i].r;

		out_cell(&t, c->cols[p[i].a].name);
		out_cell(&t, c->cols[p[i].b].name);
		out_cell_u64(&t, r->n);
		out_cell_double(&t, r->pearson, 3);
		out_cell_double(&t, r->spearman, 3);
		out_cell_int(&t, r->best_lag);
		out_cell_double(&t, r->best_r, 3);
		out_cell_double(&t, r->p_value, 3);
		out_cell(&t, corr_verdict_name(r->verdict));
		out_row_end(&t);
	}
	if (attribution)
		fprintf(f, "\nBurst attribution: %s.\n", attribution);
	fprintf(f, "\n%s.\n", find);
}

static int correlate_options(int argc, char **argv, struct corr_opts *o)
{
	const struct option_def opts[] = {
		OPT_DURATION(0, "interval", &o->interval_ns, DUR_S, DUR_MS, DUR_D,
			     "the grid's interval (default 1s; 500ms, 2m; 1ms to 1d)"),
		OPT_INTEGER(0, "max-lag", &o->max_lag, "n",
			    "lags searched, in intervals either way (default 5; at most a quarter "
			    "of the series)"),
		OPT_DBL(0, "alpha", &o->alpha, "p", "significance level (default 0.05)"),
		OPT_STR(0, "clock", &o->clock, "clock",
			"the CSV inputs' time column: monotonic (the perf clock, default) or "
			"realtime (wall clock of this boot)"),
		OPT_DBL(0, "offset", &o->offset_s, "secs", "add this to the CSV inputs' times"),
		OPT_BOOLEAN_FLAG(0, "stdio", &o->stdio, "a table of the pairs (the default)",
				 PARSE_OPT_EXCLUSIVE),
		OPT_BOOLEAN_FLAG(0, "json", &o->json, "one JSON object (pairs and finding)",
				 PARSE_OPT_EXCLUSIVE),
		OPT_BOOLEAN_FLAG(0, "csv", &o->csv, "the aligned series as CSV on the grid",
				 PARSE_OPT_EXCLUSIVE),
		OPT_STR('o', "output", &o->output, "file", "write the output to a file"),
		OPT_STR(0, "html", &o->html, "file",
			"also write a self-contained HTML report with SVG charts here"),
		OPT_STR(0, "latency", &o->latency, "column",
			"the latency series for burst attribution (default: the first column "
			"whose name has p99)"),
		OPT_INTEGER(0, "window", &o->window, "n",
			    "attribution: bursts up to this many intervals before a spike (default 2)"),
		OPT_FINISH(),
	};
	int argi = parse_options(argc, argv, opts, correlate_usage, true);

	if (argi < 0)
		return argi;
	if (strcmp(o->clock, "monotonic") && strcmp(o->clock, "realtime")) {
		tlb_err("correlate: --clock is monotonic or realtime, not '%s'", o->clock);
		return PARSE_OPT_USAGE;
	}
	if (o->max_lag < 0 || o->max_lag > 10000) {
		tlb_err("correlate: --max-lag is 0 to 10000");
		return PARSE_OPT_USAGE;
	}
	if (!(o->alpha > 0 && o->alpha <= 0.5)) {
		tlb_err("correlate: --alpha is above 0 and at most 0.5");
		return PARSE_OPT_USAGE;
	}
	if (o->window < 0 || o->window > 1000) {
		tlb_err("correlate: --window is 0 to 1000 intervals");
		return PARSE_OPT_USAGE;
	}
	if (o->html && o->csv) {
		tlb_err("correlate: --html goes with the table or --json, not --csv");
		return PARSE_OPT_USAGE;
	}
	if (o->html && o->output && (!strcmp(o->html, o->output) ||
				     outfile_same(o->html, o->output))) {
		tlb_err("correlate: -o and --html name the same file %s", o->html);
		return PARSE_OPT_USAGE;
	}
	if (!isfinite(o->offset_s)) {
		tlb_err("correlate: --offset is a number of seconds");
		return PARSE_OPT_USAGE;
	}
	if (argi >= argc) {
		tlb_err("correlate: name at least one input (a recording or a CSV time series)");
		return PARSE_OPT_USAGE;
	}
	return argi;
}

/*
 * The inputs as named, each recording followed by its side file "<recording>.samples.csv"
 * (record --sample) when there is one. A malloc'd array of malloc'd paths; *nr of them.
 */
static char **expand_inputs(int argc, char **argv, int *nr)
{
	char **v = xcalloc(2 * argc, sizeof(*v)), *side;

	*nr = 0;
	for (int i = 0; i < argc; i++) {
		v[(*nr)++] = xstrdup(argv[i]);
		if (!is_recording(argv[i]) || asprintf(&side, "%s.samples.csv", argv[i]) < 0)
			continue;
		if (access(side, R_OK) == 0)
			v[(*nr)++] = side;
		else
			free(side);
	}
	return v;
}

static int read_inputs(struct corr *c, char **inputs)
{
	char err[512];
	int nrec = 0;

	c->recs = xcalloc(c->nr_inputs, sizeof(*c->recs));
	c->csvs = xcalloc(c->nr_inputs, sizeof(*c->csvs));
	c->is_rec = xcalloc(c->nr_inputs, sizeof(*c->is_rec));
	for (int i = 0; i < c->nr_inputs; i++) {
		c->is_rec[i] = is_recording(inputs[i]);
		if (c->is_rec[i]) {
			if (read_recording(inputs[i], c->o.interval_ns, &c->recs[i],
					   nrec++ ? NULL : &c->causes))
				return EXIT_FAIL;
		} else if (csvts_read(&c->csvs[i], inputs[i], err, sizeof(err))) {
			tlb_err("correlate: %s", err);
			return EXIT_FAIL;
		}
	}
	return EXIT_OK;
}

static void corr_free(struct corr *c)
{
	for (int i = 0; i < c->nr_cols; i++) {
		free(c->cols[i].name);
		free(c->cols[i].v);
	}
	for (int i = 0; i < c->nr_inputs; i++) {
		if (c->recs)
			html_agg_series_free(&c->recs[i]);
		if (c->csvs)
			csvts_free(&c->csvs[i]);
	}
	free(c->cols);
	free(c->causes.cnt);
	free(c->burst);
	free(c->top);
	free(c->recs);
	free(c->csvs);
	free(c->is_rec);
}

/* Burst attribution: latency spikes against the first recording's bursts (lib/correlate.c). */
struct attribution {
	int lat;			/* the latency column, -1: none (or no recording) */
	struct corr_spikes s;
	struct corr_proc *blame;
	int nr_blame;
	double total;
	char text[1536];
	double causes[CAUSES];	/* flushes by cause in the bursts before spikes */
	char causes_text[300];	/* "their causes (call chains): ...", or "" */
	bool has_causes;
};

/* Flushes by cause in grid interval b, added to out[]; false when the recording had none. */
static bool causes_of_bin(const struct corr *c, size_t b, double *out)
{
	int64_t at = c->first_bin + (int64_t)b - c->causes.base;

	if (!c->causes.cnt)
		return false;
	if (at >= 0 && (size_t)at < c->causes.nbins)
		for (int k = 0; k < c->causes.nr; k++)
			out[k] += c->causes.cnt[at][k];
	return true;
}

/* "munmap 80 %, fault 15 %, ..." of v[] (the first max causes by count) into buf */
static void causes_text(const struct corr *c, const double *v, int max, char *buf, size_t len)
{
	bool used[CAUSES] = { false };
	double total = 0;
	size_t o = 0;

	buf[0] = '\0';
	for (int k = 0; k < c->causes.nr; k++)
		total += v[k];
	for (int n = 0; n < max && total > 0 && o < len; n++) {
		int best = -1;

		for (int k = 0; k < c->causes.nr; k++)
			if (!used[k] && v[k] > 0 && (best < 0 || v[k] > v[best]))
				best = k;
		if (best < 0)
			break;
		used[best] = true;
		o += snprintf(buf + o, len - o, "%s%s %.0f %%", n ? ", " : "", c->causes.name[best],
			      100 * v[best] / total);
	}
}

static void model_of(const struct corr *c, struct html_model *m, struct html_series *cols)
{
	for (int i = 0; i < c->nr_cols; i++)
		cols[i] = (struct html_series){ c->cols[i].name, c->cols[i].v };
	*m = (struct html_model){
		.title = "tlbstat correlate", .t0 = (double)c->first_bin * c->o.interval_ns / 1e9,
		.interval = c->o.interval_ns / 1e9, .n = c->nbins, .burst = c->burst,
		.top = c->top, .cols = cols, .nr_cols = c->nr_cols, .latency = c->o.latency,
		.window = c->o.window, .max_lag = c->o.max_lag, .alpha = c->o.alpha,
	};
}

/* EXIT_OK, or EXIT_USAGE when --latency names no column (said). */
static int attribute(const struct corr *c, struct attribution *at)
{
	struct html_series *cols = xcalloc(c->nr_cols, sizeof(*cols));
	struct html_model m;
	char err[128];

	memset(at, 0, sizeof(*at));
	model_of(c, &m, cols);
	at->lat = html_latency_col(&m);
	free(cols);
	if (at->lat < 0 && c->o.latency) {
		tlb_err("correlate: --latency %s: no such column (correlate --csv lists them)",
			c->o.latency);
		return EXIT_USAGE;
	}
	if (at->lat < 0 || !c->burst) {
		at->lat = -1;
		return EXIT_OK;
	}
	if (corr_spikes(c->cols[at->lat].v, c->burst, c->nbins, c->o.window, 3, c->o.alpha, &at->s,
			err, sizeof(err)) ||
	    corr_blame(&at->s, c->burst, c->top, c->nbins, &at->blame, &at->nr_blame, &at->total))
		tlb_die(EXIT_FAIL, "correlate: out of memory");
	corr_spikes_text(&at->s, c->cols[at->lat].name, at->blame, at->nr_blame, at->total,
			 at->text, sizeof(at->text));
	if (c->causes.cnt) {
		/* the bursts before preceded spikes, each once, as corr_blame counts them */
		bool *seen = xcalloc(c->nbins + 1, sizeof(*seen));
		char buf[256];
		size_t o = strlen(at->text);

		at->has_causes = true;
		for (size_t i = 0; i < at->s.nr_spikes; i++)
			for (int d = 0; d <= at->s.window && (size_t)d <= at->s.spike[i]; d++) {
				size_t b = at->s.spike[i] - d;

				if (c->burst[b] && !seen[b]) {
					seen[b] = true;
					causes_of_bin(c, b, at->causes);
				}
			}
		free(seen);
		causes_text(c, at->causes, 3, buf, sizeof(buf));
		/* only beside a sentence about preceded spikes (not "too short") */
		if (buf[0] && at->s.nr_preceded && (at->s.verdict == CORR_SIGNIFICANT ||
						    at->s.verdict == CORR_NOT_SIGNIFICANT))
			snprintf(at->causes_text, sizeof(at->causes_text),
				 "their causes (call chains): %s", buf);
		if (at->causes_text[0] && o < sizeof(at->text))
			snprintf(at->text + o, sizeof(at->text) - o, "; %s", at->causes_text);
	}
	return EXIT_OK;
}

static double t_of(const struct corr *c, size_t b)
{
	return (double)(c->first_bin + (int64_t)b) * c->o.interval_ns / 1e9;
}

static void json_procs(struct json_writer *w, const struct corr_proc *p, int n, double total)
{
	for (int i = 0; i < n; i++) {
		json_object_begin(w, NULL);
		json_int(w, "pid", p[i].pid);
		json_string(w, "comm", p[i].comm);
		json_double(w, "invalidations", p[i].n);
		if (total > 0)
			json_double(w, "share", p[i].n / total);
		json_object_end(w);
	}
}

/* [{cause, flushes}] by flushes descending, the causes with any */
static void json_causes(struct json_writer *w, const struct corr *c, const double *v)
{
	bool used[CAUSES] = { false };

	for (;;) {
		int best = -1;

		for (int k = 0; k < c->causes.nr; k++)
			if (!used[k] && v[k] > 0 && (best < 0 || v[k] > v[best]))
				best = k;
		if (best < 0)
			return;
		used[best] = true;
		json_object_begin(w, NULL);
		json_string(w, "cause", c->causes.name[best]);
		json_double(w, "flushes", v[best]);
		json_object_end(w);
	}
}

static void json_attribution(struct json_writer *w, const struct corr *c,
			     const struct attribution *at)
{
	const struct corr_spikes *s = &at->s;
	int conf[64], nc = 0;

	if (at->lat < 0) {
		json_null(w, "attribution");
		return;
	}
	for (int i = 0; i < c->nr_cols && nc < 64; i++)
		if (html_is_confounder(c->cols[i].name))
			conf[nc++] = i;
	json_object_begin(w, "attribution");
	json_string(w, "latency", c->cols[at->lat].name);
	json_int(w, "window", s->window);
	json_double(w, "median", s->median);
	json_double(w, "mad", s->mad);
	json_double(w, "threshold", s->threshold);
	json_uint(w, "intervals", s->n);
	json_uint(w, "bursts", s->nr_bursts);
	json_uint(w, "spikes", s->nr_spikes);
	json_uint(w, "preceded", s->nr_preceded);
	json_int(w, "common_lag", s->common_lag);
	json_double(w, "chance", s->chance);
	json_double(w, "p_value", s->p_value);
	json_int(w, "shifts", s->nr_shifts);
	json_string(w, "verdict", corr_verdict_name(s->verdict));
	json_string(w, "finding", at->text);
	json_array_begin(w, "processes");
	json_procs(w, at->blame, at->nr_blame, at->total);
	json_array_end(w);
	if (at->has_causes) {
		json_array_begin(w, "causes");
		json_causes(w, c, at->causes);
		json_array_end(w);
	}
	json_array_begin(w, "confounders");
	for (int k = 0; k < nc; k++) {
		double med, mad;

		corr_median_mad(c->cols[conf[k]].v, c->nbins, &med, &mad);
		json_object_begin(w, NULL);
		json_string(w, "name", c->cols[conf[k]].name);
		json_double(w, "median", med);
		json_object_end(w);
	}
	json_array_end(w);
	json_array_begin(w, "spike_list");
	for (size_t i = 0; i < s->nr_spikes; i++) {
		size_t t = s->spike[i];

		json_object_begin(w, NULL);
		json_double(w, "t_s", t_of(c, t));
		json_double(w, "value", c->cols[at->lat].v[t]);
		json_int(w, "lag", s->lag[i]);
		json_array_begin(w, "bursts");
		for (int d = 0; d <= s->window && (size_t)d <= t; d++) {
			size_t b = t - d;
			int np = 0;

			if (!c->burst[b])
				continue;
			json_object_begin(w, NULL);
			json_double(w, "t_s", t_of(c, b));
			json_int(w, "lag", d);
			json_double(w, "invalidations", c->top[b].events);
			json_array_begin(w, "processes");
			while (np < CORR_TOP && c->top[b].p[np].n > 0)
				np++;
			json_procs(w, c->top[b].p, np, c->top[b].events);
			json_array_end(w);
			if (at->has_causes) {
				double v[CAUSES] = { 0 };

				causes_of_bin(c, b, v);
				json_array_begin(w, "causes");
				json_causes(w, c, v);
				json_array_end(w);
			}
			json_object_end(w);
		}
		json_array_end(w);
		json_object_begin(w, "confounders");
		for (int k = 0; k < nc; k++)
			json_double(w, c->cols[conf[k]].name, c->cols[conf[k]].v[t]);
		json_object_end(w);
		json_object_end(w);
	}
	json_array_end(w);
	json_object_end(w);
}

/* The pairs as the HTML page's correlation table: 9 cells a row, in one malloc'd block. */
static char **pair_cells(const struct corr *c, const struct pair *p, int nr)
{
	char **cells = xcalloc((size_t)nr * 9 + 1, sizeof(*cells));

	for (int i = 0; i < nr; i++) {
		const struct corr_result *r = &p[i].r;
		char **row = cells + (size_t)i * 9;
		const double v[] = { r->pearson, r->spearman, r->best_r, r->p_value };

		row[0] = xstrdup(c->cols[p[i].a].name);
		row[1] = xstrdup(c->cols[p[i].b].name);
		if (asprintf(&row[2], "%zu", r->n) < 0 || asprintf(&row[5], "%d", r->best_lag) < 0)
			tlb_die(EXIT_FAIL, "correlate: out of memory");
		for (int k = 0; k < 4; k++) {
			char **dst = &row[k < 2 ? 3 + k : 4 + k];

			if ((isfinite(v[k]) ? asprintf(dst, "%.3f", v[k]) :
					      asprintf(dst, "-")) < 0)
				tlb_die(EXIT_FAIL, "correlate: out of memory");
		}
		row[8] = xstrdup(corr_verdict_name(r->verdict));
	}
	return cells;
}

static int write_html(const struct corr *c, const struct pair *p, int nr, const char *find,
		      char **inputs, const struct attribution *at)
{
	static const char *const head[] = {
		"A", "B", "N", "Pearson", "Spearman", "lag", "r at lag", "p", "verdict",
	};
	struct html_series *cols = xcalloc(c->nr_cols + 1, sizeof(*cols));
	struct html_model m;
	char **cells = pair_cells(c, p, nr), err[512], *sub = NULL, *notes = NULL;
	size_t len = 0;
	FILE *f, *sf = open_memstream(&sub, &len);
	int rc = EXIT_OK;

	if (!sf)
		tlb_die(EXIT_FAIL, "correlate: out of memory");
	fprintf(sf, "%zu intervals of %g s from %.3f s; inputs:", c->nbins, c->o.interval_ns / 1e9,
		t_of(c, 0));
	for (int i = 0; i < c->nr_inputs; i++)
		fprintf(sf, " %s (%s)", inputs[i], c->is_rec[i] ? "recording" : "CSV");
	fclose(sf);
	if (asprintf(&notes, "Correlations: %s.", find) < 0)
		tlb_die(EXIT_FAIL, "correlate: out of memory");
	model_of(c, &m, cols);
	m.subtitle = sub;
	m.notes = notes;
	m.causes = at->causes_text[0] ? at->causes_text : NULL;
	m.pair_cols = 9;
	m.pair_head = head;
	m.pair_rows = (const char *const *)cells;
	m.nr_pairs = nr;
	for (int i = 0; i < c->nr_cols; i++)
		if (!strcmp(c->cols[i].name, "tlb.invalidations"))
			m.inv = c->cols[i].v;
		else if (!strcmp(c->cols[i].name, "tlb.bytes"))
			m.bytes = c->cols[i].v;
	f = outfile_fopen(c->o.html, err, sizeof(err));
	if (!f) {
		tlb_err("correlate: %s", err);
		rc = EXIT_FAIL;
	} else {
		if (html_experiment(f, &m, err, sizeof(err)))
			tlb_die(EXIT_FAIL, "correlate: %s", err);
		if (outfile_close(f, c->o.html, err, sizeof(err))) {
			tlb_err("correlate: %s", err);
			rc = EXIT_FAIL;
		}
	}
	for (size_t i = 0; i < (size_t)nr * 9; i++)
		free(cells[i]);
	free(cells);
	free(cols);
	free(sub);
	free(notes);
	return rc;
}

static int write_output(struct corr *c, char **inputs)
{
	char find[1024], err[512];
	FILE *f = stdout;
	struct pair *p = NULL;
	struct attribution at = { .lat = -1 };
	int nr = 0, rc = EXIT_OK;

	if (!c->o.csv) {
		p = make_pairs(c, &nr);
		finding(c, p, nr, find, sizeof(find));
		rc = attribute(c, &at);
		if (rc) {
			free(p);
			return rc;
		}
	}
	if (c->o.output) {
		f = outfile_fopen(c->o.output, err, sizeof(err));
		if (!f) {
			tlb_err("correlate: %s", err);
			goto out;
		}
	}
	if (c->o.csv)
		write_series(f, c);
	else if (c->o.json)
		write_json(f, c, p, nr, find, inputs, &at);
	else
		write_table(f, c, p, nr, find, at.lat >= 0 ? at.text : NULL);
	if (f != stdout && outfile_close(f, c->o.output, err, sizeof(err))) {
		tlb_err("correlate: %s", err);
		rc = EXIT_FAIL;
	}
	if (c->o.html && write_html(c, p, nr, find, inputs, &at))
		rc = EXIT_FAIL;
out:
	if (f == NULL)
		rc = EXIT_FAIL;
	free(p);
	free(at.blame);
	corr_spikes_free(&at.s);
	return rc;
}

int cmd_correlate(int argc, char **argv)
{
	struct corr c = { .o = { .interval_ns = DUR_S, .max_lag = 5, .alpha = 0.05,
				 .clock = "monotonic", .window = 2 } };
	int argi = correlate_options(argc, argv, &c.o), rc;
	int64_t off;
	char **inputs;

	if (argi < 0)
		return parse_options_exit(argi);
	inputs = expand_inputs(argc - argi, argv + argi, &c.nr_inputs);
	off = csv_offset_ns(&c.o);
	rc = read_inputs(&c, inputs);
	if (!rc)
		rc = make_grid(&c, off);
	if (!rc)
		rc = fill_columns(&c, off);
	if (!rc && c.nr_cols < 2) {
		tlb_err("correlate: one series only (%s): correlate needs two columns", c.cols[0].name);
		rc = EXIT_USAGE;
	}
	if (!rc)
		rc = write_output(&c, inputs);
	corr_free(&c);
	for (int i = 0; i < c.nr_inputs; i++)
		free(inputs[i]);
	free(inputs);
	return rc;
}
