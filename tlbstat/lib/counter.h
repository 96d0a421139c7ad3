/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counting mode (stat; the exporter, for exact node totals): one tlb:tlb_flush counter per
 * reason (a tracepoint filter "reason == N"), grouped so that one read per cpu takes all six;
 * snapshots of those counters and of the /proc/interrupts TLB: row, and the figures of the
 * period between two snapshots (deltas, rate, per-core rate, health). No output here: the
 * commands print.
 */
#ifndef TLBSTAT_COUNTER_H
#define TLBSTAT_COUNTER_H
#include "count.h"
#include "interrupts.h"
#include "reason.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tlb_evlist;
struct transport_observation;

/* The reason counters of an evlist. */
struct counter {
	struct tlb_evlist *el;
	int idx[TLB_NR_REASONS];	/* the evsel counting each reason */
};

/* counts[cpu index][reason] plus the TLB: interrupt row, at a time. */
struct counter_snapshot {
	uint64_t *counts;		/* nr_cpus * TLB_NR_REASONS; allocated by counter_take */
	struct intr_row tlb;
	uint64_t t_ns;
};

/* The figures of one period (an interval or the whole run): deltas between two snapshots. */
struct counter_period {
	double secs;
	int ncpus;
	uint64_t reasons[TLB_NR_REASONS];
	uint64_t total;
	uint64_t *per_cpu;		/* ncpus * TLB_NR_REASONS; allocated by counter_diff */
	bool tlb_present;
	uint64_t tlb_total;
	uint64_t tlb_cpu[INTR_MAX_CPUS];	/* by cpu number */
	double rate, per_core;
	enum tlb_health health;
};

/*
 * Add the six reason counters to el (not opened yet) and make them one group. 0, or -1 with err
 * (the evlist said why on stderr).
 */
int counter_add_reasons(struct counter *c, struct tlb_evlist *el, char *err, size_t errlen);
/* Read every counter (one read per cpu) and the TLB: row. 0, or -1 with err. */
int counter_take(const struct counter *c, struct counter_snapshot *s, char *err, size_t errlen);
/* dst = src (dst's counts allocated on first use). 0, or -1 (out of memory). */
int counter_copy(const struct counter *c, struct counter_snapshot *dst,
		 const struct counter_snapshot *src);
/* The period from a to b. 0, or -1 (out of memory). */
int counter_diff(const struct counter *c, const struct counter_snapshot *a,
		 const struct counter_snapshot *b, struct counter_period *p);
/* Invalidations on cpu index ci in the period. */
uint64_t counter_cpu_total(const struct counter_period *p, int ci);
/* The rate of cpu index ci alone (one core), computed as the period's is. */
struct count_rate counter_cpu_rate(const struct counter_period *p, int ci);
/* The health of cpu index ci alone (one core), by the one definition (count.h). */
enum tlb_health counter_cpu_health(const struct counter_period *p, int ci);
/* What the transport detection needs from a period. */
void counter_observe(const struct counter_period *p, struct transport_observation *obs);
void counter_snapshot_free(struct counter_snapshot *s);
void counter_period_free(struct counter_period *p);

/*
 * stat -r: the same count over repeated runs. One value's running mean and sum of squared
 * deviations (Welford), and its noise as perf stat prints it ("( +- x% )"): the standard error
 * of the mean, sqrt(variance / n) with the sample variance, as a percentage of the mean.
 */
struct counter_stats {
	unsigned n;
	double mean, m2;
};

void counter_stats_add(struct counter_stats *s, double x);
/* The sample standard deviation (n - 1); 0 below two values. */
double counter_stats_stddev(const struct counter_stats *s);
/* perf's noise: 100 * stddev / sqrt(n) / mean; 0 below two values or with a mean of 0. */
double counter_stats_rel_noise(const struct counter_stats *s);

/* Every count of a period, over the runs. */
struct counter_repeat {
	int runs, ncpus;
	struct counter_stats secs, total, tlb_total, reasons[TLB_NR_REASONS];
	struct counter_stats *per_cpu;	/* ncpus * TLB_NR_REASONS; allocated by the first add */
	struct counter_stats *cpu_total;	/* ncpus: each CPU's total */
	bool tlb_present;		/* in every run */
	uint64_t tlb_cpu_sum[INTR_MAX_CPUS];
};

/* Add one run's period. 0, or -1 with err (out of memory, another number of cpus). */
int counter_repeat_add(struct counter_repeat *r, const struct counter_period *p, char *err,
		       size_t errlen);
/*
 * The mean run as a period (counts rounded to the nearest integer; rate, per-core rate and
 * health computed from them as counter_diff does). 0, or -1 (out of memory, no run).
 */
int counter_repeat_mean(const struct counter_repeat *r, struct counter_period *p);
void counter_repeat_free(struct counter_repeat *r);
#endif
