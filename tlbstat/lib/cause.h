/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Why a flush happened, from the kernel part of its call chain: the syscall that asked (munmap,
 * mprotect, madvise, mremap, brk, exit, execve, ...), a fault path (COW, NUMA hinting), page
 * migration or compaction, a received shootdown, a task switch, or the kernel thread that ran it
 * (kcompactd, khugepaged, kswapd, ksmd, ...). Names only: the caller resolves addresses
 * (symbols.h) and caches the answer per unique stack (callchain.h), so a million samples of one
 * stack are classified once.
 */
#ifndef TLBSTAT_CAUSE_H
#define TLBSTAT_CAUSE_H
#include <stddef.h>
#include <stdint.h>

struct syms;

/*
 * The cause of a kernel chain given as function names, leaf first (the flush first, the entry
 * last), and the task's comm (for kernel threads; may be NULL). Writes a short name into buf
 * ("madvise", "fault:cow", "kthread:kcompactd", "other") and returns buf. Rules, first hit wins:
 *  1. anywhere in the chain, in this order: a received shootdown (the IPI handler)
 *     "ipi-received", a task switch "task-switch", "compaction", NUMA balancing "numa", KSM
 *     "ksm", "migration", a COW fault "fault:cow": what the kernel was doing when it flushed,
 *     whatever entered it;
 *  2. the outermost syscall entry (__x64_sys_NAME...): NAME (exit_group: exit, execveat: execve);
 *  3. an exit outside a syscall (a fatal signal): "exit";
 *  4. a page fault: "fault";
 *  5. no user entry (a kernel thread): "kthread:" and the comm without its instance digits;
 *  6. "other"; no kernel frames at all: "unknown".
 */
const char *cause_classify(const char *const *names, size_t nr, const char *comm, char *buf,
			   size_t len);
/*
 * The same for a raw PERF_SAMPLE_CALLCHAIN (context markers included), kernel frames resolved
 * through syms (a SYMS_TABLE table; NULL or unresolved frames: no name, so "unknown"/"other").
 */
const char *cause_of_chain(const struct syms *syms, const uint64_t *chain, uint32_t nr,
			   const char *comm, char *buf, size_t len);

/*
 * The live consumers' cache (top, the exporter): a chain's cause as a small id, classified once
 * per unique kernel stack (and comm) and then found by a hash in a direct-mapped table of a fixed
 * size, so memory never grows with samples or stacks (a colliding stack replaces the slot's and
 * is classified again when it comes back). Names are interned: at most CAUSE_MAX_NAMES, the
 * last being "other" for any past the bound; id 0 is "unknown" (no kernel frames).
 */
#define CAUSE_MAX_NAMES 64

struct cause_cache;

/* syms: a SYMS_TABLE table, the caller's for the cache's life. slots: rounded up to a power of
 * two (64 to 1M). NULL when out of memory. */
struct cause_cache *cause_cache_new(const struct syms *syms, unsigned slots);
void cause_cache_free(struct cause_cache *c);
/* The cause id of a raw PERF_SAMPLE_CALLCHAIN (0 "unknown" when empty). */
int cause_cache_of(struct cause_cache *c, const uint64_t *chain, uint32_t nr, const char *comm);
const char *cause_cache_name(const struct cause_cache *c, int id);
void cause_cache_stats(const struct cause_cache *c, uint64_t *hits, uint64_t *misses);

/*
 * For a live consumer (top, the exporter): /proc/kallsyms read now as a table into *syms (the
 * caller frees it after the cache; pass it to session_open_live so kallsyms is read once) and a
 * cache of slots over it. NULL with err when the kernel's addresses are unreadable
 * (kptr_restrict's zeros: every cause would be "unknown") or memory runs out; *syms is NULL then.
 */
struct cause_cache *cause_cache_open_live(struct syms **syms, unsigned slots, char *err,
					  size_t errlen);

/* The sampling attr's part: kernel-only chains (no user stack walked or copied), at most
 * CAUSE_MAX_STACK frames. */
#define CAUSE_MAX_STACK 32
struct perf_event_attr;
void cause_live_setup(struct perf_event_attr *attr);
#endif
