/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One stream, many consumers: a session reads records from live ring buffers (drained in a poll
 * loop) or from a perf.data file, parses samples, decodes them into tlb_events and hands them to
 * the consumer's callbacks. record additionally gets every raw record to write to its file.
 * A consumer stops the stream by returning non-zero from any callback.
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

struct workload;

/*
 * What a consumer implements. Every callback may be NULL. A callback that returns non-zero stops
 * the stream: session_run returns that value (nothing more is delivered, not even the last
 * round's end). `attr` is the event the record belongs to (its perf_event_attr, sample ids and
 * "sys:name"), NULL when the record names no known event.
 */
struct session_ops {
	/* A decoded TLB-related event (samples of events tlbstat does not know are not passed). */
	int (*event)(void *ctx, const struct tlb_event *ev, const struct pd_attr *attr);
	/* Process naming: PERF_RECORD_COMM (and exec/rename tracepoints). */
	int (*comm)(void *ctx, pid_t pid, pid_t tid, const char *comm, uint64_t time);
	int (*fork)(void *ctx, pid_t pid, pid_t ppid, pid_t tid, uint64_t time);
	int (*exit)(void *ctx, pid_t pid, pid_t tid, uint64_t time);
	/*
	 * A mapping: PERF_RECORD_MMAP and MMAP2 (the kernel's text map has pid -1), for naming the
	 * frames of call chains. path is NUL-terminated, "" when the record has none.
	 */
	int (*mmap)(void *ctx, pid_t pid, pid_t tid, uint64_t start, uint64_t len, uint64_t pgoff,
		    const char *path);
	/* PERF_RECORD_CGROUP (the kernel's, or synthesised at the start): a cgroup id's path. */
	int (*cgroup)(void *ctx, uint64_t id, const char *path);
	/*
	 * Lost events: PERF_RECORD_LOST counts and LOST_SAMPLES counts describe the same drops
	 * (perf record writes both): the sum of nr passed is max(sum of LOST, sum of LOST_SAMPLES).
	 */
	int (*lost)(void *ctx, uint64_t nr);
	/* Every raw record as read, before decoding (record writes these); not FINISHED_ROUND. */
	int (*raw)(void *ctx, const struct perf_event_header *hdr, const struct pd_attr *attr);
	/*
	 * The end of a round, once: live, after each full drain of all ring buffers (record writes
	 * FINISHED_ROUND here); file, after the records of each FINISHED_ROUND were delivered, and
	 * once more at the end of the file.
	 */
	int (*round)(void *ctx);
	/*
	 * Called at least every tick_ns of sample time (live: wall time too) for interval output.
	 * Live, the rings are drained just before each tick, and tick_ns also bounds every sleep
	 * in poll (a consumer that needs no wakeup between ticks sets a long one).
	 */
	int (*tick)(void *ctx, uint64_t now_ns);
	uint64_t tick_ns;
	/*
	 * Live only, optional: when the next tick is due (now_ns()'s clock), asked at the start and
	 * after each tick, e.g. an interval's close, so that a long tick_ns does not make it late.
	 * The loop still wakes at least every tick_ns, but the tick runs only when due.
	 */
	uint64_t (*tick_due)(void *ctx);
};

struct session;

/*
 * A file source; NULL with err. A file in perf's pipe form (`perf record -o - > file`) is read
 * as a stream.
 */
struct session *session_open_file(const char *path, char *err, size_t errlen);
/*
 * A stream source: perf's pipe form read from fd (a pipe, a FIFO, stdin), which the session
 * owns from now on (closed, also on failure). name is for messages. Reading the prologue blocks
 * until it has come; NULL with err ("not a perf.data stream: ...").
 */
struct session *session_open_stream(int fd, const char *name, char *err, size_t errlen);
/* The stream ended inside a record (its writer died); false for files and live sessions. */
bool session_ended_early(const struct session *s);
struct syms;
/*
 * A live source over an opened and mmapped evlist; NULL with err. Kernel symbols: syms (the
 * caller's, kept for the session's life: record's, already read for its file, so kallsyms is
 * scanned once per process), or NULL to read the session's own now.
 */
struct session *session_open_live(struct tlb_evlist *el, struct syms *syms, char *err,
				  size_t errlen);
void session_close(struct session *s);

/*
 * A descriptor of the consumer's own (listener, timerfd, signalfd, pidfd) polled in the same loop
 * as the ring buffers, like perf's control fd: cb runs when poll reports any of `events` (or an
 * error or hang-up, after which the descriptor is no longer polled). A non-zero return stops the
 * stream like a session_ops callback. A file source checks the descriptors without waiting at
 * each round and every few thousand records. Returns 0, or -1 (out of memory).
 */
int session_add_fd(struct session *s, int fd, short events,
		   int (*cb)(void *ctx, int fd, short revents), void *ctx);

/*
 * Run until the file ends or (live) until *stop becomes true, every -p/-t target exited or the
 * workload `wl` (may be NULL) exited; wl is reaped then (workload_status). Returns 0; -1 with err
 * (corrupt file: events before the error were delivered); or the non-zero value a callback
 * returned.
 */
int session_run(struct session *s, const struct session_ops *ops, void *ctx,
		volatile bool *stop, struct workload *wl, char *err, size_t errlen);

/* Facts about the source, for report headers. */
uint64_t session_first_time(const struct session *s);
uint64_t session_last_time(const struct session *s);
int session_nr_cpus(const struct session *s);
const char *session_osrelease(const struct session *s);
/* Transport recorded in the file ("tlbstat.transport" note), or NULL. */
const char *session_transport(const struct session *s);
struct pd_reader *session_reader(struct session *s);   /* NULL when live; a stream's header */
struct tep_handle *session_tep(struct session *s);
/* Samples that could not be parsed or belong to no known event. */
uint64_t session_bad_samples(const struct session *s);
/*
 * The samples delivered so far per event (malformed ones too), i-th in the order of each event's
 * first sample: its event (NULL: samples of no known event) and count; false past the last.
 */
bool session_event_samples(const struct session *s, int i, const struct pd_attr **attr,
			   uint64_t *n);
/*
 * What perf's warn_about_errors says: when samples could not be decoded, a one-line message for
 * the command to print once at the end ("N samples could not be decoded ..."). Returns 0 (nothing
 * to say) or 1.
 */
int session_errors_message(const struct session *s, char *buf, size_t len);
#endif
