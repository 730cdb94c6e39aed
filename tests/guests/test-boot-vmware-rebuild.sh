#!/bin/bash
# The initramfs step's other path on a real guest (issue #15): the
# VMware-shaped Debian 12 guest of test-boot-vmware (its initramfs made
# with MODULES=list: no virtio) converted with --rebuild-initramfs, so
# that the guest's own update-initramfs regenerates the image inside the
# appliance instead of v2kvm adding the drivers to it as it is; the log
# says "regenerated" and never "added without regenerating it", the
# image holds virtio_blk, and the guest boots to the marker on
# virtio-blk.  (test-boot-vmware covers the default path.)
. "$(dirname "$0")/../lib/test-lib.sh"
. "$V2K_SOURCE_DIR/tests/lib/boot-lib.sh"
need qemu-system-x86_64 qemu-img guestfish lsinitramfs jq debootstrap \
    mkfs.ext4 sfdisk
t0=$(date +%s)

src=$(guest_source vmware) || fail "building the vmware guest failed"
vmx=$src/debian12.vmx
[ -f "$vmx" ] || fail "no VMX in $src"

BOOT_CONVERT_ARGS=--rebuild-initramfs \
    assert_converts vmx "$vmx" "$src/debian12.vmdk"
out=$CONVERTED
t_b=$(date +%s)
jq -c 'select(.step? == "initramfs" and .after? == "regenerated")' \
    "$T/result.json" | grep -q . ||
    fail "the log does not say the initramfs was regenerated"
if grep -q 'added without regenerating it' "$T/result.json"; then
    fail "--rebuild-initramfs took the fast path"
fi
inspect_guest "$out" "$T/insp" || fail "cannot inspect the converted guest"
assert_virtio_linux "$T/insp"

assert_boots "$out" qcow2 900 "$T/after.log" v2kvm-deb12
t_d=$(date +%s)
echo "test-boot-vmware-rebuild: conversion $((t_b - t0))s (guest's" \
    "update-initramfs), marker after ${BOOT_SECONDS}s; total $((t_d - t0))s"
echo "test-boot-vmware-rebuild: ok"
