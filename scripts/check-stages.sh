#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make check`'s stages, each timed ("# stage suite: 83 s"), stopping at the first that fails:
#   suite      unit and integration tests of $O (tests/run.sh)
#   sanitize   the same suite built with ASan+LSan and UBSan into $O-san (make check-san)
#   fuzz       the fuzz targets' regression run, when the Makefile has fuzz-regress and clang
#              is installed (FUZZ_SECONDS per target, default 30; FUZZ_JOBS at a time, default
#              the CPUs, at most 2)
#   kernlab    the kernel lab (issue 19): patches apply and pass checkpatch (tests/patches.sh,
#              35-70 s), and the stock 6.1 guest's smoke under QEMU/TCG (tests/vm.sh:
#              vm/run_qemu.sh --smoke, 23-140 s warm, by load; cold adds the kernel and headers
#              downloads, about 40 s); skipped when neither QEMU (x86_64, aarch64) is installed;
#              and the patched-kernel guest (21 s warm; a cold kernel build, cached outside
#              the clone in /var/cache/tlbstat-vm keyed by source, config and patches, 8-11
#              minutes; TLBSTAT_LAB_PATCHED=0 leaves it out). Measured: 79 s warm in all.
#              The arm64 guests (issue 20, tests/vm.sh: vm/run_qemu.sh --arch arm64) run
#              beside them when qemu-system-aarch64 is installed and $O-arm64 is built (the
#              suite stage builds it: tests/arm64-build.sh)
# The CI budget (issue 14): warm under 20 minutes, cold under 60. Closes, like tests/run.sh,
# with "N passed, N failed": the sum of the stages' own closing lines.
set -u
set -o pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
MAKE=${MAKE:-make}
total=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# the closing line: every stage's "N passed, N failed" summed
tally() {
	local p f
	read -r p f < <(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" |
		awk '{p += $1; f += $3} END {print p + 0, f + 0}')
	echo "$p passed, $f failed"
}

# stage NAME COMMAND...: run it, print its wall time, exit with its status when it fails
stage() {
	local name=$1 start rc
	shift
	echo "# stage $name: start"
	start=$(date +%s)
	"$@" 2>&1 | tee -a "$log"
	rc=$?
	echo "# stage $name: $(( $(date +%s) - start )) s$([ $rc -ne 0 ] && echo ", FAILED (exit $rc)")"
	total=$(( total + $(date +%s) - start ))
	if [ $rc -ne 0 ]; then
		echo "# stages: ${total} s in all, stopped at $name"
		tally
		exit $rc
	fi
}

stage suite $MAKE --no-print-directory O="$O" check-suite
stage sanitize $MAKE --no-print-directory O="$O" check-san
if $MAKE -n fuzz-regress >/dev/null 2>&1 && command -v clang >/dev/null; then
	jobs=${FUZZ_JOBS:-$(nproc)}; [ "$jobs" -gt 2 ] && jobs=2
	stage fuzz $MAKE --no-print-directory -j"$jobs" fuzz-regress FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
else
	echo "# stage fuzz: skipped ($( $MAKE -n fuzz-regress >/dev/null 2>&1 &&
		echo "clang not installed" || echo "no fuzz-regress target"))"
fi
if command -v qemu-system-x86_64 >/dev/null || command -v qemu-system-aarch64 >/dev/null; then
	stage kernlab env TLBSTAT_LAB=1 O="$O" TESTS="patches.sh vm.sh" bash tests/run.sh
else
	echo "# stage kernlab: skipped (neither qemu-system-x86_64 nor qemu-system-aarch64 installed: scripts/install-deps.sh)"
fi
echo "# stages: ${total} s in all"
tally
