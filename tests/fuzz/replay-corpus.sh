#!/bin/bash
# replay-corpus.sh TARGET PROGRAM - the ctest test fuzz/corpus-TARGET, in
# every build: the corpus kept for fuzz-TARGET (corpus/TARGET/, made by
# campaign.sh) and its saved crashes (regressions/TARGET/,
# regressions-parser/TARGET/; every saved crash for probe) go once
# through the target's entry point.  PROGRAM is fuzz-TARGET in the
# libFuzzer build, replay-TARGET (replay-main.c) elsewhere; a crash,
# sanitizer report or leak fails the test.  An empty or missing corpus
# fails too: every target must have one.
set -euo pipefail
target=$1 prog=$2
here=$(cd "$(dirname "$0")" && pwd)
: "${V2K_TEST_TMPDIR:?run me through ctest}"
shopt -s nullglob
T=$(mktemp -d "$V2K_TEST_TMPDIR/replay-$target.XXXXXX")
trap 'rm -rf "$T"' EXIT
export TMPDIR=$T

bash "$here/corpus-unpack.sh" "$here/corpus/$target" "$T/corpus"
files=("$T/corpus"/*)
[ ${#files[@]} -gt 0 ] ||
    { echo "FAIL: no corpus in tests/fuzz/corpus/$target" \
           "(tests/fuzz/campaign.sh $target SECONDS)" >&2; exit 1; }
if [ "$target" = probe ]; then
    files+=("$here"/regressions/*/*)
else
    files+=("$here/regressions/$target"/* "$here/regressions-parser/$target"/*)
fi
# Parsers print their errors: only the verdict matters here.
if ! "$prog" -rss_limit_mb=2048 -timeout=60 "${files[@]}" >"$T/log" 2>&1
then
    tail -n 60 "$T/log" >&2
    echo "FAIL: fuzz-$target: an input of its corpus or regressions" \
         "crashes" >&2
    exit 1
fi
if grep -qE 'Sanitizer|runtime error:' "$T/log"; then
    grep -E -A20 'Sanitizer|runtime error:' "$T/log" | head -60 >&2
    echo "FAIL: fuzz-$target: a sanitizer report" >&2
    exit 1
fi
echo "replay-corpus: fuzz-$target: ${#files[@]} input(s) ok"
