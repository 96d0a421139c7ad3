// SPDX-License-Identifier: GPL-2.0
/*
 * The model and text rendering of `tlbstat top` (topview.h): bounded per-task tables with LRU
 * eviction, per-interval counters, trends.
 */
#include "topview.h"
#include "cause.h"
#include "cgroup.h"
#include "runbook.h"
#include "count.h"
#include "event.h"
#include "reason.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char *const sort_names[TOP_NR_SORTS] = { "rate", "remote", "bytes", "fanout", "events" };

const char *top_sort_name(enum top_sort s)
{
	return s >= 0 && s < TOP_NR_SORTS ? sort_names[s] : "?";
}

int top_sort_parse(const char *s)
{
	for (int i = 0; i < TOP_NR_SORTS; i++)
		if (!strcmp(s, sort_names[i]))
			return i;
	return -1;
}

/* ---------------- bounded task tables ---------------- */

struct table {
	struct top_task *v;
	int cap, n;
	int *buckets;
	unsigned mask;
	int head, tail;          /* LRU: head = most recently seen */
	int free_list;           /* through hnext */
	uint64_t evicted;
	uint64_t removed;        /* tasks taken out (evicted, aged out, tid reused) */
};

/*
 * The tasks of recent events, by tid: events come in runs from a few threads at a time (one
 * ring per CPU drained after another), and one last-hit slot missed a third of them under
 * tlbbench mmap. A slot holds two table entries (the tables never move), valid while no task
 * left either table and the interval is the same (its stamp: both tables' removals plus the
 * interval's number, each only grows): then get_proc() and get_thread() would return the same
 * tasks and touch() would do nothing.
 */
#define TASK_CACHE 32		/* a power of two */

struct task_slot {
	uint64_t stamp;          /* task_stamp() when filled; 0: empty */
	pid_t pid, tid;          /* as the event gave them */
	struct top_task *p, *t;  /* in procs and threads */
};

struct top_model {
	struct top_config cfg;
	struct table procs, threads;
	uint64_t iv;                 /* number of the open interval */
	int cpu_slots;
	uint64_t *cpu_inv, *cpu_gen, *cpu_inv_last, *cpu_gen_last;
	struct count_group *grp;     /* open csd_queue_cpu requests per initiator cpu */
	uint64_t grp_open;           /* how many: none, and a flush has nothing to end there */
	struct top_counts node, node_last;
	uint64_t lost, lost_last, lost_total;
	uint64_t remote_total, victim_total;
	double last_secs;
	struct task_slot tcache[TASK_CACHE];
};

static int table_init(struct table *t, int cap)
{
	unsigned nb = 16;

	while (nb < (unsigned)cap * 2)
		nb <<= 1;
	t->cap = cap;
	t->n = 0;
	t->v = calloc((size_t)cap, sizeof(*t->v));
	t->buckets = malloc(sizeof(*t->buckets) * nb);
	if (!t->v || !t->buckets)
		return -1;
	for (unsigned i = 0; i < nb; i++)
		t->buckets[i] = -1;
	t->mask = nb - 1;
	for (int i = 0; i < cap; i++)
		t->v[i].hnext = i + 1 < cap ? i + 1 : -1;
	t->free_list = 0;
	t->head = t->tail = -1;
	t->evicted = 0;
	return 0;
}

static void table_free(struct table *t)
{
	free(t->v);
	free(t->buckets);
}

static unsigned hash_key(pid_t k, unsigned mask)
{
	uint32_t x = (uint32_t)k * 0x9E3779B1u;

	return (x ^ (x >> 15)) & mask;
}

static pid_t key_of(const struct top_task *e)
{
	return e->tid ? e->tid : e->pid;
}

static struct top_task *table_find(const struct table *t, pid_t key, bool threads)
{
	for (int i = t->buckets[hash_key(key, t->mask)]; i >= 0; i = t->v[i].hnext) {
		const struct top_task *e = &t->v[i];

		if ((threads ? e->tid : e->pid) == key && (threads || !e->tid))
			return (struct top_task *)e;
	}
	return NULL;
}

static void lru_unlink(struct table *t, int i)
{
	struct top_task *e = &t->v[i];

	if (e->lprev >= 0)
		t->v[e->lprev].lnext = e->lnext;
	else
		t->head = e->lnext;
	if (e->lnext >= 0)
		t->v[e->lnext].lprev = e->lprev;
	else
		t->tail = e->lprev;
	e->lprev = e->lnext = -1;
}

static void lru_push_head(struct table *t, int i)
{
	struct top_task *e = &t->v[i];

	e->lprev = -1;
	e->lnext = t->head;
	if (t->head >= 0)
		t->v[t->head].lprev = i;
	t->head = i;
	if (t->tail < 0)
		t->tail = i;
}

static void table_remove(struct table *t, int i)
{
	struct top_task *e = &t->v[i];
	int *pp = &t->buckets[hash_key(key_of(e), t->mask)];

	while (*pp >= 0 && *pp != i)
		pp = &t->v[*pp].hnext;
	if (*pp == i)
		*pp = e->hnext;
	lru_unlink(t, i);
	memset(e, 0, sizeof(*e));
	t->removed++;
	e->hnext = t->free_list;
	t->free_list = i;
	t->n--;
}

/* A fresh entry for key (evicting the least recently seen task when full). */
static struct top_task *table_add(struct table *t, pid_t key)
{
	int i;
	unsigned b;
	struct top_task *e;

	if (t->free_list < 0) {
		table_remove(t, t->tail);
		t->evicted++;
	}
	i = t->free_list;
	e = &t->v[i];
	t->free_list = e->hnext;
	memset(e, 0, sizeof(*e));
	e->used = true;
	b = hash_key(key, t->mask);
	e->hnext = t->buckets[b];
	t->buckets[b] = i;
	e->lprev = e->lnext = -1;
	lru_push_head(t, i);
	t->n++;
	return e;
}

static void touch(struct top_model *m, struct table *t, struct top_task *e)
{
	if (e->seen_iv != m->iv) {
		e->seen_iv = m->iv;
		lru_unlink(t, (int)(e - t->v));
		lru_push_head(t, (int)(e - t->v));
	}
}

static void name_task(struct top_model *m, struct top_task *e, const struct top_task *proc)
{
	char path[64];

	if (e->pid == 0) {
		strcpy(e->comm, "swapper");
		return;
	}
	if (e->pid < 0) {
		/*
		 * The kernel samples a task past its exit (pid already released) as pid/tid -1;
		 * named as perf script and tlbstat report name it.
		 */
		strcpy(e->comm, ":-1");
		return;
	}
	if (m->cfg.read_proc_comm) {
		if (!e->tid) {
			if (read_comm(e->pid, e->comm, sizeof(e->comm)))
				return;
		} else {
			char *s;

			snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)e->pid, (int)e->tid);
			s = read_file(path, NULL);
			if (s) {
				size_t n = strcspn(s, "\n");

				if (n > sizeof(e->comm) - 1)
					n = sizeof(e->comm) - 1;
				memcpy(e->comm, s, n);
				e->comm[n] = 0;
				free(s);
				return;
			}
		}
	}
	if (proc && proc->comm[0])
		memcpy(e->comm, proc->comm, sizeof(e->comm));
}

static struct top_task *get_proc(struct top_model *m, pid_t pid)
{
	struct top_task *e = table_find(&m->procs, pid, false);

	if (e) {
		touch(m, &m->procs, e);
		return e;
	}
	e = table_add(&m->procs, pid);
	e->pid = pid;
	e->seen_iv = m->iv;
	name_task(m, e, NULL);
	return e;
}

static struct top_task *get_thread(struct top_model *m, pid_t pid, pid_t tid,
				   const struct top_task *proc)
{
	struct top_task *e;

	if (tid <= 0)
		tid = pid;
	e = table_find(&m->threads, tid, true);
	if (e && e->pid == pid) {
		touch(m, &m->threads, e);
		return e;
	}
	if (e)            /* the tid was reused by another process */
		table_remove(&m->threads, (int)(e - m->threads.v));
	e = table_add(&m->threads, tid);
	e->pid = pid;
	e->tid = tid;
	e->seen_iv = m->iv;
	if (pid == 0)
		strcpy(e->comm, "swapper");
	else if (tid == pid && proc && proc->comm[0])
		memcpy(e->comm, proc->comm, sizeof(e->comm));
	else
		name_task(m, e, proc);
	return e;
}

static struct task_slot *task_slot_of(struct top_model *m, pid_t tid)
{
	return &m->tcache[((uint32_t)tid * 0x9E3779B1u) >> 27 & (TASK_CACHE - 1)];
}

/*
 * The slot's tasks are what get_proc() and get_thread() would return without a change: the
 * same keys (table_find's), and seen in this interval already (touch() would do nothing).
 */
static uint64_t task_stamp(const struct top_model *m)
{
	return m->iv + m->procs.removed + m->threads.removed;
}

/* The miss path of task_pair(): the tables, and the slot filled. */
static void task_fill(struct top_model *m, struct task_slot *s, pid_t pid, pid_t tid,
		      struct top_task **p, struct top_task **t)
{
	*p = get_proc(m, pid);
	*t = get_thread(m, pid, tid, *p);
	/* adding the thread removes nothing from the proc table: both entries hold */
	s->stamp = task_stamp(m);
	s->pid = pid;
	s->tid = tid;
	s->p = *p;
	s->t = *t;
}

/* The process and thread of an event. */
static inline void task_pair(struct top_model *m, pid_t pid, pid_t tid, struct top_task **p,
			     struct top_task **t)
{
	struct task_slot *s = task_slot_of(m, tid);

	if (s->stamp == task_stamp(m) && s->pid == pid && s->tid == tid) {
		*p = s->p;
		*t = s->t;
		return;
	}
	task_fill(m, s, pid, tid, p, t);
}

/* ---------------- model ---------------- */

static inline int ensure_cpu(struct top_model *m, int cpu);

struct top_model *top_model_new(const struct top_config *cfg)
{
	struct top_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (cfg)
		m->cfg = *cfg;
	if (m->cfg.page_size <= 0)
		m->cfg.page_size = 4096;
	if (m->cfg.nr_cpus <= 0)
		m->cfg.nr_cpus = 1;
	if (m->cfg.max_procs <= 0)
		m->cfg.max_procs = 4096;
	if (m->cfg.max_threads <= 0)
		m->cfg.max_threads = 16384;
	if (m->cfg.age_intervals <= 0)
		m->cfg.age_intervals = 10;
	m->iv = 1;
	m->grp = count_group_new(m->cfg.group_window_ns);
	if (!m->grp || table_init(&m->procs, m->cfg.max_procs) < 0 ||
	    table_init(&m->threads, m->cfg.max_threads) < 0 || ensure_cpu(m, m->cfg.nr_cpus - 1) < 0) {
		top_model_free(m);
		return NULL;
	}
	return m;
}

void top_model_free(struct top_model *m)
{
	if (!m)
		return;
	table_free(&m->procs);
	table_free(&m->threads);
	free(m->cpu_inv);
	free(m->cpu_gen);
	free(m->cpu_inv_last);
	free(m->cpu_gen_last);
	count_group_free(m->grp);
	free(m);
}

static int grow(uint64_t **p, int old, int n)
{
	uint64_t *v = realloc(*p, sizeof(*v) * (size_t)n);

	if (!v)
		return -1;
	memset(v + old, 0, sizeof(*v) * (size_t)(n - old));
	*p = v;
	return 0;
}

/* 1: cpu has slots; 0: not a cpu number (the event is ignored); -1: out of memory. */
/* ensure_cpu's growth: 1, 0 for a cpu out of range, -1 out of memory */
static int grow_cpus(struct top_model *m, int cpu)
{
	int n;

	if (cpu < 0 || cpu > 65535)
		return 0;
	n = cpu + 1 > m->cpu_slots * 2 ? cpu + 1 : m->cpu_slots * 2;
	if (grow(&m->cpu_inv, m->cpu_slots, n) < 0 || grow(&m->cpu_gen, m->cpu_slots, n) < 0 ||
	    grow(&m->cpu_inv_last, m->cpu_slots, n) < 0 ||
	    grow(&m->cpu_gen_last, m->cpu_slots, n) < 0)
		return -1;
	m->cpu_slots = n;
	return 1;
}

/* The per-cpu slots hold cpu: 1 (grown if needed), 0 for a cpu out of range, -1 out of memory. */
static inline int ensure_cpu(struct top_model *m, int cpu)
{
	return (unsigned)cpu < (unsigned)m->cpu_slots ? 1 : grow_cpus(m, cpu);
}

/* Added targets of a user-mm request (count_request_grow) to its initiator and the node. */
static void request_grow(struct top_model *m, const struct count_request *r, bool starts,
			 int added, uint64_t ev_cgroup)
{
	struct top_task *p, *t;

	if (r->cls != TLB_FUNC_FLUSH)
		return;          /* kernel-range requests belong to no task; top does not show them */
	task_pair(m, r->pid, r->tid, &p, &t);
	if (ev_cgroup)
		p->cgroup = t->cgroup = ev_cgroup;
	count_request_grow(&p->cur.cnt, starts, added, r->nr);
	count_request_grow(&t->cur.cnt, starts, added, r->nr);
	count_request_grow(&m->node.cnt, starts, added, r->nr);
}

/* Space-saving: a seen cause counts up; a new one takes a free slot or the smallest's, +1. */
static void cause_add(struct top_counts *c, int id)
{
	int min = 0;

	for (int i = 0; i < TOP_CAUSES; i++) {
		if (c->cause[i].n && c->cause[i].id == id) {
			c->cause[i].n++;
			return;
		}
		if (c->cause[i].n < c->cause[min].n)
			min = i;
	}
	c->cause[min].id = (uint16_t)id;
	c->cause[min].n++;
}

bool top_task_cause(const struct top_task *t, int *id, double *share)
{
	const struct top_counts *c = &t->last;
	int best = 0;

	for (int i = 1; i < TOP_CAUSES; i++)
		if (c->cause[i].n > c->cause[best].n)
			best = i;
	if (!c->cause[best].n || !c->cnt.events)
		return false;
	*id = c->cause[best].id;
	*share = (double)c->cause[best].n / (double)c->cnt.events;
	if (*share > 1)
		*share = 1;
	return true;
}

static void flush_event(struct top_model *m, const struct tlb_event *ev)
{
	struct top_task *p, *t;
	struct count_counts d = { 0 };       /* what this one flush counts */

	task_pair(m, ev->pid, ev->tid, &p, &t);
	if (m->cfg.causes && ev->nr_callchain) {
		int id = cause_cache_of(m->cfg.causes, ev->callchain, ev->nr_callchain, p->comm);

		cause_add(&p->cur, id);
		cause_add(&t->cur, id);
		cause_add(&m->node, id);
	}
	if (ev->cgroup)
		p->cgroup = t->cgroup = ev->cgroup;
	count_flush(&d, ev);
	count_add_flush(&p->cur.cnt, &d, ev->reason);
	count_add_flush(&t->cur.cnt, &d, ev->reason);
	count_add_flush(&m->node.cnt, &d, ev->reason);
	m->cpu_inv[ev->cpu] += d.events;
	m->remote_total += d.remote_sends;
	m->victim_total += d.victim_hits;
}

/* The kernel lab's events (count_lab): on the initiator and the node. */
static void lab_event(struct top_model *m, const struct tlb_event *ev)
{
	struct top_task *p, *t;

	task_pair(m, ev->pid, ev->tid, &p, &t);
	count_lab(&p->cur.cnt, ev, m->cfg.page_size);
	count_lab(&t->cur.cnt, ev, m->cfg.page_size);
	count_lab(&m->node.cnt, ev, m->cfg.page_size);
}

/* Requests count as their targets come: a csd request grows with each target. */
static int request_event(struct top_model *m, const struct tlb_event *ev)
{
	struct count_request r;
	const struct count_request *open;
	int f;

	if (count_request_of(ev, &r)) {
		request_grow(m, &r, true, r.nr, ev->cgroup);
		if (m->cfg.request_done)
			m->cfg.request_done(m->cfg.request_ctx, &r);
		return 0;
	}
	f = count_group_feed(m->grp, ev, &r, &open);
	if (f < 0)
		return -1;
	m->grp_open += !!(f & COUNT_GROUP_STARTED);
	m->grp_open -= !!(f & COUNT_GROUP_CLOSED);
	if ((f & COUNT_GROUP_CLOSED) && m->cfg.request_done)
		m->cfg.request_done(m->cfg.request_ctx, &r);
	if (f & COUNT_GROUP_JOINED)
		request_grow(m, open, f & COUNT_GROUP_STARTED, 1, 0);
	return 0;
}

void top_model_expire_requests(struct top_model *m, uint64_t before)
{
	struct count_request done;
	int cursor = 0;

	while (count_group_expire(m->grp, before, &cursor, &done)) {
		m->grp_open--;
		if (m->cfg.request_done)
			m->cfg.request_done(m->cfg.request_ctx, &done);
	}
}

int top_model_event(struct top_model *m, const struct tlb_event *ev)
{
	int rc = ensure_cpu(m, ev->cpu);

	if (rc <= 0)
		return rc;
	switch (ev->kind) {
	case EV_TLB_FLUSH:
		flush_event(m, ev);
		/* a flush on this cpu ends its csd request (a flush is no request itself) */
		return m->grp_open ? request_event(m, ev) : 0;
	case EV_PATCHED_FLUSH:
	case EV_MMU_NOTIFIER:
		lab_event(m, ev);
		return ev->kind == EV_PATCHED_FLUSH ? request_event(m, ev) : 0;
	case EV_CSD_QUEUE_CPU:
	case EV_IPI_SEND_CPUMASK:
	case EV_IPI_SEND_CPU:
		return request_event(m, ev);
	case EV_EXEC:
	case EV_RENAME:
		if (ev->comm[0])
			top_model_comm(m, ev->pid, ev->kind == EV_EXEC ? ev->pid : ev->tid, ev->comm);
		return 0;
	default:
		return 0;
	}
}

int top_model_generic(struct top_model *m, pid_t pid, pid_t tid, int cpu)
{
	struct top_task *p, *t;
	int rc = ensure_cpu(m, cpu);

	if (rc <= 0)
		return rc;
	task_pair(m, pid, tid, &p, &t);
	p->cur.gen++;
	t->cur.gen++;
	m->node.gen++;
	m->cpu_gen[cpu]++;
	return 0;
}

void top_model_comm(struct top_model *m, pid_t pid, pid_t tid, const char *comm)
{
	struct top_task *e;

	if (tid <= 0)
		tid = pid;
	e = table_find(&m->threads, tid, true);
	if (e && e->pid == pid)
		snprintf(e->comm, sizeof(e->comm), "%s", comm);
	if (tid == pid) {
		e = table_find(&m->procs, pid, false);
		if (e)
			snprintf(e->comm, sizeof(e->comm), "%s", comm);
	}
}

void top_model_track(struct top_model *m, pid_t pid)
{
	get_proc(m, pid);
}

void top_model_lost(struct top_model *m, uint64_t nr)
{
	m->lost += nr;
	m->lost_total += nr;
}

/*
 * Every task in the table is on its LRU list: walk that, not the whole array (4,096 + 16,384
 * entries of a few hundred bytes at the defaults: megabytes of cache misses every interval).
 */
static void close_table(struct top_model *m, struct table *t, double secs)
{
	for (int i = t->head; i >= 0; i = t->v[i].lnext) {
		struct top_task *e = &t->v[i];

		e->last = e->cur;
		memset(&e->cur, 0, sizeof(e->cur));
		memmove(e->hist, e->hist + 1, sizeof(e->hist[0]) * (TOP_HIST - 1));
		e->hist[TOP_HIST - 1] = secs > 0 ? (float)((double)e->last.cnt.events / secs) : 0;
	}
	/* age out: the LRU tail holds the tasks seen longest ago */
	while (t->tail >= 0 && m->iv - t->v[t->tail].seen_iv > (uint64_t)m->cfg.age_intervals)
		table_remove(t, t->tail);
}

void top_model_close(struct top_model *m, double secs)
{
	m->iv++;        /* a new task_stamp(): each task is looked up (touched) again */
	close_table(m, &m->procs, secs);
	close_table(m, &m->threads, secs);
	for (int c = 0; c < m->cpu_slots; c++) {
		m->cpu_inv_last[c] = m->cpu_inv[c];
		m->cpu_gen_last[c] = m->cpu_gen[c];
		m->cpu_inv[c] = m->cpu_gen[c] = 0;
	}
	m->node_last = m->node;
	memset(&m->node, 0, sizeof(m->node));
	m->lost_last = m->lost;
	m->lost = 0;
	m->last_secs = secs;
}

void top_model_node(const struct top_model *m, struct top_node *n)
{
	memset(n, 0, sizeof(*n));
	n->secs = m->last_secs;
	n->nr_cpus = m->cfg.nr_cpus;
	n->page_size = m->cfg.page_size;
	n->c = m->node_last;
	n->lost = m->lost_last;
	n->lost_total = m->lost_total;
	n->remote_total = m->remote_total;
	n->victim_total = m->victim_total;
	n->intervals = m->iv - 1;
	n->nr_procs = m->procs.n;
	n->nr_threads = m->threads.n;
	n->evicted = m->procs.evicted + m->threads.evicted;
	n->cpu_slots = m->cpu_slots;
	n->cpu_inv = m->cpu_inv_last;
	n->cpu_gen = m->cpu_gen_last;
}

static double fanout_of(const struct count_counts *c)
{
	return c->ipis ? (double)c->ipi_targets / (double)c->ipis : -1;
}

/* The sort key of a task's last interval. */
static double sort_key(const struct top_task *e, enum top_sort by)
{
	const struct count_counts *c = &e->last.cnt;

	switch (by) {
	case TOP_SORT_REMOTE: return (double)c->remote_sends;
	case TOP_SORT_BYTES: return (double)c->pages + 1e-9 * (double)c->full_flushes;
	case TOP_SORT_FANOUT: return fanout_of(c);
	case TOP_SORT_EVENTS: return (double)e->last.gen;
	default: return (double)c->events;
	}
}

/* qsort_r comparator; ctx points at the enum top_sort. */
static int cmp_rows(const void *x, const void *y, void *ctx)
{
	const struct top_task *a = *(struct top_task *const *)x, *b = *(struct top_task *const *)y;
	enum top_sort by = *(const enum top_sort *)ctx;
	double va = sort_key(a, by), vb = sort_key(b, by);

	if (va != vb)
		return va > vb ? -1 : 1;
	if (a->last.cnt.events != b->last.cnt.events)
		return a->last.cnt.events > b->last.cnt.events ? -1 : 1;
	if (a->last.gen != b->last.gen)
		return a->last.gen > b->last.gen ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return a->tid < b->tid ? -1 : a->tid > b->tid;
}

int top_model_rows(struct top_model *m, enum top_sort by, pid_t threads_of,
		   const pid_t *pid_filter, int nr_filter, int max, struct top_task ***out)
{
	struct table *t = threads_of > 0 ? &m->threads : &m->procs;
	struct top_task **v = malloc(sizeof(*v) * (size_t)(t->n + 1));
	int n = 0;

	*out = NULL;
	if (!v)
		return -1;
	for (int i = t->head; i >= 0; i = t->v[i].lnext) {	/* the used entries */
		struct top_task *e = &t->v[i];

		if (threads_of > 0 && e->pid != threads_of)
			continue;
		if (threads_of <= 0 && nr_filter > 0) {
			int k;

			for (k = 0; k < nr_filter && pid_filter[k] != e->pid; k++)
				;
			if (k == nr_filter)
				continue;
		}
		v[n++] = e;
	}
	qsort_r(v, (size_t)n, sizeof(*v), cmp_rows, &by);
	if (max > 0 && n > max)
		n = max;
	*out = v;
	return n;
}

struct top_task *top_model_find_process(struct top_model *m, pid_t pid)
{
	return table_find(&m->procs, pid, false);
}

static int cmp_cgroup(const void *x, const void *y)
{
	const struct top_task *a = *(struct top_task *const *)x, *b = *(struct top_task *const *)y;

	return a->cgroup < b->cgroup ? -1 : a->cgroup > b->cgroup;
}

/* count_counts is all uint64_t: sums field by field, except the maxima (max_fanout, max_targets) */
static void counts_add(struct count_counts *to, const struct count_counts *c)
{
	uint64_t *t = (uint64_t *)to, mx = to->max_fanout > c->max_fanout ? to->max_fanout :
					   c->max_fanout;
	uint64_t mt = to->max_targets > c->max_targets ? to->max_targets : c->max_targets;
	const uint64_t *f = (const uint64_t *)c;

	for (size_t i = 0; i < sizeof(*c) / sizeof(uint64_t); i++)
		t[i] += f[i];
	to->max_fanout = mx;
	to->max_targets = mt;
}

/* a process's causes into its cgroup's row: same id adds up, a new one takes a free or smaller slot */
static void causes_add(struct top_counts *to, const struct top_counts *from)
{
	for (int i = 0; i < TOP_CAUSES; i++) {
		int min = 0, k;

		if (!from->cause[i].n)
			continue;
		for (k = 0; k < TOP_CAUSES; k++) {
			if (to->cause[k].n && to->cause[k].id == from->cause[i].id)
				break;
			if (to->cause[k].n < to->cause[min].n)
				min = k;
		}
		if (k < TOP_CAUSES) {
			to->cause[k].n += from->cause[i].n;
		} else if (from->cause[i].n > to->cause[min].n) {
			to->cause[min].id = from->cause[i].id;
			to->cause[min].n = from->cause[i].n;
		}
	}
}

int top_model_cgroup_rows(struct top_model *m, enum top_sort by, const pid_t *pid_filter,
			  int nr_filter, int max, struct top_task **rows, struct top_task ***out)
{
	struct top_task **procs, *g = NULL;
	int n, ng = 0;

	*rows = NULL;
	*out = NULL;
	n = top_model_rows(m, by, 0, pid_filter, nr_filter, 0, &procs);
	if (n < 0)
		return -1;
	if (n)
		qsort(procs, (size_t)n, sizeof(*procs), cmp_cgroup);
	g = calloc((size_t)n + 1, sizeof(*g));
	*out = malloc(sizeof(**out) * ((size_t)n + 1));
	if (!g || !*out) {
		free(procs);
		free(g);
		free(*out);
		*out = NULL;
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const struct top_task *p = procs[i];
		struct top_task *r;

		if (!ng || g[ng - 1].cgroup != p->cgroup) {
			r = &g[ng++];
			r->cgroup = p->cgroup;
			r->used = true;
		}
		r = &g[ng - 1];
		counts_add(&r->cur.cnt, &p->cur.cnt);
		counts_add(&r->last.cnt, &p->last.cnt);
		causes_add(&r->cur, &p->cur);
		causes_add(&r->last, &p->last);
		r->cur.gen += p->cur.gen;
		r->last.gen += p->last.gen;
		for (int k = 0; k < TOP_HIST; k++)
			r->hist[k] += p->hist[k];
		r->members++;
	}
	free(procs);
	for (int i = 0; i < ng; i++)
		(*out)[i] = &g[i];
	qsort_r(*out, (size_t)ng, sizeof(**out), cmp_rows, &by);
	*rows = g;
	return max > 0 && ng > max ? max : ng;
}

/* ---------------- text ---------------- */

void top_fmt_rate(char *buf, size_t len, double v)
{
	if (v < 10000)
		snprintf(buf, len, "%.1f", v);
	else if (v < 10e6)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.1fM", v / 1e6);
}

void top_fmt_bytes(char *buf, size_t len, double v)
{
	static const char units[] = "KMGTP";
	int u = -1;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.1f%c", v, units[u]);
}

void top_fmt_trend(char *buf, size_t len, const struct top_task *t, bool utf8)
{
	static const char ascii[] = "._-=+*#@";
	static const char *const blocks[] = { " ", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585",
					      "\u2586", "\u2587", "\u2588" };
	float max = 0;
	size_t o = 0;

	for (int i = 0; i < TOP_HIST; i++)
		if (t->hist[i] > max)
			max = t->hist[i];
	for (int i = 0; i < TOP_HIST && o + 4 < len; i++) {
		float v = t->hist[i];

		if (utf8) {
			int lv = v <= 0 || max <= 0 ? 0 : 1 + (int)(v / max * 7.999f);
			size_t l = strlen(blocks[lv]);

			memcpy(buf + o, blocks[lv], l);
			o += l;
		} else {
			int lv = v <= 0 || max <= 0 ? 0 : 1 + (int)(v / max * 6.999f);

			buf[o++] = ascii[lv];
		}
	}
	buf[o] = 0;
}

static double per_s(uint64_t n, double secs)
{
	return secs > 0 ? (double)n / secs : 0;
}

const char *top_task_health(const struct top_task *t, const struct top_node *n)
{
	enum tlb_health h = count_health_of(t->last.cnt.reasons, n->secs, n->nr_cpus).health;

	/* the column is narrow: "-" is "insufficient data", as the header says in full */
	return h == HEALTH_INSUFFICIENT ? "-" : tlb_health_name(h);
}

/* Is cpu one top watches? (-C opens only some: the strip shows no others) */
static bool cpu_watched(const struct top_render *r, int cpu)
{
	for (int i = 0; r->cpus && i < r->nr_cpus; i++)
		if (r->cpus[i] == cpu)
			return true;
	return !r->cpus;
}

int top_fmt_header(char lines[][256], int max, const struct top_node *n, const struct top_render *r)
{
	char a[16], b[16], c[16], d[16], e[16];
	const struct count_counts *k = &n->c.cnt;
	struct count_rate cr = count_rate_of(k->events, n->secs, n->nr_cpus);
	struct count_health ch = count_health_of(k->reasons, n->secs, n->nr_cpus);
	char ts[16];
	int nl = 0, width = r->width > 20 ? r->width : 100;

	if (max < 4)
		return 0;
	top_fmt_rate(a, sizeof(a), cr.known ? cr.rate : 0);
	top_fmt_rate(b, sizeof(b), cr.known ? cr.per_core : 0);
	top_fmt_rate(c, sizeof(c), per_s(k->remote_sends, n->secs));
	top_fmt_bytes(d, sizeof(d), (double)k->pages * n->page_size / (n->secs > 0 ? n->secs : 1));
	top_fmt_rate(e, sizeof(e), per_s(k->full_flushes, n->secs));
	top_fmt_rate(ts, sizeof(ts), per_s(ch.task_switches, n->secs));
	snprintf(lines[nl++], 256,
		 "Invalidations: %s/s, %s/s per core, health %s, task switches %s/s | remote sends: "
		 "%s/s | bytes: %s/s, full flushes: %s/s | lost: %llu (total %llu)", a, b,
		 tlb_health_name(ch.health), ts, c, d, e, (unsigned long long)n->lost,
		 (unsigned long long)n->lost_total);
	if (r->victims_observable) {
		top_fmt_rate(a, sizeof(a), per_s(k->victim_hits, n->secs));
		snprintf(lines[nl++], 256, "Transport: %s | victims (remote shootdowns): %s/s",
			 r->transport ? r->transport : "unknown", a);
	} else {
		snprintf(lines[nl++], 256, "Transport: %s | victims: n/a, %s",
			 r->transport ? r->transport : "unknown", r->victims_note ? r->victims_note : "");
	}
	if (r->generic) {
		top_fmt_rate(a, sizeof(a), per_s(n->c.gen, n->secs));
		snprintf(lines[nl++], 256, "Events %s: %s/s", r->generic_name ? r->generic_name : "", a);
	}
	if (r->causes) {
		/* the node's top cause, and where the runbook says what drives it (lib/runbook.c) */
		struct top_task node = { .last = n->c };
		double share;
		int id;

		if (top_task_cause(&node, &id, &share))
			snprintf(lines[nl++], 256, "Top cause: %s, %.0f%% of the invalidations | remedies: "
				 "Documentation/%s#%s", cause_cache_name(r->causes, id), share * 100,
				 RUNBOOK_FILE, runbook_anchor(cause_cache_name(r->causes, id)));
		else
			snprintf(lines[nl++], 256, "Top cause: - (no flush with a kernel chain yet)");
	}
	/* the per-CPU strip, wrapped; at most 3 lines */
	{
		int shown = 0, total = 0;
		size_t o;

		for (int cpu = 0; cpu < n->cpu_slots; cpu++)
			total += cpu_watched(r, cpu);
		o = (size_t)snprintf(lines[nl], 256, "CPU inv/s:");
		for (int cpu = 0; cpu < n->cpu_slots; cpu++) {
			char item[48];
			int l;

			if (!cpu_watched(r, cpu))
				continue;

			top_fmt_rate(a, sizeof(a), per_s(n->cpu_inv[cpu], n->secs));
			l = snprintf(item, sizeof(item), " %d:%s", cpu, a);
			if ((int)o + l > width - 1 || o + (size_t)l >= 255) {
				if (nl + 1 >= max || nl >= 5)
					break;
				nl++;
				o = (size_t)snprintf(lines[nl], 256, "          ");
			}
			memcpy(lines[nl] + o, item, (size_t)l + 1);
			o += (size_t)l;
			shown++;
		}
		if (!total)
			snprintf(lines[nl] + o, 256 - o, " (no events yet)");
		else if (shown < total)
			snprintf(lines[nl] + o, 256 - o, " +%d more", total - shown);
		nl++;
	}
	return nl;
}

static void col(char *buf, size_t len, size_t *o, const char *title, int w, bool sorted, bool left)
{
	char t[32];

	snprintf(t, sizeof(t), "%s%s", title, sorted ? "*" : "");
	if (*o < len)
		*o += (size_t)snprintf(buf + *o, len - *o, left ? " %-*s" : " %*s", w, t);
}

void top_fmt_columns(char *buf, size_t len, const struct top_render *r, bool threads)
{
	size_t o = 0;

	buf[0] = 0;
	if (r->by_cgroup) {
		col(buf, len, &o, "CGROUP", TOP_CGROUP_W, false, true);
		col(buf, len, &o, "CONTAINER", 12, false, true);
		col(buf, len, &o, "PROCS", 5, false, false);
	} else {
		col(buf, len, &o, threads ? "TID" : "PID", 7, false, false);
		col(buf, len, &o, "COMM", 15, false, true);
	}
	col(buf, len, &o, "INV/s", 9, r->sort == TOP_SORT_RATE, false);
	col(buf, len, &o, "REMOTE/s", 9, r->sort == TOP_SORT_REMOTE, false);
	col(buf, len, &o, "VICTIM/s", 9, false, false);
	col(buf, len, &o, "BYTES/s", 9, r->sort == TOP_SORT_BYTES, false);
	col(buf, len, &o, "FULL/s", 7, false, false);
	col(buf, len, &o, "FANOUT", 7, r->sort == TOP_SORT_FANOUT, false);
	if (r->lab)
		col(buf, len, &o, "ASKED/s", 9, false, false);
	if (r->causes)
		col(buf, len, &o, "CAUSE", 18, false, true);
	if (r->generic)
		col(buf, len, &o, "EVENTS/s", 9, r->sort == TOP_SORT_EVENTS, false);
	col(buf, len, &o, "HEALTH", 6, false, true);
	col(buf, len, &o, "TREND", 0, false, true);
}

void top_fmt_row(char *buf, size_t len, const struct top_task *t, const struct top_node *n,
		 const struct top_render *r, int *health_off, int *health_len)
{
	char inv[32], rem[32], vic[32], byt[32], full[32], fan[32], gen[32], trend[64], comm[24];
	char asked[32];
	const char *h = top_task_health(t, n);
	int o;

	const struct count_counts *k = &t->last.cnt;

	top_fmt_rate(inv, sizeof(inv), per_s(k->events, n->secs));
	top_fmt_rate(rem, sizeof(rem), per_s(k->remote_sends, n->secs));
	if (r->victims_observable)
		top_fmt_rate(vic, sizeof(vic), per_s(k->victim_hits, n->secs));
	else
		snprintf(vic, sizeof(vic), "n/a");
	top_fmt_bytes(byt, sizeof(byt), per_s(k->pages, n->secs) * n->page_size);
	top_fmt_rate(full, sizeof(full), per_s(k->full_flushes, n->secs));
	if (k->ipis)
		snprintf(fan, sizeof(fan), "%.1f", fanout_of(k));
	else
		snprintf(fan, sizeof(fan), "-");
	top_fmt_rate(gen, sizeof(gen), per_s(t->last.gen, n->secs));
	top_fmt_bytes(asked, sizeof(asked), per_s(k->decision_bytes, n->secs));
	top_fmt_trend(trend, sizeof(trend), t, r->utf8);
	if (t->comm[0])
		snprintf(comm, sizeof(comm), "%.15s", t->comm);
	else
		snprintf(comm, sizeof(comm), ":%d", (int)(t->tid ? t->tid : t->pid));
	if (r->by_cgroup) {
		char path[TOP_CGROUP_W + 1], idbuf[32];
		const char *name = cgtab_name(r->cg, t->cgroup);
		struct cgroup_info ci;

		if (!strcmp(name, "unknown")) {	/* no path yet: the id at least */
			snprintf(idbuf, sizeof(idbuf), "id:%llu", (unsigned long long)t->cgroup);
			name = idbuf;
		}
		cgroup_parse(name, &ci);
		o = snprintf(buf, len, " %-*s %-12.12s %5d %9s %9s %9s %9s %7s %7s", TOP_CGROUP_W,
			     cgroup_label(name, path, sizeof(path)),
			     ci.container[0] ? ci.container : ci.pod[0] ? ci.pod : "-", t->members,
			     inv, rem, vic, byt, full, fan);
	} else {
		o = snprintf(buf, len, " %7d %-15s %9s %9s %9s %9s %7s %7s",
			     (int)(t->tid ? t->tid : t->pid), comm, inv, rem, vic, byt, full, fan);
	}
	if (r->lab && o > 0 && (size_t)o < len)
		o += snprintf(buf + o, len - (size_t)o, " %9s", asked);
	if (r->causes && o > 0 && (size_t)o < len) {
		char cause[32];
		double share;
		int id;

		if (top_task_cause(t, &id, &share))
			snprintf(cause, sizeof(cause), "%.13s %3.0f%%", cause_cache_name(r->causes, id),
				 share * 100);
		else
			snprintf(cause, sizeof(cause), "-");
		o += snprintf(buf + o, len - (size_t)o, " %-18s", cause);
	}
	if (r->generic && o > 0 && (size_t)o < len)
		o += snprintf(buf + o, len - (size_t)o, " %9s", gen);
	if (health_off)
		*health_off = o + 1;
	if (health_len)
		*health_len = (int)strlen(h);
	if (o > 0 && (size_t)o < len)
		snprintf(buf + o, len - (size_t)o, " %-6s %s", h, trend);
}

void top_print_batch(FILE *f, const char *stamp, struct top_model *m, const struct top_render *r,
		     const pid_t *pid_filter, int nr_filter, int rows)
{
	struct top_node n;
	char lines[8][256], buf[512];
	struct top_task **v, *g = NULL;
	int nl, nr;

	top_model_node(m, &n);
	fprintf(f, "tlbstat top - %s  interval %.2f s  %d CPUs  tracking %d processes, %d threads "
		"(%llu dropped at the cap)  sort: %s\n", stamp, n.secs, n.nr_cpus, n.nr_procs,
		n.nr_threads, (unsigned long long)n.evicted, top_sort_name(r->sort));
	nl = top_fmt_header(lines, 8, &n, r);
	for (int i = 0; i < nl; i++)
		fprintf(f, "%s\n", lines[i]);
	fputc('\n', f);
	top_fmt_columns(buf, sizeof(buf), r, false);
	fprintf(f, "%s\n", buf);
	if (r->by_cgroup)
		nr = top_model_cgroup_rows(m, r->sort, pid_filter, nr_filter, rows, &g, &v);
	else
		nr = top_model_rows(m, r->sort, 0, pid_filter, nr_filter, rows, &v);
	for (int i = 0; i < nr; i++) {
		top_fmt_row(buf, sizeof(buf), v[i], &n, r, NULL, NULL);
		fprintf(f, "%s\n", buf);
	}
	free(v);
	free(g);
	fputc('\n', f);
	fflush(f);
}
