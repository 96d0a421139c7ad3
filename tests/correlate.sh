#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tlbstat correlate end to end: two CSVs with a known lag (unsorted rows, gaps), an independent
# pair, a series too short, a constant one; a recording against a CSV made from its own series
# lagged by 2 intervals, through --offset and --clock realtime; the aligned CSV; bad rows with
# their line numbers; exit codes. File-based, no root. TAP. About 5 s.
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
DATA=tests/data
all() { eval "$1"; }
# pair JSON A B FIELD: a field of the pair (A, B) in either order
pair() { "$PY" -c "import json,sys
d=json.load(open(sys.argv[1]))
p=[x for x in d['pairs'] if {x['a'],x['b']}=={sys.argv[2],sys.argv[3]}][0]
v=p[sys.argv[4]]
print(-v if sys.argv[4]=='best_lag' and p['a']!=sys.argv[2] else v)" "$@"; }

# --- two CSVs: b.util follows a.p99 by 2 intervals; b.noise is independent; rows shuffled
"$PY" - "$tmp" <<'PY'
import random, sys
d = sys.argv[1]
rnd = random.Random(7)
x = [0.0]
for _ in range(299):
    x.append(0.8 * x[-1] + rnd.gauss(0, 1))
rows = [(1000 + t + 0.3, x[t]) for t in range(300)]
rnd.shuffle(rows)
with open(f"{d}/a.csv", "w") as f:
    f.write("time,a.p99\n")
    f.writelines(f"{t:.3f},{v:.6f}\n" for t, v in rows)
with open(f"{d}/b.csv", "w") as f:
    f.write("# made by tests/correlate.sh\ntime,b.util,b.noise,b.flat\n")
    for t in range(300):
        y = f"{x[t - 2]:.6f}" if t >= 2 and t % 17 else ""    # gaps every 17th
        f.write(f"{1000 + t + 0.6:.3f},{y},{rnd.gauss(0, 1):.5f},5\n")
with open(f"{d}/short.csv", "w") as f:
    f.write("time,s.v\n")
    f.writelines(f"{1000 + t}.5,{x[t]}\n" for t in range(10))
PY
"$TLBSTAT" correlate --json "$tmp/a.csv" "$tmp/b.csv" >"$tmp/ab.json"
check "two CSVs alone: exit 0" [ $? -eq 0 ]
check "a.p99 leads b.util by 2 intervals" [ "$(pair "$tmp/ab.json" a.p99 b.util best_lag)" = 2 ]
check "... r 1 at that lag" "$PY" -c "import sys; sys.exit(abs(float(sys.argv[1]) - 1) > 1e-6)" "$(pair "$tmp/ab.json" a.p99 b.util best_r)"
check "... significant" [ "$(pair "$tmp/ab.json" a.p99 b.util verdict)" = significant ]
check "... over the intervals where both have values (gaps dropped)" \
	[ "$(pair "$tmp/ab.json" a.p99 b.util n)" = 281 ]
check "a.p99 and independent noise: not significant" \
	[ "$(pair "$tmp/ab.json" a.p99 b.noise verdict)" = "not significant" ]
check "a constant column: verdict constant, no r" \
	all "[ \"\$(pair $tmp/ab.json a.p99 b.flat verdict)\" = constant ] && [ \"\$(pair $tmp/ab.json a.p99 b.flat pearson)\" = None ]"
check "the finding names the lag" grep -q 'a.p99 leads b.util by 2 intervals' "$tmp/ab.json"
"$TLBSTAT" correlate "$tmp/a.csv" "$tmp/b.csv" >"$tmp/ab.txt"
check "table: the significant pair first, then the finding" \
	all "sed -n 4p $tmp/ab.txt | grep -q '^a.p99 *b.util .* significant' && tail -1 $tmp/ab.txt | grep -q '1 of 3 pairs significant at 5 %'"
"$TLBSTAT" correlate "$tmp/short.csv" "$tmp/b.csv" >"$tmp/short.txt"
check "ten rows: 'too short', said plainly" \
	all "grep -q 'too short' $tmp/short.txt && grep -q 'fewer than 20 intervals' $tmp/short.txt"

# --- the aligned series
"$TLBSTAT" correlate --csv --interval 2s "$tmp/a.csv" "$tmp/b.csv" >"$tmp/al.csv"
check "--csv: header time and every column" [ "$(head -1 "$tmp/al.csv")" = "time,a.p99,b.util,b.noise,b.flat" ]
check "--csv: 150 intervals of 2 s on the absolute grid (1000, 1002, ...)" \
	all "[ \$(( \$(wc -l <$tmp/al.csv) - 1 )) -eq 150 ] && sed -n 2p $tmp/al.csv | grep -q '^1000.000000000,' && sed -n 3p $tmp/al.csv | grep -q '^1002.000000000,'"

# --- a recording against its own series, lagged by 2 intervals, on another clock
"$TLBSTAT" correlate --csv --interval 1ms "$DATA/tlbstat-ipi.data" >"$tmp/rec.csv"
check "a recording alone: its invalidations and bytes on the grid" \
	[ "$(head -1 "$tmp/rec.csv")" = time,tlb.invalidations,tlb.bytes ]
"$PY" - "$tmp" <<'PY'
import csv, sys, time
d = sys.argv[1]
r = list(csv.DictReader(open(f"{d}/rec.csv")))
shift = time.clock_gettime(time.CLOCK_REALTIME) - time.clock_gettime(time.CLOCK_MONOTONIC)
with open(f"{d}/lag.csv", "w") as f, open(f"{d}/rt.csv", "w") as g:
    f.write("time,lat.p99\n")
    g.write("time,lat.p99\n")
    for i in range(2, len(r)):
        t = float(r[i]["time"]) + 0.0005          # mid-interval
        v = r[i - 2]["tlb.invalidations"] or "0"
        f.write(f"{t + 10:.6f},{v}\n")            # 10 s later on purpose: --offset -10
        g.write(f"{t + shift:.6f},{v}\n")         # wall clock
PY
"$TLBSTAT" correlate --json --interval 1ms --offset -10 "$DATA/tlbstat-ipi.data" "$tmp/lag.csv" >"$tmp/rl.json"
check "recording vs CSV with --offset -10: invalidations lead lat.p99 by 2" \
	[ "$(pair "$tmp/rl.json" tlb.invalidations lat.p99 best_lag)" = 2 ]
check "... significant" [ "$(pair "$tmp/rl.json" tlb.invalidations lat.p99 verdict)" = significant ]
"$TLBSTAT" correlate --json --interval 1ms "$DATA/tlbstat-ipi.data" "$tmp/lag.csv" >"$tmp/rl0.json" 2>&1
check "... without the offset the clocks do not meet: too short" \
	grep -q '"verdict":"too short"' "$tmp/rl0.json"
"$TLBSTAT" correlate --json --interval 1ms --clock realtime "$DATA/tlbstat-ipi.data" "$tmp/rt.csv" >"$tmp/rt.json"
lag=$(pair "$tmp/rt.json" tlb.invalidations lat.p99 best_lag)
check "--clock realtime: a wall-clock CSV lines up (lag $lag, 2 +- 1 for the clocks' read skew)" \
	all "[ $lag -ge 1 ] && [ $lag -le 3 ]"

# --- errors
printf 'time,a\n1,2\n2,x\n' >"$tmp/bad.csv"
expect 1 "bad.csv:3: column 'a': 'x' is not a number" "a bad cell: its file and line" -- \
	"$TLBSTAT" correlate "$tmp/a.csv" "$tmp/bad.csv"
printf 'time,a,b\n1,2,3\n2,3\n' >"$tmp/bad2.csv"
expect 1 "bad2.csv:3: 2 fields, the header has 3" "a short row: its file and line" -- \
	"$TLBSTAT" correlate "$tmp/a.csv" "$tmp/bad2.csv"
expect 1 "nope.csv: No such file" "a missing input" -- "$TLBSTAT" correlate "$tmp/a.csv" "$tmp/nope.csv"
expect 2 "name at least one input" "no input" -- "$TLBSTAT" correlate
expect 2 "monotonic or realtime" "--clock bogus" -- "$TLBSTAT" correlate --clock tai "$tmp/a.csv"
expect 2 "needs two columns" "one series alone" -- "$TLBSTAT" correlate "$tmp/a.csv"
expect 2 "cannot be used together" "--json with --csv" -- "$TLBSTAT" correlate --json --csv "$tmp/a.csv" "$tmp/b.csv"
expect 1 "more than 100000" "clocks a day apart at 1 ms" -- \
	"$TLBSTAT" correlate --interval 1ms --offset 86400 "$DATA/tlbstat-ipi.data" "$tmp/lag.csv"
finish
