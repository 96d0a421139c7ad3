#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# --call-graph dwarf beside perf, on this machine:
#  1. record: tests/fixtures/dwarf-victim.c built as distributions build (-O2
#     -fomit-frame-pointer -fasynchronous-unwind-tables), OPS munmaps, run bare, under
#     `tlbstat record -q --call-graph dwarf -e tlb` and `perf record -q --call-graph dwarf
#     -e tlb:tlb_flush`, interleaved, RUNS times each: wall and CPU (user + sys) of the whole
#     command, peak RSS, file size, samples, bytes per sample; medians;
#  2. report on each recorder's file: `tlbstat report --folded`, `perf report --stdio
#     --no-children -g folded --sort comm` and `perf script` (both unwind), REPORT_RUNS runs each,
#     medians of wall, CPU and peak RSS (the machine is shared: CPU time is the steadier figure).
# Prints Markdown tables; raw numbers as CSV under --out (--tables DIR: the tables again from a
# run's CSV files, nothing measured).
#   benchmarks/dwarf-callchain.sh [--runs N] [--ops N] [--report-runs N] [--out DIR] [--tables DIR]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=3 ops=10000 report_runs=3 out="" tables=""
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--ops) ops=$2; shift 2 ;;
	--report-runs) report_runs=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--tables) tables=$2; out=$2; shift 2 ;;
	-h|--help) sed -n '3,15p' "$0"; exit 0 ;;
	*) echo "dwarf-callchain.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
out=${out:-$(default_out dwarf-callchain)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
need_built "$TLBSTAT"
need_perf
need_time
victim=$out/dwarf-victim
[ -n "$tables" ] || cc -O2 -fomit-frame-pointer -fasynchronous-unwind-tables -o "$victim" tests/fixtures/dwarf-victim.c

# one command under /usr/bin/time: "wall cpu rss_kib" on stdout (its own output to /dev/null)
measure() {
	/usr/bin/time -f '%e %U %S %M' -o "$out/time.txt" "$@" >/dev/null 2>"$out/err.txt" || {
		echo "dwarf-callchain.sh: failed: $*" >&2; cat "$out/err.txt" >&2; exit 1; }
	awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$out/time.txt"
}
samples() { "$TLBSTAT" report -i "$1" --json 2>/dev/null |
	"$PY" -c 'import json,sys; print(json.load(sys.stdin)["samples"])'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ---- 1. record
csv=$out/record.csv
[ -n "$tables" ] || echo "run,mode,wall_s,cpu_s,peak_rss_kib,file_bytes,samples" >"$csv"
[ -z "$tables" ] || runs=$(awk -F, 'NR > 1 { n = $1 } END { print n }' "$csv")
[ -z "$tables" ] || ops=$(cat "$out/ops" 2>/dev/null || echo "?")
echo "$ops" >"$out/ops"
for r in $( [ -n "$tables" ] || seq 1 "$runs"); do
	read -r w c m < <(measure "$victim" "$ops")
	echo "$r,bare,$w,$c,$m,," >>"$csv"
	rm -f "$out/t.data" "$out/p.data"
	read -r w c m < <(measure "$TLBSTAT" record -q --call-graph dwarf -e tlb -o "$out/t.data" -- \
			  "$victim" "$ops")
	echo "$r,tlbstat,$w,$c,$m,$(stat -c %s "$out/t.data"),$(samples "$out/t.data")" >>"$csv"
	read -r w c m < <(measure perf record -q --call-graph dwarf -e tlb:tlb_flush -o "$out/p.data" \
			  -- "$victim" "$ops")
	echo "$r,perf,$w,$c,$m,$(stat -c %s "$out/p.data"),$(samples "$out/p.data")" >>"$csv"
done
col() { awk -F, -v m="$1" -v c="$2" '$2 == m { print $c }' "$csv" | median; }
echo "### record --call-graph dwarf: dwarf-victim $ops munmaps, $runs interleaved runs, medians"
echo
echo "| mode | wall (s) | CPU (s) | peak RSS (MiB) | file (MB) | samples | bytes/sample |"
echo "|---|---|---|---|---|---|---|"
for m in bare tlbstat perf; do
	f=$(col "$m" 6) s=$(col "$m" 7)
	awk -v m="$m" -v w="$(col "$m" 3)" -v c="$(col "$m" 4)" -v r="$(col "$m" 5)" -v f="${f:-0}" \
	    -v s="${s:-0}" 'BEGIN { printf "| %s | %.3f | %.2f | %.1f | %s | %s | %s |\n", m, w, c,
		r / 1024, f ? sprintf("%.1f", f / 1e6) : "-", s ? s : "-",
		s ? sprintf("%.0f", f / s) : "-" }'
done
awk -v t="$(col tlbstat 6)" -v p="$(col perf 6)" -v ts="$(col tlbstat 7)" -v ps="$(col perf 7)" \
    -v tc="$(col tlbstat 4)" -v pc="$(col perf 4)" -v bc="$(col bare 4)" \
	'BEGIN { printf "\nbytes per sample tlbstat/perf %.3f; CPU added to the workload tlbstat/perf " \
		 "%.3f (%.2f s vs %.2f s)\n\n", (t / ts) / (p / ps), (tc - bc) / (pc - bc), tc - bc,
		 pc - bc }'

# ---- 2. report
csv2=$out/report.csv
[ -n "$tables" ] || echo "file,reader,run,wall_s,cpu_s,peak_rss_kib" >"$csv2"
[ -z "$tables" ] || report_runs=$(awk -F, 'NR > 1 { n = $3 } END { print n }' "$csv2")
for f in t p; do
	for r in $( [ -n "$tables" ] || seq 1 "$report_runs"); do
		read -r w c m < <(measure "$TLBSTAT" report -i "$out/$f.data" --folded)
		echo "$f,tlbstat report --folded,$r,$w,$c,$m" >>"$csv2"
		read -r w c m < <(measure perf report -i "$out/$f.data" --stdio --no-children -g folded \
				  --sort comm)
		echo "$f,perf report -g folded,$r,$w,$c,$m" >>"$csv2"
		read -r w c m < <(measure perf script -i "$out/$f.data")
		echo "$f,perf script,$r,$w,$c,$m" >>"$csv2"
	done
done
col2() { awk -F, -v f="$1" -v d="$2" -v c="$3" '$1 == f && $2 == d { print $c }' "$csv2" | median; }
echo "### report on the dwarf files, $report_runs runs each, medians"
echo
echo "| file | reader | wall (s) | CPU (s) | peak RSS (MiB) | CPU ratio vs tlbstat |"
echo "|---|---|---|---|---|---|"
for f in t p; do
	base=$(col2 "$f" "tlbstat report --folded" 5)
	for d in "tlbstat report --folded" "perf report -g folded" "perf script"; do
		awk -v f="$([ $f = t ] && echo tlbstat || echo perf)" -v d="$d" -v w="$(col2 "$f" "$d" 4)" \
		    -v c="$(col2 "$f" "$d" 5)" -v r="$(col2 "$f" "$d" 6)" -v b="$base" \
		    'BEGIN { printf "| %s | %s | %.3f | %.2f | %.1f | %.1f |\n", f, d, w, c, r / 1024,
			     (b > 0 ? c / b : 0) }'
	done
done
echo
echo "raw: $csv $csv2"
