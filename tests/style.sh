#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The architecture rules of issue 13 that a read of the tree can check, kept true:
#   - no function in tlbstat/ longer than 120 lines (a body from "{" to "}" at column 0);
#   - no exit()/tlb_die()/abort() in tlbstat/lib (the library returns errors; the commands
#     decide exit codes), except a forked child's _exit();
#   - every C and shell source of the project carries an SPDX licence line.
. "$(dirname "$0")/lib.sh"

long=$(for f in tlbstat/*.c tlbstat/lib/*.c; do
	awk -v F="$f" '/^\{/ { s = NR; name = prev }
		/^\}/ { if (s && NR - s + 1 > 120) print F ":" s ": " NR - s + 1 " lines: " name; s = 0 }
		{ prev = $0 }' "$f"
done)
check "no function in tlbstat/ longer than 120 lines${long:+: $long}" test -z "$long"

# strip comments and strings crudely: a call is a word followed by "(" outside a comment line
exits=$(grep -nE '(^|[^_a-z.>])(exit|tlb_die|abort)[[:space:]]*\(' tlbstat/lib/*.c |
	grep -vE '^[^:]+:[0-9]+:[[:space:]]*(\*|/\*|//)' | grep -v 'ops->exit')
check "no exit(), tlb_die() or abort() in tlbstat/lib${exits:+: $exits}" test -z "$exits"

nospdx=$(git ls-files 2>/dev/null '*.c' '*.h' '*.sh' 'Makefile' | while read -r f; do
	head -n 3 "$f" | grep -q 'SPDX-License-Identifier' || echo "$f"
done)
if git rev-parse --git-dir >/dev/null 2>&1; then
	check "every C, header, shell and Makefile source has an SPDX line${nospdx:+: $(echo $nospdx)}" test -z "$nospdx"
else
	skip "SPDX lines: not a git checkout"
fi
finish
