// SPDX-License-Identifier: GPL-2.0
/*
 * The event registry (events.h).
 *
 * Kernel versions: tlb:tlb_flush is x86's own tracepoint (arch/x86/mm/tlb.c, since 3.17; no
 * other architecture has it); ipi:ipi_send_cpu/ipi_send_cpumask came with the generic IPI
 * tracing series merged for 6.4; the csd: system (csd_queue_cpu, csd_function_entry/exit) with
 * the smp tracepoints merged for 6.5. A public survey of distribution kernels (DepSurf) brackets
 * both: absent in 6.2, present in 6.5; Debian's 6.1 (the QEMU guest) has neither, this machine's
 * 6.18 has both. sched and task events are generic (sched_process_exec since 3.4).
 */
#include "events.h"
#include "evlist.h"
#include "tracefs.h"
#include "transport.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#define TP(s, n) .tracepoint = s ":" n, .sys = s, .name = n

static const struct tlb_event_def table[] = {
	{ "tlb", TP("tlb", "tlb_flush"), EV_TLB_FLUSH,
	  { [TLB_F_REASON] = "reason", [TLB_F_PAGES] = "pages" },
	  TLB_EVU_RECORD | TLB_EVU_TOP | TLB_EVU_DECODE | TLB_EVU_REQUIRED,
	  "x86 only (arch/x86/mm/tlb.c), Linux >= 3.17" },
	{ "ipi", TP("ipi", "ipi_send_cpumask"), EV_IPI_SEND_CPUMASK,
	  { [TLB_F_MASK] = "cpumask", [TLB_F_FUNC] = "callback" },
	  TLB_EVU_RECORD | TLB_EVU_TOP_NO_CSD | TLB_EVU_DECODE,
	  "Linux >= 6.4 (6.1 has none on x86)" },
	{ "csd", TP("csd", "csd_queue_cpu"), EV_CSD_QUEUE_CPU,
	  { [TLB_F_CPU] = "cpu", [TLB_F_FUNC] = "func" },
	  TLB_EVU_RECORD | TLB_EVU_TOP | TLB_EVU_DECODE, "Linux >= 6.5" },
	{ "exec", TP("sched", "sched_process_exec"), EV_EXEC,
	  { [TLB_F_FILENAME] = "filename" },
	  TLB_EVU_RECORD | TLB_EVU_TOP | TLB_EVU_DECODE, "all (Linux >= 3.4)" },
	{ "rename", TP("task", "task_rename"), EV_RENAME,
	  { [TLB_F_NEWCOMM] = "newcomm" },
	  TLB_EVU_RECORD | TLB_EVU_TOP | TLB_EVU_DECODE, "all (generic)" },
	{ "csd-entry", TP("csd", "csd_function_entry"), EV_CSD_FUNC_ENTRY,
	  { [TLB_F_FUNC] = "func", [TLB_F_CSD] = "csd" },
	  TLB_EVU_RECORD_OPT | TLB_EVU_DECODE, "Linux >= 6.5" },
	{ "csd-exit", TP("csd", "csd_function_exit"), EV_CSD_FUNC_EXIT,
	  { [TLB_F_FUNC] = "func", [TLB_F_CSD] = "csd" },
	  TLB_EVU_RECORD_OPT | TLB_EVU_DECODE, "Linux >= 6.5" },
	{ "ipi-cpu", TP("ipi", "ipi_send_cpu"), EV_IPI_SEND_CPU,
	  { [TLB_F_CPU] = "cpu", [TLB_F_FUNC] = "callback" },
	  TLB_EVU_RECORD_OPT | TLB_EVU_DECODE, "Linux >= 6.4" },
	/* no short name: record -e accepts it as sched:sched_process_exit */
	{ NULL, TP("sched", "sched_process_exit"), EV_PROCESS_EXIT, { 0 }, TLB_EVU_DECODE, "all" },
	/*
	 * The kernel lab's tracepoints (patches/, issue 19), on patched kernels only: one
	 * tlb_invalidation per flush x86 flush_tlb_mm_range() decides, in the initiator's
	 * context, with the fan-out; one mmu_notifier_invalidation per start and end of a
	 * secondary-MMU invalidation (only for mms with notifiers).
	 */
	{ "tlb-inv", TP("tlb", "tlb_invalidation"), EV_PATCHED_FLUSH,
	  { [TLB_F_TARGET_CPUS] = "target_cpus", [TLB_F_RANGE_SIZE] = "range_size",
	    [TLB_F_END] = "end" },
	  TLB_EVU_RECORD | TLB_EVU_TOP | TLB_EVU_DECODE,
	  "patched kernels only (patches/: x86 and arm64)" },
	{ "mmu-notifier", TP("mmu_notifier", "mmu_notifier_invalidation"), EV_MMU_NOTIFIER,
	  { [TLB_F_REASON] = "event", [TLB_F_RANGE_SIZE] = "range_size", [TLB_F_PHASE] = "phase" },
	  TLB_EVU_RECORD | TLB_EVU_DECODE, "patched kernels only (patches/0002)" },
	/*
	 * The project's patched tracepoint (patches/): any other event of the "tlb" system that
	 * carries the flush's targets as "cpumask" or "nr_targets". Once it has a settled name,
	 * this row names it and gets a short name.
	 */
	{ NULL, TP("tlb", "*"), EV_PATCHED_FLUSH,
	  { [TLB_F_REASON] = "reason", [TLB_F_PAGES] = "pages", [TLB_F_MASK] = "cpumask",
	    [TLB_F_FUNC] = "func", [TLB_F_NR_TARGETS] = "nr_targets" },
	  TLB_EVU_DECODE, "patched kernels only (patches/)" },
};

const struct tlb_event_def *tlb_events_table(size_t *nr)
{
	*nr = ARRAY_SIZE(table);
	return table;
}

const struct tlb_event_def *tlb_events_by_short(const char *short_name)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (table[i].short_name && !strcmp(table[i].short_name, short_name))
			return &table[i];
	return NULL;
}

const struct tlb_event_def *tlb_events_by_tracepoint(const char *tracepoint)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (!strcmp(table[i].tracepoint, tracepoint))
			return &table[i];
	return NULL;
}

const struct tlb_event_def *tlb_events_by_name(const char *sys, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (!strcmp(table[i].sys, sys) && !strcmp(table[i].name, name))
			return &table[i];
	return NULL;
}

const struct tlb_event_def *tlb_events_by_kind(enum tlb_event_kind kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (table[i].kind == kind)
			return &table[i];
	return NULL;
}

const char *tlb_events_resolve(const char *item)
{
	const struct tlb_event_def *def = tlb_events_by_short(item);
	const char *c = strchr(item, ':');

	if (!def)
		def = tlb_events_by_tracepoint(item);
	if (def && strcmp(def->name, "*"))
		return def->tracepoint;
	/* the one check of user-given names, before any of them reaches a tracefs path */
	if (!c || !tfs_valid_name(item, (size_t)(c - item)) || !tfs_valid_name(c + 1, strlen(c + 1)))
		return NULL;
	return item;
}

size_t tlb_events_short_names(unsigned uses, const char *sep, char *buf, size_t len)
{
	size_t n = 0;

	if (len)
		buf[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		int k;

		if (!table[i].short_name || !(table[i].uses & uses))
			continue;
		k = snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, "%s%s",
			     n ? sep : "", table[i].short_name);
		if (k > 0)
			n += (size_t)k;
	}
	return n;
}

bool tlb_events_match(const struct tlb_event_def *def, const char *sys, const char *name,
		      bool has_targets)
{
	if (!sys || !name || strcmp(def->sys, sys))
		return false;
	if (strcmp(def->name, "*"))
		return !strcmp(def->name, name);
	/* the wildcard row: any other event of its system that names its targets */
	return has_targets && !tlb_events_by_name(sys, name);
}

void tlb_events_view_read(struct tlb_events_view *v)
{
	char *ipi;
	struct utsname u;

	memset(v, 0, sizeof(*v));
	v->tracefs = tfs_locate(NULL, 0, NULL, 0) == 0;
	if (v->tracefs) {
		v->tlb_flush_listed = tfs_event_exists("tlb", "tlb_flush");
		v->tlb_invalidation = tfs_event_exists("tlb", "tlb_invalidation");
		v->sys_enter = tfs_event_exists("raw_syscalls", "sys_enter");
		ipi = tfs_list_events("ipi");
		if (ipi)
			snprintf(v->ipi, sizeof(v->ipi), "%s", ipi);
		free(ipi);
	}
	tlb_events_view_settle(v, uname(&u) == 0 ? u.machine : NULL);
}

void tlb_events_view_settle(struct tlb_events_view *v, const char *machine)
{
	v->arm64 = transport_machine_is_arm64(machine);
	v->tlb_flush = v->tlb_flush_listed && !v->arm64;
}

const char *tlb_events_missing_why(const struct tlb_events_view *v)
{
	if (v->arm64 && v->tlb_flush_listed)
		return "arm64 kernels list it but never fire it (only x86 calls trace_tlb_flush)";
	if (v->arm64)
		return "this arm64 kernel does not list it (only x86 fires it)";
	return "the tracepoint does not exist on this kernel (only x86 kernels fire it)";
}


size_t tlb_events_missing_text(const struct tlb_events_view *v, char *buf, size_t len)
{
	size_t n = 0;
	int k;

#define ADD(...) do { k = snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, __VA_ARGS__); \
		      if (k > 0) n += (size_t)k; } while (0)
	if (len)
		buf[0] = 0;
	ADD("%s: %s", TLB_EVENTS_MISSING_FLUSH, tlb_events_missing_why(v));
	if (v->tlb_invalidation)
		ADD("\n  tlb:tlb_invalidation (patches/) is here: 'tlbstat stat' counts it, "
		    "'tlbstat record -e tlb-inv' records it");
	else
		ADD("\n  tlb:tlb_invalidation (patches/, a patched kernel: vm/build_kernel.sh) is not "
		    "here either");
	ADD("\n  this kernel has: %s%s%s", v->ipi[0] ? v->ipi : "no ipi: events",
	    v->ipi[0] ? " (IPI-based paths; a broadcast TLBI fires none)" : "",
	    v->sys_enter ? "; raw_syscalls:sys_enter" : "");
	if (v->sys_enter)
		ADD("\n  'tlbstat stat --syscalls' counts the memory-management system calls that "
		    "flush (munmap, mprotect, madvise, mremap, brk): a syscall rate, not a flush count");
#undef ADD
	return n;
}

int tlb_events_add_live_set(struct tlb_evlist *el, const struct perf_event_attr *attr)
{
	const struct tlb_event_def *csd = tlb_events_by_kind(EV_CSD_QUEUE_CPU);
	bool have_csd = tfs_event_exists(csd->sys, csd->name);
	struct tlb_events_view v;
	bool inv_only;

	/* no usable tlb:tlb_flush (arm64): the patched tlb:tlb_invalidation stands in, or the
	 * one message says what is missing */
	tlb_events_view_read(&v);
	inv_only = v.tracefs && !v.tlb_flush && v.tlb_invalidation;
	if (v.tracefs && !v.tlb_flush && !v.tlb_invalidation) {
		char text[1024];

		tlb_events_missing_text(&v, text, sizeof(text));
		tlb_err("%s", text);
		return -1;
	}
	size_t nr;
	const struct tlb_event_def *defs = tlb_events_table(&nr);

	for (size_t i = 0; i < nr; i++) {
		const struct tlb_event_def *def = &defs[i];

		if ((def->uses & TLB_EVU_REQUIRED) && (def->uses & TLB_EVU_TOP) && !inv_only) {
			if (tlb_evlist_add(el, def->tracepoint, NULL, attr) < 0)
				return -1;
			continue;
		}
		/*
		 * Fan-out: csd:csd_queue_cpu names the function each target runs; where it exists
		 * the ipi events' callback is the generic IPI handler, so ipi:ipi_send_cpumask is
		 * only worth its volume on kernels without csd events (TLB_EVU_TOP_NO_CSD).
		 */
		if ((def->uses & TLB_EVU_TOP_NO_CSD) ? have_csd : !(def->uses & TLB_EVU_TOP))
			continue;
		if (tfs_event_exists(def->sys, def->name))
			tlb_evlist_add(el, def->tracepoint, NULL, attr);
	}
	return 0;
}
