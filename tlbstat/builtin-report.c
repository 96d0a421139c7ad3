// SPDX-License-Identifier: GPL-2.0
/*
 * tlbstat report: attribute the TLB invalidations of a perf.data file (tlbstat record's, or
 * `perf record -e tlb:tlb_flush ...`'s) to processes, threads, reasons, CPUs and time, with
 * initiator -> victim pairs and bursts. Streams the file: memory grows with processes, not
 * samples. Documentation/tlbstat-report.txt.
 */
#include "agg.h"
#include "builtin.h"
#include "cgroup.h"
#include "callchain.h"
#include "count.h"
#include "event.h"
#include "filter.h"
#include "flamegraph.h"
#include "html.h"
#include "outfile.h"
#include "output.h"
#include "parse-options.h"
#include "perfdata.h"
#include "reason.h"
#include "runbook.h"
#include "session.h"
#include "srcline.h"
#include "symbols.h"
#include "transport.h"
#include "unwind.h"
#include "usyms.h"
#include "util.h"

#include <event-parse.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* where `make install` puts the runbook when the binary is not in an installed tree */
#ifndef TLBSTAT_DOCDIR
#define TLBSTAT_DOCDIR "/usr/local/share/doc/tlbstat"
#endif

struct report;
static void json_handler(struct json_writer *w, struct report *r);
static void print_handler(struct report *r);
static void stdio_chains(struct report *r);
static void json_chains(struct json_writer *w, struct report *r);
static void print_folded(struct report *r);
static void stdio_graph(struct report *r);
static void json_graph(struct json_writer *w, struct report *r);
static int write_flamegraph(struct report *r);
static int close_output(FILE *f, const char *path);

static const char *const report_usage[] = {
	"tlbstat report [-i <file>] [--sort pid,comm,reason,cpu,cgroup] [--stdio|--csv|--json] "
	"[--interval 1s] [--top N]",
	"tlbstat report [--pid <pids>] [--tid <tids>] [-c <names>] [-C <cpus>] "
	"[--time <start>,<end>] [-n] [--header|--header-only]",
	NULL,
};

struct report_opts {
	const char *input, *sort, *series_csv, *output, *flamegraph;
	const char *html;               /* --html: the page (lib/html.c) */
	const char *pids, *tids, *comms, *cpus, *time;   /* the sample filter */
	bool stdio, csv, json, threads, folded, graph, no_inline, inline_, srcline;
	const char *graph_order;
	bool nr_samples, header, header_only;
	int top;
	double burst_k;
};

#define MAX_NAMES 64

struct report {
	struct report_opts o;
	struct session *s;
	struct pd_reader *rd;
	struct agg *agg;
	struct filter filter;
	uint64_t kept, filtered;        /* events the filter kept and left out */
	uint64_t sample_period;         /* > 1: recorded with -c, one sample per that many events */
	FILE *out;
	/* samples per event (attr), for "events" */
	struct { const struct pd_attr *attr; uint64_t n; } names[MAX_NAMES];
	int nr_names;
	uint64_t other_samples;
	uint64_t samples;
	/* header facts */
	double duration, rate, per_core;
	int cpus;
	const char *kernel, *transport;          /* transport: the file's note or "unknown" */
	struct transport_info inferred;
	bool inferred_valid;
	enum tlb_transport effective;
	bool victims_ok;
	double interval_s;
	bool handler_recorded;          /* the file has csd_function_entry events (record --cost) */
	/* call chains: --folded, --sort cause|callsite */
	int chain_key;                  /* -1: no chain table; CC_BY_CAUSE, _CALLSITE, _SRCLINE */
	struct cc_table *cc;
	struct usyms *usyms;
	struct srcline *srcl;           /* DWARF: inline frames, source lines (NULL: neither) */
	bool want_srcline;              /* --srcline or --sort srcline */
	bool inlines;                   /* inline frames: dwarf chains, or --inline */
	struct syms *ksyms;             /* the file's kernel symbols, every symbol */
	bool ksyms_pending;             /* read at the first kernel frame (kernel_syms()) */
	uint64_t file_ktext;            /* the file's kernel map: its _text (0: not seen) */
	struct unwinder *unw;           /* --call-graph dwarf files: user stacks unwound */
	uint64_t *dwarf_chain;          /* the kernel chain + the unwound user frames */
	size_t dwarf_chain_len;
	int page_size;
	struct cgtab *cg;               /* --sort cgroup: ids -> paths (PERF_RECORD_CGROUP) */
};

/* ---------------- session callbacks ---------------- */

/*
 * A --call-graph dwarf sample's chain: its kernel part (the kernel's CALLCHAIN, which
 * exclude_callchain_user leaves without user frames), then PERF_CONTEXT_USER and the frames
 * lib/unwind.c finds in the copied stack, as if a frame-pointer walk had given them. 0, or -1
 * when out of memory.
 */
static int dwarf_chain(struct report *r, const struct tlb_event *ev, const uint64_t **chain,
		       uint32_t *nr)
{
	const uint64_t *ips;
	uint32_t k = 0;
	int n = unw_unwind(r->unw, ev->pid, ev->ustack, &ips);
	size_t need = (size_t)ev->nr_callchain + 1 + (n > 0 ? (size_t)n : 0);

	if (n <= 0)
		return n;
	if (need > r->dwarf_chain_len) {
		uint64_t *c = realloc(r->dwarf_chain, need * 2 * sizeof(*c));

		if (!c)
			return -1;
		r->dwarf_chain = c;
		r->dwarf_chain_len = need * 2;
	}
	for (uint32_t i = 0; i < ev->nr_callchain; i++) {
		if (ev->callchain[i] == PERF_CONTEXT_USER)
			break;	/* a user part of the kernel's own (not excluded): the unwind replaces it */
		r->dwarf_chain[k++] = ev->callchain[i];
	}
	r->dwarf_chain[k++] = PERF_CONTEXT_USER;
	memcpy(r->dwarf_chain + k, ips, (size_t)n * sizeof(*ips));
	*chain = r->dwarf_chain;
	*nr = k + (uint32_t)n;
	return 0;
}

static int on_event(void *ctx, const struct tlb_event *ev, const struct pd_attr *attr)
{
	struct report *r = ctx;

	if (filter_active(&r->filter)) {
		const char *comm = filter_wants_comm(&r->filter) ?
				   agg_name_of(r->agg, ev->pid, ev->tid) : NULL;

		if (!filter_match(&r->filter, ev, comm)) {
			r->filtered++;
			return 0;
		}
		r->kept++;
	}
	if (r->cc && ev->kind == EV_TLB_FLUSH) {
		struct cc_counts add = { 1, ev->reason == TLB_REASON_REMOTE_SEND_IPI,
					 count_flush_bytes(ev, r->page_size) };

		const uint64_t *chain = ev->callchain;
		uint32_t nr = ev->nr_callchain;

		if (r->unw && ev->ustack && dwarf_chain(r, ev, &chain, &nr) < 0)
			return -1;
		if (cc_add(r->cc, ev->pid, agg_name_of(r->agg, ev->pid, ev->tid), chain, nr,
			   &add) < 0)
			return -1;
	}
	return agg_event(r->agg, ev);
}

static int on_mmap(void *ctx, pid_t pid, pid_t tid, uint64_t start, uint64_t len, uint64_t pgoff,
		   const char *path)
{
	struct report *r = ctx;

	if (pid == -1) {	/* the kernel's map ("[kernel.kallsyms]_text" at _text, as perf) */
		if (!strncmp(path, "[kernel.kallsyms]", 17))
			r->file_ktext = pgoff;
		return 0;
	}
	if (!r->usyms)
		return 0;
	return usym_mmap(r->usyms, pid, start, len, pgoff, path);
}

static int on_cgroup(void *ctx, uint64_t id, const char *path)
{
	struct report *r = ctx;

	return r->cg ? cgtab_add(r->cg, id, path) : 0;
}

static int on_comm(void *ctx, pid_t pid, pid_t tid, const char *comm, uint64_t time)
{
	struct report *r = ctx;

	return agg_comm(r->agg, pid, tid, comm, time);
}

static int on_fork(void *ctx, pid_t pid, pid_t ppid, pid_t tid, uint64_t time)
{
	struct report *r = ctx;

	if (r->usyms && usym_fork(r->usyms, ppid, pid) < 0)
		return -1;
	return agg_fork(r->agg, pid, ppid, tid, time);
}

static int on_exit_rec(void *ctx, pid_t pid, pid_t tid, uint64_t time)
{
	struct report *r = ctx;

	agg_exit(r->agg, pid, tid, time);
	return 0;
}

static int on_lost(void *ctx, uint64_t nr)
{
	struct report *r = ctx;

	agg_lost(r->agg, nr);
	return 0;
}

static int on_round(void *ctx)
{
	struct report *r = ctx;

	return agg_round(r->agg);
}

/* Attr a's row of the "events" table (added after the others), -1 when the table is full. */
static int name_slot(struct report *r, const struct pd_attr *a)
{
	int i;

	for (i = 0; i < r->nr_names; i++)
		if (r->names[i].attr == a)
			return i;
	if (r->nr_names == MAX_NAMES)
		return -1;
	r->names[r->nr_names].attr = a;
	r->names[r->nr_names].n = 0;
	return r->nr_names++;
}

/*
 * Samples per event from the session's counts: the file's tracepoints in its order of events
 * (set up before reading), then the others and any unknown in the order of their first sample.
 */
static void count_names(struct report *r)
{
	const struct pd_attr *attr;
	uint64_t n;

	for (int i = 0; session_event_samples(r->s, i, &attr, &n); i++) {
		int k = name_slot(r, attr);

		if (k < 0)
			r->other_samples += n;	/* more events than rows */
		else
			r->names[k].n = n;
		r->samples += n;
	}
}

/* ---------------- helpers ---------------- */

static const char *event_key(struct report *r, const struct pd_attr *a, char *buf, size_t len)
{
	const char *colon;

	if (!a)
		return "unknown";
	if (!a->name) {
		/* no EVENT_DESC: a tracepoint's config is its id in the file's formats */
		struct tep_event *e = a->attr.type == PERF_TYPE_TRACEPOINT && session_tep(r->s) ?
				      tep_find_event(session_tep(r->s), (int)a->attr.config) : NULL;

		if (e)
			return e->name;
		snprintf(buf, len, "config_%llu", (unsigned long long)a->attr.config);
		return buf;
	}
	colon = strchr(a->name, ':');
	return colon ? colon + 1 : a->name;
}

static double per_s(struct report *r, uint64_t n)
{
	return r->duration > 0 ? (double)n / r->duration : NAN;
}

static double mean_fanout(const struct count_counts *c)
{
	return c->ipis ? (double)c->ipi_targets / (double)c->ipis : NAN;
}

static const char *comm_of(struct report *r, pid_t pid, pid_t tid, char *buf, size_t len)
{
	struct agg_task *t = tid ? agg_find_thread(r->agg, tid) : agg_find_process(r->agg, pid);

	if (t)
		return agg_task_comm(t, buf, len);
	snprintf(buf, len, ":%d", tid ? (int)tid : (int)pid);
	return buf;
}

static void human_bytes(uint64_t b, char *buf, size_t len)
{
	if (b >= 1ULL << 30)
		snprintf(buf, len, "%.1f GiB", (double)b / (1 << 30));
	else if (b >= 1ULL << 20)
		snprintf(buf, len, "%.1f MiB", (double)b / (1 << 20));
	else if (b >= 1ULL << 10)
		snprintf(buf, len, "%.1f KiB", (double)b / (1 << 10));
	else
		snprintf(buf, len, "%llu B", (unsigned long long)b);
}

static void fmt_num(double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f", v);
}

static int limit(struct report *r, int n)
{
	return r->o.top > 0 && r->o.top < n ? r->o.top : n;
}

/* ---------------- facts ---------------- */

/* The time the file covers: its first and last sample times, within a --time window. */
static void report_span(struct report *r, uint64_t *first, uint64_t *last)
{
	const struct agg_totals *t = agg_totals(r->agg);
	uint64_t ws, we;

	*first = session_first_time(r->s);
	*last = session_last_time(r->s);
	if (!*first || !*last || *last < *first) {
		*first = t->first_time;
		*last = t->last_time;
	}
	if (filter_time_window(&r->filter, &ws, &we)) {   /* rates over the window asked for */
		*first = ws > *first ? ws : *first;
		*last = we < *last ? we : *last;
	}
}

static void compute_facts(struct report *r)
{
	const struct agg_totals *t = agg_totals(r->agg);
	uint64_t first, last;
	struct transport_observation obs = { 0 };
	struct count_rate cr;

	report_span(r, &first, &last);
	r->duration = last > first ? (double)(last - first) / 1e9 : 0;
	r->cpus = session_nr_cpus(r->s);
	if (r->cpus <= 0)
		r->cpus = t->max_cpu + 1;
	if (r->cpus <= 0)
		r->cpus = 1;
	cr = count_rate_of(t->all.events, r->duration, r->cpus);
	r->rate = cr.rate;
	r->per_core = cr.per_core;
	r->kernel = session_osrelease(r->s);
	r->transport = session_transport(r->s);
	if (r->transport && transport_parse(r->transport) != TRANSPORT_UNKNOWN) {
		r->effective = transport_parse(r->transport);
	} else {
		/* no note in the file (perf wrote it): judge from what the file shows */
		r->transport = "unknown";
		obs.valid = true;
		obs.remote_sends = t->all.reasons[TLB_REASON_REMOTE_SEND_IPI];
		obs.remote_shootdowns = t->all.reasons[TLB_REASON_REMOTE_SHOOTDOWN];
		transport_decide(NULL, NULL, r->kernel, &obs, &r->inferred);
		r->inferred_valid = true;
		r->effective = r->inferred.transport;
	}
	/* reason-1 events in the file are a measurement, whatever was noted */
	r->victims_ok = transport_victims_observable(r->effective) ||
			t->all.reasons[TLB_REASON_REMOTE_SHOOTDOWN] > 0;
}

/* Why victims are not shown: a broadcast recorded on arm64 is TLBI's, not INVLPGB's. */
static const char *victims_note(const struct report *r)
{
	const char *arch = r->rd ? pd_feature_string(r->rd, HEADER_ARCH) : NULL;
	struct transport_info ti = { .transport = r->effective };

	ti.tlbi = arch && (!strcmp(arch, "aarch64") || !strcmp(arch, "arm64"));
	return transport_info_victims_note(&ti);
}

/* ---------------- the kernel lab's events (patches/) ---------------- */

/* Did the file carry tlb:tlb_invalidation or mmu_notifier_invalidation events? */
static bool has_lab(struct report *r)
{
	const struct agg_totals *t = agg_totals(r->agg);

	return t->by_kind[EV_PATCHED_FLUSH] || t->by_kind[EV_MMU_NOTIFIER];
}

/* mean CPUs flushed per decision with a known count (broadcasts left out); NAN if none */
static double lab_mean_targets(const struct count_counts *c)
{
	uint64_t n = c->decisions - c->decision_broadcast;

	return n ? (double)c->decision_targets / (double)n : NAN;
}

static void json_lab(struct json_writer *w, const struct count_counts *c)
{
	json_object_begin(w, "kernel_lab");
	json_uint(w, "decisions", c->decisions);
	json_uint(w, "asked_bytes", c->decision_bytes);
	json_uint(w, "asked_full", c->decision_full);
	json_uint(w, "page_decisions", c->decision_page);
	json_uint(w, "range_flushed_whole", c->decision_promoted);
	json_uint(w, "remote_decisions", c->decision_remote);
	json_uint(w, "broadcasts", c->decision_broadcast);
	json_double(w, "mean_target_cpus", lab_mean_targets(c));
	if (c->decisions > c->decision_broadcast)
		json_uint(w, "max_target_cpus", c->max_targets);
	else
		json_null(w, "max_target_cpus");
	json_uint(w, "notifier_invalidations", c->notifier_starts);
	json_uint(w, "notifier_bytes", c->notifier_bytes);
	json_object_end(w);
}

/* ---------------- JSON ---------------- */

static void json_counts_common(struct json_writer *w, struct report *r, const struct count_counts *c)
{
	const struct agg_totals *t = agg_totals(r->agg);
	struct count_rate cr = count_rate_of(c->events, r->duration, r->cpus);
	struct count_health ch = count_health_of(c->reasons, r->duration, r->cpus);

	json_uint(w, "invalidations", c->events);
	json_double(w, "rate_per_s", cr.rate);
	json_double(w, "per_core_rate", cr.per_core);
	json_string(w, "health", tlb_health_name(ch.health));
	json_uint(w, "health_events", ch.events);
	json_double(w, "health_per_core_rate", ch.per_core);
	json_uint(w, "task_switches", ch.task_switches);
	json_uint(w, "pages", c->pages);
	json_uint(w, "bytes", c->pages * (uint64_t)tep_get_page_size(session_tep(r->s)));
	json_uint(w, "full_flushes", c->full_flushes);
	json_uint(w, "remote_ipis", c->remote_sends);
	json_double(w, "remote_ipi_share", t->all.remote_sends ?
		    (double)c->remote_sends / (double)t->all.remote_sends : NAN);
	json_uint(w, "ipi_requests", c->ipis);
	json_double(w, "mean_fanout", mean_fanout(c));
	if (c->ipis)
		json_uint(w, "max_fanout", c->max_fanout);
	else
		json_null(w, "max_fanout");
	if (r->victims_ok)
		json_uint(w, "victim_shootdowns", c->victim_hits);
	else
		json_null(w, "victim_shootdowns");
	json_object_begin(w, "reasons");
	for (int i = 0; i < TLB_NR_REASONS; i++)
		json_uint(w, tlb_reason_key(i), c->reasons[i]);
	json_object_end(w);
	if (has_lab(r))
		json_lab(w, c);
}

/* thread: a -T row, which has a tid (0 too: the idle task) and no thread count */
static void json_task(struct json_writer *w, struct report *r, const struct agg_task *t,
		      bool thread)
{
	char buf[32];

	json_object_begin(w, NULL);
	json_int(w, "pid", t->pid);
	if (thread)
		json_int(w, "tid", t->tid);
	json_string(w, "comm", agg_task_comm(t, buf, sizeof(buf)));
	json_bool(w, "kernel_thread", t->kernel_thread);
	if (!thread)
		json_int(w, "threads", t->nr_threads);
	if (r->o.nr_samples)
		json_uint(w, "samples", t->samples);
	json_counts_common(w, r, &t->total);
	json_object_end(w);
}

static void json_pairs(struct json_writer *w, struct report *r, const char *key, bool proc)
{
	struct agg_pair *p;
	int n = agg_pairs(r->agg, proc, &p);
	char b1[32], b2[32];

	json_array_begin(w, key);
	for (int i = 0; i < limit(r, n); i++) {
		json_object_begin(w, NULL);
		json_int(w, "initiator_pid", p[i].init_pid);
		if (!proc)
			json_int(w, "initiator_tid", p[i].init_tid);
		json_string(w, "initiator_comm", comm_of(r, p[i].init_pid, p[i].init_tid, b1, sizeof(b1)));
		json_int(w, "victim_pid", p[i].victim_pid);
		if (!proc)
			json_int(w, "victim_tid", p[i].victim_tid);
		json_string(w, "victim_comm", comm_of(r, p[i].victim_pid, p[i].victim_tid, b2, sizeof(b2)));
		json_uint(w, "shootdowns", p[i].count);
		json_object_end(w);
	}
	json_array_end(w);
	free(p);
}

/*
 * JSON sections, in the order of the document (Documentation/tlbstat-report.txt). Each writes
 * its keys into the one top-level object.
 */
static void json_header(struct json_writer *w, struct report *r)
{
	const struct agg_totals *t = agg_totals(r->agg);
	char buf[64];

	json_string(w, "file", r->o.input);
	json_object_begin(w, "events");
	json_uint(w, "tlb_flush", t->by_kind[EV_TLB_FLUSH]);
	for (int i = 0; i < r->nr_names; i++) {
		const char *k = event_key(r, r->names[i].attr, buf, sizeof(buf));

		if (strcmp(k, "tlb_flush"))
			json_uint(w, k, r->names[i].n);
	}
	if (r->other_samples)
		json_uint(w, "other", r->other_samples);
	json_object_end(w);
	json_uint(w, "samples", r->samples);
	json_uint(w, "lost", t->lost);
	if (r->sample_period > 1)
		json_uint(w, "sample_period", r->sample_period);
	if (filter_active(&r->filter)) {
		json_object_begin(w, "filter");
		json_uint(w, "kept", r->kept);
		json_uint(w, "left_out", r->filtered);
		json_object_end(w);
	}
	json_double(w, "duration_s", r->duration);
	json_int(w, "cpus", r->cpus);
	json_string(w, "kernel", r->kernel);
	json_string(w, "transport", r->transport);
	if (r->inferred_valid) {
		json_string(w, "transport_inferred", transport_name(r->inferred.transport));
		json_string(w, "transport_evidence", r->inferred.evidence);
	}
	json_bool(w, "victims_observable", r->victims_ok);
	json_int(w, "page_size", tep_get_page_size(session_tep(r->s)));
	json_counts_common(w, r, &t->all);
}

/* kernel threads that sent remote flushes on behalf of a range (vmalloc, text poking) */
static bool kthread_initiator(const struct agg_task *t)
{
	return t->kernel_thread && (t->total.remote_sends || t->total.ipis);
}

static void json_tasks(struct json_writer *w, struct report *r)
{
	struct agg_task **v;
	char buf[32];
	int n = agg_processes(r->agg, AGG_SORT_EVENTS, &v);

	json_array_begin(w, "processes");
	for (int i = 0; i < limit(r, n); i++)
		json_task(w, r, v[i], false);
	json_array_end(w);
	json_array_begin(w, "kernel_thread_initiators");
	for (int i = 0; i < n; i++) {
		if (!kthread_initiator(v[i]))
			continue;
		json_object_begin(w, NULL);
		json_int(w, "pid", v[i]->pid);
		json_string(w, "comm", agg_task_comm(v[i], buf, sizeof(buf)));
		json_uint(w, "remote_ipis", v[i]->total.remote_sends);
		json_uint(w, "ipi_requests", v[i]->total.ipis);
		json_uint(w, "invalidations", v[i]->total.events);
		json_object_end(w);
	}
	json_array_end(w);
	free(v);
	if (!r->o.threads)
		return;
	n = agg_threads(r->agg, AGG_SORT_EVENTS, &v);
	json_array_begin(w, "threads");
	for (int i = 0; i < limit(r, n); i++)
		json_task(w, r, v[i], true);
	json_array_end(w);
	free(v);
}

static void json_cpus(struct json_writer *w, struct report *r)
{
	const struct count_counts *kr = &agg_totals(r->agg)->kernel_range;
	struct agg_cpu **cpus;
	int n;

	json_object_begin(w, "kernel_range");
	json_uint(w, "ipi_requests", kr->ipis);
	json_uint(w, "targets", kr->ipi_targets);
	json_double(w, "mean_fanout", mean_fanout(kr));
	json_uint(w, "max_fanout", kr->max_fanout);
	json_object_end(w);

	n = agg_cpus(r->agg, &cpus);
	json_array_begin(w, "per_cpu");
	for (int i = 0; i < n; i++) {
		json_object_begin(w, NULL);
		json_int(w, "cpu", cpus[i]->cpu);
		json_counts_common(w, r, &cpus[i]->total);
		json_object_end(w);
	}
	json_array_end(w);
	free(cpus);
}

static void json_victims(struct json_writer *w, struct report *r)
{
	const struct agg_totals *t = agg_totals(r->agg);
	struct agg_task **v;
	char buf[32];
	int n;

	if (!r->victims_ok) {
		json_null(w, "victims");
		json_string(w, "victims_note", victims_note(r));
		json_null(w, "initiator_victim");
		return;
	}
	n = agg_processes(r->agg, AGG_SORT_VICTIM, &v);
	json_array_begin(w, "victims");
	for (int i = 0; i < limit(r, n) && v[i]->total.victim_hits; i++) {
		json_object_begin(w, NULL);
		json_int(w, "pid", v[i]->pid);
		json_string(w, "comm", agg_task_comm(v[i], buf, sizeof(buf)));
		json_uint(w, "shootdowns", v[i]->total.victim_hits);
		json_object_end(w);
	}
	json_array_end(w);
	free(v);
	json_object_begin(w, "initiator_victim");
	json_uint(w, "paired", t->paired);
	json_uint(w, "paired_by_target", t->paired_by_target);
	json_uint(w, "paired_by_send", t->paired_by_send);
	json_uint(w, "unpaired", t->unpaired);
	json_pairs(w, r, "processes", true);
	json_pairs(w, r, "threads", false);
	json_object_end(w);
}

/* seconds since the first interval */
/* n over the time interval iv covers (partial at the ends); NAN when it covers none */
static double per_iv(uint64_t n, const struct agg_interval *iv)
{
	return iv->secs > 0 ? (double)n / iv->secs : NAN;
}

static double interval_t(const struct agg_interval *iv, int i)
{
	return (double)(iv[i].start_ns - iv[0].start_ns) / 1e9;
}

static void json_series(struct json_writer *w, struct report *r)
{
	const struct agg_interval *iv;
	int n = agg_intervals(r->agg, &iv);
	char buf[32];

	json_object_begin(w, "series");
	json_double(w, "interval_s", r->interval_s);
	json_uint(w, "dropped_events", agg_totals(r->agg)->series_dropped);
	json_array_begin(w, "rows");
	for (int i = 0; i < n; i++) {
		json_object_begin(w, NULL);
		json_double(w, "t_s", interval_t(iv, i));
		json_double(w, "covered_s", iv[i].secs);
		json_uint(w, "invalidations", iv[i].events);
		json_double(w, "invalidations_per_s", per_iv(iv[i].events, &iv[i]));
		json_double(w, "bytes_per_s", per_iv(iv[i].bytes, &iv[i]));
		json_double(w, "ipis_per_s", per_iv(iv[i].remote_sends, &iv[i]));
		json_double(w, "mean_fanout", iv[i].ipis ? (double)iv[i].ipi_targets / iv[i].ipis : NAN);
		if (iv[i].top[0].n) {
			json_int(w, "top_pid", iv[i].top[0].pid);
			json_string(w, "top_comm", comm_of(r, iv[i].top[0].pid, 0, buf, sizeof(buf)));
		} else {
			json_null(w, "top_pid");
			json_null(w, "top_comm");
		}
		json_bool(w, "burst", iv[i].burst);
		json_object_end(w);
	}
	json_array_end(w);
	json_object_end(w);
}

static void json_bursts(struct json_writer *w, struct report *r)
{
	const struct agg_interval *iv;
	struct agg_burst_stats st;
	int n = agg_intervals(r->agg, &iv);
	char buf[32];

	agg_bursts(r->agg, &st);
	json_object_begin(w, "bursts");
	json_double(w, "k", st.k);
	json_double(w, "median_per_s", st.median);
	json_double(w, "mad_per_s", st.mad);
	json_double(w, "threshold_per_s", st.threshold);
	json_array_begin(w, "intervals");
	for (int i = 0; i < n; i++) {
		if (!iv[i].burst)
			continue;
		json_object_begin(w, NULL);
		json_double(w, "t_s", interval_t(iv, i));
		json_double(w, "rate_per_s", per_iv(iv[i].events, &iv[i]));
		json_array_begin(w, "processes");
		for (int k = 0; k < AGG_SERIES_TOP && iv[i].top[k].n; k++) {
			json_object_begin(w, NULL);
			json_int(w, "pid", iv[i].top[k].pid);
			json_string(w, "comm", comm_of(r, iv[i].top[k].pid, 0, buf, sizeof(buf)));
			json_uint(w, "invalidations", iv[i].top[k].n);
			json_object_end(w);
		}
		json_array_end(w);
		json_object_end(w);
	}
	json_array_end(w);
	json_object_end(w);
}

/* --sort's histogram; absent without --sort */
static void json_histogram(struct json_writer *w, struct report *r)
{
	struct agg_hist_row *h;
	int n;

	if (!r->o.sort || r->chain_key >= 0)
		return;
	n = agg_hist(r->agg, &h);
	json_object_begin(w, "histogram");
	json_string(w, "keys", r->o.sort);
	json_array_begin(w, "rows");
	for (int i = 0; i < limit(r, n); i++) {
		json_object_begin(w, NULL);
		if (h[i].pid >= 0)
			json_int(w, "pid", h[i].pid);
		if (h[i].comm[0])
			json_string(w, "comm", h[i].comm);
		if (h[i].reason >= 0)
			json_string(w, "reason", tlb_reason_key(h[i].reason));
		if (h[i].cpu >= 0)
			json_int(w, "cpu", h[i].cpu);
		if (r->cg) {
			struct cgroup_info ci;

			json_string(w, "cgroup", cgtab_name(r->cg, h[i].cgroup));
			json_uint(w, "cgroup_id", h[i].cgroup);
			cgroup_parse(cgtab_name(r->cg, h[i].cgroup), &ci);
			if (ci.container[0])
				json_string(w, "container", ci.container);
			if (ci.pod[0])
				json_string(w, "pod", ci.pod);
		}
		json_uint(w, "invalidations", h[i].events);
		json_uint(w, "pages", h[i].pages);
		json_uint(w, "full_flushes", h[i].full_flushes);
		json_object_end(w);
	}
	json_array_end(w);
	json_object_end(w);
	free(h);
}

/* ---------------- call chains ---------------- */

static const char *const chain_key_name[] = { "cause", "callsite", "srcline" };
static const char *const chain_key_title[] = { "CAUSE", "CALLSITE", "SRCLINE" };
static const char *const chain_key_json[] = { "causes", "callsites", "srclines" };

/*
 * The runbook's installed directory: PREFIX/share/doc/tlbstat beside PREFIX/bin/tlbstat, found
 * from the running binary (make install and the .deb put them so), else where a default
 * `make install` puts it (a binary in the build tree).
 */
static const char *installed_docdir(char *buf, size_t len)
{
	char exe[4096], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct stat st;

	if (n > 0) {
		exe[n] = 0;
		slash = strrchr(exe, '/');
		if (slash && slash - exe >= 4 && !strncmp(slash - 4, "/bin", 4)) {
			snprintf(buf, len, "%.*s/share/doc/tlbstat", (int)(slash - 4 - exe), exe);
			if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
				return buf;
		}
	}
	snprintf(buf, len, "%s", TLBSTAT_DOCDIR);
	return buf;
}

/* --sort cause|callsite|srcline: one row per cause, call site or its line, most invalidations first */
static void stdio_chains(struct report *r)
{
	static const struct out_col cols[] = {
		{ NULL, 24, OUT_LEFT }, { "INVALS", 10 }, { "SHARE", 7, OUT_RIGHT, "%" },
		{ "RIPIS", 9 }, { "BYTES", 10 }, { "PROCS", 6 },
	};
	struct out_col c[ARRAY_SIZE(cols)];
	struct cc_group *g;
	struct out_table t;
	uint64_t total = 0;
	long n;

	if (r->chain_key < 0)
		return;
	n = cc_group_by(r->cc, r->chain_key, &g);
	if (n < 0) {
		tlb_err("report: out of memory");
		return;
	}
	for (long i = 0; i < n; i++)
		total += g[i].c.events;
	memcpy(c, cols, sizeof(c));
	c[0].title = chain_key_title[r->chain_key];
	fprintf(r->out, "Invalidations by %s (%d of %ld; from call chains; RIPIS: remote IPI "
		"sends, reason 4; PROCS: processes)\n", chain_key_name[r->chain_key], limit(r, (int)n),
		n);
	out_table_init(&t, r->out, OUT_TABLE, NULL, c, (int)ARRAY_SIZE(c));
	out_table_header(&t);
	for (int i = 0; i < limit(r, (int)n); i++) {
		char b[32];

		out_cell(&t, g[i].name);
		out_cell_u64(&t, g[i].c.events);
		out_cell_double(&t, total ? 100.0 * (double)g[i].c.events / (double)total : NAN, 1);
		out_cell_u64(&t, g[i].c.remote_sends);
		human_bytes(g[i].c.bytes, b, sizeof(b));
		out_cell(&t, b);
		out_cell_u64(&t, g[i].processes);
		out_row_end(&t);
	}
	/* from cause to remedy: the runbook section of the top cause (lib/runbook.c) */
	if (r->chain_key == CC_BY_CAUSE && n > 0) {
		char dir[4096];

		fprintf(r->out, "Top cause %s: see Documentation/%s#%s (installed as %s/%s)\n",
			g[0].name, RUNBOOK_FILE, runbook_anchor(g[0].name),
			installed_docdir(dir, sizeof(dir)), RUNBOOK_FILE);
	}
	fprintf(r->out, "\n");
	free(g);
}

static void json_chains(struct json_writer *w, struct report *r)
{
	struct cc_group *g;
	long n;

	if (r->chain_key < 0 || (n = cc_group_by(r->cc, r->chain_key, &g)) < 0)
		return;
	json_array_begin(w, chain_key_json[r->chain_key]);
	for (int i = 0; i < limit(r, (int)n); i++) {
		json_object_begin(w, NULL);
		json_string(w, chain_key_name[r->chain_key], g[i].name);
		json_uint(w, "invalidations", g[i].c.events);
		json_uint(w, "remote_sends", g[i].c.remote_sends);
		json_uint(w, "bytes", g[i].c.bytes);
		json_uint(w, "processes", g[i].processes);
		if (r->chain_key == CC_BY_CAUSE) {
			char ref[96];

			snprintf(ref, sizeof(ref), "Documentation/%s#%s", RUNBOOK_FILE,
				 runbook_anchor(g[i].name));
			json_string(w, "runbook", ref);
		}
		json_object_end(w);
	}
	json_array_end(w);
	free(g);
}

/*
 * How frames are written: " file.c:LINE" with --srcline; " (inlined)" on inline frames in the -g
 * trees (as perf report -g; folded lines and flame graphs keep the plain names, as perf script
 * and stackcollapse give them)
 */
static unsigned fold_flags(const struct report *r, bool tree)
{
	return (r->o.srcline ? CC_FOLD_SRCLINE : 0) | (tree ? CC_FOLD_INLINED : 0);
}

/* --folded: "comm;root;...;leaf count" per unique stack */
static void print_folded(struct report *r)
{
	struct cc_line *l;
	long n = cc_folded(r->cc, fold_flags(r, false), &l);

	if (n < 0) {
		tlb_err("report: out of memory");
		return;
	}
	for (long i = 0; i < n; i++)
		fprintf(r->out, "%s %llu\n", l[i].text, (unsigned long long)l[i].events);
	cc_lines_free(l, n);
}

#define GRAPH_MIN_PCT 0.5	/* perf report -g's default: branches under 0.5 % left out */

static bool graph_caller(const struct report *r)
{
	return r->o.graph_order && !strcmp(r->o.graph_order, "caller");
}

/* The -g tree (per comm), or NULL (nothing, or out of memory: said). */
static struct cc_node *graph_tree(struct report *r)
{
	struct cc_line *l;
	struct cc_node *roots = NULL;
	long n = cc_folded(r->cc, fold_flags(r, true), &l);

	if (n < 0 || cc_tree(l, n, graph_caller(r), &roots) < 0)
		tlb_err("report: out of memory: no call graph");
	if (n >= 0)
		cc_lines_free(l, n);
	return roots;
}

/* A node and what it leads to; a chain of single children stays at one indentation. */
static void graph_print(struct report *r, const struct cc_node *n, uint64_t total, int indent,
			bool first_of_chain)
{
	for (; n; n = n->next) {
		const struct cc_node *c = n;
		int kids;

		if (100.0 * (double)n->events / (double)total < GRAPH_MIN_PCT)
			continue;
		if (first_of_chain)
			fprintf(r->out, "%*s%6.2f%%  %s\n", indent, "",
				100.0 * (double)n->events / (double)total, n->name);
		else
			fprintf(r->out, "%*s         %s\n", indent, "", n->name);
		kids = 0;	/* the children shown */
		for (c = n->child; c; c = c->next)
			kids += 100.0 * (double)c->events / (double)total >= GRAPH_MIN_PCT;
		graph_print(r, n->child, total, kids > 1 ? indent + 4 : indent, kids > 1);
		if (!first_of_chain && !n->next)
			return;
	}
}

static void stdio_graph(struct report *r)
{
	struct cc_node *roots;

	if (!r->o.graph || !(roots = graph_tree(r)))
		return;
	fprintf(r->out, "Call graph (%s order: %s; %% of the comm's invalidations; branches under "
		"%.1f%% left out)\n", graph_caller(r) ? "caller" : "callee",
		graph_caller(r) ? "the outermost caller first" : "the flush first, then its callers",
		GRAPH_MIN_PCT);
	for (const struct cc_node *c = roots; c; c = c->next) {
		fprintf(r->out, "%s  %llu invalidations\n", c->name, (unsigned long long)c->events);
		graph_print(r, c->child, c->events, 2, true);
	}
	fprintf(r->out, "\n");
	cc_tree_free(roots);
}

/*
 * The tree as a flat list in pre-order, each node naming its parent's id (-1: a comm): call
 * chains are deeper than the JSON writer nests. Returns the next free id.
 */
static long json_nodes(struct json_writer *w, const struct cc_node *n, uint64_t total,
		       long parent, long id)
{
	for (; n; n = n->next) {
		long self = id++;

		if (parent >= 0 && 100.0 * (double)n->events / (double)total < GRAPH_MIN_PCT)
			continue;
		json_object_begin(w, NULL);
		json_int(w, "id", self);
		json_int(w, "parent", parent);
		json_string(w, "name", n->name);
		json_uint(w, "invalidations", n->events);
		json_object_end(w);
		id = json_nodes(w, n->child, parent < 0 ? n->events : total, self, id);
	}
	return id;
}

static void json_graph(struct json_writer *w, struct report *r)
{
	struct cc_node *roots;

	if (!r->o.graph || !(roots = graph_tree(r)))
		return;
	json_object_begin(w, "call_graph");
	json_string(w, "order", graph_caller(r) ? "caller" : "callee");
	json_double(w, "min_percent", GRAPH_MIN_PCT);
	json_array_begin(w, "nodes");
	json_nodes(w, roots, 0, -1, 0);
	json_array_end(w);
	json_object_end(w);
	cc_tree_free(roots);
}

/* --flamegraph FILE: the folded stacks as an SVG. 0, or -1 (said). */
static int write_flamegraph(struct report *r)
{
	char err[512], title[300];
	struct cc_line *l;
	long n = cc_folded(r->cc, fold_flags(r, false), &l);
	FILE *f;
	int rc;

	if (n < 0) {
		tlb_err("report: out of memory");
		return -1;
	}
	f = outfile_fopen(r->o.flamegraph, err, sizeof(err));
	if (!f) {
		tlb_err("report: %s", err);
		cc_lines_free(l, n);
		return -1;
	}
	snprintf(title, sizeof(title), "TLB invalidations by call chain: %s", r->o.input);
	rc = fg_write(f, l, n, title, err, sizeof(err));
	if (rc < 0)
		tlb_err("report: %s", err);
	cc_lines_free(l, n);
	if (close_output(f, r->o.flamegraph) < 0)
		rc = -1;
	return rc;
}

/*
 * A user frame's inline chain and source lines (lib/srcline.c, cached by object and address):
 * out[0] holds the frame named by its symbol table; the functions DWARF says are inlined at ip go
 * before it. Looked up one byte before a return address (inside its call). The number of frames.
 */
static uint32_t user_inlines(struct report *r, pid_t pid, uint64_t ip, bool ret,
			     struct cc_frame *out, uint32_t room)
{
	const struct srcl_frame *sf;
	struct cc_frame holder = out[0];
	const char *path;
	uint64_t vaddr;
	uint32_t n, keep, k;

	if (!r->srcl || !usym_object_addr(r->usyms, pid, ret ? ip - 1 : ip, &path, &vaddr) ||
	    !(n = srcl_lookup(r->srcl, path, vaddr, &sf)))
		return 1;
	if (!r->inlines) {	/* the line of the address itself: the innermost one */
		out[0].srcline = r->want_srcline ? sf[0].srcline : NULL;
		return 1;
	}
	/* the inline chain, innermost first (the outer ones cut when deeper than room); the holder
	 * (last) keeps its symbol table's name, as perf names it, and the line of its call */
	keep = n < room ? n : room;
	for (k = 0; k + 1 < keep; k++)
		out[k] = (struct cc_frame){ sf[k].func, holder.dso, sf[k].srcline, true };
	out[k] = holder;
	out[k].srcline = sf[n - 1].srcline;
	for (uint32_t i = 0; i < keep && !r->want_srcline; i++)
		out[i].srcline = NULL;
	return keep;
}

/*
 * The kernel symbols, read at the first kernel frame (the file's kernel map is seen by then):
 * perf's build-id cache copy of the file's kernel (HEADER_BUILD_ID) when its _text is the
 * file's, so also right for a file of another boot or machine; else /proc/kallsyms when the file
 * is of this kernel release (its frames stay unnamed otherwise, said). The cached copy is a
 * plain file; /proc/kallsyms is text the kernel formats line by line (about 40 ms here).
 */
static void kernel_syms(struct report *r)
{
	const char *rel = session_osrelease(r->s);
	unsigned char id[20];
	size_t n = r->rd && r->file_ktext ? pd_build_id(r->rd, "[kernel.kallsyms]", id, 20) : 0;
	struct utsname u;
	char err[256];
	int rc = n ? syms_load_cached(r->ksyms, id, n, r->file_ktext, err, sizeof(err)) : 0;

	r->ksyms_pending = false;
	if (rc > 0)
		return;
	if (rc == 0 && rel && *rel && uname(&u) == 0 && strcmp(rel, u.release))
		tlb_warn("report: %s was recorded on Linux %s, this is %s: kernel frames stay unnamed "
			 "([unknown]) and causes unknown", r->o.input, rel, u.release);
	else if (rc < 0 || syms_load_proc(r->ksyms, err, sizeof(err)) < 0)
		tlb_warn("report: %s: kernel frames stay unnamed", err);
	else
		return;
	syms_free(r->ksyms);
	r->ksyms = NULL;
}

/* cc_resolver: kernel frames by kernel_syms()' table, user frames by the mappings and DWARF */
static uint32_t resolve_frame(void *ctx, pid_t pid, uint64_t ip, bool kernel, bool ret,
			      struct cc_frame *out, uint32_t room)
{
	struct report *r = ctx;
	uint64_t off;

	out[0] = (struct cc_frame){ NULL, NULL, NULL, false };
	if (kernel) {
		if (r->ksyms_pending)
			kernel_syms(r);
		out[0].sym = r->ksyms ? syms_lookup(r->ksyms, ip, &off) : NULL;
		out[0].dso = "[kernel.kallsyms]";
	} else if (r->usyms) {
		out[0].sym = usym_resolve(r->usyms, pid, ip, &out[0].dso);
		return user_inlines(r, pid, ip, ret, out, room);
	}
	return 1;
}

/* Does any event of the file carry these sample fields (call chains, user stacks)? */
static bool file_has_sample(struct report *r, uint64_t type)
{
	for (int i = 0; r->rd && i < pd_nr_attrs(r->rd); i++)
		if (pd_attr(r->rd, i)->attr.sample_type & type)
			return true;
	return false;
}

/*
 * For --folded and --sort cause|callsite: the stack table, user symbols, and kernel symbols to be
 * read at the first kernel frame (kernel_syms()). 0, or EXIT_FAIL.
 */
static int chains_setup(struct report *r)
{
	struct cc_resolver res = { resolve_frame, r };

	if (!r->o.folded && r->chain_key < 0 && !r->o.flamegraph && !r->o.graph)
		return 0;
	if (!file_has_sample(r, PERF_SAMPLE_CALLCHAIN)) {
		tlb_err("report: %s has no call chains: record with -g (tlbstat record -g, or perf "
			"record -g)", r->o.input);
		return EXIT_FAIL;
	}
	r->cc = cc_new(&res);
	r->usyms = usym_new(NULL);
	r->want_srcline = r->o.srcline || r->chain_key == CC_BY_SRCLINE;
	/* as perf 6.1: inline frames in dwarf-unwound chains; frame-pointer ones with --inline */
	r->inlines = !r->o.no_inline &&
		     (r->o.inline_ || file_has_sample(r, PERF_SAMPLE_STACK_USER));
	if (r->inlines || r->want_srcline) {
		r->srcl = srcl_new(NULL);
		if (!r->srcl) {
			tlb_err("report: out of memory");
			return EXIT_FAIL;
		}
		if (r->want_srcline && !srcl_available())
			tlb_warn("report: no libdw (not built in, or not loaded): no source "
				 "lines ([unknown])");
	}
	r->ksyms = syms_new(SYMS_TABLE);
	if (!r->cc || !r->usyms || !r->ksyms) {
		tlb_err("report: out of memory");
		return EXIT_FAIL;
	}
	r->ksyms_pending = true;
	if (!usym_available())
		tlb_warn("report: no libelf (not built in, or not loaded): user frames stay unnamed");
	for (int i = 0; r->rd && i < pd_nr_attrs(r->rd); i++)
		if (pd_attr(r->rd, i)->attr.sample_type & PERF_SAMPLE_STACK_USER) {
			r->unw = unw_new(r->usyms);
			if (!r->unw) {
				tlb_err("report: out of memory");
				return EXIT_FAIL;
			}
			if (!unw_available())
				tlb_warn("report: no libdw (not built in, or not loaded): --call-graph "
					 "dwarf stacks are not unwound, their user part is the sampled "
					 "ip alone");
			break;
		}
	return 0;
}

#define REPORT_JSON_SCHEMA 1

typedef void (*json_section_fn)(struct json_writer *w, struct report *r);

static void print_json(struct report *r)
{
	static const json_section_fn sections[] = {
		json_header, json_tasks, json_cpus, json_victims, json_series, json_bursts,
		json_histogram, json_chains, json_graph, json_handler,
	};
	struct json_writer w;

	json_init(&w, r->out, false);
	json_object_begin(&w, NULL);
	/* the layout's version: Documentation/json.md, schema/report.json */
	json_int(&w, "schema_version", REPORT_JSON_SCHEMA);
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		sections[i](&w, r);
	json_object_end(&w);
	json_finish(&w);
}

/* ---------------- flush handler time ---------------- */

static const char *const handler_kind_key[AGG_HANDLER_KINDS] = { "local", "victim" };

static double us_per_s(struct report *r, uint64_t ns)
{
	return r->duration > 0 ? (double)ns / 1e3 / r->duration : NAN;
}

static void json_handler_tasks(struct json_writer *w, struct report *r, int k, bool threads)
{
	struct agg_task **v;
	char buf[32];
	int n = threads ? agg_threads(r->agg, k ? AGG_SORT_HANDLER_VICTIM : AGG_SORT_HANDLER_LOCAL, &v)
			: agg_processes(r->agg, k ? AGG_SORT_HANDLER_VICTIM : AGG_SORT_HANDLER_LOCAL, &v);

	json_array_begin(w, threads ? "threads" : "processes");
	for (int i = 0; i < limit(r, n) && v[i]->handler_calls[k]; i++) {
		json_object_begin(w, NULL);
		json_int(w, "pid", v[i]->pid);
		if (threads)
			json_int(w, "tid", v[i]->tid);
		json_string(w, "comm", agg_task_comm(v[i], buf, sizeof(buf)));
		json_uint(w, "calls", v[i]->handler_calls[k]);
		json_uint(w, "total_ns", v[i]->handler_ns[k]);
		json_double(w, "us_per_s", us_per_s(r, v[i]->handler_ns[k]));
		json_object_end(w);
	}
	json_array_end(w);
	free(v);
}

/* csd entries recorded, yet none of a known TLB function: symbols were missing */
static bool handler_unclassified(struct report *r)
{
	const struct agg_totals *t = agg_totals(r->agg);

	return t->by_kind[EV_CSD_FUNC_ENTRY] && !t->handler[AGG_HANDLER_LOCAL].calls &&
	       !t->handler[AGG_HANDLER_VICTIM].calls && !t->handler_dropped && !t->handler_ignored;
}

static void json_handler(struct json_writer *w, struct report *r)
{
	const struct agg_totals *tot = agg_totals(r->agg);

	json_object_begin(w, "flush_handler");
	json_bool(w, "recorded", r->handler_recorded);
	if (!r->handler_recorded)
		json_string(w, "note", "not recorded (tlbstat record --cost)");
	for (int k = 0; r->handler_recorded && k < AGG_HANDLER_KINDS; k++) {
		const struct agg_handler *h = &tot->handler[k];

		if (k == AGG_HANDLER_VICTIM && !r->victims_ok) {
			json_null(w, handler_kind_key[k]);
			json_string(w, "victim_note", victims_note(r));
			continue;
		}
		json_object_begin(w, handler_kind_key[k]);
		json_uint(w, "calls", h->calls);
		json_uint(w, "total_ns", h->ns);
		json_double(w, "us_per_s", us_per_s(r, h->ns));
		json_double(w, "mean_ns", h->calls ? (double)h->ns / (double)h->calls : NAN);
		json_double(w, "p50_ns", h->calls ? agg_handler_quantile(h, 0.50) : NAN);
		json_double(w, "p99_ns", h->calls ? agg_handler_quantile(h, 0.99) : NAN);
		json_uint(w, "min_ns", h->min_ns);
		json_uint(w, "max_ns", h->max_ns);
		json_array_begin(w, "histogram_log2_ns");
		for (int b = 0; b < AGG_HANDLER_BUCKETS; b++)
			if (h->hist[b]) {
				json_object_begin(w, NULL);
				json_uint(w, "from_ns", b ? 1ULL << b : 0);
				json_uint(w, "to_ns", 2ULL << b);
				json_uint(w, "count", h->hist[b]);
				json_object_end(w);
			}
		json_array_end(w);
		json_handler_tasks(w, r, k, false);
		json_handler_tasks(w, r, k, true);
		json_object_end(w);
	}
	if (r->handler_recorded) {
		if (handler_unclassified(r))
			json_string(w, "symbols_note", "no csd_function_entry recognised as a TLB flush "
				    "function: no kernel symbols");
		json_uint(w, "dropped_entries", tot->handler_dropped);
		json_uint(w, "ignored_exits", tot->handler_ignored);
	}
	json_object_end(w);
}

static void print_handler_tasks(struct report *r, int k, bool threads)
{
	const struct out_col cols[] = {
		{ threads ? "TID" : "PID", 8, OUT_LEFT, NULL },
		{ threads ? "THREAD" : "PROCESS", 16, OUT_LEFT, NULL },
		{ "CALLS", 10, OUT_RIGHT, NULL },
		{ "US/S", 12, OUT_RIGHT, NULL },
		{ "MEAN_US", 10, OUT_RIGHT, NULL },
	};
	struct out_table t;
	struct agg_task **v;
	char buf[32];
	int n = threads ? agg_threads(r->agg, k ? AGG_SORT_HANDLER_VICTIM : AGG_SORT_HANDLER_LOCAL, &v)
			: agg_processes(r->agg, k ? AGG_SORT_HANDLER_VICTIM : AGG_SORT_HANDLER_LOCAL, &v);

	out_table_init(&t, r->out, OUT_TABLE, "    ", cols, ARRAY_SIZE(cols));
	out_table_header(&t);
	for (int i = 0; i < limit(r, n) && v[i]->handler_calls[k]; i++) {
		out_cell_int(&t, threads ? v[i]->tid : v[i]->pid);
		out_cell(&t, agg_task_comm(v[i], buf, sizeof(buf)));
		out_cell_u64(&t, v[i]->handler_calls[k]);
		out_cell_double(&t, us_per_s(r, v[i]->handler_ns[k]), 1);
		out_cell_double(&t, (double)v[i]->handler_ns[k] / (double)v[i]->handler_calls[k] / 1e3,
				2);
		out_row_end(&t);
	}
	free(v);
}

/* log2 buckets of handler time, with a bar scaled to the fullest bucket */
static void print_handler_hist(struct report *r, const struct agg_handler *h)
{
	/* the bar is a third cell past the two titled columns: the header has none */
	static const struct out_col cols[] = {
		{ "HANDLER TIME (us)", 21, OUT_RIGHT, NULL },
		{ "CALLS", 10, OUT_RIGHT, NULL },
	};
	struct out_table t;
	uint64_t peak = 0;

	for (int b = 0; b < AGG_HANDLER_BUCKETS; b++)
		if (h->hist[b] > peak)
			peak = h->hist[b];
	out_table_init(&t, r->out, OUT_TABLE, "    ", cols, ARRAY_SIZE(cols));
	out_table_header(&t);
	for (int b = 0; b < AGG_HANDLER_BUCKETS; b++) {
		char bar[41];
		int len;

		if (!h->hist[b])
			continue;
		len = (int)((h->hist[b] * 40 + peak - 1) / peak);
		memset(bar, '#', (size_t)len);
		bar[len] = 0;
		out_cellf(&t, "%9.3f - %-9.3f", b ? (double)(1ULL << b) / 1e3 : 0.0,
			  (double)(2ULL << b) / 1e3);
		out_cell_u64(&t, h->hist[b]);
		out_cell(&t, bar);
		out_row_end(&t);
	}
}

static void print_handler_kind(struct report *r, int k)
{
	static const char *const title[AGG_HANDLER_KINDS] = {
		"local (the initiator flushing its own CPU, csd == 0)",
		"victim (a flush taken from the IPI queue, csd != 0, charged to the interrupted task)" };
	const struct agg_handler *h = &agg_totals(r->agg)->handler[k];
	char rate[32];

	fprintf(r->out, "  %s:\n", title[k]);
	if (k == AGG_HANDLER_VICTIM && !r->victims_ok) {
		fprintf(r->out, "    %s\n", victims_note(r));
		return;
	}
	if (!h->calls) {
		fprintf(r->out, "    no calls\n");
		return;
	}
	fmt_num(us_per_s(r, h->ns), rate, sizeof(rate));
	fprintf(r->out, "    %llu calls, %.3f ms in all, %s us/s; mean %.2f us, p50 ~%.2f us, "
		"p99 ~%.2f us, min %.2f us, max %.2f us\n", (unsigned long long)h->calls,
		(double)h->ns / 1e6, rate, (double)h->ns / (double)h->calls / 1e3,
		agg_handler_quantile(h, 0.5) / 1e3, agg_handler_quantile(h, 0.99) / 1e3,
		(double)h->min_ns / 1e3, (double)h->max_ns / 1e3);
	print_handler_hist(r, h);
	print_handler_tasks(r, k, false);
	print_handler_tasks(r, k, true);
}

static void print_handler(struct report *r)
{
	const struct agg_totals *tot = agg_totals(r->agg);

	fprintf(r->out, "\nFlush handler time (csd_function_entry/exit around TLB flush functions)\n");
	if (!r->handler_recorded) {
		fprintf(r->out, "  not recorded (tlbstat record --cost)\n");
		return;
	}
	if (handler_unclassified(r))
		fprintf(r->out, "  %llu csd_function_entry events, none recognised as a TLB flush function: "
			"no kernel symbols (run as root, on the boot that recorded the file)\n",
			(unsigned long long)tot->by_kind[EV_CSD_FUNC_ENTRY]);
	for (int k = 0; k < AGG_HANDLER_KINDS; k++)
		print_handler_kind(r, k);
	if (tot->handler_dropped || tot->handler_ignored)
		fprintf(r->out, "  unpaired: %llu entries without their exit, %llu exits without an "
			"entry (lost records, or the recording started or ended inside a handler)\n",
			(unsigned long long)tot->handler_dropped, (unsigned long long)tot->handler_ignored);
}

/* ---------------- --html ---------------- */

/* The page of lib/html.c, with the recording's side file (record --sample) when it has one. */
static int write_html(struct report *r)
{
	struct html_report_facts fx = {
		.title = "tlbstat report", .interval_ns = (uint64_t)llround(r->interval_s * 1e9),
		.window = 2, .max_lag = 5, .alpha = 0.05,
		.victim_note = r->victims_ok ? NULL : victims_note(r),
	};
	char err[512], *side = NULL, *sub = NULL;
	FILE *f;
	int rc = -1;

	if (asprintf(&side, "%s.samples.csv", r->o.input) < 0 ||
	    asprintf(&sub, "%s: %.1f s on %d CPUs, Linux %s, transport %s; %.0f invalidations/s; "
		     "interval %g s", r->o.input, r->duration, r->cpus, r->kernel ? r->kernel : "?",
		     r->transport, r->rate, r->interval_s) < 0)
		tlb_die(EXIT_FAIL, "report: out of memory");
	fx.side = access(side, R_OK) == 0 ? side : NULL;
	fx.subtitle = sub;
	f = outfile_fopen(r->o.html, err, sizeof(err));
	if (!f) {
		tlb_err("report: %s", err);
	} else if (html_report(f, r->agg, &fx, err, sizeof(err)) < 0) {
		tlb_err("report: --html: %s", err);
		close_output(f, r->o.html);
	} else {
		rc = close_output(f, r->o.html);
	}
	free(side);
	free(sub);
	return rc;
}

/* ---------------- CSV series ---------------- */

static void print_series_csv(struct report *r, FILE *f)
{
	static const struct out_col cols[] = {
		{ "t_s" }, { "interval_s" }, { "invalidations" }, { "invalidations_per_s" },
		{ "bytes_per_s" }, { "ipis_per_s" }, { "mean_fanout" }, { "top_pid" },
		{ "top_comm" }, { "burst" },
	};
	const struct agg_interval *iv;
	struct out_table t;
	int n = agg_intervals(r->agg, &iv);
	char buf[32];

	out_table_init(&t, f, OUT_CSV, NULL, cols, ARRAY_SIZE(cols));
	out_table_header(&t);
	for (int i = 0; i < n; i++) {
		out_cell_double(&t, interval_t(iv, i), 3);
		out_cell_double(&t, iv[i].secs, 3);   /* the first and last are partial */
		out_cell_u64(&t, iv[i].events);
		out_cell_double(&t, per_iv(iv[i].events, &iv[i]), 2);
		out_cell_double(&t, per_iv(iv[i].bytes, &iv[i]), 2);
		out_cell_double(&t, per_iv(iv[i].remote_sends, &iv[i]), 2);
		out_cell_double(&t, iv[i].ipis ? (double)iv[i].ipi_targets / iv[i].ipis : NAN, 3);
		if (iv[i].top[0].n) {
			out_cell_int(&t, iv[i].top[0].pid);
			out_cell(&t, comm_of(r, iv[i].top[0].pid, 0, buf, sizeof(buf)));
		} else {
			out_cell(&t, NULL);
			out_cell(&t, NULL);
		}
		out_cell_int(&t, iv[i].burst ? 1 : 0);
		out_row_end(&t);
	}
}

/* ---------------- stdio ---------------- */

/* Per process / per thread; the title of the first column is "PID" or "TID". */
static void task_table_init(struct out_table *t, struct report *r, const char *id,
			    struct out_col cols[14])
{
	static const struct out_col task_cols[13] = {
		{ NULL, 8 }, { "COMM", 17, OUT_LEFT }, { "INVALS", 10 }, { "RATE/s", 9 },
		{ "PERCORE/s", 9 }, { "HEALTH", 6, OUT_LEFT }, { "PAGES", 9 }, { "BYTES", 10 },
		{ "FULL", 6 }, { "RIPIS", 8 }, { "SHARE", 6, OUT_RIGHT, "%" }, { "FANOUT", 9 },
		{ "VICTIM", 8 },
	};

	int n = 0;

	for (int i = 0; i < 13; i++) {
		cols[n++] = task_cols[i];
		if (i == 2 && r->o.nr_samples)   /* -n: after INVALS, as perf's Samples column */
			cols[n++] = (struct out_col){ "SAMPLES", 10 };
	}
	cols[0].title = id;
	out_table_init(t, r->out, OUT_TABLE, NULL, cols, n);
}

static void print_task_row(struct out_table *t, struct report *r, const struct agg_task *k)
{
	const struct count_counts *c = &k->total;
	struct count_rate cr = count_rate_of(c->events, r->duration, r->cpus);
	enum tlb_health h = count_health_of(c->reasons, r->duration, r->cpus).health;
	const struct agg_totals *tot = agg_totals(r->agg);
	char buf[32];

	out_cell_int(t, k->tid ? k->tid : k->pid);
	out_cellf(t, "%-16s%s", agg_task_comm(k, buf, sizeof(buf)), k->kernel_thread ? "*" : " ");
	out_cell_u64(t, c->events);
	if (r->o.nr_samples)
		out_cell_u64(t, k->samples);
	out_cell_double(t, cr.rate, 1);
	out_cell_double(t, cr.per_core, 1);
	out_cell(t, h == HEALTH_INSUFFICIENT ? "-" : tlb_health_name(h));
	out_cell_u64(t, c->pages);
	human_bytes(c->pages * (uint64_t)tep_get_page_size(session_tep(r->s)), buf, sizeof(buf));
	out_cell(t, buf);
	out_cell_u64(t, c->full_flushes);
	out_cell_u64(t, c->remote_sends);
	out_cell_double(t, tot->all.remote_sends ?
			100.0 * (double)c->remote_sends / (double)tot->all.remote_sends : 0.0, 1);
	fmt_num(mean_fanout(c), buf, sizeof(buf));
	out_cellf(t, "%5s/%-3llu", buf, (unsigned long long)c->max_fanout);
	if (r->victims_ok)
		out_cell_u64(t, c->victim_hits);
	else
		out_cell(t, "n/a");
	out_row_end(t);
}

/* requests the kernel made for a kernel address range: no task to charge */
static void print_kernel_range_row(struct out_table *t, struct report *r)
{
	const struct count_counts *kr = &agg_totals(r->agg)->kernel_range;

	if (!kr->ipis)
		return;
	out_cell(t, "-");
	out_cell(t, "[kernel range]");
	for (int i = 0; i < (r->o.nr_samples ? 8 : 7); i++)	/* INVALS (SAMPLES) .. FULL */
		out_cell(t, "-");
	out_cell_u64(t, kr->ipis);
	out_cell(t, "-");
	out_cellf(t, "%5.1f/%-3llu", mean_fanout(kr), (unsigned long long)kr->max_fanout);
	out_row_end(t);
}

static void stdio_header(struct report *r)
{
	const struct agg_totals *t = agg_totals(r->agg);
	struct count_health ch;
	char buf[64], b2[64];

	fprintf(r->out, "# tlbstat report: %s\n", r->o.input);
	fprintf(r->out, "# duration %.3f s, samples %llu (tlb_flush %llu", r->duration,
		(unsigned long long)r->samples, (unsigned long long)t->by_kind[EV_TLB_FLUSH]);
	for (int i = 0; i < r->nr_names; i++) {
		const char *k = event_key(r, r->names[i].attr, buf, sizeof(buf));

		if (strcmp(k, "tlb_flush"))
			fprintf(r->out, ", %s %llu", k, (unsigned long long)r->names[i].n);
	}
	fprintf(r->out, ")\n");
	if (t->lost)
		fprintf(r->out, "# LOST %llu events: counts below are lower bounds\n",
			(unsigned long long)t->lost);
	if (r->sample_period > 1)
		fprintf(r->out, "# SAMPLED one event in %llu (record -c): counts are samples, not events\n",
			(unsigned long long)r->sample_period);
	if (filter_active(&r->filter))
		fprintf(r->out, "# filter: %llu of %llu events kept\n", (unsigned long long)r->kept,
			(unsigned long long)(r->kept + r->filtered));
	fprintf(r->out, "# kernel %s, cpus %d, transport %s", r->kernel ? r->kernel : "unknown",
		r->cpus, r->transport);
	if (r->inferred_valid)
		fprintf(r->out, " (inferred from the file: %s; %s)", transport_name(r->inferred.transport),
			r->inferred.evidence);
	fprintf(r->out, "\n");
	human_bytes(t->all.pages * (uint64_t)tep_get_page_size(session_tep(r->s)), buf, sizeof(buf));
	fmt_num(r->rate, b2, sizeof(b2));
	ch = count_health_of(t->all.reasons, r->duration, r->cpus);
	fprintf(r->out, "# invalidations %llu (%s/s, %.1f/s per core), pages %llu (%s), "
		"full flushes %llu, remote IPIs %llu\n"
		"# health %s (%llu address-space flushes, %.1f/s per core), task switches %llu\n\n",
		(unsigned long long)t->all.events, b2, isnan(r->per_core) ? 0 : r->per_core,
		(unsigned long long)t->all.pages, buf, (unsigned long long)t->all.full_flushes,
		(unsigned long long)t->all.remote_sends, tlb_health_name(ch.health),
		(unsigned long long)ch.events, isnan(ch.per_core) ? 0 : ch.per_core,
		(unsigned long long)ch.task_switches);
	if (!t->by_kind[EV_TLB_FLUSH] && t->all.decisions)
		fprintf(r->out, "# no tlb:tlb_flush events (an arm64 kernel never fires it): this file's "
			"flushes are the %llu tlb:tlb_invalidation decisions of \"Kernel lab events\" "
			"below\n\n", (unsigned long long)t->all.decisions);
}

/* ---------------- --header ---------------- */

static void header_event(struct report *r, const struct pd_attr *a)
{
	const struct perf_event_attr *e = &a->attr;
	char buf[64];

	fprintf(r->out, "# event : name = %s, type = %u, config = %#llx, size = %u, %s = %llu, "
		"sample_type = %#llx, ids = %d\n", a->name ? a->name : event_key(r, a, buf, sizeof(buf)),
		e->type, (unsigned long long)e->config, e->size,
		e->freq ? "sample_freq" : "sample_period", (unsigned long long)e->sample_period,
		(unsigned long long)e->sample_type, a->nr_ids);
}

/* The file's header features, as perf report --header-only prints them (the ones tlbstat reads). */
static void print_file_header(struct report *r)
{
	static const struct { int feat; const char *label; } strs[] = {
		{ HEADER_HOSTNAME, "hostname" }, { HEADER_OSRELEASE, "os release" },
		{ HEADER_VERSION, "perf version" }, { HEADER_ARCH, "arch" },
		{ HEADER_CPUDESC, "cpudesc" }, { HEADER_CPUID, "cpuid" },
	};
	uint32_t online, avail;
	struct stat st;
	char when[64];

	fprintf(r->out, "# ========\n");
	if (!stat(r->o.input, &st) && strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y",
						 localtime(&st.st_mtime)))
		fprintf(r->out, "# captured on    : %s\n", when);
	fprintf(r->out, "# data size      : %llu\n", (unsigned long long)pd_data_size(r->rd));
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
		const char *v = pd_feature_string(r->rd, strs[i].feat);

		if (v)
			fprintf(r->out, "# %s : %s\n", strs[i].label, v);
		if (strs[i].feat == HEADER_ARCH && pd_nr_cpus(r->rd, &online, &avail))
			fprintf(r->out, "# nrcpus online : %u\n# nrcpus avail : %u\n", online, avail);
	}
	if (pd_cmdline(r->rd))
		fprintf(r->out, "# cmdline : %s\n", pd_cmdline(r->rd));
	for (int i = 0; i < pd_nr_attrs(r->rd); i++)
		header_event(r, pd_attr(r->rd, i));
	if (session_transport(r->s))
		fprintf(r->out, "# tlbstat transport : %s\n", session_transport(r->s));
	fprintf(r->out, "# ========\n#\n");
}

/* A cgroup in a --sort row: perf's name (path, N/A, unknown), and its container or pod */
static void stdio_cgroup(struct report *r, uint64_t id)
{
	const char *name = cgtab_name(r->cg, id);
	struct cgroup_info ci;

	cgroup_parse(name, &ci);
	fprintf(r->out, "  %-32s", name);
	if (ci.container[0])
		fprintf(r->out, "  container %.12s", ci.container);
	if (ci.pod[0])
		fprintf(r->out, "  pod %s", ci.pod);
}

/* --sort's histogram: only the keys asked for, each with its label */
static void stdio_histogram(struct report *r)
{
	struct agg_hist_row *h;
	char buf[64];
	bool comm_key;
	int n;

	if (!r->o.sort || r->chain_key >= 0)
		return;
	comm_key = (unsigned)agg_parse_keys(r->o.sort, buf, sizeof(buf)) & AGG_KEY_COMM;
	n = agg_hist(r->agg, &h);
	fprintf(r->out, "Invalidations by %s\n", r->o.sort);
	for (int i = 0; i < limit(r, n); i++) {
		fprintf(r->out, "  %10llu", (unsigned long long)h[i].events);
		if (h[i].pid >= 0)
			fprintf(r->out, "  pid %-8d", h[i].pid);
		if (h[i].comm[0] || comm_key)
			fprintf(r->out, "  %-16s", h[i].comm[0] ? h[i].comm : "?");
		if (h[i].reason >= 0)
			fprintf(r->out, "  %-20s", tlb_reason_label(h[i].reason));
		if (h[i].cpu >= 0)
			fprintf(r->out, "  cpu %-4d", h[i].cpu);
		if (r->cg)
			stdio_cgroup(r, h[i].cgroup);
		fprintf(r->out, "  pages %llu, full %llu\n", (unsigned long long)h[i].pages,
			(unsigned long long)h[i].full_flushes);
	}
	fprintf(r->out, "\n");
	free(h);
}

static void stdio_processes(struct report *r)
{
	struct out_col cols[14];
	struct out_table t;
	struct agg_task **v;
	char buf[32];
	bool any = false;
	int n = agg_processes(r->agg, AGG_SORT_EVENTS, &v);

	fprintf(r->out, "Per process (%d of %d; * kernel thread; RIPIS: remote IPI sends, reason 4; "
		"FANOUT: mean/max targets per observed request; HEALTH -: too little data)\n", limit(r, n), n);
	task_table_init(&t, r, "PID", cols);
	out_table_header(&t);
	for (int i = 0; i < limit(r, n); i++)
		print_task_row(&t, r, v[i]);
	print_kernel_range_row(&t, r);
	fprintf(r->out, "\n");
	for (int i = 0; i < n; i++) {
		if (!kthread_initiator(v[i]))
			continue;
		if (!any)
			fprintf(r->out, "Kernel-thread initiators\n");
		any = true;
		fprintf(r->out, "%8d %-16s remote IPI sends %llu, requests %llu\n", v[i]->pid,
			agg_task_comm(v[i], buf, sizeof(buf)),
			(unsigned long long)v[i]->total.remote_sends,
			(unsigned long long)v[i]->total.ipis);
	}
	if (any)
		fprintf(r->out, "\n");
	free(v);
}

static void stdio_threads(struct report *r)
{
	struct out_col cols[14];
	struct out_table t;
	struct agg_task **v;
	int n;

	if (!r->o.threads)
		return;
	n = agg_threads(r->agg, AGG_SORT_EVENTS, &v);
	fprintf(r->out, "Per thread (%d of %d)\n", limit(r, n), n);
	task_table_init(&t, r, "TID", cols);
	out_table_header(&t);
	for (int i = 0; i < limit(r, n); i++)
		print_task_row(&t, r, v[i]);
	fprintf(r->out, "\n");
	free(v);
}

static void stdio_reasons(struct report *r)
{
	static const struct out_col cols[] = { { "REASON", 22, OUT_LEFT }, { "INVALS", 10 } };
	const struct agg_totals *tot = agg_totals(r->agg);
	struct out_table t;

	fprintf(r->out, "Per reason\n");
	out_table_init(&t, r->out, OUT_TABLE, "  ", cols, ARRAY_SIZE(cols));
	for (int i = 0; i < TLB_NR_REASONS; i++) {
		out_cell(&t, tlb_reason_label(i));
		out_cell_u64(&t, tot->all.reasons[i]);
		out_row_end(&t);
	}
}

static void stdio_cpus(struct report *r)
{
	static const struct out_col cols[3 + TLB_NR_REASONS] = {
		{ "CPU", 4 }, { "INVALS", 10 }, { "RATE/s", 9 }, { "SWITCH", 8 }, { "REMOTE", 8 },
		{ "LOCAL", 8 }, { "LOCALMM", 8 }, { "SENDIPI", 8 }, { "WRONG", 8 },
	};
	struct out_table t;
	struct agg_cpu **cpus;
	int n = agg_cpus(r->agg, &cpus);

	fprintf(r->out, "\nPer CPU\n");
	out_table_init(&t, r->out, OUT_TABLE, "  ", cols, ARRAY_SIZE(cols));
	out_table_header(&t);
	for (int i = 0; i < n; i++) {
		out_cell_int(&t, cpus[i]->cpu);
		out_cell_u64(&t, cpus[i]->total.events);
		out_cell_double(&t, per_s(r, cpus[i]->total.events), 1);
		for (int k = 0; k < TLB_NR_REASONS; k++)
			out_cell_u64(&t, cpus[i]->total.reasons[k]);
		out_row_end(&t);
	}
	free(cpus);
}

/* initiator -> victim at process level (ids are pids), then thread level (tids) */
static void stdio_pairs(struct report *r)
{
	static const struct out_col cols[] = {
		{ "INITIATOR", 8 }, { "COMM", 16, OUT_LEFT }, { "->" }, { "VICTIM", 8 },
		{ "COMM", 16, OUT_LEFT }, { "SHOOTDOWNS", 10 },
	};
	const struct agg_totals *tot = agg_totals(r->agg);
	struct out_table t;
	struct agg_pair *p;
	char b1[32], b2[32];

	fprintf(r->out, "\nInitiator -> victim (paired %llu: %llu by target cpu, %llu by "
		"nearest send; unpaired %llu)\n", (unsigned long long)tot->paired,
		(unsigned long long)tot->paired_by_target, (unsigned long long)tot->paired_by_send,
		(unsigned long long)tot->unpaired);
	out_table_init(&t, r->out, OUT_TABLE, "  ", cols, ARRAY_SIZE(cols));
	for (int lvl = 0; lvl < 2; lvl++) {
		int n = agg_pairs(r->agg, lvl == 0, &p);

		fprintf(r->out, "  %s level\n", lvl == 0 ? "process" : "thread");
		for (int i = 0; i < limit(r, n); i++) {
			out_cell_int(&t, lvl ? p[i].init_tid : p[i].init_pid);
			out_cell(&t, comm_of(r, p[i].init_pid, p[i].init_tid, b1, sizeof(b1)));
			out_cell(&t, "->");
			out_cell_int(&t, lvl ? p[i].victim_tid : p[i].victim_pid);
			out_cell(&t, comm_of(r, p[i].victim_pid, p[i].victim_tid, b2, sizeof(b2)));
			out_cell_u64(&t, p[i].count);
			out_row_end(&t);
		}
		free(p);
	}
}

static void stdio_victims(struct report *r)
{
	static const struct out_col cols[] = {
		{ "PID", 8 }, { "COMM", 16, OUT_LEFT }, { "SHOOTDOWNS", 10 },
	};
	struct out_table t;
	struct agg_task **v;
	char buf[32];
	int n;

	fprintf(r->out, "\nVictims (remote shootdowns received, in the interrupted task)\n");
	if (!r->victims_ok) {
		fprintf(r->out, "  %s\n", victims_note(r));
		return;
	}
	n = agg_processes(r->agg, AGG_SORT_VICTIM, &v);
	out_table_init(&t, r->out, OUT_TABLE, NULL, cols, ARRAY_SIZE(cols));
	for (int i = 0; i < limit(r, n) && v[i]->total.victim_hits; i++) {
		out_cell_int(&t, v[i]->pid);
		out_cell(&t, agg_task_comm(v[i], buf, sizeof(buf)));
		out_cell_u64(&t, v[i]->total.victim_hits);
		out_row_end(&t);
	}
	free(v);
	stdio_pairs(r);
}

/* The kernel lab's events per process: what was asked, how wide, secondary MMUs. */
static void stdio_lab(struct report *r)
{
	static const struct out_col cols[] = {
		{ "PID", 8 }, { "COMM", 16, OUT_LEFT }, { "DECISIONS", 10 }, { "REMOTE", 8 },
		{ "BCAST", 7 }, { "FULL", 7 }, { "WHOLE", 7 }, { "PAGE", 7 }, { "ASKED", 10 },
		{ "MEAN", 10 }, { "TARGETS", 9 },
		{ "NOTIFIER", 9 }, { "NBYTES", 10 },
	};
	const struct agg_totals *tot = agg_totals(r->agg);
	struct out_table t;
	struct agg_task **v;
	char buf[32];
	int n;

	if (!has_lab(r))
		return;
	fprintf(r->out, "\nKernel lab events (patched kernel, patches/: %llu tlb_invalidation, %llu "
		"mmu_notifier_invalidation)\n", (unsigned long long)tot->by_kind[EV_PATCHED_FLUSH],
		(unsigned long long)tot->by_kind[EV_MMU_NOTIFIER]);
	fprintf(r->out, "  DECISIONS flushes decided (tlb_invalidation, in the initiator); REMOTE with "
		"other CPUs; BCAST broadcasts;\n  FULL whole address space asked (one ASID); WHOLE a "
		"range asked, flushed whole; PAGE one page; ASKED bytes asked, "
		"MEAN per ranged decision; TARGETS mean/max CPUs flushed;\n  NOTIFIER secondary-MMU "
		"invalidations (mmu_notifier_invalidation starts), NBYTES their range\n");
	n = agg_processes(r->agg, AGG_SORT_EVENTS, &v);
	out_table_init(&t, r->out, OUT_TABLE, NULL, cols, ARRAY_SIZE(cols));
	out_table_header(&t);
	for (int i = 0; i < n; i++) {
		const struct count_counts *c = &v[i]->total;
		uint64_t ranged = c->decisions - c->decision_full;
		double mt = lab_mean_targets(c);

		if (!c->decisions && !c->notifier_starts)
			continue;
		out_cell_int(&t, v[i]->pid);
		out_cell(&t, agg_task_comm(v[i], buf, sizeof(buf)));
		out_cell_u64(&t, c->decisions);
		out_cell_u64(&t, c->decision_remote);
		out_cell_u64(&t, c->decision_broadcast);
		out_cell_u64(&t, c->decision_full);
		out_cell_u64(&t, c->decision_promoted);
		out_cell_u64(&t, c->decision_page);
		human_bytes(c->decision_bytes, buf, sizeof(buf));
		out_cell(&t, buf);
		if (ranged) {
			human_bytes(c->decision_bytes / ranged, buf, sizeof(buf));
			out_cell(&t, buf);
		} else {
			out_cell(&t, "-");
		}
		if (isnan(mt))
			out_cell(&t, "-");
		else
			out_cellf(&t, "%.1f/%llu", mt, (unsigned long long)c->max_targets);
		out_cell_u64(&t, c->notifier_starts);
		human_bytes(c->notifier_bytes, buf, sizeof(buf));
		out_cell(&t, buf);
		out_row_end(&t);
	}
	free(v);
}

static void stdio_bursts(struct report *r)
{
	const struct agg_interval *iv;
	struct agg_burst_stats st;
	int n = agg_intervals(r->agg, &iv);
	char buf[32];

	agg_bursts(r->agg, &st);
	fprintf(r->out, "\nBursts (interval %.3f s: rate > median %.1f + %.1f x MAD %.1f = %.1f/s): %d of "
		"%d intervals\n", r->interval_s, st.median, st.k, st.mad, st.threshold, st.nr_bursts, n);
	for (int i = 0; i < n; i++) {
		if (!iv[i].burst)
			continue;
		fprintf(r->out, "  t=%.3f s %.1f/s:", interval_t(iv, i),
			per_iv(iv[i].events, &iv[i]));
		for (int k = 0; k < AGG_SERIES_TOP && iv[i].top[k].n; k++)
			fprintf(r->out, " %s(%d) %llu", comm_of(r, iv[i].top[k].pid, 0, buf, sizeof(buf)),
				iv[i].top[k].pid, (unsigned long long)iv[i].top[k].n);
		fprintf(r->out, "\n");
	}
}

static void print_stdio(struct report *r)
{
	static void (*const sections[])(struct report *r) = {
		stdio_header, stdio_histogram, stdio_chains, stdio_graph, stdio_processes, stdio_threads, stdio_reasons,
		stdio_cpus, stdio_victims, stdio_lab, print_handler, stdio_bursts,
	};

	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		sections[i](r);
}

/*
 * Closes a file named by -o or --series-csv and says whether everything reached it; standard
 * output is the dispatcher's to check (tlbstat.c).
 */
static int close_output(FILE *f, const char *path)
{
	char err[512];

	if (outfile_close(f, path, err, sizeof(err)) < 0) {
		tlb_err("report: %s", err);
		return -1;
	}
	return 0;
}

/* The chosen format on stdout (or -o's file), then --series-csv's file. */
static int report_write(struct report *r)
{
	char err[512];
	int rc = EXIT_OK;

	r->out = stdout;
	if (r->o.output) {
		r->out = outfile_fopen(r->o.output, err, sizeof(err));
		if (!r->out) {
			tlb_err("report: %s", err);
			return EXIT_FAIL;
		}
	}
	if (r->o.header || r->o.header_only)
		print_file_header(r);
	if (r->o.header_only)
		;
	else if (r->o.folded)
		print_folded(r);
	else if (r->o.json)
		print_json(r);
	else if (r->o.csv)
		print_series_csv(r, r->out);
	else
		print_stdio(r);
	if (r->out != stdout && close_output(r->out, r->o.output) < 0)
		rc = EXIT_FAIL;
	if (r->o.flamegraph && write_flamegraph(r) < 0)
		rc = EXIT_FAIL;
	if (r->o.html && write_html(r) < 0)
		rc = EXIT_FAIL;
	if (r->o.series_csv) {
		FILE *f = outfile_fopen(r->o.series_csv, err, sizeof(err));

		if (!f) {
			tlb_err("report: %s", err);
			return EXIT_FAIL;
		}
		print_series_csv(r, f);
		if (close_output(f, r->o.series_csv) < 0)
			rc = EXIT_FAIL;
	}
	return rc;
}

/* The sample filter from --pid, --tid, --comm, -C and --time: 0 or PARSE_OPT_USAGE. */
static int report_filter(struct report *r)
{
	static const char *const names[] = { "--pid", "--tid", "--comms", "-C", "--time" };
	int (*const set[])(struct filter *, const char *, char *, size_t) = {
		filter_set_pids, filter_set_tids, filter_set_comms, filter_set_cpus, filter_set_time,
	};
	const char *const vals[] = { r->o.pids, r->o.tids, r->o.comms, r->o.cpus, r->o.time };
	char err[256];

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (vals[i] && set[i](&r->filter, vals[i], err, sizeof(err)) < 0) {
			tlb_err("report: %s: %s", names[i], err);
			return PARSE_OPT_USAGE;
		}
	}
	return 0;
}

/*
 * -o and --series-csv must not name the recording (report reads it all, then writes: the file
 * would be lost) nor each other. true when they do (said).
 */
static bool outputs_clobber(const struct report_opts *o)
{
	const char *outs[] = { o->output, o->series_csv, o->html };
	const char *names[] = { "-o", "--series-csv", "--html" };

	for (int i = 0; i < 3; i++) {
		if (outfile_same(outs[i], o->input)) {
			tlb_err("report: %s %s is the input file: refusing to overwrite the recording",
				names[i], outs[i]);
			return true;
		}
	}
	if (o->output && o->series_csv && (!strcmp(o->output, o->series_csv) ||
					   outfile_same(o->output, o->series_csv))) {
		tlb_err("report: -o and --series-csv name the same file %s", o->output);
		return true;
	}
	for (int i = 0; o->html && i < 2; i++)
		if (outs[i] && (!strcmp(outs[i], o->html) || outfile_same(outs[i], o->html))) {
			tlb_err("report: %s and --html name the same file %s", names[i], o->html);
			return true;
		}
	return false;
}

/*
 * The options into r->o, *interval_ns and *keys (--sort's histogram keys), checked: 0, or a
 * parse_options() code (help, or a usage error already printed).
 */
static int report_options(int argc, char **argv, struct report *r, uint64_t *interval_ns,
			  int *keys)
{
	const struct option_def opts[] = {
		OPT_SECTION(" Input"),
		OPT_STR('i', "input", &r->o.input, "file",
			"perf.data file, FIFO or - (stdin) to read (default perf.data)"),
		OPT_SECTION(" Tables"),
		OPT_STR('s', "sort", &r->o.sort, "keys",
			"also count by these keys: pid,comm,reason,cpu,cgroup (any combination); or, from "
			"call chains (record -g), cause, callsite or srcline (the call site's file:line) "
			"alone"),
		OPT_INTEGER(0, "top", &r->o.top, "N", "rows per table (default 20; 0 = all)"),
		OPT_BOOLEAN('T', "threads", &r->o.threads, "per-thread table too"),
		OPT_DURATION(0, "interval", interval_ns, DUR_S, DUR_MS, DUR_D,
			     "time-series interval (default 1s; 500ms, 2m; 1ms to 1d)"),
		OPT_DBL(0, "burst-k", &r->o.burst_k, "k", "burst: rate > median + k x MAD (default 3)"),
		OPT_BOOLEAN('n', "show-nr-samples", &r->o.nr_samples,
			    "a SAMPLES column: events of every kind in each task's context"),
		OPT_SECTION(" Filters (perf report's)"),
		OPT_STR(0, "pid", &r->o.pids, "pids", "only events of these processes"),
		OPT_STR(0, "tid", &r->o.tids, "tids", "only events of these threads"),
		OPT_STR('c', "comms", &r->o.comms, "names", "only events of tasks with these names"),
		OPT_STR('C', "cpu", &r->o.cpus, "cpus", "only events on these CPUs (0-3,6)"),
		OPT_STR(0, "time", &r->o.time, "start,end",
			"only events in this window: seconds as perf script prints them, or +S after "
			"the first event; either side may be empty"),
		OPT_SECTION(" Output"),
		OPT_BOOLEAN(0, "header", &r->o.header, "the file's header first (stdio only)"),
		OPT_BOOLEAN(0, "header-only", &r->o.header_only, "only the file's header"),
		OPT_BOOLEAN_FLAG(0, "stdio", &r->o.stdio, "tables on stdout (the default)",
				 PARSE_OPT_EXCLUSIVE),
		OPT_BOOLEAN_FLAG(0, "csv", &r->o.csv, "the time series as CSV on stdout",
				 PARSE_OPT_EXCLUSIVE),
		OPT_BOOLEAN_FLAG(0, "json", &r->o.json, "one JSON object (Documentation/tlbstat-report.txt)",
				 PARSE_OPT_EXCLUSIVE),
		OPT_BOOLEAN('g', NULL, &r->o.graph,
			    "the call graph of the call chains per comm (callee order: the flush first)"),
		OPT_STR(0, "call-graph", &r->o.graph_order, "order",
			"the call graph in this order: callee (the flush first) or caller (as -g)"),
		OPT_BOOLEAN_FLAG(0, "folded", &r->o.folded,
				 "one line per unique call chain, root first, with its count (the "
				 "stackcollapse form flame-graph tools read; record -g)",
				 PARSE_OPT_EXCLUSIVE),
		OPT_BOOLEAN(0, "srcline", &r->o.srcline,
			    "call chains: each user frame's file:line where debug info has it"),
		OPT_BOOLEAN(0, "inline", &r->o.inline_,
			    "call chains: frames for functions inlined at an address (debug info) in "
			    "frame-pointer chains too (by default in --call-graph dwarf chains only, "
			    "as perf)"),
		OPT_BOOLEAN(0, "no-inline", &r->o.no_inline,
			    "call chains: no frames for functions inlined at an address"),
		OPT_STR(0, "series-csv", &r->o.series_csv, "file", "also write the time series CSV here"),
		OPT_STR(0, "flamegraph", &r->o.flamegraph, "file",
			"also write an interactive flame graph (SVG) of the call chains here"),
		OPT_STR('o', "output", &r->o.output, "file", "write the output to a file"),
		OPT_STR(0, "html", &r->o.html, "file",
			"also write a self-contained HTML report here (SVG charts; with the "
			"record --sample side file's series when there is one)"),
		OPT_FINISH(),
	};
	char err[512];
	int argi;

	r->o.top = 20;
	r->o.input = "perf.data";
	argi = parse_options(argc, argv, opts, report_usage, false);
	if (argi < 0)
		return argi;
	r->chain_key = -1;
	for (int k = CC_BY_CAUSE; r->o.sort && k <= CC_BY_SRCLINE; k++)
		if (!strcmp(r->o.sort, chain_key_name[k]))
			r->chain_key = k;
	if (r->o.sort && r->chain_key < 0) {
		if (strstr(r->o.sort, "cause") || strstr(r->o.sort, "callsite") ||
		    strstr(r->o.sort, "srcline")) {
			tlb_err("report: --sort: cause, callsite and srcline go alone, not with other "
				"keys");
			return PARSE_OPT_USAGE;
		}
		*keys = agg_parse_keys(r->o.sort, err, sizeof(err));
		if (*keys < 0) {
			tlb_err("report: --sort: %s", err);
			return PARSE_OPT_USAGE;
		}
	}
	if (outputs_clobber(&r->o))
		return PARSE_OPT_USAGE;
	if (r->o.top < 0) {
		tlb_err("report: --top must be >= 0");
		return PARSE_OPT_USAGE;
	}
	if (r->o.burst_k < 0) {
		tlb_err("report: --burst-k must be >= 0");
		return PARSE_OPT_USAGE;
	}
	if (r->o.header && (r->o.json || r->o.csv)) {
		tlb_err("report: --header goes with the tables (--stdio); --header-only prints it alone");
		return PARSE_OPT_USAGE;
	}
	if (r->o.json && r->o.top == 20 && !r->o.sort)
		r->o.top = 0;   /* JSON carries every process unless --top says otherwise */
	if (r->o.graph_order) {
		if (strcmp(r->o.graph_order, "caller") && strcmp(r->o.graph_order, "callee")) {
			tlb_err("report: --call-graph: caller or callee, not '%s'", r->o.graph_order);
			return PARSE_OPT_USAGE;
		}
		r->o.graph = true;
	}
	if (r->o.inline_ && r->o.no_inline) {
		tlb_err("report: --inline and --no-inline together");
		return PARSE_OPT_USAGE;
	}
	if (r->o.folded && (r->o.header || r->o.series_csv)) {
		tlb_err("report: --folded prints the stacks alone (no --header, --series-csv)");
		return PARSE_OPT_USAGE;
	}
	return report_filter(r);
}

/* Every event of the file through the filter into the model, then the facts: 0 or EXIT_FAIL. */
static int report_read(struct report *r)
{
	struct session_ops ops = {
		.event = on_event, .comm = on_comm, .fork = on_fork, .exit = on_exit_rec,
		.lost = on_lost, .round = on_round, .mmap = on_mmap,
		.cgroup = on_cgroup,
	};

	if (!r->usyms)
		ops.mmap = NULL;	/* no user symbols: the session need not copy each path */
	char err[512] = "";
	uint64_t first, last;

	if (session_run(r->s, &ops, r, NULL, NULL, err, sizeof(err))) {
		/* a source error, or a callback's: the model ran out of memory */
		tlb_err("report: %s: %s", r->o.input, err[0] ? err : "out of memory");
		return EXIT_FAIL;
	}
	if (session_errors_message(r->s, err, sizeof(err)))
		tlb_warn("report: %s: %s", r->o.input, err);
	count_names(r);
	report_span(r, &first, &last);
	agg_set_span(r->agg, first, last);
	if (agg_finish(r->agg) < 0) {
		tlb_err("report: %s: out of memory: the counts would be incomplete", r->o.input);
		return EXIT_FAIL;
	}
	compute_facts(r);
	if (agg_totals(r->agg)->series_dropped)
		tlb_warn("%llu events lie more than %d intervals (%.0f s) from the rest: counted, but "
			 "left out of the time series (a corrupt timestamp, or use a longer --interval)",
			 (unsigned long long)agg_totals(r->agg)->series_dropped, AGG_MAX_INTERVALS,
			 AGG_MAX_INTERVALS * r->interval_s);
	for (int i = 0; i < r->nr_names; i++) {
		char buf[64];
		if (!strcmp(event_key(r, r->names[i].attr, buf, sizeof(buf)), "csd_function_entry"))
			r->handler_recorded = true;
	}
	return 0;
}

/*
 * Wait for a stream's first bytes (or its writer's close) without blocking silently: when none
 * come within patience_ms, say so on stderr first. fd is non-blocking here and blocking on
 * return (the stream's end is its writer's close). 0, or -1 with err.
 */
static int wait_for_data(int fd, const char *what, int patience_ms, char *err, size_t errlen)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int n = poll(&p, 1, patience_ms);

	if (n == 0) {
		tlb_warn("report: waiting for %s", what);
		while ((n = poll(&p, 1, -1)) < 0 && errno == EINTR)
			;
	}
	if (n < 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		snprintf(err, errlen, "cannot wait for %s: %s", what, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * A FIFO as a stream. open() would block until a writer comes: open without waiting, then wait
 * for the writer's first bytes, saying so. The session owns the descriptor.
 */
static struct session *open_fifo(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	char what[300];

	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	snprintf(what, sizeof(what), "a writer on the FIFO %s", path);
	/* a FIFO without a writer is the usual mistake: say so soon */
	if (wait_for_data(fd, what, 200, err, errlen) < 0) {
		close(fd);
		return NULL;
	}
	return session_open_stream(fd, path, err, errlen);
}

/*
 * The input: a perf.data file (also in the pipe form), or a stream in perf's pipe form from a
 * FIFO, a pipe or "-" (standard input; a terminal is refused).
 */
static struct session *report_open(const char *input, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if (strcmp(input, "-")) {
		if (stat(input, &st) == 0 && S_ISFIFO(st.st_mode))
			return open_fifo(input, err, errlen);
		return session_open_file(input, err, errlen);
	}
	if (isatty(STDIN_FILENO)) {
		snprintf(err, errlen, "-: standard input is a terminal, not a perf.data stream "
			 "(perf record -o - ... | tlbstat report -i -)");
		return NULL;
	}
	if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode))
		return session_open_file("/dev/stdin", err, errlen);	/* < perf.data */
	/* a descriptor of our own: O_NONBLOCK while waiting must not touch the shared one */
	fd = open("/dev/stdin", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		/* not reopenable (a socket): read the shared one as it is, blocking */
		fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
		if (fd < 0) {
			snprintf(err, errlen, "-: %s", strerror(errno));
			return NULL;
		}
	} else if (wait_for_data(fd, "a perf.data stream on standard input", 2000, err,
				 errlen) < 0) {	/* perf record takes a while to start writing */
		close(fd);
		return NULL;
	}
	return session_open_stream(fd, "-", err, errlen);
}

/* --sort cgroup: the id -> path table; a file whose samples carry no cgroup id is said once. */
static void report_cgroups(struct report *r)
{
	bool sampled = false;

	r->cg = cgtab_new(0);
	if (!r->cg)
		tlb_die(EXIT_FAIL, "report: out of memory");
	for (int i = 0; r->rd && i < pd_nr_attrs(r->rd); i++)
		sampled |= !!(pd_attr(r->rd, i)->attr.sample_type & PERF_SAMPLE_CGROUP);
	if (!sampled)
		tlb_warn("report: --sort cgroup: %s has no cgroup ids (record with --all-cgroups): "
			 "every row is N/A", r->o.input);
}

int cmd_report(int argc, char **argv)
{
	struct report r;
	char err[512];
	int keys = 0, rc;
	uint64_t interval_ns = DUR_S;
	struct agg_config cfg = { 0 };

	memset(&r, 0, sizeof(r));
	rc = report_options(argc, argv, &r, &interval_ns, &keys);
	if (rc < 0) {
		filter_free(&r.filter);
		return parse_options_exit(rc);
	}
	r.interval_s = (double)interval_ns / 1e9;

	r.s = report_open(r.o.input, err, sizeof(err));
	if (!r.s) {
		tlb_err("report: %s", err);	/* the message names the file */
		filter_free(&r.filter);
		return EXIT_FAIL;
	}
	r.rd = session_reader(r.s);
	/* every tracepoint of the file appears in "events", with 0 when it never fired */
	for (int i = 0; r.rd && i < pd_nr_attrs(r.rd) && r.nr_names < MAX_NAMES; i++) {
		const struct perf_event_attr *a = &pd_attr(r.rd, i)->attr;

		if (a->type != PERF_TYPE_TRACEPOINT)
			continue;
		r.names[r.nr_names++].attr = pd_attr(r.rd, i);
		if (!a->freq && a->sample_period > r.sample_period)
			r.sample_period = a->sample_period;
	}
	if (r.sample_period > 1)
		tlb_warn("report: %s was recorded with -c %llu: every count is of samples, one per %llu "
			 "events; requests, pairing and health need every event", r.o.input,
			 (unsigned long long)r.sample_period, (unsigned long long)r.sample_period);
	cfg.interval_ns = interval_ns;
	cfg.page_size = session_tep(r.s) ? tep_get_page_size(session_tep(r.s)) : 4096;
	if (cfg.page_size <= 0)
		cfg.page_size = 4096;
	cfg.burst_k = r.o.burst_k;
	cfg.hist_keys = keys > 0 ? (unsigned)keys : 0;
	cfg.count_samples = r.o.nr_samples;
	r.page_size = cfg.page_size;
	if (keys > 0 && (keys & AGG_KEY_CGROUP))
		report_cgroups(&r);
	r.agg = agg_new(&cfg);
	if (!r.agg)
		tlb_err("report: out of memory");
	rc = !r.agg ? EXIT_FAIL : r.o.header_only ? 0 : chains_setup(&r);
	if (!rc && !r.o.header_only)
		rc = report_read(&r);
	if (!rc)
		rc = report_write(&r);
	cc_free(r.cc);
	unw_free(r.unw);
	srcl_free(r.srcl);
	free(r.dwarf_chain);
	usym_free(r.usyms);
	syms_free(r.ksyms);
	agg_free(r.agg);
	cgtab_free(r.cg);
	session_close(r.s);
	filter_free(&r.filter);
	return rc;
}
