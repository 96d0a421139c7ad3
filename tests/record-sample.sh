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

# A slow sampler must not stall the recording: a prom server that takes 1.5 s per scrape, small
# ring buffers (4 pages per CPU: ~20 ms of this churn), a paced churn. Samplers run on their own
# thread, so the drain goes on; when they ran in the session's loop, each scrape left the buffers
# unread for 1.5 s and most of those events were lost.
mkdir -p "$tmp/www"
echo "queue_depth 3" >"$tmp/www/metrics"
timeout 60 "$PY" -c "import http.server,os,sys,time
os.chdir(sys.argv[1])
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        time.sleep(1.5)
        return super().do_GET()
s=http.server.ThreadingHTTPServer(('127.0.0.1',0),H)
open(sys.argv[2]+'.tmp','w').write(str(s.server_address[1])); os.rename(sys.argv[2]+'.tmp',sys.argv[2])
s.serve_forever()" "$tmp/www" "$tmp/port" 2>/dev/null & srv=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
url=http://127.0.0.1:$(cat "$tmp/port")/metrics
"$TLBSTAT" record -a -q -m 4 --sample "prom:$url:queue_depth" --sample-interval 200ms \
	-o "$tmp/slow.data" -- "$TLBBENCH" mmap --rate 5000 --duration 3 >/dev/null 2>"$tmp/slow.err"
check "record --sample with a slow prom server exits 0" [ $? -eq 0 ]
kill $srv 2>/dev/null
"$TLBSTAT" report -i "$tmp/slow.data" --json -o "$tmp/slow.json" 2>/dev/null
got=$("$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['samples'], d['lost'])" "$tmp/slow.json")
read -r nsamp nlost <<<"$got"
echo "# slow scrapes: $nsamp samples, $nlost lost; $(( $(wc -l <"$tmp/slow.data.samples.csv") - 1 )) sampler rows"
check "... and the drain went on: lost ($nlost) under 5% of the events ($nsamp)" \
	"$PY" -c "import sys; s,l=int(sys.argv[1]),int(sys.argv[2]); sys.exit(0 if s > 10000 and l < 0.05 * (s + l) else 1)" "$nsamp" "$nlost"
check "... and the scrapes that came back are rows (queue_depth 3)" \
	grep -q ',3$' "$tmp/slow.data.samples.csv"

expect 2 "no nope.so in" "an unknown sampler: exit 2" -- \
	"$TLBSTAT" record -a -d 1 --sample nope -o "$tmp/n.data"
check "... before anything was recorded (no file)" [ ! -e "$tmp/n.data" ]
expect 2 "not with -o -" "--sample with a stream" -- "$TLBSTAT" record -a -d 1 --sample sched -o -
finish
