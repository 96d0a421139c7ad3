#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make deb`: a .deb of tlbstat from a DESTDIR staging tree (make install PREFIX=/usr), built
# with dpkg-deb. Version: git describe made Debian-valid; Architecture: dpkg --print-architecture;
# Depends: the packages of the shared libraries the binaries link (dpkg-shlibdeps, or dpkg -S on
# ldd's list where dpkg-shlibdeps is missing), and of those tlbstat loads with dlopen
# (lib/dynlib.h). Maintainer scripts: packaging/deb/<name> if any.
#
# Environment: O (build folder, default build), MAKE. Prints the .deb's path on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
MAKE=${MAKE:-make}

# Debian versions start with a digit and allow [A-Za-z0-9.+~-]: v1.2-3-gabc -> 1.2+3.gabc; a
# tree without tags -> 0.0+git<commits>.<hash> (ordered by commit count); -dirty -> +dirty.
deb_version() {
	local d n h
	if d=$(git describe --tags --dirty 2>/dev/null); then
		d=${d#v}
		d=$(printf '%s' "$d" | sed -E 's/-([0-9]+)-g([0-9a-f]+)/+\1.g\2/; s/-dirty$/+dirty/; s/[^A-Za-z0-9.+~]/./g')
		[[ $d == [0-9]* ]] || d=0.0+$d
		printf '%s' "$d"
		return
	fi
	n=$(git rev-list --count HEAD 2>/dev/null || echo 0)
	h=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	d=0.0+git$n.$h
	git diff --quiet HEAD 2>/dev/null || d=$d+dirty
	printf '%s' "$d"
}

# "libc6 (>= 2.34), libtraceevent1 (>= 1:1.5)": dpkg-shlibdeps where it exists
deb_depends() {
	local stage=$1 tmp out
	shift
	if command -v dpkg-shlibdeps >/dev/null; then
		tmp=$(mktemp -d)
		mkdir "$tmp/debian"
		printf 'Source: tlbstat\n\nPackage: tlbstat\nArchitecture: any\n' >"$tmp/debian/control"
		out=$(cd "$tmp" && dpkg-shlibdeps -O "${@/#/$stage/usr/bin/}" 2>/dev/null) || out=""
		rm -rf "$tmp"
		if [[ $out == shlibs:Depends=* ]]; then
			printf '%s' "${out#shlibs:Depends=}"
			return
		fi
	fi
	# computed: the package owning each library ldd resolves (dpkg -S), unversioned
	for b in "$@"; do ldd "$stage/usr/bin/$b"; done | awk '/=> \//{print $3}' | sort -u |
		while read -r lib; do
			dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null
		done | cut -d: -f1 | sort -u | paste -sd, | sed 's/,/, /g'
}

ver=$(deb_version)
arch=$(dpkg --print-architecture)
case $O in /*) obase=$O ;; *) obase=$PWD/$O ;; esac
stage=$obase/deb/tlbstat_${ver}_$arch
rm -rf "$stage"
"$MAKE" -s install DESTDIR="$stage" PREFIX=/usr O="$O" >&2
# Debian's layout: man pages compressed, the copyright file where dpkg and users look for it
gzip -9n "$stage"/usr/share/man/man1/tlbstat*.1
ln -sf tlbstat.1.gz "$stage/usr/share/man/man1/perf-tlb.1.gz"
rm -f "$stage/usr/share/man/man1/perf-tlb.1"
cp LICENSE "$stage/usr/share/doc/tlbstat/copyright"

bins=$(cd "$stage/usr/bin" && find . -type f -printf '%f\n' | sort)
# shellcheck disable=SC2086
deps=$(deb_depends "$stage" $bins)
# The libraries tlbstat loads with dlopen at first use (lib/dynlib.h) are in no binary's NEEDED
# list, so neither tool above sees them: their sonames are read from the sources (each
# DYNLIB_LIB("soname", ...) line), and each one's package is found by the library's file
# (libdw.so.1: libdw1, libmicrohttpd.so.12: libmicrohttpd12 on Debian 12). A soname this machine
# lacks (a feature the build has not) adds nothing.
case $arch in arm64) ldarch=AArch64 ;; *) ldarch=x86-64 ;; esac
for so in $(grep -rhoE 'DYNLIB_LIB\("[^"]+"' tlbstat | cut -d'"' -f2 | sort -u); do
	# awk reads to the end: an early exit would kill ldconfig with SIGPIPE (exit 141 here, under
	# pipefail, for a soname listed early such as libstdc++.so.6)
	lib=$(ldconfig -p | awk -v so="$so" -v a="$ldarch" '!lib && $1 == so && index($0, a) {lib = $NF}
		END {print lib}')
	[ -n "$lib" ] || continue
	# dpkg knows the file under the path its package installed (/lib or /usr/lib, merged or not)
	real=$(readlink -f "$lib")
	pkg=$({ dpkg -S "$real" || dpkg -S "$(dirname "$lib")/$(basename "$real")" ||
		dpkg -S "$lib"; } 2>/dev/null | cut -d: -f1 | head -1) || true
	[ -n "$pkg" ] || continue
	# already there (dpkg-shlibdeps' "pkg (>= v)" or the computed list's "pkg")?
	grep -qE "(^|, )$pkg( |,|$)" <<<"$deps" || deps=${deps:+$deps, }$pkg
done
size=$(du -sk "$stage/usr" | cut -f1)
mkdir -p "$stage/DEBIAN"
{
	echo "Package: tlbstat"
	echo "Version: $ver"
	echo "Architecture: $arch"
	echo "Maintainer: tlbstat developers <tlbstat@localhost>"
	echo "Installed-Size: $size"
	[ -n "$deps" ] && echo "Depends: $deps"
	echo "Recommends: linux-perf, man-db, bash-completion"
	echo "Section: devel"
	echo "Priority: optional"
	echo "Description: TLB invalidation (shootdown) activity, observable and attributable"
	echo " tlbstat counts TLB invalidations from the kernel's tracepoints (stat), records"
	echo " them into perf.data files (record), attributes them to processes and CPUs"
	echo " (report), shows them live (top), says how remote flushes are delivered"
	echo " (transport) and serves them to Prometheus (exporter, with a systemd unit that"
	echo " is installed but not enabled). Also runs as 'perf tlb'."
} >"$stage/DEBIAN/control"
for s in preinst postinst prerm postrm conffiles; do
	[ -f "packaging/deb/$s" ] && install -m 0755 "packaging/deb/$s" "$stage/DEBIAN/$s"
done
[ -f "$stage/DEBIAN/conffiles" ] && chmod 0644 "$stage/DEBIAN/conffiles"
deb=$O/tlbstat_${ver}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >&2
printf '%s\n' "$deb"
