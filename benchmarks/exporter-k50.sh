#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Scrape latency of `tlbstat exporter --top 50 --interval 5` with N live processes (issue 18:
# P99 < 10 ms with 1,000 processes and K = 50): N `tlbbench mmap --rate 2 --probe-threads 0`
# (each a process that flushes twice a second), 12 s to settle, then SCRAPES rounds of two
# scrapes of /metrics 30 ms apart, one by a curl at nice 0 and one at nice -10 (a client that
# does not wait behind the N processes for a CPU, as a Prometheus on another host would not):
# curl's time_total, P50 / P99 / max of each; the page's size and series. Where the time goes:
# the server's part of each scrape (curl's time_starttransfer - time_pretransfer: the request
# sent until the first byte back, which includes the HTTP thread's wait for a CPU), the HTTP
# thread's run-queue wait over all the scrapes (its schedstat), and the runnable tasks
# (/proc/loadavg's fourth field) at the first and last scrape.
#   benchmarks/exporter-k50.sh [--procs N] [--scrapes N] [--port P]   (root)
set -u
. "$(dirname "$0")/lib.sh"
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
need_root
need_built "$O/tlbstat" "$O/tlbbench"
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
trap 'exit 130' INT TERM
"$O/tlbstat" exporter --listen "127.0.0.1:$port" --top 50 --interval 5 >"$tmp/exp.log" 2>&1 &
exp=$!
sleep 2
kill -0 "$exp" 2>/dev/null || { cat "$tmp/exp.log" >&2; exit 1; }
# They run until the cleanup ends them: starting 1,000 of them can take a minute on a loaded
# 2-CPU guest, and every one must still be alive at the last scrape.
t_spawn=$(date +%s)
for _ in $(seq "$procs"); do
	"$O/tlbbench" mmap --rate 2 --probe-threads 0 --duration 3600 >/dev/null 2>&1 &
	pids+=($!)
done
echo "# started $procs processes in $(($(date +%s) - t_spawn)) s"
sleep 12
alive() { local n=0 p; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done; echo "$n"; }
# the HTTP thread: the exporter's thread that is not its main thread
http=$(ls "/proc/$exp/task" | grep -vx "$exp" | head -1)
sched() { cat "/proc/$exp/task/$http/schedstat" 2>/dev/null || echo "0 0 0"; }
echo "# $(alive) of $procs processes alive; load average (runnable/all) at the first scrape:" \
	"$(cut -d' ' -f1-4 /proc/loadavg)"
url=http://127.0.0.1:$port/metrics
fmt='%{time_total} %{time_pretransfer} %{time_starttransfer}\n'
h0=$(sched)
for _ in $(seq "$scrapes"); do
	curl -s -o "$tmp/page" -w "$fmt" "$url" >>"$tmp/t0"
	sleep 0.03
	nice -n -10 curl -s -o "$tmp/page" -w "$fmt" "$url" >>"$tmp/t10"
	sleep 0.03
done
h1=$(sched)
echo "# $(alive) alive; load average (runnable/all) at the last scrape: $(cut -d' ' -f1-4 /proc/loadavg)"
pct() {
	sort -n "$1" | awk -v who="$2" '{a[NR] = $1}
		END { printf "%s: %d scrapes, P50 %.2f ms, P99 %.2f ms, max %.2f ms\n", who, NR,
		      a[int(NR * 0.5)] * 1000, a[int(NR * 0.99)] * 1000, a[NR] * 1000 }'
}
for f in t0 t10; do
	cut -d' ' -f1 "$tmp/$f" >"$tmp/$f.total"
	awk '{ printf "%.6f\n", $3 - $2 }' "$tmp/$f" >"$tmp/$f.server"
done
pct "$tmp/t0.total" "curl at nice 0"
pct "$tmp/t10.total" "curl at nice -10"
pct "$tmp/t0.server" "  server part (nice 0 curl)"
pct "$tmp/t10.server" "  server part (nice -10 curl)"
read -r r0 w0 n0 <<<"$h0"
read -r r1 w1 n1 <<<"$h1"
echo "HTTP thread over the $((2 * scrapes)) scrapes: ran $(((r1 - r0) / 1000)) us," \
	"waited for a CPU $(((w1 - w0) / 1000)) us in $((n1 - n0)) timeslices" \
	"($(((w1 - w0) / 1000 / (n1 - n0 > 0 ? n1 - n0 : 1))) us a timeslice)"
echo "page: $(grep -vc '^#' "$tmp/page") samples, $(wc -c <"$tmp/page") bytes," \
	"$(grep -c '^tlb_invalidations_total{.*pid="[0-9]' "$tmp/page") per-process series;" \
	"exporter's own time per scrape $(awk '/^tlbstat_exporter_scrape_duration_seconds /{print $2 * 1e6 " us"}' "$tmp/page")"
