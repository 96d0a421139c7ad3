// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of cause.c: the kernel chains of perf-callchains.md and of tlbbench's workloads
 * (perf script on this machine's 6.1 kernel), leaf first, each folded to its cause; and a raw
 * PERF_SAMPLE_CALLCHAIN through a small symbol table.
 */
#include "cause.h"
#include "symbols.h"
#include "tap.h"

#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *cause(const char *const *names, size_t nr, const char *comm)
{
	static char buf[64];

	return cause_classify(names, nr, comm, buf, sizeof(buf));
}

static void syscalls(void)
{
	const char *madv[] = { "native_flush_tlb_multi", "flush_tlb_mm_range",
		"tlb_flush_mmu_tlbonly", "tlb_finish_mmu", "do_madvise", "__x64_sys_madvise",
		"do_syscall_64", "entry_SYSCALL_64_after_hwframe" };
	const char *self[] = { "flush_tlb_func", "smp_call_function_many_cond",
		"on_each_cpu_cond_mask", "flush_tlb_mm_range", "tlb_flush_mmu_tlbonly",
		"tlb_finish_mmu", "unmap_region", "do_mas_align_munmap", "__vm_munmap",
		"__x64_sys_munmap", "do_syscall_64", "entry_SYSCALL_64_after_hwframe" };
	const char *mprot[] = { "flush_tlb_func", "flush_tlb_mm_range", "change_protection",
		"mprotect_fixup", "do_mprotect_pkey", "__x64_sys_mprotect", "do_syscall_64" };
	const char *exec[] = { "flush_tlb_func", "flush_tlb_mm_range", "move_page_tables",
		"relocate_vma_down", "setup_arg_pages", "load_elf_binary", "bprm_execve",
		"do_execveat_common.isra.0", "__x64_sys_execve", "do_syscall_64",
		"entry_SYSCALL_64_after_hwframe" };
	const char *grp[] = { "flush_tlb_func", "flush_tlb_mm_range", "tlb_finish_mmu",
		"exit_mmap", "mmput", "do_exit", "do_group_exit", "__x64_sys_exit_group",
		"do_syscall_64" };

	is_str(cause(madv, N(madv), "srv"), "madvise", "madvise's IPI send: madvise");
	is_str(cause(self, N(self), "srv"), "munmap", "a sender flushing itself: munmap");
	is_str(cause(mprot, N(mprot), "srv"), "mprotect", "mprotect");
	is_str(cause(exec, N(exec), "srv"), "execve", "exec's stack move: execve");
	is_str(cause(grp, N(grp), "srv"), "exit", "exit_group: exit");
}

static void paths(void)
{
	const char *cow[] = { "flush_tlb_func", "flush_tlb_mm_range", "ptep_clear_flush",
		"do_wp_page", "__handle_mm_fault", "handle_mm_fault", "exc_page_fault",
		"asm_exc_page_fault" };
	const char *fault[] = { "flush_tlb_func", "flush_tlb_mm_range", "ptep_set_access_flags",
		"handle_mm_fault", "exc_page_fault", "asm_exc_page_fault" };
	/* a fault inside a syscall (copy_to_user) is still the fault's doing */
	const char *cow_in_sys[] = { "flush_tlb_func", "flush_tlb_mm_range", "do_wp_page",
		"handle_mm_fault", "exc_page_fault", "asm_exc_page_fault", "_copy_to_user",
		"__x64_sys_read", "do_syscall_64" };
	const char *recv[] = { "flush_tlb_func", "__flush_smp_call_function_queue",
		"__sysvec_call_function", "sysvec_call_function", "asm_sysvec_call_function",
		"do_madvise", "__x64_sys_madvise", "do_syscall_64" };
	const char *sw[] = { "switch_mm_irqs_off", "__schedule", "schedule", "do_nanosleep",
		"__x64_sys_nanosleep", "do_syscall_64" };
	const char *kcomp[] = { "flush_tlb_func", "flush_tlb_mm_range", "try_to_migrate_one",
		"rmap_walk_anon", "try_to_migrate", "migrate_pages", "compact_zone",
		"kcompactd_do_work", "kcompactd", "kthread", "ret_from_fork" };
	const char *khuge[] = { "flush_tlb_func", "flush_tlb_mm_range", "pmdp_collapse_flush",
		"collapse_huge_page", "hpage_collapse_scan_pmd", "khugepaged", "kthread",
		"ret_from_fork" };
	const char *sig[] = { "flush_tlb_func", "tlb_finish_mmu", "exit_mmap", "mmput",
		"do_exit", "do_group_exit", "get_signal", "arch_do_signal_or_restart",
		"exit_to_user_mode_prepare", "irqentry_exit_to_user_mode" };
	const char *unknown[] = { NULL, NULL };

	is_str(cause(cow, N(cow), "srv"), "fault:cow", "a write fault on a shared page: fault:cow");
	is_str(cause(fault, N(fault), "srv"), "fault", "another fault: fault");
	is_str(cause(cow_in_sys, N(cow_in_sys), "srv"), "fault:cow", "a COW fault inside read()");
	is_str(cause(recv, N(recv), "srv"), "ipi-received",
	       "a received shootdown is not the interrupted task's madvise");
	is_str(cause(sw, N(sw), "srv"), "task-switch", "switch_mm: task-switch");
	is_str(cause(kcomp, N(kcomp), "kcompactd0"), "compaction",
	       "kcompactd migrating: compaction (the why before the how)");
	is_str(cause(kcomp, 6, "srv"), "migration", "migrate_pages alone: migration");
	is_str(cause(khuge, N(khuge), "khugepaged"), "kthread:khugepaged",
	       "khugepaged: the kernel thread");
	is_str(cause(sig, N(sig), "srv"), "exit", "killed by a signal: exit");
	is_str(cause(unknown, N(unknown), "srv"), "unknown", "no names: unknown");
	is_str(cause(NULL, 0, NULL), "unknown", "no kernel chain: unknown");
}

static void kthreads(void)
{
	const char *kw[] = { "flush_tlb_func", "flush_tlb_kernel_range", "__purge_vmap_area_lazy",
		"drain_vmap_area_work", "process_one_work", "worker_thread", "kthread",
		"ret_from_fork" };
	const char *other[] = { "flush_tlb_func", "something_else" };

	is_str(cause(kw, N(kw), "kworker/3:1"), "kthread:kworker", "kworker/3:1: kthread:kworker");
	is_str(cause(kw, N(kw), "kswapd0"), "kthread:kswapd", "kswapd0: kthread:kswapd");
	is_str(cause(other, N(other), "x"), "other", "named frames, no rule: other");
}

static void raw_chain(void)
{
	static const char text[] =
		"ffffffff81000000 T _text\n"
		"ffffffff81100000 t flush_tlb_func\n"
		"ffffffff81200000 T do_madvise\n"
		"ffffffff81300000 T __x64_sys_madvise\n"
		"ffffffff81e00000 T _etext\n";
	uint64_t chain[] = { PERF_CONTEXT_KERNEL, 0xffffffff81100010, 0xffffffff81200020,
			     0xffffffff81300030, PERF_CONTEXT_USER, 0x7f0000001000, 0x401000 };
	struct syms *s = syms_new(SYMS_TABLE);
	char err[128], buf[64];

	ok(s && syms_load_text(s, text, sizeof(text) - 1, err, sizeof(err)) >= 0, "table loaded");
	is_str(cause_of_chain(s, chain, N(chain), "x", buf, sizeof(buf)), "madvise",
	       "a raw chain with context markers: madvise");
	is_str(cause_of_chain(NULL, chain, N(chain), "x", buf, sizeof(buf)), "unknown",
	       "no symbols: unknown");
	is_str(cause_of_chain(s, chain + 4, 3, "x", buf, sizeof(buf)), "unknown",
	       "a user-only chain: unknown");
	syms_free(s);
}

static void cache(void)
{
	static const char text[] =
		"ffffffff81000000 T _text\n"
		"ffffffff81100000 t flush_tlb_func\n"
		"ffffffff81200000 T do_madvise\n"
		"ffffffff81300000 T __x64_sys_madvise\n"
		"ffffffff81400000 T __x64_sys_munmap\n"
		"ffffffff81500000 T ret_from_fork\n"
		"ffffffff81e00000 T _etext\n";
	uint64_t mad[] = { PERF_CONTEXT_KERNEL, 0xffffffff81100010, 0xffffffff81200020,
			   0xffffffff81300030, PERF_CONTEXT_USER, 0x401000 };
	uint64_t unm[] = { PERF_CONTEXT_KERNEL, 0xffffffff81100010, 0xffffffff81400030,
			   PERF_CONTEXT_USER, 0x401000 };
	uint64_t kt[] = { PERF_CONTEXT_KERNEL, 0xffffffff81100010, 0xffffffff81500010 };
	struct syms *s = syms_new(SYMS_TABLE);
	struct cause_cache *c;
	char err[128], name[32];
	uint64_t hits, misses;
	int a, b, k1, k2, last = 0;

	ok(s && syms_load_text(s, text, sizeof(text) - 1, err, sizeof(err)) >= 0, "table loaded");
	c = cause_cache_new(s, 100);
	ok(c != NULL, "cache");
	a = cause_cache_of(c, mad, N(mad), "x");
	b = cause_cache_of(c, unm, N(unm), "x");
	is_str(cause_cache_name(c, a), "madvise", "cache: madvise");
	is_str(cause_cache_name(c, b), "munmap", "cache: munmap");
	is_int(cause_cache_of(c, mad, N(mad), "x"), a, "the same stack: the same id");
	is_int(cause_cache_of(c, mad, N(mad), "y"), a, "another process, same syscall: same id");
	cause_cache_stats(c, &hits, &misses);
	is_int(hits, 1, "one hit");
	is_int(misses, 3, "three classifications (two stacks, one of them for a second comm)");
	k1 = cause_cache_of(c, kt, N(kt), "kswapd0");
	k2 = cause_cache_of(c, kt, N(kt), "kcompactd0");
	ok(k1 != k2, "one stack in two kernel threads: two causes (%s, %s)", cause_cache_name(c, k1),
	   cause_cache_name(c, k2));
	is_int(cause_cache_of(c, NULL, 0, "x"), 0, "no chain: id 0");
	is_str(cause_cache_name(c, 0), "unknown", "id 0 is unknown");
	/* more kernel-thread names than the bound: the rest share "other" */
	for (int i = 0; i < 2 * CAUSE_MAX_NAMES; i++) {
		snprintf(name, sizeof(name), "kt%c%c", 'a' + i / 26, 'a' + i % 26);
		last = cause_cache_of(c, kt, N(kt), name);
	}
	is_int(last, CAUSE_MAX_NAMES - 1, "past the bound: the last id");
	is_str(cause_cache_name(c, last), "other", "... named other");
	is_str(cause_cache_name(c, a), "madvise", "earlier names stay");
	cause_cache_free(c);
	syms_free(s);
}

int main(void)
{
	syscalls();
	paths();
	kthreads();
	raw_chain();
	cache();
	return done_testing();
}
