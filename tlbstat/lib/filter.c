// SPDX-License-Identifier: GPL-2.0
#include "filter.h"
#include "event.h"
#include "strlist.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int pid_list(const char *what, const char *list, pid_t **out, int *nr, char *err,
		    size_t errlen)
{
	struct strlist l;
	char *item;
	int i;

	if (strlist_split(&l, list, err, errlen) < 0)
		return -1;
	free(*out);
	*out = calloc((size_t)l.nr, sizeof(**out));
	*nr = 0;
	if (!*out) {
		strlist_free(&l);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	strlist_for_each(&l, i, item) {
		if (!parse_pid(item, &(*out)[i])) {
			snprintf(err, errlen, "%s: '%s' is not a %s", list, item, what);
			strlist_free(&l);
			return -1;
		}
	}
	*nr = l.nr;
	strlist_free(&l);
	return 0;
}

int filter_set_pids(struct filter *f, const char *list, char *err, size_t errlen)
{
	return pid_list("pid", list, &f->pids, &f->nr_pids, err, errlen);
}

int filter_set_tids(struct filter *f, const char *list, char *err, size_t errlen)
{
	return pid_list("tid", list, &f->tids, &f->nr_tids, err, errlen);
}

int filter_set_comms(struct filter *f, const char *list, char *err, size_t errlen)
{
	struct strlist l;

	if (strlist_split(&l, list, err, errlen) < 0)
		return -1;
	free(f->comms);
	free(f->comm_buf);
	/* the list keeps its items: take its arrays over */
	f->comms = l.items;
	f->comm_buf = l.buf;
	f->nr_comms = l.nr;
	return 0;
}

int filter_set_cpus(struct filter *f, const char *list, char *err, size_t errlen)
{
	int n;

	free(f->cpus);
	f->cpus = NULL;
	f->nr_cpus = 0;
	n = parse_cpu_list(list, -1, &f->cpus, err, errlen);
	if (n < 0)
		return -1;
	f->nr_cpus = n;
	return 0;
}

/* One side of --time: "" (open), "S.frac" (absolute) or "+S.frac" (relative); 0 or -1. */
static int time_side(const char *s, size_t len, uint64_t *ns, bool *rel)
{
	char buf[64], *end;
	double v;

	*rel = false;
	if (!len)
		return 1;
	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = 0;
	if (buf[0] == '+')
		*rel = true;
	errno = 0;
	v = strtod(buf + *rel, &end);
	if (end == buf + *rel || *end || errno || !isfinite(v) || v < 0 || v > 1e10)
		return -1;
	*ns = (uint64_t)llround(v * 1e9);
	return 0;
}

int filter_set_time(struct filter *f, const char *spec, char *err, size_t errlen)
{
	const char *comma = strchr(spec, ',');
	int a, b;

	if (!comma || strchr(comma + 1, ',')) {
		snprintf(err, errlen, "'%s': want start,end (seconds; either may be empty)", spec);
		return -1;
	}
	f->start_ns = 0;
	f->end_ns = UINT64_MAX;
	a = time_side(spec, (size_t)(comma - spec), &f->start_ns, &f->rel_start);
	b = time_side(comma + 1, strlen(comma + 1), &f->end_ns, &f->rel_end);
	if (a < 0 || b < 0) {
		snprintf(err, errlen, "'%s': a time is seconds (1234.5) or seconds after the first "
			 "event (+2.5)", spec);
		return -1;
	}
	if (a == 1 && b == 1) {
		snprintf(err, errlen, "'%s': give a start, an end or both", spec);
		return -1;
	}
	if (a == 0 && b == 0 && f->rel_start == f->rel_end && f->end_ns < f->start_ns) {
		snprintf(err, errlen, "'%s': the end is before the start", spec);
		return -1;
	}
	f->has_time = true;
	return 0;
}

void filter_free(struct filter *f)
{
	free(f->pids);
	free(f->tids);
	free(f->comms);
	free(f->comm_buf);
	free(f->cpus);
	memset(f, 0, sizeof(*f));
}

static bool pid_in(const pid_t *v, int n, pid_t p)
{
	for (int i = 0; i < n; i++)
		if (v[i] == p)
			return true;
	return false;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

bool filter_time_window(const struct filter *f, uint64_t *start, uint64_t *end)
{
	if (!f->has_time)
		return false;
	*start = f->rel_start ? f->origin_ns + f->start_ns : f->start_ns;
	*end = f->end_ns == UINT64_MAX ? UINT64_MAX :
	       f->rel_end ? f->origin_ns + f->end_ns : f->end_ns;
	return true;
}

static bool task_match(const struct filter *f, const struct tlb_event *ev, const char *comm)
{
	if ((f->nr_pids || f->nr_tids) && !pid_in(f->pids, f->nr_pids, ev->pid) &&
	    !pid_in(f->tids, f->nr_tids, ev->tid))
		return false;
	if (f->nr_comms) {
		bool any = false;

		for (int i = 0; comm && i < f->nr_comms && !any; i++)
			any = !strcmp(comm, f->comms[i]);
		if (!any)
			return false;
	}
	return true;
}

bool filter_match(struct filter *f, const struct tlb_event *ev, const char *comm)
{
	uint64_t start, end;

	if (!f->origin_ns)
		f->origin_ns = ev->time ? ev->time : 1;
	if (ev->kind == EV_EXEC || ev->kind == EV_RENAME)
		return true;
	if (!task_match(f, ev, comm))
		return false;
	if (f->nr_cpus && !bsearch(&ev->cpu, f->cpus, (size_t)f->nr_cpus, sizeof(int), cmp_int))
		return false;
	if (filter_time_window(f, &start, &end) && (ev->time < start || ev->time > end))
		return false;
	return true;
}
