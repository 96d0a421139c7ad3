#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Scrape latency of `tlbstat exporter --top 50 --interval 5` with N live processes (issue 18:
# P99 < 10 ms with 1,000 processes and K = 50): N `tlbbench mmap --rate 2 --probe-threads 0`
# (each a process that flushes twice a second), 12 s to settle, then SCRAPES rounds of two
# scrapes of /metrics 30 ms apart, one by a curl at nice 0 and one at nice -10 (a client that
# does not wait behind the N processes for a CPU, as a Prometheus on another host would not):
# curl's time_total, P50 / P99 / max of each; the page's size and series.
#   benchmarks/exporter-k50.sh [--procs N] [--scrapes N] [--port P]   (root)
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
procs=1000 scrapes=200 port=19187
while [ $# -gt 0 ]; do
	case $1 in
	--procs) procs=$2; shift 2 ;;
	--scrapes) scrapes=$2; shift 2 ;;
	--port) port=$2; shift 2 ;;
	-h|--help) sed -n '3,9p' "$0"; exit 0 ;;
	*) echo "exporter-k50.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "exporter-k50.sh: needs root (tracepoints)" >&2; exit 3; }
for b in "$O/tlbstat" "$O/tlbbench"; do [ -x "$b" ] || { echo "exporter-k50.sh: $b not built (make)" >&2; exit 1; }; done
command -v curl >/dev/null || { echo "exporter-k50.sh: curl missing" >&2; exit 1; }
tmp=$(mktemp -d)
pids=()
cleanup() {
	[ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null
	[ -n "${exp:-}" ] && kill -INT "$exp" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
"$O/tlbstat" exporter --listen "127.0.0.1:$port" --top 50 --interval 5 >"$tmp/exp.log" 2>&1 &
exp=$!
sleep 2
kill -0 "$exp" 2>/dev/null || { cat "$tmp/exp.log" >&2; exit 1; }
# long enough for the scrapes (each round about 70 ms, more under load), then they end by themselves
dur=$((12 + scrapes / 5 + 30))
for _ in $(seq "$procs"); do
	"$O/tlbbench" mmap --rate 2 --probe-threads 0 --duration "$dur" >/dev/null 2>&1 &
	pids+=($!)
done
sleep 12
echo "# $procs processes; load average at the first scrape: $(cut -d' ' -f1-3 /proc/loadavg)"
url=http://127.0.0.1:$port/metrics
for _ in $(seq "$scrapes"); do
	curl -s -o "$tmp/page" -w '%{time_total}\n' "$url" >>"$tmp/t0"
	sleep 0.03
	nice -n -10 curl -s -o "$tmp/page" -w '%{time_total}\n' "$url" >>"$tmp/t10"
	sleep 0.03
done
echo "# load average at the last scrape: $(cut -d' ' -f1-3 /proc/loadavg)"
pct() {
	sort -n "$1" | awk -v who="$2" '{a[NR] = $1}
		END { printf "%s: %d scrapes, P50 %.2f ms, P99 %.2f ms, max %.2f ms\n", who, NR,
		      a[int(NR * 0.5)] * 1000, a[int(NR * 0.99)] * 1000, a[NR] * 1000 }'
}
pct "$tmp/t0" "curl at nice 0"
pct "$tmp/t10" "curl at nice -10"
echo "page: $(grep -vc '^#' "$tmp/page") samples, $(wc -c <"$tmp/page") bytes," \
	"$(grep -c '^tlb_invalidations_total{.*pid="[0-9]' "$tmp/page") per-process series;" \
	"exporter's own time per scrape $(awk '/^tlbstat_exporter_scrape_duration_seconds /{print $2 * 1e6 " us"}' "$tmp/page")"
