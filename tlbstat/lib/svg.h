/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inline SVG charts for the HTML reports (html.h): a plot with a linear x and y axis, "nice"
 * ticks (1, 2, 5 x 10^k), lines that break at gaps (NaN), filled areas, shaded vertical bands
 * (bursts) and horizontal bars. SVG is text: everything goes to a FILE, every string through
 * svg_escape (a comm may hold < & " '). No script, no external reference.
 */
#ifndef TLBSTAT_SVG_H
#define TLBSTAT_SVG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define SVG_MAX_TICKS 12

/* XML text and attribute values: & < > " ' escaped; control characters but tab dropped. */
void svg_escape(FILE *f, const char *s);

/* Ticks: multiples of step (1, 2 or 5 x 10^k) inside [lo, hi], at most max (2..SVG_MAX_TICKS).
 * A reversed range is swapped; an empty or non-finite one gives one tick at lo (or 0). */
struct svg_ticks {
	int n;
	double step;
	double v[SVG_MAX_TICKS];
};
void svg_ticks(double lo, double hi, int max, struct svg_ticks *t);

/* A short label: 950, 1.2k, 34M, 0.25, 1e-06 (at most ~6 characters). */
void svg_num(double v, char *buf, size_t len);

/* The finite range of v[0..n) (NaN skipped): false when none is finite. */
bool svg_range(const double *v, size_t n, double *lo, double *hi);

struct svg_plot {
	FILE *f;
	double w, h;			/* the picture, px */
	double l, r, t, b;		/* plot area, px: left, right, top, bottom */
	double x0, x1, y0, y1;		/* data range shown */
};

/*
 * Open a plot of w x h px for x in [x0, x1] and y in [y0, y1] (widened to tick multiples,
 * y0 0 when the data are non-negative is the caller's choice): frame, grid, tick labels,
 * the axis labels (may be NULL). A degenerate range is widened so nothing divides by 0.
 */
void svg_plot_begin(struct svg_plot *p, FILE *f, int w, int h, double x0, double x1, double y0,
		    double y1, const char *xlabel, const char *ylabel);
/* Shaded bands [x[i], x[i] + width) where on[i], each with a title (hover) "title_fmt" text. */
void svg_plot_bands(struct svg_plot *p, const double *x, const bool *on, size_t n, double width,
		    const char *cls, const char *title);
/* A polyline through (x[i], y[i]); a non-finite y breaks it; fill: also the area down to y0. */
void svg_plot_line(struct svg_plot *p, const double *x, const double *y, size_t n,
		   const char *cls, bool fill);
/* A dot (with a hover title) at each i where mark[i]. */
void svg_plot_marks(struct svg_plot *p, const double *x, const double *y, const bool *mark,
		    size_t n, const char *cls, const char *title);
/* Centered text in the plot area ("no data"). */
void svg_plot_note(struct svg_plot *p, const char *text);
void svg_plot_end(struct svg_plot *p);

/* Horizontal bars, one per label (values >= 0), the value printed after each bar. */
void svg_bars(FILE *f, int w, const char *const *labels, const double *v, int n, const char *cls,
	      const char *unit);
#endif
