#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Plain `tlbstat report` beside `perf report --stdio --sort comm` on the same files, in interleaved
# runs (each round runs every reader once, so load from other work falls on all alike):
#   benchmarks/report-vs-perf.sh [--pairs N] [--tlbstat BIN] [--base BIN] [--args "REPORT ARGS"] FILE...
# For each file and reader: median wall seconds and CPU seconds (user + sys) over N rounds
# (default 7), the median of the per-round ratios perf/tlbstat (wall and CPU), peak RSS (MiB,
# median); --base adds an older tlbstat build to each round. One Markdown row per file and build.
# The load average is printed before and after (this machine is shared: say it with the figures).
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=7 bin=${O:-build}/tlbstat base="" args="--sort comm"
while [ $# -gt 0 ]; do
	case $1 in
	--pairs) pairs=$2; shift 2 ;;
	--tlbstat) bin=$2; shift 2 ;;
	--base) base=$2; shift 2 ;;
	--args) args=$2; shift 2 ;;
	-*) echo "report-vs-perf.sh: unknown argument $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || { sed -n '3,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ -x /usr/bin/time ] || { echo "report-vs-perf.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 3; }
PY=${PY:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3 )}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# one run: "wall_s cpu_s rss_kib"
one() {
	local t0 t1
	t0=$(date +%s%N)
	/usr/bin/time -f '%U %S %M' -o "$tmp/t" "$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	read -r u s m < "$tmp/t"
	echo "$(( (t1 - t0) / 1000 ))e-6 $("$PY" -c "print($u + $s)") $m"
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| file | MB | samples | build | tlbstat wall / CPU (s) | perf wall / CPU (s) | ratio wall | ratio CPU | RSS tlbstat / perf (MiB) |"
echo "|---|---|---|---|---|---|---|---|---|"
for f in "$@"; do
	n=$("$bin" report -i "$f" --json 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["samples"])')
	: > "$tmp/rows"
	for _ in $(seq 1 "$pairs"); do
		# shellcheck disable=SC2086
		row="$(one "$bin" report -i "$f" $args) $(one perf report -i "$f" --stdio --sort comm)"
		# shellcheck disable=SC2086
		[ -n "$base" ] && row="$row $(one "$base" report -i "$f" $args)"
		echo "$row" >> "$tmp/rows"
	done
	"$PY" - "$tmp/rows" "$f" "$n" "$(stat -c %s "$f")" <<'PYEOF'
import statistics as st, sys, os
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
name, n, size = os.path.basename(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]) / 1e6
pw, pc, pm = (st.median(r[3 + i] for r in rows) for i in range(3))
for label, o in (("new", 0), ("base", 6)):
    if len(rows[0]) <= o:
        continue
    w, c, m = (st.median(r[o + i] for r in rows) for i in range(3))
    rw = st.median(r[3] / r[o] for r in rows)
    rc = st.median(r[4] / max(r[o + 1], 0.005) for r in rows)
    print(f"| {name} | {size:.1f} | {n:,} | {label} | {w:.3f} / {c:.2f} | {pw:.3f} / {pc:.2f} | "
          f"{rw:.2f}x | {rc:.2f}x | {m / 1024:.0f} / {pm / 1024:.0f} |")
PYEOF
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
