/*
 * tlbstat: TLB invalidation (shootdown) activity, observable and attributable.
 * The command table: `tlbstat <command> [options]`, `tlbstat help [command]`, `tlbstat --version`.
 */
#include "builtin.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef TLBSTAT_VERSION
#define TLBSTAT_VERSION "unknown"
#endif

struct cmd {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
};

static const struct cmd commands[] = {
	{ "stat", cmd_stat, "count TLB invalidations per reason and CPU, with a health score" },
	{ "record", cmd_record, "sample TLB tracepoints into a perf.data file" },
	{ "report", cmd_report, "attribute invalidations in a perf.data file (ours or perf's)" },
	{ "top", cmd_top, "live view of processes ranked by invalidation rate" },
	{ "transport", cmd_transport, "how this machine delivers remote TLB flushes" },
	{ "exporter", cmd_exporter, "serve Prometheus metrics of TLB invalidation (top K processes)" },
};

static void usage(FILE *f)
{
	fprintf(f, " usage: tlbstat [--version] [--help] <command> [<args>]\n\n"
		   " The commands are:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "   %-11s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n See 'tlbstat help <command>' or 'tlbstat <command> --help'.\n"
		   " Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 environment "
		   "(privileges, tracefs, tracepoint missing).\n");
}

static const struct cmd *find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/*
 * Output write errors are checked once, here, as git's run_builtin does: a command prints with
 * plain stdio and never checks each fprintf, so a full disk or a closed descriptor would
 * otherwise pass silently with exit 0. A reader that went away (EPIPE) is not an error worth a
 * line: `tlbstat top -b | head` ends that way by design.
 */
static int check_stdout(int rc)
{
	int err = 0;
	bool failed = false;

	if (fflush(stdout)) {
		err = errno;
		failed = true;
	} else if (ferror(stdout)) {
		failed = true;	/* an earlier flush (a streaming command's) failed; errno is gone */
	}
	if (fclose(stdout) && !failed) {
		err = errno;
		failed = true;
	}
	if (!failed || err == EPIPE || err == EBADF)
		return rc;
	if (err)
		tlb_err("write error on standard output: %s", strerror(err));
	else
		tlb_err("write error on standard output");
	return rc ? rc : EXIT_FAIL;
}

static int run_builtin(const struct cmd *c, int argc, char **argv)
{
	return check_stdout(c->fn(argc, argv));
}

int main(int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("tlbstat version %s\n", TLBSTAT_VERSION);
		return check_stdout(EXIT_OK);
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    (!strcmp(argv[1], "help") && argc == 2)) {
		usage(stdout);
		return check_stdout(EXIT_OK);
	}
	if (!strcmp(argv[1], "help")) {
		char *args[] = { argv[2], (char *)"--help", NULL };
		c = find(argv[2]);
		if (!c) {
			tlb_err("'%s' is not a tlbstat command; see 'tlbstat --help'", argv[2]);
			return EXIT_USAGE;
		}
		return run_builtin(c, 2, args);
	}
	c = find(argv[1]);
	if (!c) {
		tlb_err("'%s' is not a tlbstat command; see 'tlbstat --help'", argv[1]);
		return EXIT_USAGE;
	}
	return run_builtin(c, argc - 1, argv + 1);
}
