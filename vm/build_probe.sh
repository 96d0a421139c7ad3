#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the LAB-ONLY probe module (probes/x86) against the stock guest kernel's headers: Debian's
# linux-headers-<abi>-amd64, its -common package and linux-kbuild-6.1, downloaded and unpacked
# (never installed) into $TLBSTAT_VM_CACHE/headers/<version>. The build happens in vm/work/probe
# (Kbuild writes beside the sources). Prints the .ko's path.
#   vm/build_probe.sh IMAGE_PACKAGE VERSION    (e.g. linux-image-6.1.0-57-amd64 6.1.192-3)
#   vm/build_probe.sh --kdir TREE              against a built kernel tree (vm/work/probe-patched)
# Exit codes: 0 built, 1 build failed, 3 environment (packages not found, no gcc-12).
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${TLBSTAT_VM_CACHE:-/var/cache/tlbstat-vm}
log() { echo "build_probe: $*" >&2; }

# build PROBE_DIR KDIR: the module from probes/x86 in PROBE_DIR against the tree KDIR
build() {
	rm -rf "$1"
	mkdir -p "$1"
	cp probes/x86/tlbprobe.c probes/x86/Kbuild "$1/"
	if ! make -C "$2" M="$1" modules >"$1/build.log" 2>&1; then
		tail -20 "$1/build.log" >&2
		log "the probe module did not build against $2 ($1/build.log)"
		exit 1
	fi
	echo "$1/tlbprobe.ko"
}

# --kdir DIR: against a built kernel tree (the patched one; it must have run make modules)
if [ "${1:-}" = --kdir ]; then
	build "$PWD/vm/work/probe-patched" "${2:?kernel tree}"
	exit 0
fi
img=${1:?image package} ver=${2:?version}
abi=${img#linux-image-}                 # 6.1.0-57-amd64
flavour=${abi##*-}                       # amd64
common=${abi%-"$flavour"}-common         # 6.1.0-57-common
dir=$CACHE/headers/$ver
kdir=$dir/root/usr/src/linux-headers-$abi

command -v gcc-12 >/dev/null || { log "gcc-12 not found (Debian's 6.1 kernels are built with it)"; exit 3; }
if [ ! -f "$dir/.unpacked" ]; then
	log "downloading the headers of $abi ($ver) into $dir"
	rm -rf "$dir"
	mkdir -p "$dir/debs"
	if ! (cd "$dir/debs" && timeout 300 apt-get download -q -o APT::Sandbox::User=root \
		"linux-headers-$abi=$ver" "linux-headers-$common=$ver" linux-kbuild-6.1 >&2); then
		log "apt-get download of linux-headers-$abi failed (network, or apt-get update)"
		exit 3
	fi
	for d in "$dir"/debs/*.deb; do dpkg-deb -x "$d" "$dir/root"; done
	rm -rf "$dir/debs"
	# the flavour's Makefile includes the common one by its installed path
	sed -i "s|^include /usr/src/|include $dir/root/usr/src/|" "$kdir/Makefile"
	touch "$dir/.unpacked"
fi
build "$PWD/vm/work/probe" "$kdir"
