// SPDX-License-Identifier: GPL-2.0
/*
 * tlb_evlist: tracepoint events over libperf's evlist/evsel. The only file that includes
 * libperf's internal headers (to reach an evsel's fds for filters and sample ids).
 */
#include "evlist.h"
#include "events.h"
#include "parse-options.h"
#include "tracefs.h"
#include "util.h"

#include <dirent.h>
#include <poll.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <perf/core.h>
#include <perf/cpumap.h>
#include <perf/evlist.h>
#include <perf/evsel.h>
#include <perf/mmap.h>
#include <perf/threadmap.h>
#include <internal/evsel.h>
#include <internal/xyarray.h>
#include <internal/mmap.h>
#include <internal/lib.h>
#include <linux/ring_buffer.h>

void tlb_attr_counting(struct perf_event_attr *attr, int tp_id)
{
	memset(attr, 0, sizeof(*attr));
	attr->type = PERF_TYPE_TRACEPOINT;
	attr->size = sizeof(*attr);
	attr->config = (uint64_t)tp_id;
	attr->disabled = 1;
	attr->read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
}

void tlb_attr_sampling(struct perf_event_attr *attr, int tp_id)
{
	memset(attr, 0, sizeof(*attr));
	attr->type = PERF_TYPE_TRACEPOINT;
	attr->size = sizeof(*attr);
	attr->config = (uint64_t)tp_id;
	attr->disabled = 1;
	attr->sample_period = 1;
	attr->sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
			    PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | PERF_SAMPLE_RAW;
	attr->sample_id_all = 1;
	attr->use_clockid = 1;
	attr->clockid = 1; /* CLOCK_MONOTONIC: lines up with tlbbench's latency CSV */
	/*
	 * No wakeup per sample: the kernel then wakes the reader when a ring buffer is half full
	 * (and the session polls with a timeout). A wakeup per sample would make the observer a
	 * context switch, and a TLB flush, per event on machines without PCID.
	 */
	attr->wakeup_events = 0;
	attr->watermark = 0;
}

/* libperf's messages: warnings only (its debug lines are for libperf's developers). */
static int libperf_print(enum libperf_print_level level, const char *fmt, va_list ap)
{
	if (level > LIBPERF_WARN && !getenv("TLBSTAT_LIBPERF_DEBUG"))
		return 0;
	fputs("tlbstat: libperf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

void tlb_evlist_init(struct tlb_evlist *el)
{
	/*
	 * libperf_init() also sets the page size its mmap code uses: call it before any mmap.
	 * It only stores the print function and the page size, so calling it for every evlist
	 * is harmless and spares us a "done already" flag.
	 */
	libperf_init(libperf_print);
	memset(el, 0, sizeof(*el));
	el->evlist = perf_evlist__new();	/* NULL: tlb_evlist_add() says "out of memory" */
}

int tlb_evlist_find(const struct tlb_evlist *el, const char *event)
{
	char sys[64], name[64];

	if (!tfs_split_event(event, sys, sizeof(sys), name, sizeof(name)))
		return -1;
	for (int i = 0; i < el->nr_evsels; i++)
		if (!strcmp(el->evsels[i].sys, sys) && !strcmp(el->evsels[i].name, name))
			return i;
	return -1;
}

int tlb_evlist_add(struct tlb_evlist *el, const char *event, const char *filter,
		   const struct perf_event_attr *attr)
{
	struct tlb_evsel *e;
	char sys[64], name[64];
	char why[512];
	void *grown;
	int id;

	if (!el->evlist) {
		tlb_err("out of memory");
		return -1;
	}
	if (!tfs_split_event(event, sys, sizeof(sys), name, sizeof(name))) {
		tlb_err("bad event '%s': expected system:name, e.g. tlb:tlb_flush", event);
		return -1;
	}
	if (tfs_locate(NULL, 0, why, sizeof(why)) < 0) {
		tlb_err("%s", why);
		return -1;
	}
	id = tfs_event_id(sys, name);
	if (id < 0) {
		int why_errno = errno;	/* tfs_event_id's: permission, or absent */
		char *have = tfs_list_events(sys);

		if (!have) {
			tlb_err("out of memory");
			return -1;
		}
		if (why_errno == EACCES || why_errno == EPERM) {
			tlb_err("cannot read tracefs event '%s': permission denied (run as root)", event);
		} else if (!strcmp(event, "tlb:tlb_flush")) {
			/* arm64 and others: the one message (events.h) with what exists instead */
			struct tlb_events_view v;
			char text[1024];

			tlb_events_view_read(&v);
			tlb_events_missing_text(&v, text, sizeof(text));
			tlb_err("%s", text);
		} else if (*have)
			tlb_err("tracepoint %s does not exist on this kernel; %s has: %s", event, sys, have);
		else if (!strcmp(sys, "tlb")) {
			/* arm64 and others: say what TLB-related events this kernel does have */
			char *ipi = tfs_list_events("ipi"), *csd = tfs_list_events("csd");
			const char *i = ipi ? ipi : "", *c = csd ? csd : "";
			tlb_err("tracepoint %s does not exist on this kernel (x86 only; see probes/ and "
				"patches/ for other architectures); related events here: %s%s%s",
				event, *i || *c ? i : "none", *i && *c ? " " : "", c);
			free(ipi);
			free(csd);
		}
		else
			tlb_err("tracepoint %s does not exist on this kernel (no '%s' events in tracefs)",
				event, sys);
		free(have);
		return -1;
	}
	grown = realloc(el->evsels, sizeof(*el->evsels) * (size_t)(el->nr_evsels + 1));
	if (!grown) {
		tlb_err("out of memory");
		return -1;
	}
	el->evsels = grown;
	e = &el->evsels[el->nr_evsels];
	memset(e, 0, sizeof(*e));
	snprintf(e->sys, sizeof(e->sys), "%s", sys);
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->filter = filter ? strdup(filter) : NULL;
	if (filter && !e->filter) {
		tlb_err("out of memory");
		return -1;
	}
	e->tp_id = id;
	if (attr) {
		e->attr = *attr;
		e->attr.config = (uint64_t)id;
		e->attr.type = PERF_TYPE_TRACEPOINT;
		if (attr->sample_period || attr->sample_freq)
			el->sampling = true;
	} else {
		tlb_attr_counting(&e->attr, id);
	}
	e->evsel = perf_evsel__new(&e->attr);
	if (!e->evsel) {
		free(e->filter);
		tlb_err("out of memory");
		return -1;
	}
	perf_evlist__add(el->evlist, e->evsel);
	return el->nr_evsels++;
}

/* Every thread of a process, from /proc/<pid>/task; -1 if unreadable or out of memory. */
static int process_tids(pid_t pid, pid_t **tids)
{
	char path[64];
	DIR *d;
	struct dirent *de;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	*tids = NULL;
	while ((de = readdir(d))) {
		pid_t t;
		if (!parse_pid(de->d_name, &t))
			continue;
		pid_t *grown = realloc(*tids, sizeof(pid_t) * (size_t)(n + 1));
		if (!grown) {
			free(*tids);
			*tids = NULL;
			closedir(d);
			return -1;
		}
		*tids = grown;
		(*tids)[n++] = t;
	}
	closedir(d);
	return n;
}

int tlb_evlist_set_target(struct tlb_evlist *el, const struct tlb_target *t)
{
	struct perf_cpu_map *cpus;
	struct perf_thread_map *threads;
	int *online = NULL, nonline = online_cpus(&online);
	bool per_task = t->pid > 0 || t->tid > 0 || (t->workload > 0 && !t->system_wide && !t->cpu_list);
	char err[256];

	if (nonline < 1) {
		tlb_err("cannot read the online cpus");
		return -1;
	}
	free(el->cpus);
	free(el->tids);
	el->cpus = NULL;
	el->tids = NULL;

	if (per_task) {
		pid_t pid = t->pid > 0 ? t->pid : t->tid > 0 ? t->tid : t->workload;
		if (!pid_exists(pid)) {
			tlb_err("no such process: %d", (int)pid);
			free(online);
			return -1;
		}
		if (t->pid > 0) {
			el->nr_tids = process_tids(t->pid, &el->tids);
			if (el->nr_tids <= 0) {
				tlb_err("cannot list the threads of process %d", (int)t->pid);
				free(online);
				return -1;
			}
		} else {
			el->tids = malloc(sizeof(pid_t));
			if (!el->tids)
				goto oom;
			el->tids[0] = pid;
			el->nr_tids = 1;
		}
		/* one fd per thread per online cpu (as perf record does), so counts split by cpu */
		el->cpus = online;
		el->nr_cpus = nonline;
		online = NULL;
	} else {
		if (t->cpu_list) {
			el->nr_cpus = parse_cpu_list(t->cpu_list, online[nonline - 1], &el->cpus, err,
						     sizeof(err));
			if (el->nr_cpus < 0) {
				tlb_err("%s", err);
				free(online);
				return -1;
			}
			for (int i = 0; i < el->nr_cpus; i++) {
				bool found = false;
				for (int j = 0; j < nonline; j++)
					found |= online[j] == el->cpus[i];
				if (!found) {
					tlb_err("cpu %d is not online", el->cpus[i]);
					free(online);
					return -1;
				}
			}
		} else {
			el->cpus = online;
			el->nr_cpus = nonline;
			online = NULL;
		}
		el->tids = malloc(sizeof(pid_t));
		if (!el->tids)
			goto oom;
		el->tids[0] = -1;
		el->nr_tids = 1;
	}
	free(online);

	{
		char list[8192];
		size_t n = 0;
		list[0] = '\0';
		for (int i = 0; i < el->nr_cpus && n < sizeof(list) - 16; i++)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%d", i ? "," : "", el->cpus[i]);
		cpus = perf_cpu_map__new(list);
	}
	threads = el->tids[0] == -1 ? perf_thread_map__new_dummy()
				    : perf_thread_map__new_array(el->nr_tids, el->tids);
	if (!cpus || !threads) {
		perf_cpu_map__put(cpus);
		perf_thread_map__put(threads);
		tlb_err("out of memory");
		return -1;
	}
	/*
	 * A workload counted per task: its children too, and counting starts at its exec.
	 * System wide with a workload the caller enables the events itself before starting it
	 * (enable_on_exec only works on task-bound events).
	 */
	if (t->workload > 0 && per_task) {
		for (int i = 0; i < el->nr_evsels; i++) {
			struct perf_event_attr *a = perf_evsel__attr(el->evsels[i].evsel);
			a->inherit = 1;
			a->enable_on_exec = 1;
			a->disabled = 1;
			el->evsels[i].attr = *a;
		}
	}
	perf_evlist__set_maps(el->evlist, cpus, threads);
	perf_cpu_map__put(cpus);
	perf_thread_map__put(threads);
	return 0;
oom:
	free(online);
	tlb_err("out of memory");
	return -1;
}

static int paranoid(void)
{
	char *s = read_file("/proc/sys/kernel/perf_event_paranoid", NULL);
	int v = s ? atoi(s) : 2;
	free(s);
	return v;
}

const char *tlb_perf_open_advice(int err, char *buf, size_t len)
{
	switch (err) {
	case EACCES:
	case EPERM:
		snprintf(buf, len,
			 "permission denied opening tracepoint events (kernel.perf_event_paranoid=%d): "
			 "run as root, or grant CAP_PERFMON (plus read access to tracefs), or "
			 "'sysctl kernel.perf_event_paranoid=-1'", paranoid());
		break;
	case EMFILE:
	case ENFILE:
		snprintf(buf, len,
			 "too many open files (one per event per cpu/thread): raise 'ulimit -n'");
		break;
	case ESRCH:
		snprintf(buf, len, "the target process is gone");
		break;
	case ENOENT:
	case ENODEV:
		snprintf(buf, len, "the tracepoint is not available to perf_event on this kernel");
		break;
	case ENOSYS:
		snprintf(buf, len, "this kernel has no perf_event_open (CONFIG_PERF_EVENTS off)");
		break;
	default:
		snprintf(buf, len, "perf_event_open failed: %s", strerror(err));
	}
	return buf;
}

int tlb_evlist_open(struct tlb_evlist *el)
{
	char advice[512];
	int r;

	if (access("/proc/sys/kernel/perf_event_paranoid", F_OK) != 0) {
		tlb_err("%s", tlb_perf_open_advice(ENOSYS, advice, sizeof(advice)));
		return -1;
	}
	r = perf_evlist__open(el->evlist);
	if (r < 0) {
		int e = -r > 0 ? -r : errno;
		if (e == EINVAL && (el->evsels[0].attr.use_clockid)) {
			/* old kernels without use_clockid for tracepoints: retry with perf's clock */
			for (int i = 0; i < el->nr_evsels; i++) {
				struct perf_event_attr *a = perf_evsel__attr(el->evsels[i].evsel);
				a->use_clockid = 0;
				a->clockid = 0;
				el->evsels[i].attr = *a;
			}
			r = perf_evlist__open(el->evlist);
			e = -r > 0 ? -r : errno;
		}
		if (r < 0) {
			tlb_err("%s", tlb_perf_open_advice(e, advice, sizeof(advice)));
			return -1;
		}
	}
	for (int i = 0; i < el->nr_evsels; i++) {
		struct tlb_evsel *e = &el->evsels[i];
		if (!e->filter)
			continue;
		if (perf_evsel__apply_filter(e->evsel, e->filter) < 0) {
			tlb_err("the kernel rejected the filter '%s' on %s:%s: %s", e->filter, e->sys,
				e->name, strerror(errno));
			perf_evlist__close(el->evlist);
			return -1;
		}
	}
	return 0;
}

/* A thread that still runs: /proc/<tid>/stat exists and says neither zombie nor dead. */
static bool tid_alive(pid_t tid)
{
	char path[64], *s, *rp;
	bool alive;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	s = read_file(path, NULL);
	if (!s)
		return false;
	rp = strrchr(s, ')');
	alive = !(rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'));
	free(s);
	return alive;
}

bool tlb_evlist_targets_alive(const struct tlb_evlist *el)
{
	if (el->nr_tids <= 0 || el->tids[0] == -1)
		return true;
	for (int i = 0; i < el->nr_tids; i++)
		if (tid_alive(el->tids[i]))
			return true;
	return false;
}

bool tlb_evlist_poll(struct tlb_evlist *el, int timeout_ms)
{
	int r = perf_evlist__poll(el->evlist, timeout_ms);

	if (r > 0 && el->nr_tids > 0 && el->tids[0] != -1)
		return perf_evlist__filter_pollfd(el->evlist, POLLERR | POLLHUP) > 0;
	return true;
}

/* The record at pos, in place, or copied whole into map->event_copy where it wraps. */
static const struct perf_event_header *ring_record(struct perf_mmap *map, const unsigned char *data,
						   uint64_t pos, uint16_t size)
{
	size_t off = (size_t)(pos & (uint64_t)map->mask), len = (size_t)map->mask + 1;

	if (off + size <= len)
		return (const void *)(data + off);
	memcpy(map->event_copy, data + off, len - off);
	memcpy(map->event_copy + (len - off), data, size - (len - off));
	return (const void *)map->event_copy;
}

int tlb_mmap_read(struct perf_mmap *map, tlb_record_fn fn, void *ctx)
{
	const unsigned char *data;
	uint64_t pos, head, tail;
	int r = 0;

	if (!refcount_read(&map->refcnt) || map->overwrite || perf_mmap__read_init(map) < 0)
		return 0;
	data = (const unsigned char *)map->base + page_size;
	pos = tail = map->start;
	head = map->end;
	while (!r) {
		const struct perf_event_header *h;
		uint16_t size;

		if (head - pos < sizeof(*h)) {
			/* what arrived meanwhile: the head again once this batch is read */
			ring_buffer_write_tail(map->base, pos);
			tail = pos;
			head = ring_buffer_read_head(map->base);
			if (head - pos < sizeof(*h))
				break;
		}
		h = (const void *)(data + (pos & (uint64_t)map->mask));
		size = h->size;
		/* a size no record has, or one not all written: read no further (perf_mmap__read) */
		if (size < sizeof(*h) || head - pos < size)
			break;
		r = fn(ctx, ring_record(map, data, pos, size));
		pos += size;
		if (pos - tail >= TLB_RING_TAIL_STEP) {
			ring_buffer_write_tail(map->base, pos);
			tail = pos;
		}
	}
	map->start = map->prev = pos;
	perf_mmap__consume(map);	/* the tail at pos; a hung-up task's empty buffer let go */
	return r;
}

int tlb_default_mmap_pages(void)
{
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN), psz = sysconf(_SC_PAGESIZE);
	long pages = (16L << 20) / (ncpus > 0 ? ncpus : 1) / (psz > 0 ? psz : 4096);
	int p = 128;

	while (p < 512 && p * 2 <= pages)
		p *= 2;
	return p;
}

int tlb_evlist_mmap(struct tlb_evlist *el, int pages)
{
	int r;
	bool fallback = pages <= 0;
	if (pages <= 0)
		pages = tlb_default_mmap_pages();
	if (!is_power_of_2((unsigned long)pages)) {
		tlb_err("ring buffer size must be a power of two pages (got %d)", pages);
		return -1;
	}
	errno = 0;
	r = perf_evlist__mmap(el->evlist, pages);
	if (r < 0 && fallback && pages > 128 && (errno == EPERM || errno == ENOMEM)) {
		/* the default asked for more than this user may lock: perf's own default then */
		pages = 128;
		errno = 0;
		r = perf_evlist__mmap(el->evlist, pages);
	}
	if (r < 0) {
		int e = errno ? errno : -r;
		if (e == EPERM || e == ENOMEM)
			tlb_err("cannot map %d-page ring buffers: %s (raise kernel.perf_event_mlock_kb or "
				"use fewer pages with -m)", pages, strerror(e));
		else
			tlb_err("cannot map ring buffers: %s", strerror(e));
		return -1;
	}
	el->mmapped = true;
	return 0;
}

void tlb_evlist_enable(struct tlb_evlist *el)
{
	perf_evlist__enable(el->evlist);
}

void tlb_evlist_disable(struct tlb_evlist *el)
{
	perf_evlist__disable(el->evlist);
}

/*
 * libperf 6.1's perf_evsel__delete frees the evsel but not the references to the cpu and
 * thread maps that perf_evlist__set_maps gave it (later libperf puts them in perf_evsel__exit):
 * put them here, and NULL them so that such a libperf finds nothing left to put.
 */
static void put_evsel_maps(struct tlb_evlist *el)
{
	for (int i = 0; i < el->nr_evsels; i++) {
		struct perf_evsel *e = el->evsels[i].evsel;

		perf_cpu_map__put(e->cpus);
		perf_cpu_map__put(e->own_cpus);
		perf_thread_map__put(e->threads);
		e->cpus = e->own_cpus = NULL;
		e->threads = NULL;
	}
}

void tlb_evlist_close(struct tlb_evlist *el)
{
	if (!el->evlist)
		return;
	if (el->mmapped)
		perf_evlist__munmap(el->evlist);
	perf_evlist__close(el->evlist);
	put_evsel_maps(el);
	perf_evlist__delete(el->evlist);   /* deletes the evsels too */
	for (int i = 0; i < el->nr_evsels; i++)
		free(el->evsels[i].filter);
	free(el->evsels);
	free(el->cpus);
	free(el->tids);
	memset(el, 0, sizeof(*el));
}

uint64_t tlb_evlist_count(struct tlb_evlist *el, int idx, int ci)
{
	uint64_t sum = 0;
	for (int t = 0; t < el->nr_tids; t++) {
		struct perf_counts_values c = { 0 };
		if (perf_evsel__read(el->evsels[idx].evsel, ci, t, &c) == 0)
			sum += c.val;
	}
	return sum;
}

int tlb_evlist_ids(struct tlb_evlist *el, int idx, uint64_t **ids)
{
	struct perf_evsel *ev = el->evsels[idx].evsel;
	int n = 0;
	*ids = malloc(sizeof(uint64_t) * (size_t)(el->nr_cpus * el->nr_tids + 1));
	if (!*ids)
		return -1;
	for (int c = 0; c < el->nr_cpus; c++)
		for (int t = 0; t < el->nr_tids; t++) {
			int *fd = ev->fd ? xyarray__entry(ev->fd, (size_t)c, (size_t)t) : NULL;
			uint64_t id;
			if (!fd || *fd < 0)
				continue;
			if (ioctl(*fd, PERF_EVENT_IOC_ID, &id) == 0)
				(*ids)[n++] = id;
		}
	return n;
}

int tlb_evlist_set_period(struct tlb_evlist *el, int idx, uint64_t period)
{
	struct perf_evsel *ev = el->evsels[idx].evsel;

	for (int c = 0; c < el->nr_cpus; c++)
		for (int t = 0; t < el->nr_tids; t++) {
			int *fd = ev->fd ? xyarray__entry(ev->fd, (size_t)c, (size_t)t) : NULL;

			if (fd && *fd >= 0 && ioctl(*fd, PERF_EVENT_IOC_PERIOD, &period))
				return -1;
		}
	return 0;
}

void tlb_evlist_group(struct tlb_evlist *el)
{
	perf_evlist__set_leader(el->evlist);
	for (int i = 0; i < el->nr_evsels; i++) {
		struct perf_event_attr *a = perf_evsel__attr(el->evsels[i].evsel);
		a->read_format |= PERF_FORMAT_GROUP;
		el->evsels[i].attr = *a;
	}
	el->grouped = true;
}

int tlb_evlist_read_group(struct tlb_evlist *el, int ci, uint64_t *vals)
{
	struct perf_evsel *leader = el->evsels[0].evsel;
	uint64_t rf = el->evsels[0].attr.read_format;
	int per = 1 + !!(rf & PERF_FORMAT_ID);
	int head = 1 + !!(rf & PERF_FORMAT_TOTAL_TIME_ENABLED) + !!(rf & PERF_FORMAT_TOTAL_TIME_RUNNING);
	size_t words = (size_t)(head + per * el->nr_evsels);
	uint64_t *buf = malloc(words * sizeof(uint64_t));

	if (!buf)
		return -1;	/* errno ENOMEM */
	memset(vals, 0, sizeof(uint64_t) * (size_t)el->nr_evsels);
	for (int t = 0; t < el->nr_tids; t++) {
		int *fd = leader->fd ? xyarray__entry(leader->fd, (size_t)ci, (size_t)t) : NULL;
		ssize_t n;
		if (!fd || *fd < 0)
			continue;
		n = read(*fd, buf, words * sizeof(uint64_t));
		if (n < (ssize_t)(head * sizeof(uint64_t)) || buf[0] > (uint64_t)el->nr_evsels) {
			free(buf);
			if (n >= 0)
				errno = EIO;
			return -1;
		}
		for (uint64_t k = 0; k < buf[0]; k++)
			vals[k] += buf[head + per * (int)k];
	}
	free(buf);
	return 0;
}

int tlb_target_from_options(struct tlb_target *t, bool all_cpus, const char *cpu_list,
			    const char *pid, const char *tid, bool has_command, char *err,
			    size_t errlen)
{
	memset(t, 0, sizeof(*t));
	if (pid && tid)
		snprintf(err, errlen, "-p and -t cannot be used together");
	else if ((pid || tid) && (all_cpus || cpu_list))
		snprintf(err, errlen, "-p/-t observe a task, -a/-C observe CPUs: choose one");
	else if ((pid || tid) && has_command)
		snprintf(err, errlen, "-p/-t cannot be combined with a command to run");
	else if (pid && !parse_pid(pid, &t->pid))
		snprintf(err, errlen, "bad pid '%s'", pid);
	else if (tid && !parse_pid(tid, &t->tid))
		snprintf(err, errlen, "bad tid '%s'", tid);
	else {
		t->cpu_list = cpu_list;
		t->system_wide = all_cpus || cpu_list || (!pid && !tid && !has_command);
		return 0;
	}
	return -1;
}
