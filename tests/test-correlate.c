// SPDX-License-Identifier: GPL-2.0
/*
 * lib/correlate.c on constructed series with known answers: perfect, inverse, lagged by k,
 * monotone but not linear, none, constant, too short, gaps, ties; and the point of the
 * circular-shift test: independent AR(1) pairs (phi 0.9) come out "significant at 5 %" in
 * about 5 % of 200 seeds (band 1-12 %), where the textbook test of r says far more.
 */
#include "correlate.h"
#include "tap.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define N 200

/* splitmix64: a deterministic PRNG, the same numbers on every machine */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double uniform(uint64_t *s)
{
	return ((rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(uint64_t *s)
{
	return sqrt(-2 * log(uniform(s))) * cos(2 * M_PI * uniform(s));
}

static void ar1(double *v, size_t n, double phi, uint64_t *s)
{
	v[0] = normal(s) / sqrt(1 - phi * phi);
	for (size_t t = 1; t < n; t++)
		v[t] = phi * v[t - 1] + normal(s);
}

static int near(double a, double b, double eps)
{
	return fabs(a - b) <= eps;
}

static void known_answers(void)
{
	double x[N], y[N];
	struct corr_result r;
	char err[64];
	uint64_t seed = 1;

	ar1(x, N, 0.7, &seed);
	for (int t = 0; t < N; t++)
		y[t] = 2 * x[t] + 3;
	ok(!corr_pair(x, y, N, 5, 0.05, &r, err, sizeof(err)), "perfect: runs");
	ok(near(r.pearson, 1, 1e-12) && near(r.spearman, 1, 1e-12), "perfect: pearson %.6f spearman %.6f", r.pearson, r.spearman);
	is_int(r.best_lag, 0, "perfect: best lag 0");
	ok(r.verdict == CORR_SIGNIFICANT && r.p_value < 0.01, "perfect: significant (p %.4f, %d shifts)", r.p_value, r.nr_shifts);

	for (int t = 0; t < N; t++)
		y[t] = -x[t];
	corr_pair(x, y, N, 5, 0.05, &r, err, sizeof(err));
	ok(near(r.pearson, -1, 1e-12) && near(r.spearman, -1, 1e-12) && near(r.best_r, -1, 1e-12),
	   "inverse: -1 (pearson %.6f, best r %.6f)", r.pearson, r.best_r);
	ok(r.verdict == CORR_SIGNIFICANT, "inverse: significant (p %.4f)", r.p_value);

	/* y follows x by 3 intervals: x leads, best lag +3, r 1 there, weaker at lag 0 */
	for (int t = 0; t < N; t++)
		y[t] = t >= 3 ? x[t - 3] : NAN;
	corr_pair(x, y, N, 5, 0.05, &r, err, sizeof(err));
	is_int(r.best_lag, 3, "lagged by 3: best lag +3 (x leads)");
	ok(near(r.best_r, 1, 1e-12), "lagged by 3: r at the lag %.6f", r.best_r);
	ok(fabs(r.pearson) < 0.8, "lagged by 3: lag-0 pearson weaker (%.3f)", r.pearson);
	ok(r.verdict == CORR_SIGNIFICANT, "lagged by 3: significant (p %.4f)", r.p_value);
	corr_pair(y, x, N, 5, 0.05, &r, err, sizeof(err));
	is_int(r.best_lag, -3, "swapped: best lag -3 (the first follows)");

	for (int t = 0; t < N; t++)
		y[t] = x[t] * x[t] * x[t];
	corr_pair(x, y, N, 5, 0.05, &r, err, sizeof(err));
	ok(near(r.spearman, 1, 1e-12) && r.pearson < 0.99, "monotone cubic: spearman 1, pearson %.3f", r.pearson);

	for (int t = 0; t < N; t++)
		y[t] = 42;
	corr_pair(x, y, N, 5, 0.05, &r, err, sizeof(err));
	ok(r.verdict == CORR_CONSTANT && isnan(r.pearson) && isnan(r.p_value), "constant: verdict constant, no r, no p");
	is_str(corr_verdict_name(r.verdict), "constant", "constant: named");

	corr_pair(x, x, 10, 2, 0.05, &r, err, sizeof(err));
	ok(r.verdict == CORR_TOO_SHORT && isnan(r.p_value), "10 intervals: too short");
	corr_pair(x, x, 24, 5, 0.05, &r, err, sizeof(err));
	ok(r.verdict == CORR_TOO_SHORT, "24 intervals, lags 5: %d shifts cannot reach 5 %%: too short", r.nr_shifts);

	/* gaps: NaN on either side drops the pair, the rest still correlates exactly */
	for (int t = 0; t < N; t++)
		y[t] = t % 7 == 0 ? NAN : 5 - x[t];
	x[11] = NAN;
	corr_pair(x, y, N, 5, 0.05, &r, err, sizeof(err));
	ok(near(r.pearson, -1, 1e-12), "gaps: pearson over the paired intervals -1 (%.6f)", r.pearson);
	is_int(r.n, N - (N + 6) / 7 - 1, "gaps: n counts the intervals where both have a value");

	/* independent white noise: no correlation (this seed) */
	seed = 99;
	for (int t = 0; t < N; t++)
		x[t] = normal(&seed);
	for (int t = 0; t < N; t++)
		y[t] = normal(&seed);
	corr_pair(x, y, N, 5, 0.05, &r, err, sizeof(err));
	ok(r.verdict == CORR_NOT_SIGNIFICANT && fabs(r.pearson) < 0.2, "none: not significant (r %.3f, p %.3f)", r.pearson, r.p_value);
}

static void spearman_ties(void)
{
	double x[] = { 1, 2, 3, 4, 5 }, y[] = { 5, 6, 7, 8, 7 };

	/* ranks of y: 1, 2, 3.5, 5, 3.5 -> r = 8 / sqrt(10 * 9.5) */
	ok(near(corr_spearman(x, y, 5), 8 / sqrt(95), 1e-12), "spearman with ties: %.9f", corr_spearman(x, y, 5));
	/* pearson of the same: deviations -2..2 and 0, 1, 2, 3, 2 (mean 6.6): sxy 6, syy 5.2 */
	ok(near(corr_pearson_lag(x, y, 5, 0), 6 / sqrt(10 * 5.2), 1e-12), "pearson on 5 points: %.9f",
	   corr_pearson_lag(x, y, 5, 0));
	ok(isnan(corr_pearson_lag(x, y, 2, 0)), "pearson under 3 pairs: NaN");
}

/* Independent AR(1) pairs, phi 0.9: how often is each test "significant at 5 %"? */
static void ar1_size(void)
{
	int sig = 0, naive = 0, seeds = 200;
	double x[N], y[N];
	struct corr_result r;
	char err[64];

	for (int k = 0; k < seeds; k++) {
		uint64_t s = 1000 + k;

		ar1(x, N, 0.9, &s);
		ar1(y, N, 0.9, &s);
		corr_pair(x, y, N, 5, 0.05, &r, err, sizeof(err));
		sig += r.verdict == CORR_SIGNIFICANT;
		/* the textbook test of r (Fisher z, normal): assumes independent intervals */
		naive += fabs(atanh(r.pearson)) * sqrt(N - 3) > 1.959964;
	}
	printf("# AR(1) phi 0.9, n %d, %d seeds: circular-shift test %d %%, textbook test %d %%\n",
	       N, seeds, 100 * sig / seeds, 100 * naive / seeds);
	ok(sig >= seeds / 100 && sig <= seeds * 12 / 100,
	   "independent AR(1): significant at 5 %% in %d of %d seeds (band 1-12 %%)", sig, seeds);
	ok(naive > 2 * sig, "the textbook test is fooled far more often (%d of %d)", naive, seeds);
}

/*
 * Burst attribution (corr_spikes, corr_blame): spikes placed k intervals after bursts are found
 * preceded with the lag k, significant; spikes placed independently of the bursts are
 * "significant" in about 5 % of seeds; no spike, no burst, a short series: said.
 */
static void spikes_known(void)
{
	double lat[N];
	bool burst[N] = { false };
	struct corr_top top[N] = { 0 };
	struct corr_spikes s;
	struct corr_proc *blame;
	int nb;
	double total;
	char err[64], text[1024];
	uint64_t seed = 7;
	int want = 0;

	/* bursts at random (none within 4 of another), latency flat but for noise of +-5 % */
	for (int t = 0, last = -10; t < N; t++) {
		burst[t] = t - last > 4 && uniform(&seed) < 0.1;
		last = burst[t] ? t : last;
		want += burst[t] && t + 2 < N;
		lat[t] = 95 + 10 * uniform(&seed);
		top[t].events = 100;
		top[t].p[0] = (struct corr_proc){ 812, "python", burst[t] ? 91 : 50 };
		top[t].p[1] = (struct corr_proc){ 9, "kworker/0:1", burst[t] ? 9 : 50 };
	}
	for (int t = 2; t < N; t++)
		if (burst[t - 2])
			lat[t] = 400;	/* every burst: a spike two intervals later */
	ok(corr_spikes(lat, burst, N, 3, 3, 0.05, &s, err, sizeof(err)) == 0, "corr_spikes runs");
	ok(want >= 10, "the constructed series has %d bursts", want);
	is_int(s.nr_spikes, want, "a spike per burst (%d), none from the noise", want);
	is_int(s.nr_preceded, want, "... all preceded by a burst within 3 intervals");
	is_int(s.common_lag, 2, "... most often 2 intervals back");
	ok(s.verdict == CORR_SIGNIFICANT && s.p_value < 0.01, "... significant (p %.4f)",
	   s.p_value);
	ok(s.chance > 0.2 && s.chance < 0.6, "chance: the share of intervals with a burst within "
	   "3 before (%.3f)", s.chance);
	ok(corr_blame(&s, burst, top, N, &blame, &nb, &total) == 0 && nb == 2 &&
	   blame[0].pid == 812 && near(blame[0].n / total, 0.91, 1e-9),
	   "corr_blame: pid 812 caused 91 %% of the invalidations in the preceding bursts");
	corr_spikes_text(&s, "lat.p99", blame, nb, total, text, sizeof(text));
	snprintf(err, sizeof(err), "in %d of %d cases", want, want);
	ok(strstr(text, err) && strstr(text, "most often 2") &&
	   strstr(text, "pid 812 (python) caused 91 %"), "the sentence: %s", text);
	free(blame);
	corr_spikes_free(&s);

	/* the same spikes, the bursts moved to just after them: not preceded */
	for (int t = N - 1; t >= 0; t--)
		burst[t] = t >= 3 && burst[t - 3];
	corr_spikes(lat, burst, N, 3, 3, 0.05, &s, err, sizeof(err));
	ok(s.nr_preceded == 0 && s.verdict == CORR_NOT_SIGNIFICANT && s.p_value == 1,
	   "bursts after the spikes, not before: 0 preceded, not significant");
	corr_spikes_free(&s);
	for (int t = 0; t < N; t++)
		lat[t] = 100;
	corr_spikes(lat, burst, N, 3, 3, 0.05, &s, err, sizeof(err));
	ok(s.nr_spikes == 0 && s.verdict == CORR_CONSTANT, "a flat latency: no spikes, nothing "
	   "to attribute");
	corr_spikes_text(&s, "lat.p99", NULL, 0, 0, text, sizeof(text));
	ok(strstr(text, "has no spikes") != NULL, "... said: %s", text);
	corr_spikes_free(&s);
	corr_spikes(lat, burst, 10, 3, 3, 0.05, &s, err, sizeof(err));
	ok(s.verdict == CORR_TOO_SHORT, "10 intervals: too short");
	corr_spikes_free(&s);
}

/* Spikes of an AR(1) latency against independent bursts of another: about 5 % significant. */
static void spikes_size(void)
{
	int sig = 0, tested = 0, seeds = 200;
	double lat[N], inv[N];
	bool burst[N];
	struct corr_spikes s;
	char err[64];

	for (int k = 0; k < seeds; k++) {
		uint64_t seed = 5000 + k;

		ar1(lat, N, 0.7, &seed);
		ar1(inv, N, 0.7, &seed);
		for (int t = 0; t < N; t++) {
			lat[t] = exp(lat[t] / 2);	/* heavy right tail: spikes */
			burst[t] = inv[t] > 1.6;	/* clustered bursts */
		}
		corr_spikes(lat, burst, N, 2, 3, 0.05, &s, err, sizeof(err));
		tested += s.verdict == CORR_SIGNIFICANT || s.verdict == CORR_NOT_SIGNIFICANT;
		sig += s.verdict == CORR_SIGNIFICANT;
		corr_spikes_free(&s);
	}
	printf("# spikes vs independent bursts: %d of %d tested seeds significant\n", sig, tested);
	ok(tested > seeds / 2 && sig <= tested * 12 / 100,
	   "independent spikes and bursts: significant at 5 %% in %d of %d seeds (at most 12 %%)",
	   sig, tested);
}

int main(void)
{
	known_answers();
	spearman_ties();
	ar1_size();
	spikes_known();
	spikes_size();
	return done_testing();
}
