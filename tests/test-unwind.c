// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of unwind.c and of sample.c's user registers and stack: perf's x86-64 register
 * numbering mapped to DWARF's; --call-graph dwarf,SIZE rounding and bounds; REGS_USER/STACK_USER
 * parsed from records placed against a PROT_NONE guard page (every truncation refused, never a
 * read past the record); and a real unwind of this test's own stack (registers and a copy of the
 * stack taken here, the mappings from /proc/self/maps): its frames name the functions that called,
 * the same stack twice is unwound once, a changed local leaves the cached answer valid and a
 * changed return address does not.
 */
#include "sample.h"
#include "tap.h"
#include "unwind.h"
#include "usyms.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---------------- register mapping and sizes ---------------- */

static void test_regs(void)
{
	uint64_t regs[24], dw[UNW_DW_NR];
	uint32_t have, k = 0;
	int n;

	/* the values in mask order: perf register r holds 100 + r */
	for (int r = 0; r < 24; r++)
		if (UNW_X86_64_REGS_MASK & (1ULL << r))
			regs[k++] = 100 + (uint64_t)r;
	is_int(k, 20, "perf's mask 0xff0fff holds 20 registers");
	n = unw_regs_to_dwarf(UNW_X86_64_REGS_MASK, regs, k, dw, &have);
	is_int(n, 17, "17 of them have DWARF numbers (flags and segments do not)");
	ok(dw[UNW_DW_RAX] == 100 && dw[UNW_DW_RBX] == 101 && dw[UNW_DW_RCX] == 102 &&
	   dw[UNW_DW_RDX] == 103, "ax, bx, cx, dx -> DWARF 0, 3, 2, 1");
	ok(dw[UNW_DW_RSI] == 104 && dw[UNW_DW_RDI] == 105 && dw[UNW_DW_RBP] == 106 &&
	   dw[UNW_DW_RSP] == 107, "si, di, bp, sp -> DWARF 4, 5, 6, 7");
	ok(dw[UNW_DW_RIP] == 108, "ip -> DWARF 16 (the return-address column)");
	ok(dw[UNW_DW_R8] == 116 && dw[UNW_DW_R15] == 123, "r8..r15 -> DWARF 8..15");
	is_int(have, (1u << UNW_DW_NR) - 1, "every DWARF register 0..16 marked present");

	/* a sparse mask: sp and ip only, in bit order */
	regs[0] = 0x7ffd0000;
	regs[1] = 0x401000;
	n = unw_regs_to_dwarf((1ULL << 7) | (1ULL << 8), regs, 2, dw, &have);
	ok(n == 2 && dw[UNW_DW_RSP] == 0x7ffd0000 && dw[UNW_DW_RIP] == 0x401000 &&
	   have == ((1u << UNW_DW_RSP) | (1u << UNW_DW_RIP)), "mask sp|ip: two values, in bit order");
	/* fewer values than the mask says: stops at nr */
	n = unw_regs_to_dwarf(UNW_X86_64_REGS_MASK, regs, 2, dw, &have);
	ok(n == 2 && !(have & (1u << UNW_DW_RSP)), "nr shorter than the mask: only nr values read");

	is_int(unw_stack_size(0), 0, "dwarf,0 refused");
	is_int(unw_stack_size(1), 8, "dwarf,1 -> 8 (rounded up to a u64, as perf)");
	is_int(unw_stack_size(8192), 8192, "dwarf,8192 kept");
	is_int(unw_stack_size(8193), 8200, "dwarf,8193 -> 8200");
	is_int(unw_stack_size(65528), 65528, "dwarf,65528 (perf's max) kept");
	is_int(unw_stack_size(65529), 0, "dwarf,65529 refused (past perf's max once rounded)");
	is_int(unw_stack_size(1ULL << 40), 0, "dwarf,2^40 refused");
}

/* ---------------- parsing against a guard page ---------------- */

static uint8_t *guard_base;
static long page;

/* a copy of rec whose last byte sits just before a PROT_NONE page */
static const struct perf_event_header *at_guard(const void *rec, size_t len)
{
	uint8_t *p = guard_base + page * 4 - len;

	memcpy(p, rec, len);
	return (const void *)p;
}

#define ST_DWARF (PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_RAW | \
		  PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER)

/* IDENTIFIER, TID, RAW (4 + 4 bytes), REGS_USER (abi + 2 regs: sp|ip), STACK_USER of 32 bytes */
static size_t build(uint8_t *b, uint64_t abi, uint64_t stack_size, uint64_t dyn)
{
	struct perf_event_header h = { PERF_RECORD_SAMPLE, 0, 0 };
	uint64_t v;
	uint32_t raw = 4;
	size_t n = sizeof(h);

#define PUT(x) do { memcpy(b + n, &(x), sizeof(x)); n += sizeof(x); } while (0)
	v = 7; PUT(v);
	v = 42 | 43ULL << 32; PUT(v);
	PUT(raw);
	raw = 0xabcd; PUT(raw);
	PUT(abi);
	if (abi) {
		v = 0x7ffd1000; PUT(v);
		v = 0x401234; PUT(v);
	}
	PUT(stack_size);
	for (uint64_t i = 0; i < stack_size / 8; i++) {
		v = 0x1000 + i;
		PUT(v);
	}
	if (stack_size)
		PUT(dyn);
#undef PUT
	h.size = (uint16_t)n;
	memcpy(b, &h, sizeof(h));
	return n;
}

static int parse(const struct perf_event_header *h, uint64_t st, struct tlb_user_stack *u)
{
	struct tlb_sample s;

	if (sample_parse(h, st, &s) < 0)
		return -2;
	return sample_parse_user(h, st, (1ULL << 7) | (1ULL << 8), &s, u);
}

static void test_parse(void)
{
	uint8_t b[256];
	struct tlb_user_stack u;
	size_t len = build(b, PERF_SAMPLE_REGS_ABI_64, 32, 24);
	int bad = 0;

	is_int(parse(at_guard(b, len), ST_DWARF, &u), 0, "REGS_USER + STACK_USER: parses");
	ok(u.abi == PERF_SAMPLE_REGS_ABI_64 && u.nr_regs == 2 && u.regs[0] == 0x7ffd1000 &&
	   u.regs[1] == 0x401234, "abi 64, sp and ip in mask order");
	ok(u.size == 32 && u.dyn_size == 24 && u.stack && !memcmp(u.stack, b + len - 40, 8),
	   "stack: size 32, dyn_size 24, the data in place");
	for (size_t cut = sizeof(struct perf_event_header); cut < len; cut += 8) {
		uint8_t c[256];
		struct perf_event_header h;
		struct tlb_sample s;

		memcpy(c, b, cut);
		memcpy(&h, c, sizeof(h));
		h.size = (uint16_t)cut;
		memcpy(c, &h, sizeof(h));
		if (sample_parse(at_guard(c, cut), ST_DWARF, &s) == 0 &&
		    sample_parse_user(at_guard(c, cut), ST_DWARF, (1ULL << 7) | (1ULL << 8), &s,
				      &u) == 0)
			bad++;
	}
	is_int(bad, 0, "every truncation of the record (8-byte steps, as records are) is refused, none read past it");

	len = build(b, PERF_SAMPLE_REGS_ABI_64, 32, 40);
	is_int(parse(at_guard(b, len), ST_DWARF, &u), -1, "dyn_size past size -> -1");
	len = build(b, PERF_SAMPLE_REGS_ABI_NONE, 0, 0);
	is_int(parse(at_guard(b, len), ST_DWARF, &u), 0, "abi NONE, size 0 (a kernel thread): parses");
	ok(!u.regs && !u.nr_regs && !u.stack && !u.size && !u.dyn_size,
	   "abi NONE: no registers; size 0: no data and no dyn_size");
	len = build(b, PERF_SAMPLE_REGS_ABI_64, 32, 24);
	{
		struct tlb_sample s;

		sample_parse(at_guard(b, len), ST_DWARF, &s);
		is_int(sample_parse_user(at_guard(b, len), ST_DWARF | PERF_SAMPLE_BRANCH_STACK,
					 3ULL << 7, &s, &u), -1,
		       "a BRANCH_STACK before the registers: refused (its layout needs the attr)");
		is_int(sample_parse_user(at_guard(b, len), ST_DWARF, UNW_X86_64_REGS_MASK, &s, &u),
		       -1, "a mask of 20 registers in a record holding 2: -1");
	}
}

/* ---------------- a real unwind of this process ---------------- */

struct snap {
	uint64_t regs[3];          /* bp, sp, ip: perf bits 6, 7, 8 */
	uint8_t stack[16384];
	uint64_t dyn;
};

static uint64_t stack_end;

/* the stack window as the kernel copies it: plain loads (ASan's redzones are just bytes here) */
__attribute__((noinline, no_sanitize_address)) static void copy_stack(uint8_t *dst,
								     const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		((volatile uint8_t *)dst)[i] = src[i];
}

__attribute__((noinline)) void unwind_test_leaf(struct snap *s)
{
	uint64_t sp, bp, ip;

#if defined(__x86_64__)
	__asm__ volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2"
			 : "=r"(ip), "=r"(sp), "=r"(bp));
#else	/* the unwinder knows x86-64's registers only; test_self() is skipped elsewhere */
	ip = sp = bp = 0;
	return;
#endif
	s->regs[0] = bp;
	s->regs[1] = sp;
	s->regs[2] = ip;
	s->dyn = stack_end - sp < sizeof(s->stack) ? stack_end - sp : sizeof(s->stack);
	copy_stack(s->stack, (const uint8_t *)(uintptr_t)sp, s->dyn);
}

#define MARKER 0x5eed5eed5eed5eedULL

__attribute__((noinline)) void unwind_test_mid(struct snap *s)
{
	volatile uint64_t marker[2] = { MARKER, MARKER };

	unwind_test_leaf(s);
	marker[1]++;	/* used after the call: kept in this frame */
}

/* every mapping of this process into u as pid; the [stack] end into stack_end */
static int load_self(struct usyms *u, pid_t pid)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		uint64_t s, e, off;
		char perms[5], path[4000] = "";

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %*s %*s %3999s", &s, &e,
			   perms, &off, path) < 4)
			continue;
		if (!strcmp(path, "[stack]"))
			stack_end = e;
		if (perms[2] == 'x')
			n += usym_mmap(u, pid, s, e - s, off, path) == 0;
	}
	fclose(f);
	return n;
}

static struct tlb_user_stack ustack_of(const struct snap *s)
{
	return (struct tlb_user_stack){ PERF_SAMPLE_REGS_ABI_64, 7ULL << 6, s->regs, 3, s->stack,
					sizeof(s->stack), s->dyn };
}

/* the names of the frames, joined by ';' (leaf first) */
static void names(struct usyms *u, pid_t pid, const uint64_t *ips, int n, char *out, size_t room)
{
	size_t len = 0;

	out[0] = 0;
	for (int i = 0; i < n && len < room; i++) {
		const char *dso, *sym = usym_resolve(u, pid, ips[i], &dso);

		len += (size_t)snprintf(out + len, room - len, "%s%s", i ? ";" : "",
					sym ? sym : "?");
	}
}

__attribute__((noinline)) static void test_self(void)
{
#if !defined(__x86_64__)
	ok(1, "# SKIP unwinding this process: --call-graph dwarf knows x86-64's registers only");
	return;
#endif
	pid_t pid = getpid();
	struct usyms *u = usym_new(NULL);
	struct unwinder *w = unw_new(u);
	struct snap *s = calloc(1, sizeof(*s)), *t = calloc(1, sizeof(*t));
	struct tlb_user_stack us;
	struct unw_stats st;
	const uint64_t *ips;
	char *buf = malloc(4096), *buf2 = malloc(4096);
	int n, n2, marker = -1, ret = -1;
	uint64_t retaddr;

	if (!u || !w || !s || !t || !buf || !buf2 || load_self(u, pid) == 0 || !stack_end) {
		ok(0, "setup: usyms, unwinder, /proc/self/maps");
		goto out;
	}
	unwind_test_mid(s);
	us = ustack_of(s);
	n = unw_unwind(w, pid, &us, &ips);
	if (!unw_available()) {
		is_int(n, 1, "built without libdw: the sampled ip alone");
		ok(1, "# SKIP built without libdw: no unwinding to test");
		goto out;
	}
	names(u, pid, ips, n, buf, 4096);
	printf("# %d frames: %s\n", n, buf);
	ok(n >= 3 && strstr(buf, "unwind_test_leaf;unwind_test_mid;test_self"),
	   "own stack unwound: unwind_test_leaf;unwind_test_mid;test_self");
	ok(strstr(buf, ";main") != NULL, "... up to main");
	retaddr = n > 1 ? ips[1] + 1 : 0;

	/* the same stack again, and again with a local changed: no new unwind */
	n2 = unw_unwind(w, pid, &us, &ips);
	*t = *s;
	for (size_t off = 0; off + 8 <= s->dyn; off += 8) {
		uint64_t v;

		memcpy(&v, t->stack + off, 8);
		if (v == MARKER && marker < 0)
			marker = (int)off;
		if (v == retaddr && ret < 0)
			ret = (int)off;
	}
	if (marker >= 0)
		memset(t->stack + marker, 0x11, 8);
	us = ustack_of(t);
	n2 = unw_unwind(w, pid, &us, &ips) == n ? n2 : -1;
	names(u, pid, ips, n2 > 0 ? n2 : 0, buf2, 4096);
	unw_get_stats(w, &st);
	ok(marker >= 0 && st.unwinds == 1 && st.hits == 2 && st.cached == 1 && !strcmp(buf, buf2),
	   "same stack twice, then with a local changed: 1 unwind, 2 hits, same frames "
	   "(unwinds %" PRIu64 ", hits %" PRIu64 ")", st.unwinds, st.hits);

	/* a return address changed: the cached answer does not apply */
	if (ret >= 0)
		memset(t->stack + ret, 0, 8);
	us = ustack_of(t);
	n2 = unw_unwind(w, pid, &us, &ips);
	unw_get_stats(w, &st);
	ok(ret >= 0 && st.unwinds == 2 && st.cached == 2 && n2 < n,
	   "a read word changed (leaf's return address): unwound again, the stack ends there (%d < %d)",
	   n2, n);

	/* no stack copied, or no registers: no user frames */
	us = ustack_of(s);
	us.dyn_size = 0;
	is_int(unw_unwind(w, pid, &us, &ips), 0, "dyn_size 0 (nothing copied): no user frames");
	us = ustack_of(s);
	us.abi = PERF_SAMPLE_REGS_ABI_NONE;
	is_int(unw_unwind(w, pid, &us, &ips), 0, "abi NONE (a kernel thread): no user frames");
	us = ustack_of(s);
	is_int(unw_unwind(w, pid + 1000000, &us, &ips), 0,
	       "a pid with no mappings: no user frames (perf shows none)");
out:
	unw_free(w);
	usym_free(u);
	free(s);
	free(t);
	free(buf);
	free(buf2);
}

int main(void)
{
	page = sysconf(_SC_PAGESIZE);
	guard_base = mmap(NULL, (size_t)page * 5, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard_base == MAP_FAILED || mprotect(guard_base + page * 4, (size_t)page, PROT_NONE))
		return 1;
	test_regs();
	test_parse();
	test_self();
	munmap(guard_base, (size_t)page * 5);
	return done_testing();
}
