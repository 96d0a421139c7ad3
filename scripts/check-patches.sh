#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Check patches/*.patch against Debian's linux-source-6.1 (the tarball install-deps gets):
# each applies (`patch --dry-run`, then for real, in order, in a temporary tree unpacked from
# the tarball) with every context line matching (--fuzz=0: patch's default fuzz would let 0003
# land without the 0001 it builds on) and passes that tree's scripts/checkpatch.pl. Debian keeps
# only the current linux-source-6.1, so a new version that no longer takes a patch is said
# plainly.
#   scripts/check-patches.sh [PATCH...]     (default: patches/*.patch)
# Environment: LINUX_SOURCE_TARBALL (default /usr/src/linux-source-6.1.tar.xz), TMPDIR.
# Exit codes: 0 all apply and pass, 1 a patch does not apply or checkpatch finds errors or
# warnings, 3 environment (no tarball, no perl).
set -euo pipefail
cd "$(dirname "$0")/.."
TARBALL=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
[ -f "$TARBALL" ] || { echo "check-patches: $TARBALL not found (apt-get install linux-source-6.1)" >&2; exit 3; }
command -v perl >/dev/null || { echo "check-patches: perl not found (checkpatch.pl needs it)" >&2; exit 3; }
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || echo "of $TARBALL")
if [ $# -gt 0 ]; then pats=("$@"); else pats=(patches/*.patch); fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# only the files the patches touch, and checkpatch's own, come out of the 150 MB tarball: the
# whole tree takes 30 s and 1.5 GB to unpack
files=$(sed -n 's|^--- a/||p' "${pats[@]}" | sort -u)
top=$(basename "$TARBALL" .tar.xz)	# the tarball unpacks into its own name
want=()
for f in $files scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch; do
	want+=("$top/$f")
done
tar -C "$tmp" -xJf "$TARBALL" "${want[@]}"
src=$tmp/$top
fail=0
for p in "${pats[@]}"; do
	if ! out=$(patch -d "$src" -p1 --dry-run --forward --fuzz=0 <"$p" 2>&1); then
		echo "not ok - $p does not apply to linux-source-6.1 $ver:"
		printf '%s\n' "$out" | sed 's/^/#   /'
		echo "# a new linux-source-6.1 moved the code the patch touches: refresh the patch"
		fail=1
		continue
	fi
	patch -d "$src" -p1 -s --forward --fuzz=0 <"$p"
	echo "ok - $p applies to linux-source-6.1 $ver"
	if out=$(cd "$src" && perl scripts/checkpatch.pl --no-tree --ignore \
			MISSING_SIGN_OFF,FILE_PATH_CHANGES "$OLDPWD/$p" 2>&1); then
		echo "ok - $p passes checkpatch.pl"
	else
		echo "not ok - $p: checkpatch.pl"
		printf '%s\n' "$out" | sed 's/^/#   /'
		fail=1
	fi
done
exit $fail
