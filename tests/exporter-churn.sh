#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tlbstat exporter under 5,000 short-lived processes (tlbbench fork-cow: one child per op),
# scraped by the exporter's own client and by a real Prometheus: per-process series <= K+1 in
# every scrape, RSS flat, sum(rate(tlb_invalidations_total)) within 5 % of the node rate during
# the churn (moving leavers to other makes no spikes), and the head series the pid label
# created in Prometheus's TSDB (status API), reported. Live (root); TAP. About 100 s.
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

K=5
PORT=${EXPORTER_TEST_PORT:-19110}
PPORT=$((PORT + 3))
if [ "$(id -u)" -ne 0 ]; then
	skip "needs root (tracepoints)"
	finish; exit
fi
for c in curl prometheus; do
	if ! command -v $c >/dev/null; then
		skip "$c missing (apt-get install $c)"
		finish; exit
	fi
done

"$TLBSTAT" exporter --listen 127.0.0.1:$PORT --top $K --interval 1 2>"$tmp/err" &
exp=$!
pids+=("$exp")
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
cat >"$tmp/prom.yml" <<EOC
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: tlbstat
    static_configs: [ { targets: ['127.0.0.1:$PORT'] } ]
EOC
prometheus --config.file="$tmp/prom.yml" --storage.tsdb.path="$tmp/tsdb" \
	--web.listen-address=127.0.0.1:$PPORT >"$tmp/prom.log" 2>&1 &
pids+=("$!")
sleep 3
rss0=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^process_resident_memory_bytes/ { print $2 }')
# the sanitizer stage (an ASan build) looks for memory errors in the same eviction paths over a
# 25 s churn; the plain suite runs the 85 s one the 1-minute rate windows need
OPS=5000
sanitized && OPS=1500
start=$(date +%s)
"$TLBBENCH" fork-cow --ops $OPS --rate 60 >"$tmp/bench" 2>&1 &
bench=$!
pids+=("$bench")
maxn=0 scrapes=0
while kill -0 "$bench" 2>/dev/null; do
	curl -s "http://127.0.0.1:$PORT/metrics" >"$tmp/m"
	n=$(grep -c '^tlb_invalidations_total{' "$tmp/m")
	[ "$n" -gt "$maxn" ] && maxn=$n
	scrapes=$((scrapes + 1))
	sleep 0.5
done
wait "$bench"; brc=$?
end=$(date +%s)
sleep 2
curl -s "http://127.0.0.1:$PORT/metrics" >"$tmp/m"
rss1=$(awk '/^process_resident_memory_bytes/ { print $2 }' "$tmp/m")
evicted=$(awk '/^tlbstat_exporter_evicted_total/ { print $2 }' "$tmp/m")
check "tlbbench fork-cow --ops $OPS ran" test "$brc" -eq 0
echo "# $scrapes scrapes, at most $maxn per-process series, $evicted tasks evicted, RSS $rss0 -> $rss1"
check "every scrape: per-process series <= K+1 ($maxn)" test "$maxn" -le $((K + 1))
if sanitized; then
	skip "RSS flatness: an ASan build's quarantine holds freed memory by design ($rss0 -> $rss1)"
else
	check "RSS flat over the churn (grew < 2 MiB: $rss0 -> $rss1)" test $((rss1 - rss0)) -lt $((2 * 1024 * 1024))
fi

# sum of the per-process series' rates against the node's, second by second during the churn,
# over windows of 1 minute inside it (the churn runs about 85 s)
if sanitized; then
	skip "sum(rate(...[1m])) against the node rate: the plain suite's 85 s churn (here $OPS ops)"
	skip "pid values in the TSDB head: the plain suite's 5,000 processes"
	kill -TERM "$exp"; wait "$exp"; rc=$?
	check "SIGTERM: exit 0" test "$rc" -eq 0
	finish; exit
fi
"$PY" - "$PPORT" "$((start + 63))" "$((end - 1))" >"$tmp/cmp" <<'EOP'
import json, sys, urllib.parse, urllib.request
port, t0, t1 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def series(q):
    u = 'http://127.0.0.1:%s/api/v1/query_range?' % port + urllib.parse.urlencode(
        {'query': q, 'start': t0, 'end': t1, 'step': 1})
    r = json.load(urllib.request.urlopen(u, timeout=10))['data']['result']
    return {int(float(t)): float(v) for t, v in r[0]['values']} if r else {}
a = series('sum(rate(tlb_invalidations_total[1m]))')
b = series('sum(rate(tlb_node_invalidations_total[1m]))')
worst = 0.0
for t in sorted(b):
    if t in a and b[t] > 0:
        worst = max(worst, abs(a[t] - b[t]) / b[t])
print('%d %.4f %.0f' % (len(b), worst, max(b.values()) if b else 0))
sys.stderr.write('# t:series/node ' + ' '.join('%d:%.0f/%.0f' % (t - t0, a.get(t, -1), b[t]) for t in sorted(b)) + '\n')
EOP
read -r npts worst peak <"$tmp/cmp"
echo "# $npts points; node rate up to $peak/s; worst deviation of the series' sum: $worst"
check "sum(rate(tlb_invalidations_total[1m])) within 5 % of the node rate ($worst)" \
	"$PY" -c "import sys; sys.exit(0 if $npts >= 3 and $worst <= 0.05 else 1)"
heads=$(curl -s "http://127.0.0.1:$PPORT/api/v1/status/tsdb" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)["data"]
print(next((x["value"] for x in d["labelValueCountByLabelName"] if x["name"] == "pid"), 0))')
echo "# Prometheus TSDB head: $heads distinct pid label values over the churn (5,000 processes, K = $K)"
check "pid values in the TSDB head stay far below the processes (< 1000: $heads)" test "$heads" -lt 1000
kill -TERM "$exp"; wait "$exp"; rc=$?
check "SIGTERM: exit 0" test "$rc" -eq 0
finish
