// SPDX-License-Identifier: GPL-2.0
/*
 * The sample filter of report: which events a consumer keeps, as perf report's --pid, --tid,
 * -c/--comms, -C/--cpu and --time mean it. One object the consumer holds and asks once per
 * event, in its session callback, before counting: the printers never filter.
 *
 * An event passes when every filter set passes it (pids OR'ed within --pid, and so on; --pid and
 * --tid together: either matches, as in perf). Events that only name a task (EV_EXEC,
 * EV_RENAME) always pass: they count nothing and keep the names of the tasks that do count.
 */
#ifndef TLBSTAT_FILTER_H
#define TLBSTAT_FILTER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tlb_event;

struct filter {
	pid_t *pids, *tids;
	int nr_pids, nr_tids;
	char **comms;                /* exact task names */
	int nr_comms;
	int *cpus;                   /* sorted */
	int nr_cpus;
	bool has_time;
	bool rel_start, rel_end;     /* "+S": seconds after the first event */
	uint64_t start_ns, end_ns;   /* end_ns UINT64_MAX: open */
	uint64_t origin_ns;          /* the first event's time, once seen */
	char *comm_buf;
};

/* Each returns 0, or -1 with one line in err (bad syntax, out of memory). */
int filter_set_pids(struct filter *f, const char *list, char *err, size_t errlen);
int filter_set_tids(struct filter *f, const char *list, char *err, size_t errlen);
int filter_set_comms(struct filter *f, const char *list, char *err, size_t errlen);
int filter_set_cpus(struct filter *f, const char *list, char *err, size_t errlen);
/*
 * perf's --time: "start,end" in seconds as perf script prints sample times ("1234.567890,"
 * opens the end, ",1234.6" the start); a side written "+S" is S seconds after the first event
 * (tlbstat's addition: the t_s of report's series and bursts).
 */
int filter_set_time(struct filter *f, const char *spec, char *err, size_t errlen);
void filter_free(struct filter *f);

static inline bool filter_active(const struct filter *f)
{
	return f->nr_pids || f->nr_tids || f->nr_comms || f->nr_cpus || f->has_time;
}

/* Does the consumer need the task's name for filter_match()? (--comm given) */
static inline bool filter_wants_comm(const struct filter *f)
{
	return f->nr_comms > 0;
}

/*
 * Keep ev? comm: the task's current name (NULL when unknown, or when !filter_wants_comm). Call
 * for every event in time order: the first one sets the origin of "+S" times.
 */
bool filter_match(struct filter *f, const struct tlb_event *ev, const char *comm);
/* The window [*start, *end] in absolute ns once the origin is known; false without --time. */
bool filter_time_window(const struct filter *f, uint64_t *start, uint64_t *end);
#endif
