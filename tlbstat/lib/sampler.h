/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sampler plugins (tlbstat/plugin.h) loaded by name from a plugins directory: the loader checks
 * the ABI version and size, opens the plugin with its arguments and keeps its columns. Used by
 * `tlbstat sample`; record and correlate take the same specs.
 */
#ifndef TLBSTAT_SAMPLER_H
#define TLBSTAT_SAMPLER_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../plugin.h"

struct sampler {
	char *name;			/* "sched", "prom" */
	char *args;			/* what followed "name:", or NULL */
	char *path;			/* the .so that was loaded */
	void *dl;
	const struct tlb_plugin *p;
	void *h;			/* the plugin's handle */
	struct tlb_plugin_cols cols;
	char note[256];			/* the plugin's note from open ("" if none) */
};

/*
 * Where plugins are looked for: given (--plugin-dir) alone; else plugins/ beside the running
 * binary (a build tree), ../lib/tlbstat/plugins from it (an installed tree, any PREFIX: a .deb
 * installs to /usr), then the PLUGINDIR built in. dirs gets up to three entries and a NULL;
 * buf (len >= 128) holds the first two.
 */
void sampler_dirs(const char *given, char *buf, size_t len, const char *dirs[4]);

enum {
	SAMPLER_EOPEN = -1,	/* the plugin's own open failed (a URL that does not answer) */
	SAMPLER_ENAME = -2,	/* a bad name, or no such plugin in the directories */
	SAMPLER_EABI = -3,	/* not a plugin, or built for another ABI version or size */
};

/*
 * Load and open "name[:args]" (name [A-Za-z0-9_-], the file name.so) from the first of dirs
 * (NULL-terminated) that has it. 0, or a SAMPLER_E* code with "sampler NAME: why" in err: no
 * such plugin (and where it looked), not a plugin, wrong ABI version or size, or the plugin's
 * own open error. s is empty (sampler_close done) on failure.
 */
int sampler_open(struct sampler *s, const char *spec, const char *const *dirs,
		 char *err, size_t errlen);
/* The plugin's row for the interval ending at ts; 0, or -1 with "sampler NAME: why". */
int sampler_sample(struct sampler *s, uint64_t ts, double *row, char *err, size_t errlen);
void sampler_close(struct sampler *s);

/*
 * Samplers run together, as `tlbstat sample` runs them and record will: one CSV row per call
 * (time on the perf clock, then "<plugin>.<column>" cells, empty for NaN).
 */
struct sampler_set {
	struct sampler *v;
	int nr;
	int nr_cols;		/* over every sampler */
	double *row;		/* the widest sampler's cells */
	int row_cap;
};

/*
 * Open every comma-separated spec of list ("sched,vmstat,prom:URL") and add it to ss (which
 * starts zeroed). 0, or a SAMPLER_E* code with the message in err; SAMPLER_ENAME also for an
 * empty item or a sampler whose columns repeat one already in the set. The samplers opened
 * before a failure stay in the set (sampler_set_close frees them).
 */
int sampler_set_add(struct sampler_set *ss, const char *list, const char *const *dirs,
		    char *err, size_t errlen);
/* "time,<plugin>.<column>,..." and a newline */
void sampler_set_header(const struct sampler_set *ss, FILE *f);
/* One row for time ts (CLOCK_MONOTONIC ns); 0, or -1 with the failing sampler's message. */
int sampler_set_row(struct sampler_set *ss, FILE *f, uint64_t ts, char *err, size_t errlen);
void sampler_set_close(struct sampler_set *ss);

/*
 * Samplers beside a recording (record --sample): the set's rows every interval into a side
 * file, "<recording>.samples.csv" (perf 6.1 aborts on record types it does not know, so they
 * cannot go into perf.data itself), written by a thread of their own on a timerfd, so a slow
 * sampler (a prom scrape waiting on its server) never delays the session's draining.
 */
struct sampler_file;

/* Takes ss (the caller's copy is emptied). NULL when out of memory (ss closed). */
struct sampler_file *sampler_file_new(struct sampler_set *ss, uint64_t interval_ns);
/*
 * Create path (outfile rules: no symlink), write the header, and start the samplers' thread:
 * each expiry of the interval's timer writes one row (the plugins run only on that thread, the
 * thread blocks every signal). 0, or -1 with the message in err.
 */
int sampler_file_start(struct sampler_file *sf, const char *path, char *err, size_t errlen);
/* Rows written so far (any thread). */
uint64_t sampler_file_rows(struct sampler_file *sf);
/*
 * Stop and join the thread (a row being taken is finished first), close the file and free
 * everything (NULL is fine). 0, or -1 with the first error: a sampler that failed while
 * recording (its rows stop there) or a write error.
 */
int sampler_file_close(struct sampler_file *sf, char *err, size_t errlen);

/*
 * Check a plugin's descriptor as the loader does (version, size, callbacks present); 0 or -1
 * with the reason in err. Separate so the unit tests can hand it crafted descriptors.
 */
int sampler_check_abi(const struct tlb_plugin *p, const char *path, char *err, size_t errlen);
#endif
