/*
 * tlbstat stat: counting mode (no samples) of tlb:tlb_flush, one counter per reason through a
 * tracepoint filter ("reason == N"), per CPU, with the /proc/interrupts TLB: row as a cross-check,
 * the health score and the remote-flush transport. Documentation/tlbstat-stat.txt.
 */
#include "builtin.h"
#include "evlist.h"
#include "interrupts.h"
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

/* counts[cpu index][reason] plus the TLB: interrupt row per cpu */
struct snapshot {
	uint64_t *counts;        /* nr_cpus * TLB_NR_REASONS */
	struct intr_row tlb;
	uint64_t t_ns;
};

struct stat_ctx {
	struct stat_opts o;
	struct tlb_evlist el;
	int idx[TLB_NR_REASONS];
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

static void take(struct stat_ctx *c, struct snapshot *s)
{
	if (!s->counts)
		s->counts = xcalloc((size_t)c->el.nr_cpus * TLB_NR_REASONS, sizeof(uint64_t));
	/* one read per cpu (and thread): the six reason counters are one group */
	for (int ci = 0; ci < c->el.nr_cpus; ci++) {
		uint64_t v[TLB_NR_REASONS];
		if (tlb_evlist_read_group(&c->el, ci, v) < 0)
			tlb_die(EXIT_FAIL, "cannot read the counters: %s", strerror(errno));
		for (int r = 0; r < TLB_NR_REASONS; r++)
			s->counts[ci * TLB_NR_REASONS + r] = v[c->idx[r]];
	}
	interrupts_read_row(NULL, "TLB", &s->tlb);
	s->t_ns = now_ns();
}

/* The figures of one period (an interval or the whole run): deltas between two snapshots. */
struct period {
	double secs;
	int ncpus;
	uint64_t reasons[TLB_NR_REASONS];
	uint64_t total;
	uint64_t *per_cpu;          /* nr_cpus * TLB_NR_REASONS */
	bool tlb_present;
	uint64_t tlb_total;
	uint64_t tlb_cpu[INTR_MAX_CPUS];
	double rate, per_core;
	enum tlb_health health;
};

static void diff(struct stat_ctx *c, const struct snapshot *a, const struct snapshot *b,
		 struct period *p)
{
	int n = c->el.nr_cpus;
	memset(p->reasons, 0, sizeof(p->reasons));
	p->total = 0;
	if (!p->per_cpu)
		p->per_cpu = xcalloc((size_t)n * TLB_NR_REASONS, sizeof(uint64_t));
	for (int i = 0; i < n * TLB_NR_REASONS; i++) {
		uint64_t d = b->counts[i] - a->counts[i];
		p->per_cpu[i] = d;
		p->reasons[i % TLB_NR_REASONS] += d;
		p->total += d;
	}
	p->secs = (double)(b->t_ns - a->t_ns) / 1e9;
	p->ncpus = n;
	p->tlb_present = a->tlb.present && b->tlb.present;
	p->tlb_total = p->tlb_present ? b->tlb.total - a->tlb.total : 0;
	for (int i = 0; i < b->tlb.ncpus && i < INTR_MAX_CPUS; i++)
		p->tlb_cpu[i] = b->tlb.per_cpu[i] - (i < a->tlb.ncpus ? a->tlb.per_cpu[i] : 0);
	p->rate = p->secs > 0 ? (double)p->total / p->secs : 0;
	p->per_core = n ? p->rate / n : 0;
	p->health = tlb_health_of(p->per_core);
}

static uint64_t cpu_total(const struct period *p, int ci)
{
	uint64_t t = 0;
	for (int r = 0; r < TLB_NR_REASONS; r++)
		t += p->per_cpu[ci * TLB_NR_REASONS + r];
	return t;
}

static uint64_t tlb_irq_of(struct stat_ctx *c, const struct period *p, int ci)
{
	int cpu = c->el.cpus[ci];
	return cpu >= 0 && cpu < INTR_MAX_CPUS ? p->tlb_cpu[cpu] : 0;
}

static void print_json(struct stat_ctx *c, const struct period *p, double t_end, bool interval)
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
		json_uint(&w, "total", cpu_total(p, ci));
		json_double(&w, "rate_per_s", p->secs > 0 ? (double)cpu_total(p, ci) / p->secs : 0);
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

static void print_csv_header(struct stat_ctx *c, bool interval)
{
	fprintf(c->out, "%scpu", interval ? "time_s," : "");
	for (int r = 0; r < TLB_NR_REASONS; r++)
		fprintf(c->out, ",%s", tlb_reason_key(r));
	fprintf(c->out, ",total,rate_per_s,interrupts_tlb,health\n");
}

static void print_csv(struct stat_ctx *c, const struct period *p, double t_end, bool interval)
{
	for (int ci = -1; ci < p->ncpus; ci++) {
		uint64_t tot = ci < 0 ? p->total : cpu_total(p, ci);
		if (interval)
			fprintf(c->out, "%.3f,", t_end);
		if (ci < 0)
			fprintf(c->out, "all");
		else
			fprintf(c->out, "%d", c->el.cpus[ci]);
		for (int r = 0; r < TLB_NR_REASONS; r++)
			fprintf(c->out, ",%llu", (unsigned long long)(ci < 0 ? p->reasons[r] :
						p->per_cpu[ci * TLB_NR_REASONS + r]));
		fprintf(c->out, ",%llu,%.2f,", (unsigned long long)tot,
			p->secs > 0 ? (double)tot / p->secs : 0);
		if (p->tlb_present)
			fprintf(c->out, "%llu", (unsigned long long)(ci < 0 ? p->tlb_total :
								    tlb_irq_of(c, p, ci)));
		fprintf(c->out, ",%s\n", ci < 0 ? tlb_health_name(p->health) :
			tlb_health_name(tlb_health_of(p->secs > 0 ? (double)tot / p->secs : 0)));
	}
}

static void print_interval_line(struct stat_ctx *c, const struct period *p, double t_end)
{
	fprintf(c->out, "%10.3f %12llu %10.1f/s %9.1f/s/core %-6s", t_end,
		(unsigned long long)p->total, p->rate, p->per_core, tlb_health_name(p->health));
	for (int r = 0; r < TLB_NR_REASONS; r++)
		fprintf(c->out, " %s=%llu", tlb_reason_key(r), (unsigned long long)p->reasons[r]);
	if (p->tlb_present)
		fprintf(c->out, " TLB:irq=%llu", (unsigned long long)p->tlb_total);
	fputc('\n', c->out);
}

static void print_table(struct stat_ctx *c, const struct period *p)
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

	static const char *const short_names[TLB_NR_REASONS] = {
		"switch", "remote", "local", "local-mm", "send-ipi", "wrong-cpu",
	};
	fprintf(f, "\n %5s", "CPU");
	for (int r = 0; r < TLB_NR_REASONS; r++)
		fprintf(f, " %11s", short_names[r]);
	fprintf(f, " %11s %8s\n", "total", "TLB:irq");
	for (int ci = 0; ci < p->ncpus; ci++) {
		fprintf(f, " %5d", c->el.cpus[ci]);
		for (int r = 0; r < TLB_NR_REASONS; r++)
			fprintf(f, " %11llu",
				(unsigned long long)p->per_cpu[ci * TLB_NR_REASONS + r]);
		fprintf(f, " %11llu", (unsigned long long)cpu_total(p, ci));
		if (p->tlb_present)
			fprintf(f, " %8llu\n", (unsigned long long)tlb_irq_of(c, p, ci));
		else
			fprintf(f, " %8s\n", "n/a");
	}
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
	struct snapshot start = { 0 }, prev = { 0 }, cur = { 0 };
	struct period whole = { 0 }, iv = { 0 };
	struct transport_observation obs = { 0 };
	pid_t child = -1;
	int child_status = 0, rc = EXIT_OK;
	int argi = stat_options(argc, argv, &c.o, &target);
	char desc[512];
	uint64_t deadline = 0, next_iv = 0;

	if (argi < 0)
		return parse_options_exit(argi);
	c.out = stdout;

	if (c.o.output) {
		c.out = fopen(c.o.output, "w");
		if (!c.out)
			tlb_die(EXIT_FAIL, "cannot write %s: %s", c.o.output, strerror(errno));
	}

	tlb_evlist_init(&c.el);
	for (int r = 0; r < TLB_NR_REASONS; r++) {
		char filter[32];
		snprintf(filter, sizeof(filter), "reason == %d", r);
		c.idx[r] = tlb_evlist_add(&c.el, "tlb:tlb_flush", filter, NULL);
		if (c.idx[r] < 0)
			return EXIT_ENV;
	}

	tlb_evlist_group(&c.el);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGCHLD, on_signal);
	if (argi < argc) {
		child = workload_prepare(argv + argi);
		if (child < 0)
			return EXIT_FAIL;
		target.workload = child;
	}
	if (tlb_evlist_set_target(&c.el, &target) < 0) {
		rc = EXIT_USAGE;
		goto kill_child;
	}
	if (tlb_evlist_open(&c.el) < 0) {
		rc = EXIT_ENV;
		goto kill_child;
	}

	if (child > 0) {
		const char *t = target.system_wide ? "system wide, during" : "command";
		size_t n = (size_t)snprintf(desc, sizeof(desc), "%s '", t);
		for (int i = argi; i < argc && n < sizeof(desc) - 2; i++)
			n += (size_t)snprintf(desc + n, sizeof(desc) - n, "%s%s", i > argi ? " " : "",
					      argv[i]);
		snprintf(desc + (n < sizeof(desc) - 2 ? n : sizeof(desc) - 2), 2, "'");
	} else if (target.pid > 0) {
		snprintf(desc, sizeof(desc), "process id '%d'", (int)target.pid);
	} else if (target.tid > 0) {
		snprintf(desc, sizeof(desc), "thread id '%d'", (int)target.tid);
	} else if (c.o.cpu_list) {
		snprintf(desc, sizeof(desc), "CPU(s) %s", c.o.cpu_list);
	} else {
		snprintf(desc, sizeof(desc), "'system wide'");
	}
	c.target_desc = desc;

	if (c.o.csv)
		print_csv_header(&c, c.o.interval_ms > 0);
	if (c.o.interval_ms && !c.o.json && !c.o.csv)
		fprintf(c.out, "#     time        total       rate        per-core health reasons\n");

	/* per-task counters of a workload are enabled by the kernel at its exec (enable_on_exec) */
	if (child <= 0 || target.system_wide)
		tlb_evlist_enable(&c.el);
	if (child > 0)
		workload_start();
	else if (target.pid > 0 || target.tid > 0)
		watched = &c.el;
	take(&c, &start);
	prev = start;
	prev.counts = xcalloc((size_t)c.el.nr_cpus * TLB_NR_REASONS, sizeof(uint64_t));
	memcpy(prev.counts, start.counts, (size_t)c.el.nr_cpus * TLB_NR_REASONS * sizeof(uint64_t));
	if (c.o.duration > 0)
		deadline = start.t_ns + (uint64_t)(c.o.duration * 1e9);
	if (c.o.interval_ms)
		next_iv = start.t_ns + (uint64_t)c.o.interval_ms * 1000000ull;

	for (;;) {
		uint64_t until = next_iv && (!deadline || next_iv < deadline) ? next_iv : deadline;
		wait_until(until);
		if (child > 0 && child_exited) {
			pid_t w = waitpid(child, &child_status, WNOHANG);
			if (w == child)
				break;
			child_exited = 0;
		}
		if (done || targets_gone)
			break;
		if (next_iv && now_ns() >= next_iv) {
			take(&c, &cur);
			diff(&c, &prev, &cur, &iv);
			double t_end = (double)(cur.t_ns - start.t_ns) / 1e9;
			if (c.o.json)
				print_json(&c, &iv, t_end, true);
			else if (c.o.csv)
				print_csv(&c, &iv, t_end, true);
			else
				print_interval_line(&c, &iv, t_end);
			fflush(c.out);
			memcpy(prev.counts, cur.counts,
			       (size_t)c.el.nr_cpus * TLB_NR_REASONS * sizeof(uint64_t));
			prev.tlb = cur.tlb;
			prev.t_ns = cur.t_ns;
			next_iv += (uint64_t)c.o.interval_ms * 1000000ull;
		}
		if (deadline && now_ns() >= deadline)
			break;
	}
	tlb_evlist_disable(&c.el);
	take(&c, &cur);
	diff(&c, &start, &cur, &whole);

	obs.valid = true;
	obs.remote_sends = whole.reasons[TLB_REASON_REMOTE_SEND_IPI];
	obs.remote_shootdowns = whole.reasons[TLB_REASON_REMOTE_SHOOTDOWN];
	obs.tlb_interrupts = whole.tlb_total;
	obs.tlb_interrupts_valid = whole.tlb_present;
	transport_detect(&obs, &c.transport);

	if (c.o.json)
		print_json(&c, &whole, whole.secs, false);
	else if (c.o.csv && !c.o.interval_ms)
		print_csv(&c, &whole, whole.secs, false);
	else if (!c.o.csv)
		print_table(&c, &whole);

	if (child > 0)
		rc = workload_exit_code(child_status, done);
	tlb_evlist_close(&c.el);
	free(start.counts);
	free(prev.counts);
	free(cur.counts);
	free(whole.per_cpu);
	free(iv.per_cpu);
	if (c.out != stdout)
		fclose(c.out);
	return rc;

kill_child:
	workload_kill(child, SIGKILL);
	return rc;
}
