#!/bin/bash
# No guest can hang a conversion (issue #13 item 8): a phony Debian guest
# whose update-initramfs never returns (mkphony trace hang-initramfs)
# blocks the libguestfs call that runs it; the appliance watchdog
# (inspectors/appliance-watchdog.h) stops the appliance after
# V2K_APPLIANCE_TIMEOUT seconds without progress and the conversion fails
# with one line naming the call, within the bound, leaving no output, no
# temporary directory, no nbdkit and no qemu behind, the source unchanged.
# A bad V2K_APPLIANCE_TIMEOUT is one error line before any launch.
# A source that goes away under the appliance (an NBD source, as a P2V
# machine serves its disks, whose server dies while the guest is being
# inspected) ends the conversion within V2K_NBD_RECONNECT_TIME and a
# little, not V2K_APPLIANCE_TIMEOUT: the transport fails every read once
# the budget is spent and the watchdog's probe stops the appliance; one
# line names the disk and says the source is unreachable.
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

# --- an NBD source whose server dies under the appliance -----------------
bash "$V2K_SOURCE_DIR/tests/lib/mkphony.sh" debian12 "$T/gone.img" ||
    fail "mkphony.sh failed"
sum=$(sha256sum <"$T/gone.img")
nbdkit -r -U "$T/src.sock" -P "$T/src.pid" file "$T/gone.img" ||
    fail "nbdkit did not start"
for _ in $(seq 100); do [ -S "$T/src.sock" ] && break; sleep 0.1; done
cat >"$T/gone.xml" <<XML
<domain type='kvm'>
  <name>gone</name>
  <memory unit='MiB'>1024</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='network' device='disk'>
      <driver name='qemu' type='raw'/>
      <source protocol='nbd' name='sda'>
        <host transport='unix' socket='$T/src.sock'/>
      </source>
      <target dev='sda' bus='sata'/>
    </disk>
  </devices>
</domain>
XML
budget=5
V2K_NBD_RECONNECT_TIME=$budget "$V2KVM" -i libvirtxml "$T/gone.xml" \
    -o local -os "$T/out" >"$T/gone.out" 2>"$T/err" &
conv=$!
for _ in $(seq 3000); do
    grep -q "Inspecting the guest" "$T/gone.out" && break
    kill -0 "$conv" 2>/dev/null || break
    sleep 0.1
done
grep -q "Inspecting the guest" "$T/gone.out" ||
    { cat "$T/gone.out" "$T/err"; fail "gone: the inspection never started"; }
kill -9 "$(cat "$T/src.pid")"
t0=$(date +%s)
if wait "$conv"; then fail "gone: converted without its source"; fi
t1=$(date +%s)
cat "$T/gone.out" "$T/err"
! grep -q "Copying disk" "$T/gone.out" ||
    fail "gone: the appliance phase passed without its source"
[ "$(grep -c 'error' "$T/err")" = 1 ] || fail "gone: not one error line"
assert_grep "^v2kvm: error: disk 1: nbd+unix:///sda?socket=.*: the source is unreachable" "$T/err"
# The budget, the appliance's shutdown and cleanup; V2K_APPLIANCE_TIMEOUT
# (600 s) plays no part.
[ $((t1 - t0)) -le $((budget + 60)) ] ||
    fail "gone: $((t1 - t0)) s from the source's death to the exit (budget $budget s)"
no_leftovers "gone"
[ "$(sha256sum <"$T/gone.img")" = "$sum" ] || fail "gone: the source changed"
echo "gone: the conversion stopped $((t1 - t0)) s after its source died (budget $budget s)"
