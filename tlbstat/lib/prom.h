// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus text exposition format (version 0.0.4) into a growable buffer: families with
 * HELP and TYPE, samples with escaped label values, histograms. The exporter builds its whole
 * page here once per interval and serves copies of it, so a scrape never touches live counts.
 * Names are checked against the format's grammar; a bad one fails the call (a bug, not input).
 * Out of memory sticks: every later call returns -1 and prom_buf.oom stays true.
 */
#ifndef TLBSTAT_PROM_H
#define TLBSTAT_PROM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct prom_buf {
	char *p;                 /* NUL-terminated text; NULL until something was written */
	size_t len, cap;
	int series;              /* samples written (histograms: each bucket, _sum, _count) */
	bool oom;
};

enum prom_type { PROM_COUNTER, PROM_GAUGE, PROM_HISTOGRAM, PROM_UNTYPED };

/* A label: name="value"; the value is escaped (backslash, double quote, newline). */
struct prom_label {
	const char *name, *value;
};

void prom_init(struct prom_buf *b);
void prom_free(struct prom_buf *b);
/* Hand the text over to the caller (free() it); b is empty again. */
char *prom_take(struct prom_buf *b, size_t *len);

/* [a-zA-Z_:][a-zA-Z0-9_:]* (metric) or [a-zA-Z_][a-zA-Z0-9_]* (label, no "__" prefix). */
bool prom_valid_metric_name(const char *s);
bool prom_valid_label_name(const char *s);

/* "# HELP name help" and "# TYPE name type"; help is escaped (backslash, newline). 0 or -1. */
int prom_family(struct prom_buf *b, const char *name, enum prom_type type, const char *help);
/* One sample line; labels may be NULL when nr is 0. Doubles: NaN, +Inf, -Inf as the format says. */
int prom_sample(struct prom_buf *b, const char *name, const struct prom_label *labels, int nr,
		double v);
int prom_sample_u64(struct prom_buf *b, const char *name, const struct prom_label *labels, int nr,
		    uint64_t v);
/*
 * A histogram's samples (after its prom_family): counts[i] observations <= bounds[i] (not
 * cumulative; the writer accumulates), counts[nr_bounds] above the last bound, sum of the
 * observed values. Writes name_bucket{le=...} for each bound and +Inf, name_sum, name_count.
 */
int prom_histogram(struct prom_buf *b, const char *name, const double *bounds, int nr_bounds,
		   const uint64_t *counts, double sum);
#endif
