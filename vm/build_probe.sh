#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the LAB-ONLY probe module (probes/x86, or probes/arm64 with --arch arm64) against the
# stock guest kernel's headers: Debian's linux-headers-<abi>, its -common package and the native
# linux-kbuild-6.1, downloaded and unpacked (never installed) into
# $TLBSTAT_VM_CACHE/headers/<version> (headers/arm64-<version> for arm64). The build happens in
# vm/work/probe[-arm64] (Kbuild writes beside the sources). Prints the .ko's path.
#   vm/build_probe.sh [--arch arm64] IMAGE_PACKAGE VERSION
#                     (e.g. linux-image-6.1.0-57-amd64 6.1.192-3, linux-image-6.1.0-57-arm64 ...)
#   vm/build_probe.sh [--arch arm64] --kdir TREE    against a built kernel tree
#                     (vm/work/probe-patched[-arm64])
# arm64 cross-builds with aarch64-linux-gnu-gcc-12 (ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-);
# linux-headers-*-arm64:arm64 is unpacked, never installed (installing it would pull gcc-12:arm64
# and remove the native toolchain).
# Exit codes: 0 built, 1 build failed, 2 usage, 3 environment (packages not found, no gcc-12 or
# aarch64-linux-gnu-gcc-12).
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${TLBSTAT_VM_CACHE:-/var/cache/tlbstat-vm}
log() { echo "build_probe: $*" >&2; }
arch=x86
kargs=()
if [ "${1:-}" = --arch ]; then
	case ${2:-} in
	x86|x86_64|amd64) ;;
	arm64|aarch64)
		arch=arm64
		kargs=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-) ;;
	*) log "--arch: x86 or arm64, not '${2:-}'"; exit 2 ;;
	esac
	shift 2
fi
sfx=$([ $arch = arm64 ] && echo -arm64 || true)

# build PROBE_DIR KDIR: the module from probes/$arch in PROBE_DIR against the tree KDIR; a
# module built from the same sources against the same tree (and, for a built tree, the same
# Module.symvers) is reused
build() {
	local key
	key=$( { cat probes/$arch/tlbprobe.c probes/$arch/Kbuild probes/tlbprobe-common.h;
		echo "$2 ${kargs[*]}";
		cat "$2/Module.symvers" 2>/dev/null; } | sha256sum | cut -c1-16)
	if [ -f "$1/tlbprobe.ko" ] && [ "$(cat "$1/.key" 2>/dev/null)" = "$key" ]; then
		log "reusing $1/tlbprobe.ko (same sources and kernel tree)"
		echo "$1/tlbprobe.ko"
		return
	fi
	rm -rf "$1"
	mkdir -p "$1"
	cp probes/$arch/tlbprobe.c probes/$arch/Kbuild probes/tlbprobe-common.h "$1/"
	if ! make -C "$2" M="$1" "${kargs[@]}" modules >"$1/build.log" 2>&1; then
		tail -20 "$1/build.log" >&2
		log "the probe module did not build against $2 ($1/build.log)"
		exit 1
	fi
	echo "$key" >"$1/.key"
	echo "$1/tlbprobe.ko"
}

# --kdir DIR: against a built kernel tree (the patched one; it must have run make modules)
if [ "${1:-}" = --kdir ]; then
	build "$PWD/vm/work/probe-patched$sfx" "${2:?kernel tree}"
	exit 0
fi
img=${1:?image package} ver=${2:?version}
img=${img%:*}                            # linux-image-6.1.0-57-arm64:arm64 -> no :arm64
abi=${img#linux-image-}                 # 6.1.0-57-amd64
flavour=${abi##*-}                       # amd64
common=${abi%-"$flavour"}-common         # 6.1.0-57-common
dir=$CACHE/headers/$ver
hpkg=linux-headers-$abi=$ver
if [ $arch = arm64 ]; then
	dir=$CACHE/headers/arm64-$ver
	hpkg=linux-headers-$abi:arm64=$ver
	command -v aarch64-linux-gnu-gcc-12 >/dev/null || {
		log "aarch64-linux-gnu-gcc-12 not found (apt-get install gcc-aarch64-linux-gnu)"; exit 3; }
else
	command -v gcc-12 >/dev/null || {
		log "gcc-12 not found (Debian's 6.1 kernels are built with it)"; exit 3; }
fi
kdir=$dir/root/usr/src/linux-headers-$abi

if [ ! -f "$dir/.unpacked" ]; then
	log "downloading the headers of $abi ($ver) into $dir"
	rm -rf "$dir"
	mkdir -p "$dir/debs"
	if ! (cd "$dir/debs" && timeout 300 apt-get download -q -o APT::Sandbox::User=root \
		"$hpkg" "linux-headers-$common=$ver" linux-kbuild-6.1 >&2); then
		log "apt-get download of linux-headers-$abi failed (network, or apt-get update)"
		exit 3
	fi
	for d in "$dir"/debs/*.deb; do dpkg-deb -x "$d" "$dir/root"; done
	rm -rf "$dir/debs"
	# the flavour's Makefile includes the common one by its installed path
	sed -i "s|^include /usr/src/|include $dir/root/usr/src/|" "$kdir/Makefile"
	touch "$dir/.unpacked"
fi
build "$PWD/vm/work/probe$sfx" "$kdir"
