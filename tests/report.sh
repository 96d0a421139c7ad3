#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tlbstat report on committed perf.data fixtures (tests/data/README.md says how they were made):
# golden values checked independently with `perf script` (tests/data/*.expected), bad files.
. "$(dirname "$0")/lib.sh"
D=tests/data
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

if ! "$TLBSTAT" report -i "$D/perf-tlb-pvm.data" --json > "$T/r.json" 2> "$T/err"; then
	if grep -q "no perf.data reader" "$T/err"; then
		skip "report: this build has no session.c yet"
		finish; exit
	fi
fi
exp() { awk -v k="$1" '$1 == k { print $2 }' "$D/perf-tlb-pvm.expected"; }
check "report --json exits 0 and is JSON" python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$T/r.json"
for k in tlb_flush csd_queue_cpu ipi_send_cpumask; do
	check "events.$k = $(exp $k) (perf script)" test "$(jget "$T/r.json" events.$k)" = "$(exp $k)"
done
for k in task_switch remote_shootdown local_shootdown local_mm_shootdown remote_ipi_send remote_wrong_cpu; do
	check "reasons.$k = $(exp $k)" test "$(jget "$T/r.json" reasons.$k)" = "$(exp $k)"
done
check "pages = $(exp pages) (reason 4 excluded)" test "$(jget "$T/r.json" pages)" = "$(exp pages)"
check "full_flushes = $(exp full_flushes)" test "$(jget "$T/r.json" full_flushes)" = "$(exp full_flushes)"
check "bytes = pages x 4096" test "$(jget "$T/r.json" bytes)" = "$(( $(exp pages) * 4096 ))"
check "top process pid $(exp top_pid)" test "$(jget "$T/r.json" processes.0.pid)" = "$(exp top_pid)"
check "top process invalidations $(exp top_invalidations)" \
	test "$(jget "$T/r.json" processes.0.invalidations)" = "$(exp top_invalidations)"
check "perf-written file: transport unknown" test "$(jget "$T/r.json" transport)" = unknown
# recorded on a PVM guest: reason 4 without reason 1 -> victims not observable, a note not zeros
check "victims null" test "$(jget "$T/r.json" victims)" = None
check "victims_note present" test -n "$(jget "$T/r.json" victims_note)"
check "stdio prints the note" sh -c "'$TLBSTAT' report -i '$D/perf-tlb-pvm.data' | grep -q 'not observable'"
check "csv series has a header and rows" sh -c "'$TLBSTAT' report -i '$D/perf-tlb-pvm.data' --csv | head -1 | grep -q '^t_s,interval_s,invalidations'"
check "--sort reason" sh -c "'$TLBSTAT' report -i '$D/perf-tlb-pvm.data' --sort reason | grep -q 'Invalidations by reason'"
"$TLBSTAT" report -i "$D/perf-tlb-pvm.data" --sort bogus > /dev/null 2>&1; rc=$?
check "bad --sort key: exit 2" test $rc -eq 2

# bad files: one line on stderr, exit 1, never a crash
printf 'not a perf file at all\n' > "$T/junk.data"
size=$(stat -c %s "$D/perf-tlb-pvm.data")
head -c 50 "$D/perf-tlb-pvm.data" > "$T/t50.data"
head -c $((size / 2)) "$D/perf-tlb-pvm.data" > "$T/half.data"
head -c $((size - 100)) "$D/perf-tlb-pvm.data" > "$T/tail.data"
for f in junk t50 half tail; do
	"$TLBSTAT" report -i "$T/$f.data" > /dev/null 2> "$T/$f.err"; rc=$?
	check "$f file: exit 1 (not a crash)" test $rc -eq 1
	check "$f file: one error line" test "$(wc -l < "$T/$f.err")" -eq 1
done
crash=0
for off in 0 8 16 40 72 120 200 400 800 1600 3200 $((size / 3)) $((size / 2)) $((size - 2000)) $((size - 6000)); do
	cp "$D/perf-tlb-pvm.data" "$T/flip.data"
	printf '\xff\xff\xff\xff' | dd of="$T/flip.data" bs=1 seek=$off conv=notrunc status=none
	"$TLBSTAT" report -i "$T/flip.data" --json > /dev/null 2>&1; rc=$?
	[ $rc -gt 1 ] && { crash=$((crash + 1)); echo "# flip at $off: exit $rc"; }
done
check "byte-flipped copies: exit 0 or 1, no crash" test $crash -eq 0
finish
