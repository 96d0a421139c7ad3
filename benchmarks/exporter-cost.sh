#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The exporter's own CPU per 100k events/s drained, against `tlbstat top -b` on the same load in
# the same run (both attached at once), and its scrape latency (P50/P99 of N scrapes at K = 50).
# Root. Usage: benchmarks/exporter-cost.sh [seconds (default 10)] [scrapes (default 200)]
# EXPORTER_ARGS: more exporter options (e.g. "--cpu-budget 0").
# CHURN: tlbbench mmap's options (default "--threads 1"; e.g. "--threads 1 --rate 5000" for a
# rate that other work on the machine moves less; two rates give the cost per event alone).
# CHURN_PROCS: how many such tlbbench processes (default 1; 2 for a higher rate than one reaches).
# SCRAPE_NICE: the scraping curl's nice (default 0). A Prometheus on another host does not wait
# for this node's CPUs; a curl here does, and its own wait counts in time_total: give it e.g. -10
# to see the exporter's side of the latency on a loaded machine (the same in runs compared).
# Prints one table; figures go to Documentation/benchmarks.md by hand, with the date.
set -u
. "$(dirname "$0")/lib.sh"
SECS=${1:-10}
N=${2:-200}
PORT=${EXPORTER_BENCH_PORT:-19190}
need_root
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

# CPU time in ns of every thread of a process (schedstat's run time: ns, not 10 ms ticks)
ticks() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'; }
HZ=1000000000

# shellcheck disable=SC2086
"$O/tlbstat" exporter --listen 127.0.0.1:$PORT --top 50 --interval 5 ${EXPORTER_ARGS:-} 2>"$tmp/exp.err" &
exp=$!; pids+=("$exp")
"$O/tlbstat" top -b -d 1 --rows 5 >/dev/null 2>&1 &
top=$!; pids+=("$top")
for _ in $(seq "${CHURN_PROCS:-1}"); do
	# shellcheck disable=SC2086
	"$O/tlbbench" mmap ${CHURN:---threads 1} --duration $((SECS + 12)) >/dev/null 2>&1 &
	pids+=("$!")
done
sleep 6      # both attached, one exporter interval closed
e0=$(ticks "$exp"); t0=$(ticks "$top")
d0=$(curl -s "127.0.0.1:$PORT/metrics" | awk '/^tlbstat_exporter_events_drained_total/ { print $2 }')
s0=$(date +%s.%N)
# scrape latency while it drains: N scrapes spread over the measurement
for i in $(seq "$N"); do
	nice -n "${SCRAPE_NICE:-0}" curl -s -o /dev/null -w '%{time_total}\n' \
		"127.0.0.1:$PORT/metrics" >>"$tmp/lat"
	sleep "$(echo "$SECS / $N" | bc -l)"
done
e1=$(ticks "$exp"); t1=$(ticks "$top")
s1=$(date +%s.%N)
sleep 5.5    # the next page: the events drained up to here
d1=$(curl -s "127.0.0.1:$PORT/metrics" | awk '/^tlbstat_exporter_events_drained_total/ { print $2 }')
s2=$(date +%s.%N)
curl -s "127.0.0.1:$PORT/metrics" >"$tmp/page"
python3 - "$e0" "$e1" "$t0" "$t1" "$s0" "$s1" "$d0" "$d1" "$s2" "$HZ" "$tmp/lat" "$tmp/page" <<'EOP'
import sys
e0, e1, t0, t1, s0, s1, d0, d1, s2, hz = map(float, sys.argv[1:11])
lat = sorted(float(l) for l in open(sys.argv[11]))
page = open(sys.argv[12]).read()
secs = s1 - s0
rate = (d1 - d0) / (s2 - s0)
ecpu = (e1 - e0) / hz / secs * 100
tcpu = (t1 - t0) / hz / secs * 100
pct = lambda p: lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000
series = sum(1 for l in page.splitlines() if l and not l.startswith('#'))
print('events drained/s          %.0f' % rate)
print('exporter CPU (one core)   %.2f %%   per 100k events/s: %.2f %%' % (ecpu, ecpu / rate * 1e5))
print('top -b CPU (one core)     %.2f %%   per 100k events/s: %.2f %%' % (tcpu, tcpu / rate * 1e5))
print('scrape latency, %d scrapes, page of %d samples, %d bytes: P50 %.2f ms, P99 %.2f ms' %
      (len(lat), series, len(page), pct(50), pct(99)))
EOP
