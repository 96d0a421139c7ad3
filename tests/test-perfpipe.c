// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of perfpipe.c: streams in perf's pipe form built by hand (as perf 6.1 writes them:
 * unaligned feature records, the tracing data outside its record, FINISHED_INIT), read from a
 * file and through a real pipe in small pieces; the prologue through pd_open (attrs, ids,
 * features, EVENT_DESC names); refusals in one line (junk, short, a perf.data file, big-endian,
 * a cut prologue); a stream cut inside a record; memory held by the arena bounded by what is
 * pinned; and, with tracefs (root), pp_create -> pp_open and a session over the stream counting
 * what a session over the same records in a file counts.
 */
#include "event.h"
#include "perfdata.h"
#include "perfpipe.h"
#include "session.h"
#include "tap.h"
#include "tracefs.h"
#include "util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ST (PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | \
	    PERF_SAMPLE_PERIOD | PERF_SAMPLE_RAW)

static char dir[] = "/tmp/test-perfpipe.XXXXXX";

/* ---- a growing byte buffer for streams ---- */
struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void put_hdr(struct buf *b, uint32_t type, size_t size)
{
	struct perf_event_header h = { type, 0, (uint16_t)size };
	put(b, &h, sizeof(h));
}

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

struct sample_rec {
	struct perf_event_header h;
	uint64_t id, tid, time, cpu, period;
	uint32_t raw_size;
	uint8_t raw[28];
};

static struct sample_rec sample(uint64_t id, uint64_t time, uint16_t type)
{
	struct sample_rec r;

	memset(&r, 0, sizeof(r));
	r.h = (struct perf_event_header){ PERF_RECORD_SAMPLE, PERF_RECORD_MISC_KERNEL, sizeof(r) };
	r.id = id;
	r.tid = 42 | 42ULL << 32;
	r.time = time;
	r.period = 1;
	r.raw_size = sizeof(r.raw);
	memcpy(r.raw, &type, 2);
	return r;
}

/* perf's string in a feature: u32 length (64-aligned, NUL included), then the bytes */
static void put_string(struct buf *b, const char *s)
{
	uint32_t len = (uint32_t)((strlen(s) + 1 + 63) / 64 * 64);
	char *pad = calloc(1, len);

	strcpy(pad, s);
	put(b, &len, 4);
	put(b, pad, len);
	free(pad);
}

/* A HEADER_FEATURE record with body bytes, unpadded as perf writes it. */
static void put_feature(struct buf *b, uint64_t feat, const struct buf *body)
{
	put_hdr(b, PERF_RECORD_HEADER_FEATURE, 16 + body->len);
	put(b, &feat, 8);
	put(b, body->p, body->len);
}

/*
 * A stream as perf 6.1 writes one: two attrs (ids 11,12 and 21), HOSTNAME, EVENT_DESC naming
 * both, the end-of-features marker, a BUILD_ID to skip, 13 bytes of tracing data (padded to 16),
 * FINISHED_INIT, then nr samples alternating between the attrs, a FINISHED_ROUND every 4.
 */
static struct buf make_stream(int nr)
{
	struct buf b = { 0 }, f = { 0 };
	uint64_t ph[2] = { 0x32454c4946524550ULL, 16 };
	struct perf_event_attr a1 = tp_attr(7), a2 = tp_attr(8);
	uint64_t ids1[2] = { 11, 12 }, ids2[1] = { 21 };
	uint32_t u;

	put(&b, ph, sizeof(ph));
	put_hdr(&b, PERF_RECORD_HEADER_ATTR, 8 + sizeof(a1) + sizeof(ids1));
	put(&b, &a1, sizeof(a1));
	put(&b, ids1, sizeof(ids1));
	put_hdr(&b, PERF_RECORD_HEADER_ATTR, 8 + sizeof(a2) + sizeof(ids2));
	put(&b, &a2, sizeof(a2));
	put(&b, ids2, sizeof(ids2));
	put_string(&f, "pipehost");
	put_feature(&b, HEADER_HOSTNAME, &f);
	f.len = 0;
	u = 2;
	put(&f, &u, 4);
	u = sizeof(a1);
	put(&f, &u, 4);
	put(&f, &a1, sizeof(a1));
	u = 2;
	put(&f, &u, 4);
	put_string(&f, "tlb:tlb_flush");
	put(&f, ids1, sizeof(ids1));
	put(&f, &a2, sizeof(a2));
	u = 1;
	put(&f, &u, 4);
	put_string(&f, "sched:sched_process_exec");
	put(&f, ids2, sizeof(ids2));
	put_feature(&b, HEADER_EVENT_DESC, &f);
	f.len = 0;
	put_feature(&b, 32, &f);		/* HEADER_LAST_FEATURE: no body */
	put_hdr(&b, PERF_RECORD_HEADER_BUILD_ID, 24);
	put(&b, "0123456789abcdef", 16);
	{
		struct perf_record_header_tracing_data td = {
			{ PERF_RECORD_HEADER_TRACING_DATA, 0, sizeof(td) }, 16, 0 };
		put(&b, &td, sizeof(td));
		put(&b, "tracing-blob!\0\0\0", 16);
	}
	put_hdr(&b, PERF_RECORD_FINISHED_INIT, 8);
	for (int i = 0; i < nr; i++) {
		struct sample_rec s = sample(i % 2 ? 21 : 11 + (i / 2) % 2, 1000 + (uint64_t)i,
					     (uint16_t)(i % 2 ? 8 : 7));
		put(&b, &s, sizeof(s));
		if (i % 4 == 3)
			put_hdr(&b, PERF_RECORD_FINISHED_ROUND, 8);
	}
	free(f.p);
	return b;
}

/* The stream in a file, opened for reading (read() on it as on a pipe). */
static int stream_fd(const struct buf *b, size_t len, const char *name)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || pwrite_all(fd, b->p, len, 0) < 0)
		return -1;
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* The stream through a pipe from a child writing it in pieces of `piece` bytes. */
static int piped_fd(const struct buf *b, size_t len, size_t piece)
{
	int p[2];
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		for (size_t off = 0; off < len; off += piece)
			if (write(p[1], b->p + off, off + piece > len ? len - off : piece) < 0)
				_exit(1);
		_exit(0);
	}
	close(p[1]);
	return p[0];
}

/* Read every record: how many samples and rounds, their ids in order, the end's return. */
struct seen {
	int samples, rounds, bad_attr, rc;
	uint64_t last_time;
	bool in_order;
};

static struct seen read_all(struct pp_reader *r)
{
	const struct perf_event_header *h;
	struct seen s = { .in_order = true };
	char err[256];

	while ((s.rc = pp_next(r, &h, err, sizeof(err))) > 0) {
		if (h->type == PERF_RECORD_FINISHED_ROUND) {
			s.rounds++;
			continue;
		}
		if (h->type == PERF_RECORD_SAMPLE) {
			const struct sample_rec *sr = (const void *)h;
			const struct pd_attr *a = pd_attr_of(pp_header(r), h);
			int want = sr->id == 21 ? 1 : 0;

			if (!a || a != pd_attr(pp_header(r), want))
				s.bad_attr++;
			if (sr->time < s.last_time)
				s.in_order = false;
			s.last_time = sr->time;
			s.samples++;
		}
	}
	if (s.rc < 0)
		printf("# pp_next: %s\n", err);
	return s;
}

static void test_prologue(void)
{
	struct buf b = make_stream(10);
	char err[256] = "";
	struct pp_reader *r = pp_open(stream_fd(&b, b.len, "s1"), "s1", err, sizeof(err));
	struct pd_reader *h;
	const char *td;
	size_t len = 0;
	struct seen s;

	if (!ok(r != NULL, "a hand-built perf 6.1 stream opens (%s)", err))
		return;
	h = pp_header(r);
	is_int(pd_nr_attrs(h), 2, "two HEADER_ATTRs: two attrs");
	is_int(pd_attr(h, 0)->nr_ids, 2, "the first attr has its two ids");
	is_int(pd_attr(h, 1)->ids[0], 21, "the second attr's id");
	is_int(pd_attr(h, 1)->attr.config, 8, "the attr itself is kept");
	is_str(pd_feature_string(h, HEADER_HOSTNAME), "pipehost", "HOSTNAME from its (unaligned) record");
	is_str(pd_attr(h, 0)->name, "tlb:tlb_flush", "EVENT_DESC names the first attr");
	is_str(pd_attr(h, 1)->name, "sched:sched_process_exec", "and the second");
	td = pd_tracing_data(h, &len);
	ok(td && len == 16 && !memcmp(td, "tracing-blob!", 13),
	   "the tracing data read from after its record, padding included (%zu bytes)", len);
	s = read_all(r);
	is_int(s.rc, 0, "the data reads to its end");
	is_int(s.samples, 10, "every sample");
	is_int(s.rounds, 2, "every FINISHED_ROUND");
	is_int(s.bad_attr, 0, "each sample's attr by its id");
	ok(!pp_ended_early(r), "a stream that ends between records did not end early");
	pp_close(r);
	free(b.p);
}

static void test_pipe_pieces(void)
{
	struct buf b = make_stream(5000);
	size_t pieces[] = { 1, 7, 4096, 100000 };

	for (size_t i = 0; i < ARRAY_SIZE(pieces); i++) {
		char err[256] = "";
		struct pp_reader *r = pp_open(piped_fd(&b, b.len, pieces[i]), "pipe", err, sizeof(err));
		struct seen s = { 0 };

		if (r)
			s = read_all(r);
		ok(r && s.rc == 0 && s.samples == 5000 && s.rounds == 1250 && !s.bad_attr && s.in_order,
		   "through a pipe written %zu bytes at a time: %d samples, %d rounds (%s)",
		   pieces[i], s.samples, s.rounds, err);
		pp_close(r);
		while (wait(NULL) > 0)
			;
	}
	free(b.p);
}

static void refused(const char *what, const void *data, size_t len, const char *want)
{
	struct buf b = { (char *)data, len, len };
	char err[256] = "";
	struct pp_reader *r = pp_open(stream_fd(&b, len, "bad"), "bad", err, sizeof(err));

	ok(!r && strstr(err, want) && !strchr(err, '\n'), "%s: refused in one line: %s", what, err);
	pp_close(r);
}

static void test_refusals(void)
{
	struct buf s = make_stream(4);
	uint64_t file_hdr[2] = { 0x32454c4946524550ULL, 104 };
	uint64_t be_hdr[2] = { __builtin_bswap64(0x32454c4946524550ULL), 16ULL << 56 };
	uint64_t only_hdr[2] = { 0x32454c4946524550ULL, 16 };
	char junk[4096];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7 + 3);
	refused("junk", junk, sizeof(junk), "not a perf.data stream");
	refused("6 bytes", "hello\n", 6, "not a perf.data stream");
	refused("nothing", "", 0, "ended after 0 bytes");
	refused("a perf.data file's header", file_hdr, sizeof(file_hdr), "perf.data file");
	refused("big-endian", be_hdr, sizeof(be_hdr), "big-endian");
	refused("a header and no records", only_hdr, sizeof(only_hdr), "no event");
	refused("cut inside the prologue", s.p, 100, "ended early");
	{
		/* an ATTR record whose attr claims more bytes than the record has */
		struct buf b = { 0 };
		struct perf_event_attr a = tp_attr(7);

		put(&b, only_hdr, sizeof(only_hdr));
		a.size = 4000;
		put_hdr(&b, PERF_RECORD_HEADER_ATTR, 8 + sizeof(a));
		put(&b, &a, sizeof(a));
		refused("an attr larger than its record", b.p, b.len, "corrupt HEADER_ATTR");
		free(b.p);
	}
	{
		struct buf b = { 0 };
		put(&b, only_hdr, sizeof(only_hdr));
		put_hdr(&b, PERF_RECORD_HEADER_TRACING_DATA, 16);
		put(&b, "\xff\xff\xff\x7f\0\0\0\0", 8);
		refused("tracing data of 2 GiB", b.p, b.len, "tracing data of");
		free(b.p);
	}
	free(s.p);
}

static void test_cut(void)
{
	struct buf b = make_stream(100);
	size_t cut = b.len - 30;	/* inside the last sample */
	char err[256] = "";
	struct pp_reader *r = pp_open(piped_fd(&b, cut, 64), "cut", err, sizeof(err));
	struct seen s = { 0 };

	if (r)
		s = read_all(r);
	ok(r && s.rc == 0 && s.samples == 99, "a stream cut inside a record: the records before it "
	   "(%d of 100), then the end", s.samples);
	ok(r && pp_ended_early(r), "and it says it ended early");
	pp_close(r);
	while (wait(NULL) > 0)
		;
	free(b.p);
}

/* The arena holds what is pinned, no more: about one chunk when nothing is. */
static void test_memory(void)
{
	struct buf b = make_stream(200000);	/* about 16 MB of samples */
	const struct perf_event_header *h, *first = NULL;
	char err[256];
	struct pp_reader *r = pp_open(stream_fd(&b, b.len, "big"), "big", err, sizeof(err));
	size_t peak = 0;

	while (r && pp_next(r, &h, err, sizeof(err)) > 0)
		if (pp_held(r) > peak)
			peak = pp_held(r);
	ok(r && peak <= (2u << 20), "16 MB read with nothing pinned: at most %zu bytes held", peak);
	pp_close(r);
	r = pp_open(stream_fd(&b, b.len, "big"), "big", err, sizeof(err));
	while (r && pp_next(r, &h, err, sizeof(err)) > 0) {
		if (!first) {
			first = h;
			pp_pin(r, first);
		}
	}
	ok(r && pp_held(r) >= b.len * 9 / 10 && first->type == PERF_RECORD_SAMPLE &&
	   ((const struct sample_rec *)first)->time == 1000,
	   "the first record pinned: everything kept (%zu bytes), the first still intact",
	   r ? pp_held(r) : 0);
	pp_close(r);
	free(b.p);
}

/* A FIFO given as a file: refused at once, not a wait for a writer (report -i FIFO hung). */
static void test_fifo_as_file(void)
{
	char p[256], err[256] = "";
	struct session *s;

	snprintf(p, sizeof(p), "%s/fifo", dir);
	if (mkfifo(p, 0600) < 0) {
		ok(1, "# SKIP mkfifo");
		return;
	}
	alarm(10);	/* a hang fails the test */
	s = session_open_file(p, err, sizeof(err));
	alarm(0);
	ok(!s && strstr(err, "FIFO"), "session_open_file on a FIFO without a writer: %s", err);
	session_close(s);
}

/* ---- with tracefs: pp_create's stream read back, and a session over it ---- */

static int count_event(void *ctx, const struct tlb_event *ev, const struct pd_attr *attr)
{
	(*(int *)ctx) += ev->kind == EV_TLB_FLUSH;
	return 0;
}

struct ordered {
	int n, backwards;
	uint64_t last;
};

static int check_order(void *ctx, const struct tlb_event *ev, const struct pd_attr *attr)
{
	struct ordered *o = ctx;

	o->backwards += ev->time < o->last;
	o->last = ev->time;
	o->n++;
	return 0;
}

/* kB of a /proc/self/status line ("VmHWM:") */
static long status_kb(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = atol(line + strlen(key));
	if (f)
		fclose(f);
	return v;
}

/*
 * A stream without FINISHED_ROUND (1.5M samples, 132 MB, neighbours swapped in time): the
 * session delivers every sample in time order while holding a bounded window, not the stream.
 */
static void test_window(const struct pd_writer_attr *wa, int tlb_id)
{
	char *argv[] = { "tlbstat", NULL };
	char err[512] = "";
	struct buf empty = { 0 };
	int fd = stream_fd(&empty, 0, "norounds.pipe"), n = 1500000;
	struct pp_writer *w = pp_create(fd, wa, 1, 1, argv, err, sizeof(err));
	struct session_ops ops = { .event = check_order };
	struct ordered o = { 0 };
	struct session *s;
	long rss, hwm;
	int cfd;

	for (int i = 0; w && i < n; i++) {
		struct sample_rec sr = sample(11, 1000 + (uint64_t)(i ^ 1), (uint16_t)tlb_id);
		pp_write(w, &sr, sizeof(sr));
	}
	if (!ok(w && pp_finish(w) == 0, "a stream of %d samples without rounds written (%s)", n, err))
		return;
	lseek(fd, 0, SEEK_SET);
	cfd = open("/proc/self/clear_refs", O_WRONLY);
	if (cfd >= 0) {
		if (write(cfd, "5", 1) < 0)	/* the peak RSS starts again from here */
			cfd = -1;
		close(cfd);
	}
	rss = status_kb("VmRSS:");
	s = session_open_stream(fd, "norounds.pipe", err, sizeof(err));
	if (s && session_run(s, &ops, &o, NULL, NULL, err, sizeof(err)) != 0)
		printf("# session_run: %s\n", err);
	ok(s && o.n == n && !o.backwards, "every sample delivered (%d), in time order (%d "
	   "backwards)", o.n, o.backwards);
	hwm = status_kb("VmHWM:");
	session_close(s);
#ifdef __SANITIZE_ADDRESS__
	cfd = -1;	/* ASan keeps freed memory in quarantine: RSS says nothing here */
#endif
	if (cfd < 0 || rss < 0 || hwm < 0)
		ok(1, "# SKIP the peak RSS cannot be reset or read (or ASan)");
	else
		/* the window and the queue's arrays (95-110 MB here, by glibc's mmap threshold of
		 * the moment: an 8 MB buffer freed earlier raises it, the kernel's symbols read from
		 * a mapped cache copy do not), far below the stream held whole */
		ok(hwm - rss < 140 * 1024, "memory grew by %ld MB for a 132 MB stream (window 64 MiB; "
		   "all of it held: > 180 MB)", (hwm - rss) / 1024);
}

static int session_flushes(struct session *s)
{
	struct session_ops ops = { .event = count_event };
	char err[256];
	int n = 0;

	if (!s || session_run(s, &ops, &n, NULL, NULL, err, sizeof(err)) != 0)
		return -1;
	return n;
}

static void test_writer(void)
{
	int tlb_id = tfs_event_id("tlb", "tlb_flush");
	struct perf_event_attr a = tp_attr(tlb_id);
	uint64_t ids[2] = { 11, 12 };
	struct pd_writer_attr wa = { &a, ids, 2, "tlb:tlb_flush" };
	char *argv[] = { "tlbstat", "record", "-o", "-", NULL };
	char err[512] = "", fpath[256];
	struct buf empty = { 0 };
	int fd = stream_fd(&empty, 0, "w.pipe");
	struct pp_writer *w;
	struct pd_writer *fw;
	struct pp_reader *r;
	struct session *s;

	if (tlb_id < 0) {
		ok(1, "# SKIP no tracefs with tlb:tlb_flush (root needed)");
		return;
	}
	snprintf(fpath, sizeof(fpath), "%s/w.data", dir);
	w = pp_create(fd, &wa, 1, 4, argv, err, sizeof(err));
	fw = pd_create(fpath, &wa, 1, 4, argv, NULL, err, sizeof(err));
	if (!ok(w && fw, "pp_create and pd_create (%s)", err))
		return;
	for (int i = 0; i < 300; i++) {
		struct sample_rec sr = sample(11 + i % 2, 5000 + (uint64_t)(i * 37 % 300),
					      (uint16_t)tlb_id);
		pp_write(w, &sr, sizeof(sr));
		pd_write(fw, &sr, sizeof(sr));
		if (i % 50 == 49) {
			pp_finish_round(w);
			pd_finish_round(fw);
		}
	}
	ok(pp_finish(w) == 0 && pd_finish(fw) == 0, "both written");
	lseek(fd, 0, SEEK_SET);
	r = pp_open(dup(fd), "w.pipe", err, sizeof(err));
	ok(r && pd_nr_attrs(pp_header(r)) == 1 && pd_attr(pp_header(r), 0)->nr_ids == 2,
	   "pp_create's stream reads back: its attr and ids (%s)", err);
	ok(r && pd_attr(pp_header(r), 0)->name && !strcmp(pd_attr(pp_header(r), 0)->name,
							   "tlb:tlb_flush"),
	   "its EVENT_DESC names the event");
	ok(r && pd_feature_string(pp_header(r), HEADER_OSRELEASE) && pd_cmdline(pp_header(r)) &&
	   !strcmp(pd_cmdline(pp_header(r)), "tlbstat record -o -"),
	   "OSRELEASE and CMDLINE came as features");
	pp_close(r);
	lseek(fd, 0, SEEK_SET);
	s = session_open_stream(fd, "w.pipe", err, sizeof(err));
	is_int(session_flushes(s), 300, "a session over the stream decodes every flush (%s)", err);
	session_close(s);
	s = session_open_file(fpath, err, sizeof(err));
	is_int(session_flushes(s), 300, "as one over the same records in a file");
	session_close(s);
	test_window(&wa, tlb_id);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_prologue();
	test_pipe_pieces();
	test_refusals();
	test_cut();
	test_memory();
	test_fifo_as_file();
	test_writer();
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			return 1;
	}
	return done_testing();
}
