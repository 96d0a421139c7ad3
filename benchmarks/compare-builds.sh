#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Two tlbstat builds side by side on the same load, interleaved, medians: for a refactor that must
# not change what stat/record/top/report cost or count (issue 13's "figures unchanged within noise").
#   benchmarks/compare-builds.sh BASE_TLBSTAT NEW_TLBSTAT [--runs N] [--ops N] [--out DIR]
# For each build and run:
#   stat    `stat -a --json` counting `tlbbench mmap --threads 1 --probe-threads 1
#           --ops OPS --json`: the churn's ops/s (its own clock) and the invalidations counted;
#   record  `record -a -q -e tlb` of the same churn: ops/s, samples written, lost, recorder's peak RSS;
#   top     `top -b -d 0.5 -n 6` beside the churn (--duration 3): top's CPU seconds (user+sys);
#   report  `report --json` of one shared file of >= 300k samples: wall seconds, peak RSS.
# Prints one Markdown table (median of the runs, and NEW/BASE); raw rows in DIR/raw.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
base=$(realpath "$1") new=$(realpath "$2"); shift 2
runs=5 ops=30000 out=""
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--ops) ops=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "compare-builds.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
O=${O:-build}
TLBBENCH=${TLBBENCH:-$O/tlbbench}
PY=${PY:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3 )}
out=${out:-out/compare-builds-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null
raw=$out/raw.csv
echo "run,build,measure,value" > "$raw"
row() { echo "$1,$2,$3,$4" >> "$raw"; }
jf() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[k]
print(d)' "$1" "$2"; }
tv() { awk -F': ' -v k="$2" '$1 ~ k { print $2 }' "$1"; }
churn=("$TLBBENCH" mmap --threads 1 --probe-threads 1 --ops "$ops" --json)

# one shared file for report: record the churn once with the base build
"$base" record -a -q -e tlb -o "$out/big.data" -- "$TLBBENCH" mmap --threads 1 --ops 150000 >/dev/null

for r in $(seq 1 "$runs"); do
	for b in base new; do
		bin=$base; [ $b = new ] && bin=$new
		"$bin" stat -a --json -o "$out/stat.json" -- "${churn[@]}" > "$out/churn.json"
		row "$r" $b stat_ops_per_s "$(jf "$out/churn.json" ops_per_s)"
		row "$r" $b stat_invalidations "$(jf "$out/stat.json" total)"
		rm -f "$out/r.data"
		/usr/bin/time -v -o "$out/time.txt" "$bin" record -a -q -e tlb -o "$out/r.data" -- "${churn[@]}" > "$out/churn.json"
		row "$r" $b record_ops_per_s "$(jf "$out/churn.json" ops_per_s)"
		row "$r" $b record_peak_rss_kib "$(tv "$out/time.txt" 'Maximum resident')"
		"$bin" report -i "$out/r.data" --json > "$out/rep.json"
		row "$r" $b record_samples "$(jf "$out/rep.json" samples)"
		row "$r" $b record_lost "$(jf "$out/rep.json" lost)"
		"$TLBBENCH" mmap --threads 1 --duration 3 > /dev/null &
		cp=$!
		/usr/bin/time -v -o "$out/time.txt" "$bin" top -b -d 0.5 -n 6 > /dev/null
		wait $cp
		u=$(tv "$out/time.txt" 'User time'); s=$(tv "$out/time.txt" 'System time')
		row "$r" $b top_cpu_s "$("$PY" -c "print($u + $s)")"
		s0=$(date +%s%N)
		/usr/bin/time -v -o "$out/time.txt" "$bin" report -i "$out/big.data" --json > /dev/null
		row "$r" $b report_wall_s "$("$PY" -c "print(($(date +%s%N) - $s0) / 1e9)")"
		row "$r" $b report_peak_rss_kib "$(tv "$out/time.txt" 'Maximum resident')"
	done
done
"$PY" - "$raw" "$("$base" report -i "$out/big.data" --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["samples"])')" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
measures = []
for r in rows:
    if r["measure"] not in measures:
        measures.append(r["measure"])
print("| measure | base (median) | new (median) | new/base |")
print("|---|---|---|---|")
for m in measures:
    med = {b: statistics.median(float(r["value"]) for r in rows if r["measure"] == m and r["build"] == b)
           for b in ("base", "new")}
    ratio = med["new"] / med["base"] if med["base"] else float("nan")
    print(f"| {m} | {med['base']:.6g} | {med['new']:.6g} | {ratio:.3f} |")
print(f"\n(report on a file of {sys.argv[2]} samples; {len(rows) // (2 * len(measures))} runs)")
EOF
