/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Aggregation of decoded TLB events (event.h) for report and top: per process and thread, per
 * reason, per CPU, initiator -> victim pairs, kernel-range flushes, a time series with burst
 * detection, and an optional histogram keyed by any of pid, comm, reason, cpu.
 *
 * Memory grows with the number of processes, threads, CPUs, (initiator, victim) pairs and
 * intervals, never with the number of events: every event only bumps counters.
 *
 * Feeding: call agg_event() for every decoded event, agg_comm()/agg_fork()/agg_exit() for task
 * records, agg_lost() for lost records, agg_round() at every ordering point (perf's
 * FINISHED_ROUND, or each drain of a live session), and agg_finish() once at the end (report)
 * or agg_round() each refresh (top). Events need not arrive in time order across CPUs (perf
 * files hold them per CPU within a round); the per-CPU order must hold.
 *
 * Definitions (Documentation/tlbstat-report.txt says the same for users): what an event counts
 * (invalidations, per reason, pages, bytes, full flushes, remote sends, victim hits, requests,
 * targets and fan-out, csd grouping) is count.h's, shared with top and the exporter. Here:
 *  - group_window_ns is count.h's csd grouping window; agg commits a csd request when it closes
 *    (a flush on its cpu, a target that cannot join, or agg_round()/agg_finish() once its window
 *    passed), at the time and to the task of its first event.
 *  - initiator -> victim: each reason-1 event on CPU X at time t is paired with the most recent
 *    observed request (csd target cpu or ipi cpumask) that targeted X at or before t; without one,
 *    with the most recent reason-4 send on another CPU at or before t; both within
 *    pair_window_ns. Otherwise it counts as unpaired. Pairing waits for agg_round() so that the
 *    sends of other CPUs in the same round are known.
 *  - kernel-range flushes: requests whose function is a kernel-range flush (do_kernel_range_flush,
 *    do_flush_tlb_all), counted in their own row, not in any process's ipis.
 *  - kernel threads: pid 0, kthreadd (2) and its children (fork records), or a known kernel thread
 *    name (kworker, kswapd, kcompactd, khugepaged, ksmd, ...).
 *  - flush handler time (`tlbstat record --cost`): csd:csd_function_entry / csd_function_exit
 *    whose func is a TLB function (func_class != NONE) are paired per CPU: each CPU keeps a stack
 *    of at most AGG_HANDLER_DEPTH open entries; an exit closes the innermost open entry of the
 *    same func and the same tid (entries above it lost their exits and are dropped); an exit
 *    without such an entry is ignored; an entry older than AGG_HANDLER_MAX_NS is dropped; an entry
 *    of the func already open on top replaces it (a function does not re-enter itself there: both
 *    the local call and the IPI handler run with interrupts off). Exit minus entry is charged to
 *    the task of the sample (pid/tid: the task in whose context the handler ran) and its process,
 *    as "victim" when the entry's csd pointer is non-zero (a call taken from the IPI / CSD queue:
 *    this CPU was interrupted for another CPU's flush) or "local" when it is 0 (the initiator
 *    running the same function for its own CPU). Per task: calls and ns per kind; globally per
 *    kind: calls, ns, min/max, a log2 histogram (bucket b holds [2^b, 2^(b+1)) ns; bucket 0 also
 *    holds 0 ns) and the number of dropped entries / ignored exits. The interrupt entry and exit
 *    around the handler are not included. A task that only paid handler time appears in the
 *    process and thread lists with 0 invalidations.
 */
#ifndef TLBSTAT_AGG_H
#define TLBSTAT_AGG_H
#include "count.h"
#include "event.h"
#include "reason.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define AGG_SERIES_TOP 3

/* Histogram keys (agg_config.hist_keys): rows keyed by the chosen fields. */
enum {
	AGG_KEY_PID = 1 << 0,
	AGG_KEY_COMM = 1 << 1,
	AGG_KEY_REASON = 1 << 2,
	AGG_KEY_CPU = 1 << 3,
	AGG_KEY_CGROUP = 1 << 4,	/* the sample's cgroup id (record --all-cgroups) */
};
/* "pid,comm,reason,cpu,cgroup" -> key mask; -1 with the bad key in err. */
int agg_parse_keys(const char *s, char *err, size_t errlen);

struct agg_config {
	uint64_t interval_ns;        /* time-series interval; 0 = no series */
	int page_size;               /* bytes per page; 0 = 4096 */
	double burst_k;              /* bursts: rate > median + k * MAD; 0 = 3 */
	unsigned hist_keys;          /* AGG_KEY_* mask; 0 = no histogram */
	uint64_t pair_window_ns;     /* 0 = 10 ms */
	uint64_t group_window_ns;    /* csd grouping window (count_group_new); 0 = 100 us */
	bool count_samples;          /* agg_task.samples (report -n); tasks then appear on any event */
};

/* Flush handler time (see above). */
enum { AGG_HANDLER_LOCAL, AGG_HANDLER_VICTIM, AGG_HANDLER_KINDS };
#define AGG_HANDLER_BUCKETS 40               /* log2 ns buckets: up to 2^40 ns */
#define AGG_HANDLER_DEPTH 4                  /* open entries kept per CPU */
#define AGG_HANDLER_MAX_NS 1000000000ULL     /* an entry open longer than 1 s is dropped */

struct agg_handler {                         /* one kind, over every task */
	uint64_t calls, ns, min_ns, max_ns;
	uint64_t hist[AGG_HANDLER_BUCKETS];
};

/* A process (tid == 0) or a thread. */
struct agg_task {
	pid_t pid, tid;
	char comm[16];                       /* "" until known; agg_task_comm() gives a label */
	bool kernel_thread;
	bool exited;
	uint64_t first_time, last_time, exit_time;   /* of its events / exit record */
	struct count_counts total;             /* since the start */
	int nr_threads;                      /* processes: threads seen */
	uint64_t samples;                    /* events of every kind in its context (count_samples) */
	uint64_t handler_calls[AGG_HANDLER_KINDS], handler_ns[AGG_HANDLER_KINDS];  /* since the start */
	/* internal */
	struct agg_task *proc;
	uint64_t slot_iv[8], slot_n[8];      /* per-interval counts for the series' top */
	size_t hist_row;                     /* its last histogram row, index + 1 (0: none) */
	uint64_t hist_gen;                   /* the agg's comm generation when that row was found */
};

struct agg_cpu {
	int cpu;
	struct count_counts total;
};

struct agg_pair {
	pid_t init_pid, init_tid;            /* init_tid / victim_tid 0 in process-level rows */
	pid_t victim_pid, victim_tid;
	uint64_t count;
};

struct agg_interval {
	uint64_t start_ns;                   /* absolute sample time: a multiple of the interval */
	double secs;                         /* the time of the span it covers (agg_finish): the
					        first and last are partial; 0: none */
	uint64_t events, bytes, full_flushes, remote_sends, ipis, ipi_targets, victim_hits;
	struct { pid_t pid; uint64_t n; } top[AGG_SERIES_TOP];   /* processes by invalidations */
	bool burst;
};

struct agg_burst_stats {
	double median, mad, threshold;       /* in invalidations per second */
	double k;
	int nr_bursts;
};

struct agg_hist_row {
	pid_t pid;                           /* -1 when not a key */
	char comm[16];                       /* "" when not a key */
	int reason, cpu;                     /* -1 when not a key */
	uint64_t cgroup;                     /* 0 when not a key or the sample had none */
	uint64_t events, pages, full_flushes;
};

struct agg_totals {
	uint64_t by_kind[EV_MMU_NOTIFIER + 1];    /* decoded events by kind */
	uint64_t lost;
	uint64_t first_time, last_time;           /* of events; 0 if none */
	int max_cpu;                              /* highest cpu seen, -1 if none */
	struct count_counts all;
	struct count_counts kernel_range;           /* kernel-range requests (ipis/targets/fan-out) */
	uint64_t paired, unpaired;                /* victim hits with and without an initiator */
	uint64_t paired_by_target, paired_by_send;/* which rule paired them */
	struct agg_handler handler[AGG_HANDLER_KINDS];  /* flush handler time, by AGG_HANDLER_* */
	uint64_t handler_dropped;                 /* entries whose exit never came (or too late) */
	uint64_t handler_ignored;                 /* exits without an open entry */
	uint64_t series_dropped;                  /* events outside the series' AGG_MAX_INTERVALS */
};

/*
 * The time series spans at most this many intervals (36 h at 1 s; ~20 MiB): an event further
 * from the first interval is counted everywhere but in the series (series_dropped). One corrupt
 * timestamp (a flipped byte: 2^63 ns) otherwise asked for 10^10 intervals.
 */
#define AGG_MAX_INTERVALS (1 << 17)

struct agg;

/* NULL when out of memory. */
struct agg *agg_new(const struct agg_config *cfg);
void agg_free(struct agg *a);

/*
 * Out of memory: the functions below that return int return -1 once any allocation has failed
 * (the counts are then incomplete; the failure sticks, so checking agg_finish() is enough).
 */
int agg_event(struct agg *a, const struct tlb_event *ev);
int agg_comm(struct agg *a, pid_t pid, pid_t tid, const char *comm, uint64_t time);
int agg_fork(struct agg *a, pid_t pid, pid_t ppid, pid_t tid, uint64_t time);
void agg_exit(struct agg *a, pid_t pid, pid_t tid, uint64_t time);
void agg_lost(struct agg *a, uint64_t nr);
/* An ordering point: events before the previous round's last time are complete. */
int agg_round(struct agg *a);
/* End of input: pair the rest, close the intervals, find the bursts. */
int agg_finish(struct agg *a);
/*
 * The time the input covers, [first, last] in sample time (a file's first and last timestamps,
 * narrowed by a --time window): every interval's rate is over the part of it inside (its secs).
 * Call before agg_finish; without it, the first and last events bound the span.
 */
void agg_set_span(struct agg *a, uint64_t first, uint64_t last);

const struct agg_totals *agg_totals(const struct agg *a);
/* A printable name: the comm, or ":<tid>" when unknown. */
const char *agg_task_comm(const struct agg_task *t, char *buf, size_t len);
/* The name task records gave tid (else its process pid) so far; NULL if none (filters by name). */
const char *agg_name_of(struct agg *a, pid_t pid, pid_t tid);

enum agg_sort { AGG_SORT_EVENTS, AGG_SORT_PID, AGG_SORT_COMM, AGG_SORT_REMOTE, AGG_SORT_VICTIM,
		AGG_SORT_HANDLER_LOCAL, AGG_SORT_HANDLER_VICTIM };
/* Every process / thread, sorted (descending counts; pid and comm ascending). Array malloc'd;
 * the tasks belong to agg (valid until agg_expire/agg_free). The list functions below return -1
 * (and *out NULL) when out of memory. */
int agg_processes(struct agg *a, enum agg_sort by, struct agg_task ***out);
int agg_threads(struct agg *a, enum agg_sort by, struct agg_task ***out);
struct agg_task *agg_find_process(struct agg *a, pid_t pid);
struct agg_task *agg_find_thread(struct agg *a, pid_t tid);
/* CPUs that had events, by cpu number. Array malloc'd; entries belong to agg. */
int agg_cpus(struct agg *a, struct agg_cpu ***out);
/* Initiator -> victim pairs, by count descending; process level merges threads. malloc'd copy. */
int agg_pairs(struct agg *a, bool process_level, struct agg_pair **out);
/* The time series (after agg_finish, or closed intervals so far); entries belong to agg. */
int agg_intervals(struct agg *a, const struct agg_interval **out);
void agg_bursts(const struct agg *a, struct agg_burst_stats *st);
/* Work the series did placing intervals (slots initialized or moved): near-linear in the
 * intervals whatever the order of the events; a test compares orders with it. */
uint64_t agg_series_steps(const struct agg *a);
/* Histogram rows by events descending; malloc'd copy. */
int agg_hist(struct agg *a, struct agg_hist_row **out);

/* Drop exited tasks idle for max_age_ns (a long-running consumer's memory bound); how many,
 * or -1 when out of memory (nothing dropped). */
int agg_expire(struct agg *a, uint64_t now_ns, uint64_t max_age_ns);

/* Approximate quantile q (0..1) of a kind's handler time in ns, from its histogram: linear
 * within the bucket that holds rank q x calls, clamped to [min_ns, max_ns]; 0 when no calls. */
double agg_handler_quantile(const struct agg_handler *h, double q);
/* The histogram bucket of a duration (exposed for tests). */
int agg_handler_bucket(uint64_t ns);

/* Median and MAD of v[0..n) (v is reordered). Exposed for tests. */
void agg_median_mad(double *v, int n, double *median, double *mad);
/* Is this comm a kernel thread's name? */
bool agg_is_kthread_comm(const char *comm);
#endif
