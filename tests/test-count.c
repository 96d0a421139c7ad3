// SPDX-License-Identifier: GPL-2.0
/*
 * count.c's rules (flush counts, requests, the csd grouper, rate and health) on hand-made events,
 * and one counting model: report's aggregator (agg.h) and top's model (topview.h) fed with the same
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

#include <math.h>
#include <stdlib.h>
#include <traceevent/event-parse.h>

#define DATA "tests/data/"
#define TOP_GOLDEN DATA "golden/top-tlbstat-ipi.batch"

/* Both models count into count.h's struct: compare all of it (reasons and max fan-out too). */
struct both {
	uint64_t v[sizeof(struct count_counts) / sizeof(uint64_t)];
};

/* The whole requests top's model hands out (top_config.request_done: the exporter's fan-out). */
struct done_requests {
	uint64_t n, targets, max;
};

struct feed {
	struct agg *agg;
	struct top_model *top;
	struct done_requests done;
};

static void on_request_done(void *ctx, const struct count_request *r)
{
	struct done_requests *d = ctx;

	if (r->cls != TLB_FUNC_FLUSH)
		return;
	d->n++;
	d->targets += (uint64_t)r->nr;
	if ((uint64_t)r->nr > d->max)
		d->max = (uint64_t)r->nr;
}

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

static int on_event(void *ctx, const struct tlb_event *ev, const struct pd_attr *attr)
{
	struct feed *f = ctx;

	return agg_event(f->agg, ev) < 0 || top_model_event(f->top, ev) < 0 ? -1 : 0;
}

static int on_comm(void *ctx, pid_t pid, pid_t tid, const char *comm, uint64_t time)
{
	struct feed *f = ctx;

	top_model_comm(f->top, pid, tid, comm);
	return agg_comm(f->agg, pid, tid, comm, time);
}

static int on_fork(void *ctx, pid_t pid, pid_t ppid, pid_t tid, uint64_t time)
{
	return agg_fork(((struct feed *)ctx)->agg, pid, ppid, tid, time);
}

static int on_exit_rec(void *ctx, pid_t pid, pid_t tid, uint64_t time)
{
	agg_exit(((struct feed *)ctx)->agg, pid, tid, time);
	return 0;
}

static int on_lost(void *ctx, uint64_t nr)
{
	struct feed *f = ctx;

	agg_lost(f->agg, nr);
	top_model_lost(f->top, nr);
	return 0;
}

static int on_round(void *ctx)
{
	return agg_round(((struct feed *)ctx)->agg);
}

/* Read a recording into both models; top's one interval spans the whole file. */
static int feed_file(const char *path, struct feed *f, double *secs)
{
	struct session_ops ops = {
		.event = on_event, .comm = on_comm, .fork = on_fork, .exit = on_exit_rec,
		.lost = on_lost, .round = on_round,
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
	tcfg.request_done = on_request_done;
	tcfg.request_ctx = &f->done;
	f->agg = agg_new(&acfg);
	f->top = top_model_new(&tcfg);
	rc = session_run(s, &ops, f, NULL, NULL, err, sizeof(err));
	if (rc < 0)
		printf("# %s: %s\n", path, err);
	top_model_expire_requests(f->top, UINT64_MAX);   /* the last requests, as an exporter's close */
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
		"full_flushes", "remote_sends", "ipis", "ipi_targets", "max_fanout", "victim_hits",
		"decisions", "decision_bytes", "decision_full", "decision_page", "decision_promoted",
		"decision_remote", "decision_broadcast",
		"decision_targets", "max_targets", "notifier_starts", "notifier_bytes" };

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
	/* every request the node counted reached request_done whole, once (the exporter's fan-out) */
	is_int(f->done.n, tot->all.ipis, "%s: requests handed out whole = the node's requests (%llu)",
	       name, (unsigned long long)f->done.n);
	is_int(f->done.targets, tot->all.ipi_targets, "%s: their targets = the node's targets", name);
	is_int(f->done.max, tot->all.max_fanout, "%s: largest = the node's max fan-out", name);
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
	if (getenv("GOLDEN_UPDATE")) {	/* as golden.sh: only for an intended output change */
		FILE *g = fopen(TOP_GOLDEN, "w");

		if (g) {
			fputs(out, g);
			fclose(g);
		}
	}
	want = read_file(TOP_GOLDEN, NULL);
	ok(want && !strcmp(out, want), "top batch output of tlbstat-ipi.data as %s", TOP_GOLDEN);
	if (want && strcmp(out, want))
		printf("# got:\n%s", out);
	free(want);
	free(out);
}

/* ---------------- count.c on hand-made events ---------------- */

#define FLUSH_FUNC 0xffffffff81000000ULL
#define RANGE_FUNC 0xffffffff81000100ULL

static struct tlb_event mk_flush(pid_t pid, int cpu, int reason, int64_t pages, uint64_t t)
{
	struct tlb_event ev = { .kind = EV_TLB_FLUSH, .pid = pid, .tid = pid, .cpu = cpu,
				.reason = reason, .pages = pages, .time = t, .target_cpu = -1 };

	return ev;
}

static struct tlb_event mk_csd(pid_t pid, int cpu, int target, uint64_t func, uint64_t t)
{
	struct tlb_event ev = { .kind = EV_CSD_QUEUE_CPU, .pid = pid, .tid = pid, .cpu = cpu,
				.target_cpu = target, .nr_targets = 1, .func = func, .time = t };

	ev.func_class = func == FLUSH_FUNC ? TLB_FUNC_FLUSH :
			func == RANGE_FUNC ? TLB_FUNC_KERNEL_RANGE : TLB_FUNC_NONE;
	ev.target_mask[target / 64] = 1ULL << (target % 64);
	return ev;
}

static void test_counts(void)
{
	struct count_counts c = { 0 }, whole = { 0 }, grown = { 0 };
	struct tlb_event ev;

	ev = mk_flush(1, 0, TLB_REASON_REMOTE_SEND_IPI, 8, 1);
	count_flush(&c, &ev);
	ok(!count_flush_ranged(&ev) && count_flush_bytes(&ev, 4096) == 0, "reason 4: no range");
	ev = mk_flush(1, 0, TLB_REASON_LOCAL_MM_SHOOTDOWN, 3, 2);
	count_flush(&c, &ev);
	is_int(count_flush_bytes(&ev, 4096), 3 * 4096, "bytes = pages x page size");
	ev = mk_flush(1, 0, TLB_REASON_REMOTE_SHOOTDOWN, -1, 3);
	count_flush(&c, &ev);
	is_int(count_flush_bytes(&ev, 4096), 0, "a full flush has no bytes");
	is_int(c.events, 3, "every reason is an invalidation");
	is_int(c.pages, 3, "pages exclude reason 4 and full flushes");
	is_int(c.full_flushes, 1, "full flush");
	is_int(c.remote_sends, 1, "remote send");
	is_int(c.victim_hits, 1, "victim hit");
	is_int(c.reasons[TLB_REASON_REMOTE_SEND_IPI] + c.reasons[TLB_REASON_LOCAL_MM_SHOOTDOWN] +
	       c.reasons[TLB_REASON_REMOTE_SHOOTDOWN], 3, "per reason");
	count_request(&whole, 3);
	count_request(&whole, 1);
	count_request_grow(&grown, true, 1, 1);
	count_request_grow(&grown, false, 1, 2);
	count_request_grow(&grown, false, 1, 3);
	count_request_grow(&grown, true, 1, 1);
	ok(!memcmp(&whole, &grown, sizeof(whole)), "a request counted whole or as it grows: same");
	is_int(whole.max_fanout, 3, "max fan-out");
	/* count_add_flush (report's one computation for four places) = count_flush, every case */
	{
		static const int64_t pages[] = { -1, 0, 5 };
		struct count_counts byflush = { 0 }, byadd = { 0 };

		for (int r = -1; r <= TLB_NR_REASONS; r++)
			for (size_t k = 0; k < ARRAY_SIZE(pages); k++) {
				struct count_counts d = { 0 };

				ev = mk_flush(1, 0, r, pages[k], 4);
				count_flush(&byflush, &ev);
				count_flush(&d, &ev);
				count_add_flush(&byadd, &d, ev.reason);
			}
		ok(!memcmp(&byflush, &byadd, sizeof(byflush)),
		   "count_add_flush of a flush's own counts = count_flush (every reason, full, ranged)");
	}
}

static void test_request_of(void)
{
	struct tlb_event ev = { .kind = EV_IPI_SEND_CPUMASK, .cpu = 1, .pid = 5, .tid = 6,
				.nr_targets = 3, .func = FLUSH_FUNC, .time = 7 };
	struct count_request r;

	ok(!count_request_of(&ev, &r), "ipi of an unknown function: no request");
	ev.func_class = TLB_FUNC_FLUSH;
	ev.target_mask[0] = 0xe;
	ok(count_request_of(&ev, &r) && r.nr == 3 && r.mask[0] == 0xe && r.pid == 5 && r.tid == 6 &&
	   r.start == 7 && r.cpu == 1 && r.cls == TLB_FUNC_FLUSH, "ipi of flush_tlb_func: a request");
	ev.nr_targets = 0;
	ok(!count_request_of(&ev, &r), "no targets: no request");
	ev.kind = EV_PATCHED_FLUSH;
	ev.func_class = TLB_FUNC_NONE;
	ev.nr_targets = 2;
	ok(count_request_of(&ev, &r) && r.cls == TLB_FUNC_FLUSH, "patched event: a user-mm request");
	ev = mk_csd(5, 0, 1, FLUSH_FUNC, 1);
	ok(!count_request_of(&ev, &r), "a csd event alone is no request (the grouper's)");
}

static void test_group(void)
{
	struct count_group *g = count_group_new(100);
	const struct count_request *open = NULL;
	struct count_request done;
	struct tlb_event ev;
	int f, cur;

	ev = mk_csd(10, 0, 1, FLUSH_FUNC, 1000);
	f = count_group_feed(g, &ev, &done, &open);
	is_int(f, COUNT_GROUP_JOINED | COUNT_GROUP_STARTED, "first target starts a request");
	ev = mk_csd(11, 0, 2, FLUSH_FUNC, 1050);
	f = count_group_feed(g, &ev, &done, &open);
	ok(f == COUNT_GROUP_JOINED && open->nr == 2 && open->pid == 10,
	   "second target joins; the request stays its first task's");
	ev = mk_csd(10, 0, 3, FLUSH_FUNC, 1100);
	count_group_feed(g, &ev, &done, &open);
	ev = mk_flush(10, 0, TLB_REASON_REMOTE_SEND_IPI, 1, 1200);
	f = count_group_feed(g, &ev, &done, &open);
	ok(f == COUNT_GROUP_CLOSED && done.nr == 3 && done.mask[0] == 0xe && done.start == 1000 &&
	   done.last == 1100, "a flush on the cpu closes it: 3 targets");
	is_int(count_group_feed(g, &ev, &done, &open), 0, "a second flush closes nothing");

	ev = mk_csd(10, 0, 1, FLUSH_FUNC, 2000);
	count_group_feed(g, &ev, &done, &open);
	ev = mk_csd(10, 0, 1, FLUSH_FUNC, 2010);
	f = count_group_feed(g, &ev, &done, &open);
	ok(f == (COUNT_GROUP_CLOSED | COUNT_GROUP_JOINED | COUNT_GROUP_STARTED) && done.nr == 1,
	   "a target already in the request starts the next");
	ev = mk_csd(10, 0, 2, FLUSH_FUNC, 2200);
	f = count_group_feed(g, &ev, &done, &open);
	ok(f & COUNT_GROUP_STARTED && f & COUNT_GROUP_CLOSED, "beyond the window: the next request");
	ev = mk_csd(10, 0, 3, RANGE_FUNC, 2210);
	f = count_group_feed(g, &ev, &done, &open);
	ok(f & COUNT_GROUP_STARTED && open->cls == TLB_FUNC_KERNEL_RANGE && done.cls == TLB_FUNC_FLUSH,
	   "another function: the next request, of its class");
	ev = mk_csd(10, 0, 1, 0x1234, 2220);
	is_int(count_group_feed(g, &ev, &done, &open), 0, "a non-TLB function is ignored");
	ev = mk_csd(20, 1, 0, FLUSH_FUNC, 2230);
	count_group_feed(g, &ev, &done, &open);

	cur = 0;
	ok(!count_group_expire(g, 2300, &cur, &done), "nothing expires inside its window");
	cur = 0;
	ok(count_group_expire(g, 2311, &cur, &done) && done.cpu == 0 && done.start == 2210,
	   "cpu 0's request expires past its window");
	ok(!count_group_expire(g, 2311, &cur, &done), "cpu 1's not yet");
	cur = 0;
	ok(count_group_expire(g, UINT64_MAX, &cur, &done) && done.cpu == 1 && done.pid == 20,
	   "the end closes every one");
	ok(!count_group_expire(g, UINT64_MAX, &cur, &done), "then none is open");
	count_group_free(g);
}

/* top's model hands each request out once, the open ones when the exporter's close expires them. */
static void test_model_requests(void)
{
	struct done_requests d = { 0 };
	struct top_config cfg = { .nr_cpus = 4, .group_window_ns = 100,
				  .request_done = on_request_done, .request_ctx = &d };
	struct top_model *m = top_model_new(&cfg);
	struct tlb_event ev;

	ev = mk_csd(10, 0, 1, FLUSH_FUNC, 1000);
	top_model_event(m, &ev);
	ev = mk_csd(10, 0, 2, FLUSH_FUNC, 1010);
	top_model_event(m, &ev);
	ev = mk_csd(10, 0, 3, RANGE_FUNC, 1020);        /* another function: the first ends */
	top_model_event(m, &ev);
	is_int(d.n, 1, "model: the first request handed out when the next one starts");
	is_int(d.max, 2, "model: with its two targets");
	top_model_expire_requests(m, 1100);             /* last event 1020 + window 100 > 1100 */
	is_int(d.n, 1, "model: a request inside its window is not expired");
	ev = mk_csd(11, 1, 0, FLUSH_FUNC, 1030);
	top_model_event(m, &ev);
	top_model_expire_requests(m, 2000);
	is_int(d.n, 2, "model: past the window both open requests end; the kernel-range one is not "
	       "a TLB flush request");
	top_model_expire_requests(m, 3000);
	is_int(d.n, 2, "model: an expired request is handed out once");
	is_int(d.targets, 3, "model: targets of the two flush requests");
	/* a flush on the initiator's cpu ends its request at once, whatever else is open */
	ev = mk_csd(12, 2, 3, FLUSH_FUNC, 4000);
	top_model_event(m, &ev);
	ev = mk_flush(12, 2, TLB_REASON_REMOTE_SEND_IPI, 1, 4010);
	top_model_event(m, &ev);
	is_int(d.n, 3, "model: a flush on its cpu ends a request");
	top_model_event(m, &ev);
	is_int(d.n, 3, "model: a second flush ends nothing");
	ev = mk_csd(12, 0, 3, FLUSH_FUNC, 5000);
	top_model_event(m, &ev);
	ev = mk_csd(13, 1, 3, FLUSH_FUNC, 5000);
	top_model_event(m, &ev);
	ev = mk_flush(13, 1, TLB_REASON_REMOTE_SEND_IPI, 1, 5010);
	top_model_event(m, &ev);
	ev = mk_flush(12, 0, TLB_REASON_REMOTE_SEND_IPI, 1, 5010);
	top_model_event(m, &ev);
	is_int(d.n, 5, "model: two open requests, each ended by its cpu's flush");
	ev = mk_csd(12, 0, 1, FLUSH_FUNC, 6000);
	top_model_event(m, &ev);
	ev = mk_csd(12, 0, 1, RANGE_FUNC, 6010);        /* ends the first, starts another */
	top_model_event(m, &ev);
	ev = mk_csd(12, 0, 1, FLUSH_FUNC, 6020);        /* ends the kernel-range one */
	top_model_event(m, &ev);
	ev = mk_flush(12, 0, TLB_REASON_REMOTE_SEND_IPI, 1, 6030);
	top_model_event(m, &ev);
	is_int(d.n, 7, "model: a flush ends the request that replaced two others");
	ev = mk_csd(14, 3, 0, FLUSH_FUNC, 7000);
	top_model_event(m, &ev);
	top_model_expire_requests(m, 8000);
	ev = mk_flush(14, 3, TLB_REASON_REMOTE_SEND_IPI, 1, 8010);
	top_model_event(m, &ev);
	is_int(d.n, 8, "model: an expired request is not ended again by a flush");
	ev = mk_csd(14, 3, 0, FLUSH_FUNC, 9000);
	top_model_event(m, &ev);
	ev = mk_flush(14, 3, TLB_REASON_REMOTE_SEND_IPI, 1, 9010);
	top_model_event(m, &ev);
	is_int(d.n, 9, "model: after an expiry a flush ends the next request");
	top_model_expire_requests(m, UINT64_MAX);
	is_int(d.n, 9, "model: nothing left open");
	top_model_free(m);
}

static void test_rate(void)
{
	struct count_rate r = count_rate_of(100, 0, 4);

	ok(!r.known && isnan(r.rate) && isnan(r.per_core), "no duration: rate unknown");
	r = count_rate_of(100, 2.0, 4);
	ok(r.known && r.rate == 50 && r.per_core == 12.5, "100 over 2 s on 4 cpus: 12.5/s per core");
	r = count_rate_of(100, 2.0, 0);
	ok(r.per_core == 50, "no cpu count: one");
}

static void test_health(void)
{
	/* task switch, remote shootdown, local, local mm, remote send, wrong cpu: measured here */
	uint64_t pipe[TLB_NR_REASONS] = { 393182, 0, 0, 189, 2, 6 };     /* perf bench sched pipe */
	uint64_t churn[TLB_NR_REASONS] = { 0, 51094, 0, 52435, 51936, 8 }; /* tlbbench mmap, 1 s */
	uint64_t hi[TLB_NR_REASONS] = { 0, 0, 0, 13, 0, 0 };               /* stat -- echo hi */
	uint64_t b[TLB_NR_REASONS] = { 0, 0, 100, 300, 0, 0 };
	struct count_health h;

	is_int(count_health_events(churn), 52435, "health events: 2 + 3; 4 left out, one munmap once");
	is_int(count_health_events(b), 400, "reason 2 (batched flush) counts");
	h = count_health_of(pipe, 1.71, 2);
	ok(h.health == HEALTH_GREEN && h.events == 189 && h.task_switches == 393182,
	   "pipe ping-pong: task switches beside, not in; green");
	h = count_health_of(churn, 1.0, 2);
	ok(h.health == HEALTH_RED && h.per_core == 52435.0 / 2, "mmap churn: red");
	is_int(count_health_of(b, 1.0, 2).health, HEALTH_YELLOW, "200/s per core: yellow from there");
	is_int(count_health_of(b, 1.01, 2).health, HEALTH_GREEN, "198/s per core: green");
	is_int(count_health_of(b, 0.5, 2).health, HEALTH_YELLOW, "400/s per core: yellow");
	is_int(count_health_of(b, 0.5, 1).health, HEALTH_YELLOW, "800/s per core: yellow");
	is_int(count_health_of(churn, 13.0, 2).health, HEALTH_RED, "2016/s per core: red");
	is_int(count_health_of(churn, 14.0, 2).health, HEALTH_YELLOW, "1872/s per core: yellow");
	h = count_health_of(hi, 0.007, 2);
	ok(h.health == HEALTH_INSUFFICIENT && h.per_core > 900,
	   "stat -- echo hi: 7 ms is no evidence, whatever the rate");
	is_int(count_health_of(hi, 0.49, 1).health, HEALTH_INSUFFICIENT, "under 0.5 s: no verdict");
	is_int(count_health_of(hi, 0.5, 1).health, HEALTH_GREEN, "0.5 s: a verdict");
	is_int(count_health_of(hi, 0, 1).health, HEALTH_INSUFFICIENT, "no duration");
	ok(isnan(count_health_of(hi, 0, 1).per_core), "no duration: no rate");
	is_str(tlb_health_name(HEALTH_INSUFFICIENT), "insufficient data", "its name");
}

/* Edge cases of csd grouping fed to both models: they still agree. */
static void test_models_agree(void)
{
	struct feed f = { agg_new(NULL), top_model_new(&(struct top_config){ .nr_cpus = 2 }) };
	struct tlb_event v[] = {
		mk_csd(100, 0, 1, FLUSH_FUNC, 1000),
		mk_csd(200, 0, 2, FLUSH_FUNC, 1010),      /* another task joins 100's request */
		mk_csd(100, 0, 3, RANGE_FUNC, 1020),      /* a kernel-range request cuts it */
		mk_csd(100, 0, 1, FLUSH_FUNC, 1030),
		mk_csd(300, 1, 0, FLUSH_FUNC, 1040),
		mk_flush(100, 0, TLB_REASON_LOCAL_MM_SHOOTDOWN, 2, 1050),
		mk_csd(300, 1, 2, FLUSH_FUNC, 1060),
		mk_flush(300, 1, TLB_REASON_REMOTE_SEND_IPI, 1, 1070),
	};
	struct both a, t;
	struct top_node n;

	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		on_event(&f, &v[i], NULL);
	agg_finish(f.agg);
	top_model_close(f.top, 1.0);
	top_model_node(f.top, &n);
	a = from_counts(&agg_totals(f.agg)->all);
	t = from_counts(&n.c.cnt);
	is_int(diff_both("node", 0, &a, &t), 0, "hand-made csd edge cases: node totals equal");
	is_int(agg_totals(f.agg)->all.ipis, 3, "three user-mm requests");
	is_int(agg_totals(f.agg)->kernel_range.ipis, 1, "one kernel-range request, apart");
	is_int(top_model_find_process(f.top, 200) ? 1 : 0, 0, "a joining task gets no request");
	is_int(agg_find_process(f.agg, 200) ? 1 : 0, 0, "in either model");
	check_processes("hand-made", &f);
	agg_free(f.agg);
	top_model_free(f.top);
}

/* Labelled synthetic fixture: a patched kernel's tlb_invalidation / mmu_notifier events. */
static struct tlb_event mk_lab(enum tlb_event_kind kind, pid_t pid, int64_t range, int targets,
			       int phase, uint64_t t)
{
	struct tlb_event e = { .kind = kind, .time = t, .cpu = 0, .pid = pid, .tid = pid,
			       .range_size = range, .target_cpus = targets, .phase = phase,
			       .target_cpu = -1 };

	if (kind == EV_PATCHED_FLUSH)
		e.nr_targets = targets > 1 ? targets - 1 : 0;
	return e;
}

static void test_lab(void)
{
	struct feed f = { agg_new(NULL), top_model_new(&(struct top_config){ .nr_cpus = 4 }) };
	struct tlb_event v[] = {
		mk_lab(EV_PATCHED_FLUSH, 100, 4096, 1, 0, 1000),     /* local only */
		mk_lab(EV_PATCHED_FLUSH, 100, 8192, 3, 0, 1010),     /* two other CPUs */
		mk_lab(EV_PATCHED_FLUSH, 100, 0, 4, 0, 1020),        /* a full flush, all four */
		mk_lab(EV_PATCHED_FLUSH, 200, 65536, -1, 0, 1030),   /* a broadcast (arm64 TLBI IS) */
		mk_lab(EV_PATCHED_FLUSH, 200, 1 << 22, 2, 0, 1035),  /* a range flushed whole: */
		mk_lab(EV_MMU_NOTIFIER, 100, 1 << 20, 0, 0, 1040),   /* notifier start ... */
		mk_lab(EV_MMU_NOTIFIER, 100, 1 << 20, 0, 1, 1050),   /* ... and end: counted once */
	};
	const struct count_counts *c;
	struct both a, t;
	struct top_node n;

	v[4].flush_all = true;                               /* ... its end all ones */
	v[2].flush_all = true;                               /* (a full flush's end is too) */
	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		on_event(&f, &v[i], NULL);
	agg_finish(f.agg);
	top_model_close(f.top, 1.0);
	top_model_node(f.top, &n);
	c = &agg_totals(f.agg)->all;
	is_int(c->decisions, 5, "lab: five decisions");
	is_int(c->decision_bytes, 4096 + 8192 + 65536 + (1 << 22),
	       "lab: bytes asked (a full flush adds none)");
	is_int(c->decision_full, 1, "lab: one full (nothing asked but the whole space)");
	is_int(c->decision_page, 1, "lab: one page");
	is_int(c->decision_promoted, 1, "lab: one range flushed whole (promoted), not a full");
	is_int(c->decision_remote, 3, "lab: three with other CPUs");
	is_int(c->decision_broadcast, 1, "lab: one broadcast");
	is_int(c->decision_targets, 1 + 3 + 4 + 2, "lab: targets of the counted decisions");
	is_int(c->max_targets, 4, "lab: widest decision");
	is_int(c->notifier_starts, 1, "lab: one notifier invalidation (start, not end)");
	is_int(c->notifier_bytes, 1 << 20, "lab: notifier bytes");
	is_int(c->events, 0, "lab: decisions are not tlb_flush invalidations");
	is_int(c->ipis, 3, "lab: the decisions with other CPUs are requests");
	is_int(c->ipi_targets, 2 + 3 + 1, "lab: their remote targets");
	a = from_counts(c);
	t = from_counts(&n.c.cnt);
	is_int(diff_both("node", 0, &a, &t), 0, "lab: node totals equal in report's and top's model");
	is_int(agg_find_process(f.agg, 100)->total.decisions, 3, "lab: on the initiating process");
	check_processes("lab", &f);
	agg_free(f.agg);
	top_model_free(f.top);
}

/* count_scale: every Nth flush sampled, scaled to the counters' exact reasons */
static void test_scale(void)
{
	const uint64_t sampled[TLB_NR_REASONS] = { 0, 3, 10, 0, 7, 0 };
	const uint64_t exact[TLB_NR_REASONS] = { 5, 12, 40, 0, 70, 0 };
	struct count_counts a = { .events = 9, .reasons = { 0, 1, 5, 0, 3, 0 }, .pages = 12,
				  .full_flushes = 1, .remote_sends = 3, .victim_hits = 1,
				  .ipis = 2, .decisions = 4 };
	struct count_counts b = { .events = 11, .reasons = { 0, 2, 5, 0, 4, 0 }, .remote_sends = 4,
				  .victim_hits = 2 };

	count_scale(&a, sampled, exact);
	count_scale(&b, sampled, exact);
	is_int(a.reasons[2], 20, "scale: reason 2 by 40/10");
	is_int(a.reasons[4], 30, "scale: reason 4 by 70/7");
	is_int(a.reasons[1], 4, "scale: reason 1 by 12/3");
	is_int(a.reasons[0], 0, "scale: a reason never sampled stays 0");
	is_int(a.events, 54, "scale: events are the scaled reasons");
	is_int(a.pages, 52, "scale: pages by the ranged reasons' ratio (57/13)");
	is_int(a.full_flushes, 4, "scale: full flushes likewise, rounded down");
	is_int(a.remote_sends, 30, "scale: remote sends follow reason 4");
	is_int(a.victim_hits, 4, "scale: victim hits follow reason 1");
	is_int(a.ipis, 2, "scale: requests are not sampled: left alone");
	is_int(a.decisions, 4, "scale: the kernel lab's counts left alone");
	ok(a.reasons[1] + b.reasons[1] <= exact[1] && a.reasons[4] + b.reasons[4] <= exact[4],
	   "scale: rows scaled alike never sum above the exact count");
	is_int(b.reasons[4], 40, "scale: the second row's reason 4");
}

int main(void)
{
	static const char *const files[] = { "perf-tlb-pvm.data", "tlbstat-ipi.data", "perf-ipi.data" };

	test_counts();
	test_request_of();
	test_group();
	test_model_requests();
	test_rate();
	test_health();
	test_models_agree();
	test_lab();
	test_scale();
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
