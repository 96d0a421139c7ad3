// SPDX-License-Identifier: GPL-2.0
#include "parse-options.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void usage_with_options(void *stream, const char *const usage[], const struct option_def *o)
{
	FILE *f = stream;
	for (int i = 0; usage[i]; i++)
		fprintf(f, "%s%s\n", i ? "   or: " : " usage: ", usage[i]);
	if (o->type != OPT_GROUP)	/* a section heading brings its own blank line */
		fputc('\n', f);
	for (; o->type != OPT_END; o++) {
		char left[64];
		int n = 0;
		if (o->type == OPT_GROUP) {
			fprintf(f, "\n%s\n", o->help);
			continue;
		}
		n += snprintf(left + n, sizeof(left) - (size_t)n, "    ");
		if (o->short_name)
			n += snprintf(left + n, sizeof(left) - (size_t)n, "-%c%s", o->short_name,
				      o->long_name ? ", " : "");
		else
			n += snprintf(left + n, sizeof(left) - (size_t)n, "    ");
		if (o->long_name)
			n += snprintf(left + n, sizeof(left) - (size_t)n, "--%s", o->long_name);
		if (o->type != OPT_BOOL && n < (int)sizeof(left))
			snprintf(left + n, sizeof(left) - (size_t)n, " <%s>", o->argh ? o->argh : "n");
		if (strlen(left) > 28)
			fprintf(f, "%s\n%30s%s\n", left, "", o->help);
		else
			fprintf(f, "%-30s%s\n", left, o->help);
	}
}

/*
 * --list-opts: every option of the table, one per line, long then short ("--cpu", "-C"), for
 * the completion script (scripts/tlbstat-completion.bash), perf's habit: the table is the one
 * source of truth, completion never keeps its own copy. An option taking a value ends in '='
 * so completion can tell the two kinds apart.
 */
static void list_options(FILE *f, const struct option_def *o)
{
	for (; o->type != OPT_END; o++) {
		if (o->type == OPT_GROUP)
			continue;
		if (o->long_name)
			fprintf(f, "--%s%s\n", o->long_name, o->type == OPT_BOOL ? "" : "=");
		if (o->short_name)
			fprintf(f, "-%c\n", o->short_name);
	}
	fprintf(f, "--help\n-h\n");
}

int parse_options_exit(int parse_result)
{
	return parse_result == PARSE_OPT_HELP ? EXIT_OK : EXIT_USAGE;
}

/* One error line on stderr; with_usage adds the usage (unknown options, missing values). */
static int __attribute__((format(printf, 4, 5)))
bad(const char *const usage[], const struct option_def *opts, bool with_usage, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tlb_verr(fmt, ap);
	va_end(ap);
	if (with_usage)
		usage_with_options(stderr, usage, opts);
	return PARSE_OPT_USAGE;
}

static int set_number(const struct option_def *o, const char *arg, char *err, size_t errlen,
		      const char *optname)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 0);
	if (errno || end == arg || *end || v > INT_MAX || v < INT_MIN ||
	    (o->type != OPT_INT && v < 0)) {
		snprintf(err, errlen, "option '%s' expects %s number", optname,
			 o->type != OPT_INT ? "a non-negative" : "a");
		return -1;
	}
	if (o->type == OPT_POW2_T && v && !is_power_of_2((unsigned long)v)) {
		snprintf(err, errlen, "option '%s' wants a power of two (got %lld)", optname, v);
		return -1;
	}
	if (o->type == OPT_UINT)
		*(unsigned *)o->value = (unsigned)v;
	else
		*(int *)o->value = (int)v;
	return 0;
}

static int set_duration(const struct option_def *o, const char *arg, char *err, size_t errlen,
			const char *optname)
{
	char lo[32], hi[32];
	uint64_t ns = 0;
	int r = duration_parse(arg, o->unit, &ns);

	if (r == DURATION_BAD) {
		snprintf(err, errlen, "option '%s' expects a duration like %s, 500ms, 2s or 1m "
			 "(got '%s')", optname, o->unit == DUR_MS ? "100 (ms)" : "1.5 (s)", arg);
		return -1;
	}
	if (r == DURATION_OK && ns == 0 && (o->flags & PARSE_OPT_ZERO_OK)) {
		*(uint64_t *)o->value = 0;
		return 0;
	}
	if (r == DURATION_HUGE || ns < o->min || ns > o->max) {
		duration_format(o->min, lo, sizeof(lo));
		duration_format(o->max, hi, sizeof(hi));
		snprintf(err, errlen, "option '%s' wants a duration from %s to %s%s (got '%s')",
			 optname, lo, hi, o->flags & PARSE_OPT_ZERO_OK ? ", or 0 for off" : "", arg);
		return -1;
	}
	*(uint64_t *)o->value = ns;
	return 0;
}

/* Store arg into o's value; 0, or -1 with one line in err. */
static int set_value(const struct option_def *o, const char *arg, char *err, size_t errlen,
		     const char *optname)
{
	char *end;
	double v;

	switch (o->type) {
	case OPT_BOOL:
		*(bool *)o->value = true;
		return 0;
	case OPT_STRING:
		*(const char **)o->value = arg;
		return 0;
	case OPT_INT:
	case OPT_UINT:
	case OPT_POW2_T:
		return set_number(o, arg, err, errlen, optname);
	case OPT_DOUBLE:
		errno = 0;
		v = strtod(arg, &end);
		if (errno || end == arg || *end || !isfinite(v)) {
			snprintf(err, errlen, "option '%s' expects a number", optname);
			return -1;
		}
		*(double *)o->value = v;
		return 0;
	case OPT_DURATION_T:
		return set_duration(o, arg, err, errlen, optname);
	case OPT_CALLBACK_T:
		return o->callback(o, arg, err, errlen);
	default:
		return 0;
	}
}

/*
 * Our own argv walk, not getopt_long: getopt keeps its place in globals (optind, optarg and a
 * hidden cursor), and the library holds no process-wide state. Same rules as getopt_long with
 * "+": options stop at the first non-option or after "--"; short flags cluster ("-aq"), a short
 * value is attached or the next word ("-d1", "-d 1"); a long value after '=' or as the next
 * word; a long name may be shortened while it stays unique ("--dur" for --duration).
 */
struct po_walk {
	int argc;
	char **argv;
	const struct option_def *opts;
	const char *const *usage;
	const struct option_def *excl;	/* the PARSE_OPT_EXCLUSIVE option given, if any */
};

static void opt_name(const struct option_def *o, char *name, size_t len)
{
	if (o->long_name)
		snprintf(name, len, "--%s", o->long_name);
	else
		snprintf(name, len, "-%c", o->short_name);
}

/* Store o's value (arg NULL for flags); 0 or PARSE_OPT_USAGE (printed). */
static int apply(struct po_walk *w, const struct option_def *o, const char *name, const char *arg)
{
	char err[512], other[80];

	if (o->flags & PARSE_OPT_EXCLUSIVE) {
		if (w->excl && w->excl != o) {
			opt_name(w->excl, other, sizeof(other));
			return bad(w->usage, w->opts, false, "%s and %s cannot be used together",
				   other, name);
		}
		w->excl = o;
	}
	if (set_value(o, arg, err, sizeof(err), name) < 0)
		return bad(w->usage, w->opts, false, "%s", err);
	return 0;
}

/* The long option named by [s, s + len): exact, else the only one it abbreviates; or NULL. */
static const struct option_def *find_long(const struct option_def *opts, const char *s,
					  size_t len, bool *help)
{
	const struct option_def *found = NULL;
	int prefixes = 0;

	*help = len && len <= 4 && !strncmp("help", s, len);
	if (!len)
		return NULL;	/* "--=x" */
	for (const struct option_def *o = opts; o->type != OPT_END; o++) {
		if (o->type == OPT_GROUP || !o->long_name || strncmp(o->long_name, s, len))
			continue;
		if (!o->long_name[len]) {
			*help = false;
			return o;
		}
		found = o;
		prefixes++;
	}
	if (*help && len == 4)
		return NULL;	/* "--help" itself */
	if (prefixes + *help != 1) {
		*help = false;
		return NULL;	/* unknown or ambiguous */
	}
	return found;
}

/* argv[*i] is "--name[=value]": 0, PARSE_OPT_HELP or PARSE_OPT_USAGE. */
static int walk_long(struct po_walk *w, int *i)
{
	const char *word = w->argv[*i], *s = word + 2, *eq = strchr(s, '=');
	size_t len = eq ? (size_t)(eq - s) : strlen(s);
	bool help;
	const struct option_def *o = find_long(w->opts, s, len, &help);
	char name[80];

	if (help && !eq) {
		usage_with_options(stdout, w->usage, w->opts);
		return PARSE_OPT_HELP;
	}
	if (!o && !strcmp(s, "list-opts")) {
		list_options(stdout, w->opts);
		return PARSE_OPT_HELP;
	}
	if (!o || (o->type == OPT_BOOL && eq))
		return bad(w->usage, w->opts, true, "unknown option '%s'", word);
	snprintf(name, sizeof(name), "--%s", o->long_name);
	if (o->type == OPT_BOOL)
		return apply(w, o, name, NULL);
	if (eq)
		return apply(w, o, name, eq + 1);
	if (*i + 1 >= w->argc)
		return bad(w->usage, w->opts, true, "option '%s' requires a value", word);
	return apply(w, o, name, w->argv[++*i]);
}

/* argv[*i] is "-abc" or "-dVALUE": 0, PARSE_OPT_HELP or PARSE_OPT_USAGE. */
static int walk_short(struct po_walk *w, int *i)
{
	for (const char *p = w->argv[*i] + 1; *p; p++) {
		const struct option_def *o;
		char name[8];
		int r;

		snprintf(name, sizeof(name), "-%c", *p);
		if (*p == 'h') {
			usage_with_options(stdout, w->usage, w->opts);
			return PARSE_OPT_HELP;
		}
		for (o = w->opts; o->type != OPT_END; o++)
			if (o->type != OPT_GROUP && o->short_name == *p)
				break;
		if (o->type == OPT_END)
			return bad(w->usage, w->opts, true, "unknown option '%s'", name);
		if (o->type == OPT_BOOL) {
			r = apply(w, o, name, NULL);
			if (r < 0)
				return r;
			continue;
		}
		if (p[1])
			return apply(w, o, name, p + 1);
		if (*i + 1 >= w->argc)
			return bad(w->usage, w->opts, true, "option '%s' requires a value", name);
		return apply(w, o, name, w->argv[++*i]);
	}
	return 0;
}

int parse_options(int argc, char **argv, const struct option_def *opts,
		  const char *const usage[], bool stop_at_non_option)
{
	struct po_walk w = { argc, argv, opts, usage, NULL };
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r;

		if (a[0] != '-' || !a[1])
			break;	/* the first non-option ("-" alone is one too) */
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		r = a[1] == '-' ? walk_long(&w, &i) : walk_short(&w, &i);
		if (r < 0)
			return r;
	}
	if (!stop_at_non_option && i < argc)
		return bad(usage, opts, true, "unexpected argument '%s'", argv[i]);
	return i;
}
