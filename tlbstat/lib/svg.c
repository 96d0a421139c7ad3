// SPDX-License-Identifier: GPL-2.0
/* Inline SVG charts: axes with nice ticks, lines, areas, bands, bars (svg.h). */
#include "svg.h"

#include <math.h>
#include <string.h>

void svg_escape(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			/* XML 1.0 has no place for other control characters */
			if (c >= 0x20 || c == '\t')
				fputc(c, f);
		}
	}
}

void svg_ticks(double lo, double hi, int max, struct svg_ticks *t)
{
	static const double mult[] = { 1, 2, 5, 10 };
	double span, base, first;

	t->n = 0;
	t->step = 0;
	if (max < 2)
		max = 2;
	if (max > SVG_MAX_TICKS)
		max = SVG_MAX_TICKS;
	if (lo > hi) {
		double x = lo;

		lo = hi;
		hi = x;
	}
	span = hi - lo;
	if (!isfinite(lo) || !isfinite(hi) || !(span > 0) || !isfinite(span)) {
		t->v[t->n++] = isfinite(lo) ? lo : 0;
		return;
	}
	base = pow(10, floor(log10(span / (max - 1))));
	for (size_t i = 0; i < sizeof(mult) / sizeof(mult[0]); i++) {
		t->step = base * mult[i];
		if (floor(hi / t->step) - ceil(lo / t->step) + 1 <= max)
			break;
	}
	first = ceil(lo / t->step - 1e-9) * t->step;
	for (int i = 0; t->n < max; i++) {
		double v = first + i * t->step;

		if (v > hi + t->step * 1e-9)
			break;
		t->v[t->n++] = fabs(v) < t->step * 1e-9 ? 0 : v;	/* no "-0" */
	}
	if (!t->n)
		t->v[t->n++] = lo;
}

void svg_num(double v, char *buf, size_t len)
{
	static const char *const sfx[] = { "", "k", "M", "G", "T", "P" };
	double a = fabs(v);
	int k = 0;

	if (!isfinite(v)) {
		snprintf(buf, len, "-");
		return;
	}
	if (a == 0) {
		snprintf(buf, len, "0");
		return;
	}
	if (a < 1e-3) {
		snprintf(buf, len, "%.0e", v);
		return;
	}
	while (a >= 1000 && k < 5) {
		a /= 1000;
		v /= 1000;
		k++;
	}
	snprintf(buf, len, a >= 100 || (a == floor(a) && a >= 1) ? "%.0f%s" :
			   a >= 10 ? "%.1f%s" : a >= 1 ? "%.2g%s" : "%.2g%s", v, sfx[k]);
}

bool svg_range(const double *v, size_t n, double *lo, double *hi)
{
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		if (!isfinite(v[i]))
			continue;
		if (!any || v[i] < *lo)
			*lo = v[i];
		if (!any || v[i] > *hi)
			*hi = v[i];
		any = true;
	}
	return any;
}

static double px_x(const struct svg_plot *p, double x)
{
	return p->l + (x - p->x0) / (p->x1 - p->x0) * (p->r - p->l);
}

static double px_y(const struct svg_plot *p, double y)
{
	double v = p->b - (y - p->y0) / (p->y1 - p->y0) * (p->b - p->t);

	return v < p->t ? p->t : v > p->b ? p->b : v;
}

static void widen(double *a, double *b)
{
	if (!isfinite(*a) || !isfinite(*b)) {
		*a = 0;
		*b = 1;
	}
	if (*b - *a <= fabs(*a) * 1e-12 || *b <= *a) {
		double d = fabs(*a) > 0 ? fabs(*a) * 0.1 : 1;

		*a -= *a >= 0 && *a - d < 0 ? *a : d;	/* a non-negative series stays >= 0 */
		*b += d;
	}
}

void svg_plot_begin(struct svg_plot *p, FILE *f, int w, int h, double x0, double x1, double y0,
		    double y1, const char *xlabel, const char *ylabel)
{
	struct svg_ticks tx, ty;
	char buf[32];

	widen(&x0, &x1);
	widen(&y0, &y1);
	svg_ticks(y0, y1, 6, &ty);
	/* the y axis ends on a tick above the data, so the top line is labelled */
	if (ty.step > 0 && ty.v[ty.n - 1] < y1 - ty.step * 1e-9 && ty.n < SVG_MAX_TICKS) {
		ty.v[ty.n] = ty.v[ty.n - 1] + ty.step;
		y1 = ty.v[ty.n++];
	}
	*p = (struct svg_plot){ f, w, h, 64, w - 16.0, 12, h - 38.0, x0, x1, y0, y1 };
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n", w, h, w, h);
	fprintf(f, "<rect class=\"plotbg\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
		p->l, p->t, p->r - p->l, p->b - p->t);
	for (int i = 0; i < ty.n; i++) {
		double y = px_y(p, ty.v[i]);

		svg_num(ty.v[i], buf, sizeof(buf));
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
			"<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			p->l, p->r, y, y, p->l - 6, y + 4, buf);
	}
	svg_ticks(x0, x1, (int)((p->r - p->l) / 90) + 1, &tx);
	for (int i = 0; i < tx.n; i++) {
		double x = px_x(p, tx.v[i]);

		if (tx.v[i] < x0 || tx.v[i] > x1)
			continue;
		svg_num(tx.v[i], buf, sizeof(buf));
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
			"<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
			x, x, p->t, p->b, x, p->b + 15, buf);
	}
	if (xlabel) {
		fprintf(f, "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
			(p->l + p->r) / 2, h - 4.0);
		svg_escape(f, xlabel);
		fputs("</text>\n", f);
	}
	if (ylabel) {
		fprintf(f, "<text class=\"axis\" transform=\"translate(14 %.1f) rotate(-90)\" "
			"text-anchor=\"middle\">", (p->t + p->b) / 2);
		svg_escape(f, ylabel);
		fputs("</text>\n", f);
	}
}

void svg_plot_bands(struct svg_plot *p, const double *x, const bool *on, size_t n, double width,
		    const char *cls, const char *title)
{
	for (size_t i = 0; on && i < n; i++) {
		double a, b;

		if (!on[i] || !isfinite(x[i]))
			continue;
		a = px_x(p, x[i]);
		b = px_x(p, x[i] + width);
		a = a < p->l ? p->l : a;
		b = b > p->r ? p->r : b;
		if (b <= a)
			continue;
		if (b - a < 2)	/* narrow intervals of a long run stay visible */
			b = a + 2;
		fprintf(p->f, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%.1f\">", cls, a, p->t, b - a, p->b - p->t);
		if (title) {
			fputs("<title>", p->f);
			svg_escape(p->f, title);
			fprintf(p->f, " at %.3f s</title>", x[i]);
		}
		fputs("</rect>\n", p->f);
	}
}

static void flush_run(struct svg_plot *p, const double *x, const double *y, size_t a, size_t b,
		      const char *cls, bool fill)
{
	if (b <= a)
		return;
	if (fill) {
		fprintf(p->f, "<path class=\"%s area\" d=\"M%.1f %.1f", cls, px_x(p, x[a]),
			px_y(p, p->y0 > 0 ? p->y0 : 0));
		for (size_t i = a; i < b; i++)
			fprintf(p->f, "L%.1f %.1f", px_x(p, x[i]), px_y(p, y[i]));
		fprintf(p->f, "L%.1f %.1fZ\"/>\n", px_x(p, x[b - 1]), px_y(p, p->y0 > 0 ? p->y0 : 0));
	}
	if (b - a == 1) {	/* a lone point between gaps: a dot */
		fprintf(p->f, "<circle class=\"%s dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"2\"/>\n", cls,
			px_x(p, x[a]), px_y(p, y[a]));
		return;
	}
	fprintf(p->f, "<polyline class=\"%s line\" points=\"", cls);
	for (size_t i = a; i < b; i++)
		fprintf(p->f, "%s%.1f,%.1f", i > a ? " " : "", px_x(p, x[i]), px_y(p, y[i]));
	fputs("\"/>\n", p->f);
}

void svg_plot_line(struct svg_plot *p, const double *x, const double *y, size_t n,
		   const char *cls, bool fill)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && isfinite(x[i]) && isfinite(y[i]))
			continue;
		flush_run(p, x, y, start, i, cls, fill);
		start = i + 1;
	}
}

void svg_plot_marks(struct svg_plot *p, const double *x, const double *y, const bool *mark,
		    size_t n, const char *cls, const char *title)
{
	char buf[32];

	for (size_t i = 0; mark && i < n; i++) {
		if (!mark[i] || !isfinite(x[i]) || !isfinite(y[i]))
			continue;
		fprintf(p->f, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\">", cls,
			px_x(p, x[i]), px_y(p, y[i]));
		if (title) {
			svg_num(y[i], buf, sizeof(buf));
			fputs("<title>", p->f);
			svg_escape(p->f, title);
			fprintf(p->f, " %s at %.3f s</title>", buf, x[i]);
		}
		fputs("</circle>\n", p->f);
	}
}

void svg_plot_note(struct svg_plot *p, const char *text)
{
	fprintf(p->f, "<text class=\"note\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
		(p->l + p->r) / 2, (p->t + p->b) / 2);
	svg_escape(p->f, text);
	fputs("</text>\n", p->f);
}

void svg_plot_end(struct svg_plot *p)
{
	fprintf(p->f, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		"height=\"%.1f\"/>\n</svg>\n", p->l, p->t, p->r - p->l, p->b - p->t);
}

void svg_bars(FILE *f, int w, const char *const *labels, const double *v, int n, const char *cls,
	      const char *unit)
{
	const int row = 22, lw = 220, vw = 170;
	double max = 0;
	char buf[32];

	for (int i = 0; i < n; i++)
		if (isfinite(v[i]) && v[i] > max)
			max = v[i];
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart bars\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n", w, n * row + 4, w,
		n * row + 4);
	for (int i = 0; i < n; i++) {
		double y = i * row + 2, bw = max > 0 && isfinite(v[i]) && v[i] > 0 ?
					    (w - lw - vw) * v[i] / max : 0;

		svg_num(v[i], buf, sizeof(buf));
		fprintf(f, "<text class=\"label\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">",
			lw - 8, y + 15);
		svg_escape(f, labels[i]);
		fprintf(f, "</text><rect class=\"%s\" x=\"%d\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%d\"><title>", cls, lw, y + 3, bw < 1 && bw > 0 ? 1 : bw, row - 6);
		svg_escape(f, labels[i]);
		fprintf(f, ": %s ", buf);
		svg_escape(f, unit);
		fprintf(f, "</title></rect><text class=\"tick\" x=\"%.1f\" y=\"%.1f\">%s ",
			lw + bw + 6, y + 15, buf);
		svg_escape(f, unit);
		fputs("</text>\n", f);
	}
	fputs("</svg>\n", f);
}
