#!/bin/bash
# The acceptance test for -i vbox (issue #6): a real Debian 12 guest as
# VirtualBox 7.0 leaves it (.vbox with a SATA AHCI controller and an
# 82540EM NIC, a dynamic VDI, /dev/sda1 in fstab and GRUB, Guest
# Additions 7.0.10 installed under /opt with its uninstall.sh; built by
# tests/lib/mkguest-debian.sh, cached)
#   (a) does not boot on virtio-blk (a recognised failure signature),
#   (b) is converted by v2kvm -i vbox VBOX -o local -of qcow2,
#   (c) the output says /dev/vda1 in fstab and GRUB, loads virtio_blk from
#       its initrd, has no Guest Additions left,
#   (d) boots to the marker on virtio-blk + virtio-net.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$V2K_SOURCE_DIR/tests/lib/boot-lib.sh"
need qemu-system-x86_64 qemu-img guestfish lsinitramfs jq debootstrap \
    mkfs.ext4 sfdisk
t0=$(date +%s)

src=$(guest_source vbox) || fail "building the vbox guest failed"
vbox=$src/debian12.vbox
[ -f "$vbox" ] && [ -f "$src/debian12.vdi" ] || fail "no .vbox/VDI in $src"
assert_grep 'type="AHCI"' "$vbox"
assert_grep 'type="82540EM"' "$vbox"
t_src=$(date +%s)

# (a) root=/dev/sda1 does not exist on virtio-blk.
assert_boot_fails "$src/debian12.vdi" vdi 600 "$T/before.log"
before="$BOOT_RESULT after ${BOOT_SECONDS}s"
t_a=$(date +%s)

# (b) convert.
assert_converts vbox "$vbox" "$src/debian12.vdi"
out=$CONVERTED
t_b=$(date +%s)

# (c) inspect the result.
ga=/opt/VBoxGuestAdditions-7.0.10
inspect_guest "$out" "$T/insp" $ga $ga/uninstall.sh /etc/init.d/vboxadd \
    /usr/sbin/VBoxService /usr/bin/VBoxClient /etc/rc2.d/S20vboxadd ||
    fail "cannot inspect the converted guest"
assert_virtio_linux "$T/insp"
for p in $ga /etc/init.d/vboxadd /usr/sbin/VBoxService /usr/bin/VBoxClient \
         /etc/rc2.d/S20vboxadd; do
    assert_absent "$T/insp" "$p"
done
# Its initramfs (MODULES=list: no virtio) got the drivers without the
# guest's update-initramfs running in the appliance (issue #15).
assert_grep 'initrd.img-[^ ]*: [a-z_ ]*virtio_blk[a-z_ ]* added without regenerating it' "$T/result.json"
t_c=$(date +%s)

# (d) boot it as KVM will.
assert_boots "$out" qcow2 900 "$T/after.log" v2kvm-deb12
t_d=$(date +%s)

echo "test-boot-vbox: source ready in $((t_src - t0))s;" \
    "(a) $before, $((t_a - t_src))s; (b) conversion $((t_b - t_a))s," \
    "output $(du -k "$out" | cut -f1) KiB; (c) $((t_c - t_b))s;" \
    "(d) marker after ${BOOT_SECONDS}s; total $((t_d - t0))s"
echo "test-boot-vbox: ok"
