#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Instructions per drained event of `tlbstat exporter` (valgrind --tool=callgrind: repeatable
# under load, unlike CPU time): the exporter under callgrind, `tlbbench mmap` started 4 s later,
# SIGINT after the churn; the inclusive instructions of session.c's drain() and of the
# functions below it, divided by the calls of the exporter's on_event().
# Root. Usage: benchmarks/exporter-callgrind.sh [churn seconds (default 12)]
# CHURN: tlbbench mmap's options (default "--threads 1 --rate 2000").
# EXPORTER_ARGS: exporter options (default "--top 50 --interval 5 --cpu-budget 0").
# KEEP=dir: keep callgrind.out there. Prints one table of instructions per event.
set -u
. "$(dirname "$0")/lib.sh"
SECS=${1:-12}
PORT=${EXPORTER_BENCH_PORT:-19292}
need_root
command -v valgrind >/dev/null || { echo "exporter-callgrind: no valgrind" >&2; exit 3; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck disable=SC2086
valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" \
	"$O/tlbstat" exporter --listen 127.0.0.1:$PORT \
	${EXPORTER_ARGS:---top 50 --interval 5 --cpu-budget 0} >/dev/null 2>"$tmp/vg.err" &
vg=$!
sleep 4
# shellcheck disable=SC2086
"$O/tlbbench" mmap ${CHURN:---threads 1 --rate 2000} --duration "$SECS" >/dev/null 2>&1
sleep 0.5
kill -INT "$vg"
wait "$vg"
[ -n "${KEEP:-}" ] && cp "$tmp/cg.out" "$KEEP/"
callgrind_annotate --inclusive=yes --threshold=100 "$tmp/cg.out" >"$tmp/incl" 2>/dev/null
callgrind_annotate --threshold=100 "$tmp/cg.out" >"$tmp/self" 2>/dev/null
python3 - "$tmp/cg.out" "$tmp/incl" "$tmp/self" <<'EOP'
import re, sys

# calls of on_event: the "calls=" lines after each cfn= naming it (names are compressed: "(id) name"
# the first time, "(id)" after)
calls, names, cur = 0, {}, None
for l in open(sys.argv[1]):
    m = re.match(r'c?fn=\((\d+)\)(?: (.*))?', l)
    if m:
        if m.group(2):
            names[m.group(1)] = m.group(2).strip()
        cur = names.get(m.group(1)) if l.startswith('cfn=') else None
    elif l.startswith('calls=') and cur == 'on_event':
        calls += int(l.split('=')[1].split()[0])

def table(path):
    d = {}
    for l in open(path):
        m = re.match(r'\s*([\d,]+)\s+\(.*?\)\s+\S*:(\S+)', l) or re.match(r'\s*([\d,]+)\s+\S*:(\S+)', l)
        if m:
            name = m.group(2).split('\'')[0]
            d.setdefault(name, int(m.group(1).replace(',', '')))
    return d

incl, self_ = table(sys.argv[2]), table(sys.argv[3])
if not calls:
    sys.exit('exporter-callgrind: no on_event calls counted')
print('events (on_event calls)   %d' % calls)
for f in ('drain', 'on_event', 'top_model_event', 'tlb_decode', 'process_sample', 'process',
          'tlb_mmap_read', 'request_event', 'flush_event', 'task_pair', 'count_group_feed',
          'run_live', 'on_tick', 'close_interval', 'tlb_evlist_poll', 'dispatch_fds'):
    if f in incl:
        print('%-24s inclusive %8.1f  self %8.1f per event' %
              (f, incl[f] / calls, self_.get(f, 0) / calls))
EOP
