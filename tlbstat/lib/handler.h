/*
 * Flush handler time: what a TLB flush costs the CPU that runs it, from csd:csd_function_entry /
 * csd_function_exit around a TLB flush function (flush_tlb_func, kernel-range flushes).
 * An entry with csd == 0 is the initiator running the flush itself (local); csd != 0 is a call
 * taken from the IPI queue, i.e. on a victim CPU, in the context of the interrupted task.
 * Memory: a slot per CPU, a bounded table of tasks, fixed histograms; nothing per event.
 */
#ifndef TLBSTAT_HANDLER_H
#define TLBSTAT_HANDLER_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct tlb_event;

#define HANDLER_BUCKETS 40          /* log2 ns: bucket b holds [2^b, 2^(b+1)) ns */
#define HANDLER_MAX_TASKS 4096      /* beyond: counted in the totals, not per task */
#define HANDLER_MAX_NS 1000000000ull /* an entry older than 1 s without its exit is dropped */

enum { HANDLER_LOCAL, HANDLER_VICTIM, HANDLER_KINDS };

struct handler_task {
	pid_t pid, tid;
	uint64_t calls[HANDLER_KINDS], ns[HANDLER_KINDS];
};

struct handler_totals {
	uint64_t calls, ns, max_ns;
	uint64_t hist[HANDLER_BUCKETS];
};

struct handler_stats {
	struct handler_totals kind[HANDLER_KINDS];
	uint64_t entries, exits, unpaired;
	struct handler_task *tasks;
	int nr_tasks;
	struct handler_slot { bool open; uint64_t time, func, csd; } *cpus;
	int nr_cpus;
};

void handler_init(struct handler_stats *h);
void handler_free(struct handler_stats *h);
/* Feed a csd entry/exit whose function is a TLB flush function (caller checks func_class). */
void handler_event(struct handler_stats *h, const struct tlb_event *ev);
/* Quantile (0..1) of a kind's handler time in ns, from the histogram (bucket midpoint). */
double handler_quantile(const struct handler_totals *t, double q);
/* Task index of pid/tid in h->tasks, -1 if absent. */
int handler_find(const struct handler_stats *h, pid_t pid, pid_t tid);
#endif
