/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DWARF unwinding of the user stacks that record --call-graph dwarf copies (and perf record
 * --call-graph dwarf): libdw's Dwfl over one process's mappings (usyms.h), with a thread whose
 * registers are the sampled ones and whose memory is the copied stack window (else the mapped ELF
 * files), as perf's util/unwind-libdw.c does.
 *
 * Two caches make a tight loop cheap. One Dwfl per (pid, generation of its mappings), so CFI is
 * read once per object. And whole unwinds: the unwinder is given only rip, rsp and rbp of the
 * sampled registers (a frame whose CFA needs another register ends the stack there, as an
 * unreadable word does), and every stack word libdw reads is noted; a later sample with the same
 * pid, mappings, rip, rsp, rbp and the same values at those words gets the stored frames without
 * an unwind. Everything else in the window (locals, loop counters, arguments) may differ. Memory
 * grows with unique unwinds, not with samples, and stops growing at 65536 of them.
 *
 * Built without libdw (unw_available() false) every unwind answers the sampled ip alone.
 */
#ifndef TLBSTAT_UNWIND_H
#define TLBSTAT_UNWIND_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sample.h"
#include "usyms.h"

/* perf's x86-64 sample_regs_user for --call-graph dwarf: AX..SS (0-11) and R8..R15 (16-23) */
#define UNW_X86_64_REGS_MASK 0xff0fffULL
/* perf's default and largest sample_stack_user: 8192, and USHRT_MAX rounded down to a u64 */
#define UNW_STACK_DEFAULT 8192u
#define UNW_STACK_MAX 65528u
/* most user frames one unwind gives (perf's default max_stack) */
#define UNW_MAX_FRAMES 127

/* DWARF register numbers of x86-64 (System V psABI): rip is the return-address column, 16 */
enum { UNW_DW_RAX, UNW_DW_RDX, UNW_DW_RCX, UNW_DW_RBX, UNW_DW_RSI, UNW_DW_RDI, UNW_DW_RBP,
       UNW_DW_RSP, UNW_DW_R8, UNW_DW_R15 = 15, UNW_DW_RIP, UNW_DW_NR };

/*
 * The sampled registers (mask's bits in order, perf's enum perf_event_x86_regs numbering) as
 * DWARF registers: dw[n] set and bit n of *have when the sample has register n. Registers with no
 * DWARF number (flags, segments) are skipped. Returns the number of DWARF registers set.
 */
int unw_regs_to_dwarf(uint64_t mask, const uint64_t *regs, uint32_t nr, uint64_t dw[UNW_DW_NR],
		      uint32_t *have);

/*
 * STACK_USER size as perf's --call-graph dwarf,SIZE takes it: rounded up to 8 bytes; 0 when it is
 * 0 or past UNW_STACK_MAX after rounding (refused).
 */
uint32_t unw_stack_size(uint64_t size);

struct unwinder;

struct unw_stats {
	uint64_t calls;           /* unw_unwind() with registers */
	uint64_t unwinds;         /* done by libdw (cache misses) */
	uint64_t hits;            /* answered from the cache */
	uint64_t dwfls;           /* Dwfl objects built (one per pid and mapping generation) */
	uint64_t no_module;       /* the sampled ip in no known object: no user frames */
	uint64_t no_stack;        /* no stack copied (dyn_size 0): no user frames */
	uint64_t cached;          /* unique unwinds held (at most 65536: memory stays bounded) */
	uint64_t uncached;        /* unwinds done past that bound, not kept */
};

/* An unwinder over u's mappings (the caller's; it must outlive w). NULL when out of memory. */
struct unwinder *unw_new(struct usyms *u);
void unw_free(struct unwinder *w);
/*
 * The user frames of pid's sample us, leaf first: the sampled ip, then each caller's return
 * address minus one (inside the call, as perf stores them). *ips points into w until the next
 * call. Returns the number of frames (0: the sample has no user registers or no stack copy, or its
 * ip lies in no object of pid's mappings: perf shows no user frames for those either), or -1 when
 * out of memory.
 */
int unw_unwind(struct unwinder *w, pid_t pid, const struct tlb_user_stack *us, const uint64_t **ips);
void unw_get_stats(const struct unwinder *w, struct unw_stats *st);
/* Whether this build unwinds (built with libdw). */
bool unw_available(void);
#endif
