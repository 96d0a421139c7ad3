// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: a perf.data file through report's path: pd_open and its header checks, the
 * record iterator, sample parsing, then a file session (tracing data, ordering, decoding) feeding
 * agg. The input lives in a memfd, opened by its /proc path, as report opens a file.
 */
#include "agg.h"
#include "perfdata.h"
#include "sample.h"
#include "session.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_event(void *ctx, const struct tlb_event *ev, const struct pd_attr *attr)
{
	return agg_event(ctx, ev) < 0;
}

static int on_comm(void *ctx, pid_t pid, pid_t tid, const char *comm, uint64_t time)
{
	return agg_comm(ctx, pid, tid, comm, time) < 0;
}

static int on_round(void *ctx)
{
	return agg_round(ctx) < 0;
}

/* pd_open, pd_next and sample_parse alone */
static void iterate(const char *path)
{
	char err[512];
	struct pd_reader *r = pd_open(path, err, sizeof(err));
	const struct perf_event_header *h;

	while (r && pd_next(r, &h, err, sizeof(err)) == 1) {
		const struct pd_attr *a = pd_attr_of(r, h);
		struct tlb_sample s;

		if (a && h->type == PERF_RECORD_SAMPLE)
			sample_parse(h, a->attr.sample_type, &s);
	}
	pd_close(r);
}

/* what report does with the file, without printing */
static void decode(const char *path)
{
	static const struct session_ops ops = {
		.event = on_event, .comm = on_comm, .round = on_round,
	};
	struct agg_config cfg = { .interval_ns = 1000000000ULL, .page_size = 4096 };
	char err[512];
	struct session *s = session_open_file(path, err, sizeof(err));
	struct agg *a;

	if (!s)
		return;
	a = agg_new(&cfg);
	if (a) {
		const struct agg_interval *iv;
		struct agg_task **tasks = NULL;

		session_run(s, &ops, a, NULL, NULL, err, sizeof(err));
		agg_finish(a);
		agg_intervals(a, &iv);
		if (agg_processes(a, AGG_SORT_EVENTS, &tasks) >= 0)
			free(tasks);
		agg_free(a);
	}
	session_close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = memfd_create("fuzz.data", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		iterate(path);
		decode(path);
	}
	close(fd);
	return 0;
}
