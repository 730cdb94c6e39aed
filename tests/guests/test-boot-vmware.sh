#!/bin/bash
# The acceptance test for -i vmx (issue #6): a real Debian 12 guest shaped
# as VMware leaves it (lsilogic SCSI disk, vmxnet3, /dev/sda1 in fstab and
# GRUB, an initramfs with MODULES=list and SCSI/SATA drivers only,
# open-vm-tools installed, xorg.conf with the vmware driver; built by
# tests/lib/mkguest-debian.sh, cached)
#   (a) does not boot on virtio-blk (a recognised failure signature),
#   (b) is converted by v2kvm -i vmx -o local -of qcow2,
#   (c) the output says /dev/vda1 in fstab and GRUB, loads virtio_blk from
#       its initrd, has no VMware tools left and no vmware X driver,
#   (d) boots to the marker on virtio-blk + virtio-net.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$V2K_SOURCE_DIR/tests/lib/boot-lib.sh"
need qemu-system-x86_64 qemu-img guestfish lsinitramfs jq debootstrap \
    mkfs.ext4 sfdisk
t0=$(date +%s)

src=$(guest_source vmware) || fail "building the vmware guest failed"
vmx=$src/debian12.vmx
[ -f "$vmx" ] && [ -f "$src/debian12.vmdk" ] || fail "no VMX/VMDK in $src"
assert_grep 'scsi0.virtualDev = "lsilogic"' "$vmx"
assert_grep 'ethernet0.virtualDev = "vmxnet3"' "$vmx"
t_src=$(date +%s)

# (a) as it is, the guest cannot find its root disk on virtio-blk.
assert_boot_fails "$src/debian12.vmdk" vmdk 600 "$T/before.log"
before="$BOOT_RESULT after ${BOOT_SECONDS}s"
t_a=$(date +%s)

# (b) convert.
assert_converts vmx "$vmx" "$src/debian12.vmdk"
out=$CONVERTED
t_b=$(date +%s)

# (c) inspect the result.
inspect_guest "$out" "$T/insp" /usr/bin/vmtoolsd /etc/vmware-tools \
    /var/lib/dpkg/info/open-vm-tools.list ||
    fail "cannot inspect the converted guest"
assert_virtio_linux "$T/insp"
assert_absent "$T/insp" /usr/bin/vmtoolsd
assert_absent "$T/insp" /etc/vmware-tools
assert_absent "$T/insp" /var/lib/dpkg/info/open-vm-tools.list
if [ -f "$T/insp/xorg.conf" ] && grep -qi 'driver.*"vmware"' "$T/insp/xorg.conf"
then
    fail "xorg.conf still uses the vmware driver"
fi
t_c=$(date +%s)

# (d) boot it as KVM will.
assert_boots "$out" qcow2 900 "$T/after.log" v2kvm-deb12
t_d=$(date +%s)

echo "test-boot-vmware: source ready in $((t_src - t0))s;" \
    "(a) $before, $((t_a - t_src))s; (b) conversion $((t_b - t_a))s," \
    "output $(du -k "$out" | cut -f1) KiB; (c) $((t_c - t_b))s;" \
    "(d) marker after ${BOOT_SECONDS}s; total $((t_d - t0))s"
echo "test-boot-vmware: ok"
