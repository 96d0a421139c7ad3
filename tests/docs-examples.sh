#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every command line shown in README.md and Documentation/*.txt|md runs (root, tracefs,
# perf_event). A command line is an indented line "    # CMD" or "    $ CMD" (a continuation
# line ending in "\" takes the next line with it) whose first word is a program this project
# ships or uses: tlbstat, tlbbench (also as build/ or ./build/), perf, ./run_experiment.sh, or a
# variable assignment (VAR=...). Output lines that start with "#" ("# tlbstat report: F",
# "# duration ...") are not commands: their first word is no program, or "tlbstat <word>:".
# The lines of one file run in order in one shell, in a scratch directory with build/ linked
# and build/ first on PATH, so that a file written by one example is read by the next; each
# must exit 0. An example naming a program nobody ships fails. ./run_experiment.sh runs from
# the checkout with --out in the scratch directory (not out/). Examples are kept short.
. "$(dirname "$0")/lib.sh"
root=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -x "$TLBSTAT" ] || [ ! -x "$TLBBENCH" ]; then
	skip "tlbstat or tlbbench not built ($TLBSTAT, $TLBBENCH)"; finish; exit
fi
if [ "$(id -u)" != 0 ]; then skip "needs root"; finish; exit; fi
bin=$(cd "$(dirname "$TLBSTAT")" && pwd)

# extract FILE: "LINE<TAB>COMMAND" per example, continuation lines joined
extract() {
	"$PY" - "$1" <<'PY'
import re, sys
progs = re.compile(r'^(tlbstat|tlbbench|perf|(\./)?build/tlb(stat|bench)|\./run_experiment\.sh|[A-Za-z_][A-Za-z0-9_]*=\S*)(\s|$)')
lines = open(sys.argv[1]).read().split("\n")
i = 0
while i < len(lines):
	m = re.match(r'^    [#$] (.*)$', lines[i])
	start = i + 1
	i += 1
	if not m:
		continue
	cmd = m.group(1)
	# "tlbstat report: F" (report's first line), "perf version : x" (a header's lines)
	if not progs.match(cmd) or re.match(r'^tlbstat \S+:', cmd) or re.match(r'^[\w ]+ : ', cmd):
		continue
	while cmd.endswith("\\") and i < len(lines):
		cmd = cmd[:-1] + " " + lines[i].strip()
		i += 1
	print(f"{start}\t{cmd}")
PY
}

run_file() {   # FILE: its examples, in order, in one shell
	local f=$1 n=0 line cmd rc
	mkdir -p "$tmp/run" && cd "$tmp/run" || return
	ln -sfn "$root/build" build
	while IFS=$'\t' read -r line cmd; do
		n=$((n + 1))
		case $cmd in
		perf\ *) if ! command -v perf >/dev/null; then skip "$f:$line: perf not installed"; continue; fi ;;
		./run_experiment.sh*)
			if sanitized; then
				skip "$f:$line: the experiment runs in the plain suite (its tlbstat parts run under ASan in html.sh, record-sample.sh)"
				continue
			fi
			cmd="(cd '$root' && $cmd --out '$tmp/experiment')" ;;
		esac
		PATH="$bin:$PATH" eval "$cmd" >"$tmp/out" 2>&1 </dev/null
		rc=$?
		if [ $rc -eq 0 ]; then ok "$f:$line: $cmd"
		else not_ok "$f:$line: exit $rc: $cmd: $(tail -c 300 "$tmp/out" | tr '\n' '|')"; fi
	done < <(extract "$root/$f")
	cd "$root" || exit 1
	rm -rf "$tmp/run"
	[ $n -gt 0 ] || echo "# $f: no examples"
}

for f in README.md Documentation/*.txt Documentation/*.md; do
	run_file "$f"
done
finish
