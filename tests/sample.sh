#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tlbstat sample and the sampler plugins: sched and vmstat on this kernel's /proc; gpu against
# the test fixture libnvidia-ml.so.1 ($O/tests/fixtures/nvml, fixed made-up values) and without
# NVML; prom against a Python HTTP server on loopback serving a file the test rewrites; the
# plugin ABI with good and bad fixture plugins; usage and runtime exit codes. No root, no
# tracepoints. TAP. About 10 s.
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
srv=
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$tmp"' EXIT
FIX=$O/tests/fixtures

# col FILE NAME ROW: the value of column NAME in data row ROW (1 = first after the header)
col() { "$PY" -c "import csv,sys; r=list(csv.reader(open(sys.argv[1]))); i=r[0].index(sys.argv[2])
print(r[int(sys.argv[3])][i])" "$@"; }
rows() { echo $(( $(wc -l <"$1") - 1 )); }
# all 'shell condition': for check, when a point needs several conditions at once
all() { eval "$1"; }

# --- sched and vmstat on this kernel
"$TLBSTAT" sample --interval 100ms -d 350ms sched,vmstat >"$tmp/sv.csv" 2>"$tmp/sv.err"
check "sample sched,vmstat exits 0" [ $? -eq 0 ]
check "three rows in 350 ms at 100 ms" [ "$(rows "$tmp/sv.csv")" -eq 3 ]
check "header starts with time and has sched.procs_running, sched.ctx_switches" \
	grep -q '^time,.*sched\.procs_running,sched\.ctx_switches' "$tmp/sv.csv"
now=$("$PY" -c 'import time; print(time.clock_gettime(time.CLOCK_MONOTONIC))')
t=$(col "$tmp/sv.csv" time 3)
check "time column is CLOCK_MONOTONIC seconds (last row $t, now $now)" \
	"$PY" -c "import sys; sys.exit(0 if 0 <= float(sys.argv[2]) - float(sys.argv[1]) < 5 else 1)" "$t" "$now"
cs=$(col "$tmp/sv.csv" sched.ctx_switches 2)
check "context switches per interval is a count ($cs)" "$PY" -c "import sys; float(sys.argv[1]) >= 0 or sys.exit(1)" "$cs"
# every vmstat column is a counter this kernel has, and the ones it has of the families are there
bad=$(head -1 "$tmp/sv.csv" | tr , '\n' | sed -n 's/^vmstat\.//p' | while read -r c; do
	grep -q "^$c " /proc/vmstat || echo "$c"; done)
check "vmstat columns exist in /proc/vmstat (${bad:-all})" [ -z "$bad" ]
want=$(grep -cE '^(thp_|compact_|pgmigrate_|numa_|nr_tlb_)' /proc/vmstat)
got=$(head -1 "$tmp/sv.csv" | tr , '\n' | grep -cE '^vmstat\.(thp_|compact_|pgmigrate_|numa_|nr_tlb_)')
check "every THP/compaction/migration/NUMA/nr_tlb counter is a column ($got of $want)" [ "$got" -eq "$want" ]
if [ -r /proc/pressure/cpu ]; then
	check "PSI columns where /proc/pressure/cpu exists" grep -q 'sched\.psi_some_avg10' "$tmp/sv.csv"
else
	check "no PSI: a note, no psi columns" grep -q 'PSI off' "$tmp/sv.err"
fi

# --- sched on fixture files (proc=DIR): run delay per CPU, PSI stall, context switches as deltas
mkdir -p "$tmp/proc/pressure"
fake_proc() {	# ctxt, some total (us), cpu0 and cpu2 run delay (ns); cpu1 is offline
	printf 'cpu  1 2 3 4\nctxt %s\nprocs_running 4\n' "$1" >"$tmp/proc/stat"
	printf 'some avg10=1.50 avg60=0.00 avg300=0.00 total=%s\nfull avg10=0.25 avg60=0.00 avg300=0.00 total=7\n' \
		"$2" >"$tmp/proc/pressure/cpu"
	printf 'version 15\ntimestamp 1\ncpu0 0 0 0 0 0 0 1 %s 3\ndomain0 3 1\ncpu2 0 0 0 0 0 0 1 %s 3\n' \
		"$3" "$4" >"$tmp/proc/schedstat"
}
fake_proc 1000 500 1000000 0
"$TLBSTAT" sample --interval 200ms -d 700ms -o "$tmp/fs.csv" "sched:proc=$tmp/proc" 2>"$tmp/fs.err" & sp=$!
for _ in $(seq 40); do [ "$(rows "$tmp/fs.csv" 2>/dev/null || echo 0)" -ge 1 ] && break; sleep 0.05; done
fake_proc 1600 2500 4000000 9000
wait $sp
check "sched:proc=DIR: header with run delay per CPU number (cpu1 offline: a hole)" \
	[ "$(head -1 "$tmp/fs.csv")" = "time,sched.psi_some_avg10,sched.psi_some_stall,sched.psi_full_avg10,sched.psi_full_stall,sched.procs_running,sched.ctx_switches,sched.run_delay,sched.cpu0_run_delay,sched.cpu1_run_delay,sched.cpu2_run_delay" ]
# the row after the rewrite: 600 switches, 2000 us stalled, 3000 + 9 us waited
got=$(cut -d, -f2- "$tmp/fs.csv" | grep -v '^sched' | grep -v '^1.5,0,0.25,0,4,0,0,0,0,0$' | head -1)
check "deltas over the interval, run delay in us ($got)" [ "$got" = "1.5,2000,0.25,0,4,600,3009,3000,0,9" ]
check "no note when everything is there" [ ! -s "$tmp/fs.err" ]
expect 1 "the one argument is proc=DIR" "sched with another argument" -- "$TLBSTAT" sample sched:x

# --- gpu: the fixture NVML, then none
LD_LIBRARY_PATH=$FIX/nvml "$TLBSTAT" sample --interval 100ms -d 250ms gpu >"$tmp/g.csv" 2>"$tmp/g.err"
check "gpu with the fixture NVML exits 0 without a note" all "[ $? -eq 0 ] && [ ! -s $tmp/g.err ]"
check "two fixture GPUs, 7 columns each" [ "$(head -1 "$tmp/g.csv" | tr , '\n' | grep -c '^gpu\.gpu')" -eq 14 ]
is_v() { local got; got=$(col "$tmp/g.csv" "$1" "$2"); check "$1 row $2 = '$3' (got '$got')" [ "$got" = "$3" ]; }
is_v gpu.gpu0_util 1 10
is_v gpu.gpu0_sm_clock 1 1980
is_v gpu.gpu0_mem_used 1 1025
is_v gpu.gpu0_pcie_rx 1 2000
is_v gpu.gpu1_pcie_rx 1 ""		# the fixture says "not supported": empty, not 0
is_v gpu.gpu1_xid 1 1
is_v gpu.gpu1_xid 2 0
is_v gpu.gpu0_ecc_uncorrected 1 1
FAKE_NVML_FAIL_INIT=1 LD_LIBRARY_PATH=$FIX/nvml "$TLBSTAT" sample --interval 100ms -d 150ms gpu \
	>"$tmp/g2.csv" 2>"$tmp/g2.err"
check "nvmlInit failing: exit 0, one note, no columns" all "[ $? -eq 0 ] &&
	[ \$(wc -l <$tmp/g2.err) -eq 1 ] && grep -q 'nvmlInit failed' $tmp/g2.err &&
	[ \$(head -1 $tmp/g2.csv) = time ]"
if ! ldconfig -p 2>/dev/null | grep -q libnvidia-ml.so.1; then
	LD_LIBRARY_PATH= "$TLBSTAT" sample --interval 100ms -d 150ms gpu >"$tmp/g3.csv" 2>"$tmp/g3.err"
	check "no NVML: exit 0, 'no NVML' note, only the time column" all "[ $? -eq 0 ] &&
		grep -q 'no NVML' $tmp/g3.err && [ \$(head -1 $tmp/g3.csv) = time ]"
else
	skip "this machine has a real libnvidia-ml.so.1"
fi

# --- the ABI: fixture plugins
"$TLBSTAT" sample --plugin-dir "$FIX/plugins" --interval 100ms -d 350ms good >"$tmp/p.csv"
check "good fixture plugin: header time,good.calls,good.missing" [ "$(head -1 "$tmp/p.csv")" = time,good.calls,good.missing ]
check "its rows count 1,2,3 and NaN is an empty cell" \
	[ "$(cut -d, -f2- "$tmp/p.csv" | tail -n +2 | tr '\n' ' ')" = "1, 2, 3, " ]
expect 3 "ABI version 2, this tlbstat loads version 1" "plugin of another ABI version refused" -- \
	"$TLBSTAT" sample --plugin-dir "$FIX/plugins" badversion
expect 3 "descriptor of 8 bytes" "plugin with a short descriptor refused" -- \
	"$TLBSTAT" sample --plugin-dir "$FIX/plugins" badsize
expect 2 "no nope.so in" "unknown sampler: exit 2, names where it looked" -- "$TLBSTAT" sample nope
expect 2 "letters, digits" "a name with a path in it" -- "$TLBSTAT" sample ../good
expect 2 "name at least one sampler" "no sampler" -- "$TLBSTAT" sample
expect 2 "given twice" "the same sampler twice" -- "$TLBSTAT" sample sched,sched
expect 2 "empty item" "an empty list item" -- "$TLBSTAT" sample sched,,vmstat
expect 2 "10ms" "interval below 10ms" -- "$TLBSTAT" sample --interval 1ms sched
"$TLBSTAT" sample --list >"$tmp/list" 2>&1
check "--list names the shipped plugins" all "grep -q '^  sched ' $tmp/list && grep -q '^  vmstat ' $tmp/list"
"$TLBSTAT" sample --help >"$tmp/help"
check "--help exits 0 with the usage" all "[ $? -eq 0 ] && grep -q 'tlbstat sample' $tmp/help"

# --- -o, and a signal ends it cleanly
"$TLBSTAT" sample --interval 100ms -d 250ms -o "$tmp/o.csv" sched
check "-o writes the file" [ "$(rows "$tmp/o.csv")" -eq 2 ]
ln -s "$tmp/o.csv" "$tmp/link.csv"
expect 1 "symbolic link" "-o onto a symlink refused" -- "$TLBSTAT" sample -d 200ms -o "$tmp/link.csv" sched
"$TLBSTAT" sample --interval 100ms sched >"$tmp/int.csv" & pid=$!
sleep 0.5; kill -INT $pid; wait $pid
check "SIGINT ends it with exit 0 and whole rows" all "[ $? -eq 0 ] && [ \$(rows $tmp/int.csv) -ge 2 ] &&
	[ -z \"\$(tail -c 1 $tmp/int.csv | tr -d '\\n')\" ]"

# --- prom: a histogram, a gauge and a counter pair from a local server
if [ -x "$O/plugins/prom.so" ] || [ -f "$O/plugins/prom.so" ]; then
	mkdir "$tmp/www"
	cat >"$tmp/www/metrics" <<'M'
# TYPE req_latency_seconds histogram
req_latency_seconds_bucket{le="0.1",model="a"} 0
req_latency_seconds_bucket{le="0.2",model="a"} 0
req_latency_seconds_bucket{le="+Inf",model="a"} 0
req_latency_seconds_sum{model="a"} 0
req_latency_seconds_count{model="a"} 0
dur_us 0
done_total 0
queue_depth 7
vllm:num_requests_running 3
M
	timeout 30 "$PY" -c "import http.server,os,sys
os.chdir(sys.argv[1])
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
s=http.server.HTTPServer(('127.0.0.1',0),H)
open(sys.argv[2]+'.tmp','w').write(str(s.server_address[1])); os.rename(sys.argv[2]+'.tmp',sys.argv[2])
s.serve_forever()" "$tmp/www" "$tmp/port" 2>/dev/null & srv=$!
	for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
	url=http://127.0.0.1:$(cat "$tmp/port")/metrics
	"$TLBSTAT" sample --interval 300ms -d 1500ms -o "$tmp/prom.csv" \
		"prom:$url" "prom:$url:queue_depth" "prom:$url:dur_us/done_total" 2>"$tmp/prom.err" & sp=$!
	for _ in $(seq 50); do [ "$(rows "$tmp/prom.csv" 2>/dev/null || echo 0)" -ge 1 ] && break; sleep 0.05; done
	# 100 observations: 50 <= 0.1 s, 40 in (0.1, 0.2], 10 above; 12 s in all
	cat >"$tmp/www/m.new" <<'M'
req_latency_seconds_bucket{le="0.1",model="a"} 50
req_latency_seconds_bucket{le="0.2",model="a"} 90
req_latency_seconds_bucket{le="+Inf",model="a"} 100
req_latency_seconds_sum{model="a"} 12
req_latency_seconds_count{model="a"} 100
dur_us 5000
done_total 20
queue_depth 9
vllm:num_requests_running 9
M
	mv "$tmp/www/m.new" "$tmp/www/metrics"
	wait $sp
	check "prom sampler exits 0" [ $? -eq 0 ]
	line=$("$PY" -c "import csv,sys
r=list(csv.DictReader(open(sys.argv[1])))
x=[d for d in r if d['prom.req_latency_seconds_count'] not in ('','0')]
print(len(x), x[0]['prom.req_latency_seconds_p50'], x[0]['prom.req_latency_seconds_p99'],
      x[0]['prom.req_latency_seconds_mean'], x[0]['prom.req_latency_seconds_count'],
      x[0]['prom.queue_depth'], x[0]['prom.dur_us_per_request'], r[0]['prom.queue_depth'])" "$tmp/prom.csv")
	check "one interval with the 100 requests: p50 0.1, p99 0.2, mean 0.12, gauge 7 then 9, 250 us per request ($line)" \
		[ "$line" = "1 0.1 0.2 0.12 100 9 250 7" ]
	quiet=$("$PY" -c "import csv,sys
r=list(csv.DictReader(open(sys.argv[1])))
print(sum(1 for d in r if d['prom.req_latency_seconds_count']=='0' and d['prom.req_latency_seconds_p99']==''))" "$tmp/prom.csv")
	check "intervals without requests have no percentile, not 0 ($quiet of them)" [ "$quiet" -ge 2 ]
	"$TLBSTAT" sample --interval 100ms -d 150ms "prom:$url:vllm:num_requests_running" >"$tmp/v.csv"
	check "a metric with a colon of its own (vLLM's names)" \
		[ "$(col "$tmp/v.csv" prom.vllm:num_requests_running 1)" = 9 ]
	expect 1 "has no metric nope" "prom: a metric the server lacks" -- "$TLBSTAT" sample -d 200ms "prom:$url:nope"
	kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null; srv=
	expect 1 "connect" "prom: nothing listening" -- "$TLBSTAT" sample -d 200ms "$(echo "prom:$url")"
	expect 1 "needs a URL" "prom without a URL" -- "$TLBSTAT" sample prom
else
	skip "prom plugin not built (no libcurl at build time)"
fi
finish
