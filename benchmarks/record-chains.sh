#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What call chains cost `tlbstat record` (issue 16: "record keeps kernel-only chains by default
# under the same rule" as top's CAUSE column: less than 0.5 % of one core added): the churn
# `tlbbench mmap --threads 1 --duration S --probe-threads 0 --json` (it times itself: ops_per_s)
# alone, then beside `tlbstat record -a -e tlb -- sleep S` with no chains, with
# --kernel-callchains and with -g, interleaved, RUNS rounds. Per mode, medians over rounds of:
# the churn's ops/s and its slowdown against the same round's bare run (the kernel walks the
# chains in the churn's context), the recorder's own CPU (utime + stime, /usr/bin/time) as % of
# one core and per 100k samples/s, samples/s, and file bytes per sample. Prints a Markdown
# table; raw rows as CSV under --out.
#   benchmarks/record-chains.sh [--runs N] [--seconds S] [--out DIR]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=5 secs=3 out=""
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--seconds) secs=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '3,9p' "$0"; exit 0 ;;
	*) echo "record-chains.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
need_root "system-wide tracepoints"
need_built "$TLBSTAT" "$TLBBENCH"
need_time
out=${out:-$(default_out record-chains)}
mkdir -p "$out"
csv=$out/chains.csv
echo "run,mode,ops_per_s,wall_s,cpu_s,samples,file_bytes" >"$csv"
churn=("$TLBBENCH" mmap --threads 1 --duration "$secs" --probe-threads 0 --json)
for r in $(seq 1 "$runs"); do
	for m in bare none kernel fp; do
		rm -f "$out/r.data"
		case $m in
		none) opt=() ;;
		kernel) opt=(--kernel-callchains) ;;
		fp) opt=(-g) ;;
		esac
		"${churn[@]}" >"$out/j.json" &
		bench=$!
		if [ $m = bare ]; then
			wait $bench
			wall=$secs cpu=0 n=0 size=0
		else
			# the recorder alone (system-wide, beside the churn): its own CPU, not the churn's
			/usr/bin/time -f '%e %U %S' -o "$out/time.txt" \
				"$TLBSTAT" record -a -q -e tlb "${opt[@]}" -o "$out/r.data" -- sleep "$secs"
			wait $bench
			read -r wall u s <"$out/time.txt"
			cpu=$("$PY" -c "print($u + $s)")
			n=$("$TLBSTAT" report -i "$out/r.data" --json 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["samples"])')
			size=$(stat -c %s "$out/r.data")
		fi
		ops_s=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["ops_per_s"])' "$out/j.json")
		echo "$r,$m,$ops_s,$wall,$cpu,$n,$size" >>"$csv"
	done
done
"$PY" - "$csv" <<'PY'
import csv, statistics as st, sys
rows = list(csv.DictReader(open(sys.argv[1])))
# each mode against the bare churn of the same round (a shared 2-vCPU guest ran the same churn
# at 16k and 50k ops/s in different rounds), then medians over rounds
bare = {r["run"]: r for r in rows if r["mode"] == "bare"}
print("| mode | churn ops/s | churn slowdown | recorder CPU (% of one core) | per 100k samples/s | samples/s | bytes/sample |")
print("|---|---|---|---|---|---|---|")
print(f"| bare churn | {st.median(float(r['ops_per_s']) for r in bare.values()):,.0f} | - | - | - | - | - |")
for m, name in (("none", "record -a -e tlb"), ("kernel", "record -a -e tlb --kernel-callchains"), ("fp", "record -a -e tlb -g")):
    rs = [r for r in rows if r["mode"] == m]
    slow = st.median(float(bare[r["run"]]["ops_per_s"]) / float(r["ops_per_s"]) - 1 for r in rs)
    core = st.median(float(r["cpu_s"]) / float(r["wall_s"]) for r in rs)
    rate = st.median(int(r["samples"]) / float(r["wall_s"]) for r in rs)
    per = st.median(float(r["cpu_s"]) / float(r["wall_s"]) / max(int(r["samples"]) / float(r["wall_s"]), 1) * 1e5 for r in rs)
    b = st.median(int(r["file_bytes"]) / max(int(r["samples"]), 1) for r in rs)
    print(f"| {name} | {st.median(float(r['ops_per_s']) for r in rs):,.0f} | {100 * slow:+.1f} % | "
          f"{100 * core:.2f} % | {100 * per:.2f} % | {rate:,.0f} | {b:.0f} |")
PY
