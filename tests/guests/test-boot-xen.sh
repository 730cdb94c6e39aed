#!/bin/bash
# The acceptance test for -i xen (issue #6): a real Debian 12 PV guest as
# Xen leaves it (xl.cfg type="pv" with pygrub, a raw disk on xvda,
# /dev/xvda1 in fstab and GRUB, console=hvc0, XenServer tools traces;
# built by tests/lib/mkguest-debian.sh, cached)
#   (a) does not boot on virtio-blk (silently: its console is hvc0),
#   (b) is converted by v2kvm -i xen XLCFG -o local -of qcow2,
#   (c) the output says /dev/vda1 in fstab and GRUB without console=hvc0,
#       loads virtio_blk from its initrd, has no Xen tools left,
#   (d) boots to the marker on virtio-blk + virtio-net.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$V2K_SOURCE_DIR/tests/lib/boot-lib.sh"
need qemu-system-x86_64 qemu-img guestfish lsinitramfs jq debootstrap \
    mkfs.ext4 sfdisk
t0=$(date +%s)

src=$(guest_source xen) || fail "building the xen guest failed"
cfg=$src/debian12.cfg
[ -f "$cfg" ] && [ -f "$src/debian12.img" ] || fail "no xl.cfg/disk in $src"
assert_grep '^type = "pv"' "$cfg"
assert_grep '^bootloader = "pygrub"' "$cfg"
assert_grep "vdev=xvda, access=rw, target=$src/debian12.img" "$cfg"
t_src=$(date +%s)

# (a) root=/dev/xvda1 does not exist on virtio-blk.  Its console is
# hvc0, which nothing provides on KVM, so the failure is silent: no
# marker within 120 s (the converted guest prints it after 30-40 s
# under TCG).
assert_boot_fails "$src/debian12.img" raw 120 "$T/before.log" silent
before="$BOOT_RESULT after ${BOOT_SECONDS}s"
t_a=$(date +%s)

# (b) convert.
assert_converts xen "$cfg" "$src/debian12.img"
out=$CONVERTED
t_b=$(date +%s)

# (c) inspect the result.
inspect_guest "$out" "$T/insp" /usr/sbin/xe-daemon \
    /etc/init.d/xe-linux-distribution /etc/rc2.d/S14xe-linux-distribution ||
    fail "cannot inspect the converted guest"
assert_virtio_linux "$T/insp"
assert_absent "$T/insp" /usr/sbin/xe-daemon
assert_absent "$T/insp" /etc/init.d/xe-linux-distribution
assert_absent "$T/insp" /etc/rc2.d/S14xe-linux-distribution
# Its initramfs (MODULES=list: no virtio) got the drivers without the
# guest's update-initramfs running in the appliance (issue #15).
assert_grep 'initrd.img-[^ ]*: [a-z_ ]*virtio_blk[a-z_ ]* added without regenerating it' "$T/result.json"
t_c=$(date +%s)

# (d) boot it as KVM will (the marker goes to ttyS0: the console must be
# a serial port again, not hvc0).
assert_boots "$out" qcow2 900 "$T/after.log" v2kvm-deb12
t_d=$(date +%s)

echo "test-boot-xen: source ready in $((t_src - t0))s;" \
    "(a) $before, $((t_a - t_src))s; (b) conversion $((t_b - t_a))s," \
    "output $(du -k "$out" | cut -f1) KiB; (c) $((t_c - t_b))s;" \
    "(d) marker after ${BOOT_SECONDS}s; total $((t_d - t0))s"
echo "test-boot-xen: ok"
