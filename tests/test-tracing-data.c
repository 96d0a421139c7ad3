// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of tracing-data.c's writer: a TRACING_DATA blob built from tracefs (root) reads
 * back with its events and the kallsyms lines of the symbol table it was given, and formats are
 * grouped by system. The reader's own tests (hand-built and perf's blobs) are in test-event.c.
 * Without a readable tracefs the points are skipped.
 */
#include "symbols.h"
#include "tap.h"
#include "tracefs.h"
#include "tracing-data.h"

#include <event-parse.h>
#include <stdlib.h>
#include <string.h>

static const char kallsyms[] =
	"ffffffff8134ae80 t flush_tlb_func\n"
	"ffffffff8134bf80 t do_kernel_range_flush\n"
	"ffffffff81500000 t unrelated\n";

static size_t count_n(const char *hay, size_t len, const char *needle, size_t nl)
{
	size_t n = 0;
	const char *p = hay, *end = hay + len;

	while ((p = memmem(p, (size_t)(end - p), needle, nl))) {
		n++;
		p += nl;
	}
	return n;
}

static size_t count(const char *hay, size_t len, const char *needle)
{
	return count_n(hay, len, needle, strlen(needle));
}

int main(void)
{
	static const char *const events[] = { "sched:sched_process_exec",
		"sched:sched_process_exit", "task:task_rename" };
	struct syms *in = syms_new(0), *out = syms_new(0);
	struct tep_handle *tep;
	char err[256], *blob;
	size_t len;

	syms_load_text(in, kallsyms, strlen(kallsyms), err, sizeof(err));
	if (tfs_locate(NULL, 0, err, sizeof(err)) < 0 ||
	    !tfs_event_exists("sched", "sched_process_exit") ||
	    !tfs_event_exists("task", "task_rename") ||
	    tdata_build(events, 3, in, &blob, &len, err, sizeof(err)) < 0) {
		printf("ok 1 - # SKIP tracefs unreadable or events missing: tdata_build needs root\n");
		printf("1..1\n");
		return 0;
	}
	ok(len > 100 && !memcmp(blob, "\x17\x08\x44tracing0.6", 14), "magic and version 0.6");
	is_int(count(blob, len, "name: sched_process_exit\n"), 1, "each format once");
	is_int(count_n(blob, len, "sched\0", 6), 1, "the sched system once, for both its events");
	is_int(count(blob, len, "t flush_tlb_func\n"), 1, "the table's TLB function line");
	is_int(count(blob, len, "unrelated"), 0, "not the lines it did not keep");
	tep = tdata_read(blob, len, out, err, sizeof(err));
	if (ok(tep != NULL, "reads back (%s)", tep ? "ok" : err)) {
		ok(tep_find_event_by_name(tep, "sched", "sched_process_exit") &&
		   tep_find_event_by_name(tep, "task", "task_rename"), "with its events");
		is_int(syms_func_class(out, 0xffffffff8134ae80ULL, NULL), TLB_FUNC_FLUSH,
		       "and its kallsyms lines");
		tep_free(tep);
	}
	free(blob);
	syms_free(in);
	syms_free(out);
	return done_testing();
}
