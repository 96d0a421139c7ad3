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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_sorted(const double *v, size_t m)
{
	return m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
}

void corr_median_mad(const double *v, size_t n, double *median, double *mad)
{
	double *w = malloc(n * sizeof(*w) + 1);
	size_t m = 0;

	*median = *mad = NAN;
	if (!w)
		return;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]))
			w[m++] = v[i];
	if (m) {
		qsort(w, m, sizeof(*w), cmp_double);
		*median = median_sorted(w, m);
		for (size_t i = 0; i < m; i++)
			w[i] = fabs(w[i] - *median);
		qsort(w, m, sizeof(*w), cmp_double);
		*mad = median_sorted(w, m);
	}
	free(w);
}

/* Intervals back from t to the nearest burst within window; -1 when none. */
static int burst_lag(const bool *burst, size_t n, size_t t, int window)
{
	for (int d = 0; d <= window && (size_t)d <= t; d++)
		if (t - d < n && burst[t - d])
			return d;
	return -1;
}

int corr_spikes(const double *lat, const bool *burst, size_t n, int window, double k,
		double alpha, struct corr_spikes *s, char *err, size_t errlen)
{
	size_t gap, ge = 0, tried = 0, step, span, covered = 0;
	int *hist;

	memset(s, 0, sizeof(*s));
	s->p_value = NAN;
	s->common_lag = -1;
	s->window = window < 0 ? 0 : window;
	if (k <= 0)
		k = 3;
	corr_median_mad(lat, n, &s->median, &s->mad);
	s->threshold = s->median + k * s->mad;
	s->spike = malloc(n * sizeof(*s->spike) + 1);
	s->lag = malloc(n * sizeof(*s->lag) + 1);
	hist = calloc(s->window + 1, sizeof(*hist));
	if (!s->spike || !s->lag || !hist) {
		free(hist);
		corr_spikes_free(s);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t t = 0; t < n; t++) {
		s->n += isfinite(lat[t]);
		s->nr_bursts += burst[t];
		covered += isfinite(lat[t]) && burst_lag(burst, n, t, s->window) >= 0;
		if (!isfinite(lat[t]) || !(lat[t] > s->threshold))
			continue;
		s->lag[s->nr_spikes] = burst_lag(burst, n, t, s->window);
		if (s->lag[s->nr_spikes] >= 0) {
			s->nr_preceded++;
			hist[s->lag[s->nr_spikes]]++;
		}
		s->spike[s->nr_spikes++] = t;
	}
	s->chance = s->n ? (double)covered / s->n : NAN;
	for (int d = 0; d <= s->window; d++)
		if (hist[d] && (s->common_lag < 0 || hist[d] > hist[s->common_lag]))
			s->common_lag = d;
	free(hist);
	if (s->n < CORR_MIN_N) {
		s->verdict = CORR_TOO_SHORT;
		return 0;
	}
	if (!s->nr_spikes || !s->nr_bursts) {
		s->verdict = CORR_CONSTANT;
		return 0;
	}
	/* the spikes rotated by sh: how many then have a burst in their window */
	gap = (size_t)s->window + 2;
	if (n < 2 * gap + 1) {
		s->verdict = CORR_TOO_SHORT;
		return 0;
	}
	span = n - 2 * gap + 1;
	step = span > CORR_MAX_SHIFTS ? (span + CORR_MAX_SHIFTS - 1) / CORR_MAX_SHIFTS : 1;
	for (size_t sh = gap; sh <= n - gap; sh += step) {
		size_t hit = 0;

		for (size_t i = 0; i < s->nr_spikes; i++)
			hit += burst_lag(burst, n, (s->spike[i] + sh) % n, s->window) >= 0;
		ge += hit >= s->nr_preceded;
		tried++;
	}
	s->nr_shifts = (int)tried;
	s->p_value = (1.0 + ge) / (1.0 + tried);
	if (1.0 / (1 + tried) >= alpha)
		s->verdict = CORR_TOO_SHORT;
	else
		s->verdict = s->p_value < alpha ? CORR_SIGNIFICANT : CORR_NOT_SIGNIFICANT;
	return 0;
}

void corr_spikes_free(struct corr_spikes *s)
{
	free(s->spike);
	free(s->lag);
	s->spike = NULL;
	s->lag = NULL;
}

static int cmp_proc(const void *a, const void *b)
{
	const struct corr_proc *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

int corr_blame(const struct corr_spikes *s, const bool *burst, const struct corr_top *top,
	       size_t n, struct corr_proc **out, int *nr, double *total)
{
	bool *seen = calloc(n + 1, sizeof(*seen));
	struct corr_proc *v = NULL;
	int cap = 0;

	*out = NULL;
	*nr = 0;
	*total = 0;
	if (!seen)
		return -1;
	for (size_t i = 0; i < s->nr_spikes; i++) {
		size_t t = s->spike[i];

		for (int d = 0; d <= s->window && (size_t)d <= t; d++) {
			size_t b = t - d;

			if (b >= n || !burst[b] || seen[b])
				continue;
			seen[b] = true;
			*total += top[b].events;
			for (int k = 0; k < CORR_TOP && top[b].p[k].n > 0; k++) {
				int j;

				for (j = 0; j < *nr && v[j].pid != top[b].p[k].pid; j++)
					;
				if (j == *nr) {
					if (*nr == cap) {
						struct corr_proc *w;

						cap = cap ? 2 * cap : 16;
						w = realloc(v, cap * sizeof(*v));
						if (!w) {
							free(v);
							free(seen);
							*nr = 0;
							return -1;
						}
						v = w;
					}
					v[(*nr)++] = top[b].p[k];
				} else {
					v[j].n += top[b].p[k].n;
				}
			}
		}
	}
	free(seen);
	if (*nr)
		qsort(v, *nr, sizeof(*v), cmp_proc);
	*out = v;
	return 0;
}

void corr_spikes_text(const struct corr_spikes *s, const char *lat_name,
		      const struct corr_proc *blame, int nr_blame, double total, char *buf,
		      size_t len)
{
	size_t o = 0;

	switch (s->verdict) {
	case CORR_TOO_SHORT:
		snprintf(buf, len, "%s: too short for a verdict on spikes after bursts (%zu "
			 "intervals with a value; at least %d, and enough for the shift test)",
			 lat_name, s->n, CORR_MIN_N);
		return;
	case CORR_CONSTANT:
		if (!s->nr_spikes)
			snprintf(buf, len, "%s has no spikes (no interval above median %.4g + 3 x MAD "
				 "%.4g): nothing to attribute", lat_name, s->median, s->mad);
		else
			snprintf(buf, len, "%s has %zu spikes but the recording has no invalidation "
				 "bursts: nothing to attribute", lat_name, s->nr_spikes);
		return;
	default:
		break;
	}
	o += snprintf(buf + o, len - o, "%s spikes followed invalidation bursts within %d "
		      "interval%s", lat_name, s->window, s->window == 1 ? "" : "s");
	if (s->common_lag >= 0 && o < len)
		o += snprintf(buf + o, len - o, " (most often %d)", s->common_lag);
	if (o < len)
		o += snprintf(buf + o, len - o, " in %zu of %zu cases, against %.0f %% by chance "
			      "(p %.3g): %s", s->nr_preceded, s->nr_spikes, s->chance * 100,
			      s->p_value, s->verdict == CORR_SIGNIFICANT ? "significant" :
			      "not significant");
	if (nr_blame > 0 && total > 0 && o < len)
		snprintf(buf + o, len - o, "; pid %d (%s) caused %.0f %% of the invalidations in "
			 "those bursts", blame[0].pid, blame[0].comm[0] ? blame[0].comm : "?",
			 100 * blame[0].n / total);
}
