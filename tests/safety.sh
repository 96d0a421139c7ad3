#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Command-level safety (TAP, issue 14): bad lists and event names are usage errors (exit 2, one
# line) that never reach tracefs; duplicate events are counted once; outputs never clobber the
# input nor follow a symlink. Cases that open tracepoints need root and skip without it.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
DATA=tests/data/perf-ipi.data
root=false
[ "$(id -u)" = 0 ] && [ -d /sys/kernel/tracing/events/sched ] && root=true

# usage DESC -- COMMAND...: exit 2 and exactly one line on stderr
usage() {
	local d=$1 rc
	shift 2
	"$@" >/dev/null 2>"$tmp/err" </dev/null; rc=$?
	if [ $rc -eq 2 ] && [ "$(grep -c . "$tmp/err")" -eq 1 ]; then ok "$d: usage error, one line"
	else not_ok "$d: exit $rc, stderr: $(head -c 300 "$tmp/err" | tr '\n' '|')"; fi
}

# ---- lists: empty lists and empty items
for l in '' ',' 'tlb,' ',tlb' 'tlb,,ipi'; do
	usage "record -e '$l'" -- "$TLBSTAT" record -e "$l" -o "$tmp/x.data" -- true
	usage "top --events '$l'" -- "$TLBSTAT" top -b -n 1 --events "$l"
done
for l in '' ',' '0,' ',0' '0,,1'; do
	usage "stat -C '$l'" -- "$TLBSTAT" stat -C "$l" -- true
	usage "record -C '$l'" -- "$TLBSTAT" record -C "$l" -o "$tmp/x.data" -- true
done
for l in '' ',' '1,' '1,,2'; do
	usage "stat -p '$l'" -- "$TLBSTAT" stat -p "$l"
	usage "top -p '$l'" -- "$TLBSTAT" top -b -n 1 -p "$l"
done
for l in '' ',' 'pid,' 'pid,,comm'; do
	# before the input is opened: a usage error even when there is no perf.data
	usage "report --sort '$l'" -- "$TLBSTAT" report -i "$tmp/none.data" --sort "$l"
done

# ---- event names never reach tracefs paths
for e in '../../../etc:passwd' 'tlb:../../x' 'tlb:*' ':' 'a:b:c' 'tlb:' 'sched:sched switch'; do
	usage "record -e '$e'" -- "$TLBSTAT" record -e "$e" -o "$tmp/x.data" -- true
	usage "top --events '$e'" -- "$TLBSTAT" top -b -n 1 --events "$e"
done
if $root && command -v strace >/dev/null; then
	strace -f -e trace=open,openat -o "$tmp/strace" "$TLBSTAT" record -e '../../../etc:passwd' \
		-o "$tmp/x.data" -- true >/dev/null 2>&1
	check "record -e '../../../etc:passwd' opens nothing under events/../" \
		bash -c "! grep -q 'events/\.\./' '$tmp/strace'"
else
	skip "strace of record -e '../../../etc:passwd' (needs root and strace)"
fi

# ---- duplicates: one evsel per event
if $root; then
	"$TLBSTAT" record -e sched:sched_switch,sched:sched_switch -o "$tmp/dup.data" -- \
		sleep 0.2 >/dev/null 2>"$tmp/err"
	check "record -e X,X: a note says it is recorded once" grep -q "twice; recording it once" \
		"$tmp/err"
	if command -v perf >/dev/null; then
		n=$(perf evlist -i "$tmp/dup.data" 2>/dev/null | grep -c '^sched:sched_switch')
		check "record -e X,X: the file has the event once (perf evlist: $n)" test "$n" -eq 1
	else
		skip "perf evlist (perf not installed)"
	fi
	"$TLBSTAT" record -e tlb,tlb:tlb_flush -o "$tmp/dup2.data" -- true >/dev/null 2>"$tmp/err"
	check "record -e tlb,tlb:tlb_flush: a short name and its tracepoint are one event" \
		grep -q "tlb:tlb_flush twice" "$tmp/err"
	"$TLBSTAT" top -b -n 1 -d 0.2 --events sched:sched_switch,sched:sched_switch \
		>/dev/null 2>"$tmp/err"
	check "top --events X,X: a note says it is counted once" grep -q "twice; counting it once" \
		"$tmp/err"
else
	skip "duplicate events (need root)"
fi

# ---- outputs never destroy the input
cp "$DATA" "$tmp/in.data"
ln "$tmp/in.data" "$tmp/hard.data"
ln -s in.data "$tmp/soft.data"
usage "report -i x -o x" -- "$TLBSTAT" report -i "$tmp/in.data" -o "$tmp/in.data"
usage "report -i x --series-csv x" -- "$TLBSTAT" report -i "$tmp/in.data" --series-csv "$tmp/in.data"
usage "report -i x -o (hard link to x)" -- "$TLBSTAT" report -i "$tmp/in.data" -o "$tmp/hard.data"
usage "report -i (symlink to x) -o x" -- "$TLBSTAT" report -i "$tmp/soft.data" -o "$tmp/in.data"
usage "report -o F --series-csv F" -- "$TLBSTAT" report -i "$tmp/in.data" -o "$tmp/o.txt" \
	--series-csv "$tmp/o.txt"
check "the recording is intact after all of them" cmp -s "$tmp/in.data" "$DATA"
check "report -i x -o /dev/null still works" "$TLBSTAT" report -i "$tmp/in.data" -o /dev/null

# ---- outputs never follow a symlink (root writes them; fs.protected_symlinks may be 0)
# dangling DESC -- COMMAND...: the command, with -o "$tmp/link" among its arguments, refuses
# that link (exit 1, a line that says why) and creates nothing at the link's target
dangling() {
	local d=$1 rc
	shift 2
	rm -f "$tmp/link" "$tmp/victim"
	ln -s "$tmp/victim" "$tmp/link"
	"$@" >/dev/null 2>"$tmp/err" </dev/null; rc=$?
	if [ $rc -eq 1 ] && [ ! -e "$tmp/victim" ] && grep -q "symbolic link" "$tmp/err"; then
		ok "$d -o DANGLING-LINK: refused, target not created"
	else
		not_ok "$d -o DANGLING-LINK: exit $rc, victim $(ls "$tmp/victim" 2>&1), stderr: $(head -c 300 "$tmp/err")"
	fi
}
dangling "report" -- "$TLBSTAT" report -i "$tmp/in.data" -o "$tmp/link"
"$TLBSTAT" report -i "$tmp/in.data" --series-csv "$tmp/link" >/dev/null 2>&1
check "report --series-csv DANGLING-LINK: target not created" test ! -e "$tmp/victim"
if $root; then
	dangling "stat" -- "$TLBSTAT" stat -a -o "$tmp/link" -- true
	dangling "record" -- "$TLBSTAT" record -a -o "$tmp/link" -- true
	# the old recording moves aside, as perf does, and the new one is a new file
	"$TLBSTAT" record -o "$tmp/r.data" -- true >/dev/null 2>&1
	"$TLBSTAT" record -o "$tmp/r.data" -- true >/dev/null 2>&1
	check "record keeps perf.data -> perf.data.old" test -s "$tmp/r.data.old" -a -s "$tmp/r.data"
else
	skip "stat/record -o DANGLING-LINK (need root)"
fi

# ---- a full disk: record says exactly what reached the file, and report reads that much
if $root && mkdir -p "$tmp/small" && mount -t tmpfs -o size=256k tmpfs "$tmp/small" 2>/dev/null; then
	"$TLBSTAT" record -a -o "$tmp/small/r.data" -- "$TLBBENCH" mprotect --ops 200000 \
		>/dev/null 2>"$tmp/err"; rc=$?
	check "record on a full tmpfs: exit 1 ($rc)" test $rc -eq 1
	check "record on a full tmpfs: says the file ends early and why" \
		grep -q "ends early (No space left on device)" "$tmp/err"
	said=$(sed -n 's/.*: \([0-9]*\) of [0-9]* samples reached it.*/\1/p' "$tmp/err")
	"$TLBSTAT" report -i "$tmp/small/r.data" --json >"$tmp/small.json" 2>/dev/null; rc=$?
	got=$(jget "$tmp/small.json" samples 2>/dev/null)
	check "report reads the short file (exit $rc) and finds the samples record said ($got, $said)" \
		test $rc -eq 0 -a -n "$said" -a "$got" = "$said"
	check "fewer samples reached the file than were taken" \
		bash -c "! grep -qE ': ([0-9]+) of \1 samples' '$tmp/err'"
	umount "$tmp/small"
else
	skip "record on a full tmpfs (needs root and tmpfs)"
fi

# ---- lost events are never hidden: record's summary, report's text and JSON say one count;
# top says its own run's (record-interop.sh compares perf report's as well)
if $root && [ -r /sys/kernel/tracing/events/raw_syscalls/sys_enter/format ] &&
   command -v gcc >/dev/null; then
	printf '#include <unistd.h>\nint main(int c, char **v){for(long i=0;i<400000L*c;i++)getppid();return 0;}\n' \
		>"$tmp/gp.c"
	gcc -O2 -o "$tmp/gp" "$tmp/gp.c"
	"$TLBSTAT" record -a -m 1 -e raw_syscalls:sys_enter -o "$tmp/L.data" -- "$tmp/gp" \
		>/dev/null 2>"$tmp/L.err"
	rec_lost=$(sed -n 's/.*samples, \([0-9]*\) lost.*/\1/p' "$tmp/L.err")
	txt_lost=$("$TLBSTAT" report -i "$tmp/L.data" 2>/dev/null | sed -n 's/^# LOST \([0-9]*\) events.*/\1/p')
	"$TLBSTAT" report -i "$tmp/L.data" --json >"$tmp/L.json" 2>/dev/null
	json_lost=$(jget "$tmp/L.json" lost)
	check "lost: record ($rec_lost) = report text ($txt_lost) = report JSON ($json_lost), > 0" \
		test "${rec_lost:-0}" -gt 0 -a "$rec_lost" = "$txt_lost" -a "$rec_lost" = "$json_lost"
	"$tmp/gp" 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 & gp=$!
	"$TLBSTAT" top -b -n 2 -d 0.5 -m 1 --events raw_syscalls:sys_enter >"$tmp/top-lost.txt" \
		2>/dev/null
	kill $gp 2>/dev/null; wait $gp 2>/dev/null
	top_lost=$(sed -n 's/.*| lost: [0-9]* (total \([0-9]*\)).*/\1/p' "$tmp/top-lost.txt" | tail -1)
	check "lost: top -m 1 under a syscall loop shows its count (total $top_lost), > 0" \
		test "${top_lost:-0}" -gt 0
else
	skip "lost events (need root, raw_syscalls:sys_enter and gcc)"
fi

# ---- top on a terminal that cannot address the cursor: batch output and a note, not a blank
if $root && command -v script >/dev/null; then
	for term in dumb no-such-terminal; do
		TERM=$term timeout 20 script -qec "$TLBSTAT top -n 1 -d 0.2" /dev/null \
			>"$tmp/top.txt" 2>&1 </dev/null
		check "TERM=$term top: a note on the terminal" grep -q "batch mode" "$tmp/top.txt"
		check "TERM=$term top: the batch snapshot" grep -q "^Invalidations: " "$tmp/top.txt"
	done
else
	skip "TERM=dumb top (needs root and script)"
fi
finish
