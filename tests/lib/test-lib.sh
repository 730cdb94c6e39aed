# test-lib.sh - sourced by every integration test script.
#
# Gives: strict mode, $T (a fresh scratch directory removed on exit),
# need TOOL... (a missing tool FAILS the test: the setup script installs
# every tool, nothing is skipped silently), fail MSG, and
# expect_fail CMD... (the command must exit non-zero; its stderr is kept
# in $T/err for checks).
set -euo pipefail

: "${V2KVM:?run me through ctest}"
: "${V2KVM_IMG:?run me through ctest}"
: "${V2K_TEST_TMPDIR:?run me through ctest}"
export LIBGUESTFS_BACKEND="${LIBGUESTFS_BACKEND:-direct}"

# Every test runs on the accelerator that really runs a guest here,
# probed once per boot and build tree (V2K_ACCEL, exported; see
# appliance-accel.sh); tests of the probe itself unset it.
. "$(dirname "${BASH_SOURCE[0]}")/appliance-accel.sh"

# A test that runs something as another user (setpriv to nobody) sets
# V2K_T_SHARED=1 before sourcing this: its $T is then under /tmp, which
# every user can reach (the build tree may not be: a clone under /root,
# mode 0700, hides it from nobody).
if [ "${V2K_T_SHARED:-0}" = 1 ]; then
    T=$(mktemp -d "/tmp/v2k-$(basename "$0" .sh).XXXXXX")
    chmod 0755 "$T"
else
    T=$(mktemp -d "$V2K_TEST_TMPDIR/$(basename "$0" .sh).XXXXXX")
fi
trap 'rm -rf "$T"' EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

need() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 ||
            fail "required tool '$t' is missing (run scripts/setup.sh)"
    done
}

# expect_fail CMD...: CMD must fail; stderr saved in $T/err.
expect_fail() {
    if "$@" 2>"$T/err"; then
        fail "expected failure: $*"
    fi
    return 0
}

# assert_grep PATTERN FILE
assert_grep() {
    grep -q -- "$1" "$2" || { cat "$2" >&2; fail "'$1' not found in $2"; }
}

# --- formats: qemu-img is the oracle -----------------------------------

# Merge a map (ours or qemu-img's, JSON) into runs of data=true/false:
# one "start length data" line per run.
_norm_map() {
    jq -r '[.[] | {start, length, data: (.data == true)}]
           | reduce .[] as $e ([];
               if length > 0 and .[-1].data == $e.data
                  and (.[-1].start + .[-1].length) == $e.start
               then .[-1].length += $e.length else . + [$e] end)
           | .[] | "\(.start) \(.length) \(.data)"'
}

# assert_reads_like_qemu IMAGE [FORMAT]: our raw reading of IMAGE equals
# qemu-img's, byte for byte.
assert_reads_like_qemu() {
    local img=$1 fmt=${2:-} fopt=() qopt=()
    [ -n "$fmt" ] && fopt=(-f "$fmt") && qopt=(-f "$fmt")
    rm -f "$T/.ref.raw" "$T/.ours.raw"
    qemu-img convert "${qopt[@]}" -O raw "$img" "$T/.ref.raw"
    "$V2KVM_IMG" convert "${fopt[@]}" -O raw "$img" "$T/.ours.raw" ||
        fail "v2kvm-img could not read $img"
    cmp "$T/.ref.raw" "$T/.ours.raw" ||
        fail "$img: our reading differs from qemu-img's"
    rm -f "$T/.ref.raw" "$T/.ours.raw"
}

# assert_map_like_qemu IMAGE [FORMAT]: where data is agrees with
# qemu-img map (runs of data / no data).
assert_map_like_qemu() {
    local img=$1 fmt=${2:-} fopt=() qopt=()
    [ -n "$fmt" ] && fopt=(-f "$fmt") && qopt=(-f "$fmt")
    qemu-img map "${qopt[@]}" --output=json "$img" | _norm_map >"$T/.qmap"
    "$V2KVM_IMG" map "${fopt[@]}" --output=json "$img" | _norm_map >"$T/.omap"
    diff -u "$T/.qmap" "$T/.omap" ||
        fail "$img: our map differs from qemu-img map"
}

# assert_convert_like_qemu IMAGE [FORMAT]: converting to qcow2 and raw
# gives outputs that qemu-img check accepts and compares identical.
assert_convert_like_qemu() {
    local img=$1 fmt=${2:-} fopt=() qopt=() of
    [ -n "$fmt" ] && fopt=(-f "$fmt") && qopt=(-f "$fmt")
    for of in qcow2 raw; do
        rm -f "$T/.out.$of"
        "$V2KVM_IMG" convert "${fopt[@]}" -O $of "$img" "$T/.out.$of" ||
            fail "v2kvm-img convert -O $of $img failed"
        if [ $of = qcow2 ]; then
            qemu-img check -q "$T/.out.$of" ||
                fail "qemu-img check failed on our qcow2 of $img"
        fi
        qemu-img compare -q "${qopt[@]}" -F $of "$img" "$T/.out.$of" ||
            fail "our $of of $img differs from the source"
        rm -f "$T/.out.$of"
    done
}
