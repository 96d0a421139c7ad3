# SPDX-License-Identifier: GPL-2.0
# report on crafted and damaged recordings (issue 14): refused in one line or read in part,
# never a crash, a hang or a huge allocation; a file cut short says how much was lost.
# File-based (copies of tests/data/tlbstat-ipi.data made by tests/perfdata.py): safe any time.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
SRC=tests/data/tlbstat-ipi.data

# 64 attrs sharing one 8 MiB block of ids: pd_open copied it per attr (512 MiB + its id table)
"$PY" tests/perfdata.py shared-ids $SRC "$T/shared.data" 64 1048576
# the bound: 300 MiB of address space; under ASan (shadow memory) its allocator's own cap
if sanitized; then
	ASAN_OPTIONS="$ASAN_OPTIONS:allocator_may_return_null=1:max_allocation_size_mb=300" \
		"$TLBSTAT" report --json -i "$T/shared.data" >/dev/null 2>"$T/shared.err"
else
	(ulimit -v 307200; exec "$TLBSTAT" report --json -i "$T/shared.data") >/dev/null 2>"$T/shared.err"
fi
rc=$?
check "attrs sharing one id block: exit 1 (got $rc), under 300 MiB of address space" test $rc -eq 1
check "... in one line naming the attr, its offset and the ids: $(head -c 200 "$T/shared.err")" \
	bash -c "test \$(wc -l <'$T/shared.err') -eq 1 && grep -q 'corrupt attr 1 at offset 376: .* sample ids in all' '$T/shared.err'"

# what a killed recording leaves: data size 0, no feature bits, the last record cut
"$PY" tests/perfdata.py cut $SRC "$T/k.data" 200 killed
size=$(stat -c %s "$T/k.data")
truncate -s $((size - 13)) "$T/k.data"
"$TLBSTAT" report --json -i "$T/k.data" >"$T/k.json" 2>"$T/k.err"
rc=$?
check "killed file: report reads it (exit $rc)" test $rc -eq 0
# the last record written is a FINISHED_ROUND (8 bytes) or a sample: 13 bytes cut leave a part
want="up to offset [0-9]+ of $((size - 13)) bytes; the last [0-9]+ bytes are an incomplete record"
check "killed file: says how much was lost: $(grep -o 'read .*' "$T/k.err")" grep -qE "$want" "$T/k.err"
off=$(grep -oE 'up to offset [0-9]+' "$T/k.err" | grep -oE '[0-9]+$')
lost=$(grep -oE 'the last [0-9]+ bytes' "$T/k.err" | grep -oE '[0-9]+')
check "... offset + lost bytes = file size ($off + $lost = $((size - 13)))" \
	test "$((off + lost))" -eq $((size - 13))

# after ENOSPC: the header's data size from the last once-a-second update (smaller than what
# reached the file), no features, the file ending in the middle of a record
cp "$T/k.data" "$T/nospc.data"
"$PY" -c "import struct,sys
with open(sys.argv[1], 'r+b') as f: f.seek(48); f.write(struct.pack('<Q', 4096))" "$T/nospc.data"
"$TLBSTAT" report --json -i "$T/nospc.data" >"$T/nospc.json" 2>"$T/nospc.err"
rc=$?
check "full disk: report reads the file (exit $rc) past its header's data size" \
	test $rc -eq 0 -a "$(jget "$T/nospc.json" samples)" = "$(jget "$T/k.json" samples)"
check "full disk: the same account of the lost tail" grep -qE "$want" "$T/nospc.err"

# truncated at 64 offsets across each recording: exit 0 (partial) or 1 (one line), no signal
bad=0
for f in tests/data/*.data; do
	fs=$(stat -c %s "$f")
	for k in $(seq 1 64); do
		n=$((fs * k / 65))
		head -c $n "$f" >"$T/cut.data"
		timeout 20 "$TLBSTAT" report --json -i "$T/cut.data" >/dev/null 2>"$T/cut.err"
		rc=$?
		nerr=$(grep -vc warning "$T/cut.err")
		if [ $rc -gt 1 ] || { [ $rc -eq 1 ] && [ "$nerr" -ne 1 ]; }; then
			bad=$((bad + 1))
			echo "# $f cut at $n: exit $rc: $(head -c 200 "$T/cut.err")"
		fi
	done
done
check "recordings cut at 64 offsets each: a partial report or one error line, never a crash or hang" \
	test $bad -eq 0
finish
