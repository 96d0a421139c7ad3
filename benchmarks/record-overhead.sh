#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# record and report beside perf, on this machine:
#  1. overhead: the churn `tlbbench mmap --threads 1 --ops OPS --json` (it times itself:
#     ops_per_s) run bare, under `tlbstat record -a -e tlb` and under
#     `perf record -e tlb:tlb_flush -a`, interleaved, RUNS times each; medians; peak RSS of each
#     run from /usr/bin/time -v (the largest process of the tree: the recorder, or the churn
#     when bare); file size per sample;
#  2. lost events at a high rate: a getppid loop (CALLS calls, compiled here) under
#     `tlbstat record -a -e raw_syscalls:sys_enter` and `perf record -e raw_syscalls:sys_enter -a`;
#     then the loop paced at each of PACED rates (calls/s, 2 s each) under both recorders;
#  3. reading a file of >= 1M samples: `tlbstat report --json` beside
#     `perf report --stdio --sort comm` (both on each recorder's file; REPORT_RUNS runs, medians),
#     wall time and peak RSS; and the same on a >= 1M tlb_flush file (TLB_OPS munmaps).
# Prints Markdown tables; raw numbers as CSV under --out.
#   benchmarks/record-overhead.sh [--runs N] [--ops N] [--calls N] [--tlb-ops N] [--out DIR]
#                                 [--report-runs N] [--paced "200000 400000 800000"]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=5 ops=30000 calls=2000000 tlb_ops=500000 report_runs=3 out="" paced_rates="200000 400000 800000"
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--ops) ops=$2; shift 2 ;;
	--calls) calls=$2; shift 2 ;;
	--tlb-ops) tlb_ops=$2; shift 2 ;;
	--report-runs) report_runs=$2; shift 2 ;;
	--paced) paced_rates=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '3,19p' "$0"; exit 0 ;;
	*) echo "record-overhead.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
out=${out:-$(default_out record-overhead)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
need_built "$TLBSTAT" "$TLBBENCH"
need_perf
need_time

# peak RSS (KiB) of one command from /usr/bin/time -v ($out/time.txt); wall seconds to the ns
timed() {
	local s rc=0
	s=$(date +%s%N)
	/usr/bin/time -v -o "$out/time.txt" "$@" || rc=$?
	echo "$(( $(date +%s%N) - s ))" >"$out/wall.txt"
	return $rc
}
rss_kib() { awk -F': ' '/Maximum resident set size/ { print $2 }' "$out/time.txt"; }
wall_s() { awk '{ printf "%.4f\n", $1 / 1e9 }' "$out/wall.txt"; }
jfield() { "$PY" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# ---- 1. overhead on the churn
churn=("$TLBBENCH" mmap --threads 1 --ops "$ops" --json)
csv=$out/overhead.csv
echo "run,mode,ops_per_s,duration_s,peak_rss_kib,file_bytes,samples" >"$csv"
for r in $(seq 1 "$runs"); do
	for m in bare tlbstat perf; do
		rm -f "$out/t.data" "$out/p.data"
		case $m in
		bare) j=$(timed "${churn[@]}"); f=""; n=0 ;;
		tlbstat) j=$(timed "$TLBSTAT" record -a -q -e tlb -o "$out/t.data" -- "${churn[@]}"); f=$out/t.data ;;
		perf) j=$(timed perf record -q -e tlb:tlb_flush -a -o "$out/p.data" -- "${churn[@]}" 2>/dev/null); f=$out/p.data ;;
		esac
		rss=$(rss_kib)
		if [ -n "$f" ]; then
			n=$("$TLBSTAT" report -i "$f" --json 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["samples"])')
			size=$(stat -c %s "$f")
		else size=0; fi
		echo "$r,$m,$(jfield "$j" ops_per_s),$(jfield "$j" duration_s),$rss,$size,$n" >>"$csv"
	done
done

# ---- 2. lost events at >= 200k events/s: raw_syscalls:sys_enter under a getppid loop
cat >"$out/getppid.c" <<'EOF'
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
/* getppid N [RATE]: N calls, as fast as possible or paced at RATE calls/s (busy-waiting) */
static long long now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}
int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000000;
	double rate = argc > 2 ? atof(argv[2]) : 0;
	long long t0 = now();
	for (long i = 0; i < n; i++) {
		if (rate > 0)
			while (now() < t0 + (long long)(i * 1e9 / rate))
				;
		getppid();
	}
	return 0;
}
EOF
gcc -O2 -o "$out/getppid" "$out/getppid.c"
hcsv=$out/highrate.csv
echo "tool,wall_s,peak_rss_kib,file_bytes,samples,lost" >"$hcsv"
rm -f "$out/sys-t.data" "$out/sys-p.data"
timed "$TLBSTAT" record -a -q -e raw_syscalls:sys_enter -o "$out/sys-t.data" -- "$out/getppid" "$calls" 2>"$out/sys-t.err" || true
echo "tlbstat,$(wall_s),$(rss_kib),$(stat -c %s "$out/sys-t.data"),$("$TLBSTAT" report -i "$out/sys-t.data" --json 2>/dev/null |
	"$PY" -c 'import json,sys; d=json.load(sys.stdin); print("%d,%d" % (d["samples"], d["lost"]))')" >>"$hcsv"
timed perf record -q -e raw_syscalls:sys_enter -a -o "$out/sys-p.data" -- "$out/getppid" "$calls" 2>"$out/sys-p.err" || true
echo "perf,$(wall_s),$(rss_kib),$(stat -c %s "$out/sys-p.data"),$("$TLBSTAT" report -i "$out/sys-p.data" --json 2>/dev/null |
	"$PY" -c 'import json,sys; d=json.load(sys.stdin); print("%d,%d" % (d["samples"], d["lost"]))')" >>"$hcsv"
perf report -i "$out/sys-p.data" --stdio --sort comm 2>/dev/null | grep -m1 'Total Lost Samples' >"$out/sys-p.lost" || true
# paced: the same loop at fixed rates for 2 s each, default buffers, lost per recorder
pcsv=$out/paced.csv
echo "rate,tool,samples,lost" >"$pcsv"
for rate in $paced_rates; do
	for tool in tlbstat perf; do
		if [ $tool = tlbstat ]; then
			"$TLBSTAT" record -a -q -e raw_syscalls:sys_enter -o "$out/paced.data" -- "$out/getppid" $((rate * 2)) "$rate" 2>/dev/null || true
		else
			perf record -q -e raw_syscalls:sys_enter -a -o "$out/paced.data" -- "$out/getppid" $((rate * 2)) "$rate" >/dev/null 2>&1 || true
		fi
		echo "$rate,$tool,$("$TLBSTAT" report -i "$out/paced.data" --json 2>/dev/null |
			"$PY" -c 'import json,sys; d=json.load(sys.stdin); print("%d,%d" % (d["samples"], d["lost"]))')" >>"$pcsv"
	done
done

# ---- 3. reading >= 1M samples: tlbstat report vs perf report --stdio --sort comm
rm -f "$out/tlb-big.data"
"$TLBSTAT" record -a -q -e tlb -o "$out/tlb-big.data" -- "$TLBBENCH" mmap --threads 1 --ops "$tlb_ops" >/dev/null
rcsv=$out/report.csv
echo "file,reader,run,wall_s,peak_rss_kib" >"$rcsv"
for r in $(seq 1 "$report_runs"); do
	for f in sys-t sys-p tlb-big; do
		timed "$TLBSTAT" report -i "$out/$f.data" --json -o /dev/null 2>/dev/null
		echo "$f,tlbstat,$r,$(wall_s),$(rss_kib)" >>"$rcsv"
		timed perf report -i "$out/$f.data" --stdio --sort comm >/dev/null 2>&1
		echo "$f,perf,$r,$(wall_s),$(rss_kib)" >>"$rcsv"
	done
done
tlb_samples=$("$TLBSTAT" report -i "$out/tlb-big.data" --json 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["samples"])')

"$PY" - "$csv" "$hcsv" "$rcsv" "$ops" "$runs" "$calls" "$tlb_ops" "$tlb_samples" "$report_runs" \
	"$(cat "$out/sys-p.lost" 2>/dev/null)" "$pcsv" <<'PY' | tee "$out/record-overhead.md"
import csv, statistics as st, sys, os
ov, hr, rp = (list(csv.DictReader(open(p))) for p in sys.argv[1:4])
ops, runs, calls, tlb_ops, tlb_samples, rruns, perf_lost = sys.argv[4:11]
paced = list(csv.DictReader(open(sys.argv[11])))
med = lambda rows, k: st.median(float(r[k]) for r in rows)
by = {m: [r for r in ov if r["mode"] == m] for m in ("bare", "tlbstat", "perf")}
bare = med(by["bare"], "duration_s")
print(f"### Overhead: tlbbench mmap --threads 1 --ops {ops}, {runs} interleaved runs each, medians\n")
print("| mode | churn time (s) | munmaps/s | slowdown vs bare | peak RSS (MiB) | file (MB) | samples | bytes/sample |")
print("|---|---|---|---|---|---|---|---|")
for m, label in (("bare", "bare"), ("tlbstat", "tlbstat record -a -e tlb"),
                 ("perf", "perf record -e tlb:tlb_flush -a")):
    d = med(by[m], "duration_s"); fb = med(by[m], "file_bytes"); n = med(by[m], "samples")
    print(f"| {label} | {d:.3f} | {med(by[m], 'ops_per_s'):.0f} | {d / bare:.3f} | "
          f"{med(by[m], 'peak_rss_kib') / 1024:.1f} | {fb / 1e6:.2f} | {n:.0f} | "
          f"{(fb / n if n else 0):.1f} |")
t, p = med(by["tlbstat"], "duration_s"), med(by["perf"], "duration_s")
print(f"\ntlbstat/perf churn-time ratio {t / p:.3f}; file size ratio tlbstat/perf "
      f"{med(by['tlbstat'], 'file_bytes') / med(by['perf'], 'file_bytes'):.3f}\n")
print(f"### High rate: raw_syscalls:sys_enter, getppid loop of {int(calls):,} calls, system wide\n")
print("| recorder | wall (s) | samples | events/s | lost | file (MB) | peak RSS (MiB) |")
print("|---|---|---|---|---|---|---|")
for r in hr:
    w = float(r["wall_s"])
    print(f"| {r['tool']} record | {w:.2f} | {int(r['samples']):,} | {int(r['samples']) / w:,.0f} | "
          f"{r['lost']} | {int(r['file_bytes']) / 1e6:.0f} | {int(r['peak_rss_kib']) / 1024:.1f} |")
if perf_lost:
    print(f"\nperf report on perf's file says: `{perf_lost.strip()}`")
print("\nPaced (2 s at each rate, default buffers):\n")
print("| calls/s | tlbstat samples | tlbstat lost | perf samples | perf lost |")
print("|---|---|---|---|---|")
for rate in dict.fromkeys(r["rate"] for r in paced):
    t = next((r for r in paced if r["rate"] == rate and r["tool"] == "tlbstat"), None)
    p = next((r for r in paced if r["rate"] == rate and r["tool"] == "perf"), None)
    cell = lambda r, k: f"{int(r[k]):,}" if r else "-"
    print(f"| {int(rate):,} | {cell(t, 'samples')} | {cell(t, 'lost')} | {cell(p, 'samples')} | {cell(p, 'lost')} |")
print(f"\n### Reading: tlbstat report --json vs perf report --stdio --sort comm, {rruns} runs, medians\n")
print("| file | samples | tlbstat report (s) | RSS (MiB) | perf report (s) | RSS (MiB) | speed-up |")
print("|---|---|---|---|---|---|---|")
names = {"sys-t": "sys_enter, tlbstat record", "sys-p": "sys_enter, perf record",
         "tlb-big": f"tlb_flush, tlbstat record ({tlb_ops} munmaps)"}
nsamp = {r["tool"]: r["samples"] for r in hr}
nsamp = {"sys-t": nsamp.get("tlbstat"), "sys-p": nsamp.get("perf"), "tlb-big": tlb_samples}
for f in ("sys-t", "sys-p", "tlb-big"):
    a = [r for r in rp if r["file"] == f and r["reader"] == "tlbstat"]
    b = [r for r in rp if r["file"] == f and r["reader"] == "perf"]
    ta, tb = med(a, "wall_s"), med(b, "wall_s")
    print(f"| {names[f]} | {int(nsamp[f]):,} | {ta:.3f} | {med(a, 'peak_rss_kib') / 1024:.0f} | "
          f"{tb:.3f} | {med(b, 'peak_rss_kib') / 1024:.0f} | {tb / ta:.1f}x |")
PY
rm -f "$out"/*.data "$out"/*.data.old
echo "raw numbers: $csv $hcsv $pcsv $rcsv"
