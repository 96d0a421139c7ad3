// SPDX-License-Identifier: GPL-2.0
/* Sampler plugins: find name.so in the plugin directories, check its ABI, open it. */
#include "sampler.h"
#include "outfile.h"
#include "output.h"
#include "session.h"
#include "strlist.h"
#include "util.h"

#include <dlfcn.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <math.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef TLBSTAT_PLUGINDIR
#define TLBSTAT_PLUGINDIR "/usr/local/lib/tlbstat/plugins"
#endif

void sampler_dirs(const char *given, char *buf, size_t len, const char *dirs[4])
{
	size_t half = len / 2;
	char *lib = buf + half, *slash;
	ssize_t n;
	int k = 0;

	if (given) {
		dirs[0] = given;
		dirs[1] = NULL;
		return;
	}
	n = readlink("/proc/self/exe", buf, half - 32);	/* room for the suffixes */
	if (n > 0) {
		buf[n] = 0;
		slash = strrchr(buf, '/');
		if (slash) {
			/* PREFIX/bin/tlbstat -> PREFIX/lib/tlbstat/plugins, whatever PREFIX was */
			memcpy(lib, buf, slash - buf);
			strcpy(lib + (slash - buf), "/../lib/tlbstat/plugins");
			strcpy(slash, "/plugins");
			dirs[k++] = buf;
			dirs[k++] = lib;
		}
	}
	dirs[k++] = TLBSTAT_PLUGINDIR;
	dirs[k] = NULL;
}

/* Names become file names: nothing that could climb out of the directory. */
static bool valid_name(const char *s, size_t len)
{
	if (!len || len > 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(s[i] == '_' || s[i] == '-' || (s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	return true;
}

int sampler_check_abi(const struct tlb_plugin *p, const char *path, char *err, size_t errlen)
{
	if (!p) {
		snprintf(err, errlen, "%s: %s() returned no descriptor", path, TLB_PLUGIN_SYMBOL);
		return -1;
	}
	if (p->version != TLB_PLUGIN_VERSION) {
		snprintf(err, errlen, "%s: plugin ABI version %u, this tlbstat loads version %u "
			 "(rebuild the plugin against this tlbstat's plugin.h)", path, p->version,
			 TLB_PLUGIN_VERSION);
		return -1;
	}
	if (p->size < sizeof(*p)) {
		snprintf(err, errlen, "%s: plugin descriptor of %u bytes, version %u has %zu "
			 "(rebuild the plugin against this tlbstat's plugin.h)", path, p->size,
			 p->version, sizeof(*p));
		return -1;
	}
	if (!p->name || !p->open || !p->sample || !p->close) {
		snprintf(err, errlen, "%s: plugin descriptor without name, open, sample or close",
			 path);
		return -1;
	}
	return 0;
}

/* The first dir holding name.so; its path (malloc'd) or NULL. */
static char *find_plugin(const char *name, const char *const *dirs)
{
	for (; dirs && *dirs; dirs++) {
		char *path;

		if (asprintf(&path, "%s/%s.so", *dirs, name) < 0)
			return NULL;
		if (!access(path, R_OK))
			return path;
		free(path);
	}
	return NULL;
}

static void where_looked(const char *const *dirs, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (; dirs && *dirs && n < len; dirs++)
		n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "", *dirs);
}

static int split_spec(struct sampler *s, const char *spec, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':');
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);

	if (!valid_name(spec, len)) {
		snprintf(err, errlen, "sampler '%.*s': a name is letters, digits, '_' and '-'",
			 (int)len, spec);
		return SAMPLER_ENAME;
	}
	s->name = strndup(spec, len);
	s->args = colon ? strdup(colon + 1) : NULL;
	if (!s->name || (colon && !s->args)) {
		snprintf(err, errlen, "out of memory");
		return SAMPLER_EOPEN;
	}
	return 0;
}

static int load(struct sampler *s, const char *const *dirs, char *err, size_t errlen)
{
	char where[512], why[384];
	tlb_plugin_info_fn info;

	s->path = find_plugin(s->name, dirs);
	if (!s->path) {
		where_looked(dirs, where, sizeof(where));
		snprintf(err, errlen, "sampler %s: no %s.so in %s", s->name, s->name,
			 where[0] ? where : "(no plugin directory)");
		return SAMPLER_ENAME;
	}
	s->dl = dlopen(s->path, RTLD_NOW | RTLD_LOCAL);
	if (!s->dl) {
		snprintf(err, errlen, "sampler %s: %s", s->name, dlerror());
		return SAMPLER_EABI;
	}
	*(void **)&info = dlsym(s->dl, TLB_PLUGIN_SYMBOL);
	if (!info) {
		snprintf(err, errlen, "sampler %s: %s is not a tlbstat plugin (no %s)", s->name,
			 s->path, TLB_PLUGIN_SYMBOL);
		return SAMPLER_EABI;
	}
	s->p = info();
	if (sampler_check_abi(s->p, s->path, why, sizeof(why))) {
		snprintf(err, errlen, "sampler %s refused: %s", s->name, why);
		return SAMPLER_EABI;
	}
	return 0;
}

int sampler_open(struct sampler *s, const char *spec, const char *const *dirs,
		 char *err, size_t errlen)
{
	char msg[256] = "";
	int rc;

	memset(s, 0, sizeof(*s));
	rc = split_spec(s, spec, err, errlen);
	if (!rc)
		rc = load(s, dirs, err, errlen);
	if (rc)
		goto fail;
	rc = SAMPLER_EOPEN;
	s->h = s->p->open(s->args, &s->cols, msg, sizeof(msg));
	if (!s->h) {
		snprintf(err, errlen, "sampler %s: %s", s->name, msg[0] ? msg : "cannot open");
		goto fail;
	}
	if (s->cols.nr < 0 || (s->cols.nr && !s->cols.cols)) {
		snprintf(err, errlen, "sampler %s: the plugin gave no column table", s->name);
		goto fail;
	}
	snprintf(s->note, sizeof(s->note), "%s", msg);
	return 0;
fail:
	sampler_close(s);
	return rc;
}

int sampler_sample(struct sampler *s, uint64_t ts, double *row, char *err, size_t errlen)
{
	char msg[256] = "";

	if (!s->cols.nr)
		return 0;
	if (s->p->sample(s->h, ts, row, msg, sizeof(msg))) {
		snprintf(err, errlen, "sampler %s: %s", s->name, msg[0] ? msg : "sample failed");
		return -1;
	}
	return 0;
}

void sampler_close(struct sampler *s)
{
	if (s->h)
		s->p->close(s->h);
	if (s->dl)
		dlclose(s->dl);
	free(s->name);
	free(s->args);
	free(s->path);
	memset(s, 0, sizeof(*s));
}

/* Whether s would repeat a column name of an earlier sampler of the set ("sched,sched") */
static bool set_duplicate(const struct sampler_set *ss, const struct sampler *s)
{
	for (int i = 0; i < ss->nr; i++) {
		if (strcmp(ss->v[i].name, s->name))
			continue;
		for (int a = 0; a < ss->v[i].cols.nr; a++)
			for (int b = 0; b < s->cols.nr; b++)
				if (!strcmp(ss->v[i].cols.cols[a].name, s->cols.cols[b].name))
					return true;
	}
	return false;
}

/* One opened sampler into the set; a SAMPLER_E* code. */
static int set_take(struct sampler_set *ss, struct sampler *s, char *err, size_t errlen)
{
	struct sampler *v;

	if (set_duplicate(ss, s)) {
		snprintf(err, errlen, "sampler %s given twice with the same columns", s->name);
		sampler_close(s);
		return SAMPLER_ENAME;
	}
	if (s->cols.nr > ss->row_cap) {
		double *row = realloc(ss->row, s->cols.nr * sizeof(*row));

		if (!row)
			goto oom;
		ss->row = row;
		ss->row_cap = s->cols.nr;
	}
	v = realloc(ss->v, (ss->nr + 1) * sizeof(*v));
	if (!v)
		goto oom;
	ss->v = v;
	ss->v[ss->nr++] = *s;
	ss->nr_cols += s->cols.nr;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	sampler_close(s);
	return SAMPLER_EOPEN;
}

int sampler_set_add(struct sampler_set *ss, const char *list, const char *const *dirs,
		    char *err, size_t errlen)
{
	struct strlist l;
	const char *item;
	int i, rc = 0;

	if (strlist_split(&l, list, err, errlen) < 0)
		return SAMPLER_ENAME;
	strlist_for_each(&l, i, item) {
		struct sampler s;

		rc = sampler_open(&s, item, dirs, err, errlen);
		if (!rc)
			rc = set_take(ss, &s, err, errlen);
		if (rc)
			break;
	}
	strlist_free(&l);
	return rc;
}

void sampler_set_header(const struct sampler_set *ss, FILE *f)
{
	char name[256];

	fputs("time", f);
	for (int i = 0; i < ss->nr; i++)
		for (int c = 0; c < ss->v[i].cols.nr; c++) {
			snprintf(name, sizeof(name), "%s.%s", ss->v[i].name,
				 ss->v[i].cols.cols[c].name);
			fputc(',', f);
			csv_field(f, name);
		}
	fputc('\n', f);
}

int sampler_set_row(struct sampler_set *ss, FILE *f, uint64_t ts, char *err, size_t errlen)
{
	fprintf(f, "%llu.%09llu", (unsigned long long)(ts / 1000000000ull),
		(unsigned long long)(ts % 1000000000ull));
	for (int i = 0; i < ss->nr; i++) {
		struct sampler *s = &ss->v[i];

		for (int c = 0; c < s->cols.nr; c++)
			ss->row[c] = NAN;
		if (sampler_sample(s, ts, ss->row, err, errlen)) {
			fputc('\n', f);	/* the row ends whole; the caller stops */
			return -1;
		}
		/* an empty cell for NaN: no value, never a made-up 0 */
		for (int c = 0; c < s->cols.nr; c++)
			if (isfinite(ss->row[c]))
				fprintf(f, ",%.15g", ss->row[c]);
			else
				fputc(',', f);
	}
	fputc('\n', f);
	return 0;
}

void sampler_set_close(struct sampler_set *ss)
{
	for (int i = 0; i < ss->nr; i++)
		sampler_close(&ss->v[i]);
	free(ss->v);
	free(ss->row);
	memset(ss, 0, sizeof(*ss));
}

struct sampler_file {
	struct sampler_set ss;
	uint64_t interval_ns;
	_Atomic uint64_t rows;
	FILE *f;
	char *path;
	int tfd, efd;		/* the interval's timer; the stop signal */
	pthread_t thread;
	bool started;
	bool failed;		/* a sampler failed: no more rows (the thread's until joined) */
	char err[512];		/* its message, for sampler_file_close */
};

struct sampler_file *sampler_file_new(struct sampler_set *ss, uint64_t interval_ns)
{
	struct sampler_file *sf = calloc(1, sizeof(*sf));

	if (!sf) {
		sampler_set_close(ss);
		return NULL;
	}
	sf->ss = *ss;
	memset(ss, 0, sizeof(*ss));
	sf->interval_ns = interval_ns;
	sf->tfd = sf->efd = -1;
	return sf;
}

/*
 * The samplers' own thread: one row per timer expiry (expirations missed while a sampler was
 * slow are not made up), until the stop signal. A sampler may block (prom: an HTTP scrape of up
 * to its timeout); here that delays only its own rows, never the draining of the ring buffers.
 */
static void *sampler_thread(void *arg)
{
	struct sampler_file *sf = arg;
	struct pollfd p[2] = { { .fd = sf->tfd, .events = POLLIN }, { .fd = sf->efd, .events = POLLIN } };
	uint64_t n;

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN) || read(sf->tfd, &n, sizeof(n)) != sizeof(n) || sf->failed)
			continue;
		if (sampler_set_row(&sf->ss, sf->f, now_ns(), sf->err, sizeof(sf->err)))
			sf->failed = true;	/* the recording goes on; close says why rows stop */
		else
			atomic_fetch_add(&sf->rows, 1);
	}
	return NULL;
}

int sampler_file_start(struct sampler_file *sf, const char *path, char *err, size_t errlen)
{
	struct itimerspec its = {
		.it_value = { (time_t)(sf->interval_ns / 1000000000ull),
			      (long)(sf->interval_ns % 1000000000ull) },
		.it_interval = { (time_t)(sf->interval_ns / 1000000000ull),
				 (long)(sf->interval_ns % 1000000000ull) },
	};
	sigset_t all, old;
	int fd, e;

	sf->path = strdup(path);
	if (!sf->path) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* private as the recording is (0600): process names and server metrics */
	fd = outfile_open(path, 0600, err, errlen);
	if (fd < 0)
		return -1;
	sf->f = fdopen(fd, "w");
	if (!sf->f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	sampler_set_header(&sf->ss, sf->f);
	sf->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	sf->efd = eventfd(0, EFD_CLOEXEC);
	if (sf->tfd < 0 || sf->efd < 0 || timerfd_settime(sf->tfd, 0, &its, NULL) < 0) {
		snprintf(err, errlen, "%s: no timer for the samplers: %s", path, strerror(errno));
		return -1;
	}
	/* signals (SIGINT, SIGCHLD, the duration) stay the recording thread's */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&sf->thread, NULL, sampler_thread, sf);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		snprintf(err, errlen, "%s: no thread for the samplers: %s", path, strerror(e));
		return -1;
	}
	sf->started = true;
	return 0;
}

uint64_t sampler_file_rows(struct sampler_file *sf)
{
	return sf ? atomic_load(&sf->rows) : 0;
}

int sampler_file_close(struct sampler_file *sf, char *err, size_t errlen)
{
	int rc = 0;

	if (!sf)
		return 0;
	if (sf->started) {
		uint64_t one = 1;

		if (write(sf->efd, &one, sizeof(one)) != sizeof(one))
			pthread_cancel(sf->thread);	/* cannot happen with an eventfd; never hang */
		pthread_join(sf->thread, NULL);
	}
	if (sf->failed) {
		snprintf(err, errlen, "%s ends early: %s", sf->path, sf->err);
		rc = -1;
	}
	if (sf->f && outfile_close(sf->f, sf->path, rc ? sf->err : err,
				   rc ? sizeof(sf->err) : errlen) < 0)
		rc = -1;
	if (sf->tfd >= 0)
		close(sf->tfd);
	if (sf->efd >= 0)
		close(sf->efd);
	sampler_set_close(&sf->ss);
	free(sf->path);
	free(sf);
	return rc;
}
