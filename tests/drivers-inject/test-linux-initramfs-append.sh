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
# stub's call logged).
# The same on a real dracut image: a phony rhel9 guest (trace
# real-dracut) whose newest kernel has the host's module index and virtio
# modules and an image Debian's dracut made (systemd, its udevd and
# systemd-modules-load, sd_mod and ext4, xz).  After the steps, dracut's
# own lsinitrd lists the virtio drivers and their dependencies and every
# file the image had; the image's index is the guest's; the drivers are
# named in etc/modules-load.d (loaded at boot even before a device asks);
# /etc/dracut.conf.d/90-v2kvm-virtio.conf adds them for later rebuilds
# and the guest's dracut was not run.
# One appliance launch per run, all at once.
. "$(dirname "$0")/../lib/test-lib.sh"
need guestfish cpio zstd xz cmp comm python3 lsinitramfs unmkinitramfs \
    mkinitramfs dracut lsinitrd

STEPS=$V2K_BINARY_DIR/tests/v2kvm-steps
[ -x "$STEPS" ] || fail "$STEPS not built"
K=6.1.0-28-amd64
IR=/boot/initrd.img-$K

KR=5.14.0-427.13.1.el9_4.x86_64
IRR=/boot/initramfs-$KR.img

bash "$V2K_SOURCE_DIR/tests/lib/mkphony.sh" \
    debian12 "$T/deb.img" real-initramfs + rhel9 "$T/rhel9.img" real-dracut ||
    fail "mkphony.sh failed"
cp --sparse=always "$T/deb.img" "$T/rebuild.img"

# before DISK IMAGE OUT LISTER: the image before the steps, read out of
# DISK (read-only) into OUT.img and listed by the tool that made it
# (lsinitramfs, lsinitrd) into OUT.list; it must lack virtio_blk.
before() {
    guestfish --ro -a "$1" -i download "$2" "$3.img" ||
        fail "cannot copy $2 out of $1"
    "$4" "$3.img" >"$3.list" || fail "$4 cannot read the image mkphony.sh made"
    if grep -q '/virtio_blk\.ko' "$3.list"; then
        fail "the image in $1 already has virtio_blk"
    fi
}
before "$T/rebuild.img" "$IR" "$T/before" lsinitramfs
before "$T/rhel9.img" "$IRR" "$T/before-dracut" lsinitrd

run() {                         # run NAME ARGS...
    local name=$1
    shift
    mkdir -p "$T/$name"
    set +e
    "$STEPS" "$@" >"$T/$name.out" 2>"$T/$name.err"
    echo $? >"$T/$name.rc"
    set -e
}
# has_virtio WHO LIST KVER: LIST (one path per line) holds the virtio
# drivers and what modules.dep says they need, under KVER's modules.
has_virtio() {
    local m=usr/lib/modules/$3/kernel/drivers f
    for f in virtio/virtio.ko virtio/virtio_ring.ko virtio/virtio_pci.ko \
             virtio/virtio_pci_modern_dev.ko virtio/virtio_pci_legacy_dev.ko \
             block/virtio_blk.ko scsi/virtio_scsi.ko net/virtio_net.ko; do
        grep -qx "$m/$f" "$2" ||
            { cat "$2" >&2; fail "$1: $m/$f is not in the image"; }
    done
}
# none_lost WHO BEFORE AFTER: every entry of BEFORE is still in AFTER.
none_lost() {
    sort -u "$2" >"$T/$1.b.sorted"
    sort -u "$3" >"$T/$1.a.sorted"
    comm -23 "$T/$1.b.sorted" "$T/$1.a.sorted" >"$T/$1.lost"
    [ ! -s "$T/$1.lost" ] ||
        { cat "$T/$1.lost" >&2; fail "$1: entries lost from the image"; }
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
run dracut --download "$IRR:$T/dracut/initrd" \
    --download "/var/log/phony-calls:$T/dracut/calls" \
    --download "/etc/dracut.conf.d/90-v2kvm-virtio.conf:$T/dracut/conf" \
    --download "/lib/modules/$KR/modules.dep.bin:$T/dracut/dep.bin" \
    --download "/lib/modules/$KR/modules.alias.bin:$T/dracut/alias.bin" \
    kernel,initramfs "$T/rhel9.img" &
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
has_virtio fast "$T/after.list" "$K"
none_lost fast "$T/before.list" "$T/after.list"
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
# ---- dracut ----------------------------------------------------------------
[ "$(cat "$T/dracut.rc")" = 0 ] ||
    { cat "$T/dracut.err" >&2; fail "dracut: v2kvm-steps exit $(cat "$T/dracut.rc")"; }
assert_grep "$IRR: .*virtio_blk.* added without regenerating it (.* files added to its archive, packed again with xz; loaded by its udev" "$T/dracut.out"
assert_grep "$IRR contains virtio_blk" "$T/dracut.out"
if grep -s dracut "$T/dracut/calls"; then
    fail "dracut: the guest's dracut was run"
fi
assert_grep '^add_drivers+=".*virtio_blk' "$T/dracut/conf"
# dracut's own lister reads the whole image: names, then one file
lsinitrd "$T/dracut/initrd" >"$T/after-dracut.lsinitrd" ||
    fail "lsinitrd cannot read the image after the step"
names() { awk '$1 ~ /^[-dlcbps][-rwxsStT]{9}$/ { print $9 }' "$1" | sort -u; }
names "$T/before-dracut.list" >"$T/bd.names"
names "$T/after-dracut.lsinitrd" >"$T/ad.names"
[ "$(wc -l <"$T/bd.names")" -gt 100 ] ||
    fail "lsinitrd listed only $(wc -l <"$T/bd.names") files before"
MR=usr/lib/modules/$KR/kernel/drivers
has_virtio dracut "$T/ad.names" "$KR"
none_lost dracut "$T/bd.names" "$T/ad.names"
grep -qx 'usr/lib/systemd/systemd-modules-load' "$T/ad.names" ||
    fail "dracut: systemd-modules-load is gone from the image"
lsinitrd -f etc/modules-load.d/v2kvm-virtio.conf "$T/dracut/initrd" \
    >"$T/dracut/load.conf" || fail "dracut: no etc/modules-load.d/v2kvm-virtio.conf"
for m in virtio_pci virtio_blk virtio_scsi virtio_net; do
    grep -qx "$m" "$T/dracut/load.conf" ||
        { cat "$T/dracut/load.conf" >&2; fail "dracut: $m not loaded by modules-load.d"; }
done
xz -lv "$T/dracut/initrd" | grep -q 'Check: *CRC32' ||
    fail "dracut: the xz stream's check is not CRC32 (the kernel's decoder knows no other)"
# unpacked as the kernel does: later entries of a name replace earlier
# ones (-u)
mkdir "$T/und"
xz -dc "$T/dracut/initrd" | (cd "$T/und" && cpio -idu --quiet) ||
    fail "dracut: the image is not one xz-compressed cpio archive"
for f in modules.dep.bin modules.alias.bin; do
    cmp "$T/und/usr/lib/modules/$KR/$f" "$T/dracut/${f#modules.}" ||
        fail "dracut: the image's $f is not the guest's"
done
[ -s "$T/und/$MR/block/virtio_blk.ko" ] || fail "dracut: virtio_blk.ko is empty"
echo "PASS"
