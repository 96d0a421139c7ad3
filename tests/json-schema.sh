#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every command's --json output against its versioned schema (Documentation/json.md,
# Documentation/schema/<command>.json), with python3-jsonschema (Draft 2020-12). report and
# transport need no privileges; stat and transport --probe count real tracepoints (root; a live
# test: run it under the live lock). A schema that has no document or a command whose --json has
# no schema fails, and so do documents broken on purpose (the validator must be able to say no).
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
SCHEMA=Documentation/schema
DATA=tests/data

if ! "$PY" -c 'import jsonschema' 2>/dev/null; then
	skip "python3-jsonschema is not installed (scripts/install-deps.sh installs it)"; finish; exit
fi
if [ ! -x "$TLBSTAT" ]; then skip "tlbstat not built ($TLBSTAT)"; finish; exit; fi

# valid SCHEMA FILE...: every JSON document in FILEs (one per line) is valid
valid() {
	"$PY" - "$@" <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
docs = bad = 0
for path in sys.argv[2:]:
    for n, line in enumerate(open(path), 1):
        if not line.strip():
            continue
        docs += 1
        for e in v.iter_errors(json.loads(line)):
            bad += 1
            print(f"# {path}:{n}: /{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}")
sys.exit(0 if docs and not bad else 1)
PY
}
# refused SCHEMA FILE: the (one) document in FILE is invalid, and says so
refused() {
	! "$PY" -c "import json,sys,jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])),
		    cls=jsonschema.Draft202012Validator)" "$1" "$2" >/dev/null 2>&1
}
# mutate IN OUT PYTHON-EXPR: OUT is IN's first document after the expression changed d
mutate() {
	"$PY" -c "import json,sys; d=json.loads(open(sys.argv[1]).readline()); $3; print(json.dumps(d))" "$1" >"$2"
}

# --- the schemas themselves, and which commands have one
for s in "$SCHEMA"/*.json; do
	check "$(basename "$s") is a valid Draft 2020-12 schema" "$PY" -c "import json,sys,jsonschema
jsonschema.Draft202012Validator.check_schema(json.load(open(sys.argv[1])))" "$s"
done
for cmd in $("$TLBSTAT" --help | awk '/The commands are/ {on=1; next} on && NF >= 2 && /^   / {print $1}'); do
	if "$TLBSTAT" "$cmd" --help 2>&1 | grep -q -- '--json'; then
		check "$cmd has --json: $SCHEMA/$cmd.json exists, json.md names it" \
			test -f "$SCHEMA/$cmd.json" -a "$(grep -c "schema/$cmd.json" Documentation/json.md)" -ge 1
	fi
done

# --- report: three recordings (perf's and ours), each section switched on
n=0
for f in perf-tlb-pvm tlbstat-ipi perf-ipi; do
	for opts in "" "-T --sort pid,comm,reason,cpu --top 0" "--interval 10ms -T --top 3"; do
		# shellcheck disable=SC2086
		"$TLBSTAT" report -i "$DATA/$f.data" --json $opts >"$tmp/report.$n.json" 2>/dev/null
		check "report -i $f.data --json $opts: valid" valid "$SCHEMA/report.json" "$tmp/report.$n.json"
		n=$((n + 1))
	done
done
check "report: the flush-handler section (--cost recording) was among them" \
	grep -q '"flush_handler":{"recorded":true' "$tmp"/report.*.json

# --- the validator says no: documents broken on purpose are refused
for m in 'del d["reasons"]' 'd["health"] = "purple"' 'd["schema_version"] = 2' \
	 'd["processes"][0]["invalidations"] = -1' 'd["per_cpu"][0]["reasons"]["frobs"] = 1'; do
	mutate "$tmp/report.0.json" "$tmp/bad.json" "$m"
	check "report document with $m: refused" refused "$SCHEMA/report.json" "$tmp/bad.json"
done

# --- correlate: two recordings on a 1 ms grid
"$TLBSTAT" correlate --json --interval 1ms "$DATA/tlbstat-ipi.data" "$DATA/perf-ipi.data" \
	>"$tmp/correlate.json" 2>/dev/null
check "correlate --json (two recordings): valid" valid "$SCHEMA/correlate.json" "$tmp/correlate.json"
mutate "$tmp/correlate.json" "$tmp/bad.json" 'd["pairs"][0]["verdict"] = "maybe"'
check "correlate document with a made-up verdict: refused" refused "$SCHEMA/correlate.json" "$tmp/bad.json"

# --- transport
"$TLBSTAT" transport --json >"$tmp/transport.json" 2>/dev/null
check "transport --json: valid" valid "$SCHEMA/transport.json" "$tmp/transport.json"

if [ "$(id -u)" != 0 ] || [ ! -x "$TLBBENCH" ]; then
	skip "stat and transport --probe need root and tlbbench"; finish; exit
fi
"$TLBSTAT" transport --json --probe -d 300ms >"$tmp/probe.json" 2>/dev/null
check "transport --json --probe: valid" valid "$SCHEMA/transport.json" "$tmp/probe.json"
check "... with its probe" grep -q '"probe":' "$tmp/probe.json"

# --- stat: summary, intervals, repeats with -e, one CPU; stdout stays the command's
"$TLBSTAT" stat -j -o "$tmp/stat1.json" -- "$TLBBENCH" mmap --threads 1 --ops 1000 >/dev/null
check "stat -j -- tlbbench: valid" valid "$SCHEMA/stat.json" "$tmp/stat1.json"
"$TLBSTAT" stat -a -j -I 100 -d 350ms 2>"$tmp/stat2.json"
check "stat -j -I 100 (intervals, then the summary, on stderr): valid" \
	valid "$SCHEMA/stat.json" "$tmp/stat2.json"
check "... 3 interval documents and the summary" test "$(grep -c . "$tmp/stat2.json")" -eq 4
"$TLBSTAT" stat -j -r 2 -e remote_ipi_send,task_switch -o "$tmp/stat3.json" -- true
check "stat -j -r 2 -e (runs, noise_pct, two reasons): valid" valid "$SCHEMA/stat.json" "$tmp/stat3.json"
"$TLBSTAT" stat -j -A -C 0 -d 100ms -o "$tmp/stat4.json"
check "stat -j -A -C 0: valid" valid "$SCHEMA/stat.json" "$tmp/stat4.json"
for m in 'del d["transport"]' 'd["reasons"]["frobs"] = 1' 'd["runs"] = 0' 'd["per_cpu"] = []'; do
	mutate "$tmp/stat1.json" "$tmp/bad.json" "$m"
	check "stat summary with $m: refused" refused "$SCHEMA/stat.json" "$tmp/bad.json"
done
mutate "$tmp/stat2.json" "$tmp/bad.json" 'd["transport"] = "ipi"'
check "stat interval document with a transport: refused" refused "$SCHEMA/stat.json" "$tmp/bad.json"
finish
