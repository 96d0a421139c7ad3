// SPDX-License-Identifier: GPL-2.0
/*
 * tlbstat record: sample every hit of the TLB tracepoints into per-CPU ring buffers and write
 * them as a perf.data file that Debian's perf reads. Documentation/tlbstat-record.txt.
 */
#include "builtin.h"
#include "cgroup.h"
#include "event.h"
#include "events.h"
#include "evlist.h"
#include "parse-options.h"
#include "perfdata.h"
#include "perfpipe.h"
#include "reason.h"
#include "sampler.h"
#include "session.h"
#include "strlist.h"
#include "symbols.h"
#include "synthesize.h"
#include "tracefs.h"
#include "transport.h"
#include "unwind.h"
#include "usyms.h"
#include "util.h"
#include "workload.h"

#include <dirent.h>
#include <stddef.h>
#include <perf/evsel.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const record_usage[] = {
	"tlbstat record [<options>] [-- <command> [<args>]]",
	NULL,
};

struct record {
	struct pd_writer *w;		/* -o file */
	struct pp_writer *pw;		/* -o -: perf's pipe form on the saved standard output */
	int out_fd;			/* that standard output, or -1 */
	uint64_t samples, lost_records, lost, records;
	uint64_t records_at_round;	/* records when the last round was closed */
	/* LOST counts per sample id, for the LOST_SAMPLES records written at the end */
	struct { uint64_t id, lost; } lost_by_id[64];
	int nr_lost_ids;
	uint64_t reasons[TLB_NR_REASONS];
	int first_id_evsel;
	bool write_error;
	int write_errno;
	/* -g: the mappings, to find the objects with samples for their build-ids */
	struct usyms *usyms;
	bool kernel_hit;
	bool kchains;		/* --kernel-callchains: chains without user frames or usyms */
	/* --all-cgroups: the hierarchy whose cgroups are synthesised at the start; "" none */
	char cg_mount[4096];
};

static volatile bool stop;

/* The output, file or stream: 0, or -1 with errno. */
static int out_write(struct record *r, const void *rec, size_t len)
{
	return r->pw ? pp_write(r->pw, rec, len) : pd_write(r->w, rec, len);
}

static int out_round(struct record *r)
{
	return r->pw ? pp_finish_round(r->pw) : pd_finish_round(r->w);
}

static int out_tick(struct record *r)
{
	return r->pw ? pp_tick(r->pw) : pd_tick(r->w);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = true;
}

/* --duration is up: stop as ^C does (what is still in the buffers gets written). */
static int on_duration(void *ctx, int fd, short revents)
{
	uint64_t expirations;

	if (read(fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return 0;
	stop = true;
	return 0;
}

/*
 * A timerfd polled with the ring buffers (exact, where alarm() rounded up to whole seconds);
 * alarm() where there is none. Returns the descriptor to close, or -1.
 */
static int arm_duration(struct session *s, uint64_t ns)
{
	struct itimerspec its = { .it_value = { (time_t)(ns / 1000000000),
						(long)(ns % 1000000000) } };
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct itimerval it;

	if (fd >= 0 && timerfd_settime(fd, 0, &its, NULL) == 0 &&
	    session_add_fd(s, fd, POLLIN, on_duration, NULL) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	/* no timerfd: a signal then (setitimer, not alarm(), which counts whole seconds) */
	it = (struct itimerval){ .it_value = { .tv_sec = (time_t)(ns / 1000000000),
					       .tv_usec = (suseconds_t)((ns % 1000000000 + 999) / 1000) } };
	signal(SIGALRM, on_signal);
	setitimer(ITIMER_REAL, &it, NULL);
	return -1;
}

/* A failed write stops the session (session_run returns 1); cmd_record says why. */
static int on_raw(void *ctx, const struct perf_event_header *hdr, const struct pd_attr *attr)
{
	struct record *r = ctx;
	if (out_write(r, hdr, hdr->size) < 0) {
		r->write_error = true;
		r->write_errno = errno;
		return 1;
	}
	r->records++;
	if (hdr->type == PERF_RECORD_SAMPLE)
		r->samples++;
	else if (hdr->type == PERF_RECORD_LOST && hdr->size >= sizeof(*hdr) + 16) {
		const uint64_t *l = (const void *)(hdr + 1);
		int i = 0;
		r->lost_records++;
		while (i < r->nr_lost_ids && r->lost_by_id[i].id != l[0])
			i++;
		if (i == r->nr_lost_ids && i < (int)ARRAY_SIZE(r->lost_by_id))
			r->lost_by_id[r->nr_lost_ids++].id = l[0];
		if (i < r->nr_lost_ids)
			r->lost_by_id[i].lost += l[1];
		else
			r->lost_by_id[i - 1].lost += l[1];	/* more than 64 ids: counted on the last */
	}
	return 0;
}

/* The objects a sample's chain runs through (-g): their build-ids go into the file. */
static void mark_chain(struct record *r, const struct tlb_event *ev)
{
	bool user = false;

	for (uint32_t i = 0; i < ev->nr_callchain; i++) {
		if (ev->callchain[i] >= PERF_CONTEXT_MAX) {
			user = ev->callchain[i] == PERF_CONTEXT_USER;
			r->kernel_hit |= ev->callchain[i] == PERF_CONTEXT_KERNEL;
		} else if (user && r->usyms) {
			usym_mark(r->usyms, ev->pid, ev->callchain[i]);
		}
	}
	/* --call-graph dwarf: the user part is unwound later; its sampled ip names the object */
	if (ev->ustack && r->usyms) {
		uint64_t dw[UNW_DW_NR];
		uint32_t have;

		unw_regs_to_dwarf(ev->ustack->mask, ev->ustack->regs, ev->ustack->nr_regs, dw, &have);
		if (have & (1u << UNW_DW_RIP))
			usym_mark(r->usyms, ev->pid, dw[UNW_DW_RIP]);
	}
}

static int on_event(void *ctx, const struct tlb_event *ev, const struct pd_attr *attr)
{
	struct record *r = ctx;
	if (ev->kind == EV_TLB_FLUSH && ev->reason >= 0 && ev->reason < TLB_NR_REASONS)
		r->reasons[ev->reason]++;
	if (r->usyms || r->kchains)
		mark_chain(r, ev);
	return 0;
}

static int on_mmap(void *ctx, pid_t pid, pid_t tid, uint64_t start, uint64_t len, uint64_t pgoff,
		   const char *path)
{
	struct record *r = ctx;

	/* out of memory: that object's build-id is missing, the recording goes on */
	if (r->usyms && pid != -1)
		usym_mmap(r->usyms, pid, start, len, pgoff, path);
	return 0;
}

static int on_fork(void *ctx, pid_t pid, pid_t ppid, pid_t tid, uint64_t time)
{
	struct record *r = ctx;

	if (r->usyms)
		usym_fork(r->usyms, ppid, pid);
	return 0;
}

struct build_ids {
	char *p;
	size_t len, cap;
	bool oom;
};

/* One build-id record appended to the feature body. */
static int add_build_id(void *ctx, const char *path, const unsigned char *id, size_t len)
{
	struct build_ids *b = ctx;
	size_t n = synth_build_id_record(NULL, 0, false, path, id, len);

	if (b->len + n > b->cap) {
		size_t cap = (b->len + n) * 2;
		char *p = realloc(b->p, cap);

		if (!p) {
			b->oom = true;
			return 1;
		}
		b->p = p;
		b->cap = cap;
	}
	b->len += synth_build_id_record(b->p + b->len, b->cap - b->len, path[0] == '[', path, id,
					len);
	return 0;
}

/*
 * -g: HEADER_BUILD_ID for the kernel (when a chain had kernel frames) and for every object a user
 * frame ran through, as perf record writes it, so perf finds the right symbols later; and, as
 * perf record does unless -N, this kernel's kallsyms into the build-id cache when it is not
 * there yet (report reads that plain file instead of formatting /proc/kallsyms again).
 */
static void write_build_ids(struct record *r, const char *output, bool cache)
{
	struct build_ids b = { 0 };
	unsigned char kid[64];
	size_t kn;

	if ((!r->usyms && !r->kchains) || !r->w)
		return;	/* a stream cannot carry features written at the end */
	if (r->kernel_hit && (kn = syms_kernel_build_id(kid, sizeof(kid)))) {
		add_build_id(&b, "[kernel.kallsyms]", kid, kn);
		if (cache && syms_cache_save(kid, kn) < 0)
			tlb_warn("record: kallsyms not put in the build-id cache (%s): %s",
				 getenv("PERF_BUILDID_DIR") ? "$PERF_BUILDID_DIR" : "~/.debug",
				 strerror(errno));
	}
	if (r->usyms)
		usym_hit_build_ids(r->usyms, add_build_id, &b);
	if (b.oom || pd_set_build_ids(r->w, b.p, b.len) < 0)
		tlb_warn("out of memory: %s has no build-ids", output);
	free(b.p);
}

static int on_lost(void *ctx, uint64_t nr)
{
	((struct record *)ctx)->lost += nr;
	return 0;
}

static int on_round(void *ctx)
{
	struct record *r = ctx;
	/* a FINISHED_ROUND only after new records: an idle drain writes nothing to the file */
	bool fresh = r->records != r->records_at_round;

	r->records_at_round = r->records;
	if ((fresh ? out_round(r) : out_tick(r)) < 0) {
		r->write_error = true;
		r->write_errno = errno;
		return 1;
	}
	return 0;
}

/*
 * One PERF_RECORD_LOST_SAMPLES per sample id that lost events, as perf record writes them at the
 * end (from the same drops as the kernel's LOST records): perf report's "Total Lost Samples"
 * counts these, not LOST records.
 */
static int write_lost_samples(struct record *r, const struct perf_event_attr *attr)
{
	for (int i = 0; i < r->nr_lost_ids; i++) {
		struct {
			struct perf_event_header h;
			uint64_t lost;
			uint64_t trailer[8];
		} rec;
		size_t n;
		memset(&rec, 0, sizeof(rec));
		rec.h.type = PERF_RECORD_LOST_SAMPLES;
		rec.lost = r->lost_by_id[i].lost;
		n = synth_id_trailer(attr, r->lost_by_id[i].id, 0, 0, rec.trailer);
		rec.h.size = (uint16_t)(offsetof(typeof(rec), trailer) + n * 8);
		if (out_write(r, &rec, rec.h.size) < 0)
			return -1;
	}
	return r->nr_lost_ids ? out_round(r) : 0;
}

/* synth_emit_fn: into the file or stream */
static int emit(void *ctx, const void *rec, size_t len)
{
	struct record *r = ctx;
	const struct perf_event_header *h = rec;

	if (r->usyms && h->type == PERF_RECORD_MMAP2) {
		const struct { uint32_t pid, tid; uint64_t start, len, pgoff; } *m = (const void *)(h + 1);

		/* the mappings synthesised from /proc: named later by their build-ids */
		usym_mmap(r->usyms, (pid_t)m->pid, m->start, m->len, m->pgoff,
			  (const char *)(h + 1) + 8 + 24 + 32);
	}
	return out_write(r, rec, len);
}

/*
 * The records perf synthesises at the start: the kernel's text mapping (without it perf
 * script/report warn that kernel address maps were restricted), a COMM per running thread and,
 * with call chains (maps_pid: -1 every process, > 0 one), the executable mappings that user
 * frames are symbolised against. A workload needs none: its exec's mappings come from the
 * kernel's own MMAP2 records.
 */
static int synthesize(struct record *r, const struct syms *syms, struct tlb_evlist *el,
		      pid_t maps_pid)
{
	uint64_t *ids;
	int n = tlb_evlist_ids(el, 0, &ids), rc;
	uint64_t id0 = n > 0 ? ids[0] : 0;
	const struct perf_event_attr *attr = &el->evsels[0].attr;

	free(ids);
	rc = synth_kernel_mmap(syms, attr, id0, emit, r);
	if (!rc)
		rc = synth_comms(attr, id0, emit, r);
	if (!rc && maps_pid != 0)
		rc = synth_mmaps(attr, id0, maps_pid, emit, r);
	if (!rc && r->cg_mount[0]) {
		char err[512];

		rc = synth_cgroups(attr, id0, r->cg_mount, emit, r, err, sizeof(err));
		if (rc < 0 && !r->write_error)
			tlb_warn("record: --all-cgroups: %s: samples name cgroups made before the "
				 "recording by id only", err);
		rc = 0;	/* a write failure comes back at the next write */
	}
	return rc < 0 ? rc : out_round(r);
}

/*
 * Whether cmd can be exec'd (a path, or a name found on PATH), checked before anything is opened
 * or created: a command that cannot run gives one error line and leaves no file behind (and an
 * existing output file in place). errno says why when false.
 */
static bool command_runnable(const char *cmd)
{
	const char *path = getenv("PATH");
	int why = ENOENT;

	if (strchr(cmd, '/'))
		return access(cmd, X_OK) == 0;
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		char full[4096];
		snprintf(full, sizeof(full), "%.*s%s%s", (int)n, path, n ? "/" : "", cmd);
		if (access(full, X_OK) == 0) {
			struct stat st;
			if (stat(full, &st) == 0 && S_ISREG(st.st_mode))
				return true;
		} else if (errno == EACCES) {
			why = EACCES;
		}
		path += n + (path[n] == ':');
	}
	errno = why;
	return false;
}

/* -e's comma list: registry short names or sys:name. -1 when one cannot be added. */
static int add_listed(struct tlb_evlist *el, const char *events,
		      const struct perf_event_attr *attr)
{
	struct strlist list;
	const char *it;
	char err[256];
	int i, rc = 0;

	if (strlist_split(&list, events, err, sizeof(err)) < 0)
		tlb_die(EXIT_USAGE, "--events: %s", err);
	strlist_for_each(&list, i, it) {
		const char *ev = tlb_events_resolve(it);

		if (!ev && strchr(it, ':'))
			tlb_die(EXIT_USAGE, "bad event '%s' in --events: system and event names are "
				"letters, digits and '_' (sys:name, e.g. tlb:tlb_flush)", it);
		if (!ev) {
			char names[256];

			tlb_events_short_names(TLB_EVU_RECORD | TLB_EVU_RECORD_OPT, ", ", names,
					       sizeof(names));
			tlb_die(EXIT_USAGE, "unknown event '%s' in --events (short names: %s; or "
				"sys:name)", it, names);
		}
		if (tlb_evlist_find(el, ev) >= 0) {
			/* "tlb,tlb" or "tlb,tlb:tlb_flush": one event, opened and counted once */
			tlb_warn("--events lists %s twice; recording it once", ev);
			continue;
		}
		if (tlb_evlist_add(el, ev, NULL, attr) < 0) {
			rc = -1;
			break;
		}
	}
	strlist_free(&list);
	return rc;
}

/* The registry's record defaults that this kernel has (tlb:tlb_flush always: its error says
 * what is missing). */
static int add_defaults(struct tlb_evlist *el, const struct perf_event_attr *attr)
{
	size_t nr;
	const struct tlb_event_def *defs = tlb_events_table(&nr);

	/* no usable tlb:tlb_flush (arm64 lists it and never fires it): the patched
	 * tlb:tlb_invalidation (a default) stands in, or the one message says what is missing */
	struct tlb_events_view v;
	bool inv_only;

	tlb_events_view_read(&v);
	inv_only = v.tracefs && !v.tlb_flush && v.tlb_invalidation;
	if (inv_only) {
		fprintf(stderr, "tlbstat: %s: %s; recording tlb:tlb_invalidation (patches/) in its "
			"place\n", TLB_EVENTS_MISSING_FLUSH, tlb_events_missing_why(&v));
	} else if (v.tracefs && !v.tlb_flush) {
		char text[1024];

		tlb_events_missing_text(&v, text, sizeof(text));
		tlb_err("%s", text);
		return -1;
	}
	for (size_t i = 0; i < nr; i++) {
		if (!(defs[i].uses & TLB_EVU_RECORD))
			continue;
		if ((!(defs[i].uses & TLB_EVU_REQUIRED) || inv_only) &&
		    !tfs_event_exists(defs[i].sys, defs[i].name))
			continue;   /* optional: older kernels lack csd:, ipi_send_cpumask */
		if (tlb_evlist_add(el, defs[i].tracepoint, NULL, attr) < 0)
			return -1;
	}
	return 0;
}

/*
 * The events to record: -e's list (short names from the registry, or sys:name), else the
 * registry's record defaults present on this kernel; --cost adds the csd function entry/exit;
 * period (-c) > 1 samples one event in period.
 * EXIT_OK or EXIT_ENV (an event that cannot be added); dies on a bad name.
 */
static int add_events(struct tlb_evlist *el, const char *events, bool cost, int period,
		      bool callchain, bool kernel_only, uint32_t dwarf_stack)
{
	struct perf_event_attr attr;
	const struct tlb_event_def *entry = tlb_events_by_kind(EV_CSD_FUNC_ENTRY);
	const struct tlb_event_def *exit_ = tlb_events_by_kind(EV_CSD_FUNC_EXIT);

	tlb_attr_sampling(&attr, 0);
	if (period > 1) {   /* -c: one sample every period events, as perf record -c */
		attr.sample_period = (uint64_t)period;
		/*
		 * With PERF_SAMPLE_PERIOD a tracepoint samples every event whatever the period
		 * (perf_swevent_event(): "period = nr", kernel/events/core.c): leave it out.
		 */
		attr.sample_type &= ~(uint64_t)PERF_SAMPLE_PERIOD;
	}
	if (callchain)	/* -g: the kernel walks both stacks by frame pointers, as perf -g */
		attr.sample_type |= PERF_SAMPLE_CALLCHAIN;
	if (kernel_only)   /* --kernel-callchains: no user stack walk, no user frames */
		attr.exclude_callchain_user = 1;
	if (dwarf_stack) {
		/*
		 * --call-graph dwarf, as perf sets it: the kernel chain by the kernel, the user part
		 * from the registers and a copy of the stack (unwound by report, lib/unwind.c)
		 */
		attr.sample_type |= PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
		attr.exclude_callchain_user = 1;
		attr.sample_regs_user = UNW_X86_64_REGS_MASK;
		attr.sample_stack_user = dwarf_stack;
	}
	if (events) {
		if (add_listed(el, events, &attr) < 0)
			return EXIT_ENV;
	} else if (add_defaults(el, &attr) < 0) {
		return EXIT_ENV;
	}
	if (cost) {
		if (!tfs_event_exists(entry->sys, entry->name) ||
		    !tfs_event_exists(exit_->sys, exit_->name))
			tlb_die(EXIT_ENV, "--cost needs csd:csd_function_entry/exit, which this "
				"kernel does not have (added in Linux 6.5; 6.1 has none): record without --cost");
		/* -e may have listed them already */
		if ((tlb_evlist_find(el, entry->tracepoint) < 0 &&
		     tlb_evlist_add(el, entry->tracepoint, NULL, &attr) < 0) ||
		    (tlb_evlist_find(el, exit_->tracepoint) < 0 &&
		     tlb_evlist_add(el, exit_->tracepoint, NULL, &attr) < 0))
			return EXIT_ENV;
	}
	/* the first event also brings the kernel's COMM/FORK/EXIT records */
	{
		struct perf_event_attr *a0 = perf_evsel__attr(el->evsels[0].evsel);
		a0->comm = 1;
		a0->comm_exec = 1;
		a0->task = 1;
		/* call chains: the mappings made while recording, to symbolise user frames */
		a0->mmap = callchain && !kernel_only;
		a0->mmap2 = callchain && !kernel_only;
		/* dwarf: data mappings too, as perf (its unwinders read the read-only segment) */
		a0->mmap_data = dwarf_stack != 0;
		el->evsels[0].attr = *a0;
	}
	return EXIT_OK;
}

/*
 * --all-cgroups, as perf record's: every event samples the task's cgroup id, the first also
 * brings the kernel's PERF_RECORD_CGROUP for cgroups made while recording; the hierarchy is
 * found now, to synthesise the existing ones. EXIT_OK or EXIT_ENV (said).
 */
static int record_cgroups(struct record *rec, struct tlb_evlist *el)
{
	char err[512];

	if (cgroup_mount(NULL, rec->cg_mount, sizeof(rec->cg_mount), err, sizeof(err)) < 0) {
		tlb_err("record: --all-cgroups: %s", err);
		return EXIT_ENV;
	}
	for (int i = 0; i < el->nr_evsels; i++) {
		struct perf_event_attr *a = perf_evsel__attr(el->evsels[i].evsel);

		a->sample_type |= PERF_SAMPLE_CGROUP;
		a->cgroup = i == 0;
		el->evsels[i].attr = *a;
	}
	return EXIT_OK;
}

/*
 * Create the file (or, rec->out_fd >= 0, start the stream) with the evlist's events (their names
 * "sys:name" and sample ids). 0, or -1 with err.
 */
static int create_file(struct record *rec, const char *path, struct tlb_evlist *el, int argc,
		       char **argv, const struct syms *syms, char *err, size_t errlen)
{
	struct pd_writer_attr *wattrs = xcalloc((size_t)el->nr_evsels, sizeof(*wattrs));
	char (*names)[130] = xcalloc((size_t)el->nr_evsels, sizeof(*names));

	for (int i = 0; i < el->nr_evsels; i++) {
		uint64_t *ids;
		int n = tlb_evlist_ids(el, i, &ids);
		snprintf(names[i], sizeof(names[i]), "%s:%s", el->evsels[i].sys, el->evsels[i].name);
		wattrs[i] = (struct pd_writer_attr){ &el->evsels[i].attr, ids, n, names[i] };
	}
	if (rec->out_fd >= 0)
		rec->pw = pp_create(rec->out_fd, wattrs, el->nr_evsels, argc, argv, err, errlen);
	else
		rec->w = pd_create(path, wattrs, el->nr_evsels, argc, argv, syms, err, errlen);
	for (int i = 0; i < el->nr_evsels; i++)
		free((void *)wattrs[i].ids);
	free(names);
	free(wattrs);
	return rec->w || rec->pw ? 0 : -1;
}

struct record_opts {
	bool all_cpus, quiet, cost, callchain, all_cgroups, no_buildid_cache;
	bool kernel_chains;		/* --kernel-callchains: -g without the user part */
	uint32_t dwarf_stack;		/* --call-graph dwarf: bytes of user stack per sample */
	const char *cpu_list, *pid, *tid, *output, *events, *freq, *call_graph;
	int mmap_pages, period;
	uint64_t duration_ns;
	const char *sample;		/* --sample: sampler plugins beside the recording */
	uint64_t sample_ns;
};

/* The options into o: the index of the command's first word, or a parse_options() code. */
static int record_options(int argc, char **argv, struct record_opts *o)
{
	char all[160], dflt[160], ehelp[400];

	/* -e's names from the registry (lib/events.c): a new row is listed without an edit here */
	tlb_events_short_names(TLB_EVU_RECORD | TLB_EVU_RECORD_OPT, ",", all, sizeof(all));
	tlb_events_short_names(TLB_EVU_RECORD, ",", dflt, sizeof(dflt));
	snprintf(ehelp, sizeof(ehelp), "comma list: %s or sys:name (default: %s where present)",
		 all, dflt);
	const struct option_def opts[] = {
		OPT_SECTION(" Target (default: all CPUs)"),
		OPT_BOOLEAN('a', "all-cpus", &o->all_cpus, "system-wide collection from all CPUs"),
		OPT_STR('C', "cpu", &o->cpu_list, "cpus", "only these CPUs (e.g. 0-3,6)"),
		OPT_STR('p', "pid", &o->pid, "pid", "the threads of an existing process (ends when all have exited)"),
		OPT_STR('t', "tid", &o->tid, "tid", "one existing thread"),
		OPT_SECTION(" Events and buffers"),
		OPT_STR('e', "events", &o->events, "list", ehelp),
		OPT_BOOLEAN(0, "cost", &o->cost,
			    "also csd:csd_function_entry/exit: time spent in the flush handler"),
		OPT_INTEGER('c', "count", &o->period, "n",
			    "one sample every n events (sample period; default 1: every event; report "
			    "then counts samples)"),
		OPT_STR('F', "freq", &o->freq, "hz", "not applicable to tracepoints: use -c"),
		OPT_BOOLEAN(0, "all-cgroups", &o->all_cgroups,
			    "record each sample's cgroup id and the cgroups' paths (report --sort "
			    "cgroup; Linux 5.7+)"),
		OPT_POW2('m', "mmap-pages", &o->mmap_pages, "pages",
			    "ring buffer pages per CPU, a power of two (default: 16 MiB over "
			    "the online CPUs, 128 to 512)"),
		OPT_DURATION('d', "duration", &o->duration_ns, DUR_S, DUR_MS, 365 * DUR_D,
			     "stop after this long (seconds, or 500ms, 2m, 1h; 1ms to 365d)"),
		OPT_SECTION(" Call chains"),
		OPT_BOOLEAN('g', NULL, &o->callchain,
			    "kernel and user call chains by frame pointers (--call-graph fp)"),
		OPT_STR(0, "call-graph", &o->call_graph, "mode",
			"call chains: fp (frame pointers, as -g) or dwarf[,size] (user stack "
			"copies, default 8192 bytes, unwound by report)"),
		OPT_BOOLEAN(0, "kernel-callchains", &o->kernel_chains,
			    "kernel call chains only (implies -g; no user stack walk or user "
			    "mappings: enough for report --sort cause)"),
		OPT_SECTION(" Output"),
		OPT_STR('o', "output", &o->output, "file",
			"output file, or - for a stream on stdout (default perf.data)"),
		OPT_BOOLEAN('q', "quiet", &o->quiet, "no summary line"),
		OPT_BOOLEAN('N', "no-buildid-cache", &o->no_buildid_cache,
			    "-g: do not put this kernel's kallsyms in the build-id cache (~/.debug, "
			    "as perf)"),
		OPT_STR(0, "sample", &o->sample, "list",
			"sampler plugins (sched,vmstat,gpu,prom:URL) into <output>.samples.csv"),
		OPT_DURATION(0, "sample-interval", &o->sample_ns, DUR_S, 10 * DUR_MS, DUR_H,
			     "one sampler row every this long (default 1s; 10ms to 1h)"),
		OPT_FINISH(),
	};

	int argi = parse_options(argc, argv, opts, record_usage, true);

	if (argi < 0)
		return argi;
	if (o->freq) {
		/* a frequency makes the kernel vary the period: every count would be an estimate */
		tlb_err("record: -F does not apply: tracepoints are counted per event; -c N samples "
			"one in N (Documentation/perf-options.md)");
		return PARSE_OPT_USAGE;
	}
	if (o->period < 0) {
		tlb_err("record: -c must be at least 1");
		return PARSE_OPT_USAGE;
	}
	if (o->call_graph) {
		if (!strncmp(o->call_graph, "dwarf", 5) &&
		    (!o->call_graph[5] || o->call_graph[5] == ',')) {
			const char *size = o->call_graph[5] ? o->call_graph + 6 : NULL;
			char *end;
			unsigned long long v = size ? strtoull(size, &end, 0) : UNW_STACK_DEFAULT;

#ifndef __x86_64__
			tlb_err("record: --call-graph dwarf: only x86-64's user registers are known "
				"to this build; use --call-graph fp");
			return PARSE_OPT_USAGE;
#endif
			if (size && (!*size || *end || *size == '-'))
				v = 0;
			o->dwarf_stack = unw_stack_size(v);
			if (!o->dwarf_stack) {
				tlb_err("record: --call-graph dwarf: bad stack dump size '%s' (1 to %u "
					"bytes, rounded up to 8)", size ? size : "", UNW_STACK_MAX);
				return PARSE_OPT_USAGE;
			}
		} else if (strcmp(o->call_graph, "fp")) {
			tlb_err("record: --call-graph: unknown mode '%s' (fp, dwarf[,size])",
				o->call_graph);
			return PARSE_OPT_USAGE;
		}
		o->callchain = true;
	}
	if (o->kernel_chains) {
		if (o->dwarf_stack) {
			tlb_err("record: --kernel-callchains with --call-graph dwarf: dwarf is "
				"about user stacks");
			return PARSE_OPT_USAGE;
		}
		o->callchain = true;
	}
	return argi;
}

/*
 * The output file, with the previous one kept as .old (perf's habit), and the synthesised
 * kernel map and COMM records. 0, or -1 (said).
 */
static int record_open_file(struct record *rec, const struct record_opts *o,
			    struct tlb_evlist *el, const struct syms *syms, pid_t maps_pid, int argc,
			    char **argv)
{
	char err[512];
	struct stat st;

	if (rec->out_fd < 0 && stat(o->output, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		char old[4096];
		snprintf(old, sizeof(old), "%s.old", o->output);
		rename(o->output, old);
	}
	/* CMDLINE: the whole command line; main() passes argv + 1, so argv[-1] is "tlbstat" */
	if (create_file(rec, o->output, el, argc + 1, argv - 1, syms, err, sizeof(err)) < 0) {
		tlb_err("%s", err);
		return -1;
	}
	if (synthesize(rec, syms, el, maps_pid) < 0) {
		tlb_err("cannot write %s: %s", o->output, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * What a reader finds in a file whose writing failed (a full disk): its samples, up to the last
 * whole record. The writer buffers, so only reading it back says exactly. -1 when unreadable.
 */
static int count_file_samples(const char *path, uint64_t *samples)
{
	const struct perf_event_header *hdr;
	struct pd_reader *rd;
	char err[256];
	int n;

	*samples = 0;
	rd = pd_open(path, err, sizeof(err));
	if (!rd)
		return -1;
	while ((n = pd_next(rd, &hdr, err, sizeof(err))) > 0)
		*samples += hdr->type == PERF_RECORD_SAMPLE;
	pd_close(rd);
	return 0;
}

/* The closing line of a recording that could not be written whole: what the file holds. */
static void say_short_file(const struct record *rec, const struct record_opts *o)
{
	struct stat st;
	uint64_t in_file;

	if (count_file_samples(o->output, &in_file) < 0) {
		tlb_err("%s is not readable after the failed write: nothing of the %llu samples "
			"can be read back", o->output, (unsigned long long)rec->samples);
		return;
	}
	fprintf(stderr, "[ tlbstat record: %s ends early (%s): %llu of %llu samples reached it, "
		"%.3f MB; %llu lost by the kernel ]\n", o->output, strerror(rec->write_errno),
		(unsigned long long)in_file, (unsigned long long)rec->samples,
		stat(o->output, &st) == 0 ? (double)st.st_size / 1e6 : 0.0,
		(unsigned long long)rec->lost);
}

/*
 * After the run: the transport note, the LOST_SAMPLES records, the header; the summary line and
 * the lost-events warning on stderr. 0, or -1 when the file is incomplete (said).
 */
static int record_finish(struct record *rec, const struct record_opts *o, struct tlb_evlist *el)
{
	struct transport_observation obs = { 0 };
	struct transport_info ti;
	uint64_t bytes;
	char note[768];
	int rc = 0;

	obs.valid = true;
	obs.remote_sends = rec->reasons[TLB_REASON_REMOTE_SEND_IPI];
	obs.remote_shootdowns = rec->reasons[TLB_REASON_REMOTE_SHOOTDOWN];
	transport_detect(&obs, &ti);
	snprintf(note, sizeof(note), "transport=%s\nevidence=%s\n", transport_name(ti.transport),
		 ti.evidence);
	/* a stream cannot carry it: perf 6.1 stops at a feature id it does not know */
	if (rec->w && pd_set_note(rec->w, note) < 0)
		tlb_warn("out of memory: %s says nothing of the transport", o->output);
	write_build_ids(rec, o->output, !o->no_buildid_cache);
	if (!rec->write_error && write_lost_samples(rec, &el->evsels[0].attr) < 0) {
		rec->write_error = true;
		rec->write_errno = errno;
	}
	bytes = rec->pw ? pp_bytes_written(rec->pw) : pd_bytes_written(rec->w);
	if (rec->write_error) {
		tlb_err("writing %s failed: %s (the %s holds what was written before)",
			o->output, strerror(rec->write_errno), rec->pw ? "stream" : "file");
		rec->pw ? pp_finish(rec->pw) : pd_finish(rec->w);
		rc = -1;
	} else if ((rec->pw ? pp_finish(rec->pw) : pd_finish(rec->w)) < 0) {
		tlb_err("cannot finish %s: %s", o->output, strerror(errno));
		rc = -1;
	}
	if (rec->write_error)
		say_short_file(rec, o);	/* even with -q: the file is not what was asked for */
	else if (!o->quiet)
		fprintf(stderr, "[ tlbstat record: Wrote %.3f MB %s (%llu samples, %llu lost) ]\n",
			(double)bytes / 1e6, o->output, (unsigned long long)rec->samples,
			(unsigned long long)rec->lost);
	if (rec->lost)
		tlb_warn("the kernel dropped %llu events in %llu LOST records: raise -m",
			 (unsigned long long)rec->lost, (unsigned long long)rec->lost_records);
	return rc;
}

/*
 * -o -: the stream goes to a copy of standard output, and standard output becomes standard
 * error (perf's habit in pipe mode), so that the workload's output never enters the stream. A
 * reader that goes away is a write error (EPIPE), not a silent death by SIGPIPE.
 */
static int record_stdout_stream(struct record *rec)
{
	if (isatty(STDOUT_FILENO)) {
		tlb_err("record: -o -: standard output is a terminal, not a pipe "
			"(tlbstat record -o - ... | tlbstat report -i -)");
		return -1;
	}
	rec->out_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	if (rec->out_fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		tlb_err("record: -o -: %s", strerror(errno));
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* --sample: the plugins open before anything is recorded (a bad name stops here); an exit code */
static int record_samplers_open(const struct record_opts *o, struct sampler_file **sf)
{
	struct sampler_set ss = { 0 };
	const char *dirs[4];
	char buf[4096], err[768];
	int rc;

	if (!o->sample)
		return EXIT_OK;
	if (!strcmp(o->output, "-")) {
		tlb_err("record: --sample writes a file beside the recording: not with -o -");
		return EXIT_USAGE;
	}
	sampler_dirs(NULL, buf, sizeof(buf), dirs);
	rc = sampler_set_add(&ss, o->sample, dirs, err, sizeof(err));
	for (int i = 0; i < ss.nr; i++)
		if (ss.v[i].note[0])
			tlb_warn("sampler %s: %s", ss.v[i].name, ss.v[i].note);
	if (rc) {
		tlb_err("record: %s", err);
		sampler_set_close(&ss);
		return rc == SAMPLER_ENAME ? EXIT_USAGE : rc == SAMPLER_EABI ? EXIT_ENV : EXIT_FAIL;
	}
	*sf = sampler_file_new(&ss, o->sample_ns ? o->sample_ns : DUR_S);
	if (!*sf)
		tlb_err("out of memory");
	return *sf ? EXIT_OK : EXIT_FAIL;
}

/* The side file and its timer, once the session runs; a failure leaves the recording alone. */
static void record_samplers_start(struct sampler_file *sf,
				  const struct record_opts *o)
{
	char path[4096], err[768];

	snprintf(path, sizeof(path), "%s.samples.csv", o->output);
	if (sf && sampler_file_start(sf, path, err, sizeof(err)) < 0)
		tlb_warn("record: --sample: %s: recording without samplers", err);
}

static void record_samplers_close(struct sampler_file *sf)
{
	char err[768];

	if (sampler_file_close(sf, err, sizeof(err)) < 0)
		tlb_warn("record: --sample: %s", err);
}

/* Whose mappings to synthesise (synthesize()): none without call chains or for a workload. */
static pid_t maps_pid(const struct record_opts *o, const struct tlb_target *t)
{
	if (!o->callchain || o->kernel_chains)
		return 0;
	if (t->pid || t->tid)
		return t->pid ? t->pid : t->tid;
	return t->system_wide ? -1 : 0;
}

/*
 * One /proc/kallsyms scan, before the events are enabled, for the file's kallsyms part, the
 * kernel map and the decoder (unreadable, not root: the file has none, like perf's); with call
 * chains the user symbol table for build-ids. 0, or -1 (said).
 */
static int record_symbols(struct record *rec, const struct record_opts *o, struct syms **syms)
{
	char err[512];
	bool user = o->callchain && !o->kernel_chains;

	*syms = syms_new(0);
	rec->kchains = o->kernel_chains;
	if (user)
		rec->usyms = usym_new(NULL);
	if (!*syms || (user && !rec->usyms)) {
		tlb_err("out of memory");
		return -1;
	}
	syms_load_proc(*syms, err, sizeof(err));
	return 0;
}

int cmd_record(int argc, char **argv)
{
	struct record_opts o = { .output = "perf.data" };
	int argi = record_options(argc, argv, &o);
	struct tlb_target target = { 0 };
	struct tlb_evlist el;
	struct record rec = { 0 };
	struct session *s = NULL;
	struct session_ops ops = {
		.raw = on_raw, .event = on_event, .lost = on_lost, .round = on_round,
		.mmap = on_mmap, .fork = on_fork,
	};
	struct workload wl;
	int rc = EXIT_OK, timer_fd = -1;
	char err[512];
	struct syms *syms = NULL;
	struct sampler_file *sf = NULL;

	if (argi < 0)
		return parse_options_exit(argi);
	if (tlb_target_from_options(&target, o.all_cpus, o.cpu_list, o.pid, o.tid, argi < argc,
				    err, sizeof(err)) < 0)
		tlb_die(EXIT_USAGE, "%s", err);

	rec.out_fd = -1;
	if (!strcmp(o.output, "-") && record_stdout_stream(&rec) < 0)
		return EXIT_USAGE;
	if (argi < argc && !command_runnable(argv[argi]))
		tlb_die(EXIT_FAIL, "cannot run '%s': %s", argv[argi], strerror(errno));
	if (tfs_locate(NULL, 0, err, sizeof(err)) < 0)
		tlb_die(EXIT_ENV, "%s", err);
	tlb_evlist_init(&el);
	rc = add_events(&el, o.events, o.cost, o.period, o.callchain, o.kernel_chains,
			o.dwarf_stack);
	if (rc == EXIT_OK && o.all_cgroups)
		rc = record_cgroups(&rec, &el);
	if (rc != EXIT_OK) {
		tlb_evlist_close(&el);
		return rc;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	workload_init(&wl);
	if (argi < argc) {
		if (workload_prepare(&wl, argv + argi, err, sizeof(err)) < 0) {
			tlb_err("%s", err);
			tlb_evlist_close(&el);
			return EXIT_FAIL;
		}
		target.workload = wl.pid;
	}
	rc = record_samplers_open(&o, &sf);
	if (rc != EXIT_OK)
		goto out_child;
	if (tlb_evlist_set_target(&el, &target) < 0) {
		rc = EXIT_USAGE;
		goto out_child;
	}
	if (tlb_evlist_open(&el) < 0) {
		rc = EXIT_ENV;
		goto out_child;
	}
	if (tlb_evlist_mmap(&el, o.mmap_pages) < 0) {
		rc = EXIT_ENV;
		goto out_child;
	}

	if (record_symbols(&rec, &o, &syms) < 0) {
		rc = EXIT_FAIL;
		goto out_child;
	}

	if (record_open_file(&rec, &o, &el, syms, maps_pid(&o, &target), argc, argv) < 0) {
		rc = EXIT_FAIL;
		goto out_child;
	}

	s = session_open_live(&el, syms, err, sizeof(err));
	if (!s) {
		tlb_err("%s", err);
		rc = EXIT_FAIL;
		goto out_child;
	}
	if (wl.pid <= 0 || target.system_wide)
		tlb_evlist_enable(&el);
	if (o.duration_ns)
		timer_fd = arm_duration(s, o.duration_ns);
	record_samplers_start(sf, &o);
	workload_start(&wl);
	if (session_run(s, &ops, &rec, &stop, &wl, err, sizeof(err)) < 0 && !rec.write_error) {
		tlb_err("%s", err);
		rc = EXIT_FAIL;
	}

	if (record_finish(&rec, &o, &el) < 0)
		rc = EXIT_FAIL;
	record_samplers_close(sf);
	session_close(s);
	if (timer_fd >= 0)
		close(timer_fd);
	syms_free(syms);
	usym_free(rec.usyms);
	tlb_evlist_close(&el);
	if (wl.pid > 0 && workload_status(&wl) != -1 && rc == EXIT_OK)
		rc = workload_exit_code(workload_status(&wl), false);
	workload_kill(&wl, SIGTERM);	/* if stopped by a signal or --duration first */
	return rc;

out_child:
	record_samplers_close(sf);
	syms_free(syms);
	usym_free(rec.usyms);
	workload_kill(&wl, SIGKILL);
	tlb_evlist_close(&el);	/* every path frees: the sanitizer suite counts leaks */
	return rc;
}
