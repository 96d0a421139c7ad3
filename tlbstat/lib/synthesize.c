// SPDX-License-Identifier: GPL-2.0
/*
 * Synthesised COMM and kernel MMAP records (synthesize.h), laid out as perf record writes them.
 */
#include "synthesize.h"
#include "symbols.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t synth_id_trailer(const struct perf_event_attr *attr, uint64_t id, pid_t pid, pid_t tid,
			uint64_t out[8])
{
	uint64_t st = attr->sample_type;
	size_t n = 0;

	if (!attr->sample_id_all)
		return 0;
	if (st & PERF_SAMPLE_TID)
		out[n++] = (uint32_t)pid | ((uint64_t)(uint32_t)tid << 32);
	if (st & PERF_SAMPLE_TIME)
		out[n++] = 0;
	if (st & PERF_SAMPLE_ID)
		out[n++] = id;
	if (st & PERF_SAMPLE_STREAM_ID)
		out[n++] = id;
	if (st & PERF_SAMPLE_CPU)
		out[n++] = 0;
	if (st & PERF_SAMPLE_IDENTIFIER)
		out[n++] = id;
	return n;
}

int synth_kernel_mmap(const struct syms *syms, const struct perf_event_attr *attr, uint64_t id,
		      synth_emit_fn emit, void *ctx)
{
	uint64_t text = syms_addr(syms, "_text"), etext = syms_addr(syms, "_etext");
	struct {
		struct perf_event_header h;
		uint32_t pid, tid;
		uint64_t start, len, pgoff;
		char filename[24];
		uint64_t trailer[8];
	} rec;
	size_t n;

	if (!text || etext <= text)
		return 0;	/* addresses hidden (kptr_restrict): nothing honest to write */
	memset(&rec, 0, sizeof(rec));
	rec.h.type = PERF_RECORD_MMAP;
	rec.h.misc = PERF_RECORD_MISC_KERNEL;
	rec.pid = (uint32_t)-1;
	rec.start = text;
	rec.len = etext - text;
	rec.pgoff = text;
	snprintf(rec.filename, sizeof(rec.filename), "[kernel.kallsyms]_text");
	n = synth_id_trailer(attr, id, -1, 0, rec.trailer);
	rec.h.size = (uint16_t)(offsetof(typeof(rec), trailer) + n * 8);
	return emit(ctx, &rec, rec.h.size);
}

/* One thread's COMM record; a thread that is gone is skipped (0). */
static int comm_record(const struct perf_event_attr *attr, uint64_t id, pid_t pid, pid_t tid,
		       synth_emit_fn emit, void *ctx)
{
	struct {
		struct perf_event_header h;
		uint32_t pid, tid;
		char comm[16];
		uint64_t trailer[8];
	} rec;
	char path[96];
	size_t n;
	char *s;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)pid, (int)tid);
	s = read_file(path, NULL);
	if (!s)
		return 0;
	s[strcspn(s, "\n")] = '\0';
	memset(&rec, 0, sizeof(rec));
	rec.pid = (uint32_t)pid;
	rec.tid = (uint32_t)tid;
	memcpy(rec.comm, s, strnlen(s, 15));
	free(s);
	n = synth_id_trailer(attr, id, pid, tid, rec.trailer);
	rec.h.type = PERF_RECORD_COMM;
	rec.h.size = (uint16_t)(offsetof(typeof(rec), trailer) + n * 8);
	return emit(ctx, &rec, rec.h.size);
}

int synth_comms(const struct perf_event_attr *attr, uint64_t id, synth_emit_fn emit, void *ctx)
{
	DIR *proc = opendir("/proc");
	struct dirent *pd;
	int rc = 0, err;

	if (!proc)
		return -1;
	while (!rc && (pd = readdir(proc))) {
		pid_t pid, tid;
		char path[64];
		DIR *task;
		struct dirent *td;

		if (!parse_pid(pd->d_name, &pid))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
		task = opendir(path);
		if (!task)
			continue;
		while (!rc && (td = readdir(task)))
			if (parse_pid(td->d_name, &tid))
				rc = comm_record(attr, id, pid, tid, emit, ctx);
		closedir(task);
	}
	err = errno;	/* emit's, kept across closedir */
	closedir(proc);
	errno = err;
	return rc;
}
