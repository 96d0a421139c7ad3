// SPDX-License-Identifier: GPL-2.0
/* Helpers for the commands only: libtlbstat.a does not contain this file, so lib cannot exit. */
#include "builtin.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tlb_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tlb_verr(fmt, ap);
	va_end(ap);
	exit(code);
}

/* Allocation that exits on failure: for the commands' own small tables only. */
static void *oom(void)
{
	tlb_die(EXIT_FAIL, "out of memory");
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	return p ? p : oom();
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	return p ? p : oom();
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	return p ? p : oom();
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	return p ? p : oom();
}
