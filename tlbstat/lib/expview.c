// SPDX-License-Identifier: GPL-2.0
/* The exporter's series: top K + other over interval counts, and their metrics (expview.h). */
#include "expview.h"
#include "reason.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NR_FIELDS (sizeof(struct count_counts) / sizeof(uint64_t))

/* count_counts is all uint64_t: sums field by field, except max_fanout, which is a maximum. */
static void counts_add(struct count_counts *to, const struct count_counts *c)
{
	uint64_t *t = (uint64_t *)to;
	const uint64_t *f = (const uint64_t *)c;
	uint64_t mx = to->max_fanout > c->max_fanout ? to->max_fanout : c->max_fanout;

	for (size_t i = 0; i < NR_FIELDS; i++)
		t[i] += f[i];
	to->max_fanout = mx;
}

/* a - b, clamped at 0 per field (b is a subset of a's events; clamping only guards a bug). */
static void counts_sub(struct count_counts *a, const struct count_counts *b)
{
	uint64_t *t = (uint64_t *)a;
	const uint64_t *f = (const uint64_t *)b;
	uint64_t mx = a->max_fanout;

	for (size_t i = 0; i < NR_FIELDS; i++)
		t[i] = t[i] > f[i] ? t[i] - f[i] : 0;
	a->max_fanout = mx;
}

struct expv *expv_new(int top_k, int nr_cpus, int page_size)
{
	return expv_new_by(top_k, nr_cpus, page_size, EXPV_BY_PID);
}

struct expv *expv_new_by(int top_k, int nr_cpus, int page_size, enum expv_by by)
{
	struct expv *x;

	if (top_k < 1)
		return NULL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->series = calloc((size_t)top_k, sizeof(*x->series));
	x->spare = calloc((size_t)top_k, sizeof(*x->spare));
	x->cand = calloc((size_t)top_k, sizeof(*x->cand));
	x->cand_next = calloc((size_t)top_k, sizeof(*x->cand_next));
	x->entrants = calloc((size_t)top_k, sizeof(*x->entrants));
	if (!x->series || !x->spare || !x->cand || !x->cand_next || !x->entrants) {
		expv_free(x);
		return NULL;
	}
	x->top_k = top_k;
	x->by = by;
	snprintf(x->other.cgroup, sizeof(x->other.cgroup), "other");
	x->nr_cpus = nr_cpus < 1 ? 1 : nr_cpus;
	x->page_size = page_size > 0 ? page_size : 4096;
	snprintf(x->other.comm, sizeof(x->other.comm), "other");
	x->node_r = count_rate_of(0, 0, x->nr_cpus);
	x->node_health = HEALTH_INSUFFICIENT;
	x->other.r = x->node_r;
	x->other.health = HEALTH_INSUFFICIENT;
	return x;
}

void expv_free(struct expv *x)
{
	if (!x)
		return;
	free(x->series);
	free(x->spare);
	free(x->cand);
	free(x->cand_next);
	free(x->entrants);
	free(x);
}

/* A row's key: its pid, or (by cgroup) a hash of its label (FNV-1a). */
static uint64_t row_key(const struct expv *x, const struct expv_row *r)
{
	uint64_t h = 1469598103934665603ULL;

	if (x->by == EXPV_BY_PID)
		return (uint64_t)(uint32_t)r->pid;
	for (const char *p = r->cgroup ? r->cgroup : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

/* Is s the series of (key, comm, cgroup)? */
static bool same(const struct expv *x, const struct expv_series *s, uint64_t key,
		 const char *comm, const char *cgroup)
{
	if (s->key != key)
		return false;
	return x->by == EXPV_BY_PID ? !strcmp(s->comm, comm) : !strcmp(s->cgroup, cgroup);
}

static const char *row_comm(const struct expv_row *r)
{
	return r->comm && r->comm[0] ? r->comm : "?";
}

static const char *row_cgroup(const struct expv_row *r)
{
	return r->cgroup ? r->cgroup : "";
}

static const struct expv_series *find(const struct expv *x, const struct expv_row *r)
{
	uint64_t key = row_key(x, r);

	for (int i = 0; i < x->nr; i++)
		if (same(x, &x->series[i], key, row_comm(r), row_cgroup(r)))
			return &x->series[i];
	return NULL;
}

static bool was_candidate(const struct expv *x, uint64_t key)
{
	for (int i = 0; i < x->nr_cand; i++)
		if (x->cand[i] == key)
			return true;
	return false;
}

/* The score a health state exports: 0, 1, 2; no verdict is NaN (Prometheus's missing value). */
static double health_score(enum tlb_health h)
{
	return h == HEALTH_INSUFFICIENT ? NAN : (double)h;
}

/* n invalidations in the interval; health of its reasons by the one definition (count.h) */
static void set_rate(struct expv *x, struct expv_series *s, uint64_t n,
		     const uint64_t reasons[TLB_NR_REASONS], double secs)
{
	s->r = count_rate_of(n, secs, x->nr_cpus);
	s->rate = s->r.known ? s->r.rate : 0;
	s->health = count_health_of(reasons, secs, x->nr_cpus).health;
}

/* A series for row r: a staying one takes its interval, a new one starts at 0 (fresh). */
static void take_row(struct expv *x, struct expv_series *s, const struct expv_series *old,
		     const struct expv_row *r, bool page_seen, struct count_counts *rest,
		     uint64_t *rest_events, double secs)
{
	memset(s, 0, sizeof(*s));
	s->pid = r->pid;
	s->key = row_key(x, r);
	snprintf(s->comm, sizeof(s->comm), "%s", row_comm(r));
	if (x->by == EXPV_BY_CGROUP) {
		snprintf(s->cgroup, sizeof(s->cgroup), "%s", row_cgroup(r));
		snprintf(s->container, sizeof(s->container), "%s", r->container ? r->container : "");
		snprintf(s->pod, sizeof(s->pod), "%s", r->pod ? r->pod : "");
	}
	s->fresh = !old || (old->fresh && !page_seen);
	if (!s->fresh) {
		s->total = old->total;
		counts_add(&s->total, r->c);
		counts_sub(rest, r->c);
	}
	set_rate(x, s, r->c->events, r->c->reasons, secs);
	*rest_events -= r->c->events < *rest_events ? r->c->events : *rest_events;
}

static bool in_set(const struct expv *x, const struct expv_series *v, int n,
		   const struct expv_series *s)
{
	for (int i = 0; i < n; i++)
		if (same(x, &v[i], s->key, s->comm, s->cgroup))
			return true;
	return false;
}

void expv_interval(struct expv *x, const struct expv_row *rows, int nr,
		   const struct count_counts *node, uint64_t lost, double secs, bool page_seen)
{
	struct count_counts rest = *node;        /* what other's counters get */
	uint64_t rest_events = node->events;     /* what other's rate shows */
	int *entrants = x->entrants;
	int n = 0, nc = 0, ne = 0, top = nr < x->top_k ? nr : x->top_k;
	struct expv_series *tmp;
	uint64_t *ptmp;

	/* staying series; entrants (in the top K twice) wait for the room leavers leave */
	for (int i = 0; i < top && rows[i].c->events; i++) {
		const struct expv_series *old = find(x, &rows[i]);

		if (old)
			take_row(x, &x->spare[n++], old, &rows[i], page_seen, &rest, &rest_events,
				 secs);
		else if (was_candidate(x, row_key(x, &rows[i])))
			entrants[ne++] = i;
		else
			x->cand_next[nc++] = row_key(x, &rows[i]);   /* first interval in the top K */
	}
	/*
	 * A leaver stays, frozen (its counts go to other), for EXPV_LINGER intervals and until a
	 * scrape saw its last value: a scraper that never sees a counter's last value misses its
	 * last increase, and rate() over a window where a series has one sample counts nothing of
	 * it; flat samples after the last increase give both their due.
	 */
	for (int i = 0; i < x->nr; i++) {
		const struct expv_series *old = &x->series[i];
		struct expv_series *s;

		if (old->fresh || in_set(x, x->spare, n, old))
			continue;
		if (old->linger == 1 && page_seen)
			continue;       /* gone */
		s = &x->spare[n++];
		*s = *old;
		s->rate = 0;
		s->r = count_rate_of(0, secs, x->nr_cpus);
		s->health = HEALTH_INSUFFICIENT;	/* frozen: no verdict on an interval it is not in */
		s->linger = old->linger ? old->linger - (old->linger > 1) : EXPV_LINGER;
	}
	for (int k = 0; k < ne; k++) {
		const struct expv_row *r = &rows[entrants[k]];

		if (n < x->top_k)
			take_row(x, &x->spare[n++], NULL, r, page_seen, &rest, &rest_events, secs);
		else
			x->cand_next[nc++] = row_key(x, r);  /* no room yet: next interval */
	}
	ptmp = x->cand;
	x->cand = x->cand_next;
	x->cand_next = ptmp;
	x->nr_cand = nc;
	tmp = x->series;
	x->series = x->spare;
	x->spare = tmp;
	x->nr = n;
	counts_add(&x->other.total, &rest);
	set_rate(x, &x->other, rest_events, rest.reasons, secs);
	counts_add(&x->node, node);
	x->node_r = count_rate_of(node->events, secs, x->nr_cpus);
	x->node_health = count_health_of(node->reasons, secs, x->nr_cpus).health;
	x->lost += lost;
	x->secs = secs;
	x->intervals++;
}

void expv_request(struct expv *x, int nr)
{
	int i = 0;

	if (nr <= 0)
		return;
	while (i < EXPV_FANOUT_BOUNDS && nr > (1 << i))
		i++;
	x->fan[i]++;
	x->fan_sum += nr;
}

/* ---------------- metrics ---------------- */

struct wr {
	const struct expv *x;
	struct prom_buf *b;
	int rc;
};

static void fam(struct wr *w, const char *name, enum prom_type t, const char *help)
{
	if (prom_family(w->b, name, t, help))
		w->rc = -1;
}

static void u64(struct wr *w, const char *name, const struct prom_label *l, int nl, uint64_t v)
{
	if (prom_sample_u64(w->b, name, l, nl, v))
		w->rc = -1;
}

static void dbl(struct wr *w, const char *name, const struct prom_label *l, int nl, double v)
{
	if (prom_sample(w->b, name, l, nl, v))
		w->rc = -1;
}

enum sval { SV_EVENTS, SV_BYTES, SV_REMOTE, SV_RATE, SV_HEALTH };

/* One family over the live series and other. */
static void per_series(struct wr *w, const char *name, enum prom_type t, const char *help,
		       enum sval what)
{
	const struct expv *x = w->x;

	fam(w, name, t, help);
	for (int i = 0; i <= x->nr; i++) {
		const struct expv_series *s = i < x->nr ? &x->series[i] : &x->other;
		char pid[16];
		struct prom_label l[3] = { { "pid", pid }, { "comm", s->comm } };
		int nl = 2;

		if (s->pid)
			snprintf(pid, sizeof(pid), "%d", (int)s->pid);
		else
			snprintf(pid, sizeof(pid), "other");
		if (x->by == EXPV_BY_CGROUP) {	/* cgroup, then container and pod where known */
			nl = 0;
			l[nl++] = (struct prom_label){ "cgroup", s->cgroup };
			if (s->container[0])
				l[nl++] = (struct prom_label){ "container", s->container };
			if (s->pod[0])
				l[nl++] = (struct prom_label){ "pod", s->pod };
		}
		switch (what) {
		case SV_EVENTS: u64(w, name, l, nl, s->total.events); break;
		case SV_BYTES: u64(w, name, l, nl, s->total.pages * (uint64_t)x->page_size); break;
		case SV_REMOTE: u64(w, name, l, nl, s->total.remote_sends); break;
		case SV_RATE: dbl(w, name, l, nl, s->rate); break;
		case SV_HEALTH: dbl(w, name, l, nl, health_score(s->health)); break;
		}
	}
}

/* The per-series families, by process or (--by cgroup, labelled by cgroup, container, pod) by
 * cgroup: one list, the unit named in each HELP */
static void write_processes(struct wr *w)
{
	bool cg = w->x->by == EXPV_BY_CGROUP;
	const char *by = cg ? "cgroup" : "process";
	char help[320];

	snprintf(help, sizeof(help), "TLB invalidations (tlb:tlb_flush events, every reason) by %s: "
		 "the top K by recent rate, the rest in %s=\"other\"; scaled to the node's exact counts "
		 "while sampled (tlbstat_exporter_sample_period above 1)", by, cg ? "cgroup" : "pid");
	per_series(w, "tlb_invalidations_total", PROM_COUNTER, help, SV_EVENTS);
	snprintf(help, sizeof(help), "Bytes of ranged TLB flushes (pages x page size; remote sends "
		 "and full flushes excluded) by %s", by);
	per_series(w, "tlb_bytes_invalidated_total", PROM_COUNTER, help, SV_BYTES);
	snprintf(help, sizeof(help), "Flushes that needed other CPUs (reason remote_ipi_send) by %s",
		 by);
	per_series(w, "tlb_remote_sends_total", PROM_COUNTER, help, SV_REMOTE);
	snprintf(help, sizeof(help), "TLB invalidations per second by %s over the last exporter "
		 "interval", by);
	per_series(w, "tlb_invalidation_rate", PROM_GAUGE, help, SV_RATE);
	snprintf(help, sizeof(help), "Health of the %s's address-space flushes (reasons 2 and 3) per "
		 "core: 0 green (< 200/s/core), 1 yellow (< 2000/s/core), 2 red, NaN too short an "
		 "interval for a verdict", by);
	per_series(w, "tlb_health_score", PROM_GAUGE, help, SV_HEALTH);
}

static void write_node_counts(struct wr *w)
{
	const struct count_counts *c = &w->x->node;

	fam(w, "tlb_node_invalidations_total", PROM_COUNTER, "TLB invalidations on this node "
	    "by flush reason (tlb:tlb_flush)");
	for (int r = 0; r < TLB_NR_REASONS; r++) {
		struct prom_label l = { "reason", tlb_reason_key(r) };

		u64(w, "tlb_node_invalidations_total", &l, 1, c->reasons[r]);
	}
	fam(w, "tlb_node_bytes_invalidated_total", PROM_COUNTER, "Bytes of ranged TLB flushes on "
	    "this node (remote sends excluded)");
	u64(w, "tlb_node_bytes_invalidated_total", NULL, 0, c->pages * (uint64_t)w->x->page_size);
	fam(w, "tlb_node_full_flushes_total", PROM_COUNTER, "Full TLB flushes (TLB_FLUSH_ALL) on "
	    "this node (remote sends excluded)");
	u64(w, "tlb_node_full_flushes_total", NULL, 0, c->full_flushes);
	fam(w, "tlb_node_remote_sends_total", PROM_COUNTER, "Flushes that needed other CPUs "
	    "(reason remote_ipi_send), seen on every transport");
	u64(w, "tlb_node_remote_sends_total", NULL, 0, c->remote_sends);
	fam(w, "tlb_node_remote_requests_total", PROM_COUNTER, "Observed remote flush requests "
	    "(ipi or csd events of a TLB function; none on a hypervisor transport)");
	u64(w, "tlb_node_remote_requests_total", NULL, 0, c->ipis);
	fam(w, "tlb_node_remote_request_targets_total", PROM_COUNTER, "Target CPUs of the "
	    "observed remote flush requests");
	u64(w, "tlb_node_remote_request_targets_total", NULL, 0, c->ipi_targets);
}

static void write_node_state(struct wr *w, const struct expv_info *info)
{
	const struct expv *x = w->x;
	double bounds[EXPV_FANOUT_BOUNDS];

	for (int i = 0; i < EXPV_FANOUT_BOUNDS; i++)
		bounds[i] = (double)(1 << i);
	fam(w, "tlb_remote_flush_fanout_cpus", PROM_HISTOGRAM, "Target CPUs per observed remote "
	    "flush request");
	if (prom_histogram(w->b, "tlb_remote_flush_fanout_cpus", bounds, EXPV_FANOUT_BOUNDS,
			   x->fan, x->fan_sum))
		w->rc = -1;
	if (info->victims_observable) {
		fam(w, "tlb_node_victim_shootdowns_total", PROM_COUNTER, "Remote shootdowns "
		    "received (reason remote_shootdown): the victims' side");
		u64(w, "tlb_node_victim_shootdowns_total", NULL, 0, x->node.victim_hits);
	}
	fam(w, "tlb_node_invalidation_rate", PROM_GAUGE, "TLB invalidations per second on this "
	    "node over the last exporter interval");
	dbl(w, "tlb_node_invalidation_rate", NULL, 0, x->node_r.known ? x->node_r.rate : 0);
	fam(w, "tlb_node_invalidation_rate_per_core", PROM_GAUGE, "TLB invalidations per second "
	    "per CPU on this node over the last exporter interval");
	dbl(w, "tlb_node_invalidation_rate_per_core", NULL, 0,
	    x->node_r.known ? x->node_r.per_core : 0);
	fam(w, "tlb_node_health_score", PROM_GAUGE, "Health of the node's address-space flushes "
	    "(reasons 2 and 3) per core: 0 green (< 200/s/core), 1 yellow (< 2000/s/core), 2 red, "
	    "NaN too short an interval for a verdict");
	dbl(w, "tlb_node_health_score", NULL, 0, health_score(x->node_health));
	fam(w, "tlb_node_health", PROM_GAUGE, "The node's health state (1 for the current one)");
	for (int h = HEALTH_GREEN; h <= HEALTH_RED; h++) {
		struct prom_label l = { "state", tlb_health_name((enum tlb_health)h) };

		u64(w, "tlb_node_health", &l, 1, x->node_health == (enum tlb_health)h);
	}
	fam(w, "tlb_cpus", PROM_GAUGE, "CPUs the per-core rates are spread over");
	u64(w, "tlb_cpus", NULL, 0, (uint64_t)x->nr_cpus);
	{
		struct prom_label l = { "transport", info->transport ? info->transport : "unknown" };

		fam(w, "tlb_transport_info", PROM_GAUGE, "How this machine delivers remote TLB "
		    "flushes (ipi, hypervisor, broadcast, unknown); victims are observable only on "
		    "ipi");
		u64(w, "tlb_transport_info", &l, 1, 1);
	}
	fam(w, "tlb_lost_events_total", PROM_COUNTER, "Samples the kernel dropped because a ring "
	    "buffer was full (attribution misses them)");
	u64(w, "tlb_lost_events_total", NULL, 0, x->lost);
}

int expv_write(const struct expv *x, const struct expv_info *info, struct prom_buf *b)
{
	struct wr w = { x, b, 0 };

	write_processes(&w);
	write_node_counts(&w);
	write_node_state(&w, info);
	return w.rc || b->oom ? -1 : 0;
}
