#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Option parsing across the commands: durations (suffixed forms, the unit of a bare number,
# refused ranges), powers of two, comma lists with empty items, exclusive flags, and that the
# OPT_* macros refuse a value pointer of the wrong type at compile time. Usage errors: exit 2
# and one line. The short record/stat runs need root (tracepoints). TAP. About 5 s.
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# usage_err PATTERN description -- command...: exit 2, one stderr line, matching PATTERN
usage_err() {
	local pat=$1 d=$2 rc lines
	shift 3
	"$@" >/dev/null 2>"$tmp/err"
	rc=$?
	lines=$(wc -l <"$tmp/err")
	if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && grep -qiE "$pat" "$tmp/err"; then
		ok "$d (exit 2: $(cat "$tmp/err"))"
	else
		not_ok "$d: exit $rc, $lines lines: $(head -c 300 "$tmp/err")"
	fi
}

# --- durations refused, with the accepted range named
usage_err "from 1ms to 365d" "record -d 0" -- "$TLBSTAT" record -d 0 -o "$tmp/x.data"
usage_err "from 1ms to 365d" "record -d 0.0001 (100us, below 1ms)" -- "$TLBSTAT" record -d 0.0001 -o "$tmp/x.data"
usage_err "from 1ms to 365d" "record -d 366d" -- "$TLBSTAT" record -d 366d -o "$tmp/x.data"
usage_err "from 1ms to 365d" "stat -d 1e20" -- "$TLBSTAT" stat -d 1e20
usage_err "expects a duration" "stat -d -1" -- "$TLBSTAT" stat -d -1
usage_err "expects a duration" "stat -d nan" -- "$TLBSTAT" stat -d nan
usage_err "expects a duration" "stat -d inf" -- "$TLBSTAT" stat -d inf
usage_err "expects a duration" "stat -d 2parsecs (junk suffix)" -- "$TLBSTAT" stat -d 2parsecs
usage_err "from 10ms to 1d" "stat -I 5us" -- "$TLBSTAT" stat -I 5us
usage_err "from 10ms to 1d" "stat -I 9 (bare ms)" -- "$TLBSTAT" stat -I 9
usage_err "from 100ms to 1h" "top -d 1e20" -- "$TLBSTAT" top -b -n 1 -d 1e20
usage_err "from 100ms to 1h" "top -d 0" -- "$TLBSTAT" top -b -n 1 -d 0
usage_err "from 100ms to 1h" "top -d 50ms" -- "$TLBSTAT" top -b -n 1 -d 50ms
usage_err "from 100ms to 1h" "top -d 2h" -- "$TLBSTAT" top -b -n 1 -d 2h
usage_err "from 1ms to 1d" "report --interval 0" -- "$TLBSTAT" report --interval 0 -i tests/data/perf-ipi.data
usage_err "from 1ms to 1d" "report --interval 500us" -- "$TLBSTAT" report --interval 500us -i tests/data/perf-ipi.data
usage_err "from 1ms to 1m" "transport -d 2m" -- "$TLBSTAT" transport -d 2m

# --- the same parsers everywhere: powers of two, comma lists, exclusive flags
usage_err "power of two" "record -m 3" -- "$TLBSTAT" record -m 3 -o "$tmp/x.data" -- true
usage_err "power of two" "top -m 6" -- "$TLBSTAT" top -b -n 1 -m 6
usage_err "empty item" "record -e tlb,,ipi" -- "$TLBSTAT" record -e tlb,,ipi -d 1 -o "$tmp/x.data"
usage_err "empty item" "top --events with an empty item" -- "$TLBSTAT" top -b -n 1 --events sched:sched_switch,
usage_err "comma-separated list of pids" "top -p 1,,2" -- "$TLBSTAT" top -b -n 1 -p 1,,2
usage_err "bad pid 'x'" "top -p 1,x" -- "$TLBSTAT" top -b -n 1 -p 1,x
usage_err "cannot be used together" "stat --json --csv" -- "$TLBSTAT" stat --json --csv
usage_err "cannot be used together" "report --stdio --json" -- "$TLBSTAT" report --stdio --json -i tests/data/perf-ipi.data
usage_err "cannot be used together" "stat -p with -t" -- "$TLBSTAT" stat -p 1 -t 1
"$TLBSTAT" record --help >"$tmp/h" 2>&1; rc=$?
check "record --help: exit 0, -d's range shown" test $rc -eq 0 -a "$(grep -c '1ms to 365d' "$tmp/h")" -eq 1

# --- suffixed and short durations work, and short ones really stop
"$TLBSTAT" report --interval 10ms --csv -i tests/data/perf-ipi.data >"$tmp/a.csv" 2>&1
"$TLBSTAT" report --interval 0.01 --csv -i tests/data/perf-ipi.data >"$tmp/b.csv" 2>&1
check "report --interval 10ms = --interval 0.01 (bare seconds)" cmp -s "$tmp/a.csv" "$tmp/b.csv"
if [ "$(id -u)" = 0 ] && [ -d /sys/kernel/tracing/events/tlb ]; then
	start=$(date +%s%N)
	timeout 10 "$TLBSTAT" record -q -a -d 0.001 -o "$tmp/r.data" 2>"$tmp/err"; rc=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	check "record -d 0.001 (1ms) stops by itself, exit 0 ($rc, $ms ms)" test $rc -eq 0 -a -s "$tmp/r.data"
	# alarm() rounded up to whole seconds; the timer keeps the 300 ms: a 1 s run takes about
	# 0.7 s longer (start-up costs the same in both; compare, so a loaded machine is fair)
	start=$(date +%s%N)
	timeout 10 "$TLBSTAT" record -q -a -d 300ms -o "$tmp/r.data" 2>"$tmp/err"; rc=$?
	short=$(( ($(date +%s%N) - start) / 1000000 ))
	start=$(date +%s%N)
	timeout 10 "$TLBSTAT" record -q -a -d 1 -o "$tmp/r.data" 2>"$tmp/err"
	long=$(( ($(date +%s%N) - start) / 1000000 ))
	check "record -d 300ms stops 0.4 s or more before -d 1 ($short vs $long ms, exit $rc)" \
		test $rc -eq 0 -a $((long - short)) -ge 400
	"$TLBSTAT" stat -a -d 0.5 -I 100ms >"$tmp/iv.txt" 2>&1; rc=$?
	n=$(grep -cE '^ +[0-9]+\.[0-9]{3} ' "$tmp/iv.txt")
	check "stat -I 100ms -d 0.5: exit 0, 4 or 5 interval lines ($rc, $n)" test $rc -eq 0 -a $n -ge 4 -a $n -le 5
	"$TLBSTAT" stat -a -d 200ms -I 0 >"$tmp/i0.txt" 2>&1; rc=$?
	check "stat -I 0 is off (exit $rc, no interval lines)" test $rc -eq 0 -a "$(grep -cE '^ +[0-9]+\.[0-9]{3} ' "$tmp/i0.txt")" -eq 0
else
	skip "not root or no tlb:tlb_flush: the short record/stat runs"
	skip "not root"
	skip "not root"
	skip "not root"
fi

# --- the OPT_* macros check the value's type at compile time
cc=${CC:-cc}
if command -v "$cc" >/dev/null; then
	good='#include "parse-options.h"
bool b; int i; uint64_t ns; const char *s;
const struct option_def o[] = { OPT_BOOLEAN(0, "b", &b, ""), OPT_INTEGER(0, "i", &i, "", ""),
	OPT_STR(0, "s", &s, "", ""), OPT_DURATION(0, "d", &ns, DUR_S, 1, 2, ""), OPT_FINISH() };'
	check "OPT_* with the right types compiles" bash -c "printf '%s\n' '$good' | $cc -std=gnu11 -fsyntax-only -Itlbstat/lib -x c -"
	for bad in 'int b; const struct option_def o[] = { OPT_BOOLEAN(0, "b", &b, "") };' \
		   'double d; const struct option_def o[] = { OPT_DURATION(0, "d", &d, DUR_S, 1, 2, "") };' \
		   'char *s; const struct option_def o[] = { OPT_STR(0, "s", &s, "", "") };' \
		   'unsigned u; const struct option_def o[] = { OPT_INTEGER(0, "u", &u, "", "") };'; do
		check "does not compile: $bad" bash -c "! printf '%s\n' '#include \"parse-options.h\"' '$bad' | $cc -std=gnu11 -fsyntax-only -Itlbstat/lib -x c - 2>/dev/null"
	done
else
	skip "no C compiler"
fi
finish
