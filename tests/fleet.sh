#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The fleet files of the exporter (Documentation/fleet/): the Prometheus config and rules
# (promtool check config/rules), the rules' unit tests (promtool test rules), the Grafana
# dashboard (JSON, every panel with a query), the DaemonSet manifest (YAML: hostPID, only
# PERFMON and DAC_READ_SEARCH, tracefs read-only) and the systemd unit (systemd-analyze verify,
# the same two capabilities). File-based: no privileges, no tracepoints. TAP.
. "$(dirname "$0")/lib.sh"

F=Documentation/fleet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if command -v promtool >/dev/null; then
	check "promtool check config prometheus.yml" bash -c "promtool check config $F/prometheus.yml >'$tmp/o' 2>&1 || { sed 's/^/# /' '$tmp/o'; false; }"
	check "promtool check rules" bash -c "promtool check rules $F/tlbstat-rules.yml >'$tmp/o' 2>&1 || { sed 's/^/# /' '$tmp/o'; false; }"
	check "promtool test rules (recording and alerting unit tests)" \
		bash -c "cd $F && promtool test rules tlbstat-rules.test.yml >'$tmp/o' 2>&1 || { sed 's/^/# /' '$tmp/o'; false; }"
	# the tests can fail: a wrong expectation must be reported
	sed 's/causes 80%/causes 70%/' "$F/tlbstat-rules.test.yml" >"$tmp/bad.test.yml"
	cp "$F/tlbstat-rules.yml" "$tmp/"
	check "promtool test rules fails on a wrong expectation" bash -c "cd '$tmp' && ! promtool test rules bad.test.yml >/dev/null 2>&1"
else
	skip "promtool missing (apt-get install prometheus): rules"
fi

check "dashboard: JSON with panels, each non-row panel with a query" "$PY" -c "
import json, sys
d = json.load(open('$F/tlbstat-dashboard.json'))
ps = [p for p in d['panels'] if p['type'] != 'row']
assert len(ps) >= 8, len(ps)
for p in ps:
    assert p['targets'] and all(t['expr'] for t in p['targets']), p['title']
kinds = {p['type'] for p in ps}
assert 'heatmap' in kinds, kinds
"
check "dashboard: queries only use metrics the exporter serves" "$PY" -c "
import json, re
d = json.load(open('$F/tlbstat-dashboard.json'))
doc = open('Documentation/tlbstat-exporter.txt').read()
for p in d['panels']:
    for t in p.get('targets', []):
        for m in re.findall(r'\b((?:tlb|tlbstat_exporter|process)_[a-z_]+)\b', t['expr']):
            m = re.sub(r'_bucket$', '', m)
            assert m in doc, m
"
if "$PY" -c "import yaml" 2>/dev/null; then
	check "DaemonSet: YAML, hostPID, only PERFMON and DAC_READ_SEARCH, tracefs read-only" "$PY" -c "
import yaml
d = yaml.safe_load(open('$F/tlbstat-exporter-daemonset.yaml'))
assert d['kind'] == 'DaemonSet' and d['apiVersion'] == 'apps/v1'
s = d['spec']['template']['spec']
assert s['hostPID'] is True
c = s['containers'][0]
caps = c['securityContext']['capabilities']
assert caps['drop'] == ['ALL'] and sorted(caps['add']) == ['DAC_READ_SEARCH', 'PERFMON'], caps
assert c['securityContext']['allowPrivilegeEscalation'] is False
assert not c['securityContext'].get('privileged')
m = [v for v in c['volumeMounts'] if v['mountPath'] == '/sys/kernel/tracing']
assert m and m[0]['readOnly'] is True
assert '--listen' in c['args']
assert d['spec']['selector']['matchLabels'].items() <= d['spec']['template']['metadata']['labels'].items()
"
	check "prometheus.yml and rules parse as YAML" "$PY" -c "
import yaml
for f in ('prometheus.yml', 'tlbstat-rules.yml', 'tlbstat-rules.test.yml'):
    yaml.safe_load(open('$F/' + f))
"
else
	skip "python3-yaml missing: manifest"
fi
check "systemd unit: only CAP_PERFMON and CAP_DAC_READ_SEARCH, no new privileges" bash -c "
	grep -qx 'AmbientCapabilities=CAP_PERFMON CAP_DAC_READ_SEARCH' $F/tlbstat-exporter.service &&
	grep -qx 'CapabilityBoundingSet=CAP_PERFMON CAP_DAC_READ_SEARCH' $F/tlbstat-exporter.service &&
	grep -qx 'NoNewPrivileges=yes' $F/tlbstat-exporter.service && ! grep -q '^User=root' $F/tlbstat-exporter.service"
if command -v systemd-analyze >/dev/null && [ -x "$TLBSTAT" ]; then
	sed "s|/usr/local/bin/tlbstat|$PWD/$TLBSTAT|" "$F/tlbstat-exporter.service" >"$tmp/tlbstat-exporter.service"
	check "systemd-analyze verify" bash -c "systemd-analyze verify '$tmp/tlbstat-exporter.service' >'$tmp/o' 2>&1 || { sed 's/^/# /' '$tmp/o'; false; }"
else
	skip "systemd-analyze or $TLBSTAT missing: unit verification"
fi
finish
