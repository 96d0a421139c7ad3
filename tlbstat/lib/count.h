/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The counting rules of tlbstat, once: what a decoded event (event.h) adds to a task's, a CPU's or
 * the node's counts, which csd_queue_cpu events make one remote flush request, and the health of a
 * rate. report's aggregator (agg.h), top's bounded model (topview.h) and the exporter all count
 * through here and keep only what differs (where counts live, how long, which intervals).
 * Documentation/tlbstat-report.txt says the same for users.
 *
 *  - invalidations (events): tlb:tlb_flush events of every reason (what `tlbstat stat` counts),
 *    also counted per reason.
 *  - pages, bytes (= pages x page size), full_flushes (pages == -1, TLB_FLUSH_ALL): over every
 *    reason except 4 (remote IPI send), whose range is the one the targets invalidate.
 *  - remote_sends: reason-4 events (a flush that needs other CPUs), seen on every transport.
 *  - victim_hits: reason-1 events (remote shootdown received), in the context of the interrupted
 *    task, which pays for it.
 *  - ipis / ipi_targets / max_fanout: observed remote flush requests and their target CPUs.
 *    A request is either an ipi:ipi_send_cpumask / ipi_send_cpu whose callback is a TLB function
 *    (fan-out = cpumask weight), the patched tracepoint's targets, or a group of csd:csd_queue_cpu
 *    events whose func is a TLB function, queued by one CPU: a group starts at the first such
 *    event after a tlb_flush on that CPU (or after window_ns without one, or a change of func, or
 *    a target already in the group) and every further target joins it. The request belongs to
 *    the task (and time) of its first event. On kernels >= 6.5 the ipi callback is the generic
 *    IPI handler, so csd_queue_cpu is what shows the fan-out; on a hypervisor transport neither
 *    shows TLB targets (fan-out unknown). Requests of kernel-range functions
 *    (TLB_FUNC_KERNEL_RANGE) are requests too; a consumer counts them apart from any task.
 *  - the kernel lab's events (patches/, count_lab()): tlb:tlb_invalidation decisions with the
 *    bytes asked and CPUs flushed, mmu_notifier_invalidation starts; never invalidations.
 *  - health: count_health_of(), the one definition: the initiator-side flushes an address-space
 *    change requests (reasons 2 and 3, count_health_events()) per second per CPU against
 *    reason.h's thresholds, with task switches (reason 0) beside it, and no verdict
 *    (HEALTH_INSUFFICIENT) on too little evidence.
 *
 * No state but what the caller holds: counts are plain structs, the grouper an object.
 */
#ifndef TLBSTAT_COUNT_H
#define TLBSTAT_COUNT_H
#include "event.h"
#include "reason.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct count_counts {
	uint64_t events;                     /* tlb_flush events */
	uint64_t reasons[TLB_NR_REASONS];
	uint64_t pages;                      /* ranged flushes, reason 4 excluded */
	uint64_t full_flushes;               /* pages == -1, reason 4 excluded */
	uint64_t remote_sends;               /* reason 4 */
	uint64_t ipis, ipi_targets, max_fanout;   /* requests, their targets, the largest */
	uint64_t victim_hits;                /* reason 1 received */
	/* the kernel lab's events (patches/; count_lab()) */
	uint64_t decisions;                  /* tlb:tlb_invalidation: flushes decided */
	uint64_t decision_bytes;             /* their range_size: bytes the callers asked for */
	uint64_t decision_full;              /* range_size 0: the whole address space asked */
	uint64_t decision_page;              /* one page asked (range_size = page size), flushed so */
	uint64_t decision_promoted;          /* a range asked, the whole space flushed (its end all
						ones: past x86's ceiling, arm64's MAX_TLBI_OPS) */
	uint64_t decision_remote;            /* target_cpus > 1: other CPUs flushed too */
	uint64_t decision_broadcast;         /* target_cpus -1: a broadcast to every CPU */
	uint64_t decision_targets;           /* sum of target_cpus > 0 (the initiator's included) */
	uint64_t max_targets;                /* the largest target_cpus */
	uint64_t notifier_starts;            /* mmu_notifier_invalidation, phase 0 (start) */
	uint64_t notifier_bytes;             /* their range_size */
};

/*
 * The per-event rules are inline: report, top and the exporter call them for every event (top's
 * CPU at ~120k events/s rose about 5 % when they were out-of-line calls).
 */

/* Does this flush's range count (pages, bytes, full flushes)? Not for reason 4. */
static inline bool count_flush_ranged(const struct tlb_event *ev)
{
	return ev->reason != TLB_REASON_REMOTE_SEND_IPI;
}

/* Bytes of a flush: pages x page_size when ranged and pages > 0, else 0. */
static inline uint64_t count_flush_bytes(const struct tlb_event *ev, int page_size)
{
	if (!count_flush_ranged(ev) || ev->pages <= 0)
		return 0;
	return (uint64_t)ev->pages * (uint64_t)page_size;
}

/* A tlb:tlb_flush event. */
static inline void count_flush(struct count_counts *c, const struct tlb_event *ev)
{
	c->events++;
	if (ev->reason >= 0 && ev->reason < TLB_NR_REASONS)
		c->reasons[ev->reason]++;
	if (count_flush_ranged(ev)) {
		if (ev->pages < 0)
			c->full_flushes++;
		else
			c->pages += (uint64_t)ev->pages;
	}
	if (ev->reason == TLB_REASON_REMOTE_SEND_IPI)
		c->remote_sends++;
	if (ev->reason == TLB_REASON_REMOTE_SHOOTDOWN)
		c->victim_hits++;
}

/*
 * Add one flush's counts d (count_flush of a zeroed struct for the same event, whose reason is
 * given) to c: what count_flush(c, ev) does, without its tests again for each place the same
 * flush counts in (report adds it to its thread, process, CPU and node). Keep the two together.
 */
static inline void count_add_flush(struct count_counts *c, const struct count_counts *d,
				   int reason)
{
	c->events++;
	if (reason >= 0 && reason < TLB_NR_REASONS)
		c->reasons[reason]++;
	c->pages += d->pages;
	c->full_flushes += d->full_flushes;
	c->remote_sends += d->remote_sends;
	c->victim_hits += d->victim_hits;
}

/*
 * The kernel lab's events (patches/): a tlb:tlb_invalidation (EV_PATCHED_FLUSH) is one flush
 * decided, in the initiator's context, with the bytes asked (range_size, 0 = all) and the CPUs
 * flushed (target_cpus, the initiator's included; -1 a broadcast, as arm64's TLBI IS); an
 * mmu_notifier_invalidation (EV_MMU_NOTIFIER) start is one secondary-MMU invalidation (its end
 * adds nothing). What a decision flushed, which is what arm64 can tell (its reasons): the whole
 * address space asked (full: one ASID, TLBI ASIDE1IS), a range flushed whole (promoted), one
 * page, or a range (the rest). The decision's fan-out also makes a remote request (count_request_of()).
 */
static inline void count_lab(struct count_counts *c, const struct tlb_event *ev, int page_size)
{
	if (ev->kind == EV_PATCHED_FLUSH) {
		c->decisions++;
		if (ev->range_size > 0)
			c->decision_bytes += (uint64_t)ev->range_size;
		else
			c->decision_full++;
		if (ev->range_size > 0 && ev->flush_all)
			c->decision_promoted++;
		else if (ev->range_size == page_size)
			c->decision_page++;
		if (ev->target_cpus < 0) {
			c->decision_broadcast++;
		} else {
			if (ev->target_cpus > 1)
				c->decision_remote++;
			c->decision_targets += (uint64_t)ev->target_cpus;
			if ((uint64_t)ev->target_cpus > c->max_targets)
				c->max_targets = (uint64_t)ev->target_cpus;
		}
	} else if (ev->kind == EV_MMU_NOTIFIER && ev->phase == 0) {
		c->notifier_starts++;
		if (ev->range_size > 0)
			c->notifier_bytes += (uint64_t)ev->range_size;
	}
}

/*
 * A request grows: added targets joined it and it now has nr; starts: it begins with them.
 * Counting a request at once (count_request) or as its targets come gives the same totals.
 */
static inline void count_request_grow(struct count_counts *c, bool starts, int added, int nr)
{
	if (starts)
		c->ipis++;
	if (added > 0)
		c->ipi_targets += (uint64_t)added;
	if (nr > 0 && (uint64_t)nr > c->max_fanout)
		c->max_fanout = (uint64_t)nr;
}

/* A whole request of nr targets. */
void count_request(struct count_counts *c, int nr);
/*
 * Scale the tlb_flush part of c, counted from a sample of the flushes (every Nth: the exporter's
 * CPU budget; or one that lost events), to exact totals: sampled[r] flushes of reason r were
 * seen where exact[r] happened (counting-mode counters). Each reason scales by
 * exact[r] / sampled[r], pages and full flushes by the ranged reasons' (all but 4) ratio, events
 * by its reasons'. Rounded down, so counts each no larger than sampled, scaled alike, never sum
 * above exact. Requests and the kernel lab's counts are not sampled: left alone.
 */
void count_scale(struct count_counts *c, const uint64_t sampled[TLB_NR_REASONS],
		 const uint64_t exact[TLB_NR_REASONS]);

/* ---------------- requests ---------------- */

struct count_request {
	int cpu;                             /* the initiator's */
	uint64_t start, last;                /* times of its first and last event */
	pid_t pid, tid;                      /* the initiator: task of its first event */
	enum tlb_func_class cls;             /* TLB_FUNC_FLUSH or TLB_FUNC_KERNEL_RANGE */
	uint64_t func;
	int nr;                              /* targets so far */
	uint64_t mask[TLB_EVENT_MASK_WORDS]; /* their cpus */
};

/*
 * A whole request in one event (ipi_send_cpumask / ipi_send_cpu of a TLB function, the patched
 * tracepoint with targets): true with r filled; false for anything else (csd_queue_cpu included).
 */
bool count_request_of(const struct tlb_event *ev, struct count_request *r);

/* The per-CPU csd_queue_cpu grouper: one per consumer. */
struct count_group;

/* window_ns: 0 = 100 us. NULL when out of memory. */
struct count_group *count_group_new(uint64_t window_ns);
void count_group_free(struct count_group *g);

enum {
	COUNT_GROUP_CLOSED = 1 << 0,         /* *done: a request that ended before this event */
	COUNT_GROUP_JOINED = 1 << 1,         /* *open: the request this event joined */
	COUNT_GROUP_STARTED = 1 << 2,        /* ... and it starts there */
};
/*
 * Feed every event (others than tlb_flush and csd_queue_cpu of a TLB function are ignored):
 * returns COUNT_GROUP_* flags, or -1 when out of memory. *open stays valid until the next call.
 */
int count_group_feed(struct count_group *g, const struct tlb_event *ev, struct count_request *done,
		     const struct count_request **open);
/*
 * Whether any cpu has a request open: a tlb_flush fed while none is open changes nothing (the
 * callers' cheap test before feeding the flushes of a busy file).
 */
bool count_group_has_open(const struct count_group *g);
/*
 * Close the next open request whose window ended before `before` (an ordering point: no later
 * event comes before it); UINT64_MAX closes every one (end of input). Call with *cursor = 0 and
 * again while it returns true.
 */
bool count_group_expire(struct count_group *g, uint64_t before, int *cursor,
			struct count_request *done);

/* ---------------- rates and health ---------------- */

struct count_rate {
	bool known;                          /* secs > 0 */
	double rate;                         /* n / secs; NAN when not known */
	double per_core;                     /* rate / cpus (cpus < 1: 1); NAN when not known */
};

/* n invalidations over secs seconds on cpus CPUs: rate and per-core rate. */
struct count_rate count_rate_of(uint64_t n, double secs, int cpus);

/*
 * Health rates what address-space changes cost, from per-reason counts alone (stat counts, it
 * does not sample), as arch/x86/mm/tlb.c (6.x) fires each reason:
 *  - 3 local MM shootdown: flush_tlb_func() on the CPU that asked, for an mm (munmap, mprotect,
 *    madvise, page migration of a user range via flush_tlb_mm_range): counted;
 *  - 2 local shootdown: the same with no mm, the batched flush of reclaim and migration
 *    (arch_tlbbatch_flush): counted;
 *  - 4 remote IPI send: native_flush_tlb_multi(), fired by the same request as the 3 or 2 above
 *    when other CPUs hold the mm: not counted, or one munmap would count twice;
 *  - 1 remote shootdown, 5 remote wrong CPU: the receivers of a request: not counted (one
 *    request fans out to many; the request is counted once, on its initiator);
 *  - 0 task switch: switch_mm_irqs_off(), on scheduling, also when no flush is needed (pages 0):
 *    follows context switches, not address-space changes: not counted, shown beside.
 * A request from a CPU that does not hold the mm fires 4 alone and is missed here; it shows in
 * the remote sends.
 */
#define COUNT_HEALTH_MIN_SECS   0.5   /* shorter windows get no verdict */

/* The events health rates: reasons 2 + 3. */
static inline uint64_t count_health_events(const uint64_t reasons[TLB_NR_REASONS])
{
	return reasons[TLB_REASON_LOCAL_SHOOTDOWN] + reasons[TLB_REASON_LOCAL_MM_SHOOTDOWN];
}

struct count_health {
	uint64_t events;                     /* count_health_events() */
	uint64_t task_switches;              /* reason 0, shown beside */
	double per_core;                     /* events / secs / cpus; NAN when secs <= 0 */
	enum tlb_health health;              /* HEALTH_INSUFFICIENT below the minimum evidence */
};

/*
 * The health of per-reason counts over secs seconds on cpus CPUs: HEALTH_INSUFFICIENT when secs
 * < COUNT_HEALTH_MIN_SECS (a handful of flushes in a few ms is no evidence of a storm). Over a
 * longer window, yellow takes at least HEALTH_YELLOW_AT x 0.5 x cpus events (100 per CPU), so no
 * separate minimum count is needed; few events over a long window are evidence of quiet: green.
 */
struct count_health count_health_of(const uint64_t reasons[TLB_NR_REASONS], double secs, int cpus);
#endif
