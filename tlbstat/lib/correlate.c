// SPDX-License-Identifier: GPL-2.0
/* Correlation of aligned series: Pearson, Spearman, lags, a circular-shift p-value. */
#include "correlate.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

double corr_pearson_lag(const double *x, const double *y, size_t n, int lag)
{
	double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, m = 0, vx, vy;
	size_t t0 = lag < 0 ? (size_t)-lag : 0, t1 = lag > 0 ? n - (size_t)lag : n;

	if ((size_t)labs(lag) >= n)
		return NAN;
	/* two passes: the means first, so sums of squares do not cancel on large values */
	for (size_t t = t0; t < t1; t++)
		if (isfinite(x[t]) && isfinite(y[t + lag])) {
			sx += x[t];
			sy += y[t + lag];
			m++;
		}
	if (m < 3)
		return NAN;
	sx /= m;
	sy /= m;
	for (size_t t = t0; t < t1; t++)
		if (isfinite(x[t]) && isfinite(y[t + lag])) {
			double dx = x[t] - sx, dy = y[t + lag] - sy;

			sxx += dx * dx;
			syy += dy * dy;
			sxy += dx * dy;
		}
	vx = sxx / m;
	vy = syy / m;
	/* "constant": no spread beyond rounding of the values' own size */
	if (vx <= 1e-24 * (sx * sx + 1) || vy <= 1e-24 * (sy * sy + 1))
		return NAN;
	return sxy / sqrt(sxx * syy);
}

struct ranked {
	double v;
	size_t i;
};

static int cmp_ranked(const void *a, const void *b)
{
	double x = ((const struct ranked *)a)->v, y = ((const struct ranked *)b)->v;

	return x < y ? -1 : x > y;
}

/* Ranks (1-based, ties averaged) of v[0..m) into rank[]; tmp has m entries. */
static void ranks(const double *v, size_t m, double *rank, struct ranked *tmp)
{
	for (size_t i = 0; i < m; i++)
		tmp[i] = (struct ranked){ v[i], i };
	qsort(tmp, m, sizeof(*tmp), cmp_ranked);
	for (size_t i = 0, j; i < m; i = j) {
		for (j = i + 1; j < m && tmp[j].v == tmp[i].v; j++)
			;
		for (size_t k = i; k < j; k++)
			rank[tmp[k].i] = (i + j + 1) / 2.0;	/* mean of ranks i+1 .. j */
	}
}

double corr_spearman(const double *x, const double *y, size_t n)
{
	double *px = malloc(4 * n * sizeof(double) + 1), r = NAN;
	struct ranked *tmp = malloc(n * sizeof(*tmp) + 1);
	size_t m = 0;

	if (!px || !tmp)
		goto out;
	for (size_t t = 0; t < n; t++)
		if (isfinite(x[t]) && isfinite(y[t])) {
			px[m] = x[t];
			px[n + m] = y[t];
			m++;
		}
	ranks(px, m, px + 2 * n, tmp);
	ranks(px + n, m, px + 3 * n, tmp);
	r = corr_pearson_lag(px + 2 * n, px + 3 * n, m, 0);
out:
	free(px);
	free(tmp);
	return r;
}

/* The largest |r| over lags -max_lag..max_lag, and where (the first of equals, smallest |lag|). */
static double max_abs_r(const double *x, const double *y, size_t n, int max_lag, int *at)
{
	double best = NAN;
	int order[2] = { 1, -1 };

	*at = 0;
	for (int a = 0; a <= max_lag; a++)
		for (int s = 0; s < (a ? 2 : 1); s++) {
			int lag = a * order[s];
			double r = corr_pearson_lag(x, y, n, lag);

			if (isfinite(r) && (!isfinite(best) || fabs(r) > fabs(best))) {
				best = r;
				*at = lag;
			}
		}
	return best;
}

/*
 * p = (1 + #shifts whose statistic >= the observed one) / (1 + #shifts): x rotated by each
 * shift s in [gap, n - gap], gap = max_lag + 2 (a rotation by less is a lag the statistic
 * already searched), at most CORR_MAX_SHIFTS of them evenly spaced.
 */
static double shift_test(const double *x, const double *y, size_t n, int max_lag, double obs,
			 int *nr_shifts, double *rot)
{
	size_t gap = 2 * (size_t)max_lag + 2, span, step;
	int ge = 0, tried = 0, at;

	*nr_shifts = 0;
	if (n < 2 * gap + 1)
		return NAN;
	span = n - 2 * gap + 1;
	step = span > CORR_MAX_SHIFTS ? (span + CORR_MAX_SHIFTS - 1) / CORR_MAX_SHIFTS : 1;
	for (size_t s = gap; s <= n - gap; s += step) {
		double r;

		memcpy(rot, x + s, (n - s) * sizeof(*x));
		memcpy(rot + (n - s), x, s * sizeof(*x));
		r = max_abs_r(rot, y, n, max_lag, &at);
		tried++;
		if (!isfinite(r) || fabs(r) >= fabs(obs) - 1e-12)
			ge++;
	}
	*nr_shifts = tried;
	return (1.0 + ge) / (1.0 + tried);
}

int corr_pair(const double *x, const double *y, size_t n, int max_lag, double alpha,
	      struct corr_result *r, char *err, size_t errlen)
{
	double *rot;

	memset(r, 0, sizeof(*r));
	r->pearson = r->spearman = r->best_r = r->p_value = NAN;
	for (size_t t = 0; t < n; t++)
		r->n += isfinite(x[t]) && isfinite(y[t]);
	if (max_lag < 0)
		max_lag = 0;
	if ((size_t)max_lag > n / 4)
		max_lag = (int)(n / 4);
	if (r->n < CORR_MIN_N) {
		r->verdict = CORR_TOO_SHORT;
		return 0;
	}
	r->pearson = corr_pearson_lag(x, y, n, 0);
	r->spearman = corr_spearman(x, y, n);
	r->best_r = max_abs_r(x, y, n, max_lag, &r->best_lag);
	if (!isfinite(r->best_r)) {
		r->verdict = CORR_CONSTANT;
		return 0;
	}
	rot = malloc(n * sizeof(*rot));
	if (!rot) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->p_value = shift_test(x, y, n, max_lag, r->best_r, &r->nr_shifts, rot);
	free(rot);
	/* a test whose smallest possible p is not below alpha cannot say anything */
	if (!isfinite(r->p_value) || 1.0 / (1 + r->nr_shifts) >= alpha)
		r->verdict = CORR_TOO_SHORT;
	else
		r->verdict = r->p_value < alpha ? CORR_SIGNIFICANT : CORR_NOT_SIGNIFICANT;
	return 0;
}

const char *corr_verdict_name(enum corr_verdict v)
{
	static const char *const names[] = {
		[CORR_SIGNIFICANT] = "significant", [CORR_NOT_SIGNIFICANT] = "not significant",
		[CORR_TOO_SHORT] = "too short", [CORR_CONSTANT] = "constant",
	};

	return v <= CORR_CONSTANT ? names[v] : "?";
}
