/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers the shipped plugins share (each plugin is a standalone .so: it cannot link
 * libtlbstat.a, whose symbols would clash with the host's). Header-only, static functions.
 */
#ifndef TLBSTAT_PLUGIN_UTIL_H
#define TLBSTAT_PLUGIN_UTIL_H
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tlbstat/plugin.h"

#define PLUGIN_EXPORT __attribute__((visibility("default")))

/* A column table whose names the plugin makes up at open (per CPU, per GPU, per counter). */
struct pcols {
	struct tlb_plugin_col *v;
	char (*names)[160];
	int nr, cap;
};

static inline int pcols_add(struct pcols *c, const char *name, const char *unit)
{
	if (c->nr == c->cap) {
		int cap = c->cap ? c->cap * 2 : 16;
		void *v = realloc(c->v, cap * sizeof(*c->v));

		if (!v)
			return -1;
		c->v = v;
		v = realloc(c->names, cap * sizeof(*c->names));
		if (!v)
			return -1;
		c->names = v;
		c->cap = cap;
	}
	snprintf(c->names[c->nr], sizeof(c->names[0]), "%s", name);
	c->v[c->nr].unit = unit;
	c->nr++;
	return 0;
}

/* Names point into names[]; set once the table stops growing (realloc moves it). */
static inline void pcols_fix(struct pcols *c, struct tlb_plugin_cols *out)
{
	for (int i = 0; i < c->nr; i++)
		c->v[i].name = c->names[i];
	out->cols = c->v;
	out->nr = c->nr;
}

static inline void pcols_free(struct pcols *c)
{
	free(c->v);
	free(c->names);
}

/* A small /proc file into buf (NUL-terminated); length, or -1. */
static inline ssize_t proc_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, got = 0;

	if (fd < 0)
		return -1;
	while (got < (ssize_t)len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = 0;
	return got;
}

/* Counter delta as a double; NaN when the counter went backwards (reset, wrap). */
static inline double delta(unsigned long long now, unsigned long long before)
{
	return now >= before ? (double)(now - before) : NAN;
}
#endif
