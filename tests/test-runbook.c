// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of runbook.c: causes map to the anchors of Documentation/runbook.md (fixed names,
 * syscalls and kernel threads with a section of their own, the catch-alls), and every anchor the
 * table names exists in the runbook (read from the source tree: tests run from its root).
 */
#include "cause.h"
#include "runbook.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1))) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	fclose(f);
	return buf;
}

static int has_anchor(const char *doc, const char *anchor)
{
	char want[128];

	snprintf(want, sizeof(want), "<a id=\"%s\"></a>", anchor);
	return strstr(doc, want) != NULL;
}

static void mapping(void)
{
	is_str(runbook_anchor("munmap"), "munmap", "munmap has its own section");
	is_str(runbook_anchor("shmdt"), "munmap", "shmdt shares munmap's");
	is_str(runbook_anchor("pkey_mprotect"), "mprotect", "pkey_mprotect shares mprotect's");
	is_str(runbook_anchor("fault:cow"), "fault-cow", "fault:cow -> fault-cow");
	is_str(runbook_anchor("kthread:khugepaged"), "kthread-khugepaged", "khugepaged");
	is_str(runbook_anchor("kthread:kcompactd"), "compaction", "kcompactd goes to compaction");
	is_str(runbook_anchor("kthread:ksmd"), "ksm", "ksmd goes to ksm");
	is_str(runbook_anchor("numa"), "numa", "numa (task_numa_work, NUMA hinting faults)");
	is_str(runbook_anchor("userfaultfd"), "syscall-other", "an unlisted syscall: the catch-all");
	is_str(runbook_anchor("kthread:irq"), "kthread-other", "an unlisted kernel thread");
	is_str(runbook_anchor(NULL), "unknown", "no cause: unknown");
}

/* Every name cause_classify() writes for the chains below has a section (not a catch-all). */
static void classified(const char *doc)
{
	static const struct { const char *frames[3]; const char *comm; } chains[] = {
		{ { "flush_tlb_func_remote", "sysvec_call_function", NULL }, "x" },
		{ { "switch_mm_irqs_off", "schedule", NULL }, "x" },
		{ { "compact_zone", "kcompactd", "ret_from_fork" }, "kcompactd0" },
		{ { "change_prot_numa", "task_numa_work", "task_work_run" }, "x" },
		{ { "ksm_do_scan", "ksm_scan_thread", "ret_from_fork" }, "ksmd" },
		{ { "migrate_pages", "do_migrate_pages", "__x64_sys_migrate_pages" }, "x" },
		{ { "wp_page_copy", "handle_mm_fault", "asm_exc_page_fault" }, "x" },
		{ { "zap_page_range", "do_exit", "do_group_exit" }, "x" },
		{ { "flush_tlb_mm_range", "handle_mm_fault", "asm_exc_page_fault" }, "x" },
		{ { "collapse_huge_page", "khugepaged", "ret_from_fork" }, "khugepaged" },
		{ { "shrink_folio_list", "kswapd", "ret_from_fork" }, "kswapd0" },
		{ { "flush_tlb_mm_range", "worker_thread", "ret_from_fork" }, "kworker/1:2" },
		{ { "flush_tlb_mm_range", "some_function", NULL }, "x" },
		{ { NULL, NULL, NULL }, "x" },
	};

	for (size_t i = 0; i < sizeof(chains) / sizeof(chains[0]); i++) {
		char buf[64];
		size_t n = 0;
		const char *c, *a;

		while (n < 3 && chains[i].frames[n])
			n++;
		c = cause_classify(chains[i].frames, n ? n : 1, chains[i].comm, buf, sizeof(buf));
		a = runbook_anchor(c);
		ok(strcmp(a, "syscall-other") && strcmp(a, "kthread-other") && has_anchor(doc, a),
		   "cause %s -> section #%s, in the runbook", c, a);
	}
}

int main(void)
{
	char *doc = slurp("Documentation/" RUNBOOK_FILE);
	const char *cause, *anchor;
	size_t i;

	mapping();
	ok(doc != NULL, "Documentation/%s readable from the tree's root", RUNBOOK_FILE);
	if (!doc)
		return done_testing();
	for (i = 0; (cause = runbook_cause(i, &anchor)); i++)
		ok(has_anchor(doc, anchor), "%s -> #%s exists", cause, anchor);
	ok(i >= 30, "the table has %zu causes", i);
	ok(has_anchor(doc, "syscall-other") && has_anchor(doc, "kthread-other"),
	   "the catch-alls exist");
	classified(doc);
	free(doc);
	return done_testing();
}
