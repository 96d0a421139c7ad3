/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Records that describe the machine as it was when recording began, synthesised the way perf
 * record does: a COMM per running thread, the kernel's text MMAP. Each record goes to an emit
 * callback (record: its perf.data writer; later the exporter), so nothing here knows a file.
 */
#ifndef TLBSTAT_SYNTHESIZE_H
#define TLBSTAT_SYNTHESIZE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct perf_event_attr;
struct syms;

/* Take one formatted record (header.size bytes); 0, or -1 with errno to stop. */
typedef int (*synth_emit_fn)(void *ctx, const void *rec, size_t len);

/*
 * The sample_id_all trailer of a synthesised record (pid/tid, time 0, cpu 0, id), so that perf
 * maps it to an event. Returns the number of u64s written to out.
 */
size_t synth_id_trailer(const struct perf_event_attr *attr, uint64_t id, pid_t pid, pid_t tid,
			uint64_t out[8]);
/*
 * The kernel's text mapping, as perf synthesises it ([kernel.kallsyms]_text from _text to
 * _etext, from syms). Nothing is emitted when the addresses are hidden (kptr_restrict).
 * 0, or emit's -1.
 */
int synth_kernel_mmap(const struct syms *syms, const struct perf_event_attr *attr, uint64_t id,
		      synth_emit_fn emit, void *ctx);
/* PERF_RECORD_COMM for every thread running now. 0, or -1 (errno: /proc unreadable, or emit's). */
int synth_comms(const struct perf_event_attr *attr, uint64_t id, synth_emit_fn emit, void *ctx);
/*
 * PERF_RECORD_MMAP2 for every executable mapping of process pid (from /proc/pid/maps), or of
 * every process when pid is -1, as perf record synthesises them for call-chain symbolisation:
 * address range, offset, device, inode, protection and path ([vdso] and anonymous executable
 * mappings included, as perf writes them). A process that is gone is skipped.
 * 0, or -1 (errno: /proc unreadable, or emit's).
 */
int synth_mmaps(const struct perf_event_attr *attr, uint64_t id, pid_t pid, synth_emit_fn emit,
		void *ctx);
/*
 * PERF_RECORD_CGROUP for every cgroup under mount (cgroup_walk: the root as "/"), as perf's
 * synthetic cgroup events, so that the ids in samples (PERF_SAMPLE_CGROUP) have paths. 0, or -1
 * with err (not a cgroupfs) or emit's -1 (errno).
 */
int synth_cgroups(const struct perf_event_attr *attr, uint64_t id, const char *mount,
		  synth_emit_fn emit, void *ctx, char *err, size_t errlen);
/*
 * One record of the HEADER_BUILD_ID feature, as perf writes it (header with misc KERNEL or USER
 * and BUILD_ID_SIZE, pid -1, 20 bytes of id and its size, the path NUL-padded to 64 bytes), into
 * buf if it fits in room. Returns its size.
 */
size_t synth_build_id_record(void *buf, size_t room, bool kernel, const char *path,
			     const unsigned char *id, size_t len);
#endif
