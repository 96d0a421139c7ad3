// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the command-line parsers. The input is an argv (items separated by NUL
 * bytes) parsed against a table with every option type (parse-options.c), then each item alone
 * through the duration parser and formatter (duration.c), the comma-list splitter (strlist.c),
 * the cpu list parser (util.c), the event name resolver (events.c) and --sort's keys (agg.c).
 */
#include "agg.h"
#include "duration.h"
#include "events.h"
#include "parse-options.h"
#include "strlist.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cpus_cb(const struct option_def *opt, const char *arg, char *err, size_t errlen)
{
	int *cpus = NULL, n = parse_cpu_list(arg, 4095, &cpus, err, errlen);

	free(cpus);
	return n < 0 ? -1 : 0;
}

static int list_cb(const struct option_def *opt, const char *arg, char *err, size_t errlen)
{
	struct strlist l;
	int rc = strlist_split(&l, arg, err, errlen);

	if (rc >= 0)
		strlist_free(&l);
	return rc < 0 ? -1 : 0;
}

static void parse_argv(int argc, char **argv)
{
	static const char *const usage[] = { "fuzz [<options>]", NULL };
	bool b = false, x1 = false, x2 = false;
	int i = 0, pow2 = 0;
	unsigned u = 0;
	double d = 0;
	const char *str = NULL;
	uint64_t dur = 0, ms = 0;
	const struct option_def opts[] = {
		OPT_SECTION("fuzz"),
		OPT_BOOLEAN('b', "bool", &b, "a flag"),
		OPT_INTEGER('i', "int", &i, "n", "an int"),
		OPT_UINTEGER('u', "uint", &u, "n", "an unsigned"),
		OPT_DBL('f', "double", &d, "x", "a double"),
		OPT_STR('s', "string", &str, "s", "a string"),
		OPT_CALLBACK('C', "cpu", NULL, "cpus", "a cpu list", cpus_cb),
		OPT_CALLBACK('e', "event", NULL, "list", "a comma list", list_cb),
		OPT_DURATION('d', "duration", &dur, DUR_S, DUR_MS, 365 * DUR_D, "secs"),
		OPT_DURATION_FLAG('t', "timeout", &ms, DUR_MS, DUR_MS, DUR_H, "ms",
				  PARSE_OPT_ZERO_OK),
		OPT_POW2('m', "mmap-pages", &pow2, "pages", "a power of two"),
		OPT_BOOLEAN_FLAG('x', "one", &x1, "exclusive", PARSE_OPT_EXCLUSIVE),
		OPT_BOOLEAN_FLAG('y', "two", &x2, "exclusive", PARSE_OPT_EXCLUSIVE),
		OPT_FINISH(),
	};

	parse_options(argc, argv, opts, usage, argc & 1);
}

/* each item through the parsers that take one string */
static void parse_item(const char *s)
{
	char err[256], buf[64];
	uint64_t ns;
	struct strlist l;
	int *cpus = NULL;

	if (duration_parse(s, DUR_S, &ns) == DURATION_OK)
		duration_format(ns, buf, sizeof(buf));
	if (duration_parse(s, DUR_MS, &ns) == DURATION_OK)
		duration_format(ns, buf, sizeof(buf));
	if (strlist_split(&l, s, err, sizeof(err)) >= 0)
		strlist_free(&l);
	parse_cpu_list(s, -1, &cpus, err, sizeof(err));
	free(cpus);
	tlb_events_resolve(s);
	agg_parse_keys(s, err, sizeof(err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2];
	int argc = 1;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	argv[0] = "fuzz";
	for (char *p = buf; p <= buf + size && argc <= MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	parse_argv(argc, argv);
	for (int k = 1; k < argc; k++)
		parse_item(argv[k]);
	free(buf);
	return 0;
}
