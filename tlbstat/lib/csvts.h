/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CSV time series for correlate: a header line, then rows of a timestamp (seconds, the first
 * column) and numeric columns (an empty cell or "nan": no value). tlbstat sample's output,
 * tlbbench's latency CSV, or anything a user exports. Rows may come in any order (sorted
 * here); '#' lines and blank lines are skipped; fields may be quoted (RFC 4180, within a
 * line). A bad row is an error naming the file and line, never silently dropped.
 */
#ifndef TLBSTAT_CSVTS_H
#define TLBSTAT_CSVTS_H
#include <stddef.h>
#include <stdint.h>

#define CSVTS_MAX_COLS 4096

struct csvts {
	int nr_cols;		/* value columns (the time column not counted) */
	char **cols;		/* their names from the header */
	size_t nr_rows;
	double *time;		/* seconds, ascending */
	double *v;		/* nr_rows x nr_cols, row-major; NaN: no value */
};

/*
 * Parse buf (len bytes, need not be NUL-terminated) into ts; name is for messages. 0, or -1
 * with "NAME:LINE: why" (or "NAME: why") in err and ts empty.
 */
int csvts_parse(struct csvts *ts, const char *name, const char *buf, size_t len,
		char *err, size_t errlen);
/* Read and parse the file at path (at most 1 GiB). */
int csvts_read(struct csvts *ts, const char *path, char *err, size_t errlen);
void csvts_free(struct csvts *ts);

/*
 * Column col on a grid of nbins intervals of interval_ns starting at bin first_bin (bin k
 * covers [k * interval, (k + 1) * interval) in ns on the series' clock after adding offset_ns):
 * the mean of the rows in each bin, NaN for a bin without a value, into out[0..nbins).
 * 0, or -1 when out of memory.
 */
int csvts_bin(const struct csvts *ts, int col, int64_t offset_ns, uint64_t interval_ns,
	       int64_t first_bin, size_t nbins, double *out);
/*
 * The bin of a time in seconds: floor((t * 1e9 + offset_ns) / interval_ns), clamped to
 * +-CSVTS_BIN_LIMIT (so the difference of two bins never overflows).
 */
#define CSVTS_BIN_LIMIT 4e18
int64_t csvts_bin_of(double t, int64_t offset_ns, uint64_t interval_ns);
#endif
