#!/bin/bash
# run-fuzz-parser.sh NAME FUZZER SEEDGLOB [SECONDS] - the ctest test
# fuzz/fuzz-NAME for a configuration parser (fuzz-parser.c).
#
# 1. Replays every saved crash in regressions-parser/NAME/: each must
#    run clean now.
# 2. Fuzzes for SECONDS (default $V2K_FUZZ_SECONDS, else 20) from the
#    files matching SEEDGLOB under tests/data and the corpus kept from
#    earlier runs in $V2K_BINARY_DIR/fuzz/corpus-NAME, with NAME.dict.
# Fails on any crash, leak, timeout or over-limit allocation; the input
# is saved as $V2K_BINARY_DIR/fuzz/artifacts-NAME/crash-*.
set -euo pipefail
name=$1 fuzzer=$2 glob=$3
secs=${4:-${V2K_FUZZ_SECONDS:-20}}
here=$(cd "$(dirname "$0")" && pwd)
: "${V2K_BINARY_DIR:?run me through ctest or scripts/fuzz.sh}"
base=$V2K_BINARY_DIR/fuzz
seeds=$base/seeds-$name corpus=$base/corpus-$name art=$base/artifacts-$name
max_len=$((256 << 10))      # configurations are small

shopt -s nullglob
regs=("$here/regressions-parser/$name"/*)
if [ ${#regs[@]} -gt 0 ]; then
    echo "run-fuzz-parser: replaying ${#regs[@]} saved input(s)"
    "$fuzzer" -rss_limit_mb=2048 -timeout=30 "${regs[@]}" ||
        { echo "FAIL: fuzz-$name: a saved regression input crashes" >&2;
          exit 1; }
fi
rm -rf "$seeds"
mkdir -p "$seeds" "$corpus" "$art"
files=("$V2K_SOURCE_DIR"/tests/data/$glob)
[ ${#files[@]} -gt 0 ] ||
    { echo "FAIL: fuzz-$name: no seeds match tests/data/$glob" >&2; exit 1; }
cp "${files[@]}" "$seeds/"
dict=()
[ -f "$here/$name.dict" ] && dict=(-dict="$here/$name.dict")

echo "run-fuzz-parser: fuzz-$name for $secs s (${#files[@]} seeds)"
if ! "$fuzzer" "${dict[@]}" -max_total_time="$secs" -max_len="$max_len" \
        -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 \
        -artifact_prefix="$art/" "$corpus" "$seeds" \
        >"$base/fuzz-$name.log" 2>&1; then
    tail -n 80 "$base/fuzz-$name.log" >&2
    echo "FAIL: fuzz-$name found a crash: $(ls -t "$art" | head -1)" \
         "(full log: $base/fuzz-$name.log)" >&2
    exit 1
fi
grep -E '^stat::(number_of_executed_units|peak_rss_mb)|cov:' \
    "$base/fuzz-$name.log" | tail -n 3
echo "run-fuzz-parser: fuzz-$name: ok"
