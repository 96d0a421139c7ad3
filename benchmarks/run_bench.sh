#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The tlbbench matrix (workloads x churn threads), each cell counted system wide by
#   tlbstat stat -a --json -- tlbbench <workload> --threads N --duration S --json
# Prints a table (workload | threads | invalidations/s | per-core rate | health |
# P99 latency (us) | remote IPIs/s | ops/s) and writes it as results.csv and results.md, with the
# raw JSON of every run under raw/, into out/bench-<timestamp>/ (or --out DIR).
#   benchmarks/run_bench.sh [--workloads a,b,...] [--threads 1,2,...] [--duration S] [--out DIR]
#                           [--perf] [-- <more tlbbench options>]
# Defaults: workloads baseline,mmap,mprotect,madvise,mremap,fork-cow,thp,mixed; threads 1,2;
# duration 2 s. Binaries: ${TLBSTAT:-build/tlbstat}, ${TLBBENCH:-build/tlbbench}.
# --perf (or a tlbstat that cannot count here) counts with `perf stat -a` and six
# `tlb:tlb_flush --filter 'reason == N'` events instead; health then follows tlbstat's definition
# (Documentation/tlbstat-stat.txt: reasons 2 + 3 per second per core, green < 200, yellow < 2000,
# red from 2000; no verdict under 0.5 s).
# Counting is system wide (-a): other work on the machine during a cell is counted too.
set -euo pipefail
cd "$(dirname "$0")/.."
TLBSTAT=${TLBSTAT:-build/tlbstat}
TLBBENCH=${TLBBENCH:-build/tlbbench}
workloads=baseline,mmap,mprotect,madvise,mremap,fork-cow,thp,mixed
threads=1,2 duration=2 out="" use_perf=0 extra=()
usage() { sed -n '3,16p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--workloads) workloads=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	--duration) duration=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--perf) use_perf=1; shift ;;
	--) shift; extra=("$@"); break ;;
	-h|--help) usage; exit 0 ;;
	*) echo "run_bench.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done
out=${out:-out/bench-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out/raw"
[ -x "$TLBBENCH" ] || { echo "run_bench.sh: $TLBBENCH not built (make)" >&2; exit 1; }
if [ $use_perf = 0 ]; then
	if [ ! -x "$TLBSTAT" ] || ! "$TLBSTAT" stat -a --json -o "$out/raw/check.json" -- true >/dev/null 2>&1; then
		echo "run_bench.sh: $TLBSTAT cannot count here; counting with perf stat instead" >&2
		use_perf=1
	fi
	rm -f "$out/raw/check.json"
fi
if [ $use_perf = 1 ]; then
	command -v perf >/dev/null || { echo "run_bench.sh: neither tlbstat nor perf usable" >&2; exit 1; }
	ev=()
	for r in 0 1 2 3 4 5; do ev+=(-e tlb:tlb_flush --filter "reason == $r"); done
fi

IFS=, read -ra WL <<<"$workloads"
IFS=, read -ra TH <<<"$threads"
for w in "${WL[@]}"; do
	for t in "${TH[@]}"; do
		base=$out/raw/$w-$t
		cmd=("$TLBBENCH" "$w" --threads "$t" --duration "$duration" --json "${extra[@]}")
		echo "# $w, $t thread(s): ${cmd[*]}" >&2
		if [ $use_perf = 0 ]; then
			"$TLBSTAT" stat -a --json -o "$base.stat.json" -- "${cmd[@]}" >"$base.bench.json"
		else
			t0=$(date +%s.%N)
			perf stat -x, -a "${ev[@]}" -o "$base.perf.csv" -- "${cmd[@]}" >"$base.bench.json"
			t1=$(date +%s.%N)
			echo "$t0 $t1" >"$base.perf.time"
		fi
	done
done

python3 - "$out" "$use_perf" "$workloads" "$threads" <<'PY'
import csv, json, os, sys
out, use_perf, wls, ths = sys.argv[1], sys.argv[2] == "1", sys.argv[3].split(","), sys.argv[4].split(",")
REASONS = ["task_switch", "remote_shootdown", "local_shootdown", "local_mm_shootdown",
           "remote_ipi_send", "remote_wrong_cpu"]
def health(reasons, dur, cpus):
    # tlbstat's one definition (lib/count.h count_health_of): the address-space flushes the
    # initiating CPU asks for (local shootdown + local MM shootdown) per second per core
    if dur < 0.5:
        return "insufficient data"
    per_core = (reasons["local_shootdown"] + reasons["local_mm_shootdown"]) / dur / cpus
    return "green" if per_core < 200 else "yellow" if per_core < 2000 else "red"
rows = []
for w in wls:
    for t in ths:
        base = f"{out}/raw/{w}-{t}"
        b = json.load(open(base + ".bench.json"))
        if use_perf:
            lines = [l.split(",") for l in open(base + ".perf.csv")
                     if l.strip() and not l.startswith("#")]
            counts = [int(l[0]) for l in lines]
            cpus = os.cpu_count()
            # counted time: the counters' run time (summed over the CPUs), else perf's wall time
            try:
                dur = max(int(l[3]) for l in lines) / 1e9 / cpus
            except (ValueError, IndexError):
                t0, t1 = map(float, open(base + ".perf.time").read().split())
                dur = t1 - t0
            s = {"duration_s": dur, "cpus": cpus, "total": sum(counts),
                 "reasons": dict(zip(REASONS, counts))}
            s["rate_per_s"] = s["total"] / dur
            s["per_core_rate"] = s["rate_per_s"] / cpus
            s["health"] = health(s["reasons"], dur, cpus)
            json.dump(s, open(base + ".stat.json", "w"))
        else:
            s = json.load(open(base + ".stat.json"))
        rows.append({
            "workload": w, "threads": int(t),
            "invalidations_per_s": round(s["rate_per_s"], 1),
            "per_core_rate": round(s["per_core_rate"], 1),
            "health": s["health"],
            "p99_us": "skipped" if b.get("skipped") else round(b["latency"]["p99_us"], 1),
            "remote_ipis_per_s": round(s["reasons"]["remote_ipi_send"] / s["duration_s"], 1),
            "ops_per_s": round(b["ops_per_s"], 1),
            "counter": "perf" if use_perf else "tlbstat",
        })
with open(f"{out}/results.csv", "w", newline="") as f:
    wr = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
    wr.writeheader(); wr.writerows(rows)
hdr = ["workload", "threads", "invalidations/s", "per-core rate", "health", "P99 latency (us)",
       "remote IPIs/s", "ops/s"]
md = ["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
for r in rows:
    md.append("| " + " | ".join(str(v) for k, v in r.items() if k != "counter") + " |")
counter = "perf stat -a -e tlb:tlb_flush (per reason)" if use_perf else "tlbstat stat -a"
text = "\n".join(md) + f"\n\ncounted with {counter}; {os.cpu_count()} CPUs\n"
open(f"{out}/results.md", "w").write(text)
print(text, end="")
PY
echo "results: $out/results.csv $out/results.md" >&2
