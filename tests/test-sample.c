// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of sample.c: PERF_RECORD_SAMPLE bodies for the sample_types tlbstat record writes
 * and perf record writes (with ID, with CALLCHAIN), every truncation of them (each record is
 * placed against a PROT_NONE guard page, so a read past hdr->size would crash the test), and the
 * sample_id_all trailers of COMM- and LOST-like records.
 */
#include "sample.h"
#include "tap.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#include <perf/event.h>   /* PERF_RECORD_FINISHED_ROUND */

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ST_RECORD (PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | \
		   PERF_SAMPLE_PERIOD | PERF_SAMPLE_RAW)
#define ST_PERF   (PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | \
		   PERF_SAMPLE_PERIOD | PERF_SAMPLE_RAW)

/* ---- a record builder in the kernel's field order ---- */
struct rec {
	uint8_t b[512];
	size_t len;
};

static void put(struct rec *r, const void *p, size_t n)
{
	memcpy(r->b + r->len, p, n);
	r->len += n;
}

static void put64(struct rec *r, uint64_t v) { put(r, &v, 8); }

struct fields {
	uint64_t id, ip, time, period, addr, stream_id;
	uint32_t pid, tid, cpu;
	int nr_callchain;
	const char *raw;        /* payload; padded the kernel's way (4 + size is a multiple of 8) */
};

static void build_sample(struct rec *r, uint64_t st, const struct fields *f)
{
	struct perf_event_header h = { PERF_RECORD_SAMPLE, PERF_RECORD_MISC_KERNEL, 0 };
	memset(r, 0, sizeof(*r));
	put(r, &h, sizeof(h));
	if (st & PERF_SAMPLE_IDENTIFIER)
		put64(r, f->id);
	if (st & PERF_SAMPLE_IP)
		put64(r, f->ip);
	if (st & PERF_SAMPLE_TID)
		put64(r, (uint64_t)f->pid | (uint64_t)f->tid << 32);
	if (st & PERF_SAMPLE_TIME)
		put64(r, f->time);
	if (st & PERF_SAMPLE_ADDR)
		put64(r, f->addr);
	if (st & PERF_SAMPLE_ID)
		put64(r, f->id);
	if (st & PERF_SAMPLE_STREAM_ID)
		put64(r, f->stream_id);
	if (st & PERF_SAMPLE_CPU)
		put64(r, (uint64_t)f->cpu | (uint64_t)0xdead << 32);   /* cpu, res */
	if (st & PERF_SAMPLE_PERIOD)
		put64(r, f->period);
	if (st & PERF_SAMPLE_CALLCHAIN) {
		put64(r, (uint64_t)f->nr_callchain);
		for (int i = 0; i < f->nr_callchain; i++)
			put64(r, 0xffffffff81000000ULL + (uint64_t)i);
	}
	if (st & PERF_SAMPLE_RAW) {
		uint32_t n = (uint32_t)strlen(f->raw);
		uint32_t size = ((n + 4 + 7) & ~7u) - 4;
		uint8_t pad[8] = { 0 };
		put(r, &size, 4);
		put(r, f->raw, n);
		put(r, pad, size - n);
	}
	((struct perf_event_header *)r->b)->size = (uint16_t)r->len;
}

/* ---- a guard page: records end exactly where readable memory ends ---- */
static uint8_t *guard_base;
static long page;

static void guard_init(void)
{
	page = sysconf(_SC_PAGESIZE);
	guard_base = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard_base == MAP_FAILED || mprotect(guard_base + page, (size_t)page, PROT_NONE)) {
		printf("Bail out! cannot map a guard page\n");
		exit(1);
	}
}

/*
 * The first len bytes of r (at least the 8-byte header, which must exist to be read) copied so
 * that they end at the guard page, with hdr->size = len. Records are 8-byte aligned (as in ring
 * buffers and files), so a cut that is not a multiple of 8 leaves under 8 bytes of slack before
 * the guard: reads past hdr->size are caught exactly for 8-byte cuts, by the return value else.
 */
static struct perf_event_header *at_guard(const struct rec *r, size_t len)
{
	size_t room = len < sizeof(struct perf_event_header) ? sizeof(struct perf_event_header) : len;
	uint8_t *p = guard_base + page - ((room + 7) & ~(size_t)7);
	memset(guard_base, 0xa5, (size_t)page);
	memcpy(p, r->b, room);
	((struct perf_event_header *)p)->size = (uint16_t)len;
	return (struct perf_event_header *)p;
}

/* Every cut of a full record fails with -1 and reads nothing past hdr->size. */
static void every_cut_fails(const struct rec *r, uint64_t st, const char *what)
{
	int bad = 0;
	struct tlb_sample s;
	for (size_t len = 0; len < r->len; len++)
		if (sample_parse(at_guard(r, len), st, &s) != -1) {
			bad++;
			printf("#   %s: cut at %zu of %zu parsed\n", what, len, r->len);
		}
	ok(bad == 0, "%s: all %zu cuts return -1 (none read past hdr->size)", what, r->len);
	is_int(sample_parse(at_guard(r, r->len), st, &s), 0, "%s: the full record at the guard parses",
	       what);
}

static void test_record_layout(void)
{
	struct fields f = { .id = 4242, .time = 123456789012ULL, .period = 1, .pid = 100, .tid = 101,
			    .cpu = 1, .raw = "tlbflush-payload!" };
	struct rec r;
	struct tlb_sample s;

	build_sample(&r, ST_RECORD, &f);
	is_int(sample_parse((void *)r.b, ST_RECORD, &s), 0, "record layout: parses");
	is_int(s.id, 4242, "record layout: IDENTIFIER");
	is_int(s.pid, 100, "record layout: pid");
	is_int(s.tid, 101, "record layout: tid");
	is_int(s.time, 123456789012LL, "record layout: time");
	is_int(s.cpu, 1, "record layout: cpu (res half ignored)");
	is_int(s.period, 1, "record layout: period");
	is_int(s.ip, 0, "record layout: no ip");
	is_int(s.raw_size, 20, "record layout: raw size (17 bytes padded, 4 + size = 24)");
	ok(s.raw && !memcmp(s.raw, f.raw, strlen(f.raw)), "record layout: raw points at the payload");
	ok((const uint8_t *)s.raw == r.b + 8 + 5 * 8 + 4, "record layout: raw after 5 u64 and the size");
	every_cut_fails(&r, ST_RECORD, "record layout");
}

static void test_perf_layout(void)
{
	struct fields f = { .ip = 0xffffffff81234567ULL, .time = 99, .period = 1, .pid = 7, .tid = 8,
			    .cpu = 3, .raw = "0123456789abcdef0123" };
	struct rec r;
	struct tlb_sample s;

	build_sample(&r, ST_PERF, &f);
	is_int(sample_parse((void *)r.b, ST_PERF, &s), 0, "perf layout: parses");
	is_int(s.ip, (long long)0xffffffff81234567ULL, "perf layout: ip");
	is_int(s.id, 0, "perf layout: no id");
	is_int(s.pid, 7, "perf layout: pid");
	is_int(s.tid, 8, "perf layout: tid");
	is_int(s.time, 99, "perf layout: time");
	is_int(s.cpu, 3, "perf layout: cpu");
	is_int(s.raw_size, 20, "perf layout: raw size");
	every_cut_fails(&r, ST_PERF, "perf layout");

	/* the same record read with another layout gives other values, never a crash */
	for (size_t len = 0; len <= r.len; len++)
		sample_parse(at_guard(&r, len), ST_RECORD | PERF_SAMPLE_ADDR | PERF_SAMPLE_ID |
			     PERF_SAMPLE_STREAM_ID | PERF_SAMPLE_CALLCHAIN, &s);
	ok(1, "perf layout read with a wrong, longer layout at every cut: no read past the end");
}

static void test_with_id(void)
{
	uint64_t st = ST_PERF | PERF_SAMPLE_ID | PERF_SAMPLE_ADDR | PERF_SAMPLE_STREAM_ID;
	struct fields f = { .ip = 1, .time = 2, .addr = 3, .id = 777, .stream_id = 778, .period = 5,
			    .pid = 9, .tid = 10, .cpu = 0, .raw = "abc" };
	struct rec r;
	struct tlb_sample s;
	uint64_t id = 0;

	build_sample(&r, st, &f);
	is_int(sample_parse((void *)r.b, st, &s), 0, "ID|ADDR|STREAM_ID: parses");
	is_int(s.id, 777, "ID|ADDR|STREAM_ID: id (after TIME and ADDR)");
	is_int(s.period, 5, "ID|ADDR|STREAM_ID: period after STREAM_ID and CPU");
	is_int(s.raw_size, 4, "ID|ADDR|STREAM_ID: raw 'abc' padded to 4");
	ok(sample_record_id((void *)r.b, st, true, &id) && id == 777,
	   "sample_record_id: ID of a sample without IDENTIFIER (%llu)", (unsigned long long)id);
	every_cut_fails(&r, st, "ID|ADDR|STREAM_ID");

	/* IDENTIFIER and ID together: both carry the same id */
	st = ST_RECORD | PERF_SAMPLE_ID;
	build_sample(&r, st, &f);
	is_int(sample_parse((void *)r.b, st, &s), 0, "IDENTIFIER|ID: parses");
	is_int(s.id, 777, "IDENTIFIER|ID: id");
	ok(sample_record_id((void *)r.b, st, true, &id) && id == 777,
	   "sample_record_id: IDENTIFIER first");
	ok(!sample_record_id(at_guard(&r, 12), st, true, &id),
	   "sample_record_id: IDENTIFIER cut in half -> false");
	ok(!sample_record_id((void *)r.b, ST_PERF, true, &id),
	   "sample_record_id: a sample with neither ID nor IDENTIFIER -> false");
}

static void test_callchain(void)
{
	uint64_t st = ST_PERF | PERF_SAMPLE_CALLCHAIN;
	struct fields f = { .ip = 1, .time = 2, .period = 1, .pid = 3, .tid = 4, .cpu = 1,
			    .nr_callchain = 5, .raw = "payload" };
	struct rec r;
	struct tlb_sample s;

	build_sample(&r, st, &f);
	is_int(sample_parse((void *)r.b, st, &s), 0, "CALLCHAIN: parses");
	ok((const uint8_t *)s.raw == r.b + 8 + 5 * 8 + 8 + 5 * 8 + 4, "CALLCHAIN: raw after 5 ips");
	is_int(s.raw_size, 12, "CALLCHAIN: raw size");
	is_int(s.nr_callchain, 5, "CALLCHAIN: 5 ips kept");
	ok((const uint8_t *)s.callchain == r.b + 8 + 5 * 8 + 8, "CALLCHAIN: points into the record");
	ok(s.callchain && s.callchain[0] == 0xffffffff81000000ULL &&
	   s.callchain[4] == 0xffffffff81000004ULL, "CALLCHAIN: first and last ip");
	every_cut_fails(&r, st, "CALLCHAIN");
	f.nr_callchain = 0;
	build_sample(&r, st, &f);
	is_int(sample_parse((void *)r.b, st, &s), 0, "CALLCHAIN nr 0: parses");
	ok(!s.callchain && s.nr_callchain == 0, "CALLCHAIN nr 0: NULL/0");
	build_sample(&r, ST_PERF, &f);
	is_int(sample_parse((void *)r.b, ST_PERF, &s), 0, "no CALLCHAIN: parses");
	ok(!s.callchain && s.nr_callchain == 0, "no CALLCHAIN: NULL/0");

	/* a callchain count larger than the record */
	f.nr_callchain = 0;
	build_sample(&r, st, &f);
	{
		uint64_t huge = 1ULL << 61;
		memcpy(r.b + 8 + 5 * 8, &huge, 8);
		is_int(sample_parse(at_guard(&r, r.len), st, &s), -1, "CALLCHAIN: nr 2^61 -> -1");
		huge = 2;   /* two ips would eat the raw size and payload: raw then does not fit */
		memcpy(r.b + 8 + 5 * 8, &huge, 8);
		is_int(sample_parse(at_guard(&r, r.len), st, &s), -1,
		       "CALLCHAIN: nr covering the rest -> -1");
	}
	/* a raw size larger than what is left */
	f.nr_callchain = 1;
	build_sample(&r, st, &f);
	{
		uint32_t big = 4096;
		memcpy(r.b + r.len - 16, &big, 4);
		is_int(sample_parse(at_guard(&r, r.len), st, &s), -1, "RAW: size past the record -> -1");
	}
	is_int(sample_parse((void *)r.b, st | PERF_SAMPLE_READ, &s), -1, "READ: refused (-1)");
}

/* A COMM record {pid, tid, comm[16]} or LOST {id, lost}, then the sample_id_all trailer. */
static void build_other(struct rec *r, uint32_t type, uint64_t st, const struct fields *f)
{
	struct perf_event_header h = { type, 0, 0 };
	memset(r, 0, sizeof(*r));
	put(r, &h, sizeof(h));
	if (type == PERF_RECORD_COMM) {
		char comm[16] = "tlbbench";
		put(r, &f->pid, 4);
		put(r, &f->tid, 4);
		put(r, comm, 16);
	} else {
		put64(r, f->id);
		put64(r, 12345);   /* lost */
	}
	if (st & PERF_SAMPLE_TID)
		put64(r, (uint64_t)f->pid | (uint64_t)f->tid << 32);
	if (st & PERF_SAMPLE_TIME)
		put64(r, f->time);
	if (st & PERF_SAMPLE_ID)
		put64(r, f->id);
	if (st & PERF_SAMPLE_STREAM_ID)
		put64(r, f->stream_id);
	if (st & PERF_SAMPLE_CPU)
		put64(r, f->cpu);
	if (st & PERF_SAMPLE_IDENTIFIER)
		put64(r, f->id);
	((struct perf_event_header *)r->b)->size = (uint16_t)r->len;
}

static void test_trailers(void)
{
	struct fields f = { .id = 555, .time = 1000, .pid = 20, .tid = 21, .cpu = 1, .stream_id = 9 };
	struct rec r;
	struct tlb_sample s;
	uint64_t id;

	build_other(&r, PERF_RECORD_COMM, ST_RECORD, &f);
	is_int(sample_id_trailer((void *)r.b, ST_RECORD, &s), 0, "COMM trailer (record layout): found");
	is_int(s.pid, 20, "COMM trailer: pid");
	is_int(s.tid, 21, "COMM trailer: tid");
	is_int(s.time, 1000, "COMM trailer: time");
	is_int(s.cpu, 1, "COMM trailer: cpu");
	is_int(s.id, 555, "COMM trailer: IDENTIFIER last (PERIOD and RAW are not in trailers)");
	id = 0;
	ok(sample_record_id((void *)r.b, ST_RECORD, true, &id) && id == 555,
	   "sample_record_id: COMM with sample_id_all");
	ok(!sample_record_id((void *)r.b, ST_RECORD, false, &id),
	   "sample_record_id: COMM without sample_id_all -> false");
	ok(!sample_record_id((void *)r.b, ST_PERF, true, &id),
	   "sample_record_id: COMM when the attr has no id fields -> false");

	/* ID and STREAM_ID (no IDENTIFIER): the id sits after TIME */
	{
		uint64_t st = ST_PERF | PERF_SAMPLE_ID | PERF_SAMPLE_STREAM_ID;
		build_other(&r, PERF_RECORD_LOST, st, &f);
		is_int(sample_id_trailer((void *)r.b, st, &s), 0, "LOST trailer (ID|STREAM_ID): found");
		is_int(s.id, 555, "LOST trailer: id");
		is_int(s.cpu, 1, "LOST trailer: cpu after STREAM_ID");
		is_int(s.time, 1000, "LOST trailer: time");
		id = 0;
		ok(sample_record_id((void *)r.b, st, true, &id) && id == 555,
		   "sample_record_id: LOST by ID");
		/* trailer longer than the record body */
		is_int(sample_id_trailer(at_guard(&r, 8 + 16), PERF_SAMPLE_TID | PERF_SAMPLE_TIME, &s), 0,
		       "24-byte record, 2 trailer fields: fits (the body read as trailer, bounded)");
		is_int(sample_id_trailer(at_guard(&r, 8 + 16), PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
					 PERF_SAMPLE_IDENTIFIER, &s), -1,
		       "24-byte record, 3 trailer fields: -1");
		is_int(sample_id_trailer(at_guard(&r, 4), st, &s), -1, "size < header: -1");
		ok(!sample_record_id(at_guard(&r, 8), st, true, &id),
		   "sample_record_id: empty body -> false");
	}
	/* a user record type (FINISHED_ROUND) has no trailer */
	{
		struct perf_event_header h = { PERF_RECORD_FINISHED_ROUND, 0, 8 };
		ok(!sample_record_id(&h, ST_RECORD, true, &id), "FINISHED_ROUND: no id");
	}
	/* a sample header shorter than its IDENTIFIER */
	{
		struct rec t;
		struct fields g = { .raw = "" };
		build_sample(&t, ST_RECORD, &g);
		ok(!sample_record_id(at_guard(&t, 8), ST_RECORD, true, &id),
		   "sample_record_id: 8-byte sample -> false");
		is_int(sample_parse(at_guard(&t, 3), ST_RECORD, &s), -1, "hdr->size 3 -> -1");
	}
}

/*
 * sample_parse_layout agrees with sample_parse on every sample_type of the fixed fields' bits
 * (with CALLCHAIN and RAW after them, READ too), at every cut of each record (at the guard page),
 * and sample_layout_time gives the time sample_parse finds in whatever parses that far.
 */
static void test_layout_agrees(void)
{
	static const uint64_t bits[] = { PERF_SAMPLE_IDENTIFIER, PERF_SAMPLE_IP, PERF_SAMPLE_TID,
					 PERF_SAMPLE_TIME, PERF_SAMPLE_ADDR, PERF_SAMPLE_ID,
					 PERF_SAMPLE_STREAM_ID, PERF_SAMPLE_CPU, PERF_SAMPLE_PERIOD };
	struct fields f = { .id = 11, .ip = 22, .time = 33, .period = 44, .addr = 55,
			    .stream_id = 66, .pid = 7, .tid = 8, .cpu = 3, .nr_callchain = 2,
			    .raw = "payload" };
	int types = 0, bad = 0, bad_time = 0;

	for (unsigned m = 0; m < 1u << ARRAY_SIZE(bits); m++)
		for (int tail = 0; tail < 3; tail++) {
			uint64_t st = tail == 0 ? PERF_SAMPLE_RAW :
				      tail == 1 ? PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_RAW : PERF_SAMPLE_READ;
			struct sample_layout l;
			struct rec r;

			for (size_t b = 0; b < ARRAY_SIZE(bits); b++)
				if (m & (1u << b))
					st |= bits[b];
			build_sample(&r, st, &f);
			sample_layout_init(&l, st);
			types++;
			for (size_t len = 0; len <= r.len; len++) {
				struct tlb_sample a, b;
				int ra, rb;

				ra = sample_parse(at_guard(&r, len), st, &a);
				rb = sample_parse_layout(at_guard(&r, len), &l, &b);
				/* pointers differ between the two copies: compare offsets */
				bad += ra != rb || (ra == 0 && (a.id != b.id || a.ip != b.ip ||
					a.pid != b.pid || a.tid != b.tid || a.time != b.time ||
					a.cpu != b.cpu || a.period != b.period ||
					a.nr_callchain != b.nr_callchain || a.raw_size != b.raw_size ||
					!a.raw != !b.raw || a.cgroup != b.cgroup));
				if (len >= 8 + (size_t)l.fixed && (st & PERF_SAMPLE_TIME))
					bad_time += sample_layout_time(at_guard(&r, len), &l) != 33;
				else
					bad_time += sample_layout_time(at_guard(&r, len), &l) != 0;
			}
		}
	ok(bad == 0, "sample_parse_layout = sample_parse on %d sample_types at every cut", types);
	ok(bad_time == 0, "sample_layout_time: the time when the fixed fields are there, else 0");
}

int main(void)
{
	guard_init();
	test_record_layout();
	test_perf_layout();
	test_with_id();
	test_callchain();
	test_trailers();
	test_layout_agrees();
	return done_testing();
}
