// SPDX-License-Identifier: GPL-2.0
/* Unit tests of topview.c: the model behind tlbstat top (counts, fan-out, bounds, text). */
#include "event.h"
#include "reason.h"
#include "tap.h"
#include "topview.h"

#include <stdlib.h>

static struct tlb_event flush(pid_t pid, pid_t tid, int cpu, int reason, int64_t pages, uint64_t t)
{
	struct tlb_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_TLB_FLUSH;
	ev.pid = pid;
	ev.tid = tid;
	ev.cpu = cpu;
	ev.reason = reason;
	ev.pages = pages;
	ev.time = t;
	ev.target_cpu = -1;
	return ev;
}

static struct tlb_event csd(pid_t pid, int cpu, int target, uint64_t t)
{
	struct tlb_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_CSD_QUEUE_CPU;
	ev.pid = ev.tid = pid;
	ev.cpu = cpu;
	ev.target_cpu = target;
	ev.nr_targets = 1;
	ev.target_mask[0] = 1ULL << target;
	ev.func = 0xffffffff81000000ULL;
	ev.func_class = TLB_FUNC_FLUSH;
	ev.time = t;
	return ev;
}

int main(void)
{
	struct top_config cfg = { .page_size = 4096, .nr_cpus = 4, .max_procs = 8, .max_threads = 16,
				  .age_intervals = 3 };
	struct top_model *m = top_model_new(&cfg);
	struct top_task **v;
	struct top_node n;
	struct tlb_event ev;
	char buf[512], lines[8][256];
	int nr;

	/* process 100: two threads; 10 local flushes of 4 pages, 1 full, 5 sends to 3 cpus each */
	top_model_comm(m, 100, 100, "ignored");     /* not tracked yet: no effect */
	for (int i = 0; i < 10; i++) {
		ev = flush(100, 101, 0, TLB_REASON_LOCAL_MM_SHOOTDOWN, 4, 1000 + i);
		top_model_event(m, &ev);
	}
	ev = flush(100, 100, 1, TLB_REASON_LOCAL_SHOOTDOWN, -1, 2000);
	top_model_event(m, &ev);
	for (int i = 0; i < 5; i++) {
		uint64_t t0 = 10000 + (uint64_t)i * 1000000;

		ev = flush(100, 101, 0, TLB_REASON_REMOTE_SEND_IPI, 4, t0);
		top_model_event(m, &ev);
		for (int c = 1; c <= 3; c++) {
			ev = csd(100, 0, c, t0 + (uint64_t)c);
			top_model_event(m, &ev);
		}
	}
	top_model_comm(m, 100, 100, "churn");
	/* process 200: one flush, victim on cpu 2 */
	ev = flush(200, 200, 2, TLB_REASON_REMOTE_SHOOTDOWN, 1, 3000);
	top_model_event(m, &ev);
	top_model_generic(m, 300, 300, 3);
	top_model_generic(m, 300, 300, 3);
	top_model_lost(m, 7);
	top_model_close(m, 2.0);

	top_model_node(m, &n);
	is_int(n.c.cnt.events, 17, "node invalidations");
	is_int(n.c.cnt.remote_sends, 5, "node remote sends");
	is_int(n.c.cnt.victim_hits, 1, "node victims");
	is_int(n.c.cnt.pages, 41, "pages exclude reason 4 and full flushes");
	is_int(n.c.cnt.full_flushes, 1, "full flushes counted apart");
	is_int(n.c.cnt.ipis, 5, "csd groups: one request per send");
	is_int(n.c.cnt.ipi_targets, 15, "csd targets");
	is_int(n.c.cnt.max_fanout, 3, "csd max fan-out");
	is_int(n.c.gen, 2, "generic hits");
	is_int(n.lost, 7, "lost");
	is_int(n.cpu_inv[0], 15, "cpu 0 invalidations");
	is_int(n.nr_procs, 3, "three processes tracked");

	nr = top_model_rows(m, TOP_SORT_RATE, 0, NULL, 0, 0, &v);
	is_int(nr, 3, "three rows");
	is_int(v[0]->pid, 100, "highest rate first");
	is_str(v[0]->comm, "churn", "comm from the comm record");
	ok(v[0]->hist[TOP_HIST - 1] > 7.9 && v[0]->hist[TOP_HIST - 1] < 8.1, "trend holds 16 / 2 s");
	free(v);
	nr = top_model_rows(m, TOP_SORT_EVENTS, 0, NULL, 0, 0, &v);
	is_int(v[0]->pid, 300, "sort by generic events");
	free(v);
	nr = top_model_rows(m, TOP_SORT_FANOUT, 0, NULL, 0, 0, &v);
	is_int(v[0]->pid, 100, "sort by fan-out");
	free(v);
	nr = top_model_rows(m, TOP_SORT_RATE, 100, NULL, 0, 0, &v);
	is_int(nr, 2, "thread view: two threads of 100");
	is_int(v[0]->tid, 101, "busiest thread first");
	free(v);
	{
		pid_t only = 200;

		nr = top_model_rows(m, TOP_SORT_RATE, 0, &only, 1, 0, &v);
		is_int(nr, 1, "pid filter");
		free(v);
	}

	/* text */
	{
		struct top_render r = { .sort = TOP_SORT_REMOTE, .victims_observable = false,
					.transport = "hypervisor", .victims_note = "not observable" };

		top_fmt_columns(buf, sizeof(buf), &r, false);
		ok(strstr(buf, "REMOTE/s*") != NULL, "sort column marked: %s", buf);
		ok(strstr(buf, "INV/s*") == NULL, "only the sort column marked");
		nr = top_model_rows(m, TOP_SORT_RATE, 0, NULL, 0, 1, &v);
		top_fmt_row(buf, sizeof(buf), v[0], &n, &r, NULL, NULL);
		free(v);
		ok(strstr(buf, "churn") && strstr(buf, "8.0") && strstr(buf, "n/a"),
		   "row: comm, 8.0/s, victims n/a: %s", buf);
		ok(strstr(buf, "3.0") != NULL, "row: fan-out 3.0");
		nr = top_fmt_header(lines, 8, &n, &r);
		ok(nr >= 3 && strstr(lines[1], "victims: n/a, not observable"), "header victims note");
		ok(strstr(lines[0], "health green") != NULL, "header health: %s", lines[0]);
		r.victims_observable = true;
		top_fmt_header(lines, 8, &n, &r);
		ok(strstr(lines[1], "0.5/s") != NULL, "header victims rate when observable: %s", lines[1]);
	}
	top_fmt_bytes(buf, sizeof(buf), 3.5 * 1024 * 1024);
	is_str(buf, "3.5M", "bytes format");
	top_fmt_rate(buf, sizeof(buf), 123456);
	is_str(buf, "123.5k", "rate format");

	/* age-out: process 200 and 300 idle for 4 intervals (age 3) are dropped; 100 stays */
	for (int i = 0; i < 4; i++) {
		ev = flush(100, 101, 0, TLB_REASON_LOCAL_MM_SHOOTDOWN, 1, 100000 + (uint64_t)i);
		top_model_event(m, &ev);
		top_model_close(m, 1.0);
	}
	top_model_node(m, &n);
	is_int(n.nr_procs, 1, "idle processes aged out");
	is_int(n.nr_threads, 1, "idle threads aged out");

	/* cap: 1000 short-lived pids never hold more than max_procs entries */
	for (int p = 1000; p < 2000; p++) {
		ev = flush(p, p, 1, TLB_REASON_LOCAL_SHOOTDOWN, 1, (uint64_t)p);
		top_model_event(m, &ev);
	}
	top_model_node(m, &n);
	is_int(n.nr_procs, 8, "processes capped at max_procs");
	is_int(n.nr_threads, 16, "threads capped at max_threads");
	ok(n.evicted >= 1000 - 8, "evictions counted (%llu)", (unsigned long long)n.evicted);
	ok(top_model_find_process(m, 1999) != NULL, "the newest pid is tracked");
	ok(top_model_find_process(m, 1000) == NULL, "the least recent pid was dropped");
	top_model_close(m, 1.0);
	nr = top_model_rows(m, TOP_SORT_RATE, 0, NULL, 0, 0, &v);
	is_int(nr, 8, "rows after the churn");
	free(v);
	top_model_track(m, 4242);
	ok(top_model_find_process(m, 4242) != NULL, "a tracked pid is listed without events");
	top_model_free(m);

	/* a task sampled past its exit comes as pid/tid -1 (perf_event_pid: pid already released) */
	m = top_model_new(&cfg);
	ev = flush(-1, -1, 1, TLB_REASON_LOCAL_MM_SHOOTDOWN, 1, 5000);
	top_model_event(m, &ev);
	ev = flush(500, 500, 0, TLB_REASON_LOCAL_MM_SHOOTDOWN, 1, 5001);
	top_model_event(m, &ev);
	top_model_close(m, 1.0);
	{
		struct top_task *x = top_model_find_process(m, -1);
		ok(x != NULL, "pid -1 kept as its own row");
		is_str(x ? x->comm : "", ":-1", "named ':-1', as perf script and report name it");
	}
	nr = top_model_rows(m, TOP_SORT_RATE, 0, NULL, 0, 0, &v);
	is_int(nr, 2, "pid -1 and 500 listed");
	free(v);
	top_model_free(m);
	return done_testing();
}
