// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of event.c: tracing-data blobs, decoding hand-built raw payloads against real format
 * texts (tests/data/formats/, copied from a 6.18 guest's tracefs), cpumask weights, bad blobs.
 */
#include "event.h"
#include "sample.h"
#include "tap.h"
#include "tracing-data.h"
#include "util.h"

#include <event-parse.h>
#include <stdlib.h>
#include <string.h>

#ifndef DATA
#define DATA "tests/data/"
#endif

static char *fixture(const char *name, size_t *len)
{
	char path[256];
	char *s;

	snprintf(path, sizeof(path), DATA "%s", name);
	s = read_file(path, len);
	if (!s) {
		printf("Bail out! missing fixture %s (run from the repository root)\n", path);
		exit(1);
	}
	return s;
}

static int format_id(const char *text)
{
	const char *p = strstr(text, "\nID: ");

	return p ? atoi(p + 5) : -1;
}

/* ---- a TRACING_DATA blob builder (the layout of perf's trace-event-info.c) ---- */
struct blob {
	unsigned char *b;
	size_t len, cap;
};

static void put(struct blob *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->b = realloc(b->b, b->cap);
	}
	memcpy(b->b + b->len, p, n);
	b->len += n;
}
static void put4(struct blob *b, uint32_t v) { put(b, &v, 4); }
static void put8(struct blob *b, uint64_t v) { put(b, &v, 8); }
static void put_sized8(struct blob *b, const char *s) { put8(b, strlen(s)); put(b, s, strlen(s)); }
static void put_sized4(struct blob *b, const char *s) { put4(b, (uint32_t)strlen(s)); put(b, s, strlen(s)); }

struct sysfmt {
	const char *sys;
	const char *files[4];
};

static const char kallsyms_text[] =
	"ffffffff8130d4f0 t do_sync_core\n"
	"ffffffff8134a820 t do_flush_tlb_all\n"
	"ffffffff8134ae80 t flush_tlb_func\n"
	"ffffffff8134bf80 t do_kernel_range_flush\n"
	"ffffffff81450a50 T generic_smp_call_function_single_interrupt\n"
	"ffffffffc0001000 t flush_tlb_func\t[some_module]\n";

#define FLUSH_TLB_FUNC 0xffffffff8134ae80ULL
#define KRANGE_FUNC 0xffffffff8134bf80ULL
#define GENERIC_FUNC 0xffffffff81450a50ULL

static struct blob make_blob(const struct sysfmt *sys, int nsys, const char *kallsyms,
			     const char *override_name, const char *override_text)
{
	struct blob b = { 0 };
	char *hp, *he;
	size_t l;

	put(&b, "\027\010\104tracing", 10);
	put(&b, "0.6", 4);
	put(&b, "\0\010", 2);          /* little endian, long size 8 */
	put4(&b, 4096);
	hp = fixture("formats/header_page", &l);
	he = fixture("formats/header_event", &l);
	put(&b, "header_page", 12);
	put_sized8(&b, hp);
	put(&b, "header_event", 13);
	put_sized8(&b, he);
	free(hp);
	free(he);
	put4(&b, 0);                   /* ftrace formats */
	put4(&b, (uint32_t)nsys);
	for (int i = 0; i < nsys; i++) {
		int n = 0;

		while (n < 4 && sys[i].files[n])
			n++;
		put(&b, sys[i].sys, strlen(sys[i].sys) + 1);
		put4(&b, (uint32_t)n);
		for (int j = 0; j < n; j++) {
			if (override_name && !strcmp(sys[i].files[j], override_name)) {
				put_sized8(&b, override_text);
			} else {
				char *f = fixture(sys[i].files[j], &l);

				put_sized8(&b, f);
				free(f);
			}
		}
	}
	put_sized4(&b, kallsyms ? kallsyms : "");
	put_sized4(&b, "0xffffffff82522908 : \"mas_rebalance\"\n");
	put_sized8(&b, "1 systemd\n42 churn\n");
	return b;
}

static const struct sysfmt all_systems[] = {
	{ "tlb", { "formats/tlb_tlb_flush" } },
	{ "ipi", { "formats/ipi_ipi_send_cpumask", "formats/ipi_ipi_send_cpu" } },
	{ "csd", { "formats/csd_csd_queue_cpu", "formats/csd_csd_function_entry" } },
	{ "sched", { "formats/sched_sched_process_exec" } },
	{ "task", { "formats/task_task_rename" } },
	{ "raw_syscalls", { "formats/raw_syscalls_sys_enter" } },
};

static int id_of(const char *file)
{
	size_t l;
	char *t = fixture(file, &l);
	int id = format_id(t);

	free(t);
	return id;
}

static void sample_of(struct tlb_sample *s, const void *raw, uint32_t size)
{
	memset(s, 0, sizeof(*s));
	s->pid = 100;
	s->tid = 101;
	s->cpu = 1;
	s->time = 5000;
	s->raw = raw;
	s->raw_size = size;
}

static void test_blob_and_decode(void)
{
	struct blob b = make_blob(all_systems, (int)ARRAY_SIZE(all_systems), kallsyms_text, NULL, NULL);
	char err[256];
	struct syms *sy = syms_new(0);
	struct tep_handle *tep = tdata_read(b.b, b.len, sy, err, sizeof(err));
	struct tlb_decoder *d;
	struct tlb_sample s;
	struct tlb_event ev;
	unsigned char raw[128];
	uint16_t id;
	uint32_t u32;
	uint64_t u64;

	if (!ok(tep != NULL, "hand-built tracing data parses (%s)", tep ? "" : err))
		return;
	ok(tep_find_event_by_name(tep, "tlb", "tlb_flush") != NULL, "tlb:tlb_flush known");
	ok(tep_find_event_by_name(tep, "ipi", "ipi_send_cpumask") != NULL, "ipi:ipi_send_cpumask known");
	is_int(tep_get_page_size(tep), 4096, "page size from the blob");
	d = tlb_decoder_new(tep, sy);

	/* tlb_flush per the 6.18 format: reason int at 8, pages unsigned long at 16 */
	memset(raw, 0, sizeof(raw));
	id = (uint16_t)id_of("formats/tlb_tlb_flush");
	memcpy(raw, &id, 2);
	u32 = 3;
	memcpy(raw + 8, &u32, 4);
	u64 = 16;
	memcpy(raw + 16, &u64, 8);
	sample_of(&s, raw, 24);
	is_int(tlb_decode(d, &s, &ev), EV_TLB_FLUSH, "tlb_flush decoded");
	is_int(ev.reason, 3, "reason 3 (local MM shootdown)");
	is_int(ev.pages, 16, "16 pages");
	is_int(ev.pid, 100, "pid from the sample");
	is_int(ev.tid, 101, "tid from the sample");
	is_int(ev.cpu, 1, "cpu from the sample");
	is_int((long long)ev.time, 5000, "time from the sample");
	is_str(tlb_decoder_event_name(d, raw, 24), "tlb_flush", "event name of the payload");

	u64 = ~0ULL;
	memcpy(raw + 16, &u64, 8);
	tlb_decode(d, &s, &ev);
	is_int(ev.pages, -1, "TLB_FLUSH_ALL (-1UL) is a full flush: pages -1");

	sample_of(&s, raw, 20);
	is_int(tlb_decode(d, &s, &ev), EV_OTHER, "payload shorter than its fields: not decoded");

	/* ipi_send_cpumask: __data_loc cpumask at 8 (len << 16 | offset), callback at 24 */
	memset(raw, 0, sizeof(raw));
	id = (uint16_t)id_of("formats/ipi_ipi_send_cpumask");
	memcpy(raw, &id, 2);
	u32 = (16u << 16) | 32u;
	memcpy(raw + 8, &u32, 4);
	u64 = GENERIC_FUNC;
	memcpy(raw + 16, &u64, 8);     /* callsite */
	u64 = FLUSH_TLB_FUNC;
	memcpy(raw + 24, &u64, 8);     /* callback */
	u64 = (1ULL << 1) | (1ULL << 3);
	memcpy(raw + 32, &u64, 8);
	u64 = 1ULL << 5;               /* cpu 69 */
	memcpy(raw + 40, &u64, 8);
	sample_of(&s, raw, 48);
	is_int(tlb_decode(d, &s, &ev), EV_IPI_SEND_CPUMASK, "ipi_send_cpumask decoded");
	is_int(ev.nr_targets, 3, "cpumask weight 3 (cpus 1, 3, 69)");
	ok(ev.target_mask[0] == ((1ULL << 1) | (1ULL << 3)) && ev.target_mask[1] == (1ULL << 5),
	   "target mask in host order");
	is_int(ev.target_cpu, -1, "several targets: no single target cpu");
	ok(ev.func == FLUSH_TLB_FUNC, "callback address");
	is_int(ev.func_class, TLB_FUNC_FLUSH, "callback flush_tlb_func is a TLB flush (from kallsyms)");
	is_str(tlb_decoder_func_name(d, ev.func), "flush_tlb_func", "callback name");

	u32 = (16u << 16) | 40u;       /* mask runs past the payload */
	memcpy(raw + 8, &u32, 4);
	is_int(tlb_decode(d, &s, &ev), EV_OTHER, "data_loc past the payload: not decoded");
	u32 = (8u << 16) | 40u;        /* single-bit mask: cpu 69 */
	memcpy(raw + 8, &u32, 4);
	tlb_decode(d, &s, &ev);
	is_int(ev.nr_targets, 1, "one target");
	is_int(ev.target_cpu, 69 - 64, "target cpu of a one-word mask at byte 40 is bit 5");

	/* csd_queue_cpu: cpu at 8, func at 24 */
	memset(raw, 0, sizeof(raw));
	id = (uint16_t)id_of("formats/csd_csd_queue_cpu");
	memcpy(raw, &id, 2);
	u32 = 0;
	memcpy(raw + 8, &u32, 4);
	u64 = KRANGE_FUNC;
	memcpy(raw + 24, &u64, 8);
	sample_of(&s, raw, 40);
	is_int(tlb_decode(d, &s, &ev), EV_CSD_QUEUE_CPU, "csd_queue_cpu decoded");
	is_int(ev.target_cpu, 0, "target cpu 0");
	is_int(ev.nr_targets, 1, "one target");
	is_int(ev.func_class, TLB_FUNC_KERNEL_RANGE, "do_kernel_range_flush is a kernel-range flush");
	u64 = GENERIC_FUNC;
	memcpy(raw + 24, &u64, 8);
	tlb_decode(d, &s, &ev);
	is_int(ev.func_class, TLB_FUNC_NONE, "generic IPI handler is not a TLB func");
	/* a payload that ends inside func: the fields' own checks (cpu read, func not) */
	u64 = KRANGE_FUNC;
	memcpy(raw + 24, &u64, 8);
	sample_of(&s, raw, 28);
	is_int(tlb_decode(d, &s, &ev), EV_CSD_QUEUE_CPU, "csd_queue_cpu cut inside func: decoded");
	ok(ev.func == 0 && ev.func_class == TLB_FUNC_NONE && ev.nr_targets == 1,
	   "cut csd_queue_cpu: its target, no func");
	sample_of(&s, raw, 11);
	is_int(tlb_decode(d, &s, &ev), EV_OTHER, "csd_queue_cpu cut inside cpu: not decoded");

	/* csd_function_entry: func at 8, csd at 16 (the fast path's plain loads, and cut) */
	memset(raw, 0, sizeof(raw));
	id = (uint16_t)id_of("formats/csd_csd_function_entry");
	memcpy(raw, &id, 2);
	u64 = FLUSH_TLB_FUNC;
	memcpy(raw + 8, &u64, 8);
	u64 = 0xffff888012345678ULL;
	memcpy(raw + 16, &u64, 8);
	sample_of(&s, raw, 24);
	is_int(tlb_decode(d, &s, &ev), EV_CSD_FUNC_ENTRY, "csd_function_entry decoded");
	ok(ev.func == FLUSH_TLB_FUNC && ev.csd == 0xffff888012345678ULL &&
	   ev.func_class == TLB_FUNC_FLUSH, "csd_function_entry: func, csd, class");
	sample_of(&s, raw, 20);
	is_int(tlb_decode(d, &s, &ev), EV_CSD_FUNC_ENTRY, "csd_function_entry cut inside csd");
	ok(ev.func == FLUSH_TLB_FUNC && ev.csd == 0, "cut csd_function_entry: func, no csd");

	ok(!tlb_decoder_is_tlb_func(d, FLUSH_TLB_FUNC + 16), "an address inside flush_tlb_func is not its start");
	ok(tlb_decoder_is_tlb_func(d, 0xffffffff8134a820ULL), "do_flush_tlb_all is a TLB func");
	ok(!tlb_decoder_is_tlb_func(d, 0xffffffffc0001000ULL), "module symbols are ignored");

	/* sched_process_exec: __data_loc char[] filename */
	memset(raw, 0, sizeof(raw));
	id = (uint16_t)id_of("formats/sched_sched_process_exec");
	memcpy(raw, &id, 2);
	u32 = (28u << 16) | 20u;
	memcpy(raw + 8, &u32, 4);
	memcpy(raw + 20, "/usr/bin/averyverylongname", 27);
	sample_of(&s, raw, 48);
	is_int(tlb_decode(d, &s, &ev), EV_EXEC, "sched_process_exec decoded");
	is_str(ev.comm, "averyverylongna", "comm is the basename, 15 chars");

	memset(raw, 0, sizeof(raw));
	id = (uint16_t)id_of("formats/task_task_rename");
	memcpy(raw, &id, 2);
	memcpy(raw + 12, "old", 4);
	memcpy(raw + 28, "new-name", 9);
	sample_of(&s, raw, 46);
	is_int(tlb_decode(d, &s, &ev), EV_RENAME, "task_rename decoded");
	is_str(ev.comm, "new-name", "newcomm");

	memset(raw, 0, sizeof(raw));
	id = (uint16_t)id_of("formats/raw_syscalls_sys_enter");
	memcpy(raw, &id, 2);
	sample_of(&s, raw, 64);
	is_int(tlb_decode(d, &s, &ev), EV_OTHER, "sys_enter is not a TLB event");
	is_str(tlb_decoder_event_name(d, raw, 64), "sys_enter", "but its name is known");
	id = 65535;
	memcpy(raw, &id, 2);
	is_int(tlb_decode(d, &s, &ev), EV_OTHER, "unknown common_type");
	ok(tlb_decoder_event_name(d, raw, 64) == NULL, "unknown common_type has no name");

	tlb_decoder_free(d);
	syms_free(sy);
	tep_free(tep);
	free(b.b);
}

/* The same event with other offsets decodes by its format, not by known offsets. */
static void test_moved_fields(void)
{
	static const char moved[] =
		"name: tlb_flush\nID: 188\nformat:\n"
		"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
		"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
		"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
		"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
		"\tfield:unsigned long pages;\toffset:8;\tsize:8;\tsigned:0;\n"
		"\tfield:int reason;\toffset:16;\tsize:4;\tsigned:1;\n\n"
		"print fmt: \"pages:%ld reason:%d\", REC->pages, REC->reason\n";
	static const struct sysfmt sys[] = { { "tlb", { "formats/tlb_tlb_flush" } } };
	struct blob b = make_blob(sys, 1, "", "formats/tlb_tlb_flush", moved);
	char err[256];
	struct tep_handle *tep = tdata_read(b.b, b.len, NULL, err, sizeof(err));
	struct tlb_decoder *d;
	struct tlb_sample s;
	struct tlb_event ev;
	unsigned char raw[24] = { 0 };
	uint16_t id = 188;
	uint32_t reason = 1;
	uint64_t pages = 7;

	if (!ok(tep != NULL, "tracing data with a moved tlb_flush layout parses (%s)", err))
		return;
	d = tlb_decoder_new(tep, NULL);
	memcpy(raw, &id, 2);
	memcpy(raw + 8, &pages, 8);
	memcpy(raw + 16, &reason, 4);
	sample_of(&s, raw, sizeof(raw));
	is_int(tlb_decode(d, &s, &ev), EV_TLB_FLUSH, "decoded with moved fields");
	is_int(ev.reason, 1, "reason read at offset 16");
	is_int(ev.pages, 7, "pages read at offset 8");
	tlb_decoder_free(d);
	tep_free(tep);
	free(b.b);
}

/* The common fields of every format, as a 6.1 kernel writes them. */
#define COMMON_FIELDS \
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n" \
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n" \
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n" \
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"

/* decode one payload of a single-event blob; EV_OTHER when the blob does not parse */
static enum tlb_event_kind decode_one(const char *sys, const char *file, const char *text,
				      const void *raw, size_t len, struct tlb_event *ev)
{
	const struct sysfmt sf[] = { { sys, { file } } };
	struct blob b = make_blob(sf, 1, "", file, text);
	char err[256];
	struct tep_handle *tep = tdata_read(b.b, b.len, NULL, err, sizeof(err));
	struct tlb_decoder *d;
	struct tlb_sample s;
	enum tlb_event_kind k = EV_OTHER;

	if (ok(tep != NULL, "%s parses (%s)", file, tep ? "" : err)) {
		d = tlb_decoder_new(tep, NULL);
		sample_of(&s, raw, (uint32_t)len);
		k = tlb_decode(d, &s, ev);
		tlb_decoder_free(d);
		tep_free(tep);
	}
	free(b.b);
	return k;
}

/*
 * The kernel lab's tracepoints (patches/): their formats as the patched 6.1 kernel writes them
 * (the TP_STRUCT__entry layouts of patches/0001 and 0002).
 */
static void test_patched_events(void)
{
	static const char inv[] =
		"name: tlb_invalidation\nID: 190\nformat:\n" COMMON_FIELDS
		"\tfield:pid_t pid;\toffset:8;\tsize:4;\tsigned:1;\n"
		"\tfield:pid_t tgid;\toffset:12;\tsize:4;\tsigned:1;\n"
		"\tfield:char comm[16];\toffset:16;\tsize:16;\tsigned:1;\n"
		"\tfield:unsigned long start;\toffset:32;\tsize:8;\tsigned:0;\n"
		"\tfield:unsigned long end;\toffset:40;\tsize:8;\tsigned:0;\n"
		"\tfield:unsigned long range_size;\toffset:48;\tsize:8;\tsigned:0;\n"
		"\tfield:int target_cpus;\toffset:56;\tsize:4;\tsigned:1;\n\n"
		"print fmt: \"pid=%d target_cpus=%d\", REC->pid, REC->target_cpus\n";
	static const char mn[] =
		"name: mmu_notifier_invalidation\nID: 191\nformat:\n" COMMON_FIELDS
		"\tfield:pid_t pid;\toffset:8;\tsize:4;\tsigned:1;\n"
		"\tfield:pid_t tgid;\toffset:12;\tsize:4;\tsigned:1;\n"
		"\tfield:char comm[16];\toffset:16;\tsize:16;\tsigned:1;\n"
		"\tfield:unsigned long start;\toffset:32;\tsize:8;\tsigned:0;\n"
		"\tfield:unsigned long end;\toffset:40;\tsize:8;\tsigned:0;\n"
		"\tfield:unsigned long range_size;\toffset:48;\tsize:8;\tsigned:0;\n"
		"\tfield:int phase;\toffset:56;\tsize:4;\tsigned:1;\n"
		"\tfield:int event;\toffset:60;\tsize:4;\tsigned:1;\n\n"
		"print fmt: \"phase=%d event=%d\", REC->phase, REC->event\n";
	unsigned char raw[64] = { 0 };
	uint16_t id = 190;
	uint64_t size = 65536;
	int32_t cpus = 3, phase = 1, event = 2;
	struct tlb_event ev;

	memcpy(raw, &id, 2);
	memcpy(raw + 48, &size, 8);
	memcpy(raw + 56, &cpus, 4);
	is_int(decode_one("tlb", "formats/tlb_tlb_invalidation", inv, raw, sizeof(raw), &ev),
	       EV_PATCHED_FLUSH, "tlb:tlb_invalidation decodes as the patched flush");
	is_int(ev.target_cpus, 3, "target_cpus read");
	is_int(ev.nr_targets, 2, "nr_targets: the remote ones (the initiator's cpu is counted)");
	is_int(ev.range_size, 65536, "range_size read");
	cpus = -1;
	memcpy(raw + 56, &cpus, 4);
	decode_one("tlb", "formats/tlb_tlb_invalidation", inv, raw, sizeof(raw), &ev);
	ok(ev.target_cpus == -1 && ev.nr_targets == 0,
	   "a broadcast: target_cpus -1, no remote count (%d, %d)", ev.target_cpus, ev.nr_targets);
	ok(!ev.flush_all, "end 0: not a whole-space flush");
	{
		uint64_t all = ~0ULL;

		memcpy(raw + 40, &all, 8);
		decode_one("tlb", "formats/tlb_tlb_invalidation", inv, raw, sizeof(raw), &ev);
		ok(ev.flush_all && ev.range_size == 65536,
		   "end all ones (TLB_FLUSH_ALL): a range flushed whole");
	}

	memset(raw, 0, sizeof(raw));
	id = 191;
	size = 8192;
	memcpy(raw, &id, 2);
	memcpy(raw + 48, &size, 8);
	memcpy(raw + 56, &phase, 4);
	memcpy(raw + 60, &event, 4);
	is_int(decode_one("mmu_notifier", "formats/mmu_notifier_mmu_notifier_invalidation", mn,
			  raw, sizeof(raw), &ev),
	       EV_MMU_NOTIFIER, "mmu_notifier:mmu_notifier_invalidation decodes");
	ok(ev.range_size == 8192 && ev.phase == 1 && ev.reason == 2,
	   "range_size, phase and the reason read (%lld, %d, %d)", (long long)ev.range_size,
	   ev.phase, ev.reason);
}

static void test_bad_blobs(void)
{
	struct blob b = make_blob(all_systems, (int)ARRAY_SIZE(all_systems), kallsyms_text, NULL, NULL);
	char err[256];
	int bad = 0, no_offset = 0, flipped_ok = 0;
	struct tep_handle *tep;

	tep = tdata_read("PERFILE2", 8, NULL, err, sizeof(err));
	ok(!tep && strstr(err, "magic"), "not tracing data: '%s'", err);
	for (size_t n = 0; n < b.len; n++) {
		tep = tdata_read(b.b, n, NULL, err, sizeof(err));
		if (tep) {
			bad++;
			tep_free(tep);
		} else if (!strstr(err, "offset")) {
			no_offset++;
		}
	}
	is_int(bad, 0, "every truncation of a %zu-byte blob is refused", b.len);
	is_int(no_offset, 0, "and every refusal names an offset");
	tep = tdata_read(b.b, 40, NULL, err, sizeof(err));
	ok(!tep, "truncated in header_page: '%s'", err);

	/* flip each byte of the fixed part and a sample of the rest: never a crash */
	for (size_t i = 0; i < b.len; i += (i < 64 ? 1 : 7)) {
		unsigned char saved = b.b[i];

		b.b[i] ^= 0xff;
		tep = tdata_read(b.b, b.len, NULL, err, sizeof(err));
		if (tep) {
			struct tlb_decoder *d = tlb_decoder_new(tep, NULL);

			tlb_decoder_free(d);
			tep_free(tep);
		}
		flipped_ok++;
		b.b[i] = saved;
	}
	ok(flipped_ok > 0, "%d byte-flipped blobs parsed or refused without a crash", flipped_ok);

	/* printable substitutions (renamed fields, stray format characters): never a crash */
	flipped_ok = 0;
	for (size_t i = 0; i < b.len; i++) {
		static const char subst[] = "a[";
		unsigned char saved = b.b[i];

		for (const char *c = subst; *c; c++) {
			b.b[i] = (unsigned char)*c;
			tep = tdata_read(b.b, b.len, NULL, err, sizeof(err));
			if (tep) {
				struct tlb_decoder *d = tlb_decoder_new(tep, NULL);

				tlb_decoder_free(d);
				tep_free(tep);
			}
			flipped_ok++;
		}
		b.b[i] = saved;
	}
	ok(flipped_ok > 0, "%d blobs with a substituted byte parsed or refused without a crash",
	   flipped_ok);
	free(b.b);
}

/* A TRACING_DATA feature written by Debian's perf 6.1 (perf record -e tlb:tlb_flush ...). */
static void test_perf_blob(void)
{
	size_t len;
	char *blob = fixture("perf-6.1-tracing-data.bin", &len);
	char err[256];
	struct tep_handle *tep = tdata_read(blob, len, NULL, err, sizeof(err));
	struct tep_event *e;
	struct tlb_decoder *d;

	if (!ok(tep != NULL, "perf 6.1's tracing data parses (%s)", tep ? "" : err)) {
		free(blob);
		return;
	}
	e = tep_find_event_by_name(tep, "tlb", "tlb_flush");
	ok(e && tep_find_field(e, "reason") && tep_find_field(e, "pages"), "tlb_flush with its fields");
	e = tep_find_event_by_name(tep, "ipi", "ipi_send_cpumask");
	ok(e && tep_find_field(e, "cpumask"), "ipi_send_cpumask with its cpumask");
	ok(tep_find_event_by_name(tep, "csd", "csd_queue_cpu") != NULL, "csd_queue_cpu");
	d = tlb_decoder_new(tep, NULL);
	ok(d != NULL, "decoder over perf's formats");
	tlb_decoder_free(d);
	tep_free(tep);
	free(blob);
}

static void test_weight(void)
{
	unsigned char m[16] = { 0 };

	is_int(tlb_cpumask_weight(m, sizeof(m)), 0, "empty mask");
	m[0] = 0x0f;
	m[9] = 0x80;
	is_int(tlb_cpumask_weight(m, sizeof(m)), 5, "weight counts every bit of every word");
	is_int(tlb_cpumask_weight(m, 0), 0, "zero length");
}

int main(void)
{
	test_blob_and_decode();
	test_moved_fields();
	test_patched_events();
	test_bad_blobs();
	test_perf_blob();
	test_weight();
	return done_testing();
}
