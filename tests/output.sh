#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Output write errors (TAP): every command's output stream pointed at /dev/full must end with
# exit 1 and exactly one line "tlbstat: write error on standard output: No space left on device"
# (the dispatcher checks stdout once, as git's run_builtin does), a command that failed keeps
# its own exit code, and a reader that goes away early (| head) is not reported as an error.
# stat prints to stderr (as perf stat does) or to its -o file: that file's errors are checked.
# report and transport need no privileges; stat and top -b need root (tracepoints). About 3 s.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
DATA=tests/data/perf-ipi.data
MSG='^tlbstat: write error on standard output: No space left on device$'

# full DESC -- COMMAND...: exit 1 and the one line on stderr when stdout is /dev/full
# (MSG=... full ...: another line, for a command that flushed earlier and lost the errno)
full() {
	local d=$1 rc lines
	shift 2
	"$@" >/dev/full 2>"$tmp/err"; rc=$?
	lines=$(grep -cE "$MSG" "$tmp/err")
	if [ $rc -eq 1 ] && [ "$lines" -eq 1 ] && [ "$(grep -c . "$tmp/err")" -eq 1 ]; then
		ok "$d > /dev/full: exit 1, one line"
	else
		not_ok "$d > /dev/full: exit $rc, stderr: $(head -c 300 "$tmp/err" | tr '\n' '|')"
	fi
}

full "report" -- "$TLBSTAT" report -i "$DATA"
full "report --json" -- "$TLBSTAT" report -i "$DATA" --json
full "report --csv" -- "$TLBSTAT" report -i "$DATA" --csv
full "transport" -- "$TLBSTAT" transport
full "transport --json" -- "$TLBSTAT" transport --json
full "--version" -- "$TLBSTAT" --version
full "--help" -- "$TLBSTAT" --help

# files named by options are the command's own to close and check
"$TLBSTAT" report -i "$DATA" -o /dev/full 2>"$tmp/err"; rc=$?
check "report -o /dev/full: exit 1" test $rc -eq 1
check "report -o /dev/full: names the file" grep -q "write error on /dev/full: No space left" "$tmp/err"
"$TLBSTAT" report -i "$DATA" --series-csv /dev/full >/dev/null 2>"$tmp/err"; rc=$?
check "report --series-csv /dev/full: exit 1, names the file" \
	test $rc -eq 1 -a "$(grep -c 'write error on /dev/full' "$tmp/err")" -eq 1

"$TLBSTAT" report -i "$DATA" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "report to a file: exit 0, nothing on stderr" test $rc -eq 0 -a ! -s "$tmp/err"

# a failed command keeps its exit code; its own message, no write-error line in its place
"$TLBSTAT" report -i "$tmp/no-such-file" >/dev/full 2>"$tmp/err"; rc=$?
check "report of a missing file > /dev/full: exit 1 (its own failure)" test $rc -eq 1
check "report of a missing file: says the file is missing" grep -q "no-such-file" "$tmp/err"
"$TLBSTAT" report --no-such-option >/dev/full 2>"$tmp/err"; rc=$?
check "usage error > /dev/full: keeps exit 2" test $rc -eq 2

# the reader went away: not a write error (EPIPE / SIGPIPE end it quietly)
"$TLBSTAT" report -i "$DATA" -T --top 0 2>"$tmp/err" | head -c 1 >/dev/null
check "report | head -c 1: no write-error line" test "$(grep -c 'write error' "$tmp/err")" -eq 0

if [ "$(id -u)" != 0 ]; then
	skip "stat and top need root (tracepoints)"; finish; exit
fi
# stat prints to stderr like perf stat (nothing on stdout), or to its -o file, which it checks
for fmt in "" --json --csv -x,; do
	"$TLBSTAT" stat -d 0.2 $fmt -o /dev/full >/dev/null 2>"$tmp/err"; rc=$?
	check "stat ${fmt:+$fmt }-o /dev/full: exit 1, one line naming the file (exit $rc)" \
		test $rc -eq 1 -a "$(grep -c . "$tmp/err")" -eq 1 -a \
		"$(grep -c 'write error on /dev/full: No space left' "$tmp/err")" -eq 1
done
# top -b flushes each snapshot (topview.c), so the final check sees the error flag, not errno
MSG='^tlbstat: write error on standard output(: No space left on device)?$' \
	full "top -b -n 1" -- "$TLBSTAT" top -b -n 1 -d 0.2
# -o files: stat closed its file without looking (exit 0 on /dev/full before issue 14)
for f in "" --json --csv; do
	"$TLBSTAT" stat $f -d 0.2 -o /dev/full >/dev/null 2>"$tmp/err"; rc=$?
	check "stat $f -o /dev/full: exit 1, names the file ($rc)" \
		test $rc -eq 1 -a "$(grep -c 'write error on /dev/full: No space left' "$tmp/err")" -eq 1
done
"$TLBSTAT" record -a -d 0.2 -o /dev/full >/dev/null 2>"$tmp/err"; rc=$?
check "record -o /dev/full: exit 1, names the file ($rc)" \
	test $rc -eq 1 -a "$(grep -c '/dev/full: No space left' "$tmp/err")" -ge 1
finish
