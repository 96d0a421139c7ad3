#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What top's CAUSE column costs: two `tlbstat top -b` attached at once to the same churn, one
# with --no-cause (no call chains) and one with the default kernel chains and cause cache; each
# one's own CPU (user + sys from /proc/PID/stat) over the same seconds, in % of one core, and the
# difference per 100k events/s. The churn pays for the kernel's stack walks of the second one's
# events in its own context; its rate is printed beside (munmaps/s alone, then with both).
# Root. Usage: benchmarks/top-cause.sh [seconds (default 10)] [workload (default mmap)]
# Prints one table; figures go to Documentation/benchmarks.md by hand, with the date.
set -u
. "$(dirname "$0")/lib.sh"
SECS=${1:-10}
WL=${2:-mmap}
need_root
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

# the churn alone: its rate without observers
"$O/tlbbench" "$WL" --threads 1 --duration 3 --json >"$tmp/alone.json" 2>/dev/null
"$O/tlbstat" top -b -d 1 --rows 5 --no-cause >"$tmp/plain.out" 2>&1 &
plain=$!; pids+=("$plain")
"$O/tlbstat" top -b -d 1 --rows 5 --cause >"$tmp/cause.out" 2>&1 &
cause=$!; pids+=("$cause")
"$O/tlbbench" "$WL" --threads 1 --duration $((SECS + 4)) --json >"$tmp/both.json" 2>/dev/null &
churn=$!; pids+=("$churn")
sleep 2
p0=$(ticks "$plain"); c0=$(ticks "$cause"); s0=$(date +%s.%N)
sleep "$SECS"
p1=$(ticks "$plain"); c1=$(ticks "$cause"); s1=$(date +%s.%N)
wait "$churn"
python3 - "$p0" "$p1" "$c0" "$c1" "$s0" "$s1" "$HZ" "$tmp/alone.json" "$tmp/both.json" \
	"$tmp/plain.out" "$tmp/cause.out" <<'EOP'
import json, re, sys
p0, p1, c0, c1, s0, s1, hz = map(float, sys.argv[1:8])
alone, both = (json.load(open(f)) for f in sys.argv[8:10])
secs = s1 - s0
pc = (p1 - p0) / hz / secs * 100
cc = (c1 - c0) / hz / secs * 100
# the node's invalidations/s as the --no-cause top saw them (header of its last snapshots)
unit = {'': 1, 'k': 1e3, 'M': 1e6, 'G': 1e9}
rates = [float(m.group(1)) * unit[m.group(2)]
         for m in re.finditer(r'Invalidations: ([0-9.]+)([kMG]?)/s', open(sys.argv[10]).read())]
rate = sorted(rates)[len(rates) // 2] if rates else float('nan')
cause = [l for l in open(sys.argv[11]) if 'tlbbench' in l][-1:]
print('node invalidations/s (median of top\'s intervals)  %.0f' % rate)
print('top --no-cause CPU (one core)                     %.2f %%' % pc)
print('top (kernel chains + CAUSE) CPU (one core)        %.2f %%' % cc)
print('difference                                        %.2f %% of one core, %.2f %% per 100k events/s'
      % (cc - pc, (cc - pc) / rate * 1e5 if rate == rate and rate else float('nan')))
for k, d in (('alone', alone), ('with both tops', both)):
    print('churn ops/s %-15s                        %.0f' % (k, d.get('ops_per_s', d.get('rate', float('nan')))))
print('tlbbench row of the CAUSE top: %s' % (cause[0].strip() if cause else '(none)'))
EOP
