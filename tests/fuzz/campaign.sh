#!/bin/bash
# campaign.sh TARGET SECONDS - one leg of a long fuzzing campaign for
# fuzz-TARGET, resumable: it starts from the corpus kept in the
# repository (corpus/TARGET/) plus fresh seeds, fuzzes for SECONDS (wall
# clock, under nice -n 19, one process), merges everything back into
# corpus/TARGET/ minimized (libFuzzer -merge=1 into an empty directory)
# and appends a row to CAMPAIGN.md: CPU seconds, executions, final cov:
# and ft:, corpus size, crashes.  Run legs again until each target has
# its total (the ledger sums them).
#
# The fuzz build is $V2K_FUZZ_BUILD (default build-fuzz, made by
# scripts/fuzz.sh); logs and work files go to $V2K_FUZZ_LOGS (default
# /tmp/fuzz-logs).  A crash stops the leg: its input stays in
# $V2K_FUZZ_LOGS/TARGET/art/ (minimize it, save it under regressions/,
# fix the reader), the ledger row says "crash".
#
# Corpus files over 4 KiB (images are mostly zeros, VHDX ones several
# MiB) are kept gzipped as NAME.gz; the replay test and this script
# unpack them (corpus-unpack.sh).
set -euo pipefail
target=$1 secs=$2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${V2K_FUZZ_BUILD:-$top/build-fuzz}
logs=${V2K_FUZZ_LOGS:-/tmp/fuzz-logs}
fuzzer=$build/tests/fuzz/fuzz-$target
repo=$here/corpus/$target
w=$logs/$target
ledger=$here/CAMPAIGN.md
[ -x "$fuzzer" ] || { echo "campaign: no $fuzzer (scripts/fuzz.sh)" >&2;
                      exit 1; }

rm -rf "$w/seeds" "$w/corpus" "$w/merged"
mkdir -p "$w/seeds" "$w/corpus" "$w/merged" "$w/art" "$repo"

# Seeds: images (mkseeds.sh) or the parser's files under tests/data.
glob=$(sed -n "s/^[ \t]*{ \"$target\", \"\([^\"]*\)\", [a-z0-9_]* },.*/\1/p" \
           "$here/fuzz-parser.c")
if [ -n "$glob" ]; then
    cp "$top"/tests/data/$glob "$w/seeds/"
else
    bash "$here/mkseeds.sh" "$target" "$w/seeds"
fi
bash "$here/corpus-unpack.sh" "$repo" "$w/corpus"

dict=()
if [ "$target" = probe ]; then
    cat "$here"/*.dict >"$w/all.dict"
    dict=(-dict="$w/all.dict")
elif [ -f "$here/$target.dict" ]; then
    dict=(-dict="$here/$target.dict")
fi
max_len=$(bash "$here/max-len.sh" "$target")

log=$logs/$target-$(date +%Y%m%dT%H%M%S).log
echo "campaign: fuzz-$target for $secs s, log $log"
rc=0
nice -n 19 /usr/bin/time -f '%U %S' -o "$w/time" \
    "$fuzzer" "${dict[@]}" -max_total_time="$secs" -max_len="$max_len" \
    -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 \
    -artifact_prefix="$w/art/" "$w/corpus" "$w/seeds" >"$log" 2>&1 || rc=$?
cpu=$(awk '{ printf "%d", $1 + $2 }' "$w/time")
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
covline=$(grep -E '#[0-9]+.*cov: ' "$log" | tail -1)
cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$covline")
ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$covline")
if [ -z "$execs" ]; then    # a crash: no final stats; the last "#N"
    execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$covline")
fi
crash=none
if [ $rc -ne 0 ]; then
    crash="crash: $(ls -t "$w/art" | head -1) (exit $rc, see $log)"
    echo "campaign: fuzz-$target: $crash" >&2
fi

# Minimize: everything into an empty directory, then it replaces the
# repository's corpus.
nice -n 19 "$fuzzer" -merge=1 -max_len="$max_len" -rss_limit_mb=2048 \
    -timeout=30 "$w/merged" "$w/corpus" "$w/seeds" >"$log.merge" 2>&1
rm -rf "$repo.new"
mkdir "$repo.new"
for f in "$w/merged"/*; do
    [ -e "$f" ] || continue
    if [ "$(stat -c %s "$f")" -gt 4096 ]; then
        gzip -9 -n -c "$f" >"$repo.new/$(basename "$f").gz"
    else
        cp "$f" "$repo.new/"
    fi
done
rm -rf "$repo"
mv "$repo.new" "$repo"
nfiles=$(find "$repo" -type f | wc -l)
kib=$(du -sk --apparent-size "$repo" | cut -f1)

[ -f "$ledger" ] || cat >"$ledger" <<'EOF'
# Fuzzing campaign ledger

One row per leg of tests/fuzz/campaign.sh TARGET SECONDS (libFuzzer,
clang -fsanitize=fuzzer,address,undefined, one process under nice -n 19
on a shared machine, so CPU seconds are less than the wall seconds
asked).  Executions and cov:/ft: are libFuzzer's final figures for the
leg; the corpus is corpus/TARGET/ after the leg's -merge=1 (KiB on
disk, large files gzipped).  A target's total is the sum of its legs.

| date (UTC) | target | wall s | CPU s | executions | cov | ft | corpus files | corpus KiB | crashes |
|---|---|---|---|---|---|---|---|---|---|
EOF
printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
    "$(date -u +%Y-%m-%dT%H:%MZ)" "$target" "$secs" "$cpu" "${execs:-?}" \
    "${cov:-?}" "${ft:-?}" "$nfiles" "$kib" "$crash" >>"$ledger"
tail -n 1 "$ledger"
exit $rc
