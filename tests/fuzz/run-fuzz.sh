#!/bin/bash
# run-fuzz.sh FMT FUZZER [SECONDS] - the ctest test fuzz/fuzz-FMT.
#
# 1. Replays every saved crash in regressions/FMT/ or
#    regressions-parser/FMT/ (and, for fuzz-probe, all of
#    regressions/*/): each must run clean now.
# 2. Fuzzes for SECONDS (default $V2K_FUZZ_SECONDS, else 20) from a fresh
#    seed corpus (mkseeds.sh) and the corpus kept from earlier runs in
#    $V2K_BINARY_DIR/fuzz/corpus-FMT, with the magics of FMT.dict.
# Fails on any crash, leak, timeout or over-limit allocation; the input
# is saved as $V2K_BINARY_DIR/fuzz/artifacts-FMT/crash-* (copy it to
# regressions/FMT/ with a name saying what it broke).
set -euo pipefail
fmt=$1 fuzzer=$2
secs=${3:-${V2K_FUZZ_SECONDS:-20}}
here=$(cd "$(dirname "$0")" && pwd)
: "${V2K_BINARY_DIR:?run me through ctest or scripts/fuzz.sh}"
base=$V2K_BINARY_DIR/fuzz
seeds=$base/seeds-$fmt corpus=$base/corpus-$fmt art=$base/artifacts-$fmt

max_len=$(bash "$here/max-len.sh" "$fmt")

shopt -s nullglob
if [ "$fmt" = probe ]; then
    regs=("$here"/regressions/*/*)
else
    regs=("$here/regressions/$fmt"/* "$here/regressions-parser/$fmt"/*)
fi
if [ ${#regs[@]} -gt 0 ]; then
    echo "run-fuzz: replaying ${#regs[@]} saved input(s)"
    "$fuzzer" -rss_limit_mb=2048 -timeout=30 "${regs[@]}" ||
        { echo "FAIL: fuzz-$fmt: a saved regression input crashes" >&2;
          exit 1; }
fi

rm -rf "$seeds"
mkdir -p "$corpus" "$art"
bash "$here/mkseeds.sh" "$fmt" "$seeds"
dict=()
if [ "$fmt" = probe ]; then
    cat "$here"/*.dict >"$base/all.dict"
    dict=(-dict="$base/all.dict")
elif [ -f "$here/$fmt.dict" ]; then
    dict=(-dict="$here/$fmt.dict")
fi

echo "run-fuzz: fuzz-$fmt for $secs s (max_len $max_len)"
if ! "$fuzzer" "${dict[@]}" -max_total_time="$secs" -max_len="$max_len" \
        -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 \
        -artifact_prefix="$art/" "$corpus" "$seeds" \
        >"$base/fuzz-$fmt.log" 2>&1; then
    tail -n 80 "$base/fuzz-$fmt.log" >&2
    echo "FAIL: fuzz-$fmt found a crash: $(ls -t "$art" | head -1)" \
         "(full log: $base/fuzz-$fmt.log)" >&2
    exit 1
fi
grep -E '^stat::(number_of_executed_units|peak_rss_mb)|cov:' \
    "$base/fuzz-$fmt.log" | tail -n 3
echo "run-fuzz: fuzz-$fmt: ok"
