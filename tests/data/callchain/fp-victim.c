// SPDX-License-Identifier: GPL-2.0
/*
 * A program whose flushes tests/callchain.sh attributes with record -g: main -> serve_requests
 * -> trim_arena, which calls madvise(MADV_DONTNEED) on a touched page. Built with frame pointers
 * and no inlining. trim_arena makes the system call itself (not through libc's wrapper, which
 * has no frame of its own and so hides its caller from a frame-pointer walk), so the user chain
 * reads trim_arena;serve_requests;main.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static inline __attribute__((always_inline)) long raw_madvise(void *addr, size_t len, int advice)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "0"((long)SYS_madvise), "D"(addr), "S"(len),
			 "d"((long)advice) : "rcx", "r11", "memory");
	return ret;
}

__attribute__((noinline)) void trim_arena(char *arena, size_t len)
{
	arena[0] = 1;			/* touch: there is something to flush */
	if (raw_madvise(arena, len, MADV_DONTNEED) != 0)
		abort();
}

__attribute__((noinline)) void serve_requests(char *arena, size_t len, int n)
{
	for (int i = 0; i < n; i++)
		trim_arena(arena, len);
}

int main(int argc, char **argv)
{
	size_t len = 1 << 16;
	char *arena = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (arena == MAP_FAILED)
		return 1;
	serve_requests(arena, len, argc > 1 ? atoi(argv[1]) : 2000);
	return 0;
}
