#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Integration tests of `tlbstat stat` on real tracepoints (root, tracefs, perf_event).
# A two-thread churn (tlbbench mmap: one munmap thread + one busy latency-probe thread in the same
# mm, on another CPU) must show one remote flush per munmap. What the remote side shows depends
# on the machine (../shared/reference/machines.md): IPI machines fire reason 1 on the victim and
# move the TLB: row; hypervisor machines do not. Assertions follow the detected transport.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -x "$TLBSTAT" ] || [ ! -x "$TLBBENCH" ]; then
	skip "tlbstat or tlbbench not built ($TLBSTAT, $TLBBENCH)"; finish; exit
fi
if [ "$(id -u)" != 0 ]; then skip "needs root"; finish; exit; fi

N=3000
# --probe-fifo: the spinning probe thread keeps its CPU (no other task can preempt it), so every
# munmap must reach it; without it a busy machine let 4473 of 5000 munmaps send and 1083 land.
churn=("$TLBBENCH" mmap --threads 1 --ops $N --probe-fifo)

# --- per-command counting
if "$TLBSTAT" stat --json -o "$tmp/cmd.json" -- "${churn[@]}" >"$tmp/cmd.out" 2>&1; then
	ok "stat -- tlbbench mmap runs"
else
	not_ok "stat -- tlbbench mmap runs"; cat "$tmp/cmd.out"
fi
send=$(jget "$tmp/cmd.json" reasons.remote_ipi_send)
remote=$(jget "$tmp/cmd.json" reasons.remote_shootdown)
transport=$(jget "$tmp/cmd.json" transport)
echo "# $N munmaps: remote_ipi_send=$send remote_shootdown=$remote transport=$transport"
echo "# evidence: $(jget "$tmp/cmd.json" transport_evidence)"
check "remote IPI sends ($send) within 5% of munmaps ($N)" within "$send" $N 5
check "total equals the sum of the reasons" "$PY" - "$tmp/cmd.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["total"] == sum(d["reasons"].values())
assert d["total"] == sum(c["total"] for c in d["per_cpu"])
assert all(isinstance(v, int) for v in d["reasons"].values())
for k in ("duration_s", "cpus", "rate_per_s", "per_core_rate", "health", "interrupts_tlb", "per_cpu"):
    assert k in d, k
assert d["health"] in ("green", "yellow", "red", "insufficient data")   # count_health_of: a run under 0.5 s gets no verdict
assert abs(d["per_core_rate"] * d["cpus"] - d["rate_per_s"]) < 1e-6 * max(1, d["rate_per_s"])
PY
case "$transport" in
ipi)
	echo "# machine kind: remote flushes by IPI"
	victims_within "stat -- churn" "$remote" $N "$(jget "$tmp/cmd.json" interrupts_tlb)" ;;
hypervisor)
	echo "# machine kind: remote flushes by the hypervisor"
	check "no remote shootdowns visible on a hypervisor machine ($remote)" test "$remote" -eq 0
	check "victims reported as not observable" test "$(jget "$tmp/cmd.json" victims_observable)" = False ;;
*)
	not_ok "transport detected as ipi or hypervisor (got '$transport')" ;;
esac

# --- system wide: remote shootdowns against the kernel's own TLB: interrupt count
# (a second apart: the kernel lets a real-time task spin at most 0.95 s of each second, and on
# a slow machine, 3000 munmaps take ~0.9 s)
sleep 1
"$TLBSTAT" stat -a --json -o "$tmp/sys.json" -- "${churn[@]}" >/dev/null 2>&1
sremote=$(jget "$tmp/sys.json" reasons.remote_shootdown)
irq=$(jget "$tmp/sys.json" interrupts_tlb)
ssend=$(jget "$tmp/sys.json" reasons.remote_ipi_send)
echo "# system wide: remote_shootdown=$sremote TLB: delta=$irq remote_ipi_send=$ssend"
check "system-wide remote shootdowns ($sremote) within 5% of the TLB: delta ($irq)" within "$sremote" "$irq" 5
check "system-wide remote sends ($ssend) at least the churn's ($N - 5%)" \
	"$PY" -c "import sys; sys.exit(0 if $ssend >= 0.95 * $N else 1)"
check "system-wide per_cpu has one row per online cpu" \
	test "$("$PY" -c "import json; print(len(json.load(open('$tmp/sys.json'))['per_cpu']))")" -eq "$(nproc)"

# --- human table, CSV, interval output
"$TLBSTAT" stat -d 0.3 >"$tmp/table.txt" 2>&1
check "table shows every reason" grep -q "remote IPI send" "$tmp/table.txt"
grep -q "health:" "$tmp/table.txt" && grep -q "seconds time elapsed" "$tmp/table.txt" &&
	ok "table has health and elapsed time" || not_ok "table has health and elapsed time"
"$TLBSTAT" stat -a --csv -d 0.2 >"$tmp/s.csv" 2>&1
check "CSV header names every reason" grep -q '^cpu,task_switch,remote_shootdown,local_shootdown,local_mm_shootdown,remote_ipi_send,remote_wrong_cpu,total' "$tmp/s.csv"
check "CSV has an 'all' row and one row per cpu" test "$(grep -c '' "$tmp/s.csv")" -eq $(( $(nproc) + 2 ))
"$TLBSTAT" stat -a -I 200 -d 1.1 >"$tmp/iv.txt" 2>&1
check "-I 200 for 1.1 s prints 5 interval lines" test "$(grep -cE '^ +[0-9]+\.[0-9]{3} ' "$tmp/iv.txt")" -eq 5
"$TLBSTAT" stat -a -I 300 --json -d 1 >"$tmp/iv.json" 2>&1
check "-I --json: one JSON object per line, summary last" "$PY" - "$tmp/iv.json" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(lines) >= 3, len(lines)
assert all("interval_end_s" in l for l in lines[:-1])
assert "transport" in lines[-1] and "interval_end_s" not in lines[-1]
assert lines[-1]["total"] >= sum(l["total"] for l in lines[:-1])
PY

# --- -p: an existing process
"$TLBBENCH" mmap --threads 1 --duration 3 >/dev/null 2>&1 &
bpid=$!
sleep 0.3
"$TLBSTAT" stat -p $bpid -d 0.5 --json -o "$tmp/p.json" >/dev/null 2>&1
kill $bpid 2>/dev/null; wait $bpid 2>/dev/null
check "-p counts the running churn's remote sends" \
	"$PY" -c "import json,sys; sys.exit(0 if json.load(open('$tmp/p.json'))['reasons']['remote_ipi_send'] > 100 else 1)"

# --- -p on a process that exits: the count ends with it (as perf stat does), summary printed
"$TLBBENCH" mmap --threads 1 --duration 0.8 >/dev/null 2>&1 &
bpid=$!
sleep 0.2
t0=$(date +%s%N)
timeout 10 "$TLBSTAT" stat -p $bpid --json -o "$tmp/pe.json" >/dev/null 2>&1
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
wait $bpid 2>/dev/null
check "-p: ends when the process exits (exit $rc after $ms ms; the process had ~600 ms left)" \
	test $rc -eq 0 -a $ms -lt 3000
check "-p: the summary counts the process's sends ($(jget "$tmp/pe.json" reasons.remote_ipi_send))" \
	test "$(jget "$tmp/pe.json" reasons.remote_ipi_send)" -gt 100

# --- SIGINT ends the count and still prints the summary
"$TLBSTAT" stat -a >"$tmp/int.txt" 2>&1 &
spid=$!
sleep 0.5
kill -INT $spid
wait $spid
rc=$?
check "SIGINT: exit 0 (got $rc)" test $rc -eq 0
check "SIGINT: summary printed" grep -q "seconds time elapsed" "$tmp/int.txt"

# --- perf stat's habits: counts on stderr (stdout stays the command's), -x, -e, -r, -A
"$TLBSTAT" stat -j -- sh -c 'echo workload-out' >"$tmp/wo.out" 2>"$tmp/wo.err"
check "-j: stdout is the command's own output, exactly" test "$(cat "$tmp/wo.out")" = workload-out
check "-j: the JSON object is on stderr" "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['schema_version'] == 1" "$tmp/wo.err"
"$TLBSTAT" stat -- sh -c 'echo workload-out' >"$tmp/wt.out" 2>"$tmp/wt.err"
check "table: stdout clean, table on stderr" \
	test "$(cat "$tmp/wt.out")" = workload-out -a "$(grep -c 'seconds time elapsed' "$tmp/wt.err")" -eq 1
"$TLBSTAT" stat -- /nonexistent/cmd >"$tmp/ne.out" 2>"$tmp/ne.err"; rc=$?
check "a command that cannot run: exit 1, only its error line (exit $rc)" \
	test $rc -eq 1 -a "$(grep -c . "$tmp/ne.err")" -eq 1 -a ! -s "$tmp/ne.out"
check "... the line says why" grep -q "cannot run '/nonexistent/cmd': No such file" "$tmp/ne.err"
"$TLBSTAT" stat -a -x';' -o "$tmp/x.txt" -- "${churn[@]}" >/dev/null 2>&1
check "-x ';': perf's columns, reasons add up to the total, health last" "$PY" - "$tmp/x.txt" <<'PY'
import sys
rows = [l.rstrip("\n").split(";") for l in open(sys.argv[1]) if l.strip()]
assert all(len(r) == 7 for r in rows), rows
ev = {r[2]: r for r in rows}
keys = ["task_switch", "remote_shootdown", "local_shootdown", "local_mm_shootdown",
        "remote_ipi_send", "remote_wrong_cpu"]
assert [r[2] for r in rows[:6]] == keys, rows
assert sum(int(ev[k][0]) for k in keys) == int(ev["total"][0])
assert int(ev["remote_ipi_send"][0]) >= 0.95 * 3000
assert all(r[1] == "" and r[4] == "100.00" and int(r[3]) > 0 for r in rows)
assert rows[-1][2] == "health" and rows[-1][0] in ("green", "yellow", "red", "insufficient data")
assert ev["total"][6] == "/s/core"
PY
"$TLBSTAT" stat -a -A -x, -d 0.2 -o "$tmp/xa.txt"
check "-A -x,: every row starts with CPU<n>, one health row per cpu" \
	test "$(grep -c '^CPU[0-9]*,' "$tmp/xa.txt")" -eq "$(grep -c . "$tmp/xa.txt")" -a \
	"$(grep -c ',health,' "$tmp/xa.txt")" -eq "$(nproc)"
"$TLBSTAT" stat -a -x, -I 100 -d 250ms -o "$tmp/xi.txt"
check "-x, -I 100 for 250 ms: two intervals of rows led by the time, no summary" "$PY" - "$tmp/xi.txt" <<'PY'
import sys
rows = [l.rstrip("\n").split(",") for l in open(sys.argv[1]) if l.strip()]
assert all(len(r) == 8 and float(r[0]) > 0 for r in rows), rows
assert [r[1] for r in rows if r[3] == "health"] and len([r for r in rows if r[3] == "health"]) == 2
assert len({r[0] for r in rows}) == 2
PY
"$TLBSTAT" stat -a -d 0.2 -o "$tmp/agg.txt"
"$TLBSTAT" stat -a -d 0.2 --per-cpu -o "$tmp/noagg.txt"
check "the table is aggregated; --per-cpu (-A) adds the per-CPU table" \
	test "$(grep -c 'TLB:irq' "$tmp/agg.txt")" -eq 0 -a "$(grep -c 'TLB:irq' "$tmp/noagg.txt")" -eq 1
"$TLBSTAT" stat -e remote_ipi_send,3 -j -o "$tmp/e.json" -- "${churn[@]}" >/dev/null 2>&1
check "-e remote_ipi_send,3: those reasons only; total and health still over every reason" "$PY" - "$tmp/e.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert sorted(d["reasons"]) == ["local_mm_shootdown", "remote_ipi_send"], d["reasons"]
assert d["total"] == sum(c["total"] for c in d["per_cpu"])
assert d["total"] >= sum(d["reasons"].values())
PY
"$TLBSTAT" stat -e send -d 0.1 >/dev/null 2>"$tmp/e.err"; rc=$?
check "-e with an unknown reason: exit 2, names the valid ones (exit $rc)" \
	test $rc -eq 2 -a "$(grep -c 'remote_ipi_send' "$tmp/e.err")" -eq 1
sleep 1
"$TLBSTAT" stat -r 3 -j -o "$tmp/r.json" -- "${churn[@]}" >"$tmp/r.out" 2>&1
check "-r 3: runs the command 3 times (3 reports on its stdout)" test "$(grep -c '^ops:' "$tmp/r.out")" -eq 3
check "-r 3: the mean of 3 runs with perf's noise per count" "$PY" - "$tmp/r.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["runs"] == 3
n = d["noise_pct"]
assert set(d["reasons"]) | {"total", "duration_s"} == set(n), n
assert all(v >= 0 for v in n.values())
assert 0.95 * 3000 <= d["reasons"]["remote_ipi_send"] <= 1.05 * 3000
assert d["total"] == sum(d["reasons"].values())
PY
"$TLBSTAT" stat -r 2 -o "$tmp/r.txt" -- true
check "-r 2 table: '2 runs' in the title, ( +- x% ) beside the counts" \
	test "$(grep -c '2 runs' "$tmp/r.txt")" -eq 1 -a "$(grep -c '( +- ' "$tmp/r.txt")" -ge 8

# --- bad input and environments: one clear line, documented exit codes
expect 2 "no such process" "bad pid" -- "$TLBSTAT" stat -p 999999999
expect 2 "bad pid" "non-numeric pid" -- "$TLBSTAT" stat -p abc
expect 2 "bad cpu list" "bad cpu list" -- "$TLBSTAT" stat -C 0-x
expect 2 "not online" "offline cpu" -- "$TLBSTAT" stat -C 4096
expect 2 "unknown option" "unknown option" -- "$TLBSTAT" stat --frobnicate
expect 2 "cannot be used together" "-x with --json" -- "$TLBSTAT" stat -x, --json -d 0.1
expect 2 "repeats a command" "-r without a command" -- "$TLBSTAT" stat -r 3 -d 0.1
expect 2 "1 to 100" "-r 0" -- "$TLBSTAT" stat -r 0 -- true
expect 2 "r and -I cannot" "-r with -I" -- "$TLBSTAT" stat -r 2 -I 100 -- true
expect 2 "is not a tlbstat command" "unknown command" -- "$TLBSTAT" frobnicate
mkdir -p "$tmp/fakefs/events/ipi/ipi_send_cpu"
echo 5 >"$tmp/fakefs/events/ipi/ipi_send_cpu/id"
expect 3 "does not exist" "tracepoint absent" -- env TLBSTAT_TRACEFS="$tmp/fakefs" "$TLBSTAT" stat -d 0.1
expect 3 "TLBSTAT_TRACEFS" "tracefs unreadable" -- env TLBSTAT_TRACEFS=/nonexistent "$TLBSTAT" stat -d 0.1
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	cp "$TLBSTAT" "$tmp/tlbstat" && chmod 755 "$tmp" "$tmp/tlbstat"
	expect 3 "root|CAP_PERFMON|paranoid" "not privileged" -- \
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$tmp/tlbstat" stat -d 0.1
else
	skip "no nobody user or setpriv"
fi
"$TLBSTAT" stat --help >"$tmp/h.txt" 2>&1
check "stat --help exits 0 and lists -I" grep -q -- "--interval-print" "$tmp/h.txt"
check "tlbstat --version prints a version" bash -c "\"$TLBSTAT\" --version | grep -q \"^tlbstat version \""
check "a failing command's exit status is passed on" bash -c "! '$TLBSTAT' stat -o /dev/null -- false"
expect 1 "cannot run" "command that does not exist" -- "$TLBSTAT" stat -o /dev/null -- /nonexistent/cmd
finish
