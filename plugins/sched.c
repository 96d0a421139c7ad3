// SPDX-License-Identifier: GPL-2.0
/*
 * sched: scheduler pressure per interval. CPU pressure from /proc/pressure/cpu (PSI: some and
 * full avg10 in %, and the stall time of the interval in us), procs_running and context
 * switches from /proc/stat, and each CPU's run delay (time tasks waited on its run queue, us
 * per interval) from /proc/schedstat. What the kernel lacks (PSI off, CONFIG_SCHEDSTATS off)
 * is left out of the columns and named in the open note. Argument proc=DIR reads DIR instead
 * of /proc (a host's /proc mounted in a container; the tests' fixture files).
 */
#include "plugin-util.h"

#include <stdbool.h>

#define MAX_CPUS 4096

struct sched {
	struct pcols cols;
	char root[256];		/* "/proc", or proc=DIR: a host's /proc mounted in a container */
	char path[512];		/* proc_path's answer */
	bool psi, schedstat;
	int nr_cpus;
	unsigned long long psi_total[2], ctxt, *run_delay;	/* the previous readings */
	char *buf;
	size_t buflen;
};

/* root/name in a buffer of the handle's (one path at a time) */
static const char *proc_path(struct sched *h, const char *name)
{
	snprintf(h->path, sizeof(h->path), "%s/%s", h->root, name);
	return h->path;
}

/* PSI: avg10 and total of "some" (0) and "full" (1). */
static int read_psi(struct sched *h, double avg10[2], unsigned long long total[2])
{
	char *buf = h->buf;

	if (proc_read(proc_path(h, "pressure/cpu"), buf, h->buflen) <= 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		const char *l = strstr(buf, i ? "full " : "some ");

		avg10[i] = NAN;
		total[i] = 0;
		if (!l || sscanf(l + 5, "avg10=%lf avg60=%*f avg300=%*f total=%llu", &avg10[i],
				 &total[i]) != 2)
			return i ? 0 : -1;	/* "full" is missing before Linux 5.13 */
	}
	return 0;
}

static int read_stat(struct sched *h, unsigned long long *ctxt, double *running)
{
	const char *c, *r;
	char *buf = h->buf;

	if (proc_read(proc_path(h, "stat"), buf, h->buflen) <= 0)
		return -1;
	c = strstr(buf, "\nctxt ");
	r = strstr(buf, "\nprocs_running ");
	if (!c || !r)
		return -1;
	*ctxt = strtoull(c + 6, NULL, 10);
	*running = strtod(r + 15, NULL);
	return 0;
}

/* run_delay (ns, the 8th number of each cpuN line) of every CPU into rd; CPUs seen, or -1. */
static int read_schedstat(struct sched *h, unsigned long long *rd, int max)
{
	int n = 0;
	char *buf = h->buf;

	if (proc_read(proc_path(h, "schedstat"), buf, h->buflen) <= 0)
		return -1;
	for (char *l = strstr(buf, "\ncpu"); l; l = strstr(l + 1, "\ncpu")) {
		int cpu;
		unsigned long long v[8];

		if (sscanf(l + 4, "%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1],
			   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 9 || cpu < 0 || cpu >= max)
			return -1;
		/* by CPU number: offline CPUs leave holes (their columns stay 0) */
		rd[cpu] = v[7];
		n = cpu + 1 > n ? cpu + 1 : n;
	}
	return n ? n : -1;
}

static void sched_close(void *hv)
{
	struct sched *h = hv;

	pcols_free(&h->cols);
	free(h->run_delay);
	free(h->buf);
	free(h);
}

static int add_columns(struct sched *h)
{
	char name[48];
	int rc = 0;

	if (h->psi)
		rc |= pcols_add(&h->cols, "psi_some_avg10", "%") |
		      pcols_add(&h->cols, "psi_some_stall", "us") |
		      pcols_add(&h->cols, "psi_full_avg10", "%") |
		      pcols_add(&h->cols, "psi_full_stall", "us");
	rc |= pcols_add(&h->cols, "procs_running", "tasks") |
	      pcols_add(&h->cols, "ctx_switches", "events");
	if (h->schedstat) {
		rc |= pcols_add(&h->cols, "run_delay", "us");
		for (int c = 0; c < h->nr_cpus; c++) {
			snprintf(name, sizeof(name), "cpu%d_run_delay", c);
			rc |= pcols_add(&h->cols, name, "us");
		}
	}
	return rc;
}

static void *sched_open(const char *args, struct tlb_plugin_cols *out, char *msg, size_t msglen)
{
	struct sched *h = calloc(1, sizeof(*h));
	double avg[2], running;

	if (!h || (args && strncmp(args, "proc=", 5))) {
		snprintf(msg, msglen, h ? "the one argument is proc=DIR" : "out of memory");
		free(h);
		return NULL;
	}
	snprintf(h->root, sizeof(h->root), "%s", args ? args + 5 : "/proc");
	h->buflen = 1 << 20;	/* /proc/stat and schedstat of a few thousand CPUs */
	h->buf = malloc(h->buflen);
	h->run_delay = calloc(MAX_CPUS, sizeof(*h->run_delay));
	if (!h->buf || !h->run_delay)
		goto oom;
	if (read_stat(h, &h->ctxt, &running)) {
		snprintf(msg, msglen, "cannot read %s/stat", h->root);
		sched_close(h);
		return NULL;
	}
	h->psi = !read_psi(h, avg, h->psi_total);
	h->nr_cpus = read_schedstat(h, h->run_delay, MAX_CPUS);
	h->schedstat = h->nr_cpus > 0;
	if (add_columns(h))
		goto oom;
	pcols_fix(&h->cols, out);
	if (!h->psi || !h->schedstat)
		snprintf(msg, msglen, "%s%s%s", !h->psi ? "no /proc/pressure/cpu (PSI off): no psi "
			 "columns" : "", !h->psi && !h->schedstat ? "; " : "", !h->schedstat ?
			 "no /proc/schedstat (CONFIG_SCHEDSTATS off): no run delay columns" : "");
	return h;
oom:
	snprintf(msg, msglen, "out of memory");
	sched_close(h);
	return NULL;
}

/* Each CPU's run delay over the interval (us) and their sum; NaN when unreadable. */
static int sample_run_delay(struct sched *h, double *row, int k)
{
	unsigned long long *now = calloc(MAX_CPUS, sizeof(*now));
	int n = now ? read_schedstat(h, now, MAX_CPUS) : -1;
	double sum = 0;

	for (int c = 0; c < h->nr_cpus; c++) {
		double d = n > c ? delta(now[c], h->run_delay[c]) / 1e3 : NAN;

		row[k + 1 + c] = d;
		sum += d;
		if (n > c)
			h->run_delay[c] = now[c];
	}
	row[k] = sum;
	free(now);
	return k + 1 + h->nr_cpus;
}

static int sched_sample(void *hv, uint64_t ts, double *row, char *msg, size_t msglen)
{
	struct sched *h = hv;
	unsigned long long ctxt, total[2];
	double avg[2], running;
	int k = 0;

	(void)ts;
	if (h->psi) {
		if (read_psi(h, avg, total)) {
			avg[0] = avg[1] = NAN;
			memcpy(total, h->psi_total, sizeof(total));
		}
		row[k++] = avg[0];
		row[k++] = delta(total[0], h->psi_total[0]);
		row[k++] = avg[1];
		row[k++] = delta(total[1], h->psi_total[1]);
		memcpy(h->psi_total, total, sizeof(total));
	}
	if (read_stat(h, &ctxt, &running)) {
		snprintf(msg, msglen, "cannot read /proc/stat");
		return -1;
	}
	row[k++] = running;
	row[k++] = delta(ctxt, h->ctxt);
	h->ctxt = ctxt;
	if (h->schedstat)
		sample_run_delay(h, row, k);
	return 0;
}

static const struct tlb_plugin sched_plugin = {
	.size = sizeof(struct tlb_plugin),
	.version = TLB_PLUGIN_VERSION,
	.name = "sched",
	.description = "CPU pressure (PSI), procs_running, context switches, per-CPU run delay",
	.open = sched_open,
	.sample = sched_sample,
	.close = sched_close,
};

PLUGIN_EXPORT const struct tlb_plugin *tlb_plugin_info(void)
{
	return &sched_plugin;
}
