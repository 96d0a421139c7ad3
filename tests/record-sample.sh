#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# record --sample: sampler rows in <output>.samples.csv beside a real recording, on the same
# clock, which correlate then picks up by itself; refusals before anything is recorded. A live
# test (root, tracefs, tracepoints): run it under the live lock. TAP. About 5 s.
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "$(id -u)" != 0 ] || [ ! -x "$TLBBENCH" ]; then
	skip "needs root and tlbbench"; finish; exit
fi

"$TLBSTAT" record -a -q --sample sched,vmstat --sample-interval 100ms -o "$tmp/r.data" -- \
	"$TLBBENCH" mmap --threads 2 --duration 1 >/dev/null 2>"$tmp/err"
check "record --sample exits 0" [ $? -eq 0 ]
side=$tmp/r.data.samples.csv
check "the side file is there, private like the recording (0600)" \
	[ "$(stat -c %a "$side" 2>/dev/null)" = 600 ]
check "its header: time, then sched and vmstat columns" \
	grep -q '^time,sched\..*,sched\.ctx_switches,vmstat\.' "$side"
rows=$(( $(wc -l <"$side") - 1 ))
check "a row every 100 ms over the ~1 s run ($rows rows)" test "$rows" -ge 7 -a "$rows" -le 14
"$TLBSTAT" correlate --csv --interval 100ms "$tmp/r.data" >"$tmp/al.csv"
span=$("$PY" -c "import csv,sys
r=list(csv.DictReader(open(sys.argv[1])))
t=[float(x['time']) for x in r if x['tlb.invalidations'] not in ('', '0')]
s=[float(x['time']) for x in csv.DictReader(open(sys.argv[2]))]
print('yes' if min(s) >= min(t) - 1 and max(s) <= max(t) + 1.2 else f'no: samples {min(s)}..{max(s)}, events {min(t)}..{max(t)}')" "$tmp/al.csv" "$side")
check "sampler times lie within the recording's on the same clock ($span)" [ "$span" = yes ]
"$TLBSTAT" correlate --json --interval 100ms "$tmp/r.data" >"$tmp/c.json"
check "correlate takes the side file by itself" \
	test True = "$("$PY" -c "import json,sys; d=json.load(open(sys.argv[1]))
print(len(d['inputs']) == 2 and d['inputs'][1]['kind'] == 'csv' and d['inputs'][1]['path'].endswith('.samples.csv')
      and any(p['a'] == 'tlb.invalidations' and p['b'] == 'sched.ctx_switches' for p in d['pairs']))" "$tmp/c.json")"

expect 2 "no nope.so in" "an unknown sampler: exit 2" -- \
	"$TLBSTAT" record -a -d 1 --sample nope -o "$tmp/n.data"
check "... before anything was recorded (no file)" [ ! -e "$tmp/n.data" ]
expect 2 "not with -o -" "--sample with a stream" -- "$TLBSTAT" record -a -d 1 --sample sched -o -
finish
