#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The kernel lab's guest: boot a kernel under QEMU (TCG: inside it, remote TLB flushes are real
# IPIs on any host) with a BusyBox initramfs holding tlbstat, tlbbench and the libraries they
# link, run a churn under `tlbstat stat --json` and `tlbstat record` + `report --json`, and check
# the console's results on the host (vm/check_console.py).
#
#   vm/run_qemu.sh [--smoke]     Debian's stock 6.1 kernel (the linux-image-amd64 dependency,
#                                unpacked, never installed) and the LAB-ONLY probe module
#                                (probes/x86, vm/build_probe.sh); the CI check, 5 minutes at most
#   vm/run_qemu.sh --shell       the same guest, interactive (serial console on this terminal)
#   vm/run_qemu.sh --patched     a kernel built from linux-source-6.1 + patches/ (vm/build_kernel.sh,
#                                cached); the check then also wants the patches' events
# Options: --ops N (munmaps per churn, default 5000), --timeout S (the guest's wall limit,
# default 240), -h.
# Environment: O (build dir, default build), TLBSTAT_VM_CACHE (default /var/cache/tlbstat-vm:
# kernels, outside the clone), QEMU (default qemu-system-x86_64).
# Exit codes: 0 every step passed, 1 a step failed or the guest did not finish, 2 usage,
# 3 environment (no qemu, no busybox-static, no kernel package, tlbstat not built).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
O=${O:-build}
CACHE=${TLBSTAT_VM_CACHE:-/var/cache/tlbstat-vm}
QEMU=${QEMU:-qemu-system-x86_64}
WORK=$ROOT/vm/work
mode=smoke kernel=stock ops=5000 limit=240

usage() { sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "run_qemu: $2" >&2; exit "$1"; }
log() { echo "run_qemu: [$(( $(date +%s) - t0 )) s] $*" >&2; }
t0=$(date +%s)

while [ $# -gt 0 ]; do
	case $1 in
	--smoke) mode=smoke ;;
	--shell) mode=shell ;;
	--patched) kernel=patched ;;
	--ops) ops=${2:?}; shift ;;
	--timeout) limit=${2:?}; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "run_qemu: unknown option '$1' (see -h)" >&2; exit 2 ;;
	esac
	shift
done
case $ops$limit in *[!0-9]*) die 2 "--ops and --timeout take whole numbers" ;; esac

command -v "$QEMU" >/dev/null ||
	die 3 "$QEMU not found (apt-get install qemu-system-x86, or scripts/install-deps.sh)"
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ] || ! file -L "$BUSYBOX" | grep -q 'statically linked'; then
	die 3 "no static busybox (apt-get install busybox-static)"
fi
for b in tlbstat tlbbench; do
	[ -x "$O/$b" ] || die 3 "$O/$b not built (make)"
done

# stock_kernel: print the path of Debian's current 6.1 vmlinuz, downloading and unpacking the
# package into the cache, keyed by package and version, when it is not there yet
stock_kernel() {
	local pkg ver dir
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-/ {print $2; exit}')
	[ -n "$pkg" ] || die 3 "apt-cache knows no linux-image-amd64 (apt-get update?)"
	ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | awk '/^Version:/ {print $2; exit}')
	dir=$CACHE/stock/${pkg}_$ver
	if [ ! -f "$dir/.unpacked" ]; then
		log "downloading $pkg $ver into $dir"
		mkdir -p "$dir"
		# -o APT::Sandbox::User=root: _apt cannot write the cache directory
		(cd "$dir" && timeout 300 apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) ||
			die 3 "apt-get download $pkg failed (network, or apt-get update)"
		dpkg-deb -x "$dir"/"$pkg"_*.deb "$dir/root" || die 3 "dpkg-deb -x failed"
		rm -f "$dir"/*.deb
		touch "$dir/.unpacked"
	fi
	ls "$dir"/root/boot/vmlinuz-* 2>/dev/null | head -1 | grep . ||
		die 3 "no vmlinuz in $pkg $ver"
}

# copy_with_libs BIN: BIN into /lab, and every library ldd names at its own path
copy_with_libs() {
	local lib
	cp "$1" "$WORK/root/lab/"
	for lib in $(ldd "$1" | grep -o '/[^ ]*'); do
		mkdir -p "$WORK/root$(dirname "$lib")"
		cp -L "$lib" "$WORK/root$lib"
	done
}

build_initramfs() {
	rm -rf "$WORK/root"
	mkdir -p "$WORK"/root/{bin,sbin,lab,proc,sys,dev,tmp,etc}
	cp "$BUSYBOX" "$WORK/root/bin/busybox"
	cp vm/guest-init.sh "$WORK/root/init"
	chmod 755 "$WORK/root/init"
	copy_with_libs "$O/tlbstat"
	copy_with_libs "$O/tlbbench"
	[ -z "$probe_ko" ] || cp "$probe_ko" "$WORK/root/lab/"
	(cd "$WORK/root" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null) | gzip -1 >"$WORK/initrd.gz"
	log "initramfs $(du -h "$WORK/initrd.gz" | cut -f1)"
}

if [ $kernel = patched ]; then
	log "building (or reusing) the patched kernel"
	vmlinuz=$(vm/build_kernel.sh) || exit $?
	# the tree the bzImage came out of: .../linux-source-6.1/arch/x86/boot/bzImage
	probe_ko=$(vm/build_probe.sh --kdir "${vmlinuz%/arch/x86/boot/bzImage}") || exit $?
else
	vmlinuz=$(stock_kernel)
	# .../stock/<package>_<version>/root/boot/vmlinuz-*: the probe builds against its headers
	pv=$(basename "$(dirname "$(dirname "$(dirname "$vmlinuz")")")")
	probe_ko=$(vm/build_probe.sh "${pv%%_*}" "${pv#*_}") || exit $?
fi
log "probe module $probe_ko"
log "kernel $vmlinuz"
build_initramfs

qemu=("$QEMU" -accel tcg -cpu max -smp 2 -m 1024 -nographic -no-reboot
      -kernel "$vmlinuz" -initrd "$WORK/initrd.gz")
cmdline="console=ttyS0 panic=-1 loglevel=3 tlblab.mode=$mode tlblab.ops=$ops"
if [ $mode = shell ]; then
	exec "${qemu[@]}" -append "$cmdline"
fi
console=$WORK/console-$kernel.log
log "booting ($kernel kernel, TCG, 2 CPUs; at most $limit s; console in $console)"
set +e
timeout --foreground -k 5 "$limit" "${qemu[@]}" -append "$cmdline" </dev/null >"$console" 2>&1
rc=$?
set -e
[ $rc = 124 ] && log "the guest ran past $limit s; killed"
log "guest done (qemu exit $rc)"
python3 vm/check_console.py --kernel "$kernel" --ops "$ops" "$console"
