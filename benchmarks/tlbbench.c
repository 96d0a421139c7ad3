// SPDX-License-Identifier: GPL-2.0
/*
 * tlbbench - TLB invalidation (shootdown) workloads with an in-process latency probe.
 *
 *   tlbbench <workload> [--threads N] [--duration S] [--ops N] [--size BYTES] [--touch PAGES]
 *            [--rate R] [--probe-threads N] [--probe-rate R] [--latency-csv FILE]
 *            [--interval-ms MS] [--no-pin] [--probe-fifo] [--json] [--help]
 *
 * Churn threads run the workload; probe threads, in the same process (same mm), serve synthetic
 * requests at a fixed rate and spin between them, so every flush of the mm made by a churn thread
 * must also invalidate the probe threads' CPUs (a remote shootdown: tlb_flush reason 4 on the
 * initiator, reason 1 on the victim where the machine delivers it by IPI).
 *
 * One "op" (what --ops counts and ops_per_s reports) is one call of the workload's flushing
 * system call:
 *   baseline  one compute unit (~1 us of integer work, no system call)
 *   mmap      one munmap of a mapped and touched range
 *   mprotect  one mprotect (PROT_READ <-> PROT_READ|PROT_WRITE) of a touched range
 *   madvise   one madvise(MADV_DONTNEED) of a touched range
 *   mremap    one mremap that moves (and alternately grows/shrinks) a touched range
 *   fork-cow  one fork; the parent writes the shared pages while the child is alive (COW)
 *   thp       one madvise(MADV_COLLAPSE) of one huge page (2 MiB with 4 KiB pages) touched
 *             as small pages
 *   mixed     one of the above, chosen at random with fixed weights
 *
 * Output (stdout). Human lines by default; with --json exactly one JSON object:
 *   {"workload": str, "threads": int, "probe_threads": int, "probe_rate": float,
 *    "size": int, "touch_pages": int, "rate": float, "cpus": int, "pinned": bool,
 *    "thp_enabled": str|null, "duration_s": float, "ops": int, "ops_per_s": float,
 *    "munmaps": int, "ops_by_type": {"compute","munmap","mprotect","madvise","mremap",
 *    "fork","collapse": int}, "failed_ops": int,
 *    "latency": {"requests": int, "p50_us", "p99_us", "p999_us", "max_us", "mean_us": float},
 *    "skipped": bool, "skip_reason": str|null,
 *    "probe_fifo": bool, "pid": int, "churn_tids": [int], "probe_tids": [int]}
 * churn_tids/probe_tids are the kernel thread ids (gettid) of the churn and probe threads, so a
 * test can check who initiated a flush and who was interrupted by it.
 * duration_s is the churn's own wall time (from the start signal to the last churn thread's end).
 *
 * --latency-csv FILE: one row per interval (--interval-ms, default 1000):
 *   t_mono_ns,interval_s,requests,req_per_s,p50_us,p99_us,p999_us,max_us
 * t_mono_ns is CLOCK_MONOTONIC at the interval's end (perf's default trace clock on x86 is the
 * same clock, so rows line up with perf timestamps). A request's latency runs from its scheduled
 * start time (start + k / probe-rate) to its completion, so a stalled probe shows as latency of
 * the requests queued behind the stall. Percentiles come from a log-linear histogram (64 linear
 * sub-buckets per power of two, <= 1.6 % relative error, reported as the bucket's upper bound,
 * never above the exact max).
 *
 * Exit status: 0 ok (also when thp is skipped), 1 runtime failure, 2 usage error.
 * Documentation/benchmarks.md describes the workloads and the flush reasons they produce.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PROBE_BUF_PAGES 16
#define PROBE_TOUCH_PAGES 4
#define PROBE_WORK 200        /* xorshift steps per request (~0.3 us) */
#define COMPUTE_WORK 1000     /* xorshift steps per baseline op (~1 us) */
/*
 * Pages touched (written) per op. Each touch of a zapped page is a page fault, and faults dominate
 * the cost of an op on paravirtualised guests (~14 us each on a PVM guest): touching all 16 pages
 * of 64 KiB gave ~3,000 munmaps/s there, below stress-ng --tlb-shootdown per CPU; one page (the
 * least that leaves a TLB entry to invalidate) gives ~6,000-13,000/s. --touch sets more.
 */
#define DEFAULT_TOUCH 1

/* the spin-wait hint, as the kernel's cpu_relax(): PAUSE on x86, YIELD on arm64 */
#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield" ::: "memory")
#else
#define cpu_relax() __asm__ __volatile__("" ::: "memory")
#endif

enum optype { OP_COMPUTE, OP_MUNMAP, OP_MPROTECT, OP_MADVISE, OP_MREMAP, OP_FORK, OP_COLLAPSE,
	      OP_NR };
static const char *const op_names[OP_NR] = {
	"compute", "munmap", "mprotect", "madvise", "mremap", "fork", "collapse",
};

enum workload { W_BASELINE, W_MMAP, W_MPROTECT, W_MADVISE, W_MREMAP, W_FORK_COW, W_THP, W_MIXED,
		W_NR };
static const char *const workload_names[W_NR] = {
	"baseline", "mmap", "mprotect", "madvise", "mremap", "fork-cow", "thp", "mixed",
};
/* mixed: weights per op type (the flushing call of each workload) */
static const unsigned mixed_weight[OP_NR] = {
	[OP_MUNMAP] = 30, [OP_MPROTECT] = 25, [OP_MADVISE] = 25, [OP_MREMAP] = 12, [OP_FORK] = 3,
	[OP_COLLAPSE] = 5,
};

/* ---- options ---- */
static struct {
	enum workload wl;
	unsigned threads, probe_threads;
	double duration, rate, probe_rate;
	bool duration_set;
	uint64_t ops;           /* 0: no limit */
	size_t size, touch;     /* bytes, pages touched per op */
	bool touch_set;
	const char *csv;
	unsigned interval_ms;
	bool json, pin;
	bool probe_fifo;        /* probe threads SCHED_FIFO 1 on their own CPUs */
} opt = {
	.threads = 1, .probe_threads = 1, .duration = 5.0, .probe_rate = 1000.0,
	.size = 64 << 10, .interval_ms = 1000, .pin = true,
};

static size_t page_size;
/* a PMD-sized huge page: 2 MiB with 4 KiB pages (x86-64, most arm64), 32 MiB with arm64's 16 KiB
 * pages, 512 MiB with 64 KiB; from /sys/kernel/mm/transparent_hugepage/hpage_pmd_size */
static size_t thp_size = 2UL << 20;
static bool thp_collapse_ok;   /* MADV_COLLAPSE works here */
static char thp_mode[32];      /* from /sys/kernel/mm/transparent_hugepage/enabled, "" if absent */

/* ---- time ---- */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = (time_t)(t / 1000000000ull),
			       .tv_nsec = (long)(t % 1000000000ull) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/*
 * The main thread sleeps until its next interval's end or the deadline, woken early through this
 * pipe by a signal or by the last churn thread's end (it used to wake every 5 ms to look: 200,000
 * wakeups a second from 1,000 idle-rate processes, which starved the machine they measure).
 */
static int wake_pipe[2] = { -1, -1 };

static void wake_main(void)
{
	if (wake_pipe[1] >= 0 && write(wake_pipe[1], "", 1) < 0) {
		/* full (a wakeup is pending anyway) or closed: nothing to do */
	}
}

/* Sleep until t (CLOCK_MONOTONIC) or a wake_main(), whichever comes first. */
static void wait_until(uint64_t t)
{
	struct pollfd pfd = { .fd = wake_pipe[0], .events = POLLIN };
	uint64_t now = now_ns();
	struct timespec ts;
	char buf[64];

	if (wake_pipe[0] < 0) {
		sleep_until(t);
		return;
	}
	if (t <= now)
		return;
	ts.tv_sec = (time_t)((t - now) / 1000000000ull);
	ts.tv_nsec = (long)((t - now) % 1000000000ull);
	if (ppoll(&pfd, 1, &ts, NULL) > 0)
		while (read(wake_pipe[0], buf, sizeof(buf)) > 0)
			;
}

static inline uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* ---- log-linear latency histogram (ns) ---- */
#define H_SUB_BITS 6
#define H_SUB (1u << H_SUB_BITS)
#define H_MAX_EXP 40            /* values clamp at 2^41 ns (~37 min) */
#define H_BUCKETS (H_SUB + (H_MAX_EXP - H_SUB_BITS + 1) * H_SUB)

struct hist {
	uint64_t n, sum, max;
	uint64_t b[H_BUCKETS];
};

static unsigned h_index(uint64_t v)
{
	if (v < H_SUB)
		return (unsigned)v;
	if (v >= (2ull << H_MAX_EXP))
		v = (2ull << H_MAX_EXP) - 1;
	unsigned e = 63u - (unsigned)__builtin_clzll(v);
	unsigned shift = e - H_SUB_BITS;
	return H_SUB + shift * H_SUB + (unsigned)((v >> shift) - H_SUB);
}

static uint64_t h_upper(unsigned i)
{
	if (i < H_SUB)
		return i;
	unsigned shift = (i - H_SUB) / H_SUB, mant = (i - H_SUB) % H_SUB;
	return (((uint64_t)H_SUB + mant + 1) << shift) - 1;
}

static void h_add(struct hist *h, uint64_t v)
{
	h->n++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
	h->b[h_index(v)]++;
}

static void h_merge(struct hist *dst, const struct hist *src)
{
	dst->n += src->n;
	dst->sum += src->sum;
	if (src->max > dst->max)
		dst->max = src->max;
	for (unsigned i = 0; i < H_BUCKETS; i++)
		dst->b[i] += src->b[i];
}

/* q in (0,1]: the upper bound of the bucket holding the ceil(q*n)-th value, capped at max */
static uint64_t h_quantile(const struct hist *h, double q)
{
	if (!h->n)
		return 0;
	uint64_t rank = (uint64_t)ceil(q * (double)h->n), c = 0;

	if (rank < 1)
		rank = 1;
	for (unsigned i = 0; i < H_BUCKETS; i++) {
		c += h->b[i];
		if (c >= rank) {
			uint64_t u = h_upper(i);
			return u < h->max ? u : h->max;
		}
	}
	return h->max;
}

/* ---- shared state ---- */
static atomic_bool go, stop;
static atomic_uint probes_ready, churn_running;
static atomic_uint_fast64_t ops_claimed;
static volatile sig_atomic_t got_signal;
static uint64_t t_start;

struct probe {
	pthread_t tid;
	pid_t os_tid;           /* the kernel's thread id, as perf and tlbstat report it */
	bool fifo;              /* runs SCHED_FIFO (--probe-fifo) */
	unsigned idx;
	int cpu;
	char *buf;
	pthread_mutex_t lock;
	struct hist h;          /* since the last interval snapshot */
};

struct churn {
	pthread_t tid;
	pid_t os_tid;
	unsigned idx;
	int cpu;
	uint64_t rng;
	uint64_t done[OP_NR], failed;
	uint64_t t_end;
	int err;                /* errno of a fatal failure */
	const char *err_what;
	/* per-workload state */
	char *prot_buf; bool prot_rw;        /* mprotect */
	char *madv_buf;                      /* madvise */
	char *mr_cur, *mr_spare; size_t mr_len; /* mremap: current range and spare reservation */
	char *cow_buf; int cow_pipe[2];      /* fork-cow */
	char *thp_buf;                       /* thp: thp_size aligned */
	char *compute_sink;
};

static struct probe *probes;
static struct churn *churns;

/* ---- CPU placement ---- */
static int cpu_list[CPU_SETSIZE], ncpus;

static void init_cpus(void)
{
	cpu_set_t set;

	ncpus = 0;
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &set))
				cpu_list[ncpus++] = c;
	}
	if (!ncpus) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		for (int c = 0; c < n && c < CPU_SETSIZE; c++)
			cpu_list[ncpus++] = c;
	}
}

/* churn threads round-robin over the first CPUs, probe threads over the last ones */
static void place(void)
{
	int nprobe_cpus = 0;

	for (unsigned i = 0; i < opt.threads; i++)
		churns[i].cpu = -1;
	for (unsigned i = 0; i < opt.probe_threads; i++)
		probes[i].cpu = -1;
	if (!opt.pin || ncpus < 2)
		return;
	if (opt.probe_threads) {
		nprobe_cpus = (int)opt.probe_threads;
		if (opt.threads && nprobe_cpus > ncpus / 2)
			nprobe_cpus = ncpus / 2;
		if (nprobe_cpus > ncpus)
			nprobe_cpus = ncpus;
	}
	int nchurn_cpus = ncpus - nprobe_cpus;

	for (unsigned i = 0; i < opt.threads; i++)
		churns[i].cpu = cpu_list[i % (unsigned)nchurn_cpus];
	for (unsigned i = 0; i < opt.probe_threads; i++)
		probes[i].cpu = cpu_list[nchurn_cpus + (int)(i % (unsigned)nprobe_cpus)];
}

static void pin_self(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)sched_setaffinity(0, sizeof(set), &set); /* keep working if it fails */
}

/* ---- probe threads ---- */
static void *probe_main(void *arg)
{
	struct probe *p = arg;
	uint64_t rng = 0x9e3779b97f4a7c15ull ^ (p->idx + 1), k = 0, sink = 0;
	uint64_t period = (uint64_t)(1e9 / opt.probe_rate);

	p->os_tid = (pid_t)syscall(SYS_gettid);
	pin_self(p->cpu);
	/*
	 * --probe-fifo: no ordinary task (a recorder, a test harness) can take the probe's CPU, so
	 * the mm stays loaded there and every flush of it must reach this CPU. Only on a CPU of its
	 * own (pinned, apart from the churn threads): there it cannot starve the churn.
	 */
	if (opt.probe_fifo && p->cpu >= 0) {
		struct sched_param sp = { .sched_priority = 1 };
		int e = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
		if (e)
			fprintf(stderr, "tlbbench: --probe-fifo: %s (probe thread stays SCHED_OTHER)\n",
				strerror(e));
		p->fifo = !e;
	}
	atomic_fetch_add(&probes_ready, 1);
	while (!atomic_load_explicit(&go, memory_order_acquire))
		cpu_relax();
	uint64_t base = t_start;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		uint64_t sched_t = base + k * period, t;

		/* keep the CPU busy until the request is due: shootdowns must find us running */
		while ((t = now_ns()) < sched_t) {
			if (atomic_load_explicit(&stop, memory_order_relaxed))
				goto out;
			cpu_relax();
		}
		for (int i = 0; i < PROBE_WORK; i++)
			sink += xorshift(&rng);
		for (int i = 0; i < PROBE_TOUCH_PAGES; i++) {
			size_t pg = (k * PROBE_TOUCH_PAGES + (size_t)i) % PROBE_BUF_PAGES;
			p->buf[pg * page_size + (k % 64) * 8] += (char)sink;
		}
		t = now_ns();
		pthread_mutex_lock(&p->lock);
		h_add(&p->h, t - sched_t);
		pthread_mutex_unlock(&p->lock);
		k++;
	}
out:
	p->buf[0] += (char)sink;
	return NULL;
}

/* ---- churn operations: each returns 0, or -errno on a fatal error ---- */
static inline void touch_w(char *p, size_t pages)
{
	for (size_t i = 0; i < pages; i++)
		((volatile char *)p)[i * page_size] = (char)i;
}

static inline void touch_r(const char *p, size_t pages)
{
	for (size_t i = 0; i < pages; i++)
		(void)((const volatile char *)p)[i * page_size];
}

#define FAIL(c, what) do { (c)->err = errno; (c)->err_what = (what); return -1; } while (0)

static int op_compute(struct churn *c)
{
	uint64_t s = 0;

	for (int i = 0; i < COMPUTE_WORK; i++)
		s += xorshift(&c->rng);
	*(volatile char *)c->compute_sink += (char)s;
	return 0;
}

static int op_mmap(struct churn *c)
{
	char *p = mmap(NULL, opt.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		FAIL(c, "mmap");
	touch_w(p, opt.touch);
	if (munmap(p, opt.size))
		FAIL(c, "munmap");
	return 0;
}

static int op_mprotect(struct churn *c)
{
	int prot = c->prot_rw ? PROT_READ : PROT_READ | PROT_WRITE;

	if (mprotect(c->prot_buf, opt.size, prot))
		FAIL(c, "mprotect");
	c->prot_rw = !c->prot_rw;
	if (c->prot_rw)
		touch_w(c->prot_buf, opt.touch);
	else
		touch_r(c->prot_buf, opt.touch);
	return 0;
}

static int op_madvise(struct churn *c)
{
	if (madvise(c->madv_buf, opt.size, MADV_DONTNEED))
		FAIL(c, "madvise(MADV_DONTNEED)");
	touch_w(c->madv_buf, opt.touch);
	return 0;
}

/* reserve len bytes (PROT_NONE) at hint exactly, or anywhere if that is taken */
static char *reserve(char *hint, size_t len)
{
	char *p = MAP_FAILED;

	if (hint)
		p = mmap(hint, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
			 MAP_FIXED_NOREPLACE, -1, 0);
	if (p != MAP_FAILED && p != hint) { /* old kernels ignore MAP_FIXED_NOREPLACE */
		munmap(p, len);
		p = MAP_FAILED;
	}
	if (p == MAP_FAILED)
		p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p;
}

/*
 * Move the touched range onto this thread's own spare reservation (MREMAP_FIXED, so it never
 * lands on another thread's memory), growing it by a page and shrinking it back on alternate
 * calls; the moved-from range is re-reserved as the next spare.
 * Reservations are size + 1 page, so both lengths fit.
 */
static int op_mremap(struct churn *c)
{
	size_t newlen = c->mr_len == opt.size ? opt.size + page_size : opt.size;
	char *old = c->mr_cur;
	size_t oldlen = c->mr_len;
	char *p = mremap(old, oldlen, newlen, MREMAP_MAYMOVE | MREMAP_FIXED, c->mr_spare);

	if (p == MAP_FAILED)
		FAIL(c, "mremap");
	c->mr_cur = p;
	c->mr_len = newlen;
	/* the spare reservation beyond newlen (if any) stays reserved: size+page in all */
	c->mr_spare = reserve(old, oldlen);
	if (c->mr_spare == MAP_FAILED)
		FAIL(c, "mmap(reserve)");
	if (c->mr_spare != old && oldlen < opt.size + page_size) {
		/* the old range's tail page is still ours; a fresh spare must be full size */
		munmap(old + oldlen, opt.size + page_size - oldlen);
		munmap(c->mr_spare, oldlen);
		c->mr_spare = reserve(NULL, opt.size + page_size);
		if (c->mr_spare == MAP_FAILED)
			FAIL(c, "mmap(reserve)");
	}
	touch_w(c->mr_cur, opt.touch);
	return 0;
}

static int op_fork(struct churn *c)
{
	pid_t pid = fork();
	char b = 1;

	if (pid < 0)
		FAIL(c, "fork");
	if (pid == 0) {
		/* child: write two shared pages (its own COW), wait for the parent, exit */
		((volatile char *)c->cow_buf)[0] = 2;
		if (opt.touch > 1)
			((volatile char *)c->cow_buf)[page_size] = 2;
		while (read(c->cow_pipe[0], &b, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	/* parent: write the pages while the child still maps them: copy-on-write faults */
	touch_w(c->cow_buf, opt.touch);
	while (write(c->cow_pipe[1], &b, 1) < 0 && errno == EINTR)
		;
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			FAIL(c, "waitpid");
	}
	return 0;
}

static int op_collapse(struct churn *c)
{
	/* small pages first: no huge page on fault while VM_NOHUGEPAGE */
	if (madvise(c->thp_buf, thp_size, MADV_NOHUGEPAGE))
		FAIL(c, "madvise(MADV_NOHUGEPAGE)");
	touch_w(c->thp_buf, thp_size / page_size);
	if (madvise(c->thp_buf, thp_size, MADV_HUGEPAGE))
		FAIL(c, "madvise(MADV_HUGEPAGE)");
	int r = madvise(c->thp_buf, thp_size, MADV_COLLAPSE);
	if (r && errno != EAGAIN && errno != ENOMEM && errno != EBUSY)
		FAIL(c, "madvise(MADV_COLLAPSE)");
	if (r)
		c->failed++;
	if (madvise(c->thp_buf, thp_size, MADV_DONTNEED))
		FAIL(c, "madvise(MADV_DONTNEED)");
	return 0;
}

static int (*const op_fn[OP_NR])(struct churn *) = {
	op_compute, op_mmap, op_mprotect, op_madvise, op_mremap, op_fork, op_collapse,
};

static enum optype workload_op(enum workload w)
{
	switch (w) {
	case W_BASELINE: return OP_COMPUTE;
	case W_MMAP: return OP_MUNMAP;
	case W_MPROTECT: return OP_MPROTECT;
	case W_MADVISE: return OP_MADVISE;
	case W_MREMAP: return OP_MREMAP;
	case W_FORK_COW: return OP_FORK;
	case W_THP: return OP_COLLAPSE;
	default: return OP_NR;
	}
}

static bool uses(enum optype t)
{
	if (opt.wl == W_MIXED)
		return mixed_weight[t] && (t != OP_COLLAPSE || thp_collapse_ok);
	return workload_op(opt.wl) == t;
}

static char *map_touched(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 1, len);
	return p;
}

/* all memory a churn thread uses is set up here, before any thread runs */
static int churn_setup(struct churn *c)
{
	c->rng = 0x2545f4914f6cdd1dull * (c->idx + 1);
	c->compute_sink = map_touched(page_size);
	if (!c->compute_sink)
		return -1;
	if (uses(OP_MPROTECT)) {
		/* only the touched pages are present: each mprotect changes --touch PTEs */
		c->prot_buf = mmap(NULL, opt.size, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (c->prot_buf == MAP_FAILED)
			return -1;
		touch_w(c->prot_buf, opt.touch);
	}
	c->prot_rw = true;
	if (uses(OP_MADVISE) && !(c->madv_buf = map_touched(opt.size)))
		return -1;
	if (uses(OP_MREMAP)) {
		size_t full = opt.size + page_size;
		c->mr_cur = reserve(NULL, full);
		if (c->mr_cur == MAP_FAILED || mprotect(c->mr_cur, opt.size, PROT_READ | PROT_WRITE))
			return -1;
		munmap(c->mr_cur + opt.size, page_size);
		c->mr_len = opt.size;
		touch_w(c->mr_cur, opt.touch);
		c->mr_spare = reserve(NULL, full);
		if (c->mr_spare == MAP_FAILED)
			return -1;
	}
	if (uses(OP_FORK)) {
		if (!(c->cow_buf = map_touched(opt.size)) || pipe(c->cow_pipe))
			return -1;
	}
	if (uses(OP_COLLAPSE)) {
		char *p = mmap(NULL, 2 * thp_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return -1;
		c->thp_buf = (char *)(((uintptr_t)p + thp_size - 1) & ~(thp_size - 1));
	}
	return 0;
}

static void *churn_main(void *arg)
{
	struct churn *c = arg;
	uint64_t k = 0, period = opt.rate > 0 ? (uint64_t)(1e9 / opt.rate) : 0;
	unsigned wsum = 0;

	if (opt.wl == W_MIXED)
		for (int t = 0; t < OP_NR; t++)
			wsum += uses((enum optype)t) ? mixed_weight[t] : 0;
	c->os_tid = (pid_t)syscall(SYS_gettid);
	pin_self(c->cpu);
	while (!atomic_load_explicit(&go, memory_order_acquire))
		cpu_relax();
	for (;; k++) {
		if (atomic_load_explicit(&stop, memory_order_relaxed))
			break;
		if (opt.ops && atomic_fetch_add(&ops_claimed, 1) >= opt.ops)
			break;
		if (period)
			sleep_until(t_start + k * period);
		enum optype t = workload_op(opt.wl);
		if (opt.wl == W_MIXED) {
			unsigned r = (unsigned)(xorshift(&c->rng) % wsum);
			for (t = 0; t < OP_NR; t++) {
				unsigned w = uses(t) ? mixed_weight[t] : 0;
				if (r < w)
					break;
				r -= w;
			}
		}
		if (op_fn[t](c)) {
			atomic_store(&stop, true);
			break;
		}
		c->done[t]++;
	}
	c->t_end = now_ns();
	if (atomic_fetch_sub(&churn_running, 1) == 1)
		wake_main();
	return NULL;
}

/* ---- thp support ---- */
static void read_thp_size(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "r");
	unsigned long v;

	if (!f)
		return;
	/* a power of two above the page size, or the 2 MiB default stays */
	if (fscanf(f, "%lu", &v) == 1 && v > page_size && !(v & (v - 1)))
		thp_size = v;
	fclose(f);
}

static void read_thp_mode(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	char line[128];

	thp_mode[0] = 0;
	if (!f)
		return;
	if (fgets(line, sizeof(line), f)) {
		char *a = strchr(line, '['), *b = a ? strchr(a, ']') : NULL;
		if (a && b && (size_t)(b - a - 1) < sizeof(thp_mode)) {
			memcpy(thp_mode, a + 1, (size_t)(b - a - 1));
			thp_mode[b - a - 1] = 0;
		}
	}
	fclose(f);
}

/* "" if MADV_COLLAPSE works on a small test range, else the reason it cannot be used */
static const char *probe_collapse(void)
{
	static char why[160];
	char *p = mmap(NULL, 2 * thp_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED) {
		snprintf(why, sizeof(why), "thp: mmap failed: %s, skipped", strerror(errno));
		return why;
	}
	char *a = (char *)(((uintptr_t)p + thp_size - 1) & ~(thp_size - 1));
	int r = madvise(a, thp_size, MADV_HUGEPAGE), e = errno;
	const char *res = "";

	if (r && e == EINVAL) {
		res = "thp: MADV_HUGEPAGE not supported by this kernel, skipped";
	} else {
		a[0] = 1;
		r = madvise(a, thp_size, MADV_COLLAPSE);
		if (r && errno == EINVAL)
			res = "thp: MADV_COLLAPSE not supported by this kernel, skipped";
	}
	munmap(p, 2 * thp_size);
	return res;
}

/* ---- output ---- */
static FILE *csv;

static void csv_row(uint64_t t_end, uint64_t t_beg, const struct hist *h)
{
	double s = (double)(t_end - t_beg) / 1e9;

	fprintf(csv, "%llu,%.6f,%llu,%.1f,%.3f,%.3f,%.3f,%.3f\n", (unsigned long long)t_end, s,
		(unsigned long long)h->n, s > 0 ? (double)h->n / s : 0.0,
		h_quantile(h, 0.50) / 1e3, h_quantile(h, 0.99) / 1e3, h_quantile(h, 0.999) / 1e3,
		h->max / 1e3);
	fflush(csv);
}

/* move the probes' counts into iv (and zero them) */
static void snapshot(struct hist *iv)
{
	memset(iv, 0, sizeof(*iv));
	for (unsigned i = 0; i < opt.probe_threads; i++) {
		pthread_mutex_lock(&probes[i].lock);
		h_merge(iv, &probes[i].h);
		memset(&probes[i].h, 0, sizeof(probes[i].h));
		pthread_mutex_unlock(&probes[i].lock);
	}
}

static void json_str(const char *s)
{
	if (!s) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void report(double dur, const uint64_t *by, uint64_t failed, const struct hist *tot,
		   const char *skip)
{
	uint64_t ops = 0;

	for (int t = 0; t < OP_NR; t++)
		ops += by[t];
	double ops_s = dur > 0 ? (double)ops / dur : 0.0;
	double p50 = h_quantile(tot, 0.5) / 1e3, p99 = h_quantile(tot, 0.99) / 1e3,
	       p999 = h_quantile(tot, 0.999) / 1e3, mx = tot->max / 1e3,
	       mean = tot->n ? (double)tot->sum / (double)tot->n / 1e3 : 0.0;

	if (opt.json) {
		printf("{\"workload\": \"%s\", \"threads\": %u, \"probe_threads\": %u, "
		       "\"probe_rate\": %.1f, \"size\": %zu, \"touch_pages\": %zu, \"rate\": %.1f, "
		       "\"cpus\": %d, \"pinned\": %s, \"thp_enabled\": ",
		       workload_names[opt.wl], opt.threads, opt.probe_threads, opt.probe_rate,
		       opt.size, opt.touch, opt.rate, ncpus, opt.pin && ncpus >= 2 ? "true" : "false");
		json_str(thp_mode[0] ? thp_mode : NULL);
		printf(", \"duration_s\": %.6f, \"ops\": %llu, \"ops_per_s\": %.1f, \"munmaps\": %llu, "
		       "\"ops_by_type\": {", dur, (unsigned long long)ops, ops_s,
		       (unsigned long long)by[OP_MUNMAP]);
		for (int t = 0; t < OP_NR; t++)
			printf("%s\"%s\": %llu", t ? ", " : "", op_names[t], (unsigned long long)by[t]);
		printf("}, \"failed_ops\": %llu, \"latency\": {\"requests\": %llu, \"p50_us\": %.3f, "
		       "\"p99_us\": %.3f, \"p999_us\": %.3f, \"max_us\": %.3f, \"mean_us\": %.3f}, "
		       "\"skipped\": %s, \"skip_reason\": ",
		       (unsigned long long)failed, (unsigned long long)tot->n, p50, p99, p999, mx,
		       mean, skip ? "true" : "false");
		json_str(skip);
		{
			bool fifo = opt.probe_threads > 0 && probes;
			for (unsigned i = 0; fifo && i < opt.probe_threads; i++)
				fifo = probes[i].fifo;
			printf(", \"probe_fifo\": %s", fifo ? "true" : "false");
		}
		printf(", \"pid\": %d, \"churn_tids\": [", (int)getpid());
		for (unsigned i = 0; churns && i < opt.threads; i++)	/* none when skipped */
			printf("%s%d", i ? ", " : "", (int)churns[i].os_tid);
		printf("], \"probe_tids\": [");
		for (unsigned i = 0; probes && i < opt.probe_threads; i++)
			printf("%s%d", i ? ", " : "", (int)probes[i].os_tid);
		printf("]}\n");
		return;
	}
	printf("workload:      %s%s\n", workload_names[opt.wl], skip ? " (skipped)" : "");
	printf("churn threads: %u   probe threads: %u at %.0f req/s each   cpus: %d%s\n",
	       opt.threads, opt.probe_threads, opt.probe_rate, ncpus,
	       opt.pin && ncpus >= 2 ? " (pinned)" : "");
	printf("size:          %zu bytes, %zu pages touched per op", opt.size, opt.touch);
	if (opt.rate > 0)
		printf(", target %.0f ops/s per thread", opt.rate);
	printf("\nduration:      %.3f s\n", dur);
	printf("ops:           %llu (%.1f/s)", (unsigned long long)ops, ops_s);
	for (int t = 0; t < OP_NR; t++)
		if (by[t])
			printf("  %s=%llu", op_names[t], (unsigned long long)by[t]);
	if (failed)
		printf("  (%llu MADV_COLLAPSE calls failed: EAGAIN/ENOMEM/EBUSY)",
		       (unsigned long long)failed);
	printf("\nlatency:       %llu requests  p50 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us"
	       "  mean %.1f us\n", (unsigned long long)tot->n, p50, p99, p999, mx, mean);
}

/* ---- arguments ---- */
static void usage(FILE *f)
{
	fprintf(f,
"usage: tlbbench <workload> [options]\n"
"workloads:\n"
"  baseline   compute only, no memory-management system calls (almost no flushes)\n"
"  mmap       mmap, touch, munmap                      (op = munmap)\n"
"  mprotect   PROT_READ <-> PROT_READ|PROT_WRITE on a touched range (op = mprotect)\n"
"  madvise    MADV_DONTNEED on a touched range, touch again (op = madvise)\n"
"  mremap     move (and grow/shrink) a touched range   (op = mremap)\n"
"  fork-cow   fork, write the shared pages while the child lives (op = fork)\n"
"  thp        touch one huge page (2 MiB) as small pages, MADV_COLLAPSE (op = collapse)\n"
"  mixed      weighted mix of the above in each churn thread\n"
"options:\n"
"  --threads N        churn threads (default 1)\n"
"  --duration S       seconds, float (default 5; with --ops only if given)\n"
"  --ops N            stop after exactly N churn ops in total\n"
"  --size BYTES       range per op, K/M/G suffixes allowed (default 64K)\n"
"  --touch PAGES      pages touched per op (default 1, at most the pages of --size)\n"
"  --rate R           target ops/s per churn thread, 0 = as fast as possible (default 0)\n"
"  --probe-threads N  latency probe threads in the same process (default 1)\n"
"  --probe-rate R     requests/s per probe thread (default 1000)\n"
"  --latency-csv FILE per-interval latency rows (CSV)\n"
"  --interval-ms MS   interval of the CSV rows (default 1000)\n"
"  --no-pin           do not pin threads to CPUs\n"
"  --probe-fifo       probe threads run SCHED_FIFO (priority 1) on their own CPUs, so no\n"
"                     other task preempts them (needs root or CAP_SYS_NICE; for tests that\n"
"                     count one victim per op)\n"
"  --json             one JSON object as the summary\n"
"  --help             this text\n");
}

static void __attribute__((noreturn, format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("tlbbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	exit(2);
}

static double parse_double(const char *name, const char *s, double min)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min)
		usage_error("bad number for %s: '%s'", name, s);
	return v;
}

static uint64_t parse_u64(const char *name, const char *s, uint64_t min, bool suffix)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s == '-' || *s == '+' || !*s)
		usage_error("bad number for %s: '%s'", name, s);
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		usage_error("bad number for %s: '%s'", name, s);
	if (suffix && *end) {
		unsigned sh = 0;
		switch (*end) {
		case 'k': case 'K': sh = 10; break;
		case 'm': case 'M': sh = 20; break;
		case 'g': case 'G': sh = 30; break;
		default: usage_error("bad number for %s: '%s'", name, s);
		}
		end++;
		if (*end == 'i' && end[1] == 'B')
			end += 2;
		else if (*end == 'B')
			end++;
		if (v > (~0ull >> sh))
			usage_error("bad number for %s: '%s'", name, s);
		v <<= sh;
	}
	if (*end || v < min)
		usage_error("bad number for %s: '%s'", name, s);
	return v;
}

enum { O_THREADS = 256, O_DURATION, O_OPS, O_SIZE, O_TOUCH, O_RATE, O_PROBE_THREADS,
       O_PROBE_RATE, O_CSV, O_INTERVAL, O_NOPIN, O_PROBE_FIFO, O_JSON, O_HELP };

static void parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "threads", required_argument, NULL, O_THREADS },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "ops", required_argument, NULL, O_OPS },
		{ "size", required_argument, NULL, O_SIZE },
		{ "touch", required_argument, NULL, O_TOUCH },
		{ "rate", required_argument, NULL, O_RATE },
		{ "probe-threads", required_argument, NULL, O_PROBE_THREADS },
		{ "probe-rate", required_argument, NULL, O_PROBE_RATE },
		{ "latency-csv", required_argument, NULL, O_CSV },
		{ "interval-ms", required_argument, NULL, O_INTERVAL },
		{ "no-pin", no_argument, NULL, O_NOPIN },
		{ "probe-fifo", no_argument, NULL, O_PROBE_FIFO },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *wl = NULL;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "-h", lo, NULL)) != -1) {
		switch (c) {
		case 1:
			if (wl)
				usage_error("more than one workload: '%s' and '%s'", wl, optarg);
			wl = optarg;
			break;
		case O_THREADS: opt.threads = (unsigned)parse_u64("--threads", optarg, 1, false); break;
		case O_DURATION:
			opt.duration = parse_double("--duration", optarg, 0.0);
			opt.duration_set = true;
			break;
		case O_OPS: opt.ops = parse_u64("--ops", optarg, 1, false); break;
		case O_SIZE: opt.size = parse_u64("--size", optarg, 1, true); break;
		case O_TOUCH:
			opt.touch = parse_u64("--touch", optarg, 0, false);
			opt.touch_set = true;
			break;
		case O_RATE: opt.rate = parse_double("--rate", optarg, 0.0); break;
		case O_PROBE_THREADS:
			opt.probe_threads = (unsigned)parse_u64("--probe-threads", optarg, 0, false);
			break;
		case O_PROBE_RATE: opt.probe_rate = parse_double("--probe-rate", optarg, 1.0); break;
		case O_CSV: opt.csv = optarg; break;
		case O_INTERVAL:
			opt.interval_ms = (unsigned)parse_u64("--interval-ms", optarg, 10, false);
			break;
		case O_NOPIN: opt.pin = false; break;
		case O_PROBE_FIFO: opt.probe_fifo = true; break;
		case O_JSON: opt.json = true; break;
		case 'h': case O_HELP: usage(stdout); exit(0);
		case ':': usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt && optopt < 256)
				usage_error("unknown option '-%c'", optopt);
			else if (optopt)
				usage_error("option '%s' needs a value", argv[optind - 1]);
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!wl)
		usage_error("no workload given");
	for (c = 0; c < W_NR; c++)
		if (!strcmp(wl, workload_names[c]))
			break;
	if (c == W_NR)
		usage_error("unknown workload '%s'", wl);
	opt.wl = (enum workload)c;
	if (opt.threads > 1024 || opt.probe_threads > 1024)
		usage_error("at most 1024 churn and 1024 probe threads");
	if (opt.size > (1ull << 40))
		usage_error("--size too large");
	opt.size = (opt.size + page_size - 1) & ~(page_size - 1);
	if (!opt.touch_set)
		opt.touch = DEFAULT_TOUCH;
	if (opt.touch > opt.size / page_size)
		opt.touch = opt.size / page_size;
	if (opt.wl == W_THP && (!opt.touch_set || opt.touch > thp_size / page_size))
		opt.touch = thp_size / page_size;
	if (opt.csv && !opt.probe_threads)
		usage_error("--latency-csv needs at least one probe thread");
}

static void on_signal(int sig)
{
	int e = errno;

	(void)sig;
	got_signal = 1;
	wake_main();	/* write() is async-signal-safe */
	errno = e;
}

int main(int argc, char **argv)
{
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	read_thp_size();
	parse_args(argc, argv);
	init_cpus();
	read_thp_mode();

	uint64_t by[OP_NR] = { 0 }, failed = 0;
	static struct hist total, iv;

	if (opt.wl == W_THP || opt.wl == W_MIXED) {
		const char *why = thp_mode[0] ? probe_collapse()
			: "thp: transparent hugepages not available "
			  "(no /sys/kernel/mm/transparent_hugepage/enabled), skipped";
		thp_collapse_ok = !*why;
		if (!thp_collapse_ok && opt.wl == W_THP) {
			fprintf(stderr, "%s\n", why);
			report(0.0, by, 0, &total, why);
			return 0;
		}
	}

	if (opt.csv) {
		csv = fopen(opt.csv, "w");
		if (!csv) {
			fprintf(stderr, "tlbbench: %s: %s\n", opt.csv, strerror(errno));
			return 1;
		}
		fprintf(csv, "t_mono_ns,interval_s,requests,req_per_s,p50_us,p99_us,p999_us,max_us\n");
	}
	churns = calloc(opt.threads, sizeof(*churns));
	probes = calloc(opt.probe_threads ? opt.probe_threads : 1, sizeof(*probes));
	if (!churns || !probes) {
		fprintf(stderr, "tlbbench: out of memory\n");
		return 1;
	}
	place();
	for (unsigned i = 0; i < opt.threads; i++) {
		churns[i].idx = i;
		if (churn_setup(&churns[i])) {
			fprintf(stderr, "tlbbench: setting up churn memory: %s\n", strerror(errno));
			return 1;
		}
	}
	for (unsigned i = 0; i < opt.probe_threads; i++) {
		probes[i].idx = i;
		pthread_mutex_init(&probes[i].lock, NULL);
		if (!(probes[i].buf = map_touched(PROBE_BUF_PAGES * page_size))) {
			fprintf(stderr, "tlbbench: probe buffer: %s\n", strerror(errno));
			return 1;
		}
	}

	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* probes first, running and spinning on their CPUs before the churn starts */
	for (unsigned i = 0; i < opt.probe_threads; i++) {
		int e = pthread_create(&probes[i].tid, NULL, probe_main, &probes[i]);
		if (e) {
			fprintf(stderr, "tlbbench: pthread_create: %s\n", strerror(e));
			return 1;
		}
	}
	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		wake_pipe[0] = wake_pipe[1] = -1;	/* wait_until() sleeps to the time then */
	atomic_store(&churn_running, opt.threads);
	for (unsigned i = 0; i < opt.threads; i++) {
		int e = pthread_create(&churns[i].tid, NULL, churn_main, &churns[i]);
		if (e) {
			fprintf(stderr, "tlbbench: pthread_create: %s\n", strerror(e));
			return 1;
		}
	}
	while (atomic_load(&probes_ready) < opt.probe_threads)
		usleep(200);
	usleep(2000); /* let the probes reach their spin loop */

	t_start = now_ns();
	atomic_store_explicit(&go, true, memory_order_release);

	uint64_t ivns = (uint64_t)opt.interval_ms * 1000000ull, iv_beg = t_start;
	uint64_t deadline = (opt.ops && !opt.duration_set) ? UINT64_MAX
			    : t_start + (uint64_t)(opt.duration * 1e9);

	for (;;) {
		uint64_t t = now_ns();

		if (t >= iv_beg + ivns) {
			uint64_t iv_end = iv_beg + ivns;
			snapshot(&iv);
			h_merge(&total, &iv);
			if (csv)
				csv_row(iv_end, iv_beg, &iv);
			iv_beg = iv_end;
			continue;
		}
		if (got_signal || t >= deadline || atomic_load(&churn_running) == 0)
			break;
		uint64_t wake = iv_beg + ivns;
		if (wake > deadline)
			wake = deadline;
		wait_until(wake);
	}
	atomic_store(&stop, true);
	uint64_t t_stop = now_ns();

	for (unsigned i = 0; i < opt.threads; i++)
		pthread_join(churns[i].tid, NULL);
	for (unsigned i = 0; i < opt.probe_threads; i++)
		pthread_join(probes[i].tid, NULL);
	/* the last, partial interval */
	snapshot(&iv);
	h_merge(&total, &iv);
	if (csv && (iv.n || t_stop > iv_beg + 1000000ull))
		csv_row(t_stop, iv_beg, &iv);
	if (csv)
		fclose(csv);

	uint64_t t_end = t_start;
	int rc = 0;
	for (unsigned i = 0; i < opt.threads; i++) {
		struct churn *c = &churns[i];
		for (int t = 0; t < OP_NR; t++)
			by[t] += c->done[t];
		failed += c->failed;
		if (c->t_end > t_end)
			t_end = c->t_end;
		if (c->err_what) {
			fprintf(stderr, "tlbbench: churn thread %u: %s: %s\n", i, c->err_what,
				strerror(c->err));
			rc = 1;
		}
	}
	report((double)(t_end - t_start) / 1e9, by, failed, &total, NULL);
	return rc;
}
