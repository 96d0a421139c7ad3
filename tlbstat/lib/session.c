// SPDX-License-Identifier: GPL-2.0
/*
 * The stream: records from live ring buffers (libperf mmaps, drained in a poll loop) or from a
 * perf.data file or stream (perf's pipe form, lib/perfpipe), samples parsed and decoded into
 * tlb_events, handed to session_ops.
 */
#include "session.h"
#include "event.h"
#include "evlist.h"
#include "perfdata.h"
#include "perfpipe.h"
#include "symbols.h"
#include "tracing-data.h"
#include "sample.h"
#include "util.h"
#include "workload.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <perf/evlist.h>
#include <perf/event.h>
#include <perf/mmap.h>
#include <internal/evlist.h>
#include <api/fd/array.h>
#include <traceevent/event-parse.h>

/* A consumer's descriptor (session_add_fd); live, also an entry of the evlist's pollfd array. */
struct session_fd {
	int fd;
	short events;
	int (*cb)(void *ctx, int fd, short revents);
	void *ctx;
	int pos;			/* live: its entry in the evlist's pollfd array, or -1 */
	bool gone;			/* hung up or failed: no longer polled */
};

struct session {
	struct pd_reader *rd;		/* a file's reader, or a stream's header (pp_header) */
	struct pp_reader *pp;		/* a stream: records come from here */
	char name[256];			/* the file or stream, for messages */
	struct tlb_evlist *el;
	struct tep_handle *tep;
	struct tlb_decoder *dec;
	struct syms *syms;		/* kernel symbols for the decoder */
	bool own_syms;			/* syms is the session's (not the caller's) */
	uint64_t first, last;
	int nr_cpus;
	char *transport;
	char osrelease[256];
	/* live: one descriptor per evsel, and sample id -> evsel sorted by id */
	struct pd_attr *live_attrs;
	struct id_evsel { uint64_t id; int idx; } *ids;
	int nr_ids;
	/* the ids of one open are near each other: idx by id - id_base, -1 none (NULL: bsearch) */
	int *id_direct;
	uint64_t id_base, id_span;
	struct session_fd *fds;
	int nr_fds;
	bool targets_gone;		/* live, -p/-t: every target thread exited */
	uint64_t unknown_samples, bad_samples;
	/*
	 * Samples per event (counted before parsing): by index in the events' array (the file's or
	 * the stream's, or live_attrs), and the indexes in the order of each one's first sample,
	 * nr_attrs standing for samples of no known event (session_event_samples)
	 */
	const struct pd_attr *attrs;
	int nr_attrs;
	uint64_t *attr_samples;		/* nr_attrs + 1 */
	int *seen_order;		/* nr_attrs + 1 */
	int nr_seen;
	/* lost events: sums of LOST and of LOST_SAMPLES records, and what was passed on */
	uint64_t lost_records, lost_samples, lost_given;
	/* the fixed fields' places for the sample_types seen (a file has one or a few) */
	struct sample_layout layouts[4];
	int next_layout;
	const struct sample_layout *last_layout;	/* the one layout_of gave last */
	/*
	 * A file's samples with IDENTIFIER first (id_first): their event by id, direct-mapped in
	 * front of pd_attr_of (a file's ids are a few close numbers; its attrs never move).
	 */
	bool id_first;
	struct { uint64_t id; const struct pd_attr *attr; } id_cache[16];
};

static struct session *session_new(void)
{
	return calloc(1, sizeof(struct session));
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
			char *v = malloc(ll - kl);
			if (!v)
				return NULL;
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

/* The per-event sample counts for the events attrs[0, nr). -1 when out of memory. */
static int count_events(struct session *s, const struct pd_attr *attrs, int nr)
{
	s->attrs = attrs;
	s->nr_attrs = nr;
	s->attr_samples = calloc((size_t)nr + 1, sizeof(*s->attr_samples));
	s->seen_order = calloc((size_t)nr + 1, sizeof(*s->seen_order));
	return s->attr_samples && s->seen_order ? 0 : -1;
}

/* The decoder and the source's facts from s->rd (a file's reader or a stream's header). */
static int open_reader(struct session *s, const char *path, char *err, size_t errlen)
{
	const void *td;
	size_t len;
	uint32_t on, av;
	const char *str;

	s->id_first = pd_nr_attrs(s->rd) > 0 &&
		      (pd_attr(s->rd, 0)->attr.sample_type & PERF_SAMPLE_IDENTIFIER);
	if (count_events(s, pd_nr_attrs(s->rd) > 0 ? pd_attr(s->rd, 0) : NULL,
			 pd_nr_attrs(s->rd)) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
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
	return 0;
fail:
	return -1;
}

/* A file in the pipe form (perf record -o - > file): 16 bytes, PERFILE2 and size 16. */
static bool pipe_form_file(int fd)
{
	uint64_t h[2];

	return pread(fd, h, sizeof(h), 0) == sizeof(h) && !memcmp(h, "PERFILE2", 8) && h[1] == 16;
}

struct session *session_open_file(const char *path, char *err, size_t errlen)
{
	struct session *s;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer (the caller chooses streams) */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file%s", path, S_ISFIFO(st.st_mode) ?
			 " (a FIFO: read it as a stream)" : "");
		close(fd);
		return NULL;
	}
	if (fd >= 0 && pipe_form_file(fd))
		return session_open_stream(fd, path, err, errlen);
	if (fd >= 0)
		close(fd);
	s = session_new();
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(s->name, sizeof(s->name), "%s", path);
	s->rd = pd_open(path, err, errlen);
	if (!s->rd || open_reader(s, path, err, errlen) < 0) {
		session_close(s);
		return NULL;
	}
	return s;
}

struct session *session_open_stream(int fd, const char *name, char *err, size_t errlen)
{
	struct session *s = session_new();

	if (!s) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return NULL;
	}
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->pp = pp_open(fd, name, err, errlen);
	if (!s->pp) {
		session_close(s);
		return NULL;
	}
	s->rd = pp_header(s->pp);
	if (open_reader(s, name, err, errlen) < 0) {
		session_close(s);
		return NULL;
	}
	return s;
}

static int cmp_id(const void *a, const void *b)
{
	uint64_t x = ((const struct id_evsel *)a)->id, y = ((const struct id_evsel *)b)->id;
	return (x > y) - (x < y);
}

/* At most this many ids between the first and the last for the direct id -> evsel table. */
#define ID_DIRECT_MAX 4096

/* One descriptor per evsel (what the callbacks get as attr), and the id -> evsel table. */
static int live_attrs(struct session *s, struct tlb_evlist *el)
{
	s->live_attrs = calloc((size_t)el->nr_evsels, sizeof(*s->live_attrs));
	if (!s->live_attrs)
		return -1;
	for (int i = 0; i < el->nr_evsels; i++) {
		struct pd_attr *a = &s->live_attrs[i];
		struct id_evsel *grown;
		char full[130];

		snprintf(full, sizeof(full), "%s:%s", el->evsels[i].sys, el->evsels[i].name);
		a->attr = el->evsels[i].attr;
		a->name = strdup(full);
		a->nr_ids = tlb_evlist_ids(el, i, &a->ids);
		if (!a->name || a->nr_ids < 0)
			return -1;
		grown = realloc(s->ids, sizeof(*s->ids) * (size_t)(s->nr_ids + a->nr_ids + 1));
		if (!grown)
			return -1;
		s->ids = grown;
		for (int j = 0; j < a->nr_ids; j++)
			s->ids[s->nr_ids++] = (struct id_evsel){ a->ids[j], i };
	}
	qsort(s->ids, (size_t)s->nr_ids, sizeof(*s->ids), cmp_id);
	if (s->nr_ids && s->ids[s->nr_ids - 1].id - s->ids[0].id < ID_DIRECT_MAX) {
		s->id_base = s->ids[0].id;
		s->id_span = s->ids[s->nr_ids - 1].id - s->id_base + 1;
		s->id_direct = malloc(sizeof(*s->id_direct) * s->id_span);
		if (!s->id_direct)
			return -1;
		for (uint64_t k = 0; k < s->id_span; k++)
			s->id_direct[k] = -1;
		for (int j = 0; j < s->nr_ids; j++)
			s->id_direct[s->ids[j].id - s->id_base] = s->ids[j].idx;
	}
	return 0;
}

struct session *session_open_live(struct tlb_evlist *el, struct syms *syms, char *err,
				  size_t errlen)
{
	struct session *s = session_new();
	const char *names[64];
	char full[64][130];
	struct utsname u;
	int n = 0;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (int i = 0; i < el->nr_evsels && n < 64; i++) {
		snprintf(full[n], sizeof(full[n]), "%s:%s", el->evsels[i].sys, el->evsels[i].name);
		names[n] = full[n];
		n++;
	}
	s->el = el;
	s->tep = tdata_tep_from_tracefs(names, n);
	if (!s->tep) {
		snprintf(err, errlen, "cannot parse the tracepoint formats from tracefs");
		goto fail;
	}
	s->syms = syms;
	if (!syms) {
		s->syms = syms_new(0);
		s->own_syms = true;
		if (s->syms)
			syms_want_proc(s->syms);
	}
	s->dec = s->syms ? tlb_decoder_new(s->tep, s->syms) : NULL;
	if (!s->dec || live_attrs(s, el) < 0 ||
	    count_events(s, s->live_attrs, el->nr_evsels) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	tlb_decoder_load_symbols(s->dec);	/* now, not in the middle of the first drain */
	s->nr_cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	uname(&u);
	snprintf(s->osrelease, sizeof(s->osrelease), "%s", u.release);
	return s;
fail:
	session_close(s);
	return NULL;
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
	if (s->pp)
		pp_close(s->pp);	/* s->rd is its header */
	else
		pd_close(s->rd);
	for (int i = 0; s->live_attrs && i < s->el->nr_evsels; i++) {
		free(s->live_attrs[i].ids);
		free(s->live_attrs[i].name);
	}
	free(s->live_attrs);
	free(s->attr_samples);
	free(s->seen_order);
	free(s->ids);
	free(s->id_direct);
	free(s->fds);
	free(s->transport);
	free(s);
}

int session_add_fd(struct session *s, int fd, short events,
		   int (*cb)(void *ctx, int fd, short revents), void *ctx)
{
	struct session_fd *grown = realloc(s->fds, sizeof(*s->fds) * (size_t)(s->nr_fds + 1));
	int pos = -1;

	if (!grown)
		return -1;
	s->fds = grown;
	if (s->el) {
		/* not filterable: the evlist's hang-up filter (-p/-t targets) must not count it */
		pos = perf_evlist__add_pollfd(s->el->evlist, fd, NULL, events,
					      fdarray_flag__nonfilterable);
		if (pos < 0)
			return -1;
	}
	s->fds[s->nr_fds++] = (struct session_fd){ fd, events, cb, ctx, pos, false };
	return 0;
}

/* Run the callbacks of the descriptors that are ready; the first non-zero return. */
static int dispatch_fds(struct session *s, bool ask_poll)
{
	for (int i = 0; i < s->nr_fds; i++) {
		struct session_fd *f = &s->fds[i];
		short rev = 0;
		int r;

		if (f->gone)
			continue;
		if (ask_poll) {
			struct pollfd p = { f->fd, f->events, 0 };
			if (poll(&p, 1, 0) > 0)
				rev = p.revents;
		} else {
			struct pollfd *e = &s->el->evlist->pollfd.entries[f->pos];
			rev = e->revents;
			e->revents = 0;
		}
		if (!rev)
			continue;
		if (rev & (POLLERR | POLLHUP | POLLNVAL)) {
			f->gone = true;		/* poll reports these whatever it is asked: drop it */
			if (!ask_poll)
				s->el->evlist->pollfd.entries[f->pos].fd = -1;
		}
		r = f->cb(f->ctx, f->fd, rev);
		if (r)
			return r;
	}
	return 0;
}

/* ids sorted by id: the one equal to id, or NULL (bsearch without a call per probe: per record) */
static const struct id_evsel *id_find(const struct id_evsel *ids, int n, uint64_t id)
{
	int lo = 0, hi = n;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (ids[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && ids[lo].id == id ? &ids[lo] : NULL;
}

/* The event (attr) a record belongs to, or NULL. Inline: asked of every record as it is queued. */
static inline __attribute__((always_inline)) const struct pd_attr *
record_attr(struct session *s, const struct perf_event_header *hdr)
{
	if (s->rd) {	/* once per record: the ordered queue keeps what it found for delivery */
		uint64_t id;
		unsigned k;

		if (hdr->type != PERF_RECORD_SAMPLE || !s->id_first || hdr->size < sizeof(*hdr) + 8)
			return pd_attr_of(s->rd, hdr);
		memcpy(&id, hdr + 1, 8);	/* where pd_attr_of reads it too */
		k = (unsigned)id % ARRAY_SIZE(s->id_cache);
		if (s->id_cache[k].id != id || !s->id_cache[k].attr) {
			const struct pd_attr *a = pd_attr_of(s->rd, hdr);

			if (!a)
				return NULL;
			s->id_cache[k].id = id;
			s->id_cache[k].attr = a;
		}
		return s->id_cache[k].attr;
	}
	/* live: the identifier sits first (samples) or last (others) in every layout */
	{
		const struct perf_event_attr *a0 = &s->el->evsels[0].attr;
		struct id_evsel key;
		const struct id_evsel *hit;
		if (!sample_record_id(hdr, a0->sample_type, a0->sample_id_all, &key.id))
			return NULL;
		if (s->id_direct) {
			uint64_t k = key.id - s->id_base;

			return k < s->id_span && s->id_direct[k] >= 0 ?
			       &s->live_attrs[s->id_direct[k]] : NULL;
		}
		hit = id_find(s->ids, s->nr_ids, key.id);
		return hit ? &s->live_attrs[hit->idx] : NULL;
	}
}

/* The layout of sample_type st: found among the few kept, else worked out (round robin). */
static const struct sample_layout *layout_find(struct session *s, uint64_t st)
{
	struct sample_layout *l;

	for (size_t i = 0; i < ARRAY_SIZE(s->layouts); i++)
		if (s->layouts[i].valid && s->layouts[i].st == st)
			return s->last_layout = &s->layouts[i];
	l = &s->layouts[s->next_layout];
	s->next_layout = (s->next_layout + 1) % (int)ARRAY_SIZE(s->layouts);
	sample_layout_init(l, st);
	return s->last_layout = l;
}

/* layout_find, the last answer again first (twice per sample; a file has one type or a few) */
static inline const struct sample_layout *layout_of(struct session *s, uint64_t st)
{
	const struct sample_layout *l = s->last_layout;

	return l && l->valid && l->st == st ? l : layout_find(s, st);
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

/*
 * A sample: parsed, decoded, handed on when it is a TLB-related event. Inline in process_attr,
 * its one caller: a call and a frame per sample less.
 */
static inline __attribute__((always_inline)) int
process_sample(struct session *s, const struct perf_event_header *hdr,
	       const struct pd_attr *attr, const struct session_ops *ops, void *ctx)
{
	struct tlb_sample smp;
	struct tlb_event ev;
	/* the event's index (by address: attr is one of s->attrs); any other as unknown */
	size_t k = ((uintptr_t)attr - (uintptr_t)s->attrs) / sizeof(*attr);

	if (!attr || k >= (size_t)s->nr_attrs)
		k = (size_t)s->nr_attrs;
	if (!s->attr_samples[k]++)
		s->seen_order[s->nr_seen++] = (int)k;
	if (!attr) {
		s->unknown_samples++;
		return 0;
	}
	if (sample_parse_layout(hdr, layout_of(s, attr->attr.sample_type), &smp) < 0 || !smp.raw) {
		s->bad_samples++;
		return 0;
	}
	seen_time(s, smp.time);
	if (tlb_decode(s->dec, &smp, &ev) == EV_OTHER || !ops->event)
		return 0;
	ev.callchain = smp.callchain;
	ev.nr_callchain = smp.nr_callchain;
	ev.cgroup = smp.cgroup;
	ev.ustack = NULL;
	if (attr->attr.sample_type & (PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER)) {
		struct tlb_user_stack us;

		if (sample_parse_user(hdr, attr->attr.sample_type, attr->attr.sample_regs_user, &smp,
				      &us) == 0)
			ev.ustack = &us;
		ev.cgroup = smp.cgroup;	/* after the stack: sample_parse_user() read it */
		return ops->event(ctx, &ev, attr);
	}
	return ops->event(ctx, &ev, attr);
}

static int process_comm(const struct perf_event_header *hdr, const struct pd_attr *attr,
			const struct session_ops *ops, void *ctx)
{
	const struct { uint32_t pid, tid; char comm[]; } *c = (const void *)(hdr + 1);
	struct tlb_sample smp = { 0 };
	char comm[17];
	size_t room = hdr->size - sizeof(*hdr) - 8;

	if (hdr->size < sizeof(*hdr) + 8 || !ops->comm)
		return 0;
	copy_name(comm, sizeof(comm), c->comm, room < 16 ? room : 16);
	if (attr && attr->attr.sample_id_all)
		sample_id_trailer(hdr, attr->attr.sample_type, &smp);
	return ops->comm(ctx, (pid_t)c->pid, (pid_t)c->tid, comm, smp.time);
}

/* MMAP and MMAP2: the mapping and its path, bounded by the record's size. */
static int process_mmap(const struct perf_event_header *hdr, const struct session_ops *ops,
			void *ctx)
{
	/* MMAP2 adds maj/min/ino/generation (or a build-id) and prot/flags before the path */
	size_t fixed = 8 + 24 + (hdr->type == PERF_RECORD_MMAP2 ? 32 : 0);
	const struct { uint32_t pid, tid; uint64_t start, len, pgoff; } *m = (const void *)(hdr + 1);
	const char *path = (const char *)(hdr + 1) + fixed;
	size_t room = hdr->size - sizeof(*hdr) - fixed;
	char buf[4096];

	if (!ops->mmap || hdr->size < sizeof(*hdr) + fixed)
		return 0;
	snprintf(buf, sizeof(buf), "%.*s", (int)strnlen(path, room), path);
	return ops->mmap(ctx, (pid_t)m->pid, (pid_t)m->tid, m->start, m->len, m->pgoff, buf);
}

/* PERF_RECORD_CGROUP: an id and its path (NUL-padded), then the sample_id trailer. */
static int process_cgroup(const struct perf_event_header *hdr, const struct session_ops *ops,
			  void *ctx)
{
	size_t room = hdr->size - sizeof(*hdr) - 8;	/* the path's NUL ends it before the trailer */
	const char *path = (const char *)(hdr + 1) + 8;
	char buf[4096];
	uint64_t id;

	if (!ops->cgroup || hdr->size < sizeof(*hdr) + 8)
		return 0;
	memcpy(&id, hdr + 1, 8);
	snprintf(buf, sizeof(buf), "%.*s", (int)strnlen(path, room), path);
	return ops->cgroup(ctx, id, buf);
}

/*
 * The same drops, counted twice: the kernel's LOST records in the ring buffers, and the
 * LOST_SAMPLES records perf record (and tlbstat record) write at the end from the same count.
 * Pass on what raises max(sum of LOST, sum of LOST_SAMPLES).
 */
static int process_lost(struct session *s, const struct perf_event_header *hdr,
			const struct session_ops *ops, void *ctx)
{
	const uint64_t *l = (const void *)(hdr + 1);
	bool is_lost = hdr->type == PERF_RECORD_LOST;
	uint64_t total, given = s->lost_given;

	if (hdr->size < sizeof(*hdr) + (is_lost ? 16 : 8))
		return 0;
	if (is_lost)
		s->lost_records += l[1];
	else
		s->lost_samples += l[0];
	total = s->lost_records > s->lost_samples ? s->lost_records : s->lost_samples;
	if (total <= given)
		return 0;
	s->lost_given = total;
	return ops->lost ? ops->lost(ctx, total - given) : 0;
}

/*
 * One record (not FINISHED_ROUND) to the callbacks; their first non-zero return. attr: its event
 * when already found (the ordered queue found it), else NULL. Inline in its two callers (the
 * ordered queue's delivery, the live drain): per record a call less, and with process_sample
 * inline too the sample's path has no frame of its own (callgrind: 4.8 % fewer instructions).
 */
static inline __attribute__((always_inline)) int
process_attr(struct session *s, const struct perf_event_header *hdr, const struct pd_attr *attr,
	     const struct session_ops *ops, void *ctx)
{
	int r;

	if (!attr && hdr->type < PERF_RECORD_MAX)
		attr = record_attr(s, hdr);

	if (ops->raw && (r = ops->raw(ctx, hdr, attr)))
		return r;
	switch (hdr->type) {
	case PERF_RECORD_SAMPLE:
		return process_sample(s, hdr, attr, ops, ctx);
	case PERF_RECORD_COMM:
		return process_comm(hdr, attr, ops, ctx);
	case PERF_RECORD_FORK:
	case PERF_RECORD_EXIT: {
		const struct { uint32_t pid, ppid, tid, ptid; uint64_t time; } *f = (const void *)(hdr + 1);
		if (hdr->size < sizeof(*hdr) + sizeof(*f))
			return 0;
		if (hdr->type == PERF_RECORD_FORK && ops->fork)
			return ops->fork(ctx, (pid_t)f->pid, (pid_t)f->ppid, (pid_t)f->tid, f->time);
		if (hdr->type == PERF_RECORD_EXIT && ops->exit)
			return ops->exit(ctx, (pid_t)f->pid, (pid_t)f->tid, f->time);
		return 0;
	}
	case PERF_RECORD_LOST:
	case PERF_RECORD_LOST_SAMPLES:
		return process_lost(s, hdr, ops, ctx);
	case PERF_RECORD_MMAP:
	case PERF_RECORD_MMAP2:
		return process_mmap(hdr, ops, ctx);
	case PERF_RECORD_CGROUP:
		return process_cgroup(hdr, ops, ctx);
	default:
		return 0;
	}
}

static int process(struct session *s, const struct perf_event_header *hdr,
		   const struct session_ops *ops, void *ctx)
{
	return process_attr(s, hdr, NULL, ops, ctx);
}

/*
 * Time order for files. perf writes each drain of the per-CPU buffers as it comes (CPU after
 * CPU) and ends it with FINISHED_ROUND; a record can only be older than the previous round's
 * newest one by being in the current round. So, as perf does: queue records (copied), and at
 * each FINISHED_ROUND deliver, in time order, those no newer than the previous round's newest.
 * The queue points into the reader's buffers, which it keeps from the oldest queued record on
 * (pd_pin, pp_pin). Memory: about two rounds of records, whatever the file size.
 */
struct oq_item {
	uint64_t time, seq;
	const struct perf_event_header *hdr;	/* in the reader's buffer, pinned (pd_pin, pp_pin) */
	const struct pd_attr *attr;		/* its event, found when it was queued */
};

/* Keep records from rec on in the file's or the stream's buffers (NULL: none). */
static void src_pin(struct session *s, const void *rec)
{
	if (s->pp)
		pp_pin(s->pp, rec);
	else
		pd_pin(s->rd, rec);
}

/* The next record of a file or stream. */
static int src_next(struct session *s, const struct perf_event_header **hdr, char *err,
		    size_t errlen)
{
	return s->pp ? pp_next(s->pp, hdr, err, errlen) : pd_next(s->rd, hdr, err, errlen);
}

/*
 * Queued records are items[head, n): delivery moves head instead of moving the rest down. tmp is
 * the merge's second buffer, kept (its contents are nothing once a sort is done).
 */
struct ordered_queue {
	struct oq_item *items, *tmp;
	size_t head, n, cap, tmp_cap;
	uint64_t seq, max_time, limit, last_time;
	bool unsorted;
};

/*
 * The queue's arrays start as the two halves of one populated mapping from huge_map: a huge
 * page where THP is on (32768 items each, 1 MiB; a round of a 2-CPU file fills a few thousand),
 * which on a PVM guest costs half of what 4096 items each cost in 4 KiB pages; else 4096 items
 * each (oq_first). Growth moves an array on its own (oq_grow: mremap keeps the pages it has) and
 * maps the rest in at once.
 */
static struct oq_item *oq_grow(struct oq_item *old, size_t old_cap, size_t cap)
{
	size_t ob = old_cap * sizeof(*old), nb = cap * sizeof(*old);
	void *p = mremap(old, ob, nb, MREMAP_MAYMOVE);

	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_POPULATE_WRITE
	/* advice only: where the kernel lacks it, the pages fault in */
	madvise((char *)p + ob, nb - ob, MADV_POPULATE_WRITE);
#endif
	return p;
}

/*
 * The first items and tmp: one mapping, halved: a huge page (32768 items each), or where THP is
 * off 4096 items each. -1 when out of memory.
 */
static int oq_first(struct ordered_queue *q)
{
	size_t got;
	uint8_t *p = huge_map(2 * 4096 * sizeof(struct oq_item), true, &got);

	if (!p)
		return -1;
	q->items = (struct oq_item *)p;
	q->tmp = (struct oq_item *)(p + got / 2);
	q->cap = q->tmp_cap = got / 2 / sizeof(struct oq_item);
	return 0;
}

static void oq_free(struct oq_item *items, size_t cap)
{
	if (items)
		munmap(items, cap * sizeof(*items));
}

/* The time a record carries (0 when none: such records go first); *attr its event, or NULL. */
static uint64_t record_time(struct session *s, const struct perf_event_header *hdr,
			   const struct pd_attr **attr)
{
	const struct pd_attr *a;
	uint64_t st;
	struct tlb_sample smp;

	*attr = NULL;
	if (hdr->type == PERF_RECORD_FINISHED_ROUND || hdr->type >= PERF_RECORD_MAX ||
	    !(a = record_attr(s, hdr)))
		return 0;
	*attr = a;
	st = a->attr.sample_type;
	if (hdr->type == PERF_RECORD_SAMPLE)	/* the time among the fixed fields, or 0 */
		return sample_layout_time(hdr, layout_of(s, st));
	if (hdr->type == PERF_RECORD_FORK || hdr->type == PERF_RECORD_EXIT) {
		uint64_t t;
		if (hdr->size < sizeof(*hdr) + 24)
			return 0;
		memcpy(&t, (const char *)(hdr + 1) + 16, 8);
		return t;
	}
	if (a->attr.sample_id_all && sample_id_trailer(hdr, st, &smp) == 0)
		return smp.time;
	return 0;
}

static int oq_push(struct session *s, struct ordered_queue *q, const struct perf_event_header *hdr,
		   uint64_t t, const struct pd_attr *attr)
{
	if (q->n == q->cap) {
		if (!q->cap) {
			if (oq_first(q) < 0)
				return -1;
		} else if (q->head >= q->cap / 2) {	/* delivered half or more: reuse it */
			memmove(q->items, q->items + q->head, (q->n - q->head) * sizeof(*q->items));
			q->n -= q->head;
			q->head = 0;
		} else {
			size_t cap = q->cap * 2;
			struct oq_item *grown = oq_grow(q->items, q->cap, cap);

			if (!grown)
				return -1;
			q->items = grown;
			q->cap = cap;
		}
	}
	if (q->n == q->head)
		src_pin(s, hdr);	/* the reader keeps the records from here on */
	if (t < q->last_time)
		q->unsorted = true;
	q->last_time = t;
	q->items[q->n++] = (struct oq_item){ t, q->seq++, hdr, attr };
	if (t > q->max_time)
		q->max_time = t;
	return 0;
}

static inline bool oq_less(const struct oq_item *x, const struct oq_item *y)
{
	return x->time < y->time || (x->time == y->time && x->seq < y->seq);
}

/*
 * Merge the sorted runs src[run[i], run[i + 1]) (nr of them, at most OQ_WAYS) into dst. A run
 * that ends leaves the set (the last takes its place: (time, seq) has no ties, so the order of
 * the heads does not matter); the last run left is copied whole.
 */
#define OQ_WAYS 8
static void oq_merge(const struct oq_item *src, const size_t *run, int nr, struct oq_item *dst)
{
	struct { const struct oq_item *p, *end; } h[OQ_WAYS];
	int k = 0;

	for (int i = 0; i < nr; i++)
		if (run[i] < run[i + 1]) {
			h[k].p = src + run[i];
			h[k++].end = src + run[i + 1];
		}
	while (k > 2) {
		int best = 0;

		for (int i = 1; i < k; i++)
			if (oq_less(h[i].p, h[best].p))
				best = i;
		*dst++ = *h[best].p++;
		if (h[best].p == h[best].end)
			h[best] = h[--k];
	}
	if (k == 2) {
		/* two runs: without branches on the data (interleaved CPUs mispredict them) */
		const struct oq_item *a = h[0].p, *ae = h[0].end, *b = h[1].p, *be = h[1].end;

		while (a < ae && b < be) {
			bool tb = oq_less(b, a);

			*dst++ = tb ? *b : *a;
			b += tb;
			a += !tb;
		}
		h[0].p = a < ae ? a : b;
		h[0].end = a < ae ? ae : be;
		k = 1;
	}
	if (k == 1)
		memcpy(dst, h[0].p, (size_t)(h[0].end - h[0].p) * sizeof(*dst));
}

/*
 * Sort the queue by (time, seq). A round is one sorted run per CPU buffer (and what the last
 * round left, sorted), so merge the runs (natural merge sort: linear for few runs) rather than
 * sorting from scratch: up to OQ_WAYS runs at a time, so a 2-CPU round is one pass. The result
 * lands in tmp or in place; the buffers swap rather than copy back.
 */
static int oq_sort(struct ordered_queue *q)
{
	size_t n = q->n - q->head;
	struct oq_item *src = q->items + q->head, *dst;

	if (n < 2)
		return 0;
	if (q->tmp_cap < q->cap) {
		struct oq_item *t = oq_grow(q->tmp, q->tmp_cap, q->cap);

		if (!t)
			return -1;
		q->tmp = t;
		q->tmp_cap = q->cap;
	}
	dst = q->tmp;
	for (;;) {
		size_t run[OQ_WAYS + 1], i = 0, out = 0;
		int passes_runs = 0;

		while (i < n) {
			int nr = 0;

			run[0] = i;
			while (i < n && nr < OQ_WAYS) {
				i++;
				while (i < n && !oq_less(&src[i], &src[i - 1]))
					i++;
				run[++nr] = i;
			}
			oq_merge(src, run, nr, dst + out);
			out = i;
			passes_runs++;
		}
		{
			struct oq_item *t = src;

			src = dst;
			dst = t;
		}
		if (passes_runs <= 1)
			break;
	}
	if (src == q->tmp) {	/* sorted into tmp: it becomes the queue */
		struct oq_item *t = q->items;
		size_t c = q->cap;

		q->items = q->tmp;
		q->cap = q->tmp_cap;
		q->tmp = t;
		q->tmp_cap = c;
		q->n = n;
		q->head = 0;
	}
	return 0;
}

/*
 * Deliver queued records with time <= limit (all with everything), in time order. Returns the
 * first non-zero callback return (the rest stays queued), or 0; *oom when sorting failed.
 */
static int oq_flush(struct session *s, struct ordered_queue *q, bool everything,
		    const struct session_ops *ops, void *ctx, bool *oom)
{
	const struct oq_item *oldest = NULL;
	size_t k = 0;
	int r = 0;

	if (q->unsorted && oq_sort(q) < 0) {
		*oom = true;
		return 0;
	}
	k = q->head;
	while (!r && k < q->n && (everything || q->items[k].time <= q->limit)) {
		const struct oq_item *it = &q->items[k++];

		r = process_attr(s, it->hdr, it->attr, ops, ctx);	/* NULL: looked for again */
	}
	q->head = k;
	if (q->head == q->n)
		q->head = q->n = 0;
	/*
	 * The rest is sorted; the first read of those still queued stays pinned: by seq (read
	 * order), not by address (a stream's copies sit in chunks in no address order).
	 */
	q->unsorted = false;
	q->last_time = q->n > q->head ? q->items[q->n - 1].time : 0;
	for (size_t i = q->head; i < q->n; i++)
		if (!oldest || q->items[i].seq < oldest->seq)
			oldest = &q->items[i];
	src_pin(s, oldest ? oldest->hdr : NULL);
	return r;
}

/*
 * A stream's records are copies in memory (a file's stay in the file): when the queue and the
 * copies pass STREAM_WINDOW before a FINISHED_ROUND comes (a stream without rounds, or rounds
 * larger than the window), the older half of the queue by time is delivered, as perf's
 * ordered_events does at its memory limit: order holds unless a later record is older than that
 * half's newest.
 */
#define STREAM_WINDOW (64u << 20)

static int oq_flush_half(struct session *s, struct ordered_queue *q,
			 const struct session_ops *ops, void *ctx, bool *oom)
{
	uint64_t median;

	if (q->unsorted && oq_sort(q) < 0) {
		*oom = true;
		return 0;
	}
	q->unsorted = false;
	median = q->items[q->head + (q->n - q->head) / 2].time;
	if (median > q->limit)
		q->limit = median;
	return oq_flush(s, q, false, ops, ctx, oom);
}

/* A file's descriptors are looked at without waiting, this often (records) and at each round. */
#define FILE_FD_CHECK 4096

/* One record of a file: queued, or (FINISHED_ROUND) the round delivered. */
static int file_record(struct session *s, struct ordered_queue *q, const struct perf_event_header *hdr,
		       const struct session_ops *ops, void *ctx, bool *oom)
{
	int r;

	if (hdr->type != PERF_RECORD_FINISHED_ROUND) {
		const struct pd_attr *a;
		uint64_t t = record_time(s, hdr, &a);

		if (oq_push(s, q, hdr, t, a) < 0)
			*oom = true;
		if (s->pp && !*oom && pp_held(s->pp) + (q->n - q->head) * sizeof(*q->items) >
		    STREAM_WINDOW)
			return oq_flush_half(s, q, ops, ctx, oom);
		return 0;
	}
	r = oq_flush(s, q, false, ops, ctx, oom);
	q->limit = q->max_time;
	if (!r && ops->round)
		r = ops->round(ctx);
	if (!r)
		r = dispatch_fds(s, true);
	return r;
}

/* A truncated file read to its end: say how much of it was lost. */
static void warn_extent(const struct pd_reader *rd)
{
	uint64_t nr, off, size;

	pd_extent(rd, &nr, &off, &size);
	if (off < size)
		tlb_warn("read %llu records up to offset %llu of %llu bytes; the last %llu bytes "
			 "are an incomplete record", (unsigned long long)nr, (unsigned long long)off,
			 (unsigned long long)size, (unsigned long long)(size - off));
	else
		tlb_warn("read %llu records up to the end of the file (%llu bytes): none incomplete",
			 (unsigned long long)nr, (unsigned long long)size);
}

static int run_file(struct session *s, const struct session_ops *ops, void *ctx,
		    volatile bool *stop, char *err, size_t errlen)
{
	const struct perf_event_header *hdr;
	struct ordered_queue q = { 0 };
	uint64_t next_tick = 0, nr = 0;
	bool oom = false;
	int r = 0, cb = 0;

	while (!cb && !oom && (r = src_next(s, &hdr, err, errlen)) > 0) {
		cb = file_record(s, &q, hdr, ops, ctx, &oom);
		if (!cb && ops->tick && ops->tick_ns && s->last >= next_tick) {
			if (next_tick)
				cb = ops->tick(ctx, s->last);
			next_tick = s->last + ops->tick_ns;
		}
		if (!cb && ++nr % FILE_FD_CHECK == 0)
			cb = dispatch_fds(s, true);
		if (stop && *stop)
			break;
	}
	/* what is left, also after a corrupt record: everything before it is delivered */
	if (!cb && !oom)
		cb = oq_flush(s, &q, true, ops, ctx, &oom);
	oq_free(q.items, q.cap);
	oq_free(q.tmp, q.tmp_cap);
	if (!cb && !oom && ops->round)
		cb = ops->round(ctx);
	if (oom) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (cb)
		return cb;
	if (r == 0 && s->pp && pp_ended_early(s->pp))
		tlb_warn("%s: the stream ended early, inside a record (the writer died?): "
			 "reporting what it got", s->name);
	if (r == 0 && pd_truncated(s->rd))
		warn_extent(s->rd);
	return r < 0 ? -1 : 0;
}

struct drain_ctx {
	struct session *s;
	const struct session_ops *ops;
	void *ctx;
};

static int drain_record(void *ctx, const struct perf_event_header *hdr)
{
	struct drain_ctx *d = ctx;

	return process(d->s, hdr, d->ops, d->ctx);
}

/* Read every ring buffer once, then the end of the round; the first non-zero callback return. */
static int drain(struct session *s, const struct session_ops *ops, void *ctx)
{
	struct drain_ctx d = { s, ops, ctx };
	struct perf_mmap *map;
	int r;

	/*
	 * The tail moves during the drain (every TLB_RING_TAIL_STEP bytes; process() keeps no
	 * pointer into the buffer): holding it until the whole snapshot was processed left the
	 * kernel only what was free when the drain began, and at 400k-800k events/s the buffers
	 * overflowed during the drain. The head is read again once a batch is done, so this also
	 * takes in what arrives meanwhile.
	 */
	perf_evlist__for_each_mmap(s->el->evlist, map, false)
		if ((r = tlb_mmap_read(map, drain_record, &d)))
			return r;
	return ops->round ? ops->round(ctx) : 0;
}

/*
 * How long to sleep in poll, in ms: until the next tick, at most the session's tick_ns (its
 * consumer's own bound on how long it may go unwoken); without a tick, at most 100 ms.
 */
static int poll_timeout(uint64_t next_tick, uint64_t cap_ns)
{
	uint64_t now, left;

	if (!next_tick)
		return 100;
	now = now_ns();
	if (now >= next_tick)
		return 0;
	left = next_tick - now;
	if (left >= cap_ns)	/* poll takes an int of ms: a day at most */
		return (int)((cap_ns < 86400000000000ULL ? cap_ns : 86400000000000ULL) / 1000000);
	return (int)(left / 1000000) + 1;
}

/* Wake poll at the workload's exit (its pidfd), not up to 100 ms later. */
static int workload_fd_cb(void *ctx, int fd, short revents)
{
	workload_poll(ctx);
	return 0;
}

/* The next tick's time after one at `now`: the consumer's (tick_due), or tick_ns on. */
static uint64_t tick_next(const struct session_ops *ops, void *ctx, uint64_t prev, uint64_t now)
{
	uint64_t next;

	if (ops->tick_due)
		return ops->tick_due(ctx);
	next = prev + ops->tick_ns;
	return next < now ? now + ops->tick_ns : next;
}

static int run_live(struct session *s, const struct session_ops *ops, void *ctx,
		    volatile bool *stop, struct workload *wl, char *err, size_t errlen)
{
	uint64_t next_tick = 0, now;
	bool drained = false;
	int r = 0;

	if (ops->tick && ops->tick_ns)
		next_tick = ops->tick_due ? ops->tick_due(ctx) : now_ns() + ops->tick_ns;
	if (wl && workload_fd(wl) >= 0 && session_add_fd(s, workload_fd(wl), POLLIN,
							 workload_fd_cb, wl) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (;;) {
		if (!drained && (r = drain(s, ops, ctx)))
			return r;
		drained = false;
		/* after the drain: a stop that came during it is seen before a long sleep */
		if ((stop && *stop) || (wl && workload_poll(wl)))
			break;
		if (!tlb_evlist_poll(s->el, poll_timeout(next_tick, ops->tick_ns))) {
			/* every target thread exited (-p/-t), or the per-task workload did */
			s->targets_gone = true;
			if (wl)
				workload_wait(wl);
			break;
		}
		if ((r = dispatch_fds(s, false)))
			return r;
		if (next_tick && (now = now_ns()) >= next_tick) {
			/* what came in during the sleep belongs before the tick (an interval's close) */
			if ((r = drain(s, ops, ctx)) || (r = ops->tick(ctx, now)))
				return r;
			drained = true;
			next_tick = tick_next(ops, ctx, next_tick, now);
		}
	}
	/* what is still in the buffers belongs to the run */
	tlb_evlist_disable(s->el);
	return drain(s, ops, ctx);
}

int session_run(struct session *s, const struct session_ops *ops, void *ctx,
		volatile bool *stop, struct workload *wl, char *err, size_t errlen)
{
	if (s->rd)	/* a file or a stream: the same ordering and delivery */
		return run_file(s, ops, ctx, stop, err, errlen);
	return run_live(s, ops, ctx, stop, wl, err, errlen);
}

uint64_t session_first_time(const struct session *s) { return s->first; }
uint64_t session_last_time(const struct session *s) { return s->last; }
int session_nr_cpus(const struct session *s) { return s->nr_cpus; }
const char *session_osrelease(const struct session *s) { return s->osrelease[0] ? s->osrelease : NULL; }
const char *session_transport(const struct session *s) { return s->transport; }
struct pd_reader *session_reader(struct session *s) { return s->rd; }
bool session_ended_early(const struct session *s) { return s->pp && pp_ended_early(s->pp); }
struct tep_handle *session_tep(struct session *s) { return s->tep; }
uint64_t session_bad_samples(const struct session *s) { return s->bad_samples + s->unknown_samples; }

bool session_event_samples(const struct session *s, int i, const struct pd_attr **attr,
			   uint64_t *n)
{
	int k;

	if (i < 0 || i >= s->nr_seen)
		return false;
	k = s->seen_order[i];
	*attr = k < s->nr_attrs ? &s->attrs[k] : NULL;
	*n = s->attr_samples[k];
	return true;
}

int session_errors_message(const struct session *s, char *buf, size_t len)
{
	if (!s->bad_samples && !s->unknown_samples)
		return 0;
	snprintf(buf, len, "%llu samples could not be decoded (%llu malformed, %llu of no known "
		 "event): counts leave them out", (unsigned long long)(s->bad_samples + s->unknown_samples),
		 (unsigned long long)s->bad_samples, (unsigned long long)s->unknown_samples);
	return 1;
}
