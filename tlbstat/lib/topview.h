/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The model behind `tlbstat top`: per-interval counters per process, thread and CPU, fed with
 * decoded events (event.h) from a live session, closed once per refresh, and rendered as text
 * lines that both the batch output and the ncurses screen print.
 *
 * Why not agg.h: top needs memory bounded under thousands of short-lived pids (a fixed cap with
 * LRU eviction and idle age-out of tasks that never sent an exit record; agg keeps every name it
 * was told and drops only exited tasks), per-process counts of generic tracepoints (--events;
 * agg counts only TLB kinds per task) and a per-task history of the last intervals for the trend
 * column. What an event counts is count.h's (invalidations, bytes excluding reason 4, full
 * flushes, remote sends, victims, requests, targets and fan-out, csd grouping, health), as for
 * report, so that top and report agree; a csd request counts here as its targets come (in the
 * interval where they come), to the task of its first event.
 *
 * Memory: two fixed pools (max_procs, max_threads entries) allocated once, plus per-CPU arrays.
 * Per event: one or two hash look-ups and a few increments.
 */
#ifndef TLBSTAT_TOPVIEW_H
#define TLBSTAT_TOPVIEW_H
#include "count.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct tlb_event;
struct cgtab;

#define TOP_HIST 10                  /* intervals in the trend column */
#define TOP_CGROUP_W 40              /* the CGROUP column (top -s cgroup): a longer path shows its end */

enum top_sort { TOP_SORT_RATE, TOP_SORT_REMOTE, TOP_SORT_BYTES, TOP_SORT_FANOUT, TOP_SORT_EVENTS,
		TOP_NR_SORTS };
/* "rate", "remote", "bytes", "fanout", "events"; parse: -1 if unknown. */
const char *top_sort_name(enum top_sort s);
int top_sort_parse(const char *s);

#define TOP_CAUSES 4                 /* causes tracked per task and interval (space-saving) */

/* Counts of one interval. */
struct top_counts {
	struct count_counts cnt;     /* count.h: invalidations, reasons, bytes, requests, ... */
	uint64_t gen;                /* generic tracepoint hits (--events) */
	/* the most frequent causes of its invalidations (ids of cfg.causes): the counts are
	 * exact while at most TOP_CAUSES causes were seen, upper bounds after (space-saving) */
	struct { uint16_t id; uint32_t n; } cause[TOP_CAUSES];
};

struct top_task {
	pid_t pid, tid;                  /* tid 0: a process */
	char comm[16];
	struct top_counts cur;           /* the open interval */
	struct top_counts last;          /* the last closed interval (what is shown) */
	float hist[TOP_HIST];            /* invalidations/s of the last intervals, oldest first */
	uint64_t seen_iv;                /* last interval with an event */
	uint64_t cgroup;                 /* the cgroup id of its latest event (0: none seen) */
	int members;                     /* top_model_cgroup_rows: processes in the group */
	/* internal */
	int hnext, lprev, lnext;
	bool used;
};

struct top_config {
	int page_size;                   /* 0 = 4096 */
	int nr_cpus;                     /* for per-core rates; 0 = 1 */
	int max_procs, max_threads;      /* 0 = 4096, 16384 */
	int age_intervals;               /* drop tasks without events for this many; 0 = 10 */
	uint64_t group_window_ns;        /* csd grouping window (count_group_new); 0 = 100 us */
	bool read_proc_comm;             /* name tasks from /proc on first sight (tests: false) */
	struct cause_cache *causes;      /* classify flushes with a kernel chain (cause.h); NULL:
					    no causes. The caller's, for the model's life. */
	/*
	 * Each whole request as it ends, for a caller that wants them (the exporter's fan-out):
	 * one that an event is (count_request_of), a csd request that the model's grouper closes
	 * (count_group_feed), or one top_model_expire_requests() closes. NULL: none.
	 */
	void (*request_done)(void *ctx, const struct count_request *r);
	void *request_ctx;
};

struct top_model;
struct cause_cache;
/* The top cause of a task's last interval: its id, and its share of the task's invalidations;
 * false when it had no classified flush. */
bool top_task_cause(const struct top_task *t, int *id, double *share);

/* NULL when out of memory. */
struct top_model *top_model_new(const struct top_config *cfg);
void top_model_free(struct top_model *m);

/* A decoded event (TLB kinds, exec, rename; others are ignored). -1 when out of memory. */
int top_model_event(struct top_model *m, const struct tlb_event *ev);
/* Close the open csd requests whose last event is older than before - the grouping window
 * (count_group_expire), each to cfg.request_done. */
void top_model_expire_requests(struct top_model *m, uint64_t before);
/* A hit of a generic tracepoint (--events). -1 when out of memory. */
int top_model_generic(struct top_model *m, pid_t pid, pid_t tid, int cpu);
void top_model_comm(struct top_model *m, pid_t pid, pid_t tid, const char *comm);
void top_model_lost(struct top_model *m, uint64_t nr);
/* Keep a process listed (as seen now) even without events: top -p shows idle processes too. */
void top_model_track(struct top_model *m, pid_t pid);
/* Close the interval of secs seconds: counts move to .last, trends shift, idle tasks age out. */
void top_model_close(struct top_model *m, double secs);

/* Node figures of the last closed interval. */
struct top_node {
	double secs;
	int nr_cpus;
	int page_size;
	struct top_counts c;
	uint64_t lost, lost_total;
	uint64_t remote_total, victim_total;      /* since the start (transport evidence) */
	uint64_t intervals;
	int nr_procs, nr_threads;                 /* tracked now */
	uint64_t evicted;                         /* tasks dropped for the cap (LRU) */
	int cpu_slots;                            /* highest cpu + 1 */
	const uint64_t *cpu_inv;                  /* [cpu_slots] invalidations per cpu */
	const uint64_t *cpu_gen;                  /* [cpu_slots] generic hits per cpu */
};
void top_model_node(const struct top_model *m, struct top_node *n);

/*
 * Processes (pid_filter NULL or nr 0: all) or the threads of one process (threads_of > 0),
 * sorted by key on the last interval; at most max rows (0: all). Array malloc'd; the tasks
 * belong to the model until the next close. -1 when out of memory.
 */
int top_model_rows(struct top_model *m, enum top_sort by, pid_t threads_of,
		   const pid_t *pid_filter, int nr_filter, int max, struct top_task ***out);
struct top_task *top_model_find_process(struct top_model *m, pid_t pid);
/*
 * The processes grouped by cgroup (top -s cgroup): one row per cgroup id with the sums of its
 * processes' counts and trends (a process counts in the cgroup of its latest event), sorted by
 * key; pid_filter as above; at most max rows (0: all). *rows is a malloc'd array of nr rows
 * (pid and tid 0, cgroup, members), *out pointers into it in order. -1 when out of memory.
 */
int top_model_cgroup_rows(struct top_model *m, enum top_sort by, const pid_t *pid_filter,
			  int nr_filter, int max, struct top_task **rows, struct top_task ***out);

/* ---------------- text rendering (batch and screen) ---------------- */

struct top_render {
	enum top_sort sort;
	bool victims_observable;
	const char *transport;           /* "hypervisor" */
	const char *victims_note;        /* transport_victims_note() */
	bool generic;                    /* --events given: show EVENTS/s */
	bool lab;                        /* tlb:tlb_invalidation (patches/) in the set: ASKED/s */
	const struct cause_cache *causes;/* CAUSE column (the top cause and its share) when set */
	const char *generic_name;        /* "raw_syscalls:sys_enter" */
	bool utf8;                       /* sparkline with block characters */
	int width;                       /* line width for the CPU strip (0 = 100) */
	const int *cpus;                 /* the CPUs watched, ascending (-C); NULL: every one */
	int nr_cpus;
	bool by_cgroup;                  /* rows are cgroups (top_model_cgroup_rows) */
	const struct cgtab *cg;          /* their paths (cgroup.h); NULL: ids only */
};

/* Rates: "7012.0", "12.3k", "4.5M". */
void top_fmt_rate(char *buf, size_t len, double v);
/* Bytes per second: "0", "512", "57.4K", "3.2M", "1.1G" (binary units). */
void top_fmt_bytes(char *buf, size_t len, double v);
/* The trend of a task: TOP_HIST cells scaled to the task's own maximum. */
void top_fmt_trend(char *buf, size_t len, const struct top_task *t, bool utf8);
/* Health of a task: its rate spread over the node's CPUs (count_rate_of). */
const char *top_task_health(const struct top_task *t, const struct top_node *n);

/* Header lines (without newline): returns how many were written into lines[max][len]. */
int top_fmt_header(char lines[][256], int max, const struct top_node *n, const struct top_render *r);
/* The column titles; the sort column is marked with '*' after its name. */
void top_fmt_columns(char *buf, size_t len, const struct top_render *r, bool threads);
/* One row; health word position (offset and length) for colouring, may be NULL. */
void top_fmt_row(char *buf, size_t len, const struct top_task *t, const struct top_node *n,
		 const struct top_render *r, int *health_off, int *health_len);
/* A whole snapshot to a stream: header, CPU strip, columns, rows, one blank line. */
void top_print_batch(FILE *f, const char *stamp, struct top_model *m, const struct top_render *r,
		     const pid_t *pid_filter, int nr_filter, int rows);
#endif
