#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs every unit test ($O/tests/test-*) and every integration test (tests/*.sh), all TAP.
# Prints each test's output, then one closing line "N passed, N failed" over all TAP points.
# TESTS="name ..." runs only those (file names without directory).
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
export O TLBSTAT=${TLBSTAT:-$O/tlbstat} TLBBENCH=${TLBBENCH:-$O/tlbbench}
# A sanitized build (make check-san, SANITIZE=1) reports through these; harmless otherwise. Any
# report fails the test that ran it: UBSan halts (exit != 0), ASan and LSan exit 1 with a report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}
# tlbstat mounts tracefs itself when it is missing; perf, which some tests compare with, does not
if [ "$(id -u)" = 0 ] && [ ! -d /sys/kernel/tracing/events ]; then
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null ||
		echo "# tracefs is not mounted and could not be mounted: tracepoint tests will skip or fail"
fi
pass=0 fail=0 failed_files=()
list=()
for t in "$O"/tests/test-* tests/*.sh; do
	[ -e "$t" ] || continue
	case "$t" in *.d|*.o|tests/run.sh|tests/lib.sh) continue ;; esac
	if [ -n "${TESTS:-}" ]; then
		case " $TESTS " in *" $(basename "$t")"*) ;; *) continue ;; esac
	fi
	list+=("$t")
done
for t in "${list[@]}"; do
	echo "# ---- $t"
	start=$(date +%s)
	if [[ $t == *.sh ]]; then out=$(bash "$t" 2>&1); rc=$?; else out=$("$t" 2>&1); rc=$?; fi
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | grep -c '^ok ' || true)
	f=$(printf '%s\n' "$out" | grep -c '^not ok ' || true)
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "not ok - $t exited $rc"; fi
	pass=$((pass + p)); fail=$((fail + f))
	[ "$f" -gt 0 ] && failed_files+=("$t")
	echo "# $t: $p passed, $f failed ($(( $(date +%s) - start )) s)"
done
[ ${#failed_files[@]} -gt 0 ] && echo "# failing: ${failed_files[*]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
