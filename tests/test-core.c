// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the core parsers: cpu lists, tracefs formats, /proc/interrupts, health, JSON. */
#include "duration.h"
#include "interrupts.h"
#include "output.h"
#include "reason.h"
#include "tap.h"
#include "tracefs.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char tlb_format[] =
	"name: tlb_flush\n"
	"ID: 188\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
	"\tfield:int reason;\toffset:8;\tsize:4;\tsigned:1;\n"
	"\tfield:unsigned long pages;\toffset:16;\tsize:8;\tsigned:0;\n\n"
	"print fmt: \"pages:%ld reason:%s (%d)\", REC->pages\n";

static const char ipi_format[] =
	"name: ipi_send_cpumask\nID: 353\nformat:\n"
	"\tfield:__data_loc cpumask_t cpumask;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:void * callsite;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned long args[6];\toffset:24;\tsize:48;\tsigned:0;\n";

static void test_cpu_lists(void)
{
	char err[160];
	int *c = NULL, n;

	n = parse_cpu_list("0-3,5", -1, &c, err, sizeof(err));
	is_int(n, 5, "cpu list 0-3,5 has 5 cpus");
	ok(n == 5 && c[0] == 0 && c[3] == 3 && c[4] == 5, "cpu list 0-3,5 in order");
	free(c);
	n = parse_cpu_list("7,1,1-2,7", -1, &c, err, sizeof(err));
	ok(n == 3 && c[0] == 1 && c[1] == 2 && c[2] == 7, "cpu list sorted and de-duplicated");
	free(c);
	n = parse_cpu_list("0", 0, &c, err, sizeof(err));
	is_int(n, 1, "single cpu within max");
	free(c);
	is_int(parse_cpu_list("0-4", 3, &c, err, sizeof(err)), -1, "cpu above the highest online rejected");
	ok(strstr(err, "not online") != NULL, "error says not online: %s", err);
	is_int(parse_cpu_list("3-1", -1, &c, err, sizeof(err)), -1, "reversed range rejected");
	/* fuzz-options found "0-653177": a 653,178-entry list sorted without an online bound */
	is_int(parse_cpu_list("0-653177", -1, &c, err, sizeof(err)), -1,
	       "a cpu past Linux's NR_CPUS rejected without an online bound");
	ok(strstr(err, "0 to 8191") != NULL, "error says the range: %s", err);
	n = parse_cpu_list("8191", -1, &c, err, sizeof(err));
	is_int(n, 1, "cpu 8191 accepted");
	free(c);
	is_int(parse_cpu_list("1,", -1, &c, err, sizeof(err)), -1, "trailing comma rejected");
	is_int(parse_cpu_list("a", -1, &c, err, sizeof(err)), -1, "letters rejected");
	is_int(parse_cpu_list("", -1, &c, err, sizeof(err)), -1, "empty list rejected");
	is_int(parse_cpu_list("1-", -1, &c, err, sizeof(err)), -1, "open range rejected");
	is_int(parse_cpu_list("-1", -1, &c, err, sizeof(err)), -1, "negative rejected");
	ok(strstr(err, "bad cpu list") != NULL, "error names the list: %s", err);
	/* split by strlist like every other list: empty items anywhere */
	is_int(parse_cpu_list(",0", -1, &c, err, sizeof(err)), -1, "leading comma rejected");
	is_int(parse_cpu_list("0,,1", -1, &c, err, sizeof(err)), -1, "empty item rejected");
	ok(strstr(err, "bad cpu list '0,,1'") != NULL, "and named: %s", err);
	is_int(parse_cpu_list(",", -1, &c, err, sizeof(err)), -1, "',' rejected");
	is_int(parse_cpu_list("1 ,2", -1, &c, err, sizeof(err)), -1, "a blank rejected");
	n = parse_cpu_list("3,0-1", 3, &c, err, sizeof(err));
	ok(n == 3 && c[0] == 0 && c[1] == 1 && c[2] == 3, "3,0-1 -> 0 1 3");
	free(c);
}

static void test_pid_duration(void)
{
	uint64_t ns = 0;
	pid_t p;
	ok(parse_pid("123", &p) && p == 123, "pid 123");
	ok(!parse_pid("0", &p), "pid 0 rejected");
	ok(!parse_pid("12x", &p), "pid 12x rejected");
	ok(!parse_pid("-5", &p), "pid -5 rejected");
	/* parse_duration_s became duration_parse (ns; tests/test-options.c has the rest) */
	ok(duration_parse("1.5", DUR_S, &ns) == 0 && ns == 1500 * DUR_MS, "duration 1.5");
	ok(duration_parse("250ms", DUR_S, &ns) == 0 && ns == 250 * DUR_MS, "duration 250ms");
	ok(duration_parse("2m", DUR_S, &ns) == 0 && ns == 120 * DUR_S, "duration 2m");
	ok(duration_parse("x", DUR_S, &ns) < 0 && duration_parse("5parsecs", DUR_S, &ns) < 0,
	   "bad durations rejected");
}

static void test_formats(void)
{
	int off = -1, size = -1;
	bool sg = false;
	is_int(tfs_format_id(tlb_format), 188, "format ID parsed");
	is_int(tfs_format_id("name: x\nformat:\n"), -1, "format without ID");
	ok(tfs_format_field(tlb_format, "reason", &off, &size, &sg) && off == 8 && size == 4 && sg,
	   "reason at 8, 4 bytes, signed");
	ok(tfs_format_field(tlb_format, "pages", &off, &size, &sg) && off == 16 && size == 8 && !sg,
	   "pages at 16, 8 bytes, unsigned");
	ok(tfs_format_field(tlb_format, "common_pid", &off, NULL, NULL) && off == 4, "common_pid at 4");
	ok(!tfs_format_field(tlb_format, "page", &off, NULL, NULL), "no prefix match on 'page'");
	ok(tfs_format_field(ipi_format, "cpumask", &off, &size, NULL) && off == 8 && size == 4,
	   "__data_loc field found");
	ok(tfs_format_field(ipi_format, "args", &off, &size, NULL) && off == 24 && size == 48,
	   "array field found by name");

	char sys[16], name[32];
	ok(tfs_split_event("tlb:tlb_flush", sys, sizeof(sys), name, sizeof(name)) &&
	   !strcmp(sys, "tlb") && !strcmp(name, "tlb_flush"), "split tlb:tlb_flush");
	ok(!tfs_split_event("tlb_flush", sys, sizeof(sys), name, sizeof(name)), "no colon rejected");
	ok(!tfs_split_event(":x", sys, sizeof(sys), name, sizeof(name)), "empty system rejected");
	ok(!tfs_split_event("a:b:c", sys, sizeof(sys), name, sizeof(name)), "two colons rejected");
	/* names become tracefs path components: events/<sys>/<name>/id */
	ok(!tfs_split_event("../../../etc:passwd", sys, sizeof(sys), name, sizeof(name)),
	   "'..' and '/' in the system rejected");
	ok(!tfs_split_event("tlb:../x", sys, sizeof(sys), name, sizeof(name)),
	   "'..' and '/' in the name rejected");
	ok(!tfs_split_event("tlb:*", sys, sizeof(sys), name, sizeof(name)), "a glob rejected");
	ok(!tfs_split_event("tlb:", sys, sizeof(sys), name, sizeof(name)), "empty name rejected");
	ok(!tfs_split_event("t b:x", sys, sizeof(sys), name, sizeof(name)), "a blank rejected");
	ok(tfs_split_event("Sys_9:ev_1", sys, sizeof(sys), name, sizeof(name)),
	   "letters, digits and '_' accepted");
	ok(tfs_valid_name("sched", 5) && !tfs_valid_name("", 0) && !tfs_valid_name("a.b", 3),
	   "tfs_valid_name");
}

static void test_interrupts(void)
{
	struct intr_row *r = malloc(sizeof(*r));
	char *ipi = read_file("tests/data/interrupts-ipi.txt", NULL);
	char *pvm = read_file("tests/data/interrupts-pvm.txt", NULL);

	ok(ipi && pvm, "interrupt fixtures readable (run from the repository root)");
	if (ipi && pvm) {
		ok(interrupts_parse_row(ipi, "TLB", r), "TLB row found");
		is_int(r->ncpus, 4, "TLB row has 4 cpu columns");
		is_int(r->total, 19834, "TLB total is the sum of the columns");
		is_int(r->per_cpu[0], 19817, "TLB cpu0");
		is_int(r->per_cpu[3], 5, "TLB cpu3");
		ok(interrupts_parse_row(ipi, "CAL", r) && r->total == 75836, "CAL row summed");
		ok(interrupts_parse_row(ipi, "ERR", r) && r->ncpus == 1 && r->total == 0,
		   "short row (ERR) has one column");
		ok(interrupts_parse_row(ipi, "0", r) && r->total == 33, "numbered row parsed");
		ok(!interrupts_parse_row(ipi, "XYZ", r) && !r->present, "missing row reported absent");
		ok(interrupts_parse_row(pvm, "TLB", r) && r->present && r->total == 0 && r->ncpus == 2,
		   "PVM TLB row present and zero");
		ok(!interrupts_parse_row("", "TLB", r), "empty text");
	}
	ok(interrupts_read_row(NULL, "LOC", r) || !interrupts_read_row(NULL, "NOPE", r),
	   "live /proc/interrupts readable");
	free(ipi);
	free(pvm);
	free(r);
}

static void test_health_reasons(void)
{
	is_str(tlb_health_name(tlb_health_of(0)), "green", "0/s/core green");
	/* address-space flushes per core since count_health_of(): 200 and 2000 (reason.h) */
	is_str(tlb_health_name(tlb_health_of(199.99)), "green", "199.99 green");
	is_str(tlb_health_name(tlb_health_of(200.0)), "yellow", "200 yellow (boundary)");
	is_str(tlb_health_name(tlb_health_of(1999.9)), "yellow", "1999.9 yellow");
	is_str(tlb_health_name(tlb_health_of(2000.0)), "red", "2000 red (boundary)");
	is_str(tlb_health_name(tlb_health_of(1e6)), "red", "1e6 red");
	is_str(tlb_reason_key(0), "task_switch", "reason 0 key");
	is_str(tlb_reason_key(4), "remote_ipi_send", "reason 4 key");
	is_str(tlb_reason_key(6), "unknown", "reason 6 unknown");
	is_str(tlb_reason_label(1), "remote shootdown", "reason 1 label");
	is_int(tlb_reason_parse("local_mm_shootdown"), 3, "parse key");
	is_int(tlb_reason_parse("5"), 5, "parse number");
	is_int(tlb_reason_parse("9"), -1, "parse out of range");
}

static void test_json(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json_writer w;

	json_init(&w, f, false);
	json_object_begin(&w, NULL);
	json_uint(&w, "total", 42);
	json_double(&w, "rate", 1.5);
	json_double(&w, "nan", 0.0 / 0.0);
	json_string(&w, "s", "a\"b\\c\n");
	json_array_begin(&w, "list");
	json_int(&w, NULL, -1);
	json_object_begin(&w, NULL);
	json_object_end(&w);
	json_array_end(&w);
	json_array_begin(&w, "empty");
	json_array_end(&w);
	json_null(&w, "n");
	json_object_end(&w);
	json_finish(&w);
	fclose(f);
	is_str(buf, "{\"total\":42,\"rate\":1.5,\"nan\":null,\"s\":\"a\\\"b\\\\c\\n\",\"list\":[-1,{}],"
		    "\"empty\":[],\"n\":null}\n", "JSON writer output");
	free(buf);

	f = open_memstream(&buf, &len);
	csv_field(f, "plain");
	fputc(',', f);
	csv_field(f, "a,\"b\"");
	fclose(f);
	is_str(buf, "plain,\"a,\"\"b\"\"\"", "CSV quoting");
	free(buf);
}

/* tfs_locate computes per call: TLBSTAT_TRACEFS switches it at once, no stale cache */
static void test_tfs_locate(void)
{
	char dir[256] = "", err[512] = "";
	const char *old = getenv("TLBSTAT_TRACEFS");
	char *saved = old ? strdup(old) : NULL;

	setenv("TLBSTAT_TRACEFS", "tests/data", 1);
	is_int(tfs_locate(dir, sizeof(dir), err, sizeof(err)), 0, "TLBSTAT_TRACEFS readable");
	is_str(dir, "tests/data", "the directory given");
	ok(!err[0], "no error text on success");
	setenv("TLBSTAT_TRACEFS", "/nonexistent/tracefs", 1);
	is_int(tfs_locate(dir, sizeof(dir), err, sizeof(err)), -1, "unreadable one refused");
	ok(strstr(err, "TLBSTAT_TRACEFS=/nonexistent/tracefs") != NULL, "error names it: %s", err);
	is_int(tfs_locate(NULL, 0, NULL, 0), -1, "buffers may be left out");
	ok(tfs_event_id("tlb", "tlb_flush") == -1, "no tracefs: no event id");
	if (saved)
		setenv("TLBSTAT_TRACEFS", saved, 1);
	else
		unsetenv("TLBSTAT_TRACEFS");
	free(saved);
}

static void test_build_id_hex(void)
{
	const unsigned char id[] = { 0x00, 0x9f, 0xa3, 0xe4 };
	char out[9], small[6];

	build_id_hex(id, sizeof(id), out, sizeof(out));
	is_str(out, "009fa3e4", "build_id_hex: lowercase, two digits a byte");
	build_id_hex(id, sizeof(id), small, sizeof(small));
	is_str(small, "009f", "build_id_hex: cut to whole bytes that fit, NUL-terminated");
	build_id_hex(id, 0, out, sizeof(out));
	is_str(out, "", "build_id_hex: no bytes, empty");
}

/* huge_map: whole huge pages (4 KiB ones where THP is off), aligned, zeroed, writable */
static void test_huge_map(void)
{
	char *thp = read_file("/sys/kernel/mm/transparent_hugepage/enabled", NULL);
	size_t unit = thp && !strstr(thp, "[never]") ? HUGE_PAGE_SIZE : 4096, got = 1;
	uint8_t *p = huge_map(300 << 10, true, &got), *q;
	bool zero = true;

	free(thp);
	ok(p && got == ((300 << 10) + unit - 1) / unit * unit, "300 KiB: %zu bytes (THP %s)", got,
	   unit == 4096 ? "off" : "on");
	ok(p && !((uintptr_t)p % unit), "aligned to a %s page", unit == 4096 ? "4 KiB" : "huge");
	for (size_t i = 0; p && i < got; i += 4096)
		zero &= !p[i];
	ok(p && zero, "zeroed");
	if (p) {
		p[0] = 1;
		p[got - 1] = 2;
		ok(p[0] == 1 && p[got - 1] == 2, "writable to its last byte");
	}
	huge_unmap(p, got);
	q = huge_map(HUGE_PAGE_SIZE + 1, false, &got);
	ok(q && got == (HUGE_PAGE_SIZE + unit) / unit * unit,
	   "one byte past a huge page: %zu bytes", got);
	huge_unmap(q, got);
	ok(!huge_map(0, false, &got) && got == 0, "nothing asked: NULL, 0 bytes");
	ok(!huge_map(SIZE_MAX - 4096, false, &got), "a size that cannot be rounded up: NULL");
}

int main(void)
{
	test_cpu_lists();
	test_pid_duration();
	test_formats();
	test_interrupts();
	test_tfs_locate();
	test_health_reasons();
	test_json();
	test_build_id_hex();
	test_huge_map();
	return done_testing();
}
