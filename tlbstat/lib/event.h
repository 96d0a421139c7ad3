/* SPDX-License-Identifier: GPL-2.0 */
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

#include "events.h"
#include "symbols.h"

struct tep_handle;
struct tlb_sample;

#define TLB_EVENT_MASK_WORDS 4   /* target_mask covers cpus 0..255 */

struct tlb_event {
	enum tlb_event_kind kind;
	uint64_t time;
	int cpu;
	pid_t pid, tid;
	int reason;              /* EV_TLB_FLUSH; EV_MMU_NOTIFIER: enum mmu_notifier_event */
	int64_t pages;           /* EV_TLB_FLUSH: -1 = full flush */
	int nr_targets;          /* IPI/CSD/patched: number of target cpus */
	/* tlb:tlb_invalidation: CPUs flushed, the initiator's included, -1 a broadcast (its
	 * nr_targets is then the remote ones: target_cpus - 1, 0 for a broadcast); 0 for other
	 * events */
	int target_cpus;
	/* tlb_invalidation: bytes asked for, 0 a full flush; mmu_notifier_invalidation: end -
	 * start; 0 for other events */
	int64_t range_size;
	/* tlb_invalidation: its end is all ones, the whole address space flushed (asked, or a range
	 * past the architecture's ceiling: x86 tlb_single_page_flush_ceiling, arm64 MAX_TLBI_OPS) */
	bool flush_all;
	int phase;               /* EV_MMU_NOTIFIER: 0 invalidate_range_start, 1 end */
	int target_cpu;          /* EV_IPI_SEND_CPU, EV_CSD_QUEUE_CPU; -1 otherwise */
	uint64_t func;           /* callback / csd func address; 0 if none */
	char comm[16];           /* EV_EXEC, EV_RENAME */
	enum tlb_func_class func_class;   /* class of func */
	/* IPI/CSD/patched: the target cpus (bit n of word n/64), host order; cpus >= 256 are
	 * counted in nr_targets but not in the mask. */
	uint64_t target_mask[TLB_EVENT_MASK_WORDS];
	/* EV_CSD_FUNC_ENTRY/EXIT: the call_single_data pointer; 0 when the function ran directly
	 * on the initiator (its own local flush), non-zero when it came from the queue (a victim). */
	uint64_t csd;
	/* the sample's call chain (PERF_SAMPLE_CALLCHAIN), pointing into the record; NULL/0 if none.
	 * Valid only during the callback that receives the event. */
	const uint64_t *callchain;
	uint32_t nr_callchain;
	/* the sample's user registers and stack (--call-graph dwarf: REGS_USER|STACK_USER), NULL if
	 * none or malformed; same lifetime as callchain */
	const struct tlb_user_stack *ustack;
	uint64_t cgroup;         /* PERF_SAMPLE_CGROUP: the task's cgroup id (lib/cgroup.h); 0 if none */
};

struct tlb_decoder;
/*
 * A decoder of tep's events (those of the registry, events.h). Function addresses are classified
 * by syms (the caller's, kept for the decoder's life; NULL: every class is NONE). NULL when out
 * of memory.
 */
struct tlb_decoder *tlb_decoder_new(struct tep_handle *tep, struct syms *syms);
void tlb_decoder_free(struct tlb_decoder *d);
/* Decode a sample (raw payload + pid/tid/cpu/time). Returns the kind (EV_OTHER if not ours). */
enum tlb_event_kind tlb_decode(struct tlb_decoder *d, const struct tlb_sample *s, struct tlb_event *ev);
/* Is this function address a TLB flush callback (flush_tlb_func, kernel range flush)? */
bool tlb_decoder_is_tlb_func(struct tlb_decoder *d, uint64_t func);
enum tlb_func_class tlb_decoder_func_class(struct tlb_decoder *d, uint64_t func);
/*
 * Read the symbol table's wanted /proc/kallsyms (syms_want_proc) now rather than at the first
 * classification. A live session does it before its events are enabled: the ~0.1 s read in the
 * middle of the first drain let the ring buffers overflow at ~100k events/s (measured on an IPI
 * machine).
 */
void tlb_decoder_load_symbols(struct tlb_decoder *d);
/* Name of a known TLB function address ("flush_tlb_func"), or NULL. */
const char *tlb_decoder_func_name(struct tlb_decoder *d, uint64_t func);
/* "sys:name"-less event name of a raw payload's common_type ("tlb_flush"), or NULL. */
const char *tlb_decoder_event_name(struct tlb_decoder *d, const void *raw, uint32_t raw_size);
/* Number of target cpus in a __data_loc cpumask_t bitmap (long_size-byte words). */
int tlb_cpumask_weight(const void *bits, size_t len);
#endif
