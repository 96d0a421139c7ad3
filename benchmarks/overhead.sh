#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Overhead of counting: a TLB-heavy churn run bare, under `tlbstat stat -a` and under
# `perf stat -e tlb:tlb_flush -a`, interleaved, RUNS times each. The churn times itself
# (tlbbench --json: ops_per_s), so start-up of the counting tool is not charged to it.
# Prints a Markdown table and the median slowdown ratios; writes the raw runs as CSV.
#   benchmarks/overhead.sh [--runs N] [--ops N] [--out DIR]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=5 ops=30000 out=""
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--ops) ops=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '3,9p' "$0"; exit 0 ;;
	*) echo "overhead.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
out=${out:-$(default_out overhead)}
mkdir -p "$out"
need_built "$TLBSTAT" "$TLBBENCH"
need_perf

churn=("$TLBBENCH" mmap --threads 1 --ops "$ops" --json)
csv=$out/overhead.csv
echo "run,mode,ops_per_s,duration_s" >"$csv"
one() { # mode -> prints ops_per_s,duration_s of the churn
	local j
	case $1 in
	bare) j=$("${churn[@]}") ;;
	tlbstat) j=$("$TLBSTAT" stat -a -o /dev/null -- "${churn[@]}") ;;
	perf) j=$(perf stat -e tlb:tlb_flush -a -o /dev/null -- "${churn[@]}") ;;
	esac
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("%s,%s" % (d["ops_per_s"], d["duration_s"]))' "$j"
}
for r in $(seq 1 "$runs"); do
	for m in bare tlbstat perf; do
		echo "$r,$m,$(one $m)" >>"$csv"
	done
done
python3 - "$csv" "$ops" "$runs" <<'PY' | tee "$out/overhead.md"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
med = {m: statistics.median(float(r["duration_s"]) for r in rows if r["mode"] == m)
       for m in ("bare", "tlbstat", "perf")}
ops = {m: statistics.median(float(r["ops_per_s"]) for r in rows if r["mode"] == m) for m in med}
print(f"churn: tlbbench mmap --threads 1 --ops {sys.argv[2]}, {sys.argv[3]} interleaved runs each, medians\n")
print("| mode | churn time (s) | munmaps/s | slowdown vs bare |")
print("|---|---|---|---|")
for m, label in (("bare", "bare"), ("tlbstat", "tlbstat stat -a"), ("perf", "perf stat -e tlb:tlb_flush -a")):
    print(f"| {label} | {med[m]:.3f} | {ops[m]:.0f} | {med[m] / med['bare']:.3f} |")
print(f"\ntlbstat/perf time ratio: {med['tlbstat'] / med['perf']:.3f}")
PY
echo "raw runs: $csv"
