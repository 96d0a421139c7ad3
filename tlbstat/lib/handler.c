#include "handler.h"
#include "event.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

void handler_init(struct handler_stats *h)
{
	memset(h, 0, sizeof(*h));
}

void handler_free(struct handler_stats *h)
{
	free(h->tasks);
	free(h->cpus);
	memset(h, 0, sizeof(*h));
}

int handler_find(const struct handler_stats *h, pid_t pid, pid_t tid)
{
	for (int i = 0; i < h->nr_tasks; i++)
		if (h->tasks[i].tid == tid && h->tasks[i].pid == pid)
			return i;
	return -1;
}

static struct handler_task *task_of(struct handler_stats *h, pid_t pid, pid_t tid)
{
	int i = handler_find(h, pid, tid);
	if (i >= 0)
		return &h->tasks[i];
	if (h->nr_tasks >= HANDLER_MAX_TASKS)
		return NULL;
	h->tasks = xrealloc(h->tasks, sizeof(*h->tasks) * (size_t)(h->nr_tasks + 1));
	memset(&h->tasks[h->nr_tasks], 0, sizeof(h->tasks[0]));
	h->tasks[h->nr_tasks].pid = pid;
	h->tasks[h->nr_tasks].tid = tid;
	return &h->tasks[h->nr_tasks++];
}

static int bucket(uint64_t ns)
{
	int b = 0;
	while (ns > 1 && b < HANDLER_BUCKETS - 1) {
		ns >>= 1;
		b++;
	}
	return b;
}

void handler_event(struct handler_stats *h, const struct tlb_event *ev)
{
	struct handler_slot *slot;

	if (ev->cpu < 0 || ev->cpu >= 1 << 16)
		return;
	if (ev->cpu >= h->nr_cpus) {
		int n = ev->cpu + 1;
		h->cpus = xrealloc(h->cpus, sizeof(*h->cpus) * (size_t)n);
		memset(h->cpus + h->nr_cpus, 0, sizeof(*h->cpus) * (size_t)(n - h->nr_cpus));
		h->nr_cpus = n;
	}
	slot = &h->cpus[ev->cpu];
	if (ev->kind == EV_CSD_FUNC_ENTRY) {
		h->entries++;
		if (slot->open)
			h->unpaired++;		/* the previous entry never saw its exit */
		*slot = (struct handler_slot){ true, ev->time, ev->func, ev->csd };
		return;
	}
	if (ev->kind != EV_CSD_FUNC_EXIT)
		return;
	h->exits++;
	if (!slot->open || slot->func != ev->func || ev->time < slot->time ||
	    ev->time - slot->time > HANDLER_MAX_NS) {
		h->unpaired++;
		slot->open = false;
		return;
	}
	{
		uint64_t ns = ev->time - slot->time;
		int k = slot->csd ? HANDLER_VICTIM : HANDLER_LOCAL;
		struct handler_totals *t = &h->kind[k];
		struct handler_task *task = task_of(h, ev->pid, ev->tid);
		t->calls++;
		t->ns += ns;
		if (ns > t->max_ns)
			t->max_ns = ns;
		t->hist[bucket(ns)]++;
		if (task) {
			task->calls[k]++;
			task->ns[k] += ns;
		}
	}
	slot->open = false;
}

double handler_quantile(const struct handler_totals *t, double q)
{
	uint64_t want, seen = 0;
	if (!t->calls)
		return 0;
	want = (uint64_t)(q * (double)t->calls);
	if (want >= t->calls)
		want = t->calls - 1;
	for (int b = 0; b < HANDLER_BUCKETS; b++) {
		seen += t->hist[b];
		if (seen > want)
			return b == 0 ? 1.0 : 1.5 * (double)(1ull << b);
	}
	return (double)t->max_ns;
}
