/*
 * One counting model: report's aggregator (agg.h) and top's model (topview.h) fed with the same
 * recorded stream must agree on every total they both keep (per process and for the node), and
 * top's batch output of one recording must stay byte-identical to a golden file written before
 * the counting rules moved into one module (tests/data/README.md says how).
 */
#include "agg.h"
#include "event.h"
#include "perfdata.h"
#include "session.h"
#include "tap.h"
#include "topview.h"
#include "util.h"

#include <stdlib.h>
#include <traceevent/event-parse.h>

#define DATA "tests/data/"
#define TOP_GOLDEN DATA "golden/top-tlbstat-ipi.batch"

/* Both models count into count.h's struct: compare all of it (reasons and max fan-out too). */
struct both {
	uint64_t v[sizeof(struct count_counts) / sizeof(uint64_t)];
};

struct feed {
	struct agg *agg;
	struct top_model *top;
};

static struct both from_counts(const struct count_counts *c)
{
	struct both b;

	memcpy(&b, c, sizeof(b));
	return b;
}

static bool both_zero(const struct both *b)
{
	static const struct both zero;

	return !memcmp(b, &zero, sizeof(zero));
}

/* ---------------- the session adapter (the one place that knows session_ops) ---------------- */

static void on_event(void *ctx, const struct tlb_event *ev)
{
	struct feed *f = ctx;

	agg_event(f->agg, ev);
	top_model_event(f->top, ev);
}

static void on_comm(void *ctx, pid_t pid, pid_t tid, const char *comm, uint64_t time)
{
	struct feed *f = ctx;

	agg_comm(f->agg, pid, tid, comm, time);
	top_model_comm(f->top, pid, tid, comm);
}

static void on_fork(void *ctx, pid_t pid, pid_t ppid, pid_t tid, uint64_t time)
{
	agg_fork(((struct feed *)ctx)->agg, pid, ppid, tid, time);
}

static void on_exit_rec(void *ctx, pid_t pid, pid_t tid, uint64_t time)
{
	agg_exit(((struct feed *)ctx)->agg, pid, tid, time);
}

static void on_lost(void *ctx, uint64_t nr)
{
	struct feed *f = ctx;

	agg_lost(f->agg, nr);
	top_model_lost(f->top, nr);
}

static void on_round(void *ctx)
{
	agg_round(((struct feed *)ctx)->agg);
}

static void on_raw(void *ctx, const struct perf_event_header *hdr)
{
	if (hdr->type == PERF_RECORD_FINISHED_ROUND)
		agg_round(((struct feed *)ctx)->agg);
}

/* Read a recording into both models; top's one interval spans the whole file. */
static int feed_file(const char *path, struct feed *f, double *secs)
{
	struct session_ops ops = {
		.event = on_event, .comm = on_comm, .fork = on_fork, .exit = on_exit_rec,
		.lost = on_lost, .raw = on_raw, .round = on_round,
	};
	struct agg_config acfg = { .interval_ns = 1000000000ULL };
	struct top_config tcfg = { 0 };
	char err[512];
	struct session *s = session_open_file(path, err, sizeof(err));
	int rc;

	if (!s) {
		printf("# %s: %s\n", path, err);
		return -1;
	}
	acfg.page_size = tcfg.page_size = tep_get_page_size(session_tep(s));
	tcfg.nr_cpus = session_nr_cpus(s);
	f->agg = agg_new(&acfg);
	f->top = top_model_new(&tcfg);
	rc = session_run(s, &ops, f, NULL, 0, err, sizeof(err));
	if (rc < 0)
		printf("# %s: %s\n", path, err);
	agg_finish(f->agg);
	*secs = (double)(session_last_time(s) - session_first_time(s)) / 1e9;
	top_model_close(f->top, *secs);
	session_close(s);
	return rc;
}

/* ---------------- equal totals ---------------- */

static int diff_both(const char *what, long id, const struct both *a, const struct both *t)
{
	static const char *const names[] = { "events", "task_switch", "remote_shootdown",
		"local_shootdown", "local_mm_shootdown", "remote_ipi_send", "remote_wrong_cpu", "pages",
		"full_flushes", "remote_sends", "ipis", "ipi_targets", "max_fanout", "victim_hits" };

	_Static_assert(ARRAY_SIZE(names) == ARRAY_SIZE(a->v), "one name per count");
	if (!memcmp(a, t, sizeof(*a)))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(a->v); i++)
		if (a->v[i] != t->v[i])
			printf("#   %s %ld: %s agg %llu, top %llu\n", what, id, names[i],
			       (unsigned long long)a->v[i], (unsigned long long)t->v[i]);
	return 1;
}

/* Every process with counts in one model has the same counts in the other. */
static void check_processes(const char *name, struct feed *f)
{
	struct agg_task **pv;
	struct top_task **tv;
	int np = agg_processes(f->agg, AGG_SORT_PID, &pv), nt, bad = 0, active = 0;

	for (int i = 0; i < np; i++) {
		struct both a = from_counts(&pv[i]->total), t = { 0 };
		struct top_task *tp = top_model_find_process(f->top, pv[i]->pid);

		if (tp)
			t = from_counts(&tp->last.cnt);
		active += !both_zero(&a);
		bad += diff_both("pid", (long)pv[i]->pid, &a, &t);
	}
	nt = top_model_rows(f->top, TOP_SORT_RATE, 0, NULL, 0, 0, &tv);
	for (int i = 0; i < nt; i++) {
		struct both t = from_counts(&tv[i]->last.cnt);

		if (!both_zero(&t) && !agg_find_process(f->agg, tv[i]->pid))
			bad += diff_both("pid (top only)", (long)tv[i]->pid, &(struct both){ 0 }, &t);
	}
	ok(active > 1, "%s: several processes with counts (%d)", name, active);
	is_int(bad, 0, "%s: every process's totals equal in report's and top's model", name);
	free(pv);
	free(tv);
}

static void check_node(const char *name, struct feed *f)
{
	const struct agg_totals *tot = agg_totals(f->agg);
	struct top_node n;
	struct both a = from_counts(&tot->all), t;

	top_model_node(f->top, &n);
	t = from_counts(&n.c.cnt);
	is_int(diff_both("node", 0, &a, &t), 0, "%s: node totals equal (%llu invalidations, %llu "
	       "requests, %llu targets)", name, (unsigned long long)tot->all.events,
	       (unsigned long long)tot->all.ipis, (unsigned long long)tot->all.ipi_targets);
	is_int(n.lost_total, tot->lost, "%s: lost equal", name);
}

/* ---------------- top's batch output ---------------- */

/* The thread rows of the busiest process, as top's thread view shows them. */
static void print_threads(FILE *mf, struct top_model *m, const struct top_render *r)
{
	struct top_task **pv, **tv;
	struct top_node n;
	char buf[512];
	int np = top_model_rows(m, r->sort, 0, NULL, 0, 1, &pv), nt;

	top_model_node(m, &n);
	top_fmt_columns(buf, sizeof(buf), r, true);
	fprintf(mf, "%s\n", buf);
	nt = np ? top_model_rows(m, r->sort, pv[0]->pid, NULL, 0, 0, &tv) : 0;
	for (int i = 0; i < nt; i++) {
		top_fmt_row(buf, sizeof(buf), tv[i], &n, r, NULL, NULL);
		fprintf(mf, "%s\n", buf);
	}
	if (np)
		free(tv);
	free(pv);
}

static void check_top_golden(struct feed *f)
{
	struct top_render r = { .sort = TOP_SORT_RATE, .victims_observable = true,
				.transport = "IPI", .width = 100 };
	char *out = NULL, *want;
	size_t len = 0;
	FILE *mf = open_memstream(&out, &len);

	top_print_batch(mf, "golden", f->top, &r, NULL, 0, 0);
	print_threads(mf, f->top, &r);
	fclose(mf);
	want = read_file(TOP_GOLDEN, NULL);
	ok(want && !strcmp(out, want), "top batch output of tlbstat-ipi.data as %s", TOP_GOLDEN);
	if (want && strcmp(out, want))
		printf("# got:\n%s", out);
	free(want);
	free(out);
}

int main(void)
{
	static const char *const files[] = { "perf-tlb-pvm.data", "tlbstat-ipi.data", "perf-ipi.data" };

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char path[256];
		struct feed f = { 0 };
		double secs;

		snprintf(path, sizeof(path), DATA "%s", files[i]);
		is_int(feed_file(path, &f, &secs), 0, "%s read", files[i]);
		check_node(files[i], &f);
		check_processes(files[i], &f);
		if (!strcmp(files[i], "tlbstat-ipi.data"))
			check_top_golden(&f);
		agg_free(f.agg);
		top_model_free(f.top);
	}
	return done_testing();
}
