// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of srcline.c on this test's own code (built with -g): an address inside
 * srcline_inner() inlined into srcline_outer() inlined into srcline_holder() gives the three
 * frames innermost first, inlined, named, each with the line of its own call; a second lookup is
 * a cache hit; an address in no CU and an object without DWARF give 0.
 */
#include "srcline.h"
#include "tap.h"

#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *volatile seen;

/* where its caller is: the return address (in the inlined code of srcline_holder) */
static __attribute__((noinline)) void *srcline_where(void)
{
	return __builtin_return_address(0);
}

static inline __attribute__((always_inline)) void *srcline_inner(void)
{
	void *p = srcline_where(); enum { L_INNER = __LINE__ };

	__asm__ volatile("" ::: "memory");	/* no tail call: the return lands in here */
	return p;
}

static inline __attribute__((always_inline)) void *srcline_outer(void)
{
	void *p = srcline_inner(); enum { L_OUTER = __LINE__ };

	__asm__ volatile("" ::: "memory");
	return p;
}

static __attribute__((noinline)) void *srcline_holder(void)
{
	void *p = srcline_outer(); enum { L_HOLDER = __LINE__ };

	__asm__ volatile("" ::: "memory");
	return p;
}

/* the lines above, as the enums inside the functions say them (one line each) */
static int line_of(const char *needle)
{
	FILE *f = fopen(__FILE__, "r");
	char buf[256];
	int n = 0, found = 0;

	while (f && fgets(buf, sizeof(buf), f) && !found) {
		n++;
		found = strstr(buf, needle) != NULL;
	}
	if (f)
		fclose(f);
	return found ? n : 0;
}

static int first_bias(struct dl_phdr_info *info, size_t size, void *ctx)
{
	*(uintptr_t *)ctx = info->dlpi_addr;
	return 1;	/* the first is the program itself */
}

/* The three frames at vaddr of the copy at path, looked up with debug root root. */
static bool three_frames(const char *path, const char *root, uint64_t vaddr)
{
	struct srcline *s = srcl_new(root);
	const struct srcl_frame *f;
	uint32_t n = s ? srcl_lookup(s, path, vaddr, &f) : 0;
	bool good = n == 3 && !strcmp(f[0].func, "srcline_inner") &&
		    !strcmp(f[2].func, "srcline_holder") && f[0].srcline;

	srcl_free(s);
	return good;
}

/*
 * lib/debugfile.c on copies of this program: its DWARF compressed in place (zlib: inflated before
 * libdw reads it), in a separate compressed debug file found by build-id under a debug root, or
 * by .gnu_debuglink beside the stripped copy, and refused when its CRC is not the link's.
 */
static void debug_files(const char *exe, uint64_t vaddr)
{
	char dir[] = "/tmp/test-srcline.XXXXXX", p[4200], root[4200];

	if (!mkdtemp(dir) || system("command -v objcopy >/dev/null && command -v strip >/dev/null")) {
		ok(1, "# SKIP no temporary directory or no binutils (objcopy, strip)");
		return;
	}
	setenv("EXE", exe, 1);
	setenv("D", dir, 1);
	snprintf(p, sizeof(p), "%s/z", dir);
	snprintf(root, sizeof(root), "%s/root", dir);
	/* binutils for the program's machine: the cross ones for an arm64 build under qemu-user */
	if (system("set -e; cd \"$D\"; P=; if readelf -h \"$EXE\" | grep -q AArch64 && "
		   "[ \"$(uname -m)\" != aarch64 ]; then P=aarch64-linux-gnu-; fi; "
		   "${P}objcopy --compress-debug-sections=zlib \"$EXE\" z; "
		   "${P}objcopy --only-keep-debug --compress-debug-sections=zlib \"$EXE\" dbg; "
		   "${P}strip --strip-debug -o bare \"$EXE\"; "
		   "id=$(readelf -n bare | awk '/Build ID/ { print $3 }'); test -n \"$id\"; "
		   "mkdir -p root/.build-id/$(echo $id | cut -c1-2); "
		   "cp dbg root/.build-id/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-).debug; "
		   "mkdir linked; cp dbg linked/t.debug; "
		   "${P}objcopy --add-gnu-debuglink=linked/t.debug bare linked/t; "
		   "mkdir badcrc; cp linked/t badcrc/t; cp dbg badcrc/t.debug; "
		   "printf x >>badcrc/t.debug; readelf -S z | grep -q ' C ' 2>/dev/null")) {
		ok(1, "# SKIP the copies could not be made (binutils for this machine: objcopy, strip)");
		(void)!system("rm -rf \"$D\"");
		return;
	}
	ok(three_frames(p, NULL, vaddr), "DWARF compressed in the object (zlib): the same frames");
	snprintf(p, sizeof(p), "%s/bare", dir);
	ok(three_frames(p, root, vaddr), "a stripped copy: the frames from ROOT/.build-id/ab/cd....debug");
	ok(!three_frames(p, dir, vaddr), "... and none from a root without that file");
	snprintf(p, sizeof(p), "%s/linked/t", dir);
	ok(three_frames(p, dir, vaddr), "a stripped copy with .gnu_debuglink: the linked file beside it");
	snprintf(p, sizeof(p), "%s/badcrc/t", dir);
	ok(!three_frames(p, dir, vaddr), "a linked file whose CRC is not the link's: not used");
	if (!getenv("KEEP"))
		(void)!system("rm -rf \"$D\"");
}

int main(void)
{
	struct srcline *s = srcl_new(NULL);
	const struct srcl_frame *f;
	struct srcl_stats st;
	char exe[4096], want[64];
	uintptr_t bias = 0;
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	uint64_t vaddr;
	uint32_t n;

	ok(s != NULL, "srcl_new");
	if (len <= 0 || !s)
		return done_testing();
	exe[len] = '\0';
	dl_iterate_phdr(first_bias, &bias);
	seen = srcline_holder();
	vaddr = (uint64_t)(uintptr_t)seen - 1 - bias;	/* inside the call */
	n = srcl_lookup(s, exe, vaddr, &f);
	if (!srcl_available()) {
		is_int(n, 0, "built without libdw: no frames");
		ok(1, "# SKIP built without libdw: no DWARF to read");
		srcl_free(s);
		return done_testing();
	}
	is_int(n, 3, "inner, outer, holder at the call's address");
	if (n == 3) {
		is_str(f[0].func, "srcline_inner", "innermost first: srcline_inner");
		ok(f[0].inlined && f[1].inlined && !f[2].inlined, "two inlined, then the holder");
		is_str(f[1].func, "srcline_outer", "then srcline_outer");
		is_str(f[2].func, "srcline_holder", "then the holder");
		snprintf(want, sizeof(want), "test-srcline.c:%d", line_of("L_INNER = __LINE__"));
		is_str(f[0].srcline, want, "the innermost line: the call in srcline_inner");
		snprintf(want, sizeof(want), "test-srcline.c:%d", line_of("L_OUTER = __LINE__"));
		is_str(f[1].srcline, want, "srcline_outer's line: its call of srcline_inner");
		snprintf(want, sizeof(want), "test-srcline.c:%d", line_of("L_HOLDER = __LINE__"));
		is_str(f[2].srcline, want, "the holder's line: its call of srcline_outer");
	}
	n = srcl_lookup(s, exe, vaddr, &f);
	srcl_get_stats(s, &st);
	is_int(st.lookups, 2, "two lookups");
	is_int(st.misses, 1, "the second from the cache");
	is_int(st.with_dwarf, 1, "one object with DWARF");
	is_int(srcl_lookup(s, exe, 0, &f), 0, "address 0: in no CU, no frames");
	is_int(srcl_lookup(s, "/nonexistent/object", 0x1000, &f), 0, "no such object: no frames");
	for (uint64_t a = 1; a <= 5000; a++)	/* past the first table size: it grows */
		srcl_lookup(s, exe, vaddr + a, &f);
	n = srcl_lookup(s, exe, vaddr, &f);
	ok(n == 3 && !strcmp(f[2].func, "srcline_holder"), "the first answer kept while the cache grew");
	srcl_free(s);
	debug_files(exe, vaddr);
	return done_testing();
}
