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
      libcurl4-openssl-dev)

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

if [ -z "${TLBSTAT_NO_APT:-}" ]; then
	missing=()
	for p in "${PKGS[@]}"; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		[ "$st" = "install ok installed" ] || missing+=("$p")
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
