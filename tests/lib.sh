# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the shell integration tests (TAP). Source it: . "$(dirname "$0")/lib.sh"
O=${O:-build}
# Debian's python3 starts in 0.1 s; a pyenv shim earlier in PATH can take a second per call
PY=${PY:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3 )}
TLBSTAT=${TLBSTAT:-$O/tlbstat}
TLBBENCH=${TLBBENCH:-$O/tlbbench}
_n=0 _f=0
ok()     { _n=$((_n + 1)); echo "ok $_n - $*"; }
not_ok() { _n=$((_n + 1)); _f=$((_f + 1)); echo "not ok $_n - $*"; }
# check "description" command...: ok when the command succeeds
check()  { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
skip()   { _n=$((_n + 1)); echo "ok $_n - # SKIP $*"; }
# within A B PCT: |A-B| <= PCT% of B
within() { "$PY" -c "import sys; a,b,p=map(float,sys.argv[1:]); sys.exit(0 if abs(a-b) <= p/100*max(b,1) else 1)" "$1" "$2" "$3"; }
# tlb_row: the TLB: row of /proc/interrupts summed over CPUs, or "none"
tlb_row() { awk '$1 == "TLB:" { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s; f = 1 } END { if (!f) print "none" }' /proc/interrupts; }
# victims_within DESC R N TLB: R remote shootdowns (reason 1) seen for N remote flushes, while
# the TLB: row moved by TLB (all CPUs; "none" when there is no row). A KVM guest with PV TLB
# flush does not interrupt a vCPU that its host has preempted: the flush waits for the vCPU's
# next entry and fires no event and no interrupt (CI saw 3,004 sends, 5 TLB: and 2 reason 1
# once). So R is held to N when the interrupts arrived, else to the interrupts that did.
victims_within() {
	local d=$1 r=$2 n=$3 t=$4
	if [ "$t" = none ] || "$PY" -c "import sys; sys.exit(0 if $t >= 0.95 * $n else 1)"; then
		check "$d: remote shootdowns ($r) within 5% of $n" within "$r" "$n" 5
	else
		echo "# the TLB: row moved $t for $n remote flushes: the host had the victim vCPU preempted and deferred the rest (KVM PV flush: no interrupt, no event)"
		check "$d: remote shootdowns ($r) match the TLB interrupts that arrived ($t, within 5% of $n)" \
			"$PY" -c "import sys; sys.exit(0 if abs($r - $t) <= 0.05 * $n else 1)"
	fi
}
# jget FILE KEY.PATH: a value from a JSON file ("reasons.remote_ipi_send")
jget()   { "$PY" -c "import json,sys; v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split('.'): v=v[int(k)] if isinstance(v,list) else v[k]
print(v)" "$1" "$2"; }
# expect CODE PATTERN description -- command...: ok when the command exits CODE and its stderr
# matches PATTERN (extended regex, case-insensitive)
expect() {
	local code=$1 pat=$2 d=$3 err rc
	shift 4
	err=$(mktemp)
	"$@" >/dev/null 2>"$err"
	rc=$?
	if [ $rc -eq "$code" ] && grep -qiE "$pat" "$err"; then ok "$d (exit $rc)"
	else not_ok "$d: exit $rc, stderr: $(head -c 300 "$err")"; fi
	rm -f "$err"
}
finish() { echo "1..$_n"; echo "# $((_n - _f)) passed, $_f failed"; [ "$_f" -eq 0 ]; }
# sanitized: the tlbstat under test is an ASan build (make check-san): address-space limits
# (ulimit -v, RLIMIT_AS) cannot hold its shadow memory, and its quarantine makes RSS grow
sanitized() { ldd "$TLBSTAT" 2>/dev/null | grep -q 'libasan'; }
