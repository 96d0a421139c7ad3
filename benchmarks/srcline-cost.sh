#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What inline frames and --srcline cost report (issue 16): `tlbstat report --folded` on FILE (a
# file with call chains, e.g. tests/fixtures/inline-victim.c recorded with --call-graph dwarf)
# three ways: --no-inline (no DWARF read), the default (inline frames) and --srcline, each under
# valgrind's callgrind (instruction counts: steady on a loaded machine) with the calls that show
# the cache at work: cc_add (samples), srcl_lookup (one per user frame of a unique stack) and
# dwarf_getscopes (one per unique address: the DWARF walks). Then wall time and peak RSS, RUNS
# runs each (/usr/bin/time). Reads a file only: no tracepoints, no lock needed.
#   bash benchmarks/srcline-cost.sh FILE [RUNS]
set -eu
file=${1:?usage: srcline-cost.sh FILE [RUNS]}
runs=${2:-3}
TLBSTAT=${TLBSTAT:-build/tlbstat}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
count() {	# CALLGRIND-FILE: calls of a few functions, summed over call sites
	python3 - "$1" <<'PY'
import collections, re, sys
names, calls, cfn = {}, collections.Counter(), None
for line in open(sys.argv[1]):
    m = re.match(r"^(c?fn)=\((\d+)\)(?: (.*))?", line)
    if m:
        if m.group(3):
            names[m.group(2)] = m.group(3)
        cfn = m.group(2) if m.group(1) == "cfn" else cfn
        continue
    m = re.match(r"^calls=(\d+)", line)
    if m and cfn:
        calls[names.get(cfn, cfn)] += int(m.group(1))
print(" ".join("%s %d" % (k, calls[k]) for k in ("cc_add", "srcl_lookup", "dwarf_getscopes")))
PY
}
printf '%-12s %14s  %s\n' mode instructions calls
for mode in --no-inline "" --srcline; do
	valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$TLBSTAT" report -i "$file" \
		--folded $mode >/dev/null 2>"$out/err"
	printf '%-12s %14s  %s\n' "${mode:-default}" "$(awk '/^totals:/ {print $2}' "$out/cg")" \
		"$(count "$out/cg")"
done
echo "# wall s, user s, peak RSS KiB ($runs runs each; load $(cut -d' ' -f1-3 /proc/loadavg))"
for r in $(seq "$runs"); do
	for mode in --no-inline "" --srcline; do
		/usr/bin/time -f "${mode:-default} %e %U %M" "$TLBSTAT" report -i "$file" --folded \
			$mode 2>&1 >/dev/null | tail -1
	done
done
