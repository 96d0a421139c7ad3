#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the patched kernel for `vm/run_qemu.sh --patched`: Debian's linux-source-6.1 tarball,
# patches/*.patch applied, tinyconfig plus vm/kernel.config. The tree lives OUTSIDE the clone,
# in $TLBSTAT_VM_CACHE/kbuild/<key>, where the key hashes the source package version, the config
# fragment and the patches: a new key builds afresh (about 8 minutes on 2 cores), the same key
# reuses the tree (make is then a no-op). Prints the bzImage's path on stdout.
#
# Exit codes: 0 built, 1 build failed, 3 environment (no linux-source-6.1, patches do not apply).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=${TLBSTAT_VM_CACHE:-/var/cache/tlbstat-vm}
TARBALL=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
JOBS=${JOBS:-$(nproc)}
log() { echo "build_kernel: $*" >&2; }

if [ ! -f "$TARBALL" ]; then
	log "$TARBALL not found (apt-get install linux-source-6.1, or scripts/install-deps.sh)"
	exit 3
fi
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || stat -c %Y "$TARBALL")
key=$( { echo "$ver"; cat vm/kernel.config patches/*.patch; } | sha256sum | cut -c1-16)
dir=$CACHE/kbuild/$key
src=$dir/linux-source-6.1
img=$src/arch/x86/boot/bzImage

if [ ! -f "$dir/.configured" ]; then
	log "new tree $dir (linux-source-6.1 $ver, config and patches hashed to $key)"
	rm -rf "$dir"
	mkdir -p "$dir"
	tar -C "$dir" -xf "$TARBALL"
	for p in patches/*.patch; do
		if ! patch -d "$src" -p1 -s --forward <"$p" >&2; then
			log "$p does not apply to linux-source-6.1 $ver (run scripts/check-patches.sh)"
			rm -rf "$dir"
			exit 3
		fi
	done
	{
		make -C "$src" -s ARCH=x86_64 tinyconfig
		"$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" \
			"$ROOT/vm/kernel.config"
		make -C "$src" -s ARCH=x86_64 olddefconfig
	} >"$dir/config.log" 2>&1
	# every line of the fragment must have survived olddefconfig: a dependency we missed
	# would otherwise silently drop tracing or SMP
	missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' vm/kernel.config | while read -r l; do
		grep -qx "$l" "$src/.config" || echo "$l"; done)
	if [ -n "$missing" ]; then
		log "config lines dropped by olddefconfig: $(echo $missing)"
		exit 1
	fi
	touch "$dir/.configured"
fi
log "make -j$JOBS bzImage modules in $src"
start=$(date +%s)
# modules: there are none in tinyconfig, but it writes Module.symvers, which the probe's
# out-of-tree build against this tree needs
if ! make -C "$src" -s ARCH=x86_64 -j"$JOBS" bzImage modules >"$dir/build.log" 2>&1; then
	tail -20 "$dir/build.log" >&2
	log "build failed; full log in $dir/build.log"
	exit 1
fi
log "bzImage ready in $(( $(date +%s) - start )) s"
echo "$img"
