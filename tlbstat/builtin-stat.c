/*
 * tlbstat stat: counting mode (no samples) of tlb:tlb_flush, one counter per reason through a
 * tracepoint filter ("reason == N"), per CPU, with the /proc/interrupts TLB: row as a cross-check,
 * the health score and the remote-flush transport. Documentation/tlbstat-stat.txt.
 */
#include "builtin.h"
#include "count.h"
#include "counter.h"
#include "evlist.h"
#include "interrupts.h"
#include "outfile.h"
#include "output.h"
#include "parse-options.h"
#include "reason.h"
#include "transport.h"
#include "util.h"
#include "workload.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const stat_usage[] = {
	"tlbstat stat [<options>] [-- <command> [<args>]]",
	NULL,
};

struct stat_opts {
	bool all_cpus, json, csv;
	const char *cpu_list, *pid, *tid, *output;
	int interval_ms;
	double duration;
};

struct stat_ctx {
	struct stat_opts o;
	struct tlb_evlist el;
	struct counter ctr;
	FILE *out;
	const char *target_desc;
	struct transport_info transport;
};

static volatile sig_atomic_t done, child_exited;
/* -p / -t: the targets watched for their exit (as perf stat does), and whether all are gone */
static const struct tlb_evlist *watched;
static bool targets_gone;

static void on_signal(int sig)
{
	if (sig == SIGCHLD)
		child_exited = 1;
	else
		done = 1;
}

static void take(struct stat_ctx *c, struct counter_snapshot *s)
{
	char err[256];

	if (counter_take(&c->ctr, s, err, sizeof(err)) < 0)
		tlb_die(EXIT_FAIL, "%s", err);
}

static void diff(struct stat_ctx *c, const struct counter_snapshot *a,
		 const struct counter_snapshot *b, struct counter_period *p)
{
	if (counter_diff(&c->ctr, a, b, p) < 0)
		tlb_die(EXIT_FAIL, "out of memory");
}

static uint64_t tlb_irq_of(struct stat_ctx *c, const struct counter_period *p, int ci)
{
	int cpu = c->el.cpus[ci];
	return cpu >= 0 && cpu < INTR_MAX_CPUS ? p->tlb_cpu[cpu] : 0;
}

static void print_json(struct stat_ctx *c, const struct counter_period *p, double t_end, bool interval)
{
	struct json_writer w;
	json_init(&w, c->out, false);
	json_object_begin(&w, NULL);
	if (interval)
		json_double(&w, "interval_end_s", t_end);
	json_double(&w, "duration_s", p->secs);
	json_int(&w, "cpus", p->ncpus);
	json_string(&w, "target", c->target_desc);
	json_uint(&w, "total", p->total);
	json_double(&w, "rate_per_s", p->rate);
	json_double(&w, "per_core_rate", p->per_core);
	json_string(&w, "health", tlb_health_name(p->health));
	if (p->tlb_present)
		json_uint(&w, "interrupts_tlb", p->tlb_total);
	else
		json_null(&w, "interrupts_tlb");
	if (!interval) {
		json_string(&w, "transport", transport_name(c->transport.transport));
		json_string(&w, "transport_evidence", c->transport.evidence);
		json_bool(&w, "victims_observable",
			  transport_victims_observable(c->transport.transport));
	}
	json_object_begin(&w, "reasons");
	for (int r = 0; r < TLB_NR_REASONS; r++)
		json_uint(&w, tlb_reason_key(r), p->reasons[r]);
	json_object_end(&w);
	json_array_begin(&w, "per_cpu");
	for (int ci = 0; ci < p->ncpus; ci++) {
		json_object_begin(&w, NULL);
		json_int(&w, "cpu", c->el.cpus[ci]);
		json_uint(&w, "total", counter_cpu_total(p, ci));
		json_double(&w, "rate_per_s", p->secs > 0 ? (double)counter_cpu_total(p, ci) / p->secs : 0);
		for (int r = 0; r < TLB_NR_REASONS; r++)
			json_uint(&w, tlb_reason_key(r), p->per_cpu[ci * TLB_NR_REASONS + r]);
		if (p->tlb_present)
			json_uint(&w, "interrupts_tlb", tlb_irq_of(c, p, ci));
		json_object_end(&w);
	}
	json_array_end(&w);
	json_object_end(&w);
	json_finish(&w);
}

/* CSV columns: [time_s,] cpu, one per reason, total, rate_per_s, interrupts_tlb, health */
#define STAT_CSV_COLS (2 + TLB_NR_REASONS + 4)

static void csv_table(struct stat_ctx *c, bool interval, struct out_table *t,
		      struct out_col cols[STAT_CSV_COLS])
{
	static const char *const tail[] = { "total", "rate_per_s", "interrupts_tlb", "health" };
	int n = 0;

	memset(cols, 0, STAT_CSV_COLS * sizeof(*cols));
	if (interval)
		cols[n++].title = "time_s";
	cols[n++].title = "cpu";
	for (int r = 0; r < TLB_NR_REASONS; r++)
		cols[n++].title = tlb_reason_key(r);
	for (size_t i = 0; i < ARRAY_SIZE(tail); i++)
		cols[n++].title = tail[i];
	out_table_init(t, c->out, OUT_CSV, NULL, cols, n);
}

static void print_csv_header(struct stat_ctx *c, bool interval)
{
	struct out_col cols[STAT_CSV_COLS];
	struct out_table t;

	csv_table(c, interval, &t, cols);
	out_table_header(&t);
}

/* one row for all CPUs ("all"), then one per CPU */
static void print_csv(struct stat_ctx *c, const struct counter_period *p, double t_end, bool interval)
{
	struct out_col cols[STAT_CSV_COLS];
	struct out_table t;

	csv_table(c, interval, &t, cols);
	for (int ci = -1; ci < p->ncpus; ci++) {
		uint64_t tot = ci < 0 ? p->total : counter_cpu_total(p, ci);
		double rate = p->secs > 0 ? (double)tot / p->secs : 0;

		if (interval)
			out_cell_double(&t, t_end, 3);
		if (ci < 0)
			out_cell(&t, "all");
		else
			out_cell_int(&t, c->el.cpus[ci]);
		for (int r = 0; r < TLB_NR_REASONS; r++)
			out_cell_u64(&t, ci < 0 ? p->reasons[r] : p->per_cpu[ci * TLB_NR_REASONS + r]);
		out_cell_u64(&t, tot);
		out_cell_double(&t, rate, 2);
		if (p->tlb_present)
			out_cell_u64(&t, ci < 0 ? p->tlb_total : tlb_irq_of(c, p, ci));
		else
			out_cell(&t, NULL);
		out_cell(&t, tlb_health_name(ci < 0 ? p->health : count_rate_of(tot, p->secs, 1).health));
		out_row_end(&t);
	}
}

static void print_interval_line(struct stat_ctx *c, const struct counter_period *p, double t_end)
{
	fprintf(c->out, "%10.3f %12llu %10.1f/s %9.1f/s/core %-6s", t_end,
		(unsigned long long)p->total, p->rate, p->per_core, tlb_health_name(p->health));
	for (int r = 0; r < TLB_NR_REASONS; r++)
		fprintf(c->out, " %s=%llu", tlb_reason_key(r), (unsigned long long)p->reasons[r]);
	if (p->tlb_present)
		fprintf(c->out, " TLB:irq=%llu", (unsigned long long)p->tlb_total);
	fputc('\n', c->out);
}

/* per CPU: one column per reason, the total and the CPU's TLB: interrupts */
static void print_cpu_table(struct stat_ctx *c, const struct counter_period *p)
{
	static const struct out_col cols[] = {
		{ "CPU", 5 }, { "switch", 11 }, { "remote", 11 }, { "local", 11 },
		{ "local-mm", 11 }, { "send-ipi", 11 }, { "wrong-cpu", 11 }, { "total", 11 },
		{ "TLB:irq", 8 },
	};
	struct out_table t;

	out_table_init(&t, c->out, OUT_TABLE, " ", cols, ARRAY_SIZE(cols));
	out_table_header(&t);
	for (int ci = 0; ci < p->ncpus; ci++) {
		out_cell_int(&t, c->el.cpus[ci]);
		for (int r = 0; r < TLB_NR_REASONS; r++)
			out_cell_u64(&t, p->per_cpu[ci * TLB_NR_REASONS + r]);
		out_cell_u64(&t, counter_cpu_total(p, ci));
		if (p->tlb_present)
			out_cell_u64(&t, tlb_irq_of(c, p, ci));
		else
			out_cell(&t, "n/a");
		out_row_end(&t);
	}
}

static void print_table(struct stat_ctx *c, const struct counter_period *p)
{
	FILE *f = c->out;
	bool victims = transport_victims_observable(c->transport.transport);

	fprintf(f, "\n Performance counter stats for %s (tlb:tlb_flush, %d CPU%s):\n\n",
		c->target_desc, p->ncpus, p->ncpus == 1 ? "" : "s");
	for (int r = 0; r < TLB_NR_REASONS; r++) {
		fprintf(f, " %14llu      %-22s %12.1f/s", (unsigned long long)p->reasons[r],
			tlb_reason_label(r), p->secs > 0 ? (double)p->reasons[r] / p->secs : 0);
		if (r == TLB_REASON_REMOTE_SHOOTDOWN && !victims && p->reasons[r] == 0)
			fprintf(f, "   %s", transport_victims_note(c->transport.transport));
		fputc('\n', f);
	}
	fprintf(f, " %14llu      %-22s %12.1f/s   %.1f/s/core  health: %s\n",
		(unsigned long long)p->total, "total invalidations", p->rate, p->per_core,
		tlb_health_name(p->health));
	if (p->tlb_present)
		fprintf(f, " %14llu      %-22s %12.1f/s   (/proc/interrupts, all CPUs)\n",
			(unsigned long long)p->tlb_total, "TLB: interrupts",
			p->secs > 0 ? (double)p->tlb_total / p->secs : 0);
	else
		fprintf(f, " %14s      %-22s\n", "n/a", "TLB: interrupts (no TLB: row here)");

	fputc('\n', f);
	print_cpu_table(c, p);
	fprintf(f, "\n transport: %s (%s)\n", transport_name(c->transport.transport),
		c->transport.evidence);
	fprintf(f, "\n %14.6f seconds time elapsed\n\n", p->secs);
}

/* Sleep until the deadline, a signal, the workload's exit, or the exit of every -p/-t target. */
static void wait_until(uint64_t deadline_ns)
{
	int slice = watched ? 200 : 1000;	/* ms: how soon a target's exit is noticed */

	while (!done && !child_exited && !targets_gone) {
		uint64_t now = now_ns();
		int ms;
		if (deadline_ns && now >= deadline_ns)
			return;
		ms = deadline_ns ? (int)((deadline_ns - now + 999999) / 1000000) : slice;
		poll(NULL, 0, ms > slice ? slice : ms);
		if (watched && !tlb_evlist_targets_alive(watched))
			targets_gone = true;
	}
}

/* The header line's target: "command 'x y'", "process id '12'", "CPU(s) 0-3", ... */
static void describe_target(struct stat_ctx *c, const struct tlb_target *t, const struct workload *wl,
			    char **cmd, int nr_cmd, char *desc, size_t len)
{
	if (wl->pid > 0) {
		size_t n = (size_t)snprintf(desc, len, "%s '", t->system_wide ? "system wide, during" :
					    "command");
		for (int i = 0; i < nr_cmd && n < len - 2; i++)
			n += (size_t)snprintf(desc + n, len - n, "%s%s", i ? " " : "", cmd[i]);
		snprintf(desc + (n < len - 2 ? n : len - 2), 2, "'");
	} else if (t->pid > 0) {
		snprintf(desc, len, "process id '%d'", (int)t->pid);
	} else if (t->tid > 0) {
		snprintf(desc, len, "thread id '%d'", (int)t->tid);
	} else if (c->o.cpu_list) {
		snprintf(desc, len, "CPU(s) %s", c->o.cpu_list);
	} else {
		snprintf(desc, len, "'system wide'");
	}
	c->target_desc = desc;
}

/* One -I line (or JSON/CSV record): the counts since prev; then prev = cur. */
static void print_interval(struct stat_ctx *c, const struct counter_snapshot *start,
			   struct counter_snapshot *prev, struct counter_snapshot *cur,
			   struct counter_period *iv)
{
	double t_end;

	take(c, cur);
	diff(c, prev, cur, iv);
	t_end = (double)(cur->t_ns - start->t_ns) / 1e9;
	if (c->o.json)
		print_json(c, iv, t_end, true);
	else if (c->o.csv)
		print_csv(c, iv, t_end, true);
	else
		print_interval_line(c, iv, t_end);
	fflush(c->out);
	if (counter_copy(&c->ctr, prev, cur) < 0)
		tlb_die(EXIT_FAIL, "out of memory");
}

/* Count until the deadline, a signal, or the exit of the workload or of every -p/-t target. */
static void count_loop(struct stat_ctx *c, struct workload *wl, const struct counter_snapshot *start)
{
	struct counter_snapshot prev = { 0 }, cur = { 0 };
	struct counter_period iv = { 0 };
	uint64_t deadline = 0, next_iv = 0;

	if (counter_copy(&c->ctr, &prev, start) < 0)
		tlb_die(EXIT_FAIL, "out of memory");
	if (c->o.duration > 0)
		deadline = start->t_ns + (uint64_t)(c->o.duration * 1e9);
	if (c->o.interval_ms)
		next_iv = start->t_ns + (uint64_t)c->o.interval_ms * 1000000ull;
	for (;;) {
		wait_until(next_iv && (!deadline || next_iv < deadline) ? next_iv : deadline);
		if (child_exited) {
			if (workload_poll(wl))
				break;
			child_exited = 0;
		}
		if (done || targets_gone)
			break;
		if (next_iv && now_ns() >= next_iv) {
			print_interval(c, start, &prev, &cur, &iv);
			next_iv += (uint64_t)c->o.interval_ms * 1000000ull;
		}
		if (deadline && now_ns() >= deadline)
			break;
	}
	counter_snapshot_free(&prev);
	counter_snapshot_free(&cur);
	counter_period_free(&iv);
}

/* The whole run: its figures, the transport they point to, the summary. */
static void print_summary(struct stat_ctx *c, const struct counter_snapshot *start)
{
	struct counter_snapshot end = { 0 };
	struct counter_period whole = { 0 };
	struct transport_observation obs;

	take(c, &end);
	diff(c, start, &end, &whole);
	counter_observe(&whole, &obs);
	transport_detect(&obs, &c->transport);
	if (c->o.json)
		print_json(c, &whole, whole.secs, false);
	else if (c->o.csv && !c->o.interval_ms)
		print_csv(c, &whole, whole.secs, false);
	else if (!c->o.csv)
		print_table(c, &whole);
	counter_snapshot_free(&end);
	counter_period_free(&whole);
}

/*
 * The options into o and the target: the index of the command's first word, or a
 * parse_options() code (help, usage error: already printed). A bad target combination dies.
 */
static int stat_options(int argc, char **argv, struct stat_opts *o, struct tlb_target *target)
{
	uint64_t duration_ns = 0, interval_ns = 0;
	const struct option_def opts[] = {
		OPT_SECTION(" Target (default: all CPUs)"),
		OPT_BOOLEAN('a', "all-cpus", &o->all_cpus, "system-wide counting from all CPUs"),
		OPT_STR('C', "cpu", &o->cpu_list, "cpus", "count only on these CPUs (e.g. 0-3,6)"),
		OPT_STR('p', "pid", &o->pid, "pid", "count the threads of an existing process (ends when all have exited)"),
		OPT_STR('t', "tid", &o->tid, "tid", "count one existing thread"),
		OPT_SECTION(" Duration"),
		OPT_DURATION('d', "duration", &duration_ns, DUR_S, DUR_MS, 365 * DUR_D,
			     "stop after this long (seconds, or 500ms, 2m, 1h; 1ms to 365d)"),
		OPT_DURATION_FLAG('I', "interval-print", &interval_ns, DUR_MS, 10 * DUR_MS, DUR_D,
				  "print counts every <ms> milliseconds (or 2s, 1m; 10ms to 1d)",
				  PARSE_OPT_ZERO_OK),
		OPT_SECTION(" Output"),
		OPT_BOOLEAN_FLAG(0, "json", &o->json, "one JSON object (with -I: one per line, summary "
				 "last)", PARSE_OPT_EXCLUSIVE),
		OPT_BOOLEAN_FLAG(0, "csv", &o->csv, "CSV rows per CPU and 'all'", PARSE_OPT_EXCLUSIVE),
		OPT_STR('o', "output", &o->output, "file", "write the output to a file"),
		OPT_FINISH(),
	};
	int argi = parse_options(argc, argv, opts, stat_usage, true);
	char err[256];

	if (argi < 0)
		return argi;
	/* the counting loop keeps its units: whole milliseconds for -I, seconds for -d */
	o->duration = (double)duration_ns / 1e9;
	o->interval_ms = (int)(interval_ns / DUR_MS);
	if (tlb_target_from_options(target, o->all_cpus, o->cpu_list, o->pid, o->tid, argi < argc,
				    err, sizeof(err)) < 0)
		tlb_die(EXIT_USAGE, "%s", err);
	return argi;
}

int cmd_stat(int argc, char **argv)
{
	struct stat_ctx c = { 0 };
	struct tlb_target target = { 0 };
	struct counter_snapshot start = { 0 };
	struct workload wl;
	int rc = EXIT_OK;
	int argi = stat_options(argc, argv, &c.o, &target);
	char desc[512];

	if (argi < 0)
		return parse_options_exit(argi);
	c.out = stdout;

	if (c.o.output) {
		char err[512];

		c.out = outfile_fopen(c.o.output, err, sizeof(err));
		if (!c.out)
			tlb_die(EXIT_FAIL, "%s", err);
	}

	tlb_evlist_init(&c.el);
	if (counter_add_reasons(&c.ctr, &c.el, desc, sizeof(desc)) < 0) {
		tlb_evlist_close(&c.el);
		return EXIT_ENV;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGCHLD, on_signal);
	workload_init(&wl);
	if (argi < argc) {
		if (workload_prepare(&wl, argv + argi, desc, sizeof(desc)) < 0) {
			tlb_err("%s", desc);
			tlb_evlist_close(&c.el);
			return EXIT_FAIL;
		}
		target.workload = wl.pid;
	}
	if (tlb_evlist_set_target(&c.el, &target) < 0) {
		rc = EXIT_USAGE;
		goto kill_child;
	}
	if (tlb_evlist_open(&c.el) < 0) {
		rc = EXIT_ENV;
		goto kill_child;
	}
	describe_target(&c, &target, &wl, argv + argi, argc - argi, desc, sizeof(desc));

	if (c.o.csv)
		print_csv_header(&c, c.o.interval_ms > 0);
	if (c.o.interval_ms && !c.o.json && !c.o.csv)
		fprintf(c.out, "#     time        total       rate        per-core health reasons\n");

	/* per-task counters of a workload are enabled by the kernel at its exec (enable_on_exec) */
	if (wl.pid <= 0 || target.system_wide)
		tlb_evlist_enable(&c.el);
	if (wl.pid > 0)
		workload_start(&wl);
	else if (target.pid > 0 || target.tid > 0)
		watched = &c.el;
	take(&c, &start);
	count_loop(&c, &wl, &start);
	tlb_evlist_disable(&c.el);
	print_summary(&c, &start);

	if (workload_status(&wl) != -1)
		rc = workload_exit_code(workload_status(&wl), done);
	workload_close(&wl);	/* one that outlived --duration keeps running, as before */
	tlb_evlist_close(&c.el);
	counter_snapshot_free(&start);
	if (c.out != stdout && outfile_close(c.out, c.o.output, desc, sizeof(desc)) < 0) {
		tlb_err("%s", desc);	/* -o's file: stdout is the dispatcher's */
		rc = EXIT_FAIL;
	}
	return rc;

kill_child:
	workload_kill(&wl, SIGKILL);
	tlb_evlist_close(&c.el);	/* every path frees: the sanitizer suite counts leaks */
	return rc;
}
