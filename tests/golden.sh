#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Golden outputs: report's stdio, --json, --csv, -T, --sort (all keys, all rows, 10 ms series) and
# the 10 ms series CSV on three committed recordings must stay byte-identical to
# tests/data/golden/<file>.<view>. They were written by the tlbstat of the commit that added them,
# before the architecture rework (issue 13), so any change to what report prints shows up here.
# Refresh (only for an intended output change, said in the commit): GOLDEN_UPDATE=1 bash tests/golden.sh
. "$(dirname "$0")/lib.sh"
TLB=$(cd "$(dirname "$TLBSTAT")" && pwd)/$(basename "$TLBSTAT")
cd tests/data || exit 1
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
views() {   # view name, then report's options
	echo "stdio"
	echo "json --json"
	echo "csv --csv"
	echo "T -T"
	echo "sort --sort pid,comm,reason,cpu --interval 10ms --top 0"
	echo "csv10 --csv --interval 10ms"
}
for f in perf-tlb-pvm tlbstat-ipi perf-ipi; do
	while read -r view opts; do
		g=golden/$f.$view
		# shellcheck disable=SC2086
		"$TLB" report -i "$f.data" $opts > "$T/out" 2> "$T/err"; rc=$?
		if [ -n "${GOLDEN_UPDATE:-}" ]; then cp "$T/out" "$g"; fi
		if [ $rc -eq 0 ] && cmp -s "$T/out" "$g"; then ok "$f report $opts: as golden/$f.$view"
		else not_ok "$f report $opts: exit $rc, differs from golden/$f.$view: $(diff "$g" "$T/out" | head -5 | tr '\n' '|')"; fi
	done < <(views)
done
finish
