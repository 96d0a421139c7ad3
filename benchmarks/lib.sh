# SPDX-License-Identifier: GPL-2.0
# What the benchmark scripts share (sourced first thing): the repository root as the working
# directory, the build's paths (O, TLBSTAT, TLBBENCH, PY; each may be given in the environment)
# and the checks of what a run needs, each failing with the script's name and the exit code the
# scripts document: 1 a tool or build missing, 3 not root.
cd "$(dirname "$0")/.."
O=${O:-build}
TLBSTAT=${TLBSTAT:-$O/tlbstat}
TLBBENCH=${TLBBENCH:-$O/tlbbench}
PY=${PY:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3 )}
BENCH=${0##*/}

# need_root [WHY]: tracepoints and perf_event need root
need_root() { [ "$(id -u)" = 0 ] || { echo "$BENCH: needs root (${1:-tracepoints})" >&2; exit 3; }; }
# need_built BIN...: each built and executable
need_built() {
	local b
	for b in "$@"; do [ -x "$b" ] || { echo "$BENCH: $b not built (make)" >&2; exit 1; }; done
}
need_perf() { command -v perf >/dev/null || { echo "$BENCH: perf not installed (linux-perf)" >&2; exit 1; }; }
# /usr/bin/time (wall, CPU, peak RSS of a command): Debian's time package, installed when missing
need_time() { [ -x /usr/bin/time ] || apt-get install -y time >/dev/null; }
# default_out NAME: out/NAME-DATE, where a run's raw rows go when --out is not given
default_out() { echo "out/$1-$(date +%Y%m%d-%H%M%S)"; }
