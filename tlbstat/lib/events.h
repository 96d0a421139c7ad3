/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event registry: one row per tracepoint tlbstat knows (short name, "sys:name", the kind it
 * decodes to, the fields the decoder reads, which commands use it, which kernels have it).
 * record's -e short names and defaults, top's event set, a file's stand-in formats and the
 * decoder's field table all read this table; a new event is one row here (and, if it is a new
 * kind, a case in the decoder).
 */
#ifndef TLBSTAT_EVENTS_H
#define TLBSTAT_EVENTS_H
#include <stdbool.h>
#include <stddef.h>

enum tlb_event_kind {
	EV_OTHER = 0,
	EV_TLB_FLUSH,            /* tlb:tlb_flush: reason, pages */
	EV_IPI_SEND_CPUMASK,     /* ipi:ipi_send_cpumask: nr_targets, func */
	EV_IPI_SEND_CPU,         /* ipi:ipi_send_cpu: nr_targets = 1, target_cpu, func */
	EV_CSD_QUEUE_CPU,        /* csd:csd_queue_cpu: target_cpu, func */
	EV_CSD_FUNC_ENTRY,       /* csd:csd_function_entry: func */
	EV_CSD_FUNC_EXIT,        /* csd:csd_function_exit: func */
	EV_EXEC,                 /* sched:sched_process_exec: comm from filename */
	EV_RENAME,               /* task:task_rename: newcomm */
	EV_PROCESS_EXIT,         /* sched:sched_process_exit */
	EV_PATCHED_FLUSH,        /* the project's own patched tracepoint (patches/) */
	/* mmu_notifier:mmu_notifier_invalidation (patches/): range_size, phase, reason = the
	 * enum mmu_notifier_event. It flushes secondary MMUs, not CPUs: counted apart
	 * (count_lab(), notifier_*), never as an invalidation. */
	EV_MMU_NOTIFIER,
};

/* The decoder's field slots: which payload field fills which part of a tlb_event. */
enum tlb_field_slot {
	TLB_F_REASON, TLB_F_PAGES, TLB_F_MASK, TLB_F_CPU, TLB_F_FUNC, TLB_F_FILENAME,
	TLB_F_NEWCOMM, TLB_F_NR_TARGETS, TLB_F_CSD,
	TLB_F_TARGET_CPUS,       /* CPUs flushed, the initiator's included; -1 a broadcast */
	TLB_F_RANGE_SIZE,        /* bytes asked for; 0 a full flush (tlb_invalidation) */
	TLB_F_PHASE,             /* mmu_notifier: 0 start, 1 end */
	TLB_F_END,               /* tlb_invalidation: end of the range flushed (all ones: whole) */
	TLB_F_MAX
};

/* Who uses a row (tlb_event_def.uses). */
enum {
	TLB_EVU_RECORD = 1 << 0,       /* record's default set (when present on this kernel) */
	TLB_EVU_RECORD_OPT = 1 << 1,   /* record: only by -e (or --cost) */
	TLB_EVU_TOP = 1 << 2,          /* top (when present) */
	TLB_EVU_TOP_NO_CSD = 1 << 3,   /* top, only on kernels without csd:csd_queue_cpu */
	TLB_EVU_DECODE = 1 << 4,       /* decoded into a tlb_event (report, top, record's counts) */
	TLB_EVU_REQUIRED = 1 << 5,     /* record/top open it even when tracefs lacks it (the error
					* then says so) */
};

struct tlb_event_def {
	const char *short_name;        /* record -e name ("tlb"); NULL: none */
	const char *tracepoint;        /* "sys:name"; a name of "*" matches any (see match) */
	const char *sys, *name;
	enum tlb_event_kind kind;
	const char *fields[TLB_F_MAX]; /* payload field name by slot; NULL if unused */
	unsigned uses;                 /* TLB_EVU_* */
	const char *kernels;           /* which kernels have it (for docs and error text) */
};

/* The whole table, in the order record and top add events. */
const struct tlb_event_def *tlb_events_table(size_t *nr);
/* A row by short name ("csd-entry"); NULL if none. */
const struct tlb_event_def *tlb_events_by_short(const char *short_name);
/* A row by exact tracepoint ("tlb:tlb_flush") or sys and name; NULL if none. */
const struct tlb_event_def *tlb_events_by_tracepoint(const char *tracepoint);
const struct tlb_event_def *tlb_events_by_name(const char *sys, const char *name);
/* The row of a kind (its first); NULL for EV_OTHER. */
const struct tlb_event_def *tlb_events_by_kind(enum tlb_event_kind kind);
/* An -e item: a short name or a known "sys:name" -> its tracepoint; another "sys:name" as is
 * when both names are of [A-Za-z0-9_]; NULL for anything else. */
const char *tlb_events_resolve(const char *item);
/* The short names of rows with any of the uses bits, joined by sep ("tlb, ipi, csd"); returns
 * the length it needs (snprintf's habit). */
size_t tlb_events_short_names(unsigned uses, const char *sep, char *buf, size_t len);
/*
 * The patched-tracepoint row matches any "tlb" event but tlb_flush that carries the flush's
 * targets (has_targets: a cpumask or nr_targets field); other rows match by exact name.
 */
bool tlb_events_match(const struct tlb_event_def *def, const char *sys, const char *name,
		      bool has_targets);

/*
 * What this kernel offers in place of tlb:tlb_flush (issue 20, Documentation/arm64.md). The
 * event is defined on every architecture (include/trace/events/tlb.h, created in mm/rmap.c) but
 * only x86 fires it: an arm64 kernel lists it in tracefs and never fires it (0 in a stock arm64
 * guest over 200 munmaps), so on arm64 it is unusable whatever tracefs says. Read from tracefs
 * and uname, or filled by hand (tests).
 */
struct tlb_events_view {
	bool tracefs;                  /* tracefs readable: the rest means something */
	bool arm64;                    /* uname's machine is arm64 (transport_machine_is_arm64) */
	bool tlb_flush_listed;         /* tlb:tlb_flush is in tracefs */
	bool tlb_flush;                /* ... and fires here: listed and not arm64 */
	bool tlb_invalidation;         /* tlb:tlb_invalidation (patches/, x86 and arm64) */
	bool sys_enter;                /* raw_syscalls:sys_enter (stat --syscalls) */
	char ipi[160];                 /* the ipi: events, space-separated; "" none */
};
void tlb_events_view_read(struct tlb_events_view *v);
/* v from what tracefs lists and the machine (fills arm64 and tlb_flush); for tests */
void tlb_events_view_settle(struct tlb_events_view *v, const char *machine);
/*
 * Without a usable tlb:tlb_flush, the one message every command gives; its start is stable (the
 * arm64 guest's smoke greps "tlbstat: tlb:tlb_flush not available"): TLB_EVENTS_MISSING_FLUSH,
 * ": " and why (tlb_events_missing_why), then, one line each, what exists instead and what to
 * run. The commands print it with tlb_err ("tlbstat: " before it). Returns the length it needs
 * (snprintf's habit).
 */
size_t tlb_events_missing_text(const struct tlb_events_view *v, char *buf, size_t len);
#define TLB_EVENTS_MISSING_FLUSH "tlb:tlb_flush not available"
/* why, one clause: arm64 never fires it, or this kernel does not list it */
const char *tlb_events_missing_why(const struct tlb_events_view *v);

struct tlb_evlist;
struct perf_event_attr;
/*
 * The live consumers' event set (top, exporter): the required rows opened whatever tracefs says
 * (their error names what is missing), the others where this kernel has them; tlb:tlb_flush is
 * left out when this kernel lacks it but has tlb:tlb_invalidation (a patched arm64 kernel),
 * which then stands in for it. 0, or -1 when a required one cannot be added (tlb_evlist_add
 * said why).
 */
int tlb_events_add_live_set(struct tlb_evlist *el, const struct perf_event_attr *attr);
#endif
