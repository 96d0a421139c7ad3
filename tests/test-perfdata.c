// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of perfdata.c: a writer -> reader round trip in a temp file (two tracepoint attrs
 * with ids, records, rounds, the tlbstat note, features), the tracing data decoded back through a
 * session, truncated and corrupted copies (one clear error line, never a crash), and the files a
 * killed `tlbstat record` leaves (header data size 0; header refreshed once a second, then more
 * data; no feature sections): read up to the last complete record with pd_truncated().
 * pd_create reads the event formats from tracefs (root): without it those points are skipped.
 */
#include "event.h"
#include "perfdata.h"
#include "synthesize.h"
#include "tracing-data.h"
#include "sample.h"
#include "session.h"
#include "tap.h"
#include "tracefs.h"
#include "util.h"

#include <event-parse.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define ST (PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | \
	    PERF_SAMPLE_PERIOD | PERF_SAMPLE_RAW)

static char dir[] = "/tmp/test-perfdata.XXXXXX";
static int tlb_id = -1, exec_id = -1;
static int tlb_reason_off = 8, tlb_pages_off = 16;
static const uint64_t ids_tlb[] = { 101, 102 }, ids_exec[] = { 201, 202 };

/* dir/name, malloc'd; every one is freed by free_paths() at the end (LeakSanitizer) */
static char *paths[256];
static size_t nr_paths;

static char *path(const char *name)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);
	sprintf(p, "%s/%s", dir, name);
	if (nr_paths < sizeof(paths) / sizeof(paths[0]))
		paths[nr_paths++] = p;
	return p;
}

static void free_paths(void)
{
	while (nr_paths)
		free(paths[--nr_paths]);
}

static int copy_file(const char *from, const char *to, long long len)
{
	size_t n;
	char *s = read_file(from, &n);
	int fd, rc;
	if (!s)
		return -1;
	if (len < 0 || (size_t)len > n)
		len = (long long)n;
	fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	rc = fd < 0 ? -1 : pwrite_all(fd, s, (size_t)len, 0);
	if (fd >= 0)
		close(fd);
	free(s);
	return rc;
}

/* the data section's offset, from a file's header (after tlbstat's early features) */
static uint64_t data_offset(const char *p)
{
	uint64_t off = 0;
	int fd = open(p, O_RDONLY);
	if (fd < 0 || pread(fd, &off, 8, 40) != 8)
		off = 0;
	if (fd >= 0)
		close(fd);
	return off;
}

static long long file_size(const char *p)
{
	struct stat st;
	return stat(p, &st) ? -1 : (long long)st.st_size;
}

/* ---- records, in the kernel's layout for sample_type ST, sample_id_all ---- */
struct sample_rec {
	struct perf_event_header h;
	uint64_t id, tid, time, cpu, period;
	uint32_t raw_size;
	uint8_t raw[28];	/* tlb_flush: 24 bytes, padded so that 4 + size is a multiple of 8 */
};

static struct sample_rec tlb_sample(uint64_t id, uint32_t pid, uint64_t time, int reason, uint64_t pages)
{
	struct sample_rec r;
	uint16_t type = (uint16_t)tlb_id;
	memset(&r, 0, sizeof(r));
	r.h = (struct perf_event_header){ PERF_RECORD_SAMPLE, PERF_RECORD_MISC_KERNEL, sizeof(r) };
	r.id = id;
	r.tid = pid | (uint64_t)pid << 32;
	r.time = time;
	r.cpu = 1;
	r.period = 1;
	r.raw_size = sizeof(r.raw);
	memcpy(r.raw, &type, 2);
	memcpy(r.raw + 4, &pid, 4);
	memcpy(r.raw + tlb_reason_off, &reason, 4);
	memcpy(r.raw + tlb_pages_off, &pages, 8);
	return r;
}

struct comm_rec {
	struct perf_event_header h;
	uint32_t pid, tid;
	char comm[16];
	uint64_t tid2, time, cpu, id;	/* sample_id_all trailer: TID TIME CPU IDENTIFIER */
};

static struct comm_rec comm_record(uint32_t pid, const char *comm, uint64_t id)
{
	struct comm_rec r;
	memset(&r, 0, sizeof(r));
	r.h = (struct perf_event_header){ PERF_RECORD_COMM, 0, sizeof(r) };
	r.pid = r.tid = pid;
	snprintf(r.comm, sizeof(r.comm), "%s", comm);
	r.tid2 = pid | (uint64_t)pid << 32;
	r.id = id;
	return r;
}

struct lost_rec {
	struct perf_event_header h;
	uint64_t id, lost;
	uint64_t tid, time, cpu, id2;
};

static struct perf_event_attr tp_attr(int config)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_TRACEPOINT;
	a.size = sizeof(a);
	a.config = (uint64_t)config;
	a.sample_period = 1;
	a.sample_type = ST;
	a.sample_id_all = 1;
	return a;
}

static struct perf_event_attr attr_tlb, attr_exec;
static char *argv_rec[] = { "tlbstat", "record", "-o", "x.data", NULL };

static struct pd_writer *create(const char *p)
{
	struct pd_writer_attr wa[2] = {
		{ &attr_tlb, ids_tlb, 2, "tlb:tlb_flush" },
		{ &attr_exec, ids_exec, 2, "sched:sched_process_exec" },
	};
	char err[512];
	struct pd_writer *w = pd_create(p, wa, 2, 4, argv_rec, NULL, err, sizeof(err));
	if (!w)
		printf("# pd_create: %s\n", err);
	return w;
}

/* ---- the round trip ---- */
struct expect {
	uint32_t type;
	uint16_t size;
	int attr;	/* index pd_attr_of should give; -1: none */
};

static struct expect exp_recs[32];
static int nr_exp;

static void wr(struct pd_writer *w, const void *rec, int attr)
{
	const struct perf_event_header *h = rec;
	if (pd_write(w, rec, h->size) < 0)
		printf("# pd_write failed\n");
	exp_recs[nr_exp++] = (struct expect){ h->type, h->size, attr };
}

static void round_(struct pd_writer *w)
{
	pd_finish_round(w);
	exp_recs[nr_exp++] = (struct expect){ PERF_RECORD_FINISHED_ROUND, 8, -1 };
}

struct counts {
	uint64_t flushes, reasons[8], pages, comms, lost;
	char comm[17];
};

static int on_event(void *ctx, const struct tlb_event *ev, const struct pd_attr *attr)
{
	struct counts *c = ctx;
	if (ev->kind != EV_TLB_FLUSH)
		return 0;
	c->flushes++;
	if (ev->reason >= 0 && ev->reason < 8)
		c->reasons[ev->reason]++;
	c->pages += (uint64_t)ev->pages;
	return 0;
}

static int on_lost(void *ctx, uint64_t nr)
{
	((struct counts *)ctx)->lost += nr;
	return 0;
}

static int on_comm(void *ctx, pid_t pid, pid_t tid, const char *comm, uint64_t time)
{
	struct counts *c = ctx;
	c->comms++;
	snprintf(c->comm, sizeof(c->comm), "%s", comm);
	return 0;
}

static void test_round_trip(void)
{
	struct pd_writer *w = create(path("rt.data"));
	struct pd_reader *r;
	struct sample_rec s;
	struct comm_rec c;
	struct lost_rec l;
	char err[512] = "";
	const struct perf_event_header *h;
	uint64_t data_bytes;
	struct utsname u;
	int i, n, bad;

	ok(w != NULL, "pd_create with two tracepoint attrs");
	if (!w)
		return;
	c = comm_record(4000, "churner", 201);
	wr(w, &c, 1);
	s = tlb_sample(101, 4000, 1000, 3, 1);
	wr(w, &s, 0);
	s = tlb_sample(102, 4000, 1001, 4, 1);
	wr(w, &s, 0);
	s = tlb_sample(202, 4000, 1002, 3, 2);	/* a tlb payload under the exec attr's id */
	wr(w, &s, 1);
	round_(w);
	s = tlb_sample(999, 4000, 1003, 3, 1);	/* an id no attr has */
	wr(w, &s, -1);
	memset(&l, 0, sizeof(l));
	l.h = (struct perf_event_header){ PERF_RECORD_LOST, 0, sizeof(l) };
	l.id = l.id2 = 102;
	l.lost = 17;
	wr(w, &l, 0);
	s = tlb_sample(101, 4000, 1004, 4, 1);
	wr(w, &s, 0);
	round_(w);
	{	/* LOST_SAMPLES as perf record writes them at the end: the same 17 drops, then 3 more */
		struct {
			struct perf_event_header h;
			uint64_t lost, tid, time, cpu, id;
		} ls;
		memset(&ls, 0, sizeof(ls));
		ls.h = (struct perf_event_header){ PERF_RECORD_LOST_SAMPLES, 0, sizeof(ls) };
		ls.id = 102;
		ls.lost = 17;
		wr(w, &ls, 0);
		ls.id = 101;
		ls.lost = 3;
		wr(w, &ls, 0);
	}
	round_(w);
	data_bytes = pd_bytes_written(w);
	pd_set_note(w, "transport=hypervisor\nevidence=unit test\n");
	is_int(pd_finish(w), 0, "pd_finish");

	r = pd_open(path("rt.data"), err, sizeof(err));
	ok(r != NULL, "pd_open reads it back (%s)", err);
	if (!r)
		return;
	is_int(pd_nr_attrs(r), 2, "two attrs");
	is_int(pd_attr(r, 0)->attr.sample_type, ST, "attr 0 sample_type");
	is_int(pd_attr(r, 0)->attr.config, tlb_id, "attr 0 config (tracepoint id)");
	is_int(pd_attr(r, 1)->attr.config, exec_id, "attr 1 config");
	ok(pd_attr(r, 0)->attr.sample_id_all, "attr 0 sample_id_all");
	is_int(pd_attr(r, 0)->nr_ids, 2, "attr 0: two ids");
	ok(pd_attr(r, 0)->ids[0] == 101 && pd_attr(r, 0)->ids[1] == 102, "attr 0 ids 101, 102");
	ok(pd_attr(r, 1)->nr_ids == 2 && pd_attr(r, 1)->ids[0] == 201 && pd_attr(r, 1)->ids[1] == 202,
	   "attr 1 ids 201, 202");
	is_str(pd_attr(r, 0)->name, "tlb:tlb_flush", "EVENT_DESC names attr 0");
	is_str(pd_attr(r, 1)->name, "sched:sched_process_exec", "EVENT_DESC names attr 1");
	ok(!pd_truncated(r), "a finished file is not truncated");
	ok(data_offset(path("rt.data")) % 4096 == 0 && data_offset(path("rt.data")) > 4096,
	   "data offset %llu: 4 KiB aligned, after the early features",
	   (unsigned long long)data_offset(path("rt.data")));
	is_int(pd_data_size(r), (long long)(data_bytes - data_offset(path("rt.data"))),
	       "data size = bytes written after the data offset");

	uname(&u);
	is_str(pd_feature_string(r, HEADER_HOSTNAME), u.nodename, "HOSTNAME");
	is_str(pd_feature_string(r, HEADER_OSRELEASE), u.release, "OSRELEASE");
	is_str(pd_feature_string(r, HEADER_ARCH), u.machine, "ARCH");
	ok(pd_feature_string(r, HEADER_VERSION) &&
	   !strncmp(pd_feature_string(r, HEADER_VERSION), "tlbstat ", 8), "VERSION says tlbstat");
	{
		uint32_t on = 0, av = 0;
		ok(pd_nr_cpus(r, &on, &av) && on == (uint32_t)sysconf(_SC_NPROCESSORS_ONLN) &&
		   av == (uint32_t)sysconf(_SC_NPROCESSORS_CONF), "NRCPUS online %u avail %u", on, av);
	}
	is_str(pd_cmdline(r), "tlbstat record -o x.data", "CMDLINE joined");
	ok(pd_has_feature(r, HEADER_TOTAL_MEM), "TOTAL_MEM present");
	ok(!pd_has_feature(r, HEADER_CLOCKID), "CLOCKID absent (attr has no use_clockid)");
	ok(!pd_has_feature(r, HEADER_BUILD_ID), "BUILD_ID absent");
	{
		size_t len = 0;
		const uint8_t *td = pd_tracing_data(r, &len);
		ok(td && len > 100 && !memcmp(td, "\x17\x08\x44tracing0.6", 14),
		   "TRACING_DATA present, magic and version 0.6 (%zu bytes)", len);
		ok(td && memmem(td, len, "name: tlb_flush", 15) &&
		   memmem(td, len, "name: sched_process_exec", 24), "TRACING_DATA has both formats");
		if (td) {
			struct tep_handle *tep = tdata_read(td, len, NULL, err, sizeof(err));
			ok(tep && tep_find_event_by_name(tep, "tlb", "tlb_flush") &&
			   tep_find_event_by_name(tep, "sched", "sched_process_exec"),
			   "TRACING_DATA parses back into both events (%s)", tep ? "ok" : err);
			if (tep)
				tep_free(tep);
		}
	}
	{
		size_t len = 0;
		const uint8_t *note = pd_feature_blob(r, HEADER_TLBSTAT, &len);
		uint32_t slen = 0;
		if (note && len >= 4)
			memcpy(&slen, note, 4);
		ok(note && slen % 64 == 0 && slen + 4 == len &&
		   !strcmp((const char *)note + 4, "transport=hypervisor\nevidence=unit test\n"),
		   "HEADER_TLBSTAT (bit 200) holds the note as a perf string");
	}
	{	/* the bitmap: exactly the features written, bit 200 among them */
		uint64_t bits[4];
		int fd = open(path("rt.data"), O_RDONLY);
		ok(fd >= 0 && pread(fd, bits, 32, 72) == 32 && bits[3] == (1ULL << (200 - 192)) &&
		   bits[1] == 0 && bits[2] == 0 &&
		   bits[0] == ((1ULL << HEADER_TRACING_DATA) | (1ULL << HEADER_HOSTNAME) |
			       (1ULL << HEADER_OSRELEASE) | (1ULL << HEADER_VERSION) |
			       (1ULL << HEADER_ARCH) | (1ULL << HEADER_NRCPUS) |
			       (1ULL << HEADER_TOTAL_MEM) | (1ULL << HEADER_CMDLINE) |
			       (1ULL << HEADER_EVENT_DESC)),
		   "feature bitmap: the 9 perf features and bit 200");
		if (fd >= 0)
			close(fd);
	}

	n = 0;
	bad = 0;
	while ((i = pd_next(r, &h, err, sizeof(err))) == 1) {
		const struct pd_attr *a = pd_attr_of(r, h);
		int ai = a ? (int)(a - pd_attr(r, 0)) : -1;
		if (n >= nr_exp || h->type != exp_recs[n].type || h->size != exp_recs[n].size ||
		    (exp_recs[n].type != PERF_RECORD_FINISHED_ROUND && ai != exp_recs[n].attr)) {
			bad++;
			printf("#   record %d: type %u size %u attr %d\n", n, h->type, h->size, ai);
		}
		n++;
	}
	is_int(i, 0, "pd_next ends with 0 (%s)", i < 0 ? err : "end");
	is_int(n, nr_exp, "every record read back");
	is_int(bad, 0, "records in order, pd_attr_of maps samples, COMM and LOST by id");
	pd_close(r);

	{	/* the tracing data decodes the samples through a session */
		struct session *ss = session_open_file(path("rt.data"), err, sizeof(err));
		struct session_ops ops = { .event = on_event, .comm = on_comm, .lost = on_lost };
		struct counts cnt = { 0 };
		ok(ss != NULL, "session_open_file (%s)", ss ? "ok" : err);
		if (ss) {
			is_int(session_run(ss, &ops, &cnt, NULL, NULL, err, sizeof(err)), 0, "session_run");
			/* id 202 maps to the exec attr but carries a tlb payload: decoded by common_type */
			ok(cnt.flushes >= 4 && cnt.reasons[4] == 2, "decoded flushes %llu, reason 4 x%llu",
			   (unsigned long long)cnt.flushes, (unsigned long long)cnt.reasons[4]);
			ok(cnt.comms == 1 && !strcmp(cnt.comm, "churner"), "COMM 'churner' delivered");
			is_str(session_transport(ss), "hypervisor", "session_transport from the note");
			is_int(cnt.lost, 20, "lost: LOST 17 and LOST_SAMPLES 17 + 3 are max(17, 20), not 37");
			session_close(ss);
		}
	}
}

/* ---- truncated and corrupted copies ---- */
static void expect_error(const char *file, const char *want, const char *what)
{
	char err[512] = "";
	struct pd_reader *r = pd_open(file, err, sizeof(err));
	ok(!r && strstr(err, want) && !strchr(err, '\n'), "%s: one-line error with '%s' (%s)", what,
	   want, err);
	pd_close(r);
}

static void patch(const char *file, long off, const void *bytes, size_t n)
{
	int fd = open(file, O_WRONLY);
	if (fd < 0 || pwrite_all(fd, bytes, n, (uint64_t)off) < 0)
		printf("# cannot patch %s\n", file);
	if (fd >= 0)
		close(fd);
}

static void test_bad_files(void)
{
	const char *src = path("rt.data");
	long long size = file_size(src);
	uint64_t v;
	int crash = 0;

	if (size <= 0) {
		ok(0, "round-trip file exists");
		return;
	}
	copy_file(src, path("cut-data.data"), (long long)data_offset(src) + 100);
	expect_error(path("cut-data.data"), "truncated", "cut in the data");
	copy_file(src, path("cut-feat.data"), size - 10);
	expect_error(path("cut-feat.data"), "truncated", "cut in the features");
	{
		char err[512];
		struct pd_reader *r = pd_open(src, err, sizeof(err));
		uint64_t end = r ? data_offset(src) + pd_data_size(r) : 0;
		pd_close(r);
		copy_file(src, path("cut-table.data"), (long long)end + 20);
		expect_error(path("cut-table.data"), "truncated", "cut in the feature table");
	}
	copy_file(src, path("short.data"), 50);
	expect_error(path("short.data"), "not a perf.data file", "50-byte file");
	copy_file(src, path("magic.data"), -1);
	patch(path("magic.data"), 0, "PERFXXXX", 8);
	expect_error(path("magic.data"), "not a perf.data file", "bad magic");
	copy_file(src, path("v1.data"), -1);
	patch(path("v1.data"), 0, "PERFFILE", 8);
	expect_error(path("v1.data"), "version 1", "version 1 magic");
	copy_file(src, path("hsize.data"), -1);
	v = 4096;
	patch(path("hsize.data"), 8, &v, 8);
	expect_error(path("hsize.data"), "header size", "header size");
	copy_file(src, path("asize.data"), -1);
	v = 5;
	patch(path("asize.data"), 16, &v, 8);
	expect_error(path("asize.data"), "corrupt header", "attr size 5");
	copy_file(src, path("aoff.data"), -1);
	v = 1ULL << 40;
	patch(path("aoff.data"), 24, &v, 8);
	expect_error(path("aoff.data"), "corrupt header", "attrs offset past the end");
	copy_file(src, path("ids.data"), -1);
	patch(path("ids.data"), 104 + sizeof(struct perf_event_attr), &v, 8);
	expect_error(path("ids.data"), "corrupt attr 0", "ids offset past the end");
	copy_file(src, path("dsize.data"), -1);
	v = (uint64_t)size;
	patch(path("dsize.data"), 48, &v, 8);
	expect_error(path("dsize.data"), "truncated", "data size past the end");

	{	/* a corrupt record size in the data: pd_next says where */
		char err[512] = "";
		const struct perf_event_header *h;
		struct pd_reader *r;
		uint16_t sz = 13;
		int rc, n = 0;
		copy_file(src, path("rec.data"), -1);
		patch(path("rec.data"), (long)data_offset(src) + (long)sizeof(struct comm_rec) + 6, &sz, 2);
		r = pd_open(path("rec.data"), err, sizeof(err));
		ok(r != NULL, "corrupt record size: the header still opens");
		while (r && (rc = pd_next(r, &h, err, sizeof(err))) == 1)
			n++;
		ok(r && rc == -1 && n == 1 && strstr(err, "corrupt record at offset"),
		   "corrupt record: one good record, then -1 (%s)", err);
		pd_close(r);
	}
	/* every 4-byte flip in the first 4096 bytes and across the data and features: no crash */
	{
		size_t len;
		char *orig = read_file(src, &len);
		for (size_t off = 0; orig && off + 4 <= len; off += off < 512 ? 4 : 61) {
			pid_t pid;
			int status;
			fflush(stdout);
			pid = fork();
			if (pid == 0) {
				char err[512];
				char *p = path("flip.data");
				char *d = malloc(len);
				struct pd_reader *r;
				const struct perf_event_header *h;
				memcpy(d, orig, len);
				memset(d + off, 0xff, 4);
				{
					int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
					pwrite_all(fd, d, len, 0);
					close(fd);
				}
				r = pd_open(p, err, sizeof(err));
				while (r && pd_next(r, &h, err, sizeof(err)) == 1) {
					struct tlb_sample s;
					const struct pd_attr *a = pd_attr_of(r, h);
					if (a && h->type == PERF_RECORD_SAMPLE)
						sample_parse(h, a->attr.sample_type, &s);
				}
				pd_close(r);
				_exit(0);
			}
			if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
				crash++;
				printf("#   flip at %zu crashed\n", off);
			}
		}
		free(orig);
	}
	is_int(crash, 0, "byte-flipped copies: pd_open/pd_next/sample_parse never crash");
}

/*
 * 64 attrs that all point at one block of 2^20 ids (8 MiB): copied once per attr that made 512
 * MiB of ids and a 1.5 GiB id table. Now refused before anything is allocated, in a child whose
 * address space is capped at 256 MiB.
 */
static void test_shared_ids(void)
{
	const int nr_attrs = 64, nr_ids = 1 << 20;
	uint64_t attr_size = sizeof(struct perf_event_attr) + 16;
	uint64_t ids_off = 104 + nr_attrs * attr_size, hdr[13] = { 0 };
	char *p = path("shared.data");
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600), status = -1;
	pid_t pid;

	hdr[0] = 0x32454c4946524550ULL;
	hdr[1] = 104;
	hdr[2] = attr_size;
	hdr[3] = 104;
	hdr[4] = nr_attrs * attr_size;
	hdr[5] = ids_off + 8ULL * nr_ids;	/* data: empty, at the end */
	if (fd < 0 || pwrite_all(fd, hdr, sizeof(hdr), 0) < 0)
		printf("# cannot write %s\n", p);
	for (int i = 0; fd >= 0 && i < nr_attrs; i++) {
		struct perf_event_attr a = tp_attr(1);
		uint64_t ids[2] = { ids_off, 8ULL * nr_ids };

		pwrite_all(fd, &a, sizeof(a), 104 + i * attr_size);
		pwrite_all(fd, ids, sizeof(ids), 104 + i * attr_size + sizeof(a));
	}
	if (fd >= 0) {
		uint64_t *ids = malloc(8ULL * nr_ids);

		for (int i = 0; ids && i < nr_ids; i++)
			ids[i] = (uint64_t)i + 1;
		if (!ids || pwrite_all(fd, ids, 8ULL * nr_ids, ids_off) < 0)
			printf("# cannot write the ids\n");
		free(ids);
		close(fd);
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 256ULL << 20, 256ULL << 20 };
		char err[512] = "";
		struct pd_reader *r;

#ifndef __SANITIZE_ADDRESS__	/* ASan's shadow memory does not fit any such limit */
		setrlimit(RLIMIT_AS, &rl);
#else
		(void)rl;
#endif
		r = pd_open(p, err, sizeof(err));
		printf("# %s\n", err);
		fflush(stdout);
		_exit(!r && strstr(err, "corrupt attr 1 at offset") && strstr(err, "sample ids in all") &&
		      !strchr(err, '\n') ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "64 attrs sharing one 8 MiB id block: refused in one line, under a 256 MiB address space");
	unlink(p);
}

/* ---- the file a killed recording leaves ---- */
static int count_records(const char *file, bool *truncated, uint64_t *samples, int *rc, char *err)
{
	struct pd_reader *r = pd_open(file, err, 512);
	const struct perf_event_header *h;
	uint64_t last = 0;
	int n = 0, order_bad = 0;
	*samples = 0;
	*rc = -2;
	if (!r)
		return -1;
	*truncated = pd_truncated(r);
	while ((*rc = pd_next(r, &h, err, 512)) == 1) {
		n++;
		if (h->type == PERF_RECORD_SAMPLE) {
			const struct sample_rec *s = (const void *)h;
			if (s->time != last + 1)
				order_bad++;
			last = s->time;
			(*samples)++;
		}
	}
	pd_close(r);
	return order_bad ? -100 - order_bad : n;
}

static void test_killed(void)
{
	const char *p = path("live.data");
	struct pd_writer *w = create(p);
	struct sample_rec s;
	uint64_t t = 0, samples, want;
	bool trunc = false;
	char err[512] = "";
	int n, rc;
	long long sz;
	const int N = 20000;	/* 1.6 MB: the 1 MiB write buffer is flushed once */

	ok(w != NULL, "pd_create (live)");
	if (!w)
		return;
	for (int i = 0; i < N; i++) {
		s = tlb_sample(101 + (uint64_t)(i & 1), 4000, ++t, 3, 1);
		pd_write(w, &s, sizeof(s));
	}
	/* no round yet: header data size 0, 1 MiB of records on disk */
	copy_file(p, path("killed0.data"), -1);
	sz = file_size(path("killed0.data"));
	want = (uint64_t)(sz - (long long)data_offset(p)) / sizeof(s);
	ok(sz > (long long)data_offset(p) + (1 << 19), "killed early: records on disk (%lld bytes)", sz);
	n = count_records(path("killed0.data"), &trunc, &samples, &rc, err);
	ok(n > 0 && trunc && rc == 0, "data size 0: reads, pd_truncated, ends with 0 (%d, %s)", n,
	   rc < 0 ? err : "end");
	is_int(samples, want, "data size 0: every complete record on disk, in order");
	copy_file(p, path("killed0-cut.data"), sz - 3);
	n = count_records(path("killed0-cut.data"), &trunc, &samples, &rc, err);
	ok(rc == 0 && trunc && samples == want - 1,
	   "data size 0, last record cut: up to the last complete one (%llu, rc %d)",
	   (unsigned long long)samples, rc);

	/* a round more than a second later brings the header up to date; then more data */
	sleep(1);
	usleep(100000);
	pd_finish_round(w);
	for (int i = 0; i < 5; i++) {
		s = tlb_sample(101, 4000, ++t, 3, 1);
		pd_write(w, &s, sizeof(s));
	}
	copy_file(p, path("killed1.data"), -1);
	{
		char e2[512];
		struct pd_reader *r = pd_open(path("killed1.data"), e2, sizeof(e2));
		is_int(r ? pd_data_size(r) : 0, (long long)(N * sizeof(s) + 8),
		       "header refreshed: the file holds every record up to the round");
		ok(r && pd_truncated(r), "killed: truncated (no final features)");
		ok(r && pd_has_feature(r, HEADER_TRACING_DATA) && pd_has_feature(r, HEADER_EVENT_DESC) &&
		   pd_has_feature(r, HEADER_HOSTNAME) && !pd_has_feature(r, HEADER_TLBSTAT),
		   "killed: the early copy gives TRACING_DATA, EVENT_DESC, HOSTNAME (no transport note)");
		ok(r && pd_attr(r, 0)->name && !strcmp(pd_attr(r, 0)->name, "tlb:tlb_flush") &&
		   pd_attr(r, 1)->name && !strcmp(pd_attr(r, 1)->name, "sched:sched_process_exec"),
		   "killed: attrs named from the early EVENT_DESC");
		ok(r && pd_cmdline(r) && !strcmp(pd_cmdline(r), "tlbstat record -o x.data"),
		   "killed: CMDLINE from the early copy (%s)", r && pd_cmdline(r) ? pd_cmdline(r) : "none");
		ok(r && pd_nr_attrs(r) == 2 && pd_attr(r, 1)->ids[1] == 202,
		   "killed: attrs and ids were written at create time");
		pd_close(r);
	}
	{	/* the early block damaged (magic, then a section pointing into the data): ignored */
		char e2[512];
		uint64_t big = 1ULL << 40;
		struct pd_reader *r;
		long early = 104 + 2 * (long)(sizeof(struct perf_event_attr) + 16) + 4 * 8;
		copy_file(path("killed1.data"), path("killed1-early.data"), -1);
		patch(path("killed1-early.data"), early, "XXXXXXXX", 8);
		r = pd_open(path("killed1-early.data"), e2, sizeof(e2));
		ok(r && pd_truncated(r) && !pd_has_feature(r, HEADER_TRACING_DATA) && !pd_attr(r, 0)->name,
		   "killed, early magic damaged: opens, no features (%s)", r ? "ok" : e2);
		pd_close(r);
		copy_file(path("killed1.data"), path("killed1-early.data"), -1);
		patch(path("killed1-early.data"), early + 8 + 32 + 8, &big, 8);
		r = pd_open(path("killed1-early.data"), e2, sizeof(e2));
		ok(r && pd_truncated(r) && !pd_has_feature(r, HEADER_TRACING_DATA) &&
		   !pd_cmdline(r) && !pd_feature_string(r, HEADER_HOSTNAME),
		   "killed, early section size out of bounds: opens, no features (%s)", r ? "ok" : e2);
		pd_close(r);
	}
	n = count_records(path("killed1.data"), &trunc, &samples, &rc, err);
	ok(rc == 0 && trunc && samples == (uint64_t)N && n == N + 1,
	   "header refreshed, then killed: %llu samples + the round (rc %d)",
	   (unsigned long long)samples, rc);
	/* plus a partial record past the header's data size (a kill mid-write) */
	{
		uint8_t half[40];
		int fd = open(path("killed1.data"), O_WRONLY | O_APPEND);
		s = tlb_sample(101, 4000, t + 1, 3, 1);
		memcpy(half, &s, sizeof(half));
		ok(fd >= 0 && write(fd, half, sizeof(half)) == (ssize_t)sizeof(half), "append half a record");
		if (fd >= 0)
			close(fd);
		n = count_records(path("killed1.data"), &trunc, &samples, &rc, err);
		ok(rc == 0 && samples == (uint64_t)N, "half record after the kill: ignored, rc 0");
	}
	{	/* session over a killed file: decoded with the early copy of its formats */
		struct session *ss = session_open_file(path("killed1.data"), err, sizeof(err));
		struct session_ops ops = { .event = on_event };
		struct counts cnt = { 0 };
		ok(ss != NULL, "session_open_file on a killed file (%s)", ss ? "ok" : err);
		if (ss) {
			is_int(session_run(ss, &ops, &cnt, NULL, NULL, err, sizeof(err)), 0, "session_run");
			is_int(cnt.flushes, N, "killed file: every flush decoded");
			session_close(ss);
		}
	}
	is_int(pd_finish(w), 0, "pd_finish after all");
	n = count_records(p, &trunc, &samples, &rc, err);
	ok(rc == 0 && !trunc && samples == (uint64_t)N + 5, "finished: %llu samples, not truncated",
	   (unsigned long long)samples);
}

/* HEADER_BUILD_ID written by pd_set_build_ids, found again by path (pd_build_id). */
static void test_build_ids(void)
{
	struct pd_writer *w = create(path("bid.data"));
	unsigned char id[20] = { 0 };
	struct sample_rec s;
	struct pd_reader *r;
	char ids[512], err[512] = "";
	size_t n;

	if (!w)
		return;
	s = tlb_sample(101, 4000, 1000, 3, 1);	/* data: a file of none reads as killed */
	wr(w, &s, 0);
	round_(w);
	n = synth_build_id_record(ids, sizeof(ids), false, "/usr/lib/libx.so",
				  (const unsigned char *)"abcdefghijklmnopqrst", 20);
	n += synth_build_id_record(ids + n, sizeof(ids) - n, true, "[kernel.kallsyms]",
				   (const unsigned char *)"KERNEL-BUILD-ID!", 16);	/* a short id */
	is_int(pd_set_build_ids(w, ids, n), 0, "pd_set_build_ids");
	is_int(pd_finish(w), 0, "pd_finish with build-ids");
	r = pd_open(path("bid.data"), err, sizeof(err));
	ok(r != NULL, "pd_open (%s)", err);
	if (!r)
		return;
	is_int(pd_build_id(r, "[kernel.kallsyms]", id, sizeof(id)), 16,
	       "pd_build_id: the kernel's, its own length");
	ok(!memcmp(id, "KERNEL-BUILD-ID!", 16), "pd_build_id: the kernel's bytes");
	is_int(pd_build_id(r, "/usr/lib/libx.so", id, 8), 8, "pd_build_id: cut to room");
	ok(!memcmp(id, "abcdefgh", 8), "pd_build_id: the object's bytes");
	is_int(pd_build_id(r, "/usr/lib/libx.s", id, sizeof(id)), 0,
	       "pd_build_id: a path's prefix is not the path");
	pd_close(r);
	unlink(path("bid.data"));
}

static void test_create_errors(void)
{
	struct pd_writer_attr wa[1] = { { &attr_tlb, ids_tlb, 2, "tlb:tlb_flush" } };
	char err[512] = "";
	struct pd_writer *w = pd_create("/nonexistent-dir/x.data", wa, 1, 4, argv_rec, NULL, err, sizeof(err));
	ok(!w && strstr(err, "cannot create /nonexistent-dir/x.data"), "unwritable path: %s", err);
	if (w)
		pd_finish(w);
}

int main(void)
{
	char *fmt, why[512] = "no event";
	bool have_tfs;
	size_t len;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* TAP lines whole beside stderr warnings */
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	have_tfs = tfs_locate(NULL, 0, why, sizeof(why)) == 0;
	tlb_id = have_tfs ? tfs_event_id("tlb", "tlb_flush") : -1;
	exec_id = have_tfs ? tfs_event_id("sched", "sched_process_exec") : -1;
	fmt = tlb_id >= 0 ? tfs_event_format("tlb", "tlb_flush", &len) : NULL;
	if (tlb_id < 0 || exec_id < 0 || !fmt) {
		printf("ok 1 - # SKIP tracefs unreadable or tlb:tlb_flush missing (%s): pd_create needs "
		       "the formats (run as root)\n", why);
		printf("1..1\n");
		rmdir(dir);
		return 0;
	}
	{
		int sz;
		bool sg;
		tfs_format_field(fmt, "reason", &tlb_reason_off, &sz, &sg);
		tfs_format_field(fmt, "pages", &tlb_pages_off, &sz, &sg);
		free(fmt);
	}
	attr_tlb = tp_attr(tlb_id);
	attr_exec = tp_attr(exec_id);

	test_round_trip();
	test_bad_files();
	test_shared_ids();
	test_killed();
	test_create_errors();
	test_build_ids();

	{	/* clean up */
		const char *names[] = { "rt", "cut-data", "cut-feat", "cut-table", "short", "magic", "v1",
			"hsize", "asize", "aoff", "ids", "dsize", "rec", "flip", "live", "killed0",
			"killed0-cut", "killed1", "killed1-early" };
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			char f[64];
			snprintf(f, sizeof(f), "%s.data", names[i]);
			unlink(path(f));
		}
		rmdir(dir);
	}
	free_paths();
	return done_testing();
}
