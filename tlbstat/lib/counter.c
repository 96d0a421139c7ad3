// SPDX-License-Identifier: GPL-2.0
/* stat's arithmetic: reason counters, snapshots, and the deltas of a period. */
#include "counter.h"
#include "count.h"
#include "evlist.h"
#include "transport.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int counter_add_reasons(struct counter *c, struct tlb_evlist *el, char *err, size_t errlen)
{
	c->el = el;
	for (int r = 0; r < TLB_NR_REASONS; r++) {
		char filter[32];

		snprintf(filter, sizeof(filter), "reason == %d", r);
		c->idx[r] = tlb_evlist_add(el, "tlb:tlb_flush", filter, NULL);
		if (c->idx[r] < 0) {
			snprintf(err, errlen, "cannot add the tlb:tlb_flush counters");
			return -1;
		}
	}
	tlb_evlist_group(el);
	return 0;
}

static size_t nr_counts(const struct counter *c)
{
	return (size_t)c->el->nr_cpus * TLB_NR_REASONS;
}

int counter_take(const struct counter *c, struct counter_snapshot *s, char *err, size_t errlen)
{
	uint64_t v[64];

	if (c->el->nr_evsels > (int)(sizeof(v) / sizeof(v[0]))) {
		snprintf(err, errlen, "too many counters in one group (%d)", c->el->nr_evsels);
		return -1;
	}
	if (!s->counts && !(s->counts = calloc(nr_counts(c), sizeof(uint64_t)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* one read per cpu (and thread): the six reason counters are one group */
	for (int ci = 0; ci < c->el->nr_cpus; ci++) {
		if (tlb_evlist_read_group(c->el, ci, v) < 0) {
			snprintf(err, errlen, "cannot read the counters: %s", strerror(errno));
			return -1;
		}
		for (int r = 0; r < TLB_NR_REASONS; r++)
			s->counts[ci * TLB_NR_REASONS + r] = v[c->idx[r]];
	}
	interrupts_read_row(NULL, "TLB", &s->tlb);
	s->t_ns = now_ns();
	return 0;
}

int counter_copy(const struct counter *c, struct counter_snapshot *dst,
		 const struct counter_snapshot *src)
{
	if (!dst->counts && !(dst->counts = calloc(nr_counts(c), sizeof(uint64_t))))
		return -1;
	memcpy(dst->counts, src->counts, nr_counts(c) * sizeof(uint64_t));
	dst->tlb = src->tlb;
	dst->t_ns = src->t_ns;
	return 0;
}

/* The rate of every reason's counts together over secs on cpus. */
static struct count_rate rate_of(const uint64_t reasons[TLB_NR_REASONS], double secs, int cpus)
{
	uint64_t n = 0;

	for (int r = 0; r < TLB_NR_REASONS; r++)
		n += reasons[r];
	return count_rate_of(n, secs, cpus);
}

/* Rate and per-core rate of a period's total; its health by the one definition (count.h). */
static void period_rates(struct counter_period *p)
{
	struct count_rate cr = rate_of(p->reasons, p->secs, p->ncpus);

	p->rate = cr.known ? cr.rate : 0;
	p->per_core = cr.known ? cr.per_core : 0;
	p->health = count_health_of(p->reasons, p->secs, p->ncpus).health;
}

int counter_diff(const struct counter *c, const struct counter_snapshot *a,
		 const struct counter_snapshot *b, struct counter_period *p)
{
	int n = c->el->nr_cpus;

	if (!p->per_cpu && !(p->per_cpu = calloc(nr_counts(c), sizeof(uint64_t))))
		return -1;
	memset(p->reasons, 0, sizeof(p->reasons));
	p->total = 0;
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
	period_rates(p);
	return 0;
}

uint64_t counter_cpu_total(const struct counter_period *p, int ci)
{
	uint64_t t = 0;

	for (int r = 0; r < TLB_NR_REASONS; r++)
		t += p->per_cpu[ci * TLB_NR_REASONS + r];
	return t;
}

struct count_rate counter_cpu_rate(const struct counter_period *p, int ci)
{
	return rate_of(p->per_cpu + ci * TLB_NR_REASONS, p->secs, 1);
}

enum tlb_health counter_cpu_health(const struct counter_period *p, int ci)
{
	return count_health_of(p->per_cpu + ci * TLB_NR_REASONS, p->secs, 1).health;
}

void counter_observe(const struct counter_period *p, struct transport_observation *obs)
{
	memset(obs, 0, sizeof(*obs));
	obs->valid = true;
	obs->remote_sends = p->reasons[TLB_REASON_REMOTE_SEND_IPI];
	obs->remote_shootdowns = p->reasons[TLB_REASON_REMOTE_SHOOTDOWN];
	obs->tlb_interrupts = p->tlb_total;
	obs->tlb_interrupts_valid = p->tlb_present;
}

void counter_snapshot_free(struct counter_snapshot *s)
{
	free(s->counts);
	s->counts = NULL;
}

void counter_period_free(struct counter_period *p)
{
	free(p->per_cpu);
	p->per_cpu = NULL;
}

void counter_stats_add(struct counter_stats *s, double x)
{
	double d = x - s->mean;

	s->n++;
	s->mean += d / s->n;
	s->m2 += d * (x - s->mean);
}

double counter_stats_stddev(const struct counter_stats *s)
{
	return s->n < 2 ? 0 : sqrt(s->m2 / (s->n - 1));
}

double counter_stats_rel_noise(const struct counter_stats *s)
{
	if (s->n < 2 || s->mean == 0)
		return 0;
	return 100.0 * counter_stats_stddev(s) / sqrt(s->n) / fabs(s->mean);
}

int counter_repeat_add(struct counter_repeat *r, const struct counter_period *p, char *err,
		       size_t errlen)
{
	if (!r->per_cpu) {
		r->per_cpu = calloc((size_t)p->ncpus * TLB_NR_REASONS, sizeof(*r->per_cpu));
		r->cpu_total = calloc((size_t)p->ncpus, sizeof(*r->cpu_total));
		if (!r->per_cpu || !r->cpu_total) {
			counter_repeat_free(r);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		r->ncpus = p->ncpus;
		r->tlb_present = true;
	} else if (p->ncpus != r->ncpus) {
		snprintf(err, errlen, "run %d counted %d cpus, the first %d", r->runs + 1, p->ncpus,
			 r->ncpus);
		return -1;
	}
	r->runs++;
	counter_stats_add(&r->secs, p->secs);
	counter_stats_add(&r->total, (double)p->total);
	for (int i = 0; i < TLB_NR_REASONS; i++)
		counter_stats_add(&r->reasons[i], (double)p->reasons[i]);
	for (int i = 0; i < p->ncpus * TLB_NR_REASONS; i++)
		counter_stats_add(&r->per_cpu[i], (double)p->per_cpu[i]);
	for (int ci = 0; ci < p->ncpus; ci++)
		counter_stats_add(&r->cpu_total[ci], (double)counter_cpu_total(p, ci));
	r->tlb_present = r->tlb_present && p->tlb_present;
	counter_stats_add(&r->tlb_total, (double)p->tlb_total);
	for (int i = 0; i < INTR_MAX_CPUS; i++)
		r->tlb_cpu_sum[i] += p->tlb_cpu[i];
	return 0;
}

static uint64_t rounded(double v)
{
	return v > 0 ? (uint64_t)llround(v) : 0;
}

int counter_repeat_mean(const struct counter_repeat *r, struct counter_period *p)
{
	if (r->runs < 1)
		return -1;
	if (!p->per_cpu && !(p->per_cpu = calloc((size_t)r->ncpus * TLB_NR_REASONS, sizeof(uint64_t))))
		return -1;
	p->ncpus = r->ncpus;
	p->secs = r->secs.mean;
	p->total = 0;
	for (int i = 0; i < r->ncpus * TLB_NR_REASONS; i++)
		p->per_cpu[i] = rounded(r->per_cpu[i].mean);
	/* the totals are the means' sums, so that the rows add up as in a single run */
	for (int i = 0; i < TLB_NR_REASONS; i++) {
		p->reasons[i] = rounded(r->reasons[i].mean);
		p->total += p->reasons[i];
	}
	p->tlb_present = r->tlb_present;
	p->tlb_total = p->tlb_present ? rounded(r->tlb_total.mean) : 0;
	for (int i = 0; i < INTR_MAX_CPUS; i++)
		p->tlb_cpu[i] = rounded((double)r->tlb_cpu_sum[i] / r->runs);
	period_rates(p);
	return 0;
}

void counter_repeat_free(struct counter_repeat *r)
{
	free(r->per_cpu);
	free(r->cpu_total);
	r->per_cpu = NULL;
	r->cpu_total = NULL;
}
