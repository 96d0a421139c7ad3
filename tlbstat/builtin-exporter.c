// SPDX-License-Identifier: GPL-2.0
/*
 * tlbstat exporter: Prometheus metrics of TLB invalidation, per node and for the top K
 * processes. The record engine runs continuously (a live session over top's event set), top's
 * bounded model (topview.h, counting through count.h) aggregates each interval, expview.h turns
 * the intervals into series that Prometheus can trust, and the page is rendered once per
 * interval (prom.h). libmicrohttpd serves copies of that page from its own thread: a scrape
 * never touches the live counts, and a slow or hostile client never stalls the ring buffers.
 * Documentation/tlbstat-exporter.txt.
 */
#include "builtin.h"
#include "cause.h"
#include "cgroup.h"
#include "count.h"
#include "counter.h"
#include "event.h"
#include "events.h"
#include "evlist.h"
#include "expview.h"
#include "interrupts.h"
#include "parse-options.h"
#include "prom.h"
#include "session.h"
#include "symbols.h"
#include "topview.h"
#include "tracefs.h"
#include "transport.h"
#include "util.h"
#include "web.h"

#include <perf/evsel.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Outside 9100-9999, the Prometheus exporter range, which is fully allocated (see the manual). */
#define EXP_DEFAULT_LISTEN "127.0.0.1:19110"
/*
 * The longest the draining thread sleeps: the rings wake it at their watermark, a signal or the
 * interval's close (the session's tick_due) when due, so this only bounds a signal that lands
 * between the stop check and poll. Was 100 ms: ten wakeups a second of an idle exporter.
 */
#define EXP_WAKE_NS (1000 * 1000 * 1000ULL)
#define EXP_REQ_MARGIN_NS (100 * 1000 * 1000ULL)  /* a csd request's events still in flight */
#define EXP_MAX_PERIOD 1024          /* --cpu-budget: the most the sampling period rises to */

static const char *const exporter_usage[] = {
	"tlbstat exporter [--listen ADDR:PORT] [--top K] [--interval S] [--by pid|cgroup] [<options>]",
	NULL,
};

struct exporter {
	const char *listen, *user, *tls_cert, *tls_key, *auth_file, *by;
	struct cgtab *cg;            /* --by cgroup: ids -> paths */
	bool cause;                  /* --cause: kernel chains, invalidations by cause */
	struct syms *syms;           /* ... kallsyms as a table, for */
	struct cause_cache *causes;  /* ... the bounded cause cache (cause.h) */
	uint64_t by_cause[CAUSE_MAX_NAMES];   /* tlb_flush events by cause id, since the start */
	char *cert_pem, *key_pem;
	struct web_user *users;      /* --auth-file */
	int nr_users;
	int top_k, max_procs, mmap_pages;
	uint64_t interval_ns;
	/* --cpu-budget: own CPU per interval against it; above, tlb:tlb_flush sampled every Nth */
	double cpu_budget;           /* percent of one core; 0: off (every event, no counters) */
	struct tlb_evlist cel;       /* counting mode: the node's exact tlb_flush reasons */
	struct counter ctr;
	struct counter_snapshot cs_prev, cs_now;
	uint64_t period, cpu_prev_ns, period_raised;
	double cpu_ratio;            /* own CPU in the last interval, in cores */
	int flush_idx;               /* tlb:tlb_flush in el */
	struct tlb_evlist el;
	struct session *s;
	struct top_model *m;
	struct expv *x;
	struct web *web;             /* the page and its server (web.h) */
	/* transport, as top decides it */
	struct transport_sources tsrc;
	struct transport_info tinfo;
	struct intr_row tlb_start, tlb_now;
	/* self */
	uint64_t events, events_last, last_close_ns, next_close_ns, evicted;
	double events_rate;
	volatile bool stop;
};

static volatile bool *stop_flag;

static void on_signal(int sig)
{
	if (stop_flag)
		*stop_flag = true;
}

/* --tls-cert/--tls-key into memory, --auth-file into users: EXIT_OK or a code after a message. */
static int load_web_config(struct exporter *e)
{
	char *text, err[512];
	int rc;

	if (!e->tls_cert != !e->tls_key) {
		tlb_err("exporter: --tls-cert and --tls-key go together");
		return EXIT_USAGE;
	}
	if (e->tls_cert) {
		e->cert_pem = read_file(e->tls_cert, NULL);
		e->key_pem = e->cert_pem ? read_file(e->tls_key, NULL) : NULL;
		if (!e->cert_pem || !e->key_pem) {
			tlb_err("exporter: cannot read %s: %s", e->cert_pem ? e->tls_key : e->tls_cert,
				strerror(errno));
			return EXIT_USAGE;
		}
	}
	if (!e->auth_file)
		return EXIT_OK;
	text = read_file(e->auth_file, NULL);
	if (!text) {
		tlb_err("exporter: cannot read %s: %s", e->auth_file, strerror(errno));
		return EXIT_USAGE;
	}
	rc = web_parse_auth(text, e->auth_file, &e->users, &e->nr_users, err, sizeof(err));
	free(text);
	if (rc) {
		tlb_err("exporter: %s", err);
		return rc == -2 ? EXIT_FAIL : EXIT_USAGE;
	}
	return EXIT_OK;
}

/* ---------------- the page ---------------- */

static uint64_t rss_bytes(void)
{
	char *s = read_file("/proc/self/statm", NULL);
	unsigned long size = 0, rss = 0;

	if (s && sscanf(s, "%lu %lu", &size, &rss) != 2)
		rss = 0;
	free(s);
	return (uint64_t)rss * (uint64_t)getpagesize();
}

/*
 * --cause: invalidations by cause (lib/cause.c's names, at most CAUSE_MAX_NAMES values: a bounded
 * label), node-wide: per process it would multiply the series by the causes.
 */
static int write_causes(struct exporter *e, struct prom_buf *b)
{
	int rc = 0;

	if (!e->causes)
		return 0;
	rc |= prom_family(b, "tlb_node_invalidations_by_cause_total", PROM_COUNTER,
			  "TLB invalidations (tlb:tlb_flush) on this node by cause, from their kernel "
			  "call chains (tlbstat report --sort cause's names; Documentation/runbook.md)");
	for (int i = 0; i < CAUSE_MAX_NAMES; i++) {
		struct prom_label l = { "cause", cause_cache_name(e->causes, i) };

		if (e->by_cause[i])
			rc |= prom_sample_u64(b, "tlb_node_invalidations_by_cause_total", &l, 1,
					      e->by_cause[i]);
	}
	return rc;
}

static int write_self(struct exporter *e, struct prom_buf *b)
{
	struct rusage ru;
	double cpu = 0;
	struct top_node n;
	int rc = 0;

	top_model_node(e->m, &n);
	if (!getrusage(RUSAGE_SELF, &ru))
		cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
		      ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
	rc |= prom_family(b, "tlbstat_exporter_events_drained_total", PROM_COUNTER,
			  "Decoded events the exporter took from the ring buffers");
	rc |= prom_sample_u64(b, "tlbstat_exporter_events_drained_total", NULL, 0, e->events);
	rc |= prom_family(b, "tlbstat_exporter_events_drained_per_second", PROM_GAUGE,
			  "Decoded events per second over the last interval");
	rc |= prom_sample(b, "tlbstat_exporter_events_drained_per_second", NULL, 0, e->events_rate);
	rc |= prom_family(b, "tlbstat_exporter_tracked_processes", PROM_GAUGE,
			  "Processes in the bounded table (at most --max-procs)");
	rc |= prom_sample_u64(b, "tlbstat_exporter_tracked_processes", NULL, 0,
			      (uint64_t)n.nr_procs);
	rc |= prom_family(b, "tlbstat_exporter_evicted_total", PROM_COUNTER,
			  "Tasks dropped from the bounded tables for room (least recently active)");
	rc |= prom_sample_u64(b, "tlbstat_exporter_evicted_total", NULL, 0, n.evicted);
	rc |= prom_family(b, "tlbstat_exporter_scrapes_total", PROM_COUNTER,
			  "Requests for /metrics served");
	rc |= prom_sample_u64(b, "tlbstat_exporter_scrapes_total", NULL, 0, web_scrapes(e->web));
	rc |= prom_family(b, "tlbstat_exporter_scrape_duration_seconds", PROM_GAUGE,
			  "Time the last /metrics request took inside the exporter (as of the "
			  "last interval)");
	rc |= prom_sample(b, "tlbstat_exporter_scrape_duration_seconds", NULL, 0,
			  (double)web_scrape_ns_last(e->web) / 1e9);
	rc |= prom_family(b, "process_resident_memory_bytes", PROM_GAUGE,
			  "Resident memory of the exporter");
	rc |= prom_sample_u64(b, "process_resident_memory_bytes", NULL, 0, rss_bytes());
	rc |= prom_family(b, "process_cpu_seconds_total", PROM_COUNTER,
			  "User and system CPU time of the exporter");
	rc |= prom_sample(b, "process_cpu_seconds_total", NULL, 0, cpu);
	rc |= prom_family(b, "tlbstat_exporter_sample_period", PROM_GAUGE,
			  "tlb:tlb_flush events per sample: 1 is every event; doubled (up to 1024) "
			  "while the exporter's CPU is above its budget, halved again well under it. "
			  "Node totals stay exact (counting-mode counters); per-process and per-cgroup "
			  "counts are scaled to them");
	rc |= prom_sample_u64(b, "tlbstat_exporter_sample_period", NULL, 0, e->period);
	rc |= prom_family(b, "tlbstat_exporter_sample_period_raises_total", PROM_COUNTER,
			  "Times the sampling period was raised for the CPU budget");
	rc |= prom_sample_u64(b, "tlbstat_exporter_sample_period_raises_total", NULL, 0,
			      e->period_raised);
	rc |= prom_family(b, "tlbstat_exporter_cpu_budget_ratio", PROM_GAUGE,
			  "The exporter's CPU budget (--cpu-budget) in cores; 0: off");
	rc |= prom_sample(b, "tlbstat_exporter_cpu_budget_ratio", NULL, 0, e->cpu_budget / 100);
	rc |= prom_family(b, "tlbstat_exporter_cpu_usage_ratio", PROM_GAUGE,
			  "The exporter's own CPU over the last interval, in cores");
	rc |= prom_sample(b, "tlbstat_exporter_cpu_usage_ratio", NULL, 0, e->cpu_ratio);
	rc |= prom_family(b, "tlbstat_exporter_series", PROM_GAUGE,
			  "Samples on this page, this one included");
	rc |= prom_sample_u64(b, "tlbstat_exporter_series", NULL, 0, (uint64_t)b->series + 1);
	return rc ? -1 : 0;
}

/* Render the page and swap it in. -1: out of memory (the old page stays). */
static int publish(struct exporter *e)
{
	struct expv_info info = { transport_name(e->tinfo.transport),
				  transport_victims_observable(e->tinfo.transport) };
	struct prom_buf b;
	char *text;
	size_t len;

	prom_init(&b);
	if (expv_write(e->x, &info, &b) || write_causes(e, &b) || write_self(e, &b)) {
		prom_free(&b);
		return -1;
	}
	text = prom_take(&b, &len);
	web_publish(e->web, text, len, now_ns());
	return 0;
}

/* ---------------- session callbacks ---------------- */

static int on_event(void *ctx, const struct tlb_event *ev, const struct pd_attr *attr)
{
	struct exporter *e = ctx;

	e->events++;
	/* the model's csd grouper ends each request (on_request): one grouper for both */
	if (top_model_event(e->m, ev) < 0)
		return -1;
	if (e->causes && ev->kind == EV_TLB_FLUSH) {
		/* the comm names a kernel thread's cause (kthread:kcompactd); the model has it */
		const struct top_task *p = top_model_find_process(e->m, ev->pid);

		e->by_cause[cause_cache_of(e->causes, ev->callchain, ev->nr_callchain,
					   p ? p->comm : NULL)]++;
	}
	return 0;
}

/* A whole request, from the model: TLB flush requests make the fan-out histogram. */
static void on_request(void *ctx, const struct count_request *r)
{
	if (r->cls == TLB_FUNC_FLUSH)
		expv_request(((struct exporter *)ctx)->x, r->nr);
}

static int on_comm(void *ctx, pid_t pid, pid_t tid, const char *comm, uint64_t time)
{
	top_model_comm(((struct exporter *)ctx)->m, pid, tid, comm);
	return 0;
}

static int on_lost(void *ctx, uint64_t nr)
{
	top_model_lost(((struct exporter *)ctx)->m, nr);
	return 0;
}

static int on_cgroup(void *ctx, uint64_t id, const char *path)
{
	cgtab_add(((struct exporter *)ctx)->cg, id, path);	/* no memory: shown by id */
	return 0;
}

/* --by cgroup: a group row's labels (cgroup label, container, pod) */
struct cg_row {
	char label[EXPV_LABEL_MAX];
	struct cgroup_info ci;
	struct top_task *g;
};

static int cmp_cg_label(const void *a, const void *b)
{
	return strcmp(((const struct cg_row *)a)->label, ((const struct cg_row *)b)->label);
}

static int cmp_cg_events(const void *a, const void *b)
{
	const struct cg_row *x = a, *y = b;
	uint64_t ex = x->g->last.cnt.events, ey = y->g->last.cnt.events;

	return ex != ey ? (ex > ey ? -1 : 1) : strcmp(x->label, y->label);
}

/* count_counts is all uint64_t: sums field by field, except max_fanout, a maximum */
static void counts_add(struct count_counts *to, const struct count_counts *c)
{
	uint64_t *t = (uint64_t *)to, mx = to->max_fanout > c->max_fanout ? to->max_fanout :
					   c->max_fanout;
	const uint64_t *f = (const uint64_t *)c;

	for (size_t i = 0; i < sizeof(*c) / sizeof(uint64_t); i++)
		t[i] += f[i];
	to->max_fanout = mx;
}

/*
 * The interval's rows by cgroup: top's cgroup groups named by label, merged where two ids share
 * one (a cgroup removed and made again; two long paths with the same end), ranked by
 * invalidations. *groups and *cr are the caller's to free. The number of rows, or -1.
 */
static int cgroup_rows(struct exporter *e, struct expv_row **rows, struct top_task **groups,
		       struct cg_row **cr)
{
	struct top_task **v;
	int n = top_model_cgroup_rows(e->m, TOP_SORT_RATE, NULL, 0, 0, groups, &v), k = 0;

	free(v);
	*rows = NULL;
	*cr = n >= 0 ? calloc((size_t)n + 1, sizeof(**cr)) : NULL;
	if (!*cr)
		return -1;
	for (int i = 0; i < n; i++) {
		struct cg_row *c = &(*cr)[i];
		const char *name = cgtab_name(e->cg, (*groups)[i].cgroup);
		char idbuf[32];

		if (!strcmp(name, "unknown")) {	/* no path (yet): its id */
			snprintf(idbuf, sizeof(idbuf), "id:%llu",
				 (unsigned long long)(*groups)[i].cgroup);
			name = idbuf;
		}
		cgroup_label(name, c->label, sizeof(c->label));
		cgroup_parse(name, &c->ci);
		c->g = &(*groups)[i];
	}
	if (n)
		qsort(*cr, (size_t)n, sizeof(**cr), cmp_cg_label);
	for (int i = 0; i < n; i++) {
		if (k && !strcmp((*cr)[k - 1].label, (*cr)[i].label)) {
			counts_add(&(*cr)[k - 1].g->last.cnt, &(*cr)[i].g->last.cnt);
			continue;
		}
		(*cr)[k++] = (*cr)[i];
	}
	if (k)
		qsort(*cr, (size_t)k, sizeof(**cr), cmp_cg_events);
	*rows = calloc((size_t)k + 1, sizeof(**rows));
	if (!*rows)
		return -1;
	for (int i = 0; i < k; i++) {
		struct cg_row *c = &(*cr)[i];

		(*rows)[i] = (struct expv_row){ 0, NULL, &c->g->last.cnt, c->label, c->ci.container,
						c->ci.pod };
	}
	return k;
}

static void update_transport(struct exporter *e)
{
	struct transport_observation obs = { .valid = true };

	obs.remote_sends = e->x->node.remote_sends;
	obs.remote_shootdowns = e->x->node.victim_hits;
	if (e->tlb_start.present && interrupts_read_row(NULL, "TLB", &e->tlb_now) &&
	    e->tlb_now.present) {
		obs.tlb_interrupts = e->tlb_now.total - e->tlb_start.total;
		obs.tlb_interrupts_valid = true;
	}
	transport_detect_with(&e->tsrc, &obs, &e->tinfo);
}

/* The interval's rows by process: the top K by rate. *v is the caller's to free. Number, or -1. */
static int pid_rows(struct exporter *e, struct expv_row **rows, struct top_task ***v)
{
	int nr = top_model_rows(e->m, TOP_SORT_RATE, 0, NULL, 0, e->top_k, v);

	*rows = nr >= 0 ? calloc((size_t)nr + 1, sizeof(**rows)) : NULL;
	if (!*rows)
		return -1;
	for (int i = 0; i < nr; i++)
		(*rows)[i] = (struct expv_row){ (*v)[i]->pid, (*v)[i]->comm, &(*v)[i]->last.cnt };
	return nr;
}

/*
 * --cpu-budget: the node's tlb_flush counts of the interval from the counters (exact at any
 * sampling period, lost events or not), and each row's scaled to them (count_scale) into
 * *scaled (the caller's to free). A counter that cannot be read leaves the sampled counts.
 * 0, or -1 (out of memory).
 */
static int exact_counts(struct exporter *e, struct expv_row *rows, int nr,
			struct count_counts *node, struct count_counts **scaled)
{
	struct counter_period p = { 0 };
	uint64_t sampled[TLB_NR_REASONS];
	char err[256];

	if (counter_take(&e->ctr, &e->cs_now, err, sizeof(err)) < 0)
		return 0;
	if (!e->cs_prev.counts)         /* the first read failed: from this one on */
		return counter_copy(&e->ctr, &e->cs_prev, &e->cs_now);
	if (counter_diff(&e->ctr, &e->cs_prev, &e->cs_now, &p) < 0 ||
	    counter_copy(&e->ctr, &e->cs_prev, &e->cs_now) < 0 ||
	    !(*scaled = calloc((size_t)nr + 1, sizeof(**scaled)))) {
		counter_period_free(&p);
		return -1;
	}
	memcpy(sampled, node->reasons, sizeof(sampled));
	for (int i = 0; i < nr; i++) {
		(*scaled)[i] = *rows[i].c;
		count_scale(&(*scaled)[i], sampled, p.reasons);
		rows[i].c = &(*scaled)[i];
	}
	count_scale(node, sampled, p.reasons);
	for (int r = 0; r < TLB_NR_REASONS; r++) {  /* a reason no sample showed: the counter's */
		node->events += p.reasons[r] - node->reasons[r];
		node->reasons[r] = p.reasons[r];
	}
	node->remote_sends = p.reasons[TLB_REASON_REMOTE_SEND_IPI];
	node->victim_hits = p.reasons[TLB_REASON_REMOTE_SHOOTDOWN];
	counter_period_free(&p);
	return 0;
}

/*
 * --cpu-budget: own CPU over the interval against the budget. Above it, tlb:tlb_flush is sampled
 * every 2N-th event (up to EXP_MAX_PERIOD); under a quarter of it, every N/2-th again (the gap
 * keeps a halved cost from bouncing straight back).
 */
static void budget_check(struct exporter *e, double secs)
{
	struct timespec ts;
	uint64_t cpu, next = e->period;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) || secs <= 0)
		return;
	cpu = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	e->cpu_ratio = (double)(cpu - e->cpu_prev_ns) / 1e9 / secs;
	e->cpu_prev_ns = cpu;
	if (e->flush_idx < 0)
		return;
	if (e->cpu_ratio * 100 > e->cpu_budget && next < EXP_MAX_PERIOD)
		next *= 2;
	else if (e->cpu_ratio * 100 < e->cpu_budget / 4 && next > 1)
		next /= 2;
	if (next != e->period && !tlb_evlist_set_period(&e->el, e->flush_idx, next)) {
		e->period_raised += next > e->period;
		e->period = next;
	}
}

/* Close the interval: top's model, then the series, then the page. */
static int close_interval(struct exporter *e, uint64_t now, uint64_t sample_now)
{
	double secs = (double)(now - e->last_close_ns) / 1e9;
	struct top_task **v = NULL, *groups = NULL;
	struct cg_row *cr = NULL;
	struct count_counts node, *scaled = NULL;
	struct expv_row *rows = NULL;
	struct top_node n;
	int nr;

	/* csd requests whose window ended (with a margin: events still in flight) */
	if (sample_now > EXP_REQ_MARGIN_NS)
		top_model_expire_requests(e->m, sample_now - EXP_REQ_MARGIN_NS);
	top_model_close(e->m, secs);
	top_model_node(e->m, &n);
	node = n.c.cnt;
	nr = e->cg ? cgroup_rows(e, &rows, &groups, &cr) : pid_rows(e, &rows, &v);
	if (nr >= 0 && e->cpu_budget > 0 && exact_counts(e, rows, nr, &node, &scaled) < 0)
		nr = -1;
	if (nr >= 0)
		expv_interval(e->x, rows, nr, &node, n.lost, secs, web_page_seen(e->web, now));
	free(rows);
	free(groups);
	free(cr);
	free(v);
	free(scaled);
	if (nr < 0)
		return -1;
	if (e->cpu_budget > 0)
		budget_check(e, secs);
	e->events_rate = secs > 0 ? (double)(e->events - e->events_last) / secs : 0;
	e->events_last = e->events;
	e->last_close_ns = now;
	update_transport(e);
	return publish(e);
}

static int on_tick(void *ctx, uint64_t sample_now)
{
	struct exporter *e = ctx;
	uint64_t now = now_ns();

	if (e->stop || now < e->next_close_ns)
		return 0;
	e->next_close_ns += e->interval_ns;
	if (e->next_close_ns <= now)
		e->next_close_ns = now + e->interval_ns;
	return close_interval(e, now, sample_now);
}

/* The session's next tick: the interval's close, not up to a tick_ns after it. */
static uint64_t tick_due(void *ctx)
{
	return ((struct exporter *)ctx)->next_close_ns;
}

/* ---------------- set-up ---------------- */

/*
 * top's event set (events.c: TLB_EVU_TOP rows), sampled every hit, woken at half a ring: a
 * wakeup (poll, a drain) costs about 45 us on a PVM guest, and a quarter ring made it 0.82-0.92
 * of the CPU at 32-35k events/s with no lost events either way (benchmarks.md, 2026-12-03). The
 * other half (256 KiB a CPU at the default 128 pages, about 2,600 samples) is the slack for a
 * reader woken late; -m raises it.
 */
static int add_events(struct exporter *e, int pages)
{
	struct perf_event_attr attr;

	tlb_attr_sampling(&attr, 0);
	attr.wakeup_events = 0;
	attr.watermark = 1;
	attr.wakeup_watermark = (uint32_t)((size_t)pages * (size_t)getpagesize() / 2);
	if (e->cg)	/* --by cgroup: each sample's cgroup id */
		attr.sample_type |= PERF_SAMPLE_CGROUP;
	if (e->causes)	/* --cause: kernel chains only */
		cause_live_setup(&attr);
	/* top's set: the same events feed the same model */
	if (tlb_events_add_live_set(&e->el, &attr) < 0)
		return EXIT_ENV;
	if (e->cg) {	/* the kernel's PERF_RECORD_CGROUP for cgroups made from now on */
		struct perf_event_attr *a0 = perf_evsel__attr(e->el.evsels[0].evsel);

		a0->cgroup = 1;
		e->el.evsels[0].attr = *a0;
	}
	return EXIT_OK;
}

/*
 * --user: after the perf events are open and mapped (their fds keep working), become NAME:
 * supplementary groups, gid, then uid, and check that root cannot be regained.
 */
static int drop_privileges(const char *name, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(name);

	if (!pw) {
		snprintf(err, errlen, "exporter: --user: no user '%s'", name);
		return EXIT_USAGE;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) || setgid(pw->pw_gid) || setuid(pw->pw_uid)) {
		snprintf(err, errlen, "exporter: --user %s: %s", name, strerror(errno));
		return EXIT_ENV;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		snprintf(err, errlen, "exporter: --user %s: root could be regained", name);
		return EXIT_ENV;
	}
	return EXIT_OK;
}

static int exporter_options(int argc, char **argv, struct exporter *e)
{
	const struct option_def opts[] = {
		OPT_STR('l', "listen", &e->listen, "addr:port", "serve on this address (default "
			EXP_DEFAULT_LISTEN "; :PORT or 0.0.0.0:PORT for every address)"),
		OPT_INTEGER('k', "top", &e->top_k, "K", "per-process series for the K processes "
			    "with the highest recent rate (default 20, 1 to 1000); the rest: other"),
		OPT_DURATION('i', "interval", &e->interval_ns, DUR_S, DUR_S, DUR_H,
			     "aggregate and re-render the page every <secs> (default 5; 1s to 1h)"),
		OPT_STR(0, "by", &e->by, "pid|cgroup", "series per process (default) or per cgroup "
			"(cgroup, container and pod labels; the same top K + other)"),
		OPT_BOOLEAN(0, "cause", &e->cause, "also tlb_node_invalidations_by_cause_total "
			    "(kernel call chains on every event: costs CPU, off by default)"),
		OPT_DBL(0, "cpu-budget", &e->cpu_budget, "pct", "own CPU allowed, in percent of one "
			"core (default 2; 0: off): above it tlb:tlb_flush is sampled every Nth event, "
			"N doubling up to 1024, and node totals come from counters"),
		OPT_INTEGER(0, "max-procs", &e->max_procs, "N", "processes tracked at most (default "
			    "4096; least recently active dropped first)"),
		OPT_POW2('m', "mmap-pages", &e->mmap_pages, "pages", "ring buffer pages per CPU "
			 "(power of two; default 128)"),
		OPT_STR('u', "user", &e->user, "name", "become this user once the perf events are "
			"open (needs root or CAP_SETUID/CAP_SETGID)"),
		OPT_SECTION(" Web"),
		OPT_STR(0, "tls-cert", &e->tls_cert, "file", "serve HTTPS with this PEM certificate "
			"(with --tls-key)"),
		OPT_STR(0, "tls-key", &e->tls_key, "file", "... and this PEM private key"),
		OPT_STR(0, "auth-file", &e->auth_file, "file", "require basic auth: 'user:$hash' "
			"lines, crypt(3) hashes ('openssl passwd -6')"),
		OPT_FINISH(),
	};
	int argi = parse_options(argc, argv, opts, exporter_usage, false);

	if (argi < 0)
		return argi;
	if (e->top_k < 1 || e->top_k > 1000) {
		tlb_err("exporter: --top must be 1 to 1000 (got %d)", e->top_k);
		return PARSE_OPT_USAGE;
	}
	if (!(e->cpu_budget >= 0 && e->cpu_budget <= 10000)) {
		tlb_err("exporter: --cpu-budget must be 0 (off) to 10000 percent (got %g)",
			e->cpu_budget);
		return PARSE_OPT_USAGE;
	}
	if (e->max_procs < 0) {
		tlb_err("exporter: --max-procs must not be negative");
		return PARSE_OPT_USAGE;
	}
	if (e->by && strcmp(e->by, "pid") && strcmp(e->by, "cgroup")) {
		tlb_err("exporter: --by: pid or cgroup, not '%s'", e->by);
		return PARSE_OPT_USAGE;
	}
	if (e->user && !getpwnam(e->user)) {    /* before anything is opened */
		tlb_err("exporter: --user: no user '%s'", e->user);
		return PARSE_OPT_USAGE;
	}
	if (load_web_config(e) != EXIT_OK)      /* read as the starting user, before --user */
		return PARSE_OPT_USAGE;
	return 0;
}

static int add_cgroup(void *ctx, uint64_t id, const char *path)
{
	cgtab_add(ctx, id, path);	/* no memory: shown by id */
	return 0;
}

/* --by cgroup: the cgroups there are now (later ones come in the kernel's records). */
static int exporter_cgroups(struct exporter *e)
{
	char mnt[4096], err[512];

	e->cg = cgtab_new(0);
	if (!e->cg) {
		tlb_err("exporter: out of memory");
		return EXIT_FAIL;
	}
	if (cgroup_mount(NULL, mnt, sizeof(mnt), err, sizeof(err)) < 0 ||
	    cgroup_walk(mnt, add_cgroup, e->cg, err, sizeof(err)) < 0) {
		tlb_err("exporter: --by cgroup: %s", err);
		return EXIT_ENV;
	}
	return EXIT_OK;
}

/* --cpu-budget: the reason counters, system wide (counter.h, as stat counts). */
static int open_counters(struct exporter *e, const struct tlb_target *target)
{
	char err[256];

	tlb_evlist_init(&e->cel);
	if (counter_add_reasons(&e->ctr, &e->cel, err, sizeof(err)) < 0) {
		tlb_err("exporter: --cpu-budget: %s (--cpu-budget 0 runs without counters)", err);
		return EXIT_ENV;
	}
	if (tlb_evlist_set_target(&e->cel, target) < 0 || tlb_evlist_open(&e->cel) < 0)
		return EXIT_ENV;
	return EXIT_OK;
}

/* Events, model, series, first page: EXIT_OK or an exit code after a message. */
static int exporter_open(struct exporter *e)
{
	struct top_config cfg = { 0 };
	int pages = e->mmap_pages ? e->mmap_pages : 128, rc;
	struct tlb_target target = { .system_wide = true };
	char err[256];

	if (e->by && !strcmp(e->by, "cgroup") && (rc = exporter_cgroups(e)) != EXIT_OK)
		return rc;
	if (e->cause && !(e->causes = cause_cache_open_live(&e->syms, 4096, err, sizeof(err)))) {
		tlb_err("exporter: --cause: %s", err);
		return strstr(err, "memory") ? EXIT_FAIL : EXIT_ENV;
	}
	tlb_evlist_init(&e->el);
	rc = add_events(e, pages);
	if (rc != EXIT_OK)
		return rc;
	e->flush_idx = tlb_evlist_find(&e->el, "tlb:tlb_flush");
	if (e->cpu_budget > 0 && (rc = open_counters(e, &target)) != EXIT_OK)
		return rc;
	if (tlb_evlist_set_target(&e->el, &target) < 0)
		return EXIT_USAGE;
	if (tlb_evlist_open(&e->el) < 0)
		return EXIT_ENV;
	if (tlb_evlist_mmap(&e->el, pages) < 0)
		return EXIT_ENV;
	cfg.page_size = getpagesize();
	cfg.nr_cpus = e->el.nr_cpus;
	cfg.max_procs = e->max_procs;
	cfg.max_threads = e->max_procs ? 4 * e->max_procs : 0;
	cfg.read_proc_comm = true;
	cfg.request_done = on_request;
	cfg.request_ctx = e;
	e->m = top_model_new(&cfg);
	e->x = expv_new_by(e->top_k, e->el.nr_cpus, getpagesize(),
			   e->cg ? EXPV_BY_CGROUP : EXPV_BY_PID);
	e->web = web_new(e->users, e->nr_users);
	if (!e->m || !e->x || !e->web) {
		tlb_err("exporter: out of memory");
		return EXIT_FAIL;
	}
	interrupts_read_row(NULL, "TLB", &e->tlb_start);
	transport_detect_with(&e->tsrc, NULL, &e->tinfo);   /* reads the kernel log: as root */
	if (publish(e)) {
		tlb_err("exporter: out of memory");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static void exporter_close(struct exporter *e)
{
	web_free(e->web);
	if (e->s)
		session_close(e->s);
	tlb_evlist_close(&e->el);
	tlb_evlist_close(&e->cel);
	counter_snapshot_free(&e->cs_prev);
	counter_snapshot_free(&e->cs_now);
	top_model_free(e->m);
	cause_cache_free(e->causes);
	syms_free(e->syms);
	cgtab_free(e->cg);
	expv_free(e->x);
	transport_sources_free(&e->tsrc);
	free(e->cert_pem);
	free(e->key_pem);
	free(e->users);
}

/* Listen, open, drop privileges, serve: the exit code up to the loop. */
static int exporter_start(struct exporter *e, char *err, size_t errlen)
{
	int fd, rc;

	fd = web_listen(e->listen, err, errlen);
	if (fd < 0) {
		tlb_err("exporter: %s", err);
		return fd == -2 ? EXIT_USAGE : EXIT_ENV;
	}
	rc = exporter_open(e);
	if (rc != EXIT_OK) {
		close(fd);
		return rc;
	}
	e->s = session_open_live(&e->el, e->syms, err, errlen);
	if (!e->s) {
		close(fd);
		tlb_err("exporter: %s", err);
		return EXIT_FAIL;
	}
	if (e->user && (rc = drop_privileges(e->user, err, errlen)) != EXIT_OK) {
		close(fd);
		tlb_err("%s", err);
		return rc;
	}
	if (web_start(e->web, fd, e->cert_pem, e->key_pem)) {
		close(fd);
		tlb_err("exporter: cannot start the HTTP server on %s", e->listen);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int cmd_exporter(int argc, char **argv)
{
	static struct exporter e;
	struct session_ops ops = { .event = on_event, .comm = on_comm, .lost = on_lost,
				   .tick = on_tick, .tick_ns = EXP_WAKE_NS,
				   .tick_due = tick_due };
	struct sigaction sa = { .sa_handler = on_signal };
	char err[512];
	int rc, argi;

	memset(&e, 0, sizeof(e));
	e.listen = EXP_DEFAULT_LISTEN;
	e.top_k = 20;
	e.interval_ns = 5 * DUR_S;
	e.cpu_budget = 2;
	e.period = 1;
	argi = exporter_options(argc, argv, &e);
	if (argi < 0) {
		free(e.cert_pem);
		free(e.key_pem);
		free(e.users);
		return parse_options_exit(argi);
	}
	if (web_load_error(e.nr_users > 0)) {	/* dlopen: before any event is opened */
		tlb_err("exporter: %s", web_load_error(e.nr_users > 0));
		free(e.cert_pem);
		free(e.key_pem);
		free(e.users);
		return EXIT_ENV;
	}
	/* SIGPIPE: a client that goes away mid-response must not end the exporter */
	signal(SIGPIPE, SIG_IGN);
	rc = exporter_start(&e, err, sizeof(err));
	if (rc != EXIT_OK) {
		exporter_close(&e);
		return rc;
	}
	stop_flag = &e.stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	e.last_close_ns = now_ns();
	e.next_close_ns = e.last_close_ns + e.interval_ns;
	tlb_evlist_enable(&e.el);
	if (e.cpu_budget > 0) {
		struct timespec ts;

		tlb_evlist_enable(&e.cel);
		if (counter_take(&e.ctr, &e.cs_prev, err, sizeof(err)) < 0)
			tlb_err("exporter: --cpu-budget: %s", err);
		if (!clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts))
			e.cpu_prev_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	}
	err[0] = 0;
	if (e.cg)
		ops.cgroup = on_cgroup;
	rc = session_run(e.s, &ops, &e, &e.stop, NULL, err, sizeof(err));
	tlb_evlist_disable(&e.el);
	if (e.cpu_budget > 0)
		tlb_evlist_disable(&e.cel);
	if (rc)
		tlb_err("exporter: %s", err[0] ? err : "out of memory");
	exporter_close(&e);
	stop_flag = NULL;
	return rc ? EXIT_FAIL : EXIT_OK;
}
