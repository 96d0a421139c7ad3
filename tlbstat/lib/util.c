// SPDX-License-Identifier: GPL-2.0
#include "util.h"
#include "strlist.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "tlbstat: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void tlb_verr(const char *fmt, va_list ap)
{
	vmsg("", fmt, ap);
}

void tlb_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void tlb_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

bool next_line(const char **p, const char *end, const char **line, size_t *len)
{
	const char *nl;

	if (*p >= end)
		return false;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*line = *p;
	*len = (size_t)((nl ? nl : end) - *p);
	*p = nl ? nl + 1 : end;
	return true;
}

char *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	struct stat st;
	char *buf;

	if (fd < 0)
		return NULL;
	/* a regular file in one allocation (a /proc file says 0: doubled as it comes) */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size < SIZE_MAX / 2)
		cap = (size_t)st.st_size + 2;
	buf = malloc(cap);
	if (!buf)
		goto fail;
	for (;;) {
		ssize_t r;
		if (n + 1 >= cap) {
			char *grown = realloc(buf, cap * 2);
			if (!grown)
				goto fail;
			buf = grown;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
fail: {
	int e = errno;	/* ENOMEM from malloc, or read's */
	free(buf);
	close(fd);
	errno = e;
	return NULL;
}
}

void build_id_hex(const unsigned char *id, size_t n, char *out, size_t outlen)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n && 2 * i + 2 < outlen; i++) {
		out[2 * i] = digits[id[i] >> 4];
		out[2 * i + 1] = digits[id[i] & 15];
	}
	out[2 * i] = '\0';
}

/* Whether the kernel gives transparent huge pages on madvise (enabled: always or madvise). */
static bool thp_usable(void)
{
	static int usable = -1;

	if (usable < 0) {
		char *t = read_file("/sys/kernel/mm/transparent_hugepage/enabled", NULL);

		usable = t && !strstr(t, "[never]");
		free(t);
	}
	return usable;
}

void *huge_map(size_t len, bool populate, size_t *got)
{
	size_t unit = thp_usable() ? HUGE_PAGE_SIZE : 4096;
	size_t n = (len + unit - 1) & ~(unit - 1);
	uint8_t *map, *p;

	*got = 0;
	if (!n || n < len)
		return NULL;
	if (unit != HUGE_PAGE_SIZE) {	/* no huge pages: what was asked, in 4 KiB pages */
		p = mmap(NULL, n, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | (populate ? MAP_POPULATE : 0), -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		*got = n;
		return p;
	}
	map = mmap(NULL, n + HUGE_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (map == MAP_FAILED)
		return NULL;
	/* aligned to a huge page, the rest given back */
	p = (uint8_t *)(((uintptr_t)map + HUGE_PAGE_SIZE - 1) & ~(uintptr_t)(HUGE_PAGE_SIZE - 1));
	if (p > map)
		munmap(map, (size_t)(p - map));
	munmap(p + n, (size_t)(map + HUGE_PAGE_SIZE - p));
	madvise(p, n, MADV_HUGEPAGE);	/* advice: the kernel may still give 4 KiB pages */
#ifdef MADV_POPULATE_WRITE
	if (populate)			/* advice too: before 5.14 the pages fault in */
		madvise(p, n, MADV_POPULATE_WRITE);
#endif
	*got = n;
	return p;
}

void huge_unmap(void *p, size_t got)
{
	if (p)
		munmap(p, got);
}

int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const char *p = buf;
	while (len) {
		ssize_t w = pwrite(fd, p, len, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

double ns_to_s(uint64_t ns)
{
	return (double)ns / 1e9;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static bool parse_uint(const char **p, long *out)
{
	char *end;
	if (!isdigit((unsigned char)**p))
		return false;
	errno = 0;
	*out = strtol(*p, &end, 10);
	if (errno || *out > 1 << 20)
		return false;
	*p = end;
	return true;
}

static int grow_ints(int **v, int *cap)
{
	int *grown = realloc(*v, sizeof(**v) * (size_t)*cap * 2);

	if (!grown)
		return -1;
	*v = grown;
	*cap *= 2;
	return 0;
}

/* One item of a cpu list, "3" or "0-3", into [*a, *b]. */
static bool parse_cpu_range(const char *s, long *a, long *b)
{
	if (!parse_uint(&s, a))
		return false;
	*b = *a;
	if (*s == '-') {
		s++;
		if (!parse_uint(&s, b) || *b < *a)
			return false;
	}
	return !*s;
}

static void uniq_ints(int *v, int *n)
{
	int m = 0;

	for (int i = 0; i < *n; i++)
		if (m == 0 || v[m - 1] != v[i])
			v[m++] = v[i];
	*n = m;
}

int parse_cpu_list(const char *s, int max_cpu, int **cpus, char *err, size_t errlen)
{
	int n = 0, cap = 16, *v, i;
	struct strlist l;
	const char *item;

	*cpus = NULL;
	if (!s || !*s) {
		snprintf(err, errlen, "empty cpu list");
		return -1;
	}
	/* the one comma splitter (strlist): empty items are refused as everywhere else */
	if (strlist_split(&l, s, err, errlen) < 0) {
		if (strcmp(err, "out of memory"))
			snprintf(err, errlen, "bad cpu list '%s' (expected e.g. 0-3,5)", s);
		return -1;
	}
	v = malloc(sizeof(*v) * (size_t)cap);
	if (!v)
		goto oom;
	strlist_for_each(&l, i, item) {
		long a, b;

		if (!parse_cpu_range(item, &a, &b)) {
			snprintf(err, errlen, "bad cpu list '%s' (expected e.g. 0-3,5)", s);
			goto fail;
		}
		if (b > TLB_CPU_NUMBER_MAX) {   /* no online check can bound it: still no 10^6 loop */
			snprintf(err, errlen, "cpu %ld in '%s': Linux numbers CPUs 0 to %d (NR_CPUS "
				 "at most %d)", b, s, TLB_CPU_NUMBER_MAX, TLB_CPU_NUMBER_MAX + 1);
			goto fail;
		}
		if (max_cpu >= 0 && b > max_cpu) {
			snprintf(err, errlen, "cpu %ld in '%s' is not online (highest online cpu is %d)",
				 b, s, max_cpu);
			goto fail;
		}
		for (long c = a; c <= b; c++) {
			if (n == cap && grow_ints(&v, &cap) < 0)
				goto oom;
			v[n++] = (int)c;
		}
	}
	strlist_free(&l);
	qsort(v, (size_t)n, sizeof(*v), cmp_int);
	uniq_ints(v, &n);
	*cpus = v;
	return n;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	strlist_free(&l);
	free(v);
	return -1;
}

int online_cpus(int **cpus)
{
	char err[128];
	char *s = read_file("/sys/devices/system/cpu/online", NULL);
	int n;

	if (!s) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		if (c < 1)
			return -1;
		*cpus = malloc(sizeof(int) * (size_t)c);
		if (!*cpus)
			return -1;
		for (long i = 0; i < c; i++)
			(*cpus)[i] = (int)i;
		return (int)c;
	}
	s[strcspn(s, "\n")] = '\0';
	n = parse_cpu_list(s, -1, cpus, err, sizeof(err));
	free(s);
	return n;
}

bool parse_pid(const char *s, pid_t *pid)
{
	char *end;
	long v;
	if (!s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0 || v > 0x3fffffff)
		return false;
	*pid = (pid_t)v;
	return true;
}

bool pid_exists(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

bool read_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	char *s;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	s = read_file(path, NULL);
	if (!s)
		return false;
	s[strcspn(s, "\n")] = '\0';
	snprintf(buf, len, "%s", s);
	free(s);
	return true;
}


void membuf_put(struct membuf *m, const void *d, size_t n)
{
	if (m->oom)
		return;
	if (m->len + n > m->cap) {
		size_t cap = m->cap ? m->cap : 4096;
		char *p;

		while (m->len + n > cap)
			cap *= 2;
		p = realloc(m->p, cap);
		if (!p) {
			m->oom = true;
			return;
		}
		m->p = p;
		m->cap = cap;
	}
	memcpy(m->p + m->len, d, n);
	m->len += n;
}

void membuf_u32(struct membuf *m, uint32_t v) { membuf_put(m, &v, 4); }
void membuf_u64(struct membuf *m, uint64_t v) { membuf_put(m, &v, 8); }
