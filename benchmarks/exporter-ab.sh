#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Two builds' exporters (A and B) and B's `tlbstat top -b` attached at once to the same churn:
# each one's CPU over the same window, and the ratios B/A and B/top, which the load moves
# less than each figure alone (the per-100k figures of exporter-cost.sh move 15 % run to run
# on this guest). Root.
# Usage: benchmarks/exporter-ab.sh A_BUILD_DIR [B_BUILD_DIR (default build)] [seconds (default 15)]
# CHURN: tlbbench mmap's options (default "--threads 1"); CHURN_PROCS: how many (default 1).
# EXPORTER_ARGS: options for both exporters (besides --listen, --top 50 --interval 5).
# SCRAPES: scrape each exporter this many times, spread over the window (default 0; A and B
# alternately, so both pay the same). CHURN_PROCS=0: no churn (the idle, fixed cost).
# Also prints each exporter's lost events (tlb_lost_events_total) over the window.
set -u
cd "$(dirname "$0")/.."
A=${1:?usage: exporter-ab.sh A_BUILD_DIR [B_BUILD_DIR] [seconds]}
B=${2:-build}
SECS=${3:-15}
PA=${EXPORTER_BENCH_PORT:-19190}
PB=$((PA + 1))
[ "$(id -u)" -eq 0 ] || { echo "exporter-ab: needs root" >&2; exit 3; }
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done' EXIT

ticks() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'; }
drained() {
	curl -s "127.0.0.1:$1/metrics" | awk '/^tlbstat_exporter_events_drained_total/ { print $2 }'
}
lost() { curl -s "127.0.0.1:$1/metrics" | awk '/^tlb_lost_events_total / { print $2 }'; }

# shellcheck disable=SC2086
"$A/tlbstat" exporter --listen 127.0.0.1:$PA --top 50 --interval 5 ${EXPORTER_ARGS:-} \
	>/dev/null 2>&1 &
ea=$!; pids+=("$ea")
# shellcheck disable=SC2086
"$B/tlbstat" exporter --listen 127.0.0.1:$PB --top 50 --interval 5 ${EXPORTER_ARGS:-} \
	>/dev/null 2>&1 &
eb=$!; pids+=("$eb")
"$B/tlbstat" top -b -d 1 --rows 5 >/dev/null 2>&1 &
top=$!; pids+=("$top")
for _ in $(seq "${CHURN_PROCS:-1}"); do
	# shellcheck disable=SC2086
	"$B/tlbbench" mmap ${CHURN:---threads 1} --duration $((SECS + 12)) >/dev/null 2>&1 &
	pids+=("$!")
done
sleep 6
la0=$(lost "$PA"); lb0=$(lost "$PB")
a0=$(ticks "$ea"); b0=$(ticks "$eb"); t0=$(ticks "$top"); d0=$(drained "$PB")
s0=$(date +%s.%N)
n=${SCRAPES:-0}
if [ "$n" -gt 0 ]; then
	gap=$(echo "$SECS / $n / 2" | bc -l)
	for _ in $(seq "$n"); do
		curl -s -o /dev/null "127.0.0.1:$PA/metrics"; sleep "$gap"
		curl -s -o /dev/null "127.0.0.1:$PB/metrics"; sleep "$gap"
	done
else
	sleep "$SECS"
fi
a1=$(ticks "$ea"); b1=$(ticks "$eb"); t1=$(ticks "$top")
s1=$(date +%s.%N)
sleep 5.5    # B's next page: the events drained up to here
d1=$(drained "$PB"); s2=$(date +%s.%N)
la1=$(lost "$PA"); lb1=$(lost "$PB")
echo "lost events over the window: A $((la1 - la0)), B $((lb1 - lb0)); scrapes of each: $n"
python3 - "$a0" "$a1" "$b0" "$b1" "$t0" "$t1" "$s0" "$s1" "$d0" "$d1" "$s2" <<'EOP'
import sys
a0, a1, b0, b1, t0, t1, s0, s1, d0, d1, s2 = map(float, sys.argv[1:])
secs = s1 - s0
rate = max(d1 - d0, 1) / (s2 - s0)
cpu = lambda x, y: (y - x) / 1e9 / secs * 100
a, b, t = cpu(a0, a1), cpu(b0, b1), cpu(t0, t1)
print('window %.1f s, events drained/s   %.0f' % (secs, rate))
for name, c in (('exporter A', a), ('exporter B', b), ('top -b (B)', t)):
    print('%-18s %.3f %% of a core   per 100k events/s: %.2f %%' % (name, c, c / rate * 1e5))
print('B/A %.3f   B/top %.3f' % (b / a, b / t))
EOP
