/* SPDX-License-Identifier: GPL-2.0 */
/*
 * perf.data (PERFILE2) files: writing what `perf script`/`perf report` read, and reading both ours
 * and files Debian's `perf record` wrote. Layout: Documentation/perf-data.md and
 * ../shared/reference/perf-data.md.
 */
#ifndef TLBSTAT_PERFDATA_H
#define TLBSTAT_PERFDATA_H
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Feature bits (perf's enum feature; tools/perf/util/header.h). */
enum {
	HEADER_TRACING_DATA = 1, HEADER_BUILD_ID = 2, HEADER_HOSTNAME = 3, HEADER_OSRELEASE = 4,
	HEADER_VERSION = 5, HEADER_ARCH = 6, HEADER_NRCPUS = 7, HEADER_CPUDESC = 8, HEADER_CPUID = 9,
	HEADER_TOTAL_MEM = 10, HEADER_CMDLINE = 11, HEADER_EVENT_DESC = 12, HEADER_CPU_TOPOLOGY = 13,
	HEADER_NUMA_TOPOLOGY = 14, HEADER_BRANCH_STACK = 15, HEADER_PMU_MAPPINGS = 16,
	HEADER_GROUP_DESC = 17, HEADER_AUXTRACE = 18, HEADER_STAT = 19, HEADER_CACHE = 20,
	HEADER_SAMPLE_TIME = 21, HEADER_MEM_TOPOLOGY = 22, HEADER_CLOCKID = 23, HEADER_DIR_FORMAT = 24,
	HEADER_BPF_PROG_INFO = 25, HEADER_BPF_BTF = 26, HEADER_COMPRESSED = 27, HEADER_CPU_PMU_CAPS = 28,
	HEADER_CLOCK_DATA = 29, HEADER_HYBRID_TOPOLOGY = 30, HEADER_PMU_CAPS = 31,
	HEADER_FEAT_BITS = 256,
	/*
	 * tlbstat's own feature: a string of "key=value" lines (transport=..., evidence=...).
	 * Far above perf's last feature, so perf (which only walks bits below its last known
	 * feature) ignores it.
	 */
	HEADER_TLBSTAT = 200,
};

/* PERF_RECORD_FINISHED_ROUND and the other user record types come from libperf. */
#include <perf/event.h>

/* ---------------- reading ---------------- */

struct pd_attr {
	struct perf_event_attr attr;   /* as stored (zero-extended to our sizeof) */
	uint64_t *ids;
	int nr_ids;
	char *name;                    /* from EVENT_DESC ("tlb:tlb_flush"), or NULL */
};

struct pd_reader;

/* Open and validate; NULL with a one-line reason in err ("not a perf.data file", "truncated ..."). */
struct pd_reader *pd_open(const char *path, char *err, size_t errlen);
void pd_close(struct pd_reader *r);

int pd_nr_attrs(const struct pd_reader *r);
const struct pd_attr *pd_attr(const struct pd_reader *r, int i);
/* The attr a record belongs to (by sample id, or the only attr); NULL if unknown. */
const struct pd_attr *pd_attr_of(const struct pd_reader *r, const struct perf_event_header *hdr);

bool pd_has_feature(const struct pd_reader *r, int feat);
/* String features (HOSTNAME, OSRELEASE, VERSION, ARCH, CPUDESC, CPUID); NULL if absent. */
const char *pd_feature_string(const struct pd_reader *r, int feat);
/*
 * The build-id the file's HEADER_BUILD_ID gives for an object ("[kernel.kallsyms]" for the
 * kernel), copied into id (room bytes at most): its length, 0 when the file has none for it.
 */
size_t pd_build_id(const struct pd_reader *r, const char *name, unsigned char *id, size_t room);
/* NRCPUS: online and available; false if absent. */
bool pd_nr_cpus(const struct pd_reader *r, uint32_t *online, uint32_t *avail);
/* CMDLINE joined with spaces; NULL if absent. */
const char *pd_cmdline(const struct pd_reader *r);
/* The raw TRACING_DATA feature (for tdata_read()); NULL if absent. */
const void *pd_tracing_data(const struct pd_reader *r, size_t *len);
/* The bytes of any feature section; NULL if absent. */
const void *pd_feature_blob(const struct pd_reader *r, int feat, size_t *len);

/*
 * Next record of the data section, in file order. Returns 1 with *hdr pointing into the reader's
 * buffer (8-byte aligned; valid until the next pd_next call unless pinned, pd_pin), 0 at the end,
 * -1 on a corrupt record or a read error (err says which and where).
 * A file whose header says data size 0 (killed before the header was rewritten) is read up to
 * its last complete record; pd_truncated() then says so.
 */
int pd_next(struct pd_reader *r, const struct perf_event_header **hdr, char *err, size_t errlen);
bool pd_truncated(const struct pd_reader *r);
/*
 * How far pd_next has read: whole records given, the offset after the last of them, and the
 * file's size. Once a truncated file's pd_next returned 0, file_size - offset bytes were lost
 * (an incomplete last record, or the kill's zero-filled tail).
 */
void pd_extent(const struct pd_reader *r, uint64_t *records, uint64_t *offset, uint64_t *file_size);
/* Keep records from rec on (a pointer pd_next gave) valid while pd_next moves on. NULL: none. */
void pd_pin(struct pd_reader *r, const void *rec);
uint64_t pd_data_size(const struct pd_reader *r);

/* ---------------- writing ---------------- */

struct pd_writer;

/* One event of the file: the attr as opened, its sample ids, its name "sys:name". */
struct pd_writer_attr {
	const struct perf_event_attr *attr;
	const uint64_t *ids;
	int nr_ids;
	const char *name;
};

struct syms;

/*
 * Create path and write the header, attrs and ids at once so that a killed recording is still
 * readable. The formats of every tracepoint attr (by its name "sys:name") go into TRACING_DATA,
 * read from tracefs now, with the kallsyms lines of syms (NULL: /proc/kallsyms is read here).
 * argv/argc: the command line for CMDLINE (kept by reference).
 */
struct pd_writer *pd_create(const char *path, const struct pd_writer_attr *attrs, int nr_attrs,
			    int argc, char **argv, const struct syms *syms, char *err,
			    size_t errlen);
/* Append one record (already formatted, header.size bytes, 8-byte multiple). 0 or -1 (errno). */
int pd_write(struct pd_writer *w, const void *rec, size_t len);
/* Append a PERF_RECORD_FINISHED_ROUND (and write out the buffer every 100 ms, bring the
 * header's data size up to date once a second). */
int pd_finish_round(struct pd_writer *w);
/* The same periodic write-out and header refresh, without a round record (nothing new). */
int pd_tick(struct pd_writer *w);
/* Text for the HEADER_TLBSTAT feature ("transport=hypervisor\nevidence=..."); NULL: none.
 * 0, or -1 when out of memory (the file then has no note). */
int pd_set_note(struct pd_writer *w, const char *note);
/*
 * The body of the HEADER_BUILD_ID feature (perf's build-id records, laid out by the caller:
 * synth_build_id_record()); NULL/0: none. Copied. 0, or -1 when out of memory.
 */
int pd_set_build_ids(struct pd_writer *w, const void *blob, size_t len);
/*
 * What the writer's feature bodies are built from; the file's feature sections and the pipe
 * form's HEADER_FEATURE records (perfpipe.c) carry the same bytes.
 */
struct pd_feature_src {
	const struct pd_writer_attr *attrs;
	int nr_attrs;
	int argc;
	char **argv;
	const char *tracing;		/* TRACING_DATA */
	size_t tracing_len;
	const char *note;		/* HEADER_TLBSTAT, or NULL */
	const void *build_ids;		/* HEADER_BUILD_ID's body, or NULL */
	size_t build_ids_len;
};
/* The body of feature feat (empty for one the writer does not know): 0 with *body (malloc'd,
 * may be NULL when empty) and *len, or -1 when out of memory. */
int pd_feature_body(const struct pd_feature_src *src, int feat, void **body, size_t *len);
/* Write the feature sections and rewrite the header; close. 0 or -1. */
int pd_finish(struct pd_writer *w);
uint64_t pd_bytes_written(const struct pd_writer *w);
#endif
