// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of symbols.c: classifying addresses, names to addresses, the subset a recording
 * writes and the address table, from a small kallsyms text (the layout of /proc/kallsyms:
 * "addr type name", module symbols with "\t[module]").
 */
#include "symbols.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static const char kallsyms[] =
	"ffffffff81000000 T _text\n"
	"ffffffff81000000 T startup_64\n"
	"ffffffff8130d4f0 t do_sync_core\n"
	"ffffffff8134a820 t do_flush_tlb_all\n"
	"ffffffff8134ae80 t flush_tlb_func\n"
	"ffffffff8134bf80 t do_kernel_range_flush\n"
	"ffffffff81450a50 T generic_smp_call_function_single_interrupt\n"
	"ffffffff81e00000 T _etext\n"
	"ffffffffc0001000 t flush_tlb_func\t[some_module]\n"
	"0000000000000000 t flush_tlb_func_remote\n"
	"not a line\n"
	"ffffffff8134ae80 t\n";

static const char old_kernel[] =
	"ffffffff81071c30 t flush_tlb_func_remote\n";

static const char hidden[] =
	"0000000000000000 T _text\n"
	"0000000000000000 t flush_tlb_func\n";

static void test_classify(void)
{
	struct syms *s = syms_new(0);
	const char *name;
	char err[128];

	is_int(syms_load_text(s, kallsyms, strlen(kallsyms), err, sizeof(err)), 3,
	       "three TLB flush functions found");
	is_int(syms_func_class(s, 0xffffffff8134ae80ULL, &name), TLB_FUNC_FLUSH,
	       "flush_tlb_func is a user mm flush");
	is_str(name, "flush_tlb_func", "and is named");
	is_int(syms_func_class(s, 0xffffffff8134bf80ULL, NULL), TLB_FUNC_KERNEL_RANGE,
	       "do_kernel_range_flush is a kernel-range flush");
	is_int(syms_func_class(s, 0xffffffff8134a820ULL, NULL), TLB_FUNC_KERNEL_RANGE,
	       "do_flush_tlb_all too");
	is_int(syms_func_class(s, 0xffffffff8134ae90ULL, &name), TLB_FUNC_NONE,
	       "an address inside flush_tlb_func is not its start");
	ok(name == NULL, "and has no name");
	is_int(syms_func_class(s, 0xffffffff81450a50ULL, NULL), TLB_FUNC_NONE,
	       "the generic IPI handler is kept but is no flush");
	is_int(syms_func_class(s, 0xffffffffc0001000ULL, NULL), TLB_FUNC_NONE,
	       "module symbols are ignored");
	is_int(syms_func_class(s, 0, NULL), TLB_FUNC_NONE, "address 0");
	is_int(syms_func_class(NULL, 0xffffffff8134ae80ULL, NULL), TLB_FUNC_NONE, "no table");
	syms_free(s);

	s = syms_new(0);
	is_int(syms_load_text(s, old_kernel, strlen(old_kernel), err, sizeof(err)), 1,
	       "a < 5.13 kernel's flush_tlb_func_remote");
	is_int(syms_func_class(s, 0xffffffff81071c30ULL, NULL), TLB_FUNC_FLUSH,
	       "is a user mm flush");
	syms_free(s);

	s = syms_new(0);
	is_int(syms_load_text(s, hidden, strlen(hidden), err, sizeof(err)), 0,
	       "kptr_restrict's zero addresses are left out");
	is_int(syms_addr(s, "_text"), 0, "so _text is unknown");
	syms_free(s);
}

static void test_addr_and_subset(void)
{
	struct syms *s = syms_new(0);
	char err[128], *sub;
	size_t len;

	syms_load_text(s, kallsyms, strlen(kallsyms), err, sizeof(err));
	ok(syms_addr(s, "_text") == 0xffffffff81000000ULL, "_text");
	ok(syms_addr(s, "_etext") == 0xffffffff81e00000ULL, "_etext");
	ok(syms_addr(s, "do_sync_core") == 0, "a symbol not kept has no address");
	ok(syms_lookup(s, 0xffffffff8134ae90ULL, NULL) == NULL, "no table without SYMS_TABLE");
	is_int(syms_kallsyms_subset(s, &sub, &len), 0, "the subset");
	is_str(sub, "ffffffff8134a820 t do_flush_tlb_all\n"
		    "ffffffff8134ae80 t flush_tlb_func\n"
		    "ffffffff8134bf80 t do_kernel_range_flush\n"
		    "ffffffff81450a50 T generic_smp_call_function_single_interrupt\n",
	       "holds the kept functions' lines as read, in order, not _text or modules");
	is_int(len, sub ? strlen(sub) : 0, "its length");
	free(sub);
	syms_free(s);

	s = syms_new(0);
	is_int(syms_kallsyms_subset(s, &sub, &len), 0, "an empty table's subset");
	ok(sub == NULL && len == 0, "is empty");
	syms_free(s);
}

static void test_table(void)
{
	struct syms *s = syms_new(SYMS_TABLE);
	char err[128];
	uint64_t off = 1;

	syms_load_text(s, kallsyms, strlen(kallsyms), err, sizeof(err));
	is_str(syms_lookup(s, 0xffffffff8134ae90ULL, &off), "flush_tlb_func", "inside a function");
	is_int(off, 0x10, "and the offset");
	is_str(syms_lookup(s, 0xffffffff8134bf80ULL, &off), "do_kernel_range_flush", "at its start");
	is_int(off, 0, "offset 0");
	ok(syms_lookup(s, 0xffffffff80000000ULL, NULL) == NULL, "below every symbol");
	is_str(syms_lookup(s, 0xffffffff81e00010ULL, NULL), "_etext", "above the last");
	is_str(syms_lookup(s, 0xffffffffc0001000ULL, NULL), "_etext", "module symbols are not in it");
	syms_free(s);
}

/* the same symbols out of address order (a kallsyms copy need not be sorted): the table sorts */
static void test_table_unsorted(void)
{
	static const char shuffled[] =
		"ffffffff81e00000 T _etext\n"
		"ffffffff8134bf80 t do_kernel_range_flush\n"
		"ffffffff81000000 T _text\n"
		"ffffffff8134ae80 t flush_tlb_func\n"
		"ffffffff8130d4f0 t do_sync_core\n";
	struct syms *s = syms_new(SYMS_TABLE);
	char err[128];
	uint64_t off = 1;

	syms_load_text(s, shuffled, strlen(shuffled), err, sizeof(err));
	is_str(syms_lookup(s, 0xffffffff8134ae90ULL, &off), "flush_tlb_func", "unsorted: inside a function");
	is_int(off, 0x10, "unsorted: and the offset");
	is_str(syms_lookup(s, 0xffffffff8130d500ULL, NULL), "do_sync_core", "unsorted: an earlier one");
	is_str(syms_lookup(s, 0xffffffff81e00010ULL, NULL), "_etext", "unsorted: above the last");
	ok(syms_lookup(s, 0xffffffff80000000ULL, NULL) == NULL, "unsorted: below every symbol");
	syms_free(s);
}

static void test_want_proc(void)
{
	struct syms *s = syms_new(0);

	/* without a want, nothing is read: the class of an unknown address stays NONE */
	is_int(syms_func_class(s, 0x1234, NULL), TLB_FUNC_NONE, "nothing wanted, nothing read");
	syms_want_proc(s);
	syms_settle(s);   /* reads /proc/kallsyms (or finds it unreadable): either way, no crash */
	syms_settle(s);   /* once */
	ok(1, "a wanted /proc/kallsyms is read at most once");
	syms_free(s);
	syms_want_proc(NULL);
	syms_settle(NULL);
	ok(1, "NULL tables are ignored");
}

int main(void)
{
	test_classify();
	test_addr_and_subset();
	test_table();
	test_table_unsorted();
	test_want_proc();
	return done_testing();
}
