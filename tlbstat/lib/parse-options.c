#include "parse-options.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
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

int parse_options_exit(int parse_result)
{
	return parse_result == PARSE_OPT_HELP ? EXIT_OK : EXIT_USAGE;
}

/* One error line on stderr; with_usage adds the usage (unknown options, missing values). */
static int __attribute__((format(printf, 4, 5)))
bad(const char *const usage[], const struct option_def *opts, bool with_usage, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "tlbstat: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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

/* getopt_long's tables from ours; long options carry 1000 + their index in opts. */
static void build_getopt(const struct option_def *opts, struct option *lopts, char *sopts,
			 size_t slen)
{
	size_t ns = 0;
	int nl = 0;

	sopts[ns++] = '+';	/* options before the command: "stat -a -- cmd -x" or "stat cmd -x" */
	sopts[ns++] = ':';
	sopts[ns++] = 'h';
	for (const struct option_def *o = opts; o->type != OPT_END && nl < 126; o++) {
		if (o->type == OPT_GROUP)
			continue;
		if (o->long_name)
			lopts[nl++] = (struct option){ o->long_name,
				o->type == OPT_BOOL ? no_argument : required_argument, NULL,
				1000 + (int)(o - opts) };
		if (o->short_name && ns < slen - 3) {
			sopts[ns++] = (char)o->short_name;
			if (o->type != OPT_BOOL)
				sopts[ns++] = ':';
		}
	}
	lopts[nl++] = (struct option){ "help", no_argument, NULL, 'h' };
	lopts[nl] = (struct option){ 0 };
	sopts[ns] = '\0';
}

/* The table entry of getopt's answer c; the END entry when there is none. */
static const struct option_def *find_opt(const struct option_def *opts, int c, char *name,
					 size_t len)
{
	const struct option_def *o;

	if (c >= 1000) {
		o = &opts[c - 1000];
		snprintf(name, len, "--%s", o->long_name);
		return o;
	}
	for (o = opts; o->type != OPT_END; o++)
		if (o->type != OPT_GROUP && o->short_name == c)
			break;
	snprintf(name, len, "-%c", c);
	return o;
}

/* The name of the option getopt complained about (optopt for short ones, else argv). */
static void getopt_culprit(char **argv, char *name, size_t len)
{
	if (optopt && optopt < 1000)
		snprintf(name, len, "-%c", optopt);
	else
		snprintf(name, len, "%s", argv[optind - 1]);
}

int parse_options(int argc, char **argv, const struct option_def *opts,
		  const char *const usage[], bool stop_at_non_option)
{
	struct option lopts[128];
	char sopts[256], err[512];
	const struct option_def *excl = NULL;

	build_getopt(opts, lopts, sopts, sizeof(sopts));
	optind = 0;	/* 0, not 1: glibc then forgets a previous parse's half-read "-abc" */
	opterr = 0;
	for (;;) {
		const struct option_def *o;
		char name[80], excl_name[80];
		int c = getopt_long(argc, argv, sopts, lopts, NULL);

		if (c == -1)
			break;
		if (c == 'h') {
			usage_with_options(stdout, usage, opts);
			return PARSE_OPT_HELP;
		}
		if (c == '?' || c == ':') {
			getopt_culprit(argv, name, sizeof(name));
			return bad(usage, opts, true, c == '?' ? "unknown option '%s'" :
				   "option '%s' requires a value", name);
		}
		o = find_opt(opts, c, name, sizeof(name));
		if (o->type == OPT_END)
			return bad(usage, opts, true, "unknown option '%s'", name);
		if (o->flags & PARSE_OPT_EXCLUSIVE) {
			if (excl && excl != o) {
				find_opt(opts, excl->long_name ? 1000 + (int)(excl - opts) :
					 excl->short_name, excl_name, sizeof(excl_name));
				return bad(usage, opts, false, "%s and %s cannot be used together",
					   excl_name, name);
			}
			excl = o;
		}
		if (set_value(o, optarg, err, sizeof(err), name) < 0)
			return bad(usage, opts, false, "%s", err);
	}
	if (!stop_at_non_option && optind < argc)
		return bad(usage, opts, true, "unexpected argument '%s'", argv[optind]);
	return optind;
}
