#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# perf's pipe form both ways, against Debian's perf 6.1:
# (1) perf record -o - | tlbstat report -i - counts what tlbstat report counts on the same
#     records written as a perf.data file (converted here; perf report reads the conversion too),
#     and what perf script prints per pid;
# (2) tlbstat record -o - | perf report -i - --stdio prints its samples, nothing on stderr, and
#     tlbstat report -i - on the same stream counts what record's summary says;
# (3) a FIFO: read as a stream, with a note on stderr while it has no writer (it hung silently
#     before); a writer killed mid-stream: what came is reported and the end is said;
# (4) junk on stdin, a terminal on stdin or stdout: one line, exit 1 (stdin) or 2 (-o - to a
#     terminal). Root, tracefs and perf needed; about 10 s.
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT

if [ ! -x "$TLBSTAT" ] || [ ! -x "$TLBBENCH" ]; then
	skip "tlbstat or tlbbench not built ($TLBSTAT, $TLBBENCH)"; finish; exit
fi
if ! command -v perf >/dev/null; then skip "perf not installed"; finish; exit; fi
if [ "$(id -u)" != 0 ] || { [ ! -r /sys/kernel/tracing/events/tlb/tlb_flush/format ] &&
   [ ! -r /sys/kernel/debug/tracing/events/tlb/tlb_flush/format ]; }; then
	skip "needs root and tracefs with tlb:tlb_flush"; finish; exit
fi
N=3000

# A pipe-form stream rewritten as a perf.data file: header, attrs, ids, the data records in
# stream order, then the features (the tracing data as feature 1). A second, independent
# reading of the pipe form (the test's, in Python) to compare tlbstat's stream reader against.
pipe2file() {
	"$PY" - "$1" "$2" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
assert d[:8] == b'PERFILE2' and struct.unpack_from('<Q', d, 8)[0] == 16, 'not a pipe stream'
pos, attrs, feats, data = 16, [], {}, bytearray()
while pos + 8 <= len(d):
    t, _, s = struct.unpack_from('<IHH', d, pos)
    rec = d[pos:pos + s]
    if t == 64:                                   # HEADER_ATTR: attr (its size), ids
        asz = struct.unpack_from('<I', rec, 8 + 4)[0]
        attrs.append((rec[8:8 + asz], rec[8 + asz:]))
    elif t == 66:                                 # HEADER_TRACING_DATA: blob after the record
        n = struct.unpack_from('<I', rec, 8)[0]
        feats[1] = d[pos + s:pos + s + n]
        pos += n
    elif t == 80:                                 # HEADER_FEATURE
        f = struct.unpack_from('<Q', rec, 8)[0]
        if s > 16 and 0 < f < 256:
            feats[f] = rec[16:]
    elif t < 64 or t == 68:                       # kernel records, FINISHED_ROUND
        data += rec
    pos += s
asz = len(attrs[0][0])
attr_size = asz + 16
off = 104 + attr_size * len(attrs)
body, ids = bytearray(), bytearray()
for a, i in attrs:
    body += a.ljust(asz, b'\0') + struct.pack('<QQ', off + len(ids), len(i))
    ids += i
data_off = off + len(ids)
feat_off = data_off + len(data)
bits = [0, 0, 0, 0]
for f in feats:
    bits[f // 64] |= 1 << (f % 64)
table, blobs = bytearray(), bytearray()
boff = feat_off + 16 * len(feats)
for f in sorted(feats):
    table += struct.pack('<QQ', boff + len(blobs), len(feats[f]))
    blobs += feats[f]
hdr = struct.pack('<8sQQQQQQQQ4Q', b'PERFILE2', 104, attr_size, 104, attr_size * len(attrs),
                  data_off, len(data), 0, 0, *bits)
open(sys.argv[2], 'wb').write(hdr + body + ids + data + table + blobs)
PY
}

# per-pid tlb_flush counts of a JSON report equal perf script's (every pid)
same_pids() {
	"$PY" - "$1" "$2" <<'PY'
import collections, json, re, sys
d = json.load(open(sys.argv[1]))
perf = collections.Counter()
for line in open(sys.argv[2]):
    m = re.match(r'^\s*(-?\d+)\s+tlb:tlb_flush:', line)
    if m:
        perf[int(m.group(1))] += 1
ours = {p['pid']: p['invalidations'] for p in d['processes'] + d.get('kernel_thread_initiators', [])}
ours = {k: v for k, v in ours.items() if v}
if ours != dict(perf) or d['invalidations'] != sum(perf.values()):
    print('# ours', sorted(ours.items())[:8], 'perf', sorted(perf.items())[:8])
    sys.exit(1)
PY
}

# two JSON reports equal, but for "file"
same_json() {
	"$PY" -c 'import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
a.pop("file"); b.pop("file")
sys.exit(0 if a == b else 1)' "$1" "$2"
}

# ---- (1) perf record -o - | tlbstat report -i -
perf record -q -e tlb:tlb_flush -a -o - -- "$TLBBENCH" mmap --threads 1 --ops $N 2>"$T/perf-rec.err" |
	tee "$T/S.pipe" | "$TLBSTAT" report -i - --json >"$T/S.json" 2>"$T/S.err"
check "perf record -o - | tlbstat report -i - --json exits 0" test "${PIPESTATUS[2]}" -eq 0
check "and says nothing on stderr (but, perf slow to start, that it waits)" \
	test -z "$(grep -v 'waiting for a perf.data stream on standard input' "$T/S.err")"
check "the stream has samples" test "$(jget "$T/S.json" invalidations)" -gt 0
pipe2file "$T/S.pipe" "$T/F.data"
check "perf report reads the same records as a file (the conversion is sound)" \
	bash -c "perf report -i '$T/F.data' --stdio 2>/dev/null | grep -q 'Event count (approx.): $(jget "$T/S.json" invalidations)\$'"
"$TLBSTAT" report -i "$T/F.data" --json >"$T/F.json" 2>/dev/null
check "tlbstat report on the stream = on the same records as a file (all of --json)" \
	same_json "$T/S.json" "$T/F.json"
perf script -i - -F pid,event <"$T/S.pipe" 2>/dev/null >"$T/S.script"
check "per-pid counts of the stream equal perf script's" same_pids "$T/S.json" "$T/S.script"
"$TLBSTAT" report -i "$T/S.pipe" --json >"$T/Sfile.json" 2>/dev/null
check "a pipe-form stream saved as a file reads as the stream did" same_json "$T/S.json" "$T/Sfile.json"

# ---- (2) tlbstat record -o - | perf report -i -
"$TLBSTAT" record -o - -- "$TLBBENCH" mmap --threads 1 --ops $N >"$T/R.pipe" 2>"$T/R.err"
check "tlbstat record -o - exits 0" test $? -eq 0
check "its summary on stderr names the stream" grep -q 'Wrote .* - (' "$T/R.err"
check "the workload's output did not enter the stream" \
	bash -c "head -c 8 '$T/R.pipe' | grep -q PERFILE2"
perf report -i - --stdio <"$T/R.pipe" >"$T/R.perf" 2>"$T/R.perf.err"
check "perf report -i - reads tlbstat's stream, exit 0" test $? -eq 0
check "with nothing on stderr" test ! -s "$T/R.perf.err"
check "and prints its tlb:tlb_flush samples" grep -qE "Samples: [0-9.]+K? of event 'tlb:tlb_flush'" "$T/R.perf"
samples=$(sed -n 's/.*(\([0-9]*\) samples.*/\1/p' "$T/R.err")
"$TLBSTAT" report -i - --json <"$T/R.pipe" >"$T/R.json" 2>/dev/null
check "tlbstat report -i - counts the samples record wrote ($samples)" \
	test "$(jget "$T/R.json" samples)" = "$samples"
perf script -i - -F pid,event <"$T/R.pipe" 2>/dev/null >"$T/R.script"
check "per-pid counts equal perf script's on tlbstat's stream" same_pids "$T/R.json" "$T/R.script"

# ---- (3) FIFOs
mkfifo "$T/fifo"
timeout 20 "$TLBSTAT" report -i "$T/fifo" --json >"$T/Q.json" 2>"$T/Q.err" &
rp=$!
sleep 1
check "report -i FIFO without a writer waits, saying so on stderr" grep -q 'waiting for a writer' "$T/Q.err"
# the writer, bounded too: opening a FIFO blocks until a reader has it open
timeout 20 bash -c 'cat "$1" >"$2"' _ "$T/S.pipe" "$T/fifo"
wait $rp
check "then reads the writer's stream, exit 0" test $? -eq 0
check "as report -i - did" same_json "$T/S.json" "$T/Q.json"

size=$(stat -c %s "$T/S.pipe")
timeout 20 "$TLBSTAT" report -i "$T/fifo" --json >"$T/K.json" 2>"$T/K.err" &
rp=$!
# the writer dies by SIGKILL in the middle of the stream (and, most likely, of a record)
exec 3>&2 2>/dev/null		# this shell's "Killed" notice
timeout 20 bash -c 'exec >"$2"; head -c '$((size / 2 + 3))' "$1"; kill -9 $$' _ "$T/S.pipe" \
	"$T/fifo"
exec 2>&3 3>&-
wait $rp
check "a writer killed mid-stream: report exits 0" test $? -eq 0
check "and says the stream ended early" grep -q 'ended early' "$T/K.err"
got=$(jget "$T/K.json" invalidations)
check "reporting what came ($got of $(jget "$T/S.json" invalidations) flushes)" \
	test "$got" -gt 0 -a "$got" -lt "$(jget "$T/S.json" invalidations)"

# ---- (4) refusals
expect 1 'not a perf.data stream' "junk on stdin" -- bash -c "head -c 4096 /dev/urandom | '$TLBSTAT' report -i -"
lines=$(head -c 4096 /dev/urandom | "$TLBSTAT" report -i - 2>&1 >/dev/null | wc -l)
check "in one line ($lines)" test "$lines" -eq 1
expect 1 'not a perf.data stream' "a perf.data file through a pipe" -- \
	bash -c "cat '$T/F.data' | '$TLBSTAT' report -i -"
expect 1 'ended early.*header' "a stream cut in its header records" -- \
	bash -c "head -c 200 '$T/S.pipe' | '$TLBSTAT' report -i -"
check "a terminal on stdin: exit 1, one line" "$PY" - "$TLBSTAT" <<'PY'
import os, pty, subprocess, sys
m, s = pty.openpty()
p = subprocess.run([sys.argv[1], 'report', '-i', '-'], stdin=s, capture_output=True, timeout=10)
sys.exit(0 if p.returncode == 1 and b'terminal' in p.stderr and p.stderr.count(b'\n') == 1 else 1)
PY
check "record -o - to a terminal: exit 2, one line" "$PY" - "$TLBSTAT" <<'PY'
import os, pty, subprocess, sys
m, s = pty.openpty()
p = subprocess.run([sys.argv[1], 'record', '-o', '-', '-d', '0.1'], stdout=s,
                   stderr=subprocess.PIPE, timeout=10)
sys.exit(0 if p.returncode == 2 and b'terminal' in p.stderr and p.stderr.count(b'\n') == 1 else 1)
PY
finish
