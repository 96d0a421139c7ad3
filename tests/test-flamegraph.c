// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of flamegraph.c: frames shared by lines become one box as wide as their samples,
 * children side by side on their parent, names escaped for XML, frames under 0.1 px left out,
 * no input gives an empty graph.
 */
#include "callchain.h"
#include "flamegraph.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The SVG of lines, as a string (the caller frees). */
static char *render(struct cc_line *l, long n)
{
	char *buf = NULL, err[64];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (fg_write(f, l, n, "t<&>", err, sizeof(err)) < 0)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

/* The width attribute of the rect after the title that starts with name; -1 if none. */
static double width_of(const char *svg, const char *name)
{
	char key[128];
	const char *p;

	snprintf(key, sizeof(key), "<title>%s (", name);
	p = strstr(svg, key);
	p = p ? strstr(p, "width=\"") : NULL;
	return p ? atof(p + 7) : -1;
}

static int count(const char *svg, const char *s)
{
	int n = 0;

	for (const char *p = svg; (p = strstr(p, s)); p++)
		n++;
	return n;
}

int main(void)
{
	struct cc_line l[] = {
		{ "srv;main;a", 3 }, { "srv;main;b", 1 }, { "srv;x<y>&z", 4 },
	};
	struct cc_line tiny[] = { { "big", 1000000 }, { "small", 1 } };
	char *svg = render(l, 3);

	ok(!strncmp(svg, "<?xml", 5) && strstr(svg, "</svg>\n"), "an XML document");
	is_int((long long)(width_of(svg, "all") * 10), 12000, "the root spans 1200 px");
	is_int((long long)(width_of(svg, "srv") * 10), 12000, "srv: every sample");
	is_int((long long)(width_of(svg, "main") * 10), 6000, "main: half (4 of 8)");
	is_int((long long)(width_of(svg, "a") * 10), 4500, "a: 3 of 8");
	is_int((long long)(width_of(svg, "x&lt;y&gt;&amp;z") * 10), 6000, "an escaped name, 4 of 8");
	is_int(count(svg, "<title>main ("), 1, "a frame shared by two lines is one box");
	ok(strstr(svg, "(3 samples, 37.50%)") != NULL, "hover text: count and share");
	ok(strstr(svg, "t&lt;&amp;&gt;") != NULL, "the title escaped");
	ok(strstr(svg, "<script") && !strstr(svg, "src="), "its own script, nothing fetched");
	free(svg);
	svg = render(tiny, 2);
	ok(width_of(svg, "big") > 1199 && width_of(svg, "small") < 0,
	   "a frame under 0.1 px is left out");
	free(svg);
	svg = render(NULL, 0);
	is_int(count(svg, "class=\"f\""), 0, "no stacks: no frames");
	ok(strstr(svg, "</svg>") != NULL, "still a whole document");
	free(svg);
	return done_testing();
}
