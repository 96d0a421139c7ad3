#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Libraries loaded at first use (lib/dynlib.h): tlbstat links none of libelf, libdw, zlib,
# libdeflate, ncurses, libcrypt or libmicrohttpd, and a plain report loads none of them; report
# of a --call-graph dwarf file still names its frames and lines (they load then), compressed
# DWARF too, with libdeflate or (optional, hidden) zlib; without libdw, libelf or libncursesw
# (hidden in a mount namespace) report warns once naming the package and carries on, and top
# says what is missing and points to -b. TAP. About 5 s; root for all but the first three.
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
lazy='libdw|libelf|libz\.|libdeflate|liblzma|libbz2|ncurses|tinfo|libcrypt\.|microhttpd'

needed=$(readelf -d "$TLBSTAT" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd' ')
check "tlbstat's NEEDED list has no library loaded at first use ($needed)" \
	bash -c "! grep -qE '$lazy' <<<'$needed'"
# what the dynamic loader maps: LD_DEBUG=files says "generating link map" for each object it loads
loaded() { LD_DEBUG=files "$@" 2>&1 >/dev/null | sed -n 's/.*file=\([^ ]*\) \[0\];  generating link map.*/\1/p' | sort -u | paste -sd' '; }
l=$(loaded "$TLBSTAT" --version)
check "--version loads none of them ($l)" bash -c "! grep -qE '$lazy' <<<'$l'"
l=$(loaded "$TLBSTAT" report -i tests/data/tlbstat-ipi.data --sort comm)
check "a plain report loads none of them ($l)" bash -c "! grep -qE '$lazy' <<<'$l' && test -n '$l'"

if [ "$(id -u)" -ne 0 ]; then
	skip "the rest needs root (record, mount namespaces)"
	finish; exit
fi

# report of a --call-graph dwarf recording: unwound, inline frames and source lines (libdw)
src="$(dirname "$0")/fixtures/inline-victim.c"
l_call=$(grep -n "madvise(block, len, MADV_DONTNEED)" "$src" | cut -d: -f1)
if ! cc -O2 -g -fomit-frame-pointer -fasynchronous-unwind-tables -o "$T/iv" "$src" 2>"$T/cc.err"; then
	skip "no C compiler: $(head -c 200 "$T/cc.err")"
	finish; exit
fi
"$TLBSTAT" record -q --call-graph dwarf -o "$T/iv.data" -- "$T/iv" 2000 >/dev/null 2>&1
l=$(loaded "$TLBSTAT" report -i "$T/iv.data" --folded --srcline)
"$TLBSTAT" report -i "$T/iv.data" --folded --srcline >"$T/iv.folded" 2>"$T/iv.err"
n=$(grep -c ";drop_pages inline-victim.c:$l_call;" "$T/iv.folded")
check "report --srcline of a dwarf recording: unwound with inline frames and lines ($n stacks through drop_pages inline-victim.c:$l_call)" \
	test "${n:-0}" -gt 0 -a ! -s "$T/iv.err"
check "... with libelf and libdw loaded then" bash -c "grep -q libelf <<<'$l' && grep -q libdw <<<'$l'"

# hide a library: an empty file bound over it (in a mount namespace of its own)
hide() {
	local lib=$1
	shift
	lib=$(readlink -f "$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64|AArch64/ {print $NF; exit}')")
	[ -f "$lib" ] || return 2
	: >"$T/empty.so"
	unshare -m bash -c 'mount --bind "$0" "$1" && shift && "$@"' "$T/empty.so" "$lib" "$@"
}
if ! unshare -m true 2>/dev/null; then
	skip "no mount namespace: libraries cannot be hidden"
	finish; exit
fi

hide libdw.so.1 "$TLBSTAT" report -i "$T/iv.data" --folded --srcline >"$T/nodw.folded" 2>"$T/nodw.err"
rc=$?
sed 's/^/# /' "$T/nodw.err"
check "without libdw: report exits 0 ($rc)" test "$rc" -eq 0
check "without libdw: one warning naming libdw.so.1 and its package libdw1" \
	test "$(grep -c 'libdw\.so\.1 (Debian package libdw1)' "$T/nodw.err")" -eq 1
check "without libdw: the sampled ips still named (libelf), no inline frames" \
	bash -c "grep -q madvise '$T/nodw.folded' && ! grep -q drop_pages '$T/nodw.folded'"

# compressed DWARF (-gz): inflated by libdeflate when it loads, by zlib when it does not (optional)
if ldconfig -p | grep -q 'libdeflate\.so\.0 ' &&
   cc -O2 -g -gz=zlib -fomit-frame-pointer -fasynchronous-unwind-tables -o "$T/ivz" "$src" 2>/dev/null; then
	"$TLBSTAT" record -q --call-graph dwarf -o "$T/ivz.data" -- "$T/ivz" 2000 >/dev/null 2>&1
	"$TLBSTAT" report -i "$T/ivz.data" --folded --srcline >"$T/ivz.folded" 2>"$T/ivz.err"
	l=$(hide libdeflate.so.0 bash -c 'LD_DEBUG=files "$@" 2>&1 >/dev/null | grep -c "file=libdeflate.*generating link map"; "$@" >"$0" 2>"$0.err"' \
		"$T/ivz-nodfl.folded" "$TLBSTAT" report -i "$T/ivz.data" --folded --srcline)
	n=$(grep -c ";drop_pages inline-victim.c:$l_call;" "$T/ivz.folded")
	check "compressed DWARF: lines through drop_pages inline-victim.c:$l_call ($n stacks)" \
		test "${n:-0}" -gt 0 -a ! -s "$T/ivz.err"
	check "... the same without libdeflate (zlib inflates; libdeflate loaded $l times), no warning" \
		bash -c "test '$l' = 0 && cmp -s '$T/ivz.folded' '$T/ivz-nodfl.folded' && ! test -s '$T/ivz-nodfl.folded.err'"
else
	skip "no libdeflate.so.0 or no cc -gz=zlib: compressed DWARF without libdeflate"
fi

hide libelf.so.1 "$TLBSTAT" report -i "$T/iv.data" --folded >"$T/noelf.folded" 2>"$T/noelf.err"
rc=$?
sed 's/^/# /' "$T/noelf.err"
check "without libelf: report exits 0 ($rc) with its kernel frames" \
	bash -c "test $rc -eq 0 && grep -q __x64_sys_madvise '$T/noelf.folded'"
check "without libelf: one warning naming libelf.so.1 and its package libelf1" \
	test "$(grep -c 'libelf\.so\.1 (Debian package libelf1)' "$T/noelf.err")" -eq 1

if command -v script >/dev/null; then
	# top's screen needs a terminal: script(1) gives it one
	hide libncursesw.so.6 script -qec "$TLBSTAT top -d 1 -n 1" /dev/null >"$T/nocurses.out" 2>&1
	rc=$?
	sed 's/^/# /' "$T/nocurses.out"
	check "without libncursesw: top exits 3 ($rc)" test "$rc" -eq 3
	check "without libncursesw: top names libncursesw6 and points to -b" \
		bash -c "grep -q 'libncursesw6' '$T/nocurses.out' && grep -q -- '-b prints' '$T/nocurses.out'"
else
	skip "no script(1): top's screen without libncursesw"
fi
hide libncursesw.so.6 "$TLBSTAT" top -b -d 0.2 -n 1 >"$T/batch.out" 2>"$T/batch.err"
rc=$?
check "without libncursesw: top -b runs (exit $rc)" \
	bash -c "test $rc -eq 0 && grep -q '^tlbstat top - ' '$T/batch.out'"
finish
