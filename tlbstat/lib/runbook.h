/* SPDX-License-Identifier: GPL-2.0 */
/*
 * From a cause (cause.h) to its remedy: the section of Documentation/runbook.md that says what
 * usually drives the cause and which levers help. report --sort cause points its top cause here;
 * tests/runbook.sh and tests/test-runbook.c hold the runbook's anchors to this table.
 */
#ifndef TLBSTAT_RUNBOOK_H
#define TLBSTAT_RUNBOOK_H
#include <stddef.h>

/* The runbook's file name in the source tree and under the installed doc directory. */
#define RUNBOOK_FILE "runbook.md"

/*
 * The anchor (without '#') of the section for a cause name as cause_classify() writes it:
 * "munmap" -> "munmap", "fault:cow" -> "fault-cow", "kthread:khugepaged" -> "kthread-khugepaged".
 * A syscall without a section of its own -> "syscall-other", another kernel thread ->
 * "kthread-other". Never NULL; a static string.
 */
const char *runbook_anchor(const char *cause);
/* The i-th cause name that has a section of its own (NULL past the last), and its anchor. */
const char *runbook_cause(size_t i, const char **anchor);
#endif
