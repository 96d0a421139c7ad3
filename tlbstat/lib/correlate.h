/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Correlation of two aligned time series (one value per interval, NaN for a gap): Pearson,
 * Spearman, the lagged cross-correlation (which leads, by how many intervals), and a p-value
 * that respects autocorrelation. Bursty series are strongly autocorrelated, and the textbook
 * p-value of r assumes independent samples: on two independent AR(1) series with phi 0.9 it
 * calls about 40 % of them significant at 5 %. The test here is a circular-shift test: x is
 * rotated against y by every shift far enough from 0 (more than max_lag + 1 intervals), which
 * keeps each series' own autocorrelation and breaks only their alignment; the statistic is the
 * largest |lagged Pearson r| over lags -max_lag..max_lag, so searching the lags is paid for in
 * the p-value too. No distribution tables needed (GSL is GPL-3; this is plain C).
 */
#ifndef TLBSTAT_CORRELATE_H
#define TLBSTAT_CORRELATE_H
#include <stdbool.h>
#include <stddef.h>

/* Fewer intervals (with both values) than this: no verdict. */
#define CORR_MIN_N 20
/* At most this many shifts are tried (evenly spaced) on long series. */
#define CORR_MAX_SHIFTS 999

enum corr_verdict {
	CORR_SIGNIFICANT,	/* p < alpha */
	CORR_NOT_SIGNIFICANT,
	CORR_TOO_SHORT,		/* fewer than CORR_MIN_N paired intervals, or too few shifts
				 * for the test to reach alpha at all */
	CORR_CONSTANT,		/* one series never changes: no correlation is defined */
};

struct corr_result {
	size_t n;		/* intervals where both have a value */
	double pearson, spearman;	/* at lag 0; NaN when undefined */
	int best_lag;		/* > 0: x leads y by best_lag intervals (x[t] goes with y[t+lag]) */
	double best_r;		/* Pearson r at best_lag (largest |r|) */
	double p_value;		/* circular-shift test of max |r| over the lags; NaN: no test */
	int nr_shifts;		/* shifts the test tried */
	enum corr_verdict verdict;
};

/* Pearson r of the pairs (x[t], y[t + lag]) where both are finite; NaN under 3 pairs or a
 * constant side. */
double corr_pearson_lag(const double *x, const double *y, size_t n, int lag);
/* Spearman's rho at lag 0 (average ranks for ties), over pairs where both are finite. */
double corr_spearman(const double *x, const double *y, size_t n);
/*
 * Everything above for x and y of n intervals, lags within +-max_lag (clamped to n / 4),
 * significance at alpha. 0, or -1 with "out of memory" in err.
 */
int corr_pair(const double *x, const double *y, size_t n, int max_lag, double alpha,
	      struct corr_result *r, char *err, size_t errlen);

/*
 * Burst attribution: which latency spikes come after invalidation bursts. A spike is an
 * interval whose latency is above median + k x MAD of the latency's intervals (the rule report
 * uses for bursts); it is "preceded" when a burst lies in the window [t - window, t] (its own
 * interval included: a burst early in an interval can precede a spike late in it). Whether
 * that happens more often than chance is the same circular-shift test as corr_pair: the spikes
 * are rotated against the bursts by every shift at least window + 2 from 0 (at most
 * CORR_MAX_SHIFTS), p = (1 + shifts with as many spikes preceded) / (1 + shifts).
 */
struct corr_spikes {
	double median, mad, threshold;	/* of the latency, in its unit */
	int window;			/* intervals searched before each spike */
	size_t n;			/* intervals with a latency value */
	size_t nr_bursts;
	size_t nr_spikes, nr_preceded;
	size_t *spike;			/* the spikes' intervals, ascending (malloc'd) */
	int *lag;			/* per spike: intervals back to the nearest burst, -1 none */
	int common_lag;			/* the most frequent lag among preceded spikes; -1 none */
	double chance;			/* share of intervals with a burst in their window */
	double p_value;			/* NaN: no test */
	int nr_shifts;
	/* CORR_TOO_SHORT: fewer than CORR_MIN_N intervals or too few shifts; CORR_CONSTANT: no
	 * spike or no burst, nothing to attribute */
	enum corr_verdict verdict;
};

/*
 * Spikes of lat (n intervals, NaN: no value) against burst[n]; k <= 0 means 3. 0, or -1 with
 * "out of memory" in err. corr_spikes_free releases s's arrays.
 */
int corr_spikes(const double *lat, const bool *burst, size_t n, int window, double k,
		double alpha, struct corr_spikes *s, char *err, size_t errlen);
void corr_spikes_free(struct corr_spikes *s);
/* Median and MAD (median absolute deviation) of the finite values of v[0..n); NaN when none. */
void corr_median_mad(const double *v, size_t n, double *median, double *mad);

/* One interval's invalidations and the processes behind most of them (report's top 3). */
#define CORR_TOP 3
struct corr_proc {
	int pid;
	char comm[16];
	double n;		/* invalidations */
};
struct corr_top {
	double events;		/* all invalidations of the interval */
	struct corr_proc p[CORR_TOP];	/* n == 0: unused */
};
/*
 * Who caused the bursts that preceded spikes: every burst interval within the window of a
 * preceded spike counted once; per pid its invalidations there, by n descending, into *out
 * (malloc'd, *nr entries); *total: all invalidations of those intervals (the share's base).
 * 0, or -1 when out of memory.
 */
int corr_blame(const struct corr_spikes *s, const bool *burst, const struct corr_top *top,
	       size_t n, struct corr_proc **out, int *nr, double *total);
/*
 * The plain-language sentence for a spike analysis of the column lat_name (the burst
 * attribution's finding), e.g. "lat.p99_us spikes followed invalidation bursts within 2
 * intervals (most often 1) in 14 of 16 cases, against 20 % by chance (p 0.002): significant;
 * pid 812 (python) caused 91 % of the invalidations in those bursts". blame may be NULL.
 */
void corr_spikes_text(const struct corr_spikes *s, const char *lat_name,
		      const struct corr_proc *blame, int nr_blame, double total, char *buf,
		      size_t len);

/* "significant", "not significant", "too short", "constant" */
const char *corr_verdict_name(enum corr_verdict v);
#endif
