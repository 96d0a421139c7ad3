// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's series: what `tlbstat exporter` turns top's bounded per-interval model
 * (topview.h, counting through count.h) into, once per interval. Prometheus wants counters that
 * never go backwards per series and a bounded number of series; top gives per-interval counts
 * of a bounded LRU of processes. In between:
 *
 *  - node counters: the sum of every closed interval (exact; independent of the series).
 *  - per-process series for the top K processes of the interval by invalidations (events > 0),
 *    and one pid="other",comm="other" series for everyone else. A process gets a series once
 *    it was in the top K two intervals in a row (a process that lives for one interval, the
 *    common case under fork churn, never makes a series: rate() extrapolates a series of one
 *    or two samples past its ends, and the sum over many such series overshoots the node);
 *    the series starts at 0 (that interval's counts go to other: a counter's first sample shows
 *    no increase to rate()), a process staying adds its interval, and a process leaving the top
 *    K leaves its series where it was (Prometheus marks it stale) while its later counts go to
 *    other. Scrapes and intervals are not in step, so a series enters only once a scrape saw
 *    it at 0, and a leaver stays, frozen, for EXPV_LINGER intervals and until a scrape saw its
 *    last value (taking a slot before entrants do): a value no scrape saw is an increase lost
 *    for good, and rate() counts nothing of a series with one sample in its window. So each series only grows, and the sum of the series' increases over any window is
 *    the node's: sum(rate(tlb_invalidations_total[1m])) matches the node rate without spikes,
 *    which moving a leaver's whole past into other would create.
 *  - a fan-out histogram of remote flush requests (target CPUs), fed by the caller.
 *
 * Series are per process (pid, comm labels) or, made with EXPV_BY_CGROUP (exporter --by cgroup),
 * per cgroup: a cgroup label (the path, at most EXPV_LABEL_MAX - 1 bytes: a longer one keeps
 * its end), container and pod labels where the path names them, and cgroup="other"; the rows
 * must then be unique by cgroup label (the caller merges ids that share one).
 *
 * No state but the object; no I/O. Memory: 2 K series, 3 K keys, fixed at creation.
 */
#ifndef TLBSTAT_EXPVIEW_H
#define TLBSTAT_EXPVIEW_H
#include "count.h"
#include "prom.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define EXPV_FANOUT_BOUNDS 9          /* 1, 2, 4, ..., 256 target CPUs, then +Inf */
#define EXPV_LINGER 3                 /* intervals a leaver's series stays, frozen */
#define EXPV_LABEL_MAX 256            /* a cgroup label, NUL included */

enum expv_by { EXPV_BY_PID, EXPV_BY_CGROUP };

/* One process of a closed interval, as the caller's model ranked it (most invalidations first). */
struct expv_row {
	pid_t pid;
	const char *comm;                 /* NULL or "": "?" */
	const struct count_counts *c;     /* its counts in the interval */
	/* EXPV_BY_CGROUP: the cgroup label (< EXPV_LABEL_MAX bytes), container id and pod uid
	 * (NULL or "": none) */
	const char *cgroup, *container, *pod;
};

struct expv_series {
	pid_t pid;                        /* 0: other */
	char comm[16];
	uint64_t key;                     /* pid, or a hash of the cgroup label */
	char cgroup[EXPV_LABEL_MAX];      /* EXPV_BY_CGROUP; "other" for other */
	char container[65], pod[37];
	struct count_counts total;        /* since the series started */
	double rate;                      /* invalidations/s in the last interval */
	bool fresh;                       /* at 0 on a page no scrape has seen yet */
	int linger;                       /* left the top K: intervals it stays, frozen */
	struct count_rate r;              /* ... per core (count_rate_of) */
	enum tlb_health health;           /* of its interval's reasons (count_health_of) */
};

struct expv {
	int top_k, nr_cpus, page_size;
	enum expv_by by;
	struct expv_series *series, *spare;   /* [top_k]: the live ones, and the next set */
	int nr;
	uint64_t *cand, *cand_next;       /* [top_k]: last interval's top K without a series (keys) */
	int nr_cand;
	int *entrants;                    /* [top_k]: scratch of expv_interval */
	struct expv_series other;
	struct count_counts node;         /* every interval so far */
	struct count_rate node_r;         /* the last interval */
	enum tlb_health node_health;      /* the last interval's (count_health_of) */
	double secs;                      /* length of the last interval */
	uint64_t lost;                    /* lost events so far */
	uint64_t intervals;
	uint64_t fan[EXPV_FANOUT_BOUNDS + 1];
	double fan_sum;
};

/* top_k >= 1; nr_cpus for per-core rates (< 1: 1); page_size for bytes (0: 4096). NULL: no memory. */
struct expv *expv_new(int top_k, int nr_cpus, int page_size);
/* The same, with series per process (EXPV_BY_PID, as expv_new) or per cgroup. */
struct expv *expv_new_by(int top_k, int nr_cpus, int page_size, enum expv_by by);
void expv_free(struct expv *x);

/*
 * Close an interval of secs seconds: rows (ranked, any number: the first top_k with events > 0
 * are candidates for series), the node's counts of the interval and events lost in it.
 * page_seen: the page of the last interval was scraped (by every scraper). A new series stays at 0 (its counts go
 * to other) until a page showing it at 0 was seen: a scraper whose first sample of a counter is
 * already above 0 never counts that first increase, and would miss it for good.
 */
void expv_interval(struct expv *x, const struct expv_row *rows, int nr,
		   const struct count_counts *node, uint64_t lost, double secs, bool page_seen);
/* A remote flush request of nr target CPUs, for the fan-out histogram. */
void expv_request(struct expv *x, int nr);

/* What the metrics say about the machine (not counted by expv). */
struct expv_info {
	const char *transport;            /* "ipi", "hypervisor", "broadcast", "unknown" */
	bool victims_observable;
};

/* Every tlb_* family into b (HELP, TYPE, samples). 0, or -1 (out of memory). */
int expv_write(const struct expv *x, const struct expv_info *info, struct prom_buf *b);
#endif
