// SPDX-License-Identifier: GPL-2.0
/*
 * tlbstat stat: counting mode (no samples) of tlb:tlb_flush, one counter per reason through a
 * tracepoint filter ("reason == N"), per CPU, with the /proc/interrupts TLB: row as a cross-check,
 * the health score and the remote-flush transport. Like perf stat, the counts go to stderr (or
 * -o FILE), so that a command's own stdout stays its own. Documentation/tlbstat-stat.txt.
 */
#include "builtin.h"
#include "count.h"
#include "events.h"
#include "counter.h"
#include "evlist.h"
#include "interrupts.h"
#include "outfile.h"
#include "output.h"
#include "parse-options.h"
#include "reason.h"
#include "strlist.h"
#include "transport.h"
#include "util.h"
#include "workload.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

/* The version of stat's JSON document (Documentation/json.md, schema/stat.json). */
#define STAT_JSON_SCHEMA 1
#define STAT_MAX_REPEAT 100

static const char *const stat_usage[] = {
	"tlbstat stat [<options>] [-- <command> [<args>]]",
	NULL,
};

struct stat_opts {
	bool all_cpus, json, csv, no_aggr, events_given, syscalls;
	bool shown[TLB_NR_REASONS];	/* -e: the reasons printed (all without -e) */
	const char *cpu_list, *pid, *tid, *output, *field_sep;
	int interval_ms;
	unsigned repeat;
	double duration;
};

struct stat_ctx {
	struct stat_opts o;
	struct tlb_evlist el;
	struct counter ctr;
	FILE *out;
	const char *target_desc;
	struct transport_info transport;
	const struct counter_repeat *rep;	/* -r N (N > 1): each count's noise; else NULL */
	bool header_done;
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

static double per_sec(uint64_t n, double secs)
{
	return secs > 0 ? (double)n / secs : 0;
}

/* -r: a count's noise in percent ("( +- x% )"); NULL stats (one run): NaN */
static double noise_of(const struct counter_stats *s)
{
	return s ? counter_stats_rel_noise(s) : NAN;
}

static const struct counter_stats *reason_noise(struct stat_ctx *c, int ci, int r)
{
	if (!c->rep)
		return NULL;
	return ci < 0 ? &c->rep->reasons[r] : &c->rep->per_cpu[ci * TLB_NR_REASONS + r];
}

/* ---------------- JSON (Documentation/json.md) ---------------- */

static void json_reasons(struct stat_ctx *c, struct json_writer *w, const uint64_t *counts)
{
	for (int r = 0; r < TLB_NR_REASONS; r++)
		if (c->o.shown[r])
			json_uint(w, tlb_reason_key(r), counts[r]);
}

static void json_noise(struct stat_ctx *c, struct json_writer *w)
{
	json_int(w, "runs", c->rep ? c->rep->runs : 1);
	if (!c->rep)
		return;
	json_object_begin(w, "noise_pct");
	for (int r = 0; r < TLB_NR_REASONS; r++)
		if (c->o.shown[r])
			json_double(w, tlb_reason_key(r), noise_of(&c->rep->reasons[r]));
	json_double(w, "total", noise_of(&c->rep->total));
	json_double(w, "duration_s", noise_of(&c->rep->secs));
	json_object_end(w);
}

static void json_per_cpu(struct stat_ctx *c, struct json_writer *w, const struct counter_period *p)
{
	json_array_begin(w, "per_cpu");
	for (int ci = 0; ci < p->ncpus; ci++) {
		json_object_begin(w, NULL);
		json_int(w, "cpu", c->el.cpus[ci]);
		json_uint(w, "total", counter_cpu_total(p, ci));
		json_double(w, "rate_per_s", per_sec(counter_cpu_total(p, ci), p->secs));
		json_reasons(c, w, p->per_cpu + ci * TLB_NR_REASONS);
		if (p->tlb_present)
			json_uint(w, "interrupts_tlb", tlb_irq_of(c, p, ci));
		json_object_end(w);
	}
	json_array_end(w);
}

static void print_json(struct stat_ctx *c, const struct counter_period *p, double t_end, bool interval)
{
	struct json_writer w;

	json_init(&w, c->out, false);
	json_object_begin(&w, NULL);
	json_int(&w, "schema_version", STAT_JSON_SCHEMA);
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
		json_noise(c, &w);
	}
	json_object_begin(&w, "reasons");
	json_reasons(c, &w, p->reasons);
	json_object_end(&w);
	json_per_cpu(c, &w, p);
	json_object_end(&w);
	json_finish(&w);
}

/* ---------------- --csv: one wide row per CPU and an "all" row ---------------- */

/* CSV columns: [time_s,] cpu, one per shown reason, total, rate_per_s, interrupts_tlb, health */
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
		if (c->o.shown[r])
			cols[n++].title = tlb_reason_key(r);
	for (size_t i = 0; i < ARRAY_SIZE(tail); i++)
		cols[n++].title = tail[i];
	out_table_init(t, c->out, OUT_CSV, NULL, cols, n);
}

/* one row for all CPUs ("all"), then one per CPU */
static void print_csv(struct stat_ctx *c, const struct counter_period *p, double t_end, bool interval)
{
	struct out_col cols[STAT_CSV_COLS];
	struct out_table t;

	csv_table(c, interval, &t, cols);
	for (int ci = -1; ci < p->ncpus; ci++) {
		uint64_t tot = ci < 0 ? p->total : counter_cpu_total(p, ci);

		if (interval)
			out_cell_double(&t, t_end, 3);
		if (ci < 0)
			out_cell(&t, "all");
		else
			out_cell_int(&t, c->el.cpus[ci]);
		for (int r = 0; r < TLB_NR_REASONS; r++)
			if (c->o.shown[r])
				out_cell_u64(&t, ci < 0 ? p->reasons[r] : p->per_cpu[ci * TLB_NR_REASONS + r]);
		out_cell_u64(&t, tot);
		out_cell_double(&t, per_sec(tot, p->secs), 2);
		if (p->tlb_present)
			out_cell_u64(&t, ci < 0 ? p->tlb_total : tlb_irq_of(c, p, ci));
		else
			out_cell(&t, NULL);
		out_cell(&t, tlb_health_name(ci < 0 ? p->health : counter_cpu_health(p, ci)));
		out_row_end(&t);
	}
}

/* ---------------- -x SEP: perf stat -x rows ---------------- */

/*
 * One count as perf stat -x prints it: [time SEP] [CPU<n> SEP] value SEP unit SEP event SEP
 * [noise% SEP (with -r)] run-time-ns SEP percent-running SEP metric SEP metric-unit.
 */
struct x_row {
	int cpu;			/* -1: aggregated */
	const char *value, *event;
	const struct counter_stats *noise;
	double metric;			/* NaN: none */
	const char *metric_unit;
};

static void x_print(struct stat_ctx *c, const struct counter_period *p, double t_end,
		    bool interval, const struct x_row *x)
{
	const char *s = c->o.field_sep;
	FILE *f = c->out;

	if (interval)
		fprintf(f, "%.9f%s", t_end, s);
	if (x->cpu >= 0)
		fprintf(f, "CPU%d%s", x->cpu, s);
	fprintf(f, "%s%s%s%s", x->value, s, s, x->event);
	if (c->rep) {
		if (x->noise)
			fprintf(f, "%s%.2f%%", s, noise_of(x->noise));
		else
			fputs(s, f);
	}
	fprintf(f, "%s%llu%s100.00%s", s, (unsigned long long)(p->secs * 1e9), s, s);
	if (!isnan(x->metric))
		fprintf(f, "%.2f%s%s", x->metric, s, x->metric_unit);
	else
		fputs(s, f);
	fputc('\n', f);
}

/* The rows of one CPU index ci, or of all CPUs (ci -1). */
static void x_rows(struct stat_ctx *c, const struct counter_period *p, double t_end, bool interval,
		   int ci)
{
	uint64_t tot = ci < 0 ? p->total : counter_cpu_total(p, ci);
	struct x_row x = { .cpu = ci < 0 ? -1 : c->el.cpus[ci] };
	char v[32];

	x.value = v;
	for (int r = 0; r < TLB_NR_REASONS; r++) {
		uint64_t n = ci < 0 ? p->reasons[r] : p->per_cpu[ci * TLB_NR_REASONS + r];

		if (!c->o.shown[r])
			continue;
		snprintf(v, sizeof(v), "%llu", (unsigned long long)n);
		x.event = tlb_reason_key(r);
		x.noise = reason_noise(c, ci, r);
		x.metric = per_sec(n, p->secs);
		x.metric_unit = "/s";
		x_print(c, p, t_end, interval, &x);
	}
	snprintf(v, sizeof(v), "%llu", (unsigned long long)tot);
	x.event = "total";
	x.noise = !c->rep ? NULL : ci < 0 ? &c->rep->total : &c->rep->cpu_total[ci];
	x.metric = ci < 0 ? p->per_core : per_sec(tot, p->secs);
	x.metric_unit = ci < 0 ? "/s/core" : "/s";
	x_print(c, p, t_end, interval, &x);
	if (p->tlb_present) {
		uint64_t irq = ci < 0 ? p->tlb_total : tlb_irq_of(c, p, ci);

		snprintf(v, sizeof(v), "%llu", (unsigned long long)irq);
		x.event = "interrupts_tlb";
		/* -r: the TLB: row's noise all CPUs together only */
		x.noise = c->rep && ci < 0 ? &c->rep->tlb_total : NULL;
		x.metric = per_sec(irq, p->secs);
		x.metric_unit = "/s";
		x_print(c, p, t_end, interval, &x);
	}
	x.value = tlb_health_name(ci < 0 ? p->health : counter_cpu_health(p, ci));
	x.event = "health";
	x.noise = NULL;
	x.metric = NAN;
	x_print(c, p, t_end, interval, &x);
}

/* Aggregated rows, or with -A one set per CPU (as perf stat -A -x). */
static void print_x(struct stat_ctx *c, const struct counter_period *p, double t_end, bool interval)
{
	if (!c->o.no_aggr) {
		x_rows(c, p, t_end, interval, -1);
		return;
	}
	for (int ci = 0; ci < p->ncpus; ci++)
		x_rows(c, p, t_end, interval, ci);
}

/* ---------------- the table ---------------- */

static void print_interval_line(struct stat_ctx *c, const struct counter_period *p, double t_end)
{
	fprintf(c->out, "%10.3f %12llu %10.1f/s %9.1f/s/core %-6s", t_end,
		(unsigned long long)p->total, p->rate, p->per_core, tlb_health_name(p->health));
	for (int r = 0; r < TLB_NR_REASONS; r++)
		if (c->o.shown[r])
			fprintf(c->out, " %s=%llu", tlb_reason_key(r), (unsigned long long)p->reasons[r]);
	if (p->tlb_present)
		fprintf(c->out, " TLB:irq=%llu", (unsigned long long)p->tlb_total);
	fputc('\n', c->out);
}

/* -A: per CPU, one column per shown reason, the total and the CPU's TLB: interrupts */
static void print_cpu_table(struct stat_ctx *c, const struct counter_period *p)
{
	static const char *const titles[TLB_NR_REASONS] = {
		"switch", "remote", "local", "local-mm", "send-ipi", "wrong-cpu",
	};
	struct out_col cols[TLB_NR_REASONS + 3] = { { "CPU", 5 } };
	struct out_table t;
	int n = 1;

	for (int r = 0; r < TLB_NR_REASONS; r++)
		if (c->o.shown[r])
			cols[n++] = (struct out_col){ titles[r], 11 };
	cols[n++] = (struct out_col){ "total", 11 };
	cols[n++] = (struct out_col){ "TLB:irq", 8 };
	out_table_init(&t, c->out, OUT_TABLE, " ", cols, n);
	out_table_header(&t);
	for (int ci = 0; ci < p->ncpus; ci++) {
		out_cell_int(&t, c->el.cpus[ci]);
		for (int r = 0; r < TLB_NR_REASONS; r++)
			if (c->o.shown[r])
				out_cell_u64(&t, p->per_cpu[ci * TLB_NR_REASONS + r]);
		out_cell_u64(&t, counter_cpu_total(p, ci));
		if (p->tlb_present)
			out_cell_u64(&t, tlb_irq_of(c, p, ci));
		else
			out_cell(&t, "n/a");
		out_row_end(&t);
	}
}

/* -r: perf's noise column, "  ( +- 1.23% )" */
static void print_noise(struct stat_ctx *c, const struct counter_stats *s)
{
	if (s)
		fprintf(c->out, "  ( +- %5.2f%% )", noise_of(s));
}

/*
 * What health rates (count_health_of: the address-space flushes an initiating CPU asks for,
 * reasons 2 + 3), its per-core rate and the verdict, with the task switches it leaves out beside.
 */
static void print_health_line(FILE *f, const struct counter_period *p)
{
	struct count_health h = count_health_of(p->reasons, p->secs, p->ncpus);

	fprintf(f, " %14llu      %-22s %12.1f/s   %.1f/s/core  health: %s   (task switches: %llu)\n",
		(unsigned long long)h.events, "address-space flushes", per_sec(h.events, p->secs),
		isnan(h.per_core) ? 0.0 : h.per_core, tlb_health_name(h.health),
		(unsigned long long)h.task_switches);
}

static void print_table(struct stat_ctx *c, const struct counter_period *p)
{
	FILE *f = c->out;
	bool victims = transport_victims_observable(c->transport.transport);

	fprintf(f, "\n Performance counter stats for %s (tlb:tlb_flush, %d CPU%s", c->target_desc,
		p->ncpus, p->ncpus == 1 ? "" : "s");
	if (c->rep)
		fprintf(f, ", %d runs", c->rep->runs);
	fprintf(f, "):\n\n");
	for (int r = 0; r < TLB_NR_REASONS; r++) {
		if (!c->o.shown[r])
			continue;
		fprintf(f, " %14llu      %-22s %12.1f/s", (unsigned long long)p->reasons[r],
			tlb_reason_label(r), per_sec(p->reasons[r], p->secs));
		print_noise(c, reason_noise(c, -1, r));
		if (r == TLB_REASON_REMOTE_SHOOTDOWN && !victims && p->reasons[r] == 0)
			fprintf(f, "   %s", transport_info_victims_note(&c->transport));
		fputc('\n', f);
	}
	fprintf(f, " %14llu      %-22s %12.1f/s   %.1f/s/core",
		(unsigned long long)p->total, "total invalidations", p->rate, p->per_core);
	print_noise(c, c->rep ? &c->rep->total : NULL);
	fputc('\n', f);
	print_health_line(f, p);
	if (p->tlb_present)
		fprintf(f, " %14llu      %-22s %12.1f/s   (/proc/interrupts, all CPUs)\n",
			(unsigned long long)p->tlb_total, "TLB: interrupts", per_sec(p->tlb_total, p->secs));
	else
		fprintf(f, " %14s      %-22s\n", "n/a", "TLB: interrupts (no TLB: row here)");
	if (c->o.no_aggr) {
		fputc('\n', f);
		print_cpu_table(c, p);
	}
	fprintf(f, "\n transport: %s (%s)\n", transport_name(c->transport.transport),
		c->transport.evidence);
	fprintf(f, "\n %14.6f seconds time elapsed", p->secs);
	print_noise(c, c->rep ? &c->rep->secs : NULL);
	fprintf(f, "\n\n");
}

/* The CSV header, or the -I table's: once, before the first line (none after a failed start). */
static void print_header(struct stat_ctx *c)
{
	struct out_col cols[STAT_CSV_COLS];
	struct out_table t;

	if (c->header_done)
		return;
	c->header_done = true;
	if (c->o.csv) {
		csv_table(c, c->o.interval_ms > 0, &t, cols);
		out_table_header(&t);
	} else if (c->o.interval_ms && !c->o.json && !c->o.field_sep) {
		fprintf(c->out, "#     time        total       rate        per-core health reasons\n");
	}
}

/* ---------------- counting ---------------- */

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

/* One -I line (or JSON/CSV/-x record): the counts since prev; then prev = cur. */
static void print_interval(struct stat_ctx *c, const struct counter_snapshot *start,
			   struct counter_snapshot *prev, struct counter_snapshot *cur,
			   struct counter_period *iv)
{
	double t_end;

	take(c, cur);
	diff(c, prev, cur, iv);
	t_end = (double)(cur->t_ns - start->t_ns) / 1e9;
	print_header(c);
	if (c->o.json)
		print_json(c, iv, t_end, true);
	else if (c->o.csv)
		print_csv(c, iv, t_end, true);
	else if (c->o.field_sep)
		print_x(c, iv, t_end, true);
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

/* The summary of a period (one run, or the mean of -r runs): the transport it points to, then
 * the figures in the chosen format. */
static void print_summary(struct stat_ctx *c, const struct counter_period *whole)
{
	struct transport_observation obs;

	counter_observe(whole, &obs);
	transport_detect(&obs, &c->transport);
	print_header(c);
	if (c->o.json)
		print_json(c, whole, whole->secs, false);
	else if (c->o.field_sep && !c->o.interval_ms)	/* perf stat -x -I: intervals only */
		print_x(c, whole, whole->secs, false);
	else if (c->o.csv && !c->o.interval_ms)
		print_csv(c, whole, whole->secs, false);
	else if (!c->o.csv && !c->o.field_sep)
		print_table(c, whole);
}

/* Open the counters on the target and fork the command (held until its exec): 0 or an exit code. */
static int run_setup(struct stat_ctx *c, struct tlb_target *target, struct workload *wl,
		     char **cmd, int nr_cmd, char *desc, size_t len)
{
	/* every path frees the evlist: the sanitizer suite counts leaks */
	tlb_evlist_init(&c->el);
	if (counter_add_reasons(&c->ctr, &c->el, desc, len) < 0) {
		tlb_evlist_close(&c->el);
		return EXIT_ENV;
	}
	workload_init(wl);
	if (nr_cmd > 0) {
		if (workload_prepare(wl, cmd, desc, len) < 0) {
			tlb_err("%s", desc);
			tlb_evlist_close(&c->el);
			return EXIT_FAIL;
		}
		target->workload = wl->pid;
	}
	if (tlb_evlist_set_target(&c->el, target) < 0) {
		workload_kill(wl, SIGKILL);
		tlb_evlist_close(&c->el);
		return EXIT_USAGE;
	}
	if (tlb_evlist_open(&c->el) < 0) {
		workload_kill(wl, SIGKILL);
		tlb_evlist_close(&c->el);
		return EXIT_ENV;
	}
	describe_target(c, target, wl, cmd, nr_cmd, desc, len);
	return EXIT_OK;
}

/*
 * One run: count the target (or the command, from its exec to its exit) into whole. Returns
 * the exit code; *failed when nothing may be reported (setup failed, the command did not start).
 * The evlist stays open for the printing (its cpu numbers): the caller closes it.
 */
/*
 * Start counting: a system-wide or -p/-t target now (watched: the loop notices when its tasks
 * are gone); per-task counters of a workload are enabled by the kernel at its exec
 * (enable_on_exec), which workload_start() lets happen.
 */
static void counting_start(struct stat_ctx *c, const struct tlb_target *target, struct workload *wl)
{
	child_exited = 0;
	if (wl->pid <= 0 || target->system_wide)
		tlb_evlist_enable(&c->el);
	if (wl->pid > 0)
		workload_start(wl);
	else if (target->pid > 0 || target->tid > 0)
		watched = &c->el;
}

static int stat_run(struct stat_ctx *c, struct tlb_target *target, char **cmd, int nr_cmd,
		    struct counter_period *whole, bool *failed, char *desc, size_t len)
{
	struct counter_snapshot start = { 0 }, end = { 0 };
	struct workload wl;
	int rc = run_setup(c, target, &wl, cmd, nr_cmd, desc, len);

	*failed = rc != EXIT_OK;
	if (*failed)
		return rc;
	counting_start(c, target, &wl);
	take(c, &start);
	count_loop(c, &wl, &start);
	tlb_evlist_disable(&c->el);
	take(c, &end);
	diff(c, &start, &end, whole);
	if (workload_status(&wl) != -1)
		rc = workload_exit_code(workload_status(&wl), done);
	/* perf stat's habit: a command that could not start gets its error (printed by the child)
	 * and no table of zeros */
	*failed = workload_exec_failed(&wl);
	workload_close(&wl);	/* one that outlived --duration keeps running, as before */
	counter_snapshot_free(&start);
	counter_snapshot_free(&end);
	if (*failed)
		tlb_evlist_close(&c->el);
	return *failed ? EXIT_FAIL : rc;
}

/* ---------------- without tlb:tlb_flush (arm64; Documentation/arm64.md) ----------------
 *
 * Two stand-ins, each one counter per row (a tracepoint and a filter), counted over the same
 * targets as the reasons are, and printed under their own names, never as tlb:tlb_flush
 * reasons: the patched kernel's tlb:tlb_invalidation (what the initiating CPU asked for: all,
 * broadcasts, full flushes), chosen when tlb:tlb_flush is absent; and with --syscalls the
 * memory-management system calls that cause flushes, counted at entry from
 * raw_syscalls:sys_enter by this architecture's numbers (a 32-bit compat task's are not these).
 */
struct alt_row {
	const char *key, *label, *tracepoint, *filter;
};

#define SYS_ROW(name) { #name, #name "()", "raw_syscalls:sys_enter", "id == " STR(__NR_##name) }
#define STR(x) STR_(x)
#define STR_(x) #x
static const struct alt_row syscall_rows[] = {
	SYS_ROW(munmap), SYS_ROW(mprotect), SYS_ROW(madvise), SYS_ROW(mremap), SYS_ROW(brk),
};
static const struct alt_row inv_rows[] = {
	{ "invalidations", "tlb invalidations", "tlb:tlb_invalidation", NULL },
	{ "broadcast", "broadcast (target_cpus -1)", "tlb:tlb_invalidation", "target_cpus == -1" },
	{ "full_flush", "full flushes (range_size 0)", "tlb:tlb_invalidation", "range_size == 0" },
};

struct alt_stat {
	const char *source;		/* "syscalls", "tlb_invalidation" (JSON) */
	const char *what;		/* the table header's event */
	const struct alt_row *rows;
	int nr;
	int idx[8];
	uint64_t counts[8], total;	/* syscalls: the sum; invalidations: row 0 */
	double secs;
};

static void alt_print(struct stat_ctx *c, struct alt_stat *a)
{
	FILE *f = c->out;
	int ncpus = c->el.nr_cpus;
	double rate = a->secs > 0 ? (double)a->total / a->secs : 0;

	if (c->o.json) {
		struct json_writer w;

		json_init(&w, f, false);
		json_object_begin(&w, NULL);
		json_int(&w, "schema_version", STAT_JSON_SCHEMA);
		json_string(&w, "source", a->source);
		json_double(&w, "duration_s", a->secs);
		json_int(&w, "cpus", ncpus);
		json_string(&w, "target", c->target_desc);
		json_uint(&w, "total", a->total);
		json_double(&w, "rate_per_s", rate);
		json_string(&w, "transport", transport_name(c->transport.transport));
		json_string(&w, "transport_evidence", c->transport.evidence);
		json_bool(&w, "victims_observable",
			  transport_victims_observable(c->transport.transport));
		json_object_begin(&w, "counts");
		for (int i = 0; i < a->nr; i++)
			json_uint(&w, a->rows[i].key, a->counts[i]);
		json_object_end(&w);
		json_object_end(&w);
		json_finish(&w);
		return;
	}
	fprintf(f, "\n Performance counter stats for %s (%s, %d CPU%s):\n\n", c->target_desc,
		a->what, ncpus, ncpus == 1 ? "" : "s");
	for (int i = 0; i < a->nr; i++)
		fprintf(f, " %14llu      %-28s %12.1f/s\n", (unsigned long long)a->counts[i],
			a->rows[i].label, per_sec(a->counts[i], a->secs));
	if (a->rows == syscall_rows)
		fprintf(f, " %14llu      %-28s %12.1f/s   (system calls, not TLB flushes)\n",
			(unsigned long long)a->total, "mm syscalls", rate);
	fprintf(f, "\n transport: %s (%s)\n", transport_name(c->transport.transport),
		c->transport.evidence);
	if (!transport_victims_observable(c->transport.transport))
		fprintf(f, " victims:   %s\n", transport_info_victims_note(&c->transport));
	fprintf(f, "\n %14.6f seconds time elapsed\n\n", a->secs);
}

/* One run of a stand-in: the stat_run of the reasons, with its own rows. */
static int alt_run(struct stat_ctx *c, struct alt_stat *a, struct tlb_target *target,
		   char **cmd, int nr_cmd, char *desc, size_t len)
{
	struct workload wl;
	uint64_t t0, deadline = 0;
	int rc = EXIT_OK;

	tlb_evlist_init(&c->el);
	for (int i = 0; i < a->nr; i++) {
		a->idx[i] = tlb_evlist_add(&c->el, a->rows[i].tracepoint, a->rows[i].filter, NULL);
		if (a->idx[i] < 0) {
			tlb_evlist_close(&c->el);
			return EXIT_ENV;
		}
	}
	workload_init(&wl);
	if (nr_cmd > 0) {
		if (workload_prepare(&wl, cmd, desc, len) < 0) {
			tlb_err("%s", desc);
			tlb_evlist_close(&c->el);
			return EXIT_FAIL;
		}
		target->workload = wl.pid;
	}
	if (tlb_evlist_set_target(&c->el, target) < 0 || tlb_evlist_open(&c->el) < 0) {
		workload_kill(&wl, SIGKILL);
		tlb_evlist_close(&c->el);
		return EXIT_ENV;
	}
	describe_target(c, target, &wl, cmd, nr_cmd, desc, len);
	counting_start(c, target, &wl);
	t0 = now_ns();
	if (c->o.duration > 0)
		deadline = t0 + (uint64_t)(c->o.duration * 1e9);
	for (;;) {
		wait_until(deadline);
		if (child_exited) {
			if (workload_poll(&wl))
				break;
			child_exited = 0;
			continue;
		}
		break;
	}
	tlb_evlist_disable(&c->el);
	a->secs = (double)(now_ns() - t0) / 1e9;
	a->total = 0;
	for (int i = 0; i < a->nr; i++) {
		a->counts[i] = 0;
		for (int ci = 0; ci < c->el.nr_cpus; ci++)
			a->counts[i] += tlb_evlist_count(&c->el, a->idx[i], ci);
		if (a->rows == syscall_rows || i == 0)
			a->total += a->counts[i];
	}
	if (workload_status(&wl) != -1)
		rc = workload_exit_code(workload_status(&wl), done);
	if (workload_exec_failed(&wl))
		rc = EXIT_FAIL;
	else
		alt_print(c, a);
	workload_close(&wl);
	tlb_evlist_close(&c->el);
	return rc;
}

/*
 * Which source stat counts: tlb:tlb_flush's reasons (x86), else the patched kernel's
 * tlb:tlb_invalidation, else nothing but the message of what is missing (EXIT_ENV); --syscalls
 * chooses the mm system calls on any kernel. Returns -1 for the reasons, or an exit code with
 * the run done.
 */
static int stat_alt(struct stat_ctx *c, struct tlb_target *target, char **cmd, int nr_cmd,
		    char *desc, size_t len)
{
	struct tlb_events_view v;
	struct alt_stat a = { 0 };
	struct utsname u;
	char text[1024];

	tlb_events_view_read(&v);
	if (!c->o.syscalls && (!v.tracefs || v.tlb_flush))
		return -1;	/* the reasons; an unreadable tracefs is their error to give */
	if (c->o.syscalls) {
		a = (struct alt_stat){ "syscalls", "raw_syscalls:sys_enter, mm syscalls",
				       syscall_rows, (int)ARRAY_SIZE(syscall_rows) };
	} else if (v.tlb_invalidation) {
		fprintf(stderr, "tlbstat: %s: %s; counting tlb:tlb_invalidation (patches/) in its "
			"place\n", TLB_EVENTS_MISSING_FLUSH, tlb_events_missing_why(&v));
		a = (struct alt_stat){ "tlb_invalidation", "tlb:tlb_invalidation", inv_rows,
				       (int)ARRAY_SIZE(inv_rows) };
	} else {
		tlb_events_missing_text(&v, text, sizeof(text));
		tlb_err("%s", text);
		return EXIT_ENV;
	}
	if (c->o.events_given || c->o.interval_ms || c->o.repeat > 1 || c->o.csv ||
	    c->o.field_sep || c->o.no_aggr) {
		tlb_err("stat: -e, -I, -r, -A, -x and --csv count tlb:tlb_flush's reasons; %s",
			c->o.syscalls ? "--syscalls prints a table or --json"
				      : "counting tlb:tlb_invalidation prints a table or --json");
		return EXIT_USAGE;
	}
	/* the machine decides arm64's transport; a run of these counters observes nothing */
	if (uname(&u) == 0)
		transport_decide_machine(u.machine, NULL, NULL, u.release, NULL, &c->transport);
	if (!c->transport.tlbi)
		transport_detect(NULL, &c->transport);
	return alt_run(c, &a, target, cmd, nr_cmd, desc, len);
}

/* ---------------- options ---------------- */

/* -e: "tlb" (every reason, the default), reason keys or numbers, comma-separated, repeatable */
static int parse_events(const struct option_def *opt, const char *arg, char *err, size_t errlen)
{
	struct stat_opts *o = opt->value;
	struct strlist l;
	const char *item;
	int i, r;

	if (strlist_split(&l, arg, err, errlen) < 0)
		return -1;
	o->events_given = true;
	strlist_for_each(&l, i, item) {
		if (!strcmp(item, "tlb") || !strcmp(item, "tlb:tlb_flush")) {
			for (r = 0; r < TLB_NR_REASONS; r++)
				o->shown[r] = true;
			continue;
		}
		r = tlb_reason_parse(item);
		if (r < 0) {
			snprintf(err, errlen, "-e: unknown event '%s' (stat counts tlb:tlb_flush: 'tlb', "
				 "or reasons by name or number 0-5: task_switch, remote_shootdown, "
				 "local_shootdown, local_mm_shootdown, remote_ipi_send, remote_wrong_cpu)",
				 item);
			strlist_free(&l);
			return -1;
		}
		o->shown[r] = true;
	}
	strlist_free(&l);
	return 0;
}

/* What the option table cannot say: combinations. 0, or -1 with err. */
static int check_options(struct stat_opts *o, bool has_cmd, char *err, size_t errlen)
{
	if (!o->events_given)
		for (int r = 0; r < TLB_NR_REASONS; r++)
			o->shown[r] = true;
	if (o->field_sep && !*o->field_sep) {
		snprintf(err, errlen, "-x: the separator must not be empty");
		return -1;
	}
	if (o->repeat > STAT_MAX_REPEAT || (o->repeat > 1 && !has_cmd) || o->repeat == 0) {
		snprintf(err, errlen, "-r: repeats a command (give one after --) 1 to %d times",
			 STAT_MAX_REPEAT);
		return -1;
	}
	if (o->repeat > 1 && o->interval_ms) {
		snprintf(err, errlen, "-r and -I cannot be used together");
		return -1;
	}
	return 0;
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
		OPT_SECTION(" What and how long"),
		OPT_CALLBACK('e', "event", o, "reasons", "print these: tlb (all, the default) or reasons "
			     "by name or number, comma-separated (health counts all)", parse_events),
		OPT_DURATION('d', "duration", &duration_ns, DUR_S, DUR_MS, 365 * DUR_D,
			     "stop after this long (seconds, or 500ms, 2m, 1h; 1ms to 365d)"),
		OPT_UINTEGER('r', "repeat", &o->repeat, "n", "run the command n times (1 to 100): mean "
			     "and noise of each count"),
		OPT_BOOLEAN(0, "syscalls", &o->syscalls, "count the mm system calls that flush "
			    "(munmap, mprotect, madvise, mremap, brk) instead: for kernels without "
			    "tlb:tlb_flush (arm64)"),
		OPT_DURATION_FLAG('I', "interval-print", &interval_ns, DUR_MS, 10 * DUR_MS, DUR_D,
				  "print counts every <ms> milliseconds (or 2s, 1m; 10ms to 1d)",
				  PARSE_OPT_ZERO_OK),
		OPT_SECTION(" Output (stderr, like perf stat, or -o)"),
		OPT_BOOLEAN('A', "no-aggr", &o->no_aggr, "also per CPU (table; -x: per CPU only)"),
		OPT_BOOLEAN(0, "per-cpu", &o->no_aggr, "the same as -A"),
		OPT_BOOLEAN_FLAG('j', "json", &o->json, "one JSON object (with -I: one per line, summary "
				 "last)", PARSE_OPT_EXCLUSIVE),
		{ .type = OPT_STRING, .short_name = 'x', .long_name = "field-separator",
		  .value = OPT_TYPED(&o->field_sep, const char **), .argh = "sep",
		  .help = "perf stat -x rows: value, unit, event, run time, %, metric",
		  .flags = PARSE_OPT_EXCLUSIVE },
		OPT_BOOLEAN_FLAG(0, "csv", &o->csv, "CSV, one wide row per CPU and 'all'",
				 PARSE_OPT_EXCLUSIVE),
		OPT_STR('o', "output", &o->output, "file", "write the output to a file instead of stderr"),
		OPT_FINISH(),
	};
	int argi;
	char err[512];

	o->repeat = 1;
	argi = parse_options(argc, argv, opts, stat_usage, true);
	if (argi < 0)
		return argi;
	/* the counting loop keeps its units: whole milliseconds for -I, seconds for -d */
	o->duration = (double)duration_ns / 1e9;
	o->interval_ms = (int)(interval_ns / DUR_MS);
	if (check_options(o, argi < argc, err, sizeof(err)) < 0 ||
	    tlb_target_from_options(target, o->all_cpus, o->cpu_list, o->pid, o->tid, argi < argc,
				    err, sizeof(err)) < 0)
		tlb_die(EXIT_USAGE, "stat: %s", err);
	return argi;
}

/* -o FILE, or stderr (line-buffered: an -I line is one write, not one per field). */
static void open_output(struct stat_ctx *c)
{
	c->out = stderr;
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (c->o.output) {
		char err[512];

		c->out = outfile_fopen(c->o.output, err, sizeof(err));	/* never through a symlink */
		if (!c->out)
			tlb_die(EXIT_FAIL, "%s", err);
	}
}

/* -o FILE: its write errors are ours to report (stderr's are nobody's, as in perf). */
static int close_output(struct stat_ctx *c, int rc)
{
	char err[512];

	if (c->out == stderr)
		return rc;
	if (outfile_close(c->out, c->o.output, err, sizeof(err)) < 0) {
		tlb_err("stat: %s", err);
		return rc == EXIT_OK ? EXIT_FAIL : rc;
	}
	return rc;
}

/* -r: add a run to the repeat statistics; the mean run into whole after the last one. */
static void repeat_add(struct stat_ctx *c, struct counter_repeat *rep, struct counter_period *whole,
		       bool last)
{
	char err[256];

	if (counter_repeat_add(rep, whole, err, sizeof(err)) < 0)
		tlb_die(EXIT_FAIL, "stat: %s", err);
	if (last) {
		if (counter_repeat_mean(rep, whole) < 0)
			tlb_die(EXIT_FAIL, "out of memory");
		c->rep = rep;
	}
}

int cmd_stat(int argc, char **argv)
{
	struct stat_ctx c = { 0 };
	struct tlb_target target = { 0 };
	struct counter_period whole = { 0 };
	struct counter_repeat rep = { 0 };
	int rc = EXIT_OK, argi = stat_options(argc, argv, &c.o, &target);
	bool failed = false;
	char desc[512];

	if (argi < 0)
		return parse_options_exit(argi);
	open_output(&c);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGCHLD, on_signal);
	rc = stat_alt(&c, &target, argv + argi, argc - argi, desc, sizeof(desc));
	if (rc >= 0)
		return close_output(&c, rc);
	rc = EXIT_OK;
	for (unsigned run = 1; run <= c.o.repeat; run++) {
		bool last;

		rc = stat_run(&c, &target, argv + argi, argc - argi, &whole, &failed, desc,
			      sizeof(desc));
		if (failed)
			break;
		last = run == c.o.repeat || done;	/* ^C ends the repeats: the runs so far */
		if (c.o.repeat > 1)
			repeat_add(&c, &rep, &whole, last);
		if (last) {
			print_summary(&c, &whole);
			tlb_evlist_close(&c.el);
			break;
		}
		tlb_evlist_close(&c.el);
	}
	counter_period_free(&whole);
	counter_repeat_free(&rep);
	return close_output(&c, rc);
}
