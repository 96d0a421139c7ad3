#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# report's perf options on a committed recording (no tracing): --pid, --tid, -C and --time
# count what perf script shows for the same selection, -c/--comms, -n, --header-only, and
# the usage errors (exit 2); record's -F is refused as perf users would type it.
. "$(dirname "$0")/lib.sh"
D=tests/data/tlbstat-ipi.data
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

inv() { "$TLBSTAT" report -i "$D" --json "$@" 2>/dev/null | "$PY" -c "import json,sys; print(json.load(sys.stdin)['invalidations'])"; }

if command -v perf >/dev/null && perf script -i "$D" -F pid,tid,cpu,time,event >"$T/ps" 2>/dev/null; then
	# perf script: "PID/TID [CPU] TIME: EVENT:"
	psc() { "$PY" - "$T/ps" "$@" <<'PY'
import sys
f, what, arg = sys.argv[1], sys.argv[2], sys.argv[3]
n = 0
for l in open(f):
    w = l.split()
    if len(w) < 4 or w[3] != "tlb:tlb_flush:":
        continue
    pid, tid = map(int, w[0].split("/"))
    cpu, t = int(w[1].strip("[]")), float(w[2].rstrip(":"))
    if what == "pid": n += pid in map(int, arg.split(","))
    elif what == "tid": n += tid == int(arg)
    elif what == "cpu": n += cpu == int(arg)
    elif what == "time":
        a, b = map(float, arg.split(",")); n += a <= t <= b
print(n)
PY
	}
	for sel in "pid 7467" "pid 7467,7468" "tid 7471" "cpu 1" "time 211.5,211.55"; do
		set -- $sel
		opt=--$1; [ "$1" = cpu ] && opt=-C
		want=$(psc "$1" "$2"); got=$(inv "$opt" "$2")
		[ -n "$got" ] && [ "$got" = "$want" ] && ok "report $opt $2: $got invalidations, as perf script" ||
			not_ok "report $opt $2: $got, perf script $want"
	done
else
	skip "perf script not available: filters not compared"
fi

all=$(inv)
[ "$(inv --time +0,)" = "$all" ] && ok "--time +0, keeps everything" || not_ok "--time +0,"
[ "$(inv --time +10,)" = 0 ] && ok "--time +10, keeps nothing (the file lasts 0.1 s)" || not_ok "--time +10,"
"$TLBSTAT" report -i "$D" --json --time +0.02,+0.05 > "$T/w.json" 2>/dev/null
"$PY" -c "
import json,sys; d=json.load(open(sys.argv[1]))
assert abs(d['duration_s'] - 0.03) < 1e-6, d['duration_s']
assert d['filter']['kept'] + d['filter']['left_out'] == d['samples']
assert abs(sum(r['covered_s'] for r in d['series']['rows']) - 0.03) < 1e-6
" "$T/w.json" && ok "--time +0.02,+0.05: duration and series cover 0.03 s" || not_ok "window duration"

sh=$(inv --comm sh); tb=$(inv -c tlbbench); both=$(inv --comms sh,tlbbench)
[ $((sh + tb)) = "$both" ] && [ "$sh" -gt 0 ] && [ "$tb" -gt 0 ] &&
	ok "-c sh ($sh) + -c tlbbench ($tb) = -c sh,tlbbench" || not_ok "comms: $sh + $tb != $both"

"$TLBSTAT" report -i "$D" --json -n > "$T/n.json"
"$PY" -c "
import json,sys; d=json.load(open(sys.argv[1]))
s = sum(p['samples'] for p in d['processes'])
assert s == d['samples'], (s, d['samples'])
assert all(p['samples'] >= p['invalidations'] for p in d['processes'])
" "$T/n.json" && ok "-n: the processes' samples add up to the file's" || not_ok "-n samples"
"$TLBSTAT" report -i "$D" -n | grep -q " SAMPLES " && ok "-n: a SAMPLES column" || not_ok "-n column"

"$TLBSTAT" report -i "$D" --header-only > "$T/h" 2>&1
grep -q "^# os release : 6.18.44-fc-v857$" "$T/h" && grep -q "^# event : name = tlb:tlb_flush," "$T/h" &&
	grep -q "^# cmdline : build/tlbstat record" "$T/h" && ! grep -q "Per process" "$T/h" &&
	ok "--header-only: the header, nothing else" || not_ok "--header-only: $(head -c 300 "$T/h")"
"$TLBSTAT" report -i "$D" --header | grep -q "Per process" && ok "--header: then the report" ||
	not_ok "--header"

expect 2 "report: --pid: .*'x'" "--pid x is a usage error" -- "$TLBSTAT" report -i "$D" --pid x
expect 2 "report: --time: .*start,end" "--time 5 is a usage error" -- "$TLBSTAT" report -i "$D" --time 5
expect 2 "end is before the start" "--time 5,4 is a usage error" -- "$TLBSTAT" report -i "$D" --time 5,4
expect 2 "report: -C: bad cpu" "-C x is a usage error" -- "$TLBSTAT" report -i "$D" -C x
expect 2 "report: --header goes with the tables" "--header --json is a usage error" -- "$TLBSTAT" report -i "$D" --header --json
expect 2 "record: -F does not apply" "record -F is refused" -- "$TLBSTAT" record -F 99 -- true
expect 2 "record: -c must be at least 1" "record -c -1 is refused" -- "$TLBSTAT" record -c -1 -- true
finish
