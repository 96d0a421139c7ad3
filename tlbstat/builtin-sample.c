// SPDX-License-Identifier: GPL-2.0
/*
 * tlbstat sample: run sampler plugins alone (no tracepoints, no privileges) and write their
 * rows as CSV, one row per interval: the time on the perf clock (CLOCK_MONOTONIC seconds, the
 * clock of perf.data samples, so rows line up with a recording), then one column per
 * "plugin.column". Documentation/tlbstat-sample.txt.
 */
#include "builtin.h"
#include "outfile.h"
#include "parse-options.h"
#include "sampler.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const samp_usage[] = {
	"tlbstat sample [--interval <dur>] [-d <dur>] [-o <file>] [--plugin-dir <dir>] "
	"sched|vmstat|gpu|prom:URL[:metric]|<plugin>[,...]...",
	"tlbstat sample --list [--plugin-dir <dir>]",
	NULL,
};

struct samp_opts {
	uint64_t interval_ns, duration_ns;
	const char *output, *plugin_dir;
	bool list;
};

/* a signal ends the loop between rows; the command's own state, not the library's */
static volatile sig_atomic_t samp_stop;

static void on_signal(int sig)
{
	samp_stop = 1;
}

/* --list: every NAME.so of the directories that loads, with its description */
static int list_plugins(const char *const *dirs)
{
	char err[512];

	for (; *dirs; dirs++) {
		DIR *d = opendir(*dirs);
		struct dirent *e;

		if (!d)
			continue;
		printf("%s:\n", *dirs);
		while ((e = readdir(d))) {
			const char *dirv[] = { *dirs, NULL };
			size_t len = strlen(e->d_name);
			struct sampler s;
			char *name;

			if (len < 4 || strcmp(e->d_name + len - 3, ".so"))
				continue;
			name = xstrdup(e->d_name);
			name[len - 3] = 0;
			/* open, not only load: the description and columns are the plugin's answer */
			if (sampler_open(&s, name, dirv, err, sizeof(err)) == SAMPLER_EABI)
				printf("  %-10s %s\n", name, err);
			else if (s.p)
				printf("  %-10s %s (%d columns)\n", name, s.p->description ?
				       s.p->description : "", s.cols.nr);
			else
				printf("  %-10s (needs arguments or cannot open here: %s)\n", name, err);
			sampler_close(&s);
			free(name);
		}
		closedir(d);
	}
	return EXIT_OK;
}

static int sampler_exit(int rc)
{
	return rc == SAMPLER_ENAME ? EXIT_USAGE : rc == SAMPLER_EABI ? EXIT_ENV : EXIT_FAIL;
}

/* Every argument's samplers into ss, notes said once; an exit code (the error said). */
static int open_all(struct sampler_set *ss, int argc, char **argv, const char *const *dirs)
{
	char err[768];

	for (int a = 0; a < argc; a++) {
		int first = ss->nr, rc = sampler_set_add(ss, argv[a], dirs, err, sizeof(err));

		for (int i = first; i < ss->nr; i++)
			if (ss->v[i].note[0])
				tlb_warn("sampler %s: %s", ss->v[i].name, ss->v[i].note);
		if (rc) {
			tlb_err("sample: %s", err);
			return sampler_exit(rc);
		}
	}
	return EXIT_OK;
}

/* Rows every interval on an absolute schedule (no drift), until -d or a signal. */
static int samp_loop(FILE *f, struct sampler_set *ss, const struct samp_opts *o)
{
	uint64_t start = now_ns(), next = start;
	char err[512];

	sampler_set_header(ss, f);
	fflush(f);
	while (!samp_stop) {
		struct timespec ts;

		next += o->interval_ns;
		if (o->duration_ns && next - start > o->duration_ns)
			break;
		ts.tv_sec = next / DUR_S;
		ts.tv_nsec = next % DUR_S;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
		       !samp_stop)
			;
		if (samp_stop)
			break;
		if (sampler_set_row(ss, f, now_ns(), err, sizeof(err))) {
			tlb_err("sample: %s", err);
			return EXIT_FAIL;
		}
		fflush(f);	/* a row is whole when it is seen (tail -f, a reader on a pipe) */
	}
	return EXIT_OK;
}

static int samp_options(int argc, char **argv, struct samp_opts *o)
{
	const struct option_def opts[] = {
		OPT_DURATION(0, "interval", &o->interval_ns, DUR_S, 10 * DUR_MS, DUR_H,
			     "one row every this long (seconds, or 100ms, 5s; 10ms to 1h; default 1s)"),
		OPT_DURATION_FLAG('d', "duration", &o->duration_ns, DUR_S, DUR_MS, 365 * DUR_D,
				  "stop after this long (default: until interrupted)",
				  PARSE_OPT_ZERO_OK),
		OPT_STR('o', "output", &o->output, "file", "write the CSV here (default: stdout)"),
		OPT_STR(0, "plugin-dir", &o->plugin_dir, "dir",
			"load plugins from this directory only"),
		OPT_BOOLEAN(0, "list", &o->list, "list the plugins found and exit"),
		OPT_FINISH(),
	};

	return parse_options(argc, argv, opts, samp_usage, true);
}

int cmd_sample(int argc, char **argv)
{
	struct samp_opts o = { .interval_ns = DUR_S };
	struct sampler_set ss = { 0 };
	char exe_dir[4096], err[512];
	const char *dirs[4];
	FILE *f = stdout;
	int argi = samp_options(argc, argv, &o), rc;

	if (argi < 0)
		return parse_options_exit(argi);
	sampler_dirs(o.plugin_dir, exe_dir, sizeof(exe_dir), dirs);
	if (o.list)
		return list_plugins(dirs);
	if (argi >= argc) {
		tlb_err("sample: name at least one sampler (sched, vmstat, gpu, prom:URL); "
			"--list shows them");
		return EXIT_USAGE;
	}
	rc = open_all(&ss, argc - argi, argv + argi, dirs);
	if (rc == EXIT_OK && o.output) {
		f = outfile_fopen(o.output, err, sizeof(err));
		if (!f) {
			tlb_err("sample: %s", err);
			rc = EXIT_FAIL;
		}
	}
	if (rc == EXIT_OK) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		rc = samp_loop(f, &ss, &o);
	}
	if (f && f != stdout && outfile_close(f, o.output, err, sizeof(err)) && rc == EXIT_OK) {
		tlb_err("sample: %s", err);
		rc = EXIT_FAIL;
	}
	sampler_set_close(&ss);
	return rc;
}
