#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The arm64 cross build (issue 20): `make ARCH=arm64` into $O-arm64 (build-arm64 by default, or
# O_ARM64), every binary an aarch64 ELF, and the arm64 unit tests, tlbstat and tlbbench run
# under qemu-aarch64 (user-mode emulation: no tracefs or perf counters of an arm64 kernel are
# involved; the guests of vm/run_qemu.sh --arch arm64 do that). `make check-arm64` runs this
# file alone. Skipped without the cross compiler or qemu-aarch64 (scripts/install-deps.sh
# installs both), and in the sanitizer stage: the arm64 build has no sanitizer form and the
# suite stage already checked it. Measured on a 2-core machine: cold build about 2.5 min,
# warm 2 s; the unit tests under qemu-aarch64 about 2 min with two at a time.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.." || exit 1
O64=${O_ARM64:-${O}-arm64}
JOBS=${ARM64_JOBS:-2}

if [ "${SANITIZE:-}" = 1 ]; then
	skip "arm64 cross build: not in the sanitizer stage (checked once, in the suite stage)"
	finish; exit
fi
for t in aarch64-linux-gnu-gcc qemu-aarch64 file; do
	if ! command -v "$t" >/dev/null; then
		skip "arm64 cross build: $t not installed (scripts/install-deps.sh)"
		finish; exit
	fi
done
# qemu-aarch64 finds the arm64 dynamic loader at /lib/ld-linux-aarch64.so.1 (libc6:arm64,
# multiarch, which the :arm64 -dev packages pull in); without it, in the cross toolchain's tree
[ -e /lib/ld-linux-aarch64.so.1 ] || export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu

# A make above us (make check-suite O=build) passes its command-line variables down through
# MAKEFLAGS: they would win over ARCH's defaults (O=build would mix arm64 objects into the
# native tree), so the cross build starts from a clean make environment.
log=$(mktemp)
tmp=$(mktemp -d)
trap 'rm -rf "$log" "$tmp"' EXIT
start=$(date +%s)
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u O -u CC -u AR -u SANITIZE \
	make --no-print-directory ARCH=arm64 O="$O64" -j"$JOBS" all >"$log" 2>&1
rc=$?
echo "# make ARCH=arm64 O=$O64: $(( $(date +%s) - start )) s"
if [ $rc -ne 0 ]; then
	tail -n 30 "$log" | sed 's/^/# /'
	not_ok "make ARCH=arm64 O=$O64 failed (exit $rc)"
	finish; exit
fi
ok "make ARCH=arm64 O=$O64 builds"
check "the build has no compiler warnings" bash -c "! grep -E 'warning:' '$log'"

# every binary the build makes is an aarch64 ELF
bins=("$O64/tlbstat" "$O64/tlbbench" "$O64"/plugins/*.so "$O64"/tests/test-*)
wrong=()
n=0
for b in "${bins[@]}"; do
	case "$b" in *.d|*.o) continue ;; esac
	[ -f "$b" ] || continue
	n=$((n + 1))
	file -b "$b" | grep -q 'ELF 64-bit LSB .*ARM aarch64' || wrong+=("$b: $(file -b "$b" | cut -c1-60)")
done
check "file says ARM aarch64 for all $n binaries and plugins${wrong[*]:+ (not: ${wrong[*]})}" \
	test ${#wrong[@]} -eq 0 -a "$n" -gt 3
# the libraries loaded at first use (lib/dynlib.h: libelf, libdw, ncurses, libmicrohttpd...)
# are not in tlbstat's NEEDED list, so the :arm64 libmicrohttpd is checked in test-web, which
# links it
check "tlbstat links the :arm64 libtraceevent and none of the dlopen()ed libraries; test-web libmicrohttpd" bash -c \
	"aarch64-linux-gnu-readelf -d '$O64/tlbstat' | grep -q 'libtraceevent.so' &&
	 ! aarch64-linux-gnu-readelf -d '$O64/tlbstat' | grep -qE 'libdw|libelf|ncurses|tinfo|libcrypt|microhttpd' &&
	 aarch64-linux-gnu-readelf -d '$O64/tests/test-web' | grep -q 'libmicrohttpd.so'"

# the binaries run (emulated) and say who they are
v=$(qemu-aarch64 "$O64/tlbstat" --version 2>&1)
check "qemu-aarch64 tlbstat --version: '$v'" bash -c "grep -q '^tlbstat version ' <<<'$v'"
check "qemu-aarch64 tlbstat stat --help" bash -c "qemu-aarch64 '$O64/tlbstat' stat --help 2>&1 | grep -q -- '--duration'"
# qemu-user reports uname's machine as aarch64: transport takes arm64's path (broadcast TLBI)
qemu-aarch64 "$O64/tlbstat" transport --json >"$tmp/transport.json" 2>&1
tr=$(jget "$tmp/transport.json" transport 2>/dev/null)
ev=$(jget "$tmp/transport.json" transport_evidence 2>/dev/null)
vo=$(jget "$tmp/transport.json" victims_observable 2>/dev/null)
check "qemu-aarch64 tlbstat transport: '$tr', victims observable '$vo', '${ev:0:40}...'" \
	test "$tr" = broadcast -a "${ev:0:25}" = "hardware broadcast (TLBI)" -a "$vo" = False
qemu-aarch64 "$O64/tlbbench" mmap --ops 200 --no-pin --json >"$tmp/bench.json" 2>"$tmp/bench.err"
rc=$?
if [ $rc -eq 0 ] && [ "$(jget "$tmp/bench.json" munmaps 2>/dev/null)" = 200 ]; then
	ok "qemu-aarch64 tlbbench mmap --ops 200: 200 munmaps"
else
	not_ok "qemu-aarch64 tlbbench mmap --ops 200: exit $rc, $(head -c 300 "$tmp/bench.json" "$tmp/bench.err")"
fi

# the unit tests under qemu-aarch64, $JOBS at a time; one point each, with its own counts
units=()
for t in "$O64"/tests/test-*; do
	case "$t" in *.d|*.o) continue ;; esac
	[ -x "$t" ] && units+=("$t")
done
check "the arm64 build has the unit tests (${#units[@]})" test ${#units[@]} -gt 10
start=$(date +%s)
printf '%s\n' "${units[@]}" | xargs -P "$JOBS" -I{} sh -c \
	'n=$(basename "$1"); s=$(date +%s); qemu-aarch64 "$1" >"$2/$n.out" 2>&1; echo "$? $(( $(date +%s) - s ))" >"$2/$n.rc"' \
	sh {} "$tmp"
echo "# unit tests under qemu-aarch64: $(( $(date +%s) - start )) s"
for t in "${units[@]}"; do
	n=$(basename "$t")
	read -r rc secs <"$tmp/$n.rc"
	p=$(grep -c '^ok ' "$tmp/$n.out")
	f=$(grep -c '^not ok ' "$tmp/$n.out")
	if [ "$rc" -eq 0 ] && [ "$f" -eq 0 ] && [ "$p" -gt 0 ]; then
		ok "$n under qemu-aarch64: $p passed ($secs s)"
	else
		grep '^not ok ' "$tmp/$n.out" | head -n 5 | sed 's/^/# /'
		tail -n 5 "$tmp/$n.out" | sed 's/^/# /'
		not_ok "$n under qemu-aarch64: exit $rc, $p passed, $f failed"
	fi
done
finish
