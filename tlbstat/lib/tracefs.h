/* SPDX-License-Identifier: GPL-2.0 */
/* Finding tracefs and reading event ids and formats from it. */
#ifndef TLBSTAT_TRACEFS_H
#define TLBSTAT_TRACEFS_H
#include <stdbool.h>
#include <stddef.h>

/*
 * The tracefs mount point (/sys/kernel/tracing, or debugfs's tracing/; $TLBSTAT_TRACEFS first)
 * into dir. When none is mounted it tries to mount one (root only). 0, or -1 with why and what
 * to do in err. dir and err may be NULL (0 length). Not cached: looked up on each call.
 */
int tfs_locate(char *dir, size_t dirlen, char *err, size_t errlen);

/* Event id from <tracefs>/events/<sys>/<name>/id; -1 if absent. */
int tfs_event_id(const char *sys, const char *name);
bool tfs_event_exists(const char *sys, const char *name);
/* <tracefs>/<relpath> into a malloc'd buffer; NULL if absent. */
char *tfs_read(const char *relpath, size_t *len);
/* The format file of an event; NULL if absent. */
char *tfs_event_format(const char *sys, const char *name, size_t *len);
/* Space-separated list of the events of a system ("" if none), malloc'd; NULL if out of memory. */
char *tfs_list_events(const char *sys);

/*
 * Pure parser, for tests: find "ID: N" in a format file's text; -1 if missing.
 * Field lookup from a format text: offset/size/signedness of a named field; false if missing.
 */
int tfs_format_id(const char *format_text);
bool tfs_format_field(const char *format_text, const char *field, int *offset, int *size,
			  bool *is_signed);

/*
 * "tlb:tlb_flush" -> sys/name in caller buffers; false if malformed: exactly one ':', and both
 * names non-empty and of [A-Za-z0-9_] only (they become tracefs path components).
 */
bool tfs_split_event(const char *spec, char *sys, size_t syslen, char *name, size_t namelen);
/* Whether s[0..n) is a non-empty tracefs system or event name: [A-Za-z0-9_] only. */
bool tfs_valid_name(const char *s, size_t n);
#endif
