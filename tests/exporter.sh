#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tlbstat exporter: option errors, then (root) a live exporter on loopback scraped with curl
# while tlbbench churns: promtool check metrics, HELP/TYPE on every family, at most K+1
# per-process series per scrape, counters that never go backwards per series, the churn's
# series, loopback-only by default (ss), --user dropping root (the uid of the running process),
# 404/405, and a clean exit on SIGTERM. TAP. About 20 s.
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

K=3
PORT=${EXPORTER_TEST_PORT:-19110}      # the default: the test checks it is loopback-only
PORT2=$((PORT + 1))

"$TLBSTAT" exporter --help >"$tmp/help" 2>&1; rc=$?
check "--help: exit 0" test "$rc" -eq 0
check "--help names --listen, --top, --interval, --user" \
	bash -c "grep -q -- --listen '$tmp/help' && grep -q -- --top '$tmp/help' && grep -q -- --interval '$tmp/help' && grep -q -- --user '$tmp/help'"
expect 2 "top must be 1 to 1000" "--top 0: usage error" -- "$TLBSTAT" exporter --top 0
expect 2 "ADDR:PORT" "--listen without a port: usage error" -- "$TLBSTAT" exporter --listen nonsense
expect 2 "interval" "--interval 0: usage error" -- "$TLBSTAT" exporter --interval 0
expect 2 "no user" "--user of no one: usage error" -- "$TLBSTAT" exporter --listen 127.0.0.1:$PORT2 --user no-such-user-xyz

if [ "$(id -u)" -ne 0 ]; then
	skip "the rest needs root (tracepoints)"
	finish; exit
fi
if ! command -v curl >/dev/null; then
	skip "curl missing (apt-get install curl): live scrapes"
	finish; exit
fi

# a port already taken: exit 3 (environment), one line
"$PY" -c "import socket,time,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', $PORT2)); s.listen(); sys.stdout.write('up\n'); sys.stdout.flush(); time.sleep(10)" >"$tmp/holder" &
holder=$!
pids+=("$holder")
for _ in $(seq 50); do [ -s "$tmp/holder" ] && break; sleep 0.1; done
expect 3 "cannot listen on 127.0.0.1:$PORT2" "port in use: exit 3" -- \
	"$TLBSTAT" exporter --listen 127.0.0.1:$PORT2
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null

# wait_up PORT: until / answers (at most 10 s)
wait_up() {
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
		sleep 0.1
	done
	return 1
}

"$TLBSTAT" exporter --top $K --interval 1 >"$tmp/out" 2>"$tmp/err" &
exp=$!
pids+=("$exp")
check "starts and answers on the default port" wait_up "$PORT"
check "listens on loopback only by default (ss)" \
	bash -c "ss -Hltn 'sport = :$PORT' | awk '{print \$4}' | grep -qx '127.0.0.1:$PORT' && ! ss -Hltn 'sport = :$PORT' | awk '{print \$4}' | grep -qvx '127.0.0.1:$PORT'"

"$TLBBENCH" mmap --threads 1 --duration 4 >/dev/null 2>&1 &
bench=$!
pids+=("$bench")
ok_k=1 mono=1
for i in 1 2 3 4 5; do
	sleep 1
	curl -s -D "$tmp/hdr$i" -o "$tmp/m$i" "http://127.0.0.1:$PORT/metrics"
	n=$(grep -c '^tlb_invalidations_total{' "$tmp/m$i")
	[ "$n" -le $((K + 1)) ] || { ok_k=0; echo "# scrape $i: $n series"; }
done
wait "$bench" 2>/dev/null
check "every scrape: per-process series <= K+1" test "$ok_k" -eq 1
check "HTTP 200 with the text format's content type" \
	grep -qi '^Content-Type: text/plain; version=0.0.4' "$tmp/hdr3"
# a series counts from its third interval in the top K (expview.h), and lingers after
check "the churn's series: tlbbench with invalidations" \
	awk '/^tlb_invalidations_total\{pid="[0-9]+",comm="tlbbench"\}/ && $2 > 0 { f = 1 } END { exit !f }' "$tmp/m4"
check "pid=\"other\",comm=\"other\" is always there" grep -q '^tlb_invalidations_total{pid="other",comm="other"}' "$tmp/m5"
check "node totals by reason" grep -q '^tlb_node_invalidations_total{reason="local_mm_shootdown"}' "$tmp/m5"
check "transport info metric" grep -Eq '^tlb_transport_info\{transport="(ipi|hypervisor|broadcast|unknown)"\} 1$' "$tmp/m5"
check "self metrics: RSS, events drained, series" \
	bash -c "grep -q '^process_resident_memory_bytes [1-9]' '$tmp/m5' && grep -q '^tlbstat_exporter_events_drained_total [1-9]' '$tmp/m5' && grep -q '^tlbstat_exporter_series [1-9]' '$tmp/m5'"
# counters per series: never lower in a later scrape
for i in 2 3 4 5; do
	awk 'FNR == NR { if ($1 ~ /_total\{|_total$/) v[$1] = $2; next }
	     ($1 in v) && $2 + 0 < v[$1] + 0 { print "# went back: " $1 " " v[$1] " -> " $2; bad = 1 }
	     END { exit bad }' "$tmp/m$((i - 1))" "$tmp/m$i" || mono=0
done
check "counters never go backwards per series" test "$mono" -eq 1
# every sample's family has HELP and TYPE
check "HELP and TYPE on every family" awk '
	/^# HELP / { h[$3] = 1; next } /^# TYPE / { t[$3] = 1; next }
	{ n = $1; sub(/\{.*/, "", n); f = n; sub(/_(bucket|sum|count)$/, "", f)
	  if (!((n in t && n in h) || (f in t && f in h))) { print "# no HELP/TYPE: " n; bad = 1 } }
	END { exit bad }' "$tmp/m5"
if command -v promtool >/dev/null; then
	check "promtool check metrics" bash -c "promtool check metrics <'$tmp/m5' >'$tmp/lint' 2>&1 || { cat '$tmp/lint' | sed 's/^/# /'; false; }"
else
	skip "promtool missing (apt-get install prometheus)"
fi
check "/ links to /metrics" bash -c "curl -s http://127.0.0.1:$PORT/ | grep -q 'href=\"/metrics\"'"
check "unknown path: 404" test "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$PORT/nope)" = 404
check "POST: 405" test "$(curl -s -X POST -o /dev/null -w '%{http_code}' http://127.0.0.1:$PORT/metrics)" = 405

# a real Prometheus scrapes the exporter (and one --by cgroup, for the dashboard's container
# panel); PromQL over its HTTP API sees the churn, and every panel query of the Grafana
# dashboard returns data
if command -v prometheus >/dev/null; then
	PPORT=$((PORT + 2)) CPORT=$((PORT + 3))
	"$TLBSTAT" exporter --listen 127.0.0.1:$CPORT --interval 1 --by cgroup 2>"$tmp/err-cg" &
	pids+=("$!")
	cg_exp=$!
	wait_up "$CPORT" || sed 's/^/# --by cgroup: /' "$tmp/err-cg"
	cat >"$tmp/prom.yml" <<EOC
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: tlbstat
    static_configs: [ { targets: ['127.0.0.1:$PORT', '127.0.0.1:$CPORT'] } ]
EOC
	prometheus --config.file="$tmp/prom.yml" --storage.tsdb.path="$tmp/tsdb" \
		--web.listen-address=127.0.0.1:$PPORT >"$tmp/prom.log" 2>&1 &
	prom=$!
	pids+=("$prom")
	"$TLBBENCH" mmap --threads 1 --duration 8 >/dev/null 2>&1 &
	bench=$!
	pids+=("$bench")
	sleep 7
	q() { curl -s --max-time 5 "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1"; }
	check "Prometheus: PromQL returns the churn's series" bash -c "q() { curl -s --max-time 5 'http://127.0.0.1:$PPORT/api/v1/query' --data-urlencode \"query=\$1\"; }
		q 'max(tlb_invalidations_total{job=\"tlbstat\",comm=\"tlbbench\"})' | '$PY' -c 'import json,sys; r=json.load(sys.stdin)[\"data\"][\"result\"]; sys.exit(0 if r and float(r[0][\"value\"][1]) > 0 else 1)'"
	wait "$bench" 2>/dev/null
	check "Prometheus: every dashboard panel query returns data" "$PY" -c "
import json, sys, urllib.parse, urllib.request
d = json.load(open('Documentation/fleet/tlbstat-dashboard.json'))
bad = 0
for p in d['panels']:
    for t in p.get('targets', []):
        e = t['expr'].replace('\$__rate_interval', '5s').replace('\$instance', '.*')
        u = 'http://127.0.0.1:$PPORT/api/v1/query?' + urllib.parse.urlencode({'query': e})
        r = json.load(urllib.request.urlopen(u, timeout=5))
        if r['status'] != 'success' or not r['data']['result']:
            print('# no data: %s: %s' % (p['title'], e)); bad = 1
sys.exit(bad)
"
	kill "$prom" "$cg_exp" 2>/dev/null; wait "$prom" "$cg_exp" 2>/dev/null
else
	skip "prometheus missing (apt-get install prometheus): a real server scraping"
fi

# malformed, slow and concurrent requests neither crash it nor block scrapes
check "300 malformed, 100 slow and 21 concurrent requests: every scrape answered within 2 s" \
	"$PY" tests/exporter-storm.py "$PORT"
check "... and it still runs" kill -0 "$exp"

kill -TERM "$exp"
for _ in $(seq 50); do kill -0 "$exp" 2>/dev/null || break; sleep 0.1; done
wait "$exp"; rc=$?
check "SIGTERM: exit 0 within 5 s" test "$rc" -eq 0
check "SIGTERM: nothing on stderr" test ! -s "$tmp/err"
check "SIGTERM: the port is closed" bash -c "! ss -Hltn 'sport = :$PORT' | grep -q ."

# --user: root is dropped once the events are open; the page still fills
if id nobody >/dev/null 2>&1; then
	"$TLBSTAT" exporter --listen 127.0.0.1:$PORT2 --interval 1 --user nobody 2>"$tmp/err2" &
	exp2=$!
	pids+=("$exp2")
	wait_up "$PORT2"
	uid=$(awk '/^Uid:/ { print $2 "," $3 "," $4 "," $5 }' "/proc/$exp2/status")
	nob=$(id -u nobody)
	check "--user nobody: real, effective, saved and fs uid are nobody's" \
		test "$uid" = "$nob,$nob,$nob,$nob"
	"$TLBBENCH" mmap --duration 2 >/dev/null 2>&1
	sleep 1.2
	check "--user nobody: still counts" \
		awk '/^tlb_node_invalidations_total/ && $2 > 0 { f = 1 } END { exit !f }' \
		<(curl -s "http://127.0.0.1:$PORT2/metrics")
	kill -INT "$exp2"; wait "$exp2"; rc=$?
	check "SIGINT: exit 0" test "$rc" -eq 0
else
	skip "no user nobody: --user"
fi

# the systemd unit's capability set is enough: an unprivileged user with only CAP_PERFMON and
# CAP_DAC_READ_SEARCH (ambient) serves the churn's counts
if command -v setpriv >/dev/null && setpriv --help 2>&1 | grep -q ambient-caps; then
	caps=-all,+perfmon,+dac_read_search
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=$caps --ambient-caps=$caps \
		--bounding-set=$caps "$TLBSTAT" exporter --listen 127.0.0.1:$PORT2 --interval 1 \
		2>"$tmp/err3" &
	exp3=$!
	pids+=("$exp3")
	if wait_up "$PORT2"; then
		"$TLBBENCH" mmap --ops 20000 >/dev/null 2>&1
		sleep 1.2
		check "CAP_PERFMON + CAP_DAC_READ_SEARCH as nobody: the churn is counted" \
			awk '/^tlb_node_invalidations_total\{reason="local_mm_shootdown"\}/ && $2 >= 20000 { f = 1 } END { exit !f }' \
			<(curl -s "http://127.0.0.1:$PORT2/metrics")
	else
		not_ok "CAP_PERFMON + CAP_DAC_READ_SEARCH as nobody: did not start: $(head -c 300 "$tmp/err3")"
	fi
	kill "$exp3" 2>/dev/null; wait "$exp3" 2>/dev/null
else
	skip "setpriv without --ambient-caps: capability set"
fi

# --tls-cert/--tls-key and --auth-file: HTTPS with basic auth against crypt(3) hashes
if command -v openssl >/dev/null; then
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
		-subj /CN=127.0.0.1 -days 1 >/dev/null 2>&1
	echo "prom:$(openssl passwd -6 s3cret)" >"$tmp/auth"
	"$TLBSTAT" exporter --listen 127.0.0.1:$PORT2 --interval 1 --tls-cert "$tmp/cert.pem" \
		--tls-key "$tmp/key.pem" --auth-file "$tmp/auth" 2>"$tmp/err4" &
	exp4=$!
	pids+=("$exp4")
	for _ in $(seq 100); do
		curl -sk -o /dev/null "https://127.0.0.1:$PORT2/" && break
		sleep 0.1
	done
	code() { curl -sk -o /dev/null -w '%{http_code}' "$@"; }
	check "TLS + basic auth: the right password gets the page" \
		test "$(code -u prom:s3cret "https://127.0.0.1:$PORT2/metrics")" = 200
	check "TLS + basic auth: a wrong password gets 401" \
		test "$(code -u prom:nope "https://127.0.0.1:$PORT2/metrics")" = 401
	check "TLS + basic auth: an unknown user gets 401" \
		test "$(code -u bob:s3cret "https://127.0.0.1:$PORT2/metrics")" = 401
	check "TLS + basic auth: no credentials get 401 with a Basic challenge" \
		bash -c "curl -sk -D - -o /dev/null 'https://127.0.0.1:$PORT2/metrics' | grep -qi '^WWW-Authenticate: Basic'"
	check "TLS: plain HTTP gets no page" \
		bash -c "! curl -s --max-time 3 'http://127.0.0.1:$PORT2/metrics' | grep -q tlb_"
	kill "$exp4"; wait "$exp4"; rc=$?
	check "TLS exporter: SIGTERM exit 0" test "$rc" -eq 0
	echo "bob:plaintext" >"$tmp/bad-auth"
	expect 2 "user:\\\$hash" "--auth-file with a plain password: usage error" -- \
		"$TLBSTAT" exporter --auth-file "$tmp/bad-auth"
else
	skip "openssl missing: TLS and basic auth"
fi

# --cpu-budget: with a budget no exporter can keep, the sampling period of tlb:tlb_flush rises
# under churn while the node totals stay exact (counting-mode counters): the increase of
# tlb_node_invalidations_total between two interval closes lies between what two `tlbstat stat
# -a` count, one started after the first close and stopped before the second (inner), one
# started before the first and stopped after the second (outer). Both windows differ from the
# exporter's by background flushes only, which a loaded machine has plenty of: the check is the
# bracket, not a percentage of one of them.
expect 2 "cpu-budget" "--cpu-budget -1: usage error" -- "$TLBSTAT" exporter --cpu-budget -1
"$TLBSTAT" exporter --listen 127.0.0.1:$PORT2 --interval 1 --cpu-budget 0.001 2>"$tmp/err6" &
exp6=$!
pids+=("$exp6")
# node_total [FILE]: the sum of tlb_node_invalidations_total now (and the page into FILE)
node_total() {
	curl -s "http://127.0.0.1:$PORT2/metrics" | tee "${1:-/dev/null}" |
		awk '/^tlb_node_invalidations_total\{/ { s += $2 } END { printf "%.0f\n", s }'
}
# next_close: the node total once it changes (an interval closed), polled every 20 ms, at most 5 s
next_close() {
	local v0 v
	v0=$(node_total)
	for _ in $(seq 250); do
		v=$(node_total)
		[ "$v" != "$v0" ] && { echo "$v"; return 0; }
		sleep 0.02
	done
	echo "$v0"
	return 1
}
stat_total() { "$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['total'])" "$1" 2>/dev/null; }
if wait_up "$PORT2"; then
	"$TLBSTAT" stat -a -j -o "$tmp/outer.json" &
	outer=$!
	sleep 0.5
	a=$(next_close)
	"$TLBSTAT" stat -a -j -o "$tmp/inner.json" &
	inner=$!
	"$TLBBENCH" mmap --threads 1 --duration 3 >/dev/null 2>&1
	kill -INT "$inner"; wait "$inner"
	sleep 0.1       # a close under way when inner stopped has published
	b=$(next_close)
	kill -INT "$outer"; wait "$outer"
	node_total "$tmp/m-budget" >/dev/null
	si=$(stat_total "$tmp/inner.json") so=$(stat_total "$tmp/outer.json")
	echo "# node increase: stat -a inner ${si:-?} <= exporter $((b - a)) <= stat -a outer ${so:-?}"
	grep -E '^tlbstat_exporter_(sample_period|cpu_usage_ratio|cpu_budget_ratio|sample_period_raises_total) ' "$tmp/m-budget" | sed 's/^/# /'
	check "--cpu-budget: the sampling period rose under churn" \
		awk '/^tlbstat_exporter_sample_period / && $2 > 1 { f = 1 } END { exit !f }' "$tmp/m-budget"
	check "--cpu-budget: the node's invalidations between inner and outer stat -a counts" \
		test "${si:-0}" -gt 0 -a "${si:-0}" -le "$((b - a))" -a "$((b - a))" -le "${so:-0}"
	check "--cpu-budget: the tlbbench series still there (scaled)" \
		awk '/^tlb_invalidations_total\{pid="[0-9]+",comm="tlbbench"\}/ && $2 > 0 { f = 1 } END { exit !f }' "$tmp/m-budget"
	check "--cpu-budget: promtool check metrics" bash -c "! command -v promtool >/dev/null || promtool check metrics <'$tmp/m-budget' >/dev/null 2>&1"
else
	not_ok "exporter --cpu-budget starts"; sed 's/^/# /' "$tmp/err6"
fi
kill "$exp6" 2>/dev/null; wait "$exp6" 2>/dev/null

# --cause: node-wide invalidations by cause (kernel chains, lib/cause); a madvise churn's lead
"$TLBSTAT" exporter --listen 127.0.0.1:$PORT2 --interval 1 --cause 2>"$tmp/err5" &
exp5=$!
pids+=("$exp5")
if wait_up "$PORT2"; then
	"$TLBBENCH" madvise --threads 1 --duration 2 >/dev/null 2>&1
	sleep 1.5
	curl -s "http://127.0.0.1:$PORT2/metrics" >"$tmp/m-cause"
	grep '^tlb_node_invalidations_by_cause_total' "$tmp/m-cause" | sort -k2 -n -r | head -3 | sed 's/^/# /'
	check "--cause: tlb_node_invalidations_by_cause_total's largest is madvise" \
		bash -c "grep '^tlb_node_invalidations_by_cause_total' '$tmp/m-cause' | sort -k2 -n -r | head -1 | grep -q 'cause=\"madvise\"'"
	check "--cause: promtool check metrics" bash -c "promtool check metrics <'$tmp/m-cause' >/dev/null 2>&1"
	check "without --cause: no by-cause family" bash -c "! grep -q by_cause '$tmp/m5'"
else
	not_ok "exporter --cause starts"; sed 's/^/# /' "$tmp/err5"
fi
kill "$exp5" 2>/dev/null; wait "$exp5" 2>/dev/null

# libmicrohttpd is loaded by the exporter (dlopen), not linked: the other commands start without
# it, and the exporter says what is missing (exit 3). A mount namespace hides the library.
mhd=$(ldconfig -p | awk '/libmicrohttpd\.so\.12 /{print $NF; exit}')
check "no command but the exporter links libmicrohttpd" bash -c "! readelf -d '$TLBSTAT' | grep -q microhttpd"
if [ -n "$mhd" ] && command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
	: >"$tmp/empty.so"
	unshare -m bash -c "mount --bind '$tmp/empty.so' '$mhd' &&
		'$TLBSTAT' exporter --listen 127.0.0.1:$PORT2 >'$tmp/nomhd.out' 2>'$tmp/nomhd.err'
		echo \$? >'$tmp/nomhd.rc'
		'$TLBSTAT' report -i tests/data/tlbstat-ipi.data --sort comm >'$tmp/nomhd.report' 2>&1"
	check "without libmicrohttpd: exporter exits 3" test "$(cat "$tmp/nomhd.rc" 2>/dev/null)" = 3
	check "without libmicrohttpd: the exporter names the library" grep -q 'libmicrohttpd.so.12' "$tmp/nomhd.err"
	check "without libmicrohttpd: report still runs" grep -q '^# tlbstat report' "$tmp/nomhd.report"
else
	skip "without libmicrohttpd: no mount namespace or no libmicrohttpd.so.12"
fi
finish
