// SPDX-License-Identifier: GPL-2.0
/*
 * Synthesised COMM, kernel MMAP and process MMAP2 records (synthesize.h), laid out as perf record
 * writes them.
 */
#include "synthesize.h"
#include "cgroup.h"
#include "symbols.h"
#include "util.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdbool.h>
#include <sys/mman.h>
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

/* One line of /proc/pid/maps, parsed; false for a line that is not one. */
struct maps_line {
	uint64_t start, end, pgoff, ino;
	unsigned maj, min;
	char perms[5];
	const char *path;	/* into the line; "" for an anonymous mapping */
};

static bool parse_maps_line(char *line, struct maps_line *m)
{
	int pos = 0;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 " %n",
		   &m->start, &m->end, m->perms, &m->pgoff, &m->maj, &m->min, &m->ino, &pos) < 7 ||
	    m->end <= m->start)
		return false;
	m->path = line + pos;
	while (*m->path == ' ')
		m->path++;
	return true;
}

/* The MMAP2 record of one mapping: 0, or emit's -1. */
static int mmap2_record(const struct perf_event_attr *attr, uint64_t id, pid_t pid,
			const struct maps_line *m, synth_emit_fn emit, void *ctx)
{
	struct {
		struct perf_event_header h;
		uint32_t pid, tid;
		uint64_t start, len, pgoff;
		uint32_t maj, min;
		uint64_t ino, ino_generation;
		uint32_t prot, flags;
		char filename[4096 + 8];
		uint64_t trailer[8];
	} rec;
	size_t flen = strnlen(m->path, 4096) + 1, n;
	char *tail;

	memset(&rec, 0, offsetof(typeof(rec), filename));
	rec.h.type = PERF_RECORD_MMAP2;
	rec.h.misc = PERF_RECORD_MISC_USER;
	rec.pid = rec.tid = (uint32_t)pid;
	rec.start = m->start;
	rec.len = m->end - m->start;
	rec.pgoff = m->pgoff;
	rec.maj = m->maj;
	rec.min = m->min;
	rec.ino = m->ino;
	rec.prot = (m->perms[0] == 'r' ? PROT_READ : 0) | (m->perms[1] == 'w' ? PROT_WRITE : 0) |
		   (m->perms[2] == 'x' ? PROT_EXEC : 0);
	rec.flags = m->perms[3] == 's' ? MAP_SHARED : MAP_PRIVATE;
	/* the path, NUL-padded to a multiple of 8, then the sample_id trailer right after it */
	flen = (flen + 7) & ~(size_t)7;
	memset(rec.filename, 0, flen);
	memcpy(rec.filename, m->path, strnlen(m->path, 4096));
	tail = rec.filename + flen;
	n = synth_id_trailer(attr, id, pid, pid, rec.trailer);
	memmove(tail, rec.trailer, n * 8);
	rec.h.size = (uint16_t)(tail - (char *)&rec + n * 8);
	return emit(ctx, &rec, rec.h.size);
}

/*
 * The executable mappings of one process, and its data mappings too with mmap_data (perf's rule:
 * --call-graph dwarf sets it, and perf's unwinders read .eh_frame_hdr from the read-only
 * segment); a process that is gone is skipped (0).
 */
static int mmaps_of(const struct perf_event_attr *attr, uint64_t id, pid_t pid,
		    synth_emit_fn emit, void *ctx)
{
	char path[64], *text, *line, *save = NULL;
	int rc = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	text = read_file(path, NULL);
	if (!text)
		return 0;
	for (line = strtok_r(text, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save)) {
		struct maps_line m;

		if (parse_maps_line(line, &m) && (m.perms[2] == 'x' || attr->mmap_data)) {
			if (!*m.path)
				m.path = "//anon";	/* perf's name for anonymous memory */
			rc = mmap2_record(attr, id, pid, &m, emit, ctx);
		}
	}
	free(text);
	return rc;
}

int synth_mmaps(const struct perf_event_attr *attr, uint64_t id, pid_t pid, synth_emit_fn emit,
		void *ctx)
{
	DIR *proc;
	struct dirent *pd;
	int rc = 0, err;

	if (pid >= 0)
		return mmaps_of(attr, id, pid, emit, ctx);
	proc = opendir("/proc");
	if (!proc)
		return -1;
	while (!rc && (pd = readdir(proc))) {
		pid_t p;

		if (parse_pid(pd->d_name, &p))
			rc = mmaps_of(attr, id, p, emit, ctx);
	}
	err = errno;	/* emit's, kept across closedir */
	closedir(proc);
	errno = err;
	return rc;
}

struct cg_synth {
	const struct perf_event_attr *attr;
	uint64_t id;
	synth_emit_fn emit;
	void *ctx;
	bool emit_failed;
};

/* One PERF_RECORD_CGROUP: id, the path NUL-padded to 8 bytes, the sample_id trailer. */
static int cgroup_record(void *ctx, uint64_t cg_id, const char *path)
{
	struct cg_synth *c = ctx;
	struct {
		struct perf_event_header h;
		uint64_t id;
		char path[CGROUP_PATH_MAX + 8 + 64];
	} rec;
	size_t plen = strnlen(path, CGROUP_PATH_MAX - 1), flen = (plen + 1 + 7) & ~(size_t)7, n;
	uint64_t trailer[8];

	memset(&rec.h, 0, sizeof(rec.h));
	rec.h.type = PERF_RECORD_CGROUP;
	rec.id = cg_id;
	memset(rec.path, 0, flen);
	memcpy(rec.path, path, plen);
	n = synth_id_trailer(c->attr, c->id, -1, -1, trailer);
	memcpy(rec.path + flen, trailer, n * 8);
	rec.h.size = (uint16_t)(offsetof(typeof(rec), path) + flen + n * 8);
	if (c->emit(c->ctx, &rec, rec.h.size) < 0) {
		c->emit_failed = true;
		return -1;
	}
	return 0;
}

int synth_cgroups(const struct perf_event_attr *attr, uint64_t id, const char *mount,
		  synth_emit_fn emit, void *ctx, char *err, size_t errlen)
{
	struct cg_synth c = { attr, id, emit, ctx, false };
	int rc = cgroup_walk(mount, cgroup_record, &c, err, errlen);

	if (c.emit_failed)
		snprintf(err, errlen, "%s", strerror(errno));
	return rc ? -1 : 0;
}

size_t synth_build_id_record(void *buf, size_t room, bool kernel, const char *path,
			     const unsigned char *id, size_t len)
{
	struct __attribute__((packed)) {
		struct perf_event_header h;
		int32_t pid;
		uint8_t data[20], size, reserved1;
		uint16_t reserved2;
	} b;
	size_t name = (strlen(path) + 1 + 63) & ~(size_t)63, total = sizeof(b) + name;

	if (total > room || total > UINT16_MAX)
		return total;
	memset(&b, 0, sizeof(b));
	b.h.misc = (kernel ? PERF_RECORD_MISC_KERNEL : PERF_RECORD_MISC_USER) | (1 << 15);
	b.h.size = (uint16_t)total;
	b.pid = -1;	/* perf's HOST_KERNEL_ID: the host's objects */
	b.size = (uint8_t)(len < 20 ? len : 20);
	memcpy(b.data, id, b.size);
	memcpy(buf, &b, sizeof(b));
	memset((char *)buf + sizeof(b), 0, name);
	memcpy((char *)buf + sizeof(b), path, strlen(path));
	return total;
}
