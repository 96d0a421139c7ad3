/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A flame graph as one self-contained SVG: folded stacks (callchain.h's cc_folded lines) become a
 * tree of frames, each a box as wide as its share of the samples, the root at the bottom. The
 * SVG carries its own script: hover names a frame with its count and share, a click zooms to it
 * (a click on the root or "Reset zoom" returns), "Search" highlights the frames a regular
 * expression matches and says their share. No external script, style sheet or font; no network.
 */
#ifndef TLBSTAT_FLAMEGRAPH_H
#define TLBSTAT_FLAMEGRAPH_H
#include <stddef.h>
#include <stdio.h>

struct cc_line;

/*
 * Write the flame graph of nr folded lines ("a;b;c count" as text/events) to f, titled title.
 * 0, or -1 with err ("out of memory"; write errors are the caller's to check on f).
 */
int fg_write(FILE *f, const struct cc_line *lines, long nr, const char *title, char *err,
	     size_t errlen);
#endif
