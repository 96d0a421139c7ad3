#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Call chains (issue 16): record -g, report --sort cause|callsite and --folded.
# (1) usage errors; (2) tlbbench's mmap, mprotect and madvise workloads land under munmap,
# mprotect and madvise for >= 95 % of their invalidations; (3) a program built with frame
# pointers (tests/data/callchain/fp-victim.c) is attributed to its own functions; (4) report
# --folded --no-inline on perf's own -g file, and on tlbstat's, gives exactly the stacks `perf
# script` prints (folded by tests/fold-perf-script.py; perf 6.1 expands no inline frames in
# frame-pointer chains, tlbstat does where debug info has them); perf report -g reads tlbstat's file, perf buildid-list
# its build-ids; (5) report --flamegraph's SVG parses as XML and headless Chromium renders it;
# (6) --call-graph dwarf: tests/fixtures/dwarf-victim.c built with frame pointers and without
# (-O2 -fomit-frame-pointer -fasynchronous-unwind-tables, as distributions build): -g loses the
# omit build's own functions, dwarf names them for >= 95 % of its munmap invalidations, and
# report --folded --no-inline on perf's and on tlbstat's dwarf files equals `perf script
# --no-inline` folded (with inline on, perf names a libc function with debug info by its DWARF
# name, marked inlined; tlbstat keeps the ELF symbol); (7) inline
# frames and --srcline: tests/fixtures/inline-victim.c (-O2 -g; madvise through an always_inline
# helper in a static inline function) folds with both inlined functions as frames, --no-inline
# without them, --srcline and --sort srcline name the call's line (grepped from the source), -g
# marks "(inlined)", and the program's frames and lines equal perf report -g folded,address's.
# Root, tracefs, perf and cc needed for (2)-(4), (6) and (7); about 20 s.
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
FOLD="$PY $(dirname "$0")/fold-perf-script.py"

if [ ! -x "$TLBSTAT" ] || [ ! -x "$TLBBENCH" ]; then
	skip "tlbstat or tlbbench not built ($TLBSTAT, $TLBBENCH)"; finish; exit
fi

# ---- (1) usage
expect 2 "unknown mode 'lbr'" "record --call-graph lbr is refused (fp, dwarf[,size])" -- \
	"$TLBSTAT" record --call-graph lbr -o "$T/x.data" -- true
expect 2 "bad stack dump size '0'" "record --call-graph dwarf,0 is refused" -- \
	"$TLBSTAT" record --call-graph dwarf,0 -o "$T/x.data" -- true
expect 2 "bad stack dump size '65536'" "record --call-graph dwarf,65536 is refused (max 65528)" -- \
	"$TLBSTAT" record --call-graph dwarf,65536 -o "$T/x.data" -- true
expect 2 "bad stack dump size '8k'" "record --call-graph dwarf,8k is refused (bytes, a number)" -- \
	"$TLBSTAT" record --call-graph dwarf,8k -o "$T/x.data" -- true
expect 2 "cause, callsite and srcline go alone" "report --sort cause,pid" -- \
	"$TLBSTAT" report -i "$T/none.data" --sort cause,pid
expect 2 "cause, callsite and srcline go alone" "report --sort srcline,comm" -- \
	"$TLBSTAT" report -i "$T/none.data" --sort srcline,comm
expect 2 "inline and --no-inline together" "report --inline --no-inline" -- \
	"$TLBSTAT" report -i "$T/none.data" --inline --no-inline
expect 2 "folded prints the stacks alone" "report --folded --header" -- \
	"$TLBSTAT" report -i "$T/none.data" --folded --header
expect 2 "caller or callee" "report --call-graph sideways" -- \
	"$TLBSTAT" report -i "$T/none.data" --call-graph sideways

if [ "$(id -u)" != 0 ] || { [ ! -r /sys/kernel/tracing/events/tlb/tlb_flush/format ] &&
   [ ! -r /sys/kernel/debug/tracing/events/tlb/tlb_flush/format ]; }; then
	skip "needs root and tracefs with tlb:tlb_flush"; finish; exit
fi

"$TLBSTAT" record -q -o "$T/plain.data" -- "$TLBBENCH" madvise --ops 10 --probe-threads 0 \
	>/dev/null 2>&1
expect 1 "no call chains: record with -g" "report --folded on a file without chains" -- \
	"$TLBSTAT" report -i "$T/plain.data" --folded

# ---- (2) each workload under its cause
# share FILE CAUSE: the cause's share of tlbbench's invalidations (report --sort cause --json)
share() {
	"$TLBSTAT" report -i "$1" --sort cause --comms tlbbench --json 2>/dev/null |
	"$PY" -c "import json,sys
d = json.load(sys.stdin)['causes']
tot = sum(c['invalidations'] for c in d)
print('%.4f' % (sum(c['invalidations'] for c in d if c['cause'] == sys.argv[1]) / max(tot, 1)))" "$2"
}
# The workload: tlbbench as users run it. In the sanitizer stage $TLBBENCH is ASan-built, and
# ASan's own shadow mmaps/munmaps add flushes of other causes (madvise held 94 % there): use the
# plain build beside it when there is one (make check builds it first).
bench=$TLBBENCH
if ldd "$bench" 2>/dev/null | grep -q libasan && [ -x build/tlbbench ] &&
	! ldd build/tlbbench 2>/dev/null | grep -q libasan; then
	bench=build/tlbbench
fi
for wc in mmap:munmap mprotect:mprotect madvise:madvise; do
	w=${wc%%:*} c=${wc#*:}
	"$TLBSTAT" record -q -g -o "$T/$w.data" -- "$bench" "$w" --ops 2000 --probe-threads 0 \
		>/dev/null 2>"$T/$w.err"
	s=$(share "$T/$w.data" "$c")
	check "tlbbench $w: $c holds $s of its invalidations (>= 0.95)" \
		"$PY" -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 0.95 else 1)" "${s:-0}"
done

# --kernel-callchains: the cause from kernel chains alone, and no user frame in the file
"$TLBSTAT" record -q --kernel-callchains -o "$T/kern.data" -- "$bench" mmap --ops 2000 \
	--probe-threads 0 >/dev/null 2>"$T/kern.err"
s=$(share "$T/kern.data" munmap)
check "record --kernel-callchains: munmap holds $s of tlbbench mmap's invalidations (>= 0.95)" \
	"$PY" -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 0.95 else 1)" "${s:-0}"
if command -v perf >/dev/null; then
	# perf script prints each sample's chain below it, a tab and an address per frame
	perf script -i "$T/kern.data" 2>/dev/null | awk '/^\t+ *[0-9a-f]+ / { n++;
		if ($1 !~ /^ffff/) u++ } END { print n + 0, u + 0 }' >"$T/kern.ips"
	read -r nips uips <"$T/kern.ips"
	check "record --kernel-callchains: perf script reads $nips chain addresses, none in user space ($uips)" \
		test "$nips" -gt 2000 -a "$uips" -eq 0
fi
expect 2 "dwarf is about user stacks" "record --kernel-callchains --call-graph dwarf is refused" -- \
	"$TLBSTAT" record --kernel-callchains --call-graph dwarf -o "$T/x.data" -- true

# ---- (3) a frame-pointer program, attributed to its own functions
if cc -O1 -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-shrink-wrap -fno-inline \
	-o "$T/fpv" "$(dirname "$0")/data/callchain/fp-victim.c" 2>"$T/cc.err"; then
	"$TLBSTAT" record -q -g -o "$T/fpv.data" -- "$T/fpv" 2000 >/dev/null 2>&1
	"$TLBSTAT" report -i "$T/fpv.data" --folded >"$T/fpv.folded" 2>"$T/fpv.ferr"
	check "fp-victim: >= 95 % of its madvise flushes under main;serve_requests;trim_arena" \
		"$PY" - "$T/fpv.folded" <<'PY'
import sys
mine = tot = 0
for line in open(sys.argv[1]):
    stack, n = line.rsplit(" ", 1)
    if "__x64_sys_madvise" not in stack:
        continue
    tot += int(n)
    if ";main;serve_requests;trim_arena;entry_SYSCALL" in stack:
        mine += int(n)
print("# %d of %d" % (mine, tot))
sys.exit(0 if tot >= 2000 and mine >= 0.95 * tot else 1)
PY
	"$TLBSTAT" report -i "$T/fpv.data" --call-graph caller --json >"$T/fpv.g.json" 2>/dev/null
	check "fp-victim: -g caller order runs main -> serve_requests -> trim_arena" \
		"$PY" - "$T/fpv.g.json" <<'PY'
import json, sys
nodes = json.load(open(sys.argv[1]))["call_graph"]["nodes"]
by_id = {n["id"]: n for n in nodes}
def path(n):
    out = []
    while n["parent"] >= 0:
        out.append(n["name"])
        n = by_id[n["parent"]]
    return out[::-1]
sys.exit(0 if any(path(n)[-3:] == ["main", "serve_requests", "trim_arena"] and
                  n["invalidations"] >= 1900 for n in nodes) else 1)
PY
	top=$("$TLBSTAT" report -i "$T/fpv.data" --sort callsite --json 2>/dev/null |
	      "$PY" -c "import json,sys; print(json.load(sys.stdin)['callsites'][0]['callsite'])")
	check "fp-victim: --sort callsite puts trim_arena first ($top)" test "$top" = trim_arena
else
	skip "no C compiler: $(head -c 200 "$T/cc.err")"
fi

# ---- (4) the same stacks as perf script, on perf's file and on ours
if command -v perf >/dev/null; then
	perf record -q -g -e tlb:tlb_flush -o "$T/perf-g.data" -- "$TLBBENCH" madvise --ops 1000 \
		--probe-threads 0 >/dev/null 2>&1
	for f in perf-g madvise; do
		perf script -i "$T/$f.data" 2>/dev/null | $FOLD tlb:tlb_flush >"$T/$f.perf"
		# perf 6.1 adds inline frames to dwarf chains only: like with like, --no-inline
		"$TLBSTAT" report -i "$T/$f.data" --folded --no-inline >"$T/$f.ours" 2>"$T/$f.err"
		check "report --folded --no-inline on $f.data = perf script's stacks ($(wc -l <"$T/$f.ours") lines)" \
			test -s "$T/$f.ours" -a -z "$(diff "$T/$f.perf" "$T/$f.ours" | head -5)"
	done
	perf buildid-list -i "$T/fpv.data" >"$T/ids" 2>/dev/null
	want=$(readelf -n "$T/fpv" 2>/dev/null | awk '/Build ID/ {print $3}')
	check "record -g: the build-ids of the kernel and of fp-victim, as perf buildid-list reads" \
		test -n "$want" -a "$(grep -c "^$want $T/fpv\$" "$T/ids")" -eq 1 -a \
		"$(grep -c "^$(perf buildid-list -k 2>/dev/null) \[kernel.kallsyms\]" "$T/ids")" -eq 1
	perf report -i "$T/madvise.data" --stdio --no-children -g folded --sort comm \
		>"$T/pr.out" 2>"$T/pr.err"
	check "perf report -g reads tlbstat's file (madvise chains, nothing on stderr)" \
		test "$(grep -c "__x64_sys_madvise" "$T/pr.out")" -gt 0 -a ! -s "$T/pr.err"
else
	skip "perf not installed"
fi

# ---- (5) the flame graph: XML, self-contained, rendered by a browser
"$TLBSTAT" report -i "$T/madvise.data" --flamegraph "$T/fg.svg" >/dev/null 2>"$T/fg.err"
check "report --flamegraph writes an SVG that parses as XML, with frames and its own script" \
	"$PY" - "$T/fg.svg" <<'PY'
import sys, xml.etree.ElementTree as E
root = E.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
frames = root.findall(ns + "g")
text = open(sys.argv[1]).read()
ok = (root.tag == ns + "svg" and len(frames) >= 10 and root.find(ns + "script") is not None
      and "__x64_sys_madvise" in text and "http:" not in text.replace(
          'xmlns="http://www.w3.org/2000/svg"', "") and "href" not in text)
sys.exit(0 if ok else 1)
PY
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROME" ]; then
	timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --window-size=1220,600 \
		--screenshot="$T/fg.png" "file://$T/fg.svg" >/dev/null 2>&1
	check "headless Chromium renders it to a PNG that is not blank" "$PY" - "$T/fg.png" <<'PY'
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n"
i, idat = 8, b""
while i < len(d):
    n, kind = struct.unpack(">I4s", d[i:i + 8])
    if kind == b"IDAT":
        idat += d[i + 8:i + 8 + n]
    i += 12 + n
pixels = zlib.decompress(idat)
# a blank page is one colour: its rows differ in nothing but filter bytes
sys.exit(0 if len(set(pixels)) > 50 else 1)
PY
else
	skip "chromium is not installed (scripts/install-deps.sh installs it): no render test"
fi

# ---- (6) --call-graph dwarf
# under FILE STACK: "IN TOTAL" of the munmap invalidations in report --folded's FILE
under() {
	"$PY" - "$1" "$2" <<'PY'
import sys
mine = tot = 0
for line in open(sys.argv[1]):
    stack, n = line.rsplit(" ", 1)
    if "__x64_sys_munmap" in stack:
        tot += int(n)
        mine += int(n) if sys.argv[2] in stack else 0
print(mine, tot)
PY
}
# at_least IN TOTAL SHARE: IN >= SHARE * TOTAL and TOTAL >= 2000
at_least() { "$PY" -c "import sys; i, t, s = map(float, sys.argv[1:]); sys.exit(0 if t >= 2000 and i >= s * t else 1)" "$@"; }
own=";main;serve_requests;release_block;"
src="$(dirname "$0")/fixtures/dwarf-victim.c"
if cc -O2 -fomit-frame-pointer -fasynchronous-unwind-tables -o "$T/dwv-omit" "$src" \
	2>"$T/cc.err" && cc -O2 -fno-omit-frame-pointer -o "$T/dwv-fp" "$src" 2>>"$T/cc.err"; then
	for b in fp omit; do
		"$TLBSTAT" record -q -g -o "$T/dwv-$b-g.data" -- "$T/dwv-$b" 2000 >/dev/null 2>&1
		"$TLBSTAT" report -i "$T/dwv-$b-g.data" --folded >"$T/dwv-$b-g.folded" 2>/dev/null
		"$TLBSTAT" record -q --call-graph dwarf -o "$T/dwv-$b-dw.data" -- "$T/dwv-$b" 2000 \
			>/dev/null 2>"$T/dwv-$b-dw.err"
		"$TLBSTAT" report -i "$T/dwv-$b-dw.data" --folded >"$T/dwv-$b-dw.folded" \
			2>"$T/dwv-$b-dw.rerr"
	done
	# the frame-pointer build: -g reaches main and serve_requests (release_block is lost in
	# any case: libc's munmap wrapper makes no frame, so the walk skips its caller)
	set -- $(under "$T/dwv-fp-g.folded" ";main;serve_requests;__munmap;")
	check "dwarf-victim, frame pointers, -g: $1 of $2 munmap flushes under main;serve_requests" \
		at_least "$1" "$2" 0.95
	set -- $(under "$T/dwv-omit-g.folded" ";main;")
	check "dwarf-victim, no frame pointers, -g: its functions lost ($1 of $2 under main)" \
		test "${2:-0}" -ge 2000 -a "${1:-1}" -le "$(( ${2:-0} / 20 ))"
	for b in omit fp; do
		set -- $(under "$T/dwv-$b-dw.folded" "$own")
		check "dwarf-victim ($b), --call-graph dwarf: $1 of $2 munmap flushes under main;serve_requests;release_block (>= 95 %)" \
			at_least "$1" "$2" 0.95
	done
	top=$("$TLBSTAT" report -i "$T/dwv-omit-dw.data" --sort callsite --json 2>/dev/null |
	      "$PY" -c "import json,sys; print(json.load(sys.stdin)['callsites'][0]['callsite'])")
	check "dwarf-victim, dwarf: --sort callsite puts release_block first ($top)" \
		test "$top" = release_block
	if command -v perf >/dev/null; then
		perf record -q --call-graph dwarf -e tlb:tlb_flush -o "$T/perf-dw.data" -- \
			"$T/dwv-omit" 2000 >/dev/null 2>&1
		for f in perf-dw dwv-omit-dw; do
			perf script --no-inline -i "$T/$f.data" 2>/dev/null | $FOLD tlb:tlb_flush \
				>"$T/$f.perf"
			"$TLBSTAT" report -i "$T/$f.data" --folded --no-inline >"$T/$f.ours" 2>"$T/$f.err"
			check "report --folded --no-inline on $f.data = perf script --no-inline's stacks ($(wc -l <"$T/$f.ours") lines, $(grep -c "$own" "$T/$f.ours") through release_block)" \
				test -s "$T/$f.ours" -a -z "$(diff "$T/$f.perf" "$T/$f.ours" | head -5)" -a \
				"$(grep -c "$own" "$T/$f.ours")" -gt 0
		done
	else
		skip "perf not installed: no comparison with perf script on dwarf files"
	fi
	# -p: the running process's mappings come from /proc/PID/maps (all of them: mmap_data)
	"$T/dwv-omit" 100000000 & vp=$!
	sleep 0.3
	"$TLBSTAT" record -q --call-graph dwarf -p "$vp" -d 1 -o "$T/dwv-p.data" >/dev/null 2>&1
	kill "$vp"; wait "$vp" 2>/dev/null
	"$TLBSTAT" report -i "$T/dwv-p.data" --folded >"$T/dwv-p.folded" 2>/dev/null
	set -- $(under "$T/dwv-p.folded" "$own")
	check "record --call-graph dwarf -p: $1 of $2 munmap flushes under main;serve_requests;release_block (>= 95 %)" \
		"$PY" -c "import sys; i, t = map(int, sys.argv[1:]); sys.exit(0 if t >= 100 and i >= 0.95 * t else 1)" "${1:-0}" "${2:-0}"
	if command -v perf >/dev/null; then
		perf script --no-inline -i "$T/dwv-p.data" 2>/dev/null | $FOLD tlb:tlb_flush >"$T/dwv-p.perf"
		"$TLBSTAT" report -i "$T/dwv-p.data" --folded --no-inline >"$T/dwv-p.noinl" 2>/dev/null
		check "... and perf script --no-inline reads the same stacks from it" \
			test -s "$T/dwv-p.noinl" -a -z "$(diff "$T/dwv-p.perf" "$T/dwv-p.noinl" | head -5)"
	fi
else
	skip "no C compiler: $(head -c 200 "$T/cc.err")"
fi

# ---- (7) inline frames and source lines: tests/fixtures/inline-victim.c built -O2 -g
src="$(dirname "$0")/fixtures/inline-victim.c"
l_call=$(grep -n "madvise(block, len, MADV_DONTNEED)" "$src" | cut -d: -f1)
l_drop=$(grep -n "^	drop_pages(block, len);" "$src" | cut -d: -f1)
l_trim=$(grep -n "^		trim_cache(block, len);" "$src" | cut -d: -f1)
if cc -O2 -g -fomit-frame-pointer -fasynchronous-unwind-tables -o "$T/iv" "$src" 2>"$T/cc.err"; then
	"$TLBSTAT" record -q --call-graph dwarf -o "$T/iv.data" -- "$T/iv" 2000 >/dev/null 2>&1
	"$TLBSTAT" report -i "$T/iv.data" --folded >"$T/iv.folded" 2>"$T/iv.err"
	"$TLBSTAT" report -i "$T/iv.data" --folded --no-inline >"$T/iv-noinl.folded" 2>>"$T/iv.err"
	"$TLBSTAT" report -i "$T/iv.data" --folded --srcline >"$T/iv-src.folded" 2>>"$T/iv.err"
	# madv FILE STACK: "IN TOTAL" of the madvise invalidations in a folded FILE
	madv() {
		"$PY" - "$1" "$2" <<'PY'
import sys
mine = tot = 0
for line in open(sys.argv[1]):
    stack, n = line.rsplit(" ", 1)
    if "__x64_sys_madvise" in stack:
        tot += int(n)
        mine += int(n) if sys.argv[2] in stack else 0
print(mine, tot)
PY
	}
	set -- $(madv "$T/iv.folded" ";main;serve_requests;trim_cache;drop_pages;")
	check "inline-victim: $1 of $2 madvise flushes under main;serve_requests;trim_cache;drop_pages (the two inlined functions as frames, >= 95 %)" \
		at_least "$1" "$2" 0.95
	set -- $(madv "$T/iv-noinl.folded" ";main;serve_requests;")
	check "inline-victim, --no-inline: $1 of $2 under main;serve_requests, no inline frame" \
		test "$(grep -c "trim_cache\|drop_pages" "$T/iv-noinl.folded")" -eq 0 -a "${2:-0}" -ge 2000 -a \
		"${1:-0}" -ge "$(( ${2:-0} * 95 / 100 ))"
	want="serve_requests inline-victim.c:$l_trim;trim_cache inline-victim.c:$l_drop;drop_pages inline-victim.c:$l_call;"
	set -- $(madv "$T/iv-src.folded" ";$want")
	check "inline-victim, --srcline: $1 of $2 through $want (lines grepped from the source)" \
		at_least "$1" "$2" 0.95
	top=$("$TLBSTAT" report -i "$T/iv.data" --sort srcline --json 2>/dev/null |
	      "$PY" -c "import json,sys; print(json.load(sys.stdin)['srclines'][0]['srcline'])")
	check "inline-victim: --sort srcline puts the madvise call's line first ($top)" \
		test "$top" = "inline-victim.c:$l_call"
	"$TLBSTAT" report -i "$T/iv.data" --call-graph caller --srcline --json >"$T/iv.g.json" 2>/dev/null
	check "inline-victim: -g --srcline: drop_pages inline-victim.c:$l_call (inlined) in the JSON tree" \
		"$PY" - "$T/iv.g.json" "drop_pages inline-victim.c:$l_call (inlined)" <<'PY'
import json, sys
nodes = json.load(open(sys.argv[1]))["call_graph"]["nodes"]
sys.exit(0 if any(n["name"] == sys.argv[2] and n["invalidations"] >= 1900 for n in nodes) else 1)
PY
	if command -v perf >/dev/null; then
		# perf report -g folded,address on the same file: its frames of the program itself
		# (leaf first, "NAME FILE:LINE [(inlined)]") against ours
		perf report -i "$T/iv.data" --stdio --no-children -g folded,address --sort comm \
			--comms iv 2>/dev/null >"$T/iv.perf"
		check "inline-victim: the program's frames and lines equal perf report -g folded,address's" \
			"$PY" - "$T/iv.perf" "$T/iv-src.folded" <<'PY'
import sys
mine = ("drop_pages", "trim_cache", "serve_requests", "main")
def own(frames):
    return [f.replace(" (inlined)", "") for f in frames if f.split(" ")[0] in mine]
theirs = [own(l.split(" ", 1)[1].split(";")) for l in open(sys.argv[1])
          if "__x64_sys_madvise" in l and "%" in l.split(" ", 1)[0]]
ours = [own(l.rsplit(" ", 1)[0].split(";")[::-1]) for l in open(sys.argv[2])
        if "__x64_sys_madvise" in l]
print("# perf:", theirs[:1], "ours:", ours[:1])
sys.exit(0 if theirs and ours and max(theirs, key=len) == max(ours, key=len) and
         len(max(ours, key=len)) == 4 else 1)
PY
	else
		skip "perf not installed: no comparison with perf report -g folded,address"
	fi
else
	skip "no C compiler: $(head -c 200 "$T/cc.err")"
fi
# ---- (8) the kernel's kallsyms in perf's build-id cache: record -g puts it there when missing
# (-N does not), report reads that copy when its _text is the file's, /proc/kallsyms otherwise
B=$T/buildid
PERF_BUILDID_DIR=$B "$TLBSTAT" record -q --kernel-callchains -o "$T/bc.data" -- "$bench" mmap \
	--ops 200 --probe-threads 0 >/dev/null 2>"$T/bc.err"
kid=$("$PY" - <<'PY'
import struct
d = open("/sys/kernel/notes", "rb").read()
o = 0
while o + 12 <= len(d):
    n, s, t = struct.unpack_from("<III", d, o)
    nm, ds = (n + 3) & ~3, (s + 3) & ~3
    if t == 3 and d[o + 12:o + 12 + n] == b"GNU\0":
        print(d[o + 12 + nm:o + 12 + nm + s].hex()); break
    o += 12 + nm + ds
PY
)
kc="$B/[kernel.kallsyms]/$kid/kallsyms"
check "record -g: this kernel's kallsyms in the build-id cache ([kernel.kallsyms]/${kid:-?}/kallsyms)" \
	test -n "$kid" -a -s "$kc"
check "the cached kallsyms has this boot's _text" \
	test "$(awk '$3 == "_text" { print $1; exit }' "$kc" 2>/dev/null)" = \
	"$(awk '$3 == "_text" { print $1; exit }' /proc/kallsyms)"
PERF_BUILDID_DIR=$T/nocache "$TLBSTAT" record -q -N --kernel-callchains -o "$T/bn.data" -- \
	"$bench" mmap --ops 20 --probe-threads 0 >/dev/null 2>&1
check "record -N: nothing in the build-id cache" test ! -e "$T/nocache"
PERF_BUILDID_DIR=$B "$TLBSTAT" report -i "$T/bc.data" --folded >"$T/bc.folded" 2>/dev/null
PERF_BUILDID_DIR=$B "$TLBSTAT" record -q --kernel-callchains -o - -- "$bench" mmap --ops 200 \
	--probe-threads 0 >"$T/bc.pipe" 2>/dev/null
# cached_fold IN OUT: report --folded of IN with the test's build-id cache
cached_fold() { PERF_BUILDID_DIR=$B "$TLBSTAT" report -i "$1" --folded >"$2" 2>&1; }
# the leaf kernel frame, renamed in the cached copy: report names it from the copy
leaf=$(awk '{ n = split($1, f, ";"); print f[n]; exit }' "$T/bc.folded")
if [ -s "$kc" ] && [ -n "$leaf" ]; then
	cp "$kc" "$T/kallsyms.orig"
	chmod u+w "$kc"
	sed -i "s/ $leaf\$/ ${leaf}_from_cache/" "$kc"
	cached_fold "$T/bc.data" "$T/bc2.folded"
	check "report reads the kernel's symbols from the build-id cache ($leaf renamed there)" \
		grep -q ";${leaf}_from_cache " "$T/bc2.folded"
	# a stream has no HEADER_BUILD_ID: /proc/kallsyms's stand-in, the running kernel's copy
	cached_fold "$T/bc.pipe" "$T/bp2.folded"
	check "and for a stream, the running kernel's copy in place of /proc/kallsyms" \
		grep -q ";${leaf}_from_cache " "$T/bp2.folded"
	# another boot's copy (its _text moved): not used, /proc/kallsyms names the frames
	awk '$3 == "_text" { $1 = "ffffffff00000000" } { print }' "$kc" >"$T/k2" && cp "$T/k2" "$kc"
	cached_fold "$T/bc.data" "$T/bc3.folded"
	check "a cached copy whose _text is not the file's is not used" \
		cmp -s "$T/bc.folded" "$T/bc3.folded"
	cached_fold "$T/bc.pipe" "$T/bp3.folded"
	check "nor one whose _text is not this boot's, in place of /proc/kallsyms" \
		grep -q ";${leaf} " "$T/bp3.folded"
else
	for i in 1 2 3 4; do skip "no cached kallsyms or no kernel frame (leaf '$leaf')"; done
fi
finish
