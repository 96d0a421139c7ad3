// SPDX-License-Identifier: GPL-2.0
/*
 * perf.data's pipe form (what `perf record -o -` writes and `perf report -i -` reads): a 16-byte
 * header (PERFILE2, size 16), then the synthesised records HEADER_ATTR (attr + ids),
 * HEADER_FEATURE (one per feature, the file's section bytes), HEADER_TRACING_DATA (a u32 size,
 * then that many bytes outside the record), FINISHED_INIT, then the data records. Nothing is
 * ever sought: a pipe, a FIFO or stdin. Layout: Documentation/perf-data.md.
 *
 * Reader: the prologue is reassembled into a perf.data header image (attrs, ids, features; in
 * a memfd) that pd_open validates and parses, so attrs, ids and features have one parser, the
 * file reader's. Data records are copied into chunks (lib/chunks.c, the file reader's too) that
 * live as long as the caller's oldest pinned record (pp_pin, as pd_pin for files).
 */
#ifndef TLBSTAT_PERFPIPE_H
#define TLBSTAT_PERFPIPE_H
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pd_reader;
struct pd_writer_attr;

/* ---------------- reading ---------------- */

struct pp_reader;

/*
 * Read the stream's header and prologue from fd (which the reader then owns and closes), up to
 * its first data record. name is for messages ("-" or the FIFO's path). NULL with one line in
 * err: "not a perf.data stream: ..." for anything that is not perf's pipe form.
 */
struct pp_reader *pp_open(int fd, const char *name, char *err, size_t errlen);
void pp_close(struct pp_reader *r);
/* The attrs, ids and features as a file reader (pd_attr_of, pd_feature_*, pd_tracing_data). */
struct pd_reader *pp_header(struct pp_reader *r);
/*
 * The next data record in stream order: 1 with *hdr (valid while it is at or after the pinned
 * record, see pp_pin; at least until the next pp_next), 0 at the end of the stream, -1 with err
 * (a corrupt record or a read error). User records that carry data after them (TRACING_DATA,
 * AUXTRACE) and header records met later are skipped.
 */
int pp_next(struct pp_reader *r, const struct perf_event_header **hdr, char *err, size_t errlen);
/* Keep records from rec on (a pointer pp_next gave) in memory; NULL: none beyond the last. */
void pp_pin(struct pp_reader *r, const void *rec);
/* The stream stopped inside a record: the writer died. */
bool pp_ended_early(const struct pp_reader *r);
uint64_t pp_bytes_read(const struct pp_reader *r);
/* Bytes of the chunks of records held in memory now, for tests. */
size_t pp_held(const struct pp_reader *r);

/* ---------------- writing ---------------- */

struct pp_writer;

/*
 * Write the pipe header and prologue to fd (not closed by the writer): attrs with ids, the
 * features perf 6.1 synthesises (HOSTNAME ... EVENT_DESC), TRACING_DATA (formats from tracefs;
 * its kallsyms part empty, as perf writes it: perf 6.1 cannot skip one in a pipe, so readers
 * classify functions with /proc/kallsyms), FINISHED_INIT. NULL with err.
 */
struct pp_writer *pp_create(int fd, const struct pd_writer_attr *attrs, int nr_attrs, int argc,
			    char **argv, char *err, size_t errlen);
/* Append one record (header.size bytes). 0, or -1 (errno). */
int pp_write(struct pp_writer *w, const void *rec, size_t len);
/* Append FINISHED_ROUND; the buffer goes out every 100 ms. */
int pp_finish_round(struct pp_writer *w);
/* The periodic write-out alone. */
int pp_tick(struct pp_writer *w);
/* Write out what is buffered and free the writer. 0 or -1 (errno). */
int pp_finish(struct pp_writer *w);
uint64_t pp_bytes_written(const struct pp_writer *w);
#endif
