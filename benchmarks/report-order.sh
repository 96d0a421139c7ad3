#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# report on a file whose rounds go back in time (issue 14): N copies of a recorded tlb_flush
# sample, one per round, 1 s apart (one report interval each), in time order and reversed
# (tests/perfdata.py order), and "pids": each sample from a process of its own, 7 s apart; each
# read by `tlbstat report --json` R times; prints the median wall time and peak RSS of each, for
# every binary given (e.g. a build before the fix).
#   benchmarks/report-order.sh [-n 131072] [-r 3] [tlbstat ...]    (default build/tlbstat)
set -euo pipefail
cd "$(dirname "$0")/.."
n=131072 runs=3
while getopts n:r: o; do
	case $o in n) n=$OPTARG ;; r) runs=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- build/tlbstat
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for o in sorted reversed; do
	python3 tests/perfdata.py order tests/data/tlbstat-ipi.data "$T/$o.data" "$n" $o
done
python3 tests/perfdata.py order tests/data/tlbstat-ipi.data "$T/pids.data" "$n" sorted 7000000000 pids
printf '%-40s %-9s %10s %10s\n' binary order "median s" "max RSS MiB"
for bin in "$@"; do
	for o in sorted reversed pids; do
		: >"$T/times"
		for _ in $(seq "$runs"); do
			/usr/bin/time -f '%e %M' -o "$T/t" "$bin" report --json -i "$T/$o.data" >/dev/null 2>&1
			cat "$T/t" >>"$T/times"
		done
		sort -n "$T/times" | awk -v b="$bin" -v o="$o" '{t[NR]=$1; if ($2 > m) m = $2}
			END {printf "%-40s %-9s %10.2f %10.1f\n", b, o, t[int((NR + 1) / 2)], m / 1024}'
	done
done
