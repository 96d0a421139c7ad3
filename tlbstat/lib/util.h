/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by every tlbstat command: messages, files, lines, time, cpu lists. */
#ifndef TLBSTAT_UTIL_H
#define TLBSTAT_UTIL_H
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

/* Documented exit codes (Documentation/tlbstat.txt). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,    /* runtime failure: I/O, bad file, the workload could not run */
	EXIT_USAGE = 2,   /* bad option or argument */
	EXIT_ENV = 3,     /* environment: not privileged, tracefs or tracepoint missing */
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* "tlbstat: <msg>\n" on stderr. */
void tlb_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tlb_verr(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
void tlb_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Read a whole file (NUL-terminated); NULL and errno on failure. *len may be NULL. */
char *read_file(const char *path, size_t *len);
/* A build-id's n bytes as lowercase hex into out (outlen > 0), NUL-terminated, cut to fit. */
void build_id_hex(const unsigned char *id, size_t n, char *out, size_t outlen);
/* The next line of [*p, end) without its newline (not NUL-terminated); false at the end. */
bool next_line(const char **p, const char *end, const char **line, size_t *len);
/* Write all of buf at offset off; 0 or -1 with errno. */
int pwrite_all(int fd, const void *buf, size_t len, uint64_t off);

/*
 * Memory in transparent huge pages where the kernel gives them: len bytes rounded up to a
 * multiple of HUGE_PAGE_SIZE, aligned to one, with MADV_HUGEPAGE, its pages mapped in now
 * (MADV_POPULATE_WRITE) when populate; where THP is off (enabled: never, or no THP at all), len
 * rounded up to 4 KiB pages only, so callers use *got, not HUGE_PAGE_SIZE. On this project's
 * PVM guest a 4 KiB page costs 6 us populated and 11 us faulted in, a 2 MiB huge page
 * 0.13-0.18 ms (benchmarks/memcost.c): buffers of a few hundred KiB are cheaper as one huge
 * page. *got: the bytes mapped (for huge_unmap). NULL when out of memory.
 */
#define HUGE_PAGE_SIZE ((size_t)2 << 20)
void *huge_map(size_t len, bool populate, size_t *got);
void huge_unmap(void *p, size_t got);

uint64_t now_ns(void);            /* CLOCK_MONOTONIC, the clock perf uses for samples */
double ns_to_s(uint64_t ns);

/* The largest CPU number a cpu list may name: Linux's NR_CPUS is at most 8192 (x86 MAXSMP). */
#define TLB_CPU_NUMBER_MAX 8191
/*
 * Parse a cpu list like "0-3,5,7-8" into a sorted, de-duplicated array of cpu numbers.
 * Returns the number of cpus, or -1 with a message in err (errlen bytes) on bad syntax.
 * max_cpu >= 0 rejects cpus above it (not online/possible).
 */
int parse_cpu_list(const char *s, int max_cpu, int **cpus, char *err, size_t errlen);
/* The online cpus (from /sys/devices/system/cpu/online); count, or -1 (unreadable, no memory). */
int online_cpus(int **cpus);

/* Parse a positive pid; false on junk. */
bool parse_pid(const char *s, pid_t *pid);
bool pid_exists(pid_t pid);
/* /proc/<pid>/comm into buf (without newline); false if gone. */
bool read_comm(pid_t pid, char *buf, size_t len);

/*
 * A growing buffer that remembers running out of memory, so that a writer appends without a
 * check per call and looks at .oom once, when it uses the bytes (perf.data and TRACING_DATA
 * writers). Zero-initialise; free(.p).
 */
struct membuf {
	char *p;
	size_t len, cap;
	bool oom;
};
void membuf_put(struct membuf *m, const void *d, size_t n);
void membuf_u32(struct membuf *m, uint32_t v);
void membuf_u64(struct membuf *m, uint64_t v);
/*
 * Copy at most room bytes of src, up to its NUL, into dst of size dstlen (> 0), NUL-terminated
 * and cut to fit: snprintf(dst, dstlen, "%.*s", room, src) without the format engine (comm
 * records reach this tens of thousands of times in a report).
 */
static inline void copy_name(char *dst, size_t dstlen, const char *src, size_t room)
{
	size_t n = strnlen(src, room < dstlen - 1 ? room : dstlen - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Zero an object of n bytes (8-byte aligned) with plain stores. GCC turns a memset of a
 * mid-sized struct (100-200 bytes) into `rep stos`, whose start-up cost made it 40 % of
 * tlb_decode's and sample_parse_layout's time in report on this project's guests (perf record -e
 * cpu-clock); an empty asm hides the zero from that rewrite, the may_alias type keeps the stores
 * ordered with the struct's typed fields. For the per-event path only: memset elsewhere.
 */
typedef uint64_t __attribute__((may_alias)) zero_word_t;
static inline __attribute__((always_inline)) void zero_words(void *p, size_t n)
{
	uint64_t z = 0;
	zero_word_t *w = p;
	size_t i;

	__asm__("" : "+r"(z));
#pragma GCC unroll 32
	for (i = 0; i < n / 8; i++)
		w[i] = z;
	for (i = n & ~(size_t)7; i < n; i++)
		((unsigned char *)p)[i] = 0;
}
#endif
