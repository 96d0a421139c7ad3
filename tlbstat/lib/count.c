// SPDX-License-Identifier: GPL-2.0
/*
 * The counting rules (count.h): flushes, requests, the csd_queue_cpu grouper, rates and health.
 */
#include "count.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define COUNT_MAX_CPU 65535
#define COUNT_DEFAULT_WINDOW_NS (100 * 1000ULL)

/* ---------------- counts ---------------- */

void count_request(struct count_counts *c, int nr)
{
	count_request_grow(c, true, nr, nr);
}

/* ---------------- requests ---------------- */

static void request_init(struct count_request *r, const struct tlb_event *ev,
			 enum tlb_func_class cls)
{
	zero_words(r, sizeof(*r));
	r->cpu = ev->cpu;
	r->start = r->last = ev->time;
	r->pid = ev->pid;
	r->tid = ev->tid;
	r->cls = cls;
	r->func = ev->func;
}

bool count_request_of(const struct tlb_event *ev, struct count_request *r)
{
	enum tlb_func_class cls;

	switch (ev->kind) {
	case EV_IPI_SEND_CPUMASK:
	case EV_IPI_SEND_CPU:
		if (ev->func_class == TLB_FUNC_NONE)
			return false;
		cls = ev->func_class;
		break;
	case EV_PATCHED_FLUSH:
		/* the patched tracepoint fires only for TLB flushes: unknown func is a user mm one */
		cls = ev->func_class == TLB_FUNC_KERNEL_RANGE ? TLB_FUNC_KERNEL_RANGE : TLB_FUNC_FLUSH;
		break;
	default:
		return false;
	}
	if (ev->nr_targets <= 0)
		return false;
	request_init(r, ev, cls);
	r->nr = ev->nr_targets;
	memcpy(r->mask, ev->target_mask, sizeof(r->mask));
	return true;
}

/* ---------------- the csd_queue_cpu grouper ---------------- */

struct group_slot {
	bool open;
	struct count_request r;
};

struct count_group {
	uint64_t window_ns;
	struct group_slot *slots;    /* by cpu number */
	int nr_slots;
	int nr_open;                 /* slots with an open request */
};

struct count_group *count_group_new(uint64_t window_ns)
{
	struct count_group *g = calloc(1, sizeof(*g));

	if (g)
		g->window_ns = window_ns ? window_ns : COUNT_DEFAULT_WINDOW_NS;
	return g;
}

void count_group_free(struct count_group *g)
{
	if (!g)
		return;
	free(g->slots);
	free(g);
}

static int ensure_slot(struct count_group *g, int cpu)
{
	struct group_slot *v;
	int n;

	if (cpu < g->nr_slots)
		return 0;
	n = cpu + 1 > g->nr_slots * 2 ? cpu + 1 : g->nr_slots * 2;
	v = realloc(g->slots, sizeof(*v) * (size_t)n);
	if (!v)
		return -1;
	memset(v + g->nr_slots, 0, sizeof(*v) * (size_t)(n - g->nr_slots));
	g->slots = v;
	g->nr_slots = n;
	return 0;
}

static bool slot_close(struct count_group *g, int cpu, struct count_request *done)
{
	struct group_slot *s;

	if (cpu >= g->nr_slots || !g->slots[cpu].open)
		return false;
	s = &g->slots[cpu];
	*done = s->r;
	s->open = false;
	g->nr_open--;
	return true;
}

static bool mask_has(const uint64_t *mask, int cpu)
{
	return cpu >= 0 && cpu < 64 * TLB_EVENT_MASK_WORDS && (mask[cpu / 64] >> (cpu % 64)) & 1;
}

/* Can this csd_queue_cpu event not join its cpu's open request? */
static bool breaks_group(const struct count_group *g, const struct group_slot *s,
			 const struct tlb_event *ev)
{
	return s->r.func != ev->func || ev->time - s->r.last > g->window_ns ||
	       (ev->target_cpu >= 0 && mask_has(s->r.mask, ev->target_cpu));
}

int count_group_feed(struct count_group *g, const struct tlb_event *ev, struct count_request *done,
		     const struct count_request **open)
{
	struct group_slot *s;
	int flags = 0;

	if (ev->cpu < 0 || ev->cpu > COUNT_MAX_CPU)
		return 0;
	if (ev->kind == EV_TLB_FLUSH)        /* any flush on this cpu ends its request */
		return slot_close(g, ev->cpu, done) ? COUNT_GROUP_CLOSED : 0;
	if (ev->kind != EV_CSD_QUEUE_CPU || ev->func_class == TLB_FUNC_NONE)
		return 0;
	if (ensure_slot(g, ev->cpu) < 0)
		return -1;
	s = &g->slots[ev->cpu];
	if (s->open && breaks_group(g, s, ev) && slot_close(g, ev->cpu, done))
		flags |= COUNT_GROUP_CLOSED;
	if (!s->open) {
		request_init(&s->r, ev, ev->func_class);
		s->open = true;
		g->nr_open++;
		flags |= COUNT_GROUP_STARTED;
	}
	s->r.last = ev->time;
	s->r.nr++;
	for (int w = 0; w < TLB_EVENT_MASK_WORDS; w++)
		s->r.mask[w] |= ev->target_mask[w];
	*open = &s->r;
	return flags | COUNT_GROUP_JOINED;
}

bool count_group_has_open(const struct count_group *g)
{
	return g->nr_open > 0;
}

bool count_group_expire(struct count_group *g, uint64_t before, int *cursor,
			struct count_request *done)
{
	for (int c = *cursor; c < g->nr_slots; c++) {
		const struct group_slot *s = &g->slots[c];

		if (s->open && (before == UINT64_MAX || s->r.last + g->window_ns < before)) {
			*cursor = c + 1;
			return slot_close(g, c, done);
		}
	}
	*cursor = g->nr_slots;
	return false;
}

/* ---------------- rates and health ---------------- */

struct count_rate count_rate_of(uint64_t n, double secs, int cpus)
{
	struct count_rate r = { .known = secs > 0, .rate = NAN, .per_core = NAN };

	if (!r.known)
		return r;
	r.rate = (double)n / secs;
	r.per_core = r.rate / (cpus > 0 ? cpus : 1);
	return r;
}

struct count_health count_health_of(const uint64_t reasons[TLB_NR_REASONS], double secs, int cpus)
{
	struct count_health h = {
		.events = count_health_events(reasons),
		.task_switches = reasons[TLB_REASON_TASK_SWITCH],
		.per_core = NAN,
		.health = HEALTH_INSUFFICIENT,
	};

	if (secs <= 0)
		return h;
	h.per_core = (double)h.events / secs / (cpus > 0 ? cpus : 1);
	if (secs < COUNT_HEALTH_MIN_SECS)
		return h;
	h.health = tlb_health_of(h.per_core);
	return h;
}

/* x * num / den rounded down, in 128 bits; den 0: 0 */
static uint64_t scale_u64(uint64_t x, uint64_t num, uint64_t den)
{
	unsigned __int128 v;

	if (!den)
		return 0;
	v = (unsigned __int128)x * num / den;
	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

void count_scale(struct count_counts *c, const uint64_t sampled[TLB_NR_REASONS],
		 const uint64_t exact[TLB_NR_REASONS])
{
	uint64_t ranged_s = 0, ranged_e = 0, in = 0, out = 0;

	for (int r = 0; r < TLB_NR_REASONS; r++) {
		uint64_t v = scale_u64(c->reasons[r], exact[r], sampled[r]);

		if (r != TLB_REASON_REMOTE_SEND_IPI) {
			ranged_s += sampled[r];
			ranged_e += exact[r];
		}
		in += c->reasons[r];
		out += v;
		c->reasons[r] = v;
	}
	c->events = c->events - (in < c->events ? in : c->events) + out;
	c->pages = scale_u64(c->pages, ranged_e, ranged_s);
	c->full_flushes = scale_u64(c->full_flushes, ranged_e, ranged_s);
	c->remote_sends = scale_u64(c->remote_sends, exact[TLB_REASON_REMOTE_SEND_IPI],
				    sampled[TLB_REASON_REMOTE_SEND_IPI]);
	c->victim_hits = scale_u64(c->victim_hits, exact[TLB_REASON_REMOTE_SHOOTDOWN],
				   sampled[TLB_REASON_REMOTE_SHOOTDOWN]);
}
