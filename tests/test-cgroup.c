// SPDX-License-Identifier: GPL-2.0
/*
 * lib/cgroup.c: container ids, pod uids and units from cgroup paths of each runtime's layout
 * (real-looking paths: systemd and cgroupfs drivers), the bounded id -> path table, perf's
 * names, the mount search in mountinfo, and a walk of this machine's hierarchy when one is there.
 */
#include "cgroup.h"
#include "expview.h"
#include "prom.h"
#include "sample.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ID64 "4f1c4c9e0a5d7b2e8a9f0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5"

static void parse(const char *path, const char *runtime, const char *container, const char *pod,
		  const char *unit)
{
	struct cgroup_info ci;

	cgroup_parse(path, &ci);
	is_str(ci.runtime, runtime, "%s: runtime", path);
	is_str(ci.container, container, "%s: container", path);
	is_str(ci.pod, pod, "%s: pod", path);
	is_str(ci.unit, unit, "%s: unit", path);
}

static void test_parse(void)
{
	/* Docker, systemd driver and cgroupfs driver */
	parse("/system.slice/docker-" ID64 ".scope", "docker", ID64, "", "docker-" ID64 ".scope");
	parse("/docker/" ID64, "docker", ID64, "", "");
	/* containerd under Kubernetes, systemd driver: the pod uid with '_' for '-' */
	parse("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
	      "7a1b2c3d_4e5f_6789_abcd_ef0123456789.slice/cri-containerd-" ID64 ".scope",
	      "containerd", ID64, "7a1b2c3d-4e5f-6789-abcd-ef0123456789", "cri-containerd-" ID64 ".scope");
	/* guaranteed QoS has no qos slice */
	parse("/kubepods.slice/kubepods-pod0c9a8b7d_6e5f_4a3b_2c1d_0e9f8a7b6c5d.slice/crio-" ID64
	      ".scope", "crio", ID64, "0c9a8b7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d", "crio-" ID64 ".scope");
	/* CRI-O's monitor is not the container */
	parse("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
	      "0c9a8b7d_6e5f_4a3b_2c1d_0e9f8a7b6c5d.slice/crio-conmon-" ID64 ".scope", "", "",
	      "0c9a8b7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d", "crio-conmon-" ID64 ".scope");
	/* Kubernetes, cgroupfs driver */
	parse("/kubepods/besteffort/pod0c9a8b7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d/" ID64, "", ID64,
	      "0c9a8b7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d", "");
	parse("/kubepods/pod0c9a8b7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d", "", "",
	      "0c9a8b7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d", "");
	/* Podman */
	parse("/machine.slice/libpod-" ID64 ".scope/container", "podman", ID64, "",
	      "libpod-" ID64 ".scope");
	/* systemd units, no container */
	parse("/system.slice/nginx.service", "", "", "", "nginx.service");
	parse("/user.slice/user-1000.slice/session-3.scope", "", "", "", "session-3.scope");
	parse("/user.slice/user-1000.slice/user@1000.service/app.slice/dbus.socket", "", "", "",
	      "dbus.socket");
	/* near misses: nothing */
	parse("/", "", "", "", "");
	parse("/docker-notanid.scope", "", "", "", "docker-notanid.scope");
	parse("/pod0c9a8b7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d/" ID64, "", "", "", "");
	parse("/kubepods/podnot-a-uid", "", "", "", "");
	parse("/tlbstat-test-1/a", "", "", "", "");
}

static void test_label(void)
{
	char buf[16], big[5000];

	is_str(cgroup_label("/a/b", buf, sizeof(buf)), "/a/b", "short path as is");
	is_str(cgroup_label("/0123456789abcdef", buf, sizeof(buf)), "...456789abcdef",
	       "long path: its end");
	is_int((int)strlen(buf), 15, "fits the room");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	is_int((int)strlen(cgroup_label(big, buf, sizeof(buf))), 15, "very long path fits");
}

static void test_table(void)
{
	struct cgtab *t = cgtab_new(4);
	char p[32];

	ok(t != NULL, "table");
	is_str(cgtab_name(t, 0), "N/A", "id 0 (no cgroup in the sample): N/A, as perf");
	is_str(cgtab_name(t, 7), "unknown", "unknown id: unknown, as perf");
	ok(cgtab_path(t, 7) == NULL, "unknown id: no path");
	for (int i = 1; i <= 4; i++) {
		snprintf(p, sizeof(p), "/c%d", i);
		is_int(cgtab_add(t, (uint64_t)i << 40 | 5, p), 0, "add %s", p);
	}
	is_str(cgtab_path(t, 3ULL << 40 | 5), "/c3", "lookup");
	is_int(cgtab_add(t, 3ULL << 40 | 5, "/renamed"), 0, "known id");
	is_str(cgtab_path(t, 3ULL << 40 | 5), "/renamed", "a known id takes the new path");
	is_int(cgtab_count(t), 4, "no new entry for a known id");
	is_int(cgtab_add(t, 99, "/new"), 0, "add to a full table");
	is_int(cgtab_count(t), 4, "bounded");
	ok(cgtab_path(t, 1ULL << 40 | 5) == NULL, "the oldest went");
	is_str(cgtab_path(t, 99), "/new", "the new one is there");
	is_str(cgtab_path(t, 2ULL << 40 | 5), "/c2", "the others stay");
	is_int((int)cgtab_evicted(t), 1, "evictions counted");
	for (int i = 0; i < 100; i++) {
		snprintf(p, sizeof(p), "/many%d", i);
		cgtab_add(t, 1000 + (uint64_t)i, p);
	}
	is_int(cgtab_count(t), 4, "still bounded after 100 more");
	is_str(cgtab_path(t, 1099), "/many99", "newest kept");
	cgtab_free(t);
}

static void test_mount(void)
{
	char path[] = "/tmp/test-cgroup-XXXXXX", buf[256], err[256];
	int fd = mkstemp(path);
	const char *v2 =
		"22 1 0:20 / /sys rw - sysfs sysfs rw\n"
		"30 22 0:26 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
		"31 22 0:27 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n";
	const char *v1 =
		"30 22 0:26 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw\n"
		"32 22 0:28 / /sys/fs/cgroup/perf\\040event rw - cgroup cgroup rw,perf_event\n";
	const char *none = "22 1 0:20 / /sys rw - sysfs sysfs rw\n";
	FILE *f;

	ok(fd >= 0, "temp file");
	close(fd);
	f = fopen(path, "w");
	fputs(v2, f);
	fclose(f);
	is_int(cgroup_mount(path, buf, sizeof(buf), err, sizeof(err)), 0, "cgroup2 found");
	is_str(buf, "/sys/fs/cgroup/unified", "the cgroup2 mount (hybrid layout)");
	f = fopen(path, "w");
	fputs(v1, f);
	fclose(f);
	is_int(cgroup_mount(path, buf, sizeof(buf), err, sizeof(err)), 0, "v1 perf_event found");
	is_str(buf, "/sys/fs/cgroup/perf event", "a v1 perf_event hierarchy first, as perf; "
	       "escapes undone");
	f = fopen(path, "w");
	fputs(none, f);
	fclose(f);
	ok(cgroup_mount(path, buf, sizeof(buf), err, sizeof(err)) < 0, "none mounted: error");
	ok(strstr(err, "cgroup2") != NULL, "the error names cgroup2: %s", err);
	unlink(path);
}

struct seen {
	int n;
	bool root;
	uint64_t root_id;
};

static int on_cgroup(void *ctx, uint64_t id, const char *path)
{
	struct seen *s = ctx;

	if (s->n++ == 0) {
		s->root = !strcmp(path, "/");
		s->root_id = id;
	}
	return s->n >= 50;	/* enough: stop early (the walk returns it) */
}

static void test_walk(void)
{
	char mnt[4096], err[256];
	struct seen s = { 0 };
	uint64_t id;
	int rc;

	if (cgroup_mount(NULL, mnt, sizeof(mnt), err, sizeof(err)) < 0) {
		printf("ok %d - # SKIP no cgroup hierarchy here: %s\n", ++tap_n, err);
		return;
	}
	rc = cgroup_walk(mnt, on_cgroup, &s, err, sizeof(err));
	ok(rc == 0 || rc == 1, "walk of %s: %d %s", mnt, rc, rc < 0 ? err : "");
	ok(s.root, "the root comes first as /");
	rc = cgroup_id_of(mnt, &id);
	ok(rc == 0 && id == s.root_id && id != 0, "root id %llu from name_to_handle_at",
	   rc == 0 ? (unsigned long long)id : 0ULL);
}

/* PERF_SAMPLE_CGROUP after RAW (and after fixed-size fields), as the kernel lays it out */
static void test_sample(void)
{
	uint64_t rec[16] = { 0 };
	struct perf_event_header *h = (void *)rec;
	struct tlb_sample s;
	uint32_t raw_size = 12;	/* 4 + 12 = 16: aligned */
	uint64_t st = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_RAW | PERF_SAMPLE_CGROUP;

	h->type = PERF_RECORD_SAMPLE;
	rec[1] = 7 | (uint64_t)8 << 32;	/* pid, tid */
	rec[2] = 1000;			/* time */
	memcpy(&rec[3], &raw_size, 4);	/* raw: size, 12 bytes */
	rec[5] = 0x123456789ULL;	/* cgroup */
	h->size = 6 * 8;
	is_int(sample_parse(h, st, &s), 0, "sample with RAW and CGROUP");
	ok(s.cgroup == 0x123456789ULL && s.raw_size == 12 && s.time == 1000, "cgroup after the raw data");
	rec[5] = 0xabcdef;		/* WEIGHT */
	rec[6] = 42;			/* PHYS_ADDR */
	rec[7] = 0x99;			/* cgroup */
	h->size = 8 * 8;
	is_int(sample_parse(h, st | PERF_SAMPLE_WEIGHT | PERF_SAMPLE_PHYS_ADDR, &s), 0,
	       "with WEIGHT and PHYS_ADDR between");
	ok(s.cgroup == 0x99, "cgroup after the fixed-size fields");
	h->size = 7 * 8;
	ok(sample_parse(h, st | PERF_SAMPLE_WEIGHT | PERF_SAMPLE_PHYS_ADDR, &s) < 0,
	   "a record too short for its cgroup: -1");
	h->size = 8 * 8;
	is_int(sample_parse(h, st | PERF_SAMPLE_REGS_USER, &s), 0,
	       "REGS_USER (sized by the attr) in between");
	ok(s.cgroup == 0, "... the cgroup is then unknown (0), never misread");
	h->size = 5 * 8;
	is_int(sample_parse(h, st & ~(uint64_t)PERF_SAMPLE_CGROUP, &s), 0, "without CGROUP");
	ok(s.cgroup == 0, "cgroup 0 when the sample has none");
}

static struct count_counts cc(uint64_t events)
{
	struct count_counts c = { 0 };

	c.events = events;
	c.reasons[0] = events;
	return c;
}

/* expview by cgroup (exporter --by cgroup): series keyed by label, K + other, labels */
static void test_expview(void)
{
	struct expv *x = expv_new_by(1, 2, 4096, EXPV_BY_CGROUP);
	struct count_counts a = cc(100), b = cc(40), node = cc(150);
	struct expv_row rows[2] = {
		{ 0, NULL, &a, "/kubepods.slice/kubepods-pod7a1b2c3d_4e5f_6789_abcd_ef0123456789.slice/"
			      "cri-containerd-" ID64 ".scope", ID64, "7a1b2c3d-4e5f-6789-abcd-ef0123456789" },
		{ 0, NULL, &b, "/system.slice/nginx.service", NULL, NULL },
	};
	struct prom_buf pb;
	struct expv_info info = { "ipi", true };

	ok(x != NULL, "expv_new_by cgroup");
	expv_interval(x, rows, 2, &node, 0, 1.0, true);
	expv_interval(x, rows, 2, &node, 0, 1.0, true);
	is_int(x->nr, 1, "K = 1: one cgroup series after two intervals in the top K");
	expv_interval(x, rows, 2, &node, 0, 1.0, true);
	is_int((int)x->series[0].total.events, 100, "it grows by its interval");
	is_int((int)(x->series[0].total.events + x->other.total.events), 450, "series + other = node");
	prom_init(&pb);
	is_int(expv_write(x, &info, &pb), 0, "metrics written");
	ok(strstr(pb.p, "tlb_invalidations_total{cgroup=\"/kubepods.slice/") &&
	   strstr(pb.p, "\",container=\"" ID64 "\",pod=\"7a1b2c3d-4e5f-6789-abcd-ef0123456789\"} 100\n"),
	   "cgroup, container and pod labels");
	ok(strstr(pb.p, "tlb_invalidations_total{cgroup=\"other\"} 350\n") != NULL,
	   "the rest in cgroup=\"other\"");
	ok(!strstr(pb.p, "pid=\""), "no pid label by cgroup");
	ok(strstr(pb.p, "by cgroup") != NULL, "HELP says by cgroup");
	prom_free(&pb);
	/* the second cgroup takes over: the first leaves its series frozen, never backwards */
	rows[0].c = &b;
	rows[1].c = &a;
	{
		struct expv_row swap = rows[0];

		rows[0] = rows[1];
		rows[1] = swap;
	}
	for (int i = 0; i < 2 + EXPV_LINGER; i++)
		expv_interval(x, rows, 2, &node, 0, 1.0, true);
	is_int(x->nr, 1, "still at most K series");
	is_str(x->series[0].cgroup, "/system.slice/nginx.service", "the new leader has the series");
	ok(x->series[0].container[0] == 0 && x->series[0].pod[0] == 0, "no container, no pod");
	expv_free(x);
}

int main(void)
{
	test_sample();
	test_expview();
	test_parse();
	test_label();
	test_table();
	test_mount();
	test_walk();
	return done_testing();
}
