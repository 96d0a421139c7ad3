// SPDX-License-Identifier: GPL-2.0
/*
 * Aggregation of TLB events: counters per process, thread, CPU, reason, pair and interval.
 * Definitions and the pairing heuristic are in agg.h.
 */
#include "agg.h"
#include "strlist.h"
#include "count.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 8                  /* intervals kept open for the series' top processes */
#define EMPTY_KEY INT64_MIN

/* ---------------- int -> pointer map (open addressing) ---------------- */
struct imap {
	int64_t *keys;
	void **vals;
	size_t cap, n;
};

static size_t ihash(int64_t k, size_t cap)
{
	uint64_t x = (uint64_t)k * 0x9E3779B97F4A7C15ULL;

	return (size_t)(x >> 17) & (cap - 1);
}

static int imap_put(struct imap *m, int64_t k, void *v);

/* Room for n keys (at most half full), doubling as needed; -1 when out of memory. */
static int imap_reserve(struct imap *m, size_t n)
{
	struct imap old = *m, nw = { 0 };

	if (n * 2 <= m->cap)
		return 0;
	nw.cap = old.cap ? old.cap * 2 : 64;
	while (n * 2 > nw.cap)
		nw.cap *= 2;
	nw.keys = malloc(nw.cap * sizeof(*nw.keys));
	nw.vals = calloc(nw.cap, sizeof(*nw.vals));
	if (!nw.keys || !nw.vals) {
		free(nw.keys);
		free(nw.vals);
		return -1;
	}
	for (size_t i = 0; i < nw.cap; i++)
		nw.keys[i] = EMPTY_KEY;
	for (size_t i = 0; i < old.cap; i++)
		if (old.keys[i] != EMPTY_KEY)
			imap_put(&nw, old.keys[i], old.vals[i]);   /* fits: no growth */
	free(old.keys);
	free(old.vals);
	*m = nw;
	return 0;
}

static void *imap_get(const struct imap *m, int64_t k)
{
	if (!m->cap)
		return NULL;
	for (size_t i = ihash(k, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == k)
			return m->vals[i];
		if (m->keys[i] == EMPTY_KEY)
			return NULL;
	}
}

static int imap_put(struct imap *m, int64_t k, void *v)
{
	size_t i;

	if (imap_reserve(m, m->n + 1) < 0)
		return -1;
	for (i = ihash(k, m->cap); m->keys[i] != EMPTY_KEY && m->keys[i] != k;
	     i = (i + 1) & (m->cap - 1))
		;
	if (m->keys[i] == EMPTY_KEY)
		m->n++;
	m->keys[i] = k;
	m->vals[i] = v;
	return 0;
}

static void imap_free(struct imap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---------------- state ---------------- */

struct name {                    /* what task records said about a tid */
	pid_t pid, ppid;
	char comm[16];
};

struct sendrec {                 /* a send seen on an initiator cpu, for pairing */
	uint64_t time;
	pid_t pid, tid;
	bool has_mask;               /* a request with targets; else a reason-4 send */
	uint64_t mask[TLB_EVENT_MASK_WORDS];
};

struct sendq {
	struct sendrec *v;
	size_t head, n, cap;
	size_t masked;		/* how many of the n carry a target mask */
};

struct hentry {                  /* an open csd_function_entry of a TLB function */
	uint64_t time, func, csd;
	pid_t tid;
};

struct hstack {                  /* a cpu's open entries, innermost last */
	int depth;
	struct hentry e[AGG_HANDLER_DEPTH];
};

struct victim {
	uint64_t time;
	int cpu;
	pid_t pid, tid;
};

struct pairkey {
	pid_t ip, it, vp, vt;
};

struct hkey {
	pid_t pid;
	char comm[16];
	int reason, cpu;
	uint64_t cgroup;
};

struct agg {
	struct agg_config cfg;
	bool nomem;                  /* an allocation failed: counts are incomplete */
	struct agg_totals tot;
	struct imap procs, threads, names;
	/* the thread of the last get_thread (samples come in runs of one thread); NULL: none */
	struct agg_task *last_thr;
	int64_t last_thr_key;
	uint64_t comm_gen;           /* bumped when a process's comm changes (agg_task.hist_gen) */
	struct agg_cpu **cpus;       /* by cpu number */
	struct sendq *sendq;         /* by cpu number */
	struct count_group *grp;     /* open csd_queue_cpu requests per initiator cpu */
	bool grp_fed;                /* a csd_queue_cpu reached grp: flushes may close requests */
	struct hstack *hstack;       /* by cpu number: flush handler entries */
	int nr_cpu_slots;
	/* pairing */
	struct victim *pending;
	size_t nr_pending, cap_pending;
	uint64_t horizon, round_max;
	struct agg_pair *pairs;      /* thread level */
	size_t nr_pairs, cap_pairs;
	struct imap pair_idx;        /* hash of pairkey -> index + 1 */
	/* series */
	struct agg_interval *iv;     /* iv_buf + iv_head */
	struct agg_interval *iv_buf; /* room on both sides: time may run backwards (crafted) */
	size_t iv_head, iv_cap;
	uint64_t iv_steps;           /* interval slots initialized or moved (agg_series_steps) */
	int64_t iv_lo;               /* absolute index of iv[0] */
	/* the interval interval_at found last: [hit_start, hit_end) (hit_end 0: none) */
	uint64_t hit_start, hit_end;
	int64_t hit_idx;
	uint64_t span_first, span_last;  /* agg_set_span; 0: the events' */
	size_t nr_iv;
	int64_t iv_final;            /* absolute indexes below are final (top computed) */
	/* per slot: the pids with a count there (finalize visits them, not every process) */
	pid_t *slot_pids[SLOTS];
	size_t slot_nr[SLOTS], slot_cap[SLOTS];
	bool finished;
	struct agg_burst_stats bursts;
	/* histogram */
	struct agg_hist_row *hist;
	size_t nr_hist, cap_hist;
	struct imap hist_idx;
};

static const char *const kthread_names[] = {
	"kworker", "kswapd", "kcompactd", "khugepaged", "ksmd", "kthreadd", "ksoftirqd",
	"migration/", "rcu_", "kauditd", "oom_reaper", "kdamond", "watchdog", "cpuhp/", "jbd2/",
	"kblockd", "writeback", "irq/", "khungtaskd", "kintegrityd", "kthrotld", "idle_inject",
	"swapper", "kdevtmpfs", "kswapd", "kvm", "scsi_", "napi/", "card", "kcryptd",
};

bool agg_is_kthread_comm(const char *comm)
{
	for (size_t i = 0; i < ARRAY_SIZE(kthread_names); i++)
		if (!strncmp(comm, kthread_names[i], strlen(kthread_names[i])))
			return true;
	return false;
}

struct agg *agg_new(const struct agg_config *cfg)
{
	struct agg *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	if (cfg)
		a->cfg = *cfg;
	if (a->cfg.page_size <= 0)
		a->cfg.page_size = 4096;
	if (a->cfg.burst_k <= 0)
		a->cfg.burst_k = 3.0;
	if (!a->cfg.pair_window_ns)
		a->cfg.pair_window_ns = 10 * 1000 * 1000ULL;
	a->tot.max_cpu = -1;
	a->grp = count_group_new(a->cfg.group_window_ns);
	if (!a->grp) {
		free(a);
		return NULL;
	}
	return a;
}

static void free_tasks(struct imap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i] != EMPTY_KEY)
			free(m->vals[i]);
	imap_free(m);
}

void agg_free(struct agg *a)
{
	if (!a)
		return;
	free_tasks(&a->procs);
	free_tasks(&a->threads);
	free_tasks(&a->names);
	for (int i = 0; i < a->nr_cpu_slots; i++) {
		free(a->cpus[i]);
		free(a->sendq[i].v);
	}
	free(a->cpus);
	free(a->sendq);
	count_group_free(a->grp);
	free(a->hstack);
	free(a->pending);
	free(a->pairs);
	imap_free(&a->pair_idx);
	free(a->iv_buf);
	for (int k = 0; k < SLOTS; k++)
		free(a->slot_pids[k]);
	free(a->hist);
	imap_free(&a->hist_idx);
	free(a);
}

const struct agg_totals *agg_totals(const struct agg *a)
{
	return &a->tot;
}

const char *agg_task_comm(const struct agg_task *t, char *buf, size_t len)
{
	if (t->comm[0])
		return t->comm;
	snprintf(buf, len, ":%d", t->tid ? (int)t->tid : (int)t->pid);
	return buf;
}

/* ---------------- tasks ---------------- */

static struct name *name_of(struct agg *a, pid_t tid);

const char *agg_name_of(struct agg *a, pid_t pid, pid_t tid)
{
	struct name *n = tid > 0 ? name_of(a, tid) : NULL;

	if (!n || !n->comm[0])
		n = name_of(a, pid);
	if (n && n->comm[0])
		return n->comm;
	return pid == 0 ? "swapper" : NULL;
}

/* An allocation failed: remember it (agg_finish reports it) and return -1. */
static int agg_nomem(struct agg *a)
{
	a->nomem = true;
	return -1;
}

static struct name *name_of(struct agg *a, pid_t tid)
{
	return imap_get(&a->names, tid);
}

static bool name_is_kthread(struct agg *a, pid_t pid, const char *comm)
{
	struct name *n = name_of(a, pid);

	if (pid == 0 || pid == 2)
		return true;
	if (n && n->ppid == 2)
		return true;
	return comm[0] && agg_is_kthread_comm(comm);
}

static struct agg_task *get_proc(struct agg *a, pid_t pid)
{
	struct agg_task *p = imap_get(&a->procs, pid);
	struct name *n;

	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p) {
		agg_nomem(a);
		return NULL;
	}
	p->pid = pid;
	n = name_of(a, pid);
	if (n)
		memcpy(p->comm, n->comm, sizeof(p->comm));
	else if (pid == 0)
		strcpy(p->comm, "swapper");
	p->kernel_thread = name_is_kthread(a, pid, p->comm);
	if (imap_put(&a->procs, pid, p) < 0) {
		free(p);
		agg_nomem(a);
		return NULL;
	}
	return p;
}

static struct agg_task *get_thread_slow(struct agg *a, pid_t pid, pid_t tid, int64_t key);

/* The last thread again (inline: once or twice per event), else get_thread_slow. */
static inline struct agg_task *get_thread(struct agg *a, pid_t pid, pid_t tid)
{
	/*
	 * The kernel writes some samples with tid -1: keyed by tid alone they would all land on
	 * the first process that had one. Such a thread is keyed by its process instead.
	 */
	int64_t key = tid > 0 ? (int64_t)tid : -2 - (int64_t)pid;

	if (a->last_thr && a->last_thr_key == key)
		return a->last_thr;
	return get_thread_slow(a, pid, tid, key);
}

static struct agg_task *get_thread_slow(struct agg *a, pid_t pid, pid_t tid, int64_t key)
{
	struct agg_task *t;
	struct name *n;

	t = imap_get(&a->threads, key);
	if (t) {
		a->last_thr = t;
		a->last_thr_key = key;
		return t;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		agg_nomem(a);
		return NULL;
	}
	t->pid = pid;
	t->tid = tid;
	t->proc = get_proc(a, pid);
	if (!t->proc || imap_put(&a->threads, key, t) < 0) {
		free(t);
		agg_nomem(a);
		return NULL;
	}
	t->proc->nr_threads++;
	n = name_of(a, tid);
	if (n)
		memcpy(t->comm, n->comm, sizeof(t->comm));
	else
		memcpy(t->comm, t->proc->comm, sizeof(t->comm));
	t->kernel_thread = t->proc->kernel_thread;
	if (!t->proc->comm[0] && t->comm[0]) {
		memcpy(t->proc->comm, t->comm, sizeof(t->comm));
		a->comm_gen++;
	}
	a->last_thr = t;
	a->last_thr_key = key;
	return t;
}

static struct name *get_name(struct agg *a, pid_t tid)
{
	struct name *n = name_of(a, tid);

	if (!n) {
		n = calloc(1, sizeof(*n));
		if (!n || imap_put(&a->names, tid, n) < 0) {
			free(n);
			return NULL;
		}
		n->pid = tid;
		n->ppid = -1;
	}
	return n;
}

int agg_comm(struct agg *a, pid_t pid, pid_t tid, const char *comm, uint64_t time)
{
	struct name *n = get_name(a, tid);
	struct agg_task *t, *p;

	if (!n)
		return agg_nomem(a);
	n->pid = pid;
	copy_name(n->comm, sizeof(n->comm), comm, sizeof(n->comm));
	t = imap_get(&a->threads, tid);
	if (t)
		memcpy(t->comm, n->comm, sizeof(t->comm));
	p = imap_get(&a->procs, pid);
	if (p && (tid == pid || !p->comm[0])) {
		memcpy(p->comm, n->comm, sizeof(p->comm));
		a->comm_gen++;	/* histogram rows kept by threads: their comm is checked again */
	}
	if (p && !p->kernel_thread)
		p->kernel_thread = name_is_kthread(a, pid, p->comm);
	return 0;
}

int agg_fork(struct agg *a, pid_t pid, pid_t ppid, pid_t tid, uint64_t time)
{
	struct name *n = get_name(a, tid);
	struct name *parent = name_of(a, ppid);

	if (!n)
		return agg_nomem(a);
	n->pid = pid;
	n->ppid = ppid;
	/* a new thread or a fork inherits the name until its COMM record */
	if (!n->comm[0] && parent)
		memcpy(n->comm, parent->comm, sizeof(n->comm));
	return 0;
}

void agg_exit(struct agg *a, pid_t pid, pid_t tid, uint64_t time)
{
	struct agg_task *t = imap_get(&a->threads, tid);

	if (t) {
		t->exited = true;
		t->exit_time = time;
	}
	if (pid == tid) {
		t = imap_get(&a->procs, pid);
		if (t) {
			t->exited = true;
			t->exit_time = time;
		}
	}
}

void agg_lost(struct agg *a, uint64_t nr)
{
	a->tot.lost += nr;
}

/* ---------------- cpus ---------------- */

/* Grow *p (of size elements) to n elements; -1 when out of memory (*p unchanged). */
static int grow_array(void *p, size_t size, size_t n)
{
	void *v = realloc(*(void **)p, size * n);

	if (!v)
		return -1;
	*(void **)p = v;
	return 0;
}

static int ensure_cpu(struct agg *a, int cpu)
{
	int n;

	if (cpu < a->nr_cpu_slots)
		return 0;
	n = cpu + 1 > a->nr_cpu_slots * 2 ? cpu + 1 : a->nr_cpu_slots * 2;
	if (grow_array(&a->cpus, sizeof(*a->cpus), (size_t)n) < 0 ||
	    grow_array(&a->sendq, sizeof(*a->sendq), (size_t)n) < 0 ||
	    grow_array(&a->hstack, sizeof(*a->hstack), (size_t)n) < 0)
		return agg_nomem(a);
	for (int i = a->nr_cpu_slots; i < n; i++) {
		a->cpus[i] = NULL;
		memset(&a->hstack[i], 0, sizeof(a->hstack[i]));
		memset(&a->sendq[i], 0, sizeof(a->sendq[i]));
	}
	a->nr_cpu_slots = n;
	return 0;
}

static struct agg_cpu *get_cpu_slow(struct agg *a, int cpu);

static inline struct agg_cpu *get_cpu(struct agg *a, int cpu)
{
	if (cpu < a->nr_cpu_slots && a->cpus[cpu])	/* callers checked cpu >= 0 */
		return a->cpus[cpu];
	return get_cpu_slow(a, cpu);
}

static struct agg_cpu *get_cpu_slow(struct agg *a, int cpu)
{
	if (ensure_cpu(a, cpu) < 0)
		return NULL;
	if (!a->cpus[cpu]) {
		a->cpus[cpu] = calloc(1, sizeof(struct agg_cpu));
		if (!a->cpus[cpu]) {
			agg_nomem(a);
			return NULL;
		}
		a->cpus[cpu]->cpu = cpu;
	}
	return a->cpus[cpu];
}

/* ---------------- series ---------------- */

/*
 * Room for front more intervals before iv[0] and back more after the last. A new buffer is
 * twice what is needed, the old intervals centred in it, so that a series growing either way
 * (rounds whose times go backwards, in a crafted file) costs amortized O(1) per interval, not a
 * move of the whole series each time. -1 when out of memory.
 */
static int iv_reserve(struct agg *a, size_t front, size_t back)
{
	size_t need = a->nr_iv + front + back, cap, head;
	struct agg_interval *buf;

	if (a->iv_head >= front && a->iv_cap - a->iv_head - a->nr_iv >= back)
		return 0;
	cap = need * 2 < 16 ? 16 : need * 2;
	head = front + (cap - need) / 2;
	buf = calloc(cap, sizeof(*buf));
	if (!buf)
		return -1;
	if (a->nr_iv)
		memcpy(buf + head, a->iv, sizeof(*buf) * a->nr_iv);
	a->iv_steps += a->nr_iv;
	free(a->iv_buf);
	a->iv_buf = buf;
	a->iv_cap = cap;
	a->iv_head = head;
	a->iv = buf + head;
	return 0;
}

/* Slots [from, from + n) of iv (fresh, zeroed) get their start times. */
static void iv_init(struct agg *a, struct agg_interval *from, int64_t abs_idx, size_t n)
{
	for (size_t i = 0; i < n; i++)
		from[i].start_ns = (uint64_t)(abs_idx + (int64_t)i) * a->cfg.interval_ns;
	a->iv_steps += n;
}

/* The interval of time t, grown as needed; NULL without a series, outside its span (dropped) or
 * out of memory (a->nomem). */
static struct agg_interval *interval_at_slow(struct agg *a, uint64_t t, int64_t *abs_idx);

/*
 * The interval of time t (its absolute index in *abs_idx), made when new; NULL without a series
 * or past AGG_MAX_INTERVALS. Events come in time order: the last one found first.
 */
static inline struct agg_interval *interval_at(struct agg *a, uint64_t t, int64_t *abs_idx)
{
	if (t >= a->hit_start && t < a->hit_end) {
		*abs_idx = a->hit_idx;
		return &a->iv[a->hit_idx - a->iv_lo];
	}
	return interval_at_slow(a, t, abs_idx);
}

static struct agg_interval *interval_at_slow(struct agg *a, uint64_t t, int64_t *abs_idx)
{
	int64_t idx;

	if (!a->cfg.interval_ns)
		return NULL;
	idx = (int64_t)(t / a->cfg.interval_ns);
	*abs_idx = idx;
	if (a->nr_iv && (idx < a->iv_lo ? (uint64_t)(a->iv_lo - idx) + a->nr_iv
					 : (uint64_t)(idx - a->iv_lo) + 1) > AGG_MAX_INTERVALS) {
		a->tot.series_dropped++;
		return NULL;
	}
	if (!a->nr_iv) {
		if (iv_reserve(a, 0, 1) < 0)
			goto nomem;
		a->iv_lo = idx;
		a->iv_final = idx;
		a->nr_iv = 1;
		iv_init(a, a->iv, idx, 1);
	} else if (idx < a->iv_lo) {
		size_t add = (size_t)(a->iv_lo - idx);

		if (iv_reserve(a, add, 0) < 0)
			goto nomem;
		a->iv -= add;	/* the buffer's slots are zero until used */
		a->iv_head -= add;
		iv_init(a, a->iv, idx, add);
		a->nr_iv += add;
		a->iv_lo = idx;
	} else if ((size_t)(idx - a->iv_lo) >= a->nr_iv) {
		size_t n = (size_t)(idx - a->iv_lo) + 1;

		if (iv_reserve(a, 0, n - a->nr_iv) < 0)
			goto nomem;
		iv_init(a, a->iv + a->nr_iv, a->iv_lo + (int64_t)a->nr_iv, n - a->nr_iv);
		a->nr_iv = n;
	}
	a->hit_idx = idx;
	a->hit_start = (uint64_t)idx * a->cfg.interval_ns;
	a->hit_end = a->hit_start + a->cfg.interval_ns > a->hit_start ?
		     a->hit_start + a->cfg.interval_ns : UINT64_MAX;
	return &a->iv[idx - a->iv_lo];
nomem:
	agg_nomem(a);
	return NULL;
}

uint64_t agg_series_steps(const struct agg *a)
{
	return a->iv_steps;
}

static void top_insert(struct agg_interval *iv, pid_t pid, uint64_t n)
{
	for (int k = 0; k < AGG_SERIES_TOP; k++) {
		if (n > iv->top[k].n || (n == iv->top[k].n && n && pid < iv->top[k].pid)) {
			memmove(&iv->top[k + 1], &iv->top[k],
				sizeof(iv->top[0]) * (size_t)(AGG_SERIES_TOP - 1 - k));
			iv->top[k].pid = pid;
			iv->top[k].n = n;
			return;
		}
	}
}

/*
 * Compute the top processes of every interval below upto (absolute index). Only the processes
 * listed in the slots are visited (a process expired since is no longer found by its pid): with
 * many processes and time jumping ahead at every event, a scan of every process made report
 * quadratic (20k one-sample processes 7 s apart: 14.5 s).
 */
static void finalize_intervals(struct agg *a, int64_t upto)
{
	if (!a->nr_iv || upto <= a->iv_final)
		return;
	if (upto > a->iv_lo + (int64_t)a->nr_iv)
		upto = a->iv_lo + (int64_t)a->nr_iv;
	for (int s = 0; s < SLOTS; s++) {
		size_t keep = 0;

		for (size_t i = 0; i < a->slot_nr[s]; i++) {
			struct agg_task *p = imap_get(&a->procs, a->slot_pids[s][i]);
			int64_t idx = p ? (int64_t)p->slot_iv[s] - 1 : -1;

			a->iv_steps++;
			if (!p || !p->slot_iv[s])
				continue;
			if (idx >= a->iv_final && idx < upto && idx >= a->iv_lo) {
				top_insert(&a->iv[idx - a->iv_lo], p->pid, p->slot_n[s]);
				p->slot_iv[s] = 0;
			} else if (idx >= upto) {
				a->slot_pids[s][keep++] = p->pid;	/* still open */
			}
		}
		a->slot_nr[s] = keep;
	}
	a->iv_final = upto;
}

/* Remember that pid has a count in slot s; -1 when out of memory. */
static int slot_add(struct agg *a, int s, pid_t pid)
{
	if (a->slot_nr[s] == a->slot_cap[s]) {
		size_t cap = a->slot_cap[s] ? a->slot_cap[s] * 2 : 64;

		if (grow_array(&a->slot_pids[s], sizeof(pid_t), cap) < 0)
			return -1;
		a->slot_cap[s] = cap;
	}
	a->slot_pids[s][a->slot_nr[s]++] = pid;
	return 0;
}

/* A flush (d: what it counts, count_flush) into its interval and its process's top slot. */
static void series_flush(struct agg *a, const struct tlb_event *ev, struct agg_task *proc,
			 const struct count_counts *d, uint64_t bytes)
{
	int64_t idx;
	struct agg_interval *iv = interval_at(a, ev->time, &idx);
	int s;

	if (!iv)
		return;
	iv->events += d->events;
	iv->bytes += bytes;
	iv->full_flushes += d->full_flushes;
	iv->remote_sends += d->remote_sends;
	iv->victim_hits += d->victim_hits;
	/* at most SLOTS - 1 intervals stay open, so slots never alias */
	if (idx - a->iv_final >= SLOTS - 1)
		finalize_intervals(a, idx - (SLOTS - 2));
	if (idx < a->iv_final)
		return;      /* its top is already computed: counted in the totals only */
	s = (int)(idx % SLOTS);
	if (proc->slot_iv[s] != (uint64_t)idx + 1) {
		if (slot_add(a, s, proc->pid) < 0) {
			agg_nomem(a);
			return;
		}
		proc->slot_iv[s] = (uint64_t)idx + 1;
		proc->slot_n[s] = 0;
	}
	proc->slot_n[s]++;
}

/* ---------------- histogram ---------------- */

/*
 * The key's 8-byte words mixed (a byte-wise FNV-1a over the 40 bytes was a sixth of report's
 * instructions on a 1M-sample file); rows are found by probing with the whole key compared, so
 * the hash only spreads them.
 */
static uint64_t hkey_hash(const struct hkey *k)
{
	uint64_t w[sizeof(*k) / 8], h = 0x9e3779b97f4a7c15ULL;

	_Static_assert(sizeof(*k) % 8 == 0, "struct hkey: whole words");
	memcpy(w, k, sizeof(w));
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 33;
	}
	return h & INT64_MAX;
}

static int hist_add(struct agg *a, const struct tlb_event *ev, struct agg_task *thr,
		    const struct count_counts *d)
{
	struct hkey k;
	struct agg_hist_row *r = NULL;
	int64_t h;
	unsigned keys = a->cfg.hist_keys;

	if (!keys)
		return 0;
	/* the thread's last row, when its key still fits (one flush after another of a thread) */
	if (thr->hist_row) {
		r = &a->hist[thr->hist_row - 1];
		if (r->pid == (keys & AGG_KEY_PID ? thr->pid : -1) &&
		    r->reason == (keys & AGG_KEY_REASON ? ev->reason : -1) &&
		    r->cpu == (keys & AGG_KEY_CPU ? ev->cpu : -1) &&
		    r->cgroup == (keys & AGG_KEY_CGROUP ? ev->cgroup : 0) &&
		    (!(keys & AGG_KEY_COMM) || thr->hist_gen == a->comm_gen ||
		     !strncmp(r->comm, thr->proc->comm, sizeof(k.comm)))) {
			thr->hist_gen = a->comm_gen;
			goto found;
		}
		r = NULL;
	}
	memset(&k, 0, sizeof(k));
	k.pid = keys & AGG_KEY_PID ? thr->pid : -1;
	/* strncpy pads with NULs: bytes left after the name by an earlier, longer one must not
	 * reach the hash, or one comm becomes several rows (and rows compare with memcmp) */
	if (keys & AGG_KEY_COMM)	/* strncpy's result: the name, then zeros (k is zeroed) */
		memcpy(k.comm, thr->proc->comm, strnlen(thr->proc->comm, sizeof(k.comm)));
	k.reason = keys & AGG_KEY_REASON ? ev->reason : -1;
	k.cpu = keys & AGG_KEY_CPU ? ev->cpu : -1;
	k.cgroup = keys & AGG_KEY_CGROUP ? ev->cgroup : 0;
	h = (int64_t)hkey_hash(&k);
	/* chain on hash collisions by probing h+1, h+2 ... with the real key compared */
	for (;; h = (h + 1) & INT64_MAX) {
		uintptr_t idx = (uintptr_t)imap_get(&a->hist_idx, h);

		if (!idx)
			break;
		r = &a->hist[idx - 1];
		if (r->pid == k.pid && r->reason == k.reason && r->cpu == k.cpu &&
		    r->cgroup == k.cgroup && !memcmp(r->comm, k.comm, sizeof(k.comm)))
			break;
		r = NULL;
	}
	if (!r) {
		if (a->nr_hist == a->cap_hist) {
			size_t cap = a->cap_hist ? a->cap_hist * 2 : 64;

			if (grow_array(&a->hist, sizeof(*a->hist), cap) < 0)
				return agg_nomem(a);
			a->cap_hist = cap;
		}
		r = &a->hist[a->nr_hist++];
		memset(r, 0, sizeof(*r));
		r->pid = k.pid;
		memcpy(r->comm, k.comm, sizeof(r->comm));
		r->reason = k.reason;
		r->cpu = k.cpu;
		r->cgroup = k.cgroup;
		if (imap_put(&a->hist_idx, h, (void *)(uintptr_t)a->nr_hist) < 0) {
			a->nr_hist--;
			return agg_nomem(a);
		}
	}
	thr->hist_row = (size_t)(r - a->hist) + 1;
	thr->hist_gen = a->comm_gen;
found:
	r->events += d->events;
	r->full_flushes += d->full_flushes;
	r->pages += d->pages;
	return 0;
}

/* ---------------- pairing ---------------- */

/*
 * A send at time t on this queue, kept in time order so that a victim finds its sends by binary
 * search: a csd group is pushed when it closes, after reason-4 sends that came later, so those
 * move up one. Returns its slot (the caller fills mask when has_mask), NULL when out of memory.
 */
static struct sendrec *sendq_add(struct sendq *q, uint64_t t, pid_t pid, pid_t tid, bool has_mask)
{
	struct sendrec *r;
	size_t i;

	if (q->head + q->n == q->cap) {
		if (q->head > q->cap / 2) {
			memmove(q->v, q->v + q->head, sizeof(*q->v) * q->n);
			q->head = 0;
		} else {
			size_t cap = q->cap ? q->cap * 2 : 64;

			if (grow_array(&q->v, sizeof(*q->v), cap) < 0)
				return NULL;
			q->cap = cap;
		}
	}
	for (i = q->head + q->n; i > q->head && q->v[i - 1].time > t; i--)
		q->v[i] = q->v[i - 1];
	r = &q->v[i];
	r->time = t;
	r->pid = pid;
	r->tid = tid;
	r->has_mask = has_mask;
	q->n++;
	q->masked += has_mask;
	return r;
}

static void sendq_prune(struct sendq *q, uint64_t before)
{
	while (q->n && q->v[q->head].time < before) {
		q->masked -= q->v[q->head].has_mask;
		q->head++;
		q->n--;
	}
	if (!q->n)
		q->head = 0;
}

static int add_pair(struct agg *a, pid_t ip, pid_t it, pid_t vp, pid_t vt)
{
	int64_t h = ((int64_t)it * 1000003 + vt) & INT64_MAX;
	struct agg_pair *p = NULL;

	for (;; h = (h + 1) & INT64_MAX) {
		uintptr_t idx = (uintptr_t)imap_get(&a->pair_idx, h);

		if (!idx)
			break;
		p = &a->pairs[idx - 1];
		if (p->init_tid == it && p->victim_tid == vt && p->init_pid == ip && p->victim_pid == vp)
			break;
		p = NULL;
	}
	if (!p) {
		if (a->nr_pairs == a->cap_pairs) {
			size_t cap = a->cap_pairs ? a->cap_pairs * 2 : 64;

			if (grow_array(&a->pairs, sizeof(*a->pairs), cap) < 0)
				return agg_nomem(a);
			a->cap_pairs = cap;
		}
		p = &a->pairs[a->nr_pairs++];
		p->init_pid = ip;
		p->init_tid = it;
		p->victim_pid = vp;
		p->victim_tid = vt;
		p->count = 0;
		if (imap_put(&a->pair_idx, h, (void *)(uintptr_t)a->nr_pairs) < 0) {
			a->nr_pairs--;
			return agg_nomem(a);
		}
	}
	p->count++;
	return 0;
}

static bool mask_has(const uint64_t *mask, int cpu)
{
	return cpu >= 0 && cpu < 64 * TLB_EVENT_MASK_WORDS && (mask[cpu / 64] >> (cpu % 64)) & 1;
}

static void resolve_victim(struct agg *a, const struct victim *v)
{
	uint64_t win = a->cfg.pair_window_ns;
	const struct sendrec *best_t = NULL, *best_s = NULL;

	for (int c = 0; c < a->nr_cpu_slots; c++) {
		struct sendq *q = &a->sendq[c];
		const struct sendrec *base;
		size_t lo = 0, hi = q->n;
		bool seen_s = false;

		if (!q->n)
			continue;	/* nothing sent from there (and maybe no array: NULL) */
		base = q->v + q->head;

		/* the sends at or before the victim: [0, lo) (the queue is in time order) */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (base[mid].time <= v->time)
				lo = mid + 1;
			else
				hi = mid;
		}
		/* newest first: the first match of each kind is this queue's latest */
		for (size_t i = lo; i-- > 0;) {
			const struct sendrec *r = &base[i];

			if (v->time - r->time > win)
				break;
			if (r->has_mask) {
				if (mask_has(r->mask, v->cpu)) {
					if (!best_t || r->time > best_t->time)
						best_t = r;
					break;	/* a targeted send beats any untargeted one */
				}
			} else if (!seen_s && c != v->cpu) {
				seen_s = true;
				if (!best_s || r->time > best_s->time)
					best_s = r;
			}
			/* only a targeted send could still matter, and this queue has none */
			if ((seen_s || c == v->cpu) && !q->masked)
				break;
		}
	}
	if (best_t) {
		a->tot.paired++;
		a->tot.paired_by_target++;
		add_pair(a, best_t->pid, best_t->tid, v->pid, v->tid);
	} else if (best_s) {
		a->tot.paired++;
		a->tot.paired_by_send++;
		add_pair(a, best_s->pid, best_s->tid, v->pid, v->tid);
	} else {
		a->tot.unpaired++;
	}
}

/* Pair the pending victims at or before upto; drop sends too old to matter. */
static void resolve_until(struct agg *a, uint64_t upto)
{
	size_t keep = 0;

	for (size_t i = 0; i < a->nr_pending; i++) {
		if (a->pending[i].time <= upto)
			resolve_victim(a, &a->pending[i]);
		else
			a->pending[keep++] = a->pending[i];
	}
	a->nr_pending = keep;
	if (upto > a->horizon)
		a->horizon = upto;
	if (a->horizon > a->cfg.pair_window_ns)
		for (int c = 0; c < a->nr_cpu_slots; c++)
			sendq_prune(&a->sendq[c], a->horizon - a->cfg.pair_window_ns);
}

static void commit_request(struct agg *a, const struct count_request *r);

/* Commit the csd requests whose window ended before `before` (UINT64_MAX: all). */
static void expire_requests(struct agg *a, uint64_t before)
{
	struct count_request r;
	int cursor = 0;

	while (count_group_expire(a->grp, before, &cursor, &r))
		commit_request(a, &r);
}

int agg_round(struct agg *a)
{
	/*
	 * Events up to the previous round's last time are all here, so a csd group whose next
	 * target would have come before that time is complete.
	 */
	expire_requests(a, a->round_max);
	resolve_until(a, a->round_max);
	a->round_max = a->tot.last_time;
	return a->nomem ? -1 : 0;
}

/* ---------------- requests (fan-out) ---------------- */

static void commit_request(struct agg *a, const struct count_request *r)
{
	struct sendrec *s;
	struct agg_task *t;
	struct agg_cpu *pc;
	struct agg_interval *iv;
	int64_t idx;

	if (r->nr <= 0)
		return;
	if (r->cls == TLB_FUNC_KERNEL_RANGE) {
		/* no reason-1 events on the targets: counted apart, not paired */
		count_request(&a->tot.kernel_range, r->nr);
		return;
	}
	t = get_thread(a, r->pid, r->tid);
	pc = get_cpu(a, r->cpu);
	if (!t || !pc)
		return;
	count_request(&t->total, r->nr);
	count_request(&t->proc->total, r->nr);
	count_request(&pc->total, r->nr);
	count_request(&a->tot.all, r->nr);
	iv = interval_at(a, r->start, &idx);
	if (iv) {
		iv->ipis++;
		iv->ipi_targets += (uint64_t)r->nr;
	}
	/* only user-mm requests (flush_tlb_func) make reason-1 events on their targets */
	s = sendq_add(&a->sendq[r->cpu], r->start, r->pid, r->tid, true);  /* get_cpu made it */
	if (s)
		memcpy(s->mask, r->mask, sizeof(s->mask));
	else
		agg_nomem(a);
}

/* Feed the grouper; a request it closed is committed. */
static void group_event(struct agg *a, const struct tlb_event *ev)
{
	struct count_request done;
	const struct count_request *open;

	int f;

	if (ev->kind == EV_CSD_QUEUE_CPU)
		a->grp_fed = true;
	f = count_group_feed(a->grp, ev, &done, &open);

	if (f < 0)
		agg_nomem(a);
	else if (f & COUNT_GROUP_CLOSED)
		commit_request(a, &done);
}

/* ---------------- events ---------------- */

static void flush_event(struct agg *a, const struct tlb_event *ev)
{
	struct agg_task *t = get_thread(a, ev->pid, ev->tid);
	struct agg_cpu *c = get_cpu(a, ev->cpu);
	struct count_counts d = { 0 };       /* what this one flush counts */

	if (!t || !c)
		return;
	count_flush(&d, ev);
	count_add_flush(&t->total, &d, ev->reason);
	count_add_flush(&t->proc->total, &d, ev->reason);
	count_add_flush(&c->total, &d, ev->reason);
	count_add_flush(&a->tot.all, &d, ev->reason);
	for (struct agg_task *x = t; x; x = x == t ? t->proc : NULL) {
		if (!x->first_time || ev->time < x->first_time)
			x->first_time = ev->time;
		if (ev->time > x->last_time)
			x->last_time = ev->time;
	}
	series_flush(a, ev, t->proc, &d, count_flush_bytes(ev, a->cfg.page_size));
	hist_add(a, ev, t, &d);

	/* any flush on this cpu ends the csd request it had open (none before a csd_queue_cpu) */
	if (a->grp_fed && count_group_has_open(a->grp))
		group_event(a, ev);
	if (d.remote_sends) {                /* a send: a candidate initiator */
		if (!sendq_add(&a->sendq[ev->cpu], ev->time, ev->pid, ev->tid, false))
			agg_nomem(a);
	} else if (d.victim_hits) {          /* a victim: paired at the next round */
		if (a->nr_pending == a->cap_pending) {
			size_t cap = a->cap_pending ? a->cap_pending * 2 : 256;

			if (grow_array(&a->pending, sizeof(*a->pending), cap) < 0) {
				agg_nomem(a);
				return;
			}
			a->cap_pending = cap;
		}
		a->pending[a->nr_pending++] = (struct victim){ ev->time, ev->cpu, ev->pid, ev->tid };
	}
}

/* ---------------- flush handler time ---------------- */

int agg_handler_bucket(uint64_t ns)
{
	int b = ns > 1 ? 63 - __builtin_clzll(ns) : 0;	/* floor(log2(ns)) */

	return b < AGG_HANDLER_BUCKETS - 1 ? b : AGG_HANDLER_BUCKETS - 1;
}

static void handler_charge(struct agg *a, const struct hentry *e, pid_t pid, uint64_t ns)
{
	int k = e->csd ? AGG_HANDLER_VICTIM : AGG_HANDLER_LOCAL;
	struct agg_handler *h = &a->tot.handler[k];
	struct agg_task *t = get_thread(a, pid, e->tid);

	if (!t)
		return;
	if (!h->calls || ns < h->min_ns)
		h->min_ns = ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	h->calls++;
	h->ns += ns;
	h->hist[agg_handler_bucket(ns)]++;
	t->handler_calls[k]++;
	t->handler_ns[k] += ns;
	t->proc->handler_calls[k]++;
	t->proc->handler_ns[k] += ns;
}

static void handler_event(struct agg *a, const struct tlb_event *ev)
{
	struct hstack *st;
	int i;

	if (ev->cpu >= a->nr_cpu_slots && ensure_cpu(a, ev->cpu) < 0)
		return;
	st = &a->hstack[ev->cpu];
	/* entries left open too long lost their exits: drop them (they are the outermost) */
	while (st->depth && ev->time > st->e[0].time &&
	       ev->time - st->e[0].time > AGG_HANDLER_MAX_NS) {
		memmove(st->e, st->e + 1, sizeof(st->e[0]) * (size_t)--st->depth);
		a->tot.handler_dropped++;
	}
	if (ev->kind == EV_CSD_FUNC_ENTRY) {
		struct hentry e = { ev->time, ev->func, ev->csd, ev->tid };

		if (st->depth && st->e[st->depth - 1].func == ev->func) {
			st->e[st->depth - 1] = e;     /* the open one lost its exit */
			a->tot.handler_dropped++;
			return;
		}
		if (st->depth == AGG_HANDLER_DEPTH) {
			memmove(st->e, st->e + 1, sizeof(st->e[0]) * (size_t)--st->depth);
			a->tot.handler_dropped++;
		}
		st->e[st->depth++] = e;
		return;
	}
	for (i = st->depth - 1; i >= 0; i--)
		if (st->e[i].func == ev->func && st->e[i].tid == ev->tid)
			break;
	if (i < 0 || ev->time < st->e[i].time) {
		a->tot.handler_ignored++;
		return;
	}
	a->tot.handler_dropped += (uint64_t)(st->depth - 1 - i);   /* inner entries without exits */
	handler_charge(a, &st->e[i], ev->pid, ev->time - st->e[i].time);
	st->depth = i;
}

double agg_handler_quantile(const struct agg_handler *h, double q)
{
	double want, seen = 0, v;

	if (!h->calls)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	want = q * (double)h->calls;
	for (int b = 0; b < AGG_HANDLER_BUCKETS; b++) {
		double lo = b ? (double)(1ULL << b) : 0, hi = (double)(2ULL << b);

		if (!h->hist[b])
			continue;
		if (seen + (double)h->hist[b] >= want) {
			v = lo + (hi - lo) * (want - seen) / (double)h->hist[b];
			if (v < (double)h->min_ns)
				v = (double)h->min_ns;
			if (v > (double)h->max_ns)
				v = (double)h->max_ns;
			return v;
		}
		seen += (double)h->hist[b];
	}
	return (double)h->max_ns;
}

/* the kernel lab's events (count_lab): on the initiating thread, its process, its cpu, the node */
static void lab_event(struct agg *a, const struct tlb_event *ev)
{
	struct agg_task *t = get_thread(a, ev->pid, ev->tid);
	struct agg_cpu *c = get_cpu(a, ev->cpu);

	if (!t || !c)
		return;
	count_lab(&t->total, ev, a->cfg.page_size);
	count_lab(&t->proc->total, ev, a->cfg.page_size);
	count_lab(&c->total, ev, a->cfg.page_size);
	count_lab(&a->tot.all, ev, a->cfg.page_size);
}

int agg_event(struct agg *a, const struct tlb_event *ev)
{
	if (ev->kind < 0 || ev->kind > EV_MMU_NOTIFIER || ev->cpu < 0 || ev->cpu > 65535)
		return 0;
	a->tot.by_kind[ev->kind]++;
	if (ev->kind == EV_OTHER)
		return 0;
	if (!a->tot.first_time || ev->time < a->tot.first_time)
		a->tot.first_time = ev->time;
	if (ev->time > a->tot.last_time)
		a->tot.last_time = ev->time;
	if (ev->cpu > a->tot.max_cpu)
		a->tot.max_cpu = ev->cpu;
	if (a->cfg.count_samples) {
		struct agg_task *t = get_thread(a, ev->pid, ev->tid);

		if (t) {
			t->samples++;
			t->proc->samples++;
		}
	}

	switch (ev->kind) {
	case EV_TLB_FLUSH:
		flush_event(a, ev);
		break;
	case EV_MMU_NOTIFIER:
		lab_event(a, ev);
		break;
	case EV_IPI_SEND_CPUMASK:
	case EV_IPI_SEND_CPU:
	case EV_PATCHED_FLUSH: {             /* the decision's fan-out is a request too */
		struct count_request r;

		if (ev->kind == EV_PATCHED_FLUSH)
			lab_event(a, ev);
		if (count_request_of(ev, &r))
			commit_request(a, &r);
		break;
	}
	case EV_CSD_QUEUE_CPU:
		group_event(a, ev);
		break;
	case EV_CSD_FUNC_ENTRY:
	case EV_CSD_FUNC_EXIT:
		if (ev->func_class != TLB_FUNC_NONE)
			handler_event(a, ev);
		break;
	case EV_EXEC:
	case EV_RENAME:
		if (ev->comm[0])
			agg_comm(a, ev->pid, ev->tid, ev->comm, ev->time);
		break;
	case EV_PROCESS_EXIT:
		agg_exit(a, ev->pid, ev->tid, ev->time);
		break;
	default:
		break;
	}
	return a->nomem ? -1 : 0;
}

/* ---------------- finish, bursts ---------------- */

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

void agg_median_mad(double *v, int n, double *median, double *mad)
{
	double m;

	if (n <= 0) {
		*median = *mad = 0;
		return;
	}
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	for (int i = 0; i < n; i++)
		v[i] = fabs(v[i] - m);
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	*median = m;
	*mad = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void agg_set_span(struct agg *a, uint64_t first, uint64_t last)
{
	a->span_first = first;
	a->span_last = last;
}

/* Each interval's share of the span, in seconds. */
static void interval_secs(struct agg *a)
{
	uint64_t first = a->span_first ? a->span_first : a->tot.first_time;
	uint64_t last = a->span_last ? a->span_last : a->tot.last_time;

	for (size_t i = 0; i < a->nr_iv; i++) {
		uint64_t s = a->iv[i].start_ns, e = s + a->cfg.interval_ns;

		s = s > first ? s : first;
		e = e < last ? e : last;
		a->iv[i].secs = e > s ? (double)(e - s) / 1e9 : 0;
	}
}

int agg_finish(struct agg *a)
{
	double secs, *rates, floor_mad;
	int nr = 0;

	expire_requests(a, UINT64_MAX);
	resolve_until(a, UINT64_MAX);
	if (a->nr_iv)
		finalize_intervals(a, a->iv_lo + (int64_t)a->nr_iv);
	a->finished = true;
	memset(&a->bursts, 0, sizeof(a->bursts));
	a->bursts.k = a->cfg.burst_k;
	if (!a->nr_iv)
		return a->nomem ? -1 : 0;
	interval_secs(a);
	secs = (double)a->cfg.interval_ns / 1e9;
	rates = malloc(sizeof(*rates) * a->nr_iv);
	if (!rates)
		return agg_nomem(a);
	for (size_t i = 0; i < a->nr_iv; i++)   /* an interval that covers no time has no rate */
		if (a->iv[i].secs > 0)
			rates[nr++] = (double)a->iv[i].events / a->iv[i].secs;
	agg_median_mad(rates, nr, &a->bursts.median, &a->bursts.mad);
	free(rates);
	/* a MAD below one event per interval is noise: floor it there */
	floor_mad = 1.0 / secs;
	a->bursts.threshold = a->bursts.median +
			      a->bursts.k * (a->bursts.mad > floor_mad ? a->bursts.mad : floor_mad);
	for (size_t i = 0; i < a->nr_iv; i++) {
		a->iv[i].burst = a->iv[i].secs > 0 &&
				 (double)a->iv[i].events / a->iv[i].secs > a->bursts.threshold;
		a->bursts.nr_bursts += a->iv[i].burst;
	}
	return a->nomem ? -1 : 0;
}

void agg_bursts(const struct agg *a, struct agg_burst_stats *st)
{
	*st = a->bursts;
}

int agg_intervals(struct agg *a, const struct agg_interval **out)
{
	*out = a->iv;
	return (int)a->nr_iv;
}

/* ---------------- queries ---------------- */

/* qsort_r comparator; ctx points at the enum agg_sort. */
static int cmp_task(const void *x, const void *y, void *ctx)
{
	const struct agg_task *a = *(struct agg_task *const *)x, *b = *(struct agg_task *const *)y;
	enum agg_sort sort_by = *(const enum agg_sort *)ctx;
	const struct count_counts *ca = &a->total, *cb = &b->total;
	uint64_t va = 0, vb = 0;
	int r;

	switch (sort_by) {
	case AGG_SORT_PID:
		break;
	case AGG_SORT_COMM:
		r = strcmp(a->comm, b->comm);
		if (r)
			return r;
		break;
	case AGG_SORT_REMOTE:
		va = ca->remote_sends;
		vb = cb->remote_sends;
		break;
	case AGG_SORT_VICTIM:
		va = ca->victim_hits;
		vb = cb->victim_hits;
		break;
	case AGG_SORT_HANDLER_LOCAL:
	case AGG_SORT_HANDLER_VICTIM: {
		int k = sort_by == AGG_SORT_HANDLER_LOCAL ? AGG_HANDLER_LOCAL : AGG_HANDLER_VICTIM;

		va = a->handler_ns[k];
		vb = b->handler_ns[k];
		break;
	}
	default:
		va = ca->events;
		vb = cb->events;
		break;
	}
	if (va != vb)
		return va > vb ? -1 : 1;
	if (sort_by != AGG_SORT_PID && ca->events != cb->events)
		return ca->events > cb->events ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return a->tid < b->tid ? -1 : a->tid > b->tid;
}

static int list_tasks(struct imap *m, enum agg_sort by, struct agg_task ***out)
{
	struct agg_task **v = malloc(sizeof(*v) * (m->n + 1));
	int n = 0;

	*out = v;
	if (!v)
		return -1;
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i] != EMPTY_KEY)
			v[n++] = m->vals[i];
	qsort_r(v, (size_t)n, sizeof(*v), cmp_task, &by);
	*out = v;
	return n;
}

int agg_processes(struct agg *a, enum agg_sort by, struct agg_task ***out)
{
	return list_tasks(&a->procs, by, out);
}

int agg_threads(struct agg *a, enum agg_sort by, struct agg_task ***out)
{
	return list_tasks(&a->threads, by, out);
}

struct agg_task *agg_find_process(struct agg *a, pid_t pid)
{
	return imap_get(&a->procs, pid);
}

struct agg_task *agg_find_thread(struct agg *a, pid_t tid)
{
	return imap_get(&a->threads, tid);
}

int agg_cpus(struct agg *a, struct agg_cpu ***out)
{
	struct agg_cpu **v = malloc(sizeof(*v) * (size_t)(a->nr_cpu_slots + 1));
	int n = 0;

	*out = v;
	if (!v)
		return -1;
	for (int i = 0; i < a->nr_cpu_slots; i++)
		if (a->cpus[i])
			v[n++] = a->cpus[i];
	*out = v;
	return n;
}

static int cmp_pair(const void *x, const void *y)
{
	const struct agg_pair *a = x, *b = y;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->init_pid != b->init_pid)
		return a->init_pid < b->init_pid ? -1 : 1;
	if (a->init_tid != b->init_tid)
		return a->init_tid < b->init_tid ? -1 : 1;
	if (a->victim_pid != b->victim_pid)
		return a->victim_pid < b->victim_pid ? -1 : 1;
	return a->victim_tid < b->victim_tid ? -1 : a->victim_tid > b->victim_tid;
}

int agg_pairs(struct agg *a, bool process_level, struct agg_pair **out)
{
	struct agg_pair *v = malloc(sizeof(*v) * (a->nr_pairs + 1));
	size_t n = 0;

	*out = v;
	if (!v)
		return -1;
	for (size_t i = 0; i < a->nr_pairs; i++) {
		struct agg_pair p = a->pairs[i];
		size_t j;

		if (process_level) {
			p.init_tid = p.victim_tid = 0;
			for (j = 0; j < n; j++)
				if (v[j].init_pid == p.init_pid && v[j].victim_pid == p.victim_pid)
					break;
			if (j < n) {
				v[j].count += p.count;
				continue;
			}
		}
		v[n++] = p;
	}
	qsort(v, n, sizeof(*v), cmp_pair);
	*out = v;
	return (int)n;
}

static int cmp_hist(const void *x, const void *y)
{
	const struct agg_hist_row *a = x, *b = y;
	int r;

	if (a->events != b->events)
		return a->events > b->events ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	r = strcmp(a->comm, b->comm);
	if (r)
		return r;
	if (a->reason != b->reason)
		return a->reason < b->reason ? -1 : 1;
	if (a->cgroup != b->cgroup)
		return a->cgroup < b->cgroup ? -1 : 1;
	return a->cpu < b->cpu ? -1 : a->cpu > b->cpu;
}

int agg_hist(struct agg *a, struct agg_hist_row **out)
{
	struct agg_hist_row *v = malloc(sizeof(*v) * (a->nr_hist + 1));

	*out = v;
	if (!v)
		return -1;
	if (a->nr_hist) {	/* a->hist is NULL when empty: no memcpy from NULL (UBSan) */
		memcpy(v, a->hist, sizeof(*v) * a->nr_hist);
		qsort(v, a->nr_hist, sizeof(*v), cmp_hist);
	}
	*out = v;
	return (int)a->nr_hist;
}

int agg_parse_keys(const char *s, char *err, size_t errlen)
{
	static const struct { const char *name; int key; } keys[] = {
		{ "pid", AGG_KEY_PID }, { "comm", AGG_KEY_COMM },
		{ "reason", AGG_KEY_REASON }, { "cpu", AGG_KEY_CPU }, { "cgroup", AGG_KEY_CGROUP },
	};
	struct strlist l;
	const char *tok;
	int i, mask = 0;

	if (strlist_split(&l, s, err, errlen) < 0) {
		size_t n = strlen(err);

		snprintf(err + n, errlen > n ? errlen - n : 0, " (sort keys: pid, comm, reason, cpu, cgroup)");
		return -1;
	}
	strlist_for_each(&l, i, tok) {
		size_t k;

		for (k = 0; k < ARRAY_SIZE(keys) && strcmp(tok, keys[k].name); k++)
			;
		if (k == ARRAY_SIZE(keys)) {
			snprintf(err, errlen, "unknown sort key '%s' (pid, comm, reason, cpu, cgroup)", tok);
			strlist_free(&l);
			return -1;
		}
		mask |= keys[k].key;
	}
	strlist_free(&l);
	return mask;
}

/* ---------------- expiry ---------------- */

static bool expired(const struct agg_task *t, uint64_t now, uint64_t age)
{
	uint64_t last = t->exit_time > t->last_time ? t->exit_time : t->last_time;

	return t->exited && now > last && now - last > age;
}

int agg_expire(struct agg *a, uint64_t now_ns, uint64_t max_age_ns)
{
	struct imap keep = { 0 }, keep_procs = { 0 };
	int dropped = 0;

	/* both new maps sized first: after that nothing can fail half way */
	if (imap_reserve(&keep, a->threads.n + 1) < 0 ||
	    imap_reserve(&keep_procs, a->procs.n + 1) < 0) {
		imap_free(&keep);
		imap_free(&keep_procs);
		return agg_nomem(a);
	}
	a->last_thr = NULL;	/* it may go now */
	/* threads first (they point at their process) */
	for (size_t i = 0; i < a->threads.cap; i++) {
		struct agg_task *t = a->threads.vals[i];

		if (a->threads.keys[i] == EMPTY_KEY)
			continue;
		if (expired(t, now_ns, max_age_ns) ||
		    (t->proc && expired(t->proc, now_ns, max_age_ns))) {
			t->proc->nr_threads--;
			free(t);
			dropped++;
		} else {
			imap_put(&keep, a->threads.keys[i], t);
		}
	}
	imap_free(&a->threads);
	a->threads = keep;
	for (size_t i = 0; i < a->procs.cap; i++) {
		struct agg_task *p = a->procs.vals[i];

		if (a->procs.keys[i] == EMPTY_KEY)
			continue;
		if (expired(p, now_ns, max_age_ns) && p->nr_threads <= 0) {
			free(p);
			dropped++;
		} else {
			imap_put(&keep_procs, a->procs.keys[i], p);
		}
	}
	imap_free(&a->procs);
	a->procs = keep_procs;
	return dropped;
}
