#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tlbstat on a kernel without tlb:tlb_flush (a stock arm64 kernel; issue 20,
# Documentation/arm64.md), live on this host: TLBSTAT_TRACEFS points tlbstat at a tracefs view
# that holds only what a stock arm64 6.1 kernel has of the events tlbstat looks at (an empty
# tlb/, ipi_raise/ipi_entry/ipi_exit, raw_syscalls:sys_enter), each event's id and format
# copied from this kernel's own tracefs, so every counter opened is this kernel's real event and
# every count a real one. stat, record and top must print the one missing-event message;
# stat --syscalls counts the mm system calls of tlbbench. The arm64 build (tests/arm64-build.sh)
# prints the same message under qemu-aarch64. Root (tracepoints), live: run it under the lock.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TFS=/sys/kernel/tracing
MSG='^tlbstat: tlb:tlb_flush not available: the tracepoint does not exist on this kernel \(only x86 kernels fire it\)$'
MSG64='^tlbstat: tlb:tlb_flush not available: arm64 kernels list it but never fire it \(only x86 calls trace_tlb_flush\)$'

if [ "$(id -u)" != 0 ] || [ ! -r "$TFS/events/raw_syscalls/sys_enter/id" ]; then
	skip "needs root and $TFS/events/raw_syscalls (tracepoints)"; finish; exit
fi
if [ ! -x "$TLBSTAT" ] || [ ! -x "$TLBBENCH" ]; then
	skip "tlbstat or tlbbench not built"; finish; exit
fi

# the view: what a stock arm64 kernel has, with this kernel's ids
view=$tmp/tracefs
mkdir -p "$view/events/tlb"
for e in raw_syscalls/sys_enter ipi/ipi_raise ipi/ipi_entry ipi/ipi_exit; do
	[ -r "$TFS/events/$e/id" ] || continue
	mkdir -p "$view/events/$e"
	cp "$TFS/events/$e/id" "$TFS/events/$e/format" "$view/events/$e/"
done
export TLBSTAT_TRACEFS=$view

# missing: stat, record and top say so, first line exact, exit 3 (environment)
"$TLBSTAT" stat -a -d 200ms 2>"$tmp/stat.err"
rc=$?
sed 's/^/# /' "$tmp/stat.err"
check "stat: exit 3 (got $rc)" test $rc -eq 3
check "stat: the first line is the stable message" bash -c "head -n 1 '$tmp/stat.err' | grep -qE '$MSG'"
check "stat: the patched event is said missing too" grep -q 'tlb:tlb_invalidation (patches/.*is not here either' "$tmp/stat.err"
check "stat: names what exists (raw_syscalls:sys_enter)" grep -q 'this kernel has: .*raw_syscalls:sys_enter' "$tmp/stat.err"
check "stat: offers --syscalls, labelled as not a flush count" grep -q "'tlbstat stat --syscalls'.*not a flush count" "$tmp/stat.err"
"$TLBSTAT" record -o "$tmp/r.data" -- true >/dev/null 2>"$tmp/record.err"
rc=$?
check "record: exit 3 (got $rc) with the same first line" bash -c \
	"[ $rc -eq 3 ] && grep -qE '$MSG' '$tmp/record.err'"
check "record: no file left behind" test ! -s "$tmp/r.data"
"$TLBSTAT" top --batch -n 1 -d 100ms >/dev/null 2>"$tmp/top.err"
rc=$?
check "top: exit 3 (got $rc) with the same first line" bash -c \
	"[ $rc -eq 3 ] && grep -qE '$MSG' '$tmp/top.err'"

# the usage the stand-in cannot give: the reasons' options
expect 2 'count tlb:tlb_flush.s reasons' "stat --syscalls -e remote_shootdown refused" -- \
	"$TLBSTAT" stat --syscalls -e remote_shootdown -a -d 100ms
expect 2 'count tlb:tlb_flush.s reasons' "stat --syscalls -I 100 refused" -- \
	"$TLBSTAT" stat --syscalls -I 100 -a -d 100ms

# --syscalls: tlbbench's munmaps (one per op) counted at syscall entry, on the view's real ids
N=3000
"$TLBSTAT" stat --syscalls -j -o "$tmp/sys.json" -- "$TLBBENCH" mmap --ops $N --no-pin --json \
	>"$tmp/bench.json" 2>"$tmp/sys.err"
rc=$?
cat "$tmp/sys.json" | sed 's/^/# /'
check "stat --syscalls -- tlbbench: exit 0 (got $rc)" test $rc -eq 0
src=$(jget "$tmp/sys.json" source 2>/dev/null)
mun=$(jget "$tmp/sys.json" counts.munmap 2>/dev/null || echo -1)
made=$(jget "$tmp/bench.json" munmaps 2>/dev/null || echo 0)
check "source is 'syscalls'" test "$src" = syscalls
check "munmap() counted $mun, tlbbench made $made munmaps: within 2%" within "$mun" "$made" 2
check "tlbbench made $N" test "$made" = $N
check "the JSON is valid for schema/stat.json" "$PY" -c '
import json, sys
import jsonschema
s = json.load(open("Documentation/schema/stat.json"))
jsonschema.Draft202012Validator(s).validate(json.load(open(sys.argv[1])))
' "$tmp/sys.json"
"$TLBSTAT" stat --syscalls -- "$TLBBENCH" mprotect --ops 1000 --no-pin >/dev/null 2>"$tmp/sys.txt"
sed 's/^/# /' "$tmp/sys.txt"
check "the table labels the total as system calls, not TLB flushes" \
	grep -q 'mm syscalls .*(system calls, not TLB flushes)' "$tmp/sys.txt"
mp=$(awk '$2 == "mprotect()" { print $1 }' "$tmp/sys.txt")
check "mprotect() counted ${mp:-none} for 1000 mprotects: within 2%" within "${mp:-0}" 1000 2

# the arm64 build (uname says aarch64 under qemu-aarch64): a stock arm64 kernel lists
# tlb:tlb_flush (include/trace/events/tlb.h, every architecture) and never fires it, so the view
# gets this kernel's tlb_flush too, and tlbstat must still call it not available
O64=${O_ARM64:-${O}-arm64}
if [ -x "$O64/tlbstat" ] && command -v qemu-aarch64 >/dev/null &&
   [ -r "$TFS/events/tlb/tlb_flush/id" ]; then
	mkdir -p "$view/events/tlb/tlb_flush"
	cp "$TFS/events/tlb/tlb_flush/id" "$TFS/events/tlb/tlb_flush/format" "$view/events/tlb/tlb_flush/"
	for c in "stat -a -d 100ms" "record -o $tmp/q.data -- true" "top --batch -n 1 -d 100ms"; do
		# shellcheck disable=SC2086
		qemu-aarch64 "$O64/tlbstat" $c >/dev/null 2>"$tmp/q.err"
		rc=$?
		sed 's/^/# /' "$tmp/q.err" | head -n 2
		check "qemu-aarch64 tlbstat ${c%% *}, tlb_flush listed: exit 3 (got $rc), 'arm64 kernels list it but never fire it'" \
			bash -c "[ $rc -eq 3 ] && head -n 1 '$tmp/q.err' | grep -qE '$MSG64'"
	done
else
	skip "no arm64 build in $O64 (tests/arm64-build.sh makes it)"
fi
finish
