#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The kernel lab's guests (issues 19 and 20). Always: vm/check_console.py passes a good console and
# fails a bad one (x86 and arm64 consoles), and vm/run_qemu.sh's usage and missing-QEMU errors.
# With TLBSTAT_LAB=1 (the check-stages kernlab stage) and QEMU installed: `vm/run_qemu.sh --smoke`
# boots Debian's 6.1 kernel under TCG, where remote flushes are real IPIs: the guest's remote
# shootdowns within 5 % of its TLB: interrupts, the report naming the victim thread, the probe
# module's table; `vm/run_qemu.sh --arch arm64 --smoke` (qemu-system-aarch64 and $O-arm64's
# binaries) boots Debian's arm64 kernel: tlbstat says what is missing, transport says broadcast
# (TLBI), the arm64 probe's TLBI table. Then the patched kernels' guests (tlb_invalidation, its
# fan-out and kernel_lab counts; on arm64 its count against tlbbench's munmaps);
# TLBSTAT_LAB_PATCHED=0 leaves them out.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# a console as vm/guest-init.sh prints it; $1: remote shootdowns, $2: TLB: interrupts,
# $3: the top pair's victim tid
console() {
	cat <<EOT
[    1.0] Run /init as init process
TLBLAB-JSON info {"kernel": "6.1.0-57-amd64", "cpus": 2, "tlb_invalidation": false, "mmu_notifier_invalidation": false}
TLBLAB-RC info 0
TLBLAB-JSON stat {"transport": "ipi", "reasons": {"remote_shootdown": $1, "remote_ipi_send": $2}, "interrupts_tlb": $2}
TLBLAB-RC stat 0
TLBLAB-JSON bench {"pid": 107, "churn_tids": [109], "probe_tids": [108]}
TLBLAB-RC record 0
TLBLAB-JSON report {"initiator_victim": {"threads": [{"initiator_tid": 109, "victim_tid": $3, "shootdowns": 4371}]}, "victims": [{"pid": 107}]}
TLBLAB-RC report 0
TLBLAB-PROBE # under QEMU TCG: emulation cycles, not hardware
TLBLAB-PROBE operation                    median        p99        min        n
TLBLAB-PROBE invlpg                          120        400         90     2000
TLBLAB-PROBE invpcid_single_address          130        410        100     2000
TLBLAB-PROBE invpcid_single_context          300        700        200     2000
TLBLAB-PROBE cr3_reload                      900       2000        700     2000
TLBLAB-PROBE remote_flush_ipi              90000     400000      60000     2000
TLBLAB-RC probe 0
TLBLAB-DONE
EOT
}
console 5004 5005 108 >"$tmp/good.log"
check "check_console: a good console passes" bash -c "'$PY' vm/check_console.py '$tmp/good.log' >/dev/null"
console 4000 5005 108 >"$tmp/far.log"
check "check_console: remote shootdowns 20 % off the TLB: interrupts fail" \
	bash -c "! '$PY' vm/check_console.py '$tmp/far.log' >/dev/null"
console 5004 5005 109 >"$tmp/victim.log"
check "check_console: a report whose victim is not the probe thread fails" \
	bash -c "! '$PY' vm/check_console.py '$tmp/victim.log' >/dev/null"
grep -v DONE "$tmp/good.log" >"$tmp/cut.log"
check "check_console: a guest that did not reach the end fails" \
	bash -c "! '$PY' vm/check_console.py '$tmp/cut.log' >/dev/null"
grep -v 'PROBE invlpg' "$tmp/good.log" >"$tmp/noprobe.log"
check "check_console: a probe table without invlpg fails" \
	bash -c "! '$PY' vm/check_console.py '$tmp/noprobe.log' >/dev/null"
check "check_console --kernel patched: a stock console lacks the patched events" \
	bash -c "! '$PY' vm/check_console.py --kernel patched '$tmp/good.log' >/dev/null"
expect 2 "unknown option" "run_qemu.sh --bogus: usage error" -- vm/run_qemu.sh --bogus
expect 3 "qemu-system-x86_64-none not found" "run_qemu.sh without QEMU: environment error" -- \
	env QEMU=qemu-system-x86_64-none vm/run_qemu.sh --smoke

# arm64 consoles as vm/guest-init.sh prints them on a stock kernel; $1: tlbstat's line about the
# missing event, $2: transport, $3: the probe's label line, $4: tlb_flush events in the churn
console_arm64() {
	cat <<EOT
[    9.1] Run /init as init process
TLBLAB-JSON info {"kernel": "6.1.0-57-arm64", "arch": "aarch64", "cpus": 2, "uptime_s": 9.52, "tlb_flush": true, "tlb_invalidation": false, "mmu_notifier_invalidation": false}
TLBLAB-RC info 0
TLBLAB-JSON transport {"schema_version": 1, "transport": "$2", "victims_observable": false}
TLBLAB-OUT transport  transport: $2
TLBLAB-OUT transport  evidence:  arm64: remote flushes are TLBI ... IS instructions broadcast by the CPU
TLBLAB-RC transport 0
TLBLAB-JSON silent {"tlb_flush_events": $4}
TLBLAB-JSON silentbench {"munmaps": 200, "pid": 90, "churn_tids": [92], "probe_tids": [91]}
TLBLAB-RC silent 0
TLBLAB-OUT stat $1
TLBLAB-RC stat-missing 3
TLBLAB-PROBE # under QEMU TCG: $3
TLBLAB-PROBE operation            median        p99        min        n    median_ns
TLBLAB-PROBE baseline                  4          5          3     2000       64.000
TLBLAB-PROBE barriers                  4          5          3     2000       64.000
TLBLAB-PROBE vale1is                  44       2626         35     2000      704.000
TLBLAB-PROBE vale1is_sync             35        975         34     2000      560.000
TLBLAB-PROBE vaae1is                  35         98         33     2000      560.000
TLBLAB-PROBE vaae1is_sync             35        134         33     2000      560.000
TLBLAB-PROBE aside1is                146       1832        134     2000     2336.000
TLBLAB-PROBE aside1is_sync           141        176        132     2000     2256.000
TLBLAB-PROBE vmalle1is               143        202        134     2000     2288.000
TLBLAB-PROBE vmalle1is_sync          141       1829        130     2000     2256.000
$(printf 'TLBLAB-OUT probe-log [   40.1] tlbprobe: %-16s median 40 ticks, p99 900, min 33 (n=2000, batch 1; median 640.000 ns/op)\n' \
	baseline barriers vale1is vale1is_sync vaae1is vaae1is_sync aside1is aside1is_sync vmalle1is vmalle1is_sync)
TLBLAB-RC probe 0
TLBLAB-OUT end uptime 36.20 s
TLBLAB-DONE
EOT
}
miss="tlbstat: tlb:tlb_flush not available: this arm64 kernel never fires it"
label="TCG timings are emulation, not hardware"
a64() { "$PY" vm/check_console.py --arch arm64 "$@" >/dev/null; }
fails() { ! "$@"; }
console_arm64 "$miss" broadcast "$label" 0 >"$tmp/a64.log"
check "check_console --arch arm64: a good stock console passes" a64 "$tmp/a64.log"
console_arm64 "tlbstat: counting 0 invalidations" broadcast "$label" 0 >"$tmp/a64-nomiss.log"
check "check_console --arch arm64: without tlbstat's missing-event message it fails" \
	fails a64 "$tmp/a64-nomiss.log"
console_arm64 "$miss" unknown "$label" 0 >"$tmp/a64-tr.log"
check "check_console --arch arm64: a transport other than broadcast fails" \
	fails a64 "$tmp/a64-tr.log"
console_arm64 "$miss" broadcast "emulation cycles" 0 >"$tmp/a64-label.log"
check "check_console --arch arm64: a probe table without the TCG label fails" \
	fails a64 "$tmp/a64-label.log"
console_arm64 "$miss" broadcast "$label" 17 >"$tmp/a64-fired.log"
check "check_console --arch arm64: a tlb:tlb_flush that fired on arm64 fails" \
	fails a64 "$tmp/a64-fired.log"
grep -v 'vmalle1is_sync' "$tmp/a64.log" >"$tmp/a64-row.log"
check "check_console --arch arm64: a probe table without vmalle1is_sync fails" \
	fails a64 "$tmp/a64-row.log"
sed 's/aside1is  *146  *1832/aside1is 146 100/' "$tmp/a64.log" >"$tmp/a64-p99.log"
check "check_console --arch arm64: a row whose p99 is below its median fails" \
	fails a64 "$tmp/a64-p99.log"
grep -v 'probe-log .*aside1is_sync' "$tmp/a64.log" >"$tmp/a64-log.log"
check "check_console --arch arm64: a kernel log without the probe's aside1is_sync row fails" \
	fails a64 "$tmp/a64-log.log"
check "check_console: an arm64 console fails the x86 checks" \
	bash -c "! '$PY' vm/check_console.py '$tmp/a64.log' >/dev/null"

# a patched arm64 console; $1: stat's count, $2: tlbbench's munmaps, $3: the report's first thread
console_arm64_patched() {
	cat <<EOT
TLBLAB-JSON info {"kernel": "6.1.192-tlblab", "arch": "aarch64", "cpus": 2, "uptime_s": 2.1, "tlb_flush": true, "tlb_invalidation": true, "mmu_notifier_invalidation": false}
TLBLAB-RC info 0
TLBLAB-JSON transport {"schema_version": 1, "transport": "broadcast", "victims_observable": false}
TLBLAB-OUT transport  transport: broadcast (TLBI)
TLBLAB-RC transport 0
TLBLAB-JSON stat {"total": $1, "transport": "broadcast"}
TLBLAB-JSON statbench {"munmaps": $2, "pid": 80, "churn_tids": [82], "probe_tids": [81]}
TLBLAB-JSON ftrace {"tlbbench_events": ${4:-$1}, "overruns": 0}
TLBLAB-RC stat 0
TLBLAB-JSON bench {"munmaps": 5000, "pid": 90, "churn_tids": [92], "probe_tids": [91]}
TLBLAB-RC record 0
TLBLAB-JSON report {"events": {"tlb_flush": 0, "tlb_invalidation": 5003}, "threads": [{"pid": 90, "tid": 90, "comm": "tlbbench", "invalidations": 0, "kernel_lab": {"decisions": 18}}, {"pid": 90, "tid": $3, "comm": "tlbbench", "invalidations": 0, "kernel_lab": {"decisions": 5000, "page_decisions": 5000, "range_flushed_whole": 0, "asked_full": 0}}]}
TLBLAB-RC report 0
$(console_arm64 "$miss" broadcast "$label" 0 | grep -E 'PROBE|probe-log|RC probe|DONE')
EOT
}
a64p() { "$PY" vm/check_console.py --arch arm64 --kernel patched "$@" >/dev/null; }
console_arm64_patched 5004 5000 92 >"$tmp/a64p.log"
check "check_console --arch arm64 --kernel patched: a good patched console passes" a64p "$tmp/a64p.log"
console_arm64_patched 10018 5000 92 >"$tmp/a64p-two.log"
check "check_console --arch arm64 --kernel patched: two flushes per munmap (a freed page table), stat as tracefs: passes" \
	a64p "$tmp/a64p-two.log"
console_arm64_patched 4000 5000 92 5004 >"$tmp/a64p-far.log"
check "check_console --arch arm64 --kernel patched: stat 20 % off tracefs's count fails" \
	fails a64p "$tmp/a64p-far.log"
console_arm64_patched 2000 5000 92 >"$tmp/a64p-few.log"
check "check_console --arch arm64 --kernel patched: tracefs with fewer events than munmaps fails" \
	fails a64p "$tmp/a64p-few.log"
console_arm64_patched 5004 5000 91 >"$tmp/a64p-thread.log"
check "check_console --arch arm64 --kernel patched: a report whose first thread is not the churn fails" \
	fails a64p "$tmp/a64p-thread.log"
check "check_console --arch arm64 --kernel patched: a stock console lacks tlb_invalidation" \
	fails a64p "$tmp/a64.log"
expect 2 "x86 or arm64" "run_qemu.sh --arch sparc: usage error" -- vm/run_qemu.sh --arch sparc
expect 3 "qemu-system-aarch64-none not found" "run_qemu.sh --arch arm64 without QEMU: environment error" -- \
	env QEMU=qemu-system-aarch64-none vm/run_qemu.sh --arch arm64 --smoke

if [ -z "${TLBSTAT_LAB:-}" ]; then
	skip "guest boots: run by scripts/check-stages.sh's kernlab stage (TLBSTAT_LAB=1)"; finish; exit
fi

# x86: the stock guest's smoke, then (unless TLBSTAT_LAB_PATCHED=0) the patched kernel's guest
x86_smoke() {
	if ! command -v qemu-system-x86_64 >/dev/null; then
		skip "qemu-system-x86_64 not installed (scripts/install-deps.sh)"; return
	fi
	start=$(date +%s)
	vm/run_qemu.sh --smoke --timeout 300 >"$tmp/smoke.out" 2>&1
	rc=$?
	sed 's/^/# /' "$tmp/smoke.out"
	check "vm/run_qemu.sh --smoke: every guest check passes (exit $rc, $(( $(date +%s) - start )) s)" \
		test $rc -eq 0
	check "... the guest counted remote shootdowns against its TLB: interrupts" \
		grep -q '^ok - remote shootdowns .* within 5% of the guest' "$tmp/smoke.out"
	check "... and its report named the victim thread" \
		grep -q '^ok - report names the victim' "$tmp/smoke.out"
	check "... and the probe module printed its cycle table" \
		grep -q "^ok - the probe's table" "$tmp/smoke.out"
}

# the patched kernel (patches/): a cold build takes 8-11 minutes on 2 cores, once per key (warm:
# about 75 s, the tree cached outside the clone in /var/cache/tlbstat-vm/kbuild)
x86_patched() {
	command -v qemu-system-x86_64 >/dev/null || return 0
	start=$(date +%s)
	vm/run_qemu.sh --patched --timeout 300 >"$tmp/patched.out" 2>&1
	rc=$?
	sed 's/^/# /' "$tmp/patched.out" | grep -v '^# build_kernel: ' | tail -30
	check "vm/run_qemu.sh --patched: every guest check passes (exit $rc, $(( $(date +%s) - start )) s)" \
		test $rc -eq 0
	check "... the report counted tlb_invalidation events" \
		grep -q '^ok - report: tlb_invalidation events' "$tmp/patched.out"
	check "... and took the churn's fan-out from target_cpus" \
		grep -q "^ok - report: the churn's remote requests come from target_cpus" "$tmp/patched.out"
	check "... and counted mmu_notifier_invalidation under the probe's notifier" \
		grep -q "^ok - report: mmu_notifier_invalidation events" "$tmp/patched.out"
	check "... and its kernel_lab counts showed the churn's decisions, bytes asked and target CPUs" \
		grep -q "^ok - report: kernel_lab shows tlbbench's decisions" "$tmp/patched.out"
	check "... and the notifier invalidations once each" \
		grep -q "^ok - report: kernel_lab counts the notifier invalidations" "$tmp/patched.out"
}

# arm64 (issue 20): needs qemu-system-aarch64 and the cross-built binaries in build-arm64
A64_O=${O_ARM64:-${O:-build}-arm64}   # as tests/arm64-build.sh builds it (the suite stage)
arm64_ready() {
	if ! command -v qemu-system-aarch64 >/dev/null; then
		skip "arm64 guest$1: qemu-system-aarch64 not installed (scripts/install-deps.sh)"
		return 1
	fi
	if [ ! -x "$A64_O/tlbstat" ] || [ ! -x "$A64_O/tlbbench" ]; then
		skip "arm64 guest$1: $A64_O/tlbstat and tlbbench not built (make ARCH=arm64 O=$A64_O)"
		return 1
	fi
}

arm64_smoke() {
	arm64_ready "" || return 0
	start=$(date +%s)
	O=$A64_O vm/run_qemu.sh --arch arm64 --smoke --timeout 300 >"$tmp/a64-smoke.out" 2>&1
	rc=$?
	sed 's/^/# /' "$tmp/a64-smoke.out"
	check "vm/run_qemu.sh --arch arm64 --smoke: every guest check passes (exit $rc, $(( $(date +%s) - start )) s)" \
		test $rc -eq 0
	check "... tlbstat said what is missing on the stock arm64 kernel" \
		grep -q '^ok - tlbstat stat says the tracepoint is missing' "$tmp/a64-smoke.out"
	check "... transport said broadcast (TLBI)" \
		grep -q '^ok - transport --json: broadcast' "$tmp/a64-smoke.out"
	check "... and the arm64 probe printed its TLBI table, labelled as TCG's" \
		grep -q "^ok - the probe's table is labelled" "$tmp/a64-smoke.out"
}

arm64_patched() {
	arm64_ready " (patched)" || return 0
	if ! grep -q -- '--arch' vm/build_kernel.sh; then
		skip "arm64 patched guest: vm/build_kernel.sh has no --arch arm64 yet"; return 0
	fi
	start=$(date +%s)
	O=$A64_O vm/run_qemu.sh --arch arm64 --patched --timeout 300 >"$tmp/a64-patched.out" 2>&1
	rc=$?
	sed 's/^/# /' "$tmp/a64-patched.out" | grep -v '^# build_kernel: ' | tail -30
	check "vm/run_qemu.sh --arch arm64 --patched: every guest check passes (exit $rc, $(( $(date +%s) - start )) s)" \
		test $rc -eq 0
	check "... stat counted tlb_invalidation within 5 % of tracefs's count of the same events" \
		grep -q '^ok - stat counts tlb_invalidation .* of the same events in tracefs' "$tmp/a64-patched.out"
	check "... and the report named the churning thread" \
		grep -q '^ok - report names the churning thread' "$tmp/a64-patched.out"
}

x86_smoke
arm64_smoke
if [ "${TLBSTAT_LAB_PATCHED:-1}" = 0 ]; then
	skip "patched-kernel guests: left out (TLBSTAT_LAB_PATCHED=0)"; finish; exit
fi
x86_patched
arm64_patched
finish
