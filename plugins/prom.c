// SPDX-License-Identifier: GPL-2.0
/*
 * prom: a service's own latency, scraped from its Prometheus /metrics endpoint each interval
 * (libcurl). Argument: URL[:metric] (a metric name starts with a letter or '_', so a port
 * is never taken for one; it may hold colons itself, as vLLM's "vllm:..." names do). What the metric is decides the columns, at open:
 *   histogram (M_bucket with le labels): p50 and p99 of the interval from the bucket deltas,
 *     interpolated inside a bucket as Prometheus' histogram_quantile() does, the mean from
 *     M_sum/M_count deltas, and the number of observations; vLLM's and TGI's latencies
 *   M_sum and M_count only (a summary, or a counter pair): mean and count
 *   NUM/DEN, two counters: the ratio of their deltas (Triton's
 *     nv_inference_request_duration_us/nv_inference_request_success: mean us per request)
 *   anything else: the value itself (a gauge)
 * Without a metric, the scrape's first histogram. Series with several label sets are summed.
 * An interval without observations, or a scrape that fails (the server restarting), gives
 * NaN; the scrape times out after 2 s.
 */
#include "plugin-util.h"

#include <curl/curl.h>
#include <ctype.h>
#include <stdbool.h>

#define PROM_MAX_BODY (16 << 20)
#define PROM_MAX_BUCKETS 256

enum prom_kind { PROM_HIST, PROM_PAIR, PROM_RATIO, PROM_GAUGE };

struct bucket { double le, count; };

struct scrape {
	struct bucket b[PROM_MAX_BUCKETS];
	int nr_b;
	double sum, count, num, den, gauge;
	bool has_sum, has_count, has_num, has_den, has_gauge;
};

struct prom {
	CURL *curl;
	char *url, metric[128], den[128];
	enum prom_kind kind;
	struct pcols cols;
	struct scrape prev;
	bool prev_ok;
	char *body;
	size_t len;
};

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct prom *h = arg;
	size_t add = sz * n;
	char *b;

	if (h->len + add + 1 > PROM_MAX_BODY)
		return 0;
	b = realloc(h->body, h->len + add + 1);
	if (!b)
		return 0;
	memcpy(b + h->len, p, add);
	h->body = b;
	h->len += add;
	b[h->len] = 0;
	return add;
}

static int fetch(struct prom *h, char *msg, size_t msglen)
{
	long code = 0;
	CURLcode rc;

	h->len = 0;
	if (h->body)
		h->body[0] = 0;
	rc = curl_easy_perform(h->curl);
	if (rc != CURLE_OK) {
		snprintf(msg, msglen, "%s: %s", h->url, curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		snprintf(msg, msglen, "%s: HTTP %ld", h->url, code);
		return -1;
	}
	if (!h->body) {
		snprintf(msg, msglen, "%s: empty answer", h->url);
		return -1;
	}
	return 0;
}

/* le="..." of a label set; false when absent or not a number. */
static bool label_le(const char *labels, size_t len, double *le)
{
	const char *p = memmem(labels, len, "le=\"", 4);

	if (!p)
		return false;
	p += 4;
	if (!strncmp(p, "+Inf\"", 5)) {
		*le = INFINITY;
		return true;
	}
	*le = strtod(p, NULL);
	return true;
}

static void add_bucket(struct scrape *s, double le, double v)
{
	for (int i = 0; i < s->nr_b; i++)
		if (s->b[i].le == le) {
			s->b[i].count += v;
			return;
		}
	if (s->nr_b < PROM_MAX_BUCKETS)
		s->b[s->nr_b++] = (struct bucket){ le, v };
}

/* name == base + suffix */
static bool is(const char *name, size_t len, const char *base, const char *suffix)
{
	size_t bl = strlen(base), sl = strlen(suffix);

	return len == bl + sl && !strncmp(name, base, bl) && !strncmp(name + bl, suffix, sl);
}

/* One sample line into s, for the metric (and den) being watched. */
static void parse_line(struct prom *h, struct scrape *s, const char *l, size_t len)
{
	size_t nl = 0;
	const char *labels = NULL, *vp;
	size_t llen = 0;
	double v, le;

	while (nl < len && (isalnum((unsigned char)l[nl]) || l[nl] == '_' || l[nl] == ':'))
		nl++;
	vp = l + nl;
	if (nl < len && l[nl] == '{') {
		const char *end = memchr(l + nl, '}', len - nl);

		if (!end)
			return;
		labels = l + nl + 1;
		llen = end - labels;
		vp = end + 1;
	}
	v = strtod(vp, NULL);
	if (is(l, nl, h->metric, "_bucket") && label_le(labels ? labels : "", llen, &le))
		add_bucket(s, le, v);
	else if (is(l, nl, h->metric, "_sum"))
		s->sum += v, s->has_sum = true;
	else if (is(l, nl, h->metric, "_count"))
		s->count += v, s->has_count = true;
	else if (is(l, nl, h->metric, ""))
		s->gauge += v, s->has_gauge = true, s->num += v, s->has_num = true;
	else if (h->den[0] && is(l, nl, h->den, ""))
		s->den += v, s->has_den = true;
}

static int cmp_le(const void *a, const void *b)
{
	double x = ((const struct bucket *)a)->le, y = ((const struct bucket *)b)->le;

	return x < y ? -1 : x > y;
}

static void parse(struct prom *h, struct scrape *s)
{
	memset(s, 0, sizeof(*s));
	for (const char *l = h->body, *nl; l && *l; l = nl ? nl + 1 : NULL) {
		nl = strchr(l, '\n');
		if (*l != '#')
			parse_line(h, s, l, nl ? (size_t)(nl - l) : strlen(l));
	}
	qsort(s->b, s->nr_b, sizeof(s->b[0]), cmp_le);
}

/* The first histogram of the scrape (a line NAME_bucket{...le=...}) into h->metric. */
static bool first_histogram(struct prom *h)
{
	for (const char *l = h->body; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *b = strstr(l, "_bucket{"), *nl = strchr(l, '\n');

		if (*l == '#' || !b || (nl && b > nl) || (size_t)(b - l) >= sizeof(h->metric))
			continue;
		snprintf(h->metric, sizeof(h->metric), "%.*s", (int)(b - l), l);
		return true;
	}
	return false;
}

/* Prometheus' histogram_quantile over the interval's bucket deltas d (cumulative, by le). */
static double quantile(const struct bucket *d, int n, double q)
{
	double total, rank, lo = 0, clo = 0;

	if (n < 1 || !isinf(d[n - 1].le) || d[n - 1].count <= 0)
		return NAN;
	total = d[n - 1].count;
	rank = q * total;
	for (int i = 0; i < n; i++) {
		if (d[i].count < rank) {
			lo = d[i].le;
			clo = d[i].count;
			continue;
		}
		if (isinf(d[i].le))
			return i ? d[i - 1].le : NAN;	/* above the last bound: that bound */
		if (i == 0 && d[0].le <= 0)
			return d[0].le;
		if (d[i].count == clo)
			return d[i].le;
		return lo + (d[i].le - lo) * (rank - clo) / (d[i].count - clo);
	}
	return NAN;
}

/* The interval's bucket deltas; 0, or -1 when the bucket set changed or a counter reset. */
static int bucket_deltas(const struct scrape *now, const struct scrape *prev, struct bucket *d)
{
	if (now->nr_b != prev->nr_b || !now->nr_b)
		return -1;
	for (int i = 0; i < now->nr_b; i++) {
		if (now->b[i].le != prev->b[i].le || now->b[i].count < prev->b[i].count)
			return -1;
		d[i] = (struct bucket){ now->b[i].le, now->b[i].count - prev->b[i].count };
	}
	return 0;
}

static double ratio(double a, double b)
{
	return b > 0 && a >= 0 ? a / b : NAN;
}

static void fill_row(struct prom *h, const struct scrape *s, double *row)
{
	const struct scrape *p = &h->prev;
	double dsum = s->sum - p->sum, dcount = s->count - p->count;
	struct bucket d[PROM_MAX_BUCKETS];

	switch (h->kind) {
	case PROM_HIST:
		if (!bucket_deltas(s, p, d)) {
			row[0] = quantile(d, s->nr_b, 0.5);
			row[1] = quantile(d, s->nr_b, 0.99);
		}
		row[2] = ratio(dsum, dcount);
		row[3] = dcount >= 0 ? dcount : NAN;
		break;
	case PROM_PAIR:
		row[0] = ratio(dsum, dcount);
		row[1] = dcount >= 0 ? dcount : NAN;
		break;
	case PROM_RATIO:
		row[0] = ratio(s->num - p->num, s->den - p->den);
		row[1] = s->den - p->den >= 0 ? s->den - p->den : NAN;
		break;
	case PROM_GAUGE:
		row[0] = s->gauge;
		break;
	}
}

static int prom_sample(void *hv, uint64_t ts, double *row, char *msg, size_t msglen)
{
	struct prom *h = hv;
	struct scrape *s = malloc(sizeof(*s));
	char why[256];

	(void)ts;
	if (!s) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	/* a failed scrape is a gap (NaN), not the end: servers restart */
	if (fetch(h, why, sizeof(why))) {
		h->prev_ok = false;
		free(s);
		return 0;
	}
	parse(h, s);
	if (h->prev_ok || h->kind == PROM_GAUGE)
		fill_row(h, s, row);
	h->prev = *s;
	h->prev_ok = true;
	free(s);
	return 0;
}

static const char *unit_of(const char *metric)
{
	size_t n = strlen(metric);

	if (n > 8 && !strcmp(metric + n - 8, "_seconds"))
		return "s";
	if (n > 3 && (!strcmp(metric + n - 3, "_ms") || strstr(metric, "_ms_")))
		return "ms";
	if (n > 3 && (!strcmp(metric + n - 3, "_us") || strstr(metric, "_us_")))
		return "us";
	return "";
}

/*
 * The ':' that starts the metric: the first after "://" (and after an IPv6 "[...]") followed
 * by a letter or '_'; a port is digits, and vLLM's names have colons of their own
 * ("vllm:e2e_request_latency_seconds"), so the first such colon, not the last.
 */
static const char *metric_colon(const char *scheme)
{
	const char *p = scheme + 3;

	if (*p == '[' && strchr(p, ']'))
		p = strchr(p, ']');
	for (p = strchr(p, ':'); p; p = strchr(p + 1, ':'))
		if (isalpha((unsigned char)p[1]) || p[1] == '_')
			return p;
	return NULL;
}

/* URL[:metric] and metric NUM/DEN */
static int parse_args(struct prom *h, const char *args, char *msg, size_t msglen)
{
	const char *scheme = args ? strstr(args, "://") : NULL;
	const char *colon = scheme ? metric_colon(scheme) : NULL, *slash;

	if (!args || !scheme) {
		snprintf(msg, msglen, "needs a URL: prom:http://HOST:PORT/metrics[:metric]");
		return -1;
	}
	if (colon) {
		h->url = strndup(args, colon - args);
		if (strlen(colon + 1) >= sizeof(h->metric)) {
			snprintf(msg, msglen, "metric name too long");
			return -1;
		}
		snprintf(h->metric, sizeof(h->metric), "%s", colon + 1);
		slash = strchr(h->metric, '/');
		if (slash) {
			snprintf(h->den, sizeof(h->den), "%s", slash + 1);
			h->metric[slash - h->metric] = 0;
		}
	} else {
		h->url = strdup(args);
	}
	if (!h->url) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	return 0;
}

/* A column named after the metric, so two prom samplers never share a column name. */
static int add_col(struct prom *h, const char *what, const char *unit)
{
	char name[160];

	snprintf(name, sizeof(name), "%s%s%s", h->metric, what[0] ? "_" : "", what);
	return pcols_add(&h->cols, name, unit);
}

/* What the metric is, from the first scrape; the columns follow. */
static int classify(struct prom *h, char *msg, size_t msglen)
{
	static const char *const hist[] = { "p50", "p99", "mean", "count" };
	const char *unit;
	int rc = 0;

	if (!h->metric[0] && !first_histogram(h)) {
		snprintf(msg, msglen, "%s has no histogram; name the metric: prom:URL:metric",
			 h->url);
		return -1;
	}
	parse(h, &h->prev);
	unit = unit_of(h->metric);
	if (h->den[0]) {
		if (!h->prev.has_num || !h->prev.has_den)
			goto missing;
		h->kind = PROM_RATIO;
		rc = add_col(h, "per_request", unit) | add_col(h, "requests", "events");
	} else if (h->prev.nr_b) {
		h->kind = PROM_HIST;
		for (int i = 0; i < 4; i++)
			rc |= add_col(h, hist[i], i < 3 ? unit : "events");
	} else if (h->prev.has_sum && h->prev.has_count) {
		h->kind = PROM_PAIR;
		rc = add_col(h, "mean", unit) | add_col(h, "count", "events");
	} else if (h->prev.has_gauge) {
		h->kind = PROM_GAUGE;
		rc = add_col(h, "", unit);
	} else {
		goto missing;
	}
	if (rc)
		snprintf(msg, msglen, "out of memory");
	return rc ? -1 : 0;
missing:
	snprintf(msg, msglen, "%s has no metric %s%s%s", h->url, h->metric, h->den[0] ? " or " : "",
		 h->den);
	return -1;
}

static void prom_close(void *hv)
{
	struct prom *h = hv;

	if (h->curl)
		curl_easy_cleanup(h->curl);
	pcols_free(&h->cols);
	free(h->url);
	free(h->body);
	free(h);
}

static void *prom_open(const char *args, struct tlb_plugin_cols *out, char *msg, size_t msglen)
{
	struct prom *h = calloc(1, sizeof(*h));

	if (!h) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	if (parse_args(h, args, msg, msglen))
		goto fail;
	h->curl = curl_easy_init();
	if (!h->curl) {
		snprintf(msg, msglen, "libcurl cannot start");
		goto fail;
	}
	curl_easy_setopt(h->curl, CURLOPT_URL, h->url);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (fetch(h, msg, msglen) || classify(h, msg, msglen))
		goto fail;
	h->prev_ok = true;
	pcols_fix(&h->cols, out);
	return h;
fail:
	prom_close(h);
	return NULL;
}

static const struct tlb_plugin prom_plugin = {
	.size = sizeof(struct tlb_plugin),
	.version = TLB_PLUGIN_VERSION,
	.name = "prom",
	.description = "a Prometheus /metrics URL: histogram p50/p99, counter-pair mean, or a gauge",
	.open = prom_open,
	.sample = prom_sample,
	.close = prom_close,
};

PLUGIN_EXPORT const struct tlb_plugin *tlb_plugin_info(void)
{
	return &prom_plugin;
}
