/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Option tables: every command declares its options once; usage and --help come from the table.
 * Modelled on perf's subcmd parse-options: typed OPT_* macros (a value pointer of the wrong type
 * does not compile), callbacks with a user pointer, durations, powers of two and one set of
 * mutually exclusive options per table. parse_options() never exits: it prints and returns.
 */
#ifndef TLBSTAT_PARSE_OPTIONS_H
#define TLBSTAT_PARSE_OPTIONS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "duration.h"

enum opt_type {
	OPT_END, OPT_BOOL, OPT_INT, OPT_UINT, OPT_DOUBLE, OPT_STRING, OPT_GROUP,
	OPT_CALLBACK_T, OPT_DURATION_T, OPT_POW2_T,
};

enum {
	PARSE_OPT_EXCLUSIVE = 1 << 0,	/* at most one PARSE_OPT_EXCLUSIVE option of a table */
	PARSE_OPT_ZERO_OK = 1 << 1,	/* a duration of 0 means "off" and skips the range */
};

struct option_def;
/* Returns 0, or -1 with the whole error line (without "tlbstat: ") in err. */
typedef int (*parse_opt_cb)(const struct option_def *opt, const char *arg, char *err,
			    size_t errlen);

struct option_def {
	enum opt_type type;
	int short_name;           /* 0 if none */
	const char *long_name;    /* NULL if none */
	void *value;              /* typed by the macro; a callback's user pointer */
	const char *argh;         /* argument name shown in help ("ms", "cpus") */
	const char *help;
	unsigned flags;           /* PARSE_OPT_* */
	parse_opt_cb callback;
	uint64_t unit, min, max;  /* durations: ns of a bare number and the accepted range */
};

/* The value pointer v, if it has type T; otherwise a compile error ("not compatible"). */
#define OPT_TYPED(v, T) _Generic((v), T: (v))

#define OPT_BOOLEAN_FLAG(s, l, v, h, f) { .type = OPT_BOOL, .short_name = (s), .long_name = (l), \
	.value = OPT_TYPED(v, bool *), .help = (h), .flags = (f) }
#define OPT_BOOLEAN(s, l, v, h)        OPT_BOOLEAN_FLAG(s, l, v, h, 0)
#define OPT_INTEGER(s, l, v, a, h)     { .type = OPT_INT, .short_name = (s), .long_name = (l), \
	.value = OPT_TYPED(v, int *), .argh = (a), .help = (h) }
#define OPT_UINTEGER(s, l, v, a, h)    { .type = OPT_UINT, .short_name = (s), .long_name = (l), \
	.value = OPT_TYPED(v, unsigned *), .argh = (a), .help = (h) }
#define OPT_DBL(s, l, v, a, h)         { .type = OPT_DOUBLE, .short_name = (s), .long_name = (l), \
	.value = OPT_TYPED(v, double *), .argh = (a), .help = (h) }
#define OPT_STR(s, l, v, a, h)         { .type = OPT_STRING, .short_name = (s), .long_name = (l), \
	.value = OPT_TYPED(v, const char **), .argh = (a), .help = (h) }
/* cb(opt, arg, err, errlen) with opt->value == p, any pointer the command likes. */
#define OPT_CALLBACK(s, l, p, a, h, cb) { .type = OPT_CALLBACK_T, .short_name = (s), \
	.long_name = (l), .value = (p), .argh = (a), .help = (h), .callback = (cb) }
/*
 * A duration into a uint64_t of nanoseconds: suffixed forms (ns, us, ms, s, m, h, d) or a bare
 * number in unit ns (DUR_S, DUR_MS); refused outside [min, max] with a line naming the range.
 */
#define OPT_DURATION_FLAG(s, l, v, unit_, min_, max_, h, f) { .type = OPT_DURATION_T, \
	.short_name = (s), .long_name = (l), .value = OPT_TYPED(v, uint64_t *), \
	.argh = (unit_) == DUR_MS ? "ms" : "secs", .help = (h), .flags = (f), \
	.unit = (unit_), .min = (min_), .max = (max_) }
#define OPT_DURATION(s, l, v, unit_, min_, max_, h) \
	OPT_DURATION_FLAG(s, l, v, unit_, min_, max_, h, 0)
/* A power of two into an int (0 allowed: "the default"). */
#define OPT_POW2(s, l, v, a, h)        { .type = OPT_POW2_T, .short_name = (s), .long_name = (l), \
	.value = OPT_TYPED(v, int *), .argh = (a), .help = (h) }
#define OPT_SECTION(h)                 { .type = OPT_GROUP, .help = (h) }
#define OPT_FINISH()                   { .type = OPT_END }

enum {
	PARSE_OPT_HELP = -1,	/* -h/--help, or --list-opts (every option of the table, one per
				 * line, for completion): printed on stdout; the command exits 0 */
	PARSE_OPT_USAGE = -2,	/* bad option or value: message printed on stderr; exit 2 */
};

/*
 * Parse argv[1..] against opts. Stops at "--" (consumed) or at the first non-option argument;
 * without stop_at_non_option such an argument is a usage error (commands taking no arguments).
 * Returns the index in argv of the first argument not consumed, or PARSE_OPT_HELP after
 * printing the usage to stdout, or PARSE_OPT_USAGE after printing one error line (an unknown
 * option also gets the usage) to stderr. parse_options_exit() maps those to the exit code.
 */
int parse_options(int argc, char **argv, const struct option_def *opts,
		  const char *const usage[], bool stop_at_non_option);
int parse_options_exit(int parse_result);
void usage_with_options(void *stream, const char *const usage[], const struct option_def *opts);

/* true for 1, 2, 4, ...; false for 0. The one power-of-two check (-m, ring buffers). */
static inline bool is_power_of_2(unsigned long v)
{
	return v && !(v & (v - 1));
}
#endif
