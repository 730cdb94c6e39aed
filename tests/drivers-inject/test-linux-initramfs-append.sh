#!/bin/bash
# test-linux-initramfs-append.sh - the "initramfs" step's fast path
# (drivers-inject/linux/initramfs-append.c) on a real initramfs-tools
# image: a phony debian12 guest (tests/lib/mkphony.sh, trace
# real-initramfs) whose kernel has the host kernel's real module index
# and virtio modules, and whose image is what the host's mkinitramfs
# makes with MODULES=list (no virtio; zstd, behind an uncompressed
# early-microcode archive).  After the kernel and initramfs steps:
#   - the guest's update-initramfs was not run; the log says the drivers
#     were added without regenerating the image;
#   - Debian's own lsinitramfs lists virtio_blk, virtio_pci (and what
#     modules.dep says they need: virtio, virtio_ring, the PCI transport
#     halves), virtio_scsi and virtio_net under the image's modules
#     directory, and the files the image had before are all still there;
#   - the image's module index is the guest's (modules.dep.bin and
#     modules.alias.bin byte for byte, with the virtio aliases udev loads
#     the drivers by), and its udev is still there to load them;
#   - the early archive is kept byte for byte;
#   - /etc/initramfs-tools/modules names the drivers for later rebuilds.
# With --rebuild-initramfs the guest's own tool runs instead (the
# stub's call logged).  One appliance launch per run, both at once.
. "$(dirname "$0")/../lib/test-lib.sh"
need guestfish cpio zstd cmp comm python3 lsinitramfs unmkinitramfs \
    mkinitramfs

STEPS=$V2K_BINARY_DIR/tests/v2kvm-steps
[ -x "$STEPS" ] || fail "$STEPS not built"
K=6.1.0-28-amd64
IR=/boot/initrd.img-$K

bash "$V2K_SOURCE_DIR/tests/lib/mkphony.sh" \
    debian12 "$T/deb.img" real-initramfs || fail "mkphony.sh failed"
cp --sparse=always "$T/deb.img" "$T/rebuild.img"

# The image before: read out of the pristine copy.
guestfish --ro -a "$T/rebuild.img" -i download "$IR" "$T/before.img" ||
    fail "cannot copy the image out"
lsinitramfs "$T/before.img" >"$T/before.list" ||
    fail "lsinitramfs cannot read the image mkphony.sh made"
if grep -q '/virtio_blk\.ko' "$T/before.list"; then
    fail "the image mkinitramfs made already has virtio_blk"
fi

run() {                         # run NAME ARGS...
    local name=$1
    shift
    mkdir -p "$T/$name"
    set +e
    "$STEPS" "$@" >"$T/$name.out" 2>"$T/$name.err"
    echo $? >"$T/$name.rc"
    set -e
}
run fast --download "$IR:$T/fast/initrd" \
    --download "/var/log/phony-calls:$T/fast/calls" \
    --download "/etc/initramfs-tools/modules:$T/fast/modules" \
    --download "/lib/modules/$K/modules.dep.bin:$T/fast/dep.bin" \
    --download "/lib/modules/$K/modules.alias.bin:$T/fast/alias.bin" \
    kernel,initramfs "$T/deb.img" &
# what the stub update-initramfs "rebuilds" (tests/lib/mkphony.sh)
mkdir -p "$T/rb/usr/lib/modules/$K/kernel"
: >"$T/rb/usr/lib/modules/$K/kernel/virtio_blk.ko"
: >"$T/rb/usr/lib/modules/$K/kernel/virtio_pci.ko"
(cd "$T/rb" && find . | cpio -o -H newc --quiet) | zstd -q -c >"$T/rebuilt"
run rebuild --rebuild-initramfs \
    --upload "$T/rebuilt:/var/tmp/phony-rebuilt-initrd" \
    --download "/var/log/phony-calls:$T/rebuild/calls" \
    kernel,initramfs "$T/rebuild.img" &
wait

[ "$(cat "$T/fast.rc")" = 0 ] ||
    { cat "$T/fast.err" >&2; fail "fast: v2kvm-steps exit $(cat "$T/fast.rc")"; }
assert_grep "$IR: .*virtio_blk.* added without regenerating it (.* files added to its archive, packed again with zstd; loaded by its udev)" "$T/fast.out"
assert_grep "$IR contains virtio_blk" "$T/fast.out"
if grep -s update-initramfs "$T/fast/calls"; then
    fail "fast: the guest's update-initramfs was run"
fi
assert_grep '^virtio_blk$' "$T/fast/modules"

lsinitramfs "$T/fast/initrd" >"$T/after.list" ||
    fail "lsinitramfs cannot read the image after the step"
M=usr/lib/modules/$K/kernel/drivers
for f in virtio/virtio.ko virtio/virtio_ring.ko virtio/virtio_pci.ko \
         virtio/virtio_pci_modern_dev.ko virtio/virtio_pci_legacy_dev.ko \
         block/virtio_blk.ko scsi/virtio_scsi.ko net/virtio_net.ko; do
    grep -qx "$M/$f" "$T/after.list" ||
        { cat "$T/after.list" >&2; fail "$M/$f is not in the image"; }
done
# nothing lost: every entry of before is still listed
sort -u "$T/before.list" >"$T/b.sorted"
sort -u "$T/after.list" >"$T/a.sorted"
comm -23 "$T/b.sorted" "$T/a.sorted" >"$T/lost"
[ ! -s "$T/lost" ] || { cat "$T/lost" >&2; fail "entries lost from the image"; }
grep -qE '(^|/)udevadm$' "$T/after.list" || fail "udevadm is gone from the image"

# The index: the guest's, byte for byte, knowing the virtio aliases.
mkdir "$T/un"
unmkinitramfs "$T/fast/initrd" "$T/un" || fail "unmkinitramfs failed"
main=$T/un/main
[ -d "$main" ] || fail "unmkinitramfs found no early archive"
for f in modules.dep.bin modules.alias.bin; do
    cmp "$main/usr/lib/modules/$K/$f" "$T/fast/${f#modules.}" ||
        fail "the image's $f is not the guest's"
done
grep -q 'virtio:d00000002v' "$main/usr/lib/modules/$K/modules.alias" ||
    fail "the image's modules.alias has no alias for virtio_blk"
# a module in the image is the guest's file, not an empty one
[ -s "$main/$M/block/virtio_blk.ko" ] || fail "virtio_blk.ko is empty"

# The early archive: byte for byte.
python3 - "$T/before.img" "$T/fast/initrd" <<'EOF' || fail "the early archive changed"
import sys
a = open(sys.argv[1], 'rb').read()
b = open(sys.argv[2], 'rb').read()
# the early archive ends where the zstd frame starts
k = a.find(b'\x28\xb5\x2f\xfd')
sys.exit(0 if k > 0 and a[:k] == b[:k] else 1)
EOF

[ "$(cat "$T/rebuild.rc")" = 0 ] ||
    { cat "$T/rebuild.err" >&2; fail "rebuild: v2kvm-steps exit $(cat "$T/rebuild.rc")"; }
assert_grep "update-initramfs -u -k $K" "$T/rebuild/calls"
if grep -q 'added without regenerating' "$T/rebuild.out"; then
    fail "rebuild: --rebuild-initramfs took the fast path"
fi
echo "PASS"
