# SPDX-License-Identifier: GPL-2.0
# The fuzz targets' seed corpora and every input that once crashed one (tests/fuzz/regress/),
# replayed through the targets built without libFuzzer ($O/fuzz-replay/, any compiler): each
# must run to the end, no crash, no hang. File-based: safe to run any time.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
for src in tests/fuzz/fuzz-*.c; do
	n=$(basename "$src" .c)
	n=${n#fuzz-}
	bin=$O/fuzz-replay/fuzz-$n
	if [ ! -x "$bin" ]; then
		not_ok "$n: $bin not built (make)"
		continue
	fi
	nr=$(find tests/fuzz/corpus/$n tests/fuzz/regress/$n -type f 2>/dev/null | wc -l)
	# only the directories that exist: replay refuses a missing one (no regress/ inputs yet)
	dirs=()
	for d in tests/fuzz/corpus/$n tests/fuzz/regress/$n; do [ -d "$d" ] && dirs+=("$d"); done
	timeout 120 "$bin" "${dirs[@]}" >/dev/null 2>&1
	rc=$?
	check "$n: $nr corpus and regression inputs replayed (exit $rc)" test $rc -eq 0
done
finish
