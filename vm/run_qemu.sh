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
#   --arch arm64                 the same guests on arm64 (qemu-system-aarch64 -M virt, TCG):
#                                Debian's linux-image-arm64 kernel, busybox-static:arm64, the
#                                cross-built tlbstat and tlbbench of $O (default build-arm64) with
#                                their :arm64 libraries, and probes/arm64 (TLBI timings)
# Options: --ops N (munmaps per churn, default 5000), --timeout S (the guest's wall limit,
# default 240), -h.
# Environment: O (build dir, default build; build-arm64 for arm64), TLBSTAT_VM_CACHE (default
# /var/cache/tlbstat-vm: kernels, outside the clone), QEMU (default qemu-system-x86_64, or
# qemu-system-aarch64 for arm64).
# Exit codes: 0 every step passed, 1 a step failed or the guest did not finish, 2 usage,
# 3 environment (no qemu, no busybox-static, no kernel package, tlbstat not built).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=${TLBSTAT_VM_CACHE:-/var/cache/tlbstat-vm}
WORK=$ROOT/vm/work
mode=smoke kernel=stock ops=5000 limit=240 arch=x86

usage() { sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "run_qemu: $2" >&2; exit "$1"; }
log() { echo "run_qemu: [$(( $(date +%s) - t0 )) s] $*" >&2; }
t0=$(date +%s)

while [ $# -gt 0 ]; do
	case $1 in
	--smoke) mode=smoke ;;
	--shell) mode=shell ;;
	--patched) kernel=patched ;;
	--arch)
		case ${2:-} in
		x86|x86_64|amd64) arch=x86 ;;
		arm64|aarch64) arch=arm64 ;;
		*) echo "run_qemu: --arch takes x86 or arm64, not '${2:-}'" >&2; exit 2 ;;
		esac
		shift ;;
	--ops) ops=${2:?}; shift ;;
	--timeout) limit=${2:?}; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "run_qemu: unknown option '$1' (see -h)" >&2; exit 2 ;;
	esac
	shift
done
case $ops$limit in *[!0-9]*) die 2 "--ops and --timeout take whole numbers" ;; esac

if [ $arch = arm64 ]; then
	O=${O:-build-arm64}
	QEMU=${QEMU:-qemu-system-aarch64}
	qpkg=qemu-system-arm make_hint="make ARCH=arm64"
else
	O=${O:-build}
	QEMU=${QEMU:-qemu-system-x86_64}
	qpkg=qemu-system-x86 make_hint=make
fi
command -v "$QEMU" >/dev/null ||
	die 3 "$QEMU not found (apt-get install $qpkg, or scripts/install-deps.sh)"
# the host's static busybox writes the cpio archive (and is the x86 guest's busybox)
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ] || ! file -L "$BUSYBOX" | grep -q 'statically linked'; then
	die 3 "no static busybox (apt-get install busybox-static)"
fi
for b in tlbstat tlbbench; do
	[ -x "$O/$b" ] || die 3 "$O/$b not built ($make_hint)"
done
if [ $arch = arm64 ]; then
	command -v aarch64-linux-gnu-readelf >/dev/null ||
		die 3 "aarch64-linux-gnu-readelf not found (apt-get install binutils-aarch64-linux-gnu)"
	for b in tlbstat tlbbench; do
		file -L "$O/$b" | grep -q 'ARM aarch64' ||
			die 3 "$O/$b is not an arm64 binary ($make_hint)"
	done
fi

# unpack PKG VERSION DIR: apt-get download PKG (name[:arch]) and dpkg-deb -x it into DIR/root,
# once (DIR/.unpacked marks a finished one)
unpack() {
	[ -f "$3/.unpacked" ] && return 0
	log "downloading $1 $2 into $3"
	rm -rf "$3"
	mkdir -p "$3"
	# -o APT::Sandbox::User=root: _apt cannot write the cache directory
	(cd "$3" && timeout 300 apt-get download -q -o APT::Sandbox::User=root "$1=$2" >&2) ||
		die 3 "apt-get download $1 failed (network, or apt-get update$(
			[ $arch = arm64 ] && echo "; dpkg --add-architecture arm64 first"))"
	dpkg-deb -x "$3"/*.deb "$3/root" || die 3 "dpkg-deb -x $1 failed"
	rm -f "$3"/*.deb
	touch "$3/.unpacked"
}

# stock_kernel: print the path of Debian's current 6.1 vmlinuz (linux-image-amd64's or
# linux-image-arm64's dependency), downloading and unpacking the package into the cache, keyed
# by package and version, when it is not there yet
stock_kernel() {
	local meta pkg ver dir
	meta=linux-image-amd64
	[ $arch = arm64 ] && meta=linux-image-arm64:arm64
	pkg=$(apt-cache depends "$meta" 2>/dev/null |
		awk '/Depends: linux-image-/ {print $2; exit}')
	[ -n "$pkg" ] || die 3 "apt-cache knows no $meta (apt-get update?$(
		[ $arch = arm64 ] && echo " dpkg --add-architecture arm64?"))"
	ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | awk '/^Version:/ {print $2; exit}')
	dir=$CACHE/stock/${pkg%:*}_$ver
	unpack "$pkg" "$ver" "$dir"
	ls "$dir"/root/boot/vmlinuz-* 2>/dev/null | head -1 | grep . ||
		die 3 "no vmlinuz in $pkg $ver"
}

# guest_busybox: the busybox that runs in the guest: the host's on x86; busybox-static:arm64
# (downloaded and unpacked into the cache, by version) on arm64
guest_busybox() {
	local ver dir
	if [ $arch != arm64 ]; then
		echo "$BUSYBOX"
		return
	fi
	ver=$(apt-cache show --no-all-versions busybox-static:arm64 2>/dev/null |
		awk '/^Version:/ {print $2; exit}')
	[ -n "$ver" ] || die 3 "apt-cache knows no busybox-static:arm64 (dpkg --add-architecture arm64; apt-get update)"
	dir=$CACHE/busybox/arm64_$ver
	unpack busybox-static:arm64 "$ver" "$dir"
	file -L "$dir/root/bin/busybox" | grep -q 'ARM aarch64.*statically linked' ||
		die 3 "$dir/root/bin/busybox is not a static arm64 busybox"
	echo "$dir/root/bin/busybox"
}

# arm64_libs BIN: the paths of BIN's ELF interpreter and of every shared library it needs,
# transitively (the cross ldd: DT_NEEDED entries from aarch64-linux-gnu-readelf -d, looked up
# where Debian's multiarch :arm64 packages and the cross libc put them)
ARM64_LIBDIRS=(/lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/aarch64-linux-gnu/lib)
arm64_libs() {
	local todo=("$1") seen=" " f n d found interp
	interp=$(aarch64-linux-gnu-readelf -l "$1" | sed -n 's/.*interpreter: \(.*\)]/\1/p')
	[ -n "$interp" ] && echo "$interp"
	while [ ${#todo[@]} -gt 0 ]; do
		f=${todo[0]}
		todo=("${todo[@]:1}")
		for n in $(aarch64-linux-gnu-readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			case $seen in *" $n "*) continue ;; esac
			seen="$seen$n "
			found=
			for d in "${ARM64_LIBDIRS[@]}"; do
				if [ -e "$d/$n" ]; then found=$d/$n; break; fi
			done
			[ -n "$found" ] || die 3 "$n (needed by $(basename "$f")) not found in ${ARM64_LIBDIRS[*]}: install its :arm64 package (scripts/install-deps.sh)"
			echo "$found"
			todo+=("$found")
		done
	done
}

# copy_with_libs BIN: BIN into /lab, and every library it links at its own path (ldd on x86;
# the readelf walk on arm64, each library put in the guest's /lib/aarch64-linux-gnu, where its
# ld.so looks, and the interpreter at the path the binary names). The libraries tlbstat loads
# with dlopen at first use (lib/dynlib.h: libelf, libdw, ncurses...) are not copied: the guest
# runs stat, record without -g and plain report, which never load them.
copy_with_libs() {
	local lib dst libs
	cp "$1" "$WORK/root/lab/"
	if [ $arch = arm64 ]; then
		libs=$(arm64_libs "$1") || exit $?
		for lib in $libs; do
			case $lib in
			/lib/ld-linux-aarch64.so.1) dst=$lib
				[ -e "$lib" ] || lib=/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ;;
			*) dst=/lib/aarch64-linux-gnu/$(basename "$lib") ;;
			esac
			mkdir -p "$WORK/root$(dirname "$dst")"
			cp -L "$lib" "$WORK/root$dst"
		done
		return
	fi
	for lib in $(ldd "$1" | grep -o '/[^ ]*'); do
		mkdir -p "$WORK/root$(dirname "$lib")"
		cp -L "$lib" "$WORK/root$lib"
	done
}

build_initramfs() {
	rm -rf "$WORK/root"
	mkdir -p "$WORK"/root/{bin,sbin,lab,proc,sys,dev,tmp,etc}
	cp "$guest_bb" "$WORK/root/bin/busybox"
	cp vm/guest-init.sh "$WORK/root/init"
	chmod 755 "$WORK/root/init"
	copy_with_libs "$O/tlbstat"
	copy_with_libs "$O/tlbbench"
	[ -z "$probe_ko" ] || cp "$probe_ko" "$WORK/root/lab/"
	(cd "$WORK/root" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null) | gzip -1 >"$WORK/initrd.gz"
	log "initramfs $(du -h "$WORK/initrd.gz" | cut -f1)"
}

guest_bb=$(guest_busybox)
aargs=()
[ $arch = arm64 ] && aargs=(--arch arm64)
if [ $kernel = patched ]; then
	log "building (or reusing) the patched kernel"
	vmlinuz=$(vm/build_kernel.sh "${aargs[@]}") || exit $?
	case $arch:$vmlinuz in
	arm64:*/arch/arm64/boot/Image|x86:*/arch/x86/boot/bzImage) ;;
	*) die 3 "vm/build_kernel.sh ${aargs[*]} printed '$vmlinuz', not an $arch kernel image (does it take --arch arm64 yet?)" ;;
	esac
	# the tree the image came out of: .../linux-source-6.1/arch/{x86/boot/bzImage,arm64/boot/Image}
	probe_ko=$(vm/build_probe.sh "${aargs[@]}" --kdir "${vmlinuz%/arch/*/boot/*}") || exit $?
else
	vmlinuz=$(stock_kernel)
	# .../stock/<package>_<version>/root/boot/vmlinuz-*: the probe builds against its headers
	pv=$(basename "$(dirname "$(dirname "$(dirname "$vmlinuz")")")")
	probe_ko=$(vm/build_probe.sh "${aargs[@]}" "${pv%%_*}" "${pv#*_}") || exit $?
fi
log "probe module $probe_ko"
log "kernel $vmlinuz"
build_initramfs

if [ $arch = arm64 ]; then
	qemu=("$QEMU" -M virt -accel tcg -cpu max -smp 2 -m 1024 -nographic -no-reboot
	      -kernel "$vmlinuz" -initrd "$WORK/initrd.gz")
	tty=ttyAMA0
else
	qemu=("$QEMU" -accel tcg -cpu max -smp 2 -m 1024 -nographic -no-reboot
	      -kernel "$vmlinuz" -initrd "$WORK/initrd.gz")
	tty=ttyS0
fi
cmdline="console=$tty panic=-1 loglevel=3 tlblab.mode=$mode tlblab.ops=$ops"
if [ $mode = shell ]; then
	exec "${qemu[@]}" -append "$cmdline"
fi
console=$WORK/console-$kernel$([ $arch = arm64 ] && echo -arm64 || true).log
log "booting ($arch, $kernel kernel, TCG, 2 CPUs; at most $limit s; console in $console)"
set +e
timeout --foreground -k 5 "$limit" "${qemu[@]}" -append "$cmdline" </dev/null >"$console" 2>&1
rc=$?
set -e
[ $rc = 124 ] && log "the guest ran past $limit s; killed"
log "guest done (qemu exit $rc)"
python3 vm/check_console.py --arch "$arch" --kernel "$kernel" --ops "$ops" "$console"
