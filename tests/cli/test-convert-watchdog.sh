#!/bin/bash
# No guest can hang a conversion (issue #13 item 8): a phony Debian guest
# whose update-initramfs never returns (mkphony trace hang-initramfs)
# blocks the libguestfs call that runs it; the appliance watchdog
# (inspectors/appliance-watchdog.h) stops the appliance after
# V2K_APPLIANCE_TIMEOUT seconds without progress and the conversion fails
# with one line naming the call, within the bound, leaving no output, no
# temporary directory, no nbdkit and no qemu behind, the source unchanged.
# A bad V2K_APPLIANCE_TIMEOUT is one error line before any launch.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img pgrep nbdkit guestfish busybox

export LIBGUESTFS_CACHEDIR=${LIBGUESTFS_CACHEDIR:-/var/tmp}
# TCG: the time to reach the hung step must not depend on a /dev/kvm
# that may itself hang the launch (which the watchdog would then report
# as 'launch', not the step this test is about).
export V2K_ACCEL=tcg
export TMPDIR=$T/tmp
mkdir "$TMPDIR" "$T/out"

no_leftovers() {
    local left
    left=$(find "$TMPDIR" -maxdepth 1 -name 'v2kvm.*')
    [ -z "$left" ] || fail "$1: temporary files left: $left"
    if pgrep -f "nbdkit.*$TMPDIR" >/dev/null; then
        fail "$1: an nbdkit serving from $TMPDIR still runs"
    fi
    if pgrep -f "qemu-system.*$TMPDIR" >/dev/null; then
        fail "$1: an appliance on $TMPDIR still runs"
    fi
    [ -z "$(ls -A "$T/out")" ] ||
        fail "$1: output left behind: $(ls -A "$T/out")"
}

# --- a bad bound: one line, nothing launched ------------------------------
truncate -s 16M "$T/empty.img"
for v in abc -5 10s 86401; do
    V2K_APPLIANCE_TIMEOUT=$v expect_fail "$V2KVM" -i disk "$T/empty.img" \
        -o local -os "$T/out"
    [ "$(grep -c . "$T/err")" = 1 ] || { cat "$T/err"; fail "$v: not one line"; }
    assert_grep "^v2kvm: error: V2K_APPLIANCE_TIMEOUT '$v': expected whole seconds from 0 (no bound) to 86400\$" "$T/err"
    no_leftovers "V2K_APPLIANCE_TIMEOUT=$v"
done

# --- a guest whose update-initramfs hangs --------------------------------
bash "$V2K_SOURCE_DIR/tests/lib/mkphony.sh" debian12 "$T/hang.img" \
    hang-initramfs || fail "mkphony.sh failed"
sum=$(sha256sum <"$T/hang.img")
bound=60
t0=$(date +%s)
V2K_APPLIANCE_TIMEOUT=$bound expect_fail "$V2KVM" -i disk "$T/hang.img" \
    -on hang -o local -os "$T/out" >"$T/hang.out"
t1=$(date +%s)
cat "$T/hang.out"
cat "$T/err"
# (The phony guest also earns a network warning on the way.)
[ "$(grep -c 'error' "$T/err")" = 1 ] || fail "hang: not one error line"
assert_grep "^v2kvm: error: appliance: the libguestfs call 'sh' made no progress for [0-9]* s and the appliance was stopped (its qemu killed; V2K_APPLIANCE_TIMEOUT=$bound sets this bound in seconds, 0 removes it)\$" \
    "$T/err"
waited=$(sed -n 's/.*made no progress for \([0-9]*\) s.*/\1/p' "$T/err")
[ "$waited" -ge $bound ] && [ "$waited" -le $((bound + 5)) ] ||
    fail "hang: stopped after $waited s, the bound is $bound s"
# The conversion reached the guest's tools, then stopped within the
# bound: from the "Converting" message (its elapsed-time stamp) to the
# exit, at most the bound and 30 s of shutdown and cleanup.
conv=$(sed -n 's/^\[ *\([0-9]*\)\.[0-9]\] Converting .* to run on KVM$/\1/p' \
    "$T/hang.out")
[ -n "$conv" ] || fail "hang: the conversion never started converting"
[ $((t1 - t0 - conv)) -le $((bound + 30)) ] ||
    fail "hang: $((t1 - t0 - conv)) s from converting to the exit (bound $bound s)"
no_leftovers "hang"
[ "$(sha256sum <"$T/hang.img")" = "$sum" ] || fail "hang: the source changed"
echo "hang: stopped after ${waited}s without progress, exit $((t1 - t0))s after the start"
