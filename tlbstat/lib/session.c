/*
 * The stream: records from live ring buffers (libperf mmaps, drained in a poll loop) or from a
 * perf.data file, samples parsed and decoded into tlb_events, handed to session_ops.
 */
#include "session.h"
#include "event.h"
#include "evlist.h"
#include "perfdata.h"
#include "symbols.h"
#include "tracing-data.h"
#include "sample.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <perf/evlist.h>
#include <perf/event.h>
#include <perf/mmap.h>
#include <traceevent/event-parse.h>

struct session {
	struct pd_reader *rd;
	struct tlb_evlist *el;
	struct tep_handle *tep;
	struct tlb_decoder *dec;
	struct syms *syms;		/* kernel symbols for the decoder */
	bool own_syms;			/* syms is the session's (not the caller's) */
	uint64_t first, last;
	int nr_cpus;
	char *transport;
	char osrelease[256];
	int workload_status;
	/* live: sample id -> evsel, sorted by id (evsels may differ in sample layout) */
	struct id_evsel { uint64_t id; int idx; } *ids;
	int nr_ids;
	bool workload_exited;
	bool targets_gone;		/* live, -p/-t: every target thread exited */
	uint64_t unknown_samples, bad_samples;
	/* lost events: sums of LOST and of LOST_SAMPLES records, and what was passed on */
	uint64_t lost_records, lost_samples, lost_given;
	const struct perf_event_header *cached_hdr;
	const struct pd_attr *cached_attr;
};

static struct session *session_new(void)
{
	struct session *s = xcalloc(1, sizeof(*s));
	s->workload_status = -1;
	return s;
}

/* "transport=..." out of the HEADER_TLBSTAT note */
static char *note_value(const char *note, size_t len, const char *key)
{
	size_t kl = strlen(key);
	const char *p = note, *end = note + len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t ll = eol ? (size_t)(eol - p) : strnlen(p, (size_t)(end - p));
		if (ll > kl && !strncmp(p, key, kl) && p[kl] == '=') {
			char *v = xmalloc(ll - kl);
			memcpy(v, p + kl + 1, ll - kl - 1);
			v[ll - kl - 1] = '\0';
			return v;
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	return NULL;
}

struct session *session_open_file(const char *path, char *err, size_t errlen)
{
	struct session *s = session_new();
	const void *td;
	size_t len;
	uint32_t on, av;
	const char *str;

	s->rd = pd_open(path, err, errlen);
	if (!s->rd)
		goto fail;
	s->syms = syms_new(0);
	s->own_syms = true;
	if (!s->syms) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	td = pd_tracing_data(s->rd, &len);
	if (td) {
		char terr[256];
		s->tep = tdata_read(td, len, s->syms, terr, sizeof(terr));
		if (!s->tep) {
			snprintf(err, errlen, "%s: bad tracing data section: %s", path, terr);
			goto fail;
		}
		if (pd_truncated(s->rd))
			tlb_warn("%s was not finished (recording killed?): reading up to its last "
				 "complete record", path);
	} else {
		/* a killed recording has no features: decode with this machine's formats */
		const char *names[64];
		int n = 0;
		for (int i = 0; i < pd_nr_attrs(s->rd) && n < 64; i++)
			if (pd_attr(s->rd, i)->name)
				names[n++] = pd_attr(s->rd, i)->name;
		if (n == 0) {
			/* no names either: record's default set */
			size_t nr;
			const struct tlb_event_def *defs = tlb_events_table(&nr);

			for (size_t i = 0; i < nr && n < 64; i++)
				if (defs[i].uses & TLB_EVU_RECORD)
					names[n++] = defs[i].tracepoint;
		}
		s->tep = tdata_tep_from_tracefs(names, n);
		/* the function addresses are this boot's, if any: /proc/kallsyms when first needed */
		syms_want_proc(s->syms);
		if (!s->tep) {
			snprintf(err, errlen, "%s has no tracing data and this machine's tracefs "
				 "cannot stand in for it", path);
			goto fail;
		}
		tlb_warn("%s has no tracing data (recording cut short?): decoding with this "
			 "machine's tracepoint formats", path);
	}
	s->dec = tlb_decoder_new(s->tep, s->syms);
	if (!s->dec) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (pd_nr_cpus(s->rd, &on, &av))
		s->nr_cpus = (int)on;
	if ((str = pd_feature_string(s->rd, HEADER_OSRELEASE)))
		snprintf(s->osrelease, sizeof(s->osrelease), "%s", str);
	{
		const uint8_t *note = pd_feature_blob(s->rd, HEADER_TLBSTAT, &len);
		if (note && len > 4)
			s->transport = note_value((const char *)note + 4, len - 4, "transport");
	}
	return s;
fail:
	session_close(s);
	return NULL;
}

static int cmp_id(const void *a, const void *b)
{
	uint64_t x = ((const struct id_evsel *)a)->id, y = ((const struct id_evsel *)b)->id;
	return (x > y) - (x < y);
}

struct session *session_open_live(struct tlb_evlist *el)
{
	return session_open_live_syms(el, NULL);
}

struct session *session_open_live_syms(struct tlb_evlist *el, struct syms *syms)
{
	struct session *s = session_new();
	const char *names[64];
	char full[64][130];
	struct utsname u;
	int n = 0;

	for (int i = 0; i < el->nr_evsels && n < 64; i++) {
		snprintf(full[n], sizeof(full[n]), "%s:%s", el->evsels[i].sys, el->evsels[i].name);
		names[n] = full[n];
		n++;
	}
	s->el = el;
	s->tep = tdata_tep_from_tracefs(names, n);
	if (!s->tep) {
		tlb_err("cannot parse the tracepoint formats from tracefs");
		free(s);
		return NULL;
	}
	s->syms = syms;
	if (!syms) {
		s->syms = syms_new(0);
		s->own_syms = true;
		syms_want_proc(s->syms);
	}
	s->dec = tlb_decoder_new(s->tep, s->syms);
	if (!s->dec) {
		tlb_err("out of memory");
		session_close(s);
		return NULL;
	}
	tlb_decoder_load_symbols(s->dec);	/* now, not in the middle of the first drain */
	for (int i = 0; i < el->nr_evsels; i++) {
		uint64_t *ids;
		int k = tlb_evlist_ids(el, i, &ids);
		s->ids = xrealloc(s->ids, sizeof(*s->ids) * (size_t)(s->nr_ids + k));
		for (int j = 0; j < k; j++)
			s->ids[s->nr_ids++] = (struct id_evsel){ ids[j], i };
		free(ids);
	}
	qsort(s->ids, (size_t)s->nr_ids, sizeof(*s->ids), cmp_id);
	s->nr_cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	uname(&u);
	snprintf(s->osrelease, sizeof(s->osrelease), "%s", u.release);
	return s;
}

void session_close(struct session *s)
{
	if (!s)
		return;
	if (s->dec)
		tlb_decoder_free(s->dec);
	if (s->tep)
		tep_free(s->tep);
	if (s->own_syms)
		syms_free(s->syms);
	pd_close(s->rd);
	free(s->ids);
	free(s->transport);
	free(s);
}

/* The sample_type of the attr a record belongs to. */
static bool record_sample_type(struct session *s, const struct perf_event_header *hdr,
			       uint64_t *st, bool *id_all)
{
	if (s->rd) {
		/* asked twice per record (its time when queued, then its delivery): remember one */
		const struct pd_attr *a = hdr == s->cached_hdr ? s->cached_attr : pd_attr_of(s->rd, hdr);
		s->cached_hdr = hdr;
		s->cached_attr = a;
		if (!a)
			return false;
		*st = a->attr.sample_type;
		*id_all = a->attr.sample_id_all;
		return true;
	}
	/* live: the identifier sits first (samples) or last (others) in every layout */
	{
		const struct perf_event_attr *a0 = &s->el->evsels[0].attr;
		struct id_evsel key, *hit;
		if (!sample_record_id(hdr, a0->sample_type, a0->sample_id_all, &key.id))
			return false;
		hit = bsearch(&key, s->ids, (size_t)s->nr_ids, sizeof(*s->ids), cmp_id);
		if (!hit)
			return false;
		*st = s->el->evsels[hit->idx].attr.sample_type;
		*id_all = s->el->evsels[hit->idx].attr.sample_id_all;
		return true;
	}
}

static void seen_time(struct session *s, uint64_t t)
{
	if (!t)
		return;
	if (!s->first || t < s->first)
		s->first = t;
	if (t > s->last)
		s->last = t;
}

static void process(struct session *s, const struct perf_event_header *hdr,
		    const struct session_ops *ops, void *ctx)
{
	uint64_t st = 0;
	bool id_all = false;
	struct tlb_sample smp;

	bool known = hdr->type < PERF_RECORD_MAX && record_sample_type(s, hdr, &st, &id_all);

	if (ops->raw)
		ops->raw(ctx, hdr);
	switch (hdr->type) {
	case PERF_RECORD_SAMPLE: {
		struct tlb_event ev;
		if (!known) {
			s->unknown_samples++;
			return;
		}
		if (sample_parse(hdr, st, &smp) < 0 || !smp.raw) {
			s->bad_samples++;
			return;
		}
		seen_time(s, smp.time);
		if (tlb_decode(s->dec, &smp, &ev) != EV_OTHER && ops->event)
			ops->event(ctx, &ev);
		break;
	}
	case PERF_RECORD_COMM: {
		const struct { uint32_t pid, tid; char comm[]; } *c = (const void *)(hdr + 1);
		char comm[17];
		size_t room = hdr->size - sizeof(*hdr) - 8;
		if (hdr->size < sizeof(*hdr) + 8)
			return;
		snprintf(comm, sizeof(comm), "%.*s", (int)strnlen(c->comm, room < 16 ? room : 16),
			 c->comm);
		smp.time = 0;
		if (known && id_all)
			sample_id_trailer(hdr, st, &smp);
		if (ops->comm)
			ops->comm(ctx, (pid_t)c->pid, (pid_t)c->tid, comm, smp.time);
		break;
	}
	case PERF_RECORD_FORK:
	case PERF_RECORD_EXIT: {
		const struct { uint32_t pid, ppid, tid, ptid; uint64_t time; } *f = (const void *)(hdr + 1);
		if (hdr->size < sizeof(*hdr) + sizeof(*f))
			return;
		if (hdr->type == PERF_RECORD_FORK && ops->fork)
			ops->fork(ctx, (pid_t)f->pid, (pid_t)f->ppid, (pid_t)f->tid, f->time);
		if (hdr->type == PERF_RECORD_EXIT && ops->exit)
			ops->exit(ctx, (pid_t)f->pid, (pid_t)f->tid, f->time);
		break;
	}
	case PERF_RECORD_LOST:
	case PERF_RECORD_LOST_SAMPLES: {
		/*
		 * The same drops, counted twice: the kernel's LOST records in the ring buffers, and
		 * the LOST_SAMPLES records perf record (and tlbstat record) write at the end from the
		 * same count. Pass on what raises max(sum of LOST, sum of LOST_SAMPLES).
		 */
		const uint64_t *l = (const void *)(hdr + 1);
		bool is_lost = hdr->type == PERF_RECORD_LOST;
		uint64_t total;
		if (hdr->size < sizeof(*hdr) + (is_lost ? 16 : 8))
			return;
		if (is_lost)
			s->lost_records += l[1];
		else
			s->lost_samples += l[0];
		total = s->lost_records > s->lost_samples ? s->lost_records : s->lost_samples;
		if (total > s->lost_given && ops->lost)
			ops->lost(ctx, total - s->lost_given);
		if (total > s->lost_given)
			s->lost_given = total;
		break;
	}
	case PERF_RECORD_FINISHED_ROUND:
		if (ops->round)
			ops->round(ctx);
		break;
	default:
		break;
	}
}

/*
 * Time order for files. perf writes each drain of the per-CPU buffers as it comes (CPU after
 * CPU) and ends it with FINISHED_ROUND; a record can only be older than the previous round's
 * newest one by being in the current round. So, as perf does: queue records (copied), and at
 * each FINISHED_ROUND deliver, in time order, those no newer than the previous round's newest.
 * The queue points into the file mapping, which the reader keeps resident from the oldest queued
 * record on (pd_pin). Memory: about two rounds of records, whatever the file size.
 */
struct oq_item {
	uint64_t time, seq;
	const struct perf_event_header *hdr;	/* in the reader's mapping, pinned (pd_pin) */
	const struct pd_attr *attr;		/* its event, found when it was queued */
};

struct ordered_queue {
	struct oq_item *items;
	size_t n, cap;
	uint64_t seq, max_time, limit, last_time;
	bool unsorted;
};

static int cmp_oq(const void *a, const void *b)
{
	const struct oq_item *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The time a record carries (0 when none: such records go first). */
static uint64_t record_time(struct session *s, const struct perf_event_header *hdr)
{
	uint64_t st;
	bool id_all;
	struct tlb_sample smp;

	if (hdr->type == PERF_RECORD_FINISHED_ROUND || !record_sample_type(s, hdr, &st, &id_all))
		return 0;
	if (hdr->type == PERF_RECORD_SAMPLE)
		return sample_parse(hdr, st & ~(uint64_t)(PERF_SAMPLE_READ | PERF_SAMPLE_CALLCHAIN |
							 PERF_SAMPLE_RAW), &smp) ? 0 : smp.time;
	if (hdr->type == PERF_RECORD_FORK || hdr->type == PERF_RECORD_EXIT) {
		uint64_t t;
		if (hdr->size < sizeof(*hdr) + 24)
			return 0;
		memcpy(&t, (const char *)(hdr + 1) + 16, 8);
		return t;
	}
	if (id_all && hdr->type < PERF_RECORD_MAX && sample_id_trailer(hdr, st, &smp) == 0)
		return smp.time;
	return 0;
}

static void oq_push(struct session *s, struct ordered_queue *q, const struct perf_event_header *hdr,
		    uint64_t t)
{
	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 4096;
		q->items = xrealloc(q->items, q->cap * sizeof(*q->items));
	}
	if (q->n == 0)
		pd_pin(s->rd, hdr);	/* the reader keeps the mapping from here on resident */
	if (t < q->last_time)
		q->unsorted = true;
	q->last_time = t;
	q->items[q->n++] = (struct oq_item){ t, q->seq++, hdr,
					     hdr == s->cached_hdr ? s->cached_attr : NULL };
	if (t > q->max_time)
		q->max_time = t;
}

/*
 * Sort the queue by (time, seq). A round is one sorted run per CPU buffer, so merge the runs
 * (natural merge sort: linear for few runs) rather than sorting from scratch.
 */
static void oq_sort(struct ordered_queue *q)
{
	struct oq_item *a = q->items, *tmp;
	size_t n = q->n;

	if (n < 2)
		return;
	tmp = xmalloc(n * sizeof(*tmp));
	for (;;) {
		size_t runs = 0, i = 0, out = 0;
		while (i < n) {
			size_t mid = i + 1, end;
			while (mid < n && cmp_oq(&a[mid - 1], &a[mid]) <= 0)
				mid++;
			end = mid;
			if (end < n) {
				end++;
				while (end < n && cmp_oq(&a[end - 1], &a[end]) <= 0)
					end++;
			}
			/* merge a[i..mid) and a[mid..end) into tmp[out..] */
			for (size_t x = i, y = mid; x < mid || y < end;)
				tmp[out++] = (y >= end || (x < mid && cmp_oq(&a[x], &a[y]) <= 0)) ? a[x++]
												: a[y++];
			runs++;
			i = end;
		}
		{
			struct oq_item *t = a;
			a = tmp;
			tmp = t;
		}
		if (runs <= 1)
			break;
	}
	if (a != q->items) {
		memcpy(q->items, a, n * sizeof(*a));
		tmp = a;
	}
	free(tmp);
}

/* Deliver queued records with time <= limit (all with everything), in time order. */
static void oq_flush(struct session *s, struct ordered_queue *q, bool everything,
		     const struct session_ops *ops, void *ctx)
{
	size_t k = 0;

	if (q->unsorted)
		oq_sort(q);
	while (k < q->n && (everything || q->items[k].time <= q->limit)) {
		s->cached_hdr = q->items[k].attr ? q->items[k].hdr : NULL;
		s->cached_attr = q->items[k].attr;
		process(s, q->items[k++].hdr, ops, ctx);
	}
	memmove(q->items, q->items + k, (q->n - k) * sizeof(*q->items));
	q->n -= k;
	/* the rest is sorted; the oldest file position still queued stays pinned */
	q->unsorted = false;
	q->last_time = q->n ? q->items[q->n - 1].time : 0;
	{
		const struct perf_event_header *oldest = NULL;
		for (size_t i = 0; i < q->n; i++)
			if (!oldest || (const char *)q->items[i].hdr < (const char *)oldest)
				oldest = q->items[i].hdr;
		pd_pin(s->rd, oldest);
	}
}

static int run_file(struct session *s, const struct session_ops *ops, void *ctx,
		    volatile bool *stop, char *err, size_t errlen)
{
	const struct perf_event_header *hdr;
	struct ordered_queue q = { 0 };
	uint64_t next_tick = 0;
	int r;

	while ((r = pd_next(s->rd, &hdr, err, errlen)) > 0) {
		if (hdr->type == PERF_RECORD_FINISHED_ROUND) {
			oq_flush(s, &q, false, ops, ctx);
			q.limit = q.max_time;
			if (ops->raw)
				ops->raw(ctx, hdr);
			if (ops->round)
				ops->round(ctx);
		} else {
			oq_push(s, &q, hdr, record_time(s, hdr));
		}
		if (ops->tick && ops->tick_ns && s->last >= next_tick) {
			if (next_tick)
				ops->tick(ctx, s->last);
			next_tick = s->last + ops->tick_ns;
		}
		if (stop && *stop)
			break;
	}
	/* what is left, also after a corrupt record: everything before it is delivered */
	oq_flush(s, &q, true, ops, ctx);
	free(q.items);
	if (ops->round)
		ops->round(ctx);
	return r < 0 ? -1 : 0;
}

/* Read every ring buffer once; returns the number of records. */
static uint64_t drain(struct session *s, const struct session_ops *ops, void *ctx)
{
	struct perf_mmap *map;
	uint64_t n = 0;

	perf_evlist__for_each_mmap(s->el->evlist, map, false) {
		union perf_event *ev;
		if (perf_mmap__read_init(map) < 0)
			continue;
		/*
		 * The tail moves after every record (process() keeps no pointer into the buffer):
		 * holding it until the whole snapshot was processed left the kernel only what was
		 * free when the drain began, and at 400k-800k events/s the buffers overflowed
		 * during the drain (perf record, which writes and consumes chunk by chunk, lost
		 * nothing). read_event re-reads the head each time, so this also takes in what
		 * arrives meanwhile.
		 */
		while ((ev = perf_mmap__read_event(map)) != NULL) {
			process(s, &ev->header, ops, ctx);
			perf_mmap__consume(map);
			n++;
		}
		perf_mmap__read_done(map);
	}
	if (ops->round)
		ops->round(ctx);
	return n;
}

static int run_live(struct session *s, const struct session_ops *ops, void *ctx,
		    volatile bool *stop, pid_t workload)
{
	uint64_t next_tick = ops->tick_ns ? now_ns() + ops->tick_ns : 0;

	for (;;) {
		int timeout = 100;
		uint64_t now;
		if (stop && *stop)
			break;
		if (workload > 0 && !s->workload_exited) {
			int status;
			if (waitpid(workload, &status, WNOHANG) == workload) {
				s->workload_exited = true;
				s->workload_status = status;
			}
		}
		if (s->workload_exited)
			break;
		if (next_tick) {
			now = now_ns();
			timeout = now >= next_tick ? 0 : (int)((next_tick - now) / 1000000) + 1;
			if (timeout > 100)
				timeout = 100;
		}
		drain(s, ops, ctx);
		if (!tlb_evlist_poll(s->el, timeout)) {
			/* every target thread exited (-p/-t), or the per-task workload did */
			s->targets_gone = true;
			if (workload > 0 && !s->workload_exited) {
				int status;
				if (waitpid(workload, &status, 0) == workload) {
					s->workload_exited = true;
					s->workload_status = status;
				}
			}
			break;
		}
		if (next_tick && (now = now_ns()) >= next_tick) {
			ops->tick(ctx, now);
			next_tick += ops->tick_ns;
			if (next_tick < now)
				next_tick = now + ops->tick_ns;
		}
	}
	/* what is still in the buffers belongs to the run */
	tlb_evlist_disable(s->el);
	drain(s, ops, ctx);
	return 0;
}

int session_run(struct session *s, const struct session_ops *ops, void *ctx,
		volatile bool *stop, pid_t workload_pid, char *err, size_t errlen)
{
	if (s->rd)
		return run_file(s, ops, ctx, stop, err, errlen);
	return run_live(s, ops, ctx, stop, workload_pid);
}

uint64_t session_first_time(const struct session *s) { return s->first; }
uint64_t session_last_time(const struct session *s) { return s->last; }
int session_nr_cpus(const struct session *s) { return s->nr_cpus; }
const char *session_osrelease(const struct session *s) { return s->osrelease[0] ? s->osrelease : NULL; }
const char *session_transport(const struct session *s) { return s->transport; }
struct pd_reader *session_reader(struct session *s) { return s->rd; }
const struct pd_attr *session_record_attr(const struct session *s) { return s->cached_attr; }
struct tep_handle *session_tep(struct session *s) { return s->tep; }
int session_workload_status(const struct session *s) { return s->workload_status; }
uint64_t session_bad_samples(const struct session *s) { return s->bad_samples + s->unknown_samples; }
