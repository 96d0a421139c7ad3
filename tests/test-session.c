// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of session.c and workload.c on recorded files (tests/data, run from the source
 * root): callbacks that stop the stream and what session_run returns, one end-of-round per
 * FINISHED_ROUND, the attr handed to the callbacks, session_add_fd (a pipe whose callback stops
 * the session), and the workload object (prepare/start/poll/status/pidfd/kill).
 */
#include "session.h"
#include "event.h"
#include "perfdata.h"
#include "sample.h"
#include "workload.h"
#include "util.h"
#include "tap.h"

#include <perf/event.h>   /* PERF_RECORD_FINISHED_ROUND */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FILE_IPI "tests/data/perf-ipi.data"

struct seen {
	uint64_t events, rounds, raws;
	uint64_t stop_after;		/* event returns 7 at this event (0: never) */
	uint64_t events_at_fd;		/* events delivered when the fd callback ran */
	int attr_missing, attr_unnamed;
	int fd_calls;
};

static int on_event(void *ctx, const struct tlb_event *ev, const struct pd_attr *attr)
{
	struct seen *c = ctx;

	c->events++;
	if (!attr)
		c->attr_missing++;
	else if (!attr->name || !strchr(attr->name, ':'))
		c->attr_unnamed++;
	return c->stop_after && c->events == c->stop_after ? 7 : 0;
}

static int on_round(void *ctx)
{
	((struct seen *)ctx)->rounds++;
	return 0;
}

static int on_raw(void *ctx, const struct perf_event_header *hdr, const struct pd_attr *attr)
{
	struct seen *c = ctx;

	c->raws++;
	return hdr->type == PERF_RECORD_FINISHED_ROUND ? 99 : 0;	/* must never come */
}

/* FINISHED_ROUND records and all records of the file, read directly. */
static void count_file(const char *file, uint64_t *rounds, uint64_t *records)
{
	char err[256];
	struct pd_reader *rd = pd_open(file, err, sizeof(err));
	const struct perf_event_header *hdr;

	*rounds = *records = 0;
	while (rd && pd_next(rd, &hdr, err, sizeof(err)) > 0) {
		(*records)++;
		if (hdr->type == PERF_RECORD_FINISHED_ROUND)
			(*rounds)++;
	}
	pd_close(rd);
}

/*
 * session_event_samples: each event's SAMPLE records of the file (counted here by reading it
 * directly), each event once, none of them unknown, and no more than asked for.
 */
static void check_event_samples(struct session *s, const char *file)
{
	char err[256];
	struct pd_reader *rd = pd_open(file, err, sizeof(err));
	const struct perf_event_header *hdr;
	const struct pd_attr *attr, *seen[64];
	uint64_t want[64] = { 0 }, n, total = 0, sum = 0;
	int nr = 0, bad = 0;

	while (rd && pd_next(rd, &hdr, err, sizeof(err)) > 0) {
		const struct pd_attr *a = hdr->type == PERF_RECORD_SAMPLE ? pd_attr_of(rd, hdr) : NULL;

		if (a) {
			want[a - pd_attr(rd, 0)]++;
			total++;
		}
	}
	for (; session_event_samples(s, nr, &attr, &n) && nr < 64; nr++) {
		int k = attr ? (int)(attr - pd_attr(session_reader(s), 0)) : -1;

		if (k < 0 || k >= 64 || n != want[k] || !n)
			bad++;
		for (int j = 0; j < nr; j++)
			bad += seen[j] == attr;
		seen[nr] = attr;
		sum += n;
	}
	ok(nr >= 1 && nr <= pd_nr_attrs(session_reader(s)),
	   "%s: session_event_samples: %d events with samples", file, nr);
	is_int(bad, 0, "each event once, with the file's count of its samples");
	is_int(sum, total, "all %llu samples counted", (unsigned long long)total);
	ok(!session_event_samples(s, nr, &attr, &n) && !session_event_samples(s, -1, &attr, &n),
	   "nothing past the last, nor before the first");
	pd_close(rd);
}

static int run(const char *file, struct seen *c)
{
	struct session_ops ops = { .event = on_event, .round = on_round, .raw = on_raw };
	char err[256];
	struct session *s = session_open_file(file, err, sizeof(err));
	int r;

	if (!s) {
		printf("# %s: %s\n", file, err);
		return -100;
	}
	r = session_run(s, &ops, c, NULL, NULL, err, sizeof(err));
	session_close(s);
	return r;
}

static void test_whole_file(struct seen *all)
{
	uint64_t rounds, records;
	char msg[256];
	struct session *s;

	count_file(FILE_IPI, &rounds, &records);
	ok(rounds >= 2, "the file has %llu FINISHED_ROUND records", (unsigned long long)rounds);
	memset(all, 0, sizeof(*all));
	is_int(run(FILE_IPI, all), 0, "session_run over the whole file: 0");
	ok(all->events > 100, "%llu events", (unsigned long long)all->events);
	is_int(all->rounds, rounds + 1, "round: once per FINISHED_ROUND, once at the end");
	is_int(all->raws, records - rounds, "raw: every record but FINISHED_ROUND");
	is_int(all->attr_missing, 0, "every event comes with its attr");
	is_int(all->attr_unnamed, 0, "every attr names its event (sys:name)");
	s = session_open_file(FILE_IPI, msg, sizeof(msg));
	if (s) {
		struct session_ops none = { 0 };
		session_run(s, &none, NULL, NULL, NULL, msg, sizeof(msg));
		is_int(session_errors_message(s, msg, sizeof(msg)), 0, "a clean file: nothing to warn");
		check_event_samples(s, FILE_IPI);
		session_close(s);
	}
	s = session_open_file("tests/data/tlbstat-ipi.data", msg, sizeof(msg));	/* 7 events */
	if (s) {
		struct session_ops none = { 0 };
		session_run(s, &none, NULL, NULL, NULL, msg, sizeof(msg));
		check_event_samples(s, "tests/data/tlbstat-ipi.data");
		session_close(s);
	}
}

/*
 * A copy of the file whose first sample's RAW size points past the record: that sample cannot be
 * parsed, the rest is delivered, and session_errors_message has something to say.
 */
static void test_bad_sample(const struct seen *all)
{
	const char *copy = "test-session-bad.data";
	char err[256], cmd[512], msg[256];
	struct pd_reader *rd = pd_open(FILE_IPI, err, sizeof(err));
	const struct perf_event_header *hdr;
	uint64_t data_off = 0, off = 0, raw_at = 0;
	struct session_ops ops = { .event = on_event };
	struct seen c = { 0 };
	struct session *s;
	FILE *f = fopen(FILE_IPI, "rb");

	if (!rd || !f || fseek(f, 40, SEEK_SET) || fread(&data_off, 8, 1, f) != 1) {
		ok(0, "read %s", FILE_IPI);
		return;
	}
	fclose(f);
	off = data_off;
	while (pd_next(rd, &hdr, err, sizeof(err)) > 0) {
		const struct pd_attr *a = pd_attr_of(rd, hdr);
		struct tlb_sample smp;

		if (hdr->type == PERF_RECORD_SAMPLE && a &&
		    sample_parse(hdr, a->attr.sample_type, &smp) == 0 && smp.raw) {
			raw_at = off + (uint64_t)((const uint8_t *)smp.raw - 4 - (const uint8_t *)hdr);
			break;
		}
		off += hdr->size;
	}
	pd_close(rd);
	snprintf(cmd, sizeof(cmd), "cp %s %s", FILE_IPI, copy);
	if (!raw_at || system(cmd) != 0 || !(f = fopen(copy, "r+b"))) {
		ok(0, "a corrupt copy");
		return;
	}
	fseek(f, (long)raw_at, SEEK_SET);
	fwrite("\xff\xff\xff\x7f", 4, 1, f);
	fclose(f);
	s = session_open_file(copy, err, sizeof(err));
	ok(s != NULL, "the corrupt copy opens");
	if (s) {
		is_int(session_run(s, &ops, &c, NULL, NULL, err, sizeof(err)), 0, "and runs");
		is_int(session_bad_samples(s), 1, "one bad sample counted");
		ok(c.events + 1 >= all->events && c.events < all->events + 1,
		   "the others delivered (%llu of %llu)", (unsigned long long)c.events,
		   (unsigned long long)all->events);
		is_int(session_errors_message(s, msg, sizeof(msg)), 1, "something to warn about");
		ok(strstr(msg, "1 samples could not be decoded") != NULL, "the message: %s", msg);
		session_close(s);
	}
	unlink(copy);
}

static void test_stop_by_callback(const struct seen *all)
{
	struct seen c = { .stop_after = 10 };

	is_int(run(FILE_IPI, &c), 7, "event returning 7: session_run returns 7");
	is_int(c.events, 10, "nothing delivered after the stop");
	ok(c.rounds < all->rounds, "no round after the stop (%llu of %llu)",
	   (unsigned long long)c.rounds, (unsigned long long)all->rounds);
}

static struct seen *fd_seen;

static int on_pipe(void *ctx, int fd, short revents)
{
	char b;
	int *calls = ctx;

	(*calls)++;
	fd_seen->events_at_fd = fd_seen->events;
	if (read(fd, &b, 1) != 1)
		return -2;
	return b == 'q' ? 42 : 0;
}

static void test_add_fd(const struct seen *all)
{
	struct seen c = { 0 };
	char err[256];
	int p[2], calls = 0, r;
	struct session_ops ops = { .event = on_event, .round = on_round };
	struct session *s = session_open_file(FILE_IPI, err, sizeof(err));

	if (!s || pipe(p) < 0) {
		ok(0, "session and pipe");
		return;
	}
	fd_seen = &c;
	is_int(session_add_fd(s, p[0], POLLIN, on_pipe, &calls), 0, "session_add_fd");
	ok(write(p[1], "q", 1) == 1, "a byte in the pipe");
	r = session_run(s, &ops, &c, NULL, NULL, err, sizeof(err));
	is_int(r, 42, "the pipe's callback stops the session: session_run returns its 42");
	is_int(calls, 1, "the callback ran once");
	ok(c.events < all->events, "stopped early: %llu of %llu events",
	   (unsigned long long)c.events, (unsigned long long)all->events);
	is_int(c.events, c.events_at_fd, "nothing delivered after the fd's callback");
	session_close(s);
	close(p[0]);
	close(p[1]);
}

static void test_workload(void)
{
	struct workload w;
	char err[256];
	char *ok_argv[] = { "sh", "-c", "exit 3", NULL };
	char *sleep_argv[] = { "sleep", "10", NULL };
	char *x127_argv[] = { "sh", "-c", "exit 127", NULL };
	char *bad_argv[] = { "/nonexistent/tlbstat-test", NULL };
	struct pollfd pfd;

	workload_init(&w);
	ok(!workload_poll(&w) && workload_status(&w) == -1, "no workload: not exited, status -1");
	workload_kill(&w, SIGKILL);	/* a no-op */

	is_int(workload_prepare(&w, ok_argv, err, sizeof(err)), 0, "prepare sh -c 'exit 3'");
	ok(!workload_poll(&w), "held before workload_start");
	is_int(workload_start(&w), 0, "start");
	if (workload_fd(&w) >= 0) {
		pfd = (struct pollfd){ workload_fd(&w), POLLIN, 0 };
		is_int(poll(&pfd, 1, 5000), 1, "its pidfd becomes readable at its exit");
	}
	workload_wait(&w);
	ok(workload_poll(&w), "reaped");
	ok(WIFEXITED(workload_status(&w)) && WEXITSTATUS(workload_status(&w)) == 3, "status: exit 3");
	is_int(workload_exit_code(workload_status(&w), false), 3, "exit code 3");
	ok(!workload_exec_failed(&w), "it ran: not an exec failure");
	workload_close(&w);

	is_int(workload_prepare(&w, x127_argv, err, sizeof(err)), 0, "prepare sh -c 'exit 127'");
	workload_start(&w);
	workload_wait(&w);
	ok(!workload_exec_failed(&w), "a command that exits 127 itself is not an exec failure");
	workload_close(&w);

	is_int(workload_prepare(&w, bad_argv, err, sizeof(err)), 0, "prepare a missing command");
	workload_start(&w);
	workload_wait(&w);
	is_int(workload_exit_code(workload_status(&w), false), EXIT_FAIL, "exec failure: EXIT_FAIL");
	ok(workload_exec_failed(&w) && w.exec_errno == ENOENT, "exec failure seen, ENOENT");
	workload_close(&w);

	is_int(workload_prepare(&w, sleep_argv, err, sizeof(err)), 0, "prepare sleep 10");
	workload_start(&w);
	ok(!workload_poll(&w), "running: not exited");
	workload_kill(&w, SIGTERM);
	ok(WIFSIGNALED(workload_status(&w)) && WTERMSIG(workload_status(&w)) == SIGTERM,
	   "killed and reaped: SIGTERM");
	is_int(workload_exit_code(workload_status(&w), false), 128 + SIGTERM, "exit code 128+15");
	is_int(workload_exit_code(workload_status(&w), true), 0, "interrupted: 0");

	is_int(workload_prepare(&w, sleep_argv, err, sizeof(err)), 0, "prepare, never started");
	workload_kill(&w, SIGKILL);
	ok(workload_status(&w) != -1, "a held workload is killed and reaped");
}

int main(void)
{
	struct seen all;

	if (access(FILE_IPI, R_OK)) {
		printf("1..0 # SKIP %s not found (run from the source root)\n", FILE_IPI);
		return 0;
	}
	test_whole_file(&all);
	test_bad_sample(&all);
	test_stop_by_callback(&all);
	test_add_fd(&all);
	test_workload();
	return done_testing();
}
