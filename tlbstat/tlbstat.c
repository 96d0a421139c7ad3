// SPDX-License-Identifier: GPL-2.0
/*
 * tlbstat: TLB invalidation (shootdown) activity, observable and attributable.
 * The command table: `tlbstat <command> [options]`, `tlbstat help [command]`, `tlbstat -V`,
 * and the lists the completion script asks for (--list-cmds, --list-opts, --list-events).
 * Installed also as perf-tlb (a link), which `perf tlb ...` runs: perf 6.1 execs "perf-<name>"
 * from PATH with argv "perf-tlb <args>", so the arguments are the same as tlbstat's.
 */
#include "builtin.h"
#include "events.h"
#include "tracefs.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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
	{ "sample", cmd_sample, "run sampler plugins (sched, vmstat, gpu, prom) into CSV" },
	{ "correlate", cmd_correlate, "correlate recordings and CSV time series: lags, p-values" },
};

/* "perf tlb" when perf ran us as perf-tlb, so the usage line is the one the user typed */
static const char *prog_name(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	base = base ? base + 1 : argv0;
	return !strcmp(base, "perf-tlb") ? "perf tlb" : "tlbstat";
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f, " usage: %s [-V | --version] [-h | --help] <command> [<args>]\n\n"
		   " The commands are:\n", prog);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "   %-11s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n See '%s help <command>' (the manual page) or '%s <command> --help'.\n"
		   " Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 environment "
		   "(privileges, tracefs, tracepoint missing).\n", prog, prog);
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

/* The dispatcher's own options, for `tlbstat --list-opts` (completion of "tlbstat -") */
static const char *const main_opts[] = {
	"--version", "-V", "--help", "-h", "--list-cmds", "--list-opts", "--list-events",
};

static int list_cmds(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		printf("%s\n", commands[i].name);
	printf("help\n");
	return check_stdout(EXIT_OK);
}

static int list_main_opts(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(main_opts); i++)
		printf("%s\n", main_opts[i]);
	return check_stdout(EXIT_OK);
}

/* true if sys was already listed by an earlier row (rows of one system are not adjacent) */
static bool sys_seen(const struct tlb_event_def *t, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (!strcmp(t[j].sys, t[i].sys))
			return true;
	return false;
}

/*
 * --list-events: what record -e and top --events take, for completion: the registry's short
 * names, then every "sys:name" of the registry's systems that this kernel's tracefs lists
 * (none when tracefs is not readable: completion then offers the short names only).
 */
static int list_events(void)
{
	size_t nr;
	const struct tlb_event_def *t = tlb_events_table(&nr);

	for (size_t i = 0; i < nr; i++)
		if (t[i].short_name)
			printf("%s\n", t[i].short_name);
	if (tfs_locate(NULL, 0, NULL, 0) < 0)
		return check_stdout(EXIT_OK);
	for (size_t i = 0; i < nr; i++) {
		char *list, *tok, *save = NULL;

		if (!strcmp(t[i].sys, "*") || sys_seen(t, i))
			continue;
		list = tfs_list_events(t[i].sys);
		for (tok = list ? strtok_r(list, " ", &save) : NULL; tok;
		     tok = strtok_r(NULL, " ", &save))
			printf("%s\n", tok);
		free(list);
	}
	return check_stdout(EXIT_OK);
}

/* Runs `man args...` with its output discarded; its exit status, or -1 if man cannot run. */
static int run_man_quiet(const char *page)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("man", "man", "-w", page, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * `tlbstat help CMD`: the manual page, as `perf help` and `git help` open it (man tlbstat-CMD);
 * where man or the page is missing (a container without man-db, a build not installed), the
 * command's --help text instead, so the question still gets an answer.
 */
static int help_cmd(const struct cmd *c)
{
	char page[64];
	char *args[] = { (char *)c->name, (char *)"--help", NULL };

	snprintf(page, sizeof(page), "tlbstat-%s", c->name);
	if (run_man_quiet(page) == 0) {
		fflush(NULL);
		execlp("man", "man", page, (char *)NULL);
		/* man went away between the look-up and now: fall through to the text */
	}
	return run_builtin(c, 2, args);
}

/* The dispatcher's own words (not a command); -1 when argv[1] is none of them. */
static int main_option(int argc, char **argv, const char *prog)
{
	const char *a = argv[1];
	const struct cmd *c;

	if (!strcmp(a, "--version") || !strcmp(a, "-V") || !strcmp(a, "version")) {
		printf("tlbstat version %s\n", TLBSTAT_VERSION);
		return check_stdout(EXIT_OK);
	}
	if (!strcmp(a, "--help") || !strcmp(a, "-h") || (!strcmp(a, "help") && argc == 2)) {
		usage(stdout, prog);
		return check_stdout(EXIT_OK);
	}
	if (!strcmp(a, "--list-cmds"))
		return list_cmds();
	if (!strcmp(a, "--list-opts"))
		return list_main_opts();
	if (!strcmp(a, "--list-events"))
		return list_events();
	if (strcmp(a, "help"))
		return -1;
	c = find(argv[2]);
	if (!c) {
		tlb_err("'%s' is not a tlbstat command; see '%s --help'", argv[2], prog);
		return EXIT_USAGE;
	}
	return help_cmd(c);
}

int main(int argc, char **argv)
{
	const char *prog = prog_name(argv[0]);
	const struct cmd *c;
	int rc;

	if (argc < 2) {
		usage(stderr, prog);
		return EXIT_USAGE;
	}
	rc = main_option(argc, argv, prog);
	if (rc >= 0)
		return rc;
	c = find(argv[1]);
	if (!c) {
		tlb_err("'%s' is not a tlbstat command; see '%s --help'", argv[1], prog);
		return EXIT_USAGE;
	}
	return run_builtin(c, argc - 1, argv + 1);
}
