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
	# regress/<name> exists only once a crash was found and kept (git keeps no empty folder)
	dirs=(tests/fuzz/corpus/$n)
	[ -d tests/fuzz/regress/$n ] && dirs+=(tests/fuzz/regress/$n)
	nr=$(find "${dirs[@]}" -type f | wc -l)
	timeout 120 "$bin" "${dirs[@]}" >/dev/null 2>&1
	rc=$?
	check "$n: $nr corpus and regression inputs replayed (exit $rc)" test $rc -eq 0
done
finish
