# SPDX-License-Identifier: GPL-2.0
# The short mutation run (tests/mutate.py): 20 cut, flipped or crafted copies of the recorded
# files in tests/data, each read by `tlbstat report --json` under 10 s and 1 GiB of address
# space: no crash, no hang. File-based. MUTATE_CASES=100 for the long run.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
mem=1024
# an ASan build maps terabytes of shadow: no address-space limit, its allocator's cap instead
if sanitized; then
	mem=0
	export ASAN_OPTIONS="$ASAN_OPTIONS:allocator_may_return_null=1:max_allocation_size_mb=1024"
fi
out=$("$PY" tests/mutate.py --cases "${MUTATE_CASES:-20}" --seed "${MUTATE_SEED:-1}" \
	--mem-mb "$mem" --tlbstat "$TLBSTAT" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
check "mutated recordings: $(printf '%s\n' "$out" | grep -m1 ' cases ')" test $rc -eq 0
finish
