/* Helpers for the commands only: libtlbstat.a does not contain this file, so lib cannot exit. */
#include "builtin.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void tlb_die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tlbstat: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}
