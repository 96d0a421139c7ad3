// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the sample filter (lib/filter.c): report's and top's --pid/--tid/--comm/-C/--time. */
#include "event.h"
#include "filter.h"
#include "tap.h"

#include <stdint.h>
#include <string.h>

static struct tlb_event ev(uint64_t t, int cpu, pid_t pid, pid_t tid)
{
	struct tlb_event e = { .kind = EV_TLB_FLUSH, .time = t, .cpu = cpu, .pid = pid, .tid = tid };
	return e;
}

static void test_tasks(void)
{
	struct filter f = { 0 };
	char err[256];
	struct tlb_event a = ev(10, 0, 100, 101), b = ev(11, 1, 200, 200), x = ev(12, 1, 300, 300);

	ok(!filter_active(&f), "empty: inactive");
	ok(filter_match(&f, &a, NULL), "empty: everything passes");
	is_int(filter_set_pids(&f, "100,300", err, sizeof(err)), 0, "--pid 100,300");
	ok(filter_match(&f, &a, NULL) && !filter_match(&f, &b, NULL) && filter_match(&f, &x, NULL),
	   "pid list");
	is_int(filter_set_tids(&f, "200", err, sizeof(err)), 0, "--tid 200 too");
	ok(filter_match(&f, &b, NULL), "pid or tid");
	is_int(filter_set_comms(&f, "tlbbench,sh", err, sizeof(err)), 0, "--comm");
	ok(filter_wants_comm(&f), "wants comm");
	ok(filter_match(&f, &a, "sh") && !filter_match(&f, &a, "bash") && !filter_match(&f, &a, NULL),
	   "comm exact, unknown comm does not match");
	a.kind = EV_EXEC;
	ok(filter_match(&f, &a, "other"), "exec events pass: they keep names");
	is_int(filter_set_pids(&f, "1,x", err, sizeof(err)), -1, "bad pid refused");
	ok(strstr(err, "'x'") != NULL, "names it: %s", err);
	is_int(filter_set_comms(&f, "a,,b", err, sizeof(err)), -1, "empty comm refused");
	filter_free(&f);
}

static void test_cpus(void)
{
	struct filter f = { 0 };
	char err[256];
	struct tlb_event a = ev(10, 0, 1, 1), b = ev(11, 3, 1, 1), c = ev(12, 5, 1, 1);

	is_int(filter_set_cpus(&f, "3-5,0", err, sizeof(err)), 0, "-C 3-5,0");
	ok(filter_match(&f, &a, NULL) && filter_match(&f, &b, NULL) && filter_match(&f, &c, NULL),
	   "in the list");
	c.cpu = 2;
	ok(!filter_match(&f, &c, NULL), "cpu 2 is not");
	is_int(filter_set_cpus(&f, "x", err, sizeof(err)), -1, "bad list refused");
	filter_free(&f);
}

static void test_time(void)
{
	struct filter f = { 0 };
	char err[256];
	struct tlb_event e = ev(0, 0, 1, 1);
	uint64_t s, t;

	is_int(filter_set_time(&f, "100.5,101", err, sizeof(err)), 0, "--time 100.5,101");
	e.time = 100400000000ull;
	ok(!filter_match(&f, &e, NULL), "before the start");
	e.time = 100500000000ull;
	ok(filter_match(&f, &e, NULL), "at the start");
	e.time = 101000000001ull;
	ok(!filter_match(&f, &e, NULL), "after the end");
	filter_free(&f);

	is_int(filter_set_time(&f, "+1,+2.5", err, sizeof(err)), 0, "--time +1,+2.5");
	e.time = 50000000000ull;   /* the first event: the origin */
	ok(!filter_match(&f, &e, NULL), "the first event is before +1");
	e.time = 51000000000ull;
	ok(filter_match(&f, &e, NULL), "+1 s");
	e.time = 52600000000ull;
	ok(!filter_match(&f, &e, NULL), "+2.6 s: after");
	ok(filter_time_window(&f, &s, &t) && s == 51000000000ull && t == 52500000000ull, "window");
	filter_free(&f);

	is_int(filter_set_time(&f, "5,", err, sizeof(err)), 0, "open end");
	ok(filter_time_window(&f, &s, &t) && s == 5000000000ull && t == UINT64_MAX, "to the end");
	filter_free(&f);
	is_int(filter_set_time(&f, ",", err, sizeof(err)), -1, "nothing given: refused");
	is_int(filter_set_time(&f, "5", err, sizeof(err)), -1, "no comma: refused");
	is_int(filter_set_time(&f, "5,4", err, sizeof(err)), -1, "end before start: refused");
	is_int(filter_set_time(&f, "a,4", err, sizeof(err)), -1, "junk refused");
	is_int(filter_set_time(&f, "1,2,3", err, sizeof(err)), -1, "three sides refused");
	filter_free(&f);
}

int main(void)
{
	test_tasks();
	test_cpus();
	test_time();
	return done_testing();
}
