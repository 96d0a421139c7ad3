#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# report --html and correlate --html end to end. Constructed (a labelled fixture, no root): a
# latency CSV made from a test recording's own bursts, one interval later, proves the burst
# attribution says "significant" and names the process. Live (root, tracefs: run it under the
# live lock): real churn from tlbbench with its latency probe under record --sample
# sched,vmstat, the workload's name holding < > & " ' so the pages must escape it; the pages
# parse (html.parser, every SVG as XML), hold the latency and invalidation panels, and headless
# Chromium renders them to PNGs that are not blank (skipped without chromium). The verdict
# of the live run is whatever the data says. TAP. About 40 s.
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
DATA=tests/data
all() { eval "$1"; }

# parses FILE.html: well-formed tags, every <svg> an XML document, no script or fetch
parses() {
	"$PY" - "$1" <<'PY'
import re, sys, xml.etree.ElementTree as ET
from html.parser import HTMLParser
text = open(sys.argv[1], encoding="utf-8").read()
void = {"meta", "br", "img", "input", "link", "hr"}
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.bad = [], []
    def handle_starttag(self, tag, attrs):
        if tag not in void:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        pass
    def handle_endtag(self, tag):
        if tag in void:
            return
        if not self.stack or self.stack[-1] != tag:
            self.bad.append(f"</{tag}> closes {self.stack[-1:]} ")
        else:
            self.stack.pop()
p = P()
p.feed(text)
p.close()
svgs = re.findall(r"<svg\b.*?</svg>", text, re.S)
for s in svgs:
    ET.fromstring(s)
fetch = re.findall(r'(?:src|href)\s*=|url\(|@import|https?://(?!www\.w3\.org/2000/svg)', text)
if p.bad or p.stack or not svgs or fetch or "<script" in text:
    print("# bad:", p.bad[:3], "open:", p.stack[:5], "svgs:", len(svgs), "fetch:", fetch[:3])
    sys.exit(1)
PY
}

# not_blank FILE.png: a PNG whose pixels take many values (a blank page takes one)
not_blank() {
	"$PY" - "$1" <<'PY'
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n"
i, idat = 8, b""
while i < len(d):
    n, kind = struct.unpack(">I4s", d[i:i + 8])
    if kind == b"IDAT":
        idat += d[i + 8:i + 8 + n]
    i += 12 + n
sys.exit(0 if len(set(zlib.decompress(idat))) > 50 else 1)
PY
}

CHROME=$(command -v chromium || command -v chromium-browser || true)
# render NAME: NAME.html -> NAME.png in headless Chromium
render() {
	timeout 90 "$CHROME" --headless --no-sandbox --disable-gpu --window-size=1280,2000 \
		--screenshot="$tmp/$1.png" "file://$tmp/$1.html" >/dev/null 2>&1
	[ -s "$tmp/$1.png" ] && not_blank "$tmp/$1.png"
}

# lagged REC IV OUT: a latency CSV (fx.p99_us) with a spike one interval after each burst of
# the recording REC at interval IV, flat (100-110) elsewhere: a constructed fixture
lagged() {
	"$TLBSTAT" correlate --csv --interval "$2" "$1" >"$tmp/grid.csv" &&
	"$TLBSTAT" report -i "$1" --json --interval "$2" >"$tmp/rep.json" &&
	"$PY" - "$tmp" "$3" <<'PY'
import csv, json, sys
d = sys.argv[1]
t = [float(r["time"]) for r in csv.DictReader(open(f"{d}/grid.csv"))]
b = [r["burst"] for r in json.load(open(f"{d}/rep.json"))["series"]["rows"]]
assert len(t) == len(b), (len(t), len(b))
half = (t[1] - t[0]) / 2 if len(t) > 1 else 0
with open(sys.argv[2], "w") as f:
    f.write("# constructed by tests/html.sh: spikes one interval after each burst\n")
    f.write("time,fx.p99_us\n")
    for i in range(len(t)):
        f.write(f"{t[i] + half:.6f},{900 if i and b[i - 1] else 100 + (i * 7) % 11}\n")
print(sum(b))
PY
}

# --- constructed: latency spikes one interval after the recording's own bursts (fixture)
lagged "$DATA/tlbstat-ipi.data" 1ms "$tmp/lat.csv" >/dev/null
"$TLBSTAT" correlate --json --interval 1ms --window 1 --html "$tmp/fx.html" \
	"$DATA/tlbstat-ipi.data" "$tmp/lat.csv" >"$tmp/fx.json"
check "correlate --json --html on the fixture: exit 0" [ $? -eq 0 ]
att() { "$PY" -c "import json,sys; a=json.load(open(sys.argv[1]))['attribution']; print(a[sys.argv[2]])" "$tmp/fx.json" "$1"; }
# a spike after a burst that follows another burst is nearer the second: lag 0 or 1
check "attribution: every spike preceded within 1 interval, significant" \
	test "$(att preceded)/$(att spikes) $(att verdict)" = "$(att spikes)/$(att spikes) significant"
top=$(jget "$tmp/rep.json" processes.0.pid)
check "... the bursts' main process named in the finding (pid $top)" grep -q "pid $top (" "$tmp/fx.json"
check "the page parses (html.parser; each SVG as XML; no script, nothing fetched)" parses "$tmp/fx.html"
check "the page's finding is the attribution's" grep -q "fx.p99_us spikes followed invalidation bursts within 1 interval (most often [01]) in $(att spikes) of $(att spikes) cases" "$tmp/fx.html"
check "the spikes table lists each spike" \
	test "$(grep -c '<tr><td class="num">' "$tmp/fx.html")" -ge "$(att spikes)"
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	check "correlate --json with attribution: valid against schema/correlate.json" "$PY" -c "
import json, sys, jsonschema
jsonschema.Draft202012Validator(json.load(open('Documentation/schema/correlate.json'))).validate(json.load(open(sys.argv[1])))" "$tmp/fx.json"
else
	skip "python3-jsonschema is not installed: schema not checked"
fi
expect 2 "no such column" "--latency naming no column: exit 2" -- \
	"$TLBSTAT" correlate --latency nope "$DATA/tlbstat-ipi.data" "$tmp/lat.csv"
expect 2 "not --csv" "--html with --csv: exit 2" -- \
	"$TLBSTAT" correlate --csv --html "$tmp/x.html" "$tmp/lat.csv" "$tmp/grid.csv"
expect 2 "the input file" "report --html naming the recording: refused" -- \
	"$TLBSTAT" report -i "$DATA/tlbstat-ipi.data" --html "$DATA/tlbstat-ipi.data"

# a GPU column (a constructed CSV, as the gpu sampler names them): its panel instead of the note
"$PY" - "$tmp/lat.csv" "$tmp/gpu.csv" <<'PY'
import csv, sys
rows = [r for r in csv.reader(l for l in open(sys.argv[1]) if not l.startswith("#"))][1:]
with open(sys.argv[2], "w") as f:
    f.write("time,gpu.gpu0_util\n")
    for i, r in enumerate(rows):
        f.write(f"{r[0]},{50 + (i * 13) % 40}\n")
PY
"$TLBSTAT" correlate --interval 1ms --html "$tmp/gpu.html" "$DATA/tlbstat-ipi.data" \
	"$tmp/lat.csv" "$tmp/gpu.csv" >/dev/null
check "a gpu.*util* column: the GPU utilisation panel with its line, no 'no GPU' note" \
	"$PY" -c "import sys; t=open(sys.argv[1]).read(); i=t.find('<h3>GPU utilisation</h3>'); sys.exit(0 if i >= 0 and 'gpu.gpu0_util' in t[i:t.index('</svg>', i)] and 'no GPU sampler data' not in t else 1)" "$tmp/gpu.html"

# --- report --html on the test recordings: victims table, or the note why there is none
"$TLBSTAT" report -i "$DATA/tlbstat-ipi.data" --interval 1ms --html "$tmp/ipi.html" >/dev/null
check "report --html (IPI recording): parses" parses "$tmp/ipi.html"
check "... the initiator -> victim table" grep -q "<th>initiator pid</th>" "$tmp/ipi.html"
check "... a finding from the bursts" grep -q 'class="finding">[0-9]* invalidation bursts\? in [0-9]* intervals; pid [0-9]* (' "$tmp/ipi.html"
"$TLBSTAT" report -i "$DATA/perf-tlb-pvm.data" --html "$tmp/pvm.html" >/dev/null
check "report --html (hypervisor recording): the victims note instead" \
	all "parses $tmp/pvm.html && grep -qi 'not observable' $tmp/pvm.html && ! grep -q '<th>initiator pid</th>' $tmp/pvm.html"
cp "$DATA/tlbstat-ipi.data" "$tmp/side.data"
printf 'time,lat.p99_us\n1,2\n3,x\n' >"$tmp/side.data.samples.csv"
expect 1 "side.data.samples.csv:3" "a bad row in the side file: exit 1 naming its line" -- \
	"$TLBSTAT" report -i "$tmp/side.data" --html "$tmp/side.html"

# --- live: real churn with the latency probe, sampled
if [ "$(id -u)" != 0 ] || [ ! -x "$TLBBENCH" ]; then
	skip "live part needs root and tlbbench"; finish; exit
fi
odd="$tmp/w<b>&\"'x"		# the workload's comm: w<b>&"'x
cp "$TLBBENCH" "$odd"
"$TLBSTAT" record -a -g -q --sample sched,vmstat --sample-interval 200ms -o "$tmp/r.data" -- \
	"$odd" mixed --threads 1 --duration 4 --interval-ms 200 --latency-csv "$tmp/lat-ns.csv" \
	>/dev/null 2>"$tmp/rec.err"
check "record -g --sample with the latency probe: exit 0" [ $? -eq 0 ]
# tlbbench's rows end their interval, in ns: their middles, in seconds, for correlate
awk -F, 'NR == 1 { print "time,lat.p50_us,lat.p99_us"; next }
	{ printf "%.9f,%s,%s\n", ($1 - $2 * 5e8) / 1e9, $5, $6 }' "$tmp/lat-ns.csv" >"$tmp/lat-s.csv"
"$TLBSTAT" report -i "$tmp/r.data" --interval 200ms --html "$tmp/rep.html" >/dev/null
check "report --html: exit 0" [ $? -eq 0 ]
"$TLBSTAT" correlate --interval 200ms --html "$tmp/cor.html" "$tmp/r.data" "$tmp/lat-s.csv" \
	>"$tmp/cor.txt"
check "correlate --html (recording, side file, latency CSV): exit 0" [ $? -eq 0 ]
for p in rep cor; do
	check "$p.html parses (html.parser; each SVG as XML; no script, nothing fetched)" parses "$tmp/$p.html"
	check "$p.html: the invalidation panels" \
		grep -q "TLB invalidations per second.*" "$tmp/$p.html"
	check "$p.html: run queue from the sched sampler" grep -q "Run queue and CPU pressure" "$tmp/$p.html"
	check "$p.html: the GPU panel, or 'no GPU sampler data'" grep -q "GPU" "$tmp/$p.html"
	check "$p.html: the odd comm never raw" eval "! grep -q 'w<b>' $tmp/$p.html"
done
check "report's page names the odd comm escaped" grep -q 'w&lt;b&gt;&amp;&quot;&#39;x' "$tmp/rep.html"
check "correlate's page: the latency panel has the P99 line" \
	"$PY" -c "import re,sys; t=open(sys.argv[1]).read(); i=t.index('<h3>Latency (P99)</h3>'); s=t[i:t.index('</svg>', i)]; sys.exit(0 if 'lat.p99_us' in s and '<polyline class=\"s3 line\"' in s else 1)" "$tmp/cor.html"
check "report's page without a latency series says so" grep -q "No latency data" "$tmp/rep.html"
check "the finding is on the page and in the table output" \
	all "grep -q 'class=\"finding' $tmp/cor.html && grep -q '^Burst attribution: lat.p99_us' $tmp/cor.txt"
echo "# live finding: $(grep '^Burst attribution' "$tmp/cor.txt")"
# the live recording's own bursts, constructed spikes after them: causes from its call chains
nb=$(lagged "$tmp/r.data" 100ms "$tmp/lat2.csv")
if [ "${nb:-0}" -gt 0 ]; then
	"$TLBSTAT" correlate --json --interval 100ms --window 1 --html "$tmp/c2.html" \
		"$tmp/r.data" "$tmp/lat2.csv" >"$tmp/c2.json"
	check "a recording with call chains: the bursts' causes in the attribution ($nb bursts)" \
		"$PY" -c "import json,sys; a=json.load(open(sys.argv[1]))['attribution']
sys.exit(0 if a['causes'] and all('causes' in b for s in a['spike_list'] for b in s['bursts']) and 'their causes (call chains): ' in a['finding'] else 1)" "$tmp/c2.json"
	check "... and in the page's finding" grep -q 'their causes (call chains): ' "$tmp/c2.html"
else
	skip "the live recording had no bursts at 100 ms: no causes to check"
fi
if sanitized; then
	skip "the Chromium render: the pages are tlbstat's output, checked above; Chromium renders them in the plain suite"
elif [ -n "$CHROME" ] && timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu \
		--dump-dom "file://$tmp/fx.html" >/dev/null 2>&1; then
	check "headless Chromium renders report's page to a PNG that is not blank" render rep
	check "... and correlate's" render cor
else
	skip "chromium is missing or cannot run here (scripts/install-deps.sh installs it): no render test"
fi
finish
