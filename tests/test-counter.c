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
	return done_testing();
}
