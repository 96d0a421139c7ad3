// SPDX-License-Identifier: GPL-2.0
/*
 * memcost - what memory costs a short-lived process on this machine: the measurements behind the
 * readers' huge-page buffers and their pread() of a perf.data file (Documentation/benchmarks.md,
 * "memory in huge pages").
 *
 *   memcost [--mib N] [--rounds N] [--json] [FILE]
 *
 * Anonymous memory, N MiB (default 2) a round, best of --rounds (default 9), each in a fresh
 * mapping: "fault" (4 KiB pages faulted in by writing a byte of each), "populate" (MAP_POPULATE,
 * then written), "huge" (2 MiB-aligned, MADV_HUGEPAGE, written). With FILE (a perf.data file,
 * read from the page cache: run it once before), the data section walked record by record (each
 * header's size gives the next) in two ways: "pread" (256 KiB at a time into one buffer, as
 * tlbstat's reader does) and "mapped" (the file mapped, 2 MiB windows populated ahead of the
 * cursor with MADV_POPULATE_READ, records read in place).
 *
 * Output: a line per measure "NAME  us (per MiB: us)", or with --json one object
 * {"mib", "rounds", "fault_us", "populate_us", "huge_us", "thp" (huge pages seen in the
 * mapping: false where THP is off), and with FILE "file_bytes", "records", "pread_us", "mapped_us"}.
 * Exit status: 0 ok, 1 runtime failure (mmap, open, not a perf.data file), 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HUGE (2UL << 20)

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static volatile uint64_t sink;

enum anon_kind { FAULT, POPULATE, HUGEPAGE };

/* AnonHugePages of this process (kB), -1 when unreadable */
static long anon_huge_kb(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* One fresh mapping of len bytes, written a byte a page; its time (us), -1 on failure. */
static double anon_round(size_t len, enum anon_kind kind, bool *thp)
{
	double t0 = now_us();
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | (kind == POPULATE ? MAP_POPULATE : 0);
	size_t extra = kind == HUGEPAGE ? HUGE : 0;
	uint8_t *map = mmap(NULL, len + extra, PROT_READ | PROT_WRITE, flags, -1, 0), *p;
	double t;

	if (map == MAP_FAILED)
		return -1;
	p = kind == HUGEPAGE ? (uint8_t *)(((uintptr_t)map + HUGE - 1) & ~(uintptr_t)(HUGE - 1)) : map;
	if (kind == HUGEPAGE)
		madvise(p, len, MADV_HUGEPAGE);
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
	t = now_us() - t0;
	if (kind == HUGEPAGE && thp && anon_huge_kb() > 0)
		*thp = true;	/* the kernel gave huge pages (else the same in 4 KiB ones) */
	munmap(map, len + extra);
	return t;
}

static double best(double *v, int n)
{
	double b = -1;

	for (int i = 0; i < n; i++)
		if (v[i] >= 0 && (b < 0 || v[i] < b))
			b = v[i];
	return b;
}

struct perf_hdr { uint32_t type; uint16_t misc, size; };

/* Walk records in buf[0, len): returns the bytes consumed (whole records), adds to *nr, *sum. */
static size_t walk(const uint8_t *buf, size_t len, uint64_t *nr, uint64_t *sum)
{
	size_t o = 0;

	while (len - o >= sizeof(struct perf_hdr)) {
		struct perf_hdr h;

		memcpy(&h, buf + o, sizeof(h));
		if (h.size < sizeof(h) || h.size > len - o)
			break;
		*sum += h.type;
		(*nr)++;
		o += h.size;
	}
	return o;
}

static double file_pread(int fd, uint64_t start, uint64_t end, uint64_t *nr)
{
	const size_t chunk = 256 << 10;
	uint8_t *buf = mmap(NULL, chunk, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	uint64_t pos = start, sum = 0;
	double t0;

	if (buf == MAP_FAILED)
		return -1;
	*nr = 0;
	t0 = now_us();
	while (pos < end) {
		size_t want = end - pos < chunk ? (size_t)(end - pos) : chunk, used;
		ssize_t got = pread(fd, buf, want, (off_t)pos);

		if (got <= 0)
			break;
		used = walk(buf, (size_t)got, nr, &sum);
		if (!used)
			break;
		pos += used;
	}
	t0 = now_us() - t0;
	sink += sum;
	munmap(buf, chunk);
	return t0;
}

static double file_mapped(int fd, size_t size, uint64_t start, uint64_t end, uint64_t *nr)
{
	double t0 = now_us();
	const uint8_t *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	uint64_t pos = start, populated = start & ~4095UL, sum = 0;

	if (m == MAP_FAILED)
		return -1;
	*nr = 0;
	while (pos < end) {
		if (pos + 65536 > populated && populated < end) {
			uint64_t to = populated + HUGE < end ? populated + HUGE : end;
#ifdef MADV_POPULATE_READ
			madvise((void *)(m + populated), (size_t)(to - populated), MADV_POPULATE_READ);
#endif
			populated = to;
		}
		size_t used = walk(m + pos, (size_t)((populated < end ? populated : end) - pos), nr,
				   &sum);
		if (!used && populated >= end)
			break;
		pos += used;
	}
	t0 = now_us() - t0;
	sink += sum;
	munmap((void *)m, size);
	return t0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: memcost [--mib N] [--rounds N] [--json] [FILE]\n"
		   "  anonymous memory faulted in, populated and in huge pages; with FILE (a\n"
		   "  perf.data file) its records walked after pread() and in place, mapped\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mib", required_argument, NULL, 'm' }, { "rounds", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, { 0 }
	};
	int mib = 2, rounds = 9, c;
	bool json = false, thp = false;
	double v[3][64], res[3];
	const char *file = NULL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': mib = atoi(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (mib < 1 || mib > 1024 || rounds < 1 || rounds > 64 || argc - optind > 1) {
		usage(stderr);
		return 2;
	}
	if (optind < argc)
		file = argv[optind];
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < 3; k++)
			v[k][r] = anon_round((size_t)mib << 20, (enum anon_kind)k, &thp);
	for (int k = 0; k < 3; k++) {
		res[k] = best(v[k], rounds);
		if (res[k] < 0) {
			fprintf(stderr, "memcost: mmap: %s\n", strerror(errno));
			return 1;
		}
	}
	if (json)
		printf("{\"mib\": %d, \"rounds\": %d, \"fault_us\": %.1f, \"populate_us\": %.1f, "
		       "\"huge_us\": %.1f, \"thp\": %s", mib, rounds, res[0], res[1], res[2],
		       thp ? "true" : "false");
	else
		printf("fault     %8.1f us (per MiB: %.1f)\npopulate  %8.1f us (per MiB: %.1f)\n"
		       "huge      %8.1f us (per MiB: %.1f)%s\n", res[0], res[0] / mib, res[1],
		       res[1] / mib, res[2], res[2] / mib,
		       thp ? "" : " (no huge pages given: THP off?)");
	if (file) {
		int fd = open(file, O_RDONLY | O_CLOEXEC);
		struct stat st;
		uint64_t hdr[13], start, end, nr_p = 0, nr_m = 0;
		double p[64], m[64];

		if (fd < 0 || fstat(fd, &st) < 0 || pread(fd, hdr, sizeof(hdr), 0) != sizeof(hdr) ||
		    memcmp(hdr, "PERFILE2", 8)) {
			fprintf(stderr, "memcost: %s: %s\n", file,
				fd < 0 ? strerror(errno) : "not a perf.data file");
			return 1;
		}
		start = hdr[5];		/* data section: offset, size */
		end = hdr[5] + hdr[6];
		if (!hdr[6] || end > (uint64_t)st.st_size)
			end = (uint64_t)st.st_size;
		for (int r = 0; r < rounds; r++) {
			p[r] = file_pread(fd, start, end, &nr_p);
			m[r] = file_mapped(fd, (size_t)st.st_size, start, end, &nr_m);
		}
		if (nr_p != nr_m)
			fprintf(stderr, "memcost: %s: the two walks saw %llu and %llu records\n", file,
				(unsigned long long)nr_p, (unsigned long long)nr_m);
		if (json)
			printf(", \"file_bytes\": %llu, \"records\": %llu, \"pread_us\": %.1f, "
			       "\"mapped_us\": %.1f", (unsigned long long)(end - start),
			       (unsigned long long)nr_p, best(p, rounds), best(m, rounds));
		else
			printf("pread     %8.1f us (%llu records, %.1f MB)\nmapped    %8.1f us\n",
			       best(p, rounds), (unsigned long long)nr_p, (double)(end - start) / 1e6,
			       best(m, rounds));
		close(fd);
	}
	if (json)
		printf("}\n");
	return 0;
}
