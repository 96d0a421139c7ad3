#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the patched kernel for `vm/run_qemu.sh --patched`: Debian's linux-source-6.1 tarball,
# patches/*.patch applied, tinyconfig plus the arch's config fragment. The tree lives OUTSIDE the
# clone, in $TLBSTAT_VM_CACHE/kbuild/<key>, where the key hashes the arch, the source package
# version, the config fragment and the patches: a new key builds afresh (about 8 minutes on
# 2 cores), the same key reuses the tree (make is then a no-op). Prints the kernel image's path
# on stdout.
#   vm/build_kernel.sh [--arch x86_64|arm64]
#     x86_64 (default): vm/kernel.config, arch/x86/boot/bzImage for qemu-system-x86_64
#     arm64: vm/kernel-arm64.config, cross-built with aarch64-linux-gnu-gcc
#            (gcc-aarch64-linux-gnu), arch/arm64/boot/Image for qemu-system-aarch64 -M virt
#
# Exit codes: 0 built, 1 build failed, 2 usage, 3 environment (no linux-source-6.1, no cross
# compiler, patches do not apply).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=${TLBSTAT_VM_CACHE:-/var/cache/tlbstat-vm}
TARBALL=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
JOBS=${JOBS:-$(nproc)}
log() { echo "build_kernel: $*" >&2; }
usage() { sed -n '3,16s/^# \{0,1\}//p' "$0"; }

arch=x86_64
while [ $# -gt 0 ]; do
	case $1 in
	--arch) [ $# -ge 2 ] || { usage >&2; exit 2; }; arch=$2; shift 2 ;;
	--arch=*) arch=${1#--arch=}; shift ;;
	-h|--help) usage; exit 0 ;;
	*) log "unknown argument '$1'"; usage >&2; exit 2 ;;
	esac
done
case $arch in
x86_64|x86|amd64)
	arch=x86_64 frag=vm/kernel.config target=bzImage image=arch/x86/boot/bzImage
	kmake=(ARCH=x86_64) ;;
arm64|aarch64)
	arch=arm64 frag=vm/kernel-arm64.config target=Image image=arch/arm64/boot/Image
	kmake=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
	if ! command -v aarch64-linux-gnu-gcc >/dev/null; then
		log "aarch64-linux-gnu-gcc not found" \
			"(apt-get install gcc-aarch64-linux-gnu, or scripts/install-deps.sh)"
		exit 3
	fi ;;
*) log "unknown arch '$arch' (x86_64 or arm64)"; exit 2 ;;
esac

if [ ! -f "$TARBALL" ]; then
	log "$TARBALL not found (apt-get install linux-source-6.1, or scripts/install-deps.sh)"
	exit 3
fi
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || stat -c %Y "$TARBALL")
key=$( { echo "$arch"; echo "$ver"; cat "$frag" patches/*.patch; } | sha256sum | cut -c1-16)
dir=$CACHE/kbuild/$key
src=$dir/linux-source-6.1
img=$src/$image

if [ ! -f "$dir/.configured" ]; then
	log "new $arch tree $dir (linux-source-6.1 $ver, config and patches hashed to $key)"
	rm -rf "$dir"
	mkdir -p "$dir"
	tar -C "$dir" -xf "$TARBALL"
	for p in patches/*.patch; do
		if ! patch -d "$src" -p1 -s --forward --fuzz=0 <"$p" >&2; then
			log "$p does not apply to linux-source-6.1 $ver (run scripts/check-patches.sh)"
			rm -rf "$dir"
			exit 3
		fi
	done
	{
		make -C "$src" -s "${kmake[@]}" tinyconfig
		"$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" "$ROOT/$frag"
		make -C "$src" -s "${kmake[@]}" olddefconfig
	} >"$dir/config.log" 2>&1
	# every line of the fragment must have survived olddefconfig: a dependency we missed
	# would otherwise silently drop tracing or SMP
	missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$frag" | while read -r l; do
		grep -qx "$l" "$src/.config" || echo "$l"; done)
	if [ -n "$missing" ]; then
		log "config lines dropped by olddefconfig: $(echo $missing)"
		exit 1
	fi
	touch "$dir/.configured"
fi
# the key covers every input, so a tree that finished building once is done: make's no-op walk
# of it took 38-53 s (TLBSTAT_VM_REBUILD=1 runs make anyway, after editing the cached tree)
if [ -f "$dir/.built" ] && [ -f "$img" ] && [ -z "${TLBSTAT_VM_REBUILD:-}" ]; then
	log "$arch $target cached in $dir (key $key)"
	echo "$img"
	exit 0
fi
log "make -j$JOBS $target modules in $src ($arch)"
start=$(date +%s)
# modules: there are none in tinyconfig, but it writes Module.symvers, which the probe's
# out-of-tree build against this tree needs
if ! make -C "$src" -s "${kmake[@]}" -j"$JOBS" $target modules >"$dir/build.log" 2>&1; then
	tail -20 "$dir/build.log" >&2
	log "build failed; full log in $dir/build.log"
	exit 1
fi
log "$target ready in $(( $(date +%s) - start )) s"
touch "$dir/.built"
echo "$img"
