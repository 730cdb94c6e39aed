#!/bin/bash
# test-all.sh - README command (2): install what is needed, build, run
# every test; then the same suite again under ASan + UBSan.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND:-direct}

echo "== Setup (Debian packages)"
scripts/setup.sh

echo "== [+${SECONDS}s] Build and test"
scripts/build.sh build
(cd build && ctest --output-on-failure -j2)

echo "== [+${SECONDS}s] Sanitizer build (ASan + UBSan) and test"
scripts/build.sh build-asan -DV2K_SANITIZE=ON
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    # test-input-leaks runs valgrind, which cannot run ASan binaries; the
    # plain build above runs it.
    ctest --output-on-failure -j2 -LE 'boot|appliance' -E 'inputs/test-input-leaks' &&
    ASAN_OPTIONS=detect_leaks=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --output-on-failure -j2 -R 'cli/test-convert-(pipeline|windows)')

# 10 s per target: the corpora run in ctest above, longer campaigns are
# tests/fuzz/campaign.sh's (tests/fuzz/CAMPAIGN.md).
echo "== [+${SECONDS}s] Fuzzing (libFuzzer, clang): every format parser for a short time"
scripts/fuzz.sh 10
echo "== [+${SECONDS}s] done"
