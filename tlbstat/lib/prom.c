// SPDX-License-Identifier: GPL-2.0
/* The Prometheus text exposition format (prom.h). */
#include "prom.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void prom_init(struct prom_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void prom_free(struct prom_buf *b)
{
	free(b->p);
	prom_init(b);
}

char *prom_take(struct prom_buf *b, size_t *len)
{
	char *p = b->p;

	if (len)
		*len = b->len;
	prom_init(b);
	return p;
}

static int reserve(struct prom_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *p;

	if (b->oom)
		return -1;
	if (b->len + more + 1 <= b->cap)
		return 0;
	while (cap < b->len + more + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

static int put(struct prom_buf *b, const char *s, size_t n)
{
	if (reserve(b, n) < 0)
		return -1;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

static int puts_(struct prom_buf *b, const char *s)
{
	return put(b, s, strlen(s));
}

static int putf(struct prom_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int putf(struct prom_buf *b, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	return put(b, tmp, (size_t)n);
}

/* Escape backslash and newline (HELP), and double quote too (label values). */
static int put_escaped(struct prom_buf *b, const char *s, bool quote)
{
	for (; *s; s++) {
		const char *e = *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" :
				quote && *s == '"' ? "\\\"" : NULL;
		int rc = e ? puts_(b, e) : put(b, s, 1);

		if (rc < 0)
			return -1;
	}
	return 0;
}

static bool name_ok(const char *s, bool colon)
{
	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++) {
		char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || (colon && c == ':')))
			return false;
	}
	return true;
}

bool prom_valid_metric_name(const char *s)
{
	return name_ok(s, true);
}

bool prom_valid_label_name(const char *s)
{
	return name_ok(s, false) && strncmp(s, "__", 2);
}

int prom_family(struct prom_buf *b, const char *name, enum prom_type type, const char *help)
{
	static const char *const types[] = { "counter", "gauge", "histogram", "untyped" };

	if (!prom_valid_metric_name(name) || type < PROM_COUNTER || type > PROM_UNTYPED)
		return -1;
	if (puts_(b, "# HELP ") || puts_(b, name) || puts_(b, " ") || put_escaped(b, help, false) ||
	    puts_(b, "\n# TYPE ") || puts_(b, name) || puts_(b, " ") || puts_(b, types[type]) ||
	    puts_(b, "\n"))
		return -1;
	return 0;
}

/* name{l1="v1",...} and the space before the value. */
static int sample_head(struct prom_buf *b, const char *name, const struct prom_label *labels,
		       int nr)
{
	if (!prom_valid_metric_name(name) || puts_(b, name))
		return -1;
	for (int i = 0; i < nr; i++) {
		if (!prom_valid_label_name(labels[i].name))
			return -1;
		if (puts_(b, i ? "," : "{") || puts_(b, labels[i].name) || puts_(b, "=\"") ||
		    put_escaped(b, labels[i].value ? labels[i].value : "", true) || puts_(b, "\""))
			return -1;
	}
	if (nr > 0 && puts_(b, "}"))
		return -1;
	b->series++;
	return puts_(b, " ");
}

static int put_double(struct prom_buf *b, double v)
{
	if (isnan(v))
		return puts_(b, "NaN");
	if (isinf(v))
		return puts_(b, v > 0 ? "+Inf" : "-Inf");
	return putf(b, "%.17g", v);
}

int prom_sample(struct prom_buf *b, const char *name, const struct prom_label *labels, int nr,
		double v)
{
	if (sample_head(b, name, labels, nr) || put_double(b, v) || puts_(b, "\n"))
		return -1;
	return 0;
}

int prom_sample_u64(struct prom_buf *b, const char *name, const struct prom_label *labels, int nr,
		    uint64_t v)
{
	if (sample_head(b, name, labels, nr) || putf(b, "%llu\n", (unsigned long long)v))
		return -1;
	return 0;
}

int prom_histogram(struct prom_buf *b, const char *name, const double *bounds, int nr_bounds,
		   const uint64_t *counts, double sum)
{
	char n[256], le[64];
	uint64_t cum = 0;
	struct prom_label l = { "le", le };

	if (strlen(name) + sizeof("_bucket") > sizeof(n))
		return -1;
	snprintf(n, sizeof(n), "%s_bucket", name);
	for (int i = 0; i <= nr_bounds; i++) {
		cum += counts[i];
		if (i < nr_bounds)
			snprintf(le, sizeof(le), "%.17g", bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		if (prom_sample_u64(b, n, &l, 1, cum))
			return -1;
	}
	snprintf(n, sizeof(n), "%s_sum", name);
	if (prom_sample(b, n, NULL, 0, sum))
		return -1;
	snprintf(n, sizeof(n), "%s_count", name);
	return prom_sample_u64(b, n, NULL, 0, cum);
}
