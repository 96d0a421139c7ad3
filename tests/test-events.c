// SPDX-License-Identifier: GPL-2.0
/* Unit tests of events.c: the registry's lookups by short name, tracepoint, kind and use. */
#include "events.h"
#include "tap.h"

#include <stdio.h>
#include <string.h>

static void test_lookups(void)
{
	const struct tlb_event_def *d = tlb_events_by_short("tlb");

	ok(d && d->kind == EV_TLB_FLUSH, "short name tlb is tlb:tlb_flush");
	is_str(d ? d->tracepoint : NULL, "tlb:tlb_flush", "its tracepoint");
	is_str(d ? d->fields[TLB_F_REASON] : NULL, "reason", "it carries reason");
	is_str(d ? d->fields[TLB_F_PAGES] : NULL, "pages", "and pages");
	d = tlb_events_by_tracepoint("csd:csd_function_entry");
	is_str(d ? d->short_name : NULL, "csd-entry", "csd:csd_function_entry is csd-entry");
	d = tlb_events_by_name("ipi", "ipi_send_cpu");
	ok(d && d->kind == EV_IPI_SEND_CPU, "by sys and name");
	is_str(tlb_events_by_kind(EV_RENAME)->tracepoint, "task:task_rename", "by kind");
	ok(tlb_events_by_kind(EV_OTHER) == NULL, "EV_OTHER has no row");
	ok(tlb_events_by_short("nope") == NULL, "unknown short name");
	ok(tlb_events_by_tracepoint("tlb:nope") == NULL, "unknown tracepoint");
}

static void test_resolve(void)
{
	is_str(tlb_events_resolve("ipi"), "ipi:ipi_send_cpumask", "-e ipi");
	is_str(tlb_events_resolve("ipi-cpu"), "ipi:ipi_send_cpu", "-e ipi-cpu");
	is_str(tlb_events_resolve("sched:sched_switch"), "sched:sched_switch",
	       "another sys:name passes as is");
	ok(tlb_events_resolve("bogus") == NULL, "a word that is neither is refused");
	ok(tlb_events_resolve("exit") == NULL, "process exit has no short name");
	/* "*" used to pass through as a name and reach tracefs paths; now only [A-Za-z0-9_] */
	ok(tlb_events_resolve("tlb:*") == NULL, "the wildcard row is not resolved, nor passed");
	ok(tlb_events_resolve("../../../etc:passwd") == NULL, "a path in the system is refused");
	ok(tlb_events_resolve("sched:../../x") == NULL, "a path in the name is refused");
	ok(tlb_events_resolve(":") == NULL && tlb_events_resolve("a:b:c") == NULL,
	   "':' and 'a:b:c' are refused");
}

static void test_uses(void)
{
	char buf[256], small[8];
	size_t n;

	n = tlb_events_short_names(TLB_EVU_RECORD, ",", buf, sizeof(buf));
	/* the kernel lab's tracepoints (issue 19) join the default set: record takes them
	 * where the running kernel has them (patched kernels only) */
	is_str(buf, "tlb,ipi,csd,exec,rename,tlb-inv,mmu-notifier", "record's default set, in order");
	is_int(n, strlen(buf), "its length");
	tlb_events_short_names(TLB_EVU_RECORD | TLB_EVU_RECORD_OPT, ", ", buf, sizeof(buf));
	is_str(buf, "tlb, ipi, csd, exec, rename, csd-entry, csd-exit, ipi-cpu, tlb-inv, mmu-notifier",
	       "record's -e short names");
	n = tlb_events_short_names(TLB_EVU_RECORD, ",", small, sizeof(small));
	is_int(n, strlen("tlb,ipi,csd,exec,rename,tlb-inv,mmu-notifier"),
	       "a short buffer still says the length");
	is_str(small, "tlb,ipi", "and holds what fits");
	ok(tlb_events_by_short("tlb")->uses & TLB_EVU_REQUIRED, "tlb is required");
	ok(tlb_events_by_short("ipi")->uses & TLB_EVU_TOP_NO_CSD, "top takes ipi without csd");
	ok(tlb_events_by_short("csd")->uses & TLB_EVU_TOP, "top takes csd");
}

static void test_match(void)
{
	/* the wildcard row: since issue 19 tlb_invalidation has its own row, so another name
	 * stands for a future patched event here */
	const struct tlb_event_def *p = tlb_events_by_tracepoint("tlb:*");
	const struct tlb_event_def *t = tlb_events_by_short("tlb");
	const struct tlb_event_def *inv = tlb_events_by_kind(EV_PATCHED_FLUSH);

	ok(p != NULL, "the patched flush has a row");
	ok(tlb_events_match(p, "tlb", "tlb_shootdown", true), "it matches a tlb event with targets");
	ok(!tlb_events_match(p, "tlb", "tlb_shootdown", false), "not one without");
	ok(inv && !strcmp(inv->tracepoint, "tlb:tlb_invalidation") &&
	   !strcmp(inv->fields[TLB_F_TARGET_CPUS], "target_cpus") &&
	   !strcmp(inv->fields[TLB_F_RANGE_SIZE], "range_size"),
	   "tlb:tlb_invalidation is the patched flush's first row, with target_cpus and range_size");
	ok(tlb_events_match(inv, "tlb", "tlb_invalidation", false), "which matches it by name");
	ok(!tlb_events_match(p, "tlb", "tlb_invalidation", true), "and the wildcard leaves it alone");
	ok(tlb_events_by_kind(EV_MMU_NOTIFIER) &&
	   !strcmp(tlb_events_resolve("mmu-notifier"), "mmu_notifier:mmu_notifier_invalidation"),
	   "mmu-notifier resolves to mmu_notifier:mmu_notifier_invalidation");
	ok(!tlb_events_match(p, "tlb", "tlb_flush", true), "never tlb_flush");
	ok(!tlb_events_match(p, "ipi", "x", true), "nor another system");
	ok(tlb_events_match(t, "tlb", "tlb_flush", false), "an exact row matches its name");
	ok(!tlb_events_match(t, NULL, "tlb_flush", false), "NULL system");
}

static void test_table(void)
{
	size_t nr;
	const struct tlb_event_def *defs = tlb_events_table(&nr);
	int bad = 0;

	for (size_t i = 0; i < nr; i++) {
		char tp[128];

		snprintf(tp, sizeof(tp), "%s:%s", defs[i].sys, defs[i].name);
		bad += strcmp(tp, defs[i].tracepoint) != 0 || !defs[i].kernels ||
		       !(defs[i].uses & TLB_EVU_DECODE);
	}
	is_int(bad, 0, "every row: tracepoint is sys:name, kernels said, decoded");
}

/* Without a usable tlb:tlb_flush (a stock arm64 kernel, issue 20): what the commands say */
static void test_missing(void)
{
	struct tlb_events_view v = { .tracefs = true, .sys_enter = true, .tlb_flush_listed = true };
	char buf[1024], small[40];
	const char *head = "tlb:tlb_flush not available: ";
	size_t n;

	printf("# a stock arm64 kernel: tlb_flush listed (never fired), ipi_raise/entry/exit, raw_syscalls\n");
	snprintf(v.ipi, sizeof(v.ipi), "ipi:ipi_entry ipi:ipi_exit ipi:ipi_raise");
	tlb_events_view_settle(&v, "aarch64");
	ok(v.arm64 && !v.tlb_flush, "on aarch64 a listed tlb:tlb_flush is not usable");
	n = tlb_events_missing_text(&v, buf, sizeof(buf));
	is_int((int)n, (int)strlen(buf), "returns its length");
	ok(!strncmp(buf, head, strlen(head)), "starts with the stable 'tlb:tlb_flush not available: '");
	ok(!strncmp(buf, TLB_EVENTS_MISSING_FLUSH, strlen(TLB_EVENTS_MISSING_FLUSH)),
	   "which is TLB_EVENTS_MISSING_FLUSH");
	ok(strstr(buf, "arm64 kernels list it but never fire it") != NULL, "says why: listed, never fired");
	ok(strstr(buf, "tlb:tlb_invalidation (patches/") && strstr(buf, "is not here either"),
	   "says the patched event is missing too");
	ok(strstr(buf, "ipi:ipi_raise") != NULL, "names the ipi events that exist");
	ok(strstr(buf, "raw_syscalls:sys_enter") && strstr(buf, "'tlbstat stat --syscalls'"),
	   "offers the syscall rate");
	ok(strstr(buf, "not a flush count") != NULL, "and says it is not a flush count");

	v.tlb_flush_listed = false;
	tlb_events_view_settle(&v, "aarch64");
	ok(strstr(tlb_events_missing_why(&v), "does not list it") != NULL,
	   "arm64 without it listed: 'does not list it'");
	tlb_events_view_settle(&v, "x86_64");
	ok(!v.arm64 && !v.tlb_flush, "x86_64 without it listed: not usable");
	ok(strstr(tlb_events_missing_why(&v), "the tracepoint does not exist on this kernel") != NULL,
	   "x86_64: 'the tracepoint does not exist on this kernel'");
	v.tlb_flush_listed = true;
	tlb_events_view_settle(&v, "x86_64");
	ok(v.tlb_flush, "x86_64 with it listed: usable");
	tlb_events_view_settle(&v, NULL);
	ok(v.tlb_flush, "unknown machine with it listed: usable (x86's rules)");

	printf("# a patched arm64 kernel: tlb:tlb_invalidation, no ipi:, no raw_syscalls\n");
	memset(&v, 0, sizeof(v));
	v.tracefs = v.tlb_invalidation = v.tlb_flush_listed = true;
	tlb_events_view_settle(&v, "aarch64");
	tlb_events_missing_text(&v, buf, sizeof(buf));
	ok(strstr(buf, "tlb:tlb_invalidation (patches/) is here") != NULL, "the patched event is here");
	ok(strstr(buf, "'tlbstat stat' counts it") && strstr(buf, "record -e tlb-inv"),
	   "stat counts it, record -e tlb-inv records it");
	ok(strstr(buf, "no ipi: events") != NULL, "no ipi events said as such");
	ok(!strstr(buf, "--syscalls"), "no --syscalls offer without raw_syscalls:sys_enter");

	n = tlb_events_missing_text(&v, small, sizeof(small));
	is_int((int)strlen(small), (int)sizeof(small) - 1, "truncated to the buffer");
	ok(n > sizeof(small), "the length it needs comes back (%zu)", n);
	is_int((int)tlb_events_missing_text(&v, NULL, 0), (int)n, "a 0-length buffer only measures");

	const struct tlb_event_def *d = tlb_events_by_short("tlb-inv");
	is_str(d ? d->tracepoint : NULL, "tlb:tlb_invalidation", "tlb-inv is tlb:tlb_invalidation");
	is_str(d ? d->fields[TLB_F_TARGET_CPUS] : NULL, "target_cpus",
	       "it carries target_cpus (-1: a broadcast, arm64's TLBI)");
	ok(d && (d->uses & TLB_EVU_TOP) && (d->uses & TLB_EVU_RECORD),
	   "record and top take it where it exists");
}

int main(void)
{
	test_lookups();
	test_resolve();
	test_uses();
	test_match();
	test_table();
	test_missing();
	return done_testing();
}
