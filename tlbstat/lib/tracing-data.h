/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Event formats for libtraceevent, and perf.data's TRACING_DATA section (the layout perf's
 * util/trace-event-info.c writes and trace-event-read.c reads): a tep handle from tracefs (live)
 * or from a file's blob, and the blob record writes.
 */
#ifndef TLBSTAT_TRACING_DATA_H
#define TLBSTAT_TRACING_DATA_H
#include <stddef.h>

struct tep_handle;
struct syms;

/*
 * A tep handle from tracefs's formats of the given events ("sys:name") and header_page. NULL
 * when none of the events could be read. Kernel symbols are the caller's (a live session loads
 * them before enabling its events).
 */
struct tep_handle *tdata_tep_from_tracefs(const char *const *events, int nr);
/*
 * A tep handle from a perf.data TRACING_DATA blob. NULL with a one-line err ("... at offset N")
 * on a bad blob. The blob's kallsyms part goes into syms (when not NULL); perf >= 5.x writes an
 * empty one, and then syms is told to use /proc/kallsyms at the first classification (right
 * when the file was recorded on this boot, as `perf script` assumes too; otherwise func_class
 * stays NONE or may be wrong).
 */
struct tep_handle *tdata_read(const void *data, size_t len, struct syms *syms, char *err,
			      size_t errlen);
/*
 * Build TRACING_DATA (version 0.6, as perf 6.1 writes it) for the tracepoints events
 * ("sys:name", formats read from tracefs now), with the kallsyms lines of syms (NULL: read
 * /proc/kallsyms here). 0 with *out (malloc'd) and *len, or -1 with err.
 */
int tdata_build(const char *const *events, int nr, const struct syms *syms, char **out,
		size_t *len, char *err, size_t errlen);
#endif
