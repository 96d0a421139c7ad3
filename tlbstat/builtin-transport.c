// SPDX-License-Identifier: GPL-2.0
/*
 * tlbstat transport: how this machine delivers remote TLB flushes (IPI, hypervisor, broadcast),
 * with the evidence. --probe runs a short two-thread munmap churn inside tlbstat itself while
 * counting reasons 1 and 4 of tlb:tlb_flush on its own threads and the TLB: interrupt row, and
 * feeds what it saw to the detector. Documentation/tlbstat-transport.txt.
 */
#include "builtin.h"
#include "evlist.h"
#include "interrupts.h"
#include "output.h"
#include "parse-options.h"
#include "reason.h"
#include "transport.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static const char *const transport_usage[] = {
	"tlbstat transport [--json] [--probe [--duration <secs>]]",
	NULL,
};

#define CHURN_BYTES (64 * 1024)
#define CHURN_TOUCH 16

struct probe {
	atomic_int phase;            /* 0 wait, 1 run, 2 stop */
	atomic_ulong munmaps;
	int cpu[2];                  /* -1: not pinned */
	bool pinned;
	/* results */
	double secs;
	uint64_t sends, shootdowns, tlb_irqs;
	bool tlb_present;
};

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* Thread A: mmap, touch, munmap: each munmap must flush the spinner's CPU too. */
static void *churn_thread(void *arg)
{
	struct probe *p = arg;
	long page = sysconf(_SC_PAGESIZE);

	pin(p->cpu[0]);
	while (atomic_load(&p->phase) == 0)
		sched_yield();
	while (atomic_load_explicit(&p->phase, memory_order_relaxed) == 1) {
		char *m = mmap(NULL, CHURN_BYTES, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			break;
		for (int i = 0; i < CHURN_TOUCH && i * page < CHURN_BYTES; i++)
			m[i * page] = (char)i;
		munmap(m, CHURN_BYTES);
		atomic_fetch_add_explicit(&p->munmaps, 1, memory_order_relaxed);
	}
	return NULL;
}

/* Thread B: stays running in the same mm on another CPU, so it is a flush target. */
static void *spin_thread(void *arg)
{
	struct probe *p = arg;

	pin(p->cpu[1]);
	while (atomic_load_explicit(&p->phase, memory_order_relaxed) != 2)
		;
	return NULL;
}

/* The first two CPUs this process may run on; false if there is only one. */
static bool two_cpus(int cpu[2])
{
	cpu_set_t set;
	int n = 0;

	cpu[0] = cpu[1] = -1;
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return false;
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			cpu[n++] = c;
	return n == 2;
}

static int run_probe(struct probe *p, double duration)
{
	struct tlb_evlist el;
	struct tlb_target target = { 0 };
	struct intr_row *before = xcalloc(1, sizeof(*before)), *after = xcalloc(1, sizeof(*after));
	pthread_t ta, tb;
	int i_send, i_shoot, rc = -1;
	uint64_t t0, t1;
	struct timespec ts;

	p->pinned = two_cpus(p->cpu);
	if (!p->pinned)
		tlb_warn("only one CPU available: the probe cannot make a remote flush");

	tlb_evlist_init(&el);
	i_send = tlb_evlist_add(&el, "tlb:tlb_flush", "reason == 4", NULL);
	i_shoot = i_send < 0 ? -1 : tlb_evlist_add(&el, "tlb:tlb_flush", "reason == 1", NULL);
	if (i_send < 0 || i_shoot < 0)
		goto out;      /* tlb_evlist_add said why, once */

	/* the threads exist before the per-thread counters are opened on every task of ours */
	if ((errno = pthread_create(&ta, NULL, churn_thread, p)) != 0)
		goto no_threads;
	if ((errno = pthread_create(&tb, NULL, spin_thread, p)) != 0) {
		atomic_store(&p->phase, 2);
		pthread_join(ta, NULL);
		goto no_threads;
	}
	target.pid = getpid();
	if (tlb_evlist_set_target(&el, &target) < 0 || tlb_evlist_open(&el) < 0) {
		atomic_store(&p->phase, 2);
		pthread_join(ta, NULL);
		pthread_join(tb, NULL);
		goto out;
	}

	tlb_evlist_enable(&el);
	p->tlb_present = interrupts_read_row(NULL, "TLB", before);
	t0 = now_ns();
	atomic_store(&p->phase, 1);
	ts.tv_sec = (time_t)duration;
	ts.tv_nsec = (long)((duration - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	atomic_store(&p->phase, 2);
	pthread_join(ta, NULL);
	t1 = now_ns();
	tlb_evlist_disable(&el);
	pthread_join(tb, NULL);
	if (p->tlb_present && interrupts_read_row(NULL, "TLB", after) && after->total >= before->total)
		p->tlb_irqs = after->total - before->total;
	else
		p->tlb_present = false;

	p->secs = ns_to_s(t1 - t0);
	for (int ci = 0; ci < el.nr_cpus; ci++) {
		p->sends += tlb_evlist_count(&el, i_send, ci);
		p->shootdowns += tlb_evlist_count(&el, i_shoot, ci);
	}
	rc = 0;
	goto out;
no_threads:
	tlb_err("cannot start the probe threads: %s", strerror(errno));
out:
	tlb_evlist_close(&el);
	free(before);
	free(after);
	return rc;
}

/* The layout's version: Documentation/json.md, schema/transport.json */
#define TRANSPORT_JSON_SCHEMA 1

/* One JSON object; "probe" only when --probe ran. */
static void print_json(const struct transport_info *ti, struct probe *p)
{
	struct json_writer w;

	json_init(&w, stdout, false);
	json_object_begin(&w, NULL);
	json_int(&w, "schema_version", TRANSPORT_JSON_SCHEMA);	/* Documentation/json.md */
	json_string(&w, "transport", transport_name(ti->transport));
	json_string(&w, "transport_evidence", ti->evidence);
	json_bool(&w, "victims_observable", transport_victims_observable(ti->transport));
	json_string(&w, "victims_note", transport_info_victims_note(ti));
	if (p) {
		json_object_begin(&w, "probe");
		json_double(&w, "duration_s", p->secs);
		json_uint(&w, "munmaps", atomic_load(&p->munmaps));
		json_uint(&w, "remote_ipi_send", p->sends);
		json_uint(&w, "remote_shootdown", p->shootdowns);
		if (p->tlb_present)
			json_uint(&w, "interrupts_tlb", p->tlb_irqs);
		else
			json_null(&w, "interrupts_tlb");
		json_object_end(&w);
	}
	json_object_end(&w);
	json_finish(&w);
}

static void print_text(const struct transport_info *ti, struct probe *p)
{
	if (p) {
		unsigned long n = atomic_load(&p->munmaps);

		printf(" probe: %lu munmaps in %.2f s (%s), %llu remote sends (reason 4), "
		       "%llu remote shootdowns (reason 1), ",
		       n, p->secs, p->pinned ? "churn and spinner on two CPUs" : "one CPU",
		       (unsigned long long)p->sends, (unsigned long long)p->shootdowns);
		if (p->tlb_present)
			printf("%llu TLB: interrupts (all CPUs)\n", (unsigned long long)p->tlb_irqs);
		else
			printf("no TLB: row in /proc/interrupts\n");
	}
	printf(" transport: %s\n", transport_name(ti->transport));
	printf(" evidence:  %s\n", ti->evidence);
	printf(" victims:   %s\n", transport_info_victims_note(ti));
}

int cmd_transport(int argc, char **argv)
{
	bool json = false, probe = false;
	uint64_t duration_ns = DUR_S;
	const struct option_def opts[] = {
		OPT_BOOLEAN(0, "json", &json, "one JSON object"),
		OPT_BOOLEAN(0, "probe", &probe,
			    "run a two-thread munmap churn and decide from what it shows (root or "
			    "CAP_PERFMON)"),
		OPT_DURATION('d', "duration", &duration_ns, DUR_S, DUR_MS, DUR_MIN,
			     "length of the probe (default 1s; 500ms, 2s; 1ms to 1m)"),
		OPT_FINISH(),
	};
	struct probe p = { .phase = 0 };
	struct transport_observation obs = { 0 };
	struct transport_info ti;

	int argi = parse_options(argc, argv, opts, transport_usage, false);

	if (argi < 0)
		return parse_options_exit(argi);

	if (probe) {
		if (run_probe(&p, (double)duration_ns / 1e9) < 0)
			return EXIT_ENV;
		obs.valid = true;
		obs.remote_sends = p.sends;
		obs.remote_shootdowns = p.shootdowns;
		obs.tlb_interrupts = p.tlb_irqs;
		obs.tlb_interrupts_valid = p.tlb_present;
	}
	transport_detect(probe ? &obs : NULL, &ti);

	if (json)
		print_json(&ti, probe ? &p : NULL);
	else
		print_text(&ti, probe ? &p : NULL);
	return EXIT_OK;
}
