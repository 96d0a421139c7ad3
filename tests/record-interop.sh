#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tlbstat record and report against Debian's perf 6.1, the ground truth for perf.data:
# (1) report on a file `perf record` wrote counts what `perf script` prints, per comm and per pid;
# (2) perf script / perf report read tlbstat record's file with nothing on stderr (perf 6.1 prints
#     two __get_cpumask lines for its own file with ipi:ipi_send_cpumask; record's formats avoid
#     them), counts agree, reason 4 = one per munmap, the transport note equals what
#     `tlbstat stat` detects; with tiny buffers, lost events agree between record, perf report
#     and tlbstat report;
# (3) SIGINT finishes the file, kill -9 leaves a readable one, bad copies give one error line;
# (4) record's exit codes. Root, tracefs and perf needed; about 20 s.
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT

if [ ! -x "$TLBSTAT" ] || [ ! -x "$TLBBENCH" ]; then
	skip "tlbstat or tlbbench not built ($TLBSTAT, $TLBBENCH)"; finish; exit
fi
if ! command -v perf >/dev/null; then skip "perf not installed"; finish; exit; fi
if [ "$(id -u)" != 0 ] || [ ! -r /sys/kernel/tracing/events/tlb/tlb_flush/format ] &&
   [ ! -r /sys/kernel/debug/tracing/events/tlb/tlb_flush/format ]; then
	skip "needs root and tracefs with tlb:tlb_flush"; finish; exit
fi
N=3000

# ---- (1) a file perf record wrote: report counts what perf script prints
perf record -q -e tlb:tlb_flush -a -o "$T/F.data" -- "$TLBBENCH" mmap --threads 1 --ops $N \
	>/dev/null 2>"$T/perf-rec.err"
check "perf record -e tlb:tlb_flush -a wrote F" test -s "$T/F.data"
"$TLBSTAT" report -i "$T/F.data" --json >"$T/F.json" 2>"$T/F.err"
check "tlbstat report -i F --json exits 0" test $? -eq 0
"$TLBSTAT" report -i "$T/F.data" --sort comm --top 0 >"$T/F.txt" 2>/dev/null
perf script -i "$T/F.data" -F pid,tid,comm,event 2>/dev/null >"$T/F.script"
check "per-pid totals equal perf script's (every pid)" "$PY" - "$T/F.json" "$T/F.script" <<'PY'
import collections, json, re, sys
d = json.load(open(sys.argv[1]))
perf = collections.Counter()
for line in open(sys.argv[2]):
    m = re.match(r'^\s*(.*?)\s+(-?\d+)/(-?\d+)\s+tlb:tlb_flush:', line)
    if m:
        perf[int(m.group(2))] += 1
ours = {p["pid"]: p["invalidations"] for p in d["processes"]}
ours.update({p["pid"]: p["invalidations"] for p in d["kernel_thread_initiators"] if p["pid"] not in ours})
bad = {pid: (n, ours.get(pid, 0)) for pid, n in perf.items() if ours.get(pid, 0) != n}
bad.update({pid: (perf.get(pid, 0), n) for pid, n in ours.items() if perf.get(pid, 0) != n})
print("# perf script per pid:", dict(perf.most_common(6)))
if bad:
    # samples whose tid is -1 (perf prints pid/-1): a report that keys threads by tid alone
    # puts every pid's tid -1 samples on the first such pid
    m1 = collections.Counter()
    for line in open(sys.argv[2]):
        m = re.match(r'^\s*(.*?)\s+(-?\d+)/-1\s+tlb:tlb_flush:', line)
        if m:
            m1[int(m.group(2))] += 1
    print("# tid -1 samples per pid (perf script):", dict(m1))
assert d["events"]["tlb_flush"] == sum(perf.values()), (d["events"]["tlb_flush"], sum(perf.values()))
assert not bad, "pid: (perf, tlbstat) %s" % bad
PY
# perf script names a sample by its thread's comm at that time; report's "by comm" table too.
# perf prints ":TID" for a thread it has no name for (a sample with tid -1): those are slack.
check "per-comm totals equal perf script's (every comm)" "$PY" - "$T/F.txt" "$T/F.script" <<'PY'
import collections, re, sys
ours, perf, section = {}, collections.Counter(), False
for line in open(sys.argv[1]):
    if line.startswith("Invalidations by comm"):
        section = True; continue
    if section:
        m = re.match(r'^\s+(\d+)\s+(.*?)\s+pages ', line)
        if not m: break
        # summed: the table may show one comm on several rows (one per process)
        ours[m.group(2)] = ours.get(m.group(2), 0) + int(m.group(1))
for line in open(sys.argv[2]):
    m = re.match(r'^\s*(.*?)\s+(-?\d+)/(-?\d+)\s+tlb:tlb_flush:', line)
    if m:
        perf[m.group(1)] += 1
slack = sum(n for c, n in perf.items() if re.fullmatch(r':-?\d+', c))
print("# perf script per comm:", dict(perf.most_common(8)))
print("# tlbstat by comm:     ", ours)
bad = {c: (n, ours.get(c, 0)) for c, n in perf.items()
       if not re.fullmatch(r':-?\d+', c) and abs(ours.get(c, 0) - n) > slack}
bad.update({c: (perf.get(c, 0), n) for c, n in ours.items()
            if c not in perf and n > slack})
assert ours, "no 'Invalidations by comm' table"
assert not bad, "comm: (perf, tlbstat) %s (slack %d)" % (bad, slack)
PY

# ---- (2) tlbstat record's file, read by perf
# counted beside it for the same tasks (record and, inherited, its workload): what the kernel
# fired for them while record ran (see below). Not -a: on a busy machine other processes' sends
# made the system-wide count 7 % higher than the workload's own (3214 vs 3004 at load 6).
"$TLBSTAT" stat --json -o "$T/G.stat.json" -- \
	"$TLBSTAT" record -o "$T/G.data" -- "$TLBBENCH" mmap --ops $N --probe-fifo --json >"$T/G.bench.json" 2>"$T/G.rec.err"
check "tlbstat record -- tlbbench mmap exits 0" test $? -eq 0
grep -q "tlbstat record: Wrote" "$T/G.rec.err" && ok "record prints its summary line" ||
	not_ok "record prints its summary line: $(head -c 300 "$T/G.rec.err")"
perf script -i "$T/G.data" >"$T/G.script" 2>"$T/G.script.err"
check "perf script -i G exits 0" test $? -eq 0
if [ ! -s "$T/G.script.err" ]; then ok "perf script: nothing on stderr"
else not_ok "perf script stderr: $(head -3 "$T/G.script.err")"; fi
# the same events recorded by perf itself: perf 6.1 cannot print __get_cpumask() (ipi_send_cpumask)
# and says so on stderr; record's copy of that format uses __get_bitmask() (perfdata.c)
events=$("$PY" -c "
import re,sys
for l in open(sys.argv[1]):
    m = re.match(r'# event : name = ([^,]+),', l)
    if m: print(m.group(1))" <(perf report --header-only -i "$T/G.data" 2>/dev/null) | paste -sd,)
echo "# G's events: $events"
perf record -q -e "$events" -o "$T/P.data" -- "$TLBBENCH" mmap --ops 300 >/dev/null 2>&1
perf script -i "$T/P.data" >/dev/null 2>"$T/P.script.err"
if grep -q __get_cpumask "$T/P.script.err"; then
	ok "perf's own file with the same events: perf prints its __get_cpumask lines (ours: none)"
else
	check "perf's own file with the same events: nothing on stderr either" test ! -s "$T/P.script.err"
fi
"$TLBSTAT" report -i "$T/G.data" --json >"$T/G.json" 2>"$T/G.rep.err"
check "tlbstat report -i G exits 0" test $? -eq 0
check "report reads G without warnings" test ! -s "$T/G.rep.err"
wrote=$(sed -n 's/.*(\([0-9]*\) samples, .*/\1/p' "$T/G.rec.err")
check "perf script prints one line per sample record wrote ($(wc -l <"$T/G.script") lines, $wrote samples)" \
	test "$(wc -l <"$T/G.script")" -eq "$wrote"
lines=$(grep -c ' tlb:tlb_flush: ' "$T/G.script")
check "perf script tlb_flush lines ($lines) = report events.tlb_flush ($(jget "$T/G.json" events.tlb_flush))" \
	test "$lines" -eq "$(jget "$T/G.json" events.tlb_flush)"
perf report -i "$T/G.data" --stdio >"$T/G.report" 2>"$T/G.report.err"
check "perf report -i G --stdio exits 0" test $? -eq 0
if [ ! -s "$T/G.report.err" ]; then ok "perf report: nothing on stderr"
else not_ok "perf report stderr: $(head -3 "$T/G.report.err")"; fi
check "perf report shows 'Total Lost Samples: 0' and the tlb_flush event" \
	bash -c "grep -q 'Total Lost Samples: 0' '$T/G.report' && grep -q \"of event 'tlb:tlb_flush'\" '$T/G.report'"
# Every munmap flushes its own CPU (reason 3) on every kind of machine, and sends (reason 4) while
# the spinning thread is on its CPU: without --probe-fifo the recorder itself preempted it now and
# then on an IPI machine (2736-3004 sends for 3000 munmaps). The file must also hold every send the
# kernel fired for those tasks meanwhile, counted beside record by stat.
local_mm=$(jget "$T/G.json" reasons.local_mm_shootdown)
check "reason 3 ($local_mm) within 5% of munmaps ($N)" within "$local_mm" $N 5
send=$(jget "$T/G.json" reasons.remote_ipi_send)
ksend=$(jget "$T/G.stat.json" reasons.remote_ipi_send)
check "reason 4 in the file ($send) within 5% of what the kernel fired meanwhile ($ksend)" \
	within "$send" "$ksend" 5
check "reason 4 ($send) within 5% of munmaps ($N)" within "$send" $N 5
# who pays: the churn thread's munmaps interrupt the spinning probe thread (tlbbench --json names
# both tids). An IPI machine shows it; a hypervisor machine must say "not observable", not 0.
case "$(jget "$T/G.json" transport)" in
ipi)
	check "initiator -> victim: the churn thread interrupts the spinning probe thread" \
		"$PY" - "$T/G.json" "$T/G.bench.json" <<'PY'
import json, sys
d, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
iv = d["initiator_victim"]
top = iv["threads"][0]
print("# top pair: %(initiator_tid)s -> %(victim_tid)s (%(shootdowns)s); " % top +
      "churn %s, probe %s; paired %s, unpaired %s" % (b["churn_tids"], b["probe_tids"],
                                                       iv["paired"], iv["unpaired"]))
assert top["initiator_tid"] in b["churn_tids"], top
assert top["victim_tid"] in b["probe_tids"], top
assert top["initiator_pid"] == top["victim_pid"] == b["pid"], top
# nearly every remote shootdown is paired, and the victims table names the process
assert iv["paired"] >= 0.95 * d["reasons"]["remote_shootdown"], iv
assert d["victims"][0]["pid"] == b["pid"], d["victims"]
assert top["shootdowns"] >= 0.9 * d["reasons"]["remote_shootdown"], top
PY
	;;
hypervisor|broadcast)
	check "victims: not observable here, a note instead of zeros" \
		bash -c "test '$(jget "$T/G.json" victims)' = None && test -n '$(jget "$T/G.json" victims_note)'" ;;
*)
	not_ok "report's transport known for a churn recording (got $(jget "$T/G.json" transport))" ;;
esac
"$TLBSTAT" stat --json -o "$T/stat.json" -- "$TLBBENCH" mmap --ops $N >/dev/null 2>&1
check "report's transport ($(jget "$T/G.json" transport)) = stat's ($(jget "$T/stat.json" transport))" \
	test "$(jget "$T/G.json" transport)" = "$(jget "$T/stat.json" transport)"
perf report --header-only -i "$T/G.data" >"$T/G.hdr" 2>/dev/null
check "perf report --header-only: hostname, cmdline and our events" \
	bash -c "grep -q '^# hostname : ' '$T/G.hdr' && grep -q '^# cmdline : .*tlbstat record' '$T/G.hdr' && grep -q 'name = tlb:tlb_flush' '$T/G.hdr'"

# ---- (2b) lost events: tiny buffers under a getppid loop; record's summary, perf report's
# "Total Lost Samples" (from the LOST_SAMPLES records record writes at the end) and report agree
if [ -r /sys/kernel/tracing/events/raw_syscalls/sys_enter/format ] && command -v gcc >/dev/null; then
	printf '#include <unistd.h>\nint main(void){for(long i=0;i<400000;i++)getppid();return 0;}\n' >"$T/gp.c"
	gcc -O2 -o "$T/gp" "$T/gp.c"
	"$TLBSTAT" record -a -m 1 -e raw_syscalls:sys_enter -o "$T/L.data" -- "$T/gp" 2>"$T/L.err"
	rec_lost=$(sed -n 's/.*samples, \([0-9]*\) lost.*/\1/p' "$T/L.err")
	perf_lost=$(perf report -i "$T/L.data" --stdio --sort comm 2>/dev/null | sed -n 's/^# Total Lost Samples: //p')
	"$TLBSTAT" report -i "$T/L.data" --json >"$T/L.json" 2>/dev/null
	echo "# -m 1, 400k getppid: record says $rec_lost lost, perf report $perf_lost, report $(jget "$T/L.json" lost)"
	check "lost events: record's summary ($rec_lost) = perf report's Total Lost Samples = report's lost, > 0" \
		bash -c "test '$rec_lost' -gt 0 && test '$rec_lost' = '$perf_lost' && test '$rec_lost' = '$(jget "$T/L.json" lost)'"
else
	skip "lost events: no raw_syscalls:sys_enter or no gcc"
fi

# ---- (2b') default buffers, -a, the default events (csd_queue_cpu included) on the churn: a
# regression check. The TLB function names were read from /proc/kallsyms at the first csd event,
# in the middle of the first drain (~0.1 s): at ~100k events/s (an IPI machine) the buffers
# overflowed, 3-8 % lost. They are read before the events are enabled now.
"$TLBSTAT" record -a -o "$T/A.data" -- "$TLBBENCH" mmap --ops 20000 >/dev/null 2>"$T/A.err"
a_lost=$(sed -n 's/.*samples, \([0-9]*\) lost.*/\1/p' "$T/A.err")
a_smp=$(sed -n 's/.*(\([0-9]*\) samples, .*/\1/p' "$T/A.err")
echo "# record -a, 20000 munmaps: $a_smp samples, $a_lost lost"
check "record -a on the churn, default buffers: lost ($a_lost) <= 1% of samples ($a_smp)" \
	test "${a_lost:-1}" -le "$(( ${a_smp:-0} / 100 ))"

# ---- (2c) targets: -p (an existing process: only its threads), -C (only that CPU)
"$TLBBENCH" mmap --duration 3 >/dev/null 2>&1 &
bp=$!
sleep 0.3
"$TLBSTAT" record -q -p $bp -d 1 -o "$T/Tp.data" 2>"$T/Tp.err"
rcp=$?
"$TLBSTAT" record -q -C 0 -d 1 -o "$T/Tc.data" 2>"$T/Tc.err"
rcc=$?
wait $bp
perf script -i "$T/Tp.data" -F pid,event 2>/dev/null | awk '{print $1}' | sort | uniq -c >"$T/Tp.pids"
check "-p $bp: exit $rcp, samples only from that process ($(tr -s ' \n' ' ' <"$T/Tp.pids"))" \
	bash -c "test $rcp -eq 0 && test \"\$(awk '{print \$2}' '$T/Tp.pids')\" = $bp"
perf script -i "$T/Tc.data" -F cpu,event 2>/dev/null | awk '{print $1}' | sort | uniq -c >"$T/Tc.cpus"
check "-C 0: exit $rcc, samples only on CPU 0 ($(tr -s ' \n' ' ' <"$T/Tc.cpus"))" \
	bash -c "test $rcc -eq 0 && test \"\$(awk '{print \$2}' '$T/Tc.cpus')\" = '[000]'"

# -p on a process that exits: record ends with it (as perf record does), and the wait after the
# exit writes nothing (the exited task's buffers report POLLHUP; an earlier version spun on them
# writing FINISHED_ROUND records: 61 MB in 10 s)
# (1.5 s: record reads /proc/kallsyms before it enables the events, ~0.5 s here and more under
# ASan; with 0.8 s the sanitizer stage's record attached after the process had done its munmaps)
"$TLBBENCH" mmap --duration 1.5 >/dev/null 2>&1 &
bp=$!
sleep 0.2
t0=$(date +%s%N)
timeout 10 "$TLBSTAT" record -q -p $bp -o "$T/Te.data" 2>"$T/Te.err"
rce=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
wait $bp 2>/dev/null
"$TLBSTAT" report -i "$T/Te.data" --json >"$T/Te.json" 2>/dev/null
check "-p: record ends when the process exits (exit $rce after $ms ms; ~1300 ms were left)" \
	test $rce -eq 0 -a $ms -lt 4000
check "-p: the file holds the process's events ($(jget "$T/Te.json" events.tlb_flush) tlb_flush, $(stat -c %s "$T/Te.data") bytes)" \
	bash -c "test $(jget "$T/Te.json" events.tlb_flush) -gt 100 && test $(stat -c %s "$T/Te.data") -lt 20000000"

# ---- (3) stopping: SIGINT, kill -9; bad copies
"$TLBSTAT" record -a -d 1 -o "$T/H.data" >/dev/null 2>"$T/H.err" &
pid=$!
sleep 0.5
kill -INT $pid
wait $pid
check "SIGINT mid-run: record exits 0 (got $?)" test $? -eq 0
"$TLBSTAT" report -i "$T/H.data" --json >"$T/H.json" 2>"$T/H.rep.err"
rc=$?
check "SIGINT: report reads the finished file (exit $rc), no warning, features present" \
	bash -c "test $rc -eq 0 && test ! -s '$T/H.rep.err' && test '$(jget "$T/H.json" kernel)' != None"

"$TLBSTAT" record -a -q -o "$T/K.data" >/dev/null 2>&1 &
pid=$!
"$TLBBENCH" mmap --duration 1.7 >/dev/null 2>&1
sleep 0.1
kill -9 $pid
wait $pid 2>/dev/null
"$TLBSTAT" report -i "$T/K.data" --json >"$T/K.json" 2>"$T/K.err"
rc=$?
echo "# killed after 1.8 s: $(stat -c %s "$T/K.data") bytes, $(jget "$T/K.json" events.tlb_flush 2>/dev/null) tlb_flush"
check "kill -9: report reads the file (exit $rc)" test $rc -eq 0
check "kill -9: events > 0" "$PY" -c "import json,sys; sys.exit(0 if json.load(open('$T/K.json'))['events']['tlb_flush'] > 0 else 1)"
check "kill -9: a warning on stderr" grep -q "warning.*not finished" "$T/K.err"
check "kill -9: the warning says how much was read and lost: $(grep -o 'read [0-9]* records.*' "$T/K.err")" \
	grep -qE "read [0-9]+ records up to (offset [0-9]+ of [0-9]+ bytes; the last [0-9]+ bytes are an incomplete record|the end of the file)" "$T/K.err"
check "kill -9: the file's own formats and facts (early features): kernel named, no tracing-data warning" \
	bash -c "test '$(jget "$T/K.json" kernel 2>/dev/null)' = '$(uname -r)' && ! grep -q 'no tracing data' '$T/K.err'"
# flips inside the killed file's early features (between the ids and the data): never a crash
koff=$(od -An -t u8 -j 40 -N 8 "$T/K.data" | tr -d ' ')
crash=0
for off in $(seq 800 256 $((koff - 8))); do
	cp "$T/K.data" "$T/kflip.data"
	printf '\xff\xff\xff\xff' | dd of="$T/kflip.data" bs=1 seek=$off conv=notrunc status=none
	"$TLBSTAT" report -i "$T/kflip.data" --json >/dev/null 2>"$T/kflip.err"
	rc=$?
	if [ $rc -gt 1 ]; then crash=$((crash + 1)); echo "# kflip at $off: exit $rc: $(head -c 200 "$T/kflip.err")"; fi
done
check "flipped bytes in a killed file's early features (up to data offset $koff): never a crash" test $crash -eq 0

size=$(stat -c %s "$T/G.data")
head -c $((size / 2)) "$T/G.data" >"$T/Gcut-data.data"
head -c $((size - 40)) "$T/G.data" >"$T/Gcut-feat.data"
head -c 60 "$T/G.data" >"$T/Gcut-hdr.data"
cp "$T/G.data" "$T/Gmagic.data"
printf 'XXXX' | dd of="$T/Gmagic.data" bs=1 seek=0 conv=notrunc status=none
for f in Gcut-data Gcut-feat Gcut-hdr Gmagic; do
	"$TLBSTAT" report -i "$T/$f.data" >/dev/null 2>"$T/$f.err"
	rc=$?
	if [ $rc -eq 1 ] && [ "$(wc -l <"$T/$f.err")" -eq 1 ]; then ok "$f: exit 1, one line: $(cat "$T/$f.err")"
	else not_ok "$f: exit $rc, stderr: $(head -c 300 "$T/$f.err")"; fi
done
crash=0 flips=0
goff=$(od -An -t u8 -j 40 -N 8 "$T/G.data" | tr -d ' ')	# data offset (after the early features)
for off in 0 8 16 24 40 48 56 72 104 200 300 1000 4096 4104 4200 $goff $((goff + 8)) $((goff + 200)) \
	   $((size / 4)) $((size / 2)) \
	   $((size * 3 / 4)) $((size - 3000)) $((size - 500)) $((size - 64)) $((size - 8)); do
	cp "$T/G.data" "$T/flip.data"
	printf '\xff\xff\xff\xff' | dd of="$T/flip.data" bs=1 seek=$off conv=notrunc status=none
	"$TLBSTAT" report -i "$T/flip.data" --json >/dev/null 2>"$T/flip.err"
	rc=$?
	flips=$((flips + 1))
	if [ $rc -gt 1 ] || { [ $rc -eq 1 ] && [ "$(wc -l <"$T/flip.err")" -ne 1 ]; }; then
		crash=$((crash + 1)); echo "# flip at $off: exit $rc: $(head -c 200 "$T/flip.err")"
	fi
done
check "$flips byte-flipped copies of G: exit 0, or 1 with one line; never a crash" test $crash -eq 0

# ---- (4) exit codes
expect 2 "unknown event 'bogus'" "bad --events name" -- "$TLBSTAT" record -e bogus -o "$T/x.data" -- true
expect 2 "power of two" "-m 3" -- "$TLBSTAT" record -m 3 -o "$T/x.data" -- true
expect 2 "choose one" "-p with -a" -- "$TLBSTAT" record -p 1 -a -o "$T/x.data"
expect 1 "cannot create" "unwritable -o path" -- "$TLBSTAT" record -o /nonexistent-dir/x.data -- true
mkdir -p "$T/fakefs/events/ipi/ipi_send_cpu"
echo 5 >"$T/fakefs/events/ipi/ipi_send_cpu/id"
expect 3 "does not exist" "tracepoint missing (fake tracefs)" -- \
	env TLBSTAT_TRACEFS="$T/fakefs" "$TLBSTAT" record -o "$T/x.data" -- true
# not privileged: a copy of tlb_flush's tracefs entries readable by nobody, so that the refusal
# comes from perf_event_open itself (root's tracefs is not readable by nobody)
mkdir -p "$T/npfs/events/tlb/tlb_flush"
tfs=/sys/kernel/tracing; [ -r $tfs/events/tlb/tlb_flush/format ] || tfs=/sys/kernel/debug/tracing
cp $tfs/events/tlb/tlb_flush/id $tfs/events/tlb/tlb_flush/format "$T/npfs/events/tlb/tlb_flush/"
cp $tfs/events/header_page $tfs/events/header_event "$T/npfs/events/"
# the binary too: the checkout may sit in a folder nobody cannot enter (a CI clone in mktemp -d)
cp "$TLBSTAT" "$T/tlbstat-np"
chmod -R a+rX "$T" && chmod a+rwx "$T"
if command -v setpriv >/dev/null && [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -ge 0 ]; then
	expect 3 "permission denied.*(CAP_PERFMON|root)" "not privileged (nobody)" -- \
		setpriv --reuid=65534 --regid=65534 --clear-groups env TLBSTAT_TRACEFS="$T/npfs" \
		"$T/tlbstat-np" record -e tlb -o "$T/np.data" -- true
else
	skip "not privileged: no setpriv, or perf_event_paranoid < 0 lets anyone open tracepoints"
fi
expect 3 "does not exist" "--events sys:name that does not exist" -- \
	"$TLBSTAT" record -e nosuch:event -o "$T/x.data" -- true
expect 1 "cannot run '/nonexistent/cmd'" "a command that cannot run" -- \
	"$TLBSTAT" record -o "$T/nocmd.data" -- /nonexistent/cmd
check "a command that cannot run: no file left behind" test ! -e "$T/nocmd.data"
"$TLBSTAT" record --help >"$T/h.txt" 2>&1
check "record --help lists every option" bash -c "for o in --all-cpus --cpu --pid --tid --events --mmap-pages --duration --output --quiet; do grep -q -- \"\$o\" '$T/h.txt' || exit 1; done"
check "a failing command's exit status is passed on" bash -c "! '$TLBSTAT' record -q -o '$T/f.data' -- false"
finish
