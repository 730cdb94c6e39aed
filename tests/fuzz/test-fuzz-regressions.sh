#!/bin/bash
# Inputs that once crashed a reader under the fuzzer (regressions/FMT/*,
# regressions/probe/* for the probing target) go through v2kvm-img info
# and map, in every build (ASan + UBSan in build-asan): each must either
# work or fail with one error line, never crash or trip a sanitizer.
# The fuzz build replays them through the fuzz targets too (run-fuzz.sh).
. "$(dirname "$0")/../lib/test-lib.sh"
shopt -s nullglob
here=$(cd "$(dirname "$0")" && pwd)

n=0
for f in "$here"/regressions/*/*; do
    fmt=$(basename "$(dirname "$f")")
    fopt=(-f "$fmt")
    [ "$fmt" = probe ] && fopt=()
    for cmd in info map; do
        rc=0
        "$V2KVM_IMG" "$cmd" "${fopt[@]}" "$f" >/dev/null 2>"$T/err" || rc=$?
        if grep -qE 'Sanitizer|runtime error:' "$T/err" || [ $rc -gt 1 ]; then
            cat "$T/err" >&2
            fail "$cmd $fmt $(basename "$f"): exit $rc"
        fi
        if [ $rc -eq 1 ]; then
            [ "$(wc -l <"$T/err")" -eq 1 ] && assert_grep 'error: ' "$T/err" ||
                { cat "$T/err" >&2; fail "$cmd $fmt $(basename "$f"):" \
                    "not one error line"; }
        fi
    done
    n=$((n + 1))
done
echo "test-fuzz-regressions: $n saved input(s) ok"
