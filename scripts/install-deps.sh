#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what tlbstat needs to build and test on Debian 12. Idempotent: `apt-get update` runs at
# most once, and only when a package is missing; libperf is built from linux-source-6.1 only when
# it is not already built (or when pkg-config finds no system libperf with its internal headers).
#
# Environment:
#   TLBSTAT_DEPS   where the libperf build goes (default /opt/tlbstat-deps)
#   TLBSTAT_NO_APT set to skip apt entirely (for machines managed otherwise)
set -euo pipefail

# curl, prometheus, openssl: the exporter's tests (promtool, a server they start on loopback, a
# test certificate; Debian's prometheus also enables its own prometheus.service:
# `systemctl disable --now prometheus` if unwanted)
PKGS=(gcc make pkg-config libtraceevent-dev libtracefs-dev libelf-dev libdw-dev libncurses-dev
      linux-perf linux-source-6.1 xz-utils tmux stress-ng procps bc libmicrohttpd-dev python3
      asciidoctor man-db bash-completion python3-jsonschema curl prometheus openssl
      libcurl4-openssl-dev libdeflate-dev)

# One line per step with the seconds since the start: the libperf build takes about a minute
# on a fresh 2-core machine, and a silent minute looks like a hang.
t0=$(date +%s)
step() { echo "install-deps: [$(( $(date +%s) - t0 )) s] $*" >&2; }
# make fuzz / fuzz-regress (tests/fuzz/, run by make check's stages): clang and its libFuzzer,
# ASan and UBSan runtimes (libclang_rt.fuzzer-x86_64.a). Only the fuzz targets use them; the
# build uses gcc.
PKGS+=(clang libclang-rt-14-dev)
# the kernel lab (vm/, patches/; issue 19): QEMU for the TCG guest, a static BusyBox for its
# initramfs, and what building the patched kernel needs beyond gcc and make
PKGS+=(qemu-system-x86 busybox-static flex bison libssl-dev)
# the arm64 kernel-lab guest (vm/run_qemu.sh --arch arm64, issue 20): QEMU's aarch64 system
# emulator, and the cross compiler probes/arm64 and the patched arm64 kernel
# (vm/build_kernel.sh --arch arm64) build with (the arm64 kernel, its headers and
# busybox-static:arm64 are downloaded by vm/ at run time, never installed)
PKGS+=(qemu-system-arm gcc-aarch64-linux-gnu)
# tests/callchain.sh renders report --flamegraph's SVG headless; nothing else uses a browser
PKGS+=(chromium)

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps: missing packages ($*); run as root (or: sudo $0)" >&2
		exit 1
	fi
}

# installed NAME[:ARCH]: the package is installed for ARCH, or (no :ARCH) for the native
# architecture or "all". Once arm64 is a foreign architecture, a plain `dpkg-query -W NAME`
# prints one status per installed architecture, and comparing that to one status fails.
installed() {
	local want=${1#*:}
	[ "$want" = "$1" ] && want="$(dpkg --print-architecture)|all"
	dpkg-query -W -f='${Architecture} ${Status}\n' "$1" 2>/dev/null |
		grep -Eq "^($want) install ok installed\$"
}

if [ -z "${TLBSTAT_NO_APT:-}" ]; then
	missing=()
	for p in "${PKGS[@]}"; do
		installed "$p" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		need_root "${missing[@]}"
		step "installing ${missing[*]} (apt-get update, then install)"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
		step "packages installed"
	fi
fi

# ---- arm64 cross build (issue 20; `make ARCH=arm64`, tests/arm64-build.sh). The :arm64 -dev
# libraries tlbstat links, the cross compiler and qemu-user (the arm64 unit tests run under
# qemu-aarch64), in ONE apt call: a Multi-Arch: same library must have the same version for
# amd64 and arm64, and apt upgrades the amd64 one in the same transaction when needed. Never
# install linux-headers-*:arm64 here: it depends on gcc-12:arm64 and removes the native gcc.
# Then libperf for arm64 into $TLBSTAT_DEPS/libperf-arm64, the same recipe as below, cross.
# Measured cold on this 2-core machine: apt 3.5 min (108 packages), libperf 1.3 min.
# TLBSTAT_NO_ARM64=1 skips it all.
ARM64_PKGS=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user file
            libtraceevent-dev:arm64 libtracefs-dev:arm64 libelf-dev:arm64 libdw-dev:arm64
            libncurses-dev:arm64 libmicrohttpd-dev:arm64 libcurl4-openssl-dev:arm64
            libcrypt-dev:arm64 libdeflate-dev:arm64)
if [ -z "${TLBSTAT_NO_APT:-}" ] && [ -z "${TLBSTAT_NO_ARM64:-}" ]; then
	missing=()
	for p in "${ARM64_PKGS[@]}"; do
		installed "$p" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		need_root "${missing[@]}"
		step "arm64: installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
		step "arm64: packages installed"
	fi
fi
LP64=${TLBSTAT_DEPS:-/opt/tlbstat-deps}/libperf-arm64
if [ -z "${TLBSTAT_NO_ARM64:-}" ] && command -v aarch64-linux-gnu-gcc >/dev/null &&
   ! { [ -f "$LP64/lib/libperf.a" ] && [ -f "$LP64/lib/libapi.a" ] &&
       [ -f "$LP64/src/tools/lib/perf/include/internal/evsel.h" ] &&
       [ -d "$LP64/src/tools/arch/arm64/include" ]; }; then
	src64=/usr/src/linux-source-6.1.tar.xz
	[ -f "$src64" ] || { echo "install-deps: $src64 not found (apt-get install linux-source-6.1)" >&2; exit 1; }
	step "arm64: building libperf from $src64 into $LP64 (about a minute, once)"
	t64=$(mktemp -d)
	tar -C "$t64" -xf "$src64" --wildcards 'linux-source-6.1/tools/*' \
		'linux-source-6.1/include/uapi/*' 'linux-source-6.1/arch/arm64/include/uapi/*'
	k64=$t64/linux-source-6.1
	x64=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
	make -s -C "$k64/tools/lib/perf" "${x64[@]}" prefix="$t64/inst" libdir_relative=lib \
		install_lib install_headers install_pkgconfig >/dev/null 2>&1 &&
	make -s -C "$k64/tools/lib/api" "${x64[@]}" >/dev/null 2>&1 ||
		{ rm -rf "$t64"; echo "install-deps: arm64 libperf build failed" >&2; exit 1; }
	rm -rf "$LP64.new"
	mkdir -p "$LP64.new/lib" "$LP64.new/src/tools/lib/perf" "$LP64.new/src/tools/lib/api/fd"
	cp -a "$t64/inst/include" "$LP64.new/include"
	cp "$t64/inst"/lib*/libperf.a "$k64/tools/lib/api/libapi.a" "$LP64.new/lib/"
	cp -a "$k64/tools/include" "$LP64.new/src/tools/include"
	cp -a "$k64/tools/arch" "$LP64.new/src/tools/arch"
	cp -a "$k64/tools/lib/perf/include" "$LP64.new/src/tools/lib/perf/include"
	cp "$k64/tools/lib/api/fd/array.h" "$LP64.new/src/tools/lib/api/fd/"
	rm -rf "$LP64" "$t64"
	mv "$LP64.new" "$LP64"
	step "arm64: libperf ready in $LP64"
fi
# ---- end arm64

# libperf: the kernel's evlist/evsel/mmap library. tlbstat uses its public API plus the internal
# headers perf itself uses (file descriptors of an evsel, applying filters), so a build needs
# the headers from tools/ as well as libperf.a and libapi.a.
DEPS=${TLBSTAT_DEPS:-/opt/tlbstat-deps}
LP=$DEPS/libperf
if [ -f "$LP/lib/libperf.a" ] && [ -f "$LP/lib/libapi.a" ] &&
   [ -f "$LP/src/tools/lib/perf/include/internal/evsel.h" ] &&
   [ -d "$LP/src/tools/arch/x86/include" ]; then
	exit 0
fi
src=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
if [ -z "$src" ]; then
	echo "install-deps: /usr/src/linux-source-6.1.tar.xz not found (apt-get install linux-source-6.1)" >&2
	exit 1
fi
step "building libperf from $src into $LP (about a minute, once)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -C "$tmp" -xf "$src" --wildcards 'linux-source-6.1/tools/*' \
	'linux-source-6.1/include/uapi/*' 'linux-source-6.1/arch/x86/include/uapi/*'
k=$tmp/linux-source-6.1
step "unpacked tools/ of linux-source-6.1; building libperf"
make -s -C "$k/tools/lib/perf" prefix="$tmp/inst" libdir_relative=lib \
	install_lib install_headers install_pkgconfig >/dev/null 2>&1 ||
	{ echo "install-deps: libperf build failed" >&2; exit 1; }
step "libperf built; building libapi"
make -s -C "$k/tools/lib/api" >/dev/null 2>&1 ||
	{ echo "install-deps: libapi build failed" >&2; exit 1; }
rm -rf "$LP.new"
mkdir -p "$LP.new/lib" "$LP.new/src/tools/lib"
cp -a "$tmp/inst/include" "$LP.new/include"
cp "$tmp/inst"/lib*/libperf.a "$LP.new/lib/"
cp "$k/tools/lib/api/libapi.a" "$LP.new/lib/"
cp -a "$k/tools/include" "$LP.new/src/tools/include"
cp -a "$k/tools/arch" "$LP.new/src/tools/arch"
mkdir -p "$LP.new/src/tools/lib/perf" "$LP.new/src/tools/lib/api/fd"
cp -a "$k/tools/lib/perf/include" "$LP.new/src/tools/lib/perf/include"
cp "$k/tools/lib/api/fd/array.h" "$LP.new/src/tools/lib/api/fd/"
rm -rf "$LP"
mv "$LP.new" "$LP"
step "libperf ready in $LP"
