// SPDX-License-Identifier: GPL-2.0
/* CSV time series: parse (checked, with line numbers), sort by time, bin onto a grid. */
#include "csvts.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define CSVTS_MAX_FILE (1ull << 30)

/* One line split into fields (copies, unquoted); -1 on an unterminated quote. */
struct fields {
	char **f;
	int nr, cap;
	char *buf;		/* the unquoted text, fields point into it */
};

static int split(struct fields *fl, const char *l, size_t len)
{
	char *o;
	size_t i = 0;

	free(fl->buf);
	fl->buf = malloc(len + 1);
	if (!fl->buf)
		return -2;
	o = fl->buf;
	fl->nr = 0;
	for (;;) {
		bool quoted = i < len && l[i] == '"';

		if (fl->nr == fl->cap) {
			int cap = fl->cap ? fl->cap * 2 : 16;
			char **f = cap <= CSVTS_MAX_COLS + 1 ? realloc(fl->f, cap * sizeof(*f)) : NULL;

			if (!f)
				return cap > CSVTS_MAX_COLS + 1 ? -3 : -2;
			fl->f = f;
			fl->cap = cap;
		}
		fl->f[fl->nr++] = o;
		for (i += quoted; i < len; i++) {
			if (quoted && l[i] == '"') {
				if (i + 1 < len && l[i + 1] == '"') {
					*o++ = l[++i];
					continue;
				}
				quoted = false;
				continue;
			}
			if (!quoted && l[i] == ',')
				break;
			*o++ = l[i];
		}
		*o++ = 0;
		if (quoted)
			return -1;
		if (i >= len)
			return 0;
		i++;	/* the comma */
	}
}

/* A whole field as a number (spaces around allowed); false on anything else. */
static bool number(const char *s, double *v)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return false;
	errno = 0;
	*v = strtod(s, &end);
	while (*end == ' ' || *end == '\t' || *end == '\r')
		end++;
	return !*end && errno != ERANGE;
}

static bool empty_or_nan(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	return !*s || !strcasecmp(s, "nan") || !strcasecmp(s, "na") || !strcmp(s, "-");
}

struct parser {
	struct csvts *ts;
	const char *name;
	size_t cap;		/* rows allocated */
	char *err;
	size_t errlen;
};

static int header(struct parser *p, struct fields *fl, size_t lineno)
{
	struct csvts *ts = p->ts;

	if (fl->nr < 2) {
		snprintf(p->err, p->errlen, "%s:%zu: the header needs a time column and at least "
			 "one value column", p->name, lineno);
		return -1;
	}
	ts->nr_cols = fl->nr - 1;
	ts->cols = calloc(ts->nr_cols, sizeof(*ts->cols));
	if (!ts->cols)
		return -2;
	for (int c = 0; c < ts->nr_cols; c++) {
		ts->cols[c] = strdup(fl->f[c + 1]);
		if (!ts->cols[c])
			return -2;
		if (!ts->cols[c][0]) {
			snprintf(p->err, p->errlen, "%s:%zu: column %d has no name", p->name, lineno,
				 c + 2);
			return -1;
		}
	}
	return 0;
}

static int grow(struct parser *p)
{
	struct csvts *ts = p->ts;
	size_t cap = p->cap ? p->cap * 2 : 256;
	double *t = realloc(ts->time, cap * sizeof(*t)), *v;

	if (!t)
		return -2;
	ts->time = t;
	v = realloc(ts->v, cap * ts->nr_cols * sizeof(*v));
	if (!v)
		return -2;
	ts->v = v;
	p->cap = cap;
	return 0;
}

static int row(struct parser *p, struct fields *fl, size_t lineno)
{
	struct csvts *ts = p->ts;
	double *v;

	if (fl->nr != ts->nr_cols + 1) {
		snprintf(p->err, p->errlen, "%s:%zu: %d fields, the header has %d", p->name, lineno,
			 fl->nr, ts->nr_cols + 1);
		return -1;
	}
	if (ts->nr_rows == p->cap && grow(p))
		return -2;
	if (!number(fl->f[0], &ts->time[ts->nr_rows]) || !isfinite(ts->time[ts->nr_rows])) {
		snprintf(p->err, p->errlen, "%s:%zu: time '%.40s' is not a number of seconds",
			 p->name, lineno, fl->f[0]);
		return -1;
	}
	v = ts->v + ts->nr_rows * ts->nr_cols;
	for (int c = 0; c < ts->nr_cols; c++) {
		if (empty_or_nan(fl->f[c + 1])) {
			v[c] = NAN;
		} else if (!number(fl->f[c + 1], &v[c]) || isinf(v[c])) {
			snprintf(p->err, p->errlen, "%s:%zu: column '%s': '%.40s' is not a number",
				 p->name, lineno, ts->cols[c], fl->f[c + 1]);
			return -1;
		}
	}
	ts->nr_rows++;
	return 0;
}

struct order {
	double t;
	size_t i;
};

static int cmp_order(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	/* by time, then by position: a stable sort keeps rows of one time in file order */
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int sort_rows(struct csvts *ts)
{
	size_t n = ts->nr_rows, w = ts->nr_cols;
	struct order *o;
	double *v;
	bool sorted = true;

	for (size_t i = 1; i < n && sorted; i++)
		sorted = ts->time[i - 1] <= ts->time[i];
	if (sorted)
		return 0;
	o = malloc(n * sizeof(*o));
	v = malloc(n * w * sizeof(*v));
	if (!o || !v) {
		free(o);
		free(v);
		return -2;
	}
	for (size_t i = 0; i < n; i++)
		o[i] = (struct order){ ts->time[i], i };
	qsort(o, n, sizeof(*o), cmp_order);
	for (size_t i = 0; i < n; i++) {
		ts->time[i] = o[i].t;
		memcpy(v + i * w, ts->v + o[i].i * w, w * sizeof(*v));
	}
	free(ts->v);
	ts->v = v;
	free(o);
	return 0;
}

/* Each line: skipped, the header, or a row; 0 or the first error. */
static int parse_lines(struct parser *p, const char *buf, size_t len)
{
	struct fields fl = { 0 };
	const char *pos = buf, *end = buf + len, *l;
	size_t ll, lineno = 0;
	int rc = 0;

	while (!rc && next_line(&pos, end, &l, &ll)) {
		lineno++;
		if (ll && l[ll - 1] == '\r')
			ll--;
		if (!ll || l[0] == '#' || memchr(l, 0, ll))
			continue;
		rc = split(&fl, l, ll);
		if (rc == -1)
			snprintf(p->err, p->errlen, "%s:%zu: a quoted field does not end on its line",
				 p->name, lineno);
		else if (rc == -3)
			snprintf(p->err, p->errlen, "%s:%zu: more than %d columns", p->name, lineno,
				 CSVTS_MAX_COLS);
		else if (!rc)
			rc = p->ts->cols ? row(p, &fl, lineno) : header(p, &fl, lineno);
	}
	free(fl.f);
	free(fl.buf);
	if (!rc && !p->ts->cols) {
		snprintf(p->err, p->errlen, "%s: no header line (time,column,...)", p->name);
		rc = -1;
	}
	return rc;
}

int csvts_parse(struct csvts *ts, const char *name, const char *buf, size_t len,
		char *err, size_t errlen)
{
	struct parser p = { .ts = ts, .name = name, .err = err, .errlen = errlen };
	int rc;

	memset(ts, 0, sizeof(*ts));
	rc = parse_lines(&p, buf, len);
	if (!rc)
		rc = sort_rows(ts);
	if (rc == -2)
		snprintf(err, errlen, "%s: out of memory", name);
	if (rc)
		csvts_free(ts);
	return rc ? -1 : 0;
}

int csvts_read(struct csvts *ts, const char *path, char *err, size_t errlen)
{
	size_t len;
	char *buf;
	int rc;

	memset(ts, 0, sizeof(*ts));
	buf = read_file(path, &len);
	if (!buf) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (len > CSVTS_MAX_FILE) {
		snprintf(err, errlen, "%s: more than 1 GiB", path);
		free(buf);
		return -1;
	}
	rc = csvts_parse(ts, path, buf, len, err, errlen);
	free(buf);
	return rc;
}

void csvts_free(struct csvts *ts)
{
	for (int c = 0; ts->cols && c < ts->nr_cols; c++)
		free(ts->cols[c]);
	free(ts->cols);
	free(ts->time);
	free(ts->v);
	memset(ts, 0, sizeof(*ts));
}

int64_t csvts_bin_of(double t, int64_t offset_ns, uint64_t interval_ns)
{
	double q = floor((t * 1e9 + (double)offset_ns) / (double)interval_ns);

	/* a time of 1e30 s is a number, but no bin: clamp, so differences of bins stay in range */
	if (!(q < CSVTS_BIN_LIMIT))
		return (int64_t)CSVTS_BIN_LIMIT;
	if (!(q > -CSVTS_BIN_LIMIT))
		return -(int64_t)CSVTS_BIN_LIMIT;
	return (int64_t)q;
}

int csvts_bin(const struct csvts *ts, int col, int64_t offset_ns, uint64_t interval_ns,
	      int64_t first_bin, size_t nbins, double *out)
{
	size_t *n = calloc(nbins ? nbins : 1, sizeof(*n));

	if (!n)
		return -1;
	for (size_t b = 0; b < nbins; b++)
		out[b] = NAN;
	for (size_t r = 0; r < ts->nr_rows; r++) {
		double v = ts->v[r * ts->nr_cols + col];
		int64_t b = csvts_bin_of(ts->time[r], offset_ns, interval_ns) - first_bin;

		if (!isfinite(v) || b < 0 || (uint64_t)b >= nbins)
			continue;
		out[b] = n[b] ? out[b] + v : v;
		n[b]++;
	}
	for (size_t b = 0; b < nbins; b++)
		if (n[b])
			out[b] /= n[b];
	free(n);
	return 0;
}
