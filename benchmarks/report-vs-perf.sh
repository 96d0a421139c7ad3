#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Plain `tlbstat report` beside `perf report --stdio --sort comm` on the same files, in interleaved
# pairs (each pair runs tlbstat then perf, so load from other work falls on both alike):
#   benchmarks/report-vs-perf.sh [--pairs N] [--tlbstat BIN] [--args "REPORT ARGS"] FILE...
# For each file: median wall seconds of each reader over N pairs (default 7), median of the
# per-pair ratios perf/tlbstat, peak RSS of each (MiB, median), samples; one Markdown row per file.
# The load average is printed before and after (this machine is shared: say it with the figures).
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=7 bin=${O:-build}/tlbstat args="--sort comm"
while [ $# -gt 0 ]; do
	case $1 in
	--pairs) pairs=$2; shift 2 ;;
	--tlbstat) bin=$2; shift 2 ;;
	--args) args=$2; shift 2 ;;
	-*) echo "report-vs-perf.sh: unknown argument $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || { sed -n '3,7p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ -x /usr/bin/time ] || { echo "report-vs-perf.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 3; }
PY=${PY:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3 )}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# one run: "wall_s rss_kib"
one() {
	local t0 t1
	t0=$(date +%s%N)
	/usr/bin/time -f '%M' -o "$tmp/t" "$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo "$(( (t1 - t0) / 1000 ))e-6 $(cat "$tmp/t")"
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| file | MB | samples | tlbstat (s) | perf (s) | ratio (median of pairs) | RSS tlbstat / perf (MiB) |"
echo "|---|---|---|---|---|---|---|"
for f in "$@"; do
	n=$("$bin" report -i "$f" --json 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["samples"])')
	: > "$tmp/rows"
	# shellcheck disable=SC2086
	for _ in $(seq 1 "$pairs"); do
		echo "$(one "$bin" report -i "$f" $args) $(one perf report -i "$f" --stdio --sort comm)" >> "$tmp/rows"
	done
	"$PY" - "$tmp/rows" "$f" "$n" "$(stat -c %s "$f")" <<'PYEOF'
import statistics as st, sys, os
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
t = st.median(r[0] for r in rows); p = st.median(r[2] for r in rows)
ratio = st.median(r[2] / r[0] for r in rows)
rt = st.median(r[1] for r in rows) / 1024; rp = st.median(r[3] for r in rows) / 1024
print(f"| {os.path.basename(sys.argv[2])} | {int(sys.argv[4]) / 1e6:.1f} | {int(sys.argv[3]):,} | "
      f"{t:.3f} | {p:.3f} | {ratio:.2f}x | {rt:.0f} / {rp:.0f} |")
PYEOF
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
