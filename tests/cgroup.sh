#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Cgroups, with cgroups this test makes under the hierarchy perf_event is on (cgroup2, or a v1
# perf_event mount) and tlbbench churns moved into them: record --all-cgroups then report
# --sort cgroup splits the invalidations between them (each within 5 % of its churn process's
# own count and at least 95 % of its op count; a cgroup made while recording is named from the
# kernel's record), perf report --sort cgroup reads our file, tlbstat report reads perf record
# --all-cgroups files, top -b -s cgroup shows both, exporter --by cgroup serves cgroup (and
# container, pod) series that promtool accepts, at most K+1 of them, the rest in
# cgroup="other". Skipped without root or a cgroup hierarchy. TAP. About 40 s.
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
pids=()
CG=""
MNT=""
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ -n "$CG" ] && [ -d "$CG" ]; then
		# leftovers (none unless a step failed) back to the root, then the tree, deepest first
		find "$CG" -name cgroup.procs | while read -r f; do
			while read -r p; do echo "$p" >"$MNT/cgroup.procs" 2>/dev/null; done <"$f"
		done
		find "$CG" -depth -type d -exec rmdir {} \; 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# usage errors and help: no privileges needed
expect 2 "pid or cgroup" "exporter --by nonsense: usage error" -- "$TLBSTAT" exporter --by nonsense
expect 2 "unknown sort key" "top -s cgroup,nonsense: usage error" -- "$TLBSTAT" top -b -s cgroup,nonsense
expect 2 "unknown sort key 'cgroupx'" "report --sort cgroupx: usage error" -- \
	"$TLBSTAT" report --sort cgroupx -i /dev/null
check "record --help names --all-cgroups" bash -c "'$TLBSTAT' record --help 2>&1 | grep -q -- --all-cgroups"
check "exporter --help names --by" bash -c "'$TLBSTAT' exporter --help 2>&1 | grep -q -- '--by'"

if [ "$(id -u)" -ne 0 ]; then
	skip "the rest needs root (tracepoints, cgroups)"
	finish; exit
fi
# the hierarchy PERF_SAMPLE_CGROUP ids come from, as perf (and lib/cgroup.c) find it
MNT=$("$PY" - <<'EOF'
v1 = v2 = None
for l in open('/proc/self/mountinfo'):
    a, b = l.rstrip('\n').split(' - ', 1)
    f, t = a.split(), b.split()
    if t[0] == 'cgroup2' and not v2:
        v2 = f[4]
    if t[0] == 'cgroup' and len(t) > 2 and 'perf_event' in t[2].split(',') and not v1:
        v1 = f[4]
print(v1 or v2 or '')
EOF
)
if [ -z "$MNT" ]; then
	skip "no cgroup v2 (or v1 perf_event) hierarchy is mounted: nothing to attribute"
	finish; exit
fi
name=tlbstat-test-$$
CG=$MNT/$name
if ! mkdir -p "$CG/a" "$CG/b" 2>/dev/null; then
	skip "cannot make cgroups under $MNT (read-only, or delegated elsewhere)"
	CG=""
	finish; exit
fi
echo "# cgroups under $CG"

# in_cg DIR CMD...: CMD in the cgroup DIR (relative to $CG), same pid (exec)
cat >"$tmp/in_cg" <<EOF
#!/bin/sh
d=\$1; shift
echo \$\$ > "$CG/\$d/cgroup.procs" || exit 99
exec "\$@"
EOF
chmod +x "$tmp/in_cg"
IN="$tmp/in_cg"

# ---- record --all-cgroups, report --sort cgroup ----
OPS_A=3000 OPS_B=4000 OPS_C=500
cat >"$tmp/work.sh" <<EOF
"$IN" a "$TLBBENCH" mprotect --ops $OPS_A --probe-threads 0 --json >"$tmp/a.json" &
"$IN" b "$TLBBENCH" madvise --ops $OPS_B --probe-threads 0 --json >"$tmp/b.json" &
mkdir "$CG/c" && "$IN" c "$TLBBENCH" mprotect --ops $OPS_C --probe-threads 0 >/dev/null
wait
EOF
"$TLBSTAT" record -q --all-cgroups -o "$tmp/cg.data" -- sh "$tmp/work.sh" 2>"$tmp/rec.err"
check "record --all-cgroups with churns in two cgroups" test -s "$tmp/cg.data"
"$TLBSTAT" report -i "$tmp/cg.data" --sort cgroup --json >"$tmp/r.json" 2>"$tmp/r.err"
check "report --sort cgroup --json: exit 0" test $? -eq 0
# the cgroups' rows and the churn processes' own rows (keyed by pid, not by cgroup)
"$PY" - "$tmp/r.json" "$tmp/a.json" "$tmp/b.json" "/$name" >"$tmp/split" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
rows = {x['cgroup']: x for x in r['histogram']['rows']}
for cg, js in (('a', sys.argv[2]), ('b', sys.argv[3])):
    b = json.load(open(js))
    p = [x for x in r['processes'] if x['pid'] == b['pid']]
    row = rows.get(sys.argv[4] + '/' + cg, {})
    print(cg, row.get('invalidations', 0), p[0]['invalidations'] if p else 0, b['ops'],
          row.get('cgroup_id', 0))
c = rows.get(sys.argv[4] + '/c', {})
print('c', c.get('invalidations', 0), 0, 0, c.get('cgroup_id', 0))
EOF
cat "$tmp/split" | sed 's/^/# cgroup invalidations process-invalidations ops id: /'
while read -r cg n proc ops id; do
	[ "$cg" = c ] && continue
	check "report: cgroup $cg has a row with its id" test "$id" -gt 0
	check "report: cgroup $cg's invalidations ($n) within 5% of its churn process's ($proc)" \
		within "$n" "$proc" 5
	check "report: cgroup $cg's invalidations ($n) >= 95% of the churn's ops ($ops)" \
		"$PY" -c "import sys; sys.exit(0 if $n >= 0.95 * $ops > 0 else 1)"
done <"$tmp/split"
read -r _ nc _ _ _ < <(grep '^c ' "$tmp/split")
check "report: a cgroup made while recording is named by the kernel's record ($nc >= 95% of $OPS_C)" \
	"$PY" -c "import sys; sys.exit(0 if $nc >= 0.95 * $OPS_C else 1)"
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	check "report --sort cgroup --json follows Documentation/schema/report.json" "$PY" -c "
import json, jsonschema
s = json.load(open('Documentation/schema/report.json'))
d = json.load(open('$tmp/r.json'))
jsonschema.Draft202012Validator(s).validate(d)
assert any('cgroup_id' in r for r in d['histogram']['rows'])"
else
	skip "python3-jsonschema missing: the --sort cgroup JSON against its schema"
fi
"$TLBSTAT" report -i "$tmp/cg.data" --sort cgroup >"$tmp/r.txt" 2>&1
check "report --sort cgroup (stdio) names both paths" \
	bash -c "grep -q ' /$name/a ' '$tmp/r.txt' && grep -q ' /$name/b ' '$tmp/r.txt'"

# perf reads our file by cgroup: its tlb_flush shares match ours
if command -v perf >/dev/null; then
	perf report -i "$tmp/cg.data" --sort cgroup --stdio >"$tmp/perf.txt" 2>"$tmp/perf.err"
	"$PY" - "$tmp/perf.txt" "$tmp/r.json" "/$name" >"$tmp/shares" <<'EOF'
import json, sys
ours = json.load(open(sys.argv[2]))
total = sum(x['invalidations'] for x in ours['histogram']['rows'])
rows = {x['cgroup']: x['invalidations'] for x in ours['histogram']['rows']}
sec, perf = None, {}
for l in open(sys.argv[1]):
    if l.startswith('# Samples:'):
        sec = "'tlb:tlb_flush'" in l
    elif sec and l.strip().endswith(tuple('abc')) and '%' in l:
        pct, path = l.split()
        perf[path] = float(pct.rstrip('%'))
for cg in 'abc':
    p = sys.argv[3] + '/' + cg
    print(cg, perf.get(p, -1), 100.0 * rows.get(p, 0) / max(total, 1))
EOF
	sed 's/^/# perf% ours%: /' "$tmp/shares"
	while read -r cg pp op; do
		check "perf report --sort cgroup on our file: $cg at $pp % (ours $op %)" \
			"$PY" -c "import sys; sys.exit(0 if $pp >= 0 and abs($pp - $op) <= 0.5 else 1)"
	done <"$tmp/shares"
	# and tlbstat reads perf's own --all-cgroups recording
	cat >"$tmp/work2.sh" <<EOF
"$IN" a "$TLBBENCH" mprotect --ops 1000 --probe-threads 0 >/dev/null &
"$IN" b "$TLBBENCH" madvise --ops 1000 --probe-threads 0 >/dev/null &
wait
EOF
	if perf record -q -e tlb:tlb_flush --all-cgroups -o "$tmp/perf.data" -- sh "$tmp/work2.sh" \
		>/dev/null 2>"$tmp/perfrec.err"; then
		"$TLBSTAT" report -i "$tmp/perf.data" --sort cgroup --json >"$tmp/p.json" 2>/dev/null
		for cg in a b; do
			n=$("$PY" -c "import json,sys; r=json.load(open(sys.argv[1])); print(sum(x['invalidations'] for x in r['histogram']['rows'] if x['cgroup']==sys.argv[2]))" "$tmp/p.json" "/$name/$cg")
			check "report reads perf record --all-cgroups: $cg has $n (>= 950 of 1000 ops)" test "$n" -ge 950
		done
	else
		skip "perf record --all-cgroups failed: $(head -c 200 "$tmp/perfrec.err")"
	fi
else
	skip "perf missing: perf report --sort cgroup on our file"
fi

# a file without cgroup ids: said, not failed
"$TLBSTAT" record -q -o "$tmp/plain.data" -- true 2>/dev/null
expect 0 "no cgroup ids .*--all-cgroups" "report --sort cgroup on a file without cgroup ids: a warning" -- \
	"$TLBSTAT" report -i "$tmp/plain.data" --sort cgroup

# ---- top -b -s cgroup ----
"$TLBSTAT" top -b -s cgroup -n 4 -d 1 >"$tmp/top.out" 2>"$tmp/top.err" &
top=$!
pids+=("$top")
sleep 0.5
"$IN" a "$TLBBENCH" mprotect --duration 3 --rate 1000 --probe-threads 0 >/dev/null 2>&1 &
"$IN" b "$TLBBENCH" madvise --duration 3 --rate 1000 --probe-threads 0 >/dev/null 2>&1 &
wait "$top"
check "top -s cgroup: exit 0, CGROUP and CONTAINER columns" \
	bash -c "grep -q ' CGROUP .* CONTAINER .* PROCS ' '$tmp/top.out'"
check "top -s cgroup: shows /$name/a and /$name/b" \
	bash -c "grep -q '^ /$name/a ' '$tmp/top.out' && grep -q '^ /$name/b ' '$tmp/top.out'"
wait

# ---- exporter --by cgroup: labels, container and pod, K + other ----
if ! command -v curl >/dev/null; then
	skip "curl missing: exporter --by cgroup"
	finish; exit
fi
K=3	# the two busy cgroups and the root (whatever else runs on the machine)
PORT=${CGROUP_TEST_PORT:-19137}
ID=4f1c4c9e0a5d7b2e8a9f0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5
POD=7a1b2c3d_4e5f_6789_abcd_ef0123456789
K8S=kubepods-besteffort-pod$POD.slice/cri-containerd-$ID.scope
mkdir -p "$CG/$K8S" "$CG/d1" "$CG/d2" "$CG/d3"
"$TLBSTAT" exporter --by cgroup --top $K --interval 1 --listen 127.0.0.1:$PORT \
	>"$tmp/exp.out" 2>"$tmp/exp.err" &
exp=$!
pids+=("$exp")
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
# two busy cgroups (in the top K) and three slower ones (other)
"$IN" a "$TLBBENCH" mprotect --duration 7 --rate 1500 --probe-threads 0 >/dev/null 2>&1 &
"$IN" "$K8S" "$TLBBENCH" madvise --duration 7 --rate 1500 --probe-threads 0 >/dev/null 2>&1 &
"$IN" d1 "$TLBBENCH" mprotect --duration 7 --rate 200 --probe-threads 0 >/dev/null 2>&1 &
"$IN" d2 "$TLBBENCH" mprotect --duration 7 --rate 200 --probe-threads 0 >/dev/null 2>&1 &
"$IN" d3 "$TLBBENCH" mprotect --duration 7 --rate 200 --probe-threads 0 >/dev/null 2>&1 &
ok_k=1
for i in $(seq 7); do
	sleep 1
	curl -s -o "$tmp/m$i" "http://127.0.0.1:$PORT/metrics"
	n=$(grep -c '^tlb_invalidations_total{' "$tmp/m$i")
	[ "$n" -le $((K + 1)) ] || { ok_k=0; echo "# scrape $i: $n series"; }
done
wait_churn() { for p in $(jobs -p); do [ "$p" = "$exp" ] || wait "$p" 2>/dev/null; done; }
wait_churn
last=$tmp/m7
check "exporter --by cgroup: every scrape has at most K+1 = $((K + 1)) cgroup series" test "$ok_k" -eq 1
check "exporter --by cgroup: a series with cgroup=\"/$name/a\"" \
	bash -c "cat '$tmp'/m[2-7] | grep -q '^tlb_invalidations_total{cgroup=\"/$name/a\"} [1-9]'"
check "exporter --by cgroup: the containerd scope's series carries container and pod labels" \
	bash -c "cat '$tmp'/m[2-7] | grep -q '^tlb_invalidations_total{cgroup=\"/$name/$K8S\",container=\"$ID\",pod=\"${POD//_/-}\"} [1-9]'"
check "exporter --by cgroup: the rest summed into cgroup=\"other\" (> 0)" \
	grep -q '^tlb_invalidations_total{cgroup="other"} [1-9]' "$last"
check "exporter --by cgroup: no pid label" bash -c "! grep -q '^tlb_invalidations_total{pid=' '$last'"
if command -v promtool >/dev/null; then
	promtool check metrics <"$last" >"$tmp/promtool" 2>&1
	check "promtool check metrics passes on the --by cgroup page" test $? -eq 0
else
	skip "promtool missing (apt-get install prometheus)"
fi
kill "$exp" 2>/dev/null
wait "$exp"
check "exporter --by cgroup: clean exit on SIGTERM" test $? -eq 0
finish
