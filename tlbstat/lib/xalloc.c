/*
 * Allocation that exits on failure. Transitional: lib files are being converted to checked
 * malloc with errors returned to the caller (issue 13); once no lib file calls these they move
 * to the commands (builtin-util.c), the only place allowed to exit.
 */
#include "util.h"

#include <stdlib.h>
#include <string.h>

static void *oom(void)
{
	tlb_err("out of memory");
	exit(EXIT_FAIL);
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
