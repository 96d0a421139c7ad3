#include "parse-options.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
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

static void __attribute__((format(printf, 3, 4), noreturn))
bad(const char *const usage[], const struct option_def *opts, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "tlbstat: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage_with_options(stderr, usage, opts);
	exit(EXIT_USAGE);
}

static void set_value(const struct option_def *o, const char *arg, const char *const usage[],
		      const struct option_def *opts, const char *optname)
{
	char *end;
	switch (o->type) {
	case OPT_BOOL:
		*(bool *)o->value = true;
		break;
	case OPT_STRING:
		*(const char **)o->value = arg;
		break;
	case OPT_INT:
	case OPT_UINT: {
		long long v;
		errno = 0;
		v = strtoll(arg, &end, 0);
		if (errno || end == arg || *end || v > INT_MAX || v < INT_MIN ||
		    (o->type == OPT_UINT && v < 0))
			bad(usage, opts, "option '%s' expects %s number", optname,
			    o->type == OPT_UINT ? "a non-negative" : "a");
		if (o->type == OPT_INT)
			*(int *)o->value = (int)v;
		else
			*(unsigned *)o->value = (unsigned)v;
		break;
	}
	case OPT_DOUBLE: {
		double v;
		errno = 0;
		v = strtod(arg, &end);
		if (errno || end == arg || *end || !isfinite(v))
			bad(usage, opts, "option '%s' expects a number", optname);
		*(double *)o->value = v;
		break;
	}
	default:
		break;
	}
}

int parse_options(int argc, char **argv, const struct option_def *opts,
		  const char *const usage[], bool stop_at_non_option)
{
	struct option lopts[128];
	char sopts[256];
	int nl = 0, ns = 0;
	const struct option_def *o;

	sopts[ns++] = '+';	/* options before the command: "stat -a -- cmd -x" or "stat cmd -x" */
	sopts[ns++] = ':';
	sopts[ns++] = 'h';
	for (o = opts; o->type != OPT_END && nl < 126; o++) {
		if (o->type == OPT_GROUP)
			continue;
		if (o->long_name)
			lopts[nl++] = (struct option){ o->long_name,
				o->type == OPT_BOOL ? no_argument : required_argument, NULL,
				1000 + (int)(o - opts) };
		if (o->short_name && ns < (int)sizeof(sopts) - 3) {
			sopts[ns++] = (char)o->short_name;
			if (o->type != OPT_BOOL)
				sopts[ns++] = ':';
		}
	}
	lopts[nl++] = (struct option){ "help", no_argument, NULL, 'h' };
	lopts[nl] = (struct option){ 0 };
	sopts[ns] = '\0';

	optind = 1;
	opterr = 0;
	for (;;) {
		int li = -1;
		int c = getopt_long(argc, argv, sopts, lopts, &li);
		char name[80];
		if (c == -1)
			break;
		if (c == 'h')
			usage_with_options(stdout, usage, opts), exit(EXIT_OK);
		if (c == '?') {
			if (optopt)
				snprintf(name, sizeof(name), "-%c", optopt);
			else
				snprintf(name, sizeof(name), "%s", argv[optind - 1]);
			bad(usage, opts, "unknown option '%s'", name);
		}
		if (c == ':') {
			if (optopt && optopt < 1000)
				snprintf(name, sizeof(name), "-%c", optopt);
			else
				snprintf(name, sizeof(name), "%s", argv[optind - 1]);
			bad(usage, opts, "option '%s' requires a value", name);
		}
		if (c >= 1000) {
			o = &opts[c - 1000];
			snprintf(name, sizeof(name), "--%s", o->long_name);
		} else {
			for (o = opts; o->type != OPT_END; o++)
				if (o->type != OPT_GROUP && o->short_name == c)
					break;
			snprintf(name, sizeof(name), "-%c", c);
		}
		if (o->type == OPT_END)
			bad(usage, opts, "unknown option '%s'", name);
		set_value(o, optarg, usage, opts, name);
	}
	if (!stop_at_non_option && optind < argc)
		bad(usage, opts, "unexpected argument '%s'", argv[optind]);
	return optind;
}
