// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the remote-flush transport detector (tlbstat/lib/transport.c) on recorded kernel
 * logs (tests/data/klog-*.txt: the PVM one is real, the others are labelled synthetic fixtures
 * built from the kernels' exact strings), cpuinfo flags and counter snapshots of each kind of
 * machine (shared/reference/machines.md).
 */
#include "tap.h"
#include "transport.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define DATA "tests/data/"

/* The flags line of the development machine (PVM guest, variant 2): no pcid. */
static const char *pvm_flags =
	"flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep pge mca cmov pat pse36 clflush "
	"mmx fxsr sse sse2 ht syscall nx mmxext lm constant_tsc rep_good nopl xtopology "
	"tsc_reliable nonstop_tsc cpuid extd_apicid tsc_known_freq pni pclmulqdq ssse3 fma cx16 "
	"sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand "
	"hypervisor lahf_lm cr8_legacy misalignsse 3dnowprefetch topoext pti        vmmcall bmi1 "
	"avx2 bmi2 erms avx512f avx512dq adx\n";
/* Variant 1 (IPI) guest: same CPU, with pcid and invpcid (synthetic from machines.md). */
static const char *ipi_vm_flags =
	"flags\t\t: fpu vme de pse tsc msr pae sse sse2 ht syscall nx lm constant_tsc pni "
	"pcid x2apic hypervisor lahf_lm invpcid avx2 bmi2 erms\n";
/* Bare-metal AMD Zen 3+ host (synthetic): invlpgb, no hypervisor flag. */
static const char *zen_flags =
	"fpu vme de pse tsc msr pae pcid sse4_2 x2apic avx2 invpcid clzero irperf xsaveerptr "
	"rdpru wbnoinvd invlpgb cppc arat npt\n";
/* Bare-metal Intel host (synthetic): no invlpgb, no hypervisor flag. */
static const char *intel_flags = "fpu vme de pse tsc msr pae pcid sse4_2 x2apic avx2 invpcid\n";

static char *fixture(const char *name)
{
	char path[256];
	char *s;

	snprintf(path, sizeof(path), DATA "%s", name);
	s = read_file(path, NULL);
	if (!s) {
		printf("# cannot read %s (run from the repository root)\n", path);
		return strdup("");
	}
	/* drop the fixture's own "# ..." label lines: the detector sees only the log */
	char *w = s;
	for (char *line = s; *line;) {
		char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) + 1 : strlen(line);
		if (line[0] != '#') {
			memmove(w, line, len);
			w += len;
		}
		line += len;
	}
	*w = 0;
	return s;
}

static struct transport_observation obs(uint64_t sends, uint64_t shoot, uint64_t tlb, bool tlb_ok)
{
	struct transport_observation o = { true, sends, shoot, tlb, tlb_ok };
	return o;
}

static struct transport_info decide(const char *klog, const char *flags, const char *rel,
				    const struct transport_observation *o)
{
	struct transport_info ti;
	memset(&ti, 0x55, sizeof(ti));
	transport_decide(klog, flags, rel, o, &ti);
	printf("#   -> %s: %s\n", transport_name(ti.transport), ti.evidence);
	return ti;
}

#define has(ti, s) (strstr((ti).evidence, (s)) != NULL)

static void test_names(void)
{
	is_str(transport_name(TRANSPORT_IPI), "ipi", "name ipi");
	is_str(transport_name(TRANSPORT_HYPERVISOR), "hypervisor", "name hypervisor");
	is_str(transport_name(TRANSPORT_BROADCAST), "broadcast", "name broadcast");
	is_str(transport_name(TRANSPORT_UNKNOWN), "unknown", "name unknown");
	is_str(transport_name((enum tlb_transport)42), "unknown", "name out of range");
	is_int(transport_parse("hypervisor"), TRANSPORT_HYPERVISOR, "parse hypervisor");
	is_int(transport_parse("IPI"), TRANSPORT_IPI, "parse is case-insensitive");
	is_int(transport_parse("broadcast"), TRANSPORT_BROADCAST, "parse broadcast");
	is_int(transport_parse("bogus"), TRANSPORT_UNKNOWN, "parse junk -> unknown");
	is_int(transport_parse(NULL), TRANSPORT_UNKNOWN, "parse NULL -> unknown");
	ok(transport_victims_observable(TRANSPORT_IPI), "victims observable on ipi");
	ok(!transport_victims_observable(TRANSPORT_HYPERVISOR), "not on hypervisor");
	ok(!transport_victims_observable(TRANSPORT_BROADCAST), "not on broadcast");
	ok(!transport_victims_observable(TRANSPORT_UNKNOWN), "unknown does not vouch for 0 victims");
	is_str(transport_victims_note(TRANSPORT_HYPERVISOR),
	       "not observable on this machine (remote flushes delivered by the hypervisor)",
	       "hypervisor victims note");
	ok(strstr(transport_victims_note(TRANSPORT_BROADCAST), "INVLPGB") != NULL,
	   "broadcast victims note names INVLPGB");
	ok(strstr(transport_victims_note(TRANSPORT_UNKNOWN), "--probe") != NULL,
	   "unknown note says how to find out");
}

static void test_helpers(void)
{
	ok(transport_release_at_least("6.18.44-fc-v782", 6, 15), "6.18.44-fc-v782 >= 6.15");
	ok(transport_release_at_least("6.15.0", 6, 15), "6.15.0 >= 6.15");
	ok(!transport_release_at_least("6.14.11-300.fc42.x86_64", 6, 15), "6.14 < 6.15");
	ok(transport_release_at_least("7.0-rc1", 6, 15), "7.0 >= 6.15");
	ok(!transport_release_at_least("5.19.0", 6, 15), "5.19 < 6.15");
	ok(!transport_release_at_least("garbage", 6, 15), "junk release -> false");
	ok(!transport_release_at_least(NULL, 6, 15), "NULL release -> false");
	ok(transport_has_flag(pvm_flags, "hypervisor"), "PVM flags have hypervisor");
	ok(!transport_has_flag(pvm_flags, "pcid"), "PVM flags have no pcid");
	ok(transport_has_flag(ipi_vm_flags, "pcid"), "IPI VM flags have pcid");
	ok(!transport_has_flag(ipi_vm_flags, "invlpg"), "flag match is whole-word");
	ok(transport_has_flag(zen_flags, "invlpgb"), "Zen flags (no 'flags :' prefix) have invlpgb");
	ok(!transport_has_flag("flags : fpu\nbugs : invlpgb\n", "invlpgb"), "only the first line");
	ok(!transport_has_flag(NULL, "pcid"), "NULL flags");
}

static void test_pvm(void)
{
	char *klog = fixture("klog-pvm.txt");
	struct transport_observation run = obs(20001, 0, 0, true);
	struct transport_info ti;

	printf("# PVM guest (variant 2): real log\n");
	ti = decide(klog, pvm_flags, "6.18.44-fc-v782", NULL);
	is_int(ti.transport, TRANSPORT_HYPERVISOR, "PVM log alone -> hypervisor");
	ok(has(ti, "kernel log: 'pvm-pv: remote TLB flushes via PVM_HC_FLUSH_TLB_MULTI'"),
	   "evidence quotes the PVM line without its timestamp");

	ti = decide(klog, pvm_flags, "6.18.44-fc-v782", &run);
	is_int(ti.transport, TRANSPORT_HYPERVISOR, "PVM log + silent run -> hypervisor");
	is_str(ti.evidence,
	       "kernel log: 'pvm-pv: remote TLB flushes via PVM_HC_FLUSH_TLB_MULTI'; "
	       "run: 20001 remote sends, 0 remote shootdowns, 0 TLB interrupts",
	       "evidence names the log line and the run");

	/* each of the three line forms alone */
	ti = decide("6,27,263,-;pvm-pv: remote TLB flushes via PVM_HC_FLUSH_TLB_MULTI\n", NULL, NULL,
		    NULL);
	is_int(ti.transport, TRANSPORT_HYPERVISOR, "/dev/kmsg record form");
	ok(has(ti, "'pvm-pv: remote TLB flushes"), "kmsg prefix stripped");
	ti = decide("<6>[    0.000263] pvm-pv: remote TLB flushes via PVM_HC_FLUSH_TLB_MULTI", NULL,
		    NULL, NULL);
	is_int(ti.transport, TRANSPORT_HYPERVISOR, "klogctl form, no trailing newline");
	ok(has(ti, "'pvm-pv: remote TLB flushes"), "syslog level and timestamp stripped");

	/* the PVM machine with a too-small run: log decides, run called inconclusive */
	run = obs(12, 0, 0, true);
	ti = decide(klog, pvm_flags, "6.18.44-fc-v782", &run);
	is_int(ti.transport, TRANSPORT_HYPERVISOR, "PVM log + tiny run -> hypervisor");
	ok(has(ti, "inconclusive"), "tiny run called inconclusive");

	/* no log readable (non-root, dmesg_restrict) but the run shows it */
	run = obs(20001, 0, 0, true);
	ti = decide(NULL, pvm_flags, "6.18.44-fc-v782", &run);
	is_int(ti.transport, TRANSPORT_HYPERVISOR, "no log, silent run in a VM -> hypervisor");
	ok(has(ti, "run: 20001 remote sends"), "evidence is the run");
	free(klog);
}

static void test_other_hypervisors(void)
{
	char *hv = fixture("klog-hyperv.txt"), *xen = fixture("klog-xen-pv.txt");
	char *hvm = fixture("klog-xen-hvm.txt"), *kvm = fixture("klog-kvm.txt");
	struct transport_info ti;
	struct transport_observation run;

	printf("# Hyper-V, Xen PV, Xen HVM, KVM: synthetic logs from the kernels' strings\n");
	ti = decide(hv, ipi_vm_flags, "6.8.0", NULL);
	is_int(ti.transport, TRANSPORT_HYPERVISOR, "Hyper-V log -> hypervisor");
	ok(has(ti, "'Hyper-V: Using hypercall for remote TLB flush'"), "Hyper-V line quoted");
	ti = decide("Dec 11 09:44:20 vm0 kernel: [    0.000000] Using ext hypercall for remote "
		    "TLB flush\n", NULL, NULL, NULL);
	is_int(ti.transport, TRANSPORT_HYPERVISOR, "old 'ext hypercall' line in kern.log form");
	ok(has(ti, "'Using ext hypercall for remote TLB flush'"), "kern.log prefix stripped");

	run = obs(0, 0, 0, true);
	ti = decide(hv, ipi_vm_flags, "6.8.0", &run);
	is_int(ti.transport, TRANSPORT_HYPERVISOR, "Hyper-V log + run without reason 4 -> hypervisor");
	ok(has(ti, "does not fire reason 4"), "evidence says Hyper-V's flush has no reason 4");

	ti = decide(xen, NULL, "4.19.0", NULL);
	is_int(ti.transport, TRANSPORT_HYPERVISOR, "Xen PV log -> hypervisor");
	ok(has(ti, "Booting paravirtualized kernel on Xen'"), "Xen PV line quoted");

	ti = decide(hvm, ipi_vm_flags, "5.4.0-1024-aws", NULL);
	is_int(ti.transport, TRANSPORT_UNKNOWN, "Xen HVM log is not flush evidence -> unknown");

	ti = decide(kvm, ipi_vm_flags, "6.1.0", NULL);
	is_int(ti.transport, TRANSPORT_IPI, "KVM PV flush line alone -> ipi");
	ok(has(ti, "kvm-guest: KVM setup pv remote TLB flush") && has(ti, "preempted"),
	   "KVM evidence says PV flush is for preempted vCPUs only");

	run = obs(5000, 4990, 5010, true);
	ti = decide(kvm, ipi_vm_flags, "6.1.0", &run);
	is_int(ti.transport, TRANSPORT_IPI, "KVM + IPI run -> ipi");
	ok(has(ti, "run: 5000 remote sends, 4990 remote shootdowns") && has(ti, "preempted"),
	   "run decided, KVM line noted");

	run = obs(5000, 0, 0, true);
	ti = decide(kvm, ipi_vm_flags, "6.1.0", &run);
	is_int(ti.transport, TRANSPORT_HYPERVISOR, "KVM + silent run -> hypervisor (run wins)");
	ok(has(ti, "preferring the run"), "says the run overrode the KVM line");

	/* a hypervisor line beats a KVM line in the same log (PVM is KVM-based, nested guests) */
	{
		char both[512];
		snprintf(both, sizeof(both), "%s%s",
			 "[    0.049396] kvm-guest: KVM setup pv remote TLB flush\n",
			 "[    0.000263] pvm-pv: remote TLB flushes via PVM_HC_FLUSH_TLB_MULTI\n");
		ti = decide(both, NULL, NULL, NULL);
		is_int(ti.transport, TRANSPORT_HYPERVISOR, "hypercall line beats KVM line");
		ok(has(ti, "pvm-pv"), "the stronger line is quoted");
	}
	free(hv);
	free(xen);
	free(hvm);
	free(kvm);
}

static void test_ipi_machine(void)
{
	/* variant 1: 20000 munmaps, system-wide reason 1 19817, TLB: delta 19867 */
	struct transport_observation run = obs(20000, 19817, 19867, true);
	struct transport_info ti;

	printf("# IPI machine (variant 1): no PV line, pcid flags\n");
	ti = decide("[    0.000000] Hypervisor detected: KVM\n", ipi_vm_flags, "6.18.44", &run);
	is_int(ti.transport, TRANSPORT_IPI, "reason 1 ~= TLB: delta -> ipi");
	is_str(ti.evidence, "run: 20000 remote sends, 19817 remote shootdowns, 19867 TLB interrupts",
	       "evidence is the run");

	ti = decide("", ipi_vm_flags, "6.18.44", NULL);
	is_int(ti.transport, TRANSPORT_UNKNOWN, "same VM without a run -> unknown");
	ok(has(ti, "no remote-flush line") && has(ti, "--probe"), "unknown says why and what to do");

	run = obs(0, 0, 37, true);
	ti = decide(NULL, ipi_vm_flags, NULL, &run);
	is_int(ti.transport, TRANSPORT_IPI, "TLB: row moving alone -> ipi");

	run = obs(0, 12, 0, false);
	ti = decide(NULL, NULL, NULL, &run);
	is_int(ti.transport, TRANSPORT_IPI, "remote shootdowns without a TLB: row -> ipi");
	ok(has(ti, "no TLB: row"), "evidence says the row is absent");

	ti = decide("", intel_flags, "6.1.0", NULL);
	is_int(ti.transport, TRANSPORT_IPI, "bare metal without INVLPGB -> ipi");
	ok(has(ti, "bare metal"), "evidence says bare metal");
}

static void test_invlpgb(void)
{
	struct transport_info ti;
	struct transport_observation run;

	printf("# INVLPGB (AMD broadcast)\n");
	ti = decide("", zen_flags, "6.15.2", NULL);
	is_int(ti.transport, TRANSPORT_BROADCAST, "invlpgb + 6.15 -> broadcast");
	ok(has(ti, "invlpgb") && has(ti, "4 CPUs"), "evidence names the flag and the 4-CPU rule");

	ti = decide("", zen_flags, "6.14.11", NULL);
	is_int(ti.transport, TRANSPORT_IPI, "invlpgb + 6.14 (unused) on bare metal -> ipi");
	ok(has(ti, "before 6.15"), "evidence says the kernel is too old");

	run = obs(3000, 0, 0, true);
	ti = decide("", zen_flags, "6.16.0", &run);
	is_int(ti.transport, TRANSPORT_BROADCAST, "invlpgb + 6.16 + silent run -> broadcast");

	run = obs(3000, 2990, 3004, true);
	ti = decide("", zen_flags, "6.16.0", &run);
	is_int(ti.transport, TRANSPORT_IPI, "invlpgb + 6.16 + IPI run (small process) -> ipi");
	ok(has(ti, "4+ CPUs"), "evidence says broadcast is only for processes on 4+ CPUs");
}

static void test_disagreements(void)
{
	char *klog = fixture("klog-pvm.txt");
	struct transport_observation run = obs(20000, 19817, 19867, true);
	struct transport_info ti;

	printf("# disagreements: the run wins\n");
	ti = decide(klog, pvm_flags, "6.18.44-fc-v782", &run);
	is_int(ti.transport, TRANSPORT_IPI, "PVM line but the run saw victims -> ipi");
	ok(has(ti, "disagrees with kernel log 'pvm-pv: remote TLB flushes") &&
	   has(ti, "preferring the run"), "evidence states the disagreement");

	run = obs(20000, 0, 0, true);
	ti = decide("", intel_flags, "6.1.0", &run);
	is_int(ti.transport, TRANSPORT_HYPERVISOR, "bare-metal flags but a silent run -> hypervisor");
	ok(has(ti, "disagrees with the cpu flags"), "evidence states that disagreement");

	/* evidence never overflows its buffer, however long the log line */
	{
		char big[4096];
		memset(big, 'x', sizeof(big));
		memcpy(big, "pvm-pv: remote TLB flushes via PVM_HC_FLUSH_TLB_MULTI ", 54);
		big[sizeof(big) - 1] = 0;
		ti = decide(big, zen_flags, "6.18.0", &run);
		is_int(ti.transport, TRANSPORT_HYPERVISOR, "long line still matched");
		ok(strlen(ti.evidence) < sizeof(ti.evidence), "evidence NUL-terminated in bounds");
	}
	free(klog);
}

static void test_nothing(void)
{
	struct transport_info ti;
	struct transport_observation none = { 0 };

	printf("# no evidence\n");
	ti = decide(NULL, NULL, NULL, NULL);
	is_int(ti.transport, TRANSPORT_UNKNOWN, "nothing -> unknown");
	ok(has(ti, "kernel log not readable"), "evidence says the log was not readable");
	ti = decide("", NULL, NULL, &none);
	is_int(ti.transport, TRANSPORT_UNKNOWN, "empty log, invalid run -> unknown");
	none = obs(0, 0, 0, true);
	ti = decide("random line\n", pvm_flags, "6.18.44", &none);
	is_int(ti.transport, TRANSPORT_UNKNOWN, "VM, no line, idle run -> unknown");
	ok(has(ti, "inconclusive"), "idle run called inconclusive");
}

/* A caller's sources object: filled once, decided from many times, never re-read. */
static void test_sources(void)
{
	struct transport_sources src = { 0 };
	struct transport_info ti;

	printf("# transport_sources: what detection reads, held by the caller\n");
	src.klog = fixture("klog-hyperv.txt");
	src.flags = NULL;
	snprintf(src.release, sizeof(src.release), "6.8.0");
	src.read = true;	/* filled by hand: transport_detect_with must not read the machine */
	transport_detect_with(&src, NULL, &ti);
	is_int(ti.transport, TRANSPORT_HYPERVISOR, "decided from the caller's klog");
	transport_detect_with(&src, NULL, &ti);
	is_int(ti.transport, TRANSPORT_HYPERVISOR, "again, same object");
	transport_sources_free(&src);
	ok(!src.klog && !src.flags && !src.read, "freed and emptied");
	/* a { 0 } object is read on first use; the live answer varies, only that it is one */
	transport_detect_with(&src, NULL, &ti);
	ok(src.read && ti.evidence[0], "a { 0 } object is read on first use: %s",
	   transport_name(ti.transport));
	transport_sources_free(&src);
}

/* arm64: the machine decides, whatever the log, flags or a run say (issue 20) */
static void test_arm64(void)
{
	struct transport_observation o = obs(5000, 0, 0, false);
	struct transport_info ti;
	char *pvm = fixture("klog-pvm.txt");

	printf("# arm64: broadcast TLBI, from uname's machine\n");
	ok(transport_machine_is_arm64("aarch64"), "aarch64 is arm64");
	ok(transport_machine_is_arm64("aarch64_be"), "aarch64_be is arm64");
	ok(transport_machine_is_arm64("arm64"), "arm64 is arm64");
	ok(!transport_machine_is_arm64("x86_64"), "x86_64 is not");
	ok(!transport_machine_is_arm64("armv7l"), "armv7l (32-bit arm) is not");
	ok(!transport_machine_is_arm64(NULL) && !transport_machine_is_arm64(""), "unknown is not");

	memset(&ti, 0x55, sizeof(ti));
	transport_decide_machine("aarch64", NULL, NULL, "6.1.0-57-arm64", NULL, &ti);
	printf("#   -> %s: %s\n", transport_name(ti.transport), ti.evidence);
	is_int(ti.transport, TRANSPORT_BROADCAST, "aarch64, nothing else known -> broadcast");
	ok(ti.tlbi, "tlbi set");
	ok(!strncmp(ti.evidence, "hardware broadcast (TLBI)", 25), "evidence starts 'hardware broadcast (TLBI)'");
	ok(has(ti, "machine aarch64"), "evidence names the machine");
	ok(!transport_victims_observable(ti.transport), "victims not observable on arm64");
	is_str(transport_info_victims_note(&ti),
	       "not observable on this machine (remote flushes broadcast by the CPU, arm64 TLBI)",
	       "arm64 victims note names TLBI");
	ok(!strstr(transport_info_victims_note(&ti), "INVLPGB"), "and not INVLPGB");

	memset(&ti, 0x55, sizeof(ti));
	transport_decide_machine("aarch64", pvm, "fp asimd evtstrm", "6.18.0", &o, &ti);
	is_int(ti.transport, TRANSPORT_BROADCAST, "aarch64 with a hypercall log line and a silent run -> broadcast");
	ok(ti.tlbi, "tlbi set");

	memset(&ti, 0x55, sizeof(ti));
	transport_decide_machine("x86_64", pvm, "fpu hypervisor", "6.18.44", NULL, &ti);
	is_int(ti.transport, TRANSPORT_HYPERVISOR, "x86_64 keeps x86's rules (PVM line -> hypervisor)");
	ok(!ti.tlbi, "tlbi clear on x86");
	memset(&ti, 0x55, sizeof(ti));
	transport_decide_machine(NULL, NULL, "fpu invlpgb hypervisor", "6.16.0", NULL, &ti);
	is_int(ti.transport, TRANSPORT_BROADCAST, "unknown machine: x86's rules (invlpgb + 6.16)");
	ok(!ti.tlbi, "tlbi clear for INVLPGB");
	ok(strstr(transport_info_victims_note(&ti), "INVLPGB") != NULL,
	   "INVLPGB broadcast keeps its own note");
	free(pvm);
}

int main(void)
{
	test_names();
	test_helpers();
	test_pvm();
	test_other_hypervisors();
	test_ipi_machine();
	test_invlpgb();
	test_disagreements();
	test_nothing();
	test_sources();
	test_arm64();
	return done_testing();
}
