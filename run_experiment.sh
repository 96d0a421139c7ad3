#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The one-command experiment: installs missing dependencies, builds, runs a short matrix of
# tlbbench workloads with their latency probe under `tlbstat record -a --sample sched,vmstat`
# (and gpu where NVML is present), reports each recording with `tlbstat report`, correlates it
# with its samplers and latency (`tlbstat correlate`: do P99 spikes follow invalidation
# bursts, and who caused them), writes one HTML report per run and prints its path with the
# finding; everything under out/<timestamp>/ (perf.data files, reports, time series, latency
# CSVs, HTML, a summary table). Finishes in a few minutes on 2 cores by default.
#
#   ./run_experiment.sh [--quick] [--duration S] [--workloads a,b] [--threads 1,2] [--out DIR]
#
#   --quick        CI-sized: mmap and mprotect, 1 thread, 3 s each (30 intervals of 100 ms:
#                  enough for correlate's verdicts)
#   --duration S   seconds per workload run (default 3)
#   --workloads    tlbbench workloads (default baseline,mmap,mprotect,madvise)
#   --threads      churn thread counts (default 1,2)
#   --out DIR      output folder (default out/<timestamp>)
set -euo pipefail
cd "$(dirname "$0")"
workloads=baseline,mmap,mprotect,madvise threads=1,2 duration=3 out=""
while [ $# -gt 0 ]; do
	case $1 in
	--quick) workloads=mmap,mprotect threads=1 duration=3; shift ;;
	--duration) duration=$2; shift 2 ;;
	--workloads) workloads=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run_experiment.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done
if [ "$(id -u)" != 0 ]; then
	echo "run_experiment.sh: run as root (tracepoints need it; see README.md, Requirements)" >&2
	exit 3
fi

echo "== dependencies and build" >&2
bash scripts/install-deps.sh
make -s
# on PATH afterwards, with man pages, completion and perf tlb (README.md, Install)
make -s install >/dev/null
O=${O:-build}
TLBSTAT=$O/tlbstat TLBBENCH=$O/tlbbench
PY=$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3 )

out=${out:-out/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
{
	echo "date: $(date -Is)"
	echo "kernel: $(uname -r)"
	echo "cpus: $(nproc)"
	echo "tlbstat: $("$TLBSTAT" --version)"
	echo "command: $0 $*"
} >"$out/environment.txt"
"$TLBSTAT" transport --json >"$out/transport.json"
echo "== transport: $("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["transport"], "-", d["transport_evidence"])' "$out/transport.json")" >&2

# samplers beside each recording, every 100 ms like the latency rows (10 a second: enough
# intervals in a few seconds for correlate's tests); gpu only where NVML can be loaded
samplers=sched,vmstat
if ldconfig -p 2>/dev/null | grep -q 'libnvidia-ml\.so\.1'; then samplers=$samplers,gpu; fi
IV_MS=100

IFS=, read -ra WL <<<"$workloads"
IFS=, read -ra TH <<<"$threads"
total=$(( ${#WL[@]} * ${#TH[@]} )) i=0
for w in "${WL[@]}"; do
	for t in "${TH[@]}"; do
		i=$((i + 1))
		b=$out/$w-t$t
		echo "== [$i/$total] $w, $t churn thread(s), ${duration} s: record --sample $samplers" >&2
		"$TLBSTAT" record -a --sample "$samplers" --sample-interval ${IV_MS}ms -o "$b.data" -- \
			"$TLBBENCH" "$w" --threads "$t" --duration "$duration" \
			--interval-ms $IV_MS --latency-csv "$b.latency.csv" --json \
			>"$b.bench.json" 2>"$b.record.log" ||
			{ echo "record failed, see $b.record.log" >&2; cat "$b.record.log" >&2; exit 1; }
		"$TLBSTAT" report -i "$b.data" --json -o "$b.report.json"
		"$TLBSTAT" report -i "$b.data" --stdio -o "$b.report.txt" --series-csv "$b.series.csv"
		# tlbbench's rows end their interval, in ns: correlate reads seconds, so each row
		# moves to its interval's middle (lat.* columns; the side file comes by itself)
		awk -F, 'NR == 1 { print "time,lat.req_per_s,lat.p50_us,lat.p99_us,lat.max_us"; next }
			{ printf "%.9f,%s,%s,%s,%s\n", ($1 - $2 * 5e8) / 1e9, $4, $5, $6, $8 }' \
			"$b.latency.csv" >"$b.latency-s.csv"
		"$TLBSTAT" correlate --interval ${IV_MS}ms --latency lat.p99_us --json \
			-o "$b.correlate.json" --html "$b.html" "$b.data" "$b.latency-s.csv"
	done
done

"$PY" - "$out" "${WL[@]/%/:}" "--" "${TH[@]}" <<'PY' | tee "$out/summary.md"
import json, os, sys
out = sys.argv[1]
sep = sys.argv.index("--")
wls = [w.rstrip(":") for w in sys.argv[2:sep]]
ths = sys.argv[sep + 1:]
rows = []
for w in wls:
    for t in ths:
        b = os.path.join(out, f"{w}-t{t}")
        rep = json.load(open(b + ".report.json"))
        bench = json.load(open(b + ".bench.json"))
        inv = sum(rep["reasons"].values())
        dur = rep["duration_s"] or 1e-9
        procs = sorted(rep["processes"], key=lambda p: -p["invalidations"])
        top = f'{procs[0]["comm"]} ({procs[0]["pid"]})' if procs else "-"
        rows.append((w, t, inv / dur, inv / dur / rep["cpus"],
                     rep["health"],
                     bench["latency"]["p99_us"], rep["reasons"]["remote_ipi_send"] / dur,
                     top, rep["lost"]))
cols = ("workload", "threads", "invalidations/s", "per-core rate", "health",
        "P99 latency (us)", "remote IPIs/s", "top process", "lost")
print("| " + " | ".join(cols) + " |")
print("|" + "---|" * len(cols))
for r in rows:
    print(f"| {r[0]} | {r[1]} | {r[2]:.0f} | {r[3]:.1f} | {r[4]} | {r[5]:.1f} | {r[6]:.0f} | {r[7]} | {r[8]} |")
with open(os.path.join(out, "summary.csv"), "w") as f:
    f.write(",".join(c.replace(" ", "_").replace("/", "_per_") for c in cols) + "\n")
    for r in rows:
        f.write(",".join(str(x) for x in r) + "\n")
PY
echo "== results: $out (summary.md, per run: .data .samples.csv .report.txt .report.json .series.csv .latency.csv .correlate.json .html)" >&2
for w in "${WL[@]}"; do
	for t in "${TH[@]}"; do
		b=$out/$w-t$t
		echo "== report: $b.html"
		"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); a=d["attribution"]
print("   " + (a["finding"] if a else d["finding"]))' "$b.correlate.json"
	done
done
