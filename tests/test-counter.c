// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of counter.c: the arithmetic of a period between two snapshots (deltas per cpu and
 * reason, totals, rate, per-core rate, health, the TLB: interrupt row), copies, and what the
 * transport detection is given. Snapshots are built by hand: counter_take needs real counters.
 */
#include "count.h"
#include "counter.h"
#include "evlist.h"
#include "transport.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void snap(struct counter_snapshot *s, uint64_t base, uint64_t t_ns, uint64_t irq)
{
	s->counts = calloc(2 * TLB_NR_REASONS, sizeof(uint64_t));
	for (int i = 0; i < 2 * TLB_NR_REASONS; i++)
		s->counts[i] = base * (uint64_t)(i + 1);
	s->tlb.present = true;
	s->tlb.ncpus = 2;
	s->tlb.per_cpu[0] = irq;
	s->tlb.per_cpu[1] = 2 * irq;
	s->tlb.total = 3 * irq;
	s->t_ns = t_ns;
}

static bool near(double a, double b)
{
	return fabs(a - b) < 1e-9 * (fabs(b) > 1 ? fabs(b) : 1);
}

/* stat -r: mean, sample stddev, perf's noise (stddev of the mean, % of the mean); mean runs */
static void test_repeat(void)
{
	struct counter_stats s = { 0 };
	struct counter_repeat r = { 0 };
	struct counter_period p = { 0 }, m = { 0 };
	uint64_t cpu[2 * TLB_NR_REASONS] = { 0 };
	char err[128];
	double xs[] = { 10, 12, 14 };

	ok(counter_stats_stddev(&s) == 0 && counter_stats_rel_noise(&s) == 0, "no value: 0, 0");
	counter_stats_add(&s, 7);
	ok(s.mean == 7 && counter_stats_rel_noise(&s) == 0, "one value: its mean, no noise");
	s = (struct counter_stats){ 0 };
	for (int i = 0; i < 3; i++)
		counter_stats_add(&s, xs[i]);
	ok(near(s.mean, 12), "mean of 10, 12, 14 is 12");
	ok(near(counter_stats_stddev(&s), 2), "sample stddev of 10, 12, 14 is 2");
	ok(near(counter_stats_rel_noise(&s), 100.0 * 2 / sqrt(3) / 12), "noise: 100*2/sqrt(3)/12 %%");
	s = (struct counter_stats){ 0 };
	counter_stats_add(&s, 0);
	counter_stats_add(&s, 0);
	ok(counter_stats_rel_noise(&s) == 0, "mean 0: noise 0, not NaN");

	p.ncpus = 2;
	p.per_cpu = cpu;
	p.tlb_present = true;
	for (int run = 0; run < 3; run++) {
		p.secs = 1 + run;		/* 1, 2, 3 s */
		p.total = 0;
		for (int i = 0; i < 2 * TLB_NR_REASONS; i++)
			cpu[i] = (uint64_t)(xs[run] * (i + 1));
		for (int k = 0; k < TLB_NR_REASONS; k++) {
			p.reasons[k] = cpu[k] + cpu[TLB_NR_REASONS + k];
			p.total += p.reasons[k];
		}
		p.tlb_total = 100 * (run + 1);
		p.tlb_cpu[1] = p.tlb_total;
		is_int(counter_repeat_add(&r, &p, err, sizeof(err)), 0, "add run %d", run + 1);
	}
	is_int(r.runs, 3, "three runs");
	is_int(counter_repeat_mean(&r, &m), 0, "the mean run");
	ok(near(m.secs, 2), "mean duration 2 s");
	is_int(m.per_cpu[0], 12, "cpu 0 reason 0: mean of 10, 12, 14");
	is_int(m.reasons[4], 12 * 5 + 12 * 11, "reason 4: the mean over both cpus");
	is_int(m.total, 12 * 78, "total: the sum of the reasons' means");
	is_int(m.tlb_total, 200, "TLB: row mean");
	is_int(m.tlb_cpu[1], 200, "TLB: row per cpu mean");
	ok(near(m.rate, 12.0 * 78 / 2) && near(m.per_core, m.rate / 2), "rate of the mean run");
	is_int(m.health, count_health_of(m.reasons, m.secs, 2).health, "health of the mean run");
	ok(near(counter_stats_rel_noise(&r.total), 100.0 * 2 / sqrt(3) / 12), "total's noise");
	ok(near(r.cpu_total[0].mean, 12.0 * 21) && near(r.cpu_total[1].mean, 12.0 * 57),
	   "each cpu's total: its mean");
	ok(near(counter_stats_rel_noise(&r.cpu_total[1]), 100.0 * 2 / sqrt(3) / 12), "and its noise");
	p.ncpus = 1;
	is_int(counter_repeat_add(&r, &p, err, sizeof(err)), -1, "another cpu count: refused");
	ok(strstr(err, "cpus") != NULL, "... saying so: %s", err);
	counter_repeat_free(&r);
	counter_period_free(&m);
	r = (struct counter_repeat){ 0 };
	is_int(counter_repeat_mean(&r, &m), -1, "no run: no mean");
}

int main(void)
{
	struct tlb_evlist el = { .nr_cpus = 2 };
	struct counter c = { .el = &el };
	struct counter_snapshot a = { 0 }, b = { 0 }, copy = { 0 };
	struct counter_period p = { 0 };
	struct transport_observation obs;
	uint64_t sum = 0;

	for (int r = 0; r < TLB_NR_REASONS; r++)
		c.idx[r] = r;
	snap(&a, 10, 1000000000ull, 100);
	snap(&b, 30, 3000000000ull, 160);
	is_int(counter_diff(&c, &a, &b, &p), 0, "counter_diff");
	/* counts grow by 20 * (i + 1) over the 12 slots: cpu 0 slots 0..5, cpu 1 slots 6..11 */
	is_int(p.per_cpu[0], 20, "cpu 0, reason 0: 20");
	is_int(p.per_cpu[TLB_NR_REASONS + 4], 20 * (TLB_NR_REASONS + 5), "cpu 1, reason 4");
	is_int(p.reasons[TLB_REASON_REMOTE_SEND_IPI], 20 * 5 + 20 * 11, "reason 4 over both cpus");
	for (int i = 0; i < 2 * TLB_NR_REASONS; i++)
		sum += 20 * (uint64_t)(i + 1);
	is_int(p.total, sum, "total = every delta");
	is_int(counter_cpu_total(&p, 0) + counter_cpu_total(&p, 1), sum, "cpu totals add up");
	is_int(counter_cpu_total(&p, 0), 20 * 21, "cpu 0 total");
	ok(p.secs == 2.0, "2 s between the snapshots");
	ok(p.rate == (double)sum / 2 && p.per_core == p.rate / 2, "rate and per-core rate");
	is_int(p.health, count_health_of(p.reasons, p.secs, 2).health, "health: count_health_of");
	ok(counter_cpu_rate(&p, 1).known && counter_cpu_rate(&p, 1).rate ==
	   (double)counter_cpu_total(&p, 1) / 2, "cpu 1's own rate");
	is_int(counter_cpu_health(&p, 1),
	       count_health_of(p.per_cpu + TLB_NR_REASONS, p.secs, 1).health,
	       "cpu 1's health, of its own reasons on one core");
	ok(p.tlb_present && p.tlb_total == 180, "TLB: row delta 180");
	ok(p.tlb_cpu[0] == 60 && p.tlb_cpu[1] == 120, "TLB: row per cpu");
	is_int(p.ncpus, 2, "ncpus");

	counter_observe(&p, &obs);
	ok(obs.valid && obs.remote_sends == p.reasons[TLB_REASON_REMOTE_SEND_IPI] &&
	   obs.remote_shootdowns == p.reasons[TLB_REASON_REMOTE_SHOOTDOWN], "observation: reasons");
	ok(obs.tlb_interrupts_valid && obs.tlb_interrupts == 180, "observation: TLB: row");

	is_int(counter_copy(&c, &copy, &b), 0, "counter_copy");
	ok(copy.counts != b.counts && !memcmp(copy.counts, b.counts, 2 * TLB_NR_REASONS * 8) &&
	   copy.t_ns == b.t_ns && copy.tlb.total == b.tlb.total, "the copy equals, in its own memory");
	is_int(counter_diff(&c, &b, &copy, &p), 0, "diff of equal snapshots");
	ok(p.total == 0 && p.rate == 0 && p.secs == 0, "zero period: no counts, rate 0");

	b.tlb.present = false;
	counter_diff(&c, &a, &b, &p);
	ok(!p.tlb_present && p.tlb_total == 0, "no TLB: row at one end: not present, 0");

	counter_snapshot_free(&a);
	counter_snapshot_free(&b);
	counter_snapshot_free(&copy);
	counter_period_free(&p);
	ok(!a.counts && !p.per_cpu, "freed and cleared");
	test_repeat();
	return done_testing();
}
