// SPDX-License-Identifier: GPL-2.0
/*
 * The flame graph writer (flamegraph.h): a first-child/next-sibling tree of frames built from the
 * folded lines, then one <g> per frame wide enough to see (flamegraph.pl's minimum of 0.1 px),
 * laid out left to right in the order of the (sorted) lines, and the script that makes it
 * interactive.
 */
#include "flamegraph.h"
#include "callchain.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FG_WIDTH 1200.0
#define FG_PAD 10.0
#define FG_FRAME 16.0	/* height of one frame */
#define FG_TOP 60.0	/* title, buttons, the details line */
#define FG_MIN_PX 0.1

struct fg_node {
	char *name;
	uint64_t count;
	struct fg_node *child, *next, *last;	/* last: the last child, for appending */
};

static struct fg_node *node_new(const char *name, size_t len)
{
	struct fg_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->name = strndup(name, len);
	if (!n->name) {
		free(n);
		return NULL;
	}
	return n;
}

static void node_free(struct fg_node *n)
{
	while (n) {
		struct fg_node *next = n->next;

		node_free(n->child);
		free(n->name);
		free(n);
		n = next;
	}
}

/* The child of p named name[0..len), made when missing; NULL when out of memory. */
static struct fg_node *child_of(struct fg_node *p, const char *name, size_t len)
{
	struct fg_node *c;

	/* sorted input: a frame shared with the previous line is the last child */
	if (p->last && strlen(p->last->name) == len && !memcmp(p->last->name, name, len))
		return p->last;
	for (c = p->child; c; c = c->next)
		if (strlen(c->name) == len && !memcmp(c->name, name, len))
			return c;
	c = node_new(name, len);
	if (!c)
		return NULL;
	if (p->last)
		p->last->next = c;
	else
		p->child = c;
	p->last = c;
	return c;
}

/* One folded line into the tree: 0, or -1 when out of memory. */
static int add_line(struct fg_node *root, const char *text, uint64_t count)
{
	struct fg_node *n = root;

	root->count += count;
	while (*text) {
		size_t len = strcspn(text, ";");

		n = child_of(n, text, len);
		if (!n)
			return -1;
		n->count += count;
		text += len + (text[len] == ';');
	}
	return 0;
}

static int depth_of(const struct fg_node *n)
{
	int d = 0;

	for (const struct fg_node *c = n->child; c; c = c->next) {
		int cd = depth_of(c);

		if (cd > d)
			d = cd;
	}
	return d + 1;
}

/* XML text: & < > " escaped. */
static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			/* control bytes are not allowed in XML 1.0 */
			fputc((unsigned char)*s < 0x20 ? '?' : *s, f);
		}
	}
}

/* A warm colour from the name, stable across runs (flamegraph.pl's "hot" palette). */
static void colour(const char *name, int *r, int *g, int *b)
{
	uint32_t h = 2166136261u;

	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	*r = 205 + (int)(h % 50);
	*g = (int)((h >> 8) % 230);
	*b = (int)((h >> 16) % 55);
}

struct fg_out {
	FILE *f;
	double scale;		/* px per sample */
	double height;		/* of the whole image */
	uint64_t total;
};

/* A frame and its children, the frame's left edge at x (px), at depth d (0: the root). */
static void emit(const struct fg_out *o, const struct fg_node *n, double x, int d)
{
	double w = (double)n->count * o->scale, y = o->height - FG_PAD - (d + 1) * FG_FRAME;
	int r, g, b;

	if (w < FG_MIN_PX)
		return;
	colour(n->name, &r, &g, &b);
	fprintf(o->f, "<g class=\"f\"><title>");
	xml_text(o->f, n->name);
	fprintf(o->f, " (%llu samples, %.2f%%)</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		"height=\"%.1f\" fill=\"rgb(%d,%d,%d)\" rx=\"2\"/><text x=\"%.1f\" y=\"%.1f\"></text>"
		"</g>\n", (unsigned long long)n->count,
		o->total ? 100.0 * (double)n->count / (double)o->total : 0.0, x, y, w,
		FG_FRAME - 1, r, g, b, x + 3, y + 11.5);
	for (const struct fg_node *c = n->child; c; c = c->next) {
		emit(o, c, x, d + 1);
		x += (double)c->count * o->scale;
	}
}

static const char fg_script[] =
"<script type=\"text/ecmascript\"><![CDATA[\n"
"'use strict';\n"
"var W = 0, frames = [], details, matchedText, searchBtn;\n"
"function init() {\n"
"  details = document.getElementById('details');\n"
"  matchedText = document.getElementById('matched');\n"
"  searchBtn = document.getElementById('search');\n"
"  var gs = document.getElementsByClassName('f');\n"
"  for (var i = 0; i < gs.length; i++) {\n"
"    var g = gs[i], r = g.querySelector('rect'), t = g.querySelector('title').textContent;\n"
"    var f = { g: g, r: r, x: +r.getAttribute('x'), w: +r.getAttribute('width'),\n"
"              y: +r.getAttribute('y'), name: t.replace(/ \\([0-9]+ samples, [0-9.]+%\\)$/, ''),\n"
"              title: t, fill: r.getAttribute('fill') };\n"
"    frames.push(f);\n"
"    g.onmouseover = (function (f) { return function () { details.textContent = f.title; }; })(f);\n"
"    g.onmouseout = function () { details.textContent = ' '; };\n"
"    g.onclick = (function (f) { return function () { zoom(f); }; })(f);\n"
"  }\n"
"  W = frames.length ? frames[0].w : 0;\n"
"  zoom(null);\n"
"}\n"
"function label(f, w) {\n"
"  var t = f.g.querySelector('text'), n = Math.floor((w - 6) / 7);\n"
"  t.textContent = n < 3 ? '' : f.name.length <= n ? f.name : f.name.substr(0, n - 2) + '..';\n"
"}\n"
"function zoom(z) {\n"
"  var x0 = z ? z.x : frames.length ? frames[0].x : 0, w0 = z ? z.w : W;\n"
"  var s = W / w0;\n"
"  document.getElementById('unzoom').style.opacity = z && z !== frames[0] ? 1 : 0.3;\n"
"  for (var i = 0; i < frames.length; i++) {\n"
"    var f = frames[i], inside = f.x >= x0 - 1e-6 && f.x + f.w <= x0 + w0 + 1e-6;\n"
"    var below = z && f.y > z.y && f.x <= x0 + 1e-6 && f.x + f.w >= x0 + w0 - 1e-6;\n"
"    if (z && !inside && !below) { f.g.style.display = 'none'; continue; }\n"
"    f.g.style.display = '';\n"
"    var nx = below ? frames[0].x : frames[0].x + (f.x - x0) * s, nw = below ? W : f.w * s;\n"
"    f.r.setAttribute('x', nx.toFixed(1));\n"
"    f.r.setAttribute('width', nw.toFixed(1));\n"
"    f.g.querySelector('text').setAttribute('x', (nx + 3).toFixed(1));\n"
"    f.g.style.opacity = below ? 0.6 : 1;\n"
"    label(f, nw);\n"
"  }\n"
"}\n"
"function search() {\n"
"  var term = prompt('Search frames (regular expression)', '');\n"
"  if (term === null) return;\n"
"  var re, total = frames.length ? frames[0].w : 1, covered = 0, end = -1;\n"
"  try { re = new RegExp(term); } catch (e) { alert('Not a regular expression: ' + e.message); return; }\n"
"  var hits = [];\n"
"  for (var i = 0; i < frames.length; i++) {\n"
"    var f = frames[i], hit = term !== '' && re.test(f.name);\n"
"    f.r.setAttribute('fill', hit ? 'rgb(230,0,230)' : f.fill);\n"
"    if (hit) hits.push(f);\n"
"  }\n"
"  hits.sort(function (a, b) { return a.x - b.x || b.w - a.w; });\n"
"  for (var j = 0; j < hits.length; j++) {\n"
"    var h = hits[j];\n"
"    if (h.x >= end) { covered += h.w; end = h.x + h.w; }\n"
"    else if (h.x + h.w > end) { covered += h.x + h.w - end; end = h.x + h.w; }\n"
"  }\n"
"  matchedText.textContent = term === '' ? ' ' : 'Matched: ' + (100 * covered / total).toFixed(1) + '%';\n"
"  searchBtn.textContent = term === '' ? 'Search' : 'Search: ' + term;\n"
"}\n"
"]]></script>\n";

/* The document around the frames: size, style, script, title, buttons, details line. */
static void header(FILE *f, double height, const char *title)
{
	fprintf(f, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
		"onload=\"init()\" xmlns=\"http://www.w3.org/2000/svg\">\n"
		"<style type=\"text/css\">\n"
		"text { font-family: monospace; font-size: 12px; fill: rgb(0,0,0); }\n"
		".f text { pointer-events: none; }\n.f:hover rect { stroke: black; stroke-width: 0.5; }\n"
		".btn { cursor: pointer; }\n.btn:hover { text-decoration: underline; }\n"
		"</style>\n%s"
		"<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" fill=\"rgb(250,250,238)\"/>\n"
		"<text x=\"%.1f\" y=\"24\" text-anchor=\"middle\" style=\"font-size:17px\">",
		FG_WIDTH + 2 * FG_PAD, height, FG_WIDTH + 2 * FG_PAD, height, fg_script,
		FG_WIDTH / 2 + FG_PAD);
	xml_text(f, title);
	fprintf(f, "</text>\n"
		"<text id=\"unzoom\" class=\"btn\" x=\"%.1f\" y=\"24\" onclick=\"zoom(null)\" "
		"style=\"opacity:0.3\">Reset zoom</text>\n"
		"<text id=\"search\" class=\"btn\" x=\"%.1f\" y=\"24\" text-anchor=\"end\" "
		"onclick=\"search()\">Search</text>\n"
		"<text id=\"matched\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\"> </text>\n"
		"<text id=\"details\" x=\"%.1f\" y=\"%.1f\"> </text>\n",
		FG_PAD, FG_WIDTH + FG_PAD, FG_WIDTH + FG_PAD, height - 2, FG_PAD, FG_TOP - 12);
}

int fg_write(FILE *f, const struct cc_line *lines, long nr, const char *title, char *err,
	     size_t errlen)
{
	struct fg_node *root = node_new("all", 3);
	struct fg_out o = { f };
	int depth;

	if (!root)
		goto oom;
	for (long i = 0; i < nr; i++)
		if (add_line(root, lines[i].text, lines[i].events) < 0)
			goto oom;
	depth = depth_of(root);
	o.total = root->count;
	o.scale = root->count ? FG_WIDTH / (double)root->count : 0;
	o.height = FG_TOP + depth * FG_FRAME + 2 * FG_PAD + 10;
	header(f, o.height, title);
	if (root->count)
		emit(&o, root, FG_PAD, 0);
	fprintf(f, "</svg>\n");
	node_free(root);
	return 0;
oom:
	node_free(root);
	snprintf(err, errlen, "out of memory");
	return -1;
}
