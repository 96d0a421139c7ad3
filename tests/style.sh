#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The architecture rules of issue 13 that a read of the tree can check, kept true:
#   - no function in tlbstat/ longer than 120 lines (a body from "{" to "}" at column 0);
#   - no exit()/tlb_die()/abort() in tlbstat/lib (the library returns errors; the commands
#     decide exit codes), except a forked child's _exit();
#   - every C, header, shell and Makefile source of the project carries an SPDX licence line.
. "$(dirname "$0")/lib.sh"

long=$(awk '/^\{/ { s = FNR; name = prev }
	/^\}/ { if (s && FNR - s + 1 > 120) print FILENAME ":" s ": " FNR - s + 1 " lines: " name; s = 0 }
	{ prev = $0 }' tlbstat/*.c tlbstat/lib/*.c)
check "no function in tlbstat/ longer than 120 lines${long:+: $long}" test -z "$long"

# strip comments and strings crudely: a call is a word followed by "(" outside a comment line
exits=$(grep -nE '(^|[^_a-z.>])(exit|tlb_die|abort)[[:space:]]*\(' tlbstat/lib/*.c |
	grep -vE '^[^:]+:[0-9]+:[[:space:]]*(\*|/\*|//)' | grep -v 'ops->exit')
check "no exit(), tlb_die() or abort() in tlbstat/lib${exits:+: $exits}" test -z "$exits"

nospdx=$(git ls-files -z '*.c' '*.h' '*.sh' 'Makefile' 2>/dev/null |
	xargs -0 -r grep -L 'SPDX-License-Identifier' 2>/dev/null)
if git rev-parse --git-dir >/dev/null 2>&1; then
	check "every C, header, shell and Makefile source has an SPDX line${nospdx:+: $(echo $nospdx)}" test -z "$nospdx"
else
	skip "SPDX lines: not a git checkout"
fi
finish
