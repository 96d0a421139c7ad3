// SPDX-License-Identifier: GPL-2.0
/*
 * alloc-churn - malloc/free churn of large blocks, the allocator pattern behind most munmap, brk
 * and madvise flushes of a serving process (Documentation/runbook.md measures glibc's levers
 * with it).
 *
 *   alloc-churn [--size MIN[-MAX]] [--ops N] [--duration S] [--threads N] [--hold K]
 *               [--touch PAGES|all] [--seed N] [--json] [--help]
 *
 * Each of --threads threads (the main thread and N - 1 more) loops: malloc a block of --size bytes (a fixed size, or uniform in
 * MIN..MAX with a per-thread xorshift seeded from --seed, so two runs ask for the same sizes),
 * write --touch pages of it (one byte per page, from the start; all: every page), then free it
 * (--hold 0) or keep it among the thread's last K blocks and free the oldest (--hold K). One op
 * is one malloc + free. Nothing else: which system calls the frees become (munmap of an mmapped chunk, brk of a trimmed main
 * heap, madvise(MADV_DONTNEED) of a trimmed thread heap, nothing at all) is the allocator's
 * choice, steered by its settings (M_MMAP_THRESHOLD, M_TRIM_THRESHOLD, M_MMAP_MAX: mallopt(3);
 * MALLOC_*_ or GLIBC_TUNABLES in the environment), which is what it exists to show.
 *
 * Output (stdout): one summary line, or with --json one object:
 *   {"threads", "size_min", "size_max", "hold", "touch_pages" (-1: all), "ops",
 *    "duration_s", "ops_per_s", "bytes_allocated", "arena_bytes", "mmapped_bytes"}
 * arena_bytes and mmapped_bytes are glibc's mallinfo2() at the end (heap from brk and thread
 * heaps; chunks in their own mmap), where the C library has it.
 * Exit status: 0 ok, 1 runtime failure (malloc returned NULL, a thread could not start), 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 256
#define MAX_HOLD 4096

static struct {
	size_t min, max;
	unsigned long long ops;         /* 0: until --duration */
	double duration;
	unsigned threads, hold;
	long touch;                     /* pages; -1: all */
	unsigned long long seed;
	bool json;
} opt = { 1UL << 20, 1UL << 20, 0, 2.0, 1, 0, 1, 0, false };

static atomic_ullong ops_left;  /* with --ops: taken one at a time by the threads */
static atomic_bool stop;
static atomic_ullong ops_done, bytes_done;
static atomic_int failed;
static long page_size;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static double deadline;

static bool take_op(void)
{
	unsigned long long left;

	if (atomic_load(&stop) || now_s() >= deadline)
		return false;
	if (!opt.ops)
		return true;
	left = atomic_load(&ops_left);
	while (left && !atomic_compare_exchange_weak(&ops_left, &left, left - 1))
		;
	return left != 0;
}

static void *churn(void *arg)
{
	uint64_t seed = (opt.seed + 1) * 0x9e3779b97f4a7c15ULL + (uintptr_t)arg;
	char **held = calloc(opt.hold ? opt.hold : 1, sizeof(*held));
	unsigned long long n = 0, bytes = 0;
	unsigned head = 0;

	if (!held) {
		atomic_store(&failed, ENOMEM);
		return NULL;
	}
	if (!seed)
		seed = 1;
	while (take_op()) {
		size_t size = opt.min, pages, touch;
		char *p;

		if (opt.max > opt.min)
			size += xorshift(&seed) % (opt.max - opt.min + 1);
		p = malloc(size);
		if (!p) {
			atomic_store(&failed, ENOMEM);
			break;
		}
		pages = (size + page_size - 1) / page_size;
		touch = opt.touch < 0 || (size_t)opt.touch > pages ? pages : (size_t)opt.touch;
		for (size_t i = 0; i < touch; i++)
			p[i * page_size] = (char)i;
		/* --hold 0: freed at once; else a ring of K slots: the new block in, the oldest out */
		if (!opt.hold) {
			free(p);
		} else {
			free(held[head]);
			held[head] = p;
			head = (head + 1) % opt.hold;
		}
		n++;
		bytes += size;
	}
	for (unsigned i = 0; i < opt.hold; i++)
		free(held[i]);
	free(held);
	atomic_fetch_add(&ops_done, n);
	atomic_fetch_add(&bytes_done, bytes);
	return NULL;
}

static void usage(FILE *f)
{
	fputs(
"usage: alloc-churn [--size MIN[-MAX]] [--ops N] [--duration S] [--threads N] [--hold K]\n"
"                   [--touch PAGES|all] [--seed N] [--json] [--help]\n"
"  malloc a block, write --touch pages of it, free the oldest held block; repeat.\n"
"  --size MIN[-MAX]  block size, fixed or uniform in MIN..MAX (K/M/G suffixes; default 1M)\n"
"  --ops N           stop after N malloc+free ops over all threads (default: --duration)\n"
"  --duration S      seconds (default 2; with --ops, whichever ends first)\n"
"  --threads N       churn threads, 1..256 (default 1)\n"
"  --hold K          0: free each block at once; K: keep the last K, free the oldest (default 0)\n"
"  --touch PAGES     pages written per block, from its start; all = every page (default 1)\n"
"  --seed N          size sequence seed (default 0)\n"
"  --json            the summary as one JSON object\n"
"The allocator decides which system calls a free becomes: see mallopt(3) and\n"
"Documentation/runbook.md. Exit status: 0 ok, 1 runtime failure, 2 usage error.\n", f);
}

static void __attribute__((noreturn)) bad(const char *what, const char *s)
{
	fprintf(stderr, "alloc-churn: bad value for %s: '%s'\n", what, s);
	usage(stderr);
	exit(2);
}

/* A size with an optional K/M/G suffix (powers of 1024), >= 1; *end after it. */
static size_t parse_size(const char *what, const char *s, const char **end)
{
	unsigned long long v;
	char *e;

	errno = 0;
	if (*s < '0' || *s > '9')
		bad(what, s);
	v = strtoull(s, &e, 10);
	if (errno || !v)
		bad(what, s);
	switch (*e) {
	case 'K': case 'k': v <<= 10; e++; break;
	case 'M': case 'm': v <<= 20; e++; break;
	case 'G': case 'g': v <<= 30; e++; break;
	}
	if (v > (1ULL << 40))
		bad(what, s);
	*end = e;
	return (size_t)v;
}

static unsigned long long parse_u(const char *what, const char *s, unsigned long long lo,
				  unsigned long long hi)
{
	unsigned long long v;
	char *e;

	errno = 0;
	if (*s < '0' || *s > '9')
		bad(what, s);
	v = strtoull(s, &e, 10);
	if (errno || *e || v < lo || v > hi)
		bad(what, s);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "size", required_argument, NULL, 's' }, { "ops", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "threads", required_argument, NULL, 't' }, { "hold", required_argument, NULL, 'k' },
		{ "touch", required_argument, NULL, 'w' }, { "seed", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	pthread_t tid[MAX_THREADS];
	bool ops_given = false, duration_given = false;
	double t0, t1;
	unsigned started = 1;
	int c;

	page_size = sysconf(_SC_PAGESIZE);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		const char *e;
		char *de;

		switch (c) {
		case 's':
			opt.min = opt.max = parse_size("--size", optarg, &e);
			if (*e == '-')
				opt.max = parse_size("--size", e + 1, &e);
			if (*e || opt.max < opt.min)
				bad("--size", optarg);
			break;
		case 'n': opt.ops = parse_u("--ops", optarg, 1, 1ULL << 62); ops_given = true; break;
		case 'd':
			errno = 0;
			opt.duration = strtod(optarg, &de);
			if (errno || *de || de == optarg || !(opt.duration > 0) || opt.duration > 86400)
				bad("--duration", optarg);
			duration_given = true;
			break;
		case 't': opt.threads = (unsigned)parse_u("--threads", optarg, 1, MAX_THREADS); break;
		case 'k': opt.hold = (unsigned)parse_u("--hold", optarg, 0, MAX_HOLD); break;
		case 'w':
			opt.touch = strcmp(optarg, "all") ? (long)parse_u("--touch", optarg, 0, 1UL << 30)
							  : -1;
			break;
		case 'S': opt.seed = parse_u("--seed", optarg, 0, ~0ULL); break;
		case 'j': opt.json = true; break;
		case 'h': usage(stdout); return 0;
		case ':':
			fprintf(stderr, "alloc-churn: option '%s' needs a value\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		default:
			fprintf(stderr, "alloc-churn: unknown option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "alloc-churn: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (ops_given && !duration_given)
		opt.duration = 86400;
	atomic_store(&ops_left, opt.ops);

	/*
	 * The main thread is churn thread 0, so --threads 1 allocates from glibc's main arena (the
	 * brk heap) and each further thread from an arena of its own (mmapped heaps of at most 64
	 * MiB on 64-bit): both kinds of trimming show.
	 */
	t0 = now_s();
	deadline = t0 + opt.duration;
	for (; started < opt.threads; started++) {
		int err = pthread_create(&tid[started], NULL, churn, (void *)(uintptr_t)started);

		if (err) {
			fprintf(stderr, "alloc-churn: pthread_create: %s\n", strerror(err));
			atomic_store(&stop, true);
			atomic_store(&failed, err);
			break;
		}
	}
	churn((void *)(uintptr_t)0);
	for (unsigned i = 1; i < started; i++)
		pthread_join(tid[i], NULL);
	t1 = now_s();
	if (atomic_load(&failed)) {
		fprintf(stderr, "alloc-churn: %s\n", strerror(atomic_load(&failed)));
		return 1;
	}

	unsigned long long n = atomic_load(&ops_done), bytes = atomic_load(&bytes_done);
	double arena = -1, mmapped = -1;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
	struct mallinfo2 mi = mallinfo2();

	arena = (double)mi.arena;
	mmapped = (double)mi.hblkhd;
#endif
	if (opt.json) {
		printf("{\"threads\": %u, \"size_min\": %zu, \"size_max\": %zu, \"hold\": %u, "
		       "\"touch_pages\": %ld, \"ops\": %llu, \"duration_s\": %.6f, \"ops_per_s\": %.1f, "
		       "\"bytes_allocated\": %llu, ", opt.threads, opt.min, opt.max, opt.hold, opt.touch,
		       n, t1 - t0, n / (t1 - t0), bytes);
		if (arena < 0)
			printf("\"arena_bytes\": null, \"mmapped_bytes\": null}\n");
		else
			printf("\"arena_bytes\": %.0f, \"mmapped_bytes\": %.0f}\n", arena, mmapped);
	} else {
		printf("alloc-churn: %llu ops in %.3f s (%.1f/s), %u thread(s), size %zu-%zu, hold %u",
		       n, t1 - t0, n / (t1 - t0), opt.threads, opt.min, opt.max, opt.hold);
		if (arena >= 0)
			printf(", arena %.0f bytes, mmapped %.0f bytes at the end", arena, mmapped);
		printf("\n");
	}
	return 0;
}
