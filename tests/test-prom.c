// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus text writer (prom.h: names, escaping, special values, histograms) and the
 * exporter's series (expview.h: top K + other, counters that never go backwards per series,
 * the sum of increases equal to the node's while processes enter and leave the top K).
 */
#include "expview.h"
#include "prom.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_writer(void)
{
	struct prom_buf b;
	struct prom_label l[2] = { { "comm", "a\"b\\c\nd" }, { "pid", "7" } };
	double bounds[2] = { 1, 2 };
	uint64_t counts[3] = { 1, 2, 3 };

	prom_init(&b);
	is_int(prom_family(&b, "x_total", PROM_COUNTER, "help with \\ and\nnewline"), 0, "family");
	is_str(b.p, "# HELP x_total help with \\\\ and\\nnewline\n# TYPE x_total counter\n",
	       "HELP escapes backslash and newline");
	prom_free(&b);
	is_int(prom_sample_u64(&b, "x_total", l, 2, 42), 0, "sample");
	is_str(b.p, "x_total{comm=\"a\\\"b\\\\c\\nd\",pid=\"7\"} 42\n",
	       "label values escape quote, backslash, newline");
	prom_free(&b);
	prom_sample(&b, "g", NULL, 0, NAN);
	prom_sample(&b, "g", NULL, 0, INFINITY);
	prom_sample(&b, "g", NULL, 0, -INFINITY);
	prom_sample(&b, "g", NULL, 0, 0.5);
	is_str(b.p, "g NaN\ng +Inf\ng -Inf\ng 0.5\n", "NaN, +Inf, -Inf, decimals");
	is_int(b.series, 4, "series counted");
	prom_free(&b);
	ok(prom_family(&b, "1bad", PROM_GAUGE, "h") < 0, "metric name may not start with a digit");
	ok(prom_family(&b, "bad-name", PROM_GAUGE, "h") < 0, "metric name: no dashes");
	ok(prom_valid_metric_name("a:b_c9"), "colons allowed in metric names");
	ok(!prom_valid_label_name("a:b"), "no colons in label names");
	ok(!prom_valid_label_name("__x"), "label names starting __ are reserved");
	ok(prom_sample(&b, "g", (struct prom_label[]){ { "le-x", "1" } }, 1, 1) < 0,
	   "bad label name refused");
	prom_free(&b);
	prom_histogram(&b, "h", bounds, 2, counts, 9.5);
	is_str(b.p, "h_bucket{le=\"1\"} 1\nh_bucket{le=\"2\"} 3\nh_bucket{le=\"+Inf\"} 6\n"
	       "h_sum 9.5\nh_count 6\n", "histogram buckets are cumulative, +Inf = count");
	prom_free(&b);
}

/* A process of an interval with n invalidations (remote sends: n / 2). */
static struct count_counts cc(uint64_t n)
{
	struct count_counts c = { 0 };

	c.events = n;
	c.reasons[TLB_REASON_LOCAL_MM_SHOOTDOWN] = n - n / 2;
	c.reasons[TLB_REASON_REMOTE_SEND_IPI] = n / 2;
	c.remote_sends = n / 2;
	c.pages = n - n / 2;
	return c;
}

static uint64_t series_events(const struct expv *x, pid_t pid)
{
	for (int i = 0; i < x->nr; i++)
		if (x->series[i].pid == pid)
			return x->series[i].total.events;
	return UINT64_MAX;
}

/*
 * K = 2: A and B lead, then C overtakes B, then C leaves. A process gets a series after two
 * intervals in the top K, starting at 0; a leaver's series stays where it was; other only grows;
 * and the increases of all series (gone ones included) sum to the node's.
 */
static void test_series(void)
{
	struct expv *x = expv_new(2, 4, 4096);
	struct count_counts a = cc(100), b = cc(50), c = cc(10), node = cc(160);
	struct expv_row rows[3] = { { 1, "a", &a }, { 2, "b", &b }, { 3, "c", &c } };

	ok(x != NULL, "expv_new");
	expv_interval(x, rows, 3, &node, 0, 1.0, true);
	is_int(x->nr, 0, "interval 1: no series yet (one interval in the top K is not enough)");
	is_int(x->other.total.events, 160, "... everything went to other");
	ok(x->other.rate == 160, "other's rate: the whole node");

	c = cc(200);
	rows[0] = (struct expv_row){ 3, "c", &c };
	rows[1] = (struct expv_row){ 1, "a", &a };
	rows[2] = (struct expv_row){ 2, "b", &b };
	node = cc(350);
	expv_interval(x, rows, 3, &node, 5, 1.0, true);
	is_int(x->nr, 1, "interval 2: a, in the top K twice, gets a series");
	is_int(series_events(x, 1), 0, "a new series starts at 0");
	ok(series_events(x, 3) == UINT64_MAX, "c, first time in the top K: no series");
	is_int(x->other.total.events, 510, "other got the whole interval");
	ok(x->series[0].rate == 100 && x->other.rate == 250, "rates: a 100/s, other 250/s");
	is_int(x->lost, 5, "lost events summed");

	node = cc(300);
	expv_interval(x, rows, 2, &node, 0, 1.0, true);
	is_int(x->nr, 2, "interval 3: c and a");
	is_int(series_events(x, 3), 0, "c starts at 0");
	is_int(series_events(x, 1), 100, "a stays: its interval");
	is_int(x->other.total.events, 710, "other: c's first interval of its series");

	rows[0] = (struct expv_row){ 1, "a", &a };
	rows[1] = (struct expv_row){ 2, "b", &b };
	node = cc(150);
	expv_interval(x, rows, 2, &node, 0, 1.0, true);
	is_int(series_events(x, 1), 200, "interval 4: a grows");
	ok(series_events(x, 3) == UINT64_MAX, "c left the top K: no series (stale at 0)");
	ok(series_events(x, 2) == UINT64_MAX, "b: first time in the top K");
	is_int(x->other.total.events, 760, "other grows by b's interval only");
	is_int(x->node.events, 960, "node counts every interval");
	is_int(200 + 0 + 760, x->node.events, "a + c (frozen at 0) + other = node");

	node = cc(0);
	expv_interval(x, NULL, 0, &node, 0, 1.0, true);
	is_int(x->nr, 1, "an idle interval: a lingers (c, never above 0, does not)");
	is_int(series_events(x, 1), 200, "... frozen");
	for (int i = 0; i < EXPV_LINGER; i++)
		expv_interval(x, NULL, 0, &node, 0, 1.0, true);
	is_int(x->nr, 0, "after EXPV_LINGER more: no process series");
	is_int(x->other.total.events, 760, "other never goes backwards");
	is_int(x->node_health, HEALTH_GREEN, "idle node is green");
	expv_free(x);
}

/* A new series stays at 0 until a scrape saw it there. */
static void test_unseen(void)
{
	struct expv *x = expv_new(1, 1, 4096);
	struct count_counts a = cc(10), node = cc(10);
	struct expv_row row = { 9, "p", &a };

	expv_interval(x, &row, 1, &node, 0, 1.0, true);      /* candidate */
	expv_interval(x, &row, 1, &node, 0, 1.0, true);      /* series at 0 */
	expv_interval(x, &row, 1, &node, 0, 1.0, false);     /* nobody saw the 0 */
	is_int(series_events(x, 9), 0, "unseen new series: still 0");
	is_int(x->other.total.events, 30, "... its counts went to other");
	expv_interval(x, &row, 1, &node, 0, 1.0, true);
	expv_interval(x, &row, 1, &node, 0, 1.0, false);     /* counting now: unseen pages no matter */
	is_int(series_events(x, 9), 20, "seen at 0: it counts from the next interval on");
	is_int(x->other.total.events, 30, "other stops growing");
	expv_free(x);
}

/* A leaver stays, frozen, EXPV_LINGER intervals and until a scrape saw its last value. */
static void test_leaver(void)
{
	struct expv *x = expv_new(1, 1, 4096);
	struct count_counts a = cc(10), b = cc(20), node = cc(10), node2 = cc(30);
	struct expv_row ra = { 1, "a", &a }, rows[2] = { { 2, "b", &b }, { 1, "a", &a } };

	for (int i = 0; i < 3; i++)
		expv_interval(x, &ra, 1, &node, 0, 1.0, true);   /* candidate, 0, 10 */
	is_int(series_events(x, 1), 10, "a counts");
	expv_interval(x, rows, 2, &node2, 0, 1.0, false);      /* b overtakes; 10 not seen */
	is_int(series_events(x, 1), 10, "unseen leaver stays, frozen");
	is_int(x->nr, 1, "... in the one slot (b waits)");
	is_int(x->other.total.events, 20 + 30, "its new counts went to other");
	for (int i = 1; i < EXPV_LINGER; i++)
		expv_interval(x, rows, 2, &node2, 0, 1.0, true);
	is_int(series_events(x, 1), 10, "a lingers EXPV_LINGER intervals");
	expv_interval(x, rows, 2, &node2, 0, 1.0, true);
	ok(series_events(x, 1) == UINT64_MAX && series_events(x, 2) == 0,
	   "then a leaves and b (waiting in the top K) enters at 0");
	expv_free(x);
}

static void test_metrics(void)
{
	struct expv *x = expv_new(1, 2, 4096);
	/* health rates reasons 2 + 3 per core (count.h): 5,000/s over 2 cpus is red, 6,500 too */
	struct count_counts a = cc(10000), node = cc(13000);
	struct expv_row rows[1] = { { 42, "we\"ird", &a } };
	struct expv_info info = { "hypervisor", false };
	struct prom_buf b;

	for (int i = 0; i < 3; i++)        /* candidate, series at 0, its interval */
		expv_interval(x, rows, 1, &node, 0, 1.0, true);
	expv_request(x, 1);
	expv_request(x, 3);
	expv_request(x, 1000);
	prom_init(&b);
	is_int(expv_write(x, &info, &b), 0, "expv_write");
	ok(strstr(b.p, "tlb_node_invalidations_total{reason=\"remote_ipi_send\"} 19500\n") != NULL,
	   "node totals by reason (3 x 6500)");
	ok(strstr(b.p, "tlb_invalidations_total{pid=\"42\",comm=\"we\\\"ird\"} 10000\n") != NULL,
	   "per-process counter, escaped comm");
	ok(strstr(b.p, "tlb_invalidations_total{pid=\"other\",comm=\"other\"} 29000\n") != NULL,
	   "other: the first two intervals and 3000 of the third");
	ok(strstr(b.p, "tlb_bytes_invalidated_total{pid=\"42\",comm=\"we\\\"ird\"} 20480000\n") != NULL,
	   "bytes in bytes (5000 pages x 4096)");
	ok(strstr(b.p, "tlb_health_score{pid=\"42\",comm=\"we\\\"ird\"} 2\n") != NULL,
	   "5000 address-space flushes/s over 2 cpus is red (2)");
	ok(strstr(b.p, "tlb_node_health{state=\"red\"} 1\n") != NULL, "node health state set");
	ok(strstr(b.p, "tlb_transport_info{transport=\"hypervisor\"} 1\n") != NULL, "transport info");
	ok(!strstr(b.p, "tlb_node_victim"), "no victim family where the transport hides victims");
	ok(strstr(b.p, "tlb_remote_flush_fanout_cpus_bucket{le=\"1\"} 1\n") &&
	   strstr(b.p, "tlb_remote_flush_fanout_cpus_bucket{le=\"4\"} 2\n") &&
	   strstr(b.p, "tlb_remote_flush_fanout_cpus_bucket{le=\"+Inf\"} 3\n") &&
	   strstr(b.p, "tlb_remote_flush_fanout_cpus_count 3\n"), "fan-out histogram");
	/* every sample's family has HELP and TYPE before it */
	{
		char *save, *line, *text = strdup(b.p);
		bool all = true;

		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char fam[128], help[160];
			size_t n = strcspn(line, "{ ");

			if (line[0] == '#')
				continue;
			snprintf(fam, sizeof(fam), "%.*s", (int)n, line);
			for (const char *suf = "_bucket"; suf; suf = NULL) {
				size_t fl = strlen(fam), sl = strlen(suf);

				if (fl > sl && !strcmp(fam + fl - sl, suf))
					fam[fl - sl] = 0;
			}
			if (strstr(fam, "fanout_cpus_sum") || strstr(fam, "fanout_cpus_count"))
				fam[strlen("tlb_remote_flush_fanout_cpus")] = 0;
			snprintf(help, sizeof(help), "# TYPE %s ", fam);
			if (!strstr(b.p, help)) {
				all = false;
				printf("# no TYPE for %s\n", fam);
			}
		}
		free(text);
		ok(all, "every sample has a TYPE line for its family");
	}
	prom_free(&b);
	expv_free(x);
}

int main(void)
{
	test_writer();
	test_series();
	test_unseen();
	test_leaver();
	test_metrics();
	return done_testing();
}
