#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Health on real tracepoints (root, tracefs, perf_event): it rates address-space flushes (reasons
# 2 + 3, count_health_of() in lib/count.h; Documentation/tlbstat-stat.txt, HEALTH), not task
# switches, and gives no verdict on a window too short to judge.
# The machine runs other builds, so system-wide checks are conditional on what it shows; the
# workload-targeted checks (stat -- CMD) count only the command's tasks and hold anywhere.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -x "$TLBSTAT" ] || [ ! -x "$TLBBENCH" ]; then
	skip "tlbstat or tlbbench not built ($TLBSTAT, $TLBBENCH)"; finish; exit
fi
if [ "$(id -u)" != 0 ]; then skip "needs root"; finish; exit; fi

# jsum FILE: reasons 2 + 3 and 0, the seconds and the cpus of a stat --json object
jsum() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); r=d['reasons']
print(r['local_shootdown'] + r['local_mm_shootdown'], r['task_switch'], d['duration_s'], d['cpus'])" "$1"; }

# --- too little evidence: a few ms
"$TLBSTAT" stat --json -o "$tmp/hi.json" -- echo hi >/dev/null 2>&1
h=$(jget "$tmp/hi.json" health)
[ "$h" = "insufficient data" ] && ok "stat -- echo hi: insufficient data" ||
	not_ok "stat -- echo hi: health '$h' after $(jget "$tmp/hi.json" duration_s) s"
"$TLBSTAT" stat -o "$tmp/hi.txt" -- echo hi >/dev/null 2>&1
grep -q "health: insufficient data" "$tmp/hi.txt" && ok "the table says it too" ||
	not_ok "table: $(grep health "$tmp/hi.txt")"

# --- the churn benchmark: red
"$TLBSTAT" stat --json -o "$tmp/churn.json" -- "$TLBBENCH" mmap --duration 1 >/dev/null 2>&1
h=$(jget "$tmp/churn.json" health)
[ "$h" = red ] && ok "stat -- tlbbench mmap: red" || not_ok "tlbbench mmap: health '$h' ($(jsum "$tmp/churn.json"))"

# --- a pipe ping-pong: task switches by the hundred thousand, not red
if command -v perf >/dev/null && perf bench sched pipe -l 10 >/dev/null 2>&1; then
	"$TLBSTAT" stat --json -o "$tmp/pipe.json" -- perf bench sched pipe -l 200000 >/dev/null 2>&1
	h=$(jget "$tmp/pipe.json" health)
	read -r n ts secs cpus < <(jsum "$tmp/pipe.json")
	echo "# pipe: $n address-space flushes, $ts task switches, $secs s, $cpus cpus: $h"
	# reason 0 fires only where a switch flushes: with PCID the kernel keeps the other mm's
	# entries under their ASID, and a PVM guest here fired 3 for 200,000 round trips
	if [ "$ts" -lt 1000 ]; then
		skip "pipe: this kernel switched mms without flushing ($ts task-switch flushes for 200000 round trips: PCID)"
	else
		# how many switches flush depends on where the two tasks run (one CPU each: few);
		# CI saw 14,751 and this machine 399,159 for the same 200,000 round trips
		[ "$ts" -gt "$n" ] && ok "pipe: task switches outnumber address-space flushes ($ts vs $n)" ||
			not_ok "pipe: $ts task switches, $n address-space flushes"
	fi
	case $h in green|yellow) ok "pipe: $h, not red" ;; *) not_ok "pipe: health '$h'" ;; esac
else
	skip "perf bench sched pipe not available"
	skip "perf bench sched pipe not available"
fi

# --- system-wide for 1 s: the verdict follows the address-space flushes, whatever else runs
"$TLBSTAT" stat -a -d 1 --json -o "$tmp/all.json" >/dev/null 2>&1
h=$(jget "$tmp/all.json" health)
read -r n ts secs cpus < <(jsum "$tmp/all.json")
want=$("$PY" -c "import sys; p=$n/$secs/$cpus; print('green' if p < 200 else 'yellow' if p < 2000 else 'red')")
echo "# system-wide: $n address-space flushes, $ts task switches in $secs s on $cpus cpus: $h"
[ "$h" = "$want" ] && ok "stat -a -d 1: $h, as the address-space flushes say" ||
	not_ok "stat -a -d 1: '$h', want '$want'"

# --- report of a recording: the same definition per process
"$TLBSTAT" record -o "$tmp/c.data" -- "$TLBBENCH" mmap --duration 1 >/dev/null 2>&1
"$TLBSTAT" report -i "$tmp/c.data" --json > "$tmp/r.json" 2>/dev/null
# red where the churn reached 2000 address-space flushes/s per CPU (a loaded machine slows it:
# 1,994/s once, yellow); either way the verdict is the thresholds' on the rate report shows
"$PY" - "$tmp/r.json" <<'PY' && ok "report: tlbbench's health from its address-space flushes, task switches beside" || not_ok "report's health"
import json, sys
d = json.load(open(sys.argv[1]))
p = [p for p in d["processes"] if p["comm"] == "tlbbench"][0]
r = p["reasons"]
assert p["health_events"] == r["local_shootdown"] + r["local_mm_shootdown"], p
rate = p["health_per_core_rate"]
want = "green" if rate < 200 else "yellow" if rate < 2000 else "red"
assert p["task_switches"] == r["task_switch"] and p["health"] == want, p
assert p["health"] != "green", p
print("# tlbbench mmap --duration 1: %.0f address-space flushes/s per CPU: %s" % (rate, p["health"]))
PY
finish
