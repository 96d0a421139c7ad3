/*
 * Decoding raw tracepoint samples into TLB-related events through libtraceevent. Field offsets
 * come from the event formats (tracefs when live, the file's TRACING_DATA when reading); nothing
 * outside this file knows an offset.
 */
#ifndef TLBSTAT_EVENT_H
#define TLBSTAT_EVENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tep_handle;
struct tlb_sample;

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
};

struct tlb_event {
	enum tlb_event_kind kind;
	uint64_t time;
	int cpu;
	pid_t pid, tid;
	int reason;              /* EV_TLB_FLUSH */
	int64_t pages;           /* EV_TLB_FLUSH: -1 = full flush */
	int nr_targets;          /* IPI/CSD/patched: number of target cpus */
	int target_cpu;          /* EV_IPI_SEND_CPU, EV_CSD_QUEUE_CPU; -1 otherwise */
	uint64_t func;           /* callback / csd func address; 0 if none */
	char comm[16];           /* EV_EXEC, EV_RENAME */
};

/* Build a tep handle from tracefs's formats of the given events ("sys:name"). */
struct tep_handle *event_tep_from_tracefs(const char *const *events, int nr);
/* Build a tep handle from a perf.data TRACING_DATA blob. NULL with err on a bad blob. */
struct tep_handle *event_tep_from_tracing_data(const void *data, size_t len, char *err, size_t errlen);

struct tlb_decoder;
struct tlb_decoder *tlb_decoder_new(struct tep_handle *tep);
void tlb_decoder_free(struct tlb_decoder *d);
/* Decode a sample (raw payload + pid/tid/cpu/time). Returns the kind (EV_OTHER if not ours). */
enum tlb_event_kind tlb_decode(struct tlb_decoder *d, const struct tlb_sample *s, struct tlb_event *ev);
/* Is this function address a TLB flush callback (flush_tlb_func, kernel range flush)? */
bool tlb_decoder_is_tlb_func(struct tlb_decoder *d, uint64_t func);
#endif
