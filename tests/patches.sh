#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The kernel lab's patches (issues 19 and 20): scripts/check-patches.sh applies patches/*.patch
# to linux-source-6.1 and runs its checkpatch.pl; a patch whose context is gone must be refused
# with a message that says so. Unpacks part of the 150 MB tarball (about 20 s): the check-stages
# "kernlab" stage runs it (TLBSTAT_LAB=1); the plain suite skips it.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ -z "${TLBSTAT_LAB:-}" ]; then
	skip "kernel lab: run by scripts/check-stages.sh's kernlab stage (TLBSTAT_LAB=1)"; finish; exit
fi
if [ ! -f "${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}" ]; then
	skip "linux-source-6.1 not installed (scripts/install-deps.sh)"; finish; exit
fi
out=$(scripts/check-patches.sh 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
check "check-patches.sh: every patch applies and passes checkpatch (exit $rc)" test $rc -eq 0
n=$(ls patches/*.patch | wc -l)
check "one 'applies' and one 'passes checkpatch' line per patch ($n)" \
	test "$(printf '%s\n' "$out" | grep -c '^ok - .* applies to linux-source-6.1')" -eq "$n" -a \
	"$(printf '%s\n' "$out" | grep -c '^ok - .* passes checkpatch.pl')" -eq "$n"
check "the tlb patch fires tlb_invalidation in flush_tlb_mm_range" \
	grep -q '^+.*trace_tlb_invalidation(' patches/0001-*.patch
# the arm64 patch (issue 20): the same event from the three user invalidation paths of
# asm/tlbflush.h, through the out-of-line helper, always a broadcast
arm=$(ls patches/0003-*.patch 2>/dev/null | head -1)
check "the arm64 patch is there (patches/0003-*.patch)" test -n "$arm"
if [ -n "$arm" ]; then
	for fn in flush_tlb_mm __flush_tlb_range flush_tlb_page_nosync; do
		n=$(awk -v fn="$fn" '/^@@ /{f = index($0, " " fn "(") > 0} /^[-+ ]static inline void /{
			f = index($0, " " fn "(") > 0} f && /^\+.*tlbi_trace_user\(/{c++} END{print c+0}' "$arm")
		check "arm64: $fn fires tlb_invalidation ($n call sites)" test "$n" -ge 1
	done
	check "arm64: the helper fires it with target_cpus -1 (broadcast TLBI IS)" \
		grep -q '^+	trace_tlb_invalidation(start, end, range_size, -1);$' "$arm"
	check "arm64: the inline paths test the static key first" \
		grep -q '^+	if (tracepoint_enabled(tlb_invalidation))$' "$arm"
	# the event is defined once, by 0001: the arm64 patch alone does not apply
	scripts/check-patches.sh "$arm" >"$tmp/alone.out" 2>&1
	rc=$?
	check "the arm64 patch without 0001: check-patches.sh exits 1 (got $rc)" test $rc -eq 1
	check "... and says it does not apply" \
		grep -q 'does not apply to linux-source-6.1' "$tmp/alone.out"
fi
# a patch whose context moved (what a new linux-source-6.1 can do) is refused, and said so
sed 's/^ 	struct flush_tlb_info \*info;$/ 	struct flush_tlb_info *moved;/' patches/0001-*.patch >"$tmp/moved.patch"
scripts/check-patches.sh "$tmp/moved.patch" >"$tmp/moved.out" 2>&1
rc=$?
check "a patch that no longer applies: check-patches.sh exits 1 (got $rc)" test $rc -eq 1
check "... and says it does not apply" grep -q 'does not apply to linux-source-6.1' "$tmp/moved.out"
# checkpatch really runs: a style error in an otherwise applying patch fails
sed 's/^+	range_size = end == TLB_FLUSH_ALL ? 0 : end - start;$/+	range_size = end == TLB_FLUSH_ALL ? 0 : end - start; /' \
	patches/0001-*.patch >"$tmp/style.patch"
check "a trailing space in a patch fails checkpatch" bash -c \
	"! scripts/check-patches.sh '$tmp/style.patch' >/dev/null 2>&1"
finish
