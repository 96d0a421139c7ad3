#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# report --folded on >= 1M frame-pointer call-chain samples beside perf (issue 16: >= 3x faster
# than `perf report --stdio --no-children -g folded`, RSS bounded by unique stacks):
#  1. one file by `tlbstat record -g -e tlb` and one by `perf record -g -e tlb:tlb_flush`, each
#     of `tlbbench mprotect --threads 1 --ops OPS` (one local flush per mprotect: OPS samples);
#  2. each file read REPORT_RUNS times by `tlbstat report --folded` and by `perf report --stdio
#     --no-children -g folded --sort comm`, interleaved: medians of wall, CPU (user + sys) and
#     peak RSS; the ratio perf/tlbstat.
# Prints a Markdown table; raw rows as CSV under --out.
#   benchmarks/folded.sh [--ops N] [--report-runs N] [--out DIR]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ops=1000000 report_runs=3 out=""
while [ $# -gt 0 ]; do
	case $1 in
	--ops) ops=$2; shift 2 ;;
	--report-runs) report_runs=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '3,12p' "$0"; exit 0 ;;
	*) echo "folded.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
need_root
need_built "$TLBSTAT" "$TLBBENCH"
need_perf
need_time
out=${out:-$(default_out folded)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
churn=("$TLBBENCH" mprotect --threads 1 --ops "$ops" --probe-threads 0)
if [ ! -s "$out/t.data" ]; then
	"$TLBSTAT" record -q -g -e tlb -o "$out/t.data" -- "${churn[@]}" >/dev/null
fi
if [ ! -s "$out/p.data" ]; then
	perf record -q -g -e tlb:tlb_flush -o "$out/p.data" -- "${churn[@]}" >/dev/null 2>&1
fi
csv=$out/folded.csv
echo "file,reader,run,wall_s,cpu_s,peak_rss_kib,samples,stacks" >"$csv"
for f in t p; do
	n=$("$TLBSTAT" report -i "$out/$f.data" --json 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["samples"])')
	for r in $(seq 1 "$report_runs"); do
		for reader in tlbstat perf; do
			if [ $reader = tlbstat ]; then
				cmd=("$TLBSTAT" report -i "$out/$f.data" --folded)
			else
				cmd=(perf report -i "$out/$f.data" --stdio --no-children -g folded --sort comm)
			fi
			/usr/bin/time -f '%e %U %S %M' -o "$out/time.txt" "${cmd[@]}" >"$out/$reader.out" 2>/dev/null
			read -r w u s m <"$out/time.txt"
			echo "$f,$reader,$r,$w,$("$PY" -c "print($u + $s)"),$m,$n,$(wc -l <"$out/$reader.out")" >>"$csv"
		done
	done
done
"$PY" - "$csv" <<'PY'
import csv, statistics as st, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print("| file | samples | reader | wall (s) | CPU (s) | peak RSS (MiB) | output lines | perf / tlbstat (wall, CPU) |")
print("|---|---|---|---|---|---|---|---|")
for f, name in (("t", "tlbstat record -g"), ("p", "perf record -g")):
    med = {}
    for reader in ("tlbstat", "perf"):
        rs = [r for r in rows if r["file"] == f and r["reader"] == reader]
        med[reader] = [st.median(float(r[k]) for r in rs) for k in ("wall_s", "cpu_s", "peak_rss_kib")]
        med[reader].append(rs[0]["stacks"])
        n = int(rs[0]["samples"])
    for reader in ("tlbstat", "perf"):
        w, c, m, lines = med[reader]
        ratio = "" if reader == "tlbstat" else "%.1fx, %.1fx" % (w / med["tlbstat"][0], c / max(med["tlbstat"][1], 0.01))
        cmd = "report --folded" if reader == "tlbstat" else "perf report -g folded"
        print(f"| {name} | {n:,} | {cmd} | {w:.2f} | {c:.2f} | {m / 1024:.1f} | {lines} | {ratio} |")
PY
