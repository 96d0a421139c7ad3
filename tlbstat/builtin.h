/* SPDX-License-Identifier: GPL-2.0 */
/* The commands: one cmd_<name>() per builtin-<name>.c, dispatched by tlbstat.c. */
#ifndef TLBSTAT_BUILTIN_H
#define TLBSTAT_BUILTIN_H
#include <stddef.h>

int cmd_stat(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_transport(int argc, char **argv);
int cmd_exporter(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_correlate(int argc, char **argv);


/*
 * tlb_err then exit(code): for the commands only (builtin-util.c, not in libtlbstat.a, so the
 * library cannot call it; the library returns errors and the command decides the exit code).
 */
void tlb_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* Allocation that exits on failure (builtin-util.c): the commands' own tables only. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
#endif
