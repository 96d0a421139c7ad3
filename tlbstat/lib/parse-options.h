/* Option tables: every command declares its options once; usage and --help come from the table. */
#ifndef TLBSTAT_PARSE_OPTIONS_H
#define TLBSTAT_PARSE_OPTIONS_H
#include <stdbool.h>

enum opt_type { OPT_END, OPT_BOOL, OPT_INT, OPT_UINT, OPT_DOUBLE, OPT_STRING, OPT_GROUP };

struct option_def {
	enum opt_type type;
	int short_name;           /* 0 if none */
	const char *long_name;    /* NULL if none */
	void *value;              /* bool*, int*, unsigned*, double*, const char** */
	const char *argh;         /* argument name shown in help ("ms", "cpus") */
	const char *help;
};

#define OPT_BOOLEAN(s, l, v, h)        { OPT_BOOL, (s), (l), (v), NULL, (h) }
#define OPT_INTEGER(s, l, v, a, h)     { OPT_INT, (s), (l), (v), (a), (h) }
#define OPT_UINTEGER(s, l, v, a, h)    { OPT_UINT, (s), (l), (v), (a), (h) }
#define OPT_DBL(s, l, v, a, h)         { OPT_DOUBLE, (s), (l), (v), (a), (h) }
#define OPT_STR(s, l, v, a, h)         { OPT_STRING, (s), (l), (v), (a), (h) }
#define OPT_SECTION(h)                 { OPT_GROUP, 0, NULL, NULL, NULL, (h) }
#define OPT_FINISH()                   { OPT_END, 0, NULL, NULL, NULL, NULL }

/*
 * Parse argv[1..] against opts. Stops at "--" (consumed) or at the first non-option argument;
 * without stop_at_non_option such an argument is a usage error (commands taking no arguments). -h/--help prints usage to stdout and exits 0; an unknown option
 * or a bad value prints one error line plus the usage to stderr and exits EXIT_USAGE.
 * Returns the index in argv of the first argument not consumed.
 */
int parse_options(int argc, char **argv, const struct option_def *opts,
		  const char *const usage[], bool stop_at_non_option);
void usage_with_options(void *stream, const char *const usage[], const struct option_def *opts);
#endif
