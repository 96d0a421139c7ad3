// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of option parsing: typed options, callbacks with a user pointer, exclusive flags,
 * durations (every form and range edge), powers of two, comma lists and cpu lists.
 */
#include "duration.h"
#include "parse-options.h"
#include "strlist.h"
#include "tap.h"
#include "util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static const char *const usage[] = { "tlbstat test [<options>]", NULL };

struct vals {
	bool flag, json, csv;
	int n, pages;
	unsigned u;
	double k;
	const char *s;
	uint64_t dur, iv;
	int calls;
	char seen[64];
};

/* the callback sees its user pointer in opt->value */
static int remember(const struct option_def *opt, const char *arg, char *err, size_t errlen)
{
	struct vals *v = opt->value;

	if (!strcmp(arg, "bad")) {
		snprintf(err, errlen, "remember: 'bad' is bad");
		return -1;
	}
	v->calls++;
	snprintf(v->seen, sizeof(v->seen), "%s", arg);
	return 0;
}

/* stdout and stderr off while parse_options prints usage or errors (keeps the TAP clean) */
static int parse_quiet(int argc, char **argv, const struct option_def *opts, bool stop)
{
	int out = dup(1), err = dup(2), null = open("/dev/null", O_WRONLY), r;

	fflush(stdout);
	dup2(null, 1);
	dup2(null, 2);
	r = parse_options(argc, argv, opts, usage, stop);
	fflush(stdout);
	dup2(out, 1);
	dup2(err, 2);
	close(out);
	close(err);
	close(null);
	return r;
}

#define TABLE(v) { \
	OPT_SECTION(" Test"), \
	OPT_BOOLEAN('f', "flag", &(v).flag, "a flag"), \
	OPT_INTEGER('n', "number", &(v).n, "N", "an int"), \
	OPT_UINTEGER('u', "unsigned", &(v).u, "N", "an unsigned"), \
	OPT_DBL('k', "k", &(v).k, "k", "a double"), \
	OPT_STR('s', "string", &(v).s, "str", "a string"), \
	OPT_POW2('m', "pages", &(v).pages, "pages", "a power of two"), \
	OPT_DURATION('d', "duration", &(v).dur, DUR_S, DUR_MS, 365 * DUR_D, "a duration"), \
	OPT_DURATION_FLAG('I', "interval", &(v).iv, DUR_MS, 10 * DUR_MS, DUR_D, "ms", \
			  PARSE_OPT_ZERO_OK), \
	OPT_CALLBACK('c', "cb", &(v), "x", "a callback", remember), \
	OPT_BOOLEAN_FLAG(0, "json", &(v).json, "json", PARSE_OPT_EXCLUSIVE), \
	OPT_BOOLEAN_FLAG(0, "csv", &(v).csv, "csv", PARSE_OPT_EXCLUSIVE), \
	OPT_FINISH(), \
}

/* parse a NULL-terminated list after "test"; returns parse_options' result */
static int run(struct vals *v, bool stop, ...)
{
	const struct option_def opts[] = TABLE(*v);
	char *argv[32] = { "test" };
	int argc = 1;
	va_list ap;

	va_start(ap, stop);
	for (char *a; argc < 31 && (a = va_arg(ap, char *)); )
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	return parse_quiet(argc, argv, opts, stop);
}

static void test_typed(void)
{
	struct vals v = { 0 };

	is_int(run(&v, false, "-f", "-n", "-7", "--unsigned=9", "-k", "2.5", "-s", "hi", "-m", "64",
		   NULL), 11, "every type parsed; returns the index after the last");
	ok(v.flag && v.n == -7 && v.u == 9 && v.k == 2.5 && !strcmp(v.s, "hi") && v.pages == 64,
	   "values stored in their types");
	is_int(run(&v, true, "-f", "cmd", "-x", NULL), 2, "stops at the first non-option");
	is_int(run(&v, true, "-f", "--", "-x", NULL), 3, "'--' consumed");
	is_int(run(&v, false, "cmd", NULL), PARSE_OPT_USAGE, "stray argument refused");
	is_int(run(&v, false, "--frobnicate", NULL), PARSE_OPT_USAGE, "unknown long option");
	is_int(run(&v, false, "-Z", NULL), PARSE_OPT_USAGE, "unknown short option");
	is_int(run(&v, false, "-n", NULL), PARSE_OPT_USAGE, "missing value");
	is_int(run(&v, false, "-n", "3x", NULL), PARSE_OPT_USAGE, "junk int");
	is_int(run(&v, false, "-n", "99999999999", NULL), PARSE_OPT_USAGE, "int overflow");
	is_int(run(&v, false, "-u", "-1", NULL), PARSE_OPT_USAGE, "negative unsigned");
	is_int(run(&v, false, "-k", "nan", NULL), PARSE_OPT_USAGE, "nan double");
	is_int(run(&v, false, "-h", NULL), PARSE_OPT_HELP, "-h: help");
	is_int(run(&v, false, "--help", NULL), PARSE_OPT_HELP, "--help: help");
	is_int(parse_options_exit(PARSE_OPT_HELP), EXIT_OK, "help exits 0");
	is_int(parse_options_exit(PARSE_OPT_USAGE), EXIT_USAGE, "usage error exits 2");
	is_int(run(&v, false, "-f", NULL), 2, "a second parse in the same process starts afresh");
}

/* the argv walk keeps getopt_long's rules (it replaced getopt, whose state is global) */
static void test_walk(void)
{
	struct vals v = { 0 };

	is_int(run(&v, false, "-fn5", NULL), 2, "cluster: flag then attached value");
	ok(v.flag && v.n == 5, "-fn5 is -f -n 5");
	is_int(run(&v, false, "-fn", "6", NULL), 3, "cluster: value in the next word");
	is_int(v.n, 6, "-fn 6");
	is_int(run(&v, false, "--number=7", NULL), 2, "--name=value");
	is_int(v.n, 7, "stored");
	is_int(run(&v, false, "--number", "-8", NULL), 3, "a value may start with '-'");
	is_int(v.n, -8, "stored");
	is_int(run(&v, false, "--num", "9", NULL), 3, "a unique abbreviation");
	is_int(v.n, 9, "--num is --number");
	is_int(run(&v, false, "--c", "x", NULL), PARSE_OPT_USAGE, "an ambiguous one (--cb, --csv)");
	is_int(run(&v, false, "--he", NULL), PARSE_OPT_HELP, "--he abbreviates --help");
	is_int(run(&v, false, "--flag=1", NULL), PARSE_OPT_USAGE, "a flag takes no value");
	is_int(run(&v, false, "--=1", NULL), PARSE_OPT_USAGE, "--=1");
	is_int(run(&v, true, "-", "-f", NULL), 1, "'-' alone is not an option");
	is_int(run(&v, true, "-f", "--", NULL), 3, "'--' last");
	is_int(run(&v, false, "-s", "", NULL), 3, "an empty string value");
	is_str(v.s, "", "stored");
	is_int(run(&v, false, "-fZ", NULL), PARSE_OPT_USAGE, "unknown letter in a cluster");
	is_int(run(&v, false, "--number", NULL), PARSE_OPT_USAGE, "long option without its value");
}

static void test_callbacks_exclusive(void)
{
	struct vals v = { 0 };

	is_int(run(&v, false, "-c", "one", "--cb", "two", NULL), 5, "callback twice");
	ok(v.calls == 2 && !strcmp(v.seen, "two"), "callback got its user pointer and the values");
	is_int(run(&v, false, "-c", "bad", NULL), PARSE_OPT_USAGE, "callback error is a usage error");
	is_int(run(&v, false, "--json", NULL), 2, "one exclusive option alone");
	is_int(run(&v, false, "--json", "--json", NULL), 3, "the same exclusive option twice");
	is_int(run(&v, false, "--json", "--csv", NULL), PARSE_OPT_USAGE, "two exclusive options");
	is_int(run(&v, false, "--csv", "-f", "--json", NULL), PARSE_OPT_USAGE,
	       "two exclusive options apart");
}

static void dur_ok(const char *s, uint64_t unit, uint64_t want)
{
	uint64_t ns = 0;
	int r = duration_parse(s, unit, &ns);

	ok(r == DURATION_OK && ns == want, "duration '%s' (bare unit %llu ns) = %llu ns", s,
	   (unsigned long long)unit, (unsigned long long)want);
	if (r != DURATION_OK || ns != want)
		printf("#   got %d, %llu\n", r, (unsigned long long)ns);
}

static void test_duration_forms(void)
{
	uint64_t ns = 7;

	dur_ok("500ms", DUR_S, 500 * DUR_MS);
	dur_ok("2s", DUR_S, 2 * DUR_S);
	dur_ok("1m", DUR_S, 60 * DUR_S);
	dur_ok("1.5h", DUR_S, 5400 * DUR_S);
	dur_ok("1d", DUR_S, 86400 * DUR_S);
	dur_ok("250us", DUR_S, 250 * DUR_US);
	dur_ok("100ns", DUR_S, 100);
	dur_ok("3", DUR_S, 3 * DUR_S);
	dur_ok("3", DUR_MS, 3 * DUR_MS);
	dur_ok("0.0001", DUR_S, 100 * DUR_US);
	dur_ok(".5", DUR_S, 500 * DUR_MS);
	dur_ok("1e3ms", DUR_S, DUR_S);
	dur_ok("0", DUR_S, 0);
	dur_ok("0.3", DUR_S, 300 * DUR_MS);	/* rounded, not 299999999 */
	is_int(duration_parse("", DUR_S, &ns), DURATION_BAD, "empty");
	is_int(duration_parse("-1", DUR_S, &ns), DURATION_BAD, "negative");
	is_int(duration_parse("+1", DUR_S, &ns), DURATION_BAD, "explicit plus");
	is_int(duration_parse(" 1", DUR_S, &ns), DURATION_BAD, "leading blank");
	is_int(duration_parse("nan", DUR_S, &ns), DURATION_BAD, "nan");
	is_int(duration_parse("inf", DUR_S, &ns), DURATION_BAD, "inf");
	is_int(duration_parse("0x10", DUR_S, &ns), DURATION_BAD, "hex");
	is_int(duration_parse("1x", DUR_S, &ns), DURATION_BAD, "junk suffix");
	is_int(duration_parse("1 s", DUR_S, &ns), DURATION_BAD, "blank before the suffix");
	is_int(duration_parse("1sec", DUR_S, &ns), DURATION_BAD, "long suffix");
	is_int(duration_parse("1S", DUR_S, &ns), DURATION_BAD, "suffixes are lower case");
	is_int(duration_parse("1e20", DUR_S, &ns), DURATION_HUGE, "1e20 s is beyond 2^64 ns");
	is_int(duration_parse("1e999", DUR_S, &ns), DURATION_HUGE, "1e999 overflows");
	is_int(ns, 7, "failed parses leave the value alone");
}

static void fmt_is(uint64_t ns, const char *want)
{
	char buf[32];

	duration_format(ns, buf, sizeof(buf));
	is_str(buf, want, "format %llu ns", (unsigned long long)ns);
}

static void test_duration_ranges(void)
{
	struct vals v = { 0 };

	fmt_is(100 * DUR_MS, "100ms");
	fmt_is(DUR_H, "1h");
	fmt_is(365 * DUR_D, "365d");
	fmt_is(1500 * DUR_US, "1500us");
	fmt_is(90 * DUR_S, "90s");
	fmt_is(0, "0s");
	is_int(run(&v, false, "-d", "1ms", NULL), 3, "-d at the minimum (1ms)");
	is_int(v.dur, DUR_MS, "stored in ns");
	is_int(run(&v, false, "-d", "0.001", NULL), 3, "-d 0.001 (bare seconds) is 1ms");
	is_int(run(&v, false, "-d", "999999ns", NULL), PARSE_OPT_USAGE, "-d just below 1ms");
	is_int(run(&v, false, "-d", "0.0001", NULL), PARSE_OPT_USAGE, "-d 0.0001 (100us) refused");
	is_int(run(&v, false, "-d", "0", NULL), PARSE_OPT_USAGE, "-d 0 refused");
	is_int(run(&v, false, "-d", "365d", NULL), 3, "-d at the maximum (365d)");
	is_int(run(&v, false, "-d", "8761h", NULL), PARSE_OPT_USAGE, "-d above 365d");
	is_int(run(&v, false, "-d", "1e20", NULL), PARSE_OPT_USAGE, "-d 1e20 refused");
	is_int(run(&v, false, "-d", "-1", NULL), PARSE_OPT_USAGE, "-d -1 refused");
	is_int(run(&v, false, "-d", "inf", NULL), PARSE_OPT_USAGE, "-d inf refused");
	is_int(run(&v, false, "-d", "2parsecs", NULL), PARSE_OPT_USAGE, "-d junk suffix");
	is_int(run(&v, false, "-I", "10", NULL), 3, "-I 10 (bare ms)");
	is_int(v.iv, 10 * DUR_MS, "-I 10 is 10 ms");
	is_int(run(&v, false, "-I", "2s", NULL), 3, "-I 2s");
	is_int(v.iv, 2 * DUR_S, "-I 2s is 2000 ms");
	is_int(run(&v, false, "-I", "9.999", NULL), PARSE_OPT_USAGE, "-I below 10 ms");
	is_int(run(&v, false, "-I", "5us", NULL), PARSE_OPT_USAGE, "-I 5us refused");
	is_int(run(&v, false, "-I", "0", NULL), 3, "-I 0 (off) allowed by PARSE_OPT_ZERO_OK");
	is_int(v.iv, 0, "-I 0 stored as 0");
	is_int(run(&v, false, "-I", "1d", NULL), 3, "-I at the maximum");
	is_int(run(&v, false, "-I", "86400001", NULL), PARSE_OPT_USAGE, "-I above 1d");
}

static void test_pow2(void)
{
	struct vals v = { 0 };

	ok(!is_power_of_2(0) && is_power_of_2(1) && is_power_of_2(2) && !is_power_of_2(3) &&
	   is_power_of_2(4) && !is_power_of_2(6) && is_power_of_2(1ul << 30) &&
	   !is_power_of_2((1ul << 30) + 1), "is_power_of_2 on 0, 1, 2, 3, 4, 6, 2^30, 2^30 + 1");
	is_int(run(&v, false, "-m", "3", NULL), PARSE_OPT_USAGE, "-m 3 refused");
	is_int(run(&v, false, "-m", "-8", NULL), PARSE_OPT_USAGE, "-m -8 refused");
	is_int(run(&v, false, "-m", "0", NULL), 3, "-m 0 (the default) allowed");
	is_int(run(&v, false, "-m", "512", NULL), 3, "-m 512");
	is_int(v.pages, 512, "stored");
}

static void split_bad(const char *s, const char *why)
{
	struct strlist l;
	char err[128] = "";

	is_int(strlist_split(&l, s, err, sizeof(err)), -1, "'%s' refused: %s", s ? s : "(null)", why);
	ok(l.nr == 0 && !l.items && *err, "  empty list and a message: %s", err);
}

static void test_strlist(void)
{
	struct strlist l;
	const char *it;
	char err[128], joined[64] = "";
	int i;

	is_int(strlist_split(&l, "tlb,ipi,csd", err, sizeof(err)), 3, "three items");
	strlist_for_each(&l, i, it) {
		strcat(joined, it);
		strcat(joined, "|");
	}
	is_str(joined, "tlb|ipi|csd|", "strlist_for_each in order");
	strlist_free(&l);
	is_int(strlist_split(&l, "one", err, sizeof(err)), 1, "one item");
	is_str(l.items[0], "one", "the item");
	strlist_free(&l);
	is_int(strlist_split(&l, "a:b c", err, sizeof(err)), 1, "only commas split");
	strlist_free(&l);
	split_bad("", "empty list");
	split_bad(NULL, "no list");
	split_bad("a,,b", "empty item");
	split_bad("a,", "trailing comma");
	split_bad(",a", "leading comma");
	split_bad(",", "a lone comma");
}

static void test_cpu_lists(void)
{
	char err[160];
	int *c = NULL;

	is_int(parse_cpu_list("0-2,4", -1, &c, err, sizeof(err)), 4, "cpu list 0-2,4");
	free(c);
	is_int(parse_cpu_list("0,,1", -1, &c, err, sizeof(err)), -1, "cpu list with an empty item");
	is_int(parse_cpu_list(",0", -1, &c, err, sizeof(err)), -1, "cpu list with a leading comma");
	is_int(parse_cpu_list("0-1048577", -1, &c, err, sizeof(err)), -1, "absurd cpu refused");
}

/* --list-opts prints the whole table, one name a line, values marked by '=' (completion) */
static void test_list_opts(void)
{
	struct vals v = { 0 };
	const struct option_def opts[] = TABLE(v);
	char *argv[] = { "test", "--list-opts", NULL };
	char path[] = "/tmp/test-options-XXXXXX", buf[1024] = "";
	int fd = mkstemp(path), out = dup(1), r;
	ssize_t n;

	fflush(stdout);
	dup2(fd, 1);
	r = parse_options(2, argv, opts, usage, false);
	fflush(stdout);
	dup2(out, 1);
	close(out);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	is_int(r, PARSE_OPT_HELP, "--list-opts: exits 0 like --help");
	ok(strstr(buf, "--flag\n-f\n") && strstr(buf, "--number=\n-n\n") &&
	   strstr(buf, "--json\n--csv\n") && strstr(buf, "--interval=\n-I\n") &&
	   strstr(buf, "--help\n-h\n"), "--list-opts: every long and short name, '=' on values");
	ok(!strstr(buf, "Test"), "--list-opts: no section headings");
	is_int(run(&v, false, "--list-opts=x", NULL), PARSE_OPT_USAGE, "--list-opts takes no value");
}

int main(void)
{
	test_typed();
	test_walk();
	test_callbacks_exclusive();
	test_duration_forms();
	test_duration_ranges();
	test_pow2();
	test_strlist();
	test_cpu_lists();
	test_list_opts();
	return done_testing();
}
