// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of agg.c on a labelled synthetic event sequence (every figure below is worked out by
 * hand from the sequence, not measured): per process/thread/cpu counts, bytes and full flushes,
 * csd fan-out groups, kernel-range requests, initiator -> victim pairing (out of order within a
 * round), the time series, bursts by median + k*MAD, histogram keys, top's reset and expiry;
 * flush handler time (local vs victim, per-task attribution, nested and unpaired entries, buckets).
 */
#include "agg.h"
#include "tap.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MS 1000000ULL
#define S 1000000000ULL
#define FLUSH_FUNC 0xffffffff8134ae80ULL
#define KRANGE_FUNC 0xffffffff8134bf80ULL

static struct tlb_event flush(uint64_t t, int cpu, pid_t pid, pid_t tid, int reason, int64_t pages)
{
	struct tlb_event e;

	memset(&e, 0, sizeof(e));
	e.kind = EV_TLB_FLUSH;
	e.time = t;
	e.cpu = cpu;
	e.pid = pid;
	e.tid = tid;
	e.reason = reason;
	e.pages = pages;
	e.target_cpu = -1;
	return e;
}

static struct tlb_event csd(uint64_t t, int cpu, pid_t pid, pid_t tid, int target, uint64_t func,
			    enum tlb_func_class cls)
{
	struct tlb_event e;

	memset(&e, 0, sizeof(e));
	e.kind = EV_CSD_QUEUE_CPU;
	e.time = t;
	e.cpu = cpu;
	e.pid = pid;
	e.tid = tid;
	e.target_cpu = target;
	e.nr_targets = 1;
	e.target_mask[0] = 1ULL << target;
	e.func = func;
	e.func_class = cls;
	return e;
}

/*
 * The sequence (4 cpus, 1 s intervals starting at t = 10 s):
 *  - "other" (pid 200) on cpu 2: 10 local shootdowns (reason 2, 1 page) in each of the 10
 *    intervals: 100 events, 100 pages.
 *  - interval 5 (t = 15 s): "churn" (pid 100, tid 100) on cpu 0 does 50 munmaps; each is
 *    reason 3 (16 pages) + reason 4 (16 pages) + csd to cpus 1 and 2 (flush_tlb_func), and the
 *    victims fire reason 1 (16 pages): cpu 1 in tid 101 (churn's probe thread), cpu 2 in pid 200.
 *    The victims are delivered BEFORE the initiator's events (another cpu's buffer first).
 *  - t = 12 s: kcompactd (pid 50) queues do_kernel_range_flush on cpus 0, 1, 3: a kernel range
 *    request of fan-out 3.
 *  - t = 13 s: pid 200 (cpu 2) sends reason 4 (full flush, pages -1) with no csd; 1 ms later a
 *    reason 1 on cpu 3 in pid 300 (tid 300): paired by the send rule.
 *  - t = 19.5 s: a reason 1 on cpu 3 in pid 300 with nothing before it within 10 ms: unpaired.
 *  - t = 11 s: "churn" tid 100 task switch full flush (reason 0, pages -1) on cpu 0.
 */
static struct agg *build(unsigned hist_keys)
{
	struct agg_config cfg = { .interval_ns = S, .page_size = 4096, .hist_keys = hist_keys };
	struct agg *a = agg_new(&cfg);
	struct tlb_event e;

	agg_comm(a, 100, 100, "churn", 0);
	agg_comm(a, 100, 101, "churn-probe", 0);
	agg_comm(a, 200, 200, "other", 0);
	agg_comm(a, 50, 50, "kcompactd0", 0);
	agg_fork(a, 300, 1, 300, 0);
	agg_comm(a, 300, 300, "victim3", 0);

	for (int iv = 0; iv < 10; iv++)
		for (int k = 0; k < 10; k++) {
			e = flush(10 * S + (uint64_t)iv * S + (uint64_t)k * 50 * MS + 7 * MS, 2, 200, 200, 2, 1);
			agg_event(a, &e);
		}
	e = flush(11 * S, 0, 100, 100, 0, -1);
	agg_event(a, &e);

	e = csd(12 * S, 1, 50, 50, 0, KRANGE_FUNC, TLB_FUNC_KERNEL_RANGE);
	agg_event(a, &e);
	e = csd(12 * S + 1000, 1, 50, 50, 3, KRANGE_FUNC, TLB_FUNC_KERNEL_RANGE);
	agg_event(a, &e);
	e = csd(12 * S + 2000, 1, 50, 50, 2, KRANGE_FUNC, TLB_FUNC_KERNEL_RANGE);
	agg_event(a, &e);
	/* cpu 1's next flush closes kcompactd's group: here a victim-less local flush by 50 */
	e = flush(12 * S + 5000, 1, 50, 50, 2, 2);
	agg_event(a, &e);

	e = flush(13 * S, 2, 200, 200, 4, -1);
	agg_event(a, &e);
	e = flush(13 * S + 1 * MS, 3, 300, 300, 1, -1);
	agg_event(a, &e);
	agg_round(a);

	/* interval 5: victims first, then the initiator's stream */
	for (int i = 0; i < 50; i++) {
		uint64_t t = 15 * S + (uint64_t)i * 10 * MS;

		e = flush(t + 30000, 1, 100, 101, 1, 16);
		agg_event(a, &e);
		e = flush(t + 31000, 2, 200, 200, 1, 16);
		agg_event(a, &e);
	}
	for (int i = 0; i < 50; i++) {
		uint64_t t = 15 * S + (uint64_t)i * 10 * MS;

		e = flush(t, 0, 100, 100, 3, 16);
		agg_event(a, &e);
		e = flush(t + 1000, 0, 100, 100, 4, 16);
		agg_event(a, &e);
		e = csd(t + 2000, 0, 100, 100, 1, FLUSH_FUNC, TLB_FUNC_FLUSH);
		agg_event(a, &e);
		e = csd(t + 3000, 0, 100, 100, 2, FLUSH_FUNC, TLB_FUNC_FLUSH);
		agg_event(a, &e);
	}
	agg_round(a);
	agg_round(a);

	e = flush(19 * S + 500 * MS, 3, 300, 300, 1, 4);
	agg_event(a, &e);
	agg_lost(a, 7);
	/* a recording of 10 s to 20 s: every interval whole (test_series_partial: without it) */
	agg_set_span(a, 10 * S, 20 * S);
	agg_finish(a);
	return a;
}

static void test_processes(void)
{
	struct agg *a = build(0);
	const struct agg_totals *t = agg_totals(a);
	struct agg_task **p, *churn, *other, *kc, *probe, *v3;
	int n;

	/* tlb_flush events: 100 + 1 + 1 (kcompactd) + 1 + 1 + 100 victims + 100 initiator + 1 */
	is_int(t->by_kind[EV_TLB_FLUSH], 305, "305 tlb_flush events");
	is_int(t->by_kind[EV_CSD_QUEUE_CPU], 103, "103 csd_queue_cpu events");
	is_int(t->all.events, 305, "305 invalidations in all");
	is_int(t->lost, 7, "lost counted");
	is_int(t->max_cpu, 3, "max cpu 3");
	is_int(t->all.reasons[1], 102, "102 remote shootdowns");
	is_int(t->all.reasons[4], 51, "51 remote sends");
	/* pages: 100 x 1 (other) + 2 (kcompactd) + 50x16 (r3) + 100x16 (r1) + 4 = 2506; r4 excluded */
	is_int(t->all.pages, 2506, "pages of every reason but 4");
	/* full: task switch + reason-1 at 13 s (the reason-4 full flush is excluded) */
	is_int(t->all.full_flushes, 2, "2 full flushes (reason 4's excluded)");
	is_int(t->all.ipis, 50, "50 user-mm IPI requests (csd groups)");
	is_int(t->all.ipi_targets, 100, "100 targets");
	is_int(t->all.max_fanout, 2, "max fan-out 2");
	is_int(t->kernel_range.ipis, 1, "one kernel-range request");
	is_int(t->kernel_range.ipi_targets, 3, "of fan-out 3");

	n = agg_processes(a, AGG_SORT_EVENTS, &p);
	is_int(n, 4, "4 processes with events (100, 200, 50, 300)");
	is_int(p[0]->pid, 100, "churn first by invalidations");
	free(p);
	churn = agg_find_process(a, 100);
	other = agg_find_process(a, 200);
	kc = agg_find_process(a, 50);
	v3 = agg_find_process(a, 300);
	probe = agg_find_thread(a, 101);
	if (!ok(churn && other && kc && v3 && probe, "processes and the probe thread exist"))
		return;
	is_str(churn->comm, "churn", "process comm from its main thread");
	is_str(probe->comm, "churn-probe", "thread comm");
	is_int(churn->total.events, 151, "churn: 1 + 50 r3 + 50 r4 + 50 r1 (probe thread)");
	is_int(churn->nr_threads, 2, "churn has 2 threads with events");
	is_int(churn->total.remote_sends, 50, "churn sent 50");
	is_int(churn->total.ipis, 50, "churn: 50 requests");
	is_int(churn->total.ipi_targets, 100, "churn: 100 targets (mean fan-out 2)");
	is_int(churn->total.victim_hits, 50, "churn's probe thread was hit 50 times");
	is_int(churn->total.pages, 1600, "churn pages: 50x16 local + 50x16 as victim");
	is_int(churn->total.full_flushes, 1, "churn: 1 full flush");
	is_int(probe->total.victim_hits, 50, "thread level: the probe is the victim");
	is_int(agg_find_thread(a, 100)->total.victim_hits, 0, "the initiator thread is not");
	is_int(other->total.events, 151, "other: 100 r2 + 1 r4 + 50 r1");
	is_int(other->total.victim_hits, 50, "other hit 50 times");
	ok(kc->kernel_thread, "kcompactd0 is a kernel thread");
	ok(!churn->kernel_thread && !v3->kernel_thread, "churn and victim3 are not");
	is_int(kc->total.ipis, 0, "kernel-range requests are not in the process's ipis");
	ok(agg_find_process(a, 0) == NULL, "no idle task without events");
	agg_free(a);
}

static void test_pairs(void)
{
	struct agg *a = build(0);
	const struct agg_totals *t = agg_totals(a);
	struct agg_pair *pp;
	int n;

	is_int(t->paired, 101, "101 victims paired");
	is_int(t->paired_by_target, 100, "100 by the csd target rule (delivered out of order)");
	is_int(t->paired_by_send, 1, "1 by the other-cpu reason-4 rule");
	is_int(t->unpaired, 1, "1 unpaired (nothing within 10 ms)");

	n = agg_pairs(a, false, &pp);
	is_int(n, 3, "3 thread-level pairs");
	/* ties on count (50, 50) break by init pid, init tid, victim pid */
	ok(n >= 3 && pp[0].init_tid == 100 && pp[0].victim_tid == 101 && pp[0].count == 50,
	   "100 -> 101 (probe thread) x50");
	ok(n >= 3 && pp[1].init_tid == 100 && pp[1].victim_tid == 200 && pp[1].count == 50,
	   "100 -> 200 x50");
	ok(n >= 3 && pp[2].init_pid == 200 && pp[2].victim_pid == 300 && pp[2].count == 1,
	   "200 -> 300 x1 (send rule)");
	free(pp);
	n = agg_pairs(a, true, &pp);
	is_int(n, 3, "3 process-level pairs");
	ok(n >= 1 && pp[0].init_pid == 100 && pp[0].victim_pid == 100 && pp[0].count == 50 &&
	   pp[0].victim_tid == 0, "process level: churn -> churn x50 (its own probe thread)");
	free(pp);
	agg_free(a);
}

static void test_series(void)
{
	struct agg *a = build(0);
	const struct agg_interval *iv;
	struct agg_burst_stats st;
	int n = agg_intervals(a, &iv);

	is_int(n, 10, "10 intervals (10 s .. 19 s)");
	if (n != 10)
		return;
	ok(iv[0].start_ns == 10 * S, "first interval starts at 10 s");
	is_int(iv[0].events, 10, "interval 0: 10");
	is_int(iv[1].events, 11, "interval 1: 10 + task switch");
	is_int(iv[2].events, 11, "interval 2: 10 + kcompactd's local flush");
	is_int(iv[3].events, 12, "interval 3: 10 + send + victim");
	is_int(iv[5].events, 210, "interval 5: 10 + 200 from the munmaps");
	is_int(iv[5].remote_sends, 50, "interval 5: 50 sends");
	is_int(iv[5].ipis, 50, "interval 5: 50 requests");
	is_int(iv[5].ipi_targets, 100, "interval 5: 100 targets");
	is_int(iv[5].bytes, (10 + 50 * 16 + 100 * 16) * 4096ULL, "interval 5 bytes");
	is_int(iv[5].top[0].pid, 100, "interval 5 top: churn");
	is_int(iv[5].top[0].n, 150, "churn: 50 r3 + 50 r4 + 50 victim hits");
	is_int(iv[5].top[1].pid, 200, "then other");
	is_int(iv[5].top[1].n, 60, "other: 10 r2 + 50 victim hits");
	is_int(iv[0].top[0].pid, 200, "interval 0 top: other");
	is_int(iv[9].events, 11, "interval 9: 10 + the unpaired victim");
	/* rates 10,11,11,12,10,210,10,10,10,11: median 10.5, MAD 0.5 -> floor 1: 10.5 + 3 = 13.5 */
	agg_bursts(a, &st);
	ok(fabs(st.median - 10.5) < 1e-9, "median 10.5/s (got %g)", st.median);
	ok(fabs(st.mad - 0.5) < 1e-9, "MAD 0.5/s (got %g)", st.mad);
	ok(fabs(st.threshold - 13.5) < 1e-9, "threshold median + 3 x max(MAD, 1/interval) = 13.5");
	is_int(st.nr_bursts, 1, "one burst");
	ok(iv[5].burst && !iv[3].burst, "interval 5 is the burst, interval 3 is not");
	agg_free(a);
}

/*
 * Without a span the first and last events bound it: the first and last intervals are partial
 * and their rates are over the time they cover, on the same absolute grid.
 */
static void test_series_partial(void)
{
	struct agg_config cfg = { .interval_ns = S, .page_size = 4096 };
	struct agg *a = agg_new(&cfg);
	const struct agg_interval *iv;
	struct agg_burst_stats st;
	struct tlb_event e;
	int n;

	/* 10 events a second from 10.75 s to 13.25 s: intervals 10 (0.25 s), 11, 12, 13 (0.25 s) */
	for (int i = 0; i <= 25; i++) {
		e = flush(10 * S + 750 * MS + (uint64_t)i * 100 * MS, 0, 10, 10,
			  TLB_REASON_LOCAL_MM_SHOOTDOWN, 1);
		agg_event(a, &e);
	}
	agg_finish(a);
	n = agg_intervals(a, &iv);
	is_int(n, 4, "4 intervals");
	if (n == 4) {
		ok(iv[0].start_ns == 10 * S && iv[3].start_ns == 13 * S, "on the absolute grid");
		ok(fabs(iv[0].secs - 0.25) < 1e-9 && fabs(iv[3].secs - 0.25) < 1e-9,
		   "first and last cover 0.25 s");
		ok(iv[1].secs == 1.0 && iv[2].secs == 1.0, "the middle ones a whole second");
		is_int(iv[0].events, 3, "3 events in the first (10.75, 10.85, 10.95)");
		is_int(iv[3].events, 3, "3 in the last (13.05, 13.15, 13.25)");
	}
	agg_bursts(a, &st);
	ok(st.nr_bursts == 0, "no burst: 12/s at the ends is a rate like the others, not 3/s");
	ok(fabs(st.median - 11) < 1e-9, "median of 12, 10, 10, 12 /s: 11 (got %g)", st.median);
	agg_free(a);

	/* one instant: no time covered, no rate */
	a = agg_new(&cfg);
	e = flush(5 * S, 0, 10, 10, TLB_REASON_LOCAL_MM_SHOOTDOWN, 1);
	agg_event(a, &e);
	agg_finish(a);
	n = agg_intervals(a, &iv);
	ok(n == 1 && iv[0].secs == 0, "a single instant covers no time");
	agg_free(a);
}

/* No events: an empty histogram, without memcpy or qsort from NULL (make check-san halted). */
static void test_hist_empty(void)
{
	struct agg_config cfg = { .interval_ns = S, .page_size = 4096 };
	struct agg *a = agg_new(&cfg);
	struct agg_hist_row *rows;

	is_int(agg_hist(a, &rows), 0, "an empty recording's histogram has no rows");
	ok(rows != NULL, "and is still an array the caller frees");
	free(rows);
	agg_free(a);
}

/* A corrupt timestamp (2^63 ns after the rest): counted, left out of a bounded series. */
static void test_series_bound(void)
{
	struct agg_config cfg = { .interval_ns = S, .page_size = 4096 };
	struct agg *a = agg_new(&cfg);
	const struct agg_interval *iv;
	struct tlb_event e = flush(10 * S, 0, 10, 10, TLB_REASON_LOCAL_MM_SHOOTDOWN, 1);
	int n;

	agg_event(a, &e);
	e = flush(1ULL << 63, 0, 10, 10, TLB_REASON_LOCAL_MM_SHOOTDOWN, 1);
	agg_event(a, &e);
	e = flush(5 * S, 0, 10, 10, TLB_REASON_LOCAL_MM_SHOOTDOWN, 1);   /* earlier: kept */
	agg_event(a, &e);
	agg_finish(a);
	n = agg_intervals(a, &iv);
	is_int(n, 6, "series 5 s .. 10 s, the far event left out");
	is_int(agg_totals(a)->series_dropped, 1, "one event out of the series");
	is_int(agg_totals(a)->all.events, 3, "but counted in the totals");
	agg_free(a);
}

/*
 * Rounds whose times go backwards (a crafted file): placing n intervals costs about as much as in
 * time order, not n^2 / 2 moves. Counted in slots (agg_series_steps), not timed.
 */
static uint64_t series_steps(size_t n, bool reverse, uint64_t step, bool pids, size_t *nr_iv)
{
	struct agg_config cfg = { .interval_ns = S, .page_size = 4096 };
	struct agg *a = agg_new(&cfg);
	const struct agg_interval *iv;
	uint64_t steps;

	for (size_t i = 0; i < n; i++) {
		uint64_t k = reverse ? n - 1 - i : i;
		pid_t pid = pids ? (pid_t)(1000 + k) : 10;
		struct tlb_event e = flush(10 * S + k * step, 0, pid, pid,
					   TLB_REASON_LOCAL_MM_SHOOTDOWN, 1);

		agg_event(a, &e);
		agg_round(a);
	}
	agg_finish(a);
	*nr_iv = (size_t)agg_intervals(a, &iv);
	steps = agg_series_steps(a);
	agg_free(a);
	return steps;
}

/*
 * The series' work (intervals placed or moved, processes visited to close intervals) stays
 * linear whatever the order: time going back at every round moved the whole series each time,
 * time jumping ahead at every event scanned every process each time.
 */
static void test_series_order(void)
{
	size_t n = 20000, nr_sorted, nr_rev, nr_pids;
	uint64_t sorted = series_steps(n, false, S, false, &nr_sorted);
	uint64_t rev = series_steps(n, true, S, false, &nr_rev);
	uint64_t pids = series_steps(n, false, 7 * S, true, &nr_pids);

	is_int((long long)nr_rev, (long long)n, "reversed rounds: one interval each");
	is_int((long long)nr_sorted, (long long)n, "sorted rounds: one interval each");
	ok(sorted <= 16 * n, "sorted order: %llu series steps for %zu events",
	   (unsigned long long)sorted, n);
	ok(rev <= 2 * sorted, "reversed order: %llu series steps, sorted %llu (quadratic: ~%zu)",
	   (unsigned long long)rev, (unsigned long long)sorted, n * n / 2);
	ok(pids <= 16 * (n + nr_pids), "%zu processes 7 s apart: %llu series steps for %zu "
	   "intervals (a scan of every process at each: ~%zu)", n, (unsigned long long)pids,
	   nr_pids, n * n / 2);
}

static void test_hist_and_keys(void)
{
	char err[128];
	struct agg *a;
	struct agg_hist_row *r;
	int n;

	is_int(agg_parse_keys("pid,comm", err, sizeof(err)), AGG_KEY_PID | AGG_KEY_COMM, "pid,comm");
	is_int(agg_parse_keys("reason,cpu", err, sizeof(err)), AGG_KEY_REASON | AGG_KEY_CPU, "reason,cpu");
	is_int(agg_parse_keys("pid,bogus", err, sizeof(err)), -1, "bad key refused");
	ok(strstr(err, "bogus") != NULL, "error names it: %s", err);
	/* strtok skipped empty items: "pid,,comm" and "pid," passed before the switch to strlist */
	is_int(agg_parse_keys("pid,,comm", err, sizeof(err)), -1, "empty item refused");
	is_int(agg_parse_keys("pid,", err, sizeof(err)), -1, "trailing comma refused");
	is_int(agg_parse_keys("", err, sizeof(err)), -1, "empty list refused");
	is_int(agg_parse_keys(",", err, sizeof(err)), -1, "',' refused");

	a = build(AGG_KEY_REASON);
	n = agg_hist(a, &r);
	is_int(n, 5, "5 reasons seen (0, 1, 2, 3, 4)");
	ok(n > 0 && r[0].reason == 1 && r[0].events == 102 && r[0].pid == -1 && r[0].cpu == -1,
	   "reason 1 first with 102 events");
	ok(n > 1 && r[1].reason == 2 && r[1].events == 101, "then reason 2 with 101");
	free(r);
	agg_free(a);

	a = build(AGG_KEY_COMM | AGG_KEY_CPU);
	n = agg_hist(a, &r);
	ok(n > 0 && !strcmp(r[0].comm, "other") && r[0].cpu == 2 && r[0].events == 151,
	   "comm,cpu: other on cpu 2 first (151)");
	free(r);
	agg_free(a);
}

static void test_median(void)
{
	double v[] = { 5, 1, 3, 100, 2 };
	double m, mad;

	agg_median_mad(v, 5, &m, &mad);
	ok(m == 3 && mad == 2, "median 3, MAD 2 (deviations 0,1,2,2,97) of 1,2,3,5,100 (got %g %g)", m, mad);
	agg_median_mad(v, 0, &m, &mad);
	ok(m == 0 && mad == 0, "empty: 0");
	ok(agg_is_kthread_comm("kswapd0") && agg_is_kthread_comm("khugepaged") &&
	   agg_is_kthread_comm("kworker/1:1H-kb") && !agg_is_kthread_comm("bash"),
	   "kernel thread names");
}

static void test_top_api(void)
{
	struct agg_config cfg = { 0 };
	struct agg *a = agg_new(&cfg);
	struct tlb_event e = flush(S, 0, 10, 10, 3, 1);
	struct agg_task **p;
	int n;

	agg_event(a, &e);
	e = flush(S, 1, 20, 21, 3, 1);
	agg_event(a, &e);
	agg_round(a);
	is_int(agg_find_process(a, 10)->total.events, 1, "one event of pid 10");
	agg_exit(a, 10, 10, 2 * S);
	is_int(agg_expire(a, 3 * S, 5 * S), 0, "exited 1 s ago, max age 5 s: kept");
	is_int(agg_expire(a, 8 * S, 5 * S), 2, "exited 6 s ago: thread and process dropped");
	n = agg_processes(a, AGG_SORT_EVENTS, &p);
	is_int(n, 1, "one process left");
	is_int(p[0]->pid, 20, "pid 20");
	free(p);
	agg_free(a);
}

/* ---------------- flush handler time (csd_function_entry/exit) ---------------- */

#define CSD_PTR 0xffff88807dc2a340ULL   /* a call_single_data address: a queued (victim) call */

static struct tlb_event hev(enum tlb_event_kind kind, uint64_t t, int cpu, pid_t pid, pid_t tid,
			    uint64_t func, uint64_t csdp)
{
	struct tlb_event e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.time = t;
	e.cpu = cpu;
	e.pid = pid;
	e.tid = tid;
	e.target_cpu = -1;
	e.func = func;
	e.func_class = func == KRANGE_FUNC ? TLB_FUNC_KERNEL_RANGE :
		       func == FLUSH_FUNC ? TLB_FUNC_FLUSH : TLB_FUNC_NONE;
	e.csd = csdp;
	return e;
}

static void hfeed(struct agg *a, enum tlb_event_kind kind, uint64_t t, int cpu, pid_t pid,
		  pid_t tid, uint64_t func, uint64_t csdp)
{
	struct tlb_event e = hev(kind, t, cpu, pid, tid, func, csdp);

	agg_event(a, &e);
}

#define IN EV_CSD_FUNC_ENTRY
#define OUT EV_CSD_FUNC_EXIT

/*
 * Victim vs local and per-task attribution (times in ns):
 *  - cpu 0: "churn" 100/100 runs flush_tlb_func for itself (csd 0) from 1000 to 6000: local 5000.
 *  - cpu 1: the spinner process 200 is interrupted twice, thread 201 from 2000 to 4000 (victim
 *    2000) and thread 202 from 10000 to 13000 (victim 3000).
 *  - cpu 2: the idle task (pid 0) is interrupted from 20000 to 21000 (victim 1000).
 *  - cpu 3: a non-TLB csd function (func_class NONE) from 0 to 9000: not counted.
 */
static void test_handler_kinds(void)
{
	struct agg *a = agg_new(NULL);
	const struct agg_totals *t;
	struct agg_task **v;
	int n;

	hfeed(a, IN, 1000, 0, 100, 100, FLUSH_FUNC, 0);
	hfeed(a, IN, 2000, 1, 200, 201, FLUSH_FUNC, CSD_PTR);
	hfeed(a, OUT, 4000, 1, 200, 201, FLUSH_FUNC, CSD_PTR);
	hfeed(a, OUT, 6000, 0, 100, 100, FLUSH_FUNC, 0);
	hfeed(a, IN, 10000, 1, 200, 202, FLUSH_FUNC, CSD_PTR + 64);
	hfeed(a, OUT, 13000, 1, 200, 202, FLUSH_FUNC, CSD_PTR + 64);
	hfeed(a, IN, 20000, 2, 0, 0, FLUSH_FUNC, CSD_PTR + 128);
	hfeed(a, OUT, 21000, 2, 0, 0, FLUSH_FUNC, CSD_PTR + 128);
	hfeed(a, IN, 0, 3, 300, 300, 0xffffffff81234560ULL, CSD_PTR);
	hfeed(a, OUT, 9000, 3, 300, 300, 0xffffffff81234560ULL, CSD_PTR);
	agg_finish(a);
	t = agg_totals(a);

	is_int(t->handler[AGG_HANDLER_LOCAL].calls, 1, "handler: 1 local call (csd == 0)");
	is_int(t->handler[AGG_HANDLER_LOCAL].ns, 5000, "handler: local 5000 ns");
	is_int(t->handler[AGG_HANDLER_VICTIM].calls, 3, "handler: 3 victim calls (csd != 0)");
	is_int(t->handler[AGG_HANDLER_VICTIM].ns, 6000, "handler: victim 2000 + 3000 + 1000 ns");
	is_int(t->handler[AGG_HANDLER_VICTIM].min_ns, 1000, "handler: victim min 1000");
	is_int(t->handler[AGG_HANDLER_VICTIM].max_ns, 3000, "handler: victim max 3000");
	is_int(t->handler[AGG_HANDLER_LOCAL].hist[12], 1, "handler: 5000 ns in local bucket [4096, 8192)");
	is_int(t->handler[AGG_HANDLER_VICTIM].hist[9], 1, "handler: 1000 ns in victim bucket [512, 1024)");
	is_int(t->handler[AGG_HANDLER_VICTIM].hist[10], 1, "handler: 2000 ns in [1024, 2048)");
	is_int(t->handler[AGG_HANDLER_VICTIM].hist[11], 1, "handler: 3000 ns in [2048, 4096)");
	is_int(t->handler_dropped + t->handler_ignored, 0, "handler: nothing unpaired");

	is_int(agg_find_process(a, 200)->handler_calls[AGG_HANDLER_VICTIM], 2,
	       "handler: process 200 (the interrupted spinner) has 2 victim calls");
	is_int(agg_find_process(a, 200)->handler_ns[AGG_HANDLER_VICTIM], 5000,
	       "handler: process 200 paid 5000 ns");
	is_int(agg_find_thread(a, 201)->handler_ns[AGG_HANDLER_VICTIM], 2000, "handler: thread 201 paid 2000 ns");
	is_int(agg_find_thread(a, 202)->handler_ns[AGG_HANDLER_VICTIM], 3000, "handler: thread 202 paid 3000 ns");
	is_int(agg_find_process(a, 100)->handler_ns[AGG_HANDLER_LOCAL], 5000, "handler: churn's own flush is local");
	is_int(agg_find_process(a, 100)->handler_calls[AGG_HANDLER_VICTIM], 0, "handler: churn was no victim");
	is_int(agg_find_process(a, 0)->handler_ns[AGG_HANDLER_VICTIM], 1000, "handler: the idle task paid 1000 ns");
	is_int(agg_find_process(a, 100)->total.events, 0, "handler: a handler-only task has 0 invalidations");
	ok(agg_find_process(a, 300) == NULL, "handler: a non-TLB csd function makes no task");

	n = agg_processes(a, AGG_SORT_HANDLER_VICTIM, &v);
	ok(n == 3 && v[0]->pid == 200 && v[1]->pid == 0 && v[2]->pid == 100,
	   "handler: processes by victim time: 200, 0, then 100 (none)");
	free(v);
	n = agg_threads(a, AGG_SORT_HANDLER_VICTIM, &v);
	ok(n == 4 && v[0]->tid == 202 && v[1]->tid == 201, "handler: threads by victim time: 202, 201");
	free(v);
	agg_free(a);
}

/*
 * Unpaired and nested entries, all local, process 500 (ns):
 *  - cpu 3: an exit without an entry: ignored, no task.
 *  - cpu 4: nested: kernel-range flush 100..5100 around flush_tlb_func 200..1224: 5000 and 1024.
 *  - cpu 5: kernel-range 0..1100 around flush_tlb_func entered at 100 whose exit was lost: 1100
 *    counted, the inner entry dropped.
 *  - cpu 6: flush_tlb_func entered at 100 and again at 300 (the first exit lost), exit at 400:
 *    100 counted, 1 dropped.
 *  - cpu 7: entry at 0, exit at AGG_HANDLER_MAX_NS + 1: the entry is dropped as stale, the exit
 *    ignored.
 *  - cpu 8: entry by tid 800, exit by tid 801 (a context switch between: records lost): ignored.
 *  - cpu 9: five entries F K F K F at 0, 10, 20, 30, 40 exceed the depth (4): the first is
 *    dropped; exits F K F K at 50, 60, 70, 80 close 40, 30, 20, 10: 10 + 30 + 50 + 70 = 160.
 * Local: 8 calls, 5000 + 1024 + 1100 + 100 + 160 = 7384 ns; dropped 4; ignored 3.
 */
static void test_handler_unpaired(void)
{
	struct agg *a = agg_new(NULL);
	const struct agg_totals *t;
	const uint64_t F = FLUSH_FUNC, K = KRANGE_FUNC;

	hfeed(a, OUT, 50, 3, 300, 300, F, 0);
	hfeed(a, IN, 100, 4, 500, 500, K, 0);
	hfeed(a, IN, 200, 4, 500, 500, F, 0);
	hfeed(a, OUT, 1224, 4, 500, 500, F, 0);
	hfeed(a, OUT, 5100, 4, 500, 500, K, 0);
	hfeed(a, IN, 0, 5, 500, 500, K, 0);
	hfeed(a, IN, 100, 5, 500, 500, F, 0);
	hfeed(a, OUT, 1100, 5, 500, 500, K, 0);
	hfeed(a, IN, 100, 6, 500, 500, F, 0);
	hfeed(a, IN, 300, 6, 500, 500, F, 0);
	hfeed(a, OUT, 400, 6, 500, 500, F, 0);
	hfeed(a, IN, 0, 7, 500, 500, F, 0);
	hfeed(a, OUT, AGG_HANDLER_MAX_NS + 1, 7, 500, 500, F, 0);
	hfeed(a, IN, 0, 8, 500, 800, F, 0);
	hfeed(a, OUT, 500, 8, 500, 801, F, 0);
	for (int i = 0; i < 5; i++)
		hfeed(a, IN, (uint64_t)i * 10, 9, 500, 500, i % 2 ? K : F, 0);
	for (int i = 0; i < 4; i++)
		hfeed(a, OUT, 50 + (uint64_t)i * 10, 9, 500, 500, i % 2 ? K : F, 0);
	agg_finish(a);
	t = agg_totals(a);

	is_int(t->handler[AGG_HANDLER_LOCAL].calls, 8, "unpaired: 8 local calls paired");
	is_int(t->handler[AGG_HANDLER_LOCAL].ns, 7384, "unpaired: 7384 ns");
	is_int(t->handler[AGG_HANDLER_LOCAL].min_ns, 10, "unpaired: min 10 ns (innermost of cpu 9)");
	is_int(t->handler[AGG_HANDLER_LOCAL].max_ns, 5000, "unpaired: max 5000 ns (outer nested call)");
	is_int(t->handler[AGG_HANDLER_VICTIM].calls, 0, "unpaired: no victim calls");
	is_int(t->handler_dropped, 4, "unpaired: 4 entries dropped (lost inner exit, re-entry, stale, depth)");
	is_int(t->handler_ignored, 3, "unpaired: 3 exits ignored (no entry, stale entry, other tid)");
	ok(agg_find_thread(a, 300) == NULL, "unpaired: an exit without entry makes no task");
	ok(agg_find_thread(a, 801) == NULL, "unpaired: an exit of another tid charges nobody");
	is_int(agg_find_process(a, 500)->handler_calls[AGG_HANDLER_LOCAL], 8, "unpaired: all charged to 500");
	agg_free(a);
}

static void test_handler_hist(void)
{
	struct agg_handler h;

	is_int(agg_handler_bucket(0), 0, "bucket: 0 ns in bucket 0");
	is_int(agg_handler_bucket(1), 0, "bucket: 1 ns in bucket 0");
	is_int(agg_handler_bucket(2), 1, "bucket: 2 ns in [2, 4)");
	is_int(agg_handler_bucket(1023), 9, "bucket: 1023 ns in [512, 1024)");
	is_int(agg_handler_bucket(1024), 10, "bucket: 1024 ns in [1024, 2048)");
	is_int(agg_handler_bucket(50000), 15, "bucket: 50 us in [32768, 65536)");
	is_int(agg_handler_bucket(UINT64_MAX), AGG_HANDLER_BUCKETS - 1, "bucket: huge in the last");

	memset(&h, 0, sizeof(h));
	ok(agg_handler_quantile(&h, 0.5) == 0, "quantile of nothing is 0");
	h.calls = 100;
	h.hist[10] = 100;
	h.min_ns = 1024;
	h.max_ns = 2047;
	ok(fabs(agg_handler_quantile(&h, 0.5) - 1536) < 1e-6, "p50 of 100 calls in [1024, 2048): 1536");
	ok(agg_handler_quantile(&h, 1.0) == 2047, "p100 clamped to max 2047");
	ok(agg_handler_quantile(&h, 0.0) == 1024, "p0 is min 1024");
	h.hist[10] = 98;
	h.hist[20] = 2;
	h.max_ns = 1500000;
	ok(agg_handler_quantile(&h, 0.5) < 2048, "p50 stays in the low bucket with 2 of 100 outliers");
	ok(agg_handler_quantile(&h, 0.99) >= 1 << 20 && agg_handler_quantile(&h, 0.99) <= 1500000,
	   "p99 in the outliers' bucket [2^20, 2^21), clamped to max");
}

int main(void)
{
	test_hist_empty();
	test_processes();
	test_pairs();
	test_series();
	test_series_partial();
	test_series_bound();
	test_series_order();
	test_hist_and_keys();
	test_median();
	test_top_api();
	test_handler_kinds();
	test_handler_unpaired();
	test_handler_hist();
	return done_testing();
}
