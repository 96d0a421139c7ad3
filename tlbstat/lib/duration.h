/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Durations on the command line: "500ms", "2s", "1m", "1.5h", "1d", "250us", "100ns", or a bare
 * number in the unit the option has always used (seconds for -d, milliseconds for stat -I).
 * Values are nanoseconds (uint64_t) everywhere inside.
 */
#ifndef TLBSTAT_DURATION_H
#define TLBSTAT_DURATION_H
#include <stddef.h>
#include <stdint.h>

#define DUR_NS  1ull
#define DUR_US  1000ull
#define DUR_MS  1000000ull
#define DUR_S   1000000000ull
#define DUR_MIN (60 * DUR_S)
#define DUR_H   (3600 * DUR_S)
#define DUR_D   (86400 * DUR_S)

enum {
	DURATION_OK = 0,
	DURATION_BAD = -1,	/* not a number with a known suffix: junk, sign, nan, inf */
	DURATION_HUGE = -2,	/* a number, but more than 2^64 ns (about 584 years) */
};

/*
 * "1.5s" -> 1500000000. A bare number is in units of unit_ns. Returns DURATION_OK,
 * DURATION_BAD or DURATION_HUGE; *ns is set only on success (rounded to the nearest ns).
 */
int duration_parse(const char *s, uint64_t unit_ns, uint64_t *ns);
/* The shortest exact form: 100ms, 1h, 365d, 1500us; for messages naming a range. */
void duration_format(uint64_t ns, char *buf, size_t len);
#endif
