#!/bin/bash
# fuzz.sh [SECONDS] - configure the clang libFuzzer build in build-fuzz
# (-DV2K_FUZZ=ON: ASan + UBSan + coverage everywhere), build the fuzz
# targets (one per registered format, plus fuzz-probe, the configuration
# parsers, the tar walker, the cpio reader, the OVA manifest and the P2V
# client's JSON lines, kernel command line and disk metadata), and run
# each for SECONDS (default 20) through ctest (label "fuzz").  A crash fails the
# run; its input is in build-fuzz/fuzz/artifacts-FMT/.  Long campaigns:
# tests/fuzz/campaign.sh (ledger tests/fuzz/CAMPAIGN.md).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-20}
dir=$top/build-fuzz

command -v clang >/dev/null ||
    { echo "fuzz.sh: clang is missing (run scripts/setup.sh)" >&2; exit 1; }
cmake -S "$top" -B "$dir" -DCMAKE_C_COMPILER=clang -DV2K_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$dir" -j"$(nproc)" --target fuzz >/dev/null
cd "$dir"
V2K_FUZZ_SECONDS=$secs ctest -L fuzz --output-on-failure -j"$(nproc)"
