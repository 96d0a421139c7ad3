/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoint events opened through libperf: one evlist per command, one evsel per (event, filter).
 * Counting (stat) and sampling into per-CPU ring buffers (record, top) use the same open path.
 */
#ifndef TLBSTAT_EVLIST_H
#define TLBSTAT_EVLIST_H
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct perf_evlist;
struct perf_evsel;

/* What to observe: system wide (all online cpus, or cpu_list), a pid/tid, or a forked command. */
struct tlb_target {
	bool system_wide;         /* -a (default when nothing else is given) */
	const char *cpu_list;     /* -C: implies system_wide on those cpus */
	pid_t pid;                /* -p: every thread of pid (from /proc/pid/task) */
	pid_t tid;                /* -t: one thread */
	pid_t workload;           /* forked command: per task (inherit, enable_on_exec) unless
	                             system_wide, where the caller enables before starting it */
};

/*
 * The target from the usual options (-a, -C cpus, -p pid, -t tid, a command or not). 0, or -1
 * with a one-line message in err on a bad or contradictory combination (a usage error).
 */
int tlb_target_from_options(struct tlb_target *t, bool all_cpus, const char *cpu_list,
			    const char *pid, const char *tid, bool has_command, char *err,
			    size_t errlen);

struct tlb_evsel {
	char sys[64], name[64];
	char *filter;             /* tracepoint filter or NULL */
	int tp_id;
	struct perf_evsel *evsel;
	struct perf_event_attr attr;
};

struct tlb_evlist {
	struct perf_evlist *evlist;
	struct tlb_evsel *evsels;
	int nr_evsels;
	int *cpus;                /* cpu numbers (per-task targets: every online cpu) */
	int nr_cpus;
	pid_t *tids;              /* -1 for system wide */
	int nr_tids;
	bool sampling;
	bool mmapped;
	bool grouped;
};

/* Fill attr for counting a tracepoint (period 0, no sampling). */
void tlb_attr_counting(struct perf_event_attr *attr, int tp_id);
/*
 * Fill attr for sampling every hit of a tracepoint: period 1,
 * sample_type IDENTIFIER|TID|TIME|CPU|PERIOD|RAW, sample_id_all, clock monotonic.
 */
void tlb_attr_sampling(struct perf_event_attr *attr, int tp_id);

void tlb_evlist_init(struct tlb_evlist *el);
/*
 * Add "sys:name" with an optional filter. attr may be NULL (counting); its config is set from the
 * tracefs id. Returns the evsel index, or -1 with a message (tracepoint missing: names the events
 * that do exist in that system).
 */
int tlb_evlist_add(struct tlb_evlist *el, const char *event, const char *filter,
		   const struct perf_event_attr *attr);
/* The index of "sys:name" in el, or -1: a list that names an event twice must not count it
 * twice. */
int tlb_evlist_find(const struct tlb_evlist *el, const char *event);
/* Build cpu and thread maps for the target; -1 with a message on a bad cpu list or pid. */
int tlb_evlist_set_target(struct tlb_evlist *el, const struct tlb_target *t);
/* Open every evsel on every cpu/thread and apply the filters; -1 with a clear message. */
int tlb_evlist_open(struct tlb_evlist *el);
/*
 * The default ring buffer, pages per cpu: 16 MiB shared by the online cpus, at least 128
 * (perf record's 512 KiB) and at most 512 (2 MiB). A reader on a VM can be woken late (an
 * idle vCPU waits for the host): with 512 KiB, record -a lost 1-10 % at 400k-800k events/s
 * on a 2-vCPU KVM guest, with 2 MiB nothing.
 */
int tlb_default_mmap_pages(void);
/*
 * Per-task targets (-p, -t): whether any target thread still runs (true for system-wide).
 * A thread that exited or is a zombie does not.
 */
bool tlb_evlist_targets_alive(const struct tlb_evlist *el);
/*
 * Wait up to timeout_ms for ring buffer data. For per-task targets a buffer whose task exited
 * reports POLLHUP for ever: its fds leave the poll set (the buffer stays readable until drained,
 * as in perf record), and false comes back once no fd is left, i.e. every target is gone.
 */
bool tlb_evlist_poll(struct tlb_evlist *el, int timeout_ms);
/*
 * Map the ring buffers (pages per cpu, a power of two; 0 = tlb_default_mmap_pages(), falling
 * back to 128 where this user may not lock that much).
 */
int tlb_evlist_mmap(struct tlb_evlist *el, int pages);
/*
 * Every record of one ring buffer to fn, oldest first, in place (a record that wraps is copied
 * whole first). The head is read once per batch, not per record; the tail moves every
 * TLB_RING_TAIL_STEP bytes and at the end, so the kernel gets room back during a long drain.
 * Stops at fn's first non-zero return (the record it was given counts as read) and returns it.
 */
struct perf_mmap;
typedef int (*tlb_record_fn)(void *ctx, const struct perf_event_header *hdr);
#define TLB_RING_TAIL_STEP (16u << 10)
int tlb_mmap_read(struct perf_mmap *map, tlb_record_fn fn, void *ctx);
void tlb_evlist_enable(struct tlb_evlist *el);
void tlb_evlist_disable(struct tlb_evlist *el);
void tlb_evlist_close(struct tlb_evlist *el);   /* munmap, close, free */

/* Count of evsel idx on cpu index ci, summed over threads. */
uint64_t tlb_evlist_count(struct tlb_evlist *el, int idx, int ci);
/*
 * Counting groups: tlb_evlist_group() (after adding, before opening) makes the first evsel the
 * leader of all; tlb_evlist_read_group() then reads every member's count on cpu index ci with one
 * read() per thread (PERF_FORMAT_GROUP), into vals[nr_evsels]. 0, or -1 with errno.
 */
void tlb_evlist_group(struct tlb_evlist *el);
int tlb_evlist_read_group(struct tlb_evlist *el, int ci, uint64_t *vals);
/*
 * Sample ids (PERF_EVENT_IOC_ID) of evsel idx, one per fd; returns count, *ids malloc'd
 * (free it even when the count is 0), or -1 and *ids NULL when out of memory.
 */
int tlb_evlist_ids(struct tlb_evlist *el, int idx, uint64_t **ids);
/* A sampling evsel's period, on every fd (PERF_EVENT_IOC_PERIOD). 0, or -1 with errno. */
int tlb_evlist_set_period(struct tlb_evlist *el, int idx, uint64_t period);

/* The errno of a failed perf_event_open turned into advice (paranoid, CAP_PERFMON, ...) in buf. */
const char *tlb_perf_open_advice(int err, char *buf, size_t len);
#endif
