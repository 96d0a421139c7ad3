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
/* "significant", "not significant", "too short", "constant" */
const char *corr_verdict_name(enum corr_verdict v);
#endif
