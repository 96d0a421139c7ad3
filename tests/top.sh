#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tlbstat top: batch snapshots against a churn benchmark, the ncurses screen under tmux (keys,
# sort marker, quit restores the terminal), the bound on tracked processes under fork churn,
# --events, and the documented exit codes. TAP. About 30 s.
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
bench_pid=
cleanup() {
	[ -n "$bench_pid" ] && kill "$bench_pid" 2>/dev/null
	tmux kill-session -t "tlbtop$$" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# usage and option errors need no privileges
"$TLBSTAT" top --sort bogus -b -n 1 >/dev/null 2>"$tmp/err"; rc=$?
check "--sort bogus: exit 2 (usage)" test "$rc" -eq 2
check "--sort bogus: says which keys exist" grep -q "rate, remote, bytes, fanout" "$tmp/err"
"$TLBSTAT" top -d 0 -b -n 1 >/dev/null 2>&1; rc=$?
check "-d 0: exit 2" test "$rc" -eq 2
"$TLBSTAT" top --no-such-option >/dev/null 2>&1; rc=$?
check "unknown option: exit 2" test "$rc" -eq 2

if [ "$(id -u)" -ne 0 ]; then
	skip "the rest needs root (tracepoints)"
	finish; exit
fi

# not privileged: exit 3 (environment)
if command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$TLBSTAT" top -b -n 1 >/dev/null 2>"$tmp/err"
	rc=$?
	check "unprivileged: exit 3" test "$rc" -eq 3
else
	skip "setpriv missing: unprivileged exit code"
fi
"$TLBSTAT" top -b -n 1 --events nosuch:event >/dev/null 2>"$tmp/err"; rc=$?
check "missing tracepoint in --events: exit 3" test "$rc" -eq 3

if [ ! -x "$TLBBENCH" ]; then
	skip "no $TLBBENCH: batch ranking"
else
	# (1) batch mode: the churn benchmark ranks first with a non-zero rate
	"$TLBBENCH" mmap --threads 1 --duration 4 >/dev/null 2>&1 &
	bench_pid=$!
	sleep 0.3
	"$TLBSTAT" top -b -d 1 -n 3 --rows 5 >"$tmp/batch" 2>"$tmp/batch.err"; rc=$?
	wait "$bench_pid" 2>/dev/null; bench_pid=
	check "batch: exit 0" test "$rc" -eq 0
	check "batch: three snapshots" test "$(grep -c '^tlbstat top - ' "$tmp/batch")" -eq 3
	check "batch: header with node totals and transport" \
		grep -q "^Invalidations: .*/s per core, health .*lost: " "$tmp/batch"
	# first row of each snapshot: the line after the column titles
	awk '/^ +PID COMM/ { getline; print }' "$tmp/batch" >"$tmp/first"
	check "batch: tlbbench ranked first with a non-zero rate" \
		awk '$2 == "tlbbench" && $3 + 0 > 0 { found = 1 } END { exit !found }' "$tmp/first"
	transport=$(sed -n 's/^Transport: \([a-z]*\) .*/\1/p' "$tmp/batch" | tail -1)
	if [ "$transport" = ipi ]; then
		check "batch: victims are numbers on an ipi machine" \
			awk '$2 == "tlbbench" && $5 != "n/a" { f = 1 } END { exit !f }' "$tmp/first"
	else
		check "batch: victims n/a with the transport's note ($transport)" \
			sh -c "grep -q '^Transport: .*victims: n/a, ' '$tmp/batch' &&
			       awk '\$2 == \"tlbbench\" && \$5 == \"n/a\" { f = 1 } END { exit !f }' '$tmp/first'"
	fi
	[ -s "$tmp/batch.err" ] && sed 's/^/# stderr: /' "$tmp/batch.err"

	# (1b) CAUSE (the default): a madvise churn's top cause is madvise (kernel chains,
	# lib/cause); the other columns stay where they were; --no-cause has no column
	"$TLBBENCH" madvise --threads 1 --duration 3 >/dev/null 2>&1 &
	bench_pid=$!
	sleep 0.3
	"$TLBSTAT" top -b -d 1 -n 2 --rows 5 >"$tmp/cause" 2>&1
	"$TLBSTAT" top -b -d 0.5 -n 1 --rows 5 --no-cause >"$tmp/nocause" 2>&1
	wait "$bench_pid" 2>/dev/null; bench_pid=
	# the last snapshot's tlbbench row (its other invalidations are its threads' task switches,
	# more of them on a busy machine)
	row=$(awk '/^ +PID COMM/ { r = "" } $2 == "tlbbench" && r == "" { r = $0 } END { print r }' "$tmp/cause")
	echo "# $row"
	check "CAUSE column: the madvise churn's top cause is madvise, most of its invalidations" \
		"$PY" -c "import re,sys; m = re.search(r'tlbbench .* madvise +([0-9]+)%', sys.argv[1]); sys.exit(0 if m and int(m.group(1)) >= 60 else 1)" "$row"
	check "CAUSE: the header names the node's top cause and its runbook section" \
		grep -qE '^Top cause: [a-z:_-]+, [0-9]+% of the invalidations \| remedies: Documentation/runbook.md#[a-z-]+$' "$tmp/cause"
	check "--no-cause: no CAUSE column" sh -c "grep -q '^ *PID COMM' '$tmp/nocause' && ! grep -q CAUSE '$tmp/nocause'"
	expect 2 "together" "--cause with --no-cause: usage error" -- "$TLBSTAT" top -b -n 1 --cause --no-cause
fi

# (2) the screen under tmux: header, benchmark row, 's' moves the sort marker, 'q' quits with 0
if ! command -v tmux >/dev/null || [ ! -x "$TLBBENCH" ]; then
	skip "tmux or $TLBBENCH missing: interactive test"
else
	s="tlbtop$$"
	# screen FILE ERE: capture the pane into FILE until a line matches (3 s at most): a key's
	# redraw can lag on a loaded 2-CPU machine, and a fixed sleep made this test flaky
	screen() {
		local i
		for i in $(seq 15); do
			sleep 0.2
			tmux capture-pane -t "$s" -p >"$1"
			grep -qE "$2" "$1" && return 0
		done
		return 1
	}
	# long enough for a slow start; killed below
	"$TLBBENCH" mmap --threads 1 --duration 30 >/dev/null 2>&1 &
	bench_pid=$!
	tmux new-session -d -s "$s" -x 160 -y 50 "env PS1='PROMPT\$ ' TERM=xterm bash --norc --noprofile"
	sleep 0.3
	tmux send-keys -t "$s" "$TLBSTAT top -d 0.5; echo \$? > $tmp/rc" Enter
	seen=
	for _ in $(seq 30); do
		sleep 0.2
		tmux capture-pane -t "$s" -p >"$tmp/screen1"
		grep -q "^ *[0-9]* tlbbench " "$tmp/screen1" && { seen=1; break; }
	done
	check "screen: header with invalidations and transport" \
		sh -c "grep -q 'tlbstat top - .*sort: rate' '$tmp/screen1' &&
		       grep -q '^Invalidations: ' '$tmp/screen1' && grep -q '^Transport: ' '$tmp/screen1'"
	check "screen: the benchmark's row" test -n "$seen"
	check "screen: INV/s marked as the sort column" grep -q "INV/s\*" "$tmp/screen1"
	tmux send-keys -t "$s" s
	screen "$tmp/screen2" 'sort: remote'
	check "screen: 's' sorts by remote sends (header and marker)" \
		sh -c "grep -q 'sort: remote' '$tmp/screen2' && grep -q 'REMOTE/s\*' '$tmp/screen2' &&
		       ! grep -q 'INV/s\*' '$tmp/screen2'"
	tmux send-keys -t "$s" t
	screen "$tmp/screen3" '^Threads of [0-9]'
	if grep -q "^Threads of [0-9]" "$tmp/screen3"; then
		ok "screen: 't' shows the threads of the selected process"
	else
		not_ok "screen: 't' shows the threads of the selected process; the screen 3 s after 't':"
		sed 's/^/#   | /' "$tmp/screen3" | head -24
	fi
	tmux send-keys -t "$s" q
	for _ in $(seq 20); do
		[ -s "$tmp/rc" ] && break
		sleep 0.1
	done
	sleep 0.2
	tmux capture-pane -t "$s" -p >"$tmp/screen4"
	check "screen: 'q' exits with status 0" test "$(cat "$tmp/rc" 2>/dev/null)" = 0
	check "screen: terminal restored (shell prompt back, screen gone)" \
		sh -c "grep -v '^\$' '$tmp/screen4' | tail -1 | grep -q '^PROMPT\\$' &&
		       ! grep -q 'INV/s' '$tmp/screen4'"
	tmux kill-session -t "$s" 2>/dev/null
	kill "$bench_pid" 2>/dev/null; wait "$bench_pid" 2>/dev/null; bench_pid=
fi

# (3) thousands of short-lived processes: the tracked set stays at the cap
"$TLBSTAT" top -b -d 0.5 -n 6 --max-procs 32 --rows 3 >"$tmp/churn" 2>&1 &
top_pid=$!
sleep 0.2
for _ in $(seq 1500); do /bin/true; done
wait "$top_pid"; rc=$?
max=$(sed -n 's/.*tracking \([0-9]*\) processes.*/\1/p' "$tmp/churn" | sort -n | tail -1)
dropped=$(sed -n 's/.*(\([0-9]*\) dropped at the cap).*/\1/p' "$tmp/churn" | sort -n | tail -1)
check "fork churn: exit 0" test "$rc" -eq 0
check "fork churn: at most 32 processes tracked (max ${max:-none})" test "${max:-99}" -le 32
check "fork churn: least recently active dropped (${dropped:-0})" test "${dropped:-0}" -gt 100

# (4) --events: a generic tracepoint counted per process
if tracefs=$(awk '$3 == "tracefs" { print $2; exit }' /proc/mounts) &&
   [ -d "$tracefs/events/raw_syscalls/sys_enter" ]; then
	"$TLBSTAT" top -b -d 0.5 -n 2 --events raw_syscalls:sys_enter --sort events --rows 3 \
		>"$tmp/events" 2>&1; rc=$?
	check "--events: exit 0" test "$rc" -eq 0
	check "--events: EVENTS/s column, sorted by it" grep -q "EVENTS/s\*" "$tmp/events"
	check "--events: a node rate above 0" \
		awk '/^Events raw_syscalls:sys_enter: / { v = $3 + 0; if (v > 0) f = 1 } END { exit !f }' \
		"$tmp/events"
else
	skip "no raw_syscalls:sys_enter: --events"
fi
finish
