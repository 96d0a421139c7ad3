// SPDX-License-Identifier: GPL-2.0
/*
 * Causes to runbook sections (runbook.h). One row per cause name that cause.c can write (rules
 * 1 and 3-6 of cause.h: fixed names), per syscall and per kernel thread that the runbook treats
 * on its own; every other syscall or kernel thread goes to the catch-all section of its kind.
 */
#include "runbook.h"

#include <string.h>

static const struct { const char *cause, *anchor; } sections[] = {
	/* rule 1: what the kernel was doing */
	{ "ipi-received", "ipi-received" },
	{ "task-switch", "task-switch" },
	{ "compaction", "compaction" },
	{ "numa", "numa" },
	{ "ksm", "ksm" },
	{ "migration", "migration" },
	{ "fault:cow", "fault-cow" },
	/* rule 2: the syscall (several share a section) */
	{ "munmap", "munmap" },
	{ "shmdt", "munmap" },
	{ "mprotect", "mprotect" },
	{ "pkey_mprotect", "mprotect" },
	{ "madvise", "madvise" },
	{ "process_madvise", "madvise" },
	{ "mremap", "mremap" },
	{ "brk", "brk" },
	{ "mmap", "mmap" },
	{ "execve", "execve" },
	{ "clone", "fork" },
	{ "clone3", "fork" },
	{ "fork", "fork" },
	{ "vfork", "fork" },
	{ "ioctl", "ioctl" },
	{ "mbind", "migration" },
	{ "move_pages", "migration" },
	{ "migrate_pages", "migration" },
	{ "set_mempolicy_home_node", "migration" },
	/* rules 3-6 */
	{ "exit", "exit" },
	{ "fault", "fault" },
	{ "other", "other" },
	{ "unknown", "unknown" },
	/* rule 5: kernel threads (the comm without instance digits) */
	{ "kthread:kcompactd", "compaction" },
	{ "kthread:khugepaged", "kthread-khugepaged" },
	{ "kthread:kswapd", "kthread-kswapd" },
	{ "kthread:ksmd", "ksm" },
	{ "kthread:kworker", "kthread-kworker" },
	{ "kthread:migration", "kthread-migration" },
};

const char *runbook_anchor(const char *cause)
{
	if (!cause)
		return "unknown";
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (!strcmp(cause, sections[i].cause))
			return sections[i].anchor;
	return strncmp(cause, "kthread:", 8) ? "syscall-other" : "kthread-other";
}

const char *runbook_cause(size_t i, const char **anchor)
{
	if (i >= sizeof(sections) / sizeof(sections[0]))
		return NULL;
	if (anchor)
		*anchor = sections[i].anchor;
	return sections[i].cause;
}
