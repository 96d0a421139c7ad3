#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installed like a real tool (issue 15): `make install` into a DESTDIR, then from there: -V,
# `perf tlb stat -a -- true`, every man page under `man -l`, the completion script (bash -n and
# real completions), `tlbstat help record` with and without man; `make deb` installs with
# dpkg -i and removes with dpkg -r leaving no file behind.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

# Packaging, man pages (asciidoctor) and completion do not change with the sanitizer build: the
# plain suite checks them (make install O=build-san would build every man page again, ~40 s).
if sanitized; then
	skip "install, man pages, completion and the .deb: checked with the plain build"
	finish; exit
fi
dest=$(mktemp -d)
deb_installed=""
cleanup() {
	# never leave the package installed: the suite runs build/tlbstat, not /usr/bin/tlbstat
	[ -n "$deb_installed" ] && dpkg -P tlbstat >/dev/null 2>&1
	rm -rf "$dest"
}
trap cleanup EXIT

if make -s --no-print-directory install DESTDIR="$dest" O="$O" >"$dest.log" 2>&1; then
	ok "make install DESTDIR=... O=$O"
else
	not_ok "make install failed: $(tail -5 "$dest.log")"
	rm -f "$dest.log"
	finish
	exit
fi
rm -f "$dest.log"
p=$dest/usr/local
bin=$p/bin

for f in bin/tlbstat bin/tlbbench bin/perf-tlb share/man/man1/tlbstat.1 share/man/man1/perf-tlb.1 \
	 share/bash-completion/completions/tlbstat share/bash-completion/completions/perf-tlb \
	 share/doc/tlbstat/README.md share/doc/tlbstat/LICENSE share/doc/tlbstat/runbook.md; do
	check "installed: \$PREFIX/$f" test -e "$p/$f"
done
check "perf-tlb links to tlbstat" test "$(readlink "$bin/perf-tlb")" = tlbstat
unit=$p/lib/systemd/system/tlbstat-exporter.service
check "installed: the exporter's systemd unit, starting \$PREFIX/bin/tlbstat exporter" \
	grep -q '^ExecStart=/usr/local/bin/tlbstat exporter ' "$unit"
for f in Documentation/fleet/*; do
	case $f in *.service) continue ;; esac
	check "installed: \$PREFIX/share/doc/tlbstat/fleet/${f##*/}" cmp -s "$f" "$p/share/doc/tlbstat/fleet/${f##*/}"
done

# ---- the installed report points to the installed runbook (found from the binary's place)
if [ "$(id -u)" = 0 ] && [ -r /sys/kernel/tracing/events/tlb/tlb_flush/format ]; then
	"$bin/tlbstat" record -q -g -o "$dest/g.data" -- "$bin/tlbbench" mmap --ops 200 \
		--probe-threads 0 >/dev/null 2>&1
	line=$("$bin/tlbstat" report -i "$dest/g.data" --sort cause 2>/dev/null | grep '^Top cause ')
	check "installed report --sort cause: '(installed as $p/share/doc/tlbstat/runbook.md)'" \
		eval '[[ $line == *"(installed as $p/share/doc/tlbstat/runbook.md)" ]]'
else
	skip "installed runbook pointer: needs root and tlb:tlb_flush"
fi

# ---- -V, --version
v=$("$bin/tlbstat" -V)
check "tlbstat -V: '$v'" grep -qE '^tlbstat version [^ ]+$' <<<"$v"
check "-V is --version" test "$v" = "$("$bin/tlbstat" --version)"

# ---- perf tlb: perf runs perf-tlb from PATH with the same arguments
if command -v perf >/dev/null; then
	out=$(PATH=$bin:$PATH perf tlb stat -a -- true 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && grep -q 'Performance counter stats' <<<"$out"; then
		ok "perf tlb stat -a -- true runs tlbstat stat"
	else
		not_ok "perf tlb stat -a -- true: exit $rc: $(head -c 300 <<<"$out")"
	fi
	out=$(PATH=$bin:$PATH perf tlb 2>&1)
	check "perf tlb alone: usage says 'perf tlb'" grep -q 'usage: perf tlb ' <<<"$out"
else
	skip "perf not installed (linux-perf): perf tlb not tested"
	skip "perf not installed"
fi

# ---- man pages: each renders, with the sections a man page has
npages=0
for m in "$p"/share/man/man1/tlbstat*.1; do
	[ -e "$m" ] || continue
	npages=$((npages + 1))
	name=$(basename "$m" .1)
	out=$(MANWIDTH=80 MANPAGER=cat PAGER=cat man -l "$m" 2>&1)
	rc=$?
	missing=""
	for sec in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" "SEE ALSO"; do
		grep -q "^$sec\$" <<<"$out" || missing="$missing $sec"
	done
	if [ $rc -eq 0 ] && [ -z "$missing" ] && grep -qi "^ *$name - " <<<"$out"; then
		ok "man -l $name.1 renders NAME ... SEE ALSO"
	else
		not_ok "man -l $name.1: exit $rc, missing:${missing:- (none)}, $(head -c 200 <<<"$out")"
	fi
done
check "a man page per Documentation/tlbstat*.txt ($npages)" \
	test "$npages" -eq "$(ls Documentation/tlbstat*.txt | wc -l)"

# ---- completion: the installed script, under bash -n, then real completions in a fresh bash
comp=$p/share/bash-completion/completions/tlbstat
check "completion script: bash -n" bash -n "$comp"
# complete WORDS...: COMPREPLY after completing the last word, one line, sorted
complete_words() {
	PATH=$bin:$PATH bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		_tlbstat; printf "%s\n" "${COMPREPLY[@]}" | sort | paste -sd" "' _ "$comp" "$@"
}
got=$(complete_words tlbstat rec)
check "complete 'tlbstat rec' -> '$got'" test "$got" = record
got=$(complete_words tlbstat t)
check "complete 'tlbstat t' -> '$got'" test "$got" = "top transport"
got=$(complete_words tlbstat record --mm)
check "complete 'tlbstat record --mm' -> '$got'" test "$got" = --mmap-pages
got=$(complete_words perf-tlb stat -)
check "complete 'perf-tlb stat -' offers stat's table (--all-cpus, -I)" \
	grep -qE -- '(^| )--all-cpus( |$).*(^| )-I( |$)' <<<"$got"
got=$(complete_words tlbstat record -e tlb,cs)
check "complete 'record -e tlb,cs' -> '$got'" grep -qE '(^| )tlb,csd( |$)' <<<"$got"
got=$(complete_words tlbstat help rep)
check "complete 'tlbstat help rep' -> '$got'" test "$got" = report
# bash-completion's own loader finds it where make install put it ($PREFIX/share is on
# XDG_DATA_DIRS: /usr/local/share is by default), for tlbstat and for perf-tlb
bc=/usr/share/bash-completion/bash_completion
if [ -f "$bc" ]; then
	got=$(env -i HOME="$dest" PATH="$bin:/usr/bin:/bin" XDG_DATA_DIRS="$p/share:/usr/share" bash -c \
		'. "$1"; __load_completion tlbstat && __load_completion perf-tlb &&
		 complete -p tlbstat perf-tlb' _ "$bc" 2>&1 | paste -sd' ')
	check "bash-completion loads it from \$PREFIX/share: $got" \
		grep -q -- '-F _tlbstat tlbstat.*-F _tlbstat perf-tlb' <<<"$got"
else
	skip "bash-completion not installed"
fi
# one source of truth: every option the completion offers is one the command's --help shows
bad=""
for c in $("$bin/tlbstat" --list-cmds); do
	[ "$c" = help ] && continue
	h=$("$bin/tlbstat" "$c" --help)
	for o in $("$bin/tlbstat" "$c" --list-opts); do
		o=${o%=}
		case $o in --help|-h) continue ;; esac
		grep -qE -- "(^|[ ,])$o([ ,]|$)" <<<"$h" || bad="$bad $c:$o"
	done
done
check "every --list-opts option is in its command's --help${bad:+ (not:$bad)}" test -z "$bad"

# ---- tlbstat help CMD: the man page, or --help text where man is missing
out=$(PATH=$bin "$bin/tlbstat" help record 2>&1)
check "help record without man: record's --help text" grep -q 'usage: tlbstat record' <<<"$out"
if command -v man >/dev/null; then
	out=$(MANPATH=$p/share/man MANWIDTH=80 MANPAGER=cat PAGER=cat "$bin/tlbstat" help record 2>&1)
	check "help record with man: the page" grep -q 'TLBSTAT-RECORD(1)' <<<"$out"
else
	skip "man not installed"
fi

# ---- the .deb: builds, installs with dpkg -i, removes with dpkg -r, leaves no file
if [ "$(id -u)" != 0 ] || ! command -v dpkg-deb >/dev/null; then
	skip "not root or no dpkg-deb: .deb not tested"
elif sanitized; then
	skip "the .deb: packaging, tested with the plain build (make deb would rebuild everything with ASan)"
elif dpkg-query -W -f='${Status}' tlbstat 2>/dev/null | grep -q 'ok installed'; then
	skip "a tlbstat package is installed on this machine: not replaced by the test"
else
	deb=$(make -s --no-print-directory deb O="$O" 2>/dev/null | tail -1)
	check "make deb: $deb" test -f "$deb"
	# the libraries tlbstat loads with dlopen (lib/dynlib.h) are in no NEEDED list: mkdeb.sh
	# adds their packages from the sources' sonames
	dep=$(dpkg-deb -f "$deb" Depends 2>/dev/null)
	check "its Depends has the dlopen()ed libraries' packages (libdw1, libelf1, libncursesw6, libmicrohttpd12): $dep" \
		bash -c 'for p in libdw1 libelf1 libncursesw6 libmicrohttpd12 libcrypt1; do
			grep -qE "(^|, )$p( |,|$)" <<<"$1" || exit 1; done' _ "$dep"
	if [ -f "$deb" ] && dpkg -i "$deb" >/dev/null 2>&1; then
		deb_installed=1
		ok "dpkg -i $(basename "$deb")"
		files=$(dpkg -L tlbstat)
		v=$(/usr/bin/tlbstat -V 2>&1)
		check "from the package: /usr/bin/tlbstat -V: '$v'" grep -q '^tlbstat version ' <<<"$v"
		check "package has perf-tlb, man pages, completion, the exporter's unit" bash -c \
			'grep -qx /usr/bin/perf-tlb <<<"$1" && grep -qx /usr/share/man/man1/tlbstat-record.1.gz <<<"$1" &&
			 grep -qx /usr/share/bash-completion/completions/tlbstat <<<"$1" &&
			 grep -qx /usr/lib/systemd/system/tlbstat-exporter.service <<<"$1"' _ "$files"
		if command -v systemd-analyze >/dev/null; then
			out=$(systemd-analyze verify /usr/lib/systemd/system/tlbstat-exporter.service 2>&1)
			check "systemd-analyze verify on the packaged unit (ExecStart /usr/bin/tlbstat)${out:+: $out}" \
				eval '[ -z "$out" ] && grep -q "^ExecStart=/usr/bin/tlbstat exporter " /usr/lib/systemd/system/tlbstat-exporter.service'
		else
			skip "systemd-analyze missing: packaged unit not verified"
		fi
		if dpkg -r tlbstat >/dev/null 2>&1; then
			ok "dpkg -r tlbstat"
		else
			not_ok "dpkg -r tlbstat failed"
		fi
		left=""
		while read -r f; do
			[ -d "$f" ] && continue	# shared directories (/usr/bin) stay
			{ [ -e "$f" ] || [ -L "$f" ]; } && left="$left $f"
		done <<<"$files"
		check "no file left after dpkg -r${left:+:$left}" test -z "$left"
		check "its own directory gone (/usr/share/doc/tlbstat)" test ! -e /usr/share/doc/tlbstat
		dpkg -P tlbstat >/dev/null 2>&1
		deb_installed=""
	else
		not_ok "dpkg -i $deb failed"
	fi
fi
finish
