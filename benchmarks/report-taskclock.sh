#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Plain `tlbstat report` beside `perf report --stdio` in CPU time measured by the kernel
# (`perf stat -e task-clock`, microsecond resolution, where /usr/bin/time's CPU comes in 10 ms
# steps: the measure for files of a few hundred thousand samples, reports of 20-100 ms):
#   benchmarks/report-taskclock.sh [--rounds N] [--base BIN] [--args "REPORT ARGS"] FILE...
# N interleaved rounds (default 21): in each, BASE's report (with --base), tlbstat's (TLBSTAT,
# default build/tlbstat) and perf's, one after the other, so load from other work falls on all
# alike. Per file: median / p25 / min task-clock (ms) of each, and the median of the rounds' own
# ratios perf/tlbstat (and perf/base). REPORT ARGS default to "--sort comm" (perf gets --stdio
# besides).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
rounds=21 base="" args="--sort comm"
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) rounds=$2; shift 2 ;;
	--base) base=$2; shift 2 ;;
	--args) args=$2; shift 2 ;;
	-h|--help) sed -n '3,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "$BENCH: unknown argument $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || { sed -n '3,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
need_built "$TLBSTAT" ${base:+"$base"}
need_perf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# task-clock (ms) of one command, its output thrown away
tc() { perf stat -x, -e task-clock "$@" 2>&1 >/dev/null | awk -F, '/task-clock/ { print $1 }'; }
# median / p25 / min of a file of numbers; med: the median alone
st() { sort -n "$1" | awk '{ a[NR] = $1 } END { printf "%.1f / %.1f / %.1f", a[int((NR + 1) / 2)], a[int((NR + 3) / 4)], a[1] }'; }
med() { sort -n "$1" | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] }'; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| file | ${base:+base (ms) | }tlbstat (ms) | perf (ms) | perf / tlbstat |${base:+ perf / base |}"
echo "|---|${base:+---|}---|---|---|${base:+---|}"
for f in "$@"; do
	: >"$tmp/b"; : >"$tmp/t"; : >"$tmp/p"; : >"$tmp/rt"; : >"$tmp/rb"
	for _ in $(seq "$rounds"); do
		# shellcheck disable=SC2086  # args: words on purpose
		[ -z "$base" ] || tc "$base" report -i "$f" $args >>"$tmp/b"
		# shellcheck disable=SC2086
		tc "$TLBSTAT" report -i "$f" $args >>"$tmp/t"
		# shellcheck disable=SC2086
		tc perf report -i "$f" --stdio $args >>"$tmp/p"
		p=$(tail -1 "$tmp/p")
		awk -v p="$p" -v t="$(tail -1 "$tmp/t")" 'BEGIN { print p / t }' >>"$tmp/rt"
		[ -z "$base" ] || awk -v p="$p" -v t="$(tail -1 "$tmp/b")" 'BEGIN { print p / t }' >>"$tmp/rb"
	done
	echo "| $(basename "$f") | ${base:+$(st "$tmp/b") | }$(st "$tmp/t") | $(st "$tmp/p") | $(med "$tmp/rt")x |${base:+ $(med "$tmp/rb")x |}"
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds, task-clock median / p25 / min"
