#!/bin/bash
# The conversion stage when things go wrong: a disk without an operating
# system fails with one line, and so do a full and a read-only guest
# filesystem (no output, source unchanged); an nbdkit that cannot start,
# a missing plugin, and SIGINT while the appliance starts all leave no
# output, no temporary directory and no nbdkit behind.  --no-convert
# copies the disk unchanged, with a warning, and no appliance.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img pgrep nbdkit guestfish busybox

export LIBGUESTFS_CACHEDIR=${LIBGUESTFS_CACHEDIR:-/var/tmp}
export TMPDIR=$T/tmp
mkdir "$TMPDIR"

no_leftovers() {
    local left
    left=$(find "$TMPDIR" -maxdepth 1 -name 'v2kvm.*')
    [ -z "$left" ] || fail "$1: temporary files left: $left"
    if pgrep -f "nbdkit.*$TMPDIR" >/dev/null; then
        fail "$1: an nbdkit serving from $TMPDIR still runs"
    fi
}
empty_dir() {
    [ -z "$(ls -A "$1")" ] || fail "$2: output left behind: $(ls -A "$1")"
}

truncate -s 64M "$T/empty.img"
sum0=$(sha256sum <"$T/empty.img")
mkdir "$T/out"

# --- no operating system (one appliance launch) -------------------------
expect_fail "$V2KVM" -i disk "$T/empty.img" -on empty -o local -os "$T/out"
[ "$(grep -c . "$T/err")" = 1 ] || { cat "$T/err"; fail "not one line"; }
assert_grep '^v2kvm: error: .*no operating system' "$T/err"
empty_dir "$T/out" "no OS"
no_leftovers "no OS"
[ "$(sha256sum <"$T/empty.img")" = "$sum0" ] || fail "the source changed"

# --- nbdkit cannot start: its message, nothing left ----------------------
echo 'not a shared object' >"$T/fake.so"
V2K_NBDKIT_PLUGIN=$T/fake.so expect_fail "$V2KVM" -i disk "$T/empty.img" \
    -on empty -o local -os "$T/out"
[ "$(grep -c . "$T/err")" = 1 ] || { cat "$T/err"; fail "not one line"; }
assert_grep 'disk 1 (.*empty.img): nbdkit could not serve it: .*fake.so' \
    "$T/err"
empty_dir "$T/out" "bad plugin"
no_leftovers "bad plugin"

# --- no plugin ------------------------------------------------------------
V2K_NBDKIT_PLUGIN=$T/nosuch.so expect_fail "$V2KVM" -i disk \
    "$T/empty.img" -on empty -o local -os "$T/out"
assert_grep "V2K_NBDKIT_PLUGIN=$T/nosuch.so: No such file" "$T/err"
no_leftovers "no plugin"

# --- SIGINT while the appliance starts: exit 130, nothing left ----------
"$V2KVM" -i disk "$T/empty.img" -on empty -o local -os "$T/out" \
    >"$T/sig.out" 2>&1 &
pid=$!
for _ in $(seq 300); do
    grep -q 'Starting the libguestfs appliance' "$T/sig.out" && break
    sleep 0.1
done
grep -q 'Starting the libguestfs appliance' "$T/sig.out" ||
    { cat "$T/sig.out"; fail "the appliance did not start"; }
sleep 2
kill -INT $pid
rc=0
wait $pid || rc=$?
[ $rc = 130 ] || { cat "$T/sig.out"; fail "SIGINT: exit status $rc"; }
empty_dir "$T/out" "SIGINT"
no_leftovers "SIGINT"

# --- a full or read-only guest filesystem: one line, nothing written -----
# (mkphony: one launch builds both; each conversion is one more.)
bash "$V2K_SOURCE_DIR/tests/lib/mkphony.sh" debian12 "$T/full.img" full \
    + debian12 "$T/ro.img" ro-root || fail "mkphony.sh failed"
for g in full ro; do
    sum=$(sha256sum <"$T/$g.img")
    expect_fail "$V2KVM" -i disk "$T/$g.img" -on "$g" -o local -os "$T/out"
    [ "$(grep -c . "$T/err")" = 1 ] || { cat "$T/err"; fail "$g: not one line"; }
    cp "$T/err" "$T/$g.err"
    empty_dir "$T/out" "$g"
    no_leftovers "$g"
    [ "$(sha256sum <"$T/$g.img")" = "$sum" ] || fail "$g: the source changed"
done
assert_grep "^v2kvm: error: space: the guest's filesystems are too full to convert: / (/dev/sda1) has [0-9.]* [KM]*i*B free, needs [0-9.]* MiB (free space in the guest, or grow the filesystem, then retry; nothing was changed)\$" \
    "$T/full.err"
assert_grep '^v2kvm: error: .*the filesystem /dev/sda1 (/) is read-only: it can only be mounted read-only, and conversion must write to it' \
    "$T/ro.err"

# --- --no-convert: the disk as it is, a warning, no appliance -------------
qemu-io -f raw -c 'write -P 0x5a 1M 1M' "$T/empty.img" >/dev/null
"$V2KVM" -i disk "$T/empty.img" -on plain -o local -os "$T/out" \
    --no-convert >"$T/nc.out" 2>"$T/nc.err" ||
    { cat "$T/nc.err"; fail "--no-convert failed"; }
assert_grep 'warning: --no-convert: .*may not boot on KVM' "$T/nc.err"
grep -q 'appliance\|Inspecting' "$T/nc.out" && fail "--no-convert inspected"
qemu-img compare -q -f raw -F qcow2 "$T/empty.img" "$T/out/plain-sda" ||
    fail "--no-convert changed the disk"
no_leftovers "--no-convert"

# --- options ---------------------------------------------------------------
expect_fail "$V2KVM" -i disk "$T/empty.img" -o null --no-convert \
    --print-guest
assert_grep 'no-convert: the guest is not inspected' "$T/err"
expect_fail "$V2KVM" -i disk "$T/empty.img" -o null --root /etc/x
assert_grep "root '/etc/x': must be" "$T/err"
expect_fail "$V2KVM" -i disk "$T/empty.img" -o null --key nocolon
assert_grep 'key: expected DEVICE:KEY' "$T/err"
expect_fail "$V2KVM" -i disk "$T/empty.img" -o null --key /dev/sda2:s3cret \
    --no-convert
grep -q s3cret "$T/err" && fail "a key was printed"
echo "test-convert-errors: ok"
