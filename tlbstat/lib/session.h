/*
 * One stream, many consumers: a session reads records from live ring buffers (drained in a poll
 * loop) or from a perf.data file, parses samples, decodes them into tlb_events and hands them to
 * the consumer's callbacks. record additionally gets every raw record to write to its file.
 */
#ifndef TLBSTAT_SESSION_H
#define TLBSTAT_SESSION_H
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct tlb_event;
struct tlb_evlist;
struct pd_reader;
struct pd_attr;

struct session_ops {
	/* A decoded TLB-related event (samples of events tlbstat does not know are not passed). */
	void (*event)(void *ctx, const struct tlb_event *ev);
	/* Process naming: PERF_RECORD_COMM (and exec/rename tracepoints). */
	void (*comm)(void *ctx, pid_t pid, pid_t tid, const char *comm, uint64_t time);
	void (*fork)(void *ctx, pid_t pid, pid_t ppid, pid_t tid, uint64_t time);
	void (*exit)(void *ctx, pid_t pid, pid_t tid, uint64_t time);
	/*
	 * Lost events: PERF_RECORD_LOST counts and LOST_SAMPLES counts describe the same drops
	 * (perf record writes both): the sum of nr passed is max(sum of LOST, sum of LOST_SAMPLES).
	 */
	void (*lost)(void *ctx, uint64_t nr);
	/* Every raw record as read, before decoding (record writes these). */
	void (*raw)(void *ctx, const struct perf_event_header *hdr);
	/* After each full drain of all ring buffers (live) — record writes FINISHED_ROUND here. */
	void (*round)(void *ctx);
	/* Called at least every tick_ns of sample time (live: wall time too) for interval output. */
	void (*tick)(void *ctx, uint64_t now_ns);
	uint64_t tick_ns;
};

struct session;

/* A file source; NULL with err. */
struct session *session_open_file(const char *path, char *err, size_t errlen);
/* A live source over an opened and mmapped evlist (kernel symbols: its own, read now). */
struct session *session_open_live(struct tlb_evlist *el);
struct syms;
/* The same with the caller's symbol table (kept for the session's life; record's, already
 * read for its file): one kallsyms scan per process. */
struct session *session_open_live_syms(struct tlb_evlist *el, struct syms *syms);
void session_close(struct session *s);

/*
 * Run until the file ends, or (live) until *stop becomes true or the workload exits
 * (workload_pid > 0). Returns 0, or -1 with err (corrupt file: events before the error were
 * delivered).
 */
int session_run(struct session *s, const struct session_ops *ops, void *ctx,
		volatile bool *stop, pid_t workload_pid, char *err, size_t errlen);

/* Facts about the source, for report headers. */
uint64_t session_first_time(const struct session *s);
uint64_t session_last_time(const struct session *s);
int session_nr_cpus(const struct session *s);
const char *session_osrelease(const struct session *s);
/* Transport recorded in the file ("tlbstat.transport" note), or NULL. */
const char *session_transport(const struct session *s);
struct pd_reader *session_reader(struct session *s);   /* NULL when live */
/* File: the event (attr) of the record being delivered, inside the callbacks; NULL if unknown. */
const struct pd_attr *session_record_attr(const struct session *s);
struct tep_handle *session_tep(struct session *s);
/* Live with a workload: its wait status once it exited (session_run returned), else -1. */
int session_workload_status(const struct session *s);
/* Samples that could not be parsed or belong to no known event. */
uint64_t session_bad_samples(const struct session *s);
#endif
