#!/bin/bash
# bench-ab.sh OLD_V2KVM NEW_V2KVM [WORKDIR] - two builds of v2kvm on the
# same conversion, to check that a change costs no time (issue #14: "the
# conversion benchmark must not get slower by more than 2 s").
#
# Source: the Debian 12 guest as VMware leaves it (tests/lib/
# mkguest-debian.sh vmware, cached), converted by each binary with
# -i vmx VMX -o local -of qcow2, TCG forced (V2K_ACCEL=tcg), RUNS times
# each (default 2), alternating old/new so that a drift of the machine
# hits both.  Prints every run, each binary's best wall time and
# appliance time (its --machine-readable result line), and new - old.
# Not a test: numbers depend on the machine.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
old=$1 new=$2
work=${3:-$top/build/bench-ab}
runs=${RUNS:-2}
for b in "$old" "$new"; do
    [ -x "$b" ] || { echo "bench-ab: $b is not an executable" >&2; exit 1; }
done
export LIBGUESTFS_BACKEND=direct V2K_ACCEL=tcg
. "$top/tests/lib/boot-lib.sh"
src=$(guest_source vmware) ||
    { echo "bench-ab: no VMware guest to convert" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"

# one NAME BINARY: convert once; prints "WALL APPLIANCE" seconds.
one() {
    local d=$work/$1 t0 t1
    rm -rf "$d"
    mkdir -p "$d"
    t0=$(date +%s.%N)
    "$2" -i vmx "$src/debian12.vmx" -o local -os "$d" -of qcow2 \
        --machine-readable >"$d.json" 2>"$d.err" ||
        { cat "$d.err" >&2; echo "bench-ab: $2 failed" >&2; exit 1; }
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f ", b - a }'
    tail -n 1 "$d.json" | jq -r '.appliance_seconds // "?"'
}

best_old= best_new=
for i in $(seq "$runs"); do
    for which in old new; do
        if [ $which = old ]; then b=$old; else b=$new; fi
        read -r wall app < <(one "$which" "$b")
        echo "run $i $which: wall ${wall}s, appliance ${app}s"
        if [ $which = old ]; then
            best_old=$(awk -v a="${best_old:-1e9}" -v b="$wall" \
                'BEGIN { print (b < a ? b : a) }')
        else
            best_new=$(awk -v a="${best_new:-1e9}" -v b="$wall" \
                'BEGIN { print (b < a ? b : a) }')
        fi
    done
done
awk -v o="$best_old" -v n="$best_new" 'BEGIN {
    printf "best: old %.1fs, new %.1fs, new - old %+.1fs (%.3fx)\n",
           o, n, n - o, n / o }'
