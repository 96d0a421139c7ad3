#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# From cause to remedy (issue 16): Documentation/runbook.md has a section for every cause
# lib/cause.c can name, through lib/runbook.c's table, and report --sort cause points to the
# section of its top cause. (1) no privileges: the cause names are read from lib/cause.c (its
# rule-1 table, the names it writes, the syscall renames), mapped with lib/runbook.c's table
# (parsed, with its catch-alls), and each anchor must exist; every row of the table and every
# in-page link must land on an anchor. (2) root and tracefs: alloc-churn's 64 MiB malloc/free
# loop recorded with -g; report --sort cause prints "Top cause C: see
# Documentation/runbook.md#A (installed as .../share/doc/tlbstat/runbook.md)" for the cause its
# table puts first, and --json gives each cause its "runbook". About 3 s.
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
RB=Documentation/runbook.md
CAUSE_C=tlbstat/lib/cause.c
TABLE_C=tlbstat/lib/runbook.c

check "$RB exists" test -s "$RB"
# anchors: every <a id="..."></a> of the runbook
grep -o '<a id="[^"]*"></a>' "$RB" | sed 's/<a id="\(.*\)"><\/a>/\1/' | sort -u >"$T/anchors"
# the table: "cause anchor" per row of lib/runbook.c's sections[]
sed -n '/sections\[\] = {/,/^};/p' "$TABLE_C" |
	sed -n 's/.*{ "\([^"]*\)", "\([^"]*\)" },.*/\1 \2/p' >"$T/table"
check "lib/runbook.c's table parsed ($(wc -l <"$T/table") rows)" test "$(wc -l <"$T/table")" -ge 30

# anchor_of CAUSE: as runbook_anchor() does
anchor_of() {
	local a
	a=$(awk -v c="$1" '$1 == c { print $2; exit }' "$T/table")
	if [ -n "$a" ]; then echo "$a"
	elif [ "${1#kthread:}" != "$1" ]; then echo kthread-other
	else echo syscall-other; fi
}
has_anchor() { grep -qx -- "$1" "$T/anchors"; }

# ---- (1) every cause lib/cause.c can name
# rule 1: the second string of each row of its doing[] table
sed -n '/doing\[\] = {/,/^};/p' "$CAUSE_C" | sed -n 's/.*{ "[^"]*", "\([^"]*\)" },.*/\1/p' |
	sort -u >"$T/names"
rule1=$(wc -l <"$T/names")
# the names it writes itself (snprintf of a literal, the "other"/"unknown" pair, the renames)
grep -o 'snprintf(buf, len, "[a-z:-]*")' "$CAUSE_C" | sed 's/.*"\(.*\)")/\1/' >>"$T/names"
grep -o 'named ? "[a-z]*" : "[a-z]*"' "$CAUSE_C" | grep -o '"[a-z]*"' | tr -d '"' >>"$T/names"
grep -o 'name = "[a-z_]*"' "$CAUSE_C" | sed 's/.*"\(.*\)"/\1/' >>"$T/names"
sort -u -o "$T/names" "$T/names"
check "lib/cause.c read: $rule1 rule-1 causes, $(wc -l <"$T/names") names in all" \
	test "$rule1" -ge 7 -a "$(wc -l <"$T/names")" -ge 12
missing=
while read -r c; do
	a=$(anchor_of "$c")
	{ [ "$a" = syscall-other ] || ! has_anchor "$a"; } && missing="$missing $c(#$a)"
done <"$T/names"
check "every name lib/cause.c writes has its own section${missing:+; missing:$missing}" \
	test -z "$missing"
# the syscalls and kernel threads tlbstat-report(1) and the issue name as causes
missing=
for c in munmap mprotect madvise mremap brk exit execve kthread:kcompactd kthread:khugepaged \
	kthread:kswapd kthread:ksmd kthread:kworker kthread:migration; do
	a=$(anchor_of "$c")
	case $a in syscall-other|kthread-other) missing="$missing $c" ;; esac
	has_anchor "$a" || missing="$missing $c(#$a)"
done
check "the named syscalls and kernel threads have their own sections${missing:+; missing:$missing}" \
	test -z "$missing"
check "the catch-alls exist (#syscall-other, #kthread-other)" \
	eval 'has_anchor syscall-other && has_anchor kthread-other'
missing=$(awk '{ print $2 }' "$T/table" | sort -u | while read -r a; do
	has_anchor "$a" || printf ' %s' "$a"; done)
check "every row of lib/runbook.c lands on an anchor${missing:+; missing:$missing}" test -z "$missing"
missing=$(grep -o '](#[^)]*)' "$RB" | sed 's/](#\(.*\))/\1/' | sort -u | while read -r a; do
	has_anchor "$a" || printf ' %s' "$a"; done)
check "every in-page link of the runbook lands on an anchor${missing:+; broken:$missing}" \
	test -z "$missing"
check "the Makefile installs Documentation/*.md (the runbook with it) into DOCDIR" \
	grep -q 'install -m 0644 README.md LICENSE Documentation/\*.md' Makefile

# ---- (2) report --sort cause on a recorded churn points to its top cause's section
CHURN=$O/alloc-churn
# the workload as users run it: an ASan-built alloc-churn has ASan's allocator, not glibc's
if ldd "$CHURN" 2>/dev/null | grep -q libasan && [ -x build/alloc-churn ] &&
	! ldd build/alloc-churn 2>/dev/null | grep -q libasan; then
	CHURN=build/alloc-churn
fi
if [ ! -x "$TLBSTAT" ] || [ ! -x "$CHURN" ]; then
	skip "tlbstat or alloc-churn not built ($TLBSTAT, $CHURN)"; finish; exit
fi
expect 2 "bad value for --size" "alloc-churn --size 0 is a usage error" -- "$CHURN" --size 0
expect 2 "unknown option" "alloc-churn --bogus is a usage error" -- "$CHURN" --bogus
if [ "$(id -u)" != 0 ] || { [ ! -r /sys/kernel/tracing/events/tlb/tlb_flush/format ] &&
   [ ! -r /sys/kernel/debug/tracing/events/tlb/tlb_flush/format ]; }; then
	skip "needs root and tracefs with tlb:tlb_flush"; finish; exit
fi
"$TLBSTAT" record -q -g -o "$T/churn.data" -- "$CHURN" --size 64M --ops 500 >"$T/churn.out" \
	2>"$T/rec.err"
check "record -g of alloc-churn --size 64M --ops 500 ($(head -c 120 "$T/churn.out"))" \
	test -s "$T/churn.data"
"$TLBSTAT" report -i "$T/churn.data" --sort cause --comms alloc-churn >"$T/stdio" 2>"$T/err"
"$TLBSTAT" report -i "$T/churn.data" --sort cause --comms alloc-churn --json >"$T/json" \
	2>>"$T/err"
top=$(awk '/^Invalidations by cause/ { getline; getline; print $1; exit }' "$T/stdio")
line=$(grep '^Top cause ' "$T/stdio")
want="Top cause $top: see Documentation/runbook.md#$(anchor_of "$top") (installed as "
check "the pointer names the table's first cause ($line)" \
	test -n "$top" -a "${line#"$want"}" != "$line"
check "... and its installed path ends in share/doc/tlbstat/runbook.md" \
	eval '[[ $line == *"/share/doc/tlbstat/runbook.md)" ]]'
check "... and its anchor exists in the runbook" has_anchor "$(anchor_of "$top")"
if ldd "$CHURN" 2>/dev/null | grep -q libasan; then
	skip "alloc-churn is ASan-built (its allocator, not glibc's): top cause $top not held to munmap"
else
	check "glibc unmaps each 64 MiB block: the top cause is munmap ($top)" test "$top" = munmap
fi
check "--json: every cause has its runbook section, the first one $top's" \
	"$PY" - "$T/json" "$top" "$(anchor_of "$top")" <<'PY'
import json, sys
causes = json.load(open(sys.argv[1]))["causes"]
ok = causes and causes[0]["cause"] == sys.argv[2] and \
    causes[0]["runbook"] == "Documentation/runbook.md#" + sys.argv[3] and \
    all(c["runbook"].startswith("Documentation/runbook.md#") for c in causes)
sys.exit(0 if ok else 1)
PY
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	check "--sort cause --json is valid against Documentation/schema/report.json" \
		"$PY" - "$T/json" <<'PY'
import json, sys
import jsonschema
schema = json.load(open("Documentation/schema/report.json"))
errs = list(jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[1]))))
for e in errs[:3]:
    print("# /%s: %s" % ("/".join(map(str, e.absolute_path)), e.message[:200]))
sys.exit(1 if errs else 0)
PY
else
	skip "python3-jsonschema is not installed (scripts/install-deps.sh installs it)"
fi
"$TLBSTAT" report -i "$T/churn.data" --sort callsite >"$T/callsite" 2>/dev/null
check "--sort callsite prints no runbook pointer" eval '! grep -q "^Top cause" "$T/callsite"'
finish
