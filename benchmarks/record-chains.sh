#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What call chains cost `tlbstat record` (issue 16: "record keeps kernel-only chains by default
# if ..."): the churn `tlbbench mmap --threads 1 --ops OPS --json` (it times itself: ops_per_s)
# run bare and under `tlbstat record -a -e tlb` with no chains, with --kernel-callchains and with
# -g, interleaved, RUNS times each. Per mode, medians of: the churn's ops/s, the CPU of the whole
# tree (utime + stime from /usr/bin/time: recorder plus churn, whose kernel time includes writing
# samples and walking chains) and what recording adds to the bare churn's, per 100k samples,
# samples, and file bytes per sample. Prints a Markdown table; raw rows as CSV under --out.
#   benchmarks/record-chains.sh [--runs N] [--ops N] [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
TLBSTAT=${TLBSTAT:-$O/tlbstat}
TLBBENCH=${TLBBENCH:-$O/tlbbench}
PY=${PY:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3 )}
runs=5 ops=50000 out=""
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--ops) ops=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '3,9p' "$0"; exit 0 ;;
	*) echo "record-chains.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "record-chains.sh: needs root (system-wide tracepoints)" >&2; exit 3; }
for b in "$TLBSTAT" "$TLBBENCH"; do [ -x "$b" ] || { echo "record-chains.sh: $b not built (make)" >&2; exit 1; }; done
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null
out=${out:-out/record-chains-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
csv=$out/chains.csv
echo "run,mode,ops_per_s,wall_s,cpu_s,samples,file_bytes" >"$csv"
churn=("$TLBBENCH" mmap --threads 1 --ops "$ops" --json)
for r in $(seq 1 "$runs"); do
	for m in bare none kernel fp; do
		rm -f "$out/r.data"
		case $m in
		bare) opt=() ;;
		none) opt=(record -a -q -e tlb -o "$out/r.data" --) ;;
		kernel) opt=(record -a -q -e tlb --kernel-callchains -o "$out/r.data" --) ;;
		fp) opt=(record -a -q -e tlb -g -o "$out/r.data" --) ;;
		esac
		if [ $m = bare ]; then
			/usr/bin/time -f '%e %U %S' -o "$out/time.txt" "${churn[@]}" >"$out/j.json"
		else
			/usr/bin/time -f '%e %U %S' -o "$out/time.txt" "$TLBSTAT" "${opt[@]}" "${churn[@]}" >"$out/j.json"
		fi
		read -r wall u s <"$out/time.txt"
		if [ $m = bare ]; then n=0 size=0 cpu=0
		else
			# the tree's CPU (recorder + churn, whose kernel time includes writing the
			# samples and walking the chains): minus the bare churn's, what recording costs
			cpu=$("$PY" -c "print($u + $s)")
			n=$("$TLBSTAT" report -i "$out/r.data" --json 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["samples"])')
			size=$(stat -c %s "$out/r.data")
		fi
		[ $m = bare ] && cpu=$("$PY" -c "print($u + $s)")
		ops_s=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["ops_per_s"])' "$out/j.json")
		echo "$r,$m,$ops_s,$wall,$cpu,$n,$size" >>"$csv"
	done
done
"$PY" - "$csv" <<'PY'
import csv, statistics as st, sys
rows = list(csv.DictReader(open(sys.argv[1])))
med = lambda m, k: st.median(float(r[k]) for r in rows if r["mode"] == m)
bare_cpu, bare_ops = med("bare", "cpu_s"), med("bare", "ops_per_s")
print("| mode | churn ops/s | slowdown | tree CPU s | recorder CPU s (tree - bare) | per 100k samples | samples | bytes/sample |")
print("|---|---|---|---|---|---|---|---|")
for m, name in (("bare", "bare"), ("none", "record -e tlb"), ("kernel", "record -e tlb --kernel-callchains"), ("fp", "record -e tlb -g")):
    ops, cpu = med(m, "ops_per_s"), med(m, "cpu_s")
    if m == "bare":
        print(f"| {name} | {ops:,.0f} | - | {cpu:.3f} | - | - | - | - |")
        continue
    n, size = med(m, "samples"), med(m, "file_bytes")
    rec = cpu - bare_cpu
    print(f"| {name} | {ops:,.0f} | {100 * (bare_ops / ops - 1):+.1f} % | {cpu:.3f} | {rec:.3f} | "
          f"{rec / n * 1e5:.3f} s | {n:,.0f} | {size / n:.0f} |")
PY
